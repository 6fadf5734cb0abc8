/**
 * Classification review widget (anywidget ESM entry): a text, the model's label with its
 * confidence and class probabilities, one button per label.
 *
 * Keys: Enter / A accept the model label, 1-9 correct to label n, F flag (note box),
 * S skip, Z undo, ArrowLeft / ArrowRight move, G guideline, ? help. See docs/protocol.md.
 * The frame, the flag note, the guideline, gold feedback, breaks and pace are the
 * shell's (lib/shell.ts).
 */
import "../lib/theme.css";
import type { AnyModel, RenderProps } from "@anywidget/types";
import { el, formatPercent, kbd, setText, show } from "../lib/dom";
import { agreementRows, LabelButtons, labelActions, paintProba } from "../lib/labelreview";
import { describeState } from "../lib/fold";
import { ReviewShell, type ShellOptions } from "../lib/shell";
import type { TimedRoot } from "../lib/paint";
import type { ClassificationItem } from "../lib/types";

export type { Timing } from "../lib/paint";
export type HitlRoot = TimedRoot;
export type MountOptions = ShellOptions;

export function mount(model: AnyModel, host: HTMLElement, options: MountOptions = {}): () => void {
  const shell: ReviewShell<ClassificationItem> = new ReviewShell<ClassificationItem>(
    model,
    {
      kind: "classification",
      ariaLabel: "Classification review",
      helpTitle: "Classification review keys",
      footer: [
        kbd("Enter"), "/", kbd("A"), " accept · ", kbd("1–9"), " correct · ", kbd("F"), " flag · ",
        kbd("S"), " skip · ", kbd("Z"), " undo · ", kbd("←"), kbd("→"), " move · ", kbd("?"), " keys",
      ],
      flag: { description: "Flag as ambiguous (note: Enter saves, Esc cancels)" },
      describe: (st, item) => {
        if (st.action === "accept") {
          const l = st.label ?? item.model_label;
          return l ? `accepted: ${l}` : "accepted";
        }
        if (st.action === "correct") return `corrected → ${st.label ?? ""}`;
        return describeState(st, shell.client.vocabulary());
      },
    },
    options,
  );

  /* ------------------------------------------------------------ skeleton */
  const text = el("div", { cls: "hitl-text", testid: "item-text" });
  const modelLabel = el("span", { cls: "hitl-model-name", testid: "model-label" });
  const confidence = el("span", { cls: "hitl-confidence", testid: "confidence" });
  const modelRow = el("div", { cls: "hitl-model" }, [el("span", { text: "Model:" }), modelLabel, confidence]);
  const proba = el("div", { cls: "hitl-proba", testid: "proba", hidden: true });
  const labelsRow = el("div", { cls: "hitl-labels", attrs: { role: "group", "aria-label": "Labels" } });
  shell.itemPane.append(text, modelRow, proba, labelsRow, shell.note!.box);

  const labels = (): string[] => {
    const l = model.get("labels");
    return Array.isArray(l) ? l.map(String) : [];
  };

  /* ------------------------------------------------------------ actions and keys */
  const { choose, bindings } = labelActions(shell, labels);
  shell.bind(bindings);

  /* ------------------------------------------------------------ painting */
  let labelsRef: unknown = undefined;
  const buttons = new LabelButtons(labelsRow, (label) => choose(label), { badge: true });
  function buildButtons(): void {
    const raw = model.get("labels");
    if (raw === labelsRef) return;
    labelsRef = raw;
    buttons.build(labels());
  }

  shell.paintItem = (item, fresh) => {
    buildButtons();
    if (fresh) {
      setText(text, item.text);
      text.setAttribute("data-item-id", String(item.item_id));
      text.scrollTop = 0;
      paintProba(proba, item, labels(), shell.showModel());
    }
    const sm = shell.showModel();
    show(modelRow, sm);
    setText(modelLabel, sm ? (item.model_label ?? "—") : "");
    setText(confidence, sm && typeof item.confidence === "number" ? formatPercent(item.confidence, 1) : "");
    buttons.mark(shell, item, sm);
  };

  shell.summaryRows = () => agreementRows(shell, model);

  return shell.mount(host);
}

function render({ model, el: host }: RenderProps): () => void {
  return mount(model, host);
}

export default { render };
