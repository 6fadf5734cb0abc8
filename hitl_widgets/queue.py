"""Which item comes next: the order of one review session's queue.

No widget decides this itself. A queue is an array of row positions built once when
a review opens (undecided items only, in the order asked for); the browser pages
through it by queue index, so only a small window ever crosses the wire.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

OrderSpec = str | Sequence[int] | np.ndarray | Callable[[np.ndarray], np.ndarray] | None


class ReviewQueue:
    """An ordered array of row positions with paging by queue index."""

    def __init__(self, positions: np.ndarray) -> None:
        self.positions = np.asarray(positions, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.positions.size)

    def page(self, start: int, count: int) -> list[tuple[int, int]]:
        """(queue index, row position) pairs for queue entries [start, start + count)."""
        start = max(0, int(start))
        stop = min(len(self), start + max(0, int(count)))
        return [(qi, int(self.positions[qi])) for qi in range(start, stop)]

    def position(self, qi: int) -> int:
        return int(self.positions[qi])


def build_order(
    n: int,
    pending: np.ndarray,
    order: OrderSpec = None,
    *,
    scores: Any = None,
) -> np.ndarray:
    """Positions of `pending` rows (a boolean mask of length n) in review order.

    `order` is None (frame order), an explicit sequence of row positions (rows not
    pending are dropped, the given order kept), a callable returning positions for a
    mask, or the name of a strategy from `hitl_widgets.routing.ordering`.
    """
    pending = np.asarray(pending, dtype=bool)
    if order is None:
        return np.flatnonzero(pending)
    if callable(order):
        out = np.asarray(order(pending), dtype=np.int64)
    elif isinstance(order, str):
        from .routing.ordering import order_positions  # routing owns the strategies

        out = np.asarray(order_positions(order, scores, mask=pending), dtype=np.int64)
    else:
        out = np.asarray(order, dtype=np.int64)
        if out.ndim != 1 or ((out < 0) | (out >= n)).any():
            raise ValueError(f"order: row positions must lie in [0, {n}), one dimension")
        if len(np.unique(out)) != len(out):
            raise ValueError("order: a row position appears twice")
    return out[pending[out]]
