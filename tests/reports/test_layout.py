"""The five-minute report (issue 16): a short body of six sections, then the appendix.

Each report here is rendered once per module. The PDF's body is the pages before the one
where the "Appendix" heading starts; it must fit ``BODY_PAGES[kind]`` A4 pages whatever the
catalogue size and however many comments, risks and actions the team entered, and no body
page but its last may be mostly blank (measured by rendering each page and finding its lowest
inked row, so charts count as well as text).
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from advokit import Workspace
from advokit.reports import build_report, charts, layout
from advokit.reports.model import APPENDIX_TITLE, BODY_PAGES, BODY_QUOTES, SECTIONS, Report

from .conftest import GENERATED, PERIOD

needs_poppler = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
                                   reason="needs pdftotext and pdftoppm (apt-get install poppler-utils)")
COMMAND = re.compile(r"advokit (comment|coverage|report|config|import|kpi|demo|serve)\b|`advokit")
TOP_MM, BOTTOM_MM = 14.0, 297.0 - 16.0  # the PDF's top margin and its page-break trigger
FILL = 0.55


def filled(r: Report) -> Report:
    """The report as the lead's content fills it (8 headline KPIs, chosen quotes, one-sentence summaries)."""
    r = copy.deepcopy(r)
    r.headline = [m for m in r.metrics if m.value is not None][:8]
    chosen = []
    for s in (r.stories.detractors + r.stories.promoters)[:BODY_QUOTES]:
        m = r.headline[len(chosen) % len(r.headline)]
        chosen.append(replace(s, segment="Enterprise", kpi=m.kpi, kpi_name=m.name, why=f"{m.name}: in their words:"))
    r.stories.chosen = chosen
    for f in r.wins + r.risks:
        f.summary = "; ".join(f.reasons) + "."
    return r


def _pages(path: Path, *args: str) -> list[str]:
    text = subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def pdf_pages(data: bytes, tmp: Path) -> tuple[list[str], list[float], list[str]]:
    """Each page's text (laid out), how far down its content reaches (0..1 of the text area), its text in reading order."""
    path = tmp / "r.pdf"
    path.write_bytes(data)
    pages = _pages(path, "-layout")
    subprocess.run(["pdftoppm", "-r", "30", "-gray", "-png", str(path), str(tmp / "p")], check=True)
    from PIL import Image

    used = []
    for png in sorted(tmp.glob("p-*.png")):
        with Image.open(png) as img:
            ink = np.asarray(img.convert("L")) < 235
        px_per_mm = ink.shape[0] / 297.0
        rows = np.nonzero(ink[: int(BOTTOM_MM * px_per_mm)].any(axis=1))[0]  # above the footer
        lowest = rows.max() / px_per_mm if len(rows) else TOP_MM
        used.append((lowest - TOP_MM) / (BOTTOM_MM - TOP_MM))
    raw = _pages(path)
    assert len(used) == len(pages) == len(raw)
    return pages, used, raw


def appendix_page(pages: list[str]) -> int:
    """The 0-based page on which the "Appendix" heading stands (a line of its own)."""
    hits = [i for i, p in enumerate(pages) if any(line.strip() == APPENDIX_TITLE for line in p.splitlines())]
    assert len(hits) == 1, hits
    return hits[0]


@pytest.fixture(scope="module")
def busy(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The shipped catalogue (37 KPIs) with many comments: 30 actions, 30 requests, owners on half the risks."""
    path = tmp_path_factory.mktemp("busy") / "demo.duckdb"
    shutil.copy(demo_db, path)
    with Workspace(path) as ws:
        ids = [k.id for k in ws.catalogue][:30]
        for i, kpi in enumerate(ids):
            ws.commentary.add(kpi, PERIOD, f"Action {i:02d}: " + "call the accounts that scored low and log why. " * 3,
                              kind="action", owner=f"Owner {i}", author="Ana")
            ws.commentary.add(kpi, PERIOD, f"Request {i:02d}: budget for one more analyst this quarter.",
                              kind="request", owner="Lee")
        r = filled(build_report(ws, PERIOD, generated_at=GENERATED))
    for i, k in enumerate(r.risks):
        k.owner, k.due = ("Dana (CS)", "2026-01-31") if i % 2 == 0 else (None, None)
    return r


@pytest.fixture(scope="module")
def reports(demo: Workspace, monthly: Report, busy: Report) -> dict[str, Report]:
    quarterly = build_report(demo, "2025-Q3", generated_at=GENERATED)
    return {"monthly": monthly, "monthly-filled": filled(monthly), "quarterly": filled(quarterly), "busy": busy}


@pytest.fixture(scope="module")
def pdfs(reports: dict[str, Report], tmp_path_factory: pytest.TempPathFactory
         ) -> dict[str, tuple[list[str], list[float], list[str]]]:
    out = {}
    for name, r in reports.items():
        out[name] = pdf_pages(r.render("pdf"), tmp_path_factory.mktemp(f"pdf-{name}"))
    return out


@needs_poppler
@pytest.mark.parametrize("name", ["monthly", "monthly-filled", "quarterly", "busy"])
def test_pdf_body_fits_its_pages_then_the_appendix(name: str, reports: dict[str, Report],
                                                   pdfs: dict[str, tuple[list[str], list[float], list[str]]]) -> None:
    r = reports[name]
    pages, used, raw = pdfs[name]
    start = appendix_page(pages)
    body = "\n".join(pages[:start])
    assert 1 <= start <= BODY_PAGES[r.kind], (name, start, len(pages))
    found = [body.find(s) for s in SECTIONS]
    assert all(i >= 0 for i in found) and found == sorted(found), (name, found)
    assert len(pages) > start  # the appendix follows
    # no body page left mostly blank by a spill (the last body page may end early)
    for i in range(start - 1):
        assert used[i] >= FILL, (name, i + 1, round(used[i], 2))
    assert "unassigned" not in "".join(pages)
    assert not COMMAND.search("".join(pages))
    # the whole catalogue is in the appendix, not in the body
    appendix = re.sub(r"\s+", "", "".join(raw[start:]))
    for m in r.metrics:
        assert re.sub(r"\s+", "", m.name) in appendix, m.name


@needs_poppler
def test_busy_report_bounds_the_body_and_says_what_moved(busy: Report,
                                                         pdfs: dict[str, tuple[list[str], list[float], list[str]]]) -> None:
    pages, _, _ = pdfs["busy"]
    start = appendix_page(pages)
    body = "\n".join(pages[:start])
    steps = layout.steps(busy)
    assert len(steps) == 31 and len(busy.requests) == 31  # the fixture's one of each, and 30 more
    section = body[body.index(SECTIONS[5]):]
    shown = len(re.findall(r"Action \d\d:", section)) + ("Run a support quality review" in section)
    assert shown == layout.BODY_STEPS  # the first 8 actions, then a count
    assert f"{len(steps) - layout.BODY_STEPS} more actions in the appendix." in body
    assert f"{len(busy.requests) - layout.BODY_STEPS} more requests in the appendix." in body
    assert "Action 29" in "\n".join(pages[start:])  # every action is in the appendix
    unowned = [k.name for k in busy.body_risks if not k.owner]
    assert unowned and body.count("No owner yet:") == 1
    assert re.sub(r"\s+", " ", body).count("Dana (CS)") >= 1 and "2026-01-31" in body


@needs_poppler
def test_pdf_table_never_splits_a_row_across_pages(tmp_path: Path, monthly: Report) -> None:
    """fpdf2 moves a row that does not fit to the next page (proved on rows of ~40 mm crossing page ends)."""
    from advokit.reports.pdf import _Doc

    doc = _Doc(monthly)
    doc.add_page()
    doc.ln(150)  # start low on the page, so the table crosses page boundaries
    rows = [[f"ROW{i:02d}top " + "filler words wrap here " * 30 + f"ROW{i:02d}bottom", f"right{i}"]
            for i in range(14)]
    doc.grid(["Tall", "Short"], rows, [120, 66])
    path = tmp_path / "t.pdf"
    path.write_bytes(bytes(doc.output()))
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    page_of: dict[str, int] = {}
    for n, page in enumerate(out.split("<page ")[1:]):
        for word in re.findall(r">(ROW\d\d(?:top|bottom))<", page):
            page_of[word] = n
    assert len(page_of) == 28
    assert len(set(page_of.values())) >= 3  # the table really crosses pages
    for i in range(14):
        assert page_of[f"ROW{i:02d}top"] == page_of[f"ROW{i:02d}bottom"], i
    # and the heading row is repeated on every page the table reaches
    assert all(page.count(">Tall<") == 1 for page in out.split("<page ")[1:])


def test_body_says_once_that_nothing_was_asked(monthly: Report) -> None:
    r = copy.deepcopy(monthly)
    r.next_steps, r.requests = [], []
    line = f"No actions or requests for support were entered for {r.period_label}."
    for fmt in ("md", "html"):
        text = r.render(fmt).decode()
        assert text.count(line) == 1, fmt
        assert not COMMAND.search(text), fmt
        assert "unassigned" not in text and "from the risk" not in text


def test_every_format_has_the_body_then_the_appendix(reports: dict[str, Report]) -> None:
    r = reports["monthly-filled"]
    md = r.render("md").decode()
    assert [line[3:] for line in md.splitlines() if line.startswith("## ")] == [*SECTIONS, APPENDIX_TITLE]
    body = md[: md.index(f"## {APPENDIX_TITLE}")]
    for m in r.headline:  # in the body: the headline table and one trend line each, nothing else per KPI
        rows = [line for line in body.splitlines() if line.startswith(f"| {m.name} |")]
        trends = body[body.index(f"## {SECTIONS[1]}"):body.index(f"## {SECTIONS[2]}")]
        assert len(rows) == 1 and trends.count(f"- **{m.name}**") == 1, m.name
    assert "| Band |" not in body and "### All KPIs" not in body  # no per-area tables in the body
    for s in r.stories.chosen:
        assert body.count(s.text[:40]) == 1 and "Enterprise" in body
    html = r.render("html").decode()
    assert html.count("<svg") == len(r.headline) == 8
    hbody = html[: html.index(f"<h2>{APPENDIX_TITLE}</h2>")]
    assert hbody.count("<figure>") == 8 and "<h4>" not in hbody
    for text in (md, html):
        assert not COMMAND.search(text) and "unassigned" not in text


def test_kpi_chart_keeps_every_label_inside(reports: dict[str, Report]) -> None:
    """No clipped labels: every text of a KPI chart lies inside the figure (long names, big money values)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    r = reports["busy"]
    for m in [*r.headline, *(m for m in r.metrics if m.unit == "money")][:12]:
        with charts._settings():
            fig = charts.kpi_figure(m, r)
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            box = fig.bbox
            texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_visible())
                     if t.get_text().strip()]  # type: ignore[attr-defined]
            assert texts
            for t in texts:
                e = t.get_window_extent(canvas.get_renderer())
                assert e.x0 >= box.x0 - 0.5 and e.x1 <= box.x1 + 0.5 and e.y0 >= box.y0 - 0.5 \
                    and e.y1 <= box.y1 + 0.5, (m.kpi, t.get_text())
    svg = charts.kpi_svg(r.headline[0], r)
    families = re.findall(r"font-family: ?([^;\"]+)", svg)
    assert families and all(f.rstrip().endswith("sans-serif") for f in families), families
