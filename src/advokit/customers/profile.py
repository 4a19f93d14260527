"""One customer's profile: its row, a summary of its events and its event timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..catalogue import ADVOCACY_ACTION_TYPES
from ..errors import InvalidArgumentError, NotFoundError
from ..store.database import EVENT_COLUMNS, Database
from ..store import jsonvalues
from ..store.rows import first, jsonable

#: Most events one timeline page returns.
MAX_TIMELINE = 1000


def _properties(text: str | None) -> Any:
    if text is None:
        return None
    try:
        value = jsonvalues.loads(text)
    except ValueError:
        return text
    # stored before properties had bounds: deeper than a page or an export can render, so kept as text
    return text if jsonvalues.depth_over(value, jsonvalues.MAX_PROPERTIES_DEPTH) else value


def customer_row(cur: duckdb.DuckDBPyConnection, customer_id: str) -> dict[str, Any] | None:
    """Every stored column of one customer (None when unknown)."""
    rel = cur.execute("SELECT * FROM customers WHERE customer_id = ?", [customer_id])
    row = first(rel)
    if row is None:
        return None
    names = [d[0] for d in rel.description or []]
    return {n: jsonable(v) for n, v in zip(names, row) if n != "updated_at"}


def event_rows(cur: duckdb.DuckDBPyConnection, customer_id: str, *, limit: int | None = None,
               offset: int = 0, newest_first: bool = True) -> list[dict[str, Any]]:
    """A customer's events, as JSON-ready canonical records."""
    cols = ", ".join(EVENT_COLUMNS)
    order = "DESC" if newest_first else "ASC"
    sql = f"SELECT {cols} FROM events WHERE customer_id = ? ORDER BY occurred_at {order}, event_id {order}"
    params: list[Any] = [customer_id]
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    out = []
    for row in cur.execute(sql, params).fetchall():
        rec = {c: jsonable(v) for c, v in zip(EVENT_COLUMNS, row)}
        rec["properties"] = _properties(rec["properties"])
        out.append(rec)
    return out


def _records(table: pa.Table) -> list[dict[str, Any]]:
    out = []
    for row in table.to_pylist():
        rec = {c: jsonable(row[c]) for c in EVENT_COLUMNS}
        rec["properties"] = _properties(rec["properties"])
        out.append(rec)
    return out


def profile(db: Database, customer_id: str, *, limit: int = 100, offset: int = 0,
            events_of: Mapping[str, Sequence[str]] | None = None, events_limit: int = 1000) -> dict[str, Any]:
    """The customer, a summary of its events and one page of its timeline (newest first).

    The customer's events are read in one scan (the events table has no index on customer_id, so each
    scan reads the whole table) and summarised in memory. ``events_of`` adds, per name, the customer's
    events of those types, oldest first, at most ``events_limit`` (e.g. survey answers over time).
    """
    if not 1 <= limit <= MAX_TIMELINE:
        raise InvalidArgumentError(f"limit {limit} is out of range", hint=f"use 1 to {MAX_TIMELINE}")
    if offset < 0:
        raise InvalidArgumentError("offset must be 0 or more")
    cur = db.cursor()
    customer = customer_row(cur, customer_id)
    if customer is None:
        raise NotFoundError(f"no customer with id {customer_id!r}")
    cols = ", ".join(EVENT_COLUMNS)
    events = cur.sql(f"SELECT {cols} FROM events WHERE customer_id = ? "
                     "ORDER BY occurred_at DESC, event_id DESC", params=[customer_id]).to_arrow_table()
    types = events.column("type")
    counts = pc.value_counts(types).to_pylist() if events.num_rows else []
    by_type = {c["values"]: c["counts"] for c in sorted(counts, key=lambda c: c["values"])}
    nps = events.filter(pc.equal(types, "nps_response")).column("score")  # newest first
    referred = events.filter(pc.equal(types, "referral_converted")).column("amount")
    total = events.num_rows
    times = events.column("occurred_at")
    summary = {
        "events": total,
        "events_by_type": by_type,
        "first_event_at": jsonable(pc.min(times).as_py()) if total else None,
        "last_event_at": jsonable(pc.max(times).as_py()) if total else None,
        "advocacy_actions": sum(n for t, n in by_type.items() if t in ADVOCACY_ACTION_TYPES),
        "referrals_sent": by_type.get("referral_sent", 0),
        "referral_revenue": jsonable(float(pc.sum(referred).as_py() or 0.0)),
        "latest_nps_score": jsonable(nps[0].as_py()) if len(nps) else None,
    }
    out = {"customer": customer, "summary": summary, "timeline": _records(events.slice(offset, limit)),
           "timeline_total": total, "limit": limit, "offset": offset}
    for name, wanted in (events_of or {}).items():
        chosen = events.filter(pc.is_in(types, pa.array(list(wanted), pa.string())))
        n = chosen.num_rows
        oldest_first = pa.array(range(n - 1, max(n - events_limit, 0) - 1, -1), pa.int64())
        out[name] = _records(chosen.take(oldest_first))
    return out
