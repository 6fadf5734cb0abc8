"""BoxReview: check and fix a model's bounding boxes from the keyboard (or the mouse),
one image, or one small part of a crowded image, at a time.

The browser edits the boxes (js/src/widgets/box.ts) and sends the result with the
decision; the kernel checks it against the image (inside it, labels of the set, unique
ids) and stores, with every decision, the boxes before and after in original-image
pixels, each operation with its time, the time per box, the image's size and hash, and
what changed (kept / moved / relabelled / deleted / added, `metrics.box_changes`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar, Literal, Unpack

import pandas as pd

from ..items.box import BoxFormat, Task, merge_tasks
from ..items.box_review import BoxReviewItems, clean_box_ms, clean_ops, validate_box_review
from ..items.image import ImageData
from ..items.image_review import MAX_SIDE
from ..store import Action, Store, using_store
from ._base import STATIC, ReviewWidget
from ._options import ReviewOptions, resolve_options
from ._protocol import Decision
from .image import image_buffers

_BOX_KEYS = ("id", "x1", "y1", "x2", "y2", "label")


class BoxReview(ReviewWidget[BoxReviewItems]):
    """Review a model's bounding boxes on a DataFrame of images, from the keyboard.

    >>> review = BoxReview(df, image="path", boxes="pred_boxes", labels=["car", "person"])  # doctest: +SKIP
    >>> review                                                                               # doctest: +SKIP

    Keys: Enter / A accept the boxes as shown (unchanged: ``accept``; changed: ``edit``
    with the boxes after), Tab / Shift+Tab select a box (or click it), 1-9 relabel it,
    arrows move it (Shift: 10 px), Alt+arrows resize it, Delete / X delete it, N draw a
    new box (drag; N again drops one at the centre), R redraw the selected box, H hide
    the boxes, + / - / 0 zoom (or the mouse wheel), I J K L pan (or drag with Space
    held), Z undo the last box change (then the last decision), F flag, S skip, arrows
    without a selection move between images, ? every key.

    From Python (scripted or simulated review): `accept()`, `edit(boxes)`, `flag()`,
    `skip()`, `undo()` act on the current entry; `results()` gives one row per image
    with the boxes after review (the parts of a split image merged back).

    Parameters
    ----------
    df:
        One row per image. Not copied: only the rows the browser asks for are sent.
    image:
        Column with the images (file paths, encoded bytes, PIL images or numpy arrays).
    boxes:
        Column with the model's boxes per row (a list; see `items.to_canonical` for the
        forms a row may take), in `box_format`: ``"xyxy"``, ``"xywh"``, ``"cxcywh"``
        (pixels), ``"coco"`` (dicts with ``"bbox"``) or ``"yolo"`` (normalised).
    labels:
        The label set; 1-9 relabel the selected box to the first nine.
    box_labels:
        Optional column with one list of labels per row (when the boxes carry none).
    scores:
        True: show the scores the boxes carry; False: show none; or a column with one
        list of scores per row.
    categories:
        For ``"coco"`` boxes with ``category_id``: ``{id: label}``.
    id:
        Column with image ids; default the frame's index.
    max_boxes, split_by:
        An image whose model proposes more than `max_boxes` boxes becomes several
        entries: one per label (``split_by="label"``, cut further when a label has more)
        or tiles of the image (``"tile"``), each at most `max_boxes` boxes;
        `results()` merges them back into one set of boxes per image.
    fields:
        Columns shown under the image (as text).
    max_side:
        Longest side, in pixels, of an image as sent (a larger one is sent as a preview;
        coordinates stay in original pixels).
    **options:
        Every review's options (`ReviewOptions`); ``task`` defaults to ``"boxes"``.
        ``gold`` and ``blind`` are not available for boxes.
    """

    _esm = STATIC / "box.js"
    _css = STATIC / "box.css"

    kind_actions: ClassVar[frozenset[str]] = frozenset({Action.ACCEPT, Action.EDIT, Action.FLAG})
    model_fields: ClassVar[tuple[str, ...]] = ("boxes", "context")

    def __init__(
        self,
        df: Any,
        image: Hashable = "image",
        boxes: Hashable = "boxes",
        labels: Sequence[Any] | None = None,
        *,
        box_format: BoxFormat = "xyxy",
        box_labels: Hashable | None = None,
        scores: bool | Hashable = True,
        categories: Mapping[Any, Any] | None = None,
        id: Hashable | None = None,
        max_boxes: int | None = None,
        split_by: Literal["label", "tile"] = "label",
        fields: Sequence[Hashable] | None = None,
        max_side: int = MAX_SIDE,
        **options: Unpack[ReviewOptions],
    ) -> None:
        opts = resolve_options(dict(options), task="boxes", prefetch=6)
        if opts.gold is not None:
            raise ValueError(
                "gold: BoxReview has no gold items (a box set has no single right answer to compare)"
            )
        if opts.blind:
            raise ValueError("blind: BoxReview shows the model's boxes to be checked; it cannot be blind")
        items = validate_box_review(
            df,
            image=image,
            boxes=boxes,
            labels=labels,
            box_format=box_format,
            box_labels=box_labels,
            scores=scores,
            categories=categories,
            id=id,
            max_boxes=max_boxes,
            split_by=split_by,
            fields=fields,
            max_side=max_side,
        )
        cfg: dict[str, Any] = {
            "show_scores": items.show_scores,
            "page_size": 4,  # images are heavy: small pages, prefetched ahead
            "window": max(32, 2 * opts.prefetch),
        }
        super().__init__(items, opts, config=cfg, labels=items.labels)

    # -- the kernel's side of a decision ------------------------------------------
    def _item_buffers(self, items: list[dict[str, Any]]) -> list[bytes]:
        return image_buffers(self._items, self._served, items)

    def _full_image(self, pos: int) -> ImageData:
        """The original image of entry `pos` (the browser asks when a preview is zoomed
        past its resolution); a ValueError when it changed since validation."""
        return self._items.images[self._items.row(pos)]

    def _from_earlier_session(self, d: Decision) -> bool:
        return bool(d["session_id"]) and d["session_id"] != self.session_id

    def _check_decision(self, d: Decision, pos: int | None) -> None:
        data = d["data"] or {}
        if not isinstance(data, Mapping):
            raise ValueError("data must be a dict")
        if d["action"] == Action.EDIT:
            if "boxes" not in data:
                raise ValueError("edit: the boxes after review are missing (data.boxes)")
            strict = not self._from_earlier_session(d)
            self._items.check_result(data["boxes"], pos, strict_labels=strict)
        if d["action"] in (Action.ACCEPT, Action.EDIT, Action.FLAG):
            clean_ops(data.get("ops"))
            clean_box_ms(data.get("box_ms"))

    def _event_fields(self, d: Decision, pos: int | None) -> dict[str, Any]:
        action = d["action"]
        if action not in (Action.ACCEPT, Action.EDIT, Action.FLAG):
            return {}
        sent = dict(d["data"] or {})
        if pos is None:  # an entry this frame no longer holds: kept as the browser sent it
            return {"data": sent or None}
        items = self._items
        before = [{**{k: b[k] for k in _BOX_KEYS}, "score": b.get("score")} for b in items.model_boxes(pos)]
        strict = not self._from_earlier_session(d)
        if action == Action.EDIT:
            after: list[dict[str, Any]] | None = items.check_result(sent["boxes"], pos, strict_labels=strict)
        elif action == Action.ACCEPT:
            after = [{k: b[k] for k in _BOX_KEYS} for b in before]
        else:  # a flag keeps the boxes as they were when flagged, if the browser sent them
            after = items.check_result(sent["boxes"], pos, strict_labels=strict) if "boxes" in sent else None
        ops, cut = clean_ops(sent.get("ops"))
        w, h = items.size(pos)
        data: dict[str, Any] = {
            "image_id": items.image_id(pos),
            "image": {"width": w, "height": h, "sha256": items.images.sha256[items.row(pos)]},
            "task": {**items.task_info(pos), "box_ids": list(items.entries[pos].box_ids)},
            "boxes_before": before,
            "boxes_after": after,
            "ops": ops,
            "box_ms": clean_box_ms(sent.get("box_ms")),
        }
        if cut:
            data["ops_cut"] = True
        if after is not None:
            data["changes"] = change_counts(before, after)
        if isinstance(sent.get("zoom"), (int, float)):
            data["zoom"] = float(sent["zoom"])
        return {"data": data}

    # -- Python actions ------------------------------------------------------------
    def accept(self, *, duration_ms: float | None = None) -> None:
        """Accept the current entry's model boxes as they are."""
        self._decide_here(Action.ACCEPT, duration_ms=duration_ms)

    def edit(
        self,
        boxes: Sequence[Mapping[str, Any]],
        *,
        ops: Sequence[Mapping[str, Any]] | None = None,
        duration_ms: float | None = None,
    ) -> None:
        """Set the current entry's boxes to `boxes`: canonical dicts (x1, y1, x2, y2 in
        original pixels, label, and id: a model box's id for a box kept or changed, any
        other id for a new one; a box without an id is new)."""
        cur = self.current
        if cur is None:
            raise IndexError("the review queue is empty: every item has been handled")
        model_ids = {b["id"] for b in cur["boxes"]}
        given: list[dict[str, Any]] = []
        fresh = 0
        for b in boxes:
            box = dict(b)
            if not isinstance(box.get("id"), str):
                fresh += 1
                while f"new-{fresh}" in model_ids:
                    fresh += 1
                box["id"] = f"new-{fresh}"
            given.append(box)
        pos = self._position(str(cur["item_id"]))
        self._items.check_result(given, pos)  # refuse here, before anything is stored
        self._decide_here(Action.EDIT, data={"boxes": given, "ops": list(ops or [])}, duration_ms=duration_ms)

    # -- results -------------------------------------------------------------------
    def results(self) -> pd.DataFrame:
        """One row per image of this review, for this annotator: ``image_id``,
        ``boxes`` (after review, the parts of a split image merged; None until every
        part is decided), ``parts``, ``parts_decided``, ``flagged`` (a part flagged),
        ``changes`` (counts of kept / moved / ... boxes)."""
        return box_results(self._store, task=self._task, annotator=self._annotator, items=self._items)


def change_counts(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many boxes were kept, moved, relabelled, moved+relabelled, deleted, added."""
    from ..metrics.boxes import CHANGE_KINDS, box_changes

    if not before and not after:
        return {k: 0 for k in CHANGE_KINDS}
    counts = box_changes(list(before), list(after))["change"].value_counts()
    return {k: int(counts.get(k, 0)) for k in CHANGE_KINDS}


def box_results(
    store: Store | str,
    *,
    task: str = "boxes",
    annotator: str | None = None,
    items: BoxReviewItems | None = None,
) -> pd.DataFrame:
    """The boxes after review per image and annotator, from the store alone (each
    decision keeps its entry's boxes before and after). A split image's parts are
    merged (`items.merge_tasks`) once every part is decided; with `items` (a review's
    entries), images no one decided are listed too, and every part must be decided.

    Columns: ``image_id``, ``annotator``, ``boxes``, ``parts``, ``parts_decided``,
    ``flagged``, ``changes``.
    """
    from ..metrics.boxes import CHANGE_KINDS

    with using_store(store, create=False) as st:
        d = st.decisions(task, annotator=annotator)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in d.itertuples(index=False):
        data: Mapping[str, Any] = rec.data if isinstance(rec.data, Mapping) else {}
        image_id = data.get("image_id")
        if not isinstance(image_id, str):
            continue
        key = (image_id, str(rec.annotator))
        r = rows.setdefault(key, {"entries": {}, "flagged": False})
        r["entries"][str(rec.item_id)] = data
        if rec.status == "flagged":
            r["flagged"] = True
    expected: dict[str, list[Task]] = {}
    if items is not None:
        for t in items.entries:
            expected.setdefault(t.item_id, []).append(t)
        if annotator is not None:
            for image_id in expected:
                rows.setdefault((image_id, annotator), {"entries": {}, "flagged": False})
    out = []
    for (image_id, who), r in rows.items():
        entries: dict[str, Any] = r["entries"]
        tasks = expected.get(image_id) or [
            Task(
                tid,
                image_id,
                tuple(data.get("task", {}).get("box_ids") or [b["id"] for b in data["boxes_before"]]),
            )
            for tid, data in entries.items()
        ]
        if items is None:  # from the store alone: every part an entry names must be there
            parts = max((int(data.get("task", {}).get("parts", 1)) for data in entries.values()), default=1)
        else:
            parts = len(tasks)
        decided = [
            t for t in tasks if t.task_id in entries and entries[t.task_id].get("boxes_after") is not None
        ]
        boxes = None
        if len(decided) == parts and len(decided) == len(tasks):
            results = {t.task_id: entries[t.task_id]["boxes_after"] for t in tasks}
            boxes = merge_tasks(image_id, tasks, results)
        changes = dict.fromkeys(CHANGE_KINDS, 0)
        for data in entries.values():
            for k, v in (data.get("changes") or {}).items():
                if k in changes:
                    changes[k] += int(v)
        out.append(
            {
                "image_id": image_id,
                "annotator": who,
                "boxes": boxes,
                "parts": parts,
                "parts_decided": len(decided),
                "flagged": r["flagged"],
                "changes": changes,
            }
        )
    cols = ["image_id", "annotator", "boxes", "parts", "parts_decided", "flagged", "changes"]
    return pd.DataFrame(out, columns=cols)
