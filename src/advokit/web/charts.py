"""Plotly figures as plain JSON-ready dicts (rendered in the browser by the bundled plotly.min.js).

Only presentation lives here: the rows come from the Workspace as they are.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..catalogue.model import KpiDefinition
from .format import Units, fmt_value

LINE = "#1f4e79"
BAND_FILL = "rgba(31, 78, 121, 0.16)"
TARGET = "#a34700"
ZONES = {"poor": "rgba(200, 40, 40, 0.09)", "fair": "rgba(230, 160, 0, 0.10)",
         "good": "rgba(30, 150, 80, 0.09)", "excellent": "rgba(20, 110, 60, 0.13)"}
#: Survey event types with their title and score scale (data contract).
SURVEY_NAMES = {"nps_response": ("NPS answer (0–10)", (0, 10)), "csat_response": ("CSAT answer (1–5)", (1, 5)),
                "advocacy_rating": ("Advocacy rating (1–5)", (1, 5)), "ces_response": ("Effort score, CES (1–7)", (1, 7))}


def _num(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


#: Layout changes the browser applies when a chart is narrower than NARROW_PX (dashboard.js merges them in):
#: tighter margins (automargin grows them to fit the tick labels), smaller type, fewer x ticks. The mode bar
#: is hidden there too (dashboard.js), so it never covers the title on a phone.
NARROW_PX = 560
NARROW: dict[str, Any] = {"margin": {"l": 8, "r": 8, "t": 44, "b": 8}, "font": {"size": 11},
                          "title": {"font": {"size": 13}}, "xaxis": {"nticks": 6}}


def _layout(title: str, *, yaxis: dict[str, Any], height: int = 360, **extra: Any) -> dict[str, Any]:
    """The shared layout: title on the left above the plot (the mode bar sits on the right), legend under the
    plot, and the margins grown to fit the title and each axis's labels (``automargin``), so nothing is clipped
    at any width."""
    xaxis = {"automargin": True, **extra.pop("xaxis", {})}
    return {"title": {"text": title, "font": {"size": 15}, "x": 0, "xref": "paper", "xanchor": "left",
                      "y": 1, "yref": "paper", "yanchor": "bottom", "pad": {"b": 10}, "automargin": True}, "height": height, "autosize": True,
            "margin": {"l": 16, "r": 16, "t": 48, "b": 16}, "hovermode": "x unified",
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
            "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yref": "container",
                       "yanchor": "bottom"},
            "yaxis": {"automargin": True, **yaxis}, "xaxis": xaxis, **extra}


def figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> dict[str, Any]:
    """A figure as the page embeds it: Plotly's data and layout, and the layout changes for narrow charts."""
    return {"data": data, "layout": layout, "narrow": NARROW, "narrow_px": NARROW_PX}


def _range(kpi: KpiDefinition, numbers: Sequence[float]) -> list[float]:
    """A y range holding the values, their intervals and targets, padded; it starts at 0 when nothing is
    negative, and a percent whose values are all at most 100 stops at 100."""
    if not numbers:
        return [0.0, 1.0]
    lo, hi = min(numbers), max(numbers)
    pad = (hi - lo) * 0.12 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    if min(numbers) >= 0:
        lo = max(lo, 0.0)
    if kpi.unit == "percent" and max(numbers) <= 100:  # a growth rate may pass 100 %: never clip a value
        hi = min(hi, 100.0)
    return [lo, hi]


def _texts(kpi: KpiDefinition, values: Sequence[float | None], units: Units | None) -> list[str]:
    return [units.value(v, kpi) if units is not None else fmt_value(v, kpi.unit) for v in values]


def trend_figure(kpi: KpiDefinition, rows: Sequence[Mapping[str, Any]], *,
                 units: Units | None = None) -> dict[str, Any]:
    """The KPI's value per period with its 95 % interval, its target and its band zones.

    Periods before the first value are left out (the workspace may start later than the window).
    """
    first = next((i for i, r in enumerate(rows) if _num(r.get("value")) is not None), len(rows))
    rows = list(rows[first:]) or list(rows[-1:])
    x = [r["period"] for r in rows]
    value = [_num(r.get("value")) for r in rows]
    lo = [_num(r.get("ci_low")) for r in rows]
    hi = [_num(r.get("ci_high")) for r in rows]
    target = [_num((r.get("target") or {}).get("value")) for r in rows]
    text = _texts(kpi, value, units)
    data: list[dict[str, Any]] = []
    if any(v is not None for v in hi):
        data.append({"type": "scatter", "x": x, "y": hi, "mode": "lines", "line": {"width": 0},
                     "hoverinfo": "skip", "showlegend": False, "name": "95% upper"})
        data.append({"type": "scatter", "x": x, "y": lo, "mode": "lines", "line": {"width": 0},
                     "fill": "tonexty", "fillcolor": BAND_FILL, "name": "95% interval", "hoverinfo": "skip"})
    data.append({"type": "scatter", "x": x, "y": value, "mode": "lines+markers", "name": kpi.name,
                 "line": {"color": LINE, "width": 2.5}, "marker": {"size": 7, "color": LINE},
                 "text": text, "hovertemplate": "%{x}: %{text}<extra></extra>", "connectgaps": False})
    if any(t is not None for t in target):
        data.append({"type": "scatter", "x": x, "y": target, "mode": "lines", "name": "Target",
                     "line": {"color": TARGET, "width": 2, "dash": "dash"}})
    numbers = [v for series in (value, lo, hi, target) for v in series if v is not None]
    yrange = _range(kpi, numbers)
    shapes, notes = [], []
    for band in kpi.bands:
        y0 = yrange[0] if band.min is None else max(band.min, yrange[0])
        y1 = yrange[1] if band.max is None else min(band.max, yrange[1])
        if y1 <= y0:
            continue
        shapes.append({"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "y0": y0, "y1": y1, "layer": "below",
                       "line": {"width": 0}, "fillcolor": ZONES.get(band.rating, ZONES["fair"])})
        label = band.label  # (the zone's colour says the rating)
        notes.append({"xref": "paper", "x": 1, "xanchor": "right", "y": (y0 + y1) / 2, "yanchor": "middle",
                      "text": label, "showarrow": False,
                      "font": {"size": 11, "color": "#444"}})
    return figure(data, _layout(f"{kpi.name} by period", yaxis={"range": yrange, "zeroline": False},
                                xaxis={"type": "category"}, shapes=shapes, annotations=notes))


def breakdown_figure(kpi: KpiDefinition, dim: str, rows: Sequence[Mapping[str, Any]], *,
                     units: Units | None = None) -> dict[str, Any]:
    """One bar per group with its 95 % interval as an error bar."""
    ordered = sorted(rows, key=lambda r: (_num(r.get("value")) is None, _num(r.get("value")) or 0.0))
    names = [str(r.get(dim)) if r.get(dim) is not None else "(none)" for r in ordered]
    value = [_num(r.get("value")) for r in ordered]
    plus = [None if v is None or _num(r.get("ci_high")) is None else _num(r.get("ci_high")) - v  # type: ignore[operator]
            for v, r in zip(value, ordered)]
    minus = [None if v is None or _num(r.get("ci_low")) is None else v - _num(r.get("ci_low"))  # type: ignore[operator]
             for v, r in zip(value, ordered)]
    bar: dict[str, Any] = {"type": "bar", "orientation": "h", "x": value, "y": names, "marker": {"color": LINE},
                           "text": _texts(kpi, value, units),
                           # a negative bar's label stays inside it, off the group names on the left
                           "textposition": ["inside" if v is not None and v < 0 else "auto" for v in value],
                           "hovertemplate": "%{y}: %{text}<extra></extra>", "name": kpi.name}
    if any(p is not None for p in plus):
        bar["error_x"] = {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                          "color": "#555", "thickness": 1.2}
    height = max(220, 60 + 34 * len(names))
    return figure([bar], _layout(f"{kpi.name} by {dim}", yaxis={}, height=height, hovermode="closest",
                                 showlegend=False))


def score_figures(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One small chart per survey type a customer answered: score over time, on one shared time axis."""
    answered = [e for e in events if e.get("type") in SURVEY_NAMES and _num(e.get("score")) is not None]
    if not answered:
        return []
    times = sorted(str(e["occurred_at"])[:10] for e in answered)
    span = [_shift_day(times[0], -20), _shift_day(times[-1], 20)]
    out = []
    for kind, (title, (lo, hi)) in SURVEY_NAMES.items():
        rows = [e for e in answered if e["type"] == kind]
        if not rows:
            continue
        out.append(figure([{"type": "scatter", "mode": "lines+markers", "name": title,
                            "x": [str(e["occurred_at"])[:19] for e in rows], "y": [_num(e["score"]) for e in rows],
                            "line": {"color": LINE}, "marker": {"size": 8},
                            "hovertemplate": "%{x|%Y-%m-%d}: %{y}<extra></extra>"}],
                           _layout(title, yaxis={"range": [lo - 0.5, hi + 0.5], "dtick": 1 if hi <= 7 else 2},
                                   height=260, xaxis={"type": "date", "range": span}, showlegend=False,
                                   hovermode="closest")))
    return out


def _shift_day(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


#: a colour per advocate tier, best to worst (and a grey for customers with no score)
TIER_COLOURS = {"champion": "#14643c", "advocate": "#2e8b57", "potential": "#1f4e79", "passive": "#8a8f98",
                "at_risk": "#b42828", "no_score": "#c8ccd2"}


def tier_figure(tiers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One bar per advocate tier (``advokit.advocates.summary.tier_distribution``'s rows), labelled with its count."""
    names = [str(t["tier"]) for t in tiers]
    counts = [int(t["customers"]) for t in tiers]
    bar: dict[str, Any] = {"type": "bar", "x": names, "y": counts, "text": [f"{n:,}" for n in counts],
                           "textposition": "auto", "name": "Customers",
                           "marker": {"color": [TIER_COLOURS.get(str(t["key"]), LINE) for t in tiers]},
                           "hovertemplate": "%{x}: %{y:,} customers<extra></extra>"}
    return figure([bar], _layout("Customers by advocate tier", yaxis={"title": {"text": "customers"},
                                                                       "rangemode": "tozero"},
                                 height=300, hovermode="closest", showlegend=False))


FUNNEL_COLOUR = "#2e8b57"


def funnel_figure(stages: Sequence[Mapping[str, Any]], *, title: str) -> dict[str, Any]:
    """The advocacy funnel as horizontal bars, first stage on top (``ws.funnel.compute``'s ``stages``), each
    labelled with its count."""
    names = [str(s["name"]) for s in stages]
    counts = [int(s["customers"]) for s in stages]
    bar: dict[str, Any] = {"type": "bar", "orientation": "h", "y": names, "x": counts,
                           "text": [f"{n:,}" for n in counts], "textposition": "auto", "name": "Customers",
                           "marker": {"color": FUNNEL_COLOUR},
                           "hovertemplate": "%{y}: %{x:,} customers<extra></extra>"}
    return figure([bar], _layout(title, yaxis={"autorange": "reversed"}, height=300, hovermode="closest",
                                 showlegend=False, xaxis={"title": {"text": "customers"}, "rangemode": "tozero"}))
