"""The shipped presets: mapping files for the exports of the tools users already have."""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from .spec import MappingError, MappingSpec, parse_mapping

#: the pinned preset names, in the order `advokit import presets` lists them
NAMES = ("qualtrics", "surveymonkey", "typeform", "delighted", "trustpilot", "g2", "hubspot-contacts",
         "hubspot-companies", "salesforce-accounts", "salesforce-opportunities")


def preset_text(name: str) -> str:
    """The YAML of a preset, as shipped (a user may copy it and adapt it)."""
    if name not in NAMES:
        raise _unknown(name)
    return (resources.files(__package__) / "presets" / f"{name}.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def load_preset(name: str) -> MappingSpec:
    return parse_mapping(yaml.safe_load(preset_text(name)), f"preset {name}")


def all_presets() -> list[MappingSpec]:
    return [load_preset(n) for n in NAMES]


def describe() -> list[dict[str, Any]]:
    """Every preset with what it imports, the columns it reads and the question words it looks for."""
    return [{"name": p.name, "title": p.title, "imports": p.imports, "confirmed": p.confirmed,
             "columns": p.columns_read(), "questions": {k: list(v) for k, v in p.questions().items()},
             "records": [r.name for r in p.records], "detect": list(p.detect), "notes": p.notes}
            for p in all_presets()]


def _unknown(name: str) -> MappingError:
    near = difflib.get_close_matches(name, NAMES, n=1)
    return MappingError(f"unknown preset {name!r}" + (f"; did you mean {near[0]!r}?" if near else ""),
                        hint="the presets: " + ", ".join(NAMES) + " (`advokit import presets` lists them)")
