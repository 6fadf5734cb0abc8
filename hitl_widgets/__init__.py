"""hitl-widgets: human-in-the-loop review widgets for Jupyter notebooks.

Route a model's outputs, review the uncertain ones from the keyboard, and never lose
a decision: every decision is an event in an append-only store (SQLite or PostgreSQL).

>>> import hitl_widgets as hw                                              # doctest: +SKIP
>>> hw.ClassificationReview(df, labels=["auto", "theft"], store="hitl.db")  # doctest: +SKIP
"""

from .store import Store, open_store
from .training import TextClassifier
from .widgets import ClassificationReview, ContentChangedError

__version__ = "0.1.0"

__all__ = [
    "ClassificationReview",
    "ContentChangedError",
    "Store",
    "TextClassifier",
    "open_store",
    "__version__",
]
