/**
 * The frame every review kind is drawn in: header (progress with the pace line, unsaved
 * count, help button), message line, item / loading / summary panes, footer, key timing
 * (PaintTracker), the paint loop driven by the ReviewClient, mount / dispose, and the
 * features any kind gets without code of its own, each on when its data is there:
 *
 * | feature | on when | kind's switch (ShellConfig) |
 * |---|---|---|
 * | guideline panel, G, its help entry and footer hint | `guideline_text` is not empty | `features.guideline: false` turns it off |
 * | gold feedback card | an `ack` / `external` carries `feedback` for this view's decision | `features.feedback: false` |
 * | break prompt / pace line | `config.break_every` is set / a decision was timed | `features.breaks: false` |
 * | flag note box (F, `note-box` / `note-input`) | the kind asks for it and the vocabulary takes "flag" | `flag: {...}` |
 * | profile form (once, before the first item; lib/profileform.ts) | `config.profile_form` (sent only when the store has no profile of the annotator) | — |
 * | help overlay (?) | always | — |
 * | N / Home / End (next undecided entry, first, end), export buttons (summary, ?) | always | — |
 * | item clock (duration_ms from the first interaction, idle gaps cut: `data.idle_ms`) | always | — |
 *
 * Modals (lib/modal.ts): the profile form, the break prompt, a wrong answer's feedback card, the text boxes
 * and the help overlay. While one is open review keys do not run, and the key that
 * closes it never decides or moves.
 *
 * A kind fills `itemPane`, gives its key bindings (`bind`) and the `paintItem` callback.
 */
import type { AnyModel } from "@anywidget/types";
import { ReviewClient, type ReviewClientOptions } from "./protocol";
import { now } from "./ids";
import { attachKeyLayer, textBoxKeys, type KeyBinding, type KeyLayer } from "./keyboard";
import { el, kbd, setAttr, setText, show, clear, type Child } from "./dom";
import { createHelp, type HelpOverlay } from "./help";
import { helpBindings } from "./bindings";
import { computeProgress, createProgressView } from "./progress";
import { PaintTracker, type TimedRoot } from "./paint";
import { renderSummary, type SummaryRow } from "./summary";
import { Modals, type Modal } from "./modal";
import { TextBoxes, flagNoteBox, type NoteBox } from "./boxes";
import { createGuidelinePanel, type GuidelinePanel } from "./guideline";
import { attachGoldFeedback, type GoldFeedbackFeature } from "./feedback";
import { attachSitting, type SittingAids } from "./breaks";
import { attachProfileForm, type ProfileForm } from "./profileform";
import { describeState } from "./fold";
import { downloadText } from "./download";
import type { BaseItem, ItemState } from "./types";

export interface ShellOptions extends ReviewClientOptions {
  /** focus the widget on first render (default true) */
  autoFocus?: boolean;
}

/** The shell's features a kind may switch off (each is on by default, and shows only
 * when its data is there). */
export interface ShellFeatures {
  /** the guideline panel and G (shown when `guideline_text` is not empty) */
  guideline?: boolean;
  /** gold feedback (shown when the kernel sends `feedback` for a decision of this view) */
  feedback?: boolean;
  /** break prompts (`config.break_every`) and the pace line */
  breaks?: boolean;
}

/** The flag note box: F opens it, Enter saves a `flag` decision with the note, Esc cancels. */
export interface FlagNoteConfig<I extends BaseItem> {
  /** what the help overlay says of F */
  description?: string;
  /** Flag / Cancel buttons after the input (default true) */
  buttons?: boolean;
  /** extra data sent with the flag (e.g. the ratings in effect) */
  data?: (item: I) => Record<string, unknown> | null;
}

export interface ShellConfig<I extends BaseItem = BaseItem> {
  kind: string;
  ariaLabel: string;
  helpTitle: string;
  footer: Child[];
  features?: ShellFeatures;
  /** the flag note box (on when given) */
  flag?: FlagNoteConfig<I> | false;
  /** the decision badge's words (default: the status, with the note of a flag / reject) */
  describe?: (st: ItemState, item: I) => string;
}

const MESSAGE_MS = 6000;

/** Keys that never lead to a new item are not timed. */
const UNTIMED = new Set(["?", "Escape", "g"]);

/** The formats of the export buttons. */
const EXPORTS: { format: "csv" | "jsonl"; text: string }[] = [
  { format: "csv", text: "Download CSV" },
  { format: "jsonl", text: "Download JSONL" },
];

interface BoxEntry {
  /** give the box the keys back (its input, or a form's first field) */
  focus: () => void;
  onEscape?: () => void;
}

export class ReviewShell<I extends BaseItem> {
  readonly client: ReviewClient<I>;
  readonly root: TimedRoot;
  readonly tracker: PaintTracker;
  readonly itemPane: HTMLElement;
  readonly meta: HTMLElement;
  readonly position: HTMLElement;
  readonly itemId: HTMLElement;
  readonly decisionBadge: HTMLElement;
  readonly reasons: HTMLElement;
  readonly summaryPane: HTMLElement;
  /** the modals (lib/modal.ts) */
  readonly modals: Modals;
  /** the text boxes under the item: one open at a time, tied to its item (a modal) */
  readonly boxes: TextBoxes<string>;
  readonly help: HelpOverlay;
  readonly guideline: GuidelinePanel | null;
  readonly feedback: GoldFeedbackFeature | null;
  readonly sitting: SittingAids | null;
  /** the profile form (null unless `config.profile_form` came with the widget) */
  readonly profileForm: ProfileForm | null;
  /** the flag note box (null unless the kind asked for it); the kind places `note.box`
   * in its item pane (at the end when it did not) */
  readonly note: NoteBox | null;
  keys!: KeyLayer;

  /** paint the item under the cursor; `fresh` when it was not the one painted last */
  paintItem: (item: I, fresh: boolean) => void = () => {};
  /** the cursor left the item pane (loading / summary) */
  onLeave: () => void = () => {};
  /** extra summary rows */
  summaryRows: () => SummaryRow[] = () => [];
  /** a line of the kind's under the summary's table (e.g. "new calls show here") */
  summaryNote: () => Node | null = () => null;
  /** a text box closed (the view shows what the box covered again) */
  onBoxClose: () => void = () => {};

  private readonly model: AnyModel;
  private readonly cfg: ShellConfig<I>;
  private readonly cleanups: (() => void)[] = [];
  private readonly message: HTMLElement;
  private readonly progress = createProgressView();
  private readonly pendingCount: HTMLElement;
  private readonly pendingWrap: HTMLElement;
  private readonly loadingPane: HTMLElement;
  private readonly helpBtn: HTMLButtonElement;
  private readonly footer: HTMLElement;
  private readonly header: HTMLElement;
  private readonly body: HTMLElement;
  private readonly guideHint: HTMLElement | null;
  private readonly options: ShellOptions;
  private readonly boxEntries = new Map<string, BoxEntry>();
  private viewBindings: KeyBinding[] = [];
  private messageTimer: ReturnType<typeof setTimeout> | null = null;
  private paintedItem: I | null = null;
  private paintedQi = -1;
  private disposed = false;
  /** a seek (N) is waiting for the kernel's answer: the key is timed when it lands */
  private seeking = false;
  /** the export buttons of the summary (kept: the summary is drawn again on each change) */
  private readonly summaryExports: HTMLElement;
  private exporting = false;

  constructor(model: AnyModel, cfg: ShellConfig<I>, options: ShellOptions = {}) {
    this.model = model;
    this.cfg = cfg;
    this.options = options;
    const features = cfg.features ?? {};
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
    this.reasons = el("span", { cls: "hitl-reasons", testid: "reasons", hidden: true });
    this.meta = el("div", { cls: "hitl-meta" }, [this.position, this.itemId, this.decisionBadge, this.reasons]);
    this.itemPane = el("div", { cls: "hitl-item", hidden: true }, [this.meta]);
    this.loadingPane = el("div", { cls: "hitl-loading", testid: "loading", text: "Loading…" });
    this.summaryPane = el("div", { cls: "hitl-summary", testid: "summary", hidden: true });
    this.message = el("div", { cls: "hitl-message", testid: "message", hidden: true, attrs: { role: "status" } });
    this.root = el("div", {
      cls: `hitl-root hitl-${cfg.kind}`,
      testid: "hitl-root",
      attrs: { "data-state": "loading", "aria-label": cfg.ariaLabel },
    }) as TimedRoot;
    this.tracker = new PaintTracker(this.root);
    this.cleanups.push(() => this.tracker.dispose());
    this.cleanups.push(() => {
      if (this.messageTimer !== null) clearTimeout(this.messageTimer);
    });

    /* modals */
    this.modals = new Modals(this.root);
    this.modals.onClosed = () => {
      // give the keys back to the widget (not when the focus is elsewhere on the page)
      if (this.boxes.openName === null && this.root.contains(document.activeElement)) this.focus();
    };
    this.cleanups.push(() => this.modals.dispose());
    const helpModal: Modal = { name: "help", onKey: () => this.help.close() };
    this.help = createHelp([], {
      title: cfg.helpTitle,
      onOpen: () => {
        this.modals.open(helpModal);
        this.fitHelp();
      },
      onClose: () => {
        this.modals.close(helpModal);
        this.root.style.removeProperty("min-height");
      },
    });
    this.helpBtn.addEventListener("click", () => this.help.toggle());
    this.message.addEventListener("click", () => show(this.message, false));
    // the decisions as a file: in the summary, and under ? (reachable from any item)
    this.summaryExports = el("div", { cls: "hitl-exports", testid: "summary-exports" }, [
      el("span", { cls: "hitl-exports-label", text: "This review's decisions: " }),
      ...this.exportButtons("summary"),
    ]);
    this.help.el.append(
      el("div", { cls: "hitl-exports hitl-help-exports", testid: "help-exports" }, [
        el("span", { cls: "hitl-exports-label", text: "This review's decisions: " }),
        ...this.exportButtons("help"),
      ]),
    );

    const boxModal: Modal = {
      name: "box",
      onKey: (key) => {
        const b = this.boxes.openName === null ? undefined : this.boxEntries.get(this.boxes.openName);
        if (key === "Escape") {
          if (b?.onEscape) b.onEscape();
          else this.closeBoxes(true);
        } else b?.focus(); // a key on the widget: back to the box
      },
    };
    this.boxes = new TextBoxes<string>({
      root: this.root,
      cursor: () => this.client.cursor,
      focus: () => this.focus(),
      onOpen: () => this.modals.open(boxModal),
      onEnd: () => this.modals.close(boxModal),
      onClose: () => this.onBoxClose(),
    });

    /* features */
    this.guideline = features.guideline === false ? null : createGuidelinePanel(model);
    if (this.guideline) {
      const g = this.guideline;
      this.cleanups.push(() => g.dispose());
      g.onChange = () => this.layout();
    }
    this.feedback = features.feedback === false ? null : attachGoldFeedback(this.client, this.modals);
    if (this.feedback) {
      const f = this.feedback;
      this.cleanups.push(() => f.dispose());
    }
    this.sitting = features.breaks === false ? null : attachSitting(this.client, this.modals, { progress: this.progress.el });
    if (this.sitting) {
      const s = this.sitting;
      this.cleanups.push(() => s.dispose());
    }
    this.profileForm = attachProfileForm(model, this.modals, { root: this.root, annotator: String(model.get("annotator") ?? "") });
    if (this.profileForm) {
      const p = this.profileForm;
      this.cleanups.push(() => p.dispose());
      p.onClose = () => this.paint(); // the item under it is shown (and timed) from now
    }
    this.note = cfg.flag ? flagNoteBox(cfg.flag.buttons !== false) : null;
    if (this.note) {
      const note = this.note;
      this.addBox("note", note.box, note.input, { onEnter: () => this.saveNote(), onEscape: () => this.closeBoxes(true) });
      const [save, cancel] = note.buttons;
      save?.addEventListener("click", () => this.saveNote());
      cancel?.addEventListener("click", () => this.closeBoxes(true));
    }

    const main = el("div", { cls: "hitl-main" }, [this.feedback?.el, this.itemPane, this.loadingPane, this.summaryPane]);
    this.body = el("div", { cls: "hitl-body" }, [main, this.guideline?.el]);
    this.guideHint = this.guideline ? el("span", { hidden: true }, [" · ", kbd("G"), " guideline"]) : null;
    this.footer = el("div", { cls: "hitl-footer" }, [
      ...cfg.footer,
      this.guideHint,
      el("span", { cls: "hitl-focus-hint", text: " · click here to use the keys" }),
    ]);
    const onConfig = () => this.refreshBindings();
    model.on("change:config", onConfig);
    this.cleanups.push(() => model.off("change:config", onConfig));

    // the item clock starts at the person's first interaction (not at the render)
    const interacted = () => this.client.interacted();
    const onFocus = (ev: FocusEvent) => {
      // the widget focusing itself (at render, after a box) is not the person
      if (ev.target === this.root && !this.keys?.focusing) interacted();
    };
    this.root.addEventListener("keydown", interacted, true);
    this.root.addEventListener("pointerdown", interacted, true);
    this.root.addEventListener("focus", onFocus);
    this.cleanups.push(() => {
      this.root.removeEventListener("keydown", interacted, true);
      this.root.removeEventListener("pointerdown", interacted, true);
      this.root.removeEventListener("focus", onFocus);
    });
  }

  /* ---------------------------------------------------------------- keys */

  /** Key bindings (timed from keydown to the paint of the next item); the shell's own
   * come after them: G (guideline), ? and Esc. A binding with an `action` the kernel's
   * vocabulary does not take is left out. */
  bind(viewBindings: KeyBinding[]): void {
    this.viewBindings = viewBindings;
    this.keys = attachKeyLayer(this.root, [], {
      autoFocus: this.options.autoFocus,
      before: (key, ev) => this.beforeKey(key, ev),
    });
    this.cleanups.push(() => this.keys.dispose());
    this.refreshBindings();
  }

  /** F, for the kind's list of bindings (empty without the flag note box). */
  flagBindings(): KeyBinding[] {
    if (!this.note || !this.cfg.flag) return [];
    return [
      {
        keys: ["f"],
        display: "F",
        description: this.cfg.flag.description ?? "Flag as ambiguous, with a note (Enter saves, Esc cancels)",
        action: "flag",
        run: () => this.openFlagNote(),
      },
    ];
  }

  /** N / Home / End: jump in a long queue (every kind, timed like the other moves). */
  private jumpBindings(): KeyBinding[] {
    return [
      { keys: ["n"], display: "N", description: "Next entry you have not decided (asks the kernel; the end when none is left)", run: () => this.seekNext() },
      { keys: ["Home"], display: "Home", description: "The first entry", run: () => this.client.goTo(0, "home") },
      { keys: ["End"], display: "End", description: "The end of the queue (the summary, with the downloads)", run: () => this.client.goTo(this.client.queueLength, "end") },
    ];
  }

  /** N: the kernel knows what this annotator decided (the window may not hold it all). */
  seekNext(): void {
    const from = this.client.cursor;
    if (this.client.known && from >= this.client.queueLength) return this.say("This is the end of the queue.");
    this.seeking = true;
    this.client.seek(from + 1).then(
      (qi) => {
        this.seeking = false;
        if (this.disposed || this.client.cursor !== from) return; // the person moved on meanwhile
        this.client.goTo(qi, "seek");
        if (this.client.state() === "summary") this.tracker.dropWaiting();
      },
      (err: Error) => {
        this.seeking = false;
        if (this.disposed) return;
        this.tracker.dropWaiting();
        this.say(`Could not find the next entry: ${err.message}.`, "error");
      },
    );
  }

  private shellBindings(): KeyBinding[] {
    const out: KeyBinding[] = [...this.jumpBindings()];
    if (this.guideline) {
      out.push({ keys: ["g"], display: "G", description: "Show / hide the guideline", run: () => this.toggleGuideline() });
    }
    out.push(...helpBindings(this.help, "a box, the feedback"));
    return out;
  }

  private refreshBindings(): void {
    if (!this.keys || this.disposed) return;
    const view = this.viewBindings.filter((b) => !b.action || this.client.accepts(b.action));
    const all = [...view, ...this.shellBindings()];
    this.keys.bindings = all.map((b) => ({
      ...b,
      run: (key: string, ev: KeyboardEvent) => {
        if (b.keys.some((k) => UNTIMED.has(k))) return b.run(key, ev);
        this.timeKey(key, ev, () => b.run(key, ev));
      },
    }));
    // G is listed under ? only when there is a guideline to show (it answers either way)
    const has = !!this.guideline?.has();
    this.help.setBindings(has ? all : all.filter((b) => !b.keys.includes("g")));
  }

  /** Every keydown on the widget (not in a text box) before the bindings: the modals
   * first; a right answer's feedback goes away with a review key. */
  private beforeKey(key: string, ev: KeyboardEvent): boolean {
    if (this.modals.before(key, ev)) return true;
    this.feedback?.keyPassed(key, ev);
    return false;
  }

  /** Run an action that may move to another item, timing key -> paint. */
  timeKey(key: string, ev: Event | null, action: () => void): void {
    const before = this.client.cursor;
    this.tracker.timeKey(key, ev, action, () => this.seeking || (this.client.state() === "loading" && this.client.cursor !== before));
  }

  /** A text box inside the widget: keys type text; Enter (Ctrl/Cmd+Enter in a textarea, or
   * in any field of a form: `box` an element holding several fields) and Esc go to the
   * callbacks; JupyterLab never sees them. */
  textBox(box: HTMLElement, handlers: { onEnter?: () => void; onEscape?: () => void }): void {
    this.cleanups.push(textBoxKeys(box, handlers));
  }

  /* ---------------------------------------------------------------- text boxes */

  /** A text box under the item (`box`, holding `input`): a modal while open; its keys
   * type text, Enter (Ctrl/Cmd+Enter in a textarea) and Esc go to the handlers.
   * `input` may be a form (an element holding several fields: their keys are handled
   * there, Ctrl/Cmd+Enter saves); `handlers.focus` then says which field a key pressed
   * on the widget while the box is open goes back to. */
  addBox(
    name: string,
    box: HTMLElement,
    input: HTMLInputElement | HTMLTextAreaElement | HTMLElement,
    handlers: { onEnter?: () => void; onEscape?: () => void; focus?: () => void },
  ): void {
    this.boxes.add(box);
    this.boxEntries.set(name, { focus: handlers.focus ?? (() => input.focus({ preventScroll: true })), onEscape: handlers.onEscape });
    this.textBox(input, { onEnter: handlers.onEnter, onEscape: handlers.onEscape });
  }

  /** Take box `name` as open on the item under the cursor (the view shows it). */
  openBox(name: string): void {
    this.boxes.open(name);
  }

  isBoxOpen(name: string): boolean {
    return this.boxes.isOpen(name);
  }

  closeBoxes(refocus: boolean): void {
    this.boxes.close(refocus);
  }

  /** F: the flag note box, with the item's flag note in it. */
  openFlagNote(): void {
    const item = this.client.current();
    if (!item || !this.note) return;
    if (!this.client.accepts("flag")) return this.say("This review does not take flags.");
    this.openBox("note");
    const st = this.client.foldOf(item);
    this.note.open(st.verdict?.action === "flag" && st.note ? st.note : "");
  }

  private saveNote(): void {
    const item = this.client.current();
    if (!item || !this.note || !this.boxes.isOpen("note")) return this.closeBoxes(true);
    const text = this.note.input.value.trim();
    const data = this.cfg.flag ? (this.cfg.flag.data?.(item) ?? null) : null;
    this.closeBoxes(true);
    this.timeKey("f-enter", null, () => this.client.decide({ action: "flag", note: text || null, data }));
  }

  /* ---------------------------------------------------------------- help, export */

  /** While the help is open the widget is at least as tall as it (it is laid over the
   * item: a short widget would cut it off; it scrolls inside past 70vh). */
  private fitHelp(): void {
    const h = this.help.el;
    if (h.hidden) return;
    const top = h.offsetTop || 6;
    const height = Math.max(h.offsetHeight, h.getBoundingClientRect().height);
    this.root.style.minHeight = `${Math.ceil(top + height + 8)}px`;
  }

  private exportButtons(where: string): HTMLButtonElement[] {
    return EXPORTS.map(({ format, text }) => {
      const b = el("button", {
        cls: "hitl-btn hitl-export-btn",
        text,
        testid: `export-${format}`,
        attrs: { type: "button", tabindex: -1, "data-format": format, "data-where": where },
      });
      b.addEventListener("click", () => this.exportAs(format));
      return b;
    });
  }

  /** Ask the kernel for the decisions as a file and download it. */
  exportAs(format: "csv" | "jsonl"): void {
    if (this.exporting) return this.say("An export is on its way…");
    this.exporting = true;
    this.say(`Preparing the ${format.toUpperCase()} file…`);
    this.client.exportDecisions(format).then(
      (r) => {
        this.exporting = false;
        if (this.disposed) return;
        const rows = Number(r.rows) || 0;
        try {
          downloadText(String(r.filename || `decisions.${format}`), String(r.mime || ""), String(r.text ?? ""), { parent: this.root });
        } catch (err) {
          return this.say(`Download failed: ${(err as Error).message}`, "error");
        }
        this.say(`Downloaded ${rows.toLocaleString("en-US")} decision${rows === 1 ? "" : "s"} (${String(r.filename || "")}).`);
      },
      (err: Error) => {
        this.exporting = false;
        if (!this.disposed) this.say(`Export failed: ${err.message}.`, "error");
      },
    );
  }

  /* ---------------------------------------------------------------- guideline */

  private toggleGuideline(): void {
    if (!this.guideline?.has()) return this.say("This review has no guideline.");
    this.guideline.toggle();
  }

  private layout(): void {
    const has = !!this.guideline?.has();
    this.root.classList.toggle("has-guideline", has);
    if (this.guideHint) show(this.guideHint, has);
    this.refreshBindings();
  }

  /* ---------------------------------------------------------------- messages */

  focus(): void {
    this.keys?.focus();
  }

  /** The model's answer may be shown (`config.show_model`, not `config.blind`). */
  showModel(): boolean {
    const c = this.client.config();
    return c.show_model !== false && c.blind !== true;
  }

  say(text: string, level: "error" | "info" = "info"): void {
    this.message.removeAttribute("data-store");
    setText(this.message, text);
    this.message.setAttribute("data-level", level);
    show(this.message, true);
    if (this.messageTimer !== null) clearTimeout(this.messageTimer);
    this.messageTimer = setTimeout(() => show(this.message, false), level === "info" ? MESSAGE_MS : 4 * MESSAGE_MS);
  }

  /** The store's state: a wait or an error stays on screen (with the pending count, what
   * the browser keeps meanwhile) until the kernel says it works again. */
  storeStatus(level: "ok" | "waiting" | "error", text: string): void {
    if (this.messageTimer !== null) clearTimeout(this.messageTimer);
    this.messageTimer = null;
    if (level === "ok") {
      if (this.message.getAttribute("data-store") === "true") this.message.removeAttribute("data-store");
      this.say(text, "info");
      return;
    }
    setText(this.message, text);
    this.message.setAttribute("data-level", level);
    this.message.setAttribute("data-store", "true");
    show(this.message, true);
  }

  clearMessage(): void {
    if (this.messageTimer !== null) clearTimeout(this.messageTimer);
    this.messageTimer = null;
    if (!this.message.hidden && this.message.getAttribute("data-level") === "error") return; // errors stay until read
    if (this.message.getAttribute("data-store") === "true") return; // the store's state stays until "ok"
    show(this.message, false);
  }

  addCleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /* ---------------------------------------------------------------- painting */

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
      if (fresh) this.paintMeta(item);
      setText(this.position, `${client.cursor + 1} / ${client.queueLength}`);
      const st = client.stateOf(item);
      this.badge(st ? this.describe(st, item) : null, st?.action);
      this.paintItem(item, fresh);
      // a box opened on another item closes (after the view reset its scroll positions
      // and put the new item in: what the box covered is repainted then)
      this.boxes.closeIfMoved();
      // under an open profile form the item is not shown yet: its clock starts after it
      if (fresh && !this.profileForm?.isOpen()) {
        this.paintedItem = item;
        this.paintedQi = client.cursor;
        client.markShown(client.cursor);
        this.tracker.painted(client.cursor);
      }
    } else {
      this.boxes.leave();
      this.onLeave();
      if (state === "summary") {
        // the way back only when there is one: ← to the last entry, Z to undo
        const back = client.queueLength > 0;
        const undo = client.sessionLog().length > 0;
        const hint = [back ? "← to go back to the last entry (Home: the first)" : "", undo ? "Z to undo the last decision" : ""].filter(Boolean).join(", ");
        renderSummary(this.summaryPane, client, this.summaryRows(), { hint: hint ? `${hint}.` : null, actions: [this.summaryNote(), this.summaryExports].filter((n): n is Node => !!n) });
        if (!this.seeking) this.tracker.dropWaiting();
      }
      this.paintedItem = null;
      this.paintedQi = -1;
    }
  }

  private paintMeta(item: I): void {
    setText(this.itemId, item.item_id);
    const rs = Array.isArray(item.reasons) ? item.reasons : [];
    clear(this.reasons);
    for (const r of rs) this.reasons.appendChild(el("span", { cls: "hitl-reason", text: r }));
    show(this.reasons, rs.length > 0);
  }

  private describe(st: ItemState, item: I): string {
    return this.cfg.describe ? this.cfg.describe(st, item) : describeState(st, this.client.vocabulary());
  }

  /** Show a badge for the item's current decision (null hides it). */
  badge(text: string | null, action?: string): void {
    if (text !== null) {
      setText(this.decisionBadge, text);
      setAttr(this.decisionBadge, "data-action", action ?? "");
    }
    show(this.decisionBadge, text !== null);
  }

  /* ---------------------------------------------------------------- lifecycle */

  /** Put the frame into `host` and start talking to the kernel. */
  mount(host: HTMLElement): () => void {
    const client = this.client;
    const offs = [
      client.events.on("change", () => this.paint()),
      client.events.on("message", (m) => this.say(m.text, m.level)),
      client.events.on("status", (st) => this.storeStatus(st.level, st.text)),
    ];
    this.cleanups.push(() => offs.forEach((f) => f()));
    this.cleanups.push(() => client.dispose());
    if (this.note && !this.itemPane.contains(this.note.box)) this.itemPane.append(this.note.box);
    this.layout();
    this.root.append(this.header, this.message, ...(this.profileForm ? [this.profileForm.el] : []), this.body, this.footer, this.help.el);
    if (this.sitting) this.root.append(this.sitting.prompt);
    host.appendChild(this.root);
    if (this.options.autoFocus !== false) this.focus(); // (attachKeyLayer retries while the host is detached)
    this.paint();
    client.start();
    // refresh the rate / time-left line while idle
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
