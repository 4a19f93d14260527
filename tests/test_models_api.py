"""GET /v1/models, POST /v1/models/{target}/train and GET /v1/models/{target}/backtest on a real `advokit serve`,
and `advokit model` through the server that holds the file (the planted workspace of tests/models_support.py)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from .api_support import Server, cli, new_keys
from .models_support import build

pytestmark = pytest.mark.slow  # a real server, a training and two backtests

EARLY = "2024-05-01"


def test_models_over_http_and_through_the_server(tmp_path: Path) -> None:
    db = build(tmp_path / "m.duckdb")
    keys = new_keys(db, "read", "write")
    with Server(db, rate=0) as server:
        read = {"Authorization": f"Bearer {keys['read']}"}
        write = {"Authorization": f"Bearer {keys['write']}"}
        assert httpx.get(server.url + "/v1/models", headers=read).json() == []
        r = httpx.get(server.url + "/v1/models/advocacy/backtest", params={"as_of": EARLY}, headers=read,
                      timeout=60)
        assert r.status_code == 200, r.text
        assert r.json()["method"] == "cross_validation" and set(r.json()["baseline"]) >= {"auc", "lift_top_decile"}
        bad = httpx.get(server.url + "/v1/models/nps/backtest", params={"as_of": EARLY}, headers=read)
        assert bad.status_code == 422
        none = httpx.get(server.url + "/v1/models/churn/backtest", params={"as_of": "2010-01-01"}, headers=read)
        assert none.status_code == 422 and none.json()["error"]["code"] == "invalid_argument"
        assert httpx.post(server.url + "/v1/models/churn/train", headers=read).status_code == 403
        t = httpx.post(server.url + "/v1/models/churn/train", params={"as_of": "2024-10-01"}, headers=write,
                       timeout=60)
        assert t.status_code == 200, t.text
        assert t.json()["target"] == "churn" and t.json()["as_of"] == "2024-10-01"
        listed = httpx.get(server.url + "/v1/models", headers=read).json()
        assert [m["model_id"] for m in listed] == [t.json()["model_id"]]
        one = httpx.get(server.url + "/v1/advocates/K0001", params={"as_of": "2024-10-01"}, headers=read).json()
        assert 0 <= one["churn_risk"] <= 1 and one["churn_factors"]["raising"] is not None
        # the command line reaches the same through the server that holds the file
        via = json.loads(cli(db, "model", "list", "--format", "json").stdout)
        assert [m["model_id"] for m in via] == [t.json()["model_id"]]
        bt = json.loads(cli(db, "model", "backtest", "--target", "advocacy", "--as-of", EARLY, "--format", "json").stdout)
        assert bt == r.json()
