"""Maturity assessment: an empty, a partial and a rich workspace."""

from __future__ import annotations

import datetime as dt

import pytest

from advokit.analysis.maturity import STAGES

from .analysis_support import add_customers, add_events, load_worked_example, workspace

TYPES = ["nps_response", "csat_response", "advocacy_rating", "ces_response", "referral_sent", "review",
         "social_share", "referral_signup", "referral_converted", "renewal_due", "renewal", "expansion",
         "community_joined", "mention", "request_sent", "qbr", "follow_up"]
SCORES = {"nps_response": 9.0, "csat_response": 4.0, "advocacy_rating": 5.0, "ces_response": 2.0}
AMOUNTS = {"referral_converted": 500.0, "renewal_due": 1000.0, "renewal": 1000.0, "expansion": 200.0}


def _rich(ws, *, targets: bool) -> None:
    customers = []
    for i in range(60):
        churn = dt.datetime(2024, 1 + i % 12, 15) if i < 35 else None
        customers.append((f"c{i}", "SMB" if i % 2 else "Enterprise", "EMEA" if i % 3 else "NAM",
                          dt.datetime(2022, 6, 1), churn, 1000.0 + i))
    add_customers(ws, customers)
    events = []
    for m in range(26):
        day = dt.datetime(2023 + (m // 12), m % 12 + 1, 10)
        for j, kind in enumerate(TYPES):
            who = None if kind == "mention" else f"c{35 + (m + j) % 25}"
            events.append((who, kind, day, SCORES.get(kind), AMOUNTS.get(kind)))
    add_events(ws, events)
    if targets:
        ws.set_target("nps", 40, segment="SMB")
        ws.set_target("csat", 80)
        ws.set_target("customer_churn_rate", 5)
        ws.db.cursor().execute("INSERT INTO comments (comment_id, kpi, period, body) "
                               "VALUES ('k1', 'nps', '2024-12', 'Detractors cite onboarding')")


def test_empty_workspace_is_not_yet_foundational(tmp_path):
    ws = workspace(tmp_path / "e.duckdb")
    m = ws.maturity()
    assert m["level"] == 0 and m["stage"] is None and m["next_stage"] == "foundational"
    assert [s["id"] for s in m["stages"]] == [s[0] for s in STAGES]
    assert not any(s["reached"] for s in m["stages"])
    assert any("import your customer list" in step for step in m["next_steps"])
    assert m["evidence"]["customers"] == 0 and m["evidence"]["kpis_in_use"] == []
    ws.close()


def test_worked_example_lacks_history(tmp_path):
    ws = workspace(tmp_path / "w.duckdb")
    load_worked_example(ws)
    m = ws.maturity()
    found = {c["id"]: c for c in m["stages"][0]["criteria"]}
    assert found["customers"]["met"] and found["surveys"]["met"] and found["basic_kpis"]["met"]
    assert not found["regular_reporting"]["met"] and found["regular_reporting"]["evidence"] == "1 months with events"
    assert m["level"] == 0 and len(m["next_steps"]) == 1
    ws.close()


def test_rich_workspace_without_targets_is_emerging(tmp_path):
    ws = workspace(tmp_path / "r.duckdb")
    _rich(ws, targets=False)
    m = ws.maturity()
    assert (m["level"], m["stage"], m["stage_name"], m["next_stage"]) == (2, "emerging", "Emerging", "established")
    unmet = {c["id"] for c in m["stages"][2]["criteria"] if not c["met"]}
    assert unmet == {"targets", "commentary"}
    assert any("advokit target set" in s for s in m["next_steps"])
    ws.close()


def test_rich_workspace_with_targets_and_commentary_is_advanced(tmp_path):
    ws = workspace(tmp_path / "r.duckdb")
    _rich(ws, targets=True)
    m = ws.maturity()
    assert m["level"] == 4 and m["stage"] == "advanced" and m["next_stage"] is None and m["next_steps"] == []
    assert all(c["met"] for s in m["stages"] for c in s["criteria"])
    ev = m["evidence"]
    assert ev["months_with_events"] == 26 and ev["churned_customers"] == 35 and ev["segment_targets"] == 1
    assert len(ev["kpis_in_use"]) == len(ws.catalogue) and set(ev["segment_dimensions"]) == {"segment", "region"}
    ws.close()


@pytest.mark.parametrize("level", [0, 2, 4])
def test_description_follows_the_stage(tmp_path, level):
    ws = workspace(tmp_path / "d.duckdb")
    if level:
        _rich(ws, targets=level == 4)
    m = ws.maturity()
    assert m["level"] == level
    if level:
        assert m["description"] == STAGES[level - 1][2]
    ws.close()
