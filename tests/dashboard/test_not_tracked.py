"""Dashboard on a workspace with only CSAT answers and churn: not-tracked KPIs are grey, with no value or change."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from advokit import Workspace
from advokit.web.format import sparkline, status

from ..api_support import Server

CUSTOMERS = "customer_id,signup_at,churned_at\nC1,2024-01-01,\nC2,2024-01-01,2024-02-10\nC3,2024-01-01,\n"
EVENTS = ("event_id,customer_id,type,occurred_at,score\n"
          "E1,C1,csat_response,2024-01-05,5\nE2,C3,csat_response,2024-01-06,4\n"
          "E3,C1,csat_response,2024-03-05,4\nE4,C3,csat_response,2024-03-06,2\n")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("dashboard-not-tracked")
    (root / "c.csv").write_text(CUSTOMERS)
    (root / "e.csv").write_text(EVENTS)
    with Workspace(root / "w.duckdb") as ws:
        ws.import_customers(root / "c.csv")
        ws.import_events(root / "e.csv")
    with Server(root / "w.duckdb") as server:
        yield server.url


def _card(html: str, kpi: str) -> str:
    found = re.search(r'<article class="card[^"]*" data-kpi="' + kpi + r'".*?</article>', html, re.S)
    assert found, f"no card for {kpi}"
    return found.group(0)


def test_status_lookup_knows_not_tracked() -> None:
    assert status("not_tracked") == {"key": "not_tracked", "word": "Not tracked", "icon": "–"}


def test_sparkline_breaks_at_a_period_without_value() -> None:
    s = sparkline([1.0, 2.0, None, 3.0, 4.0], list("abcde"), unit="score")
    assert len(s["segments"]) == 2 and all(seg.count(",") == 2 for seg in s["segments"])


def test_scorecard_cards_of_not_tracked_kpis_are_grey_without_value_or_change(url: str) -> None:
    r = httpx.get(url + "/?grain=month&period=2024-03", timeout=60)
    assert r.status_code == 200, r.text[:500]
    nps = _card(r.text, "nps")
    assert 'class="card status-not_tracked"' in nps and 'data-status="not_tracked"' in nps
    assert "badge-not_tracked" in nps and "Not tracked" in nps
    assert "nps_response" in nps  # the note: what would light it up
    for word in ("Band:", "Target ", "trend-better", "trend-worse", "trend-flat", "▲", "▼", "significant",
                 "badge-poor", "badge-good", "badge-watch", "0.0"):
        assert word not in nps, word
    csat = _card(r.text, "csat")
    assert 'data-status="not_tracked"' not in csat and 'data-value="50.0"' in csat


def test_kpi_page_of_a_not_tracked_kpi_shows_the_note_and_no_change(url: str) -> None:
    r = httpx.get(url + "/kpis/nps?grain=month&period=2024-03", timeout=60)
    assert r.status_code == 200, r.text[:500]
    summary = r.text[r.text.index('id="h-summary"'):r.text.index('id="h-trend"')]
    assert "badge-not_tracked" in summary and "nps_response" in summary
    assert "Not tracked: no change is computed" in summary
    assert "▲" not in summary and "▼" not in summary
