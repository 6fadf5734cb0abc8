"""Turning a user's DataFrame into validated review items.

Every input error message is born here: each names the argument or column and the
first offending rows, and is raised before any store is opened, so bad input writes
nothing. The user's frame is never copied: items keep references to its columns and
build an item's payload only when the browser asks for it (a 1,000,000-row frame
costs a few arrays of numbers, not a second frame).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Hashable, Sequence

import numpy as np
import pandas as pd

PROBA_TOLERANCE = 1e-3  # rows of probabilities must sum to 1 within this


def _rows(mask: np.ndarray | pd.Series, index: pd.Index, limit: int = 5) -> str:
    """The first offending row labels, for error messages."""
    pos = np.flatnonzero(np.asarray(mask))
    def fmt(v: Any) -> str:
        v = v.item() if isinstance(v, np.generic) else v
        return str(v) if isinstance(v, (int, np.integer)) else repr(v)

    shown = ", ".join(fmt(index[p]) for p in pos[:limit])
    more = f" and {len(pos) - limit} more" if len(pos) > limit else ""
    return f"{shown}{more}"


def content_hash(*parts: str) -> str:
    """A short stable hash of what a person sees: the same id with other content is
    another item, and the store keeps their decisions apart."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def require_frame(df: Any) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise ValueError("df is empty: there is nothing to review")
    return df


def require_column(df: pd.DataFrame, column: Any, argument: str) -> pd.Series:
    if column not in df.columns:
        cols = ", ".join(map(repr, list(df.columns)[:20]))
        raise ValueError(f"{argument}={column!r}: no such column in df (columns: {cols})")
    return df[column]


def validate_ids(df: pd.DataFrame, id: Hashable | None) -> pd.Index:
    """The item ids: a column or the index; none missing, none repeated (also once
    turned into text, which is how the store keeps them)."""
    where = "the index" if id is None else f"id={id!r}"
    ids = pd.Index(df.index if id is None else require_column(df, id, "id"))
    missing = np.asarray(ids.isna())
    if missing.any():
        raise ValueError(f"{where}: missing ids in rows {_rows(missing, df.index)}")
    # factorize, not Index.is_unique: on Arrow strings it never materialises a million
    # Python strings (time and memory of a 1,000,000-row frame).
    codes, uniques = pd.factorize(ids)
    if len(uniques) != len(ids):
        dup = np.bincount(codes)[codes] > 1
        raise ValueError(f"{where}: duplicate ids in rows {_rows(dup, df.index)}")
    if ids.dtype == object or not (
        pd.api.types.is_integer_dtype(ids.dtype) or pd.api.types.is_string_dtype(ids.dtype)
    ):
        as_text = ids.astype(str)
        if not as_text.is_unique:
            dup = as_text.duplicated(keep=False)
            raise ValueError(
                f"{where}: ids that differ only in type are the same id once stored as text, "
                f"in rows {_rows(dup, df.index)}"
            )
    return ids


def validate_text(df: pd.DataFrame, column: Any, argument: str) -> pd.Series:
    """A column of non-empty strings."""
    s = require_column(df, column, argument)
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        bad_type = np.asarray(s.isna())
    else:
        bad_type = ~np.fromiter((isinstance(v, str) for v in s), bool, len(s))
    if bad_type.any():
        raise ValueError(
            f"{argument}={column!r}: values that are not text (missing or another type) in rows "
            f"{_rows(bad_type, df.index)}"
        )
    if s.dtype == object:
        empty = np.fromiter((not v.strip() for v in s), bool, len(s))
    else:  # Arrow-backed strings: vectorised, no copy of the texts
        empty = np.asarray((s.str.len() == 0) | s.str.isspace(), dtype=bool)
    if empty.any():
        raise ValueError(f"{argument}={column!r}: empty text in rows {_rows(empty, df.index)}")
    return s


def validate_labels(labels: Sequence[Any] | None) -> list[str]:
    if labels is None or isinstance(labels, (str, bytes)) or len(list(labels)) == 0:
        raise ValueError("labels must be a non-empty list of label names, e.g. labels=['yes', 'no']")
    out = [str(lab) for lab in labels]
    if any(not lab.strip() for lab in out):
        raise ValueError(f"labels: an empty label name in {out!r}")
    if len(set(out)) != len(out):
        dup = sorted({lab for lab in out if out.count(lab) > 1})
        raise ValueError(f"labels: repeated label names {dup!r}")
    return out


class ItemIds:
    """Id lookups every kind of items shares (needs `ids` and `_id_text` attributes)."""

    ids: pd.Index
    _id_text: pd.Index | None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def id_text(self) -> pd.Index:
        """Ids as the store keeps them (text); built once, on first need."""
        if self._id_text is None:
            # object dtype: its hash table is built once and reused by every lookup
            # (an Arrow-backed string index converts itself on each get_indexer call).
            self._id_text = pd.Index(np.asarray(self.ids.astype(str), dtype=object), dtype=object)
        return self._id_text

    def item_id(self, pos: int) -> str:
        return str(self.ids[pos])

    def positions_of(self, item_ids: Sequence[str]) -> np.ndarray:
        """Row positions of store ids (-1 for ids not in this frame)."""
        return self.id_text.get_indexer(pd.Index(list(item_ids), dtype=object))


@dataclass
class ClassificationItems(ItemIds):
    """Validated classification items over a user's frame (no copy of it)."""

    df: pd.DataFrame
    ids: pd.Index
    text: pd.Series
    labels: list[str]
    pred: np.ndarray | None  # label index per row, -1 where none
    confidence: np.ndarray | None  # float64 per row
    proba: np.ndarray | None  # rows x labels float64
    reasons: pd.Series | None = None  # routing reasons per row (lists), if routed
    _id_text: pd.Index | None = field(default=None, repr=False)

    def hash(self, pos: int) -> str:
        return content_hash(self.text.iat[pos])

    def model_label(self, pos: int) -> str | None:
        if self.pred is None or self.pred[pos] < 0:
            return None
        return self.labels[int(self.pred[pos])]

    def model_confidence(self, pos: int) -> float | None:
        return None if self.confidence is None else float(self.confidence[pos])

    def payload(self, pos: int) -> dict[str, Any]:
        """What the browser needs to show one item."""
        proba = None
        if self.proba is not None:
            proba = {lab: float(p) for lab, p in zip(self.labels, self.proba[pos])}
        reasons: list[str] = []
        if self.reasons is not None:
            r = self.reasons.iat[pos]
            reasons = list(r) if isinstance(r, (list, tuple)) else ([] if r is None else [str(r)])
        return {
            "item_id": self.item_id(pos),
            "content_hash": self.hash(pos),
            "text": str(self.text.iat[pos]),
            "model_label": self.model_label(pos),
            "confidence": self.model_confidence(pos),
            "proba": proba,
            "reasons": reasons,
        }

def validate_classification(
    df: Any,
    *,
    text: Any = "text",
    labels: Sequence[Any] | None = None,
    pred: Any | None = "pred",
    confidence: Any | None = "confidence",
    proba: Any | None = None,
    id: Hashable | None = None,
    reasons: Any | None = None,
) -> ClassificationItems:
    """Check a frame for classification review; raise ValueError naming what is wrong."""
    df = require_frame(df)
    label_list = validate_labels(labels)
    ids = validate_ids(df, id)
    text_s = validate_text(df, text, "text")
    index = {lab: i for i, lab in enumerate(label_list)}

    proba_arr = None
    if proba is not None:
        if isinstance(proba, (list, tuple)) and all(isinstance(c, Hashable) for c in proba) and all(
            c in df.columns for c in proba
        ):
            if len(proba) != len(label_list):
                raise ValueError(
                    f"proba: {len(proba)} columns for {len(label_list)} labels; give one per label"
                )
            proba_arr = df[list(proba)].to_numpy(dtype="float64", na_value=np.nan)
        elif isinstance(proba, (list, tuple)) and all(isinstance(c, str) for c in proba):
            missing = [c for c in proba if c not in df.columns]
            raise ValueError(f"proba: no such columns in df: {missing!r}")
        else:
            try:
                proba_arr = np.asarray(proba, dtype="float64")
            except (TypeError, ValueError) as exc:
                raise ValueError(f"proba: not numeric ({exc})") from None
        if proba_arr.ndim != 2 or proba_arr.shape != (len(df), len(label_list)):
            raise ValueError(
                f"proba: expected shape ({len(df)}, {len(label_list)}) (rows x labels), "
                f"got {proba_arr.shape}"
            )
        bad = np.isnan(proba_arr).any(axis=1) | (proba_arr < 0).any(axis=1) | (proba_arr > 1).any(axis=1)
        if bad.any():
            raise ValueError(f"proba: values missing or outside [0, 1] in rows {_rows(bad, df.index)}")
        sums = proba_arr.sum(axis=1)
        off = np.abs(sums - 1.0) > PROBA_TOLERANCE
        if off.any():
            first = np.flatnonzero(off)[0]
            raise ValueError(
                f"proba: rows do not sum to 1 (tolerance {PROBA_TOLERANCE}) in rows "
                f"{_rows(off, df.index)}; e.g. row {df.index[first]!r} sums to {sums[first]:.6g}"
            )

    pred_arr = None
    if pred is not None and (pred in df.columns or proba_arr is None):
        ps = require_column(df, pred, "pred")
        missing = np.asarray(ps.isna())
        if missing.any():
            raise ValueError(f"pred={pred!r}: missing predicted labels in rows {_rows(missing, df.index)}")
        # factorize first: the label lookup then runs on the few distinct values,
        # not on a million strings (and a categorical column is never expanded).
        uniq_codes, uniques = pd.factorize(ps, use_na_sentinel=True)
        lookup = pd.Index(label_list).get_indexer(pd.Index([str(u) for u in uniques], dtype=object))
        codes = lookup[uniq_codes]
        unknown = codes < 0
        if unknown.any():
            vals = sorted({str(v) for v in ps[unknown].unique()[:5]})
            raise ValueError(
                f"pred={pred!r}: predicted labels not in labels ({vals!r}) in rows "
                f"{_rows(unknown, df.index)}; labels are {label_list!r}"
            )
        pred_arr = codes.astype(np.int16 if len(label_list) < 32000 else np.int32)
    elif proba_arr is not None:
        pred_arr = proba_arr.argmax(axis=1).astype(np.int16)

    conf_arr = None
    if confidence is not None and confidence in df.columns:
        cs = df[confidence]
        if not pd.api.types.is_numeric_dtype(cs.dtype) or pd.api.types.is_bool_dtype(cs.dtype):
            raise ValueError(f"confidence={confidence!r}: not numeric (dtype {cs.dtype})")
        conf_arr = np.asarray(cs, dtype="float64")  # a view when already float64
        bad = np.isnan(conf_arr) | (conf_arr < 0) | (conf_arr > 1)
        if bad.any():
            raise ValueError(
                f"confidence={confidence!r}: values missing (NaN) or outside [0, 1] in rows "
                f"{_rows(bad, df.index)}"
            )
    elif confidence is not None and confidence != "confidence":
        require_column(df, confidence, "confidence")  # named explicitly: must exist
    if conf_arr is None and proba_arr is not None and pred_arr is not None:
        conf_arr = proba_arr[np.arange(len(df)), pred_arr.astype(np.int64)]
    del index

    reasons_s = None
    if reasons is not None:
        reasons_s = require_column(df, reasons, "reasons") if not isinstance(reasons, pd.Series) else reasons
    return ClassificationItems(df, ids, text_s, label_list, pred_arr, conf_arr, proba_arr, reasons_s)


def validate_gold(df: pd.DataFrame, column: Any, labels: list[str]) -> np.ndarray:
    """Known right labels (None where unknown) from a column; each must be a label."""
    s = require_column(df, column, "gold")
    known = ~np.asarray(s.isna())
    values = np.full(len(s), None, dtype=object)
    values[known] = [str(v) for v in s[known]]
    bad = known & ~np.isin(values.astype(str), labels)
    if bad.any():
        raise ValueError(f"gold={column!r}: labels not in labels in rows {_rows(bad, df.index)}; "
                         f"labels are {labels!r}")
    if not known.any():
        raise ValueError(f"gold={column!r}: no row has a known label")
    return values
