/** @vitest-environment jsdom */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget, { mount as mountImageWidget, type HitlRoot } from "../src/widgets/image";
import type { ImageItem } from "../src/lib/types";
import { FakeModel, mountWidget, press, q, useWidgetTests, type Mounted } from "./helpers";

useWidgetTests();

/* ------------------------------------------------------------------ fakes */

/** The bytes the fake kernel sends for entry qi (a different first byte per entry). */
const bytesOf = (qi: number): Uint8Array => new Uint8Array([qi, 0x50, 0x4e, 0x47, 7, 7, 7]);

/** Blob URLs made, with their blobs; `revoked` the ones given back. */
let blobs: Map<string, Blob>;
let revoked: Set<string>;
let urlCount = 0;

beforeEach(() => {
  blobs = new Map();
  revoked = new Set();
  // jsdom has no Blob URLs: record what would be made
  Object.defineProperty(URL, "createObjectURL", {
    configurable: true,
    value: vi.fn((b: Blob) => {
      const url = `blob:fake/${++urlCount}`;
      blobs.set(url, b);
      return url;
    }),
  });
  Object.defineProperty(URL, "revokeObjectURL", { configurable: true, value: vi.fn((u: string) => revoked.add(u)) });
});
afterEach(() => {
  delete (URL as unknown as Record<string, unknown>).createObjectURL;
  delete (URL as unknown as Record<string, unknown>).revokeObjectURL;
  delete (HTMLImageElement.prototype as unknown as Record<string, unknown>).decode;
});

function imageItem(qi: number, extra: Partial<ImageItem> = {}): ImageItem {
  return {
    qi,
    item_id: `img-${qi}`,
    content_hash: `h${qi}`,
    name: `photo_${qi}.png`,
    width: 640,
    height: 480,
    model_label: "cat",
    confidence: 0.9,
    proba: null,
    fields: [],
    image: { mime: "image/png", width: 640, height: 480, scale: 1, bytes: 7 },
    decision: null,
    reasons: [],
    ...extra,
  };
}

/** Answer every open fetch as the kernel does: the page's JSON, and each image's bytes as
 * one binary buffer of the message (an item names its buffer by index). */
function serve(s: Mounted, queue: ImageItem[], answered: Set<string>): number {
  const open = s.model.sentOf("fetch").filter((f) => !answered.has(f.req));
  for (const f of open) {
    answered.add(f.req);
    const page = queue.slice(f.start, f.start + f.count);
    const buffers: DataView[] = [];
    const items = page.map((it) => {
      const out = { ...it, buffers: [buffers.length] };
      // a view into a larger buffer, as the widget manager can hand it over
      const big = new Uint8Array(64);
      big.set(bytesOf(it.qi), 16);
      buffers.push(new DataView(big.buffer, 16, 7));
      return out;
    });
    s.model.emit(
      "msg:custom",
      { type: "items", req: f.req, start: f.start, items, queue_length: queue.length },
      buffers,
    );
  }
  return open.length;
}

interface Setup extends Mounted<HitlRoot> {
  queue: ImageItem[];
  serveAll: () => void;
}

function setup(opts: { items?: ImageItem[]; traits?: Record<string, unknown>; grid?: boolean } = {}): Setup {
  const items = opts.items ?? Array.from({ length: 10 }, (_, qi) => imageItem(qi));
  const config = opts.grid
    ? { show_model: true, prefetch: 24, task: "image", layout: "grid", grid: [3, 4], page_size: 12, tile_keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-", "="] }
    : { show_model: true, prefetch: 8, task: "image", layout: "single", page_size: 4 };
  const model = new FakeModel({ kind: "image", labels: ["cat", "dog", "bird"], config, queue_length: items.length, ...opts.traits });
  const s = mountWidget<HitlRoot>(mountImageWidget, model, items, { serve: false });
  const answered = new Set<string>();
  const serveAll = () => {
    while (serve(s, items, answered) > 0) {
      /* prefetches answered too */
    }
  };
  serveAll();
  return { ...s, queue: items, serveAll };
}

const imgOf = (root: ParentNode): HTMLImageElement => q<HTMLImageElement>(root, "image");
const tiles = (s: Setup): HTMLElement[] => [...s.root.querySelectorAll<HTMLElement>('[data-testid="tile"]')];

async function blobBytes(b: Blob): Promise<number[]> {
  vi.useRealTimers(); // jsdom's FileReader reports on a timer
  const buf = await new Promise<ArrayBuffer>((resolve) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result as ArrayBuffer);
    r.readAsArrayBuffer(b);
  });
  vi.useFakeTimers();
  return [...new Uint8Array(buf)];
}

/* ------------------------------------------------------------------ the image */
describe("the image", () => {
  it("gets its bytes from the message's binary buffer (a Blob URL), with image-orientation none", async () => {
    const s = setup();
    expect(s.root.getAttribute("data-state")).toBe("item");
    expect(s.root.getAttribute("data-layout")).toBe("single");
    const img = imgOf(s.root);
    expect(img.src).toMatch(/^blob:fake\//);
    const blob = blobs.get(img.src)!;
    expect(blob.type).toBe("image/png");
    expect(await blobBytes(blob)).toEqual([...bytesOf(0)]); // the view's bytes only, not the whole buffer
    expect(img.style.getPropertyValue("image-orientation")).toBe("none");
    expect(img.getAttribute("src")).not.toContain("base64");
    expect(q(s.root, "image-name").textContent).toBe("photo_0.png");
    expect(q(s.root, "image-size").textContent).toBe("640 × 480 px");
  });

  it("prepares and decodes the next images before they are shown; shows one once decoded", async () => {
    const resolvers = new Map<string, () => void>();
    Object.defineProperty(HTMLImageElement.prototype, "decode", {
      configurable: true,
      value(this: HTMLImageElement) {
        return new Promise<void>((resolve) => resolvers.set(this.src, resolve));
      },
    });
    const s = setup();
    const frame = q(s.root, "image-frame");
    expect(frame.getAttribute("data-decoded")).toBe("false");
    expect(imgOf(s.root).classList.contains("is-decoding")).toBe(true);
    // the entries ahead of the cursor are decoding already
    expect(resolvers.size).toBeGreaterThanOrEqual(3);
    for (const r of resolvers.values()) r();
    await vi.advanceTimersByTimeAsync(1);
    expect(frame.getAttribute("data-decoded")).toBe("true");
    expect(imgOf(s.root).classList.contains("is-decoding")).toBe(false);
    const before = (URL.createObjectURL as unknown as { mock: { calls: unknown[] } }).mock.calls.length;
    press(s.root, "Enter");
    // the next image was ready: the same decoded element, no new Blob URL for it
    expect(frame.getAttribute("data-item-id")).toBe("img-1");
    expect(frame.getAttribute("data-decoded")).toBe("true");
    expect(imgOf(s.root).src).not.toBe("");
    const after = (URL.createObjectURL as unknown as { mock: { calls: unknown[] } }).mock.calls.length;
    expect(blobs.get(imgOf(s.root).src)).toBeDefined();
    expect(after - before).toBeLessThanOrEqual(1); // at most the one that came into range
  });

  it("says why when an image could not be sent, as text", () => {
    const items = [imageItem(0, { image: null, image_error: "<b>gone</b>: file not found" })];
    const s = setup({ items });
    expect(q(s.root, "image-error").textContent).toBe("<b>gone</b>: file not found");
    expect(s.root.querySelector("b")).toBeNull();
  });

  it("shows hostile labels, names and model output literally", () => {
    const evil = "<img src=x onerror=alert(1)>";
    const items = [imageItem(0, { name: evil, model_label: `<i>m</i>`, item_id: `<b id="x">`, reasons: ["<script>alert(2)</script>"] })];
    const s = setup({ items, traits: { labels: [evil, "<svg onload=alert(3)>"] } });
    expect(q(s.root, "image-name").textContent).toBe(evil);
    expect(q(s.root, "model-label").textContent).toBe("<i>m</i>");
    const buttons = [...s.root.querySelectorAll('[data-testid="label-button"]')];
    expect(buttons[0].textContent).toContain(evil);
    expect(buttons[1].textContent).toContain("<svg onload=alert(3)>");
    expect(s.root.querySelector("script, svg, b, i")).toBeNull();
    // the only <img> is the one made from the buffer
    const imgs = [...s.root.querySelectorAll("img")];
    expect(imgs).toHaveLength(1);
    expect(imgs[0].getAttribute("data-testid")).toBe("image");
    expect(imgs[0].src).toMatch(/^blob:fake\//);
  });

  it("gives the Blob URLs of images far behind the cursor back", () => {
    const s = setup({ items: Array.from({ length: 30 }, (_, qi) => imageItem(qi)) });
    const first = imgOf(s.root).src;
    for (let i = 0; i < 8; i++) {
      press(s.root, "Enter");
      s.serveAll();
    }
    expect(revoked.has(first)).toBe(true);
  });
});

/* ------------------------------------------------------------------ single layout keys */
describe("single layout keys", () => {
  it("accept, correct 1-9, flag with a note, skip and undo, as ClassificationReview", () => {
    const s = setup();
    press(s.root, "Enter"); // accept 0
    press(s.root, "2"); // correct 1 -> dog
    press(s.root, "1"); // 2: the model's own label -> accept
    press(s.root, "f"); // flag 3
    const input = q<HTMLInputElement>(s.root, "note-input");
    input.value = "blurry <b>";
    press(input, "Enter");
    press(s.root, "s"); // skip 4
    press(s.root, "a"); // accept 5
    press(s.root, "z"); // undo 5
    expect(q(s.root, "image-frame").getAttribute("data-item-id")).toBe("img-5");
    press(s.root, "3"); // correct 5 -> bird
    const ds = s.model.decisions();
    expect(ds.map((d) => [d.action, d.item_id, d.label])).toEqual([
      ["accept", "img-0", null],
      ["correct", "img-1", "dog"],
      ["accept", "img-2", null],
      ["flag", "img-3", null],
      ["skip", "img-4", null],
      ["accept", "img-5", null],
      ["undo", "img-5", null],
      ["correct", "img-5", "bird"],
    ]);
    expect(ds[3].note).toBe("blurry <b>");
    expect(ds[6].data).toMatchObject({ undoes: ds[5].id });
    for (const d of ds) {
      expect(d.content_hash).toBe(`h${d.item_id.slice(4)}`);
      expect(d).toMatchObject({ annotator: "ann", session_id: "sess-1", guideline_version: "g1", task: "image" });
      expect(typeof d.duration_ms).toBe("number");
    }
    expect(q(s.root, "image-frame").getAttribute("data-item-id")).toBe("img-6");
  });

  it("the help lists the keys", () => {
    const s = setup();
    press(s.root, "?");
    const help = q(s.root, "help");
    expect(help.hidden).toBe(false);
    for (const k of ["Enter / A", "1 – 9", "F", "S", "Z"]) expect(help.textContent).toContain(k);
  });
});

/* ------------------------------------------------------------------ grid layout */
describe("grid layout", () => {
  function gridItems(): ImageItem[] {
    // 14 cats, then 3 dogs (the kernel groups the queue by predicted label)
    return Array.from({ length: 17 }, (_, qi) => imageItem(qi, { model_label: qi < 14 ? "cat" : "dog" }));
  }

  it("shows a page of tiles of one label, each with its key", () => {
    const s = setup({ grid: true, items: gridItems() });
    expect(s.root.getAttribute("data-layout")).toBe("grid");
    const ts = tiles(s);
    expect(ts).toHaveLength(12);
    expect(ts.map((t) => t.getAttribute("data-key"))).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-", "="]);
    expect(ts.map((t) => q(t, "tile-key").textContent)).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-", "="]);
    expect(q(s.root, "grid-label").textContent).toBe("cat");
    for (const t of ts) {
      const img = imgOf(t);
      expect(img.src).toMatch(/^blob:fake\//);
      expect(img.style.getPropertyValue("image-orientation")).toBe("none");
    }
    press(s.root, "?");
    expect(q(s.root, "help").textContent).toContain("1 2 3 4 5 6 7 8 9 0 - =");
  });

  it("tile keys toggle; Enter sends one decision per tile; the next page; Z undoes a page", () => {
    const s = setup({ grid: true, items: gridItems() });
    press(s.root, "2");
    press(s.root, "0");
    press(s.root, "=");
    press(s.root, "5");
    press(s.root, "5"); // toggled back
    const ts = tiles(s);
    expect(ts.filter((t) => t.classList.contains("is-wrong")).map((t) => t.getAttribute("data-key"))).toEqual(["2", "0", "="]);
    expect(ts[1].getAttribute("aria-pressed")).toBe("true");
    expect(q(ts[1], "tile-wrong").hidden).toBe(false);
    expect(q(ts[4], "tile-wrong").hidden).toBe(true);
    expect(s.model.decisions()).toHaveLength(0); // marks are not decisions
    press(s.root, "Enter");
    const ds = s.model.decisions();
    expect(ds).toHaveLength(12);
    expect(ds.map((d) => d.qi)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const wrong = new Set([1, 9, 11]);
    for (const d of ds) {
      if (wrong.has(d.qi)) expect(d).toMatchObject({ action: "flag", data: { layout: "grid", wrong: true }, label: null });
      else expect(d).toMatchObject({ action: "accept", data: { layout: "grid" } });
      expect(d.content_hash).toBe(`h${d.qi}`);
      expect(d).toMatchObject({ annotator: "ann", session_id: "sess-1", task: "image" });
    }
    // the next page: the two cats left (a page never mixes labels), no marks
    s.serveAll();
    let now = tiles(s);
    expect(now.map((t) => t.getAttribute("data-item-id"))).toEqual(["img-12", "img-13"]);
    expect(now.some((t) => t.classList.contains("is-wrong"))).toBe(false);
    press(s.root, "1");
    press(s.root, "Enter");
    expect(s.model.decisions().slice(12).map((d) => [d.action, d.qi])).toEqual([
      ["flag", 12],
      ["accept", 13],
    ]);
    s.serveAll();
    expect(q(s.root, "grid-label").textContent).toBe("dog");
    expect(tiles(s)).toHaveLength(3);
    // Z: the last page undone, one undo per tile, back on its first tile
    press(s.root, "z");
    const undos = s.model.decisions().slice(14);
    expect(undos.map((d) => [d.action, d.item_id])).toEqual([
      ["undo", "img-13"],
      ["undo", "img-12"],
    ]);
    now = tiles(s);
    expect(now.map((t) => t.getAttribute("data-item-id"))).toEqual(["img-12", "img-13"]);
  });

  it("the page's time is split between its tiles", () => {
    const s = setup({ grid: true, items: gridItems() });
    s.root.dispatchEvent(new Event("pointerdown", { bubbles: true })); // the clock starts
    vi.advanceTimersByTime(1200);
    press(s.root, "Enter");
    const ds = s.model.decisions();
    expect(ds.map((d) => d.duration_ms)).toEqual(Array(12).fill(100));
    // the next page's clock starts when it is shown, not while the last one was decided
    s.serveAll();
    vi.advanceTimersByTime(600);
    press(s.root, "Enter");
    expect(s.model.decisions().slice(12).map((d) => d.duration_ms)).toEqual([300, 300]);
  });

  it("a tile key with no tile says so and decides nothing", () => {
    const items = Array.from({ length: 3 }, (_, qi) => imageItem(qi));
    const s = setup({ grid: true, items });
    expect(tiles(s)).toHaveLength(3);
    press(s.root, "9");
    expect(q(s.root, "message").textContent).toContain("No tile 9");
    expect(tiles(s).some((t) => t.classList.contains("is-wrong"))).toBe(false);
    expect(s.model.decisions()).toHaveLength(0);
  });

  it("S skips the page, one skip per tile; arrows move a page", () => {
    const s = setup({ grid: true, items: gridItems() });
    press(s.root, "ArrowRight");
    s.serveAll();
    expect(tiles(s).map((t) => t.getAttribute("data-item-id"))).toEqual(["img-12", "img-13"]);
    press(s.root, "ArrowLeft");
    expect(tiles(s)[0].getAttribute("data-item-id")).toBe("img-0");
    press(s.root, "s");
    expect(s.model.decisions().map((d) => d.action)).toEqual(Array(12).fill("skip"));
  });
});

describe("anywidget entry", () => {
  it("renders and cleans up", () => {
    const model = new FakeModel({ kind: "image", config: { layout: "single", task: "image" } });
    const host = document.createElement("div");
    document.body.appendChild(host);
    const cleanup = widget.render({ model: model.asModel(), el: host } as never);
    expect(host.querySelector('[data-testid="hitl-root"]')!.classList.contains("hitl-image")).toBe(true);
    cleanup();
    expect(host.children.length).toBe(0);
    expect(model.listenerCount()).toBe(0);
  });
});
