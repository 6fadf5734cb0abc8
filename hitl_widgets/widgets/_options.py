"""The options every review kind takes, in one place: their type, defaults, documentation
and checks. A kind's signature lists only what is particular to it and takes these
as ``**options: Unpack[ReviewOptions]``.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, TypedDict, get_type_hints

from ..annotators import PREFER_NOT_TO_SAY, group_key
from ..queue import OrderSpec
from ..store import Store

MAX_PAGE = 200  # a browser may not pull more than this per request


class ReviewOptions(TypedDict, total=False):
    """Keyword options shared by every review widget.

    store:
        A SQLite file path (default ``"hitl.db"``), a ``postgresql://`` URL, or a ``Store``.
    annotator:
        Who decides (default: the login name). Stamped on every decision.
    task:
        Name of this review inside the store (several reviews can share one store;
        default: the kind's name).
    order:
        None (frame order), row positions, a callable, or a strategy name from
        ``hitl_widgets.routing``.
    guideline_version:
        Stamped on every decision (set automatically from ``guideline``).
    prefetch:
        Items the browser keeps ready ahead of the one shown (1-200).
    revisit:
        Also show items already decided in the store (default: resume where work stopped).
    on_changed:
        ``"error"`` (default) when an id already decided now has other content, or
        ``"review"`` to review the new content as a new item.
    overlap:
        Ratings wanted per item from different annotators (several kernels, processes or
        machines on one store); each annotator is handed items fewer than ``overlap``
        others hold, never one they rated. None: every annotator sees every item.
    claim_ttl:
        Seconds an item handed out under ``overlap`` stays claimed without a decision.
    group_quota:
        With ``overlap`` k, have each item rated by people of different groups, the
        groups read from the annotators' profiles (`hitl_widgets.annotators`):
        ``{"by": "gender", "quotas": {"woman": 1, "man": 1}}`` reserves, on every item,
        that many of its k slots for annotators of each group (the quotas sum to at most
        k; the other slots are open to anyone, of any group or none);
        ``{"by": "gender", "each": ["woman", "man"]}`` is one slot per listed group (at
        least one rating from each). An item that reaches k ratings thus has its quotas
        met; one whose reserved slot no one of that group takes stays short of k. Each
        annotator's group is their latest consented profile's ``by`` field, read once when
        the review opens; an annotator without one (no profile, the field left out,
        "prefer not to say") takes only open slots. Every annotator of a task must use the
        same ``group_quota``. Their group is recorded with their claims in the store.
    blind:
        Hide the model's output (label, confidence, probabilities): never sent to the
        browser, so it cannot anchor the person.
    guideline:
        Markdown shown beside the item (G shows / hides it); a new text becomes a new
        version in the store, stamped on every decision.
    gold, gold_rate:
        A column with known right answers (missing where unknown): a label for
        classification, "accept" / "reject" for generation, "a" / "b" / "tie" /
        "both_bad" for pairwise. Gold items are mixed in at ``gold_rate``; a wrong answer
        gets immediate feedback with the guideline passage for the right one.
    break_every:
        Prompt a break after this many decisions in a sitting.
    seed:
        Seeds the draws of this review (where gold items go; for pairwise, the sides).
    profile_form:
        Ask the annotator who they are, once, before the first item, when the store has no
        profile of theirs yet (`hitl_widgets.annotators`): ``True`` for the default fields
        (gender, age, locale, expertise), or ``{"gender": ["woman", "man", ...], "locale":
        None, ...}`` (a list of choices, or None for short free text). Every field is
        optional ("prefer not to say" by default) and nothing is stored without the
        consent box ticked; Skip stores nothing. Default: no form.
    """

    store: str | os.PathLike[str] | Store
    annotator: str | None
    task: str
    order: OrderSpec
    guideline_version: str
    prefetch: int
    revisit: bool
    on_changed: Literal["error", "review"]
    overlap: int | None
    claim_ttl: float
    group_quota: Mapping[str, Any] | None
    blind: bool
    guideline: str | None
    gold: Hashable | None
    gold_rate: float
    break_every: int | None
    seed: int
    profile_form: bool | Mapping[str, Any] | None


@dataclass(frozen=True)
class Options:
    """`ReviewOptions` checked, with every default filled in."""

    store: str | os.PathLike[str] | Store = "hitl.db"
    annotator: str | None = None
    task: str = ""
    order: OrderSpec = None
    guideline_version: str = ""
    prefetch: int = 8
    revisit: bool = False
    on_changed: Literal["error", "review"] = "error"
    overlap: int | None = None
    claim_ttl: float = 900.0
    #: after `resolve_options`: ``{"by": field, "quotas": {group: slots}}`` or None
    group_quota: Mapping[str, Any] | None = None
    blind: bool = False
    guideline: str | None = None
    gold: Hashable | None = None
    gold_rate: float = 0.1
    break_every: int | None = None
    seed: int = 0
    #: after `resolve_options`: ``{field: [choices] or None (free text)}`` or None (no form)
    profile_form: bool | Mapping[str, Any] | None = None


OPTION_NAMES: tuple[str, ...] = tuple(get_type_hints(ReviewOptions))


def _positive_int(name: str, v: Any, *, allow_none: bool = False, most: int | None = None) -> None:
    if v is None and allow_none:
        return
    if isinstance(v, bool) or not isinstance(v, int) or v < 1 or (most is not None and v > most):
        bound = f" in [1, {most}]" if most is not None else ""
        raise ValueError(f"{name} must be a positive integer{bound}, got {v!r}")


def resolve_options(options: dict[str, Any], *, task: str, prefetch: int) -> Options:
    """Check the shared options (ValueError / TypeError naming the argument) and fill in
    the defaults; `task` and `prefetch` are the kind's own defaults."""
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise TypeError(
            f"unknown option(s) {', '.join(map(repr, unknown))}; the options every "
            f"review takes are {', '.join(OPTION_NAMES)}"
        )
    o = Options(**{"task": task, "prefetch": prefetch, **options})
    if not isinstance(o.store, (str, os.PathLike, Store)):
        raise ValueError(
            f"store must be a file path, a postgresql:// URL or a Store, got {type(o.store).__name__}"
        )
    if not isinstance(o.task, str) or not o.task.strip():
        raise ValueError(f"task must be a non-empty name, got {o.task!r}")
    if o.annotator is not None and (not isinstance(o.annotator, str) or not o.annotator.strip()):
        raise ValueError(f"annotator must be a non-empty name, got {o.annotator!r}")
    _positive_int("overlap", o.overlap, allow_none=True)
    _positive_int("break_every", o.break_every, allow_none=True)
    _positive_int("prefetch", o.prefetch, most=MAX_PAGE)
    if o.guideline is not None and (not isinstance(o.guideline, str) or not o.guideline.strip()):
        raise ValueError("guideline must be non-empty markdown text")
    if o.on_changed not in ("error", "review"):
        raise ValueError(f"on_changed must be 'error' or 'review', got {o.on_changed!r}")
    if isinstance(o.gold_rate, bool) or not isinstance(o.gold_rate, (int, float)) or not 0 < o.gold_rate < 1:
        raise ValueError(f"gold_rate must lie in (0, 1), got {o.gold_rate!r}")
    if isinstance(o.claim_ttl, bool) or not isinstance(o.claim_ttl, (int, float)) or o.claim_ttl < 0:
        raise ValueError(f"claim_ttl must be a number of seconds (0 or more), got {o.claim_ttl!r}")
    if isinstance(o.seed, bool) or not isinstance(o.seed, (int, str)):
        raise ValueError(f"seed must be an integer (or a string), got {o.seed!r}")
    if not isinstance(o.guideline_version, str):
        raise ValueError(f"guideline_version must be text, got {o.guideline_version!r}")
    if o.group_quota is not None:
        o = replace(o, group_quota=resolve_group_quota(o.group_quota, o.overlap))
    o = replace(o, profile_form=resolve_profile_form(o.profile_form))
    return o


#: the fields `profile_form=True` asks for (None: short free text)
DEFAULT_PROFILE_FIELDS: dict[str, list[str] | None] = {
    "gender": ["woman", "man", "non-binary", "another gender"],
    "age": ["18-29", "30-44", "45-59", "60 or older"],
    "locale": None,
    "expertise": ["none", "some", "professional"],
}
MAX_PROFILE_FIELDS = 20
MAX_PROFILE_CHOICES = 50
#: characters of a free-text answer (and of a choice)
MAX_PROFILE_TEXT = 100
_RESERVED_FIELDS = ("annotator", "version", "recorded_at", "source")


def _profile_choices(name: str, choices: Any) -> list[str]:
    """The choices of one field of a ``profile_form`` (ValueError naming them)."""
    if isinstance(choices, (str, bytes, Mapping)) or not isinstance(choices, (list, tuple)):
        raise ValueError(
            f"profile_form[{name!r}] must be a list of choices (text) or None (free text), "
            f"got {type(choices).__name__}"
        )
    if not choices or len(choices) > MAX_PROFILE_CHOICES:
        raise ValueError(f"profile_form[{name!r}]: 1 to {MAX_PROFILE_CHOICES} choices, got {len(choices)}")
    seen: list[str] = []
    for c in choices:
        if not isinstance(c, str) or not c.strip() or len(c) > MAX_PROFILE_TEXT:
            raise ValueError(
                f"profile_form[{name!r}]: a choice must be text of 1 to {MAX_PROFILE_TEXT} "
                f"characters, got {c!r}"
            )
        if c == PREFER_NOT_TO_SAY:
            raise ValueError(
                f"profile_form[{name!r}]: {PREFER_NOT_TO_SAY!r} is always offered (and the default): "
                "leave it out of the choices"
            )
        if c in seen:
            raise ValueError(f"profile_form[{name!r}]: the choice {c!r} is given twice")
        seen.append(c)
    return seen


def resolve_profile_form(spec: Any) -> dict[str, list[str] | None] | None:
    """Check a ``profile_form`` option (ValueError naming it) and return its one form,
    ``{field: [choices] | None}`` (None: free text), or None for no form."""
    if spec is None or spec is False:
        return None
    if spec is True:
        return {k: (list(v) if v is not None else None) for k, v in DEFAULT_PROFILE_FIELDS.items()}
    if not isinstance(spec, Mapping):
        raise ValueError(
            "profile_form must be True (the default fields), False / None (no form), or a mapping "
            "of field to its choices (a list of text) or None (free text), e.g. "
            f"{{'gender': ['woman', 'man'], 'locale': None}}; got {type(spec).__name__}"
        )
    if not spec:
        raise ValueError("profile_form: the mapping names no field (pass True for the default fields)")
    if len(spec) > MAX_PROFILE_FIELDS:
        raise ValueError(f"profile_form: at most {MAX_PROFILE_FIELDS} fields, got {len(spec)}")
    out: dict[str, list[str] | None] = {}
    for name, choices in spec.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 64:
            raise ValueError(f"profile_form: a field name must be text of 1 to 64 characters, got {name!r}")
        if name in _RESERVED_FIELDS:
            raise ValueError(f"profile_form: {name!r} is a column of the profile table, not a field")
        if choices is None:
            out[name] = None
            continue
        out[name] = _profile_choices(name, choices)
    return out


_QUOTA_FORM = (
    '{"by": "gender", "quotas": {"woman": 1, "man": 1}} or {"by": "gender", "each": ["woman", "man"]}'
)


def resolve_group_quota(spec: Any, overlap: int | None) -> dict[str, Any]:
    """Check a ``group_quota`` option (ValueError naming it) and return its one form,
    ``{"by": field, "quotas": {group: slots}}`` (groups as `annotators.group_key` gives
    them; ``each`` becomes one slot per group)."""
    if not isinstance(spec, Mapping):
        raise ValueError(f"group_quota must be a mapping, {_QUOTA_FORM}; got {type(spec).__name__}")
    unknown = sorted(map(str, set(spec) - {"by", "quotas", "each"}))
    if unknown:
        raise ValueError(f"group_quota: unknown key(s) {', '.join(unknown)}; the form is {_QUOTA_FORM}")
    if overlap is None:
        raise ValueError("group_quota needs overlap (the ratings per item the quotas share out)")
    by = spec.get("by")
    if not isinstance(by, str) or not by.strip():
        raise ValueError(f"group_quota['by'] must name a profile field (e.g. 'gender'), got {by!r}")
    if ("quotas" in spec) == ("each" in spec):
        raise ValueError(f"group_quota takes either 'quotas' or 'each' (one of them): {_QUOTA_FORM}")
    if "each" in spec:
        each = spec["each"]
        if isinstance(each, (str, bytes, Mapping)) or not isinstance(each, (list, tuple)) or not each:
            raise ValueError(
                f"group_quota['each'] must list the groups that each get a slot (e.g. "
                f"['woman', 'man']), got {each!r}"
            )
        raw: list[tuple[Any, Any]] = [(g, 1) for g in each]
    else:
        quotas = spec["quotas"]
        if not isinstance(quotas, Mapping) or not quotas:
            raise ValueError(
                f"group_quota['quotas'] must map each group to its slots per item, got {quotas!r}"
            )
        raw = list(quotas.items())
    out: dict[str, int] = {}
    for g, n in raw:
        key = group_key(g) if isinstance(g, (str, int, float)) else None
        if key is None:
            raise ValueError(
                f"group_quota: {g!r} is not a group (a group is a profile value: text, a number, True/False)"
            )
        if key in out:
            raise ValueError(f"group_quota: the group {key!r} is given twice")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"group_quota['quotas'][{g!r}] must be a positive integer, got {n!r}")
        out[key] = n
    if sum(out.values()) > overlap:
        raise ValueError(
            f"group_quota reserves {sum(out.values())} ratings per item, more than overlap={overlap}"
        )
    return {"by": by, "quotas": out}
