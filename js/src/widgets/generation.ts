/**
 * Generation review widget (anywidget ESM entry): an LLM response to a prompt (with an
 * optional chat context), rendered as sanitized markdown, reviewed from the keyboard.
 *
 * Keys: Enter / A accept, E edit (Ctrl/Cmd+Enter saves and shows the word diff, Esc
 * cancels), R reject (reason: Enter saves, Esc cancels), F flag (note), Tab / Shift+Tab
 * focus the next / previous rubric criterion, 1–9 / 0 rate the focused one (the focus
 * stays there: it is marked ▸, `aria-current`, and named in the hint line under the
 * rubric), S skip, Z undo, ← / → move, ↑ / ↓ / Space / Page keys scroll the response,
 * N / Home / End jump, ? all keys. While a text box has the focus, keys type
 * text: no review action runs. See docs/protocol.md. The frame, the flag note, the
 * guideline, gold feedback, breaks and pace are the shell's (lib/shell.ts); the ratings
 * and the verdict of an item are the fold's (lib/fold.ts).
 */
import "../lib/theme.css";
import "../lib/review.css";
import type { AnyModel, RenderProps } from "@anywidget/types";
import { now } from "../lib/ids";
import { frame, type KeyBinding } from "../lib/keyboard";
import { makeEditorBox } from "../lib/editorbox";
import { el, kbd, setAttr, setText, show } from "../lib/dom";
import { safeMarkdownFragment } from "../lib/markdown";
import { PromptPanel, type PromptItem } from "../lib/prompt";
import { noteBox } from "../lib/boxes";
import { moveBindings, scrollBindings } from "../lib/bindings";
import { describeStats, renderDiff, warmUpDiff, wordDiff, type DiffPart } from "../lib/diffview";
import { cancelFrame } from "../lib/keyboard";
import { ReviewShell, type ShellOptions } from "../lib/shell";
import type { TimedRoot } from "../lib/paint";
import type { Verdict } from "../lib/fold";

export interface GenerationItem extends PromptItem {
  response: string;
}

export type RatingValue = string | number;
export interface Criterion {
  name: string;
  scale: RatingValue[];
}

/** One saved edit: keydown -> diff -> DOM -> next frame (ms clock: performance.now). */
export interface EditTiming {
  key_ts: number;
  start_ts: number;
  diff_ms: number;
  render_ms: number;
  /** performance.now() when the save handler returned */
  end_ts: number;
  paint_ts: number;
  words: number;
}

export interface GenerationRoot extends TimedRoot {
  __hitlEditTimings?: EditTiming[];
}

export type MountOptions = ShellOptions;

export function mount(model: AnyModel, host: HTMLElement, options: MountOptions = {}): () => void {
  const shell = new ReviewShell<GenerationItem>(
    model,
    {
      kind: "generation",
      ariaLabel: "Generation review",
      helpTitle: "Generation review keys",
      footer: [
        kbd("Enter"), "/", kbd("A"), " accept · ", kbd("E"), " edit · ", kbd("R"), " reject · ",
        kbd("F"), " flag · ", kbd("Tab"), kbd("1–9"), " rate · ", kbd("S"), " skip · ", kbd("Z"), " undo · ",
        kbd("←"), kbd("→"), " move · ", kbd("?"), " keys",
      ],
      // a flag carries the ratings given so far
      flag: { data: (item) => withRatings(item) },
    },
    options,
  );
  const client = shell.client;
  const root = shell.root as GenerationRoot;
  const editTimings: EditTiming[] = [];
  root.__hitlEditTimings = editTimings;

  /* ------------------------------------------------------------ rubric */
  const rubric = (): Criterion[] => {
    const r = client.config().rubric;
    if (!Array.isArray(r)) return [];
    return r
      .filter((c): c is Criterion => !!c && typeof c === "object" && typeof (c as Criterion).name === "string" && Array.isArray((c as Criterion).scale))
      .map((c) => ({ name: c.name, scale: c.scale.slice(0, 10) }));
  };
  const criteria = rubric();

  /* ------------------------------------------------------------ skeleton */
  // the response is rendered (markdown -> sanitized nodes) in idle time with the prompt
  const panel = new PromptPanel<GenerationItem, DocumentFragment>(shell, (item) => safeMarkdownFragment(item.response));

  const responseStatus = el("span", { cls: "hitl-response-status", testid: "response-status" });
  const responseEl = el("div", { cls: "hitl-md hitl-response hitl-scroll", testid: "item-text" });
  const diffEl = el("div", { cls: "hitl-diff hitl-scroll", testid: "diff", hidden: true });
  const { box: editorBox, input: editor, save: editorSave, cancel: editorCancel } = makeEditorBox(
    { box: "editor-box", input: "editor", save: "editor-save" },
    "Edit the response",
    14,
  );
  const responseBlock = el("section", { cls: "hitl-block hitl-response-block" }, [
    el("div", { cls: "hitl-block-title" }, [el("span", { text: "Response" }), responseStatus]),
    responseEl,
    diffEl,
    editorBox,
  ]);

  const rubricEl = el("div", { cls: "hitl-rubric", testid: "rubric", hidden: criteria.length === 0, attrs: { role: "group", "aria-label": "Rubric" } });
  const criterionRows: { row: HTMLElement; marker: HTMLElement; buttons: HTMLButtonElement[] }[] = [];
  criteria.forEach((c, ci) => {
    const buttons = c.scale.map((v, vi) => {
      const key = String((vi + 1) % 10);
      const value = String(v);
      // "[1] 1" reads twice: when the key is the value, the value once (as the key)
      const content = key === value ? [kbd(value)] : [kbd(key), el("span", { text: value })];
      return el(
        "button",
        {
          cls: ["hitl-value-btn", key === value && "is-key"],
          testid: "rating-button",
          attrs: { type: "button", tabindex: -1, "data-value": JSON.stringify(v), "aria-pressed": "false", title: `Press ${key}`, "aria-label": `${c.name}: ${value}` },
        },
        content,
      );
    });
    buttons.forEach((b, vi) =>
      b.addEventListener("click", () => {
        focusCriterion(ci, false);
        rate(vi);
      }),
    );
    const marker = el("span", { cls: "hitl-criterion-marker", testid: "criterion-marker", attrs: { "aria-hidden": "true" } });
    const name = el("span", { cls: "hitl-criterion-name", text: c.name });
    name.addEventListener("click", () => focusCriterion(ci));
    const row = el("div", { cls: "hitl-criterion", testid: "criterion", attrs: { "data-criterion": c.name } }, [marker, name, ...buttons]);
    criterionRows.push({ row, marker, buttons });
    rubricEl.appendChild(row);
  });
  // which criterion the digits rate, in words (not only the row's colour)
  const rubricHintText = el("span", { testid: "rubric-hint-text" });
  const rubricHint = el("div", { cls: "hitl-rubric-hint", testid: "rubric-hint", attrs: { "aria-live": "polite" } }, [
    rubricHintText,
    el("span", { cls: "hitl-rubric-hint-keys" }, [" · ", kbd("Tab"), " / ", kbd("Shift+Tab"), " next / previous criterion"]),
  ]);
  if (criteria.length) rubricEl.appendChild(rubricHint);

  const reason = noteBox({
    name: "reason",
    cls: "hitl-reason",
    placeholder: "Why is the response rejected? Enter saves, Esc cancels",
    ariaLabel: "Reject reason",
    buttons: ["Reject", "Cancel"],
  });
  const [reasonSave, reasonCancel] = reason.buttons;

  const actionButton = (action: string, label: string, key: string, run: () => void) => {
    const b = el("button", { cls: "hitl-label-btn", testid: "action-button", attrs: { type: "button", tabindex: -1, "data-action": action } }, [kbd(key), el("span", { text: label })]);
    b.addEventListener("click", run);
    return b;
  };
  const actions = el("div", { cls: "hitl-labels hitl-actions" }, [
    actionButton("accept", "Accept", "A", () => shell.timeKey("click", null, accept)),
    actionButton("edit", "Edit", "E", () => openEditor()),
    actionButton("reject", "Reject", "R", () => openReason()),
    actionButton("flag", "Flag", "F", () => shell.openFlagNote()),
    actionButton("skip", "Skip", "S", () => shell.timeKey("click", null, skip)),
  ]);

  shell.itemPane.append(panel.contextBlock, panel.promptBlock, responseBlock, rubricEl, reason.box, shell.note!.box, actions);

  /* ------------------------------------------------------------ state helpers */
  /** the criterion the digits rate (it stays focused after a rating: Tab moves on) */
  let selected = 0;

  function focusCriterion(ci: number, repaint = true): void {
    if (!criteria.length) return;
    selected = Math.max(0, Math.min(criteria.length - 1, ci));
    if (repaint) shell.paint();
  }

  /** the ratings in effect for the item (the fold's: they outlive a later verdict) */
  function ratingsOf(item: GenerationItem): Record<string, RatingValue> {
    return { ...((client.foldOf(item).ratings ?? {}) as Record<string, RatingValue>) };
  }

  function withRatings(item: GenerationItem, data: Record<string, unknown> = {}): Record<string, unknown> | null {
    const r = ratingsOf(item);
    if (Object.keys(r).length) data.ratings = r;
    return Object.keys(data).length ? data : null;
  }

  /** The item's verdict (accept / edit / reject / flag / skip): the fold keeps it apart
   * from the ratings. */
  function verdictOf(item: GenerationItem): Verdict | null {
    return client.foldOf(item).verdict;
  }

  function editedText(item: GenerationItem): string | null {
    const v = verdictOf(item);
    if (v?.action !== "edit") return null;
    const e = v.data && (v.data as Record<string, unknown>).edited;
    return typeof e === "string" ? e : null;
  }

  /* ------------------------------------------------------------ actions */
  function accept(): void {
    const item = client.current();
    if (!item) return;
    shell.clearMessage();
    if (editedText(item) !== null) {
      // the edit stands: move on (Z undoes the edit, to accept the model's text)
      client.move(1);
      return;
    }
    client.decide({ action: "accept", data: withRatings(item) });
  }

  function skip(): void {
    const item = client.current();
    if (!item) return;
    shell.clearMessage();
    client.decide({ action: "skip", data: withRatings(item) });
  }

  function undo(): void {
    shell.clearMessage();
    const before = client.current();
    const had = before ? ratingsOf(before) : {};
    if (!client.undo()) return shell.say("Nothing to undo in this session.");
    // an undone rating: focus the criterion it was on (on the same item)
    const item = client.current();
    if (item && before && item.item_id === before.item_id && criteria.length) {
      const r = ratingsOf(item);
      const changed = criteria.findIndex((c) => had[c.name] !== r[c.name]);
      if (changed >= 0) selected = changed;
      shell.paint();
    }
  }

  function rate(valueIndex: number): void {
    const item = client.current();
    if (!item) return;
    const c = criteria[selected];
    if (!c) return;
    if (valueIndex < 0 || valueIndex >= c.scale.length) {
      shell.say(`“${c.name}” has ${c.scale.length} value${c.scale.length === 1 ? "" : "s"}: press ${keyRange(c.scale.length)}.`);
      return;
    }
    shell.clearMessage();
    const ratings = { ...ratingsOf(item), [c.name]: c.scale[valueIndex] };
    // the focus stays on this criterion (Tab moves on): a digit never lands elsewhere
    client.decide({ action: "rate", data: { ratings } }, { advance: false });
  }

  function select(delta: number): void {
    if (!criteria.length) return;
    selected = (selected + delta + criteria.length) % criteria.length;
    shell.paint();
  }

  /** what the scroll keys scroll: the diff, or the response (nothing while editing) */
  const scrolled = (): HTMLElement[] => (!diffEl.hidden ? [diffEl] : !editorBox.hidden ? [] : [responseEl]);

  /* ------------------------------------------------------------ text boxes */
  // (the shell's: one open at a time, a modal, closed when the item changes)
  shell.onBoxClose = () => {
    const item = client.current();
    if (item) paintResponse(item);
  };
  const closeBoxes = (refocus: boolean) => shell.closeBoxes(refocus);

  function openReason(): void {
    const item = client.current();
    if (!item) return;
    shell.openBox("reason");
    const v = verdictOf(item);
    reason.open(v?.action === "reject" && v.note ? v.note : "");
  }

  function openEditor(): void {
    const item = client.current();
    if (!item) return;
    shell.openBox("editor");
    editor.value = editedText(item) ?? item.response;
    show(responseEl, false);
    show(diffEl, false);
    show(editorBox, true);
    setText(responseStatus, "editing");
    editor.focus({ preventScroll: true });
    try {
      editor.setSelectionRange(0, 0);
    } catch {
      /* not focusable yet */
    }
    editor.scrollTop = 0;
  }

  function saveReason(): void {
    const item = client.current();
    if (!item || !shell.isBoxOpen("reason")) return closeBoxes(true);
    const text = reason.input.value.trim();
    if (!text) {
      shell.say("Type why the response is rejected (Esc cancels).");
      return;
    }
    closeBoxes(true);
    shell.timeKey("r-enter", null, () => client.decide({ action: "reject", note: text, data: withRatings(item) }));
  }

  let editorKeyTs: number | null = null;
  editor.addEventListener("keydown", (ev) => (editorKeyTs = ev.timeStamp), true);

  /**
   * Ctrl/Cmd+Enter in the editor: the edit is decided and its word diff shown in the
   * same frame. The key path is kept light: the keys go back to the widget first (while
   * the layout is still clean: focusing after the diff is in would compute its style at
   * once), the diff is Myers on token ids (lib/diffview.ts), the view is one parse of
   * escaped text, and a long diff is cut into blocks the browser lays out only when they
   * come on screen (`content-visibility: auto`). Timed in `root.__hitlEditTimings`.
   */
  function saveEdit(): void {
    const item = client.current();
    if (!item || !shell.isBoxOpen("editor")) return closeBoxes(true);
    const keyTs = editorKeyTs ?? now();
    editorKeyTs = null;
    const start = now();
    const edited = editor.value;
    const original = item.response;
    if (edited === original || edited === original.replace(/\r\n?/g, "\n")) {
      closeBoxes(true);
      shell.say("No change: nothing saved.");
      return;
    }
    if (!edited.trim()) {
      shell.say("The text is empty: Esc, then R to reject the response.");
      return;
    }
    shell.focus();
    const parts = wordDiff(original, edited);
    const t1 = now();
    diffCache = { itemId: item.item_id, edited, parts };
    show(editorBox, false);
    shell.boxes.forget();
    shell.clearMessage();
    client.decide({ action: "edit", data: withRatings(item, { original, edited, diff: parts }) }, { advance: false });
    shell.paint(); // the diff is shown now (decide painted already; this is a no-op then)
    const t2 = now();
    frame(() => {
      const paint = now();
      const words = (edited.match(/\S+/g) || []).length;
      editTimings.push({ key_ts: keyTs, start_ts: start, diff_ms: t1 - start, render_ms: t2 - t1, end_ts: t2, paint_ts: paint, words });
      if (editTimings.length > 5000) editTimings.splice(0, editTimings.length - 5000);
      root.setAttribute("data-edit-painted", String(editTimings.length));
    });
  }

  shell.addBox("editor", editorBox, editor, { onEnter: saveEdit, onEscape: () => closeBoxes(true) });
  shell.addBox("reason", reason.box, reason.input, { onEnter: saveReason, onEscape: () => closeBoxes(true) });
  editorSave.addEventListener("click", saveEdit);
  editorCancel.addEventListener("click", () => closeBoxes(true));
  reasonSave.addEventListener("click", saveReason);
  reasonCancel.addEventListener("click", () => closeBoxes(true));

  /* ------------------------------------------------------------ keys */
  const bindings: KeyBinding[] = [
    { keys: ["Enter", "a"], display: "Enter / A", description: "Accept the response (on an edited one: keep the edit, next)", action: "accept", run: () => accept() },
    { keys: ["e"], display: "E", description: "Edit the response (Ctrl/⌘+Enter saves and shows the diff, Esc cancels)", action: "edit", run: () => openEditor() },
    { keys: ["r"], display: "R", description: "Reject, with a reason (Enter saves, Esc cancels)", action: "reject", run: () => openReason() },
    ...shell.flagBindings(),
  ];
  if (criteria.length) {
    bindings.push(
      {
        keys: ["Tab"],
        display: "Tab / Shift+Tab",
        description: "Focus the next / previous rubric criterion (the focused one is marked ▸ and named under the rubric)",
        repeat: true,
        run: (_k, ev) => select(ev.shiftKey ? -1 : 1),
      },
      {
        keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"],
        display: "1 – 9, 0",
        description: "Rate the focused criterion: value n of its scale (0 = the 10th); the focus stays on it (Tab moves on)",
        action: "rate",
        run: (k) => rate(k === "0" ? 9 : Number(k) - 1),
      },
    );
  }
  bindings.push(
    { keys: ["s"], display: "S", description: "Skip", action: "skip", run: () => skip() },
    { keys: ["z"], display: "Z", description: "Undo the last decision (or rating)", run: () => undo() },
    ...moveBindings((delta) => client.move(delta)),
    ...scrollBindings(scrolled, { line: "Scroll the response (or the diff) by a line", page: "Scroll it by a page" }),
  );
  shell.bind(bindings);

  /* ------------------------------------------------------------ painting */
  let diffCache: { itemId: string; edited: string; parts: DiffPart[] } | null = null;
  let diffShown: { itemId: string; edited: string } | null = null;
  let diffScroll: number | null = null;

  /** Scroll the diff so its first change is in view (a third down the box), in the next
   * frame: reading where it is lays the diff out, which that frame does anyway. */
  function scrollDiffToFirstChange(itemId: string): void {
    if (diffScroll !== null) cancelFrame(diffScroll);
    diffScroll = frame(() => {
      diffScroll = null;
      const cur = client.current();
      if (diffEl.hidden || !cur || cur.item_id !== itemId) return;
      const first = diffEl.querySelector<HTMLElement>("ins, del");
      if (!first) {
        diffEl.scrollTop = 0;
        return;
      }
      let top = 0;
      for (let n: HTMLElement | null = first; n && n !== diffEl; n = n.offsetParent as HTMLElement | null) top += n.offsetTop;
      diffEl.scrollTop = Math.max(0, Math.round(top - diffEl.clientHeight / 3));
    });
  }
  shell.addCleanup(() => {
    if (diffScroll !== null) cancelFrame(diffScroll);
  });

  function paintResponse(item: GenerationItem): void {
    if (shell.boxes.openName === "editor") return;
    const edited = editedText(item);
    if (edited === null) {
      show(diffEl, false);
      show(responseEl, true);
      setText(responseStatus, "");
      return;
    }
    if (!diffShown || diffShown.itemId !== item.item_id || diffShown.edited !== edited) {
      let parts: DiffPart[];
      if (diffCache && diffCache.itemId === item.item_id && diffCache.edited === edited) parts = diffCache.parts;
      else {
        parts = wordDiff(item.response, edited);
        diffCache = { itemId: item.item_id, edited, parts };
      }
      // (its scroll position is set in the next frame: setting it now would lay the page
      // out twice)
      const stats = renderDiff(diffEl, parts);
      diffShown = { itemId: item.item_id, edited };
      setText(responseStatus, `edited · ${describeStats(stats)} (diff against the model's text)`);
      scrollDiffToFirstChange(item.item_id);
    }
    show(responseEl, false);
    show(diffEl, true);
  }

  function paintRubric(item: GenerationItem): void {
    if (!criteria.length) return;
    const r = ratingsOf(item);
    criteria.forEach((c, ci) => {
      const { row, marker, buttons } = criterionRows[ci];
      const isSel = ci === selected;
      row.classList.toggle("is-selected", isSel);
      setAttr(row, "data-selected", isSel ? "true" : "false");
      setAttr(row, "aria-current", isSel ? "true" : null);
      setText(marker, isSel ? "▸" : "");
      setAttr(row, "data-rated", c.name in r ? JSON.stringify(r[c.name]) : null);
      c.scale.forEach((v, vi) => {
        const on = c.name in r && r[c.name] === v;
        buttons[vi].classList.toggle("is-chosen", on);
        setAttr(buttons[vi], "aria-pressed", on ? "true" : "false");
      });
    });
    const c = criteria[selected];
    if (c) setText(rubricHintText, `rating: ${c.name} — ${keyRange(c.scale.length)}`);
  }

  // the badge (the shell's): accepted / edited / rejected: reason / flagged: note / skipped
  shell.paintItem = (item, fresh) => {
    if (fresh) {
      panel.scrollToTop(responseEl);
      responseEl.replaceChildren(panel.fill(item));
      responseEl.setAttribute("data-item-id", String(item.item_id));
      diffShown = null;
      // a new item: the first criterion not rated yet (or the first)
      const r = ratingsOf(item);
      const firstOpen = criteria.findIndex((c) => !(c.name in r));
      selected = firstOpen >= 0 ? firstOpen : 0;
    }
    paintResponse(item);
    paintRubric(item);
  };

  const unmount = shell.mount(host);
  // the diff code compiled before the first save (idle time, once, when edits are taken)
  const ric = (globalThis as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number }).requestIdleCallback;
  const warm = () => {
    if (!disposed && client.accepts("edit")) warmUpDiff();
  };
  let disposed = false;
  const warmHandle = typeof ric === "function" ? ric(warm, { timeout: 3000 }) : setTimeout(warm, 500);
  shell.addCleanup(() => {
    disposed = true;
    const cic = (globalThis as { cancelIdleCallback?: (h: number) => void }).cancelIdleCallback;
    if (typeof ric === "function" && typeof cic === "function") cic(warmHandle as number);
    else clearTimeout(warmHandle as ReturnType<typeof setTimeout>);
  });
  return unmount;
}

/** The keys that rate a scale of `n` values: "1–5", "1–9, 0" (the 10th is 0). */
export function keyRange(n: number): string {
  if (n <= 1) return "1";
  if (n < 10) return `1–${n}`;
  return "1–9, 0";
}

function render({ model, el: host }: RenderProps): () => void {
  return mount(model, host);
}

export default { render };
