"""Management reports as files: ``GET /v1/reports`` (HTML, Markdown or PDF)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..engine.filters import parse_filter_items
from ..reports import MEDIA_TYPES, build_report
from .auth import ReadKey
from .schemas import AUTH_ERRORS, error_responses
from .state import state_of

router = APIRouter(tags=["reports"], dependencies=[ReadKey])

_DATE = r"^(19|2[0-9])[0-9]{2}(-[0-9]{2}(-[0-9]{2})?|-Q[1-4])?$"  # YYYY, YYYY-MM, YYYY-Qn or YYYY-MM-DD
_PERIOD = r"^(19|2[0-9])[0-9]{2}(-([0-9]{2}|Q[1-4]))?$"  # YYYY-MM, YYYY-Qn or YYYY
_FILE = {"description": "The report file, in the format asked for",
         "content": {"text/html": {"schema": {"type": "string"}},
                     "text/markdown": {"schema": {"type": "string"}},
                     "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}


@router.get("/reports", response_class=Response, summary="A management report (monthly, quarterly or campaign)",
            description="The six sections of `advokit report` (Executive Summary; Key Metrics & Trends; Customer "
                        "Stories & Qualitative Insights; Wins & Opportunities; Risks & Action Plans; Next Steps & "
                        "Requests for Support) as one self-contained HTML file, Markdown or PDF. A campaign "
                        "report takes `from`/`to` (and optionally `baseline_from`/`baseline_to`) instead of "
                        "`period`.",
            responses={200: _FILE, **error_responses(*AUTH_ERRORS)})
def get_report(request: Request,
               period: str | None = Query(None, pattern=_PERIOD,
                                          description="YYYY-MM or YYYY-Qn; default: the latest complete one"),
               kind: Literal["monthly", "quarterly", "campaign"] | None = Query(None),
               format: Literal["html", "md", "pdf"] = Query("html"),  # noqa: A002  (the public parameter name)
               by: str | None = Query(None, min_length=1, max_length=64,
                                      description="Attribute tested group by group (default: segment)"),
               start: str | None = Query(None, alias="from", pattern=_DATE, description="Campaign start"),
               end: str | None = Query(None, alias="to", pattern=_DATE,
                                       description="Campaign end, inclusive (YYYY-MM, YYYY-Qn, YYYY or a day)"),
               baseline_start: str | None = Query(None, alias="baseline_from", pattern=_DATE),
               baseline_end: str | None = Query(None, alias="baseline_to", pattern=_DATE),
               filters: list[str] = Query([], alias="filter", max_length=5,
                                          description="ATTRIBUTE:VALUE, e.g. segment:SMB (repeatable)")) -> Response:
    ws = state_of(request).workspace
    report = build_report(ws, period, kind=kind, by=by, start=start, end=end, baseline_start=baseline_start,
                          baseline_end=baseline_end, filters=parse_filter_items(filters, sep=":") or None)
    data = report.render(format)
    name = f"report-{report.period.replace('..', '-to-')}.{format}"
    return Response(content=data, media_type=MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})
