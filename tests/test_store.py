"""The event log: events, undo, resume, changed content, idempotent resend, migrations."""

from __future__ import annotations

import sqlite3
import uuid

import numpy as np
import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.store import SCHEMA_VERSION, Store
from hitl_widgets.store.schema import MIGRATIONS

LABELS = ["auto", "theft", "water"]


def claims(n: int = 8) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": [f"my claim {i}" for i in range(n)],
            "pred": [LABELS[i % 3] for i in range(n)],
            "confidence": np.linspace(0.4, 0.95, n),
        },
        index=[f"id{i}" for i in range(n)],
    )


def review(df, db, **kw):
    kw.setdefault("annotator", "ana")
    return hw.ClassificationReview(df, labels=LABELS, store=str(db), **kw)


def test_event_fields(tmp_path):
    db = tmp_path / "s.db"
    w = review(claims(), db, guideline_version="v1")
    w.accept()
    w.correct("water")
    w.flag(note="could be theft too")
    w.skip()
    ev = w.events()
    assert list(ev["action"]) == ["accept", "correct", "flag", "skip"]
    first, second, third = ev.iloc[0], ev.iloc[1], ev.iloc[2]
    assert first["item_id"] == "id0" and first["label_after"] == "auto"
    assert first["model_label"] == "auto" and first["model_confidence"] == pytest.approx(0.4)
    assert second["label_after"] == "water" and second["model_label"] == "theft"
    assert third["note"] == "could be theft too"
    assert set(ev["annotator"]) == {"ana"} and set(ev["guideline_version"]) == {"v1"}
    assert ev["session_id"].nunique() == 1 and ev["event_id"].is_unique
    assert ev["content_hash"].str.len().eq(16).all()
    assert str(ev["created_at"].dt.tz) == "UTC"
    d = w.decisions().set_index("item_id")
    assert d.loc["id0", "status"] == "accepted" and d.loc["id0", "agrees_with_model"]
    assert d.loc["id1", "status"] == "corrected" and d.loc["id1", "human_label"] == "water"
    assert d.loc["id2", "status"] == "flagged"
    assert "id3" not in d.index  # skipped is not a decision
    assert w.counts == {"accepted": 1, "corrected": 1, "flagged": 1, "skipped": 1}
    assert w.done == 3 and w.agreement == pytest.approx(0.5)


def test_undo_restores_previous_state_and_is_an_event(tmp_path):
    w = review(claims(), tmp_path / "s.db")
    w.accept()
    w.correct("auto")
    w.undo()  # undoes the correction of id1
    d = w.decisions().set_index("item_id")
    assert list(d.index) == ["id0"]
    assert w.current["item_id"] == "id1"  # the undone item comes back
    w.correct("water")
    w.undo()
    w.undo()  # now also id0's accept
    assert w.decisions().empty
    ev = w.events()
    assert list(ev["action"]) == ["accept", "correct", "undo", "correct", "undo", "undo"]
    assert ev.iloc[2]["label_before"] == "auto" and pd.isna(ev.iloc[2]["label_after"])
    with pytest.raises(IndexError, match="nothing to undo"):
        w.undo()


def test_redeciding_after_going_back_keeps_latest(tmp_path):
    db = tmp_path / "s.db"
    w = review(claims(), db)
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    mk = lambda action, item, label=None: {  # noqa: E731
        "id": uuid.uuid4().hex,
        "item_id": item,
        "action": action,
        "label": label,
        "duration_ms": 500,
    }
    w._handle_custom_msg({"type": "decide", "decisions": [mk("accept", "id0")]}, [])
    w._handle_custom_msg({"type": "decide", "decisions": [mk("correct", "id0", "water")]}, [])
    d = w.decisions()
    assert len(d) == 1 and d.loc[0, "human_label"] == "water" and d.loc[0, "n_events"] == 2
    # undo goes back one step, to the accept
    w._handle_custom_msg({"type": "decide", "decisions": [mk("undo", "id0")]}, [])
    assert w.decisions().loc[0, "status"] == "accepted"


def test_resume_skips_decided_items(tmp_path):
    db = tmp_path / "s.db"
    w = review(claims(), db)
    for _ in range(3):
        w.accept()
    w.skip()
    w.close()
    w2 = review(claims(), db)
    assert w2.queue_length == 5 and w2.done == 3
    assert w2.current["item_id"] == "id3"  # skipped items come back
    assert review(claims(), db, revisit=True).queue_length == 8
    # another annotator starts from the beginning
    assert review(claims(), db, annotator="bo").queue_length == 8


def test_changed_content_is_reported_not_mixed(tmp_path):
    db = tmp_path / "s.db"
    w = review(claims(), db)
    w.accept()
    w.accept()
    changed = claims()
    changed.loc["id1", "text"] = "a different claim entirely"
    with pytest.raises(hw.ContentChangedError, match=r"content of 1 item\(s\) changed .* 'id1'"):
        review(changed, db)
    w2 = review(changed, db, on_changed="review")
    assert w2.current["item_id"] == "id1" and w2.done == 1
    w2.correct("theft")
    d = hw.open_store(db).decisions().set_index("content_hash")
    assert len(d) == 3  # old decision kept under the old content, new one apart
    assert sorted(d["human_label"]) == ["auto", "theft", "theft"]


def test_resent_decision_is_stored_once_and_acked(tmp_path):
    w = review(claims(), tmp_path / "s.db")
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    dec = {
        "id": "fixed-id-1",
        "item_id": "id2",
        "action": "correct",
        "label": "auto",
        "duration_ms": 812.0,
        "content_hash": w._items.hash(2),
    }
    for _ in range(3):
        w._handle_custom_msg({"type": "decide", "decisions": [dec]}, [])
    assert [m["ids"] for m in sent if m["type"] == "ack"] == [["fixed-id-1"]] * 3
    ev = w.events()
    assert len(ev) == 1 and ev.loc[0, "duration_ms"] == 812.0


def test_hello_writes_pending_from_an_earlier_session(tmp_path):
    db = tmp_path / "s.db"
    w = review(claims(), db)
    sid = w.session_id
    w.close()
    # A decision made in a tab whose kernel died: it reaches the next widget's hello.
    pending = [
        {
            "id": "p1",
            "item_id": "id0",
            "action": "accept",
            "content_hash": None,
            "session_id": sid,
            "annotator": "ana",
            "duration_ms": 300,
            "created_at": "2026-11-25T10:00:00.000Z",
        }
    ]
    w2 = review(claims(), db)
    sent = []
    w2.send = lambda m, buffers=None: sent.append(m)
    w2._handle_custom_msg({"type": "fetch", "req": "f1", "start": 0, "count": 4}, [])
    w2._handle_custom_msg({"type": "hello", "pending": pending}, [])
    assert sent[-2] == {"type": "ack", "ids": ["p1"], "errors": {}}
    # the fresh queue no longer starts on the item that decision settled; the browser,
    # which already holds items, is told to drop them
    assert sent[-1] == {"type": "reset", "cursor": 0, "queue_length": 7}
    assert w2.current["item_id"] == "id1"
    ev = w2.events()
    assert ev.loc[0, "session_id"] == sid and ev.loc[0, "created_at"].year == 2026
    assert w2.done == 1


def test_bad_decision_gets_error_not_written(tmp_path):
    w = review(claims(), tmp_path / "s.db")
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                {"id": "x1", "item_id": "id0", "action": "correct", "label": "fire"},
                {"id": "x2", "item_id": "id0", "action": "explode"},
            ],
        },
        [],
    )
    ack = sent[-1]
    assert ack["ids"] == [] and set(ack["errors"]) == {"x1", "x2"}
    assert "not one of" in ack["errors"]["x1"] and "unknown action" in ack["errors"]["x2"]
    assert w.events().empty


def test_fetch_sends_only_the_window(tmp_path):
    w = review(claims(50), tmp_path / "s.db")
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    w._handle_custom_msg({"type": "fetch", "req": "r", "start": 10, "count": 5}, [])
    msg = sent[-1]
    assert msg["type"] == "items" and msg["req"] == "r" and msg["queue_length"] == 50
    assert [it["qi"] for it in msg["items"]] == [10, 11, 12, 13, 14]
    assert [it["item_id"] for it in msg["items"]] == [f"id{i}" for i in range(10, 15)]
    w._handle_custom_msg({"type": "fetch", "req": "r2", "start": 48, "count": 5000}, [])
    assert [it["qi"] for it in sent[-1]["items"]] == [48, 49]


def test_python_actions_notify_the_browser(tmp_path):
    w = review(claims(), tmp_path / "s.db")
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    w.correct("theft")
    assert sent[-1]["type"] == "external"
    assert sent[-1]["decision"]["item_id"] == "id0" and sent[-1]["decision"]["label"] == "theft"


def test_open_store_reads_without_widget(tmp_path):
    db = tmp_path / "s.db"
    w = review(claims(), db)
    w.accept()
    w.close()
    s = hw.open_store(db)
    assert s.schema_version == SCHEMA_VERSION
    assert len(s.events()) == 1 and s.decisions().loc[0, "status"] == "accepted"
    with pytest.raises(FileNotFoundError):
        hw.open_store(tmp_path / "missing.db")


def test_store_id_is_stable(tmp_path):
    db = tmp_path / "s.db"
    a = Store(db).store_id
    assert Store(db).store_id == a and len(a) == 32


def test_wal_mode_and_full_sync(tmp_path):
    s = Store(tmp_path / "s.db")
    assert s.backend.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.backend.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_migration_from_version_1(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    for stmt in MIGRATIONS[1]:
        con.execute(stmt.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"))
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute(
        "INSERT INTO events (event_id, task, item_id, content_hash, action, label_after,"
        " model_label, annotator, created_at) VALUES ('e1', 'classification', 'id0',"
        " 'h', 'correct', 'theft', 'auto', 'ana', '2026-01-01T00:00:00.000Z')"
    )
    con.commit()
    con.close()
    s = Store(db)
    assert s.schema_version == SCHEMA_VERSION
    ev = s.events()
    assert ev.loc[0, "kind"] == "classification" and ev.loc[0, "label_after"] == "theft"
    assert s.decisions().loc[0, "status"] == "corrected"


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "new.db"
    Store(db).backend.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(RuntimeError, match="newer than this hitl-widgets"):
        Store(db)


def test_two_widgets_on_one_store_interleave(tmp_path):
    db = tmp_path / "s.db"
    a, b = review(claims(), db, annotator="a"), review(claims(), db, annotator="b")
    for _ in range(4):
        a.accept()
        b.correct("water")
    d = hw.open_store(db).decisions()
    assert len(d) == 8 and set(d.groupby("annotator").size()) == {4}


def test_hello_before_any_fetch_needs_no_reset(tmp_path):
    db = tmp_path / "s.db"
    review(claims(), db).close()
    w = review(claims(), db)
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    w._handle_custom_msg(
        {
            "type": "hello",
            "pending": [{"id": "p9", "item_id": "id0", "action": "accept", "annotator": "ana"}],
        },
        [],
    )
    assert [m["type"] for m in sent] == ["ack"] and w.queue_length == 7
    w._handle_custom_msg({"type": "fetch", "req": "f", "start": 0, "count": 3}, [])
    assert [it["item_id"] for it in sent[-1]["items"]] == ["id1", "id2", "id3"]


def _acks(sent):
    return [(m["ids"], m["errors"]) for m in sent if m["type"] == "ack"]


def test_a_decision_that_overtakes_the_one_it_follows_waits_for_it(tmp_path):
    # Comm messages can reach the kernel on two threads (shell and subshell): an undo
    # may be handled before the correction it undoes. Folded in arrival order that would
    # leave the correction standing. The undo names what it follows (`after`); it is held
    # back unacknowledged (the browser resends it) until that decision is stored.
    w = review(claims(), tmp_path / "s.db")
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    h = w._items.hash(1)
    fix = {"id": "c1", "item_id": "id1", "action": "correct", "label": "auto", "content_hash": h}
    undo = {
        "id": "u1",
        "item_id": "id1",
        "action": "undo",
        "content_hash": h,
        "after": "c1",
        "data": {"undoes": "c1"},
    }
    w._handle_custom_msg({"type": "decide", "decisions": [undo]}, [])
    assert _acks(sent) == [] and w.events().empty and w.deferred == 1
    w._handle_custom_msg({"type": "decide", "decisions": [fix]}, [])
    w._handle_custom_msg({"type": "decide", "decisions": [undo]}, [])  # the browser's resend
    assert _acks(sent) == [(["c1"], {}), (["u1"], {})]
    assert list(w.events()["event_id"]) == ["c1", "u1"]
    assert w.decisions().empty  # undone, as the person did it

    # the same on a re-decision: "water" after "theft" on one item, arriving reversed
    h2 = w._items.hash(2)
    first = {"id": "d1", "item_id": "id2", "action": "correct", "label": "theft", "content_hash": h2}
    second = {
        "id": "d2",
        "item_id": "id2",
        "action": "correct",
        "label": "water",
        "content_hash": h2,
        "after": "d1",
    }
    w._handle_custom_msg({"type": "decide", "decisions": [second]}, [])
    w._handle_custom_msg({"type": "decide", "decisions": [first]}, [])
    w._handle_custom_msg({"type": "decide", "decisions": [second]}, [])
    assert w.decisions().set_index("item_id").loc["id2", "human_label"] == "water"


def test_causal_order_inside_one_batch_and_on_hello(tmp_path):
    db = tmp_path / "s.db"
    w = review(claims(), db)
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    h = w._items.hash(0)
    a = {"id": "a", "item_id": "id0", "action": "correct", "label": "theft", "content_hash": h}
    b = {"id": "b", "item_id": "id0", "action": "undo", "content_hash": h, "after": "a"}
    c = {"id": "c", "item_id": "id0", "action": "correct", "label": "water", "content_hash": h, "after": "b"}
    # a resend batch in the wrong order is committed in causal order
    w._handle_custom_msg({"type": "decide", "decisions": [c, b, a]}, [])
    assert list(w.events()["event_id"]) == ["a", "b", "c"]
    assert w.decisions().set_index("item_id").loc["id0", "human_label"] == "water"

    # a decision whose predecessor was refused is not held forever
    bad = {
        "id": "x",
        "item_id": "id3",
        "action": "correct",
        "label": "nope",
        "content_hash": w._items.hash(3),
    }
    after_bad = {
        "id": "y",
        "item_id": "id3",
        "action": "accept",
        "content_hash": w._items.hash(3),
        "after": "x",
    }
    w._handle_custom_msg({"type": "decide", "decisions": [bad]}, [])
    w._handle_custom_msg({"type": "decide", "decisions": [after_bad]}, [])
    assert _acks(sent)[-2][1].keys() == {"x"} and _acks(sent)[-1] == (["y"], {})
    w.close()

    # hello carries every pending decision: one whose predecessor is neither stored nor
    # pending (acknowledged by a kernel that died before... or refused) is written at once
    w2 = review(claims(), db)
    sent2 = []
    w2.send = lambda m, buffers=None: sent2.append(m)
    orphan = {
        "id": "z",
        "item_id": "id4",
        "action": "accept",
        "content_hash": w2._items.hash(4),
        "after": "gone",
    }
    w2._handle_custom_msg({"type": "hello", "pending": [orphan]}, [])
    assert _acks(sent2) == [(["z"], {})] and w2.deferred == 0


def _checkpoint_elsewhere(db) -> int:
    """`PRAGMA wal_checkpoint(TRUNCATE)` from another process: 1 when a reader of this one
    still holds the WAL (busy), 0 when nothing stopped it."""
    import subprocess
    import sys

    code = f"import sqlite3; print(sqlite3.connect({str(db)!r}).execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()[0])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return int(out.stdout.strip())


def test_reading_decisions_keeps_every_lock_this_process_holds_on_the_file(tmp_path):
    """A second SQLite library in the process (the ADBC driver bundles its own) breaks
    SQLite's POSIX locks: closing its connection dropped every lock the process held on
    the file, so another process could checkpoint the WAL under a reader of this one
    (seen: "database disk image is malformed" in a monitor thread). decisions() must read
    through the one SQLite the store's connections use."""
    db = tmp_path / "s.db"
    w = review(claims(), db)
    w.accept()
    w.correct("water")
    reader = sqlite3.connect(db, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM events").fetchone()  # a read transaction
        assert _checkpoint_elsewhere(db) == 1  # the reader holds the WAL: busy
        for _ in range(3):
            assert len(w.store.decisions()) == 2
        assert _checkpoint_elsewhere(db) == 1, "a read dropped this process's locks on the store"
    finally:
        reader.close()


def _since_seq_reads_only_later_events(store: Store) -> None:
    store.append(
        [
            {"event_id": f"e{i}", "task": "t" if i % 2 else "u", "item_id": f"i{i}", "action": "accept"}
            for i in range(6)
        ]
    )
    every = store.events()
    assert (every["seq"].diff().dropna() > 0).all()
    cut = int(every["seq"].iloc[2])
    later = store.events(since_seq=cut)
    pd.testing.assert_frame_equal(later.reset_index(drop=True), every.iloc[3:].reset_index(drop=True))
    assert list(store.events("t", since_seq=cut)["event_id"]) == ["e3", "e5"]
    assert store.events(since_seq=int(every["seq"].max())).empty
    pd.testing.assert_frame_equal(store.events(since_seq=0), every)  # the default: everything


def test_events_since_seq_reads_only_the_later_events_sqlite(tmp_path):
    with Store(tmp_path / "seq.db") as s:
        _since_seq_reads_only_later_events(s)


def test_events_since_seq_reads_only_the_later_events_postgres(postgres_url):
    with Store(postgres_url) as s:
        _since_seq_reads_only_later_events(s)
