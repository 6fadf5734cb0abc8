/**
 * The fetch window: the queue entries the browser holds around its cursor (never the
 * whole table), and the `fetch` requests that fill it (docs/protocol.md): the entry under
 * the cursor first, then `prefetch` entries ahead (and behind when moving back), one page
 * at a time, never two requests for the same need; entries far from the cursor are
 * dropped and fetched again when needed.
 */
import { uuid } from "./ids";
import type { BaseItem, FetchMessage, ItemsMessage } from "./types";

export interface Flight {
  start: number;
  count: number;
  sentAt: number; // Date.now()
}

export interface WindowSizes {
  /** entries wanted ahead of the cursor */
  prefetch: number;
  /** entries per fetch */
  pageSize: number;
  /** entries kept either side of the cursor */
  radius: number;
}

export class FetchWindow<I extends BaseItem = BaseItem> {
  /** queue index -> entry */
  readonly items = new Map<number, I>();
  /** entries in the queue, from the traitlet / the latest items message */
  queueLength: number;
  /** true once the kernel answered a fetch (before that the queue length is not trusted) */
  known = false;
  private readonly flights = new Map<string, Flight>();

  constructor(
    queueLength: number,
    private readonly sizes: () => WindowSizes,
    /** `now`: the fetch is for the entry at the cursor, which the person waits for */
    private readonly send: (msg: FetchMessage, now: boolean) => void,
  ) {
    this.queueLength = queueLength;
  }

  has(qi: number): boolean {
    return this.items.has(qi);
  }

  get(qi: number): I | undefined {
    return this.items.get(qi);
  }

  /** Number of consecutive entries buffered after `cursor`. */
  bufferedAhead(cursor: number): number {
    let n = 0;
    for (let q = cursor + 1; this.items.has(q); q++) n++;
    return n;
  }

  inFlight(): Flight[] {
    return [...this.flights.values()];
  }

  findQi(itemId: string): number | undefined {
    for (const [qi, it] of this.items) if (it.item_id === itemId) return qi;
    return undefined;
  }

  /** Ask for what the cursor needs: the entry itself, then `prefetch` entries ahead
   * (`direction` < 0: the last move went back, so behind it too). */
  ensure(cursor: number, direction: number): void {
    const { prefetch, pageSize: page } = this.sizes();
    const c = cursor;
    this.cursorNow = c;
    if (!this.known) {
      // queue length not confirmed yet: ask for the page at the cursor
      if (!this.items.has(c)) this.request(c, page, c);
      return;
    }
    const n = this.queueLength;
    if (c >= n) return;
    if (!this.items.has(c)) {
      let min = Infinity;
      for (const qi of this.items.keys()) if (qi < min) min = qi;
      if (c < min && direction < 0) {
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
    while (q < n && ahead < prefetch && this.items.has(q)) {
      q++;
      ahead++;
    }
    if (ahead < prefetch && q < n) this.request(q, Math.min(page, n - q), q);
    if (direction < 0) {
      let b = c - 1;
      let behind = 0;
      while (b >= 0 && behind < prefetch && this.items.has(b)) {
        b--;
        behind++;
      }
      if (behind < prefetch && b >= 0) {
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
    this.send({ type: "fetch", req, start, count }, need === this.cursorNow);
  }

  /** the cursor of the latest `ensure` */
  private cursorNow = -1;

  /**
   * Take an `items` message: false (and nothing changes) when it answers a fetch that is
   * not one of ours in flight (another view's, or one made before a reset); without `req`
   * it is an unsolicited push. Entries far from `cursor` are dropped.
   */
  accept(msg: ItemsMessage<I>, cursor: number): I[] | null {
    if (msg.req) {
      if (!this.flights.has(msg.req)) return null;
      this.flights.delete(msg.req);
    }
    if (typeof msg.queue_length === "number") this.queueLength = msg.queue_length;
    this.known = true;
    const items = Array.isArray(msg.items) ? msg.items : [];
    for (const it of items) {
      if (it && typeof it.qi === "number") this.items.set(it.qi, it);
    }
    this.evict(cursor);
    return items;
  }

  private evict(cursor: number): void {
    const r = this.sizes().radius;
    for (const qi of this.items.keys()) {
      if (Math.abs(qi - cursor) > r) this.items.delete(qi);
    }
  }

  /** The queue changed: drop every entry and fetch in flight. */
  reset(queueLength: number): void {
    this.items.clear();
    this.flights.clear();
    this.known = false;
    this.queueLength = queueLength;
  }

  /** Forget fetches unanswered for `timeoutMs`; true when there were some (ask again). */
  expire(timeoutMs: number, t: number = Date.now()): boolean {
    let expired = false;
    for (const [req, f] of this.flights) {
      if (t - f.sentAt >= timeoutMs) {
        this.flights.delete(req);
        expired = true;
      }
    }
    return expired;
  }
}
