/**
 * Shapes shared by every review widget. They mirror docs/protocol.md and the
 * TypedDicts of hitl_widgets/widgets/_protocol.py exactly (tests/test_protocol_contract.py
 * checks that both sides list the same messages and fields); change them together.
 */

/**
 * A decision's action. The names (and the statuses they lead to) come from the kernel's
 * vocabulary (`config.vocabulary`, defaults in lib/fold.ts); besides those, every kind
 * takes "undo" and "note".
 */
export type Action = string;

/** A decision as sent to the kernel (self-contained: a later kernel can write it). */
export interface Decision {
  id: string;
  item_id: string;
  content_hash: string;
  qi: number;
  action: Action;
  label: string | null;
  note: string | null;
  data: Record<string, unknown> | null;
  duration_ms: number | null;
  created_at: string;
  annotator: string;
  session_id: string;
  guideline_version: string;
  task: string;
  /** this session's previous decision on the same item (the kernel commits this one only
   * after that one: messages may reach it on two threads; docs/protocol.md) */
  after?: string | null;
  /** a decision made from Python carries the model's output it was made on */
  model_label?: string | null;
  confidence?: number | null;
}

/** An item's stored state for this annotator, as the kernel sends it with the item. */
export interface ItemDecision {
  action: string | null;
  status: string | null;
  label: string | null;
  note: string | null;
  ratings: Record<string, unknown> | null;
  /** the verdict's data (an edit's text, a pair's choice) */
  data: Record<string, unknown> | null;
}

/** The kernel's verdict on a decision about a gold item (docs/protocol.md: `ack.feedback`). */
export interface GoldFeedback {
  item_id: string;
  gold: boolean;
  correct: boolean;
  given: string | null;
  expected: string | null;
  /** the guideline passage about the expected answer (markdown; may be empty) */
  passage: string;
  /** what the person saw of the gold item (the feedback is read after moving on) */
  text?: string;
}

/** The state of an item as far as the view is concerned (committed or local). */
export interface ItemState {
  action: string;
  /** the status the fold gives (`accepted`, `rated`, ...); the kernel's payload carries it too */
  status?: string | null;
  label?: string | null;
  note?: string | null;
  data?: Record<string, unknown> | null;
  /** the ratings in effect (lib/fold.ts keeps them apart from the verdict) */
  ratings?: Record<string, unknown> | null;
}

/** Fields every queue entry carries, whatever the widget kind. */
export interface BaseItem {
  qi: number;
  item_id: string;
  content_hash: string;
  decision?: ItemState | ItemDecision | null;
  reasons?: string[];
  /** indices into the `items` message's binary buffers (e.g. an image's bytes) */
  buffers?: number[];
  /** those buffers, put here by the client when the message arrives */
  binary?: BinaryPart[];
  [key: string]: unknown;
}

/** A binary buffer of a message, as the widget manager hands it over. */
export type BinaryPart = DataView | ArrayBuffer | ArrayBufferView;

export interface ClassificationItem extends BaseItem {
  text: string;
  model_label: string | null;
  confidence: number | null;
  proba: Record<string, number> | null;
}

export interface ImageItem extends BaseItem {
  /** the file name, for an image given as a path */
  name: string | null;
  /** the original's size in pixels (the EXIF orientation not applied) */
  width: number;
  height: number;
  model_label: string | null;
  confidence: number | null;
  proba: Record<string, number> | null;
  fields?: [string, string][];
  /** the image as sent (its bytes are `binary[0]`): a preview when `scale` < 1 */
  image: { mime: string; width: number; height: number; scale: number; bytes: number } | null;
  /** why the image could not be sent (a file changed or gone since validation) */
  image_error?: string;
}

/** A model box of a box-review entry (ORIGINAL image pixels). */
export interface BoxItemBox {
  id: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  label: string;
  score: number | null;
}

/** A box-review entry (a task): a whole image, or one label / one tile of it. */
export interface BoxItem extends BaseItem {
  image_id: string;
  name: string | null;
  /** the original's size in pixels */
  width: number;
  height: number;
  /** the image as sent (its bytes are `binary[0]`): a preview when `scale` < 1 */
  image: { mime: string; width: number; height: number; scale: number; bytes: number } | null;
  image_error?: string;
  /** the model's boxes of this task */
  boxes: BoxItemBox[];
  /** the image's other model boxes (other tasks): shown faint, never editable */
  context: { x1: number; y1: number; x2: number; y2: number; label: string }[];
  task: { label: string | null; region: [number, number, number, number] | null; part: number; parts: number };
  fields?: [string, string][];
}

/** An image as sent (its bytes are a message's binary buffer, never in the JSON):
 * `scale` is sent pixels per original pixel (1: the original; < 1: a preview). */
export interface SentImage {
  mime: string;
  width: number;
  height: number;
  scale: number;
  bytes: number;
}

/** An audio clip as sent: its bytes are a message's buffer (never in the JSON). */
export interface SentClip {
  mime: string;
  bytes: number;
}

/* ---- kernel -> browser ---- */

export interface ItemsMessage<I extends BaseItem = BaseItem> {
  type: "items";
  req: string | null;
  start: number;
  items: I[];
  queue_length: number;
}

export interface AckMessage {
  type: "ack";
  ids: string[];
  errors: Record<string, string>;
  /** decision id -> feedback, for decisions on gold items */
  feedback?: Record<string, GoldFeedback>;
}

export interface ExternalMessage {
  type: "external";
  decision: Decision;
  /** false: the decision does not move the view on (a rating); default true */
  advance?: boolean;
  feedback?: Record<string, GoldFeedback>;
}

export interface ResetMessage {
  type: "reset";
  /** optional: where the cursor goes in the new queue (default 0) */
  cursor?: number;
  /** optional: the new queue length (otherwise the `queue_length` traitlet / next items) */
  queue_length?: number;
}

/** The store cannot be written right now (locked, unreachable), or is again ("ok"). */
export interface StatusMessage {
  type: "status";
  level: "ok" | "waiting" | "error";
  text: string;
}

/** The answer to a seek: the next entry after `start` not decided (queue length: none). */
export interface SeekReply {
  type: "seek";
  req: string;
  qi: number;
}

/** This review's decisions as a file to download (the answer to an export). */
export interface ExportReply {
  type: "export";
  req: string;
  filename: string;
  mime: string;
  text: string;
  rows: number;
}

/** The answer to an image request: the original (`scale` 1), its bytes the reply's
 * buffer 0; or `image` null and `image_error` saying why. */
export interface ImageReply {
  type: "image";
  req: string;
  item_id: string;
  image: SentImage | null;
  image_error?: string;
}

/** The answer to a clip request: the clip's bytes as the reply's buffer 0; or `audio`
 * null and `audio_error` saying why. */
export interface ClipReply {
  type: "clip";
  req: string;
  item_id: string;
  audio: SentClip | null;
  audio_error?: string;
}

export type KernelMessage<I extends BaseItem = BaseItem> =
  | ItemsMessage<I>
  | AckMessage
  | ExternalMessage
  | ResetMessage
  | StatusMessage
  | SeekReply
  | ExportReply
  | ImageReply
  | ClipReply
  | ProfileReply;

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
/** Where is the next entry after `start` that this annotator has not decided? */
export interface SeekMessage {
  type: "seek";
  req: string;
  start: number;
}
/** This review's decisions as a file to download. */
export interface ExportMessage {
  type: "export";
  req: string;
  format: "csv" | "jsonl";
}
/** The full-resolution original of one served item's image (a preview was magnified). */
export interface ImageMessage {
  type: "image";
  req: string;
  item_id: string;
}
/** The bytes of one served audio clip its item left out (`audio.deferred`: a long clip). */
export interface ClipMessage {
  type: "clip";
  req: string;
  item_id: string;
}
export type BrowserMessage = HelloMessage | FetchMessage | DecideMessage | SeekMessage | ExportMessage | ImageMessage | ClipMessage | ProfileMessage;

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

/** An audio-review entry (hitl_widgets/widgets/audio.py): `binary[0]` the clip's encoded
 * bytes (`audio.mime`), `binary[1]` its peaks (2*n little-endian float32: n minima, then
 * n maxima). */
export interface AudioItem extends BaseItem {
  name: string | null;
  /** seconds */
  duration: number;
  sample_rate: number;
  channels: number;
  model_label: string | null;
  confidence: number | null;
  proba: Record<string, number> | null;
  fields?: [string, string][];
  /** the model's transcript */
  transcript: string | null;
  /** the model's confidence per whitespace-separated word of `transcript` */
  word_confidence?: number[] | null;
  /** the model's regions, seconds */
  regions: { id: string; start: number; end: number; label: string }[];
  /** `deferred`: the bytes were left out of the item (a long clip): ask with `requestClip` */
  audio: { mime: string; bytes: number; deferred?: boolean } | null;
  audio_error?: string;
  peaks: { per_second: number; samples_per_bucket?: number; n: number; buffer: number } | null;
}

/* ---- the profile form (lib/profileform.ts; `config.profile_form`) ---- */

/** The annotator's answers to the profile form: one value per field ("prefer not to say"
 * where they chose not to answer), `consent` the box; `skip`: skipped (nothing stored). */
export interface ProfileMessage {
  type: "profile";
  req: string;
  values: Record<string, string>;
  consent: boolean;
  skip?: boolean;
}

/** The answer to a profile message: `saved`, or not and `error` saying why. */
export interface ProfileReply {
  type: "profile";
  req: string;
  saved: boolean;
  error?: string;
}
