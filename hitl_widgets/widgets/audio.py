"""AudioReview: listen to each clip, accept or correct its label, mark and label time
regions, and fix the model's transcript, from the keyboard.

The browser (js/src/widgets/audio.ts) plays the clip and draws its waveform from peaks
computed here (never decoding a long file to draw it), edits the regions and the
transcript, and sends them with the decision; the kernel checks them against the clip
(inside it, end after start, labels of the set, unique ids) and stores, with every
decision, the regions and the transcript before and after, the transcript's word diff
and word error rate, how long and how often the clip was listened to, and the clip's
size and hash.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar, Unpack

from ..items.audio_review import (
    REQUIRE_PLAY,
    AudioReviewItems,
    RegionError,
    RequirePlay,
    check_region_ops,
    check_regions,
    check_transcript,
    validate_audio_review,
)
from ..metrics.asr import word_error_rate
from ..store import Action
from ..textdiff import word_diff
from ._base import STATIC
from ._labels import LabelReview
from ._options import ReviewOptions, resolve_options
from ._protocol import Decision

#: The actions whose data carry the review of the clip (regions, transcript, listening).
_REVIEWED = (Action.ACCEPT, Action.CORRECT, Action.FLAG)

#: Clips larger than this (encoded bytes) are not sent with their item: the item carries
#: the waveform's peaks (so it is drawn at once) and the browser asks for the bytes with
#: a `clip` message. A one-hour recording (15 MB) would otherwise hold its first paint
#: behind the whole transfer.
DEFER_CLIP_BYTES = 2 * 2**20


class AudioReview(LabelReview[AudioReviewItems]):
    """Review a model's output on a DataFrame of audio clips, in the notebook, from the
    keyboard: the clip's label, its time regions and its transcript.

    >>> review = AudioReview(df, audio="path", labels=["speech", "music"],
    ...                      transcript="asr_text", regions="asr_segments")   # doctest: +SKIP
    >>> review                                                              # doctest: +SKIP

    Keys (browser): Space / K play or pause, J / L seek 2 s back / forward (Shift: 10 s),
    [ and ] slower / faster (0.5x to 2x, pitch kept), Tab / Shift+Tab select a region,
    B / E set its start / end at the playhead (B with none selected starts a new one),
    Alt+1-9 label it, R replay it, X / Delete delete it, T edit the transcript
    (Ctrl/Cmd+Enter saves, Esc cancels), Enter / A accept the clip's label, 1-9 correct
    it, F flag, S skip, Z undo, arrows move between clips, G guideline, ? every key.

    Every accept, correct and flag stores in its ``data``: ``regions_before`` (the
    model's) and ``regions_after`` (``[{id, start, end, label}]``, seconds rounded to the
    millisecond), ``transcript_before`` (the model's) and ``transcript_after`` with
    ``transcript_diff`` (`hitl_widgets.textdiff.word_diff`) and ``wer`` (the model's
    transcript against the person's, `metrics.word_error_rate`; ``wer_counts`` its
    parts), ``listened_ms``, ``plays``, ``ended``, ``ops`` (the region operations with
    their times) and ``audio`` (duration, sample rate, channels, sha256).

    From Python (scripted or simulated review) the clip's review is given as keyword
    arguments of the action that decides it: ``accept(regions=..., transcript=...,
    plays=1, ended=True)``, ``correct(label, ...)``, ``flag(note, ...)``; what is not
    given is the model's (regions, transcript) or nothing (listening). There is no hidden
    state carried from one call to the next. `skip()` and `undo()` as every review.

    Parameters
    ----------
    df:
        One row per clip. Not copied: only the clips the browser asks for are decoded
        and sent.
    audio:
        Column with the clips: file paths (WAV, FLAC, OGG, MP3 and the other formats
        libsndfile reads), encoded bytes, or numpy arrays (frames, or frames x channels)
        with `sample_rate`; each decoded once before the review opens.
    labels:
        The clip label set; keys 1-9 correct to the first nine. None: a review of
        transcripts and / or regions only (give `transcript` or `region_labels`; Enter
        submits the clip's transcript and regions; no `pred` or `proba`).
    pred, confidence, proba, id, reasons, fields, show_model:
        As for `ClassificationReview` (the model's label, its confidence or one
        probability per label, item ids, routing reasons, columns shown beside the clip).
    transcript:
        Column with the model's transcript per clip (a string, or missing).
    word_confidence:
        Column with the model's confidence per word of its transcript (a list of numbers
        in [0, 1], one per whitespace-separated word, or missing): the browser marks the
        words under 50% in the transcript until it is edited.
    regions:
        Column with the model's regions per clip: a list of ``{"start": s, "end": s,
        "label": str, "id"?: str}`` in seconds (or missing).
    region_labels:
        Labels of the regions (Alt+1-9); default `labels`.
    sample_rate:
        Sample rate (Hz) of array clips: an int, or a column name.
    require_play:
        ``"none"`` (default), ``"played"`` (an accept or a correct is refused before
        the clip was played at all) or ``"ended"`` (before it was played to its end).
        Skip and flag are always allowed. The kernel refuses such a decision too.
    max_seconds:
        Refuse clips longer than this many seconds (None: no limit).
    **options:
        Every review's options (`ReviewOptions`); ``task`` defaults to ``"audio"``,
        ``prefetch`` to 6.
    """

    _esm = STATIC / "audio.js"
    _css = STATIC / "audio.css"

    model_fields: ClassVar[tuple[str, ...]] = (
        "model_label",
        "confidence",
        "proba",
        "transcript",
        "word_confidence",
        "regions",
    )

    def __init__(
        self,
        df: Any,
        audio: Hashable = "audio",
        labels: Sequence[Any] | None = None,
        pred: Hashable | None = "pred",
        confidence: Hashable | None = "confidence",
        proba: Any = None,
        id: Hashable | None = None,
        *,
        transcript: Hashable | None = None,
        word_confidence: Hashable | None = None,
        regions: Hashable | None = None,
        region_labels: Sequence[Any] | None = None,
        sample_rate: Any = None,
        require_play: RequirePlay = "none",
        max_seconds: float | None = None,
        reasons: Hashable | None = None,
        fields: Sequence[Hashable] | None = None,
        show_model: bool = True,
        **options: Unpack[ReviewOptions],
    ) -> None:
        if require_play not in REQUIRE_PLAY:
            raise ValueError(f"require_play must be one of {list(REQUIRE_PLAY)}, got {require_play!r}")
        opts = resolve_options(dict(options), task="audio", prefetch=6)
        items = validate_audio_review(
            df,
            audio=audio,
            labels=labels,
            pred=pred,
            confidence=confidence,
            proba=proba,
            id=id,
            reasons=reasons,
            fields=fields,
            transcript=transcript,
            regions=regions,
            region_labels=region_labels,
            sample_rate=sample_rate,
            max_seconds=max_seconds,
            word_confidence=word_confidence,
        )
        self._require_play: str = require_play
        cfg: dict[str, Any] = {
            "show_model": bool(show_model),
            "region_labels": list(items.region_labels),
            "require_play": require_play,
            "transcript": items.transcripts is not None,
            "page_size": 4,  # clips are heavy: small pages, prefetched ahead
            # entries (with their bytes) the browser keeps either side of the cursor
            "window": max(32, 2 * opts.prefetch),
        }
        self._start(df, items, opts, cfg)

    # -- the kernel's side of a decision ------------------------------------------
    def _item_buffers(self, items: list[dict[str, Any]]) -> list[bytes]:
        """Each clip's bytes and its waveform as two buffers of the page: the item's
        ``buffers`` names them (indices into the message's buffers: the clip first, then
        the peaks); ``audio`` and ``peaks`` describe them (``peaks.buffer`` = 1: the
        second of the item's buffers holds ``2 * n`` little-endian float32, the minima
        then the maxima). A clip changed or gone since validation: ``audio`` and
        ``peaks`` None and ``audio_error`` the reason. A clip over `DEFER_CLIP_BYTES`:
        the peaks alone (``peaks.buffer`` = 0), ``audio.deferred`` true, and the bytes
        on request (`_send_clip`)."""
        buffers: list[bytes] = []
        for item in items:
            pos = self._served.get(item["item_id"])
            if pos is None:
                continue
            try:
                data, mime, wave = self._items.audio.sent(pos)
            except ValueError as exc:
                item["audio"] = None
                item["peaks"] = None
                item["audio_error"] = str(exc)
                continue
            deferred = len(data) > DEFER_CLIP_BYTES
            item["audio"] = {"mime": mime, "bytes": len(data)}
            if deferred:
                item["audio"]["deferred"] = True
            item["peaks"] = {
                "per_second": wave.per_second,
                "samples_per_bucket": wave.samples_per_bucket,
                "n": wave.n,
                "buffer": 0 if deferred else 1,
            }
            if deferred:
                item["buffers"] = [len(buffers)]
            else:
                item["buffers"] = [len(buffers), len(buffers) + 1]
                buffers.append(data)
            buffers.append(wave.to_bytes())
        return buffers

    def _handle(self, content: dict[str, Any]) -> None:
        if content.get("type") == "clip":
            self._send_clip(content.get("req"), content.get("item_id"))
        else:
            super()._handle(content)

    def _send_clip(self, req: Any, item_id: Any) -> None:
        """Answer a `clip` request: the bytes of a clip this widget served."""

        def clip(pos: int) -> tuple[dict[str, Any], bytes]:
            data, mime, _ = self._items.audio.sent(pos)  # ValueError: changed since validation
            return {"mime": mime, "bytes": len(data)}, data

        self._send_served_bytes("clip", "audio", req, item_id, clip)

    def _gold_text(self, pos: int) -> str:
        name = self._items.name(pos)
        return f"clip {name}" if name else f"clip {self._items.item_id(pos)}"

    def _check_decision(self, d: Decision, pos: int | None) -> None:
        super()._check_decision(d, pos)
        if d["action"] not in _REVIEWED:
            return
        data = d["data"] or {}
        self._clean(data, pos, strict=not self._from_earlier_session(d))
        if d["action"] in (Action.ACCEPT, Action.CORRECT) and not self._from_earlier_session(d):
            plays, ended = _count(data.get("plays"), "plays"), data.get("ended") is True
            if self._require_play == "played" and plays < 1:
                raise ValueError(
                    f"require_play='played': the clip was not played before this {d['action']} "
                    "(data.plays is 0); play it first, or skip or flag it"
                )
            if self._require_play == "ended" and not ended:
                raise ValueError(
                    f"require_play='ended': the clip was not played to its end before this "
                    f"{d['action']} (data.ended is not true); play it to the end, or skip or flag it"
                )

    def _clean(self, data: Mapping[str, Any], pos: int | None, *, strict: bool) -> dict[str, Any]:
        """The browser's data of a reviewed clip, checked (ValueError naming the field):
        ``regions`` (None: not sent), ``transcript``, ``listened_ms``, ``plays``, ``ended``,
        ``ops`` (and ``ops_cut``)."""
        items = self._items
        out: dict[str, Any] = {}
        if "regions" in data and data["regions"] is not None:
            duration = items.audio.duration(pos) if pos is not None else None
            try:
                out["regions"] = check_regions(
                    data["regions"], duration, items.region_labels, strict_labels=strict, id_prefix="new-"
                )
            except RegionError as exc:
                raise ValueError(f"data.regions: {exc}") from None
        else:
            out["regions"] = None
        out["transcript_sent"] = "transcript" in data
        out["transcript"] = check_transcript(data.get("transcript"), "data.transcript")
        listened = 0 if data.get("listened_ms") is None else data["listened_ms"]
        if (
            isinstance(listened, bool)
            or not isinstance(listened, (int, float))
            or not math.isfinite(listened)
            or listened < 0
        ):
            raise ValueError(f"data.listened_ms must be a non-negative number, got {listened!r}")
        out["listened_ms"] = float(listened)
        out["plays"] = _count(data.get("plays"), "plays")
        ended = False if data.get("ended") is None else data["ended"]
        if not isinstance(ended, bool):
            raise ValueError(f"data.ended must be true or false, got {ended!r}")
        out["ended"] = ended
        out["ops"], cut = check_region_ops(data.get("ops"))
        if cut:
            out["ops_cut"] = True
        return out

    def _event_fields(self, d: Decision, pos: int | None) -> dict[str, Any]:
        out = super()._event_fields(d, pos)
        if d["action"] not in _REVIEWED:
            return out
        sent = dict(d["data"] or {})
        if pos is None:  # an entry this frame no longer holds: kept as the browser sent it
            return {**out, "data": {**sent, **(out.get("data") or {})} or None}
        items = self._items
        clean = self._clean(sent, pos, strict=not self._from_earlier_session(d))
        before_regions = items.model_regions(pos)
        after_regions = before_regions if clean["regions"] is None else clean["regions"]
        before_text = items.transcript(pos)
        after_text = clean["transcript"] if clean["transcript_sent"] else before_text
        data: dict[str, Any] = dict(out.get("data") or {})  # (label_set_changed, from LabelReview)
        data.update(
            regions_before=before_regions,
            regions_after=after_regions,
            transcript_before=before_text,
            transcript_after=after_text,
            transcript_diff=None,
            wer=None,
            listened_ms=clean["listened_ms"],
            plays=clean["plays"],
            ended=clean["ended"],
            ops=clean["ops"],
            audio=items.audio_info(pos),
        )
        if before_text is not None or after_text is not None:
            data["transcript_diff"] = word_diff(before_text or "", after_text or "")
        if before_text is not None and after_text is not None:
            w = word_error_rate(after_text, before_text)
            if w.reference_words:  # no rate against an empty transcript
                data["wer"] = w.wer
            data["wer_counts"] = {k: v for k, v in w.as_dict().items() if k != "wer"}
        if clean.get("ops_cut"):
            data["ops_cut"] = True
        out["data"] = data
        return out

    # -- Python actions --------------------------------------------------------------
    def _review_data(
        self,
        regions: Sequence[Mapping[str, Any]] | None,
        transcript: str | None,
        listened_ms: float | None,
        plays: int | None,
        ended: bool | None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if regions is not None:
            if isinstance(regions, (str, bytes)) or not isinstance(regions, Sequence):
                raise ValueError(f"regions must be a list of region dicts, got {type(regions).__name__}")
            data["regions"] = [dict(r) for r in regions]
        if transcript is not None:  # None: not given, the model's is kept
            data["transcript"] = transcript
        if listened_ms is not None:
            data["listened_ms"] = listened_ms
        if plays is not None:
            data["plays"] = plays
        if ended is not None:
            data["ended"] = ended
        return data

    def accept(
        self,
        *,
        regions: Sequence[Mapping[str, Any]] | None = None,
        transcript: str | None = None,
        listened_ms: float | None = None,
        plays: int | None = None,
        ended: bool | None = None,
        duration_ms: float | None = None,
    ) -> None:
        """Accept the model's label for the current clip (a review without `labels`:
        submit its transcript and regions). `regions` (a list of
        ``{start, end, label, id?}`` in seconds; a region without an id, or with an id
        the model's regions do not have, is new) and `transcript` (the corrected text)
        are the person's; not given (None), the model's are kept (``transcript=""``
        clears it). `listened_ms`, `plays` and
        `ended` say how the clip was listened to (checked against `require_play`)."""
        cur = self.current
        # without clip labels (a transcript or regions review) accept submits the clip's review
        if self._items.labels and cur is not None and cur.get("model_label") is None:
            raise ValueError("this review has no model label to accept; use correct(label)")
        data = self._review_data(regions, transcript, listened_ms, plays, ended)
        self._decide_here(Action.ACCEPT, data=data, duration_ms=duration_ms)

    def correct(
        self,
        label: Any,
        *,
        regions: Sequence[Mapping[str, Any]] | None = None,
        transcript: str | None = None,
        listened_ms: float | None = None,
        plays: int | None = None,
        ended: bool | None = None,
        duration_ms: float | None = None,
    ) -> None:
        """Set the current clip's label to `label` (one of `labels`); the other
        arguments as for `accept`."""
        from ..items import canonical

        name = canonical(label)
        if name is None or name not in self._items.labels:
            raise ValueError(f"label {label!r} is not one of {self._items.labels!r}")
        data = self._review_data(regions, transcript, listened_ms, plays, ended)
        self._decide_here(Action.CORRECT, label=name, data=data, duration_ms=duration_ms)

    def flag(
        self,
        note: str | None = None,
        *,
        regions: Sequence[Mapping[str, Any]] | None = None,
        transcript: str | None = None,
        listened_ms: float | None = None,
        plays: int | None = None,
        ended: bool | None = None,
        duration_ms: float | None = None,
    ) -> None:
        """Flag the current clip (with an optional note), keeping the regions and the
        transcript as they are when flagged (the arguments as for `accept`)."""
        data = self._review_data(regions, transcript, listened_ms, plays, ended)
        self._decide_here(Action.FLAG, note=note, data=data, duration_ms=duration_ms)


def _count(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"data.{name} must be a non-negative int, got {value!r}")
    return value
