"""The "Advocates" page (/advocates) and the profile's advocate score, against a real ``advokit serve``.

Over plain HTTP on the hand-worked case of tests/test_advocates.py (its docstring works the scores out), as of
2025-07-01: A (Enterprise) 87.0 Champion, C (SMB) 54.0 Potential, B (SMB) 16.3 At risk; E churned before and
is not scored. The customers here carry one more attribute, ``persona`` (A "Builder", B and C "Quiet"), as
the personas are stored: it is offered as a segment like any other attribute. In real Chromium on the session's demo: the tier distribution, the tier and segment filters
and the link to a profile, each number compared with ``ws.advocates`` on a copy of the workspace.

On tests/funnel_support.py's workspace (docs/funnel.md works its 2025-Q2 funnel out: 8 → 6 → 4 → 3 → 3 → 1),
with a churn model trained and the personas and journey stages stored as of 1 July, over HTTP: the funnel
(overall, of one segment, of the default period), the persona cards against the stored personas, the journey
stages stored or computed, the next best asks with contact fatigue, and the model's churn risk in the list and
its factors on the profile; in Chromium, the funnel chart and the persona cards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from advokit import Workspace
from advokit.advocates.summary import segment_members, tier_distribution
from advokit.engine.periods import parse_period_label

from ..api_support import Server
from ..cli_support import csv_workspace, store_labels
from ..funnel_support import build as build_funnel_workspace
from ..test_advocates import AS_OF, CASES, LABELS
from .support import PHONE, Tab
from .test_http import EXTERNAL


PERSONAS = {"A": "Builder", "B": "Quiet", "C": "Quiet"}


def _with_personas(csv: str) -> str:
    head, *rows = csv.strip().splitlines()
    return "\n".join([head + ",persona", *(f"{r},{PERSONAS.get(r.split(',')[0], '')}" for r in rows)]) + "\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("advocates-page")
    ws = csv_workspace(path, _with_personas((CASES / "advocates_customers.csv").read_text()),
                       (CASES / "advocates_events.csv").read_text())
    store_labels(ws, LABELS)
    ws.close()
    with Server(path / "w.duckdb", rate=0) as server:
        yield server.url


def _get(url: str, status: int = 200) -> str:
    r = httpx.get(url, timeout=60)
    assert r.status_code == status, r.text[:800]
    return r.text


def _tiers(html: str) -> dict[str, int]:
    table = re.search(r'<table class="advocate-tiers">(.*?)</table>', html, re.S).group(1)
    return {k: int(v.replace(",", "")) for k, v in
            re.findall(r'<tr data-tier="([a-z_]+)">.*?data-field="customers">([\d,]+)<', table, re.S)}


def _ranked(html: str) -> list[tuple[str, str, str]]:
    """(customer, score, tier) of each row of the ranked list, in order."""
    return re.findall(r'<tr data-customer="([^"]+)">.*?data-field="score">([^<]+)<.*?data-field="tier">([^<]+)<',
                      html, re.S)


def test_the_page_shows_the_tier_distribution_and_the_ranked_list(served: str) -> None:
    html = _get(f"{served}/advocates?as_of={AS_OF}")
    # personas were imported as a column, never computed: the cards say how to compute them
    assert 'id="personas-missing"' in html and "<code>advokit personas</code>" in html
    assert "no model, “—” (<code>advokit model train --target churn</code>)" in html
    assert not any(s in html for s in EXTERNAL) and "<script>" not in html
    assert re.findall(r'<a href="([^"]*)" aria-current="page">([^<]*)</a>', html) == [("/advocates", "Advocates")]
    assert _tiers(html) == {"champion": 1, "advocate": 0, "potential": 1, "passive": 0, "at_risk": 1}
    assert "3 customers scored" in html
    assert _ranked(html) == [("A", "87.0", "Champion"), ("C", "54.0", "Potential"), ("B", "16.3", "At risk")]
    # no model is trained: churn risk and advocacy propensity are a dash; the top reasons are the rows' own
    assert re.findall(r'data-field="churn_risk">([^<]+)<', html) == ["—"] * 3
    assert re.findall(r'data-field="advocacy_propensity">([^<]+)<', html) == ["—"] * 3
    assert "<li>at risk: NPS 4 with 1 open follow-up</li>" in html
    # each customer links to its profile as of the same day; the chart is embedded as JSON
    assert f'href="/customers/A?as_of={AS_OF}"' in html
    assert 'id="figure-advocate-tiers"' in html


def test_tier_and_segment_filters(served: str) -> None:
    smb = _get(f"{served}/advocates?as_of={AS_OF}&filter=segment:SMB")
    # the segment narrows both; the tier narrows the list only
    assert _tiers(smb) == {"champion": 0, "advocate": 0, "potential": 1, "passive": 0, "at_risk": 1}
    assert [r[0] for r in _ranked(smb)] == ["C", "B"]
    both = _get(f"{served}/advocates?as_of={AS_OF}&filter=segment:SMB&tier=at%20risk")
    assert _tiers(both) == _tiers(smb) and [r[0] for r in _ranked(both)] == ["B"]
    assert [r[0] for r in _ranked(_get(f"{served}/advocates?as_of={AS_OF}&tier=champion"))] == ["A"]
    assert "No customer in this tier." in _get(f"{served}/advocates?as_of={AS_OF}&tier=advocate")
    # a stored persona gets a select of its own (not among the generic segments), and it filters
    persona = re.search(r'<select id="filter-persona" name="filter">(.*?)</select>', smb, re.S).group(1)
    assert re.findall(r'<option value="([^"]+)">([^<]+)</option>', persona) == [
        ("persona:Builder", "Builder"), ("persona:Quiet", "Quiet")]
    assert '<option value="persona:Quiet">persona = Quiet</option>' not in smb
    quiet = _get(f"{served}/advocates?as_of={AS_OF}&filter=persona:Quiet")
    assert [r[0] for r in _ranked(quiet)] == ["C", "B"]
    assert re.search(r'<select id="filter-persona" name="filter">.*?<option value="persona:Quiet" selected>', quiet,
                     re.S)
    # no journey_stage attribute yet: its select is there, disabled, saying how to store it
    assert re.search(r'<select id="filter-journey_stage" name="filter" disabled', smb)
    assert "run <code>advokit journey refresh</code>" in smb
    # a day before anyone signed up: nobody is scored
    assert "No customer is scored as of 2020-01-01" in _get(f"{served}/advocates?as_of=2020-01-01")


@pytest.mark.parametrize(("query", "message"), [
    ("tier=hero", "unknown tier &#39;hero&#39;"), ("as_of=31.12.2025", "as_of must be a date"),
    ("filter=charisma:high", "unknown customer attribute &#39;charisma&#39;"), ("page=9", "past the last page")])
def test_bad_parameters_are_422_pages(served: str, query: str, message: str) -> None:
    assert message in _get(f"{served}/advocates?as_of={AS_OF}&{query}", 422)


def test_the_profile_shows_the_advocate_score(served: str) -> None:
    html = _get(f"{served}/customers/A?as_of={AS_OF}")
    block = re.search(r'<section class="panel" id="advocate".*?</section>', html, re.S).group(0)
    assert re.search(r'data-field="score">87.0<', block) and ">Champion</a>" in block
    points = dict(re.findall(r'<tr data-component="([a-z_]+)".*?data-field="points">([^<]+)<', block, re.S))
    assert points == {"nps": "20.00", "nps_trend": "3.00", "csat": "10.00", "sentiment": "10.00",
                      "advocacy_recency": "14.55", "advocacy_frequency": "5.78", "engagement": "6.13",
                      "tenure": "2.50", "revenue": "5.00", "expansion": "5.00", "open_loops": "5.00"}
    assert "<li>NPS 10 on 2025-06-10</li>" in block
    features = dict(re.findall(r'<tr data-component="([a-z_]+)".*?data-field="feature">([^<]+)<', block, re.S))
    assert (features["revenue"].strip(), features["nps"].strip(), features["nps_trend"].strip()) == ("50,000", "10", "2")
    assert "Churn risk" not in block  # shown only once a model gives one
    # C has no survey answer: those components are left out, shown as "no data" without points
    c = _get(f"{served}/customers/C?as_of={AS_OF}")
    assert re.search(r'<tr data-component="nps" class="muted">.*?no data.*?data-field="points">—<', c, re.S)
    # E churned before 1 July: no score, said in words
    assert "No advocate score: no customer &#39;E&#39; to score as of 2025-07-01" in _get(
        f"{served}/customers/E?as_of={AS_OF}")


# ------------------------------------------------------- the funnel workspace: funnel, personas, journey, models
#: the funnel's period in tests/funnel_support.py, and the day the page is read as of (the day after it)
QUARTER, DAY = "2025-Q2", "2025-07-01"
#: the tests on it share one module fixture: about 8 s on an idle machine to build, train a model and serve
SLOW = pytest.mark.slow


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """tests/funnel_support.py's workspace with a churn model trained (no advocacy model), the personas and
    the journey stages stored as of 1 July; what ``ws`` answers is kept to compare the pages with."""
    db = build_funnel_workspace(tmp_path_factory.mktemp("advocates-stored"))
    with Workspace(db) as ws:
        ws.models.train(target="churn")
        personas = ws.personas.refresh(as_of=DAY)
        ws.journey.refresh(as_of=DAY)
        expected = SimpleNamespace(
            funnel=ws.funnel.compute(QUARTER), default=ws.funnel.compute(), smb=ws.funnel.compute(QUARTER, by="segment"),
            rows=ws.advocates.list(as_of=DAY), personas=personas,
            p1=ws.advocates.explain("P1", as_of=DAY), june=ws.journey.counts(as_of="2025-06-01"),
            asks=ws.funnel.next_ask(as_of=DAY),
            advocacy_stage=segment_members(ws.kpis.backend(), {"journey_stage": "Advocacy Activation"}))
    with Server(db, rate=0) as server:
        yield SimpleNamespace(url=server.url, ws=expected)


def _funnel(html: str) -> dict[str, tuple[str, str, str]]:
    """stage → (customers, conversion, interval) of the funnel table."""
    table = re.search(r'<table class="advocate-funnel">(.*?)</table>', html, re.S).group(1)
    out = {}
    for stage, body in re.findall(r'<tr data-stage="([a-z]+)">(.*?)</tr>', table, re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", re.search(rf'data-field="{f}">(.*?)</td>', body, re.S).group(1)).split())
                 if f'data-field="{f}"' in body else "" for f in ("customers", "rate", "interval")]
        out[stage] = (cells[0], cells[1], cells[2])
    return out


@SLOW
def test_the_funnel_of_a_period_matches_ws_funnel(stored: SimpleNamespace) -> None:
    html = _get(f"{stored.url}/advocates?as_of={DAY}&grain=quarter&period={QUARTER}")
    shown = _funnel(html)
    # hand-worked in docs/funnel.md: 8 → 6 → 4 → 3 → 3 → 1, 4 of 6 converted is 66.67 % (30.00 to 90.32)
    assert shown == {"population": ("8", "", ""), "identified": ("6", "—", ""),
                     "activated": ("4", "66.67 % (4 of 6)", "30.00 to 90.32 %"),
                     "acted": ("3", "75.00 % (3 of 4)", "30.06 to 95.44 %"),
                     "impact": ("3", "100.00 % (3 of 3)", "43.85 to 100.00 %"),
                     "retained": ("1", "33.33 % (1 of 3)", "6.15 to 79.23 %")}
    assert [int(shown[s["stage"]][0]) for s in stored.ws.funnel["stages"]] == [
        s["customers"] for s in stored.ws.funnel["stages"]]
    assert 'id="figure-advocate-funnel"' in html and 'id="chart-advocate-funnel"' in html
    assert '<option value="2025-Q2" selected>' in html
    # one segment filter: that segment's funnel (docs: SMB 3, 2, 2, 1, 1, 0)
    smb = _funnel(_get(f"{stored.url}/advocates?as_of={DAY}&period={QUARTER}&filter=segment:SMB"))
    segment = next(s for s in stored.ws.smb["segments"] if s["segment"] == "SMB")
    assert [int(smb[k][0]) for k in ("population", *(s["stage"] for s in segment["stages"]))] == [3, 2, 2, 1, 1, 0]
    assert smb["retained"][1] == "0.00 % (0 of 1)"
    # no period named: ws.funnel's default, the latest complete quarter (the data ends on 15 June: 2025-Q1)
    latest = _get(f"{stored.url}/advocates?as_of={DAY}")
    assert stored.ws.default["period"] == "2025-Q1" and "2025-Q1, the latest complete quarter" in latest
    assert [int(v[0]) for v in _funnel(latest).values()] == [stored.ws.default["population"]] + [
        s["customers"] for s in stored.ws.default["stages"]]
    # a month; a period outside the data is the 422 page naming the span
    # (at 1 May: the eight of 1 April; L1 signs up on 1 May itself, so it joins June's funnel)
    assert _funnel(_get(f"{stored.url}/advocates?as_of={DAY}&grain=month&period=2025-05"))["population"][0] == "8"
    assert "no data in 2019-Q1" in _get(f"{stored.url}/advocates?period=2019-Q1", 422)


@SLOW
def test_persona_cards_match_the_stored_personas(stored: SimpleNamespace) -> None:
    html = _get(f"{stored.url}/advocates?as_of={DAY}")
    cards = re.findall(r'<article class="card persona-card" data-persona="([^"]+)">.*?data-field="size">([\d,]+)<'
                       r'.*?data-field="share">([^<]+)<', html, re.S)
    total = stored.ws.personas["customers"]
    assert cards == [(p["name"], f"{p['size']:,}", f"{100 * p['size'] / total:.1f} %")
                     for p in stored.ws.personas["personas"]]
    assert len(cards) == stored.ws.personas["k"] and 'id="personas-missing"' not in html
    for p in stored.ws.personas["personas"]:
        assert f"<p>{p['description']}</p>" in html.replace("&#39;", "'")
    # a card links to the persona's customers; the Persona select offers each persona and filters
    first = stored.ws.personas["personas"][0]["name"]
    assert f'href="/advocates?as_of={DAY}&amp;filter=persona%3A{first.replace(" ", "+")}"' in html
    members = re.findall(r'<tr data-customer="([^"]+)">\s*<td class="num">',
                         _get(f"{stored.url}/advocates?as_of={DAY}&filter=persona:{first}"))
    assert len(members) == stored.ws.personas["personas"][0]["size"]


@SLOW
def test_journey_stages_stored_or_computed(stored: SimpleNamespace) -> None:
    def counts(html: str) -> dict[str, int]:
        table = re.search(r'<table class="advocate-journey">(.*?)</table>', html, re.S).group(1)
        return {k: int(v.replace(",", "")) for k, v in
                re.findall(r'<tr data-stage="([a-z_]+)">.*?data-field="customers">([\d,]+)<', table, re.S)}

    july = _get(f"{stored.url}/advocates?as_of={DAY}")
    # as of the day of the stored refresh, the stored record (docs/journey.md's counts of this workspace)
    assert counts(july) == {"onboarding": 2, "value_realization": 1, "advocacy_activation": 5,
                            "expansion_readiness": 0, "churn_risk": 3}
    assert "As stored by <code>advokit journey refresh --as-of 2025-07-01</code>" in july
    # another day: computed from the events as of that day, and the page says the attribute is of 1 July
    june = _get(f"{stored.url}/advocates?as_of=2025-06-01")
    assert counts(june) == {c["stage_key"]: c["customers"] for c in stored.ws.june["counts"]}
    assert "Computed from the events as of 2025-06-01" in june and "stored as of 2025-07-01" in june
    # the Journey stage select filters the ranked list on the stored attribute
    stage = _get(f"{stored.url}/advocates?as_of={DAY}&filter=journey_stage:Advocacy%20Activation")
    assert re.search(r'<option value="journey_stage:Advocacy Activation" selected>', stage)
    scored = {r["customer_id"] for r in stored.ws.rows}
    assert {r[0] for r in _ranked(stage)} == stored.ws.advocacy_stage & scored


@SLOW
def test_next_best_asks_show_contact_fatigue(stored: SimpleNamespace) -> None:
    html = _get(f"{stored.url}/advocates?as_of={DAY}")
    table = re.search(r'<table class="next-asks">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r'<tr data-customer="([^"]+)">.*?data-field="next_ask">([^<]+)<.*?data-field="fatigue">([^<]+)<',
                      table, re.S)
    assert [r[0] for r in rows] == [r["customer_id"] for r in stored.ws.asks][:10]
    shown = {c: (ask, fatigue) for c, ask, fatigue in rows}
    # P1 was asked for a review on 2 June: 29 days, fatigued until 2 July, then a case study (docs/funnel.md)
    assert shown["P1"] == ("—", "until 2025-07-02, then case study")
    assert shown["P2"] == ("review", "no (last asked 2025-05-31)")
    assert "5 to ask · 1 in contact fatigue · of 6 advocates" in html


@SLOW
def test_a_trained_model_shows_in_the_list_and_the_profile(stored: SimpleNamespace) -> None:
    html = _get(f"{stored.url}/advocates?as_of={DAY}")
    churn = dict(re.findall(r'<tr data-customer="([^"]+)">.*?data-field="churn_risk">([^<]+)<', html, re.S))
    assert churn == {r["customer_id"]: f"{100 * r['churn_risk']:.1f} %" for r in stored.ws.rows}
    assert all(r["churn_risk"] is not None and r["advocacy_propensity"] is None for r in stored.ws.rows)
    assert set(re.findall(r'data-field="advocacy_propensity">([^<]+)<', html)) == {"—"}
    assert "churn model churn-" in html and "advocacy no model" in html
    # the profile: the risk and the model's own factors raising and lowering it, in words
    block = re.search(r'<section class="panel" id="advocate".*?</section>',
                      _get(f"{stored.url}/customers/P1?as_of={DAY}"), re.S).group(0)
    assert f'data-field="churn_risk">{100 * stored.ws.p1["churn_risk"]:.1f} %<' in block
    for side in ("raising", "lowering"):
        items = re.search(rf'<ul class="factors" data-side="{side}">(.*?)</ul>', block, re.S).group(1)
        assert re.findall(r"<li>([^<]+)</li>", items) == [f["factor"] for f in stored.ws.p1["churn_factors"][side]]
    assert 'id="factors-advocacy"' not in block


# ------------------------------------------------------------------------------- in Chromium, on the demo
@pytest.mark.browser
@pytest.mark.slow  # about 5 s: four page loads with charts, and the demo scored here and in the server
def test_the_page_in_a_browser_matches_ws_advocates(tab: Tab, demo: SimpleNamespace) -> None:
    as_of = parse_period_label(demo.month).end.isoformat()
    with Workspace(demo.cli_db) as ws:
        rows = ws.advocates.scores(as_of=as_of)
        segment = ws.customers.attribute_values()["segment"][0]
        members = segment_members(ws.kpis.backend(), {"segment": segment})
    everyone = tier_distribution(rows)
    in_segment = tier_distribution([r for r in rows if r["customer_id"] in members])
    page = tab.page

    def shown_tiers() -> dict[str, int]:
        cells = page.eval_on_selector_all("table.advocate-tiers tbody tr", "rows => rows.map(r => "
                                          "[r.dataset.tier, r.querySelector('[data-field=customers]').textContent])")
        return {k: int(v.replace(",", "")) for k, v in cells}

    page.goto(f"/advocates?as_of={as_of}")
    page.wait_for_selector("[data-figure][data-drawn=true]")
    assert shown_tiers() == {t["key"]: t["customers"] for t in everyone["tiers"]}
    top = page.locator("table.advocates tbody tr").first
    assert top.get_attribute("data-customer") == rows[0]["customer_id"]
    assert top.locator("[data-field=score]").inner_text() == f"{rows[0]['score']:.1f}"

    page.select_option("#tier", "at_risk")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"tier=at_risk"))
    tiers = page.locator("table.advocates tbody [data-field=tier]").all_inner_texts()
    at_risk = next(t["customers"] for t in everyone["tiers"] if t["key"] == "at_risk")
    assert tiers and set(tiers) == {"At risk"} and len(tiers) == min(50, at_risk)
    assert page.get_by_role("heading", name=re.compile(f"Ranked list: At risk {at_risk:,} customers")).count() == 1

    page.select_option("#tier", "")
    page.select_option("#filter", f"segment:{segment}")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"filter=segment"))
    assert shown_tiers() == {t["key"]: t["customers"] for t in in_segment["tiers"]}
    first = page.locator("table.advocates tbody tr").first.get_attribute("data-customer")
    assert first in members

    page.locator("table.advocates tbody th a").first.click()
    page.wait_for_url(re.compile(r"/customers/.+\?as_of="))
    assert page.get_by_role("heading", name=re.compile("Advocate score")).count() == 1
    expected = next(r for r in rows if r["customer_id"] == first)
    assert page.locator("#advocate [data-field=score]").inner_text() == f"{expected['score']:.1f}"
    tab.shot("advocates-profile-1280")


@pytest.mark.browser
def test_the_page_fits_a_phone(browser: Any, demo: SimpleNamespace, tmp_path: Path) -> None:
    tab = Tab(browser, demo.url, tmp_path / "screenshots", viewport=PHONE)
    try:
        tab.page.goto(f"/advocates?as_of={parse_period_label(demo.month).end.isoformat()}")
        tab.page.wait_for_selector("[data-figure][data-drawn=true]")
        scroll, client = tab.no_horizontal_overflow()
        assert scroll <= client, f"/advocates overflows at 390 px: {scroll} > {client}"
        tab.shot("advocates-390", full_page=False)
        assert not tab.errors and not tab.external, (tab.errors, tab.external)
    finally:
        tab.close()


@pytest.mark.browser
@SLOW
def test_the_funnel_chart_and_persona_cards_render(browser: Any, stored: SimpleNamespace, tmp_path: Path) -> None:
    """In Chromium on the funnel workspace (personas stored): the funnel's bars are drawn with the stages'
    counts, the persona cards show, and the funnel's period picker keeps the rest of the view."""
    tab = Tab(browser, stored.url, tmp_path / "screenshots")
    try:
        page = tab.page
        page.goto(f"/advocates?as_of={DAY}&period={QUARTER}&filter=segment:SMB")
        page.wait_for_selector("#chart-advocate-funnel[data-drawn=true]")
        bars = page.eval_on_selector_all("#chart-advocate-funnel .bars .point", "ps => ps.length")
        assert bars == 5
        # the bars are the stages' counts (SMB in 2025-Q2: 2, 2, 1, 1, 0), first stage on top; each drawn bar
        # is labelled with its count (plotly draws no label on the empty one)
        drawn = page.evaluate("(() => { const d = document.getElementById('chart-advocate-funnel').data[0];"
                              " return [d.y, d.x]; })()")
        assert drawn == [[s["name"] for s in stored.ws.funnel["stages"]], [2, 2, 1, 1, 0]]
        texts = page.eval_on_selector_all("#chart-advocate-funnel .bars .point",
                                          "ps => ps.map(p => (p.querySelector('.bartext') || {}).textContent || '')")
        assert texts[:4] == ["2", "2", "1", "1"]
        cards = page.locator("article.persona-card h3").all_inner_texts()
        assert cards == [p["name"] for p in stored.ws.personas["personas"]]
        assert page.locator("article.persona-card").first.is_visible()
        page.select_option("#period", "2025-Q1")
        page.get_by_role("button", name="Show funnel").click()
        page.wait_for_url(re.compile(r"period=2025-Q1"))
        assert "filter=segment%3ASMB" in page.url and f"as_of={DAY}" in page.url
        page.wait_for_selector("#chart-advocate-funnel[data-drawn=true]")
        assert page.get_by_role("heading", name=re.compile("Advocacy funnel 2025-Q1 · segment = SMB")).count() == 1
        tab.shot("advocates-funnel-personas-1280")
        assert not tab.errors and not tab.external, (tab.errors, tab.external)
    finally:
        tab.close()
