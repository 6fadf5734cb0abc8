"""Image items: one image per row (a file path, encoded bytes, a PIL image or a numpy
array), checked once for every row and loaded again only when the browser asks.

Sizes are the decoded pixel grid as PIL gives it, *without* applying the EXIF
orientation tag: a box's coordinates are in that grid, so whatever shows the image must
not rotate it either (in a browser: CSS ``image-orientation: none``).

Images are untrusted input: PIL is only allowed the formats listed in `READ_FORMATS`
(some other plugins run an external program), an image over PIL's pixel limit
(``PIL.Image.MAX_IMAGE_PIXELS``, the decompression-bomb guard) is refused before it is
decoded, and every problem becomes a ValueError naming the column and the rows.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from ._common import hash_parts, require_column, require_frame, rows_named

#: Formats sent to the browser as given (every browser shows them), by PIL's name.
PASS_THROUGH = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
#: Every format read at all; the last two are re-encoded to PNG (browsers do not show TIFF).
READ_FORMATS = (*PASS_THROUGH, "BMP", "TIFF")
#: Modes PNG stores as they are; any other mode is converted to RGB(A) first.
_PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA"}

# The kinds of problem, each one line of validate_images' message.
MISSING = "missing values (None or NaN)"
NO_FILE = "files not found"
UNREADABLE = "not readable as a PNG, JPEG, WebP, GIF, BMP or TIFF image"
TOO_LARGE = "images over PIL's decompression-bomb limit (PIL.Image.MAX_IMAGE_PIXELS)"
BAD_TYPE = "values of an unsupported type (give a file path, bytes, a PIL image or a numpy array)"
BAD_ARRAY = "arrays that are not an image (H x W, H x W x 3 or H x W x 4; uint8, or floats in [0, 1])"


class ImageError(ValueError):
    """A value that cannot be used as an image. `kind` (one of the constants above)
    groups rows in `validate_images`' message; `detail` says what this value is."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class ImageData:
    """An image as sent to the browser.

    ``sha256`` is the hex SHA-256 of ``data``, the encoded bytes (not of the decoded
    pixels: the same picture saved twice with other settings is another image).
    ``scale`` is shown pixels per original pixel: 1.0 for an original, below 1 for a
    `preview`; ``original_px = shown_px / scale`` (`to_original`).
    """

    data: bytes = field(repr=False)
    mime: str
    width: int
    height: int
    sha256: str
    scale: float = 1.0

    @property
    def content_hash(self) -> str:
        """The content version the store keys decisions by (of an original, not of a
        preview: a preview's bytes change with the preview's settings)."""
        return hash_parts(self.sha256)

    def to_original(self, shown: float) -> float:
        """A coordinate on this (possibly downscaled) image in original pixels."""
        return shown / self.scale

    def to_shown(self, original: float) -> float:
        """An original pixel coordinate on this (possibly downscaled) image."""
        return original * self.scale


def is_missing(value: Any) -> bool:
    """None, NaN or pandas' NA (not an empty list, not an array)."""
    if isinstance(value, np.generic):
        value = value.item()
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def load_image(source: Any) -> ImageData:
    """An image from a file path (str or `pathlib.Path`), encoded bytes (`bytes`,
    `bytearray`, `memoryview`), a PIL image or a numpy array.

    PNG, JPEG, WebP and GIF files and bytes are kept exactly as given; BMP and TIFF,
    PIL images and arrays are encoded to PNG. Arrays are H x W (gray), H x W x 3 (RGB)
    or H x W x 4 (RGBA), of uint8 or of floats in [0, 1]. Raises `ImageError` (a
    ValueError) saying what is wrong. Width and height are PIL's pixel grid, the EXIF
    orientation not applied.
    """
    if is_missing(source):
        raise ImageError(MISSING, repr(source))
    if isinstance(source, (str, os.PathLike)):
        return _from_file(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _from_encoded(bytes(source))
    if isinstance(source, Image.Image):
        return _from_pil(source)
    if isinstance(source, np.ndarray):
        return _from_array(source)
    kind = type(source)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    raise ImageError(BAD_TYPE, f"type {name}")


def _from_file(source: str | os.PathLike[str]) -> ImageData:
    """An image file: its header and `verify` first, so that a large file that is no
    image is never read whole; then its bytes."""
    name = str(source)
    if not name.strip():
        raise ImageError(NO_FILE, f"{name!r} (an empty path)")
    try:
        with Path(source).open("rb") as f:
            fmt, width, height = _inspect(f, repr(name[:200]))
            f.seek(0)
            data = f.read()
    except FileNotFoundError:
        hint = " (URLs are not downloaded: give a local file)" if name.startswith(("http:", "https:")) else ""
        raise ImageError(NO_FILE, f"{name!r}{hint}") from None
    except IsADirectoryError:
        raise ImageError(UNREADABLE, f"{name!r} is a directory") from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, ImageError):
            raise
        # permissions, a name too long, a NUL or a lone surrogate in the name
        raise ImageError(UNREADABLE, f"{name[:200]!r}: {exc}") from None
    return _encoded(data, fmt, width, height)


def _from_encoded(data: bytes) -> ImageData:
    fmt, width, height = _inspect(io.BytesIO(data), f"{len(data):,} bytes")
    return _encoded(data, fmt, width, height)


def _check_pixels(width: int, height: int) -> None:
    """Refuse an image over PIL's limit before it is decoded (the header alone gives
    its size), so a small file cannot make us allocate gigabytes."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and width * height > limit:
        raise ImageError(
            TOO_LARGE,
            f"{width} x {height} = {width * height:,} pixels, over the limit of {int(limit):,} "
            "(raise PIL.Image.MAX_IMAGE_PIXELS for images you trust)",
        )


def _inspect(fp: BinaryIO, name: str) -> tuple[str, int, int]:
    """Format and size of an encoded image, checked without decoding its pixels: the
    header, the pixel limit and PIL's `verify` (for PNG, every chunk's checksum)."""
    fmt: str | None = None
    try:
        with warnings.catch_warnings():
            # over the limit is an error here (_check_pixels), not a warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fp, formats=READ_FORMATS) as im:
                fmt, (width, height) = im.format, im.size
                _check_pixels(width, height)
                im.verify()
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:  # more than twice the limit: PIL's own refusal
        raise ImageError(TOO_LARGE, f"{name}: {exc}") from None
    except UnidentifiedImageError:
        fp.seek(0)
        raise ImageError(UNREADABLE, f"{name} starting {fp.read(8)!r}") from None
    except Exception as exc:  # a damaged file: PIL raises many kinds (SyntaxError, OSError, ...)
        raise ImageError(
            UNREADABLE, f"{name}: a damaged {fmt or 'image'} file ({type(exc).__name__}: {exc})"
        ) from None
    return str(fmt), width, height


def _encoded(data: bytes, fmt: str, width: int, height: int) -> ImageData:
    """Checked encoded bytes as sent: as they are in a format browsers show, else PNG."""
    if fmt in PASS_THROUGH:
        return ImageData(data, PASS_THROUGH[fmt], width, height, hashlib.sha256(data).hexdigest())
    # verify() leaves the image unusable: open it again to re-encode it
    with Image.open(io.BytesIO(data), formats=READ_FORMATS) as im:
        return _from_pil(im)


def _from_pil(im: Image.Image) -> ImageData:
    _check_pixels(*im.size)
    try:
        im.load()  # a lazily opened image whose file is gone or damaged fails here
    except Exception as exc:
        raise ImageError(
            UNREADABLE, f"a PIL image that cannot be loaded ({type(exc).__name__}: {exc})"
        ) from None
    if im.mode not in _PNG_MODES:  # CMYK, YCbCr, 16/32-bit, float: not stored by PNG as is
        im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
    return _png(im)


def _png(im: Image.Image, scale: float = 1.0) -> ImageData:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    data = buf.getvalue()
    return ImageData(data, "image/png", im.width, im.height, hashlib.sha256(data).hexdigest(), scale)


def _from_array(a: np.ndarray) -> ImageData:
    shape_ok = a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))
    if not shape_ok or a.size == 0:
        raise ImageError(BAD_ARRAY, f"shape {a.shape}")
    if a.dtype == np.uint8:
        pixels = a
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
            raise ImageError(BAD_ARRAY, f"{a.dtype} values outside [0, 1] (or NaN)")
        pixels = np.round(a * 255).astype(np.uint8)
    else:
        raise ImageError(BAD_ARRAY, f"dtype {a.dtype} (convert to uint8 0-255 or floats in [0, 1])")
    return _png(Image.fromarray(np.ascontiguousarray(pixels)))


def preview(image: ImageData, max_side: int = 2048) -> ImageData:
    """`image` downscaled so that its longer side is `max_side` (the same object when it
    is not longer): JPEG, or PNG when the image has transparency.

    The copy's ``scale`` is shown pixels per original pixel (its longer side over the
    original's, times the original's own scale), so ``original_px = shown_px / scale``
    (`ImageData.to_original`). One factor serves both axes: the shorter side is rounded
    to whole pixels, which moves a mapped point by at most half a shown pixel.
    """
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 1:
        raise ValueError(f"max_side must be a positive int, got {max_side!r}")
    longer = max(image.width, image.height)
    if longer <= max_side:
        return image
    factor = max_side / longer
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    with Image.open(io.BytesIO(image.data), formats=READ_FORMATS) as im:
        if im.format == "JPEG":
            im.draft(None, size)  # let the decoder skip detail we are about to throw away
        alpha = im.has_transparency_data
        small = im.convert("RGBA" if alpha else "RGB").resize(
            size, Image.Resampling.LANCZOS, reducing_gap=3.0
        )
    scale = image.scale * factor
    if alpha:
        return _png(small, scale)
    buf = io.BytesIO()
    small.save(buf, format="JPEG", quality=85)
    data = buf.getvalue()
    return ImageData(data, "image/jpeg", size[0], size[1], hashlib.sha256(data).hexdigest(), scale)


class RowProblems:
    """Problems found over all rows, grouped by kind and raised once: one line per kind
    naming the argument, the first rows and what the first of them holds."""

    def __init__(self, index: pd.Index, where: str) -> None:
        self.index = index
        self.where = where
        self._rows: dict[tuple[str, str], list[int]] = {}
        self._example: dict[tuple[str, str], str] = {}

    def add(self, kind: str, pos: int, example: str, where: str | None = None) -> None:
        key = (where or self.where, kind)
        rows = self._rows.setdefault(key, [])
        if not rows:
            self._example[key] = example
        if not rows or rows[-1] != pos:
            rows.append(pos)

    def raise_if_any(self) -> None:
        lines = []
        for (where, kind), rows in self._rows.items():
            mask = np.zeros(len(self.index), dtype=bool)
            mask[rows] = True
            first = np.zeros(len(self.index), dtype=bool)
            first[rows[0]] = True
            lines.append(
                f"{where}: {kind} in rows {rows_named(mask, self.index)} "
                f"(row {rows_named(first, self.index)}: {self._example[(where, kind)]})"
            )
        if lines:
            raise ValueError("\n".join(lines))


@dataclass
class ImageItems:
    """Validated images of a frame's column (no copy of it): every row's size and hash,
    the image itself loaded again when asked for (`items[pos]`)."""

    source: pd.Series
    widths: np.ndarray  # int64 per row
    heights: np.ndarray
    sha256: list[str]
    mimes: list[str]

    def __len__(self) -> int:
        return len(self.widths)

    def __getitem__(self, pos: int) -> ImageData:
        """Row `pos`'s image; refused if it changed since it was validated (the boxes
        and the decisions were checked against the old one)."""
        image = load_image(self.source.iat[pos])
        if image.sha256 != self.sha256[pos]:
            raise ValueError(
                f"image of row {self.source.index[pos]!r} changed since it was validated "
                "(a file rewritten or an array modified): validate the frame again"
            )
        return image

    def __iter__(self) -> Iterator[ImageData]:
        return (self[pos] for pos in range(len(self)))

    def content_hash(self, pos: int) -> str:
        return hash_parts(self.sha256[pos])


def validate_images(df: Any, column: Hashable, *, argument: str = "image") -> ImageItems:
    """Check that every row of `column` is an image (see `load_image`); raise one
    ValueError listing every kind of problem with its first rows."""
    df = require_frame(df)
    s = require_column(df, column, argument)
    n = len(s)
    widths = np.zeros(n, dtype=np.int64)
    heights = np.zeros(n, dtype=np.int64)
    shas, mimes = [""] * n, [""] * n
    problems = RowProblems(df.index, f"{argument}={column!r}")
    for pos, value in enumerate(s):
        try:
            image = load_image(value)
        except ImageError as exc:
            problems.add(exc.kind, pos, exc.detail)
            continue
        widths[pos], heights[pos] = image.width, image.height
        shas[pos], mimes[pos] = image.sha256, image.mime
    problems.raise_if_any()
    return ImageItems(s, widths, heights, shas, mimes)
