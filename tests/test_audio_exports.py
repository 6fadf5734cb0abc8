"""Audio exports: a Hugging Face dataset with an Audio feature, the corrected transcript
and the label, and JSON Lines of the decisions; both load back."""

from __future__ import annotations

import io
import json

import datasets
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from hitl_widgets.audio_exports import to_hf_audio, to_jsonl
from hitl_widgets.items import load_audio
from hitl_widgets.store import Store
from hitl_widgets.widgets import AudioReview

LABELS = ["speech", "music"]
RATE = 8000


def tone(seconds: float, freq: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.4 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def reviewed(tmp_path, annotator: str = "ana") -> tuple[AudioReview, pd.DataFrame]:
    flac = tmp_path / "b.flac"
    sf.write(str(flac), tone(0.5, 300), RATE, format="FLAC")
    df = pd.DataFrame(
        {
            "clip": [str(tmp_path / "a.wav"), str(flac), tone(0.75, 500), tone(0.2, 600)],
            "pred": ["speech", "music", "speech", "music"],
            "asr": ["hello word", "la la", "good morning <b>all</b>", None],
            "segs": [[{"start": 0.0, "end": 0.3, "label": "speech"}], None, None, None],
        },
        index=["u1", "u2", "u3", "u4"],
    )
    sf.write(str(tmp_path / "a.wav"), tone(1.0, 200), RATE)
    w = AudioReview(
        df,
        audio="clip",
        labels=LABELS,
        transcript="asr",
        regions="segs",
        sample_rate=RATE,
        store=str(tmp_path / "s.db"),
        annotator=annotator,
    )
    w.accept(transcript="hello world", regions=[{"start": 0.1, "end": 0.4, "label": "speech"}], plays=1)
    w.correct("speech")
    w.accept(transcript='good morning "all"')
    w.flag("noise only")
    return w, df


def test_to_hf_audio_loads_back_with_audio_text_and_label(tmp_path):
    w, df = reviewed(tmp_path)
    ds = to_hf_audio(w.store, df, audio="clip", sample_rate=RATE, labels=LABELS)
    assert isinstance(ds, datasets.Dataset) and len(ds) == 3  # the flagged clip is left out
    assert ds.column_names == [
        "id",
        "audio",
        "text",
        "label",
        "regions",
        "duration",
        "sampling_rate",
        "annotator",
    ]
    assert isinstance(ds.features["audio"], datasets.Audio)
    assert ds.features["label"] == datasets.ClassLabel(names=LABELS)
    rows = {r["id"]: r for r in ds.with_format(None)}
    assert rows["u1"]["text"] == "hello world" and rows["u2"]["text"] == "la la"
    assert rows["u3"]["text"] == 'good morning "all"'
    assert [rows[k]["label"] for k in ("u1", "u2", "u3")] == [0, 0, 0]
    assert rows["u1"]["regions"] == [{"start": 0.1, "end": 0.4, "label": "speech"}]
    assert rows["u2"]["duration"] == pytest.approx(0.5) and rows["u3"]["sampling_rate"] == RATE
    if not ds.features["audio"].decode:  # no torchcodec: the clips are their encoded bytes
        for k, path in (("u1", "a.wav"), ("u2", "b.flac"), ("u3", "u3.wav")):
            audio = rows[k]["audio"]
            assert audio["path"] == path
            x, rate = sf.read(io.BytesIO(audio["bytes"]), dtype="float32")
            assert rate == RATE
            np.testing.assert_allclose(x, load_audio(df.loc[k, "clip"], RATE).samples, atol=1e-4)
    # saved and loaded again, the same rows and features
    ds.save_to_disk(str(tmp_path / "ds"))
    back = datasets.load_from_disk(str(tmp_path / "ds"))
    assert back.features == ds.features and back["text"] == ds["text"]


def test_to_hf_audio_from_decisions_and_with_every_status(tmp_path):
    w, df = reviewed(tmp_path)
    ds = to_hf_audio(
        w.decisions(), df, "clip", sample_rate=RATE, statuses=("accepted", "corrected", "flagged")
    )
    assert len(ds) == 4 and ds.features["label"].names == ["speech"]  # the labels found
    rows = {r["id"]: r for r in ds.with_format(None)}
    assert rows["u4"]["text"] is None and rows["u4"]["label"] == -1


def test_to_hf_audio_refuses_changed_clips_and_missing_rows(tmp_path):
    w, df = reviewed(tmp_path)
    sf.write(df.loc["u1", "clip"], tone(1.0, 999), RATE)
    with pytest.raises(ValueError, match=r"changed since they were decided.*'u1'"):
        to_hf_audio(w.store, df, "clip", sample_rate=RATE)
    with pytest.raises(ValueError, match="no row with the item ids"):
        to_hf_audio(w.store, df.drop(index="u2"), "clip", sample_rate=RATE)
    with pytest.raises(ValueError, match="not in"):
        to_hf_audio(w.store, df, "clip", sample_rate=RATE, labels=["music"])


def test_several_annotators_need_one_chosen(tmp_path):
    w, df = reviewed(tmp_path, "ana")
    w2 = AudioReview(
        df, audio="clip", labels=LABELS, transcript="asr", sample_rate=RATE, store=w.store, annotator="bo"
    )
    w2.correct("music", plays=1)
    with pytest.raises(ValueError, match="annotator="):
        to_hf_audio(w.store, df, "clip", sample_rate=RATE)
    ds = to_hf_audio(w.store, df, "clip", sample_rate=RATE, annotator="bo", labels=LABELS)
    assert ds["id"] == ["u1"] and ds["label"] == [1] and ds["annotator"] == ["bo"]


def test_to_jsonl_writes_one_line_per_decision(tmp_path):
    w, _ = reviewed(tmp_path)
    out = tmp_path / "audio.jsonl"
    text = to_jsonl(str(tmp_path / "s.db"), out)
    assert out.read_text(encoding="utf-8") == text
    lines = [json.loads(line) for line in text.splitlines()]
    by = {r["item_id"]: r for r in lines}
    assert set(by) == {"u1", "u2", "u3", "u4"}
    assert by["u1"]["transcript"] == "hello world" and by["u1"]["model_transcript"] == "hello word"
    assert by["u1"]["wer"] == pytest.approx(0.5) and by["u1"]["plays"] == 1
    assert by["u1"]["regions"] == [{"id": "new-0", "start": 0.1, "end": 0.4, "label": "speech"}]
    assert by["u1"]["model_regions"] == [{"id": "r0", "start": 0.0, "end": 0.3, "label": "speech"}]
    assert (
        by["u2"]["status"] == "corrected"
        and by["u2"]["label"] == "speech"
        and by["u2"]["model_label"] == "music"
    )
    assert by["u3"]["model_transcript"] == "good morning <b>all</b>"  # kept as data, escaped by JSON
    assert by["u4"]["status"] == "flagged" and by["u4"]["note"] == "noise only"
    assert by["u1"]["audio"]["sample_rate"] == RATE and len(by["u1"]["audio"]["sha256"]) == 64
    with Store(str(tmp_path / "s.db")) as st:
        assert to_jsonl(st) == text
    assert to_jsonl(w.decisions()) == text


def test_to_hf_audio_of_files_needs_no_sample_rate(tmp_path):
    """A frame of files (each knows its rate): no `sample_rate` to give (it was read as a
    column named None before)."""
    sf.write(str(tmp_path / "a.wav"), tone(0.5, 200), RATE)
    sf.write(str(tmp_path / "b.flac"), tone(0.5, 300), RATE, format="FLAC")
    df = pd.DataFrame(
        {"clip": [str(tmp_path / "a.wav"), str(tmp_path / "b.flac")], "pred": ["speech", "music"]}
    )
    w = AudioReview(df, audio="clip", labels=LABELS, store=str(tmp_path / "s.db"), annotator="ana")
    w.accept()
    w.correct("speech")
    ds = to_hf_audio(w.store, df, audio="clip", labels=LABELS)
    assert len(ds) == 2 and ds.features["label"].int2str(list(ds["label"])) == ["speech", "speech"]
    assert list(ds["sampling_rate"]) == [RATE, RATE]
