"""Exports from the store alone: SFT messages, preference pairs, JSONL, datasets.Dataset."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets import exports
from hitl_widgets.widgets import GenerationReview, PairwiseReview

datasets = pytest.importorskip("datasets")

CTX = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!"},
]


def gens(n: int = 7) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"g{i}" for i in range(n)],
            "prompt": [f"Question {i}?" for i in range(n)],
            "response": [f"Answer {i}: **{i}**." for i in range(n)],
            "context": [CTX if i == 1 else None for i in range(n)],
        }
    )


def pairs(n: int = 5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "prompt": [f"Compare {i}" for i in range(n)],
            "response_a": [f"A{i}" for i in range(n)],
            "response_b": [f"B{i}" for i in range(n)],
        }
    )


@pytest.fixture
def db(tmp_path):
    """A store with a scripted generation review and a pairwise review, then closed:
    the exports read it back without the frames."""
    path = tmp_path / "review.db"
    g = GenerationReview(
        gens(), context="context", id="id", rubric={"helpful": [1, 2, 3]}, store=str(path), annotator="ana"
    )
    g.rate(helpful=3)
    g.accept()  # g0 accepted (rated)
    g.edit("Answer 1: **one**.")  # g1 edited (has context)
    g.reject("wrong")  # g2 rejected
    g.flag("unclear")  # g3 flagged
    g.skip()  # g4 skipped
    g.rate(helpful=1)  # g5 only rated
    g.accept()  # g5 accepted ...
    g.undo()  # ... undone: only rated again
    g.skip()  # g5: moving on
    g.edit("Answer 6: **six**.")  # g6 edited ...
    g.close()
    g2 = GenerationReview(gens(), context="context", id="id", store=str(path), annotator="ana", revisit=True)
    for _ in range(6):
        g2.skip()
    g2.accept()  # ... then g6 accepted after all (latest verdict wins)
    g2.close()
    p = PairwiseReview(pairs(), id="id", store=str(path), annotator="bob", seed=4)
    p.choose("a")
    p.choose("b", reason="shorter")
    p.choose("tie")
    p.choose("both_bad")
    p.choose("a")
    p.undo()  # p4 undone: no decision
    p.close()
    return path


def test_sft_keeps_accepted_and_edited_only(db):
    df = exports.to_sft(hw.open_store(db))
    assert list(df["item_id"]) == ["g0", "g1", "g6"]
    assert list(df["status"]) == ["accepted", "edited", "accepted"]
    assert list(df.columns) == ["messages", "task", "item_id", "annotator", "status", "ratings", "decided_at"]
    m0, m1, m6 = df["messages"]
    assert m0 == [
        {"role": "user", "content": "Question 0?"},
        {"role": "assistant", "content": "Answer 0: **0**."},
    ]
    assert m1 == [
        *CTX,
        {"role": "user", "content": "Question 1?"},
        {"role": "assistant", "content": "Answer 1: **one**."},
    ]
    assert m6[-1]["content"] == "Answer 6: **6**."  # accepted after the edit: the model's text
    assert df.loc[0, "ratings"] == {"helpful": 3} and df.loc[1, "ratings"] is None
    assert set(df["annotator"]) == {"ana"} and set(df["task"]) == {"generation"}
    assert df["decided_at"].str.endswith("Z").all()


def test_sft_from_a_path_and_without_metadata(db):
    df = exports.to_sft(str(db), task="generation", metadata=False)
    assert list(df.columns) == ["messages"] and len(df) == 3
    assert exports.to_sft(str(db), task="nope").empty
    assert len(exports.to_sft(str(db), annotator="ana")) == 3
    assert exports.to_sft(str(db), annotator="bob").empty


def test_preferences_from_pairs_and_edits(db):
    df = exports.to_preferences(db, conversational=False)
    assert list(df.columns) == [
        "prompt",
        "chosen",
        "rejected",
        "source",
        "task",
        "item_id",
        "annotator",
        "choice",
        "left",
    ]
    by = {r.item_id: r for r in df.itertuples()}
    assert set(by) == {"g1", "p0", "p1"}  # ties, both-bad, undone and later-accepted edits left out
    assert (by["p0"].prompt, by["p0"].chosen, by["p0"].rejected) == ("Compare 0", "A0", "B0")
    assert (by["p1"].chosen, by["p1"].rejected) == ("B1", "A1")
    assert by["p1"].left in ("a", "b") and by["p1"].source == "pairwise" and by["p1"].annotator == "bob"
    assert (by["g1"].chosen, by["g1"].rejected) == ("Answer 1: **one**.", "Answer 1: **1**.")
    assert by["g1"].source == "edit" and by["g1"].prompt == "Question 1?"


def test_preferences_conversational_when_there_is_context(db):
    df = exports.to_preferences(db)  # auto: g1 has a chat context
    row = df.set_index("item_id").loc["g1"]
    assert row["prompt"] == [*CTX, {"role": "user", "content": "Question 1?"}]
    assert row["chosen"] == [{"role": "assistant", "content": "Answer 1: **one**."}]
    assert row["rejected"] == [{"role": "assistant", "content": "Answer 1: **1**."}]
    p0 = df.set_index("item_id").loc["p0"]
    assert p0["prompt"] == [{"role": "user", "content": "Compare 0"}]
    only_pairs = exports.to_preferences(db, edits=False)
    assert set(only_pairs["item_id"]) == {"p0", "p1"}
    assert isinstance(only_pairs.loc[0, "prompt"], str)  # no context among these: plain strings
    assert set(exports.to_preferences(db, pairwise=False, conversational=True)["item_id"]) == {"g1"}


def test_jsonl_round_trip_with_datasets(db, tmp_path):
    sft_path, pref_path = tmp_path / "out" / "sft.jsonl", tmp_path / "out" / "prefs.jsonl"
    sft = exports.to_sft(db, path=sft_path)
    prefs = exports.to_preferences(db, path=pref_path, metadata=False)
    lines = sft_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[1])["messages"][0] == CTX[0]
    ds = datasets.load_dataset("json", data_files=str(sft_path), split="train")
    assert ds.num_rows == 3 and "messages" in ds.column_names
    assert ds[1]["messages"] == sft.loc[1, "messages"]
    assert ds[0]["ratings"] == {"helpful": 3}
    pds = datasets.load_dataset("json", data_files=str(pref_path), split="train")
    assert pds.column_names == ["prompt", "chosen", "rejected"] and pds.num_rows == len(prefs) == 3
    g1 = next(r for r in pds if r["chosen"][0]["content"] == "Answer 1: **one**.")
    assert g1["rejected"] == [{"role": "assistant", "content": "Answer 1: **1**."}]
    assert g1["prompt"][-1] == {"role": "user", "content": "Question 1?"}


def test_as_dataset(db):
    ds = exports.to_sft(db, as_dataset=True, metadata=False)
    assert isinstance(ds, datasets.Dataset) and ds.column_names == ["messages"] and ds.num_rows == 3
    assert ds[0]["messages"][1] == {"role": "assistant", "content": "Answer 0: **0**."}
    pds = exports.to_preferences(db, as_dataset=True, conversational=False)
    assert {"prompt", "chosen", "rejected"} <= set(pds.column_names) and pds.num_rows == 3
    assert exports.to_hf_dataset(exports.to_sft(db)).num_rows == 3
    empty = exports.to_sft(db, task="nothing", as_dataset=True)
    assert empty.num_rows == 0


def test_rating_after_a_verdict_keeps_the_verdict(tmp_path):
    path = tmp_path / "s.db"
    g = GenerationReview(gens(2), id="id", rubric={"helpful": [1, 2, 3]}, store=str(path), annotator="ana")
    g.accept()
    g.close()
    g2 = GenerationReview(
        gens(2), id="id", rubric={"helpful": [1, 2, 3]}, store=str(path), annotator="ana", revisit=True
    )
    g2.rate(helpful=2)  # going back to rate an accepted item
    df = exports.to_sft(path)
    assert list(df["item_id"]) == ["g0"] and df.loc[0, "ratings"] == {"helpful": 2}
    g2.undo()
    assert exports.to_sft(path).loc[0, "ratings"] is None


def test_several_annotators_and_tasks(tmp_path):
    path = tmp_path / "s.db"
    for ann in ("ana", "bob"):
        g = GenerationReview(gens(3), id="id", store=str(path), annotator=ann)
        g.accept()
        g.edit(f"edited by {ann}")
    g = GenerationReview(gens(3), id="id", store=str(path), annotator="ana", task="second")
    g.accept()
    df = exports.to_sft(path)
    assert len(df) == 5 and set(df["task"]) == {"generation", "second"}
    assert len(exports.to_sft(path, task=["generation"])) == 4
    prefs = exports.to_preferences(path, conversational=False)
    assert sorted(prefs["chosen"]) == ["edited by ana", "edited by bob"]


def test_exports_ignore_classification_and_empty_stores(tmp_path):
    path = tmp_path / "s.db"
    df = pd.DataFrame({"text": ["a", "b"], "pred": ["x", "y"], "confidence": [0.5, 0.6]})
    c = hw.ClassificationReview(df, labels=["x", "y"], store=str(path), annotator="ana")
    c.accept()
    assert exports.to_sft(path).empty and exports.to_preferences(path).empty
    assert exports.position_bias(path)["n"] == 0
    with pytest.raises(FileNotFoundError):
        exports.to_sft(tmp_path / "missing.db")
