"""The executive summary, written from the report's own numbers.

Rules that keep the words honest (tests/reports check them):

* a KPI is said to have *risen* or *fallen significantly* only when its change
  was tested and p < 0.05, in the direction of the sign of the change;
* a KPI is said *not to have changed significantly* only when it was tested and
  p ≥ 0.05; KPIs with no test (money totals, counts, composite scores) are
  named as untested, never judged;
* targets are called met or missed exactly as the metrics table shows them.

Each statement about a KPI is recorded as a :class:`~advokit.reports.model.Claim`.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import format as fmt
from .model import Claim, Finding, Metric, Narrative, SegmentWin

HEADLINE = ("nps", "csat", "customer_retention_rate", "active_advocates_rate", "referral_revenue")
NAMED = 4  # how many non-significant KPIs the summary names before counting the rest


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def headline_metrics(metrics: Sequence[Metric]) -> list[Metric]:
    """The KPIs the summary opens with: the usual headline five where they have a value, else the first five."""
    live = [m for m in metrics if m.value is not None]
    chosen = [m for k in HEADLINE for m in live if m.kpi == k]
    if len(chosen) < 3:
        chosen += [m for m in live if m not in chosen][: 5 - len(chosen)]
    return chosen


def _moved(m: Metric) -> str:
    word = "rose" if m.significance == "up" else "fell"
    return (f"{m.name} {word} significantly to {fmt.number(m.value, m.unit, per_month=m.per_month)} "
            f"({fmt.change(m.change, m.unit)}, {fmt.p_value(m.p_value)})")


def write(metrics: Sequence[Metric], *, period_name: str, reference_name: str, campaign: bool,
          wins: Sequence[Finding], risks: Sequence[Finding], segment_wins: Sequence[SegmentWin],
          segment_dimension: str | None) -> Narrative:
    claims: list[Claim] = []
    paragraphs: list[str] = []

    # 1. the headline KPIs
    top = headline_metrics(metrics)
    if top:
        parts = []
        for m in top:
            band = f" ({m.band})" if m.band else ""
            parts.append(f"{m.name} {fmt.number(m.value, m.unit, per_month=m.per_month)}{band}")
            claims.append(Claim("headline", m.kpi))
        lead = f"During the campaign ({period_name})" if campaign else f"In {period_name}"
        paragraphs.append(f"{lead}, the headline KPIs were: {_join(parts)}.")

    # 2. what moved significantly, and what did not
    against = f"against the baseline ({reference_name})" if campaign else f"against {reference_name}"
    better = [m for m in metrics if m.improved]
    worse = [m for m in metrics if m.worsened]
    flat = [m for m in metrics if m.significance == "none"]
    untested = [m for m in metrics if m.significance == "untested" and m.value is not None]
    sentences = []
    if better:
        sentences.append(f"Significant improvements {against}: " + _join([_moved(m) for m in better]) + ".")
    if worse:
        sentences.append(f"Significant deteriorations {against}: " + _join([_moved(m) for m in worse]) + ".")
    for m in [*better, *worse]:
        claims.append(Claim("significant_rise" if m.significance == "up" else "significant_fall", m.kpi))
    if not better and not worse:
        if flat:
            sentences.append(f"No tested KPI changed significantly {against}.")
        else:
            sentences.append(f"No KPI could be tested for a significant change {against}.")
    if flat:
        named = sorted(flat, key=lambda m: (m.p_value if m.p_value is not None else 1.0, m.name))[:NAMED]
        names = [f"{m.name} ({fmt.change(m.change, m.unit)}, {fmt.p_value(m.p_value)})" for m in named]
        rest = len(flat) - len(named)
        subject = "the changes in " + _join(names + ([f"{rest} other KPI" + ("s" if rest != 1 else "")] if rest else []))
        sentences.append(f"{subject[0].upper()}{subject[1:]} are not statistically significant "
                         "(p ≥ 0.05): they are within the range of chance and call for no reaction yet.")
        claims.extend(Claim("no_significant_change", m.kpi) for m in flat)
    small = [m for m in [*better, *worse] if m.small_sample]
    if small:
        sentences.append(_join([m.name for m in small]) + (" rests" if len(small) == 1 else " rest")
                         + " on fewer than 30 answers or customers: read with care.")
    if untested:
        examples = _join([m.name for m in untested[:3]])
        sentences.append(f"{len(untested)} KPI{'s' if len(untested) != 1 else ''} without a significance test "
                         f"(money totals, counts and composite scores, such as {examples}) "
                         "are shown in the tables but not judged here.")
    paragraphs.append(" ".join(sentences))

    # 3. targets and status
    with_target = [m for m in metrics if m.target is not None and m.target_status is not None]
    status_counts = {s: sum(1 for m in metrics if m.status == s) for s in ("good", "watch", "poor")}
    status_line = (f"Overall status: {status_counts['good']} good, {status_counts['watch']} to watch and "
                   f"{status_counts['poor']} poor.")
    if with_target:
        met = [m for m in with_target if m.target_status == "met"]
        missed = [m for m in with_target if m.target_status == "missed"]
        text = f"Against targets, {len(met)} of {len(with_target)} KPIs met theirs"
        if met:
            text += " (" + _join([m.name for m in met]) + ")"
        if missed:
            text += "; missed: " + _join([f"{m.name} ({fmt.number(m.value, m.unit, per_month=m.per_month)} "
                                          f"against {fmt.number(m.target, m.unit, per_month=m.per_month)})"
                                          for m in missed])
        paragraphs.append(text + ". " + status_line)
        claims.extend(Claim("target_met", m.kpi) for m in met)
        claims.extend(Claim("target_missed", m.kpi) for m in missed)
    else:
        paragraphs.append("No targets are set for this period, so status is judged against the catalogue's "
                          "bands. " + status_line)

    # 4. where to look (sections 4 and 5; their titles are not repeated here, so each appears once, in order)
    tail = []
    groups = sorted({s.group for s in segment_wins})
    segs = ""
    if segment_wins and segment_dimension:
        segs = (f"{len(segment_wins)} {segment_dimension} result{'s' if len(segment_wins) != 1 else ''} "
                f"beat the rest of the customers significantly ({_join(groups)})")
    if wins:
        w = f"{len(wins)} KPI{'s' if len(wins) != 1 else ''} improved significantly or beat target"
        tail.append(w + (f", and {segs}" if segs else "") + " (section 4).")
    elif segs:
        tail.append(f"No KPI improved significantly or beat a target, but {segs} (section 4).")
    else:
        tail.append("No KPI improved significantly or beat a target this time.")
    if risks:
        tail.append(f"{len(risks)} KPI{'s' if len(risks) != 1 else ''} need{'s' if len(risks) == 1 else ''} "
                    f"attention, first {risks[0].name} (section 5).")
    else:
        tail.append("No KPI is below its band or target or falling significantly.")
    paragraphs.append(" ".join(tail))
    return Narrative(paragraphs=paragraphs, claims=claims)
