"""Which preset a file's header matches: with no ``--preset`` a file that is an export says so."""

from __future__ import annotations

from dataclasses import dataclass

from .spec import MappingSpec
from .table import fold

#: the share of a preset's identifying columns a header must have to match it
THRESHOLD = 0.75


@dataclass(frozen=True)
class Match:
    preset: str
    imports: str
    score: float
    found: tuple[str, ...]
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"preset": self.preset, "imports": self.imports, "score": round(self.score, 3),
                "found": list(self.found), "missing": list(self.missing)}


def _has(columns: set[str], item: str) -> str | None:
    """``item`` names a column or alternatives ``a|b``: the one the header has."""
    for alt in item.split("|"):
        if fold(alt) in columns:
            return alt
    return None


def matches(columns: list[str], presets: list[MappingSpec]) -> list[Match]:
    """The presets the header matches, best first (ties: more identifying columns found)."""
    have = {fold(c) for c in columns}
    out = []
    for spec in presets:
        if not spec.detect:
            continue
        found = [hit for item in spec.detect if (hit := _has(have, item)) is not None]
        missing = [item for item in spec.detect if _has(have, item) is None]
        score = len(found) / len(spec.detect)
        if score >= THRESHOLD and len(found) >= min(2, len(spec.detect)):
            out.append(Match(spec.name, spec.imports, score, tuple(found), tuple(missing)))
    out.sort(key=lambda m: (-m.score, -len(m.found)))
    return out
