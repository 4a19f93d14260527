"""Compile declarative measures (catalogue ``compute`` blocks) to Ibis aggregates.

Two sources feed every KPI:

* **event measures** aggregate the events of a period (and segment);
* **population measures** count (or sum ARR over) the customers of a period's
  populations: active in, active at the start, active at the end, new, churned
  (computed from running signup and churn counts in ``populations.py``).

Each distinct measure becomes one column of one grouped query, so a pack of
KPIs scans the events once and the customers once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import ibis
import ibis.expr.types as ir

from ..catalogue.model import (
    CustomCompute,
    Difference,
    EventMeasure,
    KpiDefinition,
    NpsCompute,
    PopulationMeasure,
    RatioCompute,
    Total,
    TotalCompute,
)

Leaf = EventMeasure | PopulationMeasure


def key_of(measure: Leaf) -> str:
    """A stable column name for a leaf measure."""
    payload = json.dumps(measure.model_dump(mode="json"), sort_keys=True)
    prefix = "ev" if isinstance(measure, EventMeasure) else "pop"
    import hashlib

    return f"{prefix}_{hashlib.sha1(payload.encode()).hexdigest()[:12]}"


def leaves(spec: EventMeasure | PopulationMeasure | Difference | Total) -> Iterator[Leaf]:
    if isinstance(spec, (Difference, Total)):
        for part in (spec.minus if isinstance(spec, Difference) else spec.plus):
            yield from leaves(part)
    else:
        yield spec


NPS_RESPONSES = EventMeasure(events=["nps_response"])
NPS_PROMOTERS = EventMeasure(events=["nps_response"], score_min=9)
NPS_DETRACTORS = EventMeasure(events=["nps_response"], score_max=6)


def kpi_leaves(kpi: KpiDefinition) -> Iterator[Leaf]:
    """Every leaf measure a KPI's computation needs."""
    c = kpi.compute
    if isinstance(c, RatioCompute):
        yield from leaves(c.numerator)
        yield from leaves(c.denominator)
        if not isinstance(c.n, str):
            yield from leaves(c.n)
    elif isinstance(c, TotalCompute):
        yield from leaves(c.value)
        if c.n is not None:
            yield from leaves(c.n)
    elif isinstance(c, NpsCompute):
        yield from (NPS_RESPONSES, NPS_PROMOTERS, NPS_DETRACTORS)
    elif isinstance(c, CustomCompute):
        return


def _property_condition(t: ir.Table, name: str, value: object) -> ir.BooleanValue:
    prop = t.properties.cast("json")[name]
    if isinstance(value, bool):
        return prop.bool == value
    if isinstance(value, (int, float)):
        return prop.float == float(value)
    return prop.str == value


def event_condition(t: ir.Table, m: EventMeasure) -> ir.BooleanValue:
    cond: ir.BooleanValue = t.type.isin(m.events) if len(m.events) > 1 else t.type == m.events[0]
    if m.score_min is not None:
        cond = cond & (t.score >= m.score_min)
    if m.score_max is not None:
        cond = cond & (t.score <= m.score_max)
    for name, value in (m.where_property or {}).items():
        cond = cond & _property_condition(t, name, value).fill_null(False)
    if m.has_customer is not None:
        cond = cond & (t.customer_id.notnull() if m.has_customer else t.customer_id.isnull())
    return cond


def event_aggregate(t: ir.Table, m: EventMeasure) -> ir.Scalar:
    cond = event_condition(t, m)
    if m.agg == "count":
        return t.count(where=cond)
    if m.agg == "customers":
        return t.customer_id.nunique(where=cond)
    column = t[m.field]
    if m.agg == "sum":
        return column.sum(where=cond)
    if m.agg == "sumsq":
        return (column * column).sum(where=cond)
    return column.mean(where=cond)


def resolve(spec: EventMeasure | PopulationMeasure | Difference | Total, wide: ir.Table) -> ir.NumericValue:
    """The value of a (possibly composite) measure on the wide table."""
    if isinstance(spec, Difference):
        a, b = spec.minus
        return resolve(a, wide) - resolve(b, wide)
    if isinstance(spec, Total):
        parts = [resolve(p, wide) for p in spec.plus]
        out = parts[0]
        for part in parts[1:]:
            out = out + part
        return out
    col = wide[key_of(spec)]
    if isinstance(spec, EventMeasure) and spec.agg == "mean":
        return col
    return col.fill_null(0)


def safe_ratio(num: ir.NumericValue, den: ir.NumericValue, scale: float) -> ir.NumericValue:
    return ibis.ifelse(den == 0, ibis.null("float64"), num.cast("float64") * scale / den)
