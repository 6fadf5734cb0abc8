"""Object-detection training sets from reviewed boxes: COCO JSON, YOLO label files and a
Hugging Face ``datasets.Dataset``.

The input is a DataFrame with one row per image: the image's file path (or name), its
width and height in pixels, and its boxes (the people's, corrected ones) as a list of
canonical boxes (dicts with ``"x1", "y1", "x2", "y2"`` in original-image pixels,
``"label"``, ``"score"`` and an optional ``"id"``; see :mod:`hitl_widgets.metrics.boxes`).
The column names are keyword arguments (``image=, width=, height=, boxes=``);
``labels=`` is the ordered label list that fixes the category ids (default: the labels
found, sorted), so that several exports of one project agree on them.

* `to_coco`: COCO's detection layout (``bbox`` as ``[x, y, w, h]``); loads in pycocotools.
* `to_yolo`: one ``class cx cy w h`` text file per image (normalised to [0, 1]), with
  ``classes.txt`` and ``data.yaml`` naming the classes.
* `to_hf_objects`: an ``image`` + ``objects`` dataset, the layout of Hugging Face's
  object-detection fine-tuning (``bbox`` in COCO's ``[x, y, w, h]``).

Every export checks the whole frame first and raises a ValueError naming the column and
the first offending rows (a box outside its image or inverted, a label not in
``labels``, a missing or non-integer width or height) before it writes anything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["to_coco", "to_hf_objects", "to_yolo"]

_COORDS = ("x1", "y1", "x2", "y2")
_NAMES_FILES = ("classes.txt", "data.yaml")


@dataclass(frozen=True)
class _Boxes:
    """A checked frame: per image its name and size, per box its image, coordinates and category."""

    names: list[str]
    width: np.ndarray  # int64, per image
    height: np.ndarray
    image: np.ndarray  # int64, per box: the image's position
    xyxy: np.ndarray  # float, (n_boxes, 4)
    category: np.ndarray  # int64, per box: the index of its label in `labels`
    score: list[float | None]
    labels: list[str]


def _rows(index: pd.Index, positions: Sequence[int] | np.ndarray) -> str:
    """The offending rows by their labels in the frame: "rows [3, 8]", "row [3]",
    "rows [1, 2, 3, 4, 5] (first 5 of 9)"."""
    pos = sorted(set(int(p) for p in positions))
    shown = [index[p] for p in pos[:5]]
    return f"row{'s' if len(pos) > 1 else ''} {shown}" + (f" (first 5 of {len(pos)})" if len(pos) > 5 else "")


def _flatten(cells: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray, list[str], list[float | None]]:
    """Every box of the column: its row position, x1 y1 x2 y2, label and score."""
    owner, coords, labs, scores = [], [], [], []
    bad_cell, bad_box = [], []
    for k, cell in enumerate(cells.to_numpy(dtype=object)):
        if isinstance(cell, np.ndarray) and cell.ndim == 1:
            cell = list(cell)
        if not isinstance(cell, (list, tuple)):
            bad_cell.append(k)
            continue
        for b in cell:
            try:
                if not isinstance(b, Mapping) or not isinstance(b["label"], str):
                    raise TypeError
                xyxy = [float(b[c]) for c in _COORDS]
                s = b.get("score")
                s = None if s is None or (isinstance(s, float) and s != s) else float(s)
            except (TypeError, KeyError, ValueError):
                bad_box.append(k)
                continue
            if not np.isfinite(xyxy).all():
                bad_box.append(k)
                continue
            owner.append(k)
            coords.append(xyxy)
            labs.append(b["label"])
            scores.append(s)
    if bad_cell:
        raise ValueError(
            f"column {column!r}: expected a list of boxes (an empty list for none) in {_rows(cells.index, bad_cell)}"
        )
    if bad_box:
        raise ValueError(
            f"column {column!r}: a box is not a dict with numeric x1, y1, x2, y2 and a text label in "
            f"{_rows(cells.index, bad_box)}"
        )
    return np.array(owner, dtype=np.int64), np.array(coords, dtype=float).reshape(-1, 4), labs, scores


def _categories(
    labs: list[str], labels: Sequence[str] | None, column: str, index: pd.Index, pos: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """The label list and each box's index in it; ValueError for a label outside ``labels``."""
    if labels is None:
        label_list = sorted(set(labs))
    else:
        label_list = list(labels)
        wrong = [x for x in label_list if not isinstance(x, str) or not x]
        if wrong:
            raise ValueError(f"labels: every label must be non-empty text, got {wrong[:5]}")
        if len(set(label_list)) != len(label_list):
            dups = sorted({x for x in label_list if label_list.count(x) > 1})
            raise ValueError(f"labels: {dups} appear more than once; each label needs one category id")
    code = {lab: c for c, lab in enumerate(label_list)}
    cat = np.array([code.get(lab, -1) for lab in labs], dtype=np.int64)
    unknown = np.flatnonzero(cat < 0)
    if unknown.size:
        found = sorted({labs[k] for k in unknown})
        raise ValueError(
            f"column {column!r}: label(s) {found[:5]} not in labels={label_list} in {_rows(index, pos[unknown])}"
        )
    return label_list, cat


def _check(
    df: pd.DataFrame, image: str, width: str, height: str, boxes: str, labels: Sequence[str] | None
) -> _Boxes:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df: expected a pandas DataFrame with one row per image, got {type(df).__name__}")
    names = {"image": image, "width": width, "height": height, "boxes": boxes}
    missing = [f"{k}={v!r}" for k, v in names.items() if v not in df.columns]
    if missing:
        raise ValueError(
            f"df: missing column(s) {', '.join(missing)}; available columns: {list(df.columns)} "
            "(pass image=, width=, height=, boxes= to name them)"
        )
    idx = df.index
    img = df[image].to_numpy(dtype=object)
    bad = [k for k, v in enumerate(img) if not isinstance(v, (str, os.PathLike)) or not str(v)]
    if bad:
        raise ValueError(f"column {image!r}: missing image path in {_rows(idx, bad)}")
    size = {}
    for col in (width, height):
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad_v = np.flatnonzero(~np.isfinite(v) | (v <= 0) | (v != np.round(v)))
        if bad_v.size:
            raise ValueError(
                f"column {col!r}: missing, non-integer or non-positive image size in {_rows(idx, bad_v)} "
                f"(first: {df[col].iloc[bad_v[0]]!r}); sizes are whole pixels"
            )
        size[col] = v.astype(np.int64)

    pos, xy, labs, scores = _flatten(df[boxes], boxes)
    inverted = np.flatnonzero((xy[:, 2] <= xy[:, 0]) | (xy[:, 3] <= xy[:, 1]))
    if inverted.size:
        raise ValueError(
            f"column {boxes!r}: a box without area (x2 <= x1 or y2 <= y1) in {_rows(idx, pos[inverted])} "
            f"(first: {dict(zip(_COORDS, xy[inverted[0]].tolist(), strict=True))})"
        )
    w, h = size[width][pos], size[height][pos]
    outside = np.flatnonzero((xy[:, 0] < 0) | (xy[:, 1] < 0) | (xy[:, 2] > w) | (xy[:, 3] > h))
    if outside.size:
        k = outside[0]
        raise ValueError(
            f"column {boxes!r}: a box outside its image in {_rows(idx, pos[outside])} (first: "
            f"{dict(zip(_COORDS, xy[k].tolist(), strict=True))} in a {w[k]} x {h[k]} image, "
            f"columns {width!r} x {height!r})"
        )

    label_list, cat = _categories(labs, labels, boxes, idx, pos)
    return _Boxes(
        names=[os.fspath(v) for v in img],
        width=size[width],
        height=size[height],
        image=pos,
        xyxy=xy,
        category=cat,
        score=scores,
        labels=label_list,
    )


def _number(v: float) -> int | float:
    """A coordinate as JSON shows it best: 12 rather than 12.0."""
    return int(v) if float(v).is_integer() else float(v)


# --------------------------------------------------------------------------------------
# COCO
# --------------------------------------------------------------------------------------


def to_coco(
    df: pd.DataFrame,
    *,
    image: str = "image",
    width: str = "width",
    height: str = "height",
    boxes: str = "boxes",
    labels: Sequence[str] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The boxes in COCO's object-detection layout.

    ``images`` (``id`` = row position + 1, ``file_name``, ``width``, ``height``),
    ``annotations`` (``id`` from 1, ``image_id``, ``category_id``, ``bbox`` =
    ``[x1, y1, x2 - x1, y2 - y1]``, ``area`` = w * h, ``iscrowd`` 0, and ``score`` when
    the box has one) and ``categories`` (``id`` = position in ``labels`` + 1, ``name``).
    It loads in pycocotools: ``coco = COCO(); coco.dataset = result; coco.createIndex()``
    (or ``COCO(path)``).

    Parameters
    ----------
    df:
        One row per image.
    image, width, height, boxes:
        Column names: the image's file path or name, its size in pixels, its boxes.
    labels:
        Ordered label list fixing the category ids (default: the labels found, sorted).
    path:
        Also write the JSON there (UTF-8).
    """
    b = _check(df, image, width, height, boxes, labels)
    images = [
        {"id": k + 1, "file_name": name, "width": int(b.width[k]), "height": int(b.height[k])}
        for k, name in enumerate(b.names)
    ]
    annotations = []
    for n in range(len(b.image)):
        x1, y1, x2, y2 = b.xyxy[n]
        w, h = x2 - x1, y2 - y1
        ann: dict[str, Any] = {
            "id": n + 1,
            "image_id": int(b.image[n]) + 1,
            "category_id": int(b.category[n]) + 1,
            "bbox": [_number(x1), _number(y1), _number(w), _number(h)],
            "area": _number(w * h),
            "iscrowd": 0,
        }
        if b.score[n] is not None:
            ann["score"] = b.score[n]
        annotations.append(ann)
    out = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": c + 1, "name": lab, "supercategory": ""} for c, lab in enumerate(b.labels)],
    }
    if path is not None:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return out


# --------------------------------------------------------------------------------------
# YOLO
# --------------------------------------------------------------------------------------


def _label_file(name: str, directory: Path, row: Any, column: str) -> Path:
    """``directory / <image path>.txt``; refuses names that would leave the directory."""
    win = PureWindowsPath(name)
    parts = PurePosixPath(name.replace("\\", "/")).parts
    # backslashes separate too: '..\\x.png' climbs out on Windows, where the files may be read
    if name.startswith(("/", "\\")) or win.drive or win.root or ".." in parts or not parts:
        raise ValueError(
            f"column {column!r}: image {name!r} in row {row!r} is an absolute path or goes up with '..'; "
            "the label files are written under the directory, so give image names relative to it "
            "(e.g. df[image].map(lambda p: Path(p).name))"
        )
    rel = PurePosixPath(*parts).with_suffix(".txt")
    target = directory.joinpath(*rel.parts)
    root = directory.resolve()
    if not target.resolve().is_relative_to(root):  # a link inside the directory pointing out
        raise ValueError(
            f"column {column!r}: the label file of image {name!r} in row {row!r} leaves {directory}"
        )
    if len(rel.parts) == 1 and rel.name in _NAMES_FILES:
        raise ValueError(
            f"column {column!r}: the label file of image {name!r} in row {row!r} would be {rel.name}, "
            "the file naming the classes"
        )
    return target


def to_yolo(
    df: pd.DataFrame,
    directory: str | os.PathLike[str],
    *,
    image: str = "image",
    width: str = "width",
    height: str = "height",
    boxes: str = "boxes",
    labels: Sequence[str] | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """The boxes as YOLO label files: one ``<image>.txt`` per image under ``directory``.

    Each line is ``class cx cy w h``: the class index (position in ``labels``) and the
    box centre and size divided by the image's width and height, 6 decimals. An image
    without boxes gets an empty file (a background image, for YOLO). The file of image
    ``sub/a.png`` is ``directory/sub/a.txt``. The class names are written to
    ``classes.txt`` (one per line, in class order) and ``data.yaml`` (``nc`` and
    ``names``; add ``path``/``train``/``val`` for Ultralytics).

    Image names must be relative and stay inside ``directory`` (``../x.png`` or
    ``/data/x.png`` are refused, naming the row): pass file names, or paths relative to
    the images folder. Existing files are not overwritten unless ``overwrite=True``, and
    then only the files this export writes; nothing else in ``directory`` is touched.
    Everything is checked before the first file is written.

    Parameters
    ----------
    df:
        One row per image.
    directory:
        Folder for the label files (created if missing).
    image, width, height, boxes:
        Column names: the image's relative path or name, its size in pixels, its boxes.
    labels:
        Ordered label list fixing the class indices (default: the labels found, sorted).
    overwrite:
        Replace label / names files that already exist.

    Returns
    -------
    list of pathlib.Path
        The files written: one per image in row order, then ``classes.txt`` and ``data.yaml``.
    """
    b = _check(df, image, width, height, boxes, labels)
    odd = [lab for lab in b.labels if "\n" in lab or "\r" in lab]
    if odd:
        raise ValueError(f"labels: {odd[:5]} contain a line break, which classes.txt cannot hold")
    root = Path(directory)
    targets = [_label_file(name, root, df.index[k], image) for k, name in enumerate(b.names)]
    seen: dict[Path, int] = {}
    for k, t in enumerate(targets):
        if t in seen:
            raise ValueError(
                f"column {image!r}: images {b.names[seen[t]]!r} (row {df.index[seen[t]]!r}) and "
                f"{b.names[k]!r} (row {df.index[k]!r}) would share the label file {t}"
            )
        seen[t] = k
    names_files = [root / n for n in _NAMES_FILES]
    written = [*targets, *names_files]
    if not overwrite:
        exist = [str(p) for p in written if p.exists()]
        if exist:
            raise FileExistsError(
                f"to_yolo: {len(exist)} file(s) already exist, e.g. {exist[:3]}; nothing was written "
                "(pass overwrite=True to replace them)"
            )

    lines: list[list[str]] = [[] for _ in b.names]
    w, h = b.width[b.image].astype(float), b.height[b.image].astype(float)
    x1, y1, x2, y2 = b.xyxy.T
    norm = np.column_stack([(x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h])
    for n, k in enumerate(b.image):
        cx, cy, bw, bh = norm[n]
        lines[k].append(f"{b.category[n]} {cx:.6f} {cy:.6f} {bw:.6f} {bh:.6f}")
    for t, rows in zip(targets, lines, strict=True):
        t.parent.mkdir(parents=True, exist_ok=True)
        t.write_text("".join(f"{line}\n" for line in rows), encoding="utf-8")
    root.mkdir(parents=True, exist_ok=True)
    names_files[0].write_text("".join(f"{lab}\n" for lab in b.labels), encoding="utf-8")
    # JSON strings are YAML strings: a label with ':' or quotes stays one name
    yaml = "\n".join(
        [
            f"nc: {len(b.labels)}",
            "names:" if b.labels else "names: {}",
            *(f"  {c}: {json.dumps(lab)}" for c, lab in enumerate(b.labels)),
        ]
    )
    names_files[1].write_text(
        "# class names of the YOLO label files in this folder; add path/train/val for Ultralytics\n"
        + yaml
        + "\n",
        encoding="utf-8",
    )
    return written


# --------------------------------------------------------------------------------------
# Hugging Face datasets
# --------------------------------------------------------------------------------------


def to_hf_objects(
    df: pd.DataFrame,
    *,
    image: str = "image",
    width: str = "width",
    height: str = "height",
    boxes: str = "boxes",
    labels: Sequence[str] | None = None,
) -> Any:
    """The boxes as a ``datasets.Dataset`` in the layout of Hugging Face's object-detection
    fine-tuning (the CPPE-5 layout of the transformers guide).

    Columns: ``image`` (``datasets.Image()``, from the file paths: relative paths are
    read from the working directory), ``image_id`` (row position + 1, as in
    :func:`to_coco`), ``width``, ``height`` and ``objects`` = ``{"id", "area", "bbox",
    "category"}`` with one entry per box: ``bbox`` in COCO's ``[x, y, w, h]`` pixels
    (float32), ``category`` a ``ClassLabel(names=labels)``, ``id`` the COCO annotation id.

    Parameters
    ----------
    df:
        One row per image.
    image, width, height, boxes:
        Column names: the image file's path, its size in pixels, its boxes.
    labels:
        Ordered label list, the ``ClassLabel`` names (default: the labels found, sorted).
    """
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is in the [train] extra
        raise ImportError("to_hf_objects needs the `datasets` package (pip install datasets)") from exc
    b = _check(df, image, width, height, boxes, labels)
    absent = [k for k, name in enumerate(b.names) if not os.path.isfile(name)]
    if absent:
        raise ValueError(
            f"column {image!r}: no image file at {b.names[absent[0]]!r} ({_rows(df.index, absent)}); "
            f"relative paths are read from {os.getcwd()}"
        )
    x1, y1, x2, y2 = b.xyxy.T
    xywh = np.column_stack([x1, y1, x2 - x1, y2 - y1])
    objects: list[dict[str, list[Any]]] = [
        {"id": [], "area": [], "bbox": [], "category": []} for _ in b.names
    ]
    for n, k in enumerate(b.image):
        o = objects[k]
        o["id"].append(n + 1)
        o["area"].append(float(xywh[n, 2] * xywh[n, 3]))
        o["bbox"].append(xywh[n].tolist())
        o["category"].append(int(b.category[n]))
    features = datasets.Features(
        {
            "image": datasets.Image(),
            "image_id": datasets.Value("int64"),
            "width": datasets.Value("int32"),
            "height": datasets.Value("int32"),
            # Sequence of a dict is a dict of lists: the layout the fine-tuning guides read
            "objects": datasets.Sequence(
                {
                    "id": datasets.Value("int64"),
                    "area": datasets.Value("float32"),
                    "bbox": datasets.Sequence(datasets.Value("float32"), length=4),
                    "category": datasets.ClassLabel(names=b.labels),
                }
            ),
        }
    )
    return datasets.Dataset.from_dict(
        {
            "image": b.names,
            "image_id": list(range(1, len(b.names) + 1)),
            "width": b.width.tolist(),
            "height": b.height.tolist(),
            "objects": objects,
        },
        features=features,
    )
