/**
 * Gold feedback: when the kernel's `ack` (or `external`) carries `feedback` for one of
 * this view's decisions on a gold item, show at once whether it was right; when it was
 * wrong, the right label and the guideline passage about it (sanitized markdown).
 *
 * A wrong answer's card is a modal (lib/modal.ts): the person is reading the passage, so
 * the next key only closes it (it never decides the next item unseen); Esc, any key or
 * the × close it. A right answer's card is a notice, not a modal: it goes away with the
 * next key, which still acts, so a correct gold item costs no extra key.
 * The card is read after the view moved on (it sits above the next item), so it says
 * which item it is about ("Feedback on CLM-00052 (the item you just answered)") and
 * what the person saw of it (`text`, as text).
 * DOM: `[data-testid="gold-feedback"]` with `data-correct="true|false"`,
 * `[data-testid="gold-about"]`, `[data-testid="gold-on"]`, `[data-testid="gold-result"]`,
 * `[data-testid="gold-expected"]`, `[data-testid="gold-passage"]`.
 */
import { el, setText, show } from "./dom";
import { renderMarkdown } from "./markdown";
import { PASSIVE_KEYS, type Modal, type Modals } from "./modal";
import type { GoldFeedback, ReviewClient } from "./protocol";
import type { BaseItem } from "./types";

export { PASSIVE_KEYS };

export interface FeedbackView {
  readonly el: HTMLElement;
  show(fb: GoldFeedback): void;
  dismiss(): void;
  isOpen(): boolean;
  /** the latest feedback shown (null before any) */
  last(): GoldFeedback | null;
  /** called after the card was hidden */
  onDismiss: () => void;
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
  const about = el("div", { cls: "hitl-feedback-about", testid: "gold-about" });
  const on = el("div", { cls: "hitl-feedback-on", testid: "gold-on", hidden: true });
  const expected = el("div", { cls: "hitl-feedback-expected", testid: "gold-expected" });
  const passage = el("div", { cls: "hitl-feedback-passage hitl-guideline-md", testid: "gold-passage", hidden: true });
  const hint = el("div", { cls: "hitl-feedback-hint" }, ["Press any key to continue (it makes no decision)"]);
  const root = el(
    "div",
    { cls: "hitl-feedback", testid: "gold-feedback", hidden: true, attrs: { role: "status", "aria-live": "polite" } },
    [about, el("div", { cls: "hitl-feedback-head" }, [icon, headline, close]), on, expected, passage, hint],
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
      const id = fb.item_id === null || fb.item_id === undefined ? "" : String(fb.item_id);
      setText(about, id ? `Feedback on ${id} (the item you just answered)` : "Feedback on the item you just answered");
      const seen = typeof fb.text === "string" ? fb.text.trim() : "";
      setText(on, seen ? `on: ${seen.length > 400 ? `${seen.slice(0, 400)}…` : seen}` : "");
      show(on, seen.length > 0);
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
      if (!open) return;
      open = false;
      show(root, false);
      view.onDismiss();
    },
    isOpen: () => open,
    last: () => current,
    onDismiss: () => {},
    dispose() {
      open = false;
    },
  };
  close.addEventListener("click", () => view.dismiss());
  return view;
}

export interface GoldFeedbackFeature {
  readonly view: FeedbackView;
  readonly el: HTMLElement;
  /** the card is a wrong answer's, open (a modal) */
  isModal(): boolean;
  /** A review key is about to run (no modal open): a right answer's card goes away. */
  keyPassed(key: string, ev: KeyboardEvent): void;
  dispose(): void;
}

/**
 * Show the feedback the client surfaces for this view's own decisions (and Python-made
 * ones on this widget); a wrong answer's card is a modal of `modals`.
 */
export function attachGoldFeedback<I extends BaseItem>(
  client: ReviewClient<I>,
  modals: Modals,
  onShow?: (fb: GoldFeedback) => void,
): GoldFeedbackFeature {
  const view = createFeedbackView();
  const modal: Modal = { name: "feedback", onKey: () => view.dismiss() };
  view.onDismiss = () => modals.close(modal);
  const off = client.events.on("feedback", (e) => {
    if (!e.decision) return; // another view's decision, or an old resend
    view.show(e.feedback);
    if (e.feedback.correct === true) modals.close(modal);
    else modals.open(modal);
    onShow?.(e.feedback);
  });
  return {
    view,
    el: view.el,
    isModal: () => modals.isOpen(modal),
    keyPassed(key, ev) {
      if (view.isOpen() && !ev.repeat && !PASSIVE_KEYS.has(key)) view.dismiss();
    },
    dispose() {
      off();
      view.dispose();
      modals.close(modal);
    },
  };
}
