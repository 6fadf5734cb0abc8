"""Image review items: one image per row (see `items.image`: a path, bytes, a PIL image
or an array), a label set, and the model's label with its confidence (or one
probability per label), as for classification.

The cheap checks (labels, ids, the model's columns) run first, then every image is
checked once (`validate_images`); all of it before any store is opened, so bad input
writes nothing. The user's frame is never copied; an image is loaded again only when
the browser asks for its page, and a large one is sent as a preview.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._common import (
    ItemIds,
    ModelLabels,
    hash_parts,
    require_column,
    require_frame,
    validate_ids,
    validate_labels,
)
from .classification import validate_model_output
from .image import ImageData, ImageItems, preview, validate_images

#: Longest side of an image as sent to the browser (a larger one is sent as a preview).
MAX_SIDE = 2048


def content_hash(sha256: str) -> str:
    """The content version of an image item: a hash of its encoded bytes' SHA-256 (the
    same as `ImageData.content_hash`)."""
    return hash_parts(sha256)


@dataclass
class ImageReviewItems(ModelLabels, ItemIds):
    """Validated image review items over a user's frame (no copy of it)."""

    df: pd.DataFrame
    ids: pd.Index
    images: ImageItems
    labels: list[str]
    pred: np.ndarray | None  # label index per row, -1 where none
    confidence: np.ndarray | None  # float64 per row
    proba: np.ndarray | None  # rows x labels float64
    reasons: pd.Series | None = None
    fields: list[tuple[str, pd.Series]] = field(default_factory=list)
    max_side: int = MAX_SIDE
    _id_text: pd.Index | None = field(default=None, repr=False)

    kind: ClassVar[str] = "image"

    def hash(self, pos: int) -> str:
        return self.images.content_hash(pos)

    def name(self, pos: int) -> str | None:
        """The file name of a row given as a path (shown under the image), else None."""
        src = self.images.source.iat[pos]
        return Path(src).name if isinstance(src, (str, os.PathLike)) else None

    def image_sha(self, pos: int) -> str:
        """The SHA-256 of row `pos`'s image bytes (rows of the same image share it)."""
        return str(self.images.sha256[pos])

    def shown_image(self, pos: int) -> ImageData:
        """Row `pos`'s image as sent: the original, or a preview of at most `max_side`
        pixels a side (raises ValueError when the file changed since validation)."""
        return preview(self.images[pos], self.max_side)

    def payload(self, pos: int) -> dict[str, Any]:
        """What the browser needs to show one item, besides the image's bytes (the
        widget sends those as a binary buffer with the page)."""
        return {
            "item_id": self.item_id(pos),
            "content_hash": self.hash(pos),
            "name": self.name(pos),
            "width": int(self.images.widths[pos]),
            "height": int(self.images.heights[pos]),
            **self.model_payload(pos),
        }


def validate_image_review(
    df: Any,
    *,
    image: Any = "image",
    labels: Sequence[Any] | None = None,
    pred: Any | None = "pred",
    confidence: Any | None = "confidence",
    proba: Any | None = None,
    id: Hashable | None = None,
    reasons: Any | None = None,
    fields: Sequence[Hashable] | None = None,
    max_side: int = MAX_SIDE,
) -> ImageReviewItems:
    """Check a frame for image review; raise ValueError naming the argument or column
    and the first offending rows."""
    df = require_frame(df)
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 1:
        raise ValueError(f"max_side must be a positive int, got {max_side!r}")
    label_list = validate_labels(labels)
    ids = validate_ids(df, id)
    require_column(df, image, "image")  # a missing column is named before the model's
    m = validate_model_output(df, label_list, pred, confidence, proba, reasons, fields)
    images = validate_images(df, image)  # last: it reads every image once
    return ImageReviewItems(
        df, ids, images, label_list, m.pred, m.confidence, m.proba, m.reasons, m.fields, max_side
    )
