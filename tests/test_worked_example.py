"""The worked example of kpi-semantics.md, as stored data, through the Python API."""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from advokit import CORE_KPIS, Workspace

CASE = Path(__file__).parent / "cases" / "worked_example"


def _load(tmp_path: Path) -> tuple[Workspace, dict]:
    ws = Workspace(tmp_path / "w.duckdb")
    ws.import_customers(CASE / "customers.csv")
    ws.import_events(CASE / "events.csv")
    return ws, yaml.safe_load((CASE / "expected.yaml").read_text())


def _same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def test_worked_example_totals(tmp_path):
    ws, exp = _load(tmp_path)
    rows = ws.compute(list(CORE_KPIS), period="month", start=exp["from"], end=exp["to"]).to_dicts()
    got = {r["kpi"]: r for r in rows if r["period"] == exp["period"]}
    assert set(got) == set(CORE_KPIS)
    for kpi, want in exp["total"].items():
        for key, value in want.items():
            assert _same(got[kpi][key], value), f"{kpi}.{key}: have {got[kpi][key]}, want {value}"


def test_worked_example_by_segment(tmp_path):
    ws, exp = _load(tmp_path)
    for kpi, want in exp["by_segment"].items():
        rows = ws.compute(kpi, period="month", by="segment", start=exp["from"], end=exp["to"]).to_dicts()
        got = {r["segment"]: r["value"] for r in rows}
        assert set(got) == set(want)
        for seg, value in want.items():
            assert _same(got[seg], value), f"{kpi} {seg}: have {got[seg]}, want {value}"


def test_nps_margin_of_error_matches_the_formula(tmp_path):
    ws, exp = _load(tmp_path)
    row = ws.compute("nps", period="month", start=exp["from"], end=exp["to"]).to_dicts()[0]
    p, d, n = 2 / 4, 1 / 4, 4
    assert _same(row["margin_of_error"], 1.96 * 100 * math.sqrt(((p + d) - (p - d) ** 2) / n))


def test_quarter_and_year_labels(tmp_path):
    ws, _ = _load(tmp_path)
    q = ws.compute("nps", period="quarter", start="2025-01-01", end="2025-03-31").to_dicts()
    assert [r["period"] for r in q] == ["2025-Q1"] and _same(q[0]["value"], 25.0)
    y = ws.compute("nps", period="year", start="2025-01-01", end="2025-12-31").to_dicts()
    assert [r["period"] for r in y] == ["2025"] and y[0]["period_start"] == "2025-01-01"


def test_range_selects_whole_overlapping_periods(tmp_path):
    ws, _ = _load(tmp_path)
    # 2025-01-20 to 2025-01-20 (inclusive) overlaps January: January is computed over its whole span
    rows = ws.compute("nps", period="month", start="2025-01-20", end="2025-01-20").to_dicts()
    assert [r["period"] for r in rows] == ["2025-01"] and rows[0]["n"] == 4


def test_default_range_runs_from_first_signup_to_last_event(tmp_path):
    ws, _ = _load(tmp_path)
    periods = [r["period"] for r in ws.compute("nps", period="month").to_dicts()]
    assert periods[0] == "2024-06" and periods[-1] == "2025-01" and len(periods) == 8


def test_offset_timestamps_fall_in_the_utc_period(tmp_path):
    ws, _ = _load(tmp_path)
    ws.import_events([{"event_id": "tz1", "customer_id": "A", "type": "nps_response",
                       "occurred_at": "2025-01-31T23:30:00-03:00", "score": 10}])
    rows = {r["period"]: r for r in ws.compute("nps", period="month", start="2025-01", end="2025-02").to_dicts()}
    assert rows["2025-01"]["n"] == 4 and rows["2025-02"]["n"] == 1


def test_arrow_and_pandas(tmp_path):
    ws, exp = _load(tmp_path)
    res = ws.compute(["nps", "csat"], period="month", by=["segment"], start=exp["from"], end=exp["to"])
    table = res.to_arrow()
    frame = res.to_pandas()
    assert table.num_rows == len(frame) == 4
    assert {"kpi", "period", "period_start", "segment", "value", "numerator", "denominator", "n"} <= set(frame.columns)


def test_filter_keeps_one_segment(tmp_path):
    ws, exp = _load(tmp_path)
    rows = ws.compute(["nps", "customer_churn_rate", "referral_revenue"], period="month", start=exp["from"],
                      end=exp["to"], filters={"segment": "SMB"}).to_dicts()
    got = {r["kpi"]: r["value"] for r in rows}
    assert _same(got["nps"], 200 / 3) and got["customer_churn_rate"] == 0.0 and got["referral_revenue"] == 0.0
