"""ImageReview: accept or correct a model's label for each image, from the keyboard, one
image at a time or a page of tiles of one predicted class at a time."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Literal, Protocol, Unpack

import numpy as np

from ..items.image import ImageData
from ..items.image_review import MAX_SIDE, ImageReviewItems, validate_image_review
from ..store import Action
from ._base import STATIC
from ._labels import LabelReview
from ._options import ReviewOptions, resolve_options

#: The keys of a grid's tiles, in tile order (row by row); a grid has at most this many.
TILE_KEYS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-", "=")


class ImageReview(LabelReview[ImageReviewItems]):
    """Review a model's labels on a DataFrame of images, in the notebook, from the keyboard.

    >>> review = ImageReview(df, image="path", labels=["cat", "dog"])   # doctest: +SKIP
    >>> review                                                          # doctest: +SKIP

    ``layout="single"`` (default) shows one image at a time, with the keys of
    `ClassificationReview`: Enter / A accept the model's label, 1-9 correct to label n,
    F flag (with a note), S skip, Z undo, arrows move, G guideline, ? every key.

    ``layout="grid"`` shows a page of tiles (``grid=(rows, cols)``, at most 12) of
    images the model gave the same label (the queue is grouped by predicted label).
    Each tile carries its key (1-9, 0, -, =, row by row): the key, or a click, marks
    the tile wrong (again: not wrong). Enter stores one decision per tile, ``accept``
    for the unmarked tiles and ``flag`` (``data={"layout": "grid", "wrong": True}``)
    for the marked ones, and shows the next page; S skips the page, Z undoes the last
    page, arrows move a page. The right label of a flagged tile is chosen afterwards
    in the single layout, on those rows with ``revisit=True``::

        d = grid.decisions()
        wrong = set(d.loc[d["status"] == "flagged", "item_id"])
        fix = ImageReview(df[df.index.astype(str).isin(wrong)], labels=..., revisit=True)

    From Python (scripted or simulated review): `accept()`, `correct(label)`, `flag()`,
    `skip()`, `undo()` act on the current image; `page()` is the grid page from it and
    `accept_page(wrong=[...])` decides that page as Enter does.

    Images are sent to the browser as binary buffers of the widget's messages (never
    inside JSON), a page at a time, the next pages prefetched and decoded before they
    are shown; an image longer than ``max_side`` pixels is sent as a preview. The EXIF
    orientation is not applied (``image-orientation: none``): pixels stay where a box's
    coordinates put them.

    Parameters
    ----------
    df:
        One row per image. Not copied: only the rows the browser asks for are sent.
    image:
        Column with the images: file paths, encoded bytes, PIL images or numpy arrays
        (`hitl_widgets.items.load_image`), each checked once before the review opens.
    labels:
        The label set; keys 1-9 correct to the first nine (single layout).
    pred, confidence, proba, id, reasons, fields, show_model:
        As for `ClassificationReview` (the model's label, its confidence or one
        probability per label, item ids, routing reasons, columns shown beside the image).
    layout:
        ``"single"`` or ``"grid"`` (needs the model's label: ``pred`` or ``proba``).
    grid:
        ``(rows, cols)`` of a grid page (default 3 x 4; at most 12 tiles).
    max_side:
        Longest side, in pixels, of an image as sent (default 2048).
    **options:
        Every review's options (`ReviewOptions`); ``task`` defaults to ``"image"``,
        ``prefetch`` to 8 (single) or two pages (grid).
    """

    _esm = STATIC / "image.js"
    _css = STATIC / "image.css"

    def __init__(
        self,
        df: Any,
        image: Hashable = "image",
        labels: Sequence[Any] | None = None,
        pred: Hashable | None = "pred",
        confidence: Hashable | None = "confidence",
        proba: Any = None,
        id: Hashable | None = None,
        *,
        layout: Literal["single", "grid"] = "single",
        grid: tuple[int, int] = (3, 4),
        max_side: int = MAX_SIDE,
        reasons: Hashable | None = None,
        fields: Sequence[Hashable] | None = None,
        show_model: bool = True,
        **options: Unpack[ReviewOptions],
    ) -> None:
        if layout not in ("single", "grid"):
            raise ValueError(f"layout must be 'single' or 'grid', got {layout!r}")
        tiles = _grid_tiles(grid)
        opts = resolve_options(dict(options), task="image", prefetch=8 if layout == "single" else 2 * tiles)
        if layout == "grid":
            if opts.blind or not show_model:
                raise ValueError("layout='grid' shows the model's label of each page: it cannot be blind")
            if opts.overlap is not None:
                raise ValueError(
                    "layout='grid' groups this session's queue by predicted label; with overlap "
                    "the queue is claimed an entry at a time: use layout='single'"
                )
        items = validate_image_review(
            df,
            image=image,
            labels=labels,
            pred=pred,
            confidence=confidence,
            proba=proba,
            id=id,
            reasons=reasons,
            fields=fields,
            max_side=max_side,
        )
        if layout == "grid" and items.pred is None:
            raise ValueError("layout='grid' needs the model's label of every row: give pred or proba")
        self._tiles = tiles
        self._tiles_grid = layout == "grid"
        cfg: dict[str, Any] = {"show_model": bool(show_model), "layout": layout}
        if layout == "grid":
            cfg.update(grid=[int(grid[0]), int(grid[1])], tile_keys=list(TILE_KEYS[:tiles]), page_size=tiles)
        else:
            cfg["page_size"] = 4  # images are heavy: small pages, prefetched ahead
        # entries (with their bytes) the browser keeps either side of the cursor: a few
        # pages, not the default thousand (that many images would fill its memory)
        cfg["window"] = max(32, 2 * opts.prefetch)
        self._start(df, items, opts, cfg)

    def _queue_groups(self, items: Any) -> np.ndarray | None:
        # a grid shows one predicted label per page: the queue grouped by it
        return items.pred if self._tiles_grid else None

    # -- the kernel's side of a decision ------------------------------------------
    def _item_buffers(self, items: list[dict[str, Any]]) -> list[bytes]:
        return image_buffers(self._items, self._served, items)

    def _full_image(self, pos: int) -> ImageData:
        return self._items.images[pos]  # a ValueError when the image changed since validation

    def _gold_text(self, pos: int) -> str:
        name = self._items.name(pos)
        return f"image {name}" if name else f"image {self._items.item_id(pos)}"

    # -- Python actions (accept and correct: LabelReview) ----------------------
    def page(self) -> list[dict[str, Any]]:
        """The grid page the Python actions act on: from the current entry, the next
        entries of the same predicted label (at most one page of tiles)."""
        first = self._current_qi()
        if first is None:
            return []
        label = self._items.model_label(self._queue.position(first))
        out: list[dict[str, Any]] = []
        qi = first
        while qi < len(self._queue) and len(out) < self._tiles:
            if qi in self._done_here or qi in self._skipped_here:
                qi += 1
                continue
            if self._items.model_label(self._queue.position(qi)) != label:
                break
            item = self._public_payload(self._queue.position(qi))
            item["qi"] = qi
            out.append(item)
            qi += 1
        return out

    def accept_page(self, wrong: Sequence[int] = (), *, duration_ms: float | None = None) -> None:
        """Grid Enter from Python: flag the tiles numbered in `wrong` (0-based, in tile
        order) as wrong and accept the rest of the current page, one decision per tile."""
        tiles = self.page()
        if not tiles:
            raise IndexError("the review queue is empty: every item has been handled")
        bad = sorted(set(wrong))
        if any(not isinstance(t, int) or not 0 <= t < len(tiles) for t in bad):
            raise ValueError(f"wrong: tile numbers must lie in [0, {len(tiles)}), got {list(wrong)!r}")
        for t, item in enumerate(tiles):
            if t in bad:
                self._decide_at(
                    item["qi"], Action.FLAG, data={"layout": "grid", "wrong": True}, duration_ms=duration_ms
                )
            else:
                self._decide_at(item["qi"], Action.ACCEPT, data={"layout": "grid"}, duration_ms=duration_ms)


class _ShownImages(Protocol):
    def shown_image(self, pos: int) -> ImageData: ...

    def image_sha(self, pos: int) -> str: ...


def image_buffers(items: _ShownImages, served: dict[str, int], page: list[dict[str, Any]]) -> list[bytes]:
    """Each item's image (or its preview) as a buffer of the page: the item names it in
    `buffers` and describes it in `image`, whose `key` is the image's SHA-256 (a file
    changed or gone since validation: `image` None and `image_error` the reason).

    Why one buffer per image and not per item: the parts of a crowded image split into
    small tasks are entries of their own, and sending (and previewing) the same image
    once per part multiplied the bytes of a page; the browser keys its decoded picture
    and its full-resolution original by `key` too, so a part never fetches them again."""
    buffers: list[bytes] = []
    done: dict[str, tuple[int, dict[str, Any]] | str] = {}  # sha -> (buffer, meta) or the error
    for item in page:
        pos = served.get(item["item_id"])
        if pos is None:
            continue
        sha = items.image_sha(pos)
        if sha not in done:
            try:
                shown = items.shown_image(pos)
            except ValueError as exc:
                done[sha] = str(exc)
            else:
                meta = {
                    "mime": shown.mime,
                    "width": shown.width,
                    "height": shown.height,
                    "scale": shown.scale,
                    "bytes": len(shown.data),
                    "key": sha,
                }
                done[sha] = (len(buffers), meta)
                buffers.append(shown.data)
        got = done[sha]
        if isinstance(got, str):
            item["image"] = None
            item["image_error"] = got
            continue
        item["buffers"] = [got[0]]
        item["image"] = dict(got[1])
    return buffers


def _grid_tiles(grid: Any) -> int:
    """Tiles of a grid page: ``(rows, cols)`` of positive ints, at most 12 tiles."""
    ok = (
        isinstance(grid, (tuple, list))
        and len(grid) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in grid)
    )
    if not ok or grid[0] * grid[1] > len(TILE_KEYS):
        raise ValueError(
            f"grid must be (rows, cols) of positive integers with at most {len(TILE_KEYS)} tiles "
            f"(one key each: {' '.join(TILE_KEYS)}), got {grid!r}"
        )
    return int(grid[0] * grid[1])
