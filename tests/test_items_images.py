"""Images and bounding boxes as input: every source type of an image, the box formats and
their round trips, every bad input with a message naming the column and the rows, and
the split of a crowded image into small tasks and back."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from hitl_widgets.items._common import hash_parts
from hitl_widgets.items.box import (
    BOX_FORMATS,
    Task,
    from_canonical,
    merge_tasks,
    split_tasks,
    to_canonical,
    validate_boxes,
)
from hitl_widgets.items.image import ImageData, ImageError, load_image, preview, validate_images

HOSTILE = "</script><img onerror=alert(1)>"


def encoded(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def photo(w: int = 40, h: int = 30) -> Image.Image:
    """A picture with some detail (a gradient), so that formats and resizes show."""
    x = np.linspace(0, 255, w, dtype=np.uint8)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.uint8)[:, None].repeat(w, 1)
    return Image.fromarray(np.stack([x, y, 255 - x], axis=2))


def decoded(image: ImageData) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(image.data)))


# -- images -----------------------------------------------------------------------------


def test_file_paths_str_and_pathlib(tmp_path):
    path = tmp_path / "a.png"
    photo().save(path)
    raw = path.read_bytes()
    for source in (str(path), path):
        image = load_image(source)
        assert (image.mime, image.width, image.height) == ("image/png", 40, 30)
        assert image.data == raw  # sent as stored, not re-encoded
        assert image.sha256 == hashlib.sha256(raw).hexdigest()
        assert image.content_hash == hash_parts(image.sha256)
        assert image.scale == 1.0


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_browser_formats_pass_through_unchanged(fmt, mime):
    data = encoded(photo(33, 21), fmt)
    for source in (data, bytearray(data), memoryview(data)):
        image = load_image(source)
        assert image.data == data and type(image.data) is bytes
        assert (image.mime, image.width, image.height) == (mime, 33, 21)


def test_jpeg_file_bytes_unchanged(tmp_path):
    path = tmp_path / "p.jpg"
    photo(64, 48).save(path, quality=37)  # a quality we would never pick: re-encoding shows
    assert load_image(path).data == path.read_bytes()


def test_bmp_and_tiff_are_encoded_to_png():
    im = photo(12, 9)
    for fmt in ("BMP", "TIFF"):
        image = load_image(encoded(im, fmt))
        assert image.mime == "image/png" and (image.width, image.height) == (12, 9)
        assert (decoded(image) == np.asarray(im)).all()


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "CMYK", "I;16"])
def test_pil_images_are_encoded_to_png(mode):
    im = photo(10, 7).convert("RGBA" if mode == "RGBA" else "RGB").convert(mode)
    image = load_image(im)
    assert image.mime == "image/png" and (image.width, image.height) == (10, 7)
    assert image.data.startswith(b"\x89PNG")
    assert image.sha256 == hashlib.sha256(image.data).hexdigest()
    if mode in ("RGB", "L", "RGBA"):
        assert (decoded(image) == np.asarray(im)).all()
    # the same picture gives the same bytes and hash (PNG is encoded deterministically)
    assert load_image(im.copy()).sha256 == image.sha256


def test_numpy_arrays():
    gray = np.arange(6 * 5, dtype=np.uint8).reshape(6, 5)
    rgb = np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    rgba = np.dstack([rgb, np.full((6, 5), 128, np.uint8)])
    for a in (gray, rgb, rgba):
        image = load_image(a)
        assert (image.width, image.height) == (5, 6)  # H x W: 6 rows of 5 pixels
        assert (decoded(image) == a).all()
    floats = np.array([[0.0, 0.5], [1.0, 0.25]])
    assert decoded(load_image(floats)).tolist() == [[0, 128], [255, 64]]
    # a non-contiguous view is fine
    assert (decoded(load_image(rgb[:, ::2])) == rgb[:, ::2]).all()


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.zeros((4, 4, 2), np.uint8), r"shape \(4, 4, 2\)"),
        (np.zeros((4,), np.uint8), r"shape \(4,\)"),
        (np.zeros((0, 4), np.uint8), r"shape \(0, 4\)"),
        (np.zeros((4, 4), np.uint16), "dtype uint16"),
        (np.zeros((4, 4), bool), "dtype bool"),
        (np.full((4, 4), 2.0), r"outside \[0, 1\]"),
        (np.full((4, 4), -0.1), r"outside \[0, 1\]"),
        (np.full((4, 4), np.nan), "NaN"),
    ],
)
def test_bad_arrays(array, match):
    with pytest.raises(ImageError, match=match):
        load_image(array)


def test_exif_orientation_is_not_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° to show": a viewer would show it 20 wide, 40 high
    image = load_image(encoded(photo(40, 20), "JPEG", exif=exif))
    assert (image.width, image.height) == (40, 20)


def test_other_formats_are_not_tried():
    # an EPS file would make PIL run Ghostscript on load: not one of the formats read
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    with pytest.raises(ImageError, match="not readable"):
        load_image(eps)


def test_damaged_png():
    data = bytearray(encoded(photo(), "PNG"))
    data[60] ^= 0xFF  # inside the image data: the chunk's checksum no longer matches
    with pytest.raises(ImageError, match="damaged PNG"):
        load_image(bytes(data))
    with pytest.raises(ImageError, match="not readable"):
        load_image(bytes(data[:20]))


@pytest.mark.parametrize("limit", [2000, 100])  # over the limit; over twice it (PIL's own error)
def test_decompression_bomb_names_the_row(monkeypatch, tmp_path, limit):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    path = tmp_path / "big.png"
    Image.new("L", (50, 50)).save(path)
    df = pd.DataFrame({"img": [encoded(Image.new("L", (10, 10)), "PNG"), str(path)]}, index=["ok", "bomb"])
    with pytest.raises(
        ValueError, match=r"image='img': images over PIL's decompression-bomb limit .* in rows 'bomb'"
    ):
        validate_images(df, "img")


def test_validate_images_names_every_kind_of_problem(tmp_path):
    good = tmp_path / "good.png"
    photo().save(good)
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    df = pd.DataFrame(
        {
            "img": [
                str(good),
                str(tmp_path / "gone.png"),
                None,
                float("nan"),
                str(tmp_path / "junk.png"),
                42,
                np.zeros((3, 3), np.int64),
                str(tmp_path / "gone2.png"),
            ]
        },
        index=[f"r{i}" for i in range(8)],
    )
    with pytest.raises(ValueError) as info:
        validate_images(df, "img", argument="images")
    lines = str(info.value).splitlines()
    assert len(lines) == 5  # one line per kind, every line naming the column
    assert all(line.startswith("images='img': ") for line in lines)
    text = str(info.value)
    assert f"files not found in rows 'r1', 'r7' (row 'r1': {str(tmp_path / 'gone.png')!r})" in text
    assert "missing values (None or NaN) in rows 'r2', 'r3'" in text
    assert "not readable as a PNG, JPEG, WebP, GIF, BMP or TIFF image in rows 'r4'" in text
    assert "unsupported type" in text and "in rows 'r5' (row 'r5': type int)" in text
    assert "in rows 'r6' (row 'r6': dtype int64" in text


def test_validate_images_column_and_frame():
    with pytest.raises(ValueError, match=r"image='pic': no such column"):
        validate_images(pd.DataFrame({"img": [b""]}), "pic")
    with pytest.raises(ValueError, match="must be a pandas DataFrame"):
        validate_images([b""], "img")


def test_image_items_sizes_and_a_changed_file(tmp_path):
    path = tmp_path / "a.png"
    photo(8, 6).save(path)
    jpeg = encoded(photo(20, 10), "JPEG")
    items = validate_images(pd.DataFrame({"img": [str(path), jpeg, np.zeros((3, 4), np.uint8)]}), "img")
    assert len(items) == 3
    assert items.widths.tolist() == [8, 20, 4] and items.heights.tolist() == [6, 10, 3]
    assert items.mimes == ["image/png", "image/jpeg", "image/png"]
    assert items[1].data == jpeg and items.content_hash(1) == load_image(jpeg).content_hash
    assert [im.width for im in items] == [8, 20, 4]
    photo(9, 6).save(path)  # rewritten after validation: its boxes were checked on the old one
    with pytest.raises(ValueError, match="row 0 changed since it was validated"):
        items[0]


# -- previews ---------------------------------------------------------------------------


def test_preview_small_image_is_the_same_object():
    image = load_image(encoded(photo(100, 50), "PNG"))
    assert preview(image, max_side=100) is image


def test_preview_scale_maps_coordinates_back():
    a = np.zeros((1000, 3000, 3), np.uint8)
    a[500:700, 1500:1800] = 255  # a white block at x 1500-1800, y 500-700
    image = load_image(a)
    small = preview(image, max_side=600)
    assert (small.mime, small.width, small.height) == ("image/jpeg", 600, 200)
    assert small.scale == pytest.approx(0.2)  # shown px per original px
    shown = decoded(small).mean(axis=2) > 128
    ys, xs = np.nonzero(shown)
    # the block's edges on the preview, mapped back, land within a shown pixel of the truth
    assert small.to_original(xs.min()) == pytest.approx(1500, abs=1 / small.scale)
    assert small.to_original(xs.max() + 1) == pytest.approx(1800, abs=1 / small.scale)
    assert small.to_original(ys.min()) == pytest.approx(500, abs=1 / small.scale)
    assert small.to_shown(1800) == pytest.approx(360)
    assert small.sha256 == hashlib.sha256(small.data).hexdigest()
    # a preview of a preview: scales multiply, still relative to the original
    smaller = preview(small, max_side=300)
    assert smaller.scale == pytest.approx(0.1) and smaller.to_original(150) == pytest.approx(1500)


def test_preview_keeps_transparency_as_png():
    rgba = np.zeros((40, 400, 4), np.uint8)
    rgba[..., 3] = 100
    small = preview(load_image(rgba), max_side=100)
    assert small.mime == "image/png" and (small.width, small.height) == (100, 10)
    assert decoded(small)[..., 3].max() == 100


def test_preview_max_side_must_be_positive():
    with pytest.raises(ValueError, match="max_side"):
        preview(load_image(np.zeros((4, 4), np.uint8)), max_side=0)


# -- box formats ------------------------------------------------------------------------

W, H = 200.0, 100.0
# one box, x 20-60, y 10-50 on a 200 x 100 image, in every format
SAME_BOX = {
    "xyxy": [20, 10, 60, 50],
    "xywh": [20, 10, 40, 40],
    "cxcywh": [40, 30, 40, 40],
    "yolo": [0.2, 0.3, 0.2, 0.4],
}


@pytest.mark.parametrize("fmt", list(SAME_BOX))
def test_each_format_gives_the_same_canonical_box(fmt):
    (box,) = to_canonical([SAME_BOX[fmt]], fmt, W, H, labels=["car"])
    assert box == {"x1": 20.0, "y1": 10.0, "x2": 60.0, "y2": 50.0, "label": "car", "score": None, "id": "b0"}
    assert all(type(box[k]) is float for k in ("x1", "y1", "x2", "y2"))


def test_coco_annotations():
    anns = [
        {"bbox": [20, 10, 40, 40], "category_id": 3, "score": 0.75, "id": 17},
        {"bbox": [0, 0, 5, 5], "label": "person"},
    ]
    boxes = to_canonical(anns, "coco", W, H, categories={3: "car"})
    assert boxes[0] == {
        "x1": 20.0,
        "y1": 10.0,
        "x2": 60.0,
        "y2": 50.0,
        "label": "car",
        "score": 0.75,
        "id": "17",
    }
    assert boxes[1]["label"] == "person" and boxes[1]["id"] == "b1"
    # without categories, the id is the label as text (1 and "1" are one label)
    assert (
        to_canonical([{"bbox": [1, 1, 2, 2], "category_id": 1}], "coco", W, H, labels=["1"])[0]["label"]
        == "1"
    )


def test_row_shapes_and_ids():
    as_lists = to_canonical([[20, 10, 60, 50], (0, 0, 1, 1)], "xyxy", W, H, labels=["car"])
    as_array = to_canonical(
        np.array([[20, 10, 60, 50], [0, 0, 1, 1]], np.float32), "xyxy", W, H, labels=["car"]
    )
    as_dicts = to_canonical(
        [{"box": [20, 10, 60, 50], "label": "car"}, {"box": np.array([0, 0, 1, 1]), "label": "car"}],
        "xyxy",
        W,
        H,
    )
    assert as_lists == as_array == as_dicts
    assert [b["id"] for b in as_lists] == ["b0", "b1"]
    assert to_canonical([], "xyxy", W, H) == [] == to_canonical(np.zeros((0, 4)), "yolo", W, H)
    given_ids = to_canonical([{"box": [1, 1, 2, 2], "label": "a", "id": "x"}], "xyxy", W, H)
    assert given_ids[0]["id"] == "x"
    with pytest.raises(ValueError, match=r"repeated box ids: ids \['b1'\]"):
        to_canonical(
            [{"box": [1, 1, 2, 2], "label": "a", "id": "b1"}, [3, 3, 4, 4]], "xyxy", W, H, labels=["a"]
        )


boxes_st = st.lists(
    st.tuples(
        st.floats(0, 180, allow_nan=False),
        st.floats(0, 80, allow_nan=False),
        st.floats(1, 20, allow_nan=False),  # under a pixel in the top-left corner would read as yolo
        st.floats(1, 20, allow_nan=False),
        st.sampled_from(["car", "person", HOSTILE]),
        st.none() | st.floats(0, 1),
    ),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(boxes_st, st.sampled_from(BOX_FORMATS))
def test_round_trip_every_format(spec, fmt):
    boxes = [
        {"x1": x, "y1": y, "x2": x + w, "y2": y + h, "label": lab, "score": sc, "id": f"b{k}"}
        for k, (x, y, w, h, lab, sc) in enumerate(spec)
    ]
    back = to_canonical(from_canonical(boxes, fmt, W, H), fmt, W, H)
    assert len(back) == len(boxes)
    for a, b in zip(back, boxes, strict=True):
        assert {k: a[k] for k in ("label", "score", "id")} == {k: b[k] for k in ("label", "score", "id")}
        assert [a[k] for k in ("x1", "y1", "x2", "y2")] == pytest.approx(
            [b[k] for k in ("x1", "y1", "x2", "y2")]
        )


def test_from_canonical_values():
    box = {"x1": 20.0, "y1": 10.0, "x2": 60.0, "y2": 50.0, "label": "car", "score": 0.5}
    for fmt, coords in SAME_BOX.items():
        assert from_canonical([box], fmt, W, H) == [
            {"box": pytest.approx(coords), "label": "car", "score": 0.5}
        ]
    assert from_canonical([box], "coco", W, H)[0]["bbox"] == [20.0, 10.0, 40.0, 40.0]


# -- validate_boxes ---------------------------------------------------------------------


def check(df, **kw):
    kw.setdefault("box_format", "xyxy")
    kw.setdefault("labels", ["car", "person"])
    kw.setdefault("widths", W)
    kw.setdefault("heights", H)
    return validate_boxes(df, **kw)


def bad(df, match, **kw):
    with pytest.raises(ValueError, match=match) as info:
        check(df, **kw)
    return str(info.value)


def test_validate_boxes_good_frame():
    df = pd.DataFrame(
        {
            "boxes": [
                [[20, 10, 60, 50], [0, 0, 5, 5]],
                [],
                [{"box": [1, 2, 3, 4], "label": "car", "score": 0.9}],
            ],
            "w": [200, 10, 10],
            "h": [100, 10, 10],
        }
    )
    with pytest.raises(ValueError, match=r"boxes without a label in rows 0"):
        check(df, widths="w", heights="h")
    out = check(df, widths="w", heights="h", labels=["car"])  # one label: a box without one gets it
    assert [len(r) for r in out] == [2, 0, 1]
    assert out[0][1] == {
        "x1": 0.0,
        "y1": 0.0,
        "x2": 5.0,
        "y2": 5.0,
        "label": "car",
        "score": None,
        "id": "b1",
    }
    assert out[2][0]["score"] == 0.9


def test_labels_and_scores_columns():
    df = pd.DataFrame(
        {
            "boxes": [np.array([[20, 10, 60, 50], [0, 0, 5, 5]]), []],
            "lab": [["person", "car"], []],
            "sc": [np.array([0.25, 1.0]), None],
        }
    )
    out = check(df, labels_column="lab", scores_column="sc")
    assert [(b["label"], b["score"]) for b in out[0]] == [("person", 0.25), ("car", 1.0)]
    assert out[1] == []


def test_widths_and_heights():
    df = pd.DataFrame({"boxes": [[[1, 1, 150, 2]], [[1, 1, 2, 2]]], "w": [200, None]})
    bad(df, r"widths: missing or non-positive image sizes in rows 1", widths="w", labels=["car"])
    bad(df, r"widths: 3 values for 2 rows", widths=[1, 2, 3], labels=["car"])
    bad(df, r"widths='wide': no such column", widths="wide", labels=["car"])
    bad(df, r"heights: missing or non-positive image sizes in rows 0, 1", heights=0, labels=["car"])
    assert len(check(df, widths=np.array([200, 10]), labels=["car"])) == 2


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (
            [None, [[1, 1, 2, 2]]],
            r"boxes='boxes': missing values \(give \[\] for an image without boxes\) in rows 0",
        ),
        ([[[1, 1, 2, 2]], float("nan")], r"missing values .* in rows 1"),
        (
            ["[[1, 1, 2, 2]]", [[1, 1, 2, 2]]],
            r"values that are not a list of boxes in rows 0 \(row 0: a str .*json.loads",
        ),
        ([[1, 1, 2, 2], []], r"not a list of boxes in rows 0 \(row 0: one box \[1, 1, 2, 2\], not a list"),
        ([{"a": 1}, []], r"not a list of boxes in rows 0 \(row 0: a dict\)"),
        ([[[1, 1, 2]], []], r"boxes that are not 4 finite numbers in rows 0 \(row 0: box 0 is \[1, 1, 2\]\)"),
        ([[], [[1, 1, 2, "3"]]], r"not 4 finite numbers in rows 1 \(row 1: box 0 is \[1, 1, 2, '3'\]\)"),
        ([[], [[1, 1, 2, float("inf")]]], r"not 4 finite numbers in rows 1"),
        ([[[1, 1, True, 2]], []], r"not 4 finite numbers in rows 0"),
        ([np.zeros((2, 3)), []], r"not a list of boxes in rows 0 \(row 0: an array of shape \(2, 3\)"),
        (
            [[[5, 5, 5, 9]], [[5, 9, 6, 3]], [[1, 1, 2, 2]] * 3],
            r"zero or negative width or height in rows 0, 1",
        ),
        (
            [[[1, 1, 200.6, 2]], [[1, 1, 2, 2]]],
            r"outside the image .* in rows 0 \(row 0: box 0 is \[1.0, 1.0, 200.6, 2.0\]",
        ),
        ([[[-0.6, 1, 2, 2]], [[1, 1, 2, 2]]], r"outside the image .* in rows 0"),
        (
            [[[1, 1, 2, 2]], [{"box": [1, 1, 2, 2], "label": "car", "score": 1.5}]],
            r"scores that are not numbers in \[0, 1\] in rows 1",
        ),
        (
            [[{"box": [1, 1, 2, 2], "label": "car", "score": "high"}]],
            r"scores .* in rows 0 \(row 0: box 0 has score 'high'\)",
        ),
    ],
)
def test_bad_boxes(rows, match):
    df = pd.DataFrame(
        {"boxes": rows, "lab": [["car"] * (len(r) if isinstance(r, list) else 1) for r in rows]}
    )
    bad(df, match, labels=["car"])


def test_every_problem_in_one_message_and_nothing_evaluated():
    df = pd.DataFrame({"boxes": ["__import__('os').system('x')", None, [[1, 1, 500, 2]], [[2, 2, 1, 1]]]})
    text = bad(df, "not a list of boxes", labels=["car"])
    assert len(text.splitlines()) == 4
    assert "missing values" in text and "outside the image" in text and "zero or negative" in text


def test_tolerance_clips_within_half_a_pixel():
    df = pd.DataFrame({"boxes": [[[-0.5, -0.2, 200.5, 100.4], [199.0, 99.0, 200.3, 100.0]]]})
    (row,) = check(df, labels=["car"])
    assert [row[0][k] for k in ("x1", "y1", "x2", "y2")] == [0.0, 0.0, 200.0, 100.0]
    assert row[1]["x2"] == 200.0
    # a sliver within the tolerance but wholly outside the image is outside, not clipped to nothing
    bad(pd.DataFrame({"boxes": [[[200.1, 1, 200.4, 2]]]}), r"outside the image .* in rows 0", labels=["car"])


def test_unknown_labels_are_shown_literally():
    df = pd.DataFrame(
        {"boxes": [[{"box": [1, 1, 2, 2], "label": HOSTILE}], [{"box": [1, 1, 2, 2], "label": "car"}]]}
    )
    text = bad(df, r"boxes='boxes': unknown labels in rows 0")
    assert f"label {HOSTILE!r}; labels are ['car', 'person']" in text
    df = pd.DataFrame({"boxes": [[[1, 1, 2, 2]]], "lab": [["truck"]]})
    bad(
        df,
        r"labels_column='lab': unknown labels in rows 0 \(row 0: box 0 has label 'truck'",
        labels_column="lab",
    )


def test_label_and_score_column_lengths():
    df = pd.DataFrame(
        {
            "boxes": [[[1, 1, 2, 2]], [[1, 1, 2, 2]]],
            "lab": [["car", "car"], ["car"]],
            "sc": [[0.5], [0.5, 0.1]],
        }
    )
    text = bad(df, "differs from the number of boxes", labels_column="lab", scores_column="sc")
    assert (
        "labels_column='lab': lists whose length differs from the number of boxes in rows 0 (row 0: 2 labels for 1 boxes)"
        in text
    )
    assert (
        "scores_column='sc': lists whose length differs from the number of boxes in rows 1 (row 1: 2 scores for 1 boxes)"
        in text
    )
    df = pd.DataFrame({"boxes": [[{"box": [1, 1, 2, 2], "label": "car"}]], "lab": [["car"]]})
    bad(df, "labels_column='lab': labels or scores given both", labels_column="lab")
    bad(
        pd.DataFrame({"boxes": [[[1, 1, 2, 2]]], "sc": [[3.0]]}),
        r"scores_column='sc': scores that are not",
        labels=["car"],
        scores_column="sc",
    )


def test_wrong_box_format_is_named():
    xywh = pd.DataFrame(
        {"boxes": [[[50, 40, 20, 30], [120, 10, 30, 30]], [[100, 50, 10, 10]], [[1, 1, 50, 50]]]}
    )
    text = bad(
        xywh,
        r"box_format='xyxy' but most boxes are not xyxy .* these look like xywh boxes \(box_format='xywh'\) in rows 0, 1",
        labels=["car"],
    )
    assert len(text.splitlines()) == 1  # said once, not one 'zero or negative' line per box
    assert len(check(xywh, box_format="xywh", labels=["car"])) == 3
    bad(
        xywh,
        r"box_format='yolo' but most boxes have values above 1: these look like pixel boxes",
        box_format="yolo",
        labels=["car"],
    )
    yolo = pd.DataFrame({"boxes": [[[0.5, 0.5, 0.2, 0.2]], [[0.1, 0.2, 0.1, 0.1]]]})
    bad(
        yolo,
        r"box_format='cxcywh' but every value is within \[0, 1\]: these look like normalised boxes \(box_format='yolo'\)",
        box_format="cxcywh",
        labels=["car"],
    )
    bad(
        xywh,
        r"COCO boxes without a 'bbox' key in rows 0, 1, 2 \(row 0: box 0 is \[50, 40, 20, 30\], not a dict",
        box_format="coco",
        labels=["car"],
    )
    dicts = pd.DataFrame({"boxes": [[{"box": [1, 1, 2, 2], "label": "car"}]]})
    bad(
        dicts,
        r"COCO boxes without a 'bbox' key in rows 0 \(row 0: box 0 has keys \['box', 'label'\]: these look like",
        box_format="coco",
    )
    coco = pd.DataFrame({"boxes": [[{"bbox": [1, 1, 2, 2], "label": "car"}]]})
    bad(coco, r"dicts without a 'box' key .* these look like COCO annotations \(box_format='coco'\)")
    with pytest.raises(ValueError, match="box_format must be one of"):
        check(coco, box_format="XYXY")


# -- small tasks ------------------------------------------------------------------------


def boxes_of(spec, labels=("car",)):
    """Canonical boxes from (x1, y1, x2, y2) tuples, labels cycling."""
    return [
        {
            "x1": float(a),
            "y1": float(b),
            "x2": float(c),
            "y2": float(d),
            "label": labels[k % len(labels)],
            "score": 0.5,
            "id": f"b{k}",
        }
        for k, (a, b, c, d) in enumerate(spec)
    ]


def assert_partition(tasks, boxes, max_boxes, item_id):
    shown = [bid for t in tasks for bid in t.box_ids]
    assert sorted(shown) == sorted(b["id"] for b in boxes)  # every box in exactly one task
    assert all(len(t.box_ids) <= max_boxes for t in tasks)
    assert len({t.task_id for t in tasks}) == len(tasks)
    assert all(t.item_id == item_id and t.task_id.rpartition("#")[0] == item_id for t in tasks)


def test_few_boxes_are_one_task():
    boxes = boxes_of([(1, 1, 2, 2)] * 3)
    (task,) = split_tasks("img#1", boxes, max_boxes=3, by="tile", width=W, height=H)
    assert task == Task("img#1#all", "img#1", ("b0", "b1", "b2"), None, (0.0, 0.0, W, H))
    (task,) = split_tasks("img", [], max_boxes=3, by="label", width=W, height=H)
    assert task.box_ids == () and task.task_id == "img#all"  # an image without proposals: still reviewed


def test_split_by_label_keeps_hostile_labels_apart():
    labels = (HOSTILE, "a#label=b", "a", "car")
    boxes = boxes_of([(k, k, k + 5, k + 5) for k in range(40)], labels)
    tasks = split_tasks("x#label=a", boxes, max_boxes=4, by="label", width=W, height=H)
    assert_partition(tasks, boxes, 4, "x#label=a")
    by_id = {b["id"]: b for b in boxes}
    for t in tasks:
        assert {by_id[i]["label"] for i in t.box_ids} == {t.label}  # one label per task, literal
    assert {t.label for t in tasks} == set(labels)
    hostile = [t for t in tasks if t.label == HOSTILE]
    assert len(hostile) == 3  # 10 boxes, at most 4 a task: 4 + 3 + 3
    assert hostile[0].task_id == "x#label=a#label=%3C%2Fscript%3E%3Cimg%20onerror%3Dalert%281%29%3E;0"
    assert [len(t.box_ids) for t in hostile] == [4, 3, 3]
    assert "x#label=a#label=a%23label%3Db;0" in {t.task_id for t in tasks}


def test_split_by_tile():
    rng = np.random.default_rng(1)
    xy = rng.uniform([0, 0], [990, 790], (300, 2))
    xy[:100] = rng.uniform([10, 10], [60, 60], (100, 2))  # a crowd in one corner
    boxes = boxes_of([(x, y, x + 10, y + 10) for x, y in xy])
    tasks = split_tasks("i", boxes, max_boxes=12, by="tile", width=1000, height=800)
    assert_partition(tasks, boxes, 12, "i")
    by_id = {b["id"]: b for b in boxes}
    for t in tasks:
        x1, y1, x2, y2 = t.region
        for i in t.box_ids:  # each box is in the tile holding its centre
            b = by_id[i]
            assert x1 <= (b["x1"] + b["x2"]) / 2 <= x2 and y1 <= (b["y1"] + b["y2"]) / 2 <= y2
    # the crowded corner is cut finer than the rest
    depths = {t.task_id: int(t.task_id.split("=")[1].split(":")[0]) for t in tasks}
    assert max(depths.values()) > min(depths.values())


def test_a_pile_of_identical_boxes_falls_back_to_chunks():
    boxes = boxes_of([(10, 10, 20, 20)] * 25 + [(150, 80, 160, 90)])
    tasks = split_tasks("i", boxes, max_boxes=10, by="tile", width=W, height=H)
    assert_partition(tasks, boxes, 10, "i")
    assert sorted(len(t.box_ids) for t in tasks) == [1, 8, 8, 9]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 190), st.integers(0, 90), st.integers(1, 10), st.integers(1, 10)),
        max_size=60,
    ),
    st.integers(1, 7),
    st.sampled_from(["label", "tile"]),
)
def test_split_is_always_a_partition(spec, max_boxes, by):
    boxes = boxes_of([(x, y, x + w, y + h) for x, y, w, h in spec], ("car", "person", "a;0"))
    tasks = split_tasks("item", boxes, max_boxes=max_boxes, by=by, width=W, height=H)
    assert_partition(tasks, boxes, max_boxes, "item")


def test_split_arguments():
    boxes = boxes_of([(1, 1, 2, 2)])
    with pytest.raises(ValueError, match="max_boxes must be a positive int"):
        split_tasks("i", boxes, max_boxes=0, by="tile", width=W, height=H)
    with pytest.raises(ValueError, match="by must be 'label' or 'tile'"):
        split_tasks("i", boxes, max_boxes=2, by="grid", width=W, height=H)
    with pytest.raises(ValueError, match="unique str 'id'"):
        split_tasks("i", boxes * 2, max_boxes=2, by="tile", width=W, height=H)


def test_merge_keeps_edits_deletes_and_adds():
    boxes = boxes_of(
        [(10, 10, 20, 20), (12, 12, 22, 22), (150, 60, 160, 70), (170, 80, 180, 90)], ("car", "person")
    )
    tasks = split_tasks("i", boxes, max_boxes=1, by="label", width=W, height=H)
    assert [t.box_ids for t in tasks] == [("b0",), ("b2",), ("b1",), ("b3",)]
    edited = {**boxes[0], "x2": 25.0, "score": None}
    added = {"x1": 1.0, "y1": 1.0, "x2": 5.0, "y2": 5.0, "label": "car", "score": None, "id": "tmp-1"}
    results = {
        tasks[0].task_id: [edited, {**added, "id": None}],  # b0 edited, a box added
        tasks[1].task_id: [],  # b2 deleted
        tasks[2].task_id: [boxes[1]],  # b1 kept
        tasks[3].task_id: [boxes[3], added],  # b3 kept, a box added (the browser's own id)
    }
    merged = merge_tasks("i", tasks, results)
    assert [b["id"] for b in merged] == ["b0", "n0", "b1", "b3", "n1"]
    assert merged[0] == edited
    assert merged[1] == {**added, "id": "n0"}
    assert "b2" not in {b["id"] for b in merged}


def test_merge_fresh_ids_never_reuse_a_model_id():
    boxes = [{**b, "id": f"n{k}"} for k, b in enumerate(boxes_of([(1, 1, 2, 2), (3, 3, 4, 4)]))]
    tasks = split_tasks("i", boxes, max_boxes=5, by="tile", width=W, height=H)
    new = {"x1": 5.0, "y1": 5.0, "x2": 6.0, "y2": 6.0, "label": "car"}
    merged = merge_tasks("i", tasks, {tasks[0].task_id: [new, new]})  # both model boxes deleted
    assert [b["id"] for b in merged] == ["n2", "n3"]
    assert merged[0]["score"] is None


def test_merge_errors():
    boxes = boxes_of([(1, 1, 2, 2), (150, 80, 160, 90)], ("car", "person"))
    tasks = split_tasks("i", boxes, max_boxes=1, by="label", width=W, height=H)
    first, second = tasks[0].task_id, tasks[1].task_id
    with pytest.raises(ValueError, match=r"item 'i': no result for tasks \['i#label=person'\]"):
        merge_tasks("i", tasks, {first: []})
    with pytest.raises(ValueError, match=r"tasks of another item than 'j'"):
        merge_tasks("j", tasks, {first: [], second: []})
    with pytest.raises(ValueError, match=r"not its tasks: \['k#all'\]"):
        merge_tasks("i", tasks, {first: [], second: [], "k#all": []})
    with pytest.raises(ValueError, match=r"box 'b1' belongs to task 'i#label=person'"):
        merge_tasks("i", tasks, {first: [boxes[1]], second: []})
    with pytest.raises(ValueError, match=r"\[0\]: zero or negative width or height"):
        merge_tasks("i", tasks, {first: [{**boxes[0], "x2": 0.5}], second: []})
    with pytest.raises(ValueError, match=r"'label' must be a non-empty str"):
        merge_tasks("i", tasks, {first: [{**boxes[0], "label": None}], second: []})
    with pytest.raises(ValueError, match=r"appears twice"):
        merge_tasks("i", tasks, {first: [boxes[0], boxes[0]], second: []})
