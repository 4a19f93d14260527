"""THE error handler: every failure becomes one JSON shape with the right status.

::

    {"error": {"code": "forbidden", "message": "...", "hint": "...", "details": ...}}

``hint`` and ``details`` are present only when there is something to say.
Mapping: InputError / DataError / request validation / an unreadable body →
422 (``details`` lists every problem), AuthError → 401 (with ``WWW-Authenticate: Bearer``),
ForbiddenError → 403, NotFoundError → 404, PayloadTooLargeError → 413,
RateLimitError → 429 (with ``Retry-After``), WorkspaceError → 503, anything
else → 500 without internals.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    AdvokitError,
    RateLimitError,
)

log = logging.getLogger("advokit.api")

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
               415: "unsupported_media_type", 422: "invalid_input", 429: "rate_limited"}


def status_of(exc: AdvokitError) -> int:
    """The HTTP status of an error: the class's own ``http_status`` (500 for anything unexpected)."""
    return exc.http_status


def error_body(code: str, message: str, *, hint: str | None = None, details: Any = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if hint:
        err["hint"] = hint
    if details is not None:
        err["details"] = details
    return {"error": err}


def error_response(exc: AdvokitError) -> JSONResponse:
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitError):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 500:
        log.error("internal error: %s", exc)
    return JSONResponse({"error": exc.to_dict()}, status_code=status, headers=headers)


def validation_details(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic problems as plain JSON: where, what, which kind."""
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        out.append({"loc": ".".join(loc), "field": loc[-1] if loc else None, "message": e.get("msg", ""),
                    "type": e.get("type", "")})
    return out


async def _advokit(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AdvokitError)
    return error_response(exc)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = validation_details(list(exc.errors()))
    n = len(details)
    return JSONResponse(error_body("invalid_request", f"the request is invalid: {n} problem{'s' * (n != 1)}",
                                   hint="see details: one entry per problem, with its location",
                                   details=details), status_code=422)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI's "error parsing the body" (not UTF-8 / not JSON): invalid input
        return JSONResponse(error_body("invalid_request", "the request body cannot be read as UTF-8 JSON",
                                       hint="send Content-Type: application/json with a UTF-8 JSON body"),
                            status_code=422)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}"
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "internal error", hint="the server log has the details"),
                        status_code=500)


def install(app: FastAPI) -> None:
    """Register the one handler for every kind of failure."""
    app.add_exception_handler(AdvokitError, _advokit)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _internal)
