/**
 * Where two nearly identical answers differ: when the two rendered texts share more than
 * 60% of their words (the longest common subsequence, lib/diffview.ts), each word that
 * is not in it is wrapped in `<mark class="hitl-pair-diff">` on its side. Only text
 * nodes are split and wrapped: the text itself does not change, and no markup is made
 * from data.
 */
import { differingWords } from "./diffview";

interface Word {
  node: Text;
  start: number;
  end: number;
  text: string;
}

/** Longer texts are not compared (the diff is done while preparing the item). */
const MAX_WORDS = 6000;

function wordsOf(root: Node): Word[] {
  const doc = root.ownerDocument ?? document;
  const walker = doc.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
  const out: Word[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n as Text;
    const s = t.data;
    const re = /\S+/g;
    for (let m = re.exec(s); m; m = re.exec(s)) out.push({ node: t, start: m.index, end: m.index + m[0].length, text: m[0] });
  }
  return out;
}

/** Share of words in common, counted as bags (an upper bound of the subsequence's). */
function bagShare(a: Word[], b: Word[]): number {
  const counts = new Map<string, number>();
  for (const w of a) counts.set(w.text, (counts.get(w.text) ?? 0) + 1);
  let common = 0;
  for (const w of b) {
    const c = counts.get(w.text) ?? 0;
    if (c > 0) {
      common++;
      counts.set(w.text, c - 1);
    }
  }
  return (2 * common) / (a.length + b.length);
}

/** Wrap the flagged words of one side (runs of them within a text node as one mark). */
function wrap(words: Word[], flags: boolean[]): number {
  const byNode = new Map<Text, [number, number][]>();
  for (let i = 0; i < words.length; i++) {
    if (!flags[i]) continue;
    const w = words[i];
    let ranges = byNode.get(w.node);
    if (!ranges) byNode.set(w.node, (ranges = []));
    const last = ranges[ranges.length - 1];
    // the next flagged word of the same node, with only spaces between: one run
    if (last && i > 0 && flags[i - 1] && words[i - 1].node === w.node) last[1] = w.end;
    else ranges.push([w.start, w.end]);
  }
  let marks = 0;
  for (const [node, ranges] of byNode) {
    const doc = node.ownerDocument;
    const s = node.data;
    const pieces: Node[] = [];
    let at = 0;
    for (const [start, end] of ranges) {
      if (start > at) pieces.push(doc.createTextNode(s.slice(at, start)));
      const mark = doc.createElement("mark");
      mark.className = "hitl-pair-diff";
      mark.setAttribute("data-testid", "pair-diff");
      mark.textContent = s.slice(start, end);
      pieces.push(mark);
      marks++;
      at = end;
    }
    if (at < s.length) pieces.push(doc.createTextNode(s.slice(at)));
    node.replaceWith(...pieces);
  }
  return marks;
}

/**
 * Mark where `left` and `right` (rendered answers: fragments or elements) differ, when
 * they share more than `minShared` of their words; returns the number of marks made
 * (0: too different, identical, or too long to compare).
 */
export function markPairDifferences(left: Node, right: Node, minShared = 0.6): number {
  const a = wordsOf(left);
  const b = wordsOf(right);
  if (!a.length || !b.length || a.length + b.length > MAX_WORDS) return 0;
  if (bagShare(a, b) <= minShared) return 0;
  const d = differingWords(
    a.map((w) => w.text),
    b.map((w) => w.text),
    minShared,
  );
  if (!d) return 0;
  return wrap(a, d.a) + wrap(b, d.b);
}
