"""Customer attribute columns: how many a workspace and a record may hold, and which are dimensions.

Every key of a customer beyond the data contract's fields becomes a column of
the ``customers`` table. Each column costs every page that lists customers,
every segment picker and every rollup, so their number is bounded:

* a workspace holds at most :func:`max_attributes` attribute columns
  (``ADVOKIT_MAX_ATTRIBUTES``, default :data:`MAX_ATTRIBUTES`);
* one customer record carries at most :func:`max_record_attributes` attribute
  values (``ADVOKIT_MAX_RECORD_ATTRIBUTES``, default :data:`MAX_RECORD_ATTRIBUTES`).

An attribute is offered as a *dimension* (``--by``, filters, the dashboard's
segment pickers, the rollups) only while it has at most
:data:`MAX_DIMENSION_VALUES` distinct values: an attribute with more (an id, a
free text, a number) would make a breakdown of that many rows and a rollup of
that many cells. It stays a column of the customer directory and the profile.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError

if TYPE_CHECKING:
    from .database import Database

#: The default most attribute columns a workspace holds.
MAX_ATTRIBUTES = 64
#: The default most attribute values one customer record carries.
MAX_RECORD_ATTRIBUTES = 64
#: An attribute with more distinct values than this is not a dimension (high cardinality).
MAX_DIMENSION_VALUES = 100
#: customer attributes that advokit derives itself as of the day of a refresh (the journey stage and the
#: persona, advokit.journey): ordinary dimensions for the KPIs, but never features of a predictive model, whose
#: cutoffs lie before that day (a churned customer's stage says it churned: the label leaking into the features)
DERIVED_ATTRIBUTES: frozenset[str] = frozenset({"journey_stage", "persona"})
ENV_MAX_ATTRIBUTES = "ADVOKIT_MAX_ATTRIBUTES"
ENV_MAX_RECORD_ATTRIBUTES = "ADVOKIT_MAX_RECORD_ATTRIBUTES"


def _limit(env: str, default: int) -> int:
    raw = os.environ.get(env, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise InvalidArgumentError(f"{env}={raw!r} is not a number of attributes",
                                   hint=f"set it to a whole number, 0 or more (default {default})")
    return value


def max_attributes() -> int:
    """The most attribute columns a workspace holds (``ADVOKIT_MAX_ATTRIBUTES``, default 64)."""
    return _limit(ENV_MAX_ATTRIBUTES, MAX_ATTRIBUTES)


def max_record_attributes() -> int:
    """The most attribute values one customer record carries (``ADVOKIT_MAX_RECORD_ATTRIBUTES``, default 64)."""
    return _limit(ENV_MAX_RECORD_ATTRIBUTES, MAX_RECORD_ATTRIBUTES)


def workspace_limit_reason(name: str, limit: int) -> str:
    return (f"attribute {name!r} is over this workspace's limit of {limit} customer attributes "
            f"({ENV_MAX_ATTRIBUTES}; drop one with `advokit attribute drop NAME`)")


def record_limit_reason(limit: int) -> str:
    return f"a customer carries at most {limit} attribute values ({ENV_MAX_RECORD_ATTRIBUTES})"


class _Dimensions:
    """The offered dimensions of one database, kept until its customers or columns change."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.writes = -1
        self.key: tuple[Any, ...] | None = None
        self.dims: list[str] = []


_CACHE: "weakref.WeakKeyDictionary[Database, _Dimensions]" = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def cardinalities(db: "Database", names: list[str]) -> dict[str, int]:
    """Distinct non-NULL values of each customer column in ``names`` (one scan of the table)."""
    if not names:
        return {}
    from .database import quote_ident

    sql = ", ".join(f"count(DISTINCT {quote_ident(n)})" for n in names)
    row = db.cursor().execute(f"SELECT {sql} FROM customers").fetchall()[0]
    return {n: int(v) for n, v in zip(names, row)}


#: Names the KPI results and their analysis use for their own fields: an attribute so named stays an
#: attribute (listed, shown on profiles) but is no dimension, so a breakdown never holds two columns of one name.
RESULT_FIELD_NAMES = frozenset({
    "kpi", "kpis", "period", "period_start", "period_end", "grain", "value", "numerator", "denominator", "n",
    "promoters", "passives", "detractors", "margin_of_error", "ci_low", "ci_high", "std_error", "small_sample",
    "uncertainty", "band", "status", "target", "change", "change_pct", "change_p_value", "change_significant",
    "previous", "previous_period", "year_ago", "year_ago_period", "yoy_change", "yoy_change_pct", "yoy_p_value",
    "yoy_significant", "rolling_mean", "rolling_periods", "by", "filters", "group", "groups", "id", "label",
    "name", "note", "unit", "direction", "rating", "source", "benchmarks", "focus_areas",
})


def offered_dimensions(db: "Database") -> list[str]:
    """The categorical attributes with at most :data:`MAX_DIMENSION_VALUES` distinct values, in column order.

    Counted once per change of the customers (their number, latest ``updated_at`` and columns),
    looked at once per write of the workspace.
    """
    with _CACHE_LOCK:
        held = _CACHE.get(db)
        if held is None:
            held = _CACHE[db] = _Dimensions()
    with held.lock:
        writes = db.writes
        if held.writes == writes and held.key is not None:
            return list(held.dims)
        names = [n for n in db.dimension_columns() if n not in RESULT_FIELD_NAMES]
        cur = db.cursor()
        stamp = tuple(cur.execute("SELECT count(*), max(updated_at) FROM customers").fetchall()[0])
        key = (tuple(names), *stamp)
        if key != held.key:
            counts = cardinalities(db, names)
            held.dims = [n for n in names if counts[n] <= MAX_DIMENSION_VALUES]
            held.key = key
        held.writes = writes
        return list(held.dims)
