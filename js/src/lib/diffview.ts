/**
 * Word-level diff of the model's text and an edited text (jsdiff's diffWordsWithSpace)
 * and its view: deleted words struck through, inserted ones highlighted. Text only
 * (textContent): a diff never creates markup from data.
 */
import { diffLines, diffWordsWithSpace } from "diff";
import { el } from "./dom";

export type DiffOp = "equal" | "insert" | "delete";

/** The same shape the kernel stores (computed there again with difflib). */
export interface DiffPart {
  op: DiffOp;
  text: string;
}

/** Time budget of one diff (ms): past it, the remaining changed runs are shown as
 * replaced whole (a rewrite of a long text), so saving never blocks the page for long. */
const DIFF_BUDGET_MS = 150;

function clock(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

/**
 * Word diff of two texts (jsdiff's diffWordsWithSpace). Lines are matched first
 * (diffLines) and words are diffed inside each changed run of lines only: the same
 * result for a local edit, and a rewrite of every paragraph of a long text stays fast
 * (many small word diffs instead of one quadratic one). The kernel does the same with
 * difflib for the stored diff.
 */
export function wordDiff(original: string, edited: string): DiffPart[] {
  const a = String(original ?? "");
  const b = String(edited ?? "");
  const out: DiffPart[] = [];
  if (a === b) {
    if (a) out.push({ op: "equal", text: a });
    return out;
  }
  const deadline = clock() + DIFF_BUDGET_MS;
  const lines = diffLines(a, b, { timeout: DIFF_BUDGET_MS });
  if (!lines) {
    words(a, b, out, deadline);
    return out;
  }
  let del = "";
  let ins = "";
  const flush = () => {
    if (del && ins) changedRun(del, ins, out, deadline);
    else if (del) push(out, "delete", del);
    else if (ins) push(out, "insert", ins);
    del = "";
    ins = "";
  };
  for (const c of lines) {
    if (c.removed) del += c.value;
    else if (c.added) ins += c.value;
    else {
      flush();
      push(out, "equal", c.value);
    }
  }
  flush();
  return out;
}

function push(out: DiffPart[], op: DiffOp, text: string): void {
  if (!text) return;
  const last = out[out.length - 1];
  if (last && last.op === op) last.text += text;
  else out.push({ op, text });
}

/** Lines with their line ends ("a\nb" -> ["a\n", "b"]). */
function splitLines(s: string): string[] {
  return s.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * A run of changed lines: when as many lines were removed as added (each line edited in
 * place, the usual case: a reviewer fixes words, not the layout), line i is word-diffed
 * against line i; one word diff over the whole run would be quadratic in its length
 * (every 5th word of 2,000 changed: ~100 ms, against a few ms line by line).
 */
function changedRun(del: string, ins: string, out: DiffPart[], deadline: number): void {
  const a = splitLines(del);
  const b = splitLines(ins);
  if (a.length > 1 && a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) push(out, "equal", a[i]);
      else words(a[i], b[i], out, deadline);
    }
  } else {
    words(del, ins, out, deadline);
  }
}

/** diffWordsWithSpace of two runs of text, appended to `out` */
function words(a: string, b: string, out: DiffPart[], deadline: number): void {
  const left = deadline - clock();
  const changes = left > 1 ? diffWordsWithSpace(a, b, { timeout: left }) : undefined;
  if (!changes) {
    // timed out: the run replaced as a whole (still a correct diff)
    push(out, "delete", a);
    push(out, "insert", b);
    return;
  }
  for (const c of changes) push(out, c.added ? "insert" : c.removed ? "delete" : "equal", c.value);
}

export interface DiffStats {
  inserted: number;
  deleted: number;
  /** words inserted / deleted */
  wordsInserted: number;
  wordsDeleted: number;
}

function countWords(s: string): number {
  const m = s.match(/\S+/g);
  return m ? m.length : 0;
}

export function diffStats(parts: DiffPart[]): DiffStats {
  const s: DiffStats = { inserted: 0, deleted: 0, wordsInserted: 0, wordsDeleted: 0 };
  for (const p of parts) {
    if (p.op === "insert") {
      s.inserted++;
      s.wordsInserted += countWords(p.text);
    } else if (p.op === "delete") {
      s.deleted++;
      s.wordsDeleted += countWords(p.text);
    }
  }
  return s;
}

/** Texts back from a diff: equal + delete = original, equal + insert = edited. */
export function applyDiff(parts: DiffPart[]): { original: string; edited: string } {
  let original = "";
  let edited = "";
  for (const p of parts) {
    if (p.op !== "insert") original += p.text;
    if (p.op !== "delete") edited += p.text;
  }
  return { original, edited };
}

/** Render a diff into `target` (children replaced): <del> / <ins> / text nodes. */
export function renderDiff(target: HTMLElement, parts: DiffPart[]): DiffStats {
  const frag = document.createDocumentFragment();
  for (const p of parts) {
    if (p.op === "equal") frag.appendChild(document.createTextNode(p.text));
    else if (p.op === "insert") frag.appendChild(el("ins", { cls: "hitl-diff-ins", text: p.text }));
    else frag.appendChild(el("del", { cls: "hitl-diff-del", text: p.text }));
  }
  target.replaceChildren(frag);
  return diffStats(parts);
}

export function describeStats(s: DiffStats): string {
  if (!s.inserted && !s.deleted) return "no change";
  return `+${s.wordsInserted} / −${s.wordsDeleted} words`;
}
