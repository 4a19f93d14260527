"""The journey stages and their rules, each written once here (docs/journey.md).

The seeds' journey runs Onboarding & Activation → Value Realization → Advocacy Activation → Expansion
Readiness, with Churn/Retention Risk beside it. A customer's stage as of a date comes from *signals*: named
facts of the event log before the cutoff, each owned by one stage (:data:`SIGNALS`). A stage holds when any of
its signals holds; the stages are tried in :data:`PRECEDENCE` order (risk first, then the furthest step of the
journey) and the first that holds is the stage. Onboarding & Activation has no signal: it is what is left.

:func:`signal_expr` builds one Ibis expression (no Python loop over events) with, per customer, the facts the
signals read, one boolean column per signal and the ``stage`` key; :func:`reasons` words a row's evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from ..catalogue import ADVOCACY_ACTION_TYPES
from ..engine.loops import LoopRule, days_between, loop_table, states

#: windows of the signals, in days before the cutoff
CONTRACTION_WINDOW_DAYS = 90
EXPANSION_WINDOW_DAYS = 365
QBR_WINDOW_DAYS = 365
#: NPS and CSAT cut-offs: a detractor answers 0–6, a promoter 9–10; a satisfied CSAT answer is 4–5
DETRACTOR_MAX = 6
PROMOTER_MIN = 9
SATISFIED_CSAT_MIN = 4


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    meaning: str


ONBOARDING = Stage("onboarding", "Onboarding & Activation",
                   "signed up, and no value, advocacy, expansion or risk signal yet (activated or not)")
VALUE = Stage("value_realization", "Value Realization",
              "shows the product pays off: a promoter NPS, a satisfied CSAT, a recent QBR or a renewal")
ADVOCACY = Stage("advocacy_activation", "Advocacy Activation", "has taken a first advocacy action")
EXPANSION = Stage("expansion_readiness", "Expansion Readiness", "has expanded in the last 365 days")
RISK = Stage("churn_risk", "Churn/Retention Risk",
             "churned, or a detractor NPS, a recent contraction or an open follow-up")

#: the stages in the order of the journey
JOURNEY: tuple[Stage, ...] = (ONBOARDING, VALUE, ADVOCACY, EXPANSION, RISK)
#: the order in which the stages are tried: the first whose rule holds is the customer's stage
PRECEDENCE: tuple[Stage, ...] = (RISK, EXPANSION, ADVOCACY, VALUE, ONBOARDING)
BY_KEY: dict[str, Stage] = {s.key: s for s in JOURNEY}


@dataclass(frozen=True)
class Signal:
    """One fact that puts a customer in ``stage``: its rule in words, as an Ibis predicate over the facts
    table, and the phrase that says it for one row."""

    name: str
    stage: Stage
    rule: str
    holds: Callable[[ir.Table], ir.BooleanValue]
    says: Callable[[dict[str, Any]], str]


def _day(value: Any) -> str:
    return value.date().isoformat() if isinstance(value, dt.datetime) else str(value)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


SIGNALS: tuple[Signal, ...] = (
    Signal("churned", RISK, "churned_at before the cutoff",
           lambda f: f.churned_at.notnull(), lambda r: f"churned on {_day(r['churned_at'])}"),
    Signal("detractor", RISK, f"the latest NPS answer is 0–{DETRACTOR_MAX}",
           lambda f: f.nps_latest <= DETRACTOR_MAX,
           lambda r: f"latest NPS {r['nps_latest']:g} on {_day(r['nps_latest_at'])} (a detractor)"),
    Signal("contraction", RISK, f"a contraction in the last {CONTRACTION_WINDOW_DAYS} days",
           lambda f: f.contraction_recent > 0,
           lambda r: f"contraction on {_day(r['contraction_last_at'])}"),
    Signal("open_follow_up", RISK, "an answer that needed a follow-up has none yet (the closed loop)",
           lambda f: f.open_loops > 0, lambda r: _plural(r["open_loops"], "open follow-up")),
    Signal("expansion", EXPANSION, f"an expansion in the last {EXPANSION_WINDOW_DAYS} days",
           lambda f: f.expansion_recent > 0,
           lambda r: f"expansion on {_day(r['expansion_last_at'])} "
                     f"({_plural(r['expansion_recent'], 'expansion')} in {EXPANSION_WINDOW_DAYS} days)"),
    Signal("advocacy_action", ADVOCACY, "at least one advocacy action on record",
           lambda f: f.advocacy_n > 0,
           lambda r: f"first advocacy action on {_day(r['advocacy_first_at'])} "
                     f"({_plural(r['advocacy_n'], 'action')} on record)"),
    Signal("promoter", VALUE, f"the latest NPS answer is {PROMOTER_MIN}–10",
           lambda f: f.nps_latest >= PROMOTER_MIN,
           lambda r: f"latest NPS {r['nps_latest']:g} on {_day(r['nps_latest_at'])} (a promoter)"),
    Signal("satisfied", VALUE, f"the latest CSAT answer is {SATISFIED_CSAT_MIN}–5",
           lambda f: f.csat_latest >= SATISFIED_CSAT_MIN,
           lambda r: f"latest CSAT {r['csat_latest']:g} on {_day(r['csat_latest_at'])}"),
    Signal("qbr", VALUE, f"a QBR in the last {QBR_WINDOW_DAYS} days",
           lambda f: f.qbr_recent > 0, lambda r: f"QBR on {_day(r['qbr_last_at'])}"),
    Signal("renewal", VALUE, "a renewal on record",
           lambda f: f.renewal_n > 0, lambda r: f"renewed on {_day(r['renewal_last_at'])}"),
)


def stage_rule(stage: Stage) -> str:
    """A stage's rule in words (docs, ``--help``)."""
    own = [s.rule for s in SIGNALS if s.stage == stage]
    return " or ".join(own) if own else "none of the other stages' rules holds"


def _facts(backend: ibis.BaseBackend, at_time: dt.datetime, rules: tuple[LoopRule, ...]) -> ir.Table:
    at = ibis.literal(at_time, "timestamp")
    events = backend.table("events")
    before = events.filter(events.occurred_at < at)
    own = before.filter(before.customer_id.notnull())
    customers = backend.table("customers")
    signed = customers.filter(customers.signup_at < at)
    base = signed.select("customer_id", "signup_at",
                         churned_at=ibis.ifelse(signed.churned_at < at, signed.churned_at, ibis.null("timestamp")),
                         tenure_days=days_between(at, signed.signup_at).floor().cast("int64"))

    def since(days: int) -> ir.BooleanValue:
        return own.occurred_at >= ibis.literal(at_time - dt.timedelta(days=days), "timestamp")

    is_ = own.type.__eq__
    advocacy = own.type.isin(ADVOCACY_ACTION_TYPES)
    counts = own.group_by(k=own.customer_id).aggregate(
        activation_first_at=own.occurred_at.min(where=is_("activation")),
        advocacy_n=own.event_id.count(where=advocacy),
        advocacy_first_at=own.occurred_at.min(where=advocacy),
        expansion_recent=own.event_id.count(where=is_("expansion") & since(EXPANSION_WINDOW_DAYS)),
        expansion_last_at=own.occurred_at.max(where=is_("expansion")),
        contraction_recent=own.event_id.count(where=is_("contraction") & since(CONTRACTION_WINDOW_DAYS)),
        contraction_last_at=own.occurred_at.max(where=is_("contraction")),
        qbr_recent=own.event_id.count(where=is_("qbr") & since(QBR_WINDOW_DAYS)),
        qbr_last_at=own.occurred_at.max(where=is_("qbr")),
        renewal_n=own.event_id.count(where=is_("renewal")),
        renewal_last_at=own.occurred_at.max(where=is_("renewal")),
    )
    loops = states(loop_table(before, backend.table("text_sentiment"), rules), at_time)
    loops = loops.filter(loops.state == "open")
    open_loops = loops.group_by(k=loops.customer_id).aggregate(open_loops=loops.event_id.count())
    frame = base
    for part in (_latest(own, "nps_response", "nps"), _latest(own, "csat_response", "csat"), counts, open_loops):
        joined = frame.left_join(part, frame.customer_id == part.k)
        frame = joined.select(frame, *[part[c] for c in part.columns if c != "k"])
    zero = ("advocacy_n", "expansion_recent", "contraction_recent", "qbr_recent", "renewal_n", "open_loops")
    return frame.mutate(**{c: frame[c].fill_null(0) for c in zero})


def _latest(own: ir.Table, type_: str, prefix: str) -> ir.Table:
    t = own.filter(own.type == type_, own.score.notnull())
    order = ibis.window(group_by=t.customer_id, order_by=[t.occurred_at.desc(), t.event_id.desc()])
    t = t.mutate(rank=ibis.row_number().over(order))
    t = t.filter(t.rank == 0)
    return t.select(k=t.customer_id, **{f"{prefix}_latest": t.score, f"{prefix}_latest_at": t.occurred_at})


def signal_expr(backend: ibis.BaseBackend, *, at: dt.datetime, rules: tuple[LoopRule, ...]) -> ir.Table:
    """Per customer signed up before ``at``: the facts, one boolean per signal (null facts: false) and
    ``stage``, the key of the first stage of :data:`PRECEDENCE` that holds."""
    f = _facts(backend, at, rules)
    f = f.mutate(**{s.name: s.holds(f).fill_null(False) for s in SIGNALS})
    cases = []
    for stage in PRECEDENCE:
        own = [f[s.name] for s in SIGNALS if s.stage == stage]
        if own:
            any_: ir.BooleanValue = own[0]
            for c in own[1:]:
                any_ = any_ | c
            cases.append((any_, stage.key))
    return f.mutate(stage=ibis.cases(*cases, else_=ONBOARDING.key))


def reasons(row: dict[str, Any]) -> list[str]:
    """The evidence of a row's stage in words: its stage's signals that hold, in :data:`SIGNALS` order; for
    Onboarding & Activation, whether the customer activated and for how long it has been one."""
    stage = BY_KEY[row["stage"]]
    said = [s.says(row) for s in SIGNALS if s.stage == stage and row[s.name]]
    if stage == ONBOARDING:
        first = row["activation_first_at"]
        said.append("no activation on record" if first is None else f"activated on {_day(first)}")
        said.append("no value signal yet (promoter NPS, satisfied CSAT, QBR, renewal)")
        said.append(f"customer for {_plural(row['tenure_days'], 'day')}")
    return said
