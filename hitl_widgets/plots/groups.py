"""Plots of annotator groups (`hitl_widgets.metrics.by_group`): how each group labels, and
how well people agree within each group and across groups."""

from __future__ import annotations

from typing import Any


def _report(report: Any) -> Any:
    from ..metrics.groups import GroupReport

    if not isinstance(report, GroupReport):
        raise ValueError(
            f"report must be the result of hitl_widgets.metrics.by_group(...), got {type(report).__name__}"
        )
    return report


def label_shares_by_group(report: Any, *, title: str | None = None) -> Any:
    """Grouped bars: per label, each group's mean over its annotators of each annotator's
    share of that label (what `group_test` compares: every annotator counts once). The
    hover gives the group's annotators; the table is in ``fig.layout.meta``."""
    import plotly.graph_objects as go

    rep = _report(report)
    shares = rep.annotator_shares
    fig = go.Figure()
    for group, row in shares.iterrows():
        n = int(rep.groups.loc[group, "n_annotators"]) if group in rep.groups.index else 0
        fig.add_trace(
            go.Bar(
                name=str(group),
                x=[str(c) for c in shares.columns],
                y=row.to_numpy(dtype=float),
                hovertemplate=f"{group} ({n} annotators)<br>%{{x}}: %{{y:.1%}}<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        title=title or f"Label shares by {rep.by} (mean over each group's annotators)",
        yaxis={"tickformat": ".0%", "title": "share of the annotator's ratings", "rangemode": "tozero"},
        xaxis={"title": "label"},
        legend={"title": {"text": str(rep.by)}},
        meta={"table": shares.reset_index().to_dict("records")},
    )
    return fig


def agreement_by_group(report: Any, *, title: str | None = None) -> Any:
    """Krippendorff's alpha within each group, over all annotators and across groups, with
    the bootstrap intervals of `by_group` as error bars."""
    import plotly.graph_objects as go

    rep = _report(report)
    a = rep.alpha
    y = a["alpha"].to_numpy(dtype=float)
    fig = go.Figure(
        go.Bar(
            x=[str(i) for i in a.index],
            y=y,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (a["high"].to_numpy(dtype=float) - y),
                "arrayminus": (y - a["low"].to_numpy(dtype=float)),
            },
            customdata=a["n_items"].to_numpy(),
            hovertemplate="%{x}: alpha %{y:.3f}<br>%{customdata} items<extra></extra>",
        )
    )
    fig.update_layout(
        title=title or f"Agreement within and across the groups of {rep.by} (Krippendorff's alpha)",
        yaxis={"title": "alpha", "range": [min(0.0, float(a["low"].min()) - 0.05), 1.0]},
        meta={"table": a.reset_index().rename(columns={"index": "who"}).to_dict("records")},
    )
    return fig
