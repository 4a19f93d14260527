"""Special functions for the statistics, vectorised with numpy (no SciPy).

* ``norm_cdf`` / ``norm_sf2`` / ``norm_ppf``: the standard normal distribution
  (``math.erfc`` as a ufunc; Acklam's inverse refined by one Halley step).
* ``betainc``: the regularised incomplete beta function I_x(a, b) by Lentz's
  continued fraction (Numerical Recipes, section 6.4).
* ``t_sf2`` / ``t_ppf``: Student's t two-sided tail and quantile.

Accuracy is near machine precision for the arguments the analysis uses
(probabilities in (1e-12, 1 - 1e-12), degrees of freedom >= 1).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

def _lgamma_scalar(x: float) -> float:
    """ln|Γ(x)|, total: +inf at the poles (0, −1, −2, …) and where it overflows; NaN stays NaN.

    ``math.lgamma`` raises there ("math domain error"); a statistic must never raise on a small sample.
    """
    try:
        return math.lgamma(x)
    except (ValueError, OverflowError):
        return math.inf


_erfc = np.frompyfunc(math.erfc, 1, 1)
_lgamma = np.frompyfunc(_lgamma_scalar, 1, 1)


def _f(x: npt.ArrayLike) -> Array:
    return np.asarray(x, dtype=np.float64)


def erfc(x: npt.ArrayLike) -> Array:
    """Complementary error function, elementwise (NaN stays NaN)."""
    return np.asarray(_erfc(_f(x)), dtype=np.float64)


def lgamma(x: npt.ArrayLike) -> Array:
    """ln|Γ(x)| elementwise; +inf at the poles x = 0, −1, −2, … (never raises)."""
    return np.asarray(_lgamma(_f(x)), dtype=np.float64)


def norm_cdf(z: npt.ArrayLike) -> Array:
    """P(Z <= z) for a standard normal Z."""
    return 0.5 * erfc(-_f(z) / math.sqrt(2.0))


def norm_sf2(z: npt.ArrayLike) -> Array:
    """Two-sided tail P(|Z| >= |z|)."""
    return erfc(np.abs(_f(z)) / math.sqrt(2.0))


# Acklam's rational approximation of the normal quantile (relative error < 1.2e-9).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
      -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
      -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
      4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)


def _poly(coefs: tuple[float, ...], x: Array) -> Array:
    out = np.zeros_like(x)
    for c in coefs:
        out = out * x + c
    return out


def norm_ppf(p: npt.ArrayLike) -> Array:
    """The standard normal quantile Φ⁻¹(p), elementwise; NaN outside (0, 1)."""
    p = _f(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = p - 0.5
        r = q * q
        central = q * _poly(_A, r) / (_poly(_B + (1.0,), r))
        tail_p = np.where(p < 0.5, p, 1.0 - p)
        t = np.sqrt(-2.0 * np.log(np.where(tail_p > 0, tail_p, np.nan)))
        tail = _poly(_C, t) / _poly(_D + (1.0,), t)
        tail = np.where(p < 0.5, tail, -tail)
        x = np.where((p > 0.02425) & (p < 0.97575), central, tail)
        # one Halley step on Φ(x) - p brings it to full double precision
        e = norm_cdf(x) - p
        u = e * math.sqrt(2.0 * math.pi) * np.exp(x * x / 2.0)
        x = x - u / (1.0 + x * u / 2.0)
    return np.where((p > 0) & (p < 1), x, np.nan)


def _betacf(a: Array, b: Array, x: Array, iterations: int = 300) -> Array:
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    d = 1.0 - qab * x / qap
    d = np.where(np.abs(d) < tiny, tiny, d)
    d = 1.0 / d
    h = d.copy()
    for m in range(1, iterations + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        h = h * d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        if np.all(np.abs(delta[np.isfinite(delta)] - 1.0) < 1e-15):
            break
    return h


def betainc(a: npt.ArrayLike, b: npt.ArrayLike, x: npt.ArrayLike) -> Array:
    """The regularised incomplete beta function I_x(a, b), elementwise; NaN unless a, b are positive and finite."""
    a, b, x = np.broadcast_arrays(_f(a), _f(b), _f(x))
    a, b, x = a.astype(np.float64), b.astype(np.float64), x.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        inside = (x > 0) & (x < 1)
        xs = np.where(inside, x, 0.5)
        ln_front = (lgamma(a + b) - lgamma(a) - lgamma(b) + a * np.log(xs) + b * np.log1p(-xs))
        front = np.exp(ln_front)
        direct = xs < (a + 1.0) / (a + b + 2.0)
        aa = np.where(direct, a, b)
        bb = np.where(direct, b, a)
        xx = np.where(direct, xs, 1.0 - xs)
        cf = _betacf(aa, bb, xx)
        value = np.where(direct, front * cf / a, 1.0 - front * cf / b)
    out = np.where(x <= 0, 0.0, np.where(x >= 1, 1.0, value))
    undefined = np.isnan(x) | ~((a > 0) & (b > 0) & np.isfinite(a) & np.isfinite(b))
    return np.where(undefined, np.nan, out)


def t_sf2(t: npt.ArrayLike, df: npt.ArrayLike) -> Array:
    """Two-sided tail P(|T| >= |t|) of Student's t with ``df`` degrees of freedom (df may be real);
    NaN unless df is positive and finite."""
    t, df = np.broadcast_arrays(_f(t), _f(df))
    ok = (df > 0) & np.isfinite(df)
    dfs = np.where(ok, df, 1.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        x = dfs / (dfs + t * t)
    out = betainc(dfs / 2.0, 0.5, x)
    return np.where(ok, np.where(np.isinf(t), 0.0, out), np.nan)


def t_cdf(t: npt.ArrayLike, df: npt.ArrayLike) -> Array:
    t = _f(t)
    tail = t_sf2(t, df) / 2.0
    return np.where(t >= 0, 1.0 - tail, tail)


def _t_pdf(t: Array, df: Array) -> Array:
    ln = lgamma((df + 1.0) / 2.0) - lgamma(df / 2.0) - 0.5 * np.log(df * math.pi) \
        - (df + 1.0) / 2.0 * np.log1p(t * t / df)
    return np.exp(ln)


def t_ppf(p: npt.ArrayLike, df: npt.ArrayLike) -> Array:
    """Student's t quantile, elementwise; exact for df 1 and 2, Newton-refined otherwise."""
    p, df = np.broadcast_arrays(_f(p), _f(df))
    p, df = p.astype(np.float64), df.astype(np.float64)
    ok = (p > 0) & (p < 1) & (df > 0)
    ps = np.asarray(np.where(ok, p, 0.5), dtype=np.float64)
    dfs = np.asarray(np.where(ok, df, 10.0), dtype=np.float64)
    z = norm_ppf(ps)
    # Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5) as the starting point
    g1 = (z**3 + z) / 4.0
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96.0
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384.0
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160.0
    t = z + g1 / dfs + g2 / dfs**2 + g3 / dfs**3 + g4 / dfs**4
    # From df = 1000 on the expansion's error (O(df⁻⁵)) is negligible: relative to p, below 1e-11 for
    # 1e-4 ≤ p ≤ 1 − 1e-4 (the intervals use 0.95–0.995), about 1e-9 in the far tails. Smaller df are refined.
    small = dfs < 1000.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if small.any():
            ts, ds, qs = t[small], dfs[small], ps[small]
            for _ in range(12):
                step = (t_cdf(ts, ds) - qs) / _t_pdf(ts, ds)
                ts = ts - step
                if np.all(np.abs(step) <= 1e-13 * np.maximum(1.0, np.abs(ts))):
                    break
            t = np.array(t, dtype=np.float64, copy=True)
            t[small] = ts
        exact1 = np.tan(math.pi * (ps - 0.5))
        exact2 = (2 * ps - 1) / np.sqrt(2 * ps * (1 - ps))
    t = np.where(dfs == 1, exact1, np.where(dfs == 2, exact2, t))
    return np.where(ok, t, np.nan)


#: From this shape on, P(a, x) comes from Temme's uniform asymptotic expansion (the series and the
#: continued fraction need O(√a) terms there, and thousands of them for counts in the hundred thousands).
TEMME_FROM = 500.0


def _temme_p(a: Array, x: Array) -> Array:
    """P(a, x) for large a (absolute error about 3e-10 at a = 500, smaller beyond):
    ½·erfc(−η·√(a/2)) − R_a(η), R_a(η) ≈ e^(−aη²/2)/√(2πa)·(c0(η) + c1(η)/a)
    (DLMF 8.12.4, 8.12.8; Temme 1979), with λ = x/a, η = sign(λ−1)·√(2(λ−1−ln λ)).
    Near λ = 1 the coefficients come from their Taylor series (the closed forms cancel there)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        lam = x / a
        d = lam - 1.0
        eta = np.sign(d) * np.sqrt(2.0 * np.maximum(d - np.log(lam), 0.0))
        near = np.abs(d) < 0.01
        e = np.where(near, eta, 0.0)
        c0_series = -1.0 / 3.0 + e / 12.0 - 2.0 * e**2 / 135.0 + e**3 / 864.0 + e**4 / 2835.0
        c1_series = -1.0 / 540.0 - e / 288.0
        dd = np.where(near, 1.0, d)
        ee = np.where(near, 1.0, eta)
        c0 = np.where(near, c0_series, 1.0 / dd - 1.0 / ee)
        c1 = np.where(near, c1_series, 1.0 / ee**3 - 1.0 / dd**3 - 1.0 / dd**2 - 1.0 / (12.0 * dd))
        r = np.exp(-0.5 * a * eta**2) / np.sqrt(2.0 * math.pi * a) * (c0 + c1 / a)
        out: Array = 0.5 * erfc(-eta * np.sqrt(a / 2.0)) - r
        return out


def gammainc(a: npt.ArrayLike, x: npt.ArrayLike, max_iterations: int = 5000) -> Array:
    """The regularised lower incomplete gamma function P(a, x), elementwise (a > 0, x >= 0).

    Series for x < a + 1, Lentz's continued fraction for Q = 1 − P otherwise
    (Numerical Recipes, section 6.2); Temme's uniform expansion from ``a`` = :data:`TEMME_FROM` on.
    """
    a, x = np.broadcast_arrays(_f(a), _f(x))
    a, x = a.astype(np.float64), x.astype(np.float64)
    big = (a >= TEMME_FROM) & (x > 0) & np.isfinite(x)
    if big.any():
        out = np.empty(a.shape, dtype=np.float64)
        out[big] = _temme_p(a[big], x[big])
        if (~big).any():
            out[~big] = gammainc(np.where(big, 1.0, a)[~big], np.where(big, 1.0, x)[~big], max_iterations)
        return out
    ok = (a > 0) & (x > 0) & np.isfinite(x)
    aa = np.where(ok, a, 1.0)
    xx = np.where(ok, x, 1.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        front = np.exp(-xx + aa * np.log(xx) - lgamma(aa))
        series = xx < aa + 1.0
        # series part
        ap = aa.copy()
        term = 1.0 / aa
        total = term.copy()
        for _ in range(max_iterations):
            ap = ap + 1.0
            term = term * xx / ap
            total = total + term
            if np.all(~series | (np.abs(term) < np.abs(total) * 1e-16)):
                break
        p_series = total * front
        # continued fraction part
        tiny = 1e-300
        b = xx + 1.0 - aa
        c = np.full_like(xx, 1.0 / tiny)
        d = 1.0 / np.where(np.abs(b) < tiny, tiny, b)
        h = d.copy()
        for i in range(1, max_iterations + 1):
            an = -i * (i - aa)
            b = b + 2.0
            d = an * d + b
            d = np.where(np.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = np.where(np.abs(c) < tiny, tiny, c)
            d = 1.0 / d
            delta = d * c
            h = h * delta
            if np.all(series | (np.abs(delta - 1.0) < 1e-16)):
                break
        p_cf = 1.0 - front * h
        value = np.where(series, p_series, p_cf)
    out = np.where(x <= 0, 0.0, np.where(np.isinf(x), 1.0, value))
    return np.where(np.isnan(a) | np.isnan(x) | (a <= 0), np.nan, out)


def gamma_ppf(q: npt.ArrayLike, a: npt.ArrayLike) -> Array:
    """Quantile of the Gamma(a, 1) distribution: y with P(a, y) = q (Newton from Wilson–Hilferty)."""
    q, a = np.broadcast_arrays(_f(q), _f(a))
    q, a = q.astype(np.float64), a.astype(np.float64)
    ok = (q > 0) & (q < 1) & (a > 0)
    qs = np.where(ok, q, 0.5)
    as_ = np.where(ok, a, 1.0)
    z = norm_ppf(qs)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        y = as_ * (1.0 - 1.0 / (9.0 * as_) + z / (3.0 * np.sqrt(as_))) ** 3
        y = np.where(y > 0, y, np.exp((np.log(qs) + lgamma(as_ + 1.0)) / as_))  # small-a start
        # Newton from the Wilson–Hilferty start; converged entries drop out of the loop
        y = _newton_gamma_ppf(qs, as_, y)
    return np.where(ok, y, np.nan)


def _newton_gamma_ppf(qs: Array, as_: Array, y: Array) -> Array:
    shape = np.shape(y)
    qs, as_, y = (np.atleast_1d(v).astype(np.float64).ravel() for v in (qs, as_, y))
    todo = np.ones(y.shape, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        for _ in range(100):
            if not todo.any():
                break
            a, q, yy = as_[todo], qs[todo], y[todo]
            pdf = np.exp(-yy + (a - 1.0) * np.log(yy) - lgamma(a))
            new = yy - (gammainc(a, yy) - q) / pdf
            new = np.where(new <= 0, yy / 2.0, new)  # stay positive
            done = np.abs(new - yy) <= 1e-13 * np.maximum(1.0, yy)
            y[todo] = new
            todo[np.flatnonzero(todo)[done]] = False
    return y.reshape(shape)
