"""Agreement, gold accuracy and fatigue straight from a review store.

The metrics of this package take a long DataFrame ``(item, annotator, label)``;
:func:`ratings` builds it from the event log, with what each rating was made under
(guideline version, the model's label, time on screen, gold answer). On top of it:

* :func:`gold_accuracy` - each annotator's share of right answers on gold items;
* :func:`fatigue` - per annotator and session: does the time per item grow, and does
  gold accuracy drop, over the session (with tests, and a boolean signal);
* :func:`agreement_report` - percent agreement, Fleiss' kappa, Krippendorff's alpha
  (nominal) and human-vs-model agreement, each with a bootstrap interval, split by
  guideline version (or any other column of :func:`ratings`).

>>> from hitl_widgets.metrics import ratings, agreement_report    # doctest: +SKIP
>>> agreement_report("team.db", task="pilot")                       # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..store import Store, open_store
from ..store.events import LABELLED_STATUSES
from ._data import UndefinedAgreementWarning
from .agreement import (
    fleiss_kappa,
    krippendorff_alpha,
    model_agreement,
    percent_agreement,
)
from .bootstrap import BootstrapCI, bootstrap_ci

__all__ = ["RATING_COLUMNS", "agreement_report", "fatigue", "gold_accuracy", "ratings"]

#: Columns of :func:`ratings`, in order.
RATING_COLUMNS = [
    "item",
    "annotator",
    "label",
    "guideline_version",
    "model_label",
    "duration_ms",
    "decided_at",
    "gold",
    "task",
    "session_id",
    "status",
    "content_hash",
]

# actions that decide an item (a person looked at it and said something about it)
_DECIDING = ("accept", "correct", "flag", "edit", "reject", "rate", "compare")


def _open(store: Any) -> tuple[Store, bool]:
    if isinstance(store, Store):
        return store, False
    return open_store(store), True


def _events(store: Any, task: str | None) -> pd.DataFrame:
    s, own = _open(store)
    try:
        ev = s.events(task)
    finally:
        if own:
            s.close()
    return ev[ev["action"] != "route"] if len(ev) else ev


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _gold_of(data: Any) -> str | None:
    if isinstance(data, dict):
        g = data.get("gold")
        return None if g is None else str(g)
    return None


def ratings(store: Any, task: str | None = None, guideline_version: str | None = None) -> pd.DataFrame:
    """Every human rating in a store as a long DataFrame for the agreement metrics.

    One row per item, annotator and guideline version: the annotator's latest decision
    on the item under that version (undo, re-decisions and skips folded as in
    ``Store.decisions()``: one fold), kept only when it carries a label (accepted,
    corrected, or a pair's choice; a flag without a label is not a rating). An item re-rated under a new guideline
    version keeps both ratings, one per version.

    Parameters
    ----------
    store:
        A :class:`~hitl_widgets.store.Store`, a SQLite path or a ``postgresql://`` URL.
    task:
        Only this review task (default: every task in the store).
    guideline_version:
        Only ratings made under this guideline version (e.g. ``"v2"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``item, annotator, label, guideline_version, model_label, duration_ms,
        decided_at, gold, task, session_id, status, content_hash`` (``gold`` is the
        known right label of a gold item, else None; ``model_label`` is recorded even
        in blind mode). Sorted by ``decided_at``.
    """
    s, own = _open(store)
    try:
        states = s.states(task)
        # every decision still in effect: the current state and those undo would restore
        chains = {k: [st, *st.stack()] for k, st in states.items()}
        events = s.events_by_id(sorted({p.verdict_id for c in chains.values() for p in c if p.verdict_id}))
    finally:
        if own:
            s.close()
    rows = []
    for (t, item_id, h, ann), chain in chains.items():
        seen: set[str] = set()
        for st in chain:  # the latest decision under each guideline version
            if st.verdict_id not in events:
                continue
            e = events[st.verdict_id]
            gv = e.get("guideline_version") or ""
            if gv in seen:
                continue
            seen.add(gv)
            if st.status not in LABELLED_STATUSES or st.label is None:
                continue
            if guideline_version is not None and gv != guideline_version:
                continue
            rows.append(
                {
                    "item": item_id,
                    "annotator": ann,
                    "label": st.label,
                    "guideline_version": gv,
                    "model_label": e.get("model_label"),
                    "duration_ms": e.get("duration_ms"),
                    "decided_at": e.get("created_at"),
                    "gold": _gold_of(e.get("data")),
                    "task": t,
                    "session_id": e.get("session_id"),
                    "status": st.status,
                    "content_hash": h,
                }
            )
    df = pd.DataFrame(rows, columns=RATING_COLUMNS)
    df["duration_ms"] = pd.to_numeric(df["duration_ms"], errors="coerce").astype("float64")
    if len(df):
        df["decided_at"] = pd.to_datetime(df["decided_at"], utc=True)
        df = df.sort_values("decided_at", kind="stable").reset_index(drop=True)
    for c in ("model_label", "gold"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def _wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (0.0 if k == 0 else max(0.0, c - h), 1.0 if k == n else min(1.0, c + h))


def _gold_answers(store: Any, task: str | None) -> pd.DataFrame:
    """The first labelled answer of each annotator to each gold item (later ones follow
    the feedback, which shows the right label), in log order."""
    if isinstance(store, pd.DataFrame):  # a ratings() frame: its (latest) answers
        g = store[store["gold"].notna()]
        return pd.DataFrame(
            {
                "annotator": g["annotator"],
                "item": g["item"],
                "given": g["label"],
                "expected": g["gold"],
                "session_id": g.get("session_id"),
                "decided_at": g.get("decided_at"),
            }
        )
    ev = _events(store, task)
    cols = ["annotator", "item", "given", "expected", "session_id", "decided_at"]
    if not len(ev):
        return pd.DataFrame(columns=cols)
    ev = ev[ev["action"].isin(("accept", "correct"))].copy()
    ev["expected"] = ev["data"].map(_gold_of)
    ev = ev[ev["expected"].notna() & ev["label_after"].notna()]
    ev = ev.drop_duplicates(["task", "item_id", "annotator"], keep="first")
    return pd.DataFrame(
        {
            "annotator": ev["annotator"],
            "item": ev["item_id"],
            "given": ev["label_after"],
            "expected": ev["expected"],
            "session_id": ev["session_id"],
            "decided_at": ev["created_at"],
        },
        columns=cols,
    ).reset_index(drop=True)


def gold_accuracy(store: Any, task: str | None = None) -> pd.DataFrame:
    """Each annotator's accuracy on gold items (items with a known right label).

    Counts the *first* answer each annotator gave to each gold item: the feedback shows
    the right label right after, so a later answer is no test. Given a :func:`ratings`
    frame instead of a store, its (latest) answers are used.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``annotator``: ``n_gold``, ``n_correct``, ``accuracy`` and a 95%
        Wilson interval ``low`` / ``high``; sorted from the least to the most accurate.
    """
    g = _gold_answers(store, task)
    out = []
    for ann, sub in g.groupby("annotator", sort=True):
        n = len(sub)
        k = int((sub["given"].astype(str) == sub["expected"].astype(str)).sum())
        lo, hi = _wilson(k, n)
        out.append(
            {
                "annotator": ann,
                "n_gold": n,
                "n_correct": k,
                "accuracy": k / n if n else math.nan,
                "low": lo,
                "high": hi,
            }
        )
    df = pd.DataFrame(out, columns=["annotator", "n_gold", "n_correct", "accuracy", "low", "high"])
    return df.sort_values(["accuracy", "annotator"], kind="stable").set_index("annotator")


def _decision_log(store: Any, task: str | None, annotator: str | None) -> pd.DataFrame:
    """Every deciding event (in log order) with its duration and gold correctness."""
    ev = _events(store, task)
    cols = ["annotator", "session_id", "item", "duration_ms", "decided_at", "gold_correct"]
    if not len(ev):
        return pd.DataFrame(columns=cols)
    ev = ev[ev["action"].isin(_DECIDING)]
    if annotator is not None:
        ev = ev[ev["annotator"] == annotator]
    expected = ev["data"].map(_gold_of)
    correct = pd.Series(
        [
            (None if _missing(e) else bool(not _missing(g) and str(g) == e))
            for e, g in zip(expected, ev["label_after"], strict=True)
        ],
        index=ev.index,
        dtype=object,
    )
    return pd.DataFrame(
        {
            "annotator": ev["annotator"].fillna(""),
            "session_id": ev["session_id"].fillna(""),
            "item": ev["item_id"],
            "duration_ms": ev["duration_ms"],
            "decided_at": ev["created_at"],
            "gold_correct": correct,
        },
        columns=cols,
    ).reset_index(drop=True)


def fatigue(
    store: Any,
    task: str | None = None,
    annotator: str | None = None,
    window: int = 20,
    *,
    ratio: float = 1.5,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Signs of fatigue per annotator and session: slower items, fewer right gold answers.

    For every (annotator, session) the deciding events in log order are numbered
    (position 0, 1, ...) and

    * **time per item** (``duration_ms``, the time the item was on screen; decisions
      made from Python have none): the median of the first and of the last ``window``
      timed items and their ``time_ratio``, and the Spearman rank correlation of
      duration with position (``spearman_rho``, ``spearman_p``, scipy). ``slowing`` is
      True when there are at least ``2 * window`` timed items, ``time_ratio > ratio``
      (the browser's own signal) and the correlation is positive with ``p < alpha``;
    * **gold accuracy**: the session's gold answers split into its first and second
      half; ``gold_drift`` is the second half's accuracy minus the first's, and
      ``gold_p`` a one-sided Fisher exact test that the first half was more accurate.
      ``gold_drop`` is True when ``gold_p < alpha``.

    ``signal = slowing or gold_drop``: purely informational (a reason to suggest a break
    or to look at that session's labels, not to discard them).

    Returns
    -------
    pandas.DataFrame
        One row per (annotator, session_id) with ``n_items, n_timed, first_median_ms,
        last_median_ms, time_ratio, spearman_rho, spearman_p, slowing, n_gold,
        gold_acc_first, gold_acc_second, gold_drift, gold_p, gold_drop, signal``.
    """
    from scipy import stats

    if window < 2:
        raise ValueError(f"window must be at least 2, got {window}")
    log = _decision_log(store, task, annotator)
    rows = []
    for (ann, sess), sub in log.groupby(["annotator", "session_id"], sort=True):
        d = pd.to_numeric(sub["duration_ms"], errors="coerce").to_numpy(float)
        pos = np.arange(len(sub), dtype=float)
        ok = np.isfinite(d)
        dt, pt = d[ok], pos[ok]
        first = float(np.median(dt[:window])) if len(dt) else math.nan
        last = float(np.median(dt[-window:])) if len(dt) else math.nan
        tr = last / first if len(dt) >= 2 * window and first > 0 else math.nan
        rho = p = math.nan
        if len(dt) >= 3 and np.ptp(dt) > 0:
            res = stats.spearmanr(pt, dt)
            rho, p = float(res.statistic), float(res.pvalue)
        slowing = bool(len(dt) >= 2 * window and tr > ratio and rho > 0 and p < alpha)
        g = [bool(x) for x in sub["gold_correct"] if isinstance(x, (bool, np.bool_))]
        half = len(g) // 2
        a, b = g[:half], g[half:]
        acc1 = float(np.mean(a)) if a else math.nan
        acc2 = float(np.mean(b)) if b else math.nan
        gp = math.nan
        if a and b:
            table = [[sum(a), len(a) - sum(a)], [sum(b), len(b) - sum(b)]]
            gp = float(stats.fisher_exact(table, alternative="greater")[1])
        gold_drop = bool(gp < alpha) if not math.isnan(gp) else False
        rows.append(
            {
                "annotator": ann,
                "session_id": sess,
                "n_items": len(sub),
                "n_timed": int(ok.sum()),
                "first_median_ms": first,
                "last_median_ms": last,
                "time_ratio": tr,
                "spearman_rho": rho,
                "spearman_p": p,
                "slowing": slowing,
                "n_gold": len(g),
                "gold_acc_first": acc1,
                "gold_acc_second": acc2,
                "gold_drift": acc2 - acc1 if a and b else math.nan,
                "gold_p": gp,
                "gold_drop": gold_drop,
                "signal": slowing or gold_drop,
            }
        )
    cols = [
        "annotator",
        "session_id",
        "n_items",
        "n_timed",
        "first_median_ms",
        "last_median_ms",
        "time_ratio",
        "spearman_rho",
        "spearman_p",
        "slowing",
        "n_gold",
        "gold_acc_first",
        "gold_acc_second",
        "gold_drift",
        "gold_p",
        "gold_drop",
        "signal",
    ]
    return pd.DataFrame(rows, columns=cols)


def _unique(r: pd.DataFrame) -> pd.DataFrame:
    """One rating per (unit, annotator): the latest (an item re-rated under another
    guideline version counts once where versions are pooled). A unit is one item of one
    task with one content: the same id in two tasks, or with other content, is another
    thing rated, never paired with it."""
    r = r.assign(item=_units(r))
    if "decided_at" in r.columns:
        r = r.sort_values("decided_at", kind="stable")
    return r.drop_duplicates(["item", "annotator"], keep="last")


def _units(r: pd.DataFrame) -> pd.Series:
    key = r["item"].astype(str)
    for col in ("task", "content_hash"):
        if col in r.columns and r[col].nunique(dropna=False) > 1:
            key = r[col].astype(str) + "\x1f" + key
    return key


_METRICS = ("percent_agreement", "fleiss_kappa", "krippendorff_alpha", "model_agreement", "model_kappa")


def _nominal_alpha(data: Any) -> float:
    return krippendorff_alpha(data, level="nominal")


def agreement_report(
    store: Any,
    by: str | None = "guideline_version",
    *,
    task: str | None = None,
    n_boot: int = 500,
    ci: float = 0.95,
    seed: int | None = 0,
    include_gold: bool = True,
) -> pd.DataFrame:
    """Every agreement metric with a bootstrap interval, split by guideline version.

    Per group (each value of ``by`` in :func:`ratings`; ``by=None``: one group "all"):
    percent agreement, Fleiss' kappa, Krippendorff's alpha (nominal) over the items with
    two or more ratings, and human-vs-model agreement (share of ratings equal to the
    model's label, and Cohen's kappa of the majority label against the model). Each has
    a percentile bootstrap interval over items (``n_boot`` replicates, ``ci`` coverage).

    Parameters
    ----------
    store:
        A store / path / URL, or a DataFrame from :func:`ratings`.
    by:
        Column to split by: ``"guideline_version"`` (default), ``"task"``, ``"session_id"``...
    task:
        Only this review task.
    include_gold:
        Count gold items too (default True).

    Returns
    -------
    pandas.DataFrame
        Indexed by the group value: ``n_items`` (with 2+ ratings), ``n_ratings``,
        ``n_annotators``, and for each of ``percent_agreement``, ``fleiss_kappa``,
        ``krippendorff_alpha``, ``model_agreement``, ``model_kappa`` the value and
        ``<metric>_low`` / ``<metric>_high``.
    """
    r = store if isinstance(store, pd.DataFrame) else ratings(store, task=task)
    if isinstance(store, pd.DataFrame) and task is not None and "task" in r.columns:
        r = r[r["task"] == task]
    if not include_gold and "gold" in r.columns:
        r = r[r["gold"].isna()]
    if by is not None and by not in r.columns:
        raise ValueError(f"by={by!r} is not a column of the ratings: {list(r.columns)}")
    groups: Iterable[tuple[Any, pd.DataFrame]]
    groups = [("all", r)] if by is None else r.groupby(by, sort=True)
    out = []
    for g, sub in groups:
        sub = _unique(sub)
        per_item = sub.groupby("item")["annotator"].nunique()
        row: dict[str, Any] = {
            (by or "group"): g,
            "n_items": int((per_item >= 2).sum()),
            "n_ratings": len(sub),
            "n_annotators": int(sub["annotator"].nunique()),
        }
        data = sub[["item", "annotator", "label"]]
        model = (
            sub.dropna(subset=["model_label"]).drop_duplicates("item").set_index("item")["model_label"]
            if "model_label" in sub.columns
            else pd.Series(dtype=object)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedAgreementWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            specs: list[tuple[str, Callable[..., Any], dict[str, Any], str | None]] = [
                ("percent_agreement", percent_agreement, {}, None),
                ("fleiss_kappa", fleiss_kappa, {}, None),
                ("krippendorff_alpha", _nominal_alpha, {}, None),
            ]
            if len(model):
                specs += [
                    ("model_agreement", model_agreement, {"model_labels": model}, "agreement"),
                    ("model_kappa", model_agreement, {"model_labels": model}, "kappa"),
                ]
            for name, fn, kw, stat in specs:
                try:
                    res = fn(data, **kw)
                    val = float(getattr(res, stat)) if stat else float(res)
                except ValueError:
                    val = math.nan
                lo = hi = math.nan
                if len(data) and not math.isnan(val) and n_boot >= 2:
                    try:
                        interval = bootstrap_ci(
                            fn, data, n_boot=n_boot, ci=ci, seed=seed, statistic=stat, **kw
                        )
                        assert isinstance(interval, BootstrapCI)  # a scalar metric: one (low, high)
                        lo, hi = interval
                    except ValueError:
                        pass
                row[name], row[f"{name}_low"], row[f"{name}_high"] = val, float(lo), float(hi)
        for name in _METRICS:
            for suffix in ("", "_low", "_high"):
                row.setdefault(name + suffix, math.nan)
        out.append(row)
    cols = [(by or "group"), "n_items", "n_ratings", "n_annotators"] + [
        name + s for name in _METRICS for s in ("", "_low", "_high")
    ]
    return pd.DataFrame(out, columns=cols).set_index(by or "group")
