"""``POST /v1/events`` for plain valid batches without the request model (``advokit.api.fast_events``).

The shorter way may only take a body that the declared endpoint would accept
whole (``EventsBatch`` and every import rule), and must then answer exactly as
the declared endpoint does. Checked three ways: the model itself on generated
items; which requests take it; and the same batches sent to two real servers,
plainly to one and with ``?strict=false`` (which always goes the declared way)
to the other, comparing responses and the stored rows.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from advokit import Workspace
from advokit.api import fast_events
from advokit.api.app import create_app
from advokit.api.schemas import EventsBatch
from advokit.ingest import rules
from tests.api_support import Server, new_keys, worked_workspace
from tests.test_ingest_fast import event, good_event, near_event

#: items off the model's limits that the import rules alone would not refuse
model_edge = st.fixed_dictionaries({
    "event_id": st.sampled_from(["m1", "m" * 256, "m" * 257]),
    "customer_id": st.sampled_from(["A", "", "B" * 257, None]),
    "type": st.sampled_from(["mention", "review", "nps_response"]),
    "occurred_at": st.sampled_from(["2025-02-03T10:00:00Z", "1899-12-31T23:00:00-02:00", "2101-01-01T00:00:00+01:00",
                                    "3000-01-01", "1900-01-01T00:30:00+01:00"]),
    "score": st.sampled_from([None, 5, 9.0]),
    "channel": st.sampled_from([None, "", "c" * 256, "c" * 257]),
    "text": st.sampled_from([None, "", "ok"]),  # (the text limit: test_the_model_limits_are_checked)
}).map(lambda e: {k: v for k, v in e.items() if v is not None})


def _model_accepts(events: list[Any]) -> bool:
    try:
        EventsBatch.model_validate_json(json.dumps({"events": events}))
    except ValidationError:
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(event, near_event, good_event, model_edge), min_size=1, max_size=4))
def test_what_the_short_way_takes_the_model_accepts(events: list[dict[str, Any]]) -> None:
    body = json.dumps({"events": events}, ensure_ascii=False).encode()
    if b"\\u" in body:
        return  # such a body always goes the declared way
    try:
        events = orjson.loads(body)["events"]
    except orjson.JSONDecodeError:  # NaN, an integer over 64 bits: the declared way
        return
    if fast_events.fits_model(events) and rules.fast_events(events) is not None:
        assert _model_accepts(events), events


def test_the_model_limits_are_checked() -> None:
    ok = {"event_id": "x", "customer_id": "A", "type": "review", "occurred_at": "2025-02-03T10:00:00Z"}
    assert fast_events.fits_model([ok]) and _model_accepts([ok])
    for change in ({"event_id": "x" * 257}, {"customer_id": ""}, {"type": ["review"]}, {"channel": "c" * 257},
                   {"ref": "r" * 257}, {"text": "t" * 100_001}, {"occurred_at": "1899-12-31T23:00:00-02:00"},
                   {"occurred_at": 20250203}):
        bad = {**ok, **change}
        assert not fast_events.fits_model([bad]), change
        assert not _model_accepts([bad]), change


@pytest.fixture()
def app_client(tmp_path: Path) -> Any:
    db = worked_workspace(tmp_path / "w.duckdb")
    keys = new_keys(db, "write", "read")
    ws = Workspace(db)
    taken: list[bool] = []
    real = fast_events._import_if_plain

    def spy(*args: Any) -> Any:
        response = real(*args)
        taken.append(response is not None)
        return response

    fast_events._import_if_plain = spy  # type: ignore[assignment]
    try:
        yield _InProcess(create_app(ws)), keys, taken, ws
    finally:
        fast_events._import_if_plain = real  # type: ignore[assignment]
        ws.close()


class _InProcess:
    """The application called in this process (to see which way each request took), one request at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://test") as c:
                return await c.post(url, **kwargs)

        with ThreadPoolExecutor(1) as pool:  # a loop of its own, whatever this thread runs (e.g. Playwright's)
            return pool.submit(asyncio.run, go()).result()


def _event(i: int, **change: Any) -> dict[str, Any]:
    return {"event_id": f"t{i}", "customer_id": "A", "type": "nps_response", "occurred_at": "2025-03-02T10:00:00Z",
            "score": 9, **change}


def test_which_requests_take_the_short_way(app_client: Any) -> None:
    client, keys, taken, ws = app_client
    auth = {"Authorization": f"Bearer {keys['write']}"}

    def send(body: bytes, headers: dict[str, str] | None = None, query: str = "") -> tuple[int, Any, bool | None]:
        taken.clear()
        r = client.post("/v1/events" + query, content=body,
                        headers={"content-type": "application/json", **auth, **(headers or {})})
        return r.status_code, r.json(), (taken[0] if taken else None)

    status, out, short = send(orjson.dumps({"events": [_event(1), _event(2)]}))
    assert (status, out["accepted"], short) == (200, 2, True)
    assert [i["status"] for i in out["items"]] == ["accepted", "accepted"]
    status, out, short = send(orjson.dumps({"events": [_event(1), _event(3)]}))  # replay: duplicates found the same way
    assert (status, out["accepted"], out["duplicates"], short) == (200, 1, 1, True)
    assert ws.db.cursor().execute("SELECT count(*) FROM events WHERE event_id LIKE 't%'").fetchone() == (3,)

    # each of these goes the declared way (and is answered by it)
    assert send(orjson.dumps({"events": [_event(4)]}), query="?strict=false")[2] is None  # a query string
    assert send(orjson.dumps({"events": [_event(5)]}), headers={"content-type": "text/plain"})[0] == 422
    assert send(orjson.dumps({"events": [_event(6, text="caf\\u00e9")]}))[2] is False  # an escape in the body
    assert send(b'{"events": [' + orjson.dumps(_event(7, text="caf\u00e9")) + b"]}")[2] is True  # raw UTF-8 is fine
    assert send(orjson.dumps({"events": [_event(8, score=11)]}))[:2][0] == 207  # rejected by a rule: declared way
    assert send(orjson.dumps({"events": [_event(9, customer_id="")]}))[0] == 422  # the model's limit
    assert send(b'{"events": [], "extra": 1}')[0] == 422
    assert send(b'{"events": [NaN]}')[0] == 422
    assert send(b"not json")[0] == 422
    assert send(orjson.dumps({"events": []}))[:2] == (200, {"kind": "events", "received": 0, "accepted": 0,
                                                            "duplicates": 0, "rejected": 0, "items": []})
    # keys are checked the same way: a read key, a bad key, none
    status, out, short = send(orjson.dumps({"events": [_event(10)]}), headers={"Authorization": f"Bearer {keys['read']}"})
    assert (status, out["error"]["code"], short) == (403, "forbidden", None)  # refused, the short way raised it
    status, out, _ = send(orjson.dumps({"events": [_event(11)]}), headers={"Authorization": "Bearer nope"})
    assert (status, out["error"]["code"]) == (401, "unauthorized")
    status, out, short = send(orjson.dumps({"events": [_event(12)]}), headers={"Authorization": ""})
    assert (status, out["error"]["code"], short) == (401, "unauthorized", None)
    assert ws.db.cursor().execute("SELECT count(*) FROM events WHERE event_id IN ('t10', 't11', 't12')").fetchone() == (0,)


BATCHES: list[list[dict[str, Any]]] = [
    [_event(i, occurred_at=f"2025-03-{1 + i % 27:02d}T0{i % 10}:00:00+05:30") for i in range(50)],
    [_event(i) for i in range(45, 60)],  # some replayed
    [_event(100, type="review", score=None, text="caf\u00e9 \u2603", channel="g2"),
     _event(101, type="expansion", score=None, amount=1200.5), _event(102, customer_id="nobody")],  # an unknown customer
    [_event(103, type="mention", customer_id=None, score=None, text="seen on the web")],
    [_event(104, score=10.0), _event(104, score=3)],  # repeated in the batch
    [_event(105, occurred_at="2025-03-02")],
]


def test_both_ways_give_the_same_answers_and_rows(tmp_path: Path) -> None:
    stored = []
    for way, query in (("short", ""), ("declared", "?strict=false")):
        db = worked_workspace(tmp_path / f"{way}.duckdb")
        key = new_keys(db, "write")["write"]
        answers = []
        with Server(db) as server, server.client(key) as client:
            for batch in BATCHES:
                r = client.post("/v1/events" + query, content=orjson.dumps({"events": batch}),
                                headers={"content-type": "application/json"})
                answers.append((r.status_code, r.json()))
        con = duckdb.connect(str(db), read_only=True)
        try:
            rows = con.execute("SELECT event_id, customer_id, type, occurred_at, score, amount, text, channel, ref, "
                               "properties FROM events ORDER BY event_id").fetchall()
            imports = con.execute("SELECT kind, source, imported, rejected, duplicates FROM imports "
                                  "ORDER BY finished_at").fetchall()
        finally:
            con.close()
        stored.append((answers, rows, imports))
    assert stored[0] == stored[1]
    answers = stored[0][0]
    assert [a[0] for a in answers] == [200, 200, 207, 200, 200, 200]
    assert answers[1][1]["duplicates"] == 5
