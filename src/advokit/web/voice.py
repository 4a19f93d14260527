"""The "Voice" page (``/voice?grain=&period=``): what customers say, as a list of sections, each built only
where it has data.

The page's period (default: the latest complete month, as on the scorecard) applies to the themes, the
listening figures and the closed loop of the period; the sentiment chart ends with it. The open-loop queue
is *now*, whatever the period: it is the team's to-do list (the closed-loop section gives the period's).

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
from ..reports.voice import LOOP_KPIS
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
    """The listening figures of the page's period (``ws.listening``), with its spikes; "no mentions in this
    period" where the workspace has mentions but not then; left out where it has none at all."""
    ws = ctx.d.ws
    label = ctx.sel.period.label
    if ws.listening.span() is None:
        return None
    data = ctx.d.cache.get(("listening", label), lambda: ws.listening.of_period(label))
    if data is None:
        return VoiceSection("listening", f"Social listening, {label}", {"period": label, "figures": None})
    return VoiceSection("listening", f"Social listening, {label}", data)


def closed_loop(ctx: VoiceContext) -> VoiceSection | None:
    """The closed loop of the page's period: the closed-loop KPIs of the catalogue (follow-up rate, in-SLA
    rate, median days to close, open loops at the period's end and their mean age, recovery rate), each with
    what it counts; left out where the workspace has no answer that needs a follow-up."""
    ws = ctx.d.ws
    ids = [k for k in LOOP_KPIS if k in ws.catalogue.ids]
    if not ids or not ctx.d.cache.get(("loops", "any"), lambda: bool(ws.loops.list(limit=1))):
        return None
    p = ctx.sel.period
    rows = ctx.d.cache.get(("loop-kpis", p), lambda: ws.compute(ids, period=p.grain, start=p.start,
                                                                 end=p.end).to_dicts())
    by_kpi = {r["kpi"]: r for r in rows if r["period"] == p.label}
    figures = [{"kpi": ws.kpi(k), "value": by_kpi.get(k, {}).get("value"), "n": by_kpi.get(k, {}).get("n")}
               for k in ids]
    return VoiceSection("followup", f"Closed loop, {p.label}", {"period": p.label, "figures": figures})


def themes(ctx: VoiceContext) -> VoiceSection | None:
    """The themes of the page's period (``ws.themes``): share, change and trend, net sentiment,
    promoter and detractor shares, and up to three quotes each. Themes are computed by ``advokit text
    themes`` (or ``advokit demo``); a page view never starts the discovery, it shows nothing until then."""
    ws = ctx.d.ws
    if not ws.themes.computed():
        return None
    period = ctx.sel.period.label
    try:
        data = ctx.d.cache.get(("themes", period), lambda: ws.themes.report(period))
    except PeriodOutsideDataError:  # no texts in the period
        return None
    shown = [t for t in data["themes"] if t["texts"]][:MAX_THEMES]
    if not shown:
        return None
    return VoiceSection("themes", f"Themes, {period}", {**data, "themes": shown})


def open_loops(ctx: VoiceContext) -> VoiceSection | None:
    """The closed-loop queue *now* (not the page's period): the open loops (answers that still wait for a
    follow-up), oldest first, with the comment, the owner and whether the SLA has passed (``ws.loops``; its
    times are ISO strings, the page shows the day)."""
    rows = ctx.d.cache.get(("loops", "open"), lambda: ctx.d.ws.loops.list(open_only=True, limit=QUEUE + 1))
    if not rows:
        return None
    more = len(rows) > QUEUE
    shown = [{**r, "received": r["occurred_at"][:10]} for r in rows[:QUEUE]]
    return VoiceSection("loops", "Open loops now, oldest first", {"rows": shown, "more": more})


#: the most open loops the page lists (the CLI and the API list them all)
QUEUE = 20
#: the most themes the page lists
MAX_THEMES = 8
#: the page's sections, in order
BUILDERS: list[Builder] = [sentiment_over_time, themes, closed_loop, open_loops, listening]


def build_sections(ctx: VoiceContext, builders: list[Builder] | None = None) -> list[VoiceSection]:
    """The sections that have something to show, in order."""
    out = []
    for build in BUILDERS if builders is None else builders:
        section = build(ctx)
        if section is not None:
            out.append(section)
    return out
