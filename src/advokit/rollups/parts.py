"""Rollups: the KPI leaf measures kept per period and customer group, added up on request.

The engine's leaf table (:meth:`Engine.leaf_table`) computed with ``by`` = a set of
low-cardinality customer attributes (the rollup *dimensions*) holds, per period and
combination of attribute values (a *cell*), every leaf measure of every KPI. Every
leaf is additive over disjoint groups of customers: event counts and sums, the
number of distinct customers (a customer sits in one cell), population counts, and
the numerator, denominator and ``n`` of the custom computations that declare
``additive_scale``. So a request whose ``by`` and filters use only rollup
dimensions is answered exactly by filtering the cells, summing them per period
(and requested dimension) and applying the KPIs' own output formulas
(:func:`compiler.kpi_table`): a few thousand rows instead of millions of events.

The unsegmented, unfiltered request is answered from a second table, the leaf
table with no dimension, because it also counts events without a customer (which
any join to the customers drops).

A KPI is *rollable* when all its leaves are additive: declarative KPIs without an
``agg: mean`` leaf, and custom KPIs registered with ``additive_scale``. The
declarative and the custom KPIs are kept as two *families*, because an appended
event changes a declarative KPI only in its own period but a custom one (with
look-back windows) in every later period too.

Everything here is pure computation over Ibis expressions and Arrow tables; when
to build, refresh, keep or drop rollups is :mod:`advokit.rollups.keeper`'s business.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ..catalogue.model import CustomCompute, EventMeasure, KpiDefinition
from ..engine import custom, measures, uncertainty
from ..engine.compiler import Engine, KpiRequest, kpi_table, to_long
from ..engine.periods import Grain, Period

Family = Literal["declared", "custom"]
FAMILIES: tuple[Family, ...] = ("declared", "custom")
#: An attribute with more distinct values than this is not a rollup dimension.
MAX_VALUES = 100
#: At most this many cells (combinations of dimension values present among the customers).
MAX_CELLS = 20_000
#: At most this many rollup dimensions (those with fewest values): each one more multiplies the
#: cells and the width of every rollup query, and a workspace may hold up to 64 attributes.
MAX_DIMENSIONS = 8
INPUT = "advokit_rollup_input"


def family(kpi: KpiDefinition) -> Family:
    return "custom" if isinstance(kpi.compute, CustomCompute) else "declared"


def rollable(kpi: KpiDefinition) -> bool:
    """Whether every leaf of the KPI adds up over customer groups."""
    if isinstance(kpi.compute, CustomCompute):
        return custom.additive_scale(kpi.compute) is not None
    leaves = (*measures.kpi_leaves(kpi), *uncertainty.extra_leaves(kpi))
    return not any(isinstance(m, EventMeasure) and m.agg == "mean" for m in leaves)


def choose_dimensions(backend: ibis.BaseBackend, dimensions: Sequence[str]) -> list[str]:
    """The customer attributes to roll up by: each with at most ``MAX_VALUES`` values (an empty value counts
    as one), at most ``MAX_DIMENSIONS`` of them (fewest values first), together at most ``MAX_CELLS``
    combinations; the attributes with most values go first."""
    if not dimensions:
        return []
    c = backend.table("customers")
    counts = c.aggregate(**{f"d{i}": c[d].nunique() + c[d].isnull().any().cast("int64")
                            for i, d in enumerate(dimensions)}).to_pyarrow().to_pylist()[0]
    dims = sorted((d for i, d in enumerate(dimensions) if counts[f"d{i}"] <= MAX_VALUES),
                  key=lambda d: (counts[f"d{dimensions.index(d)}"], d))[:MAX_DIMENSIONS]
    while dims:
        cells = c.select(*dims).distinct().count().to_pyarrow().as_py()
        if cells <= MAX_CELLS:
            break
        dims.pop()  # the attribute with most values
    return dims


class Part:
    """One grain × family: the cells (by every dimension) and the unsegmented total, per period.

    ``stamps``: period start → the stamp (``RollupKeeper._stamp``) of the data it was computed from.
    A part brought forward by appended events (:meth:`with_values`) holds the new values of the
    changed columns beside the tables it came from and makes its tables when they are first read:
    a stream of batches with no reader in between costs no Arrow tables.
    """

    def __init__(self, cells: pa.Table, total: pa.Table,
                 stamps: dict[dt.date, tuple[object, ...]] | None = None) -> None:
        self._cells, self._total = cells, total
        self.stamps: dict[dt.date, tuple[object, ...]] = stamps if stamps is not None else {}
        self._pending: tuple[Mapping[str, npt.NDArray[np.float64]], Mapping[str, npt.NDArray[np.float64]]] = ({}, {})
        self._lock = threading.Lock()

    cells = property(lambda self: self._settled("_cells"), lambda self, t: self._replace("_cells", t),
                     doc="The cells (by every dimension), per period.")
    total = property(lambda self: self._settled("_total"), lambda self, t: self._replace("_total", t),
                     doc="The unsegmented total, per period.")

    def _settled(self, name: str) -> pa.Table:
        self._settle()
        return getattr(self, name)

    def _replace(self, name: str, table: pa.Table) -> None:
        self._settle()  # (the pending values belong to the table being replaced)
        setattr(self, name, table)

    def with_values(self, cells: Mapping[str, npt.NDArray[np.float64]], total: Mapping[str, npt.NDArray[np.float64]],
                    stamps: dict[dt.date, tuple[object, ...]]) -> "Part":
        """A new part with the same rows and these columns' values (whole numbers in integer columns)."""
        with self._lock:
            new = Part(self._cells, self._total, stamps)
            new._pending = ({**self._pending[0], **cells}, {**self._pending[1], **total})
        return new

    def _settle(self) -> None:
        if not (self._pending[0] or self._pending[1]):
            return
        with self._lock:
            cells, total = self._pending
            if cells or total:
                self._cells = with_columns(self._cells, cells)
                self._total = with_columns(self._total, total)
                self._pending = ({}, {})


def with_columns(table: pa.Table, columns: Mapping[str, npt.NDArray[np.float64]]) -> pa.Table:
    """``table`` with these columns' values replaced (whole numbers for integer columns), made at once."""
    if not columns:
        return table
    schema = table.schema
    arrays: list[Any] = list(table.columns)
    for i, name in enumerate(schema.names):
        values = columns.get(name)
        if values is None:
            continue
        kind = schema.field(i).type
        if pa.types.is_integer(kind):
            array = pa.array(np.rint(values).astype(np.int64))
        else:
            array = pa.array(values)
        arrays[i] = array if array.type == kind else array.cast(kind)
    return pa.Table.from_arrays(arrays, schema=schema)


def compute_part(engine: Engine, kpis: Sequence[KpiDefinition], grain: Grain, periods: Sequence[Period],
                 dims: Sequence[str]) -> tuple[pa.Table, pa.Table]:
    """The cells and the total of ``kpis`` (one family) for ``periods``, computed by the engine."""
    ids = tuple(k.id for k in kpis)
    out = []
    for by in (tuple(dims), ()):
        req = KpiRequest(kpis=ids, grain=grain, by=by, start=periods[0].start, end=periods[-1].end)
        wide = engine.leaf_table(req, list(kpis), list(periods))
        keep = [c for c in wide.columns
                if c not in ("period_start", "period_end", "period", *by) and not c.endswith("__value")]
        out.append(wide.select("period_start", "period", *by, *keep).to_pyarrow())
    return out[0], out[1]


def replace_periods(old: pa.Table, new: pa.Table, starts: Sequence[dt.date]) -> pa.Table:
    """``old`` without the rows of the periods starting at ``starts``, plus ``new``."""
    if old.num_rows == 0:
        return new
    keys = pa.array([dt.datetime(d.year, d.month, d.day) for d in starts], old.schema.field("period_start").type)
    kept = old.filter(pc.invert(pc.is_in(old["period_start"], value_set=keys)))
    return pa.concat_tables([kept, new.select(kept.column_names).cast(kept.schema)])


class Rollups:
    """The rollups of one workspace state: per grain and family, a :class:`Part`."""

    def __init__(self, dims: Sequence[str], kpis: Sequence[KpiDefinition]) -> None:
        self.dims = list(dims)
        self.kpis = {k.id: k for k in kpis if rollable(k)}
        self.parts: dict[tuple[Grain, Family], Part] = {}
        self._sql: dict[tuple[object, ...], tuple[ir.Table, str]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def kpis_of(self, fam: Family) -> list[KpiDefinition]:
        return [k for k in self.kpis.values() if family(k) == fam]

    def columns_of(self, fam: Family, table: pa.Table) -> pa.Table:
        """The keys and ``fam``'s value columns of a table computed for KPIs of both families."""
        prefixes = tuple(k.id + "__" for k in self.kpis_of("custom"))
        keep = [c for c in table.column_names
                if c in ("period_start", "period", *self.dims) or c.startswith(prefixes) == (fam == "custom")]
        return table.select(keep)

    def covers(self, kpis: Sequence[KpiDefinition], by: Sequence[str],
               filters: Sequence[tuple[str, str | None]]) -> bool:
        """Whether a request of these KPIs, dimensions and filters can be answered from the rollups."""
        dims = set(self.dims)
        return (all(k.id in self.kpis for k in kpis) and set(by) <= dims
                and all(d in dims for d, _ in filters))

    def rows(self, grain: Grain, kpis: Sequence[KpiDefinition], by: Sequence[str],
             filters: Sequence[tuple[str, str | None]], periods: Sequence[Period],
             parts: Mapping[Family, Part] | None = None) -> pa.Table | None:
        """The request's output rows (``Engine.compute``'s contract), or None when the rollups cannot say.

        ``parts``: the parts to read (those whose stamps the caller checked), else the current ones."""
        out_parts: list[pa.Table] = []
        for fam in FAMILIES:
            mine = [k for k in kpis if family(k) == fam]
            if not mine:
                continue
            part = parts.get(fam) if parts is not None else self.parts.get((grain, fam))
            if part is None:
                return None
            out = self._rollup(part, grain, fam, mine, by, filters, periods)
            if out is None:
                return None
            out_parts.append(out)
        if len(out_parts) == 1:
            return out_parts[0]
        order = {k.id: i for i, k in enumerate(kpis)}
        table = pa.concat_tables(out_parts)
        rank = pa.array([order[k] for k in table["kpi"].to_pylist()], pa.int64())
        return table.take(pc.sort_indices(pa.table({"r": rank, "i": pa.array(range(table.num_rows))}),
                                          sort_keys=[("r", "ascending"), ("i", "ascending")]))

    def _rollup(self, part: Part, grain: Grain, fam: Family, kpis: list[KpiDefinition], by: Sequence[str],
                filters: Sequence[tuple[str, str | None]], periods: Sequence[Period]) -> pa.Table | None:
        whole = not by and not filters
        source = part.total if whole else part.cells
        starts = pa.array([dt.datetime(p.start.year, p.start.month, p.start.day) for p in periods],
                          source.schema.field("period_start").type)
        mask = pc.is_in(source["period_start"], value_set=starts)
        for dim, value in filters:
            mask = pc.and_kleene(mask, pc.is_null(source[dim]) if value is None
                                 else pc.equal(source[dim], pa.scalar(value, source.schema.field(dim).type)))
        data = source.filter(mask)
        if not by and len(set(data["period_start"].to_pylist())) != len(periods):
            return None  # a filter that keeps no customer: the engine says what such periods hold
        expr, sql = self._prepared(part, fam, tuple(k.id for k in kpis), tuple(by), whole, data.schema)
        con = self._connection()
        con.register(INPUT, data)
        try:
            table = con.sql(sql).to_arrow_table()
        finally:
            con.unregister(INPUT)
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        wide = expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)
        return to_long(wide, kpis, list(by))

    def prepare_common(self) -> None:
        """Compile the rollup queries of whole-catalogue requests (the scorecard) ahead of the first one."""
        for fam in FAMILIES:
            kpis = self.kpis_of(fam)
            part = next((p for (g, f), p in self.parts.items() if f == fam), None)
            if not kpis or part is None:
                continue
            ids = tuple(k.id for k in kpis)
            if (fam, ids, (), True, part.total.schema) in self._sql:
                continue
            self._prepared(part, fam, ids, (), True, part.total.schema)
            self._prepared(part, fam, ids, (), False, part.cells.schema)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = scratch_connection()
        return con

    def _prepared(self, part: Part, fam: Family, ids: tuple[str, ...], by: tuple[str, ...], whole: bool,
                  schema: pa.Schema) -> tuple[ir.Table, str]:
        key = (fam, ids, by, whole, schema)
        with self._lock:
            got = self._sql.get(key)
        if got is None:
            kpis = [self.kpis[i] for i in ids]
            expr = rollup_expression(ibis.schema(schema), kpis, by,
                                     _value_columns_of(schema, self.dims if not whole else ()))
            got = (expr, str(ibis.to_sql(expr, dialect="duckdb")))
            with self._lock:
                self._sql[key] = got
        return got


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for small Arrow inputs (rollup rows, batches): UTC, one thread."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET threads = 1")  # a few thousand rows: one thread answers fastest
    return con


def _value_columns_of(schema: pa.Schema, dims: Sequence[str]) -> list[str]:
    return [n for n in schema.names if n not in ("period_start", "period", *dims)]


def rollup_expression(schema: ibis.Schema, kpis: Sequence[KpiDefinition], by: Sequence[str],
                      values: Sequence[str]) -> ir.Table:
    """The KPIs' output columns from the leaf columns of ``INPUT`` summed per period and ``by``."""
    t = ibis.table(schema, name=INPUT)
    keys = ["period_start", *by]
    g = t.group_by([*keys, "period"]).aggregate(**{c: t[c].sum() for c in values})
    extra: dict[str, ir.Value] = {}
    for kpi in kpis:
        if isinstance(kpi.compute, CustomCompute):
            scale = custom.additive_scale(kpi.compute)
            assert scale is not None
            num, den = g[kpi.id + "__numerator"], g[kpi.id + "__denominator"]
            extra[kpi.id + "__value"] = measures.safe_ratio(num, den, scale)
    if extra:
        g = g.mutate(**extra)
    return kpi_table(g, kpis, keys)
