"""Nothing is judged on a value that is not tracked (issue 14): scorecard, trend and summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from advokit import Workspace

CUSTOMERS = "customer_id,signup_at,churned_at\nC1,2024-01-01,\nC2,2024-01-01,2024-02-10\nC3,2024-01-01,\n"
EVENTS = ("event_id,customer_id,type,occurred_at,score\n"
          "E1,C1,csat_response,2024-01-05,5\nE2,C3,csat_response,2024-01-06,4\n"
          "E3,C1,csat_response,2024-03-05,4\nE4,C3,csat_response,2024-03-06,2\n")


def _ws(tmp_path: Path) -> Workspace:
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    (tmp_path / "e.csv").write_text(EVENTS)
    ws = Workspace(tmp_path / "w.duckdb")
    ws.import_customers(tmp_path / "c.csv")
    ws.import_events(tmp_path / "e.csv")
    return ws


def test_scorecard_does_not_judge_not_tracked(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    card = ws.scorecard("2024-02")
    entries = {e["kpi"]: e for a in card["focus_areas"] for e in a["kpis"]}
    nps = entries["nps"]
    assert (nps["coverage"], nps["value"], nps["band"], nps["status"], nps["change"]) == (
        "not_tracked", None, None, "not_tracked", None)
    assert nps["note"] and "nps_response" in nps["note"]
    missing = {m["kpi"] for m in card["not_tracked"]}
    assert {"nps", "referral_conversion_rate", "referral_participation_rate"} <= missing
    assert "customer_churn_rate" not in missing
    assert entries["customer_churn_rate"]["coverage"] == "covered"
    assert entries["customer_churn_rate"]["status"] != "not_tracked"
    for e in entries.values():
        if e["band"] is not None or e["status"] in ("good", "watch", "poor"):
            assert e["coverage"] == "covered", e["kpi"]


def test_no_change_across_an_uncovered_period(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    ws.kpis.coverage.set("csat_response", start=dt.date(2024, 3, 1), end=None)
    rows = {r["period"]: r for r in ws.analyze(["csat"], period="month", start="2024-02", end="2024-04")}
    assert rows["2024-02"]["coverage"] == "not_tracked"
    assert rows["2024-02"]["change"] is None and rows["2024-02"]["status"] == "not_tracked"
    assert rows["2024-03"]["coverage"] == "covered"
    assert rows["2024-03"]["value"] is not None
    assert rows["2024-03"]["change"] is None and rows["2024-03"]["change_p_value"] is None


def test_summary_carries_coverage(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rows = {r["kpi"]: r for r in ws.summary(period="2024-03")}
    assert rows["nps"]["coverage"] == "not_tracked" and rows["nps"]["change"] is None
    assert rows["csat"]["coverage"] == "covered" and rows["csat"]["value"] is not None
