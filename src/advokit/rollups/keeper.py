"""Keeping the KPI rollups (:mod:`advokit.rollups.parts`) of a workspace fresh, for :class:`KpiCache`.

The rollups answer a request only for periods whose *stamp* (the versions of
the data they depend on, kept by the KPI cache) still matches. This module
takes them up from the workspace file, computes what is missing or stale,
saves them back, keeps them fresh in a background thread once writes pause,
and brings the declared KPIs' periods forward with each appended batch
(:mod:`advokit.rollups.delta`). It is the rollup half of
:class:`advokit.rollups.cache.KpiCache` (a base class sharing its lock and versions).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..engine import Engine, KpiRequest, KpiResult, Period, periods_between
from ..engine.periods import Grain, period_of
from ..store.database import Database
from . import saved
from .delta import LiveRollups
from .parts import (
    FAMILIES,
    Family,
    Part,
    Rollups,
    choose_dimensions,
    compute_part,
    family,
    replace_periods,
)

if TYPE_CHECKING:
    from ..engine.service import KpiService

log = logging.getLogger(__name__)
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_GRAINS: tuple[Grain, ...] = ("month", "quarter", "year")
#: Below this many events, KPIs are computed from the events in well under a second: no rollups by default.
ROLLUP_MIN_EVENTS = 100_000


def rollup_min_events() -> int:
    """``ADVOKIT_ROLLUP_MIN_EVENTS`` (a whole number) or :data:`ROLLUP_MIN_EVENTS`."""
    text = os.environ.get("ADVOKIT_ROLLUP_MIN_EVENTS", "")
    return int(text) if text.strip().isdigit() else ROLLUP_MIN_EVENTS


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def months_of(p: Period) -> range:
    first = month_index(p.start)
    return range(first, first + _MONTHS[p.grain])


class RollupKeeper:
    """The rollup state and its upkeep; :class:`KpiCache` provides the lock, versions and month stamps."""

    _lock: threading.Lock
    _global: int
    _appends: int
    _months: dict[int, int]
    _bounds: tuple[int, tuple[dt.date, dt.date] | None] | None

    def _init_rollups(self, db: Database) -> None:
        self.rollup_hits = 0
        self._db = db
        #: (global version, rollups) — per period fresh while its stamp matches (see ``_stamp``)
        self._rollups: tuple[int, Rollups] | None = None
        self._rollups_loaded = False
        self._last_write = 0.0
        self._wake = threading.Event()
        self._maintainer: threading.Thread | None = None
        self._stop = False
        self._refresh_lock = threading.Lock()
        self._live: LiveRollups | None = None
        self._service: "KpiService | None" = None

    def _bump_locked(self, times: list[dt.datetime]) -> None:
        raise NotImplementedError

    def _wrote(self) -> None:
        self._last_write = time.monotonic()
        self._wake.set()

    def _drop_rollups_locked(self) -> None:
        self._rollups = None
        self._live = None
        self._rollups_loaded = True  # what is saved predates this write

    def _appended(self, times: list[dt.datetime], rows: list[pa.Table] | None = None) -> None:
        """Bump the months the events fell in; bring the declared KPIs' rollups forward with the events
        (``advokit.rollups.delta``) when they were fresh before, else let those periods go stale."""
        self._wrote()
        months = sorted({month_index(t.date()) for t in times})
        live, before = self._live_parts(months) if rows else (None, None)
        new_parts = None
        if live is not None and before is not None and rows:
            try:
                new_parts = live.apply(self._backend(), pa.concat_tables(rows, promote_options="default"), {g: p for g, (p, _) in before.items()})
            except Exception:  # the rollups only speed things up: those periods go stale instead
                log.warning("appended events not applied to the rollups", exc_info=True)
        applied = False
        with self._lock:  # the new parts and the new stamps together: readers see before or after
            held = self._rollups
            applied = (new_parts is not None and before is not None and held is not None
                       and held[0] == self._global
                       and all(held[1].parts.get((g, "declared")) is p for g, (p, _) in before.items()))
            self._bump_locked(times)
            if applied and new_parts is not None and before is not None and held is not None:
                for grain, part in new_parts.items():
                    for p in before[grain][1]:
                        part.stamps[p.start] = self._stamp(p, "declared")
                    held[1].parts[(grain, "declared")] = part
        if not applied and self._live is not None:
            self._live.forget(months)

    def _live_parts(self, months: Sequence[int]) -> tuple[LiveRollups | None,
                                                           dict[Grain, tuple[Part, list[Period]]] | None]:
        """The live rollups and, per grain, the declared part and the periods the months fall in, when
        every one of those periods is fresh (else None: nothing to bring forward)."""
        with self._lock:
            live = self._live
            held = self._rollups
            if live is None or not live.ready or held is None or held[0] != self._global \
                    or live.rollups is not held[1]:
                return None, None
            out: dict[Grain, tuple[Part, list[Period]]] = {}
            for grain in _GRAINS:
                part = held[1].parts.get((grain, "declared"))
                if part is None:
                    return live, None
                periods = sorted({period_of(dt.date(m // 12, m % 12 + 1, 1), grain) for m in months},
                                 key=lambda p: p.start)
                if any(part.stamps.get(p.start) != self._stamp(p, "declared") for p in periods):
                    return live, None
                out[grain] = (part, periods)
            return live, out

    def _backend(self) -> Any:
        service = self._service
        if service is None:
            raise RuntimeError("no workspace known to the KPI cache yet")
        return service.backend()

    # -- rollups ---------------------------------------------------------------------------
    def _stamp(self, p: Period, fam: Family) -> tuple[Any, ...]:
        """What a rollup period's values depend on (call with the lock held).

        A declared KPI's period depends on the months it spans; a custom KPI (look-back windows,
        first-time events, request-to-fulfilment) on every event before the period's end.
        """
        if fam == "declared":
            return (self._global, tuple(self._months.get(m, 0) for m in months_of(p)))
        last = months_of(p)[-1]
        return (self._global, sum(v for m, v in self._months.items() if m <= last))

    def _from_rollups(self, defs: Sequence[Any], req: KpiRequest,
                      periods: Sequence[Period]) -> list[dict[str, Any]] | None:
        """The request's rows from the rollups, when they cover it and are fresh for all its periods."""
        with self._lock:
            held = self._rollups
            if held is None or held[0] != self._global:
                return None
            rollups = held[1]
            if not rollups.covers(defs, req.by, req.filters):
                return None
            checked: dict[Family, Part] = {}
            for fam in {family(k) for k in defs}:
                part = rollups.parts.get((req.grain, fam))
                if part is None or any(part.stamps.get(p.start) != self._stamp(p, fam) for p in periods):
                    return None
                checked[fam] = part
        try:  # the parts just checked, whatever a refresh or an append installs meanwhile
            table = rollups.rows(req.grain, defs, req.by, req.filters, periods, parts=checked)
        except Exception:  # the rollups only speed things up: the engine answers instead
            log.warning("rollups could not answer a request", exc_info=True)
            return None
        if table is None:
            return None
        with self._lock:
            self.rollup_hits += 1
        return KpiResult(table, by=req.by).to_dicts()

    def _load_rollups(self, service: "KpiService") -> None:
        """Take up the rollups saved in the workspace (once, before anything was written)."""
        if self._rollups_loaded:
            return
        with self._lock:
            if self._rollups_loaded:
                return
            self._rollups_loaded = True
            version, appends = self._global, self._appends

        rollups = saved.load(self._db, service.catalogue)
        if rollups is None:
            return
        with self._lock:
            if self._global != version or self._appends != appends:
                return  # something landed while reading: the saved rollups predate it
            for (grain, fam), part in rollups.parts.items():
                starts = sorted({d for d in part.cells["period_start"].to_pylist()}
                                | {d for d in part.total["period_start"].to_pylist()})
                part.stamps = {d.date(): self._stamp(Period(start=d.date(), grain=grain), fam) for d in starts}
            self._rollups = (version, rollups)

    def rollups(self) -> Rollups | None:
        """The current rollups (None: not built, or dropped by a write)."""
        with self._lock:
            held = self._rollups
            return held[1] if held is not None and held[0] == self._global else None

    def refresh_rollups(self, service: "KpiService", *, save: bool = True,
                        yield_to_writes: float | None = None) -> bool:
        """Compute what the rollups lack or hold stale (every period of the data, month, quarter and year),
        then save them in the workspace when no write landed meanwhile. True when they are up to date.

        ``yield_to_writes``: stop early (keeping what is done) when a write landed less than that many
        seconds ago, so a background refresh gives way to a stream of writes."""
        self._service = service
        with self._refresh_lock:
            self._load_rollups(service)
            with self._db.write_lock, self._lock:  # no write half done (committed, versions not yet bumped)
                writes = self._db.writes
                version = self._global
                held = self._rollups if self._rollups is not None and self._rollups[0] == version else None
            dims = service.dimensions()
            engine = Engine(service.backend(), service.catalogue, dimensions=dims)
            rollups = held[1] if held is not None else Rollups(choose_dimensions(engine.backend, dims),
                                                              list(service.catalogue))
            bounds = engine.data_range()
            if bounds is None:
                return False
            changed = held is None
            for grain in _GRAINS:
                periods = periods_between(bounds[0], bounds[1] + dt.timedelta(days=1), grain)
                stale: dict[Family, tuple[Period, ...]] = {}
                stamps: dict[Family, dict[dt.date, tuple[Any, ...]]] = {}
                for fam in FAMILIES:
                    if not rollups.kpis_of(fam):
                        continue
                    with self._lock:
                        if self._global != version:
                            return False
                        stamps[fam] = {p.start: self._stamp(p, fam) for p in periods}
                    old = rollups.parts.get((grain, fam))
                    todo = tuple(p for p in periods if old is None or old.stamps.get(p.start) != stamps[fam][p.start])
                    if todo:
                        stale[fam] = todo
                # Families with the same stale periods (the usual case) are computed by one query.
                groups: dict[tuple[Period, ...], list[Family]] = {}
                for fam, todo in stale.items():
                    groups.setdefault(todo, []).append(fam)
                for todo, fams in groups.items():
                    if self._stop or (yield_to_writes is not None
                                      and time.monotonic() - self._last_write < yield_to_writes):
                        return False
                    kpis = [k for fam in fams for k in rollups.kpis_of(fam)]
                    computed = [(run, *compute_part(engine, kpis, grain, run, rollups.dims))
                                for run in runs(list(todo))]
                    for fam in fams:
                        old = rollups.parts.get((grain, fam))
                        part = Part(cells=old.cells, total=old.total, stamps=dict(old.stamps)) if old else None
                        for run, cells, total in computed:
                            cells, total = rollups.columns_of(fam, cells), rollups.columns_of(fam, total)
                            if part is None:
                                part = Part(cells=cells, total=total)
                            else:
                                starts = [p.start for p in run]
                                part.cells = replace_periods(part.cells, cells, starts)
                                part.total = replace_periods(part.total, total, starts)
                            part.stamps.update({p.start: stamps[fam][p.start] for p in run})
                        assert part is not None
                        with self._lock:  # unless an append brought the part forward meanwhile
                            if rollups.parts.get((grain, fam)) is not old:
                                return False
                            rollups.parts[(grain, fam)] = part
                        changed = True
            rollups.prepare_common()  # compiled once per Rollups object
            with self._lock:
                if self._global != version:
                    return False
                self._rollups = (version, rollups)
        if save and changed and not self._db.read_only:
            saved.save(self._db, rollups, service.catalogue,
                       lambda: self._db.writes == writes and self.rollup_status()["stale_periods"] == 0)
        self._prepare_live(service, rollups)
        return True

    def _prepare_live(self, service: "KpiService", rollups: Rollups) -> None:
        """Get ready to bring the declared KPIs' rollups forward with appended events."""
        with self._lock:
            if self._live is not None and self._live.rollups is rollups:
                return
        live = LiveRollups(rollups)
        live.prepare(service.backend())
        with self._db.write_lock:  # no write between reading the bitmaps and using them
            with self._lock:
                current = self._rollups is not None and self._rollups[0] == self._global \
                    and self._rollups[1] is rollups
                bounds = self._bounds[1] if self._bounds is not None and self._bounds[0] == self._global else None
            if current:
                if bounds is None:
                    bounds = Engine(service.backend(), service.catalogue, dimensions=[]).data_range()
                if bounds is not None:
                    live.preload(service.backend(), bounds[1])
            with self._lock:  # still under the write lock: no batch lands between the bitmaps and this
                held = self._rollups
                if held is not None and held[0] == self._global and held[1] is rollups:
                    self._live = live

    def rollup_status(self) -> dict[str, Any]:
        """Whether rollups are built, their dimensions, and how many of their periods wait for a refresh."""
        with self._lock:
            held = self._rollups
            if held is None or held[0] != self._global:
                return {"built": False, "dims": [], "stale_periods": 0}
            rollups = held[1]
            stale = sum(1 for (grain, fam), part in rollups.parts.items() for start, stamp in part.stamps.items()
                        if stamp != self._stamp(Period(start=start, grain=grain), fam))
            return {"built": True, "dims": list(rollups.dims), "stale_periods": stale}

    def wants_rollups(self, service: "KpiService") -> bool:
        """Whether rollups pay off here: they exist already, or the workspace is big enough."""
        return self.rollups() is not None or service.counts()["events"] >= rollup_min_events()

    def ensure_rollups(self, service: "KpiService", *, yield_to_writes: float | None = None) -> bool:
        """Refresh the rollups when they pay off (see :meth:`wants_rollups`); True when they are up to date."""
        self._load_rollups(service)
        return self.wants_rollups(service) and self.refresh_rollups(service, yield_to_writes=yield_to_writes)

    def maintain(self, service: "KpiService", *, quiet_seconds: float = 1.0) -> threading.Thread:
        """Keep the rollups up to date in a background thread: at start, and after writes once the
        workspace has been quiet for ``quiet_seconds`` (so a stream of writes is not slowed by it)."""
        with self._lock:
            if self._maintainer is not None and self._maintainer.is_alive():
                return self._maintainer

            def run() -> None:
                rest_until = 0.0
                while not self._stop:
                    self._wake.wait()
                    self._wake.clear()
                    # wait for a pause in the writes, and rest 3× as long as the last refresh took
                    while not self._stop:
                        now = time.monotonic()
                        wait = max(quiet_seconds - (now - self._last_write), rest_until - now)
                        if wait <= 0:
                            break
                        time.sleep(min(wait, 5.0))
                    if self._stop:
                        return
                    began = time.monotonic()
                    try:
                        self.ensure_rollups(service, yield_to_writes=quiet_seconds)
                    except Exception:  # the rollups only speed things up: KPIs are computed without them
                        log.warning("rollup refresh failed", exc_info=True)
                    ended = time.monotonic()
                    rest_until = ended + 3.0 * (ended - began)

            self._wake.set()
            self._maintainer = threading.Thread(target=run, name="advokit-rollups", daemon=True)
            self._maintainer.start()
            return self._maintainer

    def stop(self, timeout: float | None = 60.0) -> None:
        """Stop the background maintenance and wait (up to ``timeout`` seconds) for the refresh under way,
        which ends at its next step."""
        self._stop = True
        self._wake.set()
        thread = self._maintainer
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)


def runs(periods: list[Period]) -> list[list[Period]]:
    """Contiguous runs of periods (each computed with one query)."""
    out: list[list[Period]] = []
    for p in periods:
        if out and out[-1][-1].end == p.start:
            out[-1].append(p)
        else:
            out.append([p])
    return out
