/** @vitest-environment jsdom */
import { describe, expect, it, vi } from "vitest";
import widget, { mount as mountClassificationWidget, type HitlRoot } from "../src/widgets/classification";
import { FakeModel, frame, mountClassification as setup, mountWidget, q, press, queue, useWidgetTests, type Mounted } from "./helpers";

type Setup = Mounted<HitlRoot>;

const text = (s: Setup) => q(s.root, "item-text").textContent;

useWidgetTests();

/* ------------------------------------------------------------------ rendering */
describe("rendering", () => {
  it("shows the item, the model label, confidence, proba, reasons and one button per label", () => {
    const items = queue(5, (qi) => ({
      proba: { pos: 0.8, neg: 0.15, neutral: 0.05 },
      reasons: qi === 0 ? ["low margin", "disagreement"] : [],
    }));
    const s = setup({ items });
    expect(s.root.getAttribute("data-state")).toBe("item");
    expect(s.root.classList.contains("hitl-root")).toBe(true);
    const t = q(s.root, "item-text");
    expect(t.textContent).toBe("text number 0");
    expect(t.getAttribute("data-item-id")).toBe("item-0");
    expect(q(s.root, "model-label").textContent).toBe("pos");
    expect(q(s.root, "confidence").textContent).toBe("80.0%");
    const buttons = [...s.root.querySelectorAll('[data-testid="label-button"]')];
    expect(buttons.map((b) => b.getAttribute("data-label"))).toEqual(["pos", "neg", "neutral"]);
    expect(buttons[1].textContent).toContain("2");
    expect(buttons[0].classList.contains("is-model")).toBe(true);
    expect(q(s.root, "reasons").textContent).toContain("low margin");
    expect(q(s.root, "proba").querySelectorAll(".hitl-proba-fill").length).toBe(3);
    expect(q(s.root, "pending").textContent).toBe("0");
    expect(q(s.root, "progress").textContent).toContain("0 / 100");
    expect(q(s.root, "help").hidden).toBe(true);
    expect(q(s.root, "summary").hidden).toBe(true);
  });

  it("shows hostile text literally (no element is created from data)", () => {
    const evil = `<img src=x onerror=alert(1)>`;
    const items = [
      { ...queue(1)[0], text: evil, item_id: `<b id="x">`, reasons: [`<script>alert(2)</script>`], model_label: `<i>m</i>` },
    ];
    const s = setup({ items, traits: { labels: [`<svg onload=alert(3)>`, "neg"] } });
    const t = q(s.root, "item-text");
    expect(t.textContent).toBe(evil);
    expect(t.getAttribute("data-item-id")).toBe(`<b id="x">`);
    expect(s.root.querySelector("img, script, svg, b, i")).toBeNull();
    expect(q(s.root, "model-label").textContent).toBe("<i>m</i>");
    expect(q(s.root, "reasons").textContent).toBe("<script>alert(2)</script>");
    expect(s.root.querySelector('[data-testid="label-button"]')!.textContent).toContain("<svg onload=alert(3)>");
  });

  it("shows loading until the items arrive, then sets data-painted-qi in the next frame", () => {
    const s = setup({ serve: false });
    expect(s.root.getAttribute("data-state")).toBe("loading");
    expect(q(s.root, "loading").hidden).toBe(false);
    expect(s.model.sentOf("fetch")[0]).toMatchObject({ start: 0, count: 16 });
    s.kernel.serve();
    expect(s.root.getAttribute("data-state")).toBe("item");
    expect(s.root.hasAttribute("data-painted-qi")).toBe(false); // set in requestAnimationFrame
    frame();
    expect(s.root.getAttribute("data-painted-qi")).toBe("0");
  });

  it("paints the next item synchronously on the key and records key -> paint timings", () => {
    const s = setup();
    frame();
    press(s.root, "Enter");
    expect(text(s)).toBe("text number 1"); // no await, no round trip
    frame();
    expect(s.root.getAttribute("data-painted-qi")).toBe("1");
    press(s.root, "ArrowRight");
    frame();
    const timings = s.root.__hitlTimings!;
    expect(timings.map((t) => [t.key, t.qi])).toEqual([
      ["Enter", 1],
      ["ArrowRight", 2],
    ]);
    for (const t of timings) expect(t.paint_ts).toBeGreaterThanOrEqual(t.key_ts);
  });

  it("the anywidget default export renders and returns a cleanup", () => {
    const model = new FakeModel();
    const el = document.createElement("div");
    document.body.appendChild(el);
    const cleanup = widget.render({ model: model.asModel(), el } as never);
    expect(el.querySelector('[data-testid="hitl-root"]')).not.toBeNull();
    // nothing to paint before the first page comes: its fetch goes at once, after the hello
    expect(model.sent.map((m) => m.type)).toEqual(["hello", "fetch"]);
    vi.advanceTimersByTime(50);
    expect(model.sentOf("hello")).toHaveLength(1);
    cleanup();
    expect(el.children.length).toBe(0);
    expect(model.listenerCount()).toBe(0);
  });
});

/* ------------------------------------------------------------------ keys */
describe("keys", () => {
  it("Enter and A accept the model label and advance", () => {
    const s = setup();
    // the item clock starts at the person's first interaction (here: a click on the widget)
    s.root.dispatchEvent(new Event("pointerdown", { bubbles: true }));
    vi.advanceTimersByTime(1234);
    press(s.root, "Enter");
    press(s.root, "a");
    press(s.root, "A", { shiftKey: true });
    const ds = s.model.decisions();
    expect(ds.map((d) => [d.action, d.qi, d.label])).toEqual([
      ["accept", 0, null],
      ["accept", 1, null],
      ["accept", 2, null],
    ]);
    expect(ds[0]).toMatchObject({
      item_id: "item-0",
      content_hash: "h0",
      note: null,
      data: null,
      annotator: "ann",
      session_id: "sess-1",
      guideline_version: "g1",
      task: "sentiment",
    });
    expect(ds[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ds.map((d) => d.id)).size).toBe(3);
    expect(ds[0].created_at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(ds[0].duration_ms).toBeGreaterThanOrEqual(1234);
    expect(text(s)).toBe("text number 3");
  });

  it("1-9 correct to label n (or accept when it is the model label); out of range does nothing", () => {
    const s = setup();
    press(s.root, "2");
    press(s.root, "1");
    press(s.root, "9");
    press(s.root, "3");
    const ds = s.model.decisions();
    expect(ds.map((d) => [d.action, d.label, d.qi])).toEqual([
      ["correct", "neg", 0],
      ["accept", null, 1],
      ["correct", "neutral", 2],
    ]);
  });

  it("digits work by key code on layouts where the digit needs Shift (AZERTY)", () => {
    const s = setup();
    press(s.root, "é", { code: "Digit2" });
    expect(s.model.decisions()[0]).toMatchObject({ action: "correct", label: "neg" });
  });

  it("clicking a label button corrects to it, or accepts the model label", () => {
    const s = setup();
    (s.root.querySelector('[data-label="neutral"]') as HTMLButtonElement).click();
    (s.root.querySelector('[data-label="pos"]') as HTMLButtonElement).click();
    expect(s.model.decisions().map((d) => [d.action, d.label])).toEqual([
      ["correct", "neutral"],
      ["accept", null],
    ]);
    expect(document.activeElement).toBe(s.root); // a click gives the keys back to the root
  });

  it("F opens the note box; Enter saves a flag with the note; keys typed there trigger nothing", () => {
    const s = setup();
    const noteBox = q(s.root, "note-box");
    const input = q<HTMLInputElement>(s.root, "note-input");
    expect(noteBox.hidden).toBe(true);
    press(s.root, "f");
    expect(noteBox.hidden).toBe(false);
    expect(document.activeElement).toBe(input);
    for (const k of ["a", "s", "z", "1", "f", "?", "ArrowRight", "ArrowLeft"]) {
      const ev = press(input, k);
      expect(ev.defaultPrevented).toBe(false); // the key types text
    }
    expect(s.model.decisions()).toHaveLength(0);
    expect(text(s)).toBe("text number 0");
    expect(q(s.root, "help").hidden).toBe(true);
    input.value = "sarcasm? <b>";
    const enter = press(input, "Enter");
    expect(enter.defaultPrevented).toBe(true);
    expect(s.model.decisions()).toEqual([expect.objectContaining({ action: "flag", note: "sarcasm? <b>", qi: 0, label: null })]);
    expect(noteBox.hidden).toBe(true);
    expect(document.activeElement).toBe(s.root);
    expect(text(s)).toBe("text number 1");
  });

  it("Esc in the note box cancels: nothing sent, cursor stays", () => {
    const s = setup();
    press(s.root, "f");
    const input = q<HTMLInputElement>(s.root, "note-input");
    input.value = "never mind";
    press(input, "Escape");
    expect(q(s.root, "note-box").hidden).toBe(true);
    expect(s.model.decisions()).toHaveLength(0);
    expect(text(s)).toBe("text number 0");
    expect(document.activeElement).toBe(s.root);
  });

  it("S skips", () => {
    const s = setup();
    press(s.root, "s");
    expect(s.model.decisions()[0]).toMatchObject({ action: "skip", qi: 0, label: null });
    expect(text(s)).toBe("text number 1");
  });

  it("Z undoes the last decision and moves back to it; again undoes the one before", () => {
    const s = setup();
    press(s.root, "Enter");
    press(s.root, "2");
    expect(text(s)).toBe("text number 2");
    press(s.root, "z");
    const [a, b, u1] = s.model.decisions();
    expect(u1).toMatchObject({ action: "undo", qi: 1, item_id: "item-1", data: { undoes: b.id } });
    expect(text(s)).toBe("text number 1");
    expect(q(s.root, "decision").hidden).toBe(true); // back to undecided
    press(s.root, "z");
    const u2 = s.model.decisions()[3];
    expect(u2).toMatchObject({ action: "undo", qi: 0, data: { undoes: a.id } });
    expect(text(s)).toBe("text number 0");
    press(s.root, "z"); // nothing left: a message, nothing sent
    expect(s.model.decisions()).toHaveLength(4);
    expect(q(s.root, "message").hidden).toBe(false);
  });

  it("each decision names this session's previous one on the same item (after), undo included", () => {
    const s = setup();
    press(s.root, "Enter"); // item-0: accept
    press(s.root, "z"); // undo it: after the accept
    press(s.root, "2"); // item-0 again: after the undo
    press(s.root, "Enter"); // item-1: its first decision
    const [a, u, c, d] = s.model.decisions();
    expect(a).toMatchObject({ item_id: "item-0", action: "accept", after: null });
    expect(u).toMatchObject({ item_id: "item-0", action: "undo", after: a.id, data: { undoes: a.id } });
    expect(c).toMatchObject({ item_id: "item-0", action: "correct", after: u.id });
    expect(d).toMatchObject({ item_id: "item-1", after: null });
  });

  it("arrows move without deciding; going back shows the decision", () => {
    const s = setup();
    press(s.root, "ArrowLeft");
    expect(text(s)).toBe("text number 0");
    press(s.root, "ArrowRight");
    press(s.root, "ArrowRight");
    expect(text(s)).toBe("text number 2");
    press(s.root, "ArrowLeft");
    expect(text(s)).toBe("text number 1");
    expect(s.model.decisions()).toHaveLength(0);
    press(s.root, "3");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").textContent).toBe("corrected → neutral");
    expect(s.root.querySelector('[data-label="neutral"]')!.classList.contains("is-chosen")).toBe(true);
    press(s.root, "Enter"); // deciding again appends a new event
    expect(s.model.decisions().map((d) => [d.action, d.qi])).toEqual([
      ["correct", 1],
      ["accept", 1],
    ]);
  });

  it("? shows every key of the keymap; ? or Esc hides it", () => {
    const s = setup();
    const help = q(s.root, "help");
    press(s.root, "?", { shiftKey: true });
    expect(help.hidden).toBe(false);
    const t = help.textContent!;
    for (const k of ["Enter / A", "1 – 9", "F", "S", "Z", "←", "→", "N", "Home", "End", "?", "Esc"]) expect(t).toContain(k);
    // (N / Home / End: the shell's jumps, every kind)
    expect(help.querySelectorAll("tr").length).toBe(12);
    press(s.root, "?");
    expect(help.hidden).toBe(true);
    press(s.root, "?");
    press(s.root, "Escape");
    expect(help.hidden).toBe(true);
    expect(s.model.decisions()).toHaveLength(0);
  });

  it("held keys do not repeat decisions (arrows do repeat)", () => {
    const s = setup();
    press(s.root, "Enter", { repeat: true });
    expect(s.model.decisions()).toHaveLength(0);
    press(s.root, "ArrowRight", { repeat: true });
    expect(text(s)).toBe("text number 1");
  });
});

/* ------------------------------------------------------------------ JupyterLab isolation */
describe("nothing leaks to JupyterLab", () => {
  it("every key pressed in the widget is stopped before the document, and plain keys are prevented", () => {
    const s = setup();
    const seen: string[] = [];
    const onDoc = (ev: KeyboardEvent) => seen.push(ev.key);
    document.addEventListener("keydown", onDoc);
    document.addEventListener("keypress", onDoc);
    try {
      const handled = ["Enter", "a", "1", "2", "s", "z", "ArrowLeft", "ArrowRight", "?", "?", "Escape"];
      const plain = ["d", "x", "b", "m", "y", "c", "v", " ", "Backspace", "ArrowUp", "ArrowDown", "0"];
      for (const k of [...handled, ...plain]) {
        expect(press(s.root, k).defaultPrevented, k).toBe(true);
      }
      // run-cell chords are swallowed too
      expect(press(s.root, "Enter", { shiftKey: true }).defaultPrevented).toBe(true);
      expect(press(s.root, "Enter", { ctrlKey: true }).defaultPrevented).toBe(true);
      expect(press(s.root, "Enter", { altKey: true }).defaultPrevented).toBe(true);
      // copy keeps working (not prevented) but JupyterLab still does not see it
      expect(press(s.root, "c", { ctrlKey: true }).defaultPrevented).toBe(false);
      // from a label button (focused by a click) as well
      const btn = s.root.querySelector('[data-label="neg"]') as HTMLButtonElement;
      btn.focus();
      expect(press(btn, "d").defaultPrevented).toBe(true);
      // in the note box keys type text but are still stopped
      press(s.root, "f");
      const input = q<HTMLInputElement>(s.root, "note-input");
      press(input, "d");
      press(input, "Enter");
      s.root.dispatchEvent(new KeyboardEvent("keypress", { key: "a", bubbles: true, cancelable: true }));
      expect(seen).toEqual([]);
    } finally {
      document.removeEventListener("keydown", onDoc);
      document.removeEventListener("keypress", onDoc);
    }
  });

  it("root and focused children carry data-lm-suppress-shortcuts, so Lumino's walk finds no binding", () => {
    // Lumino's targetDistance (CommandRegistry): walk up from the focused element, stop at
    // data-lm-suppress-shortcuts before testing the binding's selector.
    const luminoDistance = (selector: string, target: Element | null): number => {
      for (let d = 0; target; target = target.parentElement, d++) {
        if (target.hasAttribute("data-lm-suppress-shortcuts")) return -1;
        if (target.matches(selector)) return d;
      }
      return -1;
    };
    const notebook = document.createElement("div");
    notebook.className = "jp-Notebook jp-mod-commandMode";
    document.body.appendChild(notebook);
    const s = setup({ container: notebook });
    const commandMode = ".jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus";
    expect(s.root.tabIndex).toBe(0);
    expect(s.root.hasAttribute("data-lm-suppress-shortcuts")).toBe(true);
    expect(document.activeElement).toBe(s.root); // focuses itself on first render
    expect(luminoDistance(commandMode, document.activeElement)).toBe(-1);
    // sanity: an ordinary focused element in the notebook would match
    const other = document.createElement("button");
    notebook.appendChild(other);
    other.focus();
    expect(luminoDistance(commandMode, other)).toBe(0);
    // a button inside the widget gets the attribute when it takes focus
    const btn = s.root.querySelector('[data-label="neg"]') as HTMLButtonElement;
    btn.focus();
    expect(btn.hasAttribute("data-lm-suppress-shortcuts")).toBe(true);
    expect(luminoDistance(commandMode, btn)).toBe(-1);
    expect(q(s.root, "note-input").hasAttribute("data-lm-suppress-shortcuts")).toBe(true);
    // clicking anywhere on the widget focuses the root
    q(s.root, "item-text").click();
    expect(document.activeElement).toBe(s.root);
  });
});

/* ------------------------------------------------------------------ protocol */
describe("protocol", () => {
  it("prefetches the next page when fewer than `prefetch` are buffered, never twice", () => {
    const s = setup();
    const fetches = () => s.model.sentOf("fetch");
    expect(fetches()).toHaveLength(1);
    for (let i = 0; i < 7; i++) press(s.root, "ArrowRight"); // cursor 7: 8 ahead (8..15)
    expect(fetches()).toHaveLength(1);
    press(s.root, "Enter"); // cursor 8: 7 ahead
    expect(fetches()).toHaveLength(2);
    expect(fetches()[1]).toMatchObject({ type: "fetch", start: 16, count: 16 });
    expect(typeof fetches()[1].req).toBe("string");
    press(s.root, "ArrowRight");
    press(s.root, "ArrowRight");
    expect(fetches()).toHaveLength(2); // still in flight: not asked again
    s.kernel.serve();
    for (let i = 0; i < 14; i++) press(s.root, "ArrowRight"); // cursor 24
    expect(fetches()).toHaveLength(3);
    expect(fetches()[2]).toMatchObject({ start: 32, count: 8 }); // clamped to queue_length 40
  });

  it("shows loading when the next entry is not in the window and paints it when it arrives", () => {
    const s = setup({ traits: { config: { prefetch: 2, page_size: 4 } } });
    expect(s.model.sentOf("fetch")[0]).toMatchObject({ start: 0, count: 4 });
    press(s.root, "ArrowRight");
    press(s.root, "ArrowRight"); // cursor 2: asks for 4..7
    press(s.root, "ArrowRight");
    press(s.root, "Enter"); // cursor 4: not here yet
    expect(s.root.getAttribute("data-state")).toBe("loading");
    expect(s.model.sentOf("fetch")).toHaveLength(2);
    s.kernel.serve();
    expect(s.root.getAttribute("data-state")).toBe("item");
    expect(text(s)).toBe("text number 4");
    frame();
    expect(s.root.getAttribute("data-painted-qi")).toBe("4");
    expect(s.root.__hitlTimings!.at(-1)).toMatchObject({ key: "Enter", qi: 4 });
  });

  it("fetches backward when moving left past the window", () => {
    const s = setup({ serve: false });
    s.kernel.serve();
    s.model.deliver({ type: "reset", cursor: 30 });
    expect(s.model.sentOf("fetch").at(-1)).toMatchObject({ start: 30 });
    s.kernel.serve();
    expect(text(s)).toBe("text number 30");
    press(s.root, "ArrowLeft");
    expect(s.root.getAttribute("data-state")).toBe("loading");
    expect(s.model.sentOf("fetch").at(-1)).toMatchObject({ start: 14, count: 16 });
    press(s.root, "ArrowLeft"); // 28: covered by the fetch in flight
    expect(s.model.sentOf("fetch").filter((f) => f.start === 14)).toHaveLength(1);
    s.kernel.serve();
    expect(text(s)).toBe("text number 28");
  });

  it("keeps a decision in localStorage until the kernel acks it", () => {
    const s = setup();
    press(s.root, "Enter");
    const [d] = s.model.decisions();
    const stored = JSON.parse(localStorage.getItem("hitl:pending:store-1")!);
    expect(stored[d.id]).toEqual(d);
    expect(q(s.root, "pending").textContent).toBe("1");
    s.kernel.ackAll();
    expect(localStorage.getItem("hitl:pending:store-1")).toBeNull();
    expect(q(s.root, "pending").textContent).toBe("0");
  });

  it("in the browser a decision is stored at once and sent after the frame, in order", () => {
    const items = queue(40);
    const model = new FakeModel({ queue_length: items.length });
    const s = mountWidget<HitlRoot>((m, h) => mountClassificationWidget(m, h, { sendAfterFrame: true }), model, items, { serve: false });
    vi.advanceTimersByTime(50); // hello, then the first page
    s.kernel.serve();
    vi.advanceTimersByTime(50);
    expect(text(s)).toBe("text number 0");
    press(s.root, "Enter");
    press(s.root, "2");
    // the next item is painted and both decisions are in localStorage before anything is sent
    expect(text(s)).toBe("text number 2");
    expect(Object.keys(JSON.parse(localStorage.getItem("hitl:pending:store-1")!))).toHaveLength(2);
    expect(s.model.sentOf("decide")).toHaveLength(0);
    vi.advanceTimersByTime(50);
    const sent = s.model.decisions();
    expect(sent.map((d) => [d.item_id, d.action])).toEqual([["item-0", "accept"], ["item-1", "correct"]]);
    // what a key left in the outbox still goes when the view is closed at once
    press(s.root, "s");
    s.cleanup();
    expect(s.model.decisions().map((d) => d.action)).toEqual(["accept", "correct", "skip"]);
  });

  it("resends anything not acknowledged for 2 s, and stops after the ack", () => {
    const s = setup();
    press(s.root, "Enter");
    press(s.root, "s");
    expect(s.model.sentOf("decide")).toHaveLength(2);
    vi.advanceTimersByTime(1600);
    expect(s.model.sentOf("decide")).toHaveLength(2);
    vi.advanceTimersByTime(600);
    const resent = s.model.sentOf("decide");
    expect(resent).toHaveLength(3);
    expect(resent[2].decisions.map((d: { id: string }) => d.id)).toEqual(resent.slice(0, 2).map((m) => m.decisions[0].id));
    s.kernel.ackAll();
    vi.advanceTimersByTime(10000);
    expect(s.model.sentOf("decide")).toHaveLength(3);
  });

  it("shows a kernel that stays silent on decisions, with the count kept, until it answers", () => {
    const s = setup();
    press(s.root, "Enter");
    const m = q(s.root, "message");
    vi.advanceTimersByTime(5000);
    expect(m.hidden).toBe(true); // slow is not silent yet
    vi.advanceTimersByTime(4000);
    expect(m.hidden).toBe(false);
    expect(m.getAttribute("data-level")).toBe("waiting");
    expect(m.textContent).toContain("No answer from the kernel");
    expect(m.textContent).toContain("1 decision is kept in this browser");
    vi.advanceTimersByTime(60000);
    expect(m.hidden).toBe(false); // it stays while the silence lasts
    s.kernel.ackAll();
    expect(m.textContent).toBe("The kernel answers again.");
  });

  it("sends every pending decision in hello on a new render (a closed tab loses nothing)", () => {
    const a = setup();
    expect(a.model.sent[0]).toEqual({ type: "hello", pending: [] });
    press(a.root, "2");
    const [d] = a.model.decisions();
    a.cleanup(); // the tab closes before the ack
    const b = setup();
    expect(b.model.sent[0]).toEqual({ type: "hello", pending: [d] });
    expect(q(b.root, "pending").textContent).toBe("1");
    b.model.deliver({ type: "ack", ids: [d.id] });
    expect(localStorage.getItem("hitl:pending:store-1")).toBeNull();
    // another store's widget does not send them
    press(b.root, "s");
    const c = setup({ traits: { store_id: "store-2" } });
    expect(c.model.sent[0]).toEqual({ type: "hello", pending: [] });
  });

  it("drops rejected decisions, shows the message and rolls the view back", () => {
    const s = setup();
    press(s.root, "2");
    const [d] = s.model.decisions();
    s.model.deliver({ type: "ack", ids: [], errors: { [d.id]: "label 'neg' is not allowed" } });
    expect(localStorage.getItem("hitl:pending:store-1")).toBeNull();
    expect(q(s.root, "pending").textContent).toBe("0");
    expect(q(s.root, "message").textContent).toContain("label 'neg' is not allowed");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "decision").hidden).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(s.model.sentOf("decide")).toHaveLength(1); // not resent
  });

  it("external decisions on the current item move on; on others they show when visited", () => {
    const s = setup();
    const ext = (qi: number, action = "accept") => ({
      type: "external",
      decision: { id: `ext-${qi}-${action}`, item_id: `item-${qi}`, content_hash: `h${qi}`, qi, action, label: null, note: null },
    });
    s.model.deliver(ext(0));
    expect(text(s)).toBe("text number 1");
    s.model.deliver(ext(5));
    expect(text(s)).toBe("text number 1");
    for (let i = 0; i < 4; i++) press(s.root, "ArrowRight");
    expect(q(s.root, "decision").textContent).toBe("accepted: pos");
    expect(s.model.decisions()).toHaveLength(0);
  });

  it("a script deciding faster than pages arrive: the cursor keeps up and ends on the summary", () => {
    const n = 200;
    const s = setup({ items: queue(n) });
    const ext = (qi: number) => ({
      type: "external",
      decision: { id: `ext-${qi}`, item_id: `item-${qi}`, content_hash: `h${qi}`, qi, action: "accept", label: null, note: null },
    });
    // every decision arrives before any further page is served (the kernel is busy in the
    // script's cell): the entries past the first page are still loading when decided
    for (let qi = 0; qi < n; qi++) s.model.deliver(ext(qi));
    s.kernel.serve();
    expect(s.root.getAttribute("data-state")).toBe("summary");
  });

  it("an external decision on another entry while the cursor's is loading does not move it", () => {
    const s = setup({ items: queue(200) });
    for (let i = 0; i < 120; i++) press(s.root, "ArrowRight"); // past the pages served
    expect(s.root.getAttribute("data-state")).toBe("loading");
    s.model.deliver({
      type: "external",
      decision: { id: "other", item_id: "item-3", content_hash: "h3", qi: 3, action: "accept", label: null, note: null },
    });
    s.kernel.serve();
    expect(text(s)).toBe("text number 120"); // still entry 120
  });

  it("Z undoes this session's latest decision whoever made it: one made from Python too", () => {
    const s = setup();
    const sid = String(s.model.get("session_id"));
    press(s.root, "2"); // a correction with the keys on item-0
    // then a script accepts item-1 (the current one) from Python in the same session
    s.model.deliver({
      type: "external",
      decision: { id: "py-1", item_id: "item-1", content_hash: "h1", qi: 1, action: "accept", label: null,
                  note: null, session_id: sid },
    });
    expect(text(s)).toBe("text number 2");
    press(s.root, "z"); // undoes the script's accept, not the keyboard's correction
    expect(text(s)).toBe("text number 1");
    expect(q(s.root, "decision").hidden).toBe(true);
    const undo = s.model.decisions().at(-1)!;
    expect(undo).toMatchObject({ action: "undo", item_id: "item-1", after: "py-1" });
    // a Python undo of the correction takes it out of the browser's undo order
    s.model.deliver({
      type: "external",
      decision: { id: "py-undo", item_id: "item-0", content_hash: "h0", qi: 0, action: "undo", label: null,
                  note: null, session_id: sid },
    });
    const n = s.model.decisions().length;
    press(s.root, "z");
    expect(s.model.decisions()).toHaveLength(n); // nothing left to undo in this session
    expect(q(s.root, "message").textContent).toContain("Nothing to undo");
  });

  it("reset drops the window and refetches; answers to old fetches are ignored", () => {
    const s = setup();
    press(s.root, "Enter");
    press(s.root, "Enter");
    s.kernel.queue = queue(10, (qi) => ({ text: `new ${qi}`, item_id: `new-${qi}` }));
    const before = s.model.sentOf("fetch").length;
    const stale = { type: "items", req: s.model.sentOf("fetch")[0].req, start: 0, items: queue(3), queue_length: 40 };
    s.model.set("queue_length", 10);
    s.model.deliver({ type: "reset" });
    expect(s.root.getAttribute("data-state")).toBe("loading");
    expect(s.model.sentOf("fetch")).toHaveLength(before + 1);
    expect(s.model.sentOf("fetch").at(-1)).toMatchObject({ start: 0 });
    s.model.deliver(stale);
    expect(s.root.getAttribute("data-state")).toBe("loading");
    s.kernel.serve();
    expect(text(s)).toBe("new 0");
  });

  it("shows the summary after the last entry: counts per action and agreement", () => {
    const s = setup({ n: 3, traits: { counts: { accepted: 10, corrected: 2 }, agreement: 0.8, done: 12, total: 20 } });
    press(s.root, "Enter"); // accept
    press(s.root, "2"); // correct pos -> neg
    press(s.root, "s"); // skip
    expect(s.root.getAttribute("data-state")).toBe("summary");
    const summary = q(s.root, "summary");
    expect(summary.hidden).toBe(false);
    expect(q(s.root, "item-text").offsetParent).toBeNull();
    const row = (status: string) =>
      [...summary.querySelectorAll(`tr[data-status="${status}"] td`)].map((td) => td.textContent);
    expect(row("accepted")).toEqual(["accepted", "1", "10"]);
    expect(row("corrected")).toEqual(["corrected", "1", "2"]);
    expect(row("skipped")).toEqual(["skipped", "1", "0"]);
    expect(row("agreement")).toEqual(["agreement with the model", "50.0%", "80.0%"]);
    expect(summary.textContent).toContain("not saved yet");
    s.kernel.ackAll();
    s.model.set("counts", { accepted: 11, corrected: 3, skipped: 1 });
    expect(row("accepted")).toEqual(["accepted", "1", "11"]);
    expect(summary.textContent).not.toContain("not saved yet");
    press(s.root, "ArrowRight"); // nothing past the summary
    expect(s.root.getAttribute("data-state")).toBe("summary");
    press(s.root, "ArrowLeft");
    expect(text(s)).toBe("text number 2");
  });

  it("an empty queue goes straight to the summary", () => {
    const s = setup({ n: 0 });
    expect(s.root.getAttribute("data-state")).toBe("summary");
    expect(q(s.root, "summary").textContent).toContain("Nothing to review");
  });

  it("cleanup removes listeners, timers and the DOM", () => {
    const s = setup();
    press(s.root, "Enter"); // a pending decision (resend timer live)
    frame();
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    s.cleanup();
    expect(vi.getTimerCount()).toBe(0);
    expect(s.model.listenerCount()).toBe(0);
    expect(s.host.children.length).toBe(0);
    const sent = s.model.sent.length;
    press(s.root, "Enter");
    s.model.deliver({ type: "reset" });
    vi.advanceTimersByTime(5000);
    expect(s.model.sent.length).toBe(sent);
  });
});

describe("the store's state", () => {

  it("a wait or an error stays on screen until the kernel says the store works again", () => {
    const s = setup();
    s.model.deliver({ type: "status", level: "waiting", text: "the store hitl.db is locked by another process" });
    const m = q(s.root, "message");
    expect(m.hidden).toBe(false);
    expect(m.getAttribute("data-level")).toBe("waiting");
    press(s.root, "Enter"); // a decision: it stays pending; the message stays
    vi.advanceTimersByTime(60_000);
    s.model.deliver({ type: "status", level: "error", text: "the PostgreSQL server cannot be reached" });
    expect(m.hidden).toBe(false);
    expect(m.textContent).toContain("cannot be reached");
    expect(m.getAttribute("data-level")).toBe("error");
    s.model.deliver({ type: "status", level: "ok", text: "the store is back" });
    expect(m.textContent).toBe("the store is back");
    expect(m.getAttribute("data-level")).toBe("info");
    s.model.deliver({ type: "status", level: "bogus", text: "ignored" });
    expect(m.textContent).toBe("the store is back");
  });
});
