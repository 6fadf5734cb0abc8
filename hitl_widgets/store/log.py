"""The append-only event log every widget writes to, with the fold kept beside it.

Nothing in the log is ever updated or deleted: a decision, its undo and its correction
are all events, so the audit log is complete and a crash can only lose what was never
committed (and the browser still holds that, see docs/protocol.md). Beside the log, the
``item_state`` table keeps each item's folded state (``events.fold``), written in the
same transaction as the events, so reading decisions never re-folds the log.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import pandas as pd

from .backends import (
    LOCK_TIMEOUT,
    RECONNECT_TIMEOUT,
    Backend,
    NotAStore,
    PostgresBackend,
    SQLiteBackend,
    StoreNotFound,
    StoreTooNew,
    can_write,
    check_writable,
    is_postgres_url,
)
from .events import (
    ALL_ACTIONS,
    DECIDED_STATUSES,
    EVENT_COLUMNS,
    RECORDS,
    ItemState,
    Stamp,
    StateKey,
    fold,
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
_LOG = logging.getLogger("hitl_widgets.store")

F = TypeVar("F", bound=Callable[..., Any])
_log = logging.getLogger("hitl_widgets.store")


def _locked(method: F) -> F:
    """Run a Store method under the store's lock (one connection, several threads), as
    one unit that `Store._run` runs again whole on a fresh connection when the
    PostgreSQL connection was lost (a method called from another runs inside it)."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            if self._depth:
                return method(self, *args, **kwargs)
            return self._run(method, args, kwargs)

    return wrapper  # type: ignore[return-value]


def _replayable(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Arguments that can be read twice: an iterator (a generator of events) is read
    into a list first, so an operation run again reads the same events."""
    if any(isinstance(a, Iterator) for a in args):
        args = tuple(list(a) if isinstance(a, Iterator) else a for a in args)
    if kwargs and any(isinstance(v, Iterator) for v in kwargs.values()):
        kwargs = {k: list(v) if isinstance(v, Iterator) else v for k, v in kwargs.items()}
    return args, kwargs


def utc_now() -> str:
    """UTC time as ISO-8601 with milliseconds and a Z, the one format the log uses."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# The columns a state is read back from (`_state_of_row`), after its key: the stored ones
# but the kind and the status (the status follows from the action, through the vocabulary).
_STATE_READ = tuple(c for c in STATE_COLUMNS if c not in ("kind", "status"))
_STATE_SELECT = ", ".join(_STATE_READ)


def _state_row(key: StateKey, kind: str | None, st: ItemState) -> tuple[Any, ...]:
    """The item_state row of a state (in STATE_COLUMNS order)."""
    stack = [snapshot(p) for p in reversed(st.stack())]
    stamp = st.stamp or Stamp("", None, None, None, None, None, False)
    return (
        *key,
        kind,
        st.action,
        st.status,
        st.label,
        st.note,
        json.dumps(dict(st.ratings), ensure_ascii=False, sort_keys=True) if st.ratings else None,
        st.model_label,
        st.verdict_id,
        st.rating_id,
        stamp.event_id or None,
        stamp.created_at,
        stamp.duration_ms,
        stamp.model_confidence,
        stamp.guideline_version,
        stamp.session_id,
        int(stamp.has_data),
        st.n_events,
        json.dumps(stack, ensure_ascii=False) if stack else None,
    )


def _state_of_row(r: Sequence[Any]) -> ItemState:
    """An ItemState from a row of _STATE_READ without its key (r[4:])."""
    (
        action,
        label,
        note,
        ratings,
        model_label,
        verdict_id,
        rating_id,
        event_id,
        created_at,
        duration_ms,
        confidence,
        gv,
        session_id,
        has_data,
        n,
        stack,
    ) = r
    stamp = (
        [event_id, created_at, duration_ms, confidence, gv, session_id, bool(has_data)] if event_id else None
    )
    top = [
        action,
        label,
        note,
        json.loads(ratings) if ratings else None,
        model_label,
        verdict_id,
        rating_id,
        stamp,
    ]
    return restore(json.loads(stack) if stack else [], top, int(n or 0))


class Store:
    """An append-only log of review events in SQLite (a file path) or PostgreSQL (a URL).

    Every write is one transaction, committed before it returns; event ids are unique,
    so writing the same event twice stores it once (a resent decision cannot double).
    """

    def __init__(
        self,
        target: str | os.PathLike[str] = "hitl.db",
        *,
        create: bool = True,
        read_only: bool | None = False,
        migrate: bool = True,
        lock_timeout: float = LOCK_TIMEOUT,
        reconnect_timeout: float = RECONNECT_TIMEOUT,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        """Open (`create`: or start) the store at `target`, a SQLite path or a
        ``postgresql://`` URL.

        read_only: True opens it for reading only (every write raises StoreReadOnly);
            None: read-only where the SQLite file or its folder cannot be written.
        migrate: False reads a store of an older schema as it is, never upgrading it
            (writes to it are refused); an empty database is still given the schema.
        lock_timeout: seconds a write waits for another process's SQLite write lock
            before StoreBusy (`on_wait` is told after about one second).
        reconnect_timeout: seconds of reconnecting to a PostgreSQL server that went
            away (backoff 0.1 s doubling, at most 2 s apart) before StoreUnavailable.
        on_wait: called with a sentence while a write waits (a lock, a reconnection);
            None logs it once per wait (logger ``hitl_widgets.store``). Settable later.
        """
        # One connection per Store; the lock keeps threads (a kernel's shell and subshell)
        # from interleaving statements inside each other's transactions.
        self._lock = threading.RLock()
        self._depth = 0  # > 0 inside a Store operation (`_run`)
        self._version = 0
        self.on_wait = on_wait
        self.store_id: str = ""
        if is_postgres_url(target):
            # The URL with its password stays in the backend (`_dsn`); `target` is masked.
            self.backend: Backend = PostgresBackend(
                str(target), reconnect_timeout=reconnect_timeout, notify=self._notify
            )
            self.target = self.backend.url
            if read_only:
                self.backend.write_refusal = "read_only=True"
        else:
            self.target = str(target)
            path = Path(target).expanduser()
            if not create and not path.exists():
                raise StoreNotFound(f"store={self.target!r} does not exist", target=self.target)
            refusal = "read_only=True"
            if read_only is None:  # open_store: what cannot be written is read
                read_only = path.is_file() and not can_write(path)
                refusal = "the file or its folder cannot be written"
            if read_only and not path.is_file():
                check_writable(path)  # a directory: its message
                raise StoreNotFound(f"store={self.target!r} does not exist", target=self.target)
            if not read_only:
                path = check_writable(target)
            self.backend = SQLiteBackend(
                path,
                read_only=bool(read_only),
                wal=migrate,
                lock_timeout=lock_timeout,
                notify=self._notify,
                name=self.target,
            )
            if read_only:
                self.backend.write_refusal = refusal
        self.read_only = bool(read_only)
        try:
            self._run(Store._open_schema, (migrate,), {})
        except BaseException:
            self.backend.close()
            raise

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``fn(self, *args, **kwargs)`` as one operation.

        A lost PostgreSQL connection (a server restart) is reopened, with the bounded
        backoff of `reconnect_timeout`, and `fn` run again from its start on the fresh
        connection, never resumed: its transaction was rolled back by the server, or,
        lost during COMMIT, committed, and every write is idempotent (events by
        event_id, kept states only for new ids), so running it again stores nothing
        twice. Past the bound: StoreUnavailable. A driver error becomes a StoreError
        naming the store (its password masked).
        """
        args, kwargs = _replayable(args, kwargs)
        deadline: float | None = None
        self._depth += 1
        try:
            while True:
                try:
                    return fn(self, *args, **kwargs)
                except Exception as exc:
                    b = self.backend
                    if not b.lost(exc):
                        err = b.translate(exc)
                        if err is exc:
                            raise
                        raise err from (None if err.__suppress_context__ else exc)
                    if deadline is None:
                        deadline = time.monotonic() + b.reconnect_timeout
                    b.reconnect(deadline)  # StoreUnavailable past the deadline
        finally:
            self._depth -= 1

    def _notify(self, text: str) -> None:
        """Tell the person a write is waiting: `on_wait`, else the log."""
        callback = self.on_wait
        if callback is None:
            _log.warning("%s", text)
            return
        try:
            callback(text)
        except Exception:  # the message is a courtesy: never fail the write for it
            _log.warning("%s", text, exc_info=True)

    @property
    def lock_timeout(self) -> float:
        """Seconds a write waits for another process's SQLite write lock (StoreBusy after)."""
        return float(getattr(self.backend, "lock_timeout", 0.0))

    @lock_timeout.setter
    def lock_timeout(self, seconds: float) -> None:
        if isinstance(self.backend, SQLiteBackend):
            self.backend.lock_timeout = float(seconds)

    @property
    def reconnect_timeout(self) -> float:
        """Seconds of reconnecting to PostgreSQL before StoreUnavailable."""
        return self.backend.reconnect_timeout

    @reconnect_timeout.setter
    def reconnect_timeout(self, seconds: float) -> None:
        self.backend.reconnect_timeout = float(seconds)

    # -- schema --------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        rows = self.backend.fetch("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    @property
    def schema_version(self) -> int:
        """The schema version this store is at (migrated on open, unless opened with
        migrate=False: `open_store` reads an older store as it is)."""
        return self._version

    def _read_version(self) -> int:
        if not self.backend.table_exists("meta"):
            return 0
        return int(self._meta("schema_version") or 0)

    def _open_schema(self, migrate: bool) -> None:
        """Check the schema, and write only where needed and allowed: a new store gets
        the schema; an older one is migrated unless `migrate` is False (then read as it
        is, writes refused). A store at this version is not written at all."""
        version = self._read_version()
        if version > SCHEMA_VERSION:
            raise self._too_new(version)
        b = self.backend
        store_id = self._meta("store_id") if version else None
        if (
            (version < SCHEMA_VERSION or store_id is None)
            and b.write_refusal is None
            and (migrate or version == 0)
        ):
            self._migrate()
            version, store_id = self._read_version(), self._meta("store_id")
        elif version == 0:
            raise NotAStore(
                f"store={self.target!r} is an empty database opened read-only: no "
                "store was written there yet",
                target=self.target,
            )
        elif version < SCHEMA_VERSION and b.write_refusal is None:
            b.write_refusal = (
                f"it has schema version {version}, older than this hitl-widgets' "
                f"{SCHEMA_VERSION}, and was opened to be read as it is; open it "
                f"with Store(...) to upgrade it"
            )
        self._version, self.store_id = version, store_id or ""

    def _too_new(self, version: int) -> StoreTooNew:
        return StoreTooNew(
            f"store {self.target!r} has schema version {version}, newer than this "
            f"hitl-widgets understands ({SCHEMA_VERSION}); upgrade hitl-widgets",
            target=self.target,
        )

    def _migrate(self) -> None:
        b = self.backend
        b.begin_write()
        try:
            if isinstance(b, PostgresBackend):
                b.lock_schema()
            version = 0
            if b.table_exists("meta"):
                rows = b.fetch("SELECT value FROM meta WHERE key = 'schema_version'")
                version = int(rows[0][0]) if rows else 0
            if version > SCHEMA_VERSION:
                raise self._too_new(version)
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
                decisions = [r for r in unique if r[_COL["action"]] not in RECORDS]
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

    def _read_states(
        self, keys: Iterable[StateKey], *, for_update: bool = False
    ) -> dict[StateKey, ItemState]:
        keys = sorted(set(keys))
        b = self.backend
        out: dict[StateKey, ItemState] = {}
        if not keys:
            return out
        pg = isinstance(b, PostgresBackend)
        if pg and for_update:  # rows to lock, also for items never seen
            b.executemany(
                "INSERT INTO item_state (task, item_id, content_hash, annotator, n_events) "
                "VALUES (?, ?, ?, ?, 0) ON CONFLICT DO NOTHING",
                keys,
            )
        cols = _STATE_SELECT
        wanted = set(keys)
        by_task: dict[str, list[str]] = {}
        for k in keys:
            by_task.setdefault(k[0], []).append(k[1])
        # (task, item_id IN ...) walks the primary key's prefix; a row-value IN would not
        for task, items in by_task.items():
            items = sorted(set(items))
            for i in range(0, len(items), 500):
                chunk = items[i : i + 500]
                sql = (
                    f"SELECT {cols} FROM item_state WHERE task = ? AND item_id IN "
                    f"({', '.join('?' for _ in chunk)})" + (" FOR UPDATE" if pg and for_update else "")
                )
                for r in b.fetch(sql, [task, *chunk]):
                    k = (r[0], r[1], r[2], r[3])
                    if r[18] and k in wanted:  # n_events 0: a row only made to lock
                        out[k] = _state_of_row(r[4:])
        return out

    def _write_states(
        self, states: Mapping[StateKey, tuple[str | None, ItemState]], *, replace: bool = False
    ) -> None:
        if replace:
            self.backend.execute("DELETE FROM item_state")
        rows = [_state_row(k, kind, st) for k, (kind, st) in states.items()]
        for i in range(0, len(rows), 5000):
            self.backend.executemany(_UPSERT_STATE, rows[i : i + 5000])

    def _fold_log(self, task: str | None = None) -> dict[StateKey, tuple[str | None, ItemState]]:
        """Fold the whole log (or one task's) in Python: the reference the kept states
        must equal (`check_states`), used to fill them when a store is migrated and to
        read a store that cannot be written."""
        names = (
            "event_id",
            "task",
            "kind",
            "item_id",
            "content_hash",
            "action",
            "label_after",
            "model_label",
            "annotator",
            "note",
            "data",
            "created_at",
            "duration_ms",
            "model_confidence",
            "guideline_version",
            "session_id",
        )
        sql = f"SELECT {', '.join(names)} FROM events WHERE action NOT IN ('route', 'execute')"
        params: list[Any] = []
        if task is not None:
            sql += " AND task = ?"
            params.append(task)
        out: dict[StateKey, tuple[str | None, ItemState]] = {}
        for row in self.backend.fetch(sql + " ORDER BY seq", params):
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
        return sorted(
            k for k in set(fresh) | set(kept) if _comparable(fresh.get(k)) != _comparable(kept.get(k))
        )

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
                "DO UPDATE SET done = 1",
                done,
            )
        if released:
            self.backend.executemany(
                "DELETE FROM claims WHERE task = ? AND item_id = ? AND annotator = ?", released
            )

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
        group: str | None = None,
        quotas: Mapping[str, int] | None = None,
    ) -> list[str]:
        """Hand `annotator` up to `limit` of `candidates` (in their order) that fewer than
        `k` other annotators hold, never one this annotator already decided.

        One write transaction, so concurrent annotators (processes, machines) are handed
        different items until each item has its k. A claim not decided within `ttl`
        seconds lapses and the item goes back to the pool.

        `group` is the claimer's group (e.g. their profile's gender; None: none known),
        recorded with the claim. `quotas` (group -> slots, summing to at most `k`)
        reserves, on every item, that many of its k slots for annotators of each group;
        the other ``k - sum(quotas)`` slots are open to anyone. An annotator takes an item
        only into a free slot reserved for their group or a free open slot, so an item
        that reaches its k has at least ``quotas[g]`` ratings from each group g (an item
        whose reserved slots no one of that group takes stays short of k). Every claimer
        of a task must pass the same `quotas`.
        """
        if k < 1:
            raise ValueError(f"overlap k must be at least 1, got {k}")
        reserved = _check_quotas(quotas, k)
        cands = [str(c) for c in candidates]
        if not cands or limit <= 0:
            return []
        b = self.backend
        now = time.time()
        b.begin_write()
        try:
            if isinstance(b, PostgresBackend):  # serialise claimers of one task
                b.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (task,))
            mine_done: set[str] = set()
            others: dict[str, int] = {}
            held: dict[str, dict[str | None, int]] = {}  # item -> group -> holders
            for i in range(0, len(cands), 500):
                chunk = cands[i : i + 500]
                rows = b.fetch(
                    "SELECT item_id, annotator, done, expires_at, grp FROM claims WHERE task = ? "
                    f"AND item_id IN ({', '.join('?' for _ in chunk)})",
                    [task, *chunk],
                )
                for item_id, ann, done, expires, grp in rows:
                    if ann == annotator:
                        if done:
                            mine_done.add(item_id)
                    elif done or float(expires) > now:
                        others[item_id] = others.get(item_id, 0) + 1
                        by_grp = held.setdefault(item_id, {})
                        by_grp[grp] = by_grp.get(grp, 0) + 1
            picked: list[str] = []
            for c in cands:
                if len(picked) >= limit:
                    break
                if c in mine_done or others.get(c, 0) >= k:
                    continue
                if reserved and not _has_room(held.get(c, {}), group, reserved, k):
                    continue
                picked.append(c)
            if picked:
                stamp = utc_now()
                b.executemany(
                    "INSERT INTO claims (task, item_id, annotator, claimed_at, expires_at, done, grp) "
                    "VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (task, item_id, annotator) "
                    "DO UPDATE SET expires_at = excluded.expires_at, "
                    "claimed_at = excluded.claimed_at, grp = excluded.grp",
                    [(task, c, annotator, stamp, now + ttl, group) for c in picked],
                )
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
                b.execute(
                    "DELETE FROM claims WHERE task = ? AND annotator = ? AND done = 0", (task, annotator)
                )
            else:
                b.executemany(
                    "DELETE FROM claims WHERE task = ? AND item_id = ? AND annotator = ? AND done = 0",
                    [(task, str(i), annotator) for i in item_ids],
                )
            b.commit()
        except BaseException:
            b.rollback()
            raise

    @_locked
    def rating_counts(self, task: str) -> dict[str, int]:
        """item_id -> number of annotators whose decision on it counts (claims done)."""
        rows = self.backend.fetch(
            "SELECT item_id, COUNT(*) FROM claims WHERE task = ? AND done = 1 GROUP BY item_id", (task,)
        )
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
            rows = b.fetch("SELECT version, text_hash FROM guidelines WHERE task = ?", (task,))
            for version, th in rows:
                if th == h:
                    b.commit()
                    return str(version)
            version = f"v{len(rows) + 1}"
            b.execute(
                "INSERT INTO guidelines (task, version, text_hash, text, created_at) VALUES (?, ?, ?, ?, ?)",
                (task, version, h, text, utc_now()),
            )
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
        rows = self.backend.fetch(sql + " ORDER BY task, created_at", params)
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
            found.update(r[0] for r in self.backend.fetch(q, chunk))
        return found

    @staticmethod
    def _row(ev: Mapping[str, Any]) -> tuple[Any, ...]:
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
        """The full audit log (optionally one task / annotator / action), in commit order;
        `since_seq`: only the events numbered (``seq``) above it (a reader that keeps the
        largest ``seq`` it saw reads only what was written since)."""
        where: list[str] = ["seq > ?"]
        params: list[Any] = [since_seq]
        # reading what follows a number: SQLite walks the log from that number (a unary
        # plus keeps it off the task / annotator indexes, which would walk every event of
        # the task); PostgreSQL's planner weighs the two itself
        tail = since_seq > 0 and isinstance(self.backend, SQLiteBackend)
        for col, val in (("task", task), ("annotator", annotator), ("action", action)):
            if val is not None:
                where.append(f"{'+' if tail else ''}{col} = ?")
                params.append(val)
        cols = ("seq", *EVENT_COLUMNS)
        rows = self.backend.fetch(
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
            return {
                k: st
                for k, (_kind, st) in self._fold_log(task).items()
                if annotator is None or k[3] == annotator
            }
        where, params = ["n_events > 0"], []
        for col, val in (("task", task), ("annotator", annotator)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        rows = self.backend.fetch(
            f"SELECT {_STATE_SELECT} FROM item_state WHERE " + " AND ".join(where), params
        )
        return {(r[0], r[1], r[2], r[3]): _state_of_row(r[4:]) for r in rows}

    @_locked
    def decisions(
        self, task: str | None = None, *, include_undecided: bool = False, annotator: str | None = None
    ) -> pd.DataFrame:
        """One row per item (per annotator) with its current human label and status.

        Items whose decisions were all undone, or that were only skipped, are left out
        unless `include_undecided`. The verdict and the ratings are kept apart: an item
        accepted and then rated is "accepted", with its ``ratings``. Rows come in the
        order of the events that set them.
        """
        cols: dict[str, Any] | None = None
        if self.schema_version < 4:  # an old store opened read-only: fold the log here
            rows = self._decision_rows_from_log(task, include_undecided, annotator)
        else:
            where, params = ["n_events > 0"], []
            if not include_undecided:
                where.append(f"status IN ({', '.join('?' for _ in DECIDED_STATUSES)})")
                params.extend(sorted(DECIDED_STATUSES))
            for col, val in (("task", task), ("annotator", annotator)):
                if val is not None:
                    where.append(f"{col} = ?")
                    params.append(val)
            # the states carry what decisions() shows: one table read, no join with the log
            sql = f"SELECT {_DECISION_SELECT} FROM item_state WHERE " + " AND ".join(where)
            cols = self._arrow_columns(sql, params)
            if cols is None:
                rows = self.backend.fetch(sql, params)
        if cols is None:
            cols = _columns_of_rows(rows)
        # the data of the few events that have any (texts, gold, a sample mark)
        with_data = [e for e, h in zip(cols["event_id"], cols["has_data"], strict=True) if h]
        data = {k: v.get("data") for k, v in self.events_by_id(with_data).items()} if with_data else {}
        return _decision_frame(cols, data)

    def _arrow_columns(self, sql: str, params: Sequence[Any]) -> dict[str, Any] | None:
        """decisions()' columns read through ADBC (the ``fast`` extra), or None."""
        try:
            table = self.backend.fetch_arrow(sql, params)
        except Exception as exc:  # any trouble: the row-by-row read gives the same frame
            _LOG.debug("ADBC read failed (%s): reading row by row", exc)
            return None
        return None if table is None else _columns_of_arrow(table)

    def _decision_rows_from_log(
        self, task: str | None, include_undecided: bool, annotator: str | None
    ) -> list[tuple[Any, ...]]:
        rows = []
        for (t, item_id, h, ann), (kind, st) in self._fold_log(task).items():
            if (not include_undecided and not st.decided) or (annotator is not None and ann != annotator):
                continue
            sp = st.stamp or Stamp("", None, None, None, None, None, False)
            rows.append(
                (
                    item_id,
                    st.status,
                    st.label,
                    st.model_label,
                    ann,
                    t,
                    json.dumps(dict(st.ratings)) if st.ratings else None,
                    st.note,
                    sp.model_confidence,
                    sp.created_at,
                    sp.duration_ms,
                    sp.guideline_version,
                    sp.session_id,
                    h,
                    st.n_events,
                    kind,
                    sp.event_id or None,
                    sp.has_data,
                )
            )
        return rows

    def _events_by_id(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        cols = ("seq", *EVENT_COLUMNS)
        out: dict[str, dict[str, Any]] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT {', '.join(cols)} FROM events WHERE event_id IN ({', '.join('?' for _ in chunk)})"
            for r in self.backend.fetch(q, chunk):
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
    def item_events(self, task: str, item_id: str) -> list[dict[str, Any]]:
        """One item's events in log order (``data`` parsed): what an agent waiting on its
        held call reads (an indexed read, cheap enough to poll)."""
        cols = ("seq", *EVENT_COLUMNS)
        rows = self.backend.fetch(
            f"SELECT {', '.join(cols)} FROM events WHERE task = ? AND item_id = ? ORDER BY seq",
            (task, item_id),
        )
        out = []
        for r in rows:
            ev = dict(zip(cols, r, strict=True))
            if isinstance(ev.get("data"), str):
                ev["data"] = json.loads(ev["data"])
            out.append(ev)
        return out

    @_locked
    def latest_hashes(self, task: str) -> dict[str, str]:
        """item_id -> the content hash of its latest human event in `task`."""
        rows = self.backend.fetch(
            "SELECT item_id, content_hash FROM events WHERE task = ? AND action NOT IN ('route', 'execute') "
            "ORDER BY seq",
            (task,),
        )
        return {item_id: h for item_id, h in rows}

    @_locked
    def count(self) -> int:
        """Number of events in the log."""
        return int(self.backend.fetch("SELECT COUNT(*) FROM events")[0][0])

    def close(self) -> None:
        """Close the connection (events are already durable; nothing is flushed here)."""
        with self._lock:
            self.backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # no query: a repr works with the server away; `target` has no password
        ro = ", read_only=True" if self.backend.write_refusal is not None else ""
        return f"Store({self.target!r}, schema_version={self._version}{ro})"


# -- helpers ------------------------------------------------------------------------


def _key(row: Sequence[Any]) -> StateKey:
    return (
        row[_COL["task"]],
        row[_COL["item_id"]],
        row[_COL["content_hash"]] or "",
        row[_COL["annotator"]] or "",
    )


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
    "item_id",
    "status",
    "human_label",
    "model_label",
    "agrees_with_model",
    "annotator",
    "task",
    "ratings",
    "note",
    "model_confidence",
    "decided_at",
    "duration_ms",
    "guideline_version",
    "session_id",
    "content_hash",
    "n_events",
    "kind",
    "event_id",
    "data",
]


# What `decisions()` reads of item_state, in the order of DECISION_COLUMNS (less the
# agreement, worked out after): the human's label is the state's `label`, and only
# whether the verdict has data (the data itself is read for the rows that have it).
_DECISION_NAMES = tuple(
    "has_data" if c == "data" else c for c in DECISION_COLUMNS if c != "agrees_with_model"
)
_DECISION_SELECT = ", ".join("label" if c == "human_label" else c for c in _DECISION_NAMES)
_NUMERIC = ("model_confidence", "duration_ms", "n_events", "has_data")


def _columns_of_rows(rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    import numpy as np

    if not rows:
        return {n: np.empty(0, dtype=object) for n in _DECISION_NAMES}
    return {
        n: np.array(c, dtype=object) for n, c in zip(_DECISION_NAMES, zip(*rows, strict=True), strict=True)
    }


def _columns_of_arrow(table: Any) -> dict[str, Any]:
    import numpy as np
    import pyarrow as pa

    out: dict[str, Any] = {}
    for n, col in zip(_DECISION_NAMES, table.columns, strict=True):
        if n in _NUMERIC or pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            out[n] = col.to_numpy(zero_copy_only=False)
        else:  # a text column with no value at all: its type was guessed
            out[n] = np.full(len(col), None, dtype=object)
    return out


def _decision_frame(cols: Mapping[str, Any], data: Mapping[str, Any]) -> pd.DataFrame:
    """`decisions()`'s frame, in the order things were decided: what a person looks at
    first leads (item, status, the human's and the model's label, whether they agree).
    Text columns hold None where missing (object dtype: pandas 3 would turn None into
    NaN in a text column).

    Built for size (a team store gives hundreds of thousands of rows): each column is put
    in order as a numpy array first, and the frame is made once, in its final column
    order (reordering a built frame copies every column twice)."""
    import numpy as np

    n = len(cols["item_id"])
    decided_at = pd.to_datetime(pd.Series(cols["decided_at"], dtype=object), utc=True, format="ISO8601")
    # (the int64 view: a tz-aware column's to_numpy() would build a Timestamp per row)
    stamps = cast(Any, decided_at.array).asi8
    order: Any = np.argsort(stamps, kind="stable") if n else None
    if order is not None and (np.diff(order) == 1).all():
        order = None  # already in order (the usual case): no copy

    def arranged(values: Any) -> Any:
        arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
        return arr if order is None else arr[order]

    human, model = arranged(cols["human_label"]), arranged(cols["model_label"])
    known = (human != None) & (model != None)  # noqa: E711 (elementwise on object arrays)
    agree = np.full(n, None, dtype=object)
    agree[known] = human[known] == model[known]
    ratings, has, none = cols["ratings"], cols["has_data"], np.full(n, None, dtype=object)
    built = {  # the columns that are not read as they are
        "human_label": human,
        "model_label": model,
        "agrees_with_model": agree,
        "ratings": arranged([json.loads(v) if isinstance(v, str) else None for v in ratings])
        if any(v is not None for v in ratings)
        else none,
        "data": arranged([data.get(e) if h else None for e, h in zip(cols["event_id"], has, strict=True)])
        if data
        else none,
    }
    out: dict[str, Any] = {}
    for name in DECISION_COLUMNS:
        if name in built:
            out[name] = pd.Series(built[name], dtype=object)
        elif name == "decided_at":
            out[name] = decided_at if order is None else decided_at.iloc[order].reset_index(drop=True)
        elif name in ("model_confidence", "duration_ms"):
            out[name] = pd.to_numeric(pd.Series(arranged(cols[name])), errors="coerce").astype("float64")
        elif name == "n_events":
            out[name] = pd.Series(arranged(cols[name])).astype("int64")
        else:
            out[name] = pd.Series(arranged(cols[name]), dtype=object)
    return pd.DataFrame(out, columns=DECISION_COLUMNS)


def _check_quotas(quotas: Mapping[str, int] | None, k: int) -> dict[str, int]:
    """`quotas` as a plain dict, checked against `k` (ValueError naming `quotas`)."""
    if quotas is None:
        return {}
    if not isinstance(quotas, Mapping):
        raise ValueError(f"quotas must map group to slots, got {type(quotas).__name__}")
    out: dict[str, int] = {}
    for g, n in quotas.items():
        if not isinstance(g, str) or isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"quotas: each group must be text with a positive integer, got {g!r}: {n!r}")
        out[g] = n
    if sum(out.values()) > k:
        raise ValueError(f"quotas reserve {sum(out.values())} slots per item, more than overlap k={k}")
    return out


def _has_room(held: Mapping[str | None, int], group: str | None, quotas: Mapping[str, int], k: int) -> bool:
    """Whether an item whose other holders are `held` (group -> count) has a slot for an
    annotator of `group`: a free slot reserved for that group, or a free open slot (the
    ``k - sum(quotas)`` not reserved; holders beyond their group's quota, or of no
    listed group, fill those)."""
    if sum(held.values()) >= k:
        return False
    if group is not None and group in quotas and held.get(group, 0) < quotas[group]:
        return True
    in_reserved = sum(min(n, quotas[g]) for g, n in held.items() if g is not None and g in quotas)
    in_open = sum(held.values()) - in_reserved
    return in_open < k - sum(quotas.values())


@contextlib.contextmanager
def using_store(store: Store | str | os.PathLike[str], *, create: bool = True) -> Iterator[Store]:
    """`store` itself when it is a Store (left open), else a Store opened on that path or
    URL for the block and closed after it (``create=False``: an existing store only)."""
    if isinstance(store, Store):
        yield store
        return
    st = Store(store, create=create)
    try:
        yield st
    finally:
        st.close()


def open_store(
    target: str | os.PathLike[str],
    *,
    read_only: bool | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
    reconnect_timeout: float = RECONNECT_TIMEOUT,
    on_wait: Callable[[str], None] | None = None,
) -> Store:
    """Open an existing store (a SQLite path or a postgresql:// URL) without any widget.

    A reader does not write: a store of an older schema is read as it is, never
    migrated (writing to it raises StoreReadOnly), and a SQLite file that cannot be
    written (permissions, a read-only mount) is opened read-only (``read_only=None``;
    True forces it). A missing SQLite file raises FileNotFoundError (StoreNotFound).

    >>> store = open_store("hitl.db")            # doctest: +SKIP
    >>> store.decisions()                         # doctest: +SKIP
    """
    pg = is_postgres_url(target)
    return Store(
        target,
        create=pg,
        read_only=bool(read_only) if pg else read_only,
        migrate=False,
        lock_timeout=lock_timeout,
        reconnect_timeout=reconnect_timeout,
        on_wait=on_wait,
    )
