"""Bounding boxes: the formats models write them in, their validation against the
images, and the split of a crowded image into small review tasks (and back).

The canonical box, used across the package, is a dict::

    {"x1": float, "y1": float, "x2": float, "y2": float, "label": str,
     "score": float | None, "id": str}

in original-image pixels (top-left origin, x2 > x1, y2 > y1, inside [0, width] x
[0, height]); a row's boxes are a list of them. Every input error names the argument or
column and the first rows, and is raised before anything is written; labels and ids are
data, shown with `repr` in messages, never evaluated or parsed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import numpy as np
import pandas as pd

from ._common import canonical, require_column, require_frame, rows_named, validate_labels
from .image import RowProblems, is_missing

BOX_FORMATS = ("xyxy", "xywh", "cxcywh", "coco", "yolo")
BoxFormat = Literal["xyxy", "xywh", "cxcywh", "coco", "yolo"]
#: How far (in pixels) a box may reach outside its image and be clipped back in: the
#: rounding of a model's or a resize's coordinates, not a box in the wrong place.
TOLERANCE = 0.5
_PIXEL_FORMATS = ("xyxy", "xywh", "cxcywh")

# The kinds of problem, each one line of validate_boxes' message.
MISSING = "missing values (give [] for an image without boxes)"
NOT_LIST = "values that are not a list of boxes"
BAD_BOX = "boxes that are not 4 finite numbers"
NO_BBOX = "COCO boxes without a 'bbox' key"
NOT_COCO = "dicts without a 'box' key"
BAD_LENGTH = "lists whose length differs from the number of boxes"
TWICE = "labels or scores given both in the box dicts and in a column"
BAD_SIZE = "boxes with zero or negative width or height"
OUTSIDE = "boxes outside the image (beyond the 0.5 px tolerance)"
NO_LABEL = "boxes without a label"
UNKNOWN_LABEL = "unknown labels"
BAD_SCORE = "scores that are not numbers in [0, 1]"
DUP_ID = "repeated box ids"


def _short(value: Any, limit: int = 80) -> str:
    """`repr` of a value for a message, cut short (hostile text stays literal)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


# -- conversions (vectorised over an (n, 4) array) ----------------------------------------


def _to_xyxy(a: np.ndarray, fmt: str, width: Any, height: Any) -> np.ndarray:
    """Pixel corners from `fmt` coordinates; width/height are scalars or per box."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    if fmt == "yolo":
        a = a * np.stack(np.broadcast_arrays(width, height, width, height), axis=-1)
    p, q, r, s = a.T
    if fmt == "xyxy":
        return a.copy()
    if fmt in ("xywh", "coco"):
        return np.stack([p, q, p + r, q + s], axis=1)
    return np.stack([p - r / 2, q - s / 2, p + r / 2, q + s / 2], axis=1)  # cxcywh, yolo


def _from_xyxy(b: np.ndarray, fmt: str, width: float, height: float) -> np.ndarray:
    x1, y1, x2, y2 = b.reshape(-1, 4).T
    if fmt == "xyxy":
        return b.reshape(-1, 4).copy()
    if fmt in ("xywh", "coco"):
        return np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
    out = np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=1)
    return out / np.array([width, height, width, height]) if fmt == "yolo" else out


def _valid(xyxy: np.ndarray, width: Any, height: Any) -> np.ndarray:
    """Boxes with a positive size inside their image (within the tolerance)."""
    x1, y1, x2, y2 = xyxy.T
    t = TOLERANCE
    ok: np.ndarray = (x2 > x1) & (y2 > y1) & (x1 >= -t) & (y1 >= -t) & (x2 <= width + t) & (y2 <= height + t)
    return ok


# -- one row ------------------------------------------------------------------------------


class _Problem(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass
class _Raw:
    """A row's boxes as given: coordinates in the box format, labels, scores and ids
    (None where not given)."""

    coords: np.ndarray  # (n, 4) float64
    labels: list[Any]
    scores: list[Any]
    ids: list[Any]
    from_column: set[str] = field(default_factory=set)  # "labels", "scores": from a column


def _four(v: Any, k: int) -> list[float]:
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if (
        not isinstance(v, (list, tuple))
        or len(v) != 4
        or not all(_is_number(c) and math.isfinite(c) for c in v)
    ):
        raise _Problem(BAD_BOX, f"box {k} is {_short(v)}")
    return [float(c) for c in v]


def _category(d: Mapping[str, Any], categories: Mapping[Any, Any] | None) -> Any:
    """A COCO annotation's label: its 'label', else its 'category_id' (through
    `categories`, id -> name, when given)."""
    if "label" in d:
        return d["label"]
    cat = d.get("category_id")
    if cat is None or categories is None:
        return cat
    if cat not in categories:
        raise _Problem(UNKNOWN_LABEL, f"category_id {_short(cat)} is not in categories")
    return categories[cat]


def _parse_row(value: Any, fmt: str, categories: Mapping[Any, Any] | None) -> _Raw:
    """The structure of a row's boxes; raises `_Problem` for the first thing wrong."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        if value.size == 0:
            return _Raw(np.zeros((0, 4)), [], [], [])
        if value.ndim == 2 and value.shape[1] == 4 and np.issubdtype(value.dtype, np.number):
            coords = value.astype(np.float64)
            bad = ~np.isfinite(coords).all(axis=1)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise _Problem(BAD_BOX, f"box {k} is {_short(value[k].tolist())}")
            n = len(coords)
            return _Raw(coords, [None] * n, [None] * n, [None] * n)
        raise _Problem(NOT_LIST, f"an array of shape {value.shape} and dtype {value.dtype} (need (n, 4))")
    if isinstance(value, np.ndarray):
        value = list(value)
    if is_missing(value):
        raise _Problem(MISSING, repr(value))
    if isinstance(value, str):
        raise _Problem(NOT_LIST, f"a str {_short(value, 40)} (text is not parsed: json.loads it first)")
    if not isinstance(value, (list, tuple)):
        raise _Problem(NOT_LIST, f"a {type(value).__name__}")
    if len(value) == 4 and all(_is_number(v) for v in value):
        raise _Problem(NOT_LIST, f"one box {_short(value)}, not a list of boxes (wrap it: [[...]])")
    rows: list[list[float]] = []
    labels: list[Any] = []
    scores: list[Any] = []
    ids: list[Any] = []
    for k, b in enumerate(value):
        if isinstance(b, Mapping):
            key = "bbox" if fmt == "coco" else "box"
            if key not in b:
                keys = [str(x) for x in list(b)[:8]]
                if fmt == "coco":
                    hint = ": these look like box_format='xyxy' ('box') dicts" if "box" in b else ""
                    raise _Problem(NO_BBOX, f"box {k} has keys {keys!r}{hint}")
                hint = ": these look like COCO annotations (box_format='coco')" if "bbox" in b else ""
                raise _Problem(NOT_COCO, f"box {k} has keys {keys!r}{hint}")
            rows.append(_four(b[key], k))
            labels.append(_category(b, categories) if fmt == "coco" else b.get("label"))
            scores.append(b.get("score"))
            ids.append(b.get("id"))
        elif fmt == "coco":
            raise _Problem(NO_BBOX, f"box {k} is {_short(b)}, not a dict with a 'bbox' key")
        else:
            rows.append(_four(b, k))
            labels.append(None)
            scores.append(None)
            ids.append(None)
    return _Raw(np.array(rows, dtype=np.float64).reshape(-1, 4), labels, scores, ids)


def _attach(raw: _Raw, values: Any, what: str) -> None:
    """Per-box labels or scores from a column's cell into `raw` (what: 'labels'/'scores')."""
    n = len(raw.coords)
    if is_missing(values) and n == 0:
        return
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if not isinstance(values, (list, tuple)):
        raise _Problem(BAD_LENGTH, f"a {type(values).__name__} for {n} boxes (need a list of {what})")
    if len(values) != n:
        raise _Problem(BAD_LENGTH, f"{len(values)} {what} for {n} boxes")
    given = raw.labels if what == "labels" else raw.scores
    if any(v is not None for v in given):
        raise _Problem(TWICE, f"the box dicts have {what} too")
    given[:] = list(values)
    raw.from_column.add(what)


def _finish(
    raw: _Raw, fmt: str, width: float, height: float, allowed: list[str] | None
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Canonical boxes from a parsed row, and its problems as (kind, detail)."""
    problems: list[tuple[str, str]] = []
    xyxy = _to_xyxy(raw.coords, fmt, width, height)
    t = TOLERANCE
    for k, (x1, y1, x2, y2) in enumerate(xyxy):
        given = [round(float(c), 6) for c in raw.coords[k]]
        if not (x2 > x1 and y2 > y1):
            problems.append((BAD_SIZE, f"box {k} is {given} ({fmt})"))
        elif (
            x1 < -t
            or y1 < -t
            or x2 > width + t
            or y2 > height + t
            or x1 >= width
            or y1 >= height
            or x2 <= 0
            or y2 <= 0
        ):
            problems.append((OUTSIDE, f"box {k} is {given} ({fmt}) on a {width:g} x {height:g} image"))
    xyxy = np.clip(xyxy, 0.0, [width, height, width, height])
    labels: list[str] = []
    for k, lab in enumerate(raw.labels):
        text = canonical(lab)
        if text is None and allowed is not None and len(allowed) == 1:
            text = allowed[0]  # a one-class detector need not repeat its class
        if text is None:
            problems.append((NO_LABEL, f"box {k} (give 'label' in the box dicts or labels_column=)"))
        elif allowed is not None and text not in allowed:
            shown = allowed if len(allowed) <= 20 else [*allowed[:20], "…"]
            problems.append((UNKNOWN_LABEL, f"box {k} has label {_short(text)}; labels are {shown!r}"))
        labels.append(text or "")
    scores: list[float | None] = []
    for k, sc in enumerate(raw.scores):
        if is_missing(sc):
            scores.append(None)
        elif not _is_number(sc) or not 0.0 <= float(sc) <= 1.0:
            problems.append((BAD_SCORE, f"box {k} has score {_short(sc)}"))
        else:
            scores.append(float(sc))
    ids = [f"b{k}" if is_missing(i) else str(canonical(i)) for k, i in enumerate(raw.ids)]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        problems.append((DUP_ID, f"ids {_short(dup)}"))
    if problems:
        return [], problems
    boxes = [
        {"x1": float(a), "y1": float(b), "x2": float(c), "y2": float(d), "label": lab, "score": sc, "id": i}
        for (a, b, c, d), lab, sc, i in zip(xyxy, labels, scores, ids, strict=True)
    ]
    return boxes, []


def _format_hint(coords: np.ndarray, fmt: str, w: np.ndarray, h: np.ndarray) -> tuple[str, np.ndarray] | None:
    """When most boxes make no sense in `fmt` but do in another format, say which (a
    wrong box format otherwise shows up as a wall of 'outside the image' errors).
    Returns the message and the boxes that make no sense, or None."""
    if len(coords) == 0:
        return None
    if fmt == "yolo":
        over = np.asarray((coords > 1.0 + 1e-9).any(axis=1))
        if over.mean() > 0.5:
            return (
                "box_format='yolo' but most boxes have values above 1: these look like pixel "
                "boxes (box_format='xyxy', 'xywh' or 'cxcywh')",
                over,
            )
        return None
    if fmt not in _PIXEL_FORMATS:  # coco: its bbox is [x, y, w, h] by definition
        return None
    # every box in the top-left pixel and smaller than it: these are not pixels
    xyxy = _to_xyxy(coords, fmt, w, h)
    tiny = (np.abs(coords) <= 1.0).all() and (
        (xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1]) < 0.99
    ).all()
    if tiny and (np.maximum(w, h) > 2).all():
        return (
            f"box_format={fmt!r} but every value is within [0, 1]: these look like "
            "normalised boxes (box_format='yolo')",
            np.ones(len(coords), dtype=bool),
        )
    bad = ~_valid(xyxy, w, h)
    if bad.mean() <= 0.5:
        return None
    fits: dict[str, float] = {
        f: _valid(_to_xyxy(coords, f, w, h), w, h).mean() for f in _PIXEL_FORMATS if f != fmt
    }
    best = max(fits, key=lambda f: fits[f])
    if fits[best] <= 0.5:
        return None
    return (
        f"box_format={fmt!r} but most boxes are not {fmt} boxes inside their image "
        f"(zero or negative size, or outside it): these look like {best} boxes (box_format={best!r})",
        bad,
    )


def _check_format(box_format: Any) -> str:
    if box_format not in BOX_FORMATS:
        raise ValueError(f"box_format must be one of {BOX_FORMATS!r}, got {_short(box_format)}")
    return str(box_format)


def _check_size(width: Any, height: Any) -> tuple[float, float]:
    if not (_is_number(width) and _is_number(height) and 0 < width < math.inf and 0 < height < math.inf):
        raise ValueError(f"width and height must be positive numbers, got {width!r} and {height!r}")
    return float(width), float(height)


def to_canonical(
    boxes_row: Any,
    box_format: BoxFormat,
    width: float,
    height: float,
    *,
    labels: Sequence[Any] | None = None,
    box_labels: Sequence[Any] | None = None,
    box_scores: Sequence[Any] | None = None,
    categories: Mapping[Any, Any] | None = None,
) -> list[dict[str, Any]]:
    """One image's boxes in canonical form (see the module's docstring).

    `boxes_row`: a list of 4-number sequences, an (n, 4) array, or a list of dicts
    ``{"box": [...], "label": ..., "score": ..., "id": ...}`` (for ``"coco"``: dicts
    with ``"bbox"`` and ``"label"`` or ``"category_id"``, mapped through `categories`
    when given). `labels`: the allowed labels (None: any). `box_labels`, `box_scores`:
    one per box, when they are not in the dicts. Raises ValueError.
    """
    fmt = _check_format(box_format)
    w, h = _check_size(width, height)
    allowed = None if labels is None else validate_labels(labels)
    try:
        raw = _parse_row(boxes_row, fmt, categories)
        if box_labels is not None:
            _attach(raw, box_labels, "labels")
        if box_scores is not None:
            _attach(raw, box_scores, "scores")
    except _Problem as p:
        raise ValueError(f"boxes: {p.kind}: {p.detail}") from None
    n = len(raw.coords)
    hint = _format_hint(raw.coords, fmt, np.full(n, w), np.full(n, h))
    if hint is not None:
        raise ValueError(f"boxes: {hint[0]}")
    boxes, problems = _finish(raw, fmt, w, h, allowed)
    if problems:
        raise ValueError("\n".join(f"boxes: {kind}: {detail}" for kind, detail in problems))
    return boxes


def from_canonical(
    boxes: Sequence[Mapping[str, Any]], box_format: BoxFormat, width: float, height: float
) -> list[dict[str, Any]]:
    """Canonical boxes in `box_format`, as dicts `to_canonical` reads back:
    ``{"box": [...], "label", "score"}`` (``"bbox"`` for ``"coco"``), with ``"id"``
    when the box has one."""
    fmt = _check_format(box_format)
    w, h = _check_size(width, height)
    xyxy = np.array([[b["x1"], b["y1"], b["x2"], b["y2"]] for b in boxes], dtype=np.float64).reshape(-1, 4)
    key = "bbox" if fmt == "coco" else "box"
    out = []
    for b, c in zip(boxes, _from_xyxy(xyxy, fmt, w, h), strict=True):
        d: dict[str, Any] = {key: [float(v) for v in c], "label": b["label"], "score": b.get("score")}
        if "id" in b:
            d["id"] = b["id"]
        out.append(d)
    return out


def _sizes(df: pd.DataFrame, value: Any, argument: str) -> np.ndarray:
    """Image widths or heights per row: a column of `df`, one number for every row, or
    an array of one per row (e.g. `ImageItems.widths`)."""
    if _is_number(value):
        arr = np.full(len(df), float(value))
    elif not isinstance(value, (pd.Series, pd.Index, np.ndarray, list, tuple)):
        arr = require_column(df, value, argument).to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            arr = np.asarray(value, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise ValueError(f"{argument}: not numbers") from None
        if len(arr) != len(df):
            raise ValueError(f"{argument}: {len(arr)} values for {len(df)} rows")
    bad = ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        raise ValueError(
            f"{argument}: missing or non-positive image sizes in rows {rows_named(bad, df.index)}"
        )
    return arr


def validate_boxes(
    df: Any,
    *,
    boxes: Hashable = "boxes",
    box_format: BoxFormat,
    labels: Sequence[Any],
    widths: Any,
    heights: Any,
    labels_column: Hashable | None = None,
    scores_column: Hashable | None = None,
    categories: Mapping[Any, Any] | None = None,
) -> list[list[dict[str, Any]]]:
    """Every row's boxes in canonical form (see `to_canonical` for what a row may hold).

    `labels`: the allowed labels (a box without one gets the only label when there is
    one). `widths`, `heights`: each a column name, one number, or one number per row.
    `labels_column`, `scores_column`: columns holding one list per row, one entry per
    box. Boxes up to 0.5 px outside their image are clipped into it. Boxes without an
    id get ``"b0"``, ``"b1"``, ... in row order. Raises one ValueError listing every
    kind of problem with its first rows.
    """
    df = require_frame(df)
    fmt = _check_format(box_format)
    allowed = validate_labels(labels)
    col = require_column(df, boxes, "boxes")
    w, h = _sizes(df, widths, "widths"), _sizes(df, heights, "heights")
    extra = [
        (require_column(df, c, arg), what, f"{arg}={c!r}")
        for c, arg, what in (
            (labels_column, "labels_column", "labels"),
            (scores_column, "scores_column", "scores"),
        )
        if c is not None
    ]
    problems = RowProblems(df.index, f"boxes={boxes!r}")
    raws: list[_Raw | None] = []
    for pos, value in enumerate(col):
        try:
            raw = _parse_row(value, fmt, categories)
        except _Problem as p:
            problems.add(p.kind, pos, p.detail)
            raws.append(None)
            continue
        ok = True
        for series, what, column_arg in extra:
            try:
                _attach(raw, series.iat[pos], what)
            except _Problem as p:
                problems.add(p.kind, pos, p.detail, column_arg)
                ok = False
        raws.append(raw if ok else None)

    # a wrong box format, said once, rather than a wall of per-box errors
    parsed = [(pos, r) for pos, r in enumerate(raws) if r is not None]
    counts = np.array([len(r.coords) for _, r in parsed], dtype=np.int64)
    row_of_box = np.repeat(np.array([pos for pos, _ in parsed], dtype=np.int64), counts)
    coords = np.concatenate([r.coords for _, r in parsed]) if parsed else np.zeros((0, 4))
    hint = _format_hint(coords, fmt, w[row_of_box], h[row_of_box])
    if hint is not None:
        message, bad = hint
        for k in np.flatnonzero(bad):
            problems.add(message, int(row_of_box[k]), f"a box {_short(coords[k].tolist())}")
        problems.raise_if_any()

    out: list[list[dict[str, Any]]] = []
    for pos, maybe in enumerate(raws):
        if maybe is None:
            out.append([])
            continue
        raw = maybe
        row_boxes, row_problems = _finish(raw, fmt, float(w[pos]), float(h[pos]), allowed)
        for kind, detail in row_problems:
            # a label or a score from a column is that column's problem
            where = None
            if kind in (UNKNOWN_LABEL, NO_LABEL) and "labels" in raw.from_column:
                where = f"labels_column={labels_column!r}"
            elif kind == BAD_SCORE and "scores" in raw.from_column:
                where = f"scores_column={scores_column!r}"
            problems.add(kind, pos, detail, where)
        out.append(row_boxes)
    problems.raise_if_any()
    return out


# -- small review tasks -------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """A part of an image's review small enough for a person: the model boxes it shows
    (by id) and either a label (`by="label"`) or a region (`by="tile"`, x1, y1, x2, y2
    in original pixels). A task with neither shows the whole image and every box."""

    task_id: str
    item_id: str
    box_ids: tuple[str, ...]
    label: str | None = None
    region: tuple[float, float, float, float] | None = None


_MAX_DEPTH = 40  # quadtree levels before boxes whose centres never separate are chunked


def _chunks(pos: np.ndarray, cx: np.ndarray, cy: np.ndarray, max_boxes: int) -> list[np.ndarray]:
    """`pos` cut into near-equal parts of at most `max_boxes`, in reading order of the
    box centres so that each part is one area of the image."""
    order = pos[np.lexsort((cx[pos], cy[pos]))]
    parts = np.array_split(order, math.ceil(len(pos) / max_boxes))
    return [np.sort(p) for p in parts]


def split_tasks(
    item_id: str,
    boxes: Sequence[Mapping[str, Any]],
    *,
    max_boxes: int,
    by: Literal["label", "tile"],
    width: float,
    height: float,
) -> list[Task]:
    """An image's canonical boxes as small tasks of at most `max_boxes` boxes each;
    every box is in exactly one task, and an image with at most `max_boxes` boxes is
    one task (``f"{item_id}#all"``).

    ``by="label"``: one task per label (``f"{item_id}#label={quoted}"``), cut into
    parts (``";0"``, ``";1"``, ...) when a label has more boxes. ``by="tile"``: the
    image is cut in four, and each quarter again, until each tile holds at most
    `max_boxes` box centres (``f"{item_id}#tile={depth}:{row},{col}"``, a cell of the
    2**depth x 2**depth grid); boxes whose centres coincide are cut into parts.
    Labels are percent-quoted in task ids, so a task id never holds a second ``#``
    after the item id's: ``task_id.rpartition("#")[0]`` is the item id.
    """
    if isinstance(max_boxes, bool) or not isinstance(max_boxes, int) or max_boxes < 1:
        raise ValueError(f"max_boxes must be a positive int, got {max_boxes!r}")
    if by not in ("label", "tile"):
        raise ValueError(f"by must be 'label' or 'tile', got {_short(by)}")
    w, h = _check_size(width, height)
    ids = [b.get("id") for b in boxes]
    if any(not isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        raise ValueError(f"item {item_id!r}: every box needs a unique str 'id' (validate_boxes gives them)")
    box_ids = [str(i) for i in ids]
    whole = (0.0, 0.0, w, h)
    if len(boxes) <= max_boxes:
        return [Task(f"{item_id}#all", item_id, tuple(box_ids), None, whole if by == "tile" else None)]
    xyxy = np.array([[b["x1"], b["y1"], b["x2"], b["y2"]] for b in boxes], dtype=np.float64)
    cx, cy = (xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2

    def task(suffix: str, pos: np.ndarray, label: str | None = None, region: Any = None) -> Task:
        return Task(f"{item_id}#{suffix}", item_id, tuple(box_ids[p] for p in pos), label, region)

    tasks: list[Task] = []
    if by == "label":
        labels = [str(b["label"]) for b in boxes]
        for label in dict.fromkeys(labels):  # in order of first appearance
            pos = np.array([k for k, lab in enumerate(labels) if lab == label])
            name = f"label={quote(label, safe='', errors='surrogatepass')}"
            if len(pos) <= max_boxes:
                tasks.append(task(name, pos, label))
            else:
                tasks += [
                    task(f"{name};{j}", p, label) for j, p in enumerate(_chunks(pos, cx, cy, max_boxes))
                ]
        return tasks

    def split(
        pos: np.ndarray, region: tuple[float, float, float, float], depth: int, row: int, col: int
    ) -> None:
        if len(pos) == 0:
            return
        name = f"tile={depth}:{row},{col}"
        if len(pos) <= max_boxes:
            tasks.append(task(name, pos, region=region))
            return
        if depth >= _MAX_DEPTH or (np.ptp(cx[pos]) == 0 and np.ptp(cy[pos]) == 0):
            tasks.extend(
                task(f"{name};{j}", p, region=region) for j, p in enumerate(_chunks(pos, cx, cy, max_boxes))
            )
            return
        x1, y1, x2, y2 = region
        xm, ym = (x1 + x2) / 2, (y1 + y2) / 2
        right, below = cx[pos] >= xm, cy[pos] >= ym
        for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):  # row-major: TL, TR, BL, BR
            inside = pos[(right == bool(dx)) & (below == bool(dy))]
            quarter = (xm if dx else x1, ym if dy else y1, x2 if dx else xm, y2 if dy else ym)
            split(inside, quarter, depth + 1, 2 * row + dy, 2 * col + dx)

    split(np.arange(len(boxes)), whole, 0, 0, 0)
    return tasks


def _result_box(b: Any, where: str) -> dict[str, Any]:
    """A person's box from a task's result, checked, as a canonical dict."""
    if not isinstance(b, Mapping):
        raise ValueError(f"{where} is a {type(b).__name__}, not a box dict")
    coords: list[Any] = [b.get(k) for k in ("x1", "y1", "x2", "y2")]
    if not all(_is_number(c) and math.isfinite(c) for c in coords):
        raise ValueError(f"{where}: x1, y1, x2, y2 must be finite numbers, got {_short(coords)}")
    x1, y1, x2, y2 = (float(c) for c in coords)
    if not (x2 > x1 and y2 > y1):
        raise ValueError(f"{where}: zero or negative width or height {[x1, y1, x2, y2]}")
    label, score = b.get("label"), b.get("score")
    if not isinstance(label, str) or not label:
        raise ValueError(f"{where}: 'label' must be a non-empty str, got {_short(label)}")
    if score is not None and not (_is_number(score) and 0.0 <= score <= 1.0):
        raise ValueError(f"{where}: 'score' must be None or a number in [0, 1], got {_short(score)}")
    return {
        "x1": x1,
        "y1": y1,
        "x2": x2,
        "y2": y2,
        "label": label,
        "score": None if score is None else float(score),
    }


def merge_tasks(
    item_id: str, tasks: Sequence[Task], results: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """The person's boxes of every task of an image as one list of canonical boxes.

    A task's result is its boxes after review: a model box (its id among the task's
    `box_ids`) kept or edited, absent when deleted, and boxes without such an id added,
    which get fresh ids (``"n0"``, ``"n1"``, ...) unique in the image, never a model
    box's id. Boxes come in task order, then in result order. Raises ValueError when a
    task belongs to another item, a task has no result, or a result is for no task.
    """
    other = [t.task_id for t in tasks if t.item_id != item_id]
    if other:
        raise ValueError(f"tasks of another item than {item_id!r}: {_short(other, 300)}")
    task_ids = [t.task_id for t in tasks]
    if len(set(task_ids)) != len(task_ids):
        raise ValueError(f"item {item_id!r}: repeated task ids {_short(task_ids, 300)}")
    missing = [tid for tid in task_ids if tid not in results]
    if missing:
        raise ValueError(f"item {item_id!r}: no result for tasks {_short(missing, 300)}")
    known = set(task_ids)
    unknown = [tid for tid in results if tid not in known]
    if unknown:
        raise ValueError(
            f"item {item_id!r}: results for task ids that are not its tasks: {_short(unknown, 300)}"
        )
    owner: dict[str, str] = {}
    for t in tasks:
        for model_id in t.box_ids:
            if owner.setdefault(model_id, t.task_id) != t.task_id:
                raise ValueError(f"item {item_id!r}: box id {model_id!r} is in two tasks")

    merged: list[dict[str, Any]] = []
    fresh = (f"n{k}" for k in itertools.count())
    for t in tasks:
        result = results[t.task_id]
        if isinstance(result, (str, bytes)) or not isinstance(result, Sequence):
            raise ValueError(f"results[{t.task_id!r}] is a {type(result).__name__}, not a list of boxes")
        seen: set[str] = set()
        for k, b in enumerate(result):
            where = f"results[{t.task_id!r}][{k}]"
            box = _result_box(b, where)
            bid: Any = b.get("id")
            if isinstance(bid, str) and bid in owner:
                if owner[bid] != t.task_id:
                    raise ValueError(f"{where}: box {bid!r} belongs to task {owner[bid]!r}")
                if bid in seen:
                    raise ValueError(f"{where}: box {bid!r} appears twice")
                seen.add(bid)
                box["id"] = bid
            else:  # added by the person (any id of its own is the browser's, not ours)
                box["id"] = next(i for i in fresh if i not in owner)
            merged.append(box)
    return merged
