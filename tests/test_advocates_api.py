"""GET /v1/advocates and /v1/advocates/{customer_id} on a real `advokit serve`, and `advokit advocates` through
the server that holds the file (the hand-worked case of tests/test_advocates.py)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from .api_support import Server, cli, new_keys
from .test_advocates import AS_OF, build


def test_advocates_over_http_and_through_the_server(tmp_path: Path) -> None:
    db = build(tmp_path)
    key = new_keys(db, "read")["read"]
    with Server(db, rate=0) as server:
        auth = {"Authorization": f"Bearer {key}"}
        r = httpx.get(server.url + "/v1/advocates", params={"as_of": AS_OF}, headers=auth)
        assert r.status_code == 200, r.text
        rows = r.json()
        # A 87.0 Champion, C 54.0 Potential, B 16.3 At risk (worked in tests/test_advocates.py)
        assert [(x["customer_id"], x["score"], x["tier"], x["churn_risk"]) for x in rows] == [
            ("A", 87.0, "Champion", None), ("C", 54.0, "Potential", None), ("B", 16.3, "At risk", None)]
        r = httpx.get(server.url + "/v1/advocates", params={"as_of": AS_OF, "tier": "at_risk", "limit": 5},
                      headers=auth)
        assert [x["customer_id"] for x in r.json()] == ["B"]
        one = httpx.get(server.url + "/v1/advocates/A", params={"as_of": AS_OF}, headers=auth)
        assert one.status_code == 200 and one.json()["score"] == 87.0
        assert {c["component"]: c["points"] for c in one.json()["components"]}["nps"] == 20.0
        assert httpx.get(server.url + "/v1/advocates").status_code == 401
        bad = httpx.get(server.url + "/v1/advocates", params={"tier": "hero"}, headers=auth)
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_argument"
        gone = httpx.get(server.url + "/v1/advocates/NOPE", params={"as_of": AS_OF}, headers=auth)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
        # the command line reaches the same rows through the server that holds the file
        via = json.loads(cli(db, "advocates", "list", "--as-of", AS_OF, "--format", "json").stdout)
        assert via == rows
