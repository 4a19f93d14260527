"""Spikes of mention volume: a day (or a Monday-to-Sunday week) well above its recent level.

For each day of the period, the baseline is the mean daily count over the 28 days before it (fewer where
the workspace's first mention is more recent; a day with under :data:`MIN_HISTORY_DAYS` days of history is
not tested). The day is a spike when its count is at least :data:`MIN_COUNT` and P(X ≥ count) <
:data:`SPIKE_ALPHA` for X ~ Poisson(baseline). A week is tested the same way against the mean of the four
weeks before it (at least two weeks of history), for the weeks lying wholly in the period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..stats.formulas import poisson_upper_tail

#: A spike's p-value is below this (one-sided Poisson upper tail).
SPIKE_ALPHA = 0.01
#: The fewest mentions a day or week needs to be a spike.
MIN_COUNT = 5
#: Trailing window of the baseline, in days.
WINDOW_DAYS = 28
MIN_HISTORY_DAYS = 7
MIN_HISTORY_WEEKS = 2

SpikeGrain = Literal["day", "week"]


@dataclass(frozen=True)
class Spike:
    grain: SpikeGrain
    start: dt.date
    count: int
    baseline: float
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        return {"grain": self.grain, "date": self.start.isoformat(), "count": self.count,
                "baseline": round(self.baseline, 3), "p_value": float(f"{self.p_value:.3g}")}


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


def _test(grain: SpikeGrain, units: list[tuple[dt.date, int, float]]) -> list[Spike]:
    if not units:
        return []
    counts = np.array([u[1] for u in units], dtype=np.float64)
    means = np.array([u[2] for u in units], dtype=np.float64)
    p = poisson_upper_tail(counts, means)
    return [Spike(grain, day, count, mean, float(pv)) for (day, count, mean), pv in zip(units, p)
            if count >= MIN_COUNT and pv < SPIKE_ALPHA]


def find_spikes(daily: Mapping[dt.date, int], *, start: dt.date, end: dt.date,
                first_day: dt.date | None) -> list[Spike]:
    """The day and week spikes in [start, end), from mention counts by day (days absent count 0).

    ``daily`` must hold the 28 days before ``start`` too; ``first_day`` is the workspace's first mention day
    (no history is assumed before it).
    """
    if first_day is None:
        return []
    days: list[tuple[dt.date, int, float]] = []
    for day in _days(start, end):
        since = max(first_day, day - dt.timedelta(days=WINDOW_DAYS))
        history = (day - since).days
        if history >= MIN_HISTORY_DAYS:
            total = sum(daily.get(d, 0) for d in _days(since, day))
            days.append((day, daily.get(day, 0), total / history))
    weeks: list[tuple[dt.date, int, float]] = []
    monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    while monday + dt.timedelta(days=7) <= end:
        back = min(WINDOW_DAYS // 7, (monday - first_day).days // 7)
        if back >= MIN_HISTORY_WEEKS:
            total = sum(daily.get(d, 0) for d in _days(monday - dt.timedelta(days=7 * back), monday))
            count = sum(daily.get(d, 0) for d in _days(monday, monday + dt.timedelta(days=7)))
            weeks.append((monday, count, total / back))
        monday += dt.timedelta(days=7)
    return _test("day", days) + _test("week", weeks)
