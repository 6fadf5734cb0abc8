"""Choose the confidence threshold with a finite-sample guarantee, and watch it with audits.

`calibrate` picks the lowest threshold (the most auto-acceptance) whose error among the
auto-accepted items is at most ``alpha`` with probability at least ``1 - delta``:

    P( error among items with confidence >= threshold  >  alpha )  <=  delta

over the draw of the reviewed sample. The method is Learn-then-Test (Angelopoulos, Bates,
Candes, Jordan & Lei, 2021) with fixed-sequence testing:

1. a grid of thresholds is fixed *before* the reviewed labels are looked at, in
   descending order (see "The grid" below);
2. for each threshold t the null hypothesis "error among items with confidence >= t is
   above alpha" gets the exact binomial p-value ``P(Binomial(n_t, alpha) <= k_t)``, where
   n_t reviewed items have confidence >= t and k_t of them were wrong. Given n_t, those
   items are an i.i.d. sample of the items above t, so the p-value is exact;
3. the thresholds are tested in order, each at level delta, and testing stops at the first
   one that is not rejected; the answer is the last rejected one. Fixed-sequence testing
   controls the family-wise error at delta, so the answer violates alpha with probability
   at most delta.

The grid. A threshold that too few reviewed items pass can never be rejected, and a
fixed sequence that starts there stops at once, so the grid is built from confidences
that are *independent of the tested sample*, in steps of coverage (share accepted):

* ``population=`` the confidences of the items the threshold will be applied to
  (unlabelled: the batch being routed). Under the guarantee's own assumption (reviewed
  and routed items exchangeable) they carry no information about the reviewed labels.
  From a store, the routed items' confidences are used.
* otherwise a random ``tune`` share (default 10%) of the reviewed items is set aside:
  their confidences (not their labels) place the grid, and only the other reviewed items
  are tested.

The grid then runs from the coverage where about ``start`` reviewed items would be
accepted (default: 10% of the tested items, but at least 2 and at most 5 times m0, the
least number of error-free items that can pass) down in steps of ``step`` (default 1/n
of coverage: one reviewed item per step) to coverage 1.

Only items reviewed as a *random sample* (audits, a random draw) can calibrate: the
items a router sent to a person because they looked doubtful are not a sample of what it
accepts. So `calibrate` asks which rows were drawn at random (``sample=``), and from a
store it uses the audited items, which are a random sample of what the router accepted:
thresholds calibrated from audits apply on top of the current routing. The guarantee
holds for exchangeable data (the reviewed sample and the routed items drawn from the same
distribution); drift between them voids it, which is what `audit_estimate` keeps watching.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..store import Store, using_store

METHOD = "Learn-then-Test"


def _short(x: float) -> str:
    """A number as printed for people: 4 significant digits (0.6879523992538452 -> 0.688);
    the values themselves keep full precision."""
    return f"{float(x):.4g}"


class InsufficientSampleError(ValueError):
    """The reviewed sample cannot support any threshold; `needed` says how many would."""

    def __init__(
        self,
        message: str,
        *,
        n: int,
        needed: int | None,
        needed_zero_errors: int | None,
        label: str | None = None,
    ) -> None:
        super().__init__(message)
        self.n = n
        self.needed = needed
        self.needed_zero_errors = needed_zero_errors
        self.label = label


# -- statistics -------------------------------------------------------------------
def binomial_pvalues(errors: np.ndarray, n: np.ndarray, alpha: float) -> np.ndarray:
    """Exact p-values of H0 "error rate > alpha": P(Binomial(n, alpha) <= errors); 1 if n=0."""
    errors = np.asarray(errors)
    n = np.asarray(n)
    p = stats.binom.cdf(errors, np.maximum(n, 1), alpha)
    return np.where(n > 0, p, 1.0)


def min_accepted_to_pass(alpha: float, delta: float, error_rate: float = 0.0) -> int | None:
    """The least number m of accepted items whose errors, at `error_rate`, pass the test:
    P(Binomial(m, alpha) <= floor(error_rate * m)) <= delta. None if no m can."""
    if error_rate >= alpha:
        return None
    m0 = max(1, math.ceil(math.log(delta) / math.log1p(-alpha)))
    if error_rate <= 0:
        return m0
    lo = m0
    hi = m0
    while stats.binom.cdf(math.floor(error_rate * hi + 1e-9), hi, alpha) > delta:
        lo, hi = hi, hi * 2
        if hi > 10**9:
            return None
    # the cdf is not monotone in m (floor), so scan the last doubling interval
    ms = np.arange(lo, hi + 1)
    ok = stats.binom.cdf(np.floor(error_rate * ms + 1e-9), ms, alpha) <= delta
    return int(ms[np.argmax(ok)])


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided exact (Clopper-Pearson) interval for a binomial proportion."""
    if n <= 0:
        return (0.0, 1.0)
    a = 1.0 - confidence
    lo = 0.0 if k <= 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k >= n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return (lo, hi)


def clopper_pearson_upper(k: np.ndarray, n: np.ndarray, delta: float) -> np.ndarray:
    """One-sided upper (1 - delta) Clopper-Pearson bounds, vectorised (1 where n = 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        hi = stats.beta.ppf(1 - delta, k + 1, np.maximum(n - k, 1e-12))
    return np.where((n <= 0) | (k >= n), 1.0, hi)


def risk_curve(
    confidence: np.ndarray, wrong: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(accepted, errors) counts for each threshold: items with confidence >= t."""
    order = np.argsort(-confidence, kind="stable")
    s = confidence[order]
    cum_err = np.concatenate([[0], np.cumsum(wrong[order])])
    # number of items with s >= t: s is descending, so count = searchsorted on -s
    n_acc = np.searchsorted(-s, -np.asarray(thresholds), side="right")
    return n_acc, cum_err[n_acc]


def default_start(n: int, alpha: float, delta: float) -> int:
    """Reviewed items above the first threshold of the built grid: about 10% of the
    sample, but at least twice and at most five times the least count that can pass
    (m0). Fewer makes the first tests fragile (one early error stops the sequence), more
    can start past the thresholds that hold."""
    m0 = min_accepted_to_pass(alpha, delta) or 1
    return int(max(2 * m0, min(5 * m0, round(0.1 * n))))


def coverage_grid(
    reference: np.ndarray,
    n: int,
    alpha: float,
    delta: float,
    *,
    start: int | None = None,
    step: float | None = None,
) -> np.ndarray:
    """Descending thresholds: quantiles of `reference` from the coverage where about
    `start` of `n` reviewed items pass, in coverage steps of `step`, down to coverage 1."""
    ref = np.sort(np.asarray(reference, dtype=float))[::-1]
    if ref.size == 0:
        raise ValueError("no confidences to build the threshold grid from")
    start = default_start(n, alpha, delta) if start is None else int(start)
    step = 1.0 / max(n, 1) if step is None else float(step)
    c0 = min(1.0, start / max(n, 1))
    covs = np.arange(c0, 1.0 + 1e-12, step)
    if covs.size == 0 or covs[-1] < 1.0 - 1e-12:
        covs = np.append(covs, 1.0)
    idx = np.clip(np.ceil(covs * ref.size).astype(int) - 1, 0, ref.size - 1)
    grid = ref[idx]
    # descending, unique (ties in the reference collapse steps)
    _, first = np.unique(-grid, return_index=True)
    return grid[np.sort(first)]


@dataclass
class FixedSequence:
    """One Learn-then-Test run: the grid, its counts and p-values, and where it stopped."""

    grid: np.ndarray
    accepted: np.ndarray
    errors: np.ndarray
    p_values: np.ndarray
    n: int
    alpha: float
    delta: float
    chosen: int | None  # index into grid of the lowest rejected threshold, None if none

    @property
    def threshold(self) -> float | None:
        return None if self.chosen is None else float(self.grid[self.chosen])

    def __repr__(self) -> str:
        # the grid's thresholds are raw confidences (0.6879523992538452): print 4 digits
        t = self.threshold
        return (
            f"FixedSequence(threshold={'None' if t is None else _short(t)}, "
            f"tested={len(self.grid)}, rejected={0 if self.chosen is None else self.chosen + 1}, "
            f"n={self.n}, alpha={_short(self.alpha)}, delta={_short(self.delta)})"
        )


def fixed_sequence_test(
    confidence: np.ndarray, wrong: np.ndarray, grid: np.ndarray, alpha: float, delta: float
) -> FixedSequence:
    """Test the descending `grid` in order at level delta; stop at the first non-rejection."""
    grid = np.asarray(grid, dtype=float)
    acc, err = risk_curve(np.asarray(confidence, float), np.asarray(wrong, int), grid)
    p = binomial_pvalues(err, acc, alpha)
    fail = np.flatnonzero(p > delta)
    last = (fail[0] if fail.size else len(grid)) - 1
    return FixedSequence(grid, acc, err, p, len(confidence), alpha, delta, None if last < 0 else int(last))


def naive_threshold(confidence: np.ndarray, wrong: np.ndarray, alpha: float) -> float | None:
    """The empirical threshold: the largest coverage whose empirical error is <= alpha
    (no guarantee: it violates alpha about half the time). None if even the top item fails."""
    confidence = np.asarray(confidence, float)
    order = np.argsort(-confidence, kind="stable")
    s = confidence[order]
    cum = np.cumsum(np.asarray(wrong, float)[order])
    m = np.arange(1, len(s) + 1)
    # only cut between distinct confidences: a threshold accepts all ties
    last_of_tie = np.append(s[1:] != s[:-1], True)
    ok = (cum / m <= alpha) & last_of_tie
    if not ok.any():
        return None
    return float(s[np.flatnonzero(ok)[-1]])


# -- inputs -------------------------------------------------------------------------
_CONF_NAMES = ("confidence", "model_confidence")
_PRED_NAMES = ("pred", "model_label")
_LABEL_NAMES = ("label", "human_label")


def _pick(df: pd.DataFrame, given: Hashable | None, defaults: Sequence[str], argument: str) -> Hashable:
    if given is not None and given in df.columns:
        return given
    if given is not None and given not in defaults:
        cols = ", ".join(map(repr, list(df.columns)[:20]))
        raise ValueError(f"{argument}={given!r}: no such column (columns: {cols})")
    for name in defaults:
        if name in df.columns:
            return name
    cols = ", ".join(map(repr, list(df.columns)[:20]))
    raise ValueError(
        f"{argument}: no column {' or '.join(map(repr, defaults))} in the reviewed items "
        f"(columns: {cols}); name it with {argument}="
    )


_SAMPLE_CHOICES = (
    "'random' (or True) when every row was drawn at random, the name of a column that is "
    "True (or 'random' / 'audit') on the rows drawn at random, or a boolean mask with one "
    "value per row"
)
_AUDIT_CHOICES = (
    "'random' (or True) when every row is an audit of the auto-accepted items, the name of "
    "a column that is True (or 'audit' / 'random') on the audited rows, or a boolean mask "
    "with one value per row"
)


def _truthy(vals: Any) -> np.ndarray:
    """True where a marker value says "drawn at random": True, 1 (1.0), or the text
    'random' / 'audit' / 'true'. Anything else (False, 0, missing, 'routed') is False."""

    def yes(v: Any) -> bool:
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, float, np.integer, np.floating)):
            return v == 1
        return isinstance(v, str) and v.strip().lower() in ("random", "audit", "true")

    return np.fromiter((yes(v) for v in vals), bool, len(vals))


def _marked_rows(
    df: pd.DataFrame, marker: Any, defaults: Sequence[str], argument: str, choices: str, refusal: str
) -> tuple[np.ndarray, str]:
    """The rows `marker` (``argument=``) marks as drawn at random, and how we know.

    `marker` is 'random' / True (every row), a column name, or a mask; None looks for
    the `defaults` columns and raises `refusal` when there is none."""
    if (isinstance(marker, str) and marker == "random") or marker is True:
        return np.ones(len(df), bool), f"every row ({argument}={marker!r})"
    col = marker
    if col is None:
        col = next((name for name in defaults if name in df.columns), None)
        if col is None:
            raise ValueError(refusal)
    if isinstance(col, (np.ndarray, pd.Series, list)):
        arr = np.asarray(col)
        if arr.shape != (len(df),):
            raise ValueError(
                f"{argument}: expected a mask of {len(df)} values, got shape "
                f"{arr.shape}; {argument} accepts {choices}"
            )
        return _truthy(arr), "the given mask"
    try:
        found = col in df.columns
    except TypeError:  # unhashable
        found = False
    if not found:
        cols = ", ".join(map(repr, list(df.columns)[:20]))
        raise ValueError(
            f"{argument}={col!r} is neither 'random' nor a column of the reviewed items "
            f"(columns: {cols}); {argument} accepts {choices}"
        )
    return _truthy(df[col].to_numpy(dtype=object)), f"column {col!r}"


def _sample_mask(df: pd.DataFrame, sample: Any) -> tuple[np.ndarray, str]:
    """Which reviewed rows were drawn at random, and how we know."""
    return _marked_rows(
        df,
        sample,
        ("sample", "audit"),
        "sample",
        _SAMPLE_CHOICES,
        "calibrate needs items reviewed as a random sample (an audit or a random draw): "
        "items sent to a person because they looked doubtful are not a sample of what "
        "would be accepted. Pass sample='random' if every row was drawn at random, or "
        "sample=<column> naming a column that is True (or 'random') on such rows "
        "(a 'sample' or 'audit' column is used when present).",
    )


# -- labels: the model's and the person's, compared on equal terms ---------------------------
def _label_kind(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return "number"
    return "text" if isinstance(v, str) else "other"


def _number_text(v: Any) -> str:
    """A number as canonical text: an integer value as an integer (1.0 -> '1')."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return str(int(v))
    f = float(v)
    return str(int(f)) if math.isfinite(f) and f.is_integer() else repr(f)


def _label_texts(values: np.ndarray, missing: np.ndarray, as_number: bool) -> np.ndarray:
    """Canonical text per label (None where missing); `as_number` parses text as numbers
    (the other side holds numbers) and raises ValueError on text that is not one."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        if missing[i]:
            out[i] = None
        elif isinstance(v, (bool, np.bool_)):
            out[i] = ("1" if v else "0") if as_number else str(bool(v))
        elif isinstance(v, (int, float, np.integer, np.floating)):
            out[i] = _number_text(v)
        elif isinstance(v, str) and as_number:
            out[i] = _number_text(float(v.strip()))  # ValueError: not a number
        else:
            out[i] = str(v)
    return out


def _compare_labels(
    pred: pd.Series, human: pd.Series, p_col: Hashable, l_col: Hashable
) -> tuple[np.ndarray, np.ndarray]:
    """(model labels as canonical text, wrong per row) for the model's and the person's
    labels.

    Both sides are normalised the same way, so that a float label 1.0 equals the integer
    1 and the text '1' (``str()`` on each side would compare '1.0' with '1' and count a
    right answer as wrong). A missing label on either side counts as wrong (a flagged
    item). Raises ValueError naming the columns when their labels cannot be matched:
    numbers against text that is not a number, or values of different kinds with not one
    in common (a mix-up of columns or encodings, not a model that is always wrong)."""
    pv, hv = pred.to_numpy(dtype=object), human.to_numpy(dtype=object)
    p_miss, h_miss = pred.isna().to_numpy(), human.isna().to_numpy()
    p_kinds = {_label_kind(v) for v, m in zip(pv, p_miss, strict=True) if not m}
    h_kinds = {_label_kind(v) for v, m in zip(hv, h_miss, strict=True) if not m}
    numeric = {"number", "bool", "text"}
    # against numbers, text is read as numbers and True/False as 1/0
    p_num = bool(p_kinds) and p_kinds <= numeric and "number" in h_kinds
    h_num = bool(h_kinds) and h_kinds <= numeric and "number" in p_kinds
    texts = []
    for values, missing, as_number, col, other in (
        (pv, p_miss, p_num, p_col, l_col),
        (hv, h_miss, h_num, l_col, p_col),
    ):
        try:
            texts.append(_label_texts(values, missing, as_number))
        except ValueError:
            bad = next(
                v
                for v, m in zip(values, missing, strict=True)
                if not m and isinstance(v, str) and not _is_number_text(v)
            )
            raise ValueError(
                f"labels cannot be matched: {col!r} holds text such as {bad!r} while "
                f"{other!r} holds numbers; map one column onto the other's labels first"
            ) from None
    p_txt, h_txt = texts
    p_set = {t for t in p_txt if t is not None}
    h_set = {t for t in h_txt if t is not None}
    same_kind = p_kinds == h_kinds or (p_num or h_num)
    if p_set and h_set and not (p_set & h_set) and not same_kind:
        raise ValueError(
            f"labels cannot be matched: {p_col!r} holds {'/'.join(sorted(p_kinds))} values "
            f"such as {sorted(p_set)[:3]!r} and {l_col!r} holds "
            f"{'/'.join(sorted(h_kinds))} values such as {sorted(h_set)[:3]!r}, with none "
            "in common; map one column onto the other's labels first"
        )
    wrong = (
        p_miss | h_miss | np.fromiter((a != b for a, b in zip(p_txt, h_txt, strict=True)), bool, len(p_txt))
    )
    return p_txt, wrong


def _is_number_text(v: str) -> bool:
    try:
        float(v.strip())
    except ValueError:
        return False
    return True


@dataclass
class _Reviewed:
    confidence: np.ndarray
    pred: np.ndarray
    wrong: np.ndarray
    n_total: int  # rows before keeping the random sample
    source: str
    population: np.ndarray | None  # confidences of the routed items, when known
    population_pred: np.ndarray | None
    floor: dict[str, float] = field(default_factory=dict)  # current thresholds (store)


def _read_store(data: Any, task: Any) -> Any:
    """`_from_store` on a Store, or on a path opened read-only for the call."""
    with using_store(data, create=False) as st:
        return _from_store(st, task)


def _from_store(store: Store, task: str | None) -> _Reviewed:
    from .router import routed

    r = routed(store, task)
    if not len(r):
        raise ValueError(
            f"no route events{'' if task is None else f' in task {task!r}'} in store "
            f"{store.target!r}: route items with Router.route(..., store=) first, or pass a "
            "frame of reviewed items with sample='random'"
        )
    d = store.decisions(task)
    # an audit's answer: the label confirmed or corrected, a flag (no label: an error), and
    # for an agent's tool calls (model label "approve") a reject, an edit or an answer
    d = d[d["status"].isin(["accepted", "corrected", "flagged", "rejected", "edited", "answered"])]
    d = d.sort_values("decided_at").drop_duplicates(["task", "item_id"], keep="last")
    eligible = r[r["auto"] | r["audit"]]
    audited = r[r["audit"]].merge(d[["task", "item_id", "human_label"]], on=["task", "item_id"], how="inner")
    conf = audited["model_confidence"].to_numpy(dtype=float)
    pred, wrong = _compare_labels(
        audited["model_label"], audited["human_label"], "model_label", "human_label"
    )
    floor: dict[str, float] = {}
    for s in r["settings"]:
        thresholds = s.get("thresholds") if isinstance(s, dict) else None
        if isinstance(thresholds, dict):  # (an agent gate's may be one number for every tool)
            for lab, t in thresholds.items():
                floor[lab] = max(floor.get(lab, 0.0), float(t))
    return _Reviewed(
        conf,
        pred.astype(str),
        wrong.astype(int),
        int(r["audit"].sum()),
        f"{len(audited):,} audited items of task {task!r}",
        eligible["model_confidence"].to_numpy(dtype=float),
        eligible["model_label"].astype(str).to_numpy(),
        floor,
    )


def _from_frame(
    df: pd.DataFrame, confidence: Hashable | None, pred: Hashable | None, label: Hashable | None, sample: Any
) -> _Reviewed:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"calibrate takes a DataFrame of reviewed items or a Store, got {type(df).__name__}")
    c_col = _pick(df, confidence, _CONF_NAMES, "confidence")
    p_col = _pick(df, pred, _PRED_NAMES, "pred")
    l_col = _pick(df, label, _LABEL_NAMES, "label")
    mask, what = _sample_mask(df, sample)
    sub = df[mask]
    conf = pd.to_numeric(sub[c_col], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(conf) | (conf < 0) | (conf > 1)
    if bad.any():
        raise ValueError(
            f"confidence={c_col!r}: values missing or outside [0, 1] in rows {list(sub.index[bad][:5])!r}"
        )
    if sub[p_col].isna().any():
        raise ValueError(
            f"pred={p_col!r}: missing model labels in rows "
            f"{list(sub.index[sub[p_col].isna().to_numpy()][:5])!r}"
        )
    # a random item a person flagged or left without a label counts as an error (conservative)
    predv, wrong = _compare_labels(sub[p_col], sub[l_col], p_col, l_col)
    return _Reviewed(
        conf, predv.astype(str), wrong.astype(int), len(df), f"{len(sub):,} random rows ({what})", None, None
    )


# -- result ---------------------------------------------------------------------------
def _fmt_pct(x: float) -> str:
    v = 100 * x
    if v == 0 or v >= 10 or abs(v - round(v)) < 1e-9:
        return f"{v:.0f}%"
    return f"{v:.1f}%"


def _fmt_thr(t: float) -> str:
    s = f"{t:.2f}"
    return s if abs(float(s) - t) < 5e-4 else f"{t:.3f}"


@dataclass
class CalibrationResult:
    """A threshold (or one per label) with its guarantee.

    ``threshold`` is the global threshold (None when per label); ``thresholds`` maps each
    label to its threshold (None: that label could not be certified, review it always).
    ``coverage`` is the share of items auto-accepted (of the population when given, else
    of the reviewed sample), ``error`` the observed error among reviewed items above the
    threshold. ``curve`` holds every tested threshold (for `risk_coverage`).
    """

    alpha: float
    delta: float
    threshold: float | None
    thresholds: dict[str, float | None]
    coverage: float
    error: float
    n: int  # reviewed items tested
    n_tune: int  # reviewed items set aside to place the grid
    per_label: bool
    curve: pd.DataFrame
    naive_threshold: float | None
    source: str
    grid_from: str
    runs: dict[str, FixedSequence] = field(repr=False, default_factory=dict)
    items: pd.DataFrame | None = field(repr=False, default=None)  # the random reviewed items
    #: with ``sample="propensity"``: every routed item counted (reviewed or not); else None
    routed: int | None = None
    #: with ``sample="propensity"``: how the reviews were counted, in words
    weighting: str | None = None

    @property
    def sentence(self) -> str:
        n_txt = f"{self.n + self.n_tune:,} reviewed items"
        how = f"{METHOD}, {n_txt}"
        if self.routed is not None:
            how = f"{METHOD} with review probabilities: {n_txt} of {self.routed:,} routed, {self.weighting}"
        if self.per_label:
            parts = [f"{lab} >= {_fmt_thr(t)}" for lab, t in self.thresholds.items() if t is not None]
            never = [lab for lab, t in self.thresholds.items() if t is None]
            s = (
                f"Items whose confidence reaches the threshold of their label ({', '.join(parts)}) "
                f"({_fmt_pct(self.coverage)} of items) are auto-accepted"
            )
            if never:
                s += f"; {', '.join(map(repr, never))} always go to a person"
            return (
                s + f"; their error is at most {_fmt_pct(self.alpha)} for every label with "
                f"probability at least {_fmt_pct(1 - self.delta)} ({how})."
            )
        return (
            f"Items with confidence >= {_fmt_thr(self.threshold or 0.0)} "
            f"({_fmt_pct(self.coverage)} of items) are auto-accepted; their error is at most "
            f"{_fmt_pct(self.alpha)} with probability at least {_fmt_pct(1 - self.delta)} "
            f"({how})."
        )

    def __str__(self) -> str:
        return self.sentence

    def __repr__(self) -> str:
        return f"CalibrationResult({self.sentence!r})"

    def router(self, labels: Sequence[Any] | None = None, **kwargs: Any):
        """A `Router` with these thresholds (labels never certified are always reviewed)."""
        from .router import Router

        labels = list(labels) if labels is not None else list(self.thresholds)
        if self.per_label:
            thr = {lab: t for lab, t in self.thresholds.items() if t is not None and lab in labels}
            never = [lab for lab in labels if self.thresholds.get(lab) is None]
            always = list(dict.fromkeys(list(kwargs.pop("always_review", [])) + never))
            return Router(labels, thresholds=thr, always_review=always, **kwargs)
        return Router(labels, thresholds=self.threshold, **kwargs)


def _top(share: float) -> str:
    return "all of them" if share >= 0.999 else f"the most confident {_fmt_pct(share)} of them"


def _refusal(
    conf: np.ndarray,
    wrong: np.ndarray,
    alpha: float,
    delta: float,
    start: int,
    tune: float,
    label: str | None = None,
    n_reviewed: int | None = None,
) -> InsufficientSampleError:
    """Why no threshold passed, and how many reviewed items would be needed.

    The least evidence that passes is m0 items above the threshold with no error; at the
    error rate r observed among the most confident reviewed items it is the smallest m with
    P(Binomial(m, alpha) <= r m) <= delta. Those m items must be the same top share of a
    larger sample, and the procedure also needs `start` items above its first threshold
    (and sets a `tune` share aside), which gives the number of reviewed items needed."""
    where = "" if label is None else f" for label {label!r}"
    n = len(conf)
    m0 = min_accepted_to_pass(alpha, delta) or 1
    keep = 1.0 - tune
    need0 = math.ceil(max(m0, start) / keep)
    n_rev = n if n_reviewed is None else n_reviewed
    tested = "" if n_rev == n else f" ({n:,} tested, {n_rev - n:,} set aside to place the grid)"
    head = (
        f"cannot certify any threshold{where} from {n_rev:,} reviewed items{tested} at "
        f"alpha={alpha:g}, delta={delta:g}. "
    )
    zero = (
        f"The least evidence that passes is {m0} items above the threshold with no error "
        f"among them: even with no error at all, at least {need0:,} reviewed items are needed"
    )
    if tune > 0:
        zero += f" ({need0 - math.ceil(max(m0, start)):,} of them set aside to place the grid)"
    best = None  # (needed reviewed items, accepted needed, top share, rate)
    if n:
        order = np.argsort(-conf, kind="stable")
        cum = np.cumsum(wrong[order])
        lo_m = min(10, n)
        cands = np.unique(np.round(np.geomspace(lo_m, n, 40)).astype(int)) if n > lo_m else [n]
        for m in cands:
            m = int(m)
            r = cum[m - 1] / m
            need_acc = min_accepted_to_pass(alpha, delta, r)
            if need_acc is None:
                continue
            share = m / n
            total = math.ceil(max(need_acc, start) / share / keep)
            if best is None or total < best[0]:
                best = (total, max(need_acc, start), share, r)
    if best is None:
        rate = float(np.mean(wrong)) if n else float("nan")
        top = wrong[np.argsort(-conf, kind="stable")][: min(10, n)]
        msg = (
            head + f"The error among the most confident reviewed items is "
            f"{_fmt_pct(float(np.mean(top)) if n else rate)} (top {min(10, n)}), not below "
            f"alpha, so at this error no sample size can certify a threshold. " + zero + "."
        )
        return InsufficientSampleError(msg, n=n_rev, needed=None, needed_zero_errors=need0, label=label)
    total, acc, share, r = best
    needed = max(total, need0)
    if r == 0 and needed <= need0:
        msg = head + zero + "."
        return InsufficientSampleError(msg, n=n_rev, needed=need0, needed_zero_errors=need0, label=label)
    if needed <= n_rev:
        msg = (
            head
            + f"The error among {_top(share)} ({_fmt_pct(r)}) is close enough to alpha that the test failed on this sample "
            f"although {needed:,} items could suffice at exactly that error; review more items "
            f"(about {2 * n_rev:,}) or raise alpha. " + zero + "."
        )
        return InsufficientSampleError(msg, n=n_rev, needed=2 * n_rev, needed_zero_errors=need0, label=label)
    msg = (
        head
        + f"At the error observed among {_top(share)} ({_fmt_pct(r)}), about {needed:,} reviewed items are needed (about {acc:,} of them above "
        f"the threshold). " + zero + "."
    )
    return InsufficientSampleError(msg, n=n_rev, needed=needed, needed_zero_errors=need0, label=label)


def calibrate(
    data: pd.DataFrame | Store | str,
    *,
    alpha: float = 0.05,
    delta: float = 0.1,
    per_label: bool = False,
    confidence: Hashable | None = None,
    pred: Hashable | None = None,
    label: Hashable | None = None,
    sample: Any = None,
    population: Any = None,
    grid: Any = None,
    tune: float | None = None,
    start: int | None = None,
    step: float | None = None,
    task: str | None = "routing",
    seed: int = 0,
    propensity: Hashable | None = None,
) -> CalibrationResult:
    """Choose the confidence threshold whose auto-accepted error is <= alpha w.p. >= 1 - delta.

    Parameters
    ----------
    data:
        Reviewed items: a DataFrame with the model's confidence (``confidence`` or
        ``model_confidence``), its label (``pred`` or ``model_label``) and the person's
        label (``label`` or ``human_label``), e.g. ``store.decisions()``; or a `Store`
        (or its path), whose audited items of `task` are used.
    alpha, delta:
        Target error among the auto-accepted, and the allowed chance of missing it.
    per_label:
        One threshold per predicted label (each tested at delta / labels, so that all hold
        together with probability >= 1 - delta).
    sample:
        Which rows were reviewed as a random sample: ``"random"`` (all of them), a column
        name (True or "random" on such rows) or a boolean mask. Default: a ``sample`` or
        ``audit`` column; without one, a ValueError. Other rows are not used.

        ``"propensity"``: every routed item counts, each reviewed one weighted by the
        inverse of its known review probability (a router with ``review_budget=``, or any
        router whose every item had a probability above zero), tested with an
        anytime-valid betting bound (`hitl_widgets.routing.weighted`). The frame then
        holds *every routed item in route order*, reviewed or not, with its probability
        (``propensity=``, default column ``review_probability``) and ``route`` ("review"
        on the items sent to a person; without it, a row is reviewed when it has a
        label). From a store the default is ``"propensity"`` when the router was
        randomised (its settings have a review budget), else the audits (``"audits"``).
    population:
        Confidences of the items the threshold will be applied to (unlabelled): they place
        the grid. Without it a ``tune`` share of the random rows is set aside for that
        (default 0.1; with ``sample="propensity"`` none for the exact test, whose grid
        starts where about `default_start` reviewed items pass, and 0.2 of the routed
        items for the betting one, whose reviews choose where its grid starts).
    grid:
        Explicit thresholds to test (in descending order); overrides the built grid.
    start, step:
        The built grid starts where about `start` reviewed items pass and moves down in
        coverage steps of `step` (default: see `default_start`, and 1/n).
    propensity:
        With ``sample="propensity"``: the column of review probabilities.

    Raises `InsufficientSampleError` (a ValueError) when no threshold can be certified,
    with the number of reviewed items that would be needed.
    """
    _check_levels(alpha, delta, 0.0 if tune is None else tune)
    alpha, delta = float(alpha), float(delta)
    from_store = isinstance(data, (Store, str)) and not isinstance(data, pd.DataFrame)
    if from_store and sample is None:
        sample = _store_default_sample(data, task)
    if isinstance(sample, str) and sample == "propensity":
        from .weighted import calibrate_weighted

        return calibrate_weighted(
            data,
            alpha=alpha,
            delta=delta,
            per_label=per_label,
            confidence=confidence,
            pred=pred,
            label=label,
            propensity=propensity,
            grid=grid,
            tune=tune,
            step=step,
            task=task,
            seed=seed,
        )
    if from_store and isinstance(sample, str) and sample == "audits":
        sample = None
    tune = 0.1 if tune is None else tune
    if from_store:
        if sample is not None:
            raise ValueError(
                f"sample={sample!r}: from a store, calibrate uses the router's audits "
                "(sample='audits') or every review weighted by its review probability "
                "(sample='propensity')"
            )
        rev = _read_store(data, task)
    else:
        rev = _from_frame(data, confidence, pred, label, sample)  # type: ignore[arg-type]
    pop, pop_pred = _population(rev, population)
    if len(rev.confidence) == 0:
        raise InsufficientSampleError(
            f"no reviewed item drawn at random ({rev.source}): review a random sample first "
            f"(at least {min_accepted_to_pass(alpha, delta)} error-free items above a threshold "
            "are the least that can certify one)",
            n=0,
            needed=None,
            needed_zero_errors=None,
        )
    explicit_grid = _explicit_grid(grid)

    groups: list[tuple[str | None, np.ndarray]]
    if per_label:
        labs = sorted(set(rev.pred.tolist()))
        groups = [(lab, rev.pred == lab) for lab in labs]
        level = delta / max(len(groups), 1)
    else:
        groups = [(None, np.ones(len(rev.pred), bool))]
        level = delta
    rng = np.random.default_rng(seed)
    tests = _GroupTests()
    for lab, m in groups:
        tests.run(
            rev,
            lab,
            m,
            alpha=alpha,
            level=level,
            explicit_grid=explicit_grid,
            pop=pop,
            pop_pred=pop_pred,
            tune=tune,
            start=start,
            step=step,
            rng=rng,
        )
    thresholds = tests.thresholds
    if all(t is None for t in thresholds.values()):
        raise _no_threshold_error(tests.refusals, len(rev.confidence))
    # coverage and observed error at the chosen threshold(s)
    acc_mask = np.zeros(len(rev.confidence), bool)
    for lab, m in groups:
        t = thresholds["*" if lab is None else lab]
        if t is not None:
            acc_mask |= m & (rev.confidence >= t)
    err = float(rev.wrong[acc_mask].mean()) if acc_mask.any() else 0.0
    cov = _coverage(thresholds, acc_mask, pop, pop_pred, per_label)
    if not per_label:
        thr = thresholds["*"]
        labels_thr = {lab: thr for lab in sorted(set(rev.pred.tolist()))}
    else:
        thr = None
        labels_thr = thresholds
    return CalibrationResult(
        alpha=alpha,
        delta=delta,
        threshold=thr,
        thresholds=labels_thr,
        coverage=cov,
        error=err,
        n=tests.n_test,
        n_tune=tests.n_tune,
        per_label=per_label,
        curve=pd.concat(tests.curves, ignore_index=True),
        naive_threshold=naive_threshold(rev.confidence, rev.wrong, alpha),
        source=rev.source,
        grid_from=tests.grid_from,
        runs=tests.runs,
        items=pd.DataFrame({"confidence": rev.confidence, "pred": rev.pred, "wrong": rev.wrong.astype(bool)}),
    )


def _store_default_sample(data: Any, task: str | None) -> str:
    """``"propensity"`` when the store's routes of `task` come from a randomised router,
    else ``"audits"``."""
    from .router import routed

    with using_store(data, create=False) as st:
        r = routed(st, task)
    randomised = any(isinstance(x, dict) and x.get("review_budget") is not None for x in r["settings"])
    return "propensity" if randomised else "audits"


def _check_levels(alpha: float, delta: float, tune: float) -> None:
    """Check alpha and delta (in (0, 1)) and the tune share (in [0, 1))."""
    for name, v in (("alpha", alpha), ("delta", delta)):
        if not isinstance(v, (int, float)) or not (0.0 < float(v) < 1.0):
            raise ValueError(f"{name} must be in (0, 1), got {v!r}")
    if not (0.0 <= float(tune) < 1.0):
        raise ValueError(f"tune must be in [0, 1), got {tune!r}")


def _population(rev: _Reviewed, population: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The confidences the threshold will be applied to, and their predicted labels when
    known: the given `population` (labels unknown), else the routed items'."""
    if population is None:
        return rev.population, rev.population_pred
    pop = np.asarray(population, dtype=float).ravel()
    if np.isnan(pop).any() or (pop < 0).any() or (pop > 1).any():
        raise ValueError("population: confidences missing or outside [0, 1]")
    return pop, None


def _explicit_grid(grid: Any) -> np.ndarray | None:
    """The given thresholds, in descending order (None: build the grid)."""
    if grid is None:
        return None
    explicit_grid = np.unique(np.asarray(grid, dtype=float))[::-1]
    if explicit_grid.size == 0 or (explicit_grid < 0).any() or (explicit_grid > 1).any():
        raise ValueError("grid: thresholds must lie in [0, 1]")
    return explicit_grid


@dataclass
class _GroupTests:
    """`calibrate`'s fixed-sequence tests, one per group (a predicted label, or ``"*"``
    for all items), with what they need to report."""

    runs: dict[str, FixedSequence] = field(default_factory=dict)
    thresholds: dict[str, float | None] = field(default_factory=dict)
    curves: list[pd.DataFrame] = field(default_factory=list)
    refusals: list[InsufficientSampleError] = field(default_factory=list)
    n_test: int = 0
    n_tune: int = 0
    grid_from: str = "given grid"  # where the last group's grid came from

    def run(
        self,
        rev: _Reviewed,
        lab: str | None,
        m: np.ndarray,
        *,
        alpha: float,
        level: float,
        explicit_grid: np.ndarray | None,
        pop: np.ndarray | None,
        pop_pred: np.ndarray | None,
        tune: float,
        start: int | None,
        step: float | None,
        rng: np.random.Generator,
    ) -> None:
        """Test one group's grid and record the run, its curve, and why nothing passed."""
        conf, wrong = rev.confidence[m], rev.wrong[m]
        n_group = int(m.sum())
        if explicit_grid is None:
            ref, conf, wrong = self._grid_reference(conf, wrong, lab, pop, pop_pred, tune, rng)
            g = coverage_grid(ref, max(len(conf), 1), alpha, level, start=start, step=step)
        else:
            g = explicit_grid
        n_g = len(conf)
        self.n_test += n_g
        g = _above_floor(g, lab, rev.floor)
        run = fixed_sequence_test(conf, wrong, g, alpha, level)
        key = "*" if lab is None else lab
        self.runs[key] = run
        self.thresholds[key] = run.threshold
        if run.threshold is None:
            start_n = start if start is not None else 2 * (min_accepted_to_pass(alpha, level) or 1)
            # (the built grid never starts below 2 m0 items: the least it can need)
            used_tune = 0.0 if (explicit_grid is not None or pop is not None) else float(tune)
            self.refusals.append(
                _refusal(conf, wrong, alpha, level, start_n, used_tune, lab, n_reviewed=n_group)
            )
        self.curves.append(_curve(key, run, n_g, level))

    def _grid_reference(
        self,
        conf: np.ndarray,
        wrong: np.ndarray,
        lab: str | None,
        pop: np.ndarray | None,
        pop_pred: np.ndarray | None,
        tune: float,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The confidences that place a group's grid, and the reviewed items left to test:
        the population's (of the label's predictions when known), else a `tune` share of
        the reviewed items set aside (not tested then), else the reviewed items."""
        ref = None
        if pop is not None:
            ref = pop if (lab is None or pop_pred is None) else pop[pop_pred == lab]
            self.grid_from = "confidences of the routed items"
            if ref is not None and ref.size == 0:
                ref = None
        if ref is None and tune > 0 and len(conf) >= 10:
            perm = rng.permutation(len(conf))
            k = round(tune * len(conf))
            ref = conf[perm[:k]]
            conf, wrong = conf[perm[k:]], wrong[perm[k:]]
            self.n_tune += k
            self.grid_from = f"confidences of {_fmt_pct(tune)} of the reviewed items set aside"
        elif ref is None:
            ref = conf  # too few to set any aside: the test will refuse anyway
        return ref, conf, wrong


def _above_floor(g: np.ndarray, lab: str | None, floor: dict[str, float]) -> np.ndarray:
    """The grid's thresholds at or above the current threshold (the label's, or the lowest
    for all labels), or its first one when none is."""
    if lab is not None and lab in floor:
        return g[g >= floor[lab]] if (g >= floor[lab]).any() else g[:1]
    if lab is None and floor:
        lo = min(floor.values())
        return g[g >= lo] if (g >= lo).any() else g[:1]
    return g


def _curve(key: str, run: FixedSequence, n_g: int, level: float) -> pd.DataFrame:
    """One group's rows of the result's ``curve``."""
    return pd.DataFrame(
        {
            "label": key,
            "threshold": run.grid,
            "accepted": run.accepted,
            "errors": run.errors,
            "coverage": run.accepted / max(n_g, 1),
            "error": np.where(run.accepted > 0, run.errors / np.maximum(run.accepted, 1), np.nan),
            "level": level,
            "p_value": run.p_values,
            "rejected": np.arange(len(run.grid)) <= (run.chosen if run.chosen is not None else -1),
        }
    )


def _no_threshold_error(refusals: list[InsufficientSampleError], n: int) -> InsufficientSampleError:
    """The error to raise when no group has a threshold: its refusal, or all of them."""
    if len(refusals) == 1:
        return refusals[0]
    msg = "cannot certify a threshold for any label: " + " | ".join(str(r) for r in refusals)
    needs = [r.needed for r in refusals if r.needed is not None]
    return InsufficientSampleError(
        msg,
        n=n,
        needed=min(needs) if needs else None,
        needed_zero_errors=min((r.needed_zero_errors or 0) for r in refusals) or None,
    )


def _coverage(
    thresholds: dict[str, float | None],
    acc_mask: np.ndarray,
    pop: np.ndarray | None,
    pop_pred: np.ndarray | None,
    per_label: bool,
) -> float:
    """The share auto-accepted at the chosen threshold(s): of the population when known,
    else of the reviewed items."""
    if pop is None:
        return float(acc_mask.mean())
    if per_label and pop_pred is not None:
        return float(
            np.mean(
                [
                    (thresholds.get(p) is not None and c >= thresholds[p])
                    for c, p in zip(pop, pop_pred, strict=True)
                ]
            )
        )
    if per_label:
        return float(acc_mask.mean())
    return float(np.mean(pop >= thresholds["*"]))


# -- audits ----------------------------------------------------------------------------
class AuditEstimate(tuple):
    """``(estimate, (low, high))``: the error among auto-accepted items, from audits,
    with an exact Clopper-Pearson interval (``method="Clopper-Pearson"``), or from every
    review weighted by its review probability with an anytime-valid betting interval
    (``method="weighted"``). Also ``.n`` (reviews), ``.errors`` (errors found),
    ``.confidence``, ``.method``."""

    estimate: float
    interval: tuple[float, float]
    n: int
    errors: int
    confidence: float
    method: str

    def __new__(
        cls,
        estimate: float,
        interval: tuple[float, float],
        n: int,
        errors: int,
        confidence: float,
        method: str = "Clopper-Pearson",
    ) -> AuditEstimate:
        self = super().__new__(cls, (estimate, interval))
        self.estimate, self.interval, self.n, self.errors = estimate, interval, n, errors
        self.confidence, self.method = confidence, method
        return self

    def __repr__(self) -> str:
        # a tuple's repr would print the raw floats (0.6879523992538452): 4 digits here
        lo, hi = self.interval
        est = "nan" if self.n == 0 else _short(self.estimate)
        return (
            f"AuditEstimate(estimate={est}, interval=({_short(lo)}, {_short(hi)}), "
            f"n={self.n}, errors={self.errors}, confidence={_short(self.confidence)}"
            + ("" if self.method == "Clopper-Pearson" else f", method={self.method!r}")
            + ")"
        )

    def __str__(self) -> str:
        if self.n == 0:
            return "No audited item has been reviewed yet."
        lo, hi = self.interval
        if self.method in ("weighted", "exact"):
            how = (
                "anytime-valid, betting"
                if self.method == "weighted"
                else "exact, hypergeometric within the level of review probability reviewed in part"
            )
            return (
                f"Error among items that went through unreviewed: {_fmt_pct(self.estimate)} "
                f"(estimated from {self.n:,} reviews, {self.errors} errors found, each weighted "
                f"by its review probability), {_fmt_pct(self.confidence)} interval "
                f"{_fmt_pct(lo)} to {_fmt_pct(hi)} ({how})."
            )
        return (
            f"Error among auto-accepted items: {_fmt_pct(self.estimate)} "
            f"({self.errors} of {self.n:,} audited), {_fmt_pct(self.confidence)} "
            f"interval {_fmt_pct(lo)} to {_fmt_pct(hi)} (Clopper-Pearson)."
        )


def audit_estimate(
    data: pd.DataFrame | Store | str,
    *,
    task: str | None = "routing",
    confidence: float = 0.95,
    pred: Hashable | None = None,
    label: Hashable | None = None,
    audit: Any = None,
    propensity: Hashable | None = None,
) -> AuditEstimate:
    """The error of what the model decides alone, from the audit decisions.

    ``audit="propensity"`` uses every review instead, each weighted by its review
    probability (from a store: the probabilities stored with the route events; from a
    frame: every routed row with a ``review_probability`` column, or the one `propensity`
    names): the error of what went through unreviewed, with an anytime-valid interval
    (see `hitl_widgets.routing.weighted.weighted_audit_estimate`). From a store of a
    randomised router (``review_budget=``) that is the default.

    From a store: the items of `task` routed as audits, joined with the decisions made on
    them in the same task. From a frame: rows with the model label (``pred`` /
    ``model_label``) and the person's (``label`` / ``human_label``), of which only the
    audited ones count: ``audit=`` says which, as `calibrate`'s ``sample=`` does:
    ``"random"`` (or True) when every row is an audit, a column name (True or
    ``"audit"`` on audited rows) or a boolean mask; default an ``audit`` column, and
    without one a ValueError (the items a router sent to a person because they looked
    doubtful say nothing about the error of what it accepts). Returns
    ``estimate, (low, high)``: an exact two-sided Clopper-Pearson interval at
    `confidence`. A flagged audit item (no label) counts as an error.
    """
    if not (0.0 < float(confidence) < 1.0):
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    from_store = isinstance(data, (Store, str)) and not isinstance(data, pd.DataFrame)
    if from_store and audit is None:
        audit = _store_default_sample(data, task)
    if isinstance(audit, str) and audit == "propensity":
        from .weighted import weighted_audit_estimate

        return weighted_audit_estimate(
            data, task=task, confidence=float(confidence), pred=pred, label=label, propensity=propensity
        )
    if from_store:
        rev = _read_store(data, task)
        wrong = rev.wrong
    else:
        if not isinstance(data, pd.DataFrame):
            raise ValueError(f"audit_estimate takes a DataFrame or a Store, got {type(data).__name__}")
        p_col = _pick(data, pred, _PRED_NAMES, "pred")
        l_col = _pick(data, label, _LABEL_NAMES, "label")
        mask, _ = _marked_rows(
            data,
            audit,
            ("audit",),
            "audit",
            _AUDIT_CHOICES,
            "audit_estimate needs to know which rows are a random audit of the auto-accepted "
            "items: items sent to a person because they looked doubtful (low confidence, a "
            "policy) say nothing about the error of what the model decides alone. Pass "
            "audit='random' if every row is such an audit, or audit=<column> naming a column "
            "that is True (or 'audit') on the audited rows (an 'audit' column is used when "
            "present); or pass the store, whose audits are known.",
        )
        df = data[mask]
        _, wrong = _compare_labels(df[p_col], df[l_col], p_col, l_col)
    n = len(wrong)
    k = int(np.sum(wrong))
    est = k / n if n else float("nan")
    return AuditEstimate(est, clopper_pearson(k, n, float(confidence)), n, k, float(confidence))
