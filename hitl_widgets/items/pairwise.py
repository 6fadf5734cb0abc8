"""Pairwise items: a prompt (with an optional chat context) and two responses, a and
b, per row; which one is shown on the left is drawn per item from a seed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._common import ItemIds, hash_parts, require_frame, validate_ids, validate_text
from .generation import parse_messages, validate_context, validate_response


def content_hash(prompt: str, a: str, b: str, context: list[dict[str, str]] | None = None) -> str:
    """The content version of a pair: prompt, chat context and both responses."""
    ctx = json.dumps(context, ensure_ascii=False, sort_keys=True) if context else ""
    return hash_parts(prompt, ctx, a, b)


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
        return {
            "prompt": str(self.prompt.iat[pos]),
            "context": msgs or None,
            "a": str(self.a.iat[pos]),
            "b": str(self.b.iat[pos]),
        }

    kind: ClassVar[str] = "pairwise"
    answers: ClassVar[tuple[str, ...]] = CHOICES

    def hash(self, pos: int) -> str:
        t = self.texts(pos)
        return content_hash(t["prompt"], t["a"], t["b"], t["context"])

    def left(self, pos: int) -> str:
        return left_side(self.seed, self.item_id(pos))

    def payload(self, pos: int) -> dict[str, Any]:
        t = self.texts(pos)
        left = self.left(pos)
        right = "b" if left == "a" else "a"
        return {
            "item_id": self.item_id(pos),
            "content_hash": self.hash(pos),
            "prompt": t["prompt"],
            "context": t["context"],
            "left": left,
            "left_text": t[left],
            "right_text": t[right],
            "seed": self.seed,
            "reasons": [],
        }


def validate_pairwise(
    df: Any,
    *,
    prompt: Any = "prompt",
    a: Any = "response_a",
    b: Any = "response_b",
    context: Any = None,
    id: Hashable | None = None,
    seed: Any = 0,
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
