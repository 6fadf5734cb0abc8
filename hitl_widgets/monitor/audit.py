"""The audited error of the auto-accepted items, window by window and running."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..routing.calibration import _compare_labels, clopper_pearson
from ..routing.router import routed as _read_routed
from ..routing.weighted import _DECIDED
from ..store import Store, using_store
from .stats import _check_level, _check_prior, beta_mixture_cs

#: the columns of `audit_error`'s frame, in order
COLUMNS = [
    "window_start",
    "window_end",
    "audits",
    "errors",
    "audit_error",
    "audit_error_low",
    "audit_error_upper",
    "running_audits",
    "running_errors",
    "running_error",
    "running_low",
    "running_upper",
    "alarm",
    "routed",
    "auto_accepted",
    "auto_share",
    "expected_error",
]


def audits(
    store: Store | str,
    task: str | None = "routing",
    routed: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The decided audits of `task`, in the order their decisions were made: item_id,
    model_label, human_label, model_confidence, routed_at, decided_at, wrong.

    An audit is an item the router accepted and drew at random for a person to check
    (route events with ``audit`` True), joined with the latest decision on it in the same
    task, as `hitl_widgets.routing.audit_estimate` does; a flagged audit (no label)
    counts as an error. Audits not decided yet are left out (they are not evidence yet).

    With review probabilities (``Router(review_budget=, review_floor=)``) the audits are the
    items drawn at random at the floor probability: a uniform sample of the level every
    unreviewed item belongs to, so their plain error rate is the weighted estimate of the
    error of what went through (each weight 1 / floor). Routes with more than one floor
    (several randomised routers in one task) would need unequal weights: refused, pointing
    to ``audit_estimate(store, audit="propensity")``.

    `routed` / `decisions`: the task's frames already read (``routing.routed(store, task)``
    and ``store.decisions(task)``), so that a caller reading them once (the monitor) does
    not have them read again; each is read from the store when not given."""
    if routed is None or decisions is None:
        with using_store(store, create=False) as st:
            r = _read_routed(st, task) if routed is None else routed
            d = st.decisions(task) if decisions is None else decisions
    else:
        r, d = routed, decisions
    cols = ["item_id", "model_label", "human_label", "model_confidence", "routed_at", "decided_at", "wrong"]
    p = r["review_probability"] if len(r) else pd.Series(dtype=float)
    drawn = (r["route"] == "review") & (p > 0) & (p < 1) & ~r["audit"] if len(r) else pd.Series(dtype=bool)
    if drawn.any():
        floors = sorted(set(p[drawn].round(12)))
        if len(floors) > 1:
            raise ValueError(
                f"the routes{'' if task is None else f' of task {task!r}'} drew items for review with "
                f"{len(floors)} different probabilities ({', '.join(f'{f:g}' for f in floors[:5])}): their "
                "errors need unequal weights; use audit_estimate(store, audit='propensity'), or one task "
                "per router"
            )
    sampled = (r["audit"] | drawn) if len(r) else pd.Series(dtype=bool)
    if not len(r) or not sampled.any():
        return pd.DataFrame(columns=cols)
    d = d[d["status"].isin(_DECIDED)]
    # the latest decision per item; ties (two annotators in the same millisecond) broken
    # by annotator and content, so that any row order of the same decisions agrees
    ties = [c for c in ("annotator", "content_hash") if c in d.columns]
    d = d.sort_values(["decided_at", *ties], kind="stable").drop_duplicates(["task", "item_id"], keep="last")
    keep = ["task", "item_id", "model_label", "model_confidence", "routed_at"]  # (not every column)
    a = r.loc[sampled, keep].merge(
        d[["task", "item_id", "human_label", "decided_at"]], on=["task", "item_id"]
    )
    _, wrong = _compare_labels(a["model_label"], a["human_label"], "model_label", "human_label")
    a = a.assign(wrong=wrong.astype(bool))
    return a.sort_values("decided_at", kind="stable")[cols].reset_index(drop=True)


def utc_time(value: Any, argument: str) -> pd.Timestamp:
    """A time given as text, a datetime or a Timestamp, in UTC (naive times are read as
    UTC); ValueError naming `argument` otherwise."""
    try:
        t: Any = pd.Timestamp(value)
    except (ValueError, TypeError):
        t = None
    if not isinstance(t, pd.Timestamp) or pd.isna(t):  # (pd.Timestamp(None) is NaT)
        raise ValueError(f"{argument}={value!r} is not a time (e.g. '2026-01-31' or a Timestamp)")
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _utc_naive(times: pd.Series) -> pd.DatetimeIndex:
    """Times as naive UTC: pandas ignores ``origin="epoch"`` for day frequencies on
    zone-aware times, and every series must be cut on one grid."""
    idx = pd.DatetimeIndex(times)
    return idx.tz_convert("UTC").tz_localize(None) if idx.tz is not None else idx


def _window_offset(window: Any) -> pd.offsets.BaseOffset:
    """The window as a fixed length (days, hours, minutes...): calendar windows (weeks,
    months) are refused, their bins are labelled at either end depending on the kind."""
    try:
        off = pd.tseries.frequencies.to_offset(window)
    except (ValueError, TypeError):
        off = None
    if off is None or not isinstance(off, (pd.offsets.Tick, pd.offsets.Day)) or off.n <= 0:
        raise ValueError(
            f"window={window!r} is not a fixed length such as '1D', '7D', '6h' or '30min' "
            "(for weeks, use '7D')"
        )
    return off


def _windows(times: list[pd.Series], window: str) -> pd.DatetimeIndex:
    """The start of every window from the first time to the last, on one grid for all the
    series (counted from the Unix epoch, so that a later call gives the same windows)."""
    stamps = pd.concat([t for t in times if len(t)], ignore_index=True)
    grid = pd.Series(0, index=_utc_naive(stamps)).resample(window, origin="epoch").sum()
    return pd.DatetimeIndex(grid.index)  # naive UTC; `audit_error` puts the zone back


def _count(times: pd.Series, values: pd.Series, grid: pd.DatetimeIndex, window: str, how: str) -> np.ndarray:
    """`values` summed (or averaged: how="mean") per window of `grid`, by `times`."""
    if not len(times):
        return np.full(len(grid), 0.0 if how == "sum" else np.nan)
    s = pd.Series(values.to_numpy(dtype=float), index=_utc_naive(times))
    agg = s.resample(window, origin="epoch").agg(how)
    return agg.reindex(grid).to_numpy(dtype=float, na_value=0.0 if how == "sum" else np.nan)


def audit_error(
    store: Store | str,
    task: str | None = "routing",
    *,
    window: str = "1D",
    alpha: float = 0.05,
    target_error: float = 0.05,
    confidence_seq_prior: tuple[float, float] | None = None,
    since: Any = None,
    routed: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The error among the auto-accepted items of `task`, from their audits, per window.

    Windows (a fixed length: ``"1D"``, ``"7D"``, ``"6h"``; cut from the Unix epoch, in UTC)
    count audits by the time their **decision** was made: that is when the evidence
    arrives, so a closed window is never revised by a late review, and the running figures are exactly what an overseer watching
    then would have seen. Per window: ``audits``, ``errors``, ``audit_error`` and its
    Clopper-Pearson interval at 1 - alpha (``audit_error_low`` / ``audit_error_upper``;
    NaN without audits), valid for *one* look at that window. Running (every audit up to
    the window's end): ``running_*`` with the anytime-valid confidence sequence
    (`beta_mixture_cs`), which may be watched after every window, and ``alarm`` = its lower
    end is above `target_error`: a sequential alarm whose false-alarm chance, however long
    it is watched, is at most alpha (when the error rate is constant and at most the
    target: the alarm then means the sequence missed the true rate).

    The confidence sequence assumes one constant error rate; after a known change (a new
    model, new thresholds) restart it with ``since=`` (a time: audits decided before it are
    left out). `confidence_seq_prior` is its Beta(a, b) mixture; default one centred on
    `target_error` worth 10 audits, which is narrowest near the target (any prior fixed in
    advance keeps the guarantee).

    The routed items are counted per window by the time they were routed: ``routed``,
    ``auto_accepted`` (went through with no person), ``auto_share``, and
    ``expected_error`` (mean of 1 - confidence over the auto-accepted: see
    `expected_error`).

    `routed` / `decisions`: the task's frames already read (``routing.routed(store, task)``
    and ``store.decisions(task)``); read from the store when not given (each once).
    """
    alpha = _check_level(alpha)
    target = _check_level(target_error, "target_error")
    offset = _window_offset(window)
    prior = (10 * target, 10 * (1 - target)) if confidence_seq_prior is None else confidence_seq_prior
    prior = _check_prior(prior)
    if routed is None or decisions is None:
        with using_store(store, create=False) as st:
            r = _read_routed(st, task) if routed is None else routed
            d = st.decisions(task) if decisions is None else decisions
    else:
        r, d = routed, decisions
    a = audits(store, task, routed=r, decisions=d)
    where = "" if task is None else f" of task {task!r}"
    if not len(r):
        raise ValueError(f"no route events{where}: route items with Router.route(..., store=) first")
    p = r["review_probability"]
    if not (r["audit"] | ((r["route"] == "review") & (p > 0) & (p < 1))).any():
        raise ValueError(
            f"no audits{where}: route with Router(..., audit_rate=...) or Router(..., "
            "review_budget=..., review_floor=...) so that some accepted items are drawn for a "
            "person to check"
        )
    if since is not None:
        start = utc_time(since, "since")
        a = a[a["decided_at"] >= start]
        r = r[r["routed_at"] >= start]
    if not len(r) and not len(a):
        return pd.DataFrame(columns=COLUMNS)  # nothing since the restart yet
    auto = r.loc[r["auto"], ["routed_at", "model_confidence"]]
    grid = _windows([r["routed_at"], a["decided_at"]], window)
    n = _count(a["decided_at"], pd.Series(np.ones(len(a))), grid, window, "sum").astype(int)
    k = _count(a["decided_at"], a["wrong"].astype(float), grid, window, "sum").astype(int)
    routed_n = _count(r["routed_at"], pd.Series(np.ones(len(r))), grid, window, "sum").astype(int)
    auto_n = _count(auto["routed_at"], pd.Series(np.ones(len(auto))), grid, window, "sum").astype(int)
    conf = pd.to_numeric(auto["model_confidence"], errors="coerce")
    expected = _count(auto["routed_at"], 1.0 - conf, grid, window, "mean")
    cp = [
        clopper_pearson(int(ki), int(ni), 1 - alpha) if ni else (np.nan, np.nan)
        for ki, ni in zip(k, n, strict=True)
    ]
    run_n, run_k = np.cumsum(n), np.cumsum(k)
    cs = [beta_mixture_cs(int(ki), int(ni), alpha, prior) for ki, ni in zip(run_k, run_n, strict=True)]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "window_start": grid.tz_localize("UTC"),
                "window_end": (grid + offset).tz_localize("UTC"),
                "audits": n,
                "errors": k,
                "audit_error": np.where(n > 0, k / np.maximum(n, 1), np.nan),
                "audit_error_low": [c[0] for c in cp],
                "audit_error_upper": [c[1] for c in cp],
                "running_audits": run_n,
                "running_errors": run_k,
                "running_error": np.where(run_n > 0, run_k / np.maximum(run_n, 1), np.nan),
                "running_low": [c[0] for c in cs],
                "running_upper": [c[1] for c in cs],
                "routed": routed_n,
                "auto_accepted": auto_n,
                "auto_share": np.where(routed_n > 0, auto_n / np.maximum(routed_n, 1), np.nan),
                "expected_error": expected,
            }
        )
    out["alarm"] = out["running_low"] > target
    return out[COLUMNS]
