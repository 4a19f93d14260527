"""An independent, deliberately plain SQL computation of the twelve core KPIs.

Written straight from kpi-semantics.md with correlated subqueries (one
period × group at a time), sharing no code with the engine, so that the
engine can be checked against it on generated data.
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
    raise KeyError(kpi)


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
    expr = kpi_sql(kpi, grouped).replace("{dim}", f'"{dim}"' if dim else "")
    groups = f'(SELECT DISTINCT "{dim}" AS seg FROM customers)' if grouped else "(SELECT NULL AS seg)"
    sql = f"""
        WITH p AS (SELECT ps, ps + INTERVAL {step} AS pe
                   FROM generate_series(CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP) - INTERVAL 1 DAY,
                                        INTERVAL {step}) t(ps))
        SELECT p.ps, g.seg, {expr} AS value FROM p, {groups} g"""
    rows = con.execute(sql, [start, end]).fetchall()
    return {(_period_label(ps, grain), seg): (None if v is None else float(v)) for ps, seg, v in rows}
