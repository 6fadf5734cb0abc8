"""The store against a hostile world: a PostgreSQL server that restarts or goes away,
another application's SQLite file, a password that must not be shown, another process
holding the write lock, a read-only file or mount, and an old store a reader must not
migrate. Every test here uses the real thing (a real server, a real second process, a
real read-only mount where the machine allows it)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from pg_server import SECRET, PgServer, _free_port

import hitl_widgets as hw
from hitl_widgets.store import (
    SCHEMA_VERSION,
    NotAStore,
    Store,
    StoreBusy,
    StoreError,
    StoreReadOnly,
    StoreUnavailable,
    fold_all,
    mask_password,
    open_store,
)
from hitl_widgets.store.schema import MIGRATIONS


def ev(item: str = "i0", action: str = "correct", label: str = "b", **kw: Any) -> dict[str, Any]:
    e = {
        "event_id": uuid.uuid4().hex,
        "task": "t",
        "item_id": item,
        "content_hash": "h",
        "action": action,
        "label_after": label if action == "correct" else None,
        "model_label": "a",
        "annotator": "ana",
        "session_id": "s",
    }
    e.update(kw)
    return e


def files_of(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name))


@pytest.fixture(scope="module")
def pg() -> Any:
    server = PgServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_up(pg: PgServer) -> Any:
    """The server, running again after a test that stopped it."""
    yield pg
    with contextlib.suppress(subprocess.CalledProcessError):  # it was running
        pg.start()


# -- 1. PostgreSQL reconnects -------------------------------------------------------


def test_postgres_append_survives_a_server_restart(pg_up: PgServer) -> None:
    url = pg_up.new_database()
    store = Store(url)
    e1, e2 = ev("i1"), ev("i2", action="accept")
    assert store.append([e1]) == [e1["event_id"]]
    pg_up.restart()  # every connection of the store is gone
    # a generator: read once, but the append is run again whole after the reconnection
    assert store.append(e for e in [e2]) == [e2["event_id"]]
    pg_up.restart()
    d = store.decisions()  # a read after a restart too
    assert sorted(d["item_id"]) == ["i1", "i2"]
    assert store.append([e1, e2]) == []  # resent: nothing doubles
    assert store.count() == 2 and len(store.states()) == 2
    store.close()


def test_postgres_waits_for_a_server_that_comes_back(pg_up: PgServer) -> None:
    url = pg_up.new_database()
    told: list[str] = []
    store = Store(url, reconnect_timeout=30, on_wait=told.append)
    store.append([ev("i1")])
    pg_up.stop()
    back = threading.Timer(1.5, pg_up.start)
    back.start()
    try:
        e = ev("i2")
        assert store.append([e]) == [e["event_id"]]  # after 0.1, 0.2, 0.4, 0.8 ... s
    finally:
        back.join()
    assert told and "cannot be reached" in told[0] and SECRET not in told[0]
    assert store.count() == 2
    store.close()


def test_postgres_write_lost_at_commit_is_run_again_not_doubled(pg_up: PgServer) -> None:
    """The connection dies after the server committed but before the answer came: the
    append is run again from its start on a fresh connection and stores nothing twice."""
    import psycopg

    store = Store(pg_up.new_database())
    b = store.backend
    real_commit, calls = b.commit, []

    def commit_then_lose_the_connection() -> None:
        real_commit()
        if not calls:
            calls.append(1)
            b.conn.close()  # type: ignore[attr-defined]
            raise psycopg.OperationalError("the connection is closed")

    b.commit = commit_then_lose_the_connection  # type: ignore[method-assign]
    e = ev("i1")
    store.append([e])  # committed by the first run; the second finds the id stored
    assert calls == [1] and store.count() == 1 and len(store.decisions()) == 1
    store.close()


def test_postgres_server_down_says_what_happened_and_what_to_do(pg_up: PgServer) -> None:
    url = pg_up.new_database()
    store = Store(url, reconnect_timeout=1.0)
    store.append([ev("i1")])
    pg_up.stop()
    e = ev("i2")
    with pytest.raises(StoreUnavailable) as err:
        store.append([e])
    msg = str(err.value)
    assert "the PostgreSQL server at postgresql://postgres:***@127.0.0.1:" in msg
    assert "cannot be reached" in msg and "check the server" in msg
    assert "decisions are kept in the browser" in msg
    assert SECRET not in msg and err.value.transient and isinstance(err.value, StoreError)
    with pytest.raises(StoreUnavailable) as err2:
        store.decisions()
    with pytest.raises(StoreUnavailable) as err3:
        open_store(url, reconnect_timeout=0.5)
    for x in (err2.value, err3.value):
        assert SECRET not in str(x) and "***" in str(x)
    pg_up.start()
    assert store.append([e]) == [e["event_id"]]  # the same decision, once back
    assert store.count() == 2
    store.close()


# -- 3. passwords are never shown --------------------------------------------------------


def _all_text(exc: BaseException) -> str:
    """Everything a traceback could print of an error and what it shows as its cause."""
    out, seen = [], set()
    x: BaseException | None = exc
    while x is not None and id(x) not in seen:
        seen.add(id(x))
        out += [str(x), repr(x)]
        x = x.__cause__ if x.__cause__ is not None else (None if x.__suppress_context__ else x.__context__)
    return "\n".join(out)


def test_postgres_password_is_never_shown(pg_up: PgServer) -> None:
    url = pg_up.new_database()
    store = Store(url)
    assert SECRET not in repr(store) and SECRET not in store.target
    assert "postgres:***@127.0.0.1" in repr(store) and "postgres:***@" in store.target
    # the password in the query string
    q = url.replace(f"postgres:{SECRET}@", "postgres@") + f"?password={SECRET}&sslmode=disable"
    s2 = open_store(q)
    assert SECRET not in repr(s2) and "password=***" in repr(s2)
    # an error from the server, through the store
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP TABLE guidelines")
    with pytest.raises(StoreError) as err:
        store.guidelines()
    assert "guidelines" in str(err.value) and SECRET not in _all_text(err.value)
    errors: list[BaseException] = [err.value]
    # a wrong password, a wrong host, a server down: in both URL forms
    wrong = "Wrong-Passw0rd-xyz"
    for bad in (
        pg_up.url(url.rsplit("/", 1)[1], password=wrong),
        f"postgresql://postgres:{SECRET}@no-such-host.invalid:5432/db",
        f"postgresql://postgres@127.0.0.1:{_free_port()}/db?password={SECRET}",
        f"postgresql://postgres:{SECRET}@127.0.0.1:{_free_port()}/db",
    ):
        with pytest.raises(StoreUnavailable) as e:
            Store(bad, reconnect_timeout=0.3)
        errors.append(e.value)
    assert not errors[1].transient and "cannot be connected to" in str(errors[1])
    assert "password authentication failed" in str(errors[1])
    store.reconnect_timeout = s2.reconnect_timeout = 0.5
    pg_up.stop()
    with pytest.raises(StoreUnavailable) as e:
        store.count()
    errors.append(e.value)
    with pytest.raises(StoreUnavailable) as e:
        s2.count()
    errors.append(e.value)
    for x in errors:
        text = _all_text(x)
        assert SECRET not in text and wrong not in text, text
    pg_up.start()
    store.close()
    s2.close()


@pytest.mark.parametrize(
    "text, shown",
    [
        ("postgresql://ana:pw%40x@db:5432/hitl", "postgresql://ana:***@db:5432/hitl"),
        ("postgres://ana:p@ss@db/hitl", "postgres://ana:***@db/hitl"),
        (
            "postgresql://ana@db/hitl?sslmode=require&password=pw1234",
            "postgresql://ana@db/hitl?sslmode=require&password=***",
        ),
        ("host=db user=ana password='a b c' dbname=x", "host=db user=ana password=*** dbname=x"),
        ("postgresql://ana@db/hitl", "postgresql://ana@db/hitl"),
    ],
)
def test_mask_password(text: str, shown: str) -> None:
    assert mask_password(text) == shown


# -- 2. a foreign SQLite file is left alone -----------------------------------------------


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_foreign_sqlite_file_is_refused_and_left_unchanged(tmp_path: Path, journal: str) -> None:
    db = tmp_path / "crm.db"
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA journal_mode = {journal}")
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
    con.executemany("INSERT INTO customers (name) VALUES (?)", [("a",), ("b",)])
    con.commit()
    con.close()
    before, stat, names = db.read_bytes(), db.stat(), files_of(db)
    for opener in (Store, open_store, hw.open_store):
        with pytest.raises(NotAStore) as err:
            opener(db)
        msg = str(err.value)
        assert str(db) in msg and "not a hitl-widgets store" in msg and "left unchanged" in msg
        assert err.value.tables == ["customers", "orders"]
    with pytest.raises(NotAStore):
        hw.ClassificationReview(_frame(), labels=["a", "b"], store=str(db))
    assert db.read_bytes() == before and db.stat().st_mtime_ns == stat.st_mtime_ns
    assert files_of(db) == names == ["crm.db"]  # no -wal, -shm or -journal left
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == journal
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master ORDER BY name")] == [
        "customers",
        "orders",
    ]
    con.close()


def _frame() -> Any:
    import pandas as pd

    return pd.DataFrame({"text": ["x", "y"], "pred": ["a", "b"], "confidence": [0.5, 0.6]})


def test_garbage_file_error_names_the_path(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_bytes(b"these are my notes, not a database\n" * 200)
    before = db.read_bytes()
    for opener in (Store, open_store):
        with pytest.raises(NotAStore) as err:
            opener(db)
        assert str(db) in str(err.value) and "not a SQLite database" in str(err.value)
    assert db.read_bytes() == before and files_of(db) == ["notes.db"]


def test_empty_file_still_becomes_a_store(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    db.touch()
    with Store(db) as s:
        assert s.schema_version == SCHEMA_VERSION and s.append([ev()])


# -- 4. a locked SQLite file: a bounded wait that says so ---------------------------------

_HOLDER = textwrap.dedent("""
    import sqlite3, sys
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.readline()
    con.execute("ROLLBACK")
    con.close()
""")


def _hold_write_lock(db: Path) -> subprocess.Popen[str]:
    p = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert p.stdout is not None and p.stdout.readline().strip() == "locked"
    return p


def _release(p: subprocess.Popen[str]) -> None:
    assert p.stdin is not None
    p.stdin.write("\n")
    p.stdin.flush()
    assert p.wait(timeout=30) == 0


def test_locked_store_waits_says_so_then_gives_up(tmp_path: Path) -> None:
    db = tmp_path / "hitl.db"
    Store(db).close()
    holder = _hold_write_lock(db)
    try:
        store = Store(db, lock_timeout=1.5)  # opening a store at this version writes nothing
        told: list[str] = []
        store.on_wait = told.append
        e = ev()
        with pytest.raises(StoreBusy) as err:
            store.append([e])
        assert len(told) == 1 and "is locked by another process" in told[0] and str(db) in told[0]
        assert "waiting" in told[0]
        msg = str(err.value)
        assert str(db) in msg and "nothing was written" in msg and "kept there" in msg
        assert err.value.waited >= 1.0 and isinstance(err.value, StoreError)
        assert len(store.decisions()) == 0  # reads go on meanwhile (WAL)
    finally:
        _release(holder)
    assert store.append([e]) == [e["event_id"]]  # the same decision, once released
    assert store.count() == 1
    store.close()


def test_locked_store_logs_the_wait_without_a_callback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "hitl.db"
    store = Store(db, lock_timeout=1.2)
    holder = _hold_write_lock(db)
    try:
        with caplog.at_level(logging.WARNING, logger="hitl_widgets.store"), pytest.raises(StoreBusy):
            store.append([ev()])
    finally:
        _release(holder)
    waits = [r for r in caplog.records if "locked by another process" in r.getMessage()]
    assert len(waits) == 1 and str(db) in waits[0].getMessage()
    store.close()


def test_a_short_lock_is_waited_for(tmp_path: Path) -> None:
    db = tmp_path / "hitl.db"
    store = Store(db, lock_timeout=20)
    holder = _hold_write_lock(db)
    threading.Timer(1.5, _release, (holder,)).start()
    told: list[str] = []
    store.on_wait = told.append
    e = ev()
    assert store.append([e]) == [e["event_id"]]
    assert told and store.count() == 1
    store.close()


# -- 5. a reader does not write -----------------------------------------------------------


def _written_store(db: Path, n: int = 3) -> list[dict[str, Any]]:
    events = [ev(f"i{i}") for i in range(n)]
    with Store(db) as s:
        s.append(events)
    return events


def test_read_only_store_reads_and_refuses_writes(tmp_path: Path) -> None:
    db = tmp_path / "hitl.db"
    _written_store(db)
    before = db.read_bytes()
    for s in (open_store(db, read_only=True), Store(db, read_only=True)):
        assert len(s.decisions()) == 3 and s.count() == 3
        assert "read_only=True" in repr(s)
        for write in (
            lambda s=s: s.append([ev("i9")]),
            lambda s=s: s.release("t", "ana"),
            lambda s=s: s.guideline_version("t", "be nice"),
        ):
            with pytest.raises(StoreReadOnly) as err:
                write()
            assert str(db) in str(err.value) and "nothing was written" in str(err.value)
        s.close()
    assert db.read_bytes() == before


def _try_read_only_bind_mount(src: Path, mnt: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    r = subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True)
    if r.returncode != 0:
        return False
    r = subprocess.run(["mount", "-o", "remount,ro,bind", str(mnt)], capture_output=True)
    if r.returncode != 0:
        subprocess.run(["umount", str(mnt)], capture_output=True)
        return False
    return True


def test_store_on_a_read_only_mount_is_read(tmp_path: Path) -> None:
    """A real read-only mount (root can write anything else): first a clean store (no
    -wal/-shm: SQLite needs immutable=1), then one a writer has open (mode=ro)."""
    src, mnt = tmp_path / "src", tmp_path / "mnt"
    src.mkdir()
    mnt.mkdir()
    _written_store(src / "hitl.db")
    if not _try_read_only_bind_mount(src, mnt):
        pytest.skip("no read-only bind mount here (needs root and mount)")
    try:
        ro = mnt / "hitl.db"
        assert not os.access(ro, os.W_OK)
        s = open_store(ro)  # read_only=None: it cannot be written, so it is read
        assert len(s.decisions()) == 3 and "read_only=True" in repr(s)
        with pytest.raises(StoreReadOnly) as err:
            s.append([ev("i9")])
        assert str(ro) in str(err.value)
        s.close()
        with pytest.raises(ValueError, match="cannot be written"):
            Store(ro)  # a writer is still told, as before
        writer = Store(src / "hitl.db")  # keeps its -wal and -shm beside the store
        writer.append([ev("i7")])
        s = open_store(ro)
        assert len(s.decisions()) == 4  # the commit still in the WAL is read
        s.close()
        writer.close()
        with hw.open_store(ro) as s:
            assert s.count() == 4
    finally:
        import gc

        gc.collect()  # connections of failed asserts
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits (see the bind-mount test)")
def test_store_without_write_permission_is_read(tmp_path: Path) -> None:  # pragma: no cover - non-root
    db = tmp_path / "hitl.db"
    _written_store(db)
    db.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        s = open_store(db)
        assert len(s.decisions()) == 3
        with pytest.raises(StoreReadOnly):
            s.append([ev("i9")])
        s.close()
    finally:
        tmp_path.chmod(0o755)


def _schema_3_store(db: Path) -> list[dict[str, Any]]:
    con = sqlite3.connect(db)
    for v in (1, 2, 3):
        for stmt in MIGRATIONS[v]:
            con.execute(stmt.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"))
    con.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    con.execute("INSERT INTO meta VALUES ('store_id', 'old')")
    cols = [
        "event_id",
        "task",
        "kind",
        "item_id",
        "content_hash",
        "action",
        "label_after",
        "model_label",
        "annotator",
        "session_id",
        "created_at",
    ]
    events = []
    for i, action in enumerate(["accept", "correct", "skip", "correct", "undo", "flag"]):
        e = ev(
            f"i{i % 4}",
            action=action,
            label="c",
            kind="classification",
            created_at=f"2026-01-01T00:00:0{i}.000Z",
        )
        events.append(e)
        con.execute(
            f"INSERT INTO events ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [e.get(c) for c in cols],
        )
    con.commit()
    con.close()
    return events


def test_open_store_reads_an_old_store_without_migrating_it(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    events = _schema_3_store(db)
    before = db.read_bytes()
    s = open_store(db)
    assert s.schema_version == 3
    truth = fold_all(events)
    d = s.decisions()
    assert len(d) == sum(1 for st in truth.values() if st.decided) > 0
    assert s.count() == len(events)
    with pytest.raises(StoreReadOnly, match="schema version 3"):
        s.append([ev("i9")])
    s.close()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "3"
    assert not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'item_state'").fetchone()
    con.close()
    assert db.read_bytes() == before
    with Store(db) as w:  # a writer still migrates it
        assert w.schema_version == SCHEMA_VERSION and len(w.decisions()) == len(d)


# -- what the widget does with a store in trouble ------------------------------------------


def _widget(store: Any, n: int = 4) -> tuple[Any, list[dict[str, Any]]]:
    import pandas as pd

    df = pd.DataFrame({"text": [f"claim {i}" for i in range(n)], "pred": "a", "confidence": 0.6})
    w = hw.ClassificationReview(df, labels=["a", "b"], store=store, annotator="ana")
    sent: list[dict[str, Any]] = []
    w.send = lambda m, buffers=None: sent.append(m)
    return w, sent


def _decide(w: Any, item: str, did: str) -> None:
    h = w._items.hash(int(item))
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                {
                    "id": did,
                    "item_id": item,
                    "content_hash": h,
                    "action": "correct",
                    "label": "b",
                    "session_id": w.session_id,
                    "annotator": "ana",
                    "task": "classification",
                }
            ],
        },
        [],
    )


def test_widget_on_a_locked_store_says_it_waits_and_keeps_the_decision_pending(tmp_path: Path) -> None:
    db = tmp_path / "hitl.db"
    store = Store(db, lock_timeout=2.0)
    w, sent = _widget(store)
    holder = _hold_write_lock(db)
    try:
        _decide(w, "0", "d0")
        statuses = [m for m in sent if m["type"] == "status"]
        assert [m["level"] for m in statuses] == ["waiting", "error"]
        assert "locked by another process" in statuses[0]["text"] and "hitl.db" in statuses[1]["text"]
        assert not [m for m in sent if m["type"] == "ack"]  # not acknowledged: the browser keeps it
    finally:
        _release(holder)
    _decide(w, "0", "d0")  # the browser's resend
    assert sent[-2] == {
        "type": "status",
        "level": "ok",
        "text": "the store is back: decisions are saved again",
    }
    assert sent[-1]["type"] == "ack" and sent[-1]["ids"] == ["d0"]
    assert list(w.decisions()["human_label"]) == ["b"] and w.counts == {"corrected": 1}


def test_widget_on_postgres_survives_a_restart_and_says_when_the_server_is_away(pg_up: PgServer) -> None:
    url = pg_up.new_database()
    store = Store(url, reconnect_timeout=1.0)
    w, sent = _widget(store)
    _decide(w, "0", "d0")
    pg_up.restart()
    _decide(w, "1", "d1")  # reconnects and writes
    assert [m["ids"] for m in sent if m["type"] == "ack"] == [["d0"], ["d1"]]
    pg_up.stop()
    try:
        _decide(w, "2", "d2")
        status = [m for m in sent if m["type"] == "status"][-1]
        assert status["level"] == "error" and "cannot be reached" in status["text"]
        assert SECRET not in status["text"] and "***" in status["text"]
        assert sent[-1]["type"] == "status"  # no ack: d2 stays pending in the browser
    finally:
        pg_up.start()
    _decide(w, "2", "d2")  # resent once the server is back
    _decide(w, "1", "d1")  # and an old resend is stored once
    assert sent[-1]["ids"] == ["d1"]
    d = w.decisions()
    assert sorted(d["item_id"]) == ["0", "1", "2"] and len(w.events()) == 3
    assert w.counts == {"corrected": 3}
