"""The anywidget base every review kind shares: the request/reply protocol, commits
before acknowledgements, prefetch paging, timing, annotator and guideline stamps, and
the Python actions (`accept()`, `skip()`, ...) that script a review.

The protocol is written down in docs/protocol.md. A new review kind subclasses
`ReviewWidget` and supplies `_payload` (what the browser shows for one row) and
`_check_decision` / `_event_fields` (what a decision means for that kind).
"""

from __future__ import annotations

import getpass
import threading
import uuid
from pathlib import Path
from typing import Any, Iterable, Mapping

import anywidget
import numpy as np
import pandas as pd
import traitlets

from ..queue import ClaimQueue, OrderSpec, ReviewQueue, build_order, interleave_gold, rotate_for
from ..store import ItemState, Store, fold_event, utc_now

STATIC = Path(__file__).resolve().parent.parent / "static"
MAX_PAGE = 200  # a browser may not pull more than this per request


class ContentChangedError(ValueError):
    """An item id already in the store now has other content."""


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


class ReviewWidget(anywidget.AnyWidget):
    """Base class of review widgets; not used directly."""

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

    def __init__(
        self,
        items: Any,
        *,
        store: str | Store,
        annotator: str | None,
        task: str,
        order: OrderSpec = None,
        scores: Any = None,
        guideline_version: str = "",
        prefetch: int = 32,
        on_changed: str = "error",
        revisit: bool = False,
        config: Mapping[str, Any] | None = None,
        overlap: int | None = None,
        claim_ttl: float = 900.0,
        blind: bool = False,
        guideline: str | None = None,
        gold: Any = None,
        gold_rate: float = 0.1,
        break_every: int | None = None,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        if overlap is not None and (not isinstance(overlap, int) or overlap < 1):
            raise ValueError(f"overlap must be a positive integer (ratings per item), got {overlap!r}")
        if break_every is not None and (not isinstance(break_every, int) or break_every < 1):
            raise ValueError(f"break_every must be a positive integer, got {break_every!r}")
        if guideline is not None and (not isinstance(guideline, str) or not guideline.strip()):
            raise ValueError("guideline must be non-empty markdown text")
        if on_changed not in ("error", "review"):
            raise ValueError(f"on_changed must be 'error' or 'review', got {on_changed!r}")
        if not isinstance(prefetch, int) or prefetch < 1 or prefetch > MAX_PAGE:
            raise ValueError(f"prefetch must be an integer in [1, {MAX_PAGE}], got {prefetch!r}")
        annotator = _default_annotator() if annotator is None else str(annotator)
        if not annotator.strip():
            raise ValueError("annotator must be a non-empty name")
        self._lock = threading.RLock()
        self._items = items
        self._task = str(task)
        self._annotator = annotator
        self._served: dict[str, int] = {}  # item_id -> row, for every item sent out
        self._items_sent = False  # whether the browser was answered a fetch yet
        self._in_frame: dict[tuple[str, str], bool] = {}
        # Validation is done (in the subclass) before the store is touched: bad input
        # writes nothing. Opening creates the file only now.
        self._store = store if isinstance(store, Store) else Store(store)
        self._own_store = not isinstance(store, Store)
        n = len(items)
        self._states: dict[tuple[str, str], ItemState] = {}
        self._stacks: dict[tuple[str, str], list[ItemState]] = {}
        pending = self._load_states(on_changed, revisit)
        # Gold items (known answers) are mixed in at gold_rate, never ordered as the rest.
        self._gold = gold  # object array: the right label per row, None where not gold
        self._blind = bool(blind)
        regular = pending if gold is None else pending & np.array([g is None for g in gold])
        positions = build_order(n, regular, order, scores=scores)
        if gold is not None:
            gold_pos = np.flatnonzero(pending & ~np.array([g is None for g in gold]))
            positions = interleave_gold(positions, gold_pos, gold_rate, seed=seed)
        self._overlap = overlap
        if overlap is not None:
            positions = rotate_for(annotator, positions)
            self._queue: ReviewQueue = ClaimQueue(
                positions,
                ids_of=lambda pos: [items.item_id(int(p)) for p in pos],
                claim=lambda ids, limit: self._store.claim(
                    self._task, self._annotator, ids, k=overlap, limit=limit, ttl=claim_ttl),
            )
        else:
            self._queue = ReviewQueue(positions)
        self._guideline_text = guideline or ""
        if guideline is not None:  # a new text makes a new version, stamped on decisions
            guideline_version = self._store.guideline_version(self._task, guideline)
        self.last_feedback: dict[str, Any] | None = None
        self._rejected: set[str] = set()  # decision ids refused for good (never stored)
        self.deferred = 0  # decisions held back until the one they follow was stored
        self._cursor = 0  # the kernel's own cursor, for the Python actions
        self._session_done: set[int] = set()  # queue indices decided or skipped here
        self._last_decided: list[int] = []  # queue indices, for undo from Python
        self.sent_messages = 0
        cfg = {"prefetch": prefetch, "task": self._task, "show_model": True,
               "break_every": break_every, "overlap": overlap, "blind": self._blind}
        cfg.update(config or {})
        if self._blind:  # the kernel never sends the model's answer, so none can anchor
            cfg["show_model"] = False
        super().__init__(
            kind=self._kind_name(),
            store_id=self._store.store_id,
            session_id=uuid.uuid4().hex,
            annotator=annotator,
            guideline_version=str(guideline_version or ""),
            config=cfg,
            total=n,
            queue_length=self._queue_length(),
            guideline_text=self._guideline_text,
            **kwargs,
        )
        self._refresh_counts()
        self.on_msg(self._on_msg)

    def _queue_length(self) -> int:
        q = self._queue
        if isinstance(q, ClaimQueue) and not q.exhausted:
            return q.estimated_length()
        return len(q)

    def _sync_queue_length(self) -> int:
        qlen = self._queue_length()
        if qlen != self.queue_length:
            self.queue_length = qlen
        return qlen

    def _public_payload(self, pos: int) -> dict[str, Any]:
        """The payload as sent: blind mode strips the model's answer; gold is not told."""
        item = self._payload(pos)
        if self._blind:
            for key in ("model_label", "confidence", "proba"):
                if key in item:
                    item[key] = None
        return item

    # -- hooks for each kind ----------------------------------------------
    def _kind_name(self) -> str:
        raise NotImplementedError

    def _payload(self, pos: int) -> dict[str, Any]:
        raise NotImplementedError

    def _check_decision(self, d: Mapping[str, Any], pos: int | None) -> None:
        """Raise ValueError when a decision makes no sense for this kind."""

    def _event_fields(self, d: Mapping[str, Any], pos: int | None) -> dict[str, Any]:
        """Kind-specific event columns (label_after, model_label, data...)."""
        return {}

    # -- opening -------------------------------------------------------------
    def _load_states(self, on_changed: str, revisit: bool) -> np.ndarray:
        """Fold this task's events for this annotator; return the mask of rows to review."""
        items = self._items
        n = len(items)
        pending = np.ones(n, dtype=bool)
        states = {
            (item_id, h): st
            for (t, item_id, h, ann), st in self._store.states(self._task).items()
            if ann == self._annotator
        }
        if not states:
            return pending
        ids = sorted({item_id for item_id, _ in states})
        pos = items.positions_of(ids)
        changed = []
        for item_id, p in zip(ids, pos):
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
                f"were decided in store {self._store.target!r} (task {self._task!r}): {shown}{more}. "
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

    def _handle(self, content: dict) -> None:
        t = content.get("type")
        if t == "hello":
            self._commit_and_ack(content.get("pending") or [], complete=True)
            self._drop_decided_from_queue()
        elif t == "fetch":
            self._send_items(content.get("req"), content.get("start", 0), content.get("count", 8))
        elif t == "decide":
            self._commit_and_ack(content.get("decisions") or [])

    def _causal_order(self, decisions: list[dict], complete: bool) -> tuple[list[dict], list[dict]]:
        """(ready in order, held back). A decision names in `after` the decision of its
        session on the same item that it follows (an undo, the one it undoes): it is
        committed only once that one is stored, or comes earlier in this batch, or was
        refused. Messages can reach the kernel on two threads (shell and subshell) and
        so out of the browser's order; a held-back decision is not acknowledged, so the
        browser sends it again (every 2 s) and it lands after the one it follows, which
        keeps the fold (the latest state wins; undo pops the last) right. `complete`: the
        batch holds every pending decision of the browser (hello), so an `after` that is
        neither stored nor in it was acknowledged or refused long ago: nothing to wait for."""
        wanted = {str(d["after"]) for d in decisions if d.get("after")}
        in_batch = {str(d["id"]) for d in decisions}
        stored = self._store.has_events(sorted(wanted - in_batch - self._rejected)) if wanted else set()
        ready: list[dict] = []
        placed: set[str] = set()
        rest = list(decisions)
        while rest:
            later = []
            for d in rest:
                a = str(d["after"]) if d.get("after") else None
                if (a is None or a in placed or a in stored or a in self._rejected
                        or (complete and a not in in_batch)):
                    ready.append(d)
                    placed.add(str(d["id"]))
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
        if isinstance(q, ClaimQueue) or self._session_done or not len(q):
            return
        keep = []
        for pos in q.positions:
            pos = int(pos)
            key = (self._items.item_id(pos), self._items.hash(pos))
            st = self._states.get(key)
            keep.append(st is None or not st.decided)
        if all(keep):
            return
        self._queue = ReviewQueue(q.positions[np.asarray(keep, dtype=bool)])
        self._cursor = 0
        self.queue_length = len(self._queue)
        # Only a browser that already holds items needs to drop them; one that has not
        # been answered yet gets the new queue with its first fetch (a reset then would
        # make it discard that answer as stale).
        if self._items_sent:
            self._reply({"type": "reset", "cursor": 0, "queue_length": len(self._queue)})

    def _send_items(self, req: Any, start: Any, count: Any) -> None:
        try:
            start_i, count_i = int(start), min(int(count), MAX_PAGE)
        except (TypeError, ValueError):
            start_i, count_i = 0, 0
        out = []
        for qi, pos in self._queue.page(start_i, count_i):
            item = self._public_payload(pos)
            item["qi"] = qi
            self._served[item["item_id"]] = pos
            st = self._states.get((item["item_id"], item["content_hash"]))
            item["decision"] = (
                {"action": st.event.get("action") if st.event else None, "status": st.status,
                 "label": st.label, "note": st.note, "data": st.data}
                if st is not None and st.status is not None else None
            )
            out.append(item)
        qlen = self._sync_queue_length()
        self._items_sent = True
        self._reply({"type": "items", "req": req, "start": start_i, "items": out,
                    "queue_length": qlen})

    def _reply(self, msg: dict[str, Any]) -> None:
        self.sent_messages += 1
        self.send(msg)

    def _commit_and_ack(self, decisions: Iterable[Any], complete: bool = False) -> None:
        events, ids, errors = [], [], {}
        valid = [d for d in decisions if isinstance(d, dict) and d.get("id")]
        ready, held = self._causal_order(valid, complete)
        self.deferred += len(held)
        for d in ready:
            try:
                events.append(self._to_event(d))
                ids.append(str(d["id"]))
            except ValueError as exc:
                errors[str(d["id"])] = str(exc)
                self._rejected.add(str(d["id"]))
        feedback = {}
        if events:
            new = set(self._store.append(events))  # committed (durable) before the ack
            for ev in events:
                if ev["event_id"] in new:
                    self._apply(ev)
                fb = self._feedback(ev)
                if fb is not None:
                    feedback[ev["event_id"]] = fb
            self._refresh_counts()
        if ids or errors:
            msg: dict[str, Any] = {"type": "ack", "ids": ids, "errors": errors}
            if feedback:
                msg["feedback"] = feedback
            self._reply(msg)

    def _feedback(self, ev: Mapping[str, Any]) -> dict[str, Any] | None:
        """Immediate feedback on a gold item: was it right, the right label, and the
        guideline passage for that label."""
        gold = (ev.get("data") or {}).get("gold") if isinstance(ev.get("data"), dict) else None
        if gold is None or ev["action"] in ("undo", "note", "skip"):
            return None
        given = ev.get("label_after")
        fb = {"item_id": ev["item_id"], "gold": True, "correct": given == gold,
              "given": given, "expected": gold,
              "passage": guideline_passage(self._guideline_text, gold)}
        self.last_feedback = fb
        return fb

    def _to_event(self, d: Mapping[str, Any]) -> dict[str, Any]:
        item_id = str(d.get("item_id") or "")
        if not item_id:
            raise ValueError("decision without item_id")
        action = d.get("action")
        if action not in ("accept", "correct", "flag", "skip", "undo", "note", "edit",
                          "reject", "rate", "compare"):
            raise ValueError(f"unknown action {action!r}")
        pos = self._position(item_id)
        h = self._items.hash(pos) if pos is not None else str(d.get("content_hash") or "")
        if pos is not None and d.get("content_hash") and d["content_hash"] != h:
            # Decided on content this frame no longer holds: keep it under its own hash.
            h, pos = str(d["content_hash"]), None
        self._check_decision(d, pos)
        annotator = str(d.get("annotator") or self.annotator)
        st = self._states.get((item_id, h)) if annotator == self.annotator else None
        ev = {
            "event_id": str(d["id"]),
            "task": str(d.get("task") or self._task),
            "kind": self.kind,
            "item_id": item_id,
            "content_hash": h,
            "action": action,
            "label_before": st.label if st is not None else None,
            "label_after": None,
            "model_label": d.get("model_label"),
            "model_confidence": d.get("confidence"),
            "annotator": annotator,
            "created_at": d.get("created_at") or utc_now(),
            "duration_ms": d.get("duration_ms"),
            "guideline_version": d.get("guideline_version", self.guideline_version),
            "session_id": d.get("session_id") or self.session_id,
            "note": d.get("note"),
            "data": d.get("data"),
        }
        ev.update(self._event_fields(d, pos))
        if pos is not None and self._gold is not None and self._gold[pos] is not None:
            data = dict(ev["data"]) if isinstance(ev.get("data"), dict) else {}
            data["gold"] = str(self._gold[pos])
            ev["data"] = data
        if action == "undo":  # record which label the undo restores, for the audit log
            stack = self._stacks.get((item_id, h)) or []
            ev["label_after"] = stack[-1].label if stack else None
        return ev

    def _position(self, item_id: str) -> int | None:
        p = self._served.get(item_id)
        if p is None:  # not sent by this widget (e.g. a resend from an older session)
            p = int(self._items.positions_of([item_id])[0])
            if p < 0:
                return None
            self._served[item_id] = p
        return p

    def _apply(self, ev: Mapping[str, Any]) -> None:
        if ev["annotator"] != self.annotator or ev["task"] != self._task:
            return
        key = (ev["item_id"], ev["content_hash"] or "")
        old = self._states.get(key, ItemState())
        new = fold_event(old, self._stacks.setdefault(key, []), ev)
        self._states[key] = new
        if self._belongs(key):
            self._tally(old, -1)
            self._tally(new, +1)

    def _tally(self, st: ItemState, sign: int) -> None:
        """Keep counts and model agreement incrementally (no rescan per decision)."""
        if st.status is None:
            return
        t = self._tallies
        t["counts"][st.status] = t["counts"].get(st.status, 0) + sign
        if st.decided:
            t["done"] += sign
            model = st.event.get("model_label") if st.event else None
            if st.label is not None and model is not None:
                t["n_agree"] += sign
                t["agree"] += sign * int(st.label == model)

    def _refresh_counts(self) -> None:
        if not hasattr(self, "_tallies"):
            self._tallies = {"counts": {}, "done": 0, "agree": 0, "n_agree": 0}
            for key, st in self._states.items():
                if self._belongs(key):
                    self._tally(st, +1)
        t = self._tallies
        with self.hold_sync():  # one state message to the browser, not three
            self.counts = {k: v for k, v in t["counts"].items() if v}
            self.done = t["done"]
            self.agreement = (t["agree"] / t["n_agree"]) if t["n_agree"] else None

    def _belongs(self, key: tuple[str, str]) -> bool:
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
        """The item the Python actions act on (first one not yet handled in this session)."""
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
            if qi < len(self._queue) and qi in self._session_done:
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

    def _decide_at(self, qi: int, action: str, *, advance: bool = True,
                   **fields: Any) -> dict[str, Any]:
        """Decide on queue entry `qi` from Python. `advance=False` (e.g. a rating) keeps
        the item current, here and in the browser (the external message says so)."""
        pos = self._queue.position(qi)
        item = self._payload(pos)
        d = {
            "id": uuid.uuid4().hex, "item_id": item["item_id"],
            "content_hash": item["content_hash"], "qi": qi, "action": action,
            "label": None, "note": None, "data": None, "duration_ms": None,
            "created_at": utc_now(), "annotator": self.annotator,
            "session_id": self.session_id, "guideline_version": self.guideline_version,
            "task": self._task, "model_label": item.get("model_label"),
            "confidence": item.get("confidence"),
        }
        d.update(fields)
        ev = self._to_event(d)
        new = self._store.append([ev])
        if new:
            self._apply(ev)
        self._refresh_counts()
        fb = self._feedback(ev)
        if action == "undo":
            self._session_done.discard(qi)
            self._cursor = min(self._cursor, qi)
        elif action != "note":
            if advance:
                self._session_done.add(qi)
            self._last_decided.append(qi)
        msg: dict[str, Any] = {"type": "external", "decision": d}
        if not advance:
            msg["advance"] = False
        if fb is not None:  # a scripted gold answer gets the same feedback in the browser
            msg["feedback"] = {d["id"]: fb}
        self._reply(msg)
        return ev

    def skip(self, *, duration_ms: float | None = None) -> None:
        """Skip the current item (it stays undecided and comes back next session)."""
        self._decide_here("skip", duration_ms=duration_ms)

    def flag(self, note: str | None = None, *, duration_ms: float | None = None) -> None:
        """Flag the current item as ambiguous, with an optional note."""
        self._decide_here("flag", note=note, duration_ms=duration_ms)

    def undo(self) -> None:
        """Undo the last decision made from Python in this session."""
        if not self._last_decided:
            raise IndexError("nothing to undo in this session")
        qi = self._last_decided.pop()
        self._decide_at(qi, "undo")

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
        """Queue entries not yet handled in this session."""
        return len(self._queue) - len(self._session_done)

    def close(self) -> None:
        """Close the widget; undecided claims go back to the pool for other annotators."""
        if getattr(self, "_overlap", None) is not None:
            try:
                self._store.release(self._task, self._annotator)
            except Exception:  # pragma: no cover - closing must not fail
                pass
        super().close()
        if getattr(self, "_own_store", False):
            self._store.close()

    def __len__(self) -> int:
        return len(self._queue)
