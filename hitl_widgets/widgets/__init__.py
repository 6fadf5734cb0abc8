"""Review widgets: one module per review kind, all on the base in `_base.py`."""

from ._base import ContentChangedError, ReviewWidget
from .classification import ClassificationReview

__all__ = ["ClassificationReview", "ContentChangedError", "ReviewWidget"]

from .generation import GenerationReview  # noqa: E402
from .pairwise import PairwiseReview  # noqa: E402

__all__ += ["GenerationReview", "PairwiseReview"]
