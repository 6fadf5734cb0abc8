"""Agreement and consensus metrics for human-in-the-loop review.

All functions accept a long DataFrame (``item``, ``annotator``, ``label``; names
configurable with the keyword arguments of the same names), an items x
annotators matrix (numpy array or DataFrame, NaN = missing), or a
:class:`Ratings` object built once with :func:`to_ratings`.

>>> import numpy as np
>>> from hitl_widgets.metrics import krippendorff_alpha, fleiss_kappa
>>> m = np.array([[1, 1, np.nan], [2, 2, 2], [1, 2, 1]])
>>> round(krippendorff_alpha(m, level="nominal"), 4)
0.5625
>>> round(float(fleiss_kappa(m)), 4)
0.5556
"""

from typing import Any

from ._data import Ratings, UndefinedAgreementWarning, _to_matrix, ratings_from_counts
from .agreement import (
    AgreementResult,
    ModelAgreementResult,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    model_agreement,
    per_label_agreement,
    percent_agreement,
)
from .bootstrap import BootstrapCI, bootstrap_ci
from .consensus import DawidSkeneResult, dawid_skene, majority_vote


def to_ratings(
    data: Any, *, item: str = "item", annotator: str = "annotator", label: str = "label"
) -> Ratings:
    """Parse ratings once (long DataFrame or items x annotators matrix) for reuse across metrics."""
    return _to_matrix(data, item=item, annotator=annotator, label=label)


__all__ = [
    "AgreementResult",
    "BootstrapCI",
    "DawidSkeneResult",
    "ModelAgreementResult",
    "Ratings",
    "UndefinedAgreementWarning",
    "bootstrap_ci",
    "cohen_kappa",
    "dawid_skene",
    "fleiss_kappa",
    "krippendorff_alpha",
    "majority_vote",
    "model_agreement",
    "per_label_agreement",
    "percent_agreement",
    "ratings_from_counts",
    "to_ratings",
]

# Straight from a review store (several annotators, guideline versions, gold, fatigue).
from .from_store import agreement_report, fatigue, gold_accuracy, ratings  # noqa: E402

__all__ += ["agreement_report", "fatigue", "gold_accuracy", "ratings"]

# Bounding boxes: IoU, matching, what people changed, the human-vs-model picture, average
# precision as COCO computes it, agreement between annotators.
from .boxes import (  # noqa: E402
    APResult,
    BoxAgreementResult,
    BoxConfusion,
    BoxMatch,
    average_precision,
    box_agreement,
    box_changes,
    box_confusion,
    coco_map,
    iou,
    iou_matrix,
    match_boxes,
)

# Groups of annotators: figures by group, tests that permute groups across annotators (never
# across ratings), soft labels, juries.
from .groups import GroupReport, GroupTestResult, JuryResult, by_group, group_test, jury, soft_labels  # noqa: E402

__all__ += ["GroupReport", "GroupTestResult", "JuryResult", "by_group", "group_test", "jury", "soft_labels"]

# Speech: word error rate, agreement on time segments, the clip-label confusion.
from .asr import (  # noqa: E402
    SegmentAgreement,
    WERResult,
    clip_label_confusion,
    segment_agreement,
    wer_table,
    word_error_rate,
)

__all__ += [
    "SegmentAgreement",
    "WERResult",
    "clip_label_confusion",
    "segment_agreement",
    "wer_table",
    "word_error_rate",
]

__all__ += [
    "APResult",
    "BoxAgreementResult",
    "BoxConfusion",
    "BoxMatch",
    "average_precision",
    "box_agreement",
    "box_changes",
    "box_confusion",
    "coco_map",
    "iou",
    "iou_matrix",
    "match_boxes",
]
