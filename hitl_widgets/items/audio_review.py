"""Audio review items: one clip per row (see `items.audio`: a path, bytes or an array
with its sample rate), a label set, the model's label with its confidence (or one
probability per label) as for classification, and optionally the model's transcript and
its regions (time segments with a label, in seconds).

The cheap checks (labels, ids, the model's columns, transcripts) run first, then every
clip is decoded once (`validate_audio`), then the regions are checked against each
clip's duration; all of it before any store is opened, so bad input writes nothing. The
user's frame is never copied; a clip is decoded again only when the browser asks for
its page.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from ._common import (
    ItemIds,
    ModelLabels,
    check_encodable,
    hash_parts,
    require_column,
    require_frame,
    rows_named,
    validate_ids,
    validate_labels,
)
from .audio import AudioData, AudioItems, validate_audio
from .classification import validate_model_output
from .image import RowProblems, is_missing

RequirePlay = Literal["none", "played", "ended"]
REQUIRE_PLAY: tuple[str, ...] = ("none", "played", "ended")
#: A region may end this many seconds after the clip's end (rounding in the browser).
END_SLACK = 0.01
#: Most regions of one clip, and most operations kept with one decision.
MAX_REGIONS = 2_000
MAX_OPS = 5_000
MAX_TRANSCRIPT = 100_000  # characters
_REGION_OPS = frozenset({"add", "move", "relabel", "delete"})

# The kinds of region problem, each one line of the message.
R_TYPE = "values that are not a list of regions ({'start': s, 'end': s, 'label': str, 'id'?: str} dicts)"
R_TIMES = "regions whose start or end is not a finite number of seconds"
R_ORDER = "regions whose end is not after their start"
R_OUTSIDE = "regions outside the clip (start < 0 or end after the clip's end)"
R_LABEL = "regions with a label not in region_labels"
R_IDS = "regions with repeated ids"
R_MANY = f"more than {MAX_REGIONS:,} regions in one clip"


class RegionError(ValueError):
    """A region list that does not fit its clip. `kind` is one of the R_* constants."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def _seconds(v: Any) -> float | None:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _region(
    k: int, r: Any, duration: float | None, labels: set[str], strict_labels: bool
) -> tuple[float, float, str]:
    """Region `k`'s start, end and label, checked (`check_regions`)."""
    if not isinstance(r, Mapping) or "start" not in r or "end" not in r or "label" not in r:
        raise RegionError(R_TYPE, f"region {k} is {str(r)[:80]!r}")
    start, end = _seconds(r["start"]), _seconds(r["end"])
    if start is None or end is None:
        raise RegionError(R_TIMES, f"region {k}: start={r['start']!r}, end={r['end']!r}")
    if end <= start:
        raise RegionError(R_ORDER, f"region {k}: start={start:g}, end={end:g}")
    if start < 0 or (duration is not None and end > duration + END_SLACK):
        clip = f" of a {duration:.3f} s clip" if duration is not None else ""
        raise RegionError(R_OUTSIDE, f"region {k}: {start:g}-{end:g} s{clip}")
    label = r["label"]
    if isinstance(label, np.generic):
        label = label.item()
    if not isinstance(label, str) or (strict_labels and label not in labels):
        raise RegionError(R_LABEL, f"region {k}: label {str(label)[:100]!r} (not one of {sorted(labels)!r})")
    return start, end, label


def check_regions(
    value: Any,
    duration: float | None,
    region_labels: Sequence[str],
    *,
    strict_labels: bool = True,
    id_prefix: str = "r",
) -> list[dict[str, Any]]:
    """A region list as stored: ``[{"id", "start", "end", "label"}]``, seconds rounded to
    the millisecond, in the order given. A region without an id gets ``f"{id_prefix}{k}"``
    (k its place in the list). Raises `RegionError` naming the first bad region.

    `duration` None skips the check against the clip's end; `strict_labels` False keeps
    a label outside `region_labels` (a decision made under an earlier label set).
    """
    if value is None or (not isinstance(value, (list, tuple, np.ndarray)) and is_missing(value)):
        return []
    if isinstance(value, np.ndarray):
        value = list(value)
    if not isinstance(value, (list, tuple)):
        raise RegionError(R_TYPE, f"a {type(value).__name__}")
    if len(value) > MAX_REGIONS:
        raise RegionError(R_MANY, f"{len(value):,} regions")
    labels = set(region_labels)
    out: list[dict[str, Any]] = []
    given_ids = {r.get("id") for r in value if isinstance(r, Mapping) and isinstance(r.get("id"), str)}
    seen: set[str] = set()
    for k, r in enumerate(value):
        start, end, label = _region(k, r, duration, labels, strict_labels)
        rid = r.get("id")
        if rid is None:
            rid = f"{id_prefix}{k}"
            while rid in given_ids or rid in seen:
                rid += "_"
        if not isinstance(rid, str) or not rid or len(rid) > 200:
            raise RegionError(R_TYPE, f"region {k}: id {str(rid)[:80]!r} (a non-empty string)")
        if rid in seen:
            raise RegionError(R_IDS, f"region {k}: id {rid!r}")
        seen.add(rid)
        end = min(end, duration) if duration is not None else end
        out.append({"id": rid, "start": round(start, 3), "end": round(end, 3), "label": label[:1000]})
    return out


def check_region_ops(ops: Any) -> tuple[list[dict[str, Any]], bool]:
    """The browser's region operation log, kept as data: ``[{op, id, t_ms, before,
    after}]`` with `op` one of add / move / relabel / delete, `before` / `after` a region
    (or None); at most `MAX_OPS` (the second value says whether some were cut)."""
    if ops is None:
        return [], False
    if isinstance(ops, (str, bytes)) or not isinstance(ops, Sequence):
        raise ValueError(f"ops must be a list, got {type(ops).__name__}")
    out: list[dict[str, Any]] = []
    for k, op in enumerate(ops[:MAX_OPS]):
        if not isinstance(op, Mapping) or op.get("op") not in _REGION_OPS:
            raise ValueError(f"ops[{k}]: not an operation ({sorted(_REGION_OPS)})")
        t = _seconds(op.get("t_ms"))
        if t is None or t < 0:
            raise ValueError(f"ops[{k}]: t_ms must be a non-negative number")
        clean: dict[str, Any] = {"op": op["op"], "id": str(op.get("id", ""))[:200], "t_ms": t}
        for key in ("before", "after"):
            v = op.get(key)
            region = None
            if isinstance(v, Mapping):
                start, end = _seconds(v.get("start")), _seconds(v.get("end"))
                if start is not None and end is not None:
                    region = {
                        "start": round(start, 3),
                        "end": round(end, 3),
                        "label": str(v.get("label", ""))[:1000],
                    }
            clean[key] = region
        out.append(clean)
    return out, len(ops) > MAX_OPS


def check_transcript(value: Any, argument: str = "transcript") -> str | None:
    """A transcript as stored: a string (at most `MAX_TRANSCRIPT` characters) or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{argument} must be a string or None, got {type(value).__name__}")
    if len(value) > MAX_TRANSCRIPT:
        raise ValueError(f"{argument}: {len(value):,} characters, more than {MAX_TRANSCRIPT:,}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{argument}: text that is not valid Unicode (a lone surrogate)") from None
    return value


def content_hash(
    sha256: str, transcript: str | None = None, regions: Sequence[Mapping[str, Any]] = ()
) -> str:
    """The content version of an audio item: the clip's SHA-256, the model's transcript
    and regions (what the person reviews)."""
    return hash_parts(
        "audio",
        sha256,
        "" if transcript is None else "t:" + transcript,
        json.dumps(list(regions), sort_keys=True, ensure_ascii=True),
    )


@dataclass
class AudioReviewItems(ModelLabels, ItemIds):
    """Validated audio review items over a user's frame (no copy of it)."""

    df: pd.DataFrame
    ids: pd.Index
    audio: AudioItems
    labels: list[str]
    pred: np.ndarray | None  # label index per row, -1 where none
    confidence: np.ndarray | None  # float64 per row
    proba: np.ndarray | None  # rows x labels float64
    reasons: pd.Series | None = None
    fields: list[tuple[str, pd.Series]] = field(default_factory=list)
    transcripts: list[str | None] | None = None  # the model's, per row (None: no column)
    regions: list[list[dict[str, Any]]] | None = None  # the model's, per row (None: no column)
    region_labels: list[str] = field(default_factory=list)
    # the model's confidence per word of its transcript, per row (None: no column)
    word_confidences: list[list[float] | None] | None = None
    _id_text: pd.Index | None = field(default=None, repr=False)
    _hashes: list[str] = field(default_factory=list, repr=False)

    kind: ClassVar[str] = "audio"

    def __post_init__(self) -> None:
        self._hashes = [
            content_hash(self.audio.infos[p].sha256, self.transcript(p), self.model_regions(p))
            for p in range(len(self.audio))
        ]

    def hash(self, pos: int) -> str:
        return self._hashes[pos]

    def name(self, pos: int) -> str | None:
        """The file name of a row given as a path, else None."""
        src = self.audio.source.iat[pos]
        return Path(src).name if isinstance(src, (str, os.PathLike)) else None

    def transcript(self, pos: int) -> str | None:
        """The model's transcript of row `pos` (None: none given)."""
        return None if self.transcripts is None else self.transcripts[pos]

    def model_regions(self, pos: int) -> list[dict[str, Any]]:
        """The model's regions of row `pos` (checked, seconds), a copy."""
        return [] if self.regions is None else [dict(r) for r in self.regions[pos]]

    def clip(self, pos: int) -> AudioData:
        """Row `pos`'s clip decoded again (raises ValueError when it changed since it
        was validated)."""
        return self.audio[pos]

    def audio_info(self, pos: int) -> dict[str, Any]:
        """What a decision stores of its clip."""
        info = self.audio.info(pos)
        return {
            "duration": round(info.duration, 6),
            "sample_rate": info.sample_rate,
            "channels": info.channels,
            "sha256": info.sha256,
        }

    def payload(self, pos: int) -> dict[str, Any]:
        """What the browser needs to show one item, besides the clip's bytes and its
        peaks (the widget sends those as binary buffers with the page)."""
        info = self.audio.info(pos)
        return {
            "item_id": self.item_id(pos),
            "content_hash": self.hash(pos),
            "name": self.name(pos),
            "duration": info.duration,
            "sample_rate": info.sample_rate,
            "channels": info.channels,
            **self.model_payload(pos),
            "transcript": self.transcript(pos),
            "word_confidence": None if self.word_confidences is None else self.word_confidences[pos],
            "regions": self.model_regions(pos),
        }


def _word_confidences(df: pd.DataFrame, column: Any, texts: list[str | None]) -> list[list[float] | None]:
    """The model's confidence per word of its transcript: per row a list of numbers in
    [0, 1], one per whitespace-separated word of the transcript, or missing."""
    s = require_column(df, column, "word_confidence")
    problems = RowProblems(df.index, f"word_confidence={column!r}")
    out: list[list[float] | None] = []
    for pos, v in enumerate(s):
        if v is None or (np.ndim(v) == 0 and is_missing(v)):
            out.append(None)
            continue
        try:
            if isinstance(v, (str, bytes, Mapping)):
                raise TypeError
            vals = [float(x) for x in v]
            if any(isinstance(x, bool) for x in v):
                raise TypeError
        except (TypeError, ValueError):
            problems.add("not a list of numbers", pos, repr(v)[:100])
            out.append(None)
            continue
        if not all(math.isfinite(x) and 0.0 <= x <= 1.0 for x in vals):
            problems.add("numbers outside [0, 1]", pos, repr(vals)[:100])
        text = texts[pos]
        words = 0 if text is None else len(text.split())
        if len(vals) != words:
            problems.add(
                "not one number per word of the transcript", pos, f"{len(vals)} numbers for {words} words"
            )
        out.append([round(x, 4) for x in vals])
    problems.raise_if_any()
    return out


def _transcripts(df: pd.DataFrame, column: Any) -> list[str | None]:
    s = require_column(df, column, "transcript")
    out: list[str | None] = []
    bad = np.zeros(len(s), dtype=bool)
    for pos, v in enumerate(s):
        if isinstance(v, str):
            out.append(v)
        elif is_missing(v):
            out.append(None)
        else:
            bad[pos] = True
            out.append(None)
    if bad.any():
        raise ValueError(
            f"transcript={column!r}: values that are not text (a string, or missing) in rows "
            f"{rows_named(bad, df.index)}"
        )
    long = np.fromiter((t is not None and len(t) > MAX_TRANSCRIPT for t in out), bool, len(out))
    if long.any():
        raise ValueError(
            f"transcript={column!r}: transcripts longer than {MAX_TRANSCRIPT:,} characters in rows "
            f"{rows_named(long, df.index)}"
        )
    check_encodable(pd.Index(out, dtype=object), df.index, f"transcript={column!r}")
    return out


def validate_audio_review(
    df: Any,
    *,
    audio: Any = "audio",
    labels: Sequence[Any] | None = None,
    pred: Any | None = "pred",
    confidence: Any | None = "confidence",
    proba: Any | None = None,
    id: Hashable | None = None,
    reasons: Any | None = None,
    fields: Sequence[Hashable] | None = None,
    transcript: Hashable | None = None,
    regions: Hashable | None = None,
    region_labels: Sequence[Any] | None = None,
    sample_rate: Any = None,
    max_seconds: float | None = None,
    word_confidence: Hashable | None = None,
) -> AudioReviewItems:
    """Check a frame for audio review; raise ValueError naming the argument or column
    and the first offending rows.

    `transcript`: a column of the model's transcripts (strings, or missing). `regions`:
    a column of the model's regions per row (a list of ``{"start", "end", "label",
    "id"?}`` dicts in seconds, or missing), each inside its clip, its end after its
    start, its label one of `region_labels` (default: `labels`). `max_seconds`: refuse
    clips longer than this. `word_confidence`: a column of the model's confidence per
    word of its transcript (numbers in [0, 1], one per whitespace-separated word, or
    missing). `labels` None: a review of transcripts and / or regions only
    (no clip label: no `pred` or `proba`; `confidence` may still route).
    """
    df = require_frame(df)
    if labels is None:
        # a review of transcripts and / or regions only: no clip label, nothing of the model's label
        if transcript is None and regions is None and region_labels is None:
            raise ValueError(
                "labels: give the clip label set (labels=['speech', 'music']), or review transcripts "
                "(transcript='column') or regions (region_labels=[...]) without clip labels"
            )
        if regions is not None and region_labels is None:
            raise ValueError(
                f"regions={regions!r}: without labels=, give the regions' label set as region_labels=[...]"
            )
        if pred is not None and not (pred == "pred" and pred not in df.columns):
            raise ValueError(
                f"pred={pred!r}: a model label per clip needs the label set, labels=[...] "
                "(pred=None reviews transcripts or regions only)"
            )
        if proba is not None:
            raise ValueError("proba: probabilities per label need the label set, labels=[...]")
        label_list: list[str] = []
        pred = None
    else:
        label_list = validate_labels(labels)
    region_list = label_list if region_labels is None else validate_labels(region_labels, "region_labels")
    if max_seconds is not None and (_seconds(max_seconds) is None or max_seconds <= 0):
        raise ValueError(f"max_seconds must be a positive number of seconds or None, got {max_seconds!r}")
    ids = validate_ids(df, id)
    require_column(df, audio, "audio")  # a missing column is named before the model's
    m = validate_model_output(df, label_list, pred, confidence, proba, reasons, fields)
    texts = None if transcript is None else _transcripts(df, transcript)
    if word_confidence is not None and texts is None:
        raise ValueError(
            f"word_confidence={word_confidence!r}: confidences per word need the transcripts, transcript="
        )
    word_conf = (
        None if word_confidence is None or texts is None else _word_confidences(df, word_confidence, texts)
    )
    region_col = None if regions is None else require_column(df, regions, "regions")
    clips = validate_audio(df, audio, sample_rate=sample_rate)  # reads every clip once
    if max_seconds is not None:
        long = np.array([clips.duration(p) > max_seconds for p in range(len(clips))])
        if long.any():
            first = int(np.flatnonzero(long)[0])
            raise ValueError(
                f"audio={audio!r}: clips longer than max_seconds={max_seconds:g} in rows "
                f"{rows_named(long, df.index)} (row {df.index[first]!r}: {clips.duration(first):.2f} s)"
            )
    region_lists: list[list[dict[str, Any]]] | None = None
    if region_col is not None:
        problems = RowProblems(df.index, f"regions={regions!r}")
        region_lists = []
        for pos, value in enumerate(region_col):
            try:
                region_lists.append(check_regions(value, clips.duration(pos), region_list))
            except RegionError as exc:
                problems.add(exc.kind, pos, exc.detail)
                region_lists.append([])
        problems.raise_if_any()
    return AudioReviewItems(
        df,
        ids,
        clips,
        label_list,
        m.pred,
        m.confidence,
        m.proba,
        m.reasons,
        m.fields,
        texts,
        region_lists,
        region_list,
        word_conf,
    )
