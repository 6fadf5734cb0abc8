"""`RoutedCache`: the monitor's routed items, read once and then only the new route events.

The monitor recomputes its figures whenever the store changes; reading every route event
again each time (a JSON document each) is what made a refresh slow on a large store. The
cache keeps, per (store, task), the frame `routing.routed` returns and the number (``seq``)
of the last route event it read; a refresh reads only the route events with a larger
number (``Store.events(since_seq=)``) and folds them in: an item routed again loses its
earlier row and gets its new one at the end, exactly as `routed` orders its rows (by each
item's latest route). Event numbers grow in commit order (SQLite has one writer at a time,
PostgreSQL appends under one lock), so no event is missed, whichever process wrote it.

The audits need the decisions on the items drawn for a check only (`audits`): the cache
keeps those, as the store keeps them folded (its ``item_state`` table: one row per item,
content and annotator, undos applied), and on a refresh reads again the states of the
items that events since the last read touched (and of newly drawn items). Stores too old
to keep the states (opened read-only) are read in full (`Store.decisions`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..routing.router import ROUTED_COLUMNS, _routed_frame
from ..routing.weighted import _DECIDED
from ..store import Action, Store
from .stats import ExpectedError
from .stats import expected_error as _expected_error
from .switch import EVERY_TASK, PauseState, _latest_switch, pause_state

#: the columns of the decisions frame the cache gives `audits`
DECISION_PART = ["task", "item_id", "content_hash", "annotator", "status", "human_label", "decided_at"]
_CHUNK = 500  # item ids per query


@dataclass
class _Decided:
    """The decided states of the sampled items, and the last event number accounted for."""

    seq: int
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)  # item_id -> state rows
    known: set[str] = field(default_factory=set)  # sampled items whose states were read
    frame: pd.DataFrame | None = None


def _store_key(store: Store) -> str:
    backend = store.backend
    return str(getattr(backend, "url", None) or getattr(backend, "path", None) or id(store))


class RoutedCache:
    """The routed frame (and the last route event read) per (store, task).

    >>> cache = RoutedCache()                                   # doctest: +SKIP
    >>> r = cache.routed(store, "claims")   # first call: every route event  # doctest: +SKIP
    >>> r = cache.routed(store, "claims")   # later: only the new ones       # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str | None], tuple[int, pd.DataFrame]] = {}
        self._decided: dict[tuple[str, str | None], _Decided] = {}
        self._switch: dict[tuple[str, str], tuple[int, PauseState]] = {}
        self._expected: tuple[np.ndarray, float, ExpectedError] | None = None
        self.full_reads = 0  # reads of every route event (for tests and the curious)
        self.incremental_reads = 0

    def clear(self) -> None:
        """Forget everything: the next read is a full one."""
        with self._lock:
            self._entries.clear()
            self._decided.clear()
            self._switch.clear()
            self._expected = None

    def routed(self, store: Store, task: str | None) -> pd.DataFrame:
        """`routing.routed(store, task)`, reading only the route events not read before.
        The frame returned must not be changed in place (it is the cache's)."""
        key = (_store_key(store), task)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and _last_seq(store) < entry[0]:
                entry = None  # the store was replaced by an older or another one
                self._decided.pop(key, None)
            if entry is None:
                ev = store.events(task, action="route")
                frame = _routed_frame(ev)
                self.full_reads += 1
            else:
                last, frame = entry
                ev = store.events(task, action="route", since_seq=last)
                self.incremental_reads += 1
                if len(ev):
                    frame = _fold(frame, _routed_frame(ev))
            before = entry[0] if entry is not None else 0
            self._entries[key] = (int(ev["seq"].max()) if len(ev) else before, frame)
            return frame

    def pause_state(self, store: Store, task: str) -> PauseState:
        """`switch.pause_state(store, task)`, reading only the pause / resume events
        written since the last call."""
        key = (_store_key(store), task)
        with self._lock:
            last = _last_seq(store)  # first: what is written meanwhile is read again next time
            entry = self._switch.get(key)
            if entry is None or last < entry[0]:
                state = pause_state(store, task)
            else:
                seq, state = entry
                tail = [store.events(action=a.value, since_seq=seq) for a in (Action.PAUSE, Action.RESUME)]
                mine = [ev[ev["task"].isin([task, EVERY_TASK])] for ev in tail]
                mine = [ev for ev in mine if len(ev)]
                if mine:
                    state = _latest_switch(mine, task)
            self._switch[key] = (last, state)
            return state

    def expected_error(self, confidence: np.ndarray, level: float) -> ExpectedError:
        """`stats.expected_error(confidence, level=level)`, kept while the confidences are
        the same (the exact interval takes seconds at 10^5 items)."""
        conf = np.asarray(confidence, dtype=float).ravel()
        with self._lock:
            memo = self._expected
            if memo is not None and memo[1] == level and np.array_equal(memo[0], conf, equal_nan=True):
                return memo[2]
        out = _expected_error(conf, level=level)
        with self._lock:
            self._expected = (conf.copy(), level, out)
        return out

    def frames(self, store: Store, task: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The routed items (`routed`) and the decisions `audits` needs of them: a frame
        with the columns of `Store.decisions` that `audits` reads, holding the decided
        states of every item drawn for a check (a full `Store.decisions(task)` for a
        store without kept states, or for every task at once)."""
        r = self.routed(store, task)
        if task is None or store.schema_version < 4:
            return r, store.decisions(task)
        key = (_store_key(store), task)
        with self._lock:
            last = _last_seq(store)  # first: what is written meanwhile is read again next time
            part = self._decided.get(key)
            if part is not None and last < part.seq:
                part = None
            sampled = _sampled_items(r)
            if part is None:
                part = _Decided(seq=last)
                todo = sampled
            else:
                touched = _touched_items(store, task, part.seq)
                for item in touched - sampled:  # read again if it is drawn again later
                    part.known.discard(item)
                    part.rows.pop(item, None)
                todo = (touched & sampled) | (sampled - part.known)
                part.seq = last
            if todo or part.frame is None:
                states = _decided_states(store, task, sorted(todo))
                for item in todo:  # an item undone back to undecided has no row any more
                    part.rows[item] = states.get(item, [])
                part.known |= todo
                part.frame = _decided_frame(part.rows, sampled)
            self._decided[key] = part
            return r, part.frame


def _last_seq(store: Store) -> int:
    with store._lock:
        rows = store._run(lambda st: st.backend.fetch("SELECT MAX(seq) FROM events", ()), (), {})
    value: Any = rows[0][0] if rows else None
    return 0 if value is None else int(value)


def _fold(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """`old` routed rows with the items of `new` (later routes) moved to the end, replaced."""
    if not len(old):
        return new
    ids = set(new["item_id"].tolist())
    maybe = old["item_id"].isin(ids).to_numpy()
    if maybe.any():
        pairs = set(zip(new["task"].tolist(), new["item_id"].tolist(), strict=True))
        idx = maybe.nonzero()[0]
        for i, t, item in zip(idx, old["task"].to_numpy()[idx], old["item_id"].to_numpy()[idx], strict=True):
            if (t, item) not in pairs:
                maybe[i] = False
        old = old[~maybe]
    out = pd.concat([old, new], ignore_index=True)
    return out[ROUTED_COLUMNS]


def _sampled_items(r: pd.DataFrame) -> set[str]:
    """The items `audits` joins with their decisions: audits and items drawn for review
    with a known chance below one (a superset does no harm: the join keeps the sampled)."""
    if not len(r):
        return set()
    p = r["review_probability"]
    keep = r["audit"] | ((r["route"] == "review") & (p > 0) & (p < 1))
    return set(r.loc[keep, "item_id"].tolist())


def _touched_items(store: Store, task: str, after: int) -> set[str]:
    """The items of `task` with a decision-side event (not a route) numbered above `after`
    (read by number: the log's tail, whatever the task)."""
    sql = "SELECT task, item_id, action FROM events WHERE seq > ?"  # the primary key's range
    with store._lock:
        rows = store._run(lambda st: st.backend.fetch(sql, (after,)), (), {})
    return {r[1] for r in rows if r[0] == task and r[2] != "route"}


def _decided_states(store: Store, task: str, items: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """The decided states (`DECISION_PART`'s columns, the label as stored) of `items`."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    marks = ", ".join("?" for _ in _DECIDED)
    for i in range(0, len(items), _CHUNK):
        chunk = items[i : i + _CHUNK]
        sql = (
            "SELECT task, item_id, content_hash, annotator, status, label, decided_at FROM item_state "
            f"WHERE task = ? AND item_id IN ({', '.join('?' for _ in chunk)}) AND n_events > 0 "
            f"AND status IN ({marks})"
        )
        params = [task, *chunk, *_DECIDED]
        with store._lock:
            rows = store._run(lambda st, q=sql, a=params: st.backend.fetch(q, a), (), {})
        for row in rows:
            out.setdefault(row[1], []).append(tuple(row))
    return out


def _decided_frame(rows: dict[str, list[tuple[Any, ...]]], sampled: set[str]) -> pd.DataFrame:
    """The kept states of the sampled items as a decisions frame (its times parsed as
    `Store.decisions` parses them)."""
    flat = [row for item, rs in rows.items() if item in sampled for row in rs]
    df = pd.DataFrame(flat, columns=DECISION_PART)
    for c in DECISION_PART[:-1]:
        df[c] = df[c].astype(object)
    df["decided_at"] = pd.to_datetime(pd.Series(df["decided_at"], dtype=object), utc=True, format="ISO8601")
    return df
