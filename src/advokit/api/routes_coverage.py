"""Coverage: the span in which the workspace holds each KPI input; declare or forget a span (write)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request

from .auth import ReadKey, WriteKey
from .schemas import AUTH_ERRORS, CoverageIn, CoverageOut, error_responses
from .state import state_of

router = APIRouter(tags=["coverage"])
_ERRORS = error_responses(*AUTH_ERRORS, 422)
InputName = Path(min_length=1, max_length=300, description="An event type (`nps_response`), a group "
                 "(`advocacy_actions`, `surveys`), types joined by `|`, or a customer field (`churned_at`)")


@router.get("/coverage", response_model=list[CoverageOut], response_model_by_alias=True,
            responses=error_responses(*AUTH_ERRORS), dependencies=[ReadKey],
            summary="Every coverage input with its span, its source and the KPIs that need it")
def list_coverage(request: Request) -> list[dict[str, Any]]:
    return state_of(request).workspace.coverage.list()


@router.get("/coverage/{input_name}", response_model=CoverageOut, response_model_by_alias=True,
            responses=_ERRORS, dependencies=[ReadKey], summary="One coverage input")
def get_coverage(request: Request, input_name: str = InputName) -> dict[str, Any]:
    return state_of(request).workspace.coverage.get(input_name)


@router.put("/coverage/{input_name}", response_model=CoverageOut, response_model_by_alias=True,
            responses=_ERRORS, dependencies=[WriteKey],
            summary="Declare where an input is tracked (`from` / `to`: periods or days, `to` inclusive)")
def set_coverage(request: Request, body: CoverageIn, input_name: str = InputName) -> dict[str, Any]:
    return state_of(request).workspace.coverage.set(input_name, start=body.from_, end=body.to)


@router.delete("/coverage/{input_name}", response_model=CoverageOut, response_model_by_alias=True,
               responses=_ERRORS, dependencies=[WriteKey],
               summary="Forget the declared span of an input: the data's span applies again")
def clear_coverage(request: Request, input_name: str = InputName) -> dict[str, Any]:
    return state_of(request).workspace.coverage.clear(input_name)
