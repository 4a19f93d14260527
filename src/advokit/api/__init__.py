"""The REST API: a thin HTTP shell over :class:`advokit.Workspace` (FastAPI, served by uvicorn).

``create_app(workspace, settings=...)`` builds the ASGI application; every
route is under ``/v1`` so that the dashboard can mount its pages at ``/``
(pass ``extra_routers=[...]`` or call ``app.include_router`` afterwards).
Importing this package does not import FastAPI; ``create_app`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import ApiSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ApiSettings", "create_app"]


def create_app(workspace: Any, *, settings: ApiSettings | None = None, **options: Any) -> "FastAPI":
    """The ASGI application over ``workspace`` (see :func:`advokit.api.app.create_app`)."""
    from .app import create_app as _create

    return _create(workspace, settings=settings, **options)
