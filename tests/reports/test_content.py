"""The report's content: sections, numbers that agree with the analysis, wins, risks, owners, next steps."""

from __future__ import annotations

import datetime as dt

import pytest

from advokit import Workspace
from advokit.errors import InputError, InvalidArgumentError, UnknownDimensionError
from advokit.reports import SECTIONS, Report
from advokit.stats import formulas as stats
from advokit.reports import build_report

from .conftest import DUE, GENERATED, PERIOD


def test_six_sections_titled_exactly() -> None:
    assert SECTIONS == ("Executive Summary", "Key Metrics & Trends", "Customer Stories & Qualitative Insights",
                        "Wins & Opportunities", "Risks & Action Plans", "Next Steps & Requests for Support")


def test_monthly_metrics_are_the_analysis_numbers(demo: Workspace, monthly: Report) -> None:
    rows = {r["kpi"]: r for r in demo.analyze(demo.catalogue.ids, period="month", start=PERIOD, end="2025-11")
            if r["period"] == PERIOD}
    assert monthly.period == PERIOD and monthly.kind == "monthly" and monthly.grain == "month"
    for m in monthly.metrics:
        r = rows[m.kpi]
        for mine, theirs in ((m.value, r["value"]), (m.change, r["change"]), (m.p_value, r["change_p_value"])):
            assert (mine is None and theirs is None) or mine == pytest.approx(theirs, rel=1e-9, abs=1e-12)
        assert m.significant == bool(r["change_significant"])
        assert m.band == (r["band"] or {}).get("label") and m.status == r["status"]
        assert m.history[-1].label == PERIOD and m.history[-1].value == m.value
        assert len(m.history) == 12 and m.history[0].label == "2024-12"


def test_targets_and_their_status(monthly: Report) -> None:
    nps, csat, churn = (monthly.metric(k) for k in ("nps", "csat", "customer_churn_rate"))
    assert nps.target == 20 and nps.target_status == ("met" if nps.value >= 20 else "missed")
    assert csat.target == 95 and csat.target_status == "missed"
    assert churn.target == 1.0 and churn.target_status == ("met" if churn.value <= 1.0 else "missed")
    assert all(p.target == 95 for p in csat.history if p.value is not None)


def test_wins_are_improvements_targets_met_or_top_bands(monthly: Report) -> None:
    wins = {w.kpi for w in monthly.wins}
    heads = {m.kpi for m in monthly.headline}
    for m in monthly.metrics:
        top_band = (m.band_rating == "excellent" or (m.band_rating == "good" and m.kpi in heads)) \
            and not m.worsened and m.target_status != "missed"
        assert (m.kpi in wins) == (m.improved or m.target_status == "met" or top_band), m.kpi
    for w in monthly.wins:
        assert w.reasons and w.summary.endswith(".") and "p =" not in w.summary and "p <" not in w.summary
    nps = next(w for w in monthly.wins if w.kpi == "nps")  # met its target of 20
    assert nps.summary.startswith("Met its target of 20.0") or "met its target of 20.0" in nps.summary
    assert [w.kpi for w in monthly.body_wins] == [w.kpi for w in monthly.wins][:5]


def test_risks_carry_catalogue_guidance_and_owner(demo: Workspace, monthly: Report) -> None:
    risky = {m.kpi for m in monthly.metrics if m.worsened or m.target_status == "missed" or m.band_rating == "poor"}
    assert {r.kpi for r in monthly.risks} == risky and risky
    assert "csat" in risky
    for r in monthly.risks:
        kpi = demo.kpi(r.kpi)
        tips = kpi.attributes.actionable_tips
        warnings = kpi.attributes.risk_warnings
        assert r.tips == ([tips] if isinstance(tips, str) else list(tips))
        assert r.warnings == ([warnings] if isinstance(warnings, str) else list(warnings))
        assert r.reasons
    owners = {r.kpi: r.owner for r in monthly.risks}
    assert owners["csat"] == "Dana (CS)"
    if "customer_churn_rate" in owners:  # an owner named in an earlier month carries over
        assert owners["customer_churn_rate"] == "Retention squad"


def test_next_steps_and_requests_come_from_commentary_only(monthly: Report) -> None:
    assert [(s.kpi, s.owner, s.kind, s.due) for s in monthly.next_steps] == [("csat", "Dana (CS)", "action", DUE)]
    assert [(s.kpi, s.text) for s in monthly.requests] == [("nps", "Budget for a detractor call-back programme in Q1.")]


def test_risks_carry_the_teams_action_else_the_catalogue_tip(demo: Workspace, monthly: Report) -> None:
    by_kpi = {r.kpi: r for r in monthly.risks}
    assert by_kpi["csat"].action == "Run a support quality review with the two lowest-scoring teams."
    assert by_kpi["csat"].due == DUE and by_kpi["csat"].owner == "Dana (CS)"
    for r in monthly.risks:
        if r.kpi != "csat":
            assert r.action == r.tips[0]
        assert r.summary.endswith(".") and "p =" not in r.summary
    assert [r.kpi for r in monthly.unowned] == [r.kpi for r in monthly.body_risks if not r.owner]


def test_headline_at_most_eight_with_data(monthly: Report) -> None:
    assert 3 <= len(monthly.headline) <= 8 and monthly.headline_source == "catalogue"
    assert len({m.kpi for m in monthly.headline}) == len(monthly.headline)
    assert all(m.value is not None for m in monthly.headline)


def test_chosen_stories_are_few_distinct_and_tied_to_a_metric(monthly: Report) -> None:
    chosen = monthly.stories.chosen
    assert 1 <= len(chosen) <= 4
    assert len({s.event_id for s in chosen}) == len({s.text.casefold() for s in chosen}) == len(chosen)
    assert len({s.kpi for s in chosen}) == len(chosen)
    for s in chosen:
        m = monthly.metric(s.kpi)  # a KPI of the report
        assert s.kpi_name == m.name and s.why and s.why.startswith(m.name) and s.occurred_at.startswith(PERIOD)
        assert s.voice in ("promoter", "detractor")
        if m.worsened or m.target_status == "missed" or m.band_rating == "poor":
            assert s.voice == "detractor", s


def test_stories_promoters_and_detractors(monthly: Report) -> None:
    s = monthly.stories
    assert s.total == s.promoter_count + s.passive_count + s.detractor_count > 0
    assert s.promoters and s.detractors
    assert all(x.voice == "promoter" for x in s.promoters) and all(x.voice == "detractor" for x in s.detractors)
    assert all(x.occurred_at.startswith(PERIOD) for x in s.promoters + s.detractors + s.highlights)
    assert len({x.text for x in s.promoters}) == len(s.promoters)  # each wording once
    nps_detractors = [x for x in s.detractors if x.type == "nps_response"]
    assert all(x.score is not None and x.score <= 6 for x in nps_detractors)
    # no personal data: customers are described by attributes, never by name or e-mail
    assert not any("@" in x.who or "Ltd" in x.who for x in s.promoters + s.detractors)


def test_segments_that_outperform_are_significant_and_better(monthly: Report) -> None:
    assert monthly.segment_dimension == "segment"
    for g in monthly.segment_wins:
        m = monthly.metric(g.kpi)
        assert g.p_value < stats.ALPHA
        assert (g.difference > 0) == m.higher_is_better


def test_quarterly_report(demo: Workspace) -> None:
    r = build_report(demo, "2025-Q3", generated_at=GENERATED)
    assert r.kind == "quarterly" and r.period == "2025-Q3" and r.grain == "quarter"
    assert r.metric("nps").value == demo.compute("nps", period="quarter", start="2025-07", end="2025-09").value(
        "nps", "2025-Q3")
    assert [p.label for p in r.metric("nps").history][-2:] == ["2025-Q2", "2025-Q3"]
    taken = build_report(demo, "2025-08", kind="quarterly", generated_at=GENERATED)
    assert taken.period == "2025-Q3" and any("2025-Q3" in n for n in taken.notes)


def test_campaign_windows_pool_like_a_quarter(demo: Workspace) -> None:
    """A campaign over the three months of Q3 against Q2 has the quarters' values and tests."""
    r = build_report(demo, kind="campaign", start="2025-07", end="2025-09", generated_at=GENERATED)
    assert r.campaign is not None and r.campaign.months == ["2025-07", "2025-08", "2025-09"]
    assert r.campaign.baseline_months == ["2025-04", "2025-05", "2025-06"]
    q = {x["kpi"]: x for x in demo.analyze(["nps", "csat", "contract_renewal_rate", "customer_advocacy_score"],
                                           period="quarter", start="2025-07", end="2025-09")}
    # the demo's first contracts fall due on the initial base's first anniversary (July 2025), so Q2 has none
    # so its baseline is not tracked: the campaign report does not judge it and lists it as not tracked
    assert q["contract_renewal_rate"]["previous"] is None
    with pytest.raises(KeyError):
        r.metric("contract_renewal_rate")
    assert "contract_renewal_rate" in {getattr(x, "kpi", None) or x["kpi"] for x in r.not_tracked}
    for kpi in ("nps", "csat"):
        m = r.metric(kpi)
        assert m.value == pytest.approx(q[kpi]["value"], rel=1e-12)
        assert m.reference == pytest.approx(q[kpi]["previous"], rel=1e-12)
        assert m.p_value == pytest.approx(q[kpi]["change_p_value"], rel=1e-9)
    cas = r.metric("customer_advocacy_score")  # a mean pooled from monthly means and standard errors
    assert cas.value == pytest.approx(q["customer_advocacy_score"]["value"], rel=1e-9)
    assert cas.p_value == pytest.approx(q["customer_advocacy_score"]["change_p_value"], rel=1e-6)


def test_campaign_totals_are_per_month(demo: Workspace) -> None:
    r = build_report(demo, kind="campaign", start="2025-10", end="2025-11", baseline_start="2025-06",
                    baseline_end="2025-08", generated_at=GENERATED)
    assert r.campaign is not None and r.campaign.baseline_months == ["2025-06", "2025-07", "2025-08"]
    rows = demo.compute("referral_revenue", period="month", start="2025-06", end="2025-11").to_dicts()
    v = {x["period"]: x["value"] for x in rows}
    m = r.metric("referral_revenue")
    assert m.per_month and m.value == pytest.approx((v["2025-10"] + v["2025-11"]) / 2)
    assert m.reference == pytest.approx((v["2025-06"] + v["2025-07"] + v["2025-08"]) / 3)
    assert m.significance == "untested"


def test_campaign_dates_are_widened_to_months(demo: Workspace) -> None:
    r = build_report(demo, kind="campaign", start="2025-09-15", end="2025-10-10", generated_at=GENERATED)
    assert r.campaign is not None and r.campaign.months == ["2025-09", "2025-10"]
    assert any("widened" in n for n in r.notes)


@pytest.mark.parametrize("kwargs, error", [
    (dict(period="2025-Q3", kind="monthly"), InvalidArgumentError),
    (dict(period="2025", kind="quarterly"), InvalidArgumentError),
    (dict(period="2019-05"), InvalidArgumentError),
    (dict(period="2025-13"), InvalidArgumentError),
    (dict(kind="weekly"), InvalidArgumentError),
    (dict(by="shoe_size"), UnknownDimensionError),
    (dict(kind="campaign", start="2025-09"), InvalidArgumentError),
    (dict(kind="campaign", start="2025-09", end="2025-10", baseline_start="2025-10", baseline_end="2025-11"),
     InvalidArgumentError),
    (dict(kind="campaign", start="2000-01", end="2025-10"), InvalidArgumentError),
    (dict(kind="campaign", period="2025-09", start="2025-09", end="2025-10"), InvalidArgumentError),
])
def test_bad_requests_are_input_errors(demo: Workspace, kwargs: dict, error: type) -> None:  # type: ignore[type-arg]
    with pytest.raises(error) as info:
        build_report(demo, **kwargs)
    assert isinstance(info.value, InputError) and info.value.message


def test_empty_workspace_says_so(workspace: Workspace) -> None:
    with pytest.raises(InvalidArgumentError, match="holds no data"):
        build_report(workspace)


def test_default_period_is_the_latest_complete(demo: Workspace) -> None:
    r = build_report(demo, generated_at=GENERATED)
    assert r.period == demo.latest_complete_period("month") == "2025-12"


def test_filters_and_by(demo: Workspace) -> None:
    r = build_report(demo, PERIOD, by="region", filters={"segment": "SMB"}, generated_at=GENERATED)
    assert r.segment_dimension == "region" and "segment = SMB" in r.subtitle
    smb = demo.compute("nps", period="month", start=PERIOD, end="2025-11", filters={"segment": "SMB"})
    assert r.metric("nps").value == smb.value("nps", PERIOD)
    assert all("SMB" in s.who for s in r.stories.promoters + r.stories.detractors if s.who != "customer")


def test_generated_at_is_utc_and_deterministic(demo: Workspace) -> None:
    aware = dt.datetime(2026, 1, 5, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert build_report(demo, PERIOD, generated_at=aware).generated == "2026-01-05 09:30 UTC"
    # DuckDB sums floats in parallel, so the last bit of a value may differ between runs: equal up to that
    # (the rendered files, rounded for print, are byte-identical: test_render.test_same_workspace_same_bytes)
    assert _approx(build_report(demo, PERIOD, generated_at=GENERATED).to_dict(),
                   build_report(demo, PERIOD, generated_at=GENERATED).to_dict())


def _approx(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_approx(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_approx(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-12, nan_ok=True)
    return a == b
