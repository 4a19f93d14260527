"""An independent, deliberately plain SQL computation of every catalogue KPI.

The twelve core KPIs are written straight from kpi-semantics.md, the others
straight from the ``definition`` of their catalogue entry, with correlated
subqueries (one period × group at a time), sharing no code with the engine,
so that the engine can be checked against it on generated data. Two helper
tables are built first, also without engine code: the stored sentiment label of each
text (as a tone of +1 / 0 / −1) and the fulfilment of each review or testimonial
request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

ACTIONS = ("referral_sent", "review", "testimonial", "case_study", "reference_call", "social_share",
           "community_post", "ugc_post", "speaking")
_ACT = ", ".join(f"'{a}'" for a in ACTIONS)

# Filters: a row of `events e` in the period and group; a customer `c` in the group.
_EV = "e.occurred_at >= p.ps AND e.occurred_at < p.pe AND {grp}"
_POP = {
    "active": "c.signup_at < p.pe AND (c.churned_at IS NULL OR c.churned_at >= p.ps)",
    "start": "c.signup_at < p.ps AND (c.churned_at IS NULL OR c.churned_at >= p.ps)",
    "end": "c.signup_at < p.pe AND (c.churned_at IS NULL OR c.churned_at >= p.pe)",
    "new": "c.signup_at >= p.ps AND c.signup_at < p.pe",
}


def _events(where: str, what: str = "count(*)", grouped: bool = False) -> str:
    grp = "c.seg_ IS NOT DISTINCT FROM g.seg" if grouped else "TRUE"
    join = "JOIN (SELECT customer_id, {dim} AS seg_ FROM customers) c USING (customer_id)" if grouped else ""
    return f"(SELECT {what} FROM events e {join} WHERE {_EV.format(grp=grp)} AND {where})"


def _customers(pop: str, grouped: bool, extra: str = "TRUE") -> str:
    grp = "{dim} IS NOT DISTINCT FROM g.seg" if grouped else "TRUE"
    return f"(SELECT count(*) FROM customers c WHERE {_POP[pop]} AND {grp} AND {extra})"


def _ratio(num: str, den: str, scale: float) -> str:
    return f"CASE WHEN {den} = 0 THEN NULL ELSE {scale} * ({num}) / ({den}) END"


def kpi_sql(kpi: str, grouped: bool) -> str:
    ev = lambda where, what="count(*)": _events(where, what, grouped)  # noqa: E731
    cu = lambda pop, extra="TRUE": _customers(pop, grouped, extra)  # noqa: E731
    if kpi == "nps":
        n = ev("e.type = 'nps_response'")
        pro = ev("e.type = 'nps_response' AND e.score >= 9")
        det = ev("e.type = 'nps_response' AND e.score <= 6")
        return _ratio(f"{pro} - {det}", n, 100.0)
    if kpi == "csat":
        return _ratio(ev("e.type = 'csat_response' AND e.score >= 4"), ev("e.type = 'csat_response'"), 100.0)
    if kpi == "customer_advocacy_score":
        mean = ev("e.type = 'advocacy_rating'", "avg(e.score)")
        return f"100.0 * {mean} / 5"
    if kpi == "advocacy_actions_per_customer":
        return _ratio(ev(f"e.type IN ({_ACT})"), cu("active"), 1.0)
    if kpi == "active_advocates_rate":
        return _ratio(ev(f"e.type IN ({_ACT})", "count(DISTINCT e.customer_id)"), cu("active"), 100.0)
    if kpi == "referral_participation_rate":
        return _ratio(ev("e.type = 'referral_sent'", "count(DISTINCT e.customer_id)"), cu("active"), 100.0)
    if kpi == "referral_conversion_rate":
        return _ratio(ev("e.type = 'referral_converted'"), ev("e.type = 'referral_sent'"), 100.0)
    if kpi == "referral_revenue":
        return f"coalesce({ev(chr(101) + '.type = ' + repr('referral_converted'), 'sum(e.amount)')}, 0)"
    if kpi == "customer_churn_rate":
        churned = cu("start", "c.churned_at >= p.ps AND c.churned_at < p.pe")
        return _ratio(churned, cu("start"), 100.0)
    if kpi == "customer_retention_rate":
        return _ratio(f"{cu('end')} - {cu('new')}", cu("start"), 100.0)
    if kpi == "contract_renewal_rate":
        return _ratio(ev("e.type = 'renewal'"), ev("e.type = 'renewal_due'"), 100.0)
    if kpi == "expansion_revenue":
        return f"coalesce({ev(chr(101) + '.type = ' + repr('expansion'), 'sum(e.amount)')}, 0)"
    if kpi in _NON_CORE:
        return _NON_CORE[kpi](grouped)
    raise KeyError(kpi)


# ------------------------------------------------------------------ the other catalogue KPIs
# Each is written from the ``definition`` of its catalogue entry. ``{dim}`` is the grouping column;
# ``p.ps`` / ``p.pe`` the period, ``p.pps`` the previous period's start, ``g.seg`` the group's value.
DIM = "{dim}"
_SURVEYS = "'nps_response', 'csat_response', 'ces_response', 'advocacy_rating'"
_TEXT_TYPES = ("nps_response", "csat_response", "review", "testimonial", "mention", "community_post")
_REQUEST_KINDS = ("review", "testimonial")  # reviews_and_testimonials_velocity: request kind = fulfilling type


def _grp(grouped: bool) -> str:
    return f"c.{DIM} IS NOT DISTINCT FROM g.seg" if grouped else "TRUE"


def _ev_in(lo: str, hi: str, where: str, what: str, grouped: bool) -> str:
    """An aggregate over the events in [lo, hi) (of the group's customers when grouped)."""
    join = "JOIN customers c ON c.customer_id = e.customer_id" if grouped else ""
    return (f"(SELECT {what} FROM events e {join} WHERE e.occurred_at >= {lo} AND e.occurred_at < {hi} "
            f"AND {_grp(grouped)} AND {where})")


def _cust(grouped: bool, cond: str, what: str = "count(*)") -> str:
    """An aggregate over the group's customers meeting ``cond``."""
    return f"(SELECT {what} FROM customers c WHERE {_grp(grouped)} AND {cond})"


def _has(cond: str) -> str:
    """Customer ``c`` has an event ``x`` meeting ``cond``."""
    return f"EXISTS (SELECT 1 FROM events x WHERE x.customer_id = c.customer_id AND {cond})"


def _prop_true(alias: str, name: str) -> str:
    return f"json_extract_string({alias}.properties, '$.{name}') = 'true'"


def _latest_nps(alias: str = "c") -> str:
    """The score of the customer's latest nps_response in the 12 months before the period end."""
    return (f"(SELECT arg_max(x.score, x.occurred_at) FROM events x WHERE x.customer_id = {alias}.customer_id "
            "AND x.type = 'nps_response' AND x.occurred_at >= p.pe - INTERVAL 12 MONTH AND x.occurred_at < p.pe)")


def _count(types: str):
    return lambda g: _ev_in("p.ps", "p.pe", f"e.type IN ({types})", "count(*)", g)


def _mean(where: str):
    return lambda g: _ev_in("p.ps", "p.pe", where, "avg(e.score)", g)


def _rate(num: str, den: str, scale: float):
    return lambda g: _ratio(_ev_in("p.ps", "p.pe", num, "count(*)", g),
                            _ev_in("p.ps", "p.pe", den, "count(*)", g), scale)


def _amount(kind: str, lo: str, hi: str, g: bool) -> str:
    return f"coalesce({_ev_in(lo, hi, f'e.type = {kind!r}', 'sum(e.amount)', g)}, 0)"


def _community_growth_rate(g: bool) -> str:
    first = ("(SELECT min(x.occurred_at) FROM events x WHERE x.customer_id = c.customer_id "
             "AND x.type = 'community_joined')")
    return _ratio(_cust(g, f"{first} >= p.ps AND {first} < p.pe"), _cust(g, f"{first} < p.ps"), 100.0)


def _expansion_revenue_growth_rate(g: bool) -> str:
    now, before = _amount("expansion", "p.ps", "p.pe", g), _amount("expansion", "p.pps", "p.ps", g)
    return _ratio(f"{now} - {before}", before, 100.0)


def _net_revenue_retention(g: bool) -> str:
    start_arr = _cust(g, _POP["start"], "coalesce(sum(c.arr), 0)")
    lost_arr = _cust(g, f"{_POP['start']} AND c.churned_at < p.pe", "coalesce(sum(c.arr), 0)")
    moved = f"{_amount('expansion', 'p.ps', 'p.pe', g)} - {_amount('contraction', 'p.ps', 'p.pe', g)}"
    return _ratio(f"{start_arr} - {lost_arr} + {moved}", start_arr, 100.0)


def _net_sentiment(g: bool) -> str:
    texts = _ev_in("p.ps", "p.pe", "e.event_id IN (SELECT event_id FROM ref_tone)", "count(*)", g)
    pos = _ev_in("p.ps", "p.pe", "e.event_id IN (SELECT event_id FROM ref_tone WHERE tone > 0)", "count(*)", g)
    neg = _ev_in("p.ps", "p.pe", "e.event_id IN (SELECT event_id FROM ref_tone WHERE tone < 0)", "count(*)", g)
    return _ratio(f"{pos} - {neg}", texts, 100.0)


def _customer_loyalty(g: bool) -> str:
    loyal = f"{_POP['start']} AND {_POP['end']} AND {_latest_nps()} >= 9"
    return _ratio(_cust(g, loyal), _cust(g, _POP["start"]), 100.0)


def _referral_readiness_score(g: bool) -> str:
    signal = _has("x.occurred_at >= p.pe - INTERVAL 12 MONTH AND x.occurred_at < p.pe AND "
                  f"(x.type IN ({_ACT}) OR (x.type = 'qbr' AND {_prop_true('x', 'referral_intent')}))")
    ready = f"{_POP['end']} AND {_latest_nps()} >= 9 AND {signal}"
    return _ratio(_cust(g, ready), _cust(g, _POP["end"]), 100.0)


def _feedback_retention_score(g: bool) -> str:
    base = (f"{_POP['start']} AND "
            + _has(f"x.type IN ({_SURVEYS}) AND x.occurred_at >= p.ps - INTERVAL 12 MONTH AND x.occurred_at < p.ps"))
    return _ratio(_cust(g, f"{base} AND {_POP['end']}"), _cust(g, base), 100.0)


def _advocate_reengagement_rate(g: bool) -> str:
    def acted(lo: str, hi: str) -> str:
        return _has(f"x.type IN ({_ACT}) AND x.occurred_at >= {lo} AND x.occurred_at < {hi}")

    lapsed = (f"{_POP['start']} AND {acted('p.ps - INTERVAL 12 MONTH', 'p.ps - INTERVAL 3 MONTH')} "
              f"AND NOT {acted('p.ps - INTERVAL 3 MONTH', 'p.ps')}")
    return _ratio(_cust(g, f"{lapsed} AND {acted('p.ps', 'p.pe')}"), _cust(g, lapsed), 100.0)


def _activation_to_expansion_rate(g: bool) -> str:
    first = "(SELECT min(x.occurred_at) FROM events x WHERE x.customer_id = c.customer_id AND x.type = 'activation')"
    cohort = f"{first} >= p.ps - INTERVAL 180 DAY AND {first} < p.pe - INTERVAL 180 DAY"
    grew = ("EXISTS (SELECT 1 FROM events y WHERE y.customer_id = c.customer_id AND y.type = 'expansion' "
            f"AND y.occurred_at >= {first} AND y.occurred_at < {first} + INTERVAL 180 DAY)")
    return _ratio(_cust(g, f"{cohort} AND {grew}"), _cust(g, cohort), 100.0)


def _reviews_and_testimonials_velocity(g: bool) -> str:
    join = "JOIN customers c ON c.customer_id = f.customer_id" if g else ""
    return (f"(SELECT avg(f.days) FROM ref_fulfilment f {join} "
            f"WHERE f.fulfilled_at >= p.ps AND f.fulfilled_at < p.pe AND {_grp(g)})")



def _loops(grouped: bool, at: str, what: str, cond: str = "TRUE") -> str:
    """An aggregate over the loops (``ref_loops``) whose ``at`` lies in the period."""
    join = "JOIN customers c ON c.customer_id = l.customer_id" if grouped else ""
    return f"(SELECT {what} FROM ref_loops l {join} WHERE {at} >= p.ps AND {at} < p.pe AND {_grp(grouped)} AND {cond})"


def _open_loops(grouped: bool, what: str) -> str:
    """An aggregate over the loops open at the period's end."""
    join = "JOIN customers c ON c.customer_id = l.customer_id" if grouped else ""
    return (f"(SELECT {what} FROM ref_loops l {join} WHERE l.occurred_at < p.pe "
            f"AND (l.closed_at IS NULL OR l.closed_at >= p.pe) AND {_grp(grouped)})")

_NON_CORE = {
    "advocate_mentions": lambda g: _ev_in(
        "p.ps", "p.pe", f"e.type = 'mention' AND (e.customer_id IS NOT NULL OR {_prop_true('e', 'influencer')})",
        "count(*)", g),
    "average_review_rating": _mean("e.type = 'review' AND e.score IS NOT NULL"),
    "brand_ambassadors_joined": _count("'ambassador_joined'"),
    "case_studies_and_references": _count("'case_study', 'reference_call'"),
    "ces": _mean("e.type = 'ces_response'"),
    "closed_loop_follow_up_rate": lambda g: _ratio(_loops(g, "l.occurred_at", "count(l.closed_at)"),
                                                   _loops(g, "l.occurred_at", "count(*)"), 100.0),
    "closed_loop_in_sla_rate": lambda g: _ratio(_loops(g, "l.due_at", "count(*) FILTER (l.closed_at <= l.due_at)"),
                                                _loops(g, "l.due_at", "count(*)"), 100.0),
    "closed_loop_days_to_close": lambda g: _loops(
        g, "l.closed_at", "median((epoch(l.closed_at) - epoch(l.occurred_at)) / 86400.0)"),
    "closed_loop_open_loops": lambda g: _open_loops(g, "count(*)"),
    "closed_loop_open_age_days": lambda g: _open_loops(g, "avg((epoch(p.pe) - epoch(l.occurred_at)) / 86400.0)"),
    "closed_loop_recovery_rate": lambda g: _ratio(
        _loops(g, "l.closed_at", "count(*) FILTER (l.next_measure > l.measure)", "l.next_measure IS NOT NULL"),
        _loops(g, "l.closed_at", "count(*)", "l.next_measure IS NOT NULL"), 100.0),
    "contract_renewal_rate_cohort": _rate(
        "e.type = 'renewal_due' AND EXISTS (SELECT 1 FROM events r WHERE r.type = 'renewal' "
        "AND r.customer_id = e.customer_id AND r.occurred_at >= e.occurred_at - INTERVAL 30 DAY "
        "AND r.occurred_at <= e.occurred_at + INTERVAL 60 DAY)",
        "e.type = 'renewal_due'", 100.0),
    "community_growth_rate": _community_growth_rate,
    "customer_loyalty": _customer_loyalty,
    "expansion_revenue_growth_rate": _expansion_revenue_growth_rate,
    "feedback_retention_score": _feedback_retention_score,
    "net_revenue_retention": _net_revenue_retention,
    "net_sentiment": _net_sentiment,
    "qbr_referral_intent_rate": _rate(f"e.type = 'qbr' AND {_prop_true('e', 'referral_intent')}", "e.type = 'qbr'",
                                      100.0),
    "referral_account_revenue_contribution": lambda g: _ratio(
        _cust(g, f"{_POP['end']} AND c.referred_by IS NOT NULL", "coalesce(sum(c.arr), 0)"),
        _cust(g, _POP["end"], "coalesce(sum(c.arr), 0)"), 100.0),
    "referral_invitation_rate": lambda g: _ratio(_count("'referral_sent'")(g), _cust(g, _POP["active"]), 1.0),
    "referral_new_customers": _count("'referral_signup'"),
    "referral_pipeline_contribution_rate": lambda g: _ratio(
        _cust(g, f"{_POP['new']} AND c.referred_by IS NOT NULL"), _cust(g, _POP["new"]), 100.0),
    "referral_readiness_score": _referral_readiness_score,
    "reviews_and_testimonials": _count("'review', 'testimonial'"),
    "social_shares": _count("'social_share'"),
    "ugc_posts": _count("'ugc_post'"),
    "advocate_reengagement_rate": _advocate_reengagement_rate,
    "activation_to_expansion_rate": _activation_to_expansion_rate,
    "reviews_and_testimonials_velocity": _reviews_and_testimonials_velocity,
}


def prepare(con: duckdb.DuckDBPyConnection, kpi: str) -> None:
    """Build the helper tables a KPI's reference query reads (temporary, on this connection)."""
    if kpi == "net_sentiment":
        # the labels the model stored (the definition reads them): +1 positive, -1 negative, 0 neutral;
        # texts never scored or not in English count nowhere
        types = ", ".join(f"'{t}'" for t in _TEXT_TYPES)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE ref_tone AS
            SELECT e.event_id, CASE s.label WHEN 'positive' THEN 1 WHEN 'negative' THEN -1 ELSE 0 END AS tone
            FROM events e JOIN text_sentiment s ON s.event_id = e.event_id
            WHERE e.type IN ({types}) AND e.text IS NOT NULL AND trim(e.text) <> ''
              AND s.label IN ('negative', 'neutral', 'positive')""")
    if kpi.startswith("closed_loop_"):
        # the definition's loops: NPS 0-6, CSAT 1-2, review 1-2, a mention labelled negative, by a customer of the
        # workspace; due 2 days after the answer; closed by the first follow_up naming it (ref) at or after it;
        # the measure a next answer must beat: the score, for a mention its sentiment score
        con.execute("""CREATE OR REPLACE TEMP TABLE ref_answers AS
            SELECT e.event_id, e.customer_id, e.type, e.occurred_at, e.score, s.label,
                   CASE WHEN e.type = 'mention' THEN s.score ELSE e.score END AS measure
            FROM events e LEFT JOIN text_sentiment s ON s.event_id = e.event_id
            WHERE e.type IN ('nps_response', 'csat_response', 'review', 'mention')
              AND e.customer_id IN (SELECT customer_id FROM customers)""")
        con.execute("""CREATE OR REPLACE TEMP TABLE ref_loops AS
            WITH l AS (
                SELECT a.*, a.occurred_at + INTERVAL 2 DAY AS due_at,
                       (SELECT min(f.occurred_at) FROM events f WHERE f.type = 'follow_up' AND f.ref = a.event_id
                          AND f.occurred_at >= a.occurred_at) AS closed_at
                FROM ref_answers a
                WHERE (a.type = 'nps_response' AND a.score <= 6) OR (a.type = 'csat_response' AND a.score <= 2)
                   OR (a.type = 'review' AND a.score <= 2) OR (a.type = 'mention' AND a.label = 'negative'))
            SELECT l.*, (SELECT arg_min(n.measure, strftime(n.occurred_at, '%Y-%m-%d %H:%M:%S.%f') || '|' || n.event_id)
                         FROM ref_answers n
                         WHERE n.customer_id = l.customer_id AND n.type = l.type AND n.occurred_at > l.closed_at
                           AND n.measure IS NOT NULL) AS next_measure
            FROM l""")
    if kpi == "reviews_and_testimonials_velocity":
        kinds = ", ".join(f"'{k}'" for k in _REQUEST_KINDS)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE ref_fulfilment AS
            WITH req AS (SELECT event_id, customer_id, occurred_at AS req_at,
                                json_extract_string(properties, '$.kind') AS kind
                         FROM events WHERE type = 'request_sent'),
            done AS (
                SELECT r.customer_id, r.req_at,
                       (SELECT min(e.occurred_at) FROM events e
                        WHERE e.customer_id = r.customer_id AND e.type = r.kind AND e.occurred_at >= r.req_at
                          AND e.occurred_at < r.req_at + INTERVAL 90 DAY
                          AND NOT EXISTS (SELECT 1 FROM req r2 WHERE r2.customer_id = r.customer_id
                                          AND r2.kind = r.kind AND r2.req_at <= e.occurred_at
                                          -- a later request; of two at the same instant only one is fulfilled
                                          AND (r2.req_at > r.req_at
                                               OR (r2.req_at = r.req_at AND r2.event_id > r.event_id))))
                       AS fulfilled_at
                FROM req r WHERE r.kind IN ({kinds}))
            SELECT customer_id, req_at AS requested_at, fulfilled_at,
                   (epoch(fulfilled_at) - epoch(req_at)) / 86400.0 AS days
            FROM done WHERE fulfilled_at IS NOT NULL""")


def _period_label(ps: dt.datetime, grain: str) -> str:
    if grain == "month":
        return ps.strftime("%Y-%m")
    if grain == "quarter":
        return f"{ps.year}-Q{(ps.month - 1) // 3 + 1}"
    return str(ps.year)


def reference(con: duckdb.DuckDBPyConnection, kpi: str, *, grain: str, start: dt.date, end: dt.date,
              dim: str | None = None) -> dict[tuple[str, Any], float | None]:
    """{(period label, group value or None): value} for every period starting in [start, end)."""
    step = {"month": "1 MONTH", "quarter": "3 MONTH", "year": "1 YEAR"}[grain]
    grouped = dim is not None
    prepare(con, kpi)
    expr = kpi_sql(kpi, grouped).replace("{dim}", f'"{dim}"' if dim else "")
    groups = f'(SELECT DISTINCT "{dim}" AS seg FROM customers)' if grouped else "(SELECT NULL AS seg)"
    sql = f"""
        WITH p AS (SELECT ps, ps + INTERVAL {step} AS pe, ps - INTERVAL {step} AS pps
                   FROM generate_series(CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP) - INTERVAL 1 DAY,
                                        INTERVAL {step}) t(ps))
        SELECT p.ps, g.seg, {expr} AS value FROM p, {groups} g"""
    rows = con.execute(sql, [start, end]).fetchall()
    return {(_period_label(ps, grain), seg): (None if v is None else float(v)) for ps, seg, v in rows}
