"""Speech and audio training sets from reviewed clips: a Hugging Face ``datasets.Dataset``
with an ``Audio`` feature, and JSON Lines.

The input is the review's decisions (a `Store`, a store path, or a decisions frame from
``review.decisions()``) and, for the dataset, the frame the review was opened on (its
clips: paths, bytes or arrays). Each decision of an `AudioReview` keeps the transcript and
the regions before and after review and the clip's hash, so an export needs nothing else.

* `to_hf_audio`: ``id``, ``audio``, ``text`` (the corrected transcript), ``label`` (a
  ``ClassLabel``), ``regions``, ``duration``, ``sampling_rate``, ``annotator``: the layout
  speech-recognition fine-tuning takes (``audio`` + ``text``).
* `to_jsonl`: one JSON object per decision, with the transcripts, the diff, the regions,
  the labels and how the clip was listened to.

About the ``Audio`` feature: ``datasets`` 4 and 5 encode and decode audio with
``torchcodec`` (even ``{"array", "sampling_rate"}`` dicts are encoded through it). To
need no extra audio library, each row's ``audio`` is stored as ``{"bytes", "path"}``: the
clip's encoded bytes as the browser played them (the file as given for WAV / FLAC / OGG /
MP3, 16-bit WAV for an array or another format), which ``datasets`` keeps as they are.
The feature is ``Audio(decode=True)`` when ``torchcodec`` is installed (rows then decode
to arrays on access) and ``Audio(decode=False)`` otherwise (rows are the bytes; decode
them with `hitl_widgets.items.load_audio` or ``soundfile``); ``decode=`` chooses.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .items._common import canonical_texts, require_frame, rows_named, validate_ids
from .items.audio import AudioError, load_audio
from .store import Store, using_store

if TYPE_CHECKING:
    import datasets

__all__ = ["audio_decisions", "to_hf_audio", "to_jsonl"]

#: Statuses whose clip label is settled (what a training set takes by default).
SETTLED = ("accepted", "corrected")


def audio_decisions(
    source: Store | str | os.PathLike[str] | pd.DataFrame,
    *,
    task: str = "audio",
    annotator: str | None = None,
) -> pd.DataFrame:
    """The decisions of an audio review: ``review.decisions()`` as given, or read from a
    store (`task`); only `annotator`'s when given. Rows without audio review data (a skip,
    an undo) are dropped."""
    if isinstance(source, pd.DataFrame):
        d = source
    elif isinstance(source, (Store, str, os.PathLike)):
        with using_store(source, create=False) as st:
            d = st.decisions(task)
    else:
        raise ValueError(
            f"source must be a Store, a store path or a decisions DataFrame, got {type(source).__name__}"
        )
    for col in ("item_id", "status", "data"):
        if col not in d.columns:
            raise ValueError(f"source: the decisions have no {col!r} column (give review.decisions())")
    if annotator is not None:
        if "annotator" not in d.columns:
            raise ValueError("annotator: the decisions have no 'annotator' column")
        d = d[d["annotator"] == annotator]
    keep = d["data"].map(lambda x: isinstance(x, Mapping) and "regions_after" in x).astype(bool)
    out: pd.DataFrame = d[keep].reset_index(drop=True)
    return out


def _record(row: Mapping[str, Any]) -> dict[str, Any]:
    data: Mapping[str, Any] = row["data"]
    decided = row.get("decided_at")
    return {
        "item_id": str(row["item_id"]),
        "annotator": row.get("annotator"),
        "status": row.get("status"),
        "label": row.get("human_label"),
        "model_label": row.get("model_label"),
        "transcript": data.get("transcript_after"),
        "model_transcript": data.get("transcript_before"),
        "transcript_diff": data.get("transcript_diff"),
        "wer": data.get("wer"),
        "regions": data.get("regions_after"),
        "model_regions": data.get("regions_before"),
        "listened_ms": data.get("listened_ms"),
        "plays": data.get("plays"),
        "ended": data.get("ended"),
        "audio": data.get("audio"),
        "note": row.get("note"),
        "decided_at": decided.isoformat() if isinstance(decided, pd.Timestamp) else decided,
    }


def to_jsonl(
    source: Store | str | os.PathLike[str] | pd.DataFrame,
    path: str | os.PathLike[str] | None = None,
    *,
    task: str = "audio",
    annotator: str | None = None,
) -> str:
    """One JSON object per decision of an audio review (every status): ``item_id``,
    ``annotator``, ``status``, ``label`` and ``model_label``, ``transcript`` (after
    review) and ``model_transcript``, ``transcript_diff``, ``wer``, ``regions`` and
    ``model_regions`` (seconds), ``listened_ms``, ``plays``, ``ended``, ``audio``
    (duration, sample rate, channels, sha256), ``note``, ``decided_at``. Returns the
    text; writes it to `path` (UTF-8) when given. Text is kept as data (JSON-escaped)."""
    d = audio_decisions(source, task=task, annotator=annotator)
    text = "".join(
        json.dumps(_record({str(k): v for k, v in row.items()}), ensure_ascii=False, default=str) + "\n"
        for row in d.to_dict("records")
    )
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def to_hf_audio(
    source: Store | str | os.PathLike[str] | pd.DataFrame,
    df: pd.DataFrame,
    audio: Hashable = "audio",
    *,
    task: str = "audio",
    annotator: str | None = None,
    id: Hashable | None = None,
    sample_rate: Any = None,
    labels: Sequence[str] | None = None,
    statuses: Sequence[str] = SETTLED,
    decode: bool | None = None,
) -> datasets.Dataset:
    """A ``datasets.Dataset`` of the reviewed clips: one row per decided clip (statuses
    in `statuses`, default accepted and corrected) with ``id``, ``audio`` (an ``Audio``
    feature: see the module's note), ``text`` (the transcript after review, None where
    the review had none), ``label`` (a ``ClassLabel`` over `labels`, default the labels
    found, sorted), ``regions`` (``[{start, end, label}]`` seconds), ``duration``,
    ``sampling_rate`` and ``annotator``.

    `df`, `audio`, `id` and `sample_rate` as given to the `AudioReview` (the clips are
    read from them, each checked against the hash its decision stored). An item decided
    by several annotators needs `annotator=` (one row per clip). Raises ValueError
    naming the rows before building anything.
    """
    import datasets
    import pyarrow as pa

    df = require_frame(df)
    if audio not in df.columns:
        raise ValueError(f"audio={audio!r}: no such column in df")
    d = audio_decisions(source, task=task, annotator=annotator)
    d = d[d["status"].isin(list(statuses))].reset_index(drop=True)
    if "annotator" in d.columns and d["item_id"].duplicated().any():
        dup = d.loc[d["item_id"].duplicated(keep=False), "item_id"].astype(str).unique()[:5].tolist()
        raise ValueError(
            f"items decided by several annotators ({dup}): pass annotator= to export one person's decisions"
        )
    ids = canonical_texts(validate_ids(df, id))
    pos = ids.get_indexer(pd.Index(d["item_id"].astype(str).tolist(), dtype=object))
    missing = pos < 0
    if missing.any():
        raise ValueError(
            f"df: no row with the item ids {d.loc[missing, 'item_id'].astype(str).tolist()[:5]} of the decisions "
            "(give the frame and id= the review was opened with)"
        )
    found = sorted({str(x) for x in d["human_label"].dropna()}) if "human_label" in d.columns else []
    names = list(labels) if labels is not None else found
    unknown = sorted(set(found) - set(names))
    if unknown:
        raise ValueError(f"labels: decided labels {unknown} are not in {names}")
    rates = None
    if (
        sample_rate is not None
        and isinstance(sample_rate, Hashable)
        and not isinstance(sample_rate, (int, float, np.number))
    ):
        if sample_rate not in df.columns:
            raise ValueError(f"sample_rate={sample_rate!r}: no such column in df")
        rates = df[sample_rate]
    clips: list[dict[str, Any]] = []
    changed = np.zeros(len(df), dtype=bool)
    bad: dict[int, str] = {}
    datas: list[Mapping[str, Any]] = list(d["data"])
    for k, p in enumerate(pos):
        rate = sample_rate if rates is None else rates.iat[int(p)]
        try:
            clip = load_audio(df[audio].iat[int(p)], rate)
        except AudioError as exc:
            bad[int(p)] = str(exc)
            continue
        info = datas[k].get("audio") or {}
        if info.get("sha256") not in (None, clip.sha256):
            changed[int(p)] = True
        src = df[audio].iat[int(p)]
        name = Path(src).name if isinstance(src, (str, os.PathLike)) else None
        ext = {"audio/flac": ".flac", "audio/ogg": ".ogg", "audio/mpeg": ".mp3"}.get(clip.mime, ".wav")
        clips.append(
            {
                "bytes": clip.data,
                "path": (Path(name).stem if name else str(d["item_id"].iat[k])) + ext,
                "duration": clip.duration,
                "sampling_rate": clip.sample_rate,
            }
        )
    if bad:
        mask = np.zeros(len(df), dtype=bool)
        mask[list(bad)] = True
        raise ValueError(
            f"audio={audio!r}: clips that cannot be read in rows {rows_named(mask, df.index)} "
            f"({next(iter(bad.values()))})"
        )
    if changed.any():
        raise ValueError(
            f"audio={audio!r}: clips changed since they were decided (their hash differs) in rows "
            f"{rows_named(changed, df.index)}"
        )
    label_index = {n: i for i, n in enumerate(names)}
    region_type = pa.list_(
        pa.struct([("start", pa.float64()), ("end", pa.float64()), ("label", pa.string())])
    )
    table = pa.table(
        {
            "id": pa.array(d["item_id"].astype(str).tolist(), pa.string()),
            "audio": pa.array(
                [{"bytes": c["bytes"], "path": c["path"]} for c in clips],
                pa.struct([("bytes", pa.binary()), ("path", pa.string())]),
            ),
            "text": pa.array([data.get("transcript_after") for data in datas], pa.string()),
            "label": pa.array(
                [label_index.get(str(x), -1) if isinstance(x, str) else -1 for x in d.get("human_label", [])]
                if "human_label" in d.columns
                else [-1] * len(d),
                pa.int64(),
            ),
            "regions": pa.array(
                [
                    [
                        {"start": r["start"], "end": r["end"], "label": r["label"]}
                        for r in data["regions_after"]
                    ]
                    for data in datas
                ],
                region_type,
            ),
            "duration": pa.array([c["duration"] for c in clips], pa.float64()),
            "sampling_rate": pa.array([c["sampling_rate"] for c in clips], pa.int64()),
            "annotator": pa.array(
                [str(a) for a in d["annotator"]] if "annotator" in d.columns else [None] * len(d), pa.string()
            ),
        }
    )
    if decode is None:
        decode = importlib.util.find_spec("torchcodec") is not None
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "audio": datasets.Audio(decode=bool(decode)),
            "text": datasets.Value("string"),
            "label": datasets.ClassLabel(names=names) if names else datasets.Value("int64"),
            "regions": datasets.List(
                {
                    "start": datasets.Value("float64"),
                    "end": datasets.Value("float64"),
                    "label": datasets.Value("string"),
                }
            ),
            "duration": datasets.Value("float64"),
            "sampling_rate": datasets.Value("int64"),
            "annotator": datasets.Value("string"),
        }
    )
    return datasets.Dataset(table.cast(features.arrow_schema), info=datasets.DatasetInfo(features=features))
