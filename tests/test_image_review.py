"""ImageReview: construction from every kind of image, bad input, the protocol with the
images as binary buffers, decisions and their events, the grid's page of tiles."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import hitl_widgets as hw
from hitl_widgets.items import load_image
from hitl_widgets.items.image_review import content_hash
from hitl_widgets.store import Store
from hitl_widgets.widgets import ImageReview

LABELS = ["cat", "dog", "bird"]


def png(color: tuple[int, int, int], size: tuple[int, int] = (6, 4)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def frame(tmp_path, n: int = 5, preds: list[str] | None = None) -> pd.DataFrame:
    paths = []
    for i in range(n):
        p = tmp_path / f"img_{i}.png"
        p.write_bytes(png((i * 40 % 256, 10, 200), (6 + i, 4)))
        paths.append(str(p))
    preds = preds or [LABELS[i % 2] for i in range(n)]
    return pd.DataFrame(
        {"path": paths, "pred": preds, "confidence": [0.5 + i / 20 for i in range(n)]},
        index=[f"im{i}" for i in range(n)],
    )


def review(tmp_path, df=None, **kw) -> ImageReview:
    kw.setdefault("annotator", "ana")
    kw.setdefault("labels", LABELS)
    kw.setdefault("store", str(tmp_path / "s.db"))
    return ImageReview(frame(tmp_path) if df is None else df, image="path", **kw)


def wire(w) -> list[tuple[dict, list | None]]:
    """What the widget sends to the browser: (message, buffers)."""
    sent: list[tuple[dict, list | None]] = []
    w.send = lambda m, buffers=None: sent.append((m, buffers))
    return sent


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
        "duration_ms": 1500,
        "task": "image",
    }
    d.update(kw)
    return d


def fetch(w, sent, start: int = 0, count: int = 8) -> tuple[dict, list]:
    w._handle_custom_msg({"type": "fetch", "req": "r1", "start": start, "count": count}, [])
    msg, buffers = sent[-1]
    assert msg["type"] == "items" and msg["req"] == "r1"
    return msg, buffers or []


# ------------------------------------------------------------------------------------
# construction
# ------------------------------------------------------------------------------------


def test_exported_from_the_package():
    assert hw.ImageReview is ImageReview and "ImageReview" in hw.__all__


@pytest.mark.parametrize("kind", ["path", "bytes", "pil", "numpy"])
def test_constructs_from_every_kind_of_image(tmp_path, kind):
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    if kind == "path":
        values = []
        for i, c in enumerate(colors):
            p = tmp_path / f"c{i}.png"
            p.write_bytes(png(c))
            values.append(p)
    elif kind == "bytes":
        values = [png(c) for c in colors]
    elif kind == "pil":
        values = [Image.new("RGB", (6, 4), c) for c in colors]
    else:
        values = [np.full((4, 6, 3), c, dtype=np.uint8) for c in colors]
    df = pd.DataFrame({"img": values, "pred": ["cat", "dog", "cat"]})
    w = ImageReview(df, image="img", labels=LABELS, store=str(tmp_path / "s.db"), annotator="ana")
    assert w.kind == "image" and len(w) == 3 and w.config["layout"] == "single"
    for pos in range(3):
        assert w._items.hash(pos) == load_image(values[pos]).content_hash
    sent = wire(w)
    msg, buffers = fetch(w, sent)
    assert [it["model_label"] for it in msg["items"]] == ["cat", "dog", "cat"]
    assert len(buffers) == 3 and [it["buffers"] for it in msg["items"]] == [[0], [1], [2]]
    assert all(Image.open(io.BytesIO(bytes(b))).size == (6, 4) for b in buffers)
    assert msg["items"][0]["name"] == ("c0.png" if kind == "path" else None)


def test_missing_file_names_the_column_and_rows_and_writes_nothing(tmp_path):
    df = frame(tmp_path, 4)
    df.loc["im2", "path"] = str(tmp_path / "nope.png")
    df.loc["im3", "path"] = str(tmp_path / "gone.png")
    db = tmp_path / "s.db"
    with pytest.raises(ValueError) as e:
        ImageReview(df, image="path", labels=LABELS, store=str(db))
    text = str(e.value)
    assert "image='path'" in text and "files not found" in text and "'im2', 'im3'" in text
    assert not db.exists()


def test_unknown_label_names_the_column_and_rows_and_writes_nothing(tmp_path):
    df = frame(tmp_path, 4, preds=["cat", "fish", "dog", "fish"])
    db = tmp_path / "s.db"
    with pytest.raises(ValueError) as e:
        ImageReview(df, image="path", labels=LABELS, store=str(db))
    assert "pred='pred'" in str(e.value) and "'fish'" in str(e.value) and "'im1', 'im3'" in str(e.value)
    assert not db.exists()


def test_other_bad_input(tmp_path):
    df = frame(tmp_path, 3)
    with pytest.raises(ValueError, match="image='picture': no such column"):
        ImageReview(df, image="picture", labels=LABELS, store=str(tmp_path / "a.db"))
    with pytest.raises(ValueError, match="layout must be"):
        review(tmp_path, layout="mosaic")
    with pytest.raises(ValueError, match="at most 12 tiles"):
        review(tmp_path, layout="grid", grid=(4, 4))
    with pytest.raises(ValueError, match="cannot be blind"):
        review(tmp_path, layout="grid", blind=True)
    with pytest.raises(ValueError, match="needs the model's label"):
        review(tmp_path, df=df.drop(columns=["pred"]), layout="grid")
    assert not (tmp_path / "s.db").exists() and not (tmp_path / "a.db").exists()


# ------------------------------------------------------------------------------------
# the protocol: images as binary buffers
# ------------------------------------------------------------------------------------


def test_a_fetch_sends_each_image_as_a_binary_buffer_not_base64(tmp_path):
    df = frame(tmp_path, 3)
    w = review(tmp_path, df)
    sent = wire(w)
    msg, buffers = fetch(w, sent, 0, 3)
    assert len(buffers) == 3
    for it, path in zip(msg["items"], df["path"], strict=True):
        raw = Path(path).read_bytes()
        (i,) = it["buffers"]
        assert bytes(buffers[i]) == raw  # the file's own bytes (a PNG is sent as it is)
        assert it["image"] == {
            "mime": "image/png",
            "width": it["width"],
            "height": 4,
            "scale": 1.0,
            "bytes": len(raw),
            "key": load_image(path).sha256,
        }
        assert it["content_hash"] == content_hash(load_image(path).sha256) == load_image(path).content_hash
        # nothing of the image is inside the JSON
        text = json.dumps(msg)
        assert base64.b64encode(raw).decode()[:24] not in text
    assert len(json.dumps(msg)) < 3000


def test_a_large_image_is_sent_as_a_preview(tmp_path):
    big = tmp_path / "big.png"
    Image.new("RGB", (3000, 1000), (10, 20, 30)).save(big)
    df = pd.DataFrame({"path": [str(big)], "pred": ["cat"]})
    w = ImageReview(df, image="path", labels=LABELS, store=str(tmp_path / "s.db"), annotator="ana")
    sent = wire(w)
    msg, buffers = fetch(w, sent)
    it = msg["items"][0]
    assert (it["width"], it["height"]) == (3000, 1000)  # the original's size
    assert it["image"]["width"] == 2048 and it["image"]["height"] == 683
    assert it["image"]["scale"] == pytest.approx(2048 / 3000)
    assert Image.open(io.BytesIO(bytes(buffers[0]))).size == (2048, 683)
    # the decision is keyed by the original's hash, not the preview's
    assert it["content_hash"] == load_image(str(big)).content_hash


def test_a_file_changed_after_validation_is_reported_not_sent(tmp_path):
    df = frame(tmp_path, 2)
    w = review(tmp_path, df)
    Path(df["path"].iloc[1]).write_bytes(png((1, 2, 3)))
    sent = wire(w)
    msg, buffers = fetch(w, sent, 0, 2)
    assert len(buffers) == 1 and msg["items"][0]["buffers"] == [0]
    assert (
        msg["items"][1]["image"] is None
        and "changed since it was validated" in msg["items"][1]["image_error"]
    )


def test_browser_decisions_are_committed_with_the_image_hash(tmp_path):
    w = review(tmp_path, guideline="# cat\nwhiskers", gold=None)
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 3)
    a, b, c = msg["items"]
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                decision(w, a, "accept"),
                decision(w, b, "correct", label="bird"),
                decision(w, c, "flag", note="blurry"),
            ],
        },
        [],
    )
    ack, _ = sent[-1]
    assert ack == {"type": "ack", "ids": ["d-im0-accept", "d-im1-correct", "d-im2-flag"], "errors": {}}
    ev = w.events().set_index("item_id")
    assert ev.loc["im0", "content_hash"] == load_image(w._items.images.source.iat[0]).content_hash
    assert ev.loc["im0", "label_after"] == "cat" and ev.loc["im0", "model_label"] == "cat"
    assert ev.loc["im1", "label_after"] == "bird" and ev.loc["im1", "model_label"] == "dog"
    assert ev.loc["im2", "note"] == "blurry"
    for item_id in ("im0", "im1", "im2"):
        row = ev.loc[item_id]
        assert row["annotator"] == "ana" and row["kind"] == "image" and row["task"] == "image"
        assert row["duration_ms"] == 1500 and row["session_id"] == w.session_id
        assert row["guideline_version"] == w.guideline_version != ""
    d = w.decisions().set_index("item_id")
    assert d.loc["im0", "status"] == "accepted" and d.loc["im1", "human_label"] == "bird"
    assert d.loc["im2", "status"] == "flagged"
    assert w.done == 3


def test_a_correction_to_an_unknown_label_is_refused(tmp_path):
    w = review(tmp_path)
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 1)
    w._handle_custom_msg(
        {"type": "decide", "decisions": [decision(w, msg["items"][0], "correct", label="fish")]}, []
    )
    ack, _ = sent[-1]
    assert ack["ids"] == [] and "fish" in ack["errors"]["d-im0-correct"]
    assert w.events().empty


def test_python_actions(tmp_path):
    w = review(tmp_path)
    w.accept()
    w.correct("bird")
    w.flag("odd")
    w.skip()
    w.undo()
    ev = w.events()
    assert list(ev["action"]) == ["accept", "correct", "flag", "skip", "undo"]
    assert list(ev["label_after"][:2]) == ["cat", "bird"]
    with pytest.raises(ValueError, match="not one of"):
        w.correct("fish")


# ------------------------------------------------------------------------------------
# grid
# ------------------------------------------------------------------------------------


def test_grid_groups_the_queue_by_predicted_label(tmp_path):
    preds = ["cat", "dog", "cat", "dog", "cat", "bird", "cat"]
    w = review(tmp_path, frame(tmp_path, 7, preds), layout="grid", grid=(2, 2))
    assert w.config["layout"] == "grid" and w.config["grid"] == [2, 2]
    assert w.config["tile_keys"] == ["1", "2", "3", "4"] and w.config["page_size"] == 4
    assert w.config["window"] == 32  # a few pages of images kept in the browser, not 1000
    sent = wire(w)
    msg, buffers = fetch(w, sent, 0, 7)
    assert [it["model_label"] for it in msg["items"]] == ["cat"] * 4 + ["dog"] * 2 + ["bird"]
    assert [it["item_id"] for it in msg["items"][:4]] == ["im0", "im2", "im4", "im6"]  # order kept in a group
    assert len(buffers) == 7


def test_grid_enter_stores_one_decision_per_tile(tmp_path):
    """The browser's Enter on a page: accept for each tile, flag (wrong) for the marked."""
    preds = ["cat"] * 5 + ["dog"]
    w = review(tmp_path, frame(tmp_path, 6, preds), layout="grid", grid=(2, 2))
    sent = wire(w)
    msg, _ = fetch(w, sent, 0, 4)
    page = msg["items"]
    decisions = [
        decision(w, it, "flag", data={"layout": "grid", "wrong": True})
        if it["qi"] == 2
        else decision(w, it, "accept", data={"layout": "grid"})
        for it in page
    ]
    w._handle_custom_msg({"type": "decide", "decisions": decisions}, [])
    ack, _ = sent[-1]
    assert len(ack["ids"]) == 4 and ack["errors"] == {}
    ev = w.events()
    assert len(ev) == 4 and list(ev["item_id"]) == ["im0", "im1", "im2", "im3"]
    assert list(ev["action"]) == ["accept", "accept", "flag", "accept"]
    assert all(ev["content_hash"].iloc[i] == w._items.hash(i) for i in range(4))
    assert ev["data"].iloc[2] == {"layout": "grid", "wrong": True}
    d = w.decisions().set_index("item_id")
    assert list(d["status"]) == ["accepted", "accepted", "flagged", "accepted"]


def test_grid_accept_page_from_python(tmp_path):
    preds = ["cat"] * 5 + ["dog"] * 2
    w = review(tmp_path, frame(tmp_path, 7, preds), layout="grid", grid=(2, 2))
    assert [it["item_id"] for it in w.page()] == ["im0", "im1", "im2", "im3"]
    w.accept_page(wrong=[1])
    assert [it["item_id"] for it in w.page()] == ["im4"]  # the page ends where the label does
    w.accept_page()
    assert [it["item_id"] for it in w.page()] == ["im5", "im6"]
    with pytest.raises(ValueError, match="tile numbers"):
        w.accept_page(wrong=[2])
    d = w.decisions().set_index("item_id")
    assert d.loc["im1", "status"] == "flagged" and d.loc["im1", "data"] == {"layout": "grid", "wrong": True}
    assert list(d.loc[["im0", "im2", "im3", "im4"], "status"]) == ["accepted"] * 4
    assert len(w.events()) == 5


def test_flagged_tiles_are_corrected_later_in_single_layout(tmp_path):
    df = frame(tmp_path, 4, ["cat"] * 4)
    db = str(tmp_path / "s.db")
    grid = ImageReview(df, image="path", labels=LABELS, layout="grid", store=db, annotator="ana")
    grid.accept_page(wrong=[2])
    d = grid.decisions()
    wrong = set(d.loc[d["status"] == "flagged", "item_id"])
    grid.close()
    fix = ImageReview(
        df[df.index.isin(wrong)], image="path", labels=LABELS, revisit=True, store=db, annotator="ana"
    )
    assert len(fix) == 1 and fix.current["item_id"] == "im2"
    fix.correct("dog")
    with Store(db) as s:
        dec = s.decisions("image").set_index("item_id")
    assert dec.loc["im2", "status"] == "corrected" and dec.loc["im2", "human_label"] == "dog"
