"""GET /v1/funnel, /v1/influencers and /v1/advocates/next-ask on a real `advokit serve`, and `advokit funnel`,
`influencers` and `advocates next-ask` through the server that holds the file (tests/funnel_support.py)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from advokit import Workspace
from advokit.cli import serverfile
from advokit.cli.remote import RemoteWorkspace

from .api_support import Server, cli, new_keys
from .funnel_support import build


def test_funnel_routes_over_http_and_through_the_server(tmp_path: Path) -> None:
    db = build(tmp_path)
    key = new_keys(db, "read")["read"]
    with Workspace(db) as ws:
        want = ws.funnel.compute("2025-Q2", by="segment")
    with Server(db, rate=0) as server:
        auth = {"Authorization": f"Bearer {key}"}
        r = httpx.get(server.url + "/v1/funnel", params={"period": "2025-Q2", "by": "segment"}, headers=auth)
        assert r.status_code == 200, r.text
        assert r.json() == want
        assert [s["customers"] for s in r.json()["stages"]] == [6, 4, 3, 3, 1]
        assert r.json()["conversions"][0] == {"from": "identified", "to": "activated", "customers": 6,
                                              "converted": 4, "rate": 66.67, "low": 30.0, "high": 90.32}
        plain = httpx.get(server.url + "/v1/funnel", params={"period": "2025-Q2"}, headers=auth).json()
        assert plain["by"] is None and plain["segments"] is None
        bad = httpx.get(server.url + "/v1/funnel", params={"period": "2025-Q2", "by": "colour"}, headers=auth)
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_dimension"
        assert httpx.get(server.url + "/v1/funnel").status_code == 401

        infl = httpx.get(server.url + "/v1/influencers", params={"period": "2025-Q2", "limit": 2}, headers=auth)
        assert infl.status_code == 200, infl.text
        assert [(x["author"], x["reach"], x["influencer"]) for x in infl.json()] == [
            ("@big", 60000, True), ("@wide", 60000, False)]

        asks = httpx.get(server.url + "/v1/advocates/next-ask", params={"as_of": "2025-07-01"}, headers=auth)
        assert asks.status_code == 200, asks.text  # the route, not an advocate called "next-ask"
        p1 = asks.json()[-1]
        assert (p1["customer_id"], p1["next_ask"], p1["askable_from"]) == ("P1", None, "2025-07-02")

        # the command line reaches the same answers through the server that holds the file
        via = json.loads(cli(db, "funnel", "--period", "2025-Q2", "--by", "segment", "--format", "json").stdout)
        assert via == want
        # the other two calls of that channel, made in this process (a command's start-up is seconds)
        found = serverfile.find(db)
        assert found is not None
        remote = RemoteWorkspace(db, found)
        assert remote.funnel.next_ask(as_of="2025-07-01") == asks.json()
        assert remote.funnel.influencers(period="2025-Q2", limit=2) == infl.json()
