/** @vitest-environment jsdom */
import { describe, expect, it, vi } from "vitest";
import { Emitter, ReviewClient, uuid } from "../src/lib/protocol";
import { attachKeyLayer, isTextEntry, keyFromCode, normalizeKey, textBoxKeys } from "../src/lib/keyboard";
import { computeProgress, formatDuration, formatProgress } from "../src/lib/progress";
import { createHelp } from "../src/lib/help";
import { el, setText } from "../src/lib/dom";
import { DEL, EQ, applyDiff, diffChunks, diffHtml, diffIds, differingWords, renderDiff, wordDiff, wordTokens } from "../src/lib/diffview";
import { diffArrays, diffWordsWithSpace, wordsWithSpaceDiff } from "diff";
import { FakeKernel, FakeModel, press, queue, useWidgetTests } from "./helpers";

useWidgetTests();

describe("ReviewClient", () => {
  function client(traits: Record<string, unknown> = {}, n = 40) {
    const model = new FakeModel({ queue_length: n, ...traits });
    const kernel = new FakeKernel(model, queue(n));
    const c = new ReviewClient(model.asModel(), { sendAfterFrame: false });
    c.start();
    return { model, kernel, c };
  }

  it("keeps another tab's pending decisions under the same key (read-modify-write)", () => {
    const { model, kernel, c } = client();
    kernel.serve();
    // another tab writes its own pending decision meanwhile
    const other = { id: "other-tab", item_id: "x", qi: 9, action: "skip", created_at: "2020-01-01T00:00:00Z" };
    const key = "hitl:pending:store-1";
    localStorage.setItem(key, JSON.stringify({ ...JSON.parse(localStorage.getItem(key) ?? "{}"), [other.id]: other }));
    const d = c.decide({ action: "accept" })!;
    expect(Object.keys(JSON.parse(localStorage.getItem(key)!))).toEqual(["other-tab", d.id]);
    model.deliver({ type: "ack", ids: [d.id] });
    expect(Object.keys(JSON.parse(localStorage.getItem(key)!))).toEqual(["other-tab"]);
    c.dispose();
  });

  it("sends hello with stored decisions oldest first and resends them until acked", () => {
    const key = "hitl:pending:store-1";
    const mk = (id: string, t: string) => ({ id, item_id: id, qi: 0, action: "accept", created_at: t });
    localStorage.setItem(key, JSON.stringify({ b: mk("b", "2024-01-02T00:00:00Z"), a: mk("a", "2024-01-01T00:00:00Z") }));
    const { model, c } = client();
    expect(model.sent[0].type).toBe("hello");
    expect(model.sent[0].pending.map((d: { id: string }) => d.id)).toEqual(["a", "b"]);
    vi.advanceTimersByTime(2100);
    expect(model.sentOf("decide")).toHaveLength(1);
    model.deliver({ type: "ack", ids: ["a", "b"] });
    expect(c.pendingCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(model.sentOf("decide")).toHaveLength(1);
    c.dispose();
  });

  it("asks again for a page whose answer never came (after the fetch timeout)", () => {
    const { model, c } = client();
    expect(model.sentOf("fetch")).toHaveLength(1);
    vi.advanceTimersByTime(9000);
    expect(model.sentOf("fetch")).toHaveLength(1);
    vi.advanceTimersByTime(1500);
    expect(model.sentOf("fetch")).toHaveLength(2);
    expect(model.sentOf("fetch")[1]).toMatchObject({ start: 0 });
    c.dispose();
  });

  it("says when the kernel stays silent on decisions, and when it answers again", () => {
    // a kernel that receives nothing (as after a kill, when JupyterLab still addresses the
    // old kernel's subshell): the view must not look merely slow
    const { model, kernel, c } = client();
    const statuses: { level: string; text: string }[] = [];
    c.events.on("status", (st) => statuses.push(st));
    kernel.serve(); // the kernel answered the first page, then fell silent
    expect(c.decide({ action: "accept" })).not.toBeNull();
    expect(c.decide({ action: "skip" })).not.toBeNull();
    vi.advanceTimersByTime(7000);
    expect(statuses).toEqual([]);
    vi.advanceTimersByTime(1600);
    expect(statuses).toHaveLength(1);
    expect(statuses[0].level).toBe("waiting");
    expect(statuses[0].text).toContain("2 decisions are kept in this browser");
    expect(statuses[0].text).toContain("reload the page");
    vi.advanceTimersByTime(20000);
    expect(statuses).toHaveLength(1); // said once
    model.deliver({ type: "ack", ids: c.pendingDecisions().map((d) => d.id) });
    expect(statuses.map((st) => st.level)).toEqual(["waiting", "ok"]);
    c.dispose();
  });

  it("does not call a kernel silent that answers, or when nothing waits for it", () => {
    const { model, kernel, c } = client();
    const statuses: string[] = [];
    c.events.on("status", (st) => statuses.push(st.level));
    kernel.serve(); // the first page comes: nothing waits any more
    vi.advanceTimersByTime(30000);
    // a decision answered after 5 s each time: slow, not silent
    for (let i = 0; i < 4; i++) {
      const d = c.decide({ action: "accept" })!;
      vi.advanceTimersByTime(5000);
      model.deliver({ type: "ack", ids: [d.id] });
      kernel.serve();
    }
    vi.advanceTimersByTime(30000);
    expect(statuses).toEqual([]);
    c.dispose();
  });

  it("keeps working without storage and when send throws", () => {
    const model = new FakeModel();
    const c = new ReviewClient(model.asModel(), { storage: null, sendAfterFrame: false });
    c.start();
    new FakeKernel(model, queue(40)).serve();
    model.send = () => {
      throw new Error("comm closed");
    };
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(c.decide({ action: "skip" })).not.toBeNull();
    expect(c.pendingCount()).toBe(1);
    expect(localStorage.length).toBe(0);
    warn.mockRestore();
    c.dispose();
  });

  it("ignores messages that are not its own", () => {
    const { model, c } = client();
    model.deliver({ type: "something-else" });
    model.deliver(null);
    model.deliver({ type: "items", req: "not-mine", start: 0, items: queue(2) });
    expect(c.items.size).toBe(0);
    c.dispose();
  });
});

describe("utilities", () => {
  it("uuid falls back when crypto.randomUUID is missing (plain-http notebooks)", () => {
    const orig = globalThis.crypto.randomUUID;
    Object.defineProperty(globalThis.crypto, "randomUUID", { value: undefined, configurable: true });
    try {
      const ids = new Set(Array.from({ length: 50 }, () => uuid()));
      expect(ids.size).toBe(50);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      Object.defineProperty(globalThis.crypto, "randomUUID", { value: orig, configurable: true });
    }
  });

  it("Emitter subscribes and unsubscribes", () => {
    const e = new Emitter<{ x: number }>();
    const got: number[] = [];
    const off = e.on("x", (v) => got.push(v));
    e.emit("x", 1);
    off();
    e.emit("x", 2);
    expect(got).toEqual([1]);
  });

  it("progress: rate over this session's decisions and time left", () => {
    expect(computeProgress({ done: 0, total: 10, decisionTimes: [], now: 0 }).perMinute).toBeNull();
    const p = computeProgress({ done: 40, total: 100, decisionTimes: [0, 10000, 20000, 30000], now: 30000 });
    expect(p.perMinute).toBeCloseTo(6); // 3 intervals in 30 s
    expect(p.etaMs).toBeCloseTo(10 * 60000); // 60 left at 6/min
    expect(p.fraction).toBeCloseTo(0.4);
    expect(formatProgress(p)).toBe("40 / 100 done · 6.0 items/min · ~10m left");
    // pausing lowers the rate
    const later = computeProgress({ done: 40, total: 100, decisionTimes: [0, 10000, 20000, 30000], now: 60000 });
    expect(later.perMinute!).toBeLessThan(p.perMinute!);
    expect(formatDuration(45000)).toBe("45s");
    expect(formatDuration(3 * 3600000 + 5 * 60000)).toBe("3h 05m");
  });

  it("dom helpers only ever set text", () => {
    const n = el("div", { text: "<b>x</b>", attrs: { title: "<i>" } });
    expect(n.children.length).toBe(0);
    setText(n, "<img src=x onerror=alert(1)>");
    expect(n.querySelector("img")).toBeNull();
    expect(n.textContent).toBe("<img src=x onerror=alert(1)>");
  });
});

describe("key layer", () => {
  it("normalizes keys and falls back to the physical key", () => {
    expect(normalizeKey("A")).toBe("a");
    expect(normalizeKey("Enter")).toBe("Enter");
    expect(normalizeKey("Esc")).toBe("Escape");
    expect(keyFromCode("KeyZ")).toBe("z");
    expect(keyFromCode("Numpad3")).toBe("3");
    expect(keyFromCode("Slash")).toBeNull();
  });

  it("recognises text boxes", () => {
    expect(isTextEntry(el("input"))).toBe(true);
    expect(isTextEntry(el("input", { attrs: { type: "checkbox" } }))).toBe(false);
    expect(isTextEntry(el("textarea"))).toBe(true);
    expect(isTextEntry(el("div", { attrs: { contenteditable: "true" } }))).toBe(true);
    expect(isTextEntry(el("button"))).toBe(false);
  });

  it("runs bindings, uses the physical key on other layouts, and is removed by dispose", () => {
    const root = el("div");
    document.body.appendChild(root);
    const got: string[] = [];
    const layer = attachKeyLayer(root, [{ keys: ["z"], description: "z", run: (k) => got.push(k) }]);
    expect(document.activeElement).toBe(root);
    press(root, "z");
    press(root, "я", { code: "KeyZ" }); // Russian layout
    press(root, "z", { ctrlKey: true }); // modified: not ours
    expect(got).toEqual(["z", "z"]);
    layer.dispose();
    const ev = press(root, "z");
    expect(got).toHaveLength(2);
    expect(ev.defaultPrevented).toBe(false);
  });

  it("focuses a root that is attached to the page after the layer", () => {
    const root = el("div");
    const layer = attachKeyLayer(root, []);
    document.body.appendChild(root);
    expect(document.activeElement).not.toBe(root);
    vi.advanceTimersByTime(20);
    expect(document.activeElement).toBe(root);
    layer.dispose();
  });

  it("text boxes: typing is stopped but not prevented; Enter saves inputs, Ctrl+Enter textareas", () => {
    const seen: string[] = [];
    const onDoc = (e: KeyboardEvent) => seen.push(e.key);
    document.addEventListener("keydown", onDoc);
    const area = el("textarea");
    document.body.appendChild(area);
    const saved: string[] = [];
    const off = textBoxKeys(area, { onEnter: () => saved.push("enter"), onEscape: () => saved.push("esc") });
    expect(press(area, "x").defaultPrevented).toBe(false);
    expect(press(area, "Enter").defaultPrevented).toBe(false); // newline
    press(area, "Enter", { ctrlKey: true });
    press(area, "Escape");
    press(area, "Enter", { isComposing: true, ctrlKey: true }); // IME: not a save
    expect(saved).toEqual(["enter", "esc"]);
    expect(seen).toEqual([]);
    off();
    document.removeEventListener("keydown", onDoc);
  });

  it("help lists every binding", () => {
    const h = createHelp([
      { keys: ["a", "Enter"], description: "accept", run: () => {} },
      { keys: ["ArrowLeft"], description: "back", run: () => {} },
    ]);
    expect(h.el.getAttribute("data-testid")).toBe("help");
    expect(h.el.hidden).toBe(true);
    h.toggle();
    expect(h.isOpen()).toBe(true);
    expect(h.el.querySelectorAll("tr").length).toBe(2);
    expect(h.el.textContent).toContain("A / Enter");
    expect(h.el.textContent).toContain("←");
  });
});

describe("wordDiff", () => {
  const para = (i: number, mark: (w: number) => string) =>
    Array.from({ length: 20 }, (_, w) => (w % 5 === 0 ? mark(w) : `word${i}_${w}`)).join(" ");

  it("diffs a text whose every line changed line by line: exact, both texts restored", () => {
    const a = Array.from({ length: 50 }, (_, i) => para(i, (w) => `old${i}_${w}`)).join("\n");
    const b = Array.from({ length: 50 }, (_, i) => para(i, (w) => `new${i}_${w}`)).join("\n");
    const parts = wordDiff(a, b);
    expect(applyDiff(parts)).toEqual({ original: a, edited: b });
    const del = parts.filter((p) => p.op === "delete").map((p) => p.text.trim());
    const ins = parts.filter((p) => p.op === "insert").map((p) => p.text.trim());
    // word level, not the whole run replaced: each changed word on its own
    expect(del).toHaveLength(200);
    expect(ins).toHaveLength(200);
    expect(del[0]).toBe("old0_0");
    expect(ins[199]).toBe("new49_15");
    expect(parts.some((p) => p.op === "equal" && p.text.includes("word49_19"))).toBe(true);
  });

  it("a run with lines added or removed is still one correct diff", () => {
    const a = "one two three\nfour five six\n";
    const b = "one 2 three\nsomething new\nfour five 6\n";
    const parts = wordDiff(a, b);
    expect(applyDiff(parts)).toEqual({ original: a, edited: b });
    expect(parts.filter((p) => p.op === "delete").map((p) => p.text.trim())).toContain("two");
  });
});

describe("diffIds (Myers on token ids)", () => {
  it("gives a shortest edit script: as short as jsdiff's, and a correct one", () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let t = 0; t < 2000; t++) {
      const n = Math.floor(rnd() * 25);
      const m = Math.floor(rnd() * 25);
      const alphabet = 1 + Math.floor(rnd() * 5);
      const a = Array.from({ length: n }, () => Math.floor(rnd() * alphabet));
      const b = Array.from({ length: m }, () => Math.floor(rnd() * alphabet));
      const ops = diffIds(a, b)!;
      let i = 0;
      let j = 0;
      let edits = 0;
      for (const op of ops) {
        if (op === EQ) {
          expect(a[i]).toBe(b[j]);
          i++;
          j++;
        } else if (op === DEL) {
          i++;
          edits++;
        } else {
          j++;
          edits++;
        }
      }
      expect([i, j]).toEqual([n, m]);
      const ref = diffArrays(a, b).reduce((k, c) => k + (c.added || c.removed ? c.count! : 0), 0);
      expect(edits).toBe(ref);
    }
  });

  it("gives up past maxD edits (null)", () => {
    expect(diffIds([1, 2, 3], [4, 5, 6], 5)).toBeNull();
    expect(diffIds([1, 2, 3], [4, 5, 6], 6)).not.toBeNull();
    expect(diffIds([], [1, 2], 1)).toBeNull();
  });

  it("tokenizes as diffWordsWithSpace does", () => {
    const s = "Hé  said:\r\n  «x_1», then\n\nleft.";
    expect(wordTokens(s)).toEqual(["Hé", "  ", "said", ":", "\r\n", "  ", "«", "x_1", "»", ",", " ", "then", "\n", "\n", "left", "."]);
    expect(wordTokens(s).join("")).toBe(s);
    for (const t of [s, "a  b\r\nc,d", "x\n\n\ty — z", "ÆØÅ_9 ĳ"]) expect(wordTokens(t)).toEqual(wordsWithSpaceDiff.tokenize(t));
    // the same words changed as jsdiff's diffWordsWithSpace finds
    const a = "the cat sat on the mat, said Zoë";
    const b = "the dog sat on a mat; said Zoé";
    const mine = wordDiff(a, b).filter((p) => p.op !== "equal").map((p) => [p.op, p.text]);
    const theirs = diffWordsWithSpace(a, b).filter((c) => c.added || c.removed).map((c) => [c.added ? "insert" : "delete", c.value]);
    expect(mine).toEqual(theirs);
    expect(wordTokens("a  b\r\nc,d")).toEqual(["a", "  ", "b", "\r\n", "c", ",", "d"]);
  });

  it("a heavy edit of a long text: word level, both texts back", () => {
    const text = Array.from({ length: 40 }, (_, p) => Array.from({ length: 50 }, (_, w) => `w${(p * 7 + w) % 31}`).join(" ")).join("\n\n");
    let k = 0;
    const edited = text.replace(/\S+/g, (w) => (k++ % 5 === 0 ? "REWRITTEN" : w));
    const parts = wordDiff(text, edited);
    expect(applyDiff(parts)).toEqual({ original: text, edited });
    expect(parts.filter((p) => p.op === "insert").every((p) => p.text.trim() === "REWRITTEN")).toBe(true);
    expect(parts.filter((p) => p.op === "insert")).toHaveLength(400);
  });

  it("differingWords: the words outside the common subsequence, only for similar texts", () => {
    expect(differingWords("a b c d e".split(" "), "a b x d e".split(" "))).toEqual({
      a: [false, false, true, false, false],
      b: [false, false, true, false, false],
    });
    expect(differingWords("a b c".split(" "), "x y z".split(" "))).toBeNull();
    expect(differingWords([], ["a"])).toBeNull();
  });
});

describe("the diff view", () => {
  it("is escaped text, <ins> and <del> only", () => {
    const html = diffHtml([
      { op: "equal", text: "a <b>&amp;\r\n" },
      { op: "insert", text: "<img src=x onerror=alert(1)>" },
      { op: "delete", text: "</del><script>" },
    ]);
    expect(html).toBe('a &lt;b&gt;&amp;amp;&#13;\n<ins class="hitl-diff-ins">&lt;img src=x onerror=alert(1)&gt;</ins><del class="hitl-diff-del">&lt;/del&gt;&lt;script&gt;</del>');
    const box = document.createElement("div");
    renderDiff(box, [
      { op: "equal", text: "a <b>&amp;\r\n" },
      { op: "insert", text: "<img src=x onerror=alert(1)>" },
    ]);
    expect(box.querySelector("img, b")).toBeNull();
    expect(box.textContent).toBe("a <b>&amp;\r\n<img src=x onerror=alert(1)>");
  });

  it("a long diff goes in blocks cut after line breaks of unchanged text; the text is the same", () => {
    const para = (i: number) => `${"word ".repeat(60)}${i}\n\n`;
    const parts = [] as { op: "equal" | "insert" | "delete"; text: string }[];
    for (let i = 0; i < 20; i++) {
      parts.push({ op: "equal", text: para(i) });
      parts.push({ op: "delete", text: "old\nline" });
      parts.push({ op: "insert", text: "<new>" });
    }
    const { html, lines } = diffChunks(parts, 1000);
    expect(html.length).toBeGreaterThan(3);
    expect(html.length).toBe(lines.length);
    expect(html.join("")).toBe(diffHtml(parts));
    // each block but the last ends with a line break of unchanged text
    for (const h of html.slice(0, -1)) expect(h.endsWith("\n")).toBe(true);
    const box = document.createElement("div");
    renderDiff(box, parts);
    const blocks = [...box.children];
    expect(blocks.every((b) => b.className === "hitl-diff-chunk")).toBe(true);
    expect(blocks.every((b) => (b as HTMLElement).style.getPropertyValue("contain-intrinsic-size").startsWith("auto "))).toBe(true);
    const kept = (n: Node): string => (n.nodeName === "DEL" ? "" : n.nodeType === 3 ? n.textContent! : [...n.childNodes].map(kept).join(""));
    expect(kept(box)).toBe(applyDiff(parts).edited);
    expect(box.querySelectorAll("ins").length).toBe(20);
    // a short diff: no blocks
    renderDiff(box, parts.slice(0, 3));
    expect(box.querySelector(".hitl-diff-chunk")).toBeNull();
  });
});

describe("ReviewClient: seek and export", () => {
  function client(opts: { requestTimeoutMs?: number } = {}) {
    const model = new FakeModel({ queue_length: 40 });
    const c = new ReviewClient(model.asModel(), { sendAfterFrame: false, ...opts });
    c.start();
    return { model, c };
  }

  it("answers are matched by req; unknown ones are ignored", async () => {
    const { model, c } = client();
    const got: unknown[] = [];
    void c.seek(3).then((qi) => got.push(["seek", qi]));
    void c.exportDecisions("jsonl").then((r) => got.push(["export", r.rows]));
    const [seek] = model.sentOf("seek");
    const [exp] = model.sentOf("export");
    expect(seek).toMatchObject({ type: "seek", start: 3 });
    expect(exp).toMatchObject({ type: "export", format: "jsonl" });
    model.deliver({ type: "seek", req: exp.req, qi: 9 }); // the wrong type for that req
    model.deliver({ type: "seek", req: "other", qi: 9 });
    model.deliver({ type: "export", req: exp.req, filename: "f", mime: "m", text: "t", rows: 2 });
    model.deliver({ type: "seek", req: seek.req, qi: 11 });
    await Promise.resolve();
    await Promise.resolve();
    expect(got).toEqual([
      ["export", 2],
      ["seek", 11],
    ]);
    c.dispose();
  });

  it("a request without an answer fails after the timeout", async () => {
    const { c } = client({ requestTimeoutMs: 1000 });
    let err: Error | null = null;
    c.seek(1).catch((e: Error) => (err = e));
    vi.advanceTimersByTime(1001);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(err!.message).toMatch(/did not answer/);
    c.dispose();
  });
});
