"""ClassificationReview: accept or correct a model's label for each text, from the keyboard."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Unpack

from ..items.classification import ClassificationItems, validate_classification
from ._base import STATIC
from ._labels import LabelReview
from ._options import ReviewOptions, resolve_options


class ClassificationReview(LabelReview[ClassificationItems]):
    """Review a model's labels on a DataFrame of texts, in the notebook, from the keyboard.

    >>> review = ClassificationReview(df, labels=["auto", "theft"])   # doctest: +SKIP
    >>> review                                                         # doctest: +SKIP

    Keys: Enter / A accept the model's label, 1-9 correct to label n, F flag (with a
    note), S skip, Z undo, arrows move, G guideline, ? every key.

    Parameters
    ----------
    df:
        One row per item. Not copied: only the rows the browser asks for are sent.
    text:
        Column with the text to show (shown as text, never as HTML).
    labels:
        The label set; keys 1-9 correct to the first nine.
    pred, confidence:
        Columns with the model's label and its confidence in [0, 1]; used when the frame
        has them (a review without a model label is fine: ``pred=None``). A column named
        explicitly must exist.
    proba:
        Instead of (or beside) ``confidence``: one probability column per label (a list of
        column names) or an array of shape (rows, labels); rows must sum to 1.
    id:
        Column with item ids; default the frame's index.
    reasons:
        Column with the router's reasons per row (shown as chips).
    fields:
        Columns shown beside the text as "name: value" (e.g. the amount a policy read:
        ``fields=routed.policy_columns``).
    show_model:
        Show the model's label and confidence (default True; see also ``blind``).
    **options:
        Every review's options (`ReviewOptions`): ``store``, ``annotator``, ``task``
        (default ``"classification"``), ``order``, ``guideline``, ``guideline_version``,
        ``gold`` / ``gold_rate`` (a column of right labels), ``overlap``, ``blind``,
        ``break_every``, ``revisit``, ``on_changed``, ``prefetch`` (default 32),
        ``claim_ttl``, ``seed``.
    """

    _esm = STATIC / "classification.js"
    _css = STATIC / "classification.css"

    def __init__(
        self,
        df: Any,
        text: Hashable = "text",
        labels: Sequence[Any] | None = None,
        pred: Hashable | None = "pred",
        confidence: Hashable | None = "confidence",
        proba: Any = None,
        id: Hashable | None = None,
        *,
        reasons: Hashable | None = None,
        fields: Sequence[Hashable] | None = None,
        show_model: bool = True,
        **options: Unpack[ReviewOptions],
    ) -> None:
        opts = resolve_options(dict(options), task="classification", prefetch=32)
        items = validate_classification(
            df,
            text=text,
            labels=labels,
            pred=pred,
            confidence=confidence,
            proba=proba,
            id=id,
            reasons=reasons,
            fields=fields,
        )
        self._start(df, items, opts, {"show_model": bool(show_model)})

    def _gold_text(self, pos: int) -> str:
        return str(self._items.text.iat[pos])
