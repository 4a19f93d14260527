"""The advocacy funnel, influencers and the next best ask (the JSON of `advokit funnel`, `advokit influencers`
and `advokit advocates next-ask`; docs/funnel.md).

Registered before :mod:`.routes_advocates`, so ``/advocates/next-ask`` is this route and not a customer id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ..funnel.service import MAX_LIMIT
from .auth import ReadKey
from .schemas import AUTH_ERRORS, error_responses
from .state import state_of

router = APIRouter(tags=["funnel"])
_PERIOD = r"^(month|quarter|year|(19|2[0-9])[0-9]{2}(-([0-9]{2}|Q[1-4]))?)$"


class StageOut(BaseModel):
    stage: str = Field(description="identified, activated, acted, impact or retained")
    name: str = Field(description="The stage's name, e.g. Advocate Identification")
    customers: int


class ConversionOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="The stage converted from")
    to: str = Field(description="The next stage")
    customers: int = Field(description="Customers at the stage converted from")
    converted: int = Field(description="Of them, customers at the next stage")
    rate: float | None = Field(description="100 × converted / customers; null when customers is 0")
    low: float | None = Field(description="Lower bound of the 95 % Wilson interval, percent")
    high: float | None = Field(description="Upper bound of the 95 % Wilson interval, percent")


class SegmentOut(BaseModel):
    segment: str | None = Field(description="The attribute's value; null for customers without one")
    population: int
    stages: list[StageOut]
    conversions: list[ConversionOut]


class FunnelOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    period: str
    from_: str = Field(alias="from", description="The period's first day")
    to: str = Field(description="The period's last day")
    period_note: str | None = Field(None, description="Set when the period was chosen from a grain")
    population: int = Field(description="Customers at the period's start")
    stages: list[StageOut]
    conversions: list[ConversionOut]
    by: str | None = None
    segments: list[SegmentOut] | None = None
    note: str | None = None


class InfluencerOut(BaseModel):
    rank: int
    author: str = Field(description="properties.author or .handle, else the customer_id")
    customer_id: str | None
    mentions: int
    reach: float = Field(description="Sum of properties.reach of the author's mentions")
    influencer: bool = Field(description="At least one mention flagged properties.influencer")
    influencer_mentions: int
    positive: int
    neutral: int
    negative: int
    unscored: int
    net_sentiment: float | None = Field(description="100 × (positive − negative) / labelled mentions")
    first_at: str
    last_at: str


class NextAskOut(BaseModel):
    customer_id: str
    tier: str
    score: float | None
    next_ask: str | None = Field(description="review, testimonial, referral, case_study or reference_call; null "
                                             "in contact fatigue or when nothing fits")
    reason: str
    fatigued: bool
    askable_from: str | None = Field(description="In fatigue: the first day an ask is allowed")
    deferred_ask: str | None = Field(description="In fatigue: the ask the ladder gives")
    last_asked_at: str | None
    last_ask_kind: str | None
    done: dict[str, int] = Field(description="Advocacy actions on record by ask kind")
    asked: dict[str, int] = Field(description="request_sent events by kind")


@router.get("/funnel", response_model=FunnelOut, response_model_exclude_none=False, dependencies=[ReadKey],
            responses=error_responses(*AUTH_ERRORS),
            summary="The advocacy funnel of one period: customers at each stage, conversions with intervals")
def funnel(request: Request,
           period: str = Query("quarter", pattern=_PERIOD,
                               description="YYYY-MM, YYYY-Qn or YYYY; or month / quarter / year: the latest "
                                           "complete one with data (named in `period_note`)"),
           by: str | None = Query(None, min_length=1, max_length=64,
                                  description="A customer attribute, e.g. segment")) -> dict[str, Any]:
    return state_of(request).workspace.funnel.compute(period, by=by)


@router.get("/influencers", response_model=list[InfluencerOut], dependencies=[ReadKey],
            responses=error_responses(*AUTH_ERRORS),
            summary="Authors of mentions ranked by reach, with influencer flags and sentiment")
def influencers(request: Request,
                period: str | None = Query(None, pattern=_PERIOD, description="A period (default: every mention)"),
                limit: int = Query(20, ge=1, le=MAX_LIMIT)) -> list[dict[str, Any]]:
    return state_of(request).workspace.funnel.influencers(period=period, limit=limit)


@router.get("/advocates/next-ask", response_model=list[NextAskOut], dependencies=[ReadKey],
            responses=error_responses(*AUTH_ERRORS),
            summary="The ask that fits each advocate now, honouring contact fatigue")
def next_ask(request: Request, limit: int = Query(1000, ge=1, le=MAX_LIMIT),
             as_of: dt.date | None = Query(None, description="From the data strictly before this day (UTC). "
                                                             "Default: today.")) -> list[dict[str, Any]]:
    return state_of(request).workspace.funnel.next_ask(limit=limit, as_of=as_of)
