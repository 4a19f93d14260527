"""Where the workspace holds each coverage input: spans from the data, or declared by the user.

An event-type input spans from the first to the last stored event of its types (by ``occurred_at``,
UTC, across the whole workspace). A customer-field input is covered everywhere once one customer has a
value in it. A span the user declared (``coverage_spans``, ``advokit coverage set``) replaces what the
data says; for a group of types a span declared for the group wins over those of its members.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from ..catalogue import Catalogue, KpiDefinition
from ..catalogue.model import CUSTOMER_FIELD_INPUTS, EVENT_TYPES, INPUT_GROUPS
from ..errors import InvalidArgumentError
from ..store.database import Database
from .inputs import Input, input_named, inputs_of

Source = Literal["data", "user", "none"]


@dataclass(frozen=True)
class Span:
    """Days from ``start`` to ``end``, both included; None is open on that side."""

    start: dt.date | None
    end: dt.date | None

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        """Whether the half-open range [start, end) shares a day with the span."""
        return (self.start is None or end > self.start) and (self.end is None or start <= self.end)


@dataclass(frozen=True)
class SpanInfo:
    """An input's span and where it comes from (``none``: the workspace does not hold the input)."""

    input: Input
    span: Span | None
    source: Source

    def to_dict(self) -> dict[str, Any]:
        span = self.span
        return {"input": self.input.name, "kind": self.input.kind,
                "from": span.start.isoformat() if span and span.start else None,
                "to": span.end.isoformat() if span and span.end else None,
                "source": self.source, "covered": span is not None}


@dataclass(frozen=True)
class _Data:
    events: dict[str, tuple[dt.date, dt.date]]
    fields: frozenset[str]
    user: dict[str, tuple[dt.date | None, dt.date | None]]


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


class Coverage:
    """The spans of one workspace's inputs, read once per committed write."""

    def __init__(self, db: Database, *, today: dt.date | None = None) -> None:
        self.db = db
        self._today = today
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int], _Data] | None = None

    # -- what the data says -----------------------------------------------------------
    def _data(self) -> _Data:
        stamp = (self.db.writes, self.db.generation)
        with self._lock:
            if self._cached is not None and self._cached[0] == stamp:
                return self._cached[1]
        cur = self.db.cursor()
        events = {str(t): (_day(lo), _day(hi)) for t, lo, hi in cur.execute(
            "SELECT type, min(occurred_at), max(occurred_at) FROM events GROUP BY type").fetchall()
            if lo is not None}
        counts = cur.execute("SELECT count(churned_at), count(arr), count(referred_by) FROM customers").fetchall()[0]
        fields = frozenset(f for f, n in zip(CUSTOMER_FIELD_INPUTS, counts, strict=True) if n)
        try:
            user = {str(name): (lo, hi) for name, lo, hi in cur.execute(
                "SELECT input, span_from, span_to FROM coverage_spans").fetchall()}
        except duckdb.CatalogException:  # a read-only workspace of an older schema
            user = {}
        data = _Data(events, fields, user)
        with self._lock:
            self._cached = (stamp, data)
        return data

    def today(self) -> dt.date:
        return self._today or dt.datetime.now(dt.timezone.utc).date()

    # -- spans -------------------------------------------------------------------------
    def _user_span(self, data: _Data, name: str, first: dt.date | None, last: dt.date | None) -> Span:
        lo, hi = data.user[name]
        end = hi if hi is not None else max(last or self.today(), self.today())
        return Span(lo if lo is not None else first, end)

    def _type_span(self, data: _Data, kind: str) -> tuple[Span | None, Source]:
        seen = data.events.get(kind)
        if kind in data.user:
            return self._user_span(data, kind, seen[0] if seen else None, seen[1] if seen else None), "user"
        return (Span(*seen), "data") if seen else (None, "none")

    def info(self, item: Input | str) -> SpanInfo:
        """The span of one input (an ``Input`` or its name)."""
        item = input_named(item) if isinstance(item, str) else item
        data = self._data()
        if item.kind == "customer_field":
            if item.name in data.user:
                return SpanInfo(item, self._user_span(data, item.name, None, None), "user")
            return SpanInfo(item, Span(None, None), "data") if item.name in data.fields else SpanInfo(item, None, "none")
        if len(item.types) == 1:
            span, source = self._type_span(data, item.types[0])
            return SpanInfo(item, span, source)
        seen = [data.events[t] for t in item.types if t in data.events]
        first = min((s[0] for s in seen), default=None)
        last = max((s[1] for s in seen), default=None)
        if item.name in data.user:
            return SpanInfo(item, self._user_span(data, item.name, first, last), "user")
        parts = [self._type_span(data, t) for t in item.types]
        spans = [s for s, _ in parts if s is not None]
        if not spans:
            return SpanInfo(item, None, "none")
        lo = None if any(s.start is None for s in spans) else min(s.start for s in spans if s.start)
        hi = None if any(s.end is None for s in spans) else max(s.end for s in spans if s.end)
        return SpanInfo(item, Span(lo, hi), "user" if any(src == "user" for _, src in parts) else "data")

    def infos(self, kpi: KpiDefinition) -> list[SpanInfo]:
        return [self.info(i) for i in inputs_of(kpi)]

    def listing(self, catalogue: Catalogue) -> list[dict[str, Any]]:
        """Every input (those the catalogue's KPIs read, every event type, every customer field) with
        its span, source and the KPIs that need it."""
        needed: dict[str, list[str]] = {}
        for kpi in catalogue:
            for item in inputs_of(kpi):
                needed.setdefault(item.name, []).append(kpi.id)
        names = [*needed, *(t for t in EVENT_TYPES if t not in needed),
                 *(g for g in INPUT_GROUPS if g not in needed),
                 *(f for f in CUSTOMER_FIELD_INPUTS if f not in needed)]
        rows = []
        for name in sorted(dict.fromkeys(names)):
            row = self.info(name).to_dict()
            row["kpis"] = needed.get(name, [])
            rows.append(row)
        return rows

    # -- the user's spans ----------------------------------------------------------------
    def set(self, name: str, *, start: dt.date | None, end: dt.date | None) -> SpanInfo:
        """Declare the span of input ``name`` (days included; None: from the first event / ongoing)."""
        item = input_named(name)
        if start is None and end is None:
            raise InvalidArgumentError("give --from, --to or both", hint=f"advokit coverage set {name} --from 2024-03")
        if start is not None and end is not None and end < start:
            raise InvalidArgumentError(f"--to {end} is before --from {start}")
        if start is None and self.info(item).span is None:
            raise InvalidArgumentError(f"the workspace holds no {item.label}: give --from",
                                       hint=f"advokit coverage set {name} --from YYYY-MM")
        with self.db.transaction(data=False) as cur:
            cur.execute("DELETE FROM coverage_spans WHERE input = ?", [name])
            cur.execute("INSERT INTO coverage_spans VALUES (?, ?, ?, ?)",
                        [name, start, end, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)])
        return self.info(item)

    def clear(self, name: str) -> bool:
        """Forget the user's span of ``name`` (True when there was one); the data's span applies again."""
        input_named(name)
        with self.db.transaction(data=False) as cur:
            had = cur.execute("SELECT count(*) FROM coverage_spans WHERE input = ?", [name]).fetchall()[0][0]
            cur.execute("DELETE FROM coverage_spans WHERE input = ?", [name])
        return bool(had)

    def declared(self) -> Iterable[str]:
        return sorted(self._data().user)
