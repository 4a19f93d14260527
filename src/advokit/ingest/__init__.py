"""Import customers and events in the canonical format (data contract v1)."""

from .importer import import_customers, import_events
from .readers import detect_format
from .report import ImportReport, ItemResult, RowError

__all__ = ["ImportReport", "ItemResult", "RowError", "detect_format", "import_customers", "import_events"]
