"""PairwiseReview: which of two responses to a prompt is better, from the keyboard.

The person sees the two responses as "left" and "right". Which one (a or b) is shown on
the left is drawn per item from (seed, item id), so it is random across items yet
reproducible; every decision stores the choice in terms of a / b *and* the side a was
shown on, so position bias can be measured (`hitl_widgets.exports.position_bias`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar, Unpack

from ..items.classification import validate_gold
from ..items.pairwise import CHOICES, PairwiseItems, left_side, validate_pairwise
from ..store import Action
from ._base import STATIC, ReviewWidget
from ._options import ReviewOptions, resolve_options
from ._protocol import Decision


class PairwiseReview(ReviewWidget[PairwiseItems]):
    """Compare two responses per prompt, in the notebook, from the keyboard.

    >>> review = PairwiseReview(df, a="response_a", b="response_b", seed=0)   # doctest: +SKIP

    Keys: 1 left is better, 2 right is better, 3 tie, 4 both bad; R writes a reason
    first (Enter keeps it, then 1-4 decide with it); F flag, S skip, Z undo, arrows move,
    ? all keys.

    The stored decision (action "compare") has ``data = {"choice": "a" | "b" | "tie" |
    "both_bad", "left": "a" | "b", "seed": seed, "reason": ...}`` plus the texts
    (prompt, context, a, b), so exports and the position-bias check need only the store.

    Parameters
    ----------
    df:
        One row per prompt.
    prompt, a, b:
        Columns with the prompt and the two responses.
    context:
        Optional column of chat histories (lists of ``{"role", "content"}`` messages).
    id:
        Column with item ids; default the frame's index.
    **options:
        Every review's options (`ReviewOptions`); ``seed`` seeds the per-item draw of
        which response is shown on the left (reproducible); ``gold`` is a column of
        known choices ("a", "b", "tie", "both_bad"); ``task`` defaults to "pairwise",
        ``prefetch`` to 8.
    """

    _esm = STATIC / "pairwise.js"
    _css = STATIC / "pairwise.css"

    kind_actions: ClassVar[frozenset[str]] = frozenset({Action.COMPARE, Action.FLAG})

    def __init__(
        self,
        df: Any,
        prompt: Hashable = "prompt",
        a: Hashable = "response_a",
        b: Hashable = "response_b",
        context: Hashable | None = None,
        id: Hashable | None = None,
        **options: Unpack[ReviewOptions],
    ) -> None:
        opts = resolve_options(dict(options), task="pairwise", prefetch=8)
        items = validate_pairwise(df, prompt=prompt, a=a, b=b, context=context, id=id, seed=opts.seed)
        gold = validate_gold(df, opts.gold, CHOICES) if opts.gold is not None else None
        self._seed = items.seed
        super().__init__(items, opts, gold=gold, config={"seed": items.seed})

    def _answer_of(self, ev: Mapping[str, Any]) -> str | None:
        data = ev.get("data")
        choice = data.get("choice") if isinstance(data, dict) else None
        return None if choice is None else str(choice)

    def _gold_text(self, pos: int) -> str:
        return str(self._items.texts(pos)["prompt"])

    @property
    def seed(self) -> int | str:
        return self._seed

    def left_of(self, item_id: Any) -> str:
        """Which response ("a" or "b") is shown on the left for this item id."""
        return left_side(self._seed, str(item_id))

    # -- decisions ------------------------------------------------------------
    def _check_decision(self, d: Decision, pos: int | None) -> None:
        if d["action"] == Action.COMPARE:
            data = d["data"] or {}
            if data.get("choice") not in CHOICES:
                raise ValueError(f"compare: choice {data.get('choice')!r} is not one of {list(CHOICES)!r}")
            if data.get("left") not in (None, "a", "b"):
                raise ValueError(f"compare: left {data.get('left')!r} is not 'a' or 'b'")

    def _event_fields(self, d: Decision, pos: int | None) -> dict[str, Any]:
        action = d["action"]
        if action in (Action.UNDO, Action.SKIP, Action.NOTE):
            return {}
        sent = dict(d["data"] or {})
        data: dict[str, Any] = {}
        if pos is not None:
            mine = self._items.left(pos)
            # the side the person saw: the browser's word for it (a resend from a session
            # with another seed), else this review's draw
            left = sent.get("left") if sent.get("left") in ("a", "b") else mine
            data["left"] = left
            data["seed"] = self._seed if left == mine or "seed" not in sent else sent["seed"]
            data.update(self._items.texts(pos))
        else:
            data.update(
                {k: v for k, v in sent.items() if k in ("left", "seed", "prompt", "context", "a", "b")}
            )
        out: dict[str, Any] = {}
        if action == Action.COMPARE:
            reason = d["note"] or sent.get("reason")
            reason = str(reason).strip() if reason else None
            data["choice"] = sent["choice"]
            data["reason"] = reason or None
            out["label_after"] = sent["choice"]
            out["note"] = reason or None
        out["data"] = data
        return out

    # -- Python actions (mirror the keys) -------------------------------------
    def choose(self, choice: str, reason: str | None = None) -> None:
        """Decide on the current pair: "a", "b", "tie" or "both_bad" (also "left" /
        "right": the response shown on that side), with an optional reason."""
        cur = self.current
        if cur is None:
            raise IndexError("the review queue is empty: every item has been handled")
        if choice in ("left", "right"):
            choice = cur["left"] if choice == "left" else ("b" if cur["left"] == "a" else "a")
        if choice not in CHOICES:
            raise ValueError(
                f"choose: choice {choice!r} is not one of {list(CHOICES)!r} (or 'left' / 'right')"
            )
        reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
        self._decide_here(
            Action.COMPARE,
            note=reason,
            data={"choice": choice, "left": cur["left"], "seed": self._seed, "reason": reason},
        )

    def position_bias(self) -> dict[str, Any]:
        """How often the side shown on the left won (see `hitl_widgets.exports.position_bias`)."""
        from ..exports import position_bias

        return position_bias(self._store, task=self._task)
