"""Routing with known review probabilities, and the guarantee computed from every review."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hitl_widgets.routing import InsufficientSampleError, Router, audit_estimate, calibrate
from hitl_widgets.routing.propensity import WeightedSample, review_probabilities
from hitl_widgets.routing.router import routed
from hitl_widgets.store import Store, utc_now

LABELS = ["ok", "bad"]


def world(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Confidences and whether the model is wrong: P(wrong | c) = 0.9 (1 - c)."""
    c = rng.beta(4, 1.2, n)
    return c, rng.random(n) < 0.9 * (1 - c)


def routed_frame(c: np.ndarray, wrong: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    reviewed = rng.random(c.size) < p
    return pd.DataFrame(
        {
            "confidence": c,
            "pred": "ok",
            "label": np.where(reviewed, np.where(wrong, "bad", "ok"), None),
            "route": np.where(reviewed, "review", "auto"),
            "review_probability": p,
        }
    )


def tolerance(delta: float, runs: int) -> float:
    """delta plus three binomial standard errors over `runs` independent runs."""
    return delta + 3 * math.sqrt(delta * (1 - delta) / runs)


# -- the router --------------------------------------------------------------------------
def frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c, _ = world(n, rng)
    return pd.DataFrame(
        {
            "id": [f"i{k}" for k in range(n)],
            "text": [f"item {k}" for k in range(n)],
            "pred": rng.choice(LABELS, n),
            "confidence": c,
            "amount": rng.lognormal(8, 1.2, n),
        }
    )


def test_a_randomised_router_spends_its_budget_and_keeps_policies_deterministic():
    df = frame()
    router = Router(
        LABELS, policies={"large": "amount > 10000"}, review_budget=0.3, review_floor=0.05, seed=3
    )
    res = router.route(df, id="id")
    f = res.frame
    p = f["review_probability"].to_numpy()
    policy = f["reasons"].map(lambda r: any(x.startswith("policy") for x in r)).to_numpy()
    assert policy.any() and (p[policy] == 1).all()  # a policy hit always goes to a person
    assert p.min() == pytest.approx(0.05)  # the floor: no item has probability zero
    assert set(np.round(p[~policy], 9)) <= {1.0, 0.05}  # two levels
    assert abs(p.mean() - 0.3) <= 1 / len(df)  # the budget, as an expected share
    # the least confident free items are the ones at 1
    free = ~policy
    cut = f.loc[free & (p < 1), "confidence"].min()
    assert (f.loc[free & (p == 1), "confidence"] <= cut).all()
    # every item at probability 1 goes to a person; the others are drawn
    assert (f.loc[p == 1, "route"] == "review").all()
    drawn = (f["route"] == "review").to_numpy() & (p < 1)
    assert 0 < drawn.sum() < (p < 1).sum()
    assert all("drawn for review at random (probability 0.05)" in r for r in f.loc[drawn, "reasons"])
    summary = res.summary()
    assert "expected share reviewed (budget 30%)" in summary.index


def test_router_refuses_a_budget_without_a_floor_or_with_an_audit_rate():
    with pytest.raises(ValueError, match="review_floor: must be above 0"):
        Router(LABELS, review_budget=0.2, review_floor=0.0)
    with pytest.raises(ValueError, match="give audit_rate or review_budget"):
        Router(LABELS, review_budget=0.2, audit_rate=0.05)
    with pytest.raises(ValueError, match=r"review_floor 0\.5 is above review_budget"):
        Router(LABELS, review_budget=0.2, review_floor=0.5)
    with pytest.raises(ValueError, match="review_budget: randomised routing needs confidence"):
        Router(LABELS, review_budget=0.2).route(frame().drop(columns="confidence"), id="id")


def test_the_budget_spent_by_what_must_be_seen_leaves_the_floor():
    c = np.linspace(0.5, 1, 100)
    required = np.zeros(100, bool)
    required[:40] = True
    p, cut = review_probabilities(c, required, budget=0.3, floor=0.1)
    assert (p[:40] == 1).all() and (p[40:] == 0.1).all() and cut == pytest.approx(c[40])


def test_probabilities_are_stored_and_every_estimate_recomputed_from_the_store_alone(tmp_path):
    rng = np.random.default_rng(5)
    n = 3000
    c, wrong = world(n, rng)
    df = pd.DataFrame(
        {
            "id": [f"t{k}" for k in range(n)],
            "text": [f"t {k}" for k in range(n)],
            "pred": "ok",
            "confidence": c,
        }
    )
    store = Store(tmp_path / "s.db")
    router = Router(LABELS, review_budget=0.25, review_floor=0.1, seed=1)
    res = router.route(df, id="id", store=store, task="t")
    # a person answers every item sent to them
    sent = res.frame[res.frame["route"] == "review"]
    truth = dict(zip(df["id"], np.where(wrong, "bad", "ok"), strict=True))
    store.append(
        [
            {
                "event_id": f"decide-{i}",
                "created_at": utc_now(),
                "task": "t",
                "item_id": i,
                "action": "correct" if truth[i] == "bad" else "accept",
                "label_before": "ok",
                "label_after": str(truth[i]),
                "model_label": "ok",
                "annotator": "ann",
            }
            for i in sent["id"]
        ]
    )
    r = routed(store, "t")
    assert np.allclose(r["review_probability"].to_numpy(), res.frame["review_probability"].to_numpy())
    from_store = calibrate(store, task="t", alpha=0.2, delta=0.1)  # randomised: propensity
    assert from_store.routed == n
    # the same numbers from a frame rebuilt by hand
    rebuilt = pd.DataFrame(
        {
            "confidence": c,
            "pred": "ok",
            "label": [
                truth[i] if s == "review" else None for i, s in zip(df["id"], res.frame["route"], strict=True)
            ],
            "route": res.frame["route"].to_numpy(),
            "review_probability": res.frame["review_probability"].to_numpy(),
        }
    )
    from_frame = calibrate(rebuilt, sample="propensity", alpha=0.2, delta=0.1)
    assert from_store.threshold == from_frame.threshold
    assert "with review probabilities" in from_store.sentence
    est = audit_estimate(store, task="t")
    est2 = audit_estimate(rebuilt, audit="propensity")
    assert est.method == "exact" and tuple(est) == tuple(est2)
    # the truth lies in the interval (the error among what went through unreviewed)
    through = (res.frame["route"] == "auto").to_numpy()
    assert est.interval[0] <= wrong[through].mean() <= est.interval[1]
    store.close()


def test_pending_reviews_count_as_errors(tmp_path):
    rng = np.random.default_rng(2)
    c, _ = world(500, rng)
    df = pd.DataFrame({"id": [f"t{k}" for k in range(500)], "pred": "ok", "confidence": c})
    store = Store(tmp_path / "s.db")
    Router(LABELS, review_budget=0.3, review_floor=0.1, seed=1).route(df, id="id", store=store, task="t")
    with pytest.raises(InsufficientSampleError, match="reviews still pending counted as errors"):
        calibrate(store, task="t", alpha=0.1, delta=0.1)
    store.close()


# -- validity ----------------------------------------------------------------------------
def run_many(design, runs: int, alpha: float = 0.1, delta: float = 0.1, n: int = 2000):
    """Chosen thresholds over `runs` seeds: (violations of the naive and of the certified
    choice, certified runs). A violation: more than alpha of the routed items above the
    threshold are wrong (the guarantee's own target, on the items themselves)."""
    bad = bad_naive = certified = 0
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        c, wrong = world(n, rng)
        df = routed_frame(c, wrong, design(c), rng)
        try:
            res = calibrate(df, sample="propensity", alpha=alpha, delta=delta, seed=seed)
        except InsufficientSampleError:
            res = None
        if res is not None:
            certified += 1
            bad += wrong[c >= res.threshold].mean() > alpha
        naive = WeightedSample(c, df["route"] == "review", wrong, df["review_probability"])
        t = _naive_threshold(naive, alpha)
        bad_naive += t is not None and wrong[c >= t].mean() > alpha
    return bad / runs, bad_naive / runs, certified / runs


def _naive_threshold(s: WeightedSample, alpha: float) -> float | None:
    from hitl_widgets.routing.weighted import _naive

    return _naive(s, alpha)


def two_levels(c: np.ndarray) -> np.ndarray:
    """Very uneven: the least confident third always, the rest with probability 0.06."""
    return review_probabilities(c, np.zeros(c.size, bool), budget=0.37, floor=0.06)[0]


def test_the_exact_test_holds_alpha_over_many_seeds_and_the_naive_estimate_does_not():
    runs = 300
    bad, bad_naive, certified = run_many(two_levels, runs, alpha=0.2)
    assert bad <= tolerance(0.1, runs)
    assert certified >= 0.5  # it certifies, too
    assert bad_naive > 0.3  # the weighted estimate without a bound violates alpha often


def test_the_betting_bound_holds_alpha_with_one_probability_per_item():
    # a smooth, very uneven curve: probability 0.05 for the most confident, 1 for the least
    def smooth(c: np.ndarray) -> np.ndarray:
        return np.clip(2.5 * (1 - c), 0.05, 1.0)

    runs = 150
    bad, bad_naive, certified = run_many(smooth, runs, alpha=0.2)
    assert bad <= tolerance(0.1, runs)
    assert certified >= 0.3
    assert bad_naive > 0.2


def test_the_weighted_estimate_is_unbiased():
    rng = np.random.default_rng(11)
    c, wrong = world(3000, rng)
    p = np.clip(2.5 * (1 - c), 0.02, 1.0)
    truth = wrong[c >= 0.8].mean()
    est, plain = [], []
    for _ in range(3000):
        reviewed = rng.random(c.size) < p
        est.append(WeightedSample(c, reviewed, wrong, p).error_estimate(0.8))
        plain.append(wrong[(c >= 0.8) & reviewed].mean())
    est_arr, plain_arr = np.asarray(est), np.asarray(plain)
    se = est_arr.std() / math.sqrt(est_arr.size)
    assert abs(est_arr.mean() - truth) <= 3 * se
    # the plain error rate among the reviewed items is biased (towards the doubtful ones)
    assert plain_arr.mean() - truth > 10 * plain_arr.std() / math.sqrt(plain_arr.size)


def test_the_exact_audit_interval_covers_the_error_of_what_went_through():
    runs, covered = 200, 0
    for seed in range(runs):
        rng = np.random.default_rng(1000 + seed)
        c, wrong = world(1500, rng)
        df = routed_frame(c, wrong, two_levels(c), rng)
        est = audit_estimate(df, audit="propensity", confidence=0.9)
        through = (df["route"] == "auto").to_numpy()
        covered += est.interval[0] <= wrong[through].mean() <= est.interval[1]
    assert covered / runs >= 0.9 - 3 * math.sqrt(0.09 / runs)


# -- refusals ----------------------------------------------------------------------------
def test_a_floor_too_low_is_refused_saying_what_would_help():
    rng = np.random.default_rng(4)
    c, wrong = world(1000, rng)
    df = routed_frame(
        c, wrong, review_probabilities(c, np.zeros(1000, bool), budget=0.2, floor=0.003)[0], rng
    )
    with pytest.raises(InsufficientSampleError, match=r"raise review_floor to about 0\.0[0-9]"):
        calibrate(df, sample="propensity", alpha=0.1, delta=0.1)
    # one probability per item, the smallest far too low for 500 items
    c2, wrong2 = world(500, rng)
    df2 = routed_frame(c2, wrong2, np.clip(3 * (1 - c2), 0.0005, 1.0), rng)
    with pytest.raises(
        InsufficientSampleError, match=r"weighs 1/0\.00[0-9]+ = .*raise review_floor to about 0\.[0-9]"
    ):
        calibrate(df2, sample="propensity", alpha=0.1, delta=0.1)


def test_a_zero_probability_is_refused_naming_the_rows():
    df = pd.DataFrame(
        {
            "confidence": [0.9, 0.95, 0.5],
            "pred": "ok",
            "label": [None, None, "ok"],
            "route": ["auto", "auto", "review"],
            "review_probability": [0.0, 0.1, 1.0],
        }
    )
    with pytest.raises(
        ValueError, match=r"1 items went through unreviewed with review probability 0 \(first: \[0\]\)"
    ):
        calibrate(df, sample="propensity")


def test_an_agent_gate_stores_each_calls_review_probability(tmp_path):
    from hitl_widgets import Gate

    gate = Gate(str(tmp_path / "agent.db"), "pay", thresholds=0.8, audit_rate=0.25, seed=0)
    conf = np.linspace(0.5, 1.0, 40)
    for i, c in enumerate(conf):
        gate.route("pay", {"claim_id": f"c{i}", "amount": 1.0}, call_id=f"c{i}", confidence=float(c))
    r = routed(gate.store, "pay").set_index("item_id")
    held = conf < 0.8
    p = r.loc[[f"c{i}" for i in range(40)], "review_probability"].to_numpy()
    assert (p[held] == 1.0).all() and (p[~held] == 0.25).all()
    # let-through calls that were audited count as reviewed in the weighted estimates
    audited = r["audit"].to_numpy()
    assert audited.any() and not r.loc[r["audit"], "auto"].eq(False).any()
    from hitl_widgets.routing.weighted import read_routed

    rt = read_routed(gate.store, task="pay")
    assert int(rt.reviewed.sum()) == int(held.sum()) + int(audited.sum())
