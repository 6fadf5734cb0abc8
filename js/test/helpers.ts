/**
 * A fake anywidget model and a fake kernel for the browser tests, and the harness that
 * mounts a widget on them (`mountWidget`, `useWidgetTests`).
 */
import { afterEach, beforeEach, vi } from "vitest";
import type { AnyModel } from "@anywidget/types";
import { mount as mountClassificationWidget, type HitlRoot } from "../src/widgets/classification";
import type { BaseItem, ClassificationItem, Decision } from "../src/lib/types";

type Handler = (...args: unknown[]) => void;

export class FakeModel {
  attrs: Record<string, unknown>;
  handlers = new Map<string, Set<Handler>>();
  /** every message the browser sent, in order (deep copies) */
  sent: Record<string, any>[] = [];
  widget_manager = { get_model: async () => this as unknown as AnyModel };

  constructor(attrs: Record<string, unknown> = {}) {
    this.attrs = { ...defaultTraits(), ...attrs };
  }
  get(key: string): any {
    return this.attrs[key];
  }
  set(key: string, value: unknown): void {
    this.attrs[key] = value;
    this.emit(`change:${key}`);
  }
  on(name: string, fn: Handler): void {
    let s = this.handlers.get(name);
    if (!s) this.handlers.set(name, (s = new Set()));
    s.add(fn);
  }
  off(name?: string | null, fn?: Handler | null): void {
    if (!name) return this.handlers.clear();
    if (!fn) return void this.handlers.delete(name);
    this.handlers.get(name)?.delete(fn);
  }
  send(msg: unknown): void {
    this.sent.push(JSON.parse(JSON.stringify(msg)));
  }
  save_changes(): void {}

  emit(name: string, ...args: unknown[]): void {
    for (const fn of [...(this.handlers.get(name) ?? [])]) fn(...args);
  }
  /** deliver a custom message as the kernel would (`widget.send(msg)`) */
  deliver(msg: unknown): void {
    this.emit("msg:custom", msg, []);
  }
  listenerCount(): number {
    let n = 0;
    for (const s of this.handlers.values()) n += s.size;
    return n;
  }
  sentOf(type: string): Record<string, any>[] {
    return this.sent.filter((m) => m.type === type);
  }
  /** every decision sent in `decide` messages (with resends) */
  decisions(): Decision[] {
    return this.sentOf("decide").flatMap((m) => m.decisions as Decision[]);
  }
  /** every decision sent, once (resends left out) */
  distinctDecisions(): Decision[] {
    return this.decisions().filter((d, i, all) => all.findIndex((x) => x.id === d.id) === i);
  }
  asModel(): AnyModel {
    return this as unknown as AnyModel;
  }
}

export function defaultTraits(): Record<string, unknown> {
  return {
    kind: "classification",
    store_id: "store-1",
    session_id: "sess-1",
    annotator: "ann",
    guideline_version: "g1",
    labels: ["pos", "neg", "neutral"],
    config: { show_model: true, prefetch: 8, task: "sentiment" },
    total: 100,
    done: 0,
    queue_length: 40,
    counts: {},
    agreement: null,
  };
}

export function makeItem(qi: number, extra: Partial<ClassificationItem> = {}): ClassificationItem {
  return {
    qi,
    item_id: `item-${qi}`,
    content_hash: `h${qi}`,
    text: `text number ${qi}`,
    model_label: "pos",
    confidence: 0.8,
    proba: null,
    decision: null,
    reasons: [],
    ...extra,
  };
}

/** A fake kernel: answers fetches from `queue`, acks decisions. */
export class FakeKernel {
  answered = new Set<string>();
  constructor(
    public model: FakeModel,
    public queue: BaseItem[],
  ) {}

  /** fetch messages not answered yet */
  openFetches(): Record<string, any>[] {
    return this.model.sentOf("fetch").filter((f) => !this.answered.has(f.req));
  }
  /** answer every open fetch; returns how many */
  serve(): number {
    const open = this.openFetches();
    for (const f of open) {
      this.answered.add(f.req);
      this.model.deliver({
        type: "items",
        req: f.req,
        start: f.start,
        items: this.queue.slice(f.start, f.start + f.count),
        queue_length: this.queue.length,
      });
    }
    return open.length;
  }
  /** ack every decision sent so far */
  ackAll(): void {
    const ids = [...new Set(this.model.decisions().map((d) => d.id))];
    this.model.deliver({ type: "ack", ids, errors: {} });
  }
}

export function queue(n: number, extra: (qi: number) => Partial<ClassificationItem> = () => ({})): ClassificationItem[] {
  return Array.from({ length: n }, (_, qi) => makeItem(qi, extra(qi)));
}

export function q<T extends Element = HTMLElement>(root: ParentNode, testid: string): T {
  const found = root.querySelector(`[data-testid="${testid}"]`);
  if (!found) throw new Error(`no [data-testid="${testid}"]`);
  return found as T;
}

/** dispatch a keydown only (bubbling, cancelable), as the browser does for a key going
 * down, or auto-repeating with `repeat: true`; returns it */
export function keydown(target: Element, key: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const ev = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(ev);
  return ev;
}

/** dispatch the keyup of a key (bubbling, cancelable); returns it */
export function keyup(target: Element, key: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const ev = new KeyboardEvent("keyup", { key, bubbles: true, cancelable: true, ...init, repeat: false });
  target.dispatchEvent(ev);
  return ev;
}

/** press a key the way the browser does: its keydown, then (unless it is an auto-repeat
 * of a held key, `repeat: true`) its keyup on the same element; returns the keydown */
export function press(target: Element, key: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const ev = keydown(target, key, init);
  if (!init.repeat) keyup(target, key, init);
  return ev;
}

/* ------------------------------------------------------------------ widget harness */

/** A widget mounted on a fake model and kernel. */
export interface Mounted<R extends HTMLElement = HTMLElement> {
  model: FakeModel;
  kernel: FakeKernel;
  host: HTMLElement;
  root: R;
  cleanup: () => void;
}

const live: Mounted[] = [];

/**
 * Mount a widget (`mount(model, host)`) on `model`, in a new host <div> appended to
 * `container` (default: the body), with a fake kernel holding `items`; the kernel
 * answers the first fetch unless `serve` is false. `useWidgetTests` unmounts it after
 * the test.
 */
export function mountWidget<R extends HTMLElement>(
  mount: (model: AnyModel, host: HTMLElement, options: { sendAfterFrame?: boolean }) => () => void,
  model: FakeModel,
  items: BaseItem[],
  opts: { serve?: boolean; container?: HTMLElement } = {},
): Mounted<R> {
  const kernel = new FakeKernel(model, items);
  const host = document.createElement("div");
  (opts.container ?? document.body).appendChild(host);
  // messages go out at once here (the after-frame outbox has its own tests in lib.test.ts)
  const cleanup = mount(model.asModel(), host, { sendAfterFrame: false });
  const root = q<R>(host, "hitl-root");
  if (opts.serve !== false) kernel.serve();
  const s = { model, kernel, host, root, cleanup };
  live.push(s);
  return s;
}

/** The classification widget on `n` (default 40) or `items` (default: `queue(n)`), with
 * the default traits and `traits` over them. */
export function mountClassification(
  opts: { n?: number; items?: ClassificationItem[]; traits?: Record<string, unknown>; serve?: boolean; container?: HTMLElement } = {},
): Mounted<HitlRoot> {
  const items = opts.items ?? queue(opts.n ?? 40);
  const model = new FakeModel({ queue_length: items.length, ...opts.traits });
  return mountWidget<HitlRoot>(mountClassificationWidget, model, items, opts);
}

/** Every test of the file: fake timers and an empty localStorage; after it, every widget
 * mounted by `mountWidget` unmounted and the page emptied. */
export function useWidgetTests(): void {
  beforeEach(() => {
    vi.useFakeTimers();
    localStorage.clear();
  });
  afterEach(() => {
    for (const s of live) {
      s.cleanup();
      s.host.remove();
    }
    live.length = 0;
    document.body.replaceChildren();
    vi.useRealTimers();
    localStorage.clear();
  });
}

/** Run the fake clock past the next animation frame. */
export const frame = (): void => {
  vi.advanceTimersByTime(20);
};
