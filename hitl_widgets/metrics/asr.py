"""Speech metrics: word error rate (with its substitutions, deletions, insertions and
hits), agreement on time segments between annotators, and the human-vs-model confusion
of clip labels.

>>> r = word_error_rate("the cat sat on the mat", "the cat sat on mat")
>>> r.wer, r.deletions
(0.16666666666666666, 1)

Word error rate is ``(S + D + I) / N`` (N words in the reference), from a Levenshtein
alignment of the words; over many items it is corpus-level: the total edits over the
total reference words (not the mean of the per-item rates). Words are split on
whitespace; text is compared exactly unless asked (``lowercase=True``,
``strip_punctuation=True``), so these figures agree with `jiwer` run without transforms.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SegmentAgreement",
    "WERResult",
    "clip_label_confusion",
    "segment_agreement",
    "wer_table",
    "word_error_rate",
]


@dataclass(frozen=True)
class WERResult:
    """A word error rate and its parts. ``float(result)`` is `wer` (NaN when the
    reference has no words: no rate is defined)."""

    wer: float
    substitutions: int
    deletions: int
    insertions: int
    hits: int
    reference_words: int
    hypothesis_words: int

    def __float__(self) -> float:
        return self.wer

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    def as_dict(self) -> dict[str, Any]:
        return {
            "wer": self.wer,
            "substitutions": self.substitutions,
            "deletions": self.deletions,
            "insertions": self.insertions,
            "hits": self.hits,
            "reference_words": self.reference_words,
            "hypothesis_words": self.hypothesis_words,
        }


def words(text: str, *, lowercase: bool = False, strip_punctuation: bool = False) -> list[str]:
    """The words of a text, split on whitespace. `lowercase`: compare case-blind.
    `strip_punctuation`: drop every Unicode punctuation character (``"don't"`` becomes
    ``"dont"``, a lone ``"-"`` disappears)."""
    if not isinstance(text, str):
        raise ValueError(f"a transcript must be a string, got {type(text).__name__}")
    if lowercase:
        text = text.lower()
    if strip_punctuation:
        text = "".join(c for c in text if not unicodedata.category(c).startswith("P"))
    return text.split()


def align_words(reference: Sequence[str], hypothesis: Sequence[str]) -> tuple[int, int, int, int]:
    """(substitutions, deletions, insertions, hits) of a minimum-edit alignment of two
    word lists. Among alignments of equal cost the one taken is the one `jiwer` reports
    (rapidfuzz's: the common prefix and suffix matched first, then, walking back from the
    end, a deletion before a substitution before an insertion before a match)."""
    ref, hyp = list(reference), list(hypothesis)
    p = 0
    while p < len(ref) and p < len(hyp) and ref[p] == hyp[p]:
        p += 1
    s = 0
    while s < len(ref) - p and s < len(hyp) - p and ref[-1 - s] == hyp[-1 - s]:
        s += 1
    a, b = ref[p : len(ref) - s], hyp[p : len(hyp) - s]
    n, m = len(a), len(b)
    # plain lists: faster than numpy scalars in this double loop
    d = [list(range(m + 1))]
    for i in range(1, n + 1):
        ai, prev = a[i - 1], d[i - 1]
        row = [i] + [0] * m
        for j in range(1, m + 1):
            row[j] = min(prev[j - 1] + (ai != b[j - 1]), prev[j] + 1, row[j - 1] + 1)
        d.append(row)
    i, j = n, m
    sub = dele = ins = hit = 0
    while i > 0 or j > 0:
        cur = d[i][j]
        if i > 0 and cur == d[i - 1][j] + 1:
            dele += 1
            i -= 1
        elif i > 0 and j > 0 and a[i - 1] != b[j - 1] and cur == d[i - 1][j - 1] + 1:
            sub += 1
            i, j = i - 1, j - 1
        elif j > 0 and cur == d[i][j - 1] + 1:
            ins += 1
            j -= 1
        else:  # a match
            hit += 1
            i, j = i - 1, j - 1
    return sub, dele, ins, hit + p + s


def _one(reference: str, hypothesis: str, lowercase: bool, strip_punctuation: bool) -> WERResult:
    ref = words(reference, lowercase=lowercase, strip_punctuation=strip_punctuation)
    hyp = words(hypothesis, lowercase=lowercase, strip_punctuation=strip_punctuation)
    sub, dele, ins, hit = align_words(ref, hyp)
    wer = (sub + dele + ins) / len(ref) if ref else float("nan")
    return WERResult(wer, sub, dele, ins, hit, len(ref), len(hyp))


def _pairs(reference: Any, hypothesis: Any) -> tuple[list[str], list[str]]:
    if isinstance(reference, str) and isinstance(hypothesis, str):
        return [reference], [hypothesis]
    if isinstance(reference, str) or isinstance(hypothesis, str):
        raise ValueError("reference and hypothesis must both be strings or both be lists of strings")
    refs, hyps = list(reference), list(hypothesis)
    if len(refs) != len(hyps):
        raise ValueError(
            f"reference has {len(refs)} texts and hypothesis {len(hyps)}: give one pair per item"
        )
    for name, texts in (("reference", refs), ("hypothesis", hyps)):
        bad = [k for k, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise ValueError(f"{name}: items {bad[:5]} are not strings")
    return refs, hyps


def word_error_rate(
    reference: str | Sequence[str],
    hypothesis: str | Sequence[str],
    *,
    lowercase: bool = False,
    strip_punctuation: bool = False,
) -> WERResult:
    """Word error rate of `hypothesis` (the model's transcript) against `reference` (the
    person's): one pair of strings, or two lists of strings (one pair per item: the
    corpus-level rate, total edits / total reference words; `wer_table` gives one row
    per item). NaN when the reference has no words at all.

    Normalisation is off by default (texts compared as given, split on whitespace);
    `lowercase` and `strip_punctuation` turn it on.
    """
    refs, hyps = _pairs(reference, hypothesis)
    parts = [_one(r, h, lowercase, strip_punctuation) for r, h in zip(refs, hyps, strict=True)]
    sub = sum(p.substitutions for p in parts)
    dele = sum(p.deletions for p in parts)
    ins = sum(p.insertions for p in parts)
    n = sum(p.reference_words for p in parts)
    return WERResult(
        (sub + dele + ins) / n if n else float("nan"),
        sub,
        dele,
        ins,
        sum(p.hits for p in parts),
        n,
        sum(p.hypothesis_words for p in parts),
    )


_WER_COLUMNS = [
    "item_id",
    "reference",
    "hypothesis",
    "wer",
    "substitutions",
    "deletions",
    "insertions",
    "hits",
    "reference_words",
    "hypothesis_words",
]


def wer_table(
    reference: Sequence[str] | pd.DataFrame,
    hypothesis: Sequence[str] | None = None,
    *,
    ids: Sequence[Any] | None = None,
    lowercase: bool = False,
    strip_punctuation: bool = False,
) -> pd.DataFrame:
    """One row per item: ``item_id``, ``reference``, ``hypothesis``, ``wer`` and its
    parts. `reference` and `hypothesis`: lists of strings (`ids` names the items; default
    0, 1, ...). Or `reference` alone, the decisions of an `AudioReview`
    (``review.decisions()`` or ``store.decisions(task)``): each decided item with both
    transcripts, the person's (``transcript_after``) as reference and the model's
    (``transcript_before``) as hypothesis. ``frame.attrs["overall"]`` holds the
    corpus-level `WERResult`."""
    if isinstance(reference, pd.DataFrame):
        if hypothesis is not None:
            raise ValueError("hypothesis: give it with a list of references, not with a decisions frame")
        refs, hyps, ids = _transcripts_of(reference)
    else:
        if hypothesis is None:
            raise ValueError("hypothesis: required with a list of references")
        refs, hyps = _pairs(list(reference), list(hypothesis))
        if ids is not None and len(list(ids)) != len(refs):
            raise ValueError(f"ids: {len(list(ids))} ids for {len(refs)} items")
    item_ids = list(range(len(refs))) if ids is None else list(ids)
    rows = []
    for item, r, h in zip(item_ids, refs, hyps, strict=True):
        res = _one(r, h, lowercase, strip_punctuation)
        rows.append({"item_id": item, "reference": r, "hypothesis": h, **res.as_dict()})
    out = pd.DataFrame(rows, columns=_WER_COLUMNS)
    out.attrs["overall"] = word_error_rate(
        refs, hyps, lowercase=lowercase, strip_punctuation=strip_punctuation
    )
    return out


def _transcripts_of(d: pd.DataFrame) -> tuple[list[str], list[str], list[Any]]:
    if "data" not in d.columns:
        raise ValueError("reference: a decisions frame needs a 'data' column (review.decisions())")
    refs, hyps, ids = [], [], []
    for k, (_, row) in enumerate(d.iterrows()):
        data = row["data"]
        if not isinstance(data, Mapping):
            continue
        after, before = data.get("transcript_after"), data.get("transcript_before")
        if isinstance(after, str) and isinstance(before, str):
            refs.append(after)
            hyps.append(before)
            ids.append(row["item_id"] if "item_id" in d.columns else k)
    return refs, hyps, ids


# ------------------------------------------------------------------------------------
# segments
# ------------------------------------------------------------------------------------

NONE_LABEL = "(none)"


@dataclass(frozen=True)
class SegmentAgreement:
    """Time-weighted agreement on segment labels between two annotators.

    ``agreement``: the share of frames (of time) where both give the same label (no
    segment on both sides counts as agreeing on `NONE_LABEL`); ``kappa``: Cohen's kappa
    over the frames (NaN when chance agreement is 1, e.g. one label everywhere);
    ``frames``: frames compared; ``frame``: seconds per frame; ``confusion``: seconds of
    time per (label of a, label of b)."""

    agreement: float
    kappa: float
    frames: int
    frame: float
    confusion: pd.DataFrame

    def __float__(self) -> float:
        return self.agreement


def _frame_labels(regions: Any, n: int, frame: float, none_label: str, where: str) -> np.ndarray:
    """A label per frame: the region covering the frame's centre (a later region in the
    list wins where regions overlap), else `none_label`."""
    out = np.full(n, none_label, dtype=object)
    centres = (np.arange(n) + 0.5) * frame
    if regions is None:
        return out
    if isinstance(regions, (str, bytes)) or not isinstance(regions, Sequence):
        raise ValueError(
            f"{where}: a list of {{'start', 'end', 'label'}} dicts, got {type(regions).__name__}"
        )
    for k, r in enumerate(regions):
        if not isinstance(r, Mapping) or not {"start", "end", "label"} <= set(r):
            raise ValueError(f"{where}[{k}]: not a region dict with start, end and label")
        start, end = r["start"], r["end"]
        if not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (start, end)
        ):
            raise ValueError(f"{where}[{k}]: start and end must be finite numbers of seconds")
        if end <= start:
            raise ValueError(f"{where}[{k}]: end {end} is not after start {start}")
        out[(centres >= start) & (centres < end)] = str(r["label"])
    return out


def segment_agreement(
    regions_a: Any,
    regions_b: Any,
    duration: float | Sequence[float],
    *,
    frame: float = 0.01,
    none_label: str = NONE_LABEL,
) -> SegmentAgreement:
    """Time-weighted agreement on segment labels between annotators a and b.

    The timeline ``[0, duration)`` is cut into frames of `frame` seconds (10 ms); each
    frame takes the label of the region covering its centre, or `none_label`. Agreement
    is the share of frames with the same label; kappa is Cohen's kappa over the frames.
    Several clips: `duration` a list, `regions_a` and `regions_b` lists (one region list
    per clip), the frames of all clips pooled.
    """
    if isinstance(frame, bool) or not isinstance(frame, (int, float)) or not frame > 0:
        raise ValueError(f"frame must be a positive number of seconds, got {frame!r}")
    if isinstance(duration, bool):
        raise ValueError(f"duration must be seconds (a number, or one per clip), got {duration!r}")
    if isinstance(duration, (int, float)):
        durations, per_a, per_b = [float(duration)], [regions_a], [regions_b]
    else:
        durations = [float(x) for x in duration]
        per_a, per_b = list(regions_a), list(regions_b)
        if not len(per_a) == len(per_b) == len(durations):
            raise ValueError(
                f"{len(durations)} durations, {len(per_a)} region lists of a and {len(per_b)} of b: "
                "give one of each per clip"
            )
    la, lb = [], []
    for k, (dur, ra, rb) in enumerate(zip(durations, per_a, per_b, strict=True)):
        if not math.isfinite(dur) or dur <= 0:
            raise ValueError(f"duration must be positive seconds, got {dur!r} (clip {k})")
        n = max(1, math.ceil(round(dur / frame, 9)))
        la.append(_frame_labels(ra, n, frame, none_label, "regions_a"))
        lb.append(_frame_labels(rb, n, frame, none_label, "regions_b"))
    a, b = np.concatenate(la), np.concatenate(lb)
    total = len(a)
    po = float(np.mean(a == b))
    labels = sorted(set(a) | set(b))
    counts = pd.crosstab(pd.Series(a, name="a"), pd.Series(b, name="b")).reindex(
        index=labels, columns=labels, fill_value=0
    )
    pa = counts.sum(axis=1).to_numpy() / total
    pb = counts.sum(axis=0).to_numpy() / total
    pe = float(np.dot(pa, pb))
    kappa = (po - pe) / (1 - pe) if pe < 1 - 1e-12 else float("nan")
    return SegmentAgreement(po, kappa, total, float(frame), counts * float(frame))


# ------------------------------------------------------------------------------------
# clip labels
# ------------------------------------------------------------------------------------


def clip_label_confusion(decisions: pd.DataFrame, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Human-vs-model confusion of clip labels: one count per decided item, rows the
    model's label, columns the person's (``human_label``), from ``review.decisions()``
    or ``store.decisions(task)`` (items without a model label or a human label are left
    out). `labels` orders (and completes) both axes. For agreement figures on the same
    decisions use `metrics.model_agreement`."""
    for col in ("model_label", "human_label"):
        if col not in decisions.columns:
            raise ValueError(f"decisions: no {col!r} column (give review.decisions())")
    d = decisions[decisions["model_label"].notna() & decisions["human_label"].notna()]
    table = pd.crosstab(
        d["model_label"].astype(str).rename("model"), d["human_label"].astype(str).rename("human")
    )
    order = list(labels) if labels is not None else sorted(set(table.index) | set(table.columns))
    out: pd.DataFrame = table.reindex(index=order, columns=order, fill_value=0)
    out.index.name, out.columns.name = "model", "human"
    return out
