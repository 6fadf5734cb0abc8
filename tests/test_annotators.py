"""Several annotators on one store: overlap k, concurrency (SQLite and PostgreSQL),
blind mode, gold questions with feedback, guideline versions, break prompts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.store import Store

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["auto", "theft", "water"]

GUIDE = """# Claim types

## auto
Damage to or by a vehicle, including a break-in that only damaged the car.

## theft
Something was taken. A break-in where items were stolen is theft, even from a car.

## water
Water entering the home: burst pipes, leaks, floods.
"""


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "text": [f"claim text {i}" for i in range(n)],
            "pred": rng.choice(LABELS, n),
            "confidence": rng.uniform(0.3, 1, n),
        },
        index=[f"i{i}" for i in range(n)],
    )


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "team.db")
    return request.getfixturevalue("postgres_url")


def test_overlap_k_in_process(store_target):
    df = frame(30)
    ws = [
        hw.ClassificationReview(df, labels=LABELS, store=store_target, annotator=a, overlap=2)
        for a in ("ann", "bob", "cy")
    ]
    # round-robin, as three people working at once
    active = list(ws)
    while active:
        for w in list(active):
            if w.current is None:
                active.remove(w)
            else:
                w.correct("theft")
    d = hw.open_store(store_target).decisions()
    per_item = d.groupby("item_id")["annotator"].agg(["count", "nunique"])
    assert len(per_item) == 30
    assert (per_item["count"] == 2).all() and (per_item["nunique"] == 2).all()
    assert Store(store_target).rating_counts("classification") == {f"i{i}": 2 for i in range(30)}


def test_reopening_does_not_rate_twice(tmp_path):
    db = str(tmp_path / "s.db")
    df = frame(10)
    w = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="ann", overlap=1)
    for _ in range(4):
        w.accept()
    w.close()  # the rest of ann's claims go back
    other = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="bob", overlap=1)
    got = []
    while other.current is not None:
        got.append(other.current["item_id"])
        other.accept()
    assert len(got) == 6  # exactly the items ann did not rate
    again = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="ann", overlap=1)
    assert again.current is None and again.queue_length == 0


def test_lapsed_claims_return_to_the_pool(tmp_path):
    db = str(tmp_path / "s.db")
    df = frame(6)
    a = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="ann", overlap=1, claim_ttl=0.0)
    assert a.current is not None  # claims something, then walks away (claims lapse at once)
    b = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="bob", overlap=1)
    n = 0
    while b.current is not None:
        b.accept()
        n += 1
    assert n == 6


WORKER = textwrap.dedent(
    """
    import sys
    import numpy as np, pandas as pd
    import hitl_widgets as hw
    target, name, n_items, quota = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    df = pd.DataFrame({"text": [f"claim text {i}" for i in range(n_items)],
                       "pred": ["auto"] * n_items, "confidence": 0.5},
                      index=[f"i{i}" for i in range(n_items)])
    w = hw.ClassificationReview(df, labels=["auto", "theft"], store=target, annotator=name,
                                overlap=2)
    done = 0
    while done < quota and w.current is not None:
        w.correct("theft" if done % 2 else "auto")
        done += 1
    print(done)
    """
)


@pytest.mark.slow
def test_four_processes_500_decisions_each(store_target, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    n_items, k, procs, quota = 1000, 2, 4, 500
    # no per-process cap: a cap can strand the last items with annotators who already
    # rated them (a property of any greedy hand-out, not a lost decision)
    ps = [
        subprocess.Popen(
            [sys.executable, str(script), store_target, f"w{j}", str(n_items), str(n_items)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for j in range(procs)
    ]
    made = [int(p.communicate(timeout=600)[0].strip()) for p in ps]
    assert all(p.returncode == 0 for p in ps)
    # each works until nothing is left for it: 2,000 ratings = 4 x 500 on average
    assert sum(made) == n_items * k == procs * quota
    assert min(made) > 0
    store = hw.open_store(store_target)
    ev = store.events()
    assert len(ev) == sum(made) and ev["event_id"].is_unique  # none lost, none twice
    d = store.decisions()
    per_item = d.groupby("item_id")["annotator"].agg(["count", "nunique"])
    assert len(per_item) == n_items
    assert (per_item["count"] == k).all() and (per_item["nunique"] == k).all()


def test_blind_mode_hides_the_model_but_records_it(tmp_path):
    df = frame(5)
    w = hw.ClassificationReview(df, labels=LABELS, store=str(tmp_path / "s.db"), annotator="a", blind=True)
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    w._handle_custom_msg({"type": "fetch", "req": "r", "start": 0, "count": 5}, [])
    items = sent[-1]["items"]
    assert all(it["model_label"] is None and it["confidence"] is None for it in items)
    assert w.config["show_model"] is False and w.config["blind"] is True
    with pytest.raises(ValueError, match="no model label to accept"):
        w.accept()
    w.correct("water")
    ev = w.events()
    assert ev.loc[0, "model_label"] == df["pred"].iloc[0]  # kept for human-vs-model metrics


def test_guideline_versions(tmp_path):
    db = str(tmp_path / "s.db")
    df = frame(5)
    w1 = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="a", guideline=GUIDE)
    assert w1.guideline_version == "v1" and w1.guideline_text == GUIDE
    w1.accept()
    same = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="b", guideline=GUIDE)
    assert same.guideline_version == "v1"
    w2 = hw.ClassificationReview(
        df,
        labels=LABELS,
        store=db,
        annotator="c",
        guideline=GUIDE + "\nA car break-in with nothing taken is auto.\n",
    )
    assert w2.guideline_version == "v2"
    w2.accept()
    ev = hw.open_store(db).events()
    assert list(ev["guideline_version"]) == ["v1", "v2"]
    g = hw.open_store(db).guidelines("classification")
    assert list(g["version"]) == ["v1", "v2"] and g.loc[0, "text"] == GUIDE
    with pytest.raises(ValueError, match="guideline must be non-empty"):
        hw.ClassificationReview(df, labels=LABELS, store=db, annotator="c", guideline="  ")


def test_gold_items_mixed_in_with_feedback(tmp_path):
    df = frame(40)
    df["gold"] = None
    df.loc[[f"i{i}" for i in range(0, 40, 8)], "gold"] = "theft"  # 5 gold items
    w = hw.ClassificationReview(
        df,
        labels=LABELS,
        store=str(tmp_path / "s.db"),
        annotator="a",
        gold="gold",
        gold_rate=0.1,
        guideline=GUIDE,
    )
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    order = [w._queue.position(q) for q in range(len(w._queue))]
    gold_pos = [p for p in order if df["gold"].iloc[p] is not None]
    # 35 regular items; gold at 10% of the queue -> round(35 * 0.1 / 0.9) = 4 of the 5 gold
    assert len(order) == 39 and len(gold_pos) == 4
    # gold spread through the queue, not bunched at one end
    qi_of_gold = [order.index(p) for p in gold_pos]
    assert min(np.diff(sorted(qi_of_gold))) >= 4
    # answer the first gold item wrong through the browser path
    qi = qi_of_gold[0]
    item_id = df.index[order[qi]]
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [{"id": "g1", "item_id": item_id, "action": "correct", "label": "auto"}],
        },
        [],
    )
    ack = sent[-1]
    fb = ack["feedback"]["g1"]
    assert fb["correct"] is False and fb["expected"] == "theft" and fb["given"] == "auto"
    assert fb["passage"].startswith("## theft") and "Something was taken" in fb["passage"]
    # right answer: feedback says so
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                {"id": "g2", "item_id": df.index[order[qi_of_gold[1]]], "action": "correct", "label": "theft"}
            ],
        },
        [],
    )
    assert sent[-1]["feedback"]["g2"]["correct"] is True
    ev = w.events()
    assert list(ev["data"].map(lambda d: d["gold"])) == ["theft", "theft"]
    # a normal item gets no feedback
    normal = df.index[order[0]] if order[0] not in gold_pos else df.index[order[1]]
    w._handle_custom_msg(
        {"type": "decide", "decisions": [{"id": "n1", "item_id": normal, "action": "accept"}]}, []
    )
    assert "feedback" not in sent[-1]


def test_gold_bad_input(tmp_path):
    df = frame(5)
    df["gold"] = ["fire", None, None, None, None]
    with pytest.raises(
        ValueError, match=r"gold='gold': answers not in \['auto', 'theft', 'water'\] in rows 'i0'"
    ):
        hw.ClassificationReview(df, labels=LABELS, store=str(tmp_path / "s.db"), gold="gold")
    assert not (tmp_path / "s.db").exists()


def test_break_every_reaches_the_browser(tmp_path):
    w = hw.ClassificationReview(
        frame(5), labels=LABELS, store=str(tmp_path / "s.db"), annotator="a", break_every=25
    )
    assert w.config["break_every"] == 25
    with pytest.raises(ValueError, match="break_every"):
        hw.ClassificationReview(frame(5), labels=LABELS, store=str(tmp_path / "t.db"), break_every=0)


def test_scripted_gold_answer_sends_feedback_to_the_browser(tmp_path):
    df = frame(6)
    df["gold"] = ["water"] + [None] * 5
    w = hw.ClassificationReview(
        df,
        labels=LABELS,
        store=str(tmp_path / "s.db"),
        annotator="a",
        gold="gold",
        gold_rate=0.5,
        guideline=GUIDE,
    )
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    while w.current is not None and w.current["item_id"] != "i0":
        w.accept()
    w.correct("auto")
    msg = sent[-1]
    assert msg["type"] == "external"
    (fb,) = msg["feedback"].values()
    assert fb["correct"] is False and fb["expected"] == "water" and "burst pipes" in fb["passage"]
    assert w.last_feedback == fb
