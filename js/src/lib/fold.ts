/**
 * The fold of an item's decisions, in the browser: the mirror of the kernel's fold
 * (hitl_widgets/store), from the kernel's vocabulary (`config.vocabulary`; the defaults
 * below when a kernel does not send it). One place for the action / status names: the
 * client's per-item state (`ReviewClient.stateOf`, undo's restore, rejected decisions
 * rolled back), generation's ratings, the badges and the summary all read them here.
 *
 * Per item, a state is `{verdict, ratings, note}` plus a stack of earlier states:
 * - `undo`: pop the stack (an empty stack gives the empty state);
 * - `note`: set `note` only (not pushed);
 * - `skip`: nothing changes when the item is decided (its status is one of `decided`: a
 *   verdict's, or "rated"); otherwise push, the skip is the verdict, `note = decision.note`
 *   (the ratings stay);
 * - `rate`: push; `ratings = {...ratings, ...data.ratings}`; the verdict is unchanged,
 *   except a skip, which the rating ends (undo brings the skip back);
 * - a verdict action: push; the verdict is the decision; `data.ratings`, when given, are
 *   merged into `ratings`; `note = decision.note`;
 * - anything else (route, unknown future actions) changes nothing.
 * status = status_of[verdict.action] with a verdict, else "rated" with ratings, else null;
 * label = the verdict's label (an accept's is `decision.label ?? the item's model_label`).
 * The rules are the kernel's (`hitl_widgets/store/events.py` `fold`); the cases both sides
 * must agree on are js/test/fixtures/fold_cases.json (test/fold.test.ts replays them).
 */
import type { ItemDecision, ItemState } from "./types";

export interface Vocabulary {
  /** action -> the status it leads to (the `counts` keys) */
  status_of: Record<string, string>;
  /** actions that replace an item's verdict */
  verdicts: string[];
  /** statuses of a decided item (a skip leaves it alone) */
  decided: string[];
  /** the actions this kind accepts (null: the kernel did not say; every action goes) */
  actions: string[] | null;
}

/** The vocabulary when the kernel sends none (kernels before `config.vocabulary`). */
export const DEFAULT_VOCABULARY: Readonly<Vocabulary> = Object.freeze({
  status_of: Object.freeze({
    accept: "accepted",
    correct: "corrected",
    flag: "flagged",
    edit: "edited",
    reject: "rejected",
    compare: "compared",
    answer: "answered",
    skip: "skipped",
    rate: "rated",
  }) as Record<string, string>,
  verdicts: Object.freeze(["accept", "correct", "edit", "reject", "flag", "compare", "answer"]) as string[],
  decided: Object.freeze(["accepted", "corrected", "edited", "rejected", "flagged", "compared", "answered", "rated"]) as string[],
  actions: null,
});

/** Actions every kind takes whatever its vocabulary says (they are the protocol's own). */
const ALWAYS = new Set(["undo", "note"]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

function strings(v: unknown): string[] | null {
  return Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : null;
}

/** `config.vocabulary` as sent by the kernel, each part falling back to the default. */
export function vocabularyOf(config: Record<string, unknown> | null | undefined): Vocabulary {
  const raw = config && isRecord(config.vocabulary) ? config.vocabulary : null;
  if (!raw) return DEFAULT_VOCABULARY;
  const so = isRecord(raw.status_of) ? raw.status_of : null;
  const status_of: Record<string, string> = {};
  if (so) for (const [k, v] of Object.entries(so)) if (typeof v === "string") status_of[k] = v;
  const verdicts = strings(raw.verdicts);
  const sof = so ? status_of : DEFAULT_VOCABULARY.status_of;
  return {
    status_of: sof,
    verdicts: verdicts ?? DEFAULT_VOCABULARY.verdicts,
    // without `decided`: the statuses of the verdicts, and "rated"
    decided:
      strings(raw.decided) ??
      (so || verdicts ? [...new Set([...(verdicts ?? DEFAULT_VOCABULARY.verdicts).map((a) => sof[a] ?? a), "rated"])] : DEFAULT_VOCABULARY.decided),
    actions: strings(raw.actions),
  };
}

/** Whether a kind with this vocabulary takes `action` (undo and note always). */
export function accepts(vocab: Vocabulary, action: string): boolean {
  return vocab.actions === null || ALWAYS.has(action) || vocab.actions.includes(action);
}

/** The status name an action leads to ("accepted"), or the action itself. */
export function statusName(vocab: Vocabulary, action: string): string {
  return vocab.status_of[action] ?? action;
}

/* ------------------------------------------------------------------ the fold */

/** What the fold needs of a decision (a `Decision`, an external one, a fixture event). */
export interface FoldEvent {
  action: string;
  label?: string | null;
  note?: string | null;
  data?: Record<string, unknown> | null;
  id?: string;
  /** the item's model label, for an accept that names none */
  model_label?: string | null;
}

/** The decision that stands for an item. */
export interface Verdict {
  action: string;
  label: string | null;
  note: string | null;
  data: Record<string, unknown> | null;
  /** the decision's id, when it has one */
  id?: string;
}

export interface FoldState {
  verdict: Verdict | null;
  ratings: Record<string, unknown> | null;
  note: string | null;
}

export const EMPTY_STATE: Readonly<FoldState> = Object.freeze({ verdict: null, ratings: null, note: null });

function ratingsIn(data: unknown): Record<string, unknown> | null {
  const r = isRecord(data) ? data.ratings : undefined;
  return isRecord(r) ? r : null;
}

function strOrNull(v: unknown): string | null {
  return typeof v === "string" ? v : v === null || v === undefined ? null : String(v);
}

/** Whether the item is decided (its status is one of `decided`): a skip leaves it alone. */
export function isDecided(state: FoldState, vocab: Vocabulary = DEFAULT_VOCABULARY): boolean {
  const st = statusOf(state, vocab);
  return st !== null && vocab.decided.includes(st);
}

/**
 * Apply one decision to an item's state; `stack` (the earlier states, for undo) is
 * changed in place. Returns the new state (states are never mutated).
 * `modelLabel`: the item's model label, the label of an accept that names none.
 */
export function applyDecision(
  state: FoldState,
  stack: FoldState[],
  decision: FoldEvent,
  vocabulary: Vocabulary = DEFAULT_VOCABULARY,
  modelLabel: string | null = null,
): FoldState {
  const action = decision.action;
  if (action === "undo") return stack.pop() ?? EMPTY_STATE;
  if (action === "note") return { ...state, note: strOrNull(decision.note) };
  if (action === "skip") {
    if (isDecided(state, vocabulary)) return state;
    stack.push(state);
    return { ...state, verdict: verdictOf(decision, null), note: strOrNull(decision.note) };
  }
  if (action === "rate") {
    stack.push(state);
    const r = ratingsIn(decision.data);
    // a rating is a decision: it ends a skip
    const verdict = state.verdict?.action === "skip" ? null : state.verdict;
    return { ...state, verdict, ratings: r ? { ...(state.ratings ?? {}), ...r } : state.ratings };
  }
  if (vocabulary.verdicts.includes(action)) {
    stack.push(state);
    const r = ratingsIn(decision.data);
    const ml = decision.model_label !== undefined ? decision.model_label : modelLabel;
    return {
      verdict: verdictOf(decision, action === "accept" ? strOrNull(ml) : null),
      ratings: r ? { ...(state.ratings ?? {}), ...r } : state.ratings,
      note: strOrNull(decision.note),
    };
  }
  return state; // route and unknown future actions
}

function verdictOf(d: FoldEvent, fallbackLabel: string | null): Verdict {
  const v: Verdict = {
    action: d.action,
    label: strOrNull(d.label) ?? fallbackLabel,
    note: strOrNull(d.note),
    data: isRecord(d.data) ? d.data : null,
  };
  if (typeof d.id === "string") v.id = d.id;
  return v;
}

/** Fold a list of decisions (oldest first) from `start` (default: the empty state). */
export function foldState(
  events: readonly FoldEvent[],
  vocabulary: Vocabulary = DEFAULT_VOCABULARY,
  opts: { start?: FoldState; modelLabel?: string | null } = {},
): FoldState & { stack: FoldState[] } {
  const stack: FoldState[] = [];
  let state: FoldState = opts.start ?? EMPTY_STATE;
  for (const ev of events) state = applyDecision(state, stack, ev, vocabulary, opts.modelLabel ?? null);
  return { ...state, stack };
}

/** The status of a state (see the module doc). */
export function statusOf(state: FoldState, vocabulary: Vocabulary = DEFAULT_VOCABULARY): string | null {
  if (state.verdict) return statusName(vocabulary, state.verdict.action);
  return state.ratings && Object.keys(state.ratings).length ? "rated" : null;
}

/** What an item's state comes to: the shape the kernel's fold is compared with. */
export interface FoldSummary {
  status: string | null;
  /** the verdict's action (null without one) */
  action: string | null;
  label: string | null;
  note: string | null;
  ratings: Record<string, unknown> | null;
}

export function summarize(state: FoldState, vocabulary: Vocabulary = DEFAULT_VOCABULARY): FoldSummary {
  const r = state.ratings && Object.keys(state.ratings).length ? state.ratings : null;
  return {
    status: statusOf(state, vocabulary),
    action: state.verdict?.action ?? null,
    label: state.verdict?.label ?? null,
    note: state.note,
    ratings: r,
  };
}

/**
 * The state an item's payload carries (`decision`: the kernel's stored state, `{action,
 * status, label, note, data}`) as a fold state: where the browser's fold starts for an
 * item it has not decided on in this session.
 */
export function seedState(stored: ItemState | ItemDecision | null | undefined, vocabulary: Vocabulary = DEFAULT_VOCABULARY): FoldState {
  if (!stored || typeof stored !== "object") return EMPTY_STATE;
  let action = typeof stored.action === "string" ? stored.action : null;
  if (!action && typeof stored.status === "string") {
    // a state whose event is not named: the action that leads to its status
    action = Object.keys(vocabulary.status_of).find((a) => vocabulary.status_of[a] === stored.status) ?? null;
  }
  if (!action) return EMPTY_STATE;
  // `ratings`: the ratings in effect (kernels that send it); older kernels: the event's data
  const ratings = "ratings" in stored ? (isRecord(stored.ratings) ? stored.ratings : null) : ratingsIn(stored.data);
  const note = strOrNull(stored.note);
  if (action === "rate") return { verdict: null, ratings, note };
  if (action === "skip" || vocabulary.verdicts.includes(action)) {
    return {
      verdict: { action, label: strOrNull(stored.label), note, data: isRecord(stored.data) ? stored.data : null },
      ratings,
      note,
    };
  }
  return ratings || note ? { verdict: null, ratings, note } : EMPTY_STATE;
}

/**
 * The state as the views read it (`ReviewClient.stateOf`): the verdict's action, label
 * and data, with the status, the note and the ratings; a state with ratings only reads
 * as a "rate"; nothing decided is null. `modelLabel` fills an accept without a label.
 */
export function viewState(
  state: FoldState,
  vocabulary: Vocabulary = DEFAULT_VOCABULARY,
  modelLabel: string | null = null,
): ItemState | null {
  const status = statusOf(state, vocabulary);
  if (status === null) return null;
  const v = state.verdict;
  if (v) {
    const label = v.label ?? (v.action === "accept" ? modelLabel : null);
    return { action: v.action, status, label, note: state.note, data: v.data, ratings: state.ratings };
  }
  return { action: "rate", status, label: null, note: state.note, data: { ratings: state.ratings }, ratings: state.ratings };
}

/** A decision badge's text: the status word, and for the actions in `noted` the note after
 * it ("flagged: unclear"). */
export function describeState(
  st: ItemState,
  vocabulary: Vocabulary = DEFAULT_VOCABULARY,
  noted: readonly string[] = ["flag", "reject"],
): string {
  const word = st.status ?? statusName(vocabulary, st.action);
  return noted.includes(st.action) && st.note ? `${word}: ${st.note}` : word;
}
