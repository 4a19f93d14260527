"""Templates (Jinja2, autoescaped), JSON for charts inside pages, and the security headers of every page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.responses import HTMLResponse, Response

from .._version import __version__
from ..catalogue.model import FOCUS_AREAS, FUNNEL_STAGES
from . import format as fmt
from .sections import SECTIONS

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"

#: No script, style, font or image from anywhere but this server; no inline script.
#: (Plotly sets inline styles on the SVG it draws, hence style-src 'unsafe-inline'.)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def to_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>`` can close it)."""
    text = json.dumps(value, allow_nan=False, default=str, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(value=fmt.fmt_value, change=fmt.fmt_change, pct=fmt.fmt_pct, pvalue=fmt.fmt_p,
                       date=fmt.fmt_date, tojson_safe=to_json, urlpart=lambda s: quote(str(s), safe=""))
    env.globals.update(status_of=fmt.status, trend_of=fmt.trend, spark_of=fmt.sparkline, unit_label=fmt.UNIT_LABELS,
                       focus_areas=FOCUS_AREAS, funnel_stages=FUNNEL_STAGES, version=__version__,
                       sections=SECTIONS)
    return env


ENV = _environment()


def page(template: str, context: dict[str, Any], *, status: int = 200) -> Response:
    """Render ``template`` with ``context`` into an HTML response with the security headers."""
    html = ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)
