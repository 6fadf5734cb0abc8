"""Box metrics: IoU, Hungarian matching, reviewer changes, confusion, COCO AP (against
pycocotools' COCOeval) and agreement between annotators, on hand-worked cases."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest

from hitl_widgets.metrics._data import DegenerateIntervalWarning
from hitl_widgets.metrics.boxes import (
    average_precision,
    box_agreement,
    box_changes,
    box_confusion,
    coco_map,
    iou,
    iou_matrix,
    match_boxes,
)


def box(x1, y1, x2, y2, label="cat", score=None, id=None):
    b = {"x1": float(x1), "y1": float(y1), "x2": float(x2), "y2": float(y2), "label": label, "score": score}
    if id is not None:
        b["id"] = id
    return b


def span(a, b, label="cat", **kw):
    """A 10 px high box over x in [a, b]: IoU of two spans is a 1-D overlap ratio."""
    return box(a, 0, b, 10, label, **kw)


# ---------------------------------------------------------------------------
# IoU
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (box(20, 20, 30, 30), 0.0),  # disjoint
        (box(10, 0, 20, 10), 0.0),  # touching along an edge
        (box(10, 10, 20, 20), 0.0),  # touching at a corner
        (box(2, 2, 7, 7), 25 / 100),  # contained: its area over the outer one's
        (box(0, 0, 10, 10), 1.0),  # identical
        (box(5, 0, 15, 10), 50 / 150),  # half overlap
        (box(5, 5, 15, 15), 25 / 175),
    ],
)
def test_iou_hand_worked(other, expected):
    a = box(0, 0, 10, 10)
    assert iou(a, other) == pytest.approx(expected, abs=1e-15)
    assert iou(other, a) == pytest.approx(expected, abs=1e-15)


def test_iou_zero_area_is_zero_without_warnings():
    point, line = box(5, 5, 5, 5), box(2, 5, 8, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = iou_matrix([point, line, box(0, 0, 10, 10)], [point, line])
    assert m.shape == (3, 2)
    assert (m == 0).all()


def test_iou_matrix_values_shapes_and_errors():
    a = [box(0, 0, 10, 10), box(5, 0, 15, 10)]
    b = [box(0, 0, 10, 10), box(20, 20, 30, 30), box(2, 2, 7, 7)]
    m = iou_matrix(a, b)
    np.testing.assert_allclose(m, [[1, 0, 0.25], [1 / 3, 0, 10 / 115]], atol=1e-15)
    np.testing.assert_allclose(iou_matrix(b, a), m.T)
    np.testing.assert_allclose(iou_matrix(np.array([[0, 0, 10, 10]]), a), [[1, 1 / 3]])
    assert iou_matrix([], b).shape == (0, 3)
    with pytest.raises(ValueError, match=r"boxes_b\[1\].*x2 >= x1"):
        iou_matrix(a, [box(0, 0, 1, 1), box(5, 0, 4, 10)])
    with pytest.raises(ValueError, match=r"boxes_a\[0\]: box lacks y2"):
        iou_matrix([{"x1": 0, "y1": 0, "x2": 1}], b)


# ---------------------------------------------------------------------------
# matching
# ---------------------------------------------------------------------------
def _greedy(model, human, thr):
    """Best pair first: the matching Hungarian improves on."""
    m = iou_matrix(model, human)
    pairs = []
    while m.size and m.max() >= thr:
        i, j = np.unravel_index(m.argmax(), m.shape)
        pairs.append((int(i), int(j)))
        m[i, :] = m[:, j] = -1
    return pairs


def test_hungarian_beats_greedy():
    # H0 = [5, 15], H1 = [8, 18]; M0 = [6, 16] fits H0 best (9/11) but also fits H1 (8/12);
    # M1 = [3, 13] fits H0 (8/12) but not H1 (5/15): greedy takes M0-H0 and leaves M1 alone
    human = [span(5, 15), span(8, 18)]
    model = [span(6, 16), span(3, 13)]
    assert _greedy(model, human, 0.5) == [(0, 0)]
    m = match_boxes(model, human, iou_threshold=0.5)
    assert [(i, j) for i, j, _ in m.pairs] == [(0, 1), (1, 0)]
    assert [v for *_, v in m.pairs] == pytest.approx([8 / 12, 8 / 12])
    assert m.unmatched_model == [] and m.unmatched_human == [] and m.n_matched == 2


def test_match_threshold_and_labels():
    human = [span(0, 10), span(100, 110, "dog")]
    model = [span(6, 16), span(100, 110, "cat"), span(50, 60)]  # 4/16 = 0.25 with human 0
    m = match_boxes(model, human, 0.5)
    assert [(i, j) for i, j, _ in m.pairs] == [(1, 1)]
    assert m.unmatched_model == [0, 2] and m.unmatched_human == [0]
    assert match_boxes(model, human, 0.25).n_matched == 2  # IoU equal to the threshold is a match
    by_label = match_boxes(model, human, 0.5, by_label=True)
    assert by_label.pairs == [] and by_label.unmatched_human == [0, 1]
    assert match_boxes([], human).unmatched_human == [0, 1]
    with pytest.raises(ValueError, match="iou_threshold"):
        match_boxes(model, human, 0)


# ---------------------------------------------------------------------------
# what a reviewer changed
# ---------------------------------------------------------------------------
def test_box_changes_every_kind_by_geometry():
    before = [
        box(0, 0, 100, 100),  # kept (a 0.5 px nudge is within the 1 px tolerance)
        box(200, 0, 300, 100),  # moved
        box(400, 0, 500, 100),  # relabelled
        box(600, 0, 700, 100),  # moved + relabelled
        box(800, 0, 900, 100),  # deleted
    ]
    after = [
        box(0.5, 0, 100, 100),
        box(210, 0, 300, 100),
        box(400, 0, 500, 100, "dog"),
        box(600, 5, 700, 100, "dog"),
        box(0, 500, 50, 550, "dog"),  # added
    ]
    ch = box_changes(before, after)
    assert ch["change"].tolist() == ["kept", "moved", "relabelled", "moved+relabelled", "deleted", "added"]
    assert ch["before"].tolist() == [0, 1, 2, 3, 4, pd.NA]
    assert ch["after"].tolist() == [0, 1, 2, 3, pd.NA, 4]
    assert ch["matched_by"].tolist()[:4] == ["iou"] * 4
    assert ch.loc[1, "iou"] == pytest.approx(90 / 100)
    assert ch.loc[1, "max_shift"] == 10
    assert ch.loc[3, "label_before"] == "cat" and ch.loc[3, "label_after"] == "dog"
    assert ch.loc[5, "x1_after"] == 0 and np.isnan(ch.loc[5, "x1_before"])
    # a tighter tolerance counts the nudge as a move
    assert box_changes(before, after, tolerance=0.1)["change"][0] == "moved"


def test_box_changes_by_id():
    before = [box(0, 0, 10, 10, id="a"), box(50, 50, 60, 60, id="b"), box(200, 200, 210, 210)]
    after = [
        box(300, 300, 310, 310, id="a"),  # dragged far away: still the same box
        box(50, 50, 60, 60, id="c"),  # same place, new id: b deleted, c drawn
        box(200, 200, 210, 210, "dog"),  # no id on either side: paired by IoU
    ]
    ch = box_changes(before, after)
    assert ch["change"].tolist() == ["moved", "deleted", "relabelled", "added"]
    assert ch["before"].tolist() == [0, 1, 2, pd.NA] and ch["after"].tolist() == [0, pd.NA, 2, 1]
    assert ch["matched_by"].fillna("-").tolist() == ["id", "-", "iou", "-"]
    assert ch["id"].tolist()[:2] == ["a", "b"] and ch.loc[3, "id"] == "c"
    assert ch.loc[0, "iou"] == 0
    with pytest.raises(ValueError, match=r"after\[1\]: box id 'a' is used twice"):
        box_changes(before, [box(0, 0, 1, 1, id="a"), box(0, 0, 1, 1, id="a")])


def test_box_changes_empty_sides():
    assert box_changes([], []).empty
    assert box_changes([box(0, 0, 1, 1)], [])["change"].tolist() == ["deleted"]
    assert box_changes([], [box(0, 0, 1, 1)])["change"].tolist() == ["added"]


# ---------------------------------------------------------------------------
# confusion
# ---------------------------------------------------------------------------
def test_box_confusion_hand_worked():
    model = {
        "a.png": [box(0, 0, 10, 10, "cat"), box(20, 0, 30, 10, "dog"), box(50, 50, 60, 60, "cat")],
        "b.png": [box(0, 0, 10, 10, "dog"), box(100, 0, 110, 10, "dog")],
    }
    human = {
        "a.png": [box(1, 0, 10, 10, "cat"), box(20, 0, 30, 10, "cat"), box(80, 80, 90, 90, "person")],
        "b.png": [box(0, 0, 10, 10, "dog"), box(106, 0, 116, 10, "dog")],  # 4/16: not a match
    }
    res = box_confusion(model, human)
    t = res.table
    assert t.index.tolist() == ["cat", "dog", "(missed)"]
    assert t.columns.tolist() == ["cat", "dog", "person", "(spurious)"]
    expected = [
        [1, 0, 0, 1],  # cat: one right, one spurious
        [1, 1, 0, 1],  # dog: one confused with cat, one right, one spurious
        [0, 1, 1, 0],  # missed: a dog and a person
    ]
    assert t.to_numpy().tolist() == expected
    p = res.pairs
    assert p["outcome"].value_counts().to_dict() == {
        "correct": 2,
        "spurious": 2,
        "missed": 2,
        "wrong_label": 1,
    }
    wrong = p[p["outcome"] == "wrong_label"].iloc[0]
    assert (wrong["image"], wrong["model_index"], wrong["human_index"]) == ("a.png", 1, 1)
    assert wrong["model_box"]["label"] == "dog" and wrong["human_box"]["label"] == "cat"
    assert p.loc[p["outcome"] == "correct", "iou"].tolist() == pytest.approx([0.9, 1.0])
    # the same as lists
    assert box_confusion(list(model.values()), list(human.values())).table.equals(t)


def test_per_image_inputs_must_agree():
    with pytest.raises(ValueError, match=r"images differ.*only the people's: \['c'\]"):
        box_confusion({"a": []}, {"a": [], "c": []})
    with pytest.raises(ValueError, match="2 images, but model_boxes_per_image has 1"):
        box_confusion([[]], [[], []])
    with pytest.raises(ValueError, match="both as mappings"):
        box_confusion({"a": []}, [[]])


# ---------------------------------------------------------------------------
# average precision vs pycocotools
# ---------------------------------------------------------------------------
LABELS = ("car", "cat", "dog", "person")


def random_case(seed, n_img=12, labels=LABELS, grid=None):
    """Human boxes; the model finds most with jitter (sometimes the wrong label), adds
    spurious boxes, scores at random. ``grid`` snaps coordinates and scores to coarse
    values, so that IoUs land exactly on thresholds and scores tie."""
    rng = np.random.default_rng(seed)

    def rand_box(lab, score=None):
        x1, y1 = rng.uniform(0, 400, 2)
        w, h = rng.uniform(5, 120, 2)
        return [x1, y1, x1 + w, y1 + h, lab, score]

    human, model = {}, {}
    for im in range(n_img):
        hb, mb = [], []
        for _ in range(rng.integers(0, 8)):
            b = rand_box(str(rng.choice(labels)))
            hb.append(b)
            if rng.random() < 0.8:
                w, h = b[2] - b[0], b[3] - b[1]
                j = rng.normal(0, 0.12, 4) * [w, h, w, h]
                lab = b[4] if rng.random() < 0.85 else str(rng.choice(labels))
                mb.append([b[0] + j[0], b[1] + j[1], b[2] + j[2], b[3] + j[3], lab, float(rng.random())])
        mb += [rand_box(str(rng.choice(labels)), float(rng.random())) for _ in range(rng.integers(0, 4))]
        rng.shuffle(mb)
        if grid:
            for b in hb + mb:
                b[:4] = [float(round(v / grid) * grid) for v in b[:4]]
                b[2], b[3] = max(b[2], b[0] + grid), max(b[3], b[1] + grid)
                b[5] = None if b[5] is None else round(b[5], 1)
            mb += [[*b[:5], 0.5] for b in hb[:2]] * 2  # exact duplicates with tied scores
        human[f"img{im:02d}"] = [box(*b) for b in hb]
        model[f"img{im:02d}"] = [box(*b) for b in mb]
    return model, human


def cocoeval(model, human, labels, max_dets=100):
    """pycocotools' COCOeval on the same boxes (images numbered 1.. in the people's order)."""
    pytest.importorskip("pycocotools")
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    cat = {lab: k + 1 for k, lab in enumerate(labels)}
    images, anns, dets = [], [], []
    for n, (img, hb) in enumerate(human.items(), start=1):
        images.append({"id": n, "width": 600, "height": 600})
        for b in hb:
            w, h = b["x2"] - b["x1"], b["y2"] - b["y1"]
            bbox = [b["x1"], b["y1"], w, h]
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": n,
                    "category_id": cat[b["label"]],
                    "bbox": bbox,
                    "area": w * h,
                }
                | {"iscrowd": 0}
            )
        for b in model[img]:
            bbox = [b["x1"], b["y1"], b["x2"] - b["x1"], b["y2"] - b["y1"]]
            dets.append({"image_id": n, "category_id": cat[b["label"]], "bbox": bbox, "score": b["score"]})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {
            "images": images,
            "annotations": anns,
            "categories": [{"id": v, "name": k} for k, v in cat.items()],
        }
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(dets), "bbox")
        ev.params.maxDets = sorted({1, 10, max_dets})
        ev.evaluate()
        ev.accumulate()
        if max_dets == 100:
            ev.summarize()
    m = ev.params.maxDets.index(max_dets)
    return ev, ev.eval["precision"][:, :, :, 0, m]  # T x R x K, area "all"


def _ap(p):
    """COCO's average of a precision block: over the entries > -1 (NaN when none)."""
    return p[p > -1].mean() if (p > -1).any() else np.nan


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("grid", [None, 4.0])
def test_average_precision_equals_cocoeval(seed, grid):
    model, human = random_case(seed, grid=grid)
    ev, prec = cocoeval(model, human, LABELS)
    t50, t75 = 0, int(np.flatnonzero(np.isclose(ev.params.iouThrs, 0.75))[0])
    ap50, ap75, mp = (
        average_precision(model, human),
        average_precision(model, human, 0.75),
        coco_map(model, human),
    )
    assert ap50.per_label.index.tolist() == list(LABELS)
    for k, lab in enumerate(LABELS):
        np.testing.assert_allclose(ap50.per_label.loc[lab, "ap"], _ap(prec[t50, :, k]), atol=1e-6)
        np.testing.assert_allclose(ap75.per_label.loc[lab, "ap"], _ap(prec[t75, :, k]), atol=1e-6)
        np.testing.assert_allclose(mp.per_label.loc[lab, "ap"], _ap(prec[:, :, k]), atol=1e-6)
        np.testing.assert_allclose(mp.per_label.loc[lab, "ap50"], _ap(prec[t50, :, k]), atol=1e-6)
    assert float(mp) == pytest.approx(ev.stats[0], abs=1e-6)
    assert float(ap50) == pytest.approx(ev.stats[1], abs=1e-6)
    assert float(ap75) == pytest.approx(ev.stats[2], abs=1e-6)
    assert mp.per_label["ap75"].mean() == pytest.approx(ev.stats[2], abs=1e-6)
    assert ap50.per_label["n_human"].sum() == sum(map(len, human.values()))


@pytest.mark.parametrize("max_dets", [1, 2, 3])
def test_max_dets_per_image_and_label_as_cocoeval(max_dets):
    model, human = random_case(3)
    _, prec = cocoeval(model, human, LABELS, max_dets)
    assert float(coco_map(model, human, max_dets=max_dets)) == pytest.approx(_ap(prec), abs=1e-6)
    assert float(average_precision(model, human, max_dets=max_dets)) == pytest.approx(_ap(prec[0]), abs=1e-6)


def test_average_precision_hand_worked():
    # two cats; detections by score: a hit, a miss, a hit -> precision 1, 1/2, 2/3 at
    # recall 1/2, 1/2, 1. Envelope: 1 up to recall 0.5 (51 of the 101 levels 0, 0.01, ..,
    # 0.5), then 2/3 for the 50 levels above
    human = [[box(0, 0, 10, 10), box(50, 50, 60, 60)]]
    model = [
        [box(0, 0, 10, 10, score=0.9), box(100, 100, 110, 110, score=0.8), box(51, 50, 61, 60, score=0.7)]
    ]
    res = average_precision(model, human)
    assert float(res) == pytest.approx((51 * 1 + 50 * 2 / 3) / 101, abs=1e-12)
    # at IoU 0.95 the shifted box (9/11) no longer counts: one hit of two, at rank 1
    assert float(average_precision(model, human, 0.95)) == pytest.approx(51 / 101, abs=1e-12)
    assert res.per_label.loc["cat"].tolist() == [pytest.approx(float(res)), 2, 3]


def test_equal_iou_goes_to_the_last_human_box_as_in_cocoeval():
    # the first detection overlaps both cats by 8/12; COCOeval gives it the later one, which
    # leaves the first cat to the second detection (IoU 1; 6/14 with the other): two hits.
    # Taking the first cat on the tie would leave the second detection a false positive
    human = {"a": [span(0, 10), span(4, 14)]}
    model = {"a": [span(2, 12, score=0.9), span(0, 10, score=0.8)]}
    assert float(average_precision(model, human)) == pytest.approx(1.0)
    _, prec = cocoeval(model, human, ["cat"])
    assert float(average_precision(model, human)) == pytest.approx(_ap(prec[0]), abs=1e-12)


def test_recall_levels_as_cocoeval():
    # 100 human boxes: recall steps through k / 100 exactly, and which side of COCO's recall
    # levels (np.linspace, 0.07 is 0.07000000000000001) a step lands on changes the AP
    rng = np.random.default_rng(7)
    human = {
        "a": [box(20 * (k % 10), 20 * (k // 10), 20 * (k % 10) + 10, 20 * (k // 10) + 10) for k in range(100)]
    }
    hits = [dict(b, score=float(s)) for b, s in zip(human["a"], rng.random(100), strict=True)]
    misses = [box(300, 300, 310, 310, score=float(s)) for s in rng.random(60)]
    model = {"a": hits[:80] + misses}
    _, prec = cocoeval(model, human, ["cat"])
    assert float(average_precision(model, human)) == pytest.approx(_ap(prec[0]), abs=1e-12)
    assert float(coco_map(model, human)) == pytest.approx(_ap(prec), abs=1e-12)


def test_average_precision_labels_without_people_boxes_and_errors():
    human = {"a": [box(0, 0, 10, 10, "cat")]}
    model = {"a": [box(0, 0, 10, 10, "cat", score=0.9), box(20, 20, 30, 30, "dog", score=0.8)]}
    res = average_precision(model, human)
    assert np.isnan(res.per_label.loc["dog", "ap"])  # dog: no AP, not in the mean
    assert float(res) == pytest.approx(1.0)
    assert "dog" in res.note
    only_bird = average_precision(model, human, labels=["bird", "cat"])
    assert only_bird.per_label.index.tolist() == ["bird", "cat"] and float(only_bird) == pytest.approx(1)
    with pytest.raises(ValueError, match=r"image 'a', box 1 has no score"):
        average_precision({"a": [box(0, 0, 1, 1, score=0.5), box(0, 0, 1, 1)]}, {"a": []})
    with pytest.raises(ValueError, match="labels: contains duplicates"):
        average_precision(model, human, labels=["cat", "cat"])


# ---------------------------------------------------------------------------
# agreement between annotators
# ---------------------------------------------------------------------------
def three_annotators():
    rows = [
        ("i1", "ana", [span(0, 10, "cat"), span(20, 30, "dog")]),
        ("i1", "ben", [span(1, 11, "cat"), span(20, 30, "cat")]),
        ("i1", "cy", [span(0, 10, "cat")]),
        ("i2", "ana", []),
        ("i2", "ben", []),
        ("i2", "cy", [span(0, 10, "person")]),
        ("i3", "ana", [span(0, 10, "cat")]),  # one annotator only: nothing to compare
    ]
    return pd.DataFrame(rows, columns=["item", "annotator", "boxes"])


def test_box_agreement_three_annotators():
    res = box_agreement(three_annotators(), n_boot=200)
    # i1: ana-ben match 2 (IoU 9/11 and 1, one label differs), ana-cy 1 (IoU 1), ben-cy 1 (9/11)
    # i2: cy's person is unmatched in two comparisons
    assert res.n_images == 2 and res.n_comparisons == 6
    assert res.mean_iou == pytest.approx((2 + 18 / 11) / 4)
    assert res.matched_share == pytest.approx(2 * 4 / 12)  # boxes: 4 + 3 + 3 + 0 + 1 + 1
    assert res.label_agreement == pytest.approx(3 / 4)
    pp = res.per_pair.set_index(["annotator_a", "annotator_b"])
    assert pp.index.tolist() == [("ana", "ben"), ("ana", "cy"), ("ben", "cy")]
    np.testing.assert_allclose(pp["mean_iou"], [(9 / 11 + 1) / 2, 1, 9 / 11])
    np.testing.assert_allclose(pp["matched_share"], [1, 0.5, 0.5])
    np.testing.assert_allclose(pp["label_agreement"], [0.5, 1, 1])
    assert pp["n_images"].tolist() == [2, 2, 2]
    # cat: 3 pairs both cat, 1 pair cat vs dog -> 2*3 / (2*3 + 1); dog: never agreed
    pl = res.per_label.set_index("label")
    assert pl.loc["cat", "specific_agreement"] == pytest.approx(6 / 7)
    assert pl.loc["dog", "specific_agreement"] == 0 and pl.loc["cat", "n_pairs"] == 4
    # intervals over images: the point estimate lies inside, per pair too
    ci = res.ci
    assert ci is not None and ci.index.tolist() == ["mean_iou", "matched_share", "label_agreement"]
    for stat in ci.index:
        assert ci.loc[stat, "low"] <= getattr(res, stat) + 1e-12 <= ci.loc[stat, "high"] + 2e-12
    assert (pp["matched_share_low"] <= pp["matched_share"]).all()
    # with two images a replicate holds i2 twice (matched share 0 / 2), both (8 / 12) or i1 twice (8 / 10)
    assert ci.loc["matched_share"].tolist() == pytest.approx([0.0, 0.8])
    again = box_agreement(three_annotators(), n_boot=200)
    assert again.ci is not None and again.ci.equals(ci)  # seeded


def test_box_agreement_one_image_and_errors():
    one = three_annotators().query("item == 'i1'")
    with pytest.warns(DegenerateIntervalWarning):
        res = box_agreement(one, n_boot=50)
    assert res.ci is not None and res.ci.isna().all().all()
    assert box_agreement(one, n_boot=0).ci is None
    with pytest.raises(ValueError, match=r"missing column\(s\) boxes='boxes'"):
        box_agreement(one.drop(columns="boxes"))
    with pytest.raises(ValueError, match="annotator 'ana' has more than one row for image 'i1'"):
        box_agreement(pd.concat([one, one.head(1)]))
    bad = one.copy()
    bad["boxes"] = [[span(5, 1)], [], []]
    with pytest.raises(ValueError, match=r"image 'i1', annotator 'ana'.*x2 >= x1"):
        box_agreement(bad)
