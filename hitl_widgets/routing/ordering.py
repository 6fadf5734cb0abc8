"""Review orderings: which routed item a person sees first.

`order_positions(strategy, scores, mask)` returns the row positions of the rows in `mask`
(all rows when None) in review order. `hitl_widgets.queue.build_order` calls it when a
widget gets ``order="<strategy>"``.

Strategies (ties keep frame order):

``"frame"``
    frame order.
``"random"``
    a seeded random permutation (``seed``).
``"least_confidence"``
    lowest top probability (or lowest confidence) first.
``"margin"``
    smallest gap between the two most probable labels first.
``"entropy"``
    highest entropy of the probabilities first.
``"policy"``
    rows flagged by a policy rule first (``policy``: a boolean mask over all rows), then
    least confidence inside each group. Without ``policy`` it is least confidence.

`scores` is the probability array (rows x labels), a confidence vector (rows,) or None.
With a confidence vector only (no probabilities), margin and entropy order like least
confidence: on two labels that is exact (margin ``2c - 1`` and entropy both follow the
top probability), and with more labels the vector says nothing else.
"""

from __future__ import annotations

from typing import Any

import numpy as np

STRATEGIES = ("frame", "random", "least_confidence", "margin", "entropy", "policy")
_ALIASES = {
    "least_confidence": "least_confidence",
    "least-confidence": "least_confidence",
    "least confidence": "least_confidence",
    "confidence": "least_confidence",
    "uncertainty": "least_confidence",
    "margin": "margin",
    "smallest_margin": "margin",
    "entropy": "entropy",
    "random": "random",
    "policy": "policy",
    "policy_first": "policy",
    "frame": "frame",
    "none": "frame",
    "input": "frame",
}


def canonical_strategy(strategy: str) -> str:
    """The canonical name of an ordering strategy; ValueError naming the unknown one."""
    key = str(strategy).strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"order={strategy!r}: unknown ordering strategy; use one of {list(STRATEGIES)}")
    return _ALIASES[key]


def _as_scores(scores: Any, n: int | None) -> np.ndarray | None:
    if scores is None:
        return None
    arr = np.asarray(scores, dtype="float64")
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"scores: expected probabilities (rows x labels) or a confidence vector, "
            f"got an array of shape {arr.shape}"
        )
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"scores: {arr.shape[0]} rows for a mask of {n} rows")
    if np.isnan(arr).any():
        raise ValueError("scores: missing values (NaN)")
    return arr


def top_probability(scores: np.ndarray) -> np.ndarray:
    """The model's confidence: the top probability per row (or the vector itself)."""
    return scores if scores.ndim == 1 else scores.max(axis=1)


def margin(scores: np.ndarray) -> np.ndarray:
    """Top probability minus the second one, per row (``2c - 1`` for a confidence vector)."""
    if scores.ndim == 1:
        return 2.0 * scores - 1.0
    if scores.shape[1] < 2:
        return np.ones(scores.shape[0])
    two = np.partition(scores, scores.shape[1] - 2, axis=1)[:, -2:]
    return two[:, 1] - two[:, 0]


def entropy(scores: np.ndarray, n_labels: int = 2) -> np.ndarray:
    """Shannon entropy (nats) of each row's probabilities."""
    if scores.ndim == 1:
        c = np.clip(scores, 0.0, 1.0)
        k = max(int(n_labels), 2)
        rest = (1.0 - c) / (k - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(c > 0, c * np.log(c), 0.0) - (k - 1) * np.where(rest > 0, rest * np.log(rest), 0.0)
        return h
    p = np.clip(scores, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)


def order_positions(
    strategy: str,
    scores: Any = None,
    mask: Any = None,
    *,
    policy: Any = None,
    seed: int = 0,
) -> np.ndarray:
    """Row positions of the rows in `mask` (all rows when None), in `strategy`'s order.

    >>> p = [[0.5, 0.4, 0.1], [0.9, 0.05, 0.05], [0.4, 0.3, 0.3]]
    >>> order_positions("margin", p).tolist()
    [0, 2, 1]
    >>> order_positions("entropy", p).tolist()
    [2, 0, 1]
    """
    name = canonical_strategy(strategy)
    arr = _as_scores(scores, None)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
    n = _row_count(strategy, arr, mask, policy)
    if arr is not None and arr.shape[0] != n:
        raise ValueError(f"scores: {arr.shape[0]} rows for a mask of {n} rows")
    if mask is None:
        mask = np.ones(n, dtype=bool)
    rows = np.flatnonzero(mask)
    if name == "frame":
        return rows
    if name == "random":
        rng = np.random.default_rng(seed)
        return rows[rng.permutation(rows.size)]
    if arr is None:
        if name == "policy" and policy is not None:
            pol = np.asarray(policy, dtype=bool)[rows]
            return rows[np.argsort(~pol, kind="stable")]
        raise ValueError(
            f"order={strategy!r} needs the model's scores (confidence or proba); this review has none"
        )
    return _by_scores(name, arr[rows], rows, policy, n)


def _row_count(strategy: str, arr: np.ndarray | None, mask: np.ndarray | None, policy: Any) -> int:
    """How many rows there are: the mask's, else the scores', else the policy's."""
    if mask is not None:
        return mask.shape[0]
    if arr is not None:
        return arr.shape[0]
    if policy is not None:
        return np.asarray(policy).shape[0]
    raise ValueError(f"order={strategy!r}: give scores or a mask (how many rows?)")


def _by_scores(name: str, sub: np.ndarray, rows: np.ndarray, policy: Any, n: int) -> np.ndarray:
    """`rows` (whose scores are `sub`) in the order of a scored strategy: least
    confidence, margin, entropy, or policy first then least confidence."""
    if sub.ndim == 1 and name in ("margin", "entropy"):
        name = "least_confidence"
    if name == "least_confidence":
        key = top_probability(sub)
    elif name == "margin":
        key = margin(sub)
    elif name == "entropy":
        key = -entropy(sub)
    else:  # policy first, then least confidence
        key = top_probability(sub)
        if policy is not None:
            pol = np.asarray(policy, dtype=bool)
            if pol.shape[0] != n:
                raise ValueError(f"policy: {pol.shape[0]} rows for {n} rows")
            first = np.lexsort((key, ~pol[rows]))
            return rows[first]
    return rows[np.argsort(key, kind="stable")]
