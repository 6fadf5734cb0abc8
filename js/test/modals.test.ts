/** @vitest-environment jsdom */
/**
 * No key that closes a modal (break prompt, gold feedback card, note / reason / editor
 * boxes, help overlay) ever decides or moves: not its keydown, not a held key's repeats,
 * not the same keydown delivered twice (JupyterLab can deliver synthesized events), not a
 * keydown that began before the close. The first review key after a close is a fresh one.
 */
import { describe, expect, it, vi } from "vitest";
import type { AnyModel } from "@anywidget/types";
import { mount as mountGeneration, type GenerationItem } from "../src/widgets/generation";
import { mount as mountPairwise, type PairwiseItem } from "../src/widgets/pairwise";
import { FakeModel, frame, keydown, keyup, mountClassification as setup, mountWidget, press, q, useWidgetTests, type Mounted } from "./helpers";

useWidgetTests();

const visible = (e: HTMLElement) => !e.hidden && !e.closest("[hidden]");

/** what a decision or a move would change */
function snapshot(s: Mounted) {
  return {
    sent: s.model.decisions().length,
    position: q(s.root, "position").textContent,
    pending: q(s.root, "pending").textContent,
    state: s.root.getAttribute("data-state"),
  };
}

/**
 * After a modal was closed by `key` (its keydown dispatched, its keyup not yet): the same
 * keydown again, auto-repeats of it held, its keypress and keyup: none decides or moves;
 * a fresh press after the keyup does (`fresh` checks it).
 */
function closingKeyIsUsedUp(s: Mounted, key: string, target: Element = s.root, fresh?: () => void): void {
  const before = snapshot(s);
  // the same keydown delivered twice (a synthesized copy), then held (auto-repeat)
  keydown(s.root, key);
  if (target !== s.root) keydown(target, key);
  for (let i = 0; i < 3; i++) expect(keydown(s.root, key, { repeat: true }).defaultPrevented).toBe(true);
  const kp = new KeyboardEvent("keypress", { key, bubbles: true, cancelable: true });
  s.root.dispatchEvent(kp);
  expect(kp.defaultPrevented).toBe(true);
  expect(keyup(s.root, key).defaultPrevented).toBe(true); // the closing key's keyup is used up too
  expect(snapshot(s)).toEqual(before);
  if (fresh) fresh();
}

const BREAK2 = { config: { show_model: true, prefetch: 8, task: "t", break_every: 2 } };

/* ------------------------------------------------------------------ break prompt */
describe("break prompt: the closing key", () => {
  it("Enter ends the break and makes no decision; held or delivered twice, still none; a fresh Enter decides", () => {
    const s = setup({ traits: BREAK2 });
    press(s.root, "Enter");
    press(s.root, "Enter"); // 2nd decision: the break
    frame();
    const prompt = q(s.root, "break-prompt");
    expect(visible(prompt)).toBe(true);
    const before = snapshot(s);
    expect(keydown(s.root, "Enter").defaultPrevented).toBe(true); // ends the break
    expect(prompt.hidden).toBe(true);
    expect(snapshot(s)).toEqual(before);
    closingKeyIsUsedUp(s, "Enter", s.root, () => {
      press(s.root, "Enter");
      expect(s.model.decisions()).toHaveLength(3);
      expect(q(s.root, "position").textContent).toBe("4 / 40");
    });
  });

  it("while it is open every key is used up: held keys, modifiers, Tab, the press that opened it", () => {
    const s = setup({ traits: BREAK2 });
    press(s.root, "Enter");
    keydown(s.root, "s"); // the 2nd decision opens the break; its keyup has not come yet
    frame();
    const prompt = q(s.root, "break-prompt");
    expect(visible(prompt)).toBe(true);
    const before = snapshot(s);
    keydown(s.root, "s"); // the same press again (synthesized): not a "back from the break"
    keydown(s.root, "Enter", { repeat: true });
    keydown(s.root, "Shift");
    keydown(s.root, "Tab");
    expect(visible(prompt)).toBe(true);
    expect(snapshot(s)).toEqual(before);
    keyup(s.root, "s");
    press(s.root, "ArrowRight"); // a real key: ends the break, does not move
    expect(prompt.hidden).toBe(true);
    expect(snapshot(s)).toEqual(before);
    press(s.root, "ArrowRight");
    expect(q(s.root, "position").textContent).toBe("4 / 40");
  });

  it("a keydown that began before the break ended is refused; after the button, repeats are refused", () => {
    const s = setup({ traits: BREAK2 });
    press(s.root, "Enter");
    press(s.root, "Enter");
    frame();
    const early = new KeyboardEvent("keydown", { key: "s", bubbles: true, cancelable: true });
    vi.advanceTimersByTime(30);
    const before = snapshot(s);
    press(s.root, "x"); // ends the break
    s.root.dispatchEvent(early); // stamped before that: queued from before the close
    expect(snapshot(s)).toEqual(before);
    // the button ends the next break; a key held since then only repeats
    press(s.root, "Enter");
    press(s.root, "Enter");
    frame();
    q<HTMLButtonElement>(s.root, "break-dismiss").click();
    const after = snapshot(s);
    keydown(s.root, "Enter", { repeat: true });
    keydown(s.root, "ArrowRight", { repeat: true });
    expect(snapshot(s)).toEqual(after);
    press(s.root, "s");
    expect(s.model.decisions().at(-1)!.action).toBe("skip");
  });
});

/* ------------------------------------------------------------------ gold feedback */
describe("gold feedback card: the closing key", () => {
  function wrongFeedback(s: Mounted): void {
    press(s.root, "2");
    const d = s.model.decisions().at(-1)!;
    s.model.deliver({
      type: "ack",
      ids: [d.id],
      errors: {},
      feedback: { [d.id]: { item_id: d.item_id, gold: true, correct: false, given: "neg", expected: "pos", passage: "## pos\nx" } },
    });
  }

  for (const key of ["Enter", "Escape", "s", "1"]) {
    it(`${key} closes a wrong answer's card and makes no decision (held, twice: none)`, () => {
      const s = setup();
      wrongFeedback(s);
      const card = q(s.root, "gold-feedback");
      expect(visible(card)).toBe(true);
      const before = snapshot(s);
      keydown(s.root, key);
      expect(card.hidden).toBe(true);
      expect(snapshot(s)).toEqual(before);
      closingKeyIsUsedUp(s, key, s.root, () => {
        press(s.root, "Enter");
        expect(s.model.decisions()).toHaveLength(2);
        expect(q(s.root, "position").textContent).toBe("3 / 40");
      });
    });
  }

  it("a right answer's card is no modal: the next key goes away with it and acts", () => {
    const s = setup();
    press(s.root, "Enter");
    const d = s.model.decisions()[0];
    s.model.deliver({
      type: "ack",
      ids: [d.id],
      feedback: { [d.id]: { item_id: d.item_id, gold: true, correct: true, given: "pos", expected: "pos", passage: "" } },
    });
    press(s.root, "s");
    expect(q(s.root, "gold-feedback").hidden).toBe(true);
    expect(s.model.decisions().map((x) => x.action)).toEqual(["accept", "skip"]);
  });
});

/* ------------------------------------------------------------------ note box */
describe("note box: the closing key", () => {
  it("Enter saves the flag (that one decision) and nothing more: held, twice, at the root", () => {
    const s = setup();
    press(s.root, "f");
    const input = q<HTMLInputElement>(s.root, "note-input");
    input.value = "unclear";
    keydown(input, "Enter"); // saves the flag, moves on, the focus back on the root
    expect(s.model.decisions().map((d) => [d.action, d.note])).toEqual([["flag", "unclear"]]);
    expect(q(s.root, "note-box").hidden).toBe(true);
    expect(document.activeElement).toBe(s.root);
    expect(q(s.root, "pending").textContent).toBe("1");
    closingKeyIsUsedUp(s, "Enter", input, () => {
      press(s.root, "Enter");
      expect(s.model.decisions().map((d) => d.action)).toEqual(["flag", "accept"]);
    });
  });

  it("Escape cancels and nothing else happens", () => {
    const s = setup();
    const before = snapshot(s);
    press(s.root, "f");
    keydown(q(s.root, "note-input"), "Escape");
    expect(q(s.root, "note-box").hidden).toBe(true);
    expect(snapshot(s)).toEqual(before);
    closingKeyIsUsedUp(s, "Escape");
    expect(snapshot(s)).toEqual(before);
  });

  it("a key that reaches the widget while the box is open decides nothing: Esc closes the box, others go back to it", () => {
    const s = setup();
    press(s.root, "f");
    const input = q<HTMLInputElement>(s.root, "note-input");
    s.root.focus(); // e.g. a click beside the box
    const before = snapshot(s);
    for (const k of ["Enter", "s", "2", "z", "ArrowRight", "?"]) press(s.root, k);
    expect(snapshot(s)).toEqual(before);
    expect(q(s.root, "help").hidden).toBe(true);
    expect(document.activeElement).toBe(input);
    s.root.focus();
    press(s.root, "Escape");
    expect(q(s.root, "note-box").hidden).toBe(true);
    expect(snapshot(s)).toEqual(before);
    press(s.root, "s");
    expect(s.model.decisions().map((d) => d.action)).toEqual(["skip"]);
  });
});

/* ------------------------------------------------------------------ help */
describe("help overlay: the closing key", () => {
  for (const key of ["?", "Escape", "Enter", "a"]) {
    it(`${key} closes the help and makes no decision (held, twice: none)`, () => {
      const s = setup();
      const help = q(s.root, "help");
      press(s.root, "?");
      expect(help.hidden).toBe(false);
      const before = snapshot(s);
      keydown(s.root, key);
      expect(help.hidden).toBe(true);
      expect(snapshot(s)).toEqual(before);
      closingKeyIsUsedUp(s, key, s.root, () => {
        press(s.root, "Enter");
        expect(s.model.decisions()).toHaveLength(1);
      });
    });
  }

  it("the ? that opened it, delivered again before its keyup, does not close it", () => {
    const s = setup();
    keydown(s.root, "?");
    keydown(s.root, "?");
    expect(q(s.root, "help").hidden).toBe(false);
    keyup(s.root, "?");
    press(s.root, "?");
    expect(q(s.root, "help").hidden).toBe(true);
  });
});

/* ------------------------------------------------------------------ generation and pairwise boxes */
function genItems(n: number): GenerationItem[] {
  return Array.from({ length: n }, (_, qi) => ({
    qi,
    item_id: `gen-${qi}`,
    content_hash: `h${qi}`,
    prompt: `prompt ${qi}`,
    context: null,
    response: `response number ${qi}`,
    decision: null,
    reasons: [],
  }));
}

function pairItems(n: number): PairwiseItem[] {
  return Array.from({ length: n }, (_, qi) => ({
    qi,
    item_id: `pair-${qi}`,
    content_hash: `h${qi}`,
    prompt: `prompt ${qi}`,
    context: null,
    left: "a" as const,
    left_text: `left ${qi}`,
    right_text: `right ${qi}`,
    seed: 1,
    decision: null,
    reasons: [],
  }));
}

function mountKind(mount: (m: AnyModel, h: HTMLElement, o: { sendAfterFrame?: boolean }) => () => void, kind: string, items: { qi: number }[], config: Record<string, unknown> = {}) {
  const model = new FakeModel({ kind, labels: [], queue_length: items.length, total: items.length, config: { prefetch: 8, task: kind, ...config } });
  return mountWidget(mount, model, items as never);
}

describe("generation and pairwise boxes: the closing key", () => {
  it("generation: Ctrl+Enter saves the edit (no move); that Enter again, held or plain, neither accepts nor moves", () => {
    const s = mountKind(mountGeneration, "generation", genItems(4));
    press(s.root, "e");
    const editor = q<HTMLTextAreaElement>(s.root, "editor");
    editor.value = "a better response";
    keydown(editor, "Enter", { ctrlKey: true });
    expect(s.model.decisions().map((d) => d.action)).toEqual(["edit"]);
    expect(q(s.root, "position").textContent).toBe("1 / 4");
    closingKeyIsUsedUp(s, "Enter", editor, () => {
      press(s.root, "Enter"); // the edit stands: next
      expect(q(s.root, "position").textContent).toBe("2 / 4");
      expect(s.model.decisions().map((d) => d.action)).toEqual(["edit"]);
    });
  });

  it("generation: Enter in the reason box rejects, and that Enter does not accept the next response", () => {
    const s = mountKind(mountGeneration, "generation", genItems(4));
    press(s.root, "r");
    const input = q<HTMLInputElement>(s.root, "reason-input");
    input.value = "made up";
    keydown(input, "Enter");
    expect(s.model.decisions().map((d) => [d.action, d.note])).toEqual([["reject", "made up"]]);
    closingKeyIsUsedUp(s, "Enter", input, () => {
      press(s.root, "Enter");
      expect(s.model.decisions().map((d) => d.action)).toEqual(["reject", "accept"]);
    });
  });

  it("a box closed by the view (the item decided from Python) gives the keys back to the review", () => {
    const s = mountKind(mountGeneration, "generation", genItems(4));
    press(s.root, "e");
    expect(q(s.root, "editor-box").hidden).toBe(false);
    s.model.deliver({ type: "external", decision: { id: "py-1", item_id: "gen-0", qi: 0, action: "accept", label: null, note: null, data: null } });
    expect(q(s.root, "position").textContent).toBe("2 / 4");
    expect(q(s.root, "editor-box").hidden).toBe(true);
    expect(q(s.root, "item-text").hidden).toBe(false);
    expect(q(s.root, "item-text").textContent).toContain("response number 1");
    expect(document.activeElement).toBe(s.root);
    keydown(s.root, "Enter", { repeat: true }); // a key held from before: not a fresh press
    expect(s.model.decisions()).toHaveLength(0);
    press(s.root, "Enter");
    expect(s.model.decisions().map((d) => [d.action, d.item_id])).toEqual([["accept", "gen-1"]]);
  });

  it("pairwise: Enter keeps the reason (no decision); Esc drops it; neither key decides", () => {
    const s = mountKind(mountPairwise, "pairwise", pairItems(4));
    const before = snapshot(s);
    press(s.root, "r");
    const input = q<HTMLInputElement>(s.root, "reason-input");
    input.value = "cites sources";
    keydown(input, "Enter");
    expect(q(s.root, "reason-box").hidden).toBe(true);
    expect(snapshot(s)).toEqual(before);
    closingKeyIsUsedUp(s, "Enter", input);
    press(s.root, "f");
    keydown(q(s.root, "note-input"), "Escape");
    closingKeyIsUsedUp(s, "Escape");
    expect(snapshot(s)).toEqual(before);
    press(s.root, "2");
    expect(s.model.decisions()[0]).toMatchObject({ action: "compare", note: "cites sources" });
  });
});
