"""The dashboard over plain HTTP against the real server: assets, headers, CSRF, sign-in, error pages."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest

EXTERNAL = ('src="http', "src='http", 'href="http://', 'href="https://', "href='http")
PAGES = ["/", "/?grain=quarter", "/?grain=year&filter=segment:SMB", "/kpis/nps", "/kpis/referral_revenue?by=region",
         "/catalogue", "/catalogue?q=churn", "/customers", "/customers?q=acme&sort=arr&order=desc"]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_html_with_nothing_from_the_internet(demo: SimpleNamespace, path: str) -> None:
    r = httpx.get(demo.url + path, timeout=60)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text.lower()
    assert not any(s in r.text for s in EXTERNAL)
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text  # no inline script: figures travel as application/json


def test_plotly_is_served_from_the_installed_package(demo: SimpleNamespace) -> None:
    html = httpx.get(demo.url + "/kpis/nps").text
    src = re.search(r'<script src="(/static/plotly\.min\.js\?v=[^"]+)"', html)
    assert src, "the KPI page does not load the local plotly.min.js"
    r = httpx.get(demo.url + src.group(1))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers.get("content-encoding") == "gzip"  # httpx asks for gzip and unpacks it
    assert len(r.content) > 1_000_000 and b"plotly" in r.content[:2000].lower()
    assert httpx.get(demo.url + "/static/nope.js").status_code == 404


def test_dashboard_routes_stay_out_of_the_openapi_document(demo: SimpleNamespace) -> None:
    paths = httpx.get(demo.url + "/openapi.json").json()["paths"]
    assert all(p.startswith("/v1") for p in paths), [p for p in paths if not p.startswith("/v1")]


@pytest.mark.parametrize(("path", "status"), [("/?period=2025-13", 422), ("/?grain=week", 422),
                                              ("/?filter=nope:x", 422), ("/kpis/no_such_kpi", 404),
                                              ("/customers/no-such-customer", 404), ("/customers?page=x", 422),
                                              ("/customers?sort=email", 422)])
def test_bad_addresses_get_an_html_error_page(demo: SimpleNamespace, path: str, status: int) -> None:
    r = httpx.get(demo.url + path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert "Back to the scorecard" in r.text


def test_a_comment_needs_the_csrf_token_and_the_same_origin(demo: SimpleNamespace) -> None:
    with httpx.Client(base_url=demo.url, follow_redirects=False) as client:
        token = csrf_of(client.get(f"/kpis/nps?period={demo.month}").text)  # sets the browser cookie
        form = {"period": demo.month, "body": "csrf check", "next": "/kpis/nps"}
        assert client.post("/kpis/nps/comments", data=form).status_code == 403
        assert client.post("/kpis/nps/comments", data={**form, "csrf": "forged"}).status_code == 403
        other = client.post("/kpis/nps/comments", data={**form, "csrf": token},
                            headers={"Origin": "http://evil.example"})
        assert other.status_code == 403
        fresh = httpx.post(demo.url + "/kpis/nps/comments", data={**form, "csrf": token})  # no cookie
        assert fresh.status_code == 403
        ok = client.post("/kpis/nps/comments", data={**form, "csrf": token, "next": "//evil.example/x"})
        assert ok.status_code == 303
        assert ok.headers["location"].startswith("/kpis/nps?") and ok.headers["location"].endswith("#comments")
        empty = client.post("/kpis/nps/comments", data={**form, "csrf": token, "body": "  "})
        assert empty.status_code == 422
        long = client.post("/kpis/nps/comments", data={**form, "csrf": token, "body": "x" * 1001})
        assert long.status_code == 422


def test_pages_ask_to_sign_in_when_keys_exist(keyed: SimpleNamespace) -> None:
    with httpx.Client(base_url=keyed.url, follow_redirects=False, timeout=60) as client:
        r = client.get("/kpis/nps?period=2025-01")
        assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2Fkpis%2Fnps%3Fperiod%3D2025-01"
        assert client.get("/static/dashboard.css").status_code == 200  # the sign-in page needs its style
        page = client.get("/signin?next=/kpis/nps")
        assert page.status_code == 200 and "Open local mode" not in page.text
        token = csrf_of(page.text)
        bad = client.post("/signin", data={"csrf": token, "key": "adk_wrong", "next": "/"})
        assert bad.status_code == 401 and "invalid or revoked API key" in bad.text
        no_csrf = client.post("/signin", data={"key": keyed.keys["read"], "next": "/"})
        assert no_csrf.status_code == 403
        good = client.post("/signin", data={"csrf": token, "key": keyed.keys["read"], "next": "https://evil.example/"})
        assert good.status_code == 303 and good.headers["location"] == "/"
        cookie = good.headers["set-cookie"]
        assert "advokit_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert keyed.keys["read"] not in cookie
        home = client.get("/?period=2025-01")
        assert home.status_code == 200 and "Signed in" in home.text
        # a read key may look but not comment
        token = csrf_of(home.text)
        denied = client.post("/kpis/nps/comments", data={"csrf": token, "period": "2025-01", "body": "hi"})
        assert denied.status_code == 403
    # the API itself still wants a Bearer key
    assert httpx.get(keyed.url + "/v1/kpis").status_code == 401


def test_a_write_key_can_comment_and_sign_out_ends_the_session(keyed: SimpleNamespace) -> None:
    with httpx.Client(base_url=keyed.url, follow_redirects=False, timeout=60) as client:
        token = csrf_of(client.get("/signin").text)
        assert client.post("/signin", data={"csrf": token, "key": keyed.keys["write"]}).status_code == 303
        page = client.get("/kpis/nps?period=2025-01")
        token = csrf_of(page.text)
        r = client.post("/kpis/nps/comments", data={"csrf": token, "period": "2025-01", "body": "January: 4 answers"})
        assert r.status_code == 303
        page = client.get("/kpis/nps?period=2025-01")
        assert "January: 4 answers" in page.text and "test-write" in page.text  # the key's name is the author
        assert client.post("/signout", data={"csrf": "wrong"}).status_code == 403
        assert client.post("/signout", data={"csrf": token}).status_code == 303
        assert client.get("/").status_code == 303
