"""Plots for several annotators (plotly): where people and the model disagree, who agrees
with whom, which labels are unclear, and how each annotator's pace and gold accuracy
move over a session.

* :func:`confusion_matrix` - human label x model label (counts or row shares) as a
  ``go.FigureWidget``; clicking a cell opens a review of exactly those items.
* :func:`agreement_heatmap` - Cohen's kappa of every pair of annotators.
* :func:`per_label_agreement_bars` - per-label agreement with bootstrap error bars.
* :func:`annotator_timeline` - time per item and gold accuracy along each annotator's
  decisions.

Every function takes a store (``Store``, SQLite path or ``postgresql://`` URL, with
``task=``) or a DataFrame from :func:`hitl_widgets.metrics.ratings`.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..metrics._data import UndefinedAgreementWarning
from ..metrics.from_store import _decision_log, _unique, ratings
from ..store import Store

__all__ = [
    "agreement_heatmap",
    "annotator_timeline",
    "confusion_counts",
    "confusion_matrix",
    "per_label_agreement_bars",
]

WARN = "#f57c00"
BRAND = "#1976d2"


def _ratings(data: Any, task: str | None) -> pd.DataFrame:
    """A ratings frame from a store, a ratings() frame or a Store.decisions() frame."""
    if isinstance(data, pd.DataFrame):
        df = data
        if "label" not in df.columns and "human_label" in df.columns:
            df = df.rename(columns={"human_label": "label"})
        if "item" not in df.columns and "item_id" in df.columns:
            df = df.rename(columns={"item_id": "item"})
        missing = {"item", "annotator", "label"} - set(df.columns)
        if missing:
            raise ValueError(
                f"data: a DataFrame needs the columns item, annotator, label (missing {sorted(missing)})"
            )
        if task is not None and "task" in df.columns:
            df = df[df["task"] == task]
        return df[df["label"].notna()]
    return ratings(data, task=task)


def _label_order(values: Sequence[Any], labels: Sequence[Any] | None) -> list[str]:
    present = sorted(
        {str(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))}
    )
    if labels is None:
        return present
    order = [str(x) for x in labels]
    return order + [v for v in present if v not in order]


# --------------------------------------------------------------------------- confusion
def confusion_counts(
    data: Any, *, task: str | None = None, labels: Sequence[Any] | None = None, normalize: bool = False
) -> tuple[pd.DataFrame, dict[tuple[str, str], list[str]]]:
    """Human label (rows) x model label (columns) over every rating that has a model
    label, and the items of each cell. ``normalize=True`` divides each row by its total
    (rows without ratings stay 0)."""
    r = _ratings(data, task)
    if "model_label" not in r.columns:
        raise ValueError("data: no model_label column (human-vs-model needs the model's label)")
    r = r[r["model_label"].notna()]
    order = _label_order(list(r["label"]) + list(r["model_label"]), labels)
    human = r["label"].astype(str)
    model = r["model_label"].astype(str)
    counts = pd.crosstab(human, model).reindex(index=order, columns=order, fill_value=0).astype(int)
    counts.index.name, counts.columns.name = "human_label", "model_label"
    cells: dict[tuple[str, str], list[str]] = {}
    for (h, m), ids in r.assign(_h=human, _m=model).groupby(["_h", "_m"])["item"]:
        cells[(str(h), str(m))] = sorted({str(i) for i in ids})
    if normalize:
        tot = counts.sum(axis=1).replace(0, np.nan)
        counts = counts.div(tot, axis=0).fillna(0.0)
    return counts, cells


def _widgets():
    import ipywidgets

    return ipywidgets


class _ViewBase:
    """Mixin with the click -> review logic (the widget class is built lazily so that
    importing this module does not need ipywidgets)."""

    figure: Any
    output: Any
    counts: pd.DataFrame
    cell_items: dict[tuple[str, str], list[str]]
    review: Any
    # set by the widget class's __init__
    _items: pd.DataFrame | None
    _review_kwargs: dict[str, Any]
    _labels: list[str]
    _review_task: str
    _annotator: str | None
    _store: Any
    _scroll_marker: Any

    def items_of(self, true_label: Any, model_label: Any) -> list[str]:
        """The item ids of one cell (human label `true_label`, model label `model_label`)."""
        return list(self.cell_items.get((str(true_label), str(model_label)), []))

    def open_cell(self, true_label: Any, model_label: Any) -> Any:
        """What a click on the cell does: a ClassificationReview (``revisit=True``, task
        ``review_task``) on exactly the cell's items, shown in :attr:`output`. Returns the
        review (None when the cell is empty or no ``items`` frame was given: then the ids
        are printed)."""
        ids = self.items_of(true_label, model_label)
        self._start_cell(f"human {true_label} x model {model_label}: {len(ids)} item(s)\n")
        if not ids:
            return None
        if self._items is None:
            self.output.append_stdout(", ".join(ids) + "\n")
            return None
        self.review = self._make_review(ids)
        self.output.append_display_data(self.review)
        # where the page is too narrow for the review beside the chart it lands below the
        # 480-pixel figure, out of view: bring it into view once it has painted
        self._scroll_marker = _scroll_into_view()
        self.output.append_display_data(self._scroll_marker)
        return self.review

    def _start_cell(self, header: str) -> None:
        """Clear :attr:`output`, close what the last click opened and write ``header``
        (plain text: a label is shown as it is, never as markup)."""
        self.output.clear_output()
        for old in (getattr(self, "review", None), getattr(self, "_scroll_marker", None)):
            if old is not None:
                with contextlib.suppress(Exception):  # a click must not fail on it
                    old.close()
        self._scroll_marker = None
        self.review = None
        # append_* rather than `with output:` - works from a click callback, a script and
        # a kernel alike
        self.output.append_stdout(header)

    def _recheck_rows(self, ids: list[str]) -> tuple[pd.DataFrame, pd.Series, dict[str, Any]]:
        """The rows of the items' frame whose id is one of `ids`, those ids (as text), and
        the recheck review's keyword arguments (labels, task, revisit, annotator filled in
        where the caller gave none): what a click on a cell reviews, for every kind."""
        kw = dict(self._review_kwargs)
        frame = self._items
        assert frame is not None  # (open_cell prints the ids when there is no frame)
        id_col = kw.get("id")
        key = (frame[id_col] if id_col is not None else pd.Series(frame.index, index=frame.index)).astype(str)
        hit = key.isin(set(ids)).to_numpy()
        kw.setdefault("labels", self._labels)
        kw.setdefault("task", self._review_task)
        kw.setdefault("revisit", True)
        if self._annotator is not None:
            kw.setdefault("annotator", self._annotator)
        return frame[hit], key[hit], kw

    def _make_review(self, ids: list[str]) -> Any:
        from ..widgets import ClassificationReview

        sub, keys, kw = self._recheck_rows(ids)
        kw["reasons"] = self._reasons_of(sub, keys, kw.get("reasons"))
        return ClassificationReview(sub, store=self._store, **kw)

    def _reasons_of(self, sub: pd.DataFrame, keys: pd.Series, theirs: Any) -> pd.Series:
        """The chips each recheck item shows: the caller's own ``reasons`` (a column or a
        Series), then what people answered before ("ana: theft", "bob: water")."""
        answers = getattr(self, "_answers", {}) or {}
        if theirs is None:
            before: list[Any] = [None] * len(sub)
        elif isinstance(theirs, pd.Series):  # aligned on the items frame's index
            before = list(theirs.reindex(sub.index))
        else:
            before = list(sub[theirs])
        out = []
        for mine, item in zip(before, keys, strict=True):
            chips = (
                list(mine)
                if isinstance(mine, (list, tuple))
                else ([] if mine is None or (isinstance(mine, float) and math.isnan(mine)) else [str(mine)])
            )
            out.append(chips + list(answers.get(str(item), [])))
        return pd.Series(out, index=sub.index, dtype=object)

    def _on_click(self, trace: Any, points: Any, state: Any) -> None:
        xs, ys = list(getattr(points, "xs", []) or []), list(getattr(points, "ys", []) or [])
        if not xs or not ys:
            inds = list(getattr(points, "point_inds", []) or [])
            if not inds:
                return
            i, j = (
                inds[0]
                if isinstance(inds[0], (list, tuple))
                else divmod(int(inds[0]), len(self.counts.columns))
            )
            ys, xs = [self.counts.index[int(i)]], [self.counts.columns[int(j)]]
        self.open_cell(ys[0], xs[0])


# A zero-height widget shown after the recheck review: in the browser it waits until the
# review above it (same output) has painted, then scrolls it into view ("nearest": nothing
# moves when it is already in view). No import, nothing fetched.
_SCROLL_ESM = """
export default {
  render({ el }) {
    el.style.height = "0";
    el.style.overflow = "hidden";
    let stopped = false;
    let tries = 0;
    const review = () => {
      const area = el.closest(".widget-output, .jp-OutputArea, .output_area") || el.parentElement;
      const roots = area ? area.querySelectorAll('[data-testid="hitl-root"]') : [];
      return roots.length ? roots[roots.length - 1] : null;
    };
    const tick = () => {
      if (stopped) return;
      const r = review();
      if (r && r.dataset.state && r.dataset.state !== "loading") {
        r.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "smooth" });
        return;
      }
      if (++tries < 200) setTimeout(tick, 50);
    };
    setTimeout(tick, 0);
    return () => { stopped = true; };
  },
};
"""

_SCROLL_CLASS: Any = None


def _scroll_into_view() -> Any:
    global _SCROLL_CLASS
    if _SCROLL_CLASS is None:
        import anywidget

        class ScrollIntoView(anywidget.AnyWidget):  # type: ignore[misc]
            """Brings the review shown before it (in the same output) into view."""

            _esm = _SCROLL_ESM

        _SCROLL_CLASS = ScrollIntoView
    return _SCROLL_CLASS()


_VIEW_CLASS: Any = None


def _view_class() -> Any:
    global _VIEW_CLASS
    if _VIEW_CLASS is None:
        w = _widgets()

        class ConfusionMatrixView(_ViewBase, w.VBox):  # type: ignore[misc, valid-type, name-defined]
            """The confusion-matrix figure and, beside it (below it, scrolled into view,
            where the page is too narrow for both), the review of the clicked cell.

            Attributes: ``figure`` (``go.FigureWidget``), ``output`` (``ipywidgets.Output``),
            ``counts`` (the matrix as a DataFrame), ``cell_items`` ({(human, model): ids}),
            ``review`` (the review last opened), ``open_cell(true_label, model_label)``.
            """

        _VIEW_CLASS = ConfusionMatrixView
    return _VIEW_CLASS


def __getattr__(name: str) -> Any:  # ConfusionMatrixView, built on first use
    if name == "ConfusionMatrixView":
        return _view_class()
    raise AttributeError(name)


def confusion_matrix(
    data: Any,
    normalize: bool = False,
    *,
    task: str | None = None,
    labels: Sequence[Any] | None = None,
    items: pd.DataFrame | None = None,
    store: Any = None,
    review_task: str = "recheck",
    annotator: str | None = None,
    review_kwargs: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> Any:
    """Human label x model label as a clickable heatmap; a click reviews that cell's items.

    Every rating with a model label counts once (three annotators on one item: three
    ratings). ``normalize=True`` shows each row's shares (rows sum to 1: "of the items
    people call X, the model said ..."); the counts are in the hover either way, with the
    number of items a click opens (one item rated by three people is one item to recheck).

    Clicking a cell (or calling ``view.open_cell(true_label, model_label)``) opens a
    ``ClassificationReview`` on exactly the items of that cell, ``revisit=True``, task
    ``review_task`` ("recheck"), beside the figure (below it on a narrow page, scrolled
    into view), so disagreements can be looked at again and the rechecks land in the same
    store. Each item shows what people answered before as chips ("ana: theft",
    "bob: water"), after the ``reasons`` of ``review_kwargs`` if any.

    Parameters
    ----------
    data:
        A store (``Store``, path or URL) or a ratings / decisions DataFrame.
    items:
        The items' frame (texts, model labels) the review is built on; without it a
        click lists the item ids.
    store:
        Where the rechecks are written (default: ``data`` when it is a store).
    review_kwargs:
        Passed to ``ClassificationReview`` (``text=``, ``pred=``, ``confidence=``,
        ``id=`` ...).

    Returns
    -------
    ConfusionMatrixView
        An ``ipywidgets.VBox`` with ``.figure`` (``go.FigureWidget``), ``.output``,
        ``.counts``, ``.cell_items`` and ``.open_cell(true_label, model_label)``.
    """
    import plotly.graph_objects as go

    r = _ratings(data, task)
    counts, cells = confusion_counts(r, labels=labels, normalize=False)
    shown = counts
    if normalize:
        tot = counts.sum(axis=1).replace(0, np.nan)
        shown = counts.div(tot, axis=0).fillna(0.0)
    order = list(counts.index)
    n = counts.to_numpy()
    share = shown.to_numpy(dtype=float)
    text = [
        [
            (f"{share[i, j]:.0%}" if normalize else str(int(n[i, j]))) if n[i, j] else ""
            for j in range(len(order))
        ]
        for i in range(len(order))
    ]
    # The hover counts what a click opens: the cell's items (one item rated by several
    # people is several ratings, and one item to recheck), and says where the review opens.
    n_items = [[len(cells.get((h, m), [])) for m in order] for h in order]
    act = (
        "click: recheck these {n} (the review opens next to the chart)"
        if items is not None
        else "click: list the {n} id(s)"
    )
    n_ratings = counts.to_numpy(dtype=int)
    shares = shown.to_numpy(dtype=float)
    hover = [
        [
            _cell_hover(
                h, m, int(n_ratings[i, j]), n_items[i][j], float(shares[i, j]) if normalize else None, act
            )
            for j, m in enumerate(order)
        ]
        for i, h in enumerate(order)
    ]
    heat = go.Heatmap(
        z=shown.to_numpy(dtype=float).tolist(),
        x=order,
        y=order,
        text=text,
        texttemplate="%{text}",
        customdata=counts.to_numpy().tolist(),
        hovertext=hover,
        colorscale="Blues",
        zmin=0,
        zmax=1 if normalize else None,
        colorbar={"title": "share of row" if normalize else "ratings"},
        hovertemplate="%{hovertext}<extra></extra>",
    )
    fig = go.FigureWidget(heat)
    fig.update_layout(
        title=title or ("Human label vs model label" + (" (row shares)" if normalize else "")),
        xaxis={"title": "model label", "type": "category", "side": "bottom"},
        yaxis={"title": "human label", "type": "category", "autorange": "reversed"},
        width=560,
        height=480,
        margin={"l": 110, "r": 20, "t": 50, "b": 90},
        meta={"items": n_items},
    )
    view = _side_by_side(_view_class(), fig)
    view.counts = shown
    view.cell_items = cells
    view.review = None
    view._items = items
    view._answers = _earlier_answers(r)
    view._labels = list(labels) if labels is not None else order
    view._review_task = review_task
    view._annotator = annotator
    view._review_kwargs = dict(review_kwargs or {})
    if store is None and (isinstance(data, (Store, str)) or hasattr(data, "__fspath__")):
        store = data
    view._store = store if store is not None else "hitl.db"
    fig.data[0].on_click(view._on_click)
    return view


def _side_by_side(view_class: Any, fig: Any) -> Any:
    """A ``view_class`` (a :class:`_ViewBase` VBox) holding the figure and, beside it, the
    output a click writes to; ``view.figure`` and ``view.output`` are set."""
    w = _widgets()
    out = w.Output(layout=w.Layout(flex="1 1 420px", min_width="360px", max_width="100%"))
    # figure and review side by side, wrapping below on a narrow page: a click on a cell
    # opens the review next to the cell, not under a 480-pixel figure, out of view
    view = view_class(
        children=[fig, out], layout=w.Layout(flex_flow="row wrap", align_items="flex-start", width="100%")
    )
    view.figure, view.output = fig, out
    return view


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _cell_hover(human: str, model: str, n_ratings: int, n_items: int, share: float | None, act: str) -> str:
    from html import escape

    head = f"human {escape(str(human))}<br>model {escape(str(model))}<br>"
    if not n_ratings:
        return head + "no ratings"
    what = f"{_plural(n_items, 'item')} ({_plural(n_ratings, 'rating')})"
    row = f"<br>{share:.1%} of the row" if share is not None else ""
    return head + what + row + "<br><i>" + act.format(n=_plural(n_items, "item")) + "</i>"


def _earlier_answers(r: pd.DataFrame) -> dict[str, list[str]]:
    """What each person answered on each item, in order: {item id: ["ana: theft", ...]}
    (a person who answered under several guideline versions: one chip per version)."""
    if not len(r) or "annotator" not in r.columns:
        return {}
    if "decided_at" in r.columns:
        r = r.sort_values("decided_at", kind="stable")
    out: dict[str, list[str]] = {}
    several = r.groupby([r["item"].astype(str), r["annotator"].astype(str)])["label"].transform("size") > 1
    gv = r["guideline_version"] if "guideline_version" in r.columns else pd.Series(None, index=r.index)
    for item, ann, label, many, v in zip(
        r["item"].astype(str), r["annotator"].astype(str), r["label"].astype(str), several, gv, strict=True
    ):
        chip = f"{ann}: {label}" + (f" ({v})" if many and v is not None and v == v else "")
        out.setdefault(item, []).append(chip)
    return out


# --------------------------------------------------------------------------- kappa heatmap
def agreement_heatmap(data: Any, *, task: str | None = None, min_overlap: int = 2, title: str | None = None):
    """Cohen's kappa between every two annotators (on the items both rated) as a heatmap.

    Pairs with fewer than ``min_overlap`` shared items, or where kappa is undefined, are
    blank; the diagonal is 1. Hover shows the number of shared items.
    """
    import plotly.graph_objects as go

    from ..metrics import cohen_kappa

    r = _unique(_ratings(data, task))
    anns = sorted(r["annotator"].astype(str).unique())
    n = len(anns)
    K = np.full((n, n), np.nan)
    N = np.zeros((n, n), dtype=int)
    by = {a: r[r["annotator"].astype(str) == a].set_index("item")["label"] for a in anns}
    for i, a in enumerate(anns):
        N[i, i] = len(by[a])
        K[i, i] = 1.0
        for j in range(i + 1, n):
            b = anns[j]
            shared = by[a].index.intersection(by[b].index)
            N[i, j] = N[j, i] = len(shared)
            if len(shared) >= min_overlap:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UndefinedAgreementWarning)
                    k = cohen_kappa(
                        by[a].loc[shared].astype(str).to_numpy(), by[b].loc[shared].astype(str).to_numpy()
                    )
                K[i, j] = K[j, i] = k
    text = [["" if np.isnan(K[i, j]) else f"{K[i, j]:.2f}" for j in range(n)] for i in range(n)]
    fig = go.Figure(
        go.Heatmap(
            z=K.tolist(),
            x=anns,
            y=anns,
            text=text,
            texttemplate="%{text}",
            customdata=N.tolist(),
            zmin=-1,
            zmax=1,
            colorscale="RdBu",
            colorbar={"title": "Cohen κ"},
            hovertemplate="%{y} vs %{x}<br>κ = %{z:.3f}<br>%{customdata} shared item(s)<extra></extra>",
        )
    )
    fig.update_layout(
        title=title or "Agreement between annotators (Cohen's kappa)",
        xaxis={"type": "category"},
        yaxis={"type": "category", "autorange": "reversed"},
        width=520,
        height=460,
    )
    return fig


# --------------------------------------------------------------------------- per label
def per_label_agreement_bars(
    data: Any,
    *,
    task: str | None = None,
    statistic: str = "kappa",
    threshold: float = 0.6,
    min_ratings: int = 5,
    n_boot: int = 500,
    ci: float = 0.95,
    seed: int | None = 0,
    title: str | None = None,
):
    """Per-label agreement (``per_label_agreement``) as bars with bootstrap error bars.

    ``statistic`` is ``"kappa"`` (Fleiss' per-category kappa, default) or
    ``"specific_agreement"``. Labels flagged by ``per_label_agreement`` (kappa below
    ``threshold`` with at least ``min_ratings`` ratings) are drawn in orange, with the
    label they are most confused with in the hover. The table is in ``fig.layout.meta``.
    """
    import plotly.graph_objects as go

    from ..metrics import bootstrap_ci, per_label_agreement

    if statistic not in ("kappa", "specific_agreement"):
        raise ValueError(f"statistic must be 'kappa' or 'specific_agreement', got {statistic!r}")
    r = _unique(_ratings(data, task))[["item", "annotator", "label"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedAgreementWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        table = per_label_agreement(r, threshold=threshold, min_ratings=min_ratings)
        ints = (
            bootstrap_ci(
                per_label_agreement,
                r,
                n_boot=n_boot,
                ci=ci,
                seed=seed,
                statistic=statistic,
                threshold=threshold,
                min_ratings=min_ratings,
            )
            if len(r)
            else None
        )
    labels = [str(x) for x in table["label"]]
    vals = table[statistic].to_numpy(dtype=float)
    if isinstance(ints, pd.DataFrame):
        ints.index = ints.index.map(str)
        lo = ints.reindex(labels)["low"].to_numpy(dtype=float)
        hi = ints.reindex(labels)["high"].to_numpy(dtype=float)
    else:
        lo = hi = np.full(len(labels), np.nan)
    plus = np.where(np.isnan(hi), 0, np.clip(hi - vals, 0, None))
    minus = np.where(np.isnan(lo), 0, np.clip(vals - lo, 0, None))
    colors = [WARN if f else BRAND for f in table["flagged"]]
    confused = [
        ("" if c is None or (isinstance(c, float) and math.isnan(c)) else str(c))
        for c in table["most_confused_with"]
    ]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=vals,
            marker_color=colors,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": plus.tolist(),
                "arrayminus": minus.tolist(),
            },
            customdata=np.stack(
                [table["n_ratings"].to_numpy(), np.array(confused, dtype=object), lo, hi], axis=1
            ).tolist()
            if len(labels)
            else None,
            hovertemplate="%{x}: %{y:.3f} [%{customdata[2]:.2f}, %{customdata[3]:.2f}]<br>"
            "%{customdata[0]} rating(s)<br>most confused with %{customdata[1]}<extra></extra>",
        )
    )
    if statistic == "kappa":
        fig.add_hline(
            y=threshold,
            line_dash="dot",
            line_color=WARN,
            annotation_text=f"threshold {threshold}",
            annotation_position="top right",
        )
    fig.update_layout(
        title=title
        or f"Agreement per label ({statistic.replace('_', ' ')}, {int(ci * 100)}% bootstrap intervals)",
        xaxis={"title": "label (least agreed first)", "type": "category"},
        yaxis={
            "title": statistic.replace("_", " "),
            "range": [min(-0.1, float(np.nanmin(lo)) - 0.05) if np.isfinite(lo).any() else -0.1, 1.05],
        },
        width=640,
        height=420,
        meta={"table": table.to_dict("records")},
    )
    return fig


# --------------------------------------------------------------------------- timeline
def _timeline_frame(data: Any, task: str | None) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        df = data.copy()
        if "item" not in df.columns and "item_id" in df.columns:
            df = df.rename(columns={"item_id": "item"})
        if "gold_correct" not in df.columns:
            lab = df["label"] if "label" in df.columns else df.get("human_label")
            gold = df["gold"] if "gold" in df.columns else pd.Series(None, index=df.index, dtype=object)
            df["gold_correct"] = [
                None if g is None or (isinstance(g, float) and math.isnan(g)) else str(lv) == str(g)
                for g, lv in zip(gold, lab if lab is not None else [None] * len(df), strict=True)
            ]
        if task is not None and "task" in df.columns:
            df = df[df["task"] == task]
        if "decided_at" in df.columns:
            df = df.sort_values("decided_at", kind="stable")
        return df
    return _decision_log(data, task, None)


def annotator_timeline(data: Any, *, task: str | None = None, window: int = 10, title: str | None = None):
    """Each annotator's speed and gold accuracy along their decisions (in order).

    Top: time per item (rolling median over ``window`` decisions, seconds; decisions
    made from Python carry no time and are skipped, and the panel says so when an
    annotator has none). Bottom: gold accuracy so far (running share of right answers,
    one point per gold answer).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    df = _timeline_frame(data, task)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=(f"time per item (rolling median of {window}, s)", "gold accuracy so far"),
    )
    palette = ["#1976d2", "#d32f2f", "#388e3c", "#f57c00", "#7b1fa2", "#00838f", "#5d4037", "#c2185b"]
    untimed: list[str] = []
    timed = 0
    for k, (ann, sub) in enumerate(df.groupby("annotator", sort=True)):
        color = palette[k % len(palette)]
        pos = np.arange(len(sub))
        dur = sub["duration_ms"] if "duration_ms" in sub.columns else pd.Series(np.nan, index=sub.index)
        d = pd.to_numeric(dur, errors="coerce").to_numpy(float) / 1000.0
        ok = np.isfinite(d)
        if not ok.any():
            untimed.append(str(ann))
            # an empty pace line: the panel exists (plotly draws no subplot without a trace)
            fig.add_trace(
                go.Scatter(
                    x=[],
                    y=[],
                    mode="lines",
                    name=str(ann),
                    legendgroup=str(ann),
                    showlegend=False,
                    line={"color": color},
                    hoverinfo="skip",
                ),
                row=1,
                col=1,
            )
        else:
            timed += 1
            roll = pd.Series(d[ok]).rolling(window, min_periods=1).median().to_numpy()
            fig.add_trace(
                go.Scatter(
                    x=pos[ok],
                    y=roll,
                    mode="lines",
                    name=str(ann),
                    legendgroup=str(ann),
                    line={"color": color},
                    hovertemplate=f"{ann}<br>decision %{{x}}<br>%{{y:.1f}} s/item<extra></extra>",
                ),
                row=1,
                col=1,
            )
        g = sub["gold_correct"].to_numpy(dtype=object)
        has = np.array(
            [x is not None and not (isinstance(x, float) and math.isnan(x)) for x in g], dtype=bool
        )
        if has.any():
            right = np.array([bool(x) for x in g[has]], dtype=float)
            acc = np.cumsum(right) / np.arange(1, len(right) + 1)
            fig.add_trace(
                go.Scatter(
                    x=pos[has],
                    y=acc,
                    mode="lines+markers",
                    name=str(ann),
                    legendgroup=str(ann),
                    showlegend=not ok.any(),
                    line={"color": color},
                    hovertemplate=f"{ann}<br>decision %{{x}}<br>%{{y:.0%}} right so far<extra></extra>",
                ),
                row=2,
                col=1,
            )
    # an empty panel says why: a decision made from Python (review.accept(), a script, a
    # simulated reviewer) has no time per item; only the keys in the browser time one
    if not len(df):
        note = "no decisions yet"
    elif not timed:
        note = "no time per item recorded: decisions made from Python carry none"
    elif untimed:
        note = f"no time per item recorded for {', '.join(untimed)}: decisions made from Python carry none"
    else:
        note = ""
    if note:
        fig.add_annotation(
            text=note,
            xref="x domain",
            yref="y domain",
            x=0.5,
            y=0.5 if not timed else 0.98,
            yanchor="middle" if not timed else "top",
            showarrow=False,
            font={"size": 13 if not timed else 11, "color": "#616161"},
            bgcolor="rgba(255,255,255,0.7)",
            name="no-time-note",
        )
    fig.update_yaxes(title_text="s / item", rangemode="tozero", row=1, col=1)
    if not timed:  # no scale to read: no made-up ticks either
        fig.update_yaxes(range=[0, 1], showticklabels=False, row=1, col=1)
    fig.update_yaxes(title_text="accuracy", range=[0, 1.05], row=2, col=1)
    fig.update_xaxes(title_text="decision (in order)", row=2, col=1)
    fig.update_layout(title=title or "Pace and gold accuracy per annotator", height=560, width=720)
    return fig
