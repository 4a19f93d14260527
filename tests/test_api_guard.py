"""What a request meets before the app reads its body, against real servers (issue 13: items 7, 8, 12).

* the API key is checked before the body is read, and failed authentications are
  rate-limited per client address;
* a stalled body is answered 408 and closed within ``body_timeout``;
* an oversize body is read and discarded (up to ``max_discard_bytes``) so that an
  ordinary client (urllib) reads its 413 instead of a connection reset;
* after an unhandled error (500) the same keep-alive connection keeps working;
* an unknown webhook source and a bad signature get the same 401.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from advokit.access.webhooks import sign

from .api_support import Server, free_port, new_keys

BAD_KEY = "adk_0123456789ab_" + "x" * 43


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A server: 4 MiB bodies, a body timeout of 1 s, 8 failed authentications an address (then 429)."""
    db = tmp_path_factory.mktemp("guard") / "g.duckdb"
    keys = new_keys(db, "read", "write", "admin")
    with Server(db, rate=0, max_body_bytes=4 * 1024 * 1024, body_timeout=1, max_discard_bytes=64 * 1024 * 1024,
                auth_fail_burst=8, auth_fail_rate=0.01) as server:
        yield SimpleNamespace(server=server, keys=keys, db=db, auth_fail_burst=8)


def _connect(server: Server, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def _head(method: str, path: str, port: int, *, length: int | None, key: str | None = None,
          extra: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if key:
        lines.append(f"Authorization: Bearer {key}")
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response from the socket (status, lower-cased headers, body by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response; got {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(status_line.split()[1]), headers, rest[:length]


def _error_code(body: bytes) -> str:
    payload = json.loads(body)
    assert set(payload) == {"error"} and set(payload["error"]) <= {"code", "message", "hint", "details"}, payload
    return str(payload["error"]["code"])


# -- item 7: the key before the body -------------------------------------------------------------------
@pytest.mark.parametrize(("key", "status", "code"), [(None, 401, "unauthorized"), (BAD_KEY, 401, "unauthorized"),
                                                     ("read", 403, "forbidden")])
def test_a_write_with_a_bad_key_is_answered_before_its_body_arrives(
        guarded: SimpleNamespace, key: str | None, status: int, code: str) -> None:
    token = guarded.keys.get(key, key)
    with _connect(guarded.server, timeout=3) as sock:  # 2 MB declared, 1 KB sent, then nothing
        sock.sendall(_head("POST", "/v1/events", guarded.server.port, length=2_000_000, key=token) + b"{" * 1024)
        started = time.monotonic()
        got, headers, body = _read_response(sock)
        assert time.monotonic() - started < 0.9  # well before the body timeout (1 s)
    assert (got, _error_code(body)) == (status, code)
    assert headers["connection"] == "close"


def test_a_good_key_still_writes(guarded: SimpleNamespace) -> None:
    port, key = guarded.server.port, guarded.keys["write"]
    customers = json.dumps({"customers": [{"customer_id": "G", "signup_at": "2023-01-01"}]}).encode()
    events = json.dumps({"events": [{"customer_id": "G", "type": "review", "occurred_at": "2023-02-01",
                                     "event_id": "g-1"}]}).encode()
    with _connect(guarded.server) as sock:  # one keep-alive connection: the fast path of events, then the declared
        for path, body, kind in (("/v1/customers", customers, "customers"), ("/v1/events", events, "events"),
                                 ("/v1/events?strict=true", events, "events")):
            sock.sendall(_head("POST", path, port, length=len(body), key=key) + body)
            got, headers, answer = _read_response(sock)
            result = json.loads(answer)
            assert (got, result["kind"], result["received"]) == (200, kind, 1), answer
            assert headers.get("connection") != "close"
    assert [result["items"][0]["status"]] == ["duplicate"]


def _from(server: Server, address: str, key: str | None = None) -> httpx.Client:
    """A client whose connections come from ``address`` (any 127.x.y.z reaches the loopback server)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=10,
                        transport=httpx.HTTPTransport(local_address=address))


def test_failed_authentications_are_rate_limited_per_address(guarded: SimpleNamespace) -> None:
    server, burst = guarded.server, guarded.auth_fail_burst
    with _from(server, "127.0.0.9") as c:
        codes = [c.post("/v1/events", json={"events": []}, headers={"Authorization": f"Bearer {BAD_KEY}"} if i % 2
                        else {}).status_code for i in range(burst + 2)]
        assert codes == [401] * burst + [429] * 2
        r = c.get("/v1/kpis", headers={"Authorization": f"Bearer {BAD_KEY}"})  # reads count too
        assert r.status_code == 429 and _error_code(r.content) == "rate_limited"
        assert int(r.headers["retry-after"]) >= 1 and "failed authentications" in r.json()["error"]["message"]
        ts = str(int(time.time()))  # a bad webhook signature is a failed authentication too
        r = c.post("/v1/webhooks/known", content=b"{}",
                   headers={"X-Advokit-Timestamp": ts, "X-Advokit-Signature": "sha256=" + "0" * 64})
        assert r.status_code == 429
    with _from(server, "127.0.0.9", guarded.keys["read"]) as c:  # a valid key is never refused for its address
        assert c.get("/v1/version").status_code == 200
    with _from(server, "127.0.0.10") as c:  # the budget is the address's
        assert c.get("/v1/kpis", headers={"Authorization": f"Bearer {BAD_KEY}"}).status_code == 401


def test_a_stalled_body_is_answered_408_and_closed_within_the_bound(guarded: SimpleNamespace) -> None:
    for key in (guarded.keys["write"], None):  # an authenticated write, and a webhook (no key needed)
        path = "/v1/events" if key else "/v1/webhooks/somewhere"
        with _connect(guarded.server) as sock:
            sock.sendall(_head("POST", path, guarded.server.port, length=1000, key=key) + b'{"events": [')
            started = time.monotonic()
            got, headers, body = _read_response(sock)
            waited = time.monotonic() - started
            assert sock.recv(1) == b""  # closed
        assert (got, _error_code(body)) == (408, "request_timeout")
        assert headers["connection"] == "close"
        assert 0.8 < waited < 3.0, waited


# -- item 8: an oversize body gets its 413 ----------------------------------------------------------------
@pytest.mark.parametrize("size", [5_000_000, 60_000_000])
def test_urllib_reads_the_413_of_an_oversize_body(guarded: SimpleNamespace, size: int) -> None:
    request = urllib.request.Request(guarded.server.url + "/v1/events", data=b" " * size, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {guarded.keys['write']}"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 413
    assert _error_code(caught.value.read()) == "payload_too_large"


def test_a_streamed_oversize_body_gets_its_413_too(guarded: SimpleNamespace) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(2000):
            yield b" " * 10_000

    with guarded.server.client(guarded.keys["write"]) as c:
        r = c.post("/v1/events", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and _error_code(r.content) == "payload_too_large"


def test_expect_100_continue_gets_the_413_before_sending(guarded: SimpleNamespace) -> None:
    with _connect(guarded.server, timeout=3) as sock:
        sock.sendall(_head("POST", "/v1/events", guarded.server.port, length=10_000_000, key=guarded.keys["write"],
                           extra={"Expect": "100-continue"}))
        got, headers, body = _read_response(sock)
    assert (got, _error_code(body), headers["connection"]) == (413, "payload_too_large", "close")


# -- item 12a: a 500 does not break the connection -------------------------------------------------------
class _InProcess:
    """The real app (API and dashboard routers) under uvicorn in a thread, with one route that fails."""

    def __init__(self, db: Path) -> None:
        import uvicorn
        from fastapi import APIRouter

        from advokit import Workspace
        from advokit.api import create_app

        self.ws = Workspace(db)
        boom = APIRouter()

        @boom.get("/test-only/boom")
        def explode() -> None:
            raise RuntimeError("a bug")

        self.port = free_port()
        app = create_app(self.ws, extra_routers=[boom])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="critical"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _InProcess:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.ws.close()


def test_after_a_500_the_same_keep_alive_connection_still_works(tmp_path: Path) -> None:
    with _InProcess(tmp_path / "boom.duckdb") as served:
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=5)
        try:
            conn.request("GET", "/test-only/boom")
            r = conn.getresponse()
            body = r.read()
            assert (r.status, _error_code(body)) == (500, "internal_error")
            assert b"a bug" not in body and b"RuntimeError" not in body
            for _ in range(2):
                conn.request("GET", "/v1/health")
                r = conn.getresponse()
                assert (r.status, json.loads(r.read())) == (200, {"status": "ok"})
        finally:
            conn.close()


# -- item 12d: unknown webhook source and bad signature look the same --------------------------------------
def test_an_unknown_webhook_source_is_401_like_a_bad_signature(guarded: SimpleNamespace) -> None:
    with guarded.server.client(guarded.keys["admin"]) as admin:
        secret = admin.put("/v1/webhooks/known/secret", json={}).json()["secret"]
    body = b'{"events": []}'
    ts = str(int(time.time()))
    answers = []
    with guarded.server.client() as c:
        for source, signature in (("known", sign("whsec_wrong", ts, body)), ("unknown", sign(secret, ts, body)),
                                  ("unknown", sign("whsec_wrong", ts, body))):
            r = c.post(f"/v1/webhooks/{source}", content=body,
                       headers={"X-Advokit-Timestamp": ts, "X-Advokit-Signature": signature})
            answers.append((r.status_code, r.headers.get("www-authenticate"), r.json()))
    assert answers[0][0] == 401 and answers[0][2]["error"]["code"] == "unauthorized"
    assert answers[1] == answers[0] and answers[2] == answers[0]


def test_the_guard_settings_have_defaults_variables_and_bounds() -> None:
    from advokit.api import ApiSettings
    from advokit.errors import InvalidArgumentError

    default = ApiSettings.from_env({})
    assert (default.auth_fail_rate, default.auth_fail_burst, default.body_timeout, default.max_discard_bytes) == (
        1.0, 20, 10.0, 64 * 1024 * 1024)
    env = {"ADVOKIT_API_BODY_TIMEOUT": "2.5", "ADVOKIT_API_AUTH_FAIL_BURST": "3"}
    assert (ApiSettings.from_env(env).body_timeout, ApiSettings.from_env(env).auth_fail_burst) == (2.5, 3)
    for bad in ({"body_timeout": 0}, {"auth_fail_burst": 0}, {"max_discard_bytes": -1}):
        with pytest.raises(InvalidArgumentError):
            ApiSettings(**bad)
