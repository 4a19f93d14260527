"""Is a KPI different between two segments, a segment and the rest, or two windows of months? (95 %).

* :func:`compare_groups`   two segments in one period (two independent samples);
* :func:`compare_to_rest`  each segment against all other customers in one period;
* :func:`compare_windows`  a campaign window against a baseline window (the campaign report).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..coverage import COVERED, NOT_TRACKED
from ..engine.periods import Period, parse_bound, parse_period_label, period_of, periods_between
from ..errors import InvalidArgumentError
from ..stats import formulas as stats
from .trend import _clean, p_values

if TYPE_CHECKING:
    from ..catalogue.model import KpiDefinition
    from ..engine.service import KpiService

_SIDE = ("value", "n", "numerator", "denominator", "ci_low", "ci_high", "small_sample", "coverage", "note")


def _untracked(*sides: Mapping[str, Any]) -> bool:
    """True when either side is not tracked: then no difference, p-value or verdict is given."""
    return any(side.get("coverage") == NOT_TRACKED for side in sides)


def compare_groups(service: "KpiService", kpis: Sequence[str] | str, *, period: str, by: str, a: str | None,
                   b: str | None, filters: Mapping[str, str | None] | None = None) -> list[dict[str, Any]]:
    """One row per KPI: both groups' values and intervals, ``difference`` (a − b), ``p_value``, ``significant``.

    The test is the KPI's own (NPS z-test, two-proportion z-test, Welch t-test,
    Poisson rate test); ``p_value`` is None where the KPI carries no interval.
    """
    ids = [kpis] if isinstance(kpis, str) else list(kpis)
    current = parse_period_label(period)
    result = service.compute(ids, period=current.grain, by=[by], start=current.start, end=current.end, filters=filters)
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
    kinds = np.array([service.kpi(k).uncertainty_kind for k in ids], dtype=object)
    p = p_values(kinds, left, right)
    diff = pd.to_numeric(left["value"]).to_numpy(dtype=float) - pd.to_numeric(right["value"]).to_numpy(dtype=float)
    rows = []
    for i, kpi in enumerate(ids):
        side_a = {"group": a, **{k: _clean(left.at[i, k]) if k in left.columns else None for k in _SIDE}}
        side_b = {"group": b, **{k: _clean(right.at[i, k]) if k in right.columns else None for k in _SIDE}}
        blind = _untracked(side_a, side_b)
        rows.append({
            "kpi": kpi, "period": current.label, "by": by, "a": side_a, "b": side_b,
            "difference": None if blind else _clean(diff[i]), "p_value": None if blind else _clean(p[i]),
            "significant": None if blind or np.isnan(p[i]) else bool(p[i] < stats.ALPHA),
        })
    return rows


# --------------------------------------------------------------------------------------------
# Pooled values over several periods or groups: campaign windows, a segment against the rest.
#
# A window of whole months is pooled from the monthly rows: NPS from the summed promoters,
# detractors and answers; proportions and rates from the summed numerators and denominators
# (for customer-based rates such as churn this is the customer-month weighted average of the
# monthly rates); means from each month's mean, standard error and n (Σx and Σx² rebuilt
# exactly); totals (money, counts) as the average per month, counts tested as Poisson counts
# over the months; any other computation as the mean of its monthly values, untested.

MAX_WINDOW_MONTHS = 60


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _sum(rows: Sequence[Mapping[str, Any]], key: str) -> float:
    return float(sum(_num(r.get(key)) for r in rows if r.get(key) is not None))


def pool(kpi: "KpiDefinition", rows: Sequence[Mapping[str, Any]], *, months: int = 1) -> dict[str, Any]:
    """One pooled value from rows of ``compute`` (several months, or several groups of one period).

    Pooled rows are covered only when every one of them is: where any row is not tracked, the
    result is ``coverage: "not_tracked"`` (with that row's ``note``) and every number is None,
    since a pool over months the workspace cannot speak about would pass for a whole window.
    ``coverage`` is None when there are no rows.
    """
    untracked = [r for r in rows if r.get("coverage") == NOT_TRACKED]
    out = _pool(kpi, [] if untracked else rows, months=months)
    out["coverage"] = NOT_TRACKED if untracked else (COVERED if rows else None)
    out["note"] = untracked[0].get("note") if untracked else None
    return out


def _pool(kpi: "KpiDefinition", rows: Sequence[Mapping[str, Any]], *, months: int = 1) -> dict[str, Any]:
    """:func:`pool` without the coverage.

    Returns ``value``, ``numerator``, ``denominator``, ``n``, ``promoters``, ``detractors``,
    ``std_error``, ``ci_low``, ``ci_high``, ``test`` (the significance test that applies:
    nps / proportion / mean / rate, or none), ``basis`` (how the rows were pooled, in words) and
    ``per_month`` (True when the value is a total divided by ``months``).
    """
    from ..catalogue.model import RatioCompute, TotalCompute

    kind = kpi.uncertainty_kind
    live = [r for r in rows if r.get("value") is not None and not math.isnan(float(r["value"]))]  # NaN: no value
    out: dict[str, Any] = {"value": None, "numerator": None, "denominator": None, "n": None, "promoters": None,
                           "detractors": None, "std_error": None, "ci_low": None, "ci_high": None,
                           "test": kind, "basis": "pooled", "per_month": False}
    compute = kpi.compute
    if isinstance(compute, TotalCompute) and kind == "none":
        total = _sum(live, "value")
        out.update(numerator=total if live else None, denominator=float(months), per_month=True,
                   basis="total per month", n=int(_sum(live, "n")) if live else None,
                   test="rate" if kpi.unit == "count" else "none")
        if live:
            out["value"] = total / months
            if kpi.unit == "count":
                lo, hi = stats.rate_interval(total, months)
                out.update(ci_low=_clean(float(lo)), ci_high=_clean(float(hi)),
                           std_error=_clean(float(stats.rate_se(total, months))))
        return out
    if not live:
        return out
    n = int(_sum(live, "n"))
    out["n"] = n
    if kind == "nps":
        p, d = _sum(live, "promoters"), _sum(live, "detractors")
        out.update(promoters=p, detractors=d, numerator=p - d, denominator=float(n))
        if n > 0:
            out["value"] = 100.0 * (p - d) / n
            lo, hi = stats.nps_interval(p, d, n)
            out.update(ci_low=_clean(100.0 * float(lo)), ci_high=_clean(100.0 * float(hi)),
                       std_error=_clean(100.0 * float(stats.nps_se(p, d, n))))
        return out
    if kind == "mean":
        ns = np.array([_num(r.get("n")) for r in live])
        means = np.array([_num(r["value"]) for r in live])
        ses = np.nan_to_num(np.array([_num(r.get("std_error")) for r in live]))
        keep = ns > 0
        ns, means, ses = ns[keep], means[keep], ses[keep]
        total_n = float(ns.sum())
        if total_n <= 0:
            return out
        sum_x = float((ns * means).sum())
        sum_sq = float(((ns - 1) * ses * ses * ns + ns * means * means).sum())
        sd = stats.sd_from_sums(sum_x, sum_sq, total_n)
        mean = sum_x / total_n
        lo, hi = stats.t_interval(mean, sd, total_n)
        out.update(value=mean, numerator=_sum(live, "numerator"), denominator=_sum(live, "denominator"),
                   std_error=_clean(float(stats.mean_se(sd, total_n))), ci_low=_clean(float(lo)),
                   ci_high=_clean(float(hi)))
        return out
    scale = compute.scale if isinstance(compute, RatioCompute) else _scale(live)
    if scale is not None and (isinstance(compute, RatioCompute) or kind in ("proportion", "rate")):
        x, m = _sum(live, "numerator"), _sum(live, "denominator")
        out.update(numerator=x, denominator=m)
        if m > 0:
            out["value"] = scale * x / m
            if kind == "proportion":
                lo, hi = stats.wilson_interval(x, m)
                out.update(ci_low=_clean(scale * float(lo)), ci_high=_clean(scale * float(hi)),
                           std_error=_clean(scale * float(stats.proportion_se(x, m))))
            elif kind == "rate":
                lo, hi = stats.rate_interval(x, m)
                out.update(ci_low=_clean(scale * float(lo)), ci_high=_clean(scale * float(hi)),
                           std_error=_clean(scale * float(stats.rate_se(x, m))))
        return out
    # custom computations (growth rates, composite scores): the mean of the values, untested
    out.update(value=float(np.mean([_num(r["value"]) for r in live])), basis="mean of the values", test="none")
    return out


def _scale(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """value = scale × numerator / denominator: the scale of a computation that does not declare it."""
    for r in rows:
        x, m, v = r.get("numerator"), r.get("denominator"), r.get("value")
        if x and m and v is not None:
            ratio = float(v) * float(m) / float(x)
            for known in (100.0, 1.0, 1000.0):
                if abs(ratio - known) <= 1e-6 * known:
                    return known
            return ratio
    return None


def _tests(pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> list[float | None]:
    """Two-sided p-values of a − b for pooled (a, b) pairs, each by its own test."""
    if not pairs:
        return []
    cols = ["value", "numerator", "denominator", "n", "promoters", "detractors", "std_error"]
    cur = pd.DataFrame([{c: _num(a.get(c)) for c in cols} for a, _ in pairs])
    ref = pd.DataFrame([{c: _num(b.get(c)) for c in cols} for _, b in pairs])
    kinds = np.array([a["test"] if a["test"] == b["test"] else "none" for a, b in pairs], dtype=object)
    return [_clean(float(x)) for x in p_values(kinds, cur, ref)]


def month_window(start: str | dt.date | None, end: str | dt.date | None, *, names: tuple[str, str]) -> list[Period]:
    """The whole months a window covers: ``end`` includes the period or day it names (a ``date`` object
    is an exclusive end); a window that starts or ends inside a month is widened to the whole month."""

    if start is None or end is None:
        missing = names[0] if start is None else names[1]
        raise InvalidArgumentError(f"a campaign window needs {missing}",
                                   hint=f"give {names[0]} and {names[1]} (YYYY-MM or YYYY-MM-DD)")
    lo = parse_bound(start, name=names[0], end=False)
    hi = parse_bound(end, name=names[1], end=True)
    assert lo is not None and hi is not None
    if hi <= lo:
        raise InvalidArgumentError(f"{names[1]} {hi} must be after {names[0]} {lo}")
    first = period_of(lo, "month")
    last = period_of(hi - dt.timedelta(days=1), "month")
    months = periods_between(first.start, last.end, "month")
    if len(months) > MAX_WINDOW_MONTHS:
        raise InvalidArgumentError(f"the window {names[0]} {lo} {names[1]} {hi} spans {len(months)} months",
                                   hint=f"give a window of at most {MAX_WINDOW_MONTHS} months")
    return months


def compare_windows(service: "KpiService", kpis: Sequence[str] | str, *, start: str | dt.date | None,
                    end: str | dt.date | None, baseline_start: str | dt.date | None = None,
                    baseline_end: str | dt.date | None = None,
                    filters: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """Each KPI in a campaign window against a baseline window of whole months, with significance.

    The baseline defaults to as many months right before the campaign. Returns ``{"window":
    {start, end, months}, "baseline": {...}, "rows": [{kpi, campaign: POOLED, baseline: POOLED,
    difference, difference_pct, p_value, significant}]}`` (POOLED: see :func:`pool`).
    """
    ids = [kpis] if isinstance(kpis, str) else list(kpis)
    window = month_window(start, end, names=("--from", "--to"))
    if baseline_start is None and baseline_end is None:
        base = [p.shift(-len(window)) for p in window]
    elif baseline_start is None:
        stop = month_window(window[0].start, baseline_end, names=("--from", "--baseline-to"))[-1]
        base = [stop.shift(i - len(window) + 1) for i in range(len(window))]
    else:
        base = month_window(baseline_start, baseline_end if baseline_end is not None else window[0].start,
                            names=("--baseline-from", "--baseline-to"))
    if base[0].start < window[-1].end and window[0].start < base[-1].end:
        raise InvalidArgumentError(f"the baseline {base[0].label}..{base[-1].label} overlaps the campaign window "
                                   f"{window[0].label}..{window[-1].label}",
                                   hint="choose a baseline before (or after) the campaign")
    lo, hi = min(window[0].start, base[0].start), max(window[-1].end, base[-1].end)
    rows = service.values(ids, period="month", start=lo, end=hi, filters=filters)
    inside = {p.label for p in window}
    before = {p.label for p in base}
    pairs = []
    for kpi_id in ids:
        kpi = service.kpi(kpi_id)
        mine = [r for r in rows if r["kpi"] == kpi_id]
        pairs.append((pool(kpi, [r for r in mine if r["period"] in inside], months=len(window)),
                      pool(kpi, [r for r in mine if r["period"] in before], months=len(base))))
    out_rows = []
    for kpi_id, (a, b), p in zip(ids, pairs, _tests(pairs)):
        p = None if _untracked(a, b) else p
        diff = None if a["value"] is None or b["value"] is None else a["value"] - b["value"]
        pct = None if diff is None or not b["value"] else 100.0 * diff / abs(b["value"])
        out_rows.append({"kpi": kpi_id, "campaign": a, "baseline": b, "difference": diff, "difference_pct": pct,
                         "p_value": p, "significant": None if p is None else bool(p < stats.ALPHA)})

    def describe(months: list[Period]) -> dict[str, Any]:
        return {"start": months[0].start.isoformat(), "end": months[-1].end.isoformat(),
                "months": [m.label for m in months]}

    return {"window": describe(window), "baseline": describe(base), "rows": out_rows}


def compare_to_rest(service: "KpiService", kpis: Sequence[str] | str, *, by: str, period: str | None = None,
                    start: str | dt.date | None = None, end: str | dt.date | None = None,
                    filters: Mapping[str, str | None] | None = None) -> list[dict[str, Any]]:
    """Each group of ``by`` against all other customers, per KPI, with a significance test.

    Over one ``period`` (YYYY-MM, YYYY-Qn, YYYY), or the whole months of [``start``, ``end``)
    pooled (see :func:`pool`). One row per KPI × group: ``group``, ``value``, ``n``,
    ``small_sample`` (n < 30), ``rest_value``, ``rest_n``, ``difference`` (group − rest),
    ``p_value``, ``significant`` and ``better`` (direction-aware). KPIs without a test (money,
    custom computations) are left out.
    """
    from ..engine.uncertainty import SMALL_SAMPLE

    ids = [k for k in ([kpis] if isinstance(kpis, str) else list(kpis)) if service.kpi(k).uncertainty_kind != "none"]
    if not ids:
        return []
    if period is not None:
        current = parse_period_label(period)
        grain, lo, hi, labels = current.grain, current.start, current.end, {current.label}
        label = current.label
    else:
        months = month_window(start, end, names=("--from", "--to"))
        grain, lo, hi, labels = "month", months[0].start, months[-1].end, {m.label for m in months}
        label = f"{months[0].label}..{months[-1].label}"
    rows = [r for r in service.values(ids, period=grain, by=[by], start=lo, end=hi, filters=filters)
            if r["period"] in labels]
    pairs, meta = [], []
    for kpi_id in ids:
        kpi = service.kpi(kpi_id)
        mine = [r for r in rows if r["kpi"] == kpi_id]
        groups = sorted({r.get(by) for r in mine}, key=lambda g: (g is None, str(g)))
        for group in groups:
            own = [r for r in mine if r.get(by) == group]
            a = pool(kpi, own)
            if a["value"] is None:
                continue
            pairs.append((a, pool(kpi, [r for r in mine if r.get(by) != group])))
            meta.append((kpi, group))
    out = []
    for (kpi, group), (a, b), p in zip(meta, pairs, _tests(pairs)):
        p = None if _untracked(a, b) else p
        diff = None if a["value"] is None or b["value"] is None else a["value"] - b["value"]
        better = None if diff is None or diff == 0 else (diff > 0) == kpi.higher_is_better
        out.append({"kpi": kpi.id, "period": label, "by": by, "group": group, "value": a["value"], "n": a["n"],
                    "small_sample": a["n"] is not None and a["n"] < SMALL_SAMPLE, "rest_value": b["value"],
                    "rest_n": b["n"], "difference": diff, "p_value": p,
                    "significant": None if p is None else bool(p < stats.ALPHA), "better": better,
                    "coverage": NOT_TRACKED if _untracked(a, b) else COVERED, "note": a["note"] or b["note"]})
    return out
