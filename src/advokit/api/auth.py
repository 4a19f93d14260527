"""API-key authentication (``Authorization: Bearer KEY``), scopes and the per-key rate limit."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..errors import ForbiddenError
from ..keys import ApiKey, Scope, allows
from .state import state_of

bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey",
                    description="An API key from `advokit apikey create`, sent as `Authorization: Bearer KEY`.")


def require(scope: Scope) -> Callable[..., ApiKey]:
    """A dependency: the request's key, valid, within its rate, with at least ``scope``."""

    def dependency(request: Request,
                   credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiKey:
        state = state_of(request)
        key = state.keys.authenticate(credentials.credentials if credentials else None)
        state.limiter.take("key:" + key.id)
        if not allows(key.scope, scope):
            raise ForbiddenError(f"this key has scope {key.scope!r}; this endpoint needs {scope!r}",
                                 hint=f"use a key created with --scope {scope}")
        return key

    dependency.__name__ = f"require_{scope}"
    return dependency


ReadKey = Depends(require("read"))
WriteKey = Depends(require("write"))
AdminKey = Depends(require("admin"))
