"""Alert rules over the monitor's figures, window by window.

A rule is text of the form ``"<metric> <op> <number>"`` (``"audit_error_upper > 0.05"``):
the metric one of `METRICS`, the operator one of ``>``, ``>=``, ``<``, ``<=``. Rules are
data, often typed by someone else: they are parsed here by a grammar this small, never
evaluated, and anything outside it is refused with the reason.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .audit import COLUMNS

#: the figures a rule may name: `audit_error`'s numeric columns
METRICS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in ("window_start", "window_end"))

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
# a name, an operator, a plain decimal number (no exponent needed for rates and counts)
_RULE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*")


@dataclass(frozen=True)
class Rule:
    """One parsed alert rule."""

    metric: str
    op: str
    value: float
    text: str

    def holds(self, x: Any) -> bool:
        """Whether the rule is true of the figure `x`; a missing figure (NaN: no audit in
        the window, say) is no evidence, so the rule is false there."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return False
        return bool(_OPS[self.op](float(x), self.value))


def parse_rule(text: Any) -> Rule:
    """Parse ``"<metric> <op> <number>"``; ValueError naming what is wrong otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"rules: a rule must be text like 'audit_error_upper > 0.05', got {text!r}")
    if len(text) > 200:
        raise ValueError(
            f"rules: a rule of {len(text)} characters is not of the form '<metric> <op> <number>'"
        )
    m = _RULE.fullmatch(text)
    if m is None:
        raise ValueError(
            f"rules: {text!r} is not of the form '<metric> <op> <number>' (op one of >, >=, <, <=; "
            f"metric one of {', '.join(METRICS)})"
        )
    metric, op, number = m.groups()
    if metric not in METRICS:
        raise ValueError(f"rules: {text!r}: unknown metric {metric!r} (one of {', '.join(METRICS)})")
    return Rule(metric, op, float(number), text.strip())


def alerts(
    figures: pd.DataFrame,
    rules: str | Iterable[str],
    *,
    persist: int = 1,
    callback: Callable[[dict[str, Any]], Any] | None = None,
) -> pd.DataFrame:
    """Evaluate `rules` over `figures` (one row per window, in time order, with the metric
    columns: `audit_error`'s frame) and return one row per firing.

    A rule fires at the window where it has been true for `persist` consecutive windows;
    it fires once per such run and may fire again after a window where it is false.
    `callback`, when given, is called once per firing with the alert as a dict (rule,
    metric, op, threshold, value, window_start when known, row: the window's position).
    Every rule is parsed before any is evaluated.
    """
    parsed = [parse_rule(r) for r in ([rules] if isinstance(rules, str) else list(rules))]
    if isinstance(persist, bool) or not isinstance(persist, int) or persist < 1:
        raise ValueError(f"persist must be a positive integer, got {persist!r}")
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable, got {callback!r}")
    if not isinstance(figures, pd.DataFrame):
        raise ValueError(f"figures must be a DataFrame, got {type(figures).__name__}")
    for rule in parsed:
        if rule.metric not in figures.columns:
            raise ValueError(f"rules: {rule.text!r}: the figures have no column {rule.metric!r}")
    fired: list[dict[str, Any]] = []
    for rule in parsed:
        run = 0
        for pos, x in enumerate(figures[rule.metric].tolist()):
            run = run + 1 if rule.holds(x) else 0
            if run != persist:  # fire on reaching persist, not again while the run lasts
                continue
            alert = {
                "rule": rule.text,
                "metric": rule.metric,
                "op": rule.op,
                "threshold": rule.value,
                "value": float(x),
                "window_start": figures["window_start"].iloc[pos] if "window_start" in figures else None,
                "row": pos,
            }
            fired.append(alert)
    fired.sort(key=lambda a: a["row"])  # (stable: rules in the order given within a window)
    if callback is not None:
        for alert in fired:  # in time order, once per firing
            callback(dict(alert))
    cols = ["rule", "metric", "op", "threshold", "value", "window_start", "row"]
    return pd.DataFrame(fired, columns=cols)
