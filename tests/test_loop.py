"""LoopTracker's numbers from a hand-built store; the unbiased sample; the simulated reviewer."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from hitl_widgets.items import content_hash
from hitl_widgets.routing import Router
from hitl_widgets.store import Store
from hitl_widgets.training import LoopTracker, SimulatedReviewer, project_coverage, unbiased_reviews

LABELS = ["a", "b"]


def decision(item_id, text, action, label, task, duration_ms, data=None, model=None):
    return {
        "event_id": uuid.uuid4().hex,
        "task": task,
        "kind": "classification",
        "item_id": item_id,
        "content_hash": content_hash(text),
        "action": action,
        "label_after": label,
        "model_label": model,
        "annotator": "ann",
        "duration_ms": duration_ms,
        "data": data,
    }


def frame(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": [f"i{k}" for k in range(n)],
            "text": [f"item text {k}" for k in range(n)],
            "gold": rng.choice(LABELS, n),
        }
    )


def fake_proba(gold: pd.Series, conf: np.ndarray, wrong: np.ndarray) -> np.ndarray:
    """Probabilities whose argmax is gold (or the other label where `wrong`) at `conf`."""
    top = np.where(wrong, np.where(gold == "a", 1, 0), np.where(gold == "a", 0, 1))
    p = np.empty((len(gold), 2))
    p[np.arange(len(gold)), top] = conf
    p[np.arange(len(gold)), 1 - top] = 1 - conf
    return p


@pytest.fixture()
def setup(tmp_path):
    df = frame()
    store = Store(tmp_path / "loop.db")
    ev = []
    # 150 random-sample reviews in their own task, 2 s each; one of them flagged
    for r in df.iloc[:150].itertuples():
        ev.append(
            decision(
                r.id,
                r.text,
                "flag" if r.id == "i0" else "correct",
                None if r.id == "i0" else r.gold,
                "claims-sample",
                2000.0,
            )
        )
    # 40 reviews of routed (uncertain) items in the main task, 5 s each
    for r in df.iloc[150:190].itertuples():
        ev.append(decision(r.id, r.text, "correct", r.gold, "claims", 5000.0))
    # one item marked as a random sample through its event data, 1 s
    r = df.iloc[190]
    ev.append(decision(r.id, r.text, "correct", r.gold, "claims", 1000.0, data={"sample": True}))
    store.append(ev)
    return df, store


def test_unbiased_sample_is_only_random_reviews(setup):
    _, store = setup
    u = unbiased_reviews(store, ["claims"], ["claims-sample"])
    assert len(u) == 151  # 150 in the sample task + 1 with the sample marker; not the 40 routed ones
    assert set(u["why"]) == {"sample task", "sample marker"}
    assert u.loc[u["item_id"] == "i0", "human_label"].isna().all()  # flagged: no label
    assert not set(u["item_id"]) & {f"i{k}" for k in range(150, 190)}


def test_tracker_numbers_from_a_hand_built_store(setup):
    df, store = setup
    tr = LoopTracker(
        store, task="claims", sample_task="claims-sample", df=df, id="id", labels=LABELS, alpha=0.1, delta=0.1
    )
    sample = tr.unbiased()
    gold = df.set_index("id").loc[sample["item_id"], "gold"].reset_index(drop=True)
    # the model errs only below confidence 0.7 (every third item there)
    conf_s = np.linspace(0.5, 1.0, len(sample))
    wrong_s = (conf_s < 0.7) & (np.arange(len(sample)) % 3 == 0)
    sample_proba = fake_proba(gold, conf_s, wrong_s)
    pool = tr.unlabelled()
    assert len(pool) == 400 - 191
    conf_p = np.linspace(0.5, 1.0, len(pool))
    proba = fake_proba(pool["gold"].reset_index(drop=True), conf_p, np.zeros(len(pool), bool))

    rr = tr.reroute(pool=pool, proba=proba, sample_proba=sample_proba)
    row = tr.record(rr, compute_seconds=1.5, note="round 1")
    assert row["round"] == 1
    assert row["labelled"] == 150 - 1 + 40 + 1  # human labels: flagged i0 has none
    assert row["unbiased"] == 151
    # accuracy on the sample's human labels (the flagged item has none)
    labelled = sample["human_label"].notna().to_numpy()
    pred = np.asarray(LABELS)[sample_proba.argmax(1)]
    assert row["accuracy"] == pytest.approx(float(np.mean(pred[labelled] == sample["human_label"][labelled])))
    # a threshold exists and the share routed is what it sends to people
    assert row["threshold"] is not None and 0.5 < row["threshold"] < 1.0
    assert row["routed_share"] == pytest.approx(float(np.mean(conf_p < row["threshold"])))
    assert 0.0 < row["routed_share"] < 1.0
    assert row["people_s"] == pytest.approx(150 * 2.0 + 40 * 5.0 + 1.0)
    assert row["people_round_s"] == pytest.approx(row["people_s"])
    assert row["compute_s"] == 1.5 and row["needed"] is None
    assert "151 items reviewed as a random sample" in row["advice"]
    # the cost of the guarantee: 151 random-sample reviews, 40 others (training), 191 in all
    assert (row["reviews_calibration"], row["reviews_training"], row["reviews_total"]) == (151, 40, 191)
    assert row["reviews_calibration_only"] == 151
    assert row["certified_share"] == pytest.approx(1 - row["routed_share"])
    # the routing was written to the store: the pool's latest route events
    from hitl_widgets.routing import routed

    r = routed(store, "claims")
    assert len(r) == len(pool) and r["auto"].mean() == pytest.approx(1 - row["routed_share"])

    # round 2: 10 more routed reviews of 3 s each; same model
    more = [decision(x.id, x.text, "correct", x.gold, "claims", 3000.0) for x in pool.iloc[:10].itertuples()]
    store.append(more)
    rr2 = tr.reroute(pool=pool.iloc[10:], proba=proba[10:], sample_proba=sample_proba)
    row2 = tr.record(rr2)
    assert row2["round"] == 2 and row2["labelled"] == row["labelled"] + 10
    assert row2["people_round_s"] == pytest.approx(30.0)
    assert (row2["reviews_training"], row2["reviews_total"]) == (50, 201)
    t = tr.table()
    assert list(t["round"]) == [1, 2] and list(t["unbiased"]) == [151, 151]
    fig = tr.plot(widget=False)
    assert len(fig.data) == 4 and list(fig.data[0].x) == [1, 2]


def test_few_random_reviews_accept_nothing_and_the_tracker_says_how_many_more(tmp_path):
    df = frame(300)
    store = Store(tmp_path / "few.db")
    store.append([decision(r.id, r.text, "accept", r.gold, "s", 2000.0) for r in df.iloc[:20].itertuples()])
    tr = LoopTracker(
        store, task="claims", sample_task="s", df=df, id="id", labels=LABELS, alpha=0.1, delta=0.1
    )
    s = tr.unbiased()
    gold = df.set_index("id").loc[s["item_id"], "gold"].reset_index(drop=True)
    conf = np.linspace(0.8, 1.0, len(s))
    pool = tr.unlabelled()
    rr = tr.reroute(
        pool=pool,
        proba=fake_proba(
            pool["gold"].reset_index(drop=True), np.linspace(0.8, 1.0, len(pool)), np.zeros(len(pool), bool)
        ),
        sample_proba=fake_proba(gold, conf, np.zeros(len(s), bool)),
    )
    row = tr.record(rr)
    assert row["threshold"] is None and row["routed_share"] == 1.0  # nothing can be certified
    assert row["needed"] is not None and row["needed"] > 20
    assert "no threshold can be certified" in row["advice"] and "Projected" in row["advice"]
    # with error-free reviews, more of them raise what the guarantee can accept
    assert project_coverage(conf, np.zeros(20, int), conf, 0.1, 0.1, 20) == 0.0
    assert project_coverage(conf, np.zeros(20, int), conf, 0.1, 0.1, 200) == pytest.approx(1.0)


def test_audits_count_as_random_reviews(tmp_path):
    df = frame(50)
    df["pred"], df["confidence"] = df["gold"], 0.99
    store = Store(tmp_path / "audit.db")
    res = Router(LABELS, thresholds=0.5, audit_rate=0.3, seed=1).route(
        df, id="id", store=store, task="claims"
    )
    audited = res.frame.loc[res.frame["audit"], "id"].tolist()
    assert audited
    store.append(
        [
            decision(i, df.set_index("id").text[i], "accept", df.set_index("id").gold[i], "claims", 1000.0)
            for i in audited
        ]
    )
    u = unbiased_reviews(store, ["claims"], [])
    assert sorted(u["item_id"]) == sorted(audited) and set(u["why"]) == {"audit"}
    assert len(unbiased_reviews(store, ["claims"], [], audits=False)) == 0


def test_simulated_reviewer_decides_through_the_widget(tmp_path):
    from hitl_widgets.widgets import ClassificationReview

    df = frame(12)
    df["pred"] = ["a"] * 12
    df["confidence"] = 0.6
    truth = dict(zip(df["id"], df["gold"], strict=True))
    review = ClassificationReview(df, labels=LABELS, id="id", store=str(tmp_path / "w.db"), task="claims")
    counts = SimulatedReviewer(truth, LABELS, seed=0).review(review, 8)
    d = review.decisions().set_index("item_id")
    assert len(d) == 8 and counts["accepted"] + counts["corrected"] == 8
    # the time the simulated person drew for each decision reaches the store through the
    # widget's actions (the same seed draws the same times again, in decision order)
    replay = SimulatedReviewer(truth, LABELS, seed=0)
    drawn = [replay.duration_ms() for _ in range(8)]
    in_order = review.decisions().sort_values("decided_at", kind="stable")["duration_ms"]
    assert in_order.to_numpy(dtype=float) == pytest.approx(drawn, abs=1.0)
    for item_id, row in d.iterrows():
        assert row["human_label"] == truth[item_id]
        assert row["status"] == ("accepted" if truth[item_id] == "a" else "corrected")
    # a reviewer who errs: about the asked share of wrong labels
    sim = SimulatedReviewer({f"k{i}": "a" for i in range(2000)}, LABELS, error_rate=0.1, seed=1)
    wrong = np.mean([sim.label_for(f"k{i}") != "a" for i in range(2000)])
    assert 0.08 < wrong < 0.12
    ev = sim.events(["k1", "k2"], task="t", texts=["x", "y"], model_labels=["a", "b"], data={"sample": True})
    assert [e["action"] for e in ev][1] in ("correct", "accept") and ev[0]["data"] == {"sample": True}
    # each event carries the time drawn for it (a replay of the seed, draw for draw)
    again = SimulatedReviewer({f"k{i}": "a" for i in range(2000)}, LABELS, error_rate=0.1, seed=1)
    for i in range(2000):
        again.label_for(f"k{i}")
    expected = []
    for k in ("k1", "k2"):
        again.label_for(k)
        expected.append(again.duration_ms())
    assert [e["duration_ms"] for e in ev] == pytest.approx(expected)


def test_a_randomised_round_certifies_from_every_review_and_spends_none_on_a_sample(tmp_path):
    n = 3000
    df = frame(n)
    rng = np.random.default_rng(9)
    conf = rng.beta(4, 1.2, n)
    wrong = rng.random(n) < 0.9 * (1 - conf)
    proba = fake_proba(df["gold"], conf, wrong)
    store = Store(tmp_path / "rp.db")
    tr = LoopTracker(store, task="claims", df=df, id="id", labels=LABELS, alpha=0.2, delta=0.1)
    rr = tr.reroute(proba=proba, review_budget=0.3, review_floor=0.1)
    assert rr.randomised and rr.calibration is None and rr.certified_share == 0.0
    with pytest.raises(ValueError, match="certify: give a reroute made with review_budget"):
        tr.certify(tr.reroute(proba=proba, write=False, grid="sample"))
    sent = rr.review_frame
    assert len(sent) == pytest.approx(0.3 * n, rel=0.15)
    # the person answers every routed item with the truth (a correction where the model erred)
    store.append(
        [
            decision(
                x.id,
                x.text,
                "correct" if x.pred != x.gold else "accept",
                x.gold,
                "claims",
                1000.0,
                model=x.pred,
            )
            for x in sent.itertuples()
        ]
    )
    rr = tr.certify(rr)
    assert rr.calibration is not None and rr.refusal is None, rr.refusal
    row = tr.record(rr)
    assert row["reviews_calibration_only"] == 0  # no review spent only to calibrate
    assert row["reviews_calibration"] == row["reviews_total"] == len(sent)  # every one counts
    assert row["reviews_training"] == len(sent)
    assert row["certified_share"] == pytest.approx(rr.calibration.coverage) and row["certified_share"] > 0.3
    # the guarantee on the pool itself: the error above the threshold is at most alpha here
    above = conf >= rr.threshold
    assert wrong[above].mean() <= 0.2
