"""Annotator groups: figures per group, tests of difference at the level of annotators, juries.

Ratings come from annotators who belong to groups (gender, age band, locale, expertise).
Everything here respects that structure: an annotator is the unit, never a rating.

Why: testing group differences on pooled ratings treats every rating as independent. A few
prolific annotators with a personal bias then look like a group effect (on a public
offensiveness data set, ~13,000 ratings by 262 people, a pooled chi-square test of men vs
women gives p ~ 5e-9; permuting the group labels across people gives p ~ 0.7). So
:func:`group_test` permutes the group of each *annotator*, and no pooled-rating test is offered.

Inputs are the ratings in any form :func:`~hitl_widgets.metrics.to_ratings` accepts, and the
groups as a DataFrame with an annotator column (named by ``annotator=``) and the attribute
column ``by``, or a mapping / Series annotator -> group. Annotators are matched as the store
keeps ids (``1`` and ``"1"`` are one annotator); group values are shown as text
(`hitl_widgets.annotators.group_key`, as review quotas see them). Annotators without a group
value, or who chose not to say (``"prefer not to say"``, blank text), go to ``"(not given)"``.

Small groups (fewer than ``min_annotators`` annotators with a rating, ``"(not given)"``
included) are never shown on their own: they are pooled into ``"(small groups)"``
(``small_groups="pool"``, the default) or left out (``small_groups="drop"``); a pool that is
itself below the minimum is left out. Every result says which.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..annotators import group_key
from ._data import Ratings, UndefinedAgreementWarning, _canonical_text, _label_texts, _to_matrix
from .agreement import krippendorff_alpha, model_agreement
from .bootstrap import bootstrap_ci
from .consensus import _majority_codes

__all__ = [
    "GroupReport",
    "GroupTestResult",
    "JuryResult",
    "by_group",
    "group_members",
    "group_test",
    "jury",
    "soft_labels",
]

NOT_GIVEN = "(not given)"
SMALL_GROUPS = "(small groups)"
ALL_ANNOTATORS = "(all annotators)"
ACROSS_GROUPS = "(across groups)"
SmallGroups = Literal["pool", "drop"]
Correction = Literal["holm", "bonferroni", "fdr_bh", "none"]
_CORRECTIONS = ("holm", "bonferroni", "fdr_bh", "none")


# ---------------------------------------------------------------------------
# group membership
# ---------------------------------------------------------------------------
def _raw_groups(r: Ratings, groups: Any, by: str | None, annotator: str) -> np.ndarray:
    """Group (text) of every annotator of ``r``, ``"(not given)"`` where the groups have no value."""
    if isinstance(groups, pd.DataFrame):
        missing = [c for c in (annotator, by) if c not in groups.columns]
        if missing:
            raise ValueError(
                f"groups: missing column(s) {missing!r}; available columns: {list(groups.columns)} "
                "(name the annotator column with annotator= and the attribute with by=)"
            )
        ids, values = groups[annotator], groups[by]
    elif isinstance(groups, pd.Series):
        ids, values = groups.index.to_series(), groups
    elif isinstance(groups, Mapping):
        ids, values = (
            pd.Series(list(groups.keys()), dtype=object),
            pd.Series(list(groups.values()), dtype=object),
        )
    else:
        raise ValueError(
            f"groups: expected a DataFrame with columns {annotator!r} and {by!r}, or a mapping / Series "
            f"annotator -> group; got {type(groups).__name__}"
        )
    id_text = _canonical_text(ids)
    # a group as quotas see it: "prefer not to say" and blank text are no answer
    value_text = np.array([group_key(v) for v in _canonical_text(values)], dtype=object)
    table = pd.DataFrame({"id": id_text, "group": value_text})
    table = table[table["id"].notna()]
    # an annotator listed twice must say the same thing twice; otherwise we cannot choose
    conflict = table.groupby("id", sort=False)["group"].nunique(dropna=False) > 1
    if conflict.any():
        bad = conflict.index[conflict.to_numpy()][0]
        rows = np.flatnonzero(id_text == bad)[:5].tolist()
        raise ValueError(
            f"groups: annotator {bad!r} has conflicting values of {by!r} (rows {rows}); "
            f"{int(conflict.sum())} annotator(s) conflict"
        )
    lookup = table.drop_duplicates("id").set_index("id")["group"]
    ann_text = _canonical_text(r.annotators)
    found = pd.Index(lookup.index).get_indexer(pd.Index(ann_text))
    if r.n_annotators and (found < 0).all():
        raise ValueError(
            f"groups: none of the {r.n_annotators} annotators of the ratings is listed "
            f"(ratings: {list(r.annotators[:3])}, groups: {list(lookup.index[:3])})"
        )
    out = np.full(r.n_annotators, NOT_GIVEN, dtype=object)
    hit = found >= 0
    vals = lookup.to_numpy()[found[hit]]
    out[np.flatnonzero(hit)] = np.where(pd.isna(vals), NOT_GIVEN, vals)
    return out


@dataclass(frozen=True)
class _Membership:
    """Shown group of every annotator (None: no rating, or left out) and the rule's note."""

    group: np.ndarray
    names: list[str]
    note: str


def _order(names: Sequence[str]) -> list[str]:
    # real groups sorted by name; the two made-up groups last, so tables read the same each time
    special = [n for n in (NOT_GIVEN, SMALL_GROUPS) if n in names]
    return sorted(n for n in names if n not in special) + special


def _membership(
    r: Ratings, groups: Any, by: str | None, annotator: str, min_annotators: int, small_groups: SmallGroups
) -> _Membership:
    """Groups after the small-group rule (only annotators with a rating count)."""
    if (
        not isinstance(min_annotators, (int, np.integer))
        or isinstance(min_annotators, bool)
        or min_annotators < 1
    ):
        raise ValueError(f"min_annotators: must be an integer >= 1, got {min_annotators!r}")
    if small_groups not in ("pool", "drop"):
        raise ValueError(f"small_groups: expected 'pool' or 'drop', got {small_groups!r}")
    raw = _raw_groups(r, groups, by, annotator)
    rated = np.bincount(r.annotator, minlength=r.n_annotators) > 0
    out = raw.copy()
    out[~rated] = None
    sizes = pd.Series(raw[rated]).value_counts()
    small = [str(g) for g in sizes.index[sizes.to_numpy() < min_annotators]]
    note = ""
    if small:
        is_small = rated & np.isin(raw, small)
        n_small = int(is_small.sum())
        what = (
            f"{len(small)} group(s) with fewer than {min_annotators} annotators ({', '.join(_order(small))})"
        )
        if small_groups == "pool" and n_small >= min_annotators:
            out[is_small] = SMALL_GROUPS
            note = f"{what} pooled into {SMALL_GROUPS!r}"
        else:
            out[is_small] = None
            why = f" (pooled they would be only {n_small})" if small_groups == "pool" else ""
            note = f"{what} left out{why}: {n_small} annotator(s)"
    names = _order([str(g) for g in pd.unique(out[out != None])])  # noqa: E711 - elementwise
    return _Membership(out, names, note)


def _subset(r: Ratings, keep: np.ndarray) -> Ratings:
    """The ratings at ``keep`` (bool over ratings), items reduced to those still rated, so a
    bootstrap over items draws only items that this subset rated."""
    used, new_item = np.unique(r.item[keep], return_inverse=True)
    return Ratings(
        item=new_item.astype(np.int64),
        annotator=r.annotator[keep],
        code=r.code[keep],
        items=r.items[used],
        annotators=r.annotators,
        labels=r.labels,
        numeric=r.numeric,
    )


def _annotator_shares(r: Ratings) -> np.ndarray:
    """Annotators x labels: each annotator's share of each label (NaN rows for an annotator without ratings)."""
    counts = np.zeros((r.n_annotators, r.n_labels))
    np.add.at(counts, (r.annotator, r.code), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts / counts.sum(1, keepdims=True)


def _label_columns(r: Ratings, labels: Sequence[Any] | None) -> np.ndarray:
    """Codes of ``labels`` in ``r``'s label domain (all labels when None)."""
    if labels is None:
        return np.arange(r.n_labels)
    wanted = _label_texts(labels)
    pos = pd.Index(_canonical_text(r.labels), dtype=object).get_indexer(wanted)
    if (pos < 0).any():
        raise ValueError(
            f"labels: {[list(labels)[i] for i in np.flatnonzero(pos < 0)][:5]!r} never occur in the ratings "
            f"(labels used: {list(r.labels)[:10]})"
        )
    return pos


# ---------------------------------------------------------------------------
# by_group
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GroupReport:
    """Figures per annotator group (see :func:`by_group`).

    Attributes
    ----------
    by:
        The attribute the annotators were grouped by.
    groups:
        One row per group shown: ``n_annotators``, ``n_ratings``, ``n_items``.
    label_shares:
        Groups x labels: the share of each label among the group's ratings (rows sum to 1).
        Prolific annotators weigh more here; see :attr:`annotator_shares`.
    annotator_shares:
        Groups x labels: the mean over the group's annotators of each annotator's share of
        the label (each annotator counts once; what :func:`group_test` compares).
    alpha:
        Krippendorff's alpha (nominal) with a percentile bootstrap interval over items
        (columns ``alpha, low, high, n_items, note``) for every group, for
        ``"(all annotators)"`` and for ``"(across groups)"``: alpha on the items x groups
        matrix whose cell is the group's majority label on the item (empty where the group
        did not rate the item or its vote is tied), over items with a majority from at least
        two groups. High within-group alpha with low cross-group alpha means the groups
        read the items differently.
    model:
        Without a model None; otherwise per group ``n_ratings`` (compared),
        ``agreement`` (share of the group's ratings equal to the model label),
        ``kappa`` (Cohen's kappa, the group's majority label vs the model; tied items
        excluded, counted in ``n_ties_excluded``).
    confusion:
        Per group, human label (rows) x model label (columns): counts of ratings.
    small_groups:
        What the small-group rule did ("" when every group was large enough).
    n_boot, ci:
        Bootstrap replicates and coverage of the intervals.
    """

    by: str
    groups: pd.DataFrame
    label_shares: pd.DataFrame
    annotator_shares: pd.DataFrame
    alpha: pd.DataFrame
    model: pd.DataFrame | None = None
    confusion: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    small_groups: str = ""
    n_boot: int = 1000
    ci: float = 0.95

    def __repr__(self) -> str:
        g = self.groups
        head = (
            f"GroupReport by {self.by!r}: {len(g)} group(s), {int(g['n_annotators'].sum())} annotators, "
            f"{int(g['n_ratings'].sum())} ratings"
        )
        lines = [head]
        if self.small_groups:
            lines.append(f"  small groups: {self.small_groups}")
        ci = f"{self.ci:.0%} CI"
        a = self.alpha
        alpha_txt = pd.Series(
            [
                f"{v:.3f} [{lo:.3f}, {hi:.3f}]" if np.isfinite(v) else "undefined"
                for v, lo, hi in zip(a["alpha"], a["low"], a["high"], strict=True)
            ],
            index=a.index,
        )
        table = g.copy()
        table[f"alpha ({ci})"] = alpha_txt.reindex(table.index)
        shares = self.label_shares.map(lambda v: f"{v:.0%}")
        shares.columns = [f"share {c}" for c in shares.columns]
        table = table.join(shares)
        if self.model is not None:
            table["model agreement"] = self.model["agreement"].map(lambda v: f"{v:.0%}")
            table["model kappa"] = self.model["kappa"].map(lambda v: f"{v:.3f}")
        lines.append(table.to_string())
        for name in (ALL_ANNOTATORS, ACROSS_GROUPS):
            lines.append(f"alpha {name}: {alpha_txt[name]} over {int(a['n_items'].loc[name])} items")
        lines.append(
            f"alpha {ACROSS_GROUPS}: alpha on items x groups, each cell the group's majority label; "
            "intervals: bootstrap over items"
        )
        return "\n".join(lines)


def _alpha_row(r: Ratings, n_boot: int, ci: float, seed: int | None) -> dict[str, Any]:
    """Nominal alpha with its bootstrap interval; undefined cases give NaN and say why."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndefinedAgreementWarning)
        value = krippendorff_alpha(r)
        if np.isfinite(value):
            low, high = bootstrap_ci(krippendorff_alpha, r, n_boot=n_boot, ci=ci, seed=seed)
        else:
            low = high = float("nan")
    notes = [
        str(w.message).split(";")[0] for w in caught if issubclass(w.category, UndefinedAgreementWarning)
    ]
    n_items = int((r.ratings_per_item() >= 2).sum())
    return {
        "alpha": value,
        "low": low,
        "high": high,
        "n_items": n_items,
        "note": "; ".join(dict.fromkeys(notes)),
    }


def _cross_group_ratings(r: Ratings, member: _Membership) -> Ratings:
    """Items x groups ratings: each group's majority label per item (ties left empty), over the
    items with a majority from at least two groups."""
    G = len(member.names)
    codes = np.full((r.n_items, G), -1, dtype=np.int64)
    ann_group = pd.Index(member.names).get_indexer(pd.Index(member.group))
    rating_group = ann_group[r.annotator]
    for k in range(G):
        sub = _subset(r, rating_group == k)
        maj, tie, n_votes = _majority_codes(sub)
        ok = (n_votes > 0) & ~tie
        rows = np.unique(r.item[rating_group == k])  # _subset keeps the items in this order
        codes[rows[ok], k] = maj[ok]
    keep = (codes >= 0).sum(1) >= 2
    items, cols = np.nonzero((codes >= 0) & keep[:, None])
    used, new_item = np.unique(items, return_inverse=True)
    return Ratings(
        item=new_item.astype(np.int64),
        annotator=cols.astype(np.int64),
        code=codes[items, cols],
        items=r.items[used],
        annotators=pd.Index(member.names),
        labels=r.labels,
        numeric=r.numeric,
    )


def _model_texts(model: Any, r: Ratings) -> np.ndarray:
    """Model label of every item of ``r`` as canonical text (None where absent)."""
    if isinstance(model, Mapping):
        model = pd.Series(dict(model), dtype=object)
    if not isinstance(model, pd.Series):
        raise ValueError(
            f"model: expected a Series or mapping item -> model label, got {type(model).__name__}"
        )
    keys = _canonical_text(model.index)
    if pd.Index(keys).has_duplicates:
        dup = pd.Index(keys)[pd.Index(keys).duplicated()][0]
        raise ValueError(f"model: item {dup!r} has more than one model label")
    lookup = pd.Series(_canonical_text(model.to_numpy()), index=pd.Index(keys, dtype=object))
    out = lookup.reindex(_canonical_text(r.items)).to_numpy(dtype=object)
    if r.n_items and pd.isna(out).all():
        raise ValueError(
            f"model: no item of the ratings has a model label (ratings: {list(r.items[:3])}, "
            f"model: {list(model.index[:3])})"
        )
    return out


def _confusion(r: Ratings, model_text: np.ndarray, rating_mask: np.ndarray) -> pd.DataFrame:
    """Human label (rows) x model label (columns) counts over the rated items with a model label;
    model labels no human used get columns of their own."""
    human = pd.Index(_canonical_text(r.labels), dtype=object)
    extra = [t for t in pd.unique(model_text[~pd.isna(model_text)]) if t not in human]
    cols = human.append(pd.Index(extra, dtype=object))
    mcode = np.full(model_text.size, -1, dtype=np.int64)
    has = ~pd.isna(model_text)
    mcode[has] = cols.get_indexer(pd.Index(model_text[has]))
    sel = rating_mask & (mcode[r.item] >= 0)
    C = len(cols)
    counts = np.bincount(r.code[sel] * C + mcode[r.item[sel]], minlength=r.n_labels * C).reshape(
        r.n_labels, C
    )
    return pd.DataFrame(
        counts,
        index=pd.Index(list(r.labels), name="human"),
        columns=pd.Index(list(r.labels) + extra, name="model"),
    )


def by_group(
    ratings: Any,
    groups: Any,
    by: str = "gender",
    *,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
    model: Any = None,
    min_annotators: int = 5,
    small_groups: SmallGroups = "pool",
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int | None = 0,
) -> GroupReport:
    """Who are the groups, what do they say, how much do they agree (within, across, with a model)?

    Parameters
    ----------
    ratings:
        Long DataFrame (``item``, ``annotator``, ``label``) or items x annotators matrix.
    groups:
        DataFrame with the ``annotator`` column and the ``by`` column, or a mapping / Series
        annotator -> group. Annotators it does not list (or lists without a value) go to
        ``"(not given)"``.
    by:
        The attribute to group by (a column of ``groups``; only a name for a mapping).
    model:
        Optional Series / mapping item -> model label: adds each group's agreement with the
        model and a human-vs-model confusion matrix per group.
    min_annotators, small_groups:
        Groups with fewer annotators (with a rating) are pooled into ``"(small groups)"``
        (``"pool"``) or left out (``"drop"``), never shown on their own.
    n_boot, ci, seed:
        Bootstrap of the alphas over items (:func:`~hitl_widgets.metrics.bootstrap_ci`).

    Returns
    -------
    GroupReport
        See its attributes; ``repr`` is a readable summary.
    """
    r = _to_matrix(ratings, item=item, annotator=annotator, label=label)
    member = _membership(r, groups, by, annotator, min_annotators, small_groups)
    if not member.names:
        raise ValueError(f"groups: no group of {by!r} has {min_annotators} or more annotators with a rating")
    rating_group = member.group[r.annotator]
    rows, shares, ann_shares, alphas = [], [], [], {}
    per_annotator = _annotator_shares(r)
    for k, name in enumerate(member.names):
        mask = rating_group == name
        sub = _subset(r, mask)
        rows.append(
            {
                "n_annotators": int(np.unique(r.annotator[mask]).size),
                "n_ratings": int(mask.sum()),
                "n_items": sub.n_items,
            }
        )
        shares.append(np.bincount(r.code[mask], minlength=r.n_labels) / mask.sum())
        ann_shares.append(per_annotator[member.group == name].mean(0))
        alphas[name] = _alpha_row(sub, n_boot, ci, None if seed is None else seed + k)
    shown = rating_group != None  # noqa: E711 - elementwise
    alphas[ALL_ANNOTATORS] = _alpha_row(_subset(r, shown), n_boot, ci, seed)
    alphas[ACROSS_GROUPS] = _alpha_row(_cross_group_ratings(r, member), n_boot, ci, seed)
    index = pd.Index(member.names, name=by)
    model_table, confusion = None, {}
    if model is not None:
        model_text = _model_texts(model, r)
        series = pd.Series(model_text, index=r.items)
        mrows = []
        for name in member.names:
            mask = rating_group == name
            sub = _subset(r, mask)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UndefinedAgreementWarning)
                res = model_agreement(sub, series.reindex(sub.items))
            mrows.append(
                {
                    "n_ratings": res.n_ratings,
                    "agreement": res.agreement,
                    "kappa": res.kappa,
                    "n_ties_excluded": res.n_ties_excluded,
                }
            )
            confusion[name] = _confusion(r, model_text, mask)
        model_table = pd.DataFrame(mrows, index=index)
    return GroupReport(
        by=by,
        groups=pd.DataFrame(rows, index=index),
        label_shares=pd.DataFrame(shares, index=index, columns=pd.Index(list(r.labels), name=label)),
        annotator_shares=pd.DataFrame(ann_shares, index=index, columns=pd.Index(list(r.labels), name=label)),
        alpha=pd.DataFrame.from_dict(alphas, orient="index"),
        model=model_table,
        confusion=confusion,
        small_groups=member.note,
        n_boot=n_boot,
        ci=ci,
    )


def group_members(
    ratings: Any,
    groups: Any,
    by: str = "gender",
    *,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
    min_annotators: int = 5,
    small_groups: SmallGroups = "pool",
) -> pd.Series:
    """The group :func:`by_group` shows each annotator of ``ratings`` in (after the
    small-group rule, with the same arguments): a Series annotator id (as text, the way
    the ratings compare ids) -> group, in :func:`by_group`'s group order, without the
    annotators left out (no rating, or in a small group that is dropped).
    ``.attrs["small_groups"]`` says what the rule did ("" when nothing). What the per-group
    plots (`hitl_widgets.plots.confusion_by_group`) split the ratings by."""
    r = _to_matrix(ratings, item=item, annotator=annotator, label=label)
    member = _membership(r, groups, by, annotator, min_annotators, small_groups)
    ids = _canonical_text(r.annotators)
    rank = {name: k for k, name in enumerate(member.names)}
    keep = [i for i in range(r.n_annotators) if member.group[i] is not None]
    keep.sort(key=lambda i: (rank[str(member.group[i])], str(ids[i])))
    out = pd.Series(
        [member.group[i] for i in keep],
        index=pd.Index([ids[i] for i in keep], name=annotator, dtype=object),
        name=by,
        dtype=object,
    )
    out.attrs["small_groups"] = member.note
    return out


# ---------------------------------------------------------------------------
# group_test
# ---------------------------------------------------------------------------
def _adjust_p(p_values: Any, method: Correction = "holm") -> np.ndarray:
    """p-values corrected for multiple testing, as ``statsmodels.stats.multitest.multipletests``.

    ``"holm"`` (step-down Holm-Bonferroni, controls the family-wise error), ``"bonferroni"``,
    ``"fdr_bh"`` (Benjamini-Hochberg, controls the false discovery rate) or ``"none"``.
    """
    if method not in _CORRECTIONS:
        raise ValueError(f"correction: expected one of {_CORRECTIONS}, got {method!r}")
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("p_values: expected a 1-D sequence of probabilities in [0, 1]")
    m = p.size
    if method == "none" or m == 0:
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    order = np.argsort(p, kind="stable")
    ps = p[order]
    if method == "holm":
        # the j-th smallest (0-based) is multiplied by m - j; a later one is never below an earlier one
        adj = np.maximum.accumulate(np.minimum((m - np.arange(m)) * ps, 1.0))
    else:
        # BH: p_(j) * m / (j + 1), made monotone from the largest down
        adj = np.minimum.accumulate((ps * m / np.arange(1, m + 1))[::-1])[::-1]
        adj = np.minimum(adj, 1.0)
    out = np.empty(m)
    out[order] = adj
    return out


@dataclass(frozen=True, eq=False)
class GroupTestResult:
    """Outcome of :func:`group_test`; ``str(result)`` is :attr:`sentence`.

    Attributes
    ----------
    by:
        The attribute tested.
    table:
        One row per tested label: ``statistic`` (between-group sum of squares of the
        annotators' shares of the label), ``difference`` (two groups only: mean share in the
        first group minus the second, in the order of :attr:`means`), ``p_value`` (permutation,
        ``(b + 1) / (B + 1)``) and ``p_adjusted`` (corrected with :attr:`correction`).
    means:
        Groups x tested labels: the mean over the group's annotators of each annotator's
        share of the label.
    n_annotators:
        Annotators per group (Series).
    statistic, p_value:
        The overall statistic (sum of the per-label statistics) and its permutation p-value.
    n_permutations, correction:
        Permutations drawn and the multiple-testing correction.
    small_groups:
        What the small-group rule did ("" when nothing).
    sentence:
        What was tested and found, in words.
    """

    by: str
    table: pd.DataFrame
    means: pd.DataFrame
    n_annotators: pd.Series
    statistic: float
    p_value: float
    n_permutations: int
    correction: str
    small_groups: str
    sentence: str

    def __str__(self) -> str:
        return self.sentence


def _between_ss(sums: np.ndarray, sizes: np.ndarray, grand: np.ndarray) -> np.ndarray:
    """Between-group sum of squares ``sum_g n_g (mean_g - grand)^2`` from group sums.

    ``sums`` has the groups on axis -2 (``(..., G, V)``); written with the deviations from
    the grand mean (not ``sum T^2/n - N mean^2``) to avoid cancellation."""
    means = sums / sizes[:, None]
    return (sizes[:, None] * (means - grand) ** 2).sum(axis=-2)


def group_test(
    ratings: Any,
    groups: Any,
    by: str = "gender",
    *,
    labels: Sequence[Any] | None = None,
    n_permutations: int = 5000,
    seed: int | None = 0,
    correction: Correction = "holm",
    min_annotators: int = 5,
    small_groups: SmallGroups = "pool",
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> GroupTestResult:
    """Do the groups use the labels differently? A permutation test over annotators.

    Every annotator is summarised by their share of each label (``n_a,c / n_a``), so each
    annotator counts once however many items they rated, and a few prolific annotators cannot
    pass for a group. Per label the statistic is the between-group sum of squares of those
    shares, ``sum_g n_g (mean_g - mean)^2`` (``n_g`` annotators in group ``g``); with two
    groups it equals ``n_1 n_2 / N * (mean_1 - mean_2)^2``, a two-sided test of the
    difference of the group means. The overall statistic is its sum over the tested labels.

    p-values come from permuting the group of each annotator (group sizes kept), never the
    ratings: ``p = (b + 1) / (B + 1)`` with ``b`` the permutations whose statistic is at least
    the observed one. Per-label p-values are corrected with ``correction``: ``"holm"``
    (default; family-wise error), ``"bonferroni"``, ``"fdr_bh"`` (Benjamini-Hochberg) or
    ``"none"``, as ``statsmodels.stats.multitest.multipletests`` computes them. Tests on
    pooled ratings are deliberately not offered.

    Parameters
    ----------
    labels:
        Labels to test (default: every label used); shares are still taken over all ratings.
    min_annotators, small_groups:
        The small-group rule (see the module documentation); at least two groups must remain.

    Other parameters are as in :func:`by_group`.
    """
    if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise ValueError(f"n_permutations: must be a positive integer, got {n_permutations!r}")
    if correction not in _CORRECTIONS:
        raise ValueError(f"correction: expected one of {_CORRECTIONS}, got {correction!r}")
    r = _to_matrix(ratings, item=item, annotator=annotator, label=label)
    member = _membership(r, groups, by, annotator, min_annotators, small_groups)
    if len(member.names) < 2:
        raise ValueError(
            f"by: {by!r} has {len(member.names)} group(s) with {min_annotators} or more annotators "
            f"({member.names}); a test needs two"
        )
    cols = _label_columns(r, labels)
    shown = np.flatnonzero(member.group != None)  # noqa: E711 - elementwise
    g = pd.Index(member.names).get_indexer(pd.Index(member.group[shown]))
    S = _annotator_shares(r)[shown][:, cols]
    A, G = S.shape[0], len(member.names)
    sizes = np.bincount(g, minlength=G).astype(float)
    grand = S.mean(0)
    onehot = np.eye(G)[g]  # annotators x groups
    sums = onehot.T @ S
    observed = _between_ss(sums, sizes, grand)
    rng = np.random.default_rng(seed)
    exceed = np.zeros(len(cols), dtype=np.int64)
    exceed_all = 0
    # relative slack: a permutation that reproduces the observed split must count as ">=" despite rounding
    tol_lab = 1e-9 * np.maximum(observed, 1e-300)
    tol_all = 1e-9 * max(float(observed.sum()), 1e-300)
    chunk = max(1, 2_000_000 // max(A * G, 1))
    done = 0
    while done < n_permutations:
        b = min(chunk, n_permutations - done)
        perm = np.argsort(rng.random((b, A)), axis=1)  # one shuffle of the annotators' groups per row
        perm_sums = onehot[perm].transpose(0, 2, 1) @ S  # (b, G, V) group sums
        stat = _between_ss(perm_sums, sizes, grand)
        exceed += (stat >= observed - tol_lab).sum(0)
        exceed_all += int((stat.sum(1) >= observed.sum() - tol_all).sum())
        done += b
    p = (exceed + 1) / (n_permutations + 1)
    p_all = (exceed_all + 1) / (n_permutations + 1)
    p_adj = _adjust_p(p, correction)
    lab_index = pd.Index([r.labels[c] for c in cols], name=label)
    means = pd.DataFrame(sums / sizes[:, None], index=pd.Index(member.names, name=by), columns=lab_index)
    table = pd.DataFrame({"statistic": observed}, index=lab_index)
    if G == 2:
        table["difference"] = means.iloc[0].to_numpy() - means.iloc[1].to_numpy()
    table["p_value"] = p
    table["p_adjusted"] = p_adj
    n_ann = pd.Series(sizes.astype(int), index=means.index, name="n_annotators")
    parts = ", ".join(f"{name}: {n}" for name, n in n_ann.items())
    corr = "uncorrected" if correction == "none" else f"{correction}-corrected"
    per_label = "; ".join(f"{lab!r} p = {pa:.3g}" for lab, pa in zip(lab_index, p_adj, strict=True))
    stat_words = (
        "the difference of the two groups' mean shares"
        if G == 2
        else "the between-group sum of squares of the annotators' shares"
    )
    sentence = (
        f"annotators' label shares compared between the groups of {by!r} ({parts} annotators), "
        f"permuting the group of each of the {A} annotators {n_permutations} times "
        f"(each annotator counts once; statistic per label: {stat_words}, overall: their sum over labels); "
        f"overall p = {p_all:.3g}; per label ({corr}): {per_label}"
    )
    if member.note:
        sentence += f"; {member.note}"
    return GroupTestResult(
        by=by,
        table=table,
        means=means,
        n_annotators=n_ann,
        statistic=float(observed.sum()),
        p_value=float(p_all),
        n_permutations=int(n_permutations),
        correction=correction,
        small_groups=member.note,
        sentence=sentence,
    )


# ---------------------------------------------------------------------------
# soft labels
# ---------------------------------------------------------------------------
def soft_labels(
    ratings: Any,
    *,
    groups: Any = None,
    by: str | None = None,
    min_annotators: int = 5,
    small_groups: SmallGroups = "pool",
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> pd.DataFrame:
    """Per item, the distribution of the labels given (shares), overall and per group.

    Returns a wide DataFrame: a column ``n_ratings`` then one column per label holding its
    share of the item's ratings (the label columns of every row sum to 1).

    * Without ``groups``: indexed by item.
    * With ``groups`` (and ``by``, as in :func:`by_group`): indexed by ``(item, group)``; the
      group ``"(all annotators)"`` is every rating of the item, then one row per group that
      rated it (a group that did not rate an item has no row for it). The small-group rule
      applies, so ratings of a left-out small group count only in ``"(all annotators)"``.
    """
    r = _to_matrix(ratings, item=item, annotator=annotator, label=label)
    if groups is None and by is not None:
        raise ValueError(f"groups: by={by!r} given without groups")
    lab_cols = pd.Index(list(r.labels), name=label)

    def table(mask: np.ndarray) -> pd.DataFrame:
        counts = np.zeros((r.n_items, r.n_labels))
        np.add.at(counts, (r.item[mask], r.code[mask]), 1.0)
        n = counts.sum(1)
        rated = n > 0
        out = pd.DataFrame(counts[rated] / n[rated, None], index=r.items[rated], columns=lab_cols)
        out.insert(0, "n_ratings", n[rated].astype(np.int64))
        return out

    everything = np.ones(r.n_ratings, dtype=bool)
    if groups is None:
        return table(everything).rename_axis(item)
    member = _membership(r, groups, by, annotator, min_annotators, small_groups)
    rating_group = member.group[r.annotator]
    names = [ALL_ANNOTATORS, *member.names]
    parts = [table(everything)] + [table(rating_group == name) for name in member.names]
    out = pd.concat(parts, keys=names, names=[by or "group", item]).swaplevel(0, 1)
    # item order as in the ratings, the groups in the order above within each item
    item_pos = pd.Index(r.items).get_indexer(out.index.get_level_values(0))
    group_pos = pd.Index(names).get_indexer(out.index.get_level_values(1))
    return out.iloc[np.lexsort((group_pos, item_pos))]


# ---------------------------------------------------------------------------
# juries
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class JuryResult:
    """Outcome of :func:`jury`; ``str(result)`` is :attr:`sentence`.

    Attributes
    ----------
    composition:
        Jurors drawn per group.
    share_differs:
        Share of the items whose jury majority differs from the majority of all the item's
        raters, averaged over the resamples.
    low, high:
        Percentile interval of that share over the resamples (the variability of drawing
        juries, items held fixed).
    ci:
        Coverage of the interval.
    n_items:
        Items compared.
    n_skipped:
        Items left out because they lack enough raters of some group of the composition.
    n_tied:
        Items left out because the majority of all their raters is tied (nothing to compare with).
    n_resamples:
        Juries drawn per item.
    per_item:
        One row per compared item: ``majority`` (of all raters) and ``share_differs`` (share
        of the item's juries whose majority differs).
    sentence:
        The finding in words.
    """

    composition: dict[str, int]
    share_differs: float
    low: float
    high: float
    ci: float
    n_items: int
    n_skipped: int
    n_tied: int
    n_resamples: int
    per_item: pd.DataFrame = field(repr=False)
    sentence: str = ""

    def __str__(self) -> str:
        return self.sentence


def jury(
    ratings: Any,
    groups: Any,
    by: str = "gender",
    composition: Mapping[Any, int] | None = None,
    *,
    n_resamples: int = 200,
    ci: float = 0.95,
    seed: int | None = 0,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
) -> JuryResult:
    """Would a jury of a given make-up reach the verdict that all the raters reach?

    For every item, ``n_resamples`` juries are drawn from that item's raters: from each group
    of ``composition`` the given number of its raters, without replacement. The jury's
    verdict is its majority label; a tie is broken uniformly at random among the tied labels
    (with ``seed``). It is compared with the majority label of *all* the item's raters (of
    every group, grouped or not). Items whose overall majority is tied are left out
    (``n_tied``), as are items lacking enough raters of a group (``n_skipped``).

    Parameters
    ----------
    composition:
        Group -> number of jurors, e.g. ``{"women": 6, "men": 6}`` (group values of ``by``
        as text; ``"(not given)"`` is allowed). Required.
    n_resamples, ci, seed:
        Juries per item, coverage of the percentile interval over resamples, random seed.

    Returns
    -------
    JuryResult
        ``share_differs`` (mean over resamples of the share of items whose jury disagrees
        with all raters), its interval over resamples, counts and a per-item table.

    The small-group rule does not apply here: no figure per group is shown.
    """
    if not composition:
        raise ValueError("composition: give the number of jurors per group, e.g. {'women': 6, 'men': 6}")
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 2:
        raise ValueError(f"n_resamples: must be an integer >= 2, got {n_resamples!r}")
    if not 0 < ci < 1:
        raise ValueError(f"ci: must be in (0, 1), got {ci}")
    comp: dict[str, int] = {}
    for key, n in composition.items():
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise ValueError(
                f"composition: the number of jurors for {key!r} must be an integer >= 0, got {n!r}"
            )
        text = group_key(key)
        comp[NOT_GIVEN if text is None else text] = int(n)
    comp = {k: n for k, n in comp.items() if n > 0}
    if not comp:
        raise ValueError("composition: every group has 0 jurors")
    r = _to_matrix(ratings, item=item, annotator=annotator, label=label)
    raw = _raw_groups(r, groups, by, annotator)
    unknown = [k for k in comp if k not in set(raw)]
    if unknown:
        raise ValueError(
            f"composition: no annotator belongs to group(s) {unknown!r} of {by!r}; groups: {_order(list(set(raw)))}"
        )
    maj, tie, n_votes = _majority_codes(r)
    rating_group = raw[r.annotator]
    ptr = np.concatenate(([0], np.cumsum(r.ratings_per_item())))
    rng = np.random.default_rng(seed)
    V, R = r.n_labels, n_resamples
    rows: list[int] = []
    differs: list[np.ndarray] = []
    n_skipped = n_tied = 0
    for i in range(r.n_items):
        if n_votes[i] == 0:
            continue
        codes, grp = r.code[ptr[i] : ptr[i + 1]], rating_group[ptr[i] : ptr[i + 1]]
        pools = [codes[grp == g] for g in comp]
        if any(p.size < comp[g] for p, g in zip(pools, comp, strict=True)):
            n_skipped += 1
            continue
        if tie[i]:
            n_tied += 1
            continue
        # each row of the argsort is a fresh random order of the group's raters: its first
        # n entries are a draw without replacement
        drawn = np.concatenate(
            [
                p[np.argsort(rng.random((R, p.size)), axis=1)[:, :n]]
                for p, n in zip(pools, comp.values(), strict=True)
            ],
            axis=1,
        )
        votes = np.zeros((R, V))
        np.add.at(votes, (np.repeat(np.arange(R), drawn.shape[1]), drawn.ravel()), 1.0)
        # counts are whole numbers, so noise in [0, 1) only reorders tied labels, uniformly
        verdict = np.argmax(votes + rng.random((R, V)), axis=1)
        rows.append(i)
        differs.append(verdict != maj[i])
    if not rows:
        raise ValueError(
            f"composition: no item can seat the jury {comp} ({n_skipped} item(s) lack raters, {n_tied} tied)"
        )
    D = np.array(differs, dtype=float)  # items x resamples
    per_resample = D.mean(0)
    low, high = np.percentile(per_resample, [50 * (1 - ci), 50 * (1 + ci)])
    idx = np.array(rows)
    per_item = pd.DataFrame(
        {
            item: np.asarray(r.items)[idx],
            "majority": np.asarray(r.labels, dtype=object)[maj[idx]],
            "share_differs": D.mean(1),
        }
    )
    share = float(per_resample.mean())
    made_of = " + ".join(f"{n} {g!r}" for g, n in comp.items())
    sentence = (
        f"juries of {made_of} (by {by!r}) drawn {R} times per item from its raters: on average "
        f"{share:.1%} of {len(rows)} item(s) get a jury majority that differs from the majority of all "
        f"their raters ({ci:.0%} interval over resamples {low:.1%} to {high:.1%}); jury ties broken at random; "
        f"{n_skipped} item(s) skipped for lack of raters, {n_tied} with a tied overall majority left out"
    )
    return JuryResult(
        composition=comp,
        share_differs=share,
        low=float(low),
        high=float(high),
        ci=ci,
        n_items=len(rows),
        n_skipped=n_skipped,
        n_tied=n_tied,
        n_resamples=R,
        per_item=per_item,
        sentence=sentence,
    )
