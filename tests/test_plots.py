"""Plots for several annotators: the numbers in each figure equal the ones computed by
hand, and a click on the confusion matrix reviews exactly that cell's items."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.metrics import cohen_kappa, per_label_agreement, ratings
from hitl_widgets.plots import (
    agreement_heatmap,
    annotator_timeline,
    confusion_matrix,
    per_label_agreement_bars,
)

go = pytest.importorskip("plotly.graph_objects")
LABELS = ["auto", "theft", "water"]
T = "classification"  # the team's task (rechecks go to "recheck")


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """18 items, three annotators (overlap 3) with fixed answers, a few gold items."""
    db = str(tmp_path_factory.mktemp("plots") / "team.db")
    n = 18
    ids = [f"c{i:02d}" for i in range(n)]
    truth = [LABELS[i % 3] for i in range(n)]
    pred = [LABELS[(i // 2) % 3] for i in range(n)]
    df = pd.DataFrame(
        {"text": [f"claim text {i}" for i in range(n)], "pred": pred, "confidence": 0.8, "truth": truth},
        index=ids,
    )
    df["gold"] = None
    df.loc[["c00", "c07", "c14"], "gold"] = df.loc[["c00", "c07", "c14"], "truth"]
    answers = {}
    for who in ("ann", "bob", "cy"):
        w = hw.ClassificationReview(
            df, labels=LABELS, store=db, annotator=who, overlap=3, gold="gold", gold_rate=0.15
        )
        while w.current is not None:
            item = w.current["item_id"]
            i = int(item[1:])
            t = df.loc[item, "truth"]
            # bob says auto for theft; cy flips every 5th item to the next label
            label = (
                "auto"
                if (who == "bob" and t == "theft")
                else (LABELS[(LABELS.index(t) + 1) % 3] if (who == "cy" and i % 5 == 4) else t)
            )
            w.correct(label)
            answers[(item, who)] = label
        w.close()
    return db, df, answers


def test_confusion_matrix_counts_and_normalization(team):
    db, df, answers = team
    view = confusion_matrix(db, task=T, labels=LABELS, items=df, review_kwargs={"text": "text"})
    fig = view.figure
    assert isinstance(fig, go.FigureWidget)
    heat = fig.data[0]
    assert list(heat.x) == LABELS and list(heat.y) == LABELS
    # by hand: every rating, human label (row) x the item's model label (column)
    hand = np.zeros((3, 3), dtype=int)
    for (item, _who), label in answers.items():
        hand[LABELS.index(label), LABELS.index(df.loc[item, "pred"])] += 1
    assert np.array_equal(np.array(heat.z, dtype=float), hand)
    assert hand.sum() == len(answers) == 54
    assert np.array_equal(view.counts.to_numpy(), hand)
    normed = confusion_matrix(db, normalize=True, task=T, labels=LABELS)
    z = np.array(normed.figure.data[0].z, dtype=float)
    assert np.allclose(z.sum(axis=1), 1.0)
    assert np.allclose(z, hand / hand.sum(axis=1, keepdims=True))
    assert np.array_equal(np.array(normed.figure.data[0].customdata), hand)  # counts in the hover


def test_open_cell_reviews_exactly_the_cell(team):
    db, df, answers = team
    view = confusion_matrix(
        db, task=T, labels=LABELS, items=df, annotator="lead", review_kwargs={"text": "text"}
    )
    expected = sorted(
        {item for (item, _w), label in answers.items() if label == "auto" and df.loc[item, "pred"] == "theft"}
    )
    assert expected and view.items_of("auto", "theft") == expected
    review = view.open_cell("auto", "theft")
    assert isinstance(review, hw.ClassificationReview)
    got = [review._queue.position(q) for q in range(len(review._queue))]
    assert sorted(review._items.item_id(p) for p in got) == expected
    assert review.config["task"] == "recheck" and review.annotator == "lead"
    assert view.review is review and view.output.outputs  # shown in the output
    # the recheck lands in the same store, under its own task
    review.correct("theft")
    assert set(hw.open_store(db).events(task="recheck")["item_id"]) <= set(expected)
    # a click does the same (plotly's click callback on the heatmap trace)
    from plotly.callbacks import Points

    h, m = next(k for k in sorted(view.cell_items) if k != ("auto", "theft"))
    view.figure.data[0]._dispatch_on_click(
        Points(point_inds=[[LABELS.index(h), LABELS.index(m)]], xs=[m], ys=[h]), None
    )
    assert view.review is not review
    assert sorted(
        view.review._items.item_id(view.review._queue.position(q)) for q in range(len(view.review._queue))
    ) == view.items_of(h, m)
    # an empty cell, or no items frame: nothing to review
    bare = confusion_matrix(db, task=T, labels=LABELS)
    assert bare.open_cell("auto", "theft") is None
    assert ", ".join(expected) in bare.output.outputs[-1]["text"]


def test_agreement_heatmap_is_cohen_kappa(team):
    db, _df, answers = team
    fig = agreement_heatmap(db, task=T)
    z = np.array(fig.data[0].z, dtype=float)
    anns = list(fig.data[0].x)
    assert anns == ["ann", "bob", "cy"]
    assert np.allclose(np.diag(z), 1.0)
    items = sorted({i for i, _ in answers})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, a in enumerate(anns):
            for j, b in enumerate(anns):
                if i != j:
                    k = cohen_kappa([answers[(it, a)] for it in items], [answers[(it, b)] for it in items])
                    assert z[i, j] == pytest.approx(k)
    assert np.allclose(z, z.T)
    assert np.array(fig.data[0].customdata)[0, 1] == len(items)


def test_per_label_agreement_bars_with_intervals(team):
    db, _df, _answers = team
    fig = per_label_agreement_bars(db, task=T, n_boot=40)
    bar = fig.data[0]
    table = per_label_agreement(ratings(db, task=T)[["item", "annotator", "label"]])
    assert list(bar.x) == list(table["label"])
    assert np.allclose(np.array(bar.y, dtype=float), table["kappa"].to_numpy(dtype=float))
    plus, minus = np.array(bar.error_y.array), np.array(bar.error_y.arrayminus)
    assert (plus >= 0).all() and (minus >= 0).all() and (plus + minus > 0).any()
    # the unclear label (bob's theft -> auto) comes first
    assert bar.x[0] in ("theft", "auto")
    sa = per_label_agreement_bars(db, task=T, statistic="specific_agreement", n_boot=5)
    assert np.allclose(np.array(sa.data[0].y, dtype=float), table["specific_agreement"].to_numpy(dtype=float))
    with pytest.raises(ValueError, match="statistic"):
        per_label_agreement_bars(db, statistic="nope")


def test_annotator_timeline(team):
    db, _df, _answers = team
    fig = annotator_timeline(db, task=T)
    names = {t.name for t in fig.data}
    assert names == {"ann", "bob", "cy"}
    # Python-made decisions carry no time: only gold-accuracy lines, ending at the share right
    gold_lines = {t.name: t for t in fig.data if t.yaxis == "y2"}
    assert set(gold_lines) == {"ann", "bob", "cy"}
    assert gold_lines["ann"].y[-1] == 1.0
    # with times (a ratings frame with durations): a pace line per annotator
    r = ratings(db, task=T).copy()
    r["duration_ms"] = np.arange(len(r)) * 100.0 + 1000
    fig2 = annotator_timeline(r, window=3)
    pace = [t for t in fig2.data if t.yaxis == "y"]
    assert {t.name for t in pace} == {"ann", "bob", "cy"}
    assert all(np.all(np.array(t.y) > 0) for t in pace)
