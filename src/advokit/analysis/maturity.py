"""Data-culture maturity of a workspace against the four stages of seed 003.

The stages are cumulative: a workspace reaches a stage when it meets every
criterion of that stage and of all stages before it. Each criterion is
judged from what the workspace actually holds (facts gathered below), lists
its evidence, and says what would meet it.

=============  ==================================================================
Foundational   basic advocacy metrics, initial dashboards, regular reporting;
               data used descriptively
Emerging       metrics segmented and shared; data identifies advocates and risks early
Established    data integrated across systems, shapes campaigns and experiments,
               trusted by leadership
Advanced       metrics predictive and tied to financial outcomes; cross-functional
=============  ==================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..catalogue.model import ADVOCACY_ACTION_TYPES, FOCUS_AREAS, SURVEY_TYPES

if TYPE_CHECKING:
    from ..engine.service import KpiService

STAGES: tuple[tuple[str, str, str], ...] = (
    ("foundational", "Foundational", "The team defines basic advocacy metrics, builds initial dashboards, and "
     "starts reporting regularly—data is used descriptively."),
    ("emerging", "Emerging", "Advocacy metrics are segmented and shared across teams; data informs strategy "
     "and identifies advocates or risks early."),
    ("established", "Established", "Data is integrated across systems, regularly shapes campaigns and "
     "experiments, and is trusted by leadership to inform decisions."),
    ("advanced", "Advanced", "Advocacy metrics are predictive, tied to financial outcomes, and drive "
     "cross-functional collaboration—every team member is fluent in the numbers and their meaning."),
)

REFERRAL_OUTCOMES = ("referral_signup", "referral_converted")
REVENUE_TYPES = ("renewal_due", "renewal", "expansion", "contraction")
PROGRAMME_TYPES = ("community_joined", "ambassador_joined", "ambassador_left", "request_sent", "qbr",
                   "follow_up", "mention")
FAMILIES = {"surveys": SURVEY_TYPES, "advocacy actions": ADVOCACY_ACTION_TYPES,
            "referral outcomes": REFERRAL_OUTCOMES, "revenue and lifecycle": REVENUE_TYPES,
            "programme and listening": PROGRAMME_TYPES}


@dataclass(frozen=True)
class Criterion:
    id: str
    stage: str
    label: str
    test: Callable[[dict[str, Any]], bool]
    evidence: Callable[[dict[str, Any]], str]
    advice: str


def _types(facts: dict[str, Any], group: tuple[str, ...]) -> list[str]:
    return [t for t in group if facts["event_types"].get(t)]


def _families(facts: dict[str, Any]) -> list[str]:
    present = [name for name, group in FAMILIES.items() if _types(facts, group)]
    if facts["customers_with_arr"] and "revenue and lifecycle" not in present:
        present.append("revenue and lifecycle")
    return present


CRITERIA: tuple[Criterion, ...] = (
    # ---- Foundational
    Criterion("customers", "foundational", "Customers are imported",
              lambda f: f["customers"] > 0, lambda f: f"{f['customers']:,} customers",
              "import your customer list: `advokit import customers customers.csv`"),
    Criterion("surveys", "foundational", "Customer voice is measured (NPS, CSAT, CES or advocacy ratings)",
              lambda f: bool(_types(f, SURVEY_TYPES)),
              lambda f: ", ".join(f"{t} {f['event_types'][t]:,}" for t in _types(f, SURVEY_TYPES)) or "no survey answers",
              "import survey answers (nps_response, csat_response, ces_response, advocacy_rating events)"),
    Criterion("basic_kpis", "foundational", "At least 3 KPIs have data",
              lambda f: len(f["kpis_in_use"]) >= 3, lambda f: f"{len(f['kpis_in_use'])} KPIs with data",
              "import the events your basic KPIs need (see `advokit kpi show ID`)"),
    Criterion("regular_reporting", "foundational", "At least 3 months of data to report on regularly",
              lambda f: f["months_with_events"] >= 3, lambda f: f"{f['months_with_events']} months with events",
              "keep importing every month so that monthly reports have something to compare"),
    # ---- Emerging
    Criterion("segmented", "emerging", "Customers are segmented (an attribute with 2 or more values)",
              lambda f: bool(f["segment_dimensions"]),
              lambda f: ", ".join(f"{d} ({n} values)" for d, n in f["segment_dimensions"].items()) or "no segment attribute",
              "import customers with segment, industry, region or plan so every KPI can be split (`--by`)"),
    Criterion("advocates_identified", "emerging", "Advocacy actions are tracked, so advocates can be identified",
              lambda f: bool(_types(f, ADVOCACY_ACTION_TYPES)),
              lambda f: f"{sum(f['event_types'].get(t, 0) for t in ADVOCACY_ACTION_TYPES):,} advocacy actions",
              "track referrals, reviews, testimonials, case studies, reference calls and social shares as events"),
    Criterion("risks_visible", "emerging", "Churn or renewals are recorded, so risks show early",
              lambda f: f["churned_customers"] > 0 or bool(f["event_types"].get("renewal_due")),
              lambda f: f"{f['churned_customers']:,} churned customers, "
                        f"{f['event_types'].get('renewal_due', 0):,} renewals due",
              "record churned_at on customers and renewal_due / renewal events"),
    Criterion("trend_history", "emerging", "At least 6 months of history for trends",
              lambda f: f["months_with_events"] >= 6, lambda f: f"{f['months_with_events']} months with events",
              "keep importing monthly; trends and rolling means need 6 months"),
    Criterion("kpis_breadth", "emerging", "At least 8 KPIs have data",
              lambda f: len(f["kpis_in_use"]) >= 8, lambda f: f"{len(f['kpis_in_use'])} KPIs with data",
              "add the data behind more KPIs of the catalogue (`advokit kpi list`)"),
    # ---- Established
    Criterion("integrated", "established", "Data from at least 4 of the 5 source families is integrated",
              lambda f: len(_families(f)) >= 4, lambda f: ", ".join(_families(f)) or "none",
              "connect the missing systems: " + ", ".join(FAMILIES)),
    Criterion("campaigns", "established", "Advocacy campaigns (requests) are tracked",
              lambda f: bool(f["event_types"].get("request_sent")),
              lambda f: f"{f['event_types'].get('request_sent', 0):,} advocacy requests",
              "record advocacy asks as request_sent events so campaigns and their conversion can be measured"),
    Criterion("targets", "established", "Targets are set for at least 3 KPIs",
              lambda f: len(f["kpis_with_targets"]) >= 3,
              lambda f: f"{f['targets']} targets on {len(f['kpis_with_targets'])} KPIs",
              "set targets: `advokit target set nps 40`"),
    Criterion("commentary", "established", "Metrics are paired with commentary",
              lambda f: f["comments"] > 0, lambda f: f"{f['comments']} comments",
              "add commentary to KPI values so leadership reads the why with the number"),
    Criterion("year_history", "established", "At least 12 months of history (year-over-year)",
              lambda f: f["months_with_events"] >= 12, lambda f: f"{f['months_with_events']} months with events",
              "keep a year of history so every value has its year-ago comparison"),
    Criterion("all_focus_areas", "established", "Every focus area has a KPI with data",
              lambda f: len(f["focus_areas_in_use"]) == len(FOCUS_AREAS),
              lambda f: f"{len(f['focus_areas_in_use'])} of {len(FOCUS_AREAS)} focus areas",
              "add data for the focus areas without a KPI in use"),
    # ---- Advanced
    Criterion("financial", "advanced", "Advocacy is tied to revenue (referral revenue, expansion or renewals, ARR)",
              lambda f: bool(f["referral_revenue_events"]) and bool(f["revenue_events"])
              and f["customers"] > 0 and f["customers_with_arr"] >= 0.8 * f["customers"],
              lambda f: f"{f['referral_revenue_events']:,} referral conversions with revenue, "
                        f"{f['revenue_events']:,} revenue events, ARR on {f['customers_with_arr']:,} customers",
              "record amounts on referral_converted, expansion and renewal events and ARR on at least 80 % of customers"),
    Criterion("predictive", "advanced", "Enough history and outcomes to predict (24 months, 30 churned customers)",
              lambda f: f["months_with_events"] >= 24 and f["churned_customers"] >= 30,
              lambda f: f"{f['months_with_events']} months, {f['churned_customers']:,} churned customers",
              "keep two years of history with churn recorded so advocacy can be modelled as a leading indicator"),
    Criterion("closed_loop", "advanced", "Feedback loops are closed (follow-ups recorded)",
              lambda f: bool(f["event_types"].get("follow_up")),
              lambda f: f"{f['event_types'].get('follow_up', 0):,} follow-ups",
              "record follow_up events when the team answers feedback"),
    Criterion("segment_targets", "advanced", "Targets per segment across at least 3 focus areas",
              lambda f: f["segment_targets"] > 0 and len(f["target_focus_areas"]) >= 3,
              lambda f: f"{f['segment_targets']} segment targets, {len(f['target_focus_areas'])} focus areas with targets",
              "set segment targets (`advokit target set KPI VALUE --segment NAME`) for KPIs of 3 or more focus areas"),
    Criterion("kpis_coverage", "advanced", "At least 80 % of the catalogue's KPIs have data",
              lambda f: f["catalogue_size"] > 0 and len(f["kpis_in_use"]) >= 0.8 * f["catalogue_size"],
              lambda f: f"{len(f['kpis_in_use'])} of {f['catalogue_size']} KPIs",
              "add the data behind the remaining KPIs"),
)


def facts(service: "KpiService") -> dict[str, Any]:
    """What the workspace holds, as evidence for the assessment."""
    backend = service.backend()
    e, c = backend.table("events"), backend.table("customers")
    types = {r["type"]: int(r["n"]) for r in e.group_by("type").aggregate(n=e.count()).to_pyarrow().to_pylist()}
    months = int(e.aggregate(m=e.occurred_at.truncate("M").nunique()).to_pyarrow().to_pylist()[0]["m"] or 0)
    cust = c.aggregate(n=c.count(), churned=c.churned_at.notnull().sum(),
                       arr=(c.arr.notnull() & (c.arr > 0)).sum()).to_pyarrow().to_pylist()[0]
    segments: dict[str, int] = {}
    for dim in service.dimensions():
        if dim == "referred_by":
            continue
        n = int(c.aggregate(n=c[dim].nunique()).to_pyarrow().to_pylist()[0]["n"] or 0)
        if n >= 2:
            segments[dim] = n
    money = e.filter(e.amount.notnull() & (e.amount > 0))
    money_types = {r["type"]: int(r["n"]) for r in money.group_by("type").aggregate(n=money.count())
                   .to_pyarrow().to_pylist()}
    cur = service.db.cursor()
    targets = cur.execute("SELECT kpi, dimension FROM targets").fetchall()
    comments = int(cur.execute("SELECT count(*) FROM comments").fetchone()[0])  # type: ignore[index]
    in_use = _kpis_in_use(service) if types or cust["n"] else []
    catalogue = {k.id: k for k in service.catalogue}
    target_kpis = sorted({k for k, _ in targets if k in catalogue})
    return {
        "customers": int(cust["n"] or 0), "churned_customers": int(cust["churned"] or 0),
        "customers_with_arr": int(cust["arr"] or 0), "events": sum(types.values()), "event_types": types,
        "months_with_events": months, "segment_dimensions": segments,
        "referral_revenue_events": money_types.get("referral_converted", 0),
        "revenue_events": sum(money_types.get(t, 0) for t in ("renewal", "expansion")),
        "targets": len(targets), "segment_targets": sum(1 for _, d in targets if d is not None),
        "kpis_with_targets": target_kpis,
        "target_focus_areas": sorted({f for k in target_kpis for f in catalogue[k].focus_areas}),
        "comments": comments, "catalogue_size": len(catalogue), "kpis_in_use": in_use,
        "focus_areas_in_use": sorted({f for k in in_use for f in catalogue[k].focus_areas}),
    }


def _kpis_in_use(service: "KpiService") -> list[str]:
    """KPIs with at least one non-empty value resting on data (n > 0) in any quarter."""
    rows = service.compute(service.catalogue.ids, period="quarter").to_arrow().to_pylist()
    return sorted({r["kpi"] for r in rows if r["value"] is not None and (r["n"] or 0) > 0})


def assess(service: "KpiService") -> dict[str, Any]:
    """The stage reached, every criterion with its evidence, and what would move it up."""
    f = facts(service)
    stages: list[dict[str, Any]] = []
    level = 0
    reached = True
    for i, (sid, name, description) in enumerate(STAGES, start=1):
        criteria = [{"id": c.id, "label": c.label, "met": bool(c.test(f)), "evidence": c.evidence(f),
                     "how_to_meet": c.advice} for c in CRITERIA if c.stage == sid]
        achieved = all(c["met"] for c in criteria)
        reached = reached and achieved
        if reached:
            level = i
        stages.append({"id": sid, "name": name, "level": i, "description": description,
                       "criteria_met": all(c["met"] for c in criteria), "reached": reached, "criteria": criteria})
    current = stages[level - 1] if level else None
    nxt = stages[level] if level < len(stages) else None
    return {
        "stage": current["id"] if current else None,
        "stage_name": current["name"] if current else "Not yet Foundational",
        "level": level,
        "description": current["description"] if current else "The workspace does not yet hold the data for "
                                                               "basic advocacy metrics.",
        "next_stage": nxt["id"] if nxt else None,
        "next_stage_name": nxt["name"] if nxt else None,
        "next_steps": [c["how_to_meet"] for c in nxt["criteria"] if not c["met"]] if nxt else [],
        "stages": stages,
        "evidence": f,
    }
