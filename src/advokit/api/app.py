"""``create_app``: the one ASGI application over a workspace.

The API lives under ``/v1``; ``/`` is left to the dashboard, which passes its
routers as ``extra_routers`` (or calls ``app.include_router`` on the result).
Handlers are plain functions run in a thread pool: each worker thread has its
own DuckDB cursor (``Database.cursor()`` is thread-local) and writes are
serialised by the workspace's write lock.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from .._version import __version__
from ..workspace import Workspace
from . import (
    docs_page,
    errors,
    guard,
    routes_advocates,
    routes_journey,
    routes_models,
    routes_coverage,
    routes_customers,
    routes_funnel,
    routes_ingest,
    routes_keys,
    routes_kpis,
    routes_listening,
    routes_local,
    routes_loops,
    routes_meta,
    routes_reports,
    routes_text,
    routes_themes,
    routes_webhooks,
)
from .headers import SecurityHeadersMiddleware
from .hosts import HostMiddleware, HostPolicy
from .limits import RateLimiter
from .settings import ApiSettings
from .state import AppState

API_PREFIX = "/v1"

DESCRIPTION = """\
The advokit REST API: ingest customers and events, read KPI values and the
catalogue, customer profiles, signed webhooks and GDPR requests.

Send an API key as `Authorization: Bearer KEY` (create one with
`advokit apikey create --scope read|write|admin --name NAME`); scopes are
ordered read < write < admin. Every error has one shape:
`{"error": {"code", "message", "hint"?, "details"?}}`.
"""


def create_app(workspace: Workspace, *, settings: ApiSettings | None = None,
               extra_routers: Sequence[APIRouter] = (), hosts: HostPolicy | None = None,
               local_token: str | None = None) -> FastAPI:
    """The application: API routes under ``/v1``, then ``extra_routers`` (e.g. the dashboard at ``/``).

    ``hosts`` is the ``Host`` allow-list (``advokit serve`` always passes one); without it any host is answered.
    ``local_token``: the token of ``<workspace>.server`` that opens ``/v1/local`` from this machine (none: closed).
    """
    settings = settings or ApiSettings.from_env()
    app = FastAPI(title="advokit", version=__version__, description=DESCRIPTION, openapi_url="/openapi.json",
                  docs_url=None, redoc_url=None)
    app.state.advokit = AppState(workspace=workspace, settings=settings,
                                 limiter=RateLimiter(settings.rate, settings.burst),
                                 keys=workspace.access.keys, webhooks=workspace.access.webhooks,
                                 local_token=local_token)
    errors.install(app)
    guard.install(app, settings)  # the key before the body, bounded and timed bodies, 500s that keep the connection
    if hosts is not None:
        app.add_middleware(HostMiddleware, policy=hosts)  # outside the guard: a bad Host is refused before any body
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: also on the 408, 413 and 421 answers
    for module in (routes_meta, routes_ingest, routes_kpis, routes_customers, routes_webhooks, routes_keys,
                   routes_reports, routes_coverage, routes_text, routes_themes, routes_listening,
                   routes_loops, routes_funnel, routes_advocates, routes_models, routes_journey, routes_local):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(docs_page.router)
    for router in extra_routers:
        app.include_router(router)
    return app
