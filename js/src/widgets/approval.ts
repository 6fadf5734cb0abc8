/**
 * Approval queue widget (anywidget ESM entry, kind "tool_call"): an agent's tool calls
 * held for a person while the agent runs. Each card shows the tool (it cannot be changed),
 * the exact arguments that will run (a name / value table: values as text, JSON for
 * nested ones, never HTML), why the call was held (chips), an audit badge for a call that
 * already ran ("was it right?"), a badge when two people must approve, the confidence,
 * and the agent's conversation so far (sanitized markdown).
 *
 * Keys: Enter / A approve (audit: it was right), E edit the arguments (a form, one field
 * per parameter, typed: Ctrl/Cmd+Enter saves, Esc cancels), R reject with a reason
 * (audit: it was wrong; Enter saves, Esc cancels), Q answer the agent instead of running
 * the tool (Enter sends, Esc cancels), S skip (held for later), Z undo (the kernel refuses
 * it once the agent has resumed: its message is shown), ← / → move, ↑ / ↓ / Space / Page
 * keys scroll the conversation, N / Home / End jump, G guideline, ? all keys. While a box
 * or the form is open, keys type into it: no review key runs.
 *
 * Decisions (the kernel checks each; a refusal comes back in `ack.errors`, is shown, and
 * the view is rolled back):
 *   accept  data {args_hash}             the arguments the person saw (the item's content_hash)
 *   edit    data {args, args_hash}       the edited arguments, typed (numbers, booleans, JSON)
 *   reject  note = the reason            returned to the agent as the tool's result
 *   answer  note = the answer            the agent gets it instead of running the tool
 *   skip                                 left held
 *
 * Calls arrive while the widget is open (the kernel raises `queue_length`): the client
 * fetches them, and a person waiting on the summary sees the new call at once.
 * The frame, the guideline, gold feedback, breaks, pace, the help and the downloads are
 * the shell's (lib/shell.ts).
 */
import "../lib/theme.css";
import "../lib/review.css";
import "../lib/approval.css";
import type { AnyModel, RenderProps } from "@anywidget/types";
import type { KeyBinding } from "../lib/keyboard";
import { SUPPRESS_ATTR } from "../lib/keyboard";
import { append, clear, el, formatPercent, kbd, setAttr, setText, show, type Child } from "../lib/dom";
import { chatFragment, type ChatMessage } from "../lib/markdown";
import { Prerender } from "../lib/prerender";
import { noteBox } from "../lib/boxes";
import { moveBindings, scrollBindings } from "../lib/bindings";
import { describeState } from "../lib/fold";
import { uuid } from "../lib/ids";
import { ReviewShell, type ShellOptions } from "../lib/shell";
import type { TimedRoot } from "../lib/paint";
import type { BaseItem, ItemState } from "../lib/types";

/* ------------------------------------------------------------------ the payload */

export type ParamType = "number" | "integer" | "string" | "boolean" | "array" | "object" | "enum" | "any";

/** One argument of the tool (the edit form's field, the kernel's check of an edit). */
export interface ToolParam {
  name: string;
  type: ParamType | string;
  required?: boolean;
  default?: unknown;
  enum?: unknown[] | null;
  nullable?: boolean;
}

export interface ToolCallItem extends BaseItem {
  tool: string;
  args: Record<string, unknown>;
  /** the arguments pretty-printed (JSON) */
  args_json?: string;
  params?: ToolParam[];
  context: ChatMessage[] | null;
  confidence: number | null;
  /** a call let through that already ran, shown for an audit ("was it right?") */
  audit?: boolean;
  /** it needs approvals from two different people */
  two_person?: boolean;
  created_at?: string;
  /** what the call returned when it ran (audit items): judged on it */
  result?: { ok: boolean | null; result: unknown; error: string | null } | null;
  /** who approved it so far (the two-person rule) */
  approvals?: string[];
}

export type ApprovalRoot = TimedRoot;
export type MountOptions = ShellOptions;

/* ------------------------------------------------------------------ values */

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** The JSON type of a value ("string", "number", "boolean", "null", "array", "object"). */
export function jsonType(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

/** A value as the table shows it (text: strings as they are, nested values as JSON). */
export function displayValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "null";
  if (typeof v === "object") {
    try {
      return JSON.stringify(v, null, 2);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

/** JSON with sorted keys: two argument sets are the same when these are equal. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isRecord(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v === undefined ? null : v);
}

/** characters that do not show, or reorder what is shown (bidi controls, zero-width) */
const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/;

const INVISIBLE_ALL = new RegExp(INVISIBLE.source, "g");

/**
 * `text` as nodes where each invisible or text-direction character is shown as a marker
 * (`U+202E`, in its own element made here: the data stays text), so a direction override
 * cannot show "report‮fdp.exe" as "reportexe.pdf" and a zero-width space shows.
 */
export function visibleText(text: string): Child[] {
  if (!INVISIBLE.test(text)) return [text];
  const out: Child[] = [];
  let last = 0;
  for (const m of text.matchAll(INVISIBLE_ALL)) {
    const i = m.index ?? 0;
    if (i > last) out.push(text.slice(last, i));
    const code = `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    out.push(el("span", { cls: "hitl-invisible", text: code, title: `an invisible character (${code}) is here` }));
    last = i + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** What a text argument holds that the eye would miss (null: nothing), e.g. a direction
 * override that shows "lim.exe" as "exe.mil", or spaces at its ends. */
export function hiddenIn(v: unknown): string | null {
  if (typeof v !== "string" || v === "") return null;
  const out: string[] = [];
  if (INVISIBLE.test(v)) out.push("contains invisible or text-direction characters");
  if (/^\s|\s$/.test(v)) out.push("starts or ends with spaces");
  return out.length ? `⚠ ${out.join("; ")}` : null;
}

const PARAM_TYPES = new Set(["number", "integer", "string", "boolean", "array", "object", "enum", "any"]);

/** The tool's parameters as the form takes them: the payload's `params` (a type it does not
 * know is "any"), then an argument the schema does not name (typed by its value: it can be
 * left empty to drop it); without `params`, one per argument, typed by its value. */
export function formParams(item: ToolCallItem): (ToolParam & { extra?: boolean })[] {
  const args = isRecord(item.args) ? item.args : {};
  const out: (ToolParam & { extra?: boolean })[] = [];
  const seen = new Set<string>();
  for (const p of Array.isArray(item.params) ? item.params : []) {
    if (!p || typeof p !== "object" || typeof p.name !== "string" || seen.has(p.name)) continue;
    seen.add(p.name);
    const type = typeof p.type === "string" && PARAM_TYPES.has(p.type) ? p.type : "any";
    out.push({
      name: p.name,
      type: type === "enum" && !Array.isArray(p.enum) ? "any" : type,
      required: p.required !== false,
      default: p.default ?? null,
      enum: Array.isArray(p.enum) ? p.enum : null,
      nullable: p.nullable === true,
    });
  }
  const schema = out.length > 0;
  for (const [name, v] of Object.entries(args)) {
    if (seen.has(name)) continue;
    const t = jsonType(v);
    out.push({
      name,
      type: t === "null" ? "any" : t,
      required: !schema,
      default: null,
      enum: null,
      nullable: t === "null",
      extra: schema,
    });
  }
  return out;
}

/** What a field's text comes to: a value, nothing (the argument left out: its default
 * applies), or why it is not one the parameter takes. */
export type Parsed = { ok: true; value: unknown } | { ok: true; omit: true } | { ok: false; error: string };

/** An empty field: null when the parameter is nullable, left out when it is not required. */
function emptyValue(p: ToolParam): Parsed {
  if (p.nullable) return { ok: true, value: null };
  if (p.required === false) return { ok: true, omit: true };
  return { ok: false, error: "a value is required" };
}

/**
 * A text field's value for parameter `p` (number, integer, string, any, array, object).
 * `original`: the argument's value before the edit (for "any": a text stays a text).
 */
export function parseText(p: ToolParam, text: string, original?: unknown): Parsed {
  const t = p.type;
  if (t === "string") {
    if (text === "" && p.nullable) return { ok: true, value: null };
    return { ok: true, value: text };
  }
  const trimmed = text.trim();
  if (trimmed === "") return emptyValue(p);
  if (t === "number" || t === "integer") {
    // (Number("") is 0 and Number("0x10") 16: only decimal notation is a number here)
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return { ok: false, error: `“${trimmed}” is not a number` };
    const n = Number(trimmed);
    if (!Number.isFinite(n)) return { ok: false, error: `“${trimmed}” is too large` };
    if (t === "integer" && !Number.isInteger(n)) return { ok: false, error: `“${trimmed}” is not a whole number` };
    return { ok: true, value: n };
  }
  if (t === "any" && typeof original === "string") return { ok: true, value: text };
  let v: unknown;
  try {
    v = JSON.parse(trimmed);
  } catch (err) {
    if (t === "any") return { ok: true, value: text }; // not JSON: the text
    return { ok: false, error: `not valid JSON (${(err as Error).message})` };
  }
  if (t === "array" && !Array.isArray(v)) return v === null && p.nullable ? { ok: true, value: null } : { ok: false, error: "not a JSON array ([…])" };
  if (t === "object" && !isRecord(v)) return v === null && p.nullable ? { ok: true, value: null } : { ok: false, error: "not a JSON object ({…})" };
  return { ok: true, value: v };
}

/* ------------------------------------------------------------------ the edit form */

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

interface Field {
  param: ToolParam & { extra?: boolean };
  control: Control;
  error: HTMLElement;
  /** the argument is in the call (else: left out unless the person fills it in) */
  has: boolean;
  original: unknown;
  /** the control's value when the form opened ("unchanged" keeps the original value) */
  initial: string | boolean;
  /** a select's values, by option value */
  choices?: Map<string, unknown>;
}

// (a select's option values: "0", "1"... are the allowed values by position; these are not digits)
const NULL_OPTION = "null";
const ABSENT_OPTION = "absent";
const CURRENT_OPTION = "current";

/** the text a text field starts with for `v` */
function fieldText(p: ToolParam, v: unknown, has: boolean): string {
  if (!has || v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  try {
    return JSON.stringify(v, null, p.type === "any" ? 0 : 2);
  } catch {
    return String(v);
  }
}

function typeWords(p: ToolParam & { extra?: boolean }): string {
  let kind = p.type;
  if (p.type === "enum") {
    const list = (p.enum ?? []).map((v) => (typeof v === "string" ? v : canonicalJson(v))).join(", ");
    kind = `one of: ${list.length > 60 ? `${list.slice(0, 59)}…` : list}`;
  }
  const parts: string[] = [kind];
  if (p.extra) parts.push("not in the tool's schema: leave empty to drop it");
  else if (p.required === false) parts.push(p.default !== null && p.default !== undefined ? `optional, default ${displayValue(p.default)}` : "optional");
  if (p.nullable) parts.push("empty = null");
  return parts.join(" · ");
}

/* ------------------------------------------------------------------ the widget */

export function mount(model: AnyModel, host: HTMLElement, options: MountOptions = {}): () => void {
  const shell: ReviewShell<ToolCallItem> = new ReviewShell<ToolCallItem>(
    model,
    {
      kind: "approval",
      ariaLabel: "Tool call approval",
      helpTitle: "Approval queue keys",
      footer: [
        kbd("Enter"), "/", kbd("A"), " approve · ", kbd("E"), " edit arguments · ", kbd("R"), " reject · ",
        kbd("Q"), " answer · ", kbd("S"), " skip · ", kbd("Z"), " undo · ", kbd("←"), kbd("→"), " move · ", kbd("?"), " keys",
      ],
      describe: (st, item) => describeCall(st, item),
    },
    // the agent waits on each decision: it goes at once, not after the next frame
    { decisionsAtOnce: true, ...options },
  );
  const client = shell.client;
  const formId = uuid().slice(0, 8);

  /* ------------------------------------------------------------ skeleton */
  const toolName = el("code", { cls: "hitl-tool-name", testid: "tool-name", title: "The tool (it cannot be changed)" });
  const auditBadge = el("span", {
    cls: "hitl-badge hitl-audit-badge",
    testid: "audit-badge",
    text: "audit: already ran — was it right?",
    hidden: true,
    title: "This call was let through and has run; say whether it was right",
  });
  const twoBadge = el("span", {
    cls: "hitl-badge hitl-two-person-badge",
    testid: "two-person-badge",
    text: "two people must approve",
    hidden: true,
    title: "The call runs only once two different people approved it",
  });
  const confidence = el("span", { cls: "hitl-badge hitl-call-confidence", testid: "confidence", hidden: true });
  const heldAt = el("span", { cls: "hitl-held-at", testid: "held-at", hidden: true });
  const argsHash = el("span", { cls: "hitl-args-hash", testid: "args-hash" });
  const toolRow = el("div", { cls: "hitl-tool-row" }, [
    el("span", { cls: "hitl-tool-label", text: "Tool" }),
    toolName,
    auditBadge,
    twoBadge,
    confidence,
    heldAt,
  ]);

  const argsBody = el("tbody");
  const argsTable = el("table", { cls: "hitl-args-table", testid: "args-table" }, [
    el("thead", {}, [el("tr", {}, [el("th", { text: "argument" }), el("th", { text: "value" }), el("th", { text: "type" })])]),
    argsBody,
  ]);
  const argsEmpty = el("div", { cls: "hitl-args-empty", text: "(no arguments)", hidden: true });
  const argsStatus = el("span", { cls: "hitl-response-status", testid: "args-status" });
  // what an audited call returned when it ran (text, never HTML)
  const resultLine = el("div", { cls: "hitl-call-result", testid: "call-result", hidden: true });
  const argsBlock = el("div", { cls: "hitl-args hitl-scroll" }, [argsTable, argsEmpty, resultLine]);

  /* the edit form: one field per parameter */
  const formTool = el("code", { cls: "hitl-tool-name" });
  const formFields = el("div", { cls: "hitl-edit-fields" });
  const editSave = el("button", { cls: "hitl-btn hitl-btn-primary", text: "Save", testid: "edit-save", attrs: { type: "button", tabindex: -1 } });
  const editCancel = el("button", { cls: "hitl-btn", text: "Cancel", testid: "edit-cancel", attrs: { type: "button", tabindex: -1 } });
  const editForm = el(
    "div",
    { cls: "hitl-edit-form", testid: "edit-form", hidden: true, attrs: { role: "group", "aria-label": "Edit the arguments" } },
    [
      el("div", { cls: "hitl-edit-tool" }, [el("span", { text: "Tool " }), formTool, el("span", { cls: "hitl-edit-fixed", text: " (cannot be changed)" })]),
      formFields,
      el("div", { cls: "hitl-editor-bar" }, [
        el("span", { cls: "hitl-editor-hint" }, [kbd("Ctrl/⌘"), "+", kbd("Enter"), " save · ", kbd("Esc"), " cancel"]),
        editSave,
        editCancel,
      ]),
    ],
  );
  // a click in the form keeps the focus in the form (the widget takes it back otherwise)
  editForm.addEventListener("click", (ev) => ev.stopPropagation());

  const call = el("section", { cls: "hitl-block hitl-call", testid: "item-text" }, [
    toolRow,
    el("div", { cls: "hitl-block-title" }, [el("span", { text: "Arguments" }), argsStatus, argsHash]),
    argsBlock,
    editForm,
  ]);

  const reason = noteBox({
    name: "reason",
    cls: "hitl-reason-box",
    placeholder: "Why is the call rejected? The agent gets this as the tool's result. Enter saves, Esc cancels",
    ariaLabel: "Reject reason",
    buttons: ["Reject", "Cancel"],
  });
  const answer = noteBox({
    name: "answer",
    cls: "hitl-answer-box",
    placeholder: "Your answer: the agent gets it instead of running the tool. Enter sends, Esc cancels",
    ariaLabel: "Answer to the agent",
    buttons: ["Send", "Cancel"],
  });

  const actionButton = (action: string, key: string, run: () => void) => {
    const label = el("span");
    const b = el("button", { cls: "hitl-label-btn", testid: "action-button", attrs: { type: "button", tabindex: -1, "data-action": action } }, [kbd(key), label]);
    b.addEventListener("click", run);
    return { b, label };
  };
  const approveBtn = actionButton("accept", "A", () => shell.timeKey("click", null, approve));
  const editBtn = actionButton("edit", "E", () => openEdit());
  const rejectBtn = actionButton("reject", "R", () => openReason());
  const answerBtn = actionButton("answer", "Q", () => openAnswer());
  const skipBtn = actionButton("skip", "S", () => shell.timeKey("click", null, skip));
  const actions = el("div", { cls: "hitl-labels hitl-actions", attrs: { role: "group", "aria-label": "Decisions" } }, [
    approveBtn.b,
    editBtn.b,
    rejectBtn.b,
    answerBtn.b,
    skipBtn.b,
  ]);

  const contextEl = el("div", { cls: "hitl-chat", testid: "context" });
  const contextBlock = el("section", { cls: "hitl-block hitl-context-block", hidden: true }, [
    el("div", { cls: "hitl-block-title", text: "The agent's conversation" }),
    contextEl,
  ]);

  shell.itemPane.append(call, reason.box, answer.box, actions, contextBlock);

  // the conversation (markdown -> sanitized nodes) of the next calls is built in idle time
  const prerender = new Prerender<ToolCallItem, { fragment: DocumentFragment; turns: number }>((item) => chatFragment(item.context));
  shell.addCleanup(() => prerender.dispose());

  /* ------------------------------------------------------------ state helpers */
  const isAudit = (item: ToolCallItem) => item.audit === true;

  /** the arguments an edit of this item set (the fold's verdict), if it was edited */
  function editedArgs(item: ToolCallItem): Record<string, unknown> | null {
    const v = client.foldOf(item).verdict;
    if (v?.action !== "edit" || !v.data) return null;
    const a = (v.data as Record<string, unknown>).args;
    return isRecord(a) ? a : null;
  }

  function describeCall(st: ItemState, item: ToolCallItem): string {
    const vocab = client.vocabulary();
    if (isAudit(item) && st.action === "accept") return "right";
    if (isAudit(item) && st.action === "reject") return st.note ? `wrong: ${st.note}` : "wrong";
    if (st.action === "edit") {
      const word = st.status ?? describeState(st, vocab);
      const a = isRecord(st.data) && isRecord(st.data.args) ? st.data.args : null;
      if (!a) return word;
      const base = isRecord(item.args) ? item.args : {};
      const changed = [...new Set([...Object.keys(base), ...Object.keys(a)])].filter((k) => canonicalJson(base[k]) !== canonicalJson(a[k]));
      return changed.length ? `${word}: ${changed.join(", ")}` : word;
    }
    return describeState(st, vocab, ["reject", "answer", "flag"]);
  }

  /* ------------------------------------------------------------ actions */
  function approve(): void {
    const item = client.current();
    if (!item) return;
    shell.clearMessage();
    if (editedArgs(item) !== null) {
      // the edit stands (the table shows the arguments it runs with): move on; Z undoes it
      client.move(1);
      return;
    }
    client.decide({ action: "accept", data: { args_hash: String(item.content_hash ?? "") } });
  }

  function skip(): void {
    if (!client.current()) return;
    shell.clearMessage();
    client.decide({ action: "skip" });
  }

  function undo(): void {
    shell.clearMessage();
    if (!client.undo()) shell.say("Nothing to undo in this session.");
  }

  /* ------------------------------------------------------------ boxes */
  shell.onBoxClose = () => {
    const item = client.current();
    if (item) paintArgs(item);
  };
  const closeBoxes = (refocus: boolean) => shell.closeBoxes(refocus);

  function openReason(): void {
    const item = client.current();
    if (!item) return;
    shell.openBox("reason");
    reason.input.placeholder = isAudit(item)
      ? "What was wrong with this call? Enter saves, Esc cancels"
      : "Why is the call rejected? The agent gets this as the tool's result. Enter saves, Esc cancels";
    const v = client.foldOf(item).verdict;
    setAttr(reason.input, "aria-invalid", null);
    reason.open(v?.action === "reject" && v.note ? v.note : "");
  }

  function saveReason(): void {
    const item = client.current();
    if (!item || !shell.isBoxOpen("reason")) return closeBoxes(true);
    const text = reason.input.value.trim();
    if (!text) {
      setAttr(reason.input, "aria-invalid", "true");
      shell.say(isAudit(item) ? "Say what was wrong (Esc cancels)." : "Type why the call is rejected: the agent gets it (Esc cancels).");
      return;
    }
    setAttr(reason.input, "aria-invalid", null);
    closeBoxes(true);
    shell.timeKey("r-enter", null, () => client.decide({ action: "reject", note: text }));
  }

  function openAnswer(): void {
    const item = client.current();
    if (!item) return;
    if (isAudit(item)) return shell.say("This call already ran: there is nothing to answer in its place (R: it was wrong).");
    shell.openBox("answer");
    const v = client.foldOf(item).verdict;
    setAttr(answer.input, "aria-invalid", null);
    answer.open(v?.action === "answer" && v.note ? v.note : "");
  }

  function saveAnswer(): void {
    const item = client.current();
    if (!item || !shell.isBoxOpen("answer")) return closeBoxes(true);
    const text = answer.input.value.trim();
    if (!text) {
      setAttr(answer.input, "aria-invalid", "true");
      shell.say("Type the answer the agent gets instead of the tool's result (Esc cancels).");
      return;
    }
    setAttr(answer.input, "aria-invalid", null);
    closeBoxes(true);
    shell.timeKey("q-enter", null, () => client.decide({ action: "answer", note: text }));
  }

  /* ------------------------------------------------------------ the edit form */
  let fields: Field[] = [];

  function buildField(p: ToolParam & { extra?: boolean }, args: Record<string, unknown>, i: number): Field {
    const has = Object.prototype.hasOwnProperty.call(args, p.name);
    const original = has ? args[p.name] : undefined;
    const id = `hitl-arg-${formId}-${i}`;
    const attrs = { id, "data-arg": p.name, "data-type": p.type, [SUPPRESS_ATTR]: "", autocomplete: "off", spellcheck: "false" };
    let control: Control;
    let initial: string | boolean;
    let choices: Map<string, unknown> | undefined;
    const selectOf = (values: unknown[], label: (v: unknown) => string) => {
      choices = new Map();
      const sel = el("select", { cls: "hitl-field-input", testid: "edit-field", attrs });
      const add = (value: string, text: string, v: unknown) => {
        choices!.set(value, v);
        sel.appendChild(el("option", { text, attrs: { value } }));
      };
      if (!has) add(ABSENT_OPTION, p.required === false ? "— not given (default) —" : "— not given —", undefined);
      values.forEach((v, k) => add(String(k), label(v), v));
      if (p.nullable) add(NULL_OPTION, "— none (null) —", null);
      let current = has ? [...choices.entries()].find(([, v]) => canonicalJson(v) === canonicalJson(original))?.[0] : ABSENT_OPTION;
      if (current === undefined) {
        // the agent's value is not one the schema allows: shown, so it can be changed
        add(CURRENT_OPTION, `${displayValue(original)} (not an allowed value)`, original);
        current = CURRENT_OPTION;
      }
      sel.value = current;
      return sel;
    };
    if (p.type === "enum") {
      control = selectOf(p.enum ?? [], (v) => (typeof v === "string" ? v : canonicalJson(v)));
      initial = control.value;
    } else if (p.type === "boolean" && (p.nullable || (has && typeof original !== "boolean"))) {
      control = selectOf([true, false], (v) => String(v));
      initial = control.value;
    } else if (p.type === "boolean") {
      const box = el("input", { cls: "hitl-field-check", testid: "edit-field", attrs: { ...attrs, type: "checkbox" } });
      box.checked = original === true;
      control = box;
      initial = box.checked;
    } else if (p.type === "array" || p.type === "object" || (p.type === "string" && typeof original === "string" && (original.includes("\n") || original.length > 80))) {
      const text = fieldText(p, original, has);
      const rows = Math.max(2, Math.min(12, text.split("\n").length));
      const ta = el("textarea", { cls: "hitl-field-input hitl-field-json", testid: "edit-field", attrs: { ...attrs, rows } });
      ta.value = text;
      control = ta;
      initial = ta.value;
    } else {
      // (a number field cannot hold what is not a number: the agent's text shows as text)
      const numeric = (p.type === "number" || p.type === "integer") && (!has || original === null || typeof original === "number");
      const input = el("input", {
        cls: "hitl-field-input",
        testid: "edit-field",
        attrs: {
          ...attrs,
          type: numeric ? "number" : "text",
          step: numeric ? (p.type === "integer" ? "1" : "any") : undefined,
          inputmode: p.type === "integer" ? "numeric" : p.type === "number" ? "decimal" : undefined,
          placeholder: p.nullable ? "empty = null" : p.required === false ? "empty = the default" : p.type === "any" ? "text or JSON" : undefined,
        },
      });
      input.value = fieldText(p, original, has);
      control = input;
      initial = input.value;
    }
    const error = el("span", { cls: "hitl-field-error", testid: "edit-error", attrs: { "data-arg": p.name, "aria-live": "polite" }, hidden: true });
    const row = el("div", { cls: ["hitl-field", p.extra && "is-extra"], testid: "edit-row", attrs: { "data-arg": p.name } }, [
      el("label", { cls: "hitl-field-label", attrs: { for: id } }, [
        el("span", { cls: "hitl-field-name", text: p.name }),
        p.required !== false && !p.extra ? el("span", { cls: "hitl-field-required", text: "*", title: "required" }) : null,
        el("span", { cls: "hitl-field-type", text: typeWords(p) }),
      ]),
      control,
      error,
      // (a field cannot mark them: say so under it)
      hiddenIn(original) ? el("span", { cls: "hitl-field-warn hitl-arg-warn", testid: "edit-warning", text: `${hiddenIn(original)} (shown marked in the table)` }) : null,
    ]);
    formFields.appendChild(row);
    return { param: p, control, error, has, original, initial, choices };
  }

  function markField(f: Field, error: string | null): void {
    setAttr(f.control, "aria-invalid", error ? "true" : null);
    setAttr(f.control, "data-invalid", error ? "true" : null);
    f.control.parentElement?.classList.toggle("is-invalid", !!error);
    setText(f.error, error ?? "");
    show(f.error, !!error);
  }

  /** the field's value: the original when it was not changed, else parsed for its type */
  function readField(f: Field): Parsed {
    const c = f.control;
    const p = f.param;
    if (c instanceof HTMLInputElement && c.type === "checkbox") {
      if (c.checked === f.initial) return f.has ? { ok: true, value: f.original } : { ok: true, omit: true };
      return { ok: true, value: c.checked };
    }
    if (c instanceof HTMLSelectElement) {
      if (c.value === f.initial) return f.has ? { ok: true, value: f.original } : { ok: true, omit: true };
      if (c.value === ABSENT_OPTION) return p.required === false ? { ok: true, omit: true } : { ok: false, error: "a value is required" };
      return { ok: true, value: f.choices?.get(c.value) };
    }
    // a number field with text the browser cannot read as a number has the value ""
    if (c instanceof HTMLInputElement && c.type === "number" && c.validity?.badInput) return { ok: false, error: "not a number" };
    if (c.value === f.initial) return f.has ? { ok: true, value: f.original } : { ok: true, omit: true };
    if (p.extra && c.value.trim() === "") return { ok: true, omit: true };
    return parseText(p, c.value, f.original);
  }

  /** every field read; the bad ones marked (null when there is one) */
  function readForm(): { args: Record<string, unknown> | null; bad: Field[] } {
    const args: Record<string, unknown> = {};
    const bad: Field[] = [];
    for (const f of fields) {
      const r = readField(f);
      if (!r.ok) {
        markField(f, r.error);
        bad.push(f);
        continue;
      }
      markField(f, null);
      if ("omit" in r) continue;
      args[f.param.name] = r.value;
    }
    return { args: bad.length ? null : args, bad };
  }

  function focusFirstField(): void {
    const f = fields.find((x) => x.control.getAttribute("aria-invalid") === "true") ?? fields[0];
    if (f) f.control.focus({ preventScroll: true });
    else editSave.focus({ preventScroll: true });
  }

  function openEdit(): void {
    const item = client.current();
    if (!item) return;
    shell.openBox("edit");
    clear(formFields);
    const args = editedArgs(item) ?? (isRecord(item.args) ? item.args : {});
    fields = formParams(item).map((p, i) => buildField(p, args, i));
    if (!fields.length) formFields.appendChild(el("div", { cls: "hitl-args-empty", text: "This tool takes no arguments." }));
    setText(formTool, item.tool);
    show(argsBlock, false);
    show(editForm, true);
    setText(argsStatus, isAudit(item) ? "correcting: what they should have been" : "editing");
    focusFirstField();
  }

  function saveEdit(): void {
    const item = client.current();
    if (!item || !shell.isBoxOpen("edit")) return closeBoxes(true);
    const { args, bad } = readForm();
    if (!args) {
      const names = bad.map((f) => f.param.name).join(", ");
      shell.say(`Not saved: ${names} ${bad.length === 1 ? "is" : "are"} not right (marked). Fix or Esc to cancel.`, "error");
      focusFirstField();
      return;
    }
    const before = editedArgs(item) ?? (isRecord(item.args) ? item.args : {});
    if (canonicalJson(args) === canonicalJson(before)) {
      closeBoxes(true);
      shell.say("No change: nothing saved (A approves the call as it is).");
      return;
    }
    shell.clearMessage();
    closeBoxes(true);
    shell.timeKey("e-save", null, () => client.decide({ action: "edit", data: { args, args_hash: String(item.content_hash ?? "") } }));
  }

  function cancelEdit(): void {
    closeBoxes(true);
  }

  shell.addBox("edit", editForm, editForm, { onEnter: saveEdit, onEscape: cancelEdit, focus: focusFirstField });
  shell.addBox("reason", reason.box, reason.input, { onEnter: saveReason, onEscape: () => closeBoxes(true) });
  shell.addBox("answer", answer.box, answer.input, { onEnter: saveAnswer, onEscape: () => closeBoxes(true) });
  editSave.addEventListener("click", saveEdit);
  editCancel.addEventListener("click", cancelEdit);
  reason.buttons[0]?.addEventListener("click", saveReason);
  reason.buttons[1]?.addEventListener("click", () => closeBoxes(true));
  answer.buttons[0]?.addEventListener("click", saveAnswer);
  answer.buttons[1]?.addEventListener("click", () => closeBoxes(true));

  /* ------------------------------------------------------------ keys */
  const bindings: KeyBinding[] = [
    { keys: ["Enter", "a"], display: "Enter / A", description: "Approve the call as shown (audit: it was right; an edited call: the edit stands, next)", action: "accept", run: () => approve() },
    {
      keys: ["e"],
      display: "E",
      description: "Edit the arguments (a field per argument; Ctrl/⌘+Enter saves, Esc cancels)",
      action: "edit",
      run: () => openEdit(),
    },
    {
      keys: ["r"],
      display: "R",
      description: "Reject, with a reason the agent gets as the tool's result (audit: it was wrong; Enter saves, Esc cancels)",
      action: "reject",
      run: () => openReason(),
    },
    {
      keys: ["q"],
      display: "Q",
      description: "Answer the agent instead of running the tool (Enter sends, Esc cancels)",
      action: "answer",
      run: () => openAnswer(),
    },
    { keys: ["s"], display: "S", description: "Skip (the call stays held for later)", action: "skip", run: () => skip() },
    { keys: ["z"], display: "Z", description: "Undo the last decision (refused once the agent has acted on it)", run: () => undo() },
    ...moveBindings((delta) => client.move(delta)),
    ...scrollBindings(() => [contextEl, argsBlock], { line: "Scroll the conversation and the arguments by a line", page: "Scroll them by a page" }),
  ];
  shell.bind(bindings);

  /* ------------------------------------------------------------ painting */
  /** what the args table shows now (it is drawn again only when that changes) */
  let argsShown = "";

  function argRow(name: string, value: unknown, was: { value: unknown } | null, has: boolean): HTMLElement {
    const type = has ? jsonType(value) : "—";
    const nested = type === "array" || type === "object";
    const valueCell = el("td", { cls: ["hitl-arg-value", nested && "is-json", type === "string" && value === "" && "is-empty"], attrs: { "data-type": type } }, [
      el("span", { cls: "hitl-arg-text", testid: "arg-value" }, has ? visibleText(type === "string" && value === "" ? "" : displayValue(value)) : ["(removed)"]),
      type === "string" && value === "" ? el("span", { cls: "hitl-arg-note", text: "(empty text)" }) : null,
      hiddenIn(value) ? el("div", { cls: "hitl-arg-note hitl-arg-warn", testid: "arg-warning", text: hiddenIn(value) }) : null,
      was ? el("div", { cls: "hitl-arg-was", testid: "arg-was" }, [el("span", { text: "was: " }), el("span", { cls: "hitl-arg-text" }, visibleText(displayValue(was.value)))]) : null,
    ]);
    return el("tr", { testid: "arg-row", attrs: { "data-arg": name, "data-edited": was ? "true" : null } }, [
      el("th", { cls: "hitl-arg-name", attrs: { scope: "row" } }, visibleText(name)),
      valueCell,
      el("td", { cls: "hitl-arg-type", text: type }),
    ]);
  }

  function paintArgs(item: ToolCallItem): void {
    if (shell.boxes.openName === "edit") return;
    show(editForm, false);
    show(argsBlock, true);
    const base = isRecord(item.args) ? item.args : {};
    const edited = editedArgs(item);
    const key = `${item.qi}\u0000${item.item_id}\u0000${edited ? canonicalJson(edited) : ""}`;
    if (key !== argsShown) {
      argsShown = key;
      const rows: HTMLElement[] = [];
      if (edited) {
        for (const name of [...new Set([...Object.keys(base), ...Object.keys(edited)])]) {
          const has = Object.prototype.hasOwnProperty.call(edited, name);
          const hadIt = Object.prototype.hasOwnProperty.call(base, name);
          const same = has && hadIt && canonicalJson(edited[name]) === canonicalJson(base[name]);
          rows.push(argRow(name, edited[name], same ? null : { value: hadIt ? base[name] : "(not given)" }, has));
        }
      } else {
        for (const [name, value] of Object.entries(base)) rows.push(argRow(name, value, null, true));
      }
      argsBody.replaceChildren(...rows);
      show(argsEmpty, rows.length === 0);
      show(argsTable, rows.length > 0);
    }
    setText(argsStatus, edited ? "edited (the call runs with these; “was” shows the agent's)" : "");
  }

  function paintHeader(item: ToolCallItem): void {
    clear(toolName);
    append(toolName, visibleText(String(item.tool ?? "")));
    call.setAttribute("data-item-id", String(item.item_id));
    call.setAttribute("data-audit", isAudit(item) ? "true" : "false");
    show(auditBadge, isAudit(item));
    show(twoBadge, item.two_person === true);
    const who = Array.isArray(item.approvals) ? item.approvals.map(String) : [];
    setText(twoBadge, who.length ? `two people must approve (approved by ${who.join(", ")})` : "two people must approve");
    const r = item.result;
    if (r && typeof r === "object") {
      const what = r.ok === false ? `failed: ${String(r.error ?? "")}` : `returned: ${typeof r.result === "string" ? r.result : JSON.stringify(r.result)}`;
      setText(resultLine, what.length > 600 ? `${what.slice(0, 599)}…` : what);
    }
    show(resultLine, !!r && typeof r === "object");
    const c = typeof item.confidence === "number" && Number.isFinite(item.confidence) ? item.confidence : null;
    setText(confidence, c === null ? "" : `confidence ${formatPercent(c, 0)}`);
    show(confidence, c !== null);
    const hash = String(item.content_hash ?? "");
    setText(argsHash, hash ? `#${hash.slice(0, 12)}` : "");
    argsHash.title = hash ? `The arguments' hash (an approval is tied to it): ${hash}` : "";
    let when = "";
    if (typeof item.created_at === "string" && item.created_at) {
      const d = new Date(item.created_at);
      when = Number.isNaN(d.getTime()) ? item.created_at : `held at ${d.toLocaleTimeString()}`;
      heldAt.title = item.created_at;
    }
    setText(heldAt, when);
    show(heldAt, when !== "");
    // an audited call already ran: approve / reject say whether it was right
    const audit = isAudit(item);
    setText(approveBtn.label, audit ? "Right" : "Approve");
    setText(rejectBtn.label, audit ? "Wrong" : "Reject");
    setText(editBtn.label, audit ? "Correct arguments" : "Edit arguments");
    setText(answerBtn.label, "Answer");
    setText(skipBtn.label, "Skip");
    show(answerBtn.b, !audit && client.accepts("answer"));
    show(editBtn.b, client.accepts("edit"));
    show(rejectBtn.b, client.accepts("reject"));
    show(skipBtn.b, client.accepts("skip"));
  }

  function paintContext(item: ToolCallItem): void {
    contextEl.scrollTop = 0;
    const built = prerender.take(item) ?? chatFragment(item.context);
    contextEl.replaceChildren(built.fragment);
    show(contextBlock, built.turns > 0);
    const c = client.cursor;
    prerender.want([client.items.get(c + 1), client.items.get(c + 2), client.items.get(c - 1)]);
  }

  shell.paintItem = (item, fresh) => {
    if (fresh) {
      argsBlock.scrollTop = 0;
      paintHeader(item);
      paintContext(item);
    }
    paintArgs(item);
  };
  shell.onLeave = () => {
    argsShown = "";
  };

  shell.summaryNote = () =>
    el("div", { cls: "hitl-summary-note hitl-waiting", testid: "waiting", text: "New calls from the agent show here as they are held (no need to press a key)." });

  return shell.mount(host);
}

function render({ model, el: host }: RenderProps): () => void {
  return mount(model, host);
}

export default { render };
