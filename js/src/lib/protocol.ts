/**
 * ReviewClient: the browser half of docs/protocol.md, shared by every widget kind.
 *
 * It owns the window of queue entries around the cursor (and asks the kernel for more),
 * the pending decisions (memory + localStorage until the kernel acknowledges them after
 * the commit), the resend timer, and this session's own decisions (undo, summary, rate).
 * Views subscribe to its events and paint; they never talk to the model directly for
 * protocol messages.
 */
import type { AnyModel } from "@anywidget/types";
import type {
  AckMessage,
  BaseItem,
  BrowserMessage,
  Decision,
  ExternalMessage,
  ItemState,
  ItemsMessage,
  ResetMessage,
} from "./types";

export type { Decision, BaseItem, ItemState } from "./types";

/* ------------------------------------------------------------------ utilities */

/** RFC 4122 v4 uuid. `crypto.randomUUID` only exists in secure contexts (https /
 * localhost); a notebook served over plain http on a LAN has none, so fall back. */
export function uuid(): string {
  const c: Crypto | undefined = (globalThis as { crypto?: Crypto }).crypto;
  if (c && typeof c.randomUUID === "function") {
    try {
      return c.randomUUID();
    } catch {
      /* not a secure context: fall through */
    }
  }
  const b = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function now(): number {
  return typeof performance !== "undefined" && typeof performance.now === "function"
    ? performance.now()
    : Date.now();
}

/** A tiny typed event emitter. `on` returns the unsubscribe function. */
export class Emitter<E extends { [K in keyof E]: unknown }> {
  private handlers = new Map<keyof E, Set<(v: never) => void>>();

  on<K extends keyof E>(name: K, fn: (value: E[K]) => void): () => void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(fn as (v: never) => void);
    return () => this.off(name, fn);
  }

  off<K extends keyof E>(name: K, fn: (value: E[K]) => void): void {
    this.handlers.get(name)?.delete(fn as (v: never) => void);
  }

  emit<K extends keyof E>(name: K, value: E[K]): void {
    const set = this.handlers.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (v: E[K]) => void)(value);
      } catch (err) {
        console.error("hitl_widgets: event handler failed", err);
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}

/** Display name of the committed status an action leads to (matches the `counts` keys). */
export const STATUS_OF_ACTION: Record<string, string> = {
  accept: "accepted",
  correct: "corrected",
  flag: "flagged",
  skip: "skipped",
  note: "noted",
  edit: "edited",
  reject: "rejected",
  rate: "rated",
  compare: "compared",
};

/** A decision badge's text: the action's word, and for the actions in `noted` the note
 * after it ("flagged: unclear"). */
export function describeState(st: ItemState, noted: readonly string[] = ["flag"]): string {
  const word = STATUS_OF_ACTION[st.action] ?? st.action;
  return noted.includes(st.action) && st.note ? `${word}: ${st.note}` : word;
}

export function storageKey(storeId: string): string {
  return `hitl:pending:${storeId}`;
}

function defaultStorage(): Storage | null {
  try {
    const s = (globalThis as { localStorage?: Storage }).localStorage;
    return s ?? null;
  } catch {
    return null; // e.g. sandboxed iframe: accessing localStorage throws
  }
}

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

/** The kernel's verdict on a decision about a gold item (docs/protocol.md: `ack.feedback`). */
export interface GoldFeedback {
  item_id: string;
  gold: boolean;
  correct: boolean;
  given: string | null;
  expected: string | null;
  /** the guideline passage about the expected label (markdown; may be empty) */
  passage: string;
}

/** One decision made in this session, with the item it was made on. */
export interface SessionEntry<I extends BaseItem> {
  decision: Decision;
  item: I;
  /** what the view showed for this item before the decision (restored by undo) */
  prev: ItemState | null;
  /** performance.now() when it was made */
  at: number;
}

export interface DecideInput {
  action: string;
  label?: string | null;
  note?: string | null;
  data?: Record<string, unknown> | null;
}

interface PendingEntry {
  decision: Decision;
  sentAt: number; // Date.now()
}

interface Flight {
  start: number;
  count: number;
  sentAt: number; // Date.now()
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

  /** the window: queue index -> entry */
  readonly items = new Map<number, I>();
  /** queue index shown (== queueLength means "past the end": the summary) */
  cursor = 0;
  /** entries in the queue, from the traitlet / the latest items message */
  queueLength: number;
  /** true once the kernel answered a fetch (before that the queue length is not trusted) */
  known = false;

  private readonly storage: Storage | null;
  private readonly resendAfterMs: number;
  private readonly tickMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly sendAfterFrame: boolean;
  /** messages waiting for the frame (sent in order) */
  private outbox: BrowserMessage[] = [];
  private flushScheduled = false;

  private readonly pending = new Map<string, PendingEntry>();
  private readonly flights = new Map<string, Flight>();
  /** this session's decisions in order (the undo stack); undone ones are removed */
  private readonly log: SessionEntry<I>[] = [];
  /** item_id -> latest state known in this view (local decisions, undo, external) */
  private readonly overlay = new Map<string, ItemState | null>();
  /** item_id -> id of the latest decision this view sent on it (undo included): `after` */
  private readonly lastSent = new Map<string, string>();
  /** qi -> performance.now() of its first paint */
  private readonly shownAt = new Map<number, number>();
  /** performance.now() of every decision (not undo) of this session */
  readonly decisionTimes: number[] = [];
  private lastMove = 1;
  /** decision ids whose gold feedback was already emitted (resends are acked again) */
  private readonly feedbackSeen = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private started = false;
  private disposed = false;

  private readonly onCustom = (msg: unknown) => this.handleMessage(msg);
  private readonly onTrait = () => this.handleTraits();

  constructor(model: AnyModel, options: ReviewClientOptions = {}) {
    this.model = model;
    this.storage = options.storage === undefined ? defaultStorage() : options.storage;
    this.resendAfterMs = options.resendAfterMs ?? 2000;
    this.tickMs = options.tickMs ?? 500;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 10000;
    this.sendAfterFrame = options.sendAfterFrame ?? typeof requestAnimationFrame === "function";
    this.queueLength = num(model.get("queue_length"), 0);
  }

  /* ---------------------------------------------------------------- traitlets */

  get<T = unknown>(name: string): T {
    return this.model.get(name) as T;
  }

  config(): Record<string, unknown> {
    const c = this.model.get("config");
    return c && typeof c === "object" ? (c as Record<string, unknown>) : {};
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

  /* ---------------------------------------------------------------- lifecycle */

  /** Subscribe, send `hello` with every pending decision found in storage, fetch. */
  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    this.model.on("msg:custom", this.onCustom);
    for (const t of TRAITS_WATCHED) this.model.on(`change:${t}`, this.onTrait);

    const stored = this.readStored();
    const t = Date.now();
    const list = Object.values(stored).filter(isDecision);
    list.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
    for (const d of list) this.pending.set(d.id, { decision: d, sentAt: t });
    this.send({ type: "hello", pending: list });

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
    this.events.clear();
  }

  /* ---------------------------------------------------------------- queries */

  current(): I | undefined {
    return this.items.get(this.cursor);
  }

  /** "item" | "loading" | "summary" for the cursor position */
  state(): "item" | "loading" | "summary" {
    if (this.known && this.cursor >= this.queueLength) return "summary";
    return this.items.has(this.cursor) ? "item" : "loading";
  }

  atEnd(): boolean {
    return this.state() === "summary";
  }

  /** The decision to show for an item: this view's latest knowledge, else the payload's. */
  stateOf(item: BaseItem): ItemState | null {
    if (this.overlay.has(item.item_id)) return this.overlay.get(item.item_id) ?? null;
    return item.decision ?? null;
  }

  pendingCount(): number {
    return this.pending.size;
  }

  pendingDecisions(): Decision[] {
    return [...this.pending.values()].map((p) => p.decision);
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
    let n = 0;
    for (let q = this.cursor + 1; this.items.has(q); q++) n++;
    return n;
  }

  inFlight(): Flight[] {
    return [...this.flights.values()];
  }

  /** Record the first paint of a queue entry (duration_ms counts from there). */
  markShown(qi: number, t: number = now()): void {
    if (!this.shownAt.has(qi)) this.shownAt.set(qi, t);
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

  /* ---------------------------------------------------------------- decisions */

  /**
   * Decide on the entry under the cursor: record it (memory + storage) BEFORE sending,
   * send it, and advance (unless `advance: false`). Returns the decision, or null when
   * there is no entry under the cursor.
   */
  decide(input: DecideInput, opts: { advance?: boolean } = {}): Decision | null {
    const item = this.current();
    if (!item) return null;
    const d = this.makeDecision(item, input);
    const prev = this.stateOf(item);
    this.log.push({ decision: d, item, prev, at: now() });
    this.decisionTimes.push(now());
    if (this.decisionTimes.length > 5000) this.decisionTimes.splice(0, this.decisionTimes.length - 5000);
    this.overlay.set(item.item_id, toState(d));
    this.submit([d]);
    this.events.emit("decided", { decision: d });
    if (opts.advance !== false) this.goTo(this.cursor + 1, "decide");
    else this.emitChange("decide");
    return d;
  }

  /**
   * Undo the last decision of this session still in effect: sends an `undo` decision
   * (data.undoes = the reverted decision id) and moves the cursor back to that entry.
   */
  undo(): Decision | null {
    const entry = this.log.pop();
    if (!entry) return null;
    const target = entry.decision;
    const qi = this.items.get(target.qi)?.item_id === target.item_id ? target.qi : this.findQi(target.item_id);
    const d = this.makeDecision(entry.item, { action: "undo", data: { undoes: target.id } }, qi ?? target.qi);
    this.overlay.set(entry.item.item_id, entry.prev);
    this.submit([d]);
    if (qi !== undefined) this.goTo(qi, "undo");
    else this.emitChange("undo");
    return d;
  }

  private makeDecision(item: BaseItem, input: DecideInput, qi: number = item.qi): Decision {
    const shown = this.shownAt.get(qi);
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
      data: input.data ?? null,
      duration_ms: shown === undefined ? 0 : Math.max(0, Math.round(now() - shown)),
      created_at: new Date().toISOString(),
      annotator: str(this.model.get("annotator")),
      session_id: str(this.model.get("session_id")),
      guideline_version: str(this.model.get("guideline_version")),
      task: str(cfg.task),
    };
  }

  /** store, then send */
  private submit(decisions: Decision[]): void {
    const t = Date.now();
    for (const d of decisions) this.pending.set(d.id, { decision: d, sentAt: t });
    this.writeStored((obj) => {
      for (const d of decisions) obj[d.id] = d;
    });
    this.send({ type: "decide", decisions });
  }

  /* ---------------------------------------------------------------- window */

  /** Ask for what the cursor needs: the entry itself, then `prefetch` entries ahead. */
  ensureWindow(): void {
    if (this.disposed || !this.started) return;
    const page = this.pageSize;
    const c = this.cursor;
    if (!this.known) {
      // queue length not confirmed yet: ask for the page at the cursor
      if (!this.items.has(c)) this.request(c, page, c);
      return;
    }
    const n = this.queueLength;
    if (c >= n) return;
    if (!this.items.has(c)) {
      const loaded = [...this.items.keys()];
      const min = loaded.length ? Math.min(...loaded) : Infinity;
      if (c < min && this.lastMove < 0) {
        // moving left past the window: the page that ends at the cursor
        const start = Math.max(0, c - page + 1);
        this.request(start, c - start + 1, c);
      } else {
        this.request(c, Math.min(page, n - c), c);
      }
      return;
    }
    let q = c + 1;
    let ahead = 0;
    while (q < n && ahead < this.prefetch && this.items.has(q)) {
      q++;
      ahead++;
    }
    if (ahead < this.prefetch && q < n) this.request(q, Math.min(page, n - q), q);
    if (this.lastMove < 0) {
      let b = c - 1;
      let behind = 0;
      while (b >= 0 && behind < this.prefetch && this.items.has(b)) {
        b--;
        behind++;
      }
      if (behind < this.prefetch && b >= 0) {
        const start = Math.max(0, b - page + 1);
        this.request(start, b - start + 1, b);
      }
    }
  }

  /** send a fetch unless one in flight already covers `need` */
  private request(start: number, count: number, need: number): void {
    if (count <= 0) return;
    for (const f of this.flights.values()) {
      if (need >= f.start && need < f.start + f.count) return;
    }
    const req = uuid();
    this.flights.set(req, { start, count, sentAt: Date.now() });
    this.send({ type: "fetch", req, start, count });
  }

  private evict(): void {
    const r = this.windowRadius;
    for (const qi of this.items.keys()) {
      if (Math.abs(qi - this.cursor) > r) this.items.delete(qi);
    }
  }

  private findQi(itemId: string): number | undefined {
    for (const [qi, it] of this.items) if (it.item_id === itemId) return qi;
    return undefined;
  }

  /* ---------------------------------------------------------------- kernel messages */

  handleMessage(raw: unknown): void {
    if (this.disposed || !raw || typeof raw !== "object") return;
    const msg = raw as { type?: unknown };
    switch (msg.type) {
      case "items":
        return this.onItems(msg as ItemsMessage<I>);
      case "ack":
        return this.onAck(msg as AckMessage);
      case "external":
        return this.onExternal(msg as ExternalMessage);
      case "reset":
        return this.onReset(msg as ResetMessage);
      default:
        return; // not ours (another layer may use msg:custom too)
    }
  }

  private onItems(msg: ItemsMessage<I>): void {
    if (msg.req) {
      // an answer to a fetch of ours; anything else is for another view or pre-reset
      if (!this.flights.has(msg.req)) return;
      this.flights.delete(msg.req);
    }
    if (typeof msg.queue_length === "number") this.queueLength = msg.queue_length;
    this.known = true;
    const items = Array.isArray(msg.items) ? msg.items : [];
    for (const it of items) {
      if (it && typeof it.qi === "number") this.items.set(it.qi, it);
    }
    this.evict();
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
    for (const id of gone) this.pending.delete(id);
    this.writeStored((obj) => {
      for (const id of gone) delete obj[id];
    });
    for (const [id, text] of Object.entries(errors)) {
      const i = this.log.findIndex((e) => e.decision.id === id);
      let what = id;
      if (i >= 0) {
        const e = this.log[i];
        what = `${e.decision.action} on ${e.decision.item_id}`;
        // roll the view back: the decision was refused for good
        const later = this.log.slice(i + 1).some((x) => x.decision.item_id === e.decision.item_id);
        if (!later) this.overlay.set(e.decision.item_id, e.prev);
        this.log.splice(i, 1);
      }
      this.events.emit("message", { text: `Not saved (${what}): ${text}`, level: "error" });
    }
    this.events.emit("ack", { ids, errors });
    this.emitFeedback((msg as { feedback?: unknown }).feedback, false);
    this.emitChange("ack");
  }

  private onExternal(msg: ExternalMessage): void {
    const d = msg.decision;
    if (!d || typeof d !== "object" || typeof d.item_id !== "string") return;
    if (this.pending.has(d.id)) {
      // one of ours echoed back: it is committed
      this.pending.delete(d.id);
      this.writeStored((obj) => {
        delete obj[d.id];
      });
    }
    this.overlay.set(d.item_id, d.action === "undo" ? null : toState(d));
    const cur = this.current();
    // `advance: false` (e.g. a rating from Python) keeps the item on screen
    const moved = !!cur && cur.item_id === d.item_id && d.action !== "undo" && msg.advance !== false;
    this.events.emit("external", { decision: d, moved });
    this.emitFeedback((msg as { feedback?: unknown }).feedback, true, d);
    if (moved) this.goTo(this.cursor + 1, "external");
    else this.emitChange("external");
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
    this.items.clear();
    this.flights.clear();
    this.shownAt.clear();
    this.known = false;
    this.queueLength = typeof msg.queue_length === "number" ? msg.queue_length : num(this.model.get("queue_length"), 0);
    const from = this.cursor;
    this.cursor = typeof msg.cursor === "number" && msg.cursor >= 0 ? Math.floor(msg.cursor) : 0;
    this.lastMove = 1;
    this.ensureWindow();
    this.events.emit("reset", {});
    if (from !== this.cursor) this.events.emit("cursor", { from, to: this.cursor });
    this.emitChange("reset");
  }

  private handleTraits(): void {
    const ql = num(this.model.get("queue_length"), this.queueLength);
    if (ql !== this.queueLength) {
      this.queueLength = ql;
      if (this.known) this.ensureWindow();
    }
    this.emitChange("traits");
  }

  /* ---------------------------------------------------------------- timer */

  /** resend what is unacknowledged for `resendAfterMs`; forget fetches that timed out */
  tick(): void {
    if (this.disposed) return;
    const t = Date.now();
    const due: Decision[] = [];
    for (const p of this.pending.values()) {
      if (t - p.sentAt >= this.resendAfterMs) {
        due.push(p.decision);
        p.sentAt = t;
      }
    }
    for (let i = 0; i < due.length; i += 200) {
      this.send({ type: "decide", decisions: due.slice(i, i + 200) });
    }
    let expired = false;
    for (const [req, f] of this.flights) {
      if (t - f.sentAt >= this.fetchTimeoutMs) {
        this.flights.delete(req);
        expired = true;
      }
    }
    if (expired) this.ensureWindow();
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

  private key(): string | null {
    const id = this.model.get("store_id");
    return typeof id === "string" && id ? storageKey(id) : null;
  }

  private readStored(): Record<string, Decision> {
    const key = this.key();
    if (!this.storage || !key) return {};
    try {
      const raw = this.storage.getItem(key);
      const obj = raw ? (JSON.parse(raw) as unknown) : {};
      return obj && typeof obj === "object" && !Array.isArray(obj) ? (obj as Record<string, Decision>) : {};
    } catch {
      return {};
    }
  }

  /** read-modify-write, so decisions another tab keeps under the same key survive */
  private writeStored(mutate: (obj: Record<string, Decision>) => void): void {
    const key = this.key();
    if (!this.storage || !key) return;
    const obj = this.readStored();
    mutate(obj);
    try {
      if (Object.keys(obj).length) this.storage.setItem(key, JSON.stringify(obj));
      else this.storage.removeItem(key);
    } catch (err) {
      console.warn("hitl_widgets: localStorage write failed", err);
    }
  }

  private emitChange(reason: string): void {
    if (!this.disposed) this.events.emit("change", { reason });
  }
}

/* ------------------------------------------------------------------ helpers */

function num(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : v == null ? "" : String(v);
}

function toState(d: Decision): ItemState {
  return { action: d.action, label: d.label, note: d.note, data: d.data };
}

function isFeedback(v: unknown): v is GoldFeedback {
  return !!v && typeof v === "object" && typeof (v as GoldFeedback).correct === "boolean";
}

function isDecision(v: unknown): v is Decision {
  return !!v && typeof v === "object" && typeof (v as Decision).id === "string" && typeof (v as Decision).item_id === "string";
}
