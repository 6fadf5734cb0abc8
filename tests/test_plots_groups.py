"""Plots of annotator groups: the figures carry the report's numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hitl_widgets as hw


def report():
    rng = np.random.default_rng(0)
    rows = []
    for a in range(12):
        p_yes = 0.8 if a < 6 else 0.3
        for i in range(40):
            rows.append(
                {"item": f"i{i}", "annotator": f"a{a}", "label": "yes" if rng.random() < p_yes else "no"}
            )
    groups = pd.DataFrame({"annotator": [f"a{a}" for a in range(12)], "g": ["A"] * 6 + ["B"] * 6})
    return hw.metrics.by_group(pd.DataFrame(rows), groups, by="g", n_boot=100)


def test_label_shares_and_agreement_by_group_show_the_reports_numbers():
    rep = report()
    fig = hw.plots.label_shares_by_group(rep)
    assert [t.name for t in fig.data] == ["A", "B"]
    a_yes = list(fig.data[0].x).index("yes")
    assert fig.data[0].y[a_yes] == pytest.approx(rep.annotator_shares.loc["A", "yes"])
    assert fig.data[0].y[a_yes] > fig.data[1].y[a_yes]  # group A says yes more often
    fig2 = hw.plots.agreement_by_group(rep)
    bars = dict(zip(fig2.data[0].x, fig2.data[0].y, strict=True))
    assert set(bars) == {"A", "B", "(all annotators)", "(across groups)"}
    assert bars["A"] == pytest.approx(rep.alpha.loc["A", "alpha"])
    upper = np.asarray(fig2.data[0].error_y.array) + np.asarray(fig2.data[0].y)
    assert upper == pytest.approx(rep.alpha["high"].to_numpy())
    with pytest.raises(ValueError, match="report must be the result of"):
        hw.plots.agreement_by_group(rep.alpha)


# --------------------------------------------------------------------------- confusion by group
# model: i0 yes, i1 yes, i2 no, i3 no; teams A (a1-a3), B (b1-b3) and C (c1 alone)
MODEL = {"i0": "yes", "i1": "yes", "i2": "no", "i3": "no"}
ANSWERS = {
    "a1": {"i0": "yes", "i1": "no", "i2": "no", "i3": "no"},
    "a2": {"i0": "yes", "i1": "yes", "i2": "yes"},
    "a3": {"i0": "yes", "i2": "no"},
    "b1": {"i0": "no", "i1": "no", "i2": "no", "i3": "yes"},
    "b2": {"i0": "no", "i1": "yes"},
    "b3": {"i3": "yes", "i2": "no"},
    "c1": {"i3": "no", "i2": "yes"},
}


def team_ratings() -> pd.DataFrame:
    rows = [
        {"item": i, "annotator": a, "label": lab, "model_label": MODEL[i]}
        for a, answers in ANSWERS.items()
        for i, lab in answers.items()
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def team_store(tmp_path):
    db = str(tmp_path / "groups.db")
    for a in ANSWERS:
        hw.annotators.profile(db, a, {"team": a[0].upper(), "age": "30-44"}, consent=True)
    items = pd.DataFrame(
        {"text": [f"text {i}" for i in MODEL], "pred": list(MODEL.values()), "confidence": 0.7},
        index=list(MODEL),
    )
    return db, items


def test_confusion_by_group_counts_equal_a_hand_worked_case(team_store):
    db, _items = team_store
    profiles = hw.annotators.profiles(db)
    view = hw.plots.confusion_by_group(
        team_ratings(), profiles, by="team", min_annotators=3, labels=["yes", "no"]
    )
    assert list(view.views) == ["A", "B"]  # C (one annotator) is not shown
    # worked by hand, rows human label, columns model label (yes, no)
    assert view.counts["A"].to_numpy().tolist() == [[4, 1], [1, 3]]
    assert view.counts["B"].to_numpy().tolist() == [[1, 2], [3, 2]]
    assert view.cell_items["A"][("yes", "yes")] == ["i0", "i1"]
    assert view.cell_items["A"][("no", "no")] == ["i2", "i3"]
    assert view.cell_items["B"][("yes", "no")] == ["i3"]
    assert sum(int(c.to_numpy().sum()) for c in view.counts.values()) == 17  # c1's 2 ratings left out
    # the figures show those numbers, and they are by_group's
    fig = view.views["B"].figure
    assert "team = B (3 annotators)" in fig.layout.title.text
    assert np.array_equal(np.array(fig.data[0].z, dtype=float), [[1, 2], [3, 2]])
    rep = hw.metrics.by_group(
        team_ratings(), profiles, by="team", model=MODEL, min_annotators=3, small_groups="drop", n_boot=10
    )
    for g in ("A", "B"):
        assert rep.confusion[g].loc[["yes", "no"], ["yes", "no"]].to_numpy().tolist() == (
            view.counts[g].to_numpy().tolist()
        )
    # row shares, per group
    shares = hw.plots.confusion_by_group(
        team_ratings(), profiles, by="team", min_annotators=3, normalize=True
    )
    assert shares.counts["A"].loc["yes"].to_dict() == pytest.approx({"yes": 0.8, "no": 0.2})


def test_a_click_yields_exactly_that_groups_items_of_that_cell(team_store):
    db, items = team_store
    from plotly.callbacks import Points

    view = hw.plots.confusion_by_group(
        team_ratings(), hw.annotators.profiles(db), by="team", min_annotators=3,
        items=items, store=db, annotator="lead", review_kwargs={"text": "text"}, labels=["yes", "no"],
    )  # fmt: skip
    # B's (human no, model yes) is i0 and i1 (b1, b2); A's is only i1 (a1)
    assert view.items_of("B", "no", "yes") == ["i0", "i1"]
    assert view.items_of("A", "no", "yes") == ["i1"]
    b = view.views["B"]
    b.figure.data[0]._dispatch_on_click(Points(point_inds=[[1, 0]], xs=["yes"], ys=["no"]), None)
    review = b.review
    assert isinstance(review, hw.ClassificationReview)
    shown = sorted(review._items.item_id(review._queue.position(q)) for q in range(len(review._queue)))
    assert shown == ["i0", "i1"]
    assert review.annotator == "lead" and review.config["task"] == "recheck"
    # the chips say what that group's people answered, not the other group's
    assert review._items.payload(review._items.positions_of(["i1"])[0])["reasons"] == ["b1: no", "b2: yes"]
    a = view.open_cell("A", "no", "yes")
    assert sorted(a._items.item_id(a._queue.position(q)) for q in range(len(a._queue))) == ["i1"]
    assert view.tabs.selected_index == 0
    # without items a click lists the ids
    bare = hw.plots.confusion_by_group(
        team_ratings(), hw.annotators.profiles(db), by="team", min_annotators=3
    )
    assert bare.open_cell("B", "yes", "no") is None
    assert bare.views["B"].output.outputs[-1]["text"] == "i3\n"
    with pytest.raises(KeyError, match="no group 'C'"):
        bare.items_of("C", "yes", "no")


def test_small_groups_are_left_out_or_pooled_never_shown_alone(team_store):
    db, _items = team_store
    profiles = hw.annotators.profiles(db)
    # min 4: every team is small; pooled (7 annotators) they make one group, or none at all
    pooled = hw.plots.confusion_by_group(team_ratings(), profiles, by="team", min_annotators=4)
    assert list(pooled.views) == ["(small groups)"]
    assert int(pooled.counts["(small groups)"].to_numpy().sum()) == len(team_ratings()) == 19
    assert "fewer than 4 annotators" in pooled.small_groups
    with pytest.raises(ValueError, match="no group of 'team' has 4 or more"):
        hw.plots.confusion_by_group(
            team_ratings(), profiles, by="team", min_annotators=4, small_groups="drop"
        )
    # min 3, drop: C left out, and its ratings are in no matrix
    dropped = hw.plots.confusion_by_group(
        team_ratings(), profiles, by="team", min_annotators=3, small_groups="drop"
    )
    assert list(dropped.views) == ["A", "B"] and "c1" not in set(dropped.members.index)
    assert "left out" in dropped.small_groups
    assert dropped.items_of("A", "yes", "no") == ["i2"]  # a2's
    assert dropped.items_of("B", "yes", "no") == ["i3"]  # b1's and b3's; not c1's i2
    # pooled by default, but C pooled alone is still below the minimum: left out too
    default = hw.plots.confusion_by_group(team_ratings(), profiles, by="team", min_annotators=3)
    assert list(default.views) == ["A", "B"] and "pooled they would be only 1" in default.small_groups
    with pytest.raises(ValueError, match="groups: pass the annotators' groups"):
        hw.plots.confusion_by_group(team_ratings(), None, by="team")


def test_confusion_by_group_reads_a_stores_decisions_and_profiles(tmp_path):
    db = str(tmp_path / "s.db")
    df = pd.DataFrame({"text": ["t0", "t1", "t2"], "pred": ["yes", "no", "yes"], "confidence": 0.6})
    says = {"a1": "yes", "a2": "yes", "b1": "no", "b2": "no"}
    for who, lab in says.items():
        hw.annotators.profile(db, who, {"team": who[0]}, consent=True)
        w = hw.ClassificationReview(df, labels=["yes", "no"], store=db, annotator=who, task="t")
        while w.current is not None:
            w.correct(lab)
        w.close()
    view = hw.plots.confusion_by_group(db, by="team", task="t", min_annotators=2, labels=["yes", "no"])
    assert list(view.views) == ["a", "b"]
    assert view.counts["a"].to_numpy().tolist() == [[4, 2], [0, 0]]
    assert view.counts["b"].to_numpy().tolist() == [[0, 0], [4, 2]]
    assert view.items_of("b", "no", "yes") == ["0", "2"]
