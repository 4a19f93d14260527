"""Erasure leaves nothing behind: not in the file's bytes, not in other records, not in the WAL (issue 13, item 3)."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from advokit import Workspace
from advokit.access.privacy import MARKER, was_erased
from advokit.access.secretkey import LEGACY_SALT_KEY, key_path
from advokit.access.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from advokit.errors import NotFoundError
from advokit.store.database import DERIVED_TABLE_PREFIX

from .api_support import Server, new_keys

NAME = "Quentin Vexley"
EMAIL = "quentin.vexley@example.org"
ATTRIBUTE = "Ultraviolet-Okapi-7731"
REVIEW = "REVIEWTEXT marmalade skies over the dashboard"
NPS_TEXT = "NPSTEXT onboarding was glacial"
WEBHOOK_TEXT = "WEBHOOKTEXT the export button hides"
STORED = (NAME, EMAIL, ATTRIBUTE, REVIEW, NPS_TEXT)  # what the workspace below holds about the person
SECRETS = (*STORED, WEBHOOK_TEXT)  # and what the server test adds


def _customers() -> list[dict[str, Any]]:
    return [
        {"customer_id": "QV-0042", "name": NAME, "email": EMAIL, "segment": "SMB", "signup_at": "2025-01-02",
         "spirit_animal": ATTRIBUTE},
        {"customer_id": "OT-0001", "name": "Olga Other", "email": "olga@example.org", "segment": "SMB",
         "signup_at": "2025-01-03", "spirit_animal": "Badger"},
    ]


def _events() -> list[dict[str, Any]]:
    return [
        {"event_id": "q-1", "customer_id": "QV-0042", "type": "review", "occurred_at": "2025-02-03", "score": 5,
         "text": REVIEW},
        {"event_id": "q-2", "customer_id": "QV-0042", "type": "nps_response", "occurred_at": "2025-02-04",
         "score": 3, "text": NPS_TEXT},
        {"event_id": "o-1", "customer_id": "OT-0001", "type": "nps_response", "occurred_at": "2025-02-05",
         "score": 9, "text": f"ask {NAME.upper()} ({EMAIL}) about it, or QV-0042"},
        {"event_id": "o-2", "customer_id": "OT-0001", "type": "referral_sent", "occurred_at": "2025-02-06",
         "ref": "QV-0042", "properties": {"new_customer_id": "QV-0042", "note": f"via {EMAIL}"}},
        {"event_id": "o-3", "customer_id": "OT-0001", "type": "mention", "occurred_at": "2025-02-07",
         "text": "nothing about anyone; QV-00421 is another id"},
    ]


def _workspace(db: Path) -> Workspace:
    ws = Workspace(db)
    ws.import_customers(_customers())
    ws.import_events(_events())
    ws.commentary.add("nps", "2025-02", f"{NAME} <{EMAIL}> is a detractor; call QV-0042", author="Team")
    ws.commentary.add("nps", "2025-02", "NPS dipped", author="Team")
    return ws


def _file_bytes(db: Path) -> bytes:
    return db.read_bytes() + (Path(str(db) + ".wal").read_bytes() if Path(str(db) + ".wal").exists() else b"")


def test_export_lists_every_record_that_names_the_person(tmp_path: Path) -> None:
    with _workspace(tmp_path / "e.duckdb") as ws:
        export = ws.access.export("QV-0042")
    assert [e["event_id"] for e in export["events"]] == ["q-1", "q-2"]
    assert [e["event_id"] for e in export["events_naming_customer"]] == ["o-1", "o-2"]  # text, ref + properties
    assert export["named_in_referral_events"] == ["o-2"]
    assert [c["body"] for c in export["comments_naming_customer"]] == [
        f"{NAME} <{EMAIL}> is a detractor; call QV-0042"]


def test_erasure_removes_the_bytes_from_the_file_and_redacts_every_mention(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    ws = _workspace(db)
    ws.db.checkpoint()
    assert [s for s in STORED if s.encode() not in _file_bytes(db)] == []  # (the test can see them)
    with ws.db.transaction(data=False) as cur:  # saved rollups keep dimension values (the attribute) in the file
        cur.execute(f"CREATE TABLE {DERIVED_TABLE_PREFIX}month_events_cells AS SELECT '{ATTRIBUTE}' AS spirit_animal")
        ws.db.set_derived_marker(cur, "rollups", "{}")
    nps_before = ws.kpis.values(["nps"], period="month", start="2025-02", end="2025-02")[0]
    assert nps_before["n"] == 2

    record = ws.access.erase("QV-0042")
    assert (record["events_removed"], record["customers_removed"], record["comments_redacted"]) == (2, 1, 1)
    assert record["references_cleared"] == 2  # o-1 (text) and o-2 (ref, properties)

    data = _file_bytes(db)
    assert [s for s in SECRETS if s.encode() in data] == []
    assert b"QV-0042" not in data.replace(b"QV-00421", b"")
    assert not Path(str(db) + ".wal").exists() and not Path(str(db) + ".rewrite").exists()

    cur = ws.db.cursor()
    texts = dict(cur.execute("SELECT event_id, text FROM events WHERE customer_id = 'OT-0001'").fetchall())
    assert texts["o-1"] == f"ask {MARKER} ({MARKER}) about it, or {MARKER}"
    assert texts["o-3"] == "nothing about anyone; QV-00421 is another id"  # a longer id is not a mention
    ref, props = cur.execute("SELECT ref, properties FROM events WHERE event_id = 'o-2'").fetchall()[0]
    assert ref == MARKER and json.loads(props) == {"note": f"via {MARKER}"}
    bodies = [c["body"] for c in ws.commentary.list()]
    assert bodies == [f"{MARKER} <{MARKER}> is a detractor; call {MARKER}", "NPS dipped"]
    assert cur.execute("SELECT count(*) FROM duckdb_tables() WHERE starts_with(table_name, 'rollup_')"
                       ).fetchall()[0][0] == 0 and ws.db.derived_marker("rollups") is None
    # every service still works on the rewritten file, and no longer sees the person
    after = ws.kpis.values(["nps"], period="month", start="2025-02", end="2025-02")[0]
    assert (after["n"], after["value"]) == (1, 100.0)
    assert ws.counts() == {"customers": 1, "events": 3}
    assert was_erased(ws.db, "QV-0042") and not was_erased(ws.db, "OT-0001")
    ws.close()
    assert not Path(str(db) + ".wal").exists()

    with Workspace(db) as again:  # idempotent across a reopen: recorded, and a second erasure finds nothing
        assert was_erased(again.db, "QV-0042")
        with pytest.raises(NotFoundError):
            again.access.erase("QV-0042")
        assert again.counts() == {"customers": 1, "events": 3}


def test_a_rewrite_a_crash_interrupted_is_done_on_the_next_open(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    ws = _workspace(db)
    ws.db.rewrite = lambda: None  # type: ignore[method-assign]  # the process "dies" before the rewrite
    ws.access.erase("QV-0042")
    assert ws.db.rewrite_pending()
    Path(str(db) + ".rewrite").write_bytes(b"half a copy")  # what a crash mid-copy leaves beside it
    ws.customers.close()
    ws.db.con.close()  # (no checkpoint, no rewrite: as after a kill)
    with Workspace(db) as again:
        assert not again.db.rewrite_pending() and again.counts() == {"customers": 1, "events": 3}
    assert [s for s in SECRETS if s.encode() in _file_bytes(db)] == []
    assert not Path(str(db) + ".rewrite").exists()


def test_the_erasure_salt_is_kept_outside_the_workspace_file(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    with _workspace(db) as ws:
        ws.access.erase("QV-0042")
        digest = ws.db.cursor().execute("SELECT subject_hash FROM erasures").fetchall()[0][0]
        assert ws.db.cursor().execute("SELECT count(*) FROM meta WHERE key = ?",
                                      [LEGACY_SALT_KEY]).fetchall()[0][0] == 0
    key = key_path(ws.db)
    assert key == tmp_path / "k.duckdb.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    salt = key.read_text().split()[0]
    assert len(salt) == 64 and salt.encode() not in db.read_bytes() and digest.encode() in db.read_bytes()
    with Workspace(db) as again:
        assert was_erased(again.db, "QV-0042")


def test_a_salt_still_in_the_file_moves_to_the_key_file_and_keeps_its_erasures(tmp_path: Path) -> None:
    import hashlib
    import hmac

    db = tmp_path / "m.duckdb"
    legacy = "ab" * 32
    with Workspace(db) as ws:  # a workspace of before: the salt and an erasure recorded under it
        digest = hmac.new(bytes.fromhex(legacy), b"GONE-1", hashlib.sha256).hexdigest()
        with ws.db.transaction(data=False) as cur:
            cur.execute("INSERT INTO meta VALUES (?, ?)", [LEGACY_SALT_KEY, legacy])
            cur.execute("INSERT INTO erasures VALUES ('e1', ?, 3, now())", [digest])
    with Workspace(db) as ws:  # opened: moved out
        assert was_erased(ws.db, "GONE-1") and not was_erased(ws.db, "GONE-2")
    assert legacy.encode() not in db.read_bytes()
    assert (tmp_path / "m.duckdb.key").read_text().split() == [legacy]
    assert stat.S_IMODE(os.stat(tmp_path / "m.duckdb.key").st_mode) == 0o600


def test_the_secret_key_can_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVOKIT_SECRET_KEY", "x" * 40)
    db = tmp_path / "v.duckdb"
    with _workspace(db) as ws:
        ws.access.erase("QV-0042")
        assert was_erased(ws.db, "QV-0042")
    assert not (tmp_path / "v.duckdb.key").exists()
    monkeypatch.delenv("ADVOKIT_SECRET_KEY")
    with Workspace(db) as ws:
        assert not was_erased(ws.db, "QV-0042")  # without the key, the file alone cannot confirm it


# -- the server ---------------------------------------------------------------------------------------
def _wal(db: Path) -> int:
    wal = Path(str(db) + ".wal")
    try:  # (a checkpoint on the server's thread may remove the file between a check and a stat)
        return wal.stat().st_size
    except FileNotFoundError:
        return 0


def _signed(c: Any, secret: str, payload: dict[str, Any]) -> Any:
    body = json.dumps(payload).encode()
    now = int(time.time())
    return c.post("/v1/webhooks/delighted", content=body, headers={
        TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: sign(secret, now, body), "Content-Type": "application/json"})


@pytest.mark.slow
def test_server_erasure_rewrites_the_file_and_sigterm_leaves_no_wal(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _workspace(db).close()
    keys = new_keys(db, "admin")
    with Workspace(db) as ws:
        secret, _ = ws.access.webhooks.set_secret("delighted", kind="survey")
    server = Server(db, rate=0, checkpoint_minutes=0).start()  # no timer: only erasures and shutdown checkpoint
    try:
        with server.client(keys["admin"]) as c:
            r = _signed(c, secret, {"event_type": "survey_response.created", "event_data": {
                "id": 9, "score": 4, "comment": WEBHOOK_TEXT, "created_at": "2025-02-08T10:00:00Z",
                "survey_type": "nps", "person_properties": {"customer_id": "QV-0042"}}})
            assert r.status_code == 200 and r.json()["accepted"] == 1
            assert _wal(db) > 0 and WEBHOOK_TEXT.encode() in _file_bytes(db)
            erased = c.delete("/v1/customers/QV-0042")
            assert erased.status_code == 200 and erased.json()["events_removed"] == 3
            assert erased.json()["comments_redacted"] == 1
            assert [s for s in SECRETS if s.encode() in _file_bytes(db)] == [] and _wal(db) == 0
            assert c.get("/v1/customers/OT-0001").status_code == 200  # the server reads the new file
            assert c.get("/v1/customers/OT-0001/export").json()["events"][0]["text"] == (
                f"ask {MARKER} ({MARKER}) about it, or {MARKER}")
            r = c.post("/v1/customers", json={"customers": [{"customer_id": "N-1", "segment": "SMB",
                                                             "signup_at": "2025-03-01"}]})
            assert r.status_code == 200 and _wal(db) > 0
    finally:
        server.stop()  # SIGTERM: a graceful shutdown
    assert not Path(str(db) + ".wal").exists(), server.stderr()
    with Workspace(db, read_only=True) as ws:
        assert ws.counts() == {"customers": 2, "events": 3}


@pytest.mark.slow
def test_server_checkpoints_periodically(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    keys = new_keys(db, "write")
    with Server(db, rate=0, checkpoint_minutes=0.02) as server, server.client(keys["write"]) as c:  # every 1.2 s
        r = c.post("/v1/customers", json={"customers": [{"customer_id": "P-1", "segment": "SMB",
                                                         "signup_at": "2025-03-01"}]})
        assert r.status_code == 200 and _wal(db) > 0
        deadline = time.monotonic() + 20
        while _wal(db) > 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _wal(db) == 0 and b"P-1" in db.read_bytes()


def test_reads_on_other_threads_go_on_across_the_rewrite(tmp_path: Path) -> None:
    """The rewrite closes the connection under other threads: new reads wait for the new one, reads under
    way are given REWRITE_DRAIN_S to finish (one that takes longer fails once with a connection error);
    afterwards every thread reads the new file, on cursors of the new connection."""
    import threading

    ws = _workspace(tmp_path / "t.duckdb")
    ws.import_customers([{"customer_id": f"X-{i}", "name": f"Person {i}", "email": f"x{i}@example.org",
                          "segment": "SMB", "signup_at": "2025-01-01"} for i in range(4)])
    stop = threading.Event()
    done = threading.Event()
    errors: list[str] = []
    after = [0, 0]

    def reader(k: int) -> None:
        while not stop.is_set():
            finished = done.is_set()
            try:
                assert ws.customers.profile("OT-0001")["customer"]["name"] == "Olga Other"
                rows = ws.kpis.values(["nps"], period="month", start="2025-02", end="2025-02")
                assert rows[0]["n"] == 2
                after[k] += finished
            except Exception as exc:  # noqa: BLE001  # (the test reports every failure)
                errors.append(f"{'after' if finished else 'during'}: {exc!r}")

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    try:
        generation = ws.db.generation
        for i in range(4):
            ws.access.erase(f"X-{i}")
        assert ws.db.generation == generation + 4  # each erasure put a new file in place
        done.set()
        deadline = time.monotonic() + 20
        while min(after) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert min(after) >= 3  # every thread reads again once the rewrites are over
    assert [e for e in errors if not e.startswith("during: ConnectionException")] == []
    assert ws.counts()["customers"] == 2
    ws.close()
