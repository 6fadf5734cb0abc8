"""Audio items: one clip per row (a file path, encoded bytes, or a numpy array with its
sample rate), checked once for every row and loaded again only when the browser asks.

Clips are decoded with `soundfile` (libsndfile: WAV, FLAC, OGG Vorbis/Opus, MP3, AIFF
and its other formats). What the browser plays is the encoded file as given when every
browser plays that format (WAV, FLAC, OGG, MP3); another format libsndfile reads (AIFF,
AU, CAF, ...) is re-encoded to 16-bit WAV, and so is an array. The waveform is drawn from
`peaks` computed here, so the browser never decodes a long file to draw it.

Clips are untrusted input: every problem becomes a ValueError naming the column and the
rows (`validate_audio`), and validation decodes each clip once, block by block, so a
damaged file is found before the review opens without holding every clip in memory.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import soundfile as sf  # type: ignore[import-untyped]  # (no stubs; see pyproject's mypy overrides)

from ._common import hash_parts, require_column, require_frame
from .image import RowProblems, is_missing

#: Formats sent to the browser as given (libsndfile's name -> MIME type).
PASS_THROUGH = {"WAV": "audio/wav", "FLAC": "audio/flac", "OGG": "audio/ogg", "MP3": "audio/mpeg"}
#: Default resolution of the waveform: buckets per second of a short clip.
PEAKS_PER_SECOND = 200
#: At most this many waveform buckets per clip (a long clip gets wider buckets).
MAX_BUCKETS = 8000
#: Highest sample rate accepted (Hz).
MAX_SAMPLE_RATE = 768_000
#: Most channels a clip may have (a (channels, frames) array is usually a mistake).
MAX_CHANNELS = 64
_BLOCK = 1 << 16  # frames decoded at a time while validating

# The kinds of problem, each one line of validate_audio's message.
MISSING = "missing values (None or NaN)"
NO_FILE = "files not found"
UNREADABLE = "not readable as audio (a damaged or non-audio file)"
UNSUPPORTED = (
    "an unsupported audio format (WAV, FLAC, OGG Vorbis/Opus, MP3 and the other formats "
    "libsndfile reads are supported; convert AAC/M4A/MP4/WebM/WMA/AMR first)"
)
EMPTY = "clips with no samples"
BAD_TYPE = "values of an unsupported type (give a file path, encoded bytes or a numpy array)"
BAD_ARRAY = "arrays that are not audio (frames, or frames x channels; ints, or finite floats in [-1, 1])"
NO_RATE = "arrays without a sample rate (give sample_rate=: an int, or a column of ints)"
BAD_RATE = f"sample rates that are not an int in [1, {MAX_SAMPLE_RATE:,}] Hz"

# Signatures of formats libsndfile does not read, to say "unsupported" rather than "damaged".
_OTHER_FORMATS: tuple[tuple[int, bytes, str], ...] = (
    (4, b"ftyp", "MP4/M4A/AAC"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"\x30\x26\xb2\x75", "ASF/WMA"),
    (0, b"#!AMR", "AMR"),
    (0, b"\xff\xf1", "AAC (ADTS)"),
    (0, b"\xff\xf9", "AAC (ADTS)"),
)
_OTHER_SUFFIXES = {".m4a", ".mp4", ".aac", ".webm", ".mkv", ".wma", ".amr", ".3gp"}


class AudioError(ValueError):
    """A value that cannot be used as a clip. `kind` (one of the constants above) groups
    rows in `validate_audio`'s message; `detail` says what this value is."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class AudioInfo:
    """What validation keeps of a clip: its size and the hash of its bytes, not its samples.

    ``sha256`` is the hex SHA-256 of the encoded bytes as given (of the 16-bit WAV an
    array is encoded to); ``mime`` is the type of the bytes the browser is sent.
    """

    mime: str
    format: str
    sample_rate: int
    channels: int
    frames: int
    sha256: str
    #: the waveform, computed while validating (the browser draws it from these; a fetch
    #: then reads the clip's bytes without decoding it again: a one-hour file decodes in
    #: seconds)
    peaks: Peaks | None = field(default=None, repr=False, compare=False)

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.frames / self.sample_rate

    @property
    def content_hash(self) -> str:
        return hash_parts(self.sha256)


@dataclass(frozen=True)
class AudioData(AudioInfo):
    """A decoded clip: `data` (the encoded bytes the browser plays, `mime`) and
    `samples`, the mono mix (mean of the channels) as float32, one value per frame."""

    data: bytes = field(default=b"", repr=False)
    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)


@dataclass(frozen=True)
class Peaks:
    """A waveform: the min and max of the mono mix per bucket of `samples_per_bucket`
    frames (the last bucket may be shorter). ``per_second = sample_rate /
    samples_per_bucket`` buckets per second (a float: long clips have wide buckets)."""

    per_second: float
    samples_per_bucket: int
    min: np.ndarray  # float32, one per bucket
    max: np.ndarray

    @property
    def n(self) -> int:
        return len(self.min)

    def to_bytes(self) -> bytes:
        """Little-endian float32: the `n` minima, then the `n` maxima."""
        return np.concatenate([self.min, self.max]).astype("<f4").tobytes()


def _sample_rate(value: Any) -> int:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SAMPLE_RATE:
        raise AudioError(BAD_RATE, repr(value))
    return value


def _other_format(head: bytes, name: str = "") -> str | None:
    for offset, magic, fmt in _OTHER_FORMATS:
        if head[offset : offset + len(magic)] == magic:
            return fmt
    suffix = Path(name).suffix.lower() if name else ""
    return suffix if suffix in _OTHER_SUFFIXES else None


def _read_source(source: Any, sample_rate: Any) -> tuple[bytes, str | None, np.ndarray | None, int | None]:
    """(encoded bytes, file name or None, array or None, sample rate of an array)."""
    if is_missing(source):
        raise AudioError(MISSING, repr(source))
    if isinstance(source, (str, os.PathLike)):
        name = str(source)
        if not name.strip():
            raise AudioError(NO_FILE, f"{name!r} (an empty path)")
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError:
            hint = (
                " (URLs are not downloaded: give a local file)"
                if name.startswith(("http:", "https:"))
                else ""
            )
            raise AudioError(NO_FILE, f"{name[:200]!r}{hint}") from None
        except IsADirectoryError:
            raise AudioError(UNREADABLE, f"{name[:200]!r} is a directory") from None
        except (OSError, ValueError) as exc:  # permissions, a NUL in the name, ...
            raise AudioError(UNREADABLE, f"{name[:200]!r}: {exc}") from None
        return data, name, None, None
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), None, None, None
    if isinstance(source, np.ndarray):
        if sample_rate is None or is_missing(sample_rate):
            raise AudioError(NO_RATE, f"an array of shape {source.shape}")
        return b"", None, source, _sample_rate(sample_rate)
    kind = type(source)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    raise AudioError(BAD_TYPE, f"type {name}")


def _array_frames(a: np.ndarray) -> np.ndarray:
    """A checked array as frames x channels float32 in [-1, 1]."""
    if a.ndim not in (1, 2) or a.size == 0:
        raise AudioError(BAD_ARRAY, f"shape {a.shape}")
    if a.ndim == 2 and a.shape[1] > MAX_CHANNELS:
        raise AudioError(
            BAD_ARRAY, f"shape {a.shape}: more than {MAX_CHANNELS} channels (give frames x channels)"
        )
    if np.issubdtype(a.dtype, np.integer) and not np.issubdtype(a.dtype, np.bool_):
        info = np.iinfo(a.dtype)
        if info.min == 0:  # unsigned: centred on the middle of the range
            x = (a.astype(np.float64) - (info.max + 1) / 2) / ((info.max + 1) / 2)
        else:
            x = a.astype(np.float64) / -float(info.min)
    elif np.issubdtype(a.dtype, np.floating):
        x = a.astype(np.float64)
        if not np.isfinite(x).all() or x.min() < -1 or x.max() > 1:
            raise AudioError(BAD_ARRAY, f"{a.dtype} values outside [-1, 1] (or NaN)")
    else:
        raise AudioError(BAD_ARRAY, f"dtype {a.dtype}")
    x = x.reshape(len(x), -1)
    return x.astype(np.float32)


def _wav16(frames: np.ndarray, sample_rate: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, frames, sample_rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _open(data: bytes, name: str | None) -> sf.SoundFile:
    label = repr(name[:200]) if name else f"{len(data):,} bytes"
    try:
        return sf.SoundFile(io.BytesIO(data))
    except Exception as exc:
        other = _other_format(data[:16], name or "")
        if other is not None:
            raise AudioError(UNSUPPORTED, f"{label}: {other}") from None
        if not data:
            raise AudioError(UNREADABLE, f"{label}: empty") from None
        why = str(exc).rsplit(": ", 1)[-1]  # libsndfile's reason, without the BytesIO's repr
        raise AudioError(UNREADABLE, f"{label} starting {data[:8]!r} ({why})") from None


def _bucket(
    rate: int, frames: int, max_buckets: int = MAX_BUCKETS, per_second: int = PEAKS_PER_SECOND
) -> int:
    """Frames per bucket of a clip's waveform (see `peaks`)."""
    return max(math.ceil(rate / per_second), math.ceil(frames / max_buckets))


def _decode(data: bytes, name: str | None, *, keep: bool) -> tuple[AudioInfo, np.ndarray | None]:
    """Decode encoded bytes block by block: their info with the waveform (`peaks`,
    computed on the way: blocks are whole buckets), and (when `keep`) the mono mix."""
    label = repr(name[:200]) if name else f"{len(data):,} bytes"
    with _open(data, name) as f:
        fmt, rate, channels = str(f.format), int(f.samplerate), int(f.channels)
        if not 1 <= channels <= MAX_CHANNELS:
            raise AudioError(UNREADABLE, f"{label}: {channels} channels")
        parts: list[np.ndarray] = []
        frames = 0
        # the header's frame count sets the buckets; a count that turns out wrong (an
        # estimate) gives no peaks here: they are computed from the samples when sent
        spb = _bucket(rate, int(f.frames)) if int(f.frames) > 0 else 0
        lows: list[np.ndarray] = []
        highs: list[np.ndarray] = []
        blocksize = spb * max(1, _BLOCK // spb) if spb else _BLOCK
        try:
            for block in f.blocks(blocksize=blocksize, dtype="float32", always_2d=True):
                frames += len(block)
                mono = block.mean(axis=1, dtype=np.float32) if channels > 1 else block[:, 0].copy()
                if spb:
                    starts = np.arange(0, len(mono), spb)
                    lows.append(np.minimum.reduceat(mono, starts))
                    highs.append(np.maximum.reduceat(mono, starts))
                if keep:
                    parts.append(mono)
        except AudioError:
            raise
        except Exception as exc:
            raise AudioError(
                UNREADABLE, f"{label}: a damaged {fmt} file ({type(exc).__name__}: {exc})"
            ) from None
    if frames == 0:
        raise AudioError(EMPTY, label)
    mime = PASS_THROUGH.get(fmt, "audio/wav")
    wave = None
    if spb and spb == _bucket(rate, frames):
        lo = np.clip(np.concatenate(lows), -1.0, 1.0).astype(np.float32)
        hi = np.clip(np.concatenate(highs), -1.0, 1.0).astype(np.float32)
        wave = Peaks(rate / spb, spb, lo, hi)
    info = AudioInfo(mime, fmt, rate, channels, frames, hashlib.sha256(data).hexdigest(), wave)
    samples = np.concatenate(parts) if keep else None
    return info, samples


def inspect_audio(source: Any, sample_rate: Any = None) -> AudioInfo:
    """Check a clip (see `load_audio`) and return its info, without keeping its samples:
    the file is decoded once, block by block. Raises `AudioError` (a ValueError)."""
    data, name, array, rate = _read_source(source, sample_rate)
    if array is not None:
        assert rate is not None
        frames = _array_frames(array)
        wav = _wav16(frames, rate)
        mono = frames.mean(axis=1, dtype=np.float32) if frames.shape[1] > 1 else frames[:, 0]
        return AudioInfo(
            "audio/wav",
            "WAV",
            rate,
            frames.shape[1],
            len(frames),
            hashlib.sha256(wav).hexdigest(),
            peaks(np.asarray(mono, dtype=np.float32), rate),
        )
    return _decode(data, name, keep=False)[0]


def load_audio(source: Any, sample_rate: Any = None) -> AudioData:
    """A clip from a file path (str or `pathlib.Path`), encoded bytes (`bytes`,
    `bytearray`, `memoryview`) or a numpy array with its `sample_rate` (Hz).

    Arrays are frames (mono) or frames x channels, of ints (scaled by their type's range)
    or of floats in [-1, 1]; they are sent to the browser as 16-bit WAV. Files and bytes
    in WAV, FLAC, OGG or MP3 are sent as they are; another format libsndfile reads is
    re-encoded to 16-bit WAV. `sample_rate` is used for arrays only (a file knows its
    own). Raises `AudioError` (a ValueError) saying what is wrong.
    """
    data, name, array, rate = _read_source(source, sample_rate)
    if array is not None:
        assert rate is not None
        frames = _array_frames(array)
        wav = _wav16(frames, rate)
        mono = frames.mean(axis=1, dtype=np.float32) if frames.shape[1] > 1 else frames[:, 0]
        return AudioData(
            "audio/wav",
            "WAV",
            rate,
            frames.shape[1],
            len(frames),
            hashlib.sha256(wav).hexdigest(),
            data=wav,
            samples=np.ascontiguousarray(mono, dtype=np.float32),
        )
    info, samples = _decode(data, name, keep=True)
    assert samples is not None
    sent = data
    if info.format not in PASS_THROUGH:  # a format browsers do not play
        with sf.SoundFile(io.BytesIO(data)) as f:
            sent = _wav16(f.read(dtype="float32", always_2d=True), info.sample_rate)
    return AudioData(
        info.mime,
        info.format,
        info.sample_rate,
        info.channels,
        info.frames,
        info.sha256,
        data=sent,
        samples=samples,
    )


def peaks(
    samples: np.ndarray,
    sample_rate: int,
    max_buckets: int = MAX_BUCKETS,
    per_second: int = PEAKS_PER_SECOND,
) -> Peaks:
    """The waveform of a mono signal: per bucket the min and max sample, clipped to
    [-1, 1], as float32.

    A bucket is ``samples_per_bucket = max(ceil(sample_rate / per_second),
    ceil(len(samples) / max_buckets))`` frames (the last one may be shorter), so a
    clip has at most `max_buckets` buckets: ``ceil(len(samples) / samples_per_bucket)``.
    """
    x = np.asarray(samples)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError(f"samples must be a non-empty 1-D array, got shape {x.shape}")
    rate = _positive_int(sample_rate, "sample_rate")
    buckets = _positive_int(max_buckets, "max_buckets")
    ps = _positive_int(per_second, "per_second")
    spb = max(math.ceil(rate / ps), math.ceil(len(x) / buckets))
    starts = np.arange(0, len(x), spb)
    x32 = x.astype(np.float32, copy=False)
    # clipping commutes with min and max: clip the buckets, not the whole signal
    lo = np.clip(np.minimum.reduceat(x32, starts), -1.0, 1.0).astype(np.float32)
    hi = np.clip(np.maximum.reduceat(x32, starts), -1.0, 1.0).astype(np.float32)
    return Peaks(rate / spb, int(spb), lo, hi)


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


@dataclass
class AudioItems:
    """Validated clips of a frame's column (no copy of it): every row's info and hash,
    the clip itself decoded again when asked for (`items[pos]`)."""

    source: pd.Series
    rates: pd.Series | None  # the sample rate per row, for arrays
    infos: list[AudioInfo]

    def __len__(self) -> int:
        return len(self.infos)

    def info(self, pos: int) -> AudioInfo:
        return self.infos[pos]

    def duration(self, pos: int) -> float:
        return self.infos[pos].duration

    def __getitem__(self, pos: int) -> AudioData:
        """Row `pos`'s clip; refused if it changed since it was validated (its regions and
        the decisions were checked against the old one)."""
        rate = None if self.rates is None else self.rates.iat[pos]
        clip = load_audio(self.source.iat[pos], rate)
        if clip.sha256 != self.infos[pos].sha256:
            raise ValueError(
                f"audio of row {self.source.index[pos]!r} changed since it was validated "
                "(a file rewritten or an array modified): validate the frame again"
            )
        return clip

    def content_hash(self, pos: int) -> str:
        return self.infos[pos].content_hash

    def sent(self, pos: int) -> tuple[bytes, str, Peaks]:
        """What the browser gets of row `pos`: the bytes it plays, their type and the
        waveform. A file or bytes in a format browsers play is read as it is, checked by
        its hash, never decoded again (the waveform was computed while validating);
        other rows are loaded as `__getitem__` does. Raises ValueError when the clip
        changed since it was validated."""
        info = self.infos[pos]
        src = self.source.iat[pos]
        if info.peaks is not None and info.format in PASS_THROUGH and not isinstance(src, np.ndarray):
            data = _read_source(src, None)[0]
            if hashlib.sha256(data).hexdigest() != info.sha256:
                raise ValueError(
                    f"audio of row {self.source.index[pos]!r} changed since it was validated "
                    "(a file rewritten or an array modified): validate the frame again"
                )
            return data, info.mime, info.peaks
        clip = self[pos]
        return clip.data, clip.mime, info.peaks or peaks(clip.samples, clip.sample_rate)


def _rates(df: pd.DataFrame, sample_rate: Any) -> tuple[pd.Series | None, str]:
    """The sample rate per row (None when not given) and how to name it."""
    if sample_rate is None:
        return None, "sample_rate"
    if isinstance(sample_rate, Hashable) and not isinstance(sample_rate, (int, float, np.number)):
        if sample_rate not in df.columns:
            raise ValueError(
                f"sample_rate={sample_rate!r}: no such column in df (give an int in Hz, or a column name)"
            )
        return df[sample_rate], f"sample_rate={sample_rate!r}"
    try:
        rate = _sample_rate(sample_rate)
    except AudioError:
        raise ValueError(
            f"sample_rate must be an int in [1, {MAX_SAMPLE_RATE:,}] Hz or a column name, got {sample_rate!r}"
        ) from None
    return pd.Series([rate] * len(df), index=df.index), "sample_rate"


def validate_audio(
    df: Any, column: Hashable, *, sample_rate: Any = None, argument: str = "audio"
) -> AudioItems:
    """Check that every row of `column` is a clip (see `load_audio`), decoding each
    once; raise one ValueError listing every kind of problem with its first rows.

    `sample_rate`: the rate of array rows, an int (Hz) or the name of a column of ints.
    """
    df = require_frame(df)
    s = require_column(df, column, argument)
    rates, rate_name = _rates(df, sample_rate)
    problems = RowProblems(df.index, f"{argument}={column!r}")
    infos: list[AudioInfo] = []
    for pos, value in enumerate(s):
        rate = None if rates is None else rates.iat[pos]
        try:
            infos.append(inspect_audio(value, rate))
        except AudioError as exc:
            where = rate_name if exc.kind == BAD_RATE else None
            problems.add(exc.kind, pos, exc.detail, where)
            infos.append(AudioInfo("", "", 1, 1, 0, ""))
    problems.raise_if_any()
    return AudioItems(s, rates, infos)
