"""The web dashboard: server-rendered pages at ``/`` on the same application as the REST API.

``advokit serve`` mounts :func:`routers` next to the API (``create_app(ws,
extra_routers=routers(ws))``). The dashboard is a thin shell: every number
comes from the Workspace (scorecard, analyze, values), rendered with Jinja2
templates (autoescaped) and charts drawn by the plotly.min.js bundled in the
installed plotly package, served from ``/static`` (nothing from a CDN).
Pages are listed in :mod:`advokit.web.pages`; sign-in and CSRF in
:mod:`advokit.web.security`.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from ..workspace import Workspace
from .dashboard import Dashboard
from .pages import build_router

__all__ = ["Dashboard", "build_router", "routers"]


def routers(ws: Workspace, *, warm: bool = True,
            origin_allowed: Callable[[str], bool] | None = None) -> list[APIRouter]:
    """The dashboard's routers over ``ws``; ``warm`` computes the default scorecard in the background.

    ``origin_allowed`` says whether a form's ``Origin`` is this server (``advokit serve`` passes its host
    allow-list's check); by default only loopback origins are.
    """
    dashboard = Dashboard(ws, origin_allowed=origin_allowed)
    if warm:
        dashboard.warm()
    return [build_router(dashboard)]
