"""Trend analysis of KPI rows: change, year-over-year, significance, rolling mean, band, target, status.

``analyze`` computes the requested periods *and* the history they need (the
previous period, the same period a year before, the rolling window) in one
engine call, so the first requested period still gets its comparisons; only
the requested periods are returned, each computed over its whole span.

Significance of a change compares the two periods as independent samples
(see :mod:`advokit.stats.formulas`); repeated answers of the same customers
in both periods make this slightly conservative or liberal, which is the
usual practice for KPI reporting and is documented here rather than hidden.

Overall status (direction-aware):

0. a value the workspace does not track (``coverage: "not_tracked"``) → ``not_tracked``: no band, target
   verdict, change, test or rolling mean (a change needs two covered periods: the value of a
   not-tracked period is null, so a change across it is null too);
1. no value → ``unknown``;
2. a target applies → ``good`` when met; when missed, ``watch`` if the
   target lies inside the 95 % interval or within 10 % of the target,
   else ``poor``;
3. otherwise a band → excellent/good → ``good``, fair → ``watch``, poor → ``poor``;
4. otherwise ``unknown``;
5. a ``good`` (or ``unknown``) value that changed significantly for the worse
   against the previous period becomes ``watch``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..catalogue.model import KpiDefinition
from ..coverage import NOT_TRACKED
from ..engine.periods import Period, parse_period_label
from ..errors import InvalidArgumentError
from ..stats import formulas as stats
from .targets import Target, applicable, list_targets
from .targets import status as target_status

if TYPE_CHECKING:
    from ..engine.service import KpiService

PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
MONTHS = {"month": 1, "quarter": 3, "year": 12}
DEFAULT_ROLLING = 3
#: A missed target within this share of the target is "watch", not "poor".
WATCH_TOLERANCE = 0.10
_NULL = "\x00null"  # stands for an empty attribute while joining
_INTS = ("n", "promoters", "passives", "detractors")
_STATS = ["value", "numerator", "denominator", "n", "promoters", "detractors", "std_error"]


def _f(frame: pd.DataFrame, column: str) -> npt.NDArray[np.float64]:
    return np.asarray(pd.to_numeric(frame[column], errors="coerce"), dtype=np.float64)


def p_values(kinds: npt.NDArray[Any], cur: pd.DataFrame, ref: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Two-sided p-values of cur − ref, row by row, by each row's uncertainty kind (vectorised)."""
    c = {k: _f(cur, k) for k in _STATS}
    r = {k: _f(ref, k) for k in _STATS}
    tests: dict[str, Callable[[], npt.NDArray[np.float64]]] = {
        "nps": lambda: stats.nps_difference_test(c["promoters"], c["detractors"], c["n"],
                                                 r["promoters"], r["detractors"], r["n"]),
        "proportion": lambda: stats.two_proportion_test(c["numerator"], c["denominator"],
                                                        r["numerator"], r["denominator"]),
        "mean": lambda: stats.welch_test(c["value"], c["std_error"], c["n"], r["value"], r["std_error"], r["n"]),
        "rate": lambda: stats.rate_difference_test(c["numerator"], c["denominator"],
                                                   r["numerator"], r["denominator"]),
    }
    out = np.full(len(cur), np.nan)
    for kind, test in tests.items():
        mask = kinds == kind
        if mask.any():
            out = np.where(mask, test(), out)
    missing = np.isnan(c["value"]) | np.isnan(r["value"])
    return np.where(missing, np.nan, out)


def _period_index(starts: pd.Series, grain: str) -> npt.NDArray[np.int64]:
    ts = pd.to_datetime(starts)
    months = ts.dt.year.to_numpy() * 12 + ts.dt.month.to_numpy() - 1
    return np.asarray(months // MONTHS[grain], dtype=np.int64)


def _clean(value: Any) -> Any:
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if value is pd.NaT:
        return None
    return value


def overall_status(kpi: KpiDefinition, row: Mapping[str, Any]) -> str:
    """good / watch / poor / unknown for one analysed row (rules in the module docstring)."""
    if row.get("coverage") == NOT_TRACKED:
        return NOT_TRACKED
    value = row.get("value")
    if value is None:
        return "unknown"
    result = "unknown"
    target, band = row.get("target"), row.get("band")
    if target is not None:
        goal = target["value"]
        if target["status"] == "met":
            result = "good"
        else:
            lo, hi = row.get("ci_low"), row.get("ci_high")
            inside = lo is not None and hi is not None and lo <= goal <= hi
            close = goal != 0 and abs(value - goal) <= WATCH_TOLERANCE * abs(goal)
            result = "watch" if inside or close else "poor"
    elif band is not None:
        result = {"excellent": "good", "good": "good", "fair": "watch", "poor": "poor"}[band["rating"]]
    change = row.get("change")
    if result in ("good", "unknown") and row.get("change_significant") and change is not None:
        worse = change < 0 if kpi.higher_is_better else change > 0
        if worse:
            result = "watch"
    return result


def history_start(first: Period, rolling: int = DEFAULT_ROLLING) -> dt.date:
    """The first day of the history :func:`analyze` reads for periods from ``first`` on (a year back, or the window)."""
    return first.shift(-max(PERIODS_PER_YEAR[first.grain], rolling - 1)).start


def analyze(service: "KpiService", kpis: Sequence[str] | str, *, period: str = "month", by: Sequence[str] | str = (),
            start: str | dt.date | None = None, end: str | dt.date | None = None,
            filters: Mapping[str, str | None] | None = None, rolling: int | None = None) -> list[dict[str, Any]]:
    """KPI rows of :meth:`Workspace.compute` enriched with trend, significance, band, target and status.

    Extra keys per row: ``previous_period``, ``previous``, ``change``, ``change_pct`` (percent of
    the previous value), ``change_p_value``, ``change_significant`` (None when untestable),
    ``year_ago_period``, ``year_ago``, ``yoy_change``, ``yoy_change_pct``, ``yoy_p_value``,
    ``yoy_significant``, ``rolling_mean`` (mean of the non-empty values of the last ``rolling``
    periods, this one included), ``rolling_periods``, ``uncertainty``, ``band`` ({label, rating} or
    None), ``target`` ({id, value, status, dimension, dimension_value} or None) and ``status``.
    """
    kpi_ids = [kpis] if isinstance(kpis, str) else list(kpis)
    dims = [by] if isinstance(by, str) else list(by)
    window = DEFAULT_ROLLING if rolling is None else rolling
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise InvalidArgumentError(f"invalid rolling window {rolling!r}", hint="give a whole number of periods ≥ 1")
    req = service.request(kpi_ids, period=period, by=dims, start=start, end=end, filters=filters)
    engine = service.engine()
    definitions = {k.id: k for k in engine.check(req)}
    periods = engine.periods(req)
    if not periods:
        return []
    grain = req.grain
    # The history comes from Workspace.values (exactly compute().to_dicts(), served from the KPI cache),
    # so a dashboard or an API client asking the same periods again does not recompute them.
    history = service.values(kpi_ids, period=grain, by=dims, start=history_start(periods[0], window),
                        end=periods[-1].end, filters=filters)
    if not history:
        return []
    frame = pd.DataFrame.from_records(history)
    for column in (*_STATS, "ci_low", "ci_high", "margin_of_error", "passives"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    keys = ["kpi", *dims]
    for d in dims:
        frame[d] = frame[d].astype(object).where(frame[d].notna(), _NULL)
    frame["_idx"] = _period_index(frame["period_start"], grain)
    frame = frame.sort_values([*keys, "_idx"], kind="stable").reset_index(drop=True)

    base = frame[[*keys, "_idx", *[c for c in _STATS if c in frame.columns]]]
    kinds = frame["kpi"].map({k: d.uncertainty_kind for k, d in definitions.items()}).to_numpy()
    value = _f(frame, "value")
    out = frame.copy()
    out["uncertainty"] = kinds
    # (output name of the reference value, prefix of its change columns, how many periods back)
    for ref_name, prefix, lag in (("previous", "change", 1), ("year_ago", "yoy_change", PERIODS_PER_YEAR[grain])):
        ref = frame[[*keys, "_idx"]].merge(base.assign(_idx=base["_idx"] + lag), how="left", on=[*keys, "_idx"])
        ref_value = _f(ref, "value")
        change = value - ref_value
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = np.where(ref_value != 0, 100.0 * change / np.abs(ref_value), np.nan)
        p = p_values(kinds, frame, ref)
        sig = "change" if prefix == "change" else "yoy"
        out[ref_name] = ref_value
        out[prefix] = change
        out[prefix + "_pct"] = pct
        out[sig + "_p_value"] = p
        out[sig + "_significant"] = [None if math.isnan(x) else bool(x < stats.ALPHA) for x in p]
    out["rolling_mean"] = out.groupby(keys, sort=False)["value"].transform(
        lambda s: s.rolling(window, min_periods=1).mean())
    out["rolling_periods"] = window
    first = _period_index(pd.Series([periods[0].start]), grain)[0]
    out = out[out["_idx"] >= first]

    targets = list_targets(service, kpi_ids)
    labels = {p.label: p for p in periods}
    rows: list[dict[str, Any]] = []
    for record in out.drop(columns=["_idx"]).to_dict("records"):
        row = {k: _clean(v) for k, v in record.items()}
        for d in dims:
            if row[d] == _NULL:
                row[d] = None
        if isinstance(row.get("period_start"), dt.date):
            row["period_start"] = row["period_start"].isoformat()
        for key in _INTS:
            if row.get(key) is not None:
                row[key] = int(row[key])
        p_obj = labels.get(row["period"]) or parse_period_label(row["period"])
        row["previous_period"] = p_obj.shift(-1).label
        row["year_ago_period"] = p_obj.shift(-PERIODS_PER_YEAR[grain]).label
        _decorate(row, definitions[row["kpi"]], p_obj, targets, {**dict(filters or {}), **{d: row[d] for d in dims}})
        rows.append(row)
    order = {k: i for i, k in enumerate(dict.fromkeys(kpi_ids))}
    rows.sort(key=lambda r: order[r["kpi"]])  # stable: periods and groups keep their order
    return rows


#: What a not-tracked value does not get: no change, no test, no rolling mean (nothing is judged on it).
UNJUDGED = ("previous", "change", "change_pct", "change_p_value", "change_significant", "year_ago", "yoy_change",
            "yoy_change_pct", "yoy_p_value", "yoy_significant", "rolling_mean")


def _decorate(row: dict[str, Any], kpi: KpiDefinition, period: Period, targets: Sequence[Target],
              group: Mapping[str, str | None]) -> None:
    row.setdefault("coverage", None)
    row.setdefault("note", None)
    untracked = row["coverage"] == NOT_TRACKED
    if untracked:
        for key in UNJUDGED:
            row[key] = None
    band = kpi.band_for(row.get("value"))
    row["band"] = {"label": band.label, "rating": band.rating} if band else None
    target = applicable([t for t in targets if t.kpi == kpi.id], period, group)
    row["target"] = None if target is None else {
        "id": target.target_id, "value": target.value,
        "status": None if untracked else target_status(kpi, row.get("value"), target.value),
        "dimension": target.dimension, "dimension_value": target.dimension_value}
    row["status"] = overall_status(kpi, row)
