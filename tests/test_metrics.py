"""Tests for hitl_widgets.metrics: reference packages, published worked examples, edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hitl_widgets.metrics import (
    AgreementResult,
    Ratings,
    UndefinedAgreementWarning,
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

# Reference implementations (test extras). Only the tests that compare against one are skipped
# when it is missing; everything else still runs.
try:
    import krippendorff
except ImportError:  # pragma: no cover
    krippendorff = None
try:
    import sklearn.metrics as sk_metrics
except ImportError:  # pragma: no cover
    sk_metrics = None
try:
    import statsmodels.stats.inter_rater as sm_ir
except ImportError:  # pragma: no cover
    sm_ir = None

needs_krippendorff = pytest.mark.skipif(
    krippendorff is None, reason="reference package krippendorff not installed"
)
needs_sklearn = pytest.mark.skipif(sk_metrics is None, reason="reference package scikit-learn not installed")
needs_statsmodels = pytest.mark.skipif(sm_ir is None, reason="reference package statsmodels not installed")

TOL = 1e-9
SEEDS = range(30)
LEVELS = ["nominal", "ordinal", "interval", "ratio"]
nan = np.nan


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def random_matrix(seed: int, *, missing: bool = True, min_items: int = 5, max_items: int = 300) -> np.ndarray:
    """Items x annotators float matrix with NaN for missing; varied sizes, label counts, scales."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(min_items, max_items))
    a = int(rng.integers(2, 9))
    v = int(rng.integers(2, 8))
    kind = seed % 3
    if kind == 0:  # small integers, possibly shifted to negatives
        x = rng.integers(0, v, size=(n, a)).astype(float) + rng.choice([0, 1, -3])
    elif kind == 1:  # non-integer scale
        x = rng.integers(1, v + 1, size=(n, a)) * 0.5 + 0.25
    else:  # correlated ratings (true value + noise) so alpha is far from 0
        truth = rng.integers(0, v, size=(n, 1))
        noise = rng.integers(-1, 2, size=(n, a)) * (rng.random((n, a)) < 0.3)
        x = np.clip(truth + noise, 0, v - 1).astype(float) + 1
    if missing:
        x[rng.random(x.shape) < rng.uniform(0.0, 0.5)] = nan
    return x


def to_long(x: np.ndarray, labels: np.ndarray | None = None) -> pd.DataFrame:
    i, a = np.nonzero(~np.isnan(x))
    vals = x[i, a]
    if labels is not None:
        vals = labels[vals.astype(int)]
    return pd.DataFrame({"item": [f"it{k}" for k in i], "annotator": [f"ann{k}" for k in a], "label": vals})


def ref_alpha(x: np.ndarray, level: str) -> float | None:
    try:
        return float(krippendorff.alpha(reliability_data=x.T, level_of_measurement=level))
    except ValueError:  # reference refuses (one value, nothing pairable): covered by edge-case tests
        return None


# ---------------------------------------------------------------------------
# Krippendorff's alpha vs the krippendorff package
# ---------------------------------------------------------------------------
@needs_krippendorff
@pytest.mark.parametrize("seed", SEEDS)
def test_krippendorff_matches_package_all_levels_with_missing(seed):
    x = random_matrix(seed)
    for level in LEVELS:
        ref = ref_alpha(x, level)
        if ref is None:
            continue
        ours = krippendorff_alpha(x, level)
        assert isinstance(ours, float)
        if np.isnan(ref):
            assert np.isnan(ours)
        else:
            assert ours == pytest.approx(ref, abs=TOL), level


@needs_krippendorff
@pytest.mark.parametrize("seed", range(10))
def test_krippendorff_continuous_values_many_unique(seed):
    rng = np.random.default_rng(100 + seed)
    n, a = int(rng.integers(20, 80)), int(rng.integers(2, 6))
    truth = rng.normal(10, 3, size=(n, 1))
    x = np.round(truth + rng.normal(0, 1, size=(n, a)), 2)
    x[rng.random(x.shape) < 0.3] = nan
    for level in ("interval", "ratio", "ordinal"):
        ref = ref_alpha(x, level)
        assert krippendorff_alpha(x, level) == pytest.approx(ref, abs=TOL), level


@needs_krippendorff
@pytest.mark.parametrize("seed", range(8))
def test_krippendorff_long_format_string_labels(seed):
    x = random_matrix(seed, max_items=80)
    ref = ref_alpha(x, "nominal")
    if ref is None:
        pytest.skip("degenerate draw")
    codes = np.unique(x[~np.isnan(x)])
    names = np.array([f"lab_{k}" for k in range(codes.size)], dtype=object)
    xi = np.searchsorted(codes, x)
    xi = np.where(np.isnan(x), nan, xi).astype(float)
    df = to_long(xi, names)
    assert krippendorff_alpha(df, "nominal") == pytest.approx(ref, abs=TOL)
    # ordinal on strings needs the ordered list; positions then define the scale
    ref_ord = ref_alpha(x, "ordinal")
    assert krippendorff_alpha(df, "ordinal", labels=list(names)) == pytest.approx(ref_ord, abs=TOL)


@needs_krippendorff
def test_krippendorff_worked_example_4_coders_12_units():
    # Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), the 4 coders x 12 units example
    coders_by_units = np.array(
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
            [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
        ]
    )
    x = coders_by_units.T
    expected = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
    for level, value in expected.items():
        ours = krippendorff_alpha(x, level)
        assert round(ours, 3) == value
        assert ours == pytest.approx(ref_alpha(x, level), abs=TOL)
    # the same example with ordered string labels
    names = np.array(["very low", "low", "mid", "high", "very high"], dtype=object)
    df = to_long(x - 1, names)
    assert round(krippendorff_alpha(df, "ordinal", labels=list(names)), 3) == 0.815
    assert round(krippendorff_alpha(df, "nominal"), 3) == 0.743


def test_krippendorff_package_docstring_example():
    rd = np.array(
        [
            [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
            [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
            [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
        ]
    )
    assert round(krippendorff_alpha(rd.T, "nominal"), 6) == 0.691358
    assert round(krippendorff_alpha(rd.T, "interval"), 6) == 0.810845


# ---------------------------------------------------------------------------
# Cohen's kappa vs scikit-learn
# ---------------------------------------------------------------------------
@needs_sklearn
@pytest.mark.parametrize("seed", SEEDS)
def test_cohen_matches_sklearn_all_weightings(seed):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(5, 400))
    v = int(rng.integers(2, 8))
    a = rng.integers(0, v, size=n)
    b = np.where(rng.random(n) < rng.uniform(0.2, 0.9), a, rng.integers(0, v, size=n))
    a_f, b_f = a.astype(float), b.astype(float)
    a_f[rng.random(n) < rng.uniform(0, 0.3)] = nan
    b_f[rng.random(n) < rng.uniform(0, 0.3)] = nan
    ok = ~np.isnan(a_f) & ~np.isnan(b_f)
    use_strings = seed % 2 == 1
    if use_strings:
        names = np.array([f"c{k}" for k in range(v)], dtype=object)
        ya = np.where(np.isnan(a_f), None, names[a]).astype(object)
        yb = np.where(np.isnan(b_f), None, names[b]).astype(object)
        ref_a, ref_b = names[a[ok]], names[b[ok]]
    else:
        ya, yb = a_f, b_f
        ref_a, ref_b = a[ok], b[ok]
    matrix = pd.DataFrame({"r1": ya, "r2": yb})
    for weights in (None, "linear", "quadratic"):
        ref = sk_metrics.cohen_kappa_score(ref_a, ref_b, weights=weights)
        assert cohen_kappa(ya, yb, weights=weights) == pytest.approx(ref, abs=TOL)
        assert cohen_kappa(matrix, weights=weights) == pytest.approx(ref, abs=TOL)
        long = to_ratings(matrix).to_long()
        assert cohen_kappa(long, weights=weights) == pytest.approx(ref, abs=TOL)


@needs_sklearn
@pytest.mark.parametrize("seed", range(10))
def test_cohen_with_labels_matches_sklearn(seed):
    rng = np.random.default_rng(2000 + seed)
    n = int(rng.integers(20, 200))
    a = rng.integers(0, 5, size=n)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(0, 5, size=n))
    labels = [0, 1, 2, 3, 4, 5, 6]  # declares unused scale points
    sub = [4, 2, 0, 1]  # a subset in a custom order: pairs outside it are dropped
    for weights in (None, "linear", "quadratic"):
        for lab in (labels, sub):
            ref = sk_metrics.cohen_kappa_score(a, b, weights=weights, labels=lab)
            assert cohen_kappa(a, b, weights=weights, labels=lab) == pytest.approx(ref, abs=TOL)
            mat = np.stack([a, b], axis=1).astype(float)
            assert cohen_kappa(mat, weights=weights, labels=lab) == pytest.approx(ref, abs=TOL)


@needs_sklearn
def test_cohen_chooses_annotators_by_name():
    x = random_matrix(3, missing=False, min_items=50, max_items=60)
    df = pd.DataFrame(x, columns=[f"a{k}" for k in range(x.shape[1])])
    ref = sk_metrics.cohen_kappa_score(x[:, 0], x[:, 1] if x.shape[1] < 3 else x[:, 2])
    other = "a1" if x.shape[1] < 3 else "a2"
    assert cohen_kappa(df, annotators=("a0", other)) == pytest.approx(ref, abs=TOL)


# ---------------------------------------------------------------------------
# Fleiss' kappa vs statsmodels
# ---------------------------------------------------------------------------
@needs_statsmodels
@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_matches_statsmodels_complete_data(seed):
    x = random_matrix(seed, missing=False)
    table, _ = sm_ir.aggregate_raters(x)
    ref = sm_ir.fleiss_kappa(table, method="fleiss")
    res = fleiss_kappa(x)
    assert isinstance(res, AgreementResult)
    assert float(res) == pytest.approx(ref, abs=TOL)
    assert res.varying_raters is False and res.n_excluded == 0 and res.n_items == x.shape[0]
    # the same data in long format with string labels, and as a counts table
    codes = np.searchsorted(np.unique(x), x).astype(float)
    names = np.array([f"L{k}" for k in range(int(codes.max()) + 1)], dtype=object)
    assert float(fleiss_kappa(to_long(codes, names))) == pytest.approx(ref, abs=TOL)
    assert float(fleiss_kappa(ratings_from_counts(table))) == pytest.approx(ref, abs=TOL)


@needs_statsmodels
def test_fleiss_wikipedia_example_table():
    # statsmodels' test table (Fleiss' kappa article example): 10 subjects, 14 raters, 5 categories
    table = np.array(
        [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ]
    )
    res = fleiss_kappa(ratings_from_counts(table))
    assert round(float(res), 3) == 0.210
    assert float(res) == pytest.approx(sm_ir.fleiss_kappa(table), abs=TOL)


def test_fleiss_1971_diagnoses_example():
    # Fleiss (1971): 30 patients, 6 psychiatrists, 5 diagnoses (statsmodels / R irr::kappam.fleiss data)
    diagnoses = np.array(
        [
            [4, 4, 4, 4, 4, 4],
            [2, 2, 2, 5, 5, 5],
            [2, 3, 3, 3, 3, 5],
            [5, 5, 5, 5, 5, 5],
            [2, 2, 2, 4, 4, 4],
            [1, 1, 3, 3, 3, 3],
            [3, 3, 3, 3, 5, 5],
            [1, 1, 3, 3, 3, 4],
            [1, 1, 4, 4, 4, 4],
            [5, 5, 5, 5, 5, 5],
            [1, 4, 4, 4, 4, 4],
            [1, 2, 4, 4, 4, 4],
            [2, 2, 2, 3, 3, 3],
            [1, 4, 4, 4, 4, 4],
            [2, 2, 4, 4, 4, 5],
            [3, 3, 3, 3, 3, 5],
            [1, 1, 1, 4, 5, 5],
            [1, 1, 1, 1, 1, 2],
            [2, 2, 4, 4, 4, 4],
            [1, 3, 3, 5, 5, 5],
            [5, 5, 5, 5, 5, 5],
            [2, 4, 4, 4, 4, 4],
            [2, 2, 4, 5, 5, 5],
            [1, 1, 4, 4, 4, 4],
            [1, 4, 4, 4, 4, 5],
            [2, 2, 2, 2, 2, 4],
            [1, 1, 1, 1, 5, 5],
            [2, 2, 4, 4, 4, 4],
            [1, 3, 3, 3, 3, 3],
            [5, 5, 5, 5, 5, 5],
        ]
    )
    assert float(fleiss_kappa(diagnoses)) == pytest.approx(0.4302445, abs=5e-8)


def test_fleiss_varying_raters_generalisation_and_note():
    # item 0: 3 ratings, item 1: 2 ratings, item 2: 4 ratings, item 3: a single rating (excluded)
    x = np.array(
        [
            [1, 1, 2, nan],
            [2, 2, nan, nan],
            [1, 2, 2, 2],
            [1, nan, nan, nan],
        ]
    )
    res = fleiss_kappa(x)
    p_i = [(2 * 1 + 0) / (3 * 2), (2 * 1) / (2 * 1), (0 + 3 * 2) / (4 * 3)]
    p_bar = np.mean(p_i)
    n1, n2 = 1 + 1 + 1, 1 + 2 + 3  # label counts over included items (9 ratings)
    p_e = (n1 / 9) ** 2 + (n2 / 9) ** 2
    assert float(res) == pytest.approx((p_bar - p_e) / (1 - p_e), abs=TOL)
    assert res.varying_raters is True
    assert res.n_items == 3 and res.n_excluded == 1
    assert "varying number of raters" in res.note and "excluded" in res.note
    assert f"{res:.3f}" == f"{float(res):.3f}"


# ---------------------------------------------------------------------------
# percent agreement, per-label agreement, model agreement, majority vote
# ---------------------------------------------------------------------------
def test_percent_agreement_by_hand():
    x = np.array([[1, 1, 1], [1, 1, 2], [1, 2, nan], [3, nan, nan]])
    res = percent_agreement(x)
    assert float(res) == pytest.approx((1 + 1 / 3 + 0) / 3, abs=TOL)
    assert res.n_items == 3 and res.n_excluded == 1 and res.varying_raters


def _brute_specific_agreement(x: np.ndarray) -> dict:
    agree, total = {}, {}
    for row in x:
        vals = row[~np.isnan(row)]
        if vals.size < 2:
            continue
        for i in range(vals.size):
            for j in range(vals.size):
                if i != j:
                    total[vals[i]] = total.get(vals[i], 0) + 1
                    agree[vals[i]] = agree.get(vals[i], 0) + (vals[i] == vals[j])
    return {k: agree[k] / total[k] for k in total}


@pytest.mark.parametrize("seed", range(5))
def test_per_label_agreement_matches_pair_counting(seed):
    x = random_matrix(seed, max_items=60)
    table = per_label_agreement(x)
    brute = _brute_specific_agreement(x)
    got = table.set_index("label")["specific_agreement"]
    for lab, val in brute.items():
        assert got.loc[lab] == pytest.approx(val, abs=TOL)
    assert table["n_ratings"].sum() == int((~np.isnan(x)).sum())
    sa = table["specific_agreement"].dropna().to_numpy()
    assert np.all(np.diff(sa) >= 0)  # least-agreed labels first


def test_per_label_agreement_two_raters_is_positive_agreement_and_flags_confusing_label():
    rng = np.random.default_rng(7)
    n = 600
    truth = rng.choice(["cat", "dog", "fox"], size=n, p=[0.4, 0.4, 0.2])
    r1 = truth.copy()
    r2 = truth.copy()
    # the second rater calls 60% of the foxes 'dog'
    fox = np.flatnonzero(truth == "fox")
    r2[fox[: int(fox.size * 0.6)]] = "dog"
    flip = rng.random(n) < 0.03
    r1[flip] = "cat"
    df = pd.DataFrame({"r1": r1, "r2": r2})
    table = per_label_agreement(df)
    assert table.iloc[0]["label"] == "fox"
    assert bool(table.iloc[0]["flagged"])
    assert table.iloc[0]["most_confused_with"] == "dog"
    assert "guideline is unclear" in table.iloc[0]["note"] and "'fox'" in table.iloc[0]["note"]
    # positive agreement 2a / (2a + b + c) for each label
    for lab in ("cat", "dog", "fox"):
        a = np.sum((r1 == lab) & (r2 == lab))
        bc = np.sum((r1 == lab) ^ (r2 == lab))
        got = table.set_index("label").loc[lab, "specific_agreement"]
        assert got == pytest.approx(2 * a / (2 * a + bc), abs=TOL)
    assert not table.set_index("label").loc["cat", "flagged"]


@needs_sklearn
def test_model_agreement():
    df = pd.DataFrame(
        {
            "item": ["a", "a", "a", "b", "b", "c", "c", "d", "d"],
            "annotator": ["x", "y", "z", "x", "y", "x", "z", "y", "z"],
            "label": ["pos", "pos", "neg", "neg", "neg", "pos", "neg", "neg", "neg"],
        }
    )
    model = pd.Series({"a": "pos", "b": "pos", "c": "neg", "d": "neg"})
    res = model_agreement(df, model)
    # ratings equal to the model: a: 2/3, b: 0/2, c: 1/2, d: 2/2 -> 5/9
    assert res.agreement == pytest.approx(5 / 9, abs=TOL)
    assert float(res) == pytest.approx(5 / 9, abs=TOL)
    assert res.n_ties_excluded == 1  # item c is a 1-1 tie
    human = ["pos", "neg", "neg"]  # majority of a, b, d
    ref = sk_metrics.cohen_kappa_score(human, ["pos", "pos", "neg"])
    assert res.kappa == pytest.approx(ref, abs=TOL)
    assert res.per_annotator["x"] == pytest.approx(1 / 3)
    # positional model labels in item order give the same result
    res2 = model_agreement(df, ["pos", "pos", "neg", "neg"])
    assert res2.agreement == res.agreement and res2.kappa == res.kappa


def test_majority_vote_reports_ties():
    df = pd.DataFrame(
        {
            "item": [1, 1, 1, 2, 2, 3, 3, 3, 3],
            "annotator": ["a", "b", "c", "a", "b", "a", "b", "c", "d"],
            "label": ["x", "x", "y", "y", "x", "z", "y", "z", "y"],
        }
    )
    mv = majority_vote(df).set_index("item")
    assert mv.loc[1, "label"] == "x" and mv.loc[1, "n_votes"] == 2 and not mv.loc[1, "tie"]
    assert mv.loc[2, "tie"] and mv.loc[2, "tied_labels"] == ("x", "y") and mv.loc[2, "label"] == "x"
    assert mv.loc[3, "tie"] and mv.loc[3, "tied_labels"] == ("y", "z") and mv.loc[3, "n_votes"] == 2
    assert mv.loc[1, "tied_labels"] == ()
    none = majority_vote(df, tie_break="none").set_index("item")
    assert none.loc[2, "label"] is None and none.loc[1, "label"] == "x" and none.loc[2, "tie"]


# ---------------------------------------------------------------------------
# Dawid-Skene
# ---------------------------------------------------------------------------
def simulate_crowd(n: int, n_annotators: int, n_classes: int, seed: int, missing: float = 0.0):
    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.full(n_classes, 5.0))
    truth = rng.choice(n_classes, size=n, p=prior)
    accs = np.linspace(0.9, 0.55, n_annotators)
    conf = np.empty((n_annotators, n_classes, n_classes))
    for a in range(n_annotators):
        for k in range(n_classes):
            off = rng.dirichlet(np.ones(n_classes - 1)) * (1 - accs[a])
            conf[a, k] = np.insert(off, k, accs[a])
    cum = conf.cumsum(2)
    u = rng.random((n, n_annotators))
    x = np.empty((n, n_annotators))
    for a in range(n_annotators):
        x[:, a] = (u[:, a : a + 1] > cum[a, truth]).sum(1)
    x[rng.random(x.shape) < missing] = nan
    return x, truth, conf, prior


def test_dawid_skene_recovers_confusion_matrices():
    x, truth, conf, prior = simulate_crowd(20000, 5, 3, seed=11, missing=0.2)
    res = dawid_skene(x)
    for a in range(5):
        est = res.confusion[a]
        assert np.allclose(est.sum(axis=1).to_numpy(), 1.0)
        assert np.abs(est.to_numpy() - conf[a]).max() < 0.05
    assert np.abs(res.priors.to_numpy() - prior).max() < 0.05
    assert np.allclose(res.posteriors.sum(axis=1).to_numpy(), 1.0)
    acc = np.mean(res.labels.to_numpy() == truth)
    mv = majority_vote(x)["label"].to_numpy().astype(float)
    assert acc >= np.mean(mv == truth)
    assert res.converged and res.n_iter < 100


def _naive_dawid_skene(x: np.ndarray, n_iter: int, smoothing: float):
    """Loop-based EM (one item at a time) with the same initialisation and smoothing."""
    labels = np.unique(x[~np.isnan(x)])
    k = labels.size
    n, a = x.shape
    code = np.full(x.shape, -1)
    for i in range(n):
        for j in range(a):
            if not np.isnan(x[i, j]):
                code[i, j] = int(np.searchsorted(labels, x[i, j]))
    t = np.zeros((n, k))
    for i in range(n):
        obs = code[i][code[i] >= 0]
        t[i] = np.bincount(obs, minlength=k) / obs.size if obs.size else 1.0 / k
    for _ in range(n_iter):
        prior = (t.sum(0) + smoothing) / (t.sum() + k * smoothing)
        pi = np.full((a, k, k), smoothing)
        for i in range(n):
            for j in range(a):
                if code[i, j] >= 0:
                    pi[j, :, code[i, j]] += t[i]
        pi /= pi.sum(2, keepdims=True)
        for i in range(n):
            logp = np.log(prior).copy()
            for j in range(a):
                if code[i, j] >= 0:
                    logp += np.log(pi[j, :, code[i, j]])
            p = np.exp(logp - logp.max())
            t[i] = p / p.sum()
    return t, pi, prior


def test_dawid_skene_equals_naive_em():
    x, _, _, _ = simulate_crowd(300, 4, 3, seed=21, missing=0.3)
    res = dawid_skene(x, max_iter=6, tol=0.0)
    t, pi, prior = _naive_dawid_skene(x, 6, 0.01)
    assert res.n_iter == 6
    assert np.abs(res.posteriors.to_numpy() - t).max() < 1e-10
    # confusion/priors reported are those of the last M-step
    for j in range(4):
        assert np.abs(res.confusion[j].to_numpy() - pi[j]).max() < 1e-10
    assert np.abs(res.priors.to_numpy() - prior).max() < 1e-10


def test_dawid_skene_long_format_and_empty_annotator():
    x, _, _, _ = simulate_crowd(800, 4, 3, seed=5)
    names = np.array(["red", "green", "blue"], dtype=object)
    df = to_long(x, names)
    res = dawid_skene(df)
    assert set(res.posteriors.columns) == set(names)
    assert res.labels.index.equals(res.posteriors.index)
    # an annotator without any rating: uniform rows, nothing breaks
    x2 = np.concatenate([x, np.full((x.shape[0], 1), nan)], axis=1)
    res2 = dawid_skene(x2)
    assert np.allclose(res2.confusion[4].to_numpy(), 1 / 3)
    assert np.array_equal(res2.labels.to_numpy(), dawid_skene(x).labels.to_numpy())


def test_dawid_skene_accuracy_not_below_crowdkit():
    ck = pytest.importorskip("crowdkit.aggregation")
    x, truth, _, _ = simulate_crowd(1500, 5, 4, seed=3, missing=0.1)
    ours = np.mean(dawid_skene(x).labels.to_numpy() == truth)
    i, a = np.nonzero(~np.isnan(x))
    df = pd.DataFrame({"task": i, "worker": a, "label": x[i, a].astype(int)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # crowd-kit's own pandas deprecation warnings
        theirs_labels = ck.DawidSkene(n_iter=100).fit_predict(df).sort_index()
    theirs = np.mean(theirs_labels.to_numpy() == truth[theirs_labels.index.to_numpy()])
    assert ours >= theirs - 1e-12


# ---------------------------------------------------------------------------
# bootstrap
# ---------------------------------------------------------------------------
def _correlated(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, size=(n, 1))
    x = np.where(rng.random((n, 4)) < 0.7, truth, rng.integers(0, 4, size=(n, 4))).astype(float)
    x[rng.random(x.shape) < 0.15] = nan
    return x


@pytest.mark.parametrize(
    "fn,kwargs",
    [
        (fleiss_kappa, {}),
        (krippendorff_alpha, {"level": "nominal"}),
        (krippendorff_alpha, {"level": "interval"}),
        (percent_agreement, {}),
    ],
)
def test_bootstrap_contains_estimate_and_narrows(fn, kwargs):
    small, large = _correlated(60, 1), _correlated(1500, 1)
    est = float(fn(small, **kwargs))
    lo, hi = bootstrap_ci(fn, small, n_boot=300, seed=1, **kwargs)
    assert lo <= est <= hi
    lo2, hi2 = bootstrap_ci(fn, large, n_boot=300, seed=1, **kwargs)
    assert lo2 <= float(fn(large, **kwargs)) <= hi2
    assert hi2 - lo2 < (hi - lo) / 2
    assert bootstrap_ci(fn, small, n_boot=50, seed=4, **kwargs) == bootstrap_ci(
        fn, small, n_boot=50, seed=4, **kwargs
    )


def test_bootstrap_cohen_pairs_and_matrix_model_and_per_label():
    x = _correlated(200, 2)[:, :2]
    a, b = x[:, 0], x[:, 1]
    est = cohen_kappa(a, b, weights="quadratic")
    lo, hi = bootstrap_ci(cohen_kappa, (a, b), n_boot=200, weights="quadratic")
    assert lo <= est <= hi
    lo, hi = bootstrap_ci(cohen_kappa, x, n_boot=200)
    assert lo <= cohen_kappa(x) <= hi
    model = pd.Series(np.nan_to_num(a, nan=0.0), index=range(200))
    res = model_agreement(x, model)
    lo, hi = bootstrap_ci(model_agreement, x, n_boot=200, model_labels=model, statistic="kappa")
    assert lo <= res.kappa <= hi
    lo, hi = bootstrap_ci(model_agreement, x, n_boot=200, model_labels=model)
    assert lo <= res.agreement <= hi
    per = bootstrap_ci(per_label_agreement, x, n_boot=100, statistic="specific_agreement")
    point = per_label_agreement(x).set_index("label")["specific_agreement"]
    assert list(per.columns) == ["low", "high"]
    for lab, val in point.items():
        assert per.loc[lab, "low"] <= val <= per.loc[lab, "high"]


def test_resample_identity_reproduces_metrics():
    x = random_matrix(4)
    r = to_ratings(x)
    same = r.resample_items(np.arange(r.n_items))
    assert krippendorff_alpha(same, "interval") == pytest.approx(krippendorff_alpha(x, "interval"), abs=TOL)
    dup = r.resample_items(np.repeat(np.arange(r.n_items), 2))
    assert float(fleiss_kappa(dup)) == pytest.approx(float(fleiss_kappa(x)), abs=TOL)


# ---------------------------------------------------------------------------
# edge cases
# ---------------------------------------------------------------------------
@needs_statsmodels
@needs_sklearn
@needs_krippendorff
def test_one_label_only_is_undefined_everywhere():
    x = np.array([[2, 2, nan], [2, 2, 2], [2, nan, 2]])
    with pytest.warns(UndefinedAgreementWarning):
        assert np.isnan(krippendorff_alpha(x, "nominal"))
    with pytest.raises(ValueError):  # the reference package refuses a one-value domain
        krippendorff.alpha(x.T, level_of_measurement="nominal")
    with pytest.warns(UndefinedAgreementWarning):
        res = fleiss_kappa(x)
    assert np.isnan(float(res)) and "only one label" in res.note
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(sm_ir.fleiss_kappa(np.array([[3], [3]])))  # statsmodels: NaN too
        assert np.isnan(sk_metrics.cohen_kappa_score([2, 2, 2], [2, 2, 2]))  # sklearn: NaN
    with pytest.warns(UndefinedAgreementWarning):
        assert np.isnan(cohen_kappa([2, 2, 2], [2, 2, 2]))
    with pytest.warns(UndefinedAgreementWarning):
        assert np.isnan(cohen_kappa(x[:, :2], weights="linear"))
    assert float(percent_agreement(x)) == 1.0  # observed agreement is still defined


@needs_krippendorff
def test_perfect_agreement_is_one():
    x = np.array([[1, 1, 1], [2, 2, nan], [3, 3, 3], [1, nan, 1]])
    for level in LEVELS:
        assert krippendorff_alpha(x, level) == pytest.approx(1.0, abs=TOL)
        assert ref_alpha(x, level) == pytest.approx(1.0, abs=TOL)
    assert float(fleiss_kappa(x)) == pytest.approx(1.0, abs=TOL)
    assert float(percent_agreement(x)) == 1.0
    for w in (None, "linear", "quadratic"):
        assert cohen_kappa(x[:, 0], x[:, 1], weights=w) == pytest.approx(1.0, abs=TOL)
    assert (per_label_agreement(x)["specific_agreement"] == 1.0).all()


@needs_krippendorff
def test_items_with_a_single_rating_are_excluded():
    x = random_matrix(9, max_items=50)
    single = np.full((5, x.shape[1]), nan)
    single[:, 0] = [1, 2, 3, 1, 2]
    both = np.concatenate([x, single])
    for level in LEVELS:
        ref = ref_alpha(both, level)
        assert krippendorff_alpha(both, level) == pytest.approx(ref, abs=TOL)
        assert krippendorff_alpha(both, level) == pytest.approx(krippendorff_alpha(x, level), abs=TOL)
    res, res0 = fleiss_kappa(both), fleiss_kappa(x)
    assert res.n_excluded == res0.n_excluded + 5
    assert float(res) == pytest.approx(float(res0), abs=TOL)
    with pytest.warns(UndefinedAgreementWarning):
        assert np.isnan(krippendorff_alpha(single))


@needs_krippendorff
def test_annotator_with_all_ratings_missing():
    x = random_matrix(12, missing=True)
    x_extra = np.concatenate([x, np.full((x.shape[0], 1), nan)], axis=1)
    for level in LEVELS:
        assert krippendorff_alpha(x_extra, level) == pytest.approx(ref_alpha(x_extra, level), abs=TOL)
        assert krippendorff_alpha(x_extra, level) == pytest.approx(krippendorff_alpha(x, level), abs=TOL)
    assert float(fleiss_kappa(x_extra)) == pytest.approx(float(fleiss_kappa(x)), abs=TOL)
    with pytest.warns(UndefinedAgreementWarning, match="no item was rated by both"):
        assert np.isnan(cohen_kappa(x_extra, annotators=(0, x_extra.shape[1] - 1)))


def test_input_forms_agree_and_custom_column_names():
    x = random_matrix(5, max_items=100)
    long = to_long(x).rename(columns={"item": "doc", "annotator": "who", "label": "tag"})
    wide_df = pd.DataFrame(x)
    expected = krippendorff_alpha(x, "ordinal")
    assert krippendorff_alpha(wide_df, "ordinal") == pytest.approx(expected, abs=TOL)
    assert krippendorff_alpha(long, "ordinal", item="doc", annotator="who", label="tag") == pytest.approx(
        expected, abs=TOL
    )
    r = to_ratings(long, item="doc", annotator="who", label="tag")
    assert isinstance(r, Ratings)
    assert float(fleiss_kappa(r)) == pytest.approx(float(fleiss_kappa(x)), abs=TOL)
    back = r.to_frame()
    assert back.shape[0] == r.n_items and int(back.notna().to_numpy().sum()) == r.n_ratings


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
GOOD = pd.DataFrame({"item": [1, 1, 2, 2], "annotator": ["a", "b", "a", "b"], "label": ["x", "y", "x", "x"]})


@pytest.mark.parametrize(
    "call,needle",
    [
        (lambda: fleiss_kappa(GOOD.rename(columns={"label": "tag"})), "label"),
        (lambda: fleiss_kappa(GOOD, annotator="rater"), "rater"),
        (lambda: krippendorff_alpha(GOOD.drop(columns="item")), "item"),
        (lambda: percent_agreement(pd.concat([GOOD, GOOD.iloc[:1]])), "annotator"),
        (lambda: cohen_kappa(np.array([[1.0], [2.0], [1.0]])), "2 annotators"),
        (lambda: cohen_kappa(GOOD[GOOD.annotator == "a"]), "annotator"),
        (lambda: cohen_kappa(np.ones((3, 3))), "annotators"),
        (lambda: cohen_kappa([1, 2], [1, 2, 3]), "b"),
        (lambda: cohen_kappa([1, 2], [1, 2], weights="cubic"), "weights"),
        (lambda: cohen_kappa(GOOD, annotators=("a", "zz")), "annotators"),
        (lambda: krippendorff_alpha(GOOD, level="nominl"), "level"),
        (lambda: krippendorff_alpha(GOOD, level="interval"), "level"),
        (lambda: krippendorff_alpha(GOOD, level="ordinal"), "labels"),
        (lambda: krippendorff_alpha(GOOD, level="ordinal", labels=["x"]), "labels"),
        (lambda: fleiss_kappa(np.array([1, 2, 3])), "data"),
        (lambda: majority_vote(GOOD, tie_break="coin"), "tie_break"),
        (lambda: bootstrap_ci(fleiss_kappa, GOOD, ci=1.5), "ci"),
        (lambda: model_agreement(GOOD, ["x"]), "model_labels"),
        (lambda: ratings_from_counts(np.array([[1, -1]])), "counts"),
        (lambda: dawid_skene(GOOD, max_iter=0), "max_iter"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(call, needle):
    with pytest.raises(ValueError, match=needle):
        call()
