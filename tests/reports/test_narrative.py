"""The executive summary never says what the numbers in the same report do not support."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advokit import Workspace
from advokit.reports import Report
from advokit.reports import format as fmt
from advokit.reports.content import _significance
from advokit.reports.markdown import render_markdown
from advokit.reports.model import Finding, Metric
from advokit.reports.narrative import write
from advokit.reports import build_report

from .conftest import GENERATED, PERIOD


def check_claims(report: Report) -> None:
    """Every claim against its metric, every number the summary prints against the metric's own, and the
    summary short enough to say aloud (about 150 words)."""
    for claim in report.summary.claims:
        m = report.metric(claim.kpi)
        if claim.kind == "significant_rise":
            assert m.significance == "up" and m.change > 0 and m.p_value < 0.05, m
        elif claim.kind == "significant_fall":
            assert m.significance == "down" and m.change < 0 and m.p_value < 0.05, m
        elif claim.kind == "no_significant_change":
            assert m.significance == "none" and m.p_value is not None and m.p_value >= 0.05, m
        elif claim.kind == "target_met":
            assert m.target_status == "met", m
        elif claim.kind == "target_missed":
            assert m.target_status == "missed", m
        else:
            assert claim.kind == "headline" and m.value is not None
    text = " ".join(report.summary.paragraphs)
    assert len(text.split()) <= 150, text
    claimed = {(c.kind, c.kpi) for c in report.summary.claims}
    named = 0
    for m in sorted(report.metrics, key=lambda m: -len(m.name)):  # longer names first: "X (Cohort)" before "X"
        moved = re.search(re.escape(m.name) + r" (rose|fell) significantly to (.+?) \((.+?)\)", text)
        if moved:
            named += 1
            assert m.significant and (moved.group(1) == "rose") == (m.change > 0), m
            assert moved.group(2) == fmt.value(m) and moved.group(3) == fmt.delta(m), (moved.groups(), m)
            assert ("significant_rise" if m.change > 0 else "significant_fall", m.kpi) in claimed
            text = text.replace(moved.group(0), "")
        held = re.search(re.escape(m.name) + r" held at (.+?) \((.+?), not a significant change\)", text)
        if held:
            assert m.significance == "none" and held.group(1) == fmt.value(m) and held.group(2) == fmt.delta(m)
            assert ("no_significant_change", m.kpi) in claimed
        target = re.search(re.escape(m.name) + r" (met|missed) its target of (.+?) with (.+?)\.(?: |$)", text)
        if target:
            assert m.target_status == target.group(1) and target.group(2) == fmt.amount(m, m.target)
            assert target.group(3) == fmt.value(m)
    assert named <= 5
    moves = [m for m in report.metrics if m.value is not None and (m.significant or m.target_status in ("met", "missed"))]
    if moves:  # the three to five things that moved are named (fewer only when fewer moved)
        named_moves = {c.kpi for c in report.summary.claims if c.kind not in ("headline", "no_significant_change")}
        assert len(named_moves) >= min(3, len(moves)), (named_moves, [m.kpi for m in moves])


def check_table_agrees(report: Report) -> None:
    """The Markdown table row of every KPI the summary calls significant says so, with the same sign."""
    md = render_markdown(report)
    for claim in report.summary.claims:
        if claim.kind not in ("significant_rise", "significant_fall", "no_significant_change"):
            continue
        m = report.metric(claim.kpi)
        rows = [line for line in md.splitlines() if line.startswith(f"| {m.name} |")]
        assert rows, m.name
        for row in rows:
            cells = [c.strip() for c in row.strip("|").split("|")]
            wide = report.campaign is not None and len(cells) > 4  # the headline table has no baseline column
            change, sig = (cells[3], cells[4]) if wide else (cells[2], cells[3])
            if claim.kind == "significant_rise":
                assert change.startswith("+") and sig.startswith("significant rise"), row
            elif claim.kind == "significant_fall":
                assert change.startswith("\u2212") and sig.startswith("significant fall"), row
            else:
                assert sig.startswith("not significant"), row
                p = float(re.search(r"p = ([0-9.]+)", sig).group(1))  # type: ignore[union-attr]
                assert p >= 0.05 and m.p_value >= 0.05, row


@pytest.mark.parametrize("args", [
    dict(period=PERIOD), dict(period="2025-06"), dict(period="2025-01"), dict(period="2025-Q3"),
    dict(kind="campaign", start="2025-07", end="2025-09"),
    dict(kind="campaign", start="2025-10", end="2025-11", baseline_start="2025-03", baseline_end="2025-05"),
], ids=["monthly", "june", "january", "quarterly", "campaign", "campaign-baseline"])
def test_summary_agrees_with_the_numbers(demo: Workspace, args: dict) -> None:  # type: ignore[type-arg]
    report = build_report(demo, **args, generated_at=GENERATED)
    check_claims(report)
    check_table_agrees(report)


def test_a_significant_move_is_named(demo: Workspace) -> None:
    """The demo has a significant move in some month; the summary then names it, in the right direction."""
    found = None
    for month in ("2025-03", "2025-04", "2025-05", "2025-07", "2025-08", "2025-09", "2025-10"):
        report = build_report(demo, month, generated_at=GENERATED)
        if any(m.significant for m in report.metrics):
            found = report
            break
    assert found is not None, "no significant move in the demo months tried"
    check_claims(found)
    check_table_agrees(found)
    text = " ".join(found.summary.paragraphs)
    first = sorted((m for m in found.metrics if m.significant),
                   key=lambda m: (m not in found.headline, m.p_value))[0]
    word = "rose" if first.change > 0 else "fell"
    assert f"{first.name} {word} significantly to {fmt.value(first)}" in text


# -- the narrative on its own, over arbitrary metrics ---------------------------------------------
_p = st.one_of(st.none(), st.sampled_from([0.0, 1e-6, 0.01, 0.0499999, 0.05, 0.050001, 0.2, 0.9, 1.0]),
               st.floats(0, 1))
_change = st.one_of(st.none(), st.sampled_from([0.0, -0.0]), st.floats(-50, 50, allow_nan=False))


@st.composite
def metrics(draw: st.DrawFn) -> list[Metric]:
    out = []
    for i in range(draw(st.integers(0, 8))):
        p, change = draw(_p), draw(_change)
        value = draw(st.one_of(st.none(), st.floats(-100, 100, allow_nan=False)))
        target = draw(st.one_of(st.none(), st.floats(-100, 100, allow_nan=False)))
        direction = draw(st.sampled_from(["higher_is_better", "lower_is_better"]))
        status = None if target is None or value is None else (
            "met" if (value >= target if direction == "higher_is_better" else value <= target) else "missed")
        out.append(Metric(kpi=f"k{i}", name=f"KPI {i}", unit=draw(st.sampled_from(["percent", "score", "money"])),
                          direction=direction, value=value, reference=None, change=change, change_pct=None,
                          p_value=p, significance=_significance(p, change), target=target, target_status=status,
                          small_sample=draw(st.booleans()), status=draw(st.sampled_from(["good", "watch", "poor"]))))
    return out


@settings(max_examples=300, deadline=None)
@given(metrics(), st.booleans())
def test_narrative_claims_hold_for_any_numbers(ms: list[Metric], campaign: bool) -> None:
    risks = [Finding(kpi=m.kpi, name=m.name, reasons=["x"], metric=m) for m in ms if m.worsened]
    story = write(ms, period_name="May 2025", reference_name="April 2025", campaign=campaign, headline=ms[:3],
                  unowned=risks)
    by_id = {m.kpi: m for m in ms}
    for c in story.claims:
        m = by_id[c.kpi]
        if c.kind == "significant_rise":
            assert m.p_value is not None and m.p_value < 0.05 and m.change is not None and m.change > 0
        elif c.kind == "significant_fall":
            assert m.p_value is not None and m.p_value < 0.05 and m.change is not None and m.change < 0
        elif c.kind == "no_significant_change":
            assert m.p_value is not None and m.p_value >= 0.05
        elif c.kind in ("target_met", "target_missed"):
            assert m.target_status == c.kind.removeprefix("target_")
    text = " ".join(story.paragraphs)
    for m in ms:
        if re.search(re.escape(m.name) + r" (rose|fell) significantly", text):
            assert m.significant
    if not any(m.significant for m in ms):
        assert "significantly to" not in text
    assert len(text.split()) <= 150, text


def test_lower_is_better_rise_is_a_deterioration() -> None:
    churn = Metric(kpi="churn", name="Churn", unit="percent", direction="lower_is_better", value=5.0, reference=3.0,
                   change=2.0, change_pct=None, p_value=0.01, significance="up")
    story = write([churn], period_name="May 2025", reference_name="April 2025", campaign=False, headline=[churn])
    text = " ".join(story.paragraphs)
    assert text.startswith("In May 2025, against April 2025, one KPI moved: Churn rose significantly to 5.0 % (+2.0 pts).")
    assert [(c.kind, c.kpi) for c in story.claims] == [("significant_rise", "churn")]
    assert churn.worsened and not churn.improved


def test_p_of_exactly_alpha_is_not_significant() -> None:
    m = Metric(kpi="a", name="A", unit="score", direction="higher_is_better", value=1.0, reference=0.0, change=1.0,
               change_pct=None, p_value=0.05, significance=_significance(0.05, 1.0))
    assert m.significance == "none"
    story = write([m], period_name="May 2025", reference_name="April 2025", campaign=False, headline=[m])
    assert [c.kind for c in story.claims if c.kpi == "a"] == ["no_significant_change"]
    assert "A held at 1.0 (+1.0 pts, not a significant change)." in " ".join(story.paragraphs)
