"""The KPI catalogue, KPI values (the rows of `kpi compute --format json`) and the scorecard."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import StringConstraints

from ..engine.filters import parse_filter_items
from ..errors import NotFoundError, UnknownKpiError
from ..workspace import Workspace
from .auth import ReadKey
from .responses import SafeJSONResponse
from .schemas import AUTH_ERRORS, KpiDetail, KpiHit, KpiRow, KpiSummary, error_responses
from .state import state_of

router = APIRouter(tags=["kpis"], dependencies=[ReadKey])

_DATE = r"^(19|2[0-9])[0-9]{2}(-[0-9]{2}(-[0-9]{2})?|-Q[1-4])?$"  # YYYY, YYYY-MM, YYYY-Qn, YYYY-MM-DD; 1900-2999
_FILTER = Query([], alias="filter", max_length=5, description="ATTRIBUTE:VALUE, e.g. segment:SMB (repeatable); "
                                                               "`advokit ... --filter segment=SMB` on the command line")
Period = Literal["month", "quarter", "year"]
Dimension = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _kpi(ws: Workspace, kpi_id: str) -> str:
    """The canonical id of ``kpi_id`` (an id or an alias); 404 with the closest ids for anything else."""
    try:
        return ws.catalogue.resolve(kpi_id)
    except UnknownKpiError as exc:
        raise NotFoundError(exc.message, hint=exc.hint, details=exc.details) from None


@router.get("/kpis", response_model=list[KpiSummary], responses=error_responses(*AUTH_ERRORS),
            summary="The KPI catalogue")
def list_kpis(request: Request, focus_area: str | None = Query(None, min_length=1, max_length=64)) -> list[dict[str, Any]]:
    ws = state_of(request).workspace
    return [k.summary() for k in ws.catalogue if focus_area is None or focus_area in k.focus_areas]


@router.get("/kpis/search", response_model=list[KpiHit], responses=error_responses(*AUTH_ERRORS),
            summary="Find KPIs by any words of their knowledge, best first")
def search_kpis(request: Request, q: str = Query(min_length=1, max_length=200),
                limit: int = Query(10, ge=1, le=500)) -> list[dict[str, Any]]:
    ws = state_of(request).workspace
    return [{**k.summary(), "score": s} for k, s in ws.search(q, limit=limit)]


@router.get("/kpis/{kpi_id}", response_model=KpiDetail, responses=error_responses(*AUTH_ERRORS, 404),
            summary="One KPI: definition, formula, bands, benchmarks, guidance")
def get_kpi(request: Request, kpi_id: str) -> dict[str, Any]:
    ws = state_of(request).workspace
    return ws.kpi(_kpi(ws, kpi_id)).to_dict()


@router.get("/kpis/{kpi_id}/values", response_model=None, summary="KPI values by period (and segment)",
            responses={200: {"model": list[KpiRow], "description": "Rows exactly as `advokit kpi compute "
                                                                    "--format json` prints them"},
                       **error_responses(*AUTH_ERRORS, 404, 409)})
def kpi_values(request: Request, kpi_id: str, period: Period = "month",
               by: list[Dimension] = Query([], max_length=5, description="Customer attribute to split by, or theme "
                                                                            "for the text KPIs (repeatable)"),
               start: str | None = Query(None, alias="from", pattern=_DATE,
                                         description="First period or day (YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY)"),
               end: str | None = Query(None, alias="to", pattern=_DATE,
                                       description="Last period or day, inclusive (YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY)"),
               filters: list[Dimension] = _FILTER) -> SafeJSONResponse:
    ws = state_of(request).workspace
    kpi = _kpi(ws, kpi_id)
    return SafeJSONResponse(ws.kpis.values([kpi], period=period, by=by, start=start, end=end,
                                           filters=parse_filter_items(filters, sep=":") or None))


@router.get("/scorecard", response_model=None, summary="Every KPI of one period by focus area",
            responses={200: {"model": dict[str, Any], "description": "The scorecard"},
                       **error_responses(*AUTH_ERRORS)})
def scorecard(request: Request,
              period: str | None = Query(None, pattern=r"^(19|2[0-9])[0-9]{2}(-([0-9]{2}|Q[1-4]))?$",
                                         description="YYYY-MM, YYYY-Qn or YYYY; default: the latest complete "
                                                     "month with data (named in `period_note`)"),
              by: str | None = Query(None, min_length=1, max_length=64),
              filters: list[Dimension] = _FILTER) -> SafeJSONResponse:
    ws = state_of(request).workspace
    return SafeJSONResponse(ws.scorecard(period, by=by, filters=parse_filter_items(filters, sep=":") or None))
