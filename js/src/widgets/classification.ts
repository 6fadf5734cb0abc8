/**
 * Classification review widget (anywidget ESM entry).
 *
 * Keys: Enter / A accept the model label, 1-9 correct to label n, F flag (note box),
 * S skip, Z undo, ArrowLeft / ArrowRight move, G guideline, ? help. See docs/protocol.md.
 * Several annotators: the guideline panel (lib/guideline.ts), gold feedback
 * (lib/feedback.ts), break prompt and pace (lib/breaks.ts).
 */
import "../lib/theme.css";
import type { AnyModel, RenderProps } from "@anywidget/types";
import { ReviewClient, describeState, now, type ReviewClientOptions } from "../lib/protocol";
import { attachKeyLayer, textBoxKeys, type KeyBinding } from "../lib/keyboard";
import { clear, el, formatPercent, kbd, setAttr, setText, show } from "../lib/dom";
import { createHelp } from "../lib/help";
import { helpBindings, moveBindings } from "../lib/bindings";
import { TextBoxes, flagNoteBox } from "../lib/boxes";
import { computeProgress, createProgressView } from "../lib/progress";
import { PaintTracker, type TimedRoot } from "../lib/paint";
import { renderSummary } from "../lib/summary";
import { createGuidelinePanel } from "../lib/guideline";
import { attachGoldFeedback } from "../lib/feedback";
import { attachSitting } from "../lib/breaks";
import type { ClassificationItem, ItemState } from "../lib/types";

export type { Timing } from "../lib/paint";
export type HitlRoot = TimedRoot;

export interface MountOptions extends ReviewClientOptions {
  /** focus the widget on first render (default true) */
  autoFocus?: boolean;
}

const MESSAGE_MS = 6000;

export function mount(model: AnyModel, host: HTMLElement, options: MountOptions = {}): () => void {
  const client = new ReviewClient<ClassificationItem>(model, options);
  const cleanups: (() => void)[] = [];

  /* ------------------------------------------------------------ skeleton */
  const progress = createProgressView();
  const pendingCount = el("span", { testid: "pending", text: "0" });
  const pendingWrap = el(
    "span",
    { cls: "hitl-pending", title: "Decisions not yet saved by the kernel (kept in this browser and resent)" },
    [pendingCount, " unsaved"],
  );
  const helpBtn = el("button", {
    cls: "hitl-icon-btn",
    text: "?",
    title: "Keys (?)",
    testid: "help-button",
    attrs: { type: "button", tabindex: -1, "aria-label": "Show keys" },
  });
  const header = el("div", { cls: "hitl-header" }, [progress.el, pendingWrap, helpBtn]);

  const position = el("span", { cls: "hitl-position", testid: "position" });
  const itemId = el("span", { cls: "hitl-item-id", testid: "item-id" });
  const decisionBadge = el("span", { cls: "hitl-decision", testid: "decision", hidden: true });
  const reasons = el("span", { cls: "hitl-reasons", testid: "reasons", hidden: true });
  const meta = el("div", { cls: "hitl-meta" }, [position, itemId, decisionBadge, reasons]);

  const text = el("div", { cls: "hitl-text", testid: "item-text" });
  const modelLabel = el("span", { cls: "hitl-model-name", testid: "model-label" });
  const confidence = el("span", { cls: "hitl-confidence", testid: "confidence" });
  const modelRow = el("div", { cls: "hitl-model" }, [el("span", { text: "Model:" }), modelLabel, confidence]);
  const proba = el("div", { cls: "hitl-proba", testid: "proba", hidden: true });
  const labelsRow = el("div", { cls: "hitl-labels", attrs: { role: "group", "aria-label": "Labels" } });

  const note = flagNoteBox();
  const [noteSave, noteCancel] = note.buttons;

  const itemPane = el("div", { cls: "hitl-item", hidden: true }, [meta, text, modelRow, proba, labelsRow, note.box]);
  const loadingPane = el("div", { cls: "hitl-loading", testid: "loading", text: "Loading…" });
  const summaryPane = el("div", { cls: "hitl-summary", testid: "summary", hidden: true });
  const message = el("div", { cls: "hitl-message", testid: "message", hidden: true, attrs: { role: "status" } });
  const guideline = createGuidelinePanel(model);
  cleanups.push(() => guideline.dispose());
  const feedback = attachGoldFeedback(client);
  cleanups.push(() => feedback.dispose());
  const sitting = attachSitting(client, { progress: progress.el });
  cleanups.push(() => sitting.dispose());
  const main = el("div", { cls: "hitl-main" }, [feedback.el, itemPane, loadingPane, summaryPane]);
  const body = el("div", { cls: "hitl-body" }, [main, guideline.el]);
  const guideHint = el("span", {}, [" · ", kbd("G"), " guideline"]);
  const footer = el("div", { cls: "hitl-footer" }, [
    kbd("Enter"), "/", kbd("A"), " accept · ", kbd("1–9"), " correct · ", kbd("F"), " flag · ",
    kbd("S"), " skip · ", kbd("Z"), " undo · ", kbd("←"), kbd("→"), " move · ", kbd("?"), " keys", guideHint,
    el("span", { cls: "hitl-focus-hint", text: " · click here to use the keys" }),
  ]);

  const root = el("div", {
    cls: "hitl-root hitl-classification",
    testid: "hitl-root",
    attrs: { "data-state": "loading", "aria-label": "Classification review" },
  }) as HitlRoot;
  const tracker = new PaintTracker(root);

  /* ------------------------------------------------------------ keys */
  const labels = (): string[] => {
    const l = model.get("labels");
    return Array.isArray(l) ? l.map(String) : [];
  };
  const showModel = (): boolean => client.config().show_model !== false;

  // (its bindings are set by layout(): G is listed only when there is a guideline)
  const help = createHelp([], { title: "Classification review keys" });
  const bindings: KeyBinding[] = [
    { keys: ["Enter", "a"], display: "Enter / A", description: "Accept the model's label", run: () => accept() },
    {
      keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
      display: "1 – 9",
      description: "Correct to label n (the number on its button)",
      run: (k) => {
        const l = labels()[Number(k) - 1];
        if (l !== undefined) choose(l);
      },
    },
    { keys: ["f"], display: "F", description: "Flag as ambiguous (note: Enter saves, Esc cancels)", run: () => openNote() },
    { keys: ["s"], display: "S", description: "Skip", run: () => client.decide({ action: "skip" }) },
    { keys: ["z"], display: "Z", description: "Undo the last decision", run: () => undo() },
    ...moveBindings((delta) => client.move(delta)),
    { keys: ["g"], display: "G", description: "Show / hide the guideline", run: () => toggleGuideline() },
    ...helpBindings(help, "the note box"),
  ];

  // Keys that lead to a paint are timed from the keydown to the frame after the paint.
  const waits = (before: number) => () => client.state() === "loading" && client.cursor !== before;
  const timed = bindings.map((b) => ({
    ...b,
    run: (key: string, ev: KeyboardEvent) => {
      if (b.keys.includes("?") || b.keys.includes("Escape") || b.keys.includes("g")) return b.run(key, ev);
      tracker.timeKey(key, ev, () => b.run(key, ev), waits(client.cursor));
    },
  }));
  // an open break prompt takes every key; gold feedback is dismissed by the next one
  const before = (key: string, ev: KeyboardEvent): boolean => sitting.handleKey(key, ev) || feedback.handleKey(key, ev);
  const keys = attachKeyLayer(root, timed, { autoFocus: options.autoFocus, before });
  sitting.onClose = () => keys.focus();
  cleanups.push(() => keys.dispose());

  /* ------------------------------------------------------------ actions */
  function accept(): void {
    const item = client.current();
    if (!item) return;
    if (!showModel()) return say("The model's label is hidden in this review: pick a label with 1–9.", "info");
    if (item.model_label === null || item.model_label === undefined || item.model_label === "") {
      return say("No model label to accept: pick a label with 1–9.", "info");
    }
    clearMessage();
    client.decide({ action: "accept" });
  }

  function choose(label: string): void {
    const item = client.current();
    if (!item) return;
    clearMessage();
    if (item.model_label !== null && item.model_label !== undefined && label === item.model_label) {
      client.decide({ action: "accept" });
    } else {
      client.decide({ action: "correct", label });
    }
  }

  function toggleGuideline(): void {
    if (!guideline.has()) return say("This review has no guideline.", "info");
    guideline.toggle();
  }

  function undo(): void {
    clearMessage();
    if (!client.undo()) say("Nothing to undo in this session.", "info");
  }

  const boxes = new TextBoxes<"note">({ boxes: [note.box], root, cursor: () => client.cursor, focus: () => keys.focus() });
  const closeNote = (refocus: boolean) => boxes.close(refocus);
  function openNote(): void {
    const item = client.current();
    if (!item) return;
    boxes.open("note");
    const st = client.stateOf(item);
    note.open(st?.action === "flag" && st.note ? st.note : "");
  }
  function saveNote(): void {
    if (!boxes.isOpen("note")) return closeNote(true);
    const noteText = note.input.value.trim();
    closeNote(true);
    tracker.timeKey("f-enter", null, () => client.decide({ action: "flag", note: noteText || null }), waits(client.cursor));
  }
  cleanups.push(textBoxKeys(note.input, { onEnter: saveNote, onEscape: () => closeNote(true) }));
  noteSave.addEventListener("click", saveNote);
  noteCancel.addEventListener("click", () => closeNote(true));
  helpBtn.addEventListener("click", () => help.toggle());

  let messageTimer: ReturnType<typeof setTimeout> | null = null;
  function say(textValue: string, level: "error" | "info"): void {
    setText(message, textValue);
    message.setAttribute("data-level", level);
    show(message, true);
    if (messageTimer !== null) clearTimeout(messageTimer);
    messageTimer = setTimeout(() => show(message, false), level === "info" ? MESSAGE_MS : 4 * MESSAGE_MS);
  }
  function clearMessage(): void {
    if (messageTimer !== null) clearTimeout(messageTimer);
    messageTimer = null;
    if (!message.hidden && message.getAttribute("data-level") === "error") return; // errors stay until read
    show(message, false);
  }
  cleanups.push(() => {
    if (messageTimer !== null) clearTimeout(messageTimer);
  });
  message.addEventListener("click", () => show(message, false));

  /* ------------------------------------------------------------ painting */
  let labelsKey = "";
  const buttons = new Map<string, HTMLButtonElement>();
  function buildButtons(): void {
    const list = labels();
    const k = JSON.stringify(list);
    if (k === labelsKey) return;
    labelsKey = k;
    clear(labelsRow);
    buttons.clear();
    list.forEach((label, i) => {
      const b = el(
        "button",
        {
          cls: "hitl-label-btn",
          testid: "label-button",
          attrs: { type: "button", tabindex: -1, "data-label": label, title: i < 9 ? `Press ${i + 1}` : undefined },
        },
        [i < 9 ? kbd(String(i + 1)) : null, el("span", { text: label })],
      );
      b.addEventListener("click", () => choose(label));
      buttons.set(label, b);
      labelsRow.appendChild(b);
    });
  }

  function paintProba(item: ClassificationItem): void {
    clear(proba);
    const p = item.proba;
    if (!showModel() || !p || typeof p !== "object") return show(proba, false);
    const order = [...labels().filter((l) => l in p), ...Object.keys(p).filter((l) => !labels().includes(l))];
    for (const l of order) {
      const v = Number(p[l]);
      const w = Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0;
      const row = l === item.model_label ? " hitl-proba-row-model" : "";
      const fill = el("div", { cls: "hitl-proba-fill" });
      fill.style.width = `${(w * 100).toFixed(1)}%`;
      proba.append(
        el("span", { cls: `hitl-proba-label${row}`, text: l, title: l }),
        el("div", { cls: `hitl-proba-track${row}` }, [fill]),
        el("span", { cls: `hitl-proba-value${row}`, text: formatPercent(v, 1) }),
      );
    }
    show(proba, order.length > 0);
  }

  function describe(st: ItemState, item: ClassificationItem): string {
    switch (st.action) {
      case "accept":
        return item.model_label ? `accepted: ${item.model_label}` : "accepted";
      case "correct":
        return `corrected → ${st.label ?? ""}`;
      default:
        return describeState(st);
    }
  }

  let paintedItem: ClassificationItem | null = null;
  let paintedQi = -1;

  function paintItem(item: ClassificationItem): void {
    const fresh = item !== paintedItem || client.cursor !== paintedQi;
    if (fresh) {
      setText(text, item.text);
      text.setAttribute("data-item-id", String(item.item_id));
      text.scrollTop = 0;
      setText(itemId, item.item_id);
      const rs = Array.isArray(item.reasons) ? item.reasons : [];
      clear(reasons);
      for (const r of rs) reasons.appendChild(el("span", { cls: "hitl-reason", text: r }));
      show(reasons, rs.length > 0);
      paintProba(item);
    }
    setText(position, `${client.cursor + 1} / ${client.queueLength}`);
    const sm = showModel();
    show(modelRow, sm);
    setText(modelLabel, sm ? (item.model_label ?? "—") : "");
    setText(confidence, sm && typeof item.confidence === "number" ? formatPercent(item.confidence, 1) : "");

    const st = client.stateOf(item);
    if (st) {
      setText(decisionBadge, describe(st, item));
      decisionBadge.setAttribute("data-action", st.action);
    }
    show(decisionBadge, !!st);
    const chosen = st?.action === "correct" ? st.label : st?.action === "accept" ? item.model_label : null;
    for (const [label, b] of buttons) {
      b.classList.toggle("is-model", sm && label === item.model_label);
      b.classList.toggle("is-chosen", label === chosen);
      setAttr(b, "aria-pressed", label === chosen ? "true" : "false");
    }

    if (fresh) {
      paintedItem = item;
      paintedQi = client.cursor;
      client.markShown(client.cursor);
      tracker.painted(client.cursor);
    }
  }

  cleanups.push(() => tracker.dispose());

  function paintSummary(): void {
    // agreement of this session: latest decision per item where the model had a label
    let agree = 0;
    let compared = 0;
    for (const e of client.sessionLatest()) {
      const ml = e.item.model_label;
      const a = e.decision.action;
      if (ml === null || ml === undefined || (a !== "accept" && a !== "correct")) continue;
      compared++;
      if (a === "accept" || e.decision.label === ml) agree++;
    }
    const agreement = model.get("agreement");
    renderSummary(summaryPane, client, [
      {
        key: "agreement",
        label: "agreement with the model",
        session: compared ? formatPercent(agree / compared, 1) : "—",
        all: typeof agreement === "number" ? formatPercent(agreement, 1) : "—",
      },
    ]);
  }

  function paint(): void {
    buildButtons();
    const state = client.state();
    setAttr(root, "data-state", state);
    progress.update(
      computeProgress({
        done: Number(model.get("done")) || 0,
        total: Number(model.get("total")) || 0,
        decisionTimes: client.decisionTimes,
        now: now(),
      }),
    );
    const pend = client.pendingCount();
    setText(pendingCount, pend);
    pendingWrap.setAttribute("data-count", String(pend));
    show(itemPane, state === "item");
    show(loadingPane, state === "loading");
    show(summaryPane, state === "summary");
    if (state === "item") boxes.closeIfMoved();
    else boxes.leave();
    if (state === "item") {
      paintItem(client.current()!);
    } else {
      if (state === "summary") {
        paintSummary();
        tracker.dropWaiting();
      }
      paintedItem = null;
      paintedQi = -1;
    }
  }

  /* ------------------------------------------------------------ wiring */
  const offs = [
    client.events.on("change", () => paint()),
    client.events.on("message", (m) => say(m.text, m.level)),
  ];
  const layout = () => {
    const has = guideline.has();
    root.classList.toggle("has-guideline", has);
    show(guideHint, has);
    // G is listed under ? only when there is a guideline to show (it answers either way)
    help.setBindings(has ? bindings : bindings.filter((b) => !b.keys.includes("g")));
  };
  guideline.onChange = layout;
  layout();
  cleanups.push(() => offs.forEach((f) => f()));
  cleanups.push(() => client.dispose());

  root.append(header, message, body, footer, help.el, sitting.prompt);
  host.appendChild(root);
  if (options.autoFocus !== false) keys.focus(); // (attachKeyLayer retries while the host is detached)
  paint();
  client.start();

  // refresh the rate / time-left line while idle
  const clock = setInterval(() => {
    if (client.state() !== "loading") paint();
  }, 15000);
  cleanups.push(() => clearInterval(clock));

  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch (err) {
        console.error("hitl_widgets: cleanup failed", err);
      }
    }
    root.remove();
  };
}

function render({ model, el: host }: RenderProps): () => void {
  return mount(model, host);
}

export default { render };
