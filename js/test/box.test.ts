/** @vitest-environment jsdom */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget, { mount as mountBoxWidget, type HitlRoot } from "../src/widgets/box";
import type { BoxItem } from "../src/lib/types";
import { FakeModel, keydown, mountWidget, press, q, useWidgetTests, type Mounted } from "./helpers";

useWidgetTests();

/* ------------------------------------------------------------------ fakes */

let urlCount = 0;
beforeEach(() => {
  Object.defineProperty(URL, "createObjectURL", { configurable: true, value: vi.fn(() => `blob:fake/${++urlCount}`) });
  Object.defineProperty(URL, "revokeObjectURL", { configurable: true, value: vi.fn() });
});
afterEach(() => {
  delete (URL as unknown as Record<string, unknown>).createObjectURL;
  delete (URL as unknown as Record<string, unknown>).revokeObjectURL;
});

const MODEL_BOXES = () => [
  { id: "m1", x1: 100, y1: 100, x2: 200, y2: 200, label: "car", score: 0.9 },
  { id: "m2", x1: 300, y1: 200, x2: 400, y2: 300, label: "person", score: 0.75 },
  { id: "m3", x1: 10, y1: 10, x2: 50, y2: 50, label: "car", score: null },
];

function boxItem(qi: number, extra: Partial<BoxItem> = {}): BoxItem {
  return {
    qi,
    item_id: `img-${qi}`,
    content_hash: `h${qi}`,
    image_id: `img-${qi}`,
    name: `photo_${qi}.png`,
    width: 640,
    height: 480,
    // a preview at half size: coordinates stay the original's
    image: { mime: "image/png", width: 320, height: 240, scale: 0.5, bytes: 4 },
    boxes: MODEL_BOXES(),
    context: [{ x1: 500, y1: 10, x2: 600, y2: 90, label: "tree" }],
    task: { label: null, region: null, part: 1, parts: 1 },
    decision: null,
    reasons: [],
    ...extra,
  };
}

function serve(s: Mounted, queue: BoxItem[], answered: Set<string>): number {
  const open = s.model.sentOf("fetch").filter((f) => !answered.has(f.req));
  for (const f of open) {
    answered.add(f.req);
    const page = queue.slice(f.start, f.start + f.count);
    const buffers: DataView[] = [];
    const items = page.map((it) => {
      const out = { ...it, buffers: [buffers.length] };
      buffers.push(new DataView(new Uint8Array([it.qi, 1, 2, 3]).buffer));
      return out;
    });
    s.model.emit("msg:custom", { type: "items", req: f.req, start: f.start, items, queue_length: queue.length }, buffers);
  }
  return open.length;
}

interface Setup extends Mounted<HitlRoot> {
  serveAll: () => void;
  stage: () => HTMLElement;
}

/** The stage's box on the page: 320 x 240 CSS px at (100, 50) — the 640 x 480 original
 * shown at half size (CSS scaling). */
const RECT = { left: 100, top: 50, width: 320, height: 240 };

function setup(opts: { items?: BoxItem[]; traits?: Record<string, unknown> } = {}): Setup {
  const items = opts.items ?? Array.from({ length: 6 }, (_, qi) => boxItem(qi));
  const model = new FakeModel({
    kind: "box",
    labels: ["car", "person", "bike"],
    config: { show_model: true, prefetch: 8, task: "boxes", kind: "box", show_scores: false, page_size: 4 },
    queue_length: items.length,
    ...opts.traits,
  });
  const s = mountWidget<HitlRoot>(mountBoxWidget, model, items, { serve: false });
  const answered = new Set<string>();
  const serveAll = () => {
    while (serve(s, items, answered) > 0) {
      /* prefetches too */
    }
  };
  serveAll();
  const stage = () => {
    const st = q(s.root, "box-stage");
    st.getBoundingClientRect = () => ({ ...RECT, right: RECT.left + RECT.width, bottom: RECT.top + RECT.height, x: RECT.left, y: RECT.top, toJSON: () => ({}) }) as DOMRect;
    return st;
  };
  stage();
  return { ...s, serveAll, stage };
}

const boxes = (s: Setup): SVGGElement[] => [...s.root.querySelectorAll<SVGGElement>('[data-testid="box"]')];
const boxEl = (s: Setup, id: string): SVGGElement => s.root.querySelector<SVGGElement>(`[data-testid="box"][data-box-id="${id}"]`)!;
const rectOf = (s: Setup, id: string): number[] => {
  const r = boxEl(s, id).querySelector("rect")!;
  const [x, y, w, h] = ["x", "y", "width", "height"].map((a) => Number(r.getAttribute(a)));
  return [x, y, x + w, y + h];
};
const selected = (s: Setup): string[] => boxes(s).filter((g) => g.classList.contains("is-selected")).map((g) => g.getAttribute("data-box-id")!);
const last = (s: Setup) => {
  const ds = s.model.decisions();
  return ds[ds.length - 1];
};

let pid = 1;
function pointer(type: string, target: Element, x: number, y: number, init: PointerEventInit = {}): void {
  target.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: y, bubbles: true, cancelable: true, pointerId: pid, button: 0, ...init }));
}
/** a drag: down on `target` at (x0, y0), moves in `steps`, up at (x1, y1) */
function dragOn(target: Element, x0: number, y0: number, x1: number, y1: number, init: PointerEventInit = {}, steps = 3): void {
  pid++;
  pointer("pointerdown", target, x0, y0, init);
  for (let i = 1; i <= steps; i++) pointer("pointermove", target, x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps, init);
  pointer("pointerup", target, x1, y1, init);
}
/** the screen point of an original pixel at zoom 1 (stage RECT: half size) */
const scr = (x: number, y: number): [number, number] => [RECT.left + x / 2, RECT.top + y / 2];

/* ------------------------------------------------------------------ view */
describe("the view", () => {
  it("draws the model's boxes over the image in original pixels, context boxes faint", () => {
    const s = setup();
    expect(s.root.getAttribute("data-layout")).toBe("boxes");
    const stage = q(s.root, "box-stage");
    expect(stage.getAttribute("data-item-id")).toBe("img-0");
    expect(stage.getAttribute("data-zoom")).toBe("1");
    expect(stage.getAttribute("data-hidden")).toBe("false");
    expect(stage.getAttribute("data-mode")).toBe("");
    const svg = q(s.root, "box-overlay");
    expect(svg.tagName.toLowerCase()).toBe("svg");
    expect(svg.getAttribute("viewBox")).toBe("0 0 640 480"); // the original's, though the image is a preview
    expect(boxes(s).map((g) => [g.getAttribute("data-box-id"), g.getAttribute("data-label")])).toEqual([
      ["m1", "car"],
      ["m2", "person"],
      ["m3", "car"],
    ]);
    expect(rectOf(s, "m2")).toEqual([300, 200, 400, 300]);
    expect(boxEl(s, "m1").querySelector("text")!.textContent).toBe("car");
    const ctx = [...s.root.querySelectorAll('[data-testid="context-box"]')];
    expect(ctx).toHaveLength(1);
    expect(ctx[0].getAttribute("data-label")).toBe("tree");
    expect(q(s.root, "box-count").textContent).toBe("3 boxes");
    expect(q(s.root, "box-task").textContent).toBe("");
    expect(q(s.root, "box-selected").textContent).toBe("");
    expect(s.root.querySelectorAll('[data-testid="handle"]')).toHaveLength(0);
    expect(q(s.root, "image-size").textContent).toBe("640 × 480 px (shown at 50%)");
    expect(q<HTMLImageElement>(s.root, "image").src).toMatch(/^blob:fake\//);
    expect(typeof widget.render).toBe("function");
  });

  it("shows scores with config.show_scores, and the task line", () => {
    const items = [boxItem(0, { task: { label: "car", region: null, part: 2, parts: 3 } })];
    const s = setup({ items, traits: { config: { show_model: true, prefetch: 8, task: "boxes", kind: "box", show_scores: true } } });
    expect(boxEl(s, "m1").querySelector("text")!.textContent).toBe("car 0.90");
    expect(boxEl(s, "m3").querySelector("text")!.textContent).toBe("car");
    expect(q(s.root, "box-task").textContent).toBe("label: car · part 2 of 3");
  });

  it("shows hostile labels and names literally and makes no element of them", () => {
    const evil = "<img src=x onerror=alert(1)>";
    const items = [
      boxItem(0, {
        name: evil,
        item_id: `<b id="x">`,
        boxes: [{ id: `<i>id</i>`, x1: 1, y1: 1, x2: 20, y2: 20, label: evil, score: null }],
        context: [{ x1: 30, y1: 30, x2: 40, y2: 40, label: "<script>alert(2)</script>" }],
      }),
    ];
    const s = setup({ items, traits: { labels: [evil, "<svg onload=alert(3)>"] } });
    const g = boxes(s)[0];
    expect(g.getAttribute("data-label")).toBe(evil);
    expect(g.getAttribute("data-box-id")).toBe("<i>id</i>");
    expect(g.querySelector("text")!.textContent).toBe(evil);
    expect(q(s.root, "image-name").textContent).toBe(evil);
    press(s.root, "Tab");
    expect(q(s.root, "box-selected").textContent).toContain(evil);
    press(s.root, "2");
    expect(g.getAttribute("data-label")).toBe("<svg onload=alert(3)>");
    expect(s.root.querySelector("script, b, i")).toBeNull();
    expect(s.root.querySelectorAll("svg")).toHaveLength(1); // the overlay only
    const imgs = [...s.root.querySelectorAll("img")];
    expect(imgs).toHaveLength(1);
    expect(imgs[0].getAttribute("data-testid")).toBe("image");
  });

  it("opens a tile's task zoomed to its region", () => {
    const items = [boxItem(0, { task: { label: null, region: [160, 120, 480, 360], part: 1, parts: 4 } })];
    const s = setup({ items });
    expect(q(s.root, "box-stage").getAttribute("data-zoom")).toBe("2");
    expect(q(s.root, "box-task").textContent).toBe("part 1 of 4");
  });
});

/* ------------------------------------------------------------------ keys */
describe("keys", () => {
  it("Tab / Shift+Tab select the next / previous box (cycling), with handles; Escape deselects", () => {
    const s = setup();
    press(s.root, "Tab");
    expect(selected(s)).toEqual(["m1"]);
    const hs = [...s.root.querySelectorAll('[data-testid="handle"]')];
    expect(hs.map((h) => h.getAttribute("data-handle"))).toEqual(["nw", "n", "ne", "e", "se", "s", "sw", "w"]);
    expect(q(s.root, "box-selected").textContent).toBe("car: 100, 100 → 200, 200 (100 × 100 px)");
    press(s.root, "Tab");
    press(s.root, "Tab");
    expect(selected(s)).toEqual(["m3"]);
    press(s.root, "Tab");
    expect(selected(s)).toEqual(["m1"]);
    press(s.root, "Tab", { shiftKey: true });
    expect(selected(s)).toEqual(["m3"]);
    press(s.root, "Escape");
    expect(selected(s)).toEqual([]);
    expect(s.root.querySelectorAll('[data-testid="handle"]')).toHaveLength(0);
    expect(q(s.root, "box-selected").textContent).toBe("");
    press(s.root, "Escape"); // nothing selected: the shell's Escape (nothing happens)
    expect(s.model.decisions()).toHaveLength(0);
  });

  it("1-9 relabel the selected box; with none selected they say so", () => {
    const s = setup();
    press(s.root, "2");
    expect(q(s.root, "message").textContent).toBe("Select a box first (Tab).");
    press(s.root, "Tab");
    press(s.root, "2");
    expect(boxEl(s, "m1").getAttribute("data-label")).toBe("person");
    expect(boxEl(s, "m1").querySelector("text")!.textContent).toBe("person");
    press(s.root, "9");
    expect(q(s.root, "message").textContent).toBe("No label 9.");
    press(s.root, "Enter");
    const d = last(s);
    expect(d.action).toBe("edit");
    expect(d.data!.boxes).toEqual([
      { id: "m1", x1: 100, y1: 100, x2: 200, y2: 200, label: "person" },
      { id: "m2", x1: 300, y1: 200, x2: 400, y2: 300, label: "person" },
      { id: "m3", x1: 10, y1: 10, x2: 50, y2: 50, label: "car" },
    ]);
    expect(d.data!.ops).toEqual([
      { op: "relabel", id: "m1", t_ms: 0, via: "key", before: [100, 100, 200, 200], after: [100, 100, 200, 200], label_before: "car", label_after: "person" },
    ]);
  });

  it("arrows move the selected box by 1 px (Shift 10 px); quick moves merge into one op", () => {
    const s = setup();
    press(s.root, "Tab", { shiftKey: true }); // m3
    vi.advanceTimersByTime(100);
    press(s.root, "ArrowRight");
    vi.advanceTimersByTime(100);
    press(s.root, "ArrowRight");
    press(s.root, "ArrowDown", { shiftKey: true });
    press(s.root, "ArrowLeft", { shiftKey: true });
    press(s.root, "ArrowUp");
    expect(rectOf(s, "m3")).toEqual([2, 19, 42, 59]);
    vi.advanceTimersByTime(900); // a pause: the next move is a new op
    press(s.root, "ArrowLeft", { shiftKey: true });
    press(s.root, "ArrowLeft"); // at the image's left edge: no move
    expect(rectOf(s, "m3")).toEqual([0, 19, 40, 59]);
    press(s.root, "Enter");
    const d = last(s);
    expect(d.action).toBe("edit");
    expect(d.data!.ops).toEqual([
      { op: "move", id: "m3", t_ms: 100, via: "key", before: [10, 10, 50, 50], after: [2, 19, 42, 59] },
      { op: "move", id: "m3", t_ms: 1100, via: "key", before: [2, 19, 42, 59], after: [0, 19, 40, 59] },
    ]);
    expect(d.data!.box_ms).toEqual({ m3: 1100 });
    expect((d.data!.boxes as { id: string }[]).find((b) => b.id === "m3")).toEqual({ id: "m3", x1: 0, y1: 19, x2: 40, y2: 59, label: "car" });
  });

  it("ArrowLeft / ArrowRight with no box selected move between entries", () => {
    const s = setup();
    press(s.root, "ArrowRight");
    expect(q(s.root, "box-stage").getAttribute("data-item-id")).toBe("img-1");
    press(s.root, "ArrowRight");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "box-stage").getAttribute("data-item-id")).toBe("img-1");
    expect(s.model.decisions()).toHaveLength(0);
  });

  it("Alt+arrows resize the selected box's right / bottom edge, never below 1 px", () => {
    const s = setup();
    press(s.root, "Tab");
    press(s.root, "ArrowRight", { altKey: true });
    expect(rectOf(s, "m1")).toEqual([100, 100, 201, 200]);
    press(s.root, "ArrowDown", { altKey: true, shiftKey: true });
    expect(rectOf(s, "m1")).toEqual([100, 100, 201, 210]);
    press(s.root, "ArrowUp", { altKey: true });
    press(s.root, "ArrowLeft", { altKey: true, shiftKey: true });
    expect(rectOf(s, "m1")).toEqual([100, 100, 191, 209]);
    for (let i = 0; i < 12; i++) press(s.root, "ArrowLeft", { altKey: true, shiftKey: true });
    expect(rectOf(s, "m1")).toEqual([100, 100, 101, 209]); // 1 px at least
    expect(q(s.root, "box-stage").getAttribute("data-item-id")).toBe("img-0"); // Alt+← is no move
    press(s.root, "Enter");
    const ops = last(s).data!.ops as { op: string; via: string; before: number[]; after: number[] }[];
    expect(ops.slice(0, 4)).toEqual([
      { op: "resize", id: "m1", t_ms: 0, via: "key", before: [100, 100, 200, 200], after: [100, 100, 201, 200] },
      { op: "resize", id: "m1", t_ms: 0, via: "key", before: [100, 100, 201, 200], after: [100, 100, 201, 210] },
      { op: "resize", id: "m1", t_ms: 0, via: "key", before: [100, 100, 201, 210], after: [100, 100, 201, 209] },
      { op: "resize", id: "m1", t_ms: 0, via: "key", before: [100, 100, 201, 209], after: [100, 100, 191, 209] },
    ]);
    expect(ops.every((o) => o.op === "resize")).toBe(true);
    expect(ops[ops.length - 1].after).toEqual([100, 100, 101, 209]);
  });

  it("Delete / Backspace / X delete the selected box; the selection moves to the next", () => {
    const s = setup();
    press(s.root, "Delete");
    expect(q(s.root, "message").textContent).toBe("Select a box first (Tab).");
    press(s.root, "Tab");
    press(s.root, "Delete");
    expect(boxes(s).map((g) => g.getAttribute("data-box-id"))).toEqual(["m2", "m3"]);
    expect(selected(s)).toEqual(["m2"]);
    expect(q(s.root, "box-count").textContent).toBe("2 boxes (1 deleted)");
    press(s.root, "Backspace");
    expect(selected(s)).toEqual(["m3"]);
    press(s.root, "x");
    expect(boxes(s)).toHaveLength(0);
    expect(q(s.root, "box-count").textContent).toBe("0 boxes (3 deleted)");
    press(s.root, "Enter");
    const d = last(s);
    expect(d.action).toBe("edit");
    expect(d.data!.boxes).toEqual([]);
    expect((d.data!.ops as { op: string; id: string; after: unknown }[]).map((o) => [o.op, o.id, o.after])).toEqual([
      ["delete", "m1", null],
      ["delete", "m2", null],
      ["delete", "m3", null],
    ]);
  });

  it("N arms drawing; N again drops a box of 20% of the view at its centre, selected, with the task's label", () => {
    const items = [boxItem(0, { task: { label: "person", region: null, part: 1, parts: 1 } }), boxItem(1)];
    const s = setup({ items });
    press(s.root, "n");
    expect(q(s.root, "box-stage").getAttribute("data-mode")).toBe("draw");
    press(s.root, "n");
    expect(q(s.root, "box-stage").getAttribute("data-mode")).toBe("");
    expect(rectOf(s, "new-1")).toEqual([256, 192, 384, 288]);
    expect(selected(s)).toEqual(["new-1"]);
    expect(boxEl(s, "new-1").getAttribute("data-label")).toBe("person");
    expect(q(s.root, "box-count").textContent).toBe("4 boxes (1 new)");
    press(s.root, "Enter");
    const d = last(s);
    expect(d.action).toBe("edit");
    expect((d.data!.boxes as unknown[])[3]).toEqual({ id: "new-1", x1: 256, y1: 192, x2: 384, y2: 288, label: "person" });
    expect(d.data!.ops).toEqual([{ op: "add", id: "new-1", t_ms: 0, via: "key", before: null, after: [256, 192, 384, 288] }]);
    // no task label: the first label; Escape disarms
    press(s.root, "n");
    press(s.root, "Escape");
    expect(q(s.root, "box-stage").getAttribute("data-mode")).toBe("");
  });

  it("a new id is never one of the model's", () => {
    const items = [boxItem(0, { boxes: [{ id: "new-1", x1: 0, y1: 0, x2: 10, y2: 10, label: "car", score: null }] })];
    const s = setup({ items });
    press(s.root, "n");
    press(s.root, "n");
    expect(boxes(s).map((g) => g.getAttribute("data-box-id"))).toEqual(["new-1", "new-2"]);
    expect(boxEl(s, "new-2").getAttribute("data-label")).toBe("car");
  });

  it("R arms a redraw of the selected box (a drag replaces it, id and label kept); R again cancels", () => {
    const s = setup();
    press(s.root, "r");
    expect(q(s.root, "message").textContent).toBe("Select a box first (Tab).");
    press(s.root, "Tab");
    press(s.root, "r");
    expect(q(s.root, "box-stage").getAttribute("data-mode")).toBe("redraw");
    press(s.root, "r");
    expect(q(s.root, "box-stage").getAttribute("data-mode")).toBe("");
    press(s.root, "r");
    const stage = s.stage();
    dragOn(stage, ...scr(400, 300), ...scr(300, 240)); // drawn backwards: normalised
    expect(rectOf(s, "m1")).toEqual([300, 240, 400, 300]);
    expect(boxEl(s, "m1").getAttribute("data-label")).toBe("car");
    expect(q(s.root, "box-stage").getAttribute("data-mode")).toBe("");
    press(s.root, "Enter");
    expect(last(s).data!.ops).toEqual([{ op: "redraw", id: "m1", t_ms: 0, via: "mouse", before: [100, 100, 200, 200], after: [300, 240, 400, 300] }]);
  });

  it("H hides and shows the boxes", () => {
    const s = setup();
    press(s.root, "h");
    expect(q(s.root, "box-stage").getAttribute("data-hidden")).toBe("true");
    expect(q(s.root, "box-overlay").classList.contains("is-hidden")).toBe(true);
    press(s.root, "h");
    expect(q(s.root, "box-stage").getAttribute("data-hidden")).toBe("false");
    expect(q(s.root, "box-overlay").classList.contains("is-hidden")).toBe(false);
  });

  it("+ / = zoom in, - out, 0 fits; I J K L pan by 10% of the view", () => {
    const s = setup();
    const stage = q(s.root, "box-stage");
    const canvas = stage.firstElementChild as HTMLElement;
    press(s.root, "+");
    expect(stage.getAttribute("data-zoom")).toBe("1.25");
    press(s.root, "=");
    expect(stage.getAttribute("data-zoom")).toBe("1.563");
    press(s.root, "-");
    expect(stage.getAttribute("data-zoom")).toBe("1.25");
    press(s.root, "0");
    expect(stage.getAttribute("data-zoom")).toBe("1");
    expect(canvas.style.transform).toBe("scale(1) translate(0%, 0%)");
    press(s.root, "l"); // at zoom 1 the whole image shows: no pan
    expect(canvas.style.transform).toBe("scale(1) translate(0%, 0%)");
    press(s.root, "+");
    press(s.root, "+");
    press(s.root, "+");
    press(s.root, "+"); // 2.441
    press(s.root, "l");
    press(s.root, "k");
    press(s.root, "k");
    press(s.root, "j");
    press(s.root, "i");
    press(s.root, "l");
    // net: right 1 and down 1 step of 10% of the view (640 / 2.441 px, 480 / 2.441 px)
    const z = 1.25 ** 4;
    const m = canvas.style.transform.match(/^scale\(([\d.]+)\) translate\((-?[\d.e-]+)%, (-?[\d.e-]+)%\)$/)!;
    expect(Number(m[1])).toBeCloseTo(z, 6);
    expect(Number(m[2])).toBeCloseTo(-((0.1 * 640) / z / 640) * 100, 6);
    expect(Number(m[3])).toBeCloseTo(-((0.1 * 480) / z / 480) * 100, 6);
  });

  it("Z undoes box operations first, then the last decision", () => {
    const s = setup();
    press(s.root, "Enter"); // accept img-0
    expect(q(s.root, "box-stage").getAttribute("data-item-id")).toBe("img-1");
    press(s.root, "Tab");
    press(s.root, "ArrowRight");
    press(s.root, "x"); // delete m1
    press(s.root, "n");
    press(s.root, "n"); // add new-1
    expect(boxes(s).map((g) => g.getAttribute("data-box-id"))).toEqual(["m2", "m3", "new-1"]);
    press(s.root, "z"); // the add
    expect(boxes(s).map((g) => g.getAttribute("data-box-id"))).toEqual(["m2", "m3"]);
    press(s.root, "z"); // the delete: m1 back in its place
    expect(boxes(s).map((g) => g.getAttribute("data-box-id"))).toEqual(["m1", "m2", "m3"]);
    expect(rectOf(s, "m1")).toEqual([101, 100, 201, 200]);
    press(s.root, "z"); // the move
    expect(rectOf(s, "m1")).toEqual([100, 100, 200, 200]);
    expect(s.model.decisions()).toHaveLength(1);
    press(s.root, "z"); // no box op left: the decision on img-0
    expect(s.model.decisions().map((d) => d.action)).toEqual(["accept", "undo"]);
    expect(q(s.root, "box-stage").getAttribute("data-item-id")).toBe("img-0");
    // back on img-1 the boxes are the model's again: Enter accepts, with the ops log
    press(s.root, "ArrowRight");
    press(s.root, "Enter");
    const d = last(s);
    expect(d.item_id).toBe("img-1");
    expect(d.action).toBe("accept");
    expect((d.data!.ops as { op: string; id: string }[]).map((o) => [o.op, o.id])).toEqual([
      ["move", "m1"],
      ["delete", "m1"],
      ["add", "new-1"],
      ["undo", "new-1"],
      ["undo", "m1"],
      ["undo", "m1"],
    ]);
    expect((d.data!.ops as unknown[])[4]).toEqual({ op: "undo", id: "m1", t_ms: 0, via: "key", before: null, after: [101, 100, 201, 200] });
  });

  it("Enter accepts when unchanged (even after moving back), edits otherwise; A as Enter", () => {
    const s = setup();
    press(s.root, "Enter");
    expect(last(s).action).toBe("accept");
    expect(last(s).data).toEqual({ ops: [], box_ms: {} });
    press(s.root, "Tab");
    vi.advanceTimersByTime(250);
    press(s.root, "ArrowRight");
    press(s.root, "ArrowLeft");
    vi.advanceTimersByTime(250);
    press(s.root, "a");
    const d = last(s);
    expect(d.item_id).toBe("img-1");
    expect(d.action).toBe("accept");
    expect(d.data).toEqual({ ops: [{ op: "move", id: "m1", t_ms: 250, via: "key", before: [100, 100, 200, 200], after: [100, 100, 200, 200] }], box_ms: { m1: 500 } });
    press(s.root, "Tab");
    press(s.root, "ArrowDown");
    press(s.root, "Enter");
    expect(last(s).action).toBe("edit");
    expect(last(s).item_id).toBe("img-2");
  });

  it("F flags with a note, S skips", () => {
    const s = setup();
    press(s.root, "f");
    const input = q<HTMLInputElement>(s.root, "note-input");
    input.value = "occluded";
    press(input, "Enter");
    press(s.root, "s");
    expect(s.model.decisions().map((d) => [d.action, d.item_id, d.note])).toEqual([
      ["flag", "img-0", "occluded"],
      ["skip", "img-1", null],
    ]);
    expect(q(s.root, "box-stage").getAttribute("data-item-id")).toBe("img-2");
  });

  it("? lists every key", () => {
    const s = setup();
    press(s.root, "?");
    const help = q(s.root, "help");
    expect(help.hidden).toBe(false);
    const rows = [...help.querySelectorAll("tr[data-keys]")].map((r) => r.getAttribute("data-keys"));
    for (const k of ["Tab", "Escape", "1 2 3 4 5 6 7 8 9", "ArrowLeft ArrowRight ArrowUp ArrowDown", "Alt+Arrow", "Delete Backspace x", "n", "r", "h", "+ =", "-", "0", "i", "j", "k", "l", "Enter a", "f", "s", "z", "?"]) {
      expect(rows).toContain(k);
    }
    for (const t of ["Shift+Tab", "Alt + ← ↑ → ↓", "Del / Backspace / X", "Enter / A", "+ / ="]) expect(help.textContent).toContain(t);
  });

  it("box_ms sums the time each box was selected while the entry is on screen", () => {
    const s = setup();
    press(s.root, "Tab");
    vi.advanceTimersByTime(1500);
    press(s.root, "Tab");
    vi.advanceTimersByTime(300);
    press(s.root, "ArrowRight", { shiftKey: false }); // m2 moves
    press(s.root, "Escape");
    vi.advanceTimersByTime(1000);
    press(s.root, "Tab", { shiftKey: true }); // m3
    vi.advanceTimersByTime(200);
    press(s.root, "Enter");
    expect(last(s).data!.box_ms).toEqual({ m1: 1500, m2: 300, m3: 200 });
  });
});

/* ------------------------------------------------------------------ mouse */
describe("mouse", () => {
  it("a click on a box selects it; a short click on empty image deselects", () => {
    const s = setup();
    const stage = s.stage();
    const rect = boxEl(s, "m2").querySelector("rect")!;
    pid++;
    pointer("pointerdown", rect, ...scr(350, 250));
    pointer("pointerup", rect, ...scr(350, 250));
    expect(selected(s)).toEqual(["m2"]);
    pid++;
    pointer("pointerdown", stage, ...scr(600, 400));
    pointer("pointermove", stage, scr(600, 400)[0] + 3, scr(600, 400)[1]); // under 4 px: a click
    pointer("pointerup", stage, scr(600, 400)[0] + 3, scr(600, 400)[1]);
    expect(selected(s)).toEqual([]);
    expect(boxes(s)).toHaveLength(3);
    press(s.root, "Enter");
    expect(last(s).action).toBe("accept");
  });

  it("dragging a box moves it: one op, in original pixels, with CSS scaling", () => {
    const s = setup();
    const rect = boxEl(s, "m2").querySelector("rect")!;
    vi.advanceTimersByTime(40);
    dragOn(rect, ...scr(350, 250), scr(350, 250)[0] + 15, scr(350, 250)[1] - 10, {}, 5); // 30, -20 original px
    expect(rectOf(s, "m2")).toEqual([330, 180, 430, 280]);
    expect(selected(s)).toEqual(["m2"]);
    press(s.root, "Enter");
    const d = last(s);
    expect(d.data!.ops).toEqual([{ op: "move", id: "m2", t_ms: 40, via: "mouse", before: [300, 200, 400, 300], after: [330, 180, 430, 280] }]);
    expect((d.data!.boxes as unknown[])[1]).toEqual({ id: "m2", x1: 330, y1: 180, x2: 430, y2: 280, label: "person" });
  });

  it("at zoom 2 (a tile's region) with CSS scaling, a drag moves the box by the right original pixels", () => {
    const items = [boxItem(0, { task: { label: null, region: [160, 120, 480, 360], part: 1, parts: 4 } })];
    const s = setup({ items });
    // zoom 2 x CSS 0.5 = 1 screen px per original px; the stage's centre (260, 170) shows (320, 240)
    const rect = boxEl(s, "m2").querySelector("rect")!;
    dragOn(rect, 290, 180, 317, 193);
    expect(rectOf(s, "m2")).toEqual([327, 213, 427, 313]);
    press(s.root, "Enter");
    const d = last(s);
    expect(d.action).toBe("edit");
    expect((d.data!.boxes as unknown[])[1]).toEqual({ id: "m2", x1: 327, y1: 213, x2: 427, y2: 313, label: "person" });
  });

  it("handles resize the selected box (corner and edge)", () => {
    const s = setup();
    press(s.root, "Tab"); // m1
    const se = s.root.querySelector('[data-testid="handle"][data-handle="se"]')!;
    dragOn(se, ...scr(200, 200), ...scr(240, 260));
    expect(rectOf(s, "m1")).toEqual([100, 100, 240, 260]);
    const w = s.root.querySelector('[data-testid="handle"][data-handle="w"]')!;
    dragOn(w, ...scr(100, 180), ...scr(80, 150)); // the w edge: only x1 moves
    expect(rectOf(s, "m1")).toEqual([80, 100, 240, 260]);
    const n = s.root.querySelector('[data-testid="handle"][data-handle="n"]')!;
    dragOn(n, ...scr(160, 100), ...scr(160, 400)); // past the bottom edge: stops 1 px above it
    expect(rectOf(s, "m1")).toEqual([80, 259, 240, 260]);
    press(s.root, "Enter");
    expect((last(s).data!.ops as { op: string; via: string; before: number[]; after: number[] }[]).map((o) => [o.op, o.via, o.before, o.after])).toEqual([
      ["resize", "mouse", [100, 100, 200, 200], [100, 100, 240, 260]],
      ["resize", "mouse", [100, 100, 240, 260], [80, 100, 240, 260]],
      ["resize", "mouse", [80, 100, 240, 260], [80, 259, 240, 260]],
    ]);
  });

  it("a drag on empty image draws a new box; after panning at zoom 2 too", () => {
    const items = [boxItem(0, { task: { label: null, region: [160, 120, 480, 360], part: 1, parts: 4 } })];
    const s = setup({ items });
    press(s.root, "l"); // pan right by 10% of the view: 32 original px
    const stage = s.stage();
    // screen x = original x - 92, screen y = original y - 70
    dragOn(stage, 208, 80, 258, 130);
    expect(rectOf(s, "new-1")).toEqual([300, 150, 350, 200]);
    expect(selected(s)).toEqual(["new-1"]);
    expect(boxEl(s, "new-1").getAttribute("data-label")).toBe("car");
    // N, then a drag draws; the drag is clamped to the image
    press(s.root, "n");
    dragOn(stage, 400, 300, 700, 600);
    expect(rectOf(s, "new-2")).toEqual([492, 370, 640, 480]);
    expect(q(s.root, "box-stage").getAttribute("data-mode")).toBe("");
    press(s.root, "Enter");
    const d = last(s);
    expect((d.data!.boxes as unknown[]).slice(3)).toEqual([
      { id: "new-1", x1: 300, y1: 150, x2: 350, y2: 200, label: "car" },
      { id: "new-2", x1: 492, y1: 370, x2: 640, y2: 480, label: "car" },
    ]);
    expect((d.data!.ops as { op: string; via: string; after: number[] }[]).map((o) => [o.op, o.via, o.after])).toEqual([
      ["add", "mouse", [300, 150, 350, 200]],
      ["add", "mouse", [492, 370, 640, 480]],
    ]);
  });

  it("the wheel zooms around the pointer; a middle-button drag pans", () => {
    const s = setup();
    const stage = s.stage();
    const canvas = stage.firstElementChild as HTMLElement;
    // pointer over original (480, 360): it stays there at zoom 1.25
    stage.dispatchEvent(new WheelEvent("wheel", { deltaY: -100, clientX: 340, clientY: 230, bubbles: true, cancelable: true }));
    expect(stage.getAttribute("data-zoom")).toBe("1.25");
    // pan = p - c - (p - c) / 1.25 = (160, 120) * 0.2 = (32, 24): translate -5%, -5%
    expect(canvas.style.transform).toBe("scale(1.25) translate(-5%, -5%)");
    dragOn(stage, 300, 200, 330, 215, { button: 1 }); // k = 0.625: 48, 24 original px back
    expect(canvas.style.transform).toBe("scale(1.25) translate(2.5%, 0%)");
    expect(boxes(s)).toHaveLength(3); // a pan draws nothing
  });

  it("a drag touches only the moved box: the <g> elements are built once per entry (1000 boxes)", () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ id: `b${i}`, x1: (i % 40) * 16, y1: Math.floor(i / 40) * 19, x2: (i % 40) * 16 + 12, y2: Math.floor(i / 40) * 19 + 15, label: "car", score: null }));
    const s = setup({ items: [boxItem(0, { boxes: many })] });
    const before = boxes(s);
    expect(before).toHaveLength(1000);
    const changed = new Set<Node>();
    const mo = new MutationObserver((recs) => recs.forEach((r) => changed.add(r.target)));
    mo.observe(q(s.root, "box-overlay"), { attributes: true, childList: true, subtree: true, characterData: true });
    const rect = boxEl(s, "b41").querySelector("rect")!;
    dragOn(rect, ...scr(22, 25), ...scr(42, 45), {}, 10);
    press(s.root, "ArrowRight");
    mo.takeRecords().forEach((r) => changed.add(r.target));
    mo.disconnect();
    expect(rectOf(s, "b41")).toEqual([37, 39, 49, 54]);
    const after = boxes(s);
    expect(after.every((g, i) => g === before[i])).toBe(true);
    // only b41's <g> / rect / text, the handles and the layer of handles changed
    for (const n of changed) {
      const el = n as Element;
      const ok = el.closest?.('[data-box-id="b41"]') || el.getAttribute?.("data-testid") === "handle" || el.classList?.contains("hitl-box-handles") || (n.parentNode as Element | null)?.closest?.('[data-box-id="b41"]');
      expect(ok ? true : (el.outerHTML ?? String(n)).slice(0, 80)).toBe(true);
    }
  });
});

describe("more", () => {
  it("builds the next entry's boxes while this one is shown: the key that moves there only swaps them", () => {
    const next = [{ id: "n1", x1: 1, y1: 2, x2: 30, y2: 40, label: "bike", score: 0.5 }];
    const s = setup({ items: [boxItem(0), boxItem(1, { boxes: next }), boxItem(2)] });
    vi.advanceTimersByTime(1); // after the paint: the next entry's boxes are built, detached
    const made = vi.spyOn(document, "createElementNS");
    press(s.root, "Enter"); // accept img-0: img-1 is shown
    expect(q(s.root, "box-stage").getAttribute("data-item-id")).toBe("img-1");
    expect(boxes(s).map((g) => [g.getAttribute("data-box-id"), g.getAttribute("data-label")])).toEqual([["n1", "bike"]]);
    expect(rectOf(s, "n1")).toEqual([1, 2, 30, 40]);
    expect(made.mock.calls.filter(([, tag]) => tag === "g" || tag === "rect" || tag === "text")).toHaveLength(0);
    made.mockRestore();
    // edits go to the entry's own boxes; back on img-0 (undo), its boxes are its own again
    press(s.root, "Tab");
    press(s.root, "ArrowRight");
    expect(rectOf(s, "n1")).toEqual([2, 2, 31, 40]);
    press(s.root, "Escape");
    press(s.root, "ArrowLeft");
    expect(q(s.root, "box-stage").getAttribute("data-item-id")).toBe("img-0");
    expect(boxes(s).map((g) => g.getAttribute("data-box-id"))).toEqual(["m1", "m2", "m3"]);
    press(s.root, "ArrowRight");
    expect(rectOf(s, "n1")).toEqual([2, 2, 31, 40]);
  });

  it("a drag with Space held pans; Space released, a drag draws again", () => {
    const s = setup();
    press(s.root, "+");
    press(s.root, "+"); // 1.5625
    const stage = s.stage();
    const canvas = stage.firstElementChild as HTMLElement;
    expect(canvas.style.transform).toBe("scale(1.5625) translate(0%, 0%)");
    keydown(s.root, " ");
    dragOn(stage, 260, 170, 235, 170); // 25 screen px = 32 original px (k = 0.78125)
    expect(canvas.style.transform).toBe("scale(1.5625) translate(-5%, 0%)");
    expect(boxes(s)).toHaveLength(3);
    s.root.dispatchEvent(new KeyboardEvent("keyup", { key: " ", bubbles: true }));
    dragOn(stage, 260, 170, 290, 200);
    expect(boxes(s)).toHaveLength(4);
  });

  it("the help lists N as the new box only (the shell's N is shadowed); Home still jumps", () => {
    const s = setup();
    press(s.root, "?");
    const help = q(s.root, "help");
    const nRows = [...help.querySelectorAll('tr[data-keys="n"]')];
    expect(nRows).toHaveLength(1);
    expect(nRows[0].textContent).toContain("New box");
    expect(help.textContent).not.toContain("Next entry you have not decided");
    press(s.root, "?");
    press(s.root, "ArrowRight");
    press(s.root, "ArrowRight");
    press(s.root, "Home");
    expect(q(s.root, "box-stage").getAttribute("data-item-id")).toBe("img-0");
  });

  it("edits stay on an entry when moving away and back (not decided)", () => {
    const s = setup();
    press(s.root, "Tab");
    press(s.root, "x");
    press(s.root, "ArrowRight"); // m2 selected: moves it
    press(s.root, "Escape");
    press(s.root, "ArrowRight"); // next entry
    expect(q(s.root, "box-stage").getAttribute("data-item-id")).toBe("img-1");
    expect(boxes(s)).toHaveLength(3);
    press(s.root, "ArrowLeft");
    expect(boxes(s).map((g) => g.getAttribute("data-box-id"))).toEqual(["m2", "m3"]);
    expect(rectOf(s, "m2")).toEqual([301, 200, 401, 300]);
    expect(q(s.root, "box-count").textContent).toBe("2 boxes (1 deleted)");
  });

  it("a cancelled pointer puts the box back; no op", () => {
    const s = setup();
    const rect = boxEl(s, "m1").querySelector("rect")!;
    pid++;
    pointer("pointerdown", rect, ...scr(150, 150));
    pointer("pointermove", rect, ...scr(190, 150));
    expect(rectOf(s, "m1")).toEqual([140, 100, 240, 200]);
    pointer("pointercancel", rect, ...scr(190, 150));
    expect(rectOf(s, "m1")).toEqual([100, 100, 200, 200]);
    press(s.root, "Enter");
    expect(last(s).action).toBe("accept");
    expect(last(s).data).toEqual({ ops: [], box_ms: { m1: 0 } });
  });

  it("the same entry sent again keeps the view and the edits", () => {
    const s = setup();
    press(s.root, "+");
    press(s.root, "Tab");
    press(s.root, "ArrowDown");
    const g = boxEl(s, "m1");
    // the kernel sends the page again (a newer copy of the same entries)
    const items = Array.from({ length: 6 }, (_, qi) => ({ ...boxItem(qi), buffers: [0] }));
    s.model.emit("msg:custom", { type: "items", req: null, start: 0, items, queue_length: 6 }, items.map(() => new DataView(new Uint8Array([1]).buffer)));
    expect(q(s.root, "box-stage").getAttribute("data-zoom")).toBe("1.25");
    expect(boxEl(s, "m1")).toBe(g);
    expect(rectOf(s, "m1")).toEqual([100, 101, 200, 201]);
    expect(selected(s)).toEqual(["m1"]);
  });
});

/* ------------------------------------------------------------------ Alt keys outside */
describe("Alt+arrows", () => {
  it("are not taken in the note box", () => {
    const s = setup();
    press(s.root, "Tab");
    press(s.root, "f");
    const input = q<HTMLInputElement>(s.root, "note-input");
    keydown(input, "ArrowRight", { altKey: true });
    expect(rectOf(s, "m1")).toEqual([100, 100, 200, 200]);
  });
});
