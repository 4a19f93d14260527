"""Issue 14, "Periods and defaults": worked by hand.

- the default period of summary / scorecard / report is the latest complete one with an event in it
  (signups when there is no event), and the CLI says which on standard error;
- a period outside the data's span is one error line naming the span, exit code 2 (HTTP 422), in every
  command that takes one --period; ``kpi compute --from/--to`` outside the data still gives rows;
- ``--to`` includes the period or day it names, everywhere (one ``periods.parse_bound``);
- one filter parser: ``--filter DIM=VALUE`` on the command line, ``filter=DIM:VALUE`` in addresses;
- an unknown KPI id answers "did you mean"; catalogue aliases are accepted for ids.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from advokit.catalogue import load_catalogue
from advokit.cli import main
from advokit.engine.filters import parse_filter_items
from advokit.engine.periods import parse_bound
from advokit.errors import InvalidArgumentError, PeriodOutsideDataError, UnknownKpiError

from .analysis_support import add_customers, add_events, load_worked_example, workspace
from .api_support import Server, new_keys

TODAY = dt.date(2026, 12, 3)
SPAN = "the data covers 2024-01-10 to 2024-08-20"


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def gappy(tmp_path: Path) -> Path:
    """Signups 2024-01-10 and 2024-08-20; events only on 2024-03-15 and 2024-06-30.

    July 2024 is the last complete month of the span (it ends before the last day with data, 20
    August), but holds no event: the default must be June 2024.
    """
    path = tmp_path / "gappy.duckdb"
    ws = workspace(path, load_catalogue())
    add_customers(ws, [("A", "SMB", "EMEA", dt.datetime(2024, 1, 10), None, 100.0),
                       ("B", "Enterprise", "EMEA", dt.datetime(2024, 8, 20), None, 200.0)])
    add_events(ws, [("A", "nps_response", dt.datetime(2024, 3, 15), 10.0, None),
                    ("A", "nps_response", dt.datetime(2024, 6, 30, 23), 3.0, None)])
    ws.close()
    return path


# ------------------------------------------------------------------ the default period has data
def test_default_period_is_the_latest_complete_one_with_an_event(gappy: Path) -> None:
    ws = workspace(gappy, load_catalogue())
    assert ws.latest_complete_period("month", today=TODAY) == "2024-06"  # not July: no event in it
    assert ws.latest_complete_period("quarter", today=TODAY) == "2024-Q2"
    assert ws.latest_complete_period("month", today=dt.date(2024, 6, 15)) == "2024-03"  # June not ended yet
    assert ws.summary()[0]["period"] == "2024-06"
    card = ws.scorecard()
    assert card["period"] == "2024-06" and card["period_note"] == "period 2024-06: the latest complete month with data"
    ws.close()


def test_default_period_falls_back_to_signups_without_events(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "signups.duckdb", load_catalogue())
    add_customers(ws, [("A", None, None, dt.datetime(2024, 1, 10), None, None),
                       ("B", None, None, dt.datetime(2024, 3, 5), None, None)])
    assert ws.latest_complete_period("month", today=TODAY) == "2024-01"  # February: no signup; March: not complete
    ws.close()


def test_cli_says_which_period_it_picked(gappy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "--db", str(gappy), "summary", "--format", "json")
    assert code == 0 and {r["period"] for r in json.loads(out)} == {"2024-06"}  # stdout stays JSON
    assert err == "note: period 2024-06: the latest complete month with data\n"
    code, out, err = _cli(capsys, "--db", str(gappy), "scorecard")
    assert code == 0 and out.startswith("Scorecard 2024-06 (vs 2024-05")
    assert err == "note: period 2024-06: the latest complete month with data\n"
    code, out, err = _cli(capsys, "--db", str(gappy), "scorecard", "--format", "json")
    assert code == 0 and json.loads(out)["period_note"] == "period 2024-06: the latest complete month with data"
    code, _, err = _cli(capsys, "--db", str(gappy), "summary", "--period", "2024-03")
    assert code == 0 and err == ""  # a period asked for needs no note


# ------------------------------------------------------------------ a period outside the data: exit 2
@pytest.mark.parametrize("args", [
    ["summary", "--period", "2030-01"],
    ["scorecard", "--period", "2030-01"],
    ["report", "--period", "2030-01", "--out", "-"],
    ["compare", "nps", "--period", "2030-01", "--by", "segment", "--a", "SMB", "--b", "Enterprise"],
], ids=lambda a: a[0])
def test_a_period_outside_the_data_is_one_error_line(gappy: Path, capsys: pytest.CaptureFixture[str],
                                                    args: list[str]) -> None:
    code, out, err = _cli(capsys, "--db", str(gappy), *args)
    assert code == 2 and out == ""
    assert err == f"error: no data in 2030-01: {SPAN}; pick a period from 2024-01 to 2024-08\n"


def test_a_period_before_the_data_names_the_span(gappy: Path) -> None:
    ws = workspace(gappy, load_catalogue())
    with pytest.raises(PeriodOutsideDataError) as exc:
        ws.scorecard("2023-Q4")
    assert exc.value.message == f"no data in 2023-Q4: {SPAN}" and exc.value.exit_code == 2
    assert exc.value.hint == "pick a period from 2024-Q1 to 2024-Q3" and isinstance(exc.value, InvalidArgumentError)
    ws.close()


def test_kpi_compute_outside_the_data_still_gives_rows(gappy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "--db", str(gappy), "kpi", "compute", "nps", "--from", "2030-01", "--to", "2030-02",
                        "--format", "json")
    assert code == 0 and [r["period"] for r in json.loads(out)] == ["2030-01", "2030-02"]


# ------------------------------------------------------------------ --to is inclusive
@pytest.mark.parametrize("text,start,end", [
    ("2025-02", dt.date(2025, 2, 1), dt.date(2025, 3, 1)),
    ("2025-03-31", dt.date(2025, 3, 31), dt.date(2025, 4, 1)),
    ("2025-Q1", dt.date(2025, 1, 1), dt.date(2025, 4, 1)),
    ("2025", dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
    ("2024-02-29", dt.date(2024, 2, 29), dt.date(2024, 3, 1)),
])
def test_a_bound_names_a_period_and_to_includes_it(text: str, start: dt.date, end: dt.date) -> None:
    assert parse_bound(text, name="--from", end=False) == start
    assert parse_bound(text, name="--to", end=True) == end
    assert parse_bound(dt.date(2025, 4, 1), name="--to", end=True) == dt.date(2025, 4, 1)  # code's own: as it is
    with pytest.raises(InvalidArgumentError, match="invalid date for --to"):
        parse_bound("2025-02-30", name="--to", end=True)


def test_compute_to_includes_the_period_it_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = workspace(tmp_path / "w.duckdb", load_catalogue())
    load_worked_example(ws)
    assert ws.kpis.request(["nps"], start="2025-02", end="2025-02").end == dt.date(2025, 3, 1)
    assert ws.kpis.request(["nps"], end="2025-03-31").end == dt.date(2025, 4, 1)
    assert [r["period"] for r in ws.compute("nps", period="quarter", start="2025-01", end="2025-Q1").to_dicts()] \
        == ["2025-Q1"]
    jan = ws.compute("nps", period="month", start="2025-01", end="2025-01").to_dicts()
    assert [(r["period"], r["n"], r["value"]) for r in jan] == [("2025-01", 4, 25.0)]
    ws.close()
    db = str(tmp_path / "w.duckdb")
    code, out, _ = _cli(capsys, "--db", db, "kpi", "compute", "nps", "--period", "month", "--from", "2025-02",
                        "--to", "2025-02", "--format", "json")
    assert code == 0 and [r["period"] for r in json.loads(out)] == ["2025-02"]
    code, out, _ = _cli(capsys, "--db", db, "kpi", "compute", "nps", "--from", "2025-01-01", "--to", "2025-01-31",
                        "--format", "json")
    assert code == 0 and [(r["period"], r["n"]) for r in json.loads(out)] == [("2025-01", 4)]
    code, out, _ = _cli(capsys, "--db", db, "trend", "nps", "--from", "2024-12", "--to", "2025-01", "--format", "json")
    assert code == 0 and [r["period"] for r in json.loads(out)] == ["2024-12", "2025-01"]


# ------------------------------------------------------------------ one filter syntax
def test_one_filter_parser_for_the_cli_and_addresses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_filter_items(["segment=SMB", "region="], sep="=") == {"segment": "SMB", "region": None}
    assert parse_filter_items(["segment:SMB"], sep=":") == {"segment": "SMB"}
    with pytest.raises(InvalidArgumentError) as exc:
        parse_filter_items(["segment=SMB"], sep=":")
    assert exc.value.hint == "use filter=DIM:VALUE, e.g. segment:SMB"
    ws = workspace(tmp_path / "w.duckdb", load_catalogue())
    load_worked_example(ws)
    ws.close()
    code, out, _ = _cli(capsys, "--db", str(tmp_path / "w.duckdb"), "kpi", "compute", "nps", "--from", "2025-01",
                        "--to", "2025-01", "--filter", "segment=SMB", "--format", "json")
    assert code == 0 and [(r["value"], r["n"]) for r in json.loads(out)] == [(pytest.approx(66.6667, abs=1e-3), 3)]


# ------------------------------------------------------------------ did you mean; aliases
def test_unknown_kpi_suggests_the_closest_ids() -> None:
    cat = load_catalogue()
    with pytest.raises(UnknownKpiError) as exc:
        cat.get("referral_program_participation_rate")  # the display name in id form: suggested, not taken
    assert exc.value.details == {"suggestions": ["referral_participation_rate", "referral_invitation_rate",
                                                 "referral_conversion_rate"]}
    assert exc.value.hint.startswith("did you mean referral_participation_rate (Referral Program Participation Rate)")
    assert cat.suggest("npss") == ["nps"]


def test_aliases_resolve_to_the_canonical_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cat = load_catalogue()
    assert cat.resolve("referral participation") == "referral_participation_rate"  # aliases: [referral participation]
    assert cat.resolve("referral_participation") == "referral_participation_rate"
    assert cat.resolve("CSAT") == "csat" and cat.get("top-2-box").id == "csat"
    ws = workspace(tmp_path / "w.duckdb", load_catalogue())
    load_worked_example(ws)
    rows = ws.compute(["CSAT", "referral participation"], start="2025-01", end="2025-01").to_dicts()
    assert [r["kpi"] for r in rows] == ["csat", "referral_participation_rate"]
    ws.close()
    code, out, _ = _cli(capsys, "--db", str(tmp_path / "w.duckdb"), "kpi", "compute", "referral_participation",
                        "--from", "2025-01", "--to", "2025-01", "--format", "json")
    assert code == 0 and [r["kpi"] for r in json.loads(out)] == ["referral_participation_rate"]


def test_cli_unknown_kpi_is_exit_2_with_did_you_mean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "--db", str(tmp_path / "e.duckdb"), "kpi", "compute",
                          "referral_program_participation_rate", "--period", "month")
    assert code == 2 and out == ""
    assert err.startswith("error: unknown KPI 'referral_program_participation_rate'; did you mean "
                          "referral_participation_rate (Referral Program Participation Rate) or ")
    assert len(err.splitlines()) == 1


# ------------------------------------------------------------------ the same over HTTP
@pytest.mark.slow
def test_api_periods_filters_and_kpi_ids(gappy: Path) -> None:
    key = new_keys(gappy, "read")["read"]
    with Server(gappy, rate=0) as server, server.client(key) as c:
        r = c.get("/v1/scorecard", params={"period": "2030-01"})
        assert r.status_code == 422 and r.json()["error"] == {
            "code": "period_outside_data", "message": f"no data in 2030-01: {SPAN}",
            "hint": "pick a period from 2024-01 to 2024-08"}
        r = c.get("/v1/scorecard")
        assert r.status_code == 200 and r.json()["period"] == "2024-06" and r.json()["period_note"]
        r = c.get("/v1/kpis/referral_program_participation_rate/values")
        assert r.status_code == 404 and "did you mean referral_participation_rate" in r.json()["error"]["hint"]
        rows = c.get("/v1/kpis/CSAT/values", params={"from": "2024-03", "to": "2024-03"}).json()
        assert [(x["kpi"], x["period"]) for x in rows] == [("csat", "2024-03")]
        rows = c.get("/v1/kpis/nps/values", params=[("from", "2024-03"), ("to", "2024-Q1"),
                                                    ("filter", "segment:Enterprise")]).json()
        assert [(x["period"], x["n"]) for x in rows] == [("2024-03", 0)]
        rows = c.get("/v1/kpis/nps/values", params=[("from", "2024-03"), ("to", "2024-03"),
                                                    ("filter", "segment:SMB")]).json()
        assert [(x["period"], x["n"]) for x in rows] == [("2024-03", 1)]
