"""What the kinds that review a model's label share (`ClassificationReview`,
`ImageReview`): a correction must name a label of the set, the stored event carries the
kernel's copy of the model output, and the Python actions accept and correct."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
import pandas as pd

from ..items.classification import validate_gold
from ..store import Action
from ._base import ReviewItems, ReviewWidget
from ._options import Options
from ._protocol import Decision


class LabelledItems(ReviewItems, Protocol):
    """Items with a label set and the model's label per row (`items.ModelLabels`)."""

    labels: list[str]
    proba: np.ndarray | None
    confidence: np.ndarray | None

    @property
    def answers(self) -> list[str]: ...
    def model_label(self, pos: int) -> str | None: ...
    def model_confidence(self, pos: int) -> float | None: ...


LabelledT = TypeVar("LabelledT", bound=LabelledItems)


class LabelReview(ReviewWidget[LabelledT]):
    """A review whose verdict is a label: accept the model's, or correct it to another."""

    kind_actions: ClassVar[frozenset[str]] = frozenset({Action.ACCEPT, Action.CORRECT, Action.FLAG})
    model_fields: ClassVar[tuple[str, ...]] = ("model_label", "confidence", "proba")

    def _start(self, df: pd.DataFrame, items: LabelledT, opts: Options, config: dict[str, Any]) -> None:
        """Open the review of `items`: gold answers checked against the labels, the model's
        probabilities (or confidence) as the scores orderings read."""
        gold = validate_gold(df, opts.gold, items.answers) if opts.gold is not None else None
        scores = items.proba if items.proba is not None else items.confidence
        super().__init__(items, opts, gold=gold, scores=scores, config=config, labels=items.labels)

    def _check_decision(self, d: Decision, pos: int | None) -> None:
        if d["action"] == Action.CORRECT:
            label = d["label"]
            if label is None:
                raise ValueError("correct: no label given")
            if label not in self._items.labels and not self._from_earlier_session(d):
                raise ValueError(f"label {label!r} is not one of {self._items.labels!r}")

    def _from_earlier_session(self, d: Decision) -> bool:
        """A decision the browser kept from an earlier session (a closed tab, a killed
        kernel): it was valid when made, under the label set of its day; it is stored as
        made, marked, never dropped."""
        return bool(d["session_id"]) and d["session_id"] != self.session_id

    def _event_fields(self, d: Decision, pos: int | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if pos is not None:  # the kernel's copy of the model output is authoritative
            out["model_label"] = self._items.model_label(pos)
            out["model_confidence"] = self._items.model_confidence(pos)
        action = d["action"]
        if action == Action.CORRECT:
            out["label_after"] = d["label"]
            if d["label"] not in self._items.labels:  # made under another label set
                out["data"] = {
                    **(d["data"] or {}),
                    "label_set_changed": True,
                    "labels_now": list(self._items.labels),
                }
        elif action == Action.ACCEPT:
            out["label_after"] = out.get("model_label", d.get("model_label"))
        return out

    def _answer_of(self, ev: Mapping[str, Any]) -> str | None:
        label = ev.get("label_after")
        return None if label is None else str(label)

    # -- Python actions ------------------------------------------------------
    def accept(self, *, duration_ms: float | None = None) -> None:
        """Accept the model's label for the current item (`duration_ms`: time spent, for
        scripted or simulated reviewers)."""
        cur = self.current
        if cur is not None and cur.get("model_label") is None:  # none, or hidden (blind)
            raise ValueError("this review has no model label to accept; use correct(label)")
        self._decide_here(Action.ACCEPT, duration_ms=duration_ms)

    def correct(self, label: Any, *, duration_ms: float | None = None) -> None:
        """Set the current item's label to `label` (one of `labels`)."""
        from ..items import canonical

        name = canonical(label)
        if name is None or name not in self._items.labels:
            raise ValueError(f"label {label!r} is not one of {self._items.labels!r}")
        self._decide_here(Action.CORRECT, label=name, duration_ms=duration_ms)
