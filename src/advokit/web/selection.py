"""What a page shows, read from and written back to its URL query string.

Every view can be shared by link::

    /?grain=quarter&period=2025-Q3&filter=segment:SMB&filter=region:EMEA
    /kpis/nps?grain=month&period=2025-09&filter=segment:SMB&by=region

``grain`` is month, quarter or year; ``period`` a label of any grain (it is
moved to the period of ``grain`` that contains its first day); each
``filter`` is ``ATTRIBUTE:VALUE`` on a customer attribute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from ..engine.periods import (
    GRAINS,
    Grain,
    Period,
    check_grain,
    parse_period_label,
    period_of,
    periods_between,
)
from ..errors import InvalidArgumentError, UnknownDimensionError

MAX_FILTERS = 5


@dataclass(frozen=True)
class Selection:
    """Grain, period and segment filters of a page."""

    grain: Grain
    period: Period
    filters: tuple[tuple[str, str], ...] = ()
    explicit_period: bool = False

    @property
    def filter_dict(self) -> dict[str, str | None]:
        return dict(self.filters)

    def params(self, **extra: str | None) -> list[tuple[str, str]]:
        out = [("grain", self.grain), ("period", self.period.label)]
        out += [("filter", f"{k}:{v}") for k, v in self.filters]
        out += [(k, v) for k, v in extra.items() if v not in (None, "")]
        return out

    def query(self, **extra: str | None) -> str:
        """The query string of this view (with ``extra`` parameters), without the ``?``."""
        return urlencode(self.params(**extra))

    def with_period(self, period: Period) -> "Selection":
        return replace(self, grain=period.grain, period=period, explicit_period=True)

    def without_filters(self) -> "Selection":
        return replace(self, filters=())


def parse_filters(raw: Sequence[str], dimensions: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``["segment:SMB", ...]`` → ``(("segment", "SMB"), ...)``; empty items are ignored."""
    out: dict[str, str] = {}
    for item in raw:
        if not item:
            continue
        dim, sep, value = item.partition(":")
        if not sep or not value:
            raise InvalidArgumentError(f"invalid filter {item!r}", hint="use ATTRIBUTE:VALUE, e.g. segment:SMB")
        if dim not in dimensions:
            raise UnknownDimensionError(f"unknown customer attribute {dim!r} in a filter",
                                        hint="valid attributes: " + ", ".join(dimensions))
        out[dim] = value
    if len(out) > MAX_FILTERS:
        raise InvalidArgumentError(f"too many filters ({len(out)})", hint=f"use at most {MAX_FILTERS}")
    return tuple(sorted(out.items()))


def parse_selection(*, grain: str | None, period: str | None, filters: Sequence[str],
                    dimensions: Sequence[str], default_period: Callable[[Grain], str | None]) -> Selection:
    """Read a page's selection; the default period is the latest complete one of the grain."""
    explicit = bool(period)
    if period:
        parsed = parse_period_label(period)
        chosen = check_grain(grain) if grain else parsed.grain
        current = period_of(parsed.start, chosen)
    else:
        chosen = check_grain(grain or "month")
        label = default_period(chosen)
        today = dt.datetime.now(dt.timezone.utc).date()
        current = parse_period_label(label) if label else period_of(today, chosen).shift(-1)
    return Selection(grain=chosen, period=current, filters=parse_filters(filters, dimensions),
                     explicit_period=explicit)


def period_choices(bounds: tuple[dt.date, dt.date] | None, grain: Grain, current: Period) -> list[Period]:
    """The periods a picker offers, newest first: those holding data, and the current one."""
    if bounds is None:
        return [current]
    found = periods_between(bounds[0], bounds[1] + dt.timedelta(days=1), grain)
    if current not in found:
        found.append(current)
    return sorted(found, key=lambda p: p.start, reverse=True)


__all__ = ["GRAINS", "MAX_FILTERS", "Selection", "parse_filters", "parse_selection", "period_choices"]
