"""The importer: every rule of data-contract.md section 3, in the three formats."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from advokit.errors import DataError, RejectedRowsError
from advokit.ingest import detect_format, import_customers, import_events
from advokit.store.database import Database

CASE = Path(__file__).parent / "cases" / "worked_example"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    d = Database(tmp_path / "w.duckdb")
    import_customers(d, CASE / "customers.csv")
    return d


def count(db: Database, table: str = "events") -> int:
    return db.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def reasons(report) -> dict[int, list[tuple[str | None, str]]]:
    out: dict[int, list[tuple[str | None, str]]] = {}
    for e in report.errors:
        out.setdefault(e.row, []).append((e.column, e.reason))
    return out


BAD_EVENTS = [
    ({"type": "nps_response", "score": "11"}, "score", "out of range 0–10"),
    ({"type": "nps_response", "score": "-1"}, "score", "out of range"),
    ({"type": "nps_response", "score": ""}, "score", "required"),
    ({"type": "nps_response", "score": "8.5"}, "score", "whole number"),
    ({"type": "nps_response", "score": "abc"}, "score", "must be a number"),
    ({"type": "nps_response", "score": "nan"}, "score", "must be a number"),
    ({"type": "csat_response", "score": "0"}, "score", "1–5"),
    ({"type": "advocacy_rating", "score": "6"}, "score", "1–5"),
    ({"type": "ces_response", "score": "8"}, "score", "1–7"),
    ({"type": "review", "score": "9"}, "score", "1–5"),
    ({"type": "teleport"}, "type", "unknown event type"),
    ({"type": ""}, "type", "required"),
    ({"customer_id": "ghost"}, "customer_id", "unknown customer 'ghost'"),
    ({"customer_id": ""}, "customer_id", "required"),
    ({"occurred_at": "2025-03-41"}, "occurred_at", "not an ISO 8601"),
    ({"occurred_at": "yesterday"}, "occurred_at", "not an ISO 8601"),
    ({"occurred_at": ""}, "occurred_at", "required"),
    ({"occurred_at": "infinity"}, "occurred_at", "out of range: dates must be finite"),
    ({"occurred_at": "-infinity"}, "occurred_at", "out of range: dates must be finite"),
    ({"occurred_at": "epoch"}, "occurred_at", "not an ISO 8601"),
    ({"occurred_at": "0001-01-01"}, "occurred_at", "out of range: dates must be finite, with a year from 1900 to 2100"),
    ({"occurred_at": "9999-12-31"}, "occurred_at", "year from 1900 to 2100"),
    ({"occurred_at": "2101-01-01"}, "occurred_at", "year from 1900 to 2100"),
    ({"occurred_at": "1899-12-31T23:59:59Z"}, "occurred_at", "year from 1900 to 2100"),
    ({"occurred_at": "1900-01-01T00:30:00+01:00"}, "occurred_at", "year from 1900 to 2100"),  # 1899 in UTC
    ({"occurred_at": "2024-01-01 (BC)"}, "occurred_at", "year from 1900 to 2100"),
    ({"occurred_at": "2025-01-01T00:00:00+99:99"}, "occurred_at", "impossible UTC offset"),
    ({"occurred_at": "2025-01-01T00:00:00+24:00"}, "occurred_at", "impossible UTC offset"),
    ({"occurred_at": "2025-01-01 10:00:00-1460"}, "occurred_at", "impossible UTC offset"),
    ({"type": "referral_converted", "amount": "-5"}, "amount", "must not be negative"),
    ({"type": "expansion", "amount": ""}, "amount", "required for expansion"),
    ({"type": "contraction", "amount": "0"}, "amount", "greater than 0"),
    ({"type": "renewal", "amount": "lots"}, "amount", "must be a number"),
    ({"type": "review", "properties": "[1, 2]"}, "properties", "JSON object"),
    ({"type": "review", "properties": "{not json"}, "properties", "JSON object"),
    ({"type": "follow_up", "ref": ""}, "ref", "required for follow_up"),
]


def _row(overrides: dict[str, str], i: int) -> dict[str, str]:
    row = {"event_id": f"x{i}", "customer_id": "A", "type": "social_share", "occurred_at": "2025-02-01",
           "score": "", "amount": "", "ref": "", "properties": ""}
    if overrides.get("type") in ("nps_response",) and "score" not in overrides:
        row["score"] = "5"
    row.update(overrides)
    return row


@pytest.mark.parametrize("overrides,column,needle", BAD_EVENTS)
def test_each_rule_rejects_with_its_reason(db, tmp_path, overrides, column, needle):
    rows = [_row({"type": "nps_response", "score": "9", "event_id": "ok"}, 0), _row(overrides, 1)]
    path = tmp_path / "e.csv"
    cols = list(rows[0])
    path.write_text(",".join(cols) + "\n" + "\n".join(",".join(json.dumps(r[c]) if "," in r[c] else r[c]
                                                                for c in cols) for r in rows) + "\n")
    rep = import_events(db, path)
    assert (rep.imported, rep.rejected) == (1, 1), rep.to_dict()
    (row, problems), = reasons(rep).items()
    assert row == 2
    assert any(col == column and needle in reason for col, reason in problems), problems


def test_the_ends_of_the_date_range_are_accepted_and_kpis_still_compute(tmp_path):
    from advokit import Workspace

    with Workspace(tmp_path / "r.duckdb") as ws:
        ws.import_customers(write_csv(tmp_path / "c.csv", "customer_id,signup_at,churned_at\n"
                                      "A,1900-01-01,2100-12-31T23:59:59Z\nB,1899-12-31,\nC,2024-01-01,infinity\n"))
        rep = ws.import_events(write_csv(tmp_path / "e.csv", "event_id,customer_id,type,occurred_at,score\n"
                                         "r1,A,nps_response,1900-01-01T00:00:00Z,10\n"
                                         "r2,A,nps_response,2100-12-31T23:59:59.999999Z,0\n"
                                         "r3,A,nps_response,infinity,5\nr4,A,nps_response,0001-01-01,5\n"
                                         "r5,A,nps_response,9999-12-31,5\n"), rejects_path=tmp_path / "rej.csv")
        assert (rep.imported, rep.rejected) == (2, 3)
        assert {(e.row, e.column) for e in rep.errors} == {(3, "occurred_at"), (4, "occurred_at"), (5, "occurred_at")}
        assert "infinity" in (tmp_path / "rej.csv").read_text()
        assert ws.counts()["customers"] == 1
        rows = ws.compute(["nps", "customer_churn_rate"], period="year").to_dicts()
        assert rows and {r["period"] for r in rows} >= {"1900", "2100"}


def test_valid_edge_values_are_accepted(db):
    rows = [
        {"event_id": "v1", "customer_id": "A", "type": "nps_response", "occurred_at": "2025-02-01", "score": "0"},
        {"event_id": "v2", "customer_id": "A", "type": "nps_response", "occurred_at": "2025-02-01", "score": "10.0"},
        {"event_id": "v3", "customer_id": "", "type": "mention", "occurred_at": "2025-02-01T10:00:00+02:00",
         "text": "love it", "properties": '{"reach": 10, "influencer": true}'},
        {"event_id": "v4", "customer_id": "A", "type": "review", "occurred_at": "2025-02-01"},
        {"event_id": "v5", "customer_id": "A", "type": "referral_converted", "occurred_at": "2025-02-01", "amount": "0"},
        {"event_id": "v6", "customer_id": "A", "type": "follow_up", "occurred_at": "2025-02-01", "ref": "e1"},
        {"event_id": "v7", "customer_id": "A", "type": "review", "occurred_at": "2025-02-01T10:00:00-12:30"},
        {"event_id": "v8", "customer_id": "A", "type": "review", "occurred_at": "2025-02-01 10:00:00+1400"},
        {"event_id": "v9", "customer_id": "A", "type": "review", "occurred_at": "2025-02-01T10:00+05"},
    ]
    rep = import_events(db, rows)
    assert rep.rejected == 0 and rep.imported == 9, rep.to_dict()


def test_three_formats_give_the_same_result(tmp_path):
    results = []
    events_csv = CASE / "events.csv"
    import csv
    with open(events_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    jsonl = tmp_path / "e.jsonl"
    with open(jsonl, "w") as fh:
        for r in rows:
            obj = {k: v for k, v in r.items() if v != ""}
            if "properties" in obj:
                obj["properties"] = json.loads(obj["properties"])
            for k in ("score", "amount"):
                if k in obj:
                    obj[k] = float(obj[k])
            fh.write(json.dumps(obj) + "\n")
    parquet = tmp_path / "e.parquet"
    pq.write_table(pa.Table.from_pylist([{k: (v or None) for k, v in r.items()} for r in rows]), parquet)
    for source in (events_csv, jsonl, parquet):
        d = Database(tmp_path / f"{source.suffix[1:]}.duckdb")
        import_customers(d, CASE / "customers.csv")
        rep = import_events(d, source)
        assert rep.imported == 9 and rep.rejected == 0, (source, rep.to_dict())
        results.append(sorted(d.cursor().execute(
            "SELECT event_id, customer_id, type, occurred_at, score, amount, text, properties FROM events").fetchall()))
    assert results[0] == results[1] == results[2]
    assert detect_format(jsonl) == "jsonl" and detect_format(parquet) == "parquet"


def test_hash_ids_make_reimport_idempotent_across_formats(db, tmp_path):
    csv_path = write_csv(tmp_path / "n.csv", "customer_id,type,occurred_at,score\nA,nps_response,2025-02-01T00:00:00Z,9\n")
    jsonl = tmp_path / "n.jsonl"
    jsonl.write_text(json.dumps({"customer_id": "A", "type": "nps_response", "occurred_at": "2025-02-01", "score": 9}) + "\n")
    assert import_events(db, csv_path).imported == 1
    again = import_events(db, jsonl)
    assert again.imported == 0 and again.duplicates == 1


def test_bom_semicolon_and_quoted_newlines(db, tmp_path):
    path = tmp_path / "semi.csv"
    path.write_bytes("\ufeffevent_id;customer_id;type;occurred_at;text\n"
                     's1;A;review;2025-02-03;"great; fast\nand friendly"\n'.encode("utf-8"))
    rep = import_events(db, path)
    assert rep.imported == 1, rep.to_dict()
    assert db.cursor().execute("SELECT text FROM events WHERE event_id = 's1'").fetchone()[0] == "great; fast\nand friendly"


def test_offsets_convert_to_utc(db):
    import_events(db, [{"event_id": "t1", "customer_id": "A", "type": "social_share",
                        "occurred_at": "2025-01-31T23:30:00-03:00"}])
    got = db.cursor().execute("SELECT strftime(occurred_at, '%Y-%m-%d %H:%M') FROM events WHERE event_id='t1'").fetchone()[0]
    assert got == "2025-02-01 02:30"


def test_duplicates_within_a_file_first_wins(db):
    rows = [{"event_id": "d1", "customer_id": "A", "type": "social_share", "occurred_at": "2025-02-01", "text": "first"},
            {"event_id": "d1", "customer_id": "A", "type": "social_share", "occurred_at": "2025-02-01", "text": "second"}]
    rep = import_events(db, rows, item_results=True)
    assert (rep.imported, rep.duplicates) == (1, 1)
    assert [i.status for i in rep.items] == ["accepted", "duplicate"]
    assert db.cursor().execute("SELECT text FROM events WHERE event_id='d1'").fetchone()[0] == "first"


def test_customers_upsert_last_write_wins_and_extra_attributes(tmp_path):
    d = Database(tmp_path / "c.duckdb")
    first = import_customers(d, write_csv(tmp_path / "c1.csv", "customer_id,signup_at,segment,tier\n"
                                          "A,2024-01-01,SMB,gold\nB,2024-01-01,SMB,silver\n"))
    assert first.imported == 2 and "tier" in d.dimension_columns()
    again = import_customers(d, tmp_path / "c1.csv")
    assert (again.imported, again.unchanged) == (0, 2)
    upd = import_customers(d, write_csv(tmp_path / "c2.csv", "customer_id,signup_at,segment,tier\n"
                                        "A,2024-01-01,Enterprise,gold\nA,2024-01-01,Mid-Market,gold\n"))
    assert (upd.imported, upd.updated, upd.duplicates) == (1, 1, 1)
    assert count(d, "customers") == 2
    assert d.cursor().execute("SELECT segment FROM customers WHERE customer_id='A'").fetchone()[0] == "Mid-Market"


@pytest.mark.parametrize("text,column,needle", [
    ("customer_id,signup_at\n,2024-01-01\n", "customer_id", "required"),
    ("customer_id,signup_at\nA,\n", "signup_at", "required"),
    ("customer_id,signup_at\nA,soon\n", "signup_at", "ISO 8601"),
    ("customer_id,signup_at,churned_at\nA,2024-05-01,2024-04-01\n", "churned_at", "precedes signup_at"),
    ("customer_id,signup_at\nA,infinity\n", "signup_at", "must be finite"),
    ("customer_id,signup_at\nA,epoch\n", "signup_at", "ISO 8601"),
    ("customer_id,signup_at\nA,0001-01-01\n", "signup_at", "year from 1900 to 2100"),
    ("customer_id,signup_at,churned_at\nA,2024-05-01,9999-12-31\n", "churned_at", "year from 1900 to 2100"),
    ("customer_id,signup_at,churned_at\nA,2024-05-01,-infinity\n", "churned_at", "must be finite"),
    ("customer_id,signup_at,arr\nA,2024-05-01,-3\n", "arr", "negative"),
    ("customer_id,signup_at,arr\nA,2024-05-01,much\n", "arr", "number"),
])
def test_customer_rules(tmp_path, text, column, needle):
    d = Database(tmp_path / "c.duckdb")
    rep = import_customers(d, write_csv(tmp_path / "c.csv", text))
    assert rep.rejected == 1 and rep.errors[0].column == column and needle in rep.errors[0].reason


@pytest.mark.parametrize("content,needle", [
    (b"\x00\x01\x02\xff\xfe garbage" * 40, "not"),
    (b"", "empty"),
    (b"customer_id,occurred_at\nA,2025-01-01\n", "missing required column"),
])
def test_unreadable_files_land_nothing(db, tmp_path, content, needle):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = count(db)
    with pytest.raises(DataError) as err:
        import_events(db, path)
    assert needle in err.value.message
    assert count(db) == before


def test_strict_lands_nothing_and_writes_rejects(db, tmp_path):
    path = write_csv(tmp_path / "s.csv", "event_id,customer_id,type,occurred_at,score\n"
                     "g1,A,nps_response,2025-03-01,8\nx1,A,nps_response,2025-03-01,11\n")
    with pytest.raises(RejectedRowsError):
        import_events(db, path, strict=True)
    assert count(db) == 0 and count(db, "imports") == 1  # only the customers import is logged
    assert (tmp_path / "s.csv.rejects.csv").read_text().splitlines()[1].startswith("2,score,11,")


def test_rejects_file_and_json_summary(db, tmp_path):
    path = write_csv(tmp_path / "m.csv", "event_id,customer_id,type,occurred_at,score\n"
                     "g1,A,nps_response,2025-03-01,8\nx1,A,nps_response,2025-03-01,11\n")
    out = tmp_path / "rej.csv"
    rep = import_events(db, path, rejects_path=out)
    d = rep.to_dict()
    assert d["imported"] == 1 and d["rejected"] == 1 and d["errors"][0] == {
        "row": 2, "column": "score", "value": "11", "reason": "score 11 is out of range 0–10 for nps_response"}
    assert out.exists() and d["rejects_path"] == str(out)


def test_dataframe_and_arrow_inputs(db):
    import pandas as pd

    frame = pd.DataFrame([{"event_id": "p1", "customer_id": "A", "type": "nps_response",
                           "occurred_at": pd.Timestamp("2025-02-01 10:00"), "score": 9.0}])
    assert import_events(db, frame).imported == 1
    table = pa.table({"event_id": ["p2"], "customer_id": ["A"], "type": ["nps_response"],
                      "occurred_at": pa.array([pd.Timestamp("2025-02-01 10:00", tz="Europe/Paris")]),
                      "score": [11.0]})
    rep = import_events(db, table)
    assert rep.rejected == 1 and rep.errors[0].column == "score"


def test_jsonl_bad_lines_are_rejected_not_fatal(db, tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text('{"event_id": "j1", "customer_id": "A", "type": "social_share", "occurred_at": "2025-02-01"}\n'
                    "{oops\n[1, 2]\n")
    rep = import_events(db, path)
    assert rep.imported == 1 and rep.rejected == 2 and {e.row for e in rep.errors} == {2, 3}


def test_progress_is_reported(db, tmp_path):
    seen: list[tuple[int, int | None]] = []
    import_events(db, CASE / "events.csv", progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == 9


def test_a_lone_surrogate_rejects_its_row_and_nothing_else(tmp_path: Path) -> None:
    """A Python string or a JSON escape may hold half a UTF-16 pair ("\\ud800"), which no column can store: the
    row is rejected naming the field, the other rows land (API batches, JSON Lines files and customers)."""
    from advokit import Workspace

    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.import_customers([{"customer_id": "A", "signup_at": "2024-01-01"}])
        r = ws.import_events([
            {"customer_id": "A", "type": "review", "occurred_at": "2025-01-01", "score": 4, "text": "ok \ud800"},
            {"customer_id": "A", "type": "review", "occurred_at": "2025-01-02", "score": 4, "text": "fine"},
            {"customer_id": "A", "type": "review", "occurred_at": "2025-01-03", "score": 4, "bad\udc00": "x"}])
        assert (r.imported, r.rejected) == (1, 2)
        assert [(e.row, e.column) for e in r.errors] == [(1, "text"), (3, None)]
        assert all("lone surrogate" in e.reason for e in r.errors)
        jsonl = tmp_path / "e.jsonl"
        jsonl.write_text('{"customer_id": "A", "type": "review", "occurred_at": "2025-02-01", "score": 5, '
                         '"text": "half \\ud83d"}\n{"customer_id": "A", "type": "review", "occurred_at": '
                         '"2025-02-02", "score": 5, "text": "whole \\ud83d\\ude00"}\n')
        r = ws.import_events(jsonl)
        assert (r.imported, r.rejected) == (1, 1) and (r.errors[0].row, r.errors[0].column) == (1, "text")
        c = ws.import_customers([{"customer_id": "B\ud800", "signup_at": "2024-01-01"}])
        assert (c.imported, c.rejected) == (0, 1) and c.errors[0].column == "customer_id"
        assert ws.counts()["events"] == 2
