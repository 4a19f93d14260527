"""The uncertainty formulas against published test vectors, hand-worked cases and properties."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from advokit.stats import _special as sp
from advokit.stats import formulas as stats

VECTORS = yaml.safe_load((Path(__file__).parent / "cases" / "analysis" / "published_vectors.yaml").read_text())


@pytest.mark.parametrize("case", VECTORS["nps"]["cases"], ids=lambda c: str(c["scores"]))
def test_nps_matches_the_r_package(case):
    p, _, d = stats.nps_from_scores(case["scores"])
    n = len(case["scores"])
    assert float(stats.nps_value(p, d, n)) == pytest.approx(case["nps"], abs=1e-9)
    assert float(stats.nps_variance(p, d, n)) == pytest.approx(case["variance"], abs=1e-9)
    assert float(stats.nps_se(p, d, n)) == pytest.approx(case["se"], abs=case["tol"])


def test_nps_interval_is_value_plus_minus_margin():
    # the worked example: 2 promoters, 1 detractor, 4 answers; kpi-semantics margin of error 1.96 × 100 × SE
    lo, hi = stats.nps_interval(2, 1, 4, z=1.96)
    moe = 1.96 * math.sqrt(((0.5 + 0.25) - 0.25**2) / 4)
    assert float(lo) == pytest.approx(0.25 - moe) and float(hi) == 1.0  # clipped at +1


@pytest.mark.parametrize("case", VECTORS["wilson"]["cases"], ids=lambda c: f"{c['x']}/{c['n']}")
def test_wilson_matches_newcombe_1998(case):
    lo, hi = stats.wilson_interval(case["x"], case["n"])
    assert round(float(lo), 4) == case["low"] and round(float(hi), 4) == case["high"]


def test_wilson_edges():
    lo, hi = stats.wilson_interval([0, 5, 5, 3, -1], [5, 5, 0, 2, 4])
    assert lo[0] == 0.0 and hi[1] == 1.0
    assert np.isnan(lo[2:]).all() and np.isnan(hi[2:]).all()  # n = 0, x > n, x < 0


def test_t_interval_matches_student_sleep_data():
    v = VECTORS["t_interval"]
    x = np.array(v["values"])
    lo, hi = stats.t_interval(x.mean(), x.std(ddof=1), len(x))
    assert float(lo) == pytest.approx(v["low"], abs=1e-6) and float(hi) == pytest.approx(v["high"], abs=1e-6)
    t = x.mean() / (x.std(ddof=1) / math.sqrt(len(x)))
    assert t == pytest.approx(v["t"], abs=1e-4)
    assert float(sp.t_sf2(t, len(x) - 1)) == pytest.approx(v["p_value"], abs=1e-6)


def test_sd_from_sums_equals_the_sample_sd():
    x = np.array(VECTORS["t_interval"]["values"])
    assert float(stats.sd_from_sums(x.sum(), (x * x).sum(), len(x))) == pytest.approx(x.std(ddof=1), rel=1e-12)
    assert math.isnan(float(stats.sd_from_sums(3.0, 9.0, 1)))


def test_welch_matches_r():
    v = VECTORS["welch"]
    a, b = np.array(v["group1"]), np.array(v["group2"])
    se_a, se_b = a.std(ddof=1) / math.sqrt(len(a)), b.std(ddof=1) / math.sqrt(len(b))
    assert float(stats.welch_df(se_a, len(a), se_b, len(b))) == pytest.approx(v["df"], abs=1e-3)
    p = float(stats.welch_test(a.mean(), se_a, len(a), b.mean(), se_b, len(b)))
    assert p == pytest.approx(v["p_value"], abs=1e-5)


@pytest.mark.parametrize("case", VECTORS["t_quantiles"], ids=lambda c: f"df{c['df']}")
def test_t_critical_values(case):
    assert float(stats.t_critical(case["df"])) == pytest.approx(case["t"], abs=1e-4)


@pytest.mark.parametrize("case", VECTORS["poisson_exact"], ids=lambda c: f"x{c['x']}")
def test_poisson_interval_is_exact(case):
    lo, hi = stats.poisson_interval(case["x"])
    assert float(lo) == pytest.approx(case["low"], abs=1e-4) and float(hi) == pytest.approx(case["high"], abs=1e-4)


def test_rate_interval_divides_by_exposure():
    lo, hi = stats.rate_interval(10, 4)
    assert float(lo) == pytest.approx(4.7954 / 4, abs=1e-4) and float(hi) == pytest.approx(18.3904 / 4, abs=1e-4)
    assert np.isnan(stats.rate_interval(1, 0)[0])


def test_two_proportion_test_hand_worked():
    # 45/100 vs 30/100: pooled 0.375, SE = √(0.375 × 0.625 × 0.02) = 0.068465, z = 2.1909, p = 0.02846
    assert float(stats.two_proportion_test(45, 100, 30, 100)) == pytest.approx(0.028460, abs=1e-5)
    # equal proportions: p = 1; both 0 %: no variance, no difference → p = 1
    assert float(stats.two_proportion_test(10, 50, 20, 100)) == pytest.approx(1.0)
    assert float(stats.two_proportion_test(0, 50, 0, 80)) == 1.0


def test_two_proportion_z_squared_is_pearson_chi_square():
    # 2x2 table 45/55 vs 30/70: Pearson χ² = 200 × (45·70 − 55·30)² / (100·100·75·125) = 4.8
    z = 0.15 / math.sqrt(0.375 * 0.625 * 0.02)
    assert z * z == pytest.approx(4.8)


def test_nps_difference_test_obvious_cases():
    # 80 promoters of 100 vs 80 detractors of 100: NPS +80 vs −80, hugely significant
    assert float(stats.nps_difference_test(80, 0, 100, 0, 80, 100)) < 1e-12
    # identical samples: no evidence at all
    assert float(stats.nps_difference_test(30, 20, 100, 30, 20, 100)) == pytest.approx(1.0)
    # hand-worked: NPS 0.5 (n=4: 2 P, 0 D) vs 0 (n=2: 1 P, 1 D)
    se = math.sqrt(((0.5 - 0.25) / 4) + (1.0 / 2))
    assert float(stats.nps_difference_test(2, 0, 4, 1, 1, 2)) == pytest.approx(math.erfc(0.5 / se / math.sqrt(2)))


def test_rate_difference_score_test_hand_worked():
    # 4 actions / 3 customers vs 0 / 2: pooled rate 0.8, SE = √(0.8 (1/3 + 1/2)), z = 1.633, p = 0.1025
    z = (4 / 3) / math.sqrt(0.8 * (1 / 3 + 1 / 2))
    assert float(stats.rate_difference_test(4, 3, 0, 2)) == pytest.approx(math.erfc(z / math.sqrt(2)))


def test_normal_functions():
    assert float(sp.norm_cdf(1.959963984540054)) == pytest.approx(0.975, abs=1e-15)
    assert stats.z_value() == pytest.approx(1.959963984540054, abs=1e-12)
    assert float(sp.norm_ppf(0.01)) == pytest.approx(-2.3263478740408408, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_contains_the_estimate(x, n):
    x = min(x, n)
    lo, hi = stats.wilson_interval(x, n)
    assert 0.0 <= float(lo) <= x / n <= float(hi) <= 1.0


@settings(max_examples=40, deadline=None)
@given(st.floats(0.51, 0.999), st.floats(1.0, 400.0))
def test_t_ppf_inverts_t_cdf(p, df):
    t = sp.t_ppf(p, df)
    assert float(sp.t_cdf(t, df)) == pytest.approx(p, abs=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2000))
def test_poisson_limits_solve_the_tail_equations(x):
    lo, hi = stats.poisson_interval(x)
    assert float(sp.gammainc(x + 1, hi)) == pytest.approx(0.975, abs=1e-9)
    if x > 0:
        assert float(sp.gammainc(x, lo)) == pytest.approx(0.025, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.1, 50), st.floats(0.1, 50), st.floats(0.001, 0.999))
def test_betainc_symmetry(a, b, x):
    assert float(sp.betainc(a, b, x)) == pytest.approx(1.0 - float(sp.betainc(b, a, 1.0 - x)), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.1, 50), st.floats(0.0, 1.0))
def test_betainc_closed_form(a, x):
    assert float(sp.betainc(a, 1.0, x)) == pytest.approx(x**a, abs=1e-12)  # I_x(a, 1) = x^a


def test_samples_without_variance():
    # one promoter against one detractor: both variances are 0, so the pooled answers' variance is used:
    # p = d = 1/2, variance 1, SE = √(1/1 + 1/1), z = 2/√2, p = 0.157 (not significant)
    assert float(stats.nps_difference_test(1, 0, 1, 0, 1, 1)) == pytest.approx(math.erfc(1.0))
    # 100 promoters against 100 detractors: SE = √(2/100), z = 14.1, overwhelming
    assert float(stats.nps_difference_test(100, 0, 100, 0, 100, 100)) < 1e-40
    assert float(stats.nps_difference_test(1, 0, 1, 1, 0, 1)) == 1.0
    assert math.isnan(float(stats.welch_test(5.0, 0.0, 3, 4.0, 0.0, 3)))
    assert not stats.is_significant(np.nan)


@pytest.mark.parametrize("a", [500.0, 900.0, 2500.0])
def test_large_shape_gammainc_matches_the_series(a, monkeypatch):
    """From TEMME_FROM on P(a, x) comes from the uniform expansion; it agrees with the series/fraction."""
    x = a + np.linspace(-4.0, 4.0, 17) * np.sqrt(a)
    fast = sp.gammainc(a, x)
    monkeypatch.setattr(sp, "TEMME_FROM", float("inf"))
    slow = sp.gammainc(a, x, max_iterations=400_000)
    assert np.max(np.abs(fast - slow)) < 1e-9


def test_poisson_interval_of_a_large_count():
    lo, hi = stats.poisson_interval(100_000)
    # about ±1.96·√x around x (+1 on the upper side), and the exact tail equations hold
    assert float(lo) == pytest.approx(100_000 - 1.96 * 316.23, rel=1e-4)
    assert float(hi) == pytest.approx(100_001 + 1.96 * 316.23, rel=1e-4)
    assert float(sp.gammainc(100_001, hi)) == pytest.approx(0.975, abs=1e-9)
    assert float(sp.gammainc(100_000, lo)) == pytest.approx(0.025, abs=1e-9)


def test_t_quantile_for_large_df_solves_the_cdf():
    for df in (1_000.0, 5_000.0, 50_000.0):
        t = sp.t_ppf(0.975, df)
        assert float(sp.t_cdf(t, df)) == pytest.approx(0.975, abs=1e-11)
    z = 1.959963984540054  # huge df: the normal quantile plus the first Cornish-Fisher term
    assert float(sp.t_ppf(0.975, 5e6)) == pytest.approx(z + (z**3 + z) / 4 / 5e6, abs=1e-12)
