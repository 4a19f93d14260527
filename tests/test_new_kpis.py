"""Hand-worked cases for the KPIs added for issue 3: advocate re-engagement, activation-to-expansion and
reviews-and-testimonials velocity (data and worked values in ``cases/new_kpis``)."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import pytest
import yaml

from advokit import Workspace

CASE = Path(__file__).parent / "cases" / "new_kpis"
EXPECTED = yaml.safe_load((CASE / "expected.yaml").read_text(encoding="utf-8"))
KPIS = ("advocate_reengagement_rate", "activation_to_expansion_rate", "reviews_and_testimonials_velocity")
RANGES = {"month": ("2024-12", "2025-03"), "quarter": ("2025-01", "2025-04"), "year": ("2025", "2026")}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace(tmp_path_factory.mktemp("new_kpis") / "w.duckdb")
    assert w.import_customers(CASE / "customers.csv").rejected == 0
    rep = w.import_events(CASE / "events.csv")
    assert rep.rejected == 0, rep.errors
    yield w
    w.close()


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("grain", sorted(RANGES))
@pytest.mark.parametrize("kpi", KPIS)
def test_hand_worked_periods(ws, kpi, grain):
    start, end = RANGES[grain]
    got = {r["period"]: r for r in ws.compute(kpi, period=grain, start=start, end=end).to_dicts()}
    want = EXPECTED[kpi][grain]
    assert set(want) <= set(got)
    for period, fields in want.items():
        for key, value in fields.items():
            assert _same(got[period][key], value), (kpi, period, key, got[period][key], value)


@pytest.mark.parametrize("kpi", KPIS)
def test_hand_worked_by_segment_and_filter(ws, kpi):
    for period, want in EXPECTED[kpi]["by_segment"].items():
        grain = "quarter" if "Q" in period else "month"
        start, end = ("2025-01", "2025-04") if grain == "quarter" else ("2025-01", "2025-02")
        rows = ws.compute(kpi, period=grain, by="segment", start=start, end=end).to_dicts()
        got = {r["segment"]: r["value"] for r in rows if r["period"] == period}
        assert set(got) == set(want)
        for seg, value in want.items():
            assert _same(got[seg], value), (kpi, period, seg, got[seg], value)
            filtered = ws.compute(kpi, period=grain, start=start, end=end, filters={"segment": seg}).to_dicts()
            assert _same(filtered[0]["value"], value), (kpi, period, "filter", seg)


def test_reengagement_carries_a_wilson_interval(ws):
    row = ws.compute("advocate_reengagement_rate", period="month", start="2025-01", end="2025-01").to_dicts()[0]
    z = statistics.NormalDist().inv_cdf(0.975)
    x, n = 3, 5
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert math.isclose(row["ci_low"], 100 * (centre - half), rel_tol=1e-9)
    assert math.isclose(row["ci_high"], 100 * (centre + half), rel_tol=1e-9)
    assert row["small_sample"] is True


def test_velocity_carries_a_t_interval(ws):
    row = ws.compute("reviews_and_testimonials_velocity", period="month", start="2025-01", end="2025-01").to_dicts()[0]
    days = EXPECTED["velocity_days_january"]
    mean, sd = statistics.fmean(days), statistics.stdev(days)
    t3 = 3.182446305284263  # t(0.975, 3 degrees of freedom)
    half = t3 * sd / math.sqrt(len(days))
    assert math.isclose(row["value"], mean) and row["n"] == len(days)
    assert math.isclose(row["ci_low"], mean - half, rel_tol=1e-9)
    assert math.isclose(row["ci_high"], mean + half, rel_tol=1e-9)
    assert math.isclose(row["std_error"], sd / math.sqrt(len(days)), rel_tol=1e-9)


def test_empty_windows_give_null_not_zero(ws):
    rows = ws.compute(list(KPIS), period="month", start="2023-01", end="2023-01").to_dicts()
    assert {r["kpi"]: (r["value"], r["n"]) for r in rows} == {k: (None, 0) for k in KPIS}


def test_new_kpis_have_values_on_the_demo(tmp_path):
    import datetime as dt

    from advokit.demo.load import build_demo

    w = Workspace(tmp_path / "demo.duckdb")
    build_demo(w.kpis, w.ingest, customers=300, months=24, seed=11, end_month=dt.date(2025, 6, 1))
    rows = w.compute(list(KPIS), period="quarter", start="2024-07", end="2025-06").to_dicts()
    for kpi in KPIS:
        values = [r["value"] for r in rows if r["kpi"] == kpi]
        assert values and all(v is not None for v in values), (kpi, values)
    w.close()
