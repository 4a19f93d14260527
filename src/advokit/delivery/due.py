"""Which period a schedule owes on a given day.

A monthly or spotlight schedule with day D owes month M from day D of the month after M
(in a month shorter than D, its last day); a quarterly one owes quarter Q from day D of
the month after Q. A campaign schedule owes its own months, from day D of the month
after its last one. Only the latest owed period is sent: a new schedule does not send
the history.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any


def _delivery_day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _months_back(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) - n
    return index // 12, index % 12 + 1


def due_period(schedule: dict[str, Any], today: dt.date) -> str | None:
    """The period ``schedule`` owes on ``today`` (``YYYY-MM``, ``YYYY-Qn`` or ``A..B``), or None."""
    day = int(schedule["day"])
    kind = schedule["kind"]
    if kind == "campaign":
        last = str(schedule["period"]).split("..")[1]
        year, month = _months_back(int(last[:4]), int(last[5:7]), -1)
        return str(schedule["period"]) if today >= _delivery_day(year, month, day) else None
    back = 0 if today >= _delivery_day(today.year, today.month, day) else 1
    year, month = _months_back(today.year, today.month, back)  # the month whose delivery day has come
    if kind == "quarterly":
        while (month - 1) % 3:  # back to the last month that starts a quarter
            year, month = _months_back(year, month, 1)
        year, month = _months_back(year, month, 1)  # the quarter's last month
        return f"{year}-Q{(month - 1) // 3 + 1}"
    year, month = _months_back(year, month, 1)
    return f"{year:04d}-{month:02d}"
