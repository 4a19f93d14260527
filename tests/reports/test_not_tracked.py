"""A KPI whose inputs the workspace does not hold is listed as not tracked, never judged (issue 14)."""

from __future__ import annotations

import re
from html import escape

import pytest

from advokit import Workspace
from advokit.reports import build_report
from advokit.reports.model import APPENDIX_TITLE, NOT_TRACKED_TITLE, SECTIONS, Report

CUSTOMERS = "customer_id,signup_at,churned_at\nC1,2024-01-01,\nC2,2024-01-01,2024-02-10\nC3,2024-01-01,\n"
EVENTS = ("event_id,customer_id,type,occurred_at,score\n"
          "E1,C1,csat_response,2024-01-05,5\nE2,C3,csat_response,2024-01-06,4\n"
          "E3,C1,csat_response,2024-03-05,4\nE4,C3,csat_response,2024-03-06,2\n")
JUDGED = re.compile(r"band|status|significan|rose|fell|good|poor|watch|met|missed", re.IGNORECASE)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    tmp_path = tmp_path_factory.mktemp("not_tracked")
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    (tmp_path / "e.csv").write_text(EVENTS)
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.import_customers(tmp_path / "c.csv")
        ws.import_events(tmp_path / "e.csv")
        return build_report(ws, kind="monthly", period="2024-03")


def _section(text: str, start: str, stop: str) -> str:
    return text[text.index(start):text.index(stop, text.index(start))]


def test_report_lists_not_tracked_kpis_and_judges_none_of_them(report: Report) -> None:
    r = report
    missing = {nt.kpi: nt for nt in r.not_tracked}
    assert {"nps", "referral_conversion_rate", "referral_participation_rate"} <= set(missing)
    assert "csat" not in missing and "customer_churn_rate" not in missing
    assert [n.input for n in missing["nps"].inputs] == ["nps_response"]
    assert "advokit coverage set nps_response" in missing["nps"].inputs[0].supply
    judged = {m.kpi for m in r.metrics}
    assert not judged & set(missing)  # no band, status, change or claim for them anywhere
    assert "csat" in judged and r.metric("csat").value == 50.0 and r.metric("csat").status != "not_tracked"
    assert not {c.kpi for c in r.summary.claims} & set(missing)
    assert not {m.kpi for m in r.headline} & set(missing)  # nor a place among the headline KPIs
    summary = " ".join(r.summary.paragraphs)
    assert not any(nt.name in summary for nt in r.not_tracked)


def test_markdown_and_html_show_nps_under_not_tracked(report: Report) -> None:
    r = report
    md = r.render("md").decode()
    assert [line[3:] for line in md.splitlines() if line.startswith("## ")] == [*SECTIONS, APPENDIX_TITLE]
    block = _section(md, f"### {NOT_TRACKED_TITLE}", f"## {SECTIONS[2]}")
    assert "Net Promoter Score (`nps`)" in block and len([x for x in block.splitlines() if x.strip()]) == 2  # heading + one line
    details = _section(md, f"### {NOT_TRACKED_TITLE}: what would light them up", "\n### ")
    assert "**Net Promoter Score**" in details and "(nps\\_response)" in details
    assert "advokit coverage" not in md  # what to import, never a command line
    nps_lines = [line for line in md.splitlines() if "Net Promoter Score" in line]
    assert len(nps_lines) == 2  # the body's one line and its appendix entry, no table row
    for line in nps_lines:
        assert not JUDGED.search(line.replace("nps_response", "").replace("nps\\_response", "")), line
    assert _section(md, f"## {SECTIONS[1]}", f"### {NOT_TRACKED_TITLE}").count("Customer Satisfaction") == 1
    html = r.render("html").decode()
    assert html.index(f"<h2>{escape(SECTIONS[1])}</h2>") < html.index(f"<h3>{NOT_TRACKED_TITLE}</h3>") < html.index(
        f"<h2>{escape(SECTIONS[2])}</h2>")
    hblock = _section(html, f"<h3>{NOT_TRACKED_TITLE}</h3>", f"<h2>{escape(SECTIONS[2])}</h2>")
    assert "<code>nps</code>" in hblock
    assert "nps_response" in _section(html, f"<h3>{NOT_TRACKED_TITLE}: what would light them up</h3>", "\n<h3>")
    assert "<tr><td>Net Promoter Score" not in html
    pdf = r.render("pdf")
    assert pdf.startswith(b"%PDF")
