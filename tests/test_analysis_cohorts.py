"""Cohort retention: a hand-worked case and the Relay Foods tables published by Greg Reda (2015)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from advokit.errors import InvalidArgumentError

from .analysis_support import add_customers, add_events, workspace
from .conftest import shared_path

D = dt.datetime


@pytest.fixture
def ws(tmp_path):
    """Cohort 2025-01: A (ARR 100), B (300, churns 2025-02-15), C (600, churns 2025-03-01 on the boundary);
    cohort 2025-02: D (1000). Data runs to 2025-04-10."""
    w = workspace(tmp_path / "c.duckdb")
    add_customers(w, [("A", "SMB", None, D(2025, 1, 3), None, 100.0),
                      ("B", "SMB", None, D(2025, 1, 20), D(2025, 2, 15), 300.0),
                      ("C", "Enterprise", None, D(2025, 1, 31), D(2025, 3, 1), 600.0),
                      ("D", "Enterprise", None, D(2025, 2, 2), None, 1000.0)])
    add_events(w, [("A", "renewal", D(2025, 1, 5), None, 10.0), ("B", "renewal", D(2025, 1, 25), None, 30.0),
                   ("A", "renewal", D(2025, 3, 5), None, 20.0), ("D", "renewal", D(2025, 4, 10), None, 5.0),
                   ("A", "renewal", D(2024, 12, 1), None, 99.0)])  # before its signup: not counted
    yield w
    w.close()


def _matrix(rows, key="rate"):
    out: dict[str, dict[int, float | None]] = {}
    for r in rows:
        out.setdefault(r["cohort"], {})[r["offset"]] = r[key]
    return out


def test_hand_worked_logo_lifecycle(ws):
    rows = ws.cohorts()
    # Jan cohort A, B, C: all active in Jan and Feb (B churns mid-Feb); in March A and C (C churned at
    # 2025-03-01, the start of March, still counts as active in March: churned_at >= start); in April A only
    assert _matrix(rows, "retained") == {"2025-01": {0: 3, 1: 3, 2: 2, 3: 1}, "2025-02": {0: 1, 1: 1, 2: 1}}
    assert _matrix(rows)["2025-01"][3] == pytest.approx(100 / 3)
    first = rows[0]
    assert (first["cohort_start"], first["size"], first["period"], first["small_sample"]) == \
        ("2025-01-01", 3, "2025-01", True)


def test_hand_worked_revenue_lifecycle(ws):
    m = _matrix(ws.cohorts(basis="revenue"), "retained")
    assert m["2025-01"] == {0: 1000.0, 1: 1000.0, 2: 700.0, 3: 100.0}
    assert _matrix(ws.cohorts(basis="revenue"))["2025-01"][2] == pytest.approx(70.0)


def test_hand_worked_activity(ws):
    logo = _matrix(ws.cohorts(activity=["renewal"]), "retained")
    assert logo == {"2025-01": {0: 2, 1: 0, 2: 1, 3: 0}, "2025-02": {0: 0, 1: 0, 2: 1}}
    revenue = ws.cohorts(activity=["renewal"], basis="revenue")
    assert _matrix(revenue, "retained")["2025-01"] == {0: 40.0, 1: 0.0, 2: 20.0, 3: 0.0}
    assert _matrix(revenue)["2025-01"][2] == pytest.approx(50.0)
    assert _matrix(revenue)["2025-02"][0] is None  # no revenue in its first month: no base


def test_quarter_grain_filters_and_range(ws):
    q = ws.cohorts(grain="quarter")
    assert _matrix(q, "retained") == {"2025-Q1": {0: 4, 1: 2}}
    assert _matrix(ws.cohorts(filters={"segment": "Enterprise"}), "retained") == \
        {"2025-01": {0: 1, 1: 1, 2: 1, 3: 0}, "2025-02": {0: 1, 1: 1, 2: 1}}
    assert {r["cohort"] for r in ws.cohorts(start="2025-02", end="2025-02")} == {"2025-02"}


def test_bad_input(ws):
    with pytest.raises(InvalidArgumentError):
        ws.cohorts(basis="profit")
    with pytest.raises(InvalidArgumentError):
        ws.cohorts(grain="week")
    with pytest.raises(InvalidArgumentError):
        ws.cohorts(activity=["order"])


def test_empty_workspace(tmp_path):
    w = workspace(tmp_path / "e.duckdb")
    assert w.cohorts() == []
    w.close()


def test_relay_foods_published_tables(tmp_path):
    folder = shared_path("data", "cohort-retention-relayfoods")
    with open(folder / "relay_foods_purchases.csv", newline="") as f:
        orders = list(csv.DictReader(f))
    first: dict[str, dt.datetime] = {}
    for o in orders:
        when = dt.datetime.fromisoformat(o["OrderDate"])
        first[o["UserId"]] = min(first.get(o["UserId"], when), when)
    w = workspace(tmp_path / "relay.duckdb")
    # each user is a customer signing up with the first order; each order is a `renewal` event with its charges
    add_customers(w, [(u, None, None, t, None, None) for u, t in first.items()])
    add_events(w, [(o["UserId"], "renewal", dt.datetime.fromisoformat(o["OrderDate"]), None,
                    float(o["TotalCharges"])) for o in orders])
    logo = w.cohorts(activity=["renewal"])
    users = _matrix(logo, "retained")
    rates = _matrix(logo)
    with open(folder / "expected_cohort_totalusers_blog.csv", newline="") as f:
        for row in csv.DictReader(f):
            offset = int(row.pop("CohortPeriod")) - 1
            for cohort, value in row.items():
                if value:
                    assert users[cohort][offset] == int(float(value)), (cohort, offset)
    with open(folder / "expected_user_retention_blog.csv", newline="") as f:
        for row in csv.DictReader(f):
            offset = int(row.pop("CohortPeriod")) - 1
            for cohort, value in row.items():
                if value:
                    assert rates[cohort][offset] / 100 == pytest.approx(float(value), abs=5e-7), (cohort, offset)
    sizes = {r["cohort"]: r["size"] for r in logo}
    assert sizes["2009-01"] == 22 and sizes["2009-11"] == 130 and sizes["2010-03"] == 24
    revenue = _matrix(w.cohorts(activity=["renewal"], basis="revenue"), "retained")["2009-01"]
    assert [round(revenue[i], 3) for i in range(5)] == [1850.255, 1351.065, 1357.360, 1604.500, 1575.625]
    w.close()
