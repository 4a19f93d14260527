"""The scorecard: every KPI of one period, grouped by the five focus areas of seed 003.

Shape (the dashboard and the reports code against it)::

    {"period", "grain", "period_start", "period_end", "previous_period", "year_ago_period", "by", "filters",
     "focus_areas": [{"id", "name", "kpis": [ENTRY, ...]}, ...]}

    ENTRY = {"kpi", "name", "unit", "direction", "uncertainty", "value", "n", "numerator", "denominator",
             "ci_low", "ci_high", "std_error", "small_sample", "previous", "change", "change_pct",
             "change_significant", "change_p_value", "year_ago", "yoy_change", "yoy_change_pct",
             "yoy_significant", "yoy_p_value", "rolling_mean", "band": {"label", "rating"} | None,
             "target": {"value", "status": "met" | "missed" | None, ...} | None,
             "status": "good" | "watch" | "poor" | "unknown" | "not_tracked", "benchmarks": [...],
             "coverage": "covered" | "not_tracked" | None, "note": str | None,
             "groups": [ENTRY-like with "group": value, no "benchmarks"/"groups"]  # only with ``by``}

A KPI in several focus areas appears in each of them with the same entry. ``not_tracked`` lists, once
each, the KPIs the workspace cannot speak about in the period (``coverage: "not_tracked"``): they carry
no band, status, change or target verdict, and each names the data that would light it up::

    "not_tracked": [{"kpi", "name", "note", "inputs": [{"input", "label", "supply"}, ...]}, ...]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..catalogue.model import FOCUS_AREAS, KpiDefinition
from ..coverage import NOT_TRACKED, inputs_of, supply_hint
from ..engine.periods import parse_period_label
from .trend import PERIODS_PER_YEAR, analyze

if TYPE_CHECKING:
    from ..engine.service import KpiService

ENTRY_KEYS = ("value", "n", "coverage", "note", "numerator", "denominator", "ci_low", "ci_high", "std_error", "small_sample",
              "previous", "change", "change_pct", "change_significant", "change_p_value", "year_ago",
              "yoy_change", "yoy_change_pct", "yoy_significant", "yoy_p_value", "rolling_mean", "band",
              "target", "status")


def _entry(kpi: KpiDefinition, row: Mapping[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    entry: dict[str, Any] = {"kpi": kpi.id, "name": kpi.name, "unit": kpi.unit, "direction": kpi.direction,
                             "uncertainty": kpi.uncertainty_kind}
    for key in ENTRY_KEYS:
        entry[key] = row.get(key)
    if entry["status"] is None:
        entry["status"] = "unknown"
    return entry


def scorecard(service: "KpiService", period: str, *, by: str | None = None,
              filters: Mapping[str, str | None] | None = None, rolling: int | None = None) -> dict[str, Any]:
    """Every KPI of the catalogue for one period (YYYY-MM, YYYY-Qn or YYYY), by focus area."""
    current = parse_period_label(period)
    ids = service.catalogue.ids
    common = dict(period=current.grain, start=current.start, end=current.end, filters=filters, rolling=rolling)
    totals: dict[str, dict[str, Any]] = {}
    if ids:  # an empty catalogue gives an empty scorecard, not an error
        totals = {r["kpi"]: r for r in analyze(service, ids, **common)  # type: ignore[arg-type]
                  if r["period"] == current.label}
    groups: dict[str, list[dict[str, Any]]] = {}
    if by and ids:
        for r in analyze(service, ids, by=[by], **common):  # type: ignore[arg-type]
            if r["period"] == current.label:
                groups.setdefault(r["kpi"], []).append(r)
    entries: dict[str, dict[str, Any]] = {}
    for kpi in service.catalogue:
        entry = _entry(kpi, totals.get(kpi.id))
        entry["benchmarks"] = [b.model_dump(mode="json") for b in kpi.benchmarks]
        if by:
            entry["groups"] = [{"group": r.get(by), **_entry(kpi, r)} for r in groups.get(kpi.id, [])]
        entries[kpi.id] = entry
    by_area = service.catalogue.by_focus_area()
    missing = [{"kpi": kpi.id, "name": kpi.name, "note": entries[kpi.id]["note"],
                "inputs": [{"input": i.name, "label": i.label, "supply": supply_hint(i)} for i in inputs_of(kpi)]}
               for kpi in service.catalogue if entries[kpi.id]["coverage"] == NOT_TRACKED]
    return {
        "period": current.label, "grain": current.grain, "period_start": current.start.isoformat(),
        "period_end": current.end.isoformat(), "previous_period": current.shift(-1).label,
        "year_ago_period": current.shift(-PERIODS_PER_YEAR[current.grain]).label, "by": by,
        "filters": dict(filters or {}),
        "focus_areas": [{"id": fid, "name": name, "kpis": [dict(entries[k.id]) for k in by_area.get(fid, [])]}
                        for fid, name in FOCUS_AREAS.items()],
        "not_tracked": missing,
    }
