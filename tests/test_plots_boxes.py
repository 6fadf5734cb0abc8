"""The box confusion matrix: its counts are box_confusion's on a hand-worked case, a click
on a cell gives exactly the images and boxes behind it, labels are shown literally, and
empty input is a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hitl_widgets.metrics import box_confusion
from hitl_widgets.plots import BoxCell, box_confusion_matrix

go = pytest.importorskip("plotly.graph_objects")
pytest.importorskip("ipywidgets")


def box(x1, y1, x2, y2, label="cat", id=None):
    b = {"x1": float(x1), "y1": float(y1), "x2": float(x2), "y2": float(y2), "label": label, "score": None}
    if id is not None:
        b["id"] = id
    return b


# by hand (IoU >= 0.5, Hungarian, labels ignored):
#   a.png  m1 cat ~ h1 cat (IoU 0.9)   correct
#          m2 dog ~ h2 cat (IoU 1)     dog -> cat
#          m3 cat                      spurious
#                      h3 person       missed
#   b.png  m4 dog ~ h4 dog (IoU 1)     correct
#          m5 dog                      spurious (h5 overlaps it 4/16)
#                      h5 dog          missed
#   c.png  m6 dog ~ h6 cat (IoU 1)     dog -> cat
#          (no id)                     spurious, a model box without an id
MODEL = {
    "a.png": [
        box(0, 0, 10, 10, "cat", "m1"),
        box(20, 0, 30, 10, "dog", "m2"),
        box(50, 50, 60, 60, "cat", "m3"),
    ],
    "b.png": [box(0, 0, 10, 10, "dog", "m4"), box(100, 0, 110, 10, "dog", "m5")],
    "c.png": [box(5, 5, 15, 15, "dog", "m6"), box(200, 200, 210, 220, "cat")],
}
HUMAN = {
    "a.png": [
        box(1, 0, 10, 10, "cat", "h1"),
        box(20, 0, 30, 10, "cat", "h2"),
        box(80, 80, 90, 90, "person", "h3"),
    ],
    "b.png": [box(0, 0, 10, 10, "dog", "h4"), box(106, 0, 116, 10, "dog", "h5")],
    "c.png": [box(5, 5, 15, 15, "cat", "h6")],
}
ROWS = ["cat", "dog", "(missed)"]
COLS = ["cat", "dog", "person", "(spurious)"]
HAND = [
    [1, 0, 0, 2],  # model cat: m1 right; m3 and c.png's id-less box spurious
    [2, 1, 0, 1],  # model dog: m2, m6 were cats; m4 right; m5 spurious
    [0, 1, 1, 0],  # missed: h5 (dog), h3 (person)
]


def test_counts_equal_box_confusion_hand_worked():
    view = box_confusion_matrix(MODEL, HUMAN)
    heat = view.figure.data[0]
    assert isinstance(view.figure, go.FigureWidget)
    assert list(heat.x) == COLS and list(heat.y) == ROWS
    assert np.array(heat.z, dtype=float).tolist() == HAND
    assert np.array(heat.customdata).tolist() == HAND
    res = box_confusion(MODEL, HUMAN)
    assert res.table.to_numpy().tolist() == HAND
    assert view.table.to_numpy().tolist() == HAND
    # from the BoxConfusion result: the same figure
    again = box_confusion_matrix(res)
    assert np.array(again.figure.data[0].z, dtype=float).tolist() == HAND
    # row shares coloured, counts still in customdata; shares in the hover
    normed = box_confusion_matrix(res, normalize=True)
    z = np.array(normed.figure.data[0].z, dtype=float)
    hand = np.array(HAND, dtype=float)
    assert np.allclose(z, hand / hand.sum(axis=1, keepdims=True))
    assert np.array(normed.figure.data[0].customdata).tolist() == HAND
    hover = heat.hovertext
    assert "2 boxes on 2 images" in hover[1][0] and "50.0% of the row, 22.2% of all" in hover[1][0]
    assert "no boxes" in hover[2][3]
    # missed row and spurious column set apart by a dashed line each
    lines = [s for s in view.figure.layout.shapes if s.type == "line"]
    assert len(lines) == 2 and all(s.line.dash == "dash" for s in lines)
    # a stricter threshold moves the 0.9 pair apart: one more spurious, one more missed
    strict = box_confusion_matrix(MODEL, HUMAN, iou_threshold=0.95)
    assert strict.table.loc["cat", "(spurious)"] == 3 and strict.table.loc["(missed)", "cat"] == 1


def _ids(cell: BoxCell, side: str) -> list:
    return cell.box_ids(side)


def test_click_gives_exactly_the_images_and_boxes():
    view = box_confusion_matrix(MODEL, HUMAN)
    cell = view.open_cell("dog", "cat")
    assert isinstance(cell, BoxCell) and view.selection is cell
    assert cell.images == ["a.png", "c.png"]
    assert _ids(cell, "model") == ["m2", "m6"] and _ids(cell, "human") == ["h2", "h6"]
    first = cell.boxes.iloc[0]
    assert [first[f"model_{c}"] for c in ("x1", "y1", "x2", "y2")] == [20.0, 0.0, 30.0, 10.0]
    assert [first[f"human_{c}"] for c in ("x1", "y1", "x2", "y2")] == [20.0, 0.0, 30.0, 10.0]
    assert first["iou"] == pytest.approx(1.0) and first["outcome"] == "wrong_label"
    assert view.items_of("dog", "cat") == ["a.png", "c.png"]
    text = "".join(o.get("text", "") for o in view.output.outputs)
    assert "a.png" in text and "m2" in text and "h6" in text and "[20, 0, 30, 10]" in text

    # spurious: model boxes only, one without an id (shown by its position)
    sp = view.cell("cat", "(spurious)")
    assert sp.images == ["a.png", "c.png"]
    assert _ids(sp, "model") == ["m3", None] and _ids(sp, "human") == []
    assert sp.boxes["model_index"].tolist() == [2, 1]
    assert sp.boxes["human_x1"].isna().all()
    # missed: people's boxes only
    missed = view.cell("(missed)", "dog")
    assert missed.images == ["b.png"] and _ids(missed, "human") == ["h5"] and _ids(missed, "model") == []
    assert [missed.boxes.iloc[0][f"human_{c}"] for c in ("x1", "x2")] == [106.0, 116.0]
    # an empty cell: nothing behind it
    empty = view.open_cell("cat", "dog")
    assert empty.images == [] and empty.boxes.empty

    # a click does the same (plotly's click callback on the heatmap trace)
    from plotly.callbacks import Points

    view.figure.data[0]._dispatch_on_click(Points(point_inds=[[1, 3]], xs=["(spurious)"], ys=["dog"]), None)
    assert view.selection.images == ["b.png"] and _ids(view.selection, "model") == ["m5"]
    # without xs / ys, the point index alone
    view.figure.data[0]._dispatch_on_click(Points(point_inds=[[2, 2]], xs=[], ys=[]), None)
    assert view.selection.images == ["a.png"] and _ids(view.selection, "human") == ["h3"]
    with pytest.raises(ValueError, match="side"):
        view.selection.box_ids("both")


def test_list_input_uses_positions_as_image_ids():
    view = box_confusion_matrix(list(MODEL.values()), list(HUMAN.values()))
    assert np.array(view.figure.data[0].z, dtype=float).tolist() == HAND
    assert view.cell("dog", "cat").images == [0, 2]
    assert view.items_of("dog", "cat") == ["0", "2"]


def test_hostile_labels_are_shown_literally():
    evil = "<script>alert(1)</script>"
    model = {"x": [box(0, 0, 10, 10, evil, "m<b>1")]}
    human = {"x": [box(0, 0, 10, 10, "<img src=x onerror=alert(2)>", "h1")]}
    view = box_confusion_matrix(model, human)
    heat = view.figure.data[0]
    assert list(heat.y) == [evil, "(missed)"]  # the categories are the labels themselves
    hover = heat.hovertext[0][0]
    assert "<script>" not in hover and "&lt;script&gt;alert(1)&lt;/script&gt;" in hover
    assert "<img" not in hover and "&lt;img src=x onerror=alert(2)&gt;" in hover
    # tick labels escaped as well
    assert view.figure.layout.yaxis.ticktext[0] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<img" not in "".join(view.figure.layout.xaxis.ticktext)
    # the listing is plain text: the label as written
    cell = view.open_cell(evil, "<img src=x onerror=alert(2)>")
    assert _ids(cell, "model") == ["m<b>1"]
    out = view.output.outputs
    assert all(o["output_type"] == "stream" for o in out)
    assert evil in "".join(o["text"] for o in out)


def test_empty_and_bad_input_are_clear_errors():
    with pytest.raises(ValueError, match="no boxes on either side"):
        box_confusion_matrix({}, {})
    with pytest.raises(ValueError, match="no boxes on either side"):
        box_confusion_matrix({"a": [], "b": []}, {"a": [], "b": []})
    with pytest.raises(ValueError, match="no boxes on either side"):
        box_confusion_matrix(box_confusion([], []))
    with pytest.raises(ValueError, match="human_boxes_per_image"):
        box_confusion_matrix(MODEL)
    with pytest.raises(ValueError, match="human_boxes_per_image"):
        box_confusion_matrix(box_confusion(MODEL, HUMAN), HUMAN)
    with pytest.raises(ValueError, match="iou_threshold"):
        box_confusion_matrix(MODEL, HUMAN, iou_threshold=0)
    with pytest.raises(ValueError, match="the images differ"):
        box_confusion_matrix({"a": []}, {"b": []})


def _image_frame(tmp_path) -> pd.DataFrame:
    """One 300 x 300 PNG per image of MODEL, its model boxes in BoxReview's format."""
    from PIL import Image

    paths, boxes = [], []
    for k, (name, bxs) in enumerate(MODEL.items()):
        path = tmp_path / name
        Image.new("RGB", (300, 300), (40 * k, 90, 140)).save(path)
        paths.append(str(path))
        boxes.append(
            [
                {
                    "box": [b["x1"], b["y1"], b["x2"], b["y2"]],
                    "label": b["label"],
                    **({"id": b["id"]} if "id" in b else {}),
                }
                for b in bxs
            ]
        )
    return pd.DataFrame({"path": paths, "pred": boxes}, index=list(MODEL))


def test_with_the_images_a_click_rechecks_exactly_the_cells_images(tmp_path):
    from plotly.callbacks import Points

    from hitl_widgets.store import Store
    from hitl_widgets.widgets import BoxReview, box_results

    store = tmp_path / "recheck.db"
    view = box_confusion_matrix(
        MODEL,
        HUMAN,
        items=_image_frame(tmp_path),
        store=str(store),
        annotator="lead",
        review_kwargs={"image": "path", "boxes": "pred"},
    )
    assert "click: list and recheck the 2 images" in view.figure.data[0].hovertext[1][0]
    cell = view.open_cell("dog", "cat")
    assert cell.images == ["a.png", "c.png"]  # the listing as before
    review = view.review
    assert isinstance(review, BoxReview) and len(review) == 2
    assert review.labels == ["cat", "dog", "person"] and review.annotator == "lead"
    # the review's entries are the cell's images, with the model's boxes to fix
    assert [review._items.image_id(p) for p in range(len(review))] == ["a.png", "c.png"]
    shown = [k for o in view.output.outputs for k in o.get("data", {})]
    assert "application/vnd.jupyter.widget-view+json" in shown  # the review, below the list
    review.edit([{"x1": 20, "y1": 0, "x2": 30, "y2": 10, "label": "cat", "id": "m2"}])
    review.accept()
    res = box_results(str(store), task="recheck").set_index("image_id")
    assert res.loc["a.png", "boxes"][0]["label"] == "cat" and len(res.loc["a.png", "boxes"]) == 1
    assert len(res.loc["c.png", "boxes"]) == 2
    events = Store(store).events()
    assert set(events[events["task"] == "recheck"]["annotator"]) == {"lead"}
    # a click on another cell closes this review and opens the next; an empty cell opens none
    view.figure.data[0]._dispatch_on_click(Points(point_inds=[[2, 2]], xs=["person"], ys=["(missed)"]), None)
    assert view.review is not review and len(view.review) == 1
    assert [view.review._items.image_id(0)] == ["a.png"]
    view.open_cell("cat", "dog")
    assert view.review is None


def test_a_recheck_needs_the_image_and_boxes_columns(tmp_path):
    frame = _image_frame(tmp_path)
    with pytest.raises(ValueError, match=r"review_kwargs: .*\['image', 'boxes'\]"):
        box_confusion_matrix(MODEL, HUMAN, items=frame)
    with pytest.raises(ValueError, match=r"review_kwargs\['boxes'\]: 'nope' is not a column of items"):
        box_confusion_matrix(MODEL, HUMAN, items=frame, review_kwargs={"image": "path", "boxes": "nope"})
    with pytest.raises(ValueError, match="items: expected the images' DataFrame"):
        box_confusion_matrix(MODEL, HUMAN, items=[1, 2], review_kwargs={"image": "path", "boxes": "pred"})
    # images the frame does not hold: said, no review
    view = box_confusion_matrix(
        MODEL,
        HUMAN,
        items=frame.drop(index=["a.png", "c.png"]),
        review_kwargs={"image": "path", "boxes": "pred"},
    )
    view.open_cell("dog", "cat")
    assert view.review is None
    assert "none of these images is in items" in "".join(o.get("text", "") for o in view.output.outputs)
