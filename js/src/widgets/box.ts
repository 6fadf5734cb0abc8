/**
 * Box review widget (anywidget ESM entry): the model's bounding boxes of one task (a
 * whole image, one label of it, or a tile), reviewed and corrected with the keys or the
 * mouse. Enter / A submits: "accept" when the boxes are the model's, "edit" with every
 * box otherwise (original pixels), with the log of operations and the time each box was
 * selected. The contract with the kernel: hitl_widgets/widgets/box.py.
 *
 * The image's bytes are the binary buffer of its `items` message (lib/images.ts); labels,
 * names and ids are text only (textContent / attributes, never parsed as HTML).
 *
 * The stage shows the image fitted at zoom 1; one inner element holding the <img> and the
 * <svg> overlay (viewBox in ORIGINAL pixels) is zoomed / panned by a CSS transform, and
 * every pointer position goes through lib/boxgeom.ts. When the view magnifies a preview
 * (more than FULL_RES_AT device pixels per preview pixel), the original is asked of the
 * kernel (`image` request) and replaces the preview once decoded: only the <img> changes,
 * the overlay and every coordinate stay in original pixels. Each box's <g> is built once per
 * entry; a drag or a key touches only the moved box's attributes.
 */
import "../lib/theme.css";
import "../lib/image.css";
import "../lib/box.css";
import type { AnyModel, RenderProps } from "@anywidget/types";
import { isTextEntry, type KeyBinding } from "../lib/keyboard";
import { el, kbd, setText, show } from "../lib/dom";
import { ImageCache, imageKey, pictureKey } from "../lib/images";
import { ReviewShell, type ShellOptions } from "../lib/shell";
import type { TimedRoot } from "../lib/paint";
import { now } from "../lib/ids";
import { describeState } from "../lib/fold";
import {
  HANDLES,
  boxFromPoints,
  clampBox,
  clampView,
  fitScale,
  moveBox,
  resizeBox,
  round2,
  screenToImage,
  viewOfRegion,
  visibleRegion,
  zoomAround,
  type Handle,
  type Rect,
  type View,
} from "../lib/boxgeom";
import { BoxEditor, type EditBox, type ModelBox } from "../lib/boxedit";
import type { BoxItem } from "../lib/types";

export type { Timing } from "../lib/paint";
export type HitlRoot = TimedRoot;
export type MountOptions = ShellOptions;

const SVG_NS = "http://www.w3.org/2000/svg";
const ZOOM_STEP = 1.25;
/** device pixels per preview pixel above which the original is asked for */
const FULL_RES_AT = 1.0;
/** a press that moves less than this (screen px) is a click, not a drag */
const DRAG_PX = 4;
const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string> = {}): SVGElementTagNameMap[K] {
  const n = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  return n;
}

const num = (v: unknown, d = 0): number => {
  const n = Number(v);
  return Number.isFinite(n) ? n : d;
};

interface BoxEls {
  g: SVGGElement;
  rect: SVGRectElement;
  text: SVGTextElement;
}

type DragKind = "move" | "resize" | "draw" | "redraw" | "pan" | "empty";
interface Drag {
  kind: DragKind;
  pointerId: number;
  cx: number;
  cy: number;
  ix: number;
  iy: number;
  moved: boolean;
  id: string | null;
  handle?: Handle;
  before?: EditBox;
  view?: View;
  /** the stage's box on screen at pointerdown: it does not move during a drag, and reading
   * it again on every move would force a layout of the whole overlay (1,000 boxes) */
  rect: DOMRect;
}

export function mount(model: AnyModel, host: HTMLElement, options: MountOptions = {}): () => void {
  const shell: ReviewShell<BoxItem> = new ReviewShell<BoxItem>(
    model,
    {
      kind: "box",
      ariaLabel: "Bounding box review",
      helpTitle: "Box review keys",
      footer: [
        kbd("Tab"), " select · ", kbd("←↑→↓"), " move · ", kbd("Alt"), "+", kbd("←↑→↓"), " resize · ", kbd("1–9"), " label · ",
        kbd("Del"), " delete · ", kbd("N"), " new · ", kbd("Enter"), " submit · ", kbd("Z"), " undo · ", kbd("?"), " keys",
      ],
      flag: { description: "Flag as ambiguous (note: Enter saves, Esc cancels)" },
      describe: (st) => {
        if (st.action === "accept") return "accepted (boxes unchanged)";
        if (st.action === "edit") {
          const n = Array.isArray((st.data as Record<string, unknown> | null)?.boxes) ? ((st.data as Record<string, unknown>).boxes as unknown[]).length : null;
          return n === null ? "edited" : `edited: ${n} box${n === 1 ? "" : "es"}`;
        }
        return describeState(st, shell.client.vocabulary());
      },
    },
    options,
  );
  const client = shell.client;
  shell.root.setAttribute("data-layout", "boxes");

  const cfg = (): Record<string, unknown> => (model.get("config") as Record<string, unknown> | undefined) ?? {};
  const labels = (): string[] => {
    const l = model.get("labels");
    return Array.isArray(l) ? l.map(String) : [];
  };

  /* ------------------------------------------------------------ images */
  let shownKey = "";
  // one picture per image, whichever of its parts shows it (`pictureKey`); the entry's
  // own state (editor, layers) stays keyed by `imageKey`
  const cache = new ImageCache((key) => {
    if (key === shownKey) shell.paint();
  }, pictureKey);
  shell.addCleanup(() => cache.dispose());
  function warm(): void {
    const keep = new Set<string>();
    const c = client.cursor;
    const ahead = Math.max(2, Math.min(client.prefetch, 16));
    for (let qi = c - 2; qi <= c + ahead; qi++) {
      const it = client.items.get(qi);
      if (it && cache.get(it)) keep.add(cache.keyOf(it));
    }
    cache.keepOnly(keep);
  }
  shell.addCleanup(client.events.on("items", () => warm()));

  /* ------------------------------------------------------------ DOM */
  const taskLine = el("div", { cls: "hitl-box-task", testid: "box-task" });
  const countLine = el("span", { cls: "hitl-box-count", testid: "box-count" });
  const selLine = el("span", { cls: "hitl-box-selected", testid: "box-selected" });
  const name = el("span", { cls: "hitl-image-name", testid: "image-name" });
  const size = el("span", { cls: "hitl-image-size", testid: "image-size" });
  const head = el("div", { cls: "hitl-box-head" }, [taskLine, countLine, selLine]);
  const imgSlot = el("div", { cls: "hitl-box-img" });
  const overlay = svg("svg", { "data-testid": "box-overlay", class: "hitl-box-overlay", preserveAspectRatio: "none" });
  let ctxLayer = svg("g", { class: "hitl-box-context" });
  let boxLayer = svg("g", { class: "hitl-box-boxes" });
  const handleLayer = svg("g", { class: "hitl-box-handles" });
  const handleEls = new Map<Handle, SVGRectElement>();
  for (const h of HANDLES) {
    const r = svg("rect", { "data-testid": "handle", "data-handle": h, class: `hitl-box-handle hitl-handle-${h}` });
    handleEls.set(h, r);
  }
  overlay.append(ctxLayer, boxLayer, handleLayer);
  const canvas = el("div", { cls: "hitl-box-canvas" }, [imgSlot]);
  canvas.appendChild(overlay);
  const stage = el("div", { cls: "hitl-box-stage", testid: "box-stage", attrs: { "data-zoom": "1", "data-hidden": "false", "data-mode": "", "data-decoded": "false" } }, [canvas]);
  const caption = el("div", { cls: "hitl-image-caption" }, [name, size]);
  const fieldsRow = el("div", { cls: "hitl-image-fields", testid: "fields", hidden: true });
  shell.itemPane.append(head, stage, caption, fieldsRow, shell.note!.box);

  /* ------------------------------------------------------------ state */
  const editors = new Map<string, BoxEditor>();
  let item: BoxItem | null = null;
  let ed: BoxEditor | null = null;
  let W = 1;
  let H = 1;
  let view: View = { zoom: 1, panX: 0, panY: 0 };
  let hidden = false;
  let mode: "" | "draw" | "redraw" = "";
  let redrawId: string | null = null;
  let els = new Map<string, BoxEls>();
  /** Each entry's drawn boxes (its <g> layers and their elements), built once: the next
   * entry's are built while the person looks at this one, so the key that moves to it
   * only swaps two <g> (building 200 boxes' elements at that key took ~14 ms). */
  interface Layer {
    g: SVGGElement;
    ctx: SVGGElement;
    els: Map<string, BoxEls>;
    /** the editor it was built from (null: the item's model boxes, no editor yet) */
    ed: BoxEditor | null;
  }
  const layers = new Map<string, Layer>();
  let drag: Drag | null = null;
  let spaceHeld = false;

  const rectOf = () => stage.getBoundingClientRect();
  /** screen px per original px now */
  const scaleNow = (): number => fitScale({ left: 0, top: 0, ...sizeOf() }, W, H) * view.zoom;
  const toImage = (ev: { clientX: number; clientY: number }): [number, number] => screenToImage(ev.clientX, ev.clientY, rectOf(), view, W, H);

  function defaultLabel(): string {
    const t = item?.task?.label;
    if (typeof t === "string" && t) return t;
    return labels()[0] ?? "object";
  }

  function labelText(b: EditBox): string {
    return cfg().show_scores === true && typeof b.score === "number" ? `${b.label} ${b.score.toFixed(2)}` : b.label;
  }

  /* ------------------------------------------------------------ painting */
  /** The stage's size as the browser last laid it out, from a ResizeObserver: reading
   * its box while a new entry is painted would force a layout of the whole page in that
   * frame (measured: Enter -> next image 10 -> 18 ms at p95). Without the observer (or
   * before its first report): read it. */
  let stageSize: { width: number; height: number } | null = null;
  if (typeof ResizeObserver === "function") {
    const ro = new ResizeObserver((entries) => {
      const e = entries[entries.length - 1];
      const b = e.borderBoxSize?.[0];
      const next = b ? { width: b.inlineSize, height: b.blockSize } : { width: e.contentRect.width, height: e.contentRect.height };
      const changed = !stageSize || stageSize.width !== next.width || stageSize.height !== next.height;
      stageSize = next;
      if (changed && ed) applyView();
    });
    ro.observe(stage);
    shell.addCleanup(() => ro.disconnect());
  }
  const sizeOf = (): { width: number; height: number } => stageSize ?? rectOf();

  function applyView(): void {
    const tx = W ? (-view.panX / W) * 100 : 0;
    const ty = H ? (-view.panY / H) * 100 : 0;
    canvas.style.transform = `scale(${view.zoom}) translate(${tx}%, ${ty}%)`;
    stage.setAttribute("data-zoom", String(Math.round(view.zoom * 1000) / 1000));
    const rect = sizeOf();
    const k = fitScale({ left: 0, top: 0, ...rect }, W, H) * view.zoom;
    overlay.style.fontSize = `${(12 / k).toFixed(4)}px`;
    placeHandles();
    if (rect.width > 0 && rect.height > 0) wantOriginal(k);
  }

  /** `k` screen px per original px: when that magnifies the preview (device px per
   * preview px over FULL_RES_AT), ask the kernel for the original, once per image while
   * it is cached; it replaces the preview when decoded (paintImage). */
  function wantOriginal(k: number): void {
    const it = item;
    const s = num(it?.image?.scale, 1);
    if (!it || !(s > 0 && s < 1)) return; // sent whole: nothing more to get
    const dpr = typeof window.devicePixelRatio === "number" && window.devicePixelRatio > 0 ? window.devicePixelRatio : 1;
    if ((k * dpr) / s <= FULL_RES_AT) return;
    const key = cache.keyOf(it);
    if (!cache.startFull(key)) return; // asked already, for this part or another (or no preview)
    client.requestImage(String(it.item_id)).then(
      (f) => cache.putFull(key, f.bytes, f.image),
      (err: unknown) => {
        cache.failFull(key); // the preview stays
        console.warn("hitl_widgets: no full-resolution image:", err instanceof Error ? err.message : err);
      },
    );
  }

  function makeEls(b: EditBox, into: Map<string, BoxEls> = els): BoxEls {
    const g = svg("g", { "data-testid": "box", class: "hitl-box" });
    g.setAttribute("data-box-id", b.id);
    const rect = svg("rect", { class: "hitl-box-rect" });
    const text = svg("text", { class: "hitl-box-label" });
    g.append(rect, text);
    const e = { g, rect, text };
    into.set(b.id, e);
    updateEls(b, e);
    return e;
  }

  function updateEls(b: EditBox, e: BoxEls): void {
    e.rect.setAttribute("x", String(b.x1));
    e.rect.setAttribute("y", String(b.y1));
    e.rect.setAttribute("width", String(b.x2 - b.x1));
    e.rect.setAttribute("height", String(b.y2 - b.y1));
    e.text.setAttribute("x", String(b.x1));
    e.text.setAttribute("y", String(b.y1));
    if (e.g.getAttribute("data-label") !== b.label) e.g.setAttribute("data-label", b.label);
    e.g.classList.toggle("is-new", b.isNew);
    setText(e.text, labelText(b));
  }

  /** Draw box `id` again (only it); gone from the editor: its <g> goes. */
  function updateBox(id: string): void {
    const b = ed?.get(id);
    const e = els.get(id);
    if (!b) {
      if (e) e.g.remove();
      els.delete(id);
      return;
    }
    if (!e) {
      const made = makeEls(b);
      const i = ed!.indexOf(id);
      const nextBox = ed!.boxes[i + 1];
      const nextEl = nextBox ? els.get(nextBox.id)?.g : undefined;
      boxLayer.insertBefore(made.g, nextEl ?? null);
    } else updateEls(b, e);
    if (id === ed?.selected) placeHandles();
  }

  /** The item's model boxes as the editor starts from them (clamped into the image). */
  function modelBoxes(it: BoxItem, w: number, h: number): ModelBox[] {
    return (Array.isArray(it.boxes) ? it.boxes : []).map((b) => {
      const r = clampBox({ x1: num(b.x1), y1: num(b.y1), x2: num(b.x2), y2: num(b.y2) }, w, h);
      return { id: String(b.id), ...r, label: String(b.label ?? ""), score: typeof b.score === "number" ? b.score : null };
    });
  }

  /** An entry's layers, built detached: its boxes (from its editor, or from the model's
   * boxes before it has one) and the faint context boxes. */
  function buildLayer(it: BoxItem, e: BoxEditor | null): Layer {
    const w = Math.max(1, num(it.width, 1));
    const h = Math.max(1, num(it.height, 1));
    const map = new Map<string, BoxEls>();
    const boxes: EditBox[] = e ? e.boxes : modelBoxes(it, w, h).map((b) => ({ ...b, score: b.score ?? null, isNew: false }));
    const g = svg("g", { class: "hitl-box-boxes" });
    g.replaceChildren(...boxes.map((b) => makeEls(b, map).g));
    const ctxItems = Array.isArray(it.context) ? it.context : [];
    const ctx = svg("g", { class: "hitl-box-context" });
    ctx.replaceChildren(
      ...ctxItems.map((c) => {
        const r = clampBox({ x1: num(c.x1), y1: num(c.y1), x2: num(c.x2), y2: num(c.y2) }, w, h);
        const cg = svg("g", { "data-testid": "context-box", class: "hitl-box-ctx" });
        cg.setAttribute("data-label", String(c.label ?? ""));
        const rect = svg("rect", { x: String(r.x1), y: String(r.y1), width: String(r.x2 - r.x1), height: String(r.y2 - r.y1) });
        const text = svg("text", { x: String(r.x1), y: String(r.y1) });
        setText(text, String(c.label ?? ""));
        cg.append(rect, text);
        return cg;
      }),
    );
    return { g, ctx, els: map, ed: e };
  }

  /** Show entry `key`'s layers (built now unless they were built ahead). */
  function useLayer(key: string, it: BoxItem): void {
    let L = layers.get(key);
    // a layer built ahead from the model's boxes fits an editor that has changed nothing
    if (!L || (L.ed !== ed && !(L.ed === null && ed && ed.ops.length === 0))) {
      L = buildLayer(it, ed);
      layers.set(key, L);
    }
    L.ed = ed;
    if (L.g !== boxLayer) {
      overlay.replaceChild(L.g, boxLayer);
      boxLayer = L.g;
    }
    if (L.ctx !== ctxLayer) {
      overlay.replaceChild(L.ctx, ctxLayer);
      ctxLayer = L.ctx;
    }
    els = L.els;
  }

  /** Build the next entry's layers now (after this paint), detached (laying them out in
   * the page ahead, hidden, made the swap slower: showing them restyles them all); give
   * back those far from the cursor. */
  function prepareAhead(): void {
    const c = client.cursor;
    const keep = new Set<string>();
    for (let qi = c - 2; qi <= c + 2; qi++) {
      const it = client.items.get(qi);
      if (it) keep.add(imageKey(it));
    }
    for (const k of layers.keys()) if (!keep.has(k)) layers.delete(k);
    const next = client.items.get(c + 1);
    if (!next) return;
    const k = imageKey(next);
    if (!layers.has(k)) layers.set(k, buildLayer(next, editors.get(k) ?? null));
  }
  let aheadTimer: ReturnType<typeof setTimeout> | null = null;
  shell.addCleanup(() => {
    if (aheadTimer !== null) clearTimeout(aheadTimer);
  });

  let paintedSel: string | null = null;
  function paintSelection(): void {
    const sel = ed?.selected ?? null;
    if (paintedSel !== sel) {
      if (paintedSel !== null) els.get(paintedSel)?.g.classList.remove("is-selected");
      paintedSel = sel;
    }
    if (sel !== null) els.get(sel)?.g.classList.add("is-selected");
    placeHandles();
    paintStatus();
  }

  function placeHandles(): void {
    const b = ed?.get(ed.selected);
    if (!b) {
      if (handleLayer.firstChild) handleLayer.replaceChildren();
      return;
    }
    if (!handleLayer.firstChild) handleLayer.append(...handleEls.values());
    const hs = 8 / scaleNow();
    const cx = (b.x1 + b.x2) / 2;
    const cy = (b.y1 + b.y2) / 2;
    const at: Record<Handle, [number, number]> = {
      nw: [b.x1, b.y1], n: [cx, b.y1], ne: [b.x2, b.y1], e: [b.x2, cy],
      se: [b.x2, b.y2], s: [cx, b.y2], sw: [b.x1, b.y2], w: [b.x1, cy],
    };
    for (const [h, r] of handleEls) {
      const [x, y] = at[h];
      r.setAttribute("x", String(x - hs / 2));
      r.setAttribute("y", String(y - hs / 2));
      r.setAttribute("width", String(hs));
      r.setAttribute("height", String(hs));
    }
  }

  function paintStatus(): void {
    if (!ed) return;
    const c = ed.counts();
    const extra = [c.added ? `${c.added} new` : "", c.deleted ? `${c.deleted} deleted` : ""].filter(Boolean);
    setText(countLine, `${c.total} box${c.total === 1 ? "" : "es"}${extra.length ? ` (${extra.join(", ")})` : ""}`);
    const b = ed.get(ed.selected);
    setText(
      selLine,
      b ? `${b.label}: ${round2(b.x1)}, ${round2(b.y1)} → ${round2(b.x2)}, ${round2(b.y2)} (${round2(b.x2 - b.x1)} × ${round2(b.y2 - b.y1)} px)` : "",
    );
    stage.setAttribute("data-mode", mode);
    stage.setAttribute("data-hidden", hidden ? "true" : "false");
  }

  function setMode(m: "" | "draw" | "redraw"): void {
    mode = m;
    if (m !== "redraw") redrawId = null;
    paintStatus();
  }

  /* ------------------------------------------------------------ entry */
  function openEntry(it: BoxItem): void {
    cancelDrag();
    ed?.setOnScreen(false);
    item = it;
    W = Math.max(1, num(it.width, 1));
    H = Math.max(1, num(it.height, 1));
    const key = imageKey(it);
    let e = editors.get(key);
    if (!e) {
      e = new BoxEditor(modelBoxes(it, W, H), now(), now);
      editors.set(key, e);
    }
    ed = e;
    ed.setOnScreen(true);
    mode = "";
    redrawId = null;
    paintedSel = null;
    overlay.setAttribute("viewBox", `0 0 ${W} ${H}`);
    stage.setAttribute("data-item-id", String(it.item_id));
    stage.style.aspectRatio = `${W} / ${H}`;
    stage.style.width = `min(100%, ${((60 * W) / H).toFixed(3)}vh)`;
    const reg = it.task?.region;
    view = Array.isArray(reg) && reg.length === 4
      ? viewOfRegion({ x1: num(reg[0]), y1: num(reg[1]), x2: num(reg[2]), y2: num(reg[3]) }, W, H)
      : { zoom: 1, panX: 0, panY: 0 };
    const t = it.task;
    const parts = [
      t && typeof t.label === "string" && t.label ? `label: ${t.label}` : "",
      t && num(t.parts) > 1 ? `part ${num(t.part)} of ${num(t.parts)}` : "",
    ].filter(Boolean);
    setText(taskLine, parts.join(" · "));
    setText(name, it.name ?? "");
    const im = it.image;
    const preview = im && num(im.scale, 1) < 1 ? ` (shown at ${Math.round(num(im.scale) * 100)}%)` : "";
    setText(size, `${W} × ${H} px${preview}`);
    fieldsRow.replaceChildren();
    const fs = Array.isArray(it.fields) ? it.fields : [];
    for (const f of fs) fieldsRow.append(el("span", { cls: "hitl-field", text: `${String(f[0])}: ${String(f[1])}` }));
    show(fieldsRow, fs.length > 0);
    useLayer(key, it);
    applyView();
    paintSelection();
  }

  function paintImage(it: BoxItem): void {
    const p = cache.get(it);
    shownKey = cache.keyOf(it);
    if (!p) {
      const why = typeof it.image_error === "string" && it.image_error ? it.image_error : "No image was sent for this entry.";
      imgSlot.replaceChildren(el("div", { cls: "hitl-image-error", testid: "image-error", text: why }));
      stage.setAttribute("data-decoded", "false");
      return;
    }
    // the original once it is decoded (asked for when the view magnified the preview)
    const full = cache.full(shownKey);
    const shown = full ?? p;
    if (imgSlot.firstChild !== shown.img || imgSlot.childNodes.length !== 1) imgSlot.replaceChildren(shown.img);
    stage.setAttribute("data-decoded", shown.ready && !shown.failed ? "true" : "false");
    stage.setAttribute("data-resolution", full || num(it.image?.scale, 1) >= 1 ? "full" : "preview");
    shown.img.classList.toggle("is-decoding", !shown.ready);
    if (shown.failed) imgSlot.append(el("div", { cls: "hitl-image-error", testid: "image-error", text: "The browser cannot show this image." }));
  }

  let openKey = "";
  let openQi = -1;
  // (`fresh` is also true for a newer copy of the same entry: the view then stays)
  shell.paintItem = (it) => {
    const key = imageKey(it);
    if (key !== openKey || client.cursor !== openQi) {
      openKey = key;
      openQi = client.cursor;
      warm();
      openEntry(it);
    } else item = it; // the same entry sent again (a newer copy): the view stays as it is
    ed?.setOnScreen(true);
    paintImage(it);
    paintStatus();
    if (aheadTimer === null) {
      aheadTimer = setTimeout(() => {
        aheadTimer = null;
        prepareAhead();
      }, 0);
    }
  };
  shell.onLeave = () => {
    ed?.setOnScreen(false);
    openKey = "";
    cancelDrag();
  };

  /* ------------------------------------------------------------ actions */
  const needSel = (): EditBox | null => {
    const b = ed?.get(ed.selected) ?? null;
    if (!b) shell.say("Select a box first (Tab).");
    return b;
  };

  function select(id: string | null): void {
    if (!ed) return;
    ed.select(id);
    paintSelection();
  }

  function cycle(dir: 1 | -1): void {
    if (!ed) return;
    if (!ed.boxes.length) return shell.say("No boxes on this entry (N draws one).");
    ed.cycle(dir);
    paintSelection();
  }

  function relabel(n: number): void {
    const b = needSel();
    if (!b || !ed) return;
    const l = labels()[n - 1];
    if (l === undefined) return shell.say(`No label ${n}.`);
    if (ed.relabel(b.id, l, "key")) updateBox(b.id);
    paintStatus();
  }

  function keyMove(key: string, big: boolean): void {
    const b = ed?.get(ed.selected);
    if (!b || !ed) {
      if (key === "ArrowLeft") return client.move(-1);
      if (key === "ArrowRight") return client.move(1);
      return shell.say("Select a box first (Tab).");
    }
    const [dx, dy] = ARROWS[key];
    const step = big ? 10 : 1;
    if (ed.keyMove(b.id, moveBox(b, dx * step, dy * step, W, H))) updateBox(b.id);
    paintStatus();
  }

  function keyResize(key: string, big: boolean): void {
    const b = needSel();
    if (!b || !ed) return;
    const [dx, dy] = ARROWS[key];
    const step = big ? 10 : 1;
    const before = { ...b };
    // right edge out / in (→ / ←), bottom edge down / up (↓ / ↑)
    ed.setRect(b.id, resizeBox(b, dx ? "e" : "s", dx * step, dy * step, W, H));
    if (ed.commit("resize", b.id, before, "key")) updateBox(b.id);
    paintStatus();
  }

  function removeSelected(): void {
    const b = needSel();
    if (!b || !ed) return;
    ed.remove(b.id, "key");
    updateBox(b.id);
    paintSelection();
  }

  function newBox(): void {
    if (!ed) return;
    if (mode !== "draw") {
      setMode("draw");
      return shell.say("Drag on the image to draw a box (N again: a box in the middle of the view).");
    }
    const v = visibleRegion(view, W, H);
    const cx = (v.x1 + v.x2) / 2;
    const cy = (v.y1 + v.y2) / 2;
    const w = (v.x2 - v.x1) * 0.2;
    const h = (v.y2 - v.y1) * 0.2;
    const b = ed.add(clampBox({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 }, W, H), defaultLabel(), "key");
    setMode("");
    shell.clearMessage();
    updateBox(b.id);
    select(b.id);
  }

  function redraw(): void {
    if (mode === "redraw") {
      setMode("");
      return shell.say("Redraw cancelled.");
    }
    const b = needSel();
    if (!b) return;
    setMode("redraw");
    redrawId = b.id;
    shell.say("Drag on the image to draw this box again (R again: cancel).");
  }

  function toggleHidden(): void {
    hidden = !hidden;
    overlay.classList.toggle("is-hidden", hidden);
    paintStatus();
  }

  function zoomBy(f: number): void {
    const b = ed?.get(ed.selected);
    const v = visibleRegion(view, W, H);
    const [px, py] = b ? [(b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2] : [(v.x1 + v.x2) / 2, (v.y1 + v.y2) / 2];
    view = zoomAround(view, view.zoom * f, px, py, W, H);
    applyView();
  }

  function pan(dx: number, dy: number): void {
    view = clampView({ zoom: view.zoom, panX: view.panX + (dx * 0.1 * W) / view.zoom, panY: view.panY + (dy * 0.1 * H) / view.zoom }, W, H);
    applyView();
  }

  function submit(): void {
    if (!ed || !client.current()) return;
    if (drag) return;
    shell.clearMessage();
    const d = ed.decision();
    client.decide({ action: d.action, data: d.data });
  }

  function undo(): void {
    shell.clearMessage();
    if (ed?.canUndo()) {
      const u = ed.undo();
      if (u) updateBox(u.id);
      paintSelection();
      return;
    }
    if (!client.undo()) shell.say("Nothing to undo in this session.");
  }

  const bindings: KeyBinding[] = [
    {
      keys: ["Tab"],
      display: "Tab / Shift+Tab",
      description: "Select the next / previous box (click on a box selects it too)",
      repeat: true,
      run: (_k, ev) => cycle(ev.shiftKey ? -1 : 1),
    },
    {
      keys: ["Escape"],
      display: "Esc",
      description: "Cancel drawing, or deselect the box (else: close the help)",
      run: () => {
        if (mode) return setMode("");
        if (ed?.selected != null) return select(null);
        shell.help.close();
      },
    },
    {
      keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
      display: "1 – 9",
      description: "Give the selected box label n",
      run: (k) => relabel(Number(k)),
    },
    {
      keys: ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"],
      display: "← ↑ → ↓",
      description: "Move the selected box by 1 px (Shift: 10 px); with none selected ← / → go to the previous / next entry",
      repeat: true,
      run: (k, ev) => keyMove(k, ev.shiftKey),
    },
    {
      keys: ["Alt+Arrow"],
      display: "Alt + ← ↑ → ↓",
      description: "Resize the selected box: Alt+→ / ← right edge out / in, Alt+↓ / ↑ bottom edge down / up (Shift: 10 px)",
      run: () => {},
    },
    { keys: ["Delete", "Backspace", "x"], display: "Del / Backspace / X", description: "Delete the selected box", run: () => removeSelected() },
    {
      keys: ["n"],
      display: "N",
      description: "New box: drag on the image to draw it; N again puts one in the middle of the view",
      run: () => newBox(),
    },
    { keys: ["r"], display: "R", description: "Redraw the selected box: drag on the image (R again: cancel)", run: () => redraw() },
    { keys: ["h"], display: "H", description: "Hide / show the boxes", run: () => toggleHidden() },
    { keys: ["+", "="], display: "+ / =", description: "Zoom in (mouse wheel: around the pointer)", repeat: true, run: () => zoomBy(ZOOM_STEP) },
    { keys: ["-"], display: "-", description: "Zoom out", repeat: true, run: () => zoomBy(1 / ZOOM_STEP) },
    {
      keys: ["0"],
      display: "0",
      description: "Fit the image (zoom 1)",
      run: () => {
        view = { zoom: 1, panX: 0, panY: 0 };
        applyView();
      },
    },
    { keys: ["i"], display: "I", description: "Pan up (drag with the middle button or Space held pans too)", repeat: true, run: () => pan(0, -1) },
    { keys: ["j"], display: "J", description: "Pan left", repeat: true, run: () => pan(-1, 0) },
    { keys: ["k"], display: "K", description: "Pan down", repeat: true, run: () => pan(0, 1) },
    { keys: ["l"], display: "L", description: "Pan right", repeat: true, run: () => pan(1, 0) },
    {
      keys: ["Enter", "a"],
      display: "Enter / A",
      description: "Submit the boxes: accept when unchanged, else the edited boxes",
      run: () => submit(),
    },
    ...shell.flagBindings(),
    { keys: ["s"], display: "S", description: "Skip", action: "skip", run: () => client.decide({ action: "skip" }) },
    { keys: ["z"], display: "Z", description: "Undo the last box change; with none left, the last decision", run: () => undo() },
  ];
  // N here draws a box: the shell's N (next entry not decided) is shadowed, so it is not
  // listed under ? either (Home / End still jump)
  const NEW_BOX = bindings.find((b) => b.keys.includes("n"))!.description;
  const setHelp = shell.help.setBindings.bind(shell.help);
  shell.help.setBindings = (bs) => setHelp(bs.filter((b) => !b.keys.includes("n") || b.description === NEW_BOX));
  shell.bind(bindings);

  /* ------------------------------------------------------------ keys the key layer leaves (Alt) */
  const onHostKey = (ev: KeyboardEvent) => {
    if (ev.key === " " || ev.key === "Spacebar") spaceHeld = ev.type === "keydown";
    if (ev.type !== "keydown" || !ev.altKey || ev.ctrlKey || ev.metaKey || !(ev.key in ARROWS)) return;
    if (isTextEntry(ev.target) || shell.modals.isOpen() || client.state() !== "item") return;
    ev.preventDefault();
    ev.stopPropagation();
    client.interacted();
    keyResize(ev.key, ev.shiftKey);
  };
  host.addEventListener("keydown", onHostKey, true);
  host.addEventListener("keyup", onHostKey, true);
  shell.addCleanup(() => {
    host.removeEventListener("keydown", onHostKey, true);
    host.removeEventListener("keyup", onHostKey, true);
  });

  /* ------------------------------------------------------------ mouse */
  function onDown(ev: PointerEvent): void {
    if (!ed || !item || ev.button === 2 || drag) return;
    const rect = rectOf();
    const [ix, iy] = screenToImage(ev.clientX, ev.clientY, rect, view, W, H);
    const base = { pointerId: ev.pointerId, cx: ev.clientX, cy: ev.clientY, ix, iy, moved: false, id: null as string | null, rect };
    const target = ev.target instanceof Element ? ev.target : null;
    if (ev.button === 1 || spaceHeld) drag = { ...base, kind: "pan", view: { ...view } };
    else if (mode === "draw") drag = { ...base, kind: "draw" };
    else if (mode === "redraw" && redrawId !== null && ed.get(redrawId)) {
      drag = { ...base, kind: "redraw", id: redrawId, before: { ...ed.get(redrawId)! } };
    } else {
      const handle = hidden ? null : target?.closest('[data-testid="handle"]');
      const g = hidden ? null : target?.closest('[data-testid="box"]');
      const sel = ed.get(ed.selected);
      if (handle && sel) {
        drag = { ...base, kind: "resize", id: sel.id, handle: handle.getAttribute("data-handle") as Handle, before: { ...sel } };
      } else if (g) {
        const id = g.getAttribute("data-box-id");
        select(id);
        const b = ed.get(id);
        if (b) drag = { ...base, kind: "move", id: b.id, before: { ...b } };
      } else drag = { ...base, kind: "empty" };
    }
    if (!drag) return;
    ev.preventDefault();
    shell.keys.focus(); // the keys work on what the mouse did
    window.addEventListener("pointermove", onMove);
    window.addEventListener("pointerup", onUp);
    window.addEventListener("pointercancel", onUp);
  }

  function onMove(ev: PointerEvent): void {
    const d = drag;
    if (!d || !ed || ev.pointerId !== d.pointerId) return;
    if (!d.moved) {
      if (Math.hypot(ev.clientX - d.cx, ev.clientY - d.cy) < DRAG_PX) return;
      d.moved = true;
    }
    if (d.kind === "pan") {
      const k = fitScale(d.rect, W, H) * d.view!.zoom;
      view = clampView({ zoom: d.view!.zoom, panX: d.view!.panX - (ev.clientX - d.cx) / k, panY: d.view!.panY - (ev.clientY - d.cy) / k }, W, H);
      applyView();
      return;
    }
    const [x, y] = screenToImage(ev.clientX, ev.clientY, d.rect, view, W, H);
    let r: Rect | null = null;
    if (d.kind === "move") r = moveBox(d.before!, x - d.ix, y - d.iy, W, H);
    else if (d.kind === "resize") r = resizeBox(d.before!, d.handle!, x - d.ix, y - d.iy, W, H);
    else if (d.kind === "redraw") r = boxFromPoints(d.ix, d.iy, x, y, W, H);
    else if (d.kind === "draw" || d.kind === "empty") {
      r = boxFromPoints(d.ix, d.iy, x, y, W, H);
      if (d.id === null) {
        const b = ed.add(r, defaultLabel(), "mouse", false);
        d.id = b.id;
        updateBox(b.id);
        select(b.id);
        return;
      }
    }
    if (r && d.id !== null) {
      ed.setRect(d.id, r);
      updateBox(d.id);
      paintStatus();
    }
  }

  /** A drag cut short (the entry changed under it): what it did is taken back, no op. */
  function cancelDrag(): void {
    const d = drag;
    endDrag();
    if (!d || !ed || d.id === null) return;
    if (d.before) ed.setRect(d.id, d.before);
    else if (d.kind === "draw" || d.kind === "empty") ed.discard(d.id);
  }

  function endDrag(): void {
    drag = null;
    window.removeEventListener("pointermove", onMove);
    window.removeEventListener("pointerup", onUp);
    window.removeEventListener("pointercancel", onUp);
  }

  function onUp(ev: PointerEvent): void {
    const d = drag;
    if (!d) return endDrag();
    if (ev.pointerId !== d.pointerId) return;
    endDrag();
    if (!ed) return;
    const cancelled = ev.type === "pointercancel";
    if ((d.kind === "move" || d.kind === "resize" || d.kind === "redraw") && d.id !== null && d.before) {
      if (cancelled) {
        ed.setRect(d.id, d.before);
        updateBox(d.id);
      } else if (d.moved) ed.commit(d.kind, d.id, d.before, "mouse");
      if (d.kind === "redraw" && d.moved) setMode("");
    } else if (d.kind === "draw" || d.kind === "empty") {
      if (d.id !== null) {
        if (cancelled) {
          ed.discard(d.id);
          updateBox(d.id);
        } else {
          ed.commitAdd(d.id, "mouse");
          setMode("");
        }
      } else if (d.kind === "empty" && !d.moved) select(null);
    }
    paintSelection();
  }

  function onWheel(ev: WheelEvent): void {
    if (!ed || !ev.deltaY) return;
    ev.preventDefault();
    const [px, py] = toImage(ev);
    // a wheel notch (100 px, or 3 lines) is one step of 1.25; a touchpad's small deltas zoom smoothly
    const dy = ev.deltaMode === 1 ? ev.deltaY * 33 : ev.deltaMode === 2 ? ev.deltaY * 100 : ev.deltaY;
    const steps = Math.max(-1, Math.min(1, -dy / 100));
    view = zoomAround(view, view.zoom * ZOOM_STEP ** steps, px, py, W, H);
    applyView();
  }

  // handles and label sizes are in screen px: again when the stage's size changes
  if (typeof ResizeObserver === "function") {
    const ro = new ResizeObserver(() => {
      if (ed) applyView();
    });
    ro.observe(stage);
    shell.addCleanup(() => ro.disconnect());
  }
  stage.addEventListener("pointerdown", onDown);
  stage.addEventListener("wheel", onWheel, { passive: false });
  shell.addCleanup(() => {
    stage.removeEventListener("pointerdown", onDown);
    stage.removeEventListener("wheel", onWheel);
    endDrag();
  });

  return shell.mount(host);
}

function render({ model, el: host }: RenderProps): () => void {
  return mount(model, host);
}

export default { render };
