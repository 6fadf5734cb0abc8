/**
 * Progress: done / total, items per minute over this session's decisions, time left.
 */
import { el, setText } from "./dom";

export interface ProgressInput {
  done: number;
  total: number;
  /** performance.now() of each decision of this session, oldest first */
  decisionTimes: readonly number[];
  /** performance.now() */
  now: number;
  /** how many recent decisions the rate uses (default 50) */
  window?: number;
}

export interface ProgressStats {
  done: number;
  total: number;
  /** 0..1 */
  fraction: number;
  /** items per minute over this session's recent decisions (null until two decisions) */
  perMinute: number | null;
  /** estimated time left in ms (null without a rate) */
  etaMs: number | null;
  /** decisions made in this session */
  session: number;
}

export function computeProgress(input: ProgressInput): ProgressStats {
  const total = Math.max(0, input.total || 0);
  const done = Math.max(0, Math.min(input.done || 0, total || Infinity));
  const times = input.decisionTimes;
  const k = Math.min(times.length, Math.max(2, input.window ?? 50));
  let perMinute: number | null = null;
  if (k >= 2) {
    const first = times[times.length - k];
    // counted up to now, so the rate decays while the reviewer pauses
    const span = Math.max(input.now, times[times.length - 1]) - first;
    if (span > 0) perMinute = ((k - 1) / span) * 60000;
  }
  const left = Math.max(0, total - done);
  const etaMs = perMinute && perMinute > 0 ? (left / perMinute) * 60000 : null;
  return {
    done,
    total,
    fraction: total > 0 ? done / total : 0,
    perMinute,
    etaMs: left === 0 ? 0 : etaMs,
    session: times.length,
  };
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, "0")}m`;
}

// one formatter (toLocaleString makes a new one per call: about a millisecond per paint)
let numberFormat: Intl.NumberFormat | null = null;
function formatCount(n: number): string {
  if (!numberFormat && typeof Intl !== "undefined") numberFormat = new Intl.NumberFormat("en-US");
  return numberFormat ? numberFormat.format(n) : String(n);
}

export function formatProgress(p: ProgressStats): string {
  const parts = [`${formatCount(p.done)} / ${formatCount(p.total)} done`];
  if (p.perMinute !== null) parts.push(`${p.perMinute.toFixed(1)} items/min`);
  if (p.etaMs !== null && p.etaMs > 0) parts.push(`~${formatDuration(p.etaMs)} left`);
  return parts.join(" · ");
}

export interface ProgressView {
  el: HTMLElement;
  update(p: ProgressStats): void;
}

/** The progress line + bar (data-testid="progress"). */
export function createProgressView(): ProgressView {
  const fill = el("div", { cls: "hitl-progress-fill" });
  const bar = el("div", { cls: "hitl-progress-bar", attrs: { role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 } }, [fill]);
  const text = el("span", { cls: "hitl-progress-text" });
  const root = el("div", { cls: "hitl-progress", testid: "progress" }, [text, bar]);
  return {
    el: root,
    update(p) {
      setText(text, formatProgress(p));
      const pct = Math.round(p.fraction * 1000) / 10;
      fill.style.width = `${pct}%`;
      bar.setAttribute("aria-valuenow", String(pct));
    },
  };
}
