/**
 * What the views that review a model's label share (classification, images, audio): accept
 * the model's label or choose another (a choice equal to the model's label is an accept),
 * the keys that do it, the probability bars, and the summary's agreement with the model.
 */
import type { AnyModel } from "@anywidget/types";
import type { KeyBinding } from "./keyboard";
import { moveBindings } from "./bindings";
import { clear, el, formatPercent, kbd, setAttr, show } from "./dom";
import type { ReviewShell } from "./shell";
import type { SummaryRow } from "./summary";
import type { BaseItem } from "./types";

/** An item with the model's label and, maybe, its probabilities. */
export interface LabelledItem extends BaseItem {
  model_label?: string | null;
  proba?: Record<string, number> | null;
}

export interface LabelActions {
  accept: () => void;
  choose: (label: string) => void;
  undo: () => void;
  /** Enter / A, 1-9, the flag keys, S, Z and the moves */
  bindings: KeyBinding[];
}

/** The actions and keys of a label review on `shell` (`labels`: the label set now). */
export function labelActions<I extends LabelledItem>(shell: ReviewShell<I>, labels: () => string[]): LabelActions {
  const client = shell.client;
  const hasModel = (item: I): boolean =>
    item.model_label !== null && item.model_label !== undefined && item.model_label !== "";

  function accept(): void {
    const item = client.current();
    if (!item) return;
    if (!shell.showModel()) return shell.say("The model's label is hidden in this review: pick a label with 1–9.");
    if (!hasModel(item)) return shell.say("No model label to accept: pick a label with 1–9.");
    shell.clearMessage();
    client.decide({ action: "accept" });
  }

  function choose(label: string): void {
    const item = client.current();
    if (!item) return;
    shell.clearMessage();
    if (hasModel(item) && label === item.model_label) client.decide({ action: "accept" });
    else client.decide({ action: "correct", label });
  }

  function undo(): void {
    shell.clearMessage();
    if (!client.undo()) shell.say("Nothing to undo in this session.");
  }

  const bindings: KeyBinding[] = [
    { keys: ["Enter", "a"], display: "Enter / A", description: "Accept the model's label", action: "accept", run: () => accept() },
    {
      keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
      display: "1 – 9",
      description: "Correct to label n (the number on its button)",
      run: (k) => {
        const l = labels()[Number(k) - 1];
        if (l !== undefined) choose(l);
      },
    },
    ...shell.flagBindings(),
    { keys: ["s"], display: "S", description: "Skip", action: "skip", run: () => client.decide({ action: "skip" }) },
    { keys: ["z"], display: "Z", description: "Undo the last decision", run: () => undo() },
    ...moveBindings((delta) => client.move(delta)),
  ];
  return { accept, choose, undo, bindings };
}

/** The label buttons of a view (1-9 with their key on the first nine), rebuilt only when
 * the label set changes; `mark` shows which is the model's label (when the model is shown)
 * and which the item's verdict chose. `badge`: the model's label is also marked in words
 * (a "model" badge), not only by an outline a hover could be taken for. */
export class LabelButtons {
  private key = "";
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private readonly badges = new Map<string, HTMLElement>();

  constructor(
    private readonly row: HTMLElement,
    private readonly onClick: (label: string) => void,
    private readonly opts: { badge?: boolean } = {},
  ) {}

  /** Build the buttons of `labels` (nothing to do when the set has not changed). */
  build(labels: string[]): void {
    const k = JSON.stringify(labels);
    if (k === this.key) return;
    this.key = k;
    clear(this.row);
    this.buttons.clear();
    this.badges.clear();
    labels.forEach((label, i) => {
      const badge = this.opts.badge ? el("span", { cls: "hitl-model-badge", testid: "model-badge", text: "model", hidden: true }) : null;
      const b = el(
        "button",
        {
          cls: "hitl-label-btn",
          testid: "label-button",
          attrs: { type: "button", tabindex: -1, "data-label": label, title: i < 9 ? `Press ${i + 1}` : undefined },
        },
        [i < 9 ? kbd(String(i + 1)) : null, el("span", { text: label }), badge],
      );
      b.addEventListener("click", () => this.onClick(label));
      this.buttons.set(label, b);
      if (badge) this.badges.set(label, badge);
      this.row.appendChild(b);
    });
  }

  /** Mark the model's label (`showModel`) and the label `item`'s verdict chose. */
  mark<I extends LabelledItem>(shell: ReviewShell<I>, item: I, showModel: boolean): void {
    const v = shell.client.foldOf(item).verdict;
    const chosen = v?.action === "correct" ? v.label : v?.action === "accept" ? (v.label ?? item.model_label) : null;
    for (const [label, b] of this.buttons) {
      const isModel = showModel && label === item.model_label;
      b.classList.toggle("is-model", isModel);
      const badge = this.badges.get(label);
      if (badge) show(badge, isModel);
      b.classList.toggle("is-chosen", label === chosen);
      setAttr(b, "aria-pressed", label === chosen ? "true" : "false");
    }
  }
}

/** The model's probability per label as bars in `container` (the label set's order first,
 * then labels the set does not have); hidden when the model is hidden or gave none. */
export function paintProba(container: HTMLElement, item: LabelledItem, names: string[], visible: boolean): void {
  clear(container);
  const p = item.proba;
  if (!visible || !p || typeof p !== "object") return show(container, false);
  const order = [...names.filter((l) => l in p), ...Object.keys(p).filter((l) => !names.includes(l))];
  for (const l of order) {
    const v = Number(p[l]);
    const w = Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0;
    const row = l === item.model_label ? " hitl-proba-row-model" : "";
    const fill = el("div", { cls: "hitl-proba-fill" });
    fill.style.width = `${(w * 100).toFixed(1)}%`;
    container.append(
      el("span", { cls: `hitl-proba-label${row}`, text: l, title: l }),
      el("div", { cls: `hitl-proba-track${row}` }, [fill]),
      el("span", { cls: `hitl-proba-value${row}`, text: formatPercent(v, 1) }),
    );
  }
  show(container, order.length > 0);
}

/** A verdict as the summary reads it. */
interface Verdict {
  action: string;
  label?: string | null;
  data?: unknown;
}

/** The summary's "agreement with the model" row: this session's latest verdicts on items
 * with a model label (an accept agrees; a correction agrees when it chose the model's
 * label; `markedWrong`: a verdict of the kind's own that says the model was wrong, e.g. a
 * grid tile flagged wrong), beside the kernel's figure over all of this annotator's
 * decisions (the `agreement` trait). */
export function agreementRows<I extends LabelledItem>(
  shell: ReviewShell<I>,
  model: AnyModel,
  markedWrong: (v: Verdict) => boolean = () => false,
): SummaryRow[] {
  const client = shell.client;
  let agree = 0;
  let compared = 0;
  for (const e of client.sessionLatest()) {
    const ml = e.item.model_label;
    const v = client.foldOf(e.item).verdict as Verdict | null | undefined;
    if (ml === null || ml === undefined || !v) continue;
    if (v.action !== "accept" && v.action !== "correct" && !markedWrong(v)) continue;
    compared++;
    if (v.action === "accept" || (v.action === "correct" && v.label === ml)) agree++;
  }
  const agreement = model.get("agreement");
  return [
    {
      key: "agreement",
      label: "agreement with the model",
      session: compared ? formatPercent(agree / compared, 1) : "—",
      all: typeof agreement === "number" ? formatPercent(agreement, 1) : "—",
    },
  ];
}
