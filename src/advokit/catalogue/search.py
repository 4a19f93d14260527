"""Ranked full-text search over the catalogue's knowledge."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from .model import FOCUS_AREAS, FUNNEL_STAGES, KpiDefinition

_TOKEN = re.compile(r"[a-z0-9]+")
# Where a word is found says how much it counts.
_WEIGHTS = {"id": 8.0, "name": 10.0, "aliases": 6.0, "focus": 3.0, "definition": 2.0,
            "formula": 1.5, "other": 0.5}


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("_", " "))


def _flatten(value: object) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _fields(kpi: KpiDefinition) -> dict[str, list[str]]:
    attrs = kpi.attributes
    other = " ".join(_flatten(getattr(attrs, k)) for k in type(attrs).model_fields
                     if k not in ("definition", "standard_formula"))
    other += " " + " ".join(b.label + " " + (b.note or "") for b in kpi.bands)
    other += " " + " ".join(f"{b.industry or ''} {b.source} {b.note or ''}" for b in kpi.benchmarks)
    return {
        "id": _tokens(kpi.id),
        "name": _tokens(kpi.name),
        "aliases": _tokens(" ".join(kpi.aliases)),
        "focus": _tokens(" ".join(FOCUS_AREAS[f] for f in kpi.focus_areas) + " " + FUNNEL_STAGES[kpi.funnel_stage]),
        "definition": _tokens(attrs.definition),
        "formula": _tokens(attrs.standard_formula),
        "other": _tokens(other),
    }


def _matches(term: str, words: list[str]) -> float:
    exact = sum(1 for w in words if w == term)
    prefix = sum(1 for w in words if w != term and (w.startswith(term) or term.startswith(w) and len(w) >= 4))
    return exact + 0.6 * prefix


def search(kpis: Sequence[KpiDefinition], text: str, *, limit: int | None = None) -> list[tuple[KpiDefinition, float]]:
    """KPIs matching ``text``, best first, with their scores (0 matches are left out)."""
    terms = _tokens(text)
    if not terms:
        return []
    phrase = " ".join(terms)
    scored: list[tuple[KpiDefinition, float]] = []
    for kpi in kpis:
        fields = _fields(kpi)
        score = 0.0
        for term in terms:
            for field, words in fields.items():
                hits = _matches(term, words)
                if hits:
                    # diminishing returns for repeated words; short fields weigh more
                    score += _WEIGHTS[field] * (1 + math.log(hits)) / (1 + math.log(1 + len(words) / 12))
        if len(terms) > 1 and phrase in " ".join(fields["name"] + fields["aliases"]):
            score *= 2
        if score > 0:
            scored.append((kpi, round(score, 4)))
    scored.sort(key=lambda pair: (-pair[1], pair[0].id))
    return scored[:limit] if limit else scored
