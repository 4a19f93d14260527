"""The analysis commands: trend, scorecard, cohort, maturity, target (thin shells over the Workspace)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import advokit.workspace as workspace_module
from advokit import CORE_KPIS
from advokit.catalogue import load_catalogue
from advokit.cli import main

from .analysis_support import CASE, catalogue, load_worked_example, workspace


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    cat = catalogue()
    monkeypatch.setattr(workspace_module, "load_catalogue", lambda *a, **k: cat)
    path = tmp_path / "cli.duckdb"
    ws = workspace(path, cat)
    load_worked_example(ws)
    ws.close()
    return str(path)


@pytest.fixture
def run(db, capsys):
    def invoke(*args: str) -> tuple[int, str, str]:
        try:
            main(["--db", db, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err
    return invoke


def test_scorecard_json_and_table(run):
    code, out, err = run("scorecard", "--period", "2025-01", "--format", "json")
    assert code == 0, err
    card = json.loads(out)
    assert card["period"] == "2025-01" and len(card["focus_areas"]) == 5
    code, out, _ = run("scorecard", "--period", "2025-Q1", "--by", "segment")
    assert code == 0 and "Referral Program Impact" in out and "Enterprise" in out and "small sample" in out


def test_target_commands(run):
    code, out, err = run("target", "set", "nps", "40", "--segment", "Enterprise", "--from", "2025-01",
                         "--format", "json")
    assert code == 0, err
    saved = json.loads(out)
    assert (saved["kpi"], saved["value"], saved["dimension"], saved["dimension_value"], saved["valid_from"]) == \
        ("nps", 40.0, "segment", "Enterprise", "2025-01-01")
    assert run("target", "set", "nps", "-10", "--dimension", "region", "--value", "EMEA", "--to", "2025-12")[0] == 0
    listed = json.loads(run("target", "list", "--format", "json")[1])
    assert len(listed) == 2 and {t["valid_to"] for t in listed} == {None, "2026-01-01"}
    code, out, _ = run("scorecard", "--period", "2025-01", "--by", "segment", "--format", "json")
    nps = next(e for e in json.loads(out)["focus_areas"][0]["kpis"] if e["kpi"] == "nps")
    ent = next(g for g in nps["groups"] if g["group"] == "Enterprise")
    assert ent["target"]["value"] == 40.0 and ent["target"]["status"] == "missed" and ent["status"] == "poor"
    assert run("target", "delete", saved["id"])[0] == 0
    assert len(json.loads(run("target", "list", "--format", "json")[1])) == 1


@pytest.mark.parametrize("args,needle", [
    (["target", "set", "not_a_kpi", "1"], "valid KPI ids"),
    (["target", "set", "nps", "forty"], "must be a number"),
    (["target", "set", "nps", "40", "--from", "2025-13"], "YYYY-MM"),
    (["target", "set", "nps", "40", "--dimension", "shoe", "--value", "x"], "valid dimensions"),
    (["target", "list", "--kpi", "nope"], "valid KPI ids"),
    (["scorecard", "--period", "2025-13"], "months run 01-12"),
    (["scorecard", "--period", "2025-01", "--by", "shoe"], "valid dimensions"),
    (["trend", "nope"], "valid KPI ids"),
    (["trend", "nps", "--filter", "segment"], "DIM=VALUE"),
    (["cohort", "--activity", "order"], "valid types"),
])
def test_bad_input_one_error_line_exit_2(run, args, needle):
    code, out, err = run(*args)
    assert code == 2, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and needle in err


def test_delete_unknown_target_is_not_found(run):
    code, _, err = run("target", "delete", "nope")
    assert code == 1 and err.startswith("error: no target with id")


def test_trend_formats(run):
    code, out, _ = run("trend", "nps", "customer_churn_rate", "--from", "2024-12", "--to", "2025-01",
                       "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [(r["kpi"], r["period"]) for r in rows] == [
        ("nps", "2024-12"), ("nps", "2025-01"), ("customer_churn_rate", "2024-12"), ("customer_churn_rate", "2025-01")]
    assert rows[3]["previous"] == 0.0 and rows[3]["change"] == 50.0 and "change_p_value" in rows[3]
    code, out, _ = run("trend", "nps", "--by", "segment", "--from", "2025-01", "--to", "2025-01", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("kpi,period,period_start,segment,value") and \
        len(out.strip().splitlines()) == 3
    code, out, _ = run("trend", "nps", "--from", "2025-01", "--to", "2025-01", "--filter", "segment=SMB")
    assert code == 0 and "66.7" in out


def test_cohort_formats(run):
    code, out, _ = run("cohort", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["cohort"] == "2024-06" and rows[0]["rate"] == 100.0
    code, out, _ = run("cohort", "--basis", "revenue", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "cohort,cohort_start,size,offset,period,retained,base,rate,small_sample"
    code, out, _ = run("cohort", "--period", "quarter")
    assert code == 0 and "2024-Q2" in out and "2025-Q1" in out


def test_maturity_formats(run):
    code, out, _ = run("maturity", "--format", "json")
    m = json.loads(out)
    assert code == 0 and m["level"] == 0 and m["stage_name"] == "Not yet Foundational"
    code, out, _ = run("maturity")
    assert code == 0 and "To reach Foundational" in out and "[x] Customers are imported" in out


def test_check_scorecard_on_the_shipped_catalogue(tmp_path):
    """What ../shared/checks (catalogue) runs, end to end, once the shipped catalogue and importer are there."""
    ids = load_catalogue().ids
    if not set(CORE_KPIS) <= set(ids):
        pytest.skip("the shipped catalogue does not hold the core KPIs yet")
    exe = str(Path(sys.executable).with_name("advokit"))
    db = str(tmp_path / "w.duckdb")
    for kind in ("customers", "events"):
        p = subprocess.run([exe, "--db", db, "import", kind, str(CASE / f"{kind}.csv")], capture_output=True,
                           text=True, timeout=300)
        if p.returncode != 0:
            pytest.skip(f"the importer is not ready: {p.stderr.strip()[:200]}")
    p = subprocess.run([exe, "--db", db, "scorecard", "--period", "2025-01", "--format", "json"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    card = json.loads(p.stdout)
    entries = {e["kpi"]: e for a in card["focus_areas"] for e in a["kpis"]}
    assert set(entries) == set(ids) and entries["nps"]["value"] == 25.0 and entries["nps"]["small_sample"] is True


def test_compare_command(run):
    code, out, err = run("compare", "nps", "--period", "2025-01", "--by", "segment", "--a", "SMB", "--b",
                         "Enterprise", "--format", "json")
    assert code == 0, err
    row = json.loads(out)[0]
    assert row["a"]["value"] == pytest.approx(200 / 3) and row["b"]["value"] == -100.0 and "p_value" in row
    code, out, err = run("compare", "nps", "--period", "2025-01", "--by", "segment", "--a", "SMB", "--b", "Mid")
    assert code == 2 and "segment values: Enterprise, SMB" in err
