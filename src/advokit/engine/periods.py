"""Calendar periods (month, quarter, year) in UTC, half-open [start, end).

The one parser of period labels and range bounds: every shell (CLI options, API
and dashboard query parameters) and every service (reports, analysis windows,
targets, comments) reads them through :func:`parse_period_label` and
:func:`parse_bound`, which accept only the data contract's calendar, years
:data:`MIN_YEAR` to :data:`MAX_YEAR` (a date bound may also be the exclusive
end of that calendar, ``MAX_YEAR + 1``-01-01). Anything else is an
:class:`InvalidArgumentError` (exit code 2, HTTP 422), never a crash.

A range bound typed by a person (``--from`` / ``--to``, ``from`` / ``to`` in an
address, a string given to ``Workspace.compute``) names a period: ``YYYY-MM``,
``YYYY-Qn``, ``YYYY`` or a day ``YYYY-MM-DD``. A start bound is the first day of
that period; an end bound *includes* it and becomes the day after its last day,
so ``--from 2025-02 --to 2025-02`` is February and ``--to 2025-03-31`` includes
31 March. Internally every range stays half-open ``[start, end)``: a ``date``
object handed in by code is taken as it is, an exclusive end.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from ..catalogue.model import MAX_YEAR, MIN_YEAR
from ..errors import InvalidArgumentError, PeriodOutsideDataError

Grain = Literal["month", "quarter", "year"]
GRAINS: tuple[Grain, ...] = ("month", "quarter", "year")
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
#: The first day of the calendar, and its exclusive end.
FIRST_DAY = dt.date(MIN_YEAR, 1, 1)
END_DAY = dt.date(MAX_YEAR + 1, 1, 1)
_RANGE_HINT = f"periods and dates run from {MIN_YEAR} to {MAX_YEAR}"


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
    if not dt.MINYEAR <= index // 12 <= dt.MAXYEAR:
        raise InvalidArgumentError(f"{months:+d} months from {day.isoformat()} is outside the calendar",
                                   hint=_RANGE_HINT)
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


def check_label_year(label: str) -> None:
    """Raise :class:`InvalidArgumentError` when ``label`` has the shape of a period label (YYYY-MM,
    YYYY-Qn, YYYY) with a year outside :data:`MIN_YEAR`–:data:`MAX_YEAR`; anything else passes."""
    m = _LABEL.match(label.strip())
    if m and not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise InvalidArgumentError(f"period {label.strip()!r} is outside the years {MIN_YEAR}-{MAX_YEAR}",
                                   hint=_RANGE_HINT)


def parse_period_label(label: str) -> Period:
    """``2025-09`` → month, ``2025-Q3`` → quarter, ``2025`` → year; years :data:`MIN_YEAR`–:data:`MAX_YEAR`."""
    m = _LABEL.match(label.strip())
    if not m:
        raise InvalidArgumentError(f"invalid period {label!r}",
                                   hint="use YYYY-MM (month), YYYY-Qn (quarter) or YYYY (year)")
    check_label_year(label)
    year = int(m.group(1))
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise InvalidArgumentError(f"invalid month in period {label!r}", hint="months run 01-12")
        return Period(dt.date(year, month, 1), "month")
    if m.group(3):
        return Period(dt.date(year, (int(m.group(3)) - 1) * 3 + 1, 1), "quarter")
    return Period(dt.date(year, 1, 1), "year")


def check_day(day: dt.date, *, name: str) -> dt.date:
    """``day`` if it lies in the calendar (its exclusive end included), else an :class:`InvalidArgumentError`."""
    if not FIRST_DAY <= day <= END_DAY:
        raise InvalidArgumentError(f"{name} {day.isoformat()} is outside the years {MIN_YEAR}-{MAX_YEAR}",
                                   hint=_RANGE_HINT)
    return day


def parse_date(value: str | dt.date | None, *, name: str) -> dt.date | None:
    """Parse ``--from`` / ``--to``: YYYY-MM-DD, YYYY-MM (first day) or YYYY (1 January), in the calendar.

    A ``date`` object is the caller's own (e.g. a trend's history, a year before its first period) and
    passes unchecked; text is what a person typed and must lie in the calendar.
    """
    if value is None or isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return check_day(day, name=name)
    raise InvalidArgumentError(f"invalid date for {name}: {value!r}",
                               hint="use YYYY-MM-DD, YYYY-MM or YYYY")


_BOUND_HINT = "use YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY"


def parse_bound(value: str | dt.date | None, *, name: str, end: bool) -> dt.date | None:
    """A range bound: ``--from`` (``end=False``) or ``--to`` (``end=True``), inclusive of the period it names.

    Text is a day (``YYYY-MM-DD``) or a period label (``YYYY-MM``, ``YYYY-Qn``, ``YYYY``): a start bound
    is the first day of it, an end bound the day after its last day (the exclusive end kept internally).
    A ``date`` object is the caller's own bound and passes unchanged (an end date object is exclusive).
    """
    if value is None or isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    text = value.strip()
    if len(text) == 10:
        try:
            day = dt.datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            raise InvalidArgumentError(f"invalid date for {name}: {value!r}", hint=_BOUND_HINT) from None
        if day == END_DAY:  # a day names itself, inclusive: the calendar's last day is 31 December 2100
            raise InvalidArgumentError(f"{name} {day.isoformat()} is outside the years {MIN_YEAR}-{MAX_YEAR}",
                                       hint=_RANGE_HINT)
        check_day(day, name=name)
        return day + dt.timedelta(days=1) if end else day
    check_label_year(text)  # a label outside the calendar: that message, not "invalid date"
    try:
        period = parse_period_label(text)
    except InvalidArgumentError:
        raise InvalidArgumentError(f"invalid date for {name}: {value!r}", hint=_BOUND_HINT) from None
    return period.end if end else period.start


def check_in_data(period: Period, bounds: tuple[dt.date, dt.date] | None) -> Period:
    """``period`` if it overlaps the days the data covers, else a :class:`PeriodOutsideDataError`
    naming that span (exit code 2, HTTP 422). ``bounds`` are the first and last day with data."""
    if bounds is None:
        raise PeriodOutsideDataError(f"the workspace holds no data for {period.label}",
                                     hint="import customers and events first")
    if period.end <= bounds[0] or period.start > bounds[1]:
        first, last = period_of(bounds[0], period.grain), period_of(bounds[1], period.grain)
        raise PeriodOutsideDataError(
            f"no data in {period.label}: the data covers {bounds[0].isoformat()} to {bounds[1].isoformat()}",
            hint=f"pick a period from {first.label} to {last.label}")
    return period
