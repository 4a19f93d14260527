"""Batch upsert of customers and batch append of events, with a result per item.

Status: 200 when every item is accepted, a duplicate, updated or unchanged;
207 (Multi-Status) when some items are rejected (the valid ones landed; read
``items``). With ``?strict=true`` nothing lands if any item is rejected: 422
with the rejected items in ``error.details``. Replaying a batch changes
nothing (events are deduplicated by ``event_id``; customers come back
``unchanged``). A plain batch of valid events takes a shorter way to the same
import (``advokit.api.fast_events``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from ..errors import PayloadTooLargeError
from ..workspace import Workspace
from .auth import WriteKey
from .fast_events import FastEventsRoute
from .responses import BatchJSONResponse
from .schemas import AUTH_ERRORS, BatchOut, CustomersBatch, EventsBatch, error_responses
from .state import state_of

router = APIRouter(tags=["ingest"])
events_router = APIRouter(tags=["ingest"], route_class=FastEventsRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": BatchOut, "description": "Every item accepted, duplicate, updated or unchanged"},
    207: {"model": BatchOut, "description": "Some items rejected (each with field and reason); the others landed"},
    **error_responses(*AUTH_ERRORS, 413),
}
_STRICT = Query(False, description="Land nothing if any item is rejected (422).")


def _check_size(request: Request, n: int) -> None:
    limit = state_of(request).settings.max_batch
    if n > limit:
        raise PayloadTooLargeError(f"batch of {n:,} items is over the limit of {limit:,}",
                                   hint="split it into smaller batches")


def _run(ws: Workspace, kind: str, records: list[dict[str, Any]], strict: bool) -> BatchJSONResponse:
    result = ws.ingest.batch(kind, records, strict=strict, source_name=f"api {kind}")
    return BatchJSONResponse(result.to_dict(), status_code=207 if result.rejected else 200)


@router.post("/customers", response_model=None, responses=_RESPONSES, dependencies=[WriteKey],
             summary="Upsert customers by customer_id")
def post_customers(batch: CustomersBatch, request: Request, strict: bool = _STRICT) -> BatchJSONResponse:
    _check_size(request, len(batch.customers))
    records = [c.model_dump() for c in batch.customers]
    return _run(state_of(request).workspace, "customers", records, strict)


@events_router.post("/events", response_model=None, responses=_RESPONSES, dependencies=[WriteKey],
             summary="Append events (deduplicated by event_id)")
def post_events(batch: EventsBatch, request: Request, strict: bool = _STRICT) -> BatchJSONResponse:
    _check_size(request, len(batch.events))
    records = [e.__dict__ for e in batch.events]  # = model_dump() (flat fields, nothing extra), read only, no copy
    return _run(state_of(request).workspace, "events", records, strict)



router.include_router(events_router)
