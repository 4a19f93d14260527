"""GDPR: export everything held about a customer, and erase it.

A customer is *named* by its id, its name and its e-mail address. Erasure
removes, in one transaction (all or nothing):

* the customer's row (name, e-mail, attributes);
* every event whose ``customer_id`` is the customer (survey answers and their
  comments, reviews, advocacy actions, revenue events, mentions it authored);
* references to it held on other records: ``referred_by`` of the customers it
  referred is cleared, ``properties.new_customer_id`` is dropped from the
  referral events of its advocate (the advocate's event itself stays);
* mentions of it elsewhere: in the ``text``, ``ref`` and ``properties`` of any
  other customer's event and in the team's comments (body, author, owner),
  each mention is replaced with :data:`MARKER`. A mention is the id, the name or
  the e-mail as a whole word, in any letter case; ids shorter than
  :data:`MIN_ID_MENTION` characters are too ambiguous to look for in free text
  (they are still cleared from references);
* the saved rollups (they are recomputed), and with them every cached KPI value
  and dashboard view (the erasure is a data write).

Then the workspace file is rewritten (``Database.rewrite``): a database does
not overwrite what it deletes, so without it the erased bytes would stay in
the file and its WAL. The rewrite is marked pending in the erasure's
transaction; if the process dies before it is done, it runs on the next open.

The erasure is recorded in ``erasures`` without personal data: only a keyed
SHA-256 of the id (the key is kept outside the workspace file, see
:mod:`advokit.access.secretkey`), the count of events removed and the time.
``was_erased`` answers "was this id erased?" without storing the id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

import duckdb

from ..customers.profile import customer_row, event_rows
from ..errors import NotFoundError
from ..store.database import DERIVED_TABLE_PREFIX, EVENT_COLUMNS, Database
from ..store.rows import first, jsonable
from .secretkey import SecretKey

MARKER = "[erased]"
MIN_ID_MENTION = 3
_COMMENT_COLUMNS = ("body", "author", "owner")


def subject_hash(key: bytes, customer_id: str) -> str:
    """The keyed hash an erasure is recorded under."""
    return hmac.new(key, customer_id.encode(), hashlib.sha256).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class _Names:
    """The words that name one customer, and how to find and redact them in text."""

    def __init__(self, customer_id: str, customer: dict[str, Any] | None) -> None:
        terms = [customer_id] if len(customer_id) >= MIN_ID_MENTION else []
        for column in ("name", "email"):
            value = (customer or {}).get(column)
            if isinstance(value, str) and value.strip():
                terms.append(value.strip())
        self.terms = sorted(set(terms), key=len, reverse=True)  # the longest first: "Ann Lee" before "Ann"
        self._pattern = re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in self.terms),
                                   re.IGNORECASE) if self.terms else None

    def found_in(self, text: Any) -> bool:
        return self._pattern is not None and isinstance(text, str) and self._pattern.search(text) is not None

    def redact(self, text: str) -> str:
        return text if self._pattern is None else self._pattern.sub(MARKER, text)

    def redact_json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_json(v) for v in value]
        if isinstance(value, dict):
            return {k: self.redact_json(v) for k, v in value.items()}
        return value

    def where(self, columns: Iterable[str]) -> tuple[str, list[str]]:
        """A cheap SQL pre-filter (any term as a substring of any column); ``found_in`` then decides."""
        clauses, params = [], []
        for column in columns:
            for term in self.terms:
                clauses.append(f"contains(lower({column}), ?)")
                params.append(term.lower())
        return " OR ".join(clauses) or "false", params


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _naming_events(cur: duckdb.DuckDBPyConnection, customer_id: str,
                   names: _Names) -> list[tuple[Any, ...]]:
    """Other customers' events that name the customer: in text, ref or properties, or as the referred one."""
    where, params = names.where(("text", "ref", "properties"))
    cols = ", ".join(EVENT_COLUMNS)
    rows = cur.execute(f"SELECT {cols} FROM events WHERE customer_id IS DISTINCT FROM ? AND "
                       f"(contains(properties, ?) OR {where}) ORDER BY occurred_at, event_id",
                       [customer_id, customer_id, *params]).fetchall()
    out = []
    for row in rows:
        rec = dict(zip(EVENT_COLUMNS, row))
        props = _parse(rec["properties"])
        referred = isinstance(props, dict) and props.get("new_customer_id") == customer_id
        if referred or any(names.found_in(rec[c]) for c in ("text", "ref", "properties")):
            out.append(row)
    return out


def _naming_comments(cur: duckdb.DuckDBPyConnection, names: _Names) -> list[tuple[Any, ...]]:
    where, params = names.where(_COMMENT_COLUMNS)
    rows = cur.execute(f"SELECT comment_id, kpi, period, body, author, owner, kind, created_at FROM comments "
                       f"WHERE {where} ORDER BY created_at, comment_id", params).fetchall()
    return [r for r in rows if any(names.found_in(v) for v in r[3:6])]


def _event_record(row: tuple[Any, ...]) -> dict[str, Any]:
    rec = {c: jsonable(v) for c, v in zip(EVENT_COLUMNS, row)}
    rec["properties"] = _parse(rec["properties"])
    return rec


def _comment_record(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"id": row[0], "kpi": row[1], "period": row[2], "body": row[3], "author": row[4], "owner": row[5],
            "kind": row[6] or "comment", "created_at": jsonable(row[7])}


def export_customer(db: Database, customer_id: str) -> dict[str, Any]:
    """Everything the workspace holds about a customer, as a JSON-ready dict."""
    cur = db.cursor()
    customer = customer_row(cur, customer_id)
    events = event_rows(cur, customer_id, newest_first=False)
    if customer is None and not events:
        raise NotFoundError(f"no customer with id {customer_id!r}")
    names = _Names(customer_id, customer)
    referred = [r[0] for r in cur.execute(
        "SELECT customer_id FROM customers WHERE referred_by = ? ORDER BY customer_id", [customer_id]).fetchall()]
    naming = [_event_record(r) for r in _naming_events(cur, customer_id, names)]
    referral_events = sorted(e["event_id"] for e in naming if isinstance(e["properties"], dict)
                             and e["properties"].get("new_customer_id") == customer_id)
    return {
        "customer_id": customer_id,
        "exported_at": _now().isoformat() + "Z",
        "customer": customer,
        "events": events,
        "customers_referred": referred,
        "named_in_referral_events": referral_events,
        "events_naming_customer": naming,
        "comments_naming_customer": [_comment_record(r) for r in _naming_comments(cur, names)],
    }


def _redact_event(cur: duckdb.DuckDBPyConnection, row: tuple[Any, ...], customer_id: str, names: _Names) -> None:
    rec = dict(zip(EVENT_COLUMNS, row))
    props = _parse(rec["properties"])
    if isinstance(props, dict) and props.get("new_customer_id") == customer_id:
        props.pop("new_customer_id")
    props = names.redact_json(props)
    text = None if rec["properties"] is None else (props if isinstance(props, str) else json.dumps(props))
    cur.execute("UPDATE events SET text = ?, ref = ?, properties = ? WHERE event_id = ?",
                [None if rec["text"] is None else names.redact(rec["text"]),
                 None if rec["ref"] is None else names.redact(rec["ref"]), text, rec["event_id"]])


def _drop_saved_rollups(cur: duckdb.DuckDBPyConnection) -> None:
    tables = cur.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                         "AND starts_with(table_name, ?)", [DERIVED_TABLE_PREFIX]).fetchall()
    for (table,) in tables:
        cur.execute(f'DROP TABLE "{table}"')


def erase_customer(db: Database, customer_id: str) -> dict[str, Any]:
    """Erase a customer and everything that names it, record the erasure, rewrite the file; return the record."""
    key = SecretKey(db).current()
    with db.transaction() as cur:
        customer = customer_row(cur, customer_id)
        events = first(cur.execute("SELECT count(*) FROM events WHERE customer_id = ?", [customer_id]))
        n_customers, n_events = int(customer is not None), int(events[0])
        if n_customers == 0 and n_events == 0:
            raise NotFoundError(f"no customer with id {customer_id!r}",
                                hint="nothing to erase (it may have been erased already)")
        names = _Names(customer_id, customer)
        for table in ("text_sentiment", "text_themes"):
            cur.execute(f"DELETE FROM {table} WHERE event_id IN (SELECT event_id FROM events WHERE customer_id = ?)",
                        [customer_id])
        cur.execute("DELETE FROM events WHERE customer_id = ?", [customer_id])
        cur.execute("DELETE FROM customers WHERE customer_id = ?", [customer_id])
        referrals = first(cur.execute("SELECT count(*) FROM customers WHERE referred_by = ?", [customer_id]))
        # updated_at moves with every change to a customer row (the customer directory's fingerprint)
        cur.execute("UPDATE customers SET referred_by = NULL, updated_at = now() WHERE referred_by = ?", [customer_id])
        naming = _naming_events(cur, customer_id, names)
        for row in naming:
            _redact_event(cur, row, customer_id, names)
        _redact_themes(cur, names)
        comments = _naming_comments(cur, names)
        for row in comments:
            cur.execute("UPDATE comments SET body = ?, author = ?, owner = ? WHERE comment_id = ?",
                        [*(None if v is None else names.redact(v) for v in row[3:6]), row[0]])
        _drop_saved_rollups(cur)
        record = {"erasure_id": uuid.uuid4().hex, "subject_hash": subject_hash(key, customer_id),
                  "events_removed": n_events, "erased_at": _now()}
        cur.execute("INSERT INTO erasures (erasure_id, subject_hash, events_removed, erased_at) VALUES (?, ?, ?, ?)",
                    [record["erasure_id"], record["subject_hash"], n_events, record["erased_at"]])
        db.mark_rewrite(cur)
    db.rewrite()  # the erased bytes leave the file (a crash before this: done on the next open)
    return {**record, "erased_at": record["erased_at"].isoformat() + "Z",  # type: ignore[attr-defined]
            "customers_removed": n_customers, "references_cleared": int(referrals[0]) + len(naming),
            "comments_redacted": len(comments)}


def _redact_themes(cur: duckdb.DuckDBPyConnection, names: _Names) -> None:
    """Theme labels, names and terms that name the customer (a theme found in its texts) lose the name."""
    for theme_id, label, name, terms in cur.execute("SELECT theme_id, label, name, terms FROM themes").fetchall():
        if any(names.found_in(v) for v in (label, name, terms)):
            cur.execute("UPDATE themes SET label = ?, name = ?, terms = ? WHERE theme_id = ?",
                        [names.redact(label), None if name is None else names.redact(name),
                         json.dumps(names.redact_json(json.loads(terms))), theme_id])


def was_erased(db: Database, customer_id: str) -> bool:
    """Whether ``customer_id`` was erased (under any key the workspace has had)."""
    keys = SecretKey(db).all()
    if not keys:
        return False
    digests = [subject_hash(k, customer_id) for k in keys]
    row = first(db.cursor().execute("SELECT count(*) FROM erasures WHERE list_contains(?, subject_hash)", [digests]))
    return bool(row and row[0])
