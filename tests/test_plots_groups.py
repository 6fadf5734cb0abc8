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
