"""Appended events applied to the rollups of the declared KPIs, batch by batch, without a rescan.

A declared KPI's leaves over a period are event counts, sums and sums of
squares (each event adds its own contribution to its period and its
customer's cell) and numbers of distinct customers. So when a batch of events
lands, the rollups of its periods can be brought forward exactly:

* additive leaves: each event's contribution (0 or 1 for a count, its field
  for a sum, the square for a sum of squares; the conditions are the engine's
  own :func:`measures.event_condition`) added to its period's cell and total;
* distinct-customer leaves: a per-period bitmap of the customers already
  counted; a customer counts once, the first time one of its events qualifies.
  A bitmap is read from the stored events the first time a period needs it
  (after the batch landed: then the period's counts are set from the bitmap).

The custom KPIs (look-back windows, first-time events) are not brought forward
here: their periods go stale and are computed again once writes pause.

:class:`LiveRollups` holds what that needs beside the rollups: each customer's
cell and number (read once), the bitmaps, the compiled contribution query.
It only computes; :mod:`advokit.rollups.keeper` decides when its answer is used (the
rollup periods must be fresh before the batch, and it installs the new parts
together with the new stamps).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ..catalogue.model import EventMeasure
from ..engine import measures, uncertainty
from ..engine.periods import Grain, period_of
from ..store.sortedhash import buckets_of, member
from .parts import Part, Rollups, scratch_connection

INPUT = "advokit_delta_input"
#: The event columns a batch must carry (the stored ``events`` columns the leaves read).
COLUMNS: dict[str, pa.DataType] = {"customer_id": pa.string(), "type": pa.string(),
                                   "occurred_at": pa.timestamp("us"), "score": pa.float64(),
                                   "amount": pa.float64(), "properties": pa.string()}


def declared_leaves(rollups: Rollups) -> dict[str, EventMeasure]:
    out: dict[str, EventMeasure] = {}
    for kpi in rollups.kpis_of("declared"):
        for leaf in (*measures.kpi_leaves(kpi), *uncertainty.extra_leaves(kpi)):
            if isinstance(leaf, EventMeasure):
                out.setdefault(measures.key_of(leaf), leaf)
    return out


def contribution_expression(leaves: Mapping[str, EventMeasure]) -> ir.Table:
    """Per event: its time, cell and customer number, what it adds to each additive leaf (``a_<key>``)
    and whether it qualifies for each distinct-customer leaf (``d_<key>``)."""
    schema = {**{k: ibis.dtype(str(v)) if k != "occurred_at" else ibis.dtype("timestamp")
                 for k, v in COLUMNS.items()}, "cell": ibis.dtype("int64"), "code": ibis.dtype("int64")}
    schema["score"] = schema["amount"] = ibis.dtype("float64")
    schema["customer_id"] = schema["type"] = schema["properties"] = ibis.dtype("string")
    t = ibis.table(schema, name=INPUT)
    cols: dict[str, ir.Value] = {}
    for key, m in leaves.items():
        cond = measures.event_condition(t, m).fill_null(False)
        if m.agg == "count":
            cols["a_" + key] = cond.cast("float64")
        elif m.agg in ("sum", "sumsq"):
            field = t[m.field].cast("float64")
            value = field * field if m.agg == "sumsq" else field
            cols["a_" + key] = ibis.ifelse(cond, value, 0.0).fill_null(0.0)
        elif m.agg == "customers":
            cols["d_" + key] = cond & t.customer_id.notnull()
        else:  # a mean: not additive (such a KPI is not rolled up)
            raise ValueError(f"leaf {key} is not additive")
    return t.select("occurred_at", "cell", "code", **cols)


def contributions(data: pa.Table, leaves: Mapping[str, EventMeasure]) -> dict[str, npt.NDArray[Any]] | None:
    """:func:`contribution_expression` evaluated with numpy, for a batch without ``properties`` (the REST
    fast path): the same conditions (a NULL score fails a score bound; a property condition fails on
    NULL properties). None when a row has properties (the SQL decides those)."""
    if data["properties"].null_count != data.num_rows:
        return None
    vocabulary = sorted({t for m in leaves.values() for t in m.events})
    # each event's type as a number (-1: another type), once; a leaf's types then select by lookup
    kind = np.asarray(pc.fill_null(pc.index_in(data["type"], value_set=pa.array(vocabulary, pa.string())), -1)
                      .to_numpy(zero_copy_only=False), dtype=np.intp)
    score = np.asarray(data["score"].to_numpy(zero_copy_only=False), dtype=np.float64)
    fields = {"score": score, "amount": np.asarray(data["amount"].to_numpy(zero_copy_only=False), dtype=np.float64)}
    named = np.asarray(data["customer_id"].is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    out: dict[str, npt.NDArray[Any]] = {}
    with np.errstate(invalid="ignore"):
        for key, m in leaves.items():
            chosen = np.zeros(len(vocabulary) + 1, dtype=bool)  # the last place: -1, another type
            chosen[[vocabulary.index(t) for t in set(m.events)]] = True
            cond = chosen[kind]
            if m.score_min is not None:
                cond &= score >= m.score_min
            if m.score_max is not None:
                cond &= score <= m.score_max
            if m.where_property:
                cond &= False
            if m.has_customer is not None:
                cond &= named if m.has_customer else ~named
            if m.agg == "count":
                out["a_" + key] = cond.astype(np.float64)
            elif m.agg in ("sum", "sumsq"):
                if m.field not in fields:
                    return None
                value = np.nan_to_num(fields[m.field], nan=0.0)
                out["a_" + key] = np.where(cond, value * value if m.agg == "sumsq" else value, 0.0)
            elif m.agg == "customers":
                out["d_" + key] = cond & named
            else:
                return None
    return out


class LiveRollups:
    """What it takes to apply appended events to one :class:`Rollups` (declared family)."""

    def __init__(self, rollups: Rollups) -> None:
        self.rollups = rollups
        self.leaves = declared_leaves(rollups)
        self.additive = [k for k, m in self.leaves.items() if m.agg != "customers"]
        self.distinct = [k for k, m in self.leaves.items() if m.agg == "customers"]
        self._sql = str(ibis.to_sql(contribution_expression(self.leaves), dialect="duckdb"))
        self._codes: dict[str, int] = {}
        self._cell_of: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._cells: list[tuple[Any, ...]] = []
        #: (grain, period start, leaf key) → which customer numbers already count
        self._bits: dict[tuple[Grain, dt.date, str], npt.NDArray[np.bool_]] = {}
        #: id(part) → where its rows are
        self._layouts: dict[int, tuple[Part, _Layout]] = {}
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._by_hash: _ByHash | None = None
        self.ready = False

    # -- preparation (in the background, not in a writer's way) -------------------------------
    def prepare(self, backend: ibis.BaseBackend) -> None:
        """Read every customer's cell and number (a second or so for a million customers)."""
        dims = self.rollups.dims
        c = backend.table("customers")
        table = c.select("customer_id", *dims).to_pyarrow()
        if dims:
            keys = table.select(dims)
            cells = keys.group_by(dims, use_threads=False).aggregate([]).to_pylist()
            self._cells = [tuple(r[d] for d in dims) for r in cells]
            number = {cell: i for i, cell in enumerate(self._cells)}
            cols = [keys[d].to_pylist() for d in dims]
            self._cell_of = np.fromiter((number[cell] for cell in zip(*cols)), dtype=np.int64, count=table.num_rows)
        else:
            self._cells = [()]
            self._cell_of = np.zeros(table.num_rows, dtype=np.int64)
        self._codes = dict(zip(table["customer_id"].to_pylist(), range(table.num_rows)))
        self._con = scratch_connection()
        ids = table["customer_id"].combine_chunks()
        self._con.register("advokit_customer_ids", pa.table({"c": ids}))
        try:  # the same hash() as the importer's (DuckDB's, of the same text)
            hashes = self._con.execute("SELECT hash(c) AS h FROM advokit_customer_ids").fetchnumpy()["h"]
        finally:
            self._con.unregister("advokit_customer_ids")
        self._by_hash = _ByHash(ids, np.asarray(hashes, dtype=np.uint64))
        self.ready = True

    # -- applying a batch ---------------------------------------------------------------------------
    def apply(self, backend: ibis.BaseBackend, events: pa.Table,
              parts: Mapping[Grain, Part]) -> dict[Grain, Part] | None:
        """New parts (same stamps as given; the caller sets them) with ``events`` added; None when not
        prepared, or when a period or customer group of the events is not in a part (the caller then lets
        those periods go stale)."""
        if not self.ready or self._con is None:
            return None
        data = events.select(list(COLUMNS)).cast(pa.schema([pa.field(k, v) for k, v in COLUMNS.items()]))
        if "customer_hash" in events.column_names and self._by_hash is not None:
            code = self._by_hash.codes(data["customer_id"], events["customer_hash"], self._codes)
        else:
            get = self._codes.get
            code = np.fromiter((-1 if i is None else get(i, -1) for i in data["customer_id"].to_pylist()),
                               dtype=np.int64, count=data.num_rows)  # -1: no customer, or one not in the rollups
        cell = np.where(code >= 0, self._cell_of[np.maximum(code, 0)] if len(self._cell_of) else -1, -1)
        contrib = contributions(data, self.leaves)
        if contrib is None:
            code_arr = pa.array(code, mask=code < 0)
            data = data.append_column("cell", pa.array(cell, mask=cell < 0)).append_column("code", code_arr)
            with self._lock:
                con = self._con
                con.register(INPUT, data)
                try:
                    table = con.sql(self._sql).to_arrow_table()
                finally:
                    con.unregister(INPUT)
            contrib = {c: np.asarray(pc.fill_null(table[c], 0).to_numpy(zero_copy_only=False))
                       for c in table.column_names if c.startswith(("a_", "d_"))}
        when = np.asarray(data["occurred_at"].to_numpy(zero_copy_only=False), dtype="datetime64[us]")
        out: dict[Grain, Part] = {}
        for grain, part in parts.items():
            new = self._apply_grain(backend, grain, part, contrib, when, cell, code)
            if new is None:
                return None
            out[grain] = new
        return out

    def _apply_grain(self, backend: ibis.BaseBackend, grain: Grain, part: Part,
                     contrib: Mapping[str, npt.NDArray[Any]],
                     when: npt.NDArray[Any], cell: npt.NDArray[np.int64],
                     code: npt.NDArray[np.int64]) -> Part | None:
        periods, which = _period_starts(when, grain)  # the distinct period starts; each event's among them
        layout = self._layout(part)
        if any(p not in layout.total_row or p not in layout.period for p in periods):
            return None
        period_no = np.array([layout.period[p] for p in periods], dtype=np.int64)[which]
        cell_rows = np.where(cell >= 0, layout.grid[period_no, np.maximum(cell, 0)], -1)
        if np.any((cell >= 0) & (cell_rows < 0)):
            return None  # a cell the rollups have not seen (cannot happen: a new customer drops them)
        tot_rows = np.array([layout.total_row[p] for p in periods], dtype=np.int64)[which]
        in_cells = cell_rows >= 0
        cells_cols: dict[str, npt.NDArray[np.float64]] = {}
        total_cols: dict[str, npt.NDArray[np.float64]] = {}
        for key in self.additive:
            add = np.asarray(contrib["a_" + key], dtype=np.float64)
            if not add.any():
                continue
            cells_cols[key] = _added(layout.cells_values(part, key), cell_rows[in_cells], add[in_cells])
            total_cols[key] = _added(layout.total_values(part, key), tot_rows, add)
        for key in self.distinct:
            flags = np.asarray(contrib["d_" + key], dtype=bool) & (code >= 0)
            if not flags.any():
                continue
            cells_now = layout.cells_values(part, key).copy()
            total_now = layout.total_values(part, key).copy()
            for k, start in enumerate(periods):
                sel = flags & (which == k)
                if not sel.any():
                    continue
                bits, fresh = self._bitmap(backend, grain, start, key)
                period_cells = layout.grid[layout.period[start]]
                if fresh:  # read after the batch landed: the period's counts are the bitmap's
                    counts = np.bincount(self._cell_of[np.flatnonzero(bits)], minlength=len(self._cells))
                    ok = period_cells >= 0
                    if counts[~ok].any():
                        return None
                    cells_now[period_cells[ok]] = counts[ok]
                    total_now[layout.total_row[start]] = float(bits.sum())
                    continue
                new_codes = np.unique(code[sel])
                new_codes = new_codes[~bits[new_codes]]
                if not len(new_codes):
                    continue
                bits[new_codes] = True
                counts = np.bincount(self._cell_of[new_codes], minlength=len(self._cells))
                hit = np.flatnonzero(counts)
                if np.any(period_cells[hit] < 0):
                    return None
                cells_now[period_cells[hit]] += counts[hit]
                total_now[layout.total_row[start]] += float(len(new_codes))
            cells_cols[key] = cells_now
            total_cols[key] = total_now
        new = part.with_values(cells_cols, total_cols, dict(part.stamps))  # (its tables made when first read)
        # same rows in the same order: the layout carries over, with the values just computed
        self._layouts[id(new)] = (new, layout.moved_on(cells_cols, total_cols))
        return new

    def preload(self, backend: ibis.BaseBackend, day: dt.date) -> None:
        """Read the bitmaps of the periods holding ``day`` (where new events usually land) ahead of the
        first batch. Call it while no write can land (under the workspace's write lock)."""
        for grain in ("month", "quarter", "year"):
            start = period_of(day, grain).start
            for key in self.distinct:
                self._bitmap(backend, grain, start, key)

    def _bitmap(self, backend: ibis.BaseBackend, grain: Grain, start: dt.date,
                key: str) -> tuple[npt.NDArray[np.bool_], bool]:
        """The customers counted for ``key`` in the period (read from the events when new: True)."""
        got = self._bits.get((grain, start, key))
        if got is not None:
            return got, False
        m = self.leaves[key]
        e = backend.table("events")
        period = period_of(start, grain)
        lo = dt.datetime(start.year, start.month, start.day)
        hi = dt.datetime(period.end.year, period.end.month, period.end.day)
        q = e.filter(e.occurred_at >= lo, e.occurred_at < hi, e.customer_id.notnull(),
                     measures.event_condition(e, m).fill_null(False)).select("customer_id").distinct()
        ids = q.to_pyarrow()["customer_id"].to_pylist()
        bits = np.zeros(len(self._cell_of), dtype=bool)
        found = [self._codes[i] for i in ids if i in self._codes]
        bits[np.asarray(found, dtype=np.int64)] = True
        self._bits[(grain, start, key)] = bits
        return bits, True

    def forget(self, months: Sequence[int]) -> None:
        """Drop the bitmaps of the periods holding these months (a batch landed without being applied)."""
        touched = {dt.date(m // 12, m % 12 + 1, 1) for m in months}
        for k in list(self._bits):
            grain, start, _ = k
            period = period_of(start, grain)
            if any(period.start <= day < period.end for day in touched):
                del self._bits[k]

    def _layout(self, part: Part) -> "_Layout":
        got = self._layouts.get(id(part))
        if got is not None and got[0] is part:
            return got[1]
        dims = self.rollups.dims
        number = {cell: i for i, cell in enumerate(self._cells)}
        starts = [d.date() for d in part.cells["period_start"].to_pylist()]
        period = {d: i for i, d in enumerate(sorted(set(starts)))}
        grid = np.full((len(period), max(1, len(self._cells))), -1, dtype=np.int64)
        cols = [part.cells[d].to_pylist() for d in dims]
        for row, (start, *values) in enumerate(zip(starts, *cols)):
            n = number.get(tuple(values))
            if n is not None:
                grid[period[start], n] = row
        if len(self._layouts) > 16:
            self._layouts.clear()
        total_row = {d.date(): i for i, d in enumerate(part.total["period_start"].to_pylist())}
        layout = _Layout(period, grid, total_row, {}, {})
        self._layouts[id(part)] = (part, layout)
        return layout


class _ByHash:
    """Customer numbers by ``hash(customer_id)``: a batch from the REST fast path carries its customers'
    hashes (the importer computed them), so their numbers are found with numpy instead of 1,000 lookups
    in a dict of every customer (about 1 ms a batch at a million customers). A hash found is confirmed
    by comparing the ids; anything else (no hash, a collision, a customer not counted) asks the dict."""

    def __init__(self, ids: pa.Array, hashes: npt.NDArray[np.uint64]) -> None:
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.number = order.astype(np.int64)
        self.ids = ids.take(pa.array(order))
        self.buckets = buckets_of(self.hashes)

    def codes(self, ids: pa.ChunkedArray, hashes: pa.ChunkedArray, fallback: Mapping[str, int]) -> npt.NDArray[np.int64]:
        """Each row's customer number (-1: no customer, or one the rollups do not count)."""
        ids_arr = ids.combine_chunks()
        have = np.asarray(pc.and_(ids_arr.is_valid(), hashes.is_valid()).to_numpy(zero_copy_only=False), dtype=bool)
        probe = np.asarray(pc.fill_null(hashes, 0).to_numpy(zero_copy_only=False), dtype=np.uint64)
        found, pos = member(self.hashes, probe, self.buckets)
        code = np.full(len(ids_arr), -1, dtype=np.int64)
        at = np.flatnonzero(found & have)
        if len(at):
            same = np.asarray(pc.equal(self.ids.take(pa.array(pos[at])), ids_arr.take(pa.array(at)))
                              .to_numpy(zero_copy_only=False), dtype=bool)
            code[at[same]] = self.number[pos[at[same]]]
        rest = np.flatnonzero(np.asarray(ids_arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool) & (code < 0))
        for i, name in zip(rest.tolist(), ids_arr.take(pa.array(rest, pa.int64())).to_pylist()):
            code[i] = fallback.get(name, -1)
        return code


@dataclass(frozen=True)
class _Layout:
    """Where a part's rows are: period start → period number, [period number, cell number] → row of the
    cells (-1: none), period start → row of the total; and the numpy values of the columns already read
    or brought forward (so that they are not read from Arrow again). Values are never changed in place."""

    period: dict[dt.date, int]
    grid: npt.NDArray[np.int64]
    total_row: dict[dt.date, int]
    cells: dict[str, npt.NDArray[np.float64]]
    total: dict[str, npt.NDArray[np.float64]]

    def cells_values(self, part: Part, key: str) -> npt.NDArray[np.float64]:
        got = self.cells.get(key)
        if got is None:
            got = self.cells[key] = _values(part.cells[key])
        return got

    def total_values(self, part: Part, key: str) -> npt.NDArray[np.float64]:
        got = self.total.get(key)
        if got is None:
            got = self.total[key] = _values(part.total[key])
        return got

    def moved_on(self, cells: Mapping[str, npt.NDArray[np.float64]],
                 total: Mapping[str, npt.NDArray[np.float64]]) -> "_Layout":
        """The layout of the next part (same rows), with these columns' new values."""
        return _Layout(self.period, self.grid, self.total_row, {**self.cells, **cells}, {**self.total, **total})


def _period_starts(when: npt.NDArray[Any], grain: Grain) -> tuple[list[dt.date], npt.NDArray[np.intp]]:
    """The distinct starts of the periods holding ``when`` (sorted), and which of them each one is in."""
    months = when.astype("datetime64[M]").astype(np.int64)
    if grain == "year":
        months = months - months % 12
    elif grain == "quarter":
        months = months - months % 3
    distinct, which = np.unique(months, return_inverse=True)
    return [dt.date(1970 + int(m) // 12, int(m) % 12 + 1, 1) for m in distinct], which.reshape(-1)


def _values(column: pa.ChunkedArray) -> npt.NDArray[np.float64]:
    """A column's values (NULL as 0: a leaf's NULL and 0 read the same)."""
    return np.asarray(pc.fill_null(pc.cast(column, pa.float64()), 0.0).to_numpy(zero_copy_only=False),
                      dtype=np.float64)


def _added(values: npt.NDArray[np.float64], rows: npt.NDArray[np.int64],
           add: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out = values.copy()
    np.add.at(out, rows, add)
    return out
