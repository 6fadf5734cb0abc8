"""Routing: accept a model's output automatically or send it to a person, say why, order
the review queue, and choose the confidence threshold with a finite-sample guarantee.

>>> from hitl_widgets.routing import Router, calibrate, audit_estimate   # doctest: +SKIP
"""

from .calibration import (
    AuditEstimate,
    CalibrationResult,
    InsufficientSampleError,
    audit_estimate,
    binomial_pvalues,
    calibrate,
    clopper_pearson,
    coverage_grid,
    fixed_sequence_test,
    min_accepted_to_pass,
    naive_threshold,
)
from .ordering import STRATEGIES, order_positions
from .policy import Policy, PolicyError, parse_policy
from .router import Router, RoutingResult, routed

__all__ = [
    "STRATEGIES",
    "AuditEstimate",
    "CalibrationResult",
    "InsufficientSampleError",
    "Policy",
    "PolicyError",
    "Router",
    "RoutingResult",
    "audit_estimate",
    "binomial_pvalues",
    "calibrate",
    "clopper_pearson",
    "coverage_grid",
    "fixed_sequence_test",
    "min_accepted_to_pass",
    "naive_threshold",
    "order_positions",
    "parse_policy",
    "routed",
]
