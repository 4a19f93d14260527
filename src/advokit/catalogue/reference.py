"""The KPI reference (docs/kpi-reference.md), generated from the catalogue."""

from __future__ import annotations

from collections.abc import Iterable

from .inputs import input_names
from .model import ATTRIBUTE_KEYS, FOCUS_AREAS, FUNNEL_STAGES, KpiDefinition

_TITLES = {key: key.replace("_", " ").capitalize() for key in ATTRIBUTE_KEYS}
_TITLES["visualization_suggestions"] = "Visualisation suggestions"


def _bound(lo: float | None, hi: float | None) -> str:
    if lo is None and hi is None:
        return "any value"
    if lo is None:
        return f"below {hi:g}"
    if hi is None:
        return f"{lo:g} and above"
    return f"{lo:g} to below {hi:g}"


def render_kpi(kpi: KpiDefinition) -> str:
    lines = [f"## {kpi.name} (`{kpi.id}`)", ""]
    lines.append(f"*Unit:* {kpi.unit} · *Direction:* {kpi.direction.replace('_', ' ')} · "
                 f"*Focus areas:* {', '.join(FOCUS_AREAS[f] for f in kpi.focus_areas)} · "
                 f"*Funnel stage:* {FUNNEL_STAGES[kpi.funnel_stage]}" + (" · **core KPI**" if kpi.core else ""))
    if kpi.aliases:
        lines.append(f"*Also called:* {', '.join(kpi.aliases)}")
    back = f" (and the {kpi.coverage_lookback_months} months before the period)" if kpi.coverage_lookback_months else ""
    lines.append(f"*Needs (coverage):* {', '.join(f'`{n}`' for n in input_names(kpi))}{back}")
    lines.append("")
    for key in ATTRIBUTE_KEYS:
        value = getattr(kpi.attributes, key)
        lines.append(f"**{_TITLES[key]}.**" + ("" if isinstance(value, list) else f" {value}"))
        if isinstance(value, list):
            lines.append("")
            lines.extend(f"- {item}" for item in value)
        lines.append("")
    if kpi.bands:
        lines += ["| band | range | rating | note |", "|---|---|---|---|"]
        lines += [f"| {b.label} | {_bound(b.min, b.max)} | {b.rating} | {b.note or ''} |" for b in kpi.bands]
        lines.append("")
    if kpi.benchmarks:
        lines += ["| benchmark | industry | source | note |", "|---|---|---|---|"]
        lines += [f"| {b.value:g} | {b.industry or 'all'} | {b.source} | {b.note or ''} |" for b in kpi.benchmarks]
        lines.append("")
    return "\n".join(lines)


def render_reference(kpis: Iterable[KpiDefinition]) -> str:
    kpis = list(kpis)
    out = ["# KPI reference", "",
           "Generated from `src/advokit/catalogue/kpis/*.yaml` by `advokit kpi reference`; do not edit by hand.", ""]
    for area, name in FOCUS_AREAS.items():
        members = [k for k in kpis if area in k.focus_areas]
        out.append(f"- **{name}**: " + ", ".join(f"[{k.name}](#{_anchor(k)})" for k in members))
    out.append("")
    out.extend(render_kpi(k) for k in kpis)
    return "\n".join(out).rstrip() + "\n"


def _anchor(kpi: KpiDefinition) -> str:
    text = f"{kpi.name} ({kpi.id})".lower()
    return "".join(c for c in text.replace(" ", "-") if c.isalnum() or c in "-_")
