"""GenerationReview: review LLM outputs from the keyboard: accept, edit (with a word
diff), reject with a reason, flag, rate on a rubric, skip, undo.

The prompt, the optional chat context and the response are rendered in the browser as
markdown through a strict sanitizer (js/src/lib/sanitize.ts). Every decision event
carries the texts it was made on (prompt, context, the model's response and, for an
edit, the edited text and a word diff computed here), so `hitl_widgets.exports` can
build training sets from the store alone.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar, Unpack

from ..items.classification import validate_gold
from ..items.generation import (
    ANSWERS,
    GenerationItems,
    check_ratings,
    validate_generation,
    validate_rubric,
)
from ..store import Action
from ..textdiff import word_diff
from ._base import STATIC, ReviewWidget
from ._options import ReviewOptions, resolve_options
from ._protocol import Decision

__all__ = ["GenerationReview", "word_diff"]


class GenerationReview(ReviewWidget[GenerationItems]):
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
    id:
        Column with item ids; default the frame's index.
    **options:
        Every review's options (`ReviewOptions`): ``store``, ``annotator``, ``task``
        (default ``"generation"``), ``order``, ``guideline``, ``gold`` (a column with
        "accept" where the response is right as written, "reject" where it is not: an
        edit or a reject answers "reject"), ``overlap``, ``blind``, ``break_every``,
        ``revisit``, ``on_changed``, ``prefetch`` (default 8), ...
    """

    _esm = STATIC / "generation.js"
    _css = STATIC / "generation.css"

    kind_actions: ClassVar[frozenset[str]] = frozenset(
        {Action.ACCEPT, Action.EDIT, Action.REJECT, Action.FLAG, Action.RATE}
    )

    def __init__(
        self,
        df: Any,
        prompt: Hashable = "prompt",
        response: Hashable = "response",
        context: Hashable | None = None,
        rubric: Mapping[str, Sequence[Any]] | None = None,
        id: Hashable | None = None,
        **options: Unpack[ReviewOptions],
    ) -> None:
        opts = resolve_options(dict(options), task="generation", prefetch=8)
        crit = validate_rubric(rubric)
        items = validate_generation(df, prompt=prompt, response=response, context=context, id=id)
        gold = validate_gold(df, opts.gold, ANSWERS) if opts.gold is not None else None
        self._rubric = crit
        super().__init__(items, opts, gold=gold, config={"rubric": crit})

    def _answer_of(self, ev: Mapping[str, Any]) -> str | None:
        # the response as written is right (accept) or it is not (an edit or a reject)
        action = str(ev["action"])
        return {"accept": "accept", "edit": "reject", "reject": "reject"}.get(action, action)

    def _gold_text(self, pos: int) -> str:
        return str(self._items.texts(pos)["prompt"])

    @property
    def rubric(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self._rubric]

    # -- decisions ------------------------------------------------------------
    def _check_decision(self, d: Decision, pos: int | None) -> None:
        action = d["action"]
        data = d["data"] or {}
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
        return dict(st.ratings) if st is not None and st.ratings else None

    def _event_fields(self, d: Decision, pos: int | None) -> dict[str, Any]:
        action = d["action"]
        if action in (Action.UNDO, Action.SKIP, Action.NOTE):
            return {}
        sent = dict(d["data"] or {})
        if pos is None:  # content this frame no longer holds: keep what the browser sent
            if action == "edit" and isinstance(sent.get("original"), str):
                sent["diff"] = word_diff(sent["original"], str(sent.get("edited", "")))
            return {"data": sent or None}
        texts = self._items.texts(pos)  # the kernel's copy of the texts is authoritative
        data: dict[str, Any] = {"prompt": texts["prompt"], "context": texts["context"]}
        if action == "edit":
            edited = str(sent["edited"])
            data.update(original=texts["response"], edited=edited, diff=word_diff(texts["response"], edited))
        else:
            data["response"] = texts["response"]
        # a verdict or a rating carries every rating in effect for the item
        given = check_ratings(self._rubric, sent["ratings"]) if sent.get("ratings") else {}
        now = self._ratings_now(d["item_id"], pos) or {}
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
        self._decide_here(Action.ACCEPT, data=self._with_ratings(ratings))

    def edit(self, text: str, ratings: Mapping[str, Any] | None = None) -> None:
        """Replace the current response by `text`: the event keeps both texts and the diff."""
        cur = self._current_or_raise()
        if not isinstance(text, str) or not text.strip():
            raise ValueError("edit(text): text must be a non-empty string; use reject(reason) instead")
        if text == cur["response"]:
            raise ValueError("edit(text): the text is unchanged; use accept() instead")
        data = {"edited": text, **(self._with_ratings(ratings) or {})}
        self._decide_here(Action.EDIT, data=data)

    def reject(self, reason: str) -> None:
        """Reject the current response, saying why."""
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("reject(reason): give a reason (a non-empty string)")
        self._decide_here(Action.REJECT, note=reason.strip())

    def rate(self, **ratings: Any) -> None:
        """Rate the current response on the rubric, e.g. ``rate(helpful=4, harmless="yes")``.
        Does not move on: accept / edit / reject afterwards (they keep the ratings)."""
        if not ratings:
            raise ValueError("rate(): name at least one criterion, e.g. rate(helpful=4)")
        self._decide_here(Action.RATE, advance=False, data={"ratings": check_ratings(self._rubric, ratings)})
