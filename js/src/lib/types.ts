/**
 * Shapes shared by every review widget. They mirror docs/protocol.md exactly;
 * change them only together with that document.
 */

export type Action =
  | "accept"
  | "correct"
  | "flag"
  | "skip"
  | "undo"
  | "note"
  | "edit"
  | "reject"
  | "rate"
  | "compare";

/** A decision as sent to the kernel (self-contained: a later kernel can write it). */
export interface Decision {
  id: string;
  item_id: string;
  content_hash: string;
  qi: number;
  action: Action | string;
  label: string | null;
  note: string | null;
  data: Record<string, unknown> | null;
  duration_ms: number;
  created_at: string;
  annotator: string;
  session_id: string;
  guideline_version: string;
  task: string;
  /** this session's previous decision on the same item (the kernel commits this one only
   * after that one: messages may reach it on two threads; docs/protocol.md) */
  after?: string | null;
}

/** The state of an item as far as the view is concerned (committed or local). */
export interface ItemState {
  action: string;
  label?: string | null;
  note?: string | null;
  data?: Record<string, unknown> | null;
}

/** Fields every queue entry carries, whatever the widget kind. */
export interface BaseItem {
  qi: number;
  item_id: string;
  content_hash: string;
  decision?: ItemState | null;
  reasons?: string[];
  [key: string]: unknown;
}

export interface ClassificationItem extends BaseItem {
  text: string;
  model_label: string | null;
  confidence: number | null;
  proba: Record<string, number> | null;
}

/* ---- kernel -> browser ---- */

export interface ItemsMessage<I extends BaseItem = BaseItem> {
  type: "items";
  req?: string | null;
  start: number;
  items: I[];
  queue_length?: number;
}

export interface AckMessage {
  type: "ack";
  ids?: string[];
  errors?: Record<string, string>;
}

export interface ExternalMessage {
  type: "external";
  decision: Decision;
  /** false: the decision does not move the view on (a rating); default true */
  advance?: boolean;
}

export interface ResetMessage {
  type: "reset";
  /** optional: where the cursor goes in the new queue (default 0) */
  cursor?: number;
  /** optional: the new queue length (otherwise the `queue_length` traitlet / next items) */
  queue_length?: number;
}

export type KernelMessage<I extends BaseItem = BaseItem> =
  | ItemsMessage<I>
  | AckMessage
  | ExternalMessage
  | ResetMessage;

/* ---- browser -> kernel ---- */

export interface HelloMessage {
  type: "hello";
  pending: Decision[];
}
export interface FetchMessage {
  type: "fetch";
  req: string;
  start: number;
  count: number;
}
export interface DecideMessage {
  type: "decide";
  decisions: Decision[];
}
export type BrowserMessage = HelloMessage | FetchMessage | DecideMessage;

/** The synced traitlets every review widget has (read-only for the browser). */
export interface ReviewTraits {
  kind: string;
  store_id: string;
  session_id: string;
  annotator: string;
  guideline_version: string;
  labels: string[];
  config: Record<string, unknown>;
  total: number;
  done: number;
  queue_length: number;
  counts: Record<string, number>;
  agreement: number | null;
  [key: string]: unknown;
}
