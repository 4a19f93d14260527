"""GDPR: export everything held about a customer, and erase it.

Erasure removes, in one transaction (all or nothing):

* the customer's row (name, email, attributes);
* every event whose ``customer_id`` is the customer (survey answers, advocacy
  actions, revenue events, mentions it authored);
* references to it held on other records: ``referred_by`` of the customers
  it referred is cleared, and ``properties.new_customer_id`` is dropped from
  the referral events of its advocate (the advocate's event itself stays).

The erasure is recorded in ``erasures`` without personal data: only a keyed
SHA-256 of the id (the key is a random salt kept in the workspace), the count
of events removed and the time. ``was_erased`` answers "was this id erased?"
without storing the id. Every KPI computed afterwards no longer sees the
customer (writes bump the workspace's data version, so caches are dropped).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any

import duckdb

from ..customers.profile import customer_row, event_rows
from ..errors import NotFoundError
from ..store.database import Database
from ..store.rows import first

_SALT_KEY = "erasure_salt"


def _salt(cur: duckdb.DuckDBPyConnection) -> bytes:
    row = first(cur.execute("SELECT value FROM meta WHERE key = ?", [_SALT_KEY]))
    if row is None:
        value = secrets.token_hex(32)
        cur.execute("INSERT INTO meta VALUES (?, ?)", [_SALT_KEY, value])
        return bytes.fromhex(value)
    return bytes.fromhex(row[0])


def subject_hash(cur: duckdb.DuckDBPyConnection, customer_id: str) -> str:
    """The keyed hash an erasure is recorded under."""
    return hmac.new(_salt(cur), customer_id.encode(), hashlib.sha256).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _referencing_events(cur: duckdb.DuckDBPyConnection, customer_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Events of other customers whose ``properties.new_customer_id`` is ``customer_id``."""
    out = []
    rows = cur.execute("SELECT event_id, properties FROM events WHERE contains(properties, ?)",
                       [customer_id]).fetchall()
    for event_id, text in rows:
        try:
            props = json.loads(text)
        except ValueError:
            continue
        if isinstance(props, dict) and props.get("new_customer_id") == customer_id:
            out.append((event_id, props))
    return out


def export_customer(db: Database, customer_id: str) -> dict[str, Any]:
    """Everything the workspace holds about a customer, as a JSON-ready dict."""
    cur = db.cursor()
    customer = customer_row(cur, customer_id)
    events = event_rows(cur, customer_id, newest_first=False)
    if customer is None and not events:
        raise NotFoundError(f"no customer with id {customer_id!r}")
    referred = [r[0] for r in cur.execute(
        "SELECT customer_id FROM customers WHERE referred_by = ? ORDER BY customer_id", [customer_id]).fetchall()]
    named_in = [e for e, _ in _referencing_events(cur, customer_id)]
    return {
        "customer_id": customer_id,
        "exported_at": _now().isoformat() + "Z",
        "customer": customer,
        "events": events,
        "customers_referred": referred,
        "named_in_referral_events": sorted(named_in),
    }


def erase_customer(db: Database, customer_id: str) -> dict[str, Any]:
    """Erase a customer and everything it holds, record the erasure; return the record."""
    with db.transaction() as cur:
        customers = first(cur.execute("SELECT count(*) FROM customers WHERE customer_id = ?", [customer_id]))
        events = first(cur.execute("SELECT count(*) FROM events WHERE customer_id = ?", [customer_id]))
        n_customers, n_events = int(customers[0]), int(events[0])
        if n_customers == 0 and n_events == 0:
            raise NotFoundError(f"no customer with id {customer_id!r}",
                                hint="nothing to erase (it may have been erased already)")
        cur.execute("DELETE FROM events WHERE customer_id = ?", [customer_id])
        cur.execute("DELETE FROM customers WHERE customer_id = ?", [customer_id])
        referrals = first(cur.execute("SELECT count(*) FROM customers WHERE referred_by = ?", [customer_id]))
        # updated_at moves with every change to a customer row (the customer directory's fingerprint)
        cur.execute("UPDATE customers SET referred_by = NULL, updated_at = now() WHERE referred_by = ?", [customer_id])
        named = _referencing_events(cur, customer_id)
        for event_id, props in named:
            props.pop("new_customer_id", None)
            cur.execute("UPDATE events SET properties = ? WHERE event_id = ?", [json.dumps(props), event_id])
        record = {"erasure_id": uuid.uuid4().hex, "subject_hash": subject_hash(cur, customer_id),
                  "events_removed": n_events, "erased_at": _now()}
        cur.execute("INSERT INTO erasures (erasure_id, subject_hash, events_removed, erased_at) VALUES (?, ?, ?, ?)",
                    [record["erasure_id"], record["subject_hash"], n_events, record["erased_at"]])
    return {**record, "erased_at": record["erased_at"].isoformat() + "Z",  # type: ignore[attr-defined]
            "customers_removed": n_customers, "references_cleared": int(referrals[0]) + len(named)}


def was_erased(db: Database, customer_id: str) -> bool:
    cur = db.cursor()
    salt = first(cur.execute("SELECT value FROM meta WHERE key = ?", [_SALT_KEY]))
    if salt is None:  # the salt is made by the first erasure
        return False
    digest = hmac.new(bytes.fromhex(salt[0]), customer_id.encode(), hashlib.sha256).hexdigest()
    row = first(cur.execute("SELECT count(*) FROM erasures WHERE subject_hash = ?", [digest]))
    return bool(row and row[0])
