"""The append-only event log every widget writes to, and `decisions()` as a fold over it.

Nothing is ever updated or deleted: a decision, its undo and its correction are all
events, so the audit log is complete and a crash can only lose what was never
committed (and the browser still holds that, see docs/protocol.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .backends import Backend, PostgresBackend, SQLiteBackend, check_writable, is_postgres_url
from .schema import ALL_ACTIONS, EVENT_COLUMNS, MIGRATIONS, SCHEMA_VERSION

# Statuses a fold can end in; "skipped" and None mean the item still needs a person.
DECIDED_STATUSES = frozenset(
    {"accepted", "corrected", "flagged", "edited", "rejected", "rated", "compared"}
)
_STATUS_OF = {
    "accept": "accepted",
    "correct": "corrected",
    "flag": "flagged",
    "edit": "edited",
    "reject": "rejected",
    "rate": "rated",
    "compare": "compared",
}

_INSERT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES "
    f"({', '.join('?' for _ in EVENT_COLUMNS)}) ON CONFLICT (event_id) DO NOTHING"
)


def _locked(method):
    """Run a Store method under the store's lock (one connection, several threads)."""
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


def utc_now() -> str:
    """UTC time as ISO-8601 with milliseconds and a Z, the one format the log uses."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class ItemState:
    """The current state of one (task, item, content, annotator) after folding its events."""

    status: str | None = None
    label: str | None = None
    note: str | None = None
    data: Any = None
    event: Mapping[str, Any] | None = None  # the event that set this state
    n_events: int = 0

    @property
    def decided(self) -> bool:
        return self.status in DECIDED_STATUSES


def fold_event(state: ItemState, stack: list[ItemState], ev: Mapping[str, Any]) -> ItemState:
    """Apply one event to an item's state; `stack` holds earlier states for undo.

    skip on an undecided item marks it skipped and on a decided one changes nothing
    (moving past a decided item is not a decision); note only attaches text; undo
    restores the state before the last state-changing event.
    """
    action = ev["action"]
    n = state.n_events + 1
    if action == "undo":
        prev = stack.pop() if stack else ItemState()
        return ItemState(prev.status, prev.label, prev.note, prev.data, prev.event, n)
    if action == "note":
        return ItemState(state.status, state.label, ev.get("note"), state.data, state.event, n)
    if action == "skip":
        if state.decided:
            return ItemState(state.status, state.label, state.note, state.data, state.event, n)
        stack.append(state)
        return ItemState("skipped", None, ev.get("note"), None, ev, n)
    if action in _STATUS_OF:
        stack.append(state)
        if action == "accept":
            label = ev.get("label_after") or ev.get("model_label")
        elif action == "flag":
            label = ev.get("label_after")
        else:
            label = ev.get("label_after")
        return ItemState(_STATUS_OF[action], label, ev.get("note"), ev.get("data"), ev, n)
    # route and unknown future actions do not change a person's decision
    return ItemState(state.status, state.label, state.note, state.data, state.event, n)


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
        event_id, task, item_id and action; created_at defaults to now (UTC).
        """
        rows = [self._row(ev) for ev in events]
        if not rows:
            return []
        ids = [r[0] for r in rows]
        b = self.backend
        b.begin_write()
        try:
            existing = self._existing_ids(ids)
            fresh = [r for r in rows if r[0] not in existing]
            # Duplicate ids inside one batch: keep the first.
            seen: set[str] = set()
            unique = []
            for r in fresh:
                if r[0] not in seen:
                    seen.add(r[0])
                    unique.append(r)
            if unique:
                b.executemany(_INSERT, unique)
                self._settle_claims(unique)
            b.commit()
        except BaseException:
            b.rollback()
            raise
        return [r[0] for r in unique]

    def _settle_claims(self, rows: Sequence[tuple]) -> None:
        """In the decision's own transaction: a decided item counts as one of its k
        ratings (claim done); a skipped one is handed back to the pool."""
        col = {c: i for i, c in enumerate(EVENT_COLUMNS)}
        done, released = [], []
        for r in rows:
            action, ann = r[col["action"]], r[col["annotator"]] or ""
            key = (r[col["task"]], r[col["item_id"]], ann)
            if action in _STATUS_OF:
                done.append(key + (r[col["created_at"]],))
            elif action == "skip":
                released.append(key)
        if done:
            self.backend.executemany(
                "INSERT INTO claims (task, item_id, annotator, claimed_at, expires_at, done) "
                "VALUES (?, ?, ?, ?, 0, 1) ON CONFLICT (task, item_id, annotator) "
                "DO UPDATE SET done = 1", done)
        if released:
            self.backend.executemany(
                "DELETE FROM claims WHERE task = ? AND item_id = ? AND annotator = ? AND done = 0",
                released)

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
    def states(self, task: str | None = None) -> dict[tuple[str, str, str, str], ItemState]:
        """Fold the log: (task, item_id, content_hash, annotator) -> current state."""
        cols = ("event_id", "task", "item_id", "content_hash", "action", "label_after",
                "model_label", "annotator", "note", "data", "created_at", "duration_ms",
                "model_confidence", "guideline_version", "session_id", "kind")
        sql = f"SELECT {', '.join(cols)} FROM events WHERE action <> 'route'"
        params: list[Any] = []
        if task is not None:
            sql += " AND task = ?"
            params.append(task)
        sql += " ORDER BY seq"
        states: dict[tuple[str, str, str, str], ItemState] = {}
        stacks: dict[tuple[str, str, str, str], list[ItemState]] = {}
        for row in self.backend.query(sql, params):
            ev = dict(zip(cols, row))
            if isinstance(ev["data"], str):
                ev["data"] = json.loads(ev["data"])
            key = (ev["task"], ev["item_id"], ev["content_hash"] or "", ev["annotator"] or "")
            st = states.get(key, ItemState())
            states[key] = fold_event(st, stacks.setdefault(key, []), ev)
        return states

    def decisions(self, task: str | None = None, *, include_undecided: bool = False) -> pd.DataFrame:
        """One row per item (per annotator) with its current human label and status.

        Items whose last state-changing event was undone entirely, or that were only
        skipped, are left out unless `include_undecided`.
        """
        rows = []
        for (t, item_id, h, annotator), st in self.states(task).items():
            if not include_undecided and not st.decided:
                continue
            ev = st.event or {}
            rows.append({
                "task": t, "item_id": item_id, "annotator": annotator,
                "status": st.status, "human_label": st.label,
                "model_label": ev.get("model_label"),
                "model_confidence": ev.get("model_confidence"),
                "agrees_with_model": (st.label == ev.get("model_label"))
                if st.label is not None and ev.get("model_label") is not None else None,
                "note": st.note, "data": st.data,
                "decided_at": ev.get("created_at"), "duration_ms": ev.get("duration_ms"),
                "guideline_version": ev.get("guideline_version"),
                "session_id": ev.get("session_id"), "content_hash": h,
                "n_events": st.n_events,
            })
        cols = ["task", "item_id", "annotator", "status", "human_label", "model_label",
                "model_confidence", "agrees_with_model", "note", "data", "decided_at",
                "duration_ms", "guideline_version", "session_id", "content_hash", "n_events"]
        df = pd.DataFrame(rows, columns=cols)
        if len(df):
            df["decided_at"] = pd.to_datetime(df["decided_at"], utc=True, format="ISO8601")
        return df

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


def open_store(target: str | os.PathLike[str]) -> Store:
    """Open an existing store (a SQLite path or a postgresql:// URL) without any widget.

    >>> store = open_store("hitl.db")            # doctest: +SKIP
    >>> store.decisions()                         # doctest: +SKIP
    """
    return Store(target, create=is_postgres_url(target))
