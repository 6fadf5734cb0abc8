"""Bad input gets a ValueError naming the argument or column and the first rows, and
writes nothing to the store (the file is not even created)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import hitl_widgets as hw

LABELS = ["auto", "theft", "water"]


def frame(n: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "text": [f"claim number {i}" for i in range(n)],
            "pred": [LABELS[i % 3] for i in range(n)],
            "confidence": rng.uniform(0.3, 1.0, n),
        }
    )


def open_review(df, tmp_path, **kw):
    kw.setdefault("labels", LABELS)
    kw.setdefault("store", str(tmp_path / "s.db"))
    kw.setdefault("annotator", "ann")
    return hw.ClassificationReview(df, **kw)


def bad(df, tmp_path, match, **kw):
    with pytest.raises(ValueError, match=match):
        open_review(df, tmp_path, **kw)
    # nothing written: the store file was never created
    assert not os.path.exists(tmp_path / "s.db")


def test_good_input_opens(tmp_path):
    w = open_review(frame(), tmp_path, id="id")
    assert w.total == 6 and len(w) == 6
    assert w.current["item_id"] == "c0"


def test_missing_text_column(tmp_path):
    bad(frame(), tmp_path, r"text='body': no such column", text="body")


def test_missing_pred_column(tmp_path):
    # the default names an optional column: a frame without it is reviewed without a
    # model label (issue 11: the README says the model's label is optional) ...
    w = hw.ClassificationReview(frame().drop(columns="pred"), labels=LABELS, store=str(tmp_path / "ok.db"))
    assert w.current["model_label"] is None
    w.correct(LABELS[0])
    assert w.decisions().loc[0, "human_label"] == LABELS[0]
    # ... while a column named explicitly must exist
    bad(frame().drop(columns="pred"), tmp_path, r"pred='model': no such column", pred="model")


def test_explicit_confidence_column_missing(tmp_path):
    bad(frame(), tmp_path, r"confidence='score': no such column", confidence="score")


def test_duplicate_ids(tmp_path):
    df = frame()
    df.loc[3, "id"] = "c1"
    bad(df, tmp_path, r"id='id': duplicate ids in rows 1, 3", id="id")


def test_duplicate_index(tmp_path):
    df = frame().set_index(pd.Index([0, 1, 2, 2, 4, 5]))
    bad(df, tmp_path, r"the index: duplicate ids in rows 2, 2")


def test_missing_ids(tmp_path):
    df = frame()
    df["id"] = df["id"].astype(object)
    df.loc[4, "id"] = None
    bad(df, tmp_path, r"id='id': missing ids in rows 4", id="id")


def test_empty_text(tmp_path):
    df = frame()
    df.loc[2, "text"] = "   "
    bad(df, tmp_path, r"text='text': empty text in rows 2")


def test_non_string_text(tmp_path):
    df = frame()
    df["text"] = df["text"].astype(object)
    df.loc[1, "text"] = 42
    df.loc[5, "text"] = None
    bad(df, tmp_path, r"text='text': values that are not text .* rows 1, 5")


def test_pred_not_in_labels(tmp_path):
    df = frame()
    df.loc[4, "pred"] = "fire"
    bad(df, tmp_path, r"pred='pred': predicted labels not in labels \(\['fire'\]\) in rows 4")


@pytest.mark.parametrize("value", [1.5, -0.1, np.nan])
def test_confidence_out_of_range(tmp_path, value):
    df = frame()
    df.loc[3, "confidence"] = value
    bad(df, tmp_path, r"confidence='confidence': values missing \(NaN\) or outside \[0, 1\] in rows 3")


def test_proba_rows_not_summing_to_one(tmp_path):
    df = frame().drop(columns="confidence")
    p = np.full((6, 3), 1 / 3)
    p[2] = [0.5, 0.5, 0.5]
    bad(df, tmp_path, r"proba: rows do not sum to 1 .* rows 2; e.g. row 2 sums to 1.5", proba=p)


def test_proba_wrong_shape(tmp_path):
    bad(frame(), tmp_path, r"proba: expected shape \(6, 3\)", proba=np.ones((6, 2)) / 2)


def test_proba_columns(tmp_path):
    df = frame().drop(columns=["confidence", "pred"])
    df["p_auto"], df["p_theft"], df["p_water"] = 0.7, 0.2, 0.1
    w = open_review(df, tmp_path, proba=["p_auto", "p_theft", "p_water"], pred=None)
    cur = w.current
    assert cur["model_label"] == "auto" and cur["confidence"] == pytest.approx(0.7)
    assert cur["proba"] == pytest.approx({"auto": 0.7, "theft": 0.2, "water": 0.1})


def test_proba_within_tolerance_is_accepted(tmp_path):
    p = np.full((6, 3), 1 / 3) + 1e-5
    w = open_review(frame().drop(columns="confidence"), tmp_path, proba=p)
    assert w.total == 6


def test_empty_frame(tmp_path):
    bad(frame().iloc[:0], tmp_path, r"df is empty")


def test_not_a_frame(tmp_path):
    bad([1, 2], tmp_path, r"df must be a pandas DataFrame")


def test_empty_labels(tmp_path):
    bad(frame(), tmp_path, r"labels must be a non-empty list", labels=[])


def test_repeated_labels(tmp_path):
    bad(frame(), tmp_path, r"labels: repeated label names \['auto'\]", labels=["auto", "auto", "x"])


def test_store_in_missing_folder(tmp_path):
    with pytest.raises(ValueError, match=r"store=.*folder .* does not exist"):
        open_review(frame(), tmp_path, store=str(tmp_path / "nope" / "s.db"))
    assert not (tmp_path / "nope").exists()


def test_store_is_a_directory(tmp_path):
    with pytest.raises(ValueError, match=r"store=.* is a directory"):
        open_review(frame(), tmp_path, store=str(tmp_path))


def test_store_on_read_only_file_system_as_root(tmp_path):
    # As root, permissions do not stop a write; /proc is a place nothing can be created.
    with pytest.raises(ValueError, match=r"store="):
        open_review(frame(), tmp_path, store="/proc/hitl-test.db")


def test_first_offending_rows_are_capped(tmp_path):
    df = frame(20)
    df["confidence"] = 2.0
    with pytest.raises(ValueError, match=r"rows 0, 1, 2, 3, 4 and 15 more"):
        open_review(df, tmp_path)


def test_int_labels_and_int_ids(tmp_path):
    df = pd.DataFrame({"text": ["a", "b"], "pred": [0, 1], "confidence": [0.5, 0.6]}, index=[10, 20])
    w = open_review(df, tmp_path, labels=[0, 1])
    assert w.labels == ["0", "1"]
    w.correct(1)
    d = w.decisions()
    assert d.loc[0, "item_id"] == "10" and d.loc[0, "human_label"] == "1"
