"""DNS rebinding: the server answers only the host names it was started for (real `advokit serve` processes)."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from advokit.api.hosts import HostPolicy, split_host
from advokit.errors import InvalidArgumentError

from .api_support import Server, advokit_bin, free_port, new_keys, worked_workspace

EMAIL = "ops@acme.example"  # customer A of the worked example


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


# -- the policy ----------------------------------------------------------------------------------------
def test_split_host() -> None:
    assert split_host("LocalHost:8000") == ("localhost", 8000)
    assert split_host("[::1]:8000") == ("[::1]", 8000)
    assert split_host("[::1]") == ("[::1]", None)
    assert split_host("::1") == ("[::1]", None)
    assert split_host("dash.example") == ("dash.example", None)
    for bad in ("", ":80", "a:b", "a:0", "a:65536", "[::1", "[::1]x", "a/b:80", "u@a:80"):
        with pytest.raises(ValueError):
            split_host(bad)


def test_a_loopback_bind_allows_the_loopback_names_on_its_port() -> None:
    p = HostPolicy.for_bind("127.0.0.1", 8123)
    assert [p.allows(h) for h in ("127.0.0.1:8123", "localhost:8123", "LOCALHOST:8123", "[::1]:8123")] == [True] * 4
    assert [p.allows(h) for h in ("attacker.example:8123", "127.0.0.1:8124", "127.0.0.1", "", "localhost.:8123",
                                  "127.0.0.2:8123", "attacker.example")] == [False] * 7
    assert HostPolicy.for_bind("localhost", 80).allows("localhost")  # port 80: browsers leave it out
    assert HostPolicy.for_bind("::1", 8123).allows("[::1]:8123")


def test_allowed_hosts_add_names_with_or_without_a_port() -> None:
    p = HostPolicy.for_bind("127.0.0.1", 8123, ["dash.example", "proxy.example:9000", "[::2]:1"])
    assert p.allows("dash.example") and p.allows("dash.example:443") and p.allows("Dash.Example:8123")
    assert p.allows("proxy.example:9000") and not p.allows("proxy.example:9001") and not p.allows("proxy.example")
    assert p.allows("[::2]:1") and not p.allows("attacker.example:8123")
    assert HostPolicy.for_bind("127.0.0.1", 8123, ["*"]).allows("anything.example:1")
    with pytest.raises(InvalidArgumentError, match="--allowed-host 'a/b' is not a host name"):
        HostPolicy.for_bind("127.0.0.1", 8123, ["a/b"])


def test_beyond_loopback_the_bound_address_is_allowed() -> None:
    one = HostPolicy.for_bind("10.1.2.3", 8000)
    assert one.allows("10.1.2.3:8000") and not one.allows("localhost:8000") and not one.allows("evil.example:8000")
    every = HostPolicy.for_bind("0.0.0.0", 8000, own_names=["box", "10.1.2.3"])
    assert [every.allows(h) for h in ("box:8000", "10.1.2.3:8000", "127.0.0.1:8000", "localhost:8000")] == [True] * 4
    assert not every.allows("evil.example:8000") and not every.allows("box:8001")


def test_origins_are_compared_with_the_allowed_hosts() -> None:
    p = HostPolicy.for_bind("127.0.0.1", 8123, ["dash.example"])
    assert p.allows_origin("http://127.0.0.1:8123") and p.allows_origin("http://localhost:8123")
    assert p.allows_origin("https://dash.example")
    for bad in ("null", "http://attacker.example:8123", "http://127.0.0.1:9", "http://127.0.0.1",
                "file://", "ftp://127.0.0.1:8123", "http://127.0.0.1:8123/x", "http://a@127.0.0.1:8123", ""):
        assert not p.allows_origin(bad), bad
    assert HostPolicy.for_bind("localhost", 443).allows_origin("https://localhost")


# -- a real server in open local mode ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The worked example in open local mode (no key), with two more allowed hosts."""
    db = worked_workspace(tmp_path_factory.mktemp("hosts") / "open.duckdb")
    with Server(db, args=("--allowed-host", "dash.example", "--allowed-host", "other.example:1")) as server:
        yield server


def test_a_rebinding_host_gets_no_customer_data(open_server: Server) -> None:
    url, port = open_server.url, open_server.port
    ok = httpx.get(url + "/customers/A")
    assert ok.status_code == 200 and EMAIL in ok.text
    for host in (f"localhost:{port}", f"[::1]:{port}"):
        assert httpx.get(url + "/customers/A", headers={"Host": host}).status_code == 200, host
    for host in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1:{port + 1}", f"localhost.:{port}"):
        r = httpx.get(url + "/customers/A", headers={"Host": host})
        assert r.status_code == 421, host
        assert EMAIL not in r.text and "Acme" not in r.text
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert "does not answer to the host name" in r.text and "--allowed-host" in r.text


def test_a_rebinding_host_gets_the_json_error_under_v1(open_server: Server) -> None:
    for path in ("/v1/health", "/v1/customers/A", "/openapi.json"):
        r = httpx.get(open_server.url + path, headers={"Host": f"attacker.example:{open_server.port}"})
        assert r.status_code == 421, path
        body = r.json()
        assert set(body) == {"error"} and body["error"]["code"] == "host_not_allowed"
        assert body["error"]["message"] == f"this server does not answer to the host name 'attacker.example:{open_server.port}'"
        assert "--allowed-host" in body["error"]["hint"]


def test_a_rebinding_page_cannot_store_a_comment(open_server: Server) -> None:
    port = open_server.port
    evil = f"attacker.example:{port}"
    with httpx.Client(base_url=open_server.url, follow_redirects=False) as client:
        token = _csrf(client.get("/kpis/nps?period=2025-01").text)
        form = {"period": "2025-01", "body": "rebinding was here", "csrf": token}
        r = client.post("/kpis/nps/comments", data=form, headers={"Host": evil, "Origin": f"http://{evil}"})
        assert r.status_code == 421
        # the right Host but another site's Origin, or an opaque one: refused
        for origin in (f"http://{evil}", "null", f"http://127.0.0.1:{port + 1}"):
            r = client.post("/kpis/nps/comments", data=form, headers={"Origin": origin})
            assert r.status_code == 403 and "sent from another site" in r.text, origin
        assert "rebinding was here" not in client.get("/kpis/nps?period=2025-01").text
        # an allowed origin that differs from Host is this server all the same
        r = client.post("/kpis/nps/comments", data={**form, "body": "from localhost"},
                        headers={"Origin": f"http://localhost:{port}"})
        assert r.status_code == 303
        assert "from localhost" in client.get("/kpis/nps?period=2025-01").text


def test_allowed_host_lets_another_name_in(open_server: Server) -> None:
    url = open_server.url
    r = httpx.get(url + "/customers/A", headers={"Host": "dash.example"})
    assert r.status_code == 200 and EMAIL in r.text
    assert httpx.get(url + "/v1/health", headers={"Host": "other.example:1"}).status_code == 200
    assert httpx.get(url + "/v1/health", headers={"Host": "other.example:2"}).status_code == 421
    assert httpx.get(url + "/v1/health", headers={"Host": "other.example"}).status_code == 421
    with httpx.Client(base_url=url, follow_redirects=False, headers={"Host": "dash.example"}) as client:
        token = _csrf(client.get("/kpis/nps?period=2025-01").text)
        r = client.post("/kpis/nps/comments", data={"period": "2025-01", "body": "via the proxy", "csrf": token},
                        headers={"Origin": "https://dash.example"})
        assert r.status_code == 303
    line = next(x for x in open_server.stderr().splitlines() if x.startswith("advokit answers requests for"))
    assert line == (f"advokit answers requests for 127.0.0.1:{open_server.port}, [::1]:{open_server.port}, "
                    f"dash.example, localhost:{open_server.port}, other.example:1 "
                    "(add others with --allowed-host NAME)")


def test_a_bad_allowed_host_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run([advokit_bin(), "--db", str(tmp_path / "x.duckdb"), "serve", "--allowed-host", "a/b"],
                          check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --allowed-host 'a/b' is not a host name")


@pytest.mark.slow
def test_a_wildcard_bind_answers_this_machine_and_refuses_others(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([advokit_bin(), "--db", str(tmp_path / "s.duckdb"), "serve", "--host", "0.0.0.0",
                                 "--port", str(port)], stdout=subprocess.DEVNULL, stderr=fh)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(url + "/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            name = socket.gethostname().lower()
            assert httpx.get(url + "/v1/health", headers={"Host": f"{name}:{port}"}).status_code == 200
            assert httpx.get(url + "/v1/health", headers={"Host": f"localhost:{port}"}).status_code == 200
            assert httpx.get(url + "/v1/health", headers={"Host": f"attacker.example:{port}"}).status_code == 421
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert f"{name}:{port}" in log.read_text()


# -- serve's warning when the workspace has no key ----------------------------------------------------
NO_KEY = "warning: the workspace has no API key"


def test_serve_warns_on_loopback_when_the_workspace_has_no_key(open_server: Server) -> None:
    text = open_server.stderr()
    assert NO_KEY in text and "open local mode" in text and "`advokit apikey create" in text
    assert "beyond loopback" not in text and "TLS" not in text


@pytest.mark.slow
def test_serve_does_not_warn_about_keys_when_there_is_one(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    new_keys(db, "read")
    with Server(db) as server:
        text = server.stderr()
    assert "advokit API on" in text and "no API key" not in text and "warning:" not in text

