"""The customer directory: list, search and sort customers; attribute values; one customer's events by kind.

Queries are Ibis expressions (no user value ever enters SQL text); sort keys
and attribute names are checked against the workspace's columns first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from .customers import jsonable
from .errors import InvalidArgumentError, UnknownDimensionError

#: Columns a customer list can be sorted by (besides any extra attribute column).
SORTABLE: tuple[str, ...] = ("customer_id", "name", "segment", "industry", "region", "plan", "arr",
                             "signup_at", "churned_at")
#: Columns a customer list shows, in order (extra attribute columns follow).
LIST_COLUMNS: tuple[str, ...] = ("customer_id", "name", "segment", "industry", "region", "plan", "arr",
                                 "signup_at", "churned_at")
MAX_PAGE = 200
MAX_QUERY = 200


@dataclass(frozen=True)
class CustomerPage:
    """One page of a customer list, with the total that matched."""

    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    sort: str
    descending: bool
    q: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _filtered(t: ir.Table, filters: Mapping[str, str | None] | None, dimensions: Sequence[str]) -> ir.Table:
    for dim, value in sorted((filters or {}).items()):
        if dim not in dimensions:
            raise UnknownDimensionError(f"unknown customer attribute {dim!r}",
                                        hint="valid attributes: " + ", ".join(dimensions))
        t = t.filter(t[dim].isnull() if value is None else t[dim] == value)
    return t


def list_customers(backend: ibis.BaseBackend, *, dimensions: Sequence[str], q: str | None = None,
                   filters: Mapping[str, str | None] | None = None, sort: str = "name",
                   descending: bool = False, limit: int = 50, offset: int = 0) -> CustomerPage:
    """Customers whose id, name or email contains ``q`` (any case), filtered, sorted, one page."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidArgumentError(f"page size {limit} is out of range", hint=f"use 1 to {MAX_PAGE}")
    if offset < 0:
        raise InvalidArgumentError("offset must be 0 or more")
    sortable = [*SORTABLE, *(d for d in dimensions if d not in SORTABLE)]
    if sort not in sortable:
        raise InvalidArgumentError(f"cannot sort customers by {sort!r}", hint="sort by: " + ", ".join(sortable))
    t = backend.table("customers")
    t = _filtered(t, filters, dimensions)
    text = (q or "").strip()
    if len(text) > MAX_QUERY:
        raise InvalidArgumentError(f"search text is longer than {MAX_QUERY} characters")
    if text:
        needle = text.lower()
        t = t.filter(t.customer_id.lower().contains(needle) | t.name.lower().contains(needle)
                     | t.email.lower().contains(needle))
    total = int(t.count().execute())
    key = ibis.desc(t[sort]) if descending else ibis.asc(t[sort])
    columns = [*LIST_COLUMNS, *(d for d in dimensions if d not in LIST_COLUMNS)]
    page = t.order_by([key, ibis.asc(t.customer_id)]).select(*columns).limit(limit, offset=offset)
    rows = [{k: jsonable(v) for k, v in r.items()} for r in page.to_pyarrow().to_pylist()]
    return CustomerPage(rows=rows, total=total, limit=limit, offset=offset, sort=sort, descending=descending,
                        q=text or None)


def attribute_values(backend: ibis.BaseBackend, dimensions: Sequence[str], *,
                     max_values: int = 50) -> dict[str, list[str]]:
    """The distinct values of each customer attribute with at most ``max_values`` of them, sorted."""
    t = backend.table("customers")
    out: dict[str, list[str]] = {}
    for dim in dimensions:
        col = t[dim]
        found = t.filter(col.notnull()).select(col).distinct().limit(max_values + 1).to_pyarrow()
        values = sorted(str(v) for v in found.column(0).to_pylist())
        if 0 < len(values) <= max_values:
            out[dim] = values
    return out


def customer_events(backend: ibis.BaseBackend, customer_id: str, *, types: Sequence[str],
                    limit: int = 1000) -> list[dict[str, Any]]:
    """One customer's events of ``types``, oldest first (survey answers, advocacy actions)."""
    t = backend.table("events")
    expr = (t.filter((t.customer_id == customer_id) & t.type.isin(list(types)))
            .order_by([t.occurred_at, t.event_id])
            .select("event_id", "type", "occurred_at", "score", "amount", "text", "channel", "ref")
            .limit(limit))
    return [{k: jsonable(v) for k, v in r.items()} for r in expr.to_pyarrow().to_pylist()]
