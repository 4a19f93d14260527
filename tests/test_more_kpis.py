"""Hand-worked cases for the catalogue's KPIs beyond the twelve core ones.

Customers (January 2025): A signup 2024-11-03 SMB arr 12,000; B signup 2025-01-10 SMB arr 3,000 referred by A;
C signup 2024-06-01 churned 2025-01-20 Enterprise arr 90,000; D signup 2024-12-01 Enterprise arr 50,000
referred by C. In January: active A, B, C, D (4); at the start A, C, D (3); new B (1); at the end A, B, D (3);
churned C (1).
"""

from __future__ import annotations

import math

import pytest

from advokit import Workspace

CUSTOMERS = [
    {"customer_id": "A", "segment": "SMB", "signup_at": "2024-11-03", "arr": 12000},
    {"customer_id": "B", "segment": "SMB", "signup_at": "2025-01-10", "arr": 3000, "referred_by": "A"},
    {"customer_id": "C", "segment": "Enterprise", "signup_at": "2024-06-01", "churned_at": "2025-01-20", "arr": 90000},
    {"customer_id": "D", "segment": "Enterprise", "signup_at": "2024-12-01", "arr": 50000, "referred_by": "C"},
]


def ev(cid, type_, day, **kw):
    return {"customer_id": cid, "type": type_, "occurred_at": day, **kw}


EVENTS = [
    # before January
    ev("A", "expansion", "2024-12-15", amount=2500),
    ev("A", "community_joined", "2024-12-05"),
    ev("A", "nps_response", "2024-12-10", score=8),
    ev("C", "nps_response", "2024-10-01", score=3),
    # January
    ev("A", "ces_response", "2025-01-03", score=2), ev("B", "ces_response", "2025-01-12", score=4),
    ev("A", "referral_sent", "2025-01-04", ref="R1"), ev("B", "referral_sent", "2025-01-14", ref="R2"),
    ev("B", "referral_sent", "2025-01-15", ref="R3"),
    ev("A", "referral_signup", "2025-01-09", ref="R1"), ev("B", "referral_signup", "2025-01-20", ref="R2"),
    ev("D", "qbr", "2025-01-06", properties={"referral_intent": True}),
    ev("C", "qbr", "2025-01-07", properties={"referral_intent": False}),
    ev("A", "qbr", "2025-01-08"),
    ev("A", "social_share", "2025-01-10"), ev("A", "social_share", "2025-01-11"),
    {"event_id": "m1", "type": "mention", "occurred_at": "2025-01-12", "text": "Outage again, frustrating",
     "properties": {"influencer": True, "reach": 50000}},
    {"event_id": "m2", "type": "mention", "occurred_at": "2025-01-13", "properties": {"influencer": False}},
    ev("A", "mention", "2025-01-14", text="I recommend it"),
    ev("A", "review", "2025-01-15", score=5, text="Love it"), ev("D", "review", "2025-01-16", score=3),
    ev("B", "testimonial", "2025-01-17", text="It does the job"),
    ev("D", "ugc_post", "2025-01-18"), ev("C", "case_study", "2025-01-05"), ev("D", "reference_call", "2025-01-19"),
    ev("D", "expansion", "2025-01-21", amount=5000), ev("A", "contraction", "2025-01-22", amount=1000),
    ev("A", "nps_response", "2025-01-05", score=10, text="Great support, fast answers"),
    ev("C", "nps_response", "2025-01-12", score=3, text="Too expensive; slow onboarding", event_id="n-c1"),
    ev("C", "follow_up", "2025-01-14", ref="n-c1"),
    ev("A", "ambassador_joined", "2025-01-23"),
    ev("D", "community_joined", "2025-01-08"), ev("D", "community_joined", "2025-01-20"),
]

EXPECTED = {
    "ces": 3.0,                                    # (2 + 4) / 2
    "referral_invitation_rate": 0.75,              # 3 referral_sent / 4 active
    "referral_new_customers": 2.0,                 # 2 referral_signup
    "referral_pipeline_contribution_rate": 100.0,  # new: B, referred
    "referral_account_revenue_contribution": 100 * 53000 / 65000,  # end: A 12k, B 3k (ref), D 50k (ref)
    "qbr_referral_intent_rate": 100 / 3,           # 1 of 3 QBRs with intent
    "social_shares": 2.0,
    "advocate_mentions": 2.0,                      # anonymous influencer + A's mention; m2 not
    "reviews_and_testimonials": 3.0,               # 2 reviews + 1 testimonial
    "average_review_rating": 4.0,                  # (5 + 3) / 2
    "ugc_posts": 1.0,
    "case_studies_and_references": 2.0,
    "net_revenue_retention": 100 * (152000 - 90000 + 5000 - 1000) / 152000,  # start A+C+D, C churned
    "closed_loop_follow_up_rate": 100.0,           # C's detractor answer n-c1 got a follow-up (ref n-c1)
    "brand_ambassadors_joined": 1.0,
    "expansion_revenue_growth_rate": 100.0,        # (5000 - 2500) / 2500
    "community_growth_rate": 100.0,                # D first joins / A member at the start
    "net_sentiment": 100 * (3 - 2) / 6,            # + A nps, A review, A mention; − C nps, m1; 0 B testimonial
    "customer_loyalty": 100 / 3,                   # A (start, end, latest NPS 10) of A, C, D
    "referral_readiness_score": 100 / 3,           # A (NPS 10 + actions) of A, B, D at the end
    "feedback_retention_score": 50.0,              # surveyed before: A, C; still active: A
}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = Workspace(tmp_path_factory.mktemp("more") / "w.duckdb")
    assert w.import_customers(CUSTOMERS).rejected == 0
    rep = w.import_events(EVENTS)
    assert rep.rejected == 0, rep.errors
    yield w
    w.close()


@pytest.mark.parametrize("kpi", sorted(EXPECTED))
def test_hand_worked_january(ws, kpi):
    rows = ws.compute(kpi, period="month", start="2025-01", end="2025-01").to_dicts()
    assert len(rows) == 1
    assert math.isclose(rows[0]["value"], EXPECTED[kpi], rel_tol=1e-12), (kpi, rows[0])


def test_segments_split_the_populations(ws):
    rows = {r["segment"]: r for r in ws.compute("net_revenue_retention", period="month", by="segment",
                                                 start="2025-01", end="2025-01").to_dicts()}
    # SMB: start A 12k, contraction 1k -> 11/12; Enterprise: start C 90k + D 50k, C churned, D +5k -> 55/140
    assert math.isclose(rows["SMB"]["value"], 100 * 11000 / 12000)
    assert math.isclose(rows["Enterprise"]["value"], 100 * 55000 / 140000)
    mentions = {r["segment"]: r["value"] for r in ws.compute("advocate_mentions", period="month", by="segment",
                                                             start="2025-01", end="2025-01").to_dicts()}
    assert mentions == {"SMB": 1.0, "Enterprise": 0.0}  # anonymous mentions fall in no segment


def test_empty_previous_period_gives_null_growth(ws):
    rows = ws.compute("expansion_revenue_growth_rate", period="month", start="2024-12", end="2024-12").to_dicts()
    assert rows[0]["value"] is None  # no expansion in November
