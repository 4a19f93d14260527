"""Social listening: the figures of one period's mention events (the JSON of `advokit listening`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from .auth import ReadKey
from .responses import SafeJSONResponse
from .schemas import AUTH_ERRORS, error_responses
from .state import state_of

router = APIRouter(tags=["listening"])


@router.get("/listening", response_model=None, dependencies=[ReadKey],
            summary="Mentions of one period: volume, reach, sentiment, influencers, top authors, share of voice, "
                    "spikes",
            responses={200: {"model": dict[str, Any], "description": "The period, its figures and, with `by`, "
                             "one entry per group (anonymous mentions in the null group)"},
                       **error_responses(*AUTH_ERRORS, 422)})
def listening(request: Request,
              period: str = Query("month", pattern=r"^(month|quarter|year|(19|2[0-9])[0-9]{2}(-([0-9]{2}|Q[1-4]))?)$",
                                  description="YYYY-MM, YYYY-Qn or YYYY; or month / quarter / year: the latest "
                                              "complete one with mentions (named in `period_note`)"),
              by: str | None = Query(None, min_length=1, max_length=64,
                                     description="A customer attribute, e.g. segment")) -> SafeJSONResponse:
    return SafeJSONResponse(state_of(request).workspace.listening.figures(period, by=by))
