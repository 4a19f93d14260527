"""A customer's profile and timeline; GDPR export and erasure (admin); the extra attributes (drop: admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request

from ..customers.profile import MAX_TIMELINE
from .auth import AdminKey, ReadKey
from .schemas import AUTH_ERRORS, AttributeOut, Erasure, Export, Profile, error_responses
from .state import state_of

router = APIRouter(tags=["customers"])
_ERRORS = error_responses(*AUTH_ERRORS, 404)
CustomerId = Path(min_length=1, max_length=256)


@router.get("/customers/{customer_id}", response_model=Profile, responses=_ERRORS, dependencies=[ReadKey],
            summary="A customer's profile with its event timeline (newest first)")
def get_customer(request: Request, customer_id: str = CustomerId, limit: int = Query(100, ge=1, le=MAX_TIMELINE),
                 offset: int = Query(0, ge=0, le=10_000_000)) -> dict[str, Any]:
    return state_of(request).workspace.customers.profile(customer_id, limit=limit, offset=offset)


@router.get("/customers/{customer_id}/export", response_model=Export, responses=_ERRORS, dependencies=[AdminKey],
            summary="Everything held about a customer (GDPR access)")
def export_customer(request: Request, customer_id: str = CustomerId) -> dict[str, Any]:
    return state_of(request).workspace.access.export(customer_id)


@router.delete("/customers/{customer_id}", response_model=Erasure, responses=_ERRORS, dependencies=[AdminKey],
               summary="Erase a customer and its events (GDPR erasure)")
def erase_customer(request: Request, customer_id: str = CustomerId) -> dict[str, Any]:
    return state_of(request).workspace.access.erase(customer_id)


# -- extra customer attributes ------------------------------------------------------------------
AttributeName = Path(min_length=1, max_length=64, description="An extra customer attribute, e.g. `tier`")


@router.get("/attributes", response_model=list[AttributeOut], responses=error_responses(*AUTH_ERRORS),
            dependencies=[ReadKey], summary="The extra customer attributes (and which are dimensions)")
def list_attributes(request: Request) -> list[dict[str, Any]]:
    return [a.to_dict() for a in state_of(request).workspace.customers.attributes()]


@router.delete("/attributes/{name}", response_model=AttributeOut, responses=_ERRORS, dependencies=[AdminKey],
               summary="Drop an extra customer attribute and its values (admin)")
def drop_attribute(request: Request, name: str = AttributeName) -> dict[str, Any]:
    return state_of(request).workspace.customers.drop_attribute(name).to_dict()
