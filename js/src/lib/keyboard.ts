/**
 * The key layer shared by every review widget.
 *
 * How JupyterLab decides whether to act on a keydown (Lumino `CommandRegistry.
 * processKeydownEvent`, called by the application's document-level keydown listener):
 *  - it bails out if `event.defaultPrevented`;
 *  - for each key binding it walks from `event.target` (the focused element) up
 *    to the document and stops with "no match" at the first element carrying
 *    `data-lm-suppress-shortcuts`; the attribute is checked BEFORE the element is
 *    matched against the binding's selector, so it must sit on the focused element
 *    itself or on an ancestor below the notebook. The notebook's command-mode
 *    selectors end in `:focus` (they match the focused element itself), so a focused
 *    <button> inside the widget without the attribute would still match.
 *  - JupyterLab >= 4 listens in the bubble phase (`bubblingKeydown: true`); older
 *    Lumino apps listen in the capture phase, before any handler of ours runs.
 *
 * So this layer does all three: the root and every element that gets focus inside it
 * carry `data-lm-suppress-shortcuts` (covers the capture phase), every keydown that
 * reaches the root is stopped (bubble phase, and any other notebook listener), and
 * handled / plain keys are `preventDefault`ed (so `defaultPrevented` bails too, and
 * the browser does not scroll on Space / arrows).
 */

export interface KeyBinding {
  /** normalized key names (see `normalizeKey`): "Enter", "a", "1", "ArrowLeft", "?" */
  keys: string[];
  /** how the help overlay writes the key(s); default: the keys joined by " / " */
  display?: string;
  /** what it does, for the help overlay */
  description: string;
  run: (key: string, event: KeyboardEvent) => void;
  /** act on auto-repeat while the key is held (default false: one decision per press) */
  repeat?: boolean;
  /** listed in help but inactive when this returns false */
  enabled?: () => boolean;
  /** the decision action it makes, if any: the shell leaves the binding out when the
   * kernel's vocabulary (`config.vocabulary.actions`) does not take it */
  action?: string;
  /** false: not listed under ? (another row already says what it does) */
  help?: boolean;
}

export interface KeyLayerOptions {
  /** focus the root once it is in the document (default true) */
  autoFocus?: boolean;
  /** called first for every keydown on the root (not in a text box); return true if handled */
  before?: (key: string, event: KeyboardEvent) => boolean;
}

export interface KeyLayer {
  readonly root: HTMLElement;
  bindings: KeyBinding[];
  /** give the root the focus (nothing when it has it already) */
  focus(): void;
  /** true while `focus()` is moving the focus (a focus event then is not the person's) */
  readonly focusing: boolean;
  dispose(): void;
}

export const SUPPRESS_ATTR = "data-lm-suppress-shortcuts";

/** Named keys whose browser default we cancel on the root (besides printable ones). */
const PLAIN_NAMED = new Set([
  "Enter",
  "Escape",
  "Backspace",
  "Delete",
  "ArrowUp",
  "ArrowDown",
  "ArrowLeft",
  "ArrowRight",
  "Home",
  "End",
  "PageUp",
  "PageDown",
  " ",
  "Spacebar",
]);

/** Lowercase single letters; keep named keys (Enter, ArrowLeft, ...) and symbols. */
export function normalizeKey(key: string): string {
  if (key === "Spacebar") return " ";
  if (key === "Esc") return "Escape";
  if (key === "Left") return "ArrowLeft";
  if (key === "Right") return "ArrowRight";
  return key.length === 1 ? key.toLowerCase() : key;
}

/** Layout-independent fallback: KeyA -> "a", Digit1 / Numpad1 -> "1". */
export function keyFromCode(code: string | undefined): string | null {
  if (!code) return null;
  let m = /^Key([A-Z])$/.exec(code);
  if (m) return m[1].toLowerCase();
  m = /^(?:Digit|Numpad)([0-9])$/.exec(code);
  if (m) return m[1];
  if (code === "NumpadEnter") return "Enter";
  return null;
}

export function isTextEntry(el: EventTarget | null): boolean {
  if (!el || !(el instanceof Element)) return false;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = ((el as HTMLInputElement).type || "text").toLowerCase();
    return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file", "image"].includes(type);
  }
  return (el as HTMLElement).isContentEditable === true || el.closest("[contenteditable=''], [contenteditable='true']") !== null;
}

function hasAccel(ev: KeyboardEvent): boolean {
  return ev.ctrlKey || ev.metaKey || ev.altKey;
}

/**
 * Keydown handler for a text box inside a widget: keys type text normally, but never
 * reach JupyterLab. Enter (single-line boxes, unless composing) and Escape go to the
 * callbacks, which decide. `box` may also hold several fields (a form): their keydowns
 * stop there, Ctrl/Cmd+Enter and Escape go to the callbacks.
 */
export function textBoxKeys(
  box: HTMLElement,
  handlers: { onEnter?: () => void; onEscape?: () => void },
): () => void {
  const fn = (ev: KeyboardEvent) => {
    ev.stopPropagation();
    if (ev.isComposing || ev.keyCode === 229) return;
    if (ev.key === "Escape" && handlers.onEscape) {
      ev.preventDefault();
      handlers.onEscape();
    } else if (ev.key === "Enter" && handlers.onEnter && (box.tagName === "INPUT" || hasAccel(ev))) {
      // in a textarea Enter types a newline; Ctrl/Cmd+Enter saves
      ev.preventDefault();
      handlers.onEnter();
    }
  };
  const target: HTMLElement = box;
  target.addEventListener("keydown", fn);
  target.setAttribute(SUPPRESS_ATTR, "");
  return () => target.removeEventListener("keydown", fn);
}

function findBinding(bindings: KeyBinding[], key: string): KeyBinding | undefined {
  return bindings.find((b) => b.keys.includes(key));
}

export function attachKeyLayer(root: HTMLElement, bindings: KeyBinding[], options: KeyLayerOptions = {}): KeyLayer {
  root.tabIndex = 0;
  root.setAttribute(SUPPRESS_ATTR, "");
  let raf: number | null = null;
  let disposed = false;
  let focusing = false;

  const layer: KeyLayer = {
    root,
    bindings,
    focus() {
      // (focusing an element brings the page's style up to date first: not again when
      // the root has the focus already)
      if (disposed || !root.isConnected || root.ownerDocument.activeElement === root) return;
      focusing = true;
      try {
        root.focus({ preventScroll: true });
      } finally {
        focusing = false;
      }
    },
    get focusing() {
      return focusing;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      root.removeEventListener("keydown", onKeydown);
      root.removeEventListener("keyup", stopOnly);
      root.removeEventListener("keypress", onKeypress as EventListener);
      root.removeEventListener("focusin", onFocusin);
      root.removeEventListener("click", onClick);
      if (raf !== null) cancelFrame(raf);
      raf = null;
    },
  };

  function onKeydown(ev: KeyboardEvent): void {
    // Whatever happens below, JupyterLab (bubble-phase listener on document) never sees it.
    ev.stopPropagation();
    if (isTextEntry(ev.target)) return; // typing: the box's own handler decides Enter / Esc

    const accel = hasAccel(ev);
    if (accel) {
      // Ctrl/Cmd/Alt+Enter would run a cell: swallow it; let copy, paste, etc. work.
      if (ev.key === "Enter") ev.preventDefault();
      return;
    }
    let key = normalizeKey(ev.key);
    if (options.before && options.before(key, ev)) {
      ev.preventDefault();
      return;
    }
    let b = findBinding(layer.bindings, key);
    if (!b) {
      const alt = keyFromCode(ev.code);
      if (alt && alt !== key) {
        const b2 = findBinding(layer.bindings, alt);
        if (b2) {
          b = b2;
          key = alt;
        }
      }
    }
    if (b || key.length === 1 || PLAIN_NAMED.has(key)) ev.preventDefault();
    if (!b) return;
    if (ev.repeat && !b.repeat) return;
    if (b.enabled && !b.enabled()) return;
    b.run(key, ev);
  }

  function onKeypress(ev: KeyboardEvent): void {
    ev.stopPropagation();
    if (!isTextEntry(ev.target) && !hasAccel(ev)) ev.preventDefault();
  }

  function stopOnly(ev: Event): void {
    ev.stopPropagation();
  }

  // Anything that takes focus inside the widget (a button clicked, a text box) carries
  // the attribute too, since Lumino matches the focused element before its ancestors.
  function onFocusin(ev: FocusEvent): void {
    const t = ev.target;
    if (t instanceof Element && t !== root && !t.hasAttribute(SUPPRESS_ATTR)) t.setAttribute(SUPPRESS_ATTR, "");
  }

  // Clicking anywhere on the widget (but a text box) gives the keys back to the root.
  function onClick(ev: MouseEvent): void {
    if (isTextEntry(ev.target)) return;
    layer.focus();
  }

  root.addEventListener("keydown", onKeydown);
  root.addEventListener("keyup", stopOnly);
  root.addEventListener("keypress", onKeypress as EventListener);
  root.addEventListener("focusin", onFocusin);
  root.addEventListener("click", onClick);

  if (options.autoFocus !== false) {
    // anywidget may render into an element that is not in the document yet
    let tries = 0;
    const attempt = () => {
      raf = null;
      if (disposed) return;
      if (root.isConnected) layer.focus();
      else if (++tries < 120) raf = frame(attempt);
    };
    if (root.isConnected) layer.focus();
    else raf = frame(attempt);
  }
  return layer;
}

/* requestAnimationFrame with a fallback for environments that lack it */
export function frame(cb: (t: number) => void): number {
  if (typeof requestAnimationFrame === "function") return requestAnimationFrame(cb);
  return setTimeout(() => cb(typeof performance !== "undefined" ? performance.now() : Date.now()), 16) as unknown as number;
}

export function cancelFrame(id: number): void {
  if (typeof cancelAnimationFrame === "function") cancelAnimationFrame(id);
  else clearTimeout(id as unknown as ReturnType<typeof setTimeout>);
}
