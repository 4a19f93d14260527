"""One customer's profile: its row, a summary of its events and its event timeline."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import duckdb

from .catalogue import ADVOCACY_ACTION_TYPES
from .errors import InvalidArgumentError, NotFoundError
from .storage import EVENT_COLUMNS, Database

#: Most events one timeline page returns.
MAX_TIMELINE = 1000


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


def _properties(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


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


def profile(db: Database, customer_id: str, *, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """The customer, a summary of its events and one page of its timeline (newest first)."""
    if not 1 <= limit <= MAX_TIMELINE:
        raise InvalidArgumentError(f"limit {limit} is out of range", hint=f"use 1 to {MAX_TIMELINE}")
    if offset < 0:
        raise InvalidArgumentError("offset must be 0 or more")
    cur = db.cursor()
    customer = customer_row(cur, customer_id)
    if customer is None:
        raise NotFoundError(f"no customer with id {customer_id!r}")
    by_type = dict(cur.execute(
        "SELECT type, count(*) FROM events WHERE customer_id = ? GROUP BY type ORDER BY type",
        [customer_id]).fetchall())
    first_at, last_at = first(cur.execute("SELECT min(occurred_at), max(occurred_at) FROM events "
                                          "WHERE customer_id = ?", [customer_id])) or (None, None)
    nps = first(cur.execute("SELECT score FROM events WHERE customer_id = ? AND type = 'nps_response' "
                            "ORDER BY occurred_at DESC, event_id DESC LIMIT 1", [customer_id]))
    referral_revenue = first(cur.execute(
        "SELECT coalesce(sum(amount), 0) FROM events WHERE customer_id = ? AND type = 'referral_converted'",
        [customer_id]))
    total = sum(by_type.values())
    summary = {
        "events": total,
        "events_by_type": by_type,
        "first_event_at": jsonable(first_at),
        "last_event_at": jsonable(last_at),
        "advocacy_actions": sum(n for t, n in by_type.items() if t in ADVOCACY_ACTION_TYPES),
        "referrals_sent": by_type.get("referral_sent", 0),
        "referral_revenue": jsonable(float(referral_revenue[0])) if referral_revenue else 0.0,
        "latest_nps_score": jsonable(nps[0]) if nps else None,
    }
    return {"customer": customer, "summary": summary,
            "timeline": event_rows(cur, customer_id, limit=limit, offset=offset),
            "timeline_total": total, "limit": limit, "offset": offset}
