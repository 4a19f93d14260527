"""The one service every shell (CLI, API, dashboard, reports) calls.

``Workspace`` owns the workspace file, the catalogue and the KPI engine;
it knows nothing of terminals, HTTP or HTML.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis

from .catalogue import Catalogue, KpiDefinition, load_catalogue
from .engine import Engine, KpiRequest, KpiResult, parse_date
from .engine.periods import Grain, check_grain, period_of
from .storage import Database, default_db_path

if TYPE_CHECKING:
    from .batches import BatchResult
    from .ingest.rules import FastEvents
    from .directory import CustomerDirectory, CustomerPage
    from .keys import KeyStore
    from .kpicache import KpiCache
    from .reports.model import Report
    from .webhooks import WebhookStore

_CACHE_LOCK = threading.Lock()

CORE_KPIS: tuple[str, ...] = (
    "nps", "csat", "customer_advocacy_score", "advocacy_actions_per_customer", "active_advocates_rate",
    "referral_participation_rate", "referral_conversion_rate", "referral_revenue", "customer_churn_rate",
    "customer_retention_rate", "contract_renewal_rate", "expansion_revenue",
)


class Workspace:
    """An advokit workspace: data, catalogue and engine behind one API.

    >>> ws = Workspace("advokit.duckdb")            # doctest: +SKIP
    >>> ws.compute(["nps"], period="quarter", by=["segment"]).to_pandas()  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 catalogue: Catalogue | None = None) -> None:
        self.db = Database(path if path is not None else default_db_path(), read_only=read_only)
        self.catalogue = catalogue or load_catalogue()
        self._local = threading.local()
        self._directory: CustomerDirectory | None = None
        self._directory_lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        cache = getattr(self, "_cache", None)
        if cache is not None:
            cache.stop(timeout=10)  # the background rollup upkeep, if any, before its connection goes
        if self._directory is not None:
            self._directory.close()
        self.db.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- engine -------------------------------------------------------------------
    def backend(self) -> ibis.BaseBackend:
        """An Ibis backend on a cursor of this thread's own.

        Not the thread's ``db.cursor()``: with DuckDB 2 a result of ``execute()``
        left half-read there (``fetchone``) would block every Ibis query after it.
        """
        backend = getattr(self._local, "backend", None)
        if backend is None:
            cur = self.db.cursor().cursor()
            cur.execute("SET TimeZone = 'UTC'")
            backend = ibis.duckdb.from_connection(cur)
            self._local.backend = backend
        return backend

    def engine(self) -> Engine:
        return Engine(self.backend(), self.catalogue, dimensions=self.dimensions())

    def dimensions(self) -> list[str]:
        return self.db.dimension_columns()

    def request(self, kpis: Sequence[str], *, period: str = "month", by: Sequence[str] = (),
                start: str | dt.date | None = None, end: str | dt.date | None = None,
                filters: Mapping[str, str | None] | None = None) -> KpiRequest:
        """Validate and normalise a KPI request (raises ``InputError`` subclasses)."""
        grain: Grain = check_grain(period)
        return KpiRequest(kpis=tuple(kpis), grain=grain, by=tuple(by),
                          start=parse_date(start, name="--from"), end=parse_date(end, name="--to"),
                          filters=tuple(sorted((filters or {}).items(), key=lambda kv: kv[0])))

    def compute(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
                start: str | dt.date | None = None, end: str | dt.date | None = None,
                filters: Mapping[str, str | None] | None = None) -> KpiResult:
        """KPI values by period (and segment) in the output contract of kpi-semantics.md.

        ``filters`` keeps only customers whose attribute equals the value
        (``{"segment": "Enterprise"}``); events follow their customer.
        """
        kpis = [kpis] if isinstance(kpis, str) else list(kpis)
        by = [by] if isinstance(by, str) else list(by)
        req = self.request(kpis, period=period, by=by, start=start, end=end, filters=filters)
        return KpiResult(self.engine().compute(req), by=req.by)

    def sql(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
            start: str | dt.date | None = None, end: str | dt.date | None = None,
            filters: Mapping[str, str | None] | None = None, dialect: str = "duckdb") -> str:
        """The SQL a KPI request compiles to (for review, or to run on PostgreSQL / Spark)."""
        kpis = [kpis] if isinstance(kpis, str) else list(kpis)
        by = [by] if isinstance(by, str) else list(by)
        req = self.request(kpis, period=period, by=by, start=start, end=end, filters=filters)
        return self.engine().sql(req, dialect=dialect)

    # -- analysis (advokit.analysis) ---------------------------------------------
    def analyze(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
                start: str | dt.date | None = None, end: str | dt.date | None = None,
                filters: Mapping[str, str | None] | None = None, rolling: int | None = None) -> list[dict[str, Any]]:
        """``compute`` rows plus change, year-over-year, significance, rolling mean, band, target, status."""
        from .analysis.trend import analyze

        return analyze(self, kpis, period=period, by=by, start=start, end=end, filters=filters, rolling=rolling)

    def scorecard(self, period: str, *, by: str | None = None, filters: Mapping[str, str | None] | None = None,
                  rolling: int | None = None) -> dict[str, Any]:
        """Every KPI of one period (YYYY-MM, YYYY-Qn, YYYY) by focus area (shape: analysis/scorecard.py)."""
        from .analysis.scorecard import scorecard

        return scorecard(self, period, by=by, filters=filters, rolling=rolling)

    def compare(self, kpis: Sequence[str] | str, *, period: str, by: str, a: str | None, b: str | None,
                filters: Mapping[str, str | None] | None = None) -> list[dict[str, Any]]:
        """Two segments (``by`` = ``a`` vs ``b``) in one period, with the significance of the difference."""
        from .analysis.compare import compare_groups

        return compare_groups(self, kpis, period=period, by=by, a=a, b=b, filters=filters)

    def compare_windows(self, kpis: Sequence[str] | str, *, start: str | dt.date, end: str | dt.date,
                        baseline_start: str | dt.date | None = None, baseline_end: str | dt.date | None = None,
                        filters: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        """A campaign window of whole months against a baseline window (default: the months before), with significance."""
        from .analysis.compare import compare_windows

        return compare_windows(self, kpis, start=start, end=end, baseline_start=baseline_start,
                               baseline_end=baseline_end, filters=filters)

    def cohorts(self, *, grain: str = "month", basis: str = "logo", start: str | dt.date | None = None,
                end: str | dt.date | None = None, filters: Mapping[str, str | None] | None = None,
                activity: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Cohort retention matrix by signup period, logo or revenue based (rows: analysis/cohorts.py)."""
        from .analysis.cohorts import cohorts

        return cohorts(self, grain=grain, basis=basis, start=start, end=end, filters=filters, activity=activity)

    def maturity(self) -> dict[str, Any]:
        """The data-culture maturity stage (seed 003) with its evidence and next steps."""
        from .analysis.maturity import assess

        return assess(self)

    def set_target(self, kpi: str, value: float | int | str, *, segment: str | None = None,
                   dimension: str | None = None, dimension_value: str | None = None,
                   valid_from: str | dt.date | None = None, valid_to: str | dt.date | None = None) -> dict[str, Any]:
        """Store a KPI target (global, or for ``segment`` / ``dimension`` = ``dimension_value``)."""
        from .analysis.targets import set_target
        from .errors import InvalidArgumentError

        if segment is not None:
            if dimension is not None:
                raise InvalidArgumentError("give either a segment or a dimension, not both")
            dimension, dimension_value = "segment", segment
        return set_target(self, kpi, value, dimension=dimension, dimension_value=dimension_value,
                          valid_from=valid_from, valid_to=valid_to).to_dict()

    def targets(self, kpis: Sequence[str] | str | None = None) -> list[dict[str, Any]]:
        from .analysis.targets import list_targets

        return [t.to_dict() for t in list_targets(self, [kpis] if isinstance(kpis, str) else kpis)]

    def delete_target(self, target_id: str) -> dict[str, Any]:
        from .analysis.targets import delete_target

        return delete_target(self, target_id).to_dict()

    # -- catalogue ----------------------------------------------------------------
    def kpi(self, kpi_id: str) -> KpiDefinition:
        return self.catalogue.get(kpi_id)

    def search(self, text: str, *, limit: int | None = None) -> list[tuple[KpiDefinition, float]]:
        return self.catalogue.search(text, limit=limit)

    # -- data ---------------------------------------------------------------------
    def import_customers(self, source: Any, **options: Any) -> Any:
        from .ingest import import_customers

        return import_customers(self.db, source, **options)

    def import_events(self, source: Any, **options: Any) -> Any:
        from .ingest import import_events

        return import_events(self.db, source, **options)

    def counts(self) -> dict[str, int]:
        cur = self.db.cursor()
        return {"customers": cur.execute("SELECT count(*) FROM customers").fetchone()[0],  # type: ignore[index]
                "events": cur.execute("SELECT count(*) FROM events").fetchone()[0]}  # type: ignore[index]

    def latest_complete_period(self, grain: Grain = "month", *, today: dt.date | None = None) -> str | None:
        """The last period of ``grain`` that has ended and holds data (None for an empty workspace)."""
        bounds = self.engine().data_range()
        if bounds is None:
            return None
        today = today or dt.datetime.now(dt.timezone.utc).date()
        last = min(bounds[1], today)
        p = period_of(last, grain)
        if p.end > today or p.end > bounds[1] + dt.timedelta(days=1):
            p = p.shift(-1)
        return p.label

    def summary(self, *, period: str | None = None, kpis: Sequence[str] = CORE_KPIS) -> list[dict[str, Any]]:
        """Each KPI's value in a month and its change against the month before."""
        from .engine.periods import parse_period_label

        label = period or self.latest_complete_period("month")
        if label is None:
            return []
        current = parse_period_label(label)
        previous = current.shift(-1)
        rows = self.compute(list(kpis), period=current.grain, start=previous.start, end=current.end).to_dicts()
        by_key = {(r["kpi"], r["period"]): r for r in rows}
        out = []
        for kpi_id in kpis:
            now = by_key.get((kpi_id, current.label), {})
            before = by_key.get((kpi_id, previous.label), {})
            value, prior = now.get("value"), before.get("value")
            out.append({"kpi": kpi_id, "name": self.kpi(kpi_id).name, "unit": self.kpi(kpi_id).unit,
                        "period": current.label, "value": value, "previous_period": previous.label,
                        "previous": prior, "n": now.get("n"),
                        "change": None if value is None or prior is None else value - prior})
        return out

    # -- services (REST API, dashboard): cached values, batches, customers, privacy, keys ----
    @property
    def cache(self) -> "KpiCache":
        """The KPI result cache (created on first use; writes invalidate it period by period)."""
        cache = getattr(self, "_cache", None)
        if cache is None:
            from .kpicache import KpiCache

            with _CACHE_LOCK:  # not the write lock: readers must never wait for a write
                if getattr(self, "_cache", None) is None:
                    self._cache = KpiCache(self.db)
                cache = self._cache
        return cache

    def values(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
               start: str | dt.date | None = None, end: str | dt.date | None = None,
               filters: Mapping[str, str | None] | None = None) -> list[dict[str, Any]]:
        """Exactly ``compute(...).to_dicts()``, served from the KPI cache where still valid."""
        kpis = [kpis] if isinstance(kpis, str) else list(kpis)
        by = [by] if isinstance(by, str) else list(by)
        return self.cache.rows(self, kpis, period=period, by=by, start=start, end=end, filters=filters)

    def ingest_batch(self, kind: str, records: list[dict[str, Any]], *, strict: bool = False,
                     source_name: str = "api", checked: "FastEvents | None" = None) -> "BatchResult":
        """Import one batch of customers or events with a result per item (see advokit.batches).

        ``checked``: for events, ``advokit.ingest.rules.fast_events(records)`` when the caller has it."""
        from .batches import ingest

        return ingest(self, kind, records, strict=strict, source_name=source_name,  # type: ignore[arg-type]
                      checked=checked)

    def customer(self, customer_id: str, *, limit: int = 100, offset: int = 0,
                 events_of: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
        """A customer's profile with its event timeline, newest first.

        ``events_of`` adds, per name, the customer's events of those types, oldest first
        (e.g. ``{"scores": SURVEY_TYPES}``), read in the same scan.
        """
        from .customers import profile

        return profile(self.db, customer_id, limit=limit, offset=offset, events_of=events_of)

    def export_customer(self, customer_id: str) -> dict[str, Any]:
        """Everything held about a customer (GDPR access request)."""
        from .privacy import export_customer

        return export_customer(self.db, customer_id)

    def erase_customer(self, customer_id: str) -> dict[str, Any]:
        """Erase a customer and its events; the erasure is recorded without personal data."""
        from .privacy import erase_customer

        return erase_customer(self.db, customer_id)

    def api_keys(self) -> "KeyStore":
        from .keys import KeyStore

        return KeyStore(self.db)

    def webhooks(self) -> "WebhookStore":
        from .webhooks import WebhookStore

        return WebhookStore(self.db)

    # -- customer directory (dashboard) ---------------------------------------------
    def directory(self) -> "CustomerDirectory":
        """The customer directory in memory, rebuilt when the customers changed since it was read.

        A write to the workspace (``Database.writes`` moved) costs one look at the customers'
        fingerprint (their number and latest ``updated_at``); only a change of it, or of the
        columns, reads the customers again (about a second for 1M customers).
        """
        from .directory import CustomerDirectory, fingerprint

        with self._directory_lock:
            found = self._directory
            writes = self.db.writes
            if found is not None and found.writes == writes:
                return found
            cur = self.db.cursor()
            dims = self.dimensions()
            if found is not None and found.dimensions == dims and found.fingerprint == fingerprint(cur):
                found.writes = writes
                return found
            self._directory = CustomerDirectory.load(cur, dims, writes)  # the old one may still serve a page
            return self._directory

    def customer_list(self, *, q: str | None = None, filters: Mapping[str, str | None] | None = None,
                      sort: str = "name", descending: bool = False, limit: int = 50,
                      offset: int = 0) -> "CustomerPage":
        """One page of customers whose id, name or email contains ``q``, filtered and sorted.

        Served from the in-memory :meth:`directory`; exactly what ``directory.list_customers_sql``
        answers from the table (which answers the rare request the directory cannot).
        """
        from .directory import list_customers_sql

        directory = self.directory()
        found = directory.page(q=q, filters=filters, sort=sort, descending=descending, limit=limit, offset=offset)
        if found is not None:
            return found
        return list_customers_sql(self.backend(), dimensions=directory.dimensions, q=q, filters=filters, sort=sort,
                                  descending=descending, limit=limit, offset=offset)

    def attribute_values(self, *, max_values: int = 50) -> dict[str, list[str]]:
        """Each customer attribute with at most ``max_values`` distinct values, and those values."""
        from .directory import attribute_values

        return attribute_values(self.backend(), self.dimensions(), max_values=max_values)

    def customer_events(self, customer_id: str, *, types: Sequence[str], limit: int = 1000) -> list[dict[str, Any]]:
        """One customer's events of the given types, oldest first (e.g. survey answers over time)."""
        from .directory import customer_events

        return customer_events(self.backend(), customer_id, types=types, limit=limit)

    # -- team commentary (dashboard, reports, CLI) -------------------------------------
    def add_comment(self, kpi: str, period: str, body: str, *, author: str | None = None,
                    owner: str | None = None, kind: str = "comment") -> dict[str, Any]:
        """Add a comment, action or request for support to a KPI in one period (YYYY-MM, YYYY-Qn, YYYY)."""
        from .commentary import add_comment
        from .engine.periods import parse_period_label

        kpi_id = self.kpi(kpi).id
        label = parse_period_label(period).label
        return add_comment(self.db, kpi=kpi_id, period=label, body=body, author=author, owner=owner, kind=kind)

    def comments(self, *, kpi: str | None = None, period: str | None = None,
                 kind: str | None = None) -> list[dict[str, Any]]:
        """The team's comments, oldest first, optionally of one KPI, period or kind."""
        from .commentary import check_kind, list_comments
        from .engine.periods import parse_period_label

        return list_comments(self.db, kpi=None if kpi is None else self.kpi(kpi).id,
                             period=None if period is None else parse_period_label(period).label,
                             kind=None if kind is None else check_kind(kind))

    def delete_comment(self, comment_id: str) -> None:
        from .commentary import delete_comment

        delete_comment(self.db, comment_id)

    # -- management reports (advokit.reports) ----------------------------------------------
    def report(self, period: str | None = None, *, kind: str | None = None, by: str | None = None,
               filters: Mapping[str, str | None] | None = None, start: str | dt.date | None = None,
               end: str | dt.date | None = None, baseline_start: str | dt.date | None = None,
               baseline_end: str | dt.date | None = None, title: str | None = None,
               generated_at: dt.datetime | None = None) -> "Report":
        """A management report (monthly, quarterly or campaign) with its six sections.

        ``ws.report("2025-09").write("report.pdf")`` (or ``.html`` / ``.md``);
        ``.render("html")`` gives the bytes. A campaign report takes ``start``/``end``
        (and optionally ``baseline_start``/``baseline_end``) instead of ``period``.
        """
        from .reports import build

        return build(self, kind=kind, period=period, by=by, filters=filters, start=start, end=end,
                     baseline_start=baseline_start, baseline_end=baseline_end, title=title,
                     generated_at=generated_at)
