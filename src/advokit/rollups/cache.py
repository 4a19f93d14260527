"""A KPI result cache that writes invalidate period by period.

``Workspace.values(...)`` returns exactly ``Workspace.compute(...).to_dicts()``;
this cache makes repeated requests cheap while data keeps arriving.

How it stays exact:

* Every declarative KPI (ratio, total, NPS) is *period-local*: its value for a
  period depends only on that period's events and on the customers table.
  So results are cached per (request shape, period), each stamped with the
  versions of the calendar months the period spans.
* A batch of events appended through :meth:`KpiCache.appending` bumps only the
  months its events fall in (and widens the cached data range); every other
  write of data (customers, erasure, demo, any ``Database.transaction`` but
  those with ``data=False``: comments, keys, targets, webhook sources) bumps
  the global version and drops everything. A stamp is read *before* computing, so
  an entry computed while a write lands is simply recomputed next time.
* KPIs made only of population measures (churn, retention) depend on the
  customers table alone: appended events leave them valid.
* Requests with a custom (non-declarative) KPI are cached whole and dropped on
  any write (events included).

Concurrent identical misses share one computation. A request therefore
rescans only the periods that changed since it was last asked: while events
for the current month stream in, a 24-month trend query recomputes one month,
with the event scan narrowed to that month.

A miss is answered from the KPI rollups when they cover the request and are
fresh for its periods (:mod:`advokit.rollups.keeper`, the base class that keeps
them), else computed by the engine.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..catalogue.model import CustomCompute, EventMeasure
from ..engine import (
    Engine,
    KpiRequest,
    KpiResult,
    Period,
    measures,
    periods_between,
    uncertainty,
)
from ..engine.compiler import Prepared
from ..engine.text_groups import THEME
from ..store.database import Database
from .keeper import RollupKeeper, month_index, months_of, runs

if TYPE_CHECKING:
    from ..engine.service import KpiService

Bounds = tuple[dt.date, dt.date] | None


@dataclass
class AppendScope:
    """What an append wrote: the UTC times of the events that landed (None: unknown), and the landed
    events themselves when the writer has them as columns (None: not given; their rollup periods then
    go stale instead of being brought forward)."""

    writes: int = 0
    times: list[dt.datetime] | None = field(default_factory=list)
    rows: list[pa.Table] | None = field(default_factory=list)

    def landed(self, times: Iterable[dt.datetime] | None, rows: pa.Table | None = None) -> None:
        if times is None or self.times is None:
            self.times = None
        else:
            times = list(times)
            self.times.extend(times)
            if not times:
                return
        if rows is None:
            self.rows = None
        elif self.rows is not None:
            self.rows.append(rows)


class KpiCache(RollupKeeper):
    """Per-period KPI rows, valid while the months they cover are unchanged."""

    def __init__(self, db: Database, *, max_entries: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._max = max_entries
        self._global = 0
        self._appends = 0
        self._months: dict[int, int] = {}
        self._entries: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], list[dict[str, Any]]]] = OrderedDict()
        self._bounds: tuple[int, Bounds] | None = None
        self._dims: tuple[int, list[str]] | None = None
        self._inflight: dict[tuple[Any, ...], Future[list[dict[str, Any]]]] = {}
        self._prepared: OrderedDict[tuple[Any, ...], tuple[int, Prepared]] = OrderedDict()
        self._max_prepared = 256
        self.hits = 0
        self.misses = 0
        self._init_rollups(db)
        db.on_change(self._on_change)

    # -- invalidation --------------------------------------------------------------
    def _on_change(self, what: str) -> None:
        if what == "meta":  # comments, keys, targets: no KPI value changes
            return
        scope: AppendScope | None = getattr(self._local, "scope", None)
        if scope is not None:
            scope.writes += 1
        else:
            self.invalidate()

    def invalidate(self) -> None:
        """Drop everything (any write whose reach is unknown)."""
        with self._lock:
            self._global += 1
            self._entries.clear()
            self._prepared.clear()
            self._bounds = self._dims = None
            self._drop_rollups_locked()
        self._wrote()

    @contextmanager
    def appending(self) -> Iterator[AppendScope]:
        """Wrap an events-only append; call ``scope.landed(times)`` with the UTC times of what landed."""
        scope = AppendScope()
        outer = getattr(self._local, "scope", None)
        self._local.scope = scope
        ok = False
        try:
            yield scope
            ok = True
        finally:
            self._local.scope = outer
            if scope.writes:
                if ok and scope.times is not None:
                    self._appended(scope.times, scope.rows)
                else:
                    self.invalidate()

    def _bump_locked(self, times: list[dt.datetime]) -> None:
        self._appends += 1
        for m in {month_index(t.date()) for t in times}:
            self._months[m] = self._months.get(m, 0) + 1
        if times and self._bounds is not None and self._bounds[0] == self._global:
            lo, hi = min(times).date(), max(times).date()
            old = self._bounds[1]
            self._bounds = (self._global, (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi)))

    # -- lookup ----------------------------------------------------------------------
    def rows(self, service: "KpiService", kpis: Sequence[str], *, period: str = "month", by: Sequence[str] = (),
             start: str | dt.date | None = None, end: str | dt.date | None = None,
             filters: Mapping[str, str | None] | None = None) -> list[dict[str, Any]]:
        """Exactly ``service.compute(...).to_dicts()``, from cache where still valid."""
        req = service.request(kpis, period=period, by=by, start=start, end=end, filters=filters)
        with self._lock:
            version = self._global
            dims = self._dims[1] if self._dims and self._dims[0] == version else None
        if dims is None:
            dims = service.dimensions()
            with self._lock:
                if self._global == version:
                    self._dims = (version, dims)
        engine = Engine(service.backend(), service.catalogue, dimensions=dims)
        defs = engine.check(req)
        periods = self._periods(engine, req, version)
        if not periods:
            return []
        ids = [k.id for k in defs]
        # theme names and assignments change in writes that leave KPI values alone (refresh, rename, merge):
        # a breakdown by theme is stamped with the count of every write, read before computing
        themes = service.db.writes if THEME in req.by else None
        shape = (tuple(ids), req.grain, req.by, req.filters, themes)
        self._load_rollups(service)
        if any(isinstance(k.compute, CustomCompute) for k in defs):
            return self._whole(engine, req, shape, periods, defs)
        uses_events = any(isinstance(leaf, EventMeasure) for k in defs
                          for leaf in (*measures.kpi_leaves(k), *uncertainty.extra_leaves(k)))
        with self._lock:  # population-only KPIs (churn, retention...) do not care about appended events
            stamps = {p: (self._global, tuple(self._months.get(m, 0) for m in months_of(p)) if uses_events else ())
                      for p in periods}
            got: dict[Period, list[dict[str, Any]]] = {}
            for p in periods:
                entry = self._entries.get((shape, p.start))
                if entry is not None and entry[0] == stamps[p]:
                    self._entries.move_to_end((shape, p.start))
                    got[p] = entry[1]
            self.hits += len(got)
            self.misses += len(periods) - len(got)
        for run in runs([p for p in periods if p not in got]):
            sub = KpiRequest(kpis=req.kpis, grain=req.grain, by=req.by, start=run[0].start, end=run[-1].end,
                             filters=req.filters)
            key = (shape, run[0].start, run[-1].end, tuple(stamps[p] for p in run))
            part = self._from_rollups(defs, sub, run)
            if part is None:
                part = self._once(key, partial(self._compute, engine, sub, (shape, run[0].start, run[-1].end),
                                               version))
            by_label: dict[str, list[dict[str, Any]]] = {}
            for r in part:  # one pass (a long run has thousands of periods)
                by_label.setdefault(r["period"], []).append(r)
            for p in run:
                got[p] = by_label.get(p.label, [])
            with self._lock:
                for p in run:
                    self._put((shape, p.start), stamps[p], got[p])
        if len(ids) == 1:
            return [dict(r) for p in periods for r in got[p]]
        return [dict(r) for kpi in ids for p in periods for r in got[p] if r["kpi"] == kpi]

    def _once(self, key: tuple[Any, ...], compute: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """Run ``compute`` once for concurrent identical misses (same request, periods and stamps)."""
        with self._lock:
            future = self._inflight.get(key)
            mine = future is None
            if mine:
                future = self._inflight[key] = Future()
        assert future is not None
        if not mine:
            return future.result()
        try:
            rows = compute()
            future.set_result(rows)
            return rows
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)

    def _compute(self, engine: Engine, req: KpiRequest, key: tuple[Any, ...], version: int) -> list[dict[str, Any]]:
        """The rows of ``req``, reusing its compiled query when the same range was computed before.

        While events stream into one month, the same one-month request is recomputed
        again and again: only its SQL runs again, Ibis builds and compiles it once.
        Any write other than an append (a new attribute, customers...) compiles anew.
        """
        with self._lock:
            entry = self._prepared.get(key)
            prepared = entry[1] if entry is not None and entry[0] == version else None
        if prepared is None:
            prepared = engine.prepare(req)
            with self._lock:
                if self._global == version:
                    self._prepared[key] = (version, prepared)
                    self._prepared.move_to_end(key)
                    while len(self._prepared) > self._max_prepared:
                        self._prepared.popitem(last=False)
        return KpiResult(engine.run(prepared), by=req.by).to_dicts()

    def _whole(self, engine: Engine, req: KpiRequest, shape: tuple[Any, ...],
               periods: list[Period], defs: list[Any]) -> list[dict[str, Any]]:
        key = (shape, "whole", periods[0].start, periods[-1].end)
        with self._lock:
            stamp = (self._global, self._appends)
            entry = self._entries.get(key)
            if entry is not None and entry[0] == stamp:
                self.hits += 1
                return [dict(r) for r in entry[1]]
            self.misses += 1
        sub = KpiRequest(kpis=req.kpis, grain=req.grain, by=req.by, start=periods[0].start,
                         end=periods[-1].end, filters=req.filters)
        rows = self._from_rollups(defs, sub, periods)
        if rows is None:
            rows = KpiResult(engine.compute(sub), by=req.by).to_dicts()
        with self._lock:
            self._put(key, stamp, rows)
        return [dict(r) for r in rows]

    def _put(self, key: tuple[Any, ...], stamp: tuple[Any, ...], rows: list[dict[str, Any]]) -> None:
        if stamp[0] != self._global:
            return
        self._entries[key] = (stamp, rows)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def _periods(self, engine: Engine, req: KpiRequest, version: int) -> list[Period]:
        """The periods ``Engine.periods`` would choose, with the data range cached."""
        if req.start is not None and req.end is not None:
            return periods_between(req.start, req.end, req.grain)
        with self._lock:
            cached = self._bounds if self._bounds and self._bounds[0] == version else None
            appends = self._appends
        if cached is None:
            bounds = engine.data_range()
            with self._lock:  # keep it only if nothing landed meanwhile
                if self._global == version and self._appends == appends and self._bounds is None:
                    self._bounds = (version, bounds)
        else:
            bounds = cached[1]
        if bounds is None:
            return []
        start = req.start or bounds[0]
        end = req.end or bounds[1] + dt.timedelta(days=1)
        return periods_between(start, end, req.grain)
