"""The "Voice" page (``/voice``): what customers say, as a list of sections, each built only where it has data.

A section builder takes the :class:`VoiceContext` and returns a :class:`VoiceSection` or None (nothing to
show: the page leaves it out, no placeholder). The page renders :data:`BUILDERS` in order; each section's
template is ``voice_<key>.html`` and receives the section as ``s``. A new section (themes with quotes, the
open-loop queue) is a builder function and a template, appended to :data:`BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import PeriodOutsideDataError
from . import charts
from .dashboard import Dashboard
from .format import Units
from .selection import Selection

SENTIMENT_KPI = "net_sentiment"


@dataclass(frozen=True)
class VoiceContext:
    d: Dashboard
    sel: Selection
    units: Units


@dataclass
class VoiceSection:
    key: str
    title: str
    data: dict[str, Any]
    #: plotly figures of the section: ``{"id", "figure", "label"}`` (ids unique on the page)
    charts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def template(self) -> str:
        return f"voice_{self.key}.html"


Builder = Callable[[VoiceContext], "VoiceSection | None"]


def sentiment_over_time(ctx: VoiceContext) -> VoiceSection | None:
    """Net sentiment by month with its 95 % interval (the ``net_sentiment`` KPI, as on its KPI page)."""
    kpi = ctx.d.ws.kpi(SENTIMENT_KPI)
    rows = ctx.d.trend(SENTIMENT_KPI, ctx.sel)
    if not any(r.get("value") is not None for r in rows):
        return None
    figure = charts.trend_figure(kpi, rows, units=ctx.units)
    label = f"{kpi.name} by {ctx.sel.grain}, with 95% interval"
    return VoiceSection("sentiment", f"{kpi.name} over time", {"kpi": kpi, "rows": rows},
                        [{"id": "voice-sentiment", "figure": figure, "label": label}])


def listening(ctx: VoiceContext) -> VoiceSection | None:
    """The listening figures of the latest complete month with mentions (``ws.listening``), with its spikes."""
    try:
        data = ctx.d.cache.get(("listening", "month"), lambda: ctx.d.ws.listening.figures("month"))
    except PeriodOutsideDataError:  # no mentions, or no complete month of them yet
        return None
    if not data["figures"]["volume"]:
        return None
    return VoiceSection("listening", f"Social listening, {data['period']}", data)


def themes(ctx: VoiceContext) -> VoiceSection | None:
    """The themes of the latest complete month (``ws.themes``): share, change and trend, net sentiment,
    promoter and detractor shares, and up to three quotes each. Themes are computed by ``advokit text
    themes`` (or ``advokit demo``); a page view never starts the discovery, it shows nothing until then."""
    ws = ctx.d.ws
    if not ws.themes.computed():
        return None
    period = ws.latest_complete_period("month")
    if period is None:
        return None
    data = ctx.d.cache.get(("themes", period), lambda: ws.themes.report(period))
    shown = [t for t in data["themes"] if t["texts"]][:MAX_THEMES]
    if not shown:
        return None
    return VoiceSection("themes", f"Themes, {period}", {**data, "themes": shown})


def open_loops(ctx: VoiceContext) -> VoiceSection | None:
    """The closed-loop queue: the open loops (answers that still wait for a follow-up), oldest first, with
    the comment, the owner and whether the SLA has passed (``ws.loops``)."""
    rows = ctx.d.cache.get(("loops", "open"), lambda: ctx.d.ws.loops.list(open_only=True, limit=QUEUE + 1))
    if not rows:
        return None
    more = len(rows) > QUEUE
    shown = [{**r, "received": r["occurred_at"].date().isoformat() if hasattr(r["occurred_at"], "date")
              else str(r["occurred_at"])[:10]} for r in rows[:QUEUE]]
    return VoiceSection("loops", "Open loops, oldest first", {"rows": shown, "more": more})


#: the most open loops the page lists (the CLI and the API list them all)
QUEUE = 20
#: the most themes the page lists
MAX_THEMES = 8
#: the page's sections, in order
BUILDERS: list[Builder] = [sentiment_over_time, themes, open_loops, listening]


def build_sections(ctx: VoiceContext, builders: list[Builder] | None = None) -> list[VoiceSection]:
    """The sections that have something to show, in order."""
    out = []
    for build in BUILDERS if builders is None else builders:
        section = build(ctx)
        if section is not None:
            out.append(section)
    return out
