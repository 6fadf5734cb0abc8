/** @vitest-environment jsdom */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/* ------------------------------------------------------------------ wavesurfer, faked
 * jsdom has no canvas, ResizeObserver or media playback: the wavesurfer modules are
 * replaced by fakes that record what the adapter (lib/audiowave.ts) asks of them and
 * emit the Regions plugin's events as a mouse drag would. */
const fakes = vi.hoisted(() => {
  type Fn = (...a: any[]) => void;
  class Emitter {
    handlers = new Map<string, Set<Fn>>();
    on(ev: string, fn: Fn): () => void {
      let s = this.handlers.get(ev);
      if (!s) this.handlers.set(ev, (s = new Set()));
      s.add(fn);
      return () => s!.delete(fn);
    }
    emit(ev: string, ...args: any[]): void {
      for (const fn of [...(this.handlers.get(ev) ?? [])]) fn(...args);
    }
  }
  class FakeRegion {
    removed = false;
    content: HTMLElement | undefined;
    constructor(
      public plugin: FakeRegions,
      public id: string,
      public start: number,
      public end: number,
      public color: string,
      content?: string,
    ) {
      this.setContent(content);
    }
    setContent(c?: string): void {
      if (c === undefined) return;
      this.content = document.createElement("div");
      this.content.textContent = c; // as wavesurfer does with a string
    }
    setOptions(o: { start?: number; end?: number; color?: string; content?: string }): void {
      if (o.start !== undefined) this.start = o.start;
      if (o.end !== undefined) this.end = o.end;
      if (o.color !== undefined) this.color = o.color;
      if (o.content !== undefined) this.setContent(o.content);
    }
    remove(): void {
      this.removed = true;
      this.plugin.list = this.plugin.list.filter((r) => r !== this);
    }
  }
  class FakeRegions extends Emitter {
    list: FakeRegion[] = [];
    dragSelection = false;
    addRegion(p: { id: string; start: number; end: number; color: string; content?: string }): FakeRegion {
      const r = new FakeRegion(this, p.id, p.start, p.end, p.color, p.content);
      this.list.push(r);
      this.emit("region-created", r);
      return r;
    }
    clearRegions(): void {
      for (const r of [...this.list]) r.remove();
    }
    enableDragSelection(): () => void {
      this.dragSelection = true;
      return () => {};
    }
    /** a drag on the waveform from `start` to `end` s, as the plugin reports it */
    drag(start: number, end: number): FakeRegion {
      const r = new FakeRegion(this, `region-${Math.random().toString(32).slice(2)}`, start, end, "x");
      this.list.push(r);
      this.emit("region-created", r);
      return r;
    }
    byId(id: string): FakeRegion | undefined {
      return this.list.find((r) => r.id === id);
    }
  }
  class FakeWaveSurfer extends Emitter {
    loads: { url: string; peaks: Float32Array[]; duration: number }[] = [];
    zooms: number[] = [];
    destroyed = false;
    constructor(public options: Record<string, any>) {
      super();
    }
    load(url: string, peaks: Float32Array[], duration: number): Promise<void> {
      this.loads.push({ url, peaks, duration });
      (this.options.media as HTMLMediaElement).src = url;
      this.emit("ready", duration); // drawn from the peaks: no fetch, no decode
      return Promise.resolve();
    }
    zoom(px: number): void {
      this.zooms.push(px);
    }
    wrapper = document.createElement("div");
    getWrapper(): HTMLElement {
      return this.wrapper;
    }
    plugins: any[] = [];
    registerPlugin<T>(p: T): T {
      this.plugins.push(p);
      return p;
    }
    unregisterPlugin(p: unknown): void {
      this.plugins = this.plugins.filter((x) => x !== p);
    }
    destroy(): void {
      this.destroyed = true;
    }
  }
  const state = { wavesurfers: [] as FakeWaveSurfer[], regions: [] as FakeRegions[] };
  return { state, FakeWaveSurfer, FakeRegions };
});

vi.mock("wavesurfer.js", () => ({
  default: {
    create: (o: Record<string, unknown>) => {
      const ws = new fakes.FakeWaveSurfer(o);
      fakes.state.wavesurfers.push(ws);
      return ws;
    },
  },
}));
vi.mock("wavesurfer.js/dist/plugins/regions.esm.js", () => ({
  default: {
    create: () => {
      const r = new fakes.FakeRegions();
      fakes.state.regions.push(r);
      return r;
    },
  },
}));

import widget, { mount as mountAudioWidget, type HitlRoot } from "../src/widgets/audio";
import type { AudioItem } from "../src/lib/types";
import { ListenTracker, RegionEditor, formatTime, parsePeaks, playRequirement, stepRate } from "../src/lib/audioedit";
import { axisLabel, axisSteps } from "../src/lib/audiowave";
import { FakeModel, keydown, mountWidget, press, q, useWidgetTests, type Mounted } from "./helpers";

useWidgetTests();

/* ------------------------------------------------------------------ fakes of the page */
let clock = 1000;
let blobs: Map<string, Blob>;
let revoked: Set<string>;
let urlCount = 0;
const played: HTMLMediaElement[] = [];

beforeEach(() => {
  clock = 1000;
  vi.spyOn(performance, "now").mockImplementation(() => clock);
  fakes.state.wavesurfers.length = 0;
  fakes.state.regions.length = 0;
  blobs = new Map();
  revoked = new Set();
  played.length = 0;
  Object.defineProperty(URL, "createObjectURL", {
    configurable: true,
    value: vi.fn((b: Blob) => {
      const url = `blob:fake/${++urlCount}`;
      blobs.set(url, b);
      return url;
    }),
  });
  Object.defineProperty(URL, "revokeObjectURL", { configurable: true, value: vi.fn((u: string) => revoked.add(u)) });
  // jsdom has no playback: play() / pause() fire their events, as a browser does
  Object.defineProperty(HTMLMediaElement.prototype, "play", {
    configurable: true,
    value: vi.fn(function (this: HTMLMediaElement) {
      played.push(this);
      this.dispatchEvent(new Event("play"));
      return Promise.resolve();
    }),
  });
  Object.defineProperty(HTMLMediaElement.prototype, "pause", {
    configurable: true,
    value: vi.fn(function (this: HTMLMediaElement) {
      this.dispatchEvent(new Event("pause"));
    }),
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  delete (URL as unknown as Record<string, unknown>).createObjectURL;
  delete (URL as unknown as Record<string, unknown>).revokeObjectURL;
});

const N = 4;
const MIN = [-0.1, -0.2, -0.3, -0.4];
const MAX = [0.15, 0.25, 0.35, 0.45];
const clipBytes = (qi: number): Uint8Array => new Uint8Array([0x52, 0x49, 0x46, 0x46, qi, 1, 2, 3]);
function peakBytes(): DataView {
  const buf = new ArrayBuffer(8 * N + 4);
  const v = new DataView(buf, 4, 8 * N); // a view inside a larger buffer, unaligned to 8
  [...MIN, ...MAX].forEach((x, i) => v.setFloat32(4 * i, x, true));
  return v;
}

function audioItem(qi: number, extra: Partial<AudioItem> = {}): AudioItem {
  return {
    qi,
    item_id: `clip-${qi}`,
    content_hash: `h${qi}`,
    name: `clip_${qi}.wav`,
    duration: 10,
    sample_rate: 16000,
    channels: 1,
    model_label: "speech",
    confidence: 0.8,
    proba: null,
    fields: [],
    transcript: "the cat sat on the mat",
    regions: qi === 0 ? [{ id: "r0", start: 1, end: 2, label: "speech" }] : [],
    audio: { mime: "audio/wav", bytes: 8 },
    peaks: { per_second: 0.4, samples_per_bucket: 40000, n: N, buffer: 1 },
    decision: null,
    reasons: [],
    ...extra,
  };
}

function serve(s: Mounted, queue: AudioItem[], answered: Set<string>): number {
  const open = s.model.sentOf("fetch").filter((f) => !answered.has(f.req));
  for (const f of open) {
    answered.add(f.req);
    const page = queue.slice(f.start, f.start + f.count);
    const buffers: DataView[] = [];
    const items = page.map((it) => {
      if (!it.audio) return it;
      const out = { ...it, buffers: [buffers.length, buffers.length + 1] };
      const b = clipBytes(it.qi);
      buffers.push(new DataView(b.buffer), peakBytes());
      return out;
    });
    s.model.emit("msg:custom", { type: "items", req: f.req, start: f.start, items, queue_length: queue.length }, buffers);
  }
  return open.length;
}

interface Setup extends Mounted<HitlRoot> {
  queue: AudioItem[];
  media: HTMLAudioElement;
  stage: () => HTMLElement;
  ws: () => InstanceType<typeof fakes.FakeWaveSurfer>;
  regionsPlugin: () => InstanceType<typeof fakes.FakeRegions>;
}

function setup(opts: { items?: AudioItem[]; config?: Record<string, unknown>; traits?: Record<string, unknown> } = {}): Setup {
  const items = opts.items ?? Array.from({ length: 6 }, (_, qi) => audioItem(qi));
  const model = new FakeModel({
    kind: "audio",
    labels: ["speech", "music", "noise"],
    config: { show_model: true, prefetch: 4, task: "audio", page_size: 4, window: 32, region_labels: ["speech", "music", "laugh"], require_play: "none", transcript: true, ...opts.config },
    queue_length: items.length,
    ...opts.traits,
  });
  const s = mountWidget<HitlRoot>(mountAudioWidget, model, items, { serve: false });
  const answered = new Set<string>();
  while (serve(s, items, answered) > 0) {
    /* prefetches answered too */
  }
  const shown = () => fakes.state.wavesurfers.find((w) => w.options.container === q(s.root, "waveform"))!;
  return {
    ...s,
    queue: items,
    // the shown player's (the spare, holding the next clip, is "audio-next")
    get media() {
      return q<HTMLAudioElement>(s.root, "audio");
    },
    stage: () => q(s.root, "audio-stage"),
    ws: shown,
    regionsPlugin: () => shown().options.plugins[0] as InstanceType<typeof fakes.FakeRegions>,
  };
}

/** the media element reached `t` seconds (its timeupdate event) */
function playTo(s: Setup, t: number): void {
  Object.defineProperty(s.media, "currentTime", { configurable: true, writable: true, value: t });
  s.media.dispatchEvent(new Event("timeupdate"));
}
const key = (s: Setup, k: string, init: KeyboardEventInit = {}) => press(s.root, k, init);
const regions = (s: Setup): HTMLElement[] => [...s.root.querySelectorAll<HTMLElement>('[data-testid="region"]')];
const regionData = (s: Setup) => regions(s).map((r) => [r.dataset.regionId, r.dataset.label, Number(r.dataset.start), Number(r.dataset.end), r.classList.contains("is-selected")]);
const lastDecision = (s: Setup) => s.model.decisions().at(-1)!;
const timeOf = (s: Setup): number => Number(s.stage().dataset.time);

/* ------------------------------------------------------------------ the clip */
describe("the clip", () => {
  it("renders the audio layout and draws the waveform from the kernel's peaks, without decoding", () => {
    const s = setup();
    expect(s.root.getAttribute("data-layout")).toBe("audio");
    expect(s.root.getAttribute("data-state")).toBe("item");
    const st = s.stage();
    expect(st.dataset.itemId).toBe("clip-0");
    expect(st.dataset.duration).toBe("10.00");
    expect(st.dataset.time).toBe("0.00");
    expect(st.dataset.playing).toBe("false");
    expect(st.dataset.rate).toBe("1");
    const ws = s.ws();
    expect(ws.options.container).toBe(q(s.root, "waveform"));
    expect(ws.options.media).toBe(s.media);
    expect(ws.loads).toHaveLength(1);
    const { url, peaks, duration } = ws.loads[0];
    expect(duration).toBe(10);
    // [maxima, minima]: wavesurfer draws |top| up and |bottom| down
    expect([...peaks[0]].map((x) => +x.toFixed(4))).toEqual(MAX);
    expect([...peaks[1]].map((x) => +x.toFixed(4))).toEqual(MIN);
    expect(s.media.getAttribute("src")).toBe(url);
    expect(blobs.get(url)!.type).toBe("audio/wav");
    expect(q(s.root, "model-label").textContent).toBe("speech");
    expect(q(s.root, "confidence").textContent).toBe("80.0%");
    expect([...s.root.querySelectorAll('[data-testid="label-button"]')].map((b) => b.getAttribute("data-label"))).toEqual(["speech", "music", "noise"]);
    expect(q(s.root, "transcript").textContent).toBe("the cat sat on the mat");
    expect(regionData(s)).toEqual([["r0", "speech", 1, 2, false]]);
    expect(s.regionsPlugin().byId("r0")!.start).toBe(1);
    expect(q(s.root, "audio-error").hidden).toBe(true);
  });

  it("has the next clips' Blob URLs ready before they are shown, and shows the next waveform at once", () => {
    const s = setup();
    // once clip 0 is painted, it and the ones ahead are prepared
    vi.advanceTimersByTime(60);
    expect(blobs.size).toBeGreaterThanOrEqual(3);
    const before = blobs.size;
    key(s, "ArrowRight");
    expect(s.stage().dataset.itemId).toBe("clip-1");
    const ws = s.ws();
    const url = ws.loads.at(-1)!.url;
    expect(s.media.getAttribute("src")).toBe(url);
    // no Blob was made on the key's path to show it (the clip after is prepared later)
    expect([...blobs.keys()]).toContain(url);
    expect(blobs.size).toBe(before);
    vi.advanceTimersByTime(60);
    expect(blobs.size).toBeGreaterThan(before);
    expect(fakes.state.wavesurfers.flatMap((w) => w.loads.map((l) => l.url))).toContain(url);
    expect(url).not.toBe(fakes.state.wavesurfers[0].loads[0].url);
  });

  it("draws and buffers the next clip in a hidden spare player, and moving on only swaps the two", () => {
    const s = setup({ items: Array.from({ length: 6 }, (_, qi) => audioItem(qi, qi === 1 ? { regions: [{ id: "n1", start: 3, end: 4, label: "music" }] } : {})) });
    const first = s.ws();
    const firstMedia = s.media;
    vi.advanceTimersByTime(60); // the spare is filled once the item is painted
    const spareBox = q(s.root, "waveform-next");
    const spareMedia = q<HTMLAudioElement>(s.root, "audio-next");
    expect(spareBox.classList.contains("is-spare")).toBe(true);
    expect(spareBox.getAttribute("aria-hidden")).toBe("true");
    const spareWs = fakes.state.wavesurfers.find((w) => w.options.container === spareBox)!;
    expect(spareWs).toBeDefined();
    expect(spareWs.options.media).toBe(spareMedia);
    // clip 1, drawn from its peaks with its regions, its bytes set on the spare's media (the browser buffers it)
    expect(spareWs.loads).toHaveLength(1);
    expect(spareWs.loads[0].duration).toBe(10);
    expect(spareMedia.getAttribute("src")).toBe(spareWs.loads[0].url);
    expect((spareWs.options.plugins[0] as InstanceType<typeof fakes.FakeRegions>).list.map((r) => [r.id, r.start, r.end])).toEqual([["n1", 3, 4]]);
    // the spare's media events are not the shown clip's
    spareMedia.dispatchEvent(new Event("play"));
    expect(s.stage().dataset.playing).toBe("false");
    // Enter on clip 0: clip 1 is shown by a swap, nothing drawn or loaded at the key
    key(s, "Enter");
    expect(s.stage().dataset.itemId).toBe("clip-1");
    expect(s.ws()).toBe(spareWs);
    expect(spareWs.loads).toHaveLength(1);
    expect(s.media).toBe(spareMedia);
    expect(q(s.root, "waveform").classList.contains("is-spare")).toBe(false);
    expect(q(s.root, "waveform").hasAttribute("aria-hidden")).toBe(false);
    expect(regionData(s)).toEqual([["n1", "music", 3, 4, false]]);
    // the player shown before is now the spare; it takes clip 2
    expect(q(s.root, "waveform-next")).not.toBe(spareBox);
    expect(q<HTMLAudioElement>(s.root, "audio-next")).toBe(firstMedia);
    vi.advanceTimersByTime(60);
    expect(first.loads.map((l) => l.url)).toHaveLength(2);
    expect(firstMedia.getAttribute("src")).toBe(first.loads[1].url);
    // the shown one plays and is what the stage reports
    key(s, " ");
    expect(played.at(-1)).toBe(spareMedia);
    expect(s.stage().dataset.playing).toBe("true");
    firstMedia.dispatchEvent(new Event("pause"));
    expect(s.stage().dataset.playing).toBe("true");
  });

  it("a clip opens fitted to the width, whatever the zoom its player had for the clip before", () => {
    const s = setup();
    const first = s.ws();
    vi.advanceTimersByTime(60);
    key(s, "+");
    key(s, "+");
    expect(first.zooms.at(-1)).toBeGreaterThan(0);
    key(s, "Enter"); // clip 1, in the other player
    expect(s.stage().dataset.zoom).toBe("1");
    vi.advanceTimersByTime(60); // the first player takes clip 2
    expect(first.loads).toHaveLength(2);
    expect(first.zooms.at(-1)).toBe(0);
  });

  it("a long clip comes without its bytes: its waveform is drawn at once, its bytes asked for", () => {
    // the kernel left the bytes out (audio.deferred) and sent the peaks as buffer 0
    const long = (qi: number) => audioItem(qi, { audio: { mime: "audio/ogg", bytes: 15_000_000, deferred: true }, peaks: { per_second: 0.4, n: N, buffer: 0 } });
    const items = [long(0), long(1), long(2)];
    const model = new FakeModel({
      kind: "audio",
      labels: ["speech", "music", "noise"],
      config: { show_model: true, prefetch: 4, task: "audio", page_size: 4, window: 32, region_labels: ["speech"], require_play: "none", transcript: true },
      queue_length: items.length,
    });
    const s = mountWidget<HitlRoot>(mountAudioWidget, model, items, { serve: false });
    const f = s.model.sentOf("fetch")[0];
    const page = items.map((it, i) => ({ ...it, buffers: [i] }));
    s.model.emit("msg:custom", { type: "items", req: f.req, start: 0, items: page, queue_length: items.length }, items.map(() => peakBytes()));
    const ws = fakes.state.wavesurfers.find((w) => w.options.container === q(s.root, "waveform"))!;
    expect(ws.loads).toHaveLength(1);
    expect(ws.loads[0].url).toBe("");
    expect([...ws.loads[0].peaks[0]].map((x) => +x.toFixed(4))).toEqual(MAX);
    // only the shown clip's bytes are asked for; Space says they are coming
    expect(s.model.sentOf("clip").map((m) => m.item_id)).toEqual(["clip-0"]);
    press(s.root, " ");
    expect(played).toHaveLength(0);
    expect(q(s.root, "message").textContent).toMatch(/still coming/);
    // the bytes come: the shown player gets them, and plays
    const answer = (m: Record<string, any>, qi: number) =>
      s.model.emit("msg:custom", { type: "clip", req: m.req, item_id: m.item_id, audio: { mime: "audio/ogg", bytes: 8 } }, [new DataView(clipBytes(qi).buffer)]);
    answer(s.model.sentOf("clip")[0], 0);
    // the reply settles through a few promise steps
    const settle = async () => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    return settle().then(async () => {
      const media = q<HTMLAudioElement>(s.root, "audio");
      const url = media.getAttribute("src")!;
      expect(url).toMatch(/^blob:/);
      expect(new Uint8Array(await blobs.get(url)!.arrayBuffer())[4]).toBe(0); // clip 0's bytes
      press(s.root, " ");
      expect(played.at(-1)).toBe(media);
      // the next clip: drawn in the spare, its bytes asked for too; a kernel error is told
      vi.advanceTimersByTime(60);
      const asked = s.model.sentOf("clip");
      expect(asked.map((m) => m.item_id)).toEqual(["clip-0", "clip-1"]);
      s.model.emit("msg:custom", { type: "clip", req: asked[1].req, item_id: "clip-1", audio: null, audio_error: "file changed: <b>x</b>" }, []);
      await settle();
      press(s.root, "ArrowRight");
      expect(q(s.root, "audio-error").textContent).toMatch(/did not come from the kernel: file changed: <b>x<\/b>/);
      expect(q(s.root, "audio-error").querySelector("b")).toBeNull();
    });
  });

  it("shows the kernel's reason when a clip has no audio, and plays nothing", () => {
    const s = setup({ items: [audioItem(0, { audio: null, peaks: null, audio_error: "file gone: <b>x</b>" }), audioItem(1)] });
    const err = q(s.root, "audio-error");
    expect(err.hidden).toBe(false);
    expect(err.textContent).toBe("file gone: <b>x</b>");
    expect(err.querySelector("b")).toBeNull();
    key(s, " ");
    expect(played).toHaveLength(0);
    expect(q(s.root, "message").textContent).toMatch(/no clip to play/);
  });

  it("tells when the browser cannot play the clip", () => {
    const s = setup();
    s.media.dispatchEvent(new Event("error"));
    expect(q(s.root, "audio-error").hidden).toBe(false);
    expect(q(s.root, "audio-error").textContent).toMatch(/cannot play this clip \(audio\/wav\)/);
  });
});

/* ------------------------------------------------------------------ playback keys */
describe("playback keys", () => {
  it("Space and K play and pause; the plays and the listening time are counted", () => {
    const s = setup();
    key(s, " ");
    expect(played).toEqual([s.media]);
    expect(s.stage().dataset.playing).toBe("true");
    expect(q(s.root, "play-count").dataset.plays).toBe("1");
    clock += 1500;
    playTo(s, 1.5);
    expect(timeOf(s)).toBe(1.5);
    key(s, "k");
    expect(s.stage().dataset.playing).toBe("false");
    expect(q(s.root, "listen-time").dataset.ms).toBe("1500");
    expect(q(s.root, "listen-time").textContent).toBe("listened 1.5 s");
    key(s, "k");
    expect(s.stage().dataset.playing).toBe("true");
    clock += 500;
    key(s, " ");
    expect(q(s.root, "play-count").dataset.plays).toBe("2");
    expect(q(s.root, "listen-time").dataset.ms).toBe("2000");
  });

  it("J / L seek 2 s, Shift+J / Shift+L 10 s, within the clip", () => {
    const s = setup({ items: [audioItem(0, { duration: 30 })] });
    key(s, "l");
    expect(timeOf(s)).toBe(2);
    expect(s.media.currentTime).toBe(2);
    key(s, "L", { shiftKey: true });
    expect(timeOf(s)).toBe(12);
    key(s, "j");
    expect(timeOf(s)).toBe(10);
    key(s, "J", { shiftKey: true });
    expect(timeOf(s)).toBe(0);
    key(s, "j");
    expect(timeOf(s)).toBe(0);
    for (let i = 0; i < 4; i++) key(s, "L", { shiftKey: true });
    expect(timeOf(s)).toBe(30);
  });

  it("[ and ] step the rate from 0.5x to 2x with the pitch kept", () => {
    const s = setup();
    const rates: string[] = [];
    for (let i = 0; i < 5; i++) {
      key(s, "]");
      rates.push(s.stage().dataset.rate!);
    }
    expect(rates).toEqual(["1.25", "1.5", "1.75", "2", "2"]);
    expect(s.media.playbackRate).toBe(2);
    expect(s.media.preservesPitch).toBe(true);
    for (let i = 0; i < 8; i++) key(s, "[");
    expect(s.stage().dataset.rate).toBe("0.5");
    expect(s.media.playbackRate).toBe(0.5);
    expect(q(s.root, "audio-rate").textContent).toBe("0.5x");
    // the rate stays for the next clip
    key(s, "ArrowRight");
    expect(s.stage().dataset.rate).toBe("0.5");
    expect(s.media.playbackRate).toBe(0.5);
  });

  it("+ / - zoom the waveform", () => {
    const s = setup();
    key(s, "+");
    key(s, "=");
    expect(s.stage().dataset.zoom).toBe("4");
    expect(s.ws().zooms).toHaveLength(2);
    expect(s.ws().zooms[1]).toBeGreaterThan(s.ws().zooms[0]);
    key(s, "-");
    key(s, "-");
    key(s, "-");
    expect(s.stage().dataset.zoom).toBe("1");
    expect(s.ws().zooms.at(-1)).toBe(0); // fit
    // one time axis in the scrolling wrapper, its steps set for the scale shown
    const axis = () => s.ws().wrapper.querySelector<HTMLElement>('[data-testid="time-axis"]')!;
    const labels = () => [...axis().querySelectorAll("span")].map((e) => [e.textContent, e.style.left]);
    // fitted: 600 px (jsdom has no layout) for 10 s: a label every 2 s, a tick every 0.2 s
    expect(labels()).toEqual([0, 2, 4, 6, 8, 10].map((t) => [`0:${String(t).padStart(2, "0")}`, `${t * 10}%`]));
    expect(axis().firstElementChild!.getAttribute("style")).toContain("background-size: 2% 100%");
    key(s, "+");
    key(s, "+"); // 4x: 240 px a second, a label every 0.5 s
    expect(axis().dataset.labelStep).toBe("0.5");
    expect(labels()).toHaveLength(21);
    expect(labels()[1]).toEqual(["0:00.5", "5%"]);
    key(s, "-");
    key(s, "-");
    expect(labels()).toHaveLength(6);
  });

  it("the ended event marks the clip played to its end", () => {
    const s = setup();
    key(s, " ");
    clock += 10000;
    playTo(s, 10);
    s.media.dispatchEvent(new Event("ended"));
    expect(s.stage().dataset.playing).toBe("false");
    expect(q(s.root, "play-count").dataset.ended).toBe("true");
    // Space at the end plays from the start
    key(s, " ");
    expect(timeOf(s)).toBe(0);
    expect(s.stage().dataset.playing).toBe("true");
  });

  it("moving to another clip stops the one playing and counts its listening up to then", () => {
    const s = setup();
    key(s, " ");
    clock += 700;
    key(s, "ArrowRight");
    expect(s.stage().dataset.playing).toBe("false");
    key(s, "ArrowLeft");
    expect(q(s.root, "listen-time").dataset.ms).toBe("700");
    expect(q(s.root, "play-count").dataset.plays).toBe("1");
  });
});

/* ------------------------------------------------------------------ regions */
describe("regions", () => {
  it("B then E make a region at the playhead; Alt+n labels it; X deletes it; the ops are logged", () => {
    const s = setup({ items: [audioItem(0, { regions: [] }), audioItem(1)] });
    playTo(s, 2.5);
    clock += 100;
    key(s, "b");
    expect(s.stage().dataset.pending).toBe("2.50");
    expect(q(s.root, "region-pending").hidden).toBe(false);
    playTo(s, 4.25);
    clock += 100;
    key(s, "e");
    expect(s.stage().dataset.pending).toBeUndefined();
    expect(regionData(s)).toEqual([["new-1", "speech", 2.5, 4.25, true]]);
    // drawn on the waveform, selected
    expect(s.regionsPlugin().byId("new-1")!.end).toBe(4.25);
    keydown(s.root, "2", { altKey: true, code: "Digit2" });
    expect(regionData(s)).toEqual([["new-1", "music", 2.5, 4.25, true]]);
    expect(s.regionsPlugin().byId("new-1")!.content!.textContent).toBe("music");
    // Alt+2 did not correct the clip's label
    expect(s.model.decisions()).toHaveLength(0);
    // B / E on a selected region move its start / end
    playTo(s, 3);
    key(s, "b");
    playTo(s, 5);
    key(s, "e");
    expect(regionData(s)).toEqual([["new-1", "music", 3, 5, true]]);
    key(s, "x");
    expect(regions(s)).toHaveLength(0);
    key(s, "Enter");
    const d = lastDecision(s);
    expect(d.action).toBe("accept");
    expect((d.data as any).regions).toEqual([]);
    expect((d.data as any).ops.map((o: any) => [o.op, o.id, o.before, o.after])).toEqual([
      ["add", "new-1", null, { start: 2.5, end: 4.25, label: "speech" }],
      ["relabel", "new-1", { start: 2.5, end: 4.25, label: "speech" }, { start: 2.5, end: 4.25, label: "music" }],
      ["move", "new-1", { start: 2.5, end: 4.25, label: "music" }, { start: 3, end: 4.25, label: "music" }],
      ["move", "new-1", { start: 3, end: 4.25, label: "music" }, { start: 3, end: 5, label: "music" }],
      ["delete", "new-1", { start: 3, end: 5, label: "music" }, null],
    ]);
    expect((d.data as any).ops[0].t_ms).toBe(200);
  });

  it("Tab / Shift+Tab select regions by start; Delete deletes; Esc deselects and cancels a started region", () => {
    const regs = [
      { id: "b", start: 5, end: 6, label: "music" },
      { id: "a", start: 1, end: 2, label: "speech" },
      { id: "c", start: 8, end: 9, label: "laugh" },
    ];
    const s = setup({ items: [audioItem(0, { regions: regs })] });
    expect(regions(s).map((r) => r.dataset.regionId)).toEqual(["a", "b", "c"]);
    key(s, "Tab");
    expect(regionData(s)[0][4]).toBe(true);
    key(s, "Tab");
    expect(regionData(s)[1][4]).toBe(true);
    key(s, "Tab", { shiftKey: true });
    key(s, "Tab", { shiftKey: true });
    expect(regionData(s)[2][4]).toBe(true);
    expect(s.regionsPlugin().byId("c")!.color).toMatch(/255, 170/);
    key(s, "Delete");
    expect(regions(s).map((r) => r.dataset.regionId)).toEqual(["a", "b"]);
    expect(regionData(s)[1][4]).toBe(true); // the one before it
    key(s, "Escape");
    expect(regionData(s).some((r) => r[4])).toBe(false);
    playTo(s, 3);
    key(s, "b");
    expect(s.stage().dataset.pending).toBe("3.00");
    key(s, "Escape");
    expect(s.stage().dataset.pending).toBeUndefined();
    key(s, "e");
    expect(q(s.root, "message").textContent).toMatch(/Select a region first/);
  });

  it("R replays the selected region and stops at its end", () => {
    const s = setup();
    key(s, "r");
    expect(q(s.root, "message").textContent).toMatch(/Select a region first/);
    key(s, "Tab");
    key(s, "r");
    expect(timeOf(s)).toBe(1);
    expect(s.stage().dataset.playing).toBe("true");
    playTo(s, 1.5);
    expect(s.stage().dataset.playing).toBe("true");
    playTo(s, 2.01);
    expect(s.stage().dataset.playing).toBe("false");
  });

  it("refuses a region past the clip or with its end before its start", () => {
    const s = setup({ items: [audioItem(0, { regions: [], duration: 3 })] });
    playTo(s, 2);
    key(s, "b");
    key(s, "e");
    expect(regions(s)).toHaveLength(0);
    expect(q(s.root, "message").textContent).toMatch(/empty/);
    playTo(s, 1);
    key(s, "b");
    playTo(s, 2);
    key(s, "e");
    key(s, "b"); // start at 2 = end: refused
    expect(regionData(s)).toEqual([["new-1", "speech", 1, 2, true]]);
    expect(q(s.root, "message").textContent).toMatch(/Start not set/);
  });

  it("the mouse: a drag on the waveform creates a region, dragging it moves it, a click selects it", () => {
    const s = setup({ items: [audioItem(0, { regions: [] })] });
    const plugin = s.regionsPlugin();
    expect(plugin.dragSelection).toBe(true);
    const drawnByDrag = plugin.drag(0.5, 1.25);
    expect(drawnByDrag.removed).toBe(true); // replaced by the editor's own region
    expect(regionData(s)).toEqual([["new-1", "speech", 0.5, 1.25, true]]);
    const r = plugin.byId("new-1")!;
    r.start = 0.75;
    r.end = 1.5;
    plugin.emit("region-updated", r);
    expect(regionData(s)).toEqual([["new-1", "speech", 0.75, 1.5, true]]);
    key(s, "Escape");
    plugin.emit("region-clicked", r, new MouseEvent("click"));
    expect(regionData(s)[0][4]).toBe(true);
    key(s, "a");
    expect((lastDecision(s).data as any).ops.map((o: any) => o.op)).toEqual(["add", "move"]);
  });

  it("Z undoes the last region change first, then the last decision", () => {
    const s = setup();
    key(s, "Tab");
    keydown(s.root, "3", { altKey: true, code: "Digit3" });
    expect(regionData(s)).toEqual([["r0", "laugh", 1, 2, true]]);
    key(s, "z");
    expect(regionData(s)).toEqual([["r0", "speech", 1, 2, true]]);
    key(s, "x");
    expect(regions(s)).toHaveLength(0);
    key(s, "z");
    expect(regionData(s)).toEqual([["r0", "speech", 1, 2, true]]);
    key(s, "Enter");
    expect((lastDecision(s).data as any).ops).toEqual([]);
    key(s, "z");
    expect(s.model.decisions().map((d) => d.action)).toEqual(["accept", "undo"]);
  });

  it("Alt+digit in the transcript editor types; with no region selected it says so", () => {
    const s = setup({ items: [audioItem(0, { regions: [] })] });
    keydown(s.root, "1", { altKey: true, code: "Digit1" });
    expect(q(s.root, "message").textContent).toMatch(/Select a region first/);
    expect(s.model.decisions()).toHaveLength(0);
  });
});

/* ------------------------------------------------------------------ the transcript */
describe("the transcript editor", () => {
  it("T opens it; the word diff against the model's transcript is shown; Ctrl+Enter saves; the decision carries the text", () => {
    const s = setup();
    key(s, "t");
    const ed = q<HTMLTextAreaElement>(s.root, "transcript-editor");
    expect(q(s.root, "transcript-box").hidden).toBe(false);
    expect(document.activeElement).toBe(ed);
    expect(ed.value).toBe("the cat sat on the mat");
    ed.value = "the dog sat on the mat";
    ed.dispatchEvent(new Event("input"));
    const diff = q(s.root, "transcript-diff");
    expect(diff.hidden).toBe(false);
    expect(diff.querySelector("del")!.textContent).toBe("cat");
    expect(diff.querySelector("ins")!.textContent).toBe("dog");
    // keys typed in the box are text, not review keys
    const ev = keydown(ed, "a");
    expect(ev.defaultPrevented).toBe(false);
    expect(s.model.decisions()).toHaveLength(0);
    press(ed, "Enter", { ctrlKey: true });
    expect(q(s.root, "transcript-box").hidden).toBe(true);
    expect(q(s.root, "transcript").textContent).toBe("the dog sat on the mat");
    expect(q(s.root, "transcript-diff").hidden).toBe(false);
    expect(q(s.root, "transcript-status").textContent).toMatch(/edited/);
    key(s, "Enter");
    expect((lastDecision(s).data as any).transcript).toBe("the dog sat on the mat");
  });

  it("the model's words it is less sure of are marked, literally, until the transcript is edited", () => {
    const evil = "<img/src=x/onerror=alert(1)>"; // one word (no whitespace)
    const items = [audioItem(0, { transcript: `  the ${evil}  sat`, word_confidence: [0.9, 0.3, 0.45] }), audioItem(1, { word_confidence: [1, 1] })];
    const s = setup({ items });
    const tr = q(s.root, "transcript");
    expect(tr.textContent).toBe(`  the ${evil}  sat`); // the text as given, whitespace kept
    expect(tr.querySelector("img")).toBeNull();
    const words = [...tr.querySelectorAll<HTMLElement>(".hitl-word")];
    expect(words.map((w) => [w.textContent, w.dataset.confidence, w.classList.contains("is-unsure")])).toEqual([
      ["the", "0.9", false],
      [evil, "0.3", true],
      ["sat", "0.45", true],
    ]);
    expect(words[1].title).toBe("confidence 30%");
    expect(q(s.root, "transcript-status").textContent).toMatch(/2 words under 50% confidence marked/);
    // edited: the person's text, plain
    key(s, "t");
    const ed = q<HTMLTextAreaElement>(s.root, "transcript-editor");
    ed.value = "the cat sat";
    press(ed, "Enter", { ctrlKey: true });
    expect(tr.querySelectorAll(".hitl-word")).toHaveLength(0);
    expect(tr.textContent).toBe("the cat sat");
    // confidences that do not match the words one to one: the text alone
    key(s, "ArrowRight");
    expect(tr.textContent).toBe("the cat sat on the mat");
    expect(tr.querySelectorAll(".hitl-word")).toHaveLength(0);
  });

  it("a clip with the same transcript and no confidences shows none of the marks of the clip before", () => {
    const items = [audioItem(0, { word_confidence: [0.9, 0.2, 0.9, 0.9, 0.9, 0.9] }), audioItem(1), audioItem(2, { word_confidence: [0.9, 0.2, 0.9, 0.9, 0.9, 0.9] })];
    const s = setup({ items });
    const tr = q(s.root, "transcript");
    expect(tr.querySelectorAll(".is-unsure")).toHaveLength(1);
    key(s, "ArrowRight");
    expect(tr.textContent).toBe("the cat sat on the mat");
    expect(tr.querySelectorAll(".hitl-word")).toHaveLength(0);
    key(s, "ArrowRight"); // the same text and marks again: drawn anew after the plain one
    expect(tr.querySelectorAll(".is-unsure")).toHaveLength(1);
    expect(q(s.root, "transcript-status").textContent).toMatch(/1 word under 50%/);
  });

  it("Esc cancels the edit", () => {
    const s = setup();
    key(s, "t");
    const ed = q<HTMLTextAreaElement>(s.root, "transcript-editor");
    ed.value = "something else";
    keydown(ed, "Escape");
    expect(q(s.root, "transcript-box").hidden).toBe(true);
    expect(q(s.root, "transcript").textContent).toBe("the cat sat on the mat");
    expect(q(s.root, "transcript-diff").hidden).toBe(true);
    key(s, "Enter");
    expect((lastDecision(s).data as any).transcript).toBe("the cat sat on the mat");
  });

  it("a review without transcripts hides the block and T says so", () => {
    const s = setup({ items: [audioItem(0, { transcript: null })], config: { transcript: false } });
    expect(q(s.root, "transcript-block").hidden).toBe(true);
    key(s, "t");
    expect(q(s.root, "message").textContent).toMatch(/no transcripts/);
  });
});

/* ------------------------------------------------------------------ decisions */
describe("decisions", () => {
  it("accept sends the review's data, by exact value", () => {
    const s = setup();
    clock += 50;
    key(s, " ");
    clock += 2000;
    playTo(s, 2);
    key(s, " ");
    key(s, "Tab");
    clock += 250;
    keydown(s.root, "2", { altKey: true, code: "Digit2" });
    key(s, "t");
    const ed = q<HTMLTextAreaElement>(s.root, "transcript-editor");
    ed.value = "the cat sat on a mat";
    press(ed, "Enter", { metaKey: true });
    key(s, "Enter");
    const d = lastDecision(s);
    expect(d.action).toBe("accept");
    expect(d.item_id).toBe("clip-0");
    expect(d.data).toEqual({
      regions: [{ id: "r0", start: 1, end: 2, label: "music" }],
      transcript: "the cat sat on a mat",
      listened_ms: 2000,
      plays: 1,
      ended: false,
      ops: [{ op: "relabel", id: "r0", t_ms: 2300, before: { start: 1, end: 2, label: "speech" }, after: { start: 1, end: 2, label: "music" } }],
    });
    expect(s.stage().dataset.itemId).toBe("clip-1");
  });

  it("1-9 correct the clip's label (the model's label is an accept); F flags with a note and the data; S skips without it", () => {
    const s = setup();
    key(s, "3");
    expect(lastDecision(s)).toMatchObject({ action: "correct", label: "noise", item_id: "clip-0" });
    expect((lastDecision(s).data as any).regions).toEqual([{ id: "r0", start: 1, end: 2, label: "speech" }]);
    key(s, "1");
    expect(lastDecision(s)).toMatchObject({ action: "accept", item_id: "clip-1" });
    key(s, "f");
    const note = q<HTMLInputElement>(s.root, "note-input");
    note.value = "overlapping voices";
    keydown(note, "Enter");
    const f = lastDecision(s);
    expect(f).toMatchObject({ action: "flag", note: "overlapping voices", item_id: "clip-2" });
    expect(Object.keys(f.data as object).sort()).toEqual(["ended", "listened_ms", "ops", "plays", "regions", "transcript"]);
    key(s, "s");
    expect(lastDecision(s)).toMatchObject({ action: "skip", item_id: "clip-3" });
    expect(lastDecision(s).data ?? null).toBeNull();
  });

  it("clicking a label button corrects", () => {
    const s = setup();
    s.root.querySelector<HTMLButtonElement>('[data-testid="label-button"][data-label="music"]')!.click();
    expect(lastDecision(s)).toMatchObject({ action: "correct", label: "music" });
  });

  it("require_play 'played' refuses accept / correct before a play, with a message; skip and flag go", () => {
    const s = setup({ config: { require_play: "played" } });
    key(s, "Enter");
    key(s, "2");
    expect(s.model.decisions()).toHaveLength(0);
    expect(q(s.root, "message").textContent).toMatch(/Play the clip before deciding/);
    key(s, " ");
    key(s, " ");
    key(s, "Enter");
    expect(lastDecision(s)).toMatchObject({ action: "accept", item_id: "clip-0" });
    expect((lastDecision(s).data as any).plays).toBe(1);
    key(s, "s");
    expect(lastDecision(s)).toMatchObject({ action: "skip", item_id: "clip-1" });
    key(s, "f");
    keydown(q(s.root, "note-input"), "Enter");
    expect(lastDecision(s)).toMatchObject({ action: "flag", item_id: "clip-2" });
  });

  it("require_play 'ended' refuses until the clip played to its end", () => {
    const s = setup({ config: { require_play: "ended" } });
    key(s, " ");
    playTo(s, 5);
    key(s, " ");
    key(s, "Enter");
    expect(s.model.decisions()).toHaveLength(0);
    expect(q(s.root, "message").textContent).toMatch(/to its end/);
    key(s, " ");
    playTo(s, 10);
    s.media.dispatchEvent(new Event("ended"));
    key(s, "Enter");
    expect(lastDecision(s)).toMatchObject({ action: "accept" });
    expect((lastDecision(s).data as any).ended).toBe(true);
  });

  it("a review without clip labels: Enter submits the transcript, 1-9 do nothing, no label row", () => {
    const items = Array.from({ length: 4 }, (_, qi) => audioItem(qi, { model_label: null, confidence: 0.42 }));
    const s = setup({ items, traits: { labels: [] } });
    expect(q(s.root, "model-label").hidden).toBe(true);
    expect(q(s.root, "confidence").textContent).toBe("42.0%");
    expect(s.root.querySelectorAll('[data-testid="label-button"]')).toHaveLength(0);
    key(s, "1");
    expect(s.model.decisions()).toHaveLength(0);
    key(s, "t");
    const ed = q<HTMLTextAreaElement>(s.root, "transcript-editor");
    ed.value = "the cat sat on a mat";
    ed.dispatchEvent(new Event("input"));
    press(ed, "Enter", { ctrlKey: true });
    key(s, "Enter");
    expect(lastDecision(s)).toMatchObject({ action: "accept", item_id: "clip-0" });
    expect((lastDecision(s).data as any).transcript).toBe("the cat sat on a mat");
    expect(s.stage().dataset.itemId).toBe("clip-1");
  });

  it("moving back shows a clip's regions and transcript as they were left", () => {
    const s = setup();
    key(s, "Tab");
    key(s, "x");
    key(s, "ArrowRight");
    key(s, "ArrowLeft");
    expect(regions(s)).toHaveLength(0);
  });

  it("an entry decided in an earlier session shows its stored regions and transcript", () => {
    const decided = audioItem(0, {
      decision: {
        action: "accept",
        status: "accepted",
        data: { regions_after: [{ id: "r9", start: 3, end: 4, label: "laugh" }], transcript_after: "stored text" },
      } as any,
    });
    const s = setup({ items: [decided, audioItem(1)] });
    expect(regionData(s)).toEqual([["r9", "laugh", 3, 4, false]]);
    expect(q(s.root, "transcript").textContent).toBe("stored text");
  });
});

/* ------------------------------------------------------------------ hostile text */
describe("hostile text", () => {
  it("labels, region labels, names and transcripts are shown literally and make no element", () => {
    const evil = "<img src=x onerror=alert(1)>";
    const s = setup({
      items: [audioItem(0, { name: evil, transcript: evil, model_label: evil, regions: [{ id: evil, start: 1, end: 2, label: evil }], fields: [[evil, evil]] })],
      traits: { labels: [evil, "music"] },
      config: { region_labels: [evil, "b"] },
    });
    expect(s.root.querySelector("img")).toBeNull();
    expect(q(s.root, "transcript").textContent).toBe(evil);
    expect(q(s.root, "model-label").textContent).toBe(evil);
    expect(q(s.root, "audio-name").textContent).toBe(evil);
    expect(regions(s)[0].dataset.label).toBe(evil);
    expect(regions(s)[0].textContent).toContain(evil);
    expect(s.root.querySelector('[data-testid="label-button"]')!.getAttribute("data-label")).toBe(evil);
    // the waveform's region label is text too
    const drawn = s.regionsPlugin().list[0];
    expect(drawn.content!.textContent).toBe(evil);
    expect(drawn.content!.querySelector("img")).toBeNull();
    // the edit's diff is escaped text
    key(s, "t");
    const ed = q<HTMLTextAreaElement>(s.root, "transcript-editor");
    ed.value = `${evil} <script>alert(2)</script>`;
    ed.dispatchEvent(new Event("input"));
    press(ed, "Enter", { ctrlKey: true });
    expect(s.root.querySelector("img, script")).toBeNull();
    expect(q(s.root, "transcript-diff").textContent).toContain("<script>alert(2)</script>");
    key(s, "Enter");
    expect((lastDecision(s).data as any).transcript).toBe(`${evil} <script>alert(2)</script>`);
  });
});

/* ------------------------------------------------------------------ keys and help */
describe("keys", () => {
  it("? lists every audio key; review keys never reach the notebook", () => {
    const s = setup();
    key(s, "?");
    const help = q(s.root, "help").textContent!;
    for (const k of ["Space / K", "J", "L", "[", "]", "R", "B", "E", "Tab / Shift+Tab", "Alt+1 – 9", "X / Delete", "T", "Enter / A", "1 – 9", "F", "S", "Z"]) {
      expect(help).toContain(k);
    }
    key(s, "?");
    const outside = vi.fn();
    document.addEventListener("keydown", outside);
    for (const k of [" ", "k", "j", "l", "b", "e", "Tab", "[", "]"]) {
      const ev = key(s, k);
      expect(ev.defaultPrevented).toBe(true);
    }
    keydown(s.root, "1", { altKey: true, code: "Digit1" });
    document.removeEventListener("keydown", outside);
    expect(outside).not.toHaveBeenCalled();
  });

  it("G shows / hides the guideline; Home / End and N are the shell's", () => {
    const s = setup({ traits: { guideline_text: "## speech\nAny voice.", guideline_version: "v1" } });
    const panel = q(s.root, "guideline");
    const open = () => panel.getAttribute("data-open");
    const before = open();
    key(s, "g");
    expect(open()).not.toBe(before);
    key(s, "g");
    expect(open()).toBe(before);
    key(s, "End");
    expect(s.root.getAttribute("data-state")).toBe("summary");
    key(s, "Home");
    expect(s.stage().dataset.itemId).toBe("clip-0");
  });

  it("review keys do nothing while the transcript editor is open, and come back after it", () => {
    const s = setup();
    key(s, "t");
    const ed = q<HTMLTextAreaElement>(s.root, "transcript-editor");
    // a key typed in the box is text
    keydown(ed, " ");
    keydown(ed, "s");
    expect(played).toHaveLength(0);
    expect(s.model.decisions()).toHaveLength(0);
    press(ed, "Escape");
    key(s, " ");
    expect(played).toHaveLength(1);
  });

  it("the default export renders into el", () => {
    const model = new FakeModel({ kind: "audio", labels: ["a"], config: { show_model: true, task: "audio" } });
    const host = document.createElement("div");
    document.body.appendChild(host);
    const dispose = widget.render({ model: model.asModel(), el: host } as any);
    expect(host.querySelector('[data-layout="audio"]')).not.toBeNull();
    dispose();
  });

  it("gives the Blob URLs back when unmounted, and the waveform is destroyed", () => {
    const s = setup();
    const made = [...blobs.keys()];
    s.cleanup();
    for (const u of made) expect(revoked.has(u)).toBe(true);
    expect(s.ws().destroyed).toBe(true);
  });
});

/* ------------------------------------------------------------------ lib/audioedit */
describe("lib/audioedit", () => {
  it("the time axis reads well from a 2 s clip to an hour", () => {
    expect(axisSteps(412)).toEqual({ tick: 0.02, label: 0.2, decimals: 1 });
    expect(axisSteps(800 / 3600)).toEqual({ tick: 60, label: 600, decimals: 0 });
    expect(axisSteps(80)).toEqual({ tick: 0.1, label: 1, decimals: 0 });
    expect(axisLabel(0.2, 1)).toBe("0:00.2");
    expect(axisLabel(75, 0)).toBe("1:15");
    expect(axisLabel(3600, 0)).toBe("1:00:00");
  });

  it("stepRate walks 0.5 .. 2", () => {
    expect(stepRate(1, 1)).toBe(1.25);
    expect(stepRate(2, 1)).toBe(2);
    expect(stepRate(0.5, -1)).toBe(0.5);
    expect(stepRate(1.1, 1)).toBe(1.25);
    expect(stepRate(1.1, -1)).toBe(1);
  });
  it("parsePeaks reads 2n little-endian float32 (min then max)", () => {
    const [max, min] = parsePeaks(peakBytes(), N)!;
    expect([...min].map((x) => +x.toFixed(4))).toEqual(MIN);
    expect([...max].map((x) => +x.toFixed(4))).toEqual(MAX);
    expect(parsePeaks(new ArrayBuffer(4), N)).toBeNull();
    expect(parsePeaks(undefined, N)).toBeNull();
  });
  it("ListenTracker counts plays and wall time", () => {
    const t = new ListenTracker();
    t.play(0);
    t.play(100); // already playing
    t.stop(400);
    t.play(1000);
    expect(t.listenedMs(1100)).toBe(500);
    t.end(1200);
    expect([t.plays, t.listenedMs(5000), t.ended]).toEqual([2, 600, true]);
  });
  it("RegionEditor keeps unique ids and rounds to ms", () => {
    const e = new RegionEditor([{ id: "new-1", start: 0, end: 1, label: "a" }], 5, () => 12.4);
    const r = e.add(1.23456, 2.0004, "b")!;
    expect(r).toEqual({ id: "new-2", start: 1.235, end: 2, label: "b" });
    expect(e.ops[0].t_ms).toBe(12);
    expect(e.add(4, 6, "b")).toEqual({ id: "new-3", start: 4, end: 5, label: "b" }); // clamped to the clip
    expect(e.move("new-2", 3, 2)).toMatch(/end/);
    expect(formatTime(75.5)).toBe("1:15.50");
    expect(playRequirement("none", 0, false)).toBeNull();
    expect(playRequirement("played", 1, false)).toBeNull();
    expect(playRequirement("ended", 1, false)).toMatch(/end/);
  });
});
