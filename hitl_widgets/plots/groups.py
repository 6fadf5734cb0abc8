"""Plots of annotator groups (`hitl_widgets.metrics.by_group`): how each group labels, how
well people agree within each group and across groups, and where each group and the model
disagree (one clickable confusion matrix per group)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd


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


# --------------------------------------------------------------------------- confusion by group
_GROUP_VIEW_CLASS: Any = None


def _group_view_class() -> Any:
    global _GROUP_VIEW_CLASS
    if _GROUP_VIEW_CLASS is None:
        from .agreement import _widgets

        w = _widgets()

        class ConfusionByGroupView(w.VBox):  # type: ignore[misc, valid-type, name-defined]
            """One confusion-matrix view (`hitl_widgets.plots.agreement.ConfusionMatrixView`)
            per group, in tabs, under a line saying what the small-group rule did.

            Attributes: ``by``, ``views`` ({group: ConfusionMatrixView}), ``counts``
            ({group: human x model DataFrame}), ``cell_items`` ({group: {(human, model):
            ids}}), ``members`` (annotator -> group), ``small_groups`` (the rule's note),
            ``tabs``; ``items_of(group, human, model)`` and ``open_cell(group, human,
            model)`` (what a click on that group's cell does)."""

            def items_of(self, group: Any, true_label: Any, model_label: Any) -> list[str]:
                return list(self._view(group).items_of(true_label, model_label))

            def open_cell(self, group: Any, true_label: Any, model_label: Any) -> Any:
                view = self._view(group)
                self.tabs.selected_index = list(self.views).index(str(group))
                return view.open_cell(true_label, model_label)

            def _view(self, group: Any) -> Any:
                try:
                    return self.views[str(group)]
                except KeyError:
                    raise KeyError(f"no group {group!r} shown (groups: {list(self.views)})") from None

        _GROUP_VIEW_CLASS = ConfusionByGroupView
    return _GROUP_VIEW_CLASS


def confusion_by_group(
    data: Any,
    groups: Any = None,
    by: str = "gender",
    *,
    task: str | None = None,
    items: pd.DataFrame | None = None,
    labels: Sequence[Any] | None = None,
    normalize: bool = False,
    min_annotators: int = 5,
    small_groups: str = "pool",
    store: Any = None,
    review_task: str = "recheck",
    annotator: str | None = None,
    review_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """Human label x model label, one clickable matrix per group of annotators.

    Each group's matrix is `hitl_widgets.plots.confusion_matrix` on that group's ratings
    (every rating with a model label counts once), with the same label order for every
    group; a click on a cell lists (no ``items``) or opens in a review (``items``) that
    group's items in that cell, exactly as the single matrix does. Groups are those of
    `hitl_widgets.metrics.by_group` with the same ``min_annotators`` / ``small_groups``:
    a group with fewer annotators is never shown on its own (pooled into "(small
    groups)", or left out with ``small_groups="drop"``); the counts equal
    ``by_group(..., model=...).confusion``.

    Parameters
    ----------
    data:
        A store (``Store``, path or URL, with ``task=``) or a ratings / decisions DataFrame
        with a ``model_label`` column.
    groups:
        The annotators' groups: ``hitl_widgets.annotators.profiles(store)`` (a DataFrame
        with ``annotator`` and ``by`` columns), or a mapping / Series annotator -> group.
        None: the profiles of ``data`` when it is a store.
    items, store, review_task, annotator, review_kwargs, labels, normalize:
        As for `hitl_widgets.plots.confusion_matrix`.

    Returns
    -------
    ConfusionByGroupView
        An ``ipywidgets.VBox``: ``.views`` ({group: ConfusionMatrixView}), ``.counts``,
        ``.cell_items``, ``.items_of(group, human, model)``, ``.open_cell(group, human,
        model)``.
    """
    from ..metrics._data import _canonical_text
    from ..metrics.groups import group_members
    from ..store import Store
    from .agreement import _label_order, _ratings, _widgets, confusion_matrix

    is_store = isinstance(data, (Store, str)) or hasattr(data, "__fspath__")
    if groups is None:
        if not is_store:
            raise ValueError(
                "groups: pass the annotators' groups (e.g. hitl_widgets.annotators.profiles(store))"
            )
        from ..annotators import profiles

        groups = profiles(data)
    if small_groups not in ("pool", "drop"):
        raise ValueError(f"small_groups: expected 'pool' or 'drop', got {small_groups!r}")
    r = _ratings(data, task)
    if "model_label" not in r.columns:
        raise ValueError("data: no model_label column (human-vs-model needs the model's label)")
    who = r[["item", "annotator", "label"]].drop_duplicates(["item", "annotator"], keep="last")
    members = group_members(
        who,
        groups,
        by,
        min_annotators=min_annotators,
        small_groups=small_groups,  # type: ignore[arg-type]
    )
    if not len(members):
        raise ValueError(f"groups: no group of {by!r} has {min_annotators} or more annotators with a rating")
    group = members.reindex(_canonical_text(r["annotator"])).to_numpy(dtype=object)
    rated = r[r["model_label"].notna()]
    order = _label_order(list(rated["label"]) + list(rated["model_label"]), labels)
    review_store = store if store is not None else (data if is_store else None)
    views: dict[str, Any] = {}
    sizes = members.value_counts()
    for g in pd.unique(members.to_numpy()):
        name = str(g)
        n = int(sizes[g])
        views[name] = confusion_matrix(
            r[group == g],
            normalize,
            labels=order,
            items=items,
            store=review_store,
            review_task=review_task,
            annotator=annotator,
            review_kwargs=review_kwargs,
            title=f"{by} = {name} ({n} annotator{'' if n == 1 else 's'}): human label vs model label",
        )
    w = _widgets()
    tabs = w.Tab(children=list(views.values()))
    tabs.titles = tuple(views)
    note = str(members.attrs.get("small_groups") or "")
    line = f"Human label vs model label by {by}: {len(views)} group(s)" + (f"; {note}" if note else "")
    view = _group_view_class()(children=[w.Label(value=line), tabs])
    view.by = by
    view.tabs = tabs
    view.views = views
    view.counts = {g: v.counts for g, v in views.items()}
    view.cell_items = {g: v.cell_items for g, v in views.items()}
    view.members = members
    view.small_groups = note
    return view
