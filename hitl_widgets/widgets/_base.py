"""The anywidget base every review kind shares: the request/reply protocol, commits
before acknowledgements, prefetch paging, timing, annotator and guideline stamps, gold
feedback, and the Python actions (`skip()`, `undo()`, ...) that script a review.

The protocol is written down in docs/protocol.md and typed in `_protocol.py`; the
options every kind takes are in `_options.py`. A new review kind subclasses
`ReviewWidget` with its items (``hitl_widgets/items/<kind>.py``) and supplies
`_check_decision` and `_event_fields` (what a decision means for that kind), its
actions, and `_answer_of` (what a decision answers, for gold items).
"""

from __future__ import annotations

import contextlib
import getpass
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

import anywidget
import numpy as np
import pandas as pd
import traitlets

from ..annotators import PREFER_NOT_TO_SAY, group_of, has_profile, profile
from ..queue import ClaimQueue, ReviewQueue, session_queue
from ..store import Action, ItemState, Store, StoreError, fold, utc_now, vocabulary
from ._options import MAX_PAGE, MAX_PROFILE_TEXT, Options
from ._protocol import (
    AckMessage,
    BadDecision,
    Decision,
    ExternalMessage,
    GoldFeedback,
    ItemDecision,
    ProfileReply,
    decision_id,
    parse_decision,
    parse_profile,
)
from ._tally import Tally

if TYPE_CHECKING:
    from ..items.image import ImageData

STATIC = Path(__file__).resolve().parent.parent / "static"

__all__ = ["MAX_PAGE", "STATIC", "ContentChangedError", "ReviewItems", "ReviewWidget"]

ItemKey = tuple[str, str]  # (item_id, content_hash): one item version for this annotator


class ContentChangedError(ValueError):
    """An item id already in the store now has other content."""


class ReviewItems(Protocol):
    """What a kind's validated items offer the widget (``hitl_widgets.items``)."""

    kind: ClassVar[str]

    def __len__(self) -> int: ...
    def item_id(self, pos: int) -> str: ...
    def positions_of(self, item_ids: list[str]) -> np.ndarray: ...
    def hash(self, pos: int) -> str: ...
    def payload(self, pos: int) -> dict[str, Any]: ...


ItemsT = TypeVar("ItemsT", bound=ReviewItems)


def guideline_passage(text: str, label: str, limit: int = 600) -> str:
    """The guideline section about `label`: the text under the first markdown heading
    that names it (or the first paragraph that does), at most `limit` characters."""
    if not text:
        return ""
    lines = text.splitlines()
    low = label.lower()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#") and low in line.lower():
            level = len(line) - len(line.lstrip("#"))
            body = []
            for nxt in lines[i + 1 :]:
                if nxt.lstrip().startswith("#") and len(nxt) - len(nxt.lstrip("#")) <= level:
                    break
                body.append(nxt)
            return "\n".join([line, *body]).strip()[:limit]
    for para in text.split("\n\n"):
        if low in para.lower():
            return para.strip()[:limit]
    return ""


def _default_annotator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no user database (some containers)
        return "annotator"


class ReviewWidget(anywidget.AnyWidget, Generic[ItemsT]):
    """Base class of review widgets (generic in the kind's items); not used directly."""

    kind = traitlets.Unicode("").tag(sync=True)
    store_id = traitlets.Unicode("").tag(sync=True)
    session_id = traitlets.Unicode("").tag(sync=True)
    annotator = traitlets.Unicode("").tag(sync=True)
    guideline_version = traitlets.Unicode("").tag(sync=True)
    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    config = traitlets.Dict().tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)
    done = traitlets.Int(0).tag(sync=True)
    queue_length = traitlets.Int(0).tag(sync=True)
    counts = traitlets.Dict().tag(sync=True)
    agreement = traitlets.Float(None, allow_none=True).tag(sync=True)
    guideline_text = traitlets.Unicode("").tag(sync=True)

    #: the actions this kind accepts (besides skip, undo and note, which every kind has)
    kind_actions: ClassVar[frozenset[str]] = frozenset()
    #: fields of an item's payload that are the model's output (hidden in blind mode)
    model_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        items: ItemsT,
        opts: Options,
        *,
        gold: np.ndarray | None = None,
        scores: Any = None,
        config: Mapping[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        # Validation is done (in the subclass) before the store is touched: bad input
        # writes nothing. Opening creates the file only now.
        self._lock = threading.RLock()
        self._items: ItemsT = items
        self._opts = opts
        self._task = opts.task
        self._annotator = _default_annotator() if opts.annotator is None else opts.annotator
        self._actions = frozenset(str(a) for a in self.kind_actions | {Action.SKIP, Action.UNDO, Action.NOTE})
        self._served: dict[str, int] = {}  # item_id -> row, for every item sent out
        self._items_sent = False  # whether the browser was answered a fetch yet
        self._in_frame: dict[ItemKey, bool] = {}
        store = opts.store
        self._store = store if isinstance(store, Store) else Store(store)
        self._own_store = not isinstance(store, Store)
        if self._store.on_wait is None:  # a locked or unreachable store: tell the person
            self._store.on_wait = self._store_waiting
        self._store_trouble = False  # a status message is showing in the browser
        self._applied: set[str] = set()  # event ids folded into this view (never twice)
        self._states: dict[ItemKey, ItemState] = {}
        pending = self._load_states(opts.on_changed, opts.revisit)
        # this person's share: what they decided before (not queued again) and their queue;
        # with overlap or gold sampling that is less than the frame (the header counts it)
        self._decided_before = int((~pending).sum())
        self._gold = gold  # object array: the right answer per row, None where not gold
        self._blind = bool(opts.blind)
        # group quotas: this annotator's group, read once from their profile
        quota = opts.group_quota
        group = group_of(self._store, self._annotator, quota["by"]) if quota else None
        self._queue: ReviewQueue = session_queue(
            len(items),
            pending,
            order=opts.order,
            scores=scores,
            gold=gold,
            gold_rate=opts.gold_rate,
            seed=opts.seed,
            annotator=self._annotator,
            overlap=opts.overlap,
            ids_of=lambda pos: [items.item_id(int(p)) for p in pos],
            claim=lambda ids, limit: self._store.claim(
                self._task,
                self._annotator,
                ids,
                k=opts.overlap or 1,
                limit=limit,
                ttl=opts.claim_ttl,
                group=group,
                quotas=quota["quotas"] if quota else None,
            ),
            group_by=self._queue_groups(items),
        )
        self._guideline_text = opts.guideline or ""
        guideline_version = opts.guideline_version
        if opts.guideline is not None:  # a new text makes a new version, stamped on decisions
            guideline_version = self._store.guideline_version(self._task, opts.guideline)
        self.last_feedback: GoldFeedback | None = None
        self._rejected: set[str] = set()  # decision ids refused for good (never stored)
        self.deferred = 0  # decisions held back until the one they follow was stored
        self._cursor = 0  # the kernel's own cursor, for the Python actions
        self._skipped_here: set[int] = set()  # queue indices skipped in this session
        self._done_here: set[int] = set()  # queue indices decided since this widget opened
        self._python_acted = False  # queue indices are in use by the Python actions
        self._session_decisions = 0  # decisions of this session stored (browser or Python)
        # this session's decisions still in effect, oldest first (browser's and Python's):
        # what undo() takes back
        self._session_log: list[tuple[ItemKey, int]] = []
        self.sent_messages = 0
        session_id = uuid.uuid4().hex
        cfg: dict[str, Any] = {
            "prefetch": opts.prefetch,
            "task": self._task,
            "show_model": True,
            "break_every": opts.break_every,
            "overlap": opts.overlap,
            "blind": self._blind,
            "vocabulary": vocabulary(self._actions),
        }
        cfg.update(config or {})
        # the profile form: once, when the store has no profile of this annotator yet
        form = opts.profile_form
        self._profile_due = isinstance(form, Mapping) and not has_profile(self._store, self._annotator)
        if self._profile_due and isinstance(form, Mapping):
            cfg["profile_form"] = {
                "fields": [{"name": k, "choices": v} for k, v in form.items()],
                "prefer_not": PREFER_NOT_TO_SAY,
                "max_text": MAX_PROFILE_TEXT,
            }
        if self._blind:  # the kernel never sends the model's answer, so none can anchor
            cfg["show_model"] = False
        self._tally = Tally()
        for key, st in self._states.items():
            if self._belongs(key):
                self._tally.add(st)
        super().__init__(
            kind=items.kind,
            store_id=self._store.store_id,
            session_id=session_id,
            annotator=self._annotator,
            guideline_version=str(guideline_version or ""),
            config=cfg,
            total=self._decided_before + self._queue_length(),
            queue_length=self._queue_length(),
            guideline_text=self._guideline_text,
            labels=labels or [],
        )
        self._refresh_counts()
        self.on_msg(self._on_msg)

    # -- the queue -------------------------------------------------------------
    def _queue_length(self) -> int:
        q = self._queue
        if isinstance(q, ClaimQueue) and not q.exhausted:
            return q.estimated_length()
        return len(q)

    def _sync_queue_length(self) -> int:
        qlen = self._queue_length()
        if qlen != self.queue_length:
            with self.hold_sync():
                self.queue_length = qlen
                self.total = self._decided_before + qlen
        return qlen

    def _public_payload(self, pos: int) -> dict[str, Any]:
        """The payload as sent: blind mode strips the model's output; gold is not told."""
        item = self._items.payload(pos)
        if self._blind:
            for key in self.model_fields:
                if key in item:
                    item[key] = None
        return item

    # -- hooks for each kind ----------------------------------------------
    def _check_decision(self, d: Decision, pos: int | None) -> None:
        """Raise ValueError when a decision makes no sense for this kind."""

    def _event_fields(self, d: Decision, pos: int | None) -> dict[str, Any]:
        """Kind-specific event columns (label_after, model_label, data...)."""
        return {}

    def _answer_of(self, ev: Mapping[str, Any]) -> str | None:
        """What a decision answers, compared with a gold item's known answer."""
        return None

    def _gold_text(self, pos: int) -> str:
        """A short reminder of a gold item in its feedback (what the person saw)."""
        return ""

    def _queue_groups(self, items: Any) -> np.ndarray | None:
        """One key per row that groups the session's queue (`queue.session_queue`'s
        `group_by`: each group in the order asked for), or None; default None."""
        return None

    def _item_buffers(self, items: list[dict[str, Any]]) -> list[bytes]:
        """Binary parts of a page (an image's bytes), sent as the `items` message's
        buffers, never inside its JSON. A kind that has some names them in each item's
        `buffers` (indices into the message's buffers); default none."""
        return []

    def _full_image(self, pos: int) -> ImageData | None:
        """Row `pos`'s image at full resolution (the browser asks for it when a preview
        is magnified); None: this kind has no images. A ValueError says why it cannot
        be sent (a file changed or gone since validation)."""
        return None

    def _committed(self, events: list[dict[str, Any]]) -> None:
        """Called once decisions are durable, before they are acknowledged: a kind that
        something waits on (an agent's held call) tells it here."""

    # -- a queue that grows while it is open (calls arriving from a running agent) ---------
    def _grow_queue(self, positions: list[int], *, push: bool = False) -> None:
        """Append row positions to this session's queue; the browser sees the new length
        (a traitlet) and fetches what it needs. `push`: send the new entries with it (a
        live queue: the person may be waiting on an empty queue for exactly this entry,
        and a fetch would add a round trip through the kernel to what they see)."""
        with self._lock:
            q = self._queue
            first = len(q)
            self._queue = ReviewQueue(np.concatenate([q.positions, np.asarray(positions, dtype=np.int64)]))
            if push:
                self._send_items(None, first, len(positions))
            self._sync_queue_length()

    def _external_event(self, ev: Mapping[str, Any]) -> None:
        """A decision made elsewhere on an item of this review (another process, the
        gate's timeout): fold it here and show it in the browser."""
        with self._lock:
            if ev["event_id"] in self._applied:
                return
            pos = self._position(str(ev["item_id"]))
            qi = self._qi_of(pos) if pos is not None else -1
            self._apply(ev, qi=qi)
            self._refresh_counts()
            d: Decision = {
                "id": str(ev["event_id"]),
                "item_id": str(ev["item_id"]),
                "content_hash": str(ev.get("content_hash") or ""),
                "qi": qi,
                "action": str(ev["action"]),
                "label": ev.get("label_after"),
                "note": ev.get("note"),
                "data": ev.get("data") if isinstance(ev.get("data"), dict) else None,
                "duration_ms": ev.get("duration_ms"),
                "created_at": str(ev.get("created_at") or utc_now()),
                "annotator": str(ev.get("annotator") or ""),
                "session_id": str(ev.get("session_id") or ""),
                "guideline_version": str(ev.get("guideline_version") or ""),
                "task": str(ev["task"]),
            }
            self._reply({"type": "external", "decision": d})

    # -- opening -------------------------------------------------------------
    def _load_states(self, on_changed: str, revisit: bool) -> np.ndarray:
        """This annotator's states in this task; return the mask of rows to review."""
        items = self._items
        pending = np.ones(len(items), dtype=bool)
        states = {
            (item_id, h): st
            for (_t, item_id, h, _a), st in self._store.states(self._task, annotator=self._annotator).items()
        }
        if not states:
            return pending
        ids = sorted({item_id for item_id, _ in states})
        pos = items.positions_of(ids)
        changed = []
        for item_id, p in zip(ids, pos, strict=True):
            if p < 0:
                continue
            h = items.hash(int(p))
            if (item_id, h) in states:
                st = states[(item_id, h)]
                self._states[(item_id, h)] = st
                if st.decided and not revisit:
                    pending[p] = False
            elif any(st.decided for (i2, _), st in states.items() if i2 == item_id):
                changed.append(item_id)
        if changed and on_changed == "error":
            shown = ", ".join(map(repr, changed[:5]))
            more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
            raise ContentChangedError(
                f"the content of {len(changed)} item(s) changed under the same id since they "
                f"were decided in store {self._store!r} (task {self._task!r}): {shown}{more}. "
                "Their old decisions are kept under the old content; pass on_changed='review' "
                "to review the new content as new items, or give the new rows new ids."
            )
        return pending

    # -- protocol --------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        # JupyterLab 4.6 + ipykernel 7 may deliver comm messages on a subshell thread
        # beside the main shell: one lock keeps commits, folds and replies in order.
        with self._lock:
            self._handle(content)

    def _send(self, msg: Any, buffers: Any = None) -> None:
        super()._send(msg, buffers)
        self._keep_replies_on_the_frontends_subshell()

    def _keep_replies_on_the_frontends_subshell(self) -> None:
        """ipykernel 7.4 routes a comm's next incoming message to the shell that last
        published on it, over the subshell the frontend chose. A publish from the agent's
        thread or from a cell (a new held call, `review.accept()`) counts as the main
        shell's, so the person's next key would wait behind whatever cell runs (measured:
        a held call shown only after a 30 s cell ended). Forget that route, so incoming
        messages go where the frontend sends them (its subshell for comms, JupyterLab 4)."""
        comm = getattr(self, "comm", None)
        lock = getattr(comm, "_reply_subshell_lock", None)
        if comm is None or lock is None:
            return
        with lock:
            if "_reply_subshell_id" in vars(comm):
                del comm._reply_subshell_id

    def _handle(self, content: dict[str, Any]) -> None:
        t = content.get("type")
        if t == "hello":
            self._commit_and_ack(_as_list(content.get("pending")), complete=True)
            self._drop_decided_from_queue()
            self._resume_view()
        elif t == "fetch":
            self._send_items(content.get("req"), content.get("start", 0), content.get("count", 8))
        elif t == "decide":
            self._commit_and_ack(_as_list(content.get("decisions")))
        elif t == "seek":
            self._reply(
                {
                    "type": "seek",
                    "req": str(content.get("req") or ""),
                    "qi": self._next_open(_as_int(content.get("start"), 0)),
                }
            )
        elif t == "export":
            self._send_export(str(content.get("req") or ""), content.get("format"))
        elif t == "image":
            self._send_full_image(content.get("req"), content.get("item_id"))
        elif t == "profile":
            self._save_profile(content)

    def _save_profile(self, content: Mapping[str, Any]) -> None:
        """Answer the profile form: store its answers as a new profile version (source
        "self", with the consent the person gave), or, on ``skip``, nothing; either way the
        form is not offered again in this session. Anything outside the form's choices is
        refused with the reason, and nothing is stored."""
        req = content.get("req")
        msg: ProfileReply = {"type": "profile", "req": req if isinstance(req, str) else "", "saved": False}
        form = self._opts.profile_form
        try:
            if not isinstance(form, Mapping):
                raise ValueError("this review offers no profile form")
            if not self._profile_due:
                raise ValueError("the profile form was already answered or skipped in this session")
            if content.get("skip") is True:
                self._end_profile_form()
                self._reply(msg)
                return
            values = parse_profile(
                content.get("values"),
                content.get("consent"),
                form,
                prefer_not=PREFER_NOT_TO_SAY,
                max_text=MAX_PROFILE_TEXT,
            )
            profile(self._store, self._annotator, values, source="self", consent=True)
        except (ValueError, StoreError) as exc:
            msg["error"] = str(exc)
            self._reply(msg)
            return
        self._end_profile_form()
        msg["saved"] = True
        self._reply(msg)

    def _end_profile_form(self) -> None:
        self._profile_due = False
        if "profile_form" in self.config:
            self.config = {k: v for k, v in self.config.items() if k != "profile_form"}

    def _send_full_image(self, req: Any, item_id: Any) -> None:
        """Answer an `image` request: the original of an item this widget served."""

        def original(pos: int) -> tuple[dict[str, Any], bytes]:
            full = self._full_image(pos)
            if full is None:
                raise ValueError(f"a {self.kind} review has no images")
            meta = {
                "mime": full.mime,
                "width": full.width,
                "height": full.height,
                "scale": 1,
                "bytes": len(full.data),
            }
            return meta, full.data

        self._send_served_bytes("image", "image", req, item_id, original)

    def _send_served_bytes(
        self,
        kind: str,
        field: str,
        req: Any,
        item_id: Any,
        get: Callable[[int], tuple[dict[str, Any], bytes]],
    ) -> None:
        """Answer a request for the bytes of an item this widget served (`image`, `clip`):
        ``{type, req, item_id, <field>: what get(pos) describes}`` with the bytes as the
        reply's buffer; or `<field>` None and ``<field>_error`` saying why (an item this
        widget did not send, a file changed or gone since validation). Never raised."""
        iid = item_id if isinstance(item_id, str) else ""
        msg: dict[str, Any] = {
            "type": kind,
            "req": req if isinstance(req, str) else "",
            "item_id": iid,
            field: None,
        }
        pos = self._served.get(iid) if iid else None
        try:
            if pos is None:
                raise ValueError(f"unknown item {str(item_id)[:200]!r}: this review did not send it")
            meta, data = get(pos)
        except Exception as exc:  # a file changed or gone since validation: say so
            msg[f"{field}_error"] = str(exc) or type(exc).__name__
            self._reply(msg)
            return
        msg[field] = meta
        self._reply(msg, [data])

    def _next_open(self, start: int) -> int:
        """The first queue entry at or after `start` this annotator has not decided (nor
        skipped in this session); the queue length when none is left."""
        qi = max(0, start)
        ensure = getattr(self._queue, "ensure", None)
        while True:
            if ensure is not None:
                ensure(qi + 1)
            if qi >= len(self._queue):
                return len(self._queue)
            if (
                qi not in self._done_here
                and qi not in self._skipped_here
                and not self._decided_at(self._queue.position(qi))
            ):
                return qi
            qi += 1

    def _resume_view(self) -> None:
        """A view opened again on a widget that was already used (a reopened tab, a second
        view of it) starts where the person stopped, not on an entry already decided."""
        if not self._done_here and not self._skipped_here:
            return
        qi = self._next_open(0)
        if qi > 0:
            self._reply({"type": "reset", "cursor": qi, "queue_length": self._sync_queue_length()})

    def _send_export(self, req: str, fmt: Any) -> None:
        """This review's decisions as CSV or JSON Lines, for the browser's download button."""
        import io
        import json as _json

        d = self.decisions()
        d = d.assign(decided_at=d["decided_at"].map(lambda t: t.isoformat() if pd.notna(t) else None))
        fmt = "jsonl" if fmt == "jsonl" else "csv"
        if fmt == "csv":
            flat = d.assign(
                ratings=d["ratings"].map(lambda r: _json.dumps(r) if r else None),
                data=d["data"].map(lambda r: _json.dumps(r) if r else None),
            )
            buf = io.StringIO()
            flat.to_csv(buf, index=False)
            text, mime = buf.getvalue(), "text/csv"
        else:
            text = "".join(
                _json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in d.to_dict("records")
            )
            mime = "application/x-ndjson"
        self._reply(
            {
                "type": "export",
                "req": req,
                "filename": f"{self._task}-decisions.{fmt}",
                "mime": mime,
                "text": text,
                "rows": len(d),
            }
        )

    def _causal_order(
        self, decisions: list[Decision], complete: bool
    ) -> tuple[list[Decision], list[Decision]]:
        """(ready in order, held back). A decision names in `after` the decision of its
        session on the same item that it follows (an undo, the one it undoes): it is
        committed only once that one is stored, or comes earlier in this batch, or was
        refused. Messages can reach the kernel on two threads (shell and subshell) and
        so out of the browser's order; a held-back decision is not acknowledged, so the
        browser sends it again (every 2 s) and it lands after the one it follows, which
        keeps the fold (the latest state wins; undo pops the last) right. `complete`: the
        batch holds every pending decision of the browser (hello), so an `after` that is
        neither stored nor in it was acknowledged or refused long ago: nothing to wait for."""
        wanted = {a for d in decisions if (a := d.get("after"))}
        in_batch = {d["id"] for d in decisions}
        stored = self._store.has_events(sorted(wanted - in_batch - self._rejected)) if wanted else set()
        ready: list[Decision] = []
        placed: set[str] = set()
        rest = list(decisions)
        while rest:
            later = []
            for d in rest:
                a = d.get("after")
                if (
                    not a
                    or a in placed
                    or a in stored
                    or a in self._rejected
                    or (complete and a not in in_batch)
                ):
                    ready.append(d)
                    placed.add(d["id"])
                else:
                    later.append(d)
            if len(later) == len(rest):  # waiting on something not in this batch
                break
            rest = later
        if complete and rest:  # a cycle cannot happen; never strand a decision on a hello
            ready.extend(rest)
            rest = []
        return ready, rest

    def _drop_decided_from_queue(self) -> None:
        """After a hello delivered decisions from an earlier session (a killed kernel, a
        closed tab), the fresh queue must not start on items they decided."""
        q = self._queue
        # only a fresh session's queue: once this session decided, its indices are in use
        if isinstance(q, ClaimQueue) or self._python_acted or self._session_decisions or not len(q):
            return
        keep = np.array([not self._decided_at(pos) for pos in q.positions], dtype=bool)
        if keep.all():
            return
        self._queue = ReviewQueue(q.positions[keep])
        self._decided_before += int((~keep).sum())
        self._cursor = 0
        self._done_here.clear()  # queue indices of the old queue
        self._skipped_here.clear()
        self._sync_queue_length()
        # Only a browser that already holds items needs to drop them; one that has not
        # been answered yet gets the new queue with its first fetch (a reset then would
        # make it discard that answer as stale).
        if self._items_sent:
            self._reply({"type": "reset", "cursor": 0, "queue_length": len(self._queue)})

    def _decided_at(self, pos: int) -> bool:
        st = self._states.get((self._items.item_id(int(pos)), self._items.hash(int(pos))))
        return st is not None and st.decided

    def _send_items(self, req: Any, start: Any, count: Any) -> None:
        try:
            start_i, count_i = int(start), min(int(count), MAX_PAGE)
        except (TypeError, ValueError):
            start_i, count_i = 0, 0
        out = []
        page = self._queue.page(start_i, count_i)
        states = {}
        for qi, pos in page:
            item = self._public_payload(pos)
            item["qi"] = qi
            self._served[item["item_id"]] = pos
            st = self._states.get((item["item_id"], item["content_hash"]))
            if st is not None and st.status is not None:
                states[qi] = st
            out.append(item)
        # what the browser shows of a stored decision: the state, and the data of its
        # verdict (an edit's text, a pair's choice), one query per page
        data = self._store.events_by_id([s.verdict_id for s in states.values() if s.verdict_id])
        for item in out:
            st = states.get(item["qi"])
            item["decision"] = None if st is None else self._decision_view(st, data)
        buffers = self._item_buffers(out)
        qlen = self._queue_length()
        self._items_sent = True
        # the page first, with the length: a browser that sees the length change (the
        # traitlet) before the page would fetch what is already on its way
        self._reply(
            {
                "type": "items",
                "req": req if isinstance(req, str) else None,
                "start": start_i,
                "items": out,
                "queue_length": qlen,
            },
            buffers,
        )
        self._sync_queue_length()

    @staticmethod
    def _decision_view(st: ItemState, events: Mapping[str, Mapping[str, Any]]) -> ItemDecision:
        ev = events.get(st.verdict_id or "") or {}
        data = ev.get("data") if isinstance(ev.get("data"), dict) else None
        return {
            "action": st.action,
            "status": st.status,
            "label": st.label,
            "note": st.note,
            "ratings": dict(st.ratings) if st.ratings else None,
            "data": data,
        }

    def _reply(self, msg: Mapping[str, Any], buffers: list[bytes] | None = None) -> None:
        self.sent_messages += 1
        if buffers:
            self.send(dict(msg), buffers)
        else:
            self.send(dict(msg))

    def _commit_and_ack(self, raw: list[Any], complete: bool = False) -> None:
        errors: dict[str, str] = {}
        parsed: list[Decision] = []
        for r in raw:
            rid = decision_id(r)
            if rid is None:  # nothing to answer it by: it can never be acknowledged
                continue
            try:
                parsed.append(parse_decision(r, self._actions, self.kind))
            except BadDecision as exc:
                errors[rid] = str(exc)
                self._rejected.add(rid)
        ready, held = self._causal_order(parsed, complete)
        self.deferred += len(held)
        events, ids, made = [], [], []
        for d in ready:
            try:
                events.append(self._to_event(d))
                ids.append(d["id"])
                made.append(d)
            except ValueError as exc:
                errors[d["id"]] = str(exc)
                self._rejected.add(d["id"])
        feedback: dict[str, GoldFeedback] = {}
        if events:
            try:
                self._store.append(events)  # committed (durable) before the ack
            except StoreError as exc:
                # nothing is acknowledged: the browser keeps these decisions and sends them
                # again; the person is told what happened and what to do
                self._status("error", str(exc))
                if errors:
                    self._reply({"type": "ack", "ids": [], "errors": errors})
                return
            if self._store_trouble:
                self._status("ok", "the store is back: decisions are saved again")
            self._committed(events)
            for ev, d in zip(events, made, strict=True):
                # a resend (or a write re-run after a lost connection) is folded once
                self._apply(ev, qi=d.get("qi", -1))
                fb = self._feedback(ev)
                if fb is not None:
                    feedback[ev["event_id"]] = fb
            self._refresh_counts()
        if ids or errors:
            msg: AckMessage = {"type": "ack", "ids": ids, "errors": errors}
            if feedback:
                msg["feedback"] = feedback
            self._reply(msg)

    def _store_waiting(self, text: str) -> None:
        self._status("waiting", text)

    def _status(self, level: str, text: str) -> None:
        self._store_trouble = level != "ok"
        self._reply({"type": "status", "level": level, "text": text})

    def _feedback(self, ev: Mapping[str, Any]) -> GoldFeedback | None:
        """Immediate feedback on a gold item: was it right, the right answer, the item
        itself (the feedback is read after moving on), and the guideline passage for the
        right answer."""
        data = ev.get("data")
        gold = data.get("gold") if isinstance(data, dict) else None
        if gold is None or ev["action"] in (Action.UNDO, Action.NOTE, Action.SKIP, Action.RATE):
            return None
        given = self._answer_of(ev)
        pos = self._position(ev["item_id"])
        fb: GoldFeedback = {
            "item_id": ev["item_id"],
            "gold": True,
            "correct": given == gold,
            "given": given,
            "expected": gold,
            "passage": guideline_passage(self._guideline_text, gold),
            "text": self._gold_text(pos)[:400] if pos is not None else "",
        }
        self.last_feedback = fb
        return fb

    def _to_event(self, d: Decision) -> dict[str, Any]:
        item_id = d["item_id"]
        pos = self._position(item_id)
        h = self._items.hash(pos) if pos is not None else d["content_hash"]
        if pos is not None and d["content_hash"] and d["content_hash"] != h:
            # Decided on content this frame no longer holds: keep it under its own hash.
            h, pos = d["content_hash"], None
        self._check_decision(d, pos)
        annotator = d["annotator"] or self.annotator
        st = self._states.get((item_id, h)) if annotator == self.annotator else None
        ev: dict[str, Any] = {
            "event_id": d["id"],
            "task": d["task"] or self._task,
            "kind": self.kind,
            "item_id": item_id,
            "content_hash": h,
            "action": d["action"],
            "label_before": st.label if st is not None else None,
            "label_after": None,
            "model_label": d.get("model_label"),
            "model_confidence": d.get("confidence"),
            "annotator": annotator,
            "created_at": d["created_at"] or utc_now(),
            "duration_ms": d["duration_ms"],
            "guideline_version": d.get("guideline_version", self.guideline_version),
            "session_id": d["session_id"] or None,  # (a decision names its session)
            "note": d["note"],
            "data": d["data"],
        }
        ev.update(self._event_fields(d, pos))
        idle = (d["data"] or {}).get("idle_ms")
        if isinstance(idle, (int, float)) and not isinstance(idle, bool) and idle > 0:
            # the idle time the browser left out of duration_ms, whatever the kind keeps
            ev["data"] = {**(ev["data"] if isinstance(ev.get("data"), dict) else {}), "idle_ms": float(idle)}
        if pos is not None and self._gold is not None and self._gold[pos] is not None:
            data = dict(ev["data"]) if isinstance(ev.get("data"), dict) else {}
            data["gold"] = str(self._gold[pos])
            ev["data"] = data
        if d["action"] == Action.UNDO:  # record which label the undo restores, for the audit log
            back = st.prev if st is not None else None
            ev["label_after"] = back.label if back is not None else None
        return ev

    def _position(self, item_id: str) -> int | None:
        p = self._served.get(item_id)
        if p is None:  # not sent by this widget (e.g. a resend from an older session)
            p = int(self._items.positions_of([item_id])[0])
            if p < 0:
                return None
            self._served[item_id] = p
        return p

    def _apply(self, ev: Mapping[str, Any], qi: int = -1) -> None:
        """Fold a committed event into this widget's view of its annotator's states."""
        if (
            ev["event_id"] in self._applied
            or ev.get("annotator") != self.annotator
            or ev["task"] != self._task
        ):
            return
        self._applied.add(ev["event_id"])
        key: ItemKey = (ev["item_id"], ev["content_hash"] or "")
        old = self._states.get(key)
        new = fold(old, ev)
        self._states[key] = new
        if not self._belongs(key):
            return
        self._tally.move(old, new)
        # a queue index sent by another session's browser (a hello) means nothing here
        if qi < 0 or ev.get("session_id") != self.session_id:
            pos = self._position(key[0])
            qi = self._qi_of(pos) if pos is not None else -1
        if qi >= 0:
            # a verdict moves the scripted cursor on; a rating alone keeps the item
            if new.decided and new.action is not None:
                self._done_here.add(qi)
            else:
                self._done_here.discard(qi)
        if ev.get("session_id") == self.session_id:
            self._session_decisions += 1
            self._log_session(key, ev["action"], qi)

    def _log_session(self, key: ItemKey, action: str, qi: int) -> None:
        """Keep this session's undo order (browser and Python decisions alike)."""
        if action == Action.UNDO:
            for i in range(len(self._session_log) - 1, -1, -1):
                if self._session_log[i][0] == key:
                    del self._session_log[i]
                    break
        elif action != Action.NOTE:
            self._session_log.append((key, qi))

    def _qi_of(self, pos: int) -> int:
        hits = np.flatnonzero(self._queue.positions == pos)
        return int(hits[0]) if len(hits) else -1

    def _refresh_counts(self) -> None:
        t = self._tally
        with self.hold_sync():  # one state message to the browser, not three
            self.counts = t.nonzero()
            self.done = t.done
            self.agreement = t.agreement

    def _belongs(self, key: ItemKey) -> bool:
        """Whether (item_id, content hash) is a row of this review's frame."""
        hit = self._in_frame.get(key)
        if hit is None:
            pos = self._position(key[0])
            hit = pos is not None and self._items.hash(pos) == key[1]
            self._in_frame[key] = hit
        return hit

    # -- Python actions (scripted review) -----------------------------------
    @property
    def current(self) -> dict[str, Any] | None:
        """The item the Python actions act on: the first in the queue that this
        annotator has not decided (here, in the browser, or in an earlier session)
        and that was not skipped in this session."""
        qi = self._current_qi()
        if qi is None:
            return None
        item = self._public_payload(self._queue.position(qi))
        item["qi"] = qi
        return item

    def _current_qi(self) -> int | None:
        qi = self._cursor
        ensure = getattr(self._queue, "ensure", None)
        while True:
            if ensure is not None:
                ensure(qi + 1)
            if qi < len(self._queue) and (qi in self._skipped_here or qi in self._done_here):
                qi += 1
                continue
            break
        if ensure is not None:
            self._sync_queue_length()
        self._cursor = qi
        return qi if qi < len(self._queue) else None

    def _decide_here(self, action: str, *, advance: bool = True, **fields: Any) -> dict[str, Any]:
        qi = self._current_qi()
        if qi is None:
            raise IndexError("the review queue is empty: every item has been handled")
        return self._decide_at(qi, action, advance=advance, **fields)

    def _decide_at(self, qi: int, action: str, *, advance: bool = True, **fields: Any) -> dict[str, Any]:
        """Decide on queue entry `qi` from Python. `advance=False` (e.g. a rating) keeps
        the item current, here and in the browser (the external message says so)."""
        with self._lock:
            self._python_acted = True
            pos = self._queue.position(qi)
            item = self._items.payload(pos)
            raw = {
                "id": uuid.uuid4().hex,
                "item_id": item["item_id"],
                "content_hash": item["content_hash"],
                "qi": qi,
                "action": action,
                "label": None,
                "note": None,
                "data": None,
                "duration_ms": None,
                "created_at": utc_now(),
                "annotator": self.annotator,
                "session_id": self.session_id,
                "guideline_version": self.guideline_version,
                "task": self._task,
                "model_label": item.get("model_label"),
                "confidence": item.get("confidence"),
            }
            raw.update(fields)
            try:
                d = parse_decision(raw, self._actions, self.kind)
            except BadDecision as exc:
                raise ValueError(str(exc)) from None
            ev = self._to_event(d)
            self._store.append([ev])  # a StoreError says what happened and what to do
            self._committed([ev])
            self._apply(ev, qi=qi)
            self._refresh_counts()
            fb = self._feedback(ev)
            if action == Action.SKIP:
                self._skipped_here.add(qi)
            elif action == Action.UNDO:
                self._skipped_here.discard(qi)
                self._cursor = min(self._cursor, qi)
            msg: ExternalMessage = {"type": "external", "decision": d}
            if not advance:
                msg["advance"] = False
            if fb is not None:  # a scripted gold answer gets the same feedback in the browser
                msg["feedback"] = {d["id"]: fb}
            self._reply(msg)
            return ev

    def skip(self, *, duration_ms: float | None = None) -> None:
        """Skip the current item (it stays undecided and comes back next session)."""
        self._decide_here(Action.SKIP, duration_ms=duration_ms)

    def flag(self, note: str | None = None, *, duration_ms: float | None = None) -> None:
        """Flag the current item as ambiguous, with an optional note."""
        self._decide_here(Action.FLAG, note=note, duration_ms=duration_ms)

    def undo(self) -> None:
        """Undo this session's last decision still in effect, whether it was made here or
        with the keys in the browser (the browser shows the item undone)."""
        with self._lock:
            if not self._session_log:
                raise IndexError("nothing to undo in this session")
            key, qi = self._session_log[-1]
            if qi < 0:
                raise IndexError(f"item {key[0]!r} is not in this review's queue: nothing to undo here")
            self._decide_at(qi, Action.UNDO)

    # -- reading -------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The store this review writes to."""
        return self._store

    def decisions(self, *, include_undecided: bool = False) -> pd.DataFrame:
        """One row per item of this review's task with its current human label and status."""
        return self._store.decisions(self._task, include_undecided=include_undecided)

    def events(self) -> pd.DataFrame:
        """The full audit log of this review's task."""
        return self._store.events(self._task)

    @property
    def remaining(self) -> int:
        """Queue entries not decided (here or in the browser) nor skipped in this session."""
        return len(self._queue) - len(self._skipped_here | self._done_here)

    def close(self) -> None:
        """Close the widget; undecided claims go back to the pool for other annotators."""
        if getattr(self, "_opts", None) is not None and self._opts.overlap is not None:
            with contextlib.suppress(Exception):  # closing must not fail
                self._store.release(self._task, self._annotator)
        super().close()
        if getattr(self, "_own_store", False):
            self._store.close()

    def __len__(self) -> int:
        return len(self._queue)


def _as_list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, (list, tuple)) else []


def _as_int(v: Any, default: int) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else default
