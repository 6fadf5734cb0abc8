"""Is the input changing? Two-sample tests between a reference period and the current one.

Drift does not say the model got worse, only that the data it sees differ from the data it
was checked on: the guarantees calibrated there (thresholds, the calibration behind
`expected_error`) may no longer hold. The audits say whether the error moved.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..items import canonical

#: added to every bin's share in the population stability index, so that an empty bin
#: gives a large but finite term instead of log(0)
PSI_EPSILON = 1e-4
#: each sample is cut to this many rows (drawn at random) for the MMD test, whose kernel
#: matrix is quadratic in the number of rows
MMD_MAX_ROWS = 1000

_CONF_NAMES = ("model_confidence", "confidence")
_LABEL_NAMES = ("model_label", "pred")
_EMB_NAMES = ("embedding",)


def _column(
    df: pd.DataFrame, given: Any, defaults: Sequence[str], argument: str, side: str
) -> Hashable | None:
    """The column `given` names (an error naming the argument when missing), else the
    first default present, else None (the test is skipped)."""
    if given is not None:
        if given not in df.columns:
            cols = ", ".join(map(repr, list(df.columns)[:20]))
            raise ValueError(f"{argument}={given!r}: no such column in {side} (columns: {cols})")
        return given  # type: ignore[no-any-return]
    return next((c for c in defaults if c in df.columns), None)


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index between two vectors of bin shares: the sum of
    ``(c - r) * ln(c / r)`` with `PSI_EPSILON` added to every share."""
    r = np.asarray(reference, dtype=float) + PSI_EPSILON
    c = np.asarray(current, dtype=float) + PSI_EPSILON
    return float(np.sum((c - r) * np.log(c / r)))


def decile_bins(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Bin index of each value by the reference's deciles: bins (-inf, q1], (q1, q2], ...,
    (q9, inf) (equal quantiles, as with many ties at 1.0, merge into one bin)."""
    edges = np.unique(np.quantile(np.asarray(reference, dtype=float), np.linspace(0.1, 0.9, 9)))
    return np.searchsorted(edges, np.asarray(values, dtype=float), side="left")


def _psi_meaning(value: float, what: str) -> str:
    # the customary reading of the PSI (credit scoring): below 0.1 stable, above 0.25 shifted
    if value < 0.1:
        return f"{what}: no meaningful shift (PSI below 0.1)"
    if value < 0.25:
        return f"{what}: moderate shift (PSI 0.1 to 0.25): worth a look"
    return f"{what}: large shift (PSI above 0.25): the population changed"


def _p_meaning(p: float, what: str, differ: str) -> str:
    if p < 0.01:
        return f"{what} {differ} (p = {p:.2g}): strong evidence of drift"
    if p < 0.05:
        return f"{what} {differ} (p = {p:.2g}): some evidence of drift"
    return f"{what}: no evidence of a change (p = {p:.2g})"


def _confidence_rows(ref: np.ndarray, cur: np.ndarray) -> list[dict[str, Any]]:
    ks = stats.ks_2samp(ref, cur)
    bins = 10  # at most ten deciles
    r_share = np.bincount(decile_bins(ref, ref), minlength=bins) / ref.size
    c_share = np.bincount(decile_bins(ref, cur), minlength=bins) / cur.size
    value = psi(r_share, c_share)
    return [
        {
            "test": "confidence KS",
            "statistic": float(ks.statistic),
            "p_value": float(ks.pvalue),
            "meaning": _p_meaning(float(ks.pvalue), "model confidence", "is distributed differently"),
        },
        {
            "test": "confidence PSI",
            "statistic": value,
            "p_value": None,
            "meaning": _psi_meaning(value, "model confidence (reference deciles)"),
        },
    ]


def _label_rows(ref: pd.Series, cur: pd.Series) -> list[dict[str, Any]]:
    # labels as the store keeps them: 1, 1.0 and "1" are one label, not three bins
    ref, cur = ref.map(canonical), cur.map(canonical)
    labels = sorted(set(ref) | set(cur))
    table = np.array(
        [
            ref.value_counts().reindex(labels, fill_value=0).to_numpy(),
            cur.value_counts().reindex(labels, fill_value=0).to_numpy(),
        ]
    )
    if len(labels) < 2:
        chi2, p = 0.0, 1.0  # one label on both sides: nothing can have shifted
    else:
        res = stats.chi2_contingency(table)
        chi2, p = float(res.statistic), float(res.pvalue)
    value = psi(table[0] / table[0].sum(), table[1] / table[1].sum())
    return [
        {
            "test": "label chi-square",
            "statistic": chi2,
            "p_value": p,
            "meaning": _p_meaning(p, "predicted-label mix", "changed"),
        },
        {
            "test": "label PSI",
            "statistic": value,
            "p_value": None,
            "meaning": _psi_meaning(value, "predicted-label mix"),
        },
    ]


def _matrix(df: pd.DataFrame, emb: Any, side: str) -> np.ndarray:
    """The embeddings as a rows x dims matrix: one column of vectors, or a list of columns."""
    if isinstance(emb, (list, tuple)):
        missing = [c for c in emb if c not in df.columns]
        if missing:
            raise ValueError(f"embeddings: columns {missing!r} not in {side}")
        x = df[list(emb)].to_numpy(dtype=float)
    else:
        if emb not in df.columns:
            raise ValueError(f"embeddings={emb!r}: no such column in {side}")
        try:
            x = np.vstack([np.asarray(v, dtype=float).ravel() for v in df[emb]])
        except ValueError:
            raise ValueError(
                f"embeddings={emb!r}: the vectors in {side} are not all numeric and of one length"
            ) from None
    if not np.isfinite(x).all():
        raise ValueError(f"embeddings: missing or infinite values in {side}")
    return x


def mmd_test(
    x: np.ndarray, y: np.ndarray, *, n_permutations: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """(MMD^2, permutation p-value) of two samples of vectors: the unbiased squared maximum
    mean discrepancy (Gretton et al. 2012) with an RBF kernel whose bandwidth is the median
    distance between pooled points, and the p-value ``(b + 1) / (B + 1)`` over B random
    relabellings of the pooled sample (b of them at least as large): exact under the null
    that both samples come from one distribution. Samples above `MMD_MAX_ROWS` are cut to it
    at random."""
    rng = np.random.default_rng(seed)
    if len(x) > MMD_MAX_ROWS:
        x = x[rng.choice(len(x), MMD_MAX_ROWS, replace=False)]
    if len(y) > MMD_MAX_ROWS:
        y = y[rng.choice(len(y), MMD_MAX_ROWS, replace=False)]
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError("embeddings: the MMD test needs at least 2 rows on each side")
    z = np.vstack([x, y])
    sq = np.maximum(np.sum(z * z, 1)[:, None] + np.sum(z * z, 1)[None, :] - 2 * z @ z.T, 0.0)
    med = float(np.median(sq[np.triu_indices(m + n, 1)]))
    k = np.exp(-sq / (2 * med)) if med > 0 else np.ones_like(sq)
    np.fill_diagonal(k, 0.0)  # the unbiased statistic leaves out each point with itself

    def stat(s: np.ndarray) -> np.ndarray:
        """MMD^2 for each row of `s` (1 on the points of the first sample)."""
        ks = s @ k
        xx = np.sum(ks * s, 1)
        xy = np.sum(ks * (1 - s), 1)
        yy = np.sum(((1 - s) @ k) * (1 - s), 1)
        return np.asarray(xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n), dtype=float)

    first = np.zeros((1, m + n))
    first[0, :m] = 1.0
    observed = float(stat(first)[0])
    b = 0
    for start in range(0, n_permutations, 200):  # blocks of relabellings: bounded memory
        size = min(200, n_permutations - start)
        s = np.zeros((size, m + n))
        idx = np.argsort(rng.random((size, m + n)), axis=1)[:, :m]
        np.put_along_axis(s, idx, 1.0, axis=1)
        b += int(np.sum(stat(s) >= observed - 1e-12))
    return observed, (b + 1) / (n_permutations + 1)


def drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    confidence: Hashable | None = None,
    labels: Hashable | None = None,
    embeddings: Any = None,
    n_permutations: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Compare the current items with a reference period; one row per test.

    Tests (each run when its data is there; columns default to those of
    `hitl_widgets.routing.routed`): the model's confidence (`confidence`, default
    ``model_confidence`` / ``confidence``) by Kolmogorov-Smirnov and by the population
    stability index over the reference's deciles; the predicted-label mix (`labels`,
    default ``model_label`` / ``pred``) by chi-square on the 2 x L table and by PSI; the
    inputs (`embeddings`: a column of vectors, or a list of columns; default an
    ``embedding`` column) by MMD with a permutation p-value (`n_permutations`, `seed`).

    Columns: test, statistic, p_value (None for PSI, which is a size of shift, not a test:
    below 0.1 is usually read as stable, above 0.25 as a large shift), meaning (in words).
    """
    for name, df in (("reference", reference), ("current", current)):
        if not isinstance(df, pd.DataFrame):
            raise ValueError(f"{name} must be a DataFrame, got {type(df).__name__}")
        if not len(df):
            raise ValueError(f"{name} has no rows")
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, int) or n_permutations < 1:
        raise ValueError(f"n_permutations must be a positive integer, got {n_permutations!r}")
    rows: list[dict[str, Any]] = []
    c_ref = _column(reference, confidence, _CONF_NAMES, "confidence", "reference")
    c_cur = _column(current, confidence, _CONF_NAMES, "confidence", "current")
    if c_ref is not None and c_cur is not None:
        ref = pd.to_numeric(reference[c_ref], errors="coerce").dropna().to_numpy(dtype=float)
        cur = pd.to_numeric(current[c_cur], errors="coerce").dropna().to_numpy(dtype=float)
        if ref.size and cur.size:
            rows += _confidence_rows(ref, cur)
    l_ref = _column(reference, labels, _LABEL_NAMES, "labels", "reference")
    l_cur = _column(current, labels, _LABEL_NAMES, "labels", "current")
    if l_ref is not None and l_cur is not None:
        lr, lc = reference[l_ref].dropna(), current[l_cur].dropna()
        if len(lr) and len(lc):
            rows += _label_rows(lr, lc)
    emb = embeddings
    if emb is None and all(_EMB_NAMES[0] in df.columns for df in (reference, current)):
        emb = _EMB_NAMES[0]
    if emb is not None:
        x, y = _matrix(reference, emb, "reference"), _matrix(current, emb, "current")
        if x.shape[1] != y.shape[1]:
            raise ValueError(f"embeddings: {x.shape[1]} dimensions in reference, {y.shape[1]} in current")
        stat, p = mmd_test(x, y, n_permutations=n_permutations, seed=seed)
        rows.append(
            {
                "test": "embedding MMD",
                "statistic": stat,
                "p_value": p,
                "meaning": _p_meaning(p, "inputs (embeddings)", "are distributed differently"),
            }
        )
    if not rows:
        raise ValueError(
            "drift: nothing to compare: give confidence=, labels= or embeddings= columns present in "
            "both frames (defaults: model_confidence / confidence, model_label / pred, embedding)"
        )
    out = pd.DataFrame(rows, columns=["test", "statistic", "p_value", "meaning"])
    # None, not NaN, where there is no p-value (PSI): it is not a test that failed to run
    out["p_value"] = pd.Series([r["p_value"] for r in rows], dtype=object)
    return out
