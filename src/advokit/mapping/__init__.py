"""Bringing in the exports of other tools: presets, mapping files, snapshots, webhook payloads.

A mapping file (:mod:`.spec`; the presets in ``presets/`` are mapping files)
says how an export's columns become canonical customers or events. The
export is read as its tool wrote it (:mod:`.table`: header rows, BOM,
separators, Excel), the mapping is resolved against its header once
(:mod:`.plan`), each row is converted (:mod:`.convert`, :mod:`.apply`) and
the canonical records go through the one importer of ``advokit.ingest``.
:class:`MappingService` is the service the workspace hands out as ``ws.mapping``.
May import: ``ingest``, ``store``, ``errors``.
"""

from .presets import NAMES as PRESET_NAMES
from .service import MappingService, parse_as_of, parse_sets
from .spec import MappingError, MappingSpec, load_mapping

__all__ = ["PRESET_NAMES", "MappingError", "MappingService", "MappingSpec", "load_mapping", "parse_as_of", "parse_sets"]
