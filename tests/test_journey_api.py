"""GET /v1/journey, POST /v1/journey/refresh, GET /v1/personas, POST /v1/personas/refresh on a real
`advokit serve`, and `advokit journey` / `advokit personas` through the server that holds the file
(the hand-worked cases of tests/test_journey.py and tests/test_personas.py)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from .api_support import Server, cli, new_keys
from .cli_support import csv_workspace
from .test_journey import AS_OF, CASES, EXPECTED


def test_journey_and_personas_over_http_and_through_the_server(tmp_path: Path) -> None:
    csv_workspace(tmp_path, (CASES / "journey_customers.csv").read_text(),
                  (CASES / "journey_events.csv").read_text()).close()
    db = tmp_path / "w.duckdb"
    keys = new_keys(db, "read", "write")
    with Server(db, rate=0) as server:
        read = {"Authorization": f"Bearer {keys['read']}"}
        write = {"Authorization": f"Bearer {keys['write']}"}
        r = httpx.get(server.url + "/v1/journey", params={"as_of": AS_OF}, headers=read)
        assert r.status_code == 200, r.text
        body = r.json()
        assert {x["customer_id"]: (x["stage"], x["reasons"]) for x in body["rows"]} == EXPECTED
        assert body["customers"] == 14 and body["stored"] is None
        assert [c["customers"] for c in body["counts"]] == [2, 6, 1, 1, 4]
        r = httpx.get(server.url + "/v1/journey", params={"as_of": AS_OF, "stage": "risk", "limit": 2}, headers=read)
        assert [x["customer_id"] for x in r.json()["rows"]] == ["R1", "R2"]
        bad = httpx.get(server.url + "/v1/journey", params={"stage": "hero"}, headers=read)
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_argument"
        assert httpx.get(server.url + "/v1/journey").status_code == 401
        # refreshes need the write scope
        assert httpx.post(server.url + "/v1/journey/refresh", headers=read).status_code == 403
        done = httpx.post(server.url + "/v1/journey/refresh", params={"as_of": AS_OF}, headers=write)
        assert done.status_code == 200 and done.json()["as_of"] == AS_OF
        stored = httpx.get(server.url + "/v1/journey", params={"as_of": AS_OF, "limit": 1}, headers=read).json()
        assert stored["stored"]["as_of"] == AS_OF
        none = httpx.get(server.url + "/v1/personas", headers=read)
        assert none.status_code == 409 and none.json()["error"]["code"] == "not_computed"
        assert httpx.post(server.url + "/v1/personas/refresh", headers=read).status_code == 403
        made = httpx.post(server.url + "/v1/personas/refresh", params={"as_of": AS_OF, "k": 2}, headers=write)
        assert made.status_code == 200, made.text
        assert made.json()["k"] == 2 and len(made.json()["personas"]) == 2
        got = httpx.get(server.url + "/v1/personas", headers=read).json()
        assert got["personas"] == made.json()["personas"]
        # the command line reaches the same through the server that holds the file
        via = json.loads(cli(db, "journey", "list", "--as-of", AS_OF, "--format", "json").stdout)
        assert via == body["rows"]
        personas = json.loads(cli(db, "personas", "--k", "2", "--as-of", AS_OF, "--format", "json").stdout)
        assert personas["personas"] == made.json()["personas"]
        with httpx.Client(base_url=server.url, headers=read) as client:
            by = client.get("/v1/kpis/nps/values", params={"period": "year", "by": "persona"})
        assert by.status_code == 200, by.text
        names = {p["name"] for p in personas["personas"]}
        assert {r["persona"] for r in by.json() if r["persona"] is not None} == names
