/**
 * The one "modal" notion of a review widget: the break prompt, a gold feedback card that
 * asks to be read, the text boxes (flag note, reason, editor) and the help overlay.
 *
 * The rule, for every modal: no key that closes a modal ever decides or moves.
 * - While a modal is open, review bindings do not run: a key pressed on the widget goes
 *   to the top modal (which closes, or keeps the key), and is used up entirely: its
 *   keydown, its keypress and keyup, and every auto-repeat of a held key. Lone modifiers
 *   and Tab never close a modal.
 * - A key already down when the modal opened (the press that opened it, delivered again,
 *   as JupyterLab can with synthesized events) does not close it.
 * - After a modal closes, the first review key must be a fresh keydown that began after
 *   the close: auto-repeats are refused, a keydown stamped before the close is refused,
 *   and the key that closed it counts again only once it was released (its keyup) — a
 *   second keydown of that same press is refused.
 *
 * Text boxes keep their own keys (typing, Enter saves, Esc cancels: lib/keyboard.ts
 * `textBoxKeys`); a key that reaches the widget root while a box is open goes to the box
 * modal like any other.
 */
import { normalizeKey } from "./keyboard";

/** Keys that never close a modal (pressed alone, or moving focus). */
export const PASSIVE_KEYS = new Set(["Shift", "Control", "Alt", "Meta", "CapsLock", "Tab", "Dead", "Unidentified", "Fn", "AltGraph", "OS"]);

/** A second keydown of the same press comes within this long; a new press takes longer
 * (used only when the press's keyup never reached the widget). */
const SAME_PRESS_MS = 500;

export interface Modal {
  readonly name: string;
  /**
   * A key for this modal (it is the top one) was pressed on the widget: not in a text
   * box, not a repeat, not a lone modifier, not the press that opened it. Close, or keep
   * the key; either way it is used up.
   */
  onKey(key: string, ev: KeyboardEvent): void;
}

/** A key press whose keyup has not come yet. */
interface Press {
  key: string;
  code: string;
  ts: number;
}

interface OpenModal {
  modal: Modal;
  /** the press that opened it (null once released, or when no key opened it) */
  by: Press | null;
  /** the timeStamp of the event that opened it (null: not opened by a key) */
  ts: number | null;
}

/** After a modal closed: what the next keydown must not be. */
interface Guard {
  /** the press that closed it, until its keyup */
  by: Press | null;
  /** the timeStamp of the event that closed it */
  ts: number | null;
}

function pressOf(ev: KeyboardEvent): Press {
  return { key: normalizeKey(ev.key ?? ""), code: ev.code ?? "", ts: ev.timeStamp };
}

function samePress(p: Press, key: string, ev: KeyboardEvent): boolean {
  return (p.code !== "" && p.code === ev.code) || p.key === key;
}

function isTyping(t: EventTarget | null): boolean {
  if (!(t instanceof Element)) return false;
  const tag = t.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t as HTMLElement).isContentEditable === true;
}

export class Modals {
  private readonly stack: OpenModal[] = [];
  private guard: Guard | null = null;
  /** the latest keydown seen on the widget (capture phase: before any handler inside) */
  private lastKeydown: KeyboardEvent | null = null;
  /** called after a modal closed (with the ones still open) */
  onClosed: (modal: Modal) => void = () => {};
  /** called after a modal opened */
  onOpened: (modal: Modal) => void = () => {};

  private readonly onDown = (ev: KeyboardEvent) => {
    this.lastKeydown = ev;
  };

  private readonly onUp = (ev: KeyboardEvent) => {
    const key = normalizeKey(ev.key ?? "");
    for (const o of this.stack) if (o.by && samePress(o.by, key, ev)) o.by = null;
    const g = this.guard;
    if (g?.by && samePress(g.by, key, ev)) {
      // the closing key's keyup is used up too; from now on that key is a fresh press
      g.by = null;
      ev.preventDefault();
      ev.stopPropagation();
    }
  };

  private readonly onPress = (ev: KeyboardEvent) => {
    if (isTyping(ev.target)) return;
    const key = normalizeKey(ev.key ?? "");
    if (this.stack.length || (this.guard?.by && samePress(this.guard.by, key, ev))) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  };

  constructor(private readonly root: HTMLElement) {
    root.addEventListener("keydown", this.onDown, true);
    root.addEventListener("keyup", this.onUp, true);
    root.addEventListener("keypress", this.onPress, true);
  }

  /** The keydown being dispatched right now, if any (a modal opened / closed by a key). */
  private inDispatch(): KeyboardEvent | null {
    const e = this.lastKeydown;
    return e && e.eventPhase !== 0 ? e : null;
  }

  /** the modal keys go to, if any */
  top(): Modal | null {
    return this.stack.length ? this.stack[this.stack.length - 1].modal : null;
  }

  /** `modal` is open (without an argument: any) */
  isOpen(modal?: Modal): boolean {
    return modal ? this.stack.some((o) => o.modal === modal) : this.stack.length > 0;
  }

  /** A modal is shown: from now on it has the keys (until `close`). */
  open(modal: Modal): void {
    if (this.isOpen(modal)) return;
    const ev = this.inDispatch();
    this.stack.push({ modal, by: ev ? pressOf(ev) : null, ts: ev ? ev.timeStamp : null });
    this.onOpened(modal);
  }

  /** A modal was hidden (by a key, a click, or the view). */
  close(modal: Modal): void {
    const i = this.stack.findIndex((o) => o.modal === modal);
    if (i < 0) return;
    this.stack.splice(i, 1);
    const ev = this.inDispatch();
    this.guard = { by: ev ? pressOf(ev) : null, ts: ev ? ev.timeStamp : null };
    this.onClosed(modal);
  }

  /**
   * The key layer's first look at a keydown on the widget (not in a text box, no
   * Ctrl/Cmd/Alt): true when it is used up here (a modal has it, or it is not a fresh key
   * after a modal closed), false when the review bindings may have it.
   */
  before(key: string, ev: KeyboardEvent): boolean {
    const top = this.stack.length ? this.stack[this.stack.length - 1] : null;
    if (top) {
      if (ev.repeat || PASSIVE_KEYS.has(key)) return true;
      if (top.by && samePress(top.by, key, ev) && ev.timeStamp - top.by.ts < SAME_PRESS_MS) return true;
      if (top.ts !== null && ev.timeStamp < top.ts) return true;
      top.modal.onKey(key, ev);
      return true;
    }
    const g = this.guard;
    if (g) {
      if (ev.repeat) return true;
      if (g.ts !== null && ev.timeStamp < g.ts) return true;
      if (g.by && samePress(g.by, key, ev) && ev.timeStamp - g.by.ts < SAME_PRESS_MS) return true;
      if (PASSIVE_KEYS.has(key)) return false; // a modifier alone is not the fresh key yet
      this.guard = null;
    }
    return false;
  }

  dispose(): void {
    this.root.removeEventListener("keydown", this.onDown, true);
    this.root.removeEventListener("keyup", this.onUp, true);
    this.root.removeEventListener("keypress", this.onPress, true);
    this.stack.length = 0;
    this.guard = null;
    this.lastKeydown = null;
  }
}
