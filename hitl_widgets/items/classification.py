"""Classification items: a text per row, a label set, and the model's label with its
confidence (or one probability per label).

Every input error names the argument or column and the first offending rows, and is
raised before any store is opened, so bad input writes nothing. The user's frame is
never copied: items keep references to its columns and build an item's payload only
when the browser asks for it (a 1,000,000-row frame costs a few arrays of numbers).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._common import (
    ItemIds,
    ModelLabels,
    canonical,
    hash_parts,
    require_column,
    require_frame,
    rows_named,
    validate_ids,
    validate_labels,
    validate_text,
)

PROBA_TOLERANCE = 1e-3  # rows of probabilities must sum to 1 within this


def content_hash(text: str) -> str:
    """The content version of a classification item: a hash of its text."""
    return hash_parts(text)


@dataclass
class ClassificationItems(ModelLabels, ItemIds):
    """Validated classification items over a user's frame (no copy of it)."""

    df: pd.DataFrame
    ids: pd.Index
    text: pd.Series
    labels: list[str]
    pred: np.ndarray | None  # label index per row, -1 where none
    confidence: np.ndarray | None  # float64 per row
    proba: np.ndarray | None  # rows x labels float64
    reasons: pd.Series | None = None  # routing reasons per row (lists), if routed
    fields: list[tuple[str, pd.Series]] = field(default_factory=list)  # shown beside the text
    _id_text: pd.Index | None = field(default=None, repr=False)

    kind: ClassVar[str] = "classification"

    def hash(self, pos: int) -> str:
        return content_hash(str(self.text.iat[pos]))

    def payload(self, pos: int) -> dict[str, Any]:
        """What the browser needs to show one item."""
        return {
            "item_id": self.item_id(pos),
            "content_hash": self.hash(pos),
            "text": str(self.text.iat[pos]),
            **self.model_payload(pos),
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
    fields: Sequence[Hashable] | None = None,
) -> ClassificationItems:
    """Check a frame for classification review; raise ValueError naming what is wrong."""
    df = require_frame(df)
    label_list = validate_labels(labels)
    ids = validate_ids(df, id)
    text_s = validate_text(df, text, "text")
    m = validate_model_output(df, label_list, pred, confidence, proba, reasons, fields)
    return ClassificationItems(
        df, ids, text_s, label_list, m.pred, m.confidence, m.proba, m.reasons, m.fields
    )


@dataclass
class ModelOutput:
    """The model's output over a frame, checked (what `ModelLabels` reads)."""

    pred: np.ndarray | None
    confidence: np.ndarray | None
    proba: np.ndarray | None
    reasons: pd.Series | None
    fields: list[tuple[str, pd.Series]]


def validate_model_output(
    df: pd.DataFrame,
    label_list: list[str],
    pred: Any | None,
    confidence: Any | None,
    proba: Any | None,
    reasons: Any | None,
    fields: Sequence[Hashable] | None,
) -> ModelOutput:
    """The model's label (or the argmax of `proba`), its confidence (or the probability of
    its label), the routing reasons and the columns shown beside the item, each checked
    and named when wrong: what every review of a model's label takes."""
    proba_arr = None if proba is None else _proba_array(df, proba, label_list)
    if pred == "pred" and pred not in df.columns:
        pred = None  # the default names an optional column: no model label
    pred_arr = _pred_array(df, pred, proba_arr, label_list)
    conf_arr = _confidence_array(df, confidence)
    if conf_arr is None and proba_arr is not None and pred_arr is not None:
        conf_arr = proba_arr[np.arange(len(df)), pred_arr.astype(np.int64)]
    reasons_s = None
    if reasons is not None:
        reasons_s = require_column(df, reasons, "reasons") if not isinstance(reasons, pd.Series) else reasons
    if fields is not None and (isinstance(fields, (str, bytes)) or not isinstance(fields, Sequence)):
        raise ValueError(f"fields must be a list of column names, got {fields!r}")
    shown = [(str(c), require_column(df, c, "fields")) for c in (fields or [])]
    return ModelOutput(pred_arr, conf_arr, proba_arr, reasons_s, shown)


def _proba_array(df: pd.DataFrame, proba: Any, label_list: list[str]) -> np.ndarray:
    """`proba` as a (rows x labels) float array: one column of `df` per label, or an
    array; checked for shape, missing values, range and rows that do not sum to 1."""
    if (
        isinstance(proba, (list, tuple))
        and all(isinstance(c, Hashable) for c in proba)
        and all(c in df.columns for c in proba)
    ):
        if len(proba) != len(label_list):
            raise ValueError(f"proba: {len(proba)} columns for {len(label_list)} labels; give one per label")
        proba_arr = df[list(proba)].to_numpy(dtype="float64", na_value=np.nan)
    elif isinstance(proba, (list, tuple)) and all(isinstance(c, str) for c in proba):
        missing = [c for c in proba if c not in df.columns]
        raise ValueError(f"proba: no such columns in df: {missing!r}")
    else:
        try:
            proba_arr = np.asarray(proba, dtype="float64")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"proba: not numeric ({exc})") from None
    _check_probabilities(proba_arr, df, len(label_list))
    return proba_arr


def _check_probabilities(proba_arr: np.ndarray, df: pd.DataFrame, n_labels: int) -> None:
    """Check the probabilities: rows x labels, none missing, in [0, 1], rows summing to 1."""
    if proba_arr.ndim != 2 or proba_arr.shape != (len(df), n_labels):
        raise ValueError(
            f"proba: expected shape ({len(df)}, {n_labels}) (rows x labels), got {proba_arr.shape}"
        )
    bad = np.isnan(proba_arr).any(axis=1) | (proba_arr < 0).any(axis=1) | (proba_arr > 1).any(axis=1)
    if bad.any():
        raise ValueError(f"proba: values missing or outside [0, 1] in rows {rows_named(bad, df.index)}")
    sums = proba_arr.sum(axis=1)
    off = np.abs(sums - 1.0) > PROBA_TOLERANCE
    if off.any():
        first = np.flatnonzero(off)[0]
        raise ValueError(
            f"proba: rows do not sum to 1 (tolerance {PROBA_TOLERANCE}) in rows "
            f"{rows_named(off, df.index)}; e.g. row {df.index[first]!r} sums to {sums[first]:.6g}"
        )


def _pred_array(
    df: pd.DataFrame, pred: Any | None, proba_arr: np.ndarray | None, label_list: list[str]
) -> np.ndarray | None:
    """The model's label per row as its index in `label_list`: from the `pred` column,
    else the argmax of the probabilities (None: no model label)."""
    if pred is not None and (pred in df.columns or proba_arr is None):
        ps = require_column(df, pred, "pred")
        no_pred = np.asarray(ps.isna())
        if no_pred.any():
            raise ValueError(
                f"pred={pred!r}: missing predicted labels in rows {rows_named(no_pred, df.index)}"
            )
        # factorize first: the label lookup then runs on the few distinct values,
        # not on a million strings (and a categorical column is never expanded).
        uniq_codes, uniques = pd.factorize(ps, use_na_sentinel=True)
        lookup = pd.Index(label_list).get_indexer(pd.Index([canonical(u) for u in uniques], dtype=object))
        codes = lookup[uniq_codes]
        unknown = codes < 0
        if unknown.any():
            vals = sorted({str(canonical(v)) for v in ps[unknown].unique()[:5]})
            raise ValueError(
                f"pred={pred!r}: predicted labels not in labels ({vals!r}) in rows "
                f"{rows_named(unknown, df.index)}; labels are {label_list!r}"
            )
        return codes.astype(np.int16 if len(label_list) < 32000 else np.int32)
    if proba_arr is not None:
        top: np.ndarray = proba_arr.argmax(axis=1).astype(np.int16)
        return top
    return None


def _confidence_array(df: pd.DataFrame, confidence: Any | None) -> np.ndarray | None:
    """The `confidence` column as floats, checked (None when there is no such column and
    it was not named explicitly)."""
    if confidence is not None and confidence in df.columns:
        cs = df[confidence]
        if not pd.api.types.is_numeric_dtype(cs.dtype) or pd.api.types.is_bool_dtype(cs.dtype):
            raise ValueError(f"confidence={confidence!r}: not numeric (dtype {cs.dtype})")
        conf_arr = np.asarray(cs, dtype="float64")  # a view when already float64
        bad = np.isnan(conf_arr) | (conf_arr < 0) | (conf_arr > 1)
        if bad.any():
            raise ValueError(
                f"confidence={confidence!r}: values missing (NaN) or outside [0, 1] in rows "
                f"{rows_named(bad, df.index)}"
            )
        return conf_arr
    if confidence is not None and confidence != "confidence":
        require_column(df, confidence, "confidence")  # named explicitly: must exist
    return None


def validate_gold(df: pd.DataFrame, column: Any, answers: Sequence[str]) -> np.ndarray:
    """Known right answers (None where unknown) from a column; each must be one of
    `answers` (a classification's labels, a generation's verdicts, a pair's choices)."""
    s = require_column(df, column, "gold")
    known = ~np.asarray(s.isna())
    values = np.full(len(s), None, dtype=object)
    values[known] = [canonical(v) for v in s[known]]
    bad = known & ~np.isin(values.astype(str), list(answers))
    if bad.any():
        raise ValueError(
            f"gold={column!r}: answers not in {list(answers)!r} in rows {rows_named(bad, df.index)}"
        )
    if not known.any():
        raise ValueError(f"gold={column!r}: no row has a known answer")
    return values
