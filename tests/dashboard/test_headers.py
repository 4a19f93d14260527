"""Security headers on every kind of HTML answer (and nosniff on every answer), against the real server.

Kinds: a dashboard page, a dashboard error page, the sign-in page, the API
reference at /v1/docs, an HTML report from /v1/reports and the 421 page of a
host the server does not answer to. The dashboard sets its own policy (its
scripts from /static); everything else gets advokit.api.headers.HTML_CSP (no
script at all). The browser test proves both policies let the pages work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from advokit.api.headers import HTML_CSP
from advokit.web.render import CSP as DASHBOARD_CSP

from .support import Tab

DASHBOARD = ("page", "error_page", "signin")
KINDS = (*DASHBOARD, "docs", "report", "misdirected")


def _signed_in(keyed: SimpleNamespace) -> httpx.Client:
    client = httpx.Client(base_url=keyed.url, follow_redirects=False, timeout=120)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert token
    assert client.post("/signin", data={"csrf": token.group(1), "key": keyed.keys["read"]}).status_code == 303
    return client


@pytest.fixture(scope="module")
def answers(keyed: SimpleNamespace) -> Iterator[dict[str, httpx.Response]]:
    """One answer of each kind of HTML the server sends."""
    read = {"Authorization": f"Bearer {keyed.keys['read']}"}
    client = _signed_in(keyed)
    try:
        out = {"page": client.get("/kpis/nps?period=2025-01"), "error_page": client.get("/kpis/no_such_kpi"),
               "signin": httpx.get(keyed.url + "/signin"), "docs": httpx.get(keyed.url + "/v1/docs"),
               "report": httpx.get(keyed.url + "/v1/reports?format=html", headers=read, timeout=120),
               "misdirected": httpx.get(keyed.url + "/", headers={"Host": f"attacker.example:{keyed.server.port}"})}
    finally:
        client.close()
    yield out


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_html_answer_is_html(answers: dict[str, httpx.Response], kind: str) -> None:
    r = answers[kind]
    status = {"error_page": 404, "misdirected": 421}.get(kind, 200)
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("kind", KINDS)
def test_each_html_answer_has_a_content_security_policy(answers: dict[str, httpx.Response], kind: str) -> None:
    expected = DASHBOARD_CSP if kind in DASHBOARD else HTML_CSP
    assert answers[kind].headers.get_list("content-security-policy") == [expected]


@pytest.mark.parametrize("kind", KINDS)
def test_each_html_answer_has_nosniff(answers: dict[str, httpx.Response], kind: str) -> None:
    assert answers[kind].headers.get_list("x-content-type-options") == ["nosniff"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_html_answer_has_a_referrer_policy(answers: dict[str, httpx.Response], kind: str) -> None:
    expected = "same-origin" if kind in DASHBOARD else "no-referrer"
    assert answers[kind].headers.get_list("referrer-policy") == [expected]


def test_the_html_policy_allows_no_script_and_nothing_from_elsewhere() -> None:
    rules = dict(part.strip().split(" ", 1) for part in HTML_CSP.split(";"))
    assert rules["default-src"] == "'none'" and "script-src" not in rules
    assert rules["style-src"] == "'unsafe-inline'" and rules["img-src"] == "data:"
    assert rules["frame-ancestors"] == "'none'" and rules["base-uri"] == "'none'" and rules["form-action"] == "'none'"


@pytest.mark.parametrize("path", ["/v1/health", "/openapi.json", "/v1/kpis", "/v1/nope", "/", "/static/dashboard.css",
                                  "/static/plotly.min.js", "/v1/reports?format=md"])
def test_every_answer_has_nosniff(keyed: SimpleNamespace, path: str) -> None:
    headers = {"Authorization": f"Bearer {keyed.keys['read']}"} if "reports" in path else {}
    r = httpx.get(keyed.url + path, headers=headers, follow_redirects=False, timeout=120)
    assert r.status_code in (200, 303, 401, 404)
    assert r.headers.get_list("x-content-type-options") == ["nosniff"]


def test_the_api_reference_loads_nothing_from_elsewhere(answers: dict[str, httpx.Response]) -> None:
    text = answers["docs"].text
    assert "<script" not in text.lower() and "cdn" not in text.lower()
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    assert '<a href="/openapi.json">' in text
    assert "<code>/v1/events</code>" in text and "<code>/v1/reports</code>" in text
    assert "/kpis/{kpi_id}" not in text.replace("/v1/kpis/{kpi_id}", "")  # the dashboard's routes are not in it


@pytest.mark.browser
@pytest.mark.slow
def test_pages_under_their_policies_work_in_chromium(browser: Any, keyed: SimpleNamespace, tmp_path: Path) -> None:
    """A CSP violation is a console error: the report's styles and charts, the reference, the 421 page."""
    tab = Tab(browser, keyed.url, tmp_path / "shots")
    try:
        tab.context.set_extra_http_headers({"Authorization": f"Bearer {keyed.keys['read']}"})
        tab.page.goto("/v1/reports?format=html", timeout=180_000)  # built on request: slow on a busy machine
        assert tab.page.locator("figure svg").count() > 0
        size = tab.page.evaluate("getComputedStyle(document.querySelector('h2')).fontSize")
        assert size == "20.25px"  # the inline stylesheet applied (h2 1.35rem of 15px; 24px without it)
        tab.page.goto("/v1/docs")
        assert "REST API" in tab.page.locator("h1").inner_text()
        tab.page.goto("/signin")
        assert tab.page.locator("input[name=key]").count() == 1
    finally:
        tab.close()
    assert not tab.external, tab.external
    assert not tab.errors, tab.errors
