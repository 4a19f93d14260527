"""``Analysis``: the analyses of :mod:`advokit.analysis` over one :class:`~advokit.engine.KpiService`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.periods import Grain
from ..engine.service import KpiService
from ..errors import InvalidArgumentError
from . import cohorts, compare, maturity, scorecard, targets, trend

Filters = Mapping[str, str | None]
When = str | dt.date | None


class Analysis:
    """Trends, scorecards, comparisons, cohorts, maturity and targets of one workspace's KPIs."""

    def __init__(self, kpis: KpiService) -> None:
        self.kpis = kpis

    def analyze(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
                start: When = None, end: When = None, filters: Filters | None = None,
                rolling: int | None = None) -> list[dict[str, Any]]:
        """``compute`` rows plus change, year-over-year, significance, rolling mean, band, target, status."""
        return trend.analyze(self.kpis, kpis, period=period, by=by, start=start, end=end, filters=filters,
                             rolling=rolling)

    def scorecard(self, period: str | None = None, *, by: str | None = None, filters: Filters | None = None,
                  rolling: int | None = None) -> dict[str, Any]:
        """Every KPI of one period (YYYY-MM, YYYY-Qn, YYYY) by focus area (shape: analysis/scorecard.py).

        Without ``period``: the latest complete month with data, said in the card's ``period_note``.
        A period outside the data's span is a ``PeriodOutsideDataError`` naming the span.
        """
        label, note = self.default_period(period, "month")
        card = scorecard.scorecard(self.kpis, label, by=by, filters=filters, rolling=rolling)
        return {**card, "period_note": note} if note else card

    def default_period(self, period: str | None, grain: Grain) -> tuple[str, str | None]:
        """``period`` checked against the data's span, or the latest complete ``grain`` with data and the
        one-line note that says so (``InvalidArgumentError`` for a workspace with no data)."""
        if period is not None:
            return self.kpis.period_in_data(period).label, None
        label = self.kpis.latest_complete_period(grain)
        if label is None:
            raise InvalidArgumentError("the workspace holds no data", hint="give a period or import data first")
        return label, f"period {label}: the latest complete {grain} with data"

    def compare(self, kpis: Sequence[str] | str, *, period: str, by: str, a: str | None, b: str | None,
                filters: Filters | None = None) -> list[dict[str, Any]]:
        """Two segments (``by`` = ``a`` vs ``b``) in one period, with the significance of the difference
        (a period outside the data's span is a ``PeriodOutsideDataError``)."""
        self.kpis.period_in_data(period)
        return compare.compare_groups(self.kpis, kpis, period=period, by=by, a=a, b=b, filters=filters)

    def compare_windows(self, kpis: Sequence[str] | str, *, start: When, end: When, baseline_start: When = None,
                        baseline_end: When = None, filters: Filters | None = None) -> dict[str, Any]:
        """A campaign window of whole months against a baseline window (default: the months before)."""
        return compare.compare_windows(self.kpis, kpis, start=start, end=end, baseline_start=baseline_start,
                                       baseline_end=baseline_end, filters=filters)

    def compare_to_rest(self, kpis: Sequence[str] | str, *, by: str, period: str | None = None,
                        start: When = None, end: When = None,
                        filters: Filters | None = None) -> list[dict[str, Any]]:
        """Each group of ``by`` against all the others pooled, over a period or a range of months."""
        return compare.compare_to_rest(self.kpis, kpis, by=by, period=period, start=start, end=end,
                                       filters=filters)

    def cohorts(self, *, grain: str = "month", basis: str = "logo", start: When = None, end: When = None,
                filters: Filters | None = None, activity: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Cohort retention matrix by signup period, logo or revenue based (rows: analysis/cohorts.py)."""
        return cohorts.cohorts(self.kpis, grain=grain, basis=basis, start=start, end=end, filters=filters,
                               activity=activity)

    def maturity(self) -> dict[str, Any]:
        """The data-culture maturity stage (seed 003) with its evidence and next steps."""
        return maturity.assess(self.kpis)

    # -- targets ---------------------------------------------------------------------------
    def set_target(self, kpi: str, value: float | int | str, *, segment: str | None = None,
                   dimension: str | None = None, dimension_value: str | None = None,
                   valid_from: When = None, valid_to: When = None) -> dict[str, Any]:
        """Store a KPI target (global, or for ``segment`` / ``dimension`` = ``dimension_value``)."""
        if segment is not None:
            if dimension is not None:
                raise InvalidArgumentError("give either a segment or a dimension, not both")
            dimension, dimension_value = "segment", segment
        return targets.set_target(self.kpis, kpi, value, dimension=dimension, dimension_value=dimension_value,
                                  valid_from=valid_from, valid_to=valid_to).to_dict()

    def targets(self, kpis: Sequence[str] | str | None = None) -> list[dict[str, Any]]:
        """The stored targets, optionally of some KPIs only."""
        return [t.to_dict() for t in targets.list_targets(self.kpis, [kpis] if isinstance(kpis, str) else kpis)]

    def delete_target(self, target_id: str) -> dict[str, Any]:
        return targets.delete_target(self.kpis, target_id).to_dict()
