"""Webhook secret rotation: a grace period that ends, and can be ended now (issue 13, item 11a)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from advokit import Workspace
from advokit.access.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from advokit.errors import AuthError, InvalidArgumentError, WorkspaceError
from advokit.store import database as storage

from .api_support import Server, cli, cli_json, new_keys

BODY = b'{"events": [{"event_id": "w-1", "customer_id": "A", "type": "mention", "occurred_at": "2025-01-02"}]}'


def _ok(ws: Workspace, secret: str) -> bool:
    now = int(time.time())
    try:
        ws.access.webhooks.verify("tool", BODY, str(now), sign(secret, now, BODY))
    except AuthError:
        return False
    return True


def test_the_previous_secret_works_for_the_grace_period_and_then_stops(tmp_path: Path) -> None:
    with Workspace(tmp_path / "g.duckdb") as ws:
        hooks = ws.access.webhooks
        first, created = hooks.set_secret("tool", kind="canonical")
        assert created.previous_until is None
        second, rotated = hooks.set_secret("tool")
        assert rotated.rotated_at is not None and rotated.previous_until is not None
        until = dt.datetime.fromisoformat(rotated.previous_until.rstrip("Z"))
        assert until - dt.datetime.fromisoformat(rotated.rotated_at.rstrip("Z")) == dt.timedelta(hours=24)
        assert _ok(ws, first) and _ok(ws, second)
        with ws.db.transaction(data=False) as cur:  # the 24 hours are over
            cur.execute("UPDATE webhook_sources SET previous_until = now()::TIMESTAMP - INTERVAL 1 SECOND")
        assert not _ok(ws, first) and _ok(ws, second)
        assert hooks.get("tool").previous_until is None

        third, short = hooks.set_secret("tool", grace=dt.timedelta(hours=1))
        assert short.previous_until is not None and _ok(ws, second) and _ok(ws, third)
        revoked = hooks.revoke_previous("tool")
        assert revoked.previous_until is None and not _ok(ws, second) and _ok(ws, third)

        fourth, none = hooks.set_secret("tool", grace=dt.timedelta(0))  # a rotation with no overlap
        assert none.previous_until is None and not _ok(ws, third) and _ok(ws, fourth)
        with pytest.raises(InvalidArgumentError, match="grace"):
            hooks.set_secret("tool", grace=dt.timedelta(days=31))


def test_a_version_3_workspace_keeps_its_rotation_for_24_hours(tmp_path: Path) -> None:
    path = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(path))
    for step in storage.MIGRATIONS[:3]:
        for statement in step:
            con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    con.execute("INSERT INTO webhook_sources VALUES ('tool', 'auto', 'new', 'old', '2025-01-01 10:00:00', NULL), "
                "('plain', 'auto', 's', NULL, NULL, NULL)")
    con.close()
    db = storage.Database(path)
    try:
        rows = db.cursor().execute("SELECT source, previous_until FROM webhook_sources ORDER BY source").fetchall()
        assert rows == [("plain", None), ("tool", dt.datetime(2025, 1, 2, 10, 0))]
    finally:
        db.close()


def _deliver(c: httpx.Client, secret: str, event_id: str) -> httpx.Response:
    body = json.dumps({"events": [{"event_id": event_id, "customer_id": "A", "type": "mention",
                                   "occurred_at": "2025-01-02T00:00:00Z"}]}).encode()
    now = int(time.time())
    return c.post("/v1/webhooks/tool", content=body, headers={
        TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: sign(secret, now, body), "Content-Type": "application/json"})


@pytest.mark.slow
def test_revoke_previous_stops_the_old_secret_at_once_on_a_real_server(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    with Workspace(db) as ws:
        ws.import_customers([{"customer_id": "A", "segment": "SMB", "signup_at": "2024-01-01"}])
    keys = new_keys(db, "admin")
    old: Any = cli_json(db, "webhook", "secret", "tool", "--kind", "canonical")["secret"]
    rotated = cli_json(db, "webhook", "secret", "tool")
    new = rotated["secret"]
    assert rotated["previous_until"] is not None
    revoked = cli(db, "webhook", "secret", "tool", "--revoke-previous")
    assert "previous secret no longer works" in revoked.stdout
    assert cli_json(db, "webhook", "list")[0]["previous_until"] is None
    with Server(db, rate=0) as server, server.client(keys["admin"]) as c:
        assert _deliver(c, old, "w-1").status_code == 401
        assert _deliver(c, new, "w-2").status_code == 200
        # the API: rotate (the replaced one works in the grace period), then end the grace period now
        r = c.put("/v1/webhooks/tool/secret", json={"grace_hours": 2})
        assert r.status_code == 200 and r.json()["previous_until"] is not None
        newest = r.json()["secret"]
        assert _deliver(c, new, "w-3").status_code == 200 and _deliver(c, newest, "w-4").status_code == 200
        r = c.delete("/v1/webhooks/tool/previous-secret")
        assert r.status_code == 200 and r.json()["previous_until"] is None
        assert _deliver(c, new, "w-5").status_code == 401
        assert _deliver(c, newest, "w-6").status_code == 200
        assert c.delete("/v1/webhooks/nope/previous-secret").status_code == 404


def test_webhook_secrets_are_sealed_in_the_file_with_the_workspace_key(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Workspace(path) as ws:
        first, _ = ws.access.webhooks.set_secret("tool", kind="canonical")
        second, _ = ws.access.webhooks.set_secret("tool")  # the first stays valid for the grace period
        stored = ws.db.cursor().execute("SELECT secret, previous_secret FROM webhook_sources").fetchall()
        assert all(v.startswith("sealed:v1:") for v in stored[0])
        assert _ok(ws, first) and _ok(ws, second)
    raw = path.read_bytes()
    assert first.encode() not in raw and second.encode() not in raw
    with Workspace(path) as ws:  # reopened: the key file opens them again
        assert _ok(ws, first) and _ok(ws, second)
    (tmp_path / "s.duckdb.key").write_text("00" * 32 + "\n")  # another key: the secrets cannot be opened
    with Workspace(path) as ws:
        with pytest.raises(WorkspaceError, match="cannot be opened with its key"):
            _ok(ws, second)


def test_secrets_an_older_version_kept_in_the_clear_are_sealed_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Workspace(path) as ws:
        ws.access.webhooks.set_secret("tool")
    con = duckdb.connect(str(path))  # as written before secrets were sealed
    con.execute("UPDATE webhook_sources SET secret = 'whsec_plain-old-secret-value', "
                "previous_secret = 'whsec_plain-previous-value', previous_until = now()::TIMESTAMP + INTERVAL 1 HOUR")
    con.close()
    with Workspace(path) as ws:
        assert _ok(ws, "whsec_plain-old-secret-value") and _ok(ws, "whsec_plain-previous-value")
        stored = ws.db.cursor().execute("SELECT secret, previous_secret FROM webhook_sources").fetchall()
        assert all(v.startswith("sealed:v1:") for v in stored[0])
    raw = path.read_bytes()
    assert b"whsec_plain-old-secret-value" not in raw and b"whsec_plain-previous-value" not in raw
