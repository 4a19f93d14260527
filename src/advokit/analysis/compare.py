"""Is a KPI different between two segments in the same period? (two independent samples, 95 %)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..engine.periods import parse_period_label
from ..errors import InvalidArgumentError
from . import stats
from .trend import _clean, p_values

if TYPE_CHECKING:
    from ..workspace import Workspace

_SIDE = ("value", "n", "numerator", "denominator", "ci_low", "ci_high", "small_sample")


def compare_groups(ws: "Workspace", kpis: Sequence[str] | str, *, period: str, by: str, a: str | None,
                   b: str | None, filters: Mapping[str, str | None] | None = None) -> list[dict[str, Any]]:
    """One row per KPI: both groups' values and intervals, ``difference`` (a − b), ``p_value``, ``significant``.

    The test is the KPI's own (NPS z-test, two-proportion z-test, Welch t-test,
    Poisson rate test); ``p_value`` is None where the KPI carries no interval.
    """
    ids = [kpis] if isinstance(kpis, str) else list(kpis)
    current = parse_period_label(period)
    result = ws.compute(ids, period=current.grain, by=[by], start=current.start, end=current.end, filters=filters)
    frame = result.to_arrow().to_pandas()
    frame = frame[frame["period"] == current.label]
    present = sorted({str(v) for v in frame[by].dropna().unique()})
    sides = []
    for value in (a, b):
        part = frame[frame[by].isna()] if value is None else frame[frame[by] == value]
        if part.empty:
            raise InvalidArgumentError(f"no {by} {value!r} in the workspace",
                                       hint=f"{by} values: " + (", ".join(present) or "(none)"))
        sides.append(part.set_index("kpi").reindex(ids).reset_index())
    left, right = sides
    kinds = np.array([ws.kpi(k).uncertainty_kind for k in ids], dtype=object)
    p = p_values(kinds, left, right)
    diff = pd.to_numeric(left["value"]).to_numpy(dtype=float) - pd.to_numeric(right["value"]).to_numpy(dtype=float)
    rows = []
    for i, kpi in enumerate(ids):
        rows.append({
            "kpi": kpi, "period": current.label, "by": by,
            "a": {"group": a, **{k: _clean(left.at[i, k]) for k in _SIDE}},
            "b": {"group": b, **{k: _clean(right.at[i, k]) for k in _SIDE}},
            "difference": _clean(diff[i]), "p_value": _clean(p[i]),
            "significant": None if np.isnan(p[i]) else bool(p[i] < stats.ALPHA),
        })
    return rows
