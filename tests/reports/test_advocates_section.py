"""The report's "new advocates" (Wins) and "newly at risk" (Risks) on a hand-worked case, June 2025.

The case of tests/test_advocates.py (its docstring works out A, B and C as of 2025-07-01) with two more
customers: G (SMB, signup 2023-01-01, no arr) with a community_joined on 06-10, a qbr on 06-20 and a
testimonial on 06-30; H (Enterprise, signs up 2025-06-05, no arr) with a contraction of 1,000 on 06-20.
Default weights; as of 2025-06-01 (the period's start: data before June) and 2025-07-01 (its end).

As of 06-01 (sub-scores as in tests/test_advocates.py, the features read before June):
A: NPS 8 (one answer: no trend), CSAT 5, no scored text yet (left out), 2 actions (02-01, 04-01: 61 days),
   1 engagement (05-15), tenure 335 days, top revenue, expansion +5,000, no loop; Σw = .85.
   .2×.8 + .1×1 + .15×(1 − 61/365) + .1×ln 3/ln 11 + .1×ln 2/ln 6 + .05×335/730 + .05 + .05 + .05 = .642378
   → 75.6 Advocate.
B: NPS 9, CSAT 4, no text, no action, no engagement in 90 days, tenure 151 days, lowest revenue, no revenue
   event (expansion left out), no loop (b_n2 comes on 06-01); Σw = .8.
   .2×.9 + .1×.75 + .05×151/730 + .05 = .315342 → 39.4 Passive.
C: 141 days since its share, 1 action, 1 engagement, tenure 701 days, revenue mid-rank .5, expansion 0;
   Σw = .55: (.15×.613699 + .1×.289065 + .1×.386853 + .05×.960274 + .025 + .025 + .05) / .55 → 55.9 Potential.
G: no action, no engagement, tenure ≥ 730 days (1), no loop; Σw = .45 (no NPS, CSAT, text, revenue, revenue
   event): (.05 + .05) / .45 → 22.2 Passive.  H: not a customer yet.
As of 07-01: A 87.0 Champion, C 54.0 Potential, B 16.3 At risk (tests/test_advocates.py);
G: 1 action 1 day ago, 1 in 365 days, 2 engagement events: (.15×(1 − 1/365) + .1×ln 2/ln 11 + .1×ln 3/ln 6
   + .05 + .05) / .45 = .755135 → 75.5 Advocate;
H: tenure 26 days, a contraction (expansion −1,000 → 0, and a risk signal), no revenue (no arr, no renewal);
   Σw = .5: (.05×26/730 + .05) / .5 → 10.4 At risk.
So: new advocates G (was Passive; A was already an Advocate); newly at risk H (not scored at the start) and
B (was Passive), lowest score first. Among SMB customers (B, C, G): G; B.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.advocates.summary import movements, tier_distribution
from advokit.catalogue import Catalogue, load_catalogue
from advokit.reports import Report, build_report, layout
from advokit.reports.model import AdvocateMove

from ..cli_support import csv_workspace, store_labels
from ..test_advocates import CASES, LABELS

CUSTOMERS = "G,Gale,SMB,2023-01-01,,\nH,Harbour,Enterprise,2025-06-05,,\n"
EVENTS = ("g_t,G,testimonial,2025-06-30,,,,\ng_cj,G,community_joined,2025-06-10,,,,\ng_q,G,qbr,2025-06-20,,,,\n"
          "h_x,H,contraction,2025-06-20,,1000,,\n")


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("advocates-report")
    ws = csv_workspace(path, (CASES / "advocates_customers.csv").read_text() + CUSTOMERS,
                       (CASES / "advocates_events.csv").read_text() + EVENTS)
    store_labels(ws, LABELS)
    ws.close()
    # one KPI: the report reads every KPI of its catalogue, a small one keeps it quick
    w = Workspace(path / "w.duckdb", catalogue=Catalogue([k for k in load_catalogue() if k.id == "nps"]))
    yield w
    w.close()


@pytest.fixture(scope="module")
def june(case: Workspace) -> Report:
    return build_report(case, "2025-06", generated_at=dt.datetime(2025, 7, 2, 9, 0))


def test_the_scores_at_both_ends_by_hand(case: Workspace) -> None:
    start = [(r["customer_id"], r["score"], r["tier"]) for r in case.advocates.list(as_of="2025-06-01")]
    assert start == [("A", 75.6, "Advocate"), ("C", 55.9, "Potential"), ("B", 39.4, "Passive"),
                     ("G", 22.2, "Passive")]
    end = [(r["customer_id"], r["score"], r["tier"]) for r in case.advocates.list(as_of="2025-07-01")]
    assert end == [("A", 87.0, "Champion"), ("G", 75.5, "Advocate"), ("C", 54.0, "Potential"),
                   ("B", 16.3, "At risk"), ("H", 10.4, "At risk")]


def test_new_advocates_and_newly_at_risk(june: Report) -> None:
    a = june.advocates
    assert a is not None and (a.start, a.end, a.scored_start, a.scored_end) == ("2025-06-01", "2025-07-01", 4, 5)
    assert (a.new_advocates, a.new_at_risk) == (1, 2)
    assert a.advocate_examples == [AdvocateMove("G", 75.5, "Advocate", "Passive", "last advocacy action 1 day ago")]
    assert a.at_risk_examples == [
        AdvocateMove("H", 10.4, "At risk", None, "at risk: 1 contraction in the last 90 days"),
        AdvocateMove("B", 16.3, "At risk", "Passive", "at risk: NPS 4 with 1 open follow-up")]
    assert layout.new_advocates_line(june) == (
        "1 customer is Champion or Advocate at the end of June 2025 and was not at its start: "
        "G (Advocate, score 75.5; was Passive).")
    assert layout.new_at_risk_line(june) == (
        "2 customers are At risk at the end of June 2025 and were not at its start: H (score 10.4; not scored at "
        "the start; at risk: 1 contraction in the last 90 days), B (score 16.3; was Passive; at risk: NPS 4 with "
        "1 open follow-up).")


def test_every_format_says_it_in_wins_and_risks(june: Report) -> None:
    md = june.render("md").decode("utf-8")
    wins, risks = md.index("## Wins & Opportunities"), md.index("## Risks & Action Plans")
    nxt = md.index("## Next Steps")
    assert wins < md.index("**New advocates:** 1 customer is Champion or Advocate") < risks
    assert risks < md.index("**Newly at risk:** 2 customers are At risk") < nxt
    html = june.render("html").decode("utf-8")
    assert "<strong>New advocates:</strong> 1 customer is Champion" in html
    assert "<strong>Newly at risk:</strong> 2 customers are At risk" in html
    assert june.render("pdf").startswith(b"%PDF")
    # no personal name or e-mail of a customer: ids only
    assert "Gale" not in md and "Harbour" not in md and "Borealis" not in md


def test_a_segment_report_counts_its_customers_only(case: Workspace) -> None:
    smb = build_report(case, "2025-06", filters={"segment": "SMB"}, generated_at=dt.datetime(2025, 7, 2))
    a = smb.advocates
    assert a is not None and (a.scored_start, a.scored_end, a.new_advocates, a.new_at_risk) == (3, 3, 1, 1)
    assert [m.customer_id for m in a.at_risk_examples] == ["B"]


def test_no_new_advocate_is_said_in_words(case: Workspace) -> None:
    # Enterprise: A was an Advocate at the start already (now Champion), H is new and at risk
    ent = build_report(case, "2025-06", filters={"segment": "Enterprise"}, generated_at=dt.datetime(2025, 7, 2))
    assert ent.advocates is not None and (ent.advocates.new_advocates, ent.advocates.new_at_risk) == (0, 1)
    assert layout.new_advocates_line(ent) == "No customer became a Champion or Advocate over June 2025."
    assert "**New advocates:** No customer became a Champion or Advocate over June 2025." in ent.render("md").decode()


def test_movements_and_distribution_rules() -> None:
    def row(cid: str, score: float | None, tier: str | None) -> dict[str, object]:
        return {"customer_id": cid, "score": score, "tier": tier, "reasons": [f"{cid} reason"]}

    before = [row("a", 85, "Champion"), row("b", 70, "Advocate"), row("c", 50, "Potential"), row("d", 30, "Passive"),
              row("e", 10, "At risk")]
    after = [row("c", 82, "Champion"), row("a", 81, "Champion"), row("f", 61, "Advocate"), row("b", 45, "Potential"),
             row("d", 15, "At risk"), row("e", 5, "At risk"), row("g", 3, "At risk"), row("h", None, None)]
    moved = movements(before, after, examples=2)
    # Advocate → Champion (a stays within the advocate tiers) is no new advocate; f is new to the workspace
    assert moved["new_advocates"] == {"count": 2, "examples": [
        {"customer_id": "c", "score": 82, "tier": "Champion", "tier_before": "Potential", "reason": "c reason"},
        {"customer_id": "f", "score": 61, "tier": "Advocate", "tier_before": None, "reason": "f reason"}]}
    # e was already at risk; lowest score first
    assert moved["new_at_risk"]["count"] == 2
    assert [e["customer_id"] for e in moved["new_at_risk"]["examples"]] == ["g", "d"]
    dist = tier_distribution(after)
    assert dist["customers"] == 8
    assert [(t["tier"], t["customers"]) for t in dist["tiers"]] == [
        ("Champion", 2), ("Advocate", 1), ("Potential", 1), ("Passive", 0), ("At risk", 3), ("No score", 1)]
    assert dist["tiers"][0]["share"] == 0.25
    assert tier_distribution([]) == {"customers": 0, "tiers": [
        {"tier": t, "key": k, "customers": 0, "share": None}
        for t, k in (("Champion", "champion"), ("Advocate", "advocate"), ("Potential", "potential"),
                     ("Passive", "passive"), ("At risk", "at_risk"))]}


def test_scores_are_computed_once_per_data_revision(case: Workspace, tmp_path: Path) -> None:
    first = case.advocates.scores(as_of="2025-07-01")
    again = case.advocates.scores(as_of="2025-07-01")
    assert again == first and again[0] is not first[0]  # the same answer, each caller its own rows
    before = case.db.writes
    case.settings.set("advocates.tiers.champion", "90")  # a write: the revision moves, the scores follow it
    try:
        assert case.db.writes > before
        assert case.advocates.scores(as_of="2025-07-01")[0]["tier"] == "Advocate"  # A's 87.0 is below 90
    finally:
        case.settings.unset("advocates.tiers.champion")
    assert case.advocates.scores(as_of="2025-07-01")[0]["tier"] == "Champion"
