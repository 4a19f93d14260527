"""Themes: the themes of the workspace's texts in a period, overall and per segment (computed on first use)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from .auth import ReadKey
from .schemas import AUTH_ERRORS, error_responses
from .state import state_of

router = APIRouter(tags=["themes"])


@router.get("/themes", responses=error_responses(*AUTH_ERRORS, 422), dependencies=[ReadKey],
            summary="The themes of a period's texts: share, sentiment, promoter and detractor shares, change "
                    "against the period before with its p-value, and quotes")
def themes(request: Request,
           period: str = Query(pattern=r"^[0-9]{4}(-([0-9]{2}|Q[1-4]))?$", description="YYYY-MM, YYYY-Qn or YYYY"),
           by: str | None = Query(None, min_length=1, max_length=64,
                                  description="A customer attribute to break the themes down by, e.g. segment"),
           ) -> dict[str, Any]:
    return state_of(request).workspace.themes.report(period, by=by)


@router.get("/themes/list", responses=error_responses(*AUTH_ERRORS), dependencies=[ReadKey],
            summary="Every theme with its terms, texts, name, pin and merge")
def list_themes(request: Request) -> list[dict[str, Any]]:
    ws = state_of(request).workspace
    ws.themes.ensure()
    return ws.themes.all()
