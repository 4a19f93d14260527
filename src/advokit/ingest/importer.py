"""Atomic, idempotent, streaming imports of customers and events.

One import is one DuckDB transaction: the input is streamed batch by batch
into a temporary staging table, validated there with vectorised SQL
(``rules.py``), and the valid rows land with one INSERT. Any exception, or a
kill of the process, before the COMMIT leaves the workspace as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ..errors import DataError, RejectedRowsError
from ..store import attributes, idindex
from ..store.csvcells import SafeWriter
from ..store.database import CUSTOMER_COLUMNS, Database, check_identifier
from . import nearmiss, rules
from .readers import Source, open_source
from .report import ImportReport, ItemResult, RowError, Status

Progress = Callable[[int, int | None], None]
MAX_ERRORS = 1000
_REQUIRED = {"customers": ("customer_id", "signup_at"), "events": ("customer_id", "type", "occurred_at")}


def import_customers(db: Database, source: Any, *, strict: bool = False,
                     rejects_path: str | os.PathLike[str] | None = None, write_rejects: bool = True,
                     progress: Progress | None = None, item_results: bool = False,
                     source_name: str | None = None, keep_index: bool = False,
                     sheet: str | None = None) -> ImportReport:
    """Upsert customers (last write wins) from a file, DataFrame, Arrow table or list of dicts.

    ``sheet``: the sheet of an Excel workbook (default: the first).
    """
    return _run(db, "customers", source, strict=strict, rejects_path=rejects_path, write_rejects=write_rejects,
                progress=progress, item_results=item_results, source_name=source_name, keep_index=keep_index,
                sheet=sheet)


def import_events(db: Database, source: Any, *, strict: bool = False,
                  rejects_path: str | os.PathLike[str] | None = None, write_rejects: bool = True,
                  progress: Progress | None = None, item_results: bool = False,
                  source_name: str | None = None, keep_index: bool = False,
                  sheet: str | None = None) -> ImportReport:
    """Append events, deduplicated by ``event_id``, from a file, DataFrame, Arrow table or list of dicts.

    ``sheet``: the sheet of an Excel workbook (default: the first).

    ``keep_index``: keep in-memory sets of the stored event and customer ids for the
    next imports of this process (``advokit.store.idindex``; the API server's batches),
    so a small batch does not read the whole events and customers tables.
    """
    return _run(db, "events", source, strict=strict, rejects_path=rejects_path, write_rejects=write_rejects,
                progress=progress, item_results=item_results, source_name=source_name, keep_index=keep_index,
                sheet=sheet)


def dry_run_import(db: Database, kind: str, source: Any, *, customers: list[str], event_ids: list[str],
                   source_name: str) -> ImportReport:
    """What importing ``source`` would do, written nowhere: the same import, in an in-memory database.

    That database holds a copy of what the import is compared with: the stored
    customers named in ``customers`` (with every attribute column) and, for
    events, the stored events named in ``event_ids`` or belonging to those
    customers (an id the importer derives from the content is among them). The
    workspace is only read (it may be open read-only); no rejects file is written.
    """
    scratch = Database(":memory:")
    try:
        cur = db.cursor()
        _advokit_dry_customers = pa.table({"id": pa.array(customers, pa.string())})  # noqa: F841 (read by name)
        _advokit_dry_events = pa.table({"id": pa.array(event_ids, pa.string())})  # noqa: F841
        held = cur.sql("SELECT * FROM customers WHERE customer_id IN (SELECT id FROM _advokit_dry_customers)"
                       ).to_arrow_table()
        touched = None
        if kind == "events":
            touched = cur.sql("SELECT * FROM events WHERE event_id IN (SELECT id FROM _advokit_dry_events) "
                              "OR customer_id IN (SELECT id FROM _advokit_dry_customers)").to_arrow_table()
        extras = [c for c in db.customer_columns() if c not in CUSTOMER_COLUMNS and c != "updated_at"]
        with scratch.transaction() as scur:
            for column in extras:
                scratch.add_customer_attribute(scur, column)
            scur.register("_held", held)
            scur.execute("INSERT INTO customers BY NAME SELECT * FROM _held")
            scur.unregister("_held")
            if touched is not None and touched.num_rows:
                scur.register("_touched", touched)
                scur.execute("INSERT INTO events BY NAME SELECT * FROM _touched")
                scur.unregister("_touched")
        report = _run(scratch, kind, source, strict=False, rejects_path=None, write_rejects=False, progress=None,
                      item_results=False, source_name=source_name)
    finally:
        scratch.close()
    report.import_id = None
    return report


@dataclass
class FastAppend:
    """What :func:`append_fast_events` did: the report (without ``items``) and each row's status."""

    report: ImportReport
    status: list[Status]
    #: each row's ``hash(customer_id)`` in DuckDB (what the id index and the rollups look customers up by)
    customer_hashes: np.ndarray


def append_fast_events(db: Database, rows: rules.FastEvents, *, source_name: str) -> FastAppend | None:
    """Append a batch that ``rules.fast_events`` found valid: the same import, without the validation SQL.

    The same transaction as ``import_events(..., keep_index=True, item_results=True)``
    and the same outcome (every row ``accepted`` or ``duplicate``, in the order the
    SQL path decides them; the counts, ``landed_times`` and the ``imports`` row), the
    stored rows exactly those the SQL path would store. None, with nothing written,
    when the batch is not for this path after all (a customer that is not stored;
    more rows than the id index serves): then ``import_events`` decides, as always.
    """
    n = len(rows)
    if not n or n > idindex.MAX_INDEXED_ROWS:
        return None
    index = idindex.index_of(db, create=True)
    assert index is not None
    pending = idindex.Pending()
    with db.write_lock:  # held past COMMIT, as in _run
        index.sync()
        cur = db.cursor()
        arrow = rows.arrow()
        customer_id = arrow["customer_id"].combine_chunks()
        # read by name (DuckDB's scan of a Python variable: cheaper than register + unregister)
        _advokit_fast_ids = pa.table({"e": arrow["event_id"], "c": customer_id})  # noqa: F841
        got = cur.execute("SELECT hash(e) AS h, hash(c) AS ch FROM _advokit_fast_ids").fetchnumpy()
        hashes = np.asarray(got["h"], dtype=np.uint64)
        customer_hashes = np.asarray(got["ch"], dtype=np.uint64)
        named = np.flatnonzero(np.asarray(customer_id.is_valid()))
        if len(named):
            known = index.customer_set(cur).known(customer_hashes[named],
                                                  customer_id.take(pa.array(named)))
            if not known.all():
                return None  # an unknown customer: that row is rejected, with its reason, by the SQL path
        report = ImportReport(kind="events", source=source_name)
        try:
            status, accepted = _fast_transaction(db, rows, hashes, index, pending, report, source_name)
        except duckdb.Error as exc:
            raise DataError(f"{source_name}: cannot be imported: {str(exc).splitlines()[0]}") from exc
        try:
            index.committed(pending)
        except BaseException:
            idindex.drop(db)  # never keep an index that may miss what just landed
            raise
    report.landed_times = _landed(rows.times().to_numpy()[accepted])
    return FastAppend(report, status, customer_hashes)


def _fast_transaction(db: Database, rows: rules.FastEvents, hashes: np.ndarray, index: idindex.IdIndex,
                      pending: idindex.Pending, report: ImportReport,
                      source_name: str) -> tuple[list[Status], np.ndarray]:
    n = len(rows)
    import_id = uuid.uuid4().hex
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with db.transaction() as cur:
        ok = np.ones(n, dtype=bool)
        status, accepted = _statuses(cur, index, rows.event_id, [True] * n, ok, hashes)
        imported = int(accepted.sum())
        if imported:
            _advokit_fast_rows = _fast_table(rows, None if imported == n else pa.array(accepted))  # noqa: F841
            cur.execute(_INSERT_EVENTS.format(source="_advokit_fast_rows"), [import_id])  # (read by name)
            pending.event_hashes.append(hashes[accepted])
        report.rows, report.imported, report.duplicates = n, imported, n - imported
        report.import_id = import_id
        cur.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [import_id, "events", source_name, started,
                     dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), imported, 0, n - imported])
    return status, accepted


def _run(db: Database, kind: str, source: Any, *, strict: bool, rejects_path: Any, write_rejects: bool,
         progress: Progress | None, item_results: bool, source_name: str | None,
         keep_index: bool = False, sheet: str | None = None) -> ImportReport:
    opened = open_source(source, name=source_name, sheet=sheet)
    missing = [c for c in _REQUIRED[kind] if c not in opened.columns]
    if missing and not (opened.total_rows == 0 and not opened.columns):
        raise _missing_columns(kind, opened, missing, isinstance(source, (str, os.PathLike)))
    report = ImportReport(kind=kind, source=opened.name)  # type: ignore[arg-type]
    index = idindex.index_of(db, create=keep_index)
    pending = idindex.Pending()
    with db.write_lock:  # held past COMMIT: the id index learns what landed before the next writer runs
        if index is not None:
            index.sync()
        _transaction(db, kind, opened, source, report, strict=strict, rejects_path=rejects_path,
                     write_rejects=write_rejects, progress=progress, item_results=item_results,
                     index=index, pending=pending)
        if index is not None:
            try:
                index.committed(pending)
            except BaseException:
                idindex.drop(db)  # never keep an index that may miss what just landed
                raise
    return report


def _transaction(db: Database, kind: str, opened: Source, source: Any, report: ImportReport, *, strict: bool,
                 rejects_path: Any, write_rejects: bool, progress: Progress | None, item_results: bool,
                 index: idindex.IdIndex | None, pending: idindex.Pending) -> None:
    import_id = uuid.uuid4().hex
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with db.transaction() as cur:
        try:
            types, rows = _stage(cur, opened, progress)
            use = index if index is not None and rows <= idindex.MAX_INDEXED_ROWS else None
            if kind == "events":
                all_errors = _events(cur, types, report, import_id, item_results, use, index, pending)
            else:
                _customers(db, cur, types, report, item_results, index, pending)
                all_errors = None
            report.errors = _errors(cur, MAX_ERRORS) if all_errors is None else all_errors[:MAX_ERRORS]
            if strict and report.rejected:
                raise RejectedRowsError(
                    f"{opened.name}: {report.rejected:,} of {report.rows:,} rows rejected; with --strict nothing was imported",
                    hint="fix the rows listed (see the rejects file) or import without --strict",
                    details=report.to_dict())
            report.import_id = import_id
            cur.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [import_id, kind, opened.name, started, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                         report.imported, report.rejected, report.duplicates])
        except RejectedRowsError:
            _maybe_write_rejects(cur, report, source, rejects_path, write_rejects, all_errors)
            raise  # the transaction rolls back, temporary tables included
        except duckdb.Error as exc:
            raise DataError(f"{opened.name}: cannot be imported: {str(exc).splitlines()[0]}") from exc
        _maybe_write_rejects(cur, report, source, rejects_path, write_rejects, all_errors)
        _drop(cur)


def _missing_columns(kind: str, opened: Source, missing: list[str], from_path: bool) -> DataError:
    """The error of a file without a required column: the closest columns it has, and the ``--set`` to use one."""
    known = set(rules.CUSTOMER_FIELDS if kind == "customers" else rules.EVENT_FIELDS)
    candidates = [c for c in opened.columns if c not in known and not c.startswith("_")]
    suggestions = {field: nearmiss.suggest(field, candidates) for field in missing}
    message = f"{opened.name}: missing required column(s) {', '.join(missing)}"
    needs = f"{kind} need the columns {', '.join(_REQUIRED[kind])} (see docs/data-contract.md)"
    details = {"missing": missing, "suggestions": suggestions}
    found = {field: names for field, names in suggestions.items() if names}
    if not found:
        return DataError(message, hint=needs, details=details)
    if len(missing) == 1:
        message += f" (closest in the file: {', '.join(found[missing[0]])})"
    else:
        message += " (closest in the file: " + "; ".join(f"{f}: {', '.join(n)}" for f, n in found.items()) + ")"
    sets = " ".join(f"--set {shlex.quote(f'{field}={names[0]}')}" for field, names in found.items())
    hint = f"map {'it' if len(found) == 1 else 'them'} with {sets}"
    if from_path:
        hint += f" (advokit import {kind} {shlex.quote(opened.name)} {sets})"
    if len(found) < len(missing):
        hint += f"; {needs}"
    return DataError(message, hint=hint, details=details)


# -- staging -----------------------------------------------------------------------
def _stage(cur: duckdb.DuckDBPyConnection, source: Source, progress: Progress | None) -> tuple[dict[str, str], int]:
    """Stream every batch into TEMP table ``_stage``; return its column types and its rows."""
    cur.execute("DROP TABLE IF EXISTS _stage")
    created = False
    columns: set[str] = set()
    done = 0
    for batch in source.batches:
        tbl = pa.Table.from_batches([batch])
        cur.register("_batch", tbl)
        try:
            if not created:
                cur.execute("CREATE TEMP TABLE _stage AS SELECT * FROM _batch")
                created = True
            else:
                for name in tbl.column_names:
                    if name not in columns:
                        cur.execute(f"ALTER TABLE _stage ADD COLUMN {rules.q(name)} VARCHAR")
                cur.execute("INSERT INTO _stage BY NAME SELECT * FROM _batch")
        finally:
            cur.unregister("_batch")
        columns.update(tbl.column_names)
        done += batch.num_rows
        if progress:
            progress(done, source.total_rows)
    if not created:
        names = [*source.columns, "_row"]
        cols = ", ".join(f"{rules.q(n)} {'BIGINT' if n == '_row' else 'VARCHAR'}" for n in names)
        cur.execute(f"CREATE TEMP TABLE _stage ({cols})")
    return _types(cur), done


def _types(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = cur.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '_stage' "
                       "AND database_name = 'temp'").fetchall()
    return {r[0]: r[1] for r in rows}


def _drop(cur: duckdb.DuckDBPyConnection) -> None:
    for t in ("_stage", "_checked", "_new"):
        cur.execute(f"DROP TABLE IF EXISTS {t}")


# -- events ------------------------------------------------------------------------------
def _events(cur: duckdb.DuckDBPyConnection, types: dict[str, str], report: ImportReport, import_id: str,
            item_results: bool, use: idindex.IdIndex | None, index: idindex.IdIndex | None,
            pending: idindex.Pending) -> list[RowError] | None:
    """Validate, deduplicate and append; every problem when known here (else read from ``_checked``)."""
    if use is not None:
        return _events_indexed(cur, types, report, import_id, item_results, use, pending)
    cur.execute(f"""
        CREATE TEMP TABLE _checked AS
        WITH n0 AS (SELECT {rules.event_normalise_sql(types)} FROM _stage),
        n AS (SELECT n0.*, (n0.customer_id IN (SELECT customer_id FROM customers)) AS known FROM n0)
        SELECT n.*, {rules.event_id_sql()} AS event_id, {rules.event_errors_sql()} AS errors FROM n""")
    cur.execute("DROP TABLE _stage")
    # the first valid occurrence of each event_id that the workspace does not hold yet (hash joins, no sort)
    cur.execute("""
        CREATE TEMP TABLE _new AS
        SELECT c.* FROM _checked c
        WHERE len(c.errors) = 0
          AND c._row IN (SELECT min(_row) FROM _checked WHERE len(errors) = 0 GROUP BY event_id)
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = c.event_id)""")
    cur.execute(_INSERT_EVENTS.format(source="_new"), [import_id])
    rows, rejected = cur.execute("SELECT count(*), count(*) FILTER (WHERE len(errors) > 0) FROM _checked").fetchone()  # type: ignore[misc]
    imported = cur.execute("SELECT count(*) FROM _new").fetchone()[0]  # type: ignore[index]
    report.rows, report.rejected, report.imported = rows, rejected, imported
    report.duplicates = rows - rejected - imported
    if index is not None and index.events is not None and imported:
        hashes = cur.execute("SELECT hash(event_id) AS h FROM _new").fetchnumpy()["h"]
        pending.event_hashes.append(np.asarray(hashes, dtype=np.uint64))
    if item_results:
        report.items = _items(cur, "event_id", """
            CASE WHEN len(c.errors) > 0 THEN 'rejected'
                 WHEN c._row IN (SELECT _row FROM _new) THEN 'accepted' ELSE 'duplicate' END""")
    return None


_INSERT_EVENTS = """
    INSERT INTO events (event_id, customer_id, type, occurred_at, score, amount, text, channel, ref,
                        properties, import_id)
    SELECT event_id, customer_id, type, occurred_at, score, amount, text, channel, ref, properties, ?
    FROM {source}"""


def _events_indexed(cur: duckdb.DuckDBPyConnection, types: dict[str, str], report: ImportReport, import_id: str,
                    item_results: bool, use: idindex.IdIndex, pending: idindex.Pending) -> list[RowError]:
    """The same import for a batch, with the in-memory id sets instead of the joins against whole tables.

    Validation is the same SQL; the known-customer flag comes from the customer set,
    and the duplicate check runs here on the batch's (ordered) ids: an item is
    ``duplicate`` when its id is stored (a hash hit, confirmed in the table) or
    appeared on a valid row earlier in the batch, exactly as the SQL path decides.
    """
    cur.register("_known", _known_customers(cur, use, types))
    try:
        cur.execute(f"""
            CREATE TEMP TABLE _checked AS
            WITH n0 AS (SELECT {rules.event_normalise_sql(types)} FROM _stage),
            n AS (SELECT n0.*, (n0.customer_id IN (SELECT customer_id FROM _known)) AS known FROM n0)
            SELECT n.*, {rules.event_id_sql()} AS event_id, {rules.event_ok_sql()} AS _ok FROM n""")
    finally:
        cur.unregister("_known")
    cols = cur.execute("SELECT _row, event_id, hash(event_id) AS h, occurred_at, _ok AS ok "
                       "FROM _checked ORDER BY _row").fetchnumpy()
    ok = np.asarray(cols["ok"], dtype=bool)
    oks = ok.tolist()
    ids = cols["event_id"].tolist()
    hashes = np.asarray(cols["h"], dtype=np.uint64)
    status, accepted = _statuses(cur, use, ids, oks, ok, hashes)
    row_numbers = np.asarray(cols["_row"])
    if accepted.any():
        cur.register("_keep", pa.table({"_row": pa.array(row_numbers[accepted])}))
        try:
            cur.execute(_INSERT_EVENTS.format(source="_checked WHERE _row IN (SELECT _row FROM _keep)"), [import_id])
        finally:
            cur.unregister("_keep")
        pending.event_hashes.append(hashes[accepted])
    problems: dict[int, list[RowError]] = {}
    if not ok.all():
        sql = f"SELECT _row, _line, {rules.event_errors_sql()} AS errors FROM _checked n WHERE NOT _ok ORDER BY _row"
        for row, line, errs in cur.execute(sql).fetchall():  # the problem lists of the bad rows only
            problems[row] = [RowError(row=line, column=e["column"], value=e["value"], reason=e["reason"]) for e in errs]
    report.rows, report.rejected = len(status), int((~ok).sum())
    report.imported = int(accepted.sum())
    report.duplicates = report.rows - report.rejected - report.imported
    if item_results:
        report.items = [ItemResult(row, s, event_id, tuple(problems.get(row, ())))
                        for row, event_id, s in zip(row_numbers.tolist(), ids, status)]
        report.landed_times = _landed(cols["occurred_at"][accepted])
    return [e for errs in problems.values() for e in errs]


def _fast_table(rows: rules.FastEvents, keep: pa.Array | None) -> pa.Table:
    """The rows to insert: the batch's Arrow columns (made before the lock), less those not accepted."""
    table = rows.arrow()
    return table if keep is None else table.filter(keep)


def _statuses(cur: duckdb.DuckDBPyConnection, use: idindex.IdIndex, ids: list[str], oks: list[bool], ok: np.ndarray,
              hashes: np.ndarray) -> tuple[list[Status], np.ndarray]:
    """Each row's status in order (a stored id, or one on a valid row earlier in the batch, is a duplicate)."""
    every = bool(ok.all())
    seen = _stored(cur, use, ids if every else [i for i, good in zip(ids, oks) if good],
                   hashes if every else hashes[ok])  # stored ids count as seen
    if not seen and every and len(np.unique(hashes)) == len(hashes):
        # the usual batch: every row valid, none stored, no two with the same id (ids that differ in hash)
        return ["accepted"] * len(ids), np.ones(len(ids), dtype=bool)
    status: list[Status] = []
    for event_id, good in zip(ids, oks):
        if not good:
            status.append("rejected")
        elif event_id in seen:
            status.append("duplicate")
        else:
            seen.add(event_id)
            status.append("accepted")
    return status, np.array([s == "accepted" for s in status], dtype=bool)


def _landed(times: np.ndarray) -> list[dt.datetime]:
    """For the KPI cache: the earliest, the latest and one time in each month that got events."""
    if not len(times):
        return []
    lo, hi = times.min(), times.max()
    months = np.unique(times.astype("datetime64[M]")).astype("datetime64[us]")
    return [_utc(t) for t in (lo, hi, *np.maximum(months, lo))]


def _utc(t: np.datetime64) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(t.astype("datetime64[us]").astype(np.int64)))


def _known_customers(cur: duckdb.DuckDBPyConnection, use: idindex.IdIndex, types: dict[str, str]) -> pa.Table:
    """The batch's customer ids that are stored customers (exact), from the in-memory set."""
    col = rules.text_col("customer_id", set(types))
    ids = cur.sql(f"SELECT DISTINCT c AS customer_id, hash(c) AS h FROM (SELECT {col} AS c FROM _stage) "
                  "WHERE c IS NOT NULL").to_arrow_table()
    customer_id = ids.column("customer_id").combine_chunks()
    if not len(customer_id):
        return pa.table({"customer_id": pa.array([], pa.string())})
    known = use.customer_set(cur).known(ids.column("h").to_numpy(), customer_id)
    return pa.table({"customer_id": customer_id.filter(pa.array(known))})


def _stored(cur: duckdb.DuckDBPyConnection, use: idindex.IdIndex, ids: list[str], hashes: np.ndarray) -> set[str]:
    """The ids among ``ids`` that the workspace holds already.

    Only ids whose hash is in the event-id set are looked up in the table (a real
    duplicate, a hash collision or an erased event): usually none.
    """
    hit = use.event_set(cur).contains(hashes)
    if not hit.any():
        return set()
    candidates = sorted({i for i, h in zip(ids, hit.tolist()) if h})
    cur.register("_candidates", pa.table({"event_id": pa.array(candidates, pa.string())}))
    try:
        rows = cur.execute("SELECT DISTINCT event_id FROM events "
                           "WHERE event_id IN (SELECT event_id FROM _candidates)").fetchall()
    finally:
        cur.unregister("_candidates")
    return {r[0] for r in rows}


# -- customers ----------------------------------------------------------------------------
def _customers(db: Database, cur: duckdb.DuckDBPyConnection, types: dict[str, str], report: ImportReport,
               item_results: bool, index: idindex.IdIndex | None, pending: idindex.Pending) -> None:
    extras = [c for c in types if c not in rules.CUSTOMER_FIELDS and c not in rules.STAGED_COLUMNS]
    for name in extras:
        try:
            check_identifier(name)
        except ValueError:
            raise DataError(f"{report.source}: column name {name!r} cannot be a customer attribute",
                            hint="use lower-case letters, digits and underscores, starting with a letter") from None
        if name in ("updated_at",):
            raise DataError(f"{report.source}: column {name!r} is reserved")
    existing = set(db.customer_columns())
    held = [c for c in existing if c not in CUSTOMER_COLUMNS and c != "updated_at"]
    limit = attributes.max_attributes()
    new = [name for name in extras if name not in existing]
    room = max(limit - len(held), 0)
    over = new[room:]  # not stored: a row with a value there is rejected, naming it
    for name in new[:room]:
        db.add_customer_attribute(cur, name)
    table_cols = [c for c in db.customer_columns() if c != "updated_at"]
    all_extras = [c for c in table_cols if c not in CUSTOMER_COLUMNS]
    record_limit = attributes.max_record_attributes()
    limits = rules.attribute_rules(
        [c for c in extras if c not in over], over, record_limit=record_limit,
        workspace_reason=lambda name: attributes.workspace_limit_reason(name, limit),
        record_reason=attributes.record_limit_reason(record_limit))
    cur.execute(f"""
        CREATE TEMP TABLE _checked AS
        WITH n AS (SELECT {rules.customer_normalise_sql(types, [*all_extras, *over])} FROM _stage)
        SELECT n.*, {rules.customer_errors_sql(all_extras, limits)} AS errors FROM n""")
    cur.execute("DROP TABLE _stage")
    cols = ", ".join(rules.q(c) for c in table_cols)
    same = " AND ".join(f"o.{rules.q(c)} IS NOT DISTINCT FROM v.{rules.q(c)}" for c in table_cols)
    cur.execute(f"""
        CREATE TEMP TABLE _new AS
        SELECT v.*, CASE WHEN o.customer_id IS NULL THEN 'accepted'
                         WHEN {same} THEN 'unchanged' ELSE 'updated' END AS _status
        FROM (SELECT * FROM (
                SELECT c.*, row_number() OVER (PARTITION BY c.customer_id ORDER BY c._row DESC) AS _rn
                FROM _checked c WHERE len(c.errors) = 0) WHERE _rn = 1) v
        LEFT JOIN customers o ON o.customer_id = v.customer_id""")
    cur.execute("DELETE FROM customers WHERE customer_id IN (SELECT customer_id FROM _new WHERE _status = 'updated')")
    cur.execute(f"INSERT INTO customers ({cols}, updated_at) SELECT {cols}, now() FROM _new "
                "WHERE _status IN ('accepted', 'updated')")
    rows, rejected = cur.execute("SELECT count(*), count(*) FILTER (WHERE len(errors) > 0) FROM _checked").fetchone()  # type: ignore[misc]
    counts = dict(cur.execute("SELECT _status, count(*) FROM _new GROUP BY 1").fetchall())
    report.rows, report.rejected = rows, rejected
    report.updated, report.unchanged = counts.get("updated", 0), counts.get("unchanged", 0)
    report.imported = counts.get("accepted", 0) + report.updated
    report.duplicates = rows - rejected - sum(counts.values())
    if index is not None and index.customers is not None and counts.get("accepted"):
        pending.customers.extend(r[0] for r in cur.execute(
            "SELECT customer_id FROM _new WHERE _status = 'accepted'").fetchall())
    if item_results:
        report.items = _items(cur, "customer_id", """
            CASE WHEN len(c.errors) > 0 THEN 'rejected'
                 ELSE coalesce((SELECT n._status FROM _new n WHERE n._row = c._row), 'duplicate') END""")


# -- reporting --------------------------------------------------------------------------------
def _errors(cur: duckdb.DuckDBPyConnection, limit: int | None) -> list[RowError]:
    sql = ("SELECT _line, e.column, e.value, e.reason FROM (SELECT _row, _line, unnest(errors) AS e, "
           "generate_subscripts(errors, 1) AS i FROM _checked WHERE len(errors) > 0) ORDER BY _row, i")
    rows = cur.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    return [RowError(row=r[0], column=r[1], value=r[2], reason=r[3]) for r in rows]


def _items(cur: duckdb.DuckDBPyConnection, id_col: str, status_sql: str) -> list[ItemResult]:
    cols = cur.execute(f"SELECT c._row, c.{id_col}, {status_sql} FROM _checked c ORDER BY c._row").fetchnumpy()
    problems = dict(cur.execute("SELECT _row, errors FROM _checked WHERE len(errors) > 0").fetchall())
    out = []
    for row, id_, status in zip(cols["_row"].tolist(), cols[id_col].tolist(), cols[list(cols)[2]].tolist()):
        errs = problems.get(row)
        out.append(ItemResult(row=row, status=status, id=id_, errors=() if not errs else tuple(
            RowError(row=row, column=e["column"], value=e["value"], reason=e["reason"]) for e in errs)))
    return out


def _maybe_write_rejects(cur: duckdb.DuckDBPyConnection, report: ImportReport, source: Any, rejects_path: Any,
                         write_rejects: bool, all_errors: list[RowError] | None) -> None:
    if not report.rejected or not write_rejects or not (rejects_path or isinstance(source, (str, os.PathLike))):
        return  # (a data frame or a batch writes a rejects file only where one is asked for)
    path = Path(rejects_path) if rejects_path else Path(str(source) + ".rejects.csv")
    if all_errors is not None:
        errors = all_errors
    else:
        errors = report.errors if len(report.errors) < MAX_ERRORS else _errors(cur, None)
    try:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = SafeWriter(fh)  # a value such as =HYPERLINK(...) is written '=HYPERLINK(...)
            writer.writerow(["row", "column", "value", "reason"])
            writer.writerows([e.row, e.column or "", "" if e.value is None else e.value, e.reason] for e in errors)
    except OSError as exc:
        raise DataError(f"cannot write the rejects file {path}: {exc.strerror}",
                        hint="pass --rejects PATH to write it elsewhere") from None
    report.rejects_path = str(path)
