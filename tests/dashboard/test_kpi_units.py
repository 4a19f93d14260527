"""The dashboard writes KPI values as the reports do: the workspace currency, rating scales, band labels only.

A real `advokit serve` over the worked example (2025-01: NPS 25 in the "Fair" band, referral revenue 1,200,
an average review rating of 5 on the 1–5 scale), with the workspace currency set to EUR.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from advokit import Workspace

from ..api_support import Server, worked_workspace

MINUS = "\u2212"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = worked_workspace(tmp_path_factory.mktemp("units") / "w.duckdb")
    with Workspace(db) as ws:
        ws.settings.set("currency", "eur")
    with Server(db) as server:
        yield server


def _cards(html: str) -> dict[str, str]:
    """kpi → the text of its (first) scorecard card, tags stripped."""
    out: dict[str, str] = {}
    for kpi, body in re.findall(r'<article class="card[^"]*" data-kpi="([a-z_]+)"(.*?)</article>', html, re.S):
        out.setdefault(kpi, " ".join(re.sub(r"<[^>]+>", " ", body).split()))
    return out


def test_scorecard_cards_read_in_the_workspace_units(served: Server) -> None:
    html = httpx.get(served.url + "/?period=2025-01", timeout=60).text
    cards = _cards(html)
    assert "Band: Fair" in cards["nps"] and "Band: Fair (fair)" not in cards["nps"]
    assert not re.search(r"Band: [^<(]+\((good|fair|poor)\)", html)
    assert '<span class="num">€1,200</span></p>' in html  # the currency says the unit: no "money" after it
    assert '<span class="num">★ 5.00 of 5</span></p>' in html  # the scale says it: no "ratio"
    assert "€1,200" in cards["referral_revenue"] and "★ 5.00 of 5" in cards["average_review_rating"]
    assert re.search(r'<span class="num">25\.0</span> <span class="unit">score</span>', html)


def test_kpi_page_reads_in_the_workspace_units(served: Server) -> None:
    money = httpx.get(served.url + "/kpis/referral_revenue?period=2025-01", timeout=60).text
    assert '<p class="value"><span class="num">€1,200</span></p>' in money
    rating = httpx.get(served.url + "/kpis/average_review_rating?period=2025-01", timeout=60).text
    assert '<span class="num">★ 5.00 of 5</span>' in rating
    nps = httpx.get(served.url + "/kpis/nps?period=2025-01", timeout=60).text
    assert "<dt>Band</dt><dd>Fair</dd>" in nps
