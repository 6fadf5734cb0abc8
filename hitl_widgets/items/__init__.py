"""Turning a user's data into validated review items: one module per review kind.

Every input error is born here: each names the argument or column and the first
offending rows, and is raised before any store is opened, so bad input writes nothing.
Each kind has its own public ``content_hash`` (the content version the store keys its
decisions by); `content_hash` here is the classification one (a hash of one text).
"""

from ._common import (
    ItemIds,
    canonical,
    hash_parts,
    require_column,
    require_frame,
    rows_named,
    validate_ids,
    validate_labels,
    validate_text,
)
from .audio import AudioData, AudioError, AudioInfo, AudioItems, Peaks, load_audio, peaks, validate_audio
from .audio_review import AudioReviewItems, validate_audio_review
from .box import BOX_FORMATS, Task, from_canonical, merge_tasks, split_tasks, to_canonical, validate_boxes
from .classification import ClassificationItems, content_hash, validate_classification, validate_gold
from .generation import GenerationItems, validate_generation, validate_rubric
from .image import ImageData, ImageError, ImageItems, load_image, preview, validate_images
from .pairwise import PairwiseItems, validate_pairwise

__all__ = [
    "BOX_FORMATS",
    "AudioData",
    "AudioError",
    "AudioInfo",
    "AudioItems",
    "AudioReviewItems",
    "ClassificationItems",
    "GenerationItems",
    "ImageData",
    "ImageError",
    "ImageItems",
    "ItemIds",
    "PairwiseItems",
    "Peaks",
    "Task",
    "canonical",
    "content_hash",
    "from_canonical",
    "hash_parts",
    "load_audio",
    "load_image",
    "merge_tasks",
    "peaks",
    "preview",
    "require_column",
    "require_frame",
    "rows_named",
    "split_tasks",
    "to_canonical",
    "validate_audio",
    "validate_audio_review",
    "validate_boxes",
    "validate_classification",
    "validate_generation",
    "validate_gold",
    "validate_ids",
    "validate_images",
    "validate_labels",
    "validate_pairwise",
    "validate_rubric",
    "validate_text",
]
