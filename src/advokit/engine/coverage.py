"""``ws.coverage``: list, declare and forget the spans of coverage inputs (``advokit coverage ...``).

The spans themselves and the marking of rows are :mod:`advokit.coverage`; this service adds what a
person types: period bounds (``2024-03``, ``2024-Q1``, ``2024``, ``2024-03-15``), ``--to`` inclusive of
the period it names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..catalogue import Catalogue
from ..coverage import Coverage, inputs_of
from ..errors import InvalidArgumentError
from .periods import check_day, parse_period_label


def parse_bound(text: str | dt.date | None, *, name: str, last: bool) -> dt.date | None:
    """A day from a period or a date: the first day of the period, or its last one when ``last``."""
    if text is None or isinstance(text, dt.date):
        return text.date() if isinstance(text, dt.datetime) else text
    value = text.strip()
    try:
        day = dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        raise InvalidArgumentError(f"invalid date for {name}: {text!r}",
                                   hint="use YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY") from None
    if day is not None:
        return check_day(day, name=name)
    try:
        period = parse_period_label(value)
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"invalid {name} {text!r}: {exc.message}",
                                   hint="use YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY") from None
    return period.end - dt.timedelta(days=1) if last else period.start


class CoverageService:
    """The coverage inputs of a workspace and the spans its users declared."""

    def __init__(self, coverage: Coverage, catalogue: Catalogue) -> None:
        self.spans = coverage
        self.catalogue = catalogue

    def list(self) -> list[dict[str, Any]]:
        """Every input with ``from``, ``to`` (days, inclusive), ``source`` and the KPIs that need it."""
        return self.spans.listing(self.catalogue)

    def get(self, name: str) -> dict[str, Any]:
        row = self.spans.info(name).to_dict()
        row["kpis"] = [k.id for k in self.catalogue if any(i.name == name for i in inputs_of(k))]
        return row

    def set(self, name: str, *, start: str | dt.date | None = None, end: str | dt.date | None = None) -> dict[str, Any]:
        """Declare where ``name`` is tracked: ``start`` from the first day of its period, ``end`` through
        the last day of its period (either may be left out: the first event / ongoing)."""
        lo = parse_bound(start, name="--from", last=False)
        hi = parse_bound(end, name="--to", last=True)
        self.spans.set(name, start=lo, end=hi)
        return self.get(name)

    def clear(self, name: str) -> dict[str, Any]:
        """Forget the declared span of ``name``: the data's span applies again."""
        had = self.spans.clear(name)
        return {**self.get(name), "cleared": had}
