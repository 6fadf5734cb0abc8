"""A review's counts (per status, done, agreement with the model), kept incrementally
from the one fold's states: each change of an item's state moves the counts by the
difference, so a decision never rescans the store."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..store import ItemState


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=dict)
    done: int = 0
    agree: int = 0
    compared: int = 0  # decided items with a human and a model label

    def add(self, st: ItemState | None, sign: int = 1) -> None:
        if st is None or st.status is None:
            return
        self.counts[st.status] = self.counts.get(st.status, 0) + sign
        if st.decided:
            self.done += sign
            if st.label is not None and st.model_label is not None:
                self.compared += sign
                self.agree += sign * int(st.label == st.model_label)

    def move(self, old: ItemState | None, new: ItemState) -> None:
        self.add(old, -1)
        self.add(new, +1)

    @property
    def agreement(self) -> float | None:
        return self.agree / self.compared if self.compared else None

    def nonzero(self) -> dict[str, int]:
        return {k: v for k, v in self.counts.items() if v}
