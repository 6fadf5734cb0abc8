/** @vitest-environment jsdom */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HitlRoot } from "../src/widgets/classification";
import { ReviewClient } from "../src/lib/protocol";
import { Sitting, breakEvery, computePace, formatPace, median } from "../src/lib/breaks";
import { FakeModel, frame, mountClassification as setup, q, press, useWidgetTests, type Mounted } from "./helpers";

type Setup = Mounted<HitlRoot>;

const GUIDE = `# Claim types

## auto
Damage to or by a vehicle, including a **break-in** that only damaged the car.

## theft
Something was taken. <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>
[more](javascript:alert(1))
`;

const itemText = (s: Setup) => q(s.root, "item-text").textContent;
const lastDecision = (s: Setup) => s.model.decisions().at(-1)!;
const visible = (e: HTMLElement) => !e.hidden && !e.closest("[hidden]");

useWidgetTests();
afterEach(() => {
  delete (window as { __pwned?: unknown }).__pwned;
});

/* ------------------------------------------------------------------ guideline */
describe("guideline panel", () => {
  it("is absent without a guideline; G says so and decides nothing", () => {
    const s = setup();
    const panel = q(s.root, "guideline");
    expect(panel.hidden).toBe(true);
    expect(s.root.classList.contains("has-guideline")).toBe(false);
    press(s.root, "g");
    expect(q(s.root, "message").textContent).toContain("no guideline");
    expect(s.model.decisions()).toHaveLength(0);
    expect(itemText(s)).toBe("text number 0");
  });

  it("renders the markdown sanitized beside the item, with its version", () => {
    const s = setup({ traits: { guideline_text: GUIDE, guideline_version: "v2" } });
    const panel = q(s.root, "guideline");
    expect(visible(panel)).toBe(true);
    expect(panel.getAttribute("data-open")).toBe("true");
    expect(panel.getAttribute("data-version")).toBe("v2");
    expect(q(s.root, "guideline-version").textContent).toBe("v2");
    const body = q(s.root, "guideline-body");
    expect([...body.querySelectorAll("h2")].map((h) => h.textContent)).toEqual(["auto", "theft"]);
    expect(body.querySelector("strong")!.textContent).toBe("break-in");
    // hostile parts are gone: no script, no event handler, no javascript: link
    expect(body.querySelector("script")).toBeNull();
    expect(body.innerHTML).not.toContain("onerror");
    expect(body.innerHTML).not.toContain("javascript:");
    expect((window as { __pwned?: unknown }).__pwned).toBeUndefined();
    // beside the item: both in the body row
    expect(panel.parentElement!.classList.contains("hitl-body")).toBe(true);
    expect(panel.parentElement!.contains(q(s.root, "item-text"))).toBe(true);
    expect(s.root.classList.contains("has-guideline")).toBe(true);
  });

  it("G collapses and opens it without deciding or moving; the head button too", () => {
    const s = setup({ traits: { guideline_text: GUIDE, guideline_version: "v1" } });
    const panel = q(s.root, "guideline");
    const body = q(s.root, "guideline-body");
    press(s.root, "g");
    expect(panel.getAttribute("data-open")).toBe("false");
    expect(body.hidden).toBe(true);
    expect(visible(q(s.root, "guideline-version"))).toBe(true); // the version stays readable
    press(s.root, "G", { shiftKey: true });
    expect(panel.getAttribute("data-open")).toBe("true");
    expect(body.hidden).toBe(false);
    press(s.root, "п", { code: "KeyG" }); // another layout: event.code
    expect(panel.getAttribute("data-open")).toBe("false");
    q<HTMLButtonElement>(s.root, "guideline-toggle").click();
    expect(panel.getAttribute("data-open")).toBe("true");
    expect(s.model.decisions()).toHaveLength(0);
    expect(itemText(s)).toBe("text number 0");
    expect(q(s.root, "help").textContent).toContain("guideline");
  });

  it("follows a new guideline text and version from the kernel", () => {
    const s = setup({ traits: { guideline_text: "## auto\nold", guideline_version: "v1" } });
    s.model.set("guideline_text", "## auto\nA break-in with **nothing taken** is auto.");
    s.model.set("guideline_version", "v2");
    expect(q(s.root, "guideline-body").querySelector("strong")!.textContent).toBe("nothing taken");
    expect(q(s.root, "guideline-version").textContent).toBe("v2");
    s.model.set("guideline_text", "");
    expect(q(s.root, "guideline").hidden).toBe(true);
  });
});

/* ------------------------------------------------------------------ gold feedback */
describe("gold feedback", () => {
  const wrong = (id: string, item: string) => ({
    type: "ack",
    ids: [id],
    errors: {},
    feedback: {
      [id]: {
        item_id: item,
        gold: true,
        correct: false,
        given: "neg",
        expected: "pos",
        passage: "## pos\nSomething **positive**. <img src=x onerror=\"window.__pwned=3\">",
      },
    },
  });

  it("shows a wrong answer at once with the right label and the passage; the next key only dismisses it", () => {
    const s = setup();
    const fb = q(s.root, "gold-feedback");
    expect(fb.hidden).toBe(true);
    press(s.root, "2"); // neg on item-0 (a gold item, the model said pos)
    const d = lastDecision(s);
    expect(d).toMatchObject({ item_id: "item-0", action: "correct", label: "neg" });
    s.model.deliver(wrong(d.id, "item-0"));
    expect(visible(fb)).toBe(true);
    expect(fb.getAttribute("data-correct")).toBe("false");
    expect(q(s.root, "gold-result").textContent).toContain("neg");
    expect(q(s.root, "gold-expected").textContent).toContain("pos");
    const passage = q(s.root, "gold-passage");
    expect(passage.querySelector("h2")!.textContent).toBe("pos");
    expect(passage.querySelector("strong")!.textContent).toBe("positive");
    expect(passage.innerHTML).not.toContain("onerror");
    expect(q(s.root, "pending").textContent).toBe("0");
    // the next key dismisses; it does not decide item-1 unseen
    expect(itemText(s)).toBe("text number 1");
    press(s.root, "Enter");
    expect(fb.hidden).toBe(true);
    expect(s.model.decisions()).toHaveLength(1);
    expect(itemText(s)).toBe("text number 1");
    press(s.root, "Enter");
    expect(s.model.decisions()).toHaveLength(2);
  });

  it("a right answer says so; the next key dismisses it and still acts", () => {
    const s = setup();
    press(s.root, "Enter");
    const d = lastDecision(s);
    s.model.deliver({
      type: "ack",
      ids: [d.id],
      errors: {},
      feedback: { [d.id]: { item_id: "item-0", gold: true, correct: true, given: "pos", expected: "pos", passage: "## pos\nx" } },
    });
    const fb = q(s.root, "gold-feedback");
    expect(visible(fb)).toBe(true);
    expect(fb.getAttribute("data-correct")).toBe("true");
    expect(q(s.root, "gold-passage").hidden).toBe(true);
    press(s.root, "Enter");
    expect(fb.hidden).toBe(true);
    expect(s.model.decisions()).toHaveLength(2);
    expect(itemText(s)).toBe("text number 2");
  });

  it("Esc and lone modifiers: Esc only dismisses, Shift does not", () => {
    const s = setup();
    press(s.root, "2");
    const d = lastDecision(s);
    s.model.deliver(wrong(d.id, "item-0"));
    const fb = q(s.root, "gold-feedback");
    press(s.root, "Shift");
    expect(visible(fb)).toBe(true);
    press(s.root, "Escape");
    expect(fb.hidden).toBe(true);
    expect(s.model.decisions()).toHaveLength(1);
  });

  it("is shown once per decision, and only for this view's own or Python-made decisions", () => {
    const s = setup();
    press(s.root, "2");
    const d = lastDecision(s);
    s.model.deliver(wrong(d.id, "item-0"));
    press(s.root, "Escape");
    // a resend is acked again with the same feedback: not shown twice
    s.model.deliver(wrong(d.id, "item-0"));
    expect(q(s.root, "gold-feedback").hidden).toBe(true);
    // another tab's decision (not ours)
    s.model.deliver(wrong("someone-else", "item-9"));
    expect(q(s.root, "gold-feedback").hidden).toBe(true);
    // a decision made from Python on this widget, with a bare feedback object
    s.model.deliver({
      type: "external",
      decision: { ...d, id: "py-1", item_id: "item-1", qi: 1, action: "correct", label: "neutral" },
      feedback: { item_id: "item-1", gold: true, correct: false, given: "neutral", expected: "neg", passage: "" },
    });
    const fb = q(s.root, "gold-feedback");
    expect(visible(fb)).toBe(true);
    expect(q(s.root, "gold-expected").textContent).toContain("neg");
    expect(q(s.root, "gold-passage").hidden).toBe(true);
    expect(fb.getAttribute("data-item-id")).toBe("item-1");
  });

  it("an ack without feedback (old kernels) changes nothing", () => {
    const s = setup();
    press(s.root, "Enter");
    s.kernel.ackAll();
    expect(q(s.root, "gold-feedback").hidden).toBe(true);
    expect(q(s.root, "pending").textContent).toBe("0");
  });

  it("the client surfaces feedback as an event (map and bare forms)", () => {
    const model = new FakeModel();
    const client = new ReviewClient(model.asModel(), { storage: null, sendAfterFrame: false });
    const seen: [string, boolean, boolean][] = [];
    client.events.on("feedback", (e) => seen.push([e.id, e.feedback.correct, e.external]));
    client.start();
    const fb = { item_id: "a", gold: true, correct: true, given: "x", expected: "x", passage: "" };
    model.deliver({ type: "ack", ids: ["d1"], errors: {}, feedback: { d1: fb, junk: { nope: 1 } } });
    model.deliver({ type: "ack", ids: ["d1"], errors: {}, feedback: { d1: fb } });
    model.deliver({ type: "external", decision: { id: "d2", item_id: "a" }, feedback: fb });
    expect(seen).toEqual([
      ["d1", true, false],
      ["d2", true, true],
    ]);
    client.dispose();
  });
});

/* ------------------------------------------------------------------ breaks */
describe("break prompt", () => {
  it("appears after break_every decisions; any key dismisses it without deciding; the count restarts", () => {
    const s = setup({ traits: { config: { show_model: true, prefetch: 8, task: "t", break_every: 3 } } });
    const prompt = q(s.root, "break-prompt");
    press(s.root, "Enter");
    press(s.root, "2");
    expect(prompt.hidden).toBe(true);
    press(s.root, "s"); // a skip counts as a decision of the sitting
    frame(); // the prompt shows in the frame that paints the next item
    expect(visible(prompt)).toBe(true);
    expect(prompt.textContent).toContain("You have reviewed 3 items: take a break");
    expect(prompt.getAttribute("data-count")).toBe("3");
    expect(itemText(s)).toBe("text number 3");
    press(s.root, "Enter");
    expect(prompt.hidden).toBe(true);
    expect(s.model.decisions()).toHaveLength(3); // that key only ended the break
    expect(itemText(s)).toBe("text number 3");
    expect(document.activeElement).toBe(s.root);
    press(s.root, "Enter");
    press(s.root, "Enter");
    expect(prompt.hidden).toBe(true);
    press(s.root, "Enter");
    frame();
    expect(visible(prompt)).toBe(true);
    // the button dismisses too
    q<HTMLButtonElement>(s.root, "break-dismiss").click();
    expect(prompt.hidden).toBe(true);
    expect(s.model.decisions()).toHaveLength(6);
  });

  it("undo, navigation and Python-made decisions do not count; held keys do not dismiss", () => {
    const s = setup({ traits: { config: { show_model: true, prefetch: 8, task: "t", break_every: 2 } } });
    const prompt = q(s.root, "break-prompt");
    press(s.root, "Enter");
    press(s.root, "z");
    press(s.root, "ArrowRight");
    press(s.root, "ArrowLeft");
    const d = lastDecision(s);
    s.model.deliver({ type: "external", decision: { ...d, id: "py", action: "accept" } });
    expect(prompt.hidden).toBe(true);
    press(s.root, "Enter");
    frame();
    expect(visible(prompt)).toBe(true);
    press(s.root, "Enter", { repeat: true });
    expect(visible(prompt)).toBe(true);
    press(s.root, "Tab");
    expect(visible(prompt)).toBe(true);
    press(s.root, "x");
    expect(prompt.hidden).toBe(true);
  });

  it("never appears without break_every", () => {
    const s = setup();
    for (let i = 0; i < 30; i++) {
      press(s.root, "Enter");
      s.kernel.serve();
    }
    expect(q(s.root, "break-prompt").hidden).toBe(true);
    expect(s.model.decisions()).toHaveLength(30);
  });

  it("breakEvery reads the config", () => {
    expect(breakEvery({ break_every: 25 })).toBe(25);
    expect(breakEvery({ break_every: null })).toBeNull();
    expect(breakEvery({})).toBeNull();
    expect(breakEvery({ break_every: 0 })).toBeNull();
    expect(breakEvery({ break_every: "x" })).toBeNull();
  });
});

/* ------------------------------------------------------------------ pace */
describe("time per item and fatigue", () => {
  it("median and computePace: the signal needs 2 x window decisions and a 1.5x drift", () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const steady = Array.from({ length: 40 }, () => 2000);
    expect(computePace(steady)).toMatchObject({ n: 40, recentMs: 2000, earlyMs: 2000, fatigue: false });
    const slower = [...Array(20).fill(2000), ...Array(20).fill(3100)];
    expect(computePace(slower)).toMatchObject({ recentMs: 3100, earlyMs: 2000, fatigue: true });
    expect(computePace(slower.slice(0, 39)).fatigue).toBe(false); // not enough yet
    const justUnder = [...Array(20).fill(2000), ...Array(20).fill(3000)];
    expect(computePace(justUnder).fatigue).toBe(false); // 1.5x is not more than 1.5x
    const f = formatPace(computePace(slower));
    expect(f.pace).toBe("3.1 s/item");
    expect(f.fatigue).toContain("slowing down");
    expect(formatPace(computePace([])).pace).toBe("");
    const s = new Sitting(5, 1.5);
    for (let i = 0; i < 4; i++) expect(s.record(1000, 5)).toBe(false);
    expect(s.record(1000, 5)).toBe(true);
    s.tookBreak();
    expect(s.sinceBreak).toBe(0);
    expect(s.total).toBe(5);
    expect(s.record(null, null)).toBe(false);
    expect(s.durations).toHaveLength(5);
  });

  it("shows the time per item in the progress line and flags a drift (informational only)", () => {
    const s = setup({ n: 60 });
    const pace = q(s.root, "pace");
    expect(pace.hidden).toBe(true);
    expect(q(s.root, "progress").contains(pace)).toBe(true);
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(2000);
      press(s.root, "Enter");
      s.kernel.serve();
    }
    expect(visible(pace)).toBe(true);
    expect(pace.textContent).toMatch(/^2(\.0)? s\/item$/);
    expect(pace.getAttribute("data-fatigue")).toBe("false");
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(4000);
      press(s.root, "Enter");
      s.kernel.serve();
    }
    expect(pace.getAttribute("data-fatigue")).toBe("true");
    expect(q(s.root, "fatigue").textContent).toContain("slowing down");
    expect(q(s.root, "progress").textContent).toContain("s/item");
    // nothing blocked: the next key still decides
    press(s.root, "Enter");
    const made = [...new Map(s.model.decisions().map((d) => [d.id, d])).values()]; // (resends too)
    expect(made).toHaveLength(41);
    const durations = made.map((d) => d.duration_ms);
    expect(durations[5]).toBeGreaterThanOrEqual(1900);
    expect(durations[30]).toBeGreaterThanOrEqual(3900);
  });
});
