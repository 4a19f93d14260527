"""The customer directory: list, search and sort customers; attribute values; one customer's events by kind.

Two implementations of one contract (``list_customers``):

* :class:`CustomerDirectory`, what the workspace serves pages from: the list
  columns of every customer held in memory (Arrow, about 200 bytes a
  customer), searched and sorted with vectorised kernels. Each sort column is
  ranked once (a dense rank, NULL last) and each (column, direction) order is
  one stable argsort of that rank, kept while the customers stay the same, so
  a deep page costs a slice instead of sorting 1M rows, and a search sorts
  only its matches.
* :func:`list_customers_sql`, the same page as Ibis expressions over the
  ``customers`` table (no user value ever enters SQL text): the reference the
  tests hold the directory to, and the fallback for a search text holding a
  NUL character.

Sort keys and attribute names are checked against the workspace's columns first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InvalidArgumentError, UnknownDimensionError
from ..store.database import quote_ident
from ..store.rows import jsonable

#: Columns a customer list can be sorted by (besides any extra attribute column).
SORTABLE: tuple[str, ...] = ("customer_id", "name", "segment", "industry", "region", "plan", "arr",
                             "signup_at", "churned_at")
#: Columns a customer list shows, in order (extra attribute columns follow).
LIST_COLUMNS: tuple[str, ...] = ("customer_id", "name", "segment", "industry", "region", "plan", "arr",
                                 "signup_at", "churned_at")
MAX_PAGE = 200
MAX_QUERY = 200
#: (column, direction) orders a directory keeps (4 bytes a customer each).
MAX_ORDERS = 8


@dataclass(frozen=True)
class CustomerPage:
    """One page of a customer list, with the total that matched."""

    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    sort: str
    descending: bool
    q: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(dimensions: Sequence[str], q: str | None, filters: Mapping[str, str | None] | None, sort: str,
           limit: int, offset: int) -> str:
    """Validate a list request (in the order the checks always ran); return the stripped search text."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidArgumentError(f"page size {limit} is out of range", hint=f"use 1 to {MAX_PAGE}")
    if offset < 0:
        raise InvalidArgumentError("offset must be 0 or more")
    sortable = [*SORTABLE, *(d for d in dimensions if d not in SORTABLE)]
    if sort not in sortable:
        raise InvalidArgumentError(f"cannot sort customers by {sort!r}", hint="sort by: " + ", ".join(sortable))
    for dim in sorted(filters or {}):
        if dim not in dimensions:
            raise UnknownDimensionError(f"unknown customer attribute {dim!r}",
                                        hint="valid attributes: " + ", ".join(dimensions))
    text = (q or "").strip()
    if len(text) > MAX_QUERY:
        raise InvalidArgumentError(f"search text is longer than {MAX_QUERY} characters")
    return text


def list_columns(dimensions: Sequence[str]) -> list[str]:
    """The columns of a customer list row, in order."""
    return [*LIST_COLUMNS, *(d for d in dimensions if d not in LIST_COLUMNS)]


def _filtered(t: ir.Table, filters: Mapping[str, str | None] | None, dimensions: Sequence[str]) -> ir.Table:
    for dim, value in sorted((filters or {}).items()):
        if dim not in dimensions:
            raise UnknownDimensionError(f"unknown customer attribute {dim!r}",
                                        hint="valid attributes: " + ", ".join(dimensions))
        t = t.filter(t[dim].isnull() if value is None else t[dim] == value)
    return t


def list_customers_sql(backend: ibis.BaseBackend, *, dimensions: Sequence[str], q: str | None = None,
                       filters: Mapping[str, str | None] | None = None, sort: str = "name",
                       descending: bool = False, limit: int = 50, offset: int = 0) -> CustomerPage:
    """Customers whose id, name or email contains ``q`` (any case), filtered, sorted, one page (Ibis over the table).

    Sorted by ``sort`` (NULL last in either direction), then by ``customer_id``.
    """
    text = _check(dimensions, q, filters, sort, limit, offset)
    t = backend.table("customers")
    t = _filtered(t, filters, dimensions)
    if text:
        needle = text.lower()
        t = t.filter(t.customer_id.lower().contains(needle) | t.name.lower().contains(needle)
                     | t.email.lower().contains(needle))
    total = int(t.count().to_pyarrow().as_py())  # (not .execute(): no pandas on the way)
    key = ibis.desc(t[sort]) if descending else ibis.asc(t[sort])
    columns = list_columns(dimensions)
    keys = [key] if sort == "customer_id" else [key, ibis.asc(t.customer_id)]  # (Ibis refuses a key twice)
    page = t.order_by(keys).select(*columns).limit(limit, offset=offset)
    rows = [{k: jsonable(v) for k, v in r.items()} for r in page.to_pyarrow().to_pylist()]
    return CustomerPage(rows=rows, total=total, limit=limit, offset=offset, sort=sort, descending=descending,
                        q=text or None)


def attribute_values(backend: ibis.BaseBackend, dimensions: Sequence[str], *,
                     max_values: int = 50) -> dict[str, list[str]]:
    """The distinct values of each customer attribute with at most ``max_values`` of them, sorted."""
    t = backend.table("customers")
    out: dict[str, list[str]] = {}
    for dim in dimensions:
        col = t[dim]
        found = t.filter(col.notnull()).select(col).distinct().limit(max_values + 1).to_pyarrow()
        values = sorted(str(v) for v in found.column(0).to_pylist())
        if 0 < len(values) <= max_values:
            out[dim] = values
    return out


def customer_events(backend: ibis.BaseBackend, customer_id: str, *, types: Sequence[str],
                    limit: int = 1000) -> list[dict[str, Any]]:
    """One customer's events of ``types``, oldest first (survey answers, advocacy actions)."""
    t = backend.table("events")
    expr = (t.filter((t.customer_id == customer_id) & t.type.isin(list(types)))
            .order_by([t.occurred_at, t.event_id])
            .select("event_id", "type", "occurred_at", "score", "amount", "text", "channel", "ref")
            .limit(limit))
    return [{k: jsonable(v) for k, v in r.items()} for r in expr.to_pyarrow().to_pylist()]


# -- the in-memory directory ---------------------------------------------------------------------
#: Separates the lower-cased id, name and e-mail in a row's search text: a search text without it
#: can only match inside one of the three, exactly as ``contains(lower(x), text)`` on each would.
_SEP = "\x00"


def fingerprint(cur: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """What identifies the customers' content: their number and the latest ``updated_at``.

    Every write to the customers table changes one of them (or the columns): the importer stamps
    every row it inserts or replaces with ``now()``, an erasure deletes a row (and stamps the rows
    whose ``referred_by`` it clears), a demo reload deletes and re-imports.
    """
    return tuple(cur.execute("SELECT count(*), max(updated_at) FROM customers").fetchall()[0])


def _sorted_positions(values: pa.Array | pa.ChunkedArray, descending: bool) -> np.ndarray | None:
    """Positions of ``values`` in DuckDB's ``ORDER BY value [DESC]`` order, NULL last, ties in position order.

    Text sorts by its bytes (ranked through its distinct values), numbers by value (``-0.0``
    equals ``0.0``; NaN above every number, so first when descending), timestamps by time.
    None for a type not handled here.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        encoded = pc.dictionary_encode(values)
        distinct = len(encoded.dictionary)
        rank_of = np.empty(distinct + 1, dtype=np.int64)
        rank_of[pc.sort_indices(encoded.dictionary).to_numpy()] = (
            np.arange(distinct - 1, -1, -1) if descending else np.arange(distinct))
        rank_of[distinct] = distinct  # NULL last either way
        return np.argsort(rank_of[encoded.indices.fill_null(distinct).to_numpy()], kind="stable")
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        values = values.cast(pa.int64())
    elif not pa.types.is_floating(kind):
        return None
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    present = np.flatnonzero(valid)
    numbers = values.fill_null(0).to_numpy(zero_copy_only=False)[present]
    nan = np.isnan(numbers) if numbers.dtype.kind == "f" else np.zeros(len(numbers), dtype=bool)
    if nan.any():
        present, others = present[~nan], present[nan]
        numbers = numbers[~nan]
    else:
        others = present[:0]
    ranked = present[np.argsort(-numbers if descending else numbers, kind="stable")]
    parts = [others, ranked] if descending else [ranked, others]
    return np.concatenate([*parts, np.flatnonzero(~valid)])


class CustomerDirectory:
    """The list columns of every customer, in memory, in ``customer_id`` order.

    Built from one read of the customers table (``load``) and never changed:
    the workspace builds a new one when the customers change (see
    ``Workspace.directory``). Thread-safe: pages are served concurrently; the
    orders computed on the way are shared.
    """

    def __init__(self, table: pa.Table, search_text: pa.Array, dimensions: Sequence[str],
                 fingerprint: tuple[Any, ...], writes: int) -> None:
        self.table = table
        self.dimensions = list(dimensions)
        self.fingerprint = fingerprint
        #: ``Database.writes`` when the fingerprint was last found unchanged
        self.writes = writes
        n = table.num_rows
        self._search = pa.table({"i": pa.array(np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)),
                                 "t": search_text})
        self._duck = duckdb.connect()  # in memory: scans the search text, nothing else
        self._lock = threading.Lock()
        self._local = threading.local()
        self._orders: OrderedDict[tuple[str, bool], np.ndarray] = OrderedDict()

    @classmethod
    def load(cls, cur: duckdb.DuckDBPyConnection, dimensions: Sequence[str], writes: int) -> "CustomerDirectory":
        """Read the list columns and each customer's search text (one query, one snapshot)."""
        columns = ", ".join(quote_ident(c) for c in list_columns(dimensions))
        sql = (f"SELECT {columns}, concat_ws(chr(0), lower(customer_id), coalesce(lower(name), ''), "
               "coalesce(lower(email), '')) AS _search, updated_at AS _updated_at FROM customers ORDER BY customer_id")
        table = cur.sql(sql).to_arrow_table()
        latest = pc.max(table.column("_updated_at")).as_py() if table.num_rows else None
        stamp = (table.num_rows, latest)
        search = table.column("_search").combine_chunks()
        table = table.drop_columns(["_search", "_updated_at"]).combine_chunks()
        return cls(table, search, dimensions, stamp, writes)

    # -- orders ------------------------------------------------------------------------------
    def _cached_order(self, sort: str, descending: bool) -> np.ndarray | None:
        with self._lock:
            order = self._orders.get((sort, descending))
            if order is not None:
                self._orders.move_to_end((sort, descending))
            return order

    def order(self, sort: str, descending: bool) -> np.ndarray | None:
        """Every row position in ``ORDER BY sort [DESC], customer_id`` order (computed once, then kept)."""
        order = self._cached_order(sort, descending)
        if order is not None:
            return order
        n = self.table.num_rows
        if sort == "customer_id":  # the rows' own order (ids are unique and never NULL)
            order = np.arange(n - 1, -1, -1) if descending else np.arange(n)
        else:
            order = _sorted_positions(self.table.column(sort), descending)
            if order is None:
                return None
        order = order.astype(np.int32 if n < 2**31 else np.int64)
        with self._lock:
            self._orders[(sort, descending)] = order
            while len(self._orders) > MAX_ORDERS:
                self._orders.popitem(last=False)
        return order

    # -- search ------------------------------------------------------------------------------
    def _matches(self, needle: str) -> np.ndarray:
        """Positions (ascending) of the customers whose lower-cased id, name or e-mail contains ``needle``."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            with self._lock:
                cur = self._duck.cursor()
            cur.register("directory_search", self._search)
            self._local.cursor = cur
        found = cur.execute("SELECT i FROM directory_search WHERE contains(t, ?)", [needle]).fetchnumpy()["i"]
        return np.sort(np.asarray(found))

    # -- pages -------------------------------------------------------------------------------
    def page(self, *, q: str | None = None, filters: Mapping[str, str | None] | None = None, sort: str = "name",
             descending: bool = False, limit: int = 50, offset: int = 0) -> CustomerPage | None:
        """``list_customers_sql``'s page, from memory; None where only the SQL can answer (a NUL in ``q``)."""
        text = _check(self.dimensions, q, filters, sort, limit, offset)
        if _SEP in text or any(v is not None and not isinstance(v, str) for v in (filters or {}).values()):
            return None
        n = self.table.num_rows
        mask: np.ndarray | None = None
        for dim, value in sorted((filters or {}).items()):
            column = self.table.column(dim)
            hit = column.is_null() if value is None else pc.fill_null(pc.equal(column, value), False)
            chosen = hit.to_numpy(zero_copy_only=False) if isinstance(hit, pa.Array) else \
                hit.combine_chunks().to_numpy(zero_copy_only=False)
            mask = chosen if mask is None else mask & chosen
        positions = None if mask is None else np.flatnonzero(mask)
        if text:
            found = self._matches(text.lower())
            positions = found if positions is None else np.intersect1d(positions, found, assume_unique=True)
        if positions is None:
            order = self.order(sort, descending)
            if order is None:
                return None
            total, page = n, order[offset:offset + limit]
        else:
            total = len(positions)
            order = self._cached_order(sort, descending)
            if order is None and 8 * total > n:  # most rows match: the whole order is worth keeping
                order = self.order(sort, descending)
            if order is not None:
                keep = np.zeros(n, dtype=bool)
                keep[positions] = True
                page = order[keep[order]][offset:offset + limit]
            else:  # few matches: sort only them (their positions are in customer_id order already)
                if sort == "customer_id":
                    ranked = positions[::-1] if descending else positions
                else:
                    within = _sorted_positions(self.table.column(sort).take(positions), descending)
                    if within is None:
                        return None
                    ranked = positions[within]
                page = ranked[offset:offset + limit]
        rows = [{k: jsonable(v) for k, v in r.items()} for r in self.table.take(page).to_pylist()]
        return CustomerPage(rows=rows, total=total, limit=limit, offset=offset, sort=sort, descending=descending,
                            q=text or None)

    def close(self) -> None:
        self._duck.close()
