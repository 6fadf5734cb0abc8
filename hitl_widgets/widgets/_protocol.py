"""The messages between a review widget's kernel side and its browser side, typed.

These TypedDicts mirror the interfaces of ``js/src/lib/types.ts`` field for field
(``tests/test_protocol_contract.py`` checks both list the same messages and fields) and
are described in ``docs/protocol.md``. What the browser sends is untrusted: `parse_decision`
checks every field of one decision on its own, so one malformed decision is refused
with its reason while the good ones in the same message are stored and acknowledged.
"""

# (no `from __future__ import annotations`: TypedDict needs real annotations to tell
# NotRequired fields apart on Python 3.11)
import math
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

MAX_ID = 200  # characters of an id (decision, item, session)
MAX_TEXT = 100_000  # characters of a note or a label
MAX_DURATION_MS = 7 * 24 * 3600 * 1000.0


class Decision(TypedDict):
    """A decision as the browser sends it (self-contained: a later kernel can store it)."""

    id: str
    item_id: str
    content_hash: str
    qi: int
    action: str
    label: str | None
    note: str | None
    data: dict[str, Any] | None
    duration_ms: float | None
    created_at: str
    annotator: str
    session_id: str
    guideline_version: str
    task: str
    # this session's previous decision on the same item: committed only after that one
    after: NotRequired[str | None]
    # a decision made from Python carries the model's output it was made on
    model_label: NotRequired[str | None]
    confidence: NotRequired[float | None]


class ItemDecision(TypedDict):
    """An item's stored state for this annotator, as sent with the item."""

    action: str | None
    status: str | None
    label: str | None
    note: str | None
    ratings: dict[str, Any] | None
    data: dict[str, Any] | None


class GoldFeedback(TypedDict):
    """The kernel's verdict on a decision about a gold item."""

    item_id: str
    gold: bool
    correct: bool
    given: str | None
    expected: str | None
    passage: str
    text: NotRequired[str]


# -- browser -> kernel -------------------------------------------------------------


class HelloMessage(TypedDict):
    type: Literal["hello"]
    pending: list[Decision]


class FetchMessage(TypedDict):
    type: Literal["fetch"]
    req: str
    start: int
    count: int


class DecideMessage(TypedDict):
    type: Literal["decide"]
    decisions: list[Decision]


class SeekMessage(TypedDict):
    """Where is the next entry after `start` that this annotator has not decided?"""

    type: Literal["seek"]
    req: str
    start: int


class ExportMessage(TypedDict):
    """This review's decisions as a file to download."""

    type: Literal["export"]
    req: str
    format: Literal["csv", "jsonl"]


class ImageMessage(TypedDict):
    """The full-resolution original of one served item's image (its `items` message
    carried a preview: ``image.scale`` < 1)."""

    type: Literal["image"]
    req: str
    item_id: str


class ClipMessage(TypedDict):
    """The bytes of one served audio clip that its `items` message left out (a long
    clip: ``audio.deferred``; its waveform's peaks came with the item)."""

    type: Literal["clip"]
    req: str
    item_id: str


class ProfileMessage(TypedDict):
    """The annotator's answers to the profile form (``config.profile_form``): one value
    per field, "prefer not to say" where they chose not to answer; `consent` the box.
    ``skip``: the person skipped the form (nothing is stored; it does not come back)."""

    type: Literal["profile"]
    req: str
    values: dict[str, str]
    consent: bool
    skip: NotRequired[bool]


# -- kernel -> browser -------------------------------------------------------------


class ItemsMessage(TypedDict):
    type: Literal["items"]
    req: str | None
    start: int
    items: list[dict[str, Any]]
    queue_length: int


class AckMessage(TypedDict):
    type: Literal["ack"]
    ids: list[str]
    errors: dict[str, str]
    feedback: NotRequired[dict[str, GoldFeedback]]


class ExternalMessage(TypedDict):
    type: Literal["external"]
    decision: Decision
    advance: NotRequired[bool]
    feedback: NotRequired[dict[str, GoldFeedback]]


class ResetMessage(TypedDict):
    type: Literal["reset"]
    cursor: NotRequired[int]
    queue_length: NotRequired[int]


class SeekReply(TypedDict):
    """The answer to a seek: the queue index, or the queue length when none is left."""

    type: Literal["seek"]
    req: str
    qi: int


class ExportReply(TypedDict):
    type: Literal["export"]
    req: str
    filename: str
    mime: str
    text: str
    rows: int


class SentImage(TypedDict):
    """An image as sent: its bytes are a message's buffer (never in the JSON);
    ``scale`` is sent pixels per original pixel (1: the original; < 1: a preview)."""

    mime: str
    width: int
    height: int
    scale: float
    bytes: int


class ImageReply(TypedDict):
    """The answer to an image request: the original (``scale`` 1) as the reply's
    buffer 0, or ``image`` None and ``image_error`` saying why."""

    type: Literal["image"]
    req: str
    item_id: str
    image: SentImage | None
    image_error: NotRequired[str]


class SentClip(TypedDict):
    """An audio clip as sent: its bytes are a message's buffer (never in the JSON)."""

    mime: str
    bytes: int


class ClipReply(TypedDict):
    """The answer to a clip request: the clip's bytes as the reply's buffer 0, or
    ``audio`` None and ``audio_error`` saying why."""

    type: Literal["clip"]
    req: str
    item_id: str
    audio: SentClip | None
    audio_error: NotRequired[str]


class StatusMessage(TypedDict):
    """The store cannot be written right now (locked, unreachable): what is happening
    and what to do. ``level`` "ok" clears an earlier one."""

    type: Literal["status"]
    level: Literal["ok", "waiting", "error"]
    text: str


class ProfileReply(TypedDict):
    """The answer to a profile message: ``saved`` (a new profile version is in the
    store), or not and ``error`` saying why (nothing was stored)."""

    type: Literal["profile"]
    req: str
    saved: bool
    error: NotRequired[str]


BROWSER_MESSAGES = {
    "hello": HelloMessage,
    "fetch": FetchMessage,
    "decide": DecideMessage,
    "seek": SeekMessage,
    "export": ExportMessage,
    "image": ImageMessage,
    "clip": ClipMessage,
    "profile": ProfileMessage,
}
KERNEL_MESSAGES = {
    "items": ItemsMessage,
    "ack": AckMessage,
    "external": ExternalMessage,
    "reset": ResetMessage,
    "status": StatusMessage,
    "seek": SeekReply,
    "export": ExportReply,
    "image": ImageReply,
    "clip": ClipReply,
    "profile": ProfileReply,
}
#: Every message and record type, by the name the TypeScript side gives it.
SHAPES: dict[str, type] = {
    "Decision": Decision,
    "ItemDecision": ItemDecision,
    "GoldFeedback": GoldFeedback,
    "HelloMessage": HelloMessage,
    "FetchMessage": FetchMessage,
    "DecideMessage": DecideMessage,
    "ItemsMessage": ItemsMessage,
    "AckMessage": AckMessage,
    "ExternalMessage": ExternalMessage,
    "ResetMessage": ResetMessage,
    "StatusMessage": StatusMessage,
    "SeekMessage": SeekMessage,
    "ExportMessage": ExportMessage,
    "SeekReply": SeekReply,
    "ExportReply": ExportReply,
    "ImageMessage": ImageMessage,
    "ImageReply": ImageReply,
    "SentImage": SentImage,
    "SentClip": SentClip,
    "ClipMessage": ClipMessage,
    "ClipReply": ClipReply,
    "ProfileMessage": ProfileMessage,
    "ProfileReply": ProfileReply,
}


class BadDecision(ValueError):
    """A decision the kernel refuses for good (the browser is told why and drops it)."""


def decision_id(raw: Any) -> str | None:
    """The id of a raw decision, or None when it has none it could be answered by."""
    if isinstance(raw, Mapping):
        i = raw.get("id")
        if isinstance(i, str) and 0 < len(i) <= MAX_ID:
            return i
    return None


def _text(raw: Mapping[str, Any], name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    v = raw.get(name)
    if v is None or (v == "" and not required):
        if required:
            raise BadDecision(f"{name} is missing")
        return None
    if not isinstance(v, str):
        raise BadDecision(f"{name} must be text, got {type(v).__name__}")
    if required and not v:
        raise BadDecision(f"{name} is empty")
    if len(v) > limit:
        raise BadDecision(f"{name} is longer than {limit} characters")
    return v


def parse_decision(raw: Any, actions: frozenset[str], kind: str = "this") -> Decision:
    """Check one decision from the browser field by field; raise BadDecision naming the
    field. `actions`: the actions this review kind accepts."""
    if not isinstance(raw, Mapping):
        raise BadDecision(f"a decision must be an object, got {type(raw).__name__}")
    action = _text(raw, "action", required=True, limit=40)
    if action not in actions:
        raise BadDecision(
            f"unknown action {action!r}: it does not apply to a {kind} review, "
            f"which takes {', '.join(sorted(str(a) for a in actions))}"
        )
    data = raw.get("data")
    if data is not None and not isinstance(data, Mapping):
        raise BadDecision(f"data must be an object, got {type(data).__name__}")
    dur = raw.get("duration_ms")
    if dur is not None:
        if (
            isinstance(dur, bool)
            or not isinstance(dur, (int, float))
            or not math.isfinite(dur)
            or not 0 <= dur <= MAX_DURATION_MS
        ):
            raise BadDecision(f"duration_ms must be a number of milliseconds, got {dur!r}")
        dur = float(dur)
    conf = raw.get("confidence")
    if conf is not None and (
        isinstance(conf, bool) or not isinstance(conf, (int, float)) or not math.isfinite(conf)
    ):
        raise BadDecision(f"confidence must be a number, got {conf!r}")
    qi = raw.get("qi")
    if qi is not None and (isinstance(qi, bool) or not isinstance(qi, int)):
        raise BadDecision(f"qi must be an integer, got {qi!r}")
    d: Decision = {
        "id": _text(raw, "id", required=True, limit=MAX_ID) or "",
        "item_id": _text(raw, "item_id", required=True, limit=MAX_TEXT) or "",
        "content_hash": _text(raw, "content_hash", limit=MAX_ID) or "",
        "qi": -1 if qi is None else int(qi),
        "action": str(action),
        "label": _text(raw, "label"),
        "note": _text(raw, "note"),
        "data": dict(data) if data is not None else None,
        "duration_ms": dur,
        "created_at": _text(raw, "created_at", limit=64) or "",
        "annotator": _text(raw, "annotator", limit=MAX_ID) or "",
        "session_id": _text(raw, "session_id", limit=MAX_ID) or "",
        "guideline_version": _text(raw, "guideline_version", limit=MAX_ID) or "",
        "task": _text(raw, "task", limit=MAX_ID) or "",
        "after": _text(raw, "after", limit=MAX_ID),
        "model_label": _text(raw, "model_label"),
        "confidence": None if conf is None else float(conf),
    }
    if d["created_at"]:
        _check_time(d["created_at"])
    return d


def _check_time(value: str) -> None:
    from datetime import datetime

    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadDecision(f"created_at must be an ISO-8601 time, got {value!r}") from None


def parse_profile(
    values: Any, consent: Any, form: Mapping[str, list[str] | None], *, prefer_not: str, max_text: int
) -> dict[str, str]:
    """Check the answers of a profile message against the form offered (`form`: field ->
    its choices, or None for free text); raise ValueError saying why (nothing is stored
    then). A choice field takes one of its choices or `prefer_not`; a free-text field
    takes text of at most `max_text` characters (stripped; empty is `prefer_not`). The
    values are data: compared and stored, never evaluated. Returns them in the form's order."""
    if not isinstance(consent, bool):
        raise ValueError(f"consent must be true or false, got {type(consent).__name__}")
    if not consent:
        raise ValueError("nothing stored: a profile is kept only with your consent (tick the box, or Skip)")
    if not isinstance(values, Mapping):
        raise ValueError(f"values must be an object of field to answer, got {type(values).__name__}")
    unknown = [k for k in values if k not in form]
    if unknown:
        shown = ", ".join(repr(str(k)[:64]) for k in unknown[:5])
        raise ValueError(f"unknown field(s) {shown}: the form asks for {', '.join(map(repr, form))}")
    out: dict[str, str] = {}
    for name, choices in form.items():
        if name not in values:
            continue
        v = values[name]
        if not isinstance(v, str):
            raise ValueError(f"{name}: an answer must be text, got {type(v).__name__}")
        if choices is None:
            if len(v) > max_text:
                raise ValueError(f"{name}: at most {max_text} characters, got {len(v)}")
            v = v.strip() or prefer_not
        elif v != prefer_not and v not in choices:
            raise ValueError(f"{name}: {v[:100]!r} is not one of the choices offered")
        out[name] = v
    return out
