"""Atomic, idempotent, streaming imports of customers and events.

One import is one DuckDB transaction: the input is streamed batch by batch
into a temporary staging table, validated there with vectorised SQL
(``rules.py``), and the valid rows land with one INSERT. Any exception, or a
kill of the process, before the COMMIT leaves the workspace as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import DataError, RejectedRowsError
from ..storage import CUSTOMER_COLUMNS, Database, check_identifier
from . import rules
from .readers import Source, open_source
from .report import ImportReport, ItemResult, RowError

Progress = Callable[[int, int | None], None]
MAX_ERRORS = 1000
_REQUIRED = {"customers": ("customer_id", "signup_at"), "events": ("customer_id", "type", "occurred_at")}


def import_customers(db: Database, source: Any, *, strict: bool = False,
                     rejects_path: str | os.PathLike[str] | None = None, write_rejects: bool = True,
                     progress: Progress | None = None, item_results: bool = False,
                     source_name: str | None = None) -> ImportReport:
    """Upsert customers (last write wins) from a file, DataFrame, Arrow table or list of dicts."""
    return _run(db, "customers", source, strict=strict, rejects_path=rejects_path, write_rejects=write_rejects,
                progress=progress, item_results=item_results, source_name=source_name)


def import_events(db: Database, source: Any, *, strict: bool = False,
                  rejects_path: str | os.PathLike[str] | None = None, write_rejects: bool = True,
                  progress: Progress | None = None, item_results: bool = False,
                  source_name: str | None = None) -> ImportReport:
    """Append events, deduplicated by ``event_id``, from a file, DataFrame, Arrow table or list of dicts."""
    return _run(db, "events", source, strict=strict, rejects_path=rejects_path, write_rejects=write_rejects,
                progress=progress, item_results=item_results, source_name=source_name)


def _run(db: Database, kind: str, source: Any, *, strict: bool, rejects_path: Any, write_rejects: bool,
         progress: Progress | None, item_results: bool, source_name: str | None) -> ImportReport:
    opened = open_source(source, name=source_name)
    missing = [c for c in _REQUIRED[kind] if c not in opened.columns]
    if missing and not (opened.total_rows == 0 and not opened.columns):
        raise DataError(f"{opened.name}: missing required column(s) {', '.join(missing)}",
                        hint=f"{kind} need the columns {', '.join(_REQUIRED[kind])} (see docs/data-contract.md)")
    report = ImportReport(kind=kind, source=opened.name)  # type: ignore[arg-type]
    import_id = uuid.uuid4().hex
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with db.transaction() as cur:
        try:
            types = _stage(cur, opened, progress)
            if kind == "events":
                _events(cur, types, report, import_id, item_results)
            else:
                _customers(db, cur, types, report, item_results)
            report.errors = _errors(cur, MAX_ERRORS)
            if strict and report.rejected:
                raise RejectedRowsError(
                    f"{opened.name}: {report.rejected:,} of {report.rows:,} rows rejected; with --strict nothing was imported",
                    hint="fix the rows listed (see the rejects file) or import without --strict",
                    details=report.to_dict())
            cur.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [import_id, kind, opened.name, started, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                         report.imported, report.rejected, report.duplicates])
        except RejectedRowsError:
            _maybe_write_rejects(cur, report, source, rejects_path, write_rejects)
            raise  # the transaction rolls back, temporary tables included
        except duckdb.Error as exc:
            raise DataError(f"{opened.name}: cannot be imported: {str(exc).splitlines()[0]}") from exc
        _maybe_write_rejects(cur, report, source, rejects_path, write_rejects)
        _drop(cur)
    return report


# -- staging -----------------------------------------------------------------------
def _stage(cur: duckdb.DuckDBPyConnection, source: Source, progress: Progress | None) -> dict[str, str]:
    """Stream every batch into TEMP table ``_stage``; return its column types."""
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
    return _types(cur)


def _types(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = cur.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '_stage' "
                       "AND database_name = 'temp'").fetchall()
    return {r[0]: r[1] for r in rows}


def _drop(cur: duckdb.DuckDBPyConnection) -> None:
    for t in ("_stage", "_checked", "_new"):
        cur.execute(f"DROP TABLE IF EXISTS {t}")


# -- events ------------------------------------------------------------------------------
def _events(cur: duckdb.DuckDBPyConnection, types: dict[str, str], report: ImportReport, import_id: str,
            item_results: bool) -> None:
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
    cur.execute("""
        INSERT INTO events (event_id, customer_id, type, occurred_at, score, amount, text, channel, ref,
                            properties, import_id)
        SELECT event_id, customer_id, type, occurred_at, score, amount, text, channel, ref, properties, ?
        FROM _new""", [import_id])
    rows, rejected = cur.execute("SELECT count(*), count(*) FILTER (WHERE len(errors) > 0) FROM _checked").fetchone()  # type: ignore[misc]
    imported = cur.execute("SELECT count(*) FROM _new").fetchone()[0]  # type: ignore[index]
    report.rows, report.rejected, report.imported = rows, rejected, imported
    report.duplicates = rows - rejected - imported
    if item_results:
        report.items = _items(cur, "event_id", """
            CASE WHEN len(c.errors) > 0 THEN 'rejected'
                 WHEN c._row IN (SELECT _row FROM _new) THEN 'accepted' ELSE 'duplicate' END""")


# -- customers ----------------------------------------------------------------------------
def _customers(db: Database, cur: duckdb.DuckDBPyConnection, types: dict[str, str], report: ImportReport,
               item_results: bool) -> None:
    extras = [c for c in types if c not in rules.CUSTOMER_FIELDS and c not in ("_row", "_bad")]
    for name in extras:
        try:
            check_identifier(name)
        except ValueError:
            raise DataError(f"{report.source}: column name {name!r} cannot be a customer attribute",
                            hint="use lower-case letters, digits and underscores, starting with a letter") from None
        if name in ("updated_at",):
            raise DataError(f"{report.source}: column {name!r} is reserved")
    existing = set(db.customer_columns())
    for name in extras:
        if name not in existing:
            db.add_customer_attribute(cur, name)
    table_cols = [c for c in db.customer_columns() if c != "updated_at"]
    all_extras = [c for c in table_cols if c not in CUSTOMER_COLUMNS]
    cur.execute(f"""
        CREATE TEMP TABLE _checked AS
        WITH n AS (SELECT {rules.customer_normalise_sql(types, all_extras)} FROM _stage)
        SELECT n.*, {rules.customer_errors_sql()} AS errors FROM n""")
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
    if item_results:
        report.items = _items(cur, "customer_id", """
            CASE WHEN len(c.errors) > 0 THEN 'rejected'
                 ELSE coalesce((SELECT n._status FROM _new n WHERE n._row = c._row), 'duplicate') END""")


# -- reporting --------------------------------------------------------------------------------
def _errors(cur: duckdb.DuckDBPyConnection, limit: int | None) -> list[RowError]:
    sql = ("SELECT _row, e.column, e.value, e.reason FROM (SELECT _row, unnest(errors) AS e FROM _checked "
           "WHERE len(errors) > 0) ORDER BY _row")
    rows = cur.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    return [RowError(row=r[0], column=r[1], value=r[2], reason=r[3]) for r in rows]


def _items(cur: duckdb.DuckDBPyConnection, id_col: str, status_sql: str) -> list[ItemResult]:
    rows = cur.execute(f"SELECT c._row, c.{id_col}, {status_sql}, c.errors FROM _checked c ORDER BY c._row").fetchall()
    return [ItemResult(row=r[0], status=r[2], id=r[1],
                       errors=tuple(RowError(row=r[0], column=e["column"], value=e["value"], reason=e["reason"])
                                    for e in r[3]))
            for r in rows]


def _maybe_write_rejects(cur: duckdb.DuckDBPyConnection, report: ImportReport, source: Any, rejects_path: Any,
                         write_rejects: bool) -> None:
    if not report.rejected or not write_rejects or not isinstance(source, (str, os.PathLike)):
        return
    path = Path(rejects_path) if rejects_path else Path(str(source) + ".rejects.csv")
    errors = report.errors if len(report.errors) < MAX_ERRORS else _errors(cur, None)
    try:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["row", "column", "value", "reason"])
            writer.writerows([e.row, e.column or "", "" if e.value is None else e.value, e.reason] for e in errors)
    except OSError as exc:
        raise DataError(f"cannot write the rejects file {path}: {exc.strerror}",
                        hint="pass --rejects PATH to write it elsewhere") from None
    report.rejects_path = str(path)
