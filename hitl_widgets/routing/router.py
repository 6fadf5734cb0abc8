"""The router: accept a model's output automatically, or send it to a person, and say why.

>>> router = Router(["auto", "theft", "medical"], thresholds=0.8,
...                 policies={"large claim": "amount > 10000"},
...                 always_review=["medical"], audit_rate=0.02, seed=7)   # doctest: +SKIP
>>> result = router.route(df, pred="pred", confidence="confidence",
...                       id="claim_id", store="hitl.db", task="claims")     # doctest: +SKIP
>>> ClassificationReview(result.to_review(), labels=router.labels, id="claim_id",
...                      reasons="reasons", store="hitl.db", task="claims")  # doctest: +SKIP

Every outcome, the automatic ones too, is written to the store as a ``"route"`` event
(``data = {"auto", "audit", "reasons", "policies", "settings"}``), so what the model
decided alone can be read back later with `routed` / `Router.auto_accepted`. Route events
never change a person's decision (the store's folds skip them). Use the same ``task`` for
routing and for the review of the routed items: `audit_estimate` and `calibrate` then join
the audits with the decisions made on them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..items import (
    content_hash,
    require_column,
    require_frame,
    validate_ids,
    validate_labels,
)
from ..store import Store, using_store, utc_now
from .ordering import canonical_strategy, order_positions
from .policy import Policy, parse_policy
from .propensity import review_probabilities

Rule = str | Callable[..., Any]

ROUTE_COLUMNS = ("route", "reasons", "audit", "review_probability")


def _pct(x: float) -> str:
    """A share as a short percentage: 0.02 -> '2%', 0.025 -> '2.5%'."""
    v = 100.0 * float(x)
    return f"{v:.0f}%" if abs(v - round(v)) < 1e-9 else f"{v:.3g}%"


def _in_unit_interval(value: Any, name: str) -> float:
    """`value` as a float in [0, 1], or a ValueError that starts with `name`."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not np.isfinite(v) or v < 0.0 or v > 1.0:
        raise ValueError(f"{name} {value!r} is outside [0, 1]")
    return v


def _check_threshold(value: Any, where: str) -> float:
    return _in_unit_interval(value, f"{where}: threshold")


def _short(x: float) -> str:
    """A number as printed for people: 4 significant digits (0.592160701751709 -> 0.5922)."""
    return f"{float(x):.4g}"


def _rule_text(rule: Rule) -> str:
    if isinstance(rule, str):
        return rule
    name = getattr(rule, "__name__", None) or type(rule).__name__
    return f"<callable {name}>"


def _thresholds_of(thresholds: float | Mapping[Any, float] | None, labels: list[str]) -> dict[str, float]:
    """The threshold of each label: one for every label, or a dict by label in which
    ``"*"`` sets the one for the labels not named (None: no thresholds)."""
    if thresholds is None:
        return {}
    if not isinstance(thresholds, Mapping):
        v = _check_threshold(thresholds, "thresholds")
        return {lab: v for lab in labels}
    label_set = set(labels)
    out: dict[str, float] = {}
    default = None
    for key, value in thresholds.items():
        if key == "*":
            default = _check_threshold(value, "thresholds['*']")
            continue
        if str(key) not in label_set:
            raise ValueError(f"thresholds: unknown label {key!r}; labels are {labels!r}")
        out[str(key)] = _check_threshold(value, f"thresholds[{key!r}]")
    if default is not None:
        for lab in labels:
            out.setdefault(lab, default)
    return out


def _named_rules(policies: Mapping[str, Rule] | Sequence[Rule] | None) -> list[tuple[str, Rule]]:
    """The policy rules with their names: a mapping's keys, else each rule's text."""
    if policies is None:
        return []
    if isinstance(policies, Mapping):
        return [(str(k), v) for k, v in policies.items()]
    if isinstance(policies, (str, bytes)) or callable(policies):
        return [(_rule_text(policies), policies)]  # type: ignore[list-item]
    return [(_rule_text(r), r) for r in policies]


def _always_reviewed(always_review: Iterable[Any], labels: list[str]) -> list[str]:
    """The labels always reviewed, as text, each once (a single label may be given bare)."""
    if isinstance(always_review, (str, bytes)):
        always_review = [always_review]
    label_set = set(labels)
    out: list[str] = []
    for lab in always_review:
        if str(lab) not in label_set:
            raise ValueError(f"always_review: unknown label {lab!r}; labels are {labels!r}")
        if str(lab) not in out:
            out.append(str(lab))
    return out


def _proba_array(df: pd.DataFrame, proba: Any, labels: list[str]) -> np.ndarray:
    """`proba` as a (rows x labels) array of probabilities: columns of `df` named in a
    list, or an array; checked for shape, missing values and range."""
    if isinstance(proba, (list, tuple)) and all(isinstance(c, str) for c in proba):
        missing = [c for c in proba if c not in df.columns]
        if missing:
            raise ValueError(f"proba: no such columns in df: {missing!r}")
        proba_arr = df[list(proba)].to_numpy(dtype="float64", na_value=np.nan)
    else:
        try:
            proba_arr = np.asarray(proba, dtype="float64")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"proba: not numeric ({exc})") from None
    if proba_arr.shape != (len(df), len(labels)):
        raise ValueError(
            f"proba: expected shape ({len(df)}, {len(labels)}) (rows x labels), got {proba_arr.shape}"
        )
    bad = np.isnan(proba_arr).any(axis=1) | (proba_arr < 0).any(axis=1) | (proba_arr > 1).any(axis=1)
    if bad.any():
        raise ValueError(f"proba: values missing or outside [0, 1] in rows {list(df.index[bad][:5])!r}")
    return proba_arr


def _pred_codes(
    df: pd.DataFrame, pred: Hashable | None, proba_arr: np.ndarray | None, labels: list[str]
) -> np.ndarray:
    """The predicted label of each row as its position in `labels`: from the `pred`
    column (checked), else the argmax of the probabilities."""
    if pred is not None and (pred in df.columns or proba_arr is None):
        ps = require_column(df, pred, "pred")
        if ps.isna().any():
            raise ValueError(
                f"pred={pred!r}: missing predicted labels in rows "
                f"{list(df.index[ps.isna().to_numpy()][:5])!r}"
            )
        # pandas-stubs type get_indexer's target as an Index; pandas takes any array-like
        codes = pd.Index(labels).get_indexer(ps.astype(str))  # type: ignore[arg-type]
        if (codes < 0).any():
            unknown = sorted({str(v) for v in ps[codes < 0].unique()[:5]})
            raise ValueError(
                f"pred={pred!r}: unknown label(s) {unknown!r} in rows "
                f"{list(df.index[codes < 0][:5])!r}; labels are {labels!r}"
            )
        return codes
    if proba_arr is not None:
        return proba_arr.argmax(axis=1)
    raise ValueError("pred: give a column of predicted labels or proba")


def _confidence_column(df: pd.DataFrame, confidence: Hashable) -> np.ndarray:
    """The `confidence` column as floats, checked: numeric, none missing, in [0, 1]."""
    cs = df[confidence]
    if not pd.api.types.is_numeric_dtype(cs.dtype) or pd.api.types.is_bool_dtype(cs.dtype):
        raise ValueError(f"confidence={confidence!r}: not numeric (dtype {cs.dtype})")
    conf = cs.to_numpy(dtype="float64", na_value=np.nan)
    bad = np.isnan(conf) | (conf < 0) | (conf > 1)
    if bad.any():
        raise ValueError(
            f"confidence={confidence!r}: values missing or outside [0, 1] in rows {list(df.index[bad][:5])!r}"
        )
    return conf


class Router:
    """Decide, for each model output, whether it is accepted or goes to a person.

    Parameters
    ----------
    labels:
        The label set; predicted labels must be among them.
    thresholds:
        One confidence threshold for every label (a float in [0, 1]), or a dict
        ``{label: threshold}``; the key ``"*"`` sets the one for labels not named, and a
        label with no threshold is never sent for its confidence. An output goes to a
        person when its confidence is *below* the threshold of its predicted label.
    policies:
        Named rules that send a row to a person: ``{"large claim": "amount > 10000"}``.
        A rule is an expression over the frame's columns in a small, safe language (see
        `hitl_widgets.routing.policy`: column names, backticks around names with spaces,
        literals, comparisons, ``in [...]``, and / or / not, & | ~, arithmetic, and
        ``col.isin([...])``, ``col.isna()``, ``col.notna()``,
        ``col.str.contains/startswith/endswith("x")``; anything else is refused here), or
        a callable that takes the frame and returns a boolean mask, or takes one row and
        returns a bool. A list of expressions names each rule by its text. A row whose
        value is missing in a column an expression reads goes to a person (reason
        ``"missing <column>"``), unless that expression tests the column with
        ``isna()`` / ``notna()`` and so decides itself.
    always_review:
        Labels whose outputs always go to a person.
    audit_rate:
        Share of the automatically accepted outputs drawn at random for a person to check
        (0 to 1). The draw hashes each item's id with the seed, so it does not depend on
        the model output nor on which other rows are in the batch, and the same seed
        draws the same items again.
    seed:
        Seed of the audit draw (and of the random review draw).
    review_budget:
        Randomised routing (None: off): the expected share of the batch sent to a person.
        What must go to a person still does (policy hits, labels always reviewed,
        confidence under a threshold: probability 1); of the other items the least
        confident go too (probability 1), and the rest each with probability
        `review_floor`, the cut placed so that the expected share reviewed is the budget
        (see `hitl_widgets.routing.propensity.review_probabilities` for why two levels). The probability is stored with each
        route event, so that every reviewed item counts towards the guarantee:
        ``calibrate(store, sample="propensity")`` and ``audit_estimate(store,
        audit="propensity")`` weight each one by the inverse of its probability. Replaces
        `audit_rate` (give one or the other).
    review_floor:
        The least review probability of any item under randomised routing (in (0, 1]):
        no item is certain to go through unseen. A lower floor spends less of the budget
        on confident items but makes each error found among them weigh more, and the
        bound wider (`calibrate` says when the floor is too low for the sample).
    """

    def __init__(
        self,
        labels: Sequence[Any],
        thresholds: float | Mapping[Any, float] | None = None,
        policies: Mapping[str, Rule] | Sequence[Rule] | None = None,
        always_review: Iterable[Any] = (),
        audit_rate: float = 0.0,
        seed: int = 0,
        review_budget: float | None = None,
        review_floor: float = 0.02,
    ) -> None:
        self.labels = validate_labels(labels)
        self.thresholds: dict[str, float] = _thresholds_of(thresholds, self.labels)
        self.policies: dict[str, Rule] = {}
        self._parsed: dict[str, Policy] = {}  # the expression rules, parsed and checked
        for name, rule in _named_rules(policies):
            self._add_policy(name, rule)
        self.always_review: list[str] = _always_reviewed(always_review, self.labels)
        # audit
        self.audit_rate = _in_unit_interval(audit_rate, "audit_rate:")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        self.seed = int(seed)
        self.review_budget = (
            None if review_budget is None else _in_unit_interval(review_budget, "review_budget:")
        )
        self.review_floor = _in_unit_interval(review_floor, "review_floor:")
        if self.review_budget is not None:
            if self.review_floor <= 0:
                raise ValueError(
                    "review_floor: must be above 0 with review_budget (an item that can never be "
                    "reviewed cannot be counted, and the guarantee needs every item countable)"
                )
            if self.review_floor > self.review_budget:
                raise ValueError(
                    f"review_floor {self.review_floor!r} is above review_budget "
                    f"{self.review_budget!r}: every item would be reviewed at least that often"
                )
            if self.audit_rate > 0:
                raise ValueError(
                    "give audit_rate or review_budget, not both: randomised routing already "
                    "reviews every item with a known probability (its reviews are the audits)"
                )

    def _add_policy(self, name: str, rule: Rule) -> None:
        """Add one named rule, an expression checked now, or a callable."""
        if not name.strip():
            raise ValueError("policies: a rule without a name")
        if name in self.policies:
            raise ValueError(f"policies: the name {name!r} is used twice")
        if isinstance(rule, str):
            # parsed and checked against the policy language now, so that a rule
            # outside it is refused before anything is routed (nothing is evaluated)
            self._parsed[name] = parse_policy(rule, name)
        elif not callable(rule):
            raise ValueError(
                f"policy {name!r}: a rule must be a policy expression (str) or a callable, "
                f"got {type(rule).__name__}"
            )
        self.policies[name] = rule

    @property
    def settings(self) -> dict[str, Any]:
        """The router's settings as plain JSON (stored with every route event)."""
        return {
            "labels": list(self.labels),
            "thresholds": dict(self.thresholds),
            "policies": {k: _rule_text(v) for k, v in self.policies.items()},
            "always_review": list(self.always_review),
            "audit_rate": self.audit_rate,
            "seed": self.seed,
            **(
                {}
                if self.review_budget is None
                else {"review_budget": self.review_budget, "review_floor": self.review_floor}
            ),
        }

    def __repr__(self) -> str:
        # thresholds calibrated from data are long floats: print 4 significant digits
        # (the values themselves, and the settings stored with each event, keep them all)
        s = self.settings
        thr = "{" + ", ".join(f"{k!r}: {_short(v)}" for k, v in s["thresholds"].items()) + "}"
        return (
            f"Router(labels={s['labels']!r}, thresholds={thr}, "
            f"policies={s['policies']!r}, always_review={s['always_review']!r}, "
            f"audit_rate={_short(self.audit_rate)}, seed={self.seed!r}"
            + (
                ""
                if self.review_budget is None
                else f", review_budget={_short(self.review_budget)}, review_floor={_short(self.review_floor)}"
            )
            + ")"
        )

    def _eval_policy(self, name: str, rule: Rule, df: pd.DataFrame) -> np.ndarray:
        n = len(df)
        if isinstance(rule, str):
            # our own evaluator of the checked expression (never DataFrame.eval/query);
            # a PolicyError (a ValueError) names the policy and, e.g., an unknown column
            out = self._expression(name, rule).evaluate(df)
        else:
            try:
                out = rule(df)
                if np.ndim(out) == 0 or len(out) != n:
                    raise TypeError("not a mask")
            except Exception:
                try:  # a rule over one row
                    out = df.apply(rule, axis=1) if n else pd.Series([], dtype=bool)
                except Exception as exc:
                    raise ValueError(
                        f"policy {name!r}: the callable failed on the frame and on its rows: "
                        f"{type(exc).__name__}: {exc}"
                    ) from None
        if isinstance(out, pd.DataFrame) or np.ndim(out) != 1 or len(out) != n:
            raise ValueError(
                f"policy {name!r}: must give one True/False per row, got "
                f"{type(out).__name__} of shape {np.shape(out)}"
            )
        s = pd.Series(out, index=df.index) if not isinstance(out, pd.Series) else out
        if pd.api.types.is_bool_dtype(s.dtype):
            return s.fillna(False).to_numpy(dtype=bool)
        vals = s.to_numpy(dtype=object)
        ok = np.fromiter(
            (
                v is None or isinstance(v, (bool, np.bool_)) or (isinstance(v, float) and np.isnan(v))
                for v in vals
            ),
            bool,
            n,
        )
        if not ok.all():
            raise ValueError(
                f"policy {name!r}: must give True/False per row, got values like "
                f"{vals[~ok][0]!r} (dtype {s.dtype})"
            )
        return np.fromiter((bool(v) if isinstance(v, (bool, np.bool_)) else False for v in vals), bool, n)

    def _expression(self, name: str, rule: str) -> Policy:
        """The parsed expression rule `name`. `policies` is a plain dict that can be changed
        after construction, so a rule not parsed here yet is parsed (and checked) now: no
        text ever reaches an evaluator unchecked."""
        parsed = self._parsed.get(name)
        if parsed is None or parsed.text != rule:
            parsed = self._parsed[name] = parse_policy(rule, name)
        return parsed

    def _missing_inputs(self, df: pd.DataFrame) -> dict[str, np.ndarray]:
        """{column: rows where it is missing} for the columns the expression rules read
        without testing them with isna()/notna(): there a rule cannot decide, so the row
        goes to a person rather than being accepted because a comparison with NaN is False."""
        out: dict[str, np.ndarray] = {}
        expressions = [
            self._expression(name, rule) for name, rule in self.policies.items() if isinstance(rule, str)
        ]
        for policy in expressions:
            for column in policy.nan_sensitive:
                if column not in out:
                    out[column] = df[column].isna().to_numpy(dtype=bool)
        return {c: m for c, m in out.items() if m.any()}

    def _audit_draw(self, item_ids: pd.Index) -> np.ndarray:
        """A uniform number in [0, 1) per item, from a hash of (seed, item id)."""
        if len(item_ids) == 0:
            return np.zeros(0)
        key = hashlib.sha256(f"hitl-audit:{self.seed}".encode()).hexdigest()[:16]
        h = pd.util.hash_array(np.asarray(item_ids.astype(str), dtype=object), hash_key=key)
        return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)

    # -- routing -------------------------------------------------------------
    def route(
        self,
        df: pd.DataFrame,
        pred: Hashable | None = "pred",
        confidence: Hashable | None = "confidence",
        proba: Any = None,
        id: Hashable | None = None,
        *,
        text: Hashable | None = "text",
        store: str | Store | None = None,
        task: str = "routing",
        annotator: str = "router",
    ) -> RoutingResult:
        """Route every row of `df`; write one ``"route"`` event per row when `store` is given.

        `pred` is the column of predicted labels (or None with `proba`, which then gives
        the argmax); `confidence` the model's confidence in [0, 1] (or None with `proba`:
        the probability of the predicted label); `proba` one probability column per label
        (a list of names, in label order) or an array (rows x labels). `id` names the item
        id column (default: the index); `text`, when that column exists, gives the content
        hash stored with each event (the same one a review widget stamps). Every input is
        checked before anything is routed or written. While the automation of `task` is
        paused in `store` (`hitl_widgets.monitor.pause`), every item goes to a person, with
        who paused it, when and why as its first reason.
        """
        df = require_frame(df)
        ids = validate_ids(df, id)
        labels = self.labels
        proba_arr = None if proba is None else _proba_array(df, proba, labels)
        codes = _pred_codes(df, pred, proba_arr, labels)
        conf = self._confidence(df, confidence, proba_arr, codes)
        # policies: every rule is evaluated before anything is written
        fired = {name: self._eval_policy(name, rule, df) for name, rule in self.policies.items()}
        missing_input = self._missing_inputs(df)
        hashes = None
        if text is not None and text in df.columns:
            t = df[text]
            hashes = [content_hash(v) if isinstance(v, str) else None for v in t]

        n = len(df)
        pred_labels = np.asarray(labels, dtype=object)[codes]
        thr = np.array([self.thresholds.get(lab, np.nan) for lab in labels])[codes]
        low = np.zeros(n, bool) if conf is None else (~np.isnan(thr) & (conf < thr))
        always = np.isin(pred_labels, self.always_review)
        any_policy = np.zeros(n, bool)
        for m in fired.values():
            any_policy |= m
        # a rule that could not decide for a missing input counts as a policy reason: it is
        # reviewed with the rows policies sent (ordering "policy" puts them first)
        for m in missing_input.values():
            any_policy |= m
        needs_person = low | always | any_policy
        # an overseer's pause switch in the store sends every item to a person
        paused = self._paused(store, task)
        if paused is not None:
            needs_person = np.ones(n, bool)
        draw = self._audit_draw(ids)
        if self.review_budget is None:
            # the review probability of each item: 1 where a person must look, the audit
            # rate elsewhere (an audit is a review drawn with that known probability)
            prob = np.where(needs_person, 1.0, self.audit_rate)
            audit = ~needs_person & (draw < self.audit_rate)
            drawn = np.zeros(n, bool)
        else:
            if conf is None:
                raise ValueError("review_budget: randomised routing needs confidence or proba")
            prob, _ = review_probabilities(
                conf, needs_person, budget=self.review_budget, floor=self.review_floor
            )
            # drawn with its own probability, not a uniform rate: not an audit in the
            # uniform sense that calibrate(sample="audits") relies on
            audit = np.zeros(n, bool)
            drawn = ~needs_person & (draw < prob)
        reasons = self._reasons(n, low, conf, thr, pred_labels, fired, missing_input, always, audit)
        if paused is not None:
            for r in reasons:
                r.insert(0, paused)
        for i in np.flatnonzero(drawn):
            reasons[i].append(
                f"among the least confident (review budget {_pct(self.review_budget or 0.0)})"
                if prob[i] >= 1.0
                else f"drawn for review at random (probability {prob[i]:.3g})"
            )

        frame = df.copy()
        route = np.where(needs_person | audit | drawn, "review", "auto")
        frame["route"] = route
        frame["reasons"] = pd.Series(reasons, index=df.index, dtype=object)
        frame["audit"] = audit
        frame["review_probability"] = prob
        result = RoutingResult(
            frame=frame,
            labels=list(labels),
            pred_codes=np.asarray(codes),
            confidence=conf,
            proba=proba_arr,
            policy=any_policy,
            settings=self.settings,
            task=str(task),
            ids=ids,
            fired=fired,
            missing=missing_input,
            policy_columns=list(
                dict.fromkeys(
                    c
                    for name in self.policies
                    if name in self._parsed
                    for c in self._parsed[name].columns
                    if c in df.columns
                )
            ),
        )
        if store is not None:
            with using_store(store) as st:
                st.append(result._events(hashes, annotator=annotator))
        return result

    @staticmethod
    def _paused(store: str | Store | None, task: str) -> str | None:
        """The reason every item goes to a person when the task's automation is paused in
        `store` (`hitl_widgets.monitor.pause`), else None."""
        if store is None:
            return None
        from ..monitor.switch import pause_state  # (the monitor reads routes: imported late)

        state = pause_state(store, str(task))
        return state.reason if state.paused else None

    def _confidence(
        self, df: pd.DataFrame, confidence: Hashable | None, proba_arr: np.ndarray | None, codes: np.ndarray
    ) -> np.ndarray | None:
        """The confidence per row: the column (checked), else the probability of the
        predicted label; None when the router needs none (it has no thresholds)."""
        if confidence is not None and confidence in df.columns:
            return _confidence_column(df, confidence)
        if proba_arr is not None:
            return proba_arr[np.arange(len(df)), codes]
        if confidence is not None and (self.thresholds or confidence != "confidence"):
            require_column(df, confidence, "confidence")  # named, or needed: must exist
            raise AssertionError  # pragma: no cover
        if self.thresholds:
            raise ValueError("confidence: the router has thresholds; give confidence or proba")
        return None

    def _reasons(
        self,
        n: int,
        low: np.ndarray,
        conf: np.ndarray | None,
        thr: np.ndarray,
        pred_labels: np.ndarray,
        fired: dict[str, np.ndarray],
        missing_input: dict[str, np.ndarray],
        always: np.ndarray,
        audit: np.ndarray,
    ) -> list[list[str]]:
        """Why each row goes to a person: low confidence, the policies that fired, the
        inputs they miss, a label always reviewed, a random audit (in that order)."""
        reasons: list[list[str]] = [[] for _ in range(n)]
        for i in np.flatnonzero(low):
            reasons[i].append(
                f"confidence {conf[i]:.2f} < {thr[i]:.2f} for {pred_labels[i]!r}"  # type: ignore[index]
            )
        for name, m in fired.items():
            rule = self.policies[name]
            text_r = (
                f"policy {name!r}: {rule}" if isinstance(rule, str) and rule != name else (f"policy {name!r}")
            )
            for i in np.flatnonzero(m):
                reasons[i].append(text_r)
        for column, m in missing_input.items():
            for i in np.flatnonzero(m):
                reasons[i].append(f"missing {column}")
        for i in np.flatnonzero(always):
            reasons[i].append(f"label {pred_labels[i]!r} is always reviewed")
        audit_text = f"random audit ({_pct(self.audit_rate)})"
        for i in np.flatnonzero(audit):
            reasons[i].append(audit_text)
        return reasons

    # -- reading back ---------------------------------------------------------
    @staticmethod
    def auto_accepted(store: str | Store, task: str | None = "routing") -> pd.DataFrame:
        """Items whose model output was accepted with no person: the latest route per item."""
        r = routed(store, task)
        return r[r["auto"]].reset_index(drop=True)


@dataclass
class RoutingResult:
    """The outcome of `Router.route`: the frame with ``route``, ``reasons`` and ``audit``."""

    frame: pd.DataFrame
    labels: list[str]
    pred_codes: np.ndarray
    confidence: np.ndarray | None
    proba: np.ndarray | None
    policy: np.ndarray  # rows any policy rule fired on, or could not decide (missing input)
    settings: dict[str, Any]
    task: str
    ids: pd.Index | None = field(repr=False, default=None)
    fired: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    # {column: rows sent to a person because a policy reads it and it is missing}
    missing: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    #: the columns the policies read, in order: show them to the person beside the text
    #: (``ClassificationReview(..., fields=result.policy_columns)``)
    policy_columns: list[str] = field(repr=False, default_factory=list)

    @property
    def review_mask(self) -> np.ndarray:
        return (self.frame["route"] == "review").to_numpy()

    def to_review(self, order: str | None = None, *, seed: int = 0) -> pd.DataFrame:
        """The rows a person should see (low confidence, policy, always-reviewed label,
        audit), in frame order or in `order`'s order. Pass it to ``ClassificationReview``
        with ``reasons="reasons"``."""
        rows = self.frame[self.review_mask]
        if order is None:
            return rows
        return rows.iloc[self.order(order, seed=seed)]

    def order(self, strategy: str = "policy", *, within: str = "review", seed: int = 0) -> np.ndarray:
        """Positions in review order: ``within="review"`` (default) gives positions inside
        `to_review()` (what ``ClassificationReview(order=...)`` takes for that frame),
        ``within="all"`` positions of the routed rows inside `frame`. ``"policy"`` puts the
        rows a policy rule fired on (or could not decide on, for a missing value) first,
        then least confidence."""
        canonical_strategy(strategy)
        if within not in ("review", "all"):
            raise ValueError(f"within must be 'review' or 'all', got {within!r}")
        scores = self.proba if self.proba is not None else self.confidence
        mask = self.review_mask
        pos = order_positions(strategy, scores, mask, policy=self.policy, seed=seed)
        if within == "all":
            return pos
        local = np.full(len(mask), -1, dtype=np.int64)
        local[mask] = np.arange(int(mask.sum()))
        return local[pos]

    def summary(self) -> pd.DataFrame:
        """Counts and shares: auto-accepted, to review, and each reason."""
        f = self.frame
        n = len(f)
        rows: list[tuple[str, int]] = [
            ("items", n),
            ("auto-accepted", int((f["route"] == "auto").sum())),
            ("to review", int((f["route"] == "review").sum())),
        ]
        if self.confidence is not None and self.settings["thresholds"]:
            low = f["reasons"].map(lambda r: any(x.startswith("confidence ") for x in r))
            rows.append(("  low confidence", int(low.sum())))
        for name, m in self.fired.items():
            rows.append((f"  policy {name!r}", int(m.sum())))
        for column, m in self.missing.items():
            rows.append((f"  missing {column}", int(m.sum())))
        for lab in self.settings["always_review"]:
            rows.append(
                (
                    f"  label {lab!r} (always)",
                    int((np.asarray(self.labels, dtype=object)[self.pred_codes] == lab).sum()),
                )
            )
        if self.settings["audit_rate"] > 0:
            rows.append((f"  random audit ({_pct(self.settings['audit_rate'])})", int(f["audit"].sum())))
        budget = self.settings.get("review_budget")
        if budget is not None:
            least = f["reasons"].map(lambda r: any(x.startswith("among the least confident") for x in r))
            drawn = f["reasons"].map(lambda r: any(x.startswith("drawn for review") for x in r))
            rows.append(("  among the least confident", int(least.sum())))
            rows.append(("  drawn at random", int(drawn.sum())))
            expected = float(f["review_probability"].mean()) if n else 0.0
            rows.append((f"expected share reviewed (budget {_pct(budget)})", round(expected * n)))
        out = pd.DataFrame(rows, columns=["outcome", "count"]).set_index("outcome")
        out["share"] = out["count"] / max(n, 1)
        return out

    def __repr__(self) -> str:
        s = self.summary()
        return "RoutingResult\n" + s.to_string(formatters={"share": "{:.1%}".format})

    def __len__(self) -> int:
        return len(self.frame)

    def _events(self, hashes: list[str | None] | None, *, annotator: str) -> list[dict[str, Any]]:
        now = utc_now()
        run = uuid.uuid4().hex
        settings = self.settings
        settings_json = json.dumps(settings, sort_keys=True)
        f = self.frame
        ids = self.ids
        assert ids is not None, "RoutingResult.ids: the routed items' ids (set by Router.route)"
        conf = self.confidence
        names = np.asarray(self.labels, dtype=object)[self.pred_codes]
        fired_names = list(self.fired)
        fired = np.column_stack([self.fired[k] for k in fired_names]) if fired_names else None
        out = []
        routes = f["route"].to_numpy()
        audits = f["audit"].to_numpy()
        reasons = f["reasons"].to_numpy()
        probs = (
            f["review_probability"].to_numpy(dtype=float)
            if "review_probability" in f.columns
            else np.where(routes == "auto", float(settings.get("audit_rate", 0.0)), 1.0)
        )
        for i in range(len(f)):
            item_id = str(ids[i])
            h = hashes[i] if hashes is not None else None
            auto = routes[i] == "auto"
            data = {
                "auto": bool(auto),
                "audit": bool(audits[i]),
                "reasons": list(reasons[i]),
                "policies": [fired_names[j] for j in np.flatnonzero(fired[i])] if fired is not None else [],
                "settings": settings,
                # the known chance this item had of going to a person: what makes every
                # review count (calibrate / audit_estimate weight reviews by its inverse)
                "review_probability": float(probs[i]),
            }
            c = None if conf is None else float(conf[i])
            key = (
                f"{self.task}\x1f{item_id}\x1f{h}\x1f{names[i]}\x1f{c!r}\x1f{settings_json}"
                f"\x1f{json.dumps(data['reasons'])}"
            )
            out.append(
                {
                    "event_id": "route-"
                    + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32],
                    "task": self.task,
                    "kind": "classification",
                    "item_id": item_id,
                    "content_hash": h,
                    "action": "route",
                    "label_before": None,
                    "label_after": names[i] if auto else None,
                    "model_label": names[i],
                    "model_confidence": c,
                    "annotator": annotator,
                    "created_at": now,
                    "duration_ms": None,
                    "guideline_version": None,
                    "session_id": run,
                    "note": "auto" if auto else "review",
                    "data": data,
                }
            )
        return out


def _probability_of(d: dict[str, Any]) -> float:
    v = d.get("review_probability")
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else float("nan")


def routed(store: str | Store, task: str | None = "routing") -> pd.DataFrame:
    """Every routed item's latest routing outcome, read back from the store.

    Columns: task, item_id, content_hash, model_label, model_confidence, route ("auto" |
    "review"), auto (accepted with no person), audit, reasons, policies, settings,
    review_probability (the item's known chance of going to a person; NaN for routes
    stored before it was), routed_at. ``task=None`` reads every task; rows are in route
    order (of each item's latest route).
    """
    with using_store(store, create=False) as st:
        ev = st.events(task, action="route")
    return _routed_frame(ev)


#: the columns of `routed`'s frame, in order
ROUTED_COLUMNS = [
    "task",
    "item_id",
    "content_hash",
    "model_label",
    "model_confidence",
    "route",
    "auto",
    "audit",
    "reasons",
    "policies",
    "settings",
    "review_probability",
    "routed_at",
]


def _routed_frame(ev: pd.DataFrame) -> pd.DataFrame:
    """`routed`'s frame of route events `ev` (as `Store.events` reads them, in seq order):
    each item's latest route, one pass over the data dicts."""
    cols = ROUTED_COLUMNS
    if not len(ev):
        return pd.DataFrame(columns=cols)
    ev = ev.drop_duplicates(["task", "item_id"], keep="last")
    auto: list[bool] = []
    audit: list[bool] = []
    reasons: list[list[Any]] = []
    policies: list[list[Any]] = []
    settings: list[Any] = []
    prob: list[float] = []
    nan = float("nan")
    for d in ev["data"].tolist():
        if not isinstance(d, dict):
            d = {}
        auto.append(bool(d.get("auto", False)))
        audit.append(bool(d.get("audit", False)))
        reasons.append(list(d.get("reasons") or []))
        policies.append(list(d.get("policies") or []))
        settings.append(d.get("settings"))
        # NaN for routes written before review probabilities were stored
        v = d.get("review_probability")
        prob.append(float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else nan)
    auto_a = np.array(auto, dtype=bool)
    reasons_a = np.empty(len(reasons), dtype=object)
    reasons_a[:] = reasons
    policies_a = np.empty(len(policies), dtype=object)
    policies_a[:] = policies
    settings_a = np.empty(len(settings), dtype=object)
    settings_a[:] = settings
    out = pd.DataFrame(
        {
            "task": ev["task"].to_numpy(),
            "item_id": ev["item_id"].to_numpy(),
            "content_hash": ev["content_hash"].to_numpy(),
            "model_label": ev["model_label"].to_numpy(),
            "model_confidence": ev["model_confidence"].to_numpy(),
            "route": np.where(auto_a, "auto", "review"),
            "auto": auto_a,
            "audit": np.array(audit, dtype=bool),
            "reasons": reasons_a,
            "policies": policies_a,
            "settings": settings_a,
            "review_probability": np.array(prob, dtype=float),
            "routed_at": ev["created_at"].to_numpy(),
        }
    )
    return out[cols].reset_index(drop=True)
