"""Built-in custom KPI computations (registered by name, declared in the catalogue).

Each function returns one row per ``period_start`` (and dimension values)
with ``value``, ``numerator``, ``denominator`` and ``n``; the compiler joins
it onto the request's spine. Everything is an Ibis expression.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..catalogue.model import ADVOCACY_ACTION_TYPES, SURVEY_TYPES, PopulationMeasure
from ..errors import CatalogueError
from .custom import register
from .periods import add_months
from .populations import population_table
from .text_groups import with_theme

if TYPE_CHECKING:
    from .compiler import Context


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _periods(ctx: "Context", *, lookback_months: int = 12) -> ir.Table:
    """The request's periods with the previous period's start and a look-back window start."""
    ps = ctx.period_list
    return ibis.memtable(pa.table({
        "period_start": pa.array([_ts(p.start) for p in ps], pa.timestamp("us")),
        "period_end": pa.array([_ts(p.end) for p in ps], pa.timestamp("us")),
        "prev_start": pa.array([_ts(p.shift(-1).start) for p in ps], pa.timestamp("us")),
        "start_back": pa.array([_ts(add_months(p.start, -lookback_months)) for p in ps], pa.timestamp("us")),
        "end_back": pa.array([_ts(add_months(p.end, -lookback_months)) for p in ps], pa.timestamp("us")),
    }))


def _events(ctx: "Context", types: tuple[str, ...] | list[str]) -> ir.Table:
    """Events of ``types`` that belong to a customer of the request, with its dimension columns."""
    e = ctx.events.filter(ctx.events.type.isin(list(types)))
    return e.join(ctx.customers.select("customer_id", *ctx.by), "customer_id")


def _keys(ctx: "Context") -> list[str]:
    return ["period_start", *ctx.by]


def _ratio(t: ir.Table, num: ir.NumericValue, den: ir.NumericValue, ctx: "Context", *,
           scale: float = 100.0, n: ir.NumericValue | None = None) -> ir.Table:
    return t.select(*_keys(ctx), value=ibis.ifelse(den == 0, ibis.null("float64"), num.cast("float64") * scale / den),
                    numerator=num.cast("float64"), denominator=den.cast("float64"),
                    n=(den if n is None else n).cast("int64"))


def _with_customer(ctx: "Context", keyed: ir.Table) -> ir.Table:
    """Customer-period rows (``customer_id``, ``period_start``, ``period_end``, ...) of the request's customers,
    with their dimension columns and whether each was active at the period's start and at its end.

    Only customers with a qualifying event reach this join, so the cost follows the events, not
    customers × periods.
    """
    c = ctx.customers.select("customer_id", "signup_at", "churned_at", *ctx.by)
    j = keyed.join(c, "customer_id")
    return j.mutate(
        at_start=(j.signup_at < j.period_start) & (j.churned_at.isnull() | (j.churned_at >= j.period_start)),
        at_end=(j.signup_at < j.period_end) & (j.churned_at.isnull() | (j.churned_at >= j.period_end)))


def _on_population(ctx: "Context", parts: ir.Table, num: str, den: str | None = None, *,
                   population: str | None = None) -> ir.Table:
    """``parts`` (per period and dimensions) over the period's customer population.

    The denominator is ``parts[den]`` or, with ``population``, that population's count (running signup and
    churn counts, see :mod:`.populations`). A period or group with no active customer gets no numerator or
    denominator (as if it were absent); one with active customers but no qualifying event gets 0.
    """
    measures = {"active": PopulationMeasure(population="active")}
    if population is not None:
        measures["base"] = PopulationMeasure(population=population)  # type: ignore[arg-type]
    pop = population_table(ctx.customers, ctx.period_list, ctx.grain, ctx.by, measures)
    preds = [pop.period_start == parts.period_start, *[pop[d].identical_to(parts[d]) for d in ctx.by]]
    cols = [parts[num]] + ([parts[den]] if den is not None else [])
    t = pop.left_join(parts, preds).select(pop, *cols)
    some = t.active > 0
    numerator = ibis.ifelse(some, t[num].fill_null(0), ibis.null("int64"))
    base = t.base if population is not None else t[den].fill_null(0)
    denominator = ibis.ifelse(some, base, ibis.null("int64"))
    return _ratio(t, numerator, denominator, ctx)


@register("expansion_revenue_growth_rate", additive_scale=100.0)
def expansion_revenue_growth_rate(params: dict[str, Any], ctx: "Context") -> ir.Table:
    e = _events(ctx, ["expansion"])
    e = e.mutate(period_start=e.occurred_at.truncate(ctx.trunc))
    totals = e.group_by(_keys(ctx)).aggregate(total=e.amount.sum(), events=e.count())
    periods = _periods(ctx)
    spine = periods.select("period_start", "prev_start")
    if ctx.by:
        spine = spine.cross_join(ctx.customers.select(*ctx.by).distinct())
    now = totals.rename(now_total="total", now_events="events")
    before = totals.rename(prev_total="total", prev_start="period_start").drop("events")
    j = spine.left_join(now, [spine.period_start == now.period_start,
                              *[spine[d].identical_to(now[d]) for d in ctx.by]]).select(spine, "now_total", "now_events")
    j = j.left_join(before, [j.prev_start == before.prev_start,
                             *[j[d].identical_to(before[d]) for d in ctx.by]]).select(j, "prev_total")
    cur, prev = j.now_total.fill_null(0), j.prev_total.fill_null(0)
    return _ratio(j, cur - prev, prev, ctx, n=j.now_events.fill_null(0))


@register("community_growth_rate", additive_scale=100.0)
def community_growth_rate(params: dict[str, Any], ctx: "Context") -> ir.Table:
    e = _events(ctx, ["community_joined"])
    first = e.group_by(["customer_id", *ctx.by]).aggregate(joined_at=e.occurred_at.min())
    periods = _periods(ctx)
    j = first.join(periods, first.joined_at < periods.period_end)
    agg = j.group_by(_keys(ctx)).aggregate(members=j.count(where=j.joined_at < j.period_start),
                                           joined=j.count(where=j.joined_at >= j.period_start))
    return _ratio(agg, agg.joined, agg.members, ctx)


@register("net_sentiment", additive_scale=100.0, by_theme=True)
def net_sentiment(params: dict[str, Any], ctx: "Context") -> ir.Table:
    types = ["nps_response", "csat_response", "review", "testimonial", "mention", "community_post"]
    e = ctx.events.filter(ctx.events.type.isin(types), ctx.events.text.notnull())
    if ctx.joined:  # segmented or filtered: texts follow their customer; anonymous mentions drop out
        e = e.join(ctx.customers.select("customer_id", *ctx.customer_by), "customer_id")
    lo, hi = _ts(ctx.period_list[0].start), _ts(ctx.period_list[-1].end)
    e = e.filter(e.occurred_at >= lo, e.occurred_at < hi)
    e = e.mutate(period_start=e.occurred_at.truncate(ctx.trunc))
    assert ctx.sentiment is not None
    s = ctx.sentiment.select("event_id", "label")
    scored = e.join(s, "event_id").select(e, s.label)  # texts not scored yet (or not English) count nowhere
    scored = scored.filter(scored.label.isin(["negative", "neutral", "positive"]))
    if ctx.by_theme is not None:  # a text counts once in each of its themes
        scored = with_theme(scored, ctx.by_theme)
    agg = scored.group_by(_keys(ctx)).aggregate(pos=scored.count(where=scored.label == "positive"),
                                                neg=scored.count(where=scored.label == "negative"),
                                                texts=scored.count())
    return _ratio(agg, agg.pos - agg.neg, agg.texts, ctx)


def _latest_before(events: ir.Table, periods: ir.Table, *, before: str, since: str) -> ir.Table:
    """Per customer and period, the customer's last event strictly before ``periods[before]``, when it is at
    or after ``periods[since]``: at most one row per customer and period, with the period's columns.

    Each event carries the time of the same customer's next event (``next_at``; ties ordered by event_id),
    so an event is the last one before a boundary exactly when the boundary lies in (occurred_at, next_at].
    That joins each event only to the periods it is the latest for: no events × periods blow-up, no grouping.
    """
    e = events.filter(events.customer_id.notnull())
    w = ibis.window(group_by=e.customer_id, order_by=[e.occurred_at, e.event_id])
    e = e.mutate(next_at=e.occurred_at.lead().over(w))
    at, back = periods[before], periods[since]
    return e.join(periods, [e.occurred_at < at, e.occurred_at >= back, e.next_at.isnull() | (e.next_at >= at)])


def _promoters(ctx: "Context", periods: ir.Table) -> ir.Table:
    """Customer-periods whose latest nps_response in the 12 months before the period end scored 9–10."""
    nps = ctx.events.filter(ctx.events.type == "nps_response").select("customer_id", "occurred_at", "event_id",
                                                                      "score")
    last = _latest_before(nps, periods, before="period_end", since="end_back")
    return last.filter(last.score >= 9).select("customer_id", "period_start", "period_end")


@register("customer_loyalty", additive_scale=100.0)
def customer_loyalty(params: dict[str, Any], ctx: "Context") -> ir.Table:
    j = _with_customer(ctx, _promoters(ctx, _periods(ctx)))
    parts = j.group_by(_keys(ctx)).aggregate(loyal=j.count(where=j.at_start & j.at_end))
    return _on_population(ctx, parts, "loyal", population="active_start")


@register("referral_readiness_score", additive_scale=100.0)
def referral_readiness_score(params: dict[str, Any], ctx: "Context") -> ir.Table:
    periods = _periods(ctx)
    promoters = _promoters(ctx, periods)
    ev = ctx.events
    actions = ev.filter(ev.type.isin(list(ADVOCACY_ACTION_TYPES))).select("customer_id", "occurred_at", "event_id")
    qbrs = ev.filter(ev.type == "qbr")  # JSON is parsed for QBRs only
    intents = qbrs.filter(qbrs.properties.cast("json")["referral_intent"].bool.fill_null(False)) \
        .select("customer_id", "occurred_at", "event_id")
    signals = actions.union(intents)
    engaged = _latest_before(signals, periods, before="period_end", since="end_back")
    ready = promoters.semi_join(engaged, [promoters.customer_id == engaged.customer_id,
                                          promoters.period_start == engaged.period_start])
    j = _with_customer(ctx, ready)
    parts = j.group_by(_keys(ctx)).aggregate(ready=j.count(where=j.at_end))
    return _on_population(ctx, parts, "ready", population="active_end")


@register("feedback_retention_score", additive_scale=100.0)
def feedback_retention_score(params: dict[str, Any], ctx: "Context") -> ir.Table:
    periods = _periods(ctx)
    surveys = ctx.events.filter(ctx.events.type.isin(list(SURVEY_TYPES))).select("customer_id", "occurred_at",
                                                                                  "event_id")
    gave = _latest_before(surveys, periods, before="period_start", since="start_back") \
        .select("customer_id", "period_start", "period_end")
    j = _with_customer(ctx, gave)
    parts = j.group_by(_keys(ctx)).aggregate(kept=j.count(where=j.at_start & j.at_end),
                                             base=j.count(where=j.at_start))
    return _on_population(ctx, parts, "kept", "base")


def _int_param(params: dict[str, Any], name: str, default: int, *, minimum: int = 1) -> int:
    value = params.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise CatalogueError(f"custom parameter {name} must be an integer ≥ {minimum}, not {value!r}")
    return value


@register("advocate_reengagement_rate", additive_scale=100.0)
def advocate_reengagement_rate(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """Lapsed advocates (action in the look-back, none in the lapse window) who act again in the period."""
    lookback = _int_param(params, "lookback_months", 12)
    lapse = _int_param(params, "lapse_months", 3)
    if lapse >= lookback:
        raise CatalogueError(f"lapse_months ({lapse}) must be below lookback_months ({lookback})")
    ps = ctx.period_list
    periods = ibis.memtable(pa.table({
        "period_start": pa.array([_ts(p.start) for p in ps], pa.timestamp("us")),
        "period_end": pa.array([_ts(p.end) for p in ps], pa.timestamp("us")),
        "advocate_from": pa.array([_ts(add_months(p.start, -lookback)) for p in ps], pa.timestamp("us")),
        "lapse_from": pa.array([_ts(add_months(p.start, -lapse)) for p in ps], pa.timestamp("us")),
    }))
    acts = ctx.events.filter(ctx.events.type.isin(list(ADVOCACY_ACTION_TYPES))) \
        .select("customer_id", "occurred_at", "event_id")
    # The last action before the period start lies in [start − lookback, start − lapse): an advocate who
    # lapsed (no action since); the next action (the first at or after the start) says whether they came back.
    last = _latest_before(acts, periods, before="period_start", since="advocate_from")
    lapsed = last.filter(last.occurred_at < last.lapse_from)
    flags = lapsed.select("customer_id", "period_start", "period_end",
                          came_back=lapsed.next_at.notnull() & (lapsed.next_at < lapsed.period_end))
    j = _with_customer(ctx, flags)
    parts = j.group_by(_keys(ctx)).aggregate(back=j.count(where=j.at_start & j.came_back),
                                             lapsed=j.count(where=j.at_start))
    return _on_population(ctx, parts, "back", "lapsed")


@register("activation_to_expansion_rate", additive_scale=100.0)
def activation_to_expansion_rate(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """Customers whose window of ``window_days`` after their first activation closes in the period, and
    the share of them with an expansion inside that window."""
    days = _int_param(params, "window_days", 180)
    shift = dt.timedelta(days=days)
    ps = ctx.period_list
    periods = ibis.memtable(pa.table({
        "period_start": pa.array([_ts(p.start) for p in ps], pa.timestamp("us")),
        "cohort_from": pa.array([_ts(p.start) - shift for p in ps], pa.timestamp("us")),
        "cohort_to": pa.array([_ts(p.end) - shift for p in ps], pa.timestamp("us")),
    }))
    act = _events(ctx, ["activation"])
    first = act.group_by(["customer_id", *ctx.by]).aggregate(activated_at=act.occurred_at.min())
    exp = ctx.events.filter(ctx.events.type == "expansion").select("customer_id", expanded_at="occurred_at")
    hit = first.join(exp, [first.customer_id == exp.customer_id, exp.expanded_at >= first.activated_at,
                           exp.expanded_at < first.activated_at + ibis.interval(days=days)])
    expanded = hit.select(first.customer_id).distinct().mutate(expanded=ibis.literal(True))
    cohort = first.left_join(expanded, first.customer_id == expanded.customer_id) \
        .select(first, expanded.expanded)
    cj = cohort.join(periods, [cohort.activated_at >= periods.cohort_from, cohort.activated_at < periods.cohort_to])
    agg = cj.group_by(_keys(ctx)).aggregate(expanded=cj.count(where=cj.expanded.fill_null(False)),
                                            cohort=cj.count())
    return _ratio(agg, agg.expanded, agg.cohort, ctx)


@register("request_fulfilment_days", additive_scale=1.0)
def request_fulfilment_days(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """Mean days from a request_sent to the event that fulfilled it, over the fulfilments of the period.

    ``kinds`` maps a request's properties.kind to the event type that fulfils it. A request is fulfilled by
    the customer's first event of that type at or after the request, within ``max_days`` and before the
    customer's next request of the same kind; so each fulfilment answers at most one request.
    """
    kinds: dict[str, str] = dict(params.get("kinds") or {"review": "review", "testimonial": "testimonial"})
    max_days = _int_param(params, "max_days", 90)
    req = _events(ctx, ["request_sent"])
    req = req.select("event_id", "customer_id", *ctx.by, requested_at=req.occurred_at,
                     kind=req.properties.cast("json")["kind"].str)
    req = req.filter(req.kind.isin(list(kinds)))
    req = req.mutate(wanted=req.kind.cases(*kinds.items()),
                     next_at=req.requested_at.lead().over(ibis.window(group_by=["customer_id", "kind"],
                                                                      order_by="requested_at")))
    ful = ctx.events.filter(ctx.events.type.isin(sorted(set(kinds.values())))) \
        .select(f_customer="customer_id", f_type="type", fulfilled_at="occurred_at")
    j = req.join(ful, [req.customer_id == ful.f_customer, req.wanted == ful.f_type,
                       ful.fulfilled_at >= req.requested_at,
                       ful.fulfilled_at < req.requested_at + ibis.interval(days=max_days),
                       req.next_at.isnull() | (ful.fulfilled_at < req.next_at)])
    done = j.group_by(["event_id", "requested_at", *ctx.by]).aggregate(fulfilled_at=j.fulfilled_at.min())
    days = (done.fulfilled_at.epoch_seconds().cast("float64")
            - done.requested_at.epoch_seconds().cast("float64")) / 86400.0
    done = done.mutate(days=days, period_start=done.fulfilled_at.truncate(ctx.trunc))
    agg = done.group_by(_keys(ctx)).aggregate(total=done.days.sum(), sumsq=(done.days * done.days).sum(),
                                              fulfilled=done.count())
    return agg.select(*_keys(ctx), value=agg.total / agg.fulfilled, numerator=agg.total,
                      denominator=agg.fulfilled.cast("float64"), n=agg.fulfilled.cast("int64"), sumsq=agg.sumsq)


@register("contract_renewal_rate_cohort")
def contract_renewal_rate_cohort(params: dict[str, Any], ctx: "Context") -> ir.Table:
    """Of the renewal_due events in the period, the share whose customer has a ``renewal`` event from
    ``early_days`` before the due date up to ``window_days`` after it ([due − early, due + window]).

    Each due contract counts once, renewed or not, so the value never exceeds 100. Not additive over months
    (a renewal in a later month settles an earlier due date), so never answered from rollups.
    """
    window = _int_param(params, "window_days", 60)
    early = _int_param(params, "early_days", 30, minimum=0)
    due = _events(ctx, ["renewal_due"])
    ren = ctx.events.filter(ctx.events.type == "renewal").select(r_customer="customer_id", r_at="occurred_at")
    hit = due.semi_join(ren, [due.customer_id == ren.r_customer,
                              ren.r_at >= due.occurred_at - ibis.interval(days=early),
                              ren.r_at <= due.occurred_at + ibis.interval(days=window)])
    renewed = hit.select("event_id").mutate(renewed=ibis.literal(1))
    j = due.left_join(renewed, due.event_id == renewed.event_id).select(due, renewed.renewed)
    j = j.mutate(period_start=j.occurred_at.truncate(ctx.trunc))
    agg = j.group_by(_keys(ctx)).aggregate(renewed=j.renewed.fill_null(0).sum(), due=j.count())
    return _ratio(agg, agg.renewed, agg.due, ctx)
