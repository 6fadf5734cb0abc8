/**
 * Key bindings the views share: ← / → move without deciding, ↑ / ↓ / Page keys / Space
 * scroll long texts, ? shows the keys and Esc closes them.
 */
import type { KeyBinding } from "./keyboard";
import type { HelpOverlay } from "./help";

/** ← / →: the previous / next item, no decision. */
export function moveBindings(move: (delta: number) => void): KeyBinding[] {
  return [
    { keys: ["ArrowLeft"], description: "Back (no decision)", repeat: true, run: () => move(-1) },
    { keys: ["ArrowRight"], description: "Forward (no decision)", repeat: true, run: () => move(1) },
  ];
}

/** ?: show / hide the keys; Esc: close them (`closes`: what else Esc closes, in words). */
export function helpBindings(help: HelpOverlay, closes: string): KeyBinding[] {
  return [
    { keys: ["?"], description: "Show / hide the keys", run: () => help.toggle() },
    { keys: ["Escape"], display: "Esc", description: `Close this help / ${closes}`, run: () => help.close() },
  ];
}

const SCROLL_LINE = 48;

/** Scroll each of `targets` by `lines` lines, or pages (90% of its height). */
function scrollBy(targets: HTMLElement[], lines: number, page = false): void {
  for (const t of targets) {
    const step = page ? Math.max(SCROLL_LINE, t.clientHeight * 0.9) : SCROLL_LINE;
    t.scrollTop += lines * step;
  }
}

/** What the help overlay says of the scroll keys: one row for the line keys, one for
 * the page keys. */
export interface ScrollHelp {
  /** ↑ / ↓ */
  line: string;
  /** PgUp / PgDn / Space */
  page: string;
}

/** ↑ / ↓ scroll `targets()` by a line, PgUp / PgDn / Space by a page (each pair listed
 * once under ?). */
export function scrollBindings(targets: () => HTMLElement[], help: ScrollHelp): KeyBinding[] {
  const scroll = (lines: number, page = false) => scrollBy(targets(), lines, page);
  return [
    { keys: ["ArrowUp"], display: "↑ / ↓", description: help.line, repeat: true, run: () => scroll(-1) },
    { keys: ["ArrowDown"], display: "↓", description: help.line, repeat: true, help: false, run: () => scroll(1) },
    { keys: ["PageUp"], display: "PgUp / PgDn / Space", description: help.page, repeat: true, run: () => scroll(-1, true) },
    { keys: ["PageDown", " "], display: "PgDn / Space", description: help.page, repeat: true, help: false, run: () => scroll(1, true) },
  ];
}
