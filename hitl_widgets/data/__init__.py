"""Demo data sets shipped with :mod:`hitl_widgets`.

Two small, fully synthetic data sets (written for this project by
``scripts/demo_data/make_demo_data.py`` in the source repository, which is not
part of the wheel; no external data) for trying the review widgets:

* :func:`load_claims` - 600 insurance-claim descriptions with one of six claim
  types (:data:`CLAIM_TYPES`), an amount, a date and a customer-since year.
  About a fifth of the texts are genuinely ambiguous between two types, so a
  text classifier is useful (~85-90% accuracy) but its output still needs
  human review.
* :func:`load_generations` - 120 prompt / LLM-response records for reviewing
  model outputs: markdown answers (code, tables, lists), optional earlier chat
  turns, a deliberately planted flaw in ~35% of responses, and a second
  candidate answer for pairwise comparison.

The files are read with :mod:`importlib.resources`, so the loaders work from a
source checkout, an installed wheel or a zip import alike.

Example::

    >>> from hitl_widgets.data import load_claims, CLAIM_TYPES
    >>> claims = load_claims()
    >>> claims.claim_type.isin(CLAIM_TYPES).all()
    True
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CLAIM_COLUMNS",
    "CLAIM_TYPES",
    "GENERATION_COLUMNS",
    "load_claims",
    "load_generations",
]

#: The six claim labels, in a fixed order (use it for label buttons / confusion matrices).
CLAIM_TYPES: list[str] = ["auto", "property", "theft", "water_damage", "medical", "liability"]

#: Columns of :func:`load_claims`, in order.
CLAIM_COLUMNS: list[str] = ["claim_id", "text", "claim_type", "amount", "date", "policy_holder_since"]

#: Columns of :func:`load_generations`, in order.
GENERATION_COLUMNS: list[str] = ["id", "prompt", "response", "context", "flaw", "response_b", "better"]

_CLAIMS_FILE = "claims.csv"
_GENERATIONS_FILE = "generations.jsonl"


def _resource(name: str):
    return resources.files(__name__).joinpath(name)


def load_claims() -> pd.DataFrame:
    """Load the synthetic insurance-claims data set.

    Returns:
        A DataFrame with 600 rows and the columns

        ============================  ==========================================================
        ``claim_id`` (str)            unique id, ``"CLM-00001"`` ... in date order
        ``text`` (str)                the claim description as received (customer or adjuster)
        ``claim_type`` (str)          one of :data:`CLAIM_TYPES`
        ``amount`` (float)            claimed / estimated amount in USD (long-tailed)
        ``date`` (str)                ISO date of the loss, ``"YYYY-MM-DD"`` (2025-2026)
        ``policy_holder_since`` (int) year the customer took out the policy
        ============================  ==========================================================

    ``date`` is deliberately kept as a string; use ``pd.to_datetime(df["date"])``
    if you need timestamps.
    """
    import pandas as pd

    with _resource(_CLAIMS_FILE).open("r", encoding="utf-8", newline="") as f:
        dtypes: dict[str, type[str] | str] = {
            "claim_id": str,
            "text": str,
            "claim_type": str,
            "amount": "float64",
            "date": str,
            "policy_holder_since": "int64",
        }
        df = pd.read_csv(f, dtype=dtypes, keep_default_na=False)
    return df[CLAIM_COLUMNS]


def _read_jsonl(name: str) -> list[dict[str, Any]]:
    with _resource(name).open("r", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_generations() -> pd.DataFrame:
    """Load the synthetic LLM-output review data set.

    Returns:
        A DataFrame with 120 rows and the columns

        =====================  ================================================================
        ``id`` (str)           unique id, ``"gen-001"`` ...
        ``prompt`` (str)       the user's (latest) request
        ``response`` (str)     the candidate answer to review (markdown)
        ``context``            ``None``, or the earlier chat turns as a list of
                               ``{"role": "system" | "user" | "assistant", "content": str}``
        ``flaw``               ``None``, or a short description of a deliberate flaw
                               in ``response`` (wrong number, off-by-one, hallucinated
                               API, rude tone, missing step, unsafe suggestion, ...)
        ``response_b`` (str)   a second, different candidate answer to the same prompt
        ``better`` (str)       the writer's judgement of the pair: ``"a"``, ``"b"`` or ``"tie"``
        =====================  ================================================================

    ``context`` and ``flaw`` are ``object`` columns holding real ``None`` values
    (not ``NaN``) where the JSON has ``null``; test with ``x is None`` or ``pd.isna``.
    """
    import pandas as pd

    records = _read_jsonl(_GENERATIONS_FILE)
    df = pd.DataFrame(
        {
            col: pd.Series(
                [r.get(col) for r in records], dtype=object if col in ("context", "flaw") else None
            )
            for col in GENERATION_COLUMNS
        }
    )
    return df
