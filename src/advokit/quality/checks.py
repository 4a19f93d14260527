"""The checks ``doctor`` runs, one grouped query each (and one for a few examples), never a loop over events.

Every value a query compares with (now, an import's id) is a bound parameter; the only names put into SQL
text are the workspace's own attribute columns, quoted as identifiers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb

from ..store.attributes import RESULT_FIELD_NAMES
from ..store.database import quote_ident
from .model import Finding, Severity

#: How many example rows a finding carries.
EXAMPLES = 5
#: A value per customer only counts as useless once this many customers hold the attribute.
MIN_CUSTOMERS_FOR_UNIQUE = 10
#: The empty months listed per event type (the count covers them all).
MAX_GAP_MONTHS = 36

#: ``e`` is after the churn of its customer ``c`` (a ``churned_at`` without a time of day is that whole day).
AFTER_CHURN = ("(e.occurred_at > c.churned_at AND NOT (c.churned_at = date_trunc('day', c.churned_at) "
               "AND e.occurred_at < c.churned_at + INTERVAL 1 DAY))")
BEFORE_SIGNUP = "(e.occurred_at < c.signup_at)"
#: Another stored event of the same customer, type, time and score (event ids are unique in the table).
HAS_TWIN = ("(e.customer_id IS NOT NULL AND EXISTS (SELECT 1 FROM events t WHERE t.customer_id = e.customer_id "
            "AND t.type = e.type AND t.occurred_at = e.occurred_at AND t.score IS NOT DISTINCT FROM e.score "
            "AND t.event_id <> e.event_id))")

_EVENT_COLS = "e.event_id, e.customer_id, e.type, e.occurred_at, e.score"


def _dicts(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    rel = cur.execute(sql, list(params))
    names = [d[0] for d in rel.description or ()]
    return [dict(zip(names, row)) for row in rel.fetchall()]


def _by_type(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> dict[str, int]:
    rows = cur.execute(f"SELECT type, count(*) AS n FROM ({sql}) GROUP BY type ORDER BY n DESC, type",
                       list(params)).fetchall()
    return {str(t): int(n) for t, n in rows}


def _types_text(by_type: Mapping[str, int], limit: int = 4) -> str:
    items = list(by_type.items())
    text = ", ".join(f"{t} {n:,}" for t, n in items[:limit])
    return text + (f", {len(items) - limit} more types" if len(items) > limit else "")


def _event_finding(cur: duckdb.DuckDBPyConnection, kind: str, rows_sql: str, params: Sequence[Any], *,
                   severity: Severity, words: str, what_to_do: str, extra_cols: str = "") -> Finding:
    """A finding over the events that ``rows_sql`` selects (by type, with the first few as examples)."""
    by_type = _by_type(cur, rows_sql, params)
    count = sum(by_type.values())
    examples: list[dict[str, Any]] = []
    if count:
        examples = _dicts(cur, f"SELECT * FROM ({rows_sql}) ORDER BY occurred_at, event_id LIMIT {EXAMPLES}", params)
    message = f"{count:,} {words}" + (f" ({_types_text(by_type)})" if by_type else "")
    return Finding(kind=kind, severity=severity, count=count, message=message,
                   what_to_do=what_to_do, examples=tuple(examples), by_type=by_type)


def before_signup(cur: duckdb.DuckDBPyConnection) -> Finding:
    sql = (f"SELECT {_EVENT_COLS}, c.signup_at FROM events e JOIN customers c ON c.customer_id = e.customer_id "
           f"WHERE {BEFORE_SIGNUP}")
    return _event_finding(
        cur, "before_signup", sql, (), severity="warning", words="events dated before their customer's signup_at",
        what_to_do="Check the customers' signup_at (a CRM date that is later than the account's real start, such "
                   "as a contract or migration date) and re-import the customers with the right one; or correct "
                   "the events' occurred_at. KPIs count these events in the period they are dated, but customer "
                   "populations (active, new) start at signup_at.")


def after_churn(cur: duckdb.DuckDBPyConnection) -> Finding:
    sql = (f"SELECT {_EVENT_COLS}, c.churned_at FROM events e JOIN customers c ON c.customer_id = e.customer_id "
           f"WHERE c.churned_at IS NOT NULL AND {AFTER_CHURN}")
    return _event_finding(
        cur, "after_churn", sql, (), severity="info",
        words="events dated after their customer's churned_at",
        what_to_do="Often legitimate (an exit survey, a win-back, a review written after leaving); the data "
                   "contract allows them. If the customer came back, clear or correct churned_at and re-import "
                   "the customer; if churned_at is early, fix it.")


def future_events(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> Finding:
    sql = f"SELECT {_EVENT_COLS} FROM events e WHERE e.occurred_at > ?"
    return _event_finding(
        cur, "future_events", sql, (now,), severity="warning", words="events dated in the future",
        what_to_do="Usually a wrong date format (day and month swapped) or a local time sent as UTC; correct "
                   "occurred_at at the source. They count in future periods and stretch every span to them.")


def duplicate_looking(cur: duckdb.DuckDBPyConnection) -> Finding:
    sql = f"""
        WITH g AS (SELECT customer_id, type, occurred_at, score FROM events WHERE customer_id IS NOT NULL
                   GROUP BY ALL HAVING count(*) > 1)
        SELECT {_EVENT_COLS} FROM events e JOIN g ON g.customer_id = e.customer_id AND g.type = e.type
            AND g.occurred_at = e.occurred_at AND g.score IS NOT DISTINCT FROM e.score"""
    finding = _event_finding(
        cur, "duplicate_looking", sql, (), severity="warning",
        words="events share customer, type, time and score with another event under a different event_id",
        what_to_do="Usually the same file imported twice without event_id columns after a change of content, or "
                   "two sources sending one event; give events a stable event_id at the source. If they are "
                   "duplicates, erase them and import them again once.")
    if finding.count:
        groups = cur.execute("SELECT count(*) FROM (SELECT 1 FROM events WHERE customer_id IS NOT NULL "
                             "GROUP BY customer_id, type, occurred_at, score HAVING count(*) > 1)").fetchone()
        return Finding(**{**finding.__dict__, "details": {"groups": int(groups[0]) if groups else 0}})
    return finding


def customers_without_events(cur: duckdb.DuckDBPyConnection) -> Finding:
    row = cur.execute("SELECT count(*) FROM customers c "
                      "WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_id = c.customer_id)").fetchone()
    count = int(row[0]) if row else 0
    examples = _dicts(cur, "SELECT c.customer_id, c.signup_at, c.churned_at FROM customers c WHERE NOT EXISTS "
                           "(SELECT 1 FROM events e WHERE e.customer_id = c.customer_id) "
                           f"ORDER BY c.customer_id LIMIT {EXAMPLES}") if count else []
    return Finding(
        kind="customers_without_events", severity="info", count=count,
        message=f"{count:,} customers have no events",
        what_to_do="Nothing is wrong if they are simply quiet: they still count in customer populations "
                   "(retention, churn). If they should have survey answers or actions, check that the events' "
                   "customer_id uses the same ids as the customers file.",
        examples=tuple(examples))


def event_types_never_seen(cur: duckdb.DuckDBPyConnection, event_types: Sequence[str],
                           lights_up: Mapping[str, Sequence[str]]) -> Finding:
    seen = {str(r[0]) for r in cur.execute("SELECT DISTINCT type FROM events").fetchall()}
    missing = [t for t in event_types if t not in seen]
    details = {t: list(lights_up.get(t, ())) for t in missing}
    feeding = [t for t in missing if details[t]]
    examples = tuple({"type": t, "kpis": details[t]} for t in (feeding or missing)[:EXAMPLES])
    return Finding(
        kind="event_types_never_seen", severity="info", count=len(missing),
        message=f"{len(missing)} of the data contract's {len(event_types)} event types have no events"
                + (f"; {len(feeding)} of them feed KPIs" if feeding else ""),
        what_to_do="Import those events if you collect them (see docs/data-contract.md for each type); the KPIs "
                   "listed under each type show nothing until then.",
        examples=examples, details={"lights_up": details})


def monthly_gaps(cur: duckdb.DuckDBPyConnection, now: dt.datetime) -> Finding:
    rows = cur.execute("""
        WITH m AS (SELECT type, date_trunc('month', occurred_at) AS month FROM events WHERE occurred_at <= ?
                   GROUP BY ALL),
        s AS (SELECT type, min(month) AS lo, max(month) AS hi FROM m GROUP BY type),
        a AS (SELECT type, unnest(generate_series(lo, hi, INTERVAL 1 MONTH)) AS month FROM s)
        SELECT a.type, a.month FROM a ANTI JOIN m ON m.type = a.type AND m.month = a.month
        ORDER BY a.type, a.month""", [now]).fetchall()
    months: dict[str, list[str]] = {}
    for t, month in rows:  # one row per empty month of a type: bounded by types x months, not by events
        months.setdefault(str(t), []).append(month.strftime("%Y-%m"))
    by_type = dict(sorted(((t, len(m)) for t, m in months.items()), key=lambda kv: (-kv[1], kv[0])))
    count = sum(by_type.values())
    examples = tuple({"type": t, "month": m} for t, ms in months.items() for m in ms)[:EXAMPLES]
    return Finding(
        kind="monthly_gaps", severity="info", count=count,
        message=f"{count:,} months with no events inside an event type's span"
                + (f" ({_types_text(by_type)})" if by_type else ""),
        what_to_do="A month with no events between the first and the last of a type is usually a missing export; "
                   "import it. If nothing happened that month, nothing is wrong, but KPIs read it as a true zero.",
        examples=examples, by_type=by_type,
        details={"months": {t: ms[:MAX_GAP_MONTHS] for t, ms in months.items()}})


def attribute_columns(db_columns: Iterable[str]) -> list[str]:
    """The customer attributes judged as segments (``referred_by`` links customers; it is no segment)."""
    return [c for c in db_columns if c not in RESULT_FIELD_NAMES and c != "referred_by"]


def attributes(cur: duckdb.DuckDBPyConnection, names: Sequence[str]) -> tuple[Finding, Finding]:
    """Attributes with one value for every customer (that has one), and attributes with a value per customer."""
    single: list[dict[str, Any]] = []
    unique: list[dict[str, Any]] = []
    if names:
        parts = ", ".join(f"count(DISTINCT {quote_ident(n)}), count({quote_ident(n)}), min({quote_ident(n)})"
                          for n in names)
        row = cur.execute(f"SELECT count(*), {parts} FROM customers").fetchone()
        assert row is not None
        customers = int(row[0])
        for i, name in enumerate(names):
            distinct, held, value = int(row[1 + 3 * i]), int(row[2 + 3 * i]), row[3 + 3 * i]
            facts = {"attribute": name, "distinct_values": distinct, "customers_with_value": held}
            if customers > 1 and distinct == 1:  # (an attribute nobody filled in is not judged)
                single.append({**facts, "value": value})
            elif held >= MIN_CUSTOMERS_FOR_UNIQUE and distinct == held:
                unique.append(facts)
    return (
        Finding(kind="attribute_single_value", severity="info", count=len(single),
                message=f"{len(single)} customer attributes have one value for every customer that has one"
                        + (": " + ", ".join(a["attribute"] for a in single) if single else ""),
                what_to_do="A breakdown by them has one row; fill them in the CRM export, or drop them with "
                           "`advokit attribute drop NAME`.",
                examples=tuple(single[:EXAMPLES])),
        Finding(kind="attribute_value_per_customer", severity="info", count=len(unique),
                message=f"{len(unique)} customer attributes hold a different value for every customer"
                        + (": " + ", ".join(a["attribute"] for a in unique) if unique else ""),
                what_to_do="An id or a free text is no segment (a breakdown by it has a row per customer); keep it "
                           "for the directory, or group it into a few values before importing.",
                examples=tuple(unique[:EXAMPLES])),
    )


# -- one import's rows -------------------------------------------------------------------------------
def batch_counts(cur: duckdb.DuckDBPyConnection, source_sql: str, params: Sequence[Any], now: dt.datetime, *,
                 span: tuple[Any, Any] | None = None) -> list[tuple[str, int, int, int, int]]:
    """(type, before signup, after churn, future, duplicate-looking) for the events ``source_sql`` selects.

    One query over those rows joined to their customers; the duplicate check probes the events table (only
    its rows from ``span[0]`` to ``span[1]``, the rows' earliest and latest time, when given).
    """
    twin = HAS_TWIN
    bounds: list[Any] = []
    if span is not None:
        twin = HAS_TWIN.replace("FROM events t WHERE", "FROM events t WHERE t.occurred_at BETWEEN ? AND ? AND")
        bounds = list(span)
    rows = cur.execute(f"""
        WITH e AS ({source_sql})
        SELECT e.type,
               count(*) FILTER (WHERE {BEFORE_SIGNUP}),
               count(*) FILTER (WHERE c.churned_at IS NOT NULL AND {AFTER_CHURN}),
               count(*) FILTER (WHERE e.occurred_at > ?),
               count(*) FILTER (WHERE {twin})
        FROM e LEFT JOIN customers c ON c.customer_id = e.customer_id
        GROUP BY e.type ORDER BY e.type""", [*params, now, *bounds]).fetchall()
    return [(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]
