"""Every core KPI against an independent plain-SQL computation on generated data.

The data is built to hit the edges of kpi-semantics.md: customers signing up
and churning exactly on period boundaries, churn on the signup day, customers
with no events, several answers per customer, empty months, events after
churn, events without a customer, and a null segment.
"""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from advokit import CORE_KPIS, Workspace

from .reference_sql import reference

TYPES = ["nps_response", "csat_response", "advocacy_rating", "referral_sent", "review", "testimonial",
         "case_study", "reference_call", "social_share", "community_post", "ugc_post", "speaking",
         "referral_converted", "renewal_due", "renewal", "expansion", "mention", "qbr"]
SCORES = {"nps_response": (0, 10), "csat_response": (1, 5), "advocacy_rating": (1, 5)}
EMPTY_MONTH = dt.datetime(2024, 7, 1)  # no event falls in July 2024


def _boundary_or_random(rng: random.Random, lo: dt.datetime, days: int) -> dt.datetime:
    if rng.random() < 0.3:  # exactly on a month start, midnight
        month = rng.randrange(days // 30)
        y, m = divmod(lo.month - 1 + month, 12)
        return dt.datetime(lo.year + y, m + 1, 1)
    return lo + dt.timedelta(seconds=rng.randrange(days * 86400))


def build(ws: Workspace, seed: int) -> None:
    rng = random.Random(seed)
    cur = ws.db.cursor()
    ws.db.add_customer_attribute(cur, "tier")
    customers = []
    for i in range(rng.randint(40, 120)):
        signup = _boundary_or_random(rng, dt.datetime(2023, 3, 1), 800)
        churn = None
        r = rng.random()
        if r < 0.05:
            churn = signup  # churned on the signup instant
        elif r < 0.35:
            churn = _boundary_or_random(rng, signup, 400)
        seg = rng.choice(["SMB", "Mid-Market", "Enterprise", None])
        region = rng.choice(["EMEA", "NAM", "APAC"])
        tier = rng.choice(["gold", "silver", None])
        customers.append((f"c{i}", seg, region, tier, signup, churn))
    cur.executemany("INSERT INTO customers (customer_id, segment, region, tier, signup_at, churned_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)", customers)
    events = []
    ids = [c[0] for c in customers]
    silent = set(rng.sample(ids, k=len(ids) // 5))  # customers with no events at all
    active_ids = [c for c in ids if c not in silent]
    for j in range(rng.randint(300, 900)):
        kind = rng.choice(TYPES)
        cid = None if kind == "mention" and rng.random() < 0.7 else rng.choice(active_ids)
        when = _boundary_or_random(rng, dt.datetime(2023, 6, 1), 900)
        if EMPTY_MONTH <= when < dt.datetime(2024, 8, 1):
            when += dt.timedelta(days=31)
        score = float(rng.randint(*SCORES[kind])) if kind in SCORES else None
        amount = round(rng.uniform(0, 5000), 2) if kind in ("referral_converted", "expansion", "renewal_due") else None
        events.append((f"e{j}", cid, kind, when, score, amount))
    # several answers from one customer in one month
    for k in range(5):
        events.append((f"dup{k}", active_ids[0], "nps_response", dt.datetime(2024, 3, 10 + k), float(k * 2), None))
    cur.executemany("INSERT INTO events (event_id, customer_id, type, occurred_at, score, amount) "
                    "VALUES (?, ?, ?, ?, ?, ?)", events)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("grain,start,end", [
    ("month", dt.date(2023, 1, 1), dt.date(2026, 1, 1)),
    ("quarter", dt.date(2023, 1, 1), dt.date(2026, 1, 1)),
    ("year", dt.date(2023, 1, 1), dt.date(2026, 1, 1)),
])
@pytest.mark.parametrize("dim", [None, "segment", "tier"])
def test_core_kpis_match_plain_sql(tmp_path, seed, grain, start, end, dim):
    ws = Workspace(tmp_path / "w.duckdb")
    build(ws, seed)
    result = ws.compute(list(CORE_KPIS), period=grain, by=[dim] if dim else [], start=start, end=end).to_dicts()
    assert result, "the engine returned no rows"
    for kpi in CORE_KPIS:
        want = reference(ws.db.cursor(), kpi, grain=grain, start=start, end=end, dim=dim)
        got = {(r["period"], r.get(dim) if dim else None): r["value"] for r in result if r["kpi"] == kpi}
        assert set(got) == set(want), f"{kpi}: different period × group keys"
        bad = {k: (got[k], want[k]) for k in want if not _close(got[k], want[k])}
        assert not bad, f"{kpi} ({grain}, by {dim}) differs from plain SQL: {dict(list(bad.items())[:5])}"
    ws.close()


def test_empty_month_gives_null_rates_and_zero_sums(tmp_path):
    ws = Workspace(tmp_path / "w.duckdb")
    build(ws, 7)
    rows = {r["kpi"]: r for r in ws.compute(list(CORE_KPIS), period="month", start="2024-07", end="2024-08").to_dicts()}
    assert rows["nps"]["value"] is None and rows["nps"]["n"] == 0
    assert rows["referral_conversion_rate"]["value"] is None
    assert rows["referral_revenue"]["value"] == 0.0
    assert rows["expansion_revenue"]["value"] == 0.0
    assert rows["advocacy_actions_per_customer"]["value"] == 0.0  # customers active, no actions
    ws.close()
