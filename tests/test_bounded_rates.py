"""Hand-worked cases for the two rates that are bounded by 100 % by construction (issue 14):
``closed_loop_follow_up_rate`` (answers linked to their follow-up by ``ref``) and
``contract_renewal_rate_cohort`` (due contracts renewed within [due − 30 d, due + 60 d])."""

from __future__ import annotations

import datetime as dt

import pytest

from advokit import Workspace

CUSTOMERS = [
    {"customer_id": "A", "segment": "SMB", "signup_at": "2024-01-03"},
    {"customer_id": "B", "segment": "Enterprise", "signup_at": "2024-01-10"},
    {"customer_id": "C", "segment": "SMB", "signup_at": "2024-01-20"},
    {"customer_id": "D", "segment": "SMB", "signup_at": "2024-01-05"},
    {"customer_id": "E", "segment": "Enterprise", "signup_at": "2024-01-02"},
]


def ev(eid, cid, type_, at, **kw):
    return {"event_id": eid, "customer_id": cid, "type": type_, "occurred_at": at, **kw}


EVENTS = [
    # detractor answers in January 2025 and their follow-ups
    ev("a1", "A", "nps_response", "2025-01-05", score=3), ev("f1", "A", "follow_up", "2025-01-07", ref="a1"),
    ev("a2", "A", "nps_response", "2025-01-20", score=5),
    ev("f2", "A", "follow_up", "2025-02-03", ref="a2"),     # a later month still closes a2 (January)
    ev("b1", "B", "nps_response", "2025-01-10", score=6),
    ev("f3", "B", "follow_up", "2025-01-11", ref="b1"), ev("f4", "B", "follow_up", "2025-01-12", ref="b1"),  # once
    ev("b2", "B", "nps_response", "2025-01-25", score=2),
    ev("f5", "B", "follow_up", "2025-01-24", ref="b2"),     # before the answer: does not close it
    ev("f6", "B", "follow_up", "2025-01-26", ref="zzz"),    # names no answer
    ev("c1", "C", "nps_response", "2025-01-08", score=9),
    ev("f7", "C", "follow_up", "2025-01-09", ref="c1"),     # a promoter: not an answer that needs one
    # renewals
    ev("d1", "A", "renewal_due", "2025-01-15", amount=100), ev("r1", "A", "renewal", "2025-03-10", amount=100),
    ev("d2", "B", "renewal_due", "2025-01-20", amount=100),
    ev("r2", "B", "renewal", "2024-12-25", amount=100),     # 26 days early: inside
    ev("d3", "C", "renewal_due", "2025-01-31", amount=100),
    ev("r3", "C", "renewal", "2025-04-15", amount=100),     # 74 days late: outside
    ev("d4", "D", "renewal_due", "2025-01-10T00:00:00Z", amount=100),
    ev("r4", "D", "renewal", "2025-03-11T00:00:00Z", amount=100),  # exactly 60 days: inside
    ev("d5", "E", "renewal_due", "2025-01-05", amount=100),  # never renewed
    ev("d6", "A", "renewal_due", "2025-03-01", amount=100),  # March: renewed by r1 (2025-03-10)
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace(tmp_path_factory.mktemp("bounded") / "w.duckdb")
    assert w.import_customers(CUSTOMERS).rejected == 0
    rep = w.import_events(EVENTS)
    assert rep.rejected == 0, rep.errors
    yield w
    w.close()


def _values(ws, kpi, **kw):
    rows = ws.compute(kpi, period="month", start="2025-01", end="2025-04", **kw).to_dicts()
    return {(r["period"], r.get("segment")): (r["value"], r["numerator"], r["denominator"]) for r in rows}


def test_closed_loop_counts_answers_linked_by_ref(ws):
    got = _values(ws, "closed_loop_follow_up_rate")
    # January: detractor answers a1, a2, b1, b2 (4); closed a1, a2 (in February), b1 (twice, counted once) → 3
    assert got[("2025-01", None)] == (75.0, 3.0, 4.0)
    assert got[("2025-02", None)][0] is None and got[("2025-03", None)][0] is None  # no detractor answers
    by = _values(ws, "closed_loop_follow_up_rate", by="segment")
    assert by[("2025-01", "SMB")] == (100.0, 2.0, 2.0)        # a1, a2
    assert by[("2025-01", "Enterprise")] == (50.0, 1.0, 2.0)  # b1 of b1, b2


def test_cohort_renewal_rate_follows_each_due_contract(ws):
    got = _values(ws, "contract_renewal_rate_cohort")
    # January: due d1..d5 (5); renewed d1 (+54 d), d2 (−26 d), d4 (+60 d) → 3; d3 (+74 d) and d5 not
    assert got[("2025-01", None)] == (60.0, 3.0, 5.0)
    assert got[("2025-02", None)][0] is None                  # nothing due
    assert got[("2025-03", None)] == (100.0, 1.0, 1.0)        # d6, renewed by r1
    # the period-count rate reads 200 % in March (r1 and r4 land there, one contract due)
    plain = _values(ws, "contract_renewal_rate")
    assert plain[("2025-03", None)] == (200.0, 2.0, 1.0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from advokit.demo.load import build_demo

    w = Workspace(tmp_path_factory.mktemp("bounded-demo") / "w.duckdb")
    build_demo(w.kpis, w.ingest, customers=400, months=24, seed=5, end_month=dt.date(2025, 6, 1))
    yield w
    w.close()


@pytest.mark.parametrize("kpi", ["closed_loop_follow_up_rate", "contract_renewal_rate_cohort"])
@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_bounded_rates_never_exceed_100_on_the_demo(demo, kpi, grain):
    rows = demo.compute(kpi, period=grain, by="segment").to_dicts()
    values = [r for r in rows if r["value"] is not None]
    assert len(values) >= 10, rows[:3]
    for r in values:
        assert 0 <= r["numerator"] <= r["denominator"], r
        assert 0.0 <= r["value"] <= 100.0, r
