"""The monitor: confidence sequence, audited error per window, drift, expected error, alerts."""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from hitl_widgets.monitor import (
    Monitor,
    alerts,
    audit_error,
    beta_mixture_cs,
    drift,
    expected_error,
    mmd_test,
    parse_rule,
)
from hitl_widgets.monitor.drift import PSI_EPSILON
from hitl_widgets.monitor.stats import poisson_binomial_pmf
from hitl_widgets.routing import Router, clopper_pearson
from hitl_widgets.store import Store

LABELS = ["ok", "bad"]


def tolerance(rate: float, runs: int) -> float:
    """`rate` plus three binomial standard errors over `runs` independent runs."""
    return rate + 3 * math.sqrt(rate * (1 - rate) / runs)


# -- the confidence sequence ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("k", "n", "alpha", "prior"),
    [
        (0, 10, 0.05, (1, 1)),
        (3, 40, 0.05, (1, 1)),
        (25, 500, 0.1, (0.5, 9.5)),
        (7, 7, 0.05, (2, 3)),
        (1, 1, 0.2, (1, 1)),
    ],
)
def test_the_confidence_sequence_is_the_set_the_mixture_ratio_keeps(k, n, alpha, prior):
    a, b = prior
    grid = np.linspace(1e-6, 1 - 1e-6, 200_001)
    log_ratio = (
        special.betaln(a + k, b + n - k) - special.betaln(a, b) - k * np.log(grid) - (n - k) * np.log1p(-grid)
    )
    kept = grid[log_ratio < math.log(1 / alpha)]
    low, high = beta_mixture_cs(k, n, alpha, prior)
    step = grid[1] - grid[0]
    assert low == pytest.approx(0.0 if k == 0 else kept.min(), abs=2 * step)
    assert high == pytest.approx(1.0 if k == n else kept.max(), abs=2 * step)
    # the ends are the ratio's crossings of 1/alpha
    for end, at_bound in ((low, k == 0), (high, k == n)):
        if not at_bound:
            m = (
                special.betaln(a + k, b + n - k)
                - special.betaln(a, b)
                - k * math.log(end)
                - (n - k) * math.log1p(-end)
            )
            assert m == pytest.approx(math.log(1 / alpha), abs=1e-8)


def test_the_confidence_sequence_refuses_bad_arguments_by_name():
    assert beta_mixture_cs(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="errors must be in"):
        beta_mixture_cs(5, 3)
    with pytest.raises(ValueError, match="alpha must be in"):
        beta_mixture_cs(1, 3, alpha=1.5)
    with pytest.raises(ValueError, match="prior must be a pair"):
        beta_mixture_cs(1, 3, prior=(0, 1))
    with pytest.raises(ValueError, match="n must be an integer"):
        beta_mixture_cs(1, 3.5)  # type: ignore[arg-type]


def test_watched_after_every_audit_the_sequence_covers_and_clopper_pearson_does_not():
    rng = np.random.default_rng(11)
    runs, steps, p, alpha = 300, 500, 0.05, 0.05
    cs_miss = cp_miss = 0
    ns = np.arange(1, steps + 1)
    cs_of = functools.cache(lambda k, n: beta_mixture_cs(k, n, alpha))  # streams share (k, n)
    for _ in range(runs):
        ks = np.cumsum(rng.random(steps) < p)
        cs = np.array([cs_of(int(k), int(n)) for k, n in zip(ks, ns, strict=True)])
        cs_miss += bool(((cs[:, 0] > p) | (cs[:, 1] < p)).any())
        # Clopper-Pearson recomputed after every audit (vectorised clopper_pearson)
        lo = np.where(ks > 0, stats.beta.ppf(alpha / 2, ks, ns - ks + 1), 0.0)
        hi = np.where(ks < ns, stats.beta.ppf(1 - alpha / 2, ks + 1, np.maximum(ns - ks, 1)), 1.0)
        cp_miss += bool(((lo > p) | (hi < p)).any())
    assert cs_miss / runs <= tolerance(alpha, runs)
    assert cp_miss / runs > 0.15
    assert clopper_pearson(3, 40, 0.95) == pytest.approx(
        (stats.beta.ppf(0.025, 3, 38), stats.beta.ppf(0.975, 4, 37))
    )


# -- audited error from a store ------------------------------------------------------------
DAY0 = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)).floor("D")


def stamp(day: int) -> str:
    return (DAY0 + pd.Timedelta(days=day, hours=12)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def audited_store(tmp_path, wrong_on: dict[int, float], n: int = 600, seed: int = 0):
    """A store of one routed batch with audits, decided on days 0..len(wrong_on)-1: on day
    d the share `wrong_on[d]` of that day's audits is corrected (the model was wrong), one
    of them flagged. Returns the store and the audited ids per day, with their errors."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "id": [f"i{k}" for k in range(n)],
            "text": [f"item {k}" for k in range(n)],
            "pred": "ok",
            "confidence": rng.uniform(0.8, 1.0, n),
        }
    )
    store = Store(tmp_path / "m.db")
    res = Router(LABELS, thresholds=0.85, audit_rate=0.3, seed=2).route(df, id="id", store=store, task="t")
    ids = res.frame.loc[res.frame["audit"], "id"].tolist()
    days = len(wrong_on)
    per_day = {d: ids[d::days] for d in range(days)}
    truth = {}
    events = []
    for d, day_ids in per_day.items():
        n_wrong = round(wrong_on[d] * len(day_ids))
        for j, i in enumerate(day_ids):
            wrong = j < n_wrong
            truth[i] = wrong
            flag = wrong and j == 0
            events.append(
                {
                    "event_id": f"decide-{i}",
                    "created_at": stamp(d),
                    "task": "t",
                    "item_id": i,
                    "action": "flag" if flag else ("correct" if wrong else "accept"),
                    "label_before": "ok",
                    "label_after": None if flag else ("bad" if wrong else "ok"),
                    "model_label": "ok",
                    "annotator": "ann",
                }
            )
    store.append(events)
    return store, res, per_day, truth


def test_audit_error_counts_each_window_and_raises_the_alarm_when_errors_are_frequent(tmp_path):
    store, res, per_day, truth = audited_store(tmp_path, {0: 0.0, 1: 0.05, 2: 0.4, 3: 0.4})
    f = audit_error(store, "t", window="1D", alpha=0.05, target_error=0.05)
    days = f.set_index("window_start")
    run_n = run_k = 0
    for d, ids in per_day.items():
        row = days.loc[DAY0 + pd.Timedelta(days=d)]
        k = sum(truth[i] for i in ids)
        run_n, run_k = run_n + len(ids), run_k + k
        assert (row["audits"], row["errors"]) == (len(ids), k)
        assert (row["audit_error_low"], row["audit_error_upper"]) == pytest.approx(
            clopper_pearson(k, len(ids), 0.95)
        )
        assert (row["running_audits"], row["running_errors"]) == (run_n, run_k)
        cs = beta_mixture_cs(run_k, run_n, 0.05, (0.5, 9.5))  # the default prior: centred on the target
        assert (row["running_low"], row["running_upper"]) == pytest.approx(cs)
        assert row["alarm"] == (cs[0] > 0.05)
    assert not days.loc[DAY0, "alarm"] and days.loc[DAY0 + pd.Timedelta(days=3), "alarm"]
    # the routed items counted in the window they were routed in (today, before the audits)
    routed_row = f[f["routed"] > 0].iloc[0]
    frame = res.frame
    assert routed_row["routed"] == len(frame)
    assert routed_row["auto_accepted"] == (frame["route"] == "auto").sum()
    assert routed_row["auto_share"] == pytest.approx((frame["route"] == "auto").mean())
    auto_conf = frame.loc[frame["route"] == "auto", "confidence"]
    assert routed_row["expected_error"] == pytest.approx((1 - auto_conf).mean())
    assert np.isnan(routed_row["audit_error"])  # no audit decided that day
    # restarting the sequence after a change leaves the earlier audits out
    later = audit_error(store, "t", since=DAY0 + pd.Timedelta(days=2))
    assert later["running_audits"].max() == len(per_day[2]) + len(per_day[3])
    with pytest.raises(ValueError, match="window='fortnight'"):
        audit_error(store, "t", window="fortnight")
    with pytest.raises(ValueError, match="since='soon' is not a time"):
        audit_error(store, "t", since="soon")
    # a week's windows, cut from the epoch: every series on one grid, nothing lost
    week = audit_error(store, "t", window="7D")
    assert (
        (week["window_start"] - pd.Timestamp(0, tz="UTC")) % pd.Timedelta(days=7) == pd.Timedelta(0)
    ).all()
    assert week["audits"].sum() == f["audits"].sum() and week["routed"].sum() == len(res.frame)
    assert week["running_errors"].iloc[-1] == f["running_errors"].iloc[-1]


def test_audit_error_refuses_a_store_without_audits(tmp_path):
    store = Store(tmp_path / "n.db")
    df = pd.DataFrame({"id": ["a", "b"], "pred": "ok", "confidence": [0.9, 0.95]})
    Router(LABELS, thresholds=0.8).route(df, id="id", store=store, task="t")
    with pytest.raises(ValueError, match="no audits of task 't'"):
        audit_error(store, "t")


def test_with_review_probabilities_the_items_drawn_at_the_floor_are_the_audits(tmp_path):
    rng = np.random.default_rng(3)
    n = 800
    df = pd.DataFrame(
        {"id": [f"i{k}" for k in range(n)], "pred": "ok", "confidence": rng.uniform(0.5, 1.0, n)}
    )
    store = Store(tmp_path / "rp.db")
    res = Router(LABELS, review_budget=0.3, review_floor=0.1, seed=1).route(
        df, id="id", store=store, task="t"
    )
    f = res.frame
    drawn = f[(f["route"] == "review") & (f["review_probability"] < 1)]
    wrong = set(drawn["id"][::4])  # a quarter of the drawn items: the model was wrong
    store.append(
        [
            {
                "event_id": f"decide-{i}",
                "created_at": stamp(0),
                "task": "t",
                "item_id": i,
                "action": "correct" if i in wrong else "accept",
                "label_before": "ok",
                "label_after": "bad" if i in wrong else "ok",
                "model_label": "ok",
                "annotator": "ann",
            }
            for i in f.loc[f["route"] == "review", "id"]  # every routed item answered
        ]
    )
    out = audit_error(store, "t")
    assert out["running_audits"].iloc[-1] == len(drawn)  # the least confident are not audits
    assert out["running_errors"].iloc[-1] == len(wrong)
    # two floors in one task would need unequal weights: refused
    other = df.assign(id=[f"j{k}" for k in range(n)])
    Router(LABELS, review_budget=0.4, review_floor=0.2, seed=1).route(other, id="id", store=store, task="t")
    with pytest.raises(ValueError, match=r"2 different probabilities.*audit='propensity'"):
        audit_error(store, "t")


# -- drift ----------------------------------------------------------------------------------
def frames(seed: int = 0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"model_confidence": rng.beta(5, 1, 400), "model_label": rng.choice(list("abc"), 400)})
    cur = pd.DataFrame(
        {
            "model_confidence": rng.beta(3, 1, 300),
            "model_label": rng.choice(list("abcd"), 300, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )
    return ref, cur


def test_drift_p_values_are_scipys_and_psi_is_hand_worked():
    ref, cur = frames()
    out = drift(ref, cur).set_index("test")
    ks = stats.ks_2samp(ref["model_confidence"], cur["model_confidence"])
    assert out.loc["confidence KS", "statistic"] == pytest.approx(ks.statistic)
    assert out.loc["confidence KS", "p_value"] == pytest.approx(ks.pvalue)
    labs = sorted(set(ref["model_label"]) | set(cur["model_label"]))
    table = np.array(
        [
            [(ref["model_label"] == lab).sum() for lab in labs],
            [(cur["model_label"] == lab).sum() for lab in labs],
        ]
    )
    chi = stats.chi2_contingency(table)
    assert out.loc["label chi-square", "statistic"] == pytest.approx(chi.statistic)
    assert out.loc["label chi-square", "p_value"] == pytest.approx(chi.pvalue)
    assert out.loc["confidence PSI", "p_value"] is None and out.loc["label PSI", "p_value"] is None
    assert "strong evidence of drift" in out.loc["label chi-square", "meaning"]
    # label PSI by hand: shares per label, epsilon for the empty bin of "d" in the reference
    r = table[0] / table[0].sum() + PSI_EPSILON
    c = table[1] / table[1].sum() + PSI_EPSILON
    assert out.loc["label PSI", "statistic"] == pytest.approx(np.sum((c - r) * np.log(c / r)))
    # 1, 1.0 and "1" are one label (as the store keeps it): no drift between them
    same = drift(pd.DataFrame({"pred": [1, 2, 1, 2]}), pd.DataFrame({"pred": [1.0, "2", 1.0, 2.0]}))
    assert same.set_index("test").loc["label chi-square", "statistic"] == pytest.approx(0.0)


def test_confidence_psi_by_reference_deciles_worked_by_hand():
    ref = pd.DataFrame({"model_confidence": np.arange(1, 101) / 100})  # deciles 0.109, 0.208, ...
    # current: everything in the top decile (above the ninth decile 0.901)
    cur = pd.DataFrame({"model_confidence": np.full(50, 0.99)})
    out = drift(ref, cur).set_index("test")
    r = np.full(10, 0.1) + PSI_EPSILON
    c = np.array([0.0] * 9 + [1.0]) + PSI_EPSILON
    assert out.loc["confidence PSI", "statistic"] == pytest.approx(np.sum((c - r) * np.log(c / r)))
    assert "large shift" in out.loc["confidence PSI", "meaning"]
    same = drift(ref, ref).set_index("test")
    assert same.loc["confidence PSI", "statistic"] == pytest.approx(0.0)


def test_mmd_finds_a_shift_and_holds_its_level_under_the_null():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(60, 3)), rng.normal(size=(60, 3)) + 0.8
    stat, p = mmd_test(x, y, n_permutations=200)
    assert stat > 0 and p < 0.01
    assert p >= 1 / 201  # (b + 1) / (B + 1) is never 0
    repeats = 40
    rejected = 0
    for i in range(repeats):
        a, b = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))
        rejected += mmd_test(a, b, n_permutations=99, seed=i)[1] <= 0.05
    assert rejected / repeats <= tolerance(0.05, repeats)
    # through drift(): a column of vectors
    ref = pd.DataFrame({"embedding": list(rng.normal(size=(50, 2)))})
    cur = pd.DataFrame({"embedding": list(rng.normal(size=(50, 2)) + 1.0)})
    row = drift(ref, cur, n_permutations=99).set_index("test").loc["embedding MMD"]
    assert row["p_value"] == pytest.approx(0.01) and "drift" in row["meaning"]


def test_drift_refuses_what_it_cannot_compare():
    ref, cur = frames()
    with pytest.raises(ValueError, match="confidence='score': no such column in reference"):
        drift(ref, cur, confidence="score")
    with pytest.raises(ValueError, match="nothing to compare"):
        drift(pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [2]}))
    with pytest.raises(ValueError, match="embeddings='emb': no such column"):
        drift(ref, cur, embeddings="emb")


# -- expected error -------------------------------------------------------------------------
def test_expected_error_is_the_mean_of_one_minus_confidence_with_a_poisson_binomial_interval():
    rng = np.random.default_rng(4)
    conf = rng.uniform(0.7, 1.0, 250)
    est = expected_error(conf, level=0.9)
    assert est.estimate == pytest.approx(np.mean(1 - conf))
    cdf = stats.poisson_binom.cdf(np.arange(251), 1 - conf)
    lo, hi = int(np.argmax(cdf >= 0.05)), int(np.argmax(cdf >= 0.95))
    assert est.interval == pytest.approx((lo / 250, hi / 250))
    assert np.allclose(np.cumsum(poisson_binomial_pmf(1 - conf)), cdf, atol=1e-12)
    assert "calibrated" in est.assumption and "calibrated" in str(est)
    # hand-worked: two items at 0.5 -> 0, 1 or 2 errors w.p. 1/4, 1/2, 1/4
    assert np.allclose(poisson_binomial_pmf(np.array([0.5, 0.5])), [0.25, 0.5, 0.25])
    assert expected_error([0.5, 0.5], level=0.9).interval == (0.0, 1.0)  # 5% tails: 0 and 2
    assert expected_error([0.5, 0.5], level=0.5).interval == (0.0, 0.5)  # 25% tails: 0 and 1
    with pytest.raises(ValueError, match="outside"):
        expected_error([1.2])


# -- alerts ---------------------------------------------------------------------------------
def test_alerts_fire_once_per_run_of_persist_windows_and_call_back_once_each():
    figs = pd.DataFrame(
        {
            "window_start": pd.date_range("2026-01-01", periods=8, freq="D", tz="UTC"),
            "audit_error_upper": [0.1, 0.1, 0.01, 0.1, 0.1, 0.1, 0.1, np.nan],
            "auto_share": [0.9] * 8,
        }
    )
    calls = []
    out = alerts(figs, ["audit_error_upper > 0.05", "auto_share<=0.5"], persist=2, callback=calls.append)
    assert out["row"].tolist() == [1, 4]  # run 0-1 fires at 1; run 3-6 fires once, at 4
    assert [c["row"] for c in calls] == [1, 4] and calls[0]["rule"] == "audit_error_upper > 0.05"
    assert out["window_start"].iloc[1] == figs["window_start"].iloc[4]
    assert alerts(figs, "audit_error_upper >= 0.1", persist=1)["row"].tolist() == [0, 3]
    assert alerts(figs, "audit_error_upper > 0.05", persist=5).empty


@pytest.mark.parametrize(
    ("rule", "match"),
    [
        ("__import__('os')", "not of the form"),
        ("audit_error_upper > 0.05 or 1", "not of the form"),
        ("error_rate > 0.05", "unknown metric 'error_rate'"),
        ("audit_error_upper == 0.05", "not of the form"),
        ("audit_error_upper > 1e-2", "not of the form"),
        (42, "must be text"),
    ],
)
def test_a_rule_outside_the_grammar_is_refused(rule, match):
    with pytest.raises(ValueError, match=match):
        parse_rule(rule)
    with pytest.raises(ValueError, match=match):
        alerts(pd.DataFrame({"audit_error_upper": [0.1]}), [rule])


def test_parse_rule_reads_each_operator():
    assert parse_rule(" running_low >= .05 ").value == 0.05
    for op in (">", ">=", "<", "<="):
        assert parse_rule(f"auto_share {op} 0.5").op == op
    with pytest.raises(ValueError, match="persist must be"):
        alerts(pd.DataFrame({"auto_share": [0.1]}), "auto_share < 0.5", persist=0)
    with pytest.raises(ValueError, match="no column 'running_low'"):
        alerts(pd.DataFrame({"auto_share": [0.1]}), "running_low > 0.05")


# -- the Monitor ----------------------------------------------------------------------------
def test_monitor_ties_the_figures_together_and_reports_them(tmp_path):
    store, res, _, _ = audited_store(tmp_path, {0: 0.0, 1: 0.4, 2: 0.4})
    m = Monitor(store, task="t", window="1D", target_error=0.05, alpha=0.05)
    f = m.audit_error()
    assert f.equals(audit_error(store, "t", window="1D", alpha=0.05, target_error=0.05))
    calls = []
    fired = m.alerts("alarm > 0", callback=calls.append)
    assert len(fired) == len(calls) == 1  # one run of alarm windows, one firing
    auto = res.frame.loc[res.frame["route"] == "auto", "confidence"]
    assert m.expected_error().estimate == pytest.approx((1 - auto).mean())
    d = m.drift(reference=(None, DAY0), current=res.frame.rename(columns={"confidence": "model_confidence"}))
    assert d.set_index("test").loc["confidence KS", "statistic"] == pytest.approx(0.0)
    fig = m.report(rules=["audit_error_upper > 0.3"])
    names = [t.name for t in fig.data]
    for expected in (
        "Clopper-Pearson",
        "confidence sequence",
        "running error",
        "target error",
        "alarm",
        "alerts",
        "auto-accepted share",
    ):
        assert any(n and expected in n for n in names), (expected, names)
    bars = next(t for t in fig.data if t.name == "auto-accepted share")
    assert np.allclose(np.asarray(bars.y, dtype=float), f["auto_share"].to_numpy(dtype=float), equal_nan=True)
    with pytest.raises(ValueError, match="target_error must be in"):
        Monitor(store, target_error=2)
    with pytest.raises(ValueError, match="window='W' is not a fixed length"):
        Monitor(store, window="W")
    with pytest.raises(ValueError, match="reference must be a DataFrame or a"):
        m.drift(reference="last week", current=(DAY0, None))


# -- the pause switch -----------------------------------------------------------------------
def test_a_pause_sends_every_item_to_a_person_in_every_process_until_resumed(tmp_path):
    from hitl_widgets import Gate
    from hitl_widgets.monitor import Monitor, pause, pause_state

    path = str(tmp_path / "switch.db")
    df = pd.DataFrame(
        {"id": [f"i{k}" for k in range(50)], "pred": "ok", "confidence": np.linspace(0.9, 1, 50)}
    )
    router = Router(LABELS, thresholds=0.5)
    assert (router.route(df, id="id", store=path, task="t").frame["route"] == "auto").all()
    m = Monitor(path, task="t")
    assert not m.paused
    with pytest.raises(ValueError, match="why: say why"):
        m.pause(by="ana", why=" ")
    state = m.pause(by="ana", why="confidence drift since Monday")
    assert state.paused and state.by == "ana"
    # another process: a fresh Store on the same file sees it
    other = Store(path)
    seen = pause_state(other, "t")
    assert seen.paused and seen.why == "confidence drift since Monday" and seen.at == state.at
    res = router.route(df.assign(id=[f"j{k}" for k in range(50)]), id="id", store=other, task="t")
    assert (res.frame["route"] == "review").all()
    assert all(r[0].startswith("automation paused by ana at ") for r in res.frame["reasons"])
    assert (res.frame["review_probability"] == 1).all()
    assert not pause_state(other, "other-task")  # another task runs on
    # the agent gate holds every call while paused, within its check interval
    gate = Gate(other, "t", thresholds=0.5, poll=0.01)
    gate.pause_check = 0.0
    call = gate.route("pay", {"claim_id": "c1", "amount": 1.0}, confidence=0.99).call
    assert call.reasons and call.reasons[0].startswith("automation paused by ana")
    m.resume(by="ben", why="new model calibrated")
    assert not pause_state(other, "t")
    assert (
        router.route(df.assign(id=[f"k{k}" for k in range(50)]), id="id", store=other, task="t").frame[
            "route"
        ]
        == "auto"
    ).all()
    call2 = gate.route("pay", {"claim_id": "c2", "amount": 1.0}, confidence=0.99).call
    assert not call2.reasons
    # every switch is logged (who, when, why) and none is a decision
    log = other.events("t")
    switches = log[log["action"].isin(["pause", "resume"])]
    assert list(switches["action"]) == ["pause", "resume"]
    assert list(switches["annotator"]) == ["ana", "ben"]
    assert "(automation)" not in set(other.decisions("t")["item_id"])
    # pausing every task ("*") reaches this one too
    pause(other, "*", by="ops", why="incident")
    assert pause_state(other, "t").by == "ops"
    other.close()


def test_a_pause_on_postgresql_reaches_another_connection(postgres_url):
    from hitl_widgets.monitor import pause, pause_state, resume

    writer, reader = Store(postgres_url), Store(postgres_url)
    df = pd.DataFrame({"id": ["a", "b"], "pred": "ok", "confidence": [0.99, 0.98]})
    Router(LABELS, thresholds=0.5).route(df, id="id", store=writer, task="t")
    assert not pause_state(reader, "t")
    pause(writer, "t", by="ana", why="drift")
    res = Router(LABELS, thresholds=0.5).route(df.assign(id=["c", "d"]), id="id", store=reader, task="t")
    assert (res.frame["route"] == "review").all()
    resume(reader, "t", by="ana")
    assert not pause_state(writer, "t")
    writer.close()
    reader.close()


# -- false alarms and delay of the drift checks ---------------------------------------------
def source(rng: np.random.Generator, n: int, switched: bool = False) -> pd.DataFrame:
    """`n` routed items of one source: the model's confidence and predicted label. The
    switched source is less confident and predicts another label mix."""
    conf = rng.beta(5, 2, n) if switched else rng.beta(9, 1, n)
    mix = [0.3, 0.3, 0.4] if switched else [0.6, 0.3, 0.1]
    return pd.DataFrame({"model_confidence": conf, "model_label": rng.choice(list("abc"), n, p=mix)})


def test_drift_alarms_hold_their_level_on_one_source_and_fire_soon_after_a_switch(tmp_path):
    alpha = 0.05
    rng = np.random.default_rng(21)
    # random splits of one unchanged source: the confidence KS and the label chi-square
    # are exchangeable under a random split, so each fires with chance about alpha
    pool = source(rng, 600)
    splits = 200
    fired = {"confidence KS": 0, "label chi-square": 0, "either": 0}
    for _ in range(splits):
        order = rng.permutation(len(pool))
        out = drift(pool.iloc[order[:300]], pool.iloc[order[300:]]).set_index("test")["p_value"]
        ks, chi = out["confidence KS"] < alpha, out["label chi-square"] < alpha
        fired["confidence KS"] += bool(ks)
        fired["label chi-square"] += bool(chi)
        fired["either"] += bool(ks or chi)
    for test in ("confidence KS", "label chi-square"):
        assert fired[test] / splits <= tolerance(alpha, splits), (test, fired)
    assert fired["either"] / splits <= tolerance(2 * alpha, splits), fired  # two tests: at most 2 alpha
    # the embeddings' MMD (a permutation test, slow): a few splits only
    emb = rng.normal(size=(120, 4))
    mmd_fired = 0
    for i in range(20):
        order = rng.permutation(len(emb))
        ref = pd.DataFrame({"embedding": list(emb[order[:60]])})
        cur = pd.DataFrame({"embedding": list(emb[order[60:]])})
        row = drift(ref, cur, n_permutations=99, seed=i).set_index("test").loc["embedding MMD"]
        mmd_fired += row["p_value"] <= alpha
    assert mmd_fired / 20 <= tolerance(alpha, 20)
    print(f"false alarms over {splits} splits: {fired}; MMD {mmd_fired} of 20")

    # a stream routed into a store whose source switches after item 2,000: a windowed check
    # (the last 200 routed items against the first 400, every 20 items) fires after the
    # switch, never before it, and within a window of items
    switch_at, window, step, ref_n = 2000, 200, 20, 400
    stream = pd.concat([source(rng, switch_at), source(rng, 1000, switched=True)], ignore_index=True)
    stream = stream.rename(columns={"model_confidence": "confidence", "model_label": "pred"})
    stream.insert(0, "id", [f"s{k}" for k in range(len(stream))])
    store = Store(tmp_path / "switch.db")
    router = Router(list("abc"), thresholds=0.8, audit_rate=0.05, seed=4)
    for start in range(0, len(stream), 500):  # batches, as a live router writes them
        router.route(stream.iloc[start : start + 500], id="id", store=store, task="t")
    m = Monitor(store, task="t")
    seen = m._routed()  # route order
    assert list(seen["item_id"]) == list(stream["id"])
    reference = seen.iloc[:ref_n]
    # a look every `step` items: 80 looks before the switch, so each look at alpha / 100
    per_look = alpha / 100
    alarm_at = None
    for end in range(ref_n + window, len(seen) + 1, step):
        p = m.drift(reference, seen.iloc[end - window : end]).set_index("test")["p_value"]
        if min(p["confidence KS"], p["label chi-square"]) < per_look:
            alarm_at = end
            break
    assert alarm_at is not None, "no alarm on the switched stream"
    assert alarm_at > switch_at, f"false alarm at item {alarm_at}, before the switch at {switch_at}"
    delay = alarm_at - switch_at
    print(f"drift alarm {delay} items after the switch (window {window}, a look every {step})")
    assert 0 < delay <= window
    # the same check at one alpha-level look on the whole stream after the switch: strong evidence
    after = m.drift(reference, seen.iloc[switch_at:]).set_index("test")["p_value"]
    assert after["confidence KS"] < 1e-6 and after["label chi-square"] < 1e-6
    store.close()


@pytest.mark.parametrize("n, seed", [(25_000, 0), (60_000, 1)])
def test_expected_errors_interval_of_many_items_is_the_exact_one_within_a_count_or_two(n, seed):
    """Above EXACT_UP_TO items the interval comes from the refined normal approximation
    (the exact pmf of 400,000 items cost 0.75 s at every refresh of the live monitor): its
    quantiles equal the exact Poisson-binomial ones within two counts."""
    from hitl_widgets.monitor import stats as monitor_stats

    rng = np.random.default_rng(seed)
    conf = np.clip(rng.beta(12, 1.2, n), 0, 1)  # confident, uneven: a skewed count
    got = monitor_stats.expected_error(conf, level=0.95)
    cdf = np.cumsum(monitor_stats.poisson_binomial_pmf(1 - conf))
    exact = [int(np.searchsorted(cdf, q - 1e-12, side="left")) for q in (0.025, 0.975)]
    assert n > monitor_stats.EXACT_UP_TO
    assert abs(got.interval[0] * n - exact[0]) <= 2 and abs(got.interval[1] * n - exact[1]) <= 2, (got, exact)
    assert got.estimate == pytest.approx(float(np.mean(1 - conf)))
