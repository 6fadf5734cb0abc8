"""Bounding-box metrics: IoU, one-to-one matching, what a reviewer changed, where people and
the model disagree, COCO average precision, and agreement between annotators.

A box is the package's canonical box: a dict with ``"x1", "y1", "x2", "y2"`` (floats,
original-image pixels, top-left origin, ``x2 > x1``, ``y2 > y1``), ``"label"`` (str),
``"score"`` (float or None) and optionally ``"id"`` (str). An image's boxes are a list of
such dicts. Functions over several images take a mapping ``{image_id: boxes}`` (a dict
or a :class:`pandas.Series`) or a list with one list of boxes per image, for the model
and for the people alike, with the same images on both sides.

Reference implementations these numbers are tested against:

* :func:`average_precision`, :func:`coco_map` - ``pycocotools.cocoeval.COCOeval``
  (``iouType="bbox"``, area range "all", no crowd) to 1e-6.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ._data import UndefinedAgreementWarning
from .bootstrap import bootstrap_ci

__all__ = [
    "APResult",
    "BoxAgreementResult",
    "BoxConfusion",
    "BoxMatch",
    "average_precision",
    "box_agreement",
    "box_changes",
    "box_confusion",
    "coco_map",
    "iou",
    "iou_matrix",
    "match_boxes",
]

_COORDS = ("x1", "y1", "x2", "y2")
#: Row of :func:`box_confusion`'s table for a person's box the model did not propose.
MISSED = "(missed)"
#: Column of :func:`box_confusion`'s table for a model box no person kept.
SPURIOUS = "(spurious)"
# COCOeval's thresholds, built the way it builds them (np.arange drifts: 0.55 would not be
# the same float, and a recall of exactly 0.3 would land on the other side of a threshold)
_COCO_IOUS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
_COCO_RECALLS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)


# ---------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------
def _box_list(boxes: Any, argument: str) -> list[Mapping[str, Any]]:
    """The boxes as a list of mappings with the four coordinates; ValueError naming the argument."""
    if isinstance(boxes, np.ndarray) and boxes.ndim == 1:
        boxes = list(boxes)
    if not isinstance(boxes, (list, tuple)):
        raise ValueError(
            f"{argument}: expected a list of boxes (dicts with x1, y1, x2, y2, label), "
            f"got {type(boxes).__name__}"
        )
    for k, b in enumerate(boxes):
        if not isinstance(b, Mapping):
            raise ValueError(f"{argument}[{k}]: expected a box dict, got {type(b).__name__}")
        missing = [c for c in _COORDS if c not in b]
        if missing:
            raise ValueError(f"{argument}[{k}]: box lacks {', '.join(missing)}")
    return list(boxes)


def _coords(boxes: Any, argument: str) -> np.ndarray:
    """``(n, 4)`` float array of x1, y1, x2, y2 (a box list, or such an array already)."""
    if isinstance(boxes, np.ndarray) and boxes.ndim == 2 and boxes.dtype.kind in "iuf":
        xyxy = boxes.astype(float)
        if xyxy.shape[1] != 4:
            raise ValueError(f"{argument}: expected shape (n, 4) (x1, y1, x2, y2), got {xyxy.shape}")
    else:
        lst = _box_list(boxes, argument)
        try:
            xyxy = np.array([[float(b[c]) for c in _COORDS] for b in lst], dtype=float).reshape(-1, 4)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{argument}: box coordinates must be numbers ({exc})") from None
    bad = ~np.isfinite(xyxy).all(axis=1) | (xyxy[:, 2] < xyxy[:, 0]) | (xyxy[:, 3] < xyxy[:, 1])
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{argument}[{k}]: coordinates must be finite with x2 >= x1 and y2 >= y1, "
            f"got {dict(zip(_COORDS, xyxy[k].tolist(), strict=True))}"
        )
    return xyxy


def _labels(boxes: Sequence[Mapping[str, Any]], argument: str) -> list[Any]:
    out = []
    for k, b in enumerate(boxes):
        lab = b.get("label")
        if lab is None or (isinstance(lab, float) and lab != lab):
            raise ValueError(f"{argument}[{k}]: box has no label")
        out.append(lab)
    return out


def _ids(boxes: Sequence[Mapping[str, Any]], argument: str) -> list[Any]:
    ids = [b.get("id") for b in boxes]
    seen: set[Any] = set()
    for k, i in enumerate(ids):
        if i is None:
            continue
        if i in seen:
            raise ValueError(f"{argument}[{k}]: box id {i!r} is used twice; ids must be unique per image")
        seen.add(i)
    return ids


def _per_image(model: Any, human: Any) -> list[tuple[Hashable, Any, Any]]:
    """``(image_id, model_boxes, human_boxes)`` per image, in the people's order of the images."""

    def keyed(x: Any) -> dict[Hashable, Any] | None:
        if isinstance(x, pd.Series):
            if not x.index.is_unique:
                raise ValueError("image ids (the Series index) must be unique")
            return dict(x.items())
        if isinstance(x, Mapping):
            return dict(x)
        return None

    m, h = keyed(model), keyed(human)
    if m is None and h is None:
        if not isinstance(model, Sequence) or not isinstance(human, Sequence):
            raise ValueError(
                "model_boxes_per_image, human_boxes_per_image: expected a mapping {image_id: boxes} "
                "or a list with one list of boxes per image"
            )
        if len(model) != len(human):
            raise ValueError(
                f"human_boxes_per_image: {len(human)} images, but model_boxes_per_image has {len(model)}"
            )
        return [(k, mb, hb) for k, (mb, hb) in enumerate(zip(model, human, strict=True))]
    if m is None or h is None:
        raise ValueError(
            "model_boxes_per_image, human_boxes_per_image: pass both as mappings keyed by image id, "
            "or both as lists in the same image order"
        )
    # an image on one side only is an image nobody reviewed (or the model never saw): counting
    # its boxes as missed or spurious would be wrong, so it is an error, not a silent zero
    only_m = [k for k in m if k not in h]
    only_h = [k for k in h if k not in m]
    if only_m or only_h:
        raise ValueError(
            "model_boxes_per_image, human_boxes_per_image: the images differ "
            f"(only the model's: {only_m[:5]}, only the people's: {only_h[:5]}); "
            "an image the people reviewed and found empty has an empty list"
        )
    return [(k, m[k], hb) for k, hb in h.items()]


def _check_threshold(value: float, argument: str = "iou_threshold") -> float:
    if not 0 < value <= 1:
        raise ValueError(f"{argument}: must be in (0, 1], got {value!r}")
    return float(value)


# ---------------------------------------------------------------------------
# IoU and matching
# ---------------------------------------------------------------------------
def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    # a box without area overlaps nothing (two identical points would give 0 / 0)
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def iou_matrix(boxes_a: Any, boxes_b: Any) -> np.ndarray:
    """Intersection over union of every box of ``boxes_a`` with every box of ``boxes_b``.

    Parameters
    ----------
    boxes_a, boxes_b:
        Lists of canonical boxes, or ``(n, 4)`` arrays of ``x1, y1, x2, y2``.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(boxes_a), len(boxes_b))``, values in [0, 1]. Boxes that only touch
        have IoU 0; a box of zero area has IoU 0 with everything (itself included).
    """
    return _iou(_coords(boxes_a, "boxes_a"), _coords(boxes_b, "boxes_b"))


def iou(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    """Intersection over union of two canonical boxes (0 when they only touch or one has no area)."""
    return float(_iou(_coords([a], "a"), _coords([b], "b"))[0, 0])


@dataclass(frozen=True)
class BoxMatch:
    """A one-to-one matching of model boxes to people's boxes (see :func:`match_boxes`).

    Attributes
    ----------
    pairs:
        ``(i, j, iou)``: model box ``i`` matched to human box ``j``, sorted by ``i``.
    unmatched_model:
        Model boxes with no match: spurious proposals, the boxes a person deleted.
    unmatched_human:
        Human boxes with no match: what the model missed, the boxes a person added.
    iou_threshold:
        The IoU a pair needed to count as a match.
    """

    pairs: list[tuple[int, int, float]]
    unmatched_model: list[int]
    unmatched_human: list[int]
    iou_threshold: float

    @property
    def n_matched(self) -> int:
        """Number of matched pairs."""
        return len(self.pairs)


def _assign(ious: np.ndarray, threshold: float, allowed: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Pairs maximising the summed IoU over pairs at or above the threshold (Hungarian)."""
    if ious.size == 0:
        return []
    gain = np.where(ious >= threshold, ious, 0.0)
    if allowed is not None:
        gain = np.where(allowed, gain, 0.0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    # the assignment pairs every row it can; pairs it made through a zero gain are not matches
    # (threshold > 0, so a positive gain is a pair at or above it)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if gain[i, j] > 0]


def match_boxes(model: Any, human: Any, iou_threshold: float = 0.5, by_label: bool = False) -> BoxMatch:
    """Optimal one-to-one matching of model boxes to people's boxes.

    The Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) picks the pairs
    that maximise the summed IoU over pairs with IoU >= ``iou_threshold``; pairs below
    the threshold are never matches. Unlike greedy matching (best pair first), taking a
    high-IoU pair never costs two other good pairs.

    Parameters
    ----------
    model, human:
        The two lists of canonical boxes of one image.
    iou_threshold:
        Minimum IoU of a match, in (0, 1].
    by_label:
        Only boxes with the same label can match.
    """
    thr = _check_threshold(iou_threshold)
    mb, hb = _box_list(model, "model"), _box_list(human, "human")
    ious = _iou(_coords(mb, "model"), _coords(hb, "human"))
    allowed = None
    if by_label:
        lm, lh = _labels(mb, "model"), _labels(hb, "human")
        allowed = np.array([[a == b for b in lh] for a in lm], dtype=bool).reshape(ious.shape)
    pairs = _assign(ious, thr, allowed)
    done_m = {i for i, _ in pairs}
    done_h = {j for _, j in pairs}
    return BoxMatch(
        pairs=[(i, j, float(ious[i, j])) for i, j in sorted(pairs)],
        unmatched_model=[i for i in range(len(mb)) if i not in done_m],
        unmatched_human=[j for j in range(len(hb)) if j not in done_h],
        iou_threshold=thr,
    )


# ---------------------------------------------------------------------------
# what a reviewer changed
# ---------------------------------------------------------------------------
CHANGE_KINDS = ("kept", "moved", "relabelled", "moved+relabelled", "deleted", "added")
_CHANGE = {  # (moved, relabelled) -> kind
    (False, False): "kept",
    (True, False): "moved",
    (False, True): "relabelled",
    (True, True): "moved+relabelled",
}


def box_changes(
    before: Any,
    after: Any,
    *,
    tolerance: float = 1.0,
    iou_threshold: float = 0.5,
) -> pd.DataFrame:
    """What a person did to one image's boxes: one row per box, kept, moved, relabelled,
    moved+relabelled, deleted or added.

    Boxes are paired by ``"id"`` when both lists carry ids (the review widget keeps a
    box's id while a person edits it): a box whose id is on one side only was deleted or
    added, however close it lies to another box. Boxes without an id are paired by
    :func:`match_boxes` (Hungarian, IoU >= ``iou_threshold``).

    A paired box counts as moved when any of its four coordinates changed by more than
    ``tolerance`` pixels (original-image pixels). A pixel tolerance, not an IoU one: IoU
    depends on the box's size (shifting a 1000 px box by 20 px keeps IoU 0.96, shifting a
    10 px box by 1 px drops it to 0.82), while "did the person move an edge" does not; the
    default of 1 px absorbs the rounding of coordinates mapped from screen to image
    pixels, or stored as integers. The IoU of each pair is reported beside it.

    Returns
    -------
    pandas.DataFrame
        Columns ``change`` (one of :data:`CHANGE_KINDS`), ``before`` / ``after`` (the
        box's index in each list, <NA> when absent), ``id``, ``matched_by`` (``"id"``,
        ``"iou"`` or None), ``label_before``, ``label_after``, ``iou``, ``max_shift``
        (largest coordinate change, pixels) and ``x1_before`` ... ``y2_after``. Rows
        follow ``before``, then the added boxes in ``after`` order.
    """
    if not tolerance >= 0:
        raise ValueError(f"tolerance: must be >= 0 pixels, got {tolerance!r}")
    thr = _check_threshold(iou_threshold)
    bb, ab = _box_list(before, "before"), _box_list(after, "after")
    cb, ca = _coords(bb, "before"), _coords(ab, "after")
    lb, la = _labels(bb, "before"), _labels(ab, "after")
    ib, ia = _ids(bb, "before"), _ids(ab, "after")

    pairs: dict[int, tuple[int | None, str | None]] = {}  # before index -> (after index, matched_by)
    use_ids = any(i is not None for i in ib) and any(i is not None for i in ia)
    if use_ids:
        where_after = {i: j for j, i in enumerate(ia) if i is not None}
        for k, i in enumerate(ib):
            if i is not None and i in where_after:
                pairs[k] = (where_after[i], "id")
        # only boxes without an id are left to geometry; an id on one side only is a box
        # that was deleted (or drawn) in the widget, not one that lost its id
        rest_b = [k for k, i in enumerate(ib) if i is None]
        rest_a = [j for j, i in enumerate(ia) if i is None]
    else:
        rest_b, rest_a = list(range(len(bb))), list(range(len(ab)))
    if rest_b and rest_a:
        sub = _iou(cb[rest_b], ca[rest_a])
        for bi, aj in _assign(sub, thr):
            pairs[rest_b[bi]] = (rest_a[aj], "iou")

    rows: list[dict[str, Any]] = []

    def row(k: int | None, j: int | None, how: str | None) -> dict[str, Any]:
        r: dict[str, Any] = {
            "before": k,
            "after": j,
            "id": (ib[k] if k is not None else None) if j is None else ia[j],
            "matched_by": how,
            "label_before": lb[k] if k is not None else None,
            "label_after": la[j] if j is not None else None,
        }
        for side, c, idx in (("before", cb, k), ("after", ca, j)):
            for n, name in enumerate(_COORDS):
                r[f"{name}_{side}"] = float(c[idx, n]) if idx is not None else np.nan
        if k is not None and j is not None:
            shift = float(np.abs(cb[k] - ca[j]).max())
            moved, relab = shift > tolerance, lb[k] != la[j]
            r["change"] = _CHANGE[moved, relab]
            r["iou"] = float(_iou(cb[k : k + 1], ca[j : j + 1])[0, 0])
            r["max_shift"] = shift
        else:
            r["change"] = "deleted" if j is None else "added"
            r["iou"] = r["max_shift"] = np.nan
        return r

    for k in range(len(bb)):
        j, how = pairs.get(k, (None, None))
        rows.append(row(k, j, how))
    paired_after = {j for j, _ in pairs.values() if j is not None}
    rows.extend(row(None, j, None) for j in range(len(ab)) if j not in paired_after)

    cols = [
        "change",
        "before",
        "after",
        "id",
        "matched_by",
        "label_before",
        "label_after",
        "iou",
        "max_shift",
    ]
    cols += [f"{n}_{s}" for s in ("before", "after") for n in _COORDS]
    out = pd.DataFrame(rows, columns=cols)
    for c in ("before", "after"):
        out[c] = out[c].astype("Int64")
    return out


# ---------------------------------------------------------------------------
# people vs model over many images
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BoxConfusion:
    """Where the people's boxes and the model's agree (see :func:`box_confusion`).

    Attributes
    ----------
    table:
        Counts: rows are the model's labels plus ``"(missed)"`` (a person's box the
        model did not propose), columns the people's labels plus ``"(spurious)"`` (a
        model box no person kept). The diagonal is the boxes the model got right.
    pairs:
        One row per matched pair or unmatched box: ``image``, ``model_index``,
        ``human_index``, ``model_label``, ``human_label``, ``iou``, ``outcome``
        (``"correct"``, ``"wrong_label"``, ``"spurious"``, ``"missed"``) and the boxes
        themselves (``model_box``, ``human_box``), to go from a cell to its images.
    iou_threshold:
        The IoU a pair needed to count as the same object.
    """

    table: pd.DataFrame
    pairs: pd.DataFrame = field(repr=False)
    iou_threshold: float = 0.5


def box_confusion(
    model_boxes_per_image: Any, human_boxes_per_image: Any, iou_threshold: float = 0.5
) -> BoxConfusion:
    """The human-vs-model picture for boxes: which labels the model confuses, what it
    misses and what it proposes that nobody keeps.

    On every image the model's boxes are matched to the people's, labels ignored
    (:func:`match_boxes`: Hungarian, IoU >= ``iou_threshold``), so a box that is in the
    right place with the wrong label counts as a confusion, not as one miss plus one
    spurious box.

    Parameters
    ----------
    model_boxes_per_image, human_boxes_per_image:
        ``{image_id: boxes}`` mappings with the same images, or lists in the same image order.
    iou_threshold:
        Minimum IoU of a match, in (0, 1].
    """
    thr = _check_threshold(iou_threshold)
    records: list[dict[str, Any]] = []
    for img, mb_raw, hb_raw in _per_image(model_boxes_per_image, human_boxes_per_image):
        mb = _box_list(mb_raw, f"model_boxes_per_image[{img!r}]")
        hb = _box_list(hb_raw, f"human_boxes_per_image[{img!r}]")
        lm = _labels(mb, f"model_boxes_per_image[{img!r}]")
        lh = _labels(hb, f"human_boxes_per_image[{img!r}]")
        m = match_boxes(mb, hb, thr)
        found: list[tuple[int | None, int | None, float]] = [(i, j, v) for i, j, v in m.pairs]
        found += [(i, None, np.nan) for i in m.unmatched_model]
        found += [(None, j, np.nan) for j in m.unmatched_human]
        for i, j, v in found:
            ml, hl = (lm[i] if i is not None else None), (lh[j] if j is not None else None)
            outcome = (
                "missed"
                if i is None
                else "spurious"
                if j is None
                else "correct"
                if ml == hl
                else "wrong_label"
            )
            records.append(
                {
                    "image": img,
                    "model_index": i,
                    "human_index": j,
                    "model_label": ml,
                    "human_label": hl,
                    "iou": v,
                    "outcome": outcome,
                    "model_box": mb[i] if i is not None else None,
                    "human_box": hb[j] if j is not None else None,
                }
            )
    cols = ["image", "model_index", "human_index", "model_label", "human_label", "iou", "outcome"]
    pairs = pd.DataFrame(records, columns=[*cols, "model_box", "human_box"])
    for c in ("model_index", "human_index"):
        pairs[c] = pairs[c].astype("Int64")
    model_labels = sorted(pairs["model_label"].dropna().unique(), key=str)
    human_labels = sorted(pairs["human_label"].dropna().unique(), key=str)
    rows = pairs["model_label"].where(pairs["model_label"].notna(), MISSED)
    columns = pairs["human_label"].where(pairs["human_label"].notna(), SPURIOUS)
    table = (
        pd.crosstab(rows, columns)
        .reindex(index=[*model_labels, MISSED], columns=[*human_labels, SPURIOUS], fill_value=0)
        .astype(np.int64)
    )
    table.index.name, table.columns.name = "model", "human"
    return BoxConfusion(table=table, pairs=pairs, iou_threshold=thr)


# ---------------------------------------------------------------------------
# COCO average precision
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class APResult:
    """Average precision per label and its mean. ``float(result)`` is :attr:`value`.

    Attributes
    ----------
    value:
        Mean of ``per_label["ap"]`` over the labels with at least one human box (COCO's
        mean: a label nobody drew has no recall, so no AP). NaN when there is none.
    per_label:
        Indexed by label: ``ap``, ``n_human`` (people's boxes), ``n_model`` (model boxes
        evaluated, after ``max_dets``); :func:`coco_map` adds ``ap50`` and ``ap75``.
    iou_thresholds:
        The IoU thresholds averaged over.
    max_dets:
        Highest-scoring model boxes kept per image and label.
    note:
        Plain-language summary.
    """

    value: float
    per_label: pd.DataFrame = field(repr=False)
    iou_thresholds: tuple[float, ...] = (0.5,)
    max_dets: int = 100
    note: str = ""

    def __float__(self) -> float:
        return float(self.value)

    def __format__(self, spec: str) -> str:
        return format(float(self.value), spec) if spec else repr(self)


def _xywh(xyxy: np.ndarray) -> np.ndarray:
    return np.column_stack([xyxy[:, 0], xyxy[:, 1], xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]])


def _coco_iou(d: np.ndarray, g: np.ndarray) -> np.ndarray:
    """IoU of xywh boxes, with the operations of pycocotools' ``bbIou`` (maskApi.c) in its
    order (right edge = x + w, no +1), so that a pair exactly at a threshold falls on the
    same side as in COCOeval."""
    iw = np.minimum(d[:, None, 2] + d[:, None, 0], g[None, :, 2] + g[None, :, 0]) - np.maximum(
        d[:, None, 0], g[None, :, 0]
    )
    ih = np.minimum(d[:, None, 3] + d[:, None, 1], g[None, :, 3] + g[None, :, 1]) - np.maximum(
        d[:, None, 1], g[None, :, 1]
    )
    ok = (iw > 0) & (ih > 0)
    inter = np.where(ok, iw * ih, 0.0)
    union = (d[:, 2] * d[:, 3])[:, None] + (g[:, 2] * g[:, 3])[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=ok)


def _greedy_coco(ious: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """COCOeval.evaluateImg's matching at every threshold at once: detections in score
    order each take the still-free human box of highest IoU >= the threshold (the last
    one on ties, as COCOeval does). Returns a (thresholds x detections) matched mask."""
    n_t = thresholds.size
    n_d, n_g = ious.shape
    dt_matched = np.zeros((n_t, n_d), dtype=bool)
    if n_g == 0:
        return dt_matched
    thr = np.minimum(thresholds, 1 - 1e-10)  # as COCOeval: IoU 1.0 must stay reachable
    gt_taken = np.zeros((n_t, n_g), dtype=bool)
    ts = np.arange(n_t)
    for d in range(n_d):
        cand = np.where(gt_taken, -np.inf, ious[d][None, :])
        best = n_g - 1 - cand[:, ::-1].argmax(axis=1)
        ok = cand[ts, best] >= thr
        dt_matched[ok, d] = True
        gt_taken[ts[ok], best[ok]] = True
    return dt_matched


def _precision_curve(matched: np.ndarray, scores: np.ndarray, n_gt: int) -> np.ndarray:
    """COCOeval.accumulate for one label: the 101-point interpolated precision per threshold."""
    order = np.argsort(-scores, kind="mergesort")  # COCOeval's sort: stable, ties keep image order
    tps = matched[:, order]
    tp = np.cumsum(tps, axis=1).astype(float)
    fp = np.cumsum(~tps, axis=1).astype(float)
    q = np.zeros((matched.shape[0], _COCO_RECALLS.size))
    nd = tp.shape[1]
    if nd == 0:
        return q
    rc = tp / n_gt
    pr = tp / (fp + tp + np.spacing(1))
    pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]  # the monotone envelope
    for t in range(matched.shape[0]):
        idx = np.searchsorted(rc[t], _COCO_RECALLS, side="left")
        hit = idx < nd  # recall levels never reached keep precision 0
        q[t, hit] = pr[t, idx[hit]]
    return q


def _coco_ap(
    model_boxes_per_image: Any,
    human_boxes_per_image: Any,
    thresholds: np.ndarray,
    labels: Sequence[Any] | None,
    max_dets: int,
) -> tuple[np.ndarray, list[Any], np.ndarray, np.ndarray]:
    """AP (thresholds x labels, NaN for a label with no human box), labels, n_human, n_model."""
    if int(max_dets) != max_dets or max_dets < 1:
        raise ValueError(f"max_dets: must be a positive integer, got {max_dets!r}")
    images = []
    for img, mb_raw, hb_raw in _per_image(model_boxes_per_image, human_boxes_per_image):
        ma, ha = f"model_boxes_per_image[{img!r}]", f"human_boxes_per_image[{img!r}]"
        mb, hb = _box_list(mb_raw, ma), _box_list(hb_raw, ha)
        score_list = []
        for k, b in enumerate(mb):
            s = b.get("score")
            try:
                s = float(s) if s is not None else np.nan
            except (TypeError, ValueError):
                s = np.nan
            if not np.isfinite(s):
                raise ValueError(
                    f"model_boxes_per_image: image {img!r}, box {k} has no score ({b.get('score')!r}); "
                    "average precision ranks the model's boxes by score"
                )
            score_list.append(s)
        images.append(
            (
                _xywh(_coords(mb, ma)),
                _labels(mb, ma),
                np.array(score_list, dtype=float),
                _xywh(_coords(hb, ha)),
                _labels(hb, ha),
            )
        )
    if labels is None:
        labels = sorted({lab for im in images for lab in (*im[1], *im[4])}, key=str)
    else:
        labels = list(labels)
        if len(set(labels)) != len(labels):
            raise ValueError("labels: contains duplicates")
    n_t = thresholds.size
    ap = np.full((n_t, len(labels)), np.nan)
    n_human = np.zeros(len(labels), dtype=np.int64)
    n_model = np.zeros(len(labels), dtype=np.int64)
    for c, lab in enumerate(labels):
        matched: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for d_all, d_lab, d_score, g_all, g_lab in images:
            g = g_all[[x == lab for x in g_lab]] if g_lab else g_all
            sel = np.flatnonzero([x == lab for x in d_lab]).astype(np.int64)
            # highest scores first (stable, as COCOeval), at most max_dets per image and label
            sel = sel[np.argsort(-d_score[sel], kind="mergesort")][: int(max_dets)]
            n_human[c] += len(g)
            n_model[c] += sel.size
            matched.append(_greedy_coco(_coco_iou(d_all[sel], g), thresholds))
            scores.append(d_score[sel])
        if n_human[c] == 0:
            continue  # COCOeval leaves precision at -1: no AP, left out of the mean
        q = _precision_curve(np.concatenate(matched, axis=1), np.concatenate(scores), int(n_human[c]))
        ap[:, c] = q.mean(axis=1)
    return ap, list(labels), n_human, n_model


def _ap_result(
    ap: np.ndarray,
    labels: list[Any],
    n_human: np.ndarray,
    n_model: np.ndarray,
    thresholds: np.ndarray,
    max_dets: int,
    what: str,
) -> APResult:
    per_label = pd.DataFrame(
        {"ap": ap.mean(axis=0), "n_human": n_human, "n_model": n_model},
        index=pd.Index(labels, name="label", dtype=object),
    )
    if thresholds.size > 1:
        for t, name in ((0.5, "ap50"), (0.75, "ap75")):
            per_label[name] = ap[int(np.argmin(np.abs(thresholds - t)))]
    have = per_label["ap"].notna()
    if not have.any():
        warnings.warn(
            f"{what} is undefined: no label has a human box; returning NaN",
            UndefinedAgreementWarning,
            stacklevel=3,
        )
        value = float("nan")
    else:
        value = float(per_label.loc[have, "ap"].mean())
    no_gt = [str(x) for x in per_label.index[~have]]
    note = (
        f"{what} over {int(have.sum())} label(s) with human boxes, COCO's way (greedy matching by score per "
        f"label, 101-point interpolated precision, at most {max_dets} model boxes per image and label)"
        + (f"; no human box, so no AP, for: {', '.join(no_gt)}" if no_gt else "")
    )
    thr = tuple(round(float(t), 10) for t in thresholds)
    return APResult(value, per_label, thr, int(max_dets), note)


def average_precision(
    model_boxes_per_image: Any,
    human_boxes_per_image: Any,
    iou_threshold: float = 0.5,
    labels: Sequence[Any] | None = None,
    max_dets: int = 100,
) -> APResult:
    """Average precision of the model's boxes against the people's, per label, as COCO
    computes it; equal to ``pycocotools.cocoeval.COCOeval`` (``iouType="bbox"``).

    Per label and image the model's boxes are sorted by score (highest first, ties in
    list order) and cut to ``max_dets``; each takes the free human box of highest IoU
    >= ``iou_threshold`` (greedy, not Hungarian: that is what COCO does). Over all
    images the matches ranked by score give precision and recall; AP is the mean of the
    monotone precision envelope at the 101 recall levels 0, 0.01, ..., 1. IoU uses the
    widths and heights as given (no +1). Area range "all", no crowd boxes.

    As in COCOeval, ``max_dets`` applies per image *and label*, and a label with no
    human box has no AP (NaN, left out of the mean). Model boxes of a label outside
    ``labels`` are not evaluated. Equal scores across images rank in image order
    (COCOeval: by image id, so number the images in this order to compare).

    Parameters
    ----------
    model_boxes_per_image, human_boxes_per_image:
        ``{image_id: boxes}`` mappings with the same images, or lists in the same image
        order. Every model box needs a ``score``.
    iou_threshold:
        IoU a detection needs to match, in (0, 1].
    labels:
        Labels to evaluate (default: every label of either side, sorted).
    max_dets:
        Highest-scoring model boxes kept per image and label.

    Raises
    ------
    ValueError
        A model box without a score (naming the image and the box), images that differ
        between the two sides.
    """
    thresholds = np.array([_check_threshold(iou_threshold)])
    ap, labs, n_h, n_m = _coco_ap(model_boxes_per_image, human_boxes_per_image, thresholds, labels, max_dets)
    return _ap_result(ap, labs, n_h, n_m, thresholds, max_dets, f"AP@{iou_threshold:g}")


def coco_map(
    model_boxes_per_image: Any,
    human_boxes_per_image: Any,
    labels: Sequence[Any] | None = None,
    max_dets: int = 100,
) -> APResult:
    """COCO's mAP: :func:`average_precision` averaged over the IoU thresholds 0.50, 0.55,
    ..., 0.95 (``COCOeval.stats[0]``). ``per_label`` holds the per-label AP over the ten
    thresholds in ``ap`` and COCO's AP50 / AP75 in ``ap50`` / ``ap75``."""
    ap, labs, n_h, n_m = _coco_ap(model_boxes_per_image, human_boxes_per_image, _COCO_IOUS, labels, max_dets)
    return _ap_result(ap, labs, n_h, n_m, _COCO_IOUS, max_dets, "mAP@[0.50:0.95]")


# ---------------------------------------------------------------------------
# agreement between annotators
# ---------------------------------------------------------------------------
_STATS = ("mean_iou", "matched_share", "label_agreement")


@dataclass(frozen=True)
class BoxAgreementResult:
    """How well several people's boxes on the same images agree (see :func:`box_agreement`).

    Attributes
    ----------
    mean_iou:
        Mean IoU of the matched box pairs.
    matched_share:
        ``2 * matched / (n_a + n_b)`` pooled over all (image, annotator pair)
        comparisons: 1 when both always drew the same objects (F1 of one against the other).
    label_agreement:
        Share of matched pairs given the same label.
    n_images:
        Images with boxes from at least two annotators.
    n_comparisons:
        (image, annotator pair) comparisons.
    per_pair:
        The three statistics per annotator pair (``annotator_a``, ``annotator_b``,
        ``n_images``, ``n_boxes``, ``n_matched``, ...) with their intervals
        (``mean_iou_low`` ... ``label_agreement_high``) when computed.
    per_label:
        Per label: ``n_pairs`` (matched pairs where at least one of the two gave the
        label) and ``specific_agreement`` ``2 * both / (2 * both + one)``.
    per_image:
        One row per comparison, to find the images people disagree on.
    ci:
        Bootstrap interval (images resampled) of each statistic: index
        ``mean_iou, matched_share, label_agreement``, columns ``low, high``; None when
        ``n_boot=0``.
    note:
        Plain-language summary.
    """

    mean_iou: float
    matched_share: float
    label_agreement: float
    n_images: int
    n_comparisons: int
    per_pair: pd.DataFrame = field(repr=False)
    per_label: pd.DataFrame = field(repr=False)
    per_image: pd.DataFrame = field(repr=False)
    ci: pd.DataFrame | None = field(default=None, repr=False)
    note: str = ""


def _pooled(iou_sum: Any, matched: Any, n_boxes: Any, same: Any) -> np.ndarray:
    """mean IoU, matched share, label agreement from summed counts (NaN where undefined)."""
    num = np.array([iou_sum, 2 * np.asarray(matched), same], dtype=float)
    den = np.array([matched, n_boxes, matched], dtype=float)
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def _comparisons(
    ratings: pd.DataFrame, item: str, annotator: str, boxes: str, thr: float
) -> tuple[pd.DataFrame, dict[Any, list[int]]]:
    """One row per (image, annotator pair) with its match counts, and per label the matched
    pairs where both / only one of the two gave it."""
    if not isinstance(ratings, pd.DataFrame):
        raise ValueError(f"ratings: expected a long DataFrame, got {type(ratings).__name__}")
    missing = [
        f"{k}={v!r}"
        for k, v in {"item": item, "annotator": annotator, "boxes": boxes}.items()
        if v not in ratings.columns
    ]
    if missing:
        raise ValueError(
            f"ratings: missing column(s) {', '.join(missing)}; available columns: {list(ratings.columns)}"
        )
    dup = ratings.duplicated([item, annotator])
    if dup.any():
        first = ratings[dup].iloc[0]
        raise ValueError(
            f"ratings: annotator {first[annotator]!r} has more than one row for image {first[item]!r} "
            f"(columns {item!r}/{annotator!r}); each annotator may give one list of boxes per image"
        )
    order = {a: k for k, a in enumerate(pd.unique(ratings[annotator]))}  # pairs named in first-seen order

    comps: list[dict[str, Any]] = []
    label_counts: dict[Any, list[int]] = {}  # label -> [both, one]
    for img, grp in ratings.groupby(item, sort=False):
        people = sorted(zip(grp[annotator], grp[boxes], strict=True), key=lambda p: order[p[0]])
        parsed = []
        for who, bx in people:
            arg = f"ratings[{boxes!r}] (image {img!r}, annotator {who!r})"
            lst = _box_list(bx, arg)
            parsed.append((who, _coords(lst, arg), _labels(lst, arg)))
        for a in range(len(parsed)):
            for b in range(a + 1, len(parsed)):
                (wa, ca, la), (wb, cb, lb) = parsed[a], parsed[b]
                ious = _iou(ca, cb)
                pairs = _assign(ious, thr)
                same = 0
                for i, j in pairs:
                    if la[i] == lb[j]:
                        same += 1
                        label_counts.setdefault(la[i], [0, 0])[0] += 1
                    else:
                        label_counts.setdefault(la[i], [0, 0])[1] += 1
                        label_counts.setdefault(lb[j], [0, 0])[1] += 1
                comps.append(
                    {
                        "image": img,
                        "annotator_a": wa,
                        "annotator_b": wb,
                        "n_a": len(la),
                        "n_b": len(lb),
                        "n_matched": len(pairs),
                        "iou_sum": float(sum(ious[i, j] for i, j in pairs)),
                        "n_same_label": same,
                    }
                )
    per_image = pd.DataFrame(
        comps,
        columns=["image", "annotator_a", "annotator_b", "n_a", "n_b", "n_matched", "iou_sum", "n_same_label"],
    )
    return per_image, label_counts


def box_agreement(
    ratings: pd.DataFrame,
    *,
    item: str = "item",
    annotator: str = "annotator",
    boxes: str = "boxes",
    iou_threshold: float = 0.5,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int | None = 0,
) -> BoxAgreementResult:
    """Agreement between people who drew boxes on the same images.

    For every image and every pair of annotators on it, their boxes are matched
    (:func:`match_boxes`: Hungarian on IoU, labels ignored, IoU >= ``iou_threshold``).
    Reported overall and per annotator pair, pooled over the comparisons: the mean IoU of
    the matched boxes (how tightly people draw), the matched share ``2 * matched / (n_a +
    n_b)`` (do they see the same objects; an image both left empty adds nothing) and the
    share of matched pairs with the same label; per label, the specific agreement.

    Intervals are percentile bootstrap intervals resampling images
    (:func:`~hitl_widgets.metrics.bootstrap_ci`), the comparisons on an image staying together.

    Parameters
    ----------
    ratings:
        Long DataFrame, one row per (image, annotator), with the annotator's boxes as a
        list of canonical boxes (an empty list: the person found nothing).
    item, annotator, boxes:
        Column names.
    iou_threshold:
        Minimum IoU of a match, in (0, 1].
    n_boot, ci, seed:
        Bootstrap replicates (0: no intervals), coverage and seed.
    """
    thr = _check_threshold(iou_threshold)
    per_image, label_counts = _comparisons(ratings, item, annotator, boxes, thr)
    n_boxes = (per_image["n_a"] + per_image["n_b"]).to_numpy()
    stats = _pooled(per_image["iou_sum"], per_image["n_matched"], n_boxes, per_image["n_same_label"])
    for k, s in enumerate(_STATS):
        per_image[s] = stats[k]

    pair_keys = pd.MultiIndex.from_frame(per_image[["annotator_a", "annotator_b"]])
    pair_codes, pair_index = pd.factorize(pair_keys, sort=False)
    n_pairs = len(pair_index)
    img_codes, img_index = pd.factorize(per_image["image"], sort=False)
    n_img = len(img_index)
    # per (image, annotator pair) sums: a bootstrap replicate only reweights these
    cube = np.zeros((4, n_img, n_pairs))
    for k, col in enumerate(("iou_sum", "n_matched", "n_a", "n_same_label")):
        vals = per_image[col].to_numpy(dtype=float) + (per_image["n_b"].to_numpy() if col == "n_a" else 0)
        np.add.at(cube[k], (img_codes, pair_codes), vals)

    def summary(weights: np.ndarray) -> np.ndarray:
        """(3 stats, 1 + n_pairs scopes): overall, then each pair."""
        sums = np.einsum("kip,i->kp", cube, weights)
        scoped = np.concatenate([sums.sum(axis=1, keepdims=True), sums], axis=1)
        return _pooled(*scoped)

    point = summary(np.ones(n_img))
    per_pair = pd.DataFrame(
        {
            "annotator_a": [p[0] for p in pair_index],
            "annotator_b": [p[1] for p in pair_index],
            "n_images": np.bincount(pair_codes, minlength=n_pairs),
            "n_boxes": cube[2].sum(axis=0).astype(np.int64),
            "n_matched": cube[1].sum(axis=0).astype(np.int64),
            **{s: point[k, 1:] for k, s in enumerate(_STATS)},
        }
    )

    interval = None
    if n_boot and n_img:
        keys = pd.MultiIndex.from_product([range(-1, n_pairs), _STATS])

        def replicate(r: Any) -> pd.Series:
            w = np.bincount(img_index.get_indexer(r.items), minlength=n_img).astype(float)
            return pd.Series(summary(w).T.ravel(), index=keys)

        long = pd.DataFrame({"image": per_image["image"].drop_duplicates().to_numpy()})
        long["annotator"], long["label"] = 0, 0  # one rating per image: the images are what is resampled
        bounds = bootstrap_ci(replicate, long, n_boot=n_boot, ci=ci, seed=seed, item="image")
        assert isinstance(bounds, pd.DataFrame)  # a Series metric gives one interval per entry
        interval = pd.DataFrame(bounds.loc[-1]).reindex(list(_STATS))
        for s in _STATS:
            for side in ("low", "high"):
                per_pair[f"{s}_{side}"] = np.array(
                    [bounds.loc[(p, s), side] for p in range(n_pairs)], dtype=float
                )

    per_label = pd.DataFrame(
        [(lab, both + one, 2 * both / (2 * both + one)) for lab, (both, one) in label_counts.items()],
        columns=["label", "n_pairs", "specific_agreement"],
    ).sort_values("label", key=lambda s: s.astype(str), ignore_index=True)

    mean_iou, matched_share, label_agreement = (float(v) for v in point[:, 0])
    note = (
        f"{len(per_image)} comparison(s) of {n_pairs} annotator pair(s) on {n_img} image(s), boxes matched at "
        f"IoU >= {thr:g}: mean IoU {mean_iou:.3f}, matched share {matched_share:.3f}, "
        f"same label {label_agreement:.3f}"
    )
    if not n_img:
        note = "no image has boxes from two or more annotators: nothing to compare"
    return BoxAgreementResult(
        mean_iou,
        matched_share,
        label_agreement,
        n_img,
        len(per_image),
        per_pair,
        per_label,
        per_image,
        interval,
        note,
    )
