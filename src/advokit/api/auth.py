"""API-key authentication (``Authorization: Bearer KEY``), scopes and the per-key rate limit."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..access.keys import ApiKey, Scope, allows
from ..errors import ForbiddenError
from .state import state_of

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


def check_key(request: Request, token: str | None, scope: Scope) -> ApiKey:
    """The key ``token`` names: valid, within its rate (one request spent), with at least ``scope``."""
    state = state_of(request)
    key = state.keys.authenticate(token)
    state.limiter.take("key:" + key.id)
    if not allows(key.scope, scope):
        raise ForbiddenError(f"this key has scope {key.scope!r}; this endpoint needs {scope!r}",
                             hint=f"use a key created with --scope {scope}")
    return key


def require(scope: Scope) -> Callable[..., ApiKey]:
    """A dependency: the request's key, valid, within its rate, with at least ``scope``."""

    def dependency(request: Request,
                   credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiKey:
        key = check_key(request, credentials.credentials if credentials else None, scope)
        strict_query(request)
        return key

    dependency.__name__ = f"require_{scope}"
    return dependency


ReadKey = Depends(require("read"))
WriteKey = Depends(require("write"))
AdminKey = Depends(require("admin"))
