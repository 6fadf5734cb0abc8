"""Which item comes next: the order of one review session's queue.

No widget decides this itself. A queue is an array of row positions built once when
a review opens (undecided items only, in the order asked for); the browser pages
through it by queue index, so only a small window ever crosses the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

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


class ClaimQueue(ReviewQueue):
    """A queue shared by several annotators with overlap k.

    Entries are claimed from the store as the annotator reaches them (a page at a time),
    so concurrent annotators are handed different items until each item has k ratings.
    `positions` grows as claims succeed; the end is known only when the candidates run out.
    """

    def __init__(
        self,
        order: np.ndarray,
        ids_of: Callable[[np.ndarray], list[str]],
        claim: Callable[[list[str], int], list[str]],
        *,
        chunk: int = 64,
    ) -> None:
        super().__init__(np.zeros(0, dtype=np.int64))
        self._order = np.asarray(order, dtype=np.int64)
        self._scan = 0  # next candidate in _order to offer to the store
        self._ids_of = ids_of
        self._claim = claim
        self._chunk = chunk
        self._claimed: list[int] = []

    @property
    def exhausted(self) -> bool:
        return self._scan >= len(self._order)

    def ensure(self, upto: int) -> None:
        """Claim until at least `upto` entries exist or no candidate is left."""
        while len(self._claimed) < upto and not self.exhausted:
            cand = self._order[self._scan : self._scan + self._chunk]
            self._scan += len(cand)
            ids = self._ids_of(cand)
            need = upto - len(self._claimed)
            got = set(self._claim(ids, need))
            taken = [int(p) for p, i in zip(cand, ids, strict=True) if i in got]
            # the store stopped at `need`: candidates after the last one taken were not
            # looked at, so offer them again next time
            if got and len(got) == need and len(got) < len(cand):
                last = max(k for k, i in enumerate(ids) if i in got)
                self._scan -= len(cand) - (last + 1)
            self._claimed.extend(taken)
        self.positions = np.asarray(self._claimed, dtype=np.int64)

    def page(self, start: int, count: int) -> list[tuple[int, int]]:
        self.ensure(max(0, int(start)) + max(0, int(count)))
        return super().page(start, count)

    def __len__(self) -> int:
        return len(self._claimed)

    def estimated_length(self) -> int:
        """Entries claimed so far plus candidates not yet offered (an upper bound)."""
        return len(self._claimed) + (len(self._order) - self._scan)


def interleave_gold(regular: np.ndarray, gold: np.ndarray, rate: float, seed: int = 0) -> np.ndarray:
    """Mix gold positions into `regular` so that about `rate` of the queue is gold,
    spread evenly (one gold after every ~1/rate - 1 regular items), gold order shuffled."""
    if not 0 < rate < 1:
        raise ValueError(f"gold_rate must lie in (0, 1), got {rate}")
    rng = np.random.default_rng(seed)
    gold = rng.permutation(np.asarray(gold, dtype=np.int64))
    n_gold = min(len(gold), round(len(regular) * rate / (1 - rate)) or (1 if len(gold) else 0))
    gold = gold[:n_gold]
    if not n_gold:
        return np.asarray(regular, dtype=np.int64)
    # slot i of the gold goes after regular item round((i + 1) * step)
    step = len(regular) / n_gold
    out: list[int] = []
    gi = 0
    for ri, p in enumerate(np.asarray(regular, dtype=np.int64)):
        while gi < n_gold and ri >= round((gi + 0.5) * step):
            out.append(int(gold[gi]))
            gi += 1
        out.append(int(p))
    out.extend(int(g) for g in gold[gi:])
    return np.asarray(out, dtype=np.int64)


def rotate_for(annotator: str, order: np.ndarray) -> np.ndarray:
    """Start each annotator at another point of the order (stable per name), so several
    annotators working at once meet fewer of the same items and order effects spread."""
    if len(order) == 0:
        return order
    import hashlib

    shift = int(hashlib.sha256(annotator.encode()).hexdigest()[:8], 16) % len(order)
    return np.roll(order, -shift)


def session_queue(
    n: int,
    pending: np.ndarray,
    *,
    order: OrderSpec = None,
    scores: Any = None,
    gold: np.ndarray | None = None,
    gold_rate: float = 0.1,
    seed: int | str = 0,
    annotator: str = "",
    overlap: int | None = None,
    ids_of: Callable[[np.ndarray], list[str]] | None = None,
    claim: Callable[[list[str], int], list[str]] | None = None,
    group_by: np.ndarray | None = None,
) -> ReviewQueue:
    """One review session's queue: the pending rows in the order asked for, gold items
    (known answers, `gold` not None) mixed in at `gold_rate`, and with `overlap` a queue
    that claims its entries from the store as the annotator reaches them (each starting
    at another point of the order).

    `group_by` (one sortable key per row, e.g. the predicted label) groups the queue by
    key, each group in the order asked for: what a grid of one label per page needs. A
    claimed queue (`overlap`) hands out entries one at a time, so it cannot be grouped."""
    is_gold = np.zeros(n, dtype=bool) if gold is None else np.array([g is not None for g in gold])
    positions = build_order(n, pending & ~is_gold, order, scores=scores)
    if is_gold.any():
        seed_i = seed if isinstance(seed, int) else int.from_bytes(str(seed).encode()[:8], "little")
        positions = interleave_gold(positions, np.flatnonzero(pending & is_gold), gold_rate, seed=seed_i)
    if group_by is not None:
        if overlap is not None:
            raise ValueError("a queue with overlap is claimed an entry at a time: it cannot be grouped")
        keys = np.asarray(group_by)
        if keys.shape != (n,):
            raise ValueError(f"group_by: one key per row expected ({n}), got shape {keys.shape}")
        positions = positions[np.argsort(keys[positions], kind="stable")]  # stable: the order stays
    if overlap is None:
        return ReviewQueue(positions)
    if ids_of is None or claim is None:
        raise ValueError("a queue with overlap needs ids_of and claim")
    return ClaimQueue(rotate_for(annotator, positions), ids_of=ids_of, claim=claim)
