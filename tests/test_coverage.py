"""Coverage (kpi-semantics.md, "Coverage"), worked by hand: what the workspace can speak about.

The workspace below holds CSAT answers (February to April 2025) and churned customers, nothing else:
every NPS and referral KPI is not tracked in every month, CSAT only inside its span, churn everywhere.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from advokit import CORE_KPIS, Workspace
from advokit.catalogue import load_catalogue
from advokit.coverage import inputs_of
from advokit.errors import InvalidArgumentError

from .api_support import Server, cli, cli_json, new_keys

CUSTOMERS = [
    {"customer_id": "A", "segment": "SMB", "signup_at": "2024-10-01"},
    {"customer_id": "B", "segment": "SMB", "signup_at": "2024-11-15", "churned_at": "2025-03-10"},
    {"customer_id": "C", "segment": "Enterprise", "signup_at": "2024-12-01"},
]
EVENTS = [
    {"event_id": "s1", "customer_id": "A", "type": "csat_response", "occurred_at": "2025-02-03", "score": 5},
    {"event_id": "s2", "customer_id": "B", "type": "csat_response", "occurred_at": "2025-02-20", "score": 2},
    {"event_id": "s3", "customer_id": "C", "type": "csat_response", "occurred_at": "2025-04-28", "score": 4},
]
REFERRAL_KPIS = ["referral_participation_rate", "referral_conversion_rate", "referral_revenue",
                 "referral_invitation_rate", "referral_new_customers"]


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    w = Workspace(tmp_path / "w.duckdb")
    assert w.import_customers(CUSTOMERS).rejected == 0
    assert w.import_events(EVENTS).rejected == 0
    yield w
    w.close()


def _by(rows: list[dict], kpi: str) -> dict[str, dict]:
    return {r["period"]: r for r in rows if r["kpi"] == kpi}


def test_the_inputs_of_the_twelve_core_kpis_are_those_of_the_spec() -> None:
    cat = load_catalogue()
    got = {k: [i.name for i in inputs_of(cat.get(k))] for k in CORE_KPIS}
    assert got == {
        "nps": ["nps_response"], "csat": ["csat_response"], "customer_advocacy_score": ["advocacy_rating"],
        "advocacy_actions_per_customer": ["advocacy_actions"], "active_advocates_rate": ["advocacy_actions"],
        "referral_participation_rate": ["referral_sent"],
        "referral_conversion_rate": ["referral_converted", "referral_sent"],
        "referral_revenue": ["referral_converted"], "customer_churn_rate": ["churned_at"],
        "customer_retention_rate": ["churned_at"], "contract_renewal_rate": ["renewal", "renewal_due"],
        "expansion_revenue": ["expansion"],
    }
    # every catalogue KPI has at least one input: a population alone never makes a value covered
    assert all(inputs_of(k) for k in cat)


def test_nps_and_referral_kpis_are_not_tracked_anywhere_csat_inside_its_span(ws: Workspace) -> None:
    rows = ws.compute(["nps", "csat", "customer_churn_rate", *REFERRAL_KPIS], period="month",
                      start="2025-01", end="2025-05").to_dicts()
    assert {r["period"] for r in rows} == {"2025-01", "2025-02", "2025-03", "2025-04", "2025-05"}
    for kpi in ["nps", *REFERRAL_KPIS]:
        for r in _by(rows, kpi).values():
            assert r["coverage"] == "not_tracked" and r["value"] is None, r
            assert r["numerator"] is None and r["denominator"] is None and r["ci_low"] is None
    note = _by(rows, "referral_revenue")["2025-02"]["note"]
    assert note.startswith("not tracked: the workspace holds no referral_converted events")
    assert "advokit coverage set referral_converted --from" in note and "\n" not in note
    csat = _by(rows, "csat")
    assert {p: r["coverage"] for p, r in csat.items()} == {
        "2025-01": "not_tracked", "2025-02": "covered", "2025-03": "covered", "2025-04": "covered",
        "2025-05": "not_tracked"}
    assert csat["2025-02"]["value"] == 50.0 and csat["2025-02"]["n"] == 2  # 1 of 2 answers is 4-5
    # March lies inside the span and has no answer: covered, and a rate over nothing is empty, not 0
    assert csat["2025-03"]["value"] is None and csat["2025-03"]["n"] == 0 and csat["2025-03"]["note"] is None
    assert csat["2025-03"]["small_sample"] is None  # n = 0 is no data, not a small sample
    assert "run from 2025-02-03 to 2025-04-28" in csat["2025-05"]["note"]
    churn = _by(rows, "customer_churn_rate")  # a customer field: covered in every period
    assert all(r["coverage"] == "covered" for r in churn.values())
    assert churn["2025-03"]["value"] == pytest.approx(100 / 3)  # A, B, C at the start; B churned
    assert churn["2025-01"]["value"] == 0.0


def test_a_true_zero_inside_coverage_stays_zero(ws: Workspace) -> None:
    ws.import_events([
        {"event_id": "r1", "customer_id": "A", "type": "referral_converted", "occurred_at": "2025-01-10",
         "amount": 900},
        {"event_id": "r2", "customer_id": "C", "type": "referral_converted", "occurred_at": "2025-03-05",
         "amount": 100},
    ])
    rev = _by(ws.compute("referral_revenue", period="month", start="2025-01", end="2025-04").to_dicts(),
              "referral_revenue")
    assert [(p, r["value"], r["coverage"]) for p, r in rev.items()] == [
        ("2025-01", 900.0, "covered"), ("2025-02", 0.0, "covered"), ("2025-03", 100.0, "covered"),
        ("2025-04", None, "not_tracked")]
    # a segment with no events in a covered month is covered too (coverage is workspace-wide)
    seg = ws.compute("referral_revenue", period="month", by="segment", start="2025-02", end="2025-02").to_dicts()
    assert {(r["segment"], r["value"], r["coverage"]) for r in seg} == {
        ("SMB", 0.0, "covered"), ("Enterprise", 0.0, "covered")}


def test_a_span_set_by_the_user_replaces_the_data_span(ws: Workspace) -> None:
    # "we started the CSAT programme in January": January is covered, with no answer (empty rate)
    got = ws.coverage.set("csat_response", start="2025-01")
    assert got["from"] == "2025-01-01" and got["source"] == "user" and got["kpis"] == ["csat"]
    csat = _by(ws.compute("csat", period="month", start="2024-12", end="2025-05").to_dicts(), "csat")
    assert {p: r["coverage"] for p, r in csat.items()} == {
        "2024-12": "not_tracked", "2025-01": "covered", "2025-02": "covered", "2025-03": "covered",
        "2025-04": "covered", "2025-05": "covered"}  # no --to: ongoing
    assert csat["2025-01"]["value"] is None and csat["2025-01"]["note"] is None
    assert "(declared)" in csat["2024-12"]["note"]
    ws.coverage.set("csat_response", start="2025-Q1", end="2025-02")  # --to includes all of February
    csat = _by(ws.compute("csat", period="month", start="2025-01", end="2025-04").to_dicts(), "csat")
    assert [r["coverage"] for r in csat.values()] == ["covered", "covered", "not_tracked", "not_tracked"]
    assert ws.coverage.get("csat_response")["to"] == "2025-02-28"
    # the value cache gives exactly the same rows
    assert ws.kpis.values("csat", period="month", start="2025-01", end="2025-04") == \
        ws.compute("csat", period="month", start="2025-01", end="2025-04").to_dicts()
    assert ws.coverage.clear("csat_response")["cleared"] is True
    assert ws.coverage.get("csat_response")["from"] == "2025-02-03"
    # a customer field can be bounded too: churn is tracked only from March
    ws.coverage.set("churned_at", start="2025-03")
    churn = _by(ws.compute("customer_churn_rate", period="month", start="2025-02", end="2025-03").to_dicts(),
                "customer_churn_rate")
    assert churn["2025-02"]["coverage"] == "not_tracked" and churn["2025-03"]["coverage"] == "covered"


def test_the_span_of_a_group_is_that_of_any_of_its_types(ws: Workspace) -> None:
    ws.import_events([
        {"event_id": "a1", "customer_id": "A", "type": "review", "occurred_at": "2025-01-15"},
        {"event_id": "a2", "customer_id": "C", "type": "social_share", "occurred_at": "2025-03-15"},
    ])
    rows = ws.compute(["active_advocates_rate", "advocacy_actions_per_customer"], period="month",
                      start="2024-12", end="2025-04").to_dicts()
    act = _by(rows, "active_advocates_rate")
    assert [r["coverage"] for r in act.values()] == ["not_tracked", "covered", "covered", "covered",
                                                     "not_tracked"]
    assert act["2025-02"]["value"] == 0.0  # A, B, C active, nobody acted: a true zero
    assert ws.coverage.get("advocacy_actions")["from"] == "2025-01-15"
    assert ws.coverage.get("advocacy_actions")["to"] == "2025-03-15"


def test_a_windowed_kpi_reads_coverage_back_over_its_window(ws: Workspace) -> None:
    # customer_loyalty: latest NPS answer in the 12 months before the period end
    ws.import_events([{"event_id": "n1", "customer_id": "A", "type": "nps_response",
                       "occurred_at": "2025-01-20", "score": 10}])
    loyal = _by(ws.compute("customer_loyalty", period="month", start="2024-12", end="2026-02").to_dicts(),
                "customer_loyalty")
    assert loyal["2024-12"]["coverage"] == "not_tracked"
    assert loyal["2025-06"]["coverage"] == "covered"  # the January answer still counts
    assert loyal["2026-01"]["coverage"] == "covered" and loyal["2026-02"]["coverage"] == "not_tracked"


def test_bad_spans_are_refused(ws: Workspace) -> None:
    with pytest.raises(InvalidArgumentError, match="unknown input 'nps'"):
        ws.coverage.set("nps", start="2025-01")
    with pytest.raises(InvalidArgumentError, match="before --from"):
        ws.coverage.set("csat_response", start="2025-03", end="2025-01")
    with pytest.raises(InvalidArgumentError, match="give --from"):
        ws.coverage.set("nps_response", end="2025-03")  # no NPS data to start from
    with pytest.raises(InvalidArgumentError, match="give --from, --to or both"):
        ws.coverage.set("csat_response")
    with pytest.raises(InvalidArgumentError):
        ws.coverage.set("csat_response", start="2025-13")
    assert ws.coverage.get("csat_response")["source"] == "data"  # nothing was stored


def test_the_cli_lists_sets_and_clears(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    with Workspace(db) as w:
        w.import_customers(CUSTOMERS)
        w.import_events(EVENTS)
    rows = {r["input"]: r for r in cli_json(db, "coverage", "list", "--format", "json")}
    assert rows["csat_response"]["from"] == "2025-02-03" and rows["csat_response"]["kpis"] == ["csat"]
    assert rows["nps_response"]["covered"] is False and "nps" in rows["nps_response"]["kpis"]
    assert rows["churned_at"]["covered"] is True and rows["arr"]["covered"] is False
    out = cli(db, "coverage", "set", "nps_response", "--from", "2025-01", "--to", "2025-03").stdout
    assert "2025-01-01 to 2025-03-31" in out
    got = cli_json(db, "kpi", "compute", "nps", "--period", "month", "--from", "2025-03", "--to", "2025-04",
                   "--format", "json")
    assert [(r["period"], r["coverage"]) for r in got] == [("2025-03", "covered"), ("2025-04", "not_tracked")]
    bad = cli(db, "coverage", "set", "nps_answers", "--from", "2025-01", check=False)
    assert bad.returncode == 2 and "unknown input 'nps_answers'" in bad.stderr and "Traceback" not in bad.stderr
    assert "comes from the data again" in cli(db, "coverage", "clear", "nps_response").stdout


@pytest.mark.slow
def test_the_api_lists_sets_and_clears_and_rows_carry_coverage(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    with Workspace(db) as w:
        w.import_customers(CUSTOMERS)
        w.import_events(EVENTS)
    keys = new_keys(db, "read", "write")
    with Server(db) as server, server.client(keys["read"]) as read, server.client(keys["write"]) as write:
        r = read.get("/v1/coverage")
        assert r.status_code == 200
        listed = {x["input"]: x for x in r.json()}
        assert listed["csat_response"]["from"] == "2025-02-03" and listed["csat_response"]["to"] == "2025-04-28"
        assert read.put("/v1/coverage/nps_response", json={"from": "2025-01"}).status_code == 403
        r = write.put("/v1/coverage/nps_response", json={"from": "2025-01", "to": "2025-02"})
        assert r.status_code == 200 and r.json()["to"] == "2025-02-28" and r.json()["source"] == "user"
        assert write.put("/v1/coverage/nps_response", json={"from": "2025-01", "extra": 1}).status_code == 422
        bad = write.put("/v1/coverage/bogus", json={"from": "2025-01"})
        assert bad.status_code == 422 and "unknown input" in bad.json()["error"]["message"]
        vals = read.get("/v1/kpis/nps/values", params={"period": "month", "from": "2025-02", "to": "2025-03"})
        got = [(x["period"], x["coverage"]) for x in vals.json()]
        assert ("2025-02", "covered") in got and ("2025-03", "not_tracked") in got
        assert all("note" in x for x in vals.json())
        assert write.delete("/v1/coverage/nps_response").json()["source"] == "none"


def test_coverage_is_read_once_per_write(ws: Workspace) -> None:
    cov = ws.kpis.coverage
    data = cov._data()
    assert cov._data() is data  # no write: the spans are not read again
    ws.import_events([{"event_id": "s9", "customer_id": "A", "type": "csat_response",
                       "occurred_at": "2025-06-02", "score": 3}])
    assert cov._data() is not data
    assert cov.info("csat_response").span.end == dt.date(2025, 6, 2)  # the write was seen
