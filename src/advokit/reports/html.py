"""The HTML report: one self-contained file (inline CSS and SVG charts, no script, nothing fetched)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .._version import __version__
from . import charts
from . import format as fmt
from .model import NOT_TRACKED_TITLE, SECTION_IDS, SECTIONS, Report
from .narrative import headline_metrics

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                       undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True)


def render_html(report: Report) -> str:
    env = _environment()
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    svgs = {area.id: charts.svg(area, report) for area in report.areas}
    return env.get_template("report.html.j2").render(
        r=report, f=fmt, css=css, charts=svgs, sections=SECTIONS, ids=SECTION_IDS, version=__version__,
        not_tracked_title=NOT_TRACKED_TITLE, headline=headline_metrics(report.metrics))
