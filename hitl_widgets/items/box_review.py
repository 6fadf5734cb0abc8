"""Box review items: one image per row with the model's boxes, each image one review
entry, or several small ones when the model proposes more boxes than a person checks at
a glance (`items.box.split_tasks`: one label at a time, or tiles).

An entry's id is the image's id when the image is one task, else the task's id
(``"<image id>#label=car"``, ``"<image id>#tile=1:0,1"``); its content version hashes
the image's bytes and the model boxes it shows, so new model boxes make a new version.
Validation (labels, ids, images, boxes) runs before any store is opened: bad input
writes nothing.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from ._common import (
    canonical_texts,
    hash_parts,
    require_column,
    require_frame,
    show_value,
    validate_ids,
    validate_labels,
)
from .box import TOLERANCE, BoxFormat, Task, split_tasks, validate_boxes
from .image import ImageData, ImageItems, preview, validate_images
from .image_review import MAX_SIDE

#: Most boxes a person's result may hold for one entry, and operations kept per decision.
MAX_RESULT_BOXES = 10_000
MAX_OPS = 5_000
#: Most context boxes (the image's other tasks' boxes) sent with an entry.
MAX_CONTEXT = 2_000
_OPS = frozenset({"select", "move", "resize", "relabel", "delete", "add", "redraw", "undo"})


def _coords(b: Mapping[str, Any]) -> list[float]:
    return [float(b["x1"]), float(b["y1"]), float(b["x2"]), float(b["y2"])]


@dataclass
class BoxReviewItems:
    """Validated box review entries over a user's frame (no copy of it)."""

    df: pd.DataFrame
    image_ids: pd.Index  # one per row, canonical text
    images: ImageItems
    labels: list[str]
    boxes: list[list[dict[str, Any]]]  # canonical model boxes per row
    entries: list[Task]  # the review entries, in row order
    rows: np.ndarray  # the row of each entry
    fields: list[tuple[str, pd.Series]] = field(default_factory=list)
    max_side: int = MAX_SIDE
    show_scores: bool = True
    _entry_ids: pd.Index | None = field(default=None, repr=False)

    kind: ClassVar[str] = "box"

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def entry_ids(self) -> pd.Index:
        if self._entry_ids is None:
            self._entry_ids = pd.Index([t.task_id for t in self.entries], dtype=object)
        return self._entry_ids

    def item_id(self, pos: int) -> str:
        return self.entries[pos].task_id

    def positions_of(self, item_ids: Sequence[str]) -> np.ndarray:
        return np.asarray(self.entry_ids.get_indexer(pd.Index(list(item_ids), dtype=object)))

    def row(self, pos: int) -> int:
        return int(self.rows[pos])

    def image_id(self, pos: int) -> str:
        return str(self.image_ids[self.row(pos)])

    def model_boxes(self, pos: int) -> list[dict[str, Any]]:
        """The model's boxes entry `pos` shows (canonical, with ids), in row order."""
        wanted = set(self.entries[pos].box_ids)
        return [dict(b) for b in self.boxes[self.row(pos)] if b["id"] in wanted]

    def context_boxes(self, pos: int) -> list[dict[str, Any]]:
        """The image's other model boxes (other entries'), shown faint."""
        wanted = set(self.entries[pos].box_ids)
        out = [b for b in self.boxes[self.row(pos)] if b["id"] not in wanted]
        return [{k: b[k] for k in ("x1", "y1", "x2", "y2", "label")} for b in out[:MAX_CONTEXT]]

    def hash(self, pos: int) -> str:
        shown = [[b["id"], *_coords(b), b["label"]] for b in self.model_boxes(pos)]
        return hash_parts(self.images.sha256[self.row(pos)], json.dumps(shown, separators=(",", ":")))

    def name(self, pos: int) -> str | None:
        src = self.images.source.iat[self.row(pos)]
        return Path(src).name if isinstance(src, (str, os.PathLike)) else None

    def size(self, pos: int) -> tuple[int, int]:
        r = self.row(pos)
        return int(self.images.widths[r]), int(self.images.heights[r])

    def image_sha(self, pos: int) -> str:
        """The SHA-256 of entry `pos`'s image (every part of a split image shares it)."""
        return str(self.images.sha256[self.row(pos)])

    def shown_image(self, pos: int) -> ImageData:
        return preview(self.images[self.row(pos)], self.max_side)

    def task_info(self, pos: int) -> dict[str, Any]:
        """The entry's part of its image: label, region, part k of n."""
        t = self.entries[pos]
        same = [e for e in self.entries if e.item_id == t.item_id] if self._split_image(pos) else [t]
        return {
            "label": t.label,
            "region": list(t.region) if t.region is not None else None,
            "part": same.index(t) + 1,
            "parts": len(same),
        }

    def _split_image(self, pos: int) -> bool:
        return self.entries[pos].task_id != self.entries[pos].item_id

    def payload(self, pos: int) -> dict[str, Any]:
        w, h = self.size(pos)
        r = self.row(pos)
        return {
            "item_id": self.item_id(pos),
            "content_hash": self.hash(pos),
            "image_id": self.image_id(pos),
            "name": self.name(pos),
            "width": w,
            "height": h,
            "boxes": [
                {
                    **{k: b[k] for k in ("id", "x1", "y1", "x2", "y2", "label")},
                    "score": b.get("score") if self.show_scores else None,
                }
                for b in self.model_boxes(pos)
            ],
            "context": self.context_boxes(pos),
            "task": self.task_info(pos),
            "fields": [[name, show_value(s.iat[r])] for name, s in self.fields],
        }

    # -- what a person sends back ------------------------------------------------
    def check_result(
        self, boxes: Any, pos: int | None, *, strict_labels: bool = True
    ) -> list[dict[str, Any]]:
        """A person's boxes for entry `pos` (pos None: an entry this frame no longer
        holds), checked and returned canonical (clipped into the image within the
        0.5 px tolerance, rounded to 1/100 px). Raises ValueError saying what is wrong."""
        if isinstance(boxes, (str, bytes)) or not isinstance(boxes, Sequence):
            raise ValueError(f"boxes must be a list of box dicts, got {type(boxes).__name__}")
        if len(boxes) > MAX_RESULT_BOXES:
            raise ValueError(f"boxes: {len(boxes)} boxes, more than {MAX_RESULT_BOXES}")
        w, h = (math.inf, math.inf) if pos is None else self.size(pos)
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for k, b in enumerate(boxes):
            where = f"boxes[{k}]"
            if not isinstance(b, Mapping):
                raise ValueError(f"{where} is a {type(b).__name__}, not a box dict")
            c = [b.get(key) for key in ("x1", "y1", "x2", "y2")]
            if not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in c
            ):
                raise ValueError(f"{where}: x1, y1, x2, y2 must be finite numbers, got {c!r:.200}")
            x1, y1, x2, y2 = (float(v) for v in c)  # type: ignore[arg-type]
            if not (x2 > x1 and y2 > y1):
                raise ValueError(f"{where}: zero or negative width or height {[x1, y1, x2, y2]}")
            if x1 < -TOLERANCE or y1 < -TOLERANCE or x2 > w + TOLERANCE or y2 > h + TOLERANCE:
                raise ValueError(f"{where}: {[x1, y1, x2, y2]} lies outside the {w:g} x {h:g} image")
            x1, y1, x2, y2 = max(x1, 0.0), max(y1, 0.0), min(x2, w), min(y2, h)
            label = b.get("label")
            if not isinstance(label, str) or not label:
                raise ValueError(f"{where}: 'label' must be a non-empty str, got {label!r:.100}")
            if strict_labels and label not in self.labels:
                raise ValueError(f"{where}: label {label!r:.100} is not one of {self.labels!r:.300}")
            bid = b.get("id")
            if not isinstance(bid, str) or not bid or len(bid) > 200:
                raise ValueError(f"{where}: 'id' must be a non-empty str of at most 200 characters")
            if bid in seen:
                raise ValueError(f"{where}: box id {bid!r:.100} appears twice")
            seen.add(bid)
            out.append(
                {
                    "id": bid,
                    "x1": round(x1, 2),
                    "y1": round(y1, 2),
                    "x2": round(x2, 2),
                    "y2": round(y2, 2),
                    "label": label,
                }
            )
        return out


def clean_ops(ops: Any) -> tuple[list[dict[str, Any]], bool]:
    """The browser's operation log, kept as data: known ops with their fields checked,
    at most `MAX_OPS` (the second value says whether some were cut)."""
    if ops is None:
        return [], False
    if isinstance(ops, (str, bytes)) or not isinstance(ops, Sequence):
        raise ValueError(f"ops must be a list, got {type(ops).__name__}")
    out: list[dict[str, Any]] = []
    for k, op in enumerate(ops[:MAX_OPS]):
        if not isinstance(op, Mapping) or op.get("op") not in _OPS:
            raise ValueError(f"ops[{k}]: not an operation ({sorted(_OPS)})")
        t = op.get("t_ms")
        if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t) or t < 0:
            raise ValueError(f"ops[{k}]: t_ms must be a non-negative number")
        clean: dict[str, Any] = {"op": op["op"], "id": str(op.get("id", ""))[:200], "t_ms": float(t)}
        if op.get("via") in ("key", "mouse"):
            clean["via"] = op["via"]
        for key in ("before", "after"):
            v: Any = op.get(key)
            ok = isinstance(v, Sequence) and not isinstance(v, (str, bytes)) and len(v) == 4
            if ok and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v
            ):
                clean[key] = [float(x) for x in v]
        for key in ("label_before", "label_after"):
            if isinstance(op.get(key), str):
                clean[key] = op[key][:1000]
        out.append(clean)
    return out, len(ops) > MAX_OPS


def clean_box_ms(box_ms: Any) -> dict[str, float]:
    """Milliseconds per box id (each a non-negative finite number)."""
    if box_ms is None:
        return {}
    if not isinstance(box_ms, Mapping):
        raise ValueError(f"box_ms must be a dict of box id -> ms, got {type(box_ms).__name__}")
    out: dict[str, float] = {}
    for k, v in list(box_ms.items())[:MAX_RESULT_BOXES]:
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
            raise ValueError(f"box_ms[{str(k)[:100]!r}] must be a non-negative number")
        out[str(k)[:200]] = float(v)
    return out


def validate_box_review(
    df: Any,
    *,
    image: Hashable = "image",
    boxes: Hashable = "boxes",
    labels: Sequence[Any] | None = None,
    box_format: BoxFormat = "xyxy",
    box_labels: Hashable | None = None,
    scores: bool | Hashable = True,
    categories: Mapping[Any, Any] | None = None,
    id: Hashable | None = None,
    max_boxes: int | None = None,
    split_by: Literal["label", "tile"] = "label",
    fields: Sequence[Hashable] | None = None,
    max_side: int = MAX_SIDE,
) -> BoxReviewItems:
    """Check a frame for box review; raise ValueError naming the argument or column and
    the first offending rows. `scores`: True (the scores in the box dicts, if any), False
    (none shown), or a column with one list of scores per row."""
    df = require_frame(df)
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 1:
        raise ValueError(f"max_side must be a positive int, got {max_side!r}")
    if max_boxes is not None and (
        isinstance(max_boxes, bool) or not isinstance(max_boxes, int) or max_boxes < 1
    ):
        raise ValueError(f"max_boxes must be None or a positive int, got {max_boxes!r}")
    if split_by not in ("label", "tile"):
        raise ValueError(f"split_by must be 'label' or 'tile', got {split_by!r}")
    label_list = validate_labels(labels)
    ids = validate_ids(df, id)
    require_column(df, image, "image")
    require_column(df, boxes, "boxes")
    score_col = None if isinstance(scores, bool) else scores
    field_cols = [(str(f), require_column(df, f, "fields")) for f in (fields or [])]
    imgs = validate_images(df, image)  # reads every image once
    row_boxes = validate_boxes(
        df,
        boxes=boxes,
        box_format=box_format,
        labels=label_list,
        widths=imgs.widths,
        heights=imgs.heights,
        labels_column=box_labels,
        scores_column=score_col,
        categories=categories,
    )
    image_ids = canonical_texts(ids)
    entries: list[Task] = []
    rows: list[int] = []
    for r, bxs in enumerate(row_boxes):
        iid = str(image_ids[r])
        if max_boxes is None or len(bxs) <= max_boxes:
            entries.append(Task(iid, iid, tuple(b["id"] for b in bxs)))
            rows.append(r)
            continue
        for t in split_tasks(
            iid,
            bxs,
            max_boxes=max_boxes,
            by=split_by,
            width=float(imgs.widths[r]),
            height=float(imgs.heights[r]),
        ):
            entries.append(t)
            rows.append(r)
    taken = pd.Index([t.task_id for t in entries], dtype=object)
    if taken.has_duplicates:  # an image id that looks like another image's task id
        dup = taken[taken.duplicated()][:5].tolist()
        raise ValueError(f"id: image ids collide with the task ids of split images: {dup!r:.300}")
    return BoxReviewItems(
        df,
        image_ids,
        imgs,
        label_list,
        row_boxes,
        entries,
        np.asarray(rows, dtype=np.int64),
        field_cols,
        max_side,
        scores is not False,
    )
