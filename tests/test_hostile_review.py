"""Careless and hostile use of reviews and what is read from them (issue 10, and issue
11's first item): each test reproduces a case that gave wrong data or lost work."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.items import classification as cls_items

LABELS = ["auto", "theft", "water"]


def claims(n: int = 6, prefix: str = "claim") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": [f"{prefix} {i}: something happened" for i in range(n)],
            "pred": [LABELS[i % 3] for i in range(n)],
            "confidence": np.linspace(0.5, 0.9, n),
        }
    )


def wire(w: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    w.send = lambda m, buffers=None: sent.append(m)
    return sent


def browser_decision(w: Any, qi: int, action: str, **kw: Any) -> dict[str, Any]:
    """A decision as the browser of this widget's session sends it."""
    item = w._items.payload(w._queue.position(qi))
    d = {
        "id": uuid.uuid4().hex,
        "item_id": item["item_id"],
        "content_hash": item["content_hash"],
        "qi": qi,
        "action": action,
        "label": None,
        "note": None,
        "data": None,
        "duration_ms": 900,
        "created_at": "2026-12-03T09:00:00.000Z",
        "annotator": w.annotator,
        "session_id": w.session_id,
        "guideline_version": w.guideline_version,
        "task": w._task,
    }
    d.update(kw)
    w._handle_custom_msg({"type": "decide", "decisions": [d]}, [])
    return d


# -- issue 11 #1: a script never overwrites what the keyboard decided -------------------


def test_a_script_skips_what_the_browser_decided(tmp_path: Path) -> None:
    w = hw.ClassificationReview(claims(8), labels=LABELS, store=str(tmp_path / "s.db"), annotator="ana")
    wire(w)
    browser_decision(w, 0, "accept")
    browser_decision(w, 1, "correct", label="water")
    browser_decision(w, 2, "flag", note="unclear")
    while w.current is not None:
        w.accept()
    d = w.decisions().set_index("item_id")
    assert d.loc["1", "status"] == "corrected" and d.loc["1", "human_label"] == "water"
    assert d.loc["2", "status"] == "flagged"
    assert set(d.index) == {str(i) for i in range(8)}
    assert w.counts == {"accepted": 6, "corrected": 1, "flagged": 1} and w.done == 8
    assert w.remaining == 0


def test_python_undo_takes_back_this_sessions_latest_decision_from_either_side(tmp_path: Path) -> None:
    w = hw.ClassificationReview(claims(4), labels=LABELS, store=str(tmp_path / "s.db"), annotator="ana")
    sent = wire(w)
    w.accept()  # item 0, from Python
    browser_decision(w, 1, "correct", label="water")  # item 1, with the keys
    w.undo()  # the latest of the session: the browser's correction
    d = w.decisions().set_index("item_id")
    assert "1" not in d.index and d.loc["0", "status"] == "accepted"
    ext = [m for m in sent if m["type"] == "external"][-1]["decision"]
    assert ext["action"] == "undo" and ext["item_id"] == "1"  # the browser shows it undone
    assert w.current["item_id"] == "1"
    w.undo()
    assert w.decisions().empty
    with pytest.raises(IndexError, match="nothing to undo"):
        w.undo()


# -- issue 10 #2, #5: training sets keyed by task and content version --------------------


def test_to_dataset_refuses_two_tasks_with_colliding_ids(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    a = hw.ClassificationReview(claims(4), labels=LABELS, store=db, annotator="ana", task="claims")
    spam = pd.DataFrame({"text": [f"buy now {i}" for i in range(4)], "pred": "spam", "confidence": 0.6})
    b = hw.ClassificationReview(spam, labels=["spam", "ham"], store=db, annotator="ana", task="spam")
    for w in (a, b):
        while w.current is not None:
            w.accept()
    with pytest.raises(ValueError, match=r"2 classification tasks .*'claims'.*'spam'.*task="):
        hw.training.to_dataset(db, claims(4), eval_size=0.0)
    ds = hw.training.to_dataset(db, claims(4), task="claims", eval_size=0.0)
    names = ds["train"].features["label"].names
    labels = sorted(names[r["label"]] for r in ds["train"])
    assert "spam" not in labels and len(labels) == 4
    # even when asked for both, a spam vote never labels a claim: its text differs
    ds2 = hw.training.to_dataset(
        db,
        claims(4),
        task=["claims", "spam"],
        eval_size=0.0,
        labels=["auto", "theft", "water", "spam", "ham"],
    )
    names2 = ds2["train"].features["label"].names
    assert all(names2[r["label"]] != "spam" for r in ds2["train"])
    assert ds2.report["dropped"]["votes on other text than df's"] == 4


def test_to_dataset_counts_a_vote_only_for_the_text_it_was_made_on(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    old = claims(3)
    w = hw.ClassificationReview(old, labels=LABELS, store=db, annotator="ana")
    w.correct("water")  # on the old text of item 0
    w.close()
    new = old.copy()
    new.loc[0, "text"] = "claim 0: the car was stolen"
    w2 = hw.ClassificationReview(new, labels=LABELS, store=db, annotator="bob", on_changed="review")
    w2.correct("theft")  # on the new text
    ds = hw.training.to_dataset(db, new, eval_size=0.0)
    rows = {r["item_id"]: ds["train"].features["label"].names[r["label"]] for r in ds["train"]}
    assert rows == {"0": "theft"}  # the old text's "water" is not a vote for the new text


# -- issue 10 #3: undo under overlap frees the claim --------------------------------------


def test_an_undone_rating_frees_its_claim(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    df = claims(1)
    a = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="ana", overlap=1)
    a.accept()
    a.undo()
    a.close()  # nothing decided: the claim goes back to the pool
    b = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="bob", overlap=1)
    assert b.current is not None and b.current["item_id"] == "0"
    b.accept()
    assert b.store.rating_counts("classification") == {"0": 1}


def test_an_undone_rating_is_not_counted_done(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    a = hw.ClassificationReview(claims(1), labels=LABELS, store=db, annotator="ana", overlap=1)
    a.accept()
    assert a.store.rating_counts("classification") == {"0": 1}
    a.undo()
    assert a.store.rating_counts("classification") == {}


# -- issue 10 #4: agreement per task ------------------------------------------------------


def test_agreement_report_keeps_tasks_apart(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    for task, labels in (("claims", LABELS), ("other", LABELS)):
        for ann, pick in (("ana", 0), ("bob", 0 if task == "claims" else 1)):
            w = hw.ClassificationReview(claims(6), labels=labels, store=db, annotator=ann, task=task)
            while w.current is not None:
                w.correct(labels[pick])
            w.close()
    rep = hw.metrics.agreement_report(db, by="task", n_boot=0)
    assert rep.loc["claims", "n_items"] == 6 and rep.loc["other", "n_items"] == 6
    assert rep.loc["claims", "percent_agreement"] == 1.0
    assert rep.loc["other", "percent_agreement"] == 0.0
    pooled = hw.metrics.agreement_report(db, by=None, n_boot=0)
    assert pooled.loc["all", "n_items"] == 12  # twelve things rated, never paired across tasks
    assert pooled.loc["all", "percent_agreement"] == pytest.approx(0.5)


# -- issue 10 #7: a pending decision survives a changed label set -------------------------


def test_a_pending_decision_made_under_another_label_set_is_kept(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    df = claims(3)
    first = hw.ClassificationReview(df, labels=["a", "b", "c"], pred=None, store=db, annotator="ana")
    item = first._items.payload(0)
    pending = {
        "id": "kept-1",
        "item_id": item["item_id"],
        "content_hash": item["content_hash"],
        "qi": 0,
        "action": "correct",
        "label": "c",
        "note": None,
        "data": None,
        "duration_ms": 800,
        "created_at": "2026-12-03T09:00:00.000Z",
        "annotator": "ana",
        "session_id": first.session_id,
        "guideline_version": "",
        "task": "classification",
    }
    first.close()  # the kernel died before the decision was acknowledged
    second = hw.ClassificationReview(df, labels=["a", "b"], pred=None, store=db, annotator="ana")
    sent = wire(second)
    second._handle_custom_msg({"type": "hello", "pending": [pending]}, [])
    ack = next(m for m in sent if m["type"] == "ack")
    assert ack["ids"] == ["kept-1"] and ack["errors"] == {}  # stored, so the browser may drop it
    ev = second.events().iloc[-1]
    assert ev["label_after"] == "c" and ev["data"]["label_set_changed"] is True
    # a decision of this session with a label outside the set is refused as before
    bad = dict(pending, id="bad-1", session_id=second.session_id)
    second._handle_custom_msg({"type": "decide", "decisions": [bad]}, [])
    assert "not one of" in sent[-1]["errors"]["bad-1"]


# -- issue 10 #11: one id, one label, whatever their type ---------------------------------


def test_ids_one_and_one_point_zero_are_one_item(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    df = claims(3)
    w = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="ana")
    w.correct("water")
    w.close()
    as_float = df.copy()
    as_float.index = as_float.index.astype(float)  # 0.0, 1.0, 2.0 next session
    w2 = hw.ClassificationReview(as_float, labels=LABELS, store=db, annotator="ana")
    assert len(w2) == 2 and w2.current["item_id"] == "1"  # item 0 is already decided
    assert list(w2.decisions()["item_id"]) == ["0"]


def test_labels_of_mixed_type_and_missing_labels(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"labels: a missing label \(None or NaN\) at position 1"):
        hw.ClassificationReview(claims(2), labels=["a", None], pred=None, store=str(tmp_path / "x.db"))
    with pytest.raises(ValueError, match="repeated label names"):
        hw.ClassificationReview(claims(2), labels=[1, "1"], pred=None, store=str(tmp_path / "x.db"))
    df = pd.DataFrame({"text": ["a", "b"], "pred": [1.0, 2.0]})  # floats read from a CSV
    w = hw.ClassificationReview(df, labels=[1, 2], store=str(tmp_path / "s.db"), annotator="ana")
    assert w.current["model_label"] == "1"
    w.accept()
    assert w.decisions().loc[0, "human_label"] == "1"


def test_a_lone_surrogate_in_an_id_is_refused_naming_the_row(tmp_path: Path) -> None:
    df = claims(3)
    df.index = pd.Index(["ok", "bad\udcff", "fine"], dtype=object)  # (Arrow strings refuse it)
    with pytest.raises(ValueError, match=r"the index: text that is not valid Unicode .* in rows 'bad"):
        hw.ClassificationReview(df, labels=LABELS, store=str(tmp_path / "s.db"))
    assert not (tmp_path / "s.db").exists()


def test_content_hash_is_one_function_per_kind() -> None:
    """The router, the training set and the widget hash a classification item alike."""
    df = claims(2)
    items = cls_items.validate_classification(df, labels=LABELS)
    assert (
        items.hash(0) == cls_items.content_hash(df.loc[0, "text"]) == hw.items.content_hash(df.loc[0, "text"])
    )


# -- issue 11 #4, #8: a reopened view resumes; seek and export from the widget ----------


def test_a_reopened_view_starts_where_the_person_stopped(tmp_path: Path) -> None:
    w = hw.ClassificationReview(claims(6), labels=LABELS, store=str(tmp_path / "s.db"), annotator="ana")
    sent = wire(w)
    for qi in range(3):
        browser_decision(w, qi, "accept")
    w._handle_custom_msg({"type": "hello", "pending": []}, [])  # the tab is opened again
    reset = sent[-1]
    assert reset["type"] == "reset" and reset["cursor"] == 3


def test_seek_finds_the_next_undecided_entry(tmp_path: Path) -> None:
    w = hw.ClassificationReview(claims(6), labels=LABELS, store=str(tmp_path / "s.db"), annotator="ana")
    sent = wire(w)
    for qi in (1, 2, 4):
        browser_decision(w, qi, "accept")
    for start, want in ((0, 0), (1, 3), (4, 5), (6, 6)):
        w._handle_custom_msg({"type": "seek", "req": f"r{start}", "start": start}, [])
        assert sent[-1] == {"type": "seek", "req": f"r{start}", "qi": want}


def test_export_from_the_widget(tmp_path: Path) -> None:
    import io
    import json

    w = hw.ClassificationReview(claims(3), labels=LABELS, store=str(tmp_path / "s.db"), annotator="ana")
    sent = wire(w)
    w.correct("water")
    w.flag(note='a "quoted", note')
    w._handle_custom_msg({"type": "export", "req": "x", "format": "csv"}, [])
    msg = sent[-1]
    assert msg["type"] == "export" and msg["filename"] == "classification-decisions.csv" and msg["rows"] == 2
    back = pd.read_csv(io.StringIO(msg["text"]))
    assert list(back["status"]) == ["corrected", "flagged"] and back.loc[1, "note"] == 'a "quoted", note'
    w._handle_custom_msg({"type": "export", "req": "y", "format": "jsonl"}, [])
    rows = [json.loads(line) for line in sent[-1]["text"].splitlines()]
    assert [r["human_label"] for r in rows] == ["water", None] and sent[-1]["mime"] == "application/x-ndjson"


def test_the_header_counts_this_persons_share(tmp_path: Path) -> None:
    """Issue 11 #9: with several annotators the header said "0 / 58 done" while the queue
    had 17 entries; it counts this person's share (decided before + their queue)."""
    db = str(tmp_path / "s.db")
    df = claims(10)
    a = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="ana", overlap=1)
    a.store.claim("classification", "bob", [str(i) for i in range(6)], k=1, limit=6)  # bob holds 6
    while a.current is not None:
        a.accept()
    assert a.queue_length == 4 and (a.done, a.total) == (4, 4)  # was "4 / 10 done"
    a.close()
    again = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="ana")  # no overlap now
    assert (again.done, again.total) == (4, 10) and again.queue_length == 6


def test_the_columns_a_policy_read_are_shown_beside_the_text(tmp_path: Path) -> None:
    """Issue 11 #12: the chip "amount > 10000" was shown but not the amount."""
    df = claims(4).assign(amount=[500, 12_500, None, 20_000.5])
    r = hw.Router(LABELS, thresholds=0.1, policies={"large claim": "amount > 10000"}).route(df)
    assert r.policy_columns == ["amount"]
    w = hw.ClassificationReview(
        r.to_review(),
        labels=LABELS,
        reasons="reasons",
        fields=r.policy_columns,
        store=str(tmp_path / "s.db"),
        annotator="ana",
    )
    sent = wire(w)
    w._handle_custom_msg({"type": "fetch", "req": "f", "start": 0, "count": 5}, [])
    shown = {it["item_id"]: it["fields"] for it in sent[-1]["items"]}
    assert shown == {
        "1": [["amount", "12,500.00"]],
        "2": [["amount", "missing"]],
        "3": [["amount", "20,000.50"]],
    }
    with pytest.raises(ValueError, match="fields='nope': no such column"):
        hw.ClassificationReview(df, labels=LABELS, fields=["nope"], store=str(tmp_path / "x.db"))


def test_idle_time_the_browser_left_out_is_kept_for_every_kind(tmp_path: Path) -> None:
    """Issue 11 #3: duration_ms counts active time; the idle time left out is stored."""
    gens = pd.DataFrame({"prompt": ["q?"], "response": ["a."]})
    g = hw.GenerationReview(gens, store=str(tmp_path / "g.db"), annotator="ana")
    wire(g)
    item = g._items.payload(0)
    g._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                {
                    "id": "d1",
                    "item_id": item["item_id"],
                    "content_hash": item["content_hash"],
                    "action": "accept",
                    "duration_ms": 4000,
                    "data": {"idle_ms": 180000},
                    "session_id": g.session_id,
                }
            ],
        },
        [],
    )
    ev = g.events().iloc[0]
    assert ev["duration_ms"] == 4000 and ev["data"]["idle_ms"] == 180000 and ev["data"]["response"] == "a."
