"""Signed webhooks from survey and referral tools, and their secrets (admin).

``POST /v1/webhooks/{source}`` needs no API key: the HMAC-SHA256 signature
of ``"{timestamp}.{body}"`` with the source's secret is the credential (see
:mod:`advokit.access.webhooks`). The mapped events go through the same importer
and come back with the same per-item results as ``POST /v1/events``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Body, Path, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from ..access.webhooks import PRESET_KINDS, SIGNATURE_HEADER, TIMESTAMP_HEADER, to_events
from ..errors import AuthError, DataError, PayloadTooLargeError
from ..mapping.webhooks import recognises
from ..store import jsonvalues
from .auth import AdminKey, StrictQuery, client_address, note_failed_auth
from .errors import validation_details
from .responses import SafeJSONResponse
from .schemas import (
    AUTH_ERRORS,
    BatchOut,
    EventsBatch,
    NewSecretOut,
    SecretIn,
    SourceOut,
    error_responses,
)
from .state import AppState, state_of

router = APIRouter(tags=["webhooks"])
Source = Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="The sending tool, e.g. `delighted`")

_RECEIVE_DOC: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "description": "The tool's payload: canonical events, a survey response, a referral event, "
                       "or a Delighted, Typeform or Trustpilot push"}}}},
    "parameters": [
        {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
         "description": "Unix seconds when the delivery was signed"},
        {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
         "description": "`sha256=` + hex HMAC-SHA256 of `{timestamp}.{body}` with the source's secret"},
    ],
}


def _preset(source: str, kind: str, payload: Any) -> str | None:
    """The import preset that maps this delivery: the source's kind, or (kind ``auto``) its name."""
    if kind in PRESET_KINDS:
        return kind
    if kind == "auto" and source in PRESET_KINDS and recognises(source, payload):
        return source
    return None


def _receive(state: AppState, source: str, body: bytes, timestamp: str | None,
             signature: str | None, client: str) -> SafeJSONResponse:
    try:
        found = state.webhooks.verify(source, body, timestamp, signature)
    except AuthError:  # an unknown source too: one answer, so sources cannot be enumerated
        note_failed_auth(state, client)
        raise
    state.limiter.take("webhook:" + source)
    try:
        payload = jsonvalues.loads(body)
    except ValueError as exc:
        raise DataError("the webhook body is not JSON" + (" (nested too deeply)" if "deeply" in str(exc) else "")) from None
    preset = _preset(source, found.kind, payload)
    if preset is not None:  # the tool's own push, mapped by the import preset of its name
        events = state.workspace.mapping.webhook_events(preset, payload)
    else:
        events = to_events(source, found.kind, payload)
    if len(events) > state.settings.max_batch:
        raise PayloadTooLargeError(f"{len(events):,} events are over the batch limit of {state.settings.max_batch:,}")
    try:  # the same shape rules as POST /v1/events
        batch = EventsBatch.model_validate({"events": events})
    except ValidationError as exc:
        raise DataError(f"the {source} delivery maps to events of the wrong shape",
                        hint="see details; the payload shapes are in docs/api.md",
                        details=validation_details(list(exc.errors()))) from None
    records = [e.model_dump() for e in batch.events]
    result = state.workspace.ingest.batch("events", records, source_name=f"webhook {source}")
    return SafeJSONResponse(result.to_dict(), status_code=207 if result.rejected else 200)


@router.post("/webhooks/{source}", response_model=None, openapi_extra=_RECEIVE_DOC, dependencies=[StrictQuery],
             summary="Receive a signed delivery from a tool",
             responses={200: {"model": BatchOut, "description": "Every event accepted or duplicate"},
                        207: {"model": BatchOut, "description": "Some events rejected"},
                        **error_responses(401, 413, 422, 429)})
async def receive(request: Request, source: str = Source) -> SafeJSONResponse:
    body = await request.body()
    return await run_in_threadpool(_receive, state_of(request), source, body,
                                   request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER),
                                   client_address(request.scope))


@router.get("/webhooks", response_model=list[SourceOut], dependencies=[AdminKey],
            responses=error_responses(*AUTH_ERRORS), summary="The signed sources")
def list_sources(request: Request) -> list[dict[str, Any]]:
    return [s.to_dict() for s in state_of(request).webhooks.list()]


@router.put("/webhooks/{source}/secret", response_model=NewSecretOut, dependencies=[AdminKey],
            responses=error_responses(*AUTH_ERRORS), summary="Set or rotate a source's secret (shown once)")
def set_secret(request: Request, source: str = Source, body: SecretIn | None = Body(None)) -> dict[str, Any]:
    body = body or SecretIn.model_validate({})
    secret, found = state_of(request).webhooks.set_secret(source, kind=body.kind,
                                                          grace=dt.timedelta(hours=body.grace_hours))
    return {**found.to_dict(), "secret": secret}


@router.delete("/webhooks/{source}/previous-secret", response_model=SourceOut, dependencies=[AdminKey],
               responses=error_responses(*AUTH_ERRORS, 404),
               summary="Stop accepting the previous secret now (end the rotation's grace period)")
def revoke_previous(request: Request, source: str = Source) -> dict[str, Any]:
    return state_of(request).webhooks.revoke_previous(source).to_dict()


@router.delete("/webhooks/{source}", response_model=SourceOut, dependencies=[AdminKey],
               responses=error_responses(*AUTH_ERRORS, 404), summary="Remove a source and its secret")
def delete_source(request: Request, source: str = Source) -> dict[str, Any]:
    return state_of(request).webhooks.delete(source).to_dict()
