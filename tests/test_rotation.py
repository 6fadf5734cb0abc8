"""Rotation of task kinds between annotators: round-robin by annotator and count."""

from __future__ import annotations

import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.rotation import Rotation

TASKS = ["claims", "generations", "pairwise"]


def test_round_robin_by_annotator_and_count():
    rot = Rotation(TASKS, every=10, annotators=["ana", "ben", "cy"])
    # each starts on another task, so the team is spread over the tasks at any moment
    assert [rot.task_for(a, 0) for a in ("ana", "ben", "cy")] == TASKS
    assert [rot.task_for("ana", d) for d in (0, 9, 10, 19, 20, 30)] == [
        "claims",
        "claims",
        "generations",
        "generations",
        "pairwise",
        "claims",
    ]
    for done in range(0, 90, 7):
        now = {rot.task_for(a, done) for a in ("ana", "ben", "cy")}
        assert len(now) == 3
    assert rot.left("ana", done=0) == 10 and rot.left("ana", done=13) == 7
    sched = rot.schedule(["ana", "ben"], 30)
    assert list(sched.index) == [0, 10, 20]
    assert list(sched["ben"]) == ["generations", "pairwise", "claims"]


def test_unknown_annotators_get_a_stable_start():
    rot = Rotation(TASKS, every=5)
    a = [rot.offset("dora") for _ in range(3)]
    assert len(set(a)) == 1 and 0 <= a[0] < 3
    assert Rotation(TASKS, every=5).task_for("dora", 0) == rot.task_for("dora", 0)
    # every task is used by some name
    assert {rot.task_for(f"n{i}", 0) for i in range(30)} == set(TASKS)
    assert Rotation(["only"], every=3).task_for("x", 100) == "only"


def test_bad_input():
    with pytest.raises(ValueError, match="every"):
        Rotation(TASKS, every=0)
    with pytest.raises(ValueError, match="at least one"):
        Rotation([], every=3)
    with pytest.raises(ValueError, match="distinct"):
        Rotation(["a", "a"], every=3)
    rot = Rotation(TASKS, every=3)
    with pytest.raises(ValueError, match="done"):
        rot.task_for("a", -1)
    with pytest.raises(ValueError, match="store"):
        rot.next_task("a")


def test_counts_decisions_in_a_store(tmp_path):
    db = str(tmp_path / "s.db")
    labels = ["x", "y"]
    df = pd.DataFrame(
        {"text": [f"t{i}" for i in range(8)], "pred": "x", "confidence": 0.5},
        index=[f"i{i}" for i in range(8)],
    )
    rot = Rotation(["claims", "triage"], every=3, annotators=["ana", "ben"])
    assert rot.next_task("ana", db) == "claims"
    done = []
    for _ in range(8):  # ana works where the rotation sends her
        task = rot.next_task("ana", db)
        done.append(task)
        w = hw.ClassificationReview(df, labels=labels, store=db, annotator="ana", task=task)
        w.accept()
        w.close()
    assert done == ["claims"] * 3 + ["triage"] * 3 + ["claims"] * 2
    assert rot.count("ana", db) == 8 and rot.count("ben", db) == 0
    assert rot.next_task("ben", db) == "triage"
    assert rot.left("ana", db) == 1
    # decisions in tasks outside the rotation do not count
    w = hw.ClassificationReview(df, labels=labels, store=db, annotator="ana", task="elsewhere")
    w.accept()
    assert rot.count("ana", hw.open_store(db)) == 8
