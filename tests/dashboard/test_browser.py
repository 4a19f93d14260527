"""The dashboard in real headless Chromium against a real ``advokit serve`` on 127.0.0.1.

Two workspaces, built once per session: a small demo (open local mode, no
keys) and the imported worked example with API keys (sign-in). Numbers on the
pages are compared with what ``advokit kpi compute --format json`` prints for
the same query, run on a copy of the workspace taken before the server opened
it (a served DuckDB file is locked by the server). Fixtures: conftest.py.
Screenshots land in pytest's tmp dir.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from advokit import Workspace
from advokit.engine.periods import parse_period_label
from advokit.catalogue import load_catalogue
from advokit.web.format import Units, fmt_value

from ..api_support import cli_json
from .support import PHONE, Tab

pytestmark = pytest.mark.browser

SCRIPT = '<script>window.__pwned = 1</script><b>bold?</b> & "quotes"'


def cards(tab: Tab) -> dict[str, tuple[float | None, str]]:
    """kpi → (exact value from data-value, the number as shown) for the first card of each KPI."""
    found = tab.page.eval_on_selector_all(
        "article.card", "els => els.map(e => [e.dataset.kpi, e.dataset.value, e.querySelector('.num').textContent])")
    out: dict[str, tuple[float | None, str]] = {}
    for kpi, value, shown in found:
        out.setdefault(kpi, (float(value) if value else None, shown.strip()))
    return out


def cli_values(db: Path, period: str, *, by: str | None = None, group: str | None = None) -> dict[str, float | None]:
    """kpi → value, as `advokit kpi compute ALL --format json` prints it for one period (and group)."""
    p = parse_period_label(period)
    with Workspace(db) as ws:
        ids = ws.catalogue.ids
    args = ["kpi", "compute", *ids, "--period", p.grain, "--from", p.start.isoformat(), "--to", p.end.isoformat()]
    if by:
        args += ["--by", by]
    rows = cli_json(db, *args)
    return {r["kpi"]: r["value"] for r in rows if r["period"] == period and (by is None or r[by] == group)}


def assert_same(shown: dict[str, tuple[float | None, str]], expected: dict[str, float | None],
                units: dict[str, str]) -> None:
    assert set(shown) == set(expected)
    for kpi, (value, text) in shown.items():
        want = expected[kpi]
        if want is None:  # empty ("—") or not tracked in this workspace
            assert value is None and text in ("—", "Not tracked"), kpi
        else:
            assert value is not None and math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-9), (kpi, value, want)
            # a card writes its KPI as the reports do (the demo sets no currency)
            assert text == Units(load_catalogue()).value(want, kpi), (kpi, text, want, units[kpi])


# ------------------------------------------------------------------------------- scorecard
def test_scorecard_loads_with_every_kpi_by_focus_area(tab: Tab, demo: SimpleNamespace) -> None:
    tab.page.goto("/")
    assert tab.page.title().startswith(f"Scorecard {demo.month}")
    assert tab.page.locator("section.area").count() == 5
    shown = cards(tab)
    assert len(shown) == len(demo.units)
    assert "Open local mode" in tab.page.locator(".notice").inner_text()
    badge = tab.page.locator("article.card .badge").first.inner_text()
    assert re.search(r"(Good|Watch|Poor|No rating)", badge), badge  # a word, not only a colour
    assert tab.page.locator("article.card svg.spark").count() > 0
    assert_same(shown, cli_values(demo.cli_db, demo.month), demo.units)
    tab.shot("scorecard-1280")


def test_period_and_segment_change_the_numbers_to_what_the_cli_prints(tab: Tab, demo: SimpleNamespace) -> None:
    page = tab.page
    page.goto("/")
    before = cards(tab)
    page.select_option("#grain", "quarter")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"grain=quarter"))
    page.select_option("#period", demo.quarter)
    page.select_option("#filter", "segment:SMB")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"filter=segment%3ASMB"))
    assert f"period={demo.quarter}" in page.url and "grain=quarter" in page.url
    assert page.locator("#period").input_value() == demo.quarter
    assert "segment = SMB" in page.locator(".filters-note").inner_text()
    after = cards(tab)
    assert_same(after, cli_values(demo.cli_db, demo.quarter, by="segment", group="SMB"), demo.units)
    assert any(before[k][0] != after[k][0] for k in before), "the numbers did not change"
    tab.shot("scorecard-quarter-smb")
    # the view lives in the URL: opening the link again shows the same numbers
    page.goto(page.url)
    assert cards(tab) == after


# ------------------------------------------------------------------------------- KPI page
def test_kpi_page_trend_breakdown_and_catalogue_entry(tab: Tab, demo: SimpleNamespace) -> None:
    page = tab.page
    page.goto("/")
    page.locator("article.card[data-kpi=nps] h3 a").first.click()
    page.wait_for_url(re.compile(r"/kpis/nps\?"))
    page.wait_for_selector("#chart-trend[data-drawn=true]")
    assert page.locator("#chart-trend .main-svg").count() > 0  # Plotly drew an SVG
    text = page.locator("main").inner_text()
    for heading in ("Trend", "Definition", "Formula", "Bands", "Benchmarks", "Diagnostic questions",
                    "Actionable tips", "Risk warnings", "Numerator", "Denominator"):
        assert heading in text, heading
    row = next(r for r in cli_json(demo.cli_db, "kpi", "compute", "nps", "--from", demo.month)
               if r["period"] == demo.month)
    big = page.locator(".summary .big")
    assert math.isclose(float(big.get_attribute("data-value") or "nan"), row["value"], rel_tol=1e-9)
    assert page.locator("[data-field=numerator]").inner_text() == fmt_value(row["numerator"], "count")
    assert page.locator("[data-field=denominator]").inner_text() == fmt_value(row["denominator"], "count")
    groups = page.locator("table.breakdown tbody th").all_inner_texts()
    assert set(groups) >= {"SMB", "Mid-Market", "Enterprise"}
    page.select_option("#by", "region")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"by=region"))
    page.wait_for_selector("#chart-breakdown[data-drawn=true]")
    assert set(page.locator("table.breakdown tbody th").all_inner_texts()) >= {"EMEA", "NAM"}
    tab.shot("kpi-nps-1280")


# ------------------------------------------------------------------------------- catalogue
def test_catalogue_search_links_to_kpi_pages(tab: Tab, demo: SimpleNamespace) -> None:
    page = tab.page
    page.goto("/catalogue")
    total = page.locator("li.catalogue-item").count()
    assert total == len(demo.units)
    page.fill("#q", "referral")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=referral"))
    hits = page.locator("li.catalogue-item")
    assert 0 < hits.count() < total
    assert "referral" in hits.first.inner_text().lower()
    tab.shot("catalogue-referral")
    hits.first.locator("h2 a").click()
    page.wait_for_url(re.compile(r"/kpis/"))
    page.wait_for_selector("#chart-trend[data-drawn=true]")


# ------------------------------------------------------------------------------- commentary
def test_comment_shows_on_the_kpi_page_and_the_card(tab: Tab, demo: SimpleNamespace) -> None:
    page = tab.page
    page.goto(f"/kpis/csat?period={demo.month}")
    page.fill("#comment-body", "CSAT dipped after the billing change; fix ships next sprint.")
    page.fill("#comment-author", "Dana")
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_url(re.compile(r"#comments$"))
    assert "CSAT dipped after the billing change" in page.locator("#comments").inner_text()
    assert "Dana" in page.locator("#comments").inner_text()
    page.goto(f"/?period={demo.month}")
    card = page.locator("article.card[data-kpi=csat]").first
    assert "CSAT dipped after the billing change" in card.inner_text()
    tab.shot("comment-on-card", full_page=False)


def test_an_action_with_an_owner_shows_with_its_kind_and_owner(tab: Tab, demo: SimpleNamespace) -> None:
    page = tab.page
    page.goto(f"/kpis/nps?period={demo.month}")
    page.fill("#comment-body", "Call every detractor of the month within five days.")
    page.select_option("#comment-kind", "action")
    page.fill("#comment-owner", "CS lead")
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_url(re.compile(r"#comments$"))
    text = page.locator("#comments").inner_text()
    assert "Action: Call every detractor" in text and "owner CS lead" in text
    page.goto(f"/?period={demo.month}")
    assert "owner CS lead" in page.locator("article.card[data-kpi=nps]").first.inner_text()


def test_a_script_in_a_comment_shows_as_text(tab: Tab, demo: SimpleNamespace) -> None:
    page = tab.page
    page.goto(f"/kpis/nps?period={demo.month}")
    page.fill("#comment-body", SCRIPT)
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_url(re.compile(r"#comments$"))
    bodies = page.locator("#comments .comment-body").all_inner_texts()
    assert SCRIPT in bodies
    assert page.locator("#comments .comment-body b").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.goto(f"/?period={demo.month}")
    assert SCRIPT in page.locator("article.card[data-kpi=nps]").first.inner_text()
    assert page.evaluate("window.__pwned") is None
    html = httpx.get(f"{demo.url}/?period={demo.month}").text
    assert "&lt;script&gt;window.__pwned" in html and "<script>window.__pwned" not in html
    tab.shot("comment-escaped", full_page=False)


# ------------------------------------------------------------------------------- customers
def test_customers_search_sort_and_profile(tab: Tab, demo: SimpleNamespace) -> None:
    page = tab.page
    page.goto("/customers")
    page.fill("#q", "acme")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=acme"))
    names = page.locator("table.customers tbody td:nth-child(2)").all_inner_texts()
    assert names and all("acme" in n.lower() for n in names)
    page.get_by_role("link", name="ARR").click()
    page.wait_for_url(re.compile(r"sort=arr"))
    page.get_by_role("link", name="ARR").click()  # again: descending
    page.wait_for_url(re.compile(r"order=desc"))
    arr = [float(v.replace(",", "")) for v in page.locator("table.customers tbody td.num").all_inner_texts()]
    assert arr == sorted(arr, reverse=True)
    assert page.locator("th[aria-sort=descending]").count() == 1
    page.locator("table.customers tbody th a").first.click()
    page.wait_for_url(re.compile(r"/customers/C\d+"))
    for heading in ("Attributes", "Scores over time", "Advocacy actions", "Timeline"):
        assert page.get_by_role("heading", name=re.compile(heading)).count() >= 1
    assert page.locator("ol.timeline li").count() > 0
    if page.locator("[data-figure]").count():
        page.wait_for_selector("[data-figure][data-drawn=true]")
    tab.shot("customer-1280")


# ------------------------------------------------------------------------------- phone
def test_390px_pages_have_no_horizontal_overflow(browser: Any, demo: SimpleNamespace, tmp_path: Path) -> None:
    tab = Tab(browser, demo.url, tmp_path / "screenshots", viewport=PHONE)
    try:
        tab.page.goto("/customers")
        customer = tab.page.locator("table.customers tbody th a").first.inner_text()
        for name, path in [("scorecard", "/"), ("kpi", "/kpis/nps"), ("catalogue", "/catalogue"),
                           ("customers", "/customers"), ("customer", f"/customers/{customer}")]:
            tab.page.goto(path)
            if tab.page.locator("[data-figure]").count():
                tab.page.wait_for_selector("[data-figure][data-drawn=true]")
            scroll, client = tab.no_horizontal_overflow()
            assert scroll <= client, f"{path} overflows at 390 px: {scroll} > {client}"
            tab.shot(f"{name}-390", full_page=name != "scorecard")
        assert not tab.errors, tab.errors
    finally:
        tab.close()


def test_keyboard_skip_link_and_labelled_controls(tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for control in ("#grain", "#period", "#filter"):
        assert page.locator(f"label[for={control[1:]}]").count() == 1


# ------------------------------------------------------------------------------- sign-in
def test_sign_in_when_keys_exist(browser: Any, keyed: SimpleNamespace, tmp_path: Path) -> None:
    tab = Tab(browser, keyed.url, tmp_path / "screenshots")
    try:
        page = tab.page
        page.goto("/?period=2025-01")
        page.wait_for_url(re.compile(r"/signin\?next="))
        assert page.locator(".notice").count() == 0  # not open mode
        page.fill("#key", "adk_000000000000_not-a-real-key-at-all")
        page.get_by_role("button", name="Sign in").click()
        assert "invalid or revoked API key" in page.locator("[role=alert]").inner_text()
        tab.shot("signin-error")
        tab.errors.clear()  # the browser logs the 401 of the refused key
        page.fill("#key", keyed.keys["read"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/\?period=2025-01$"))
        assert page.locator(".who").count() == 1, page.content()[:3000]
        assert "Signed in" in page.locator(".who").inner_text()
        cookie = next(c for c in tab.context.cookies() if c["name"] == "advokit_session")
        assert cookie["httpOnly"] and keyed.keys["read"] not in cookie["value"]
        nps = cards(tab)["nps"]
        assert nps == (25.0, "25.0")  # the worked example, by hand
        page.goto("/kpis/nps?period=2025-01")
        assert page.locator("#comment-form").count() == 0  # a read key cannot comment
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r"/signin"))
        page.goto("/")
        page.wait_for_url(re.compile(r"/signin"))
        assert not tab.errors, tab.errors
    finally:
        tab.close()
