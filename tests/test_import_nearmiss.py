"""The importer's lower layer for mappings: near misses, ready sources, staged reasons, rejects files."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from advokit.errors import DataError
from advokit.ingest import import_customers, import_events
from advokit.ingest.nearmiss import suggest
from advokit.ingest.readers import Source, open_source
from advokit.store.database import Database

CASE = Path(__file__).parent / "cases" / "worked_example"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    d = Database(tmp_path / "w.duckdb")
    import_customers(d, CASE / "customers.csv")
    return d


# -- suggest ------------------------------------------------------------------------------------
@pytest.mark.parametrize("field,columns,expected", [
    ("signup_at", ["name", "signup_date", "arr"], ["signup_date"]),
    ("signup_at", ["created_at", "Signup Date", "start_date"], ["Signup Date", "created_at", "start_date"]),
    ("signup_at", ["Create Date", "owner"], ["Create Date"]),
    ("customer_id", ["Account ID", "name"], ["Account ID"]),
    ("customer_id", ["id", "customerid", "customer"], ["customer", "customerid", "id"]),
    ("occurred_at", ["date", "event_type", "score"], ["date"]),
    ("occurred_at", ["Submitted At", "Timestamp"], ["Timestamp", "Submitted At"]),
    ("occurred_at", ["occured_at"], ["occured_at"]),  # a typo: difflib
    ("type", ["kind", "event_type"], ["event_type", "kind"]),
    ("signup_at", ["name", "arr", "segment"], []),
])
def test_suggest_names_the_closest_columns(field, columns, expected):
    assert suggest(field, columns) == expected


def test_suggest_keeps_to_the_limit_and_names_each_column_once():
    columns = ["signup_date", "signup", "signed_up_at", "created_at", "signup_dt"]
    assert suggest("signup_at", columns, limit=2) == ["signup_date", "signed_up_at"]
    assert len(suggest("signup_at", columns)) == 3
    assert len(set(suggest("signup_at", columns, limit=10))) == len(suggest("signup_at", columns, limit=10))


# -- the importer's missing-columns error ------------------------------------------------------
def test_customers_with_signup_date_get_the_near_miss(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text("customer_id,name,signup_date,churned_at\nA,Acme,2024-01-01,\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        import_customers(Database(tmp_path / "w.duckdb"), path)
    e = err.value
    assert e.message == f"{path}: missing required column(s) signup_at (closest in the file: signup_date)"
    assert e.hint == f"map it with --set signup_at=signup_date (advokit import customers {path} --set signup_at=signup_date)"
    assert e.details == {"missing": ["signup_at"], "suggestions": {"signup_at": ["signup_date"]}}


def test_events_with_date_and_event_type_get_one_set_each(db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("customer_id,event_type,date,score\nA,nps_response,2025-01-01,9\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        import_events(db, path)
    e = err.value
    assert e.message == (f"{path}: missing required column(s) type, occurred_at "
                         "(closest in the file: type: event_type; occurred_at: date)")
    sets = "--set type=event_type --set occurred_at=date"
    assert e.hint == f"map them with {sets} (advokit import events {path} {sets})"
    assert e.details == {"missing": ["type", "occurred_at"],
                         "suggestions": {"type": ["event_type"], "occurred_at": ["date"]}}
    assert db.cursor().execute("SELECT count(*) FROM events").fetchone() == (0,)


def test_no_near_miss_keeps_the_plain_hint_and_a_partial_one_adds_it(db, tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("customer_id,score\nA,9\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        import_events(db, plain)
    assert err.value.message == f"{plain}: missing required column(s) type, occurred_at"
    assert err.value.hint == "events need the columns customer_id, type, occurred_at (see docs/data-contract.md)"
    assert err.value.details == {"missing": ["type", "occurred_at"], "suggestions": {"type": [], "occurred_at": []}}
    partial = tmp_path / "partial.csv"
    partial.write_text("customer_id,timestamp,score\nA,2025-01-01,9\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        import_events(db, partial)
    assert err.value.message.endswith("missing required column(s) type, occurred_at (closest in the file: occurred_at: timestamp)")
    assert err.value.hint == (f"map it with --set occurred_at=timestamp (advokit import events {partial} "
                              "--set occurred_at=timestamp); events need the columns customer_id, type, occurred_at "
                              "(see docs/data-contract.md)")


def test_a_batch_gets_the_near_miss_without_a_command(db):
    with pytest.raises(DataError) as err:
        import_customers(db, [{"id": "Z", "signup_at": "2024-01-01"}])
    assert err.value.message == "batch: missing required column(s) customer_id (closest in the file: id)"
    assert err.value.hint == "map it with --set customer_id=id"


def test_cli_near_miss_message_and_exit_code(tmp_path, capsys):
    from advokit.cli import main

    path = tmp_path / "crm.csv"
    path.write_text("customer_id,signup_date\nA,2024-01-01\n", encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["--db", str(tmp_path / "w.duckdb"), "import", "customers", str(path)])
    assert done.value.code == 1  # a DataError, as for every unreadable file
    assert capsys.readouterr().err == (
        f"error: {path}: missing required column(s) signup_at (closest in the file: signup_date); "
        f"map it with --set signup_at=signup_date (advokit import customers {path} --set signup_at=signup_date)\n")


# -- ready sources, staged reasons, rejects -----------------------------------------------------
def _events_source(rows: list[dict[str, str | int | None]], name: str = "mapped export") -> Source:
    names = list(rows[0])
    batch = pa.RecordBatch.from_pylist(rows, schema=pa.schema(
        [(n, pa.int64() if n == "_row" else pa.string()) for n in names]))
    return Source(name, [n for n in names if not n.startswith("_")], len(rows), iter([batch]))


def test_open_source_returns_a_ready_source():
    source = _events_source([{"customer_id": "A", "_row": 2}])
    assert open_source(source) is source
    assert open_source(source, name="renamed") is source and source.name == "renamed"
    assert open_source(source, sheet="Data") is source  # opened already: its sheet was chosen then


def test_staged_bad_column_and_value_are_the_rows_one_problem(db, tmp_path):
    good = {"event_id": "m1", "customer_id": "A", "type": "nps_response", "occurred_at": "2025-02-01", "score": "9"}
    rows = [
        {**good, "_bad": None, "_bad_column": None, "_bad_value": None, "_row": 4},
        {**good, "event_id": "m2", "score": None, "_bad": "'Very likely' is not in the value map",
         "_bad_column": "Q7", "_bad_value": "Very likely", "_row": 5},
        {**good, "event_id": "m3", "_bad": "no date", "_bad_column": None, "_bad_value": None, "_row": 7},
    ]
    rejects = tmp_path / "mapped.rejects.csv"
    rep = import_events(db, _events_source(rows), rejects_path=rejects)
    assert (rep.imported, rep.rejected) == (1, 2)
    assert [(e.row, e.column, e.value, e.reason) for e in rep.errors] == [
        (5, "Q7", "Very likely", "'Very likely' is not in the value map"), (7, None, None, "no date")]
    assert rep.rejects_path == str(rejects)
    assert rejects.read_text(encoding="utf-8").splitlines() == [
        "row,column,value,reason", "5,Q7,Very likely,'Very likely' is not in the value map", "7,,,no date"]
    # the batch path (items, the id index) reads the same columns
    again = import_events(db, _events_source([{**rows[1], "event_id": "m4", "_row": 9}]), item_results=True,
                          keep_index=True)
    assert [(i.status, [(e.column, e.value, e.reason) for e in i.errors]) for i in again.items] == [
        ("rejected", [("Q7", "Very likely", "'Very likely' is not in the value map")])]


def test_staged_bad_columns_on_customers_are_no_attributes(db, tmp_path):
    batch = pa.RecordBatch.from_pylist([
        {"customer_id": "N1", "signup_at": "2024-01-01", "_bad": None, "_bad_column": None, "_bad_value": None,
         "_row": 2},
        {"customer_id": "N2", "signup_at": None, "_bad": "'31/02/2024' does not match %d/%m/%Y",
         "_bad_column": "Created", "_bad_value": "31/02/2024", "_row": 3},
    ])
    rep = import_customers(db, Source("crm", ["customer_id", "signup_at"], 2, iter([batch])))
    assert (rep.imported, rep.rejected) == (1, 1)
    assert [(e.row, e.column, e.value, e.reason) for e in rep.errors] == [
        (3, "Created", "31/02/2024", "'31/02/2024' does not match %d/%m/%Y")]
    columns = set(db.customer_columns())
    assert not columns & {"_bad", "_bad_column", "_bad_value"}


def test_rejects_file_for_a_data_frame_only_where_asked(db, tmp_path):
    import pandas as pd

    frame = pd.DataFrame([{"event_id": "f1", "customer_id": "A", "type": "nps_response",
                           "occurred_at": "2025-02-01", "score": "11"}])
    unasked = import_events(db, frame)
    assert unasked.rejected == 1 and unasked.rejects_path is None
    out = tmp_path / "frame.rejects.csv"
    asked = import_events(db, frame, rejects_path=out)
    assert asked.rejects_path == str(out)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "row,column,value,reason", "1,score,11,score 11 is out of range 0–10 for nps_response"]
    quiet = tmp_path / "never.csv"
    import_events(db, frame, rejects_path=quiet, write_rejects=False)
    assert not quiet.exists()
