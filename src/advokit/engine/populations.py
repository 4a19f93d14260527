"""Customer populations per period from cumulative signup and churn counts.

With S(t) the customers (or ARR) signed up before t and C(t) those churned
before t, the populations of kpi-semantics.md for a period [start, end) are

* active in the period  = S(end) − C(start)
* active at the start   = S(start) − C(start)
* active at the end     = S(end) − C(end)
* new in the period     = S(end) − S(start)
* churned in the period = (C(end) − C(start)) − those who also signed up in it

so one pass over the customers (grouped by signup and churn period) and a
running sum over the periods replace a join of every customer with every
period: O(customers + periods) instead of O(customers × periods).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..catalogue.model import PopulationMeasure
from .periods import Period

_TRUNC = {"month": "M", "quarter": "Q", "year": "Y"}


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _weight_key(m: PopulationMeasure) -> str:
    return f"{m.agg}_{m.field or ''}_{m.referred}"


def _weight(t: ir.Table, m: PopulationMeasure) -> ir.NumericValue:
    ones = t.signup_at.notnull().cast("int64")  # a column of 1s (signup_at is never empty)
    w: ir.NumericValue = ones if m.agg == "count" else t[m.field].fill_null(0)
    if m.referred is not None:
        keep = t.referred_by.notnull() if m.referred else t.referred_by.isnull()
        w = ibis.ifelse(keep, w, 0)
    return w


def population_table(customers: ir.Table, periods: Sequence[Period], grain: str, by: Sequence[str],
                     measures: dict[str, PopulationMeasure]) -> ir.Table:
    """One row per period (× dimension values) with one column per population measure."""
    by = list(by)
    trunc = _TRUNC[grain]
    lo, hi = _ts(periods[0].start), _ts(periods[-1].end)
    before = lo - dt.timedelta(days=1)  # one bucket for everything before the first period
    weights = {_weight_key(m): m for m in measures.values()}
    c = customers.select(*dict.fromkeys(["signup_at", "churned_at", "arr", "referred_by", *by]))

    def bucket(col: ir.TimestampValue) -> ir.TimestampValue:
        return ibis.ifelse(col < lo, ibis.literal(before), col.truncate(trunc))

    def grouped(t: ir.Table, col: ir.TimestampValue, prefix: str) -> ir.Table:
        t = t.mutate(bucket=bucket(col))
        return t.group_by(["bucket", *by]).aggregate(
            **{f"{prefix}{i}": _weight(t, m).sum() for i, m in enumerate(weights.values())})

    signed = grouped(c.filter(c.signup_at < hi), c.signup_at, "s")
    churned = grouped(c.filter(c.churned_at.notnull(), c.churned_at < hi), c.churned_at, "c")
    same = c.filter(c.churned_at.notnull(), c.signup_at >= lo, c.churned_at < hi,
                    c.signup_at.truncate(trunc) == c.churned_at.truncate(trunc))
    both = grouped(same, same.signup_at, "b")

    spine = ibis.memtable(pa.table({"bucket": pa.array([before, *(_ts(p.start) for p in periods)],
                                                       pa.timestamp("us"))}))
    if by:
        spine = spine.cross_join(customers.select(*by).distinct())
    for part in (signed, churned, both):
        preds = [spine.bucket == part.bucket, *[spine[d].identical_to(part[d]) for d in by]]
        spine = spine.left_join(part, preds).select(spine, *[part[x] for x in part.columns
                                                             if x not in ("bucket", *by)])
    window = ibis.cumulative_window(group_by=by or None, order_by="bucket")
    cols: dict[str, ir.Value] = {}
    for i, _ in enumerate(weights):
        s, ch, b = (spine[f"{p}{i}"].fill_null(0) for p in "scb")
        cols[f"s_end{i}"] = s.sum().over(window)
        cols[f"c_end{i}"] = ch.sum().over(window)
        cols[f"s{i}"], cols[f"c{i}"], cols[f"b{i}"] = s, ch, b
    run = spine.select("bucket", *by, **cols)
    out: dict[str, ir.Value] = {}
    index = {key: i for i, key in enumerate(weights)}
    for key, m in measures.items():
        i = index[_weight_key(m)]
        s_end, c_end, s, ch, b = (run[f"{p}{i}"] for p in ("s_end", "c_end", "s", "c", "b"))
        s_start, c_start = s_end - s, c_end - ch
        out[key] = {
            "active": s_end - c_start,
            "active_start": s_start - c_start,
            "active_end": s_end - c_end,
            "new": s,
            "churned": ch - b,
        }[m.population]
    return run.filter(run.bucket >= lo).select(period_start=run.bucket, **{d: run[d] for d in by}, **out)
