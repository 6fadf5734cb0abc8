"""The two databases behind the store: SQLite (embedded default) and PostgreSQL.

Everything above this file writes one SQL dialect (qmark placeholders, `ON CONFLICT
DO NOTHING`); a backend only knows how to connect, how to start a write transaction,
and the few type words that differ.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator, Sequence


class Backend:
    """A connection and the dialect details of one database."""

    serial: str
    real: str
    url: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int: ...
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]: ...
    def begin_write(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...
    def columns(self, table: str) -> list[str]: ...
    def table_exists(self, table: str) -> bool: ...


class SQLiteBackend(Backend):
    """SQLite in WAL mode with `synchronous=FULL`: a committed event survives a killed
    process and a power cut; readers never block the writer."""

    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
    real = "REAL"

    def __init__(self, path: str | os.PathLike[str], *, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        self.url = str(self.path)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so one decision is
        # exactly one transaction and nothing is held open between calls.
        self.conn = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self.conn.execute("PRAGMA busy_timeout = 30000")
        mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # e.g. a file system that cannot share memory
            raise OSError(f"store {self.path}: SQLite could not switch to WAL mode ({mode})")
        self.conn.execute(f"PRAGMA synchronous = {synchronous}")
        # A short WAL (checkpoint every 100 pages instead of 1,000) stays cheap to fsync:
        # measured here, a durable commit drops from ~3-4 ms to ~0.3 ms median.
        self.conn.execute("PRAGMA wal_autocheckpoint = 100")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        before = self.conn.total_changes
        self.conn.executemany(sql, rows)
        return self.conn.total_changes - before

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    def begin_write(self) -> None:
        # IMMEDIATE takes the write lock now, so two writers queue instead of
        # failing later with "database is locked" in the middle of a transaction.
        for attempt in range(200):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:  # busy beyond busy_timeout
                if "locked" not in str(exc) or attempt == 199:
                    raise
                time.sleep(0.01)

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


class PostgresBackend(Backend):
    """PostgreSQL through psycopg 3, for annotators on many machines."""

    serial = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    real = "DOUBLE PRECISION"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "store=postgresql://... needs psycopg: pip install 'hitl-widgets[postgres]'"
            ) from exc
        self.url = url
        self.conn = psycopg.connect(url, autocommit=True)
        self._in_tx = False

    @staticmethod
    def _sql(sql: str) -> str:
        # One dialect above: qmark placeholders become psycopg's %s.
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        total = 0
        with self.conn.cursor() as cur:
            for row in rows:
                cur.execute(self._sql(sql), tuple(row))
                total += max(cur.rowcount, 0)
        return total

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.conn.execute(self._sql(sql), tuple(params)).fetchall()

    def begin_write(self) -> None:
        self.conn.execute("BEGIN")
        self._in_tx = True

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self._in_tx = False

    def rollback(self) -> None:
        if self._in_tx:
            self.conn.execute("ROLLBACK")
            self._in_tx = False

    def close(self) -> None:
        self.conn.close()

    def columns(self, table: str) -> list[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        )
        return [r[0] for r in rows]

    def table_exists(self, table: str) -> bool:
        rows = self.query(
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


def iter_chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]
