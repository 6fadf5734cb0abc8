"""Tests for the shipped demo data sets (hitl_widgets.data)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from hitl_widgets.data import (
    CLAIM_COLUMNS,
    CLAIM_TYPES,
    GENERATION_COLUMNS,
    load_claims,
    load_generations,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "hitl_widgets" / "data"
# the generator is not in the package (nor the wheel): it lives in the repository's scripts/
GENERATOR_DIR = Path(__file__).resolve().parents[1] / "scripts" / "demo_data"


@pytest.fixture(scope="module")
def claims() -> pd.DataFrame:
    return load_claims()


@pytest.fixture(scope="module")
def gens() -> pd.DataFrame:
    return load_generations()


# ------------------------------------------------------------------------------- claims
def test_claims_columns_and_dtypes(claims):
    assert list(claims.columns) == CLAIM_COLUMNS
    assert len(claims) == 600
    assert claims["amount"].dtype == "float64"
    assert pd.api.types.is_integer_dtype(claims["policy_holder_since"])
    for col in ("claim_id", "text", "claim_type", "date"):
        assert pd.api.types.is_string_dtype(claims[col]), col
        assert claims[col].map(type).eq(str).all(), col


def test_claim_ids_unique_and_formatted(claims):
    assert claims["claim_id"].is_unique
    assert claims["claim_id"].str.fullmatch(r"CLM-\d{5}").all()


def test_claim_labels_balanced(claims):
    assert CLAIM_TYPES == ["auto", "property", "theft", "water_damage", "medical", "liability"]
    counts = claims["claim_type"].value_counts()
    assert set(counts.index) == set(CLAIM_TYPES)
    for label in CLAIM_TYPES:
        assert 60 <= counts[label] <= 140, (label, counts[label])


def test_claim_amounts(claims):
    assert (claims["amount"] > 0).all()
    share_big = (claims["amount"] > 10_000).mean()
    assert 0.10 <= share_big <= 0.15, share_big
    # long-tailed: mean well above median, a few large losses
    assert claims["amount"].mean() > 1.3 * claims["amount"].median()
    # realistic per type: a windshield is cheaper than a roof
    med = claims.groupby("claim_type")["amount"].median()
    assert med.min() > 200 and med.max() < 20_000


def test_claim_dates_and_tenure(claims):
    dates = pd.to_datetime(claims["date"], format="%Y-%m-%d")
    assert dates.dt.year.between(2025, 2026).all()
    assert claims["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert (claims["policy_holder_since"] <= dates.dt.year).all()
    assert (claims["policy_holder_since"] >= 1980).all()
    # ids follow date order
    assert claims.sort_values("claim_id")["date"].is_monotonic_increasing


def test_claim_texts_look_like_claims(claims):
    text = claims["text"]
    assert text.is_unique
    words = text.str.split().str.len()
    assert words.between(5, 90).all()
    assert 15 <= words.mean() <= 50
    n_sent = text.map(lambda t: len(re.findall(r"[.!?](?:\s|$)", t)))
    assert n_sent.between(1, 5).all()  # 1-4 sentences, abbreviations aside
    # varied: many distinct words, some dates and dollar amounts mentioned
    vocab = {w.lower() for t in text for w in re.findall(r"[A-Za-z']+", t)}
    assert len(vocab) > 1200
    assert text.str.contains(r"\$\d").mean() > 0.2
    assert (
        text.str.contains(
            r"\b\d{1,2}/\d{1,2}\b|January|February|March|April|May|June|July|"
            r"August|September|October|November|December|Jan |Feb |Mar |Apr |"
            r"Jun |Jul |Aug |Sep |Oct |Nov |Dec "
        ).mean()
        > 0.15
    )


KEYWORDS = {
    "auto": [
        "car",
        "vehicle",
        "driver",
        "bumper",
        "windshield",
        "highway",
        "rear-ended",
        "collision",
        "tow",
        "deer",
        "traffic",
        "parked",
        "lane",
        "intersection",
        "tire",
    ],
    "property": [
        "roof",
        "shingles",
        "fire",
        "wind",
        "tree",
        "fence",
        "siding",
        "lightning",
        "hail",
        "storm",
        "smoke",
        "porch",
        "shed",
        "vandal",
        "graffiti",
        "gutter",
    ],
    "theft": [
        "stolen",
        "stole",
        "theft",
        "burglar",
        "broke into",
        "taken",
        "missing",
        "thieves",
        "pickpocket",
        "snatched",
        "took",
    ],
    "water_damage": [
        "water",
        "leak",
        "pipe",
        "flood",
        "burst",
        "overflow",
        "sump",
        "dripping",
        "soaked",
        "mold",
        "hose",
    ],
    "medical": [
        "hospital",
        "er ",
        "stitches",
        "x-ray",
        "fracture",
        "surgery",
        "ambulance",
        "doctor",
        "physical therapy",
        "urgent care",
        "mri",
        "sprained",
        "broke",
    ],
    "liability": [
        "lawyer",
        "attorney",
        "sue",
        "suing",
        "demand",
        "responsible",
        "guest",
        "customer",
        "claiming",
        "fault",
        "neighbor",
        "letter",
    ],
}


def _keyword_predict(text: str) -> str:
    t = text.lower()
    scores = {lab: sum(t.count(k) for k in kws) for lab, kws in KEYWORDS.items()}
    return max(CLAIM_TYPES, key=lambda lab: scores[lab])


def test_claims_not_keyword_separable(claims):
    acc = (claims["text"].map(_keyword_predict) == claims["claim_type"]).mean()
    assert acc <= 0.85, acc


def test_claims_learnable_but_not_trivial(claims):
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    # saga: lbfgs gives the same accuracy but can be very slow on a busy CI machine
    model = make_pipeline(
        TfidfVectorizer(sublinear_tf=True), LogisticRegression(solver="saga", max_iter=2000)
    )
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    acc = cross_val_score(model, claims["text"], claims["claim_type"], cv=cv).mean()
    assert 0.6 <= acc <= 0.95, acc


# -------------------------------------------------------------------------- generations
def test_generations_columns_and_ids(gens):
    assert list(gens.columns) == GENERATION_COLUMNS
    assert len(gens) == 120
    assert gens["id"].is_unique
    assert gens["id"].str.fullmatch(r"gen-\d{3}").all()
    for col in ("prompt", "response", "response_b"):
        assert gens[col].map(lambda x: isinstance(x, str) and x.strip() != "").all(), col
    assert gens["prompt"].is_unique
    assert (gens["response"] != gens["response_b"]).all()
    assert set(gens["better"]) <= {"a", "b", "tie"}
    assert gens["better"].value_counts().min() >= 3  # all three judgements occur


def test_generations_context(gens):
    ctx = gens["context"]
    assert ctx.map(lambda c: c is None or isinstance(c, list)).all()
    with_ctx = ctx.dropna()
    assert 20 <= len(with_ctx) <= 40
    for turns in with_ctx:
        assert len(turns) >= 1
        for turn in turns:
            assert isinstance(turn, dict) and set(turn) == {"role", "content"}
            assert turn["role"] in {"system", "user", "assistant"}
            assert isinstance(turn["content"], str) and turn["content"].strip()
    assert any(t[0]["role"] == "system" for t in with_ctx)
    assert any(any(x["role"] == "assistant" for x in t) for t in with_ctx)


def test_generations_flaws(gens):
    flaw = gens["flaw"]
    assert flaw.map(lambda f: f is None or (isinstance(f, str) and len(f) > 10)).all()
    share = flaw.notna().mean()
    assert 0.30 <= share <= 0.40, share
    # pairs with a planted flaw always have a preference (never a tie)
    assert gens.loc[flaw.notna(), "better"].isin(["a", "b"]).all()


def test_generations_markdown(gens):
    n_tables = n_code = 0
    for col in ("response", "response_b"):
        for text in gens[col]:
            words = len(text.split())
            assert 40 <= words <= 400, (col, words, text[:60])
            fences = re.findall(r"^\s*```(\S*)", text, flags=re.M)
            assert len(fences) % 2 == 0, text[:80]  # balanced
            assert all(lang for lang in fences[0::2]), text[:80]  # opening fences name a language
            n_code += bool(fences)
            n_tables += bool(re.search(r"^\|.*\|\s*$\n^\|[-| :]+\|\s*$", text, flags=re.M))
    assert n_code >= 40
    assert n_tables >= 10
    assert gens["response"].str.contains(r"`[^`\n]+`").sum() >= 30  # inline code
    assert gens["response"].str.contains(r"(?m)^\s*(?:[-*]|\d+\.) ", regex=True).sum() >= 50  # lists


# ----------------------------------------------------------------------------- plumbing
def test_claim_types_match_generator(monkeypatch):
    monkeypatch.syspath_prepend(str(GENERATOR_DIR))
    from _generator.claims_templates import CLAIM_TYPES as GEN_TYPES

    assert GEN_TYPES == CLAIM_TYPES


def test_files_are_small():
    for name in ("claims.csv", "generations.jsonl"):
        size = (DATA_DIR / name).stat().st_size
        assert 10_000 < size < 1_000_000, (name, size)


def test_generator_reproduces_shipped_files(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(GENERATOR_DIR))
    import make_demo_data

    make_demo_data.main(["--out", str(tmp_path)])
    for name in ("claims.csv", "generations.jsonl"):
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name
