"""The KPI catalogue: every KPI declared once, with its knowledge and computation.

Owns the YAML definitions under ``kpis/`` (the twelve attributes, formula,
bands, benchmarks, and the measures the engine compiles), their strict loader,
the event types of the data contract, and search over the catalogue. May
import: ``errors`` only. Docs, ``--help``, the API schema and the dashboard read
KPI knowledge from here and nowhere else.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..errors import UnknownKpiError
from .loader import KPI_DIR, load_definitions
from .model import (
    ADVOCACY_ACTION_TYPES,
    ATTRIBUTE_KEYS,
    EVENT_TYPES,
    FOCUS_AREAS,
    FUNNEL_STAGES,
    SURVEY_TYPES,
    KpiDefinition,
)
from .search import search as _search

__all__ = ["ADVOCACY_ACTION_TYPES", "ATTRIBUTE_KEYS", "Catalogue", "EVENT_TYPES", "FOCUS_AREAS",
           "FUNNEL_STAGES", "KpiDefinition", "SURVEY_TYPES", "load_catalogue"]


class Catalogue:
    """An ordered, immutable set of KPI definitions."""

    def __init__(self, kpis: list[KpiDefinition]) -> None:
        self._kpis = {k.id: k for k in sorted(kpis, key=lambda k: (not k.core, k.id))}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._kpis.values())

    def __len__(self) -> int:
        return len(self._kpis)

    def __contains__(self, kpi_id: object) -> bool:
        return kpi_id in self._kpis

    @property
    def ids(self) -> list[str]:
        return list(self._kpis)

    def get(self, kpi_id: str) -> KpiDefinition:
        try:
            return self._kpis[kpi_id]
        except KeyError:
            raise UnknownKpiError(
                f"unknown KPI {kpi_id!r}",
                hint="valid KPI ids: " + ", ".join(self.ids)) from None

    def search(self, text: str, *, limit: int | None = None) -> list[tuple[KpiDefinition, float]]:
        return _search(list(self), text, limit=limit)

    def by_focus_area(self) -> dict[str, list[KpiDefinition]]:
        out: dict[str, list[KpiDefinition]] = {f: [] for f in FOCUS_AREAS}
        for kpi in self:
            for f in kpi.focus_areas:
                out[f].append(kpi)
        return out


@cache
def load_catalogue(directory: Path = KPI_DIR) -> Catalogue:
    """The catalogue shipped with advokit (loaded once per process)."""
    return Catalogue(load_definitions(directory))
