"""Customer attribute limits, high-cardinality attributes and dropping an attribute (issue 13, item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advokit import Workspace
from advokit.errors import InvalidArgumentError, NotFoundError, RejectedRowsError, UnknownDimensionError
from advokit.store import attributes
from advokit.rollups.parts import MAX_DIMENSIONS, choose_dimensions
from advokit.store.attributes import MAX_DIMENSION_VALUES

from advokit.cli import main

HEADER = "customer_id,signup_at"


def _limit_reason(name: str, limit: int) -> str:
    return (f"attribute {name!r} is over this workspace's limit of {limit} customer attributes "
            "(ADVOKIT_MAX_ATTRIBUTES; drop one with `advokit attribute drop NAME`)")


def test_the_65th_attribute_is_rejected_row_by_row(tmp_path: Path) -> None:
    assert attributes.max_attributes() == 64
    names = [f"a{i:02d}" for i in range(1, 66)]  # 65 attributes
    path = tmp_path / "c.csv"
    path.write_text(f"{HEADER},{','.join(names)}\n"
                    f"A,2024-01-01,{','.join('v' for _ in range(64))},\n"  # the 65th empty: lands
                    f"B,2024-01-01,{','.join('v' for _ in range(65))}\n"   # a value in the 65th: rejected
                    f"C,2024-01-01,{',' * 64}w\n")
    with Workspace(tmp_path / "w.duckdb") as ws:
        report = ws.import_customers(path, write_rejects=False)
        assert (report.imported, report.rejected) == (1, 2)
        assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
            (2, "a65", "v", _limit_reason("a65", 64)), (3, "a65", "w", _limit_reason("a65", 64))]
        extras = [c.name for c in ws.customers.attributes()]
        assert extras == names[:64]  # no 65th column: nothing partially landed
        assert ws.db.cursor().execute("SELECT customer_id FROM customers").fetchall() == [("A",)]


def test_limits_are_configurable_and_per_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVOKIT_MAX_ATTRIBUTES", "4")
    monkeypatch.setenv("ADVOKIT_MAX_RECORD_ATTRIBUTES", "2")
    path = tmp_path / "c.csv"
    path.write_text(f"{HEADER},x,y,z\nA,2024-01-01,1,2,\nB,2024-01-01,1,2,3\nC,2024-01-01,,,3\n")
    with Workspace(tmp_path / "w.duckdb") as ws:
        report = ws.import_customers(path, write_rejects=False)
        assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
            (2, "z", "3", "a customer carries at most 2 attribute values (ADVOKIT_MAX_RECORD_ATTRIBUTES); "
                          "this row has 3")]
        assert report.imported == 2
        # the API's batches: the whole batch refused (422 in the API), nothing lands
        over = [{"customer_id": "D", "signup_at": "2024-01-01", "u": "1"},
                {"customer_id": "E", "signup_at": "2024-01-01", "v": "1", "w": None}]
        with pytest.raises(RejectedRowsError) as caught:
            ws.ingest.batch("customers", [{"customer_id": "F", "signup_at": "2024-01-01"}, *over])
        assert caught.value.http_status == 422
        assert caught.value.details == [{"index": 2, "field": "v", "value": "1", "reason": _limit_reason("v", 4)}]
        with pytest.raises(RejectedRowsError) as caught:
            ws.ingest.batch("customers", [{"customer_id": "G", "signup_at": "2024-01-01", "x": "1", "y": "2",
                                           "z": "3"}])
        assert caught.value.details == [{"index": 0, "field": "z", "value": 3, "reason":
                                         "a customer carries at most 2 attribute values "
                                         "(ADVOKIT_MAX_RECORD_ATTRIBUTES); this one has 3"}]
        assert ws.counts()["customers"] == 2 and [a.name for a in ws.customers.attributes()] == ["x", "y", "z"]
        monkeypatch.setenv("ADVOKIT_MAX_ATTRIBUTES", "many")
        with pytest.raises(InvalidArgumentError, match="ADVOKIT_MAX_ATTRIBUTES='many'"):
            attributes.max_attributes()


def _many_values(tmp_path: Path, n: int) -> Path:
    """Customers with a low-cardinality ``tier``, an ``account_ref`` unique to each, and many 2-value flags."""
    flags = [f"f{i:02d}" for i in range(40)]
    lines = [f"{HEADER},segment,tier,account_ref,{','.join(flags)}"]
    for i in range(n):
        lines.append(f"C{i:04d},2024-01-01,S{i % 3},T{i % 2},ref-{i},{','.join(str((i >> (k % 8)) & 1) for k in range(40))}")
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_high_cardinality_attributes_are_no_dimension_nor_in_the_rollups(tmp_path: Path) -> None:
    n = MAX_DIMENSION_VALUES + 1
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.import_customers(_many_values(tmp_path, n))
        ws.import_events([{"event_id": f"e{i}", "customer_id": f"C{i:04d}", "type": "nps_response",
                           "occurred_at": "2024-02-01", "score": i % 11} for i in range(n)])
        dims = ws.kpis.dimensions()
        assert "account_ref" not in dims and "tier" in dims and "segment" in dims
        listed = {a.name: (a.distinct_values, a.dimension) for a in ws.customers.attributes()}
        assert listed["account_ref"] == (n, False) and listed["tier"] == (2, True)
        assert "account_ref" not in ws.customers.attribute_values()  # the segment pickers
        with pytest.raises(Exception, match="account_ref"):
            ws.compute("nps", by="account_ref")
        chosen = choose_dimensions(ws.kpis.backend(), dims)  # what the rollups are built by
        assert set(chosen) <= set(dims) and "account_ref" not in chosen
        assert len(dims) == 46 and len(chosen) == MAX_DIMENSIONS  # of 46 dimensions, the 8 with fewest values
        assert chosen == ["f07", "f15", "f23", "f31", "f39", "industry", "plan", "referred_by"]  # 1 value each
        # the directory still shows and filters by it
        assert ws.customers.page(filters={"account_ref": "ref-7"}).total == 1


@pytest.mark.parametrize("real_rollups", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_drop_attribute_invalidates_what_used_it(tmp_path: Path, real_rollups: bool) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f"{HEADER},segment,tier\n" + "".join(f"C{i:04d},2024-01-01,S{i % 3},T{i % 2}\n" for i in range(30)))
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.import_customers(path)
        ws.import_events([{"event_id": f"e{i}", "customer_id": f"C{i:04d}", "type": "nps_response",
                           "occurred_at": "2024-02-01", "score": i % 11} for i in range(30)])
        before = ws.kpis.values("nps", period="month", by="tier")
        assert {r["tier"] for r in before} == {"T0", "T1"}
        if real_rollups:  # (about 15 s on a busy machine)
            assert ws.rollups.refresh_rollups(ws.kpis, save=True)
            assert "tier" in ws.rollups.rollups().dims  # type: ignore[union-attr]
        else:  # a saved-rollups marker as refresh_rollups leaves it
            with ws.db.transaction(data=False) as cur:
                ws.db.set_derived_marker(cur, "rollups", "{}")
        assert ws.db.derived_marker("rollups") is not None
        assert ws.customers.page().rows[0]["tier"] == "T0"
        gone = ws.customers.drop_attribute("tier")
        assert (gone.name, gone.distinct_values, gone.dimension) == ("tier", 2, True)
        assert "tier" not in ws.kpis.dimensions() and "tier" not in ws.customers.attribute_values()
        assert ws.rollups.rollups() is None  # dropped with the write, the saved ones too
        assert ws.db.derived_marker("rollups") is None
        assert "tier" not in ws.customers.page().rows[0]
        with pytest.raises(Exception, match="tier"):
            ws.kpis.values("nps", period="month", by="tier")
        with pytest.raises(NotFoundError, match="unknown customer attribute 'tier'"):
            ws.customers.drop_attribute("tier")
        with pytest.raises(InvalidArgumentError, match="'segment' is a field of the data contract"):
            ws.customers.drop_attribute("segment")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The ``advokit`` entry point in this process (what the console script runs): exit code, stdout, stderr."""
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_attribute_drop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "w.duckdb")
    (tmp_path / "c.csv").write_text(f"{HEADER},tier,region\nA,2024-01-01,gold,EU\nB,2024-01-01,silver,EU\n")
    assert run_cli(capsys, "--db", db, "import", "customers", str(tmp_path / "c.csv"), "--no-progress")[0] == 0
    assert run_cli(capsys, "--db", db, "attribute", "drop", "tier") == (
        0, "dropped attribute tier (2 distinct values)\n", "")
    code, _, err = run_cli(capsys, "--db", db, "attribute", "drop", "tier")
    assert (code, err) == (1, "error: unknown customer attribute 'tier'; this workspace has no extra attributes\n")
    code, _, err = run_cli(capsys, "--db", db, "attribute", "drop", "region")
    assert (code, err) == (2, "error: 'region' is a field of the data contract, not an extra attribute; "
                              "only attributes added by an import can be dropped\n")
    with Workspace(db) as ws:
        assert ws.customers.attributes() == [] and ws.counts()["customers"] == 2


@pytest.mark.parametrize("name", ["n", "value", "kpi", "period"])
def test_an_attribute_named_like_a_result_field_is_no_dimension(tmp_path: Path, name: str) -> None:
    """Found by the API's schemathesis run: `/v1/scorecard?by=n` after a customer with an attribute `n` was a 500."""
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.import_customers([{"customer_id": "A", "segment": "SMB", "signup_at": "2024-01-01", name: "x"}])
        assert name not in ws.kpis.dimensions() and "segment" in ws.kpis.dimensions()
        with pytest.raises(UnknownDimensionError):
            ws.scorecard(period="2024-01", by=name)
        assert ws.scorecard(period="2024-01", by="segment")["by"] == "segment"
