"""PairwiseReview: sides drawn from (seed, id) and recorded, choices as a / b, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.exports import position_bias
from hitl_widgets.items.pairwise import left_side
from hitl_widgets.widgets import PairwiseReview

REPO = Path(__file__).resolve().parents[1]


def pairs(n: int = 8) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "prompt": [f"Explain {i}" for i in range(n)],
            "response_a": [f"A says {i}" for i in range(n)],
            "response_b": [f"B says {i}" for i in range(n)],
        }
    )


def review(db, df=None, **kw) -> PairwiseReview:
    kw.setdefault("annotator", "ana")
    return PairwiseReview(pairs() if df is None else df, id="id", store=str(db), **kw)


def wire(w):
    sent: list[dict] = []
    w.send = lambda m, buffers=None: sent.append(m)
    return sent


def test_sides_are_random_per_item_and_reproducible_by_seed(tmp_path):
    df = pairs(200)
    w = review(tmp_path / "a.db", df=df, seed=1)
    sides = [w.left_of(i) for i in df["id"]]
    assert 70 < sides.count("a") < 130  # both sides, about half each
    again = review(tmp_path / "b.db", df=df, seed=1)
    assert [again.left_of(i) for i in df["id"]] == sides
    other = review(tmp_path / "c.db", df=df, seed=2)
    assert [other.left_of(i) for i in df["id"]] != sides
    # the same in a fresh interpreter (no salted hash involved)
    code = (
        "from hitl_widgets.items.pairwise import left_side;"
        "print(''.join(left_side(1, f'p{i}') for i in range(200)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PYTHONPATH": str(REPO)},
    ).stdout.strip()
    assert out == "".join(sides)
    assert left_side(0, "x") in ("a", "b")


def test_payload_shows_left_and_right(tmp_path):
    w = review(tmp_path / "s.db", seed=5)
    sent = wire(w)
    w._handle_custom_msg({"type": "fetch", "req": "r", "start": 0, "count": 8}, [])
    for it in sent[-1]["items"]:
        i = int(it["item_id"][1:])
        assert it["left"] == left_side(5, it["item_id"])
        a, b = f"A says {i}", f"B says {i}"
        assert (it["left_text"], it["right_text"]) == ((a, b) if it["left"] == "a" else (b, a))
        assert it["seed"] == 5 and it["prompt"] == f"Explain {i}"
    assert w.kind == "pairwise" and w.config["seed"] == 5


def test_choose_records_choice_side_seed_and_reason(tmp_path):
    w = review(tmp_path / "s.db", seed=3)
    lefts = [w.left_of(f"p{i}") for i in range(5)]
    w.choose("a")
    w.choose("b", reason="cites a source")
    w.choose("tie")
    w.choose("both_bad", reason="both wrong")
    w.choose("left")
    ev = w.events()
    assert list(ev["action"]) == ["compare"] * 5 and set(ev["kind"]) == {"pairwise"}
    data = list(ev["data"])
    assert [d["choice"] for d in data] == ["a", "b", "tie", "both_bad", lefts[4]]
    assert [d["left"] for d in data] == lefts
    assert {d["seed"] for d in data} == {3}
    assert data[1]["reason"] == "cites a source" and ev.loc[1, "note"] == "cites a source"
    assert data[0]["reason"] is None
    assert data[0]["prompt"] == "Explain 0" and data[0]["a"] == "A says 0" and data[0]["b"] == "B says 0"
    d = w.decisions().set_index("item_id")
    assert d.loc["p0", "status"] == "compared" and d.loc["p0", "human_label"] == "a"
    assert d.loc["p2", "human_label"] == "tie"
    with pytest.raises(ValueError, match="not one of"):
        w.choose("c")


def test_browser_decisions(tmp_path):
    w = review(tmp_path / "s.db", seed=9)
    sent = wire(w)
    w._handle_custom_msg({"type": "fetch", "req": "r", "start": 0, "count": 2}, [])
    it0, it1 = sent[-1]["items"]
    base = {"annotator": "ana", "task": "pairwise", "session_id": "b"}
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                {
                    **base,
                    "id": "d1",
                    "item_id": it0["item_id"],
                    "content_hash": it0["content_hash"],
                    "action": "compare",
                    "note": "clearer",
                    "data": {"choice": "b", "left": it0["left"], "seed": 9, "reason": "clearer"},
                },
                {
                    **base,
                    "id": "d2",
                    "item_id": it1["item_id"],
                    "content_hash": it1["content_hash"],
                    "action": "compare",
                    "data": {"choice": "maybe", "left": "a"},
                },
                {
                    **base,
                    "id": "d3",
                    "item_id": it1["item_id"],
                    "content_hash": it1["content_hash"],
                    "action": "compare",
                    "data": {"choice": "a", "left": "c"},
                },
                {
                    **base,
                    "id": "d4",
                    "item_id": it1["item_id"],
                    "content_hash": it1["content_hash"],
                    "action": "accept",
                },
            ],
        },
        [],
    )
    ack = sent[-1]
    assert ack["ids"] == ["d1"] and set(ack["errors"]) == {"d2", "d3", "d4"}
    ev = w.events().iloc[0]
    assert ev["data"]["choice"] == "b" and ev["data"]["left"] == it0["left"] and ev["data"]["seed"] == 9
    assert ev["data"]["reason"] == "clearer" and ev["note"] == "clearer"
    assert ev["data"]["a"] == "A says 0"  # texts from the kernel's frame


def test_side_shown_by_an_older_session_wins(tmp_path):
    """A resend made under another seed keeps the side the person actually saw."""
    w = review(tmp_path / "s.db", seed=0)
    sent = wire(w)
    mine = w.left_of("p0")
    seen = "b" if mine == "a" else "a"
    w._handle_custom_msg(
        {
            "type": "hello",
            "pending": [
                {
                    "id": "old",
                    "item_id": "p0",
                    "content_hash": w._items.hash(0),
                    "action": "compare",
                    "data": {"choice": "a", "left": seen, "seed": 41},
                    "annotator": "ana",
                    "task": "pairwise",
                }
            ],
        },
        [],
    )
    assert [m for m in sent if m["type"] == "ack"][-1]["ids"] == ["old"]
    d = w.events().loc[0, "data"]
    assert d["left"] == seen and d["seed"] == 41


def test_undo_flag_skip(tmp_path):
    w = review(tmp_path / "s.db")
    w.choose("a")
    w.undo()
    assert w.current["item_id"] == "p0"
    w.flag("both off-topic")
    w.skip()
    assert list(w.events()["action"]) == ["compare", "undo", "flag", "skip"]
    assert w.counts == {"flagged": 1, "skipped": 1}


def test_position_bias_counts_the_left_wins(tmp_path):
    df = pairs(60)
    w = review(tmp_path / "s.db", df=df, seed=11)
    for i in range(60):
        w.choose("left" if i < 45 else ("right" if i < 55 else "tie"))
    pb = w.position_bias()
    assert pb["n"] == 55 and pb["left_wins"] == 45 and pb["right_wins"] == 10 and pb["ties"] == 5
    assert pb["left_rate"] == pytest.approx(45 / 55)
    assert pb["p_value"] < 0.001
    lo, hi = pb["left_rate_ci95"]
    assert lo < 45 / 55 < hi
    lefts = [w.left_of(f"p{i}") for i in range(60)]
    assert pb["a_shown_left"] == pytest.approx(lefts.count("a") / 60)
    a_wins = sum((lefts[i] == "a") if i < 45 else (lefts[i] == "b") for i in range(55))
    assert pb["a_rate"] == pytest.approx(a_wins / 55)
    assert position_bias(str(tmp_path / "s.db")) == pb  # from the store file alone


def test_position_bias_without_decisions(tmp_path):
    review(tmp_path / "s.db")
    pb = position_bias(hw.open_store(tmp_path / "s.db"))
    assert pb["n"] == 0 and pb["left_rate"] is None and pb["p_value"] is None


@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        (lambda df: df.drop(columns="response_b"), {}, r"b='response_b': no such column"),
        (lambda df: df.drop(columns="response_a"), {}, r"a='response_a': no such column"),
        (lambda df: df, {"a": "left"}, r"a='left': no such column"),
        (lambda df: df.drop(columns="prompt"), {}, r"prompt='prompt': no such column"),
        (lambda df: df.assign(id=["x"] * 8), {}, r"duplicate ids in rows 0, 1, 2, 3, 4 and 3 more"),
        (lambda df: df.assign(response_b=[None] + ["b"] * 7), {}, r"b='response_b'.*rows 0"),
        (
            lambda df: df.assign(ctx=[[{"role": "user"}]] * 8),
            {"context": "ctx"},
            r"context='ctx'.*no 'content'",
        ),
        (lambda df: df, {"seed": 1.5}, r"seed must be an integer"),
        (lambda df: df, {"seed": None}, r"seed must be an integer"),
    ],
)
def test_bad_input(tmp_path, change, kwargs, match):
    db = tmp_path / "never.db"
    with pytest.raises(ValueError, match=match):
        PairwiseReview(change(pairs()), id="id", store=str(db), annotator="ana", **kwargs)
    assert not db.exists()


def test_context_is_shown_and_hashed(tmp_path):
    df = pairs(2)
    df["ctx"] = [[{"role": "user", "content": "before"}], None]
    w = PairwiseReview(df, id="id", context="ctx", store=str(tmp_path / "s.db"), annotator="ana")
    sent = wire(w)
    w._handle_custom_msg({"type": "fetch", "req": "r", "start": 0, "count": 2}, [])
    assert sent[-1]["items"][0]["context"] == [{"role": "user", "content": "before"}]
    assert sent[-1]["items"][1]["context"] is None
    w.choose("a")
    assert w.events().loc[0, "data"]["context"] == [{"role": "user", "content": "before"}]
