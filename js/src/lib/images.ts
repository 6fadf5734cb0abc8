/**
 * Images of the review window, ready before they are shown: an item's bytes (the binary
 * buffer of its `items` message: never base64 in JSON) become a Blob URL and an <img>
 * that is decoded (`img.decode()`) as soon as the page arrives, ahead of the cursor, so
 * the key that moves to it paints it at once. Images far from the cursor give their
 * Blob URLs back.
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

export class ImageCache {
  private readonly map = new Map<string, Prepared>();

  /** `onReady(key)`: an image finished decoding (or failed): repaint if it is shown. */
  constructor(private readonly onReady: (key: string) => void) {}

  /** The prepared image of `item` (made now, decoding started, when it is not yet);
   * null when the item has no bytes (the kernel could not send them). */
  get(item: ImageBearing): Prepared | null {
    const key = imageKey(item);
    const have = this.map.get(key);
    if (have) return have;
    const part = Array.isArray(item.binary) ? item.binary[0] : undefined;
    const meta = item.image;
    if (!part || !meta || typeof URL.createObjectURL !== "function") return null;
    const blob = new Blob([blobPart(part)], { type: String(meta.mime || "") });
    const url = URL.createObjectURL(blob);
    const img = document.createElement("img");
    img.className = "hitl-img";
    img.setAttribute("data-testid", "image");
    img.style.setProperty("image-orientation", "none");
    img.decoding = "async";
    img.draggable = false;
    img.alt = typeof item.name === "string" && item.name ? item.name : `image ${String(item.item_id)}`;
    img.width = Math.max(1, Math.round(Number(meta.width) || 1));
    img.height = Math.max(1, Math.round(Number(meta.height) || 1));
    img.src = url;
    const p: Prepared = { key, url, img, ready: false, failed: false };
    this.map.set(key, p);
    const decoded = typeof img.decode === "function" ? img.decode() : Promise.resolve();
    decoded.then(
      () => this.settle(p, false),
      () => this.settle(p, true),
    );
    return p;
  }

  has(key: string): boolean {
    return this.map.has(key);
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
    }
  }

  dispose(): void {
    this.keepOnly(new Set());
  }
}

/** A buffer's bytes as a Blob part (a DataView over part of a larger buffer: its bytes only). */
function blobPart(part: BinaryPart): BlobPart {
  if (part instanceof ArrayBuffer) return part;
  return new Uint8Array(part.buffer as ArrayBuffer, part.byteOffset, part.byteLength);
}
