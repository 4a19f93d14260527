"""Journey stages (issue 18), worked by hand on tests/cases/journey_{customers,events}.csv as of 2025-07-01
(data strictly before 1 July 2025; "the last 365 days" from 2024-07-01, "the last 90 days" from 2025-04-02).

Precedence: Churn/Retention Risk, Expansion Readiness, Advocacy Activation, Value Realization, Onboarding &
Activation (the first whose rule holds).

O1  signed up 2025-05-01, activated 05-10, nothing else           → Onboarding (61 days a customer)
O2  signed up 2025-06-01, no events                               → Onboarding (no activation, 30 days)
V1  NPS 9 on 06-01 (an NPS 2 on 07-01 is at the cutoff: not yet)  → Value (promoter)
V2  CSAT 4                                                        → Value (satisfied)
V3  QBR 2025-03-01                                                → Value (QBR in 365 days)
V4  QBR 2024-05-01 (before 2024-07-01: too old), renewal 2024-01   → Value (renewal)
D1  review 2024-01-01, NPS 8 (a passive: neither value nor risk)   → Advocacy
X1  expansions 01-01 and 04-01, a social share, NPS 10             → Expansion (over advocacy and value)
X2  expansion 2024-06-01 (too old), NPS 9                          → Value
R1  NPS 3 followed up next day, plus an expansion and a testimonial → Risk (detractor, over expansion)
R2  contraction 2025-05-01 (in 90 days)                           → Risk
R3  contraction 2025-03-01 (too old), NPS 9                        → Value
R4  CSAT 2 never followed up, then NPS 9                           → Risk (open follow-up, over the promoter)
R5  churned 2025-05-01                                             → Risk
L1  signs up on 2025-07-01                                         → not placed
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.errors import InvalidArgumentError
from advokit.journey import JOURNEY, PRECEDENCE, SIGNALS, stage_key

from .cli_support import cli, csv_workspace

CASES = Path(__file__).parent / "cases"
AS_OF = "2025-07-01"
NO_VALUE = "no value signal yet (promoter NPS, satisfied CSAT, QBR, renewal)"
EXPECTED = {
    "D1": ("Advocacy Activation", ["first advocacy action on 2024-01-01 (1 action on record)"]),
    "O1": ("Onboarding & Activation", ["activated on 2025-05-10", NO_VALUE, "customer for 61 days"]),
    "O2": ("Onboarding & Activation", ["no activation on record", NO_VALUE, "customer for 30 days"]),
    "R1": ("Churn/Retention Risk", ["latest NPS 3 on 2025-06-01 (a detractor)"]),
    "R2": ("Churn/Retention Risk", ["contraction on 2025-05-01"]),
    "R3": ("Value Realization", ["latest NPS 9 on 2025-04-01 (a promoter)"]),
    "R4": ("Churn/Retention Risk", ["1 open follow-up"]),
    "R5": ("Churn/Retention Risk", ["churned on 2025-05-01"]),
    "V1": ("Value Realization", ["latest NPS 9 on 2025-06-01 (a promoter)"]),
    "V2": ("Value Realization", ["latest CSAT 4 on 2025-02-01"]),
    "V3": ("Value Realization", ["QBR on 2025-03-01"]),
    "V4": ("Value Realization", ["renewed on 2024-01-15"]),
    "X1": ("Expansion Readiness", ["expansion on 2025-04-01 (2 expansions in 365 days)"]),
    "X2": ("Value Realization", ["latest NPS 9 on 2025-02-01 (a promoter)"]),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("journey")
    ws = csv_workspace(path, (CASES / "journey_customers.csv").read_text(), (CASES / "journey_events.csv").read_text())
    assert (ws.counts()["customers"], ws.counts()["events"]) == (15, 25)
    ws.close()
    return path / "w.duckdb"


@pytest.fixture()
def ws(db: Path):
    w = Workspace(db)
    yield w
    w.close()


def test_each_rule_by_hand(ws: Workspace) -> None:
    rows = ws.journey.list(as_of=AS_OF)
    assert {r["customer_id"]: (r["stage"], r["reasons"]) for r in rows} == EXPECTED  # L1 not placed
    assert [r["customer_id"] for r in rows] == sorted(EXPECTED)
    assert list(rows[0]) == ["customer_id", "stage", "stage_key", "reasons"]


def test_precedence_and_rules_in_one_place(ws: Workspace) -> None:
    assert [s.key for s in PRECEDENCE] == ["churn_risk", "expansion_readiness", "advocacy_activation",
                                           "value_realization", "onboarding"]
    assert [s.name for s in JOURNEY] == ["Onboarding & Activation", "Value Realization", "Advocacy Activation",
                                         "Expansion Readiness", "Churn/Retention Risk"]
    facts = {r["customer_id"]: r for r in ws.journey.compute(as_of=AS_OF)}
    # R1 holds a risk, an expansion and an advocacy signal; risk wins. X1: expansion over advocacy and value.
    assert (facts["R1"]["detractor"], facts["R1"]["expansion"], facts["R1"]["advocacy_action"]) == (True, True, True)
    assert facts["R1"]["stage"] == "churn_risk" and facts["R1"]["open_loops"] == 0  # the follow-up closed it
    assert (facts["X1"]["expansion"], facts["X1"]["advocacy_action"], facts["X1"]["promoter"]) == (True, True, True)
    assert facts["R4"]["promoter"] and facts["R4"]["open_follow_up"] and facts["R4"]["stage"] == "churn_risk"
    stages = {s["key"]: s for s in ws.journey.stages()}
    assert stages["expansion_readiness"]["rule"] == "an expansion in the last 365 days"
    assert stages["onboarding"]["precedence"] == 5 and stages["churn_risk"]["signals"] == [
        "churned", "detractor", "contraction", "open_follow_up"]
    assert {g.name for g in SIGNALS} == {s for st in stages.values() for s in st["signals"]}


def test_counts(ws: Workspace) -> None:
    found = ws.journey.counts(as_of=AS_OF)
    assert found["as_of"] == AS_OF and found["customers"] == 14
    assert [(c["stage_key"], c["customers"]) for c in found["counts"]] == [
        ("onboarding", 2), ("value_realization", 6), ("advocacy_activation", 1), ("expansion_readiness", 1),
        ("churn_risk", 4)]


def test_as_of_later_events_change_nothing(ws: Workspace) -> None:
    # V1's NPS 2 is on 2025-07-01: not before the cutoff. A day later it is the latest answer, a detractor
    # with no follow-up: risk. L1 (signup 07-01) is placed from 07-02 on, in onboarding.
    later = {r["customer_id"]: r for r in ws.journey.list(as_of="2025-07-02")}
    assert later["V1"]["stage"] == "Churn/Retention Risk"
    assert later["V1"]["reasons"] == ["latest NPS 2 on 2025-07-01 (a detractor)", "1 open follow-up"]
    assert later["L1"]["stage"] == "Onboarding & Activation"
    earlier = {r["customer_id"]: r["stage"] for r in ws.journey.list(as_of="2024-06-01")}
    assert "O1" not in earlier and earlier["D1"] == "Advocacy Activation"
    assert earlier["V4"] == "Value Realization" and earlier["R5"] == "Onboarding & Activation"


def test_stage_filter_and_errors(ws: Workspace) -> None:
    assert [r["customer_id"] for r in ws.journey.list(stage="risk", as_of=AS_OF)] == ["R1", "R2", "R4", "R5"]
    assert [r["customer_id"] for r in ws.journey.list(stage="Expansion Readiness", as_of=AS_OF)] == ["X1"]
    assert len(ws.journey.list(stage="value_realization", limit=2, as_of=AS_OF)) == 2
    assert stage_key("churn/retention risk") == stage_key("CHURN") == "churn_risk"
    with pytest.raises(InvalidArgumentError, match="unknown journey stage 'hero'"):
        ws.journey.list(stage="hero")
    with pytest.raises(InvalidArgumentError, match="as_of"):
        ws.journey.list(as_of="July")
    with pytest.raises(InvalidArgumentError, match="limit"):
        ws.journey.list(limit=0)


def test_refresh_stores_the_attribute_and_by_journey_stage_works(ws: Workspace) -> None:
    record = ws.journey.refresh(as_of=AS_OF)
    assert record["as_of"] == AS_OF and record["attribute"] == "journey_stage" and record["customers"] == 14
    assert ws.journey.stored() == record
    stored = dict(ws.db.cursor().execute("SELECT customer_id, journey_stage FROM customers").fetchall())
    assert stored == {**{c: s for c, (s, _) in EXPECTED.items()}, "L1": None}
    assert "journey_stage" in [a.name for a in ws.customers.attributes()]
    # every KPI breaks down by it: the NPS answers of 2025 per stage, against a plain query
    rows = ws.compute(["nps"], period="year", by=["journey_stage"], start="2025", end="2025").to_dicts()
    got = {r["journey_stage"]: (r["n"], r["promoters"], r["detractors"]) for r in rows if r["n"]}
    plain = ws.db.cursor().execute("""
        SELECT c.journey_stage, count(*), count(*) FILTER (WHERE e.score >= 9), count(*) FILTER (WHERE e.score <= 6)
        FROM events e JOIN customers c USING (customer_id)
        WHERE e.type = 'nps_response' AND year(e.occurred_at) = 2025 GROUP BY 1""").fetchall()
    assert got == {s: (n, p, d) for s, n, p, d in plain}
    assert got["Churn/Retention Risk"] == (3, 2, 1)  # R1 3, R4 9, R5 10
    # a later refresh replaces the values and the record
    later = ws.journey.refresh(as_of="2025-07-02")
    assert ws.journey.stored()["as_of"] == "2025-07-02" and later["customers"] == 15
    assert ws.db.cursor().execute("SELECT journey_stage FROM customers WHERE customer_id = 'V1'").fetchall() == [
        ("Churn/Retention Risk",)]


def test_cli(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--db", str(db), "journey", "refresh", "--as-of", AS_OF, "--format", "json")
    assert code == 0 and json.loads(out)["as_of"] == AS_OF
    code, out, _ = cli(capsys, "--db", str(db), "journey", "list", "--stage", "expansion", "--as-of", AS_OF,
                       "--format", "json")
    assert code == 0 and json.loads(out) == [{"customer_id": "X1", "stage": "Expansion Readiness",
                                              "stage_key": "expansion_readiness",
                                              "reasons": EXPECTED["X1"][1]}]
    code, out, _ = cli(capsys, "--db", str(db), "journey", "counts", "--as-of", AS_OF, "--format", "json")
    assert code == 0 and json.loads(out)["counts"][1] == {"stage": "Value Realization",
                                                          "stage_key": "value_realization", "customers": 6}
    code, out, _ = cli(capsys, "--db", str(db), "kpi", "compute", "nps", "--period", "year", "--by", "journey_stage",
                       "--format", "json")
    assert code == 0 and {r["journey_stage"] for r in json.loads(out)} >= {"Value Realization", "Churn/Retention Risk"}
    code, _, err = cli(capsys, "--db", str(db), "journey", "list", "--stage", "hero")
    assert code == 2 and err.startswith("error: unknown journey stage 'hero'")
    code, out, _ = cli(capsys, "--db", str(db), "journey", "stages")
    assert code == 0 and "Churn/Retention Risk" in out


def test_overview_is_counts_and_rows(ws: Workspace) -> None:
    found = ws.journey.overview(stage="value", limit=3, as_of=AS_OF)
    assert {k: v for k, v in found.items() if k != "rows"} == ws.journey.counts(as_of=AS_OF)
    assert [r["customer_id"] for r in found["rows"]] == ["R3", "V1", "V2"]
