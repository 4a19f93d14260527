"""Phone-sized pages in real headless Chromium, at 390 px and 1400 px wide, against the served demo.

On ``/kpis/{id}`` every chart lies inside its card and its labels, legend and title inside the chart (none
clipped, none on top of another), the mode bar never covers a title, and the breakdown table stays inside its
card, scrolling sideways with its group column kept in view. On the scorecard the first KPI card starts within
the first screen (the open-mode notice and the view controls fold on a phone). The header highlights the
section of the page. Screenshots land in the test's tmp dir for review.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from .support import Tab

pytestmark = pytest.mark.browser

WIDTHS = {390: {"width": 390, "height": 844}, 1400: {"width": 1400, "height": 900}}
Box = list[float]

#: boxes of each chart: its card, the plot's SVG, the title, the legend, the tick labels, the bars and
#: markers, the mode bar (when shown); and of the breakdown table
BOXES = """() => {
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const drawn = b => b[2] > b[0] && b[3] > b[1];  // Plotly keeps hidden tick labels as empty boxes
  const shown = e => e && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0;
  const charts = [...document.querySelectorAll('[data-figure]')].map(n => ({
    id: n.id, card: box(n.closest('.panel')), svg: box(n.querySelector('svg.main-svg')),
    title: n.querySelector('.gtitle') ? box(n.querySelector('.gtitle')) : null,
    legend: n.querySelector('g.legend') ? box(n.querySelector('g.legend')) : null,
    ticks: [...n.querySelectorAll('.xtick text, .ytick text')].map(box).filter(drawn),
    marks: [...n.querySelectorAll('.bars .point path, .scatterlayer .points path')].map(box).filter(drawn),
    modebar: shown(n.querySelector('.modebar')) ? box(n.querySelector('.modebar')) : null,
    narrow: n.dataset.narrow }));
  return charts; }"""
TABLE = """() => {
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const t = document.querySelector('table.breakdown'), w = t.parentElement;
  const rows = [...t.querySelectorAll('tbody tr')];
  return {card: box(t.closest('.panel')), wrap: box(w), table: box(t), overflow: getComputedStyle(w).overflowX,
          scroll: [w.scrollWidth, w.clientWidth], groups: rows.map(r => box(r.cells[0])),
          values: rows.map(r => box(r.cells[1]))}; }"""


def inside(inner: Box, outer: Box, slack: float = 1.0) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack and inner[2] <= outer[2] + slack
            and inner[3] <= outer[3] + slack)


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(params=sorted(WIDTHS), ids=lambda w: f"{w}px")
def sized(request: pytest.FixtureRequest, browser: Any, demo: SimpleNamespace,
          tmp_path: Path) -> Iterator[tuple[Tab, int]]:
    """A page of the given width on the demo server, and that width."""
    tab = Tab(browser, demo.url, tmp_path / "screenshots", viewport=WIDTHS[request.param])
    yield tab, request.param
    tab.close()
    assert not tab.external, f"requests left the machine: {tab.external}"
    assert not tab.errors, f"console errors: {tab.errors}"


def test_kpi_page_charts_and_table_fit_their_cards(sized: tuple[Tab, int]) -> None:
    tab, width = sized
    page = tab.page
    page.goto("/kpis/nps?by=segment")
    page.wait_for_selector("#chart-trend[data-drawn=true]")
    page.wait_for_selector("#chart-breakdown[data-drawn=true]")
    page.hover("#chart-trend")  # the mode bar shows on hover, where there is one
    charts = page.evaluate(BOXES)
    assert [c["id"] for c in charts] == ["chart-trend", "chart-breakdown"]
    for c in charts:
        name = f"{c['id']} at {width} px"
        assert inside(c["svg"], c["card"]), (name, c["svg"], c["card"])
        assert c["title"] and inside(c["title"], c["svg"]), (name, c["title"])
        assert not any(overlap(c["title"], b) for b in c["marks"] + c["ticks"]), (name, "the title covers the plot")
        assert c["ticks"] and all(inside(t, c["svg"]) for t in c["ticks"]), (name, "a tick label is clipped")
        assert c["marks"] and all(inside(m, c["svg"]) for m in c["marks"]), (name, "a bar or marker is clipped")
        if c["legend"]:
            assert inside(c["legend"], c["svg"]), (name, c["legend"])
            assert not overlap(c["legend"], c["title"]), (name, "the legend covers the title")
            assert not any(overlap(c["legend"], t) for t in c["ticks"]), (name, "the legend covers tick labels")
        if width == 390:
            assert c["modebar"] is None, (name, "a mode bar on a phone-sized chart")
        elif c["id"] == "chart-trend":
            assert c["modebar"] and inside(c["modebar"], c["svg"], slack=4), (name, c["modebar"])
        if c["modebar"]:
            assert not overlap(c["modebar"], c["title"]), (name, "the mode bar covers the title")
        assert c["narrow"] == ("true" if width == 390 else "false"), (name, "the narrow layout")
    assert charts[0]["legend"], "the trend chart has a legend (value, interval)"

    t = page.evaluate(TABLE)
    assert inside(t["wrap"], t["card"]), (t["wrap"], t["card"])
    assert t["overflow"] in ("auto", "scroll")
    if not inside(t["table"], t["wrap"]):  # wider than its card: it scrolls inside it
        assert t["scroll"][0] > t["scroll"][1], t["scroll"]
    assert len(t["groups"]) >= 3
    for group, value in zip(t["groups"], t["values"]):  # the key columns show without scrolling
        assert inside(group, t["wrap"]) and inside(value, t["wrap"]), (group, value, t["wrap"])
    page.eval_on_selector("table.breakdown", "t => { t.parentElement.scrollLeft = t.parentElement.scrollWidth; }")
    scrolled = page.evaluate(TABLE)
    assert all(inside(g, scrolled["wrap"]) for g in scrolled["groups"]), "the group column scrolled away"
    tab.shot(f"kpi-nps-{width}")


def test_scorecard_first_card_is_on_the_first_screen(sized: tuple[Tab, int]) -> None:
    tab, width = sized
    page = tab.page
    page.goto("/")
    height = page.viewport_size["height"]
    first = page.locator("article.card").first.bounding_box()
    assert first is not None and first["y"] < height - 120, (width, first, height)  # its name and number show
    notice = page.locator("details.notice")
    assert notice.get_attribute("open") == (None if width == 390 else "")
    if width == 390:  # folded, one tap away
        assert "Open local mode" in notice.inner_text()
        notice.locator("summary").click()
        assert "advokit apikey create" in notice.inner_text()
        page.locator("details.controls-fold > summary").click()
    assert page.locator("#grain").is_visible() and page.locator("#period").is_visible()
    scroll, client = tab.no_horizontal_overflow()
    assert scroll <= client, (scroll, client)
    tab.shot(f"scorecard-{width}", full_page=False)


@pytest.mark.parametrize(("path", "label"), [("/kpis/nps", "Scorecard"), ("/catalogue", "Catalogue")])
def test_the_nav_highlights_the_section_of_the_page(sized: tuple[Tab, int], path: str, label: str) -> None:
    tab, width = sized
    page = tab.page
    page.goto(path)
    current = page.locator(".nav a[aria-current=page]")
    assert current.all_inner_texts() == [label]
    box = current.bounding_box()
    assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= width and box["y"] >= 0
    tab.shot(f"nav-{path.strip('/').replace('/', '-')}-{width}", full_page=False)
