"""API keys over HTTP (admin): while the server holds the workspace, the CLI cannot open it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request

from .auth import AdminKey
from .schemas import AUTH_ERRORS, KeyIn, KeyOut, NewKeyOut, error_responses
from .state import state_of

router = APIRouter(tags=["api keys"], dependencies=[AdminKey])


@router.get("/apikeys", response_model=list[KeyOut], responses=error_responses(*AUTH_ERRORS),
            summary="Every key (never the secret)")
def list_keys(request: Request) -> list[dict[str, Any]]:
    return [k.to_dict() for k in state_of(request).keys.list()]


@router.post("/apikeys", response_model=NewKeyOut, status_code=201, responses=error_responses(*AUTH_ERRORS),
             summary="Create a key (shown once)")
def create_key(request: Request, body: KeyIn) -> dict[str, Any]:
    return state_of(request).keys.create(name=body.name, scope=body.scope).to_dict()


@router.delete("/apikeys/{key_id}", response_model=KeyOut, responses=error_responses(*AUTH_ERRORS, 404),
               summary="Revoke a key")
def revoke_key(request: Request, key_id: str = Path(min_length=1, max_length=64)) -> dict[str, Any]:
    return state_of(request).keys.revoke(key_id).to_dict()
