"""Who rated: annotator profiles in the store, versioned, joined to decisions as of their time.

>>> import hitl_widgets as hw
>>> hw.annotators.profile(store, "ann-7", {"gender": "woman", "age": "30-44"},
...                       source="self", consent=True)                      # doctest: +SKIP
>>> hw.annotators.profiles(store)            # the latest version per annotator  # doctest: +SKIP
>>> hw.annotators.with_profiles(store.decisions("claims"), store)          # doctest: +SKIP

A profile is an event in the store (``profile``, a record of the one vocabulary, never a
decision) in a task of its own, `PROFILE_TASK`: append-only, so a change is a new version
and the old one stays, and each decision is joined to the version that held when it was
made. Every field is optional; a value the annotator chose not to give is stored as
`PREFER_NOT_TO_SAY` (or left out). Profiles are stored only with the annotator's consent,
and they stay out of every export and every decision table unless asked for
(`with_profiles`). Values are data: kept as given (text, a number, True/False), never
interpreted.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .items import canonical
from .store import Action, Store, using_store, utc_now

#: the task the profile events are written in (no review task has it)
PROFILE_TASK = "(annotators)"
#: what an annotator who chose not to answer a field has
PREFER_NOT_TO_SAY = "prefer not to say"
_MAX_KEY = 64
_MAX_VALUE = 200


def _check_attributes(attributes: Any) -> dict[str, Any]:
    if not isinstance(attributes, Mapping):
        raise ValueError(f"attributes must be a mapping of field to value, got {type(attributes).__name__}")
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if not isinstance(key, str) or not key.strip() or len(key) > _MAX_KEY:
            raise ValueError(
                f"attributes: field names must be text of 1 to {_MAX_KEY} characters, got {key!r}"
            )
        if key in ("annotator", "version", "recorded_at", "source"):
            raise ValueError(f"attributes: {key!r} is a column of the profile table, not a field")
        if value is None:
            out[key] = None
        elif isinstance(value, bool):
            out[key] = value
        elif isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"attributes[{key!r}]: {value!r} is not a finite number")
            out[key] = value
        elif isinstance(value, str):
            if len(value) > _MAX_VALUE:
                raise ValueError(f"attributes[{key!r}]: longer than {_MAX_VALUE} characters")
            out[key] = value
        else:
            raise ValueError(
                f"attributes[{key!r}]: a value must be text, a number, True/False or None, "
                f"got {type(value).__name__}"
            )
    return out


def profile(
    store: Store | str,
    annotator: str,
    attributes: Mapping[str, Any],
    *,
    source: str = "self",
    consent: bool,
) -> dict[str, Any]:
    """Store a new version of `annotator`'s profile (who they are: gender, age band,
    locale, expertise...) and return it. `source` says who gave it ("self": the annotator,
    or e.g. "admin"); `consent` must be True: a profile is stored only with the
    annotator's consent."""
    if consent is not True:
        raise ValueError("consent: a profile is stored only with the annotator's consent (consent=True)")
    if not isinstance(annotator, str) or not annotator.strip():
        raise ValueError(f"annotator must be a non-empty id, got {annotator!r}")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"source must say who gave the profile, got {source!r}")
    attrs = _check_attributes(attributes)
    at = utc_now()
    with using_store(store) as st:
        st.append(
            [
                {
                    "event_id": f"profile-{uuid.uuid4().hex}",
                    "task": PROFILE_TASK,
                    "kind": "profile",
                    "item_id": annotator,
                    "action": Action.PROFILE.value,
                    "annotator": annotator,
                    "created_at": at,
                    "note": source,
                    "data": {"attributes": attrs, "source": source, "consent": True},
                }
            ]
        )
    return {"annotator": annotator, "recorded_at": at, "source": source, **attrs}


def history(store: Store | str) -> pd.DataFrame:
    """Every profile version, in the order they were stored: annotator, version (1, 2...),
    recorded_at, source, and one column per field (missing where a version lacks it)."""
    try:
        with using_store(store, create=False) as st:
            ev = st.events(PROFILE_TASK, action=Action.PROFILE.value)
    except FileNotFoundError:
        ev = pd.DataFrame()
    base = ["annotator", "version", "recorded_at", "source"]
    if not len(ev):
        return pd.DataFrame(columns=base)
    rows: list[dict[str, Any]] = []
    for item_id, created_at, raw in zip(ev["item_id"], ev["created_at"], ev["data"], strict=True):
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        found = data.get("attributes")
        attrs: dict[str, Any] = found if isinstance(found, dict) else {}
        rows.append(
            {
                "annotator": str(item_id),
                "recorded_at": pd.to_datetime(created_at, utc=True),
                "source": data.get("source"),
                **attrs,
            }
        )
    out = pd.DataFrame(rows)
    out.insert(1, "version", out.groupby("annotator").cumcount() + 1)
    return out


def profiles(store: Store | str, *, as_of: Any = None) -> pd.DataFrame:
    """The latest profile version per annotator (as of a time, when given): the table
    `hitl_widgets.metrics.by_group` and `group_test` take as their groups."""
    h = history(store)
    if as_of is not None and len(h):
        t = pd.Timestamp(as_of)
        t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
        h = h[h["recorded_at"] <= t]
    return h.drop_duplicates("annotator", keep="last").reset_index(drop=True)


def with_profiles(
    decisions: pd.DataFrame, store: Store | str, fields: Sequence[str] | None = None
) -> pd.DataFrame:
    """`decisions` (e.g. ``store.decisions(task)``) with each annotator's profile fields as
    they were when the decision was made (the latest version recorded at or before
    ``decided_at``; missing before any). `fields`: which (default all)."""
    for col in ("annotator", "decided_at"):
        if col not in decisions.columns:
            raise ValueError(f"decisions: no {col!r} column (pass store.decisions(...))")
    h = history(store)
    keep = [c for c in h.columns if c not in ("annotator", "version", "recorded_at", "source")]
    if fields is not None:
        unknown = [f for f in fields if f not in keep]
        if unknown:
            raise ValueError(f"fields: no profile has {unknown!r} (fields: {keep!r})")
        keep = list(fields)
    out = decisions.copy()
    if not len(h) or not len(out):
        for f in keep:
            out[f] = None
        out["profile_version"] = pd.Series([None] * len(out), dtype=object)
        return out
    left = out.assign(
        _row=range(len(out)),
        _t=pd.to_datetime(out["decided_at"], utc=True),
        annotator=out["annotator"].astype(str),
    ).sort_values("_t", kind="stable")
    right = h[["annotator", "version", "recorded_at", *keep]].rename(
        columns={"version": "profile_version", "recorded_at": "_t"}
    )
    right = right.assign(_t=pd.to_datetime(right["_t"], utc=True)).sort_values("_t", kind="stable")
    joined = pd.merge_asof(left, right, on="_t", by="annotator", direction="backward")
    joined = joined.sort_values("_row").drop(columns=["_row", "_t"])
    joined.index = out.index
    joined["annotator"] = out["annotator"]
    return joined


def has_profile(store: Store | str, annotator: str) -> bool:
    """Whether the store holds a profile of `annotator` (any version): what a review with
    ``profile_form`` reads once, when it opens, to know whether to show the form."""
    with using_store(store) as st:
        events = st.item_events(PROFILE_TASK, annotator)
    return any(ev.get("action") == Action.PROFILE.value for ev in events)


def group_key(value: Any) -> str | None:
    """A profile value as the group it puts its annotator in (the text the claims of
    `group_quota` record and compare, and the group `metrics.by_group` shows): None for no
    answer (missing, None, NaN, empty text or `PREFER_NOT_TO_SAY`), else the value as the
    store keeps text ("woman", "3" for 3 and 3.0, "True")."""
    text = canonical(value)
    if text is None:
        return None
    text = text.strip()
    if not text or text == PREFER_NOT_TO_SAY:
        return None
    return text


def group_of(store: Store | str, annotator: str, field: str) -> str | None:
    """`annotator`'s group by profile `field` (e.g. "gender"): `group_key` of that field in
    their latest profile stored with consent; None when they have no such profile, left
    the field out, or chose not to say. What a review with ``group_quota`` reads once,
    when it opens."""
    if not isinstance(field, str) or not field.strip():
        raise ValueError(f"field must name a profile field, got {field!r}")
    with using_store(store) as st:
        events = st.item_events(PROFILE_TASK, annotator)
    for ev in reversed(events):
        data = ev.get("data")
        if ev.get("action") != Action.PROFILE.value or not isinstance(data, dict):
            continue
        if data.get("consent") is not True:
            return None
        attrs = data.get("attributes")
        return group_key(attrs.get(field)) if isinstance(attrs, dict) else None
    return None
