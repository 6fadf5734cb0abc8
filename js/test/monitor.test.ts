/** @vitest-environment jsdom */
import { afterEach, describe, expect, it } from "vitest";
import widget, { mount, type Figures } from "../src/widgets/monitor";
import { FakeModel } from "./helpers";

const q = (root: ParentNode, id: string) => root.querySelector(`[data-testid="${id}"]`) as HTMLElement;

function figures(extra: Partial<Figures> = {}): Figures {
  return {
    task: "claims",
    window: "1D",
    target_error: 0.05,
    alpha: 0.05,
    level: 95,
    cp_meaning: "one-look 95% Clopper-Pearson interval: valid for a single look at this window",
    cs_meaning: "95% confidence sequence: valid however often it is watched (anytime-valid)",
    overseer: "ana",
    updated_at: "2026-01-31T09:30:00Z",
    loading: false,
    error: null,
    paused: { paused: false, by: null, at: null, why: null },
    latest: { window_start: "2026-01-31T00:00:00Z", window_end: "2026-02-01T00:00:00Z", audits: 40, errors: 4, error: 0.1, low: 0.028, upper: 0.237 },
    running: { audits: 120, errors: 6, error: 0.05, low: 0.012, upper: 0.14, alarm: false, alarm_since: null },
    expected: { estimate: 0.031, low: 0.01, high: 0.06, n: 300, assumption: "the model is calibrated on the current data" },
    auto: { routed: 100, auto_accepted: 70, share: 0.7, routed_total: 300, auto_total: 210 },
    alerts: [],
    series: [
      { window_start: "2026-01-29T00:00:00Z", audits: 40, audit_error: 0.0, running_error: 0.0, running_low: 0, running_upper: 0.09, alarm: false },
      { window_start: "2026-01-30T00:00:00Z", audits: 40, audit_error: 0.05, running_error: 0.025, running_low: 0.002, running_upper: 0.11, alarm: false },
      { window_start: "2026-01-31T00:00:00Z", audits: 40, audit_error: 0.1, running_error: 0.05, running_low: 0.012, running_upper: 0.14, alarm: false },
    ],
    notice: null,
    ...extra,
  };
}

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
  document.body.replaceChildren();
});

function setup(f: Figures = figures()) {
  const model = new FakeModel({ figures: f });
  const host = document.createElement("div");
  document.body.appendChild(host);
  cleanups.push(mount(model.asModel(), host));
  const root = q(host, "monitor-root");
  return { model, host, root };
}

describe("monitor widget", () => {
  it("renders the figures: both intervals with what they are valid for, expected error, share, chart", () => {
    const { root } = setup();
    expect(root.classList.contains("hitl-root")).toBe(true);
    expect(q(root, "monitor-title").textContent).toBe("Monitor · task claims");
    expect(q(root, "latest").textContent).toBe("10.0% (4 of 40 audits)");
    expect(q(root, "latest-interval").textContent).toContain("[2.8%, 23.7%]");
    expect(q(root, "latest-meaning").textContent).toContain("single look");
    expect(q(root, "running").textContent).toBe("5.0% (6 of 120 audits)");
    expect(q(root, "running-interval").textContent).toBe("[1.2%, 14.0%]");
    expect(q(root, "running-meaning").textContent).toContain("however often");
    expect(q(root, "expected").textContent).toBe("3.1%");
    expect(q(root, "expected-meaning").textContent).toContain("assumes the model is calibrated");
    expect(q(root, "auto").textContent).toBe("70.0%");
    expect(q(root, "alarm").getAttribute("data-on")).toBe("false");
    expect(q(root, "monitor-status").textContent).toBe("ok");
    expect(root.getAttribute("data-audits")).toBe("120");
    expect(q(root, "pause-state").textContent).toBe("Automation running");
    expect(q(root, "pause-button").textContent).toBe("Pause automation");
    expect((q(root, "pause-button") as HTMLButtonElement).disabled).toBe(false);
    const chart = q(root, "chart").querySelector("svg")!;
    expect(chart.querySelectorAll('[data-testid="chart-window"]').length).toBe(3);
    expect(chart.querySelector('[data-testid="chart-band"]')).not.toBeNull();
    expect(chart.querySelector('[data-testid="chart-running"]')!.getAttribute("points")!.split(" ").length).toBe(3);
    expect(chart.querySelector('[data-testid="chart-target"]')).not.toBeNull();
    expect(widget.render).toBeTypeOf("function");
  });

  it("draws one window as a bar and a point", () => {
    const { root } = setup(figures({ series: figures().series!.slice(0, 1) }));
    const chart = q(root, "chart").querySelector("svg")!;
    expect(chart.querySelector('[data-testid="chart-band"]')!.tagName).toBe("rect");
    expect(chart.querySelector('[data-testid="chart-running"]')!.tagName).toBe("circle");
    expect(chart.textContent).toContain("2026-01-29 00:00:00 UTC");
  });

  it("updates when the figures trait changes: alarm, alerts, pause state", () => {
    const { model, root } = setup();
    const f = figures({
      running: { audits: 200, errors: 40, error: 0.2, low: 0.12, upper: 0.3, alarm: true, alarm_since: "2026-02-01T00:00:00Z" },
      alerts: [{ rule: "running_low > 0.05", value: 0.12, window_start: "2026-02-01T00:00:00Z", row: 3 }],
      series: [
        ...figures().series!,
        { window_start: "2026-02-01T00:00:00Z", audits: 80, audit_error: 0.425, running_error: 0.2, running_low: 0.12, running_upper: 0.3, alarm: true },
      ],
      paused: { paused: true, by: "ben", at: "2026-02-01T10:00:00.000Z", why: "error above target" },
    });
    model.set("figures", f);
    expect(q(root, "running").textContent).toBe("20.0% (40 of 200 audits)");
    expect(q(root, "alarm").getAttribute("data-on")).toBe("true");
    expect(q(root, "alarm").textContent).toContain("ALARM");
    expect(root.getAttribute("data-alarm")).toBe("true");
    expect(root.getAttribute("data-audits")).toBe("200");
    expect([...root.querySelectorAll('[data-testid="alert"]')].map((a) => a.textContent)).toEqual([
      "running_low > 0.05: 0.120 at 2026-02-01 00:00:00 UTC",
    ]);
    expect(q(root, "chart").querySelectorAll('[data-testid="chart-alarm"]').length).toBe(1);
    expect(q(root, "pause-state").textContent).toBe("Automation paused by ben at 2026-02-01 10:00:00 UTC: error above target");
    expect(q(root, "pause-button").textContent).toBe("Resume automation");
    expect(q(root, "monitor-status").textContent).toBe("paused");
    model.set("figures", figures({ latest: { ...figures().latest!, current: false } }));
    expect(q(root, "latest-interval").textContent).toContain("(no audit in the current window yet)");
    model.set("figures", figures({ error: "no audits of task 'claims'", latest: null, running: null, series: [] }));
    expect(q(root, "monitor-error").hidden).toBe(false);
    expect(q(root, "monitor-error").textContent).toBe("no audits of task 'claims'");
    expect(q(root, "running").textContent).toBe("—");
    expect(q(root, "chart").querySelector("svg")).toBeNull();
  });

  it("the pause control sends the reason; resume sends resume; an empty reason is refused on the page", () => {
    const { model, root } = setup();
    const input = q(root, "pause-reason") as HTMLInputElement;
    const button = q(root, "pause-button") as HTMLButtonElement;
    button.click();
    expect(model.sent).toEqual([]);
    expect(q(root, "pause-notice").textContent).toContain("Say why");
    input.value = "drift since Monday";
    button.click();
    expect(model.sent).toEqual([{ type: "pause", why: "drift since Monday", req: "switch-1" }]);
    expect(button.disabled).toBe(true);
    model.deliver({ type: "switched", req: "switch-1", ok: true, action: "pause", text: "paused by ana at t" });
    expect(button.disabled).toBe(false);
    expect(q(root, "pause-notice").textContent).toBe("paused by ana at t");
    expect(input.value).toBe("");
    model.set("figures", figures({ paused: { paused: true, by: "ana", at: "2026-02-01T10:00:00Z", why: "drift since Monday" } }));
    input.value = "";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(model.sent[1]).toEqual({ type: "resume", why: "", req: "switch-2" });
    model.deliver({ type: "switched", req: "switch-2", ok: false, action: "resume", text: "store is read-only" });
    expect(q(root, "pause-notice").getAttribute("data-ok")).toBe("false");
  });

  it("without an overseer the switch is disabled", () => {
    const { model, root } = setup(figures({ overseer: null }));
    const button = q(root, "pause-button") as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    (q(root, "pause-reason") as HTMLInputElement).value = "x";
    button.click();
    expect(model.sent).toEqual([]);
  });

  it("shows hostile text literally", () => {
    const evil = `<img src=x onerror=alert(1)>`;
    const { root } = setup(
      figures({
        task: `<script>alert(2)</script>`,
        error: `<b>bold</b>`,
        paused: { paused: true, by: `<svg onload=alert(3)>`, at: "2026-02-01T10:00:00Z", why: evil },
        alerts: [{ rule: `<i>rule</i>`, value: 1, window_start: null, row: 0 }],
        expected: { estimate: 0.1, low: 0, high: 0.2, n: 5, assumption: `<a href="javascript:alert(4)">x</a>` },
        notice: { ok: false, action: "pause", text: `<iframe src=x>` },
      }),
    );
    expect(root.querySelector("img, script, b, i, a, iframe")).toBeNull();
    expect(root.querySelector("svg[onload]")).toBeNull();
    expect(q(root, "monitor-title").textContent).toBe("Monitor · task <script>alert(2)</script>");
    expect(q(root, "pause-state").textContent).toContain(`paused by <svg onload=alert(3)>`);
    expect(q(root, "pause-state").textContent).toContain(evil);
    expect(q(root, "monitor-error").textContent).toBe("<b>bold</b>");
    expect(q(root, "alert").textContent).toContain("<i>rule</i>");
    expect(q(root, "pause-notice").textContent).toBe("<iframe src=x>");
  });

  it("removes its listeners on cleanup", () => {
    const model = new FakeModel({ figures: figures() });
    const host = document.createElement("div");
    const dispose = mount(model.asModel(), host);
    expect(model.listenerCount()).toBe(2);
    dispose();
    expect(model.listenerCount()).toBe(0);
    expect(host.children.length).toBe(0);
  });
});
