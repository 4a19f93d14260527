"""``doctor`` on planted cases: every finding kind with exact counts and examples, on every surface; the
warnings of an import count only its own rows."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from advokit import Workspace
from advokit.catalogue.model import EVENT_TYPES
from advokit.cli import cli
from advokit.quality import kpi_event_types
from tests.api_support import Server, advokit_bin, new_keys

NOW = dt.datetime(2025, 1, 15)

CUSTOMERS = [
    # C1 signs up in March: its two February CSAT answers are before signup
    {"customer_id": "C1", "signup_at": "2024-03-01", "segment": "SMB", "plan": "basic", "code": "k01"},
    # C2 churns on 10 April (a date: the whole day): the answer at 15:00 that day is not after churn
    {"customer_id": "C2", "signup_at": "2024-01-01", "churned_at": "2024-04-10", "segment": "SMB",
     "plan": "<script>alert(1)</script>", "code": "k02"},
    {"customer_id": "C3", "signup_at": "2024-01-01", "segment": "SMB", "plan": "pro", "code": "k03"},
    *({"customer_id": f"Q{i}", "signup_at": "2024-01-01", "segment": "SMB", "plan": "pro", "code": f"q{i}"}
      for i in range(8)),  # quiet customers: no events
]
EVENTS = [
    {"event_id": "e1", "customer_id": "C1", "type": "csat_response", "occurred_at": "2024-02-01", "score": 4},
    {"event_id": "e2", "customer_id": "C1", "type": "csat_response", "occurred_at": "2024-02-15", "score": 5},
    {"event_id": "e3", "customer_id": "C1", "type": "nps_response", "occurred_at": "2024-03-05", "score": 9},
    {"event_id": "e4", "customer_id": "C2", "type": "nps_response", "occurred_at": "2024-04-10T15:00:00", "score": 8},
    {"event_id": "e5", "customer_id": "C2", "type": "csat_response", "occurred_at": "2024-04-11", "score": 3},
    {"event_id": "e6", "customer_id": "C2", "type": "nps_response", "occurred_at": "2024-01-05", "score": 7},
    {"event_id": "e7", "customer_id": "C2", "type": "nps_response", "occurred_at": "2024-01-05", "score": 7},
    {"event_id": "e8", "customer_id": "C3", "type": "nps_response", "occurred_at": "2099-01-01", "score": 7},
    {"event_id": "e9", "customer_id": "C2", "type": "nps_response", "occurred_at": "2024-06-01", "score": 7},
    # same customer, type and time as e6 but another score: not duplicate-looking
    {"event_id": "e10", "customer_id": "C2", "type": "nps_response", "occurred_at": "2024-01-05", "score": 6},
    {"event_id": "e11", "customer_id": "C3", "type": "nps_response", "occurred_at": "2024-02-10", "score": 10},
]


def _planted(path: Path) -> Workspace:
    ws = Workspace(path)
    ws.import_customers(CUSTOMERS)
    return ws


def _by_kind(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["kind"]: f for f in report["findings"]}


def test_doctor_finds_every_planted_case(tmp_path: Path) -> None:
    with _planted(tmp_path / "w.duckdb") as ws:
        ws.import_events(EVENTS)
        report = ws.quality.doctor(now=NOW).to_dict()
    assert report["customers"] == 11 and report["events"] == 11
    assert report["checks"] == {
        "before_signup": 2, "after_churn": 2, "future_events": 1, "duplicate_looking": 2,
        "customers_without_events": 8, "event_types_never_seen": len(EVENT_TYPES) - 2, "monthly_gaps": 2,
        "attribute_single_value": 1, "attribute_value_per_customer": 1,
    }
    found = _by_kind(report)
    assert list(found) == ["before_signup", "after_churn", "future_events", "duplicate_looking",
                           "customers_without_events", "event_types_never_seen", "monthly_gaps",
                           "attribute_single_value", "attribute_value_per_customer"]
    before = found["before_signup"]
    assert before["severity"] == "warning" and before["by_type"] == {"csat_response": 2}
    assert before["message"] == "2 events dated before their customer's signup_at (csat_response 2)"
    assert before["examples"] == [
        {"event_id": "e1", "customer_id": "C1", "type": "csat_response", "occurred_at": "2024-02-01T00:00:00",
         "score": 4, "signup_at": "2024-03-01T00:00:00"},
        {"event_id": "e2", "customer_id": "C1", "type": "csat_response", "occurred_at": "2024-02-15T00:00:00",
         "score": 5, "signup_at": "2024-03-01T00:00:00"}]
    assert before["what_to_do"]
    churn = found["after_churn"]
    assert churn["severity"] == "info" and churn["by_type"] == {"csat_response": 1, "nps_response": 1}
    assert [e["event_id"] for e in churn["examples"]] == ["e5", "e9"]  # not e4: on the churn day
    future = found["future_events"]
    assert future["by_type"] == {"nps_response": 1} and [e["event_id"] for e in future["examples"]] == ["e8"]
    dup = found["duplicate_looking"]
    assert [e["event_id"] for e in dup["examples"]] == ["e6", "e7"] and dup["details"] == {"groups": 1}
    quiet = found["customers_without_events"]
    assert quiet["count"] == 8 and [e["customer_id"] for e in quiet["examples"]] == ["Q0", "Q1", "Q2", "Q3", "Q4"]
    unseen = found["event_types_never_seen"]
    lights = unseen["details"]["lights_up"]
    assert "nps_response" not in lights and "csat_response" not in lights
    assert "ces" in lights["ces_response"] and "referral_participation_rate" in lights["referral_sent"]
    gaps = found["monthly_gaps"]  # the 2099 answer is in the future: it stretches no span
    assert gaps["by_type"] == {"csat_response": 1, "nps_response": 1}
    assert gaps["details"]["months"] == {"csat_response": ["2024-03"], "nps_response": ["2024-05"]}
    assert gaps["examples"] == [{"type": "csat_response", "month": "2024-03"},
                                {"type": "nps_response", "month": "2024-05"}]
    assert found["attribute_single_value"]["examples"] == [
        {"attribute": "segment", "distinct_values": 1, "customers_with_value": 11, "value": "SMB"}]
    assert found["attribute_value_per_customer"]["examples"] == [
        {"attribute": "code", "distinct_values": 11, "customers_with_value": 11}]
    assert report["summary"] == {"error": 0, "warning": 3, "info": 6}
    json.dumps(report)  # JSON-ready as it stands


def test_custom_kpis_name_the_event_types_they_read(tmp_path: Path) -> None:
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert kpi_event_types(ws.kpi("activation_to_expansion_rate")) == ["activation", "expansion"]
        assert kpi_event_types(ws.kpi("nps")) == ["nps_response"]


def test_an_empty_workspace(tmp_path: Path) -> None:
    with Workspace(tmp_path / "w.duckdb") as ws:
        report = ws.quality.doctor(now=NOW).to_dict()
    assert report["customers"] == 0 and report["events"] == 0
    assert [f["kind"] for f in report["findings"]] == ["event_types_never_seen"]
    assert sum(report["checks"].values()) == len(EVENT_TYPES)


def test_import_warnings_count_only_the_rows_of_that_import(tmp_path: Path) -> None:
    with _planted(tmp_path / "w.duckdb") as ws:
        first = ws.import_events(EVENTS).to_dict()
        assert first["warnings"] == {"before_signup": 2, "after_churn": 2, "future": 1, "duplicate_looking": 2}
        assert first["warnings_by_type"]["after_churn"] == {"csat_response": 1, "nps_response": 1}
        assert first["imported"] == 11 and first["rejected"] == 0  # warnings, not rejections
        # a clean file, then one row that twins a stored event (e3): only that row counts
        clean = ws.import_events([{"event_id": "n1", "customer_id": "C3", "type": "csat_response",
                                   "occurred_at": "2024-05-01", "score": 5}]).to_dict()
        assert clean["warnings"] == {"before_signup": 0, "after_churn": 0, "future": 0, "duplicate_looking": 0}
        twin = ws.import_events([{"event_id": "n2", "customer_id": "C1", "type": "nps_response",
                                  "occurred_at": "2024-03-05", "score": 9}]).to_dict()
        assert twin["warnings"] == {"before_signup": 0, "after_churn": 0, "future": 0, "duplicate_looking": 1}
        again = ws.import_events(EVENTS).to_dict()  # a replay lands nothing and counts nothing
        assert again["imported"] == 0 and sum(again["warnings"].values()) == 0
        assert ws.counts()["events"] == 13


def test_cli_doctor_and_import_warning_line(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _planted(db).close()
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    runner = CliRunner()
    text = runner.invoke(cli, ["--db", str(db), "import", "events", str(events)])
    assert text.exit_code == 0, text.output
    assert text.stdout == f"{events}: imported 11, rejected 0, duplicates 0\n"
    assert ("warning: 2 events before their customer's signup_at (csat_response 2); see `advokit doctor`"
            in text.stderr.splitlines())
    assert "warning: 1 events dated in the future (nps_response 1); see `advokit doctor`" in text.stderr
    assert "warning" not in text.stdout
    doctor = runner.invoke(cli, ["--db", str(db), "doctor", "--format", "json"])
    assert doctor.exit_code == 0  # findings are no failure
    data = json.loads(doctor.stdout)
    assert data["checks"]["before_signup"] == 2 and data["checks"]["duplicate_looking"] == 2
    shown = runner.invoke(cli, ["--db", str(db), "doctor"])
    assert shown.exit_code == 0
    assert "[WARNING] before_signup: 2 events dated before their customer's signup_at" in shown.stdout
    assert shown.stdout.count("what to do:") == len(data["findings"])


def test_cli_import_json_counts_and_empty_doctor_in_a_subprocess(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    empty = subprocess.run([advokit_bin(), "--db", str(tmp_path / "empty.duckdb"), "doctor", "--format", "json"],
                           capture_output=True, text=True, timeout=120)
    assert empty.returncode == 0 and json.loads(empty.stdout)["events"] == 0
    _planted(db).close()
    events = tmp_path / "events.csv"
    events.write_text("event_id,customer_id,type,occurred_at,score\n"
                      + "".join(f"{e['event_id']},{e['customer_id']},{e['type']},{e['occurred_at']},{e['score']}\n"
                                for e in EVENTS))
    run = subprocess.run([advokit_bin(), "--db", str(db), "import", "events", str(events), "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stderr == ""
    assert json.loads(run.stdout)["warnings"] == {"before_signup": 2, "after_churn": 2, "future": 1,
                                                  "duplicate_looking": 2}


def test_doctor_over_http_and_the_api_batch_warnings(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _planted(db).close()
    keys = new_keys(db, "read", "write")
    with Server(db) as server, server.client(keys["write"]) as w, server.client(keys["read"]) as c:
        batch = w.post("/v1/events", json={"events": EVENTS})
        assert batch.status_code == 200
        assert batch.json()["warnings"] == {"before_signup": 2, "after_churn": 2, "future": 1,
                                            "duplicate_looking": 2}
        replay = w.post("/v1/events", json={"events": EVENTS[:2]}).json()
        assert replay["duplicates"] == 2 and replay["warnings"]["before_signup"] == 0
        got = c.get("/v1/doctor")
        assert got.status_code == 200 and got.headers["content-type"].startswith("application/json")
        report = got.json()
        assert report["checks"]["before_signup"] == 2 and report["checks"]["future_events"] == 1
        assert _by_kind(report)["before_signup"]["examples"][0]["event_id"] == "e1"
        assert "/v1/doctor" in c.get("/openapi.json").json()["paths"]
        assert httpx.get(server.url + "/v1/doctor").status_code == 401  # a read key is needed
    cli_report = json.loads(subprocess.run([advokit_bin(), "--db", str(db), "doctor", "--format", "json"],
                                           capture_output=True, text=True, timeout=120, check=True).stdout)
    assert {k: v for k, v in cli_report.items() if k != "generated_at"} == \
        {k: v for k, v in report.items() if k != "generated_at"}


def test_the_data_page_lists_the_findings_escaped(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    value = "<b>x</b> & y"
    with _planted(db) as ws:
        ws.import_events(EVENTS)
        ws.import_customers([{"customer_id": c["customer_id"], "signup_at": c["signup_at"], "tier": value}
                             for c in CUSTOMERS])  # one value for everyone: a finding whose example shows it
        kinds = [f.kind for f in ws.quality.doctor().findings]
    with Server(db) as server, server.client() as c:
        page = c.get("/data")
    assert page.status_code == 200
    html = page.text
    assert '<section class="data-quality" aria-labelledby="quality-head">' in html
    assert "2 events dated before their customer&#39;s signup_at (csat_response 2)" in html
    assert [m for m in re.findall(r'data-kind="([a-z_]+)"', html)] == kinds
    assert value not in html and "&lt;b&gt;x&lt;/b&gt; &amp; y" in html
    assert "<script>alert(1)</script>" not in html
    assert 'href="/data" aria-current="page"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # no external assets


def test_batches_count_warnings_on_both_paths(tmp_path: Path) -> None:
    with _planted(tmp_path / "w.duckdb") as ws:
        fast = ws.ingest.batch("events", EVENTS[:3])  # all valid: the fast path
        assert fast.to_dict()["warnings"] == {"before_signup": 2, "after_churn": 0, "future": 0,
                                              "duplicate_looking": 0}
        bad = {"event_id": "x1", "customer_id": "C1", "type": "nps_response", "occurred_at": "2024-01-01",
               "score": 11}
        slow = ws.ingest.batch("events", [*EVENTS[3:8], bad])  # a rejected row: the SQL path
        out = slow.to_dict()
        assert out["rejected"] == 1 and out["accepted"] == 5
        assert out["warnings"] == {"before_signup": 0, "after_churn": 1, "future": 1, "duplicate_looking": 2}
        assert ws.ingest.batch("events", []).to_dict() == {"kind": "events", "received": 0, "accepted": 0,
                                                           "duplicates": 0, "rejected": 0, "items": []}
