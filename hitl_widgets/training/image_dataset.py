"""Images as `to_dataset`'s content: what an `ImageReview` showed, read from the review's frame.

>>> data = to_dataset(store, df, image="path", task="image", id="id")   # doctest: +SKIP
>>> data["train"][0]["image"], data["train"][0]["label"]               # doctest: +SKIP

Everything but the content is `to_dataset`'s (sources, votes, held-out items, the
stratified split, the leakage guard, the report); this module says what an image item's
content is:

* its version is `hitl_widgets.items.image_review.content_hash` of the image's encoded
  bytes, the hash `ImageReview` stored with each decision: a decision on other bytes (the
  file rewritten, the array changed) is dropped as "decided on other image than df's";
* two images are the same item (the leakage guard) when their decoded pixels are (mode,
  size and pixel bytes), whatever the file format or the type they came in;
* the dataset holds the image's encoded bytes (PNG, JPEG, WebP or GIF as given, others
  as PNG) in a `datasets.Image` feature, which gives back a PIL image.

Only the rows the store has decisions or routes for are read (an `ImageReview`'s frame
can hold many more images than were reviewed); each such row is checked as
`ImageReview` checks it, with a ValueError naming the column and the rows.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from PIL import Image

from ..items.image import ImageData, is_missing, validate_images
from ..items.image_review import content_hash
from .dataset import Content


@dataclass(frozen=True)
class ReviewedImage:
    """One item's image as the build keeps it: the encoded image and its pixels' key."""

    image: ImageData
    pixels: str  # hash of the decoded pixels (mode, size, bytes): the same picture, any format


def pixel_key(image: ImageData) -> str:
    """A hash of an image's decoded pixels (mode, size and bytes): the same picture saved as
    PNG or given as an array has one key."""
    with Image.open(io.BytesIO(image.data)) as im:
        im.load()
        h = hashlib.sha256(f"{im.mode}:{im.width}x{im.height}:".encode())
        h.update(im.tobytes())
    return h.hexdigest()


def _load(df: pd.DataFrame | None, image: Hashable, id: Hashable | None, wanted: set[str]) -> dict[str, Any]:
    """item id -> `ReviewedImage` of the rows of `df` whose id is in `wanted` (a missing
    value (None / NaN) is an item without an image; any other bad value raises)."""
    if df is None or not wanted:
        return {}
    ids = (df.index if id is None else pd.Index(df[id])).astype(str)
    pos = [
        i for i, (k, v) in enumerate(zip(ids, df[image], strict=True)) if k in wanted and not is_missing(v)
    ]
    if not pos:
        return {}
    rows = df.iloc[pos]
    items = validate_images(rows, image)  # one ValueError naming the column and the rows
    out: dict[str, Any] = {}
    for j, p in enumerate(pos):
        im = items[j]
        out[ids[p]] = ReviewedImage(im, pixel_key(im))  # the last row of an id, as for text
    return out


def image_content(df: pd.DataFrame | None, image: Hashable, id: Hashable | None) -> Content:
    """The images of `df` (column `image`: paths, bytes, PIL images or arrays; ids from
    column `id` or the index) as `to_dataset`'s `Content`. The columns are checked here,
    before the store is read; the images once the store says which rows were reviewed."""
    if df is not None:
        if not isinstance(df, pd.DataFrame):
            raise ValueError(f"df must be a pandas DataFrame, got {type(df).__name__}")
        if image not in df.columns:
            raise ValueError(f"image={image!r}: no such column in df (columns: {list(df.columns)[:20]!r})")
        if id is not None and id not in df.columns:
            raise ValueError(f"id={id!r}: no such column in df (columns: {list(df.columns)[:20]!r})")
    return Content(
        column="image",
        noun="image",
        event_kind="image",
        load=lambda wanted: _load(df, image, id, wanted),
        version=lambda c: content_hash(c.image.sha256),
        key=lambda c: c.pixels,
        value=lambda c: {"bytes": c.image.data, "path": None},
        feature=lambda datasets: datasets.Image(),
    )
