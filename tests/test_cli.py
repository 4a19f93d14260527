"""The ``advokit`` command line, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from advokit import CORE_KPIS

from .api_support import worked_workspace

CASE = Path(__file__).parent / "cases" / "worked_example"
ADVOKIT = str(Path(sys.executable).with_name("advokit"))


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ADVOKIT, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
                          cwd=cwd, timeout=300)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """The worked example imported by this command line (once per process, then copied: tests/api_support.py)."""
    return str(worked_workspace(tmp_path / "cli.duckdb"))


def test_compute_json_is_an_array_of_contract_rows(db):
    p = run("--db", db, "kpi", "compute", *CORE_KPIS, "--period", "month", "--from", "2025-01-01",
            "--to", "2025-01-31", "--format", "json")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert isinstance(rows, list) and len(rows) == 12
    nps = next(r for r in rows if r["kpi"] == "nps")
    assert nps["value"] == 25.0 and nps["promoters"] == 2 and nps["passives"] == 1 and nps["detractors"] == 1
    assert {"kpi", "period", "period_start", "value", "numerator", "denominator", "n", "margin_of_error"} <= set(nps)


def test_compute_by_segment_table_and_csv(db):
    p = run("--db", db, "kpi", "compute", "nps", "--by", "segment", "--from", "2025-01", "--to", "2025-01")
    assert p.returncode == 0 and "SMB" in p.stdout and "Enterprise" in p.stdout and "66.7" in p.stdout
    c = run("--db", db, "kpi", "compute", "nps", "--by", "segment", "--from", "2025-01", "--to", "2025-01",
            "--format", "csv")
    lines = c.stdout.strip().splitlines()
    assert lines[0].startswith("kpi,period,period_start,segment,value") and len(lines) == 3


def test_extra_column_is_a_dimension(tmp_path):
    cust = tmp_path / "c.csv"
    cust.write_text("customer_id,signup_at,tier\nA,2024-01-01,gold\nB,2024-01-01,silver\n")
    ev = tmp_path / "e.csv"
    ev.write_text("customer_id,type,occurred_at,score\nA,nps_response,2024-02-01,10\nB,nps_response,2024-02-02,0\n")
    db = str(tmp_path / "x.duckdb")
    run("--db", db, "import", "customers", str(cust))
    run("--db", db, "import", "events", str(ev))
    p = run("--db", db, "kpi", "compute", "nps", "--by", "tier", "--from", "2024-02", "--to", "2024-02",
            "--format", "json")
    assert {r["tier"]: r["value"] for r in json.loads(p.stdout)} == {"gold": 100.0, "silver": -100.0}


@pytest.mark.parametrize("args,needle", [
    (["kpi", "compute", "not_a_kpi"], "valid KPI ids"),
    (["kpi", "compute", "nps", "--by", "shoe_size"], "valid dimensions"),
    (["kpi", "compute", "nps", "--from", "2025-13-45"], "YYYY-MM-DD"),
    (["kpi", "compute", "nps", "--period", "week"], "month"),
    (["kpi", "show", "nope"], "valid KPI ids"),
])
def test_bad_arguments_give_one_line_and_exit_2(db, args, needle):
    p = run("--db", db, *args)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    assert p.stderr.startswith("error: ") and len(p.stderr.strip().splitlines()) == 1 and needle in p.stderr


def test_unreadable_file_exit_1_lands_nothing(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02garbage\xff\xfe" * 50)
    p = run("--db", db, "import", "events", str(bad))
    assert p.returncode == 1 and p.stderr.startswith("error: ") and "Traceback" not in p.stderr
    missing = tmp_path / "missing.csv"
    missing.write_text("customer_id,occurred_at\nA,2025-01-01\n")
    p = run("--db", db, "import", "events", str(missing), "--format", "json")
    assert p.returncode == 1 and "type" in p.stderr


def test_import_json_summary_and_rejects_file(db, tmp_path):
    bad = tmp_path / "mixed.csv"
    bad.write_text("event_id,customer_id,type,occurred_at,score\n"
                   "g1,A,nps_response,2025-03-01,8\nx1,A,nps_response,2025-03-01,11\n"
                   "x2,ghost,nps_response,2025-03-01,5\nx3,A,nps_response,2025-03-41,5\n")
    p = run("--db", db, "import", "events", str(bad), "--format", "json")
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert (s["imported"], s["rejected"], s["duplicates"]) == (1, 3, 0)
    assert {(e["row"], e["column"]) for e in s["errors"]} == {(2, "score"), (3, "customer_id"), (4, "occurred_at")}
    assert all(e["reason"] and "value" in e for e in s["errors"])
    assert Path(s["rejects_path"]).exists()
    again = json.loads(run("--db", db, "import", "events", str(bad), "--format", "json").stdout)
    assert again["imported"] == 0 and again["duplicates"] == 1


def test_strict_lands_nothing(db, tmp_path):
    bad = tmp_path / "mixed.csv"
    bad.write_text("event_id,customer_id,type,occurred_at,score\ng1,A,nps_response,2025-03-01,8\n"
                   "x1,A,nps_response,2025-03-01,11\n")
    p = run("--db", db, "import", "events", str(bad), "--strict")
    assert p.returncode == 1 and "error:" in p.stderr
    rows = json.loads(run("--db", db, "kpi", "compute", "nps", "--from", "2025-03", "--to", "2025-03",
                          "--format", "json").stdout)
    assert rows[0]["n"] == 0


def test_workspace_from_env_and_default_path(tmp_path):
    env_db = tmp_path / "env.duckdb"
    p = run("import", "customers", str(CASE / "customers.csv"), env={"ADVOKIT_DB": str(env_db)})
    assert p.returncode == 0 and env_db.exists()
    env = {k: v for k, v in os.environ.items() if k != "ADVOKIT_DB"}
    p = subprocess.run([ADVOKIT, "import", "customers", str(CASE / "customers.csv")], capture_output=True,
                       text=True, cwd=tmp_path, env=env, timeout=120)
    assert p.returncode == 0 and (tmp_path / "advokit.duckdb").exists()


def test_kpi_list_show_search(db):
    lst = json.loads(run("kpi", "list", "--format", "json").stdout)
    assert set(CORE_KPIS) <= {k["id"] for k in lst}
    show = json.loads(run("kpi", "show", "nps", "--format", "json").stdout)
    assert show["id"] == "nps" and len(show["attributes"]) == 12
    hits = json.loads(run("kpi", "search", "referral", "--format", "json").stdout)
    assert all("referral" in h["id"] for h in hits[:3])
