"""Box exports: COCO JSON (loads in pycocotools), YOLO label files, a Hugging Face
object-detection dataset; and the checks that refuse bad input before writing anything."""

from __future__ import annotations

import contextlib
import io
import json
import os

import numpy as np
import pandas as pd
import pytest

from hitl_widgets.box_exports import to_coco, to_hf_objects, to_yolo

LABELS = ["person", "car", "dog"]  # not sorted: the order fixes the ids


def box(x1, y1, x2, y2, label, score=None, id=None):
    b = {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "label": label, "score": score}
    if id is not None:
        b["id"] = id
    return b


def frame(root=None):
    """Three images (the last one without boxes), fractional coordinates, a box on the edge."""
    names = ["a.png", "sub/b.png", "c.png"]
    df = pd.DataFrame(
        {
            "file": [str(root / n) if root else n for n in names],
            "w": [64, 40, 32],
            "h": [48, 30, 32],
            "objects": [
                [box(1.5, 3.3, 30.1, 20.7, "car", 0.9, "b1"), box(0, 0, 64, 48, "person")],
                [box(10, 5, 39.99, 29.5, "dog"), box(3.3, 3.3, 6.6, 7.7, "car")],
                [],
            ],
        },
        index=["r0", "r1", "r2"],
    )
    return df


NAMES = {"image": "file", "width": "w", "height": "h", "boxes": "objects"}


def all_boxes(df):
    return [(k, b) for k, cell in enumerate(df["objects"]) for b in cell]


# ---------------------------------------------------------------------------
# COCO
# ---------------------------------------------------------------------------
def load_coco(dataset):
    pytest.importorskip("pycocotools")
    from pycocotools.coco import COCO

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = dataset
        coco.createIndex()
    return coco


def test_coco_loads_in_pycocotools_and_round_trips(tmp_path):
    df = frame()
    path = tmp_path / "out" / "coco.json"
    out = to_coco(df, labels=LABELS, path=path, **NAMES)
    assert json.loads(path.read_text(encoding="utf-8")) == out
    coco = load_coco(out)
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == LABELS
    assert coco.getImgIds() == [1, 2, 3]
    assert [(i["file_name"], i["width"], i["height"]) for i in coco.loadImgs([1, 2, 3])] == [
        ("a.png", 64, 48),
        ("sub/b.png", 40, 30),
        ("c.png", 32, 32),
    ]
    assert coco.getAnnIds(imgIds=[3]) == []
    anns = coco.loadAnns(coco.getAnnIds())
    assert len(anns) == 4
    for (k, b), a in zip(all_boxes(df), anns, strict=True):
        x, y, w, h = a["bbox"]
        assert a["image_id"] == k + 1 and a["iscrowd"] == 0
        assert LABELS[a["category_id"] - 1] == b["label"]
        np.testing.assert_allclose([x, y, x + w, y + h], [b["x1"], b["y1"], b["x2"], b["y2"]], rtol=1e-12)
        assert a["area"] == pytest.approx(w * h)
        assert a.get("score") == b["score"]  # only the model-scored box carries one
    assert len({a["id"] for a in anns}) == 4
    assert coco.getAnnIds(catIds=[LABELS.index("car") + 1]) == [1, 4]


def test_coco_default_labels_are_sorted():
    out = to_coco(frame(), **NAMES)
    assert [c["name"] for c in out["categories"]] == ["car", "dog", "person"]
    assert [c["id"] for c in out["categories"]] == [1, 2, 3]
    assert out["annotations"][0]["category_id"] == 1  # car


# ---------------------------------------------------------------------------
# YOLO
# ---------------------------------------------------------------------------
def read_yolo(path):
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    return [(int(r[0]), *map(float, r[1:])) for r in rows]


def test_yolo_files_parse_back(tmp_path):
    yaml = pytest.importorskip("yaml")
    df = frame()
    written = to_yolo(df, tmp_path / "labels", labels=LABELS, **NAMES)
    root = tmp_path / "labels"
    assert written == [
        root / "a.txt",
        root / "sub" / "b.txt",
        root / "c.txt",
        root / "classes.txt",
        root / "data.yaml",
    ]
    assert (root / "classes.txt").read_text(encoding="utf-8") == "person\ncar\ndog\n"
    assert yaml.safe_load((root / "data.yaml").read_text(encoding="utf-8")) == {
        "nc": 3,
        "names": {0: "person", 1: "car", 2: "dog"},
    }
    assert (root / "c.txt").read_text(encoding="utf-8") == ""  # a background image
    line = (root / "a.txt").read_text(encoding="utf-8").splitlines()[0]
    assert line == "1 0.246875 0.250000 0.446875 0.362500"  # 6 decimals, class car = 1
    for k, txt in enumerate(written[:3]):
        W, H = df["w"].iloc[k], df["h"].iloc[k]
        back = read_yolo(txt)
        assert len(back) == len(df["objects"].iloc[k])
        for (cls, cx, cy, w, h), b in zip(back, df["objects"].iloc[k], strict=True):
            assert LABELS[cls] == b["label"]
            got = [(cx - w / 2) * W, (cy - h / 2) * H, (cx + w / 2) * W, (cy + h / 2) * H]
            want = [b["x1"], b["y1"], b["x2"], b["y2"]]
            # 6 decimals of a normalised coordinate: within 1e-6 of the image's size
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * max(W, H))


def test_yolo_refuses_overwrite_and_touches_nothing_foreign(tmp_path):
    root = tmp_path / "labels"
    to_yolo(frame(), root, **NAMES)
    foreign = root / "notes.md"
    foreign.write_text("mine", encoding="utf-8")
    (root / "a.txt").write_text("edited by hand\n", encoding="utf-8")
    changed = frame()
    changed.at["r2", "objects"] = [box(0, 0, 8, 8, "dog")]
    with pytest.raises(FileExistsError, match=r"already exist.*overwrite=True"):
        to_yolo(changed, root, **NAMES)
    assert (root / "a.txt").read_text(encoding="utf-8") == "edited by hand\n"
    assert (root / "c.txt").read_text(encoding="utf-8") == ""  # nothing written, not even new content
    to_yolo(changed, root, overwrite=True, **NAMES)
    assert (root / "a.txt").read_text(encoding="utf-8").startswith("0 ")
    assert read_yolo(root / "c.txt") == [(1, 0.125, 0.125, 0.25, 0.25)]
    assert foreign.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in root.iterdir()) == [
        "a.txt",
        "c.txt",
        "classes.txt",
        "data.yaml",
        "notes.md",
        "sub",
    ]


@pytest.mark.parametrize(
    "name", ["../x.png", "sub/../../x.png", "/abs/x.png", "..\\x.png", "C:\\x.png", "\\\\server\\x.png"]
)
def test_yolo_refuses_names_outside_the_directory(tmp_path, name):
    df = frame()
    df.at["r1", "file"] = name
    with pytest.raises(ValueError, match=r"column 'file'.*in row 'r1'"):
        to_yolo(df, tmp_path / "labels", **NAMES)
    assert not (tmp_path / "labels").exists()
    assert not (tmp_path / "x.txt").exists()


def test_yolo_refuses_colliding_label_files(tmp_path):
    df = frame()
    df.at["r2", "file"] = "a.jpg"
    with pytest.raises(ValueError, match=r"'a.png' \(row 'r0'\) and 'a.jpg' \(row 'r2'\) would share"):
        to_yolo(df, tmp_path, **NAMES)
    df.at["r2", "file"] = "classes.png"
    with pytest.raises(ValueError, match=r"would be classes\.txt"):
        to_yolo(df, tmp_path, **NAMES)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# Hugging Face datasets
# ---------------------------------------------------------------------------
def test_hf_objects_features_and_values(tmp_path):
    datasets = pytest.importorskip("datasets")
    Image = pytest.importorskip("PIL.Image")
    df = frame(tmp_path)
    for path, w, h in zip(df["file"], df["w"], df["h"], strict=True):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.new("RGB", (w, h), (200, 30, 30)).save(path)
    ds = to_hf_objects(df, labels=LABELS, **NAMES)
    assert len(ds) == 3
    f = ds.features
    assert isinstance(f["image"], datasets.Image)
    objects = f["objects"]
    assert objects["category"].feature.names == LABELS  # a list of ClassLabel
    assert objects["bbox"].feature.length == 4 and objects["bbox"].feature.feature.dtype == "float32"
    assert objects["area"].feature.dtype == "float32" and objects["id"].feature.dtype == "int64"
    row = ds[0]
    assert (
        row["image"].size == (64, 48) and row["image_id"] == 1 and (row["width"], row["height"]) == (64, 48)
    )
    np.testing.assert_allclose(row["objects"]["bbox"], [[1.5, 3.3, 28.6, 17.4], [0, 0, 64, 48]], rtol=1e-6)
    assert [LABELS[c] for c in row["objects"]["category"]] == ["car", "person"]
    assert row["objects"]["id"] == [1, 2]
    np.testing.assert_allclose(row["objects"]["area"], [28.6 * 17.4, 64 * 48], rtol=1e-6)
    assert ds[1]["objects"]["id"] == [3, 4] and ds[1]["image"].size == (40, 30)
    assert ds[2]["objects"] == {"id": [], "area": [], "bbox": [], "category": []}


def test_hf_objects_needs_the_image_files(tmp_path):
    pytest.importorskip("datasets")
    with pytest.raises(
        ValueError, match=r"column 'file': no image file at .*a\.png.*rows \['r0', 'r1', 'r2'\]"
    ):
        to_hf_objects(frame(tmp_path), **NAMES)


# ---------------------------------------------------------------------------
# bad input: named, and nothing written
# ---------------------------------------------------------------------------
def _broken(kind):
    df = frame()
    if kind == "outside":
        df.at["r1", "objects"] = [box(10, 5, 40.5, 29.5, "dog")]  # the image is 40 wide
        return df, r"column 'objects': a box outside its image in row \['r1'\].*x2.*40\.5.*40 x 30"
    if kind == "inverted":
        df.at["r0", "objects"] = [box(5, 5, 5, 9, "dog")]
        return df, r"column 'objects': a box without area .* in row \['r0'\]"
    if kind == "label":
        df.at["r2", "objects"] = [box(0, 0, 1, 1, "cat")]
        return (
            df,
            r"column 'objects': label\(s\) \['cat'\] not in labels=\['person', 'car', 'dog'\] in row \['r2'\]",
        )
    if kind == "width":
        df["w"] = [64, np.nan, None]
        return df, r"column 'w': missing, non-integer or non-positive image size in rows \['r1', 'r2'\]"
    if kind == "height":
        df["h"] = [48, 30.5, 32]
        return df, r"column 'h': .* in row \['r1'\]"
    if kind == "cell":
        df.at["r1", "objects"] = None
        return df, r"column 'objects': expected a list of boxes .* in row \['r1'\]"
    if kind == "box":
        df.at["r0", "objects"] = [{"x1": 0, "y1": 0, "x2": 1, "label": "car"}]
        return df, r"column 'objects': a box is not a dict with numeric x1, y1, x2, y2 .* in row \['r0'\]"
    if kind == "column":
        return df.drop(columns="h"), r"missing column\(s\) height='h'"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["outside", "inverted", "label", "width", "height", "cell", "box", "column"])
def test_bad_input_is_named_and_nothing_is_written(tmp_path, kind):
    df, message = _broken(kind)
    with pytest.raises(ValueError, match=message):
        to_coco(df, labels=LABELS, path=tmp_path / "coco.json", **NAMES)
    with pytest.raises(ValueError, match=message):
        to_yolo(df, tmp_path / "yolo", labels=LABELS, **NAMES)
    with pytest.raises(ValueError, match=message):
        to_hf_objects(df, labels=LABELS, **NAMES)
    assert list(tmp_path.iterdir()) == []


def test_labels_argument_is_checked():
    with pytest.raises(ValueError, match=r"labels: \['car'\] appear more than once"):
        to_coco(frame(), labels=["car", "dog", "person", "car"], **NAMES)
    with pytest.raises(ValueError, match="labels: every label must be non-empty text"):
        to_coco(frame(), labels=["car", "dog", "person", 3], **NAMES)
