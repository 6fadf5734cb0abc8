/**
 * Pairwise review widget (anywidget ESM entry): two responses to one prompt, shown as
 * LEFT and RIGHT (which of a / b is on the left is drawn by the kernel from the seed and
 * the item id), compared from the keyboard.
 *
 * Keys: 1 left is better, 2 right is better, 3 tie, 4 both bad; Shift+1–4 chooses and
 * keeps the pair on screen with the reason box open (Enter sends the choice with the
 * reason and moves on, Esc sends it without one: the `compare` decision is sent once,
 * when the reason is saved or skipped); R writes a reason first (Enter keeps it, Esc
 * drops it; the next 1–4 carries it); F flag, S skip, Z undo, ← / → move, ↑ / ↓ / Space
 * / Page keys scroll both sides, N / Home / End jump, ? all keys.
 *
 * When the two answers are nearly the same (more than 60% of their words shared), the
 * words that differ are marked on each side (lib/pairdiff.ts).
 *
 * The decision: action "compare", note = the reason, data = {choice: "a" | "b" | "tie"
 * | "both_bad", left: "a" | "b" (the response shown on the left), seed, reason}.
 * The frame, the flag note, the guideline, gold feedback, breaks and pace are the
 * shell's (lib/shell.ts).
 */
import "../lib/theme.css";
import "../lib/review.css";
import type { AnyModel, RenderProps } from "@anywidget/types";
import { describeState } from "../lib/fold";
import type { KeyBinding } from "../lib/keyboard";
import { el, kbd, setAttr, setText, show } from "../lib/dom";
import { safeMarkdownFragment } from "../lib/markdown";
import { PromptPanel, type PromptItem } from "../lib/prompt";
import { noteBox } from "../lib/boxes";
import { moveBindings, scrollBindings } from "../lib/bindings";
import { markPairDifferences } from "../lib/pairdiff";
import { ReviewShell, type ShellOptions } from "../lib/shell";
import type { ItemState } from "../lib/types";

export interface PairwiseItem extends PromptItem {
  left: "a" | "b";
  left_text: string;
  right_text: string;
  seed: number | string;
}

export type Side = "left" | "right" | "tie" | "both_bad";
export type Choice = "a" | "b" | "tie" | "both_bad";
export type MountOptions = ShellOptions;

const SIDE_LABEL: Record<Side, string> = {
  left: "Left is better",
  right: "Right is better",
  tie: "Tie",
  both_bad: "Both bad",
};
const SIDES: Side[] = ["left", "right", "tie", "both_bad"];

/** a / b choice from the side the person picked, given which response was on the left */
export function choiceOf(side: Side, left: "a" | "b"): Choice {
  if (side === "left") return left;
  if (side === "right") return left === "a" ? "b" : "a";
  return side;
}

/** the side a stored choice was on, for the response shown on the left */
export function sideOf(choice: unknown, left: unknown): Side | null {
  if (choice === "tie" || choice === "both_bad") return choice;
  if (choice !== "a" && choice !== "b") return null;
  return choice === left ? "left" : "right";
}

/** the side a state's comparison chose, if it is one */
function sideOfState(st: ItemState | null, item: PairwiseItem): Side | null {
  if (st?.action !== "compare") return null;
  const data = (st.data ?? {}) as Record<string, unknown>;
  return sideOf(data.choice ?? st.label, data.left ?? item.left);
}

export function mount(model: AnyModel, host: HTMLElement, options: MountOptions = {}): () => void {
  const shell: ReviewShell<PairwiseItem> = new ReviewShell<PairwiseItem>(
    model,
    {
      kind: "pairwise",
      ariaLabel: "Pairwise review",
      helpTitle: "Pairwise review keys",
      footer: [
        kbd("1"), " left better · ", kbd("2"), " right better · ", kbd("3"), " tie · ", kbd("4"), " both bad · ",
        kbd("R"), " reason · ", kbd("F"), " flag · ", kbd("S"), " skip · ", kbd("Z"), " undo · ",
        kbd("←"), kbd("→"), " move · ", kbd("?"), " keys",
      ],
      flag: { buttons: false },
      describe: (st, item) => {
        if (st.action === "compare") {
          const side = sideOfState(st, item);
          const base = side ? SIDE_LABEL[side].toLowerCase() : "compared";
          return st.note ? `${base}: ${st.note}` : base;
        }
        return describeState(st, shell.client.vocabulary());
      },
    },
    options,
  );
  const client = shell.client;

  /* ------------------------------------------------------------ skeleton */
  // the two responses are rendered (markdown -> sanitized nodes) in idle time with the prompt
  // (and where two nearly identical answers differ is marked then too)
  const panel = new PromptPanel<PairwiseItem, { left: DocumentFragment; right: DocumentFragment; marks: number }>(shell, (item) => {
    const left = safeMarkdownFragment(item.left_text);
    const right = safeMarkdownFragment(item.right_text);
    let marks = 0;
    try {
      marks = markPairDifferences(left, right);
    } catch (err) {
      console.error("hitl_widgets: marking the differences failed", err);
    }
    return { left, right, marks };
  });

  const leftText = el("div", { cls: "hitl-md hitl-scroll", testid: "left-text" });
  const rightText = el("div", { cls: "hitl-md hitl-scroll", testid: "right-text" });
  const leftSide = el("div", { cls: "hitl-side", testid: "left" }, [
    el("div", { cls: "hitl-side-title" }, [kbd("1"), " Left"]),
    leftText,
  ]);
  const rightSide = el("div", { cls: "hitl-side", testid: "right" }, [
    el("div", { cls: "hitl-side-title" }, [kbd("2"), " Right"]),
    rightText,
  ]);
  const pair = el("div", { cls: "hitl-pair", testid: "item-text" }, [leftSide, rightSide]);
  const reasonLine = el("div", { cls: "hitl-pair-reason", testid: "reason", hidden: true });

  const BEFORE_PLACEHOLDER = "Why? Enter keeps the reason (then 1–4), Esc drops it";
  const AFTER_PLACEHOLDER = "Why? Enter saves the choice with this reason, Esc saves it without";
  const reason = noteBox({
    name: "reason",
    placeholder: BEFORE_PLACEHOLDER,
    ariaLabel: "Reason",
    buttons: ["Keep"],
  });
  const [reasonKeep] = reason.buttons;

  const choiceButtons = new Map<Side, HTMLButtonElement>();
  const choicesRow = el("div", { cls: "hitl-labels hitl-actions", attrs: { role: "group", "aria-label": "Choices" } });
  SIDES.forEach((side, i) => {
    const b = el(
      "button",
      { cls: "hitl-label-btn hitl-choice-btn", testid: "choice-button", attrs: { type: "button", tabindex: -1, "data-choice": side } },
      [kbd(String(i + 1)), el("span", { text: SIDE_LABEL[side] })],
    );
    b.addEventListener("click", () => shell.timeKey("click", null, () => choose(side)));
    choiceButtons.set(side, b);
    choicesRow.appendChild(b);
  });

  shell.itemPane.append(panel.contextBlock, panel.promptBlock, pair, reasonLine, reason.box, shell.note!.box, choicesRow);

  /* ------------------------------------------------------------ actions */
  /** reason kept for an item (by item id) until a choice uses it */
  const reasons = new Map<string, string>();
  /** a choice made with Shift+1–4, sent once its reason is saved (Enter) or skipped (Esc) */
  let pending: { itemId: string; side: Side } | null = null;

  function decideCompare(item: PairwiseItem, side: Side, reasonText: string | null): void {
    const left = item.left === "b" ? "b" : "a";
    reasons.delete(item.item_id);
    client.decide({
      action: "compare",
      note: reasonText,
      data: { choice: choiceOf(side, left), left, seed: item.seed ?? null, reason: reasonText },
    });
  }

  function choose(side: Side): void {
    const item = client.current();
    if (!item) return;
    shell.clearMessage();
    decideCompare(item, side, reasons.get(item.item_id) || null);
  }

  /** Shift+1–4: the choice is made, the pair stays with the reason box open. */
  function chooseThenReason(side: Side): void {
    const item = client.current();
    if (!item) return;
    shell.clearMessage();
    shell.openBox("reason");
    pending = { itemId: item.item_id, side };
    reason.input.placeholder = AFTER_PLACEHOLDER;
    setText(reasonKeep, "Save");
    reason.open(reasons.get(item.item_id) ?? "");
    shell.paint();
  }

  /** Enter (with the reason) or Esc (without) after Shift+1–4: send the choice, move on. */
  function finishChoice(withReason: boolean): void {
    const p = pending;
    const item = client.current();
    const text = withReason ? reason.input.value.trim() : "";
    pending = null;
    closeBoxes(true);
    if (!p || !item || item.item_id !== p.itemId) return shell.paint();
    shell.timeKey(withReason ? "shift-enter" : "shift-escape", null, () => decideCompare(item, p.side, text || null));
  }

  function undo(): void {
    shell.clearMessage();
    if (!client.undo()) shell.say("Nothing to undo in this session.");
  }

  // (the shell's boxes: one open at a time, a modal, closed when the item changes)
  const closeBoxes = (refocus: boolean) => shell.closeBoxes(refocus);
  shell.onBoxClose = () => {
    // the box closed another way (the item changed under it): the choice was not sent
    if (pending) {
      pending = null;
      shell.say("The choice was not saved (the item changed before Enter / Esc).");
    }
    reason.input.placeholder = BEFORE_PLACEHOLDER;
    setText(reasonKeep, "Keep");
  };
  function openReason(): void {
    const item = client.current();
    if (!item) return;
    shell.openBox("reason");
    reason.open(reasons.get(item.item_id) ?? "");
  }
  function keepReason(): void {
    if (pending) return finishChoice(true);
    const item = client.current();
    if (!item || !shell.isBoxOpen("reason")) return closeBoxes(true);
    const r = reason.input.value.trim();
    if (r) reasons.set(item.item_id, r);
    else reasons.delete(item.item_id);
    closeBoxes(true);
    shell.paint();
    if (r) shell.say("Reason kept: now press 1–4 to decide.");
  }
  function dropReason(): void {
    if (pending) return finishChoice(false);
    const item = client.current();
    if (item && shell.boxes.openName === "reason") reasons.delete(item.item_id);
    closeBoxes(true);
    shell.paint();
  }
  shell.addBox("reason", reason.box, reason.input, { onEnter: keepReason, onEscape: dropReason });
  reasonKeep.addEventListener("click", keepReason);

  /* ------------------------------------------------------------ keys */
  // Shift+1 is "!" on many layouts: the key layer falls back to the key's code (Digit1)
  const pick = (side: Side) => (_k: string, ev: KeyboardEvent) => (ev.shiftKey ? chooseThenReason(side) : choose(side));
  const bindings: KeyBinding[] = [
    { keys: ["1"], display: "1", description: "The LEFT response is better", action: "compare", run: pick("left") },
    { keys: ["2"], display: "2", description: "The RIGHT response is better", action: "compare", run: pick("right") },
    { keys: ["3"], display: "3", description: "Tie: both equally good", action: "compare", run: pick("tie") },
    { keys: ["4"], display: "4", description: "Both bad", action: "compare", run: pick("both_bad") },
    {
      keys: ["Shift+1–4"],
      display: "Shift + 1 – 4",
      description: "Choose, then add a reason: the pair stays with the reason box open (Enter saves the choice with the reason and moves on, Esc saves it without one)",
      action: "compare",
      run: () => {},
    },
    { keys: ["r"], display: "R", description: "Write a reason first (Enter keeps it, then 1–4; Esc drops it)", action: "compare", run: () => openReason() },
    ...shell.flagBindings(),
    { keys: ["s"], display: "S", description: "Skip", action: "skip", run: () => client.decide({ action: "skip" }) },
    { keys: ["z"], display: "Z", description: "Undo the last decision", run: () => undo() },
    ...moveBindings((delta) => client.move(delta)),
    ...scrollBindings(() => [leftText, rightText], { line: "Scroll both responses by a line", page: "Scroll both by a page" }),
  ];
  shell.bind(bindings);

  /* ------------------------------------------------------------ painting */
  shell.paintItem = (item, fresh) => {
    if (fresh) {
      panel.scrollToTop(leftText, rightText);
      const b = panel.fill(item);
      leftText.replaceChildren(b.left);
      rightText.replaceChildren(b.right);
      pair.setAttribute("data-item-id", String(item.item_id));
      setAttr(pair, "data-marked", b.marks > 0 ? String(b.marks) : null);
    }
    // a Shift+1–4 choice waiting for its reason shows as chosen already
    const waiting = pending && pending.itemId === item.item_id ? pending.side : null;
    const side = waiting ?? sideOfState(client.stateOf(item), item);
    for (const [s, b] of choiceButtons) {
      b.classList.toggle("is-chosen", s === side);
      setAttr(b, "aria-pressed", s === side ? "true" : "false");
    }
    leftSide.classList.toggle("is-chosen", side === "left");
    rightSide.classList.toggle("is-chosen", side === "right");
    leftSide.classList.toggle("is-rejected", side === "right" || side === "both_bad");
    rightSide.classList.toggle("is-rejected", side === "left" || side === "both_bad");
    setAttr(pair, "data-pending", waiting);
    const kept = reasons.get(item.item_id);
    const line = waiting
      ? `${SIDE_LABEL[waiting]}: type a reason, Enter saves both and moves on (Esc: without a reason)`
      : kept
        ? `Reason (sent with the next choice): ${kept}`
        : "";
    setText(reasonLine, line);
    show(reasonLine, !!line);
  };
  shell.summaryRows = () => {
    let left = 0;
    let won = 0;
    for (const e of client.sessionLatest()) {
      // each item's standing comparison (the fold's verdict)
      const v = client.foldOf(e.item).verdict;
      if (v?.action !== "compare") continue;
      const d = (v.data ?? {}) as Record<string, unknown>;
      const s = sideOf(d.choice, d.left);
      if (s === "left" || s === "right") {
        won++;
        if (s === "left") left++;
      }
    }
    return [
      {
        key: "left-rate",
        label: "left side chosen (of left / right wins)",
        session: won ? `${left} / ${won}` : "—",
        all: "",
      },
    ];
  };

  return shell.mount(host);
}

function render({ model, el: host }: RenderProps): () => void {
  return mount(model, host);
}

export default { render };
