"""Nothing is judged on a value that is not tracked (issue 14): scorecard, trend and summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from advokit import Workspace

from .cli_support import csv_workspace

CUSTOMERS = "customer_id,signup_at,churned_at\nC1,2024-01-01,\nC2,2024-01-01,2024-02-10\nC3,2024-01-01,\n"
EVENTS = ("event_id,customer_id,type,occurred_at,score\n"
          "E1,C1,csat_response,2024-01-05,5\nE2,C3,csat_response,2024-01-06,4\n"
          "E3,C1,csat_response,2024-03-05,4\nE4,C3,csat_response,2024-03-06,2\n")


def _ws(tmp_path: Path) -> Workspace:
    return csv_workspace(tmp_path, CUSTOMERS, EVENTS)


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


SEGMENTED = "customer_id,signup_at,churned_at,segment\nC1,2024-01-01,,A\nC2,2024-01-01,2024-02-10,B\nC3,2024-01-01,,B\n"


def _segmented(tmp_path: Path) -> Workspace:
    (tmp_path / "c.csv").write_text(SEGMENTED)
    (tmp_path / "e.csv").write_text(EVENTS)
    ws = Workspace(tmp_path / "w.duckdb")
    ws.import_customers(tmp_path / "c.csv")
    ws.import_events(tmp_path / "e.csv")
    return ws


def test_compare_groups_gives_no_verdict_when_not_tracked(tmp_path: Path) -> None:
    ws = _segmented(tmp_path)
    rows = {r["kpi"]: r for r in ws.compare(["nps", "csat"], period="2024-01", by="segment", a="A", b="B")}
    nps = rows["nps"]
    assert (nps["a"]["coverage"], nps["b"]["coverage"]) == ("not_tracked", "not_tracked")
    assert "nps_response" in nps["a"]["note"]
    assert (nps["difference"], nps["p_value"], nps["significant"]) == (None, None, None)
    csat = rows["csat"]
    assert (csat["a"]["coverage"], csat["b"]["coverage"]) == ("covered", "covered")
    assert (csat["a"]["value"], csat["b"]["value"], csat["difference"]) == (100.0, 100.0, 0.0)


def test_compare_windows_needs_both_windows_covered(tmp_path: Path) -> None:
    ws = _segmented(tmp_path)
    ws.kpis.coverage.set("csat_response", start=dt.date(2024, 3, 1), end=None)
    out = ws.analysis.compare_windows(["csat"], start="2024-03", end="2024-03")
    row = out["rows"][0]
    assert row["campaign"]["coverage"] == "covered" and row["campaign"]["value"] == 50.0
    assert row["baseline"]["coverage"] == "not_tracked" and row["baseline"]["value"] is None
    assert (row["difference"], row["p_value"], row["significant"]) == (None, None, None)


def test_cli_tables_say_not_tracked(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from advokit.cli import main

    _segmented(tmp_path).close()

    def run(*args: str) -> str:
        try:
            main(["--db", str(tmp_path / "w.duckdb"), *args])
        except SystemExit as exc:
            assert not exc.code, capsys.readouterr().err
        return capsys.readouterr().out

    out = run("kpi", "compute", "nps", "csat", "--from", "2024-01", "--to", "2024-02")
    lines = out.splitlines()
    assert lines[0].split()[-1] == "coverage"
    nps_row = next(line for line in lines if line.startswith("nps ") and "2024-01" in line)
    assert "not tracked" in nps_row and nps_row.split()[-2:] == ["not", "tracked"]
    csat_row = next(line for line in lines if line.startswith("csat ") and "2024-01" in line)
    assert csat_row.split()[-1] == "covered" and "100.0" in csat_row
    assert any(line.startswith("nps (") and "nps_response" in line for line in lines)
    out = run("trend", "nps", "--from", "2024-01", "--to", "2024-03")
    row = next(line for line in out.splitlines() if line.startswith("nps ") and "2024-02" in line)
    assert row.count("not tracked") == 2 and "poor" not in row and "good" not in row
    out = run("compare", "nps", "--period", "2024-01", "--by", "segment", "--a", "A", "--b", "B")
    row = next(line for line in out.splitlines() if line.startswith("nps "))
    assert row.count("not tracked") == 3 and row.split()[-2:] == ["not", "tracked"]
    assert " yes" not in row and " no " not in row and row.count("—") == 2  # no difference, no p-value
