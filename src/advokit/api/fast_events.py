"""``POST /v1/events`` without the request model, for the common case: a plain batch of valid events.

FastAPI reads a body with ``json.loads`` and checks it against ``EventsBatch``
(strict pydantic models: two objects an item); for a batch of 1,000 events
that is 4-6 ms of the interpreter a request, more than the rest of the
import. This route class puts a shorter way in front of the declared endpoint:
when the request is the plain case (a bearer key, a JSON body, no query
parameters) and every item is certainly valid both for ``EventsBatch`` and for
every import rule (``rules.fast_events``), the body is read with orjson,
checked here, and imported with the same call the endpoint makes. Anything
else, or any doubt, is handed to the declared endpoint unchanged (the body
stays cached on the request), which answers exactly as before: the same
errors, the same 422 listing every problem, the same per-item results.

What ``EventsBatch`` requires beyond the import rules, and is checked here:
ids of 1-256 characters, short texts (type, channel, ref) up to 256, event
text up to 100,000, an ``occurred_at`` spelled with a year 1900-2999, and text
without NUL or lone surrogates (a body with any ``\\u`` escape goes the
declared way, so neither can reach this path: raw UTF-8 cannot hold either).
``tests/test_api_fast_events.py`` sends the same batches both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from ..ingest import rules
from .auth import check_key
from .responses import BatchJSONResponse
from .schemas import SHORT_MAX, TEXT_MAX
from .state import state_of

SOURCE_NAME = "api events"


class FastEventsRoute(APIRoute):
    """The declared route, with the plain valid batch imported without the request model."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        declared = super().get_route_handler()

        async def handler(request: Request) -> Response:
            token = _plain_token(request)
            if token is not None:
                body = await request.body()
                response = await run_in_threadpool(_import_if_plain, request, token, body)
                if response is not None:
                    return response
            return await declared(request)

        return handler


def _plain_token(request: Request) -> str | None:
    """The bearer token of a plain request (no query string, a JSON body), else None."""
    if request.scope.get("query_string"):
        return None
    headers = request.headers
    media = headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/json":
        return None
    scheme, _, token = headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _import_if_plain(request: Request, token: str, body: bytes) -> Response | None:
    """The response when the body is a plain batch of certainly valid events; None: the declared way."""
    if b"\\u" in body:
        return None
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(payload) is not dict or len(payload) != 1:
        return None
    events = payload.get("events")
    state = state_of(request)
    if type(events) is not list or not events or len(events) > state.settings.max_batch or not fits_model(events):
        return None
    checked = rules.fast_events(events)
    if checked is None:
        return None
    check_key(request, token, "write")  # checked before the body was read (advokit.api.guard): the same key
    result = state.workspace.ingest.batch("events", events, source_name=SOURCE_NAME, checked=checked)
    return BatchJSONResponse(result.to_dict(), status_code=207 if result.rejected else 200)


def fits_model(events: list[Any]) -> bool:
    """Whether ``EventsBatch`` accepts these items, given that ``rules.fast_events`` does (so no
    unknown field, no properties, numbers as numbers) and that the body held no ``\\u`` escape."""
    for r in events:
        if type(r) is not dict or type(r.get("type")) is not str:
            return False
        get = r.get
        for name in ("event_id", "customer_id"):
            v = get(name)
            if v is not None and (type(v) is not str or not 0 < len(v) <= SHORT_MAX):
                return False
        for name in ("channel", "ref"):
            v = get(name)
            if v is not None and (type(v) is not str or len(v) > SHORT_MAX):
                return False
        v = get("text")
        if v is not None and (type(v) is not str or len(v) > TEXT_MAX):
            return False
        v = get("occurred_at")
        if type(v) is not str or not (v[:1] == "2" or v[:2] == "19"):
            return False
    return True
