"""Every KPI row's 95 % interval, standard error and small-sample flag.

Which interval applies is the KPI's ``uncertainty_kind`` (declared in the
catalogue or derived from its computation). The engine asks this module for
the extra measures a kind needs (Σx² for a mean), and after the one wide
query it computes ``ci_low``, ``ci_high``, ``std_error`` and ``small_sample``
for all rows of a KPI at once with numpy (see :mod:`advokit.stats.formulas`).

All four are on the KPI's own scale (NPS points, percent, per customer...).

* nps: value ± ``margin_of_error`` (1.96 × 100 × SE, kpi-semantics.md), clipped to ±100;
* proportion: Wilson interval of numerator / denominator, × the ratio's scale;
* mean: t-interval from Σx, Σx² and n, × the ratio's scale;
* rate: exact Poisson interval of the numerator per denominator, × scale;
* none (money and count totals): no interval.

``small_sample`` is ``n < 30`` (unless the KPI declares ``small_sample_basis: none``).
"""

from __future__ import annotations

from collections.abc import Iterator

import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ..catalogue.model import (
    CustomCompute,
    EventMeasure,
    KpiDefinition,
    RatioCompute,
    TotalCompute,
    mean_parts,
)
from ..stats import formulas as stats
from . import measures

#: Fewer answers or customers than this flag a value as a small sample.
SMALL_SAMPLE = 30
NPS_Z = 1.96  # the margin of error of kpi-semantics.md uses 1.96

COLUMNS: dict[str, pa.DataType] = {"ci_low": pa.float64(), "ci_high": pa.float64(),
                                   "std_error": pa.float64(), "small_sample": pa.bool_()}


def _mean_leaves(kpi: KpiDefinition) -> tuple[EventMeasure, EventMeasure, EventMeasure] | None:
    """(Σx, Σx², count) measures of a mean KPI with a declarative computation."""
    c = kpi.compute
    base: EventMeasure | None = None
    if isinstance(c, RatioCompute):
        base = mean_parts(c)
    elif isinstance(c, TotalCompute) and isinstance(c.value, EventMeasure) and c.value.agg == "mean":
        base = c.value
    if base is None:
        return None
    total = base.model_copy(update={"agg": "sum"})
    squares = base.model_copy(update={"agg": "sumsq"})
    count = base.model_copy(update={"agg": "count", "field": None})
    return total, squares, count


def extra_leaves(kpi: KpiDefinition) -> Iterator[measures.Leaf]:
    """Measures the interval needs beyond the KPI's own."""
    if kpi.uncertainty_kind == "mean":
        leaves = _mean_leaves(kpi)
        if leaves is not None:
            yield from leaves


def extra_columns(kpi: KpiDefinition, wide: ir.Table) -> dict[str, ir.Value]:
    """Columns of the wide table the interval needs (``<kpi>__unc_sum``, ``__unc_sumsq``, ``__unc_count``)."""
    p = kpi.id + "__"
    if kpi.uncertainty_kind != "mean":
        return {}
    leaves = _mean_leaves(kpi)
    if leaves is not None:
        total, squares, count = (measures.resolve(m, wide).cast("float64") for m in leaves)
        return {p + "unc_sum": total, p + "unc_sumsq": squares, p + "unc_count": count}
    if isinstance(kpi.compute, CustomCompute) and p + "sumsq" in wide.columns:
        # a custom mean returns numerator = Σx, denominator = n and an extra ``sumsq`` column
        return {p + "unc_sum": wide[p + "numerator"].cast("float64"),
                p + "unc_sumsq": wide[p + "sumsq"].cast("float64"),
                p + "unc_count": wide[p + "denominator"].cast("float64")}
    return {}


def _np(table: pa.Table, name: str) -> npt.NDArray[np.float64]:
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    return np.asarray(pc.cast(table[name], pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _scale(kpi: KpiDefinition) -> float:
    c = kpi.compute
    if isinstance(c, RatioCompute):
        return c.scale
    if isinstance(c, TotalCompute):
        return 1.0
    return 100.0 if kpi.unit == "percent" else 1.0


def interval_columns(kpi: KpiDefinition, wide: pa.Table) -> dict[str, pa.Array]:
    """``ci_low``, ``ci_high``, ``std_error``, ``small_sample`` for every row of one KPI (vectorised)."""
    p = kpi.id + "__"
    rows = wide.num_rows
    value, num, den = _np(wide, p + "value"), _np(wide, p + "numerator"), _np(wide, p + "denominator")
    n = np.nan_to_num(_np(wide, p + "n"), nan=0.0)
    kind = kpi.uncertainty_kind
    nan = np.full(rows, np.nan)
    lo, hi, se = nan, nan, nan
    scale = _scale(kpi)
    if kind == "nps":
        pr, de = _np(wide, p + "promoters"), _np(wide, p + "detractors")
        se = 100.0 * stats.nps_se(pr, de, n)
        lo, hi = (100.0 * x for x in stats.nps_interval(pr, de, n, z=NPS_Z))
    elif kind == "proportion":
        lo, hi = (scale * x for x in stats.wilson_interval(num, den))
        se = scale * stats.proportion_se(num, den)
    elif kind == "rate":
        lo, hi = (scale * x for x in stats.rate_interval(num, den))
        se = scale * stats.rate_se(num, den)
    elif kind == "mean":
        total, squares, count = _np(wide, p + "unc_sum"), _np(wide, p + "unc_sumsq"), _np(wide, p + "unc_count")
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / count
            factor = value / mean if isinstance(kpi.compute, CustomCompute) else np.full(rows, scale)
        sd = stats.sd_from_sums(total, squares, count)
        se = np.abs(factor) * stats.mean_se(sd, count)
        half = stats.t_critical(count - 1.0) * se
        lo, hi = value - half, value + half
    missing = np.isnan(value)
    lo, hi, se = (np.where(missing, np.nan, x) for x in (lo, hi, se))
    small = (n < SMALL_SAMPLE) if kpi.small_sample_basis == "n" else np.zeros(rows, dtype=bool)
    return {"ci_low": pa.array(lo, pa.float64(), from_pandas=True),
            "ci_high": pa.array(hi, pa.float64(), from_pandas=True),
            "std_error": pa.array(se, pa.float64(), from_pandas=True),
            "small_sample": pa.array(small, pa.bool_())}
