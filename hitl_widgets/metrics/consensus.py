"""Consensus labels: majority vote with ties reported, and Dawid-Skene EM."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from ._data import Ratings, _to_matrix

__all__ = ["DawidSkeneResult", "dawid_skene", "majority_vote"]


def _majority_codes(r: Ratings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per item: code of the most frequent label (first in label order on ties), tie flag, vote count."""
    it, co, cnt = r.item_label_table()
    n = r.n_items
    maj = np.full(n, -1, dtype=np.int64)
    tie = np.zeros(n, dtype=bool)
    n_votes = np.zeros(n, dtype=np.int64)
    if it.size == 0:
        return maj, tie, n_votes
    starts = np.flatnonzero(np.r_[True, it[1:] != it[:-1]])
    n_votes[it[starts]] = np.maximum.reduceat(cnt, starts)
    is_max = cnt == n_votes[it]
    idx = np.flatnonzero(is_max)
    it_max = it[idx]
    first = idx[np.r_[True, it_max[1:] != it_max[:-1]]]
    maj[it[first]] = co[first]
    tie = np.bincount(it_max, minlength=n) > 1
    return maj, tie, n_votes


def majority_vote(
    data: Any,
    *,
    tie_break: Literal["first", "none"] = "first",
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> pd.DataFrame:
    """Consensus label of every item by majority vote, with ties reported.

    Parameters
    ----------
    data:
        Long DataFrame or items x annotators matrix (NaN = missing).
    tie_break:
        ``"first"`` (default): a tied item gets the first of the tied labels in label
        order (sorted labels); ``"none"``: a tied item gets no label (None).
        Either way ``tie`` is True and ``tied_labels`` lists the candidates.

    Returns
    -------
    pandas.DataFrame
        One row per item with columns ``item``, ``label``, ``n_votes`` (votes for the
        winning label), ``n_ratings``, ``share`` (``n_votes / n_ratings``), ``tie``
        (bool) and ``tied_labels`` (tuple of the labels sharing the top count; empty
        when there is no tie). Items without ratings get label None and 0 votes.
    """
    if tie_break not in ("first", "none"):
        raise ValueError(f"tie_break: expected 'first' or 'none', got {tie_break!r}")
    r = _to_matrix(data, item=item, annotator=annotator, label=label)
    maj, tie, n_votes = _majority_codes(r)
    labels_obj = np.append(np.asarray(r.labels, dtype=object), np.array([None], dtype=object))
    lab = labels_obj[maj]  # -1 -> None
    if tie_break == "none":
        lab = lab.copy()
        lab[tie] = None
    tied = np.empty(r.n_items, dtype=object)
    tied[:] = [()] * r.n_items
    if tie.any():
        it, co, cnt = r.item_label_table()
        sel = tie[it] & (cnt == n_votes[it])
        ti, tc = it[sel], co[sel]
        cuts = np.flatnonzero(np.r_[True, ti[1:] != ti[:-1]])
        groups = np.split(labels_obj[tc], cuts[1:])
        for i, g in zip(ti[cuts], groups, strict=True):
            tied[i] = tuple(g)
    m = r.ratings_per_item()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(m > 0, n_votes / np.maximum(m, 1), np.nan)
    return pd.DataFrame(
        {
            item: np.asarray(r.items, dtype=object),
            label: pd.Series(lab, dtype=object),
            "n_votes": n_votes,
            "n_ratings": m,
            "share": share,
            "tie": tie,
            "tied_labels": tied,
        }
    )


@dataclass
class DawidSkeneResult:
    """Output of :func:`dawid_skene`.

    Attributes
    ----------
    labels:
        Most probable true label per item (Series indexed by item id).
    posteriors:
        Items x classes DataFrame of posterior class probabilities (rows sum to 1).
    confusion:
        ``{annotator: classes x classes DataFrame}``; row = true class, column =
        label given, rows sum to 1. An annotator with no ratings gets uniform rows.
    priors:
        Estimated class prevalence (Series over classes).
    n_iter:
        EM iterations run.
    converged:
        Whether the tolerance was reached before ``max_iter``.
    log_likelihood:
        Final (smoothed) log-likelihood of the observed ratings.
    """

    labels: pd.Series
    posteriors: pd.DataFrame
    confusion: dict[Any, pd.DataFrame]
    priors: pd.Series
    n_iter: int
    converged: bool
    log_likelihood: float
    annotator_accuracy: pd.Series | None = field(default=None, repr=False)


def dawid_skene(
    data: Any,
    max_iter: int = 100,
    tol: float = 1e-6,
    *,
    smoothing: float = 0.01,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> DawidSkeneResult:
    """Dawid & Skene (1979) EM estimate of true labels and annotator confusion matrices.

    Vectorized: the ratings are held as one sparse items x (annotator, label)
    indicator matrix ``C``; the E-step is ``C @ log(pi)`` and the M-step
    ``C.T @ posteriors``, so one iteration costs two sparse products over the
    ratings. Items sharing the same response pattern are collapsed first (EM runs
    once per distinct pattern, weighted by its count), which is exact and makes
    data with few annotators per item much cheaper.

    Parameters
    ----------
    data:
        Long DataFrame or items x annotators matrix (NaN = missing). The classes
        are the labels that occur in the data.
    max_iter:
        Maximum number of EM iterations.
    tol:
        Stop when the log-likelihood per item changes by less than ``tol``.
    smoothing:
        Dirichlet pseudo-count added to every confusion-matrix cell and class
        prior (keeps the logarithms finite; 0 gives the plain maximum-likelihood EM).

    Initialisation is the (soft) majority vote: each item's label proportions.
    """
    if max_iter < 1:
        raise ValueError(f"max_iter: must be >= 1, got {max_iter}")
    if tol < 0:
        raise ValueError(f"tol: must be >= 0, got {tol}")
    if smoothing < 0:
        raise ValueError(f"smoothing: must be >= 0, got {smoothing}")
    r = _to_matrix(data, item=item, annotator=annotator, label=label)
    N, A, K = r.n_items, r.n_annotators, r.n_labels
    if K == 0:
        raise ValueError("data: no ratings")
    G = A * K
    # Items with the same response pattern have the same posterior: run EM once per distinct
    # pattern, weighted by its count (exact; with few annotators 100,000 items collapse to a
    # few thousand patterns). The pattern key is the items x annotators code matrix read as a
    # base-(K+1) number, used only when it fits in an int64.
    inverse: np.ndarray | None = None
    w = np.ones(N)
    rp = r
    if N > 1 and A * np.log2(K + 1) < 62 and N * A <= 50_000_000:
        powers = (K + 1) ** np.arange(A, dtype=np.int64)
        key = (r.codes_matrix() + 1) @ powers
        _, first, inverse, counts_p = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        if first.size < 0.8 * N:
            rp = r.resample_items(first)
            w = counts_p.astype(float)
        else:
            inverse = None
    P = rp.n_items
    g = rp.annotator * K + rp.code
    # Patterns x (annotator, label) indicator matrix, sparse CSR (one non-zero per rating).
    C = sparse.csr_matrix((np.ones(rp.n_ratings), (rp.item, g)), shape=(P, G))
    CT = C.T.tocsr()

    def e_prod(L: np.ndarray) -> np.ndarray:  # (K, G) -> (K, P)
        return np.ascontiguousarray((C @ np.ascontiguousarray(L.T)).T)

    def m_prod(WT: np.ndarray) -> np.ndarray:  # (K, P) -> (K, G)
        return (CT @ np.ascontiguousarray(WT.T)).T

    # soft majority vote initialisation; posteriors kept as classes x items (fast reductions over classes)
    TK = np.bincount(rp.code * P + rp.item, minlength=K * P).reshape(K, P).astype(float)
    m = TK.sum(0)
    TK = np.where(m > 0, TK / np.maximum(m, 1), 1.0 / K)

    prev = -np.inf
    converged = False
    ll_total = -np.inf
    n_iter = 0
    with np.errstate(divide="ignore"):
        for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is read after the loop (the result's n_iter)
            # M-step: class priors and confusion matrices from the current posteriors
            WT = TK * w
            priors = WT.sum(1) + smoothing
            priors /= priors.sum()
            counts = m_prod(WT).reshape(K, A, K) + smoothing  # [true, annotator, given]
            pi = counts / counts.sum(2, keepdims=True)
            # E-step: log posterior = log prior + sum over the item's ratings of log pi
            logT = e_prod(np.log(pi).reshape(K, G))
            logT += np.log(priors)[:, None]
            mx = logT.max(0)
            logT -= mx
            np.exp(logT, out=logT)
            s = logT.sum(0)
            TK = logT
            TK /= s
            ll_total = float(((np.log(s) + mx) * w).sum())
            if abs(ll_total - prev) < tol * max(N, 1):
                converged = True
                break
            prev = ll_total

    if inverse is not None:
        TK = TK[:, inverse]
    T = TK.T
    labels_arr = np.asarray(r.labels)
    cls = pd.Index(list(labels_arr))
    conf = np.transpose(pi, (1, 0, 2))  # [annotator, true, given]
    confusion = {
        a: pd.DataFrame(conf[j], index=cls.rename("true"), columns=cls.rename("given"))
        for j, a in enumerate(r.annotators)
    }
    acc_num = np.einsum("atk,t->a", conf * np.eye(K)[None], priors)
    return DawidSkeneResult(
        labels=pd.Series(labels_arr[T.argmax(1)], index=r.items, name="label"),
        posteriors=pd.DataFrame(T, index=r.items, columns=cls),
        confusion=confusion,
        priors=pd.Series(priors, index=cls, name="prior"),
        n_iter=n_iter,
        converged=converged,
        log_likelihood=ll_total,
        annotator_accuracy=pd.Series(acc_num, index=r.annotators, name="accuracy"),
    )
