"""Every statistical helper on tiny and degenerate samples (issue 13, item 4).

n = 0, 1, 2, all-equal values (no variance), proportions 0 and 1, counts outside
their range: each helper returns its "not enough data" answer (NaN in the
vectorised formulas, None in the pooled rows of the analysis) and never
raises. Before the fix ``welch_test`` with n = 1 reached ``lgamma(0)`` and
raised ``ValueError: math domain error`` (the one-customer-segment report).

Warnings are errors in this test run, so a helper that only warns fails too.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advokit.analysis import compare
from advokit.analysis.trend import p_values
from advokit.engine import uncertainty
from advokit.stats import _special as sp
from advokit.stats import formulas as stats

from .analysis_support import catalogue

NAN = math.nan
#: sizes of tiny samples, and the out-of-range ones a bad row can carry
SIZES = st.sampled_from([0.0, 1.0, 2.0, 3.0, -1.0, NAN])
COUNTS = st.sampled_from([0.0, 1.0, 2.0, 3.0, -1.0, NAN])
REALS = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.5, NAN]), st.floats(-1e6, 1e6, allow_nan=False))
NONNEG = st.one_of(st.sampled_from([0.0, 1.0, 0.5, NAN]), st.floats(0.0, 1e6))
PROBS = st.sampled_from([0.0, 1.0, 0.5, 1e-9, 1 - 1e-9, -0.5, 1.5, NAN])


def _args(*parts: st.SearchStrategy[float]) -> st.SearchStrategy[tuple[float, ...]]:
    return st.tuples(*parts)


#: Every public function of the two modules, with the arguments of a tiny or degenerate sample.
CASES: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    # formulas
    "z_value": _args(st.sampled_from([0.5, 0.9, 0.95, 0.99])),
    "nps_from_scores": st.tuples(st.lists(st.integers(0, 10), max_size=3)),
    "nps_value": _args(COUNTS, COUNTS, SIZES),
    "nps_variance": _args(COUNTS, COUNTS, SIZES),
    "nps_se": _args(COUNTS, COUNTS, SIZES),
    "nps_interval": _args(COUNTS, COUNTS, SIZES),
    "wilson_interval": _args(COUNTS, SIZES),
    "proportion_se": _args(COUNTS, SIZES),
    "sd_from_sums": _args(REALS, NONNEG, SIZES),
    "mean_se": _args(NONNEG, SIZES),
    "t_critical": _args(st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, NAN])),
    "t_interval": _args(REALS, NONNEG, SIZES),
    "poisson_interval": _args(COUNTS),
    "rate_interval": _args(COUNTS, SIZES),
    "rate_se": _args(COUNTS, SIZES),
    "poisson_upper_tail": _args(COUNTS, NONNEG),
    "z_test_p": _args(REALS, NONNEG),
    "nps_difference_test": _args(COUNTS, COUNTS, SIZES, COUNTS, COUNTS, SIZES),
    "two_proportion_test": _args(COUNTS, SIZES, COUNTS, SIZES),
    "welch_df": _args(NONNEG, SIZES, NONNEG, SIZES),
    "welch_test": _args(REALS, NONNEG, SIZES, REALS, NONNEG, SIZES),
    "rate_difference_test": _args(COUNTS, SIZES, COUNTS, SIZES),
    "is_significant": _args(st.sampled_from([0.0, 0.01, 0.05, 0.5, 1.0, NAN])),
    # special functions
    "erfc": _args(REALS),
    "lgamma": _args(st.sampled_from([0.0, -1.0, -2.0, 0.5, 1.0, 2.0, NAN])),
    "norm_cdf": _args(REALS),
    "norm_sf2": _args(REALS),
    "norm_ppf": _args(PROBS),
    "betainc": _args(SIZES, SIZES, PROBS),
    "t_sf2": _args(REALS, SIZES),
    "t_cdf": _args(REALS, SIZES),
    "t_ppf": _args(PROBS, SIZES),
    "gammainc": _args(SIZES, NONNEG),
    "gamma_ppf": _args(PROBS, SIZES),
}


def _public(module: Any) -> set[str]:
    return {name for name, f in vars(module).items()
            if inspect.isfunction(f) and f.__module__ == module.__name__ and not name.startswith("_")}


def _function(name: str) -> Callable[..., Any]:
    return getattr(stats, name, None) or getattr(sp, name)  # type: ignore[no-any-return]


def test_every_helper_has_a_degenerate_case() -> None:
    assert set(CASES) == _public(stats) | _public(sp)


@pytest.mark.parametrize("name", sorted(CASES))
def test_helper_never_raises_on_tiny_samples(name: str) -> None:
    f = _function(name)

    @settings(max_examples=60, deadline=None)
    @given(CASES[name])
    def check(args: tuple[Any, ...]) -> None:
        out = f(*args)
        for part in out if isinstance(out, tuple) else (out,):
            arr = np.asarray(part)
            assert arr.dtype.kind in "fbi", (name, args, arr.dtype)

    check()


# ---------------------------------------------------------------- the contracts, case by case
def _nan(x: Any) -> bool:
    return bool(np.isnan(np.asarray(x, dtype=float)).all())


@given(REALS, NONNEG, st.sampled_from([0.0, 1.0, NAN]), REALS, NONNEG, SIZES)
def test_welch_needs_two_values_on_each_side(m1: float, se1: float, n1: float, m2: float, se2: float,
                                             n2: float) -> None:
    assert _nan(stats.welch_test(m1, se1, n1, m2, se2, n2))
    assert _nan(stats.welch_test(m2, se2, n2, m1, se1, n1))
    assert _nan(stats.welch_df(se1, n1, se2, n2))


def test_welch_with_one_answer_was_the_report_crash() -> None:
    # the one-customer segment against the rest: n = 1 (no standard error) against n = 299
    assert _nan(stats.welch_test(5.0, NAN, 1, 3.2, 0.1, 299))
    assert _nan(stats.welch_test(5.0, 0.0, 1, 3.2, 0.1, 299))
    assert _nan(sp.t_sf2(1.5, 0.0)) and _nan(sp.t_cdf(1.5, -1.0))
    assert sp.lgamma([0.0, -1.0]).tolist() == [math.inf, math.inf]
    assert _nan(sp.betainc(0.0, 0.5, 0.5)) and _nan(sp.betainc(1.0, 0.0, 0.5))


@given(st.floats(-1e3, 1e3, allow_nan=False), st.integers(2, 5), st.floats(-1e3, 1e3, allow_nan=False),
       st.integers(2, 5))
def test_welch_of_equal_values(a: float, n1: int, b: float, n2: int) -> None:
    # all-equal values on both sides: no variance; equal means → 1, different means → nothing to test
    sd1 = float(stats.sd_from_sums(a * n1, a * a * n1, n1))
    sd2 = float(stats.sd_from_sums(b * n2, b * b * n2, n2))
    assert 0.0 <= sd1 <= 1e-6 * max(1.0, abs(a)) and 0.0 <= sd2 <= 1e-6 * max(1.0, abs(b))
    p = float(stats.welch_test(a, 0.0, n1, a, 0.0, n2))
    assert p == 1.0
    if a != b:
        assert math.isnan(float(stats.welch_test(a, 0.0, n1, b, 0.0, n2)))


@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), max_size=2))
def test_means_of_fewer_than_two_values(values: list[float]) -> None:
    x = np.array(values, dtype=float)
    n = len(values)
    sd = stats.sd_from_sums(x.sum(), (x * x).sum(), n)
    assert _nan(sd) if n < 2 else float(sd) >= 0.0
    if n < 2:
        assert _nan(stats.mean_se(sd, n))
        lo, hi = stats.t_interval(x.mean() if n else NAN, sd, n)
        assert _nan(lo) and _nan(hi)


@given(st.integers(2, 6), st.floats(-1e3, 1e3, allow_nan=False))
def test_t_interval_of_equal_values_is_the_value(n: int, value: float) -> None:
    lo, hi = stats.t_interval(value, 0.0, n)
    assert float(lo) == value == float(hi)


@given(st.integers(0, 3))
def test_proportions_zero_and_one(n: int) -> None:
    if n == 0:
        assert all(_nan(v) for v in (*stats.wilson_interval(0, 0), stats.proportion_se(0, 0),
                                     stats.two_proportion_test(0, 0, 1, 1)))
        return
    lo, hi = stats.wilson_interval(0, n)
    assert float(lo) == 0.0 and 0.0 < float(hi) < 1.0
    lo, hi = stats.wilson_interval(n, n)
    assert 0.0 < float(lo) < 1.0 and float(hi) == 1.0
    assert float(stats.proportion_se(0, n)) == 0.0 == float(stats.proportion_se(n, n))
    assert float(stats.two_proportion_test(0, n, 0, n)) == 1.0  # both 0: no variance, no difference
    assert float(stats.two_proportion_test(n, n, n, n)) == 1.0  # both 1
    assert 0.0 < float(stats.two_proportion_test(0, n, n, n)) < 1.0  # 0 against 1: pooled variance


@given(st.integers(0, 3), st.sampled_from(["promoters", "passives", "detractors"]))
def test_nps_of_one_kind_of_answer(n: int, kind: str) -> None:
    p, d = (n, 0) if kind == "promoters" else (0, n) if kind == "detractors" else (0, 0)
    if n == 0:
        assert all(_nan(v) for v in (stats.nps_value(p, d, n), stats.nps_se(p, d, n), *stats.nps_interval(p, d, n),
                                     stats.nps_difference_test(p, d, n, p, d, n)))
        return
    value = {"promoters": 1.0, "passives": 0.0, "detractors": -1.0}[kind]
    assert float(stats.nps_value(p, d, n)) == value and float(stats.nps_se(p, d, n)) == 0.0
    assert [float(x) for x in stats.nps_interval(p, d, n)] == [value, value]
    assert float(stats.nps_difference_test(p, d, n, p, d, n)) == 1.0
    other = stats.nps_difference_test(n, 0, n, 0, n, n)  # all promoters against all detractors
    assert 0.0 < float(other) < 1.0


@given(st.integers(-1, 3), st.sampled_from([0.0, -1.0, NAN]))
def test_rates_without_exposure(count: int, exposure: float) -> None:
    assert all(_nan(v) for v in (*stats.rate_interval(count, exposure), stats.rate_se(count, exposure),
                                 stats.rate_difference_test(count, exposure, 1, 1)))


def test_poisson_interval_of_zero_and_negative_counts() -> None:
    lo, hi = stats.poisson_interval([0, -1])
    assert lo[0] == 0.0 and hi[0] == pytest.approx(-math.log(0.025), rel=1e-9)
    assert math.isnan(lo[1]) and math.isnan(hi[1])
    assert stats.is_significant([NAN, 0.01, 0.5]).tolist() == [False, True, False]


# ---------------------------------------------------------------- the engine's and analysis' callers
_CAT = catalogue()
_KINDS = {"nps": "nps", "proportion": "csat", "mean": "customer_advocacy_score", "rate": "advocacy_actions_per_customer"}


def test_every_kind_is_exercised() -> None:
    assert {_CAT.get(k).uncertainty_kind for k in _KINDS.values()} == set(_KINDS)


ROW = st.fixed_dictionaries({"n": SIZES, "numerator": COUNTS, "denominator": SIZES, "promoters": COUNTS,
                             "detractors": COUNTS, "value": REALS, "sum": REALS, "sumsq": NONNEG})


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(_KINDS)), st.lists(ROW, min_size=1, max_size=4))
def test_interval_columns_on_tiny_rows(kind: str, rows: list[dict[str, float]]) -> None:
    kpi = _CAT.get(_KINDS[kind])
    p = kpi.id + "__"
    wide = pa.table({p + "value": [r["value"] for r in rows], p + "numerator": [r["numerator"] for r in rows],
                     p + "denominator": [r["denominator"] for r in rows], p + "n": [r["n"] for r in rows],
                     p + "promoters": [r["promoters"] for r in rows], p + "detractors": [r["detractors"] for r in rows],
                     p + "unc_sum": [r["sum"] for r in rows], p + "unc_sumsq": [r["sumsq"] for r in rows],
                     p + "unc_count": [r["n"] for r in rows]})
    out = uncertainty.interval_columns(kpi, wide)
    assert set(out) == {"ci_low", "ci_high", "std_error", "small_sample"}
    lo, se = out["ci_low"].to_numpy(zero_copy_only=False), out["std_error"].to_numpy(zero_copy_only=False)
    for i, r in enumerate(rows):
        if kind == "mean" and not r["n"] >= 2:
            assert math.isnan(lo[i]) and math.isnan(se[i])  # fewer than two values: no interval
        if kind in ("proportion", "rate") and not r["denominator"] > 0:
            assert math.isnan(lo[i]) and math.isnan(se[i])
        if kind == "nps" and not r["n"] > 0:
            assert math.isnan(lo[i]) and math.isnan(se[i])
    assert out["small_sample"].to_pylist() == [not r["n"] >= 30 for r in rows]


SIDE = st.fixed_dictionaries({"value": REALS, "numerator": COUNTS, "denominator": SIZES, "n": SIZES,
                              "promoters": COUNTS, "detractors": COUNTS, "std_error": st.sampled_from([0.0, NAN, 0.3])})


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["nps", "proportion", "mean", "rate", "none"]), SIDE, SIDE),
                min_size=1, max_size=5))
def test_p_values_on_tiny_rows(rows: list[tuple[str, dict[str, float], dict[str, float]]]) -> None:
    kinds = np.array([k for k, _, _ in rows], dtype=object)
    cur = pd.DataFrame([a for _, a, _ in rows])
    ref = pd.DataFrame([b for _, _, b in rows])
    p = p_values(kinds, cur, ref)
    assert p.shape == (len(rows),)
    for (kind, a, b), x in zip(rows, p):
        assert math.isnan(x) or 0.0 <= x <= 1.0
        if kind == "none" or math.isnan(a["value"]) or math.isnan(b["value"]):
            assert math.isnan(x)
        if kind == "mean" and not (a["n"] >= 2 and b["n"] >= 2):
            assert math.isnan(x)


POOL_ROW = st.fixed_dictionaries({"value": st.one_of(st.none(), REALS), "n": st.sampled_from([0, 1, 2, None]),
                                  "numerator": st.sampled_from([0.0, 1.0, 2.0, None]),
                                  "denominator": st.sampled_from([0.0, 1.0, 2.0, None]),
                                  "promoters": st.sampled_from([0.0, 1.0, None]),
                                  "detractors": st.sampled_from([0.0, 1.0, None]),
                                  "std_error": st.sampled_from([0.0, 0.5, None])})


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(sorted(_KINDS) + ["customer_churn_rate"]), st.lists(POOL_ROW, max_size=3),
       st.lists(POOL_ROW, max_size=3))
def test_pool_and_tests_on_tiny_rows(kpi_id: str, rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]]) -> None:
    kpi = _CAT.get(_KINDS.get(kpi_id, kpi_id))
    a, b = compare.pool(kpi, rows_a), compare.pool(kpi, rows_b)
    for pooled in (a, b):
        for key in ("value", "std_error", "ci_low", "ci_high"):
            v = pooled[key]
            assert v is None or isinstance(v, float) and not math.isnan(v), (key, v)
    if not [r for r in rows_a if r["value"] is not None]:
        assert a["value"] is None and a["ci_low"] is None
    (p,) = compare._tests([(a, b)])
    assert p is None or 0.0 <= p <= 1.0
