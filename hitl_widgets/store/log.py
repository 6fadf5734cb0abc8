"""The append-only event log every widget writes to, with the fold kept beside it.

Nothing in the log is ever updated or deleted: a decision, its undo and its correction
are all events, so the audit log is complete and a crash can only lose what was never
committed (and the browser still holds that, see docs/protocol.md). Beside the log, the
``item_state`` table keeps each item's folded state (``events.fold``), written in the
same transaction as the events, so reading decisions never re-folds the log.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

import pandas as pd

from .backends import Backend, PostgresBackend, SQLiteBackend, check_writable, is_postgres_url
from .events import (
    ALL_ACTIONS,
    DECIDED_STATUSES,
    EVENT_COLUMNS,
    Action,
    ItemState,
    StateKey,
    fold,
    fold_all,
    key_of,
    restore,
    snapshot,
)
from .schema import MIGRATIONS, SCHEMA_VERSION, STATE_COLUMNS

_INSERT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES "
    f"({', '.join('?' for _ in EVENT_COLUMNS)}) ON CONFLICT (event_id) DO NOTHING"
)
_UPSERT_STATE = (
    f"INSERT INTO item_state ({', '.join(STATE_COLUMNS)}) VALUES "
    f"({', '.join('?' for _ in STATE_COLUMNS)}) "
    "ON CONFLICT (task, item_id, content_hash, annotator) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in STATE_COLUMNS[4:])
)
_COL = {c: i for i, c in enumerate(EVENT_COLUMNS)}
_KEY_CHUNK = 100  # keys per SELECT of states (4 parameters each)

F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    """Run a Store method under the store's lock (one connection, several threads)."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def utc_now() -> str:
    """UTC time as ISO-8601 with milliseconds and a Z, the one format the log uses."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _state_row(key: StateKey, kind: str | None, st: ItemState) -> tuple[Any, ...]:
    stack = [snapshot(p) for p in reversed(st.stack())]
    return (*key, kind, st.action, st.status, st.label, st.note,
            json.dumps(dict(st.ratings), ensure_ascii=False, sort_keys=True) if st.ratings else None,
            st.model_label, st.verdict_id, st.rating_id, st.n_events,
            json.dumps(stack, ensure_ascii=False) if stack else None)


def _state_of_row(r: Sequence[Any]) -> ItemState:
    """An ItemState from a row of (action, label, note, ratings, model_label, verdict_id,
    rating_id, n_events, stack)."""
    action, label, note, ratings, model_label, verdict_id, rating_id, n, stack = r
    top = [action, label, note, json.loads(ratings) if ratings else None, model_label,
           verdict_id, rating_id]
    return restore(json.loads(stack) if stack else [], top, int(n or 0))


class Store:
    """An append-only log of review events in SQLite (a file path) or PostgreSQL (a URL).

    Every write is one transaction, committed before it returns; event ids are unique,
    so writing the same event twice stores it once (a resent decision cannot double).
    """

    def __init__(self, target: str | os.PathLike[str] = "hitl.db", *, create: bool = True) -> None:
        self.target = str(target)
        # One connection per Store; the lock keeps threads (a kernel's shell and subshell)
        # from interleaving statements inside each other's transactions.
        self._lock = threading.RLock()
        if is_postgres_url(target):
            self.backend: Backend = PostgresBackend(str(target))
        else:
            path = check_writable(target)
            if not create and not path.exists():
                raise FileNotFoundError(f"store={self.target!r} does not exist")
            self.backend = SQLiteBackend(path)
        self._migrate()
        self.store_id: str = self._meta("store_id")  # type: ignore[assignment]

    # -- schema --------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        rows = self.backend.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    @property
    def schema_version(self) -> int:
        """The schema version this store is at (migrated on open)."""
        return int(self._meta("schema_version") or 0)

    def _migrate(self) -> None:
        b = self.backend
        b.begin_write()
        try:
            if isinstance(b, PostgresBackend):
                b.lock_schema()
            version = 0
            if b.table_exists("meta"):
                rows = b.query("SELECT value FROM meta WHERE key = 'schema_version'")
                version = int(rows[0][0]) if rows else 0
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"store {self.target!r} has schema version {version}, newer than this "
                    f"hitl-widgets understands ({SCHEMA_VERSION}); upgrade hitl-widgets"
                )
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for stmt in MIGRATIONS[v]:
                    b.execute(stmt.format(serial=b.serial, real=b.real))
                if v == 4 and version > 0:  # fold the log the store already has
                    self._write_states(self._fold_log(), replace=True)
                self._set_meta("schema_version", str(v))
            if self._meta("store_id") is None:
                self._set_meta("store_id", uuid.uuid4().hex)
                self._set_meta("created_at", utc_now())
            b.commit()
        except BaseException:
            b.rollback()
            raise

    def _set_meta(self, key: str, value: str) -> None:
        self.backend.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- writing -------------------------------------------------------------
    @_locked
    def append(self, events: Iterable[Mapping[str, Any]]) -> list[str]:
        """Write events in one transaction; return the ids that were new.

        Ids already in the log are ignored (idempotent resend). Each event needs
        event_id, task, item_id and action; created_at defaults to now (UTC). The
        items' folded states and the claims they settle are updated in the same
        transaction.
        """
        rows = [self._row(ev) for ev in events]
        if not rows:
            return []
        b = self.backend
        b.begin_write()
        try:
            existing = self._existing_ids([r[0] for r in rows])
            # new ids only, and the first of duplicates inside one batch
            seen: set[str] = set()
            unique = []
            for r in rows:
                if r[0] not in existing and r[0] not in seen:
                    seen.add(r[0])
                    unique.append(r)
            if unique:
                decisions = [r for r in unique if r[_COL["action"]] != Action.ROUTE]
                # lock and read the states first, so that on PostgreSQL two writers of
                # one item fold in the order their events enter the log
                states = self._read_states({_key(r) for r in decisions}, for_update=True)
                b.executemany(_INSERT, unique)
                changed: dict[StateKey, tuple[str | None, ItemState]] = {}
                for r in decisions:
                    k = _key(r)
                    st = fold(states.get(k), _as_event(r))
                    states[k] = st
                    changed[k] = (r[_COL["kind"]], st)
                self._write_states(changed)
                self._settle_claims(changed)
            b.commit()
        except BaseException:
            b.rollback()
            raise
        return [r[0] for r in unique]

    def _read_states(self, keys: Iterable[StateKey], *, for_update: bool = False) -> dict[StateKey, ItemState]:
        keys = sorted(set(keys))
        b = self.backend
        out: dict[StateKey, ItemState] = {}
        if not keys:
            return out
        pg = isinstance(b, PostgresBackend)
        if pg and for_update:  # rows to lock, also for items never seen
            b.executemany(
                "INSERT INTO item_state (task, item_id, content_hash, annotator, n_events) "
                "VALUES (?, ?, ?, ?, 0) ON CONFLICT DO NOTHING", keys)
        cols = "task, item_id, content_hash, annotator, action, label, note, ratings, " \
               "model_label, verdict_id, rating_id, n_events, stack"
        for i in range(0, len(keys), _KEY_CHUNK):
            chunk = keys[i : i + _KEY_CHUNK]
            marks = ", ".join("(?, ?, ?, ?)" for _ in chunk)
            sql = (f"SELECT {cols} FROM item_state WHERE (task, item_id, content_hash, annotator) "
                   f"IN (VALUES {marks})" + (" FOR UPDATE" if pg and for_update else ""))
            for r in b.query(sql, [v for k in chunk for v in k]):
                if r[11]:  # n_events 0: a row only made to lock
                    out[(r[0], r[1], r[2], r[3])] = _state_of_row(r[4:])
        return out

    def _write_states(self, states: Mapping[StateKey, tuple[str | None, ItemState]], *,
                      replace: bool = False) -> None:
        if replace:
            self.backend.execute("DELETE FROM item_state")
        rows = [_state_row(k, kind, st) for k, (kind, st) in states.items()]
        for i in range(0, len(rows), 5000):
            self.backend.executemany(_UPSERT_STATE, rows[i : i + 5000])

    def _fold_log(self, task: str | None = None) -> dict[StateKey, tuple[str | None, ItemState]]:
        """Fold the whole log (or one task's) in Python: the reference the kept states
        must equal (`check_states`), used to fill them when a store is migrated and to
        read a store that cannot be written."""
        sql = ("SELECT event_id, task, kind, item_id, content_hash, action, label_after, "
               "model_label, annotator, note, data FROM events WHERE action <> 'route'")
        params: list[Any] = []
        if task is not None:
            sql += " AND task = ?"
            params.append(task)
        names = ("event_id", "task", "kind", "item_id", "content_hash", "action", "label_after",
                 "model_label", "annotator", "note", "data")
        out: dict[StateKey, tuple[str | None, ItemState]] = {}
        for row in self.backend.query(sql + " ORDER BY seq", params):
            ev = dict(zip(names, row, strict=True))
            if isinstance(ev["data"], str):
                ev["data"] = json.loads(ev["data"])
            k = key_of(ev)
            prev = out.get(k)
            out[k] = (ev["kind"], fold(prev[1] if prev else None, ev))
        return out

    @_locked
    def check_states(self) -> list[StateKey]:
        """Keys whose kept state differs from a fresh fold of the log (empty: all agree)."""
        fresh = {k: st for k, (_kind, st) in self._fold_log().items()}
        kept = self.states()
        return sorted(k for k in set(fresh) | set(kept)
                      if _comparable(fresh.get(k)) != _comparable(kept.get(k)))

    @_locked
    def rebuild_states(self) -> int:
        """Fold the whole log again into the kept states (a repair; returns the count)."""
        b = self.backend
        b.begin_write()
        try:
            states = self._fold_log()
            self._write_states(states, replace=True)
            b.commit()
        except BaseException:
            b.rollback()
            raise
        return len(states)

    def _settle_claims(self, changed: Mapping[StateKey, tuple[str | None, ItemState]]) -> None:
        """In the decisions' own transaction: an item decided counts as one of its k
        ratings (claim done); one that is no longer decided (skipped, or its decision
        undone) gives its claim back to the pool."""
        done, released = [], []
        stamp = utc_now()
        for (task, item_id, _h, ann), (_kind, st) in changed.items():
            if st.decided:
                done.append((task, item_id, ann, stamp))
            else:
                released.append((task, item_id, ann))
        if done:
            self.backend.executemany(
                "INSERT INTO claims (task, item_id, annotator, claimed_at, expires_at, done) "
                "VALUES (?, ?, ?, ?, 0, 1) ON CONFLICT (task, item_id, annotator) "
                "DO UPDATE SET done = 1", done)
        if released:
            self.backend.executemany(
                "DELETE FROM claims WHERE task = ? AND item_id = ? AND annotator = ?", released)

    # -- several annotators ------------------------------------------------------
    @_locked
    def claim(
        self,
        task: str,
        annotator: str,
        candidates: Sequence[str],
        *,
        k: int,
        limit: int,
        ttl: float = 900.0,
    ) -> list[str]:
        """Hand `annotator` up to `limit` of `candidates` (in their order) that fewer than
        `k` other annotators hold, never one this annotator already decided.

        One write transaction, so concurrent annotators (processes, machines) are handed
        different items until each item has its k. A claim not decided within `ttl`
        seconds lapses and the item goes back to the pool.
        """
        if k < 1:
            raise ValueError(f"overlap k must be at least 1, got {k}")
        cands = [str(c) for c in candidates]
        if not cands or limit <= 0:
            return []
        b = self.backend
        now = time.time()
        b.begin_write()
        try:
            if isinstance(b, PostgresBackend):  # serialise claimers of one task
                b.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (task,))
            marks = ", ".join("?" for _ in cands)
            rows = b.query(
                f"SELECT item_id, annotator, done, expires_at FROM claims WHERE task = ? "
                f"AND item_id IN ({marks})", [task, *cands])
            mine_done, others = set(), {}
            for item_id, ann, done, expires in rows:
                if ann == annotator:
                    if done:
                        mine_done.add(item_id)
                elif done or float(expires) > now:
                    others[item_id] = others.get(item_id, 0) + 1
            picked = [c for c in cands if c not in mine_done and others.get(c, 0) < k][:limit]
            if picked:
                stamp = utc_now()
                b.executemany(
                    "INSERT INTO claims (task, item_id, annotator, claimed_at, expires_at, done) "
                    "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (task, item_id, annotator) "
                    "DO UPDATE SET expires_at = excluded.expires_at, claimed_at = excluded.claimed_at",
                    [(task, c, annotator, stamp, now + ttl) for c in picked])
            b.commit()
        except BaseException:
            b.rollback()
            raise
        return picked

    @_locked
    def release(self, task: str, annotator: str, item_ids: Sequence[str] | None = None) -> None:
        """Give back claims not yet decided (all of the annotator's, or these items)."""
        b = self.backend
        b.begin_write()
        try:
            if item_ids is None:
                b.execute("DELETE FROM claims WHERE task = ? AND annotator = ? AND done = 0",
                          (task, annotator))
            else:
                b.executemany("DELETE FROM claims WHERE task = ? AND item_id = ? AND annotator = ? "
                              "AND done = 0", [(task, str(i), annotator) for i in item_ids])
            b.commit()
        except BaseException:
            b.rollback()
            raise

    @_locked
    def rating_counts(self, task: str) -> dict[str, int]:
        """item_id -> number of annotators whose decision on it counts (claims done)."""
        rows = self.backend.query(
            "SELECT item_id, COUNT(*) FROM claims WHERE task = ? AND done = 1 GROUP BY item_id",
            (task,))
        return {r[0]: int(r[1]) for r in rows}

    # -- guidelines ----------------------------------------------------------------
    @_locked
    def guideline_version(self, task: str, text: str) -> str:
        """The version of this guideline text for `task`: the latest one when the text is
        unchanged, else a new version (v1, v2, ...) is recorded and returned."""
        h = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        b = self.backend
        b.begin_write()
        try:
            rows = b.query("SELECT version, text_hash FROM guidelines WHERE task = ?", (task,))
            for version, th in rows:
                if th == h:
                    b.commit()
                    return str(version)
            version = f"v{len(rows) + 1}"
            b.execute("INSERT INTO guidelines (task, version, text_hash, text, created_at) "
                      "VALUES (?, ?, ?, ?, ?)", (task, version, h, text, utc_now()))
            b.commit()
        except BaseException:
            b.rollback()
            raise
        return version

    @_locked
    def guidelines(self, task: str | None = None) -> pd.DataFrame:
        """Every recorded guideline version (task, version, text, created_at)."""
        sql = "SELECT task, version, text, created_at FROM guidelines"
        params: list[Any] = []
        if task is not None:
            sql += " WHERE task = ?"
            params.append(task)
        rows = self.backend.query(sql + " ORDER BY task, created_at", params)
        return pd.DataFrame(rows, columns=["task", "version", "text", "created_at"])

    @_locked
    def has_events(self, ids: Sequence[str]) -> set[str]:
        """The ids among `ids` that are stored events."""
        return self._existing_ids(list(ids))

    def _existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT event_id FROM events WHERE event_id IN ({', '.join('?' for _ in chunk)})"
            found.update(r[0] for r in self.backend.query(q, chunk))
        return found

    @staticmethod
    def _row(ev: Mapping[str, Any]) -> tuple:
        missing = [k for k in ("event_id", "task", "item_id", "action") if not ev.get(k)]
        if missing:
            raise ValueError(f"event is missing {', '.join(missing)}: {dict(ev)!r}")
        if ev["action"] not in ALL_ACTIONS:
            raise ValueError(f"event action {ev['action']!r} is not one of {sorted(ALL_ACTIONS)}")
        out = []
        for col in EVENT_COLUMNS:
            v = ev.get(col)
            if col == "created_at" and not v:
                v = utc_now()
            elif col == "kind" and not v:
                v = "classification"
            elif col == "data" and v is not None and not isinstance(v, str):
                v = json.dumps(v, ensure_ascii=False, sort_keys=True)
            elif col in ("model_confidence", "duration_ms") and v is not None:
                v = float(v)
            elif v is not None and col not in ("model_confidence", "duration_ms"):
                v = str(v)
            out.append(v)
        return tuple(out)

    # -- reading -------------------------------------------------------------
    @_locked
    def events(
        self,
        task: str | None = None,
        *,
        annotator: str | None = None,
        action: str | None = None,
        since_seq: int = 0,
    ) -> pd.DataFrame:
        """The full audit log (optionally one task / annotator / action), in commit order."""
        where, params = ["seq > ?"], [since_seq]
        for col, val in (("task", task), ("annotator", annotator), ("action", action)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        cols = ("seq",) + EVENT_COLUMNS
        rows = self.backend.query(
            f"SELECT {', '.join(cols)} FROM events WHERE {' AND '.join(where)} ORDER BY seq", params
        )
        df = pd.DataFrame(rows, columns=list(cols))
        if len(df):
            df["data"] = df["data"].map(lambda s: json.loads(s) if isinstance(s, str) else s)
            df["created_at"] = pd.to_datetime(df["created_at"], utc=True, format="ISO8601")
        df["seq"] = df["seq"].astype("int64")
        for c in ("model_confidence", "duration_ms"):
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
        return df

    @_locked
    def states(self, task: str | None = None, *, annotator: str | None = None) -> dict[StateKey, ItemState]:
        """Each item's current state: (task, item_id, content_hash, annotator) -> ItemState
        (with its undo history), as folded by `events.fold`."""
        if self.schema_version < 4:  # an old store opened read-only: fold the log here
            return {k: st for k, (_kind, st) in self._fold_log(task).items()
                    if annotator is None or k[3] == annotator}
        where, params = ["n_events > 0"], []
        for col, val in (("task", task), ("annotator", annotator)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        rows = self.backend.query(
            "SELECT task, item_id, content_hash, annotator, action, label, note, ratings, "
            "model_label, verdict_id, rating_id, n_events, stack FROM item_state WHERE "
            + " AND ".join(where), params)
        return {(r[0], r[1], r[2], r[3]): _state_of_row(r[4:]) for r in rows}

    @_locked
    def decisions(self, task: str | None = None, *, include_undecided: bool = False,
                  annotator: str | None = None) -> pd.DataFrame:
        """One row per item (per annotator) with its current human label and status.

        Items whose decisions were all undone, or that were only skipped, are left out
        unless `include_undecided`. The verdict and the ratings are kept apart: an item
        accepted and then rated is "accepted", with its ``ratings``. Rows come in the
        order of the events that set them.
        """
        if self.schema_version < 4:
            return _decision_frame(self._decision_rows_from_log(task, include_undecided, annotator))
        where, params = ["s.n_events > 0"], []
        if not include_undecided:
            where.append(f"s.status IN ({', '.join('?' for _ in DECIDED_STATUSES)})")
            params.extend(sorted(DECIDED_STATUSES))
        for col, val in (("task", task), ("annotator", annotator)):
            if val is not None:
                where.append(f"s.{col} = ?")
                params.append(val)
        rows = self.backend.query(
            "SELECT s.item_id, s.status, s.label, s.model_label, s.annotator, s.task, s.ratings, "
            "s.note, e.model_confidence, e.created_at, e.duration_ms, e.guideline_version, "
            "e.session_id, s.content_hash, s.n_events, s.kind, e.event_id, e.data "
            "FROM item_state s LEFT JOIN events e ON e.event_id = COALESCE(s.verdict_id, s.rating_id) "
            f"WHERE {' AND '.join(where)} ORDER BY e.seq", params)
        return _decision_frame(rows)

    def _decision_rows_from_log(self, task: str | None, include_undecided: bool,
                                annotator: str | None) -> list[tuple[Any, ...]]:
        states = self._fold_log(task)
        ids = [st.event_id for _k, (_kd, st) in states.items() if st.event_id]
        evs = self._events_by_id(ids)
        rows = []
        for (t, item_id, h, ann), (kind, st) in states.items():
            if (not include_undecided and not st.decided) or (annotator is not None and ann != annotator):
                continue
            e = evs.get(st.event_id or "", {})
            rows.append((item_id, st.status, st.label, st.model_label, ann, t,
                         json.dumps(dict(st.ratings)) if st.ratings else None, st.note,
                         e.get("model_confidence"), e.get("created_at"), e.get("duration_ms"),
                         e.get("guideline_version"), e.get("session_id"), h, st.n_events, kind,
                         e.get("event_id"), e.get("data"), e.get("seq", 0)))
        rows.sort(key=lambda r: r[-1])
        return [r[:-1] for r in rows]

    def _events_by_id(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        cols = ("seq",) + EVENT_COLUMNS
        out: dict[str, dict[str, Any]] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = (f"SELECT {', '.join(cols)} FROM events WHERE event_id IN "
                 f"({', '.join('?' for _ in chunk)})")
            for r in self.backend.query(q, chunk):
                out[r[1]] = dict(zip(cols, r, strict=True))
        return out

    @_locked
    def events_by_id(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The events with these ids (``data`` parsed), by id; unknown ids are left out."""
        out = self._events_by_id(ids)
        for ev in out.values():
            if isinstance(ev.get("data"), str):
                ev["data"] = json.loads(ev["data"])
        return out

    @_locked
    def latest_hashes(self, task: str) -> dict[str, str]:
        """item_id -> the content hash of its latest human event in `task`."""
        rows = self.backend.query(
            "SELECT item_id, content_hash FROM events WHERE task = ? AND action <> 'route' "
            "ORDER BY seq", (task,)
        )
        return {item_id: h for item_id, h in rows}

    @_locked
    def count(self) -> int:
        """Number of events in the log."""
        return int(self.backend.query("SELECT COUNT(*) FROM events")[0][0])

    def close(self) -> None:
        """Close the connection (events are already durable; nothing is flushed here)."""
        self.backend.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.target!r}, schema_version={self.schema_version})"



# -- helpers ------------------------------------------------------------------------

def _key(row: Sequence[Any]) -> StateKey:
    return (row[_COL["task"]], row[_COL["item_id"]], row[_COL["content_hash"]] or "",
            row[_COL["annotator"]] or "")


def _as_event(row: Sequence[Any]) -> dict[str, Any]:
    """A stored row (data as JSON text) as the event the fold reads."""
    ev = dict(zip(EVENT_COLUMNS, row, strict=True))
    if isinstance(ev["data"], str):
        ev["data"] = json.loads(ev["data"])
    return ev


def _comparable(st: ItemState | None) -> Any:
    """What two states must share to be the same (history included; n_events counts
    every event, which a kept state and a fresh fold agree on too)."""
    if st is None:
        return None
    return [(*snapshot(p),) for p in [st, *st.stack()]] + [st.n_events]


DECISION_COLUMNS = [
    "item_id", "status", "human_label", "model_label", "agrees_with_model", "annotator",
    "task", "ratings", "note", "model_confidence", "decided_at", "duration_ms",
    "guideline_version", "session_id", "content_hash", "n_events", "kind", "event_id", "data",
]


def _decision_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """`decisions()`'s frame: what a person looks at first leads (item, status, the
    human's and the model's label, whether they agree)."""
    names = ["item_id", "status", "human_label", "model_label", "annotator", "task", "ratings",
             "note", "model_confidence", "decided_at", "duration_ms", "guideline_version",
             "session_id", "content_hash", "n_events", "kind", "event_id", "data"]
    # object columns: a missing label is None (pandas 3 would read text columns as
    # strings and turn None into NaN)
    df = pd.DataFrame(list(rows), columns=names, dtype=object)
    for c in ("ratings", "data"):
        df[c] = [json.loads(v) if isinstance(v, str) else v for v in df[c]]
    human, model = df["human_label"], df["model_label"]
    agree = [(h == m) if h is not None and m is not None else None for h, m in zip(human, model, strict=True)]
    df.insert(4, "agrees_with_model", pd.Series(agree, index=df.index, dtype=object))
    df["decided_at"] = pd.to_datetime(df["decided_at"], utc=True, format="ISO8601")
    for c in ("model_confidence", "duration_ms"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["n_events"] = df["n_events"].astype("int64")
    return df[DECISION_COLUMNS]

def open_store(target: str | os.PathLike[str]) -> Store:
    """Open an existing store (a SQLite path or a postgresql:// URL) without any widget.

    >>> store = open_store("hitl.db")            # doctest: +SKIP
    >>> store.decisions()                         # doctest: +SKIP
    """
    return Store(target, create=is_postgres_url(target))
