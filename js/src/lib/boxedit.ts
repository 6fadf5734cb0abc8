/**
 * The editing state of one box-review entry (no DOM): the boxes as they are now, the
 * selection, the log of operations sent with the decision (`ops`), the undo stack of box
 * operations, and the time each box was selected (`box_ms`).
 *
 * Consecutive key moves of the same box within MERGE_MS are one op (and one undo step).
 */
import { boxesEqual, toArray, type Rect } from "./boxgeom";

export interface ModelBox extends Rect {
  id: string;
  label: string;
  score?: number | null;
}

export interface EditBox extends Rect {
  id: string;
  label: string;
  score: number | null;
  /** drawn in this review (not one of the model's) */
  isNew: boolean;
}

export type OpName = "move" | "resize" | "relabel" | "delete" | "add" | "redraw" | "undo";
export type Via = "key" | "mouse";

export interface BoxOp {
  op: OpName;
  id: string;
  t_ms: number;
  via: Via;
  before: [number, number, number, number] | null;
  after: [number, number, number, number] | null;
  label_before?: string;
  label_after?: string;
}

interface UndoStep {
  op: OpName;
  id: string;
  /** the box before the op (null: it did not exist) and its place in the list */
  before: EditBox | null;
  index: number;
  after: EditBox | null;
  /** merging key moves: when the last one was made */
  lastT: number;
  /** the op in the log this step made */
  logged: BoxOp;
}

export const MERGE_MS = 800;

const copy = (b: EditBox): EditBox => ({ ...b });

export class BoxEditor {
  boxes: EditBox[];
  readonly model: ModelBox[];
  readonly ops: BoxOp[] = [];
  selected: string | null = null;
  private readonly undoStack: UndoStep[] = [];
  private readonly ms = new Map<string, number>();
  private selSince: number | null = null;
  private onScreen = true;
  private newCount = 0;
  private readonly modelIds: Set<string>;

  /** `shownAt`: when the entry was shown (ops' t_ms count from it); `clock`: now in ms */
  constructor(
    model: ModelBox[],
    private readonly shownAt: number,
    private readonly clock: () => number,
  ) {
    this.model = model.map((b) => ({ ...b }));
    this.modelIds = new Set(this.model.map((b) => b.id));
    this.boxes = this.model.map((b) => ({
      id: b.id,
      x1: b.x1,
      y1: b.y1,
      x2: b.x2,
      y2: b.y2,
      label: b.label,
      score: typeof b.score === "number" ? b.score : null,
      isNew: false,
    }));
  }

  get(id: string | null): EditBox | undefined {
    return id === null ? undefined : this.boxes.find((b) => b.id === id);
  }

  indexOf(id: string | null): number {
    return id === null ? -1 : this.boxes.findIndex((b) => b.id === id);
  }

  /* ------------------------------------------------------------ selection, time */

  select(id: string | null): void {
    if (id !== null && !this.get(id)) id = null;
    if (id === this.selected) return;
    this.flushSelection();
    this.selected = id;
    this.selSince = id !== null && this.onScreen ? this.clock() : null;
  }

  /** the next (+1) / previous (-1) box, cycling; the first / last when none is selected */
  cycle(dir: 1 | -1): string | null {
    const n = this.boxes.length;
    if (!n) return null;
    const i = this.indexOf(this.selected);
    const j = i < 0 ? (dir > 0 ? 0 : n - 1) : (i + dir + n) % n;
    this.select(this.boxes[j].id);
    return this.selected;
  }

  private flushSelection(): void {
    if (this.selected !== null && this.selSince !== null) {
      const t = this.clock();
      this.ms.set(this.selected, (this.ms.get(this.selected) ?? 0) + Math.max(0, t - this.selSince));
      this.selSince = t;
    }
  }

  /** the entry left the screen (its selected box stops counting) / came back */
  setOnScreen(on: boolean): void {
    if (on === this.onScreen) return;
    if (!on) {
      this.flushSelection();
      this.selSince = null;
    } else if (this.selected !== null) this.selSince = this.clock();
    this.onScreen = on;
  }

  boxMs(): Record<string, number> {
    this.flushSelection();
    const out: Record<string, number> = {};
    for (const [id, v] of this.ms) out[id] = Math.round(v);
    return out;
  }

  /* ------------------------------------------------------------ operations */

  private t(): number {
    return Math.max(0, Math.round(this.clock() - this.shownAt));
  }

  private record(op: OpName, id: string, via: Via, before: EditBox | null, after: EditBox | null, index: number): BoxOp {
    const logged: BoxOp = {
      op,
      id,
      t_ms: this.t(),
      via,
      before: before ? toArray(before) : null,
      after: after ? toArray(after) : null,
    };
    if (op === "relabel" || (before && after && before.label !== after.label)) {
      logged.label_before = before?.label;
      logged.label_after = after?.label;
    }
    this.ops.push(logged);
    this.undoStack.push({ op, id, before: before ? copy(before) : null, index, after: after ? copy(after) : null, lastT: this.clock(), logged });
    return logged;
  }

  /** Set a box's coordinates (during a drag: no op; `commit` logs it). */
  setRect(id: string, r: Rect): EditBox | undefined {
    const b = this.get(id);
    if (!b) return undefined;
    b.x1 = r.x1;
    b.y1 = r.y1;
    b.x2 = r.x2;
    b.y2 = r.y2;
    return b;
  }

  /** Log a change of box `id` from `before` (a copy taken when it began) to what it is now. */
  commit(op: "move" | "resize" | "redraw", id: string, before: EditBox, via: Via): boolean {
    const b = this.get(id);
    if (!b || boxesEqual(before, b)) return false;
    this.record(op, id, via, before, b, this.indexOf(id));
    return true;
  }

  /** A key move: merged into the last op when that was a key move of the same box less
   * than MERGE_MS ago. */
  keyMove(id: string, r: Rect): boolean {
    const b = this.get(id);
    if (!b) return false;
    const before = copy(b);
    this.setRect(id, r);
    if (boxesEqual(before, b)) return false;
    const last = this.undoStack[this.undoStack.length - 1];
    const t = this.clock();
    if (last && last.op === "move" && last.id === id && last.logged.via === "key" && t - last.lastT < MERGE_MS && this.ops[this.ops.length - 1] === last.logged) {
      last.after = copy(b);
      last.lastT = t;
      last.logged.after = toArray(b);
      return true;
    }
    this.record("move", id, "key", before, b, this.indexOf(id));
    return true;
  }

  relabel(id: string, label: string, via: Via): boolean {
    const b = this.get(id);
    if (!b || b.label === label) return false;
    const before = copy(b);
    b.label = label;
    this.record("relabel", id, via, before, b, this.indexOf(id));
    return true;
  }

  /** Delete box `id`; the selection moves to the box after it (the new last when it was last). */
  remove(id: string, via: Via): boolean {
    const i = this.indexOf(id);
    if (i < 0) return false;
    const before = copy(this.boxes[i]);
    const wasSelected = this.selected === id;
    if (wasSelected) this.select(null);
    this.boxes.splice(i, 1);
    this.record("delete", id, via, before, null, i);
    if (wasSelected && this.boxes.length) this.select(this.boxes[Math.min(i, this.boxes.length - 1)].id);
    return true;
  }

  /** A new id: "new-1", "new-2", ... never one of the model's or in use. */
  nextId(): string {
    let id: string;
    do id = `new-${++this.newCount}`;
    while (this.modelIds.has(id) || this.get(id));
    return id;
  }

  /** Add a box (at the end); `log` false while a drag draws it (`commitAdd` logs it). */
  add(r: Rect, label: string, via: Via, log = true): EditBox {
    const b: EditBox = { id: this.nextId(), x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2, label, score: null, isNew: true };
    this.boxes.push(b);
    if (log) this.record("add", b.id, via, null, b, this.boxes.length - 1);
    return b;
  }

  commitAdd(id: string, via: Via): void {
    const b = this.get(id);
    if (b) this.record("add", id, via, null, b, this.indexOf(id));
  }

  /** Drop a box added by a drag that came to nothing (no op was logged). */
  discard(id: string): void {
    const i = this.indexOf(id);
    if (i < 0) return;
    if (this.selected === id) this.select(null);
    this.boxes.splice(i, 1);
  }

  canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  /** Undo the last box operation (logged as an "undo" op); returns the box id it touched. */
  undo(): { id: string; op: OpName } | null {
    const step = this.undoStack.pop();
    if (!step) return null;
    const cur = this.get(step.id);
    const now = cur ? copy(cur) : null;
    if (step.before === null) {
      // an add: the box goes
      if (this.selected === step.id) this.select(null);
      const i = this.indexOf(step.id);
      if (i >= 0) this.boxes.splice(i, 1);
    } else if (!cur) {
      // a delete: the box comes back where it was
      this.boxes.splice(Math.min(step.index, this.boxes.length), 0, copy(step.before));
    } else {
      Object.assign(cur, copy(step.before));
    }
    const after = this.get(step.id) ?? null;
    const logged: BoxOp = {
      op: "undo",
      id: step.id,
      t_ms: this.t(),
      via: "key",
      before: now ? toArray(now) : null,
      after: after ? toArray(after) : null,
    };
    if (now && after && now.label !== after.label) {
      logged.label_before = now.label;
      logged.label_after = after.label;
    }
    this.ops.push(logged);
    return { id: step.id, op: step.op };
  }

  /* ------------------------------------------------------------ summary */

  /** The boxes equal the model's: same ids, coordinates (1e-6), labels; none added or deleted. */
  unchanged(): boolean {
    if (this.boxes.length !== this.model.length) return false;
    const byId = new Map(this.model.map((b) => [b.id, b]));
    for (const b of this.boxes) {
      const m = byId.get(b.id);
      if (!m || b.isNew || m.label !== b.label || !boxesEqual(m, b)) return false;
    }
    return true;
  }

  counts(): { total: number; added: number; deleted: number } {
    const ids = new Set(this.boxes.map((b) => b.id));
    return {
      total: this.boxes.length,
      added: this.boxes.filter((b) => b.isNew).length,
      deleted: this.model.filter((m) => !ids.has(m.id)).length,
    };
  }

  /** The decision: accept (unchanged) or edit, with the ops and box_ms. */
  decision(): { action: "accept" | "edit"; data: Record<string, unknown> } {
    const ops = this.ops.map((o) => ({ ...o }));
    const box_ms = this.boxMs();
    if (this.unchanged()) return { action: "accept", data: { ops, box_ms } };
    const boxes = this.boxes.map((b) => {
      const [x1, y1, x2, y2] = toArray(b);
      return { id: b.id, x1, y1, x2, y2, label: b.label };
    });
    return { action: "edit", data: { boxes, ops, box_ms } };
  }
}
