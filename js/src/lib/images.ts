/**
 * Images of the review window, ready before they are shown: an item's bytes (the binary
 * buffer of its `items` message: never base64 in JSON) become a Blob URL and an <img>
 * that is decoded (`img.decode()`) as soon as the page arrives, ahead of the cursor, so
 * the key that moves to it paints it at once. Images far from the cursor give their
 * Blob URLs back.
 *
 * An entry sent as a preview (`image.scale` < 1) may also hold its full-resolution
 * original (`startFull` / `putFull`, asked of the kernel when the preview is magnified):
 * `full(key)` gives it once decoded (until then the preview stays shown: no flicker),
 * and it is given back with its entry.
 *
 * Every <img> has `image-orientation: none`: the kernel's sizes and a box's coordinates
 * are the pixel grid without the EXIF rotation, so the browser must not rotate either.
 */
import type { BaseItem, BinaryPart } from "./types";

export interface ImageMeta {
  mime: string;
  width: number;
  height: number;
  scale: number;
  /** the image's SHA-256 (the kernel sends one buffer per image of a page) */
  key?: string | null;
}

/** An item with an image (the kernel sends its bytes as `binary[0]`). */
export interface ImageBearing extends BaseItem {
  name?: string | null;
  image?: ImageMeta | null;
}

export interface Prepared {
  key: string;
  url: string;
  img: HTMLImageElement;
  /** decoded (or the browser has no decode(): as ready as it gets) */
  ready: boolean;
  /** the bytes are no image the browser can show */
  failed: boolean;
}

/** The key of an item's image: its id and content version. */
export function imageKey(item: BaseItem): string {
  return `${String(item.item_id)}\u0000${String(item.content_hash ?? "")}`;
}

/** The key of the picture itself: every entry showing the same image (the parts of a
 * crowded image split into small tasks) shares it, so the picture is decoded once and
 * its full-resolution original asked for once. The entry's key where the kernel sent
 * no image key. Not for a grid, where one <img> cannot stand in two tiles. */
export function pictureKey(item: ImageBearing): string {
  const k = item.image?.key;
  return typeof k === "string" && k ? `\u0001${k}` : imageKey(item);
}

/** Where an entry's full-resolution original is: asked for, decoded, or not to be had. */
export type FullState = "none" | "loading" | "ready" | "failed";

interface FullEntry {
  state: Exclude<FullState, "none">;
  prepared: Prepared | null;
}

export class ImageCache {
  private readonly map = new Map<string, Prepared>();
  /** key -> the entry's full-resolution original (only for keys in `map`) */
  private readonly originals = new Map<string, FullEntry>();

  /** `onReady(key)`: an image finished decoding (or failed): repaint if it is shown.
   * `keyOf`: what an item's picture is cached under (`imageKey`: one per entry;
   * `pictureKey`: one per image, shared by the entries that show it). */
  constructor(
    private readonly onReady: (key: string) => void,
    readonly keyOf: (item: ImageBearing) => string = imageKey,
  ) {}

  /** The prepared image of `item` (made now, decoding started, when it is not yet);
   * null when the item has no bytes (the kernel could not send them). */
  get(item: ImageBearing): Prepared | null {
    const key = this.keyOf(item);
    const have = this.map.get(key);
    if (have) return have;
    const part = Array.isArray(item.binary) ? item.binary[0] : undefined;
    const meta = item.image;
    if (!part || !meta || typeof URL.createObjectURL !== "function") return null;
    const alt = typeof item.name === "string" && item.name ? item.name : `image ${String(item.item_id)}`;
    const { prepared: p, decoded } = prepare(key, part, meta, alt);
    this.map.set(key, p);
    decoded.then(
      () => this.settle(p, false),
      () => this.settle(p, true),
    );
    return p;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Where `key`'s full-resolution original is ("none": not asked for). */
  fullState(key: string): FullState {
    return this.originals.get(key)?.state ?? "none";
  }

  /** Mark `key`'s original as asked for; false when it already was (asked, shown or
   * failed: one request per entry while it is cached) or the entry is not cached. */
  startFull(key: string): boolean {
    if (!this.map.has(key) || this.originals.has(key)) return false;
    this.originals.set(key, { state: "loading", prepared: null });
    return true;
  }

  /** The original's bytes arrived: decode them; `onReady(key)` once decoded. Ignored
   * when the entry was given back meanwhile. */
  putFull(key: string, bytes: BinaryPart, meta: ImageMeta): void {
    const entry = this.originals.get(key);
    const preview = this.map.get(key);
    if (!entry || entry.state !== "loading" || !preview || typeof URL.createObjectURL !== "function") return;
    const p = prepare(key, bytes, meta, preview.img.alt);
    entry.prepared = p.prepared;
    p.decoded.then(
      () => this.settleFull(key, p.prepared, false),
      () => this.settleFull(key, p.prepared, true),
    );
  }

  /** The original could not be had (the kernel refused, no answer): the preview stays. */
  failFull(key: string): void {
    const entry = this.originals.get(key);
    if (entry && entry.state === "loading") entry.state = "failed";
  }

  /** `key`'s original, decoded and ready to replace the preview; null otherwise. */
  full(key: string): Prepared | null {
    const entry = this.originals.get(key);
    return entry && entry.state === "ready" ? entry.prepared : null;
  }

  private settleFull(key: string, p: Prepared, failed: boolean): void {
    const entry = this.originals.get(key);
    if (!entry || entry.prepared !== p) return; // given back meanwhile
    p.ready = true;
    p.failed = failed;
    if (failed) {
      URL.revokeObjectURL?.(p.url);
      entry.prepared = null;
      entry.state = "failed";
      return;
    }
    entry.state = "ready";
    this.onReady(key);
  }

  get size(): number {
    return this.map.size;
  }

  private settle(p: Prepared, failed: boolean): void {
    if (this.map.get(p.key) !== p) return; // given back meanwhile
    p.ready = true;
    p.failed = failed;
    this.onReady(p.key);
  }

  /** Give back the Blob URLs of every image but `keep`'s. */
  keepOnly(keep: Set<string>): void {
    for (const [key, p] of this.map) {
      if (keep.has(key)) continue;
      URL.revokeObjectURL?.(p.url);
      this.map.delete(key);
      const original = this.originals.get(key)?.prepared;
      if (original) URL.revokeObjectURL?.(original.url);
      this.originals.delete(key);
    }
  }

  dispose(): void {
    this.keepOnly(new Set());
  }
}

/** An <img> of `part`'s bytes (a Blob URL), its decoding started. */
function prepare(key: string, part: BinaryPart, meta: ImageMeta, alt: string): { prepared: Prepared; decoded: Promise<void> } {
  const blob = new Blob([blobPart(part)], { type: String(meta.mime || "") });
  const url = URL.createObjectURL(blob);
  const img = document.createElement("img");
  img.className = "hitl-img";
  img.setAttribute("data-testid", "image");
  img.style.setProperty("image-orientation", "none");
  img.decoding = "async";
  img.draggable = false;
  img.alt = alt;
  img.width = Math.max(1, Math.round(Number(meta.width) || 1));
  img.height = Math.max(1, Math.round(Number(meta.height) || 1));
  img.src = url;
  const decoded = typeof img.decode === "function" ? img.decode() : Promise.resolve();
  return { prepared: { key, url, img, ready: false, failed: false }, decoded };
}

/** A buffer's bytes as a Blob part (a DataView over part of a larger buffer: its bytes only). */
function blobPart(part: BinaryPart): BlobPart {
  if (part instanceof ArrayBuffer) return part;
  return new Uint8Array(part.buffer as ArrayBuffer, part.byteOffset, part.byteLength);
}
