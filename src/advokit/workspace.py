"""The one service every shell (CLI, API, dashboard, reports) calls.

``Workspace`` owns the workspace file, the catalogue and the KPI engine;
it knows nothing of terminals, HTTP or HTML.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis

from .catalogue import Catalogue, KpiDefinition, load_catalogue
from .engine import Engine, KpiRequest, KpiResult, parse_date
from .engine.periods import Grain, check_grain, period_of
from .storage import Database, default_db_path

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

    # -- lifecycle --------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- engine -------------------------------------------------------------------
    def backend(self) -> ibis.BaseBackend:
        """An Ibis backend on this thread's cursor."""
        backend = getattr(self._local, "backend", None)
        if backend is None:
            backend = ibis.duckdb.from_connection(self.db.cursor())
            self._local.backend = backend
        return backend

    def engine(self) -> Engine:
        return Engine(self.backend(), self.catalogue, dimensions=self.dimensions())

    def dimensions(self) -> list[str]:
        return self.db.dimension_columns()

    def request(self, kpis: Sequence[str], *, period: str = "month", by: Sequence[str] = (),
                start: str | dt.date | None = None, end: str | dt.date | None = None) -> KpiRequest:
        """Validate and normalise a KPI request (raises ``InputError`` subclasses)."""
        grain: Grain = check_grain(period)
        return KpiRequest(kpis=tuple(kpis), grain=grain, by=tuple(by),
                          start=parse_date(start, name="--from"), end=parse_date(end, name="--to"))

    def compute(self, kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
                start: str | dt.date | None = None, end: str | dt.date | None = None) -> KpiResult:
        """KPI values by period (and segment) in the output contract of kpi-semantics.md."""
        kpis = [kpis] if isinstance(kpis, str) else list(kpis)
        by = [by] if isinstance(by, str) else list(by)
        req = self.request(kpis, period=period, by=by, start=start, end=end)
        return KpiResult(self.engine().compute(req), by=req.by)

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
