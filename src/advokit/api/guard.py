"""What a request meets before the app reads its body, and what stops an unhandled error at the door.

:class:`RequestGuard` stands between the server and the app for a request that
may carry a body (any method but GET, HEAD and OPTIONS). The app reads a body
only after routing, so when it first asks for the body the guard knows the
route, and checks, in this order:

1. **the API key**, when the route needs one (a ``require(scope)`` dependency,
   :mod:`advokit.api.auth`), from the headers alone, before one byte of the
   body is taken: a bad key costs no parsing (401, 403; an address past its
   budget of failed authentications gets 429). The checked key is left on
   ``request.state``, so the route's dependency does not check it again;
2. **the declared size**: a ``Content-Length`` over ``max_body_bytes`` is 413;
3. **the body as it arrives**: past ``max_body_bytes`` it is 413, and a body
   that stalls for ``body_timeout`` seconds (no byte arriving) is 408.

A refusal is answered at once, in the one error shape, with ``Connection:
close``; the rest of the body is then read and discarded, up to
``max_discard_bytes`` and never waiting more than ``body_timeout`` for a byte,
before the connection closes. So a client that sends its whole body before it
reads (Python's urllib, most HTTP libraries) reads the answer instead of a
connection reset, and one that reads as it sends (curl) reads it at once. A
client that sent ``Expect: 100-continue`` is refused before it sends anything
(the server sends ``100 Continue`` only when the app reads) and is not waited
for. After a refusal the app is told the client went away, and what it answers
is dropped.

:class:`ErrorGuard`: an unhandled exception becomes the one 500 answer here
and goes no further. Starlette would answer it and then re-raise it to the
server, which drops the connection, so the client's next request on that
keep-alive connection failed with a reset.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from ..access.keys import Scope as KeyScope
from ..errors import AdvokitError, PayloadTooLargeError, RequestTimeoutError
from .auth import KEY_STATE, authorize, client_address
from .errors import error_body, error_response
from .limits import ASGIApp, Message, Receive, Scope, Send
from .settings import ApiSettings

log = logging.getLogger("advokit.api")

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


class RequestGuard:
    """The key before the body, bounded bodies, stalled bodies timed out, refusals the client can read."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        request = _GuardedRequest(self.settings, scope, receive, send)
        try:
            await self.app(scope, request.receive, request.send)
        except Exception:
            if not request.refused:  # after a refusal the app only sees a client that went away
                raise


class _GuardedRequest:
    """One request's ``receive`` and ``send`` as the app sees them.

    The app reads the body only after routing, so on its first read the route
    (``scope["route"]``) says whether a key is needed: it is checked then, before
    a byte of the body is taken. A refusal is answered here; the app is then told
    that the client went away and whatever it answers is dropped.
    """

    def __init__(self, settings: ApiSettings, scope: Scope, receive: Receive, send: Send) -> None:
        self.settings = settings
        self.scope = scope
        self._receive = receive
        self._send = send
        self.declared = _content_length(scope)
        self.size = 0
        self.first = True
        self.started = False
        self.refused = False

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        if self.first:
            self.first = False
            problem = await self._check_key()
            limit = self.settings.max_body_bytes
            if problem is None and self.declared is not None and self.declared > limit:
                problem = _too_large(limit)
            if problem is not None:
                return await self._refuse(problem, pending=self.declared != 0)
        message = await self._next()
        if message is None:
            return await self._refuse(_stalled(self.settings.body_timeout), pending=False)
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > self.settings.max_body_bytes:
                return await self._refuse(_too_large(self.settings.max_body_bytes),
                                          pending=message.get("more_body", False))
        return message

    async def _check_key(self) -> AdvokitError | None:
        """The refusal of the request's key, when its route needs one (None: fine, or none needed)."""
        route = self.scope.get("route")
        need = None if route is None else _needed(route)
        if need is None:
            return None
        state = self.scope["app"].state.advokit
        try:
            key = await run_in_threadpool(authorize, state, _bearer(self.scope), need,
                                          client=client_address(self.scope))
        except AdvokitError as exc:
            return exc
        self.scope.setdefault("state", {})[KEY_STATE] = key
        return None

    async def _next(self) -> Message | None:
        """The next message of the request, or None when none came within ``body_timeout``."""
        try:
            return await asyncio.wait_for(self._receive(), self.settings.body_timeout)
        except TimeoutError:
            return None

    async def _refuse(self, exc: AdvokitError, *, pending: bool) -> Message:
        """Answer ``exc`` now, discard what is left of the body (bounded), close; the app sees a disconnect."""
        if not self.started:
            response = error_response(exc)
            budget = self.settings.max_discard_bytes
            drain = (pending and not _expects_continue(self.scope)
                     and (self.declared is None or self.declared - self.size <= budget))
            await self._send({"type": "http.response.start", "status": response.status_code,
                              "headers": [*response.raw_headers, (b"connection", b"close")]})
            await self._send({"type": "http.response.body", "body": response.body, "more_body": drain})
            while drain and budget >= 0:
                message = await self._next()
                if message is None or message["type"] != "http.request":
                    break
                budget -= len(message.get("body", b""))
                drain = message.get("more_body", False)
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})
        self.refused = True
        return {"type": "http.disconnect"}


def _needed(route: BaseRoute) -> KeyScope | None:
    """The scope of the ``require(scope)`` dependency of ``route`` (None: the route needs no key)."""
    dependant = getattr(route, "dependant", None)
    return None if dependant is None else _walk(dependant)


def _walk(dependant: Any) -> KeyScope | None:
    for sub in dependant.dependencies:
        found = getattr(sub.call, "advokit_scope", None) or _walk(sub)
        if found:
            return found
    return None


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"request body too large: over {limit:,} bytes", hint="send smaller batches")


def _stalled(seconds: float) -> RequestTimeoutError:
    return RequestTimeoutError(f"the request body stalled: no data for {seconds:g} s",
                               hint="send the whole body without pausing")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def _expects_continue(scope: Scope) -> bool:
    return (_header(scope, b"expect") or b"").strip().lower() == b"100-continue"


def _bearer(scope: Scope) -> str | None:
    """The token of ``Authorization: Bearer TOKEN`` (as FastAPI's HTTPBearer reads it), else None."""
    raw = (_header(scope, b"authorization") or b"").decode("latin-1")
    scheme, _, token = raw.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class ErrorGuard:
    """An unhandled exception becomes the one 500 answer, and the connection stays usable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:  # half an answer is out: only dropping the connection tells the client
                raise
            log.error("internal error on %s %s", scope.get("method"), scope.get("path"), exc_info=exc)
            payload = error_body("internal_error", "internal error", hint="the server log has the details")
            await JSONResponse(payload, status_code=500)(scope, receive, send)


def install(app: FastAPI, settings: ApiSettings) -> None:
    """Put the guards in front of the app: the error guard outermost, then the request guard."""
    app.add_middleware(RequestGuard, settings=settings)
    app.add_middleware(ErrorGuard)
