"""The hand-worked workspace of the funnel tests (tests/test_funnel.py, tests/test_funnel_api.py).

Customers (signup, segment) and their events; the funnel period is 2025-Q2 = [2025-04-01, 2025-07-01).

P1  Enterprise  NPS 10 (03-01); qbr 04-10, review 04-15, referral_sent 04-20, referral_signup 05-01,
                testimonial 05-20 (after the outcome): every stage
P2  Enterprise  NPS 9 (02-01); referral_sent 04-05, referral_converted 04-25; nothing after: impact
P3  SMB         NPS 9 (03-15); social_share 05-01; N1 (referred_by P3) signs up 06-01; review 06-15; churns
                06-30: impact, not retained (gone at the end)
P4  SMB         NPS 10 (01-10); community_joined 04-02: activated, no action
P5  (none)      NPS 9 (03-20); review 03-25 (before the period); referral_signup 05-05 without an action:
                identified only
T1  Enterprise  no NPS; signup 2022-01-01, social_share 03-31: tier Advocate at 04-01 (score 61.9), nothing
                in Q2: identified by its tier
X1  SMB         NPS 3 (03-01, no follow-up): At risk; review 04-10, referral_converted 05-01: never identified
X2  (none)      nothing at all: At risk (score 18.0), not identified
L1  SMB         signs up 05-01 with NPS 10: not in the population
C1  SMB         churned 2025-03-01: not in the population
N1  SMB         signs up 06-01, referred_by P3: not in the population

Mentions (influencers): @big 50,000 influencer (Q2, positive), 10,000 (Q2, negative), 5,000 influencer (Q1,
positive); P1 2,000 (Q2, positive); @wide 60,000 (Q2, no text); @big naming the brand Rival 1,000,000 and an
anonymous 999,999 are left out.

Requests: P1 asked for a review on 2025-06-02 (29 days before 07-01), P2 for a testimonial on 2025-05-31 (31
days before 07-01), P4 for a "Case Study" (read as case_study) on 2025-01-05.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from advokit import Workspace

CUSTOMERS = [
    # customer_id, segment, signup_at, churned_at, referred_by
    ("P1", "Enterprise", "2024-01-01", "", ""), ("P2", "Enterprise", "2024-01-01", "", ""),
    ("P3", "SMB", "2024-01-01", "2025-06-30", ""), ("P4", "SMB", "2024-01-01", "", ""),
    ("P5", "", "2024-01-01", "", ""), ("T1", "Enterprise", "2022-01-01", "", ""),
    ("X1", "SMB", "2024-01-01", "", ""), ("X2", "", "2024-01-01", "", ""),
    ("L1", "SMB", "2025-05-01", "", ""), ("C1", "SMB", "2023-01-01", "2025-03-01", ""),
    ("N1", "SMB", "2025-06-01", "", "P3"),
]

EVENTS: list[dict[str, Any]] = [
    {"customer_id": "P1", "type": "nps_response", "occurred_at": "2025-03-01", "score": 10},
    {"customer_id": "P1", "type": "qbr", "occurred_at": "2025-04-10"},
    {"customer_id": "P1", "type": "review", "occurred_at": "2025-04-15", "score": 5},
    {"customer_id": "P1", "type": "referral_sent", "occurred_at": "2025-04-20", "ref": "R1"},
    {"customer_id": "P1", "type": "referral_signup", "occurred_at": "2025-05-01", "ref": "R1"},
    {"customer_id": "P1", "type": "testimonial", "occurred_at": "2025-05-20"},
    {"customer_id": "P1", "type": "request_sent", "occurred_at": "2025-06-02", "properties": {"kind": "review"}},
    {"customer_id": "P2", "type": "nps_response", "occurred_at": "2025-02-01", "score": 9},
    {"customer_id": "P2", "type": "referral_sent", "occurred_at": "2025-04-05", "ref": "R2"},
    {"customer_id": "P2", "type": "referral_converted", "occurred_at": "2025-04-25", "amount": 1000, "ref": "R2"},
    {"customer_id": "P2", "type": "request_sent", "occurred_at": "2025-05-31",
     "properties": {"kind": "testimonial"}},
    {"customer_id": "P3", "type": "nps_response", "occurred_at": "2025-03-15", "score": 9},
    {"customer_id": "P3", "type": "social_share", "occurred_at": "2025-05-01"},
    {"customer_id": "P3", "type": "review", "occurred_at": "2025-06-15", "score": 4},
    {"customer_id": "P4", "type": "nps_response", "occurred_at": "2025-01-10", "score": 10},
    {"customer_id": "P4", "type": "community_joined", "occurred_at": "2025-04-02"},
    {"customer_id": "P4", "type": "request_sent", "occurred_at": "2025-01-05", "properties": {"kind": "Case Study"}},
    {"customer_id": "P5", "type": "nps_response", "occurred_at": "2025-03-20", "score": 9},
    {"customer_id": "P5", "type": "review", "occurred_at": "2025-03-25", "score": 5},
    {"customer_id": "P5", "type": "referral_signup", "occurred_at": "2025-05-05", "ref": "R5"},
    {"customer_id": "T1", "type": "social_share", "occurred_at": "2025-03-31"},
    {"customer_id": "X1", "type": "nps_response", "occurred_at": "2025-03-01", "score": 3},
    {"customer_id": "X1", "type": "review", "occurred_at": "2025-04-10", "score": 2},
    {"customer_id": "X1", "type": "referral_converted", "occurred_at": "2025-05-01", "amount": 500, "ref": "RX"},
    {"customer_id": "L1", "type": "nps_response", "occurred_at": "2025-05-10", "score": 10},
    {"customer_id": "L1", "type": "review", "occurred_at": "2025-05-11", "score": 5},
    {"customer_id": "C1", "type": "nps_response", "occurred_at": "2025-01-10", "score": 10},
    # mentions
    {"event_id": "m1", "type": "mention", "occurred_at": "2025-05-01", "text": "great tool",
     "properties": {"author": "@big", "reach": 50000, "influencer": True}},
    {"event_id": "m2", "type": "mention", "occurred_at": "2025-05-10", "text": "slow today",
     "properties": {"author": "@big", "reach": 10000, "influencer": False}},
    {"event_id": "m3", "customer_id": "P1", "type": "mention", "occurred_at": "2025-04-15", "text": "we like it",
     "properties": {"reach": 2000}},
    {"event_id": "m4", "type": "mention", "occurred_at": "2025-06-01", "properties": {"author": "@wide", "reach": 60000}},
    {"event_id": "m5", "type": "mention", "occurred_at": "2025-05-02", "text": "rival is ok",
     "properties": {"author": "@big", "reach": 1000000, "brand": "Rival"}},
    {"event_id": "m6", "type": "mention", "occurred_at": "2025-05-03", "text": "anon", "properties": {"reach": 999999}},
    {"event_id": "m7", "type": "mention", "occurred_at": "2025-01-20", "text": "still great",
     "properties": {"author": "@big", "reach": 5000, "influencer": "true"}},
]
LABELS = {"m1": "positive", "m2": "negative", "m3": "positive", "m5": "positive", "m6": "negative", "m7": "positive"}
COLUMNS = ["event_id", "customer_id", "type", "occurred_at", "score", "amount", "text", "channel", "ref", "properties"]


def _events_csv() -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(COLUMNS)
    for i, e in enumerate(EVENTS):
        row = {"event_id": f"e{i}", **e}
        if "properties" in row:
            row["properties"] = json.dumps(row["properties"])
        w.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue()


def build(path: Path) -> Path:
    """The workspace at ``path/w.duckdb``, the mentions' sentiment labels set by hand."""
    path.mkdir(parents=True, exist_ok=True)
    lines = ["customer_id,name,segment,signup_at,churned_at,referred_by"]
    lines += [f"{c},{c} Ltd,{s},{su},{ch},{ref}" for c, s, su, ch, ref in CUSTOMERS]
    (path / "c.csv").write_text("\n".join(lines) + "\n")
    (path / "e.csv").write_text(_events_csv())
    with Workspace(path / "w.duckdb") as ws:
        ws.import_customers(path / "c.csv", strict=True)
        ws.import_events(path / "e.csv", strict=True)
        with ws.db.transaction() as cur:
            cur.execute("DELETE FROM text_sentiment")
            for eid, label in LABELS.items():
                cur.execute("INSERT INTO text_sentiment (event_id, label, score, confidence, language, model, "
                            "scored_at) VALUES (?, ?, 0.5, 0.9, 'en', 'hand', TIMESTAMP '2025-07-01')", [eid, label])
    return path / "w.duckdb"
