/**
 * Audio review widget (anywidget ESM entry): listen to each clip, accept or correct its
 * label, mark and label time regions, fix the model's transcript, from the keyboard.
 *
 * Keys: Space / K play-pause · J / L seek 2 s back / forward (Shift: 10 s) · [ / ] slower
 * / faster (0.5x..2x, pitch kept) · + / - zoom · R replay the selected region · B / E set
 * the selected region's start / end at the playhead (B with none selected starts a new
 * region there, E ends it) · Tab / Shift+Tab select a region · Alt+1..9 label it · X /
 * Delete delete it · Esc cancel a started region / deselect · T edit the transcript
 * (Ctrl/Cmd+Enter saves, Esc cancels) · Enter / A accept · 1-9 correct · F flag · S skip
 * · Z undo (the last region change of this clip, then the last decision) · ← / → move ·
 * ? keys · G guideline. Mouse: drag on the waveform draws a region; drag a region or its
 * edges; click a region selects it; click the waveform seeks.
 *
 * The clip plays from a Blob URL of `item.binary[0]` in the widget's own <audio>
 * element; the waveform (wavesurfer.js, lib/audiowave.ts) is drawn from the kernel's
 * peaks (`item.binary[1]`), never by decoding the clip. Every accept / correct / flag
 * sends `data: {regions, transcript, listened_ms, plays, ended, ops}`.
 */
import "../lib/theme.css";
import "../lib/review.css";
import "../lib/image.css";
import "../lib/audio.css";
import type { AnyModel, RenderProps } from "@anywidget/types";
import { isTextEntry, keyFromCode, type KeyBinding } from "../lib/keyboard";
import { moveBindings } from "../lib/bindings";
import { makeEditorBox } from "../lib/editorbox";
import { clear, el, formatPercent, kbd, setAttr, setText, show } from "../lib/dom";
import { agreementRows, LabelButtons, paintProba } from "../lib/labelreview";
import { describeState } from "../lib/fold";
import { ReviewShell, type ShellOptions } from "../lib/shell";
import type { TimedRoot } from "../lib/paint";
import type { AudioItem } from "../lib/types";
import { now } from "../lib/ids";
import { describeStats, renderDiff, wordDiff } from "../lib/diffview";
import {
  ListenTracker,
  RegionEditor,
  SEEK_LONG,
  SEEK_STEP,
  clamp,
  formatTime,
  parsePeaks,
  partBytes,
  playRequirement,
  stepRate,
  type AudioRegion,
} from "../lib/audioedit";
import { createWaveView, type WaveView } from "../lib/audiowave";

export type { Timing } from "../lib/paint";
export type HitlRoot = TimedRoot;
export type MountOptions = ShellOptions;

/** One clip under review in this view (kept while the view lives: moving back shows it
 * as it was left). */
interface ClipState {
  editor: RegionEditor;
  transcript: string | null;
  listen: ListenTracker;
}

/** One player: an <audio> element, its waveform, and the clip loaded in it. */
interface Slot {
  box: HTMLElement;
  media: HTMLAudioElement;
  view: WaveView | null;
  key: string | null;
}

/** A clip ready to show: its Blob URL and its peaks. */
interface Prepared {
  /** the clip's Blob URL; null while a long clip's bytes are on their way */
  url: string | null;
  peaks: [Float32Array, Float32Array];
  /** a long clip (`audio.deferred`): its bytes asked for (once) */
  asked?: boolean;
  /** why its bytes did not come */
  error?: string;
}

const ZOOMS = [1, 2, 4, 8, 16, 32, 64];

/** Words the model is less sure of than this are marked in its transcript. */
const UNSURE_BELOW = 0.5;

/**
 * The model's transcript with each word's confidence (`data-confidence`, a title) and the
 * words under UNSURE_BELOW marked; the text as given (whitespace kept), as text nodes.
 * Returns how many words are marked, or -1 (nothing drawn) when the confidences do not
 * match the words one to one.
 */
function paintWords(into: HTMLElement, text: string, conf: number[] | null | undefined): number {
  // painted already (an item is repainted on acks and state changes): keep the nodes
  const key = Array.isArray(conf) ? `${conf.join(",")}\u0000${text}` : null;
  if (key !== null && wordsPainted.get(into) === key) return Number(into.dataset.unsure);
  wordsPainted.delete(into);
  const parts = text.split(/(\s+)/);
  const words = parts.filter((t, i) => i % 2 === 0 && t !== "");
  if (!Array.isArray(conf) || conf.length !== words.length || !words.length) return -1;
  let k = 0;
  let unsure = 0;
  const nodes: Node[] = parts.map((t, i) => {
    if (i % 2 === 1 || t === "") return document.createTextNode(t);
    const c = Number(conf[k++]);
    const low = Number.isFinite(c) && c < UNSURE_BELOW;
    if (low) unsure++;
    return el("span", {
      cls: ["hitl-word", low && "is-unsure"],
      text: t,
      title: Number.isFinite(c) ? `confidence ${formatPercent(c, 0)}` : undefined,
      attrs: { "data-confidence": Number.isFinite(c) ? String(c) : undefined },
    });
  });
  into.replaceChildren(...nodes);
  into.dataset.unsure = String(unsure);
  if (key !== null) wordsPainted.set(into, key);
  return unsure;
}
/** what each transcript element shows, as paintWords drew it */
const wordsPainted = new WeakMap<HTMLElement, string>();

/** A Blob URL of a clip's bytes (revoked when the clip is given back). */
const blobUrl = (bytes: Uint8Array, mime: string | undefined): string => URL.createObjectURL(new Blob([bytes as BlobPart], { type: mime || "" }));

const keyOf = (item: AudioItem): string => `${item.item_id}\u0000${item.content_hash}`;

export function mount(model: AnyModel, host: HTMLElement, options: MountOptions = {}): () => void {
  const shell: ReviewShell<AudioItem> = new ReviewShell<AudioItem>(
    model,
    {
      kind: "audio",
      ariaLabel: "Audio review",
      helpTitle: "Audio review keys",
      footer: [
        kbd("Space"), " play · ", kbd("J"), kbd("L"), " seek · ", kbd("B"), kbd("E"), " region · ", kbd("T"), " transcript · ",
        kbd("Enter"), " accept · ", kbd("1–9"), " correct · ", kbd("F"), " flag · ", kbd("S"), " skip · ", kbd("Z"), " undo · ",
        kbd("?"), " keys",
      ],
      flag: { description: "Flag the clip, with a note (Enter saves, Esc cancels); its regions and transcript are kept", data: (item) => reviewData(item) },
      describe: (st, item) => {
        if (st.action === "accept") {
          const l = st.label ?? item.model_label;
          return l ? `accepted: ${l}` : "accepted";
        }
        if (st.action === "correct") return `corrected → ${st.label ?? ""}`;
        return describeState(st, shell.client.vocabulary());
      },
    },
    options,
  );
  const client = shell.client;
  const root = shell.root;
  root.setAttribute("data-layout", "audio");

  const cfg = (): Record<string, unknown> => client.config();
  const labels = (): string[] => {
    const l = model.get("labels");
    return Array.isArray(l) ? l.map(String) : [];
  };
  const regionLabels = (): string[] => {
    const r = cfg().region_labels;
    return Array.isArray(r) && r.length ? r.map(String) : labels();
  };
  const hasTranscripts = (item: AudioItem | null): boolean => cfg().transcript === true || typeof item?.transcript === "string";

  /* ------------------------------------------------------------ skeleton */
  /* Two players, each an <audio> element with its waveform: the one shown, and a spare
   * that holds the next clip, drawn and buffered while the person listens to this one.
   * Moving on swaps them (no drawing, no fetch between the key and the frame), and the
   * spare then takes the clip after. The shown one carries the test ids "audio" and
   * "waveform"; the spare is hidden, stacked under it, and out of the accessibility tree. */
  const slots: [Slot, Slot] = [makeSlot(), makeSlot()];
  let act = slots[0];
  let spare = slots[1];
  let media = act.media;
  const waveEl = el("div", { cls: "hitl-waveform-deck" }, [slots[0].box, slots[1].box]);
  markSlots();
  const errorEl = el("div", { cls: "hitl-audio-error", testid: "audio-error", hidden: true });
  const nameEl = el("span", { cls: "hitl-audio-name", testid: "audio-name" });
  const timeEl = el("span", { cls: "hitl-audio-time", testid: "audio-time" });
  const rateEl = el("span", { cls: "hitl-audio-rate", testid: "audio-rate" });
  const playsEl = el("span", { cls: "hitl-audio-plays", testid: "play-count" });
  const listenEl = el("span", { cls: "hitl-audio-listen", testid: "listen-time" });
  const pendingEl = el("span", { cls: "hitl-audio-pending", testid: "region-pending", hidden: true });
  const stage = el("div", { cls: "hitl-audio-stage", testid: "audio-stage", attrs: { "data-playing": "false" } }, [
    el("div", { cls: "hitl-audio-bar" }, [nameEl, timeEl, rateEl, playsEl, listenEl, pendingEl]),
    waveEl,
    errorEl,
    slots[0].media,
    slots[1].media,
  ]);
  const regionLabelsEl = el("div", { cls: "hitl-audio-region-labels", testid: "region-labels" });
  const regionList = el("ul", { cls: "hitl-audio-regions", testid: "region-list", attrs: { "aria-label": "Regions" } });
  const regionsBlock = el("section", { cls: "hitl-block hitl-audio-regions-block" }, [
    el("div", { cls: "hitl-block-title" }, [el("span", { text: "Regions" }), regionLabelsEl]),
    regionList,
  ]);

  const transcriptStatus = el("span", { cls: "hitl-response-status", testid: "transcript-status" });
  const transcriptEl = el("div", { cls: "hitl-audio-transcript", testid: "transcript" });
  const diffEl = el("div", { cls: "hitl-diff", testid: "transcript-diff", hidden: true });
  const { box: editorBox, input: editor, save: editorSave, cancel: editorCancel } = makeEditorBox(
    { box: "transcript-box", input: "transcript-editor", save: "transcript-save" },
    "Edit the transcript",
    4,
  );
  const transcriptBlock = el("section", { cls: "hitl-block hitl-audio-transcript-block", testid: "transcript-block" }, [
    el("div", { cls: "hitl-block-title" }, [el("span", { text: "Transcript" }), transcriptStatus]),
    transcriptEl,
    diffEl,
    editorBox,
  ]);

  const fieldsRow = el("div", { cls: "hitl-image-fields", testid: "fields", hidden: true });
  const modelLabel = el("span", { cls: "hitl-model-name", testid: "model-label" });
  const confidence = el("span", { cls: "hitl-confidence", testid: "confidence" });
  const modelRow = el("div", { cls: "hitl-model" }, [el("span", { text: "Model:" }), modelLabel, confidence]);
  const proba = el("div", { cls: "hitl-proba", testid: "proba", hidden: true });
  const labelsRow = el("div", { cls: "hitl-labels", attrs: { role: "group", "aria-label": "Labels" } });
  shell.itemPane.append(stage, regionsBlock, transcriptBlock, fieldsRow, modelRow, proba, labelsRow, shell.note!.box);

  /* ------------------------------------------------------------ clips (prefetched) */
  const prepared = new Map<string, Prepared>();
  function prepare(item: AudioItem): Prepared | null {
    const k = keyOf(item);
    const have = prepared.get(k);
    if (have) return have;
    if (!item.audio || !item.peaks || !Array.isArray(item.binary)) return null;
    // a long clip came without its bytes (asked for by `withBytes`); its peaks are buffer 0
    const deferred = item.audio.deferred === true;
    const peaks = parsePeaks(item.binary[item.peaks.buffer ?? (deferred ? 0 : 1)], Number(item.peaks.n));
    if (!peaks || typeof URL.createObjectURL !== "function") return null;
    let p: Prepared;
    if (deferred) p = { url: null, peaks };
    else {
      const bytes = partBytes(item.binary[0]);
      if (!bytes) return null;
      p = { url: blobUrl(bytes, item.audio.mime), peaks };
    }
    prepared.set(k, p);
    return p;
  }

  /** Ask for a long clip's bytes (the shown clip and the next only: each may be large);
   * once they come, the player holding the clip gets them. */
  function withBytes(item: AudioItem, p: Prepared): void {
    if (p.url !== null || p.asked) return;
    p.asked = true;
    const k = keyOf(item);
    client
      .requestClip(String(item.item_id))
      .then((c) => {
        const bytes = partBytes(c.bytes);
        if (prepared.get(k) !== p || !bytes) return; // given back meanwhile
        p.url = blobUrl(bytes, c.audio.mime || item.audio?.mime);
        for (const sl of slots) if (sl.key === k) sl.media.src = p.url;
        if (act.key === k) {
          media.playbackRate = rate;
          media.defaultPlaybackRate = rate;
          media.preservesPitch = true;
          paintStage();
        }
      })
      .catch((err: Error) => {
        if (prepared.get(k) !== p) return;
        p.error = `The clip's sound did not come from the kernel: ${err?.message ?? err}`;
        if (act.key === k) {
          setText(errorEl, p.error);
          show(errorEl, true);
        }
      });
  }
  /** The clips near the cursor ready (Blob URL, peaks), the others given back. */
  function warm(): void {
    const keep = new Set<string>();
    const ahead = Math.max(2, Math.min(client.prefetch, 12));
    for (let qi = client.cursor - 2; qi <= client.cursor + ahead; qi++) {
      const it = client.items.get(qi);
      if (it && prepare(it)) keep.add(keyOf(it));
    }
    for (const [k, p] of prepared) {
      if (keep.has(k) || k === loadedKey || k === act.key || k === spare.key) continue;
      if (p.url) URL.revokeObjectURL?.(p.url);
      prepared.delete(k);
    }
  }
  shell.addCleanup(client.events.on("items", () => fillSpareSoon()));
  shell.addCleanup(() => {
    for (const p of prepared.values()) if (p.url) URL.revokeObjectURL?.(p.url);
    prepared.clear();
  });

  /* ------------------------------------------------------------ per-clip state */
  const states = new Map<string, ClipState>();
  function stateOf(item: AudioItem): ClipState {
    const k = keyOf(item);
    let st = states.get(k);
    if (st) return st;
    const d = verdictData(item);
    const regs = initialRegions(item);
    const text =
      d && typeof d.transcript_after === "string" ? d.transcript_after : d && typeof d.transcript === "string" ? d.transcript : typeof item.transcript === "string" ? item.transcript : null;
    const shownAt = now();
    st = {
      editor: new RegionEditor(regs, Number(item.duration) || 0, () => now() - shownAt),
      transcript: text,
      listen: new ListenTracker(),
    };
    states.set(k, st);
    return st;
  }
  function verdictData(item: AudioItem): Record<string, unknown> | null {
    return (client.foldOf(item).verdict?.data ?? null) as Record<string, unknown> | null;
  }
  /** The regions a clip opens with: its last decision's, else the model's. */
  function initialRegions(item: AudioItem): AudioRegion[] {
    const d = verdictData(item);
    const regs = Array.isArray(d?.regions_after) ? d!.regions_after : Array.isArray(d?.regions) ? d!.regions : Array.isArray(item.regions) ? item.regions : [];
    return regs as AudioRegion[];
  }
  const current = (): AudioItem | null => (client.state() === "item" ? (client.current() ?? null) : null);
  const curState = (): ClipState | null => {
    const it = current();
    return it ? stateOf(it) : null;
  };

  /** The data every accept / correct / flag of `item` carries. */
  function reviewData(item: AudioItem): Record<string, unknown> {
    const st = stateOf(item);
    return {
      regions: st.editor.toData(),
      transcript: st.transcript,
      listened_ms: st.listen.listenedMs(now()),
      plays: st.listen.plays,
      ended: st.listen.ended,
      ops: st.editor.ops.map((o) => ({ ...o, before: o.before && { ...o.before }, after: o.after && { ...o.after } })),
    };
  }

  /* ------------------------------------------------------------ playback */
  let loadedKey: string | null = null;
  let loadedState: ClipState | null = null;
  let playing = false;
  let time = 0;
  let rate = 1;
  let stopAt: number | null = null;
  let zoomAt = 0;

  function makeSlot(): Slot {
    const m = el("audio", { cls: "hitl-audio-media", attrs: { preload: "auto" } });
    m.preservesPitch = true;
    return { box: el("div", { cls: "hitl-waveform" }), media: m, view: null, key: null };
  }
  /** The shown slot carries the test ids and takes the pointer; the spare is hidden. */
  function markSlots(): void {
    for (const sl of slots) {
      const on = sl === act;
      sl.box.classList.toggle("is-spare", !on);
      setAttr(sl.box, "data-testid", on ? "waveform" : "waveform-next");
      setAttr(sl.media, "data-testid", on ? "audio" : "audio-next");
      if (on) sl.box.removeAttribute("aria-hidden");
      else sl.box.setAttribute("aria-hidden", "true");
    }
  }

  /** The slot's waveform, made on first use; null where it cannot be drawn. */
  function viewOf(slot: Slot): WaveView | null {
    if (slot.view) return slot.view;
    try {
      // the spare's waveform is hidden: what the mouse does there is not the person's
      slot.view = createWaveView(slot.box, slot.media, {
        created: (start, end) => {
          const st = curState();
          if (!st || slot !== act) return;
          const r = st.editor.add(start, end, regionLabels()[0] ?? "");
          if (!r) shell.say("That region is too short.");
          paintRegions();
        },
        updated: (id, start, end) => {
          const st = curState();
          if (!st || slot !== act) return;
          const why = st.editor.move(id, start, end);
          if (why) shell.say(`Region not moved: ${why}.`);
          st.editor.select(id);
          paintRegions();
        },
        clicked: (id) => {
          if (slot !== act) return;
          curState()?.editor.select(id);
          paintRegions();
          shell.focus();
        },
      });
      shell.addCleanup(() => slot.view?.destroy());
    } catch (err) {
      console.error("hitl_widgets: the waveform could not be drawn", err);
      slot.view = null;
    }
    return slot.view;
  }

  /** Load a prepared clip into a slot (its waveform from the peaks, its media's source). */
  function fill(slot: Slot, key: string, p: Prepared, duration: number, regions: AudioRegion[]): void {
    slot.key = key;
    const w = viewOf(slot);
    if (w) {
      // a long clip's bytes may still be on their way: its waveform is drawn from the peaks now
      w.load(p.url ?? "", p.peaks, duration);
      w.setRegions(regions, null);
    } else if (p.url) slot.media.src = p.url;
    else slot.media.removeAttribute("src");
  }

  /** Give the spare the clip after the shown one, so that moving on only swaps them. */
  function fillSpare(): void {
    if (!act.key) return;
    const next = client.items.get(client.cursor + 1);
    if (!next || loadedKey === null || keyOf(next) === act.key) return;
    const k = keyOf(next);
    if (spare.key === k) return;
    const p = prepare(next);
    if (!p || next.audio_error) return;
    spare.media.pause?.();
    fill(spare, k, p, Number(next.duration) || 0, initialRegions(next));
    withBytes(next, p);
  }
  let spareTimer: ReturnType<typeof setTimeout> | null = null;
  /** The clips near the cursor prepared and the spare filled, once this frame is painted
   * (a Blob's copy and a waveform's drawing stay off the key's frame). */
  function fillSpareSoon(): void {
    if (spareTimer !== null) return;
    spareTimer = setTimeout(() => {
      spareTimer = null;
      warm();
      fillSpare();
    }, 30);
  }
  shell.addCleanup(() => {
    if (spareTimer !== null) clearTimeout(spareTimer);
  });

  function loadClip(item: AudioItem): void {
    // the clip shown before stops: its listening is accounted up to now
    if (playing) media.pause();
    loadedState?.listen.stop(now());
    playing = false;
    stopAt = null;
    time = 0;
    zoomAt = 0;
    loadedKey = keyOf(item);
    loadedState = stateOf(item);
    const p = prepare(item);
    const why = typeof item.audio_error === "string" && item.audio_error ? item.audio_error : !item.audio ? "No audio was sent for this clip." : p ? "" : "The clip's bytes or peaks are missing.";
    setText(errorEl, why);
    show(errorEl, !!why);
    stage.setAttribute("data-loaded", p ? "true" : "false");
    if (!p) {
      act.key = null;
      media.removeAttribute("src");
      return;
    }
    const k = keyOf(item);
    if (spare.key === k && spare.view) {
      // drawn and buffered ahead: swap the players
      [act, spare] = [spare, act];
      media = act.media;
      markSlots();
    } else if (act.key !== k) {
      fill(act, k, p, Number(item.duration) || 0, initialRegions(item));
    }
    withBytes(item, p);
    if (p.error) {
      setText(errorEl, p.error);
      show(errorEl, true);
    }
    media.playbackRate = rate;
    media.defaultPlaybackRate = rate;
    media.preservesPitch = true;
  }

  const loaded = (): ClipState | null => (loadedKey !== null && current() && keyOf(current()!) === loadedKey ? loadedState : null);

  function togglePlay(): void {
    const item = current();
    if (!item || !loaded() || stage.getAttribute("data-loaded") !== "true") return shell.say("There is no clip to play.");
    if (!media.getAttribute("src")) return shell.say(prepared.get(keyOf(item))?.error ?? "The clip's sound is still coming from the kernel: a moment.");
    if (playing) {
      media.pause();
      return;
    }
    startPlay();
  }

  function startPlay(): void {
    const dur = Number(current()?.duration) || 0;
    if (stopAt === null && dur && time >= dur - 0.01) seekTo(0);
    media.playbackRate = rate;
    media.preservesPitch = true;
    let p: Promise<void> | undefined;
    try {
      p = media.play();
    } catch (err) {
      shell.say(`The browser did not play the clip: ${(err as Error).message}`, "error");
      return;
    }
    p?.catch?.((err: Error) => {
      if (err?.name !== "AbortError") shell.say(`The browser did not play the clip: ${err?.message ?? err}`, "error");
    });
  }

  function seekTo(t: number): void {
    const dur = Number(current()?.duration) || 0;
    time = clamp(t, 0, dur);
    try {
      media.currentTime = time;
    } catch {
      /* no media yet */
    }
    paintStage();
  }

  function seek(delta: number): void {
    stopAt = null;
    seekTo(time + delta);
  }

  function changeRate(dir: number): void {
    rate = stepRate(rate, dir);
    media.playbackRate = rate;
    media.defaultPlaybackRate = rate;
    media.preservesPitch = true;
    paintStage();
  }

  function zoom(dir: number): void {
    const item = current();
    const wave = act.view;
    if (!item || !wave) return;
    zoomAt = clamp(zoomAt + dir, 0, ZOOMS.length - 1);
    const dur = Number(item.duration) || 1;
    const fit = (wave.width() || 600) / dur;
    wave.zoom(zoomAt === 0 ? 0 : fit * ZOOMS[zoomAt]);
    paintStage();
  }

  const onMedia = (ev: Event) => {
    // the spare's events (its buffering, its pause when it is given the next clip) are not the clip shown
    if (ev.target !== media) return;
    const st = loaded();
    const t = now();
    switch (ev.type) {
      case "play":
        playing = true;
        st?.listen.play(t);
        break;
      case "pause":
        playing = false;
        st?.listen.stop(t);
        break;
      case "ended":
        playing = false;
        stopAt = null;
        st?.listen.end(t);
        break;
      case "timeupdate": {
        const ct = Number(media.currentTime);
        if (Number.isFinite(ct) && st) time = ct;
        if (stopAt !== null && time >= stopAt - 0.005) {
          stopAt = null;
          media.pause();
        }
        break;
      }
      case "error":
        if (media.getAttribute("src")) {
          setText(errorEl, `The browser cannot play this clip (${current()?.audio?.mime ?? "unknown format"}).`);
          show(errorEl, true);
        }
        break;
    }
    paintStage();
  };
  const MEDIA_EVENTS = ["play", "pause", "ended", "timeupdate", "error"];
  for (const sl of slots) for (const type of MEDIA_EVENTS) sl.media.addEventListener(type, onMedia);
  shell.addCleanup(() => {
    for (const sl of slots) {
      for (const type of MEDIA_EVENTS) sl.media.removeEventListener(type, onMedia);
      sl.media.pause?.();
    }
  });
  // the listening time shown moves on while playing
  const ticker = setInterval(() => {
    if (playing) paintStage();
  }, 250);
  shell.addCleanup(() => clearInterval(ticker));

  /* ------------------------------------------------------------ regions */
  function needSelected(): AudioRegion | null {
    const st = curState();
    const r = st?.editor.get(st.editor.selected);
    if (!r) {
      shell.say("Select a region first (Tab), or press B to start one at the playhead.");
      return null;
    }
    return r;
  }

  function markStart(): void {
    const st = curState();
    if (!st) return;
    shell.clearMessage();
    const r = st.editor.get(st.editor.selected);
    if (!r) {
      st.editor.pending = time;
      shell.say(`A new region starts at ${formatTime(time)}: E ends it at the playhead (Esc cancels).`);
    } else {
      const why = st.editor.move(r.id, time, r.end);
      if (why) shell.say(`Start not set: ${why}.`);
    }
    paintRegions();
  }

  function markEnd(): void {
    const st = curState();
    if (!st) return;
    shell.clearMessage();
    if (st.editor.pending !== null) {
      const start = st.editor.pending;
      const r = st.editor.add(Math.min(start, time), Math.max(start, time), regionLabels()[0] ?? "");
      if (!r) shell.say("The region would be empty: move the playhead away from its start, then E.");
    } else {
      const r = needSelected();
      if (!r) return;
      const why = st.editor.move(r.id, r.start, time);
      if (why) shell.say(`End not set: ${why}.`);
    }
    paintRegions();
  }

  function relabel(n: number): void {
    const r = needSelected();
    if (!r) return;
    const l = regionLabels()[n - 1];
    if (l === undefined) return shell.say(`There is no region label ${n}.`);
    curState()!.editor.relabel(r.id, l);
    paintRegions();
  }

  function removeSelected(): void {
    const r = needSelected();
    if (!r) return;
    curState()!.editor.remove(r.id);
    paintRegions();
  }

  function cycle(dir: number): void {
    const st = curState();
    if (!st) return;
    if (!st.editor.cycle(dir)) shell.say("This clip has no regions: B starts one at the playhead.");
    paintRegions();
  }

  function replay(): void {
    const r = needSelected();
    if (!r) return;
    seekTo(r.start);
    stopAt = r.end;
    if (!playing) startPlay();
  }

  function escape(): void {
    const st = curState();
    if (st && st.editor.pending !== null) {
      st.editor.pending = null;
      shell.say("Region cancelled.");
      return paintRegions();
    }
    if (st && st.editor.selected !== null) {
      st.editor.select(null);
      return paintRegions();
    }
    shell.help.close();
  }

  /* ------------------------------------------------------------ transcript */
  function openEditor(): void {
    const item = current();
    if (!item) return;
    if (!hasTranscripts(item)) return shell.say("This review has no transcripts.");
    shell.openBox("transcript");
    editor.value = stateOf(item).transcript ?? "";
    show(editorBox, true);
    setText(transcriptStatus, "editing");
    paintDiff(item, editor.value);
    editor.focus({ preventScroll: true });
  }

  function saveEditor(): void {
    const item = current();
    if (!item || !shell.isBoxOpen("transcript")) return shell.closeBoxes(true);
    stateOf(item).transcript = editor.value;
    shell.closeBoxes(true);
    shell.clearMessage();
    paintTranscript(item);
  }

  shell.addBox("transcript", editorBox, editor, { onEnter: saveEditor, onEscape: () => shell.closeBoxes(true) });
  editorSave.addEventListener("click", saveEditor);
  editorCancel.addEventListener("click", () => shell.closeBoxes(true));
  editor.addEventListener("input", () => {
    const item = current();
    if (item && shell.isBoxOpen("transcript")) paintDiff(item, editor.value);
  });
  shell.onBoxClose = () => {
    const item = current();
    if (item) paintTranscript(item);
  };

  function paintDiff(item: AudioItem, text: string | null): void {
    const model = typeof item.transcript === "string" ? item.transcript : "";
    const edited = text ?? "";
    if (edited === model) {
      show(diffEl, false);
      clear(diffEl);
      return;
    }
    const stats = renderDiff(diffEl, wordDiff(model, edited));
    diffEl.setAttribute("data-stats", describeStats(stats));
    show(diffEl, true);
  }

  function paintTranscript(item: AudioItem): void {
    const has = hasTranscripts(item);
    show(transcriptBlock, has);
    if (!has) return;
    const st = stateOf(item);
    const editing = shell.isBoxOpen("transcript");
    if (!editing) show(editorBox, false);
    transcriptEl.classList.toggle("is-empty", !st.transcript);
    const model = typeof item.transcript === "string" ? item.transcript : null;
    const edited = (st.transcript ?? "") !== (model ?? "");
    const unsure = !edited && model !== null ? paintWords(transcriptEl, model, item.word_confidence) : -1;
    if (unsure < 0) {
      wordsPainted.delete(transcriptEl);
      // marked words of the clip before may spell the same text: replace them whatever
      if (transcriptEl.firstElementChild) transcriptEl.textContent = st.transcript ?? "";
      else setText(transcriptEl, st.transcript ?? "");
    }
    if (!editing) {
      const marked = unsure > 0 ? ` (${unsure} word${unsure === 1 ? "" : "s"} under ${formatPercent(UNSURE_BELOW, 0)} confidence marked)` : "";
      setText(transcriptStatus, edited ? "edited (word diff against the model's transcript below)" : model === null ? "none: T to write one" : `the model's${marked}`);
      paintDiff(item, st.transcript);
    }
  }

  /* ------------------------------------------------------------ decisions */
  const hasModel = (item: AudioItem): boolean => item.model_label !== null && item.model_label !== undefined && item.model_label !== "";

  function allowed(item: AudioItem): boolean {
    const st = stateOf(item);
    const why = playRequirement(cfg().require_play, st.listen.plays, st.listen.ended);
    if (why) {
      shell.say(why, "error");
      return false;
    }
    return true;
  }

  function accept(): void {
    const item = current();
    if (!item) return;
    // a review without clip labels (transcripts, regions): Enter submits the clip's review
    const labelled = labels().length > 0;
    if (labelled && !shell.showModel()) return shell.say("The model's label is hidden in this review: pick a label with 1–9.");
    if (labelled && !hasModel(item)) return shell.say("No model label to accept: pick a label with 1–9.");
    if (!allowed(item)) return;
    shell.clearMessage();
    client.decide({ action: "accept", data: reviewData(item) });
  }

  function choose(label: string): void {
    const item = current();
    if (!item) return;
    if (!allowed(item)) return;
    shell.clearMessage();
    if (hasModel(item) && label === item.model_label) client.decide({ action: "accept", data: reviewData(item) });
    else client.decide({ action: "correct", label, data: reviewData(item) });
  }

  function undo(): void {
    shell.clearMessage();
    const st = curState();
    if (st?.editor.canUndo()) {
      st.editor.undo();
      paintRegions();
      return;
    }
    if (!client.undo()) shell.say("Nothing to undo in this session.");
  }

  /* ------------------------------------------------------------ keys */
  const bindings: KeyBinding[] = [
    { keys: [" ", "k"], display: "Space / K", description: "Play / pause", run: () => togglePlay() },
    { keys: ["j"], display: "J", description: "Seek back 2 s (Shift+J: 10 s)", repeat: true, run: (_k, ev) => seek(-(ev.shiftKey ? SEEK_LONG : SEEK_STEP)) },
    { keys: ["l"], display: "L", description: "Seek forward 2 s (Shift+L: 10 s)", repeat: true, run: (_k, ev) => seek(ev.shiftKey ? SEEK_LONG : SEEK_STEP) },
    { keys: ["["], display: "[", description: "Slower (down to 0.5x, pitch kept)", run: () => changeRate(-1) },
    { keys: ["]"], display: "]", description: "Faster (up to 2x, pitch kept)", run: () => changeRate(1) },
    { keys: ["+", "="], display: "+ / =", description: "Zoom in on the waveform", repeat: true, run: () => zoom(1) },
    { keys: ["-"], display: "-", description: "Zoom out", repeat: true, run: () => zoom(-1) },
    { keys: ["r"], display: "R", description: "Replay the selected region", run: () => replay() },
    { keys: ["b"], display: "B", description: "Set the selected region's start at the playhead (none selected: start a new region there)", run: () => markStart() },
    { keys: ["e"], display: "E", description: "Set the selected region's end at the playhead (after B: end the new region)", run: () => markEnd() },
    { keys: ["Tab"], display: "Tab / Shift+Tab", description: "Select the next / previous region (click on one selects it too)", repeat: true, run: (_k, ev) => cycle(ev.shiftKey ? -1 : 1) },
    { keys: ["Alt+1-9"], display: "Alt+1 – 9", description: "Give the selected region label n", run: () => {} },
    { keys: ["x", "Delete", "Backspace"], display: "X / Delete", description: "Delete the selected region", run: () => removeSelected() },
    { keys: ["Escape"], display: "Esc", description: "Cancel a started region, or deselect (else: close the help)", run: () => escape() },
    { keys: ["t"], display: "T", description: "Edit the transcript (Ctrl/⌘+Enter saves, Esc cancels; the word diff against the model's is shown)", run: () => openEditor() },
    { keys: ["Enter", "a"], display: "Enter / A", description: "Accept: the model's label (in a review without clip labels: submit) with the regions and transcript as they are", action: "accept", run: () => accept() },
    {
      keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
      display: "1 – 9",
      description: "Correct the clip's label to label n",
      run: (k) => {
        const l = labels()[Number(k) - 1];
        if (l !== undefined) choose(l);
      },
    },
    ...shell.flagBindings(),
    { keys: ["s"], display: "S", description: "Skip", action: "skip", run: () => client.decide({ action: "skip" }) },
    { keys: ["z"], display: "Z", description: "Undo the last region change of this clip; with none left, the last decision", run: () => undo() },
    ...moveBindings((delta) => client.move(delta)),
  ];
  shell.bind(bindings);

  // Alt+1..9: the key layer leaves keys with Alt / Ctrl / Meta alone
  const onHostKey = (ev: KeyboardEvent) => {
    if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const d = keyFromCode(ev.code) ?? ev.key;
    if (!/^[1-9]$/.test(d)) return;
    if (isTextEntry(ev.target) || shell.modals.isOpen() || client.state() !== "item") return;
    ev.preventDefault();
    ev.stopPropagation();
    client.interacted();
    relabel(Number(d));
  };
  host.addEventListener("keydown", onHostKey, true);
  shell.addCleanup(() => host.removeEventListener("keydown", onHostKey, true));

  /* ------------------------------------------------------------ painting */
  let labelsKey = "";
  const buttons = new LabelButtons(labelsRow, (label) => shell.timeKey("click", null, () => choose(label)));
  function buildButtons(): void {
    const list = labels();
    const k = JSON.stringify([list, regionLabels()]);
    if (k === labelsKey) return;
    labelsKey = k;
    buttons.build(list);
    clear(regionLabelsEl);
    regionLabels()
      .slice(0, 9)
      .forEach((l, i) => regionLabelsEl.append(el("span", { cls: "hitl-audio-region-label", testid: "region-label", attrs: { "data-label": l } }, [kbd(`Alt+${i + 1}`), el("span", { text: l })])));
  }

  function paintStage(): void {
    const item = current();
    if (!item) return;
    const st = stateOf(item);
    const dur = Number(item.duration) || 0;
    setAttr(stage, "data-playing", playing ? "true" : "false");
    setAttr(stage, "data-rate", String(rate));
    setAttr(stage, "data-time", time.toFixed(2));
    setAttr(stage, "data-duration", dur.toFixed(2));
    setAttr(stage, "data-zoom", String(ZOOMS[zoomAt]));
    setText(timeEl, `${formatTime(time)} / ${formatTime(dur)}`);
    setText(rateEl, `${rate}x`);
    rateEl.classList.toggle("is-changed", rate !== 1);
    const ms = st.listen.listenedMs(now());
    setText(playsEl, `played ${st.listen.plays}×${st.listen.ended ? " (to the end)" : ""}`);
    playsEl.setAttribute("data-plays", String(st.listen.plays));
    playsEl.setAttribute("data-ended", st.listen.ended ? "true" : "false");
    setText(listenEl, `listened ${(ms / 1000).toFixed(1)} s`);
    listenEl.setAttribute("data-ms", String(ms));
  }

  function paintRegions(): void {
    const item = current();
    if (!item) return;
    const st = stateOf(item);
    const list = st.editor.regions();
    const sel = st.editor.selected;
    const rows = list.map((r) => {
      const li = el(
        "li",
        {
          cls: ["hitl-audio-region", r.id === sel && "is-selected"],
          testid: "region",
          attrs: { "data-region-id": r.id, "data-label": r.label, "data-start": r.start.toFixed(3), "data-end": r.end.toFixed(3), "aria-selected": r.id === sel ? "true" : "false" },
        },
        [
          el("span", { cls: "hitl-audio-region-label-text", text: r.label }),
          el("span", { cls: "hitl-audio-region-times", text: `${formatTime(r.start)} – ${formatTime(r.end)}` }),
        ],
      );
      li.addEventListener("click", () => {
        st.editor.select(r.id);
        paintRegions();
      });
      return li;
    });
    if (!rows.length) rows.push(el("li", { cls: "hitl-audio-region-none", text: "No regions: B / E at the playhead, or drag on the waveform." }));
    regionList.replaceChildren(...rows);
    const pending = st.editor.pending;
    show(pendingEl, pending !== null);
    setText(pendingEl, pending !== null ? `new region from ${formatTime(pending)} (E ends it)` : "");
    if (pending !== null) stage.setAttribute("data-pending", pending.toFixed(2));
    else stage.removeAttribute("data-pending");
    if (act.view && loadedKey === keyOf(item) && act.key === loadedKey) act.view.setRegions(list, sel);
  }

  shell.paintItem = (item, fresh) => {
    buildButtons();
    if (fresh) {
      stage.setAttribute("data-item-id", String(item.item_id));
      setText(nameEl, item.name ?? "");
      if (loadedKey !== keyOf(item)) loadClip(item);
      // the clips ahead (their Blobs: a copy of each clip's bytes) and the spare player
      // are made once this frame is painted, not on the key's path
      fillSpareSoon();
      clear(fieldsRow);
      const fs = Array.isArray(item.fields) ? item.fields : [];
      for (const f of fs) fieldsRow.append(el("span", { cls: "hitl-field", text: `${String(f[0])}: ${String(f[1])}` }));
      show(fieldsRow, fs.length > 0);
      paintProba(proba, item, labels(), shell.showModel());
    }
    paintStage();
    paintRegions();
    paintTranscript(item);
    const sm = shell.showModel();
    const labelled = labels().length > 0;
    show(modelRow, sm && (labelled || typeof item.confidence === "number"));
    show(modelLabel, labelled);
    show(labelsRow, labelled);
    setText(modelLabel, sm ? (item.model_label ?? "—") : "");
    setText(confidence, sm && typeof item.confidence === "number" ? formatPercent(item.confidence, 1) : "");
    buttons.mark(shell, item, sm);
  };
  shell.onLeave = () => {
    if (playing) media.pause();
    loadedState?.listen.stop(now());
  };

  shell.summaryRows = () => agreementRows(shell, model);

  return shell.mount(host);
}

function render({ model, el: host }: RenderProps): () => void {
  return mount(model, host);
}

export default { render };
