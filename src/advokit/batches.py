"""Batch ingest for services (API, webhooks): per-item results, atomic, idempotent.

A batch goes through the same importer as files (``advokit.ingest``), so
validation is identical. Each item comes back ``accepted``, ``duplicate``
(its ``event_id`` is already stored, or repeated earlier in the batch),
``rejected`` (with the field, value and reason of every problem) or, for
customers, ``updated`` / ``unchanged``. The whole batch is one transaction:
after a crash it is either all there or not at all, and resending it changes
nothing, so a client that timed out can always retry.

Batches are serialised with the workspace's write lock (DuckDB has one writer
per process), which also makes the duplicate check and the insert one step.
Appended events tell the KPI cache which months they touched.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from .customers import jsonable
from .errors import RejectedRowsError

if TYPE_CHECKING:
    from .workspace import Workspace

Kind = Literal["customers", "events"]


@dataclass
class ItemResult:
    index: int
    status: str
    id: str | None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status, "id": self.id}
        if self.errors:
            out["errors"] = self.errors
        return out


@dataclass
class BatchResult:
    kind: Kind
    items: list[ItemResult]

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "received": len(self.items), "accepted": self.count("accepted"),
                               "duplicates": self.count("duplicate"), "rejected": self.rejected}
        if self.kind == "customers":
            out.update(updated=self.count("updated"), unchanged=self.count("unchanged"))
        out["items"] = [i.to_dict() for i in self.items]
        return out


def utc_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 date or datetime as naive UTC (a value without a zone is UTC); None if unreadable."""
    if isinstance(value, dt.datetime):
        t = value
    elif isinstance(value, dt.date):
        t = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            t = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t


def _plain(obj: Any) -> dict[str, Any]:
    """An importer result (a dataclass with ``to_dict``, or already a dict) as a dict."""
    return obj if isinstance(obj, dict) else obj.to_dict()


def _error(err: Any) -> dict[str, Any]:
    e = _plain(err)
    return {"field": e.get("column"), "value": _value(e.get("value")), "reason": e.get("reason")}


def _value(value: Any) -> Any:
    value = jsonable(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _item(obj: Any) -> ItemResult:
    d = _plain(obj)
    return ItemResult(int(d["row"]) - 1, str(d["status"]), d.get("id"), [_error(e) for e in d.get("errors") or []])


def _items(report: Any, n: int) -> list[ItemResult]:
    """The importer's per-row results (rows of a list are numbered from 1) by request index."""
    out = sorted((_item(i) for i in (report.items or [])), key=lambda i: i.index)
    if [i.index for i in out] != list(range(n)):
        raise RuntimeError(f"importer returned results for rows {[i.index for i in out][:5]}... of {n} items")
    return out


def _text(value: Any) -> str | None:
    """One JSON value as the importer's text cell (what a CSV or JSON Lines file would hold)."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # 42.0 -> "42", as the client most likely wrote it
    return str(value)


def _table(records: list[dict[str, Any]]) -> pa.Table:
    """Records as an Arrow table of text columns: columnar, so the importer skips its per-row reader."""
    names = list(dict.fromkeys(k for r in records for k in r))
    return pa.table({n: pa.array([_text(r.get(n)) for r in records], pa.string()) for n in names})


def ingest(ws: "Workspace", kind: Kind, records: list[dict[str, Any]], *, strict: bool = False,
           source_name: str = "api") -> BatchResult:
    """Import one batch of canonical records; return the result of each item.

    With ``strict``, nothing lands when any item is rejected and
    ``RejectedRowsError`` carries the item results as ``details``.
    """
    if not records:
        return BatchResult(kind, [])
    options: dict[str, Any] = {"strict": strict, "write_rejects": False, "item_results": True,
                               "source_name": source_name}
    table = _table(records)
    with ws.db.write_lock:
        if kind == "customers":
            try:
                report = ws.import_customers(table, **options)
            except RejectedRowsError as exc:
                raise _strict_error(exc, kind, len(records)) from None
            return BatchResult(kind, _items(report, len(records)))
        with ws.cache.appending() as scope:
            try:
                report = ws.import_events(table, **options)
            except RejectedRowsError as exc:
                raise _strict_error(exc, kind, len(records)) from None
            items = _items(report, len(records))
            times = [utc_time(records[i.index].get("occurred_at")) for i in items if i.status == "accepted"]
            scope.landed(None if any(t is None for t in times) else times)  # type: ignore[arg-type]
    return BatchResult(kind, items)


def _strict_error(exc: RejectedRowsError, kind: Kind, n: int) -> RejectedRowsError:
    """Strict mode: nothing landed; the details are the rejected items, by request index."""
    details: Any = exc.details
    if isinstance(details, dict) and details.get("items") is not None:
        details = [i.to_dict() for i in map(_item, details["items"]) if i.status == "rejected"]
    elif isinstance(details, dict) and "errors" in details:
        details = [{"index": int(e["row"]) - 1, **_error(e)} for e in details["errors"]]
    rejected = sum(1 for d in details if d.get("status", "rejected") == "rejected") if isinstance(details, list) else None
    what = f"{rejected:,} of {n:,} items rejected" if rejected is not None else "items rejected"
    return RejectedRowsError(f"{kind} batch: {what}; with strict nothing was imported",
                             hint="fix the rejected items, or send without strict to land the valid ones",
                             details=details)
