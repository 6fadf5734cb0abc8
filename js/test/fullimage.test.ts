/** @vitest-environment jsdom */
/**
 * Issue 12 #4: a very large image is shown from a downscaled copy (`image.scale` < 1),
 * and BoxReview asks the kernel for the full-resolution original (`{type: "image", req,
 * item_id}`) once zooming magnifies the preview (device px per preview px > 1), swaps it
 * in when it is decoded (the preview stays until then) and keeps every coordinate in
 * original pixels. An image sent whole (scale 1) is never asked for.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount as mountBoxWidget, type HitlRoot } from "../src/widgets/box";
import { ImageCache } from "../src/lib/images";
import { ReviewClient } from "../src/lib/protocol";
import type { BoxItem } from "../src/lib/types";
import { FakeModel, mountWidget, press, q, useWidgetTests, type Mounted } from "./helpers";

useWidgetTests();

/* ------------------------------------------------------------------ fakes */

/** a Blob that keeps its parts (jsdom's cannot be read back) */
class RecordingBlob extends Blob {
  readonly parts: Uint8Array[];
  constructor(parts: BlobPart[], opts?: BlobPropertyBag) {
    super(parts, opts);
    this.parts = parts.map((p) => (p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array((p as ArrayBufferView).buffer, (p as ArrayBufferView).byteOffset, (p as ArrayBufferView).byteLength)));
  }
}

let urlCount = 0;
/** Blob URL -> its Blob (the fake createObjectURL keeps them) */
const blobs = new Map<string, Blob>();
/** decodes not finished yet, in order: `decodes[i]()` finishes one */
let decodes: { img: HTMLImageElement; resolve: () => void; reject: () => void }[] = [];
beforeEach(() => {
  vi.stubGlobal("Blob", RecordingBlob);
  blobs.clear();
  decodes = [];
  Object.defineProperty(URL, "createObjectURL", {
    configurable: true,
    value: vi.fn((b: Blob) => {
      const url = `blob:fake/${++urlCount}`;
      blobs.set(url, b);
      return url;
    }),
  });
  Object.defineProperty(URL, "revokeObjectURL", { configurable: true, value: vi.fn() });
  Object.defineProperty(HTMLImageElement.prototype, "decode", {
    configurable: true,
    value: function (this: HTMLImageElement) {
      return new Promise<void>((resolve, reject) => decodes.push({ img: this, resolve, reject: () => reject(new Error("bad")) }));
    },
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
  delete (URL as unknown as Record<string, unknown>).createObjectURL;
  delete (URL as unknown as Record<string, unknown>).revokeObjectURL;
  delete (HTMLImageElement.prototype as unknown as Record<string, unknown>).decode;
});

/** finish every decode started so far, and let the promises run */
async function decodeAll(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const ds = decodes;
    decodes = [];
    for (const d of ds) d.resolve();
    await flush();
  }
}
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

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
    image: { mime: "image/jpeg", width: 320, height: 240, scale: 0.5, bytes: 4 },
    boxes: [
      { id: "m1", x1: 100, y1: 100, x2: 200, y2: 200, label: "car", score: 0.9 },
      { id: "m2", x1: 300, y1: 200, x2: 400, y2: 300, label: "person", score: 0.75 },
    ],
    context: [],
    task: { label: null, region: null, part: 1, parts: 1 },
    decision: null,
    reasons: [],
    ...extra,
  };
}

/** The stage's box on the page: 320 x 240 CSS px at (100, 50): the 640 x 480 original at
 * half size, so at zoom 1 one preview pixel is one screen pixel (devicePixelRatio 1). */
const RECT = { left: 100, top: 50, width: 320, height: 240 };

interface Setup extends Mounted<HitlRoot> {
  stage: HTMLElement;
  img: () => HTMLImageElement;
  requests: () => Record<string, any>[];
}

function setup(items: BoxItem[] = Array.from({ length: 6 }, (_, qi) => boxItem(qi))): Setup {
  const model = new FakeModel({
    kind: "box",
    labels: ["car", "person", "bike"],
    config: { show_model: true, prefetch: 8, task: "boxes", kind: "box", show_scores: false, page_size: 4 },
    queue_length: items.length,
  });
  const s = mountWidget<HitlRoot>(mountBoxWidget, model, items, { serve: false });
  const answered = new Set<string>();
  for (;;) {
    const open = s.model.sentOf("fetch").filter((f) => !answered.has(f.req));
    if (!open.length) break;
    for (const f of open) {
      answered.add(f.req);
      const page = items.slice(f.start, f.start + f.count);
      const buffers = page.map((it) => new DataView(new Uint8Array([it.qi, 1, 2, 3]).buffer));
      const sent = page.map((it, i) => ({ ...it, buffers: [i] }));
      s.model.emit("msg:custom", { type: "items", req: f.req, start: f.start, items: sent, queue_length: items.length }, buffers);
    }
  }
  const stage = q(s.root, "box-stage");
  stage.getBoundingClientRect = () =>
    ({ ...RECT, right: RECT.left + RECT.width, bottom: RECT.top + RECT.height, x: RECT.left, y: RECT.top, toJSON: () => ({}) }) as DOMRect;
  const img = () => stage.querySelector<HTMLImageElement>('[data-testid="image"]')!;
  return { ...s, stage, img, requests: () => s.model.sentOf("image") };
}

/** the kernel's answer to an image request: the original's bytes as buffer 0 */
function reply(s: Setup, req: Record<string, any>, bytes = new Uint8Array([9, 8, 7, 6, 5, 4, 3])): void {
  const image = { mime: "image/png", width: 640, height: 480, scale: 1, bytes: bytes.length };
  s.model.emit("msg:custom", { type: "image", req: req.req, item_id: req.item_id, image }, [new DataView(bytes.buffer)]);
}

let pid = 100;
function pointer(type: string, target: Element, x: number, y: number): void {
  target.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: y, bubbles: true, cancelable: true, pointerId: pid, button: 0 }));
}
function dragOn(target: Element, x0: number, y0: number, x1: number, y1: number, steps = 3): void {
  pid++;
  pointer("pointerdown", target, x0, y0);
  for (let i = 1; i <= steps; i++) pointer("pointermove", target, x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps);
  pointer("pointerup", target, x1, y1);
}

/* ------------------------------------------------------------------ BoxReview */
describe("BoxReview: the original of a preview, on zoom", () => {
  it("zooming past the preview's resolution sends exactly one image request for that item", async () => {
    const s = setup();
    await decodeAll();
    expect(s.stage.getAttribute("data-resolution")).toBe("preview");
    expect(s.requests()).toEqual([]); // zoom 1: one preview px per screen px, not magnified
    press(s.root, "+"); // 1.25 screen px per preview px
    expect(s.requests()).toHaveLength(1);
    const [r] = s.requests();
    expect(r).toEqual({ type: "image", req: expect.any(String), item_id: "img-0" });
    press(s.root, "+");
    press(s.root, "-");
    s.stage.dispatchEvent(new WheelEvent("wheel", { deltaY: -100, clientX: 260, clientY: 170, bubbles: true, cancelable: true }));
    press(s.root, "0");
    press(s.root, "+");
    expect(s.requests()).toHaveLength(1); // once per entry, whatever the zooming
    // the next entry is another image: zoomed in, it is asked for too (once)
    press(s.root, "ArrowRight");
    expect(s.stage.getAttribute("data-item-id")).toBe("img-1");
    expect(s.requests()).toHaveLength(1); // a new entry opens at zoom 1
    press(s.root, "+");
    press(s.root, "+");
    expect(s.requests().map((m) => m.item_id)).toEqual(["img-0", "img-1"]);
  });

  it("counts devicePixelRatio: on a 2x screen the fitted preview is magnified already", async () => {
    const dpr = Object.getOwnPropertyDescriptor(window, "devicePixelRatio");
    Object.defineProperty(window, "devicePixelRatio", { configurable: true, value: 2 });
    try {
      const s = setup();
      await decodeAll();
      expect(s.requests()).toEqual([]); // (the first paint had no layout yet)
      press(s.root, "0"); // fit again, now laid out: 2 device px per preview px
      expect(s.requests().map((m) => m.item_id)).toEqual(["img-0"]);
    } finally {
      if (dpr) Object.defineProperty(window, "devicePixelRatio", dpr);
      else delete (window as unknown as Record<string, unknown>).devicePixelRatio;
    }
  });

  it("the reply's bytes become the <img> source once decoded; the preview stays until then", async () => {
    const s = setup();
    await decodeAll();
    const preview = s.img();
    const previewSrc = preview.src;
    expect(blobs.get(previewSrc)!.size).toBe(4);
    press(s.root, "+");
    reply(s, s.requests()[0]);
    await flush();
    // decoding: the preview is still what shows (no flicker, no blank)
    expect(s.img()).toBe(preview);
    expect(s.img().src).toBe(previewSrc);
    expect(s.stage.getAttribute("data-resolution")).toBe("preview");
    expect(s.stage.getAttribute("data-decoded")).toBe("true");
    expect(decodes).toHaveLength(1);
    await decodeAll();
    const full = s.img();
    expect(full).not.toBe(preview);
    expect(s.stage.querySelectorAll('[data-testid="image"]')).toHaveLength(1);
    const blob = blobs.get(full.src)!;
    expect(blob.size).toBe(7);
    expect(blob.type).toBe("image/png");
    expect([...(blob as RecordingBlob).parts[0]]).toEqual([9, 8, 7, 6, 5, 4, 3]); // the reply's buffer 0
    expect([full.width, full.height]).toEqual([640, 480]);
    expect(s.stage.getAttribute("data-resolution")).toBe("full");
    expect(s.stage.getAttribute("data-decoded")).toBe("true");
    expect(s.stage.getAttribute("data-zoom")).toBe("1.25"); // the view did not move
    // back and forth: the original is still cached for the entry, shown at once
    press(s.root, "ArrowRight");
    press(s.root, "ArrowLeft");
    expect(s.img()).toBe(full);
    expect(s.requests()).toHaveLength(1);
  });

  it("coordinates stay in original pixels once the original replaces the preview", async () => {
    const s = setup();
    await decodeAll();
    // the wheel over the stage's centre: zoom 1.25 around original (320, 240)
    s.stage.dispatchEvent(new WheelEvent("wheel", { deltaY: -100, clientX: 260, clientY: 170, bubbles: true, cancelable: true }));
    reply(s, s.requests()[0]);
    await decodeAll();
    expect(s.stage.getAttribute("data-resolution")).toBe("full");
    expect(q(s.root, "box-overlay").getAttribute("viewBox")).toBe("0 0 640 480");
    // 0.625 screen px per original px: m1's centre (150, 150) is at (153.75, 63.75)
    const k = 0.5 * 1.25;
    const cx = 260 + (150 - 320) * k;
    const cy = 170 + (150 - 240) * k;
    const rect = s.root.querySelector('[data-testid="box"][data-box-id="m1"] rect')!;
    dragOn(rect, cx, cy, cx + 25, cy - 12.5); // 40 original px right, 20 up
    press(s.root, "Enter");
    const d = s.model.decisions().at(-1)!;
    expect(d.action).toBe("edit");
    expect(d.data!.boxes).toEqual([
      { id: "m1", x1: 140, y1: 80, x2: 240, y2: 180, label: "car" },
      { id: "m2", x1: 300, y1: 200, x2: 400, y2: 300, label: "person" },
    ]);
  });

  it("no request for an image sent at full resolution (scale 1)", async () => {
    const whole = Array.from({ length: 3 }, (_, qi) =>
      boxItem(qi, { image: { mime: "image/png", width: 640, height: 480, scale: 1, bytes: 4 } }),
    );
    const s = setup(whole);
    await decodeAll();
    for (let i = 0; i < 8; i++) press(s.root, "+");
    expect(s.stage.getAttribute("data-zoom")).toBe(String(Math.round(1.25 ** 8 * 1000) / 1000));
    expect(s.requests()).toEqual([]);
    expect(s.stage.getAttribute("data-resolution")).toBe("full");
  });

  it("the parts of a split image share one picture: sent once, decoded once, its original asked for once", async () => {
    const meta = (key: string) => ({ mime: "image/jpeg", width: 320, height: 240, scale: 0.5, bytes: 4, key });
    const part = (qi: number, k: number) =>
      boxItem(qi, { image_id: "crowd", image: meta("sha-crowd"), task: { label: "car", region: null, part: k, parts: 3 } });
    const s = setup([part(0, 1), part(1, 2), part(2, 3), boxItem(3, { image: meta("sha-other") })]);
    await decodeAll();
    expect(blobs.size).toBe(2); // one Blob URL per image, not per entry
    const preview = s.img();
    press(s.root, "+");
    expect(s.requests().map((m) => m.item_id)).toEqual(["img-0"]);
    reply(s, s.requests()[0]);
    await decodeAll();
    const full = s.img();
    expect(full).not.toBe(preview);
    // part 2 of the same image: the original is there at once, and never asked for again
    press(s.root, "ArrowRight");
    expect(s.stage.getAttribute("data-item-id")).toBe("img-1");
    expect(q(s.root, "box-task").textContent).toContain("part 2 of 3");
    expect(s.img()).toBe(full);
    expect(s.stage.getAttribute("data-resolution")).toBe("full");
    press(s.root, "+");
    press(s.root, "+");
    press(s.root, "ArrowRight");
    press(s.root, "+");
    expect(s.requests()).toHaveLength(1);
    // another image is another picture: its own preview, its own request
    press(s.root, "ArrowRight");
    expect(s.stage.getAttribute("data-item-id")).toBe("img-3");
    expect(s.img()).not.toBe(full);
    expect(s.stage.getAttribute("data-resolution")).toBe("preview");
    press(s.root, "+");
    expect(s.requests().map((m) => m.item_id)).toEqual(["img-0", "img-3"]);
  });

  it("a refused request keeps the preview and is not asked again for that entry", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const s = setup();
    await decodeAll();
    const preview = s.img();
    press(s.root, "+");
    const [r] = s.requests();
    s.model.emit("msg:custom", { type: "image", req: r.req, item_id: r.item_id, image: null, image_error: "image of row 'a' changed since it was validated" }, []);
    await decodeAll();
    expect(s.img()).toBe(preview);
    expect(s.stage.getAttribute("data-resolution")).toBe("preview");
    press(s.root, "+");
    expect(s.requests()).toHaveLength(1);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });
});

/* ------------------------------------------------------------------ the parts */
describe("requestImage and the cache's originals", () => {
  it("requestImage resolves with the reply's buffer 0, rejects with the kernel's reason", async () => {
    const model = new FakeModel({ kind: "box", queue_length: 1 });
    const client = new ReviewClient(model.asModel(), { storage: null, sendAfterFrame: false });
    client.start();
    const ok = client.requestImage("img-0");
    const bad = client.requestImage("nope");
    const [a, b] = model.sentOf("image");
    expect(a).toEqual({ type: "image", req: expect.any(String), item_id: "img-0" });
    const bytes = new DataView(new Uint8Array([1, 2, 3]).buffer);
    const image = { mime: "image/png", width: 3000, height: 2000, scale: 1, bytes: 3 };
    model.emit("msg:custom", { type: "image", req: "someone-else", item_id: "img-0", image }, [bytes]);
    model.emit("msg:custom", { type: "image", req: a.req, item_id: "img-0", image }, [bytes]);
    model.emit("msg:custom", { type: "image", req: b.req, item_id: "nope", image: null, image_error: "unknown item 'nope'" }, []);
    await expect(ok).resolves.toEqual({ item_id: "img-0", image, bytes });
    await expect(bad).rejects.toThrow("unknown item 'nope'");
    client.dispose();
  });

  it("an original is given back (Blob URL revoked) with its entry", async () => {
    const cache = new ImageCache(() => {});
    const item = boxItem(0, { binary: [new DataView(new Uint8Array([1]).buffer)] });
    const p = cache.get(item)!;
    expect(cache.startFull(p.key)).toBe(true);
    expect(cache.startFull(p.key)).toBe(false);
    expect(cache.startFull("not cached")).toBe(false);
    cache.putFull(p.key, new Uint8Array([5, 6]), { mime: "image/png", width: 640, height: 480, scale: 1 });
    await decodeAll();
    const full = cache.full(p.key)!;
    expect(full.ready && cache.fullState(p.key)).toBe("ready");
    cache.keepOnly(new Set());
    expect(URL.revokeObjectURL).toHaveBeenCalledWith(p.url);
    expect(URL.revokeObjectURL).toHaveBeenCalledWith(full.url);
    expect(cache.full(p.key)).toBeNull();
    expect(cache.fullState(p.key)).toBe("none");
  });
});
