"""GET /v1/listening on a real `advokit serve`, and `advokit listening` through the server that holds the file."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from .api_support import Server, cli, new_keys
from .cli_support import csv_workspace
from .test_listening import CUSTOMERS, EVENTS, LABELS


def test_listening_over_http_and_through_the_server(tmp_path: Path) -> None:
    ws = csv_workspace(tmp_path, CUSTOMERS, EVENTS)
    with ws.db.transaction() as cur:
        for event_id, label in LABELS.items():
            cur.execute("UPDATE text_sentiment SET label = ? WHERE event_id = ?", [label, event_id])
    db = ws.path
    ws.close()
    key = new_keys(db, "read")["read"]
    with Server(db, rate=0) as server:
        auth = {"Authorization": f"Bearer {key}"}
        r = httpx.get(server.url + "/v1/listening", params={"period": "2025-09", "by": "segment"}, headers=auth)
        assert r.status_code == 200, r.text
        got = r.json()
        # the figures of tests/test_listening.py without the brand setting: ours m1-m5, 8300 reach
        assert (got["period"], got["figures"]["volume"], got["figures"]["reach"]) == ("2025-09", 5, 8300)
        # positive m1 m2, negative m3, neutral m4; m5 unscored: net 100 × (2 − 1) / 4 = 25
        assert got["figures"]["sentiment"]["net"] == 25.0
        assert [g["segment"] for g in got["groups"]] == ["Enterprise", "SMB", None]
        assert httpx.get(server.url + "/v1/listening", params={"period": "2025-09"}).status_code == 401
        bad = httpx.get(server.url + "/v1/listening", params={"period": "2025-09", "by": "nope"}, headers=auth)
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_dimension"
        outside = httpx.get(server.url + "/v1/listening", params={"period": "2024-01"}, headers=auth)
        assert outside.status_code == 422 and outside.json()["error"]["code"] == "period_outside_data"
        # the command line reaches the same figures through the server that holds the file
        via = json.loads(cli(db, "listening", "--period", "2025-09", "--format", "json").stdout)
        assert via["figures"] == got["figures"]
