from .agreement import (  # noqa: F401  (several annotators)
    agreement_heatmap,
    annotator_timeline,
    confusion_counts,
    confusion_matrix,
    per_label_agreement_bars,
)
from .boxes import BoxCell, box_confusion_matrix  # noqa: F401  (bounding boxes)
from .groups import agreement_by_group, confusion_by_group, label_shares_by_group  # noqa: F401  (annotator groups)
from .risk_coverage import risk_coverage  # noqa: F401  (routing)
