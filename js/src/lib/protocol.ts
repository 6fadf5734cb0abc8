/**
 * ReviewClient: the browser half of docs/protocol.md, shared by every widget kind.
 *
 * It composes the fetch window (lib/window.ts: entries around the cursor, prefetch), the
 * pending store (lib/pending.ts: memory + localStorage until the kernel acknowledges a
 * decision after the commit, resent) and the fold (lib/fold.ts: each item's state from
 * its decisions, in the kernel's vocabulary), and keeps this session's own decisions
 * (undo, summary). Views subscribe to its events and paint; they never talk to the model
 * directly for protocol messages.
 */
import type { AnyModel } from "@anywidget/types";
import type {
  AckMessage,
  BaseItem,
  BinaryPart,
  BrowserMessage,
  ClipReply,
  Decision,
  ExportMessage,
  ExportReply,
  ExternalMessage,
  GoldFeedback,
  ImageReply,
  ItemState,
  ItemsMessage,
  ResetMessage,
  SeekReply,
  SentClip,
  SentImage,
} from "./types";
import { Emitter } from "./emitter";
import { now, num, str, uuid } from "./ids";
import { PendingStore, defaultStorage, isDecision, storageKey } from "./pending";
import { FetchWindow, type Flight } from "./window";
import {
  EMPTY_STATE,
  accepts,
  applyDecision,
  describeState,
  seedState,
  viewState,
  vocabularyOf,
  type FoldState,
  type Vocabulary,
} from "./fold";

export type { Decision, BaseItem, ItemState, GoldFeedback, ExportReply } from "./types";
export type { Flight } from "./window";
export { Emitter, uuid, now, storageKey, describeState };

/* ------------------------------------------------------------------ client */

export interface ReviewClientOptions {
  /** where pending decisions survive a closed tab; default `localStorage` (null: memory only) */
  storage?: Storage | null;
  /** resend anything unacknowledged for this long (ms); default 2000 */
  resendAfterMs?: number;
  /** how often the resend timer looks (ms); default 500 */
  tickMs?: number;
  /** a fetch unanswered for this long may be asked again (ms); default 10000 */
  fetchTimeoutMs?: number;
  /**
   * Send messages after the frame that shows the next item (default: true where
   * requestAnimationFrame exists). A decision is in memory and localStorage before the
   * key handler returns; sending it costs JupyterLab's kernel connection a few ms that
   * would otherwise delay that frame (measured with bench_latency.py: key -> next item
   * painted p50 12.7 -> 7.6 ms, p95 19.1 -> 16.0-16.6 ms). false: send at once (unit tests).
   */
  sendAfterFrame?: boolean;
  /**
   * Send a decision at once even where other messages wait for the frame: someone waits
   * on it (an agent's held call resumes only when it is committed), and a frame can take
   * 10-20 ms to come. Default false.
   */
  decisionsAtOnce?: boolean;
  /** a gap longer than this between the person's interactions counts as this long in
   * `duration_ms` (the rest goes to `data.idle_ms`); default 60000 */
  idleCapMs?: number;
  /** a `seek` / `export` unanswered for this long fails (ms); default 15000 */
  requestTimeoutMs?: number;
  /** an `image` request (a full-resolution original: megabytes) unanswered for this
   * long fails (ms); default 60000 */
  imageTimeoutMs?: number;
  /** decisions or a fetch unanswered for this long, with nothing heard from the kernel
   * meanwhile: the view says so (a `status` "waiting"), until the kernel is heard (ms);
   * default 8000 */
  silentAfterMs?: number;
}

/** The full-resolution original of an item's image, as the kernel answered an `image`
 * request: `bytes` is the reply's binary buffer 0 (never base64). */
export interface FullImage {
  item_id: string;
  image: SentImage;
  bytes: BinaryPart;
}

/** The bytes of a clip its item left out. */
export interface FullClip {
  item_id: string;
  audio: SentClip;
  bytes: BinaryPart;
}

/** A `seek`, `export`, `image` or `clip` request waiting for its answer (matched by `req`). */
interface Request {
  type: "seek" | "export" | "image" | "clip";
  resolve: (msg: unknown, buffers: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface ClientEvents {
  /** anything the view shows may have changed (cursor, window, pending, traitlets) */
  change: { reason: string };
  /** the cursor moved */
  cursor: { from: number; to: number };
  /** entries arrived */
  items: { start: number; count: number };
  /** decisions were acknowledged (ids) or rejected (errors) */
  ack: { ids: string[]; errors: Record<string, string> };
  /** a human-readable problem to show (rejected decision, ...) */
  message: { text: string; level: "error" | "info" };
  /** the store waits (a lock, a reconnection), cannot be written, or works again */
  status: { level: "ok" | "waiting" | "error"; text: string };
  /** a decision made from Python */
  external: { decision: Decision; moved: boolean };
  /** the queue was replaced */
  reset: Record<string, never>;
  /** this view made a decision (not undo); emitted before the cursor moves on */
  decided: { decision: Decision };
  /** immediate feedback on a gold item (`feedback` of an ack / external message), once per
   * decision id; `decision` is this view's own decision (null when it is not one of ours) */
  feedback: { id: string; feedback: GoldFeedback; decision: Decision | null; external: boolean };
}


/** One decision made in this session, with the item it was made on. */
export interface SessionEntry<I extends BaseItem> {
  decision: Decision;
  item: I;
  /** what the view showed for this item before the decision */
  prev: ItemState | null;
  /** performance.now() when it was made */
  at: number;
}

export interface DecideInput {
  action: string;
  label?: string | null;
  note?: string | null;
  data?: Record<string, unknown> | null;
  /** the share of the time on the entry this decision counts (default 1): several
   * decisions made on one screen (a grid page's tiles) split its time between them */
  share?: number;
}

/** One item's fold in this view: from the payload's stored state (`base`), through the
 * decisions this view knows of (its own, undos, Python-made ones), in order. */
interface ItemFold {
  base: FoldState;
  state: FoldState;
  stack: FoldState[];
  events: Decision[];
  modelLabel: string | null;
}

const TRAITS_WATCHED = [
  "queue_length",
  "total",
  "done",
  "counts",
  "agreement",
  "labels",
  "config",
  "annotator",
  "guideline_version",
  "store_id",
];

export class ReviewClient<I extends BaseItem = BaseItem> {
  readonly model: AnyModel;
  readonly events = new Emitter<ClientEvents>();

  /** queue index shown (== queueLength means "past the end": the summary) */
  cursor = 0;

  private readonly window: FetchWindow<I>;
  private readonly pending: PendingStore;
  private readonly resendAfterMs: number;
  private readonly tickMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly sendAfterFrame: boolean;
  private readonly decisionsAtOnce: boolean;
  /** messages waiting for the frame (sent in order) */
  private outbox: BrowserMessage[] = [];
  private flushScheduled = false;

  /** this session's decisions in order (the undo stack); undone ones are removed */
  private readonly log: SessionEntry<I>[] = [];
  /** undo decision id -> the entry it took out of `log` and where (put back if the
   * kernel refuses the undo: e.g. a tool call, which the agent has acted on) */
  private readonly undone = new Map<string, { entry: SessionEntry<I>; index: number }>();
  /** item_id -> the item's fold as this view knows it (items it has seen decisions on) */
  private readonly folds = new Map<string, ItemFold>();
  /** item_id -> id of the latest decision this view sent on it (undo included): `after` */
  private readonly lastSent = new Map<string, string>();
  /** qi -> performance.now() of its first paint, and the active clock then */
  private readonly shownAt = new Map<number, { t: number; active: number }>();
  /* The active clock (duration_ms): it starts at the person's first interaction with the
   * widget, and a gap between two interactions counts at most `idleCapMs`. */
  private readonly idleCapMs: number;
  private firstInteraction: number | null = null;
  private lastInteraction: number | null = null;
  /** the active clock at `lastInteraction` */
  private activeAtLast = 0;
  /** seek / export requests waiting for their answer, by req */
  private readonly requests = new Map<string, Request>();
  private readonly requestTimeoutMs: number;
  private readonly imageTimeoutMs: number;
  /** performance.now() of every decision (not undo) of this session */
  readonly decisionTimes: number[] = [];
  private lastMove = 1;
  /** decision ids whose gold feedback was already emitted (resends are acked again) */
  private readonly feedbackSeen = new Set<string>();
  private vocabCfg: unknown = undefined;
  private vocab: Vocabulary = vocabularyOf(null);
  private timer: ReturnType<typeof setInterval> | null = null;
  /* The kernel's silence: a view whose messages go nowhere (a dead kernel; after a kernel
   * was killed and restarted, JupyterLab 4.6 can keep addressing widget messages to the
   * old kernel's subshell, which the new kernel drops) must not look like a slow one. */
  private readonly silentAfterMs: number;
  private lastHeard = Date.now();
  private waitingSince: number | null = null;
  private silent = false;
  private started = false;
  private disposed = false;

  private readonly onCustom = (msg: unknown, buffers?: unknown) => this.handleMessage(msg, buffers);
  private readonly onTrait = () => this.handleTraits();

  constructor(model: AnyModel, options: ReviewClientOptions = {}) {
    this.model = model;
    const storage = options.storage === undefined ? defaultStorage() : options.storage;
    this.pending = new PendingStore(storage, () => {
      const id = model.get("store_id");
      return typeof id === "string" ? id : "";
    });
    this.resendAfterMs = options.resendAfterMs ?? 2000;
    this.tickMs = options.tickMs ?? 500;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 10000;
    this.sendAfterFrame = options.sendAfterFrame ?? typeof requestAnimationFrame === "function";
    this.decisionsAtOnce = options.decisionsAtOnce ?? false;
    this.idleCapMs = options.idleCapMs ?? 60000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15000;
    this.imageTimeoutMs = options.imageTimeoutMs ?? 60000;
    this.silentAfterMs = options.silentAfterMs ?? 8000;
    this.window = new FetchWindow<I>(
      num(model.get("queue_length"), 0),
      () => ({ prefetch: this.prefetch, pageSize: this.pageSize, radius: this.windowRadius }),
      // the entry the cursor is on goes at once (nothing can be painted before it comes:
      // waiting for a frame only delays it, by up to 50 ms when nothing else changes, as
      // when a held call arrives in an empty queue); prefetches wait for the frame
      (msg, now) => (now ? this.sendFirst(msg) : this.send(msg)),
    );
  }

  /* ---------------------------------------------------------------- traitlets */

  get<T = unknown>(name: string): T {
    return this.model.get(name) as T;
  }

  config(): Record<string, unknown> {
    const c = this.model.get("config");
    return c && typeof c === "object" ? (c as Record<string, unknown>) : {};
  }

  /** The kernel's vocabulary (`config.vocabulary`), or the defaults (lib/fold.ts). */
  vocabulary(): Vocabulary {
    const c = this.model.get("config");
    if (c !== this.vocabCfg) {
      this.vocabCfg = c;
      this.vocab = vocabularyOf(c && typeof c === "object" ? (c as Record<string, unknown>) : null);
    }
    return this.vocab;
  }

  /** Whether this kind takes `action` (the vocabulary's `actions`; undo and note always). */
  accepts(action: string): boolean {
    return accepts(this.vocabulary(), action);
  }

  get prefetch(): number {
    return Math.max(1, Math.floor(num(this.config().prefetch, 8)));
  }

  get pageSize(): number {
    const p = num(this.config().page_size, 0);
    return Math.max(1, Math.floor(p > 0 ? p : Math.max(2 * this.prefetch, 16)));
  }

  private get windowRadius(): number {
    return Math.max(this.pageSize * 2, Math.floor(num(this.config().window, 1000)));
  }

  /** the window: queue index -> entry */
  get items(): Map<number, I> {
    return this.window.items;
  }

  /** entries in the queue, from the traitlet / the latest items message */
  get queueLength(): number {
    return this.window.queueLength;
  }

  /** true once the kernel answered a fetch (before that the queue length is not trusted) */
  get known(): boolean {
    return this.window.known;
  }

  /* ---------------------------------------------------------------- lifecycle */

  /** Subscribe, send `hello` with every pending decision found in storage, fetch. */
  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    this.model.on("msg:custom", this.onCustom);
    for (const t of TRAITS_WATCHED) this.model.on(`change:${t}`, this.onTrait);
    this.send({ type: "hello", pending: this.pending.load() });
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.ensureWindow();
    this.emitChange("start");
  }

  dispose(): void {
    if (this.disposed) return;
    this.flush(); // what the last key sent still goes (it is in localStorage anyway)
    this.disposed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.model.off("msg:custom", this.onCustom);
    for (const t of TRAITS_WATCHED) this.model.off(`change:${t}`, this.onTrait);
    for (const r of this.requests.values()) clearTimeout(r.timer);
    this.requests.clear(); // (their promises stay unsettled: nobody is left to show them)
    this.events.clear();
  }

  /* ---------------------------------------------------------------- queries */

  current(): I | undefined {
    return this.window.get(this.cursor);
  }

  /** "item" | "loading" | "summary" for the cursor position */
  state(): "item" | "loading" | "summary" {
    if (this.window.known && this.cursor >= this.window.queueLength) return "summary";
    return this.window.has(this.cursor) ? "item" : "loading";
  }

  atEnd(): boolean {
    return this.state() === "summary";
  }

  /** An item's fold state: this view's latest knowledge, else the payload's stored state. */
  foldOf(item: BaseItem): FoldState {
    const f = this.folds.get(String(item.item_id));
    return f ? f.state : item.decision ? seedState(item.decision, this.vocabulary()) : EMPTY_STATE;
  }

  /** The decision to show for an item (the verdict, with status, note and ratings; a
   * "rate" when it has ratings only; null when nothing is decided). */
  stateOf(item: BaseItem): ItemState | null {
    const f = this.folds.get(String(item.item_id));
    if (!f && !item.decision) return null;
    const ml = typeof item.model_label === "string" ? item.model_label : null;
    return viewState(f ? f.state : seedState(item.decision, this.vocabulary()), this.vocabulary(), ml);
  }

  pendingCount(): number {
    return this.pending.size;
  }

  pendingDecisions(): Decision[] {
    return this.pending.decisions();
  }

  /** this session's decisions still in effect, oldest first */
  sessionLog(): readonly SessionEntry<I>[] {
    return this.log;
  }

  /** latest effective decision of this session per item */
  sessionLatest(): SessionEntry<I>[] {
    const m = new Map<string, SessionEntry<I>>();
    for (const e of this.log) m.set(e.decision.item_id, e);
    return [...m.values()];
  }

  /** Number of consecutive entries buffered after the cursor. */
  bufferedAhead(): number {
    return this.window.bufferedAhead(this.cursor);
  }

  inFlight(): Flight[] {
    return this.window.inFlight();
  }

  /** Record the first paint of a queue entry (duration_ms counts from there, or from the
   * person's first interaction when that comes later). */
  markShown(qi: number, t: number = now()): void {
    if (!this.shownAt.has(qi)) this.shownAt.set(qi, { t, active: this.activeAt(t) });
  }

  /* ---------------------------------------------------------------- the item clock */

  /**
   * The person interacted with the widget (keydown, pointerdown, focus): the clock of the
   * items starts at the first interaction (not at the render: a widget may wait minutes
   * before anyone looks at it), and a gap between two interactions counts at most
   * `idleCapMs` (a person who walked away is not reviewing).
   */
  interacted(t: number = now()): void {
    if (this.lastInteraction === null) {
      this.firstInteraction = t;
      this.lastInteraction = t;
      this.activeAtLast = 0;
      return;
    }
    if (t <= this.lastInteraction) return;
    this.activeAtLast = this.activeAt(t);
    this.lastInteraction = t;
  }

  /** The active clock at `t` (ms): 0 until the first interaction, then time with every
   * gap between interactions cut to `idleCapMs`. */
  activeAt(t: number = now()): number {
    if (this.lastInteraction === null) return 0;
    return this.activeAtLast + Math.min(Math.max(0, t - this.lastInteraction), this.idleCapMs);
  }

  /** `duration_ms` and the idle time cut from it for a decision on entry `qi` at `t`. */
  private timeOn(qi: number, t: number): { duration: number; idle: number } {
    const shown = this.shownAt.get(qi);
    if (!shown || this.firstInteraction === null) return { duration: 0, idle: 0 };
    const duration = Math.max(0, Math.round(this.activeAt(t) - shown.active));
    const wall = Math.max(0, Math.round(t - Math.max(shown.t, this.firstInteraction)));
    return { duration, idle: Math.max(0, wall - duration) };
  }

  /* ---------------------------------------------------------------- navigation */

  goTo(qi: number, reason = "move"): void {
    const max = this.known ? this.queueLength : Math.max(this.queueLength, qi);
    const to = Math.max(0, Math.min(Math.floor(qi), max));
    const from = this.cursor;
    if (to !== from) this.lastMove = to > from ? 1 : -1;
    this.cursor = to;
    this.ensureWindow();
    if (to !== from) this.events.emit("cursor", { from, to });
    this.emitChange(reason);
  }

  move(delta: number): void {
    this.goTo(this.cursor + delta, delta < 0 ? "back" : "forward");
  }

  /* ---------------------------------------------------------------- seek / export */

  /**
   * Ask the kernel for the first entry at or after `start` this annotator has not decided
   * (`{type: "seek", req, start}`); resolves with its queue index (the queue length when
   * none is left: the summary). Rejects when no answer comes in time.
   */
  seek(start: number): Promise<number> {
    return this.request<SeekReply>("seek", { start: Math.max(0, Math.floor(start)) }).then((m) =>
      Math.max(0, Math.floor(num(m.qi, this.queueLength))),
    );
  }

  /** Ask the kernel for this review's decisions as a file (`{type: "export", req, format}`). */
  exportDecisions(format: ExportMessage["format"]): Promise<ExportReply> {
    return this.request<ExportReply>("export", { format });
  }

  /**
   * Ask the kernel for the full-resolution original of a served item's image (its entry
   * carried a preview: `image.scale` < 1): `{type: "image", req, item_id}`. Resolves with
   * the original's description and bytes (the reply's buffer 0); rejects with the
   * kernel's reason (`image_error`: an unknown item, a file changed since validation) or
   * when no answer comes in time.
   */
  requestImage(itemId: string): Promise<FullImage> {
    return this.requestBytes<ImageReply, SentImage>("image", itemId, (m) => [m.image, m.image_error]).then((r) => ({
      item_id: r.item_id,
      image: r.meta,
      bytes: r.bytes,
    }));
  }

  /**
   * Ask the kernel for the bytes of a served clip its item left out (`audio.deferred`):
   * `{type: "clip", req, item_id}`. Resolves with the clip's description and bytes (the
   * reply's buffer 0); rejects with the kernel's reason (`audio_error`) or when no answer
   * comes in time.
   */
  requestClip(itemId: string): Promise<FullClip> {
    return this.requestBytes<ClipReply, SentClip>("clip", itemId, (m) => [m.audio, m.audio_error]).then((r) => ({
      item_id: r.item_id,
      audio: r.meta,
      bytes: r.bytes,
    }));
  }

  /** A request for one served item's bytes (`image`, `clip`): the reply's description
   * (`described` gives it and the kernel's reason for none) and its buffer 0. */
  private requestBytes<M extends { item_id?: unknown }, D>(
    type: "image" | "clip",
    itemId: string,
    described: (msg: Partial<M>) => [D | null | undefined, unknown],
  ): Promise<{ item_id: string; meta: D; bytes: BinaryPart }> {
    return this.request(
      type,
      { item_id: String(itemId) },
      (raw, buffers) => {
        const msg = raw as Partial<M>;
        const [meta, why] = described(msg);
        const part = Array.isArray(buffers) ? (buffers[0] as unknown) : undefined;
        const ok = part instanceof DataView || part instanceof ArrayBuffer || ArrayBuffer.isView(part);
        if (!meta || typeof meta !== "object" || !ok) throw new Error(str(why) || `the kernel sent no ${type}`);
        return { item_id: str(msg.item_id), meta, bytes: part as BinaryPart };
      },
      this.imageTimeoutMs,
    );
  }

  private request<R>(
    type: Request["type"],
    fields: Record<string, unknown>,
    read: (msg: unknown, buffers: unknown) => R = (msg) => msg as R,
    timeoutMs: number = this.requestTimeoutMs,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.disposed) return reject(new Error("the view is closed"));
      const req = uuid();
      const timer = setTimeout(() => {
        if (this.requests.delete(req)) reject(new Error(`the kernel did not answer (${type})`));
      }, timeoutMs);
      const done = (msg: unknown, buffers: unknown) => {
        try {
          resolve(read(msg, buffers));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      this.requests.set(req, { type, resolve: done, reject, timer });
      this.send({ type, req, ...fields } as BrowserMessage);
    });
  }

  /** An answer to a seek / export / image: to its request (an unknown `req` is another
   * view's). */
  private onReply(msg: { type: string; req?: unknown }, buffers?: unknown): void {
    const req = typeof msg.req === "string" ? msg.req : "";
    const r = this.requests.get(req);
    if (!r || r.type !== msg.type) return;
    this.requests.delete(req);
    clearTimeout(r.timer);
    r.resolve(msg, buffers);
  }

  /* ---------------------------------------------------------------- decisions */

  /**
   * Decide on the entry under the cursor: record it (memory + storage) BEFORE sending,
   * send it, and advance (unless `advance: false`). Returns the decision, or null when
   * there is no entry under the cursor or the kind does not take that action (the
   * vocabulary's `actions`; a message says so).
   */
  decide(input: DecideInput, opts: { advance?: boolean } = {}): Decision | null {
    const item = this.current();
    if (!item) return null;
    if (!this.accepts(input.action)) {
      this.events.emit("message", { text: `This review does not take “${input.action}” decisions.`, level: "info" });
      return null;
    }
    const d = this.makeDecision(item, input);
    const prev = this.stateOf(item);
    this.log.push({ decision: d, item, prev, at: now() });
    this.decisionTimes.push(now());
    if (this.decisionTimes.length > 5000) this.decisionTimes.splice(0, this.decisionTimes.length - 5000);
    this.apply(this.foldFor(item.item_id, item), d);
    this.submit([d]);
    this.events.emit("decided", { decision: d });
    if (opts.advance !== false) this.goTo(this.cursor + 1, "decide");
    else this.emitChange("decide");
    return d;
  }

  /**
   * Undo the last decision of this session still in effect: sends an `undo` decision
   * (data.undoes = the reverted decision id) and moves the cursor back to that entry; the
   * item's state is the fold's (the state before its last state-changing decision).
   */
  undo(): Decision | null {
    const entry = this.log.pop();
    if (!entry) return null;
    const target = entry.decision;
    const qi = this.items.get(target.qi)?.item_id === target.item_id ? target.qi : this.window.findQi(target.item_id);
    const d = this.makeDecision(entry.item, { action: "undo", data: { undoes: target.id } }, qi ?? target.qi);
    this.undone.set(d.id, { entry, index: this.log.length });
    this.apply(this.foldFor(entry.item.item_id, entry.item), d);
    this.submit([d]);
    if (qi !== undefined) this.goTo(qi, "undo");
    else this.emitChange("undo");
    return d;
  }

  private makeDecision(item: BaseItem, input: DecideInput, qi: number = item.qi): Decision {
    const t = now();
    this.interacted(t); // a decision is the person's doing too (a click, a key)
    const time = this.timeOn(qi, t);
    const share = typeof input.share === "number" && input.share > 0 && input.share < 1 ? input.share : 1;
    const duration = Math.round(time.duration * share);
    const idle = Math.round(time.idle * share);
    // the idle time cut from duration_ms goes with the kind's data
    const data = idle > 0 ? { ...(input.data ?? {}), idle_ms: idle } : (input.data ?? null);
    const cfg = this.config();
    const id = uuid();
    const itemId = String(item.item_id);
    const after = this.lastSent.get(itemId) ?? null;
    this.lastSent.set(itemId, id);
    return {
      id,
      after,
      item_id: itemId,
      content_hash: String(item.content_hash ?? ""),
      qi,
      action: input.action,
      label: input.label ?? null,
      note: input.note ?? null,
      data,
      duration_ms: duration,
      created_at: new Date().toISOString(),
      annotator: str(this.model.get("annotator")),
      session_id: str(this.model.get("session_id")),
      guideline_version: str(this.model.get("guideline_version")),
      task: str(cfg.task),
    };
  }

  /** store, then send */
  private submit(decisions: Decision[]): void {
    this.pending.add(decisions);
    if (this.decisionsAtOnce) this.sendFirst({ type: "decide", decisions });
    else this.send({ type: "decide", decisions });
  }

  /* ---------------------------------------------------------------- the fold */

  /** The item's fold, started from its payload's stored state (`item`, or the entry of
   * that id in the window) the first time. */
  private foldFor(itemId: string, item?: BaseItem): ItemFold {
    const id = String(itemId);
    let f = this.folds.get(id);
    if (!f) {
      let it = item;
      if (!it) {
        const qi = this.window.findQi(id);
        it = qi === undefined ? undefined : this.window.get(qi);
      }
      const base = seedState(it?.decision, this.vocabulary());
      const ml = it && typeof it.model_label === "string" ? it.model_label : null;
      f = { base, state: base, stack: [], events: [], modelLabel: ml };
      this.folds.set(id, f);
    }
    return f;
  }

  private apply(f: ItemFold, d: Decision): void {
    f.events.push(d);
    f.state = applyDecision(f.state, f.stack, d, this.vocabulary(), f.modelLabel);
  }

  /** A decision this view folded (an undo is in no session entry), by id. */
  private findEvent(id: string): Decision | undefined {
    for (const f of this.folds.values()) {
      const d = f.events.find((e) => e.id === id);
      if (d) return d;
    }
    return undefined;
  }

  /** Fold the item again without `id` (a decision the kernel refused for good). */
  private drop(itemId: string, id: string): void {
    const f = this.folds.get(itemId);
    if (!f) return;
    const i = f.events.findIndex((e) => e.id === id);
    if (i < 0) return;
    f.events.splice(i, 1);
    f.stack = [];
    f.state = f.base;
    for (const e of f.events) f.state = applyDecision(f.state, f.stack, e, this.vocabulary(), f.modelLabel);
  }

  /* ---------------------------------------------------------------- window */

  /** Ask for what the cursor needs: the entry itself, then `prefetch` entries ahead. */
  ensureWindow(): void {
    if (this.disposed || !this.started) return;
    this.window.ensure(this.cursor, this.lastMove);
  }

  /* ---------------------------------------------------------------- kernel messages */

  handleMessage(raw: unknown, buffers?: unknown): void {
    if (this.disposed || !raw || typeof raw !== "object") return;
    this.heard();
    const msg = raw as { type?: unknown };
    switch (msg.type) {
      case "items":
        return this.onItems(msg as ItemsMessage<I>, buffers);
      case "ack":
        return this.onAck(msg as AckMessage);
      case "external":
        return this.onExternal(msg as ExternalMessage);
      case "reset":
        return this.onReset(msg as ResetMessage);
      case "status": {
        const st = msg as { level?: unknown; text?: unknown };
        const level = st.level === "ok" || st.level === "waiting" || st.level === "error" ? st.level : null;
        if (level) this.events.emit("status", { level, text: str(st.text) });
        return;
      }
      case "seek":
      case "export":
      case "image":
      case "clip":
        return this.onReply(msg as { type: string; req?: unknown }, buffers);
      default:
        return; // not ours (another layer may use msg:custom too)
    }
  }

  private onItems(msg: ItemsMessage<I>, buffers?: unknown): void {
    attachBuffers(msg.items, buffers);
    const items = this.window.accept(msg, this.cursor);
    if (items === null) return; // an answer to another view's fetch, or from before a reset
    if (this.cursor > this.queueLength) this.cursor = this.queueLength;
    this.ensureWindow();
    this.events.emit("items", { start: num(msg.start, 0), count: items.length });
    this.emitChange("items");
  }

  private onAck(msg: AckMessage): void {
    const ids = Array.isArray(msg.ids) ? msg.ids : [];
    const errors = msg.errors && typeof msg.errors === "object" ? msg.errors : {};
    const gone = [...ids, ...Object.keys(errors)];
    if (!gone.length) return;
    this.pending.remove(gone);
    for (const id of ids) this.undone.delete(id);
    for (const [id, text] of Object.entries(errors)) {
      const i = this.log.findIndex((e) => e.decision.id === id);
      const d = i >= 0 ? this.log[i].decision : this.findEvent(id);
      if (i >= 0) this.log.splice(i, 1);
      // a refused undo: the decision it undid stands, and Z undoes it again
      const u = this.undone.get(id);
      if (u) {
        this.undone.delete(id);
        this.log.splice(Math.min(u.index, this.log.length), 0, u.entry);
      }
      // roll the view back: the decision was refused for good
      if (d) this.drop(d.item_id, id);
      const what = d ? `${d.action} on ${d.item_id}` : id;
      this.events.emit("message", { text: `Not saved (${what}): ${text}`, level: "error" });
    }
    this.events.emit("ack", { ids, errors });
    this.emitFeedback((msg as { feedback?: unknown }).feedback, false);
    this.emitChange("ack");
  }

  private onExternal(msg: ExternalMessage): void {
    const d = msg.decision;
    if (!d || typeof d !== "object" || typeof d.item_id !== "string") return;
    // one of ours echoed back: it is committed
    if (this.pending.has(d.id)) this.pending.remove([d.id]);
    const f = this.foldFor(d.item_id);
    const fresh = !f.events.some((e) => e.id === d.id);
    if (fresh) this.apply(f, d);
    if (fresh && d.session_id === str(this.model.get("session_id"))) this.logExternal(d);
    const cur = this.current();
    // The decision is on the entry at the cursor: its item when that is here, else its
    // queue index (a script deciding faster than the pages arrive: the cursor must keep
    // up with it, not stop at the first entry still loading and stay there).
    const atCursor = cur ? cur.item_id === d.item_id : typeof d.qi === "number" && d.qi === this.cursor;
    // `advance: false` (e.g. a rating from Python) keeps the item on screen
    const moved = atCursor && d.action !== "undo" && msg.advance !== false;
    this.events.emit("external", { decision: d, moved });
    this.emitFeedback((msg as { feedback?: unknown }).feedback, true, d);
    if (moved) this.goTo(this.cursor + 1, "external");
    else this.emitChange("external");
  }

  /** A decision this session made from Python joins the browser's undo order (Z undoes
   * the latest decision of the session, whoever made it); a Python undo takes its entry
   * out. One view of what this session has decided, on both sides. */
  private logExternal(d: Decision): void {
    if (d.action === "undo") {
      for (let i = this.log.length - 1; i >= 0; i--) {
        if (this.log[i].decision.item_id === d.item_id) {
          this.log.splice(i, 1);
          break;
        }
      }
    } else if (d.action !== "note") {
      const qi = this.window.findQi(d.item_id);
      const item = (qi !== undefined ? this.items.get(qi) : undefined) ??
        ({ qi: d.qi, item_id: d.item_id, content_hash: d.content_hash } as unknown as I);
      this.log.push({ decision: d, item, prev: null, at: now() });
    }
    this.lastSent.set(d.item_id, d.id); // a later decision here follows it (`after`)
  }

  /** `feedback` is `{decision id: GoldFeedback}`; on `external` a bare GoldFeedback is
   * taken as the feedback on that message's decision. Anything else is ignored. */
  private emitFeedback(raw: unknown, external: boolean, decision?: Decision): void {
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) return;
    const entries: [string, unknown][] =
      decision && isFeedback(raw) ? [[decision.id, raw]] : Object.entries(raw as Record<string, unknown>);
    for (const [id, fb] of entries) {
      if (!isFeedback(fb) || this.feedbackSeen.has(id)) continue;
      this.feedbackSeen.add(id);
      const own = decision && decision.id === id ? decision : (this.log.find((e) => e.decision.id === id)?.decision ?? null);
      this.events.emit("feedback", { id, feedback: fb, decision: own, external });
    }
  }

  private onReset(msg: ResetMessage): void {
    this.window.reset(typeof msg.queue_length === "number" ? msg.queue_length : num(this.model.get("queue_length"), 0));
    this.shownAt.clear();
    const from = this.cursor;
    this.cursor = typeof msg.cursor === "number" && msg.cursor >= 0 ? Math.floor(msg.cursor) : 0;
    this.lastMove = 1;
    this.ensureWindow();
    this.events.emit("reset", {});
    if (from !== this.cursor) this.events.emit("cursor", { from, to: this.cursor });
    this.emitChange("reset");
  }

  private handleTraits(): void {
    this.heard();
    const ql = num(this.model.get("queue_length"), this.queueLength);
    if (ql !== this.queueLength) {
      this.window.queueLength = ql;
      if (this.known) this.ensureWindow();
    }
    this.emitChange("traits");
  }

  /* ---------------------------------------------------------------- timer */

  /** The kernel spoke: end a silence the view reported. */
  private heard(): void {
    this.lastHeard = Date.now();
    if (!this.silent) return;
    this.silent = false;
    this.events.emit("status", { level: "ok", text: "The kernel answers again." });
  }

  /** Report (once) decisions or a fetch left unanswered for `silentAfterMs`. */
  private watchSilence(t: number): void {
    const waiting = this.pending.size > 0 || this.window.inFlight().length > 0;
    if (!waiting) {
      this.waitingSince = null;
      return;
    }
    if (this.waitingSince === null) this.waitingSince = t;
    if (this.silent || t - Math.max(this.waitingSince, this.lastHeard) < this.silentAfterMs) return;
    this.silent = true;
    const n = this.pending.size;
    const kept = n ? `${n} decision${n === 1 ? " is" : "s are"} kept in this browser and resent. ` : "";
    this.events.emit("status", {
      level: "waiting",
      text:
        `No answer from the kernel for ${Math.round(this.silentAfterMs / 1000)} s. ${kept}` +
        "If a cell is still running, this clears when it ends; if the kernel was restarted, " +
        "reload the page and run the cell again.",
    });
  }

  /** resend what is unacknowledged for `resendAfterMs`; forget fetches that timed out */
  tick(): void {
    if (this.disposed) return;
    this.watchSilence(Date.now());
    const due = this.pending.due(this.resendAfterMs);
    for (let i = 0; i < due.length; i += 200) {
      this.send({ type: "decide", decisions: due.slice(i, i + 200) });
    }
    if (this.window.expire(this.fetchTimeoutMs)) this.ensureWindow();
  }

  /* ---------------------------------------------------------------- io */

  private send(msg: BrowserMessage): void {
    if (!this.sendAfterFrame) {
      this.sendNow(msg);
      return;
    }
    this.outbox.push(msg);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // after the next frame is produced (rAF, then a task), or within 50 ms where frames
    // do not come (a hidden tab), whichever is first
    const go = () => this.flush();
    requestAnimationFrame(() => setTimeout(go, 0));
    setTimeout(go, 50);
  }

  /** Send `msg` now, after what waits in the outbox (the order of messages is kept). */
  private sendFirst(msg: BrowserMessage): void {
    if (this.outbox.length) this.flush();
    this.sendNow(msg);
  }

  /** Send what waits in the outbox, in order. */
  private flush(): void {
    this.flushScheduled = false;
    const msgs = this.outbox;
    this.outbox = [];
    for (const m of msgs) this.sendNow(m);
  }

  private sendNow(msg: BrowserMessage): void {
    try {
      this.model.send(msg);
    } catch (err) {
      // comm closed / kernel gone: pending stays in storage and is resent
      console.warn("hitl_widgets: send failed", err);
    }
  }

  private emitChange(reason: string): void {
    if (!this.disposed) this.events.emit("change", { reason });
  }
}

/* ------------------------------------------------------------------ helpers */

/** The binary parts of an `items` message (an image's bytes: the message's buffers, never
 * base64 inside its JSON): each item naming some in `buffers` (indices) gets them, in
 * that order, as `binary`. */
function attachBuffers(items: unknown, buffers: unknown): void {
  if (!Array.isArray(items) || !Array.isArray(buffers) || !buffers.length) return;
  for (const it of items as BaseItem[]) {
    if (!it || !Array.isArray(it.buffers)) continue;
    const parts = it.buffers.map((i) => (typeof i === "number" ? buffers[i] : undefined));
    if (parts.every((b) => b instanceof DataView || b instanceof ArrayBuffer || ArrayBuffer.isView(b))) {
      it.binary = parts as BinaryPart[];
    }
  }
}

function isFeedback(v: unknown): v is GoldFeedback {
  return !!v && typeof v === "object" && typeof (v as GoldFeedback).correct === "boolean";
}

export { isDecision };
