"""The header's navigation highlights the section a page belongs to (a KPI page is the scorecard's)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest
from fastapi.routing import APIRoute

from advokit import Workspace
from advokit.web import routers
from advokit.web.sections import SECTIONS, section_of

#: every GET route of the dashboard → (an address of it, the section it belongs to)
ROUTES: dict[str, tuple[str, str | None]] = {
    "/": ("/", "scorecard"),
    "/kpis/{kpi_id}": ("/kpis/nps", "scorecard"),
    "/catalogue": ("/catalogue", "catalogue"),
    "/data": ("/data", "data"),
    "/voice": ("/voice", "voice"),
    "/advocates": ("/advocates", "advocates"),
    "/customers": ("/customers", "customers"),
    "/customers/{customer_id:path}": ("/customers/C0001", "customers"),
    "/signin": ("/signin", None),
    "/static/{name}": ("/static/dashboard.css", None),
}


def test_every_dashboard_route_has_its_section(workspace: Workspace) -> None:
    (router,) = routers(workspace, warm=False)
    got = {r.path for r in router.routes if isinstance(r, APIRoute) and "GET" in r.methods}
    assert got == set(ROUTES), "a new page needs its section here and in advokit.web.sections"
    for template, (path, section) in ROUTES.items():
        assert section_of(path) == section, (template, path)


@pytest.mark.parametrize(("path", "section"), [
    ("/kpis/csat", "scorecard"), ("/kpis/a%2Fb", "scorecard"), ("/customers/C-1/with/slash", "customers"),
    ("/kpisx", None), ("/customersx", None), ("/catalogue", "catalogue"), ("/v1/kpis", None), ("", None)])
def test_section_of_matches_whole_path_segments(path: str, section: str | None) -> None:
    assert section_of(path) == section


def test_the_served_pages_mark_their_section_and_only_it(demo: SimpleNamespace) -> None:
    customers = httpx.get(demo.url + "/customers", timeout=60).text
    customer = re.search(r'href="(/customers/[^"?]+)"', customers)
    assert customer, "no customer link on /customers"
    paths = {"/": "Scorecard", "/kpis/nps?by=region": "Scorecard", "/catalogue?q=churn": "Catalogue",
             "/data": "Data", "/customers": "Customers", customer.group(1): "Customers"}
    for path, label in paths.items():
        html = httpx.get(demo.url + path, timeout=60).text
        current = re.findall(r'<a href="([^"]*)" aria-current="page">([^<]*)</a>', html)
        assert current == [(next(s.href for s in SECTIONS if s.label == label), label)], (path, current)
