/**
 * Word-level diff of the model's text and an edited text, and its view: deleted words
 * struck through, inserted ones highlighted. The view is built from escaped text only
 * (`<ins>` / `<del>` and text): a diff never creates markup from data.
 *
 * The diff is Myers' O((N+M)D) algorithm on integer token ids (`diffIds`), lines first,
 * then words inside each changed run of lines: the tokens are those of jsdiff's
 * diffWordsWithSpace (runs of word characters, runs of spaces, each line break, each
 * other character). Measured in Chromium on a 2,000-word answer with every 5th word
 * changed: about 1 ms, against 8-17 ms for jsdiff's diffWordsWithSpace line by line
 * (benchmarks/bench_generation.py). The kernel computes the stored diff itself (difflib).
 */

export type DiffOp = "equal" | "insert" | "delete";

/** The same shape the kernel stores (computed there again with difflib). */
export interface DiffPart {
  op: DiffOp;
  text: string;
}

/** Time budget of one diff (ms): past it, the remaining changed runs are shown as
 * replaced whole (a rewrite of a long text), so saving never blocks the page for long. */
const DIFF_BUDGET_MS = 150;

/** Work bound of one word diff, in (N+M)·D steps: past it the run is shown replaced
 * whole (about 20 ms of work in Chromium). */
const MAX_STEPS = 2e7;

function clock(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

/* ------------------------------------------------------------------ Myers on ids */

/** Edit script ops (`diffIds`): the next token of both (equal), of `a` (deleted), of `b`
 * (inserted). */
export const EQ = 0;
export const DEL = 1;
export const INS = 2;

/**
 * Myers' diff of two sequences of integer ids: the shortest edit script, as ops in
 * order (EQ / DEL / INS), or null when it needs more than `maxD` deletions + insertions.
 * The common prefix and suffix are matched first (cheap), then the greedy forward
 * search keeps one band of the furthest-reaching paths per edit distance for the way
 * back (memory O(D²)).
 */
export function diffIds(a: ArrayLike<number>, b: ArrayLike<number>, maxD = Infinity): Uint8Array | null {
  const n = a.length;
  const m = b.length;
  let pre = 0;
  while (pre < n && pre < m && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < n - pre && suf < m - pre && a[n - 1 - suf] === b[m - 1 - suf]) suf++;
  const N = n - pre - suf;
  const M = m - pre - suf;
  if (Math.abs(N - M) > maxD) return null; // at least |N - M| edits
  const out = new Uint8Array(pre + suf + N + M); // at most: every token of each side once
  let o = 0;
  for (let i = 0; i < pre; i++) out[o++] = EQ;
  if (N === 0 || M === 0) {
    for (let i = 0; i < N; i++) out[o++] = DEL;
    for (let i = 0; i < M; i++) out[o++] = INS;
  } else {
    const mid = middle(a, b, pre, N, M, maxD);
    if (mid === null) return null;
    out.set(mid, o);
    o += mid.length;
  }
  for (let i = 0; i < suf; i++) out[o++] = EQ;
  return out.subarray(0, o);
}

// scratch buffers of the search, reused (a save diffs dozens of lines: no garbage per line)
let vBuf = new Int32Array(256);
let traceBuf = new Int32Array(4096);

function middle(a: ArrayLike<number>, b: ArrayLike<number>, pre: number, N: number, M: number, maxD: number): Uint8Array | null {
  const max = N + M;
  const lim = Math.min(max, maxD);
  const off = max + 1;
  if (vBuf.length < 2 * max + 3) vBuf = new Int32Array(2 * max + 3);
  const v = vBuf;
  v[off + 1] = 0; // (the other cells read are written by the step before)
  // the band of step d ([-d, d], 2d + 1 cells) is kept at traceBuf[d², (d + 1)²)
  let found = -1;
  outer: for (let d = 0; d <= lim; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) x = v[off + k + 1];
      else x = v[off + k - 1] + 1;
      let y = x - k;
      while (x < N && y < M && a[pre + x] === b[pre + y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= N && y >= M) {
        found = d;
        break outer;
      }
    }
    const end = (d + 1) * (d + 1);
    if (traceBuf.length < end) {
      const grown = new Int32Array(Math.max(end, traceBuf.length * 2));
      grown.set(traceBuf.subarray(0, d * d));
      traceBuf = grown;
    }
    traceBuf.set(v.subarray(off - d, off + d + 1), d * d);
  }
  if (found < 0) return null;
  const trace = traceBuf;
  // walk back from (N, M): ops in reverse
  const rev = new Uint8Array(N + M);
  let r = 0;
  let x = N;
  let y = M;
  for (let d = found; d > 0; d--) {
    const base = (d - 1) * (d - 1) + (d - 1); // band of step d - 1, at k = 0
    const k = x - y;
    const down = k === -d || (k !== d && trace[base + k - 1] < trace[base + k + 1]);
    const pk = down ? k + 1 : k - 1;
    const px = trace[base + pk];
    const sx = down ? px : px + 1; // where the snake of step d began
    while (x > sx) {
      rev[r++] = EQ;
      x--;
      y--;
    }
    if (down) {
      rev[r++] = INS;
      y--;
    } else {
      rev[r++] = DEL;
      x--;
    }
    // (x, y) is now the end of step d - 1: (px, px - pk)
  }
  while (x > 0) {
    rev[r++] = EQ;
    x--;
  }
  const out = new Uint8Array(r);
  for (let i = 0; i < r; i++) out[i] = rev[r - 1 - i];
  return out;
}

/** Integer ids for tokens (equal strings, equal ids), shared by both sides of a diff. */
class Interner {
  private readonly ids = new Map<string, number>();
  of(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      let id = this.ids.get(t);
      if (id === undefined) this.ids.set(t, (id = this.ids.size));
      out[i] = id;
    }
    return out;
  }
}

/* ------------------------------------------------------------------ tokens */

// jsdiff's word characters (diffWordsWithSpace): ASCII letters and digits, _, and the
// Latin letters with diacritics
const WORD_CHARS = "a-zA-Z0-9_\\u{AD}\\u{C0}-\\u{D6}\\u{D8}-\\u{F6}\\u{F8}-\\u{2C6}\\u{2C8}-\\u{2D7}\\u{2DE}-\\u{2FF}\\u{1E00}-\\u{1EFF}";
const TOKEN = new RegExp(`\\r?\\n|[${WORD_CHARS}]+|[^\\S\\n\\r]+|[^${WORD_CHARS}]`, "gu");

/** diffWordsWithSpace's tokens: words, runs of spaces, each line break, each other char. */
export function wordTokens(s: string): string[] {
  return s.match(TOKEN) ?? [];
}

/** Lines with their line ends ("a\nb" -> ["a\n", "b"]). */
function splitLines(s: string): string[] {
  return s.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/* ------------------------------------------------------------------ word diff */

function push(out: DiffPart[], op: DiffOp, text: string): void {
  if (!text) return;
  const last = out[out.length - 1];
  if (last && last.op === op) last.text += text;
  else out.push({ op, text });
}

/** Append the parts of an edit script over token lists (a change's deletions first). */
function emit(ops: Uint8Array, a: readonly string[], b: readonly string[], out: DiffPart[]): void {
  let i = 0;
  let j = 0;
  let del = "";
  let ins = "";
  let eq = "";
  for (let t = 0; t < ops.length; t++) {
    const op = ops[t];
    if (op === EQ) {
      if (del || ins) {
        push(out, "delete", del);
        push(out, "insert", ins);
        del = ins = "";
      }
      eq += a[i++];
      j++;
    } else {
      if (eq) {
        push(out, "equal", eq);
        eq = "";
      }
      if (op === DEL) del += a[i++];
      else ins += b[j++];
    }
  }
  push(out, "equal", eq);
  push(out, "delete", del);
  push(out, "insert", ins);
}

/**
 * Word diff of two texts. Lines are matched first and words are diffed inside each
 * changed run of lines only (the kernel does the same with difflib for the stored
 * diff); a run with as many lines removed as added (each line edited in place, the
 * usual case) is diffed line by line.
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
  const la = splitLines(a);
  const lb = splitLines(b);
  const interner = new Interner();
  const lineOps = diffIds(interner.of(la), interner.of(lb), Math.max(2000, la.length + lb.length)) ?? null;
  if (!lineOps) {
    words(a, b, out, deadline, new Interner());
    return out;
  }
  let i = 0;
  let j = 0;
  let del: string[] = [];
  let ins: string[] = [];
  const tokens = new Interner(); // one for every word diff of this call
  const flush = () => {
    if (del.length && ins.length) changedRun(del, ins, out, deadline, tokens);
    else if (del.length) push(out, "delete", del.join(""));
    else if (ins.length) push(out, "insert", ins.join(""));
    del = [];
    ins = [];
  };
  for (let t = 0; t < lineOps.length; t++) {
    const op = lineOps[t];
    if (op === EQ) {
      flush();
      push(out, "equal", la[i++]);
      j++;
    } else if (op === DEL) del.push(la[i++]);
    else ins.push(lb[j++]);
  }
  flush();
  return out;
}

/** A run of changed lines: line by line when as many were removed as added. */
function changedRun(del: string[], ins: string[], out: DiffPart[], deadline: number, tokens: Interner): void {
  if (del.length > 1 && del.length === ins.length) {
    for (let i = 0; i < del.length; i++) {
      if (del[i] === ins[i]) push(out, "equal", del[i]);
      else words(del[i], ins[i], out, deadline, tokens);
    }
  } else {
    words(del.join(""), ins.join(""), out, deadline, tokens);
  }
}

/** The word diff of two runs of text, appended to `out` (replaced whole past the budget). */
function words(a: string, b: string, out: DiffPart[], deadline: number, tokens: Interner): void {
  const ta = wordTokens(a);
  const tb = wordTokens(b);
  const ops =
    clock() < deadline ? diffIds(tokens.of(ta), tokens.of(tb), Math.max(16, Math.floor(MAX_STEPS / Math.max(1, ta.length + tb.length)))) : null;
  if (!ops) {
    push(out, "delete", a);
    push(out, "insert", b);
    return;
  }
  emit(ops, ta, tb, out);
}

function pair(ta: string[], tb: string[]): [Int32Array, Int32Array] {
  const i = new Interner();
  return [i.of(ta), i.of(tb)];
}

/* ------------------------------------------------------------------ words of two texts */

/**
 * Which words of `a` and of `b` are not in their longest common subsequence of words,
 * when the two share more than `minShared` of their words (2·common / (|a| + |b|));
 * null when they share less (or either is empty). Words are compared as written.
 */
export function differingWords(a: readonly string[], b: readonly string[], minShared = 0.6): { a: boolean[]; b: boolean[] } | null {
  const total = a.length + b.length;
  if (!a.length || !b.length) return null;
  // shared > minShared  <=>  edits D < (1 - minShared) · total
  const maxD = Math.ceil((1 - minShared) * total) - 1;
  if (maxD < 0) return null;
  const [ia, ib] = pair(a as string[], b as string[]);
  const ops = diffIds(ia, ib, maxD);
  if (!ops) return null;
  const da = new Array<boolean>(a.length).fill(false);
  const db = new Array<boolean>(b.length).fill(false);
  let i = 0;
  let j = 0;
  for (let t = 0; t < ops.length; t++) {
    if (ops[t] === EQ) {
      i++;
      j++;
    } else if (ops[t] === DEL) da[i++] = true;
    else db[j++] = true;
  }
  return { a: da, b: db };
}

/* ------------------------------------------------------------------ stats */

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

/* ------------------------------------------------------------------ the view */

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" };

/** Text as HTML text content: every character that could start markup (or that the
 * parser would change: a carriage return) written as a reference. */
export function escapeText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => ESC[c]);
}

/** A long diff is cut into blocks of about this many characters (at line breaks in
 * unchanged text), which the browser lays out only when they come on screen. */
export const DIFF_CHUNK_CHARS = 1500;

function partHtml(p: DiffPart, text: string = p.text): string {
  const t = escapeText(text);
  if (p.op === "equal") return t;
  return p.op === "insert" ? `<ins class="hitl-diff-ins">${t}</ins>` : `<del class="hitl-diff-del">${t}</del>`;
}

/** A diff as HTML: escaped text, `<ins>` and `<del>` only. */
export function diffHtml(parts: readonly DiffPart[]): string {
  let html = "";
  for (const p of parts) html += partHtml(p);
  return html;
}

/**
 * A diff as HTML blocks (`<span class="hitl-diff-chunk">`, display: block) of about
 * `size` characters each, cut after a line break of unchanged text only (so the blocks
 * lay out exactly as one text would), with each block's estimated height in lines.
 */
export function diffChunks(parts: readonly DiffPart[], size = DIFF_CHUNK_CHARS): { html: string[]; lines: number[] } {
  const html: string[] = [];
  const lines: number[] = [];
  let chunk = "";
  let n = 0;
  let breaks = 0;
  const close = () => {
    if (!chunk) return;
    html.push(chunk);
    lines.push(breaks + Math.ceil(n / 100));
    chunk = "";
    n = 0;
    breaks = 0;
  };
  const add = (p: DiffPart, text: string) => {
    chunk += partHtml(p, text);
    n += text.length;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) breaks++;
  };
  for (const p of parts) {
    if (p.op !== "equal") {
      add(p, p.text);
      continue;
    }
    let t = p.text;
    while (t) {
      const at = n + t.length < size ? -1 : t.indexOf("\n", Math.max(0, size - n - 1));
      if (at < 0) {
        add(p, t);
        break;
      }
      add(p, t.slice(0, at + 1));
      close();
      t = t.slice(at + 1);
    }
  }
  close();
  return { html, lines };
}

/**
 * Render a diff into `target` (children replaced): <del> / <ins> / text nodes, parsed
 * from one string of escaped text (one parse instead of a node per part: a heavy edit
 * has hundreds of parts). A long diff goes in blocks (`diffChunks`) with
 * `content-visibility: auto` (review.css): the blocks off screen are not laid out. A
 * text holding a NUL (the parser drops it) is built node by node instead.
 */
export function renderDiff(target: HTMLElement, parts: DiffPart[]): DiffStats {
  if (parts.some((p) => p.text.includes("\0"))) {
    const frag = document.createDocumentFragment();
    for (const p of parts) {
      if (p.op === "equal") frag.appendChild(document.createTextNode(p.text));
      else {
        const e = document.createElement(p.op === "insert" ? "ins" : "del");
        e.className = p.op === "insert" ? "hitl-diff-ins" : "hitl-diff-del";
        e.textContent = p.text;
        frag.appendChild(e);
      }
    }
    target.replaceChildren(frag);
    return diffStats(parts);
  }
  const { html, lines } = diffChunks(parts);
  if (html.length <= 1) {
    target.innerHTML = html[0] ?? "";
  } else {
    target.innerHTML = html.map((h) => `<span class="hitl-diff-chunk">${h}</span>`).join("");
    // each block's placeholder height until it is laid out (then the browser keeps its own)
    const blocks = target.children;
    for (let i = 0; i < blocks.length; i++) {
      (blocks[i] as HTMLElement).style.setProperty("contain-intrinsic-size", `auto ${(Math.max(1, lines[i]) * 1.5).toFixed(1)}em`);
    }
  }
  return diffStats(parts);
}

/**
 * Run the diff and the view's parse once on a made-up text, off the key path (idle time):
 * the first save of a session then runs compiled code, like the later ones (the first
 * heavy save measured 30 ms against 8-12 ms for the next ones without this).
 */
export function warmUpDiff(): void {
  const words = ["the", "model", "answer", "returns", "a", "list", "of", "values,", "sorted", "by", "key."];
  const lines: string[] = [];
  for (let l = 0; l < 24; l++) lines.push(Array.from({ length: 40 }, (_, w) => words[(l * 3 + w) % words.length]).join(" "));
  const a = lines.join("\n\n");
  let k = 0;
  const b = a.replace(/\S+/g, (w) => (k++ % 5 === 0 ? "EDITED" : w));
  let parts: DiffPart[] = [];
  for (let i = 0; i < 4; i++) parts = wordDiff(a, b);
  if (typeof document !== "undefined") {
    const box = document.createElement("div"); // detached: parsed, never laid out
    renderDiff(box, parts);
  }
}

export function describeStats(s: DiffStats): string {
  if (!s.inserted && !s.deleted) return "no change";
  return `+${s.wordsInserted} / −${s.wordsDeleted} words`;
}
