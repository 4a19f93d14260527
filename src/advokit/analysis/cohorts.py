"""Cohort retention matrices: customers grouped by the period of their ``signup_at``.

Two ways to say a customer is retained in the period ``offset`` periods after
its cohort's period:

* lifecycle (default): the customer is *active in* that period
  (kpi-semantics.md: not churned before the period starts), so offset 0 is
  the whole cohort;
* activity (``activity=[types...]``): the customer has at least one event of
  those types in that period (e.g. orders, logins, renewals).

Two bases:

* ``logo``: retained = customers; rate = 100 × retained / cohort size;
* ``revenue``: lifecycle: retained = Σ ``arr`` of the retained customers,
  rate = 100 × retained ARR / the cohort's ARR (each customer's recorded ARR;
  the workspace keeps one ARR per customer, so this is ARR-weighted logo
  retention); activity: retained = Σ ``amount`` of the period's events,
  rate = 100 × that / the same sum at offset 0.

Offsets run from 0 to the last period holding data (the latest event or
signup). ``start`` / ``end`` select the cohorts (periods overlapping
[start, end)); ``filters`` keep customers by attribute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..catalogue.model import EVENT_TYPES
from ..engine.compiler import periods_table
from ..engine.periods import check_grain, parse_bound, period_of, periods_between
from ..errors import InvalidArgumentError, UnknownDimensionError

if TYPE_CHECKING:
    from ..engine.service import KpiService

BASES = ("logo", "revenue")
_TRUNC = {"month": "M", "quarter": "Q", "year": "Y"}
SMALL_COHORT = 30


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def cohorts(service: "KpiService", *, grain: str = "month", basis: str = "logo", start: str | dt.date | None = None,
            end: str | dt.date | None = None, filters: Mapping[str, str | None] | None = None,
            activity: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The retention matrix as long rows, by cohort then offset.

    Each row: ``cohort`` (label), ``cohort_start``, ``size`` (customers), ``offset``, ``period``
    (label), ``retained`` (customers, or money for the revenue basis), ``base`` (what the rate
    divides by), ``rate`` (percent, None when the base is 0), ``small_sample`` (size < 30).
    """
    g = check_grain(grain)
    if basis not in BASES:
        raise InvalidArgumentError(f"unknown basis {basis!r}", hint="valid bases: logo, revenue")
    types = list(dict.fromkeys(activity or []))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise InvalidArgumentError(f"unknown event types {unknown}", hint="valid types: " + ", ".join(EVENT_TYPES))
    lo, hi = parse_bound(start, name="--from", end=False), parse_bound(end, name="--to", end=True)
    if lo and hi and hi <= lo:
        raise InvalidArgumentError(f"--to {hi} must be after --from {lo}")
    dims = service.dimensions()
    for dim in (filters or {}):
        if dim not in dims:
            raise UnknownDimensionError(f"unknown filter dimension {dim!r}", hint="valid dimensions: " + ", ".join(dims))
    bounds = service.engine().data_range()
    if bounds is None:
        return []
    horizon = period_of(bounds[1], g)

    backend = service.backend()
    c = backend.table("customers")
    for dim, value in (filters or {}).items():
        c = c.filter(c[dim].isnull() if value is None else c[dim] == value)
    c = c.select("customer_id", "churned_at", arr=c.arr.fill_null(0.0),
                 cohort_start=c.signup_at.truncate(_TRUNC[g]))
    if lo is not None:  # cohort periods overlapping [lo, hi)
        c = c.filter(c.cohort_start >= _ts(period_of(lo, g).start))
    if hi is not None:
        c = c.filter(c.cohort_start < _ts(hi))
    sizes = {r["cohort_start"].date(): r for r in c.group_by("cohort_start").aggregate(
        size=c.count(), arr=c.arr.sum()).to_pyarrow().to_pylist()}
    if not sizes:
        return []
    first = min(sizes)
    periods = periods_between(first, horizon.end, g)
    if types:
        e = backend.table("events")
        e = e.filter(e.type.isin(types), e.occurred_at < _ts(horizon.end))
        e = e.mutate(period_start=e.occurred_at.truncate(_TRUNC[g]))
        j = e.join(c, "customer_id")
        j = j.filter(j.period_start >= j.cohort_start)
        measure = j.customer_id.nunique() if basis == "logo" else j.amount.sum()
    else:
        pt = periods_table(periods)
        j = c.join(pt, [pt.period_start >= c.cohort_start,
                        c.churned_at.isnull() | (c.churned_at >= pt.period_start)])
        measure = j.count() if basis == "logo" else j.arr.sum()
    cells = {(r["cohort_start"].date(), r["period_start"].date()): r["retained"]
             for r in j.group_by(["cohort_start", "period_start"]).aggregate(retained=measure)
             .to_pyarrow().to_pylist()}
    return _matrix(sizes, cells, periods, basis, bool(types))


def _matrix(sizes: Mapping[dt.date, Mapping[str, Any]], cells: Mapping[tuple[dt.date, dt.date], Any],
            periods: Sequence[Any], basis: str, by_activity: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    index = {p.start: i for i, p in enumerate(periods)}
    for cohort in sorted(sizes):
        size = int(sizes[cohort]["size"])
        first = index[cohort]
        label = periods[first].label
        if basis == "logo":
            base: float | None = float(size)
        elif by_activity:
            base = float(cells.get((cohort, cohort)) or 0.0)
        else:
            base = float(sizes[cohort]["arr"] or 0.0)
        for offset, p in enumerate(periods[first:]):
            raw = cells.get((cohort, p.start)) or 0
            retained: float | int = int(raw) if basis == "logo" else float(raw)
            rows.append({"cohort": label, "cohort_start": cohort.isoformat(), "size": size, "offset": offset,
                         "period": p.label, "retained": retained, "base": base,
                         "rate": None if not base else 100.0 * retained / base,
                         "small_sample": size < SMALL_COHORT})
    return rows
