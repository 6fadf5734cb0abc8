/** @vitest-environment jsdom */
/**
 * A new user's report, item by item: rubric focus, the item clock, stored state on a
 * revisit, the help overlay, the saved diff, long queues (N / Home / End, export), gold
 * feedback, and the smaller points (summary hint, model badge, pairwise reasons after a
 * choice and the marked differences).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { mount as mountGeneration, type GenerationItem, type GenerationRoot } from "../src/widgets/generation";
import { mount as mountPairwise, type PairwiseItem } from "../src/widgets/pairwise";
import type { HitlRoot } from "../src/widgets/classification";
import { FakeModel, frame, mountClassification, mountWidget, press, q, queue, useWidgetTests, type Mounted } from "./helpers";

useWidgetTests();

const visible = (e: HTMLElement) => !e.hidden && !e.closest("[hidden]");
const pointerdown = (e: Element) => e.dispatchEvent(new Event("pointerdown", { bubbles: true }));
/** let the promise callbacks of an answer run (seek / export are promise-based) */
const settle = async () => {
  for (let i = 0; i < 6; i++) await Promise.resolve();
};

/* ------------------------------------------------------------------ generation set-up */

const RUBRIC5 = [
  { name: "helpful", scale: [1, 2, 3, 4, 5] },
  { name: "harmless", scale: [1, 2, 3, 4, 5] },
];

function genItem(qi: number, extra: Partial<GenerationItem> = {}): GenerationItem {
  return {
    qi,
    item_id: `gen-${qi}`,
    content_hash: `h${qi}`,
    prompt: `Prompt ${qi}`,
    context: null,
    response: `Response number ${qi}: the cat sat on the mat.`,
    decision: null,
    reasons: [],
    ...extra,
  };
}

function gen(opts: { items?: GenerationItem[]; rubric?: unknown[] } = {}): Mounted<GenerationRoot> {
  const items = opts.items ?? Array.from({ length: 4 }, (_, i) => genItem(i));
  const model = new FakeModel({
    kind: "generation",
    labels: [],
    queue_length: items.length,
    total: items.length,
    config: { prefetch: 8, task: "gen", rubric: opts.rubric ?? RUBRIC5 },
  });
  return mountWidget<GenerationRoot>(mountGeneration, model, items);
}

function pairItem(qi: number, extra: Partial<PairwiseItem> = {}): PairwiseItem {
  return {
    qi,
    item_id: `pair-${qi}`,
    content_hash: `h${qi}`,
    prompt: `Which is better for ${qi}?`,
    context: null,
    left: "a",
    left_text: `Answer A${qi}`,
    right_text: `Something else ${qi}`,
    seed: 7,
    decision: null,
    reasons: [],
    ...extra,
  };
}

function pair(items: PairwiseItem[] = Array.from({ length: 4 }, (_, i) => pairItem(i))): Mounted<HitlRoot> {
  const model = new FakeModel({ kind: "pairwise", labels: [], queue_length: items.length, total: items.length, config: { prefetch: 8, task: "pw", seed: 7 } });
  return mountWidget<HitlRoot>(mountPairwise, model, items);
}

const helpRows = (root: HTMLElement) =>
  [...q(root, "help").querySelectorAll("tr")].map((r) => ({ keys: r.getAttribute("data-keys"), text: r.textContent ?? "" }));

/* ------------------------------------------------------------------ 1. rubric focus */
describe("rubric: a digit rates the focused criterion, and the focus stays there", () => {
  it("4, Tab, 1 gives {helpful: 4, harmless: 1}", () => {
    const s = gen();
    press(s.root, "4");
    press(s.root, "Tab");
    press(s.root, "1");
    const ds = s.model.distinctDecisions();
    expect(ds.map((d) => [d.action, d.data])).toEqual([
      ["rate", { ratings: { helpful: 4 } }],
      ["rate", { ratings: { helpful: 4, harmless: 1 } }],
    ]);
    const pressed = [...s.root.querySelectorAll('[data-testid="criterion"]')].map((r) =>
      r.querySelector('[aria-pressed="true"]')?.getAttribute("data-value"),
    );
    expect(pressed).toEqual(["4", "1"]);
  });

  it("a second digit changes the same criterion (no silent move)", () => {
    const s = gen();
    press(s.root, "4");
    press(s.root, "2");
    const ds = s.model.distinctDecisions();
    expect(ds.map((d) => d.data)).toEqual([{ ratings: { helpful: 4 } }, { ratings: { helpful: 2 } }]);
  });

  it("the focused criterion is marked (▸, aria-current) and named in the hint line", () => {
    const s = gen();
    const rows = () => [...s.root.querySelectorAll<HTMLElement>('[data-testid="criterion"]')];
    const marked = () => rows().map((r) => [r.querySelector('[data-testid="criterion-marker"]')!.textContent, r.getAttribute("aria-current")]);
    expect(marked()).toEqual([
      ["▸", "true"],
      ["", null],
    ]);
    expect(q(s.root, "rubric-hint-text").textContent).toBe("rating: helpful — 1–5");
    press(s.root, "3");
    expect(q(s.root, "rubric-hint-text").textContent).toBe("rating: helpful — 1–5");
    press(s.root, "Tab");
    expect(marked()).toEqual([
      ["", null],
      ["▸", "true"],
    ]);
    expect(q(s.root, "rubric-hint-text").textContent).toBe("rating: harmless — 1–5");
    press(s.root, "Tab", { shiftKey: true });
    expect(q(s.root, "rubric-hint-text").textContent).toBe("rating: helpful — 1–5");
  });

  it("the hint names the keys of the scale (two values: 1–2; ten: 1–9, 0)", () => {
    const s = gen({ rubric: [{ name: "safe", scale: ["yes", "no"] }, { name: "score", scale: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }] });
    expect(q(s.root, "rubric-hint-text").textContent).toBe("rating: safe — 1–2");
    press(s.root, "Tab");
    expect(q(s.root, "rubric-hint-text").textContent).toBe("rating: score — 1–9, 0");
    press(s.root, "0");
    expect(s.model.distinctDecisions()[0].data).toEqual({ ratings: { score: 10 } });
  });

  it("? says exactly this", () => {
    const s = gen();
    press(s.root, "?");
    const rows = helpRows(s.root);
    const digits = rows.find((r) => r.keys === "1 2 3 4 5 6 7 8 9 0")!;
    expect(digits.text).toMatch(/focused criterion/);
    expect(digits.text).toMatch(/focus stays/);
    const tab = rows.find((r) => r.keys === "Tab")!;
    expect(tab.text).toMatch(/next \/ previous/);
  });

  it("a rating button whose key is its value shows the value once", () => {
    const s = gen({ rubric: [{ name: "helpful", scale: [1, 2, 3] }, { name: "safe", scale: ["yes", "no"] }] });
    const buttons = [...s.root.querySelectorAll('[data-testid="rating-button"]')];
    expect(buttons.map((b) => b.textContent)).toEqual(["1", "2", "3", "1yes", "2no"]);
    expect(buttons[0].getAttribute("title")).toBe("Press 1");
  });
});

/* ------------------------------------------------------------------ 2. the item clock */
describe("the item clock: from the first interaction, idle gaps capped at 60 s", () => {
  it("the time before the person's first interaction is not counted", () => {
    const s = mountClassification();
    vi.advanceTimersByTime(238_000); // the widget waits, rendered and focused, nobody there
    pointerdown(s.root);
    vi.advanceTimersByTime(4_000);
    press(s.root, "Enter");
    const [d] = s.model.distinctDecisions();
    expect(d.duration_ms).toBe(4000);
    expect(d.data).toBeNull(); // no idle time cut: no idle_ms
  });

  it("the widget focusing itself is not an interaction; the person focusing it is", () => {
    const s = mountClassification();
    expect(document.activeElement).toBe(s.root); // focused at render, by the widget
    vi.advanceTimersByTime(30_000);
    s.root.blur();
    s.root.focus(); // the person (Tab / a click)
    vi.advanceTimersByTime(2_500);
    press(s.root, "Enter");
    expect(s.model.distinctDecisions()[0].duration_ms).toBe(2500);
  });

  it("a first interaction that is the decision itself counts from there", () => {
    const s = mountClassification();
    vi.advanceTimersByTime(90_000);
    press(s.root, "Enter");
    const [d] = s.model.distinctDecisions();
    expect(d.duration_ms).toBe(0);
    expect(Number.isInteger(d.duration_ms)).toBe(true);
  });

  it("a gap of more than 60 s between interactions counts as 60 s; the rest is data.idle_ms", () => {
    const s = mountClassification();
    pointerdown(s.root);
    vi.advanceTimersByTime(1_000);
    press(s.root, "Enter"); // item 0: 1 s
    vi.advanceTimersByTime(100_000); // item 1 on screen, the person away
    press(s.root, "2"); // correct to neg
    vi.advanceTimersByTime(10_000);
    press(s.root, "ArrowRight"); // item 3 shown (not decided)
    vi.advanceTimersByTime(70_000);
    pointerdown(s.root); // back, reads
    vi.advanceTimersByTime(3_000);
    press(s.root, "Enter");
    const ds = s.model.distinctDecisions();
    expect(ds.map((d) => [d.action, d.duration_ms, d.data])).toEqual([
      ["accept", 1000, null],
      ["correct", 60000, { idle_ms: 40000 }],
      ["accept", 60000 + 3000, { idle_ms: 10000 }],
    ]);
    for (const d of ds) expect(Number.isInteger(d.duration_ms)).toBe(true);
  });

  it("idle_ms merges into the kind's data (generation: the ratings)", () => {
    const s = gen();
    pointerdown(s.root);
    press(s.root, "3");
    vi.advanceTimersByTime(75_000);
    press(s.root, "Enter");
    const acc = s.model.distinctDecisions()[1];
    expect(acc).toMatchObject({ action: "accept", duration_ms: 60000, data: { ratings: { helpful: 3 }, idle_ms: 15000 } });
  });
});

/* ------------------------------------------------------------------ 3. stored state */
describe("a revisited item shows what is stored", () => {
  const stored = (extra: Record<string, unknown>) => ({ action: null, status: null, label: null, note: null, ratings: null, data: null, ...extra });

  it("generation: the stored ratings select their buttons (rated only, and with a verdict)", () => {
    const items = [
      genItem(0, { decision: stored({ status: "rated", ratings: { helpful: 2 } }) as never }),
      genItem(1, { decision: stored({ action: "accept", status: "accepted", ratings: { helpful: 5, harmless: 1 }, data: { ratings: { helpful: 5, harmless: 1 } } }) as never }),
    ];
    const s = gen({ items });
    const pressed = () =>
      [...s.root.querySelectorAll('[data-testid="criterion"]')].map((r) => r.querySelector('[aria-pressed="true"]')?.getAttribute("data-value") ?? null);
    expect(pressed()).toEqual(["2", null]);
    expect(q(s.root, "decision").textContent).toBe("rated");
    // the focus goes to the criterion still open
    expect(q(s.root, "rubric-hint-text").textContent).toBe("rating: harmless — 1–5");
    press(s.root, "ArrowRight");
    expect(pressed()).toEqual(["5", "1"]);
    expect(q(s.root, "decision").textContent).toBe("accepted");
    press(s.root, "ArrowLeft");
    expect(pressed()).toEqual(["2", null]);
    // rating the open criterion keeps the stored one
    press(s.root, "4");
    expect(s.model.distinctDecisions()[0].data).toEqual({ ratings: { helpful: 2, harmless: 4 } });
  });

  it("classification: the stored label's button is pressed", () => {
    const items = queue(3, (qi) => (qi === 1 ? { decision: stored({ action: "correct", status: "corrected", label: "neg" }) as never } : {}));
    const s = mountClassification({ items });
    press(s.root, "ArrowRight");
    const b = s.root.querySelector<HTMLElement>('[data-testid="label-button"][data-label="neg"]')!;
    expect(b.getAttribute("aria-pressed")).toBe("true");
    expect(b.classList.contains("is-chosen")).toBe(true);
    expect(s.root.querySelectorAll('[data-testid="label-button"][aria-pressed="true"]').length).toBe(1);
  });

  it("pairwise: the stored side is shown chosen", () => {
    const items = [pairItem(0), pairItem(1, { left: "b", decision: stored({ action: "compare", status: "compared", label: "a", data: { choice: "a", left: "b", seed: 7 } }) as never })];
    const s = pair(items);
    press(s.root, "ArrowRight");
    expect(q(s.root, "right").classList.contains("is-chosen")).toBe(true);
    expect(s.root.querySelector('[data-choice="right"]')!.getAttribute("aria-pressed")).toBe("true");
    expect(q(s.root, "decision").textContent).toBe("right is better");
  });
});

/* ------------------------------------------------------------------ 4. help overlay */
describe("the ? overlay is never cut off", () => {
  it("while it is open the widget is at least as tall as it", () => {
    const s = mountClassification();
    const help = q(s.root, "help");
    Object.defineProperty(help, "offsetHeight", { configurable: true, get: () => (help.hidden ? 0 : 258) });
    press(s.root, "?");
    expect(visible(help)).toBe(true);
    expect(parseFloat(s.root.style.minHeight)).toBeGreaterThanOrEqual(258 + 6);
    press(s.root, "Escape");
    expect(s.root.style.minHeight).toBe("");
  });

  it("generation lists scrolling once (a row for the line keys, one for the page keys)", () => {
    const s = gen();
    press(s.root, "?");
    const scroll = helpRows(s.root).filter((r) => /scroll/i.test(r.text));
    expect(scroll.map((r) => r.keys)).toEqual(["ArrowUp", "PageUp"]);
    expect(scroll[0].text).toContain("↑ / ↓");
    expect(scroll[1].text).toContain("PgUp / PgDn / Space");
    // the keys still scroll
    expect(press(s.root, "ArrowDown").defaultPrevented).toBe(true);
  });
});

/* ------------------------------------------------------------------ 5. the saved diff */
describe("the saved diff shows its first change", () => {
  let restore: (() => void) | null = null;
  afterEach(() => {
    restore?.();
    restore = null;
  });
  /** jsdom lays nothing out: the first change is 900 px down the box */
  function stubLayout(): void {
    const proto = HTMLElement.prototype;
    const d = Object.getOwnPropertyDescriptor(proto, "offsetTop")!;
    Object.defineProperty(proto, "offsetTop", {
      configurable: true,
      get(this: HTMLElement) {
        return this.localName === "ins" || this.localName === "del" ? 900 : 0;
      },
    });
    restore = () => Object.defineProperty(proto, "offsetTop", d);
  }

  it("after a save and on a revisit, the box is scrolled to the first change", () => {
    stubLayout();
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");
    const s = gen({ items: [genItem(0, { response: long }), genItem(1)] });
    press(s.root, "e");
    q<HTMLTextAreaElement>(s.root, "editor").value = `${long} and one more sentence.`;
    press(q(s.root, "editor"), "Enter", { ctrlKey: true });
    const diff = q(s.root, "diff");
    expect(diff.querySelector("ins")!.textContent).toBe(" and one more sentence.");
    expect(diff.scrollTop).toBe(0);
    frame();
    expect(diff.scrollTop).toBe(900);
    press(s.root, "Enter"); // keep the edit, next
    diff.scrollTop = 0; // (as a new item's would be)
    press(s.root, "ArrowLeft");
    frame();
    expect(diff.scrollTop).toBe(900);
  });
});

/* ------------------------------------------------------------------ 6. long queues */
describe("N / Home / End and the export", () => {
  it("N asks the kernel for the next entry not decided and goes there (timed); an unknown answer is ignored", async () => {
    const s = mountClassification({ n: 30 });
    press(s.root, "Enter"); // item 0 decided, cursor 1
    frame();
    const ev = press(s.root, "n");
    expect(ev.defaultPrevented).toBe(true);
    const [seek] = s.model.sentOf("seek");
    expect(seek).toMatchObject({ type: "seek", start: 2 });
    expect(typeof seek.req).toBe("string");
    s.model.deliver({ type: "seek", req: "someone-else", qi: 20 });
    await settle();
    expect(q(s.root, "position").textContent).toBe("2 / 30");
    s.model.deliver({ type: "seek", req: seek.req, qi: 7 });
    await settle();
    expect(q(s.root, "position").textContent).toBe("8 / 30");
    frame();
    expect(s.root.__hitlTimings!.map((t) => [t.key, t.qi])).toEqual([
      ["Enter", 1],
      ["n", 7],
    ]);
    // a second answer to the same req changes nothing
    s.model.deliver({ type: "seek", req: seek.req, qi: 3 });
    await settle();
    expect(q(s.root, "position").textContent).toBe("8 / 30");
  });

  it("N with nothing left goes to the summary (qi = queue length)", async () => {
    const s = mountClassification({ n: 5 });
    press(s.root, "n");
    const [seek] = s.model.sentOf("seek");
    expect(seek.start).toBe(1);
    s.model.deliver({ type: "seek", req: seek.req, qi: 5 });
    await settle();
    expect(s.root.getAttribute("data-state")).toBe("summary");
  });

  it("End goes to the summary, Home to the first entry; no key reaches the notebook", () => {
    const s = mountClassification({ n: 12 });
    const seen: string[] = [];
    const listener = (e: KeyboardEvent) => seen.push(e.key);
    document.addEventListener("keydown", listener);
    press(s.root, "ArrowRight");
    press(s.root, "End");
    expect(s.root.getAttribute("data-state")).toBe("summary");
    press(s.root, "Home");
    expect(q(s.root, "position").textContent).toBe("1 / 12");
    press(s.root, "n");
    document.removeEventListener("keydown", listener);
    expect(seen).toEqual([]);
    expect(s.model.decisions()).toEqual([]);
  });

  it("? lists N, Home and End", () => {
    const s = mountClassification();
    press(s.root, "?");
    const keys = helpRows(s.root).map((r) => r.keys);
    for (const k of ["n", "Home", "End"]) expect(keys).toContain(k);
  });

  it("Download CSV / JSONL in the summary and under ?: asks the kernel, downloads its file", async () => {
    const created: Blob[] = [];
    const revoked: string[] = [];
    const clicked: { href: string; download: string }[] = [];
    const create = vi.spyOn(URL, "createObjectURL").mockImplementation((b) => {
      created.push(b as Blob);
      return "blob:test/1";
    });
    const revoke = vi.spyOn(URL, "revokeObjectURL").mockImplementation((u) => void revoked.push(u));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.getAttribute("href")!, download: this.download });
    });
    try {
      const s = mountClassification({ n: 3 });
      press(s.root, "End");
      const csv = q(q(s.root, "summary"), "export-csv");
      expect(q(q(s.root, "summary"), "export-jsonl").textContent).toBe("Download JSONL");
      csv.click();
      const [msg] = s.model.sentOf("export");
      expect(msg).toMatchObject({ type: "export", format: "csv" });
      s.model.deliver({ type: "export", req: "not-ours", filename: "x.csv", mime: "text/csv", text: "no", rows: 9 });
      await settle();
      expect(created).toHaveLength(0);
      s.model.deliver({ type: "export", req: msg.req, filename: "sentiment-decisions.csv", mime: "text/csv", text: "a,b\n1,2\n", rows: 3 });
      await settle();
      expect(created).toHaveLength(1);
      expect(created[0].type).toBe("text/csv");
      expect(clicked).toEqual([{ href: "blob:test/1", download: "sentiment-decisions.csv" }]);
      expect(s.root.querySelector("a[download]")).toBeNull(); // the link was temporary
      expect(q(s.root, "message").textContent).toContain("Downloaded 3 decisions");
      vi.advanceTimersByTime(2000);
      expect(revoked).toEqual(["blob:test/1"]);
      // under ? too (from any item)
      press(s.root, "Home");
      press(s.root, "?");
      q(q(s.root, "help"), "export-jsonl").click();
      expect(s.model.sentOf("export")[1]).toMatchObject({ format: "jsonl" });
    } finally {
      create.mockRestore();
      revoke.mockRestore();
      click.mockRestore();
    }
  });
});

/* ------------------------------------------------------------------ 7. gold feedback */
describe("gold feedback says which item it is about", () => {
  it("names the previous item and shows what the person saw of it, as text", () => {
    const s = mountClassification();
    press(s.root, "2");
    const d = s.model.decisions()[0];
    s.model.deliver({
      type: "ack",
      ids: [d.id],
      errors: {},
      feedback: {
        [d.id]: { item_id: "CLM-00052", gold: true, correct: false, given: "neg", expected: "pos", passage: "", text: "<b>Great</b> product <img src=x onerror=alert(1)>" },
      },
    });
    const card = q(s.root, "gold-feedback");
    expect(visible(card)).toBe(true);
    expect(q(card, "gold-about").textContent).toBe("Feedback on CLM-00052 (the item you just answered)");
    const on = q(card, "gold-on");
    expect(visible(on)).toBe(true);
    expect(on.textContent).toBe("on: <b>Great</b> product <img src=x onerror=alert(1)>");
    expect(card.querySelector("b, img")).toBeNull();
  });

  it("without text (older kernels) the line is hidden", () => {
    const s = mountClassification();
    press(s.root, "Enter");
    const d = s.model.decisions()[0];
    s.model.deliver({ type: "ack", ids: [d.id], errors: {}, feedback: { [d.id]: { item_id: "item-0", gold: true, correct: true, given: "pos", expected: "pos", passage: "" } } });
    expect(q(s.root, "gold-on").hidden).toBe(true);
    expect(q(s.root, "gold-about").textContent).toContain("item-0");
  });
});

/* ------------------------------------------------------------------ 8. smaller */
describe("the summary offers only the ways back that work", () => {
  it("at the end: ← goes back to the last entry; Z only once something was decided", () => {
    const s = mountClassification({ n: 3 });
    press(s.root, "End");
    let hint = q(s.root, "summary-hint").textContent!;
    expect(hint).toContain("←");
    expect(hint).not.toContain("Z");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "position").textContent).toBe("3 / 3");
    press(s.root, "Enter");
    expect(s.root.getAttribute("data-state")).toBe("summary");
    hint = q(s.root, "summary-hint").textContent!;
    expect(hint).toContain("Z to undo");
  });

  it("an empty queue: no hint (nothing to go back to)", () => {
    const s = mountClassification({ items: [] });
    expect(s.root.getAttribute("data-state")).toBe("summary");
    expect(q(s.root, "summary").textContent).toContain("Nothing to review");
    expect(s.root.querySelector('[data-testid="summary-hint"]')).toBeNull();
    expect(q(s.root, "summary").textContent).not.toContain("go back");
  });
});

describe("the model's label is marked in words, not by an outline a hover looks like", () => {
  it("a 'model' badge on the model's label only", () => {
    const s = mountClassification({ n: 3, items: queue(3, (qi) => ({ model_label: qi === 1 ? "neg" : "pos" })) });
    const badges = () =>
      [...s.root.querySelectorAll<HTMLElement>('[data-testid="label-button"]')].map((b) => [
        b.getAttribute("data-label"),
        visible(b.querySelector<HTMLElement>('[data-testid="model-badge"]')!),
        b.classList.contains("is-model"),
      ]);
    expect(badges()).toEqual([
      ["pos", true, true],
      ["neg", false, false],
      ["neutral", false, false],
    ]);
    expect(q(s.root, "label-button").textContent).toBe("1posmodel");
    press(s.root, "ArrowRight");
    expect(badges().map((b) => b[1])).toEqual([false, true, false]);
  });

  it("no badge when the model is hidden", () => {
    const s = mountClassification({ traits: { config: { show_model: false, prefetch: 8, task: "t" } } });
    expect(s.root.querySelectorAll('[data-testid="model-badge"]:not([hidden])').length).toBe(0);
  });
});

describe("pairwise: a reason after the choice (Shift+1–4)", () => {
  it("Shift+2 chooses and keeps the pair with the reason box; Enter sends the choice with the reason and moves on", () => {
    const s = pair();
    press(s.root, "@", { shiftKey: true, code: "Digit2" });
    expect(s.model.distinctDecisions()).toEqual([]);
    expect(q(s.root, "item-text").getAttribute("data-item-id")).toBe("pair-0");
    const input = q<HTMLInputElement>(s.root, "reason-input");
    expect(visible(q(s.root, "reason-box"))).toBe(true);
    expect(document.activeElement).toBe(input);
    expect(q(s.root, "right").classList.contains("is-chosen")).toBe(true);
    expect(q(s.root, "reason").textContent).toContain("Right is better");
    for (const k of ["1", "2", "s", "z"]) expect(press(input, k).defaultPrevented).toBe(false);
    input.value = "cites its source";
    press(input, "Enter");
    const [d] = s.model.distinctDecisions();
    expect(d).toMatchObject({ action: "compare", item_id: "pair-0", note: "cites its source", data: { choice: "b", left: "a", reason: "cites its source" } });
    expect(q(s.root, "item-text").getAttribute("data-item-id")).toBe("pair-1");
    expect(q(s.root, "reason-box").hidden).toBe(true);
    expect(document.activeElement).toBe(s.root);
  });

  it("Esc sends the choice without a reason and moves on", () => {
    const s = pair();
    press(s.root, "!", { shiftKey: true, code: "Digit1" });
    expect(s.model.distinctDecisions()).toEqual([]); // not sent before Enter / Esc
    expect(visible(q(s.root, "reason-box"))).toBe(true);
    expect(q(s.root, "left").classList.contains("is-chosen")).toBe(true);
    press(q(s.root, "reason-input"), "Escape");
    const [d] = s.model.distinctDecisions();
    expect(d).toMatchObject({ action: "compare", note: null, data: { choice: "a", reason: null } });
    expect(q(s.root, "item-text").getAttribute("data-item-id")).toBe("pair-1");
    // plain digits still decide at once
    press(s.root, "3");
    expect(s.model.distinctDecisions()[1]).toMatchObject({ data: { choice: "tie" } });
  });

  it("? documents it", () => {
    const s = pair();
    press(s.root, "?");
    const row = helpRows(s.root).find((r) => r.text.includes("Shift + 1 – 4"))!;
    expect(row.text).toMatch(/Enter saves the choice with the reason/);
    expect(row.text).toMatch(/Esc/);
  });
});

describe("pairwise: where two nearly identical answers differ is marked", () => {
  const marks = (e: HTMLElement) => [...e.querySelectorAll('[data-testid="pair-diff"]')].map((m) => m.textContent);

  it("similar answers: the differing words are marked on each side, the text unchanged", () => {
    const a = "The function returns **a list** of the values, sorted by key.";
    const b = "The function returns **a tuple** of the values, sorted by name.";
    const s = pair([pairItem(0, { left_text: a, right_text: b })]);
    expect(marks(q(s.root, "left-text"))).toEqual(["list", "key."]);
    expect(marks(q(s.root, "right-text"))).toEqual(["tuple", "name."]);
    expect(q(s.root, "left-text").textContent!.trim()).toBe("The function returns a list of the values, sorted by key.");
    expect(q(s.root, "left-text").querySelector("strong")!.textContent).toBe("a list");
  });

  it("different answers (60% of words or fewer shared) are not marked", () => {
    const s = pair([pairItem(0, { left_text: "Use a dictionary for the lookup table here.", right_text: "A list works, but it is slow for large inputs." })]);
    expect(s.root.querySelectorAll('[data-testid="pair-diff"]').length).toBe(0);
  });

  it("hostile text stays text when marked", () => {
    const a = "same same same same &lt;img src=x onerror=alert(1)&gt; one";
    const b = "same same same same &lt;img src=x onerror=alert(1)&gt; two";
    const s = pair([pairItem(0, { left_text: a, right_text: b })]);
    expect(marks(q(s.root, "left-text"))).toEqual(["one"]);
    expect(s.root.querySelector(".hitl-md img")).toBeNull();
  });
});
