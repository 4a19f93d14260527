"""HTML, Markdown and PDF: the six sections in order, self-contained HTML, real PDF pages, determinism, golden files."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from advokit import Workspace
from advokit._version import __version__
from advokit.reports import SECTIONS, Report, format_of
from advokit.reports import build_report, layout
from advokit.reports.model import APPENDIX_TITLE

from .conftest import GENERATED, PERIOD

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ADVOKIT_UPDATE_GOLDEN") == "1"
needs_poppler = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
                                   reason="needs pdftotext and pdftoppm (apt-get install poppler-utils)")


def in_order(text: str, parts: tuple[str, ...] | list[str]) -> bool:
    found = [text.find(p) for p in parts]
    return all(i >= 0 for i in found) and found == sorted(found)


def rendered_text(path: Path) -> str | None:
    """A written report's text (a PDF through pdftotext; None when that tool is missing)."""
    if path.suffix == ".pdf":
        if not shutil.which("pdftotext"):
            return None
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return path.read_text(encoding="utf-8").replace("&amp;", "&")


def normalise(text: str) -> str:
    """Generated dates and the version vary; nothing else may."""
    text = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "<GENERATED>", text)
    return text.replace(f"advokit {__version__}", "advokit <VERSION>")


@pytest.fixture(scope="module")
def files(monthly: Report) -> dict[str, bytes]:
    return {fmt: monthly.render(fmt) for fmt in ("html", "md", "pdf")}


# -- HTML --------------------------------------------------------------------------------------------
class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.h2: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.h2.append(data)


def test_html_is_one_self_contained_file(files: dict[str, bytes], monthly: Report) -> None:
    html = files["html"].decode("utf-8")
    parser = _Tags()
    parser.feed(html)
    names = [t for t, _ in parser.tags]
    assert parser.h2 == [*SECTIONS, APPENDIX_TITLE]
    assert "script" not in names and "link" not in names and "img" not in names and "iframe" not in names
    for _, attrs in parser.tags:
        assert "src" not in attrs
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href
    assert "@import" not in html and not re.search(r"url\((?!#)", html)  # only the charts' own clip paths
    assert not re.search(r"https?://(?!www\.w3\.org/)", html)  # only the SVG/XLink namespaces
    assert names.count("svg") == len(layout.headline(monthly)) >= 5  # one chart per headline KPI
    assert "<style>" in html and html.startswith("<!DOCTYPE html>")


def test_html_escapes_customer_and_team_text(scratch: Workspace) -> None:
    scratch.commentary.add("csat", PERIOD, "<script>alert(1)</script> & co", kind="action", owner="<b>Eve</b>")
    html = build_report(scratch, PERIOD, generated_at=GENERATED).render("html").decode()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html


# -- Markdown ----------------------------------------------------------------------------------------
def test_markdown_sections_and_tables(files: dict[str, bytes], monthly: Report) -> None:
    md = files["md"].decode("utf-8")
    headings = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert headings == [*SECTIONS, APPENDIX_TITLE]
    for m in monthly.metrics:
        assert f"| {m.name} |" in md
    widths = {len(line.split(" | ")) for line in md.splitlines() if line.startswith("| Active Advocates")}
    assert len(widths) <= 2  # headline table and metrics tables, no broken rows


def test_markdown_keeps_tables_whole_with_pipes(scratch: Workspace) -> None:
    scratch.commentary.add("csat", PERIOD, "Fix A | B *now* [link](http://x)", kind="action", owner="Ops | CS")
    md = build_report(scratch, PERIOD, generated_at=GENERATED).render("md").decode()
    row = next(line for line in md.splitlines() if line.startswith("| Fix A"))
    assert row.count(" | ") == 3 and "\\|" in row and "\\[link\\]" in row and "\\*now\\*" in row


# -- PDF ---------------------------------------------------------------------------------------------
def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("-", "")


@needs_poppler
def test_pdf_pages_sections_charts_and_page_numbers(files: dict[str, bytes], monthly: Report, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(files["pdf"])
    assert files["pdf"].startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert in_order(text, SECTIONS)
    pages = text.count("\f") + (0 if text.endswith("\f") else 1)
    assert pages >= 2
    for i in range(1, pages + 1):
        assert f"Page {i} of {pages}" in text
    # nothing cut off: every KPI name, every quoted customer text and every risk tip is there whole
    flat = _squash(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    for m in monthly.metrics:
        assert _squash(m.name) in flat, m.name
    for s in monthly.stories.promoters + monthly.stories.detractors:
        assert _squash(s.text) in flat, s.text
    for r in monthly.risks:
        for tip in r.tips:
            assert _squash(tip) in flat, tip
    # real charts: one image per headline KPI, drawn pages with the trend colour
    assert files["pdf"].count(b"/Subtype /Image") == len(layout.headline(monthly))
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == pages
    from PIL import Image

    def blue_pixels(path: Path) -> int:
        with Image.open(path) as img:
            rgb = np.asarray(img.convert("RGB"), dtype=np.int32)
        return int((np.abs(rgb - np.array([31, 95, 139])) < 40).all(axis=2).sum())

    assert sum(1 for p in pngs if blue_pixels(p) > 400) >= 1


@needs_poppler
def test_pdf_keeps_any_script_it_can(scratch: Workspace, tmp_path: Path) -> None:
    scratch.commentary.add("csat", PERIOD, "Ünïcödé Ωμέγα Привет — 顧客", kind="action", owner="Zoë")
    pdf = tmp_path / "r.pdf"
    build_report(scratch, PERIOD, generated_at=GENERATED).write(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Ünïcödé Ωμέγα Привет — ??" in text and "Zoë" in text


# -- all formats ---------------------------------------------------------------------------------------
def test_same_workspace_same_bytes(demo: Workspace, files: dict[str, bytes]) -> None:
    again = build_report(demo, PERIOD, generated_at=GENERATED)
    for fmt, data in files.items():
        assert again.render(fmt) == data, fmt


def test_write_picks_the_format_from_the_suffix(monthly: Report, tmp_path: Path) -> None:
    assert format_of("x.PDF") == "pdf" and format_of("x.markdown") == "md" and format_of("x") == "html"
    assert format_of("x.pdf", "md") == "md"
    for name in ("r.html", "r.md", "r.pdf"):
        path = monthly.write(tmp_path / "sub" / name)
        assert path.exists() and path.stat().st_size > 0
    assert not list((tmp_path / "sub").glob(".*tmp"))


@pytest.mark.parametrize("name, args", [
    ("monthly-2025-11.md", dict(period=PERIOD)),
    ("campaign-2025-07-to-2025-09.md", dict(kind="campaign", start="2025-07", end="2025-09")),
])
def test_golden_markdown(fixed: Workspace, name: str, args: dict) -> None:  # type: ignore[type-arg]
    """The whole Markdown report on a fixed demo and the tests' own catalogue (ADVOKIT_UPDATE_GOLDEN=1 rewrites)."""
    text = normalise(build_report(fixed, **args, generated_at=GENERATED).render("md").decode("utf-8"))
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_golden_normaliser_only_hides_dates(fixed: Workspace) -> None:
    import datetime as dt

    a = normalise(build_report(fixed, PERIOD, generated_at=GENERATED).render("md").decode())
    b = normalise(build_report(fixed, PERIOD, generated_at=dt.datetime(2030, 2, 3, 4, 5)).render("md").decode())
    assert a == b and "<GENERATED>" in a


def test_html_golden_text(fixed: Workspace) -> None:
    """The HTML without its charts is stable too (charts are matplotlib's and checked above)."""
    html = build_report(fixed, PERIOD, generated_at=GENERATED).render("html").decode()
    html = re.sub(r"<svg.*?</svg>", "<svg/>", html, flags=re.S)
    text = normalise(html)
    path = GOLDEN / "monthly-2025-11.html"
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_render_needs_no_display(monkeypatch: pytest.MonkeyPatch, monthly: Report) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    assert monthly.render("pdf")[:4] == b"%PDF"
    assert io.BytesIO(monthly.render("html")).read(15) == b"<!DOCTYPE html>"


@pytest.mark.parametrize("args", [dict(period="2025-Q3"), dict(kind="campaign", start="2025-10", end="2025-11")],
                         ids=["quarterly", "campaign"])
def test_every_kind_in_every_format_on_the_demo(demo: Workspace, tmp_path: Path, args: dict) -> None:  # type: ignore[type-arg]
    report = build_report(demo, **args, generated_at=GENERATED)
    for fmt in ("html", "md", "pdf"):
        path = report.write(tmp_path / f"r.{fmt}")
        text = rendered_text(path)
        if text is None:
            continue
        assert in_order(text, SECTIONS), fmt
        assert report.period in text, fmt
