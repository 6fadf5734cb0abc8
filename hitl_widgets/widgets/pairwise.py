"""PairwiseReview: which of two responses to a prompt is better, from the keyboard.

The person sees the two responses as "left" and "right". Which one (a or b) is shown on
the left is drawn per item from (seed, item id), so it is random across items yet
reproducible; every decision stores the choice in terms of a / b *and* the side a was
shown on, so position bias can be measured (`hitl_widgets.exports.position_bias`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Hashable, Mapping

import numpy as np
import pandas as pd

from ..items import ItemIds, content_hash, require_frame, validate_ids, validate_text
from ..queue import OrderSpec
from ..store import Store
from ._base import STATIC, ReviewWidget
from .generation import parse_messages, validate_context, validate_response

CHOICES = ("a", "b", "tie", "both_bad")


def left_side(seed: int | str, item_id: str) -> str:
    """Which response ("a" or "b") is shown on the left for `item_id` under `seed`.

    Deterministic (a SHA-256 of seed and id, not Python's salted `hash`), so the same
    seed gives the same sides in any process; about half the items get each side."""
    h = hashlib.sha256(f"{seed}\x1f{item_id}".encode("utf-8", "surrogatepass")).digest()
    return "a" if h[0] & 1 == 0 else "b"


@dataclass
class PairwiseItems(ItemIds):
    df: pd.DataFrame
    ids: pd.Index
    prompt: pd.Series
    a: pd.Series
    b: pd.Series
    context: pd.Series | None
    seed: int | str
    _id_text: pd.Index | None = field(default=None, repr=False)

    def texts(self, pos: int) -> dict[str, Any]:
        msgs = None
        if self.context is not None:
            msgs, _ = parse_messages(self.context.iat[pos])
        return {"prompt": str(self.prompt.iat[pos]), "context": msgs or None,
                "a": str(self.a.iat[pos]), "b": str(self.b.iat[pos])}

    def hash(self, pos: int) -> str:
        t = self.texts(pos)
        ctx = json.dumps(t["context"], ensure_ascii=False, sort_keys=True) if t["context"] else ""
        return content_hash(t["prompt"], ctx, t["a"], t["b"])

    def left(self, pos: int) -> str:
        return left_side(self.seed, self.item_id(pos))

    def payload(self, pos: int) -> dict[str, Any]:
        t = self.texts(pos)
        left = self.left(pos)
        right = "b" if left == "a" else "a"
        return {
            "item_id": self.item_id(pos), "content_hash": self.hash(pos),
            "prompt": t["prompt"], "context": t["context"],
            "left": left, "left_text": t[left], "right_text": t[right],
            "seed": self.seed, "reasons": [],
        }


def validate_pairwise(
    df: Any, *, prompt: Any = "prompt", a: Any = "response_a", b: Any = "response_b",
    context: Any = None, id: Hashable | None = None, seed: Any = 0,
) -> PairwiseItems:
    if isinstance(seed, np.integer):
        seed = int(seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, str)):
        raise ValueError(f"seed must be an integer (or a string), got {seed!r}")
    df = require_frame(df)
    ids = validate_ids(df, id)
    p = validate_text(df, prompt, "prompt")
    sa = validate_response(df, a, "a")
    sb = validate_response(df, b, "b")
    c = validate_context(df, context) if context is not None else None
    return PairwiseItems(df, ids, p, sa, sb, c, seed)


class PairwiseReview(ReviewWidget):
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
    seed:
        Seeds the per-item draw of which response is shown on the left (reproducible).
    id, store, annotator, task, order, guideline_version, prefetch, revisit, on_changed:
        As for `ClassificationReview`.
    """

    _esm = STATIC / "pairwise.js"
    _css = STATIC / "pairwise.css"

    def __init__(
        self,
        df: Any,
        prompt: Hashable = "prompt",
        a: Hashable = "response_a",
        b: Hashable = "response_b",
        seed: int = 0,
        context: Hashable | None = None,
        id: Hashable | None = None,
        store: str | Store = "hitl.db",
        annotator: str | None = None,
        *,
        task: str = "pairwise",
        order: OrderSpec = None,
        guideline_version: str = "",
        prefetch: int = 8,
        revisit: bool = False,
        on_changed: str = "error",
    ) -> None:
        items = validate_pairwise(df, prompt=prompt, a=a, b=b, context=context, id=id, seed=seed)
        self._seed = items.seed
        super().__init__(
            items, store=store, annotator=annotator, task=task, order=order,
            guideline_version=guideline_version, prefetch=prefetch, revisit=revisit,
            on_changed=on_changed, config={"seed": items.seed},
        )

    def _kind_name(self) -> str:
        return "pairwise"

    def _payload(self, pos: int) -> dict[str, Any]:
        return self._items.payload(pos)

    @property
    def seed(self) -> int | str:
        return self._seed

    def left_of(self, item_id: Any) -> str:
        """Which response ("a" or "b") is shown on the left for this item id."""
        return left_side(self._seed, str(item_id))

    # -- decisions ------------------------------------------------------------
    def _check_decision(self, d: Mapping[str, Any], pos: int | None) -> None:
        action = d.get("action")
        if action not in ("compare", "flag", "skip", "undo", "note"):
            raise ValueError(f"action {action!r} does not apply to a pairwise review")
        if action == "compare":
            data = d.get("data") if isinstance(d.get("data"), Mapping) else {}
            if data.get("choice") not in CHOICES:
                raise ValueError(f"compare: choice {data.get('choice')!r} is not one of {list(CHOICES)!r}")
            if data.get("left") not in (None, "a", "b"):
                raise ValueError(f"compare: left {data.get('left')!r} is not 'a' or 'b'")

    def _event_fields(self, d: Mapping[str, Any], pos: int | None) -> dict[str, Any]:
        action = d.get("action")
        if action in ("undo", "skip", "note"):
            return {}
        sent = dict(d["data"]) if isinstance(d.get("data"), Mapping) else {}
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
            data.update({k: v for k, v in sent.items() if k in ("left", "seed", "prompt", "context", "a", "b")})
        out: dict[str, Any] = {}
        if action == "compare":
            reason = d.get("note") or sent.get("reason")
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
            raise ValueError(f"choose: choice {choice!r} is not one of {list(CHOICES)!r} (or 'left' / 'right')")
        reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
        self._decide_here("compare", note=reason,
                          data={"choice": choice, "left": cur["left"], "seed": self._seed, "reason": reason})

    def flag(self, note: str | None = None) -> None:
        """Flag the current pair as ambiguous, with an optional note."""
        self._decide_here("flag", note=note)

    def position_bias(self) -> dict[str, Any]:
        """How often the side shown on the left won (see `hitl_widgets.exports.position_bias`)."""
        from ..exports import position_bias

        return position_bias(self._store, task=self._task)
