"""What every kind of review items shares: id checks, text columns, error messages
that name the argument and the first offending rows, and the content hash."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd


def rows_named(mask: np.ndarray | pd.Series, index: pd.Index, limit: int = 5) -> str:
    """The first offending row labels, for error messages."""
    pos = np.flatnonzero(np.asarray(mask))

    def fmt(v: Any) -> str:
        v = v.item() if isinstance(v, np.generic) else v
        return str(v) if isinstance(v, (int, np.integer)) else repr(v)

    shown = ", ".join(fmt(index[p]) for p in pos[:limit])
    more = f" and {len(pos) - limit} more" if len(pos) > limit else ""
    return f"{shown}{more}"


def hash_parts(*parts: str) -> str:
    """A short stable hash of what a person sees: the same id with other content is
    another item, and the store keeps their decisions apart. Each kind hashes its own
    parts (``items.<kind>.content_hash``)."""
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
    s: pd.Series = df[column]
    return s


def validate_ids(df: pd.DataFrame, id: Hashable | None) -> pd.Index:
    """The item ids: a column or the index; none missing, none repeated (also once
    turned into text, which is how the store keeps them)."""
    where = "the index" if id is None else f"id={id!r}"
    ids: pd.Index = pd.Index(df.index if id is None else require_column(df, id, "id"))
    missing = np.asarray(ids.isna())
    if missing.any():
        raise ValueError(f"{where}: missing ids in rows {rows_named(missing, df.index)}")
    # factorize, not Index.is_unique: on Arrow strings it never materialises a million
    # Python strings (time and memory of a 1,000,000-row frame).
    codes, uniques = pd.factorize(ids)
    if len(uniques) != len(ids):
        dup = np.bincount(codes)[codes] > 1
        raise ValueError(f"{where}: duplicate ids in rows {rows_named(dup, df.index)}")
    if ids.dtype == object or not (
        pd.api.types.is_integer_dtype(ids.dtype) or pd.api.types.is_string_dtype(ids.dtype)
    ):
        as_text = canonical_texts(ids)
        if not as_text.is_unique:
            dup = as_text.duplicated(keep=False)
            raise ValueError(
                f"{where}: ids that differ only in type are the same id once stored as text "
                f"(1, 1.0 and '1' are one id), in rows {rows_named(dup, df.index)}"
            )
        # (Arrow-backed strings are valid UTF-8 by construction; object ones may not be)
        check_encodable(as_text, df.index, where)
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
            f"{rows_named(bad_type, df.index)}"
        )
    if s.dtype == object:
        empty = np.fromiter((not v.strip() for v in s), bool, len(s))
    else:  # Arrow-backed strings: vectorised, no copy of the texts
        empty = np.asarray((s.str.len() == 0) | s.str.isspace(), dtype=bool)
    if empty.any():
        raise ValueError(f"{argument}={column!r}: empty text in rows {rows_named(empty, df.index)}")
    return s


def canonical(value: Any) -> str | None:
    """A label or id as the store keeps it: text, the same for ``1``, ``1.0``,
    ``np.int64(1)`` and ``"1"`` (so an id or a label never splits in two by its type).
    None for a missing value (None, NaN, NA)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    return str(value)


def canonical_texts(values: pd.Index | pd.Series) -> pd.Index:
    """`canonical` over many values, vectorised where the dtype allows (an object-dtype
    index: its hash table is built once and reused by every lookup)."""
    dtype = values.dtype
    if pd.api.types.is_integer_dtype(dtype) or (
        pd.api.types.is_string_dtype(dtype) and dtype != np.dtype(object)
    ):
        out = np.asarray(values.astype(str), dtype=object)
    else:
        out = np.fromiter((canonical(v) for v in values), dtype=object, count=len(values))
    index: pd.Index = pd.Index(out, dtype=object)
    return index


def check_encodable(texts: pd.Index, index: pd.Index, where: str) -> None:
    """Refuse text that cannot be stored (a lone surrogate from a broken decode), naming
    the rows, before anything is written."""
    try:
        "\x1f".join(t for t in texts if isinstance(t, str)).encode("utf-8")
    except UnicodeEncodeError:
        bad = np.fromiter((_not_utf8(t) for t in texts), bool, len(texts))
        raise ValueError(
            f"{where}: text that is not valid Unicode (a lone surrogate, e.g. from a file "
            f"decoded with errors='surrogateescape') in rows {rows_named(bad, index)}"
        ) from None


def _not_utf8(t: Any) -> bool:
    if not isinstance(t, str):
        return False
    try:
        t.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def validate_labels(labels: Sequence[Any] | None, argument: str = "labels") -> list[str]:
    """A label set: non-empty, no missing or empty name, no repeat (also once turned into
    text: ``1`` and ``"1"`` are the same label)."""
    if labels is None or isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
        raise ValueError(f"{argument} must be a non-empty list of label names, e.g. {argument}=['yes', 'no']")
    raw = list(labels)
    if not raw:
        raise ValueError(f"{argument} must be a non-empty list of label names, e.g. {argument}=['yes', 'no']")
    out = [canonical(lab) for lab in raw]
    missing = [i for i, lab in enumerate(out) if lab is None]
    if missing:
        raise ValueError(f"{argument}: a missing label (None or NaN) at position {missing[0]} of {raw!r}")
    names = [str(lab) for lab in out]
    if any(not lab.strip() for lab in names):
        raise ValueError(f"{argument}: an empty label name in {names!r}")
    if len(set(names)) != len(names):
        dup = sorted({lab for lab in names if names.count(lab) > 1})
        raise ValueError(f"{argument}: repeated label names {dup!r} (labels are compared as text)")
    return names


class ItemIds:
    """Id lookups every kind of items shares (needs `ids` and `_id_text` attributes)."""

    ids: pd.Index
    _id_text: pd.Index | None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def id_text(self) -> pd.Index:
        """Ids as the store keeps them (`canonical` text); built once, on first need."""
        if self._id_text is None:
            self._id_text = canonical_texts(self.ids)
        return self._id_text

    def item_id(self, pos: int) -> str:
        if self._id_text is not None:
            return str(self._id_text[pos])
        return str(canonical(self.ids[pos]))

    def positions_of(self, item_ids: Sequence[str]) -> np.ndarray:
        """Row positions of store ids (-1 for ids not in this frame)."""
        return np.asarray(self.id_text.get_indexer(pd.Index(list(item_ids), dtype=object)))


def show_value(v: Any) -> str:
    """A cell as a person reads it beside the text (a policy's amount, a customer)."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return "missing"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1000 else f"{v:.4g}"
    text = str(v)
    return text if len(text) <= 200 else text[:199] + "…"


class ModelLabels:
    """What the kinds that review a model's label share (classification, images): the
    model's label and confidence per row, and the part of the payload that shows them.
    Needs `labels`, `pred` (label index per row, -1 where none), `confidence`, `proba`,
    `reasons` and `fields` attributes."""

    labels: list[str]
    pred: np.ndarray | None
    confidence: np.ndarray | None
    proba: np.ndarray | None
    reasons: pd.Series | None
    fields: list[tuple[str, pd.Series]]

    @property
    def answers(self) -> list[str]:
        """What a gold item's known answer may be: a label."""
        return self.labels

    def model_label(self, pos: int) -> str | None:
        if self.pred is None or self.pred[pos] < 0:
            return None
        return self.labels[int(self.pred[pos])]

    def model_confidence(self, pos: int) -> float | None:
        return None if self.confidence is None else float(self.confidence[pos])

    def model_payload(self, pos: int) -> dict[str, Any]:
        """The model's label, confidence, probabilities, the routing reasons and the
        extra columns of row `pos`, as the browser shows them."""
        proba = None
        if self.proba is not None:
            proba = {lab: float(p) for lab, p in zip(self.labels, self.proba[pos], strict=True)}
        reasons: list[str] = []
        if self.reasons is not None:
            r = self.reasons.iat[pos]
            reasons = list(r) if isinstance(r, (list, tuple)) else ([] if r is None else [str(r)])
        return {
            "model_label": self.model_label(pos),
            "confidence": self.model_confidence(pos),
            "proba": proba,
            "reasons": reasons,
            "fields": [[name, show_value(col.iat[pos])] for name, col in self.fields],
        }
