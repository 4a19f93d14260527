"""Themes: the themes of the workspace's texts in a period, overall and per segment, and their refresh.

Reads never compute: before a refresh (``POST /v1/themes/refresh``, ``advokit text theme refresh`` or
``advokit demo``) they answer 409 ``themes_not_computed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Query, Request

from ..errors import ThemesNotComputedError
from .auth import ReadKey, WriteKey
from .schemas import AUTH_ERRORS, error_responses
from .state import state_of

router = APIRouter(tags=["themes"])
T = TypeVar("T")
HINT = "compute them with `POST /v1/themes/refresh` (a write key) or `advokit text theme refresh`"


def _read(read: Callable[[], T]) -> T:
    """``read()``, its "not computed yet" worded for the API."""
    try:
        return read()
    except ThemesNotComputedError as exc:
        raise ThemesNotComputedError(exc.message, hint=HINT) from None


@router.get("/themes", responses=error_responses(*AUTH_ERRORS, 409), dependencies=[ReadKey],
            summary="The themes of a period's texts: share, sentiment, promoter and detractor shares, change "
                    "against the period before with its p-value, and quotes")
def themes(request: Request,
           period: str = Query(pattern=r"^[0-9]{4}(-([0-9]{2}|Q[1-4]))?$", description="YYYY-MM, YYYY-Qn or YYYY"),
           by: str | None = Query(None, min_length=1, max_length=64,
                                  description="A customer attribute to break the themes down by, e.g. segment"),
           ) -> dict[str, Any]:
    ws = state_of(request).workspace
    return _read(lambda: ws.themes.report(period, by=by))


@router.get("/themes/list", responses=error_responses(*AUTH_ERRORS, 409), dependencies=[ReadKey],
            summary="Every theme with its terms, texts, name, pin and merge")
def list_themes(request: Request) -> list[dict[str, Any]]:
    ws = state_of(request).workspace
    _read(ws.themes.require)
    return ws.themes.all()


@router.post("/themes/refresh", responses=error_responses(*AUTH_ERRORS), dependencies=[WriteKey],
             summary="Discover the themes of the texts again (names, pins and merges are kept): counts")
def refresh_themes(request: Request,
                   themes: int | None = Query(None, ge=1, le=50, description="How many themes to look for "
                                                                         "(default: one per 50 texts, 2 to 12)"),
                   ) -> dict[str, Any]:
    return state_of(request).workspace.themes.refresh(k=themes)
