"""Advocate scores: every customer's score 0–100, tier and reasons as of a date, and one customer explained."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ..advocates.service import MAX_LIMIT
from .auth import ReadKey
from .schemas import AUTH_ERRORS, error_responses
from .state import state_of

router = APIRouter(tags=["advocates"])
_AS_OF = Query(None, description="Score from the data strictly before this day (UTC). Default: today.")


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
                   as_of: dt.date | None = _AS_OF) -> list[dict[str, Any]]:
    return state_of(request).workspace.advocates.list(tier=tier, limit=limit, as_of=as_of)


@router.get("/advocates/{customer_id}", response_model=AdvocateExplained,
            responses=error_responses(*AUTH_ERRORS, 404), dependencies=[ReadKey],
            summary="One customer's advocate score: every component (feature, sub-score, weight, points), reasons")
def explain_advocate(request: Request, customer_id: str, as_of: dt.date | None = _AS_OF) -> dict[str, Any]:
    return state_of(request).workspace.advocates.explain(customer_id, as_of=as_of)
