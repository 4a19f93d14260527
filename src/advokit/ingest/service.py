"""``Ingest``: files, data frames and API batches into one workspace database."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ContextManager, Protocol

import pyarrow as pa

from ..store.database import Database
from . import batches, importer, rules
from .report import ImportReport

#: The counts of an events import's ``warnings`` (see ``advokit.quality``).
WARNING_KEYS = ("before_signup", "after_churn", "future", "duplicate_looking")


class AppendScope(Protocol):
    """Told what an append landed (the KPI cache brings its periods forward from it)."""

    def landed(self, times: Iterable[dt.datetime] | None, rows: pa.Table | None = None) -> None: ...


class Warnings(Protocol):
    """What the rows of one import bring that the data-quality report would name (``advokit.quality``)."""

    def to_dict(self) -> dict[str, int]: ...

    def by_type_dict(self) -> dict[str, dict[str, int]]: ...


class Inspect(Protocol):
    """Counts those rows, given the import's id, the ids of the events it landed, or those events' columns."""

    def __call__(self, *, import_id: str | None = None, event_ids: Sequence[str] | None = None,
                 rows: pa.Table | None = None) -> Warnings: ...


class _Unwatched:
    def landed(self, times: Iterable[dt.datetime] | None, rows: pa.Table | None = None) -> None:
        return None


@contextlib.contextmanager
def _unwatched() -> Iterator[AppendScope]:
    yield _Unwatched()


class Ingest:
    """Imports of customers and events: validated, atomic, idempotent (see docs/data-contract.md).

    ``appending`` opens the scope an events batch reports what it landed to
    (the workspace passes its KPI cache's); without it nobody is told.
    ``inspect`` counts what an events import landed that the data-quality report
    would name (the workspace passes ``ws.quality.import_warnings``): the
    report's ``warnings``. Without it an import counts nothing.
    ``annotate`` derives what the landed rows need once committed (the workspace passes
    ``ws.text.score_pending``: the sentiment of new texts), given the import id, or None
    for "whatever is still pending".
    """

    def __init__(self, db: Database, *, appending: Callable[[], ContextManager[AppendScope]] | None = None,
                 inspect: Inspect | None = None, annotate: Callable[[str | None], object] | None = None) -> None:
        self.db = db
        self.appending = appending or _unwatched
        self.inspect = inspect
        self.annotate = annotate

    def customers(self, source: Any, **options: Any) -> ImportReport:
        """Upsert customers from a path, a data frame, an Arrow table or a list of dicts."""
        return importer.import_customers(self.db, source, **options)

    def events(self, source: Any, **options: Any) -> ImportReport:
        """Append events (deduplicated by ``event_id``) from a path, a data frame, an Arrow table or records.

        ``warnings=False``: leave the report's ``warnings`` unset (a batch counts them itself)."""
        count_warnings = options.pop("warnings", True)
        report = importer.import_events(self.db, source, **options)
        if self.annotate is not None and report.imported and report.import_id is not None:
            self.annotate(report.import_id)
        if self.inspect is not None and count_warnings:
            if report.imported and report.import_id is not None:
                found = self.inspect(import_id=report.import_id)
                report.warnings, report.warnings_by_type = found.to_dict(), found.by_type_dict()
            else:
                report.warnings, report.warnings_by_type = dict.fromkeys(WARNING_KEYS, 0), {}
        return report

    def batch(self, kind: str, records: list[dict[str, Any]], *, strict: bool = False, source_name: str = "api",
              checked: rules.FastEvents | None = None) -> batches.BatchResult:
        """One batch of customers or events with a result per item (see :mod:`.batches`).

        ``checked``: for events, ``rules.fast_events(records)`` when the caller has it."""
        result = batches.ingest(self, kind, records, strict=strict,  # type: ignore[arg-type]
                                source_name=source_name, checked=checked)
        if kind == "events" and self.annotate is not None and records and result.accepted_ids():
            self.annotate(None)
        if kind == "events" and self.inspect is not None and records:
            rows = result.landed_rows()
            if rows is not None:
                found = self.inspect(rows=rows) if len(rows) else None
            else:
                landed = result.accepted_ids()
                found = self.inspect(event_ids=landed) if landed else None
            result.warnings = found.to_dict() if found is not None else dict.fromkeys(WARNING_KEYS, 0)
        return result
