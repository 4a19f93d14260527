"""The advocacy funnel of one period, overall and by segment: customers at each stage, conversions with intervals.

A conversion from one stage to the next is ``rate = 100 × next / stage`` with its 95 % Wilson interval
(``low``, ``high``, in percent); all three are null when the stage before holds nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import ibis

from ..engine.periods import GRAINS, Period, check_grain, check_in_data, parse_period_label
from ..errors import InvalidArgumentError, PeriodOutsideDataError, UnknownDimensionError
from ..stats import formulas
from .stages import STAGE_KEYS, STAGES, identified_ids, stage_counts, stage_table

NULL_SEGMENT_NOTE = "customers whose attribute is empty form the segment whose value is null"


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _pct(value: float) -> float:
    return round(100.0 * value, 2)


def conversions(counts: dict[str, int]) -> list[dict[str, Any]]:
    """The conversion between each pair of consecutive stages, with its Wilson interval (percent)."""
    out: list[dict[str, Any]] = []
    for a, b in zip(STAGE_KEYS, STAGE_KEYS[1:]):
        n, x = counts[a], counts[b]
        row: dict[str, Any] = {"from": a, "to": b, "customers": n, "converted": x,
                               "rate": None, "low": None, "high": None}
        if n:
            lo, hi = formulas.wilson_interval(x, n)
            row.update(rate=_pct(x / n), low=_pct(float(lo)), high=_pct(float(hi)))
        out.append(row)
    return out


def stages(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"stage": s.key, "name": s.name, "customers": counts[s.key]} for s in STAGES]


def _block(counts: dict[str, int]) -> dict[str, Any]:
    return {"population": counts["population"], "stages": stages(counts), "conversions": conversions(counts)}


class FunnelCounts:
    """The funnel computation. ``backend`` gives the thread's Ibis backend, ``scores(as_of=...)`` the
    advocate scores, ``dimensions()`` the customer attributes ``--by`` accepts (the KPI engine's),
    ``data_range()`` the data's first and last day, ``latest(grain)`` the latest complete period."""

    def __init__(self, *, backend: Callable[[], ibis.BaseBackend], scores: Callable[..., list[dict[str, Any]]],
                 dimensions: Callable[[], Sequence[str]],
                 data_range: Callable[[], tuple[dt.date, dt.date] | None],
                 latest: Callable[[Any], str | None]) -> None:
        self._backend = backend
        self._scores = scores
        self._dimensions = dimensions
        self._data_range = data_range
        self._latest = latest

    def resolve(self, period: str) -> tuple[Period, str | None]:
        """A label (2025-03, 2025-Q1, 2025) overlapping the data, or a grain (month, quarter, year): the
        latest complete one with data, with a note saying so."""
        if not isinstance(period, str) or not period.strip():
            raise InvalidArgumentError("period is empty", hint="give YYYY-MM, YYYY-Qn, YYYY, month, quarter or year")
        text = period.strip()
        bounds = self._data_range()
        if text in GRAINS:
            label = self._latest(check_grain(text))
            if label is None:
                raise PeriodOutsideDataError("the workspace holds no data", hint="import customers and events first")
            return parse_period_label(label), f"the latest complete {text} with data"
        p = parse_period_label(text)
        if bounds is None:
            raise PeriodOutsideDataError(f"the workspace holds no data for {p.label}",
                                         hint="import customers and events first")
        return check_in_data(p, bounds), None

    def check_by(self, by: str | None) -> str | None:
        if by is None or by == "":
            return None
        dims = list(self._dimensions())
        if by not in dims:
            raise UnknownDimensionError(f"unknown dimension {by!r} for --by",
                                        hint="valid dimensions: " + (", ".join(dims) or "(none: import customers)"))
        return by

    def compute(self, period: str = "quarter", *, by: str | None = None) -> dict[str, Any]:
        dim = self.check_by(by)
        p, note = self.resolve(period)
        start, end = _ts(p.start), _ts(p.end)
        ident = identified_ids(self._scores(as_of=start))
        out: dict[str, Any] = {"period": p.label, "from": p.start.isoformat(),
                               "to": (p.end - dt.timedelta(days=1)).isoformat(), "period_note": note}
        backend = self._backend()
        table = stage_table(backend, start=start, end=end, identified=ident, by=dim)
        rows = stage_counts(table).to_pyarrow().to_pylist()
        keys = ("population", *STAGE_KEYS)
        total = {k: sum(int(r[k]) for r in rows) for k in keys}
        out.update(_block(total))
        out.update(by=dim, segments=None, note=None)
        if dim is not None:
            ordered = sorted(rows, key=lambda r: (r["segment"] is None, r["segment"] or ""))
            out["segments"] = [{"segment": r["segment"], **_block({k: int(r[k]) for k in keys})} for r in ordered]
            out["note"] = NULL_SEGMENT_NOTE
        return out
