"""The input bounds of issue 13 over HTTP, against a real ``advokit serve``: deep ``properties`` in events and
signed webhooks, NUL characters, customer attribute limits, and dropping an attribute (admin)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest

from advokit.access.webhooks import sign
from advokit.ingest import rules
from advokit.store.jsonvalues import DEPTH_REASON

from .api_support import Server, new_keys


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + '{"b":1}' + "}" * (depth - 1)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    from advokit import Workspace

    db = tmp_path_factory.mktemp("bounds") / "b.duckdb"
    with Workspace(db) as ws:
        ws.import_customers([{"customer_id": "A", "signup_at": "2024-01-01", "tier": "gold"}])
        secret, _ = ws.access.webhooks.set_secret("tool", kind="canonical")
    keys = new_keys(db, "read", "write", "admin")
    with Server(db, rate=0) as server:
        yield SimpleNamespace(server=server, keys=keys, secret=secret)


def _event_body(i: int, properties: str) -> bytes:
    return ('{"events":[{"event_id":"d%d","customer_id":"A","type":"testimonial","occurred_at":"2024-02-01",'
            '"properties":%s}]}' % (i, properties)).encode()


def test_deep_properties_are_422_and_the_profile_stays_readable(live: SimpleNamespace) -> None:
    with live.server.client(live.keys["write"]) as c:
        for i, depth in enumerate((17, 300, 500)):
            r = c.post("/v1/events", content=_event_body(i, nested(depth)), headers={"content-type": "application/json"})
            assert r.status_code == 422 and DEPTH_REASON in r.text, (depth, r.text)
        for i, deepest in enumerate((nested(999), "[" * 5000 + "]" * 5000)):  # beyond Python's JSON decoder
            r = c.post("/v1/events", content=_event_body(7 + i, deepest), headers={"content-type": "application/json"})
            assert r.status_code == 422 and r.json()["error"]["code"] in ("invalid_request", "invalid_input"), r.text
        r = c.post("/v1/events", content=_event_body(10, nested(16)), headers={"content-type": "application/json"})
        assert r.status_code == 200 and r.json()["accepted"] == 1
        r = c.post("/v1/events", json={"events": [{"event_id": "n1", "customer_id": "A", "type": "testimonial",
                                                   "occurred_at": "2024-02-01", "text": "a\u0000b"}]})
        assert r.status_code == 422 and rules.NUL_REASON in r.text
    with live.server.client(live.keys["admin"]) as c:
        assert c.get("/v1/customers/A").status_code == 200
        assert c.get("/v1/customers/A/export").status_code == 200


def _deliver(c: httpx.Client, secret: str, body: bytes) -> httpx.Response:
    ts = int(time.time())
    return c.post("/v1/webhooks/tool", content=body, headers={
        "content-type": "application/json", "X-Advokit-Timestamp": str(ts),
        "X-Advokit-Signature": sign(secret, ts, body)})


def test_signed_webhooks_refuse_deep_json_cleanly(live: SimpleNamespace) -> None:
    with live.server.client() as c:
        r = _deliver(c, live.secret, _event_body(20, nested(600)))
        assert r.status_code == 422 and DEPTH_REASON in r.text, r.text
        r = _deliver(c, live.secret, b"[" * 5000 + b"]" * 5000)
        assert r.status_code == 422 and r.json()["error"]["message"] == "the webhook body is not JSON (nested too deeply)"
        r = _deliver(c, live.secret, _event_body(21, nested(16)))
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text


def test_attribute_limits_and_drop_over_http(live: SimpleNamespace) -> None:
    many = {f"k{i:04d}": "v" for i in range(1000)}
    with live.server.client(live.keys["write"]) as c:
        r = c.post("/v1/customers", json={"customers": [{"customer_id": "X", "signup_at": "2024-01-01", **many}]})
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "rows_rejected" and error["details"][0]["index"] == 0
        assert error["details"][0]["field"] == "k0063"  # tier + 63 fit the limit of 64
        assert "limit of 64 customer attributes" in error["details"][0]["reason"]
        assert c.delete("/v1/attributes/tier").status_code == 403  # write scope: not enough
    with live.server.client(live.keys["read"]) as c:
        assert [a["name"] for a in c.get("/v1/attributes").json()] == ["tier"]  # nothing landed
    with live.server.client(live.keys["admin"]) as c:
        r = c.delete("/v1/attributes/tier")
        assert r.status_code == 200 and r.json() == {"name": "tier", "distinct_values": 1, "dimension": True}
        r = c.delete("/v1/attributes/tier")
        assert r.status_code == 404 and r.json()["error"]["message"] == "unknown customer attribute 'tier'"
        r = c.delete("/v1/attributes/segment")
        assert r.status_code == 422 and "field of the data contract" in r.json()["error"]["message"]
        assert c.get("/v1/attributes").json() == []
        assert "tier" not in c.get("/v1/workspace").json()["dimensions"]
