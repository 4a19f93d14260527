"""Excel workbooks: read with python-calamine, imported exactly like the same data as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from advokit import CORE_KPIS, Workspace
from advokit.errors import DataError, InvalidArgumentError
from advokit.ingest import detect_format, import_customers, import_events
from advokit.ingest.excel import cell_text, read_rows, read_xlsx, sheet_names
from advokit.store.database import Database

from .cli_support import cli

CASE = Path(__file__).parent / "cases" / "worked_example"
ADVOKIT = str(Path(sys.executable).with_name("advokit"))


def typed(text: str) -> Any:
    """A CSV cell as Excel would hold it when typed in: dates as dates, numbers as numbers, empty as nothing."""
    if text == "":
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:]+Z", text):
        return dt.datetime.fromisoformat(text[:-1])  # UTC, as Excel holds it (no zone)
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text) if "." in text else int(text)
    return text


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def xlsx_of(csv_path: Path, path: Path, *, sheet: str = "Sheet1", first: str | None = None) -> Path:
    """The CSV file as a workbook with typed cells (``first``: a sheet put before it)."""
    with open(csv_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    data = [rows[0], *([typed(c) for c in r] for r in rows[1:])]
    sheets = {first: [["notes"], ["this sheet is not the data"]]} if first else {}
    return write_xlsx(path, {**sheets, sheet: data})


def stored(db: Database, table: str) -> list[tuple[Any, ...]]:
    cols = "* EXCLUDE (import_id)" if table == "events" else "* EXCLUDE (updated_at)"
    return db.cursor().execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()


def kpis(ws: Workspace) -> list[dict[str, Any]]:
    rows = ws.compute(list(CORE_KPIS), period="month", start="2025-01-01", end="2025-01-31").to_dicts()
    return sorted(({k: v for k, v in r.items() if k != "computed_at"} for r in rows), key=lambda r: r["kpi"])


def test_cells_read_as_a_csv_export_writes_them(tmp_path):
    path = write_xlsx(tmp_path / "cells.xlsx", {"S": [
        ["int", "float", "date", "datetime", "micro", "time", "bool", "text", "empty"],
        [1200, 0.1, dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 14, 22, 10), dt.datetime(2024, 3, 5, 1, 2, 3, 500000),
         dt.time(12, 30), True, "x", None],
        [1200.0, -2.5, None, None, None, None, False, " y ", ""],
    ]})
    assert list(read_rows(path)) == [
        ["int", "float", "date", "datetime", "micro", "time", "bool", "text", "empty"],
        ["1200", "0.1", "2024-03-05", "2024-03-05T14:22:10", "2024-03-05T01:02:03.500000", "12:30:00", "true", "x",
         None],
        ["1200", "-2.5", None, None, None, None, "false", " y ", None],
    ]
    assert cell_text(1e20) == "1e+20" and cell_text(-0.0) == "0" and cell_text(3) == "3"


def test_sheets_trailing_empty_rows_and_offsets(tmp_path):
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Notes"
    first["A1"] = "n"
    data = book.create_sheet("Data")
    data["B2"], data["C2"], data["B4"], data["C4"] = "a", "b", 1, 2  # row 3 empty, rows after 4 empty
    data["B9"].number_format = "0.00"  # formatted, no value: not a row
    book.save(tmp_path / "book.xlsx")
    path = tmp_path / "book.xlsx"
    assert sheet_names(path) == ["Notes", "Data"]
    assert list(read_rows(path)) == [["n"]]
    assert list(read_rows(path, "Data")) == [[None, None], ["a", "b"], [None, None], ["1", "2"]]


def test_unknown_sheet_names_the_sheets(tmp_path):
    path = xlsx_of(CASE / "customers.csv", tmp_path / "c.xlsx", sheet="Customers", first="Read me")
    with pytest.raises(DataError) as err:
        list(read_rows(path, "Clients"))
    assert err.value.message == f"{path}: no sheet named 'Clients'; the sheets are 'Read me', 'Customers'"
    with pytest.raises(DataError, match="no sheet named 'Clients'"):
        import_customers(Database(tmp_path / "w.duckdb"), path, sheet="Clients")


def test_detect_format_knows_workbooks(tmp_path):
    path = xlsx_of(CASE / "customers.csv", tmp_path / "c.xlsx")
    assert detect_format(path) == "xlsx"
    assert detect_format(tmp_path / "macros.XLSM") == "xlsx"  # by extension: the file need not exist
    unnamed = tmp_path / "export"
    unnamed.write_bytes(path.read_bytes())
    assert detect_format(unnamed) == "xlsx"  # by its first bytes (a zip archive)


def test_xlsx_imports_exactly_like_the_same_csv(tmp_path):
    from_csv = Workspace(tmp_path / "csv.duckdb")
    from_xlsx = Workspace(tmp_path / "xlsx.duckdb")
    try:
        from_csv.import_customers(CASE / "customers.csv")
        from_csv.import_events(CASE / "events.csv")
        customers = xlsx_of(CASE / "customers.csv", tmp_path / "customers.xlsx", sheet="Customers", first="Info")
        events = xlsx_of(CASE / "events.csv", tmp_path / "events.xlsx")
        rc = from_xlsx.import_customers(customers, sheet="Customers")
        re_ = from_xlsx.import_events(events)
        assert (rc.imported, rc.rejected, re_.imported, re_.rejected) == (3, 0, 9, 0), (rc.to_dict(), re_.to_dict())
        for table in ("customers", "events"):
            assert stored(from_xlsx.db, table) == stored(from_csv.db, table)
        assert kpis(from_xlsx) == kpis(from_csv)
        nps = next(r for r in kpis(from_xlsx) if r["kpi"] == "nps")
        assert nps["value"] == 25.0 and nps["n"] == 4  # the worked example's January
        again = from_xlsx.import_events(events)
        assert (again.imported, again.duplicates) == (0, 9)
    finally:
        from_csv.close()
        from_xlsx.close()


def test_hash_ids_agree_between_csv_and_xlsx(tmp_path):
    """Events without event_id: the content hash of a typed workbook row is the CSV row's."""
    db = Database(tmp_path / "w.duckdb")
    import_customers(db, CASE / "customers.csv")
    text = "customer_id,type,occurred_at,score,amount\nA,nps_response,2025-02-01,9,\nC,referral_converted,2025-02-03T10:15:00Z,,1200.5\n"
    (tmp_path / "e.csv").write_text(text, encoding="utf-8")
    xlsx_of(tmp_path / "e.csv", tmp_path / "e.xlsx")
    assert import_events(db, tmp_path / "e.xlsx").imported == 2
    again = import_events(db, tmp_path / "e.csv")
    assert (again.imported, again.duplicates) == (0, 2)


def test_rows_rejected_with_the_data_row_numbers(tmp_path):
    db = Database(tmp_path / "w.duckdb")
    import_customers(db, CASE / "customers.csv")
    path = write_xlsx(tmp_path / "e.xlsx", {"E": [
        ["event_id", "customer_id", "type", "occurred_at", "score"],
        ["x1", "A", "nps_response", dt.date(2025, 2, 1), 11],
        [None, None, None, None, None],  # an empty row: skipped, counted
        ["x2", "A", "nps_response", "soon", 8],
        ["x3", "A", "nps_response", dt.date(2025, 2, 2), 8, "stray"],  # a value beyond the header
        ["x4", "A", "nps_response", dt.datetime(2025, 2, 3, 9, 0), 8.0],
    ]})
    rep = import_events(db, path, rejects_path=tmp_path / "rej.csv")
    assert (rep.rows, rep.imported, rep.rejected) == (4, 1, 3)
    assert [(e.row, e.column, e.value, e.reason) for e in rep.errors] == [
        (1, "score", "11", "score 11 is out of range 0–10 for nps_response"),
        (3, "occurred_at", "soon", "'soon' is not an ISO 8601 date or datetime"),
        (4, None, "stray", "a value in a column without a header"),
    ]
    assert (tmp_path / "rej.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "1,score,11,score 11 is out of range 0–10 for nps_response",
        "3,occurred_at,soon,'soon' is not an ISO 8601 date or datetime",
        "4,,stray,a value in a column without a header",
    ]
    assert db.cursor().execute("SELECT event_id, score FROM events").fetchall() == [("x4", 8.0)]


def test_corrupt_and_empty_workbooks_are_data_errors(tmp_path):
    db = Database(tmp_path / "w.duckdb")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(DataError) as err:
        import_customers(db, broken)
    assert err.value.message.startswith(f"{broken}: cannot be read as an Excel workbook")
    empty = write_xlsx(tmp_path / "empty.xlsx", {"Blank": []})
    with pytest.raises(DataError, match="the sheet is empty"):
        import_customers(db, empty)
    misnamed = tmp_path / "customers.csv"
    misnamed.write_bytes(xlsx_of(CASE / "customers.csv", tmp_path / "c.xlsx").read_bytes())
    with pytest.raises(DataError) as err:
        import_customers(db, misnamed)
    assert "an Excel workbook" in err.value.message and err.value.hint == "name it .xlsx to import it as a workbook"
    assert db.cursor().execute("SELECT count(*) FROM customers").fetchone() == (0,)


def test_header_only_workbook_imports_nothing(tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", {"S": [["customer_id", "signup_at"]]})
    rep = import_customers(Database(tmp_path / "w.duckdb"), path)
    assert (rep.rows, rep.imported) == (0, 0)


def test_sheet_on_anything_but_a_workbook_is_an_invalid_argument(tmp_path):
    db = Database(tmp_path / "w.duckdb")
    with pytest.raises(InvalidArgumentError) as err:
        import_customers(db, CASE / "customers.csv", sheet="Customers")
    assert "only in an Excel workbook" in err.value.message and "(a CSV file)" in err.value.message
    with pytest.raises(InvalidArgumentError):
        import_customers(db, [{"customer_id": "A", "signup_at": "2024-01-01"}], sheet="S")


def test_read_xlsx_columns_are_normalised_and_checked(tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", {"S": [["Customer ID", "Signup-At", None, None], ["A", "2024-01-01"]]})
    assert read_xlsx(path).columns == ["customer_id", "signup_at"]
    twice = write_xlsx(tmp_path / "d.xlsx", {"S": [["customer_id", "Customer ID"], ["A", "B"]]})
    with pytest.raises(DataError, match="appears twice"):
        read_xlsx(twice)
    gap = write_xlsx(tmp_path / "g.xlsx", {"S": [["customer_id", None, "signup_at"], ["A", None, "2024-01-01"]]})
    with pytest.raises(DataError, match="empty name"):
        read_xlsx(gap)


# -- the command line -------------------------------------------------------------------------
def test_cli_imports_a_sheet(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    customers = xlsx_of(CASE / "customers.csv", tmp_path / "customers.xlsx", sheet="Customers", first="Info")
    code, out, err = cli(capsys, "--db", db, "import", "customers", str(customers), "--sheet", "Customers",
                         "--format", "json")
    assert code == 0, err
    assert json.loads(out)["imported"] == 3
    code, _, err = cli(capsys, "--db", db, "import", "customers", str(customers), "--sheet", "Nope")
    said = f"error: {customers}: no sheet named 'Nope'; the sheets are 'Info', 'Customers'; pass one of them with --sheet NAME\n"
    assert (code, err) == (1, said)
    code, _, err = cli(capsys, "--db", db, "import", "customers", str(customers))  # the first sheet: not customers
    assert code == 1 and "missing required column(s) customer_id, signup_at" in err
    code, _, err = cli(capsys, "--db", db, "import", "events", str(CASE / "events.csv"), "--sheet", "Events")
    assert code == 2 and err.startswith("error: a sheet ('Events') can be chosen only in an Excel workbook, "
                                        f"not in {CASE / 'events.csv'} (a CSV file)")


def test_cli_corrupt_workbook_is_one_error_line_in_a_subprocess(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    p = subprocess.run([ADVOKIT, "--db", str(tmp_path / "w.duckdb"), "import", "events", str(broken)],
                       capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "ADVOKIT_PROGRESS": "0"})
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith(f"error: {broken}: cannot be read as an Excel workbook: ")
    assert len(p.stderr.splitlines()) == 1


@pytest.mark.slow
def test_cli_sheet_through_the_server(tmp_path):
    """While `advokit serve` holds the workspace, `import --sheet` reaches the server's import call."""
    from .api_support import Server
    from .api_support import cli as cli_process

    db = tmp_path / "served.duckdb"
    Database(db).close()
    customers = xlsx_of(CASE / "customers.csv", tmp_path / "customers.xlsx", sheet="Customers", first="Info")
    with Server(db):
        landed = cli_process(db, "--verbose", "import", "customers", str(customers), "--sheet", "Customers",
                             "--format", "json")
        assert json.loads(landed.stdout)["imported"] == 3
        assert landed.stderr.startswith("via server http")  # (--verbose names the path taken)
        wrong = cli_process(db, "import", "customers", str(customers), "--sheet", "Nope", check=False)
        assert wrong.returncode == 1 and "no sheet named 'Nope'; the sheets are 'Info', 'Customers'" in wrong.stderr
