/**
 * Key -> paint timing, shared by every widget.
 *
 * A view paints the next entry synchronously inside the key handler; this tracker then
 * sets `data-painted-qi` on the root inside a requestAnimationFrame callback and records
 * `{key, key_ts, event_ts, paint_ts, qi}` in `root.__hitlTimings` (last 5000), so a
 * benchmark can measure key press -> paint. When the entry is not in the window yet the
 * key waits (the view shows "loading") and is timed when the entry arrives and is painted.
 */
import { now } from "./ids";
import { cancelFrame, frame } from "./keyboard";

export interface Timing {
  /** the key that led to this paint */
  key: string;
  /** performance.now() when the keydown handler ran */
  key_ts: number;
  /** the keydown event's own timeStamp (same clock as performance.now() in browsers) */
  event_ts: number;
  /** performance.now() inside the requestAnimationFrame callback after the paint */
  paint_ts: number;
  qi: number;
}

export interface TimedRoot extends HTMLElement {
  __hitlTimings?: Timing[];
}

export const MAX_TIMINGS = 5000;

interface KeyMark {
  key: string;
  key_ts: number;
  event_ts: number;
}

export class PaintTracker {
  readonly timings: Timing[] = [];
  private waiting: KeyMark[] = [];
  private framed: KeyMark[] = [];
  private frameQi = -1;
  private raf: number | null = null;

  constructor(private readonly root: TimedRoot) {
    root.__hitlTimings = this.timings;
  }

  /**
   * Run a key's action and time it. `waits()` is asked afterwards: true when the key
   * moved to an entry that is still loading (it is timed when that entry is painted).
   */
  timeKey(key: string, event: Event | null, action: () => void, waits: () => boolean): void {
    const mark: KeyMark = { key, key_ts: now(), event_ts: event ? event.timeStamp : now() };
    this.waiting.push(mark);
    action();
    const i = this.waiting.indexOf(mark);
    if (i >= 0 && !waits()) this.waiting.splice(i, 1);
  }

  /** The view painted a new entry (call synchronously, right after changing the DOM). */
  painted(qi: number): void {
    this.framed.push(...this.waiting.splice(0));
    this.frameQi = qi;
    if (this.raf === null) this.raf = frame(() => this.onFrame());
  }

  /** Nothing will be painted for the keys waiting (e.g. the summary is shown). */
  dropWaiting(): void {
    this.waiting.length = 0;
  }

  private onFrame(): void {
    this.raf = null;
    const paint_ts = now();
    this.root.setAttribute("data-painted-qi", String(this.frameQi));
    for (const k of this.framed.splice(0)) this.timings.push({ ...k, paint_ts, qi: this.frameQi });
    if (this.timings.length > MAX_TIMINGS) this.timings.splice(0, this.timings.length - MAX_TIMINGS);
  }

  dispose(): void {
    if (this.raf !== null) cancelFrame(this.raf);
    this.raf = null;
  }
}
