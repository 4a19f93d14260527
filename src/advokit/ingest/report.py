"""What an import did: counts, every reject reason, per-item results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["accepted", "duplicate", "rejected", "updated", "unchanged"]


@dataclass(frozen=True)
class RowError:
    """One problem of one input row."""

    row: int
    column: str | None
    value: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class ItemResult:
    """The outcome of one input row (API batches ask for these)."""

    row: int
    status: Status
    id: str | None
    errors: tuple[RowError, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row": self.row, "status": self.status, "id": self.id}
        if self.errors:
            out["errors"] = [e.to_dict() for e in self.errors]
        return out


@dataclass
class ImportReport:
    kind: Literal["customers", "events"]
    source: str
    rows: int = 0
    imported: int = 0
    rejected: int = 0
    duplicates: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejects_path: str | None = None
    items: list[ItemResult] | None = None
    ignored_columns: list[str] = field(default_factory=list)
    #: events with per-item results: UTC times standing for what landed (the earliest, the
    #: latest, one in every month that got events), for the KPI cache; not in ``to_dict``
    landed_times: list[dt.datetime] | None = None
    #: the id of the import in the ``imports`` table (its events carry it); not in ``to_dict``
    import_id: str | None = None
    #: events: how many of the rows that landed are before their customer's signup, after its churn, in the
    #: future or duplicate-looking (``advokit doctor`` names them); warnings only, every one landed
    warnings: dict[str, int] | None = None
    warnings_by_type: dict[str, dict[str, int]] | None = None
    #: an import through a preset or mapping file (``advokit.mapping``): the mapping used, in words
    mapping: dict[str, Any] | None = None
    #: rows of the file that gave no record on purpose, by reason (filtered, unanswered, unchanged)
    skipped: dict[str, int] | None = None
    #: the records made from the file, by the mapping's record (nps, csat, ...)
    records_by_kind: dict[str, int] | None = None
    #: a dry run: what would land (nothing was written), with the first records as canonical rows
    dry_run: bool = False
    preview: list[dict[str, Any]] | None = None
    strict_would_fail: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind, "source": self.source, "rows": self.rows, "imported": self.imported,
            "rejected": self.rejected, "duplicates": self.duplicates, "updated": self.updated,
            "unchanged": self.unchanged, "errors": [e.to_dict() for e in self.errors],
            "rejects_path": self.rejects_path,
        }
        if self.ignored_columns:
            out["ignored_columns"] = list(self.ignored_columns)
        if self.warnings is not None:
            out["warnings"] = dict(self.warnings)
            out["warnings_by_type"] = {k: dict(v) for k, v in (self.warnings_by_type or {}).items()}
        if self.mapping is not None:
            out["mapping"] = self.mapping
            out["preset"] = self.mapping.get("preset")
        if self.skipped is not None:
            out["skipped"] = sum(self.skipped.values())
            out["skipped_by_reason"] = dict(self.skipped)
        if self.records_by_kind is not None:
            out["records"] = dict(self.records_by_kind)
        if self.dry_run:
            out["dry_run"] = True
            out["preview"] = list(self.preview or [])
            if self.strict_would_fail:
                out["strict_would_fail"] = True
        if self.items is not None:
            out["items"] = [i.to_dict() for i in self.items]
        return out
