"""Risk-coverage plot: the error among auto-accepted items against the share auto-accepted."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from ..items import canonical


def _canonical_labels(values: pd.Series) -> np.ndarray:
    """Each label as `hitl_widgets.items.canonical` text (None where missing)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    if len({type(u) for u in uniques}) > 1:  # several kinds: factorize would merge True with 1
        return np.fromiter(
            (canonical(v) for v in values.to_numpy(dtype=object)), dtype=object, count=len(values)
        )
    return np.array([canonical(u) for u in uniques] + [None], dtype=object)[codes]


def _curve(confidence: np.ndarray, wrong: np.ndarray) -> pd.DataFrame:
    """Error among items with confidence >= each distinct confidence, by coverage."""
    order = np.argsort(-confidence, kind="stable")
    s = confidence[order]
    cum = np.cumsum(wrong[order])
    m = np.arange(1, len(s) + 1)
    last = np.append(s[1:] != s[:-1], True)  # a threshold accepts every tie
    return pd.DataFrame(
        {
            "threshold": s[last],
            "coverage": m[last] / len(s),
            "accepted": m[last],
            "error": cum[last] / m[last],
        }
    )


def risk_coverage(
    data: Any = None,
    *,
    confidence: Hashable | np.ndarray | None = None,
    correct: Hashable | np.ndarray | None = None,
    pred: Hashable | None = None,
    label: Hashable | None = None,
    alpha: float | None = None,
    threshold: float | None = None,
    title: str | None = None,
    show_bound: bool = True,
):
    """A plotly figure: error among the auto-accepted (y) against the share auto-accepted (x).

    `data` is a `CalibrationResult` (its reviewed items; alpha, the chosen threshold and the
    upper confidence bound of every tested threshold are marked), or a DataFrame of reviewed
    items with columns for the confidence and either ``correct`` (bool) or the model's and
    the person's labels (``pred``/``model_label`` and ``label``/``human_label``), or None
    with arrays ``confidence=`` and ``correct=``. `alpha` draws the target as a horizontal
    line and `threshold` marks the chosen threshold on the curve.
    """
    import plotly.graph_objects as go

    from ..routing.calibration import CalibrationResult

    fig = go.Figure()
    bound = None
    naive = None
    if isinstance(data, CalibrationResult):
        res = data
        alpha = res.alpha if alpha is None else alpha
        if threshold is None and not res.per_label:
            threshold = res.threshold
        naive = res.naive_threshold if not res.per_label else None
        curve, bound = _result_curves(res)
        if title is None:
            title = res.sentence
    else:
        conf, ok = _outcomes(data, confidence, correct, pred, label)
        if np.isnan(conf).any():
            raise ValueError("confidence: missing values")
        curve = _curve(conf, (~ok).astype(int))
    fig.add_trace(
        go.Scatter(
            x=curve["coverage"],
            y=curve["error"],
            mode="lines",
            name="error among auto-accepted",
            line={"color": "#1f77b4", "shape": "hv"},
            customdata=np.column_stack([curve["threshold"], curve["accepted"]]),
            hovertemplate="threshold %{customdata[0]:.3f}<br>auto-accepted %{x:.1%} "
            "(%{customdata[1]} items)<br>error %{y:.1%}<extra></extra>",
        )
    )
    if bound is not None and show_bound:
        _add_bound(fig, bound, data)
    if alpha is not None:
        fig.add_hline(
            y=alpha,
            line={"color": "#d62728", "dash": "dash"},
            annotation_text=f"alpha = {alpha:.0%}",
            annotation_position="top left",
        )
    _add_markers(fig, curve, threshold, naive)
    fig.update_layout(
        title={"text": title or "Risk-coverage", "font": {"size": 13}},
        xaxis={"title": "share auto-accepted (coverage)", "tickformat": ".0%", "range": [0, 1]},
        yaxis={"title": "error among auto-accepted", "tickformat": ".0%", "rangemode": "tozero"},
        template="plotly_white",
        height=420,
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _result_curves(res: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A `CalibrationResult`'s curve (from its reviewed items, else from its tested grid)
    and the tested thresholds whose upper bounds are drawn."""
    cur = res.curve[res.curve["label"] == "*"] if not res.per_label else res.curve
    if res.items is not None and len(res.items):
        curve = _curve(res.items["confidence"].to_numpy(float), res.items["wrong"].to_numpy(int))
    else:
        curve = pd.DataFrame(
            {
                "threshold": cur["threshold"],
                "coverage": cur["coverage"],
                "accepted": cur["accepted"],
                "error": cur["error"],
            }
        ).dropna()
        curve = curve[curve["accepted"] > 0]
    return curve, cur


def _outcomes(
    data: Any,
    confidence: Hashable | np.ndarray | None,
    correct: Hashable | np.ndarray | None,
    pred: Hashable | None,
    label: Hashable | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, right answer) per reviewed item, from a frame or from two arrays."""
    if isinstance(data, pd.DataFrame):
        return _frame_outcomes(data, confidence, correct, pred, label)
    if data is None:
        if confidence is None or correct is None:
            raise ValueError("give a CalibrationResult, a DataFrame, or confidence= and correct= arrays")
        conf = np.asarray(confidence, dtype=float)
        ok = np.asarray(correct, dtype=bool)
        if conf.shape != ok.shape:
            raise ValueError(f"confidence and correct differ in shape: {conf.shape} vs {ok.shape}")
        return conf, ok
    raise ValueError(
        f"risk_coverage takes a CalibrationResult, a DataFrame or arrays, got {type(data).__name__}"
    )


def _frame_outcomes(
    df: pd.DataFrame,
    confidence: Hashable | np.ndarray | None,
    correct: Hashable | np.ndarray | None,
    pred: Hashable | None,
    label: Hashable | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, right answer) per row of a frame of reviewed items: the `correct`
    column, else the model's label compared with the person's."""
    c_col = (
        confidence
        if isinstance(confidence, Hashable) and confidence is not None
        else next((c for c in ("confidence", "model_confidence") if c in df.columns), None)
    )
    if c_col is None or c_col not in df.columns:
        raise ValueError("confidence: name the confidence column (confidence=...)")
    conf = pd.to_numeric(df[c_col], errors="coerce").to_numpy(dtype=float)
    if isinstance(correct, Hashable) and correct is not None:
        if correct not in df.columns:
            raise ValueError(f"correct={correct!r}: no such column")
        return conf, df[correct].astype(bool).to_numpy()
    p_col = pred or next((c for c in ("pred", "model_label") if c in df.columns), None)
    l_col = label or next((c for c in ("label", "human_label") if c in df.columns), None)
    if p_col is None or l_col is None or p_col not in df.columns or l_col not in df.columns:
        raise ValueError(
            "give correct=<bool column> or the model's and the person's label columns (pred=..., label=...)"
        )
    # labels compared as the store keeps them (1.0, 1 and "1" are one label); a
    # missing label on either side is not a right answer
    p_text = _canonical_labels(df[p_col])
    l_text = _canonical_labels(df[l_col])
    return conf, (p_text == l_text) & ~pd.isna(p_text) & ~pd.isna(l_text)


def _add_bound(fig: Any, bound: pd.DataFrame, data: Any) -> None:
    """Draw the upper confidence bound of the error at every tested threshold."""
    import plotly.graph_objects as go

    from ..routing.calibration import clopper_pearson_upper

    b = bound[bound["accepted"] > 0].copy()
    b["upper"] = clopper_pearson_upper(
        b["errors"].to_numpy(), b["accepted"].to_numpy(), float(b["level"].iloc[0]) if len(b) else data.delta
    )
    fig.add_trace(
        go.Scatter(
            x=b["coverage"],
            y=b["upper"],
            mode="lines",
            name=f"upper bound ({1 - data.delta / (1 if not data.per_label else max(len(data.thresholds), 1)):.0%})",
            line={"color": "#1f77b4", "dash": "dot", "width": 1},
            hovertemplate="threshold %{text}<br>upper bound %{y:.1%}<extra></extra>",
            text=[f"{t:.3f}" for t in b["threshold"]],
        )
    )


def _add_markers(fig: Any, curve: pd.DataFrame, threshold: float | None, naive: float | None) -> None:
    """Mark the chosen and the naive threshold on the curve (where it reaches them)."""
    import plotly.graph_objects as go

    for t, name, color in ((threshold, "chosen threshold", "#2ca02c"), (naive, "naive threshold", "#7f7f7f")):
        if t is None or not len(curve):
            continue
        at = curve[curve["threshold"] >= t]
        if not len(at):
            continue
        row = at.iloc[-1]
        fig.add_trace(
            go.Scatter(
                x=[row["coverage"]],
                y=[row["error"]],
                mode="markers",
                name=f"{name} {t:.3f}",
                marker={
                    "size": 11,
                    "color": color,
                    "symbol": "diamond" if name.startswith("chosen") else "x",
                },
                hovertemplate=f"{name} {t:.3f}<br>auto-accepted %{{x:.1%}}<br>error %{{y:.1%}}<extra></extra>",
            )
        )
        if name.startswith("chosen"):
            fig.add_vline(x=float(row["coverage"]), line={"color": color, "dash": "dot"})
