"""Inter-annotator agreement coefficients (vectorized numpy).

Every function accepts the inputs described in :mod:`hitl_widgets.metrics._data`
(long DataFrame, items x annotators matrix, or :class:`Ratings`).

Reference implementations these numbers are tested against (to 1e-9):

* :func:`cohen_kappa` - ``sklearn.metrics.cohen_kappa_score``
* :func:`fleiss_kappa` - ``statsmodels.stats.inter_rater.fleiss_kappa`` (complete data)
* :func:`krippendorff_alpha` - ``krippendorff.alpha`` (all four levels, missing data)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._data import (
    Ratings,
    UndefinedAgreementWarning,
    _as_label_array,
    _canonical_text,
    _label_texts,
    _numeric_values,
    _to_matrix,
)

__all__ = [
    "AgreementResult",
    "ModelAgreementResult",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "model_agreement",
    "per_label_agreement",
    "percent_agreement",
]

LEVELS = ("nominal", "ordinal", "interval", "ratio")
Level = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["linear", "quadratic"] | None


# ---------------------------------------------------------------------------
# result objects
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class AgreementResult:
    """An agreement coefficient with the facts needed to read it.

    Usable as a number: ``float(result)``, ``f"{result:.3f}"``, comparisons via ``float``.

    Attributes
    ----------
    value:
        The coefficient (NaN when undefined; :attr:`note` says why).
    n_items:
        Items that entered the computation (those with at least 2 ratings).
    n_excluded:
        Items left out because they have fewer than 2 ratings.
    varying_raters:
        True when the included items do not all have the same number of ratings.
    note:
        Plain-language description of what was computed and any caveat.
    metric:
        Name of the coefficient.
    """

    value: float
    n_items: int
    n_excluded: int
    varying_raters: bool
    note: str
    metric: str = ""

    def __float__(self) -> float:
        return float(self.value)

    def __format__(self, spec: str) -> str:
        return format(float(self.value), spec) if spec else repr(self)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.metric or 'value'}={self.value:.6g}, n_items={self.n_items}, "
            f"n_excluded={self.n_excluded}, varying_raters={self.varying_raters}, note={self.note!r})"
        )


@dataclass(frozen=True)
class ModelAgreementResult:
    """Human-vs-model agreement (see :func:`model_agreement`). ``float(result)`` is :attr:`agreement`.

    Attributes
    ----------
    agreement:
        Share of human ratings equal to the model's label for the item.
    kappa:
        Cohen's kappa between the majority human label and the model label (tied items excluded).
    n_items:
        Items with both a model label and at least one human rating.
    n_ratings:
        Human ratings compared.
    n_ties_excluded:
        Items left out of :attr:`kappa` because the human vote was tied.
    per_annotator:
        Share of each annotator's ratings equal to the model label (NaN when the annotator rated none of the items).
    note:
        Plain-language summary.
    """

    agreement: float
    kappa: float
    n_items: int
    n_ratings: int
    n_ties_excluded: int
    per_annotator: pd.Series = field(repr=False)
    note: str = ""

    @property
    def value(self) -> float:
        """Same as :attr:`agreement`."""
        return self.agreement

    def __float__(self) -> float:
        return float(self.agreement)

    def __format__(self, spec: str) -> str:
        return format(float(self.agreement), spec) if spec else repr(self)


def _warn(msg: str, stacklevel: int = 3) -> None:
    warnings.warn(msg, UndefinedAgreementWarning, stacklevel=stacklevel)


# ---------------------------------------------------------------------------
# shared per-item statistics
# ---------------------------------------------------------------------------
def _item_stats(r: Ratings, need_table: bool = False) -> dict[str, Any]:
    """Per-item number of ratings ``m``, sum of squared label counts ``S`` and pooled label counts."""
    dense = r.dense_counts()
    m = r.ratings_per_item()
    pairable = m >= 2
    out: dict[str, Any] = {}
    if dense is not None:
        S = np.einsum("ij,ij->i", dense, dense).astype(float)
        n_c = dense.sum(0)
        if not pairable.all():
            n_c = n_c - dense[~pairable].sum(0)
        n_c = n_c.astype(float)
    else:
        it, co, cnt = r.item_label_table()
        S = np.bincount(it, weights=(cnt * cnt).astype(float), minlength=r.n_items)
        keep = pairable[it]
        n_c = np.bincount(co[keep], weights=cnt[keep].astype(float), minlength=r.n_labels)
    if need_table:
        it, co, cnt = r.item_label_table()
        out["table"] = (it, co, cnt)
        out["keep"] = pairable[it]
    used_m = m[pairable]
    out.update(
        {
            "m": m,
            "S": S,
            "pairable": pairable,
            "n_c": n_c,
            "n_items": int(pairable.sum()),
            "n_excluded": int(r.n_items - pairable.sum()),
            "varying": bool(used_m.size and used_m.min() != used_m.max()),
            "m_range": (int(used_m.min()), int(used_m.max())) if used_m.size else (0, 0),
        }
    )
    return out


def _excluded_note(st: dict[str, Any]) -> str:
    n_ex = st["n_excluded"]
    return f" {n_ex} item(s) with fewer than 2 ratings were excluded." if n_ex else ""


# ---------------------------------------------------------------------------
# percent agreement
# ---------------------------------------------------------------------------
def percent_agreement(
    data: Any,
    *,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> AgreementResult:
    """Observed agreement: the share of agreeing pairs of ratings per item, averaged over items.

    For item ``i`` with ``m_i >= 2`` ratings and ``n_ic`` ratings of label ``c``
    ``P_i = sum_c n_ic (n_ic - 1) / (m_i (m_i - 1))``; the result is the mean of
    ``P_i`` over items with at least two ratings (others are excluded and
    counted in ``n_excluded``). Not corrected for chance.

    Parameters
    ----------
    data:
        Long DataFrame (``item``, ``annotator``, ``label`` columns) or an
        items x annotators matrix with NaN for missing ratings.
    item, annotator, label:
        Column names of the long format.
    """
    r = _to_matrix(data, item=item, annotator=annotator, label=label)
    st = _item_stats(r)
    p = st["pairable"]
    m = st["m"][p].astype(float)
    if not p.any():
        _warn("percent_agreement is undefined: no item has 2 or more ratings")
        return AgreementResult(
            np.nan,
            0,
            st["n_excluded"],
            False,
            "undefined: no item has 2 or more ratings",
            "percent_agreement",
        )
    P = (st["S"][p] - m) / (m * (m - 1))
    lo, hi = st["m_range"]
    note = (
        f"mean share of agreeing rating pairs over {st['n_items']} item(s) with "
        f"{lo if lo == hi else f'{lo}-{hi}'} ratings each.{_excluded_note(st)}"
    )
    return AgreementResult(
        float(P.mean()), st["n_items"], st["n_excluded"], st["varying"], note, "percent_agreement"
    )


# ---------------------------------------------------------------------------
# Cohen's kappa
# ---------------------------------------------------------------------------
def _kappa_from_codes(ca: np.ndarray, cb: np.ndarray, n_labels: int, weights: Weights) -> float:
    """Cohen's kappa from two aligned code vectors (same formula as scikit-learn)."""
    V = n_labels
    if ca.size == 0:
        _warn("cohen_kappa is undefined: no item was rated by both annotators; returning NaN", 4)
        return float("nan")
    conf = np.bincount(ca * V + cb, minlength=V * V).reshape(V, V).astype(float)
    sum0 = conf.sum(axis=0)
    sum1 = conf.sum(axis=1)
    expected = np.outer(sum0, sum1) / sum0.sum()
    if weights is None:
        w = 1.0 - np.eye(V)
    else:
        idx = np.arange(V, dtype=float)
        diff = idx[None, :] - idx[:, None]
        w = np.abs(diff) if weights == "linear" else diff**2
    num = float((w * conf).sum())
    den = float((w * expected).sum())
    if den == 0:
        _warn(
            "cohen_kappa is undefined: the two annotators used only one label in common "
            "(chance agreement is 1); returning NaN like scikit-learn",
            4,
        )
        return float("nan")
    return float(1.0 - num / den)


def _as_1d(x: Any, name: str) -> np.ndarray:
    arr = _as_label_array(x.to_numpy() if isinstance(x, (pd.Series, pd.Index)) else x)
    if arr.dtype.kind not in "iuf":
        arr = arr.astype(object)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence of labels, got shape {arr.shape}")
    return arr


def cohen_kappa(
    a: Any,
    b: Any = None,
    weights: Weights = None,
    labels: Sequence[Any] | None = None,
    *,
    annotators: tuple[Any, Any] | None = None,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> float:
    """Cohen's kappa between two annotators; equal to ``sklearn.metrics.cohen_kappa_score``.

    Two call forms:

    * ``cohen_kappa(a, b)``: ``a`` and ``b`` are aligned 1-D label sequences.
    * ``cohen_kappa(data)``: ``data`` is a long DataFrame / items x annotators
      matrix with exactly two annotators, or choose two with ``annotators=(x, y)``.

    Pairs where either rating is missing (NaN / None) are dropped. As in
    scikit-learn, the weighting uses the position of each label in ``labels``
    (default: the sorted labels occurring in the compared pairs); pass
    ``labels`` to fix an ordinal scale, and pairs with a label outside
    ``labels`` are then dropped. Labels are compared as the store keeps them
    (:func:`hitl_widgets.items.canonical`): ``1``, ``1.0`` and ``"1"`` are one label.

    Parameters
    ----------
    a, b:
        Label sequences, or ``a`` = ratings data and ``b`` omitted.
    weights:
        ``None`` (unweighted), ``"linear"`` or ``"quadratic"``.
    labels:
        Optional ordered label list.
    annotators:
        The two annotators to compare when ``data`` has more than two.
    item, annotator, label:
        Column names of the long format.

    Returns
    -------
    float
        Kappa; NaN (with an :class:`UndefinedAgreementWarning`) when undefined,
        e.g. when both annotators used a single label (scikit-learn also returns NaN).
    """
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"weights: expected None, 'linear' or 'quadratic', got {weights!r}")
    lab_index: pd.Index | None = None
    if labels is not None:
        lab_index = _label_texts(labels)  # canonical text: 1, 1.0 and "1" are one label
        if len(lab_index) == 0:
            raise ValueError("labels: is empty")

    if b is not None:
        va, vb = _as_1d(a, "a"), _as_1d(b, "b")
        if va.size != vb.size:
            raise ValueError(f"b: length {vb.size} differs from length of a ({va.size})")
        ok = ~(pd.isna(va) | pd.isna(vb))
        va, vb = va[ok], vb[ok]
        if lab_index is not None:
            # pandas-stubs type get_indexer's target as an Index; pandas takes any array-like
            ca, cb = lab_index.get_indexer(_canonical_text(va)), lab_index.get_indexer(_canonical_text(vb))  # type: ignore[arg-type]
            keep = (ca >= 0) & (cb >= 0)
            return _kappa_from_codes(
                ca[keep].astype(np.int64), cb[keep].astype(np.int64), len(lab_index), weights
            )
        if va.size == 0:
            return _kappa_from_codes(np.zeros(0, np.int64), np.zeros(0, np.int64), 1, weights)
        r = _to_matrix(np.stack([va, vb], axis=1))
        codes = r.codes_matrix()
        return _kappa_from_codes(codes[:, 0], codes[:, 1], r.n_labels, weights)

    r = _to_matrix(a, item=item, annotator=annotator, label=label)
    if r.n_annotators < 2:
        raise ValueError(
            f"a: cohen_kappa needs ratings from 2 annotators (column {annotator!r}), "
            f"data has {r.n_annotators}"
        )
    if annotators is None:
        if r.n_annotators > 2:
            raise ValueError(
                f"annotators: data has {r.n_annotators} annotators; choose two with annotators=(x, y) "
                "or use fleiss_kappa / krippendorff_alpha"
            )
        ia, ib = 0, 1
    else:
        if len(annotators) != 2:
            raise ValueError("annotators: expected a pair (x, y)")
        # pandas-stubs type get_indexer's target as an Index; pandas takes any array-like
        pos = r.annotators.get_indexer(list(annotators))  # type: ignore[arg-type]
        if (pos < 0).any():
            missing = [x for x, p in zip(annotators, pos, strict=True) if p < 0]
            raise ValueError(f"annotators: unknown annotator(s) {missing} (column {annotator!r})")
        ia, ib = int(pos[0]), int(pos[1])
    ca = np.full(r.n_items, -1, dtype=np.int64)
    cb = np.full(r.n_items, -1, dtype=np.int64)
    sel_a, sel_b = r.annotator == ia, r.annotator == ib
    ca[r.item[sel_a]] = r.code[sel_a]
    cb[r.item[sel_b]] = r.code[sel_b]
    ok = (ca >= 0) & (cb >= 0)
    ca, cb = ca[ok], cb[ok]
    if lab_index is not None:
        # pandas-stubs type get_indexer's target as an Index; pandas takes any array-like
        lookup = lab_index.get_indexer(_canonical_text(r.labels)) if r.n_labels else np.zeros(0, np.int64)  # type: ignore[arg-type]
        ca, cb = lookup[ca], lookup[cb]
        keep = (ca >= 0) & (cb >= 0)
        return _kappa_from_codes(ca[keep], cb[keep], len(lab_index), weights)
    present = np.zeros(max(r.n_labels, 1), dtype=bool)
    present[ca] = True
    present[cb] = True
    lookup = np.cumsum(present) - 1
    return _kappa_from_codes(lookup[ca], lookup[cb], int(present.sum()) or 1, weights)


# ---------------------------------------------------------------------------
# Fleiss' kappa
# ---------------------------------------------------------------------------
def fleiss_kappa(
    data: Any,
    *,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> AgreementResult:
    """Fleiss' kappa, generalised to items with differing numbers of ratings.

    ``kappa = (P_bar - P_e) / (1 - P_e)`` with the per-item agreement
    ``P_i = sum_j n_ij (n_ij - 1) / (n_i (n_i - 1))`` averaged over the items
    with ``n_i >= 2`` ratings, and ``P_e = sum_j p_j^2`` where ``p_j`` is the
    share of label ``j`` among all ratings of those items. Items with fewer
    than two ratings are excluded. With the same number of ratings per item
    this is exactly ``statsmodels.stats.inter_rater.fleiss_kappa``; otherwise
    the result says so (``varying_raters=True`` and :attr:`~AgreementResult.note`).

    Annotator identity is not used, so a table of counts works too
    (see :func:`~hitl_widgets.metrics.ratings_from_counts`).

    Returns
    -------
    AgreementResult
        ``float(result)`` is kappa; NaN when only one label was used (then
        ``P_e = 1``; statsmodels also gives NaN) or no item has 2 ratings.
    """
    r = _to_matrix(data, item=item, annotator=annotator, label=label)
    st = _item_stats(r)
    p = st["pairable"]
    if not p.any():
        _warn("fleiss_kappa is undefined: no item has 2 or more ratings; returning NaN")
        return AgreementResult(
            np.nan, 0, st["n_excluded"], False, "undefined: no item has 2 or more ratings", "fleiss_kappa"
        )
    m = st["m"][p].astype(float)
    P_bar = float(((st["S"][p] - m) / (m * (m - 1))).mean())
    n_c = st["n_c"]
    p_c = n_c / n_c.sum()
    P_e = float((p_c * p_c).sum())
    lo, hi = st["m_range"]
    if st["varying"]:
        note = (
            f"items have between {lo} and {hi} ratings: used the generalisation of Fleiss' kappa for a varying "
            f"number of raters per item (P_i = sum_j n_ij(n_ij-1) / (n_i(n_i-1)), p_j pooled over all ratings "
            f"of the {st['n_items']} included items)."
        )
    else:
        note = f"Fleiss' kappa over {st['n_items']} item(s) with {lo} ratings each."
    note += _excluded_note(st)
    if P_e >= 1.0:
        _warn("fleiss_kappa is undefined: only one label was used (chance agreement is 1); returning NaN")
        return AgreementResult(
            np.nan,
            st["n_items"],
            st["n_excluded"],
            st["varying"],
            "undefined: only one label was used, so chance agreement is 1 "
            "(statsmodels also returns NaN). " + note,
            "fleiss_kappa",
        )
    kappa = (P_bar - P_e) / (1.0 - P_e)
    return AgreementResult(float(kappa), st["n_items"], st["n_excluded"], st["varying"], note, "fleiss_kappa")


# ---------------------------------------------------------------------------
# Krippendorff's alpha
# ---------------------------------------------------------------------------
def _within_sum_sq(item: np.ndarray, x: np.ndarray, m: np.ndarray, n_items: int) -> np.ndarray:
    """Per-item sum of squared deviations from the item mean (numerically stable two-pass)."""
    mean = np.bincount(item, weights=x, minlength=n_items) / np.maximum(m, 1)
    dev = x - mean[item]
    return np.bincount(item, weights=dev * dev, minlength=n_items)


def _table(item: np.ndarray, code: np.ndarray, n_items: int, n_labels: int) -> tuple[np.ndarray, ...]:
    """Sparse item x label count table ``(item, code, count)`` sorted by item then code."""
    key = item.astype(np.int64) * n_labels + code
    if n_items * n_labels <= 50_000_000:
        cnt = np.bincount(key, minlength=n_items * n_labels)
        nz = np.flatnonzero(cnt)
        cnt = cnt[nz]
    else:
        nz, cnt = np.unique(key, return_counts=True)
    return nz // n_labels, nz % n_labels, cnt


def _ratio_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    s = a + b
    return np.divide(a - b, s, out=np.zeros(np.broadcast(a, b).shape), where=s != 0) ** 2


def krippendorff_alpha(
    data: Any,
    level: Level = "nominal",
    *,
    labels: Sequence[Any] | None = None,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> float:
    """Krippendorff's alpha at any level of measurement, missing ratings allowed.

    Equal to ``krippendorff.alpha(reliability_data=M.T, level_of_measurement=level)``
    (that package takes annotators x items). Computed from the coincidence
    matrix without materialising it per item: ``alpha = 1 - D_o / D_e`` with

    * nominal: ``D_o = sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1)``,
      ``D_e = (n^2 - sum_c n_c^2) / (n - 1)``;
    * interval: ``D_o = sum_u 2 m_u SS_u / (m_u - 1)`` (``SS_u`` the within-item
      sum of squares), ``D_e = 2 n SS / (n - 1)``;
    * ordinal: interval on the mid-ranks ``R_c = sum_{g<=c} n_g - n_c / 2``
      (Krippendorff's ordinal metric is exactly the squared mid-rank difference);
    * ratio: the pairs of distinct values within each item, enumerated by
      offsets in the sorted item x label table, against ``n^T D n / (n - 1)``.

    All sums run over items with at least two ratings; ``n`` counts their ratings.

    Parameters
    ----------
    data:
        Long DataFrame or items x annotators matrix (NaN = missing).
    level:
        ``"nominal"``, ``"ordinal"``, ``"interval"`` or ``"ratio"``.
    labels:
        Ordered label list. Required for ordinal alpha on non-numeric labels
        (the order of the list is the scale); for interval / ratio the labels
        must be numbers (or their canonical text: ``"2"``, ``"2.5"``).

    Labels are compared as the store keeps them (:func:`hitl_widgets.items.canonical`):
    ``1``, ``1.0`` and ``"1"`` are one label. Text labels that are all numbers
    (``"1"``, ``"2"``, ``"10"``) are read as those numbers for the ordinal (no
    ``labels`` given), interval and ratio levels.
    item, annotator, label:
        Column names of the long format.

    Returns
    -------
    float
        Alpha; NaN with an :class:`UndefinedAgreementWarning` when it is
        undefined (only one value used, or no item with two ratings) - the
        ``krippendorff`` package raises ``ValueError`` in those cases.
    """
    if level not in LEVELS:
        raise ValueError(f"level: unknown level of measurement {level!r}; expected one of {LEVELS}")
    r = _to_matrix(data, item=item, annotator=annotator, label=label)
    code, domain = _on_scale(r, level, labels)
    V = domain.size

    m = r.ratings_per_item()
    pairable = m >= 2
    if not pairable.any():
        _warn(
            "krippendorff_alpha is undefined: no item has 2 or more ratings; returning NaN "
            "(the krippendorff package raises ValueError)"
        )
        return float("nan")
    wu = np.zeros(r.n_items)
    wu[pairable] = 1.0 / (m[pairable] - 1)

    if level == "nominal":
        D_o, D_e = _nominal_disagreement(r, m, wu)
    else:
        keep = pairable[r.item]
        item_k, code_k = r.item[keep], code[keep]
        n_c = np.bincount(code_k, minlength=V).astype(float)
        if level in ("interval", "ordinal"):
            D_o, D_e = _interval_disagreement(level, domain, item_k, code_k, n_c, m, wu, r.n_items)
        else:
            D_o, D_e = _ratio_disagreement(domain, item_k, code_k, n_c, wu, r.n_items)
    if D_e == 0:
        _warn(
            "krippendorff_alpha is undefined: all pairable ratings have the same value "
            "(expected disagreement is 0); returning NaN (the krippendorff package raises "
            "ValueError when the domain has one value, and returns NaN otherwise)"
        )
        return float("nan")
    return float(1.0 - D_o / D_e)


def _on_scale(r: Ratings, level: str, labels: Sequence[Any] | None) -> tuple[np.ndarray, np.ndarray]:
    """The ratings' codes and the values they code, on the level's scale: the order of
    `labels` when given; for ordinal text labels that are all numbers, the numbers' order;
    for interval and ratio, numbers."""
    code = r.code
    domain = np.asarray(r.labels)
    numeric = r.numeric
    if labels is not None:
        code, domain, numeric = _in_label_order(code, domain, labels)
    elif level == "ordinal" and not numeric:
        values = _numeric_values(domain)
        if values is None:
            raise ValueError(
                "labels: ordinal alpha on non-numeric labels needs the ordered label list (labels=[...])"
            )
        # text labels that are all numbers ("1", "2", "10"): their scale is the numbers' order
        order = np.argsort(values, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        code, domain, numeric = rank[code], values[order], True
    if level in ("interval", "ratio") and not numeric:
        values = _numeric_values(domain)
        if values is None:
            raise ValueError(
                f"level: {level!r} alpha needs numeric ratings (got labels such as {domain[:3].tolist()})"
            )
        domain = values  # canonical numeric text ("2", "2.5") read as numbers
    return code, domain


def _in_label_order(
    code: np.ndarray,
    domain: np.ndarray,
    labels: Sequence[Any],
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(codes, values, numeric) with the codes recoded to positions in `labels`; a
    ValueError when a rating is not in `labels`."""
    lab_index = _label_texts(labels)  # canonical text: 1, 1.0 and "1" are one label
    # pandas-stubs type get_indexer's target as an Index; pandas takes any array-like
    pos = lab_index.get_indexer(_canonical_text(domain)) if domain.size else np.zeros(0, np.int64)  # type: ignore[arg-type]
    used = np.bincount(code, minlength=domain.size) > 0
    if (pos[used] < 0).any():
        raise ValueError(f"labels: rating value(s) {domain[used & (pos < 0)][:5].tolist()} are not in labels")
    code = pos[code]
    domain = _as_label_array(list(labels))
    numeric = pd.api.types.is_numeric_dtype(pd.Series(domain).infer_objects()) and domain.dtype != bool
    return code, domain, numeric


def _nominal_disagreement(r: Ratings, m: np.ndarray, wu: np.ndarray) -> tuple[float, float]:
    """(D_o, D_e) at the nominal level, from the per-item label counts."""
    st = _item_stats(r)
    mf = m.astype(float)
    D_o = float((wu * (mf * mf - st["S"])).sum())
    n_c = st["n_c"]
    n = n_c.sum()
    D_e = float((n * n - (n_c * n_c).sum()) / (n - 1))
    return D_o, D_e


def _interval_disagreement(
    level: str,
    domain: np.ndarray,
    item_k: np.ndarray,
    code_k: np.ndarray,
    n_c: np.ndarray,
    m: np.ndarray,
    wu: np.ndarray,
    n_items: int,
) -> tuple[float, float]:
    """(D_o, D_e) at the interval level, or the ordinal one (interval on the mid-ranks)."""
    n = n_c.sum()
    scale = domain.astype(float) if level == "interval" else np.cumsum(n_c) - n_c / 2.0
    x = scale[code_k]
    SS_u = _within_sum_sq(item_k, x, m, n_items)
    D_o = float((2.0 * m * SS_u * wu).sum())
    xbar = (n_c * scale).sum() / n
    D_e = float(2.0 * n * (n_c * (scale - xbar) ** 2).sum() / (n - 1))
    return D_o, D_e


def _ratio_disagreement(
    domain: np.ndarray, item_k: np.ndarray, code_k: np.ndarray, n_c: np.ndarray, wu: np.ndarray, n_items: int
) -> tuple[float, float]:
    """(D_o, D_e) at the ratio level: the pairs of distinct values within each item, by
    offsets in the sorted item x label table, against all pairs of values (in blocks)."""
    n = n_c.sum()
    scale = domain.astype(float)
    it, co, cnt = _table(item_k, code_k, n_items, domain.size)
    cnt = cnt.astype(float)
    D_o = 0.0
    k = 1
    while k < it.size:
        same = it[k:] == it[:-k]
        if not same.any():
            break
        j = np.flatnonzero(same)
        d = _ratio_distance(scale[co[j]], scale[co[j + k]])
        D_o += float((2.0 * wu[it[j]] * cnt[j] * cnt[j + k] * d).sum())
        k += 1
    D_e = 0.0
    nz = np.flatnonzero(n_c)
    vals, nv = scale[nz], n_c[nz]
    step = max(1, 4_000_000 // max(nz.size, 1))
    for s in range(0, nz.size, step):
        D_e += float(nv[s : s + step] @ _ratio_distance(vals[s : s + step, None], vals[None, :]) @ nv)
    D_e /= n - 1
    return D_o, D_e


# ---------------------------------------------------------------------------
# per-label agreement
# ---------------------------------------------------------------------------
def _coincidences(r: Ratings, st: dict[str, Any]) -> np.ndarray | None:
    """Krippendorff coincidence matrix (labels x labels) over pairable items; None if too many labels."""
    V = r.n_labels
    if V > 3000:
        return None
    it, co, cnt = st["table"]
    sel = st["keep"]
    it, co, cnt = it[sel], co[sel], cnt[sel].astype(float)
    m = st["m"]
    w = 1.0 / (m[it] - 1)
    o = np.zeros(V * V)
    o += np.bincount(co * V + co, weights=w * cnt * (cnt - 1), minlength=V * V)
    k = 1
    while k < it.size:
        same = it[k:] == it[:-k]
        if not same.any():
            break
        j = np.flatnonzero(same)
        val = w[j] * cnt[j] * cnt[j + k]
        o += np.bincount(co[j] * V + co[j + k], weights=val, minlength=V * V)
        o += np.bincount(co[j + k] * V + co[j], weights=val, minlength=V * V)
        k += 1
    return o.reshape(V, V)


def per_label_agreement(
    data: Any,
    *,
    threshold: float = 0.6,
    min_ratings: int = 5,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> pd.DataFrame:
    """Which labels do people agree on, and which do they not?

    For every label ``c`` (over items with at least two ratings):

    * ``specific_agreement`` = agreeing pairs involving ``c`` / all pairs involving ``c``
      ``= sum_i n_ic (n_ic - 1) / sum_i n_ic (m_i - 1)`` - for two raters this is
      the classic positive (specific) agreement ``2a / (2a + b + c)``;
    * ``chance_agreement`` = ``p_c``, the share of ``c`` among all those ratings
      (specific agreement expected if ratings were paired at random);
    * ``kappa`` = ``(specific_agreement - p_c) / (1 - p_c)``, Fleiss' per-category kappa;
    * ``most_confused_with`` and ``confusion_share``: the other label that ``c`` is most
      often paired with when raters disagree, and its share of those disagreements.

    Rows are sorted from the least to the most agreed-upon label; ``flagged`` marks
    labels with ``kappa < threshold`` and at least ``min_ratings`` ratings, and
    ``note`` says in words what to do about them.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, n_ratings, n_items, specific_agreement, chance_agreement,
        kappa, most_confused_with, confusion_share, flagged, note``.
    """
    r = _to_matrix(data, item=item, annotator=annotator, label=label)
    st = _item_stats(r, need_table=True)
    it, co, cnt = st["table"]
    keep = st["keep"]
    V = r.n_labels
    m = st["m"]
    cntf = cnt.astype(float)
    agree = np.bincount(co[keep], weights=(cntf * (cntf - 1))[keep], minlength=V)
    total = np.bincount(co[keep], weights=(cntf * (m[it] - 1))[keep], minlength=V)
    with np.errstate(invalid="ignore", divide="ignore"):
        sa = np.where(total > 0, agree / np.where(total > 0, total, 1), np.nan)
        n_c = st["n_c"]
        p_c = n_c / n_c.sum() if n_c.sum() > 0 else np.full(V, np.nan)
        kappa = np.where((total > 0) & (p_c < 1), (sa - p_c) / (1 - p_c), np.nan)
    n_ratings = np.bincount(r.code, minlength=V)
    n_items = np.bincount(co, minlength=V)
    o = _coincidences(r, st)
    confused = np.full(V, None, dtype=object)
    share = np.full(V, np.nan)
    if o is not None and V > 1:
        off = o.copy()
        np.fill_diagonal(off, 0.0)
        rows = off.sum(1)
        best = off.argmax(1)
        has = rows > 0
        confused[has] = np.asarray(r.labels, dtype=object)[best[has]]
        share[has] = off[np.flatnonzero(has), best[has]] / rows[has]
    flagged = (kappa < threshold) & (n_ratings >= min_ratings)
    notes = []
    for c in range(V):
        lab = r.labels[c]
        if np.isnan(sa[c]):
            notes.append(f"label {lab!r} never appears on an item with 2+ ratings: agreement unknown")
        elif flagged[c]:
            conf = f"; most often confused with {confused[c]!r}" if confused[c] is not None else ""
            notes.append(
                f"people disagree on label {lab!r} (specific agreement {sa[c]:.2f}, kappa {kappa[c]:.2f}{conf}): "
                "the guideline is unclear there"
            )
        elif n_ratings[c] < min_ratings and kappa[c] < threshold:
            notes.append(
                f"low agreement on label {lab!r} but only {n_ratings[c]} rating(s): too few to judge"
            )
        else:
            notes.append("")
    df = pd.DataFrame(
        {
            "label": list(r.labels),
            "n_ratings": n_ratings,
            "n_items": n_items,
            "specific_agreement": sa,
            "chance_agreement": p_c,
            "kappa": kappa,
            "most_confused_with": confused,
            "confusion_share": share,
            "flagged": flagged,
            "note": notes,
        }
    )
    df = df.sort_values(
        ["specific_agreement", "n_ratings"], ascending=[True, False], na_position="last", kind="stable"
    ).reset_index(drop=True)
    return df


# ---------------------------------------------------------------------------
# model vs humans
# ---------------------------------------------------------------------------
def _align_to_items(values: Any, r: Ratings, name: str) -> np.ndarray:
    """Model labels aligned with ``r.items``: mapping keyed by item id, or a sequence in item order."""
    if isinstance(values, dict):
        values = pd.Series(values, dtype=object)
    if isinstance(values, pd.Series) and values.index.is_unique and r.items.isin(values.index).any():
        return np.asarray(values.reindex(r.items).to_numpy(), dtype=object)
    arr = _as_1d(values, name)
    if arr.size != r.n_items:
        raise ValueError(
            f"{name}: got {arr.size} labels for {r.n_items} items; pass a Series/dict keyed by item id "
            "or one label per item in data order"
        )
    return arr


def model_agreement(
    data: Any,
    model_labels: Any,
    *,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> ModelAgreementResult:
    """How well does a model agree with the human annotators?

    Parameters
    ----------
    data:
        Human ratings (long DataFrame or items x annotators matrix).
    model_labels:
        The model's label per item: a :class:`pandas.Series` or dict keyed by item id
        (recommended; required for :func:`bootstrap_ci`), or a sequence with one label
        per item in the order of the items in ``data`` (first appearance in a long
        DataFrame, row order of a matrix). Items with a missing model label are skipped.

    Returns
    -------
    ModelAgreementResult
        ``agreement`` = share of human ratings equal to the model label;
        ``kappa`` = Cohen's kappa between the majority human label and the model
        label (items with a tied human vote are excluded and counted);
        ``per_annotator`` = agreement of each annotator with the model.
    """
    r = _to_matrix(data, item=item, annotator=annotator, label=label)
    model = _align_to_items(model_labels, r, "model_labels")
    has_model = ~pd.isna(model)
    # compared as canonical text on both sides: a model label 1.0 or "1" equals a human 1
    lab_index = pd.Index(_canonical_text(r.labels), dtype=object)
    model_codes = np.full(r.n_items, -1, dtype=np.int64)
    if has_model.any():
        model_codes[has_model] = lab_index.get_indexer(_canonical_text(model[has_model]))
    sel = has_model[r.item]
    eq = (model_codes[r.item] == r.code) & sel
    n_ratings = int(sel.sum())
    agreement = float(eq.sum() / n_ratings) if n_ratings else float("nan")
    per_n = np.bincount(r.annotator[sel], minlength=r.n_annotators)
    per_eq = np.bincount(r.annotator[eq], minlength=r.n_annotators)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = pd.Series(
            np.where(per_n > 0, per_eq / np.maximum(per_n, 1), np.nan),
            index=r.annotators,
            name="agreement_with_model",
        )
    # majority human label vs model
    from .consensus import _majority_codes

    maj, tie, n_votes = _majority_codes(r)
    rated = n_votes > 0
    use = has_model & rated & ~tie
    n_ties = int((has_model & rated & tie).sum())
    human = np.asarray(r.labels, dtype=object)[maj[use]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedAgreementWarning)
        kappa = cohen_kappa(human, model[use]) if use.any() else float("nan")
    n_items = int((has_model & rated).sum())
    note = (
        f"{n_ratings} human rating(s) on {n_items} item(s) compared with the model; "
        f"{agreement:.1%} of ratings equal the model label; kappa(majority vs model) = {kappa:.3f}"
        + (f" ({n_ties} tied item(s) excluded)" if n_ties else "")
    )
    if np.isnan(kappa) and use.any():
        note += "; kappa undefined (a single label used by both)"
    return ModelAgreementResult(agreement, float(kappa), n_items, n_ratings, n_ties, per, note)
