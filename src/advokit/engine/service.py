"""``KpiService``: KPI values of one workspace database, the calls every other service makes.

It owns nothing but a per-thread Ibis backend on the workspace's DuckDB
connection; the database and the catalogue are handed in. ``compute`` always
runs the engine; ``values`` gives the same rows through a value cache when
one is attached (the rollup-backed :class:`advokit.rollups.KpiCache`, which
the :class:`~advokit.Workspace` attaches; this module does not import it).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import ibis

from ..catalogue import Catalogue, KpiDefinition
from ..coverage import Coverage, Marker, mark_rows, mark_table
from ..store.attributes import offered_dimensions
from ..store.database import Database
from .compiler import Engine, KpiRequest
from .periods import Grain, Period, check_grain, check_in_data, parse_bound, parse_period_label, period_of
from .result import KpiResult

Filters = Mapping[str, str | None]

#: The twelve KPIs of ``summary`` and the demo's printout, in order.
CORE_KPIS: tuple[str, ...] = (
    "nps", "csat", "customer_advocacy_score", "advocacy_actions_per_customer", "active_advocates_rate",
    "referral_participation_rate", "referral_conversion_rate", "referral_revenue", "customer_churn_rate",
    "customer_retention_rate", "contract_renewal_rate", "expansion_revenue",
)


class ValueCache(Protocol):
    """What ``values`` needs of a cache: exactly ``compute(...).to_dicts()``, maybe from memory."""

    def rows(self, service: "KpiService", kpis: Sequence[str], /, *, period: str = "month", by: Sequence[str] = (),
             start: str | dt.date | None = None, end: str | dt.date | None = None,
             filters: Filters | None = None) -> list[dict[str, Any]]: ...


def _listed(value: Sequence[str] | str) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _bounds(label: str) -> tuple[dt.date, dt.date]:
    """A row's period (the engine's own label, so not checked against the calendar: a trend's history
    may reach a year before the first one a person may type)."""
    year, _, rest = label.partition("-")
    if not rest:
        p = Period(dt.date(int(year), 1, 1), "year")
    elif rest.startswith("Q"):
        p = Period(dt.date(int(year), (int(rest[1:]) - 1) * 3 + 1, 1), "quarter")
    else:
        p = Period(dt.date(int(year), int(rest), 1), "month")
    return p.start, p.end


class KpiService:
    """KPI requests, results and their SQL over one :class:`~advokit.store.Database`."""

    def __init__(self, db: Database, catalogue: Catalogue, *,
                 cache: Callable[[], ValueCache] | None = None) -> None:
        self.db = db
        self.catalogue = catalogue
        self._cache = cache
        self._local = threading.local()
        #: where the workspace holds each input a KPI reads; every row is marked with it
        self.coverage = Coverage(db)

    # -- the engine on this thread ---------------------------------------------------
    def backend(self) -> ibis.BaseBackend:
        """An Ibis backend on a cursor of this thread's own.

        Not the thread's ``db.cursor()``: with DuckDB 2 a result of ``execute()``
        left half-read there (``fetchone``) would block every Ibis query after it.
        A new one after the workspace's connection was replaced (``Database.rewrite``).
        """
        self.db.wait_ready()
        backend: ibis.BaseBackend | None = getattr(self._local, "backend", None)
        if backend is None or getattr(self._local, "generation", -1) != self.db.generation:
            backend = ibis.duckdb.from_connection(self.db.new_cursor())
            self._local.backend = backend
            self._local.generation = self.db.generation
        return backend

    def dimensions(self) -> list[str]:
        """The customer attributes a request may break down or filter by: those of at most
        ``MAX_DIMENSION_VALUES`` distinct values (``advokit.store.attributes``)."""
        return offered_dimensions(self.db)

    def engine(self) -> Engine:
        return Engine(self.backend(), self.catalogue, dimensions=self.dimensions())

    def kpi(self, kpi_id: str) -> KpiDefinition:
        return self.catalogue.get(kpi_id)

    # -- requests and values -----------------------------------------------------------
    def request(self, kpis: Sequence[str], *, period: str = "month", by: Sequence[str] = (),
                start: str | dt.date | None = None, end: str | dt.date | None = None,
                filters: Filters | None = None) -> KpiRequest:
        """Validate and normalise a KPI request (raises ``InputError`` subclasses).

        ``start`` / ``end`` as text name periods or days, both inclusive (``end="2025-02"`` includes
        February); a ``date`` object is a bound as it is, ``end`` exclusive (:func:`periods.parse_bound`).
        KPI ids may be aliases; the request carries the canonical ids.
        """
        grain: Grain = check_grain(period)
        return KpiRequest(kpis=tuple(self.catalogue.resolve(k) for k in kpis), grain=grain, by=tuple(by),
                          start=parse_bound(start, name="--from", end=False),
                          end=parse_bound(end, name="--to", end=True),
                          filters=tuple(sorted((filters or {}).items(), key=lambda kv: kv[0])))

    def compute(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
                start: str | dt.date | None = None, end: str | dt.date | None = None,
                filters: Filters | None = None) -> KpiResult:
        """KPI values by period (and segment) in the output contract of kpi-semantics.md.

        ``filters`` keeps only customers whose attribute equals the value
        (``{"segment": "Enterprise"}``); events follow their customer.
        """
        req = self.request(_listed(kpis), period=period, by=_listed(by), start=start, end=end, filters=filters)
        return KpiResult(mark_table(self.engine().compute(req), self.marker()), by=req.by)

    def marker(self) -> Marker:
        """Coverage verdicts for rows computed now (``coverage`` and ``note`` of every row)."""
        return Marker(self.coverage, self.catalogue, _bounds)

    def values(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
               start: str | dt.date | None = None, end: str | dt.date | None = None,
               filters: Filters | None = None) -> list[dict[str, Any]]:
        """Exactly ``compute(...).to_dicts()``, served from the value cache where still valid."""
        if self._cache is None:
            return self.compute(kpis, period=period, by=by, start=start, end=end, filters=filters).to_dicts()
        rows = self._cache().rows(self, _listed(kpis), period=period, by=_listed(by), start=start, end=end,
                                  filters=filters)
        return mark_rows(rows, self.marker())

    def sql(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
            start: str | dt.date | None = None, end: str | dt.date | None = None,
            filters: Filters | None = None, dialect: str = "duckdb") -> str:
        """The SQL a KPI request compiles to (for review, or to run on PostgreSQL / Spark)."""
        req = self.request(_listed(kpis), period=period, by=_listed(by), start=start, end=end, filters=filters)
        return self.engine().sql(req, dialect=dialect)

    # -- what the data spans -------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """How many customers and events the workspace holds."""
        return self.db.counts()

    def data_range(self) -> tuple[dt.date, dt.date] | None:
        """First and last day holding an event or a signup (None for an empty workspace)."""
        return Engine(self.backend(), self.catalogue, dimensions=[]).data_range()

    def latest_complete_period(self, grain: Grain = "month", *, today: dt.date | None = None) -> str | None:
        """The last period of ``grain`` that has ended and holds data (None for an empty workspace).

        "Holds data" means at least one event in it; a workspace with customers and no events falls
        back to their signups. "Ended" means before ``today`` (UTC) and before the day after the last
        day with data. When no ended period holds an event, the last ended period is the answer.
        """
        bounds = self.engine().data_range()
        if bounds is None:
            return None
        today = today or dt.datetime.now(dt.timezone.utc).date()
        last = min(bounds[1], today)
        p = period_of(last, grain)
        if p.end > today or p.end > bounds[1] + dt.timedelta(days=1):
            p = p.shift(-1)
        latest = self._last_event_before(p.end)
        return period_of(latest, grain).label if latest is not None else p.label

    def _last_event_before(self, end: dt.date) -> dt.date | None:
        """The day of the last event before ``end`` (of the last signup when there is no event at all)."""
        cut = dt.datetime(end.year, end.month, end.day)
        e = self.backend().table("events")
        day = e.filter(e.occurred_at < cut).occurred_at.max().to_pyarrow().as_py()
        if day is None and not self.db.counts().get("events"):
            c = self.backend().table("customers")
            day = c.filter(c.signup_at < cut).signup_at.max().to_pyarrow().as_py()
        return None if day is None else (day.date() if isinstance(day, dt.datetime) else day)

    def period_in_data(self, label: str) -> Period:
        """The period of ``label``, checked to overlap the data's span (else ``PeriodOutsideDataError``)."""
        return check_in_data(parse_period_label(label), self.data_range())

    def summary(self, *, period: str | None = None, kpis: Sequence[str] = CORE_KPIS) -> list[dict[str, Any]]:
        """Each KPI's value in a month and its change against the month before."""
        label = period or self.latest_complete_period("month")
        if label is None:
            return []
        current = self.period_in_data(label) if period else parse_period_label(label)
        previous = current.shift(-1)
        rows = self.compute(list(kpis), period=current.grain, start=previous.start, end=current.end).to_dicts()
        by_key = {(r["kpi"], r["period"]): r for r in rows}
        out = []
        for kpi_id in kpis:
            now = by_key.get((kpi_id, current.label), {})
            before = by_key.get((kpi_id, previous.label), {})
            value, prior = now.get("value"), before.get("value")
            definition = self.kpi(kpi_id)
            # a change only between two covered months (a not-tracked value is null already)
            covered = now.get("coverage") != "not_tracked" and before.get("coverage") != "not_tracked"
            out.append({"kpi": kpi_id, "name": definition.name, "unit": definition.unit,
                        "period": current.label, "value": value, "previous_period": previous.label,
                        "previous": prior, "n": now.get("n"), "coverage": now.get("coverage"),
                        "note": now.get("note"),
                        "change": None if value is None or prior is None or not covered else value - prior})
        return out
