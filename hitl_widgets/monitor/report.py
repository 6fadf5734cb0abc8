"""The monitor's figures over time, as one plotly figure."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def report_figure(
    figures: pd.DataFrame,
    target_error: float,
    alpha: float,
    fired: pd.DataFrame | None = None,
    *,
    title: str | None = None,
) -> Any:
    """Two panels sharing the time axis (window starts): above, the audited error per window
    with its Clopper-Pearson interval (one look), the running error with its confidence
    sequence (any number of looks), the target, the alarm and the alerts; below, the share
    of routed items auto-accepted per window. Trace names are the legend's."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    pct = f"{100 * (1 - alpha):.0f}%"
    x = figures["window_start"]
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.7, 0.3],
        vertical_spacing=0.08,
        subplot_titles=("Error among auto-accepted items (audits)", "Share auto-accepted"),
    )
    err = figures["audit_error"].to_numpy(dtype=float)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=err,
            mode="markers",
            name=f"audited error per window ({pct} Clopper-Pearson, one look)",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": figures["audit_error_upper"].to_numpy(dtype=float) - err,
                "arrayminus": err - figures["audit_error_low"].to_numpy(dtype=float),
            },
            customdata=np.column_stack([figures["errors"], figures["audits"]]),
            hovertemplate="%{customdata[0]} errors in %{customdata[1]} audits<extra></extra>",
        ),
        row=1,
        col=1,
    )
    # the confidence sequence as a band: its upper end, then the lower one filled up to it
    fig.add_trace(
        go.Scatter(
            x=x,
            y=figures["running_upper"],
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=figures["running_low"],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(31, 119, 180, 0.2)",
            name=f"{pct} confidence sequence (anytime-valid)",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(x=x, y=figures["running_error"], mode="lines", name="running error"), row=1, col=1
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=np.full(len(figures), target_error),
            mode="lines",
            line={"dash": "dash"},
            name="target error",
        ),
        row=1,
        col=1,
    )
    alarm = figures["alarm"].to_numpy(dtype=bool)
    fig.add_trace(
        go.Scatter(
            x=x[alarm],
            y=figures["running_low"][alarm],
            mode="markers",
            marker={"symbol": "x", "size": 10, "color": "red"},
            name="alarm (error above target)",
        ),
        row=1,
        col=1,
    )
    if fired is not None and len(fired):
        rows = fired["row"].to_numpy(dtype=int)
        fig.add_trace(
            go.Scatter(
                x=x.iloc[rows],
                y=np.full(len(rows), target_error),
                mode="markers",
                marker={"symbol": "triangle-down", "size": 12, "color": "orange"},
                name="alerts",
                text=fired["rule"],
                hovertemplate="%{text}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    fig.add_trace(go.Bar(x=x, y=figures["auto_share"], name="auto-accepted share"), row=2, col=1)
    fig.update_yaxes(title_text="error", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="share", range=[0, 1], row=2, col=1)
    fig.update_layout(title=title, template="plotly_white")
    return fig
