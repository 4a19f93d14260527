"""The core services behind the API: keys, webhooks, customer profiles and GDPR (no HTTP)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pytest

from advokit.access.keys import allows
from advokit.access.webhooks import sign, to_events
from advokit.errors import (
    AuthError,
    DataError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
)
from advokit.store import database as storage

from .analysis_support import load_worked_example, workspace


@pytest.fixture
def ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    w = workspace(tmp_path / "s.duckdb")
    load_worked_example(w)
    yield w
    w.close()


# -- keys ---------------------------------------------------------------------------
def test_a_key_is_shown_once_and_stored_only_as_a_salted_hash(ws) -> None:  # type: ignore[no-untyped-def]
    new = ws.access.keys.create(name="crm", scope="write")
    stored = ws.db.cursor().execute("SELECT key_hash FROM api_keys WHERE key_id = ?", [new.info.id]).fetchone()[0]
    assert new.key not in stored and new.key.split("_", 2)[2] not in stored
    assert stored.startswith("hmac-sha256$")
    other = ws.access.keys.create(name="crm", scope="write")
    assert other.key != new.key
    assert ws.access.keys.authenticate(new.key).scope == "write"
    assert "key" not in ws.access.keys.list()[0].to_dict()


def test_scopes_are_ordered_and_enforced(ws) -> None:  # type: ignore[no-untyped-def]
    assert allows("admin", "write") and allows("write", "read") and not allows("read", "write")
    read = ws.access.keys.create(name="r", scope="read")
    with pytest.raises(ForbiddenError):
        ws.access.keys.authenticate(read.key, need="admin")
    with pytest.raises(InvalidArgumentError):
        ws.access.keys.create(name="x", scope="root")


@pytest.mark.parametrize("token", [None, "", "adk_000000000000_" + "x" * 43, "Bearer abc", "adk_"])
def test_bad_keys_are_refused(ws, token) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AuthError) as err:
        ws.access.keys.authenticate(token)
    assert not isinstance(err.value, ForbiddenError)


def test_a_revoked_key_stops_working(ws) -> None:  # type: ignore[no-untyped-def]
    new = ws.access.keys.create(name="tmp", scope="admin")
    assert ws.access.keys.revoke(new.info.id).revoked_at is not None
    with pytest.raises(AuthError):
        ws.access.keys.authenticate(new.key)
    with pytest.raises(NotFoundError):
        ws.access.keys.revoke("nope")


def test_a_tampered_key_with_a_known_id_is_refused(ws) -> None:  # type: ignore[no-untyped-def]
    new = ws.access.keys.create(name="t", scope="read")
    tampered = new.key[:-1] + ("A" if new.key[-1] != "A" else "B")
    with pytest.raises(AuthError):
        ws.access.keys.authenticate(tampered)


# -- webhooks -----------------------------------------------------------------------
def test_webhook_signatures_good_bad_stale_future_and_rotation(ws) -> None:  # type: ignore[no-untyped-def]
    hooks = ws.access.webhooks
    secret, src = hooks.set_secret("delighted", kind="survey")
    assert src.kind == "survey" and secret.startswith("whsec_")
    body = b'{"x": 1}'
    now = int(time.time())
    assert hooks.verify("delighted", body, str(now), sign(secret, now, body)).kind == "survey"
    with pytest.raises(AuthError, match="does not match"):
        hooks.verify("delighted", body + b" ", str(now), sign(secret, now, body))
    with pytest.raises(AuthError, match="does not match"):
        hooks.verify("delighted", body, str(now), sign("whsec_other", now, body))
    with pytest.raises(AuthError, match="older than 5 minutes"):
        hooks.verify("delighted", body, str(now - 301), sign(secret, now - 301, body))
    with pytest.raises(AuthError, match="future"):
        hooks.verify("delighted", body, str(now + 120), sign(secret, now + 120, body))
    with pytest.raises(AuthError, match="missing"):
        hooks.verify("delighted", body, None, None)
    with pytest.raises(AuthError) as unknown:  # as a bad signature: the sources cannot be enumerated (issue 13)
        hooks.verify("unknown", body, str(now), sign(secret, now, body))
    with pytest.raises(AuthError) as bad:
        hooks.verify("delighted", body, str(now), sign("whsec_other", now, body))
    assert (type(unknown.value), unknown.value.to_dict()) == (type(bad.value), bad.value.to_dict())
    new_secret, rotated = hooks.set_secret("delighted")
    assert rotated.kind == "survey" and rotated.rotated_at is not None
    assert hooks.verify("delighted", body, str(now), sign(new_secret, now, body))
    assert hooks.verify("delighted", body, str(now), sign(secret, now, body))  # grace period
    stored = ws.db.cursor().execute("SELECT count(*) FROM webhook_sources").fetchone()[0]
    assert stored == 1 and [s.source for s in hooks.list()] == ["delighted"]
    with pytest.raises(InvalidArgumentError):
        hooks.set_secret("Bad Name")


def test_survey_and_referral_payloads_map_to_canonical_events() -> None:
    survey = {"event_type": "survey_response.created",
              "event_data": {"id": 77, "score": 9, "comment": "great", "created_at": 1738227600,
                             "survey_type": "nps", "person": {"id": "p1", "email": "x@y.example"},
                             "person_properties": {"customer_id": "A"}}}
    [ev] = to_events("delighted", "auto", survey)
    assert ev == {"event_id": "delighted:77", "customer_id": "A", "type": "nps_response",
                  "occurred_at": "2025-01-30T09:00:00Z", "score": 9, "text": "great", "channel": "survey",
                  "properties": {"webhook_source": "delighted"}}
    assert "x@y.example" not in json.dumps(ev)
    referral = {"type": "referral.converted", "id": "evt_9", "created_at": "2025-01-18T10:00:00Z",
                "data": {"referral_code": "REF-1", "advocate": {"customer_id": "C"},
                         "referred": {"customer_id": "Z", "email": "z@z.example"}, "amount": 1200}}
    [ev] = to_events("friendbuy", "auto", referral)
    assert ev["type"] == "referral_converted" and ev["customer_id"] == "C" and ev["amount"] == 1200
    assert ev["ref"] == "REF-1" and ev["properties"]["new_customer_id"] == "Z"
    assert to_events("x", "auto", {"events": [{"type": "review"}]}) == [{"type": "review"}]
    assert to_events("x", "canonical", {"type": "review"}) == [{"type": "review"}]
    with pytest.raises(DataError):
        to_events("x", "survey", {"event_type": "survey_response.created", "event_data": {"survey_type": "zzz"}})
    with pytest.raises(DataError):
        to_events("x", "referral", {"type": "referral.paid"})


# -- customers and GDPR ---------------------------------------------------------------
def test_profile_has_the_customer_a_summary_and_a_timeline(ws) -> None:  # type: ignore[no-untyped-def]
    p = ws.customers.profile("A", limit=2)
    assert p["customer"]["customer_id"] == "A" and p["customer"]["segment"] == "SMB"
    assert p["summary"]["events"] == 4 and p["summary"]["advocacy_actions"] == 2
    assert p["summary"]["latest_nps_score"] == 7.0
    assert len(p["timeline"]) == 2 and p["timeline_total"] == 4
    assert p["timeline"][0]["occurred_at"] == "2025-01-28T16:00:00Z"
    with pytest.raises(NotFoundError):
        ws.customers.profile("nobody")


def test_export_then_erase_removes_everything_and_records_no_personal_data(ws) -> None:  # type: ignore[no-untyped-def]
    with ws.db.transaction() as cur:
        cur.execute("UPDATE customers SET name = 'Cobalt Inc', email = 'cx@cobalt.example' WHERE customer_id = 'C'")
        cur.execute("UPDATE customers SET referred_by = 'C' WHERE customer_id = 'B'")
        cur.execute("UPDATE events SET properties = '{\"new_customer_id\": \"C\"}' WHERE customer_id = 'B' "
                    "AND type = 'referral_sent'")
    before = ws.kpis.values(["nps"], period="month", start="2025-01", end="2025-01")[0]
    assert before["value"] == 25.0
    export = ws.access.export("C")
    assert export["customer"]["email"] == "cx@cobalt.example" and len(export["events"]) == 2
    assert export["customers_referred"] == ["B"] and len(export["named_in_referral_events"]) == 2
    record = ws.access.erase("C")
    assert record["events_removed"] == 2 and record["customers_removed"] == 1
    cur = ws.db.cursor()
    assert cur.execute("SELECT count(*) FROM customers WHERE customer_id = 'C'").fetchone()[0] == 0
    assert cur.execute("SELECT count(*) FROM events WHERE customer_id = 'C'").fetchone()[0] == 0
    assert cur.execute("SELECT referred_by FROM customers WHERE customer_id = 'B'").fetchone()[0] is None
    assert cur.execute("SELECT count(*) FROM events WHERE contains(properties, 'C')").fetchone()[0] == 0
    erasures = cur.execute("SELECT * FROM erasures").fetchall()
    assert len(erasures) == 1 and not any("C" == v or "Cobalt" in str(v) for v in erasures[0])
    from advokit.access.privacy import was_erased

    assert was_erased(ws.db, "C") and not was_erased(ws.db, "A")
    after = ws.kpis.values(["nps"], period="month", start="2025-01", end="2025-01")[0]
    assert after["value"] == pytest.approx(200 / 3) and after["n"] == 3  # A 10, B 9, A 7
    assert after == ws.compute(["nps"], period="month", start="2025-01", end="2025-01").to_dicts()[0]
    with pytest.raises(NotFoundError):
        ws.access.erase("C")
    with pytest.raises(NotFoundError):
        ws.access.export("C")


def test_erasure_is_one_transaction(ws, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import advokit.access.privacy as privacy

    def boom(*a, **k):  # type: ignore[no-untyped-def]
        raise RuntimeError("crash in the middle")

    monkeypatch.setattr(privacy, "subject_hash", boom)
    with pytest.raises(RuntimeError):
        ws.access.erase("C")
    cur = ws.db.cursor()
    assert cur.execute("SELECT count(*) FROM customers WHERE customer_id = 'C'").fetchone()[0] == 1
    assert cur.execute("SELECT count(*) FROM events WHERE customer_id = 'C'").fetchone()[0] == 2


def test_a_version_1_workspace_is_migrated_to_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    for statement in storage.MIGRATIONS[0]:
        con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO api_keys VALUES ('k', 'n', 'read', 'h', NULL, NULL)")
    con.close()
    db = storage.Database(path)
    try:
        assert db.schema_version() == storage.SCHEMA_VERSION == 10
        assert db.cursor().execute("SELECT count(*) FROM webhook_sources").fetchone()[0] == 0
        assert db.cursor().execute("SELECT count(*) FROM api_keys").fetchone()[0] == 1
        assert db.cursor().execute("SELECT index_name FROM duckdb_indexes()").fetchall() == [("events_customer_id",)]
    finally:
        db.close()


def test_a_version_2_workspace_gets_the_event_index_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    for statement in storage.MIGRATIONS[0] + storage.MIGRATIONS[1]:
        con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    con.execute("INSERT INTO events (event_id, customer_id, type, occurred_at) VALUES "
                "('e1', 'A', 'activation', '2025-01-01'), ('e2', 'B', 'activation', '2025-01-02'), "
                "('e3', NULL, 'activation', '2025-01-03')")
    con.close()
    db = storage.Database(path)
    try:
        assert db.schema_version() == 10
        cur = db.cursor()
        assert cur.execute("SELECT index_name FROM duckdb_indexes()").fetchall() == [("events_customer_id",)]
        assert cur.execute("SELECT event_id FROM events WHERE customer_id = ?", ["B"]).fetchall() == [("e2",)]
        assert cur.execute("SELECT count(*) FROM events WHERE customer_id IS NULL").fetchone()[0] == 1
    finally:
        db.close()


def test_a_profile_reads_the_same_with_and_without_the_event_index(ws) -> None:  # type: ignore[no-untyped-def]
    from advokit.catalogue import ADVOCACY_ACTION_TYPES, SURVEY_TYPES

    ids = [r[0] for r in ws.db.cursor().execute("SELECT customer_id FROM customers ORDER BY customer_id").fetchall()]
    kinds = {"scores": SURVEY_TYPES, "actions": ADVOCACY_ACTION_TYPES}
    with_index = [ws.customers.profile(c, limit=3, offset=1, events_of=kinds) for c in ids]
    ws.db.cursor().execute("DROP INDEX events_customer_id")
    assert [ws.customers.profile(c, limit=3, offset=1, events_of=kinds) for c in ids] == with_index
    assert any(p["timeline_total"] > 3 for p in with_index)
