"""BoxReview: construction, bad input (nothing written), the protocol (images as binary
buffers, the model's boxes in original pixels), decisions and what they store (boxes
before and after, operations, time per box, the image's size and hash, the changes),
small tasks of a crowded image and their merge, results from the store alone."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

import hitl_widgets as hw
from hitl_widgets.items import load_image
from hitl_widgets.widgets import BoxReview, box_results

LABELS = ["car", "person", "dog"]


def png(size: tuple[int, int] = (100, 80), color=(30, 60, 90)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def frame(tmp_path: Path) -> pd.DataFrame:
    paths = []
    for i in range(3):
        p = tmp_path / f"img_{i}.png"
        p.write_bytes(png((100 + 10 * i, 80), (i * 50, 60, 90)))
        paths.append(str(p))
    boxes = [
        [
            {"box": [10, 10, 40, 30], "label": "car", "score": 0.9},
            {"box": [50, 20, 90, 70], "label": "person", "score": 0.6},
        ],
        [{"box": [0, 0, 20, 20], "label": "dog", "score": 0.4}],
        [],
    ]
    return pd.DataFrame({"path": paths, "pred_boxes": boxes}, index=["a", "b", "c"])


def review(tmp_path: Path, df=None, **kw) -> BoxReview:
    kw.setdefault("annotator", "ana")
    kw.setdefault("store", str(tmp_path / "s.db"))
    return BoxReview(
        frame(tmp_path) if df is None else df, image="path", boxes="pred_boxes", labels=LABELS, **kw
    )


def wire(w) -> list[tuple[dict, list | None]]:
    sent: list[tuple[dict, list | None]] = []
    w.send = lambda m, buffers=None: sent.append((m, buffers))
    return sent


def fetch(w, sent, start: int = 0, count: int = 8) -> tuple[dict, list]:
    w._handle_custom_msg({"type": "fetch", "req": "r1", "start": start, "count": count}, [])
    msg, buffers = sent[-1]
    assert msg["type"] == "items"
    return msg, buffers or []


def decision(w, item: dict, action: str, **kw) -> dict:
    d = {
        "id": kw.pop("id", f"d-{item['item_id']}-{action}"),
        "item_id": item["item_id"],
        "content_hash": item["content_hash"],
        "qi": item["qi"],
        "action": action,
        "annotator": "ana",
        "session_id": w.session_id,
        "guideline_version": w.guideline_version,
        "created_at": "2026-12-03T10:00:00.000Z",
        "duration_ms": 2500,
        "task": "boxes",
    }
    d.update(kw)
    return d


def test_exported_and_constructs(tmp_path):
    assert hw.BoxReview is BoxReview
    w = review(tmp_path)
    assert w.kind == "box" and w.labels == LABELS and len(w) == 3


def test_entries_carry_the_model_boxes_in_original_pixels_and_the_image_as_a_buffer(tmp_path):
    w = review(tmp_path, box_format="xyxy")
    sent = wire(w)
    msg, buffers = fetch(w, sent, 0, 3)
    a = msg["items"][0]
    assert a["item_id"] == "a" and a["image_id"] == "a" and (a["width"], a["height"]) == (100, 80)
    assert [(b["id"], b["x1"], b["y1"], b["x2"], b["y2"], b["label"], b["score"]) for b in a["boxes"]] == [
        ("b0", 10.0, 10.0, 40.0, 30.0, "car", 0.9),
        ("b1", 50.0, 20.0, 90.0, 70.0, "person", 0.6),
    ]
    assert a["context"] == [] and a["task"] == {"label": None, "region": None, "part": 1, "parts": 1}
    assert a["buffers"] == [0] and bytes(buffers[0]) == (tmp_path / "img_0.png").read_bytes()
    # one buffer per image: three images, three buffers, each entry its own
    assert len(buffers) == 3 and [it["buffers"] for it in msg["items"]] == [[0], [1], [2]]
    assert "base64" not in str(msg)


def test_xywh_and_coco_formats_read_the_same_boxes(tmp_path):
    df = frame(tmp_path)
    xywh = df.copy()
    xywh["pred_boxes"] = [
        [{"box": [10, 10, 30, 20], "label": "car"}, {"box": [50, 20, 40, 50], "label": "person"}],
        [{"box": [0, 0, 20, 20], "label": "dog"}],
        [],
    ]
    coco = df.copy()
    coco["pred_boxes"] = [
        [{"bbox": b["box"], "label": b["label"]} for b in row] for row in xywh["pred_boxes"]
    ]
    got = []
    for d, fmt, sub in ((xywh, "xywh", "x"), (coco, "coco", "c")):
        w = review(tmp_path, df=d, box_format=fmt, store=str(tmp_path / f"{sub}.db"))
        sent = wire(w)
        msg, _ = fetch(w, sent, 0, 1)
        got.append([(b["x1"], b["y1"], b["x2"], b["y2"]) for b in msg["items"][0]["boxes"]])
    assert got[0] == got[1] == [(10.0, 10.0, 40.0, 30.0), (50.0, 20.0, 90.0, 70.0)]


@pytest.mark.parametrize(
    "change, column, words",
    [
        (
            lambda df: df.assign(path=[str(Path("/nonexistent/x.png")), *df["path"][1:]]),
            "image='path'",
            "not found",
        ),
        (
            lambda df: df.assign(pred_boxes=[[{"box": [10, 10, 400, 30], "label": "car"}], [], []]),
            "boxes='pred_boxes'",
            "outside",
        ),
        (
            lambda df: df.assign(pred_boxes=[[{"box": [10, 10, 5, 30], "label": "car"}], [], []]),
            "boxes='pred_boxes'",
            "negative",
        ),
        (
            lambda df: df.assign(pred_boxes=[[{"box": [1, 1, 5, 5], "label": "cat"}], [], []]),
            "boxes='pred_boxes'",
            "unknown labels",
        ),
    ],
)
def test_bad_input_names_the_column_and_row_and_writes_nothing(tmp_path, change, column, words):
    df = change(frame(tmp_path))
    store = tmp_path / "bad.db"
    with pytest.raises(ValueError) as e:
        review(tmp_path, df=df, store=str(store))
    assert column in str(e.value) and words in str(e.value) and "'a'" in str(e.value)
    assert not store.exists()


def test_a_box_format_that_does_not_match_the_data_is_said_once(tmp_path):
    df = frame(tmp_path)  # xyxy boxes read as xywh reach outside the image
    df["pred_boxes"] = [
        [{"box": [50, 40, 95, 75], "label": "car"}, {"box": [60, 30, 90, 70], "label": "dog"}],
        [],
        [],
    ]
    with pytest.raises(ValueError, match="boxes='pred_boxes'") as e:
        review(tmp_path, df=df, box_format="xywh")
    assert "xyxy" in str(e.value)


def test_gold_and_blind_are_refused(tmp_path):
    df = frame(tmp_path).assign(g="x")
    with pytest.raises(ValueError, match="gold"):
        review(tmp_path, df=df, gold="g")
    with pytest.raises(ValueError, match="blind"):
        review(tmp_path, blind=True)


def test_accept_and_edit_store_boxes_before_and_after_with_ops_times_and_changes(tmp_path):
    w = review(tmp_path)
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 3)
    a, b, _c = msg["items"]
    ops = [
        {
            "op": "move",
            "id": "b0",
            "t_ms": 812.4,
            "via": "key",
            "before": [10, 10, 40, 30],
            "after": [12, 10, 42, 30],
        },
        {
            "op": "relabel",
            "id": "b1",
            "t_ms": 1500,
            "via": "key",
            "label_before": "person",
            "label_after": "dog",
        },
        {"op": "add", "id": "new-1", "t_ms": 2100, "via": "mouse", "before": None, "after": [60, 5, 70, 15]},
    ]
    after = [
        {"id": "b0", "x1": 12, "y1": 10, "x2": 42, "y2": 30, "label": "car"},
        {"id": "b1", "x1": 50, "y1": 20, "x2": 90, "y2": 70, "label": "dog"},
        {"id": "new-1", "x1": 60.004, "y1": 5, "x2": 70, "y2": 15, "label": "person"},
    ]
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                decision(
                    w,
                    a,
                    "edit",
                    data={"boxes": after, "ops": ops, "box_ms": {"b0": 800, "b1": 700.5}, "zoom": 2},
                ),
                decision(w, b, "accept", data={"ops": [], "box_ms": {}}),
            ],
        },
        [],
    )
    ack, _ = sent[-1]
    assert ack["errors"] == {} and sorted(ack["ids"]) == ["d-a-edit", "d-b-accept"]
    d = w.decisions().set_index("item_id")
    da, db = d.loc["a", "data"], d.loc["b", "data"]
    assert d.loc["a", "status"] == "edited" and d.loc["b", "status"] == "accepted"
    assert da["image"] == {
        "width": 100,
        "height": 80,
        "sha256": load_image(str(tmp_path / "img_0.png")).sha256,
    }
    assert [x["id"] for x in da["boxes_before"]] == ["b0", "b1"] and da["boxes_before"][0]["score"] == 0.9
    assert da["boxes_after"][2] == {
        "id": "new-1",
        "x1": 60.0,
        "y1": 5.0,
        "x2": 70.0,
        "y2": 15.0,
        "label": "person",
    }
    assert da["changes"] == {
        "kept": 0,
        "moved": 1,
        "relabelled": 1,
        "moved+relabelled": 0,
        "deleted": 0,
        "added": 1,
    }
    assert [o["op"] for o in da["ops"]] == ["move", "relabel", "add"] and da["ops"][0]["t_ms"] == 812.4
    assert da["ops"][0]["after"] == [12.0, 10.0, 42.0, 30.0] and da["ops"][2]["via"] == "mouse"
    assert da["box_ms"] == {"b0": 800.0, "b1": 700.5} and da["zoom"] == 2.0
    assert db["boxes_after"] == [{"id": "b0", "x1": 0.0, "y1": 0.0, "x2": 20.0, "y2": 20.0, "label": "dog"}]
    assert db["changes"]["kept"] == 1 and db["task"]["box_ids"] == ["b0"]
    assert d.loc["a", "duration_ms"] == 2500


@pytest.mark.parametrize(
    "boxes, words",
    [
        ([{"id": "b0", "x1": 10, "y1": 10, "x2": 140, "y2": 30, "label": "car"}], "outside"),
        ([{"id": "b0", "x1": 10, "y1": 10, "x2": 10, "y2": 30, "label": "car"}], "negative"),
        ([{"id": "b0", "x1": 1, "y1": 1, "x2": 5, "y2": 5, "label": "<script>x</script>"}], "not one of"),
        ([{"id": "b0", "x1": 1, "y1": 1, "x2": 5, "y2": 5, "label": "car"}] * 2, "twice"),
        ([{"id": "b0", "x1": "1", "y1": 1, "x2": 5, "y2": 5, "label": "car"}], "finite numbers"),
        ("not a list", "list of box dicts"),
    ],
)
def test_a_bad_edit_from_the_browser_is_refused_and_not_stored(tmp_path, boxes, words):
    w = review(tmp_path)
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 1)
    w._handle_custom_msg(
        {"type": "decide", "decisions": [decision(w, msg["items"][0], "edit", data={"boxes": boxes})]}, []
    )
    ack, _ = sent[-1]
    assert ack["ids"] == [] and words in ack["errors"]["d-a-edit"]
    assert w.events().empty


def test_python_actions_and_results(tmp_path):
    w = review(tmp_path)
    w.edit(
        [
            {"id": "b1", "x1": 50, "y1": 20, "x2": 90, "y2": 70, "label": "person"},
            {"x1": 1, "y1": 2, "x2": 9, "y2": 8, "label": "dog"},
        ]
    )
    w.accept()
    w.flag("too dark")
    res = w.results().set_index("image_id")
    assert res.loc["a", "boxes"] == [
        {"x1": 50.0, "y1": 20.0, "x2": 90.0, "y2": 70.0, "label": "person", "score": None, "id": "b1"},
        {"x1": 1.0, "y1": 2.0, "x2": 9.0, "y2": 8.0, "label": "dog", "score": None, "id": "n0"},
    ]
    assert res.loc["a", "changes"]["deleted"] == 1 and res.loc["a", "changes"]["added"] == 1
    assert res.loc["b", "boxes"][0]["label"] == "dog" and not res.loc["b", "flagged"]
    assert bool(res.loc["c", "flagged"]) and res.loc["c", "boxes"] is None
    w.undo()  # the flag
    assert w.results().set_index("image_id").loc["c", "parts_decided"] == 0
    with pytest.raises(ValueError, match="not one of"):
        w.edit([{"x1": 1, "y1": 2, "x2": 9, "y2": 8, "label": "cat"}])


def crowded(tmp_path: Path, n: int = 7) -> pd.DataFrame:
    p = tmp_path / "crowd.png"
    p.write_bytes(png((200, 200)))
    boxes = [
        {"box": [10 + 20 * k, 10 + 20 * k, 25 + 20 * k, 25 + 20 * k], "label": LABELS[k % 2]}
        for k in range(n)
    ]
    return pd.DataFrame({"path": [str(p)], "pred_boxes": [boxes]}, index=["crowd"])


@pytest.mark.parametrize("split_by", ["label", "tile"])
def test_a_crowded_image_becomes_small_entries_merged_back_into_one_set(tmp_path, split_by):
    w = review(tmp_path, df=crowded(tmp_path), max_boxes=2, split_by=split_by)
    sent = wire(w)
    msg, buffers = fetch(w, sent, 0, 20)
    entries = msg["items"]
    assert len(entries) == len(w) >= 4 and all(len(e["boxes"]) <= 2 for e in entries)
    # the image is sent once for all its parts, keyed by its SHA-256 (the browser decodes it
    # once and asks for its original once)
    sha = hashlib.sha256((tmp_path / "crowd.png").read_bytes()).hexdigest()
    assert len(buffers) == 1 and bytes(buffers[0]) == (tmp_path / "crowd.png").read_bytes()
    assert all(e["buffers"] == [0] and e["image"]["key"] == sha for e in entries)
    assert sorted(b["id"] for e in entries for b in e["boxes"]) == sorted(f"b{k}" for k in range(7))
    assert all(e["image_id"] == "crowd" and e["task"]["parts"] == len(entries) for e in entries)
    assert [e["task"]["part"] for e in entries] == list(range(1, len(entries) + 1))
    # every other box of the image is context: shown faint
    assert all(len(e["context"]) == 7 - len(e["boxes"]) for e in entries)
    if split_by == "label":
        assert {e["task"]["label"] for e in entries} == {"car", "person"}
    else:
        assert all(e["task"]["region"] is not None for e in entries)
    # decide every entry but the last: no merged boxes yet
    for _ in entries[:-1]:
        w.accept()
    res = w.results()
    assert res.loc[0, "boxes"] is None and res.loc[0, "parts_decided"] == len(entries) - 1
    w.edit([])  # the last part: its boxes deleted
    res = w.results()
    last_ids = {b["id"] for b in entries[-1]["boxes"]}
    assert sorted(b["id"] for b in res.loc[0, "boxes"]) == sorted(
        f"b{k}" for k in range(7) if f"b{k}" not in last_ids
    )
    # the store alone gives the same
    alone = box_results(tmp_path / "s.db", task="boxes")
    assert alone.loc[0, "boxes"] == res.loc[0, "boxes"] and alone.loc[0, "parts"] == len(entries)


def test_the_scores_can_be_hidden(tmp_path):
    w = review(tmp_path, scores=False)
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 1)
    assert [b["score"] for b in msg["items"][0]["boxes"]] == [None, None] and w.config["show_scores"] is False
