/** @vitest-environment jsdom */
import { describe, expect, it, vi } from "vitest";
import widget, { mount, type GenerationItem, type GenerationRoot } from "../src/widgets/generation";
import { FakeModel, frame, mountWidget, q, press, useWidgetTests, type Mounted } from "./helpers";

const RUBRIC = [
  { name: "helpful", scale: [1, 2, 3, 4, 5] },
  { name: "harmless", scale: ["yes", "no"] },
];

const LONG = Array.from({ length: 300 }, (_, i) => `word${i}`).join(" ");

function genItem(qi: number, extra: Partial<GenerationItem> = {}): GenerationItem {
  return {
    qi,
    item_id: `gen-${qi}`,
    content_hash: `h${qi}`,
    prompt: `Prompt **${qi}**: write a function`,
    context: null,
    response: `Here is **item ${qi}**.\n\n\`\`\`python\ndef f(x):\n    return x < 1 and "<b>"\n\`\`\`\n\nThe cat sat on the mat.`,
    decision: null,
    reasons: [],
    ...extra,
  };
}

type Setup = Mounted<GenerationRoot>;

function setup(opts: { n?: number; items?: GenerationItem[]; rubric?: unknown[] | null; traits?: Record<string, unknown> } = {}): Setup {
  const items = opts.items ?? Array.from({ length: opts.n ?? 6 }, (_, i) => genItem(i));
  const rubric = opts.rubric === undefined ? RUBRIC : opts.rubric;
  const model = new FakeModel({
    kind: "generation",
    labels: [],
    queue_length: items.length,
    total: items.length,
    config: { prefetch: 8, task: "gen", ...(rubric ? { rubric } : {}) },
    ...opts.traits,
  });
  return mountWidget<GenerationRoot>(mount, model, items);
}

const shown = (s: Setup) => q(s.root, "item-text").getAttribute("data-item-id");
const editor = (s: Setup) => q<HTMLTextAreaElement>(s.root, "editor");

useWidgetTests();

describe("rendering", () => {
  it("renders prompt, chat context and response as markdown with code blocks", () => {
    const items = [
      genItem(0, {
        context: [
          { role: "system", content: "You are *terse*." },
          { role: "user", content: "Earlier question" },
          { role: "assistant", content: "Earlier `answer`" },
        ],
      }),
    ];
    const s = setup({ items });
    expect(s.root.getAttribute("data-state")).toBe("item");
    expect(s.root.classList.contains("hitl-generation")).toBe(true);
    const prompt = q(s.root, "prompt");
    expect(prompt.querySelector("strong")!.textContent).toBe("0");
    const turns = [...q(s.root, "context").querySelectorAll('[data-testid="turn"]')];
    expect(turns.map((t) => t.getAttribute("data-role"))).toEqual(["system", "user", "assistant"]);
    expect(turns[0].querySelector("em")!.textContent).toBe("terse");
    expect(turns[2].querySelector("code")!.textContent).toBe("answer");
    const resp = q(s.root, "item-text");
    expect(resp.getAttribute("data-item-id")).toBe("gen-0");
    expect(resp.querySelector("strong")!.textContent).toBe("item 0");
    const code = resp.querySelector("pre > code.language-python")!;
    expect(code.textContent).toContain('return x < 1 and "<b>"');
    expect(code.querySelector("b")).toBeNull();
    expect(q(s.root, "diff").hidden).toBe(true);
    expect(q(s.root, "editor-box").hidden).toBe(true);
    expect(q(s.root, "rubric").querySelectorAll('[data-testid="criterion"]').length).toBe(2);
    expect(q(s.root, "help").hidden).toBe(true);
  });

  it("hides the context block without a context and the rubric without one", () => {
    const s = setup({ rubric: null });
    expect(q(s.root, "context").parentElement!.hidden).toBe(true);
    expect(q(s.root, "rubric").hidden).toBe(true);
  });

  it("sanitizes hostile markdown in prompt, context and response", () => {
    const evil = `<img src=x onerror=alert(1)> [x](javascript:alert(2)) ![i](http://127.0.0.1:9/leak) <script>alert(3)</script><iframe src=x></iframe><a href="https://ok.example/">ok</a>`;
    const s = setup({ items: [genItem(0, { prompt: evil, response: evil, context: [{ role: "user", content: evil }] })] });
    for (const el of s.root.querySelectorAll(".hitl-md")) {
      expect(el.querySelector("img, script, iframe, svg, style")).toBeNull();
      for (const a of el.querySelectorAll("a[href]")) expect(a.getAttribute("href")).toMatch(/^https?:/);
    }
    const ok = q(s.root, "item-text").querySelector('a[href="https://ok.example/"]')!;
    expect(ok.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(ok.getAttribute("target")).toBe("_blank");
    const images = [...q(s.root, "item-text").querySelectorAll(".hitl-img-link")].map((e) => [e.localName, e.textContent, e.getAttribute("href")]);
    expect(images).toEqual([
      ["span", "[image]", null],
      ["a", "[image: i]", "http://127.0.0.1:9/leak"],
    ]);
  });

  it("paints the next item synchronously on a key and times it", () => {
    const s = setup();
    frame();
    press(s.root, "Enter");
    expect(shown(s)).toBe("gen-1");
    frame();
    expect(s.root.getAttribute("data-painted-qi")).toBe("1");
    expect(s.root.__hitlTimings!.map((t) => [t.key, t.qi])).toEqual([["Enter", 1]]);
  });
});

describe("rendering ahead", () => {
  it("prepares the next items in idle time and shows each one right once", () => {
    const s = setup({ n: 8 });
    vi.advanceTimersByTime(500); // idle callbacks (setTimeout in jsdom) build items 1, 2
    for (let i = 1; i < 6; i++) {
      press(s.root, "ArrowRight");
      expect(shown(s)).toBe(`gen-${i}`);
      expect(q(s.root, "item-text").querySelector("strong")!.textContent).toBe(`item ${i}`);
      expect(q(s.root, "prompt").textContent!.trim()).toBe(`Prompt ${i}: write a function`);
      vi.advanceTimersByTime(200);
    }
    for (let i = 4; i >= 0; i--) {
      press(s.root, "ArrowLeft");
      expect(q(s.root, "item-text").querySelector("strong")!.textContent).toBe(`item ${i}`);
    }
    press(s.root, "ArrowRight"); // a prepared entry is used once; back again renders anew
    press(s.root, "ArrowLeft");
    expect(q(s.root, "item-text").querySelectorAll("strong").length).toBe(1);
    expect(q(s.root, "item-text").querySelector("strong")!.textContent).toBe("item 0");
  });
});

describe("accept, reject, flag, skip, undo", () => {
  it("Enter / A accept and move on", () => {
    const s = setup();
    press(s.root, "Enter");
    press(s.root, "a");
    const ds = s.model.distinctDecisions();
    expect(ds.map((d) => [d.action, d.item_id])).toEqual([
      ["accept", "gen-0"],
      ["accept", "gen-1"],
    ]);
    expect(ds[0]).toMatchObject({ task: "gen", label: null, data: null, content_hash: "h0" });
    expect(shown(s)).toBe("gen-2");
  });

  it("R opens a reason box; keys typed there are text, Enter rejects with the reason", () => {
    const s = setup();
    press(s.root, "r");
    const input = q<HTMLInputElement>(s.root, "reason-input");
    expect(q(s.root, "reason-box").hidden).toBe(false);
    expect(document.activeElement).toBe(input);
    for (const k of ["a", "s", "z", "e", "1", "ArrowRight", "ArrowLeft", "?", "f"]) {
      const ev = press(input, k);
      expect(ev.defaultPrevented).toBe(false); // the box types it
    }
    expect(s.model.distinctDecisions()).toEqual([]);
    press(input, "Enter"); // empty reason: not saved
    expect(s.model.distinctDecisions()).toEqual([]);
    expect(q(s.root, "message").textContent).toMatch(/reason|why/i);
    input.value = "  made-up API  ";
    press(input, "Enter");
    const [d] = s.model.distinctDecisions();
    expect(d).toMatchObject({ action: "reject", note: "made-up API", item_id: "gen-0" });
    expect(shown(s)).toBe("gen-1");
    expect(q(s.root, "reason-box").hidden).toBe(true);
    expect(document.activeElement).toBe(s.root);
  });

  it("Esc in the reason box cancels; F flags with a note", () => {
    const s = setup();
    press(s.root, "r");
    press(q(s.root, "reason-input"), "Escape");
    expect(q(s.root, "reason-box").hidden).toBe(true);
    expect(document.activeElement).toBe(s.root);
    press(s.root, "f");
    const note = q<HTMLInputElement>(s.root, "note-input");
    note.value = "two readings";
    press(note, "Enter");
    expect(s.model.distinctDecisions().map((d) => [d.action, d.note])).toEqual([["flag", "two readings"]]);
    expect(shown(s)).toBe("gen-1");
  });

  it("S skips, Z undoes and goes back, ← → move without deciding", () => {
    const s = setup();
    press(s.root, "s");
    expect(shown(s)).toBe("gen-1");
    press(s.root, "z");
    expect(shown(s)).toBe("gen-0");
    const ds = s.model.distinctDecisions();
    expect(ds.map((d) => d.action)).toEqual(["skip", "undo"]);
    expect(ds[1].data).toEqual({ undoes: ds[0].id });
    press(s.root, "ArrowRight");
    press(s.root, "ArrowRight");
    expect(shown(s)).toBe("gen-2");
    press(s.root, "ArrowLeft");
    expect(shown(s)).toBe("gen-1");
    expect(s.model.distinctDecisions().length).toBe(2);
  });

  it("keys never reach JupyterLab (stopped at the widget)", () => {
    const s = setup();
    const seen: string[] = [];
    const listener = (e: KeyboardEvent) => seen.push(e.key);
    document.addEventListener("keydown", listener);
    press(s.root, "e");
    press(editor(s), "Enter", { ctrlKey: true });
    press(s.root, "ArrowRight");
    press(s.root, "Enter");
    document.removeEventListener("keydown", listener);
    expect(seen).toEqual([]);
  });
});

describe("editing", () => {
  it("E opens the editor on the response; keys typed there trigger no review action", () => {
    const s = setup();
    press(s.root, "e");
    const ed = editor(s);
    expect(q(s.root, "editor-box").hidden).toBe(false);
    expect(q(s.root, "item-text").hidden).toBe(true);
    expect(ed.value).toBe(genItem(0).response);
    expect(document.activeElement).toBe(ed);
    for (const k of ["Enter", "a", "e", "r", "f", "s", "z", "1", "2", "0", "Tab", "ArrowRight", "ArrowLeft", "?", " "]) {
      const ev = press(ed, k);
      if (k !== "Enter") expect(ev.defaultPrevented).toBe(false);
    }
    expect(s.model.distinctDecisions()).toEqual([]);
    expect(shown(s)).toBe("gen-0");
    expect(q(s.root, "help").hidden).toBe(true);
    expect(q(s.root, "editor-box").hidden).toBe(false); // plain Enter is a newline, not save
  });

  it("Ctrl/Cmd+Enter saves: both texts and the diff are sent, the word diff is shown, no move", () => {
    const s = setup();
    press(s.root, "e");
    const ed = editor(s);
    const original = genItem(0).response;
    ed.value = original.replace("The cat sat on the mat.", "The dog sat on the big mat.");
    press(ed, "Enter", { ctrlKey: true });
    const [d] = s.model.distinctDecisions();
    expect(d.action).toBe("edit");
    const data = d.data as { original: string; edited: string; diff: { op: string; text: string }[] };
    expect(data.original).toBe(original);
    expect(data.edited).toBe(ed.value);
    const joined = (ops: string[]) => data.diff.filter((p) => ops.includes(p.op)).map((p) => p.text).join("");
    expect(joined(["equal", "delete"])).toBe(original);
    expect(joined(["equal", "insert"])).toBe(data.edited);
    expect(data.diff.filter((p) => p.op === "delete").map((p) => p.text.trim())).toEqual(["cat"]);
    expect(data.diff.filter((p) => p.op === "insert").map((p) => p.text.trim())).toEqual(["dog", "big"]);
    // shown: the diff, not the editor; same item
    expect(shown(s)).toBe("gen-0");
    const diff = q(s.root, "diff");
    expect(diff.hidden).toBe(false);
    expect(q(s.root, "editor-box").hidden).toBe(true);
    expect(q(s.root, "item-text").hidden).toBe(true);
    expect([...diff.querySelectorAll("del")].map((e) => e.textContent!.trim())).toEqual(["cat"]);
    expect([...diff.querySelectorAll("ins")].map((e) => e.textContent!.trim())).toEqual(["dog", "big"]);
    expect(diff.textContent).toContain("return x < 1");
    expect(q(s.root, "response-status").textContent).toContain("+2 / −1 words");
    expect(q(s.root, "decision").textContent).toBe("edited");
    expect(document.activeElement).toBe(s.root);
    frame();
    const t = s.root.__hitlEditTimings!;
    expect(t.length).toBe(1);
    expect(t[0].paint_ts).toBeGreaterThanOrEqual(t[0].start_ts);
    expect(s.root.getAttribute("data-edit-painted")).toBe("1");
    // Enter keeps the edit and moves on (no accept over it)
    press(s.root, "Enter");
    expect(shown(s)).toBe("gen-1");
    expect(s.model.distinctDecisions().length).toBe(1);
    // back: the diff is shown again; E re-opens the editor on the edited text
    press(s.root, "ArrowLeft");
    expect(q(s.root, "diff").hidden).toBe(false);
    press(s.root, "e");
    expect(editor(s).value).toBe(data.edited);
  });

  it("a diff renders data as text, never as markup", () => {
    const s = setup({ items: [genItem(0, { response: "safe text" })] });
    press(s.root, "e");
    editor(s).value = "safe <img src=x onerror=alert(1)> text";
    press(editor(s), "Enter", { metaKey: true });
    const diff = q(s.root, "diff");
    expect(diff.querySelector("img")).toBeNull();
    expect(diff.querySelector("ins")!.textContent).toContain("<img src=x onerror=alert(1)>");
  });

  it("Esc cancels an edit; an unchanged or empty text is not saved", () => {
    const s = setup();
    press(s.root, "e");
    editor(s).value = "changed";
    press(editor(s), "Escape");
    expect(q(s.root, "editor-box").hidden).toBe(true);
    expect(q(s.root, "item-text").hidden).toBe(false);
    expect(document.activeElement).toBe(s.root);
    press(s.root, "e");
    expect(editor(s).value).toBe(genItem(0).response); // cancelled text is dropped
    press(editor(s), "Enter", { ctrlKey: true }); // unchanged
    expect(s.model.distinctDecisions()).toEqual([]);
    expect(q(s.root, "message").textContent).toMatch(/no change/i);
    press(s.root, "e");
    editor(s).value = "   ";
    press(editor(s), "Enter", { ctrlKey: true });
    expect(s.model.distinctDecisions()).toEqual([]);
    expect(q(s.root, "editor-box").hidden).toBe(false);
  });

  it("Z after an edit reverts it: the model's response is shown again", () => {
    const s = setup();
    press(s.root, "e");
    editor(s).value = "new text";
    press(editor(s), "Enter", { ctrlKey: true });
    press(s.root, "z");
    expect(s.model.distinctDecisions().map((d) => d.action)).toEqual(["edit", "undo"]);
    expect(q(s.root, "diff").hidden).toBe(true);
    expect(q(s.root, "item-text").hidden).toBe(false);
    expect(q(s.root, "decision").hidden).toBe(true);
  });

  it("shows the diff for an item edited in an earlier session (kernel state)", () => {
    const item = genItem(0, { response: "alpha beta gamma", decision: { action: "edit", data: { edited: "alpha delta gamma" } } });
    const s = setup({ items: [item] });
    const diff = q(s.root, "diff");
    expect(diff.hidden).toBe(false);
    expect(diff.querySelector("del")!.textContent!.trim()).toBe("beta");
    expect(diff.querySelector("ins")!.textContent!.trim()).toBe("delta");
  });

  it("saving an edit of a 2,000-word response stays fast", () => {
    const words = Array.from({ length: 2000 }, (_, i) => `w${i % 97}${i % 7 ? "" : "."}`);
    const s = setup({ items: [genItem(0, { response: words.join(" ") })] });
    press(s.root, "e");
    const edited = [...words];
    edited[100] = "CHANGED";
    edited[1500] = "ALSO";
    editor(s).value = edited.join(" ");
    press(editor(s), "Enter", { ctrlKey: true });
    frame();
    const t = s.root.__hitlEditTimings![0];
    expect(t.words).toBe(2000);
    expect(t.diff_ms + t.render_ms).toBeLessThan(1000); // jsdom; the Chromium benchmark has the real figure
    expect(q(s.root, "diff").querySelectorAll("ins").length).toBe(2);
  });
});

describe("rubric ratings", () => {
  it("digits rate the focused criterion and the focus stays; Tab / Shift+Tab move it", () => {
    const s = setup();
    const rows = () => [...s.root.querySelectorAll('[data-testid="criterion"]')];
    expect(rows()[0].getAttribute("data-selected")).toBe("true");
    press(s.root, "4");
    let ds = s.model.distinctDecisions();
    expect(ds.map((d) => [d.action, d.data])).toEqual([["rate", { ratings: { helpful: 4 } }]]);
    expect(shown(s)).toBe("gen-0");
    // (changed: the focus no longer moves on by itself after a rating)
    expect(rows()[0].getAttribute("data-selected")).toBe("true");
    press(s.root, "Tab");
    expect(rows()[1].getAttribute("data-selected")).toBe("true");
    press(s.root, "1");
    ds = s.model.distinctDecisions();
    expect(ds[1].data).toEqual({ ratings: { helpful: 4, harmless: "yes" } });
    const chosen = [...s.root.querySelectorAll('[data-testid="rating-button"][aria-pressed="true"]')];
    expect(chosen.map((b) => b.getAttribute("data-value"))).toEqual(["4", '"yes"']);
    press(s.root, "Tab", { shiftKey: true });
    expect(rows()[0].getAttribute("data-selected")).toBe("true");
    press(s.root, "5");
    press(s.root, "Tab");
    press(s.root, "Tab"); // wraps round to the first
    expect(rows()[0].getAttribute("data-selected")).toBe("true");
    press(s.root, "Tab");
    expect(rows()[1].getAttribute("data-selected")).toBe("true");
    press(s.root, "9"); // harmless has 2 values
    expect(s.model.distinctDecisions().length).toBe(3);
    expect(q(s.root, "message").textContent).toContain("harmless");
    // accept carries the ratings
    press(s.root, "Enter");
    const acc = s.model.distinctDecisions()[3];
    expect(acc).toMatchObject({ action: "accept", data: { ratings: { helpful: 5, harmless: "yes" } } });
    expect(shown(s)).toBe("gen-1");
    // a fresh item starts unrated, on the first criterion
    expect(s.root.querySelectorAll('[aria-pressed="true"]').length).toBe(0);
    expect(rows()[0].getAttribute("data-selected")).toBe("true");
  });

  it("ratings go with an edit and a reject; Z undoes a rating", () => {
    const s = setup();
    press(s.root, "3");
    press(s.root, "z");
    expect(s.model.distinctDecisions().map((d) => d.action)).toEqual(["rate", "undo"]);
    expect(s.root.querySelectorAll('[aria-pressed="true"]').length).toBe(0);
    press(s.root, "2");
    press(s.root, "e");
    editor(s).value = "better";
    press(editor(s), "Enter", { ctrlKey: true });
    expect(s.model.distinctDecisions()[3]).toMatchObject({ action: "edit", data: { ratings: { helpful: 2 }, edited: "better" } });
    press(s.root, "Enter");
    press(s.root, "r");
    q<HTMLInputElement>(s.root, "reason-input").value = "wrong";
    press(q(s.root, "reason-input"), "Enter");
    expect(s.model.distinctDecisions()[4]).toMatchObject({ action: "reject", note: "wrong", data: null });
  });

  it("the help lists every key", () => {
    const s = setup();
    press(s.root, "?");
    const help = q(s.root, "help");
    expect(help.hidden).toBe(false);
    const keys = [...help.querySelectorAll("tr")].map((r) => r.getAttribute("data-keys"));
    for (const k of ["Enter a", "e", "r", "f", "Tab", "1 2 3 4 5 6 7 8 9 0", "s", "z", "ArrowLeft", "ArrowRight", "?"]) {
      expect(keys).toContain(k);
    }
    press(s.root, "Escape");
    expect(help.hidden).toBe(true);
  });
});

describe("kernel messages", () => {
  it("a rating from Python (advance: false) keeps the item; an accept moves on", () => {
    const s = setup();
    s.model.deliver({
      type: "external",
      advance: false,
      decision: { id: "x1", item_id: "gen-0", action: "rate", data: { ratings: { helpful: 2 } }, qi: 0 },
    });
    expect(shown(s)).toBe("gen-0");
    expect(q(s.root, "criterion").querySelector('[aria-pressed="true"]')!.getAttribute("data-value")).toBe("2");
    s.model.deliver({ type: "external", decision: { id: "x2", item_id: "gen-0", action: "accept", data: null, qi: 0 } });
    expect(shown(s)).toBe("gen-1");
  });

  it("a Python edit shows its diff when the item is visited", () => {
    const s = setup();
    s.model.deliver({ type: "external", advance: false, decision: { id: "x3", item_id: "gen-0", action: "edit", data: { edited: "Totally new." }, qi: 0 } });
    expect(q(s.root, "diff").hidden).toBe(false);
    const ins = [...q(s.root, "diff").querySelectorAll("ins")].map((e) => e.textContent).join("");
    expect(ins).toContain("Totally");
    const kept = [...q(s.root, "diff").childNodes].filter((n) => n.nodeName !== "DEL").map((n) => n.textContent).join("");
    expect(kept).toBe("Totally new.");
  });

  it("long responses scroll inside the widget (the keys stay on the root)", () => {
    const s = setup({ items: [genItem(0, { response: LONG })] });
    const resp = q(s.root, "item-text");
    expect(resp.classList.contains("hitl-scroll")).toBe(true);
    const ev = press(s.root, "ArrowDown");
    expect(ev.defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(s.root);
  });

  it("exports an anywidget module and cleans up", () => {
    expect(typeof widget.render).toBe("function");
    const s = setup();
    s.cleanup();
    expect(s.host.querySelector('[data-testid="hitl-root"]')).toBeNull();
  });
});
