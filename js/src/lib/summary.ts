/**
 * The end-of-queue summary: counts per status for this session (the items this session
 * decided on, each with its status from the fold) next to the committed counts (`counts`
 * traitlet), plus extra rows such as agreement with the model. Shared by every widget kind.
 */
import { append, el } from "./dom";
import type { ReviewClient } from "./protocol";
import type { BaseItem } from "./types";

export interface SummaryRow {
  key: string;
  label: string;
  session: string;
  all: string;
}

/** status -> count over the items this session decided on (their state: the fold's) */
export function sessionCounts<I extends BaseItem>(client: ReviewClient<I>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of client.sessionLatest()) {
    const status = client.stateOf(e.item)?.status;
    if (status) out[status] = (out[status] ?? 0) + 1;
  }
  return out;
}

export interface SummaryOptions {
  /** the line that says how to go back (null: none, when there is no way back) */
  hint?: string | null;
  /** nodes after the table (the export buttons) */
  actions?: Node[];
}

const NUMBER = typeof Intl !== "undefined" ? new Intl.NumberFormat("en-US") : null;
function formatCount(n: number): string {
  return NUMBER ? NUMBER.format(n) : String(n);
}

export function renderSummary<I extends BaseItem>(
  pane: HTMLElement,
  client: ReviewClient<I>,
  extraRows: SummaryRow[] = [],
  opts: SummaryOptions = {},
): void {
  const committedRaw = client.model.get("counts");
  const committed: Record<string, number> =
    committedRaw && typeof committedRaw === "object" ? (committedRaw as Record<string, number>) : {};
  const session = sessionCounts(client);
  const statuses = [...new Set([...Object.keys(committed), ...Object.keys(session)])];
  const rows: SummaryRow[] = statuses.map((s) => ({
    key: s,
    label: s,
    session: String(session[s] ?? 0),
    all: String(typeof committed[s] === "number" ? committed[s] : 0),
  }));
  rows.push(...extraRows);
  const n = client.queueLength;
  const pending = client.pendingCount();
  pane.replaceChildren();
  append(pane, [
    el("h3", { text: n === 0 ? "Nothing to review" : `End of the queue (${formatCount(n)} entries)` }),
    el("table", { cls: "hitl-summary-table" }, [
      el("thead", {}, [
        el("tr", {}, [el("th", { text: "" }), el("th", { text: "this session" }), el("th", { text: "saved (all)" })]),
      ]),
      el(
        "tbody",
        {},
        rows.map((r) =>
          el("tr", { attrs: { "data-status": r.key } }, [
            el("td", { text: r.label }),
            el("td", { cls: "hitl-count-session", text: r.session }),
            el("td", { cls: "hitl-count-all", text: r.all }),
          ]),
        ),
      ),
    ]),
    pending
      ? el("div", { cls: "hitl-summary-note", text: `${pending} decision(s) not saved yet: kept in this browser and resent.` })
      : null,
    ...(opts.actions ?? []),
    opts.hint ? el("div", { cls: "hitl-summary-note", testid: "summary-hint", text: opts.hint }) : null,
  ]);
}
