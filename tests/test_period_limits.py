"""Issue 13 item 6: periods and dates outside the calendar (years 1900-2100) are input errors, everywhere.

Before the fix ``9999-12`` reached ``dt.date(10000, 1, 1)`` (the next period) and
``0001-01`` / ``0000-01`` reached year 0: the dashboard's ``/`` and ``/kpis/nps``
answered 500 and the CLI printed "internal error". One parser
(``advokit.engine.periods``) now holds the limits of the data contract
(``catalogue.model.MIN_YEAR`` / ``MAX_YEAR``, the importer's as well).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from advokit.analysis.targets import parse_bound
from advokit.catalogue import model
from advokit.cli import main
from advokit.engine import periods
from advokit.errors import InvalidArgumentError
from advokit.ingest import rules

from .analysis_support import load_worked_example, workspace
from .api_support import Server, new_keys

OUT = "is outside the years 1900-2100"
HINT = "periods and dates run from 1900 to 2100"


def test_one_calendar_for_periods_dates_and_imports() -> None:
    assert (model.MIN_YEAR, model.MAX_YEAR) == (1900, 2100)
    assert (periods.MIN_YEAR, periods.MAX_YEAR) == (rules.MIN_YEAR, rules.MAX_YEAR) == (1900, 2100)
    assert (periods.FIRST_DAY, periods.END_DAY) == (dt.date(1900, 1, 1), dt.date(2101, 1, 1))


@pytest.mark.parametrize("label", ["9999-12", "0000-01", "0001-01", "9999-Q4", "9999", "1899-12", "2101-01",
                                   "2101", " 1899-Q4 "])
def test_labels_outside_the_calendar(label: str) -> None:
    with pytest.raises(InvalidArgumentError) as exc:
        periods.parse_period_label(label)
    assert exc.value.message == f"period {label.strip()!r} {OUT}" and exc.value.hint == HINT
    assert exc.value.exit_code == 2 and exc.value.http_status == 422


def test_labels_at_the_edges_of_the_calendar() -> None:
    first, last = periods.parse_period_label("1900-01"), periods.parse_period_label("2100-Q4")
    assert (first.start, first.shift(-1).label) == (dt.date(1900, 1, 1), "1899-12")  # a trend's history is fine
    assert (last.start, last.end, last.shift(1).label) == (dt.date(2100, 10, 1), dt.date(2101, 1, 1), "2101-Q1")
    assert periods.parse_period_label("2100").label == "2100"


@pytest.mark.parametrize("text", ["0001-01", "9999-12", "9999-12-31", "1899-12-31", "2101-01-02", "2101-02", "9999"])
def test_dates_outside_the_calendar(text: str) -> None:
    with pytest.raises(InvalidArgumentError) as exc:
        periods.parse_date(text, name="--from")
    day = dt.datetime.strptime(text, {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}[len(text)]).date()
    assert exc.value.message == f"--from {day.isoformat()} {OUT}" and exc.value.hint == HINT


def test_dates_at_the_edges_of_the_calendar() -> None:
    assert periods.parse_date("1900", name="--from") == dt.date(1900, 1, 1)
    assert periods.parse_date("2101-01-01", name="--to") == dt.date(2101, 1, 1)  # the exclusive end of 2100
    with pytest.raises(InvalidArgumentError, match="outside the calendar"):
        periods.add_months(dt.date(9999, 12, 1), 1)
    with pytest.raises(InvalidArgumentError, match=f"period '0001-01' {OUT}"):
        parse_bound("0001-01", name="--from", end=False)
    with pytest.raises(InvalidArgumentError, match="invalid date for --to"):
        parse_bound("2025-13", name="--to", end=True)  # a bad month keeps the shape hint


# ------------------------------------------------------------------ the CLI: one error line, exit code 2
@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("periods") / "periods.duckdb"
    ws = workspace(path)
    load_worked_example(ws)
    ws.close()
    return path


CLI_CASES = [
    (["scorecard", "--period", "9999-12"], f"period '9999-12' {OUT}"),
    (["scorecard", "--period", "0001-01"], f"period '0001-01' {OUT}"),
    (["report", "--period", "9999-12"], f"period '9999-12' {OUT}"),
    (["trend", "nps", "--from", "0001-01"], f"period '0001-01' {OUT}"),
    (["trend", "nps", "--to", "9999-12"], f"period '9999-12' {OUT}"),
    (["kpi", "compute", "nps", "--to", "9999-12"], f"period '9999-12' {OUT}"),
    (["compare", "nps", "--period", "0000-01", "--by", "segment", "--a", "SMB", "--b", "Enterprise"],
     f"period '0000-01' {OUT}"),
    (["cohort", "--from", "0001-01"], f"period '0001-01' {OUT}"),
    (["target", "set", "nps", "30", "--from", "0001-01"], f"period '0001-01' {OUT}"),
    (["comment", "add", "nps", "--period", "9999-12", "--body", "x"], f"period '9999-12' {OUT}"),
    (["report", "--kind", "campaign", "--from", "0001-01", "--to", "0001-03"], f"period '0001-01' {OUT}"),
]


@pytest.mark.parametrize("args,message", CLI_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_cli_refuses_periods_outside_the_calendar(db: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                                  message: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(db), *args])
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert err == f"error: {message}; {HINT}\n"


def test_cli_demo_end_outside_the_calendar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(tmp_path / "d.duckdb"), "demo", "--end", "9999-12"])
    assert exc.value.code == 2 and capsys.readouterr().err == f"error: period '9999-12' {OUT}; {HINT}\n"


# ------------------------------------------------------------------ HTTP: the dashboard and the API answer 422
PAGES = ["/?period=9999-12", "/?period=0000-01", "/?period=0001-01", "/?grain=quarter&period=9999-Q4",
         "/?grain=year&period=9999"]


@pytest.mark.slow
def test_dashboard_refuses_periods_outside_the_calendar(db: Path) -> None:
    with Server(db, rate=0) as server, server.client() as client:  # no key: open local mode
        for url in PAGES + [u.replace("/?", "/kpis/nps?") for u in PAGES]:
            r = client.get(url)
            assert r.status_code == 422, (url, r.status_code)
            assert "is outside the years 1900-2100" in r.text, url
        # inside the calendar but outside the data (issue 14): 422 naming the span the data covers
        for url in ("/?period=2100-12", "/kpis/nps?grain=year&period=1900"):
            r = client.get(url)
            assert r.status_code == 422 and "the data covers 2024-06-01 to 2025-01-28" in r.text, (url, r.text[-300:])
        assert client.get("/?period=2025-01").status_code == 200


@pytest.mark.slow
def test_api_refuses_periods_outside_the_calendar(db: Path, tmp_path: Path) -> None:
    keyed = Path(shutil.copy(db, tmp_path / "keyed.duckdb"))
    key = new_keys(keyed, "read")["read"]
    urls = ["/v1/kpis/nps/values?to=2999-12", "/v1/kpis/nps/values?from=2101-02-01", "/v1/scorecard?period=2999-12",
            "/v1/reports?period=2500-Q1", "/v1/reports?kind=campaign&from=2999-01&to=2999-03"]
    with Server(keyed, rate=0) as server, server.client(key) as client:
        for url in urls:
            r = client.get(url)
            assert r.status_code == 422, (url, r.status_code, r.text)
            error = r.json()["error"]
            assert error["code"] == "invalid_argument" and OUT in error["message"] and error["hint"] == HINT, url
        # inside the calendar but outside the data (issue 14): 422 naming the span the data covers
        r = client.get("/v1/scorecard?period=2100-12")
        assert r.status_code == 422 and r.json()["error"]["code"] == "period_outside_data"
        assert client.get("/v1/scorecard?period=2025-01").status_code == 200
