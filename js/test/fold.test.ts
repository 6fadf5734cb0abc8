/** @vitest-environment jsdom */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_VOCABULARY,
  EMPTY_STATE,
  accepts,
  applyDecision,
  describeState,
  foldState,
  seedState,
  summarize,
  viewState,
  vocabularyOf,
  type FoldEvent,
  type FoldState,
  type FoldSummary,
} from "../src/lib/fold";
import { ReviewClient } from "../src/lib/protocol";
import { FakeKernel, FakeModel, queue, useWidgetTests } from "./helpers";

/* The cases the Python fold writes (js/test/fixtures/fold_cases.json), read with node's fs
 * (no @types/node: the tsconfig stays browser-only). */
const nodeFs = "node:fs";
const { existsSync, readFileSync } = (await import(/* @vite-ignore */ nodeFs)) as {
  existsSync(path: string): boolean;
  readFileSync(path: string, enc: string): string;
};
const cwd = (globalThis as unknown as { process: { cwd(): string } }).process.cwd();
const FIXTURE = `${cwd}/test/fixtures/fold_cases.json`;
const HAVE_FIXTURE = existsSync(FIXTURE);

interface FixtureCase {
  name: string;
  /** the item's model label (an accept's label when it names none) */
  model_label?: string | null;
  events: (FoldEvent & { label_after?: string | null })[];
  expected: FoldSummary;
}

/** an empty ratings object and none are the same state */
function norm(s: Partial<FoldSummary>): FoldSummary {
  const r = s.ratings && Object.keys(s.ratings).length ? s.ratings : null;
  return { status: s.status ?? null, action: s.action ?? null, label: s.label ?? null, note: s.note ?? null, ratings: r };
}

const fold = (...events: FoldEvent[]): FoldSummary => summarize(foldState(events));

useWidgetTests();

describe("the fold: the Python fold's cases (fixtures/fold_cases.json)", () => {
  if (!HAVE_FIXTURE) {
    it.skip(`skipped: ${FIXTURE} does not exist yet (the Python side writes it)`, () => {});
    return;
  }
  const cases = JSON.parse(readFileSync(FIXTURE, "utf8")) as FixtureCase[];
  it("holds a list of cases", () => {
    expect(Array.isArray(cases)).toBe(true);
    expect(cases.length).toBeGreaterThan(0);
  });
  for (const c of cases) {
    it(`${c.name}`, () => {
      const events = c.events.map((e) => ({ ...e, label: e.label !== undefined ? e.label : (e.label_after ?? null) }));
      const got = summarize(foldState(events, DEFAULT_VOCABULARY, { modelLabel: c.model_label ?? null }));
      expect(norm(got)).toEqual(norm(c.expected));
    });
  }
});

describe("the fold: each rule", () => {
  it("a verdict sets the verdict, its note and its ratings; status from the vocabulary", () => {
    expect(fold({ action: "accept", label: "pos" })).toEqual({ status: "accepted", action: "accept", label: "pos", note: null, ratings: null });
    expect(fold({ action: "correct", label: "neg" })).toMatchObject({ status: "corrected", label: "neg" });
    expect(fold({ action: "flag", note: "unclear" })).toMatchObject({ status: "flagged", action: "flag", note: "unclear", label: null });
    expect(fold({ action: "reject", note: "made up", data: { ratings: { helpful: 1 } } })).toEqual({
      status: "rejected",
      action: "reject",
      label: null,
      note: "made up",
      ratings: { helpful: 1 },
    });
    expect(fold({ action: "compare", label: "a", data: { choice: "a" } })).toMatchObject({ status: "compared", label: "a" });
    expect(fold({ action: "edit", data: { edited: "x" } })).toMatchObject({ status: "edited", action: "edit" });
    // a later verdict replaces the earlier one, and its note with it
    expect(fold({ action: "flag", note: "hm" }, { action: "correct", label: "neg" })).toMatchObject({ status: "corrected", note: null });
  });

  it("an accept's label is its own, else the item's model label", () => {
    expect(fold({ action: "accept", label: null, model_label: "pos" }).label).toBe("pos");
    expect(fold({ action: "accept", label: "neg", model_label: "pos" }).label).toBe("neg");
    expect(summarize(foldState([{ action: "accept" }], DEFAULT_VOCABULARY, { modelLabel: "pos" })).label).toBe("pos");
    expect(fold({ action: "accept" }).label).toBeNull();
    expect(fold({ action: "correct", label: "neg", model_label: "pos" }).label).toBe("neg");
  });

  it("accept then rate keeps the accepted status and adds the ratings", () => {
    expect(fold({ action: "accept", label: "pos" }, { action: "rate", data: { ratings: { helpful: 4 } } })).toEqual({
      status: "accepted",
      action: "accept",
      label: "pos",
      note: null,
      ratings: { helpful: 4 },
    });
  });

  it("ratings merge: rate after rate, a verdict's ratings over earlier ones", () => {
    const s = fold(
      { action: "rate", data: { ratings: { helpful: 4 } } },
      { action: "rate", data: { ratings: { harmless: "yes" } } },
      { action: "accept", data: { ratings: { helpful: 5 } } },
    );
    expect(s).toMatchObject({ status: "accepted", ratings: { helpful: 5, harmless: "yes" } });
    // ratings only: "rated", no verdict
    expect(fold({ action: "rate", data: { ratings: { helpful: 2 } } })).toEqual({
      status: "rated",
      action: null,
      label: null,
      note: null,
      ratings: { helpful: 2 },
    });
    // a verdict without ratings keeps those given
    expect(fold({ action: "rate", data: { ratings: { helpful: 2 } } }, { action: "reject", note: "no" }).ratings).toEqual({ helpful: 2 });
  });

  it("rate then undo restores no ratings; undo of a rating after a verdict keeps the verdict", () => {
    expect(fold({ action: "rate", data: { ratings: { helpful: 3 } } }, { action: "undo" })).toEqual(summarize(EMPTY_STATE));
    expect(fold({ action: "accept" }, { action: "rate", data: { ratings: { helpful: 3 } } }, { action: "undo" })).toMatchObject({
      status: "accepted",
      ratings: null,
    });
  });

  it("undo of a correction restores the accept; undo on an empty stack is the empty state", () => {
    expect(fold({ action: "accept", label: "pos" }, { action: "correct", label: "neg" }, { action: "undo" })).toEqual({
      status: "accepted",
      action: "accept",
      label: "pos",
      note: null,
      ratings: null,
    });
    expect(fold({ action: "accept" }, { action: "undo" }, { action: "undo" })).toEqual(summarize(EMPTY_STATE));
    expect(fold({ action: "undo" })).toEqual({ status: null, action: null, label: null, note: null, ratings: null });
  });

  it("skip after accept changes nothing (and is not pushed: undo takes back the accept)", () => {
    expect(fold({ action: "accept", label: "pos" }, { action: "skip" })).toMatchObject({ status: "accepted", action: "accept", label: "pos" });
    expect(fold({ action: "accept", label: "pos" }, { action: "skip" }, { action: "undo" }).status).toBeNull();
    // on an undecided item (or after a skip) a skip is the verdict, with its note
    expect(fold({ action: "skip", note: "later" })).toMatchObject({ status: "skipped", action: "skip", note: "later" });
    expect(fold({ action: "skip" }, { action: "skip" }, { action: "undo" })).toMatchObject({ status: "skipped" });
    // ratings make an item decided ("rated"): a skip leaves it alone
    expect(fold({ action: "rate", data: { ratings: { h: 1 } } }, { action: "skip" })).toMatchObject({ status: "rated", ratings: { h: 1 } });
    // and a later verdict replaces the skip
    expect(fold({ action: "skip" }, { action: "accept", label: "pos" })).toMatchObject({ status: "accepted" });
  });

  it("a rating ends a skip (undo brings the skip back)", () => {
    expect(fold({ action: "skip" }, { action: "rate", data: { ratings: { helpful: 2 } } })).toEqual({
      status: "rated",
      action: null,
      label: null,
      note: null,
      ratings: { helpful: 2 },
    });
    expect(fold({ action: "skip" }, { action: "rate", data: { ratings: { helpful: 2 } } }, { action: "undo" })).toMatchObject({
      status: "skipped",
      ratings: null,
    });
  });

  it("note sets the note only and is not pushed", () => {
    expect(fold({ action: "accept", label: "pos" }, { action: "note", note: "context" })).toMatchObject({ status: "accepted", note: "context" });
    const s = fold({ action: "accept", label: "pos" }, { action: "correct", label: "neg" }, { action: "note", note: "n" }, { action: "undo" });
    expect(s).toMatchObject({ status: "accepted", label: "pos", note: null });
    expect(fold({ action: "note", note: "just a note" })).toEqual({ status: null, action: null, label: null, note: "just a note", ratings: null });
  });

  it("route and unknown actions change nothing", () => {
    expect(fold({ action: "accept", label: "pos" }, { action: "route" }, { action: "something-new" })).toMatchObject({ status: "accepted" });
    expect(fold({ action: "accept", label: "pos" }, { action: "route" }, { action: "undo" }).status).toBeNull();
  });

  it("applyDecision is incremental and never changes a state in place", () => {
    const stack: FoldState[] = [];
    const s0 = EMPTY_STATE;
    const s1 = applyDecision(s0, stack, { action: "accept", label: "pos" });
    const s2 = applyDecision(s1, stack, { action: "rate", data: { ratings: { a: 1 } } });
    const s3 = applyDecision(s2, stack, { action: "rate", data: { ratings: { b: 2 } } });
    expect(stack).toEqual([s0, s1, s2]);
    expect(s2.ratings).toEqual({ a: 1 });
    expect(s3.ratings).toEqual({ a: 1, b: 2 });
    expect(applyDecision(s3, stack, { action: "undo" })).toBe(s2);
    expect(foldState([{ action: "accept" }, { action: "rate", data: { ratings: { a: 1 } } }]).stack).toHaveLength(2);
  });
});

describe("the vocabulary", () => {
  it("falls back to the defaults, part by part", () => {
    expect(vocabularyOf({})).toBe(DEFAULT_VOCABULARY);
    expect(vocabularyOf(null)).toBe(DEFAULT_VOCABULARY);
    // the browser's defaults are the kernel's vocabulary (written by scripts/fold_cases.py)
    const kernel = JSON.parse(readFileSync(`${cwd}/test/fixtures/vocabulary.json`, "utf8"));
    expect(DEFAULT_VOCABULARY.status_of).toEqual(kernel.status_of);
    expect([...DEFAULT_VOCABULARY.verdicts].sort()).toEqual(kernel.verdicts);
    expect([...DEFAULT_VOCABULARY.decided].sort()).toEqual(kernel.decided);
    const v = vocabularyOf({ vocabulary: { verdicts: ["approve", "deny"], actions: ["approve", "deny", "skip"] } });
    expect(v.status_of).toBe(DEFAULT_VOCABULARY.status_of);
    expect(v.verdicts).toEqual(["approve", "deny"]);
    expect(v.actions).toEqual(["approve", "deny", "skip"]);
    expect(vocabularyOf({ vocabulary: { verdicts: "nope", status_of: [1] } }).verdicts).toBe(DEFAULT_VOCABULARY.verdicts);
  });

  it("a kernel's own words: new verdicts and statuses fold like the built-in ones", () => {
    const v = vocabularyOf({
      vocabulary: { status_of: { approve: "approved", deny: "denied", skip: "skipped" }, verdicts: ["approve", "deny"], actions: ["approve", "deny", "skip"] },
    });
    const s = summarize(foldState([{ action: "approve" }, { action: "skip" }], v), v);
    expect(s).toMatchObject({ status: "approved", action: "approve" });
    expect(summarize(foldState([{ action: "deny", note: "unsafe" }], v), v).status).toBe("denied");
    // accept is no verdict of this kind: a skip after it takes over
    expect(summarize(foldState([{ action: "accept" }], v), v).status).toBeNull();
    expect(accepts(v, "approve")).toBe(true);
    expect(accepts(v, "accept")).toBe(false);
    expect(accepts(v, "undo")).toBe(true);
    expect(accepts(v, "note")).toBe(true);
    expect(accepts(DEFAULT_VOCABULARY, "anything")).toBe(true);
    expect(describeState({ action: "deny", status: "denied", note: "unsafe" }, v, ["deny"])).toBe("denied: unsafe");
  });
});

describe("the stored state an item arrives with", () => {
  it("seeds the fold from the payload's decision", () => {
    expect(seedState(null)).toBe(EMPTY_STATE);
    expect(summarize(seedState({ action: "accept", status: "accepted", label: "pos", note: null, data: { ratings: { h: 2 } } }))).toEqual({
      status: "accepted",
      action: "accept",
      label: "pos",
      note: null,
      ratings: { h: 2 },
    });
    expect(summarize(seedState({ action: "rate", status: "rated", data: { ratings: { h: 2 } } }))).toMatchObject({ status: "rated", action: null });
    // the kernel's state: `ratings` in effect beside the verdict event's own data
    const st = { action: "edit", status: "edited", label: null, note: null, ratings: { h: 2, k: 1 }, data: { edited: "x", ratings: { k: 1 } } };
    expect(seedState(st)).toMatchObject({ verdict: { action: "edit", data: { edited: "x" } }, ratings: { h: 2, k: 1 } });
    expect(summarize(seedState({ action: null as unknown as string, status: "rated", label: null, note: null, ratings: { h: 1 } }))).toMatchObject({
      status: "rated",
      action: null,
      ratings: { h: 1 },
    });
    expect(summarize(seedState({ action: "skip", status: "skipped", note: "later", ratings: null }))).toMatchObject({ status: "skipped", note: "later" });
    expect(summarize(seedState({ action: null as unknown as string, status: "flagged", note: "x" }))).toMatchObject({ status: "flagged", action: "flag" });
    // skip after a stored accept changes nothing; undo of a stored state is the empty one
    const base = seedState({ action: "accept", status: "accepted", label: "pos" });
    expect(summarize(foldState([{ action: "skip" }], DEFAULT_VOCABULARY, { start: base })).status).toBe("accepted");
    expect(summarize(foldState([{ action: "correct", label: "neg" }, { action: "undo" }], DEFAULT_VOCABULARY, { start: base })).label).toBe("pos");
  });

  it("viewState reads a verdict, ratings only as a rate, nothing as null", () => {
    expect(viewState(EMPTY_STATE)).toBeNull();
    expect(viewState(seedState({ action: "rate", data: { ratings: { h: 1 } } }))).toMatchObject({ action: "rate", status: "rated", ratings: { h: 1 } });
    expect(viewState(seedState({ action: "accept", label: null }), DEFAULT_VOCABULARY, "pos")).toMatchObject({ action: "accept", label: "pos" });
  });
});

describe("the client folds with it", () => {
  function client(items = queue(10), config: Record<string, unknown> = {}) {
    const model = new FakeModel({ queue_length: items.length, config: { prefetch: 8, task: "t", ...config } });
    const c = new ReviewClient(model.asModel(), { sendAfterFrame: false, storage: null });
    c.start();
    new FakeKernel(model, items).serve();
    return { model, c };
  }

  it("starts from the stored state; undo of a correction restores the stored accept", () => {
    const items = queue(3, (qi) => (qi === 0 ? { decision: { action: "accept", status: "accepted", label: "pos", note: null, data: null } } : {}));
    const { c } = client(items);
    expect(c.stateOf(items[0])).toMatchObject({ action: "accept", status: "accepted", label: "pos" });
    c.decide({ action: "correct", label: "neg" });
    expect(c.stateOf(items[0])).toMatchObject({ action: "correct", status: "corrected", label: "neg" });
    c.undo();
    expect(c.stateOf(items[0])).toMatchObject({ action: "accept", status: "accepted", label: "pos" });
    c.dispose();
  });

  it("a skip after an accept leaves the accept standing (the kernel's fold)", () => {
    const { c } = client();
    const it0 = c.current()!;
    c.decide({ action: "accept" });
    c.move(-1);
    c.decide({ action: "skip" });
    expect(c.stateOf(it0)).toMatchObject({ action: "accept", status: "accepted", label: "pos" });
    c.dispose();
  });

  it("a refused decision is folded out; ratings survive a later verdict", () => {
    const { model, c } = client();
    const it0 = c.current()!;
    c.decide({ action: "rate", data: { ratings: { h: 2 } } }, { advance: false });
    const acc = c.decide({ action: "accept", data: { ratings: { h: 2 } } }, { advance: false })!;
    c.decide({ action: "rate", data: { ratings: { k: 1 } } }, { advance: false });
    expect(c.foldOf(it0)).toMatchObject({ verdict: { action: "accept" }, ratings: { h: 2, k: 1 } });
    model.deliver({ type: "ack", ids: [], errors: { [acc.id]: "no" } });
    expect(c.foldOf(it0)).toMatchObject({ verdict: null, ratings: { h: 2, k: 1 } });
    expect(c.stateOf(it0)).toMatchObject({ action: "rate", status: "rated" });
    c.dispose();
  });

  it("an echo of its own decision (external) is not folded twice; a Python undo pops", () => {
    const { model, c } = client();
    const it0 = c.current()!;
    const d = c.decide({ action: "accept" }, { advance: false })!;
    model.deliver({ type: "external", advance: false, decision: d });
    model.deliver({ type: "external", advance: false, decision: { ...d, id: "py-undo", action: "undo" } });
    expect(c.stateOf(it0)).toBeNull();
    expect(c.pendingCount()).toBe(0);
    c.dispose();
  });

  it("takes the kernel's vocabulary: an action the kind does not take is not sent", () => {
    const { model, c } = client(queue(3), { vocabulary: { actions: ["accept", "skip"] } });
    const messages: string[] = [];
    c.events.on("message", (m) => messages.push(m.text));
    expect(c.decide({ action: "correct", label: "neg" })).toBeNull();
    expect(messages[0]).toContain("correct");
    expect(c.cursor).toBe(0);
    expect(c.decide({ action: "accept" })).not.toBeNull();
    expect(model.decisions().map((x) => x.action)).toEqual(["accept"]);
    c.dispose();
  });
});
