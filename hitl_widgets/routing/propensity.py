"""Review probabilities: route with known probabilities, so that every review counts.

A randomised `Router` (``review_budget=``) sends each item to a person with a probability
it knows and stores with the item's route event: 1 for what a person must see (a policy
hit, a label always reviewed, a confidence under the threshold) and for the least confident
of the rest, and a floor probability for the others, so that no item is certain to go
through unseen; the cut is placed so that the expected share reviewed is the budget. (A
router with thresholds and an ``audit_rate`` is the same design: 1 below the thresholds,
the audit rate above.) Every reviewed item then counts towards the guarantee, whatever the
reason it was sent: the statistics are here.

* `stratified_pvalues` (when the probabilities come in levels and at most one level is
  reviewed in part, as a randomised router's do): within a level, the items that went to a
  person are a uniform random sample of it, so for each threshold the errors of the fully
  reviewed levels are known and the errors found in the sampled level are hypergeometric;
  the p-value of "more than alpha of the items above the threshold are wrong" is exact. The
  guarantee is about the routed items themselves (design-based): no assumption on how the
  items were drawn, only on the review draw, which the router makes.
* `betting_pvalues` (any probabilities, e.g. one per item): every routed item in route order
  contributes ``L = 1[c >= t] * (reviewed * wrong / p - alpha)`` (inverse propensity
  weighting: unbiased for the error whatever p is); under the null ``E[L] >= 0``, so the
  capital ``prod(1 - lambda_i * L_i)`` with bets chosen from the past only is a nonnegative
  supermartingale, and by Ville's inequality it reaches ``1/delta`` with probability at
  most delta however long the sequence is watched (Waudby-Smith & Ramdas, "Estimating means
  of bounded random variables by betting", JRSS-B 2024; for risk control with review
  probabilities, Xu, Karampatziakis & Mineiro, NeurIPS 2024). Anytime-valid, for
  exchangeable routed items; the bets are capped by the heaviest weight 1 / floor, so a low
  floor makes the bound much wider.
* `betting_interval` / `stratified_error_bounds`: intervals for the error of what went
  through unreviewed (`audit_estimate(..., audit="propensity")`).

Why levels and not a smooth curve (say ``k * sqrt(1 - confidence)``, the allocation that
minimises the variance of the weighted estimate): with one probability per item only the
betting bound applies, and in simulations here (4,000 items, alpha 0.1) it certified far
less than the exact test on the same number of reviews.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: how much of the largest safe bet the e-process may stake (1 would let one heavy error
#: wipe the capital out for good; Waudby-Smith & Ramdas truncate at 1/2; 3/4 certified more
#: at low floors in simulations here, and any value below 1 keeps the bound valid)
BET_CAP = 0.75
#: pseudo-observations of the prior guess behind the first bets (see `_bets`)
_PRIOR_WEIGHT = 4.0


def review_probabilities(
    confidence: np.ndarray,
    required: np.ndarray,
    *,
    budget: float,
    floor: float,
) -> tuple[np.ndarray, float]:
    """The review probability of each item, and the confidence cut below which it is 1.

    Two levels: 1 for the items a person must see (`required`) and for the least confident
    other items, `floor` for the rest, with the cut placed so that the mean probability over
    all items is `budget`. Why two levels and not a smooth curve: within one level the items
    that went to a person are a uniform random sample of the level, so the errors among the
    items of a level reviewed in part are tested exactly (hypergeometric), and the fully
    reviewed ones are known; a smooth curve (one probability per item) leaves only inverse
    weights, whose bound is much wider for the same reviews (see `stratified_pvalues`).
    When the required items and the floor already spend the budget, every other item gets
    the floor (the expected share reviewed is then above the budget: the routing summary
    says so)."""
    conf = np.asarray(confidence, dtype=float)
    req = np.asarray(required, dtype=bool)
    n = conf.size
    p = np.ones(n)
    free = np.flatnonzero(~req)
    if free.size == 0:
        return p, 0.0
    # m least confident free items at 1, the others at the floor:
    # (required + m + floor * (free - m)) / n = budget
    m = (budget * n - req.sum() - floor * free.size) / max(1.0 - floor, 1e-12)
    m = int(np.clip(math.floor(m + 1e-9), 0, free.size))
    order = free[np.argsort(conf[free], kind="stable")]
    p[order[m:]] = floor
    cut = float(conf[order[m]]) if m < free.size else 1.0
    return p, cut


def _bets(loss: np.ndarray, active: np.ndarray, cap: float, guess_gain: float, guess_sq: float) -> np.ndarray:
    """Predictable bets (aGRAPA: the growth-optimal bet ``E[-L] / E[L^2]`` of the mean and
    second moment seen so far), row by row: one row per threshold, one column per item.

    Item i's bet uses items before i only (the cumulative sums are shifted by one), starts
    from a prior guess weighted as `_PRIOR_WEIGHT` items, and is clipped to ``[0, cap]``
    where ``cap`` keeps ``1 - lambda * L`` above zero for the largest possible loss."""
    gain = np.where(active, -loss, 0.0)
    sq = np.where(active, loss * loss, 0.0)
    cnt = np.cumsum(active, axis=1) - active
    s1 = np.cumsum(gain, axis=1) - gain
    s2 = np.cumsum(sq, axis=1) - sq
    m = (_PRIOR_WEIGHT * guess_gain + s1) / (_PRIOR_WEIGHT + cnt)
    v = (_PRIOR_WEIGHT * guess_sq + s2) / (_PRIOR_WEIGHT + cnt)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(v > 0, m / v, cap)
    return np.clip(lam, 0.0, cap)


def _log_capital(
    confidence: np.ndarray,
    weighted: np.ndarray,
    grid: np.ndarray,
    alpha: float,
    top: float,
) -> np.ndarray:
    """The running maximum, over the sequence, of the log-capital for each threshold."""
    cap = BET_CAP / max(top - alpha, 1e-12)
    n = confidence.size
    out = np.empty(grid.size)
    # the prior guess: an error rate of alpha / 2 (a threshold worth testing), seen at the
    # weight of an average item
    mean_w = 1.0 / max(float(np.mean(weighted[weighted > 0])) if (weighted > 0).any() else 1.0, 1e-12)
    guess_gain = alpha / 2.0
    guess_sq = (alpha / 2.0) / max(mean_w, 1e-12) + alpha * alpha
    rows = max(1, int(2_000_000 // max(n, 1)))  # thresholds per block: bounded memory
    for s in range(0, grid.size, rows):
        g = grid[s : s + rows]
        active = confidence[None, :] >= g[:, None]
        loss = np.where(active, weighted[None, :] - alpha, 0.0)
        lam = _bets(loss, active, cap, guess_gain, guess_sq)
        with np.errstate(divide="ignore"):
            logk = np.cumsum(np.log1p(-lam * loss), axis=1)
        out[s : s + rows] = np.maximum(logk.max(axis=1), 0.0) if n else 0.0
    return out


@dataclass
class WeightedSample:
    """Every routed item in route order: its confidence, whether a person reviewed it, whether
    the model was wrong (for reviewed items), and its review probability."""

    confidence: np.ndarray
    reviewed: np.ndarray
    wrong: np.ndarray
    probability: np.ndarray

    def __post_init__(self) -> None:
        self.confidence = np.asarray(self.confidence, dtype=float)
        self.reviewed = np.asarray(self.reviewed, dtype=bool)
        self.wrong = np.asarray(self.wrong, dtype=bool) & self.reviewed
        self.probability = np.asarray(self.probability, dtype=float)

    @property
    def floor(self) -> float:
        """The smallest review probability: it sets the heaviest weight an error can carry."""
        return float(self.probability.min()) if self.probability.size else 1.0

    @property
    def weighted(self) -> np.ndarray:
        """``reviewed * wrong / p``: unbiased for each item's error, whatever its probability."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.wrong, 1.0 / self.probability, 0.0)

    def error_estimate(self, threshold: float) -> float:
        """The weighted (Horvitz-Thompson) estimate of the error among items with
        confidence >= threshold (unbiased; no bound)."""
        above = self.confidence >= threshold
        return float(self.weighted[above].sum() / above.sum()) if above.any() else float("nan")


def betting_pvalues(sample: WeightedSample, grid: np.ndarray, alpha: float) -> np.ndarray:
    """Anytime-valid p-values, one per threshold in `grid`, of "the error among items with
    confidence >= threshold is above alpha" (see the module's docstring)."""
    grid = np.asarray(grid, dtype=float)
    if sample.probability.size and (sample.probability <= 0).any():
        raise ValueError("review probabilities must be above zero")
    top = 1.0 / sample.floor
    logk = _log_capital(sample.confidence, sample.weighted, grid, alpha, top)
    return np.minimum(1.0, np.exp(-logk))


def most_per_item_gain(alpha: float, floor: float) -> float:
    """The log-capital one error-free item above the threshold adds at most: bets are capped
    at ``BET_CAP / (1/floor - alpha)`` and each such item has loss ``-alpha``."""
    return math.log1p(BET_CAP * alpha / max(1.0 / floor - alpha, 1e-12))


def items_needed(alpha: float, delta: float, floor: float) -> int:
    """The least number of routed items above a threshold that can certify it, even with no
    error among them, at this floor."""
    return math.ceil(math.log(1.0 / delta) / most_per_item_gain(alpha, floor))


def floor_needed(alpha: float, delta: float, n: int) -> float | None:
    """The least floor at which `n` error-free items above a threshold could certify it."""
    if n <= 0:
        return None
    lo, hi = 1e-9, 1.0
    if items_needed(alpha, delta, hi) > n:
        return None
    for _ in range(60):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if items_needed(alpha, delta, mid) > n else (lo, mid)
    return hi


# -- stratified: items with the same review probability ---------------------------------
def strata_of(probability: np.ndarray) -> np.ndarray:
    """A stratum code per item: items with the same review probability share one."""
    return np.unique(np.asarray(probability, dtype=float), return_inverse=True)[1]


def _counts(sample: WeightedSample, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N (items), n (reviewed) and k (errors found) per stratum among `mask`."""
    codes = strata_of(sample.probability)
    s = int(codes.max()) + 1 if codes.size else 0
    return (
        np.bincount(codes[mask], minlength=s),
        np.bincount(codes[mask & sample.reviewed], minlength=s),
        np.bincount(codes[mask & sample.wrong], minlength=s),
    )


def stratifiable(sample: WeightedSample) -> bool:
    """Whether at most one level of review probability is reviewed in part (the others in
    full): then `stratified_pvalues` gives exact p-values. A `Router` with `review_budget`
    (two levels) or with thresholds and an `audit_rate` (likewise) always qualifies."""
    big_n, n, _ = _counts(sample, np.ones(sample.confidence.size, bool))
    return int(((n < big_n) & (big_n > 0)).sum()) <= 1


def _exact_pvalue(big_n: np.ndarray, n: np.ndarray, k: np.ndarray, alpha: float) -> float:
    """P-value of "more than alpha of these items are wrong" when every stratum but (at most)
    one was reviewed in full: the errors of the full ones are known, and in the other the
    reviewed items are a uniform random sample (given their number), so its errors found
    are hypergeometric; the null's least favourable case is the fewest errors it allows
    there, which makes this p-value exact."""
    from scipy import stats

    total = int(big_n.sum())
    limit = math.floor(alpha * total)  # the null: more than alpha * total wrong items
    full = n >= big_n
    known = int(k[full].sum())
    part = np.flatnonzero(~full & (big_n > 0))
    if part.size == 0:
        return 0.0 if known <= limit else 1.0
    j = int(part[0])
    need = limit + 1 - known  # wrong items the partial stratum holds at least, under the null
    if need <= int(k[j]):
        return 1.0
    if need > int(big_n[j]) - (int(n[j]) - int(k[j])):
        return 0.0  # the null would need more errors than the stratum can hold
    return float(stats.hypergeom.cdf(int(k[j]), int(big_n[j]), need, int(n[j])))


def stratified_pvalues(sample: WeightedSample, grid: np.ndarray, alpha: float) -> np.ndarray:
    """For each threshold t, the exact p-value of "more than alpha of the items with
    confidence >= t are wrong" (see `_exact_pvalue`): a design-based guarantee about the
    routed items themselves. Needs `stratifiable`. Not anytime-valid: calibrate once the
    selected reviews are in (pending ones count as errors)."""
    out = np.ones(len(grid))
    for j, t in enumerate(np.asarray(grid, dtype=float)):
        above = sample.confidence >= t
        if above.any():
            out[j] = _exact_pvalue(*_counts(sample, above), alpha)
    return out


def stratified_error_bounds(sample: WeightedSample, confidence: float) -> tuple[int, int]:
    """Exact two-sided bounds at `confidence` on the number of wrong items among those that
    went through unreviewed (all in the one stratum reviewed in part): the counts of wrong
    items in that stratum that the hypergeometric tails do not reject, minus those found."""
    from scipy import stats

    big_n, n, k = _counts(sample, np.ones(sample.confidence.size, bool))
    part = np.flatnonzero((n < big_n) & (big_n > 0))
    if part.size == 0:
        return (0, 0)
    j = int(part[0])
    nn, kk, big = int(n[j]), int(k[j]), int(big_n[j])
    level = (1.0 - confidence) / 2.0
    w = np.arange(kk, big - (nn - kk) + 1)
    keep = (stats.hypergeom.cdf(kk, big, w, nn) > level) & (stats.hypergeom.sf(kk - 1, big, w, nn) > level)
    if not keep.any():
        return (0, big - nn)
    return (int(w[keep].min()) - kk, int(w[keep].max()) - kk)


def betting_interval(values: np.ndarray, top: float, confidence: float) -> tuple[float, float]:
    """An anytime-valid two-sided interval for the mean of `values` in ``[0, top]`` (i.i.d. in
    the given order): the means ``m`` that neither one-sided betting test (each at level
    ``(1 - confidence) / 2``) rejects; each end is found by bisection (to 1e-12 of the range,
    on the side of the end that is rejected)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0 or top <= 0:
        return (0.0, 1.0 if top <= 0 else float(top))
    y = np.clip(x / top, 0.0, 1.0)
    level = (1.0 - confidence) / 2.0
    active = np.ones((1, y.size), bool)

    def rejected(ms_: np.ndarray, upper: bool) -> np.ndarray:
        out = np.zeros(ms_.size, bool)
        for i, m in enumerate(ms_):
            # upper: H0 "mean >= m", loss y - m (<= 1 - m); lower: H0 "mean <= m", loss m - y
            loss = (y - m) if upper else (m - y)
            room = (1.0 - m) if upper else m
            if room <= 0:
                continue
            cap = BET_CAP / room
            lam = _bets(loss[None, :], active, cap, guess_gain=room / 2, guess_sq=room * room / 4 + 1e-12)
            with np.errstate(divide="ignore"):
                logk = np.cumsum(np.log1p(-lam[0] * loss))
            out[i] = logk.max() >= math.log(1.0 / level)
        return out

    def boundary(upper: bool) -> float:
        # bisection between the sample mean (never rejected) and the end of the range: the
        # tests reject more the further m is from the mean
        inside, outside = float(y.mean()), (1.0 if upper else 0.0)
        if not rejected(np.array([outside]), upper)[0]:
            return outside
        for _ in range(40):
            mid = (inside + outside) / 2.0
            if rejected(np.array([mid]), upper)[0]:
                outside = mid
            else:
                inside = mid
        return outside

    hi, lo = boundary(True), boundary(False)
    return (max(0.0, lo) * top, min(1.0, hi) * top)
