/**
 * The waveform of the audio review: wavesurfer.js 8 (bundled, never fetched) with its
 * Regions plugin and our time axis, drawn from the kernel's peaks (`load(url, peaks,
 * duration)`: wavesurfer then neither fetches nor decodes the clip) and playing through
 * the review's own <audio> element (`media`), which the widget drives.
 *
 * The regions' truth is the widget's RegionEditor: `setRegions` draws them; what the
 * mouse does (drag on the waveform: a new region; drag a region or its edges; click one)
 * comes back through the callbacks, and the editor decides.
 */
import WaveSurfer from "wavesurfer.js";
import RegionsPlugin from "wavesurfer.js/dist/plugins/regions.esm.js";
import type { AudioRegion } from "./audioedit";

export interface WaveCallbacks {
  /** a drag on the waveform drew [start, end] */
  created: (start: number, end: number) => void;
  /** region `id` was dragged / resized to [start, end] */
  updated: (id: string, start: number, end: number) => void;
  clicked: (id: string) => void;
}

export interface WaveView {
  /** draw a clip: its Blob URL (set on the media element), peaks and duration */
  load(url: string, peaks: [Float32Array, Float32Array], duration: number): void;
  /** draw the regions (the selected one stands out) */
  setRegions(regions: AudioRegion[], selected: string | null): void;
  /** pixels per second (0: fit the width) */
  zoom(pxPerSec: number): void;
  /** the waveform's width in pixels */
  width(): number;
  destroy(): void;
}

const COLOR = "rgba(79, 140, 255, 0.22)";

/** Tick and label steps of the time axis (seconds). */
const STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** The time axis at `pxPerSec`: a tick at least every 8 px, a label every 70 px or more. */
export function axisSteps(pxPerSec: number): { tick: number; label: number; decimals: number } {
  const px = pxPerSec > 0 && Number.isFinite(pxPerSec) ? pxPerSec : 1;
  const first = (minPx: number) => STEPS.find((s) => s * px >= minPx) ?? STEPS[STEPS.length - 1];
  const label = first(70);
  // ticks that divide the label step
  let tick = first(8);
  while (tick < label && Math.round((label * 100) % (tick * 100)) !== 0) tick = STEPS[STEPS.indexOf(tick) + 1];
  return { tick: Math.min(tick, label), label, decimals: label >= 1 ? 0 : label >= 0.1 ? 1 : 2 };
}

/** A time axis label: "m:ss" (with `decimals` digits of the second), "h:mm:ss" past an hour. */
export function axisLabel(s: number, decimals: number): string {
  const t = Math.max(0, s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = (t - h * 3600 - m * 60).toFixed(decimals).padStart(decimals ? 3 + decimals : 2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
const COLOR_SELECTED = "rgba(255, 170, 40, 0.40)";

/**
 * The time axis: one element in wavesurfer's scrolling wrapper (it scrolls and zooms with
 * the waveform). The ticks are one repeating background and the labels are placed in
 * percent of the clip, so nothing is measured per label (wavesurfer's Timeline plugin read
 * each label's width, a forced layout per label: about 30 ms for a 3 s clip, every time
 * the clip's duration or the zoom changed). Inline styles: it lives in a shadow root,
 * where only inherited CSS variables reach.
 */
export function drawAxis(axis: HTMLElement, duration: number, pxPerSec: number): void {
  const dur = Number.isFinite(duration) && duration > 0 ? duration : 0;
  axis.replaceChildren();
  if (!dur) return;
  const a = axisSteps(pxPerSec);
  const ticks = document.createElement("div");
  ticks.style.cssText =
    "position:absolute;left:0;right:0;top:0;height:4px;background-repeat:repeat-x;" +
    "background-image:linear-gradient(to right,var(--hitl-fg2,#888) 1px,transparent 1px);" +
    `background-size:${+((100 * a.tick) / dur).toFixed(6)}% 100%`;
  const frag = document.createDocumentFragment();
  frag.append(ticks);
  const n = Math.floor(dur / a.label + 1e-9);
  for (let i = 0; i <= n; i++) {
    const t = i * a.label;
    const label = document.createElement("span");
    label.style.cssText = `position:absolute;top:3px;left:${+((100 * t) / dur).toFixed(6)}%;padding-left:3px;border-left:1px solid var(--hitl-fg2,#888);height:12px`;
    label.textContent = axisLabel(t, a.decimals);
    frag.append(label);
  }
  axis.append(frag);
  axis.setAttribute("data-label-step", String(a.label));
  axis.setAttribute("data-tick-step", String(a.tick));
}

export function createWaveView(container: HTMLElement, media: HTMLMediaElement, cb: WaveCallbacks): WaveView {
  const regions = RegionsPlugin.create();
  const ws = WaveSurfer.create({
    container,
    media,
    height: 96,
    waveColor: "#8aa4c8",
    progressColor: "#3f6fb5",
    cursorColor: "#d9480f",
    cursorWidth: 2,
    normalize: false,
    interact: true,
    dragToSeek: false,
    autoScroll: true,
    autoCenter: true,
    plugins: [regions],
  });
  const axis = document.createElement("div");
  axis.setAttribute("part", "hitl-axis");
  axis.setAttribute("data-testid", "time-axis");
  axis.style.cssText =
    "position:relative;height:16px;font-size:10px;line-height:12px;color:var(--hitl-fg2,#777);" +
    "pointer-events:none;white-space:nowrap;overflow:hidden;user-select:none";
  ws.getWrapper().appendChild(axis);
  let axisKey = "";
  /** the time axis for `pxPerSec` (steps that read well at that scale) */
  function setAxis(pxPerSec: number): void {
    const k = `${duration}/${JSON.stringify(axisSteps(pxPerSec))}`;
    if (k === axisKey) return;
    axisKey = k;
    drawAxis(axis, duration, pxPerSec);
  }
  let duration = 0;
  /** the wavesurfer regions drawn, by our id */
  const drawn = new Map<string, ReturnType<typeof regions.addRegion>>();
  let syncing = false;
  let loaded = false;
  /** the pixels per second last asked for (0: fitted) */
  let zoomedTo = 0;

  const offs: (() => void)[] = [];
  offs.push(
    regions.on("region-created", (r) => {
      if (syncing || drawn.has(r.id) || [...drawn.values()].includes(r)) return;
      // a drag on the waveform: the editor makes the region (with its own id), then draws it
      const { start, end } = r;
      r.remove();
      cb.created(start, end);
    }),
  );
  offs.push(
    regions.on("region-updated", (r) => {
      for (const [id, d] of drawn) if (d === r) return cb.updated(id, r.start, r.end);
    }),
  );
  offs.push(
    regions.on("region-clicked", (r, ev) => {
      ev.stopPropagation(); // not a seek
      for (const [id, d] of drawn) if (d === r) return cb.clicked(id);
    }),
  );
  offs.push(ws.on("ready", () => (loaded = true)));
  regions.enableDragSelection({ color: COLOR });

  return {
    load(url, peaks, dur) {
      // a clip opens fitted to the width, whatever the zoom of the one before
      if (zoomedTo !== 0 && loaded) {
        try {
          ws.zoom(0);
        } catch {
          /* nothing loaded */
        }
      }
      zoomedTo = 0;
      loaded = false;
      drawn.clear();
      syncing = true;
      try {
        regions.clearRegions();
      } finally {
        syncing = false;
      }
      duration = dur;
      setAxis((container.clientWidth || 600) / Math.max(dur, 0.01));
      ws.load(url, peaks, dur).catch(() => {
        /* a newer load took over, or the media element cannot play it (its error event says) */
      });
    },
    setRegions(list, selected) {
      syncing = true;
      try {
        const keep = new Set(list.map((r) => r.id));
        for (const [id, d] of drawn) {
          if (!keep.has(id)) {
            d.remove();
            drawn.delete(id);
          }
        }
        for (const r of list) {
          const color = r.id === selected ? COLOR_SELECTED : COLOR;
          const d = drawn.get(r.id);
          if (d) {
            if (d.start !== r.start || d.end !== r.end || d.color !== color) d.setOptions({ start: r.start, end: r.end, color });
            if ((d.content?.textContent ?? "") !== r.label) d.setOptions({ content: r.label || " " });
          } else {
            drawn.set(r.id, regions.addRegion({ id: r.id, start: r.start, end: r.end, color, content: r.label, drag: true, resize: true }));
          }
        }
      } finally {
        syncing = false;
      }
    },
    zoom(px) {
      if (!loaded) return;
      try {
        ws.zoom(px);
        zoomedTo = px;
        // wavesurfer fills the width at least (fillParent): a smaller zoom shows the fit
        setAxis(Math.max(px, (container.clientWidth || 600) / Math.max(duration, 0.01)));
      } catch {
        /* nothing loaded yet */
      }
    },
    width() {
      return container.clientWidth;
    },
    destroy() {
      for (const off of offs) off();
      ws.destroy();
    },
  };
}
