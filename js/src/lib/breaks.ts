/**
 * This sitting: a break prompt every `config.break_every` decisions, and the time per
 * item with a fatigue signal in the progress line.
 *
 * - Break: after `break_every` decisions made in this view (verdicts and skips of the
 *   kernel's vocabulary; not ratings, undo, notes or Python-made ones), an overlay "You
 *   have reviewed N items: take a break" (`[data-testid="break-prompt"]`) covers the
 *   item. It is a modal (lib/modal.ts) from the decision on: any key (used up: no
 *   decision is made by it) or its button (`[data-testid="break-dismiss"]`) dismisses
 *   it, and the count starts again. It shows in the frame that paints the next item
 *   (with `data-painted-qi`), never before it. `break_every` null / 0: never.
 * - Pace: the median time on screen (`duration_ms`) of the last `window` (20) decisions,
 *   shown as "… s/item" (`[data-testid="pace"]`). When the sitting has at least
 *   2 x window decisions and that recent median exceeds `ratio` (1.5) x the median of the
 *   first `window`, the line says so (`data-fatigue="true"`, `[data-testid="fatigue"]`).
 *   Purely informational: nothing is blocked.
 */
import { el, setAttr, setText, show } from "./dom";
import { cancelFrame, frame } from "./keyboard";
import type { Modal, Modals } from "./modal";
import type { ReviewClient } from "./protocol";
import type { BaseItem, Decision } from "./types";

/* ------------------------------------------------------------------ pace */

export interface PaceStats {
  /** decisions timed in this sitting */
  n: number;
  /** median ms per item over the last `window` decisions (null before the first) */
  recentMs: number | null;
  /** median ms per item over the first `window` decisions (null until 2 x window) */
  earlyMs: number | null;
  /** recentMs > ratio x earlyMs with 2 x window decisions or more */
  fatigue: boolean;
}

export function median(xs: readonly number[]): number | null {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export function computePace(durations: readonly number[], window = 20, ratio = 1.5): PaceStats {
  const w = Math.max(1, Math.floor(window));
  const n = durations.length;
  const recentMs = median(durations.slice(Math.max(0, n - w)));
  if (n < 2 * w) return { n, recentMs, earlyMs: null, fatigue: false };
  const earlyMs = median(durations.slice(0, w));
  const fatigue = recentMs !== null && earlyMs !== null && earlyMs > 0 && recentMs > ratio * earlyMs;
  return { n, recentMs, earlyMs, fatigue };
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

export function formatPace(p: PaceStats): { pace: string; fatigue: string } {
  if (p.recentMs === null) return { pace: "", fatigue: "" };
  const pace = `${formatSeconds(p.recentMs)}/item`;
  const fatigue =
    p.fatigue && p.earlyMs !== null
      ? `slowing down: ${formatSeconds(p.recentMs)} vs ${formatSeconds(p.earlyMs)} per item at the start`
      : "";
  return { pace, fatigue };
}

/** The count since the last break and the durations of this sitting. */
export class Sitting {
  /** decisions since the last break (or the start) */
  sinceBreak = 0;
  /** decisions in this sitting */
  total = 0;
  readonly durations: number[] = [];

  constructor(
    readonly window = 20,
    readonly ratio = 1.5,
  ) {}

  /** Count one decision; returns true when a break is due (`every` decisions reached). */
  record(durationMs: number | null | undefined, every: number | null): boolean {
    this.sinceBreak++;
    this.total++;
    const d = durationMs === null || durationMs === undefined ? NaN : Number(durationMs);
    if (Number.isFinite(d) && d >= 0) {
      this.durations.push(d);
      if (this.durations.length > 5000) this.durations.splice(this.window, this.durations.length - 5000); // keep the first window
    }
    return every !== null && every > 0 && this.sinceBreak >= every;
  }

  /** A break was taken (the prompt dismissed): count again from zero. */
  tookBreak(): void {
    this.sinceBreak = 0;
  }

  pace(): PaceStats {
    return computePace(this.durations, this.window, this.ratio);
  }
}

/** `config.break_every` as a positive integer, or null. */
export function breakEvery(config: Record<string, unknown>): number | null {
  const v = Number(config.break_every);
  return config.break_every !== null && config.break_every !== undefined && Number.isFinite(v) && v >= 1 ? Math.floor(v) : null;
}

/* ------------------------------------------------------------------ views */

export interface SittingAids {
  readonly sitting: Sitting;
  /** the break overlay: append it to the widget root (which is position: relative) */
  readonly prompt: HTMLElement;
  /** the pace line: put it in the progress line */
  readonly pace: HTMLElement;
  isBreakOpen(): boolean;
  openBreak(): void;
  closeBreak(): void;
  /** refresh the pace line */
  update(): void;
  /** called when the prompt closes */
  onClose: () => void;
  dispose(): void;
}

/**
 * Count this view's decisions (the client's `decided` event) for breaks and pace; the
 * break prompt is a modal of `modals`. When `progress` (the widget's
 * `[data-testid="progress"]` element) is given, the pace line is put in it, before the bar.
 */
export function attachSitting<I extends BaseItem>(
  client: ReviewClient<I>,
  modals: Modals,
  opts: { progress?: HTMLElement | null; window?: number; ratio?: number } = {},
): SittingAids {
  const cfg = client.config();
  const sitting = new Sitting(
    Number(cfg.fatigue_window) >= 2 ? Math.floor(Number(cfg.fatigue_window)) : (opts.window ?? 20),
    opts.ratio ?? 1.5,
  );
  const paceText = el("span", { cls: "hitl-pace-value" });
  const fatigueText = el("span", { cls: "hitl-fatigue", testid: "fatigue", hidden: true });
  const pace = el(
    "span",
    { cls: "hitl-pace", testid: "pace", title: "Median time per item over your last decisions", attrs: { "data-fatigue": "false" } },
    [paceText, fatigueText],
  );
  const count = el("strong", { cls: "hitl-break-count" });
  const button = el("button", {
    cls: "hitl-btn hitl-break-btn",
    testid: "break-dismiss",
    text: "Continue",
    attrs: { type: "button", tabindex: -1 },
  });
  const prompt = el(
    "div",
    { cls: "hitl-break", testid: "break-prompt", hidden: true, attrs: { role: "dialog", "aria-label": "Take a break" } },
    [
      el("div", { cls: "hitl-break-card" }, [
        el("div", { cls: "hitl-break-title" }, [count]),
        el("div", { cls: "hitl-break-text", text: "Rest your eyes for a few minutes: decisions are saved." }),
        button,
        el("div", { cls: "hitl-break-hint", text: "Any key continues (it makes no decision)." }),
      ]),
    ],
  );
  if (opts.progress) {
    const bar = opts.progress.querySelector(".hitl-progress-bar");
    opts.progress.insertBefore(pace, bar && bar.parentNode === opts.progress ? bar : null);
  }

  let open = false;
  let raf: number | null = null;
  const modal: Modal = { name: "break", onKey: () => aids.closeBreak() };
  const aids: SittingAids = {
    sitting,
    prompt,
    pace,
    isBreakOpen: () => open,
    openBreak() {
      setText(count, `You have reviewed ${sitting.sinceBreak} items: take a break`);
      prompt.setAttribute("data-count", String(sitting.sinceBreak));
      open = true;
      modals.open(modal); // it has the keys at once
      // shown in the next frame: the one that paints the item after the decision (the
      // view paints synchronously after this), so nothing reads the prompt as shown
      // over the item it followed
      if (raf !== null) cancelFrame(raf);
      raf = frame(() => {
        raf = null;
        if (open) show(prompt, true);
      });
    },
    closeBreak() {
      if (!open) return;
      open = false;
      if (raf !== null) cancelFrame(raf);
      raf = null;
      show(prompt, false);
      sitting.tookBreak();
      modals.close(modal);
      aids.onClose();
    },
    update() {
      const p = sitting.pace();
      const f = formatPace(p);
      setText(paceText, f.pace);
      setText(fatigueText, f.fatigue ? ` · ${f.fatigue}` : "");
      show(fatigueText, f.fatigue.length > 0);
      show(pace, f.pace.length > 0);
      setAttr(pace, "data-fatigue", p.fatigue ? "true" : "false");
    },
    onClose: () => {},
    dispose() {
      off();
      if (raf !== null) cancelFrame(raf);
      raf = null;
      modals.close(modal);
    },
  };
  const off = client.events.on("decided", ({ decision }: { decision: Decision }) => {
    // an item reviewed: a verdict or a skip (a rating, a note or an undo is not one)
    if (decision.action !== "skip" && !client.vocabulary().verdicts.includes(decision.action)) return;
    if (sitting.record(decision.duration_ms, breakEvery(client.config())) && !open) aids.openBreak();
    aids.update();
  });
  button.addEventListener("click", () => aids.closeBreak());
  aids.update();
  return aids;
}
