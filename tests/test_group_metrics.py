"""Tests for hitl_widgets.metrics.groups: hand-worked cases, simulations, reference packages."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hitl_widgets.metrics import UndefinedAgreementWarning, bootstrap_ci, cohen_kappa, krippendorff_alpha
from hitl_widgets.metrics.groups import (
    ACROSS_GROUPS,
    ALL_ANNOTATORS,
    NOT_GIVEN,
    SMALL_GROUPS,
    _adjust_p,
    by_group,
    group_test,
    jury,
    soft_labels,
)

try:
    from statsmodels.stats.multitest import multipletests
except ImportError:  # pragma: no cover
    multipletests = None
try:
    import krippendorff
except ImportError:  # pragma: no cover
    krippendorff = None


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def _hand_pool() -> tuple[pd.DataFrame, pd.DataFrame]:
    """3 items. 6 women (w0-w5), 5 men (m0-m4), 2 nonbinary (n0, n1), 1 annotator (x0) with no
    gender, 1 annotator (y0) not in the attributes table at all.

    item 1: women A A A A A A, men B B B B B, n0 A, x0 B
    item 2: women A A A B B B, men B B B B A, n1 B, y0 A
    item 3: women A A A A A (w0-w4), men B B B (m0-m2)
    """
    rows = []
    for w in range(6):
        rows.append((1, f"w{w}", "A"))
        rows.append((2, f"w{w}", "A" if w < 3 else "B"))
        if w < 5:
            rows.append((3, f"w{w}", "A"))
    for m in range(5):
        rows.append((1, f"m{m}", "B"))
        rows.append((2, f"m{m}", "B" if m < 4 else "A"))
        if m < 3:
            rows.append((3, f"m{m}", "B"))
    rows += [(1, "n0", "A"), (1, "x0", "B"), (2, "n1", "B"), (2, "y0", "A")]
    ratings = pd.DataFrame(rows, columns=["item", "annotator", "label"])
    attrs = pd.DataFrame(
        {
            "annotator": [f"w{w}" for w in range(6)] + [f"m{m}" for m in range(5)] + ["n0", "n1", "x0"],
            "gender": ["woman"] * 6 + ["man"] * 5 + ["nonbinary"] * 2 + [None],
        }
    )
    return ratings, attrs


def _simulate(
    rng: np.random.Generator,
    probs: dict[str, np.ndarray],
    n_per_group: int = 25,
    n_items: int = 300,
    per_annotator: int = 40,
    concentration: float = 10.0,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Annotators of each group draw a personal label distribution around the group's
    (Dirichlet, so annotators differ as people do) and rate random items with it."""
    rows, attrs = [], {}
    for g, p in probs.items():
        for a in range(n_per_group):
            name = f"{g}{a}"
            attrs[name] = g
            own = rng.dirichlet(p * concentration)
            items = rng.choice(n_items, per_annotator, replace=False)
            labels = rng.choice(len(p), per_annotator, p=own)
            rows += [(int(i), name, "ABCDEFGH"[k]) for i, k in zip(items, labels, strict=True)]
    return pd.DataFrame(rows, columns=["item", "annotator", "label"]), attrs


# ---------------------------------------------------------------------------
# by_group
# ---------------------------------------------------------------------------
def test_by_group_hand_worked_counts_shares_and_small_groups_left_out() -> None:
    ratings, attrs = _hand_pool()
    rep = by_group(ratings, attrs, "gender", n_boot=50)
    # nonbinary (2) and (not given) (x0, y0: 2) are under 5, and pooled only 4: left out
    assert list(rep.groups.index) == ["man", "woman"]
    assert rep.groups.loc["woman"].tolist() == [6, 17, 3]
    assert rep.groups.loc["man"].tolist() == [5, 13, 3]
    # women: A = 6 + 3 + 5 = 14 of 17; men: A = 1 of 13
    assert rep.label_shares.loc["woman", "A"] == pytest.approx(14 / 17)
    assert rep.label_shares.loc["man", "A"] == pytest.approx(1 / 13)
    np.testing.assert_allclose(rep.label_shares.sum(axis=1), 1.0)
    # annotator level: w0-w2 all A (1), w3-w4 2 of 3, w5 1 of 2 -> mean (3 + 4/3 + 1/2) / 6
    assert rep.annotator_shares.loc["woman", "A"] == pytest.approx((3 + 4 / 3 + 0.5) / 6)
    assert "left out (pooled they would be only 4)" in rep.small_groups
    assert "nonbinary" in repr(rep) and "left out" in repr(rep)
    assert "nonbinary" not in rep.alpha.index and NOT_GIVEN not in rep.alpha.index


def test_by_group_small_groups_pooled_or_dropped() -> None:
    ratings, attrs = _hand_pool()
    # min 3: nonbinary (2) and (not given) (2) are small; pooled 4 >= 3 -> one group
    rep = by_group(ratings, attrs, "gender", min_annotators=3, n_boot=20)
    assert list(rep.groups.index) == ["man", "woman", SMALL_GROUPS]
    assert rep.groups.loc[SMALL_GROUPS].tolist() == [4, 4, 2]
    assert rep.label_shares.loc[SMALL_GROUPS, "A"] == pytest.approx(2 / 4)
    assert "pooled into '(small groups)'" in rep.small_groups
    dropped = by_group(ratings, attrs, "gender", min_annotators=3, small_groups="drop", n_boot=20)
    assert list(dropped.groups.index) == ["man", "woman"]
    # min 2: every group is large enough, (not given) is shown as a group (x0 and y0)
    rep2 = by_group(ratings, attrs, "gender", min_annotators=2, n_boot=20)
    assert list(rep2.groups.index) == ["man", "nonbinary", "woman", NOT_GIVEN]
    assert rep2.small_groups == ""
    assert rep2.groups.loc[NOT_GIVEN, "n_annotators"] == 2


def test_by_group_alphas_match_reference() -> None:
    ratings, attrs = _hand_pool()
    rep = by_group(ratings, attrs, "gender", n_boot=200)
    women = ratings[ratings.annotator.str.startswith("w")]
    assert rep.alpha.loc["woman", "alpha"] == pytest.approx(krippendorff_alpha(women))
    shown = ratings[ratings.annotator.str[0].isin(["w", "m"])]
    assert rep.alpha.loc[ALL_ANNOTATORS, "alpha"] == pytest.approx(krippendorff_alpha(shown))
    # across groups: items x groups of majority labels. item 1: man B, woman A; item 2: man B,
    # woman tied (3-3, empty); item 3: man B, woman A -> items 1 and 3, total disagreement
    assert rep.alpha.loc[ACROSS_GROUPS, "n_items"] == 2
    # hand: 4 values, 2 A and 2 B, every pair within an item disagrees: D_o = 4, D_e = (16 - 8) / 3
    assert rep.alpha.loc[ACROSS_GROUPS, "alpha"] == pytest.approx(1 - 4 / (8 / 3))
    if krippendorff is not None:
        ref = krippendorff.alpha(
            reliability_data=np.array([[1.0, 1.0], [0.0, 0.0]]), level_of_measurement="nominal"
        )
        assert rep.alpha.loc[ACROSS_GROUPS, "alpha"] == pytest.approx(ref)
    # the interval is bootstrap_ci over the group's items ("woman" is the 2nd group: seed 0 + 1)
    low, high = rep.alpha.loc["woman", ["low", "high"]]
    with pytest.warns(UndefinedAgreementWarning, match="dropped"):
        reference = bootstrap_ci(krippendorff_alpha, women, n_boot=200, seed=1)
    assert (low, high) == tuple(reference)
    assert "dropped" in rep.alpha.loc["woman", "note"]  # 3 items: some resamples have one label only
    assert low <= rep.alpha.loc["woman", "alpha"] <= high


def test_by_group_model_agreement_and_confusion() -> None:
    ratings, attrs = _hand_pool()
    model = pd.Series({1: "A", 2: "B", 3: "C"})  # "C": a label no human used
    rep = by_group(ratings, attrs, "gender", model=model, n_boot=20)
    assert rep.model is not None
    # women: item 1 A x6 (agree 6), item 2 three A three B (agree 3), item 3 A x5 vs C (0) -> 9 / 17
    assert rep.model.loc["woman", "agreement"] == pytest.approx(9 / 17)
    # men: item 1 B x5 (0), item 2 B x4 A x1 (4), item 3 B x3 (0) -> 4 / 13
    assert rep.model.loc["man", "agreement"] == pytest.approx(4 / 13)
    conf = rep.confusion["woman"]
    assert list(conf.columns) == ["A", "B", "C"]
    assert conf.loc["A", "A"] == 6 and conf.loc["A", "B"] == 3 and conf.loc["B", "B"] == 3
    assert conf.loc["A", "C"] == 5 and int(conf.to_numpy().sum()) == 17
    # kappa: men's majority (B, B, B) vs the model (A, B, C)
    assert rep.model.loc["man", "kappa"] == pytest.approx(cohen_kappa(["B", "B", "B"], ["A", "B", "C"]))
    with pytest.raises(ValueError, match="model: no item"):
        by_group(ratings, attrs, "gender", model=pd.Series({"x": "A"}), n_boot=20)


def test_groups_errors_name_the_argument() -> None:
    ratings, attrs = _hand_pool()
    with pytest.raises(ValueError, match=r"groups: missing column\(s\) \['age'\]"):
        by_group(ratings, attrs, "age")
    bad = pd.concat([attrs, pd.DataFrame({"annotator": ["w0"], "gender": ["man"]})], ignore_index=True)
    with pytest.raises(
        ValueError, match=r"annotator 'w0' has conflicting values of 'gender' \(rows \[0, 14\]\)"
    ):
        by_group(ratings, bad, "gender")
    with pytest.raises(ValueError, match="groups: none of the"):
        by_group(ratings, {"zz": "man"}, "gender")
    with pytest.raises(ValueError, match="min_annotators"):
        by_group(ratings, attrs, "gender", min_annotators=0)
    with pytest.raises(ValueError, match="a test needs two"):
        group_test(ratings, attrs, "gender", min_annotators=7)
    with pytest.raises(ValueError, match=r"labels: \['Z'\] never occur"):
        group_test(ratings, attrs, "gender", labels=["A", "Z"])
    with pytest.raises(ValueError, match="correction"):
        group_test(ratings, attrs, "gender", correction="sidak")  # type: ignore[arg-type]


def test_groups_as_mapping_and_ids_compared_as_text() -> None:
    ratings = pd.DataFrame({"item": [1, 1, 2, 2], "annotator": [1, 2, 1, 2], "label": ["A", "B", "A", "A"]})
    rep = by_group(ratings, {"1": "x", "2": "y"}, "team", min_annotators=1, n_boot=20)
    assert rep.groups["n_ratings"].tolist() == [2, 2]


# ---------------------------------------------------------------------------
# group_test
# ---------------------------------------------------------------------------
def test_group_test_statistic_and_exact_permutation_p() -> None:
    # 3 women always A, 3 men always B: of the C(6,3) = 20 splits only the observed one and
    # its mirror reach the observed statistic -> exact p = 2/20
    rows = [(i, f"w{a}", "A") for a in range(3) for i in range(4)] + [
        (i, f"m{a}", "B") for a in range(3) for i in range(4)
    ]
    ratings = pd.DataFrame(rows, columns=["item", "annotator", "label"])
    attrs = {**{f"w{a}": "women" for a in range(3)}, **{f"m{a}": "men" for a in range(3)}}
    res = group_test(ratings, attrs, min_annotators=3, n_permutations=20_000, seed=1)
    assert res.table.loc["A", "difference"] == pytest.approx(-1.0)  # first group ("men") minus second
    assert list(res.means.index) == ["men", "women"]
    # two groups: n1 n2 / N (m1 - m2)^2
    assert res.table.loc["A", "statistic"] == pytest.approx(3 * 3 / 6 * 1.0)
    assert res.p_value == pytest.approx(0.1, abs=0.01)
    assert res.table.loc["A", "p_value"] == pytest.approx(0.1, abs=0.01)
    # exhaustive check of the exact value
    shares = np.array([1.0] * 3 + [0.0] * 3)
    obs = abs(shares[3:].mean() - shares[:3].mean())
    splits = [
        abs(shares[list(c)].mean() - np.delete(shares, list(c)).mean()) for c in combinations(range(6), 3)
    ]
    assert np.mean(np.array(splits) >= obs - 1e-12) == pytest.approx(0.1)


def test_group_test_finds_the_label_read_differently() -> None:
    """Women read borderline items as 'A' where men say 'E'; B, C and D are used alike.
    (Shares sum to 1, so the extra A of one group must come from some label: here from E.)"""
    rng = np.random.default_rng(7)
    men = np.array([0.2, 0.2, 0.2, 0.2, 0.2])
    women = np.array([0.38, 0.2, 0.2, 0.2, 0.02])
    ratings, attrs = _simulate(rng, {"women": women, "men": men}, n_per_group=30)
    res = group_test(ratings, attrs, n_permutations=2000)
    assert res.table.loc["A", "p_adjusted"] < 0.01 and res.table.loc["E", "p_adjusted"] < 0.01
    assert res.table.loc["A", "difference"] < 0  # "men" first: men use A less
    assert (res.table.loc[["B", "C", "D"], "p_adjusted"] > 0.2).all()
    assert res.p_value < 0.01
    text = str(res)
    assert "between the groups of 'gender' (men: 30, women: 30 annotators)" in text
    assert "permuting the group of each of the 60 annotators 2000 times" in text
    assert "(holm-corrected)" in text


def test_group_test_with_three_groups_and_label_subset() -> None:
    rng = np.random.default_rng(3)
    p = np.array([0.4, 0.3, 0.3])
    ratings, attrs = _simulate(rng, {"a": p, "b": p, "c": np.array([0.1, 0.45, 0.45])}, n_per_group=15)
    res = group_test(ratings, attrs, "age", labels=["A"], n_permutations=1000)
    assert list(res.table.index) == ["A"] and "difference" not in res.table.columns
    assert res.table.loc["A", "p_value"] < 0.01
    # statistic = sum_g n_g (mean_g - grand)^2 of the annotator shares
    counts = ratings.groupby("annotator")["label"].apply(lambda s: (s == "A").mean())
    grp = counts.index.map(attrs)
    grand = counts.mean()
    expected = sum(len(v) * (v.mean() - grand) ** 2 for _, v in counts.groupby(grp))
    assert res.statistic == pytest.approx(expected)


def test_group_test_is_quiet_without_a_difference() -> None:
    rng = np.random.default_rng(11)
    p = np.array([0.5, 0.3, 0.2])
    n_pools, overall, label_a, pooled = 50, [], [], []
    for _ in range(n_pools):
        ratings, attrs = _simulate(rng, {"women": p, "men": p}, n_per_group=12, per_annotator=20)
        res = group_test(ratings, attrs, n_permutations=400, seed=int(rng.integers(1 << 30)))
        overall.append(res.p_value)
        label_a.append(res.table.loc["A", "p_value"])
        # the pitfall, on the same simulations: a chi-square on pooled ratings (not offered)
        table = pd.crosstab(ratings["annotator"].map(attrs), ratings["label"])
        pooled.append(stats.chi2_contingency(table.to_numpy())[1])
    limit = 0.05 + 3 * math.sqrt(0.05 * 0.95 / n_pools)
    for p_values in (np.array(overall), np.array(label_a)):
        assert np.mean(p_values < 0.05) < limit
        # roughly uniform, not merely conservative: the mean of 50 uniform p-values is 0.5 +- 0.04
        assert 0.35 < p_values.mean() < 0.65
    # people differ (each draws a personal distribution): the pooled test takes that for a
    # group difference far more often than alpha
    assert np.mean(np.array(pooled) < 0.05) > 2 * limit, np.mean(np.array(pooled) < 0.05)


def test_group_test_is_not_fooled_by_prolific_biased_annotators() -> None:
    """The anti-pooling case: two men rate a thousand items each with a personal bias."""
    rng = np.random.default_rng(5)
    rows, attrs = [], {}
    for g in ("women", "men"):
        for a in range(20):
            name = f"{g}{a}"
            attrs[name] = g
            prolific = g == "men" and a < 2
            n, p_a = (1000, 0.75) if prolific else (30, rng.beta(6, 14))  # everyone else: A ~ 30%
            rows += [
                (int(i), name, "A" if rng.random() < p_a else "B") for i in rng.choice(2000, n, replace=False)
            ]
    ratings = pd.DataFrame(rows, columns=["item", "annotator", "label"])
    table = pd.crosstab(ratings["annotator"].map(attrs), ratings["label"])
    pooled_p = stats.chi2_contingency(table.to_numpy())[1]
    assert pooled_p < 1e-20  # the pooled test on ratings sees a huge "gender effect"
    res = group_test(ratings, attrs, n_permutations=2000)
    assert res.p_value > 0.2  # 2 of 20 men cannot make a group difference
    assert res.table.loc["A", "p_adjusted"] > 0.2


@pytest.mark.skipif(multipletests is None, reason="statsmodels not installed")
@pytest.mark.parametrize("method", ["holm", "bonferroni", "fdr_bh"])
def test_correction_equals_statsmodels(method: str) -> None:
    rng = np.random.default_rng(0)
    for size in (1, 2, 5, 12):
        p = rng.uniform(0, 0.2, size)
        p[: size // 2] = p[0]  # ties
        np.testing.assert_allclose(_adjust_p(p, method), multipletests(p, method=method)[1])  # type: ignore[arg-type]
    np.testing.assert_array_equal(_adjust_p([0.01, 0.5], "none"), [0.01, 0.5])


@pytest.mark.skipif(multipletests is None, reason="statsmodels not installed")
def test_group_test_p_adjusted_is_holm_of_p_value() -> None:
    rng = np.random.default_rng(2)
    ratings, attrs = _simulate(rng, {"women": np.array([0.4, 0.3, 0.3]), "men": np.array([0.3, 0.4, 0.3])})
    res = group_test(ratings, attrs, n_permutations=500)
    np.testing.assert_allclose(res.table["p_adjusted"], multipletests(res.table["p_value"], method="holm")[1])
    # (b + 1) / (B + 1): never 0, multiples of 1 / 501
    b = res.table["p_value"] * 501 - 1
    np.testing.assert_allclose(b, np.round(b), atol=1e-9)
    assert (res.table["p_value"] > 0).all()


# ---------------------------------------------------------------------------
# soft labels
# ---------------------------------------------------------------------------
def test_soft_labels_sum_to_one_and_hand_values() -> None:
    ratings, attrs = _hand_pool()
    soft = soft_labels(ratings)
    labels = ["A", "B"]
    np.testing.assert_allclose(soft[labels].sum(axis=1), 1.0)
    # item 1: 6 + 1 A of 13
    assert soft.loc[1, "A"] == pytest.approx(7 / 13) and soft.loc[1, "n_ratings"] == 13
    per = soft_labels(ratings, groups=attrs, by="gender")
    np.testing.assert_allclose(per[labels].sum(axis=1), 1.0)
    assert list(per.loc[1].index) == [ALL_ANNOTATORS, "man", "woman"]
    assert per.loc[(2, "woman"), "A"] == pytest.approx(0.5)
    assert per.loc[(2, "man"), "A"] == pytest.approx(0.2)
    assert per.loc[(2, ALL_ANNOTATORS), "n_ratings"] == 13  # small groups still count overall
    with pytest.raises(ValueError, match="groups: by='gender' given without groups"):
        soft_labels(ratings, by="gender")


# ---------------------------------------------------------------------------
# jury
# ---------------------------------------------------------------------------
def _jury_pool() -> tuple[pd.DataFrame, dict[str, str]]:
    """Items 0-19: 12 women say A, 8 men say B. Item 20: 12 women A, only 4 men B.
    Item 21: 12 women A, 12 men B (tied overall)."""
    rows, attrs = [], {}
    for w in range(12):
        attrs[f"w{w}"] = "women"
    for m in range(12):
        attrs[f"m{m}"] = "men"
    for i in range(20):
        rows += [(i, f"w{w}", "A") for w in range(12)] + [(i, f"m{m}", "B") for m in range(8)]
    rows += [(20, f"w{w}", "A") for w in range(12)] + [(20, f"m{m}", "B") for m in range(4)]
    rows += [(21, f"w{w}", "A") for w in range(12)] + [(21, f"m{m}", "B") for m in range(12)]
    return pd.DataFrame(rows, columns=["item", "annotator", "label"]), attrs


def test_jury_known_answers() -> None:
    ratings, attrs = _jury_pool()
    women = jury(ratings, attrs, composition={"women": 12})
    assert women.share_differs == 0.0 and women.n_items == 21 and women.n_tied == 1 and women.n_skipped == 0
    men = jury(ratings, attrs, composition={"men": 6})
    assert men.share_differs == 1.0 and men.n_skipped == 1 and men.n_items == 20
    # 6 A vs 6 B: every jury ties, broken at random -> half the juries say B
    mixed = jury(ratings, attrs, composition={"women": 6, "men": 6}, n_resamples=400, seed=3)
    assert mixed.share_differs == pytest.approx(0.5, abs=0.03)
    assert mixed.low < 0.5 < mixed.high
    assert mixed.n_skipped == 1 and mixed.n_tied == 1  # item 20 lacks men, item 21 is tied overall
    assert "6 'women' + 6 'men'" in str(mixed) and "1 item(s) skipped" in str(mixed)
    again = jury(ratings, attrs, composition={"women": 6, "men": 6}, n_resamples=400, seed=3)
    assert again.share_differs == mixed.share_differs  # seeded
    # 7 women + 5 men: the jury always says A
    assert jury(ratings, attrs, composition={"women": 7, "men": 5}).share_differs == 0.0


def test_jury_errors() -> None:
    ratings, attrs = _jury_pool()
    with pytest.raises(ValueError, match=r"composition: no annotator belongs to group\(s\) \['kids'\]"):
        jury(ratings, attrs, composition={"kids": 2})
    with pytest.raises(ValueError, match="composition: give"):
        jury(ratings, attrs)
    with pytest.raises(ValueError, match="composition: no item can seat"):
        jury(ratings, attrs, composition={"men": 13})
