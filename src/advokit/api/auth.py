"""API-key authentication (``Authorization: Bearer KEY``), scopes and the per-key rate limit."""

from __future__ import annotations

import hmac
import typing
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..access.keys import ApiKey, Scope, allows
from ..errors import AuthError, ForbiddenError
from .hosts import is_loopback
from .state import AppState, state_of

bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey",
                    description="An API key from `advokit apikey create`, sent as `Authorization: Bearer KEY`.")


def _query_params(dependant: Any) -> dict[str, bool]:
    """The endpoint's query parameters: name -> whether it may repeat (a list)."""
    out = {p.alias: typing.get_origin(p.field_info.annotation) in (list, tuple, set) for p in dependant.query_params}
    for sub in dependant.dependencies:
        out.update(_query_params(sub))
    return out


def strict_query(request: Request) -> None:
    """Refuse unknown query parameters and repeated single ones (a typo must not be silently ignored)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_params(route.dependant)
    problems = [{"type": "extra_forbidden", "loc": ("query", name), "msg": "Unknown query parameter", "input": None}
                for name in sorted(set(request.query_params) - set(known))]
    problems += [{"type": "repeated", "loc": ("query", name), "msg": "Given more than once", "input": None}
                 for name, many in sorted(known.items()) if not many and len(request.query_params.getlist(name)) > 1]
    if problems:
        raise RequestValidationError(problems)


StrictQuery = Depends(strict_query)


#: the key the local token stands for (``advokit.api.routes_local`` opens only for it)
LOCAL_KEY_ID = "local"
LOCAL_KEY = ApiKey(id=LOCAL_KEY_ID, name="advokit serve: local token", scope="admin", created_at=None,
                   revoked_at=None)

KEY_STATE = "advokit_key"  # request.state: the key the request guard already checked (advokit.api.guard)


def client_address(scope: Mapping[str, Any]) -> str:
    """The client's address (the peer of the connection), the unit of the failed-authentication budget."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def note_failed_auth(state: AppState, client: str) -> None:
    """Spend one of ``client``'s failed authentications; RateLimitError (429) once they are spent."""
    state.failed_auth.take("auth:" + client, what="failed authentications")


def authorize(state: AppState, token: str | None, scope: Scope, *, client: str) -> ApiKey:
    """The key ``token`` names: valid, within its rate (one request spent), with at least ``scope``.

    A failed authentication spends one of the client address's budget
    (``auth_fail_rate``, ``auth_fail_burst``): past it the answer is 429, not 401.
    A valid key is never refused for its address's failures.

    The server's local token (``AppState.local_token``, kept in ``<workspace>.server`` for the
    command line) is an admin key from a loopback address only; from any other address
    (a proxy's ``X-Forwarded-For`` included) it is a failed authentication like a wrong key.
    """
    if state.local_token and token and hmac.compare_digest(token.encode(), state.local_token.encode()):
        if not is_loopback(client):
            note_failed_auth(state, client)
            raise AuthError("the local token of `advokit serve` is accepted only from this machine",
                            hint="send an API key from `advokit apikey create`")
        return LOCAL_KEY
    try:
        key = state.keys.authenticate(token)
    except ForbiddenError:
        raise
    except AuthError:
        note_failed_auth(state, client)
        raise
    state.limiter.take("key:" + key.id)
    if not allows(key.scope, scope):
        raise ForbiddenError(f"this key has scope {key.scope!r}; this endpoint needs {scope!r}",
                             hint=f"use a key created with --scope {scope}")
    return key


def check_key(request: Request, token: str | None, scope: Scope) -> ApiKey:
    """The request's key, checked by the request guard before the body was read, or checked now."""
    checked = getattr(request.state, KEY_STATE, None)
    if isinstance(checked, ApiKey) and allows(checked.scope, scope):
        return checked
    return authorize(state_of(request), token, scope, client=client_address(request.scope))


def require(scope: Scope) -> Callable[..., ApiKey]:
    """A dependency: the request's key, valid, within its rate, with at least ``scope``."""

    def dependency(request: Request,
                   credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiKey:
        key = check_key(request, credentials.credentials if credentials else None, scope)
        strict_query(request)
        return key

    dependency.__name__ = f"require_{scope}"
    dependency.advokit_scope = scope  # type: ignore[attr-defined]  # read by the request guard
    return dependency


ReadKey = Depends(require("read"))
WriteKey = Depends(require("write"))
AdminKey = Depends(require("admin"))
