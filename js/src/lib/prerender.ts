/**
 * Build the DOM of the next entries while the person reads the current one, so a key
 * press only swaps prepared nodes in (markdown parsing and sanitizing leave the
 * critical path). Work is done in idle time, one entry per callback, and each prepared
 * value is used once (`take`): DOM nodes can only be inserted in one place.
 */
type IdleHandle = number;

function idle(cb: () => void): IdleHandle {
  const ric = (globalThis as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number }).requestIdleCallback;
  if (typeof ric === "function") return ric(cb, { timeout: 300 });
  return setTimeout(cb, 30) as unknown as number;
}

function cancelIdle(h: IdleHandle): void {
  const cic = (globalThis as { cancelIdleCallback?: (h: number) => void }).cancelIdleCallback;
  if (typeof cic === "function") cic(h);
  else clearTimeout(h as unknown as ReturnType<typeof setTimeout>);
}

export class Prerender<K extends object, V> {
  private readonly cache = new Map<K, V>();
  private queue: K[] = [];
  private handle: IdleHandle | null = null;
  private disposed = false;

  constructor(
    private readonly build: (key: K) => V,
    private readonly limit = 6,
  ) {}

  /** The prepared value for `key` (removed from the cache), if any. */
  take(key: K): V | undefined {
    const v = this.cache.get(key);
    if (v !== undefined) this.cache.delete(key);
    return v;
  }

  has(key: K): boolean {
    return this.cache.has(key);
  }

  /** Prepare these keys (in this order) when the page is idle; forget the others. */
  want(keys: (K | undefined)[]): void {
    if (this.disposed) return;
    const list = keys.filter((k): k is K => k !== undefined);
    for (const k of [...this.cache.keys()]) if (!list.includes(k)) this.cache.delete(k);
    this.queue = list.filter((k) => !this.cache.has(k)).slice(0, this.limit);
    if (this.queue.length && this.handle === null) this.handle = idle(() => this.step());
  }

  private step(): void {
    this.handle = null;
    if (this.disposed) return;
    const k = this.queue.shift();
    if (k !== undefined && !this.cache.has(k)) {
      try {
        this.cache.set(k, this.build(k));
      } catch (err) {
        console.error("hitl_widgets: prerender failed", err);
      }
    }
    if (this.queue.length) this.handle = idle(() => this.step());
  }

  dispose(): void {
    this.disposed = true;
    if (this.handle !== null) cancelIdle(this.handle);
    this.handle = null;
    this.cache.clear();
    this.queue = [];
  }
}
