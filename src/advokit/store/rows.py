"""Reading stored rows: the first row of a result, and stored values as JSON."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import duckdb


def first(rel: duckdb.DuckDBPyConnection) -> Any:
    """The first row of a result, read to the end (DuckDB 2 keeps a half-read result open)."""
    rows = rel.fetchall()
    return rows[0] if rows else None


def jsonable(value: Any) -> Any:
    """A stored value as JSON: UTC timestamps with ``Z``, NaN as None, JSON text as objects."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
