"""The KPI engine: compiles a KPI request to one Ibis expression and runs it.

A request (KPIs × grain × dimensions × date range) becomes:

1. a *spine*: every period of the range × every combination of dimension
   values present among the customers (an empty attribute is its own group);
2. one grouped scan of the events for all event measures of all KPIs;
3. one pass over the customers with running sums over the periods for all
   population measures (``populations.py``);
4. the spine left-joined to both, and each KPI's value, numerator,
   denominator and ``n`` computed as columns of that wide table.

The result is reshaped to the long output contract (one row per KPI ×
period × group) with Arrow column operations: no Python loop over rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..catalogue import Catalogue, KpiDefinition
from ..catalogue.model import (
    CustomCompute,
    EventMeasure,
    NpsCompute,
    PopulationMeasure,
    RatioCompute,
    TotalCompute,
)
from ..errors import InvalidArgumentError, UnknownDimensionError
from . import custom, measures, text_groups, uncertainty
from .periods import Grain, Period, periods_between
from .populations import population_table
from .text_groups import THEME

_TRUNC = {"month": "M", "quarter": "Q", "year": "Y"}


@dataclass(frozen=True)
class KpiRequest:
    kpis: tuple[str, ...]
    grain: Grain = "month"
    by: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    #: Keep only customers whose attribute equals the value (None: the attribute is empty).
    filters: tuple[tuple[str, str | None], ...] = ()


@dataclass
class Context:
    """What a custom computation gets: the tables and the request's shape."""

    events: ir.Table
    customers: ir.Table
    periods: ir.Table
    grain: Grain
    by: tuple[str, ...]
    period_list: list[Period] = field(default_factory=list)
    #: True when events must pass through their (segmented or filtered) customer.
    joined: bool = False
    #: The stored sentiment of texts (``text_sentiment``: event_id, label, score, ...), when a KPI reads it.
    sentiment: ir.Table | None = None
    #: With ``theme`` among ``by``: (event_id, theme) once per text and theme name (:mod:`.text_groups`).
    by_theme: ir.Table | None = None
    #: Tables built once per request and shared by the KPIs that read them (see :meth:`shared`).
    cache: dict[Hashable, ir.Table] = field(default_factory=dict)

    @property
    def trunc(self) -> str:
        return _TRUNC[self.grain]

    @property
    def customer_by(self) -> tuple[str, ...]:
        """The dimensions that are customer attributes (all of ``by`` but ``theme``)."""
        return tuple(d for d in self.by if d != THEME)

    def shared(self, key: Hashable, build: Callable[[], ir.Table]) -> ir.Table:
        """The table ``build()`` gives, built at most once per request for each ``key`` (which must name
        everything the table depends on besides this context, e.g. the closed-loop rules and SLA): the
        KPIs of one request that need it share one expression, so it is built and compiled once."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def periods_table(periods: Sequence[Period]) -> ir.Table:
    return ibis.memtable(pa.table({
        "period_start": pa.array([_ts(p.start) for p in periods], pa.timestamp("us")),
        "period_end": pa.array([_ts(p.end) for p in periods], pa.timestamp("us")),
        "period": pa.array([p.label for p in periods], pa.string()),
    }))


class Engine:
    """Computes KPIs from a workspace's ``events`` and ``customers`` tables."""

    def __init__(self, backend: ibis.BaseBackend, catalogue: Catalogue, *, dimensions: Sequence[str]) -> None:
        self.backend = backend
        self.catalogue = catalogue
        self.dimensions = list(dimensions)

    # -- request checks -------------------------------------------------------
    def check(self, req: KpiRequest) -> list[KpiDefinition]:
        if not req.kpis:
            raise InvalidArgumentError("no KPI given", hint="valid KPI ids: " + ", ".join(self.catalogue.ids))
        kpis = [self.catalogue.get(k) for k in dict.fromkeys(req.kpis)]
        for dim in req.by:
            if dim == THEME:
                self._check_theme(kpis)
            elif dim not in self.dimensions:
                raise UnknownDimensionError(
                    f"unknown dimension {dim!r}",
                    hint="valid dimensions: " + (", ".join(self.dimensions) or "(none: import customers first)")
                         + f"; {THEME} for the KPIs whose rows are texts")
        for dim, _ in req.filters:
            if dim not in self.dimensions:
                raise UnknownDimensionError(
                    f"unknown filter dimension {dim!r}",
                    hint="valid dimensions: " + (", ".join(self.dimensions) or "(none: import customers first)"))
        if len(set(req.by)) != len(req.by):
            raise InvalidArgumentError("a dimension is given twice", hint="give each --by once")
        if req.start and req.end and req.end <= req.start:
            raise InvalidArgumentError(f"--to {req.end} must be after --from {req.start}")
        return kpis

    def _check_theme(self, kpis: Sequence[KpiDefinition]) -> None:
        """``theme`` breaks down only the KPIs whose rows are texts."""
        def by_theme(kpi: KpiDefinition) -> bool:
            return isinstance(kpi.compute, CustomCompute) and custom.by_theme(kpi.compute)

        for kpi in kpis:
            if not by_theme(kpi):
                takes = [k for k in self.catalogue.ids if by_theme(self.catalogue.get(k))]
                raise InvalidArgumentError(
                    f"KPI {kpi.id!r} cannot be broken down by {THEME!r}: its rows are not texts",
                    hint=f"--by {THEME} takes the KPIs computed from texts ({', '.join(takes)}); split "
                         f"{kpi.id} by a customer attribute")

    def data_range(self) -> tuple[dt.date, dt.date] | None:
        """First and last day holding an event or a signup."""
        e = self.backend.table("events")
        c = self.backend.table("customers")
        bounds = ibis.union(
            e.aggregate(lo=e.occurred_at.min(), hi=e.occurred_at.max()),
            c.aggregate(lo=c.signup_at.min(), hi=c.signup_at.max()),
        )
        row = bounds.aggregate(lo=bounds.lo.min(), hi=bounds.hi.max()).to_pyarrow().to_pylist()[0]
        if row["lo"] is None:
            return None
        return row["lo"].date(), row["hi"].date()

    def periods(self, req: KpiRequest) -> list[Period]:
        start, end = req.start, req.end
        if start is None or end is None:
            bounds = self.data_range()
            if bounds is None:
                return []
            start = start or bounds[0]
            end = end or bounds[1] + dt.timedelta(days=1)
        return periods_between(start, end, req.grain)

    # -- compilation ----------------------------------------------------------
    def expression(self, req: KpiRequest, kpis: list[KpiDefinition], periods: list[Period]) -> ir.Table:
        """The request as one Ibis expression: keys, ``period`` and each KPI's output columns."""
        return kpi_table(self.leaf_table(req, kpis, periods), kpis, ["period_start", *req.by])

    def leaf_table(self, req: KpiRequest, kpis: list[KpiDefinition], periods: list[Period]) -> ir.Table:
        """One row per period (× dimension values): ``period_start``, the dimensions, ``period``, one column
        per leaf measure (:func:`measures.key_of`) and the ``<kpi>__*`` columns of each custom KPI.

        :func:`kpi_table` turns it into KPI values; the rollups (``advokit.rollup``) keep it by customer
        group and add it up.
        """
        by = list(req.by)
        customer_by = [d for d in by if d != THEME]
        customers = self.backend.table("customers")
        for dim, value in req.filters:
            customers = customers.filter(customers[dim].isnull() if value is None else customers[dim] == value)
        events = self.backend.table("events")
        joined = bool(customer_by or req.filters)  # events must pass through their customer
        ptable = periods_table(periods)
        lo, hi = _ts(periods[0].start), _ts(periods[-1].end)

        spine = ptable
        if customer_by:
            spine = ptable.cross_join(customers.select(*customer_by).distinct())
        by_theme = None
        if THEME in by:  # only text KPIs (check): no event or population leaf reads it
            by_theme, theme_names = text_groups.groups(self.backend)
            spine = spine.cross_join(theme_names)

        leaves: dict[str, measures.Leaf] = {}
        for kpi in kpis:
            for leaf in (*measures.kpi_leaves(kpi), *uncertainty.extra_leaves(kpi)):
                leaves.setdefault(measures.key_of(leaf), leaf)
        ev = {k: m for k, m in leaves.items() if isinstance(m, EventMeasure)}
        pop = {k: m for k, m in leaves.items() if isinstance(m, PopulationMeasure)}

        keys = ["period_start", *by]
        wide = spine
        if ev:
            types = sorted({t for m in ev.values() for t in m.events})
            e = events.filter(events.occurred_at >= lo, events.occurred_at < hi, events.type.isin(types))
            if joined:
                e = e.join(customers.select("customer_id", *by), "customer_id")
            e = e.mutate(period_start=e.occurred_at.truncate(_TRUNC[req.grain]))
            agg = e.group_by(keys).aggregate(**{k: measures.event_aggregate(e, m) for k, m in ev.items()})
            wide = _left_join(wide, agg, by)
        if pop:
            agg = population_table(customers, periods, req.grain, by, pop)
            wide = _left_join(wide, agg, by)

        ctx = Context(events=events, customers=customers, periods=ptable, grain=req.grain,
                      sentiment=self.backend.table("text_sentiment"),
                      by=tuple(by), period_list=periods, joined=joined, by_theme=by_theme)
        for kpi in kpis:
            if isinstance(kpi.compute, CustomCompute):
                part = custom.build(kpi.compute, ctx)
                part = part.rename({f"{kpi.id}__{c}": c for c in part.columns if c not in keys})
                wide = _left_join(wide, part, by)

        return wide

    def sql(self, req: KpiRequest, *, dialect: str = "duckdb") -> str:
        """The SQL the request compiles to, in ``dialect`` (duckdb, postgres, pyspark, ...)."""
        kpis = self.check(req)
        periods = self.periods(req)
        if not periods:
            raise InvalidArgumentError("the workspace holds no data and no --from/--to range was given")
        expr = self.expression(req, kpis, periods)
        try:
            return str(ibis.to_sql(expr, dialect=dialect))
        except Exception as exc:  # ibis raises assorted errors for dialects it cannot load here
            raise InvalidArgumentError(f"cannot compile to dialect {dialect!r}: {exc}",
                                       hint="duckdb and postgres work out of the box; pyspark needs "
                                            "`pip install 'ibis-framework[pyspark]'`") from exc

    def compute(self, req: KpiRequest) -> pa.Table:
        kpis = self.check(req)
        periods = self.periods(req)
        if not periods:
            return empty_result(req.by)
        wide = self.expression(req, kpis, periods).to_pyarrow()
        return to_long(wide, kpis, list(req.by))

    def prepare(self, req: KpiRequest) -> "Prepared":
        """The request built and compiled once, to :meth:`run` again (the KPI cache reruns them)."""
        kpis = self.check(req)
        periods = self.periods(req)
        if not periods:
            return Prepared(kpis, list(req.by), None, None)
        expr = self.expression(req, kpis, periods)
        return Prepared(kpis, list(req.by), expr, str(self.backend.compile(expr)))

    def run(self, prepared: "Prepared") -> pa.Table:
        """Exactly ``compute`` of the prepared request, on this engine's connection, without Ibis
        building or compiling anything (that is 15-50 ms of a one-month KPI query)."""
        if prepared.expr is None:
            return empty_result(prepared.by)
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        backend = self.backend
        backend._run_pre_execute_hooks(prepared.expr)  # registers its in-memory tables on this connection
        table = backend.con.sql(prepared.sql).to_arrow_table()
        wide = prepared.expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)
        return to_long(wide, prepared.kpis, prepared.by)


@dataclass(frozen=True)
class Prepared:
    """A compiled request: its KPIs, dimensions, Ibis expression and SQL (None: no periods)."""

    kpis: list[KpiDefinition]
    by: list[str]
    expr: ir.Table | None
    sql: str | None


def kpi_table(wide: ir.Table, kpis: Sequence[KpiDefinition], keys: Sequence[str]) -> ir.Table:
    """Each KPI's value, numerator, denominator, ``n`` (and extras) from a table of leaf measures."""
    cols: dict[str, ir.Value] = {}
    for kpi in kpis:
        cols.update(_kpi_columns(kpi, wide))
        cols.update(uncertainty.extra_columns(kpi, wide))
    return wide.select(*keys, "period", **cols)


def _left_join(left: ir.Table, right: ir.Table, by: list[str]) -> ir.Table:
    preds = [left.period_start == right.period_start]
    preds += [left[d].identical_to(right[d]) for d in by]
    keep = [c for c in right.columns if c not in ("period_start", *by)]
    return left.left_join(right, preds).select(left, *[right[c] for c in keep])


def _kpi_columns(kpi: KpiDefinition, wide: ir.Table) -> dict[str, ir.Value]:
    c = kpi.compute
    p = kpi.id + "__"
    null = ibis.null("float64")
    if isinstance(c, RatioCompute):
        num = measures.resolve(c.numerator, wide)
        den = measures.resolve(c.denominator, wide)
        n = den if c.n == "denominator" else num if c.n == "numerator" else measures.resolve(c.n, wide)
        return {p + "value": measures.safe_ratio(num, den, c.scale), p + "numerator": num.cast("float64"),
                p + "denominator": den.cast("float64"), p + "n": n.cast("int64")}
    if isinstance(c, TotalCompute):
        value = measures.resolve(c.value, wide)
        n = measures.resolve(c.n, wide) if c.n is not None else value
        return {p + "value": value.cast("float64"), p + "numerator": null, p + "denominator": null,
                p + "n": n.cast("int64")}
    if isinstance(c, NpsCompute):
        r = measures.resolve(measures.NPS_RESPONSES, wide)
        pr = measures.resolve(measures.NPS_PROMOTERS, wide)
        de = measures.resolve(measures.NPS_DETRACTORS, wide)
        share_p = pr.cast("float64") / r
        share_d = de.cast("float64") / r
        variance = (share_p + share_d) - (share_p - share_d) ** 2
        moe = 1.96 * 100 * (variance / r).sqrt()
        return {p + "value": measures.safe_ratio(pr - de, r, 100.0), p + "numerator": (pr - de).cast("float64"),
                p + "denominator": r.cast("float64"), p + "n": r.cast("int64"),
                p + "promoters": pr.cast("int64"), p + "passives": (r - pr - de).cast("int64"),
                p + "detractors": de.cast("int64"),
                p + "margin_of_error": ibis.ifelse(r == 0, null, moe)}
    # custom: the part already carries value / numerator / denominator / n
    return {p + "value": wide[p + "value"].cast("float64"), p + "numerator": wide[p + "numerator"].cast("float64"),
            p + "denominator": wide[p + "denominator"].cast("float64"),
            p + "n": wide[p + "n"].fill_null(0).cast("int64")}


NPS_EXTRAS = ("promoters", "passives", "detractors", "margin_of_error")
_EXTRA_TYPES = {"promoters": pa.int64(), "passives": pa.int64(), "detractors": pa.int64(),
                "margin_of_error": pa.float64()}


def result_schema(by: Sequence[str]) -> pa.Schema:
    fields = [pa.field("kpi", pa.string()), pa.field("period", pa.string()), pa.field("period_start", pa.date32())]
    fields += [pa.field(d, pa.string()) for d in by]
    fields += [pa.field("value", pa.float64()), pa.field("numerator", pa.float64()),
               pa.field("denominator", pa.float64()), pa.field("n", pa.int64())]
    fields += [pa.field(x, _EXTRA_TYPES[x]) for x in NPS_EXTRAS]
    fields += [pa.field(x, t) for x, t in uncertainty.COLUMNS.items()]
    return pa.schema(fields)


def empty_result(by: Sequence[str]) -> pa.Table:
    return result_schema(by).empty_table()


def to_long(wide: pa.Table, kpis: list[KpiDefinition], by: list[str]) -> pa.Table:
    import pyarrow.compute as pc

    schema = result_schema(by)
    rows = wide.num_rows
    order = pc.sort_indices(wide, sort_keys=[("period_start", "ascending", "at_start"),
                                             *[(d, "ascending", "at_start") for d in by]])
    wide = wide.take(order)
    start = pc.cast(wide["period_start"], pa.date32())
    parts = []
    for kpi in kpis:
        p = kpi.id + "__"
        cols: list[pa.Array | pa.ChunkedArray] = [pa.array([kpi.id] * rows, pa.string()), wide["period"], start]
        cols += [pc.cast(wide[d], pa.string()) for d in by]
        cols += [wide[p + "value"], wide[p + "numerator"], wide[p + "denominator"], wide[p + "n"]]
        for extra in NPS_EXTRAS:
            name = p + extra
            cols.append(wide[name] if name in wide.column_names else pa.nulls(rows, _EXTRA_TYPES[extra]))
        intervals = uncertainty.interval_columns(kpi, wide)
        cols += [intervals[x] for x in uncertainty.COLUMNS]
        parts.append(pa.Table.from_arrays(cols, schema=schema))
    return pa.concat_tables(parts) if parts else empty_result(by)
