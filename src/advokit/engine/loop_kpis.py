"""The closed-loop KPIs, computed from the one loop definition (:mod:`.loops`).

None of them adds up over months (a follow-up or a next answer in a later month changes an earlier
one), so they are never answered from rollups. Each reads its rules from the KPI's custom ``params``
(:func:`.loops.rules_from`); loops belong to their customer's segment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from .custom import register
from .custom_kpis import _keys, _periods, _ratio
from .loops import LoopRule, days_between, loop_table, measured, rules_from

if TYPE_CHECKING:
    from .compiler import Context


def _loops(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """The loops of the request's customers, with their dimension columns: built once per request for each
    set of rules (thresholds and SLAs), however many closed-loop KPIs the request holds."""
    rules = rules_from(params)

    def build() -> ir.Table:
        assert ctx.sentiment is not None
        loops = loop_table(ctx.events, ctx.sentiment, rules)
        return loops.join(ctx.customers.select("customer_id", *ctx.by), "customer_id")

    return ctx.shared(("closed_loop.loops", rules), build)


def _measured(rules: tuple[LoopRule, ...], ctx: "Context") -> ir.Table:
    """Every answer of the rules' types with its ``measure`` (:func:`.loops.measured`), once per request."""
    assert ctx.sentiment is not None
    sentiment = ctx.sentiment
    return ctx.shared(("closed_loop.measured", rules), lambda: measured(ctx.events, sentiment, rules))


def _in_period(t: ir.Table, at: str, ctx: "Context") -> ir.Table:
    return t.mutate(period_start=t[at].truncate(ctx.trunc))


@register("closed_loop_follow_up_rate")
def closed_loop_follow_up_rate(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """Of the answers that need a follow-up in the period (by their own occurred_at), the share that got one
    (at any later time). Each answer counts once, so the value never exceeds 100."""
    t = _in_period(_loops(params, ctx), "occurred_at", ctx)
    agg = t.group_by(_keys(ctx)).aggregate(closed=t.count(where=t.closed_at.notnull()), answers=t.count())
    return _ratio(agg, agg.closed, agg.answers, ctx)


@register("closed_loop_in_sla_rate")
def closed_loop_in_sla_rate(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """Of the loops that fell due in the period (answer + SLA), the share closed by their due time; a loop
    still open, or closed later, counts as missed."""
    t = _in_period(_loops(params, ctx), "due_at", ctx)
    agg = t.group_by(_keys(ctx)).aggregate(in_sla=t.count(where=t.closed_at <= t.due_at), due=t.count())
    return _ratio(agg, agg.in_sla, agg.due, ctx)


@register("closed_loop_days_to_close")
def closed_loop_days_to_close(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """The median of the days from answer to follow-up, over the loops closed in the period."""
    t = _loops(params, ctx)
    t = _in_period(t.filter(t.closed_at.notnull()), "closed_at", ctx)
    t = t.mutate(days=days_between(t.closed_at, t.occurred_at))
    agg = t.group_by(_keys(ctx)).aggregate(median=t.days.median(), closed=t.count())
    null = ibis.null("float64")
    return agg.select(*_keys(ctx), value=agg.median.cast("float64"), numerator=null, denominator=null,
                      n=agg.closed.cast("int64"))


def _open_at_end(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """Per period and dimensions: the loops open at the period's end (``open``) and their summed age in days
    (``age``); 0 where none is open. Shared by the open-loop KPIs of one request."""
    return ctx.shared(("closed_loop.open_at_end", rules_from(params)), lambda: _build_open_at_end(params, ctx))


def _build_open_at_end(params: dict[str, Any], ctx: "Context") -> ir.Table:
    t = _loops(params, ctx)
    periods = _periods(ctx).select("period_start", "period_end")
    j = t.join(periods, [t.occurred_at < periods.period_end,
                         t.closed_at.isnull() | (t.closed_at >= periods.period_end)])
    j = j.mutate(age=days_between(j.period_end, j.occurred_at))
    agg = j.group_by(_keys(ctx)).aggregate(open=j.count(), age=j.age.sum())
    spine = periods.select("period_start")
    if ctx.by:
        spine = spine.cross_join(ctx.customers.select(*ctx.by).distinct())
    s = spine.left_join(agg, [spine.period_start == agg.period_start,
                              *[spine[d].identical_to(agg[d]) for d in ctx.by]])
    return s.select(spine, open=s.open.fill_null(0), age=s.age.fill_null(0.0))


@register("closed_loop_open_loops")
def closed_loop_open_loops(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """The loops still open at the period's end (answered before it, followed up at or after it, or never)."""
    t = _open_at_end(params, ctx)
    null = ibis.null("float64")
    return t.select(*_keys(ctx), value=t.open.cast("float64"), numerator=null, denominator=null,
                    n=t.open.cast("int64"))


@register("closed_loop_open_age_days")
def closed_loop_open_age_days(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """The mean age in days, at the period's end, of the loops open then (null when none is open)."""
    t = _open_at_end(params, ctx)
    return _ratio(t, t.age, t.open, ctx, scale=1.0)


@register("closed_loop_recovery_rate")
def closed_loop_recovery_rate(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """Of the loops closed in the period whose customer answered again (same type) after the follow-up, the
    share whose next answer was better (a higher score, or sentiment score) than the one followed up."""
    rules = rules_from(params)
    t = _loops(params, ctx)
    t = t.filter(t.closed_at.notnull(), t.measure.notnull())
    m = _measured(rules, ctx)
    m = m.filter(m.measure.notnull())
    # the next answer is the earliest; of two at the same instant, the one with the lower event_id
    m = m.select(n_customer="customer_id", n_type="type", n_at="occurred_at", n_measure="measure",
                 n_key=m.occurred_at.strftime("%Y-%m-%d %H:%M:%S.%f") + "|" + m.event_id)
    hit = t.join(m, [t.customer_id == m.n_customer, t.type == m.n_type, m.n_at > t.closed_at])
    nxt = hit.group_by(x_event=hit.event_id).aggregate(next_measure=hit.n_measure.argmin(hit.n_key))
    j = t.join(nxt, t.event_id == nxt.x_event)
    j = _in_period(j, "closed_at", ctx)
    agg = j.group_by(_keys(ctx)).aggregate(better=j.count(where=j.next_measure > j.measure), answered=j.count())
    return _ratio(agg, agg.better, agg.answered, ctx)
