"""Percentile bootstrap confidence intervals for the agreement metrics (items resampled)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ._data import DegenerateIntervalWarning, Ratings, UndefinedAgreementWarning, _to_matrix

__all__ = ["BootstrapCI", "DegenerateIntervalWarning", "bootstrap_ci"]


class BootstrapCI(NamedTuple):
    """A percentile interval; unpacks as ``low, high``."""

    low: float
    high: float


def _scalar(value: Any, statistic: str | None) -> Any:
    if statistic is not None:
        if isinstance(value, pd.DataFrame):
            if "label" in value.columns:
                return value.set_index("label")[statistic]
            return value[statistic]
        return getattr(value, statistic)
    return value


def bootstrap_ci(
    metric_fn: Callable[..., Any],
    data: Any,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int | None = 0,
    *,
    statistic: str | None = None,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
    **kwargs: Any,
) -> BootstrapCI | pd.DataFrame:
    """Percentile bootstrap interval of an agreement metric, resampling items with replacement.

    Parameters
    ----------
    metric_fn:
        Any metric of this package (``fleiss_kappa``, ``krippendorff_alpha``,
        ``percent_agreement``, ``cohen_kappa``, ``model_agreement``,
        ``per_label_agreement``) or a callable ``f(ratings, **kwargs)`` returning a
        number (it receives a :class:`Ratings` with the resampled items).
    data:
        Ratings in any accepted form, or a pair ``(a, b)`` of aligned label
        sequences for ``cohen_kappa(a, b)`` (then the pairs are resampled).
    n_boot:
        Number of bootstrap replicates.
    ci:
        Coverage of the interval, in (0, 1).
    seed:
        Seed of ``numpy.random.default_rng`` (replicates are reproducible).
    statistic:
        Attribute of the metric's result to use (e.g. ``"kappa"`` for
        :func:`model_agreement`) or, for a DataFrame result such as
        :func:`per_label_agreement`, the column (e.g. ``"specific_agreement"``),
        which gives one interval per label.
    **kwargs:
        Passed to ``metric_fn`` (e.g. ``level="interval"``, ``weights="linear"``,
        ``model_labels=series_keyed_by_item``).

    Returns
    -------
    BootstrapCI
        ``(low, high)`` for a scalar metric; for a per-label statistic a DataFrame
        with columns ``low`` and ``high`` indexed by label. Replicates where the
        metric is undefined (NaN) are dropped; a warning says how many.

    With fewer than 2 distinct items to resample (items with a rating; for a pair
    ``(a, b)``, positions where both are given) every replicate is the same data and
    the interval would have zero width, which reads as certainty: the bounds are NaN
    instead, with a :class:`DegenerateIntervalWarning` (an
    :class:`UndefinedAgreementWarning`) saying why.
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci: must be in (0, 1), got {ci}")
    if n_boot < 2:
        raise ValueError(f"n_boot: must be >= 2, got {n_boot}")
    rng = np.random.default_rng(seed)

    paired = isinstance(data, tuple) and len(data) == 2 and all(np.ndim(x) == 1 for x in data)
    if paired:
        a = np.asarray(data[0], dtype=object)
        b = np.asarray(data[1], dtype=object)
        if a.size != b.size:
            raise ValueError(f"data: the two label sequences differ in length ({a.size} vs {b.size})")
        n = a.size
        n_units = int((~(pd.isna(a) | pd.isna(b))).sum())

        def call(idx: np.ndarray) -> Any:
            return _scalar(metric_fn(a[idx], b[idx], **kwargs), statistic)

    else:
        r: Ratings = _to_matrix(data, item=item, annotator=annotator, label=label)
        n = r.n_items
        # distinct item ids among the items with a rating (a resample repeats ids)
        n_units = int(pd.Index(r.items[np.unique(r.item)]).nunique()) if r.n_ratings else 0

        def call(idx: np.ndarray) -> Any:
            return _scalar(metric_fn(r.resample_items(idx), **kwargs), statistic)

    if n == 0:
        raise ValueError("data: no items to resample")
    if n_units < 2:
        what = "pairs with both labels" if paired else "distinct rated items"
        warnings.warn(
            f"bootstrap_ci: the interval is degenerate: only {n_units} {what} to resample, so every "
            "replicate is the same data and the interval would have zero width (no variability, not "
            "certainty); returning NaN bounds. Rate more items to get an interval.",
            DegenerateIntervalWarning,
            stacklevel=2,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedAgreementWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                shape = call(np.arange(n))
            except ValueError:
                shape = None
        if isinstance(shape, pd.Series):
            return pd.DataFrame({"low": np.nan, "high": np.nan}, index=shape.index)
        return BootstrapCI(float("nan"), float("nan"))
    reps = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedAgreementWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(n_boot):
            idx = rng.integers(0, n, size=n)
            reps.append(call(idx))
    q = [50 * (1 - ci), 50 * (1 + ci)]
    if isinstance(reps[0], pd.Series):
        table = pd.concat(reps, axis=1)
        arr = table.to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanpercentile(arr, q, axis=1)
        return pd.DataFrame({"low": low, "high": high}, index=table.index)
    vals = np.array([float(v) for v in reps])
    ok = ~np.isnan(vals)
    if not ok.any():
        warnings.warn(
            "bootstrap_ci: the metric is undefined (NaN) in every replicate",
            UndefinedAgreementWarning,
            stacklevel=2,
        )
        return BootstrapCI(float("nan"), float("nan"))
    if not ok.all():
        warnings.warn(
            f"bootstrap_ci: dropped {int((~ok).sum())} of {n_boot} replicates where the metric is NaN",
            UndefinedAgreementWarning,
            stacklevel=2,
        )
    low, high = np.percentile(vals[ok], q)
    return BootstrapCI(float(low), float(high))
