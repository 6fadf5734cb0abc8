"""GenerationReview: review LLM outputs from the keyboard: accept, edit (with a word
diff), reject with a reason, flag, rate on a rubric, skip, undo.

The prompt, the optional chat context and the response are rendered in the browser as
markdown through a strict sanitizer (js/src/lib/sanitize.ts). Every decision event
carries the texts it was made on (prompt, context, the model's response and, for an
edit, the edited text and a word diff computed here), so `hitl_widgets.exports` can
build training sets from the store alone.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..items import (
    ItemIds,
    _rows,
    content_hash,
    require_column,
    require_frame,
    validate_ids,
    validate_text,
)
from ..queue import OrderSpec
from ..store import Store
from ._base import STATIC, ReviewWidget

MAX_SCALE = 10  # digits 1-9 and 0 pick a value

# --------------------------------------------------------------------------------------
# word diff (the stored one: the browser's own diff is only for display)
# --------------------------------------------------------------------------------------

# A word with the spaces after it, a punctuation mark with the spaces after it, a
# newline, or leading spaces. Joined, the tokens give the text back exactly.
_WORD_TOKENS = re.compile(r"\w+[^\S\r\n]*|\r?\n|[^\w\s][^\S\r\n]*|[^\S\r\n]+|\s")


def word_tokens(text: str) -> list[str]:
    """Word tokens (each with its trailing spaces); ``"".join(word_tokens(t)) == t``."""
    return _WORD_TOKENS.findall(text)


def _push(out: list[dict[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if out and out[-1]["op"] == op:
        out[-1]["text"] += text
    else:
        out.append({"op": op, "text": text})


def _token_diff(a: list[str], b: list[str], out: list[dict[str, str]]) -> None:
    # common prefix / suffix first: most edits touch a small part of a long text
    i = 0
    while i < len(a) and i < len(b) and a[i] == b[i]:
        i += 1
    j = 0
    while j < len(a) - i and j < len(b) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    _push(out, "equal", "".join(a[:i]))
    mid_a, mid_b = a[i:len(a) - j], b[i:len(b) - j]
    sm = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            _push(out, "equal", "".join(mid_a[i1:i2]))
        else:
            _push(out, "delete", "".join(mid_a[i1:i2]))
            _push(out, "insert", "".join(mid_b[j1:j2]))
    _push(out, "equal", "".join(a[len(a) - j:]))


def word_diff(original: str, edited: str) -> list[dict[str, str]]:
    """Word-level diff of two texts with difflib: a list of ``{"op": "equal" | "delete" |
    "insert", "text": ...}``. The equal + delete texts give `original` back, the equal +
    insert texts give `edited`. Lines are matched first, then words inside changed lines."""
    out: list[dict[str, str]] = []
    la, lb = original.splitlines(keepends=True), edited.splitlines(keepends=True)
    sm = difflib.SequenceMatcher(None, la, lb, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            _push(out, "equal", "".join(la[i1:i2]))
        elif tag == "replace":
            _token_diff(word_tokens("".join(la[i1:i2])), word_tokens("".join(lb[j1:j2])), out)
        else:
            _push(out, "delete", "".join(la[i1:i2]))
            _push(out, "insert", "".join(lb[j1:j2]))
    return out


# --------------------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------------------

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
            f"in rows {_rows(bad, df.index)}; e.g. row {row!r}: {why}"
        )
    return s


def validate_response(df: pd.DataFrame, column: Any, argument: str) -> pd.Series:
    """A column of strings (an empty response is allowed: it can be edited or rejected)."""
    s = require_column(df, column, argument)
    bad = ~np.fromiter((isinstance(v, str) for v in s), bool, len(s))
    if bad.any():
        raise ValueError(
            f"{argument}={column!r}: values that are not text (missing or another type) in rows "
            f"{_rows(bad, df.index)}"
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
                f"rubric[{name!r}]: {len(values)} values; at most {MAX_SCALE} "
                "(digits 1-9 and 0 pick them)"
            )
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (str, int, float)) or (
                isinstance(v, float) and not np.isfinite(v)
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
        hit = [v for v in scales[name] if v == value and isinstance(v, str) == isinstance(value, str)
               and not isinstance(value, bool)]
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

    def hash(self, pos: int) -> str:
        t = self.texts(pos)
        ctx = json.dumps(t["context"], ensure_ascii=False, sort_keys=True) if t["context"] else ""
        return content_hash(t["prompt"], ctx, t["response"])

    def payload(self, pos: int) -> dict[str, Any]:
        return {"item_id": self.item_id(pos), "content_hash": self.hash(pos), **self.texts(pos),
                "reasons": []}


def validate_generation(
    df: Any, *, prompt: Any = "prompt", response: Any = "response", context: Any = None,
    id: Hashable | None = None,
) -> GenerationItems:
    """Check a frame for generation review; raise ValueError naming what is wrong."""
    df = require_frame(df)
    ids = validate_ids(df, id)
    p = validate_text(df, prompt, "prompt")
    r = validate_response(df, response, "response")
    c = validate_context(df, context) if context is not None else None
    return GenerationItems(df, ids, p, r, c)


# --------------------------------------------------------------------------------------
# the widget
# --------------------------------------------------------------------------------------

_VERDICTS = ("accept", "edit", "reject", "flag")


class GenerationReview(ReviewWidget):
    """Review a model's responses to prompts, in the notebook, from the keyboard.

    >>> review = GenerationReview(df, rubric={"helpful": [1, 2, 3, 4, 5]})   # doctest: +SKIP
    >>> review                                                                # doctest: +SKIP

    Keys: Enter / A accept, E edit (Ctrl/Cmd+Enter saves, Esc cancels; the word diff is
    shown), R reject (reason), F flag (note), Tab / Shift+Tab pick a rubric criterion and
    1-9, 0 rate it, S skip, Z undo, arrows move (up / down scroll), ? all keys.

    Parameters
    ----------
    df:
        One row per item. Not copied: only the rows the browser asks for are sent.
    prompt, response:
        Columns with the prompt and the model's response (both rendered as sanitized
        markdown; the response may be empty).
    context:
        Optional column of chat histories, each a list of ``{"role", "content"}``
        messages (or a JSON string of one), shown as turns before the prompt.
    rubric:
        Optional ``{"criterion": [values, ...]}``, e.g. ``{"helpful": [1, 2, 3, 4, 5],
        "harmless": ["yes", "no"]}``; up to 10 values per criterion.
    id, store, annotator, task, order, guideline_version, prefetch, revisit, on_changed:
        As for `ClassificationReview`.
    """

    _esm = STATIC / "generation.js"
    _css = STATIC / "generation.css"

    def __init__(
        self,
        df: Any,
        prompt: Hashable = "prompt",
        response: Hashable = "response",
        context: Hashable | None = None,
        rubric: Mapping[str, Sequence[Any]] | None = None,
        id: Hashable | None = None,
        store: str | Store = "hitl.db",
        annotator: str | None = None,
        *,
        task: str = "generation",
        order: OrderSpec = None,
        guideline_version: str = "",
        prefetch: int = 8,
        revisit: bool = False,
        on_changed: str = "error",
    ) -> None:
        crit = validate_rubric(rubric)
        items = validate_generation(df, prompt=prompt, response=response, context=context, id=id)
        self._rubric = crit
        super().__init__(
            items, store=store, annotator=annotator, task=task, order=order,
            guideline_version=guideline_version, prefetch=prefetch, revisit=revisit,
            on_changed=on_changed, config={"rubric": crit},
        )

    def _kind_name(self) -> str:
        return "generation"

    def _payload(self, pos: int) -> dict[str, Any]:
        return self._items.payload(pos)

    @property
    def rubric(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self._rubric]

    # -- decisions ------------------------------------------------------------
    def _check_decision(self, d: Mapping[str, Any], pos: int | None) -> None:
        action = d.get("action")
        if action not in ("accept", "edit", "reject", "flag", "rate", "skip", "undo", "note"):
            raise ValueError(f"action {action!r} does not apply to a generation review")
        data = d.get("data") if isinstance(d.get("data"), Mapping) else {}
        if "ratings" in data and data["ratings"] is not None:
            check_ratings(self._rubric, data["ratings"])
        if action == "rate" and not data.get("ratings"):
            raise ValueError("rate: no ratings given")
        if action == "edit":
            edited = data.get("edited")
            if not isinstance(edited, str):
                raise ValueError("edit: the edited text is missing")
            if not edited.strip():
                raise ValueError("edit: the edited text is empty; reject the response instead")
            original = self._items.texts(pos)["response"] if pos is not None else data.get("original")
            if isinstance(original, str) and edited == original:
                raise ValueError("edit: the text is unchanged; accept the response instead")

    def _ratings_now(self, item_id: str, pos: int) -> dict[str, Any] | None:
        """The ratings in effect for this annotator on the item (from its current state)."""
        st = self._states.get((item_id, self._items.hash(pos)))
        data = st.data if st is not None else None
        r = data.get("ratings") if isinstance(data, Mapping) else None
        return dict(r) if isinstance(r, Mapping) and r else None

    def _event_fields(self, d: Mapping[str, Any], pos: int | None) -> dict[str, Any]:
        action = d.get("action")
        if action in ("undo", "skip", "note"):
            return {}
        sent = dict(d["data"]) if isinstance(d.get("data"), Mapping) else {}
        if pos is None:  # content this frame no longer holds: keep what the browser sent
            if action == "edit" and isinstance(sent.get("original"), str):
                sent["diff"] = word_diff(sent["original"], str(sent.get("edited", "")))
            return {"data": sent or None}
        texts = self._items.texts(pos)  # the kernel's copy of the texts is authoritative
        data: dict[str, Any] = {"prompt": texts["prompt"], "context": texts["context"]}
        if action == "edit":
            edited = str(sent["edited"])
            data.update(original=texts["response"], edited=edited,
                        diff=word_diff(texts["response"], edited))
        else:
            data["response"] = texts["response"]
        # a verdict or a rating carries every rating in effect for the item
        given = check_ratings(self._rubric, sent["ratings"]) if sent.get("ratings") else {}
        now = self._ratings_now(str(d.get("item_id")), pos) or {}
        if now or given:
            data["ratings"] = {**now, **given}
        return {"data": data}

    # -- Python actions (mirror the keys) -------------------------------------
    def _current_or_raise(self) -> dict[str, Any]:
        cur = self.current
        if cur is None:
            raise IndexError("the review queue is empty: every item has been handled")
        return cur

    def _with_ratings(self, ratings: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not ratings:
            return None
        return {"ratings": check_ratings(self._rubric, ratings)}

    def accept(self, ratings: Mapping[str, Any] | None = None) -> None:
        """Accept the current response as it is (optionally with rubric ratings)."""
        self._decide_here("accept", data=self._with_ratings(ratings))

    def edit(self, text: str, ratings: Mapping[str, Any] | None = None) -> None:
        """Replace the current response by `text`: the event keeps both texts and the diff."""
        cur = self._current_or_raise()
        if not isinstance(text, str) or not text.strip():
            raise ValueError("edit(text): text must be a non-empty string; use reject(reason) instead")
        if text == cur["response"]:
            raise ValueError("edit(text): the text is unchanged; use accept() instead")
        data = {"edited": text, **(self._with_ratings(ratings) or {})}
        self._decide_here("edit", data=data)

    def reject(self, reason: str) -> None:
        """Reject the current response, saying why."""
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("reject(reason): give a reason (a non-empty string)")
        self._decide_here("reject", note=reason.strip())

    def flag(self, note: str | None = None) -> None:
        """Flag the current item as ambiguous, with an optional note."""
        self._decide_here("flag", note=note)

    def rate(self, **ratings: Any) -> None:
        """Rate the current response on the rubric, e.g. ``rate(helpful=4, harmless="yes")``.
        Does not move on: accept / edit / reject afterwards (they keep the ratings)."""
        if not ratings:
            raise ValueError("rate(): name at least one criterion, e.g. rate(helpful=4)")
        self._decide_here("rate", advance=False, data={"ratings": check_ratings(self._rubric, ratings)})
