"""Closed-loop tracking: which answers need a follow-up, when each loop closed, and whether in time.

The one definition of a loop, as an Ibis expression, read by the closed-loop KPIs
(:mod:`.custom_kpis`) and by the loop queue (``ws.loops``, :mod:`advokit.loops`):

* an **answer that needs a follow-up** is an event of a rule's type, by a customer
  (``customer_id`` not null), whose score is at most the rule's ``score_max``
  (NPS 0–6, CSAT 1–2, review stars 1–2) or whose stored sentiment label
  (``text_sentiment``, joined on ``event_id``) is the rule's ``sentiment`` (a
  negative ``mention``);
* it is **closed** by a ``follow_up`` event whose ``ref`` is the answer's
  ``event_id``, at or after the answer; the earliest such follow-up is the close
  time (``closed_at``);
* it is **due** ``sla_days`` after the answer (``due_at``); closed by then is
  *closed in SLA*, later *closed late*; still open after ``due_at`` is *overdue*.

Each answer's ``measure`` is what "better" compares for the recovery rate: the
score, or for a sentiment rule the stored sentiment score in [−1, 1].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from ..errors import CatalogueError

#: The SLA of a rule that names none.
DEFAULT_SLA_DAYS = 2.0
SENTIMENT_LABELS = ("negative", "neutral", "positive")
#: Columns of :func:`loop_table`.
LOOP_COLUMNS = ("event_id", "customer_id", "type", "occurred_at", "score", "text", "measure", "sla_days",
                "due_at", "closed_at")


@dataclass(frozen=True)
class LoopRule:
    """When an answer of ``type`` needs a follow-up, and within how many days (``sla_days``)."""

    type: str
    score_max: float | None = None
    sentiment: str | None = None
    sla_days: float = DEFAULT_SLA_DAYS


#: NPS 0–6, CSAT 1–2, review stars 1–2, a negative mention by a customer; 2 days each.
DEFAULT_RULES: tuple[LoopRule, ...] = (
    LoopRule("nps_response", score_max=6),
    LoopRule("csat_response", score_max=2),
    LoopRule("review", score_max=2),
    LoopRule("mention", sentiment="negative"),
)


def _number(value: Any, what: str, *, minimum: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum:
        raise CatalogueError(f"{what} must be a number ≥ {minimum:g}, not {value!r}")
    return float(value)


def rules_from(params: Mapping[str, Any]) -> tuple[LoopRule, ...]:
    """The rules a KPI's custom ``params`` declare (``rules:``, type → ``score_max`` or ``sentiment``, and
    ``sla_days``), or :data:`DEFAULT_RULES`. ``sla_days`` at the top level is the default SLA of every rule."""
    unknown = set(params) - {"rules", "sla_days"}
    if unknown:
        raise CatalogueError(f"unknown closed-loop parameters {sorted(unknown)}", hint="expected rules, sla_days")
    sla = _number(params.get("sla_days", DEFAULT_SLA_DAYS), "custom parameter sla_days", minimum=0)
    raw = params.get("rules")
    if raw is None:
        return tuple(LoopRule(r.type, r.score_max, r.sentiment, sla) for r in DEFAULT_RULES)
    if not isinstance(raw, Mapping) or not raw:
        raise CatalogueError("custom parameter rules must map event types to {score_max | sentiment, sla_days}")
    out = []
    for type_, spec in raw.items():
        spec = spec if isinstance(spec, Mapping) else {}
        what = f"closed-loop rule {type_}"
        extra = set(spec) - {"score_max", "sentiment", "sla_days"}
        if extra or (("score_max" in spec) == ("sentiment" in spec)):
            raise CatalogueError(f"{what}: give exactly one of score_max or sentiment (and optionally sla_days)")
        label = spec.get("sentiment")
        if label is not None and label not in SENTIMENT_LABELS:
            raise CatalogueError(f"{what}: sentiment must be one of {', '.join(SENTIMENT_LABELS)}, not {label!r}")
        score_max = None if "score_max" not in spec else _number(spec["score_max"], f"{what}: score_max",
                                                                   minimum=-1e9)
        rule_sla = _number(spec.get("sla_days", sla), f"{what}: sla_days", minimum=0)
        out.append(LoopRule(str(type_), score_max, label, rule_sla))
    return tuple(out)


def measured(events: ir.Table, sentiment: ir.Table, rules: tuple[LoopRule, ...]) -> ir.Table:
    """Events of the rules' types by a customer, with ``measure`` (score, or sentiment score for a sentiment
    rule), the sentiment ``label`` and the rule's ``sla_days`` (every answer, whether it needs a follow-up
    or not: the recovery rate compares the next answer with the one followed up)."""
    e = events.filter(events.type.isin([r.type for r in rules]), events.customer_id.notnull())
    s = sentiment.select(s_event="event_id", label="label", s_score="score")
    j = e.left_join(s, e.event_id == s.s_event).select(e, s.label, s.s_score)
    by_sentiment = [r.type for r in rules if r.sentiment is not None]
    measure = ibis.ifelse(j.type.isin(by_sentiment), j.s_score, j.score) if by_sentiment else j.score
    sla = ibis.cases(*[(j.type == r.type, ibis.literal(r.sla_days, "float64")) for r in rules])
    return j.mutate(measure=measure.cast("float64"), sla_days=sla)


def _needs_follow_up(t: ir.Table, rules: tuple[LoopRule, ...]) -> ir.BooleanValue:
    cond: ir.BooleanValue = ibis.literal(False)
    for r in rules:
        if r.score_max is not None:
            cond = cond | ((t.type == r.type) & (t.score <= r.score_max))
        else:
            cond = cond | ((t.type == r.type) & (t.label == r.sentiment))
    return cond


def loop_table(events: ir.Table, sentiment: ir.Table, rules: tuple[LoopRule, ...] = DEFAULT_RULES) -> ir.Table:
    """One row per answer that needs a follow-up: :data:`LOOP_COLUMNS` (``closed_at`` null while open)."""
    m = measured(events, sentiment, rules)
    a = m.filter(_needs_follow_up(m, rules))
    fu = events.filter(events.type == "follow_up", events.ref.notnull()).select(f_ref="ref", f_at="occurred_at")
    hit = a.join(fu, [a.event_id == fu.f_ref, fu.f_at >= a.occurred_at])
    closes = hit.group_by(c_event=hit.event_id).aggregate(closed_at=hit.f_at.min())
    j = a.left_join(closes, a.event_id == closes.c_event).select(a, closes.closed_at)
    due = j.occurred_at + (j.sla_days * 86400).round().cast("int64").as_interval("s")
    return j.select(*LOOP_COLUMNS[:-2], due_at=due, closed_at=j.closed_at)


def days_between(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """Fractional days from ``earlier`` to ``later``."""
    return (later.epoch_seconds().cast("float64") - earlier.epoch_seconds().cast("float64")) / 86400.0


def states(loops: ir.Table, as_of: dt.datetime) -> ir.Table:
    """The loops as they stood at ``as_of``: answers after it left out, follow-ups after it not yet counted.

    Adds ``state`` (open, closed_in_sla, closed_late), ``age_days`` (days the loop has been open: to its
    close, or to ``as_of`` while open) and ``overdue`` (open past its due time).
    """
    at = ibis.literal(as_of, "timestamp")
    t = loops.filter(loops.occurred_at <= at)
    closed = ibis.ifelse(t.closed_at <= at, t.closed_at, ibis.null("timestamp"))
    t = t.mutate(closed_at=closed)
    state = ibis.cases((t.closed_at.isnull(), "open"), (t.closed_at <= t.due_at, "closed_in_sla"),
                       else_="closed_late")
    age = days_between(t.closed_at.fill_null(at), t.occurred_at)
    return t.mutate(state=state, age_days=age, overdue=t.closed_at.isnull() & (at > t.due_at))
