"""The REST API against a real ``advokit serve`` process on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from advokit.access.webhooks import sign

from .api_support import Server, cli, cli_json, new_keys, worked_workspace

VALUE_REQUESTS = [
    ("nps", "month", [], "2025-01-01", "2025-02-01"),
    ("nps", "month", ["segment"], "2025-01-01", "2025-02-01"),
    ("customer_churn_rate", "quarter", [], None, None),
    ("active_advocates_rate", "month", ["segment", "region"], "2024-11", "2025-03"),
    ("referral_revenue", "year", [], None, None),
]


def _cli_args(kpi: str, period: str, by: list[str], start: str | None, end: str | None) -> list[str]:
    args = ["kpi", "compute", kpi, "--period", period]
    for b in by:
        args += ["--by", b]
    if start:
        args += ["--from", start]
    if end:
        args += ["--to", end]
    return args


def _params(period: str, by: list[str], start: str | None, end: str | None) -> list[tuple[str, str]]:
    params = [("period", period)] + [("by", b) for b in by]
    if start:
        params.append(("from", start))
    if end:
        params.append(("to", end))
    return params


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A read-only server over the worked example, with the CLI's numbers taken before it started."""
    db = worked_workspace(tmp_path_factory.mktemp("worked") / "w.duckdb")
    keys = new_keys(db, "read", "write", "admin")
    expected = [cli_json(db, *_cli_args(*r)) for r in VALUE_REQUESTS]
    with Server(db, rate=0) as server:
        yield SimpleNamespace(server=server, keys=keys, expected=expected)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A server over the worked example that the tests write to."""
    db = worked_workspace(tmp_path_factory.mktemp("live") / "l.duckdb")
    keys = new_keys(db, "read", "write", "admin")
    with Server(db, rate=0) as server:
        yield SimpleNamespace(server=server, keys=keys, db=db)


def _client(ns: SimpleNamespace, scope: str | None) -> httpx.Client:
    return ns.server.client(ns.keys[scope] if scope else None)  # type: ignore[no-any-return]


def _error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert set(body["error"]) <= {"code", "message", "hint", "details"} and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


# -- service, auth, the one error shape ----------------------------------------------------
def test_health_needs_no_key_and_openapi_is_served(worked: SimpleNamespace) -> None:
    with _client(worked, None) as c:
        assert c.get("/v1/health").json() == {"status": "ok"}
        spec = c.get("/openapi.json").json()
    assert {"/v1/events", "/v1/customers", "/v1/kpis", "/v1/kpis/{kpi_id}", "/v1/kpis/{kpi_id}/values",
            "/v1/customers/{customer_id}", "/v1/webhooks/{source}"} <= set(spec["paths"])
    assert "ApiKey" in spec["components"]["securitySchemes"]


def test_the_error_shape_is_pinned(worked: SimpleNamespace) -> None:
    with _client(worked, None) as c:
        r = c.get("/v1/kpis")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json() == {"error": {"code": "unauthorized", "message": "an API key is required",
                                  "hint": "send `Authorization: Bearer KEY`; create one with `advokit apikey create`"}}
    with _client(worked, "read") as c:
        r = c.get("/v1/kpis/nps/values", params={"period": "week", "from": "yesterday"})
        err = _error(r, 422, "invalid_request")
        assert {d["field"] for d in err["details"]} == {"period", "from"}  # every problem listed
        assert all(set(d) == {"loc", "field", "message", "type"} for d in err["details"])
        _error(c.get("/v1/kpis/no_such_kpi"), 404, "not_found")
        _error(c.get("/v1/no/such/endpoint"), 404, "not_found")
        _error(c.get("/v1/kpis/nps/values", params={"by": "shoe_size"}), 422, "unknown_dimension")
        err = _error(c.get("/v1/kpis/nps/values", params=[("perod", "year"), ("to", "2025"), ("to", "2026")]),
                     422, "invalid_request")
        assert {(d["field"], d["type"]) for d in err["details"]} == {("perod", "extra_forbidden"), ("to", "repeated")}


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer adk_0123456789ab_" + "x" * 43, "Basic dXNlcjpwdw=="])
def test_missing_or_bad_keys_are_401(worked: SimpleNamespace, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = httpx.get(worked.server.url + "/v1/kpis", headers=headers)
    _error(r, 401, "unauthorized")


def test_a_key_with_too_low_a_scope_is_403(worked: SimpleNamespace) -> None:
    with _client(worked, "read") as c:
        _error(c.post("/v1/events", json={"events": []}), 403, "forbidden")
    with _client(worked, "write") as c:
        assert c.get("/v1/kpis").status_code == 200  # write includes read
        _error(c.delete("/v1/customers/A"), 403, "forbidden")
        _error(c.get("/v1/customers/A/export"), 403, "forbidden")
        _error(c.get("/v1/apikeys"), 403, "forbidden")
    with _client(worked, "read") as c:
        assert c.get("/v1/customers/A").status_code == 200  # nothing was erased


# -- query -----------------------------------------------------------------------------------
@pytest.mark.parametrize("i", range(len(VALUE_REQUESTS)))
def test_kpi_values_are_the_rows_of_kpi_compute(worked: SimpleNamespace, i: int) -> None:
    kpi, *rest = VALUE_REQUESTS[i]
    with _client(worked, "read") as c:
        r = c.get(f"/v1/kpis/{kpi}/values", params=_params(*rest))  # type: ignore[arg-type]
        assert r.status_code == 200
        assert r.json() == worked.expected[i]
        assert c.get(f"/v1/kpis/{kpi}/values", params=_params(*rest)).json() == worked.expected[i]  # cached  # type: ignore[arg-type]


def test_worked_example_numbers(worked: SimpleNamespace) -> None:
    with _client(worked, "read") as c:
        rows = c.get("/v1/kpis/nps/values", params=_params("month", ["segment"], "2025-01", "2025-01")).json()
    by_segment = {r["segment"]: r["value"] for r in rows}
    assert by_segment["SMB"] == pytest.approx(200 / 3) and by_segment["Enterprise"] == -100.0


def test_catalogue_endpoints(worked: SimpleNamespace) -> None:
    with _client(worked, "read") as c:
        listed = c.get("/v1/kpis").json()
        assert "nps" in {k["id"] for k in listed}
        one = c.get("/v1/kpis/nps").json()
        assert one["id"] == "nps" and "definition" in one["attributes"]
        hits = c.get("/v1/kpis/search", params={"q": "referral"}).json()
        assert hits and all("score" in h for h in hits)
        assert c.get("/v1/version").json()["api"] == "v1"
        info = c.get("/v1/workspace").json()
        assert info["customers"] == 3 and info["events"] == 9 and "segment" in info["dimensions"]


def test_customer_profile_with_timeline(worked: SimpleNamespace) -> None:
    with _client(worked, "read") as c:
        p = c.get("/v1/customers/A", params={"limit": 3}).json()
        assert p["customer"]["segment"] == "SMB" and p["timeline_total"] == 4 and len(p["timeline"]) == 3
        assert [e["event_id"] for e in p["timeline"]] == ["e4", "e6", "e5"]
        _error(c.get("/v1/customers/nobody"), 404, "not_found")


# -- ingest ------------------------------------------------------------------------------------
def test_ingest_per_item_results_and_replay_changes_nothing(live: SimpleNamespace) -> None:
    events = [
        {"event_id": "i1", "customer_id": "A", "type": "nps_response", "occurred_at": "2023-02-03T10:00:00Z", "score": 10},
        {"event_id": "i2", "customer_id": "A", "type": "nps_response", "occurred_at": "2023-02-04", "score": 42},
        {"event_id": "i3", "customer_id": "nobody", "type": "review", "occurred_at": "2023-02-05"},
        {"event_id": "i4", "customer_id": "B", "type": "teleport", "occurred_at": "2023-02-05"},
        {"event_id": "e1", "customer_id": "A", "type": "nps_response", "occurred_at": "2025-01-05T10:00:00Z", "score": 10},
        {"customer_id": "C", "type": "nps_response", "occurred_at": "2023-02-06", "score": 0},
    ]
    with _client(live, "write") as c:
        r = c.post("/v1/events", json={"events": events})
        assert r.status_code == 207, r.text
        body = r.json()
        status = [i["status"] for i in body["items"]]
        assert status == ["accepted", "rejected", "rejected", "rejected", "duplicate", "accepted"]
        assert [i["index"] for i in body["items"]] == list(range(6))
        assert (body["accepted"], body["rejected"], body["duplicates"]) == (2, 3, 1)
        fields = [{e["field"] for e in i.get("errors", [])} for i in body["items"]]
        assert fields[1] == {"score"} and fields[2] == {"customer_id"} and fields[3] == {"type"}
        assert all(e["reason"] for i in body["items"] for e in i.get("errors", []))
        assert body["items"][5]["id"]  # a content hash stands in for the missing event_id
        before = c.get("/v1/kpis/nps/values", params=_params("month", [], "2023-02", "2023-03")).json()
        assert before[0]["n"] == 2 and before[0]["value"] == 0.0
        again = c.post("/v1/events", json={"events": events}).json()
        assert [i["status"] for i in again["items"]] == ["duplicate", "rejected", "rejected", "rejected",
                                                         "duplicate", "duplicate"]
        assert c.get("/v1/kpis/nps/values", params=_params("month", [], "2023-02", "2023-03")).json() == before
        ok = c.post("/v1/events", json={"events": events[:1]})
        assert ok.status_code == 200 and ok.json()["items"][0]["status"] == "duplicate"


def test_check_flow_january_nps_counts_a_replayed_event_once(live: SimpleNamespace) -> None:
    events = [{"event_id": "api1", "customer_id": "A", "type": "nps_response", "occurred_at": "2025-01-30T09:00:00Z", "score": 0}]
    with _client(live, "write") as c:
        assert c.post("/v1/events", json={"events": events}).status_code == 200
        assert c.post("/v1/events", json={"events": events}).json()["items"][0]["status"] == "duplicate"
        rows = c.get("/v1/kpis/nps/values", params=_params("month", [], "2025-01-01", "2025-02-01")).json()
    jan = [r for r in rows if r["period"] == "2025-01"][0]
    assert jan["value"] == 0.0 and jan["n"] == 5


def test_customers_upsert_per_item(live: SimpleNamespace) -> None:
    customers = [{"customer_id": "N1", "segment": "SMB", "signup_at": "2023-01-10", "tier": "gold"},
                 {"customer_id": "N2", "signup_at": "2023-03-01", "churned_at": "2023-02-01"}]
    with _client(live, "write") as c:
        r = c.post("/v1/customers", json={"customers": customers})
        assert r.status_code == 207
        items = r.json()["items"]
        assert [i["status"] for i in items] == ["accepted", "rejected"]
        assert {e["field"] for e in items[1]["errors"]} == {"churned_at"}
        r = c.post("/v1/customers", json={"customers": customers[:1]})
        assert r.status_code == 200 and r.json()["items"][0]["status"] == "unchanged"
        r = c.post("/v1/customers", json={"customers": [{**customers[0], "segment": "Enterprise"}]})
        assert r.json()["items"][0]["status"] == "updated"
        profile = c.get("/v1/customers/N1").json()
        assert profile["customer"]["segment"] == "Enterprise" and profile["customer"]["tier"] == "gold"


def test_strict_batches_land_nothing_when_anything_is_rejected(live: SimpleNamespace) -> None:
    events = [{"event_id": "s1", "customer_id": "A", "type": "review", "occurred_at": "2023-04-01"},
              {"event_id": "s2", "customer_id": "A", "type": "nps_response", "occurred_at": "2023-04-01", "score": 11}]
    with _client(live, "write") as c:
        err = _error(c.post("/v1/events", params={"strict": "true"}, json={"events": events}), 422, "rows_rejected")
        assert "score" in json.dumps(err["details"])
        r = c.post("/v1/events", json={"events": events[:1]})
        assert r.json()["items"][0]["status"] == "accepted"  # s1 had not landed


def test_shape_problems_fail_the_whole_request_listing_every_one(live: SimpleNamespace) -> None:
    events = [{"customer_id": "A", "type": "review"},
              {"customer_id": "A", "type": "review", "occurred_at": "2023-01-01", "score": "nine", "colour": "red"}]
    with _client(live, "write") as c:
        err = _error(c.post("/v1/events", json={"events": events}), 422, "invalid_request")
        locs = {d["loc"] for d in err["details"]}
        assert locs == {"body.events.0.occurred_at", "body.events.1.score", "body.events.1.colour"}
        _error(c.post("/v1/events", content=b"{not json", headers={"content-type": "application/json"}),
               422, "invalid_request")
        _error(c.post("/v1/events", json={"evnts": []}), 422, "invalid_request")


def test_a_batch_over_the_limit_is_413(live: SimpleNamespace) -> None:
    events = [{"customer_id": "A", "type": "review", "occurred_at": "2023-01-01"}] * 10_001
    with _client(live, "write") as c:
        _error(c.post("/v1/events", json={"events": events}), 413, "payload_too_large")


def test_concurrent_writers_and_readers_lose_and_double_nothing(live: SimpleNamespace) -> None:
    batches = [[{"event_id": f"cc{b}-{i}", "customer_id": "ABC"[i % 3], "type": "social_share",
                 "occurred_at": f"2022-0{1 + b % 9}-1{i % 10}T00:00:00Z"} for i in range(300)] for b in range(6)]
    accepted: list[str] = []
    failures: list[Any] = []
    lock = threading.Lock()

    def writer(order: list[int]) -> None:
        with _client(live, "write") as c:
            for b in order:
                r = c.post("/v1/events", json={"events": batches[b]})
                with lock:
                    if r.status_code != 200:
                        failures.append(r.text)
                    accepted.extend(i["id"] for i in r.json()["items"] if i["status"] == "accepted")

    def reader() -> None:
        with _client(live, "read") as c:
            for _ in range(15):
                r = c.get("/v1/kpis/active_advocates_rate/values", params={"period": "month"})
                if r.status_code != 200:
                    failures.append(r.text)

    threads = [threading.Thread(target=writer, args=(order,)) for order in ([0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0],
                                                                            [2, 0, 4, 1, 5, 3])]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert sorted(accepted) == sorted(e["event_id"] for b in batches for e in b)  # each landed exactly once
    with _client(live, "read") as c:
        rows = c.get("/v1/kpis/advocacy_actions_per_customer/values", params=_params("year", [], "2022", "2023")).json()
    assert rows[0]["numerator"] == 1800


# -- webhooks -----------------------------------------------------------------------------------
def _deliver(c: httpx.Client, source: str, secret: str, payload: Any, *, ts: int | None = None,
             signature: str | None = None) -> httpx.Response:
    body = json.dumps(payload).encode()
    ts = int(time.time()) if ts is None else ts
    sig = signature or sign(secret, ts, body)
    return c.post(f"/v1/webhooks/{source}", content=body,
                  headers={"content-type": "application/json", "X-Advokit-Timestamp": str(ts),
                           "X-Advokit-Signature": sig})


def test_webhook_signatures_good_bad_stale_and_replay(live: SimpleNamespace) -> None:
    with _client(live, "admin") as admin:
        r = admin.put("/v1/webhooks/delighted/secret", json={"kind": "survey"})
        assert r.status_code == 200
        secret = r.json()["secret"]
        assert [s["source"] for s in admin.get("/v1/webhooks").json()] == ["delighted"]
    payload = {"event_type": "survey_response.created",
               "event_data": {"id": "r-1", "score": 9, "comment": "good", "created_at": "2023-06-01T12:00:00Z",
                              "survey_type": "nps", "person": {"id": "B", "email": "hi@birch.example"}}}
    with _client(live, None) as c:
        ts = int(time.time())
        good = _deliver(c, "delighted", secret, payload, ts=ts)
        assert good.status_code == 200 and good.json()["items"][0]["status"] == "accepted", good.text
        assert good.json()["items"][0]["id"] == "delighted:r-1"
        replay = _deliver(c, "delighted", secret, payload, ts=ts)
        assert replay.status_code == 200 and replay.json()["items"][0]["status"] == "duplicate"
        _error(_deliver(c, "delighted", "whsec_wrong", payload), 401, "unauthorized")
        _error(_deliver(c, "delighted", secret, payload, signature="sha256=" + "0" * 64), 401, "unauthorized")
        stale = _error(_deliver(c, "delighted", secret, payload, ts=int(time.time()) - 301), 401, "unauthorized")
        assert "5 minutes" in stale["message"]
        _error(_deliver(c, "delighted", secret, payload, ts=int(time.time()) + 600), 401, "unauthorized")
        _error(c.post("/v1/webhooks/delighted", json=payload), 401, "unauthorized")
        _error(_deliver(c, "nosuchtool", secret, payload), 401, "unauthorized")  # as a bad signature (issue 13)
    with _client(live, "read") as c:
        timeline = c.get("/v1/customers/B").json()["timeline"]
        assert "delighted:r-1" in [e["event_id"] for e in timeline]


def test_webhook_referral_and_canonical_shapes(live: SimpleNamespace) -> None:
    with _client(live, "admin") as admin:
        secret = admin.put("/v1/webhooks/friendbuy/secret", json={}).json()["secret"]
    referral = {"type": "referral.converted", "id": "fb-1", "created_at": 1688212800,
                "data": {"referral_code": "REF-X", "advocate": {"customer_id": "A"},
                         "referred": {"customer_id": "NEW-9"}, "amount": 500}}
    canonical = {"events": [{"event_id": "wh-c1", "customer_id": "A", "type": "testimonial",
                             "occurred_at": "2023-07-02"}]}
    with _client(live, None) as c:
        r = _deliver(c, "friendbuy", secret, referral)
        assert r.status_code == 200 and r.json()["items"][0]["id"] == "friendbuy:fb-1"
        r = _deliver(c, "friendbuy", secret, canonical)
        assert r.status_code == 200 and r.json()["accepted"] == 1
        bad = _deliver(c, "friendbuy", secret, {"type": "referral.converted", "id": "fb-2", "created_at": 1688212800,
                                                "data": {"advocate": {"customer_id": "A"}, "amount": -5}})
        assert bad.status_code == 207 and bad.json()["items"][0]["errors"][0]["field"] == "amount"
    with _client(live, "read") as c:
        rows = c.get("/v1/kpis/referral_revenue/values", params=_params("month", [], "2023-07", "2023-08")).json()
    assert rows[0]["value"] == 500.0


# -- privacy ---------------------------------------------------------------------------------------
def test_export_then_erase_recomputes_kpis_without_the_customer(live: SimpleNamespace) -> None:
    with _client(live, "write") as c:
        c.post("/v1/customers", json={"customers": [{"customer_id": "G1", "name": "Gina", "email": "g@x.example",
                                                     "segment": "SMB", "signup_at": "2021-01-01"}]})
        c.post("/v1/events", json={"events": [
            {"event_id": "g-1", "customer_id": "G1", "type": "nps_response", "occurred_at": "2021-05-03", "score": 0},
            {"event_id": "g-2", "customer_id": "A", "type": "nps_response", "occurred_at": "2021-05-04", "score": 10},
            {"event_id": "g-3", "customer_id": "G1", "type": "mention", "occurred_at": "2021-05-05", "text": "hi"}]})
        may = c.get("/v1/kpis/nps/values", params=_params("month", [], "2021-05", "2021-06")).json()[0]
        assert (may["value"], may["n"]) == (0.0, 2)
    with _client(live, "admin") as a:
        export = a.get("/v1/customers/G1/export").json()
        assert export["customer"]["email"] == "g@x.example" and {e["event_id"] for e in export["events"]} == {"g-1", "g-3"}
        erased = a.delete("/v1/customers/G1")
        assert erased.status_code == 200 and erased.json()["events_removed"] == 2
        assert "G1" not in erased.text and "Gina" not in erased.text
        _error(a.get("/v1/customers/G1"), 404, "not_found")
        _error(a.get("/v1/customers/G1/export"), 404, "not_found")
        _error(a.delete("/v1/customers/G1"), 404, "not_found")
        may = a.get("/v1/kpis/nps/values", params=_params("month", [], "2021-05", "2021-06")).json()[0]
        assert (may["value"], may["n"]) == (100.0, 1)


def test_api_keys_over_http(live: SimpleNamespace) -> None:
    with _client(live, "admin") as a:
        created = a.post("/v1/apikeys", json={"name": "tmp", "scope": "read"})
        assert created.status_code == 201
        new = created.json()
        assert new["key"].startswith("adk_") and new["scope"] == "read"
        assert all("key" not in k for k in a.get("/v1/apikeys").json())
        with live.server.client(new["key"]) as c:
            assert c.get("/v1/kpis").status_code == 200
            assert a.delete(f"/v1/apikeys/{new['id']}").json()["active"] is False
            _error(c.get("/v1/kpis"), 401, "unauthorized")
        _error(a.post("/v1/apikeys", json={"name": "x", "scope": "root"}), 422, "invalid_request")


# -- limits ---------------------------------------------------------------------------------------
def test_rate_limit_429_and_body_limit_413(tmp_path: Path) -> None:
    db = worked_workspace(tmp_path / "lim.duckdb")
    key, other = new_keys(db, "write", "read").values()
    with Server(db, rate=1, burst=3, max_body_bytes=4096) as server:
        with server.client(key) as c:
            codes = [c.get("/v1/version").status_code for _ in range(6)]
            assert codes[:3] == [200, 200, 200] and codes[-1] == 429
            r = c.get("/v1/version")
            err = _error(r, 429, "rate_limited")
            assert int(r.headers["retry-after"]) >= 1 and err["hint"]
            with server.client(other) as o:  # buckets are per key
                assert o.get("/v1/version").status_code == 200
            time.sleep(1.1)
            big = {"events": [{"customer_id": "A", "type": "review", "occurred_at": "2023-01-01", "text": "x" * 5000}]}
            _error(c.post("/v1/events", json=big), 413, "payload_too_large")

            def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
                for _ in range(10):
                    yield b" " * 1000

            time.sleep(1.1)
            _error(c.post("/v1/events", content=chunks(), headers={"content-type": "application/json"}),
                   413, "payload_too_large")


# -- dates at the ends of the calendar ---------------------------------------------------------
def test_dates_outside_1900_to_2100_are_rejected_per_item_and_no_query_fails(tmp_path: Path) -> None:
    db = worked_workspace(tmp_path / "dates.duckdb")
    keys = new_keys(db, "write", "read")
    ev = {"customer_id": "A", "type": "review"}
    events = [{**ev, "event_id": "y1", "occurred_at": "2101-01-01"},
              {**ev, "event_id": "y2", "occurred_at": "2100-12-31T23:30:00-01:00"},  # 2101 in UTC
              {**ev, "event_id": "y3", "occurred_at": "1900-01-01T00:30:00+01:00"},  # 1899 in UTC
              {**ev, "event_id": "y4", "occurred_at": "2999-12-31"},
              {**ev, "event_id": "y5", "occurred_at": "2100-12-31T23:59:59Z"},
              {**ev, "event_id": "y6", "occurred_at": "1900-01-01"}]
    with Server(db, rate=0) as server:
        with server.client(keys["write"]) as c:
            r = c.post("/v1/events", json={"events": events})
            assert r.status_code == 207, r.text
            items = r.json()["items"]
            assert [i["status"] for i in items] == ["rejected"] * 4 + ["accepted"] * 2
            for item in items[:4]:
                (err,) = item["errors"]
                assert err["field"] == "occurred_at" and "year from 1900 to 2100 (UTC)" in err["reason"], err
            customers = [{"customer_id": "Y1", "signup_at": "2500-01-01"},
                         {"customer_id": "Y2", "signup_at": "2024-01-01", "churned_at": "2999-01-01"}]
            items = c.post("/v1/customers", json={"customers": customers}).json()["items"]
            assert [(i["status"], i["errors"][0]["field"]) for i in items] == [("rejected", "signup_at"),
                                                                               ("rejected", "churned_at")]
            for bad in ("infinity", "-infinity", "0001-01-01", "9999-12-31", "epoch", "1899-12-31T23:00:00Z",
                        "2050-01-01T10:00:00+99:99"):
                r = c.post("/v1/events", json={"events": [{**ev, "occurred_at": bad}]})
                assert _error(r, 422, "invalid_request")["details"][0]["field"] == "occurred_at"
        with server.client(keys["read"]) as c:
            for kpi, params in (("nps", {"period": "month", "by": "segment"}),
                                ("customer_churn_rate", {"period": "year", "from": "1900", "to": "2100-12-31"})):
                r = c.get(f"/v1/kpis/{kpi}/values", params=params)
                assert r.status_code == 200, (kpi, params, r.text)
            # issue 13 item 6: a period outside the calendar is invalid input (422), never a 500
            for kpi, params in (("customer_churn_rate", {"period": "year", "from": "1900", "to": "2999-12-31"}),
                                ("active_advocates_rate", {"period": "quarter", "from": "2999-10-01", "to": "2999-12-31"})):
                r = c.get(f"/v1/kpis/{kpi}/values", params=params)
                assert _error(r, 422, "invalid_argument"), (kpi, params, r.text)
            rows = c.get("/v1/kpis/advocacy_actions_per_customer/values", params={"period": "year"}).json()
            assert {"1900", "2100"} <= {row["period"] for row in rows}
            assert c.get("/v1/scorecard", params={"period": "1900"}).status_code == 200
            assert _error(c.get("/v1/scorecard", params={"period": "2999-Q4"}), 422, "invalid_argument")
            assert c.get("/v1/workspace").status_code == 200


# -- crash safety -----------------------------------------------------------------------------------
def test_sigkill_in_the_middle_of_batches_then_restart_and_replay(tmp_path: Path) -> None:
    db = worked_workspace(tmp_path / "kill.duckdb")
    key = new_keys(db, "write")["write"]
    batches = [[{"event_id": f"k{b}-{i}", "customer_id": "ABC"[i % 3], "type": "review",
                 "occurred_at": f"2024-0{1 + b % 9}-01T00:00:00Z", "text": "t" * 50} for i in range(4000)]
               for b in range(6)]
    server = Server(db, rate=0).start()
    acked: list[int] = []
    interrupted: list[BaseException] = []

    def send() -> None:
        with server.client(key, timeout=120) as c:
            for b, batch in enumerate(batches):
                try:
                    c.post("/v1/events", json={"events": batch}).raise_for_status()
                except httpx.HTTPError as exc:
                    interrupted.append(exc)
                    return
                acked.append(b)

    thread = threading.Thread(target=send)
    thread.start()
    deadline = time.monotonic() + 60
    while len(acked) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # the next batch is in flight
    server.kill()
    thread.join()
    assert len(acked) >= 2 and interrupted, (acked, interrupted)  # killed in the middle of a batch
    server = Server(db, rate=0).start()
    try:
        with server.client(key, timeout=120) as c:
            for batch in batches:  # the client replays everything it is unsure of
                statuses = {i["status"] for i in c.post("/v1/events", json={"events": batch}).json()["items"]}
                assert statuses in ({"accepted"}, {"duplicate"})  # a batch landed whole or not at all
            for batch in batches:
                statuses = {i["status"] for i in c.post("/v1/events", json={"events": batch}).json()["items"]}
                assert statuses == {"duplicate"}
            info = c.get("/v1/workspace").json()
    finally:
        server.stop()
    assert info["events"] == 9 + sum(len(b) for b in batches)  # nothing lost, nothing doubled
    assert cli(db, "kpi", "list").returncode == 0  # the workspace opens normally afterwards
