"""Helpers for the analysis tests: a small catalogue of the core KPIs and data loaders.

The analysis must work for any KPI of any catalogue, so its tests build their
own catalogue (the definitions of kpi-semantics.md, plus a mean-of-scores KPI
and a money total) instead of depending on the shipped YAML files.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from advokit import Workspace
from advokit.catalogue import ADVOCACY_ACTION_TYPES, Catalogue
from advokit.catalogue.model import KpiDefinition

CASE = Path(__file__).parent / "cases" / "worked_example"
ANALYSIS_CASES = Path(__file__).parent / "cases" / "analysis"

_ATTRS = {k: f"{k} text" for k in (
    "definition", "business_insights", "measurement_approach", "standard_formula", "trend_analysis",
    "diagnostic_questions", "actionable_tips", "visualization_suggestions", "risk_warnings",
    "tools_and_technologies", "integration_points", "change_impact")}

_EV = lambda types, **kw: {"events": list(types), **kw}  # noqa: E731
_ACTIONS = list(ADVOCACY_ACTION_TYPES)

SPECS: dict[str, dict[str, Any]] = {
    "nps": dict(unit="score", focus_areas=["advocate_identification_engagement", "customer_sentiment_loyalty"],
                compute={"kind": "nps"},
                bands=[{"label": "poor", "max": 0, "rating": "poor"}, {"label": "fair", "min": 0, "max": 30,
                       "rating": "fair"}, {"label": "good", "min": 30, "max": 70, "rating": "good"},
                       {"label": "world class", "min": 70, "rating": "excellent"}],
                benchmarks=[{"value": 40, "industry": "Technology", "source": "test source"}]),
    "csat": dict(unit="percent", focus_areas=["customer_sentiment_loyalty"],
                 compute={"kind": "ratio", "numerator": _EV(["csat_response"], score_min=4),
                          "denominator": _EV(["csat_response"]), "scale": 100}),
    "customer_advocacy_score": dict(
        unit="percent", focus_areas=["advocate_identification_engagement"],
        compute={"kind": "ratio", "numerator": _EV(["advocacy_rating"], agg="sum", field="score"),
                 "denominator": _EV(["advocacy_rating"]), "scale": 20}),
    "ces": dict(unit="score", focus_areas=["customer_sentiment_loyalty"], direction="lower_is_better",
                compute={"kind": "total", "value": _EV(["ces_response"], agg="mean", field="score"),
                         "n": _EV(["ces_response"])}),
    "advocacy_actions_per_customer": dict(
        unit="per_customer", focus_areas=["program_health_reach"],
        compute={"kind": "ratio", "numerator": _EV(_ACTIONS), "denominator": {"population": "active"}}),
    "active_advocates_rate": dict(
        unit="percent", focus_areas=["advocate_identification_engagement"],
        compute={"kind": "ratio", "numerator": _EV(_ACTIONS, agg="customers"),
                 "denominator": {"population": "active"}, "scale": 100}),
    "referral_participation_rate": dict(
        unit="percent", focus_areas=["advocate_identification_engagement", "program_health_reach"],
        compute={"kind": "ratio", "numerator": _EV(["referral_sent"], agg="customers"),
                 "denominator": {"population": "active"}, "scale": 100}),
    "referral_conversion_rate": dict(
        unit="percent", focus_areas=["referral_program_impact"],
        compute={"kind": "ratio", "numerator": _EV(["referral_converted"]),
                 "denominator": _EV(["referral_sent"]), "scale": 100}),
    "referral_revenue": dict(
        unit="money", focus_areas=["referral_program_impact"], small_sample_basis="none",
        compute={"kind": "total", "value": _EV(["referral_converted"], agg="sum", field="amount"),
                 "n": _EV(["referral_converted"])}),
    "customer_churn_rate": dict(
        unit="percent", focus_areas=["retention_expansion"], direction="lower_is_better",
        bands=[{"label": "healthy", "max": 5, "rating": "good"}, {"label": "elevated", "min": 5, "max": 10,
               "rating": "fair"}, {"label": "alarming", "min": 10, "rating": "poor"}],
        compute={"kind": "ratio", "numerator": {"population": "churned"},
                 "denominator": {"population": "active_start"}, "scale": 100}),
    "customer_retention_rate": dict(
        unit="percent", focus_areas=["retention_expansion", "customer_sentiment_loyalty"],
        compute={"kind": "ratio", "numerator": {"minus": [{"population": "active_end"}, {"population": "new"}]},
                 "denominator": {"population": "active_start"}, "scale": 100}),
    "contract_renewal_rate": dict(
        unit="percent", focus_areas=["retention_expansion"],
        compute={"kind": "ratio", "numerator": _EV(["renewal"]), "denominator": _EV(["renewal_due"]), "scale": 100}),
    "expansion_revenue": dict(
        unit="money", focus_areas=["retention_expansion"], small_sample_basis="none",
        compute={"kind": "total", "value": _EV(["expansion"], agg="sum", field="amount"),
                 "n": _EV(["expansion"])}),
}


def kpi(kpi_id: str, **spec: Any) -> KpiDefinition:
    data = {"id": kpi_id, "name": kpi_id.replace("_", " ").title(), "direction": "higher_is_better",
            "funnel_stage": "advocacy_actions", "attributes": _ATTRS, **spec}
    return KpiDefinition.model_validate(data)


def catalogue(extra: Iterable[KpiDefinition] = ()) -> Catalogue:
    return Catalogue([kpi(k, **v) for k, v in SPECS.items()] + list(extra))


def workspace(path: Path, cat: Catalogue | None = None) -> Workspace:
    return Workspace(path, catalogue=cat or catalogue())


def add_customers(ws: Workspace, rows: Sequence[Sequence[Any]]) -> None:
    """Insert (customer_id, segment, region, signup_at, churned_at, arr) rows."""
    cur = ws.db.cursor()
    cur.executemany("INSERT INTO customers (customer_id, segment, region, signup_at, churned_at, arr) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [tuple(r) for r in rows])


def add_events(ws: Workspace, rows: Sequence[Sequence[Any]], *, prefix: str = "e") -> None:
    """Insert (customer_id, type, occurred_at, score, amount) rows."""
    cur = ws.db.cursor()
    start = cur.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
    cur.executemany("INSERT INTO events (event_id, customer_id, type, occurred_at, score, amount) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(f"{prefix}{start + i}", *r) for i, r in enumerate(rows)])


def _ts(text: str) -> dt.datetime | None:
    if not text:
        return None
    text = text.replace("Z", "+00:00")
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def load_worked_example(ws: Workspace) -> None:
    """The worked example of kpi-semantics.md, inserted directly (no importer needed)."""
    with open(CASE / "customers.csv", newline="") as f:
        cust = list(csv.DictReader(f))
    add_customers(ws, [(c["customer_id"], c["segment"] or None, c["region"] or None, _ts(c["signup_at"]),
                        _ts(c["churned_at"]), float(c["arr"]) if c["arr"] else None) for c in cust])
    with open(CASE / "events.csv", newline="") as f:
        ev = list(csv.DictReader(f))
    add_events(ws, [(e["customer_id"] or None, e["type"], _ts(e["occurred_at"]),
                     float(e["score"]) if e["score"] else None, float(e["amount"]) if e["amount"] else None)
                    for e in ev], prefix="w")
