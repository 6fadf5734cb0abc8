"""GenerationReview: actions and their events, the stored diff, the protocol, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.store import Store
from hitl_widgets.textdiff import word_diff, word_tokens
from hitl_widgets.widgets import GenerationReview

RUBRIC = {"helpful": [1, 2, 3, 4, 5], "harmless": ["yes", "no"]}


def gens(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"g{i}" for i in range(n)],
            "prompt": [f"Question {i}?" for i in range(n)],
            "response": [
                f"The answer to {i} is **{i * 2}**.\n\n```python\nprint({i})\n```" for i in range(n)
            ],
            "context": [
                None
                if i % 2
                else [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": f"Earlier {i}"},
                    {"role": "assistant", "content": "Sure."},
                ]
                for i in range(n)
            ],
        }
    )


def review(db, df=None, **kw) -> GenerationReview:
    kw.setdefault("annotator", "ana")
    kw.setdefault("rubric", RUBRIC)
    return GenerationReview(gens() if df is None else df, context="context", id="id", store=str(db), **kw)


def wire(w):
    sent: list[dict] = []
    w.send = lambda m, buffers=None: sent.append(m)
    return sent


# ------------------------------------------------------------------------------------
# Python actions (they mirror the keys)
# ------------------------------------------------------------------------------------


def test_python_actions_write_their_events(tmp_path):
    w = review(tmp_path / "s.db")
    w.rate(helpful=4)
    assert w.current["item_id"] == "g0"  # rating does not move on
    w.rate(harmless="yes")
    w.accept()
    w.edit("The answer to 1 is **3**.\n\n```python\nprint(1)\n```")
    w.reject("made-up number")
    w.flag("two readings")
    w.skip()
    ev = w.events()
    assert list(ev["action"]) == ["rate", "rate", "accept", "edit", "reject", "flag", "skip"]
    assert list(ev["item_id"]) == ["g0", "g0", "g0", "g1", "g2", "g3", "g4"]
    assert set(ev["kind"]) == {"generation"} and set(ev["task"]) == {"generation"}
    assert ev.loc[0, "data"]["ratings"] == {"helpful": 4}
    assert ev.loc[1, "data"]["ratings"] == {"helpful": 4, "harmless": "yes"}
    acc = ev.loc[2, "data"]
    assert acc["ratings"] == {"helpful": 4, "harmless": "yes"}  # the verdict carries them
    assert acc["prompt"] == "Question 0?" and acc["response"].startswith("The answer to 0")
    assert acc["context"][0] == {"role": "system", "content": "Be brief."}
    ed = ev.loc[3, "data"]
    assert ed["original"] == gens().loc[1, "response"] and ed["edited"].startswith("The answer to 1 is **3**")
    assert ed["context"] is None and "response" not in ed
    assert ev.loc[4, "note"] == "made-up number" and ev.loc[5, "note"] == "two readings"
    d = w.decisions().set_index("item_id")
    assert d.loc["g0", "status"] == "accepted" and d.loc["g1", "status"] == "edited"
    assert d.loc["g2", "status"] == "rejected" and d.loc["g3", "status"] == "flagged"
    assert "g4" not in d.index
    assert w.counts == {"accepted": 1, "edited": 1, "rejected": 1, "flagged": 1, "skipped": 1}
    assert w.done == 4 and w.remaining == 1


def test_edit_stores_both_texts_and_a_word_diff(tmp_path):
    w = review(tmp_path / "s.db")
    original = w.current["response"]
    edited = original.replace("**0**", "**zero**") + "\n\nThat is all."
    w.edit(edited)
    data = w.events().loc[0, "data"]
    assert data["original"] == original and data["edited"] == edited
    diff = data["diff"]
    assert {p["op"] for p in diff} <= {"equal", "insert", "delete"}
    assert "".join(p["text"] for p in diff if p["op"] != "insert") == original
    assert "".join(p["text"] for p in diff if p["op"] != "delete") == edited
    assert [p["text"] for p in diff if p["op"] == "delete"] == ["0"]
    assert "zero" in "".join(p["text"] for p in diff if p["op"] == "insert")


def test_word_diff_properties():
    # (its speed on 2,000-word texts is a figure of benchmarks/bench_textdiff.py)
    assert word_diff("a b c", "a b c") == [{"op": "equal", "text": "a b c"}]
    assert word_diff("", "new") == [{"op": "insert", "text": "new"}]
    assert word_diff("old", "") == [{"op": "delete", "text": "old"}]
    assert "".join(word_tokens("Hi,  there!\r\n\tx")) == "Hi,  there!\r\n\tx"
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(400)]
    words = list(rng.choice(vocab, 2000))
    original = " ".join(words)
    for changed in ([*words[:100], "NEW", *words[101:]], list(rng.choice(vocab, 2000))):
        edited = " ".join(changed)
        diff = word_diff(original, edited)
        assert "".join(p["text"] for p in diff if p["op"] != "insert") == original
        assert "".join(p["text"] for p in diff if p["op"] != "delete") == edited


def test_undo_rate_and_verdict(tmp_path):
    w = review(tmp_path / "s.db")
    w.rate(helpful=2)
    w.accept()
    w.undo()  # the accept
    assert w.current["item_id"] == "g0"
    st = w.decisions().set_index("item_id")
    assert st.loc["g0", "status"] == "rated"
    w.undo()  # the rating
    assert w.decisions().empty
    w.rate(helpful=5)
    w.edit("better")
    ev = w.events()
    assert list(ev["action"]) == ["rate", "accept", "undo", "undo", "rate", "edit"]
    assert ev.iloc[-1]["data"]["ratings"] == {"helpful": 5}  # not the undone 2
    with pytest.raises(ValueError, match="unchanged"):
        w.edit(w.current["response"])
    with pytest.raises(ValueError, match="non-empty"):
        w.edit("   ")
    with pytest.raises(ValueError, match="reason"):
        w.reject("")
    with pytest.raises(ValueError, match="not on its scale"):
        w.rate(helpful=6)
    with pytest.raises(ValueError, match="not a rubric criterion"):
        w.rate(funny=1)
    with pytest.raises(ValueError, match="name at least one"):
        w.rate()


def test_resume_skips_decided_and_keeps_ratings(tmp_path):
    db = tmp_path / "s.db"
    w = review(db)
    w.rate(helpful=3)
    w.accept()
    w.edit("x")
    w.close()
    w2 = review(db)
    assert len(w2) == 4 and w2.current["item_id"] == "g2"
    w3 = review(db, revisit=True)
    sent = wire(w3)
    w3._handle_custom_msg({"type": "fetch", "req": "r", "start": 0, "count": 2}, [])
    items = sent[-1]["items"]
    assert items[0]["decision"]["action"] == "accept"
    assert items[0]["decision"]["data"]["ratings"] == {"helpful": 3}
    assert items[1]["decision"]["data"]["edited"] == "x"  # the browser shows the diff again


# ------------------------------------------------------------------------------------
# the protocol (browser messages)
# ------------------------------------------------------------------------------------


def test_fetch_sends_the_texts(tmp_path):
    w = review(tmp_path / "s.db")
    sent = wire(w)
    w._handle_custom_msg({"type": "fetch", "req": "r1", "start": 0, "count": 3}, [])
    msg = sent[-1]
    assert msg["type"] == "items" and msg["req"] == "r1" and msg["queue_length"] == 6
    it = msg["items"][0]
    assert set(it) >= {"qi", "item_id", "content_hash", "prompt", "context", "response", "decision"}
    assert it["context"][1] == {"role": "user", "content": "Earlier 0"} and msg["items"][1]["context"] is None
    assert w.config["rubric"] == [
        {"name": "helpful", "scale": [1, 2, 3, 4, 5]},
        {"name": "harmless", "scale": ["yes", "no"]},
    ]
    assert w.kind == "generation"


def test_browser_edit_diff_is_recomputed_in_python(tmp_path):
    w = review(tmp_path / "s.db")
    sent = wire(w)
    h = w._items.hash(1)
    original = gens().loc[1, "response"]
    edited = original.replace("**2**", "**two**")
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                {
                    "id": "e1",
                    "item_id": "g1",
                    "content_hash": h,
                    "qi": 1,
                    "action": "edit",
                    "data": {
                        "original": "FORGED original",
                        "edited": edited,
                        "diff": [{"op": "insert", "text": "forged"}],
                        "ratings": {"helpful": 2},
                    },
                    "annotator": "ana",
                    "session_id": "b",
                    "created_at": "2026-05-01T10:00:00.000Z",
                    "duration_ms": 3000,
                    "task": "generation",
                }
            ],
        },
        [],
    )
    assert sent[-1] == {"type": "ack", "ids": ["e1"], "errors": {}}
    ev = w.events().iloc[0]
    data = ev["data"]
    assert data["original"] == original  # the kernel's copy, not the browser's
    assert data["edited"] == edited
    assert data["diff"] == word_diff(original, edited)
    assert data["ratings"] == {"helpful": 2}
    assert ev["duration_ms"] == 3000 and ev["session_id"] == "b"


def test_bad_browser_decisions_are_refused(tmp_path):
    w = review(tmp_path / "s.db")
    sent = wire(w)
    h0 = w._items.hash(0)
    base = {"item_id": "g0", "content_hash": h0, "annotator": "ana", "task": "generation"}
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                {**base, "id": "x1", "action": "edit", "data": {"edited": gens().loc[0, "response"]}},
                {**base, "id": "x2", "action": "edit", "data": {"edited": "  "}},
                {**base, "id": "x3", "action": "rate", "data": {"ratings": {"helpful": 9}}},
                {**base, "id": "x4", "action": "rate", "data": {"ratings": {"nope": 1}}},
                {**base, "id": "x5", "action": "correct", "label": "x"},
                {**base, "id": "x6", "action": "compare", "data": {"choice": "a"}},
                {**base, "id": "x7", "action": "rate", "data": {}},
                {**base, "id": "ok", "action": "reject", "note": "wrong"},
            ],
        },
        [],
    )
    ack = sent[-1]
    assert ack["ids"] == ["ok"] and set(ack["errors"]) == {f"x{i}" for i in range(1, 8)}
    assert "unchanged" in ack["errors"]["x1"] and "empty" in ack["errors"]["x2"]
    assert "scale" in ack["errors"]["x3"] and "criterion" in ack["errors"]["x4"]
    assert "does not apply" in ack["errors"]["x5"]
    assert list(w.events()["action"]) == ["reject"]


def test_resend_is_idempotent_and_rate_from_browser_fills_texts(tmp_path):
    w = review(tmp_path / "s.db")
    sent = wire(w)
    d = {
        "id": "r1",
        "item_id": "g0",
        "content_hash": w._items.hash(0),
        "action": "rate",
        "data": {"ratings": {"harmless": "no"}},
        "annotator": "ana",
        "task": "generation",
    }
    w._handle_custom_msg({"type": "decide", "decisions": [d]}, [])
    w._handle_custom_msg({"type": "hello", "pending": [d]}, [])
    assert [m for m in sent if m["type"] == "ack"][-1]["ids"] == ["r1"]
    ev = w.events()
    assert len(ev) == 1 and ev.loc[0, "data"]["prompt"] == "Question 0?"
    assert ev.loc[0, "data"]["ratings"] == {"harmless": "no"}


def test_python_rate_tells_the_browser_to_stay(tmp_path):
    w = review(tmp_path / "s.db")
    sent = wire(w)
    w.rate(helpful=1)
    assert sent[-1]["type"] == "external" and sent[-1]["advance"] is False
    assert sent[-1]["decision"]["action"] == "rate"
    w.accept()
    assert sent[-1]["type"] == "external" and "advance" not in sent[-1]


def test_hostile_text_is_passed_as_data(tmp_path):
    evil = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    df = pd.DataFrame({"prompt": [evil], "response": [evil]}, index=["<b>id</b>"])
    w = GenerationReview(df, store=str(tmp_path / "s.db"), annotator="ana")
    sent = wire(w)
    w._handle_custom_msg({"type": "fetch", "req": "r", "start": 0, "count": 1}, [])
    it = sent[-1]["items"][0]
    assert it["prompt"] == evil and it["response"] == evil and it["item_id"] == "<b>id</b>"
    w.accept()
    assert w.events().loc[0, "data"]["response"] == evil


def test_content_change_is_detected(tmp_path):
    db = tmp_path / "s.db"
    w = review(db)
    w.accept()
    w.close()
    df = gens()
    df.loc[0, "response"] = "changed"
    with pytest.raises(hw.ContentChangedError, match="g0"):
        review(db, df=df)
    df2 = gens()
    df2.at[0, "context"] = [{"role": "system", "content": "other"}]
    with pytest.raises(hw.ContentChangedError):
        review(db, df=df2)
    assert len(review(db, df=df, on_changed="review")) == 6


def test_no_rubric_and_defaults(tmp_path):
    df = gens()[["prompt", "response"]]
    w = GenerationReview(df, store=str(tmp_path / "s.db"), annotator="ana")
    assert w.config["rubric"] == [] and w.rubric == []
    with pytest.raises(ValueError, match="no rubric"):
        w.rate(helpful=1)
    w.accept()
    assert w.events().loc[0, "item_id"] == "0"  # the index is the id


def test_empty_response_can_be_reviewed(tmp_path):
    df = pd.DataFrame({"prompt": ["p"], "response": [""]})
    w = GenerationReview(df, store=str(tmp_path / "s.db"), annotator="ana")
    w.edit("now filled")
    assert w.events().loc[0, "data"]["original"] == ""


# ------------------------------------------------------------------------------------
# bad input: a clear ValueError naming it, and nothing written
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        (lambda df: df.drop(columns="prompt"), {}, r"prompt='prompt': no such column"),
        (lambda df: df.drop(columns="response"), {}, r"response='response': no such column"),
        (lambda df: df, {"context": "history"}, r"context='history': no such column"),
        (lambda df: df, {"prompt": "question"}, r"prompt='question': no such column"),
        (
            lambda df: df.assign(context=["not a list"] + [None] * 5),
            {},
            r"context='context'.*rows 0.*row 0.*not a JSON list",
        ),
        (
            lambda df: df.assign(context=[None, None, [{"role": "user"}], None, None, None]),
            {},
            r"context='context'.*rows 2.*message 0 has no 'content'",
        ),
        (
            lambda df: df.assign(context=[None, None, None, [{"content": "x"}], None, None]),
            {},
            r"rows 3.*message 0 has no 'role'",
        ),
        (lambda df: df.assign(context=[None, 5, None, None, None, ["x"]]), {}, r"rows 1, 5.*row 1: a int"),
        (lambda df: df, {"rubric": {"helpful": []}}, r"rubric\['helpful'\]: empty scale"),
        (lambda df: df, {"rubric": {"helpful": [1, 2], "clarity": ()}}, r"rubric\['clarity'\]: empty scale"),
        (lambda df: df, {"rubric": {"x": list(range(11))}}, r"rubric\['x'\]: 11 values"),
        (lambda df: df, {"rubric": {"x": [1, 1]}}, r"rubric\['x'\]: repeated"),
        (lambda df: df, {"rubric": {"x": [1, "a"]}}, r"rubric\['x'\]: mixes text and numbers"),
        (lambda df: df, {"rubric": {"x": "12345"}}, r"rubric\['x'\]: the scale must be a list"),
        (lambda df: df, {"rubric": ["helpful"]}, r"rubric must be a dict"),
        (lambda df: df, {"rubric": {}}, r"rubric: no criteria"),
        (lambda df: df.assign(id=["a", "b", "a", "c", "d", "e"]), {}, r"id='id': duplicate ids in rows 0, 2"),
        (
            lambda df: df.assign(response=["ok", None, "ok", "ok", 3, "ok"]),
            {},
            r"response='response'.*rows 1, 4",
        ),
        (
            lambda df: df.assign(prompt=["ok", "", "ok", "ok", "ok", "ok"]),
            {},
            r"prompt='prompt': empty text in rows 1",
        ),
        (lambda df: df.iloc[:0], {}, r"df is empty"),
    ],
)
def test_bad_input_names_the_problem_and_writes_nothing(tmp_path, change, kwargs, match):
    db = tmp_path / "never.db"
    kw = {"context": "context", "id": "id", "rubric": RUBRIC, **kwargs}
    with pytest.raises(ValueError, match=match):
        GenerationReview(change(gens()), store=str(db), annotator="ana", **kw)
    assert not db.exists()


def test_not_a_frame(tmp_path):
    with pytest.raises(ValueError, match="pandas DataFrame"):
        GenerationReview([{"prompt": "p", "response": "r"}], store=str(tmp_path / "s.db"))


def test_context_accepts_json_strings_and_arrays(tmp_path):
    df = pd.DataFrame(
        {
            "prompt": ["p1", "p2", "p3"],
            "response": ["r1", "r2", "r3"],
            "ctx": [
                json.dumps([{"role": "user", "content": "hi"}]),
                np.array([{"role": "user", "content": "yo"}], dtype=object),
                float("nan"),
            ],
        }
    )
    w = GenerationReview(df, context="ctx", store=str(tmp_path / "s.db"), annotator="ana")
    sent = wire(w)
    w._handle_custom_msg({"type": "fetch", "req": "r", "start": 0, "count": 3}, [])
    assert [it["context"] for it in sent[-1]["items"]] == [
        [{"role": "user", "content": "hi"}],
        [{"role": "user", "content": "yo"}],
        None,
    ]


def test_shared_store_object_and_other_tasks(tmp_path):
    store = Store(tmp_path / "s.db")
    w = GenerationReview(gens(), id="id", store=store, annotator="ana", task="gen-v2")
    w.accept()
    assert store.events("gen-v2").loc[0, "kind"] == "generation"
    assert store.events("generation").empty
