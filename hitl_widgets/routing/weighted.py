"""Calibration and audit estimates from every review, counted with its review probability.

``calibrate(..., sample="propensity")`` and ``audit_estimate(..., audit="propensity")`` land
here. The input is every routed item in route order (reviewed or not) with its known review
probability; the statistics are in `hitl_widgets.routing.propensity`.

The threshold is chosen by Learn-then-Test as in `calibrate`: a descending grid of thresholds
placed on the routed items' confidences (no labels), tested in fixed sequence, the answer the
lowest one rejected before the first failure. Each threshold's p-value comes from

* the exact test by level of review probability, when the probabilities come in levels with
  at most one reviewed in part (a randomised `Router`, or thresholds with an audit rate); the
  grid starts where about `default_start` of the items reviewed as a sample pass, as
  `calibrate`'s own grid does, but at least 3 m0 of them;
* otherwise the betting e-process over all routed items (anytime-valid); where its grid
  starts is chosen on a ``tune`` share of the routed items set aside at random (their
  reviews predict which threshold has the most evidence; only the other items are tested).

A reviewed item whose decision is still pending counts as an error (conservative: the bound
never waits for the easy ones); the result says how many there were.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..store import Store, using_store
from .calibration import (
    _LABEL_NAMES,
    AuditEstimate,
    CalibrationResult,
    FixedSequence,
    InsufficientSampleError,
    _compare_labels,
    _fmt_pct,
    _pick,
    default_start,
    min_accepted_to_pass,
)
from .propensity import (
    BET_CAP,
    WeightedSample,
    _counts,
    _exact_pvalue,
    betting_interval,
    betting_pvalues,
    floor_needed,
    items_needed,
    stratifiable,
    stratified_error_bounds,
    stratified_pvalues,
)

_PROB_NAMES = ("review_probability", "propensity")
_DECIDED = ["accepted", "corrected", "flagged", "rejected", "edited", "answered"]


@dataclass
class _Routed:
    """Every routed item, in route order."""

    confidence: np.ndarray
    pred: np.ndarray
    reviewed: np.ndarray
    wrong: np.ndarray
    probability: np.ndarray
    pending: int
    source: str


def _check_probabilities(p: np.ndarray, auto: np.ndarray, where: str, index: Any) -> None:
    bad = np.isnan(p) | (p < 0) | (p > 1)
    if bad.any():
        rows = np.asarray(index)[bad][:5].tolist()
        raise ValueError(
            f"{where}: review probabilities missing or outside [0, 1] for {int(bad.sum()):,} routed "
            f"items (first: {rows!r}); routes stored before review probabilities were can be "
            "calibrated with sample='audits'"
        )
    zero = (p <= 0) & auto
    if zero.any():
        raise ValueError(
            f"{where}: {int(zero.sum()):,} items went through unreviewed with review probability 0 "
            f"(first: {np.asarray(index)[zero][:5].tolist()!r}): nothing can count for them, so no "
            "weighted bound covers them. Route with Router(..., review_budget=..., "
            "review_floor=...) so that every item has a chance of review, or calibrate with "
            "sample='audits'"
        )


def _from_store(store: Store, task: str | None) -> _Routed:
    from .router import routed

    r = routed(store, task)
    if not len(r):
        raise ValueError(
            f"no route events{'' if task is None else f' in task {task!r}'} in store "
            f"{store.target!r}: route items with Router.route(..., store=) first"
        )
    p = r["review_probability"].to_numpy(dtype=float)
    _check_probabilities(p, r["auto"].to_numpy(bool), f"task {task!r}", r["item_id"])
    d = store.decisions(task)
    d = d[d["status"].isin(_DECIDED)]
    d = d.sort_values("decided_at").drop_duplicates(["task", "item_id"], keep="last")
    m = r.merge(d[["task", "item_id", "human_label"]], on=["task", "item_id"], how="left", indicator=True)
    # sent to a person, or let through and audited after the fact (an agent gate's audits)
    reviewed = (m["route"] == "review").to_numpy() | m["audit"].to_numpy(dtype=bool)
    decided = (m["_merge"] == "both").to_numpy()
    pred, wrong = _compare_labels(m["model_label"], m["human_label"], "model_label", "human_label")
    pending = reviewed & ~decided
    wrong = reviewed & (wrong.astype(bool) | pending)
    return _Routed(
        m["model_confidence"].to_numpy(dtype=float),
        pred.astype(str),
        reviewed,
        wrong,
        p,
        int(pending.sum()),
        f"task {task!r}",
    )


def _from_frame(
    df: pd.DataFrame,
    confidence: Hashable | None,
    pred: Hashable | None,
    label: Hashable | None,
    propensity: Hashable | None,
    need_confidence: bool = True,
) -> _Routed:
    from .calibration import _CONF_NAMES, _PRED_NAMES

    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"takes a DataFrame of routed items or a Store, got {type(df).__name__}")
    p_col = _pick(df, pred, _PRED_NAMES, "pred")
    l_col = _pick(df, label, _LABEL_NAMES, "label")
    q_col = _pick(df, propensity, _PROB_NAMES, "propensity")
    if need_confidence:
        c_col: Hashable = _pick(df, confidence, _CONF_NAMES, "confidence")
        conf = pd.to_numeric(df[c_col], errors="coerce").to_numpy(dtype=float)
    else:  # the audit estimate does not look at confidences
        c_col, conf = "confidence", np.ones(len(df))
    bad = np.isnan(conf) | (conf < 0) | (conf > 1)
    if bad.any():
        raise ValueError(
            f"confidence={c_col!r}: values missing or outside [0, 1] in rows {list(df.index[bad][:5])!r}"
        )
    if df[p_col].isna().any():
        raise ValueError(
            f"pred={p_col!r}: missing model labels in rows {list(df.index[df[p_col].isna().to_numpy()][:5])!r}"
        )
    if "route" in df.columns:
        reviewed = (df["route"].astype(str) == "review").to_numpy()
    else:
        reviewed = df[l_col].notna().to_numpy()
    p = pd.to_numeric(df[q_col], errors="coerce").to_numpy(dtype=float)
    _check_probabilities(p, ~reviewed, f"propensity={q_col!r}", df.index)
    predv, wrong = _compare_labels(df[p_col], df[l_col], p_col, l_col)
    return _Routed(
        conf,
        predv.astype(str),
        reviewed,
        reviewed & wrong.astype(bool),
        p,
        int((reviewed & df[l_col].isna().to_numpy()).sum()),
        f"{len(df):,} routed rows",
    )


def read_routed(
    data: Any,
    *,
    task: str | None,
    confidence: Hashable | None = None,
    pred: Hashable | None = None,
    label: Hashable | None = None,
    propensity: Hashable | None = None,
    need_confidence: bool = True,
) -> _Routed:
    if isinstance(data, (Store, str)) and not isinstance(data, pd.DataFrame):
        with using_store(data, create=False) as st:
            return _from_store(st, task)
    return _from_frame(data, confidence, pred, label, propensity, need_confidence)


# -- calibration ---------------------------------------------------------------------------
def _coverage_grid(conf: np.ndarray, step: float) -> np.ndarray:
    """Descending thresholds at coverage steps of the routed items' confidences (no labels)."""
    ref = np.sort(conf)[::-1]
    covs = np.arange(step, 1.0 + 1e-12, step)
    idx = np.clip(np.ceil(covs * ref.size).astype(int) - 1, 0, ref.size - 1)
    g = ref[idx]
    _, first = np.unique(-g, return_index=True)
    return g[np.sort(first)]


def _predicted_evidence(
    tune: WeightedSample, grid: np.ndarray, n_test_above: np.ndarray, alpha: float, stratified: bool
) -> np.ndarray:
    """For each threshold: the log-evidence the tested items are expected to reach, from the
    set-aside items above it (their counts scaled up to the tested items' for the stratified
    bound; the growth of the best constant bet for the betting one)."""
    if stratified:
        out_s = np.full(grid.size, -np.inf)
        for j, t in enumerate(grid):
            above = tune.confidence >= t
            if above.sum() < 5:
                continue
            scale = n_test_above[j] / above.sum()
            big_n, n, k = _counts(tune, above)
            pv = _exact_pvalue(np.round(big_n * scale), np.round(n * scale), np.round(k * scale), alpha)
            out_s[j] = -math.log(max(pv, 1e-300))
        return out_s
    top = 1.0 / tune.floor if tune.probability.size else 1.0
    lams = np.linspace(0.0, BET_CAP / max(top - alpha, 1e-12), 21)[1:]
    x = tune.weighted
    out = np.full(grid.size, -np.inf)
    for j, t in enumerate(grid):
        above = tune.confidence >= t
        if above.sum() < 5:
            continue
        loss = x[above] - alpha
        growth = np.log1p(-lams[:, None] * loss[None, :]).mean(axis=1).max()
        share = above.mean()
        out[j] = growth * n_test_above[j] if share > 0 else -np.inf
    return out


def calibrate_weighted(
    data: Any,
    *,
    alpha: float,
    delta: float,
    per_label: bool,
    confidence: Hashable | None,
    pred: Hashable | None,
    label: Hashable | None,
    propensity: Hashable | None,
    grid: Any,
    tune: float | None,
    step: float | None,
    task: str | None,
    seed: int,
) -> CalibrationResult:
    """`calibrate` with ``sample="propensity"`` (see the module's docstring)."""
    from .calibration import _explicit_grid

    rt = read_routed(data, task=task, confidence=confidence, pred=pred, label=label, propensity=propensity)
    n = rt.confidence.size
    stratified = stratifiable(WeightedSample(rt.confidence, rt.reviewed, rt.wrong, rt.probability))
    step = 0.01 if step is None else float(step)
    explicit = _explicit_grid(grid)
    rng = np.random.default_rng(seed)
    if tune is None:  # the exact test needs no share set aside; the betting one does
        tune = 0.0 if stratified else 0.2
    set_aside = rng.random(n) < tune if (tune > 0 and explicit is None) else np.zeros(n, bool)
    groups: list[tuple[str | None, np.ndarray]]
    if per_label:
        groups = [(lab, rt.pred == lab) for lab in sorted(set(rt.pred.tolist()))]
        level = delta / max(len(groups), 1)
    else:
        groups = [(None, np.ones(n, bool))]
        level = delta
    thresholds: dict[str, float | None] = {}
    runs: dict[str, FixedSequence] = {}
    curves: list[pd.DataFrame] = []
    refusals: list[str] = []
    for lab, m in groups:
        key = "*" if lab is None else lab
        test = m & ~set_aside
        smp = WeightedSample(rt.confidence[test], rt.reviewed[test], rt.wrong[test], rt.probability[test])
        g = explicit if explicit is not None else _coverage_grid(rt.confidence[m], step)
        above = np.searchsorted(-np.sort(smp.confidence)[::-1], -g, side="right")
        starts = [0]
        if explicit is None and len(g):
            tn = m & set_aside
            tune_smp = WeightedSample(rt.confidence[tn], rt.reviewed[tn], rt.wrong[tn], rt.probability[tn])
            evidence = _predicted_evidence(tune_smp, g, above, alpha, stratified) if tn.sum() >= 20 else None
            if evidence is not None and np.isfinite(evidence).any():
                starts = [int(np.nanargmax(evidence))]
            elif stratified:
                # where about `start_n` items reviewed as a sample pass: `calibrate`'s own
                # default, but at least 3 m0 (m0: the least error-free count that passes), so
                # that two or three errors among the most confident do not end the sequence
                rev_c = np.sort(smp.confidence[smp.reviewed & (smp.probability < 1)])[::-1]
                rev_above = np.searchsorted(-rev_c, -g, side="right")
                m0 = min_accepted_to_pass(alpha, level) or 1
                start_n = max(3 * m0, default_start(rev_c.size, alpha, level))
                ok = np.flatnonzero(rev_above >= start_n)
                starts = [int(ok[0]) if ok.size else len(g) - 1]
            else:  # start where enough items could pass with no error
                need = 2 * items_needed(alpha, level, smp.floor)
                ok = np.flatnonzero(above >= need)
                starts = [int(ok[0]) if ok.size else len(g) - 1]
        test_fn = stratified_pvalues if stratified else betting_pvalues
        each = level / len(starts)
        best: tuple[int, int, np.ndarray] | None = None  # (start, last rejected, p-values)
        for first in starts:
            pv_s = test_fn(smp, g[first:], alpha) if len(g[first:]) else np.zeros(0)
            fail = np.flatnonzero(pv_s > each)
            last_s = (fail[0] if fail.size else len(pv_s)) - 1
            if best is None or (last_s >= 0 and first + last_s > best[0] + best[1]):
                best = (first, last_s, pv_s)
        assert best is not None
        first, last, pv = best
        g, above = g[first:], above[first:]
        level_used = each
        chosen = None if last < 0 else int(last)
        errors = np.array([int((smp.wrong & (smp.confidence >= t)).sum()) for t in g])
        runs[key] = FixedSequence(g, above, errors, pv, int(smp.reviewed.sum()), alpha, level_used, chosen)
        thresholds[key] = None if chosen is None else float(g[chosen])
        est = np.array([smp.error_estimate(t) for t in g])
        curves.append(
            pd.DataFrame(
                {
                    "label": key,
                    "threshold": g,
                    "accepted": above,
                    "errors": errors,
                    "coverage": above / max(smp.confidence.size, 1),
                    "error": est,
                    "level": level_used,
                    "p_value": pv,
                    "rejected": np.arange(len(g)) <= (chosen if chosen is not None else -1),
                }
            )
        )
        if chosen is None:
            refusals.append(_why_not(smp, est, alpha, level, lab, stratified))
    if all(t is None for t in thresholds.values()):
        pending = f" ({rt.pending:,} reviews still pending counted as errors)" if rt.pending else ""
        raise InsufficientSampleError(
            " | ".join(refusals) + pending, n=int(rt.reviewed.sum()), needed=None, needed_zero_errors=None
        )
    acc = np.zeros(n, bool)
    for lab, m in groups:
        t = thresholds["*" if lab is None else lab]
        if t is not None:
            acc |= m & (rt.confidence >= t)
    whole = WeightedSample(rt.confidence, rt.reviewed, rt.wrong, rt.probability)
    err = float(whole.weighted[acc].sum() / acc.sum()) if acc.any() else 0.0
    if per_label:
        thr, labels_thr = None, thresholds
    else:
        thr = thresholds["*"]
        labels_thr = {lab: thr for lab in sorted(set(rt.pred.tolist()))}
    n_rev = int(rt.reviewed.sum())
    n_tune_rev = int((rt.reviewed & set_aside).sum())
    how = "exact test by level of review probability" if stratified else "weighted by 1 / review probability"
    source = f"every routed item of {rt.source}, {how}"
    if rt.pending:
        source += f" ({rt.pending:,} pending reviews counted as errors)"
    return CalibrationResult(
        alpha=alpha,
        delta=delta,
        threshold=thr,
        thresholds=labels_thr,
        coverage=float(acc.mean()) if n else 0.0,
        error=err,
        n=n_rev - n_tune_rev,
        n_tune=n_tune_rev,
        per_label=per_label,
        curve=pd.concat(curves, ignore_index=True),
        naive_threshold=_naive(whole, alpha),
        source=source,
        grid_from="confidences of the routed items",
        runs=runs,
        items=pd.DataFrame(
            {
                "confidence": rt.confidence,
                "pred": rt.pred,
                "reviewed": rt.reviewed,
                "wrong": rt.wrong,
                "review_probability": rt.probability,
            }
        ),
        routed=n,
        weighting=(
            "an exact test within each level of review probability"
            if stratified
            else "each weighted by 1 / its review probability, anytime-valid betting bound"
        ),
    )


def _naive(s: WeightedSample, alpha: float) -> float | None:
    """The empirical threshold on the weighted estimate (no guarantee)."""
    order = np.argsort(-s.confidence, kind="stable")
    c = s.confidence[order]
    cum = np.cumsum(s.weighted[order])
    m = np.arange(1, c.size + 1)
    last_of_tie = np.append(c[1:] != c[:-1], True) if c.size else np.zeros(0, bool)
    ok = (cum / m <= alpha) & last_of_tie
    return float(c[np.flatnonzero(ok)[-1]]) if ok.any() else None


def _why_not(
    s: WeightedSample, est: np.ndarray, alpha: float, level: float, label: str | None, stratified: bool
) -> str:
    """Why no threshold passed, and what would help."""
    from .calibration import min_accepted_to_pass

    where = "" if label is None else f" for label {label!r}"
    n = s.confidence.size
    floor = s.floor
    need = items_needed(alpha, level, floor)
    head = (
        f"cannot certify any threshold{where} from {int(s.reviewed.sum()):,} reviews of {n:,} "
        f"routed items at alpha={alpha:g}, delta={level:g}. "
    )
    sampled = s.probability < 1
    m0 = min_accepted_to_pass(alpha, level) or 1
    if stratified and sampled.any() and int((s.reviewed & sampled).sum()) < 2 * m0:
        # the exact test: what the floor level's reviews can show
        n_level = int(sampled.sum())
        got = int((s.reviewed & sampled).sum())
        f2 = min(1.0, 2 * m0 / max(n_level, 1))
        return head + (
            f"Of the {n_level:,} items reviewed with probability {floor:.3g}, {got:,} were "
            f"reviewed; even with no error among them the exact test needs at least {m0} above a "
            f"threshold (and the grid starts where about {2 * m0} pass). To fix it: raise "
            f"review_floor to about {f2:.3g}, or route more items."
        )
    if not stratified and n < need:
        f3 = floor_needed(alpha, level, n)
        better = f"raise review_floor to about {f3:.3g}" if f3 is not None else "raise review_floor"
        return head + (
            f"The smallest review probability is {floor:.3g}: an error found among the least "
            f"reviewed items weighs 1/{floor:.3g} = {1 / floor:,.0f}, and even with no error the "
            f"bound needs at least {need:,} routed items above the threshold. To fix it: "
            f"{better}, or route more items (the bound holds as they accumulate)."
        )
    best = float(np.nanmin(est)) if est.size and np.isfinite(est).any() else math.nan
    return head + (
        f"The weighted error estimate is {_fmt_pct(best) if math.isfinite(best) else 'unknown'} "
        "at best among the tested thresholds: too high or too uncertain. Review more items "
        "(a higher review_floor: more reviews among confident items tighten the bound most) "
        "or route more items and calibrate again"
        + (" (the bound is anytime-valid)." if not stratified else ".")
    )


# -- audit estimate ------------------------------------------------------------------------
def weighted_audit_estimate(
    data: Any,
    *,
    task: str | None,
    confidence: float,
    pred: Hashable | None = None,
    label: Hashable | None = None,
    propensity: Hashable | None = None,
) -> AuditEstimate:
    """The error of the outputs that went through with no person, from every review.

    The target is ``E[(1 - p) * wrong] / E[1 - p]``: the error rate of what goes through
    unreviewed, where each item goes through with probability ``1 - p``. Its numerator is
    estimated without bias by ``reviewed * wrong * (1 - p) / p`` (an error found on an item
    reviewed with probability p stands for ``(1 - p) / p`` unreviewed ones), its denominator
    is known exactly (the mean of ``1 - p``). The interval is anytime-valid (betting), for
    exchangeable routed items."""
    rt = read_routed(data, task=task, pred=pred, label=label, propensity=propensity, need_confidence=False)
    p = rt.probability
    through = float(np.mean(1.0 - p)) if p.size else 0.0
    y = np.where(rt.wrong, (1.0 - p) / np.maximum(p, 1e-300), 0.0)
    n_rev = int(rt.reviewed.sum())
    k = int(rt.wrong.sum())
    if p.size == 0 or through <= 0:
        return AuditEstimate(float("nan"), (0.0, 1.0), n_rev, k, float(confidence), method="weighted")
    est = float(y.mean() / through)
    smp = WeightedSample(rt.confidence, rt.reviewed, rt.wrong, p)
    if stratifiable(smp):
        # exact: the wrong items among those that went through are all in the one level
        # reviewed in part, whose reviews are a uniform random sample of it
        unreviewed = int((~rt.reviewed).sum())
        if unreviewed == 0:
            return AuditEstimate(float("nan"), (0.0, 1.0), n_rev, k, float(confidence), method="exact")
        low, high = stratified_error_bounds(smp, float(confidence))
        est = float(np.sum(y) / unreviewed)
        return AuditEstimate(
            min(est, 1.0), (low / unreviewed, high / unreviewed), n_rev, k, float(confidence), method="exact"
        )
    floor = float(p[p < 1].min()) if (p < 1).any() else 1.0
    top = (1.0 - floor) / floor
    lo, hi = betting_interval(y, top, float(confidence))
    return AuditEstimate(
        min(est, 1.0),
        (min(lo / through, 1.0), min(hi / through, 1.0)),
        n_rev,
        k,
        float(confidence),
        method="weighted",
    )
