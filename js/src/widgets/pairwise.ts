/**
 * Pairwise review widget (anywidget ESM entry): two responses to one prompt, shown as
 * LEFT and RIGHT (which of a / b is on the left is drawn by the kernel from the seed and
 * the item id), compared from the keyboard.
 *
 * Keys: 1 left is better, 2 right is better, 3 tie, 4 both bad; R writes a reason
 * first (Enter keeps it, Esc drops it; the next 1–4 carries it); F flag, S skip, Z undo,
 * ← / → move, ↑ / ↓ / Space / Page keys scroll both sides, ? all keys.
 *
 * The decision: action "compare", note = the reason, data = {choice: "a" | "b" | "tie"
 * | "both_bad", left: "a" | "b" (the response shown on the left), seed, reason}.
 */
import "../lib/theme.css";
import "../lib/review.css";
import type { AnyModel, RenderProps } from "@anywidget/types";
import { STATUS_OF_ACTION } from "../lib/protocol";
import type { KeyBinding } from "../lib/keyboard";
import { el, kbd, setAttr, setText, show } from "../lib/dom";
import { chatFragment, safeMarkdownFragment, type ChatMessage } from "../lib/markdown";
import { Prerender } from "../lib/prerender";
import { ReviewShell, type ShellOptions } from "../lib/shell";
import type { BaseItem, ItemState } from "../lib/types";

export interface PairwiseItem extends BaseItem {
  prompt: string;
  context: ChatMessage[] | null;
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
const SCROLL_LINE = 48;

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

export function mount(model: AnyModel, host: HTMLElement, options: MountOptions = {}): () => void {
  const shell = new ReviewShell<PairwiseItem>(
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
    },
    options,
  );
  const client = shell.client;
  const root = shell.root;

  /* ------------------------------------------------------------ skeleton */
  const contextEl = el("div", { cls: "hitl-chat", testid: "context" });
  const contextBlock = el("section", { cls: "hitl-block hitl-context-block", hidden: true }, [
    el("div", { cls: "hitl-block-title", text: "Conversation" }),
    contextEl,
  ]);
  const promptEl = el("div", { cls: "hitl-md hitl-prompt", testid: "prompt" });
  const promptBlock = el("section", { cls: "hitl-block" }, [el("div", { cls: "hitl-block-title", text: "Prompt" }), promptEl]);

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

  const reasonInput = el("input", {
    cls: "hitl-note-input",
    testid: "reason-input",
    attrs: { type: "text", placeholder: "Why? Enter keeps the reason (then 1–4), Esc drops it", "aria-label": "Reason" },
  });
  const reasonKeep = el("button", { cls: "hitl-btn", text: "Keep", attrs: { type: "button", tabindex: -1 } });
  const reasonBox = el("div", { cls: "hitl-note", testid: "reason-box", hidden: true }, [reasonInput, reasonKeep]);
  const noteInput = el("input", {
    cls: "hitl-note-input",
    testid: "note-input",
    attrs: { type: "text", placeholder: "Why is it ambiguous? Enter saves, Esc cancels", "aria-label": "Flag note" },
  });
  const noteBox = el("div", { cls: "hitl-note", testid: "note-box", hidden: true }, [noteInput]);

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

  shell.itemPane.append(contextBlock, promptBlock, pair, reasonLine, reasonBox, noteBox, choicesRow);

  /* ------------------------------------------------------------ actions */
  /** reason kept for an item (by item id) until a choice uses it */
  const reasons = new Map<string, string>();

  function choose(side: Side): void {
    const item = client.current();
    if (!item) return;
    shell.clearMessage();
    const left = item.left === "b" ? "b" : "a";
    const reason = reasons.get(item.item_id) || null;
    reasons.delete(item.item_id);
    client.decide({
      action: "compare",
      note: reason,
      data: { choice: choiceOf(side, left), left, seed: item.seed ?? null, reason },
    });
  }

  function undo(): void {
    shell.clearMessage();
    if (!client.undo()) shell.say("Nothing to undo in this session.");
  }

  function scroll(lines: number, page = false): void {
    for (const t of [leftText, rightText]) {
      const step = page ? Math.max(SCROLL_LINE, t.clientHeight * 0.9) : SCROLL_LINE;
      t.scrollTop += lines * step;
    }
  }

  let openName: "reason" | "note" | null = null;
  let boxQi = -1;
  function closeBoxes(refocus: boolean): void {
    if (openName === null) return;
    show(reasonBox, false);
    show(noteBox, false);
    openName = null;
    boxQi = -1;
    if (refocus) shell.focus();
  }
  function openBox(name: "reason" | "note"): void {
    const item = client.current();
    if (!item) return;
    closeBoxes(false);
    openName = name;
    boxQi = client.cursor;
    if (name === "reason") {
      reasonInput.value = reasons.get(item.item_id) ?? "";
      show(reasonBox, true);
      reasonInput.focus({ preventScroll: true });
    } else {
      const st = client.stateOf(item);
      noteInput.value = st?.action === "flag" && st.note ? st.note : "";
      show(noteBox, true);
      noteInput.focus({ preventScroll: true });
    }
  }
  function keepReason(): void {
    const item = client.current();
    if (!item || openName !== "reason" || client.cursor !== boxQi) return closeBoxes(true);
    const r = reasonInput.value.trim();
    if (r) reasons.set(item.item_id, r);
    else reasons.delete(item.item_id);
    closeBoxes(true);
    shell.paint();
    if (r) shell.say("Reason kept: now press 1–4 to decide.");
  }
  function dropReason(): void {
    const item = client.current();
    if (item && openName === "reason") reasons.delete(item.item_id);
    closeBoxes(true);
    shell.paint();
  }
  function saveNote(): void {
    if (openName !== "note" || client.cursor !== boxQi) return closeBoxes(true);
    const note = noteInput.value.trim();
    closeBoxes(true);
    shell.timeKey("f-enter", null, () => client.decide({ action: "flag", note: note || null }));
  }
  shell.textBox(reasonInput, { onEnter: keepReason, onEscape: dropReason });
  shell.textBox(noteInput, { onEnter: saveNote, onEscape: () => closeBoxes(true) });
  reasonKeep.addEventListener("click", keepReason);

  /* ------------------------------------------------------------ keys */
  const bindings: KeyBinding[] = [
    { keys: ["1"], display: "1", description: "The LEFT response is better", run: () => choose("left") },
    { keys: ["2"], display: "2", description: "The RIGHT response is better", run: () => choose("right") },
    { keys: ["3"], display: "3", description: "Tie: both equally good", run: () => choose("tie") },
    { keys: ["4"], display: "4", description: "Both bad", run: () => choose("both_bad") },
    { keys: ["r"], display: "R", description: "Write a reason first (Enter keeps it, then 1–4; Esc drops it)", run: () => openBox("reason") },
    { keys: ["f"], display: "F", description: "Flag as ambiguous, with a note (Enter saves, Esc cancels)", run: () => openBox("note") },
    { keys: ["s"], display: "S", description: "Skip", run: () => client.decide({ action: "skip" }) },
    { keys: ["z"], display: "Z", description: "Undo the last decision", run: () => undo() },
    { keys: ["ArrowLeft"], description: "Back (no decision)", repeat: true, run: () => client.move(-1) },
    { keys: ["ArrowRight"], description: "Forward (no decision)", repeat: true, run: () => client.move(1) },
    { keys: ["ArrowUp"], display: "↑", description: "Scroll both responses up", repeat: true, run: () => scroll(-1) },
    { keys: ["ArrowDown"], display: "↓", description: "Scroll both responses down", repeat: true, run: () => scroll(1) },
    { keys: ["PageUp"], display: "PgUp", description: "Scroll up a page", repeat: true, run: () => scroll(-1, true) },
    { keys: ["PageDown", " "], display: "PgDn / Space", description: "Scroll down a page", repeat: true, run: () => scroll(1, true) },
    { keys: ["?"], description: "Show / hide the keys", run: () => shell.help.toggle() },
    { keys: ["Escape"], display: "Esc", description: "Close this help / a text box", run: () => shell.help.close() },
  ];
  shell.bind(bindings);

  /* ------------------------------------------------------------ painting */
  function describe(st: ItemState, side: Side | null): string {
    if (st.action === "compare") {
      const base = side ? SIDE_LABEL[side].toLowerCase() : "compared";
      return st.note ? `${base}: ${st.note}` : base;
    }
    if (st.action === "flag") return st.note ? `flagged: ${st.note}` : "flagged";
    if (st.action === "skip") return "skipped";
    return STATUS_OF_ACTION[st.action] ?? st.action;
  }

  /* The next pairs are rendered (markdown -> sanitized nodes) in idle time. */
  interface Built {
    prompt: DocumentFragment;
    chat: DocumentFragment;
    turns: number;
    left: DocumentFragment;
    right: DocumentFragment;
  }
  const build = (item: PairwiseItem): Built => {
    const chat = chatFragment(item.context);
    return {
      prompt: safeMarkdownFragment(item.prompt), chat: chat.fragment, turns: chat.turns,
      left: safeMarkdownFragment(item.left_text), right: safeMarkdownFragment(item.right_text),
    };
  };
  const prerender = new Prerender<PairwiseItem, Built>(build);
  shell.addCleanup(() => prerender.dispose());

  shell.paintItem = (item, fresh) => {
    if (fresh) {
      // scroll to the top before the new content is in (no second layout of long texts)
      promptEl.scrollTop = 0;
      contextEl.scrollTop = 0;
      leftText.scrollTop = 0;
      rightText.scrollTop = 0;
      if (openName !== null && boxQi !== client.cursor) closeBoxes(root.contains(document.activeElement));
      const b = prerender.take(item) ?? build(item);
      promptEl.replaceChildren(b.prompt);
      contextEl.replaceChildren(b.chat);
      show(contextBlock, b.turns > 0);
      leftText.replaceChildren(b.left);
      rightText.replaceChildren(b.right);
      const c = client.cursor;
      prerender.want([client.items.get(c + 1), client.items.get(c + 2), client.items.get(c - 1)]);
      pair.setAttribute("data-item-id", String(item.item_id));
    }
    const st = client.stateOf(item);
    const data = (st?.data ?? {}) as Record<string, unknown>;
    const side = st?.action === "compare" ? sideOf(data.choice ?? st.label, data.left ?? item.left) : null;
    shell.badge(st ? describe(st, side) : null, st?.action);
    for (const [s, b] of choiceButtons) {
      b.classList.toggle("is-chosen", s === side);
      setAttr(b, "aria-pressed", s === side ? "true" : "false");
    }
    leftSide.classList.toggle("is-chosen", side === "left");
    rightSide.classList.toggle("is-chosen", side === "right");
    leftSide.classList.toggle("is-rejected", side === "right" || side === "both_bad");
    rightSide.classList.toggle("is-rejected", side === "left" || side === "both_bad");
    const kept = reasons.get(item.item_id);
    setText(reasonLine, kept ? `Reason (sent with the next choice): ${kept}` : "");
    show(reasonLine, !!kept);
  };
  shell.onLeave = () => {
    if (openName !== null) closeBoxes(root.contains(document.activeElement));
  };
  shell.summaryRows = () => {
    let left = 0;
    let won = 0;
    for (const e of client.sessionLatest()) {
      if (e.decision.action !== "compare") continue;
      const d = (e.decision.data ?? {}) as Record<string, unknown>;
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
