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
import { clear, el, formatPercent, kbd, setAttr, setText, show } from "../lib/dom";
import { agreementRows, labelActions, paintProba } from "../lib/labelreview";
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
  const client = shell.client;

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
  let labelsKey = "";
  const buttons = new Map<string, HTMLButtonElement>();
  /** the "model" badge in each label's button (shown on the model's label) */
  const badges = new Map<string, HTMLElement>();
  function buildButtons(): void {
    const raw = model.get("labels");
    if (raw === labelsRef) return;
    labelsRef = raw;
    const list = labels();
    const k = JSON.stringify(list);
    if (k === labelsKey) return;
    labelsKey = k;
    clear(labelsRow);
    buttons.clear();
    badges.clear();
    list.forEach((label, i) => {
      // the model's label is marked in words (a badge), not only by an outline that a
      // hover could be taken for
      const badge = el("span", { cls: "hitl-model-badge", testid: "model-badge", text: "model", hidden: true });
      const b = el(
        "button",
        {
          cls: "hitl-label-btn",
          testid: "label-button",
          attrs: { type: "button", tabindex: -1, "data-label": label, title: i < 9 ? `Press ${i + 1}` : undefined },
        },
        [i < 9 ? kbd(String(i + 1)) : null, el("span", { text: label }), badge],
      );
      b.addEventListener("click", () => choose(label));
      buttons.set(label, b);
      badges.set(label, badge);
      labelsRow.appendChild(b);
    });
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
    const v = client.foldOf(item).verdict;
    const chosen = v?.action === "correct" ? v.label : v?.action === "accept" ? (v.label ?? item.model_label) : null;
    for (const [label, b] of buttons) {
      const isModel = sm && label === item.model_label;
      b.classList.toggle("is-model", isModel);
      const badge = badges.get(label);
      if (badge) show(badge, isModel);
      b.classList.toggle("is-chosen", label === chosen);
      setAttr(b, "aria-pressed", label === chosen ? "true" : "false");
    }
  };

  shell.summaryRows = () => agreementRows(shell, model);

  return shell.mount(host);
}

function render({ model, el: host }: RenderProps): () => void {
  return mount(model, host);
}

export default { render };
