"""Trend, significance, rolling mean, targets, bands and status (Workspace.analyze / scorecard)."""

from __future__ import annotations

import datetime as dt

import pytest

from advokit.analysis.targets import Target, applicable
from advokit.analysis.trend import overall_status
from advokit.engine.periods import parse_period_label
from advokit.errors import (
    InvalidArgumentError,
    NotFoundError,
    UnknownDimensionError,
    UnknownKpiError,
)

from .analysis_support import (
    add_customers,
    add_events,
    catalogue,
    load_worked_example,
    workspace,
)

D = dt.datetime


@pytest.fixture
def ws(tmp_path):
    """40 customers (20 SMB, 20 Enterprise) with NPS and CSAT answers built for obvious answers."""
    w = workspace(tmp_path / "t.duckdb")
    add_customers(w, [(f"c{i}", "SMB" if i < 20 else "Enterprise", "EMEA", D(2023, 6, 1), None, 1000.0)
                      for i in range(40)])
    ev = []
    ev += [(f"c{i % 40}", "nps_response", D(2024, 2, 10), 10.0 if i < 25 else 8.0, None) for i in range(50)]
    ev += [(f"c{i % 40}", "nps_response", D(2025, 1, 10), 10.0, None) for i in range(100)]
    ev += [(f"c{i % 40}", "nps_response", D(2025, 2, 10), 0.0, None) for i in range(100)]
    ev += [(f"c{i}", "csat_response", D(2025, 1, 5), 5.0 if i < 7 else 2.0, None) for i in range(10)]
    ev += [(f"c{i}", "csat_response", D(2025, 2, 5), 5.0 if i < 6 else 2.0, None) for i in range(10)]
    add_events(w, ev)
    yield w
    w.close()


def test_history_is_fetched_without_clipping_the_request(ws):
    rows = ws.analyze(["nps", "csat"], period="month", start="2025-02", end="2025-02")
    assert [r["period"] for r in rows] == ["2025-02", "2025-02"]
    nps = rows[0]
    assert nps["value"] == -100.0 and nps["previous_period"] == "2025-01" and nps["previous"] == 100.0
    assert nps["change"] == -200.0 and nps["change_pct"] == -200.0
    assert nps["change_significant"] is True and nps["change_p_value"] < 1e-10
    assert nps["year_ago_period"] == "2024-02" and nps["year_ago"] == 50.0
    assert nps["yoy_change"] == -150.0 and nps["yoy_change_pct"] == -300.0 and nps["yoy_significant"] is True
    assert nps["rolling_mean"] == 0.0  # December empty, January 100, February −100
    csat = rows[1]  # 70 % → 60 % of 10 answers: not significant
    assert csat["change"] == pytest.approx(-10.0) and csat["change_significant"] is False
    assert 0.5 < csat["change_p_value"] < 1 and csat["yoy_significant"] is None  # no answers a year before


def test_rolling_window_is_configurable(ws):
    rows = ws.analyze("nps", period="month", start="2025-02", end="2025-02", rolling=2)
    assert rows[0]["rolling_mean"] == 0.0 and rows[0]["rolling_periods"] == 2
    rows = ws.analyze("nps", period="month", start="2025-02", end="2025-02", rolling=1)
    assert rows[0]["rolling_mean"] == -100.0
    with pytest.raises(InvalidArgumentError):
        ws.analyze("nps", rolling=0)


def test_quarter_and_year_grains(ws):
    q = ws.analyze("nps", period="quarter", start="2025-01", end="2025-03")
    assert q[0]["period"] == "2025-Q1" and q[0]["previous_period"] == "2024-Q4"
    assert q[0]["year_ago_period"] == "2024-Q1" and q[0]["year_ago"] == 50.0 and q[0]["value"] == 0.0
    y = ws.analyze("nps", period="year", start="2025", end="2025")
    assert y[0]["previous_period"] == "2024" and y[0]["year_ago_period"] == "2024" and y[0]["previous"] == 50.0


def test_segments_are_compared_within_their_group(ws):
    rows = ws.analyze("nps", period="month", by="segment", start="2025-02", end="2025-02")
    assert {r["segment"] for r in rows} == {"SMB", "Enterprise"}
    assert all(r["previous"] == 100.0 and r["change_significant"] for r in rows)


def test_filters_pass_through(ws):
    rows = ws.analyze("nps", period="month", start="2025-02", end="2025-02", filters={"segment": "SMB"})
    assert rows[0]["n"] == 60  # c0..c19 answered 3 times of 100 → 20 × 3
    with pytest.raises(UnknownDimensionError):
        ws.analyze("nps", filters={"shoe": "x"})


def test_targets_precedence_and_status(ws):
    g = ws.set_target("nps", 10)
    ws.set_target("nps", 50, segment="SMB", valid_from="2025-01")
    ws.set_target("nps", -150, segment="SMB", valid_from="2025-02", valid_to="2025-02")
    rows = {(r["period"], r["segment"]): r for r in
            ws.analyze("nps", period="month", by="segment", start="2025-01", end="2025-03")}
    assert rows[("2025-01", "SMB")]["target"]["value"] == 50.0  # segment beats global
    assert rows[("2025-01", "SMB")]["target"]["status"] == "met" and rows[("2025-01", "SMB")]["status"] == "good"
    assert rows[("2025-02", "SMB")]["target"]["value"] == -150.0  # latest valid_from wins in February
    assert rows[("2025-02", "SMB")]["target"]["status"] == "met"
    assert rows[("2025-03", "SMB")]["target"]["value"] == 50.0  # the February target has ended
    assert rows[("2025-02", "Enterprise")]["target"]["id"] == g["id"]  # no Enterprise target: the global one
    assert rows[("2025-02", "Enterprise")]["target"]["status"] == "missed"
    assert rows[("2025-02", "Enterprise")]["status"] == "poor"
    total = ws.analyze("nps", period="month", start="2025-01", end="2025-01")[0]
    assert total["target"]["value"] == 10.0  # a segment target never applies to the total...
    filtered = ws.analyze("nps", period="month", start="2025-01", end="2025-01", filters={"segment": "SMB"})[0]
    assert filtered["target"]["value"] == 50.0  # ...but applies when the request keeps only that segment


def test_target_crud_and_validation(ws):
    t = ws.set_target("csat", "80", dimension="region", dimension_value="EMEA", valid_from="2025-Q1", valid_to="2025")
    assert (t["value"], t["valid_from"], t["valid_to"]) == (80.0, "2025-01-01", "2026-01-01")
    assert [x["id"] for x in ws.analysis.targets("csat")] == [t["id"]]
    with pytest.raises(UnknownKpiError):
        ws.set_target("nope", 1)
    for bad in ("abc", "nan", True):
        with pytest.raises(InvalidArgumentError):
            ws.set_target("nps", bad)
    with pytest.raises(InvalidArgumentError):
        ws.set_target("nps", 1, valid_from="2025-13")
    with pytest.raises(InvalidArgumentError):
        ws.set_target("nps", 1, valid_from="2025-06", valid_to="2025-01-01")
    with pytest.raises(UnknownDimensionError):
        ws.set_target("nps", 1, dimension="shoe", dimension_value="x")
    with pytest.raises(InvalidArgumentError):
        ws.set_target("nps", 1, dimension="region")
    with pytest.raises(InvalidArgumentError):
        ws.set_target("nps", 1, segment="SMB", dimension="region", dimension_value="EMEA")
    assert ws.analysis.delete_target(t["id"])["id"] == t["id"] and ws.analysis.targets() == []
    with pytest.raises(NotFoundError):
        ws.analysis.delete_target(t["id"])


def test_applicable_prefers_specific_then_latest():
    jan = parse_period_label("2025-01")
    glob_new = Target("g2", "nps", 1, valid_from=dt.date(2025, 1, 1))
    glob_old = Target("g1", "nps", 2)
    seg = Target("s", "nps", 3, "segment", "SMB")
    assert applicable([glob_old, glob_new], jan, {}).target_id == "g2"
    assert applicable([glob_old, glob_new, seg], jan, {"segment": "SMB"}).target_id == "s"
    assert applicable([seg], jan, {"segment": "Enterprise"}) is None
    assert applicable([Target("f", "nps", 1, valid_from=dt.date(2025, 2, 1))], jan, {}) is None


@pytest.mark.parametrize("row,direction,want", [
    ({"value": None}, "higher_is_better", "unknown"),
    ({"value": 50, "target": {"value": 40, "status": "met"}}, "higher_is_better", "good"),
    ({"value": 38, "target": {"value": 40, "status": "missed"}}, "higher_is_better", "watch"),  # within 10 %
    ({"value": 20, "ci_low": 5, "ci_high": 45, "target": {"value": 40, "status": "missed"}}, "higher_is_better",
     "watch"),  # target inside the interval
    ({"value": 20, "ci_low": 15, "ci_high": 25, "target": {"value": 40, "status": "missed"}}, "higher_is_better",
     "poor"),
    ({"value": 3, "band": {"label": "healthy", "rating": "good"}}, "lower_is_better", "good"),
    ({"value": 7, "band": {"label": "elevated", "rating": "fair"}}, "lower_is_better", "watch"),
    ({"value": 3, "band": {"label": "healthy", "rating": "good"}, "change": 2, "change_significant": True},
     "lower_is_better", "watch"),  # significantly worse
    ({"value": 3, "band": {"label": "healthy", "rating": "good"}, "change": -2, "change_significant": True},
     "lower_is_better", "good"),
    ({"value": 3}, "higher_is_better", "unknown"),
])
def test_overall_status(row, direction, want):
    k = next(iter(catalogue())).model_copy(update={"direction": direction})
    assert overall_status(k, row) == want


def test_band_is_direction_aware(tmp_path):
    w = workspace(tmp_path / "b.duckdb")
    load_worked_example(w)
    row = w.analyze("customer_churn_rate", period="month", start="2025-01", end="2025-01")[0]
    assert row["value"] == 50.0 and row["band"] == {"label": "alarming", "rating": "poor"} and row["status"] == "poor"
    w.close()


def test_compare_two_segments(tmp_path):
    w = workspace(tmp_path / "c.duckdb")
    add_customers(w, [(f"c{i}", "SMB" if i < 20 else "Enterprise", None, D(2024, 1, 1), None, None)
                      for i in range(40)])
    add_events(w, [(f"c{i}", "nps_response", D(2025, 1, 5), 10.0 if i < 20 else 0.0, None) for i in range(40)]
               + [(f"c{i}", "csat_response", D(2025, 1, 5), 5.0 if i % 2 else 1.0, None) for i in range(40)])
    rows = {r["kpi"]: r for r in w.compare(["nps", "csat", "referral_revenue"], period="2025-01", by="segment",
                                           a="SMB", b="Enterprise")}
    assert rows["nps"]["a"]["value"] == 100.0 and rows["nps"]["b"]["value"] == -100.0
    assert rows["nps"]["difference"] == 200.0 and rows["nps"]["significant"] is True
    assert rows["csat"]["difference"] == 0.0 and rows["csat"]["significant"] is False
    assert rows["csat"]["p_value"] == pytest.approx(1.0)
    assert rows["referral_revenue"]["p_value"] is None and rows["referral_revenue"]["significant"] is None
    with pytest.raises(InvalidArgumentError, match="no segment 'Mid'"):
        w.compare("nps", period="2025-01", by="segment", a="SMB", b="Mid")
    w.close()
