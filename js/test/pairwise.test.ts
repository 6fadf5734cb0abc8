/** @vitest-environment jsdom */
import { describe, expect, it } from "vitest";
import widget, { choiceOf, mount, sideOf, type PairwiseItem } from "../src/widgets/pairwise";
import type { HitlRoot } from "../src/widgets/classification";
import { FakeModel, mountWidget, q, press, useWidgetTests, type Mounted } from "./helpers";

function pairItem(qi: number, extra: Partial<PairwiseItem> = {}): PairwiseItem {
  const left = qi % 2 === 0 ? "a" : "b";
  const a = `Answer **A${qi}**`;
  const b = `Answer *B${qi}*\n\n\`\`\`js\nconst x = "<i>";\n\`\`\``;
  return {
    qi,
    item_id: `pair-${qi}`,
    content_hash: `h${qi}`,
    prompt: `Which is better for ${qi}?`,
    context: null,
    left,
    left_text: left === "a" ? a : b,
    right_text: left === "a" ? b : a,
    seed: 7,
    decision: null,
    reasons: [],
    ...extra,
  };
}

type Setup = Mounted<HitlRoot>;

function setup(items: PairwiseItem[] = Array.from({ length: 6 }, (_, i) => pairItem(i))): Setup {
  const model = new FakeModel({ kind: "pairwise", labels: [], queue_length: items.length, total: items.length, config: { prefetch: 8, task: "pw", seed: 7 } });
  return mountWidget<HitlRoot>(mount, model, items);
}
const shown = (s: Setup) => q(s.root, "item-text").getAttribute("data-item-id");

useWidgetTests();

describe("pairwise", () => {
  it("maps sides to a / b both ways", () => {
    expect(choiceOf("left", "a")).toBe("a");
    expect(choiceOf("left", "b")).toBe("b");
    expect(choiceOf("right", "a")).toBe("b");
    expect(choiceOf("right", "b")).toBe("a");
    expect(choiceOf("tie", "b")).toBe("tie");
    expect(choiceOf("both_bad", "a")).toBe("both_bad");
    expect(sideOf("a", "b")).toBe("right");
    expect(sideOf("b", "b")).toBe("left");
    expect(sideOf("tie", "a")).toBe("tie");
    expect(sideOf(null, "a")).toBeNull();
  });

  it("shows the prompt and the two responses as left and right, rendered markdown", () => {
    const s = setup();
    expect(s.root.classList.contains("hitl-pairwise")).toBe(true);
    expect(q(s.root, "prompt").textContent).toContain("Which is better for 0?");
    expect(q(s.root, "left-text").querySelector("strong")!.textContent).toBe("A0"); // item 0: a on the left
    const right = q(s.root, "right-text");
    expect(right.querySelector("em")!.textContent).toBe("B0");
    expect(right.querySelector("pre code.language-js")!.textContent).toContain('const x = "<i>";');
    expect(right.querySelector("i")).toBeNull();
    // nothing tells the person which one is a or b
    expect(s.root.textContent).not.toMatch(/\bresponse[_ ]?[ab]\b/i);
    expect([...s.root.querySelectorAll('[data-testid="choice-button"]')].map((b) => b.getAttribute("data-choice"))).toEqual(["left", "right", "tie", "both_bad"]);
  });

  it("1 / 2 / 3 / 4 store the choice as a / b with the side a was shown on and the seed", () => {
    const s = setup();
    press(s.root, "1"); // item 0: left = a -> a
    press(s.root, "1"); // item 1: left = b -> b
    press(s.root, "2"); // item 2: left = a, right -> b
    press(s.root, "2"); // item 3: left = b, right -> a
    press(s.root, "3");
    press(s.root, "4");
    const ds = s.model.distinctDecisions();
    expect(ds.map((d) => [d.item_id, d.action, (d.data as Record<string, unknown>).choice, (d.data as Record<string, unknown>).left])).toEqual([
      ["pair-0", "compare", "a", "a"],
      ["pair-1", "compare", "b", "b"],
      ["pair-2", "compare", "b", "a"],
      ["pair-3", "compare", "a", "b"],
      ["pair-4", "compare", "tie", "a"],
      ["pair-5", "compare", "both_bad", "b"],
    ]);
    for (const d of ds) expect(d.data).toMatchObject({ seed: 7, reason: null });
    expect(s.root.getAttribute("data-state")).toBe("summary");
    expect(q(s.root, "summary").textContent).toContain("2 / 4");
  });

  it("R keeps a reason that goes with the next choice; typed keys do not decide", () => {
    const s = setup();
    press(s.root, "r");
    const input = q<HTMLInputElement>(s.root, "reason-input");
    expect(document.activeElement).toBe(input);
    for (const k of ["1", "2", "3", "4", "s", "z", "ArrowRight"]) expect(press(input, k).defaultPrevented).toBe(false);
    expect(s.model.distinctDecisions()).toEqual([]);
    input.value = "right one cites sources";
    press(input, "Enter");
    expect(s.model.distinctDecisions()).toEqual([]);
    expect(q(s.root, "reason").textContent).toContain("right one cites sources");
    expect(document.activeElement).toBe(s.root);
    press(s.root, "2");
    const [d] = s.model.distinctDecisions();
    expect(d).toMatchObject({ action: "compare", note: "right one cites sources", data: { choice: "b", left: "a", reason: "right one cites sources" } });
    // Esc drops a reason
    press(s.root, "r");
    q<HTMLInputElement>(s.root, "reason-input").value = "nope";
    press(q(s.root, "reason-input"), "Escape");
    press(s.root, "1");
    expect(s.model.distinctDecisions()[1]).toMatchObject({ note: null, data: { reason: null } });
  });

  it("shows the decision by side, undo, skip and flag", () => {
    const s = setup();
    press(s.root, "2");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").textContent).toBe("right is better");
    expect(q(s.root, "right").classList.contains("is-chosen")).toBe(true);
    expect(s.root.querySelector('[data-choice="right"]')!.getAttribute("aria-pressed")).toBe("true");
    press(s.root, "z");
    expect(q(s.root, "decision").hidden).toBe(true);
    press(s.root, "s");
    expect(shown(s)).toBe("pair-1");
    press(s.root, "f");
    q<HTMLInputElement>(s.root, "note-input").value = "both wrong in different ways";
    press(q(s.root, "note-input"), "Enter");
    expect(s.model.distinctDecisions().map((d) => d.action)).toEqual(["compare", "undo", "skip", "flag"]);
    expect(shown(s)).toBe("pair-2");
  });

  it("sanitizes both sides", () => {
    const evil = `<img src=x onerror=alert(1)><script>alert(2)</script>[x](javascript:alert(3))<svg onload=alert(4)>`;
    const s = setup([pairItem(0, { left_text: evil, right_text: evil, prompt: evil, context: [{ role: "user", content: evil }] })]);
    expect(s.root.querySelector(".hitl-md img, .hitl-md script, .hitl-md svg, .hitl-md a[href]")).toBeNull();
  });

  it("exports an anywidget module", () => {
    expect(typeof widget.render).toBe("function");
  });
});
