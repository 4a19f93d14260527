"""Storing a computed value per customer as a customer attribute column (``journey_stage``, ``persona``), and the
record of the run that stored it (a ``meta`` row ``journey:<attribute>`` holding JSON).

The column is an ordinary attribute: ``--by journey_stage`` and ``--where`` read it like any imported one. A
store replaces every customer's value in one data write (the rollups and caches hear of it): customers the
run did not place get null. Re-importing a customer replaces its row, and with it these values, until the next
refresh.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from ..errors import InvalidArgumentError
from ..store import attributes
from ..store.database import CUSTOMER_COLUMNS, Database, quote_ident

META_PREFIX = "journey:"


def store(db: Database, name: str, values: dict[str, str], record: dict[str, Any]) -> None:
    """Set attribute ``name`` to ``values[customer_id]`` (null for the others) and keep ``record`` as its run."""
    table = pa.table({"customer_id": pa.array(list(values), pa.string()),
                      "value": pa.array(list(values.values()), pa.string())})
    column = quote_ident(name)
    with db.transaction() as cur:
        names = db.customer_columns()
        if name not in names:
            held = [c for c in names if c not in CUSTOMER_COLUMNS and c != "updated_at"]
            limit = attributes.max_attributes()
            if len(held) >= limit:
                raise InvalidArgumentError(
                    f"no room for the attribute {name!r}: the workspace holds {limit} customer attributes",
                    hint="drop one with `advokit attribute drop NAME` (or raise ADVOKIT_MAX_ATTRIBUTES)")
            db.add_customer_attribute(cur, name)
        cur.register("_journey_values", table)
        try:
            cur.execute(f"UPDATE customers SET {column} = NULL, updated_at = now() WHERE {column} IS NOT NULL "
                        "AND customer_id NOT IN (SELECT customer_id FROM _journey_values)")
            cur.execute(f"UPDATE customers SET {column} = v.value, updated_at = now() FROM _journey_values v "
                        f"WHERE customers.customer_id = v.customer_id "
                        f"AND customers.{column} IS DISTINCT FROM v.value")
        finally:
            cur.unregister("_journey_values")
        cur.execute("DELETE FROM meta WHERE key = ?", [META_PREFIX + name])
        cur.execute("INSERT INTO meta VALUES (?, ?)", [META_PREFIX + name, json.dumps(record, default=str)])


def last_run(db: Database, name: str) -> dict[str, Any] | None:
    """The record of the run that last stored attribute ``name`` (None: never stored)."""
    row = db.cursor().execute("SELECT value FROM meta WHERE key = ?", [META_PREFIX + name]).fetchall()
    if not row:
        return None
    found: dict[str, Any] = json.loads(row[0][0])
    return found
