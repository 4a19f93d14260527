"""Every KPI row carries its 95 % interval, standard error and small-sample flag."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from advokit.engine import custom
from advokit.stats import formulas as stats

from .analysis_support import (
    SPECS,
    add_customers,
    add_events,
    catalogue,
    kpi,
    load_worked_example,
    workspace,
)

JAN = dict(period="month", start="2025-01-01", end="2025-01-31")
NEW_COLUMNS = {"ci_low", "ci_high", "std_error", "small_sample"}


@pytest.fixture
def ws(tmp_path):
    w = workspace(tmp_path / "w.duckdb")
    load_worked_example(w)
    yield w
    w.close()


def _rows(ws, kpis, **kw):
    return {r["kpi"]: r for r in ws.compute(kpis, **{**JAN, **kw}).to_dicts()}


def test_uncertainty_kinds_derive_from_the_computation():
    kinds = {k.id: k.uncertainty_kind for k in catalogue()}
    assert kinds == {"nps": "nps", "csat": "proportion", "customer_advocacy_score": "mean", "ces": "mean",
                     "advocacy_actions_per_customer": "rate", "active_advocates_rate": "proportion",
                     "referral_participation_rate": "proportion", "referral_conversion_rate": "proportion",
                     "referral_revenue": "none", "customer_churn_rate": "proportion",
                     "customer_retention_rate": "proportion", "contract_renewal_rate": "proportion",
                     "expansion_revenue": "none"}
    declared = kpi("x", **{**SPECS["csat"], "uncertainty": "none"})
    assert declared.uncertainty_kind == "none" and declared.to_dict()["uncertainty"] == "none"


def test_worked_example_values_unchanged_and_intervals_added(ws):
    rows = _rows(ws, list(SPECS))
    nps = rows["nps"]
    assert (nps["value"], nps["n"], nps["promoters"], nps["passives"], nps["detractors"]) == (25.0, 4, 2, 1, 1)
    assert NEW_COLUMNS <= set(nps)
    assert nps["ci_low"] == pytest.approx(25.0 - nps["margin_of_error"]) and nps["ci_high"] == 100.0
    assert nps["std_error"] == pytest.approx(100 * float(stats.nps_se(2, 1, 4)))
    churn = rows["customer_churn_rate"]
    lo, hi = stats.wilson_interval(1, 2)
    assert churn["value"] == 50.0 and churn["ci_low"] == pytest.approx(100 * float(lo))
    assert churn["ci_high"] == pytest.approx(100 * float(hi))
    actions = rows["advocacy_actions_per_customer"]
    lo, hi = stats.rate_interval(4, 3)
    assert actions["ci_low"] == pytest.approx(float(lo)) and actions["ci_high"] == pytest.approx(float(hi))
    # money totals carry no interval, no small-sample flag (expansion_revenue: not tracked, no flag at all)
    assert rows["referral_revenue"]["ci_low"] is None and rows["referral_revenue"]["small_sample"] is False
    assert rows["expansion_revenue"]["ci_low"] is None and rows["expansion_revenue"]["small_sample"] is None
    for k in ("csat", "customer_advocacy_score", "ces", "contract_renewal_rate"):
        if k in rows:  # empty values: empty intervals; n = 0 is no data, not a small sample
            assert rows[k]["value"] is None and rows[k]["ci_low"] is None and rows[k]["small_sample"] is None


def test_interval_by_segment(ws):
    rows = ws.compute("nps", by="segment", **JAN).to_dicts()
    ent = next(r for r in rows if r["segment"] == "Enterprise")
    assert ent["value"] == -100.0 and ent["ci_low"] == ent["ci_high"] == -100.0  # one detractor: variance 0


def _ratings(ws, kind, scores, month=dt.datetime(2025, 1, 15)):
    add_events(ws, [("A", kind, month, float(s), None) for s in scores], prefix=kind)


def test_mean_of_scores_gets_a_t_interval(ws):
    # CAS = 100 × mean / 5 of 5, 4, 4, 3, 5: mean 4.2, s = √0.7, t(4) = 2.776445 → 84 ± 20 × 2.776445 × √0.7/√5
    _ratings(ws, "advocacy_rating", [5, 4, 4, 3, 5])
    cas = _rows(ws, ["customer_advocacy_score"])["customer_advocacy_score"]
    half = 20 * 2.7764451051977987 * math.sqrt(0.7) / math.sqrt(5)
    assert cas["value"] == pytest.approx(84.0)
    assert cas["ci_low"] == pytest.approx(84.0 - half) and cas["ci_high"] == pytest.approx(84.0 + half)
    assert cas["std_error"] == pytest.approx(20 * math.sqrt(0.7) / math.sqrt(5))


def test_mean_total_gets_a_t_interval(ws):
    # CES: mean of 2, 3, 4 = 3, s = 1, t(2) = 4.302653 → 3 ± 4.302653 / √3
    _ratings(ws, "ces_response", [2, 3, 4])
    ces = _rows(ws, ["ces"])["ces"]
    half = 4.302652729749464 / math.sqrt(3)
    assert ces["value"] == pytest.approx(3.0) and ces["n"] == 3
    assert ces["ci_low"] == pytest.approx(3.0 - half) and ces["ci_high"] == pytest.approx(3.0 + half)


def test_single_rating_has_no_interval(ws):
    _ratings(ws, "ces_response", [5])
    ces = _rows(ws, ["ces"])["ces"]
    assert ces["value"] == 5.0 and ces["ci_low"] is None and ces["small_sample"] is True


def test_small_sample_flag_at_30(tmp_path):
    w = workspace(tmp_path / "s.duckdb")
    add_customers(w, [("A", "SMB", "EMEA", dt.datetime(2024, 1, 1), None, None)])
    add_events(w, [("A", "nps_response", dt.datetime(2025, 1, 2), 9.0, None)] * 29
               + [("A", "nps_response", dt.datetime(2025, 2, 2), 9.0, None)] * 30)
    rows = {r["period"]: r for r in w.compute("nps", period="month", start="2025-01", end="2025-02").to_dicts()}
    assert rows["2025-01"]["n"] == 29 and rows["2025-01"]["small_sample"] is True
    assert rows["2025-02"]["n"] == 30 and rows["2025-02"]["small_sample"] is False
    w.close()


def test_conversion_above_100_percent_has_no_proportion_interval(ws):
    add_events(ws, [("C", "referral_converted", dt.datetime(2025, 1, 19), None, 10.0)] * 3)
    row = _rows(ws, ["referral_conversion_rate"])["referral_conversion_rate"]
    assert row["value"] == 200.0 and row["ci_low"] is None and row["ci_high"] is None


@custom.register("test_top_box")
def _top_box(params, ctx):  # type: ignore[no-untyped-def]
    e = ctx.events.filter(ctx.events.type == "csat_response")
    e = e.mutate(period_start=e.occurred_at.truncate(ctx.trunc))
    agg = e.group_by("period_start").aggregate(numerator=(e.score >= 4).sum().cast("float64"),
                                               denominator=e.count().cast("float64"))
    return agg.mutate(value=100.0 * agg.numerator / agg.denominator, n=agg.denominator.cast("int64"))


def test_custom_kpi_with_declared_proportion(tmp_path):
    top = kpi("top_box", unit="percent", focus_areas=["customer_sentiment_loyalty"], uncertainty="proportion",
              compute={"kind": "custom", "function": "test_top_box"}, inputs=["csat_response"])
    assert top.uncertainty_kind == "proportion"
    assert kpi("plain", unit="percent", focus_areas=["customer_sentiment_loyalty"],
               compute={"kind": "custom", "function": "test_top_box"}, inputs=["csat_response"]).uncertainty_kind == "none"
    w = workspace(tmp_path / "c.duckdb", catalogue([top]))
    load_worked_example(w)
    _ratings(w, "csat_response", [5, 4, 2, 1])
    row = _rows(w, ["top_box"])["top_box"]
    lo, hi = stats.wilson_interval(2, 4)
    assert row["value"] == 50.0 and row["ci_low"] == pytest.approx(100 * float(lo))
    assert row["ci_high"] == pytest.approx(100 * float(hi)) and row["small_sample"] is True
    w.close()


def test_result_schema_keeps_the_contract_columns_first(ws):
    cols = ws.compute("nps", **JAN).columns
    assert cols[:13] == ["kpi", "period", "period_start", "value", "numerator", "denominator", "n", "coverage", "note",
                         "promoters", "passives", "detractors", "margin_of_error"]
    assert cols[13:] == ["ci_low", "ci_high", "std_error", "small_sample"]


def test_money_ratios_carry_no_interval_by_default():
    share = kpi("referral_revenue_share", unit="percent", focus_areas=["referral_program_impact"],
                compute={"kind": "ratio", "numerator": {"events": ["referral_converted"], "agg": "sum", "field": "amount"},
                         "denominator": {"population": "active", "agg": "sum", "field": "arr"}, "scale": 100})
    assert share.uncertainty_kind == "none"
    retained = kpi("r", **SPECS["customer_retention_rate"])  # a difference of counts is still a proportion
    assert retained.uncertainty_kind == "proportion"
