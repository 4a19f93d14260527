"""``Quality``: the data-quality report of a workspace (``ws.quality``) and the warnings of one import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..catalogue import Catalogue, KpiDefinition
from ..catalogue.model import EVENT_TYPES
from ..coverage import inputs_of
from ..store.database import Database
from . import checks
from .model import IMPORT_KINDS, DoctorReport, Finding, ImportWarnings


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def kpi_event_types(kpi: KpiDefinition) -> list[str]:
    """The event types a KPI reads: those of its coverage inputs (declared or derived, ``advokit.coverage``)."""
    found: list[str] = []
    for item in inputs_of(kpi):
        found += [t for t in item.types if t not in found]
    return found


class Quality:
    """What is odd in a workspace's data, with what to do about it (``advokit doctor``)."""

    def __init__(self, db: Database, catalogue: Catalogue) -> None:
        self.db = db
        self.catalogue = catalogue

    def lights_up(self) -> dict[str, list[str]]:
        """For each event type of the data contract, the KPIs (ids) whose computation reads it."""
        out: dict[str, list[str]] = {t: [] for t in EVENT_TYPES}
        for kpi in self.catalogue:
            for t in kpi_event_types(kpi):
                out.setdefault(t, []).append(kpi.id)
        return out

    def doctor(self, *, now: dt.datetime | None = None) -> DoctorReport:
        """Run every check (a grouped query each); ``now`` (naive UTC) decides what is in the future."""
        when = now or _utc_now()
        cur = self.db.cursor()
        counts = self.db.counts()
        names = checks.attribute_columns(self.db.dimension_columns())
        single, unique = checks.attributes(cur, names)
        found: list[Finding] = [
            checks.before_signup(cur), checks.after_churn(cur), checks.future_events(cur, when),
            checks.duplicate_looking(cur), checks.customers_without_events(cur),
            checks.event_types_never_seen(cur, EVENT_TYPES, self.lights_up()), checks.monthly_gaps(cur, when),
            single, unique,
        ]
        return DoctorReport(generated_at=when, customers=int(counts.get("customers", 0)),
                            events=int(counts.get("events", 0)), findings=tuple(f for f in found if f.count),
                            checks={f.kind: f.count for f in found})

    def import_warnings(self, *, import_id: str | None = None, event_ids: Sequence[str] | None = None,
                        rows: pa.Table | None = None, now: dt.datetime | None = None) -> ImportWarnings:
        """Counts, by kind and type, of the rows one import landed that are before signup, after churn, in
        the future or duplicate-looking.

        The rows are those of ``import_id`` (a file), those with ``event_ids``, or ``rows`` themselves (an
        API batch's landed events: event_id, customer_id, type, occurred_at, score). Given ``rows``, the
        duplicate check reads only the stored events of the batch's time span (the scan skips the rest
        where events are stored in time order, as a live stream stores them).
        """
        cur = self.db.cursor()
        when = now or _utc_now()
        if import_id is not None:
            found = checks.batch_counts(cur, "SELECT * FROM events WHERE import_id = ?", [import_id], when)
        elif rows is not None or event_ids:
            table = rows if rows is not None else pa.table({"event_id": pa.array(list(event_ids or ()), pa.string())})
            name = f"_advokit_quality_rows_{id(table):x}"
            span: tuple[Any, Any] | None = None
            if rows is not None:
                bounds = pc.min_max(rows.column("occurred_at"))
                span = (bounds["min"].as_py(), bounds["max"].as_py())
            source = (f"SELECT * FROM {name}" if rows is not None
                      else f"SELECT * FROM events WHERE event_id IN (SELECT event_id FROM {name})")
            cur.register(name, table)
            try:
                found = checks.batch_counts(cur, source, [], when, span=span)
            finally:
                cur.unregister(name)
        else:
            found = []
        keys = list(IMPORT_KINDS.values())
        by_type: dict[str, dict[str, int]] = {k: {} for k in keys}
        for t, *values in found:
            for key, n in zip(keys, values):
                if n:
                    by_type[key][t] = n
        counts = {k: sum(by_type[k].values()) for k in keys}
        return ImportWarnings(counts=counts, by_type=by_type)
