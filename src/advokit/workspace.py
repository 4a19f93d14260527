"""``Workspace``: the one entry point of every shell (CLI, REST API, dashboard, reports).

A small facade: it opens the workspace file, loads the catalogue and hands
out the domain services as attributes, each given only what it needs::

    ws.kpis         KPI values, their SQL, the data's span        (advokit.engine.KpiService)
    ws.rollups      the rollup-backed KPI cache behind ws.kpis     (advokit.rollups.KpiCache)
    ws.analysis     trends, scorecards, comparisons, cohorts, targets, maturity  (advokit.analysis)
    ws.ingest       imports of files, frames and API batches       (advokit.ingest.Ingest)
    ws.customers    profiles, the customer directory                (advokit.customers.Customers)
    ws.access       API keys, webhook secrets, privacy requests     (advokit.access.Access)
    ws.commentary   the team's comments, actions and requests        (advokit.commentary.Commentary)
    ws.settings     the workspace's settings: currency, report headline KPIs  (advokit.settings.Settings)
    ws.delivery     report schedules and their e-mail / webhook deliveries  (advokit.delivery.Delivery)
    ws.coverage     where the workspace holds each KPI input           (advokit.engine.CoverageService)
    ws.quality      the data-quality report (``doctor``), import warnings  (advokit.quality.Quality)
    ws.mapping      presets, mapping files, imports of other tools' exports  (advokit.mapping.MappingService)
    ws.text         the sentiment model and the stored sentiment of texts  (advokit.text.TextService)
    ws.themes       themes of the texts: refresh, rename, merge, pin, per-period report  (advokit.themes.Themes)
    ws.listening    social listening: mention volume, reach, sentiment, share of voice, spikes  (advokit.listening)
    ws.loops        the closed-loop queue: answers that need a follow-up, their state  (advokit.loops.Loops)
    ws.advocates    per-customer advocate scores, tiers and reasons as of a date  (advokit.advocates.Advocates)
    ws.journey      journey stages as of a date, stored as the journey_stage attribute  (advokit.journey.Journey)
    ws.personas     behavioural personas, stored as the persona attribute  (advokit.journey.Personas)
    ws.funnel       the advocacy funnel by period and segment, influencers, next best ask  (advokit.funnel.Funnel)
    ws.models       churn and advocacy models: backtest, train, list, score, explain  (advokit.models.Models)

The methods below are the calls the README and the docs show, each a thin
delegate to one service. A new capability becomes a new service attribute,
not new methods here. Nothing below this module imports it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .access import Access
from .advocates import Advocates
from .analysis import Analysis
from .catalogue import Catalogue, KpiDefinition, load_catalogue
from .commentary import Commentary
from .customers import Customers
from .delivery import Delivery
from .engine import CORE_KPIS, CoverageService, Grain, KpiResult, KpiService
from .funnel import Funnel
from .ingest import ImportReport, Ingest
from .journey import Journey, Personas
from .listening import Listening
from .loops import Loops
from .mapping import MappingService
from .models import Models
from .quality import Quality
from .rollups import AppendScope, KpiCache
from .settings import Settings
from .store import Database, default_db_path
from .text import TextService
from .themes import Themes

__all__ = ["CORE_KPIS", "Workspace"]

Filters = Mapping[str, str | None]
When = str | dt.date | None


class Workspace:
    """An advokit workspace: data, catalogue and the services over them.

    >>> ws = Workspace("advokit.duckdb")            # doctest: +SKIP
    >>> ws.compute(["nps"], period="quarter", by=["segment"]).to_pandas()  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 catalogue: Catalogue | None = None) -> None:
        self.db = Database(path if path is not None else default_db_path(), read_only=read_only)
        self.catalogue = catalogue or load_catalogue()
        self._rollups: KpiCache | None = None
        self._rollups_lock = threading.Lock()  # not the write lock: readers must never wait for a write
        self.kpis = KpiService(self.db, self.catalogue, cache=lambda: self.rollups)
        self.analysis = Analysis(self.kpis)
        self.quality = Quality(self.db, self.catalogue)
        self.text = TextService(self.db)
        self.themes = Themes(self.db)
        self.ingest = Ingest(self.db, appending=self._appending, inspect=self.quality.import_warnings,
                             annotate=self.text.score_pending)
        self.customers = Customers(self.db, backend=self.kpis.backend)
        self.access = Access(self.db)
        self.commentary = Commentary(self.db, self.catalogue)
        self.settings = Settings(self.db, self.catalogue)
        self.delivery = Delivery(self.db)
        self.coverage = CoverageService(self.kpis.coverage, self.catalogue)
        self.mapping = MappingService(self.db, self.ingest)
        self.listening = Listening(self.db, self.settings)
        self.loops = Loops(self.catalogue, backend=self.kpis.backend)
        self.advocates = Advocates(backend=self.kpis.backend, setting=self.settings.get, loop_rules=self.loops.rules,
                                   revision=lambda: self.db.writes,
                                   predictions=lambda at: self.models.predictions(at))
        self.journey = Journey(self.db, backend=self.kpis.backend, loop_rules=self.loops.rules)
        self.personas = Personas(self.db, backend=self.kpis.backend, loop_rules=self.loops.rules)
        self.funnel = Funnel(kpis=self.kpis, advocates=self.advocates, listening=self.listening,
                             setting=self.settings.get)
        self.models = Models(db=self.db, backend=self.kpis.backend, loop_rules=self.loops.rules,
                             advocate_config=self.advocates.config)

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.db.path

    @property
    def rollups(self) -> KpiCache:
        """The KPI cache and its rollups (created on first use; writes invalidate it period by period)."""
        found = self._rollups
        if found is None:
            with self._rollups_lock:
                if self._rollups is None:
                    self._rollups = KpiCache(self.db)
                found = self._rollups
        return found

    def _appending(self) -> "contextlib.AbstractContextManager[AppendScope]":
        return self.rollups.appending()

    def close(self) -> None:
        if self._rollups is not None:
            self._rollups.stop(timeout=10)  # the background rollup upkeep, if any, before its connection goes
        self.customers.close()
        self.db.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- KPIs (ws.kpis) ----------------------------------------------------------------------
    def compute(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
                start: When = None, end: When = None, filters: Filters | None = None) -> KpiResult:
        """KPI values by period (and segment) in the output contract of kpi-semantics.md.

        ``start`` and ``end`` as text name a period or a day, both inclusive, exactly like ``--from`` and
        ``--to``: ``start="2025-01", end="2025-03"`` is January to March, ``end="2025-03-31"`` includes
        31 March, ``end="2025-Q1"`` all of Q1. A ``datetime.date`` is taken as it is: ``start`` the first
        day, ``end`` the exclusive end (``end=date(2025, 4, 1)`` also ends with March). KPI ids may be
        catalogue aliases; the rows carry the canonical ids.
        """
        return self.kpis.compute(kpis, period=period, by=by, start=start, end=end, filters=filters)

    def sql(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
            start: When = None, end: When = None, filters: Filters | None = None, dialect: str = "duckdb") -> str:
        """The SQL a KPI request compiles to (for review, or to run on PostgreSQL / Spark)."""
        return self.kpis.sql(kpis, period=period, by=by, start=start, end=end, filters=filters, dialect=dialect)

    def summary(self, *, period: str | None = None, kpis: Sequence[str] = CORE_KPIS) -> list[dict[str, Any]]:
        """Each KPI's value in a month and its change against the month before."""
        return self.kpis.summary(period=period, kpis=kpis)

    def latest_complete_period(self, grain: Grain = "month", *, today: dt.date | None = None) -> str | None:
        """The last period of ``grain`` that has ended and holds data (None for an empty workspace)."""
        return self.kpis.latest_complete_period(grain, today=today)

    def counts(self) -> dict[str, int]:
        return self.db.counts()

    # -- catalogue ----------------------------------------------------------------------------
    def kpi(self, kpi_id: str) -> KpiDefinition:
        return self.catalogue.get(kpi_id)

    def search(self, text: str, *, limit: int | None = None) -> list[tuple[KpiDefinition, float]]:
        return self.catalogue.search(text, limit=limit)

    # -- data (ws.ingest) -----------------------------------------------------------------------
    def import_customers(self, source: Any, **options: Any) -> ImportReport:
        """Customers from a file (canonical, or through ``preset=`` / ``mapping=``: see ``ws.mapping``), a frame or records."""
        if isinstance(source, (str, os.PathLike)):
            return self.mapping.import_file("customers", source, **options)
        return self.ingest.customers(source, **options)

    def import_events(self, source: Any, **options: Any) -> ImportReport:
        """Events from a file (canonical, or through ``preset=`` / ``mapping=``: see ``ws.mapping``), a frame or records."""
        if isinstance(source, (str, os.PathLike)):
            return self.mapping.import_file("events", source, **options)
        return self.ingest.events(source, **options)

    # -- analysis (ws.analysis) ------------------------------------------------------------------
    def analyze(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
                start: When = None, end: When = None, filters: Filters | None = None,
                rolling: int | None = None) -> list[dict[str, Any]]:
        """``compute`` rows plus change, year-over-year, significance, rolling mean, band, target, status."""
        return self.analysis.analyze(kpis, period=period, by=by, start=start, end=end, filters=filters,
                                     rolling=rolling)

    def scorecard(self, period: str | None = None, *, by: str | None = None, filters: Filters | None = None,
                  rolling: int | None = None) -> dict[str, Any]:
        """Every KPI of one period (YYYY-MM, YYYY-Qn, YYYY) by focus area; default: the latest complete
        month with data (named in ``period_note``)."""
        return self.analysis.scorecard(period, by=by, filters=filters, rolling=rolling)

    def compare(self, kpis: Sequence[str] | str, *, period: str, by: str, a: str | None, b: str | None,
                filters: Filters | None = None) -> list[dict[str, Any]]:
        """Two segments (``by`` = ``a`` vs ``b``) in one period, with the significance of the difference."""
        return self.analysis.compare(kpis, period=period, by=by, a=a, b=b, filters=filters)

    def cohorts(self, *, grain: str = "month", basis: str = "logo", start: When = None, end: When = None,
                filters: Filters | None = None, activity: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Cohort retention matrix by signup period, logo or revenue based."""
        return self.analysis.cohorts(grain=grain, basis=basis, start=start, end=end, filters=filters,
                                     activity=activity)

    def maturity(self) -> dict[str, Any]:
        """The data-culture maturity stage (seed 003) with its evidence and next steps."""
        return self.analysis.maturity()

    def set_target(self, kpi: str, value: float | int | str, *, segment: str | None = None,
                   dimension: str | None = None, dimension_value: str | None = None,
                   valid_from: When = None, valid_to: When = None) -> dict[str, Any]:
        """Store a KPI target (global, or for ``segment`` / ``dimension`` = ``dimension_value``)."""
        return self.analysis.set_target(kpi, value, segment=segment, dimension=dimension,
                                        dimension_value=dimension_value, valid_from=valid_from, valid_to=valid_to)
