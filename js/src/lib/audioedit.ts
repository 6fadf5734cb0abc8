/**
 * The DOM-free state of an audio review (widgets/audio.ts): the regions of one clip with
 * their selection and operation log, the listening accounting, the playback-rate steps,
 * the peaks as the kernel sends them, and the decision's data.
 *
 * Times are seconds on the clip; region times are kept rounded to the millisecond (as the
 * kernel stores them). The operation log's `t_ms` is ms since the clip was first shown.
 */
import type { BinaryPart } from "./types";

export interface AudioRegion {
  id: string;
  start: number;
  end: number;
  label: string;
}

export interface RegionSpan {
  start: number;
  end: number;
  label: string;
}

export type RegionOpKind = "add" | "move" | "relabel" | "delete";

export interface RegionOp {
  op: RegionOpKind;
  id: string;
  t_ms: number;
  before: RegionSpan | null;
  after: RegionSpan | null;
}

/** Shortest region (seconds). */
export const MIN_REGION = 0.01;

/** Playback rates [ and ] step through (pitch kept). */
export const RATES = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];

/** Seek steps of J / L (Shift: the long one), seconds. */
export const SEEK_STEP = 2;
export const SEEK_LONG = 10;

/** The next rate from `rate` in direction `dir` (-1 slower, +1 faster), within 0.5x..2x. */
export function stepRate(rate: number, dir: number): number {
  let i = RATES.findIndex((r) => Math.abs(r - rate) < 1e-9);
  if (i < 0) {
    // a rate between the steps: to the nearest step in that direction
    i = dir > 0 ? RATES.findIndex((r) => r > rate) - 1 : RATES.findIndex((r) => r >= rate);
    if (i < 0) i = dir > 0 ? RATES.length - 1 : 0;
  }
  return RATES[Math.max(0, Math.min(RATES.length - 1, i + (dir > 0 ? 1 : -1)))];
}

export const roundMs = (s: number): number => Math.round(s * 1000) / 1000;

export function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

/** "m:ss.ss" (or "h:mm:ss.ss") for a time in seconds. */
export function formatTime(s: number): string {
  const t = Number.isFinite(s) && s > 0 ? s : 0;
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t - h * 3600 - m * 60;
  const ss = sec.toFixed(2).padStart(5, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

const span = (r: AudioRegion | RegionSpan): RegionSpan => ({ start: roundMs(r.start), end: roundMs(r.end), label: r.label });

/** A clip's regions under review: the selection, a pending start (B with none
 * selected), the operation log and its undo. */
export class RegionEditor {
  private list: AudioRegion[];
  selected: string | null = null;
  /** B with no region selected: the new region's start, until E ends it */
  pending: number | null = null;
  readonly ops: RegionOp[] = [];
  private undoStack: { op: RegionOp; prevSelected: string | null }[] = [];
  private counter = 0;

  constructor(
    initial: readonly AudioRegion[],
    readonly duration: number,
    private readonly clock: () => number,
  ) {
    this.list = initial.map((r) => ({ id: String(r.id), start: roundMs(Number(r.start)), end: roundMs(Number(r.end)), label: String(r.label) }));
  }

  /** the regions by start time (then end, then id) */
  regions(): AudioRegion[] {
    return [...this.list].sort((a, b) => a.start - b.start || a.end - b.end || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string | null): AudioRegion | undefined {
    return id === null ? undefined : this.list.find((r) => r.id === id);
  }

  /** the regions as the decision sends them (seconds rounded to ms) */
  toData(): AudioRegion[] {
    return this.regions().map((r) => ({ id: r.id, start: roundMs(r.start), end: roundMs(r.end), label: r.label }));
  }

  changed(): boolean {
    return this.ops.length > 0;
  }

  private newId(): string {
    const taken = new Set(this.list.map((r) => r.id));
    let id: string;
    do id = `new-${++this.counter}`;
    while (taken.has(id));
    return id;
  }

  private log(op: RegionOpKind, id: string, before: RegionSpan | null, after: RegionSpan | null, prevSelected: string | null): void {
    const o: RegionOp = { op, id, t_ms: Math.max(0, Math.round(this.clock())), before, after };
    this.ops.push(o);
    this.undoStack.push({ op: o, prevSelected });
  }

  /** Check a span against the clip; the reason it does not fit, or null. */
  check(start: number, end: number): string | null {
    if (!Number.isFinite(start) || !Number.isFinite(end)) return "not a time";
    if (start < 0) return "it would start before the clip";
    if (end > this.duration + 1e-9) return "it would end after the clip";
    if (end - start < MIN_REGION - 1e-9) return "its end would not be after its start";
    return null;
  }

  /** A new region [start, end] with `label` (selected); null when it does not fit. */
  add(start: number, end: number, label: string): AudioRegion | null {
    const s = roundMs(clamp(start, 0, this.duration));
    const e = roundMs(clamp(end, 0, this.duration));
    if (this.check(s, e)) return null;
    const r: AudioRegion = { id: this.newId(), start: s, end: e, label };
    const prev = this.selected;
    this.list.push(r);
    this.selected = r.id;
    this.pending = null;
    this.log("add", r.id, null, span(r), prev);
    return r;
  }

  /** Move / resize region `id` to [start, end]; the reason when refused, else null. */
  move(id: string, start: number, end: number): string | null {
    const r = this.get(id);
    if (!r) return "no such region";
    const s = roundMs(start);
    const e = roundMs(end);
    const why = this.check(s, e);
    if (why) return why;
    if (s === r.start && e === r.end) return null;
    const before = span(r);
    r.start = s;
    r.end = e;
    this.log("move", id, before, span(r), this.selected);
    return null;
  }

  relabel(id: string, label: string): boolean {
    const r = this.get(id);
    if (!r || r.label === label) return false;
    const before = span(r);
    r.label = label;
    this.log("relabel", id, before, span(r), this.selected);
    return true;
  }

  remove(id: string): boolean {
    const i = this.list.findIndex((r) => r.id === id);
    if (i < 0) return false;
    const order = this.regions();
    const at = order.findIndex((r) => r.id === id);
    const [r] = this.list.splice(i, 1);
    const prev = this.selected;
    if (this.selected === id) {
      const next = order[at + 1] ?? order[at - 1];
      this.selected = next && next.id !== id ? next.id : null;
    }
    this.log("delete", id, span(r), null, prev);
    return true;
  }

  select(id: string | null): void {
    this.selected = id !== null && this.get(id) ? id : null;
  }

  /** Tab / Shift+Tab: the next / previous region by start (from none: the first / last). */
  cycle(dir: number): AudioRegion | null {
    const order = this.regions();
    if (!order.length) return null;
    const at = order.findIndex((r) => r.id === this.selected);
    const i = at < 0 ? (dir > 0 ? 0 : order.length - 1) : (at + (dir > 0 ? 1 : -1) + order.length) % order.length;
    this.selected = order[i].id;
    return order[i];
  }

  canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  /** Undo the last operation (it leaves the log too); its region id, or null. */
  undo(): string | null {
    const u = this.undoStack.pop();
    if (!u) return null;
    const { op } = u;
    const i = this.ops.lastIndexOf(op);
    if (i >= 0) this.ops.splice(i, 1);
    if (op.op === "add") this.list = this.list.filter((r) => r.id !== op.id);
    else if (op.op === "delete" && op.before) this.list.push({ id: op.id, ...op.before });
    else if (op.before) {
      const r = this.get(op.id);
      if (r) Object.assign(r, op.before);
    }
    this.selected = u.prevSelected !== null && this.get(u.prevSelected) ? u.prevSelected : this.get(op.id) ? op.id : null;
    return op.id;
  }
}

/** How long and how often a clip was listened to. `listened_ms` is wall-clock time while
 * the media element played; a play is counted at each start of playback (a resume after
 * a pause counts again); `ended` once it played to its end. */
export class ListenTracker {
  plays = 0;
  ended = false;
  private ms = 0;
  private since: number | null = null;

  get playing(): boolean {
    return this.since !== null;
  }

  play(t: number): void {
    if (this.since !== null) return;
    this.since = t;
    this.plays++;
  }

  stop(t: number): void {
    if (this.since === null) return;
    this.ms += Math.max(0, t - this.since);
    this.since = null;
  }

  end(t: number): void {
    this.stop(t);
    this.ended = true;
  }

  listenedMs(t: number): number {
    return Math.round(this.ms + (this.since !== null ? Math.max(0, t - this.since) : 0));
  }
}

/** The kernel's peaks (`binary[1]`: 2*n little-endian float32, n minima then n maxima)
 * as wavesurfer's channels: [maxima, minima] (it draws |top| up and |bottom| down). */
export function parsePeaks(part: BinaryPart | undefined, n: number): [Float32Array, Float32Array] | null {
  if (!part || !(n > 0)) return null;
  let view: DataView;
  if (part instanceof DataView) view = part;
  else if (part instanceof ArrayBuffer) view = new DataView(part);
  else if (ArrayBuffer.isView(part)) view = new DataView(part.buffer, part.byteOffset, part.byteLength);
  else return null;
  if (view.byteLength < 8 * n) return null;
  const min = new Float32Array(n);
  const max = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    min[i] = view.getFloat32(4 * i, true);
    max[i] = view.getFloat32(4 * (n + i), true);
  }
  return [max, min];
}

/** The bytes of a binary part (a copy-free view where it can). */
export function partBytes(part: BinaryPart | undefined): Uint8Array | null {
  if (!part) return null;
  if (part instanceof ArrayBuffer) return new Uint8Array(part);
  if (ArrayBuffer.isView(part)) return new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
  return null;
}

/** What require_play refuses (null: the decision may go). */
export function playRequirement(mode: unknown, plays: number, ended: boolean): string | null {
  if (mode === "played" && plays < 1) return "Play the clip before deciding (this review requires it); S skips, F flags.";
  if (mode === "ended" && !ended) return "Play the clip to its end before deciding (this review requires it); S skips, F flags.";
  return null;
}
