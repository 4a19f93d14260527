"""``Loops``: each answer that needs a follow-up with its state, oldest first (``ws.loops.list``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import ibis

from ..catalogue import Catalogue
from ..catalogue.model import CustomCompute
from ..engine.loops import DEFAULT_RULES, LoopRule, loop_table, rules_from, states
from ..errors import InvalidArgumentError, UnknownDimensionError

#: The KPI whose custom params hold the workspace's loop rules (every closed-loop KPI declares the same).
RULES_KPI = "closed_loop_follow_up_rate"
#: Customer attributes read as a loop's owner, first found first.
OWNER_COLUMNS = ("owner", "csm")
MAX_LIMIT = 100_000
COLUMNS = ("event_id", "customer_id", "type", "occurred_at", "score", "text", "owner", "state", "sla_days",
           "due_at", "closed_at", "age_days", "overdue")


class Loops:
    """The loop queue of one workspace. ``backend`` gives the Ibis backend of the calling thread."""

    def __init__(self, catalogue: Catalogue, *, backend: Callable[[], ibis.BaseBackend]) -> None:
        self.catalogue = catalogue
        self._backend = backend

    def rules(self) -> tuple[LoopRule, ...]:
        """The rules the closed-loop KPIs use (the params of ``closed_loop_follow_up_rate``)."""
        if RULES_KPI not in self.catalogue.ids:
            return DEFAULT_RULES
        compute = self.catalogue.get(RULES_KPI).compute
        return rules_from(compute.params) if isinstance(compute, CustomCompute) else DEFAULT_RULES

    def list(self, *, open_only: bool = False, older_than_days: float | None = None,
             as_of: dt.datetime | dt.date | None = None, limit: int = 1000,
             filters: Mapping[str, str | None] | None = None) -> list[dict[str, Any]]:
        """The loops as they stood at ``as_of`` (default: now, UTC), oldest answer first.

        ``open_only`` keeps the open ones; ``older_than_days`` those open for at least that many days (to their
        close, or to ``as_of`` while open). Each row: :data:`COLUMNS`; ``owner`` is the customer's ``owner``
        (or ``csm``) attribute where the workspace has one, else None. ``filters`` (attribute → value, None for
        an empty one) keep the loops of those customers, as the KPI engine's filters do. The times (``occurred_at``, ``due_at``,
        ``closed_at``) are ISO 8601 strings in UTC, ``2025-01-31T00:00:00Z``, as ``GET /v1/loops`` writes them.
        """
        at = _as_of(as_of)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidArgumentError(f"limit must be an integer from 1 to {MAX_LIMIT:,}, not {limit!r}")
        if older_than_days is not None and (not isinstance(older_than_days, (int, float))
                                            or isinstance(older_than_days, bool) or older_than_days < 0):
            raise InvalidArgumentError(f"older_than must be a number of days ≥ 0, not {older_than_days!r}",
                                       hint="e.g. 2d, 36h or 1w")
        backend = self._backend()
        t = states(loop_table(backend.table("events"), backend.table("text_sentiment"), self.rules()), at)
        if open_only:
            t = t.filter(t.state == "open")
        if older_than_days is not None:
            t = t.filter(t.age_days >= float(older_than_days))
        customers = backend.table("customers")
        for dim, value in sorted((filters or {}).items()):
            if dim not in customers.columns or dim == "customer_id":
                raise UnknownDimensionError(f"unknown dimension {dim!r} for filters")
            col = customers[dim]
            keep = customers.filter(col.isnull() if value is None else col.cast("string") == str(value))
            t = t.filter(t.customer_id.isin(keep.customer_id))
        owner_col = next((c for c in OWNER_COLUMNS if c in customers.columns), None)
        if owner_col is not None:
            c = customers.select(o_customer="customer_id", owner=customers[owner_col].cast("string"))
            t = t.left_join(c, t.customer_id == c.o_customer).select(t, c.owner)
        else:
            t = t.mutate(owner=ibis.null("string"))
        t = t.select(*COLUMNS).order_by(["occurred_at", "event_id"]).limit(limit)
        return [_row(r) for r in t.to_pyarrow().to_pylist()]


def _as_of(value: dt.datetime | dt.date | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    raise InvalidArgumentError(f"as_of must be a date or a time, not {value!r}", hint="e.g. 2025-03-20")


#: The columns that hold times (written as ISO 8601 strings in UTC).
TIME_COLUMNS = ("occurred_at", "due_at", "closed_at")


def iso_utc(value: dt.datetime | None) -> str | None:
    """A stored time (UTC, without a zone) as ISO 8601 with its zone: ``2025-01-31T00:00:00Z``."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.isoformat() + "Z"


def _row(r: dict[str, Any]) -> dict[str, Any]:
    r["age_days"] = round(float(r["age_days"]), 6)
    r["overdue"] = bool(r["overdue"])
    for col in TIME_COLUMNS:
        r[col] = iso_utc(r[col])
    return r
