"""Statistics for watching the automated part: an anytime-valid interval for the audited
error rate, and the error the confidences alone predict.

`beta_mixture_cs` is the confidence *sequence* for a Bernoulli rate from the
beta-binomial mixture martingale (Robbins 1970; Howard, Ramdas, McAuliffe & Sekhon 2021,
"Time-uniform, nonparametric, nonasymptotic confidence sequences", Annals of Statistics).
For a fixed rate p the mixture likelihood ratio

    M_n(p) = B(a + k, b + n - k) / B(a, b)  /  (p^k (1 - p)^(n - k))

(k errors in n audits, a Beta(a, b) mixture over the alternative) is a nonnegative
martingale with mean 1, so by Ville's inequality it ever reaches 1/alpha with probability
at most alpha. The set {p : M_n(p) < 1/alpha} therefore covers the true rate at *every* n
at once with probability at least 1 - alpha: it may be looked at after every audit, which a
Clopper-Pearson interval recomputed after every audit may not (it then misses far more
often than alpha). The assumption is one constant error rate over the whole sequence of
audits; after a known change (a new model, a new threshold) restart the sequence.

`expected_error` is the calibration-based estimate of the error among unchecked items
(as NannyML's CBPE does for accuracy): if the model is calibrated on the current data, an
item with confidence c is wrong with probability 1 - c.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize, special

#: the default Beta(a, b) mixture of `beta_mixture_cs`: Beta(1, 1), the uniform. A prior
#: centred on small rates (say Beta(0.5, 9.5)) is narrower near them and wider elsewhere;
#: the guarantee holds for any prior fixed before the audits are seen.
DEFAULT_PRIOR: tuple[float, float] = (1.0, 1.0)


def _check_level(alpha: Any, name: str = "alpha") -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {alpha!r}")
    return float(alpha)


def _check_prior(prior: Any) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in prior)
    except (TypeError, ValueError):
        raise ValueError(f"prior must be a pair (a, b) of positive numbers, got {prior!r}") from None
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"prior must be a pair (a, b) of positive numbers, got {prior!r}")
    return a, b


def _check_counts(errors: Any, n: Any) -> tuple[int, int]:
    for name, v in (("errors", errors), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {v!r}")
    if not 0 <= int(errors) <= int(n):
        raise ValueError(f"errors must be in [0, n]: got errors={errors!r}, n={n!r}")
    return int(errors), int(n)


def log_mixture_ratio(p: float, errors: int, n: int, prior: tuple[float, float]) -> float:
    """log M_n(p), the beta-binomial mixture likelihood ratio at rate `p` in (0, 1)."""
    a, b = prior
    k = errors
    return float(
        special.betaln(a + k, b + n - k)
        - special.betaln(a, b)
        - (k * math.log(p) if k else 0.0)
        - ((n - k) * math.log1p(-p) if n - k else 0.0)
    )


def _lower_end(errors: int, n: int, alpha: float, prior: tuple[float, float]) -> float:
    """The lower end of {p : M_n(p) < 1/alpha}. log M_n is convex in p with its minimum
    (below 0, since the mixture never beats the maximum likelihood) at k/n, and it grows
    without bound as p -> 0 when k > 0: the end is the one root below k/n."""
    if errors == 0:
        return 0.0  # M_n(p) -> B(a, b + n) / B(a, b) < 1 as p -> 0: no p near 0 is excluded
    level = math.log(1.0 / alpha)

    def f(p: float) -> float:
        return log_mixture_ratio(p, errors, n, prior) - level

    tiny = 1e-300
    if f(tiny) < 0:
        return 0.0
    return float(optimize.brentq(f, tiny, errors / n, xtol=1e-15, rtol=1e-13))


def beta_mixture_cs(
    errors: int, n: int, alpha: float = 0.05, prior: Sequence[float] = DEFAULT_PRIOR
) -> tuple[float, float]:
    """The anytime-valid (1 - alpha) confidence sequence for an error rate, at `errors`
    errors in `n` audits: the rates p whose beta-binomial mixture likelihood ratio is below
    1/alpha (see the module's docstring). It covers the true rate at every n at once with
    probability at least 1 - alpha, *assuming one constant rate over the sequence* (restart
    it after a change). ``(0, 1)`` when n = 0. Each end is solved with brentq on the log.
    """
    k, n = _check_counts(errors, n)
    alpha = _check_level(alpha)
    ab = _check_prior(prior)
    if n == 0:
        return (0.0, 1.0)
    low = _lower_end(k, n, alpha, ab)
    # the upper end of p is one minus the lower end of 1 - p (errors and successes swapped):
    # solving near 0 keeps the precision that 1 - p near 1 would lose
    high = 1.0 - _lower_end(n - k, n, alpha, (ab[1], ab[0]))
    return (low, high)


# -- the error the confidences predict ---------------------------------------------------
def poisson_binomial_pmf(p: np.ndarray) -> np.ndarray:
    """P(sum of independent Bernoulli(p_i) = j) for j = 0..n, exactly up to rounding: the
    product of the polynomials (1 - p_i + p_i z), multiplied pairwise by FFT in a balanced
    tree (O(n log^2 n); scipy's `poisson_binom` is quadratic and too slow at 10^5 items)."""
    p = np.clip(np.asarray(p, dtype=float).ravel(), 0.0, 1.0)
    n = p.size
    if n == 0:
        return np.ones(1)
    size = 1 << max(0, (n - 1).bit_length())  # pad with p = 0 (the polynomial 1)
    polys = np.zeros((size, 2))
    polys[:, 0] = 1.0
    polys[:n, 0] = 1.0 - p
    polys[:n, 1] = p
    while polys.shape[0] > 1:
        length = polys.shape[1]
        nfft = 2 * length  # >= 2 length - 1, the product's length
        fa = np.fft.rfft(polys[0::2], nfft, axis=1)
        fb = np.fft.rfft(polys[1::2], nfft, axis=1)
        polys = np.fft.irfft(fa * fb, nfft, axis=1)[:, : 2 * length - 1]
        np.clip(polys, 0.0, None, out=polys)  # rounding leaves tiny negatives in the tails
    pmf = polys[0, : n + 1]
    return np.asarray(pmf / pmf.sum(), dtype=float)


class ExpectedError(tuple[Any, ...]):
    """``(estimate, (low, high))``: the error the confidences predict among unchecked items,
    with the central interval of the realised error rate at `confidence`. Also ``.n``,
    ``.confidence`` and ``.assumption`` (the estimate is only as good as it)."""

    estimate: float
    interval: tuple[float, float]
    n: int
    confidence: float
    assumption: str

    def __new__(
        cls, estimate: float, interval: tuple[float, float], n: int, confidence: float
    ) -> ExpectedError:
        self = super().__new__(cls, (estimate, interval))
        self.estimate, self.interval, self.n, self.confidence = estimate, interval, n, confidence
        self.assumption = (
            "the model is calibrated on the current data (an item with confidence c is wrong "
            "with probability 1 - c) and items are wrong independently; drift can break this"
        )
        return self

    def __repr__(self) -> str:
        lo, hi = self.interval
        return (
            f"ExpectedError(estimate={self.estimate:.4g}, interval=({lo:.4g}, {hi:.4g}), "
            f"n={self.n}, confidence={self.confidence:.4g})"
        )

    def __str__(self) -> str:
        if self.n == 0:
            return "No item to estimate the error of."
        lo, hi = self.interval
        return (
            f"Expected error among {self.n:,} unchecked items: {100 * self.estimate:.2f}% "
            f"({100 * self.confidence:.0f}% interval {100 * lo:.2f}% to {100 * hi:.2f}%), "
            f"assuming {self.assumption}."
        )


def expected_error(confidence: Any, *, level: float = 0.95) -> ExpectedError:
    """The error among unchecked items predicted from the model's confidences alone:
    the mean of ``1 - confidence`` (CBPE-style), with the central `level` interval of the
    realised error rate (the number of errors is then Poisson-binomial with probabilities
    ``1 - confidence``; computed exactly). Valid only if the model is calibrated on the
    current data: compare it with the audited error (`audit_error`) to see whether it is.
    """
    conf = np.asarray(confidence, dtype=float).ravel()
    level = _check_level(level, "level")
    if conf.size and (np.isnan(conf).any() or (conf < 0).any() or (conf > 1).any()):
        raise ValueError("confidence: values missing or outside [0, 1]")
    n = conf.size
    if n == 0:
        return ExpectedError(float("nan"), (0.0, 1.0), 0, level)
    p_wrong = 1.0 - conf
    tail = (1.0 - level) / 2.0
    if n > EXACT_UP_TO:
        lo, hi = _refined_normal_quantiles(p_wrong, tail)
        return ExpectedError(float(p_wrong.mean()), (lo / n, hi / n), n, level)
    cdf = np.cumsum(poisson_binomial_pmf(p_wrong))
    # quantile: the least count whose cdf reaches q (a small tolerance for rounding)
    lo = int(np.searchsorted(cdf, tail - 1e-12, side="left"))
    hi = int(np.searchsorted(cdf, 1.0 - tail - 1e-12, side="left"))
    return ExpectedError(float(p_wrong.mean()), (lo / n, min(hi, n) / n), n, level)


#: Up to this many items `expected_error`'s interval is the exact Poisson-binomial one;
#: above it, the refined normal approximation (the exact pmf of 400,000 items took 0.75 s
#: at every refresh of the live monitor; at this size the two quantiles differ by at most
#: a count or two, 1e-4 of the rate: tests/test_monitor.py compares them).
EXACT_UP_TO = 20_000


def _refined_normal_quantiles(p: np.ndarray, tail: float) -> tuple[int, int]:
    """The `tail` and `1 - tail` quantiles (counts) of a Poisson-binomial with
    probabilities `p`: the refined normal approximation (a skewness-corrected normal with
    continuity correction, Volkova 1996 / Hong 2013), inverted by Cornish-Fisher."""
    from scipy.stats import norm

    n = p.size
    mu = float(p.sum())
    var = float((p * (1.0 - p)).sum())
    if var <= 0.0:  # every probability 0 or 1: the count is certain
        k = round(mu)
        return k, k
    sd = math.sqrt(var)
    gamma = float((p * (1.0 - p) * (1.0 - 2.0 * p)).sum()) / sd**3

    def quantile(q: float) -> int:
        z = float(norm.ppf(q))
        x = z + gamma * (z * z - 1.0) / 6.0
        return int(min(max(math.ceil(mu + sd * x - 0.5), 0), n))

    return quantile(tail), quantile(1.0 - tail)
