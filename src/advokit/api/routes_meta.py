"""Health, version and what the workspace holds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .._version import __version__
from ..store.database import SCHEMA_VERSION
from .auth import ReadKey, StrictQuery
from .responses import SafeJSONResponse
from .schemas import AUTH_ERRORS, DoctorOut, Health, Version, WorkspaceInfo, error_responses
from .state import state_of

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health, summary="Liveness (no key needed)", dependencies=[StrictQuery],
            responses=error_responses(422))
def health() -> dict[str, Any]:
    return {"status": "ok"}


@router.get("/version", response_model=Version, dependencies=[ReadKey], responses=error_responses(*AUTH_ERRORS))
def version() -> dict[str, Any]:
    return {"version": __version__, "api": "v1", "schema_version": SCHEMA_VERSION}


@router.get("/workspace", response_model=WorkspaceInfo, dependencies=[ReadKey],
            responses=error_responses(*AUTH_ERRORS), summary="Counts, data range and segment dimensions")
def workspace_info(request: Request) -> dict[str, Any]:
    ws = state_of(request).workspace
    counts = ws.counts()
    bounds = ws.kpis.engine().data_range()
    return {**counts, "first_day": bounds[0].isoformat() if bounds else None,
            "last_day": bounds[1].isoformat() if bounds else None, "dimensions": ws.kpis.dimensions()}


@router.get("/doctor", response_model=None, dependencies=[ReadKey],
            responses={200: {"model": DoctorOut, "description": "The findings, each with severity and what to do"},
                       **error_responses(*AUTH_ERRORS)},
            summary="The data-quality report (as `advokit doctor --format json`)")
def doctor(request: Request) -> SafeJSONResponse:
    return SafeJSONResponse(state_of(request).workspace.quality.doctor().to_dict())
