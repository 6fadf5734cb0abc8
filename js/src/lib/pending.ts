/**
 * The pending store: decisions sent to the kernel and not yet acknowledged, in memory and
 * in `localStorage` (`hitl:pending:<store_id>`, a JSON object id -> Decision) so a closed
 * tab or a dead kernel loses nothing; `hello` carries them all and anything unacknowledged
 * is resent (docs/protocol.md). Every write re-reads the key and changes only its own ids,
 * so another tab's pending decisions under the same store_id survive.
 */
import type { Decision } from "./types";

export function storageKey(storeId: string): string {
  return `hitl:pending:${storeId}`;
}

export function defaultStorage(): Storage | null {
  try {
    const s = (globalThis as { localStorage?: Storage }).localStorage;
    return s ?? null;
  } catch {
    return null; // e.g. sandboxed iframe: accessing localStorage throws
  }
}

interface PendingEntry {
  decision: Decision;
  sentAt: number; // Date.now()
}

export function isDecision(v: unknown): v is Decision {
  return !!v && typeof v === "object" && typeof (v as Decision).id === "string" && typeof (v as Decision).item_id === "string";
}

export class PendingStore {
  private readonly entries = new Map<string, PendingEntry>();

  /** `storeId()`: the current store id ("" = memory only) */
  constructor(
    private readonly storage: Storage | null,
    private readonly storeId: () => string,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  decisions(): Decision[] {
    return [...this.entries.values()].map((p) => p.decision);
  }

  /** Take every decision kept in storage as pending (sent now, with the hello); returns
   * them oldest first. */
  load(t: number = Date.now()): Decision[] {
    const list = Object.values(this.read()).filter(isDecision);
    list.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
    for (const d of list) this.entries.set(d.id, { decision: d, sentAt: t });
    return list;
  }

  /** Keep decisions (memory, then storage) before they are sent. */
  add(decisions: Decision[], t: number = Date.now()): void {
    for (const d of decisions) this.entries.set(d.id, { decision: d, sentAt: t });
    this.write((obj) => {
      for (const d of decisions) obj[d.id] = d;
    });
  }

  /** Forget ids (acknowledged or refused); ids not held here still leave storage (another
   * tab's, now committed). */
  remove(ids: string[]): void {
    if (!ids.length) return;
    for (const id of ids) this.entries.delete(id);
    this.write((obj) => {
      for (const id of ids) delete obj[id];
    });
  }

  /** The decisions unacknowledged for `afterMs`, marked as sent again at `t`. */
  due(afterMs: number, t: number = Date.now()): Decision[] {
    const out: Decision[] = [];
    for (const p of this.entries.values()) {
      if (t - p.sentAt >= afterMs) {
        out.push(p.decision);
        p.sentAt = t;
      }
    }
    return out;
  }

  private key(): string | null {
    const id = this.storeId();
    return id ? storageKey(id) : null;
  }

  private read(): Record<string, Decision> {
    const key = this.key();
    if (!this.storage || !key) return {};
    try {
      const raw = this.storage.getItem(key);
      const obj = raw ? (JSON.parse(raw) as unknown) : {};
      return obj && typeof obj === "object" && !Array.isArray(obj) ? (obj as Record<string, Decision>) : {};
    } catch {
      return {};
    }
  }

  /** read-modify-write, so decisions another tab keeps under the same key survive */
  private write(mutate: (obj: Record<string, Decision>) => void): void {
    const key = this.key();
    if (!this.storage || !key) return;
    const obj = this.read();
    mutate(obj);
    try {
      if (Object.keys(obj).length) this.storage.setItem(key, JSON.stringify(obj));
      else this.storage.removeItem(key);
    } catch (err) {
      console.warn("hitl_widgets: localStorage write failed", err);
    }
  }
}
