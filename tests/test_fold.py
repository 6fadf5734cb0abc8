"""One fold, every consumer: random sequences of actions by several annotators, on several
tasks and content versions, read back through every consumer of decisions.

The consumers: the states the store keeps with the log (and a fresh fold of the log),
``Store.decisions()``, the exports (``to_sft``, ``to_preferences``), the agreement
metrics' ``ratings()``, the training set (``to_dataset``), the widget's tallies, and the
browser (its fold replays ``js/test/fixtures/fold_cases.json``, checked fresh here).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hitl_widgets as hw
from hitl_widgets.items import classification as cls_items
from hitl_widgets.items import generation as gen_items
from hitl_widgets.store import SCHEMA_VERSION, Store, fold_all
from hitl_widgets.store.events import LABELLED_STATUSES

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["a", "b", "c"]
TASKS = ["t0", "t1"]
ANNOTATORS = ["ann", "bob"]
ITEMS = ["0", "1", "2"]  # default integer-like ids: the same ids in both tasks
VERSIONS = 2  # each item has two contents (its text changed between sessions)


def cls_text(item: str, version: int) -> str:
    return f"claim {item}, version {version}"


def gen_texts(item: str, version: int) -> tuple[str, str]:
    return f"question {item}?", f"answer {item}, draft {version}"


op = st.tuples(
    st.sampled_from(["classification", "generation"]),
    st.integers(0, len(TASKS) - 1),
    st.sampled_from(ITEMS),
    st.integers(0, VERSIONS - 1),
    st.integers(0, len(ANNOTATORS) - 1),
    st.sampled_from(["accept", "correct", "edit", "reject", "flag", "rate", "skip", "note", "undo"]),
    st.integers(0, 2),
    st.integers(1, 5),
)


def make_event(
    kind: str, t: int, item: str, v: int, a: int, action: str, pick: int, score: int
) -> dict[str, Any] | None:
    task = f"{TASKS[t]}-{kind[:3]}"
    ev: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "task": task,
        "kind": kind,
        "item_id": item,
        "annotator": ANNOTATORS[a],
        "action": action,
        "session_id": "s",
    }
    if kind == "classification":
        if action in ("edit", "reject", "rate"):
            return None
        ev["content_hash"] = cls_items.content_hash(cls_text(item, v))
        ev["model_label"] = "a"
        if action == "accept":
            ev["label_after"] = "a"
        elif action == "correct":
            ev["label_after"] = LABELS[pick]
    else:
        if action == "correct":
            return None
        prompt, response = gen_texts(item, v)
        ev["content_hash"] = gen_items.content_hash(prompt, response)
        if action == "edit":
            ev["data"] = {
                "prompt": prompt,
                "context": None,
                "original": response,
                "edited": f"{response} (edited {pick})",
            }
        elif action in ("accept", "reject", "flag"):
            ev["data"] = {"prompt": prompt, "context": None, "response": response}
        elif action == "rate":
            ev["data"] = {"ratings": {["helpful", "harmless"][pick % 2]: score}}
        if action == "reject":
            ev["note"] = "wrong"
    if action in ("note", "flag"):
        ev["note"] = f"note {pick}"
    return ev


def check_consumers(store: Store, events: list[dict[str, Any]], tmp: Path) -> None:
    truth = fold_all(events)
    # the kept states are the fold of the log
    assert store.check_states() == []
    kept = store.states()
    assert {k: (s.status, s.label, s.note, s.ratings) for k, s in kept.items()} == {
        k: (s.status, s.label, s.note, s.ratings) for k, s in truth.items()
    }

    # decisions(): every decided state, its label and ratings
    d = store.decisions()
    got = {
        (r.task, r.item_id, r.content_hash, r.annotator): (r.status, r.human_label, r.ratings)
        for r in d.itertuples()
    }
    want = {
        k: (s.status, s.label, dict(s.ratings) if s.ratings else None) for k, s in truth.items() if s.decided
    }
    assert got == want

    # the exports: accepted and edited generations, with the edited text
    sft = hw.to_sft(store)
    got_sft = {
        (r["task"], r["item_id"], r["annotator"]): (r["status"], r["messages"][-1]["content"], r["ratings"])
        for r in sft.to_dict("records")
    }
    want_sft = {}
    by_id = {e["event_id"]: e for e in events}
    for (task, item, _h, ann), s in truth.items():
        if s.status in ("accepted", "edited") and task.endswith("gen"):
            data = by_id[s.verdict_id]["data"]
            text = data["edited"] if s.status == "edited" else data["response"]
            want_sft[(task, item, ann)] = (s.status, text, dict(s.ratings) if s.ratings else None)
    # several content versions of one item may each be accepted: the export keeps both
    n_versions = {}
    for (task, item, _h, ann), s in truth.items():
        if s.status in ("accepted", "edited") and task.endswith("gen"):
            n_versions[(task, item, ann)] = n_versions.get((task, item, ann), 0) + 1
    assert len(sft) == sum(n_versions.values())
    if all(n == 1 for n in n_versions.values()):
        assert got_sft == want_sft
    prefs = hw.to_preferences(store, pairwise=False)
    assert len(prefs) == sum(1 for k, s in truth.items() if s.status == "edited")

    # the agreement metrics' ratings: the labelled classification states
    r = hw.metrics.ratings(store)
    got_r = {(x.task, x.item, x.content_hash, x.annotator): x.label for x in r.itertuples()}
    want_r = {
        k: s.label
        for k, s in truth.items()
        if s.status in LABELLED_STATUSES and s.label is not None and k[0].endswith("cla")
    }
    assert got_r == want_r

    # the widget's tallies, for one annotator on one task and content version
    df = pd.DataFrame({"text": [cls_text(i, 1) for i in ITEMS]}, index=ITEMS)
    w = hw.ClassificationReview(
        df,
        labels=LABELS,
        pred=None,
        store=store,
        annotator="ann",
        task="t0-cla",
        revisit=True,
        on_changed="review",
    )
    mine = {
        k: s
        for k, s in truth.items()
        if k[0] == "t0-cla" and k[3] == "ann" and k[2] == cls_items.content_hash(cls_text(k[1], 1))
    }
    counts: dict[str, int] = {}
    for s in mine.values():
        if s.status is not None:
            counts[s.status] = counts.get(s.status, 0) + 1
    assert w.counts == counts
    assert w.done == sum(1 for s in mine.values() if s.decided)
    w.close()

    # the training set: one task at a time, the labels of df's content only
    ds = hw.training.to_dataset(store, df, task="t0-cla", eval_size=0.0)
    rows = list(ds["train"]) + list(ds["eval"])
    names = ds["train"].features["label"].names
    for row in rows:
        votes = [
            s.label
            for k, s in truth.items()
            if k[0] == "t0-cla"
            and k[1] == row["item_id"]
            and k[2] == cls_items.content_hash(cls_text(row["item_id"], 1))
            and s.status in ("accepted", "corrected")
        ]
        assert names[row["label"]] in votes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=40))
def test_every_consumer_agrees_with_the_fold(tmp_path: Path, ops: list[tuple[Any, ...]]) -> None:
    events = [e for e in (make_event(*o) for o in ops) if e is not None]
    db = tmp_path / f"{uuid.uuid4().hex}.db"
    with Store(db) as store:
        # in batches of varied size (a hello brings many decisions at once)
        i = 0
        while i < len(events):
            n = 1 + (i % 3)
            store.append(events[i : i + n])
            i += n
        check_consumers(store, events, tmp_path)


def test_every_consumer_agrees_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ops = [
        (
            rng.choice(["classification", "generation"]),
            int(rng.integers(2)),
            str(rng.integers(3)),
            int(rng.integers(2)),
            int(rng.integers(2)),
            str(rng.choice(["accept", "correct", "edit", "reject", "flag", "rate", "skip", "note", "undo"])),
            int(rng.integers(3)),
            int(rng.integers(1, 6)),
        )
        for _ in range(300)
    ]
    events = [e for e in (make_event(*o) for o in ops) if e is not None]
    with Store(postgres_url) as store:
        for i in range(0, len(events), 7):
            store.append(events[i : i + 7])
        check_consumers(store, events, tmp_path)


def test_states_survive_a_migration_from_version_3(tmp_path: Path) -> None:
    """A store written before the fold was kept (schema 3) gets its states from its log."""
    import sqlite3

    from hitl_widgets.store.schema import MIGRATIONS

    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    for v in (1, 2, 3):
        for stmt in MIGRATIONS[v]:
            con.execute(stmt.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"))
    con.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    rng = np.random.default_rng(5)
    events = []
    for _ in range(60):
        e = make_event(
            "classification",
            0,
            str(rng.integers(3)),
            1,
            int(rng.integers(2)),
            str(rng.choice(["accept", "correct", "flag", "skip", "undo", "note"])),
            int(rng.integers(3)),
            1,
        )
        assert e is not None
        events.append(e)
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
            "note",
            "session_id",
            "created_at",
        ]
        e.setdefault("created_at", "2026-01-01T00:00:00.000Z")
        con.execute(
            f"INSERT INTO events ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [e.get(c) for c in cols],
        )
    con.commit()
    con.close()
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.check_states() == []
        truth = fold_all(events)
        assert len(store.decisions()) == sum(1 for s in truth.values() if s.decided)


def test_the_browser_cases_are_what_the_fold_gives() -> None:
    """js/test/fixtures/fold_cases.json (replayed by js/test/fold.test.ts) is fresh."""
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "fold_cases.py"), "--check"])
    assert r.returncode == 0, "run: python scripts/fold_cases.py (the fold changed)"


@pytest.mark.parametrize(
    "events, status, label, ratings",
    [
        ([("accept", None), ("rate", {"helpful": 4})], "accepted", "a", {"helpful": 4}),
        ([("rate", {"helpful": 4}), ("undo", None)], None, None, None),
        ([("accept", None), ("skip", None)], "accepted", "a", None),
        ([("accept", None), ("correct", "b"), ("undo", None)], "accepted", "a", None),
        ([("skip", None), ("rate", {"h": 1})], "rated", None, {"h": 1}),
    ],
)
def test_fold_rules(
    events: list[tuple[str, Any]], status: str | None, label: str | None, ratings: dict[str, int] | None
) -> None:
    evs = []
    for i, (a, x) in enumerate(events):
        e: dict[str, Any] = {"event_id": str(i), "task": "t", "item_id": "i", "action": a, "model_label": "a"}
        if a == "rate":
            e["data"] = {"ratings": x}
        if a == "correct":
            e["label_after"] = x
        evs.append(e)
    (s,) = fold_all(evs).values()
    assert (s.status, s.label, dict(s.ratings) if s.ratings else None) == (status, label, ratings)


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite reads rows only (test_store.py)
def test_the_column_read_and_the_row_read_give_the_same_decisions(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """decisions() reads through ADBC when the `fast` extra is installed, else row by row:
    both give the same frame (values, None where missing, dtypes, order)."""
    pytest.importorskip("adbc_driver_postgresql")
    target = str(tmp_path / "s.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    rng = np.random.default_rng(11)
    ops = [
        (
            "classification" if k % 2 else "generation",
            int(rng.integers(2)),
            str(rng.integers(3)),
            int(rng.integers(2)),
            int(rng.integers(2)),
            str(rng.choice(["accept", "correct", "edit", "reject", "flag", "rate", "skip", "note", "undo"])),
            int(rng.integers(3)),
            int(rng.integers(1, 6)),
        )
        for k in range(200)
    ]
    events = [e for e in (make_event(*o) for o in ops) if e is not None]
    events[0]["data"] = {"gold": "a"}  # an event with data (read in a second query)
    with Store(target) as store:
        store.append(events)
        fast = store.decisions(include_undecided=True)
        assert store.backend.fetch_arrow("SELECT 1 AS x", ()) is not None  # the fast path ran
        store.backend.fetch_arrow = lambda sql, params=(): None  # type: ignore[method-assign]
        slow = store.decisions(include_undecided=True)
    assert len(fast) > 10
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["human_label"].map(type).isin([str, type(None)]).all()
