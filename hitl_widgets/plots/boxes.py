"""The human-vs-model picture for bounding boxes as a clickable heatmap (plotly).

* :func:`box_confusion_matrix` - model label x human label of the matched boxes, with the
  model boxes nobody kept (column ``"(spurious)"``) and the people's boxes the model did
  not propose (row ``"(missed)"``) set apart; clicking a cell lists its images and the
  boxes concerned (ids and coordinates).

The counts are :func:`hitl_widgets.metrics.box_confusion`'s table, in its orientation
(rows: the model's labels, then ``"(missed)"``; columns: the people's labels, then
``"(spurious)"``). The click machinery is the text confusion matrix's
(:class:`~hitl_widgets.plots.agreement._ViewBase`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from ..metrics.boxes import _COORDS, MISSED, SPURIOUS, BoxConfusion, box_confusion
from .agreement import _plural, _scroll_into_view, _side_by_side, _ViewBase, _widgets

__all__ = ["BoxCell", "box_confusion_matrix"]

_SIDES = ("model", "human")
#: Columns of :attr:`BoxCell.boxes`.
CELL_COLUMNS = [
    "image",
    "outcome",
    "iou",
    *(f"{side}_{k}" for side in _SIDES for k in ("index", "id", "label", *_COORDS)),
]


@dataclass(frozen=True)
class BoxCell:
    """What a click on a cell of :func:`box_confusion_matrix` gives.

    Attributes
    ----------
    model_label, human_label:
        The cell (row, column) as shown; ``"(missed)"`` / ``"(spurious)"`` for the
        boxes one side has and the other has not.
    images:
        The images (ids as given to :func:`~hitl_widgets.metrics.box_confusion`) with at
        least one box in the cell, in the order of the data.
    boxes:
        One row per matched pair or unmatched box of the cell: ``image``, ``outcome``,
        ``iou`` and, per side (``model_`` / ``human_``), ``index`` (position in that
        image's list), ``id`` (the box's ``"id"``, None without one), ``label`` and
        ``x1, y1, x2, y2`` (NaN / None on the side without a box).
    """

    model_label: str
    human_label: str
    images: list[Any]
    boxes: pd.DataFrame = field(repr=False)

    def box_ids(self, side: str = "model") -> list[Any]:
        """The ids of the cell's ``side`` (``"model"`` or ``"human"``) boxes, in row order
        (None for a box without an id; rows without a box on that side are left out)."""
        if side not in _SIDES:
            raise ValueError(f"side: must be 'model' or 'human', got {side!r}")
        has = self.boxes[f"{side}_index"].notna()
        return list(self.boxes.loc[has, f"{side}_id"])


def _confusion(data: Any, human: Any, iou_threshold: float) -> BoxConfusion:
    """``data`` as a BoxConfusion (computed from model and human boxes when needed)."""
    if isinstance(data, BoxConfusion):
        if human is not None:
            raise ValueError(
                "human_boxes_per_image: give it only with the model's boxes, not with a BoxConfusion result"
            )
        return data
    if human is None:
        raise ValueError(
            "human_boxes_per_image: needed with the model's boxes (or pass a BoxConfusion "
            "from hitl_widgets.metrics.box_confusion as data)"
        )
    return box_confusion(data, human, iou_threshold)


def _box_fields(box: Any, index: Any, side: str) -> dict[str, Any]:
    has = isinstance(box, Mapping) and not pd.isna(index)
    out: dict[str, Any] = {
        f"{side}_index": int(index) if has else None,
        f"{side}_id": box.get("id") if has else None,
        f"{side}_label": box.get("label") if has else None,
    }
    for c in _COORDS:
        out[f"{side}_{c}"] = float(box[c]) if has else math.nan
    return out


def _cell_frames(pairs: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """{(row, column) as shown: the cell's boxes (CELL_COLUMNS)} from BoxConfusion.pairs."""
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in pairs.to_dict("records"):
        ml, hl = rec["model_label"], rec["human_label"]
        key = (
            MISSED if ml is None or (isinstance(ml, float) and ml != ml) else str(ml),
            SPURIOUS if hl is None or (isinstance(hl, float) and hl != hl) else str(hl),
        )
        iou = rec["iou"]
        r: dict[str, Any] = {
            "image": rec["image"],
            "outcome": rec["outcome"],
            "iou": math.nan if iou is None or iou is pd.NA else float(iou),
        }
        r.update(_box_fields(rec.get("model_box"), rec["model_index"], "model"))
        r.update(_box_fields(rec.get("human_box"), rec["human_index"], "human"))
        rows.setdefault(key, []).append(r)
    out = {}
    for k, v in rows.items():
        frame = pd.DataFrame(v, columns=CELL_COLUMNS)
        for side in _SIDES:
            frame[f"{side}_index"] = frame[f"{side}_index"].astype("Int64")
            for c in (f"{side}_id", f"{side}_label"):  # None, not NaN, where a box has none
                col = frame[c].astype(object)
                frame[c] = col.where(col.notna(), None)
        out[k] = frame
    return out


def _unique_images(frame: pd.DataFrame) -> list[Any]:
    """The images of a cell's boxes, each once, in the order of the data."""
    return list(dict.fromkeys(frame["image"]))


def _fmt_box(row: Mapping[str, Any], side: str) -> str:
    if pd.isna(row[f"{side}_index"]):
        return "-"
    name = f"#{row[f'{side}_index']}" if pd.isna(row[f"{side}_id"]) else row[f"{side}_id"]
    xy = ", ".join(f"{row[f'{side}_{c}']:g}" for c in _COORDS)
    return f"{side} box {name} ({row[f'{side}_label']}) [{xy}]"


def _cell_hover(
    row: str, col: str, n: int, n_images: int, row_share: float, total_share: float, recheck: bool
) -> str:
    """The hover of one cell; labels escaped (a label is data, never markup)."""
    head = f"model {escape(row)}<br>human {escape(col)}<br>"
    if not n:
        return head + "no boxes"
    what = f"{n} box{'' if n == 1 else 'es'} on {_plural(n_images, 'image')}"
    shares = f"<br>{row_share:.1%} of the row, {total_share:.1%} of all"
    does = "list and recheck" if recheck else "list"
    return head + what + shares + f"<br><i>click: {does} the {_plural(n_images, 'image')} and their boxes</i>"


class _BoxViewBase(_ViewBase):
    """The text view's click logic (``_on_click``, ``items_of``, ``_start_cell``), with a
    click that lists the cell's images and boxes, then (given the images' frame) opens a
    BoxReview on them."""

    cell_boxes: dict[tuple[str, str], pd.DataFrame]
    table: pd.DataFrame
    selection: BoxCell | None

    def cell(self, model_label: Any, human_label: Any) -> BoxCell:
        """The images and boxes of one cell (row ``model_label``, column ``human_label``)."""
        key = (str(model_label), str(human_label))
        frame = self.cell_boxes.get(key)
        if frame is None:
            frame = pd.DataFrame(columns=CELL_COLUMNS).astype({f"{s}_index": "Int64" for s in _SIDES})
        return BoxCell(key[0], key[1], _unique_images(frame), frame.reset_index(drop=True))

    def open_cell(self, row: Any, column: Any) -> BoxCell:
        """What a click on the cell does: lists its images and boxes (ids, labels,
        coordinates) in :attr:`output` as plain text and returns them as a
        :class:`BoxCell` (also kept in :attr:`selection`). Given the images' frame
        (``items=``), it also opens a BoxReview (``revisit=True``, task ``review_task``)
        on exactly the cell's images below the list, kept in :attr:`review`.

        ``row`` is the model's label (or ``"(missed)"``), ``column`` the people's label
        (or ``"(spurious)"``), as the figure shows them. ``items_of(row, column)`` gives
        the same images as str ids.
        """
        cell = self.cell(row, column)
        self._start_cell(
            f"model {cell.model_label} x human {cell.human_label}: "
            f"{len(cell.boxes)} box(es) on {_plural(len(cell.images), 'image')}\n"
        )
        lines = []
        for img in cell.images:
            lines.append(f"image {img}")
            for _, r in cell.boxes[cell.boxes["image"] == img].iterrows():
                iou = f" (IoU {r['iou']:.2f})" if r["iou"] == r["iou"] else ""
                lines.append(f"  {_fmt_box(r, 'model')} ~ {_fmt_box(r, 'human')}{iou}")
        if lines:
            self.output.append_stdout("\n".join(lines) + "\n")
        self.selection = cell
        if self._items is not None and cell.images:
            try:
                self.review = self._make_box_review([str(i) for i in cell.images])
            except ValueError as exc:  # said where the click is seen, then raised
                self.output.append_stdout(f"cannot recheck these images: {exc}\n")
                raise
            if self.review is None:
                self.output.append_stdout("(none of these images is in items: nothing to recheck)\n")
            else:
                self.output.append_display_data(self.review)
                self._scroll_marker = _scroll_into_view()
                self.output.append_display_data(self._scroll_marker)
        return cell

    def _make_box_review(self, ids: list[str]) -> Any:
        """A BoxReview on the rows of the images' frame whose id is one of `ids` (None
        when there is none)."""
        from ..widgets import BoxReview

        sub, _, kw = self._recheck_rows(ids)
        return BoxReview(sub, store=self._store, **kw) if len(sub) else None


_BOX_VIEW_CLASS: Any = None


def _view_class() -> Any:
    global _BOX_VIEW_CLASS
    if _BOX_VIEW_CLASS is None:
        w = _widgets()

        class BoxConfusionView(_BoxViewBase, w.VBox):  # type: ignore[misc, valid-type, name-defined]
            """The box confusion figure and, beside it, what a click on a cell lists.

            Attributes: ``figure`` (``go.FigureWidget``), ``output`` (``ipywidgets.Output``),
            ``table`` (the counts, as box_confusion's table with str labels), ``counts``
            (what the figure shows: counts or row shares), ``cell_items`` ({(model, human):
            image ids as str}), ``cell_boxes`` ({(model, human): boxes}), ``selection``
            (the :class:`BoxCell` last opened), ``cell(model, human)``,
            ``open_cell(model, human)``.
            """

        _BOX_VIEW_CLASS = BoxConfusionView
    return _BOX_VIEW_CLASS


def __getattr__(name: str) -> Any:  # BoxConfusionView, built on first use
    if name == "BoxConfusionView":
        return _view_class()
    raise AttributeError(name)


def box_confusion_matrix(
    data: Any,
    human_boxes_per_image: Any = None,
    *,
    iou_threshold: float = 0.5,
    normalize: bool = False,
    title: str | None = None,
    items: pd.DataFrame | None = None,
    store: Any = None,
    review_task: str = "recheck",
    annotator: str | None = None,
    review_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """Model label x human label for boxes as a clickable heatmap; a click lists the
    images and boxes behind the cell, and rechecks them in a BoxReview.

    The counts are :func:`~hitl_widgets.metrics.box_confusion`'s: on every image the
    model's boxes are matched to the people's (Hungarian on IoU, labels ignored); rows
    are the model's labels, columns the people's, and the row ``"(missed)"`` (a person's
    box the model did not propose) and column ``"(spurious)"`` (a model box nobody kept)
    are set apart by a dashed line. ``normalize=True`` colours each row's shares; the
    counts, the number of images and the shares of the row and of all boxes are in the
    hover either way.

    Clicking a cell (or calling ``view.open_cell(model_label, human_label)``) lists, in
    ``view.output``, the cell's images and each box concerned (its id, or its position
    when it has none, label and ``x1, y1, x2, y2``), and returns them as a
    :class:`BoxCell` (``images``, ``boxes``), kept in ``view.selection``. Given the
    images' frame (``items``), the click also opens a ``BoxReview`` on exactly the cell's
    images below the list (``revisit=True``, task ``review_task``, written to ``store``),
    kept in ``view.review``: where people and the model disagree, fixed there.

    Parameters
    ----------
    data:
        A :class:`~hitl_widgets.metrics.BoxConfusion`, or the model's boxes per image
        (``{image_id: boxes}`` or a list with one list per image) with
        ``human_boxes_per_image``.
    human_boxes_per_image:
        The people's boxes per image (only with the model's boxes).
    iou_threshold:
        Minimum IoU of a match when the confusion is computed here, in (0, 1].
    normalize:
        Colour by the share of the row instead of the count.
    title:
        The figure's title.
    items:
        The images' frame a recheck is built on: one row per image, its id in the column
        ``review_kwargs["id"]`` (else the index) as the confusion names it (the keys of
        the boxes per image, or their positions for lists). Without it a click lists only.
    store, review_task, annotator:
        Where the recheck is written, its task ("recheck") and who rechecks.
    review_kwargs:
        Passed to ``BoxReview``: at least ``image`` and ``boxes`` (the column of boxes the
        recheck starts from: the model's, or the people's answers to check); ``labels``
        defaults to every label of the figure.

    Returns
    -------
    BoxConfusionView
        An ``ipywidgets.VBox`` with ``.figure`` (``go.FigureWidget``), ``.output``,
        ``.table``, ``.counts``, ``.cell_items``, ``.cell_boxes``, ``.selection``,
        ``.review`` (the last recheck, or None), ``.cell(model_label, human_label)`` and
        ``.open_cell(model_label, human_label)``.

    Raises
    ------
    ValueError
        No boxes on either side (nothing to plot), ``human_boxes_per_image`` missing
        with the model's boxes or given with a BoxConfusion, ``items`` that is no
        DataFrame or ``review_kwargs`` without ``image`` and ``boxes``, and
        box_confusion's own errors (naming the argument).
    """
    import plotly.graph_objects as go

    kwargs = dict(review_kwargs or {})
    if items is not None:
        if not isinstance(items, pd.DataFrame):
            raise ValueError(f"items: expected the images' DataFrame, got {type(items).__name__}")
        missing = [k for k in ("image", "boxes") if k not in kwargs]
        if missing:
            raise ValueError(
                f"review_kwargs: name the columns of items a recheck needs: {missing} "
                "(e.g. review_kwargs={'image': 'path', 'boxes': 'pred_boxes'})"
            )
        for k in ("image", "boxes", "id"):
            if k in kwargs and kwargs[k] is not None and kwargs[k] not in items.columns:
                raise ValueError(
                    f"review_kwargs[{k!r}]: {kwargs[k]!r} is not a column of items; columns: {list(items.columns)}"
                )
    conf = _confusion(data, human_boxes_per_image, iou_threshold)
    if not isinstance(conf.table, pd.DataFrame) or not len(conf.pairs):
        what = "data" if isinstance(data, BoxConfusion) else "data, human_boxes_per_image"
        raise ValueError(f"{what}: no boxes on either side (no image, or only empty ones): nothing to plot")
    table = conf.table.copy()
    table.index = pd.Index([str(x) for x in table.index], name="model")
    table.columns = pd.Index([str(x) for x in table.columns], name="human")
    rows, cols = list(table.index), list(table.columns)
    n = table.to_numpy(dtype=np.int64)
    row_tot = n.sum(axis=1, keepdims=True).astype(float)
    row_share = np.divide(n, row_tot, out=np.zeros(n.shape), where=row_tot > 0)
    total_share = n / float(n.sum())
    shown = pd.DataFrame(row_share, index=table.index, columns=table.columns) if normalize else table

    frames = _cell_frames(conf.pairs)
    cells = {k: [str(i) for i in _unique_images(f)] for k, f in frames.items()}
    n_images = [[len(cells.get((r, c), [])) for c in cols] for r in rows]
    text = [
        [
            (f"{row_share[i, j]:.0%}" if normalize else str(int(n[i, j]))) if n[i, j] else ""
            for j in range(len(cols))
        ]
        for i in range(len(rows))
    ]
    hover = [
        [
            _cell_hover(
                r,
                c,
                int(n[i, j]),
                n_images[i][j],
                float(row_share[i, j]),
                float(total_share[i, j]),
                items is not None,
            )
            for j, c in enumerate(cols)
        ]
        for i, r in enumerate(rows)
    ]
    heat = go.Heatmap(
        z=shown.to_numpy(dtype=float).tolist(),
        x=cols,
        y=rows,
        text=text,
        texttemplate="%{text}",
        customdata=n.tolist(),
        hovertext=hover,
        colorscale="Blues",
        zmin=0,
        zmax=1 if normalize else None,
        colorbar={"title": "share of row" if normalize else "boxes"},
        hovertemplate="%{hovertext}<extra></extra>",
    )
    fig = go.FigureWidget(heat)
    # the missed row and the spurious column apart: a dashed line before each, and their
    # tick labels in italics (tick text escaped: a label is shown as written)
    sep = {"color": "#616161", "width": 2, "dash": "dash"}
    fig.add_shape(type="line", x0=len(cols) - 1.5, x1=len(cols) - 1.5, y0=-0.5, y1=len(rows) - 0.5, line=sep)
    fig.add_shape(type="line", x0=-0.5, x1=len(cols) - 0.5, y0=len(rows) - 1.5, y1=len(rows) - 1.5, line=sep)

    def ticks(labels: list[str], special: str) -> dict[str, Any]:
        return {
            "tickvals": labels,
            "ticktext": [
                f"<i>{escape(x)}</i>" if k == len(labels) - 1 and x == special else escape(x)
                for k, x in enumerate(labels)
            ],
        }

    fig.update_layout(
        title=title or ("Boxes: model label vs human label" + (" (row shares)" if normalize else "")),
        xaxis={"title": "human label", "type": "category", "side": "bottom", **ticks(cols, SPURIOUS)},
        yaxis={"title": "model label", "type": "category", "autorange": "reversed", **ticks(rows, MISSED)},
        width=600,
        height=500,
        margin={"l": 110, "r": 20, "t": 50, "b": 90},
        meta={"images": n_images, "iou_threshold": conf.iou_threshold},
    )
    view = _side_by_side(_view_class(), fig)
    view.table = table
    view.counts = shown
    view.cell_items = cells
    view.cell_boxes = frames
    view.selection = None
    view.review = None
    view._items = items
    view._review_kwargs = kwargs
    # the recheck's labels: every real label of the figure, the model's then the people's
    view._labels = list(dict.fromkeys([x for x in rows if x != MISSED] + [x for x in cols if x != SPURIOUS]))
    view._review_task = review_task
    view._annotator = annotator
    view._store = store
    view._scroll_marker = None
    fig.data[0].on_click(view._on_click)
    return view
