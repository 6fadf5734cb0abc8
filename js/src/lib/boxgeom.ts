/**
 * Pure geometry of the box review (no DOM, no layout): screen <-> original-image pixels
 * through the stage's CSS size, the zoom and the pan, and the box operations.
 *
 * The stage (its `getBoundingClientRect()`) shows the whole image fitted ("contain",
 * centred) at zoom 1. The view is `{zoom, panX, panY}`: `zoom` scales around the stage's
 * centre, and `(panX, panY)` is how far (in ORIGINAL pixels) the point shown at the
 * stage's centre is from the image's centre. The image may be sent as a preview (scale
 * < 1): it is drawn stretched to the same box as the original, so the preview scale
 * never enters the conversion (coordinates are always the original's).
 */

export interface Rect {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface StageRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface View {
  zoom: number;
  panX: number;
  panY: number;
}

export type Handle = "nw" | "n" | "ne" | "e" | "se" | "s" | "sw" | "w";
export const HANDLES: Handle[] = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

export const MIN_ZOOM = 0.5;
export const MAX_ZOOM = 64;
/** the smallest box side, in original pixels */
export const MIN_SIDE = 1;

/** Screen pixels per original pixel at zoom 1 (the "contain" fit of the image in the stage). */
export function fitScale(stage: StageRect, width: number, height: number): number {
  const w = Math.max(1e-9, width);
  const h = Math.max(1e-9, height);
  const s = Math.min(stage.width / w, stage.height / h);
  return Number.isFinite(s) && s > 0 ? s : 1;
}

/** The original-pixel point under the screen point (clientX, clientY). */
export function screenToImage(
  clientX: number,
  clientY: number,
  stage: StageRect,
  view: View,
  width: number,
  height: number,
): [number, number] {
  const k = fitScale(stage, width, height) * view.zoom;
  const x = (clientX - stage.left - stage.width / 2) / k + width / 2 + view.panX;
  const y = (clientY - stage.top - stage.height / 2) / k + height / 2 + view.panY;
  return [x, y];
}

/** The screen point (client coordinates) of the original-pixel point (x, y). */
export function imageToScreen(
  x: number,
  y: number,
  stage: StageRect,
  view: View,
  width: number,
  height: number,
): [number, number] {
  const k = fitScale(stage, width, height) * view.zoom;
  return [
    stage.left + stage.width / 2 + (x - width / 2 - view.panX) * k,
    stage.top + stage.height / 2 + (y - height / 2 - view.panY) * k,
  ];
}

/** Keep the view on the image: the pan cannot show past the image's edges (none when
 * the whole image fits); the zoom within [MIN_ZOOM, MAX_ZOOM]. */
export function clampView(view: View, width: number, height: number): View {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Number.isFinite(view.zoom) ? view.zoom : 1));
  const mx = Math.max(0, (width / 2) * (1 - 1 / zoom));
  const my = Math.max(0, (height / 2) * (1 - 1 / zoom));
  const c = (v: number, m: number) => Math.min(m, Math.max(-m, Number.isFinite(v) ? v : 0)) || 0; // (no -0)
  return { zoom, panX: c(view.panX, mx), panY: c(view.panY, my) };
}

/** Zoom to `zoom`, keeping the original-pixel point (px, py) where it is on the screen. */
export function zoomAround(view: View, zoom: number, px: number, py: number, width: number, height: number): View {
  const z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
  const r = view.zoom / z;
  return clampView(
    {
      zoom: z,
      panX: px - width / 2 - (px - width / 2 - view.panX) * r,
      panY: py - height / 2 - (py - height / 2 - view.panY) * r,
    },
    width,
    height,
  );
}

/** The view that shows `region` (original px) as large as it fits. */
export function viewOfRegion(region: Rect, width: number, height: number): View {
  const b = normalise(region);
  const rw = Math.max(MIN_SIDE, b.x2 - b.x1);
  const rh = Math.max(MIN_SIDE, b.y2 - b.y1);
  const zoom = Math.min(width / rw, height / rh);
  return clampView({ zoom, panX: (b.x1 + b.x2) / 2 - width / 2, panY: (b.y1 + b.y2) / 2 - height / 2 }, width, height);
}

/** The part of the image the view shows (original px; may reach past the image when zoomed out). */
export function visibleRegion(view: View, width: number, height: number): Rect {
  const w = width / view.zoom;
  const h = height / view.zoom;
  const cx = width / 2 + view.panX;
  const cy = height / 2 + view.panY;
  return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
}

/** x1 < x2, y1 < y2. */
export function normalise(b: Rect): Rect {
  return { x1: Math.min(b.x1, b.x2), y1: Math.min(b.y1, b.y2), x2: Math.max(b.x1, b.x2), y2: Math.max(b.y1, b.y2) };
}

/** Inside [0, width] x [0, height], normalised, each side at least MIN_SIDE (when the image allows). */
export function clampBox(b: Rect, width: number, height: number): Rect {
  const n = normalise(b);
  const cl = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  let x1 = cl(n.x1, width);
  let x2 = cl(n.x2, width);
  let y1 = cl(n.y1, height);
  let y2 = cl(n.y2, height);
  if (x2 - x1 < MIN_SIDE) {
    if (x1 + MIN_SIDE <= width) x2 = x1 + MIN_SIDE;
    else {
      x2 = width;
      x1 = Math.max(0, width - MIN_SIDE);
    }
  }
  if (y2 - y1 < MIN_SIDE) {
    if (y1 + MIN_SIDE <= height) y2 = y1 + MIN_SIDE;
    else {
      y2 = height;
      y1 = Math.max(0, height - MIN_SIDE);
    }
  }
  return { x1, y1, x2, y2 };
}

/** Move by (dx, dy), its size kept, stopped at the image's edges. */
export function moveBox(b: Rect, dx: number, dy: number, width: number, height: number): Rect {
  const n = normalise(b);
  const w = n.x2 - n.x1;
  const h = n.y2 - n.y1;
  const x1 = Math.min(Math.max(0, n.x1 + dx), Math.max(0, width - w));
  const y1 = Math.min(Math.max(0, n.y1 + dy), Math.max(0, height - h));
  return { x1, y1, x2: x1 + w, y2: y1 + h };
}

/** Move the edges named by `handle` by (dx, dy) (e.g. "se": right and bottom edges; "n":
 * the top edge, dx ignored). An edge never passes the opposite one: each side stays at
 * least MIN_SIDE; the box stays inside the image. */
export function resizeBox(b: Rect, handle: Handle, dx: number, dy: number, width: number, height: number): Rect {
  const n = normalise(b);
  let { x1, y1, x2, y2 } = n;
  if (handle.includes("w")) x1 = Math.min(Math.max(0, x1 + dx), x2 - MIN_SIDE);
  if (handle.includes("e")) x2 = Math.max(Math.min(width, x2 + dx), x1 + MIN_SIDE);
  if (handle.includes("n")) y1 = Math.min(Math.max(0, y1 + dy), y2 - MIN_SIDE);
  if (handle.includes("s")) y2 = Math.max(Math.min(height, y2 + dy), y1 + MIN_SIDE);
  return clampBox({ x1, y1, x2, y2 }, width, height);
}

/** The box from two corners (a drag), clamped to the image. */
export function boxFromPoints(ax: number, ay: number, bx: number, by: number, width: number, height: number): Rect {
  return clampBox({ x1: ax, y1: ay, x2: bx, y2: by }, width, height);
}

export function boxesEqual(a: Rect, b: Rect, eps = 1e-6): boolean {
  return (
    Math.abs(a.x1 - b.x1) <= eps && Math.abs(a.y1 - b.y1) <= eps && Math.abs(a.x2 - b.x2) <= eps && Math.abs(a.y2 - b.y2) <= eps
  );
}

export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export function toArray(b: Rect): [number, number, number, number] {
  return [round2(b.x1), round2(b.y1), round2(b.x2), round2(b.y2)];
}
