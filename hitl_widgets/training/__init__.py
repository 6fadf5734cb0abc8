"""Training on reviewed data: a text classifier on a transformers encoder."""

from .text_classifier import AUTO_FULL_FROM, TextClassifier, default_model_path, pick_device

__all__ = ["AUTO_FULL_FROM", "TextClassifier", "default_model_path", "pick_device"]
