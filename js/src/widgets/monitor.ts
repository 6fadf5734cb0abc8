/**
 * Monitor widget (anywidget ESM entry): the audited error of what the automation let
 * through, live. Not a review: one synced trait, `figures` (a JSON dict the kernel
 * recomputes when the store changes), painted here; and the pause switch, whose button
 * sends `{type: "pause" | "resume", why, req}` for the kernel to write the switch event.
 *
 * Everything that comes from data (task names, who paused, reasons, rules, errors) is set
 * with textContent (lib/dom `el`, `setText`): nothing here parses HTML.
 */
import "../lib/theme.css";
import "../lib/monitor.css";
import type { AnyModel, RenderProps } from "@anywidget/types";
import { clear, el, formatPercent, setAttr, setText, show } from "../lib/dom";

const SVG = "http://www.w3.org/2000/svg";

export interface Interval {
  error: number | null;
  low: number | null;
  upper: number | null;
}
export interface Figures {
  task?: string;
  window?: string;
  target_error?: number;
  alpha?: number;
  level?: number;
  cp_meaning?: string;
  cs_meaning?: string;
  overseer?: string | null;
  updated_at?: string;
  loading?: boolean;
  error?: string | null;
  paused?: { paused: boolean; by: string | null; at: string | null; why: string | null } | null;
  latest?: (Interval & { window_start: string | null; window_end: string | null; current?: boolean; audits: number; errors: number }) | null;
  running?: (Interval & { audits: number; errors: number; alarm: boolean; alarm_since: string | null }) | null;
  expected?: {
    estimate: number | null;
    low: number | null;
    high: number | null;
    n: number;
    assumption: string;
  } | null;
  auto?: { routed: number; auto_accepted: number; share: number | null; routed_total: number; auto_total: number } | null;
  alerts?: { rule: string; value: number | null; window_start: string | null; row: number }[];
  series?: {
    window_start: string | null;
    audits: number;
    audit_error: number | null;
    running_error: number | null;
    running_low: number | null;
    running_upper: number | null;
    alarm: boolean;
  }[];
  notice?: { ok: boolean; action: string; text: string } | null;
}

const pct = (x: number | null | undefined): string => {
  const s = formatPercent(x, 1);
  return s === "" ? "—" : s;
};
const interval = (lo: number | null | undefined, hi: number | null | undefined): string =>
  lo === null || lo === undefined || hi === null || hi === undefined ? "" : `[${pct(lo)}, ${pct(hi)}]`;
const when = (t: string | null | undefined): string => (t ? t.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC") : "");

function stat(label: string, testid: string): { box: HTMLElement; value: HTMLElement; sub: HTMLElement; note: HTMLElement } {
  const value = el("div", { cls: "hitl-mon-value", testid });
  const sub = el("div", { cls: "hitl-mon-sub", testid: `${testid}-interval` });
  const note = el("div", { cls: "hitl-mon-note", testid: `${testid}-meaning` });
  const box = el("section", { cls: "hitl-mon-stat" }, [el("h4", { text: label }), value, sub, note]);
  return { box, value, sub, note };
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** The chart: running error with its confidence-sequence band, the target, per-window
 * audited errors as dots and the alarm windows marked. */
export function chart(f: Figures, width = 560, height = 160): SVGSVGElement {
  const series = f.series ?? [];
  const target = typeof f.target_error === "number" ? f.target_error : null;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    class: "hitl-mon-chart-svg",
  });
  const title = document.createElementNS(SVG, "title");
  title.textContent = "Running audited error with its confidence sequence, and the target";
  root.appendChild(title);
  const pad = { l: 40, r: 8, t: 8, b: 20 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const vals: number[] = [];
  for (const s of series) {
    for (const v of [s.running_upper, s.running_error, s.audit_error]) if (typeof v === "number") vals.push(v);
  }
  if (target !== null) vals.push(target * 1.5);
  const ymax = Math.min(1, Math.ceil(Math.max(0.05, ...vals) * 20) / 20); // up to a 5% step
  const n = series.length;
  const x = (i: number) => pad.l + (n <= 1 ? w / 2 : (i * w) / (n - 1));
  const y = (v: number) => pad.t + h - (Math.max(0, Math.min(ymax, v)) / ymax) * h;
  root.appendChild(svg("line", { x1: pad.l, y1: pad.t + h, x2: pad.l + w, y2: pad.t + h, class: "hitl-mon-axis" }));
  for (const tick of [0, ymax / 2, ymax]) {
    const t = svg("text", { x: pad.l - 4, y: y(tick) + 4, "text-anchor": "end", class: "hitl-mon-tick" });
    t.textContent = pct(tick);
    root.appendChild(t);
  }
  // alarm windows
  series.forEach((s, i) => {
    if (!s.alarm) return;
    const half = n <= 1 ? w / 2 : w / (n - 1) / 2;
    root.appendChild(
      svg("rect", { x: x(i) - half, y: pad.t, width: 2 * half, height: h, class: "hitl-mon-alarm-band", "data-testid": "chart-alarm" }),
    );
  });
  // the confidence sequence band
  const upper: string[] = [];
  const lower: string[] = [];
  series.forEach((s, i) => {
    if (typeof s.running_low === "number" && typeof s.running_upper === "number" && s.running_upper < 1) {
      upper.push(`${x(i).toFixed(1)},${y(s.running_upper).toFixed(1)}`);
      lower.unshift(`${x(i).toFixed(1)},${y(s.running_low).toFixed(1)}`);
    }
  });
  if (upper.length > 1) {
    root.appendChild(svg("polygon", { points: [...upper, ...lower].join(" "), class: "hitl-mon-band", "data-testid": "chart-band" }));
  } else if (n === 1 && typeof series[0].running_low === "number" && typeof series[0].running_upper === "number") {
    // one window: the sequence as a bar
    const top = y(series[0].running_upper);
    root.appendChild(
      svg("rect", { x: x(0) - 8, y: top, width: 16, height: Math.max(1, y(series[0].running_low) - top), class: "hitl-mon-band", "data-testid": "chart-band" }),
    );
  }
  // the first and last window's start under the axis
  const label = (i: number, anchor: string) => {
    const t = svg("text", { x: x(i), y: height - 4, "text-anchor": anchor, class: "hitl-mon-tick" });
    t.textContent = when(series[i].window_start);
    root.appendChild(t);
  };
  if (n >= 1) label(0, n === 1 ? "middle" : "start");
  if (n >= 2) label(n - 1, "end");
  const line = series
    .map((s, i) => (typeof s.running_error === "number" ? `${x(i).toFixed(1)},${y(s.running_error).toFixed(1)}` : null))
    .filter((p): p is string => p !== null);
  if (line.length > 1) {
    root.appendChild(svg("polyline", { points: line.join(" "), class: "hitl-mon-line", "data-testid": "chart-running" }));
  } else if (line.length === 1) {
    const [cx, cy] = line[0].split(",");
    root.appendChild(svg("circle", { cx, cy, r: 4, class: "hitl-mon-line-dot", "data-testid": "chart-running" }));
  }
  series.forEach((s, i) => {
    if (typeof s.audit_error === "number") {
      root.appendChild(svg("circle", { cx: x(i), cy: y(s.audit_error), r: 2.5, class: "hitl-mon-dot", "data-testid": "chart-window" }));
    }
  });
  if (target !== null) {
    root.appendChild(svg("line", { x1: pad.l, y1: y(target), x2: pad.l + w, y2: y(target), class: "hitl-mon-target", "data-testid": "chart-target" }));
  }
  return root;
}

export function mount(model: AnyModel, host: HTMLElement): () => void {
  const title = el("span", { cls: "hitl-mon-title", testid: "monitor-title" });
  const status = el("span", { cls: "hitl-mon-status", testid: "monitor-status" });
  const updated = el("span", { cls: "hitl-mon-updated", testid: "monitor-updated" });
  const header = el("div", { cls: "hitl-header hitl-mon-header" }, [title, status, updated]);
  const problem = el("div", { cls: "hitl-mon-problem", testid: "monitor-error", hidden: true });

  // the switch
  const pauseState = el("div", { cls: "hitl-mon-pause-state", testid: "pause-state" });
  const reason = el("input", {
    cls: "hitl-note-input hitl-mon-reason",
    testid: "pause-reason",
    attrs: { type: "text", placeholder: "reason (kept with the switch)", maxlength: 2000, "aria-label": "Reason" },
  });
  const button = el("button", { cls: "hitl-btn hitl-mon-switch", testid: "pause-button", attrs: { type: "button" } });
  const notice = el("div", { cls: "hitl-mon-notice", testid: "pause-notice", hidden: true });
  const switchBox = el("section", { cls: "hitl-mon-switchbox", testid: "pause-box" }, [
    pauseState,
    el("div", { cls: "hitl-note hitl-mon-controls" }, [reason, button]),
    notice,
  ]);

  const latest = stat("Latest audited window: error", "latest");
  const running = stat("Running audited error", "running");
  const expected = stat("Expected error from confidences", "expected");
  const auto = stat("Auto-accepted share", "auto");
  const alarm = el("div", { cls: "hitl-mon-alarm", testid: "alarm" });
  const grid = el("div", { cls: "hitl-mon-grid" }, [latest.box, running.box, expected.box, auto.box]);
  const alertsTitle = el("h4", { text: "Alerts" });
  const alertsList = el("ul", { cls: "hitl-mon-alerts", testid: "alerts" });
  const alertsBox = el("section", { cls: "hitl-mon-alertsbox" }, [alertsTitle, alertsList]);
  const chartBox = el("div", { cls: "hitl-mon-chart", testid: "chart" });
  const legend = el("div", {
    cls: "hitl-mon-note",
    text: "Line: running error; band: its confidence sequence; dashed: the target; dots: each window's audited error; shaded: alarm.",
  });

  const root = el(
    "div",
    { cls: "hitl-root hitl-monitor", testid: "monitor-root", attrs: { role: "region", "aria-label": "Automation monitor", tabindex: -1 } },
    [header, problem, switchBox, alarm, grid, alertsBox, chartBox, legend],
  );
  host.appendChild(root);

  let req = 0;
  let paused = false;
  let canSwitch = false;

  function send(): void {
    if (!canSwitch) return;
    const why = reason.value;
    const type = paused ? "resume" : "pause";
    if (type === "pause" && !why.trim()) {
      setText(notice, "Say why the automation is paused: the reason is kept with the switch.");
      setAttr(notice, "data-ok", "false");
      show(notice, true);
      reason.focus();
      return;
    }
    req += 1;
    button.disabled = true;
    setAttr(root, "data-switching", type);
    model.send({ type, why, req: `switch-${req}` });
  }
  button.addEventListener("click", send);
  reason.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      send();
    }
    ev.stopPropagation(); // the notebook's shortcuts stay out of the text box
  });

  function onMsg(msg: unknown): void {
    if (!msg || typeof msg !== "object" || (msg as { type?: unknown }).type !== "switched") return;
    const m = msg as { ok?: boolean; text?: unknown };
    button.disabled = !canSwitch;
    root.removeAttribute("data-switching");
    setText(notice, m.text);
    setAttr(notice, "data-ok", m.ok ? "true" : "false");
    show(notice, true);
    if (m.ok) reason.value = "";
  }

  function paint(): void {
    const raw = model.get("figures");
    const f: Figures = raw && typeof raw === "object" ? (raw as Figures) : {};
    setText(title, `Monitor · task ${f.task ?? ""}`);
    setText(updated, f.updated_at ? `updated ${when(f.updated_at)}` : "");
    setAttr(root, "data-loading", f.loading ? "true" : "false");
    show(problem, !!f.error);
    setText(problem, f.error ?? "");

    // the switch
    const p = f.paused;
    paused = !!p?.paused;
    canSwitch = !!f.overseer;
    setAttr(root, "data-paused", paused ? "true" : "false");
    if (p?.paused) {
      setText(pauseState, `Automation paused by ${p.by ?? "?"} at ${when(p.at)}: ${p.why ?? ""}`);
    } else if (p && p.by) {
      setText(pauseState, `Automation running (resumed by ${p.by} at ${when(p.at)}${p.why ? `: ${p.why}` : ""})`);
    } else {
      setText(pauseState, p ? "Automation running" : f.loading ? "Reading the store…" : "Automation running");
    }
    setText(button, paused ? "Resume automation" : "Pause automation");
    if (!root.hasAttribute("data-switching")) button.disabled = !canSwitch;
    reason.disabled = !canSwitch;
    button.title = canSwitch
      ? `written to the store as ${f.overseer}`
      : "open the widget with overseer='your name' to pause or resume from here";
    if (f.notice && !root.hasAttribute("data-switching")) {
      setText(notice, f.notice.text);
      setAttr(notice, "data-ok", f.notice.ok ? "true" : "false");
      show(notice, true);
    }

    const level = typeof f.level === "number" ? f.level : 95;
    // latest window
    const l = f.latest;
    setText(latest.value, l ? `${pct(l.error)} (${l.errors} of ${l.audits} audits)` : "—");
    setText(
      latest.sub,
      l
        ? `${interval(l.low, l.upper)} ${when(l.window_start)} – ${when(l.window_end)}${l.current === false ? " (no audit in the current window yet)" : ""}`.trim()
        : "",
    );
    setText(latest.note, f.cp_meaning ?? `one-look ${level}% Clopper-Pearson interval`);
    // running
    const r = f.running;
    setText(running.value, r ? `${pct(r.error)} (${r.errors} of ${r.audits} audits)` : "—");
    setText(running.sub, r ? interval(r.low, r.upper) : "");
    setText(running.note, f.cs_meaning ?? `${level}% confidence sequence`);
    // the alarm
    const target = typeof f.target_error === "number" ? pct(f.target_error) : "—";
    const on = !!r?.alarm;
    setAttr(root, "data-alarm", on ? "true" : "false");
    setAttr(alarm, "data-on", on ? "true" : "false");
    setText(
      alarm,
      !r
        ? `Target error ${target}: no audits yet`
        : on
          ? `ALARM: the error of the auto-accepted items is above the target ${target} (sequence's lower end ${pct(r.low)}; since ${when(r.alarm_since)})`
          : `No alarm: the error is not shown to be above the target ${target}`,
    );
    // expected error
    const e = f.expected;
    setText(expected.value, e && e.n ? pct(e.estimate) : "—");
    setText(expected.sub, e && e.n ? `${interval(e.low, e.high)} over ${e.n} auto-accepted items` : "");
    setText(expected.note, e ? `assumes ${e.assumption}` : "assumes the model is calibrated");
    // auto share
    const a = f.auto;
    setText(auto.value, a ? pct(a.share) : "—");
    setText(auto.sub, a ? `${a.auto_accepted} of ${a.routed} routed in the latest window` : "");
    setText(auto.note, a ? `${a.auto_total} of ${a.routed_total} in all` : "");
    // status badge
    setText(status, paused ? "paused" : on ? "alarm" : f.error ? "waiting" : "ok");
    setAttr(status, "data-state", paused ? "paused" : on ? "alarm" : "ok");
    // alerts
    clear(alertsList);
    const fired = f.alerts ?? [];
    for (const al of fired) {
      alertsList.appendChild(
        el("li", { cls: "hitl-mon-alert", testid: "alert", text: `${al.rule}: ${al.value === null ? "—" : al.value.toPrecision(3)} at ${when(al.window_start)}` }),
      );
    }
    if (!fired.length) alertsList.appendChild(el("li", { cls: "hitl-mon-note", text: "no alert has fired" }));
    alertsTitle.textContent = `Alerts (${fired.length})`;
    // the chart
    clear(chartBox);
    if ((f.series ?? []).length) chartBox.appendChild(chart(f));
    setAttr(root, "data-audits", String(r ? r.audits : 0));
  }

  model.on("change:figures", paint);
  model.on("msg:custom", onMsg);
  paint();
  return () => {
    model.off("change:figures", paint);
    model.off("msg:custom", onMsg);
    root.remove();
  };
}

function render({ model, el: host }: RenderProps): () => void {
  return mount(model, host);
}

export default { render };
