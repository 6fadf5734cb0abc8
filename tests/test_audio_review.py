"""AudioReview: decoding every kind of clip, the waveform's peaks, bad input (named and
writing nothing), the protocol with the clip and its peaks as binary buffers, decisions
with regions and transcripts before and after, and require_play."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import hitl_widgets as hw
from hitl_widgets.items import load_audio, peaks
from hitl_widgets.items.audio import AudioError, inspect_audio
from hitl_widgets.textdiff import word_diff
from hitl_widgets.widgets import AudioReview

LABELS = ["speech", "music", "noise"]
RATE = 8000


def tone(seconds: float = 1.0, freq: float = 220.0, amp: float = 0.5, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write(path, x: np.ndarray, fmt: str, rate: int = RATE) -> str:
    sf.write(str(path), x, rate, format=fmt)
    return str(path)


def frame(tmp_path, n: int = 4) -> pd.DataFrame:
    paths = [write(tmp_path / f"clip_{i}.wav", tone(1.0 + i / 2, 200 + 50 * i), "WAV") for i in range(n)]
    return pd.DataFrame(
        {
            "path": paths,
            "pred": [LABELS[i % 2] for i in range(n)],
            "confidence": [0.5 + i / 10 for i in range(n)],
            "asr": [f"the cat sat on mat {i}" for i in range(n)],
            "segs": [[{"start": 0.1, "end": 0.6, "label": "speech", "id": "m1"}] for _ in range(n)],
        },
        index=[f"c{i}" for i in range(n)],
    )


def review(tmp_path, df=None, **kw) -> AudioReview:
    kw.setdefault("annotator", "ana")
    kw.setdefault("labels", LABELS)
    kw.setdefault("store", str(tmp_path / "s.db"))
    kw.setdefault("transcript", "asr")
    kw.setdefault("regions", "segs")
    return AudioReview(frame(tmp_path) if df is None else df, audio="path", **kw)


def wire(w) -> list[tuple[dict, list | None]]:
    sent: list[tuple[dict, list | None]] = []
    w.send = lambda m, buffers=None: sent.append((m, buffers))
    return sent


def fetch(w, sent, start: int = 0, count: int = 8) -> tuple[dict, list]:
    w._handle_custom_msg({"type": "fetch", "req": "r1", "start": start, "count": count}, [])
    msg, buffers = sent[-1]
    assert msg["type"] == "items" and msg["req"] == "r1"
    return msg, buffers or []


def decision(w, item: dict, action: str, **kw) -> dict:
    d = {
        "id": kw.pop("id", f"d-{item['item_id']}-{action}"),
        "item_id": item["item_id"],
        "content_hash": item["content_hash"],
        "qi": item["qi"],
        "action": action,
        "annotator": "ana",
        "session_id": w.session_id,
        "guideline_version": w.guideline_version,
        "created_at": "2026-12-03T10:00:00.000Z",
        "duration_ms": 2500,
        "task": "audio",
    }
    d.update(kw)
    return d


def decide(w, sent, *decisions: dict) -> dict:
    w._handle_custom_msg({"type": "decide", "decisions": list(decisions)}, [])
    ack, _ = sent[-1]
    assert ack["type"] == "ack"
    return ack


# ------------------------------------------------------------------------------------
# decoding and peaks
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime"), [("WAV", "audio/wav"), ("FLAC", "audio/flac"), ("OGG", "audio/ogg")]
)
def test_decodes_files_and_bytes_of_each_format(tmp_path, fmt, mime):
    x = np.stack([tone(0.75), tone(0.75, 440, 0.25)], axis=1)
    path = write(tmp_path / f"a.{fmt.lower()}", x, fmt)
    for source in (path, tmp_path / f"a.{fmt.lower()}", Path(path).read_bytes()):
        clip = load_audio(source)
        assert clip.mime == mime and clip.format == fmt
        assert clip.sample_rate == RATE and clip.channels == 2 and clip.frames == 6000
        assert clip.duration == pytest.approx(0.75)
        assert clip.data == Path(path).read_bytes()  # sent as given
        assert clip.samples.dtype == np.float32 and clip.samples.shape == (6000,)
        if fmt != "OGG":  # lossless: the mono mix is the mean of the channels
            np.testing.assert_allclose(clip.samples, x.mean(axis=1), atol=1e-4)
        assert inspect_audio(source).sha256 == clip.sha256


def test_arrays_need_a_sample_rate_and_are_sent_as_16_bit_wav():
    x = tone(0.5)
    clip = load_audio(x, 16000)
    assert clip.mime == "audio/wav" and clip.duration == pytest.approx(0.25)
    info = sf.info(io.BytesIO(clip.data))
    assert info.subtype == "PCM_16" and info.samplerate == 16000 and info.frames == len(x)
    np.testing.assert_allclose(clip.samples, x, atol=1 / 32767)
    ints = load_audio((x * 32767).astype(np.int16), 16000)
    np.testing.assert_allclose(ints.samples, x, atol=2 / 32767)
    with pytest.raises(AudioError, match="without a sample rate"):
        load_audio(x)
    with pytest.raises(AudioError, match="outside"):
        load_audio(x * 3, 16000)


def test_mp3_is_sent_as_given(tmp_path):
    path = write(tmp_path / "a.mp3", tone(1.0), "MP3")
    clip = load_audio(path)
    assert clip.format == "MP3" and clip.mime == "audio/mpeg" and clip.data == Path(path).read_bytes()
    assert clip.duration == pytest.approx(1.0, abs=0.1)


def test_a_format_browsers_do_not_play_is_sent_as_wav(tmp_path):
    path = write(tmp_path / "a.aiff", tone(0.5), "AIFF")
    clip = load_audio(path)
    assert clip.format == "AIFF" and clip.mime == "audio/wav"
    assert sf.info(io.BytesIO(clip.data)).format == "WAV"


def test_peaks_equal_numpy_per_bucket_on_a_sine_with_a_step():
    rate = 8000
    x = tone(3.0, 50, 0.3, rate)
    x[len(x) // 3 :] += 0.5  # a step a third of the way in
    x[-7:] = -0.9  # a short last bucket with its own minimum
    p = peaks(x, rate, max_buckets=100, per_second=200)
    spb = p.samples_per_bucket
    assert spb == max(-(-rate // 200), -(-len(x) // 100)) == 240
    n = -(-len(x) // spb)
    assert p.n == n <= 100 and p.per_second == pytest.approx(rate / spb)
    for b in range(n):
        chunk = x[b * spb : (b + 1) * spb]
        assert abs(p.min[b] - chunk.min()) < 1e-6 and abs(p.max[b] - chunk.max()) < 1e-6
    raw = np.frombuffer(p.to_bytes(), dtype="<f4")
    np.testing.assert_array_equal(raw[:n], p.min)
    np.testing.assert_array_equal(raw[n:], p.max)


def test_a_long_clip_has_at_most_max_buckets():
    x = np.zeros(8000 * 60 * 10, dtype=np.float32)  # ten minutes at 8 kHz
    p = peaks(x, 8000)
    assert p.n <= 8000 and p.n * p.samples_per_bucket >= len(x)
    assert p.per_second < 200


# ------------------------------------------------------------------------------------
# construction and bad input
# ------------------------------------------------------------------------------------


def test_exported_from_the_package(tmp_path):
    assert hw.AudioReview is AudioReview and "AudioReview" in hw.__all__
    w = review(tmp_path)
    assert w.kind == "audio" and len(w) == 4 and w.labels == LABELS
    assert w.config["region_labels"] == LABELS and w.config["require_play"] == "none"
    assert w.config["transcript"] is True and w.config["page_size"] == 4


@pytest.mark.parametrize("kind", ["path", "bytes", "numpy"])
def test_constructs_from_every_kind_of_clip(tmp_path, kind):
    xs = [tone(0.5, 200), tone(0.6, 300), tone(0.7, 400)]
    if kind == "path":
        values = [write(tmp_path / f"c{i}.flac", x, "FLAC") for i, x in enumerate(xs)]
    elif kind == "bytes":
        values = []
        for x in xs:
            buf = io.BytesIO()
            sf.write(buf, x, RATE, format="OGG")
            values.append(buf.getvalue())
    else:
        values = xs
    df = pd.DataFrame({"clip": values, "pred": ["speech", "music", "speech"]})
    w = AudioReview(
        df,
        audio="clip",
        labels=LABELS,
        sample_rate=np.int64(RATE),
        store=str(tmp_path / "s.db"),
        annotator="ana",
    )
    assert [round(w._items.audio.duration(p), 3) for p in range(3)] == [0.5, 0.6, 0.7]
    assert not w.config["transcript"]


def _bad(tmp_path, df, match: list[str], **kw) -> None:
    db = tmp_path / "bad.db"
    kw.setdefault("labels", LABELS)
    with pytest.raises(ValueError) as e:
        AudioReview(df, audio="path", store=str(db), annotator="ana", **kw)
    for words in match:
        assert words in str(e.value), str(e.value)
    assert not db.exists()


def test_missing_file_names_the_column_and_rows_and_writes_nothing(tmp_path):
    df = frame(tmp_path)
    df.loc["c1", "path"] = str(tmp_path / "nope.wav")
    df.loc["c3", "path"] = str(tmp_path / "gone.flac")
    _bad(tmp_path, df, ["audio='path'", "files not found", "'c1', 'c3'", "nope.wav"])


def test_unreadable_bytes_and_a_damaged_file_are_named(tmp_path):
    df = frame(tmp_path)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not a sound file at all" * 4)
    df.loc["c0", "path"] = str(junk)
    df["path"] = df["path"].astype(object)
    df.at["c2", "path"] = b"\x00\x01\x02 nothing audible"
    _bad(tmp_path, df, ["audio='path'", "not readable as audio", "'c0', 'c2'"])


def test_a_truncated_file_is_refused(tmp_path):
    df = frame(tmp_path)
    cut = tmp_path / "cut.flac"
    flac = io.BytesIO()
    sf.write(flac, tone(2.0), RATE, format="FLAC")
    cut.write_bytes(flac.getvalue()[:60])  # the header only, broken
    df.loc["c1", "path"] = str(cut)
    _bad(tmp_path, df, ["audio='path'", "'c1'"])


def test_an_unsupported_format_is_named(tmp_path):
    df = frame(tmp_path)
    m4a = tmp_path / "voice.m4a"
    m4a.write_bytes(b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A mp42isom" + b"\x00" * 200)
    df.loc["c2", "path"] = str(m4a)
    _bad(tmp_path, df, ["audio='path'", "unsupported audio format", "'c2'", "MP4/M4A"])


def test_bad_arrays_and_missing_sample_rates_are_named(tmp_path):
    df = pd.DataFrame(
        {"path": [tone(0.5), np.full(100, np.nan, np.float32), tone(0.5).astype(np.complex64), tone(0.2)]},
        index=["a", "b", "c", "d"],
    )
    _bad(tmp_path, df, ["audio='path'", "arrays that are not audio", "'b', 'c'"], sample_rate=RATE)
    _bad(tmp_path, df.iloc[[0, 3]], ["without a sample rate", "'a', 'd'"])
    df2 = df.iloc[[0, 3]].assign(sr=[RATE, 0])
    _bad(tmp_path, df2, ["sample_rate='sr'", "'d'"], sample_rate="sr")


def test_clips_longer_than_max_seconds_are_named(tmp_path):
    _bad(tmp_path, frame(tmp_path), ["max_seconds=1.6", "'c2', 'c3'", "2.00 s"], max_seconds=1.6)


@pytest.mark.parametrize(
    ("regions", "words"),
    [
        ([{"start": 0.5, "end": 0.2, "label": "speech"}], "end is not after their start"),
        ([{"start": 0.5, "end": 0.5, "label": "speech"}], "end is not after their start"),
        ([{"start": 0.5, "end": 9.0, "label": "speech"}], "outside the clip"),
        ([{"start": -0.1, "end": 0.3, "label": "speech"}], "outside the clip"),
        ([{"start": 0.1, "end": 0.3, "label": "<b>bird</b>"}], "label not in region_labels"),
        ([{"start": "0.1", "end": 0.3, "label": "speech"}], "not a finite number"),
        ([{"start": 0.1, "label": "speech"}], "not a list of regions"),
        ("0.1-0.3 speech", "not a list of regions"),
        (
            [
                {"start": 0.1, "end": 0.2, "label": "speech", "id": "x"},
                {"start": 0.3, "end": 0.4, "label": "speech", "id": "x"},
            ],
            "repeated ids",
        ),
    ],
)
def test_bad_regions_name_the_column_and_rows_and_write_nothing(tmp_path, regions, words):
    df = frame(tmp_path)
    df["segs"] = df["segs"].astype(object)
    df.at["c0", "segs"] = regions
    df.at["c2", "segs"] = regions
    _bad(tmp_path, df, ["regions='segs'", words, "'c0', 'c2'"], transcript="asr", regions="segs")


def test_region_labels_may_differ_from_clip_labels(tmp_path):
    df = frame(tmp_path)
    df["segs"] = [[{"start": 0.1, "end": 0.2, "label": "dog"}]] * 4
    _bad(tmp_path, df, ["regions='segs'", "'dog'"], regions="segs")
    w = review(tmp_path, df, region_labels=["dog", "car"])
    assert w.config["region_labels"] == ["dog", "car"] and w.current["regions"][0]["label"] == "dog"


def test_unknown_clip_label_and_bad_transcripts_are_named(tmp_path):
    df = frame(tmp_path).assign(pred=["speech", "fish", "music", "fish"])
    _bad(tmp_path, df, ["pred='pred'", "'fish'", "'c1', 'c3'"])
    df = frame(tmp_path)
    df["asr"] = df["asr"].astype(object)
    df.at["c2", "asr"] = 42
    _bad(tmp_path, df, ["transcript='asr'", "not text", "'c2'"], transcript="asr")
    _bad(tmp_path, frame(tmp_path), ["require_play"], require_play="twice")


def test_missing_transcripts_and_regions_are_none_and_empty(tmp_path):
    df = frame(tmp_path)
    df["asr"] = df["asr"].astype(object)
    df.at["c1", "asr"] = None
    df["segs"] = df["segs"].astype(object)
    df.at["c1", "segs"] = np.nan
    w = review(tmp_path, df)
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 2)
    assert msg["items"][1]["transcript"] is None and msg["items"][1]["regions"] == []


# ------------------------------------------------------------------------------------
# the protocol
# ------------------------------------------------------------------------------------


def test_fetch_sends_the_clip_and_its_peaks_as_buffers_never_in_json(tmp_path):
    df = frame(tmp_path)
    w = review(tmp_path, df)
    sent = wire(w)
    msg, buffers = fetch(w, sent, 0, 3)
    items = msg["items"]
    assert len(buffers) == 6 and [it["buffers"] for it in items] == [[0, 1], [2, 3], [4, 5]]
    for k, it in enumerate(items):
        raw = Path(df["path"].iloc[k]).read_bytes()
        clip, wave = bytes(buffers[it["buffers"][0]]), bytes(buffers[it["buffers"][1]])
        assert clip == raw
        assert it["audio"] == {"mime": "audio/wav", "bytes": len(raw)}
        assert it["peaks"]["buffer"] == 1 and it["peaks"]["n"] * 8 == len(wave)
        expect = peaks(load_audio(df["path"].iloc[k]).samples, RATE)
        assert it["peaks"]["per_second"] == expect.per_second
        assert it["peaks"]["samples_per_bucket"] == expect.samples_per_bucket
        np.testing.assert_array_equal(np.frombuffer(wave, "<f4"), np.concatenate([expect.min, expect.max]))
        assert it["duration"] == pytest.approx(1.0 + k / 2) and it["sample_rate"] == RATE
        assert it["channels"] == 1 and it["name"] == f"clip_{k}.wav"
        assert it["transcript"] == f"the cat sat on mat {k}"
        assert it["regions"] == [{"id": "m1", "start": 0.1, "end": 0.6, "label": "speech"}]
        assert it["model_label"] == LABELS[k % 2] and it["confidence"] == pytest.approx(0.5 + k / 10)
    text = json.dumps(msg)
    for k in range(3):  # neither the clip's bytes nor its base64 are in the JSON
        assert base64.b64encode(Path(df["path"].iloc[k]).read_bytes()).decode()[:40] not in text
    assert len(text) < 4000  # no clip, no peaks inside the JSON


def test_a_long_clip_is_sent_as_its_peaks_and_its_bytes_on_request(tmp_path, monkeypatch):
    import hitl_widgets.widgets.audio as audio_widget

    df = frame(tmp_path)
    sizes = [Path(p).stat().st_size for p in df["path"]]
    # clips 2 and 3 over the limit (their items carry the waveform, not the bytes)
    monkeypatch.setattr(audio_widget, "DEFER_CLIP_BYTES", (sizes[1] + sizes[2]) // 2)
    w = review(tmp_path, df)
    sent = wire(w)
    msg, buffers = fetch(w, sent, 0, 4)
    items = msg["items"]
    assert [it["buffers"] for it in items] == [[0, 1], [2, 3], [4], [5]] and len(buffers) == 6
    for k in (2, 3):
        it = items[k]
        assert it["audio"] == {"mime": "audio/wav", "bytes": sizes[k], "deferred": True}
        assert it["peaks"]["buffer"] == 0
        expect = peaks(load_audio(df["path"].iloc[k]).samples, RATE)
        np.testing.assert_array_equal(
            np.frombuffer(bytes(buffers[it["buffers"][0]]), "<f4"), np.concatenate([expect.min, expect.max])
        )
    assert "deferred" not in items[0]["audio"]
    # the bytes, asked for
    w._handle_custom_msg({"type": "clip", "req": "c1", "item_id": "c2"}, [])
    reply, extra = sent[-1]
    assert reply == {
        "type": "clip",
        "req": "c1",
        "item_id": "c2",
        "audio": {"mime": "audio/wav", "bytes": sizes[2]},
    }
    assert bytes(extra[0]) == Path(df["path"].iloc[2]).read_bytes()
    # an item never served, and a file changed since: refused with the reason, no bytes
    w._handle_custom_msg({"type": "clip", "req": "c2", "item_id": "nope"}, [])
    reply, extra = sent[-1]
    assert reply["audio"] is None and "unknown item" in reply["audio_error"] and not extra
    write(df["path"].iloc[3], tone(1.0, 999), "WAV")
    w._handle_custom_msg({"type": "clip", "req": "c3", "item_id": "c3"}, [])
    reply, extra = sent[-1]
    assert reply["audio"] is None and "changed" in reply["audio_error"] and not extra


def test_a_clip_changed_since_validation_is_not_sent(tmp_path):
    df = frame(tmp_path)
    w = review(tmp_path, df)
    write(df["path"].iloc[0], tone(1.0, 999), "WAV")
    sent = wire(w)
    msg, buffers = fetch(w, sent, 0, 2)
    first, second = msg["items"]
    assert first["audio"] is None and first["peaks"] is None and "changed" in first["audio_error"]
    assert second["buffers"] == [0, 1] and len(buffers) == 2


def test_blind_hides_the_model_transcript_and_regions(tmp_path):
    w = review(tmp_path, blind=True)
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 1)
    it = msg["items"][0]
    assert it["transcript"] is None and it["regions"] is None and it["model_label"] is None


def test_word_confidences_are_sent_one_per_word_and_hidden_when_blind(tmp_path):
    df = frame(tmp_path)
    df["conf"] = [[0.9, 0.8, 0.7, 0.6, 0.5, 0.4]] * 3 + [None]
    w = review(tmp_path, df, word_confidence="conf")
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 4)
    assert [it["word_confidence"] for it in msg["items"]] == [[0.9, 0.8, 0.7, 0.6, 0.5, 0.4]] * 3 + [None]
    blind = review(tmp_path / "b", df, word_confidence="conf", blind=True, store=str(tmp_path / "b.db"))
    sent = wire(blind)
    msg, _ = fetch(blind, sent, 0, 1)
    assert msg["items"][0]["word_confidence"] is None


@pytest.mark.parametrize(
    "values, words",
    [
        (["high"] * 4, "word_confidence='conf': not a list of numbers in rows"),
        ([[0.5, 0.5, 0.5, 0.5, 0.5, 1.5]] * 4, "numbers outside [0, 1] in rows"),
        ([[0.5, 0.5]] * 4, "not one number per word of the transcript in rows"),
    ],
)
def test_bad_word_confidences_are_named_and_write_nothing(tmp_path, values, words):
    df = frame(tmp_path)
    df["conf"] = values
    store = tmp_path / "s.db"
    with pytest.raises(ValueError) as e:
        review(tmp_path, df, word_confidence="conf")
    assert words in str(e.value) and "'c0'" in str(e.value)
    assert not store.exists()
    with pytest.raises(ValueError, match="confidences per word need the transcripts"):
        review(tmp_path, df, word_confidence="conf", transcript=None)


# ------------------------------------------------------------------------------------
# decisions
# ------------------------------------------------------------------------------------


def test_decisions_store_regions_and_transcripts_before_and_after_with_diff_and_wer(tmp_path):
    df = frame(tmp_path)
    w = review(tmp_path, df)
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 3)
    a, b, c = msg["items"]
    regions = [
        {"id": "m1", "start": 0.2004, "end": 0.7, "label": "music"},
        {"id": "new-1", "start": 0.8, "end": 1.005, "label": "speech"},  # within the 10 ms slack
    ]
    ops = [
        {
            "op": "move",
            "id": "m1",
            "t_ms": 800,
            "before": {"start": 0.1, "end": 0.6, "label": "speech"},
            "after": {"start": 0.2, "end": 0.7, "label": "speech"},
        },
        {"op": "relabel", "id": "m1", "t_ms": 900.5, "before": None, "after": None},
        {"op": "add", "id": "new-1", "t_ms": 1200, "after": {"start": 0.8, "end": 1.0, "label": "speech"}},
    ]
    hostile = "the <script>alert(1)</script> cat sat on the mat 0"
    play = {"listened_ms": 2100.5, "plays": 2, "ended": True}
    ack = decide(
        w,
        sent,
        decision(
            w,
            a,
            "correct",
            label="music",
            data={"regions": regions, "transcript": hostile, "ops": ops, **play},
        ),
        decision(w, b, "accept", data={"regions": b["regions"], "transcript": b["transcript"], **play}),
        decision(w, c, "flag", note="two voices", data={"regions": [], "transcript": None, "plays": 1}),
    )
    assert ack["errors"] == {} and len(ack["ids"]) == 3
    d = w.decisions().set_index("item_id")
    da, db, dc = d.loc["c0", "data"], d.loc["c1", "data"], d.loc["c2", "data"]
    assert d.loc["c0", "status"] == "corrected" and d.loc["c0", "human_label"] == "music"
    assert da["regions_before"] == [{"id": "m1", "start": 0.1, "end": 0.6, "label": "speech"}]
    assert da["regions_after"] == [
        {"id": "m1", "start": 0.2, "end": 0.7, "label": "music"},
        {"id": "new-1", "start": 0.8, "end": 1.0, "label": "speech"},
    ]
    assert da["transcript_before"] == "the cat sat on mat 0" and da["transcript_after"] == hostile
    assert da["transcript_diff"] == word_diff("the cat sat on mat 0", hostile)
    # the person's text is the reference: 8 words (split on spaces); the model's misses 2
    assert da["wer"] == pytest.approx(2 / 8) and da["wer_counts"]["deletions"] == 2
    assert da["listened_ms"] == 2100.5 and da["plays"] == 2 and da["ended"] is True
    assert [o["op"] for o in da["ops"]] == ["move", "relabel", "add"] and da["ops"][0]["t_ms"] == 800
    assert da["ops"][2]["before"] is None and da["ops"][2]["after"]["end"] == 1.0
    info = load_audio(df["path"].iloc[0])
    assert da["audio"] == {"duration": 1.0, "sample_rate": RATE, "channels": 1, "sha256": info.sha256}
    assert db["regions_after"] == db["regions_before"] and db["transcript_diff"] == [
        {"op": "equal", "text": "the cat sat on mat 1"}
    ]
    assert db["wer"] == 0.0 and d.loc["c1", "status"] == "accepted" and d.loc["c1", "human_label"] == "music"
    assert d.loc["c2", "status"] == "flagged" and dc["regions_after"] == [] and dc["transcript_after"] is None
    assert dc["wer"] is None and dc["plays"] == 1 and dc["ended"] is False


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"regions": [{"id": "x", "start": 0.5, "end": 0.2, "label": "speech"}]}, "end is not after"),
        ({"regions": [{"id": "x", "start": 0.5, "end": 1.5, "label": "speech"}]}, "outside the clip"),
        (
            {"regions": [{"id": "x", "start": 0.1, "end": 0.2, "label": "<img src=x>"}]},
            "not in region_labels",
        ),
        ({"regions": [{"id": "x", "start": 0.1, "end": 0.2, "label": "speech"}] * 2}, "repeated ids"),
        ({"regions": "everything"}, "not a list of regions"),
        ({"transcript": 42}, "data.transcript"),
        ({"plays": -1}, "data.plays"),
        ({"listened_ms": "long"}, "data.listened_ms"),
        ({"ended": "yes"}, "data.ended"),
        ({"ops": [{"op": "explode", "t_ms": 1}]}, "ops[0]"),
    ],
)
def test_a_bad_decision_from_the_browser_is_refused_and_not_stored(tmp_path, data, words):
    w = review(tmp_path)
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 1)
    ack = decide(w, sent, decision(w, msg["items"][0], "accept", data=data))
    assert ack["ids"] == [] and words in ack["errors"]["d-c0-accept"]
    assert w.events().empty


@pytest.mark.parametrize("mode", ["played", "ended"])
def test_require_play_refuses_accept_and_correct_but_not_skip_or_flag(tmp_path, mode):
    w = review(tmp_path, require_play=mode)
    assert w.config["require_play"] == mode
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 4)
    a, b, c, e = msg["items"]
    not_played = {"plays": 0, "listened_ms": 0, "ended": False}
    played_part = {"plays": 1, "listened_ms": 300, "ended": False}
    ack = decide(
        w,
        sent,
        decision(w, a, "accept", data=not_played),
        decision(w, b, "correct", label="noise", data=played_part),
        decision(w, c, "skip"),
        decision(w, e, "flag", data=not_played),
    )
    assert f"require_play='{mode}'" in ack["errors"]["d-c0-accept"]
    if mode == "played":
        assert "d-c1-correct" in ack["ids"]
    else:
        assert "not played to its end" in ack["errors"]["d-c1-correct"]
    assert {"d-c2-skip", "d-c3-flag"} <= set(ack["ids"])
    with pytest.raises(ValueError, match="require_play"):
        w.accept()  # from Python too: the current clip (c0) was not played
    w.accept(plays=1, ended=True, listened_ms=1000)
    assert w.decisions().set_index("item_id").loc["c0", "status"] == "accepted"


def test_python_actions_take_the_review_as_keyword_arguments(tmp_path):
    w = review(tmp_path)
    w.accept(
        regions=[
            {"start": 0.25, "end": 0.5, "label": "noise"},
            {"id": "m1", "start": 0.1, "end": 0.2, "label": "speech"},
        ],
        transcript="the cat sat on the mat 0",
        plays=1,
        listened_ms=950.0,
    )
    w.correct("noise")  # nothing given: the model's regions and transcript are kept
    with pytest.raises(ValueError, match="outside the clip"):
        w.correct("speech", regions=[{"start": 0.1, "end": 5.0, "label": "speech"}])
    with pytest.raises(ValueError, match="not one of"):
        w.correct("fish")
    w.flag("hum", transcript="")
    d = w.decisions().set_index("item_id")
    d0, d1, d2 = d.loc["c0", "data"], d.loc["c1", "data"], d.loc["c2", "data"]
    assert d0["regions_after"][0] == {"id": "new-0", "start": 0.25, "end": 0.5, "label": "noise"}
    assert d0["regions_after"][1]["id"] == "m1" and d0["plays"] == 1 and d0["listened_ms"] == 950.0
    assert d0["wer"] == pytest.approx(1 / 7) and d0["wer_counts"]["deletions"] == 1
    assert d1["regions_after"] == d1["regions_before"] and d1["transcript_after"] == "the cat sat on mat 1"
    assert d.loc["c1", "human_label"] == "noise"
    assert d2["transcript_after"] == "" and d2["wer"] is None and d.loc["c2", "status"] == "flagged"
    w.undo()
    assert "c2" not in set(w.decisions()["item_id"])  # the flag undone: undecided again
    assert w.current is not None and w.current["item_id"] == "c2"


def test_a_decision_from_an_earlier_session_under_other_region_labels_is_kept(tmp_path):
    w = review(tmp_path)
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 1)
    old = decision(
        w,
        msg["items"][0],
        "accept",
        session_id="an-old-session",
        data={"regions": [{"id": "q", "start": 0.1, "end": 0.2, "label": "bird"}], "plays": 0},
    )
    ack = decide(w, sent, old)
    assert ack["errors"] == {}
    assert w.decisions().iloc[0]["data"]["regions_after"][0]["label"] == "bird"


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG"])
def test_the_waveform_is_computed_while_validating_and_a_fetch_never_decodes_again(
    tmp_path, fmt, monkeypatch
):
    """A one-hour file took seconds to decode at every fetch: the waveform is now computed
    block by block while validating, equal to `peaks` on the decoded samples, and a
    fetch reads the bytes only (checked by their hash)."""
    import hitl_widgets.items.audio as audio_mod

    x = np.concatenate([tone(1.3, 330.0, 0.2), tone(0.9, 110.0, 0.8)]).astype(np.float32)
    path = write(tmp_path / f"clip.{fmt.lower()}", x, fmt)
    info = inspect_audio(path)
    clip = load_audio(path)
    want = peaks(clip.samples, clip.sample_rate)
    assert info.peaks is not None and info.peaks.samples_per_bucket == want.samples_per_bucket
    np.testing.assert_allclose(info.peaks.min, want.min, atol=1e-6)
    np.testing.assert_allclose(info.peaks.max, want.max, atol=1e-6)
    df = pd.DataFrame({"path": [path], "pred": ["noise"], "confidence": [0.7]}, index=["c0"])
    w = review(tmp_path, df=df, transcript=None, regions=None)
    sent = wire(w)

    def no_decode(*a, **k):
        raise AssertionError("decoded again at a fetch")

    monkeypatch.setattr(audio_mod, "_decode", no_decode)
    msg, buffers = fetch(w, sent, 0, 1)
    item = msg["items"][0]
    assert bytes(buffers[0]) == Path(path).read_bytes() and item["peaks"]["n"] == want.n
    got = np.frombuffer(bytes(buffers[1]), dtype="<f4")
    np.testing.assert_allclose(got, np.concatenate([want.min, want.max]), atol=1e-6)
    Path(path).write_bytes(Path(path).read_bytes()[:-10] + b"0123456789")  # changed since
    msg, _ = fetch(w, sent, 0, 1)
    assert (
        msg["items"][0]["audio"] is None
        and "changed since it was validated" in msg["items"][0]["audio_error"]
    )


# ------------------------------------------------------------------------------------
# a review of transcripts (or regions) only: no clip labels
# ------------------------------------------------------------------------------------
def test_a_transcription_review_needs_no_clip_labels(tmp_path):
    df = frame(tmp_path).drop(columns=["pred"])
    w = AudioReview(df, audio="path", transcript="asr", store=str(tmp_path / "s.db"), annotator="ana")
    assert w.labels == [] and w.config["transcript"] is True
    sent = wire(w)
    msg, _ = fetch(w, sent)
    first = msg["items"][0]
    assert first["model_label"] is None and first["confidence"] == pytest.approx(0.5)
    # Enter from the browser: the clip's transcript as the person left it
    decide(w, sent, decision(w, first, "accept", data={"transcript": "the cat sat on the mat 0", "plays": 1}))
    # from Python, the same
    w.accept(transcript="the cat sat on mat 1", plays=2)
    with pytest.raises(ValueError, match="not one of"):
        w.correct("speech")
    d = w.decisions().set_index("item_id")
    assert d.loc["c0", "status"] == "accepted" and pd.isna(d.loc["c0", "human_label"])
    d0, d1 = d.loc["c0", "data"], d.loc["c1", "data"]
    assert (
        d0["transcript_before"] == "the cat sat on mat 0"
        and d0["transcript_after"] == "the cat sat on the mat 0"
    )
    assert d0["wer"] == pytest.approx(1 / 7) and d0["wer_counts"]["deletions"] == 1
    assert d1["transcript_after"] == d1["transcript_before"] and d1["wer"] == 0.0 and d1["plays"] == 2


def test_a_regions_only_review_takes_region_labels(tmp_path):
    df = frame(tmp_path).drop(columns=["pred"])
    w = AudioReview(
        df, audio="path", regions="segs", region_labels=["speech", "laugh"], store=str(tmp_path / "s.db")
    )
    assert w.labels == [] and w.config["region_labels"] == ["speech", "laugh"]
    w.accept(regions=[{"id": "m1", "start": 0.1, "end": 0.6, "label": "laugh"}])
    data = w.decisions()["data"].iloc[0]
    assert data["regions_before"][0]["label"] == "speech" and data["regions_after"][0]["label"] == "laugh"


@pytest.mark.parametrize(
    "kw, words",
    [
        ({}, "labels: give the clip label set"),
        ({"regions": "segs"}, "without labels=, give the regions' label set as region_labels"),
        ({"transcript": "asr", "pred": "pred"}, "pred='pred': a model label per clip needs the label set"),
        (
            {"transcript": "asr", "pred": None, "proba": [[0.5, 0.5]] * 4},
            "proba: probabilities per label need",
        ),
    ],
)
def test_without_clip_labels_what_needs_them_is_refused_by_name(tmp_path, kw, words):
    store = tmp_path / "s.db"
    with pytest.raises(ValueError) as e:
        AudioReview(frame(tmp_path), audio="path", store=str(store), **kw)
    assert words in str(e.value)
    assert not store.exists()
