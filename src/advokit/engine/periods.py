"""Calendar periods (month, quarter, year) in UTC, half-open [start, end)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from ..errors import InvalidArgumentError

Grain = Literal["month", "quarter", "year"]
GRAINS: tuple[Grain, ...] = ("month", "quarter", "year")
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def check_grain(value: str) -> Grain:
    if value not in GRAINS:
        raise InvalidArgumentError(f"unknown period {value!r}", hint="valid periods: month, quarter, year")
    return value


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    grain: Grain

    @property
    def end(self) -> dt.date:
        return add_months(self.start, _MONTHS[self.grain])

    @property
    def label(self) -> str:
        if self.grain == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.grain == "quarter":
            return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year:04d}"

    def shift(self, count: int) -> "Period":
        return Period(add_months(self.start, count * _MONTHS[self.grain]), self.grain)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(day: dt.date, grain: Grain) -> Period:
    """The period of ``grain`` containing ``day``."""
    if grain == "month":
        return Period(dt.date(day.year, day.month, 1), grain)
    if grain == "quarter":
        return Period(dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1), grain)
    return Period(dt.date(day.year, 1, 1), grain)


def periods_between(start: dt.date, end: dt.date, grain: Grain) -> list[Period]:
    """Every period overlapping [start, end)."""
    out: list[Period] = []
    if end <= start:
        return out
    p = period_of(start, grain)
    while p.start < end:
        out.append(p)
        p = p.shift(1)
    return out


_LABEL = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])))?$")


def parse_period_label(label: str) -> Period:
    """``2025-09`` → month, ``2025-Q3`` → quarter, ``2025`` → year."""
    m = _LABEL.match(label.strip())
    if not m:
        raise InvalidArgumentError(f"invalid period {label!r}",
                                   hint="use YYYY-MM (month), YYYY-Qn (quarter) or YYYY (year)")
    year = int(m.group(1))
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise InvalidArgumentError(f"invalid month in period {label!r}", hint="months run 01-12")
        return Period(dt.date(year, month, 1), "month")
    if m.group(3):
        return Period(dt.date(year, (int(m.group(3)) - 1) * 3 + 1, 1), "quarter")
    return Period(dt.date(year, 1, 1), "year")


def parse_date(value: str | dt.date | None, *, name: str) -> dt.date | None:
    """Parse ``--from`` / ``--to``: YYYY-MM-DD, YYYY-MM (first day) or YYYY (1 January)."""
    if value is None or isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InvalidArgumentError(f"invalid date for {name}: {value!r}",
                               hint="use YYYY-MM-DD, YYYY-MM or YYYY")
