"""The two databases behind the store: SQLite (embedded default) and PostgreSQL.

Everything above this file writes one SQL dialect (qmark placeholders, `ON CONFLICT
DO NOTHING`); a backend only knows how to connect, how to start a write transaction,
and the few type words that differ.

It also owns what can go wrong with a database that is not ours alone, each reported
as a `StoreError` whose message names the store (a path, or a URL with its password
masked) and says what to do:

- another process holds the SQLite write lock: the wait is bounded (`lock_timeout`),
  announced after about a second (`notify`), and ends in `StoreBusy`;
- the PostgreSQL server went away (a restart): the backend reconnects with a bounded
  exponential backoff (`reconnect_timeout`); the Store re-runs the whole operation on
  the fresh connection, or raises `StoreUnavailable` past the bound;
- a file that is not a store (another application's database, garbage): `NotAStore`,
  raised before anything in the file is changed (even its journal mode);
- a store that cannot or must not be written (read-only file or mount, an old schema
  opened for reading): opened read-only, and a write raises `StoreReadOnly`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

LOCK_TIMEOUT = 10.0  # s an append waits for another process's SQLite write lock
RECONNECT_TIMEOUT = 10.0  # s the store keeps reconnecting to a PostgreSQL server that went away
WAIT_NOTICE = 1.0  # s of waiting before the person is told (`notify`)
_BACKOFF_FIRST, _BACKOFF_MAX = 0.1, 2.0  # s between reconnection attempts: 0.1, 0.2, 0.4 ... 2


# -- errors ---------------------------------------------------------------------------


class StoreError(Exception):
    """A problem with the store, said for the person: what happened and what to do.

    ``target`` is the store as it may be shown: a path, or a URL with the password
    masked. The message never holds a password.
    """

    def __init__(self, message: str, *, target: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.target = target

    sqlstate: str | None = None  # PostgreSQL's error code, where the driver gave one


class StoreUnavailable(StoreError, ConnectionError):
    """The PostgreSQL server cannot be reached (past ``reconnect_timeout``) or refused
    the connection. ``reason`` is the driver's reason (password masked); ``waited`` the
    seconds spent reconnecting; ``transient`` is False when retrying cannot help (bad
    password, unknown database or host)."""

    def __init__(
        self, message: str, *, target: str = "", reason: str = "", waited: float = 0.0, transient: bool = True
    ) -> None:
        super().__init__(message, target=target)
        self.reason, self.waited, self.transient = reason, waited, transient


class StoreBusy(StoreError, TimeoutError):
    """Another process held the SQLite write lock longer than ``lock_timeout``: nothing
    was written. ``waited`` is the seconds waited."""

    def __init__(self, message: str, *, target: str = "", waited: float = 0.0) -> None:
        super().__init__(message, target=target)
        self.waited = waited


class StoreReadOnly(StoreError, PermissionError):
    """A write through a store opened read-only; nothing was written. ``reason`` says
    why it is read-only."""

    def __init__(self, message: str, *, target: str = "", reason: str = "") -> None:
        super().__init__(message, target=target)
        self.reason = reason


class NotAStore(StoreError, ValueError):
    """The file is not a hitl-widgets store (another application's database, or not a
    SQLite database at all); it was left unchanged. ``tables`` lists what it holds."""

    def __init__(self, message: str, *, target: str = "", tables: Sequence[str] = ()) -> None:
        super().__init__(message, target=target)
        self.tables = list(tables)


class StoreTooNew(StoreError, RuntimeError):
    """The store was written by a newer hitl-widgets (schema version above this one's)."""


class StoreNotFound(StoreError, FileNotFoundError):
    """`open_store` of a SQLite path where no file exists."""


# -- passwords ------------------------------------------------------------------------

# user:password@ in a URL (up to the last @ of the run: a raw @ in a password is masked too)
_URL_PASSWORD = re.compile(r"((?:postgres|postgresql)://[^:@/\s\"']*:)[^\s\"']*@", re.IGNORECASE)
# password=... in a query string or a key=value connection string (sslpassword too)
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s\"']*)", re.IGNORECASE)


def mask_password(text: str, secrets: Sequence[str] = ()) -> str:
    """`text` with every password it may hold replaced by ``***``: the password of a
    ``postgresql://user:password@host`` URL, ``password=`` parameters, and `secrets`
    (the passwords of the store's own URL) wherever they appear."""
    out = _URL_PASSWORD.sub(r"\1***@", text)
    out = _KV_PASSWORD.sub(r"\1***", out)
    for s in secrets:
        if len(s) >= 4:  # shorter: the two patterns above, not every such substring
            out = out.replace(s, "***")
    return out


def url_secrets(url: str) -> list[str]:
    """The password(s) a PostgreSQL URL holds, as written and decoded."""
    found: list[str] = []
    try:
        parts = urlsplit(url)
        found.append(parts.password or "")
        found += [v for k, v in parse_qsl(parts.query) if k.lower().endswith("password")]
    except ValueError:  # not a URL urllib can read: the patterns of mask_password remain
        pass
    found += re.findall(r"password=([^&#\s]*)", url, flags=re.IGNORECASE)
    return sorted({v for s in found for v in (s, unquote(s)) if v}, key=len, reverse=True)


# -- the backends ---------------------------------------------------------------------


class Backend:
    """A connection and the dialect details of one database."""

    serial: str
    real: str
    url: str  # the store as it may be shown (a PostgreSQL password masked)
    # set: every write transaction is refused with StoreReadOnly, saying this
    write_refusal: str | None = None
    reconnect_timeout: float = RECONNECT_TIMEOUT

    # what each backend provides
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def begin_write(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        raise NotImplementedError

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def fetch_arrow(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The result as a `pyarrow.Table` read column by column through ADBC, or None
        where the ADBC driver (the ``fast`` extra) is not installed: reading a few
        hundred thousand rows this way costs a fraction of building one Python tuple
        per row. Only for reads that have a row-by-row twin (`fetch`)."""
        return None

    def columns(self, table: str) -> list[str]:
        raise NotImplementedError

    def table_exists(self, table: str) -> bool:
        raise NotImplementedError

    def lost(self, exc: BaseException) -> bool:
        """Whether `exc` means the connection is gone (reconnect and run it again)."""
        return False

    def reconnect(self, deadline: float) -> None:
        """A fresh connection, trying until `deadline` (time.monotonic)."""
        raise NotImplementedError

    def translate(self, exc: BaseException) -> BaseException:
        """The StoreError to raise for a driver error (naming the store); `exc` itself
        when it is not a database error."""
        return exc

    def refuse_write(self) -> None:
        raise StoreReadOnly(
            f"the store {self.url} is open read-only ({self.write_refusal}): nothing was "
            "written (a decision made in the browser is kept there); open a writable store "
            "to save decisions",
            target=self.url,
            reason=self.write_refusal or "",
        )


Notify = Callable[[str], None]


def _is_busy(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc)


class SQLiteBackend(Backend):
    """SQLite in WAL mode with `synchronous=FULL`: a committed event survives a killed
    process and a power cut; readers never block the writer.

    `wal`: False (a reader) leaves the file's journal mode as it is (a store written by
    `Store` is in WAL mode already).

    `read_only`: opened with ``mode=ro`` (``immutable=1`` where even SQLite's shared
    memory file cannot be made, a read-only folder), never switched to WAL, every write
    refused. A file that is not a store is refused before anything is changed in it.
    """

    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
    real = "REAL"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        read_only: bool = False,
        wal: bool = True,
        lock_timeout: float = LOCK_TIMEOUT,
        notify: Notify | None = None,
        name: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.url = name if name is not None else str(self.path)
        self.lock_timeout = float(lock_timeout)
        self.notify = notify
        self.read_only = read_only
        self.wal = wal
        self.immutable = False
        try:
            self.conn = self._open(synchronous)
        except sqlite3.Error as exc:
            raise self.translate(exc) from exc

    @property
    def _slice(self) -> float:
        """The first wait for a lock, before the person is told."""
        return max(0.0, min(WAIT_NOTICE, self.lock_timeout))

    def _connect(self, uri: str | None = None) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so one decision is
        # exactly one transaction and nothing is held open between calls.
        return sqlite3.connect(
            uri or str(self.path),
            isolation_level=None,
            check_same_thread=False,
            timeout=self._slice,
            uri=uri is not None,
        )

    def _open(self, synchronous: str) -> sqlite3.Connection:
        if self.read_only:
            conn = self._open_read_only()
            self._refuse_foreign(conn)
            self.write_refusal = "opened read-only"
            return conn
        conn = self._connect()
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._slice * 1000)}")
            # before anything is written, even the journal mode: is it a store?
            wal = self._refuse_foreign(conn) or self.wal  # a new store is always WAL
            # (a reader, wal=False, leaves an existing file's journal mode as it is)
            mode = conn.execute("PRAGMA journal_mode" + (" = WAL" if wal else "")).fetchone()[0]
            if wal and str(mode).lower() != "wal":  # e.g. a file system that cannot share memory
                raise StoreError(
                    f"the store {self.url}: SQLite could not switch to WAL mode ({mode})", target=self.url
                )
            conn.execute(f"PRAGMA synchronous = {synchronous}")
            # A short WAL (checkpoint every 100 pages instead of 1,000) stays cheap to fsync:
            # measured here, a durable commit drops from ~3-4 ms to ~0.3 ms median.
            conn.execute("PRAGMA wal_autocheckpoint = 100")
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        """``mode=ro``; a WAL store in a read-only folder has no shared-memory file and
        cannot make one: then ``immutable=1`` (nothing can write there either)."""
        base = self.path.resolve().as_uri()
        conn = self._connect(base + "?mode=ro")
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            if code not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY):
                raise
        self.immutable = True
        return self._connect(base + "?mode=ro&immutable=1")

    def fetch_arrow(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """None: SQLite stores are read through Python's own sqlite3, never through the
        ADBC SQLite driver. That driver bundles a second SQLite library, and POSIX file
        locks belong to the process: closing its connection dropped every lock this
        process held on the file (a reader's hold on the WAL), so another process could
        checkpoint under a reader of ours and the reader saw a malformed database.
        `tests/test_store.py` checks that a read keeps the locks."""
        return None

    def _refuse_foreign(self, conn: sqlite3.Connection) -> bool:
        """Raise NotAStore unless the file is empty (return True) or holds a store (a
        ``meta`` table with its schema version or store id). Reads only."""
        try:
            objects = conn.execute(
                "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            if "not a database" not in str(exc):
                raise
            conn.close()
            raise NotAStore(
                f"store={str(self.url)!r} is not a SQLite database ({exc}); it was left "
                "unchanged. Give a new file name (e.g. 'hitl.db') or the path of an existing store",
                target=self.url,
            ) from None
        if not objects:
            return True
        try:
            known = conn.execute(
                "SELECT COUNT(*) FROM meta WHERE key IN ('schema_version', 'store_id')"
            ).fetchone()[0]
        except sqlite3.DatabaseError:  # no meta table, or another one of that name
            known = 0
        if known:
            return False
        conn.close()
        tables = [n for t, n in objects if t == "table"] or [n for _t, n in objects]
        shown = ", ".join(tables[:8]) + (f" and {len(tables) - 8} more" if len(tables) > 8 else "")
        raise NotAStore(
            f"store={str(self.url)!r} is not a hitl-widgets store: it is another database "
            f"(it holds {shown}) with no store metadata; it was left unchanged. Give a new "
            "file name (e.g. 'hitl.db') or the path of an existing store",
            target=self.url,
            tables=tables,
        )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        before = self.conn.total_changes
        self.conn.executemany(sql, rows)
        return self.conn.total_changes - before

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    def begin_write(self) -> None:
        # IMMEDIATE takes the write lock now, so two writers queue instead of
        # failing later with "database is locked" in the middle of a transaction.
        if self.write_refusal is not None:
            self.refuse_write()
        try:
            self.conn.execute("BEGIN IMMEDIATE")  # waits up to _slice for the lock
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            self._wait_for_lock()

    def _wait_for_lock(self) -> None:
        """Another process holds the write lock: say so, wait until lock_timeout, then
        raise StoreBusy. Only here, after a first wait: the hot path pays nothing."""
        waited0 = self._slice
        start = time.monotonic() - waited0
        deadline = start + self.lock_timeout
        if self.notify is not None:
            self.notify(
                f"the store {self.url} is locked by another process (a writer holds it); "
                f"waiting up to {self.lock_timeout:g} s..."
            )
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._busy(time.monotonic() - start)
                self.conn.execute(f"PRAGMA busy_timeout = {max(1, int(min(left, 1.0) * 1000))}")
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc):
                        raise
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(self._slice * 1000)}")

    def _busy(self, waited: float) -> StoreBusy:
        return StoreBusy(
            f"the store {self.url} is locked by another process (a writer has held it for "
            f"{waited:.0f} s): nothing was written (a decision made in the browser is kept "
            "there and sent again); close the other program or notebook writing to it, or "
            "raise lock_timeout",
            target=self.url,
            waited=waited,
        )

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})").fetchall()]

    def table_exists(self, table: str) -> bool:
        return bool(
            self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)
            ).fetchone()
        )

    def translate(self, exc: BaseException) -> BaseException:
        if isinstance(exc, StoreError) or not isinstance(exc, sqlite3.Error):
            return exc
        if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
            return self._busy(self._slice)
        text = str(exc)
        if "readonly" in text.replace(" ", "") or "read-only" in text:
            return StoreReadOnly(
                f"the store {self.url} cannot be written ({text}): nothing was written (a "
                "decision made in the browser is kept there); check the file's permissions "
                "and free space",
                target=self.url,
                reason=text,
            )
        if "not a database" in text:
            return NotAStore(f"store={str(self.url)!r} is not a SQLite database ({text})", target=self.url)
        return StoreError(f"the store {self.url}: {text}", target=self.url)


class PostgresBackend(Backend):
    """PostgreSQL through psycopg 3, for annotators on many machines.

    The URL with its password is kept only in ``_dsn`` (to connect); ``url`` is masked.
    A connection lost (a server restart) is reopened by `reconnect`, with a bounded
    exponential backoff; the Store runs the interrupted operation again from its start.
    """

    serial = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    real = "DOUBLE PRECISION"

    def __init__(
        self, url: str, *, reconnect_timeout: float = RECONNECT_TIMEOUT, notify: Notify | None = None
    ) -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "store=postgresql://... needs psycopg: pip install 'hitl-widgets[postgres]'"
            ) from exc
        self._psycopg = psycopg
        self._dsn = url
        self._secrets = url_secrets(url)
        self.url = mask_password(url, self._secrets)
        self.reconnect_timeout = float(reconnect_timeout)
        self.notify = notify
        self._in_tx = False
        self._closed = False
        self.conn: Any = None
        self.conn = self._connect_until(time.monotonic() + self.reconnect_timeout, opening=True)

    # -- connecting ------------------------------------------------------------------
    def _mask(self, text: str) -> str:
        return mask_password(text, self._secrets)

    @staticmethod
    def _permanent(exc: BaseException) -> bool:
        """A refusal that waiting cannot cure (credentials, database name, host name)."""
        state = getattr(exc, "sqlstate", None) or ""
        if state.startswith(("28", "3D")):
            return True
        text = str(exc).lower()
        return any(
            s in text
            for s in (
                "password authentication failed",
                "no password supplied",
                "does not exist",
                "no pg_hba.conf entry",
                "failed to resolve host",
                "could not translate host name",
                "invalid connection option",
                "invalid integer value",
                "invalid uri",
                "invalid dsn",
                'missing "="',
                "authentication failed",
            )
        )

    def _reason(self, exc: BaseException) -> str:
        text = str(exc).strip().replace("\n\t", "; ").replace("\n", " ")
        text = re.sub(r"^connection failed: ", "", text)
        return self._mask(text) or type(exc).__name__

    def unavailable(self, exc: BaseException, waited: float, *, opening: bool) -> StoreUnavailable:
        reason = self._reason(exc)
        if self._permanent(exc):
            return StoreUnavailable(
                f"the PostgreSQL server at {self.url} cannot be connected to ({reason}): check "
                "the user name, password, host and database name in the URL",
                target=self.url,
                reason=reason,
                waited=waited,
                transient=False,
            )
        then = (
            "the store could not be opened"
            if opening
            else "nothing was written; decisions are kept in the browser and will be saved when it is back"
        )
        return StoreUnavailable(
            f"the PostgreSQL server at {self.url} cannot be reached ({reason}; tried for "
            f"{waited:.1f} s): {then}; check the server (is it running and reachable?)",
            target=self.url,
            reason=reason,
            waited=waited,
            transient=True,
        )

    def _connect_until(self, deadline: float, *, opening: bool = False) -> Any:
        """Connect, trying again after 0.1, 0.2, 0.4 ... (at most 2) s until `deadline`;
        the person is told (`notify`) after the first failed try."""
        psycopg = self._psycopg
        start, delay, told = time.monotonic(), _BACKOFF_FIRST, False
        while True:
            left = deadline - time.monotonic()
            try:
                # libpq counts whole seconds, and at least 2
                conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=max(2, math.ceil(left)))
                # no server-side prepared statements: a generic plan made while a table
                # was small (a sequential scan) would stay as it grows (measured: appends
                # slowing from 14,000 to 400 events/s over 100,000 events)
                conn.prepare_threshold = None
                return conn
            except psycopg.Error as exc:
                failure: BaseException = exc
            if self._permanent(failure) or time.monotonic() >= deadline:
                raise self.unavailable(failure, time.monotonic() - start, opening=opening) from None
            if not told and self.notify is not None:
                told = True
                self.notify(
                    f"the PostgreSQL server at {self.url} cannot be reached "
                    f"({self._reason(failure)}); trying again for up to "
                    f"{max(0.0, deadline - start):.3g} s..."
                )
            time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
            delay = min(delay * 2, _BACKOFF_MAX)

    def lost(self, exc: BaseException) -> bool:
        if self._closed or not isinstance(exc, self._psycopg.Error):
            return False
        conn = self.conn
        return conn is None or bool(conn.closed) or bool(getattr(conn, "broken", False))

    def reconnect(self, deadline: float) -> None:
        # the old (closed) connection stays until a new one is made: a call after a
        # failed reconnection fails as lost again, and reconnects again
        self._in_tx = False
        if self.conn is not None:
            with contextlib.suppress(Exception):  # a broken connection: nothing to release
                self.conn.close()
        self.conn = self._connect_until(deadline)

    def translate(self, exc: BaseException) -> BaseException:
        if isinstance(exc, StoreError) or not isinstance(exc, self._psycopg.Error):
            return exc
        if self.lost(exc):  # given up on (or the store was closed)
            err: StoreError = self.unavailable(exc, 0.0, opening=False)
        else:
            err = StoreError(f"the store {self.url}: {self._mask(str(exc))}", target=self.url)
        err.sqlstate = getattr(exc, "sqlstate", None)
        err.__suppress_context__ = True  # the driver's text may hold the URL: not shown
        return err

    @staticmethod
    def _sql(sql: str) -> str:
        # One dialect above: qmark placeholders become psycopg's %s.
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        # psycopg's executemany pipelines the statements: one round trip, not one per row
        with self.conn.cursor() as cur:
            cur.executemany(self._sql(sql), [tuple(r) for r in rows])
            return max(int(cur.rowcount), 0)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(self._sql(sql), tuple(params)).fetchall())

    def fetch_arrow(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            import adbc_driver_postgresql.dbapi as adbc
        except ImportError:
            return None
        n = iter(range(1, 10_000))
        text = re.sub(r"\?", lambda _m: f"${next(n)}", sql)  # ADBC's placeholders: $1, $2 ...
        with adbc.connect(self._dsn) as con, con.cursor() as cur:
            cur.execute(text, tuple(params))
            return cur.fetch_arrow_table()

    def begin_write(self) -> None:
        if self.write_refusal is not None:
            self.refuse_write()
        self.conn.execute("BEGIN")
        self._in_tx = True

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self._in_tx = False

    def rollback(self) -> None:
        if self._in_tx:
            self._in_tx = False
            if self.conn is None or self.conn.closed or getattr(self.conn, "broken", False):
                return  # the server rolled it back when the connection went
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self._closed = True
        if self.conn is not None:
            self.conn.close()

    def columns(self, table: str) -> list[str]:
        rows = self.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        )
        return [r[0] for r in rows]

    def table_exists(self, table: str) -> bool:
        rows = self.fetch(
            "SELECT 1 FROM information_schema.tables WHERE table_name = ? "
            "AND table_schema = current_schema()",
            (table,),
        )
        return bool(rows)

    def lock_schema(self) -> None:
        """Serialise schema creation between processes opening a new database."""
        self.conn.execute("SELECT pg_advisory_xact_lock(727274)")


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Raise ValueError naming `store` when `path` cannot hold a SQLite store.

    Checked before anything is created, so a bad path writes nothing anywhere.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise ValueError(f"store={str(path)!r} is a directory; give a file path such as 'hitl.db'")
    if p.exists():
        if not os.access(p, os.R_OK | os.W_OK):
            raise ValueError(f"store={str(path)!r} exists but cannot be written (permissions)")
        return p
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise ValueError(f"store={str(path)!r}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"store={str(path)!r}: folder {str(parent)!r} cannot be written")
    # Permission bits do not tell everything (root, read-only mounts, /proc): try it.
    try:
        fd, probe = tempfile.mkstemp(prefix=".hitl-probe-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(
            f"store={str(path)!r}: folder {str(parent)!r} cannot be written ({exc.strerror})"
        ) from None
    return p


def can_write(path: Path) -> bool:
    """Whether an existing SQLite store at `path` can be written: the file, and its
    folder (SQLite makes its -wal and -shm files there). A read-only mount says no
    (access(2) reports EROFS, even to root)."""
    parent = path.parent if str(path.parent) else Path(".")
    return os.access(path, os.R_OK | os.W_OK) and os.access(parent, os.W_OK | os.X_OK)


def iter_chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]
