"""Input handling shared by every metric: one canonical representation of ratings.

Every public function in :mod:`hitl_widgets.metrics` accepts

* a *long* :class:`pandas.DataFrame` with one row per rating and the columns
  ``item``, ``annotator`` and ``label`` (names configurable through keyword
  arguments of the same names),
* a *wide* items x annotators matrix (:class:`numpy.ndarray`, nested list or
  :class:`pandas.DataFrame`) with ``NaN`` / ``None`` for a missing rating, or
* an already converted :class:`Ratings` object (what :func:`_to_matrix`
  returns; handy when several metrics are computed on the same data).

All conversion happens in :func:`_to_matrix`; the metrics themselves only see
the sparse triples ``(item, annotator, code)`` held by :class:`Ratings`, so a
crowdsourcing data set with thousands of annotators never needs a dense
items x annotators matrix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..items import canonical

__all__ = ["DegenerateIntervalWarning", "Ratings", "UndefinedAgreementWarning", "ratings_from_counts"]

# dense ``n_items * n_labels`` work arrays are used below this size, sorting above it
_DENSE_LIMIT = 50_000_000


class UndefinedAgreementWarning(RuntimeWarning):
    """Emitted when a coefficient is undefined (e.g. only one label was ever used) and NaN is returned."""


class DegenerateIntervalWarning(UndefinedAgreementWarning):
    """Emitted by :func:`~hitl_widgets.metrics.bootstrap_ci` when there are too few items to
    resample (fewer than 2): every replicate is the same data, so the interval would have
    zero width; NaN bounds are returned instead."""


@dataclass(frozen=True, eq=False)
class Ratings:
    """Ratings in canonical sparse form (one entry per non-missing rating).

    Attributes
    ----------
    item, annotator, code:
        Integer arrays of equal length ``n_ratings``: the item index (into
        :attr:`items`), the annotator index (into :attr:`annotators`) and the
        label index (into :attr:`labels`) of every rating. Entries are sorted by
        item, then annotator.
    items, annotators:
        The item and annotator identifiers (:class:`pandas.Index`). ``items``
        may contain duplicates in bootstrap resamples.
    labels:
        The label domain, sorted when the labels can be ordered.
    numeric:
        Whether the labels are numbers (needed for interval / ratio metrics).
    """

    item: np.ndarray
    annotator: np.ndarray
    code: np.ndarray
    items: pd.Index
    annotators: pd.Index
    labels: np.ndarray
    numeric: bool
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ sizes
    @property
    def n_items(self) -> int:
        """Number of items (rows), including items without any rating."""
        return len(self.items)

    @property
    def n_annotators(self) -> int:
        """Number of annotators (columns), including annotators without any rating."""
        return len(self.annotators)

    @property
    def n_labels(self) -> int:
        """Size of the label domain."""
        return len(self.labels)

    @property
    def n_ratings(self) -> int:
        """Number of non-missing ratings."""
        return int(self.item.size)

    # ----------------------------------------------------------- derived data
    def ratings_per_item(self) -> np.ndarray:
        """Number of ratings of every item, shape ``(n_items,)``."""
        if "m" not in self._cache:
            self._cache["m"] = np.bincount(self.item, minlength=self.n_items)
        return self._cache["m"]

    def dense_counts(self) -> np.ndarray | None:
        """Dense items x labels count matrix, or None when it would be too large (cached)."""
        if "dense" not in self._cache:
            n, v = self.n_items, self.n_labels
            if n * v <= _DENSE_LIMIT:
                key = self.item * v + self.code
                self._cache["dense"] = np.bincount(key, minlength=n * v).reshape(n, v)
            else:
                self._cache["dense"] = None
        return self._cache["dense"]

    def item_label_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sparse items x labels count table ``(item, code, count)``, sorted by item then code.

        Only non-zero cells are listed. Built with one ``np.bincount`` when the
        dense table is small, with ``np.unique`` otherwise.
        """
        if "table" not in self._cache:
            v = self.n_labels
            dense = self.dense_counts()
            if dense is not None:
                flat = dense.ravel()
                nz = np.flatnonzero(flat)
                counts = flat[nz]
            else:
                nz, counts = np.unique(self.item * v + self.code, return_counts=True)
            self._cache["table"] = (nz // v, nz % v, counts.astype(np.int64, copy=False))
        return self._cache["table"]

    def counts(self) -> np.ndarray:
        """Dense items x labels count matrix (the table used by Fleiss' kappa)."""
        dense = self.dense_counts()
        if dense is not None:
            return dense.copy()
        it, co, cnt = self.item_label_table()
        out = np.zeros((self.n_items, self.n_labels), dtype=np.int64)
        out[it, co] = cnt
        return out

    def codes_matrix(self) -> np.ndarray:
        """Dense items x annotators matrix of label codes, ``-1`` where missing."""
        out = np.full((self.n_items, self.n_annotators), -1, dtype=np.int64)
        out[self.item, self.annotator] = self.code
        return out

    def to_frame(self) -> pd.DataFrame:
        """Wide items x annotators :class:`~pandas.DataFrame` of labels (NaN where missing)."""
        codes = self.codes_matrix()
        if self.numeric:
            lab = np.append(np.asarray(self.labels, dtype=float), np.nan)
        else:
            lab = np.append(np.asarray(self.labels, dtype=object), np.nan)
        return pd.DataFrame(lab[codes], index=self.items, columns=self.annotators)

    def to_long(self, item: str = "item", annotator: str = "annotator", label: str = "label") -> pd.DataFrame:
        """Long format: one row per rating."""
        return pd.DataFrame(
            {
                item: np.asarray(self.items)[self.item],
                annotator: np.asarray(self.annotators)[self.annotator],
                label: np.asarray(self.labels)[self.code],
            }
        )

    def values(self) -> np.ndarray:
        """Numeric value of every rating (float), for interval / ratio metrics."""
        if not self.numeric:
            raise ValueError("labels: ratings are not numeric")
        return np.asarray(self.labels, dtype=float)[self.code]

    def resample_items(self, idx: np.ndarray) -> Ratings:
        """A new :class:`Ratings` made of the items at positions ``idx`` (with repetition).

        The label domain and annotators are kept, the item identifiers are the
        original ones (so duplicated identifiers appear in ``items``).
        """
        idx = np.asarray(idx, dtype=np.int64)
        m = self.ratings_per_item()
        ptr = self._cache.get("ptr")
        if ptr is None:
            ptr = np.concatenate(([0], np.cumsum(m)))
            self._cache["ptr"] = ptr
        lengths = m[idx]
        total = int(lengths.sum())
        new_item = np.repeat(np.arange(idx.size, dtype=np.int64), lengths)
        out_start = np.cumsum(lengths) - lengths
        pos = np.arange(total, dtype=np.int64) + np.repeat(ptr[idx] - out_start, lengths)
        return Ratings(
            item=new_item,
            annotator=self.annotator[pos],
            code=self.code[pos],
            items=self.items[idx],
            annotators=self.annotators,
            labels=self.labels,
            numeric=self.numeric,
        )

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return (
            f"Ratings(n_items={self.n_items}, n_annotators={self.n_annotators}, "
            f"n_ratings={self.n_ratings}, labels={list(self.labels)[:10]}"
            f"{'...' if self.n_labels > 10 else ''})"
        )


# ---------------------------------------------------------------------------
# label encoding
# ---------------------------------------------------------------------------
# Labels are compared as the store keeps them (`hitl_widgets.items.canonical`): 1, 1.0,
# np.int64(1) and "1" are one label, wherever they meet. Values of one kind (all numbers, all
# text, all booleans) already compare that way, so only a mix of kinds (``infer_dtype``
# "mixed" / "mixed-integer", e.g. ints from one annotator and strings from another) is
# turned into canonical text, value by value (``pd.factorize`` alone would also merge True
# with 1). When every canonical text of such a mix is a number, the labels become numbers
# again (numeric semantics for interval / ratio / ordinal metrics are kept).
_MIXED_KINDS = ("mixed", "mixed-integer")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _number_from_text(t: Any) -> int | float | None:
    """The number whose canonical text is `t` ("1" -> 1, "2.5" -> 2.5), else None ("01",
    " 1", "1.0", "nan", "inf" and non-numbers are not the canonical text of a finite number)."""
    if not isinstance(t, str):
        return None
    try:
        v: int | float = int(t)
    except ValueError:
        try:
            v = float(t)
        except ValueError:
            return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v if canonical(v) == t else None


def _numeric_values(domain: Any) -> np.ndarray | None:
    """Float value of every label when each is a number or the canonical text of one
    (``["1", "2.5"]`` -> ``[1.0, 2.5]``); None otherwise (booleans are not numbers here)."""
    arr = np.asarray(domain)
    if arr.dtype.kind in "iuf":
        return arr.astype(float)
    out = np.empty(arr.size, dtype=float)
    for k, v in enumerate(arr.ravel()):
        if isinstance(v, np.generic):
            v = v.item()
        if _is_number(v):
            out[k] = float(v)
            continue
        num = _number_from_text(v)
        if num is None:
            return None
        out[k] = float(num)
    return out


def _canonical_text(values: Any) -> np.ndarray:
    """`canonical` of every value (object array of str, None where missing), the same
    comparison the ratings use: a lookup of labels given by the caller goes through it."""
    arr = np.asarray(values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else values)
    if arr.ndim != 1:
        arr = arr.ravel()
    if arr.dtype.kind not in "biufO":
        arr = arr.astype(object)
    if arr.size and arr.dtype.kind == "O" and pd.api.types.infer_dtype(arr, skipna=True) in _MIXED_KINDS:
        return np.fromiter((canonical(v) for v in arr), dtype=object, count=arr.size)
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    text = np.array([canonical(u) for u in uniques] + [None], dtype=object)
    return text[codes]


def _label_texts(labels: Sequence[Any], argument: str = "labels") -> pd.Index:
    """A label list given by the caller as canonical text; duplicates (also once turned
    into text: 1 and "1" are one label) and missing labels are refused."""
    raw = list(labels)
    text = [canonical(lab) for lab in raw]
    if any(t is None for t in text):
        raise ValueError(f"{argument}: contains a missing label (None or NaN): {raw!r}")
    idx = pd.Index(text, dtype=object)
    if not idx.is_unique:
        dup = sorted({t for t in text if t is not None and text.count(t) > 1})  # none is None (checked above)
        raise ValueError(
            f"{argument}: contains duplicates {dup!r} (labels are compared as text: 1 and '1' are one label)"
        )
    return idx


def _as_label_array(x: Any) -> np.ndarray:
    """``np.asarray`` that keeps Python values: a list mixing numbers and text would
    otherwise become numpy text with ``str()`` of each (1.0 -> "1.0", not "1")."""
    arr = np.asarray(x)
    if arr.dtype.kind in "US" and not isinstance(x, np.ndarray):
        obj = np.asarray(x, dtype=object)
        if obj.shape == arr.shape:
            return obj
    return arr


def _merge_mixed(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """For distinct labels of mixed kinds: ``(remap, merged)`` where ``merged`` are the
    labels as canonical text (or numbers, when every one is a number), in order of first
    appearance, and ``remap[k]`` the position of ``uniques[k]`` in it. None when the labels
    are of one kind (nothing to merge)."""
    if uniques.size < 2 or pd.api.types.infer_dtype(uniques, skipna=True) not in _MIXED_KINDS:
        return None
    text = np.fromiter((canonical(u) for u in uniques), dtype=object, count=uniques.size)
    remap, merged = pd.factorize(text, sort=False)
    merged = np.asarray(merged, dtype=object)
    nums = [_number_from_text(t) for t in merged]
    if all(v is not None for v in nums):
        merged = np.array(nums, dtype=object)
    return remap.astype(np.int64), merged


def _is_numeric_array(values: np.ndarray) -> bool:
    if values.dtype.kind in "biuf":
        return True
    if values.dtype.kind != "O" or values.size == 0:
        return False
    try:
        return bool(pd.api.types.is_numeric_dtype(pd.Series(values).infer_objects()))
    except Exception:  # pragma: no cover - defensive
        return False


def _encode_labels(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Map non-missing label values to codes ``0..V-1`` in sorted label order.

    Returns ``(codes, labels, numeric)``.
    """
    if values.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0), True
    if values.dtype.kind == "b":
        labels, codes = np.unique(values, return_inverse=True)
        return codes.astype(np.int64).ravel(), labels, False
    if values.dtype.kind in "iuf":
        vals = values
        vmin, vmax = vals.min(), vals.max()
        if vals.dtype.kind == "f" and not (np.isfinite(vmin) and np.isfinite(vmax)):
            raise ValueError("label: ratings must be finite numbers (use NaN only for missing)")
        # fast path for small integer-valued label sets: no sort needed
        if vmax - vmin < 10_000_000:
            off_raw = vals - vmin
            off = off_raw.astype(np.int64, copy=False)
            if vals.dtype.kind != "f" or np.array_equal(off, off_raw):
                present = np.bincount(off) > 0
                codes = off if present.all() else (np.cumsum(present) - 1)[off]
                labels = np.flatnonzero(present) + vmin
                labels = labels.astype(values.dtype if values.dtype.kind == "f" else np.int64)
                return codes, labels, True
        labels, codes = np.unique(vals, return_inverse=True)
        return codes.astype(np.int64).ravel(), labels, True
    # objects / strings: hash-based factorize, then sort the (few) uniques
    if pd.api.types.infer_dtype(values, skipna=True) in _MIXED_KINDS:
        # labels of several kinds (1 and "1"): compare them as the store does, by their
        # canonical text (value by value: factorize alone would merge True with 1)
        values = np.fromiter((canonical(v) for v in values), dtype=object, count=values.size)
        codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
        nums = [_number_from_text(u) for u in uniques]
        if all(v is not None for v in nums):  # every label is a number: keep numbers
            uniques = np.array(nums, dtype=object)
    else:
        codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
    numeric = _is_numeric_array(uniques)
    try:
        order = np.argsort(uniques, kind="stable")
    except TypeError:  # mixed, unorderable labels: keep order of first appearance
        order = np.arange(uniques.size)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    labels = uniques[order]
    if numeric:
        labels = pd.to_numeric(pd.Series(labels)).to_numpy()
    return rank[codes].astype(np.int64), labels, numeric


def _check_names(**names: Any) -> None:
    for arg, name in names.items():
        if not isinstance(name, (str, int)) and name is not None:
            raise ValueError(f"{arg}: column name must be a string, got {name!r}")


def _from_long(df: pd.DataFrame, item: str, annotator: str, label: str) -> Ratings:
    work = df[[item, annotator, label]]
    work = work[~pd.isna(work[label]).to_numpy()]
    for col in (item, annotator):
        if pd.isna(work[col]).any():
            raise ValueError(
                f"column {col!r} ({'item' if col == item else 'annotator'}) contains missing values"
            )
    item_codes, items = pd.factorize(work[item], sort=False)
    ann_codes, annotators = pd.factorize(work[annotator], sort=False)
    n_ann = max(len(annotators), 1)
    key = item_codes.astype(np.int64) * n_ann + ann_codes
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    dup = np.flatnonzero(key_sorted[1:] == key_sorted[:-1])
    if dup.size:
        first = order[dup[0] + 1]
        raise ValueError(
            f"columns {item!r}/{annotator!r}: annotator {annotators[ann_codes[first]]!r} rated item "
            f"{items[item_codes[first]]!r} more than once ({dup.size} duplicated (item, annotator) pairs); "
            f"each annotator may give one {label!r} per item"
        )
    label_col = work[label]
    if isinstance(label_col.dtype, pd.CategoricalDtype):
        # keep the declared category order (useful for ordinal labels)
        codes = label_col.cat.codes.to_numpy().astype(np.int64)
        labels = np.asarray(label_col.cat.categories)
        merged = _merge_mixed(np.asarray(labels, dtype=object))
        if merged is not None:  # categories of several kinds (1 and "1"): one label each
            remap, labels = merged
            codes = remap[codes]
            if _is_numeric_array(labels):
                labels = pd.to_numeric(pd.Series(labels)).to_numpy()
        numeric = _is_numeric_array(labels)
    else:
        lab_values = label_col.to_numpy()
        if lab_values.dtype.kind not in "biufO":
            lab_values = lab_values.astype(object)
        codes, labels, numeric = _encode_labels(lab_values)
    return Ratings(
        item=item_codes[order].astype(np.int64),
        annotator=ann_codes[order].astype(np.int64),
        code=codes[order],
        items=pd.Index(items),
        annotators=pd.Index(annotators),
        labels=labels,
        numeric=numeric,
    )


def _from_wide(values: np.ndarray, items: pd.Index, annotators: pd.Index) -> Ratings:
    if values.ndim != 2:
        raise ValueError(
            "data: expected a 2-D items x annotators matrix or a long DataFrame, "
            f"got an array with shape {values.shape}"
        )
    if values.dtype.kind in "biu":
        mask = np.ones(values.shape, dtype=bool)
    elif values.dtype.kind == "f":
        mask = ~np.isnan(values)
    else:
        values = values.astype(object)
        mask = ~pd.isna(values)
    rows, cols = np.nonzero(mask)  # row-major: sorted by item, then annotator
    vals = values[mask]
    # numbers stored as objects (e.g. a DataFrame with None) -> floats; numeric *strings* stay strings
    if (
        vals.dtype.kind == "O"
        and vals.size
        and pd.api.types.infer_dtype(vals, skipna=False)
        in ("integer", "floating", "mixed-integer-float", "decimal")
    ):
        vals = vals.astype(float)
    codes, labels, numeric = _encode_labels(vals)
    return Ratings(
        item=rows.astype(np.int64, copy=False),
        annotator=cols.astype(np.int64, copy=False),
        code=codes,
        items=items,
        annotators=annotators,
        labels=labels,
        numeric=numeric,
    )


def _to_matrix(
    data: Any,
    *,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> Ratings:
    """Convert any accepted input into :class:`Ratings` (the one place that parses inputs).

    Parameters
    ----------
    data:
        Long DataFrame with columns ``item``, ``annotator``, ``label``; or an
        items x annotators matrix (ndarray / list / DataFrame) with NaN for a
        missing rating; or a :class:`Ratings`.
    item, annotator, label:
        Column names of the long format.

    Raises
    ------
    ValueError
        Missing columns (naming them), an annotator rating the same item twice,
        or data that is not two-dimensional.
    """
    if isinstance(data, Ratings):
        return data
    _check_names(item=item, annotator=annotator, label=label)
    if isinstance(data, pd.DataFrame):
        names = {"item": item, "annotator": annotator, "label": label}
        present = {k: v in data.columns for k, v in names.items()}
        custom = any(v != k for k, v in names.items())
        if all(present.values()):
            return _from_long(data, item, annotator, label)
        if any(present.values()) or custom:
            missing = [f"{k}={v!r}" for k, v in names.items() if not present[k]]
            raise ValueError(
                f"data: long-format DataFrame is missing column(s) {', '.join(missing)}; "
                f"available columns: {list(data.columns)} (pass item=, annotator=, label= to name them)"
            )
        return _from_wide(data.to_numpy(), pd.Index(data.index), pd.Index(data.columns))
    if isinstance(data, pd.Series):
        raise ValueError(
            "data: a Series is one-dimensional; pass an items x annotators matrix or a long DataFrame"
        )
    arr = _as_label_array(data)
    if arr.ndim != 2:
        raise ValueError(
            f"data: expected a 2-D items x annotators matrix or a long DataFrame, got shape {arr.shape}"
        )
    return _from_wide(arr, pd.RangeIndex(arr.shape[0]), pd.RangeIndex(arr.shape[1]))


def ratings_from_counts(
    counts: Any,
    labels: Sequence[Any] | None = None,
    items: Sequence[Any] | None = None,
) -> Ratings:
    """Build :class:`Ratings` from an items x labels table of counts (e.g. CIFAR-10H).

    Each item's ratings are given synthetic annotator ids ``0..n_i-1``, so only
    metrics that ignore annotator identity are meaningful on the result
    (:func:`fleiss_kappa`, :func:`krippendorff_alpha`, :func:`percent_agreement`,
    :func:`per_label_agreement`, :func:`majority_vote`), not Cohen's kappa or
    Dawid-Skene.

    Parameters
    ----------
    counts:
        Non-negative integer counts, shape ``(n_items, n_labels)``; float arrays
        holding whole numbers are accepted.
    labels:
        Label of every column (default ``0..n_labels-1``).
    items:
        Identifier of every row (default ``0..n_items-1``).
    """
    c = np.asarray(counts)
    if c.ndim != 2:
        raise ValueError(f"counts: expected a 2-D items x labels table, got shape {c.shape}")
    if c.dtype.kind == "f" and (not np.all(np.isfinite(c)) or not np.array_equal(c, np.round(c))):
        raise ValueError("counts: must hold whole numbers")
    if (c < 0).any():
        raise ValueError("counts: must be non-negative")
    c = c.astype(np.int64)
    n, v = c.shape
    if labels is None:
        labels_arr = np.arange(v)
    else:
        labels_arr = _as_label_array(list(labels) if not isinstance(labels, np.ndarray) else labels)
        if labels_arr.shape != (v,):
            raise ValueError(f"labels: expected {v} labels (one per column of counts), got {labels_arr.size}")
    item_idx = pd.RangeIndex(n) if items is None else pd.Index(items)
    if len(item_idx) != n:
        raise ValueError(f"items: expected {n} item ids, got {len(item_idx)}")
    flat = c.ravel()
    cell = np.repeat(np.arange(n * v, dtype=np.int64), flat)
    it, co = cell // v, cell % v
    merged = _merge_mixed(np.asarray(labels_arr, dtype=object))
    if merged is not None:  # columns whose labels are one label as text (1 and "1")
        remap, labels_arr = merged
        if _is_numeric_array(labels_arr):
            labels_arr = pd.to_numeric(pd.Series(labels_arr)).to_numpy()
        co = remap[co]
    m = c.sum(1)
    start = np.cumsum(m) - m
    ann = np.arange(cell.size, dtype=np.int64) - np.repeat(start, m)
    n_ann = int(m.max()) if n else 0
    return Ratings(
        item=it,
        annotator=ann,
        code=co,
        items=item_idx,
        annotators=pd.RangeIndex(n_ann),
        labels=labels_arr,
        numeric=_is_numeric_array(labels_arr),
    )
