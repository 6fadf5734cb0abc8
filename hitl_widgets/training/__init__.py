"""Training on reviewed data: a text classifier on a transformers encoder, a small image
classifier (CNN), the training set from the store (texts or images), fine-tuning in the
notebook, the review / fine-tune / re-route loop, and supervised fine-tuning of a causal LM
on reviewed generations.

Heavy dependencies (torch, transformers, datasets) are imported only when used.
"""

from .dataset import SOURCES, DataReport, random_draw, text_key, to_dataset
from .finetune import FinetuneReport, LiveLoss, classification_metrics, evaluate, finetune
from .image_classifier import ImageClassifier, ImageFinetuneReport, finetune_images
from .loop import LoopTracker, Reroute, SimulatedReviewer, project_coverage, unbiased_reviews
from .sft import (
    DEFAULT_CHAT_TEMPLATE,
    IGNORE_INDEX,
    SFTReport,
    build_sft_examples,
    finetune_causal_lm,
    sft_loss,
)
from .text_classifier import (
    AUTO_FULL_FROM,
    TextClassifier,
    clear_embedding_cache,
    default_model_path,
    pick_device,
    prime_embedding_cache,
)

__all__ = [
    "AUTO_FULL_FROM",
    "DEFAULT_CHAT_TEMPLATE",
    "IGNORE_INDEX",
    "SOURCES",
    "DataReport",
    "FinetuneReport",
    "ImageClassifier",
    "ImageFinetuneReport",
    "LiveLoss",
    "LoopTracker",
    "Reroute",
    "SFTReport",
    "SimulatedReviewer",
    "TextClassifier",
    "build_sft_examples",
    "classification_metrics",
    "clear_embedding_cache",
    "default_model_path",
    "evaluate",
    "finetune",
    "finetune_causal_lm",
    "finetune_images",
    "pick_device",
    "prime_embedding_cache",
    "project_coverage",
    "random_draw",
    "sft_loss",
    "text_key",
    "to_dataset",
    "unbiased_reviews",
]
