/**
 * The "?" overlay: every key of a keymap with what it does (data-testid="help").
 */
import { el, kbd, clear } from "./dom";
import type { KeyBinding } from "./keyboard";

export interface HelpOverlay {
  el: HTMLElement;
  open(): void;
  close(): void;
  toggle(): void;
  isOpen(): boolean;
  setBindings(bindings: KeyBinding[]): void;
}

const KEY_NAMES: Record<string, string> = {
  ArrowLeft: "←",
  ArrowRight: "→",
  ArrowUp: "↑",
  ArrowDown: "↓",
  Escape: "Esc",
  " ": "Space",
};

export function keyLabel(key: string): string {
  return KEY_NAMES[key] ?? (key.length === 1 ? key.toUpperCase() : key);
}

export function createHelp(
  bindings: KeyBinding[],
  opts: { title?: string; onOpen?: () => void; onClose?: () => void } = {},
): HelpOverlay {
  const body = el("tbody");
  const closeBtn = el("button", {
    cls: "hitl-help-close",
    text: "×",
    title: "Close (Esc)",
    attrs: { type: "button", tabindex: -1, "aria-label": "Close help" },
  });
  const root = el(
    "div",
    { cls: "hitl-help", testid: "help", hidden: true, attrs: { role: "dialog", "aria-label": "Keyboard shortcuts" } },
    [
      el("div", { cls: "hitl-help-head" }, [el("strong", { text: opts.title ?? "Keys" }), closeBtn]),
      el("table", { cls: "hitl-help-table" }, [body]),
    ],
  );
  const overlay: HelpOverlay = {
    el: root,
    open() {
      if (!root.hidden) return;
      root.hidden = false;
      opts.onOpen?.();
    },
    close() {
      if (root.hidden) return;
      root.hidden = true;
      opts.onClose?.();
    },
    toggle() {
      if (root.hidden) overlay.open();
      else overlay.close();
    },
    isOpen() {
      return !root.hidden;
    },
    setBindings(list) {
      clear(body);
      for (const b of list) {
        if (b.help === false) continue;
        const keys = b.display
          ? [kbd(b.display)]
          : b.keys.flatMap((k, i) => (i ? [document.createTextNode(" / "), kbd(keyLabel(k))] : [kbd(keyLabel(k))]));
        body.appendChild(
          el("tr", { attrs: { "data-keys": b.keys.join(" ") } }, [
            el("td", { cls: "hitl-help-keys" }, keys),
            el("td", { text: b.description }),
          ]),
        );
      }
    },
  };
  closeBtn.addEventListener("click", () => overlay.close());
  overlay.setBindings(bindings);
  return overlay;
}
