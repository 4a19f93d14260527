"""Bounds on what an import takes (issue 13): nested ``properties``, NUL characters, over-long CSV lines.

Each way in refuses the same thing with the same reason: a file row is rejected with
its row, field and reason; the API's tests (``test_api_bounds.py``) send the same
values to a real server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from advokit import Workspace
from advokit.errors import DataError
from advokit.ingest import readers, rules
from advokit.store import jsonvalues
from advokit.store.jsonvalues import DEPTH_REASON, MAX_PROPERTIES_BYTES, MAX_PROPERTIES_DEPTH, SIZE_REASON

from .api_support import cli

CUSTOMERS = "customer_id,name,signup_at\nA,Ann,2024-01-01\n"


def nested(depth: int) -> str:
    """A ``properties`` JSON text ``depth`` levels deep (the object itself is level 1)."""
    return '{"a":' * (depth - 1) + '{"b":1}' + "}" * (depth - 1)


def _workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    ws = Workspace(tmp_path / "w.duckdb")
    ws.import_customers(tmp_path / "c.csv")
    return ws


def _event(i: int, properties: str | None) -> dict[str, str | None]:
    return {"event_id": f"e{i}", "customer_id": "A", "type": "testimonial", "occurred_at": "2024-02-01",
            "properties": properties}


def test_depth_is_measured_with_a_loop() -> None:
    assert not jsonvalues.depth_over(json.loads(nested(16)), 16)
    assert jsonvalues.depth_over(json.loads(nested(17)), 16)
    assert not jsonvalues.depth_over({"a": [1, [2, {}]]}, 4) and jsonvalues.depth_over({"a": [1, [2, {}]]}, 3)
    deep: list[object] = []
    for _ in range(100_000):  # far deeper than any recursion could go
        deep = [deep]
    assert jsonvalues.depth_over(deep, 16)
    assert jsonvalues.properties_problem(deep) == DEPTH_REASON
    with pytest.raises(ValueError, match="nested too deeply"):
        jsonvalues.loads("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_files_reject_properties_too_deep_or_too_large(tmp_path: Path, fmt: str) -> None:
    ws = _workspace(tmp_path)
    big = json.dumps({"t": "x" * MAX_PROPERTIES_BYTES})
    values = [nested(MAX_PROPERTIES_DEPTH), nested(MAX_PROPERTIES_DEPTH + 1), nested(300), nested(999),
              "[" * 5000 + "]" * 5000, big, json.dumps({"t": "[[[[[[[[[[[[[[[[[[[[\\\"]"})]
    rows = [_event(i, v) for i, v in enumerate(values)]
    path = tmp_path / f"e.{fmt}"
    if fmt == "csv":
        import csv
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    elif fmt == "jsonl":  # the properties as JSON values, not text (the 5,000-deep one is built as text)
        path.write_text("".join('{"event_id":"%s","customer_id":"A","type":"testimonial","occurred_at":"2024-02-01",'
                                '"properties":%s}\n' % (r["event_id"], r["properties"]) for r in rows))
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    report = ws.import_events(path, write_rejects=False)
    got = {(e.row, e.column, e.reason) for e in report.errors}
    array_reason = "properties must be a JSON object"
    if fmt == "jsonl":  # lines 1,000 and 5,000 deep are beyond Python's decoder: refused as JSON
        deepest: set[tuple[int, str | None, str]] = {(4, None, "not valid JSON (nested too deeply)"),
                                                     (5, None, "not valid JSON (nested too deeply)")}
    else:
        deepest = {(4, "properties", DEPTH_REASON), (5, "properties", array_reason)}
    assert got == {(2, "properties", DEPTH_REASON), (3, "properties", DEPTH_REASON),
                   (6, "properties", SIZE_REASON)} | deepest
    assert report.imported == 2  # 16 deep, and brackets inside a string
    stored = ws.db.cursor().execute("SELECT event_id FROM events ORDER BY event_id").fetchall()
    assert stored == [("e0",), ("e6",)]
    assert ws.customers.profile("A")["timeline"][0]["properties"] is not None
    ws.close()


def test_records_with_deep_values_are_rejected_not_crashed(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    deep: dict[str, object] = {"b": 1}
    for _ in range(900):
        deep = {"a": deep}
    result = ws.ingest.batch("events", [{**_event(1, None), "properties": deep},
                                        {**_event(2, None), "properties": json.loads(nested(16))}])
    assert [(i.status, [(e["field"], e["reason"]) for e in i.errors]) for i in result.items] == [
        ("rejected", [("properties", DEPTH_REASON)]), ("accepted", [])]
    ws.close()


def test_profile_of_stored_deep_properties_keeps_them_as_text(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    ws.import_events([_event(1, None)])
    ws.db.cursor().execute("UPDATE events SET properties = ?", [nested(300)])  # stored before the bound
    assert ws.customers.profile("A")["timeline"][0]["properties"] == nested(300)
    ws.close()


# -- NUL characters: one rule for files and the API -----------------------------------------------
def test_cli_import_rejects_nul_characters_like_the_api(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    customers = tmp_path / "c.csv"
    customers.write_text("customer_id,name,signup_at,tier\nA,Ann,2024-01-01,gold\n"
                         "B,B\x00b,2024-01-01,gold\nC,Cy,2024-01-01,si\x00lver\n")
    proc = cli(db, "import", "customers", str(customers), "--no-progress")
    assert "imported 1, rejected 2" in proc.stdout
    rejects = (tmp_path / "c.csv.rejects.csv").read_text().splitlines()
    assert rejects == ["row,column,value,reason", f"2,name,B\\0b,{rules.NUL_REASON}",
                       f"3,tier,si\\0lver,{rules.NUL_REASON}"]
    events = tmp_path / "e.jsonl"
    events.write_text('{"event_id":"e1","customer_id":"A","type":"testimonial","occurred_at":"2024-02-01",'
                      '"text":"a\\u0000b"}\n'
                      '{"event_id":"e2","customer_id":"A","type":"testimonial","occurred_at":"2024-02-01",'
                      '"properties":{"k":"v\\u0000"}}\n'
                      '{"event_id":"e3","customer_id":"A","type":"testimonial","occurred_at":"2024-02-01",'
                      '"properties":{"k":"v\\\\u0000"}}\n')
    proc = cli(db, "import", "events", str(events), "--no-progress")
    assert "imported 1, rejected 2" in proc.stdout
    rejects = (tmp_path / "e.jsonl.rejects.csv").read_text().splitlines()
    assert [line.split(",")[:2] + [line.rsplit(",", 1)[1]] for line in rejects[1:]] == [
        ["1", "text", rules.NUL_REASON], ["2", "properties", rules.NUL_REASON]]
    with Workspace(db) as ws:  # an escaped backslash before u0000 is no NUL
        assert ws.db.cursor().execute("SELECT event_id FROM events").fetchall() == [("e3",)]
        assert ws.db.cursor().execute("SELECT count(*) FROM customers WHERE contains(name, chr(0)) "
                                      "OR contains(tier, chr(0))").fetchall() == [(0,)]


def test_fast_path_leaves_nul_text_to_the_rules(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    record = {"event_id": "e1", "customer_id": "A", "type": "testimonial", "occurred_at": "2024-02-01",
              "text": "a\x00b"}
    assert rules.fast_events([record]) is None
    item = ws.ingest.batch("events", [record]).items[0]
    assert (item.status, item.errors) == ("rejected", [{"field": "text", "value": "a\\0b",
                                                        "reason": rules.NUL_REASON}])
    ws.close()


# -- over-long CSV lines -------------------------------------------------------------------------
def test_csv_line_over_the_limit_names_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 1 << 20)  # 1 MB instead of 8: the same code, a small file
    path = tmp_path / "c.csv"
    path.write_text("customer_id,name,signup_at\n" + "A,Ann,2024-01-01\n" * 3
                    + "B," + "x" * (2 << 20) + ",2024-01-01\nC,Cy,2024-01-01\n")
    ws = Workspace(tmp_path / "w.duckdb")
    with pytest.raises(DataError) as caught:
        ws.import_customers(path)
    assert str(caught.value) == f"{path}: line 5 is longer than the limit of 1 MB"
    assert "straddl" not in str(caught.value) + str(caught.value.hint)
    assert ws.counts() == {"customers": 0, "events": 0}  # nothing landed
    first = tmp_path / "first.csv"  # a long first data line fails when the file is opened
    first.write_text("customer_id,name,signup_at\nB," + "x" * (2 << 20) + ",2024-01-01\n")
    with pytest.raises(DataError, match=r"line 2 is longer than the limit of 1 MB"):
        ws.import_customers(first)
    ws.close()
