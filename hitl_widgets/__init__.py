"""hitl-widgets: human-in-the-loop review widgets for Jupyter notebooks.

Route a model's outputs, review the uncertain ones from the keyboard, and never lose
a decision: every decision is an event in an append-only store (SQLite or PostgreSQL).

>>> import hitl_widgets as hw                                              # doctest: +SKIP
>>> hw.ClassificationReview(df, labels=["auto", "theft"], store="hitl.db")  # doctest: +SKIP
"""

from . import exports
from .agents import AgentRun, Gate, run_in_background
from .exports import position_bias, to_preferences, to_sft
from .monitor import Monitor
from .rotation import Rotation
from .routing import (
    CalibrationResult,
    InsufficientSampleError,
    Router,
    RoutingResult,
    audit_estimate,
    calibrate,
    order_positions,
    routed,
)
from .store import Store, open_store
from .training import TextClassifier
from .widgets import (
    ApprovalQueue,
    AudioReview,
    BoxReview,
    ClassificationReview,
    ContentChangedError,
    GenerationReview,
    ImageReview,
    PairwiseReview,
    ReviewOptions,
)

__version__ = "0.1.0"  # the one place (pyproject.toml reads it; tests/test_version.py checks js/)


def __getattr__(name: str):  # heavy submodules (plotly, scipy) load on first use
    if name in ("metrics", "plots", "routing", "training", "data", "agents", "annotators", "monitor"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'hitl_widgets' has no attribute {name!r}")


__all__ = [
    "AgentRun",
    "ApprovalQueue",
    "AudioReview",
    "BoxReview",
    "CalibrationResult",
    "ClassificationReview",
    "ContentChangedError",
    "Gate",
    "GenerationReview",
    "ImageReview",
    "InsufficientSampleError",
    "Monitor",
    "PairwiseReview",
    "ReviewOptions",
    "Rotation",
    "Router",
    "RoutingResult",
    "Store",
    "TextClassifier",
    "__version__",
    "annotators",
    "audit_estimate",
    "calibrate",
    "exports",
    "metrics",
    "open_store",
    "order_positions",
    "plots",
    "position_bias",
    "routed",
    "run_in_background",
    "to_preferences",
    "to_sft",
]
