"""Issue 12 #4: a very large image is shown from a downscaled copy, with the original sent
on request (`{"type": "image", "req", "item_id"}`) when the person zooms past the
preview's resolution. The reply carries the original's bytes as its buffer 0 (never
base64); an item the widget did not serve, or a kind without images, is refused with a
reason; a file changed since validation gives `image` None and the reason."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

import hitl_widgets as hw
from hitl_widgets.widgets import BoxReview, ImageReview

LABELS = ["car", "person"]


def write_png(path: Path, size: tuple[int, int], color=(30, 60, 90)) -> bytes:
    im = Image.new("RGB", size, color)
    im.putpixel((size[0] - 1, size[1] - 1), (255, 0, 0))  # not a flat file: a real original
    im.save(path, format="PNG")
    return path.read_bytes()


def large_frame(tmp_path: Path) -> tuple[pd.DataFrame, bytes]:
    big = tmp_path / "big.png"
    data = write_png(big, (3000, 2000))
    small = tmp_path / "small.png"
    write_png(small, (120, 80), (200, 10, 10))
    df = pd.DataFrame(
        {
            "path": [str(big), str(small)],
            "pred": ["car", "person"],
            "confidence": [0.9, 0.8],
            "pred_boxes": [[{"box": [100, 100, 2900, 1900], "label": "car", "score": 0.9}], []],
        },
        index=["big", "small"],
    )
    return df, data


def make(kind: str, df: pd.DataFrame, tmp_path: Path):
    common = {"store": str(tmp_path / "s.db"), "annotator": "ana"}
    if kind == "box":
        return BoxReview(df, image="path", boxes="pred_boxes", labels=LABELS, **common)
    return ImageReview(df, image="path", labels=LABELS, **common)


def wire(w) -> list[tuple[dict, list | None]]:
    sent: list[tuple[dict, list | None]] = []
    w.send = lambda m, buffers=None: sent.append((m, buffers))
    return sent


def ask(w, sent, item_id, req: str = "q1") -> tuple[dict, list]:
    w._handle_custom_msg({"type": "image", "req": req, "item_id": item_id}, [])
    msg, buffers = sent[-1]
    assert msg["type"] == "image" and msg["req"] == req
    json.dumps(msg)  # JSON only: the bytes are never in it
    return msg, buffers or []


def served(w, sent) -> dict[str, dict]:
    w._handle_custom_msg({"type": "fetch", "req": "f1", "start": 0, "count": 8}, [])
    msg, _ = sent[-1]
    assert msg["type"] == "items"
    return {it["name"]: it for it in msg["items"]}


@pytest.mark.parametrize("kind", ["box", "image"])
def test_the_reply_carries_the_original_bytes_of_a_large_image(tmp_path, kind):
    df, original = large_frame(tmp_path)
    w = make(kind, df, tmp_path)
    sent = wire(w)
    items = served(w, sent)
    big = items["big.png"]
    # the page carried a preview (longer side 2048), in original-pixel coordinates
    assert big["image"]["scale"] < 1 and big["image"]["width"] == 2048
    assert (big["width"], big["height"]) == (3000, 2000)
    msg, buffers = ask(w, sent, big["item_id"])
    assert msg["item_id"] == big["item_id"]
    assert msg["image"] == {
        "mime": "image/png",
        "width": 3000,
        "height": 2000,
        "scale": 1,
        "bytes": len(original),
    }
    assert "image_error" not in msg
    assert len(buffers) == 1 and bytes(buffers[0]) == original
    with Image.open(io.BytesIO(bytes(buffers[0]))) as im:
        assert im.size == (3000, 2000)
    # a small image was sent whole: the kernel still answers with it if asked
    assert items["small.png"]["image"]["scale"] == 1
    msg, buffers = ask(w, sent, items["small.png"]["item_id"], "q2")
    assert msg["image"]["width"] == 120 and len(buffers) == 1


@pytest.mark.parametrize("kind", ["box", "image"])
def test_unknown_or_unserved_items_are_refused_with_a_reason(tmp_path, kind):
    df, _ = large_frame(tmp_path)
    w = make(kind, df, tmp_path)
    sent = wire(w)
    # nothing served yet: even a real item id is refused
    real = "big" if kind == "image" else None
    for item_id in ["nope", real, 42, None, ["big"], "x" * 10_000]:
        if item_id is None and real is None:
            continue
        msg, buffers = ask(w, sent, item_id)
        assert msg["image"] is None and buffers == []
        assert "did not send" in msg["image_error"]
    # a malformed request (no req, no item id) is answered too, never raised
    w._handle_custom_msg({"type": "image"}, [])
    msg, _ = sent[-1]
    assert msg["type"] == "image" and msg["image"] is None and msg["image_error"]
    served(w, sent)
    msg, _ = ask(w, sent, "nope")
    assert msg["image"] is None and "'nope'" in msg["image_error"]


@pytest.mark.parametrize("kind", ["box", "image"])
def test_a_file_changed_since_validation_gives_no_image_and_the_reason(tmp_path, kind):
    df, _ = large_frame(tmp_path)
    w = make(kind, df, tmp_path)
    sent = wire(w)
    big = served(w, sent)["big.png"]
    write_png(tmp_path / "big.png", (3000, 2000), (1, 2, 3))
    msg, buffers = ask(w, sent, big["item_id"])
    assert msg["image"] is None and buffers == []
    assert "changed since it was validated" in msg["image_error"]
    (tmp_path / "big.png").unlink()
    msg, buffers = ask(w, sent, big["item_id"], "q2")
    assert msg["image"] is None and buffers == [] and "not found" in msg["image_error"]


def test_a_kind_without_images_refuses(tmp_path):
    df = pd.DataFrame({"text": ["a", "b"], "pred": ["x", "y"], "confidence": 0.5})
    w = hw.ClassificationReview(df, labels=["x", "y"], store=str(tmp_path / "s.db"), annotator="ana")
    sent = wire(w)
    w._handle_custom_msg({"type": "fetch", "req": "f1", "start": 0, "count": 8}, [])
    item = sent[-1][0]["items"][0]
    msg, buffers = ask(w, sent, item["item_id"])
    assert msg["image"] is None and buffers == []
    assert "no images" in msg["image_error"]
