"""Review widgets: one module per review kind, all on the base in `_base.py`, all taking
the options of `_options.ReviewOptions`."""

from ._base import ContentChangedError, ReviewWidget
from ._options import ReviewOptions
from .approval import ApprovalQueue
from .audio import AudioReview
from .box import BoxReview, box_results
from .classification import ClassificationReview
from .generation import GenerationReview
from .image import ImageReview
from .pairwise import PairwiseReview

__all__ = [
    "ApprovalQueue",
    "AudioReview",
    "BoxReview",
    "ClassificationReview",
    "ContentChangedError",
    "GenerationReview",
    "ImageReview",
    "PairwiseReview",
    "ReviewOptions",
    "ReviewWidget",
    "box_results",
]
