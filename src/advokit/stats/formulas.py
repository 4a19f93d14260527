"""Uncertainty and significance: pure, vectorised functions (numpy arrays or scalars in, arrays out).

Intervals are two-sided at ``confidence`` (95 % by default); every function
returns NaN where its result is undefined (no answers, a proportion outside
[0, 1], fewer than two values for a standard deviation).

* NPS: variance (p + d) − (p − d)² of the per-answer score (+1, 0, −1),
  SE = √(variance / n) on the [−1, 1] scale (R package NPS, Brendan Rocks);
  the interval is NPS ± z·SE, clipped to [−1, 1].
* Proportions: Wilson score interval (Wilson 1927; Newcombe 1998, method 3).
* Means: Student t-interval, mean ± t(n − 1)·s/√n.
* Rates (events per unit of exposure, e.g. actions per active customer): the
  exact (Garwood 1936) interval of the Poisson count, divided by the exposure.

Significance of a difference between two independent samples (two periods,
two segments), two-sided:

* NPS: z = (NPS₁ − NPS₂) / √(SE₁² + SE₂²) (pooled answers' variance when both SEs are 0);
* proportions: two-proportion z-test with the pooled proportion;
* means: Welch's t-test with Welch–Satterthwaite degrees of freedom;
* rates: score z-test on the difference of two Poisson rates with the pooled
  rate r = (x₁ + x₂)/(e₁ + e₂): SE = √(r (1/e₁ + 1/e₂)).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._special import gamma_ppf, gammainc, norm_ppf, norm_sf2, t_ppf, t_sf2

Array = npt.NDArray[np.float64]
Interval = tuple[Array, Array]

#: Alpha of every significance decision (95 % confidence).
ALPHA = 0.05


def _f(x: npt.ArrayLike) -> Array:
    return np.asarray(x, dtype=np.float64)


def z_value(confidence: float = 0.95) -> float:
    """The two-sided normal critical value (1.959964 for 95 %)."""
    return float(norm_ppf(1.0 - (1.0 - confidence) / 2.0))


# --------------------------------------------------------------------- NPS
def nps_from_scores(scores: npt.ArrayLike) -> tuple[int, int, int]:
    """(promoters, passives, detractors) of 0–10 answers: 9–10, 7–8, 0–6."""
    s = _f(scores)
    return int(np.sum(s >= 9)), int(np.sum((s >= 7) & (s < 9))), int(np.sum(s <= 6))


def nps_value(promoters: npt.ArrayLike, detractors: npt.ArrayLike, n: npt.ArrayLike) -> Array:
    """NPS on the [−1, 1] scale."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.where(_f(n) > 0, (_f(promoters) - _f(detractors)) / _f(n), np.nan)


def nps_variance(promoters: npt.ArrayLike, detractors: npt.ArrayLike, n: npt.ArrayLike) -> Array:
    """Variance of one answer's score (+1 promoter, 0 passive, −1 detractor): (p + d) − (p − d)²."""
    n = _f(n)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        p = _f(promoters) / n
        d = _f(detractors) / n
        return np.where(n > 0, (p + d) - (p - d) ** 2, np.nan)


def nps_se(promoters: npt.ArrayLike, detractors: npt.ArrayLike, n: npt.ArrayLike) -> Array:
    """Standard error of the NPS on the [−1, 1] scale: √(variance / n)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.sqrt(nps_variance(promoters, detractors, n) / _f(n))


def nps_interval(promoters: npt.ArrayLike, detractors: npt.ArrayLike, n: npt.ArrayLike, *,
                 confidence: float = 0.95, z: float | None = None) -> Interval:
    """NPS ± z·SE on the [−1, 1] scale, clipped to [−1, 1]."""
    z = z_value(confidence) if z is None else z
    value = nps_value(promoters, detractors, n)
    half = z * nps_se(promoters, detractors, n)
    return np.clip(value - half, -1.0, 1.0), np.clip(value + half, -1.0, 1.0)


# ------------------------------------------------------------- proportions
def wilson_interval(successes: npt.ArrayLike, n: npt.ArrayLike, *, confidence: float = 0.95) -> Interval:
    """Wilson score interval of a proportion; NaN when n = 0 or successes outside [0, n]."""
    x, n = _f(successes), _f(n)
    z = z_value(confidence)
    valid = (n > 0) & (x >= 0) & (x <= n)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        p = x / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(x == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return np.where(valid, lo, np.nan), np.where(valid, hi, np.nan)


def proportion_se(successes: npt.ArrayLike, n: npt.ArrayLike) -> Array:
    """√(p(1 − p)/n); NaN when undefined."""
    x, n = _f(successes), _f(n)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        p = x / n
        return np.where((n > 0) & (x >= 0) & (x <= n), np.sqrt(p * (1 - p) / n), np.nan)


# ------------------------------------------------------------------ means
def sd_from_sums(total: npt.ArrayLike, sum_squares: npt.ArrayLike, n: npt.ArrayLike) -> Array:
    """Sample standard deviation (n − 1) from Σx, Σx² and n; NaN when n < 2."""
    total, ss, n = _f(total), _f(sum_squares), _f(n)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        var = (ss - total * total / n) / (n - 1)
    var = np.where(var < 0, 0.0, var)  # rounding of equal values
    return np.where(n >= 2, np.sqrt(var), np.nan)


def mean_se(sd: npt.ArrayLike, n: npt.ArrayLike) -> Array:
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.where(_f(n) >= 2, _f(sd) / np.sqrt(_f(n)), np.nan)


def t_critical(df: npt.ArrayLike, *, confidence: float = 0.95) -> Array:
    """The two-sided Student t critical value (2.262157 for df 9 at 95 %); NaN when df < 1."""
    df = _f(df)
    return t_ppf(1.0 - (1.0 - confidence) / 2.0, np.where(df >= 1, df, np.nan))


def t_interval(mean: npt.ArrayLike, sd: npt.ArrayLike, n: npt.ArrayLike, *, confidence: float = 0.95) -> Interval:
    """mean ± t(1 − α/2, n − 1)·sd/√n; NaN when n < 2."""
    n = _f(n)
    half = t_critical(n - 1.0, confidence=confidence) * mean_se(sd, n)
    return _f(mean) - half, _f(mean) + half


# ------------------------------------------------------------------ rates
def poisson_interval(count: npt.ArrayLike, *, confidence: float = 0.95) -> Interval:
    """Exact (Garwood) interval of a Poisson count: Gamma quantiles α/2 at x and 1 − α/2 at x + 1."""
    x = _f(count)
    alpha = 1.0 - confidence
    valid = x >= 0
    xs = np.where(valid, x, 0.0)
    lo = np.where(xs > 0, gamma_ppf(alpha / 2.0, np.where(xs > 0, xs, 1.0)), 0.0)
    hi = gamma_ppf(1.0 - alpha / 2.0, xs + 1.0)
    return np.where(valid, lo, np.nan), np.where(valid, hi, np.nan)


def rate_interval(count: npt.ArrayLike, exposure: npt.ArrayLike, *, confidence: float = 0.95) -> Interval:
    """Interval of count / exposure (Poisson count, fixed exposure); NaN when exposure is 0."""
    lo, hi = poisson_interval(count, confidence=confidence)
    e = _f(exposure)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.where(e > 0, lo / e, np.nan), np.where(e > 0, hi / e, np.nan)


def rate_se(count: npt.ArrayLike, exposure: npt.ArrayLike) -> Array:
    x, e = _f(count), _f(exposure)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.where((e > 0) & (x >= 0), np.sqrt(x) / e, np.nan)


def poisson_upper_tail(count: npt.ArrayLike, mean: npt.ArrayLike) -> Array:
    """P(X ≥ count) for X ~ Poisson(mean): the regularised lower gamma P(count, mean); 1 for a count of 0,
    0 for a positive count when the mean is 0; NaN for a negative count or mean."""
    x, m = np.broadcast_arrays(_f(count), _f(mean))
    valid = (x >= 0) & (m >= 0)
    pos = valid & (x > 0) & (m > 0)
    tail = gammainc(np.where(pos, x, 1.0), np.where(pos, m, 1.0))
    out = np.where(pos, tail, np.where(x == 0, 1.0, 0.0))
    return np.where(valid, out, np.nan)


# ------------------------------------------------------------ significance
def z_test_p(difference: npt.ArrayLike, se: npt.ArrayLike) -> Array:
    """Two-sided p-value of difference / se under a standard normal.

    With no variance at all (se = 0) there is nothing to test: 1 when the
    difference is 0 too, else NaN (e.g. one answer against one answer).
    """
    diff, se = _f(difference), _f(se)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        p = norm_sf2(diff / se)
    return np.where(se == 0, np.where(diff == 0, 1.0, np.nan), p)


def nps_difference_test(promoters1: npt.ArrayLike, detractors1: npt.ArrayLike, n1: npt.ArrayLike,
                        promoters2: npt.ArrayLike, detractors2: npt.ArrayLike, n2: npt.ArrayLike) -> Array:
    """Two-sided p-value of NPS₁ − NPS₂: z-test with the two variances.

    When both samples have no variance (every answer alike, e.g. all promoters
    against all detractors) the two-variance SE is 0; the test then uses the
    variance of the pooled answers, the distribution both would share if the
    NPS were equal (as the pooled two-proportion test does).
    """
    diff = nps_value(promoters1, detractors1, n1) - nps_value(promoters2, detractors2, n2)
    se = np.sqrt(nps_se(promoters1, detractors1, n1) ** 2 + nps_se(promoters2, detractors2, n2) ** 2)
    n1, n2 = _f(n1), _f(n2)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        pooled = nps_variance(_f(promoters1) + _f(promoters2), _f(detractors1) + _f(detractors2), n1 + n2)
        pooled_se = np.sqrt(pooled * (1 / n1 + 1 / n2))
    return z_test_p(diff, np.where(se == 0, pooled_se, se))


def two_proportion_test(x1: npt.ArrayLike, n1: npt.ArrayLike, x2: npt.ArrayLike, n2: npt.ArrayLike) -> Array:
    """Two-sided p-value of p₁ − p₂, pooled two-proportion z-test (= Pearson χ² without correction)."""
    x1, n1, x2, n2 = _f(x1), _f(n1), _f(x2), _f(n2)
    valid = (n1 > 0) & (n2 > 0) & (x1 >= 0) & (x2 >= 0) & (x1 <= n1) & (x2 <= n2)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p = z_test_p(x1 / n1 - x2 / n2, se)
    return np.where(valid, p, np.nan)


def welch_df(se1: npt.ArrayLike, n1: npt.ArrayLike, se2: npt.ArrayLike, n2: npt.ArrayLike) -> Array:
    """Welch–Satterthwaite degrees of freedom from the two standard errors; NaN when either n < 2."""
    v1, v2, n1, n2 = _f(se1) ** 2, _f(se2) ** 2, _f(n1), _f(n2)
    valid = (n1 >= 2) & (n2 >= 2)
    m1, m2 = np.where(valid, n1, 2.0), np.where(valid, n2, 2.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        df = (v1 + v2) ** 2 / (v1 * v1 / (m1 - 1) + v2 * v2 / (m2 - 1))
    return np.where(valid, df, np.nan)


def welch_test(mean1: npt.ArrayLike, se1: npt.ArrayLike, n1: npt.ArrayLike,
               mean2: npt.ArrayLike, se2: npt.ArrayLike, n2: npt.ArrayLike) -> Array:
    """Two-sided p-value of mean₁ − mean₂ (Welch's t-test); NaN when either n < 2.

    The sizes are checked before any distribution is evaluated: with n = 1 the degrees of freedom
    are undefined (they once reached ``lgamma(0)``, which raised "math domain error").
    """
    diff = _f(mean1) - _f(mean2)
    se = np.sqrt(_f(se1) ** 2 + _f(se2) ** 2)
    valid = (_f(n1) >= 2) & (_f(n2) >= 2)
    df = welch_df(se1, n1, se2, n2)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        p = t_sf2(diff / se, df)
    p = np.where(se == 0, np.where(diff == 0, 1.0, np.nan), p)  # no variance: nothing to test
    return np.where(valid, p, np.nan)


def rate_difference_test(x1: npt.ArrayLike, e1: npt.ArrayLike, x2: npt.ArrayLike, e2: npt.ArrayLike) -> Array:
    """Two-sided p-value of x₁/e₁ − x₂/e₂ for Poisson counts over fixed exposures."""
    x1, e1, x2, e2 = _f(x1), _f(e1), _f(x2), _f(e2)
    valid = (e1 > 0) & (e2 > 0) & (x1 >= 0) & (x2 >= 0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        pooled = (x1 + x2) / (e1 + e2)  # the common rate under the null hypothesis (score test)
        p = z_test_p(x1 / e1 - x2 / e2, np.sqrt(pooled * (1 / e1 + 1 / e2)))
    return np.where(valid, p, np.nan)


def is_significant(p_value: npt.ArrayLike, *, alpha: float = ALPHA) -> npt.NDArray[np.bool_]:
    """p < alpha (False where the p-value is undefined)."""
    p = _f(p_value)
    return np.where(np.isnan(p), False, p < alpha)
