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
from advokit.engine.periods import parse_period_label

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


ACTIONS = ["referral_sent", "review", "testimonial", "case_study", "reference_call", "social_share",
           "community_post", "ugc_post", "speaking"]
#: kpi-semantics.md, "Coverage": the inputs of the twelve core KPIs, written out here independently of the
#: catalogue (an event input is a list of types; a customer field is a str)
INPUTS: dict[str, list[list[str] | str]] = {
    "nps": [["nps_response"]], "csat": [["csat_response"]], "customer_advocacy_score": [["advocacy_rating"]],
    "advocacy_actions_per_customer": [ACTIONS], "active_advocates_rate": [ACTIONS],
    "referral_participation_rate": [["referral_sent"]],
    "referral_conversion_rate": [["referral_sent"], ["referral_converted"]],
    "referral_revenue": [["referral_converted"]], "customer_churn_rate": ["churned_at"],
    "customer_retention_rate": ["churned_at"], "contract_renewal_rate": [["renewal_due"], ["renewal"]],
    "expansion_revenue": [["expansion"]],
}


def covered(cur, kpi: str, start: dt.date, end: dt.date) -> bool:
    """Plain SQL: every input of ``kpi`` has data in the span overlapping [start, end)."""
    for item in INPUTS[kpi]:
        if isinstance(item, str):
            if not cur.execute(f"SELECT count({item}) FROM customers").fetchall()[0][0]:
                return False
            continue
        marks = ", ".join("?" * len(item))
        lo, hi = cur.execute(f"SELECT min(occurred_at), max(occurred_at) FROM events WHERE type IN ({marks})",
                             item).fetchall()[0]
        if lo is None or not (lo.date() < end and hi.date() >= start):
            return False
    return True


def declared_inputs(kpi_id: str) -> list[list[str] | str]:
    """The catalogue's inputs of a KPI (data, like its formula), in the shape of ``INPUTS``."""
    from advokit.catalogue import load_catalogue
    from advokit.coverage import inputs_of

    return [list(i.types) if i.kind == "events" else i.name for i in inputs_of(load_catalogue().get(kpi_id))]


def not_covered(cur, rows, want, dim):
    """Null ``want`` where plain SQL says the KPI is not covered, and check each row's ``coverage``."""
    for r in rows:
        kpi = r["kpi"]
        if kpi not in INPUTS:
            INPUTS[kpi] = declared_inputs(kpi)
        from advokit.catalogue import load_catalogue

        back = load_catalogue().get(kpi).coverage_lookback_months  # a window reaching back before the period
        start = parse_period_label(r["period"]).shift(0).start
        y, m = divmod(start.year * 12 + start.month - 1 - back, 12)
        tracked = covered(cur, kpi, dt.date(y, m + 1, 1), parse_period_label(r["period"]).end)
        assert r["coverage"] == ("covered" if tracked else "not_tracked"), (kpi, r)
        if not tracked:
            want[(r["period"], r.get(dim) if dim else None)] = None


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


GRAINS = ["month", "quarter", "year"]
DIMS = [None, "segment", "tier"]


def latin(seeds: list[int]) -> list[tuple[int, str, str | None]]:
    """Every grain with every dimension once, the seed chosen by a Latin square: each (seed, grain) and
    (seed, dimension) pair is met too, in a third of the runs of the full product (each run is seconds)."""
    return [(seeds[(g + d) % len(seeds)], grain, dim) for g, grain in enumerate(GRAINS) for d, dim in enumerate(DIMS)]


@pytest.mark.parametrize("seed,grain,dim", latin([1, 2, 3]))
def test_core_kpis_match_plain_sql(tmp_path, seed, grain, dim):
    start, end = dt.date(2023, 1, 1), dt.date(2026, 1, 1)
    ws = Workspace(tmp_path / "w.duckdb")
    build(ws, seed)
    result = ws.compute(list(CORE_KPIS), period=grain, by=[dim] if dim else [], start=start, end=end).to_dicts()
    assert result, "the engine returned no rows"
    for kpi in CORE_KPIS:
        want = reference(ws.db.cursor(), kpi, grain=grain, start=start, end=end, dim=dim)
        rows = [r for r in result if r["kpi"] == kpi]
        for r in rows:  # coverage, against plain SQL; a value the workspace cannot support is null
            p_start = dt.date.fromisoformat(r["period_start"])
            p_end = parse_period_label(r["period"]).end
            tracked = covered(ws.db.cursor(), kpi, p_start, p_end)
            assert r["coverage"] == ("covered" if tracked else "not_tracked"), (kpi, r)
            if not tracked:
                want[(r["period"], r.get(dim) if dim else None)] = None
        got = {(r["period"], r.get(dim) if dim else None): r["value"] for r in rows}
        assert set(got) == set(want), f"{kpi}: different period × group keys"
        bad = {k: (got[k], want[k]) for k in want if not _close(got[k], want[k])}
        assert not bad, f"{kpi} ({grain}, by {dim}) differs from plain SQL: {dict(list(bad.items())[:5])}"
    ws.close()


def test_empty_month_gives_null_rates_and_zero_sums(tmp_path):
    ws = Workspace(tmp_path / "w.duckdb")
    build(ws, 7)
    rows = {r["kpi"]: r for r in ws.compute(list(CORE_KPIS), period="month", start="2024-07", end="2024-07").to_dicts()}
    assert rows["nps"]["value"] is None and rows["nps"]["n"] == 0
    assert rows["referral_conversion_rate"]["value"] is None
    assert rows["referral_revenue"]["value"] == 0.0
    assert rows["expansion_revenue"]["value"] == 0.0
    assert rows["advocacy_actions_per_customer"]["value"] == 0.0  # customers active, no actions
    ws.close()


MORE_TYPES = ["activation", "expansion", "contraction", "community_joined", "follow_up", "ambassador_joined",
              "referral_signup", "request_sent", "review", "testimonial", "mention", "qbr", "ces_response",
              "nps_response", "social_share", "ugc_post"]
TEXTS = ["great support, fast answers", "slow and expensive", "it works", "love it but buggy", None]


def build_more(ws: Workspace, seed: int) -> None:
    """The core data plus the event types, properties, texts and exact window edges the other KPIs read."""
    import json

    build(ws, seed)
    rng = random.Random(seed * 7919)
    cur = ws.db.cursor()
    ids = [r[0] for r in cur.execute("SELECT customer_id FROM customers ORDER BY customer_id").fetchall()]
    rows = []
    for j in range(rng.randint(400, 700)):
        kind = rng.choice(MORE_TYPES)
        cid = None if kind == "mention" and rng.random() < 0.5 else rng.choice(ids)
        when = _boundary_or_random(rng, dt.datetime(2023, 6, 1), 900)
        score = {"ces_response": float(rng.randint(1, 7)), "nps_response": float(rng.randint(0, 10)),
                 "review": float(rng.randint(1, 5)) if rng.random() < 0.8 else None}.get(kind)
        amount = round(rng.uniform(1, 5000), 2) if kind in ("expansion", "contraction") else None
        props = {"request_sent": {"kind": rng.choice(["review", "testimonial", "case_study"])},
                 "qbr": {"referral_intent": rng.random() < 0.4} if rng.random() < 0.9 else None,
                 "mention": {"influencer": rng.random() < 0.3, "reach": rng.randint(1, 90000)}}.get(kind)
        text = rng.choice(TEXTS) if kind in ("review", "testimonial", "mention", "nps_response") else None
        rows.append((f"m{j}", cid, kind, when, score, amount, text, json.dumps(props) if props else None))
        if kind == "request_sent" and rng.random() < 0.2:  # the same request twice at the same instant
            rows.append((f"m{j}d", cid, kind, when, None, None, None, json.dumps(props)))
        if kind == "request_sent" and rng.random() < 0.6:  # a fulfilment 0 to 100 days later, sometimes exact
            delay = rng.choice([dt.timedelta(0), dt.timedelta(days=90), dt.timedelta(days=90, seconds=-1),
                                dt.timedelta(days=rng.uniform(0, 100))])
            rows.append((f"m{j}f", cid, props["kind"], when + delay, None, None, None, None))
        if kind == "activation" and rng.random() < 0.6:  # an expansion around the 180-day edge
            delay = rng.choice([dt.timedelta(days=180), dt.timedelta(days=180, seconds=-1), dt.timedelta(days=-1),
                                dt.timedelta(days=rng.uniform(0, 200))])
            rows.append((f"m{j}x", cid, "expansion", when + delay, None, 100.0, None, None))
    cur.executemany("INSERT INTO events (event_id, customer_id, type, occurred_at, score, amount, text, properties) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    cur.execute("UPDATE customers SET arr = 1000 + length(customer_id) * 250, "
                "referred_by = CASE WHEN hash(customer_id) % 4 = 0 THEN 'c0' END")


@pytest.mark.parametrize("seed,grain,dim", latin([1, 2]))
def test_other_kpis_match_plain_sql_on_edge_data(tmp_path, seed, grain, dim):
    ws = Workspace(tmp_path / "w.duckdb")
    build_more(ws, seed)
    ids = [k for k in ws.catalogue.ids if k not in CORE_KPIS]
    start, end = dt.date(2023, 1, 1), dt.date(2026, 1, 1)
    result = ws.compute(ids, period=grain, by=[dim] if dim else [], start=start, end=end).to_dicts()
    con = ws.db.cursor()
    problems = {}
    for kpi in ids:
        want = reference(con, kpi, grain=grain, start=start, end=end, dim=dim)
        not_covered(con, [r for r in result if r["kpi"] == kpi], want, dim)
        got = {(r["period"], r.get(dim) if dim else None): r["value"] for r in result if r["kpi"] == kpi}
        if set(got) != set(want):
            problems[kpi] = "different period × group keys"
            continue
        bad = {k: (got[k], want[k]) for k in want if not _close(got[k], want[k])}
        if bad:
            problems[kpi] = dict(list(bad.items())[:3])
    assert not problems, f"({grain}, by {dim}) engine differs from plain SQL: {problems}"
    ws.close()

# ------------------------------------------------------------------ every catalogue KPI on demo data
DEMO_START, DEMO_END = dt.date(2023, 7, 1), dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    """A small generated demo (fixed seed) plus a few edge rows the generator never makes."""
    from advokit.demo.load import build_demo

    ws = Workspace(tmp_path_factory.mktemp("demo_sql") / "w.duckdb")
    build_demo(ws.kpis, ws.ingest, customers=300, months=24, seed=20250, end_month=dt.date(2025, 6, 1))
    ws.import_customers([
        # no segment (its own group); signs up and activates exactly on period starts
        {"customer_id": "X1", "signup_at": "2024-01-01", "arr": 1000, "referred_by": "C0000001"},
        {"customer_id": "X2", "segment": "SMB", "signup_at": "2023-09-01", "churned_at": "2024-10-01", "arr": 500},
    ])
    rep = ws.import_events([
        {"event_id": "x1", "customer_id": "X1", "type": "activation", "occurred_at": "2024-01-01T00:00:00Z"},
        {"event_id": "x2", "customer_id": "X1", "type": "expansion", "occurred_at": "2024-06-29T00:00:00Z",
         "amount": 300},  # 180 days after the activation: outside the window
        {"event_id": "x3", "customer_id": "X1", "type": "review", "occurred_at": "2024-02-01T00:00:00Z", "score": 4,
         "text": "great but slow", "properties": {"platform": "g2"}},
        {"event_id": "x4", "customer_id": "X1", "type": "request_sent", "occurred_at": "2024-06-01T00:00:00Z",
         "properties": {"kind": "review"}},
        {"event_id": "x5", "customer_id": "X1", "type": "request_sent", "occurred_at": "2024-06-10T00:00:00Z",
         "properties": {"kind": "review"}},
        {"event_id": "x6", "customer_id": "X1", "type": "review", "occurred_at": "2024-07-01T00:00:00Z", "score": 5},
        {"event_id": "x7", "customer_id": "X1", "type": "social_share", "occurred_at": "2024-11-01T00:00:00Z"},
        {"event_id": "x8", "type": "mention", "occurred_at": "2024-03-01T00:00:00Z", "text": "love it",
         "properties": {"influencer": True, "reach": 90000}},
        {"event_id": "x9", "customer_id": "X2", "type": "social_share", "occurred_at": "2025-01-15"},  # after churn
        {"event_id": "x10", "customer_id": "X2", "type": "nps_response", "occurred_at": "2024-04-01T00:00:00Z",
         "score": 10},
        {"event_id": "x11", "customer_id": "X1", "type": "qbr", "occurred_at": "2024-04-01T00:00:00Z",
         "properties": {"referral_intent": True}},
    ])
    assert rep.rejected == 0, rep.errors
    yield ws
    ws.close()


@pytest.mark.parametrize("grain", ["month", "quarter"])
@pytest.mark.parametrize("dim", [None, "segment"])
def test_every_catalogue_kpi_matches_plain_sql_on_demo_data(demo_ws, grain, dim):
    ids = demo_ws.catalogue.ids
    result = demo_ws.compute(ids, period=grain, by=[dim] if dim else [], start=DEMO_START, end=DEMO_END).to_dicts()
    con = demo_ws.db.cursor()
    problems = {}
    for kpi in ids:
        want = reference(con, kpi, grain=grain, start=DEMO_START, end=DEMO_END, dim=dim)
        not_covered(con, [r for r in result if r["kpi"] == kpi], want, dim)
        got = {(r["period"], r.get(dim) if dim else None): r["value"] for r in result if r["kpi"] == kpi}
        if set(got) != set(want):
            problems[kpi] = "different period × group keys"
            continue
        assert any(v is not None for v in want.values()), f"{kpi}: no value at all in the demo"
        bad = {k: (got[k], want[k]) for k in want if not _close(got[k], want[k])}
        if bad:
            problems[kpi] = dict(list(bad.items())[:3])
    assert not problems, f"({grain}, by {dim}) engine differs from plain SQL: {problems}"


def test_filters_match_plain_sql_groups_on_demo_data(demo_ws):
    ids = demo_ws.catalogue.ids
    con = demo_ws.db.cursor()
    rows = demo_ws.compute(ids, period="quarter", start=DEMO_START, end=DEMO_END,
                           filters={"segment": "Enterprise"}).to_dicts()
    problems = {}
    for kpi in ids:
        want = reference(con, kpi, grain="quarter", start=DEMO_START, end=DEMO_END, dim="segment")
        not_covered(con, [dict(r, segment="Enterprise") for r in rows if r["kpi"] == kpi], want, "segment")
        got = {r["period"]: r["value"] for r in rows if r["kpi"] == kpi}
        bad = {p: (v, want[(p, "Enterprise")]) for p, v in got.items() if not _close(v, want[(p, "Enterprise")])}
        if bad:
            problems[kpi] = dict(list(bad.items())[:3])
    assert not problems, problems
