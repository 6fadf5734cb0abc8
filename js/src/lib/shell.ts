/**
 * The frame that the generation and pairwise views share: header (progress, unsaved
 * count, help button), message line, item / loading / summary panes, footer, the "?"
 * overlay, key timing (PaintTracker) and the paint loop driven by the ReviewClient.
 * A view fills `itemPane`, gives its key bindings and a `paintItem` callback.
 */
import { ReviewClient, now, type ReviewClientOptions } from "./protocol";
import { attachKeyLayer, textBoxKeys, type KeyBinding, type KeyLayer } from "./keyboard";
import { el, setAttr, setText, show, type Child } from "./dom";
import { createHelp, type HelpOverlay } from "./help";
import { helpBindings } from "./bindings";
import { computeProgress, createProgressView } from "./progress";
import { PaintTracker, type TimedRoot } from "./paint";
import { renderSummary, type SummaryRow } from "./summary";
import type { BaseItem } from "./types";

export interface ShellOptions extends ReviewClientOptions {
  /** focus the widget on first render (default true) */
  autoFocus?: boolean;
}

export interface ShellConfig {
  kind: string;
  ariaLabel: string;
  helpTitle: string;
  footer: Child[];
}

const MESSAGE_MS = 6000;

/** Keys that never lead to a new item are not timed. */
const UNTIMED = new Set(["?", "Escape"]);

export class ReviewShell<I extends BaseItem> {
  readonly client: ReviewClient<I>;
  readonly root: TimedRoot;
  readonly tracker: PaintTracker;
  readonly itemPane: HTMLElement;
  readonly meta: HTMLElement;
  readonly position: HTMLElement;
  readonly itemId: HTMLElement;
  readonly decisionBadge: HTMLElement;
  readonly summaryPane: HTMLElement;
  help!: HelpOverlay;
  keys!: KeyLayer;

  /** paint the item under the cursor; `fresh` when it was not the one painted last */
  paintItem: (item: I, fresh: boolean) => void = () => {};
  /** the cursor left the item pane (loading / summary) */
  onLeave: () => void = () => {};
  /** extra summary rows */
  summaryRows: () => SummaryRow[] = () => [];

  private readonly model: import("@anywidget/types").AnyModel;
  private readonly cleanups: (() => void)[] = [];
  private readonly message: HTMLElement;
  private readonly progress = createProgressView();
  private readonly pendingCount: HTMLElement;
  private readonly pendingWrap: HTMLElement;
  private readonly loadingPane: HTMLElement;
  private readonly helpBtn: HTMLButtonElement;
  private readonly footer: HTMLElement;
  private readonly header: HTMLElement;
  private readonly options: ShellOptions;
  private messageTimer: ReturnType<typeof setTimeout> | null = null;
  private paintedItem: I | null = null;
  private paintedQi = -1;
  private disposed = false;

  constructor(model: import("@anywidget/types").AnyModel, cfg: ShellConfig, options: ShellOptions = {}) {
    this.model = model;
    this.options = options;
    this.client = new ReviewClient<I>(model, options);
    this.pendingCount = el("span", { testid: "pending", text: "0" });
    this.pendingWrap = el(
      "span",
      { cls: "hitl-pending", title: "Decisions not yet saved by the kernel (kept in this browser and resent)" },
      [this.pendingCount, " unsaved"],
    );
    this.helpBtn = el("button", {
      cls: "hitl-icon-btn",
      text: "?",
      title: "Keys (?)",
      testid: "help-button",
      attrs: { type: "button", tabindex: -1, "aria-label": "Show keys" },
    });
    this.header = el("div", { cls: "hitl-header" }, [this.progress.el, this.pendingWrap, this.helpBtn]);
    this.position = el("span", { cls: "hitl-position", testid: "position" });
    this.itemId = el("span", { cls: "hitl-item-id", testid: "item-id" });
    this.decisionBadge = el("span", { cls: "hitl-decision", testid: "decision", hidden: true });
    this.meta = el("div", { cls: "hitl-meta" }, [this.position, this.itemId, this.decisionBadge]);
    this.itemPane = el("div", { cls: "hitl-item", hidden: true }, [this.meta]);
    this.loadingPane = el("div", { cls: "hitl-loading", testid: "loading", text: "Loading…" });
    this.summaryPane = el("div", { cls: "hitl-summary", testid: "summary", hidden: true });
    this.message = el("div", { cls: "hitl-message", testid: "message", hidden: true, attrs: { role: "status" } });
    this.footer = el("div", { cls: "hitl-footer" }, [
      ...cfg.footer,
      el("span", { cls: "hitl-focus-hint", text: " · click here to use the keys" }),
    ]);
    this.root = el("div", {
      cls: `hitl-root hitl-${cfg.kind}`,
      testid: "hitl-root",
      attrs: { "data-state": "loading", "aria-label": cfg.ariaLabel },
    }) as TimedRoot;
    this.tracker = new PaintTracker(this.root);
    this.help = createHelp([], { title: cfg.helpTitle });
    this.helpBtn.addEventListener("click", () => this.help.toggle());
    this.message.addEventListener("click", () => show(this.message, false));
    this.cleanups.push(() => this.tracker.dispose());
    this.cleanups.push(() => {
      if (this.messageTimer !== null) clearTimeout(this.messageTimer);
    });
  }

  /** Key bindings (timed from keydown to the paint of the next item); ? and Esc (the
   * keys overlay) come last. */
  bind(viewBindings: KeyBinding[]): void {
    const bindings = [...viewBindings, ...helpBindings(this.help, "a text box")];
    this.help.setBindings(bindings);
    const timed = bindings.map((b) => ({
      ...b,
      run: (key: string, ev: KeyboardEvent) => {
        if (b.keys.some((k) => UNTIMED.has(k))) return b.run(key, ev);
        this.timeKey(key, ev, () => b.run(key, ev));
      },
    }));
    this.keys = attachKeyLayer(this.root, timed, { autoFocus: this.options.autoFocus });
    this.cleanups.push(() => this.keys.dispose());
  }

  /** Run an action that may move to another item, timing key -> paint. */
  timeKey(key: string, ev: Event | null, action: () => void): void {
    const before = this.client.cursor;
    this.tracker.timeKey(key, ev, action, () => this.client.state() === "loading" && this.client.cursor !== before);
  }

  /** A text box inside the widget: keys type text; Enter (Ctrl/Cmd+Enter in a textarea)
   * and Esc go to the callbacks; JupyterLab never sees them. */
  textBox(box: HTMLInputElement | HTMLTextAreaElement, handlers: { onEnter?: () => void; onEscape?: () => void }): void {
    this.cleanups.push(textBoxKeys(box, handlers));
  }

  focus(): void {
    this.keys?.focus();
  }

  say(text: string, level: "error" | "info" = "info"): void {
    setText(this.message, text);
    this.message.setAttribute("data-level", level);
    show(this.message, true);
    if (this.messageTimer !== null) clearTimeout(this.messageTimer);
    this.messageTimer = setTimeout(() => show(this.message, false), level === "info" ? MESSAGE_MS : 4 * MESSAGE_MS);
  }

  clearMessage(): void {
    if (this.messageTimer !== null) clearTimeout(this.messageTimer);
    this.messageTimer = null;
    if (!this.message.hidden && this.message.getAttribute("data-level") === "error") return;
    show(this.message, false);
  }

  addCleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Repaint everything for the client's current state. */
  paint(): void {
    if (this.disposed) return;
    const client = this.client;
    const state = client.state();
    setAttr(this.root, "data-state", state);
    this.progress.update(
      computeProgress({
        done: Number(this.model.get("done")) || 0,
        total: Number(this.model.get("total")) || 0,
        decisionTimes: client.decisionTimes,
        now: now(),
      }),
    );
    const pend = client.pendingCount();
    setText(this.pendingCount, pend);
    this.pendingWrap.setAttribute("data-count", String(pend));
    show(this.itemPane, state === "item");
    show(this.loadingPane, state === "loading");
    show(this.summaryPane, state === "summary");
    if (state === "item") {
      const item = client.current()!;
      const fresh = item !== this.paintedItem || client.cursor !== this.paintedQi;
      if (fresh) setText(this.itemId, item.item_id);
      setText(this.position, `${client.cursor + 1} / ${client.queueLength}`);
      this.paintItem(item, fresh);
      if (fresh) {
        this.paintedItem = item;
        this.paintedQi = client.cursor;
        client.markShown(client.cursor);
        this.tracker.painted(client.cursor);
      }
    } else {
      this.onLeave();
      if (state === "summary") {
        renderSummary(this.summaryPane, client, this.summaryRows());
        this.tracker.dropWaiting();
      }
      this.paintedItem = null;
      this.paintedQi = -1;
    }
  }

  /** Show a badge for the item's current decision (null hides it). */
  badge(text: string | null, action?: string): void {
    if (text !== null) {
      setText(this.decisionBadge, text);
      this.decisionBadge.setAttribute("data-action", action ?? "");
    }
    show(this.decisionBadge, text !== null);
  }

  /** Put the frame into `host` and start talking to the kernel. */
  mount(host: HTMLElement): () => void {
    const client = this.client;
    const offs = [
      client.events.on("change", () => this.paint()),
      client.events.on("message", (m) => this.say(m.text, m.level)),
    ];
    this.cleanups.push(() => offs.forEach((f) => f()));
    this.cleanups.push(() => client.dispose());
    this.root.append(
      this.header,
      this.message,
      this.itemPane,
      this.loadingPane,
      this.summaryPane,
      this.footer,
      this.help.el,
    );
    host.appendChild(this.root);
    if (this.options.autoFocus !== false) this.focus();
    this.paint();
    client.start();
    const clock = setInterval(() => {
      if (client.state() !== "loading") this.paint();
    }, 15000);
    this.cleanups.push(() => clearInterval(clock));
    return () => this.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.cleanups.reverse()) {
      try {
        c();
      } catch (err) {
        console.error("hitl_widgets: cleanup failed", err);
      }
    }
    this.root.remove();
  }
}
