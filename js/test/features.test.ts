/** @vitest-environment jsdom */
/**
 * The shell's features work the same on every kind, with no code in the kind: the
 * guideline panel (and G), gold feedback, break prompts and the pace line, the flag note,
 * the routing reasons, the vocabulary's actions.
 */
import { describe, expect, it, vi } from "vitest";
import type { AnyModel } from "@anywidget/types";
import { mount as mountGeneration, type GenerationItem } from "../src/widgets/generation";
import { mount as mountPairwise, type PairwiseItem } from "../src/widgets/pairwise";
import { mount as mountClassification } from "../src/widgets/classification";
import { FakeModel, frame, mountWidget, press, q, queue, useWidgetTests, type Mounted } from "./helpers";

useWidgetTests();

const visible = (e: HTMLElement) => !e.hidden && !e.closest("[hidden]");

function genItems(n: number): GenerationItem[] {
  return Array.from({ length: n }, (_, qi) => ({
    qi,
    item_id: `gen-${qi}`,
    content_hash: `h${qi}`,
    prompt: `prompt ${qi}`,
    context: null,
    response: `response number ${qi}`,
    decision: null,
    reasons: qi === 0 ? ["low reward score"] : [],
  }));
}

function pairItems(n: number): PairwiseItem[] {
  return Array.from({ length: n }, (_, qi) => ({
    qi,
    item_id: `pair-${qi}`,
    content_hash: `h${qi}`,
    prompt: `prompt ${qi}`,
    context: null,
    left: qi % 2 ? ("b" as const) : ("a" as const),
    left_text: `left ${qi}`,
    right_text: `right ${qi}`,
    seed: 1,
    decision: null,
    reasons: qi === 0 ? ["low reward score"] : [],
  }));
}

type MountFn = (m: AnyModel, h: HTMLElement, o: { sendAfterFrame?: boolean }) => () => void;

interface Kind {
  kind: string;
  mount: MountFn;
  items: (n: number) => { qi: number; item_id: string }[];
  /** a key that decides the item under the cursor and moves on */
  decide: string;
  /** the action it sends */
  action: string;
  rubric?: unknown[];
}

const KINDS: Kind[] = [
  { kind: "generation", mount: mountGeneration, items: genItems, decide: "Enter", action: "accept", rubric: [{ name: "helpful", scale: [1, 2, 3] }] },
  { kind: "pairwise", mount: mountPairwise, items: pairItems, decide: "1", action: "compare" },
];

const GUIDE = "# Guide\n\n## good\nA **helpful** answer.\n\n## bad\n<img src=x onerror=\"window.__pwned=1\">";

function setup(k: Kind, opts: { n?: number; config?: Record<string, unknown>; traits?: Record<string, unknown> } = {}): Mounted {
  const items = k.items(opts.n ?? 8);
  const model = new FakeModel({
    kind: k.kind,
    labels: [],
    queue_length: items.length,
    total: items.length,
    config: { prefetch: 8, task: k.kind, ...(k.rubric ? { rubric: k.rubric } : {}), ...opts.config },
    ...opts.traits,
  });
  return mountWidget(k.mount, model, items as never);
}

for (const k of KINDS) {
  describe(`${k.kind}: the shell's features`, () => {
    it("guideline panel: shown beside the item when guideline_text is set, G toggles it, listed under ?", () => {
      const s = setup(k, { traits: { guideline_text: GUIDE, guideline_version: "v3" } });
      const panel = q(s.root, "guideline");
      expect(visible(panel)).toBe(true);
      expect(panel.getAttribute("data-open")).toBe("true");
      expect(panel.parentElement!.classList.contains("hitl-body")).toBe(true);
      expect(panel.parentElement!.contains(q(s.root, "item-text"))).toBe(true);
      expect(s.root.classList.contains("has-guideline")).toBe(true);
      expect(q(s.root, "guideline-version").textContent).toBe("v3");
      const body = q(s.root, "guideline-body");
      expect(body.querySelector("strong")!.textContent).toBe("helpful");
      expect(body.innerHTML).not.toContain("onerror");
      expect(s.root.querySelector(".hitl-footer")!.textContent).toContain("guideline");
      press(s.root, "g");
      expect(panel.getAttribute("data-open")).toBe("false");
      expect(body.hidden).toBe(true);
      press(s.root, "g");
      expect(panel.getAttribute("data-open")).toBe("true");
      expect(s.model.decisions()).toHaveLength(0);
      expect(q(s.root, "position").textContent).toBe("1 / 8");
      press(s.root, "?");
      const keys = [...q(s.root, "help").querySelectorAll("tr")].map((r) => r.getAttribute("data-keys"));
      expect(keys).toContain("g");
    });

    it("no guideline: the panel, its hint and its help entry are absent; G says so", () => {
      const s = setup(k);
      expect(q(s.root, "guideline").hidden).toBe(true);
      expect(s.root.classList.contains("has-guideline")).toBe(false);
      press(s.root, "?");
      const keys = [...q(s.root, "help").querySelectorAll("tr")].map((r) => r.getAttribute("data-keys"));
      expect(keys).not.toContain("g");
      press(s.root, "Escape");
      press(s.root, "g");
      expect(q(s.root, "message").textContent).toContain("no guideline");
      expect(s.model.decisions()).toHaveLength(0);
      // a guideline sent later shows up, with its G
      s.model.set("guideline_text", "## x\ny");
      expect(visible(q(s.root, "guideline"))).toBe(true);
    });

    it("gold feedback: a wrong answer's card on the ack; the next key only closes it", () => {
      const s = setup(k);
      press(s.root, k.decide);
      const d = s.model.decisions()[0];
      expect(d.action).toBe(k.action);
      s.model.deliver({
        type: "ack",
        ids: [d.id],
        errors: {},
        feedback: { [d.id]: { item_id: d.item_id, gold: true, correct: false, given: "x", expected: "y", passage: "## y\nWhy **y**." } },
      });
      const card = q(s.root, "gold-feedback");
      expect(visible(card)).toBe(true);
      expect(card.getAttribute("data-correct")).toBe("false");
      expect(card.getAttribute("data-item-id")).toBe(d.item_id);
      expect(q(s.root, "gold-passage").querySelector("strong")!.textContent).toBe("y");
      press(s.root, k.decide);
      expect(card.hidden).toBe(true);
      expect(s.model.decisions()).toHaveLength(1);
      expect(q(s.root, "position").textContent).toBe("2 / 8");
      press(s.root, k.decide);
      expect(s.model.decisions()).toHaveLength(2);
    });

    it("break prompt after config.break_every decisions, and the pace line", () => {
      const s = setup(k, { n: 12, config: { break_every: 3 } });
      const prompt = q(s.root, "break-prompt");
      const pace = q(s.root, "pace");
      expect(pace.hidden).toBe(true);
      for (let i = 0; i < 3; i++) {
        vi.advanceTimersByTime(1500);
        press(s.root, k.decide);
        frame();
        expect(visible(prompt)).toBe(i === 2);
      }
      expect(prompt.textContent).toContain("You have reviewed 3 items: take a break");
      expect(visible(pace)).toBe(true);
      expect(pace.textContent).toMatch(/s\/item$/);
      expect(q(s.root, "progress").contains(pace)).toBe(true);
      press(s.root, k.decide); // ends the break: no decision
      expect(prompt.hidden).toBe(true);
      expect(s.model.distinctDecisions()).toHaveLength(3); // (the clock ran past a resend)
      expect(q(s.root, "position").textContent).toBe("4 / 12");
    });

    it("no break without break_every", () => {
      const s = setup(k, { n: 12 });
      for (let i = 0; i < 10; i++) press(s.root, k.decide);
      frame();
      expect(q(s.root, "break-prompt").hidden).toBe(true);
      expect(s.model.decisions()).toHaveLength(10);
    });

    it("the routing reasons of an item are shown (shell meta line)", () => {
      const s = setup(k);
      expect(q(s.root, "reasons").textContent).toContain("low reward score");
      press(s.root, "ArrowRight");
      expect(q(s.root, "reasons").hidden).toBe(true);
    });

    it("the flag note box is the shell's: F, Enter saves a flag with the note", () => {
      const s = setup(k);
      press(s.root, "f");
      const input = q<HTMLInputElement>(s.root, "note-input");
      expect(document.activeElement).toBe(input);
      input.value = "odd one";
      press(input, "Enter");
      expect(s.model.decisions()[0]).toMatchObject({ action: "flag", note: "odd one" });
      press(s.root, "ArrowLeft");
      expect(q(s.root, "decision").textContent).toBe("flagged: odd one");
      press(s.root, "f");
      expect(input.value).toBe("odd one"); // the item's note, to change
    });
  });
}

describe("generation: only verdicts and skips count toward a break (not ratings)", () => {
  it("rates then accepts: one decision of the sitting", () => {
    const s = setup(KINDS[0], { n: 6, config: { break_every: 2 } });
    press(s.root, "2"); // rate
    press(s.root, "Tab");
    press(s.root, "Enter"); // accept (with the rating)
    frame();
    expect(q(s.root, "break-prompt").hidden).toBe(true);
    press(s.root, "s");
    frame();
    expect(visible(q(s.root, "break-prompt"))).toBe(true);
  });
});

describe("the kernel's vocabulary", () => {
  it("a binding whose action the kind does not take is left out of the keys and the help", () => {
    const s = setup(KINDS[0], { config: { vocabulary: { actions: ["accept", "reject", "skip", "rate"] } } });
    press(s.root, "?");
    const keys = [...q(s.root, "help").querySelectorAll("tr")].map((r) => r.getAttribute("data-keys"));
    expect(keys).toContain("r");
    expect(keys).not.toContain("e");
    expect(keys).not.toContain("f");
    press(s.root, "Escape");
    press(s.root, "e");
    press(s.root, "f");
    expect(q(s.root, "editor-box").hidden).toBe(true);
    expect(q(s.root, "note-box").hidden).toBe(true);
    press(s.root, "Enter");
    expect(s.model.decisions().map((d) => d.action)).toEqual(["accept"]);
  });

  it("status words come from the vocabulary (badge and summary)", () => {
    const items = queue(2);
    const model = new FakeModel({
      queue_length: 2,
      config: { show_model: true, prefetch: 8, task: "t", vocabulary: { status_of: { accept: "approved", skip: "passed", correct: "fixed" } } },
    });
    const s = mountWidget(mountClassification, model, items);
    press(s.root, "s");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").textContent).toBe("passed");
    press(s.root, "ArrowRight");
    press(s.root, "Enter");
    const summary = q(s.root, "summary");
    expect(summary.querySelector('tr[data-status="passed"]')).not.toBeNull();
    expect(summary.querySelector('tr[data-status="approved"]')).not.toBeNull();
  });
});
