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
Event batches that queue up behind the lock are imported together, as one
transaction (group commit: most of an import's cost is per statement, not
per row), each still answered with its own items. Event imports keep the
importer's in-memory id index (``advokit.store.idindex``), so a batch never
scans the whole events or customers table. Appended events tell the KPI cache
which months they touched.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from ..errors import RejectedRowsError
from ..store import attributes
from ..store.database import CUSTOMER_COLUMNS, Database
from ..store.rows import jsonable
from . import importer, rules
from .readers import text_cell

if TYPE_CHECKING:
    from .service import Ingest

Kind = Literal["customers", "events"]


@dataclass(slots=True)
class ItemResult:
    index: int
    status: str
    id: str | None
    errors: Sequence[dict[str, Any]] = ()

    def to_dict(self) -> dict[str, Any]:
        if not self.errors:
            return {"index": self.index, "status": self.status, "id": self.id}
        return {"index": self.index, "status": self.status, "id": self.id, "errors": list(self.errors)}


class BatchResult:
    """The result of each item of a batch, by request index.

    Items with no errors may be held by column (``statuses``, ``ids``: the fast path's
    1,000 results a batch, without an object each); ``items`` makes the objects when asked.
    """

    def __init__(self, kind: Kind, items: list[ItemResult] | None = None, *,
                 statuses: list[str] | None = None, ids: Sequence[str | None] | None = None,
                 rows: pa.Table | None = None) -> None:
        self.kind = kind
        self._items = items
        #: the fast path's events as typed columns, one row per item (for ``landed_rows``)
        self._rows = rows
        #: events: counts of the landed items the data-quality report would name (set by ``Ingest.batch``)
        self.warnings: dict[str, int] | None = None
        self._columns = (statuses, list(ids)) if statuses is not None and ids is not None else None
        if (items is None) == (self._columns is None):
            raise ValueError("give either items or statuses and ids")

    @property
    def items(self) -> list[ItemResult]:
        if self._items is None:
            assert self._columns is not None
            self._items = [ItemResult(i, st, event_id) for i, (st, event_id) in enumerate(zip(*self._columns))]
        return self._items

    def slice(self, start: int, stop: int) -> "BatchResult":
        """Items ``start`` to ``stop`` as a batch of their own (indexes from 0)."""
        if self._columns is not None:
            statuses, ids = self._columns
            rows = None if self._rows is None else self._rows.slice(start, stop - start)
            return BatchResult(self.kind, statuses=statuses[start:stop], ids=ids[start:stop], rows=rows)
        return BatchResult(self.kind, [ItemResult(i.index - start, i.status, i.id, i.errors)
                                       for i in self.items[start:stop]])

    def landed_rows(self) -> pa.Table | None:
        """The events that landed, as typed columns (event_id, customer_id, type, occurred_at, score), when the
        batch took the fast path; None otherwise (read them by ``accepted_ids``)."""
        if self._rows is None or self._columns is None:
            return None
        rows = self._rows.select(["event_id", "customer_id", "type", "occurred_at", "score"])
        statuses = self._columns[0]
        if statuses.count("accepted") == len(statuses):
            return rows
        return rows.filter(pa.array([st == "accepted" for st in statuses], pa.bool_()))

    def accepted_ids(self) -> list[str]:
        """The event ids of the items that landed."""
        if self._columns is not None:
            return [i for st, i in zip(*self._columns) if st == "accepted" and i is not None]
        return [i.id for i in self.items if i.status == "accepted" and i.id is not None]

    def count(self, status: str) -> int:
        if self._columns is not None:
            return self._columns[0].count(status)
        return sum(1 for i in self.items if i.status == status)

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    def to_dict(self) -> dict[str, Any]:
        if self._columns is not None:
            statuses, ids = self._columns
            counts = Counter(statuses)
            items = [{"index": i, "status": st, "id": event_id} for i, (st, event_id) in enumerate(zip(statuses, ids))]
        else:
            counts = Counter(map(_STATUS, self.items))
            items = [{"index": i.index, "status": i.status, "id": i.id} if not i.errors else i.to_dict()
                     for i in self.items]  # (ItemResult.to_dict, inlined)
        out: dict[str, Any] = {"kind": self.kind, "received": len(items), "accepted": counts["accepted"],
                               "duplicates": counts["duplicate"], "rejected": counts["rejected"]}
        if self.kind == "customers":
            out.update(updated=counts["updated"], unchanged=counts["unchanged"])
        if self.warnings is not None:
            out["warnings"] = dict(self.warnings)
        out["items"] = items
        return out


_STATUS = attrgetter("status")


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
    if isinstance(obj, dict):
        d = obj
        return ItemResult(int(d["row"]) - 1, str(d["status"]), d.get("id"), [_error(e) for e in d.get("errors") or []])
    return ItemResult(obj.row - 1, obj.status, obj.id, [_error(e) for e in obj.errors] if obj.errors else [])


def _items(report: Any, n: int) -> list[ItemResult]:
    """The importer's per-row results (rows of a list are numbered from 1) by request index."""
    out = [_item(i) for i in (report.items or [])]
    if any(item.index != k for k, item in enumerate(out)):  # the importer gives them in row order
        out.sort(key=lambda i: i.index)
    if [i.index for i in out] != list(range(n)):
        raise RuntimeError(f"importer returned results for rows {[i.index for i in out][:5]}... of {n} items")
    return out


def _text(value: Any) -> str | None:
    """One JSON value as the importer's text cell (what a CSV or JSON Lines file would hold)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # 42.0 -> "42", as the client most likely wrote it
    return text_cell(value)


def _column(values: list[Any]) -> pa.Array:
    if set(map(type, values)) <= {str, type(None)}:
        return pa.array(values, pa.string())
    return pa.array([_text(v) for v in values], pa.string())


def _table(records: list[dict[str, Any]], *, keep: Sequence[str] | None = None) -> pa.Table:
    """Records as an Arrow table of text columns: columnar, so the importer skips its per-row reader.

    With ``keep``, columns null in every record are left out (an absent column reads
    as null), except those named; without, every column stays (a customer attribute
    column is made even when all its values are null).
    """
    names = list(dict.fromkeys(chain.from_iterable(records)))
    columns = {n: [r.get(n) for r in records] for n in names}
    return pa.table({n: _column(v) for n, v in columns.items()
                     if keep is None or n in keep or any(x is not None for x in v)})


def ingest(service: "Ingest", kind: Kind, records: list[dict[str, Any]], *, strict: bool = False,
           source_name: str = "api", checked: rules.FastEvents | None = None) -> BatchResult:
    """Import one batch of canonical records; return the result of each item.

    With ``strict``, nothing lands when any item is rejected and
    ``RejectedRowsError`` carries the item results as ``details``.

    Event batches that arrive while another is being imported wait for the
    write lock together and are then imported as one transaction (group
    commit, up to ``GROUP_ROWS`` rows): each gets exactly the per-item results
    it would have got alone, in arrival order (an id sent by an earlier batch
    of the group is a ``duplicate`` in a later one), and none is acknowledged
    before the shared COMMIT.

    ``checked``: the events already read by ``rules.fast_events(records)`` (the
    caller did it); otherwise that reading is done here, before the write lock.
    """
    if not records:
        return BatchResult(kind, [])
    if kind == "events" and not strict:
        fast = checked if checked is not None else rules.fast_events(records)
        if fast is not None:
            fast.arrow()  # made here, not under the write lock
        return _grouped(service, _Job(records, source_name, fast))
    options: dict[str, Any] = {"strict": strict, "write_rejects": False, "item_results": True,
                               "source_name": source_name}
    with service.db.write_lock:
        if kind == "customers":
            _check_attributes(service.db, records)
            try:
                report = service.customers(_table(records), **options)
            except RejectedRowsError as exc:
                raise _strict_error(exc, kind, len(records)) from None
            return BatchResult(kind, _items(report, len(records)))
        try:
            return _append_events(service, None, records, options)
        except RejectedRowsError as exc:
            raise _strict_error(exc, kind, len(records)) from None


def attribute_problems(db: Database, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each record (by index) with a value in an attribute beyond the workspace's limit, or with more
    attribute values than a record may carry: what the importer would reject row by row."""
    existing = set(db.customer_columns())
    held = sum(1 for c in existing if c not in CUSTOMER_COLUMNS and c != "updated_at")
    limit, record_limit = attributes.max_attributes(), attributes.max_record_attributes()
    new = [n for n in dict.fromkeys(chain.from_iterable(records)) if n not in existing and n not in rules.CUSTOMER_FIELDS]
    over = set(new[max(limit - held, 0):])
    out: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        given = [k for k, v in record.items() if k not in rules.CUSTOMER_FIELDS and v is not None and v != ""]
        beyond = [k for k in given if k in over]
        if beyond:
            out.append({"index": index, "field": beyond[0], "value": _value(record[beyond[0]]),
                        "reason": attributes.workspace_limit_reason(beyond[0], limit)})
        elif len(given) > record_limit:
            out.append({"index": index, "field": given[record_limit], "value": len(given),
                        "reason": attributes.record_limit_reason(record_limit) + f"; this one has {len(given)}"})
    return out


def _check_attributes(db: Database, records: Sequence[dict[str, Any]]) -> None:
    """Refuse the whole batch (nothing lands) when a record is over an attribute limit."""
    problems = attribute_problems(db, records)
    if problems:
        raise RejectedRowsError(f"customers batch: {len(problems):,} of {len(records):,} items over the "
                                "customer attribute limits; nothing was imported",
                                hint="send fewer attributes, raise ADVOKIT_MAX_ATTRIBUTES, or drop unused ones "
                                     "with `advokit attribute drop NAME`", details=problems)


_EVENT_KEEP = ("customer_id", "type", "occurred_at")
#: The most rows imported as one group of event batches.
GROUP_ROWS = 20_000


def _append_events(service: "Ingest", table: pa.Table | None, records: list[dict[str, Any]],
                   options: dict[str, Any], fast: rules.FastEvents | None = None,
                   read: bool = False) -> BatchResult:
    """One events import (under the write lock) that tells the KPI cache which months it touched.

    A batch that ``rules.fast_events`` finds valid as it stands (the usual case) is
    appended without the validation SQL (``importer.append_fast_events``); any other
    batch, or one naming a customer that is not stored, goes through the full import
    (``table``: the records as text columns, made here when None). ``read``: the caller has
    already read ``records`` with ``rules.fast_events`` and passes what it gave as ``fast``.
    """
    with service.appending() as scope:
        if not read:
            fast = rules.fast_events(records)
        done = importer.append_fast_events(service.db, fast, source_name=options["source_name"]) if fast else None
        if done is not None:
            assert fast is not None
            scope.landed(done.report.landed_times, rows=_landed_rows(fast, done.status, done.customer_hashes))
            return BatchResult("events", statuses=list(done.status), ids=fast.event_id, rows=fast.arrow())
        # keep_index: in-memory id sets instead of two table scans a batch (advokit.store.idindex)
        if table is None:
            table = _table(records, keep=_EVENT_KEEP)
        report = service.events(table, keep_index=True, warnings=False, **options)  # (Ingest.batch counts them)
        items = _items(report, len(records))
        times: list[Any] | None = report.landed_times
        if times is None:
            times = [utc_time(records[i.index].get("occurred_at")) for i in items if i.status == "accepted"]
        scope.landed(None if any(t is None for t in times) else times)
    return BatchResult("events", items)


def _landed_rows(fast: rules.FastEvents, status: Sequence[str], customer_hashes: Any) -> pa.Table:
    """The events of a fast batch that landed, as the columns the rollups read (no properties on this path;
    ``occurred_at`` is already naive UTC), with each one's ``hash(customer_id)`` (``customer_hash``)."""
    table = fast.arrow().select(["customer_id", "type", "occurred_at", "score", "amount", "properties"])
    table = table.append_column("customer_hash", pa.array(customer_hashes, pa.uint64()))
    if status.count("accepted") == len(status):
        return table
    return table.filter(pa.array([st == "accepted" for st in status], pa.bool_()))


@dataclass
class _Job:
    records: list[dict[str, Any]]
    source_name: str
    fast: rules.FastEvents | None = None  # the records as read by rules.fast_events (None: not all valid)
    result: BatchResult | None = None
    error: BaseException | None = None
    done: bool = False


class _Queue:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: deque[_Job] = deque()


_QUEUES: "weakref.WeakKeyDictionary[Any, _Queue]" = weakref.WeakKeyDictionary()
_QUEUES_LOCK = threading.Lock()


def _queue_of(service: "Ingest") -> _Queue:
    with _QUEUES_LOCK:
        queue = _QUEUES.get(service.db)
        if queue is None:
            queue = _QUEUES[service.db] = _Queue()
        return queue


def _grouped(service: "Ingest", job: _Job) -> BatchResult:
    """Queue the batch; whoever holds the write lock next imports every queued batch at once."""
    queue = _queue_of(service)
    with queue.lock:
        queue.jobs.append(job)
    while not job.done:
        with service.db.write_lock:
            if job.done:
                break
            with queue.lock:  # the oldest batches first, up to GROUP_ROWS rows (at least one batch)
                group: list[_Job] = []
                rows = 0
                while queue.jobs and (not group or rows + len(queue.jobs[0].records) <= GROUP_ROWS):
                    group.append(queue.jobs.popleft())
                    rows += len(group[-1].records)
            _run_group(service, group)
    if job.error is not None:
        raise job.error
    assert job.result is not None
    return job.result


def _run_group(service: "Ingest", group: list[_Job]) -> None:
    """Import a group as one transaction, else (a failure: whose?) each batch alone."""
    try:
        if len(group) > 1:
            try:
                _import_group(service, group)
                return
            except Exception:  # noqa: BLE001 - retried batch by batch below, each keeps its own error
                pass
        for job in group:
            try:
                job.result = _append_events(service, None, job.records, _options(job.source_name), job.fast, True)
            except Exception as exc:  # noqa: BLE001 - handed to the batch's own request
                job.error = exc
    except BaseException as exc:
        for job in group:
            if job.result is None and job.error is None:
                job.error = exc
        raise
    finally:
        for job in group:
            if job.result is None and job.error is None:
                job.error = RuntimeError("the batch was not imported")
            job.done = True


def _options(source_name: str) -> dict[str, Any]:
    return {"strict": False, "write_rejects": False, "item_results": True, "source_name": source_name}


def _import_group(service: "Ingest", group: list[_Job]) -> None:
    records = [r for job in group for r in job.records]
    names = list(dict.fromkeys(job.source_name for job in group))
    name = names[0] if len(names) == 1 else "api events"
    parts = [job.fast for job in group]
    fast = rules.FastEvents.concat(parts) if all(p is not None for p in parts) else None  # type: ignore[arg-type]
    result = _append_events(service, None, records, _options(f"{name} ({len(group)} batches)"), fast, True)
    start = 0
    for job in group:
        job.result = result.slice(start, start + len(job.records))
        start += len(job.records)


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
