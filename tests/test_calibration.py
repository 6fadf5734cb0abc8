"""Calibration: the finite-sample guarantee, refusals, audits, and the risk-coverage plot."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hitl_widgets.routing import (
    InsufficientSampleError,
    Router,
    audit_estimate,
    binomial_pvalues,
    calibrate,
    clopper_pearson,
    fixed_sequence_test,
    min_accepted_to_pass,
    naive_threshold,
)
from hitl_widgets.store import Store

# Synthetic data with a known error curve: confidence s ~ U(0, 1) and the model is wrong
# with probability A (1 - s), so the error among items with s >= t is A (1 - t) / 2 and
# the largest share auto-accepted at error <= alpha is 2 alpha / A (threshold 1 - that).
A = 0.5


def synthetic(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.uniform(size=n)
    wrong = rng.uniform(size=n) < A * (1 - s)
    return pd.DataFrame({"confidence": s, "pred": "yes", "label": np.where(wrong, "no", "yes")})


def true_error(t: float) -> float:
    return A * (1 - t) / 2


def tolerance(seeds: int, delta: float) -> float:
    """The largest violation share a procedure with true rate delta shows in `seeds` runs,
    except with probability 0.001."""
    return stats.binom.ppf(0.999, seeds, delta) / seeds


@pytest.mark.parametrize("grid_from", ["tune split", "population"])
def test_guarantee_holds_over_many_seeds_and_naive_does_not(grid_from):
    alpha, delta, n, seeds = 0.1, 0.1, 1000, 300
    population = np.linspace(0, 1, 5001)  # the routed items' confidences, unlabelled
    viol = naive_viol = refused = 0
    shares = []
    for seed in range(seeds):
        df = synthetic(n, seed)
        kw = {"population": population} if grid_from == "population" else {}
        try:
            res = calibrate(df, alpha=alpha, delta=delta, sample="random", seed=seed, **kw)
        except InsufficientSampleError:
            refused += 1
        else:
            viol += true_error(res.threshold) > alpha
            shares.append(1 - res.threshold)
        t_naive = naive_threshold(df["confidence"].to_numpy(), (df["pred"] != df["label"]).to_numpy(), alpha)
        naive_viol += true_error(t_naive) > alpha
    tol = tolerance(seeds, delta)
    assert viol / seeds <= tol, (viol, seeds)
    assert naive_viol / seeds > tol, (naive_viol, seeds)  # the empirical threshold fails
    assert refused <= seeds * 0.15
    oracle = 2 * alpha / A
    assert np.mean(shares) > 0.5 * oracle  # and it is not vacuous


def test_guarantee_per_label():
    alpha, delta, seeds = 0.1, 0.1, 100
    viol = 0
    pairs = []
    for seed in range(seeds):
        a = synthetic(1500, seed)
        b = synthetic(1500, 10_000 + seed)
        # label "b": the model is twice as wrong at the same confidence
        b["pred"] = "b"
        rng = np.random.default_rng(seed)
        extra = rng.uniform(size=len(b)) < A * (1 - b["confidence"])
        wrong_b = (b["label"] == "no") | extra
        b["label"] = np.where(wrong_b, "x", "b")
        df = pd.concat([a, b], ignore_index=True)
        try:
            res = calibrate(df, alpha=alpha, delta=delta, sample="random", per_label=True, seed=seed)
        except InsufficientSampleError:  # an unlucky first test for both labels
            continue
        ta, tb = res.thresholds["yes"], res.thresholds["b"]

        # true error for label b at threshold t: 1 - E[(1 - p)^2 | s >= t], p = A (1 - s)
        def true_b(t):
            # E over s ~ U(t, 1) of 1 - (1 - A (1 - s))^2 = 2 A (1-t)/2 - A^2 (1-t)^2 / 3
            u = 1 - t
            return A * u - A * A * u * u / 3

        v = (ta is not None and true_error(ta) > alpha) or (tb is not None and true_b(tb) > alpha)
        viol += bool(v)
        if ta is not None and tb is not None:
            pairs.append((ta, tb))
    assert viol / seeds <= tolerance(seeds, delta)
    ta, tb = np.mean(pairs, axis=0)
    assert tb > ta + 0.1  # the worse label needs a higher threshold


def test_fixed_sequence_by_hand():
    conf = np.array([0.99, 0.98, 0.97, 0.96, 0.95, 0.5, 0.4])
    wrong = np.array([0, 0, 0, 0, 0, 1, 1])
    run = fixed_sequence_test(conf, wrong, [0.99, 0.97, 0.95, 0.5, 0.4], alpha=0.5, delta=0.1)
    assert run.accepted.tolist() == [1, 3, 5, 6, 7]
    assert run.errors.tolist() == [0, 0, 0, 1, 2]
    np.testing.assert_allclose(run.p_values, stats.binom.cdf([0, 0, 0, 1, 2], [1, 3, 5, 6, 7], 0.5))
    # 0.5 and 0.125 > 0.1: the sequence stops at the first threshold
    assert run.chosen is None
    run = fixed_sequence_test(conf, wrong, [0.95, 0.5, 0.4], alpha=0.5, delta=0.1)
    assert run.threshold == 0.95 and run.chosen == 0  # p(5, 0) = 1/32; p(6, 1) = 7/64 > 0.1
    assert binomial_pvalues(np.array([0]), np.array([0]), 0.1).tolist() == [1.0]


def test_min_accepted_to_pass_is_the_least():
    for alpha, delta in ((0.1, 0.1), (0.05, 0.1), (0.05, 0.05), (0.01, 0.1)):
        m0 = min_accepted_to_pass(alpha, delta)
        assert (1 - alpha) ** m0 <= delta < (1 - alpha) ** (m0 - 1)
        m = min_accepted_to_pass(alpha, delta, 0.04)
        if alpha > 0.04:
            assert stats.binom.cdf(math.floor(0.04 * m + 1e-9), m, alpha) <= delta
    assert min_accepted_to_pass(0.1, 0.1) == 22
    assert min_accepted_to_pass(0.1, 0.1, 0.12) is None


def test_refuses_too_small_a_sample_with_the_number_needed():
    df = pd.DataFrame({"confidence": np.linspace(0.9, 0.99, 30), "pred": "a", "label": "a"})
    with pytest.raises(InsufficientSampleError) as err:
        calibrate(df, alpha=0.05, delta=0.1, sample="random")
    e = err.value
    assert isinstance(e, ValueError)
    assert e.n == 30
    assert e.needed_zero_errors is not None and e.needed_zero_errors > 30
    assert f"{e.needed_zero_errors:,} reviewed items are needed" in str(e)
    assert "45 items above the threshold with no error" in str(e)  # (0.95)^45 <= 0.1
    # and that many error-free items indeed pass
    ok = pd.DataFrame({"confidence": np.linspace(0.9, 0.99, e.needed_zero_errors), "pred": "a", "label": "a"})
    res = calibrate(ok, alpha=0.05, delta=0.1, sample="random")
    assert res.threshold is not None
    # with errors among the top items: the number at the observed error rate
    s = np.linspace(0.5, 1, 80)
    wrong = np.arange(80) % 40 == 7  # 2 errors in 80 (2.5%), one among the top items
    df2 = pd.DataFrame({"confidence": s, "pred": "a", "label": np.where(wrong, "b", "a")})
    with pytest.raises(InsufficientSampleError, match=r"about [\d,]+ reviewed items are needed") as err:
        calibrate(df2, alpha=0.05, delta=0.1, sample="random")
    e2 = err.value
    assert e2.needed > 80 and f"about {e2.needed:,} reviewed items are needed" in str(e2)
    # the number needed is what the exact test asks at the observed rate
    m = min_accepted_to_pass(0.05, 0.1, 0.025)
    assert stats.binom.cdf(math.floor(0.025 * m), m, 0.05) <= 0.1
    # an error above alpha among the most confident: no sample size helps
    bad = df.assign(label="b")
    with pytest.raises(InsufficientSampleError, match="no sample size can certify") as err:
        calibrate(bad, alpha=0.05, delta=0.1, sample="random")
    assert err.value.needed is None


def test_needs_a_random_sample_and_reads_the_sample_column():
    df = synthetic(4000, 1)
    pop = np.linspace(0, 1, 5001)
    with pytest.raises(ValueError, match="random sample"):
        calibrate(df, alpha=0.1)
    # only rows marked random are used
    marked = df.assign(sample=np.where(np.arange(4000) % 2 == 0, "random", "routed"))
    res = calibrate(marked, alpha=0.1, population=pop)
    assert res.n + res.n_tune == 2000
    res2 = calibrate(df.assign(audit=np.arange(4000) < 2400), alpha=0.1, population=pop)
    assert res2.n + res2.n_tune == 2400
    # decisions()-style names work too
    d = df.rename(columns={"confidence": "model_confidence", "pred": "model_label", "label": "human_label"})
    res3 = calibrate(d, alpha=0.1, sample="random", population=pop)
    assert res3.threshold == calibrate(df, alpha=0.1, sample="random", population=pop).threshold
    with pytest.raises(ValueError, match="alpha must be in"):
        calibrate(df, alpha=1.5, sample="random")
    with pytest.raises(ValueError, match="confidence='conf': no such column"):
        calibrate(df, confidence="conf", sample="random")


def test_sentence_reports_threshold_share_and_guarantee():
    df = synthetic(2000, 3)
    res = calibrate(df, alpha=0.1, delta=0.1, sample="random")
    s = str(res)
    assert s.startswith(f"Items with confidence >= {res.threshold:.2f}") or s.startswith(
        f"Items with confidence >= {res.threshold:.3f}"
    )
    assert f"({round(100 * res.coverage)}% of items) are auto-accepted" in s
    assert "their error is at most 10% with probability at least 90%" in s
    assert "(Learn-then-Test, 2,000 reviewed items)" in s
    assert 0 < res.coverage < 1 and res.error <= 0.1
    # the chosen threshold is the last rejected one of the tested grid
    cur = res.curve
    assert cur.loc[cur["rejected"], "threshold"].min() == res.threshold
    assert (cur.loc[cur["rejected"], "p_value"] <= 0.1).all()
    # a router from the result
    router = res.router(["yes", "no"])
    assert router.thresholds == {"yes": res.threshold, "no": res.threshold}


def test_audit_estimate_clopper_pearson():
    est, (lo, hi) = audit_estimate(pd.DataFrame({"pred": ["a"] * 10, "label": ["a"] * 10}), audit="random")
    assert est == 0 and lo == 0
    assert hi == pytest.approx(1 - 0.025 ** (1 / 10))
    frame = pd.DataFrame(
        {"model_label": ["a"] * 40, "human_label": ["a"] * 37 + ["b"] * 3, "audit": [True] * 40}
    )
    res = audit_estimate(frame, confidence=0.9)
    est, (lo, hi) = res
    assert est == pytest.approx(3 / 40) and res.n == 40 and res.errors == 3
    assert lo == pytest.approx(stats.beta.ppf(0.05, 3, 38))
    assert hi == pytest.approx(stats.beta.ppf(0.95, 4, 37))
    assert clopper_pearson(40, 40)[1] == 1.0
    assert "3 of 40 audited" in str(res)


def test_audit_estimate_refuses_rows_not_known_to_be_audits():
    # 300 items a router sent to a person (low confidence): not a sample of what it accepts
    routed_items = pd.DataFrame({"pred": ["a"] * 300, "label": ["a"] * 300, "route": "review"})
    with pytest.raises(
        ValueError,
        match=r"audit_estimate needs to know which rows are a "
        r"random audit.*audit='random'",
    ):
        audit_estimate(routed_items)
    assert audit_estimate(routed_items, audit="random").n == 300
    assert audit_estimate(routed_items, audit=True).n == 300
    # a mask, a column of markers ("audit" / True count; anything else does not)
    mask = np.arange(300) < 30
    assert audit_estimate(routed_items, audit=mask).n == 30
    marked = routed_items.assign(kind=np.where(mask, "audit", "routed"))
    assert audit_estimate(marked, audit="kind").n == 30
    assert audit_estimate(routed_items.assign(audit=mask.astype(float))).n == 30
    with pytest.raises(
        ValueError,
        match=r"audit='kind' is neither 'random' nor a column.*"
        r"audit accepts 'random' \(or True\)",
    ):
        audit_estimate(routed_items, audit="kind")
    with pytest.raises(ValueError, match=r"audit: expected a mask of 300 values"):
        audit_estimate(routed_items, audit=[True, False])


def test_sample_argument_explains_what_it_accepts():
    df = synthetic(200, 4)
    with pytest.raises(ValueError) as err:
        calibrate(df, alpha=0.1, sample="routed")
    msg = str(err.value)
    assert "sample='routed' is neither 'random' nor a column of the reviewed items" in msg
    assert "sample accepts 'random' (or True) when every row was drawn at random" in msg
    assert "the name of a column" in msg and "boolean mask" in msg
    assert "'confidence'" in msg  # the columns there are
    with pytest.raises(ValueError, match="sample accepts 'random'"):
        calibrate(df, alpha=0.1, sample=False)
    with pytest.raises(ValueError, match=r"sample: expected a mask of 200 values.*sample accepts"):
        calibrate(df, alpha=0.1, sample=[True])


def test_labels_of_mixed_types_are_compared_on_equal_terms():
    rng = np.random.default_rng(8)
    n = 2000
    conf = rng.uniform(size=n)
    wrong = rng.uniform(size=n) < 0.5 * (1 - conf)
    truth = np.where(wrong, 0, 1)
    ints = pd.DataFrame({"confidence": conf, "pred": np.ones(n, dtype=int), "label": truth})
    # the model's labels as floats (1.0), the person's as integers (1) or text ('1')
    floats = ints.assign(pred=1.0)
    texts = ints.assign(label=truth.astype(str))
    base = calibrate(ints, alpha=0.1, sample="random", seed=1)
    for other in (floats, texts, floats.assign(label=truth.astype(float))):
        res = calibrate(other, alpha=0.1, sample="random", seed=1)
        assert res.threshold == base.threshold and res.error == base.error
    assert base.items["wrong"].sum() == (truth == 0).sum()
    est = audit_estimate(floats, audit="random")
    assert est.errors == int((truth == 0).sum())
    assert (
        audit_estimate(
            pd.DataFrame({"pred": [1.0, 2.0, 2.5], "label": [1, "2", "2.5"]}), audit="random"
        ).errors
        == 0
    )
    # labels that cannot be matched: refused, naming the columns
    yes_no = ints.assign(label=np.where(wrong, "no", "yes"))
    with pytest.raises(
        ValueError,
        match=r"labels cannot be matched: 'label' holds text such "
        r"as '(yes|no)' while 'pred' holds numbers",
    ):
        calibrate(yes_no, alpha=0.1, sample="random")
    flags = pd.DataFrame({"model_label": [True, False], "human_label": ["yes", "no"]})
    with pytest.raises(
        ValueError,
        match=r"labels cannot be matched: 'model_label' holds bool "
        r"values .* 'human_label' holds text",
    ):
        audit_estimate(flags, audit="random")
    # text labels that are simply all wrong are a bad model, not a mix-up
    assert audit_estimate(pd.DataFrame({"pred": ["a"] * 3, "label": ["b"] * 3}), audit="random").errors == 3


def test_printouts_round_long_floats():
    t = 0.592160701751709
    router = Router(["a", "b"], thresholds={"a": t, "b": 0.8}, audit_rate=0.0123456789)
    text = repr(router)
    assert "'a': 0.5922" in text and "'b': 0.8" in text and "audit_rate=0.01235" in text
    assert "0.592160701751709" not in text
    assert router.thresholds["a"] == t and router.settings["thresholds"]["a"] == t
    est = audit_estimate(
        pd.DataFrame({"pred": ["a"] * 1000, "label": ["a"] * 312 + ["b"] * 688}),
        audit="random",
        confidence=0.95,
    )
    assert est.estimate == 0.688
    lo, hi = est.interval
    assert repr(est) == (
        f"AuditEstimate(estimate=0.688, interval=({lo:.4g}, {hi:.4g}), n=1000, errors=688, confidence=0.95)"
    )
    assert repr(lo) not in repr(est) and len(repr(lo)) > 8  # the raw float is not printed
    run = fixed_sequence_test(
        np.array([0.6879523992538452] * 30), np.zeros(30, int), [0.6879523992538452], alpha=0.1, delta=0.1
    )
    assert repr(run) == ("FixedSequence(threshold=0.688, tested=1, rejected=1, n=30, alpha=0.1, delta=0.1)")
    assert run.threshold == 0.6879523992538452
    res = calibrate(synthetic(2000, 3), alpha=0.1, delta=0.1, sample="random")
    assert repr(res.threshold) not in str(res)  # the sentence rounds it


def test_from_the_store_route_audit_review_calibrate(tmp_path):
    rng = np.random.default_rng(5)
    n = 3000
    conf = rng.uniform(0.5, 1.0, n)
    wrong = rng.uniform(size=n) < 0.3 * (1 - conf)
    df = pd.DataFrame(
        {
            "id": [f"i{i}" for i in range(n)],
            "text": [f"t{i}" for i in range(n)],
            "pred": "a",
            "confidence": conf,
            "truth": np.where(wrong, "b", "a"),
        }
    )
    db = str(tmp_path / "s.db")
    router = Router(["a", "b"], thresholds=0.6, audit_rate=0.5, seed=3)
    res = router.route(df, id="id", store=db, task="t")
    audited = res.frame[res.frame["audit"]]
    assert len(audited) > 1000
    with Store(db) as st:
        # people review the audited items (written as the widget would)
        st.append(
            [
                {
                    "event_id": f"d{i}",
                    "task": "t",
                    "item_id": r.id,
                    "action": "correct",
                    "label_after": r.truth,
                    "model_label": r.pred,
                    "model_confidence": r.confidence,
                    "annotator": "ann",
                }
                for i, r in enumerate(audited.itertuples())
            ]
        )
        est, (lo, hi) = audit_estimate(st, task="t")
        truth = (audited["truth"] != audited["pred"]).mean()
        assert est == pytest.approx(truth)
        assert lo < est < hi
        cal = calibrate(st, task="t", alpha=0.05, delta=0.1)
        assert cal.threshold >= 0.6  # audits only speak for what the router accepted
        assert "audited" in cal.source and cal.grid_from.startswith("confidences of the routed")
        # the reviewed sample is the audits only
        assert cal.n == len(audited)


def test_risk_coverage_plot():
    import plotly.graph_objects as go

    from hitl_widgets.plots import risk_coverage

    df = synthetic(2000, 2)
    res = calibrate(df, alpha=0.1, sample="random", population=np.linspace(0, 1, 5001))
    fig = risk_coverage(res)
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    assert names[0] == "error among auto-accepted"
    assert any(n.startswith("chosen threshold") for n in names)
    assert any(s.y0 == 0.1 for s in fig.layout.shapes)  # alpha line
    curve = fig.data[0]
    assert max(curve.x) == pytest.approx(1.0)
    # from a frame of reviewed items
    fig2 = risk_coverage(df, alpha=0.1, threshold=res.threshold)
    assert len(fig2.data) == 2
    with pytest.raises(ValueError):
        risk_coverage(pd.DataFrame({"x": [1]}))
