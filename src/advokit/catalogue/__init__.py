"""The KPI catalogue: every KPI declared once, with its knowledge and computation.

Owns the YAML definitions under ``kpis/`` (the twelve attributes, formula,
bands, benchmarks, and the measures the engine compiles), their strict loader,
the event types of the data contract, and search over the catalogue. May
import: ``errors`` only. Docs, ``--help``, the API schema and the dashboard read
KPI knowledge from here and nowhere else.
"""

from __future__ import annotations

import difflib
import re
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


_NOT_ID = re.compile(r"[^a-z0-9]+")
#: How many "did you mean" suggestions an unknown id gets, and how close they must be (difflib ratio).
SUGGESTIONS = 3
CUTOFF = 0.6


def as_id(text: str) -> str:
    """A name or alias in id form: ``"Referral Program Participation Rate"`` → ``referral_program_participation_rate``."""
    return _NOT_ID.sub("_", text.strip().lower()).strip("_")


class Catalogue:
    """An ordered, immutable set of KPI definitions.

    A KPI is found by its id or by an alias of its definition in id form (``aliases: [referral
    participation]`` → ``referral_participation``), letter case aside. Anything else is an
    :class:`UnknownKpiError` suggesting the closest ids, matched against the ids, the aliases and the
    display names in id form (``referral_program_participation_rate``, from "Referral Program
    Participation Rate", suggests ``referral_participation_rate``: a name is not an id, so it is not
    taken silently).
    """

    def __init__(self, kpis: list[KpiDefinition]) -> None:
        self._kpis = {k.id: k for k in sorted(kpis, key=lambda k: (not k.core, k.id))}
        self._aliases: dict[str, str] = {}  # accepted in place of the id
        self._names: dict[str, str] = {}  # the display names in id form: suggested, not accepted
        for k in self._kpis.values():
            for alias in k.aliases:
                key = as_id(alias)
                if key and key not in self._kpis:
                    self._aliases.setdefault(key, k.id)  # the first KPI to claim an alias keeps it
            self._names.setdefault(as_id(k.name), k.id)

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
        """The KPI of an id, an alias or a display name in id form (else :class:`UnknownKpiError`)."""
        found = self._kpis.get(kpi_id)
        if found is not None:
            return found
        key = as_id(kpi_id) if isinstance(kpi_id, str) else ""
        canonical = key if key in self._kpis else self._aliases.get(key)
        if canonical is not None:
            return self._kpis[canonical]
        raise self.unknown(kpi_id)

    def resolve(self, kpi_id: str) -> str:
        """The canonical id of an id, alias or display name (else :class:`UnknownKpiError`)."""
        return self.get(kpi_id).id

    def suggest(self, text: str, *, limit: int = SUGGESTIONS) -> list[str]:
        """The ids closest to ``text``: matched against every id, alias and name in id form (difflib)."""
        if not isinstance(text, str):
            return []
        key = as_id(text)
        names = {**self._names, **self._aliases, **{i: i for i in self._kpis}}
        out: list[str] = [names[key]] if key in names else []
        for match in difflib.get_close_matches(key, list(names), n=limit * 4, cutoff=CUTOFF):
            if names[match] not in out:
                out.append(names[match])
        return out[:limit]

    def unknown(self, kpi_id: object) -> UnknownKpiError:
        """The error for an id that names no KPI: "did you mean" the closest ids and names."""
        close = self.suggest(kpi_id) if isinstance(kpi_id, str) else []
        if close:
            hint = "did you mean " + " or ".join(f"{i} ({self._kpis[i].name})" for i in close) + "?"
            hint += " (`advokit kpi list` lists every KPI)"
        else:
            hint = "valid KPI ids: " + ", ".join(self.ids)
        return UnknownKpiError(f"unknown KPI {kpi_id!r}", hint=hint, details={"suggestions": close} if close else None)

    def search(self, text: str, *, limit: int | None = None) -> list[tuple[KpiDefinition, float]]:
        return _search(list(self), text, limit=limit)

    def headline_ids(self, limit: int = 8) -> list[str]:
        """The default headline KPIs of a report, at most ``limit``.

        The KPIs declaring a ``headline`` rank, by rank (then id). When fewer than three declare one, those
        are followed by the core KPIs, round-robin over the focus areas (``FOCUS_AREAS`` order: each area's
        first core KPI not yet taken, then each area's second, ...), then by any other KPIs in catalogue order.
        """
        if limit < 1:
            return []
        ranked = sorted((k for k in self if k.headline is not None), key=lambda k: (k.headline or 0, k.id))
        out = [k.id for k in ranked[:limit]]
        if len(ranked) >= 3:
            return out
        queues = [[k.id for k in kpis if k.core] for kpis in self.by_focus_area().values()]
        while any(queues) and len(out) < limit:
            for queue in queues:
                while queue and queue[0] in out:
                    queue.pop(0)
                if queue and len(out) < limit:
                    out.append(queue.pop(0))
        for kpi_id in self.ids:
            if len(out) >= limit:
                break
            if kpi_id not in out:
                out.append(kpi_id)
        return out

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
