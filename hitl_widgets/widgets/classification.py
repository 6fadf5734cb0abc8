"""ClassificationReview: accept or correct a model's label for each text, from the keyboard."""

from __future__ import annotations

from typing import Any, Hashable, Mapping, Sequence

from ..items import validate_classification, validate_gold
from ..queue import OrderSpec
from ..store import Store
from ._base import STATIC, ReviewWidget


class ClassificationReview(ReviewWidget):
    """Review a model's labels on a DataFrame of texts, in the notebook, from the keyboard.

    >>> review = ClassificationReview(df, labels=["auto", "theft"])   # doctest: +SKIP
    >>> review                                                         # doctest: +SKIP

    Parameters
    ----------
    df:
        One row per item. Not copied: only the rows the browser asks for are sent.
    text:
        Column with the text to show (shown as text, never as HTML).
    labels:
        The label set; keys 1-9 correct to the first nine.
    pred, confidence:
        Columns with the model's label and its confidence in [0, 1]. ``pred=None``
        reviews without a model label.
    proba:
        Instead of (or beside) ``confidence``: one probability column per label (a list of
        column names) or an array of shape (rows, labels); rows must sum to 1.
    id:
        Column with item ids; default the frame's index.
    store:
        A SQLite file path (default ``"hitl.db"``), a ``postgresql://`` URL, or a ``Store``.
    annotator:
        Who decides (default: the login name). Stamped on every decision.
    task:
        Name of this review inside the store (several reviews can share one store).
    order:
        None (frame order), row positions, or a strategy name from ``hitl_widgets.routing``.
    guideline_version:
        Stamped on every decision.
    revisit:
        Also show items already decided in the store (default: resume where work stopped).
    on_changed:
        ``"error"`` (default) when an id already decided now has other text, or
        ``"review"`` to review the new text as a new item.
    overlap:
        Ratings wanted per item from different annotators (several kernels, processes or
        machines on one store); each annotator is handed items fewer than ``overlap``
        others hold, never one they rated. None: every annotator sees every item.
    blind:
        Hide the model's label and confidence (they are never sent to the browser).
    guideline:
        Markdown shown beside the item; a new text becomes a new version in the store,
        stamped on every decision.
    gold, gold_rate:
        A column with known right labels (missing where unknown); gold items are mixed in
        at ``gold_rate`` and a wrong answer gets immediate feedback with the guideline
        passage for the right label.
    break_every:
        Prompt a break after this many decisions in a sitting.
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
        store: str | Store = "hitl.db",
        annotator: str | None = None,
        *,
        task: str = "classification",
        order: OrderSpec = None,
        reasons: Hashable | None = None,
        guideline_version: str = "",
        prefetch: int = 32,
        revisit: bool = False,
        on_changed: str = "error",
        show_model: bool = True,
        overlap: int | None = None,
        claim_ttl: float = 900.0,
        blind: bool = False,
        guideline: str | None = None,
        gold: Hashable | None = None,
        gold_rate: float = 0.1,
        break_every: int | None = None,
        seed: int = 0,
    ) -> None:
        items = validate_classification(
            df, text=text, labels=labels, pred=pred, confidence=confidence, proba=proba,
            id=id, reasons=reasons,
        )
        gold_labels = validate_gold(df, gold, items.labels) if gold is not None else None
        scores = items.proba if items.proba is not None else items.confidence
        super().__init__(
            items, store=store, annotator=annotator, task=task, order=order, scores=scores,
            guideline_version=guideline_version, prefetch=prefetch, revisit=revisit,
            on_changed=on_changed, config={"show_model": bool(show_model)},
            overlap=overlap, claim_ttl=claim_ttl, blind=blind, guideline=guideline,
            gold=gold_labels, gold_rate=gold_rate, break_every=break_every, seed=seed,
            labels=items.labels,
        )

    def _kind_name(self) -> str:
        return "classification"

    def _payload(self, pos: int) -> dict[str, Any]:
        return self._items.payload(pos)

    def _check_decision(self, d: Mapping[str, Any], pos: int | None) -> None:
        if d.get("action") == "correct":
            label = d.get("label")
            if label is None or str(label) not in self._items.labels:
                raise ValueError(f"label {label!r} is not one of {self._items.labels!r}")

    def _event_fields(self, d: Mapping[str, Any], pos: int | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if pos is not None:  # the kernel's copy of the model output is authoritative
            out["model_label"] = self._items.model_label(pos)
            out["model_confidence"] = self._items.model_confidence(pos)
        action = d.get("action")
        if action == "correct":
            out["label_after"] = str(d["label"])
        elif action == "accept":
            out["label_after"] = out.get("model_label", d.get("model_label"))
        return out

    # -- Python actions ------------------------------------------------------
    def accept(self, *, duration_ms: float | None = None) -> None:
        """Accept the model's label for the current item (`duration_ms`: time spent, for
        scripted or simulated reviewers)."""
        cur = self.current
        if cur is not None and cur.get("model_label") is None:
            raise ValueError("this review has no model label to accept; use correct(label)")
        self._decide_here("accept", duration_ms=duration_ms)

    def correct(self, label: Any, *, duration_ms: float | None = None) -> None:
        """Set the current item's label to `label` (one of `labels`)."""
        if str(label) not in self._items.labels:
            raise ValueError(f"label {label!r} is not one of {self._items.labels!r}")
        self._decide_here("correct", label=str(label), duration_ms=duration_ms)
