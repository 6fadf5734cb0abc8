"""The event vocabulary and the one fold: what a review event is, and what an item's
state is after its events.

Every consumer of decisions reads them through :func:`fold` (directly, or through the
state that :class:`~hitl_widgets.store.Store` keeps with it in the same transaction):
``Store.decisions()``, the exports, the metrics, the training sets, the widgets'
tallies and the browser (which gets :func:`vocabulary` through the widget's config and
replays the same rules in ``js/src/lib/fold.ts``; ``tests/test_fold.py`` writes the
cases both sides must agree on).

The rules, per (task, item, content hash, annotator):

* a **verdict** (accept, correct, edit, reject, flag, compare) replaces the verdict;
* a **rating** (rate) adds to the ratings and keeps the verdict: ratings and verdict
  are kept apart, so "accepted, then rated" is still accepted (with ratings);
* **skip** marks an item skipped only while it has no decision; skipping past a
  decided item changes nothing;
* **note** attaches text, nothing else;
* **undo** restores the state before the last verdict, rating or skip;
* **route** (written by the router and the agent gate), **execute** (a tool call ran),
  **pause** and **resume** (an overseer switched the automation off or on again, see
  `hitl_widgets.monitor.pause`) and **profile** (who an annotator is, see
  `hitl_widgets.annotators`) are records, not decisions: they change nothing, and
  actions this version does not know change nothing either.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, TypedDict


class Action(enum.StrEnum):
    """What an event records. The values are what the store and the browser write."""

    ACCEPT = "accept"
    CORRECT = "correct"
    EDIT = "edit"
    REJECT = "reject"
    FLAG = "flag"
    COMPARE = "compare"
    ANSWER = "answer"
    RATE = "rate"
    SKIP = "skip"
    NOTE = "note"
    UNDO = "undo"
    ROUTE = "route"
    EXECUTE = "execute"
    PAUSE = "pause"
    RESUME = "resume"
    PROFILE = "profile"


class Status(enum.StrEnum):
    """Where an item stands for one annotator after its events."""

    ACCEPTED = "accepted"
    CORRECTED = "corrected"
    EDITED = "edited"
    REJECTED = "rejected"
    FLAGGED = "flagged"
    COMPARED = "compared"
    ANSWERED = "answered"
    RATED = "rated"
    SKIPPED = "skipped"


#: Actions that replace an item's verdict.
VERDICTS: frozenset[str] = frozenset(
    {Action.ACCEPT, Action.CORRECT, Action.EDIT, Action.REJECT, Action.FLAG, Action.COMPARE, Action.ANSWER}
)
#: Events that record what happened (a route, a tool call run, the automation paused or
#: resumed), not what a person decided about an item.
RECORDS: frozenset[str] = frozenset(
    {Action.ROUTE, Action.EXECUTE, Action.PAUSE, Action.RESUME, Action.PROFILE}
)
#: Actions a person takes.
HUMAN_ACTIONS: frozenset[str] = frozenset(a.value for a in Action) - RECORDS
ALL_ACTIONS: frozenset[str] = frozenset(a.value for a in Action)

#: The status an action leads to.
STATUS_OF: dict[str, str] = {
    Action.ACCEPT: Status.ACCEPTED,
    Action.CORRECT: Status.CORRECTED,
    Action.EDIT: Status.EDITED,
    Action.REJECT: Status.REJECTED,
    Action.FLAG: Status.FLAGGED,
    Action.COMPARE: Status.COMPARED,
    Action.ANSWER: Status.ANSWERED,
    Action.RATE: Status.RATED,
    Action.SKIP: Status.SKIPPED,
}
#: Statuses that mean a person has said something about the item (it leaves the queue).
DECIDED_STATUSES: frozenset[str] = frozenset(STATUS_OF[a] for a in VERDICTS) | {Status.RATED}
#: Statuses that carry a label (a rating for the agreement metrics).
LABELLED_STATUSES: frozenset[str] = frozenset({Status.ACCEPTED, Status.CORRECTED, Status.COMPARED})

#: The columns of one event, in order; ``seq`` (the log position) is added by the database.
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "task",
    "kind",
    "item_id",
    "content_hash",
    "action",
    "label_before",
    "label_after",
    "model_label",
    "model_confidence",
    "annotator",
    "created_at",
    "duration_ms",
    "guideline_version",
    "session_id",
    "note",
    "data",
)


class Event(TypedDict, total=False):
    """One event as written to the store (``data`` is JSON: a dict or None)."""

    event_id: str
    task: str
    kind: str
    item_id: str
    content_hash: str | None
    action: str
    label_before: str | None
    label_after: str | None
    model_label: str | None
    model_confidence: float | None
    annotator: str | None
    created_at: str
    duration_ms: float | None
    guideline_version: str | None
    session_id: str | None
    note: str | None
    data: dict[str, Any] | None
    seq: int


def vocabulary(actions: Iterable[str] | None = None) -> dict[str, Any]:
    """The vocabulary as the browser gets it (``config["vocabulary"]``)."""
    return {
        "status_of": {str(k): str(v) for k, v in STATUS_OF.items()},
        "verdicts": sorted(str(a) for a in VERDICTS),
        "decided": sorted(str(s) for s in DECIDED_STATUSES),
        "actions": sorted(str(a) for a in (actions if actions is not None else HUMAN_ACTIONS)),
    }


def label_of(ev: Mapping[str, Any]) -> str | None:
    """The label a verdict event gives the item (an accept takes the model's label)."""
    label = ev.get("label_after")
    if label is None and ev.get("action") == Action.ACCEPT:
        label = ev.get("model_label")
    return None if label is None else str(label)


def ratings_of(ev: Mapping[str, Any]) -> dict[str, Any] | None:
    data = ev.get("data")
    if isinstance(data, Mapping):
        r = data.get("ratings")
        if isinstance(r, Mapping) and r:
            return dict(r)
    return None


StateKey = tuple[str, str, str, str]  # (task, item_id, content_hash, annotator)


class Stamp(NamedTuple):
    """Who, when and how long, of the event behind a state (what `decisions()` shows
    beside the label); ``has_data``: the event carries data (texts, gold, a sample mark)."""

    event_id: str
    created_at: str | None
    duration_ms: float | None
    model_confidence: float | None
    guideline_version: str | None
    session_id: str | None
    has_data: bool


def stamp_of(ev: Mapping[str, Any]) -> Stamp:
    return Stamp(
        str(ev["event_id"]),
        ev.get("created_at"),
        ev.get("duration_ms"),
        ev.get("model_confidence"),
        ev.get("guideline_version"),
        ev.get("session_id"),
        bool(ev.get("data")),
    )


def key_of(ev: Mapping[str, Any]) -> StateKey:
    """The fold's key: task, item, content version, annotator."""
    return (
        str(ev["task"]),
        str(ev["item_id"]),
        str(ev.get("content_hash") or ""),
        str(ev.get("annotator") or ""),
    )


@dataclass(frozen=True, slots=True)
class ItemState:
    """One item's state for one annotator after its events (immutable).

    ``prev`` is the state the next undo restores (a linked stack), so a state carries
    its own undo history. ``verdict_id`` / ``rating_id`` name the events behind the
    verdict and the latest rating (the store joins them for times and data).
    """

    action: str | None = None  # the verdict's action (or "skip"), None without one
    label: str | None = None
    note: str | None = None
    ratings: Mapping[str, Any] | None = None
    model_label: str | None = None
    verdict_id: str | None = None
    rating_id: str | None = None
    stamp: Stamp | None = None  # the event behind the state: the verdict, else the latest rating
    n_events: int = 0
    prev: ItemState | None = None

    @property
    def status(self) -> str | None:
        if self.action is not None:
            return STATUS_OF[self.action]
        return Status.RATED.value if self.ratings else None

    @property
    def decided(self) -> bool:
        return self.status in DECIDED_STATUSES

    @property
    def event_id(self) -> str | None:
        """The event that set this state (the verdict, else the latest rating)."""
        return self.stamp.event_id if self.stamp is not None else None

    def stack(self) -> list[ItemState]:
        """The states undo would restore, the next one first."""
        out, p = [], self.prev
        while p is not None:
            out.append(p)
            p = p.prev
        return out

    def summary(self) -> dict[str, Any]:
        """What a view shows of the state (the browser's ``decision`` of an item)."""
        return {
            "action": self.action,
            "status": self.status,
            "label": self.label,
            "note": self.note,
            "ratings": dict(self.ratings) if self.ratings else None,
        }


EMPTY = ItemState()


def fold(state: ItemState | None, ev: Mapping[str, Any]) -> ItemState:
    """Apply one event to an item's state (see the module docstring for the rules)."""
    st = state if state is not None else EMPTY
    n = st.n_events + 1
    action = ev["action"]
    if action == Action.UNDO:
        back = st.prev if st.prev is not None else EMPTY
        return replace(back, n_events=n)
    if action == Action.NOTE:
        return replace(st, note=ev.get("note"), n_events=n)
    if action == Action.SKIP:
        if st.decided:
            return replace(st, n_events=n)
        return ItemState(
            action=Action.SKIP.value,
            note=ev.get("note"),
            ratings=st.ratings,
            verdict_id=str(ev["event_id"]),
            rating_id=st.rating_id,
            stamp=stamp_of(ev),
            n_events=n,
            prev=st,
        )
    if action == Action.RATE:
        given = ratings_of(ev) or {}
        # a rating is a decision: it ends a skip (undo brings the skip back)
        base = replace(st, action=None, verdict_id=None) if st.action == Action.SKIP else st
        model = base.model_label if base.verdict_id else ev.get("model_label")
        return replace(
            base,
            ratings={**(base.ratings or {}), **given},
            rating_id=str(ev["event_id"]),
            model_label=model,
            stamp=base.stamp if base.verdict_id else stamp_of(ev),
            n_events=n,
            prev=st,
        )
    if action in VERDICTS:
        added = ratings_of(ev)
        ratings = {**(st.ratings or {}), **added} if added else st.ratings
        return ItemState(
            action=str(action),
            label=label_of(ev),
            note=ev.get("note"),
            ratings=ratings,
            model_label=ev.get("model_label"),
            verdict_id=str(ev["event_id"]),
            rating_id=st.rating_id,
            stamp=stamp_of(ev),
            n_events=n,
            prev=st,
        )
    # records (route, execute), and actions a later version may add, change nothing
    return replace(st, n_events=n)


def fold_all(events: Iterable[Mapping[str, Any]]) -> dict[StateKey, ItemState]:
    """Fold events (in log order) into one state per (task, item, content, annotator).

    ``route`` events are left out: they belong to no annotator's decisions.
    """
    states: dict[StateKey, ItemState] = {}
    for ev in events:
        if ev["action"] in RECORDS:
            continue
        k = key_of(ev)
        states[k] = fold(states.get(k), ev)
    return states


# -- the persisted form of a state (the store's item_state table) --------------------


def snapshot(st: ItemState) -> list[Any]:
    """A state without its history, as JSON-able values (one entry of a stored stack)."""
    return [
        st.action,
        st.label,
        st.note,
        dict(st.ratings) if st.ratings else None,
        st.model_label,
        st.verdict_id,
        st.rating_id,
        list(st.stamp) if st.stamp is not None else None,
    ]


def restore(entries: Iterable[list[Any]], top: list[Any], n_events: int) -> ItemState:
    """Rebuild a state and its undo stack from stored snapshots (oldest first)."""
    prev: ItemState | None = None
    for e in entries:
        prev = _from_snapshot(e, 0, prev)
    return _from_snapshot(top, n_events, prev)


def _from_snapshot(e: list[Any], n_events: int, prev: ItemState | None) -> ItemState:
    action, label, note, ratings, model_label, verdict_id, rating_id, stamp = e
    return ItemState(
        action,
        label,
        note,
        ratings or None,
        model_label,
        verdict_id,
        rating_id,
        Stamp(*stamp) if stamp else None,
        n_events,
        prev,
    )
