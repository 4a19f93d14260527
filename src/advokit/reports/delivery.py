"""The report side of scheduled delivery: ``renderer(ws)`` builds what a schedule sends.

``advokit.delivery`` stores schedules and sends; it cannot build a report (it sits below the
workspace). This module is the callable it is given: the kind's report for the period, in
the schedule's formats, with its executive summary as the text of the e-mail or webhook.
The ``spotlight`` kind is the month's report, its text the month's customer stories.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..delivery import Attachment, Render, Rendered
from . import build_report
from .model import Report

if TYPE_CHECKING:
    from ..workspace import Workspace


def _spotlight_text(report: Report) -> str:
    stories = report.stories.highlights or report.stories.promoters or report.stories.detractors
    if not stories:
        return f"No customer stories were recorded in {report.period_label}."
    lines = [f"Customer stories of {report.period_label}:"]
    for s in stories[:3]:
        lines.append(f"- \u201c{s.text}\u201d ({s.who}, {s.occurred_at[:10]})")
    return "\n".join(lines)


def renderer(ws: Workspace) -> Render:
    """``render(kind, period, formats)`` over ``ws``, for :meth:`advokit.delivery.Delivery.run_due`."""

    def render(kind: str, period: str, formats: Sequence[str]) -> Rendered:
        if kind == "campaign":
            start, end = period.split("..")
            report = build_report(ws, kind="campaign", start=start, end=end)
        elif kind == "spotlight":
            report = build_report(ws, period, kind="monthly", title="Customer-story spotlight")
        else:
            report = build_report(ws, period, kind=kind)
        label = period.replace("..", "-to-")
        files = [Attachment(f"report-{kind}-{label}.{fmt}", fmt, report.render(fmt)) for fmt in formats]
        summary = (_spotlight_text(report) if kind == "spotlight"
                   else "\n\n".join(report.summary.paragraphs))
        subject = report.title if report.period_label in report.title else f"{report.title}: {report.period_label}"
        return Rendered(subject=subject, summary=summary, files=files)

    return render
