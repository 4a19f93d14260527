"""In-memory indexes of stored ids, so that a small batch never scans a whole table.

The importer checks every event against two sets: the ``event_id`` values
already stored (deduplication) and the known ``customer_id`` values. With
plain SQL both are hash joins that read the whole table, for every batch:
on the 10M-event demo that is about half a second per batch of 1,000. A
long-lived writer (the API server, which holds DuckDB's file lock, so it is
the only process writing the workspace) keeps both sets in memory instead:

* **event ids**: the sorted 64-bit DuckDB ``hash(event_id)`` of every stored
  event (8 bytes an event), plus a small sorted delta merged in now and then.
  A batch probes its hashes; only the ids whose hash is present (a real
  duplicate, a hash collision, or an event erased since) are looked up in the
  table, so a collision can never drop an event.
* **customer ids**: the ids themselves (Arrow), ordered by their hash, so a
  probe is a binary search plus a string comparison: exact.

Both are built on a batch's first use (one scan each) and read and updated
only under the workspace's write lock. The importer adds what its transaction
wrote right after COMMIT, still holding the lock. Any other committed write
(``Database.writes`` moved without the importer: an erasure, a demo reload...)
drops the customer set, rebuilt on next use. The event-id set survives such
writes: only the importer inserts events (pinned by tests/test_architecture.py),
and a deleted event only leaves a stale hash, which the table lookup resolves.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .sortedhash import buckets_of, member

if TYPE_CHECKING:
    from .database import Database

#: Batches larger than this use the SQL joins (a file import reads the tables once anyway).
MAX_INDEXED_ROWS = 100_000
_EMPTY = np.empty(0, dtype=np.uint64)


class HashSet:
    """A set of 64-bit hashes: one big sorted array (with its buckets) and a small sorted delta."""

    def __init__(self, values: np.ndarray) -> None:
        self.main = np.sort(values.astype(np.uint64, copy=False))
        self.delta = _EMPTY
        self._buckets = buckets_of(self.main)

    def __len__(self) -> int:
        return len(self.main) + len(self.delta)

    def contains(self, probe: np.ndarray) -> np.ndarray:
        found: np.ndarray = member(self.main, probe, self._buckets)[0] | member(self.delta, probe)[0]
        return found

    def add(self, values: np.ndarray) -> None:
        if len(values) == 0:
            return
        new = np.sort(values.astype(np.uint64, copy=False))  # merged in, not the whole delta sorted again:
        self.delta = np.insert(self.delta, np.searchsorted(self.delta, new), new)  # O(delta), not O(delta log delta)
        if len(self.delta) > max(65_536, len(self.main) // 32):  # one O(n) merge every so often
            self.main = np.insert(self.main, np.searchsorted(self.main, self.delta), self.delta)
            self.delta = _EMPTY
            self._buckets = buckets_of(self.main)


class CustomerSet:
    """The stored customer ids, exact: ids ordered by their 64-bit hash, plus the ids added since."""

    def __init__(self, hashes: np.ndarray, ids: pa.Array) -> None:
        self.hashes = hashes.astype(np.uint64, copy=False)
        self.ids = ids
        self.added: set[str] = set()
        self._buckets = buckets_of(self.hashes)

    def __len__(self) -> int:
        return len(self.hashes) + len(self.added)

    def known(self, hashes: np.ndarray, ids: pa.Array) -> np.ndarray:
        """Whether each id (with its DuckDB hash) is a stored customer."""
        found, pos = member(self.hashes, hashes, self._buckets)
        out = np.zeros(len(hashes), dtype=bool)
        if found.any():
            at = np.flatnonzero(found)
            same = pc.equal(self.ids.take(pa.array(pos[at])), ids.take(pa.array(at)))
            same_np = same.to_numpy(zero_copy_only=False).astype(bool)
            out[at[same_np]] = True
            for i in at[~same_np]:  # a hash shared by several stored ids: look along the run
                p, h, want = int(pos[i]) + 1, hashes[i], ids[int(i)].as_py()
                while p < len(self.hashes) and self.hashes[p] == h:
                    if self.ids[p].as_py() == want:
                        out[i] = True
                        break
                    p += 1
        if self.added:
            rest = np.flatnonzero(~out)
            names = ids.take(pa.array(rest)).to_pylist()
            for i, name in zip(rest, names):
                if name in self.added:
                    out[i] = True
        return out


@dataclass
class Pending:
    """What one import transaction wrote, applied to the index once it has committed."""

    event_hashes: list[np.ndarray] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)


class IdIndex:
    """The event-id and customer-id sets of one open workspace (use under its write lock)."""

    def __init__(self, db: "Database") -> None:
        self.db = db
        self.events: HashSet | None = None
        self.customers: CustomerSet | None = None
        self.writes = db.writes

    def sync(self) -> None:
        """Drop what another writer may have made stale (call under the write lock)."""
        if self.writes != self.db.writes:
            self.customers = None
            self.writes = self.db.writes

    def event_set(self, cur: duckdb.DuckDBPyConnection) -> HashSet:
        if self.events is None:
            hashes = cur.execute("SELECT hash(event_id) AS h FROM events").fetchnumpy()["h"]
            self.events = HashSet(np.asarray(hashes, dtype=np.uint64))
        return self.events

    def customer_set(self, cur: duckdb.DuckDBPyConnection) -> CustomerSet:
        if self.customers is None:
            tbl = cur.sql("SELECT hash(customer_id) AS h, customer_id FROM customers ORDER BY h").to_arrow_table()
            ids = tbl.column("customer_id").combine_chunks()
            self.customers = CustomerSet(tbl.column("h").to_numpy(), ids)
        return self.customers

    def committed(self, pending: Pending) -> None:
        """Apply what the importer's transaction wrote; it has just committed (one more write)."""
        if self.events is not None and pending.event_hashes:
            self.events.add(np.concatenate(pending.event_hashes))
        if self.customers is not None and pending.customers:
            self.customers.added.update(pending.customers)
            if len(self.customers.added) > max(50_000, len(self.customers.hashes) // 8):
                self.customers = None  # rebuilt, sorted, on next use
        self.writes = self.db.writes


_INDEXES: "weakref.WeakKeyDictionary[Database, IdIndex]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def index_of(db: "Database", *, create: bool) -> IdIndex | None:
    """The workspace's id index: made when ``create`` (a long-lived writer), else only if one exists."""
    with _LOCK:
        index = _INDEXES.get(db)
        if index is None and create:
            index = _INDEXES[db] = IdIndex(db)
        return index


def drop(db: "Database") -> None:
    """Forget the index (after a failure between COMMIT and applying it)."""
    with _LOCK:
        _INDEXES.pop(db, None)
