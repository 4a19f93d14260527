"""`advokit report`, `advokit comment` and `GET /v1/reports` against real processes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from ..api_support import Server, cli, new_keys
from .conftest import PERIOD
from .test_render import in_order

SECTIONS = ["Executive Summary", "Key Metrics & Trends", "Customer Stories & Qualitative Insights",
            "Wins & Opportunities", "Risks & Action Plans", "Next Steps & Requests for Support"]


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(demo_db, tmp_path / "cli.duckdb"))


def test_report_cli_writes_each_format(db: Path, tmp_path: Path) -> None:
    # one run, the three formats of one report (the content is computed once; --out FILE has its own test)
    proc = cli(db, "report", "--period", PERIOD, "--format", "html", "--format", "md", "--format", "pdf",
               "--out-dir", str(tmp_path))
    for fmt in ("html", "md", "pdf"):
        out = tmp_path / f"report-{PERIOD}.{fmt}"
        assert out.exists() and out.stat().st_size > 0
        assert f"wrote {out} (monthly report 2025-11, {fmt}:" in proc.stdout
        if fmt != "pdf":
            assert in_order(out.read_text(encoding="utf-8").replace("&amp;", "&"), SECTIONS)
        else:
            assert out.read_bytes().startswith(b"%PDF")


def test_report_cli_defaults_and_stdout(db: Path, tmp_path: Path) -> None:
    proc = cli(db, "report", "--kind", "campaign", "--from", "2025-09", "--to", "2025-10", "--out", "-",
               "--format", "md")
    assert proc.stdout.startswith("# Campaign Report") and in_order(proc.stdout, SECTIONS)
    out = tmp_path / "q.md"
    cli(db, "report", "--period", "2025-Q3", "--out", str(out))  # the suffix picks Markdown
    assert out.read_text(encoding="utf-8").startswith("# Customer Advocacy Report: Q3 2025")


def test_report_cli_errors_are_one_line(db: Path) -> None:
    for args in (["--period", "2025-Q3", "--kind", "monthly"], ["--period", "1999-01"], ["--by", "shoe_size"],
                 ["--kind", "campaign", "--from", "2025-09"], ["--format", "docx"]):
        proc = cli(db, "report", *args, check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_comment_cli_round_trip_feeds_the_report(db: Path, tmp_path: Path) -> None:
    added = json.loads(cli(db, "comment", "add", "nps", "--period", PERIOD, "--kind", "request", "--owner", "Kim",
                           "--body", "Two more CSMs for the detractor calls", "--format", "json").stdout)
    assert added["kind"] == "request" and added["owner"] == "Kim" and added["period"] == PERIOD
    listed = json.loads(cli(db, "comment", "list", "--kpi", "nps", "--period", PERIOD, "--format", "json").stdout)
    assert added["id"] in {c["id"] for c in listed}
    table = cli(db, "comment", "list", "--kind", "request").stdout
    assert "Two more CSMs" in table
    md = cli(db, "report", "--period", PERIOD, "--out", "-", "--format", "md").stdout
    requests = md.split("### Requests for support", 1)[1]
    assert "| Two more CSMs for the detractor calls | Net Promoter Score | Kim | — |" in requests
    bad = cli(db, "comment", "add", "nps", "--period", "2025-13", "--body", "x", check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")
    empty = cli(db, "comment", "add", "nope", "--period", PERIOD, "--body", "x", check=False)
    assert empty.returncode == 2 and "unknown KPI" in empty.stderr
    cli(db, "comment", "delete", added["id"])
    assert added["id"] not in {c["id"] for c in json.loads(cli(db, "comment", "list", "--format", "json").stdout)}


@pytest.fixture(scope="module")
def served(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    db = Path(shutil.copy(demo_db, tmp_path_factory.mktemp("reports-api") / "api.duckdb"))
    keys = new_keys(db, "read")
    with Server(db, rate=0) as server:
        yield SimpleNamespace(server=server, key=keys["read"])


def test_api_report_formats(served: SimpleNamespace) -> None:
    with served.server.client(served.key, timeout=300) as c:
        html = c.get("/v1/reports", params={"period": PERIOD})
        assert html.status_code == 200, html.text
        assert html.headers["content-type"] == "text/html; charset=utf-8"
        assert 'filename="report-2025-11.html"' in html.headers["content-disposition"]
        assert in_order(html.text.replace("&amp;", "&"), SECTIONS)
        md = c.get("/v1/reports", params={"period": "2025-Q3", "format": "md", "by": "region"})
        assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
        assert md.text.startswith("# Customer Advocacy Report: Q3 2025") and "(region)" in md.text
        pdf = c.get("/v1/reports", params={"kind": "campaign", "from": "2025-09", "to": "2025-10",
                                           "baseline_from": "2025-05", "baseline_to": "2025-06", "format": "pdf"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and 'report-2025-09-to-2025-10.pdf' in pdf.headers["content-disposition"]


def test_api_report_errors(served: SimpleNamespace) -> None:
    with served.server.client(None) as anonymous:
        assert anonymous.get("/v1/reports", params={"period": PERIOD}).status_code == 401
    with served.server.client(served.key) as c:
        for params in ({"period": "1999-01"}, {"period": "2025-Q3", "kind": "monthly"}, {"format": "docx"},
                       {"kind": "campaign", "from": "2025-09"}, {"by": "shoe_size"}, {"period": "2025-99"},
                       {"colour": "blue"}):
            r = c.get("/v1/reports", params=params)
            assert r.status_code == 422, (params, r.text)
            assert set(r.json()) == {"error"} and r.json()["error"]["message"]
