"""The closed loop and social listening of a report's period ("Closed loop & social listening").

Every figure is read, none computed here: the closed-loop KPIs of the catalogue as the report computed them
(follow-up rate, in-SLA rate, median days to close, open loops and their mean age at the period's end,
recovery rate), the oldest loops open at the period's end from the loop queue (``ws.loops``), and the
period's listening figures (``ws.listening``). A KPI the catalogue lacks, or a period with nothing to count,
leaves its field None; the renderers say so in words (:mod:`.layout`), never as a zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .model import (
    BODY_AUTHORS,
    BODY_OPEN_LOOPS,
    Author,
    BrandShare,
    ListeningFigures,
    LoopFigures,
    MentionSpike,
    Metric,
    OpenLoop,
    Voice,
)
from .stories import TYPES as STORY_TYPES

if TYPE_CHECKING:
    from ..engine.periods import Period
    from ..workspace import Workspace

#: The closed-loop KPIs the section reads, by the field they fill (value field, count field).
LOOP_KPIS: dict[str, tuple[str, str | None]] = {
    "closed_loop_follow_up_rate": ("follow_up_rate", "needing"),
    "closed_loop_in_sla_rate": ("in_sla_rate", "due"),
    "closed_loop_days_to_close": ("median_days", "closed"),
    "closed_loop_open_loops": ("open_at_end", None),
    "closed_loop_open_age_days": ("mean_open_age", None),
    "closed_loop_recovery_rate": ("recovery_rate", "answered_again"),
}
LISTENING_NOTE = "Mentions follow no customer filter: the listening figures cover every mention of the period."


def _loops(ws: "Workspace", period: "Period", metrics: Mapping[str, Metric], not_tracked: Mapping[str, str | None],
           filters: Mapping[str, str | None]) -> LoopFigures:
    out = LoopFigures(kpis=[k for k in LOOP_KPIS if k in metrics])
    if not out.kpis:
        return out
    reasons = [not_tracked[k] for k in out.kpis if k in not_tracked]
    if out.kpis and len(reasons) == len(out.kpis):
        out.not_tracked = reasons[0] or "the workspace holds none of the data the closed-loop KPIs read"
        return out
    for kpi, (value_field, count_field) in LOOP_KPIS.items():
        m = metrics.get(kpi)
        if m is None or kpi in not_tracked:
            continue
        if count_field is not None:
            setattr(out, count_field, m.n)
        if m.value is not None and (count_field is None or m.n):
            setattr(out, value_field, m.value)
    if out.open_at_end is not None:
        out.open_at_end = int(out.open_at_end)
    # the loops open at the period's end, as the open-loop KPI counts them: answered before the end, not closed
    # before it (one microsecond before the end: a follow-up at the very end leaves its loop open, as there)
    at = dt.datetime(period.end.year, period.end.month, period.end.day) - dt.timedelta(microseconds=1)
    rows = ws.loops.list(open_only=True, as_of=at, limit=BODY_OPEN_LOOPS, filters=dict(filters))
    out.oldest = [OpenLoop(event_id=str(r["event_id"]), type_label=STORY_TYPES.get(r["type"], r["type"]),
                           received=str(r["occurred_at"])[:10], age_days=float(r["age_days"]),
                           overdue=bool(r["overdue"]), sla_days=float(r["sla_days"]), score=r["score"],
                           owner=r["owner"]) for r in rows]
    return out


def _listening(data: Mapping[str, Any]) -> ListeningFigures:
    f = data["figures"]
    s = f["sentiment"]
    return ListeningFigures(
        start=data["from"], end=data["to"], brand=data.get("brand"), volume=int(f["volume"]),
        reach=float(f["reach"]), positive=int(s["positive"]), neutral=int(s["neutral"]),
        negative=int(s["negative"]), unscored=int(s["unscored"]), net=s["net"], ci_low=s["ci_low"],
        ci_high=s["ci_high"], influencer_mentions=int(f["influencer"]["mentions"]),
        influencer_share=f["influencer"]["share"],
        top_authors=[Author(author=str(a["author"]), channel=a["channel"], mentions=int(a["mentions"]),
                            reach=float(a["reach"]), influencer=bool(a["influencer"]))
                     for a in f["top_authors"][:BODY_AUTHORS]],
        share_of_voice=[BrandShare(brand=b["brand"], ours=bool(b["ours"]), mentions=int(b["mentions"]),
                                   share=b["share"]) for b in f["share_of_voice"]],
        spikes=[MentionSpike(grain=k["grain"], date=k["date"], count=int(k["count"]),
                             baseline=float(k["baseline"]), p_value=float(k["p_value"])) for k in f["spikes"]])


def collect(ws: "Workspace", period: "Period", *, metrics: Mapping[str, Metric],
            not_tracked: Mapping[str, str | None], filters: Mapping[str, str | None]) -> Voice:
    """The section's figures for one month or quarter; ``metrics`` are the report's KPIs of the period."""
    data = ws.listening.of_period(period.label)
    return Voice(loops=_loops(ws, period, metrics, not_tracked, filters),
                 listening=None if data is None else _listening(data),
                 listening_note=LISTENING_NOTE if filters and data is not None else None)
