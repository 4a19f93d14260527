"""Journey stages and personas (docs/journey.md): every customer's stage as of a date with its reasons, the
stored stage's refresh, the stored personas and their refresh (a write key for both refreshes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ..journey.personas import MAX_K
from ..journey.service import MAX_LIMIT
from .auth import ReadKey, WriteKey
from .schemas import AUTH_ERRORS, error_responses
from .state import state_of

router = APIRouter(tags=["journey"])
_AS_OF = Query(None, description="From the data strictly before this day (UTC). Default: today.")


class StageRow(BaseModel):
    customer_id: str
    stage: str = Field(description="Onboarding & Activation, Value Realization, Advocacy Activation, "
                                    "Expansion Readiness or Churn/Retention Risk")
    stage_key: str = Field(description="onboarding, value_realization, advocacy_activation, expansion_readiness "
                                       "or churn_risk")
    reasons: list[str] = Field(description="The evidence of the stage in words")


class StageCount(BaseModel):
    stage: str
    stage_key: str
    customers: int


class JourneyOut(BaseModel):
    as_of: str = Field(description="The cutoff: only data before it counts")
    customers: int = Field(description="Customers signed up before as_of (all stages)")
    counts: list[StageCount] = Field(description="Customers per stage, in journey order")
    rows: list[StageRow] = Field(description="The customers (of `stage` when given), by customer_id, at most `limit`")
    stored: dict[str, Any] | None = Field(description="The last refresh of the journey_stage attribute "
                                                      "(as_of, refreshed_at, counts); null before the first")


class JourneyRefreshed(BaseModel):
    attribute: str
    refreshed_at: str
    as_of: str
    customers: int
    counts: list[StageCount]


@router.get("/journey", response_model=JourneyOut, responses=error_responses(*AUTH_ERRORS), dependencies=[ReadKey],
            summary="Every customer's journey stage as of a day, with its reasons, and the counts per stage")
def journey(request: Request,
            stage: str | None = Query(None, max_length=40,
                                      description="Only this stage: its key or name, any case"),
            limit: int = Query(1000, ge=1, le=MAX_LIMIT),
            as_of: dt.date | None = _AS_OF) -> dict[str, Any]:
    ws = state_of(request).workspace
    return {**ws.journey.overview(stage=stage, limit=limit, as_of=as_of), "stored": ws.journey.stored()}


@router.post("/journey/refresh", response_model=JourneyRefreshed, responses=error_responses(*AUTH_ERRORS),
             dependencies=[WriteKey], summary="Store every customer's stage as of a day in the journey_stage attribute")
def refresh_journey(request: Request, as_of: dt.date | None = _AS_OF) -> dict[str, Any]:
    return state_of(request).workspace.journey.refresh(as_of=as_of)


@router.get("/personas", responses=error_responses(*AUTH_ERRORS, 409), dependencies=[ReadKey],
            summary="The stored personas: k, silhouette, each candidate k's silhouette, and each persona's name, "
                    "description, size and traits")
def personas(request: Request) -> dict[str, Any]:
    return state_of(request).workspace.personas.stored()


@router.post("/personas/refresh", responses=error_responses(*AUTH_ERRORS), dependencies=[WriteKey],
             summary="Find the personas again and store each customer's in the persona attribute")
def refresh_personas(request: Request,
                     k: int | None = Query(None, ge=2, le=MAX_K,
                                           description="How many personas (default: the best silhouette, 2 to 6)"),
                     seed: int = Query(42, ge=0, le=2**32 - 1, description="Seed of the clustering"),
                     as_of: dt.date | None = _AS_OF) -> dict[str, Any]:
    return state_of(request).workspace.personas.refresh(k=k, as_of=as_of, seed=seed)
