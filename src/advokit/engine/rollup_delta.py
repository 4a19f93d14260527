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
It only computes; :mod:`advokit.rollupkeeper` decides when its answer is used (the
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
from . import measures, uncertainty
from .periods import Grain, period_of
from .rollup import Part, Rollups, scratch_connection

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
    kind = data["type"]
    score = np.asarray(data["score"].to_numpy(zero_copy_only=False), dtype=np.float64)
    fields = {"score": score, "amount": np.asarray(data["amount"].to_numpy(zero_copy_only=False), dtype=np.float64)}
    named = np.asarray(data["customer_id"].is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    out: dict[str, npt.NDArray[Any]] = {}
    with np.errstate(invalid="ignore"):
        for key, m in leaves.items():
            cond = np.asarray(pc.is_in(kind, value_set=pa.array(m.events, pa.string()))
                              .to_numpy(zero_copy_only=False), dtype=bool)
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
        ids = data["customer_id"].to_pylist()
        codes = [self._codes.get(i) if i is not None else None for i in ids]
        code_arr = pa.array(codes, pa.int64())
        cell_arr = pa.array([None if x is None else int(self._cell_of[x]) for x in codes], pa.int64())
        contrib = contributions(data, self.leaves)
        if contrib is None:
            data = data.append_column("cell", cell_arr).append_column("code", code_arr)
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
        cell = np.asarray(pc.fill_null(cell_arr, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        code = np.asarray(pc.fill_null(code_arr, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
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
        start_list = _period_starts(when, grain)
        starts = np.array([d.toordinal() for d in start_list], dtype=np.int64)
        layout = self._layout(part)
        total_rows = _total_index(part)
        periods = sorted(set(start_list))
        if any(p not in total_rows or p not in layout.period for p in periods):
            return None
        period_no = np.array([layout.period[d] for d in start_list], dtype=np.int64)
        cell_rows = np.where(cell >= 0, layout.grid[period_no, np.maximum(cell, 0)], -1)
        if np.any((cell >= 0) & (cell_rows < 0)):
            return None  # a cell the rollups have not seen (cannot happen: a new customer drops them)
        tot_rows = np.array([total_rows[s] for s in start_list], dtype=np.int64)
        in_cells = cell_rows >= 0
        mirror = layout.values
        cells_cols: dict[str, npt.NDArray[np.float64]] = {}
        total_cols: dict[str, npt.NDArray[np.float64]] = {}
        for key in self.additive:
            add = np.asarray(contrib["a_" + key], dtype=np.float64)
            if not add.any():
                continue
            cells_cols[key] = _added(mirror.get(key), part.cells[key], cell_rows[in_cells], add[in_cells])
            total_cols[key] = _added(None, part.total[key], tot_rows, add)
        for key in self.distinct:
            flags = np.asarray(contrib["d_" + key], dtype=bool) & (code >= 0)
            if not flags.any():
                continue
            cells_now = _values(mirror.get(key), part.cells[key])
            total_now = _values(None, part.total[key])
            for start in periods:
                sel = flags & (starts == start.toordinal())
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
                    total_now[total_rows[start]] = float(bits.sum())
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
                total_now[total_rows[start]] += float(len(new_codes))
            cells_cols[key] = cells_now
            total_cols[key] = total_now
        new = Part(cells=_with_columns(part.cells, cells_cols), total=_with_columns(part.total, total_cols),
                   stamps=dict(part.stamps))
        # same rows in the same order: the layout carries over, with the values just computed
        self._layouts[id(new)] = (new, _Layout(layout.period, layout.grid, {**mirror, **cells_cols}))
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
        layout = _Layout(period, grid, {})
        self._layouts[id(part)] = (part, layout)
        return layout


@dataclass(frozen=True)
class _Layout:
    """Where a part's rows are: period start → period number, [period number, cell number] → row (-1: none),
    and the numpy values of columns already brought forward (so they are not read from Arrow again)."""

    period: dict[dt.date, int]
    grid: npt.NDArray[np.int64]
    values: dict[str, npt.NDArray[np.float64]]


def _total_index(part: Part) -> dict[dt.date, int]:
    return {d.date(): i for i, d in enumerate(part.total["period_start"].to_pylist())}


def _period_starts(when: npt.NDArray[Any], grain: Grain) -> list[dt.date]:
    months = when.astype("datetime64[M]")
    if grain == "month":
        first = months
    elif grain == "year":
        first = when.astype("datetime64[Y]").astype("datetime64[M]")
    else:
        number = months.astype(np.int64)
        first = (number - number % 3).astype("datetime64[M]")
    return list(first.astype("datetime64[D]").astype(object))  # datetime.date values


def _values(known: npt.NDArray[np.float64] | None, column: pa.ChunkedArray) -> npt.NDArray[np.float64]:
    """A copy of a column's values (NULL as 0: a leaf's NULL and 0 read the same), from ``known`` if given."""
    if known is not None:
        return known.copy()
    return np.asarray(pc.fill_null(pc.cast(column, pa.float64()), 0.0).to_numpy(zero_copy_only=False),
                      dtype=np.float64).copy()


def _added(known: npt.NDArray[np.float64] | None, column: pa.ChunkedArray, rows: npt.NDArray[np.int64],
           add: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    values = _values(known, column)
    np.add.at(values, rows, add)
    return values


def _with_columns(table: pa.Table, columns: Mapping[str, npt.NDArray[np.float64]]) -> pa.Table:
    for name, values in columns.items():
        i = table.column_names.index(name)
        kind = table.schema.field(name).type
        array = pa.array(np.rint(values).astype(np.int64) if pa.types.is_integer(kind) else values).cast(kind)
        table = table.set_column(i, table.schema.field(name), array)
    return table
