"""Advocate scores: every customer's score 0–100, tier and reasons as of a date, the tier distribution, who
moved into the advocate tiers or into "At risk" between two dates, and one customer explained."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, StringConstraints

from ..advocates.service import MAX_LIMIT, parse_as_of
from ..advocates.summary import keep, movements, segment_members, tier_distribution
from ..engine.filters import parse_filter_items
from ..errors import InvalidArgumentError, UnknownDimensionError
from ..workspace import Workspace
from .auth import ReadKey
from .schemas import AUTH_ERRORS, error_responses
from .state import state_of

router = APIRouter(tags=["advocates"])
_AS_OF = Query(None, description="Score from the data strictly before this day (UTC). Default: today.")
_FILTER = Query([], alias="filter", max_length=5, description="Only customers with ATTRIBUTE:VALUE, e.g. segment:SMB "
                                                               "or persona:… (repeatable; any customer attribute)")
Filter = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: the most customers a movements answer names in each list
MAX_EXAMPLES = 100


def _members(ws: Workspace, filters: list[str]) -> tuple[dict[str, str | None], set[str] | None]:
    """The filters as a dict and the ids of the customers they keep (None: no filter, everyone)."""
    chosen = parse_filter_items(filters, sep=":")
    dims = ws.kpis.dimensions()
    for dim in chosen:
        if dim not in dims:
            raise UnknownDimensionError(f"unknown customer attribute {dim!r} in a filter",
                                        hint="valid attributes: " + ", ".join(dims))
    return chosen, (segment_members(ws.kpis.backend(), chosen) if chosen else None)


class AdvocateOut(BaseModel):
    """One customer's advocate score (docs/advocates.md)."""

    customer_id: str
    score: float | None = Field(description="0–100 from the components with data, weights renormalised")
    tier: str | None = Field(description="Champion, Advocate, Potential, Passive or At risk")
    churn_risk: float | None = Field(None, description="Probability of churn within the model's horizon "
                                                       "(docs/models.md); null until a churn model is trained")
    advocacy_propensity: float | None = Field(None, description="Probability of an advocacy action within the "
                                                                "horizon; null until an advocacy model is trained")
    reasons: list[str] = Field(description="Risk signals, the biggest contributions in words, left-out components")


class TierCount(BaseModel):
    tier: str = Field(description="Champion, Advocate, Potential, Passive, At risk (then No score, when some "
                                  "have none)")
    key: str = Field(description="champion, advocate, potential, passive, at_risk (no_score)")
    customers: int
    share: float | None = Field(description="customers / all customers counted; null when none is")


class TiersOut(BaseModel):
    as_of: str = Field(description="The cutoff day: only data before it counts")
    filters: dict[str, str | None]
    customers: int = Field(description="Customers scored at the cutoff (and in the segment)")
    tiers: list[TierCount]


class MoveOut(BaseModel):
    customer_id: str
    score: float | None
    tier: str
    tier_before: str | None = Field(description="The tier as of `from`; null when not scored then")
    reason: str | None = Field(description="The first reason of the score as of `to`")


class MovedOut(BaseModel):
    count: int
    examples: list[MoveOut]


class MovementsOut(BaseModel):
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    filters: dict[str, str | None]
    new_advocates: MovedOut = Field(description="Champion or Advocate as of `to`, not as of `from`; highest score "
                                                "first")
    new_at_risk: MovedOut = Field(description="At risk as of `to`, not as of `from`; lowest score first")


class ComponentOut(BaseModel):
    component: str
    label: str
    rule: str = Field(description="How the feature maps to the sub-score")
    feature: dict[str, Any] = Field(description="The feature's name and value")
    sub_score: float | None = Field(description="0–1; null when the feature is missing")
    weight: float
    effective_weight: float | None = Field(description="weight / the sum of the weights of the components used")
    points: float | None = Field(description="100 × effective_weight × sub_score")
    status: str = Field(description="used, no data or weight 0")


class FactorOut(BaseModel):
    factor: str = Field(description="In words, e.g. 'no advocacy action in 210 days'")
    features: list[str] = Field(description="The model's features behind it")
    contribution: float = Field(description="Its contribution to the prediction, in log-odds")


class FactorsOut(BaseModel):
    raising: list[FactorOut]
    lowering: list[FactorOut]


class AdvocateExplained(AdvocateOut):
    as_of: str = Field(description="The cutoff: only data before it counts")
    components: list[ComponentOut]
    churn_factors: FactorsOut | None = Field(None, description="The churn model's top factors; null without one")
    advocacy_factors: FactorsOut | None = Field(None, description="The advocacy model's; null without one")


@router.get("/advocates", response_model=list[AdvocateOut], responses=error_responses(*AUTH_ERRORS),
            dependencies=[ReadKey], summary="Customers ranked by advocate score, highest first, with tier and reasons")
def list_advocates(request: Request,
                   tier: str | None = Query(None, max_length=40,
                                            description="Only this tier: Champion, Advocate, Potential, Passive, "
                                                        "At risk (any case; at_risk also works)"),
                   limit: int = Query(100, ge=1, le=MAX_LIMIT),
                   as_of: dt.date | None = _AS_OF, filters: list[Filter] = _FILTER) -> list[dict[str, Any]]:
    ws = state_of(request).workspace
    _, members = _members(ws, filters)
    if members is None:
        return ws.advocates.list(tier=tier, limit=limit, as_of=as_of)
    rows = ws.advocates.list(tier=tier, limit=MAX_LIMIT, as_of=as_of)
    return [r for r in rows if r["customer_id"] in members][:limit]


@router.get("/advocates/tiers", response_model=TiersOut, responses=error_responses(*AUTH_ERRORS),
            dependencies=[ReadKey], summary="How many customers each advocate tier holds as of a day (the dashboard's "
                                            "tier distribution)")
def advocate_tiers(request: Request, as_of: dt.date | None = _AS_OF,
                   filters: list[Filter] = _FILTER) -> dict[str, Any]:
    ws = state_of(request).workspace
    chosen, members = _members(ws, filters)
    rows = ws.advocates.scores(as_of=as_of)
    return {"as_of": parse_as_of(as_of).date().isoformat(), "filters": chosen,
            **tier_distribution(keep(rows, members))}


@router.get("/advocates/movements", response_model=MovementsOut, response_model_by_alias=True,
            responses=error_responses(*AUTH_ERRORS), dependencies=[ReadKey],
            summary="New advocates and newly at-risk customers between two days (the report's Wins / Risks lines)")
def advocate_movements(request: Request,
                       start: dt.date = Query(alias="from",
                                              description="The earlier cutoff day (a period's first day)"),
                       end: dt.date = Query(alias="to", description="The later cutoff day (the day after a period)"),
                       examples: int = Query(10, ge=0, le=MAX_EXAMPLES, description="Customers named in each list"),
                       filters: list[Filter] = _FILTER) -> dict[str, Any]:
    if end <= start:
        raise InvalidArgumentError(f"to ({end}) must be after from ({start})",
                                   hint="e.g. from=2025-06-01&to=2025-07-01")
    ws = state_of(request).workspace
    chosen, members = _members(ws, filters)
    moved = movements(keep(ws.advocates.scores(as_of=start), members), keep(ws.advocates.scores(as_of=end), members),
                      examples=examples)
    return {"from": start.isoformat(), "to": end.isoformat(), "filters": chosen, **moved}


@router.get("/advocates/{customer_id}", response_model=AdvocateExplained,
            responses=error_responses(*AUTH_ERRORS, 404), dependencies=[ReadKey],
            summary="One customer's advocate score: every component (feature, sub-score, weight, points), reasons")
def explain_advocate(request: Request, customer_id: str, as_of: dt.date | None = _AS_OF) -> dict[str, Any]:
    return state_of(request).workspace.advocates.explain(customer_id, as_of=as_of)
