"""Issue 13 item 10: no CSV the product writes carries a spreadsheet formula.

Before the fix ``kpi compute --format csv`` and ``FILE.rejects.csv`` wrote
values starting with ``=``, ``+``, ``-``, ``@`` unchanged (a segment called
``=HYPERLINK(...)`` ran as a formula when the file was opened). Now every such
text cell is written with a ``'`` in front; numbers stay numbers and JSON is exact.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from advokit.cli import main
from advokit.cli.render import to_csv
from advokit.store.csvcells import SafeWriter, safe_cell

Run = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize("text,written", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-", "'-"), ("+1 555 0100", "'+1 555 0100"),
    ("-3.5", "-3.5"), ("+2", "+2"), ("-1e-3", "-1e-3"), ("-.5", "-.5"),  # a plain number reads as that number
    ("a=1", "a=1"), (" =1", " =1"), ("", ""), ("'=1", "'=1"), ("Acme", "Acme"),
])
def test_safe_cell_text(text: str, written: str) -> None:
    assert safe_cell(text) == written


def test_safe_cell_leaves_other_values_alone() -> None:
    for value in (-3.5, -7, 0, None, True, float("-inf")):
        assert safe_cell(value) is value


def test_writers_give_exact_text() -> None:
    buf = io.StringIO()
    SafeWriter(buf, lineterminator="\n").writerows([["=a", -3.5, "-3.5", "@b"], ["x,=y", "+z", None, 4]])
    assert buf.getvalue() == "'=a,-3.5,-3.5,'@b\n\"x,=y\",'+z,,4\n"
    rows = [{"kpi": "nps", "segment": "=HYPERLINK(\"http://x.example\")", "value": -12.5, "n": 3}]
    assert to_csv(rows, ["kpi", "segment", "value", "n"]) == \
        "kpi,segment,value,n\nnps,\"'=HYPERLINK(\"\"http://x.example\"\")\",-12.5,3\n"


CUSTOMERS = ("customer_id,segment,signup_at\n"
             'c1,"=HYPERLINK(""http://x.example"")",2025-01-01\n'
             "c2,@SUM(A1),2025-01-01\n"
             "c3,-3.5,2025-01-01\n"
             "c4,+cmd,2025-01-01\n")
EVENTS = ("event_id,customer_id,type,occurred_at,score,amount\n"
          "e1,c1,nps_response,2025-01-10T00:00:00Z,10,\n"
          "e2,c2,nps_response,2025-01-10T00:00:00Z,0,\n"
          "e3,c3,nps_response,2025-01-10T00:00:00Z,8,\n"
          "e4,c4,nps_response,2025-01-10T00:00:00Z,9,\n"
          "e5,c1,expansion,2025-01-10T00:00:00Z,,-3.5\n"
          "e6,=cmd,nps_response,2025-01-10T00:00:00Z,9,\n"
          "e7,c1,@x,2025-01-10T00:00:00Z,,\n"
          "e8,c1,nps_response,2025-01-10T00:00:00Z,+11,\n"
          "e9,c1,nps_response,2025-01-10T00:00:00Z,\t=1,\n")


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    db = str(tmp_path / "csv.duckdb")

    def invoke(*args: str) -> tuple[int, str, str]:
        try:
            main(["--db", db, *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err
    return invoke


def test_rejects_file_neutralises_formulas(run: Run, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "e.csv").write_text(EVENTS, encoding="utf-8")
    assert run("import", "customers", str(tmp_path / "c.csv"), "--no-progress")[0] == 0
    code, out, err = run("import", "events", str(tmp_path / "e.csv"), "--no-progress")
    assert code == 0, err
    assert (tmp_path / "e.csv.rejects.csv").read_bytes().decode("utf-8") == (
        "row,column,value,reason\r\n"
        "5,amount,-3.5,amount must not be negative\r\n"
        "6,customer_id,'=cmd,unknown customer '=cmd' (import the customer first)\r\n"
        "7,type,'@x,unknown event type '@x' (see the data contract for the event types)\r\n"
        "8,score,+11,score +11 is out of range 0–10 for nps_response\r\n"
        "9,score,'\t=1,score must be a number\r\n")


def test_kpi_compute_csv_neutralises_formulas_and_json_stays_exact(run: Run, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "e.csv").write_text(EVENTS, encoding="utf-8")
    run("import", "customers", str(tmp_path / "c.csv"), "--no-progress")
    run("import", "events", str(tmp_path / "e.csv"), "--no-progress", "--rejects", str(tmp_path / "r.csv"))
    args = ("kpi", "compute", "nps", "--by", "segment", "--from", "2025-01", "--to", "2025-01")
    code, out, err = run(*args, "--format", "csv")
    assert code == 0, err
    assert out == (
        "kpi,period,period_start,segment,value,numerator,denominator,n,coverage,note,promoters,passives,detractors,"
        "margin_of_error,ci_low,ci_high,std_error,small_sample\n"
        "nps,2025-01,2025-01-01,'+cmd,100.0,1.0,1.0,1,covered,,1,0,0,0.0,100.0,100.0,0.0,True\n"
        "nps,2025-01,2025-01-01,-3.5,0.0,0.0,1.0,1,covered,,0,1,0,0.0,0.0,0.0,0.0,True\n"
        "nps,2025-01,2025-01-01,\"'=HYPERLINK(\"\"http://x.example\"\")\",100.0,1.0,1.0,1,covered,,1,0,0,0.0,100.0,100.0,0.0,True\n"
        "nps,2025-01,2025-01-01,'@SUM(A1),-100.0,-1.0,1.0,1,covered,,0,0,1,0.0,-100.0,-100.0,0.0,True\n")
    code, out, err = run(*args, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["segment"] for r in rows] == ["+cmd", "-3.5", '=HYPERLINK("http://x.example")', "@SUM(A1)"]
    assert [r["value"] for r in rows] == [100.0, 0.0, 100.0, -100.0]


def test_comment_list_csv_neutralises_formulas(run: Run) -> None:
    code, _, err = run("comment", "add", "nps", "--period", "2025-01", "--body", "=1+1", "--owner", "@ops")
    assert code == 0, err
    code, out, err = run("comment", "list", "--format", "csv")
    assert code == 0, err
    header, line = out.splitlines()
    assert header == "id,kpi,period,kind,owner,due,author,created_at,body"
    cells = line.split(",")
    assert cells[1:5] == ["nps", "2025-01", "comment", "'@ops"] and cells[-1] == "'=1+1"
