"""``Ingest``: files, data frames and API batches into one workspace database."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ContextManager, Protocol

import pyarrow as pa

from ..store.database import Database
from . import batches, importer, rules
from .report import ImportReport


class AppendScope(Protocol):
    """Told what an append landed (the KPI cache brings its periods forward from it)."""

    def landed(self, times: Iterable[dt.datetime] | None, rows: pa.Table | None = None) -> None: ...


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
    """

    def __init__(self, db: Database, *, appending: Callable[[], ContextManager[AppendScope]] | None = None) -> None:
        self.db = db
        self.appending = appending or _unwatched

    def customers(self, source: Any, **options: Any) -> ImportReport:
        """Upsert customers from a path, a data frame, an Arrow table or a list of dicts."""
        return importer.import_customers(self.db, source, **options)

    def events(self, source: Any, **options: Any) -> ImportReport:
        """Append events (deduplicated by ``event_id``) from a path, a data frame, an Arrow table or records."""
        return importer.import_events(self.db, source, **options)

    def batch(self, kind: str, records: list[dict[str, Any]], *, strict: bool = False, source_name: str = "api",
              checked: rules.FastEvents | None = None) -> batches.BatchResult:
        """One batch of customers or events with a result per item (see :mod:`.batches`).

        ``checked``: for events, ``rules.fast_events(records)`` when the caller has it."""
        return batches.ingest(self, kind, records, strict=strict,  # type: ignore[arg-type]
                              source_name=source_name, checked=checked)
