"""Bringing data in: readers, the import rules, the importer, API batches.

Owns reading CSV / JSON Lines / Parquet / data frames (:mod:`.readers`) and
Excel workbooks (:mod:`.excel`), the near misses named when a file lacks a
required column (:mod:`.nearmiss`), the data contract's rules as expressions
and as their fast Python reading (:mod:`.rules`), the atomic, idempotent
importer with its row-level report (:mod:`.importer`, :mod:`.report`), and
batches with per-item results (:mod:`.batches`). :class:`Ingest` is the service the workspace hands out as
``ws.ingest``. May import: ``store``, ``catalogue``, ``errors``.
"""

from .importer import import_customers, import_events
from .readers import detect_format
from .report import ImportReport, ItemResult, RowError
from .service import AppendScope, Ingest

__all__ = ["AppendScope", "ImportReport", "Ingest", "ItemResult", "RowError", "detect_format", "import_customers",
           "import_events"]
