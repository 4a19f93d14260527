"""Issue 13 item 4: a segment with one customer (one answer) must not crash the report.

The probe's exact steps: a 300-customer, 6-month demo; customer ``solo-1`` in
segment ``Solo`` with one ``testimonial`` in the last month; ``advokit report``
for that month. Welch's test of that segment against the rest evaluated
``lgamma(0)`` (n = 1) and the CLI said ``internal error (ValueError: math
domain error)``, ``GET /v1/reports`` answered 500.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..api_support import Server, cli, new_keys

MONTH = "2026-11"


@pytest.fixture(scope="module")
def solo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("solo")
    db = tmp / "solo.duckdb"
    cli(db, "demo", "--no-models", "--customers", "300", "--months", "6", "--end", MONTH)
    (tmp / "solo_customers.csv").write_text("customer_id,segment,signup_at\nsolo-1,Solo,2026-06-01\n")
    (tmp / "solo_events.csv").write_text("event_id,customer_id,type,occurred_at\n"
                                         f"solo-t1,solo-1,testimonial,{MONTH}-10T10:00:00Z\n")
    assert "imported 1, rejected 0" in cli(db, "import", "customers", str(tmp / "solo_customers.csv"),
                                           "--no-progress").stdout
    assert "imported 1, rejected 0" in cli(db, "import", "events", str(tmp / "solo_events.csv"),
                                           "--no-progress").stdout
    return db


@pytest.mark.slow
def test_report_cli_with_a_one_customer_segment(solo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    proc = cli(solo_db, "report", "--period", MONTH, "--out", str(out), check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith(f"wrote {out} (monthly report {MONTH}, md:")
    assert out.read_text(encoding="utf-8").startswith("# Customer Advocacy Report: November 2026")


@pytest.mark.slow
def test_report_api_with_a_one_customer_segment(solo_db: Path) -> None:
    key = new_keys(solo_db, "read")["read"]
    with Server(solo_db, rate=0) as server, server.client(key) as client:
        r = client.get("/v1/reports", params={"period": MONTH, "format": "md"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/markdown")
        assert r.text.startswith("# Customer Advocacy Report: November 2026")
