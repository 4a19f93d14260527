"""The five stages of the advocacy funnel: each stage's rule, defined here and nowhere else.

The funnel of one period ``[start, end)`` follows the customers who were customers at its start (the
*population*: ``signup_at < start`` and ``churned_at`` empty or ``≥ start``, the same customers the advocate
scores of ``as_of = start`` cover). Every stage keeps the customers of the stage before it that also meet
its own condition, so the stages are nested by construction and each conversion is a proportion::

    identified  the population's customers whose advocate tier at the start (scores from the data strictly
                before it) is Potential or better, or whose latest NPS answer before the start is 9 or 10
    activated   identified, and engaged in the period: a community_joined, ambassador_joined, qbr or
                activation event, or an advocacy action (doing one is engaging)
    acted       activated, and at least one advocacy action (the data contract's nine) in the period
    impact      acted, and a business outcome attributed to the customer in the period: a referral_signup
                or referral_converted event of its own, or a new customer whose referred_by names it and
                whose signup_at falls in the period
    retained    impact, still a customer at the period's end (churned_at empty or ≥ end), and re-engaged:
                an advocacy action after its first business outcome of the period

:func:`identified_ids` is the first rule (it needs the tiers, which the advocate scores compute per
customer); :func:`stage_table` is the rest, one Ibis expression over ``customers`` and ``events`` (no Python
loop over events) with one boolean column per stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from ..catalogue import ADVOCACY_ACTION_TYPES


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    rule: str


#: the stages in funnel order (the seeds' names), each with its rule in words
STAGES: tuple[Stage, ...] = (
    Stage("identified", "Advocate Identification",
          "customer at the period start with an advocate tier of Potential or better at the start, "
          "or a latest NPS answer of 9-10 before the start"),
    Stage("activated", "Activation & Engagement",
          "identified, and a community_joined, ambassador_joined, qbr, activation event or an advocacy "
          "action in the period"),
    Stage("acted", "Advocacy Actions", "activated, and at least one advocacy action in the period"),
    Stage("impact", "Business Impact Attribution",
          "acted, and a referral_signup or referral_converted of its own, or a referred customer "
          "(referred_by) signing up, in the period"),
    Stage("retained", "Retention and Re-Engagement",
          "impact, still a customer at the period end, and an advocacy action after its first business "
          "outcome of the period"),
)
STAGE_KEYS: tuple[str, ...] = tuple(s.key for s in STAGES)

#: tiers at the period start that identify an advocate
IDENTIFIED_TIERS: frozenset[str] = frozenset({"Champion", "Advocate", "Potential"})
#: the lowest NPS answer that makes a promoter
PROMOTER_MIN = 9
#: events that show engagement (besides advocacy actions)
ENGAGEMENT_TYPES: tuple[str, ...] = ("community_joined", "ambassador_joined", "qbr", "activation")
#: events that record a business outcome attributed to the referring customer
OUTCOME_TYPES: tuple[str, ...] = ("referral_signup", "referral_converted")


def identified_ids(scores: Iterable[Mapping[str, Any]]) -> list[str]:
    """The identified customers among the advocate scores at the period start (rows of
    ``Advocates.scores(as_of=start)``): tier Potential or better, or latest NPS 9-10."""
    out: list[str] = []
    for s in scores:
        nps = next((c["feature"]["value"] for c in s["components"] if c["component"] == "nps"), None)
        if s["tier"] in IDENTIFIED_TIERS or (nps is not None and nps >= PROMOTER_MIN):
            out.append(str(s["customer_id"]))
    return out


def stage_table(backend: ibis.BaseBackend, *, start: dt.datetime, end: dt.datetime,
                identified: Sequence[str], by: str | None) -> ir.Table:
    """One row per customer of the population: ``customer_id``, ``segment`` (the ``by`` attribute as text,
    null without ``by``) and one boolean column per stage of :data:`STAGES`, nested."""
    lo, hi = ibis.literal(start, "timestamp"), ibis.literal(end, "timestamp")
    customers = backend.table("customers")
    events = backend.table("events")
    population = customers.filter(customers.signup_at < lo,
                                  customers.churned_at.isnull() | (customers.churned_at >= lo))
    seg = population[by].cast("string") if by else ibis.null("string")
    population = population.select(
        "customer_id", segment=seg,
        active_at_end=population.churned_at.isnull() | (population.churned_at >= hi))

    inside = events.filter(events.occurred_at >= lo, events.occurred_at < hi, events.customer_id.notnull())
    is_action = inside.type.isin(ADVOCACY_ACTION_TYPES)
    flags = inside.group_by("customer_id").aggregate(
        engaged=(is_action | inside.type.isin(ENGAGEMENT_TYPES)).any(),
        acted_any=is_action.any(),
        outcome_at=inside.occurred_at.min(where=inside.type.isin(OUTCOME_TYPES)),
        last_action_at=inside.occurred_at.max(where=is_action))
    referred = customers.filter(customers.referred_by.notnull(), customers.signup_at >= lo, customers.signup_at < hi)
    referred = referred.group_by(referrer=referred.referred_by).aggregate(referred_at=referred.signup_at.min())
    known = ibis.memtable({"customer_id": list(identified)}, schema={"customer_id": "string"})
    known = known.select(known_id=known.customer_id).distinct()

    t = population.left_join(known, population.customer_id == known.known_id)
    t = t.left_join(flags, t.customer_id == flags.customer_id).drop("customer_id_right")
    t = t.left_join(referred, t.customer_id == referred.referrer)
    first_outcome = ibis.coalesce(ibis.least(t.outcome_at, t.referred_at), t.outcome_at, t.referred_at)

    identified_ = t.known_id.notnull()
    activated = identified_ & t.engaged.fill_null(False)
    acted = activated & t.acted_any.fill_null(False)
    impact = acted & first_outcome.notnull()
    retained = impact & t.active_at_end & (t.last_action_at > first_outcome).fill_null(False)
    return t.select("customer_id", "segment", identified=identified_, activated=activated, acted=acted,
                    impact=impact, retained=retained)


def stage_counts(table: ir.Table) -> ir.Table:
    """``segment``, ``population`` and the number of customers at each stage, one row per segment."""
    return table.group_by("segment").aggregate(
        population=table.customer_id.count(),
        **{k: table.customer_id.count(where=table[k]) for k in STAGE_KEYS})
