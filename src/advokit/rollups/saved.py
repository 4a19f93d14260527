"""Rollups kept in the workspace file, so a new process answers from them at once.

The rollups (:mod:`advokit.rollups.parts`) are saved as plain tables
``rollup_<grain>_<family>_<cells|total>`` with a ``derived:rollups`` marker in
``meta`` that names the catalogue and dimensions they were computed with. The
first write of data after saving deletes the marker in the same transaction
(``Database.transaction``), so stale rollups are never loaded: a workspace
changed by an import, an erasure or the API is rolled up again (the server does
it in the background; until then KPIs are computed from the events).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from .._version import __version__
from ..catalogue import Catalogue
from ..store.database import DERIVED_TABLE_PREFIX, Database
from .parts import FAMILIES, Part, Rollups

log = logging.getLogger(__name__)
MARKER = "rollups"
FORMAT = 1
_GRAINS = ("month", "quarter", "year")


def fingerprint(catalogue: Catalogue) -> str:
    """What the rollups' columns depend on: the KPIs' computations and this advokit's version."""
    payload = json.dumps({"version": __version__, "format": FORMAT,
                          "kpis": {k.id: k.compute.model_dump(mode="json") for k in catalogue}},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _table(grain: str, fam: str, which: str) -> str:
    return f"{DERIVED_TABLE_PREFIX}{grain}_{fam}_{which}"  # (an erasure drops them by this prefix)


def save(db: Database, rollups: Rollups, catalogue: Catalogue, still_valid: Callable[[], bool]) -> bool:
    """Write ``rollups`` and the marker in one transaction, if ``still_valid()`` holds under the write lock
    (no data written since they were computed). Listeners are not told: no data changed."""
    with db.write_lock:
        if not still_valid():
            return False
        cur = db.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            saved = []
            for (grain, fam), part in rollups.parts.items():
                for which, table in (("cells", part.cells), ("total", part.total)):
                    name = _table(grain, fam, which)
                    cur.register("advokit_rollup_save", table)
                    try:
                        cur.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM advokit_rollup_save")
                    finally:
                        cur.unregister("advokit_rollup_save")
                saved.append([grain, fam])
            marker = {"fingerprint": fingerprint(catalogue), "dims": rollups.dims, "parts": saved}
            db.set_derived_marker(cur, MARKER, json.dumps(marker))
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")
    return True


def load(db: Database, catalogue: Catalogue) -> Rollups | None:
    """The saved rollups when still valid for this data and catalogue (None otherwise)."""
    try:
        text = db.derived_marker(MARKER)
        if text is None:
            return None
        marker: dict[str, Any] = json.loads(text)
        if marker.get("fingerprint") != fingerprint(catalogue):
            return None
        rollups = Rollups(marker["dims"], list(catalogue))
        cur = db.cursor()
        for grain, fam in marker["parts"]:
            if grain not in _GRAINS or fam not in FAMILIES:
                return None
            tables: list[pa.Table] = []
            for which in ("cells", "total"):
                tables.append(cur.sql(f"SELECT * FROM {_table(grain, fam, which)}").to_arrow_table())
            rollups.parts[(grain, fam)] = Part(cells=tables[0], total=tables[1])
        return rollups
    except (duckdb.Error, ValueError, KeyError, TypeError) as exc:  # unreadable: compute instead
        log.warning("saved rollups not used: %s", exc)
        return None
