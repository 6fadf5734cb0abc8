"""Generation items: a prompt, an optional chat context and a model's response per row,
and the rubric the responses are rated on."""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._common import (
    ItemIds,
    hash_parts,
    require_column,
    require_frame,
    rows_named,
    validate_ids,
    validate_text,
)

MAX_SCALE = 10  # digits 1-9 and 0 pick a value
#: A gold generation item's known answer: the response is right as written ("accept"),
#: or it is not ("reject": an edit or a reject gives that answer).
ANSWERS = ("accept", "reject")


def content_hash(prompt: str, response: str, context: list[dict[str, str]] | None = None) -> str:
    """The content version of a generation item: prompt, chat context and response."""
    ctx = json.dumps(context, ensure_ascii=False, sort_keys=True) if context else ""
    return hash_parts(prompt, ctx, response)


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v is pd.NA or (isinstance(v, float) and np.isnan(v)))
    except (TypeError, ValueError):
        return False


def parse_messages(value: Any) -> tuple[list[dict[str, str]] | None, str | None]:
    """A context value as a list of ``{"role", "content"}`` messages, or (None, why)."""
    if _is_missing(value):
        return None, None
    if isinstance(value, str):  # a JSON-encoded list (e.g. read from CSV)
        try:
            value = json.loads(value)
        except ValueError:
            return None, "a string that is not a JSON list of messages"
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return None, f"a {type(value).__name__}, not a list of messages"
    out = []
    for k, m in enumerate(value):
        if not isinstance(m, Mapping):
            return None, f"message {k} is a {type(m).__name__}, not a dict with 'role' and 'content'"
        role, text = m.get("role"), m.get("content")
        if not isinstance(role, str) or not role.strip():
            return None, f"message {k} has no 'role' (a non-empty string)"
        if not isinstance(text, str):
            return None, f"message {k} has no 'content' string"
        out.append({"role": role, "content": text})
    return out, None


def validate_context(df: pd.DataFrame, column: Any) -> pd.Series:
    s = require_column(df, column, "context")
    bad = np.zeros(len(s), dtype=bool)
    first_why = None
    for k, v in enumerate(s):
        _, why = parse_messages(v)
        if why is not None:
            bad[k] = True
            if first_why is None:
                first_why = (df.index[k], why)
    if bad.any():
        row, why = first_why  # type: ignore[misc]
        raise ValueError(
            f"context={column!r}: values that are not a list of {{'role', 'content'}} messages "
            f"in rows {rows_named(bad, df.index)}; e.g. row {row!r}: {why}"
        )
    return s


def validate_response(df: pd.DataFrame, column: Any, argument: str) -> pd.Series:
    """A column of strings (an empty response is allowed: it can be edited or rejected)."""
    s = require_column(df, column, argument)
    bad = ~np.fromiter((isinstance(v, str) for v in s), bool, len(s))
    if bad.any():
        raise ValueError(
            f"{argument}={column!r}: values that are not text (missing or another type) in rows "
            f"{rows_named(bad, df.index)}"
        )
    return s


def validate_rubric(rubric: Any) -> list[dict[str, Any]]:
    """``{"criterion": [values...]}`` -> ``[{"name", "scale"}]`` (order kept)."""
    if rubric is None:
        return []
    if not isinstance(rubric, Mapping):
        raise ValueError(
            "rubric must be a dict of criterion -> list of values, "
            "e.g. rubric={'helpful': [1, 2, 3, 4, 5], 'harmless': ['yes', 'no']}"
        )
    out = []
    for name, scale in rubric.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"rubric: criterion names must be non-empty strings, got {name!r}")
        if isinstance(scale, (str, bytes)) or not isinstance(scale, (Sequence, np.ndarray)):
            raise ValueError(f"rubric[{name!r}]: the scale must be a list of values, got {scale!r}")
        values = [v.item() if isinstance(v, np.generic) else v for v in scale]
        if not values:
            raise ValueError(f"rubric[{name!r}]: empty scale; give the values to pick from, e.g. [1, 2, 3]")
        if len(values) > MAX_SCALE:
            raise ValueError(
                f"rubric[{name!r}]: {len(values)} values; at most {MAX_SCALE} (digits 1-9 and 0 pick them)"
            )
        for v in values:
            if (
                isinstance(v, bool)
                or not isinstance(v, (str, int, float))
                or (isinstance(v, float) and not np.isfinite(v))
            ):
                raise ValueError(f"rubric[{name!r}]: values must be strings or numbers, got {v!r}")
        kinds = {isinstance(v, str) for v in values}
        if len(kinds) > 1:
            raise ValueError(f"rubric[{name!r}]: mixes text and numbers ({values!r}); use one type")
        if len({json.dumps(v) for v in values}) != len(values) or len(set(values)) != len(values):
            raise ValueError(f"rubric[{name!r}]: repeated values in {values!r}")
        out.append({"name": name, "scale": values})
    if not out:
        raise ValueError("rubric: no criteria; pass rubric=None for no ratings")
    return out


def check_ratings(rubric: list[dict[str, Any]], ratings: Any) -> dict[str, Any]:
    """Ratings must name rubric criteria and pick values of their scales."""
    if not isinstance(ratings, Mapping):
        raise ValueError(f"ratings must be a dict of criterion -> value, got {ratings!r}")
    scales = {c["name"]: c["scale"] for c in rubric}
    if not scales and ratings:
        raise ValueError("this review has no rubric: pass rubric={...} to rate")
    out = {}
    for name, value in ratings.items():
        if name not in scales:
            raise ValueError(f"rating {name!r} is not a rubric criterion ({list(scales)!r})")
        hit = [
            v
            for v in scales[name]
            if v == value and isinstance(v, str) == isinstance(value, str) and not isinstance(value, bool)
        ]
        if not hit:
            raise ValueError(f"rating {name}={value!r} is not on its scale {scales[name]!r}")
        out[name] = hit[0]
    return out


# --------------------------------------------------------------------------------------
# items
# --------------------------------------------------------------------------------------


@dataclass
class GenerationItems(ItemIds):
    """Validated generation items over a user's frame (no copy of it)."""

    df: pd.DataFrame
    ids: pd.Index
    prompt: pd.Series
    response: pd.Series
    context: pd.Series | None
    _id_text: pd.Index | None = field(default=None, repr=False)

    def messages(self, pos: int) -> list[dict[str, str]] | None:
        if self.context is None:
            return None
        msgs, _ = parse_messages(self.context.iat[pos])
        return msgs or None

    def texts(self, pos: int) -> dict[str, Any]:
        return {
            "prompt": str(self.prompt.iat[pos]),
            "context": self.messages(pos),
            "response": str(self.response.iat[pos]),
        }

    kind: ClassVar[str] = "generation"
    answers: ClassVar[tuple[str, ...]] = ANSWERS

    def hash(self, pos: int) -> str:
        t = self.texts(pos)
        return content_hash(t["prompt"], t["response"], t["context"])

    def payload(self, pos: int) -> dict[str, Any]:
        return {
            "item_id": self.item_id(pos),
            "content_hash": self.hash(pos),
            **self.texts(pos),
            "reasons": [],
        }


def validate_generation(
    df: Any,
    *,
    prompt: Any = "prompt",
    response: Any = "response",
    context: Any = None,
    id: Hashable | None = None,
) -> GenerationItems:
    """Check a frame for generation review; raise ValueError naming what is wrong."""
    df = require_frame(df)
    ids = validate_ids(df, id)
    p = validate_text(df, prompt, "prompt")
    r = validate_response(df, response, "response")
    c = validate_context(df, context) if context is not None else None
    return GenerationItems(df, ids, p, r, c)
