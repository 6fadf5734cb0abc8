"""to_dataset: labels and where they came from, the stratified split, the leakage guard."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

from hitl_widgets.items import content_hash
from hitl_widgets.routing import Router
from hitl_widgets.store import Store
from hitl_widgets.training import random_draw, to_dataset

LABELS = ["auto", "theft", "water"]


def decision(item_id, text, action, label, model, task="claims", data=None, duration_ms=4000.0):
    return {
        "event_id": uuid.uuid4().hex,
        "task": task,
        "kind": "classification",
        "item_id": str(item_id),
        "content_hash": content_hash(text),
        "action": action,
        "label_after": label,
        "model_label": model,
        "model_confidence": 0.5,
        "annotator": "ann",
        "duration_ms": duration_ms,
        "data": data,
    }


@pytest.fixture()
def claims() -> pd.DataFrame:
    rows = []
    for i in range(30):
        lab = LABELS[i % 3]
        rows.append({"claim_id": f"c{i}", "text": f"claim number {i} about {lab}", "label": lab})
    return pd.DataFrame(rows)


def test_labels_sources_and_leakage_guard(tmp_path, claims):
    store = Store(tmp_path / "s.db")
    t = dict(zip(claims["claim_id"], claims["text"], strict=True))
    ev = []
    # c0..c5 corrected by a person, c6..c11 accepted
    for i in range(6):
        ev.append(
            decision(
                f"c{i}",
                t[f"c{i}"],
                "correct",
                claims.label[i],
                "water" if claims.label[i] != "water" else "auto",
            )
        )
    for i in range(6, 12):
        ev.append(decision(f"c{i}", t[f"c{i}"], "accept", claims.label[i], claims.label[i]))
    # c12 flagged: no label
    ev.append(decision("c12", t["c12"], "flag", None, "auto"))
    # a random calibration draw reviewed in its own task: c20..c25
    for i in range(20, 26):
        ev.append(
            decision(f"c{i}", t[f"c{i}"], "accept", claims.label[i], claims.label[i], task="claims-sample")
        )
    # an item marked as a random sample through its event data: c26
    ev.append(decision("c26", t["c26"], "correct", claims.label[26], "auto", data={"sample": True}))
    store.append(ev)
    # planted duplicate: c13 has the text of calibration item c20 (and a human label)
    claims.loc[13, "text"] = claims.loc[20, "text"]
    store.append([decision("c13", claims.loc[13, "text"], "accept", claims.label[20], claims.label[20])])
    # c14..c19 auto-accepted by the router (confident), c27 routed to review (not decided)
    pool = claims.iloc[[14, 15, 16, 17, 18, 19, 27]].copy()
    pool["pred"] = pool["label"]
    pool["confidence"] = [0.99] * 6 + [0.2]
    Router(LABELS, thresholds=0.9).route(pool, id="claim_id", store=store, task="claims")
    # a duplicate text inside the training candidates: c28 repeats c6 (accepted), as auto
    claims.loc[28, "text"] = claims.loc[6, "text"]

    data = to_dataset(
        store,
        claims,
        task="claims",
        sample_task="claims-sample",
        id="claim_id",
        labels=LABELS,
        weights={"human-corrected": 2.0, "auto-accepted": 0.5},
    )
    train, ev_ = data["train"].to_pandas(), data["eval"].to_pandas()
    rep = data.report

    # the label is a ClassLabel with the given names
    assert data["train"].features["label"].names == LABELS
    names = data["train"].features["label"].int2str
    by_id = {r.item_id: r for r in train.itertuples()}
    # sources
    assert {by_id[f"c{i}"].source for i in range(6)} == {"human-corrected"}
    assert {by_id[f"c{i}"].source for i in range(6, 12)} == {"human-accepted"}
    assert {by_id[f"c{i}"].source for i in range(14, 20)} == {"auto-accepted"}
    assert all(names(int(by_id[f"c{i}"].label)) == claims.label[i] for i in range(12))
    assert by_id["c0"].weight == pytest.approx(2.0) and by_id["c6"].weight == pytest.approx(1.0)
    assert by_id["c14"].weight == pytest.approx(0.5)
    # the random sample (sample task + data marker) is held out: eval, never train
    assert set(ev_["item_id"]) == {f"c{i}" for i in range(20, 27)}
    assert ev_["sample"].all() and rep["eval_random_sample"] == 7 and rep["eval_split"] == 0
    assert not set(train["item_id"]) & set(ev_["item_id"])
    # leakage guard: the planted duplicate of a calibration item is kept out of training
    assert "c13" not in set(train["item_id"])
    assert rep["dropped"]["same text as a held-out item (leakage)"] == 1
    # the same text never twice: c28 (auto? no: undecided) - c12 flagged dropped, c27 routed to review
    assert "c12" not in set(train["item_id"]) and rep["dropped"]["flagged by a person"] == 1
    assert "c27" not in set(train["item_id"])  # routed to a person, never decided: no label
    keys = [" ".join(s.split()).casefold() for s in list(train["text"]) + list(ev_["text"])]
    assert len(keys) == len(set(keys))
    assert rep["train"] == len(train) == 18 and rep["train_by_source"] == {
        "human-corrected": 6,
        "human-accepted": 6,
        "auto-accepted": 6,
    }
    assert "dropped" in str(rep)


def test_duplicates_in_train_keep_the_human_label(tmp_path, claims):
    store = Store(tmp_path / "s.db")
    # c1 (accepted) and c2 (auto-accepted) carry the same text: one row, the human one
    claims.loc[2, "text"] = claims.loc[1, "text"]
    store.append([decision("c1", claims.text[1], "accept", "theft", "theft")])
    pool = claims.iloc[[2]].assign(pred="theft", confidence=0.99)
    Router(LABELS, thresholds=0.5).route(pool, id="claim_id", store=store, task="claims")
    data = to_dataset(store, claims, task="claims", id="claim_id", labels=LABELS, eval_size=0.0)
    train = data["train"].to_pandas()
    assert list(train["item_id"]) == ["c1"] and list(train["source"]) == ["human-accepted"]
    assert data.report["dropped"]["same text twice in train"] == 1
    # only human labels when asked
    data = to_dataset(
        store,
        claims,
        task="claims",
        id="claim_id",
        labels=LABELS,
        sources=("human-corrected", "human-accepted"),
        eval_size=0.0,
    )
    assert data.report["train_by_source"]["auto-accepted"] == 0


def test_stratified_split_and_holdout_ids(tmp_path):
    # 24 of one label, 12 of another, 6 of a third: a 25% split keeps the proportions
    labs = ["auto"] * 24 + ["theft"] * 12 + ["water"] * 6
    df = pd.DataFrame(
        {
            "claim_id": [f"x{i}" for i in range(len(labs))],
            "text": [f"text {i} {lab}" for i, lab in enumerate(labs)],
            "label": labs,
        }
    )
    store = Store(tmp_path / "s.db")
    store.append([decision(r.claim_id, r.text, "accept", r.label, r.label) for r in df.itertuples()])
    data = to_dataset(
        store, df, task="claims", id="claim_id", labels=LABELS, eval_size=0.25, seed=3, holdout=["x0", "x1"]
    )
    ev = data["eval"].to_pandas()
    names = data["eval"].features["label"].int2str
    counts = pd.Series([names(int(v)) for v in ev["label"]]).value_counts().to_dict()
    # x0, x1 (held out, label auto) + 25% of each label of the rest: auto 22 -> 6 (5.5), theft 3, water 2 (1.5)
    assert counts["theft"] == 3 and counts["water"] in (1, 2) and counts["auto"] in (7, 8)
    assert {"x0", "x1"} <= set(ev["item_id"])
    assert not set(ev["item_id"]) & set(data["train"]["item_id"])
    assert data.report["eval_split"] == len(ev) - 2
    # the same seed gives the same split; another seed another one
    again = to_dataset(
        store, df, task="claims", id="claim_id", labels=LABELS, eval_size=0.25, seed=3, holdout=["x0", "x1"]
    )
    assert list(again["eval"]["item_id"]) == list(ev["item_id"])


def test_changed_text_and_missing_text_are_dropped(tmp_path, claims):
    store = Store(tmp_path / "s.db")
    store.append(
        [
            decision("c1", "the text people saw", "accept", "theft", "theft"),
            decision("c2", claims.text[2], "accept", "water", "water"),
            decision("zz", "not in the frame", "accept", "auto", "auto"),
        ]
    )
    data = to_dataset(store, claims, task="claims", id="claim_id", labels=LABELS, eval_size=0.0)
    assert list(data["train"]["item_id"]) == ["c2"]
    assert data.report["dropped"]["decided on other text than df's"] == 1
    assert data.report["dropped"]["no text (not in df)"] == 1


def test_random_draw(claims):
    a = random_draw(claims, 10, seed=1, id="claim_id", exclude=["c0", "c1"])
    assert len(a) == 10 and not {"c0", "c1"} & set(a["claim_id"])
    assert a.equals(random_draw(claims, 10, seed=1, id="claim_id", exclude=["c0", "c1"]))
    with pytest.raises(ValueError):
        random_draw(claims, 31)
