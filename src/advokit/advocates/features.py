"""The as-of feature frame: one row per customer from the data strictly before ``as_of``.

:func:`feature_frame` builds one Ibis expression over ``customers``, ``events`` and ``text_sentiment`` (no
Python loop over events) and returns a pyarrow table keyed by ``customer_id`` with :data:`FEATURES`. The
advocate score reads it; the predictive models of issue 18 are meant to read the same frame at each cutoff.

Rules (docs/advocates.md):

* only events with ``occurred_at < as_of`` count; a customer is in the frame when ``signup_at < as_of`` and it
  has not churned before ``as_of`` (``churned_at`` null or ``≥ as_of``);
* windows end at ``as_of``: "last 365 days" is ``as_of − 365 days ≤ occurred_at < as_of``;
* advocacy actions are the data contract's (``ADVOCACY_ACTION_TYPES`` of the catalogue); engagement events are
  :data:`ENGAGEMENT_TYPES`; open loops are the closed-loop definition of :mod:`advokit.engine.loops`;
* fat-tailed counts also come log-scaled (``*_log`` = ln(1 + count)).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..catalogue import ADVOCACY_ACTION_TYPES
from ..engine.loops import LoopRule, days_between, loop_table, states

#: the event types counted as engagement (community, QBRs, activation)
ENGAGEMENT_TYPES: tuple[str, ...] = ("community_joined", "qbr", "activation")
#: revenue events whose amounts make the expansion feature
REVENUE_EVENT_TYPES: tuple[str, ...] = ("renewal", "expansion", "contraction")
ADVOCACY_WINDOW_DAYS = 365
ENGAGEMENT_WINDOW_DAYS = 90
REVENUE_WINDOW_DAYS = 365
CONTRACTION_WINDOW_DAYS = 90
SENTIMENT_LABELS = ("positive", "neutral", "negative")

#: the frame's columns after ``customer_id``, and what each holds
FEATURES: dict[str, str] = {
    "signup_at": "when the account became a customer",
    "tenure_days": "whole days from signup_at to as_of",
    "nps_latest": "score of the latest NPS answer (0–10)",
    "nps_latest_at": "when it was given",
    "nps_previous": "score of the NPS answer before it",
    "nps_trend": "nps_latest − nps_previous",
    "csat_latest": "score of the latest CSAT answer (1–5)",
    "csat_latest_at": "when it was given",
    "csat_previous": "score of the CSAT answer before it",
    "sentiment_n": "the customer's own texts with a stored positive / neutral / negative label",
    "sentiment_net": "(positive − negative) / sentiment_n, in [−1, 1]",
    "advocacy_last_at": "the latest advocacy action",
    "days_since_advocacy": "whole days from it to as_of",
    "advocacy_365": "advocacy actions in the last 365 days",
    "advocacy_365_log": "ln(1 + advocacy_365)",
    "engagement_90": "community_joined, qbr and activation events in the last 90 days",
    "engagement_90_log": "ln(1 + engagement_90)",
    "revenue": "the customer's arr, else the amount of its latest renewal",
    "revenue_events_365": "renewal, expansion and contraction events in the last 365 days",
    "expansion_365": "expansion minus contraction amounts in the last 365 days",
    "contraction_90": "contraction events in the last 90 days",
    "open_loops": "answers that needed a follow-up and had none by as_of (engine/loops.py)",
    "open_loops_log": "ln(1 + open_loops)",
}


def cutoff(as_of: dt.date | dt.datetime) -> dt.datetime:
    """The instant data must precede: a date is its midnight (UTC, no zone, as the store keeps times)."""
    if isinstance(as_of, dt.datetime):
        return as_of.astimezone(dt.timezone.utc).replace(tzinfo=None) if as_of.tzinfo else as_of
    return dt.datetime(as_of.year, as_of.month, as_of.day)


def feature_expr(backend: ibis.BaseBackend, *, as_of: dt.date | dt.datetime,
                 rules: tuple[LoopRule, ...]) -> ir.Table:
    """The frame as one Ibis expression (see the module's rules)."""
    at_time = cutoff(as_of)
    at = ibis.literal(at_time, "timestamp")
    events = backend.table("events")
    before = events.filter(events.occurred_at < at)
    own = before.filter(before.customer_id.notnull())
    customers = backend.table("customers")
    alive = customers.filter(customers.signup_at < at, customers.churned_at.isnull() | (customers.churned_at >= at))
    frame = alive.select("customer_id", "signup_at", arr=alive.arr,
                         tenure_days=days_between(at, alive.signup_at).floor().cast("int64"))
    for part in (_last_two(own, "nps_response", "nps"), _last_two(own, "csat_response", "csat"),
                 _sentiment(own, backend.table("text_sentiment")), _counts(own, at_time),
                 _open_loops(before, backend.table("text_sentiment"), rules, at_time)):
        frame = _attach(frame, part)
    return _derived(frame, at)


def feature_frame(backend: ibis.BaseBackend, *, as_of: dt.date | dt.datetime,
                  rules: tuple[LoopRule, ...]) -> pa.Table:
    """One row per customer (ordered by ``customer_id``): ``customer_id`` and :data:`FEATURES`."""
    return feature_expr(backend, as_of=as_of, rules=rules).order_by("customer_id").to_pyarrow()


def _attach(left: ir.Table, right: ir.Table) -> ir.Table:
    """``left`` with ``right``'s columns, joined on ``right.k == left.customer_id`` (left join)."""
    joined = left.left_join(right, left.customer_id == right.k)
    return joined.select(left, *[right[c] for c in right.columns if c != "k"])


def _last_two(own: ir.Table, type_: str, prefix: str) -> ir.Table:
    t = own.filter(own.type == type_, own.score.notnull())
    order = ibis.window(group_by=t.customer_id, order_by=[t.occurred_at.desc(), t.event_id.desc()])
    t = t.mutate(rank=ibis.row_number().over(order))
    t = t.filter(t.rank < 2)
    return t.group_by(k=t.customer_id).aggregate(**{
        f"{prefix}_latest": t.score.max(where=t.rank == 0),
        f"{prefix}_latest_at": t.occurred_at.max(where=t.rank == 0),
        f"{prefix}_previous": t.score.max(where=t.rank == 1),
    })


def _sentiment(own: ir.Table, sentiment: ir.Table) -> ir.Table:
    texts = own.filter(own.text.notnull())
    s = sentiment.filter(sentiment.label.isin(SENTIMENT_LABELS)).select(s_event="event_id", label="label")
    j = texts.join(s, texts.event_id == s.s_event)
    return j.group_by(k=j.customer_id).aggregate(
        sentiment_n=j.event_id.count(),
        s_pos=j.event_id.count(where=j.label == "positive"),
        s_neg=j.event_id.count(where=j.label == "negative"),
    )


def _counts(own: ir.Table, at: dt.datetime) -> ir.Table:
    def since(days: int) -> ir.BooleanValue:
        return own.occurred_at >= ibis.literal(at - dt.timedelta(days=days), "timestamp")

    advocacy = own.type.isin(ADVOCACY_ACTION_TYPES)
    amount = own.amount.fill_null(0.0)
    revenue_recent = since(REVENUE_WINDOW_DAYS)
    return own.group_by(k=own.customer_id).aggregate(
        advocacy_last_at=own.occurred_at.max(where=advocacy),
        advocacy_365=own.event_id.count(where=advocacy & since(ADVOCACY_WINDOW_DAYS)),
        engagement_90=own.event_id.count(where=own.type.isin(ENGAGEMENT_TYPES) & since(ENGAGEMENT_WINDOW_DAYS)),
        renewal_amount=own.amount.argmax(own.occurred_at, where=(own.type == "renewal") & own.amount.notnull()),
        revenue_events_365=own.event_id.count(where=own.type.isin(REVENUE_EVENT_TYPES) & revenue_recent),
        expansion_365=(ibis.ifelse(own.type == "expansion", amount, 0.0)
                       - ibis.ifelse(own.type == "contraction", amount, 0.0)).sum(where=revenue_recent),
        contraction_90=own.event_id.count(where=(own.type == "contraction") & since(CONTRACTION_WINDOW_DAYS)),
    )


def _open_loops(before: ir.Table, sentiment: ir.Table, rules: tuple[LoopRule, ...], at: dt.datetime) -> ir.Table:
    t = states(loop_table(before, sentiment, rules), at)
    t = t.filter(t.state == "open")
    return t.group_by(k=t.customer_id).aggregate(open_loops=t.event_id.count())


def _derived(f: ir.Table, at: ir.TimestampValue) -> ir.Table:
    advocacy = f.advocacy_365.fill_null(0)
    engagement = f.engagement_90.fill_null(0)
    loops = f.open_loops.fill_null(0)
    net = ibis.ifelse(f.sentiment_n > 0, (f.s_pos - f.s_neg).cast("float64") / f.sentiment_n, ibis.null("float64"))
    since = days_between(at, f.advocacy_last_at).floor().cast("int64")
    return f.select(
        "customer_id", "signup_at", "tenure_days", "nps_latest", "nps_latest_at", "nps_previous",
        nps_trend=f.nps_latest - f.nps_previous,
        csat_latest=f.csat_latest, csat_latest_at=f.csat_latest_at, csat_previous=f.csat_previous,
        sentiment_n=f.sentiment_n.fill_null(0), sentiment_net=net,
        advocacy_last_at=f.advocacy_last_at, days_since_advocacy=since,
        advocacy_365=advocacy, advocacy_365_log=(advocacy + 1).cast("float64").ln(),
        engagement_90=engagement, engagement_90_log=(engagement + 1).cast("float64").ln(),
        revenue=f.arr.cast("float64").coalesce(f.renewal_amount.cast("float64")),
        revenue_events_365=f.revenue_events_365.fill_null(0),
        expansion_365=f.expansion_365.fill_null(0.0),
        contraction_90=f.contraction_90.fill_null(0),
        open_loops=loops, open_loops_log=(loops + 1).cast("float64").ln(),
    )
