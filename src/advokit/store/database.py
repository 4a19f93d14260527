"""The workspace file: one DuckDB database with a versioned schema.

Tables (schema version 1):

* ``meta``       key/value pairs, among them ``schema_version``.
* ``customers``  one row per account (data contract section 1); extra
                 attribute columns are added as VARCHAR columns on import.
* ``events``     immutable facts (data contract section 2), unique by ``event_id``.
* ``imports``    one row per completed import (file, counts, time).
* ``targets``    KPI targets, optionally per segment and period.
* ``comments``   team commentary per KPI and period.
* ``api_keys``   hashed API keys with their scope.
* ``erasures``   GDPR erasures, recorded without personal data.

Schema version 2 adds:

* ``webhook_sources``  per-source shared secrets (and payload shape) of signed webhooks.

Schema version 3 adds:

* ``events_customer_id``  an index (DuckDB ART) on ``events(customer_id)``, so that one
  customer's events (a profile, an export, an erasure) are a lookup, not a scan of every
  event. Migrating a big workspace builds it once (about 7 s for 13M events on 2 cores);
  imports then keep it up to date (about 8 % slower bulk imports, see docs/benchmarks.md).

Schema version 4 adds:

* ``webhook_sources.previous_until``  when the previous secret of a rotated source stops
  working (the grace period's end; NULL: it does not work).

Schema version 5 adds:

* ``coverage_spans``  the spans a user declared for coverage inputs (``advokit coverage set``): where the
  workspace tracks an input, whatever its first and last event say.

Schema version 6 adds:

* ``schedules``   report schedules (``advokit report schedule``): kind, day of the month, recipients, formats.
* ``deliveries``  one row per (schedule, period, recipient), unique: status, attempts, last error, sent_at.

Schema version 7 adds:

* ``settings``      workspace settings (``advokit config``): ``key`` (primary key) and ``value``, e.g. the
  currency and the report's headline KPIs.
* ``comments.due``  the date a comment's action or risk is due (NULL: none given).

Schema version 8 adds:

* ``text_sentiment``  the sentiment of each stored text (label, score, confidence, language, model).
* ``text_models``     sentiment models tuned on the workspace's own scored comments.

Schema version 9 adds:

* ``themes``       the themes discovered in the workspace's texts (``advokit text themes``): label, the
                   user's name, top terms (JSON ``[[term, weight], ...]``), pinned, merged_into, times.
* ``text_themes``  each text's themes (at most three) with a weight; erased with the customer's events.

Schema version 10 adds:

* ``prediction_models``  the churn and advocacy models of ``advokit model train`` (advokit.models): target,
                         horizon, kind, the feature set, the model itself as text (coefficients as JSON or
                         lightgbm's model string; no pickle) and its metadata (data span, figures, versions).

All timestamps are stored as naive UTC ``TIMESTAMP``.

Deleted rows are not gone from the file: DuckDB marks them deleted and frees
their blocks without zeroing them, and the WAL keeps what it logged until a
checkpoint. ``checkpoint()`` folds the WAL into the file; ``rewrite()`` copies
every table into a fresh file beside the workspace, fsyncs it and renames it
over the old one, so the bytes of erased records are no longer in the file. A
write that must be followed by a rewrite (an erasure) sets the
``rewrite_pending`` marker in its transaction; a rewrite that did not finish
(a crash) is done again on the next open, or by the next ``checkpoint()``.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ..errors import InvalidArgumentError, WorkspaceError
from .rows import first

log = logging.getLogger(__name__)

SCHEMA_VERSION = 10

#: Columns of the customers table defined by the data contract, in order.
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "email", "segment", "industry", "region", "plan",
    "signup_at", "churned_at", "arr", "referred_by",
)
#: Customer columns holding personal data (never a segment dimension, erased on request).
PERSONAL_COLUMNS: frozenset[str] = frozenset({"name", "email"})
#: Customer columns that are not categorical attributes.
NON_DIMENSION_COLUMNS: frozenset[str] = frozenset(
    {"customer_id", "name", "email", "signup_at", "churned_at", "arr", "updated_at"}
)
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id", "customer_id", "type", "occurred_at", "score", "amount",
    "text", "channel", "ref", "properties",
)

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_V1 = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR NOT NULL, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS customers (
        customer_id VARCHAR NOT NULL, name VARCHAR, email VARCHAR, segment VARCHAR,
        industry VARCHAR, region VARCHAR, plan VARCHAR, signup_at TIMESTAMP NOT NULL,
        churned_at TIMESTAMP, arr DOUBLE, referred_by VARCHAR, updated_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS events (
        event_id VARCHAR NOT NULL, customer_id VARCHAR, type VARCHAR NOT NULL,
        occurred_at TIMESTAMP NOT NULL, score DOUBLE, amount DOUBLE, text VARCHAR,
        channel VARCHAR, ref VARCHAR, properties VARCHAR, import_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS imports (
        import_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, source VARCHAR,
        started_at TIMESTAMP, finished_at TIMESTAMP, imported BIGINT, rejected BIGINT,
        duplicates BIGINT)""",
    """CREATE TABLE IF NOT EXISTS targets (
        target_id VARCHAR NOT NULL, kpi VARCHAR NOT NULL, value DOUBLE NOT NULL,
        dimension VARCHAR, dimension_value VARCHAR, valid_from DATE, valid_to DATE,
        created_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS comments (
        comment_id VARCHAR NOT NULL, kpi VARCHAR NOT NULL, period VARCHAR NOT NULL,
        body VARCHAR NOT NULL, author VARCHAR, owner VARCHAR, kind VARCHAR,
        created_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS api_keys (
        key_id VARCHAR NOT NULL, name VARCHAR NOT NULL, scope VARCHAR NOT NULL,
        key_hash VARCHAR NOT NULL, created_at TIMESTAMP, revoked_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS erasures (
        erasure_id VARCHAR NOT NULL, subject_hash VARCHAR NOT NULL,
        events_removed BIGINT, erased_at TIMESTAMP)""",
]

_V2 = [
    """CREATE TABLE IF NOT EXISTS webhook_sources (
        source VARCHAR NOT NULL, kind VARCHAR NOT NULL, secret VARCHAR NOT NULL,
        previous_secret VARCHAR, rotated_at TIMESTAMP, created_at TIMESTAMP)""",
]

_V3 = [
    "CREATE INDEX IF NOT EXISTS events_customer_id ON events (customer_id)",
]

_V4 = [
    "ALTER TABLE webhook_sources ADD COLUMN IF NOT EXISTS previous_until TIMESTAMP",
    # a rotation of before kept its previous secret 24 hours: the same end
    "UPDATE webhook_sources SET previous_until = rotated_at + INTERVAL 24 HOUR "
    "WHERE previous_secret IS NOT NULL AND rotated_at IS NOT NULL",
]

_V5 = [
    """CREATE TABLE IF NOT EXISTS coverage_spans (
        input VARCHAR NOT NULL, span_from DATE, span_to DATE, set_at TIMESTAMP)""",
]

_V6 = [
    """CREATE TABLE IF NOT EXISTS schedules (
        schedule_id VARCHAR NOT NULL PRIMARY KEY, kind VARCHAR NOT NULL, day INTEGER NOT NULL,
        recipients VARCHAR NOT NULL, formats VARCHAR NOT NULL, period VARCHAR, created_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS deliveries (
        schedule_id VARCHAR NOT NULL, period VARCHAR NOT NULL, recipient VARCHAR NOT NULL,
        status VARCHAR NOT NULL, attempts INTEGER NOT NULL, last_error VARCHAR, sent_at TIMESTAMP,
        updated_at TIMESTAMP, UNIQUE (schedule_id, period, recipient))""",
]

_V7 = [
    "CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "ALTER TABLE comments ADD COLUMN IF NOT EXISTS due DATE",
]

_V8 = [
    # the sentiment of each stored text (advokit.text): label negative / neutral / positive, or
    # language_unsupported (then score and confidence are null); the model (and version) that scored it
    """CREATE TABLE IF NOT EXISTS text_sentiment (
        event_id VARCHAR NOT NULL PRIMARY KEY, label VARCHAR NOT NULL, score DOUBLE, confidence DOUBLE,
        language VARCHAR, model VARCHAR NOT NULL, scored_at TIMESTAMP)""",
    # sentiment models tuned on the workspace's own scored comments (advokit text tune)
    """CREATE TABLE IF NOT EXISTS text_models (
        model_id VARCHAR NOT NULL PRIMARY KEY, base VARCHAR NOT NULL, created_at TIMESTAMP,
        figures VARCHAR, weights BLOB)""",
]

_V9 = [
    # the themes of the workspace's texts (advokit.themes): discovered label, the user's name, the top terms
    # as JSON [[term, weight], ...], pinned (kept by a refresh), merged_into (reported as that theme)
    """CREATE TABLE IF NOT EXISTS themes (
        theme_id VARCHAR NOT NULL PRIMARY KEY, label VARCHAR NOT NULL, name VARCHAR, terms VARCHAR NOT NULL,
        pinned BOOLEAN NOT NULL DEFAULT false, merged_into VARCHAR, created_at TIMESTAMP, refreshed_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS text_themes (
        event_id VARCHAR NOT NULL, theme_id VARCHAR NOT NULL, weight DOUBLE NOT NULL,
        PRIMARY KEY (event_id, theme_id))""",
]

_V10 = [
    # predictive models (advokit.models): the body is JSON (logistic) or lightgbm's model string, the
    # features a JSON list, the metadata JSON (data span, backtest figures, library versions)
    """CREATE TABLE IF NOT EXISTS prediction_models (
        model_id VARCHAR NOT NULL PRIMARY KEY, target VARCHAR NOT NULL, horizon_days INTEGER NOT NULL,
        kind VARCHAR NOT NULL, feature_set VARCHAR NOT NULL, features VARCHAR NOT NULL, body VARCHAR NOT NULL,
        metadata VARCHAR NOT NULL, trained_at TIMESTAMP NOT NULL)""",
]

#: Ordered migrations: index i upgrades a workspace from version i to i + 1.
MIGRATIONS: list[list[str]] = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10]


#: Saved derived tables (the rollups) start with this; a rewrite leaves them out, they are recomputed.
DERIVED_TABLE_PREFIX = "rollup_"
#: ``meta`` key set by a write whose deleted bytes must leave the file (an erasure): a rewrite is due.
REWRITE_PENDING = "rewrite_pending"
_REWRITE_ALIAS = "__advokit_rewrite"
_PROBE = "__advokit_probe"
#: How long a rewrite waits for reads still running on the old connection.
REWRITE_WAIT_S = 60.0
#: How long a rewrite lets reads already under way go on before it closes the connection under them.
REWRITE_DRAIN_S = 0.1


def default_db_path() -> Path:
    """The workspace path: ``$ADVOKIT_DB`` or ``./advokit.duckdb``."""
    return Path(os.environ.get("ADVOKIT_DB") or "advokit.duckdb")


def check_identifier(name: str) -> str:
    """Return ``name`` when it is a safe column identifier, else raise."""
    if not _IDENT.match(name):
        raise InvalidArgumentError(
            f"invalid attribute name {name!r}",
            hint="attribute names use lower-case letters, digits and underscores and start with a letter",
        )
    return name


def quote_ident(name: str) -> str:
    """Double-quote a validated identifier for DDL."""
    return '"' + check_identifier(name) + '"'


class Database:
    """An open workspace file with its schema at the current version.

    One DuckDB connection per process; ``cursor()`` hands out thread-local
    cursors, and ``transaction()`` wraps a unit of work that lands whole or
    not at all.
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise WorkspaceError(f"workspace {self.path} does not exist",
                                 hint="create it with `advokit demo` or `advokit import ...`")
        if not read_only and self.path.parent and not self.path.parent.exists():
            raise WorkspaceError(f"folder {self.path.parent} does not exist",
                                 hint="create the folder or choose another --db path")
        self._local = threading.local()
        self.write_lock = threading.RLock()
        #: committed write transactions so far (bumped under the write lock): in-memory indexes compare it
        self.writes = 0
        #: bumped when the connection is replaced (a rewrite): thread-local cursors of older ones are dropped
        self.generation = 0
        self._gate = threading.Condition()
        self._swapper: int | None = None  # the thread replacing the connection, None when none is
        self.con = self._connect()
        self._clear_leftovers()  # (only now: the open file is this process's, no other one is rewriting it)
        if not read_only:
            self._migrate()
        else:
            self._check_version()
        self._derived = self._has_derived()
        self._listeners: list[Callable[[str], None]] = []
        if not read_only and self.rewrite_pending():  # a rewrite a crash interrupted
            self.rewrite()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(self.path), read_only=self.read_only)
        except duckdb.IOException as exc:
            raise WorkspaceError(f"cannot open workspace {self.path}: {_first_line(exc)}",
                                 hint="is another advokit process (e.g. `advokit serve`) using it?") from exc
        except duckdb.Error as exc:
            raise WorkspaceError(f"{self.path} is not a usable advokit workspace: {_first_line(exc)}") from exc
        con.execute("SET TimeZone = 'UTC'")
        return con

    @property
    def _rewrite_path(self) -> Path:
        return self.path.with_name(self.path.name + ".rewrite")

    def _clear_leftovers(self) -> None:
        """A fresh copy that a crash left beside the workspace is incomplete or already renamed: remove it."""
        if self.read_only:
            return
        for leftover in (self._rewrite_path, Path(str(self._rewrite_path) + ".wal")):
            leftover.unlink(missing_ok=True)

    # -- schema -------------------------------------------------------------
    def schema_version(self) -> int:
        try:
            row = first(self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'"))
        except duckdb.CatalogException:
            return 0
        return int(row[0]) if row else 0

    def _has_derived(self) -> bool:
        try:
            row = first(self.con.execute("SELECT count(*) FROM meta WHERE key LIKE 'derived:%'"))
        except duckdb.CatalogException:
            return False
        return bool(row and row[0])

    def _check_version(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"workspace {self.path} has schema version {version}, newer than this advokit ({SCHEMA_VERSION})",
                hint="upgrade advokit to open it")

    def _migrate(self) -> None:
        self._check_version()
        version = self.schema_version()
        if version == SCHEMA_VERSION:
            return
        self.con.execute("SET enable_progress_bar = false")  # (building an index on a big workspace takes seconds)
        self.con.execute("BEGIN TRANSACTION")
        try:
            for step in MIGRATIONS[version:]:
                for statement in step:
                    self.con.execute(statement)
            self.con.execute("DELETE FROM meta WHERE key = 'schema_version'")
            self.con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    # -- access ---------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB connections are not thread-safe)."""
        self.wait_ready()
        cur = getattr(self._local, "cursor", None)
        if cur is None or getattr(self._local, "generation", -1) != self.generation:
            cur = self.con.cursor()
            cur.execute("SET TimeZone = 'UTC'")
            self._local.cursor = cur
            self._local.generation = self.generation
        return cur

    def wait_ready(self) -> None:
        """Return at once, or when the connection being replaced (``rewrite``) is open again."""
        if self._swapper is not None and self._swapper != threading.get_ident():
            with self._gate:
                self._gate.wait_for(lambda: self._swapper is None)

    def new_cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the connection for the caller to keep (closed with the connection, unlike a cursor's
        own cursors); compare ``generation`` to know when it belongs to a replaced connection."""
        self.cursor()  # (waits while the connection is being replaced)
        cur = self.con.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    @contextmanager
    def transaction(self, *, data: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block in one transaction on this thread's cursor; roll back on any error.

        ``data=False`` for writes that cannot change a KPI value (comments, keys, targets, webhook
        sources): listeners hear ``"meta"`` instead of ``"write"`` and derived data stays valid.
        The first data write drops the ``derived:*`` markers (persisted rollups) in the same
        transaction, so derived data never outlives the data it was computed from.
        """
        with self.write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                if data and self._derived:
                    cur.execute("DELETE FROM meta WHERE key LIKE 'derived:%'")
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
            if data:
                self._derived = False
            self.writes += 1
            # still under the lock: no reader of ``writes`` sees the write before its listeners heard of it
            self.notify("write" if data else "meta")

    def derived_marker(self, name: str) -> str | None:
        """The value of the ``derived:NAME`` marker (None: absent, i.e. stale or never written)."""
        row = self.cursor().execute("SELECT value FROM meta WHERE key = ?", ["derived:" + name]).fetchall()
        return row[0][0] if row else None

    def set_derived_marker(self, cur: duckdb.DuckDBPyConnection, name: str, value: str) -> None:
        """Record derived data as valid for the data as it stands (call inside the writing transaction)."""
        cur.execute("DELETE FROM meta WHERE key = ?", ["derived:" + name])
        cur.execute("INSERT INTO meta VALUES (?, ?)", ["derived:" + name, value])
        self._derived = True

    def customer_columns(self) -> list[str]:
        rows = self.cursor().execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers' "
            "ORDER BY ordinal_position").fetchall()
        return [r[0] for r in rows]

    def dimension_columns(self) -> list[str]:
        """Customer attributes usable as a segment dimension (``--by``)."""
        return [c for c in self.customer_columns() if c not in NON_DIMENSION_COLUMNS]

    def add_customer_attribute(self, cur: duckdb.DuckDBPyConnection, name: str) -> None:
        cur.execute(f"ALTER TABLE customers ADD COLUMN {quote_ident(name)} VARCHAR")

    # -- change notification (rollups, caches) ------------------------------
    def counts(self) -> dict[str, int]:
        """How many customers and events the workspace holds."""
        cur = self.cursor()
        customers = cur.execute("SELECT count(*) FROM customers").fetchall()[0][0]
        events = cur.execute("SELECT count(*) FROM events").fetchall()[0][0]
        return {"customers": int(customers), "events": int(events)}

    def on_change(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def notify(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    # -- storage: checkpoint, rewrite, close ----------------------------------
    def checkpoint(self) -> bool:
        """Fold the WAL into the file (and finish a pending rewrite); waits for a running write.

        False when DuckDB refused because a read on another cursor still holds a transaction open
        (try again later; closing the workspace checkpoints in any case).
        """
        if self.read_only:
            return False
        with self.write_lock:
            if self.rewrite_pending():
                self.rewrite()
                return True
            try:
                self.cursor().execute("CHECKPOINT")
            except duckdb.TransactionException as exc:
                log.info("workspace %s not checkpointed now: %s", self.path, _first_line(exc))
                return False
            return True

    def rewrite_pending(self) -> bool:
        row = self.cursor().execute("SELECT count(*) FROM meta WHERE key = ?", [REWRITE_PENDING]).fetchall()
        return bool(row and row[0][0])

    def mark_rewrite(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Ask for a rewrite once this transaction commits (call inside it); ``rewrite()`` clears the mark."""
        cur.execute("DELETE FROM meta WHERE key = ?", [REWRITE_PENDING])
        cur.execute("INSERT INTO meta VALUES (?, 'true')", [REWRITE_PENDING])

    def rewrite(self) -> None:
        """Copy every table into a fresh file and put it in the workspace's place, so freed bytes are gone.

        Under the write lock, with new reads waiting: close the connection (reads still running on it
        are waited for; closing checkpoints), open the file alone, checkpoint, ``COPY FROM DATABASE``
        into ``<file>.rewrite`` (saved rollups left out: they are recomputed), fsync it, rename it over
        the workspace, fsync the folder and reopen. A crash before the rename leaves the old file with
        its pending mark (the rewrite runs again on the next open); after it, the new file is complete.
        Reads wait while the copy runs (about a second per million events).
        """
        if self.read_only:
            raise WorkspaceError(f"workspace {self.path} is open read-only", hint="open it for writing")
        with self.write_lock:
            fresh = self._rewrite_path
            self._clear_leftovers()
            with self._gate:
                self._swapper = threading.get_ident()
            try:
                time.sleep(REWRITE_DRAIN_S)  # reads under way finish their few queries; new ones wait
                self._close_connection(wait_s=REWRITE_WAIT_S, probe=True)
                try:
                    self._copy_to(fresh)
                    _fsync(fresh)
                    os.replace(fresh, self.path)
                    _fsync_dir(self.path.parent)
                finally:
                    fresh.unlink(missing_ok=True)
                    self.con = self._connect()  # the new file, or the old one if the rename did not run
                    self.generation += 1
            except _StillOpen:  # (the connection is the old instance's again; the file was not touched)
                self.generation += 1
                raise WorkspaceError(f"workspace {self.path} could not be rewritten: a connection to it is "
                                     "still open", hint="the rewrite runs again on the next open") from None
            finally:
                with self._gate:
                    self._swapper = None
                    self._gate.notify_all()
            self._derived = False

    def _copy_to(self, fresh: Path) -> None:
        """Every table but the saved rollups into ``fresh``, on a connection of its own to the closed file."""
        con = duckdb.connect(str(self.path))
        try:
            con.execute("CHECKPOINT")  # (nothing else is open: this cannot be refused)
            name = first(con.execute("SELECT current_database()"))[0]
            con.execute(f"ATTACH '{_sql_text(str(fresh))}' AS {_REWRITE_ALIAS}")
            con.execute(f'COPY FROM DATABASE "{_sql_ident(name)}" TO {_REWRITE_ALIAS}')
            derived = con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND starts_with(table_name, ?)",
                [_REWRITE_ALIAS, DERIVED_TABLE_PREFIX]).fetchall()
            for (table,) in derived:
                con.execute(f'DROP TABLE {_REWRITE_ALIAS}."{_sql_ident(table)}"')
            con.execute(f"DELETE FROM {_REWRITE_ALIAS}.meta WHERE key = ? OR key LIKE 'derived:%'",
                        [REWRITE_PENDING])
            con.execute(f"CHECKPOINT {_REWRITE_ALIAS}")
            con.execute(f"DETACH {_REWRITE_ALIAS}")
        finally:
            con.close()
        for wal in (Path(str(self.path) + ".wal"), Path(str(fresh) + ".wal")):
            if wal.exists():  # (both were checkpointed: a WAL here means something else wrote to them)
                raise WorkspaceError(f"{wal} is still there after a checkpoint; the workspace was not rewritten")

    def _close_connection(self, *, wait_s: float, probe: bool = False) -> None:
        """Close the connection; with ``probe``, prove that DuckDB let go of the file (no cursor outlives it).

        A cursor made from another cursor is not closed with the connection, and keeps the database
        instance (and so the old file) open: connecting again would then find the old instance, not the
        file renamed into its place. The probe is an in-memory database attached to the instance before
        closing: a reconnect that still sees it is the old instance, and ``_StillOpen`` is raised.
        """
        deadline = time.monotonic() + wait_s
        if probe:
            self.con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {_PROBE}")
        while True:
            try:
                self.con.close()
                break
            except duckdb.Error as exc:  # DuckDB refuses while a cursor of it is running a query
                if time.monotonic() > deadline:
                    if probe:
                        self.con.execute(f"DETACH DATABASE IF EXISTS {_PROBE}")
                    raise WorkspaceError(f"workspace {self.path} stayed busy for {wait_s:.0f} s: {_first_line(exc)}",
                                         hint="try again; the rewrite is done on the next checkpoint") from exc
                time.sleep(0.02)
        if probe:
            deadline = time.monotonic() + 5.0
            while True:  # (a result still being freed on another thread can hold the instance a moment)
                con = duckdb.connect(str(self.path), read_only=self.read_only)
                found = first(con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?",
                                          [_PROBE]))[0]
                if not found:
                    con.close()
                    return
                if time.monotonic() > deadline:
                    con.execute(f"DETACH {_PROBE}")
                    con.execute("SET TimeZone = 'UTC'")
                    self.con = con
                    raise _StillOpen()
                con.close()
                time.sleep(0.05)

    def close(self) -> None:
        """Checkpoint (no WAL is left beside the file) and close."""
        if not self.read_only:
            try:
                self.checkpoint()
            except (duckdb.Error, WorkspaceError, OSError) as exc:
                log.warning("workspace %s not checkpointed on close: %s", self.path, _first_line(exc))
        try:
            self._close_connection(wait_s=5.0)
        except WorkspaceError as exc:  # a background query still running (the process is ending): leave it
            log.warning("workspace %s closed while busy: %s", self.path, exc.message)

def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__



class _StillOpen(Exception):
    """The database instance outlived its connection (see ``Database._close_connection``)."""


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


def _sql_ident(value: str) -> str:
    return value.replace('"', '""')


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder or Path("."), os.O_RDONLY)
    except OSError:  # (a platform without directory handles)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
