"""The HTML report: one self-contained file (inline CSS and SVG charts, no script, nothing fetched).

The body (the six sections) is short: one headline table, one chart per headline KPI, the chosen
quotes, the first wins and risks, a bounded list of next steps; the ``Appendix`` section holds the
rest. Every font stack ends in ``sans-serif`` (the charts' SVG text too), so no reader sees a serif.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .._version import __version__
from . import charts, layout
from . import format as fmt
from .model import (
    APPENDIX_TITLE,
    NOT_TRACKED_TITLE,
    SECTION_IDS,
    SECTIONS,
    VOICE_TITLE,
    Report,
)

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                       undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True)


def render_html(report: Report) -> str:
    env = _environment()
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    headline = layout.headline(report)
    all_steps = layout.steps(report)
    steps, more_steps = layout.body_part(all_steps)
    requests, more_requests = layout.body_part(report.requests)
    return env.get_template("report.html.j2").render(
        r=report, f=fmt, L=layout, css=css, charts=[charts.kpi_svg(m, report) for m in headline], sections=SECTIONS,
        ids=SECTION_IDS, version=__version__, not_tracked_title=NOT_TRACKED_TITLE, voice_title=VOICE_TITLE,
        appendix_title=APPENDIX_TITLE,
        headline=headline, quotes=layout.chosen(report), all_steps=all_steps, steps=steps, more_steps=more_steps,
        requests=requests, more_requests=more_requests)
