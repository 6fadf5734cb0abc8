"""Metrics straight from a store: ratings per guideline version, gold accuracy (first
answers), fatigue (pace trend and gold drift), the agreement report with bootstrap CIs."""

from __future__ import annotations

import math
import uuid
import warnings

import numpy as np
import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.metrics import (
    agreement_report,
    fatigue,
    fleiss_kappa,
    gold_accuracy,
    krippendorff_alpha,
    model_agreement,
    percent_agreement,
    ratings,
)
from hitl_widgets.metrics.from_store import RATING_COLUMNS

LABELS = ["auto", "theft", "water"]
GUIDE_V1 = "# Claims\n\n## auto\nVehicle damage.\n\n## theft\nSomething taken.\n"
GUIDE_V2 = GUIDE_V1 + "\nA car break-in where something was taken is **theft**.\n"


def frame(ids: list[str], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = [LABELS[int(i[1:]) % 3] for i in ids]
    df = pd.DataFrame(
        {
            "text": [f"claim {i}" for i in ids],
            "pred": rng.choice(LABELS, len(ids)),
            "confidence": 0.7,
            "truth": truth,
        },
        index=ids,
    )
    df["gold"] = None
    return df


def answer(who: str, truth: str, version: str, k: int) -> str:
    """ann is always right; bob says auto for theft under v1; cy errs on every 4th."""
    if who == "bob" and truth == "theft" and version == "v1":
        return "auto"
    if who == "cy" and k % 4 == 3:
        return LABELS[(LABELS.index(truth) + 1) % 3]
    return truth


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """Three annotators, overlap 3: items i0-i11 under guideline v1, i12-i23 under v2."""
    db = str(tmp_path_factory.mktemp("team") / "team.db")
    a_ids = [f"i{i}" for i in range(12)]
    b_ids = [f"i{i}" for i in range(12, 24)]
    frames = {"v1": frame(a_ids), "v2": frame(b_ids, seed=1)}
    for version, guide in (("v1", GUIDE_V1), ("v2", GUIDE_V2)):
        df = frames[version]
        for who in ("ann", "bob", "cy"):
            w = hw.ClassificationReview(
                df, labels=LABELS, store=db, annotator=who, overlap=3, guideline=guide, task="pilot"
            )
            assert w.guideline_version == version
            k = 0
            while w.current is not None:
                item = w.current["item_id"]
                w.correct(answer(who, df.loc[item, "truth"], version, k))
                k += 1
            w.close()
    return db, frames


def test_ratings_columns_and_versions(team):
    db, frames = team
    r = ratings(db, task="pilot")
    assert list(r.columns) == RATING_COLUMNS
    assert len(r) == 24 * 3
    assert set(r.groupby("item")["annotator"].nunique()) == {3}
    assert sorted(r["guideline_version"].unique()) == ["v1", "v2"]
    assert set(r.loc[r["guideline_version"] == "v1", "item"]) == set(frames["v1"].index)
    v2 = ratings(db, task="pilot", guideline_version="v2")
    assert len(v2) == 36 and set(v2["item"]) == set(frames["v2"].index)
    # the model's label comes along, from the kernel's copy
    both = pd.concat(frames.values())
    assert (r["model_label"].to_numpy() == both.loc[r["item"], "pred"].to_numpy()).all()
    assert r["gold"].isna().all()
    assert r["decided_at"].is_monotonic_increasing
    assert ratings(db, task="other").empty


def test_ratings_fold_undo_skip_flag_and_keep_both_versions(tmp_path):
    db = str(tmp_path / "s.db")
    df = frame([f"i{i}" for i in range(4)])
    w = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="ann", guideline=GUIDE_V1)
    w.correct("auto")  # i0: auto, then undone and corrected to water
    w.undo()
    w.correct("water")
    w.skip()  # i1: skipped: no rating
    w.flag("unclear")  # i2: flagged without a label: no rating
    w.correct("theft")  # i3
    r = ratings(db)
    assert dict(zip(r["item"], r["label"], strict=True)) == {"i0": "water", "i3": "theft"}
    # re-rating i0 under v2 keeps the v1 rating too (one per version)
    w2 = hw.ClassificationReview(
        df.loc[["i0"]], labels=LABELS, store=db, annotator="ann", guideline=GUIDE_V2, revisit=True
    )
    w2.correct("theft")
    r = ratings(db)
    i0 = r[r["item"] == "i0"].set_index("guideline_version")["label"].to_dict()
    assert i0 == {"v1": "water", "v2": "theft"}
    # pooled over versions, agreement metrics take the latest rating per (item, annotator)
    rep = agreement_report(db, by=None, n_boot=2)
    assert rep.loc["all", "n_ratings"] == 2


def test_gold_accuracy_counts_first_answers(tmp_path):
    db = str(tmp_path / "s.db")
    ids = [f"i{i}" for i in range(20)]
    df = frame(ids)
    gold_ids = ["i0", "i4", "i8", "i12"]
    df.loc[gold_ids, "gold"] = df.loc[gold_ids, "truth"]
    expect = {}
    for who, wrong_on in (("ann", set()), ("bob", {"i4", "i8"})):
        w = hw.ClassificationReview(
            df, labels=LABELS, store=db, annotator=who, gold="gold", gold_rate=0.2, guideline=GUIDE_V1
        )
        n_gold = n_right = 0
        while w.current is not None:
            item = w.current["item_id"]
            truth = df.loc[item, "truth"]
            if item in wrong_on:
                w.correct(LABELS[(LABELS.index(truth) + 1) % 3])
                assert w.last_feedback["correct"] is False
                w.undo()  # after the feedback: fixed, but the first answer counts
                w.correct(truth)
            else:
                w.correct(truth)
            if df.loc[item, "gold"] is not None:
                n_gold += 1
                n_right += item not in wrong_on
        expect[who] = (n_gold, n_right)
    g = gold_accuracy(db)
    assert list(g.index) == ["bob", "ann"]  # least accurate first
    for who, (n, k) in expect.items():
        assert g.loc[who, "n_gold"] == n and g.loc[who, "n_correct"] == k
        assert g.loc[who, "accuracy"] == pytest.approx(k / n)
        assert g.loc[who, "low"] <= k / n <= g.loc[who, "high"]
    assert g.loc["ann", "accuracy"] == 1.0 and g.loc["bob", "accuracy"] < 1.0
    # from a ratings frame: the latest answers (bob's fixed ones are right)
    g2 = gold_accuracy(ratings(db))
    assert g2.loc["bob", "accuracy"] == 1.0


def _browser_decide(w, item: str, label: str, duration_ms: float) -> None:
    """A decision as the browser sends it (with the time on screen)."""
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                {
                    "id": uuid.uuid4().hex,
                    "item_id": item,
                    "action": "correct",
                    "label": label,
                    "duration_ms": duration_ms,
                    "annotator": w.annotator,
                    "session_id": w.session_id,
                }
            ],
        },
        [],
    )


def test_fatigue_pace_trend_and_gold_drift(tmp_path):
    db = str(tmp_path / "s.db")
    ids = [f"i{i}" for i in range(60)]
    df = frame(ids)
    gold_ids = ids[::3]  # 20 gold items
    df.loc[gold_ids, "gold"] = df.loc[gold_ids, "truth"]
    tired = hw.ClassificationReview(
        df, labels=LABELS, store=db, annotator="tired", gold="gold", gold_rate=0.3
    )
    fresh = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="fresh")
    rng = np.random.default_rng(0)
    for k, item in enumerate(ids):
        truth = df.loc[item, "truth"]
        late = k >= 30
        # tired: slower and slower, and wrong on gold in the second half
        label = LABELS[(LABELS.index(truth) + 1) % 3] if (late and item in gold_ids) else truth
        _browser_decide(tired, item, label, 2000 + 100 * k + rng.uniform(0, 50))
        _browser_decide(fresh, item, truth, 2000 + rng.uniform(-100, 100))
    f = fatigue(db, window=20).set_index("annotator")
    t, ok = f.loc["tired"], f.loc["fresh"]
    assert t["n_items"] == 60 and t["n_timed"] == 60
    assert t["time_ratio"] > 1.5 and t["spearman_rho"] > 0.9 and t["spearman_p"] < 1e-6
    assert bool(t["slowing"]) and bool(t["gold_drop"]) and bool(t["signal"])
    assert t["n_gold"] == 20 and t["gold_acc_first"] == 1.0 and t["gold_acc_second"] == 0.0
    assert t["gold_drift"] == -1.0 and t["gold_p"] < 0.01
    assert not ok["slowing"] and not ok["signal"] and abs(ok["time_ratio"] - 1) < 0.2
    assert ok["n_gold"] == 0 and math.isnan(ok["gold_p"])
    only = fatigue(db, annotator="fresh")
    assert list(only["annotator"]) == ["fresh"]
    # Python-made decisions carry no time: no trend, no signal
    w = hw.ClassificationReview(df, labels=LABELS, store=db, annotator="py", task="other")
    for _ in range(5):
        w.accept()
    p = fatigue(db, task="other").iloc[0]
    assert p["n_timed"] == 0 and not p["signal"] and math.isnan(p["spearman_rho"])
    with pytest.raises(ValueError, match="window"):
        fatigue(db, window=1)


def test_agreement_report_by_version_matches_the_metrics(team):
    db, _frames = team
    rep = agreement_report(db, task="pilot", n_boot=40, seed=1)
    assert list(rep.index) == ["v1", "v2"]
    r = ratings(db, task="pilot")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for v in ("v1", "v2"):
            sub = r[r["guideline_version"] == v]
            data = sub[["item", "annotator", "label"]]
            model = sub.drop_duplicates("item").set_index("item")["model_label"]
            row = rep.loc[v]
            assert row["n_items"] == 12 and row["n_ratings"] == 36 and row["n_annotators"] == 3
            assert row["percent_agreement"] == pytest.approx(float(percent_agreement(data)))
            assert row["fleiss_kappa"] == pytest.approx(float(fleiss_kappa(data)))
            assert row["krippendorff_alpha"] == pytest.approx(krippendorff_alpha(data, level="nominal"))
            ma = model_agreement(data, model)
            assert row["model_agreement"] == pytest.approx(ma.agreement)
            assert row["model_kappa"] == pytest.approx(ma.kappa, nan_ok=True)
            for m in ("percent_agreement", "fleiss_kappa", "krippendorff_alpha", "model_agreement"):
                assert row[f"{m}_low"] <= row[m] + 1e-9 and row[m] <= row[f"{m}_high"] + 1e-9
    # bob's theft/auto confusion is gone under v2: agreement rises
    for m in ("percent_agreement", "fleiss_kappa", "krippendorff_alpha"):
        assert rep.loc["v2", m] > rep.loc["v1", m]
    # a ratings frame works too, and other splits
    by_ann = agreement_report(r, by="annotator", n_boot=2)
    assert list(by_ann.index) == ["ann", "bob", "cy"] and (by_ann["n_items"] == 0).all()
    with pytest.raises(ValueError, match="by='nope'"):
        agreement_report(r, by="nope")
