/**
 * Gold feedback: when the kernel's `ack` (or `external`) carries `feedback` for one of
 * this view's decisions on a gold item, show at once whether it was right; when it was
 * wrong, the right label and the guideline passage about it (sanitized markdown).
 *
 * The next key press dismisses it. A wrong answer's feedback swallows that key (the
 * person is reading the passage: the key must not decide the next item unseen); a right
 * answer's lets it through, so a correct gold item costs no extra key. Esc always only
 * dismisses. DOM: `[data-testid="gold-feedback"]` with `data-correct="true|false"`,
 * `[data-testid="gold-expected"]`, `[data-testid="gold-passage"]`.
 */
import { el, kbd, setText, show } from "./dom";
import { renderMarkdown } from "./markdown";
import type { GoldFeedback, ReviewClient } from "./protocol";
import type { BaseItem } from "./types";

/** Keys that never dismiss an overlay (pressed alone, or moving focus away). */
export const PASSIVE_KEYS = new Set(["Shift", "Control", "Alt", "Meta", "CapsLock", "Tab", "Dead", "Unidentified", "Fn", "AltGraph"]);

export interface FeedbackView {
  readonly el: HTMLElement;
  show(fb: GoldFeedback): void;
  dismiss(): void;
  isOpen(): boolean;
  /** the latest feedback shown (null before any) */
  last(): GoldFeedback | null;
  /** a key was pressed on the widget: dismiss; return true when the key is used up */
  handleKey(key: string, ev?: KeyboardEvent): boolean;
  dispose(): void;
}

export function createFeedbackView(): FeedbackView {
  const icon = el("span", { cls: "hitl-feedback-icon", attrs: { "aria-hidden": "true" } });
  const headline = el("span", { cls: "hitl-feedback-text", testid: "gold-result" });
  const close = el("button", {
    cls: "hitl-feedback-close",
    text: "×",
    title: "Dismiss (any key)",
    attrs: { type: "button", tabindex: -1, "aria-label": "Dismiss feedback" },
  });
  const expected = el("div", { cls: "hitl-feedback-expected", testid: "gold-expected" });
  const passage = el("div", { cls: "hitl-feedback-passage hitl-guideline-md", testid: "gold-passage", hidden: true });
  const hint = el("div", { cls: "hitl-feedback-hint" }, ["Press any key to continue (", kbd("Esc"), " only closes this)"]);
  const root = el(
    "div",
    { cls: "hitl-feedback", testid: "gold-feedback", hidden: true, attrs: { role: "status", "aria-live": "polite" } },
    [el("div", { cls: "hitl-feedback-head" }, [icon, headline, close]), expected, passage, hint],
  );
  let current: GoldFeedback | null = null;
  let open = false;

  const view: FeedbackView = {
    el: root,
    show(fb) {
      current = fb;
      const right = fb.correct === true;
      root.setAttribute("data-correct", right ? "true" : "false");
      root.setAttribute("data-item-id", String(fb.item_id ?? ""));
      setText(icon, right ? "✓" : "✗");
      const exp = fb.expected ?? "";
      if (right) {
        setText(headline, `Gold question: right (${exp})`);
        setText(expected, "");
        show(expected, false);
      } else {
        const given = fb.given === null || fb.given === undefined ? "no label" : `“${fb.given}”`;
        setText(headline, `Gold question: not quite, you answered ${given}`);
        setText(expected, `The right label is “${exp}”.`);
        show(expected, true);
      }
      const md = !right && typeof fb.passage === "string" ? fb.passage.trim() : "";
      if (md) renderMarkdown(passage, md);
      else passage.replaceChildren();
      show(passage, md.length > 0);
      show(hint, !right);
      open = true;
      show(root, true);
    },
    dismiss() {
      open = false;
      show(root, false);
    },
    isOpen: () => open,
    last: () => current,
    handleKey(key, ev) {
      if (!open || PASSIVE_KEYS.has(key) || ev?.repeat) return false;
      const consume = key === "Escape" || current?.correct !== true;
      view.dismiss();
      return consume;
    },
    dispose() {
      open = false;
    },
  };
  close.addEventListener("click", () => view.dismiss());
  return view;
}

/**
 * Show the feedback the client surfaces for this view's own decisions (and Python-made
 * ones on this widget). Returns the view; its element goes where the widget wants it.
 */
export function attachGoldFeedback<I extends BaseItem>(client: ReviewClient<I>, onShow?: (fb: GoldFeedback) => void): FeedbackView {
  const view = createFeedbackView();
  const off = client.events.on("feedback", (e) => {
    if (!e.decision) return; // another view's decision, or an old resend
    view.show(e.feedback);
    onShow?.(e.feedback);
  });
  const dispose = view.dispose;
  view.dispose = () => {
    off();
    dispose();
  };
  return view;
}
