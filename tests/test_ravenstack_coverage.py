"""End to end on the real RavenStack SaaS data (issue 14): nothing is judged that the data cannot support.

tests/ravenstack_support.py converts the dataset into the data contract: accounts become customers,
support tickets' satisfaction (1-5) csat_response events, each account's first feature use its
activation, paid subscriptions expansion (start) and contraction (end) events. There are no NPS
answers, no referrals and no advocacy actions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from advokit import Workspace
from advokit.reports import build_report
from advokit.reports.model import APPENDIX_TITLE, NOT_TRACKED_TITLE, SECTIONS

from .conftest import shared_path
from .ravenstack_support import convert_ravenstack

pytestmark = pytest.mark.slow

JUDGED = re.compile(r"\b(bands?|status|significant(ly)?|rose|fell|good|poor|watch|met|missed|excellent|fair)\b",
                    re.IGNORECASE)


@pytest.fixture(scope="module")
def ravenstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = shared_path("data", "saas-ravenstack")
    root = tmp_path_factory.mktemp("ravenstack")
    customers, events = convert_ravenstack(folder, root)
    with Workspace(root / "ravenstack.duckdb") as ws:
        ws.import_customers(customers)
        ws.import_events(events)
        yield ws


def test_the_scorecard_judges_nothing_the_data_cannot_support(ravenstack: Workspace) -> None:
    period = ravenstack.latest_complete_period("month")
    assert period == "2024-12"
    card = ravenstack.scorecard(period)
    entries = {e["kpi"]: e for a in card["focus_areas"] for e in a["kpis"]}
    for e in entries.values():
        if e["band"] is not None or e["status"] in ("good", "watch", "poor"):
            assert e["coverage"] == "covered", e["kpi"]
        if e["coverage"] == "not_tracked":
            assert (e["value"], e["band"], e["change"], e["status"]) == (None, None, None, "not_tracked"), e["kpi"]
    missing = {m["kpi"] for m in card["not_tracked"]}
    assert {"nps", "referral_conversion_rate", "referral_participation_rate", "referral_revenue"} <= missing
    assert not {"csat", "customer_churn_rate"} & missing
    assert entries["csat"]["value"] is not None and entries["csat"]["coverage"] == "covered"


def test_the_monthly_report_makes_no_claim_about_not_tracked_kpis(ravenstack: Workspace) -> None:
    report = build_report(ravenstack, kind="monthly", period="2024-12")
    missing = {nt.kpi: nt.name for nt in report.not_tracked}
    assert {"nps", "referral_conversion_rate", "referral_participation_rate"} <= set(missing)
    assert not {m.kpi for m in report.metrics} & set(missing)
    assert not {c.kpi for c in report.summary.claims} & set(missing)
    md = report.render("md").decode()
    assert [line[3:] for line in md.splitlines() if line.startswith("## ")] == [*SECTIONS, APPENDIX_TITLE]
    metrics = md[md.index(f"## {SECTIONS[1]}"):md.index(f"## {SECTIONS[2]}")]
    assert f"### {NOT_TRACKED_TITLE}" in metrics
    for kpi, name in missing.items():
        lines = [line for line in md.splitlines() if name.replace("(", "\\(").replace(")", "\\)") in line
                 or name in line or f"`{kpi}`" in line]
        assert lines, name
        # its entry under "Not tracked in this workspace" (the body's one-line list or the appendix's
        # entry with the data it needs), never a value, a band or a change
        assert any(line.startswith("- **") for line in lines), name
        for line in lines:
            assert line.startswith("- **") or "cannot be measured" in line, (name, line)
            assert not JUDGED.search(line), (name, line)
