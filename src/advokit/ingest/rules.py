"""The validation rules of the data contract as SQL expressions over a staging table.

The SQL text here is built only from this module's constants and column
names of the data contract: never from input values, which stay in tables.
Each rule yields one ``{column, value, reason}`` struct, its reason that of
its first failed check or NULL; a row's problems are the structs with a
reason. (One struct a rule rather than one a check keeps the SQL short:
parsing and binding it is most of the cost of validating a small batch.)
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import pyarrow as pa

from ..catalogue.model import EVENT_TYPES, MAX_YEAR, MIN_YEAR
from ..store.jsonvalues import DEPTH_REASON, MAX_PROPERTIES_BYTES, MAX_PROPERTIES_DEPTH, SIZE_REASON, nesting_regex

#: type -> (min, max, required) for scored event types
SCORE_RULES: dict[str, tuple[int, int, bool]] = {
    "nps_response": (0, 10, True),
    "csat_response": (1, 5, True),
    "advocacy_rating": (1, 5, True),
    "ces_response": (1, 7, True),
    "review": (1, 5, False),
}
POSITIVE_AMOUNT_TYPES = ("expansion", "contraction")
EVENT_FIELDS = ("event_id", "customer_id", "type", "occurred_at", "score", "amount", "text", "channel", "ref",
                "properties")
#: Staged columns that are not fields: the row number, and why a reader or a mapping could not read the row
#: (``_bad``: the reason; optional ``_bad_column`` / ``_bad_value``: the column and value it names).
STAGED_COLUMNS = ("_row", "_bad", "_bad_column", "_bad_value", "_line")
CUSTOMER_FIELDS = ("customer_id", "name", "email", "segment", "industry", "region", "plan", "signup_at",
                   "churned_at", "arr", "referred_by")
# Timestamps (occurred_at, signup_at, churned_at) must be finite, with a year from MIN_YEAR to MAX_YEAR
# (UTC, the data contract's calendar in ``catalogue.model``): periods, the KPI calendar and the API's date
# parameters exist only there.

#: Why a text value holding a NUL character is refused: files, API bodies and webhooks alike
#: (the API's request models give the same reason, ``advokit.api.schemas``).
NUL_REASON = "text must not contain NUL characters"
#: A normalised JSON text with an escaped NUL (``\\u0000`` not itself escaped), as a regular expression.
_JSON_NUL = r"(^|[^\\])(\\\\)*\\u0000"


def has_nul(text: str) -> bool:
    """Whether ``text`` holds a NUL character (the one rule of :data:`NUL_REASON`)."""
    return "\x00" in text


def q(name: str) -> str:
    """Quote an identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A SQL string literal of one of this module's constants."""
    return "'" + text.replace("'", "''") + "'"


def err(column: str | None, value_sql: str, reason_sql: str) -> str:
    col = lit(column) if column else "NULL"
    return (f"{{'column': CAST({col} AS VARCHAR), 'value': left(CAST({value_sql} AS VARCHAR), 200), "
            f"'reason': CAST({reason_sql} AS VARCHAR)}}")


def text_col(name: str, present: set[str]) -> str:
    """A column as trimmed text, empty meaning absent."""
    return f"NULLIF(trim(CAST({q(name)} AS VARCHAR)), '')" if name in present else "CAST(NULL AS VARCHAR)"


def timestamp_expr(raw: str, duck_type: str | None) -> str:
    """An input date/datetime column to naive UTC TIMESTAMP (NULL when unparseable)."""
    if duck_type is None:
        return "CAST(NULL AS TIMESTAMP)"
    t = duck_type.upper()
    if t.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"timezone('UTC', {raw})"
    if t.startswith("TIMESTAMP") or t == "DATE":
        return f"TRY_CAST({raw} AS TIMESTAMP)"
    # text: ISO 8601 date or datetime; a value without a zone is UTC (the session zone). DuckDB's
    # parser also reads words ('infinity', 'epoch'): ``time_whens`` rejects those rows
    return f"timezone('UTC', TRY_CAST(NULLIF(trim(CAST({raw} AS VARCHAR)), '') AS TIMESTAMPTZ))"


def out_of_range(ts: str) -> str:
    """SQL: a parsed timestamp outside the accepted range (the infinities included)."""
    return f"({ts} < TIMESTAMP '{MIN_YEAR}-01-01' OR {ts} >= TIMESTAMP '{MAX_YEAR + 1}-01-01')"


def time_whens(column: str, raw: str, ts: str, *, required: bool) -> list[tuple[str, str]]:
    """The checks of one timestamp field: present (if required), readable, within the range."""
    quoted = "'''' || " + raw + " || '''"
    whens = [(f"{raw} IS NULL", lit(column + " is required"))] if required else []
    unreadable = quoted + " is not an ISO 8601 date or datetime'"
    whens.append((f"{ts} IS NULL AND {raw} IS NOT NULL", unreadable))
    # DuckDB reads any two-digit offset (+99:99 as 99 h 99 min): an offset is hours 00-23, minutes 00-59
    text = f"trim(CAST({raw} AS VARCHAR))"
    offset = r"([+-])(\d{2})(:?(\d{2}))?$"
    whens.append((rf"regexp_matches({text}, '\d{{2}}:\d{{2}}(:\d{{2}}(\.\d+)?)?\s*{offset}') AND "
                  f"(coalesce(TRY_CAST(regexp_extract({text}, '{offset}', 2) AS INTEGER), 0) > 23 OR "
                  f"coalesce(TRY_CAST(NULLIF(regexp_extract({text}, '{offset}', 4), '') AS INTEGER), 0) > 59)",
                  quoted + " has an impossible UTC offset (hours 00–23, minutes 00–59)'"))
    whens.append((out_of_range(ts), quoted + " is out of range: dates must be finite, "
                                            f"with a year from {MIN_YEAR} to {MAX_YEAR} (UTC)'"))
    # a word DuckDB reads as a time ('epoch'...): ISO 8601 starts with the year's digits
    whens.append((f"ascii({raw}) NOT BETWEEN 48 AND 57", unreadable))
    return whens


def rule(column: str, value_sql: str, whens: list[tuple[str, str]]) -> str:
    """One rule: a problem struct whose reason is the first failed check's (NULL: the rule passes).

    The value shown is the field's input in every case (NULL when a required field is missing).
    """
    case = "CASE " + " ".join(f"WHEN {cond} THEN {reason}" for cond, reason in whens) + " END"
    return err(column, value_sql, case)


def number_expr(raw: str, duck_type: str | None) -> str:
    if duck_type is None:
        return "CAST(NULL AS DOUBLE)"
    return f"TRY_CAST(NULLIF(trim(CAST({raw} AS VARCHAR)), '') AS DOUBLE)"


def json_expr(raw: str, duck_type: str | None) -> str:
    if duck_type is None:
        return "CAST(NULL AS VARCHAR)"
    if duck_type.upper() in ("VARCHAR", "JSON"):
        return f"CAST(json(TRY_CAST(NULLIF(trim({raw}), '') AS JSON)) AS VARCHAR)"
    return f"CAST(to_json({raw}) AS VARCHAR)"


def bad_number(raw: str, num: str) -> str:
    return f"({raw} IS NOT NULL AND ({num} IS NULL OR isnan({num}) OR isinf({num})))"


def _bad_columns(present: set[str]) -> list[str]:
    """The SELECT items carrying ``_bad``, ``_bad_column`` and ``_bad_value`` (NULL where not staged)."""
    out = [name if name in present else f"CAST(NULL AS VARCHAR) AS {name}" for name in STAGED_COLUMNS[1:4]]
    # ``_line``: the line of the file a mapped record comes from (``advokit.mapping``), else the row number
    return [*out, "_line" if "_line" in present else "_row AS _line"]


def event_normalise_sql(types: dict[str, str]) -> str:
    """SELECT list turning the staged columns into typed, trimmed event fields."""
    present = set(types)
    raw_ts = text_col("occurred_at", present)
    parts = [
        "_row",
        *_bad_columns(present),
        f"{text_col('event_id', present)} AS event_id_raw",
        f"{text_col('customer_id', present)} AS customer_id",
        f"{text_col('type', present)} AS type",
        f"{raw_ts} AS occurred_raw",
        f"{timestamp_expr(q('occurred_at'), types.get('occurred_at'))} AS occurred_at",
        f"{text_col('score', present)} AS score_raw",
        f"{number_expr(q('score'), types.get('score'))} AS score",
        f"{text_col('amount', present)} AS amount_raw",
        f"{number_expr(q('amount'), types.get('amount'))} AS amount",
        f"{text_col('text', present)} AS text",
        f"{text_col('channel', present)} AS channel",
        f"{text_col('ref', present)} AS ref",
        f"{text_col('properties', present)} AS properties_raw",
        f"{json_expr(q('properties'), types.get('properties'))} AS properties",
    ]
    return ",\n  ".join(parts)


def _brackets(json_sql: str) -> str:
    """SQL: the brackets of a normalised JSON text, its strings removed (what ``nesting_regex`` reads)."""
    strings, others = lit(r'"(\\.|[^"\\])*"'), lit(r"[^\[\]{}]")
    return f"regexp_replace(regexp_replace({json_sql}, {strings}, '', 'g'), {others}, '', 'g')"


Rule = tuple[str, str, list[tuple[str, str]]]  # column, value shown, (check, reason) in order


def event_rules() -> list[Rule]:
    """The rules of a normalised event row (table alias ``n``, ``known`` flag)."""
    type_list = ", ".join(lit(t) for t in EVENT_TYPES)
    rules: list[Rule] = [
        ("type", "n.type", [
            ("n.type IS NULL", lit("type is required")),
            (f"n.type NOT IN ({type_list})", lit("unknown event type ") + " || '''' || n.type || '''' || "
             + lit(" (see the data contract for the event types)"))]),
        ("customer_id", "n.customer_id", [
            ("n.customer_id IS NULL AND coalesce(n.type, '') <> 'mention'",
             lit("customer_id is required (except for mention events)")),
            ("n.customer_id IS NOT NULL AND NOT n.known",
             lit("unknown customer ") + " || '''' || n.customer_id || '''' || " + lit(" (import the customer first)"))]),
        ("occurred_at", "n.occurred_raw",
         time_whens("occurred_at", "n.occurred_raw", "n.occurred_at", required=True)),
    ]
    score = [(bad_number("n.score_raw", "n.score"), lit("score must be a number"))]
    for t, (lo, hi, required) in SCORE_RULES.items():
        if required:
            score.append((f"n.type = {lit(t)} AND n.score_raw IS NULL", lit(f"score is required for {t}")))
        score.append((f"n.type = {lit(t)} AND n.score <> floor(n.score)", lit(f"score must be a whole number for {t}")))
        score.append((f"n.type = {lit(t)} AND (n.score < {lo} OR n.score > {hi})",
                      lit("score ") + " || n.score_raw || " + lit(f" is out of range {lo}–{hi} for {t}")))
    rules.append(("score", "n.score_raw", score))
    positive = ", ".join(lit(t) for t in POSITIVE_AMOUNT_TYPES)
    rules.append(("amount", "n.amount_raw", [
        (bad_number("n.amount_raw", "n.amount"), lit("amount must be a number")),
        ("n.amount < 0", lit("amount must not be negative")),
        (f"n.type IN ({positive}) AND n.amount IS NULL", "'amount is required for ' || n.type"),
        (f"n.type IN ({positive}) AND n.amount = 0", "'amount must be greater than 0 for ' || n.type")]))
    rules.append(("properties", "n.properties_raw", [
        ("n.properties_raw IS NOT NULL AND (n.properties IS NULL OR json_type(CAST(n.properties AS JSON)) <> 'OBJECT')",
         lit("properties must be a JSON object")),
        (f"NOT regexp_full_match({_brackets('n.properties')}, {lit(nesting_regex(MAX_PROPERTIES_DEPTH))})",
         lit(DEPTH_REASON)),
        (f"strlen(n.properties) > {MAX_PROPERTIES_BYTES}", lit(SIZE_REASON))]))
    rules.append(("ref", "n.ref", [
        ("n.type = 'follow_up' AND n.ref IS NULL",
         lit("ref is required for follow_up (the event_id of the answer followed up)"))]))
    return rules


#: The text fields of a normalised event row (field, SQL) that must hold no NUL character.
_EVENT_TEXTS = (("event_id", "n.event_id_raw"), ("customer_id", "n.customer_id"), ("type", "n.type"),
                ("text", "n.text"), ("channel", "n.channel"), ("ref", "n.ref"), ("properties", "n.properties_raw"))


def _nul_checks(texts: Sequence[tuple[str, str]], json_sql: str | None = None) -> list[tuple[str, str, str]]:
    """(field, value SQL, condition) of the NUL rule, in field order."""
    checks = [(name, sql, f"contains({sql}, chr(0))") for name, sql in texts]
    if json_sql is not None:  # an escaped NUL in properties is a NUL in the value the JSON holds
        checks.append(("properties", json_sql, f"regexp_matches({json_sql}, {lit(_JSON_NUL)})"))
    return checks


def first_rule(checks: Sequence[tuple[str, str, str]], reason_sql: str) -> str:
    """One problem struct naming the first of ``checks`` (field, value SQL, condition) that holds;
    its reason ``reason_sql`` (NULL: none holds)."""
    if not checks:
        return err(None, "NULL", "NULL")
    column = "CASE " + " ".join(f"WHEN {c} THEN {lit(name)}" for name, _, c in checks) + " END"
    value = "CASE " + " ".join(f"WHEN {c} THEN {sql}" for _, sql, c in checks) + " END"
    reason = "CASE WHEN " + " OR ".join(c for _, _, c in checks) + f" THEN {reason_sql} END"
    return (f"{{'column': CAST({column} AS VARCHAR), 'value': left(CAST({value} AS VARCHAR), 200), "
            f"'reason': CAST({reason} AS VARCHAR)}}")


def nul_rule(texts: Sequence[tuple[str, str]], json_sql: str | None = None) -> str:
    """One problem struct: the first field of ``texts`` holding a NUL character (NULL reason: none does)."""
    checks = [(name, f"replace({sql}, chr(0), '\\0')", c) for name, sql, c in _nul_checks(texts, json_sql)]
    return first_rule(checks, lit(NUL_REASON))


def attribute_rules(present: Sequence[str], over: Sequence[str], *, workspace_reason: Callable[[str], str],
                    record_limit: int, record_reason: str) -> list[str]:
    """The attribute limits of a normalised customer row: a value in a column ``over`` the workspace's
    limit (not stored), and more than ``record_limit`` values among the attribute columns ``present``."""
    out = []
    if over:
        reason = "CASE " + " ".join(f"WHEN n.{q(name)} IS NOT NULL THEN {lit(workspace_reason(name))}"
                                    for name in over) + " END"
        out.append(first_rule([(name, f"n.{q(name)}", f"n.{q(name)} IS NOT NULL") for name in over], reason))
    if len(present) > record_limit:
        count = " + ".join(f"CAST(n.{q(name)} IS NOT NULL AS INTEGER)" for name in present)
        names = "list_filter([" + ", ".join(f"CASE WHEN n.{q(name)} IS NOT NULL THEN {lit(name)} END"
                                            for name in present) + "], lambda _advokit_k: _advokit_k IS NOT NULL)"
        out.append(f"{{'column': CAST({names}[{record_limit + 1}] AS VARCHAR), "
                   f"'value': CAST(({count}) AS VARCHAR), "
                   f"'reason': CASE WHEN ({count}) > {record_limit} THEN {lit(record_reason + '; this row has ')} "
                   f"|| CAST(({count}) AS VARCHAR) END}}")
    return out


def event_errors_sql() -> str:
    """The list of problems of a normalised event row (table alias ``n``, ``known`` flag)."""
    return _problems([*(rule(*r) for r in event_rules()), nul_rule(_EVENT_TEXTS, "n.properties")])


def event_ok_sql() -> str:
    """Whether a normalised event row has no problem: exactly ``len(event_errors_sql()) = 0``,
    and cheaper to plan and run (no problem structs), so a batch builds those only for bad rows."""
    conds = [cond for _, _, whens in event_rules() for cond, _ in whens]
    conds += [c for _, _, c in _nul_checks(_EVENT_TEXTS, "n.properties")]
    checks = " OR ".join(f"coalesce({cond}, FALSE)" for cond in conds)
    return f"(n._bad IS NULL AND NOT ({checks}))"


def event_id_sql() -> str:
    """The idempotency key: the given event_id, else a hash of the row's normalised content."""
    content = ", ".join([
        "coalesce(n.customer_id, '')", "coalesce(n.type, '')",
        "coalesce(strftime(n.occurred_at, '%Y-%m-%dT%H:%M:%S.%f'), '')",
        "coalesce(CAST(n.score AS VARCHAR), '')", "coalesce(CAST(n.amount AS VARCHAR), '')",
        "coalesce(n.text, '')", "coalesce(n.channel, '')", "coalesce(n.ref, '')", "coalesce(n.properties, '')",
    ])
    return f"coalesce(n.event_id_raw, 'h' || md5(concat_ws(chr(31), {content})))"


def customer_normalise_sql(types: dict[str, str], extras: list[str]) -> str:
    present = set(types)
    parts = ["_row", *_bad_columns(present)]
    for name in ("customer_id", "name", "email", "segment", "industry", "region", "plan", "referred_by"):
        parts.append(f"{text_col(name, present)} AS {q(name)}")
    for name in ("signup_at", "churned_at"):
        parts.append(f"{text_col(name, present)} AS {q(name + '_raw')}")
        parts.append(f"{timestamp_expr(q(name), types.get(name))} AS {q(name)}")
    parts.append(f"{text_col('arr', present)} AS arr_raw")
    parts.append(f"{number_expr(q('arr'), types.get('arr'))} AS arr")
    for name in extras:
        parts.append(f"{text_col(name, present)} AS {q(name)}")
    return ",\n  ".join(parts)


def customer_errors_sql(extras: Sequence[str] = (), limits: Sequence[str] = ()) -> str:
    """The list of problems of a normalised customer row (table alias ``n``); ``extras``: its attribute columns;
    ``limits``: the :func:`attribute_rules` of the import."""
    texts = [(name, f"n.{q(name)}") for name in (*_CUSTOMER_TEXTS, *extras)]
    rules = [
        rule("customer_id", "n.customer_id", [("n.customer_id IS NULL", lit("customer_id is required"))]),
        rule("signup_at", "n.signup_at_raw",
             time_whens("signup_at", "n.signup_at_raw", "n.signup_at", required=True)),
        rule("churned_at", "n.churned_at_raw", [
            *time_whens("churned_at", "n.churned_at_raw", "n.churned_at", required=False),
            ("n.churned_at < n.signup_at", lit("churned_at precedes signup_at"))]),
        rule("arr", "n.arr_raw", [(bad_number("n.arr_raw", "n.arr"), lit("arr must be a number")),
                                  ("n.arr < 0", lit("arr must not be negative"))]),
        nul_rule(texts),
        *limits,
    ]
    return _problems(rules)


_CUSTOMER_TEXTS = ("customer_id", "name", "email", "segment", "industry", "region", "plan", "referred_by")


def _problems(rules: list[str]) -> str:
    """A row's problems: why it could not be read at all, else every failed rule."""
    checks = "list_filter([\n  " + ",\n  ".join(rules) + "\n], lambda _advokit_p: _advokit_p.reason IS NOT NULL)"
    unread = ("{'column': CAST(n._bad_column AS VARCHAR), 'value': left(CAST(n._bad_value AS VARCHAR), 200), "
              "'reason': CAST(n._bad AS VARCHAR)}")
    return f"CASE WHEN n._bad IS NOT NULL THEN [{unread}] ELSE {checks} END"


# -- the fast path: batches that are certainly valid -------------------------------------------
#
# The SQL above is the definition of the rules. Validating a batch of 1,000 events
# with it costs about 10 ms, nearly all of it DuckDB parsing, binding and planning
# the rule expressions (the rows themselves cost little): most of what an API
# server spends on a batch. ``fast_events`` reads the common, canonical case in
# Python instead: it answers "every row is valid, and here are the normalised
# values the SQL would give", or None ("not sure"), and then the importer runs the
# SQL as always. It is deliberately narrow (no stray whitespace, ISO 8601 in one
# spelling, numbers as numbers, no ``properties``, every ``event_id`` given), it
# reads the same constants as the SQL (EVENT_TYPES, SCORE_RULES,
# POSITIVE_AMOUNT_TYPES, MIN_YEAR / MAX_YEAR), and it may only ever accept what the
# SQL accepts, with the same values: tests/test_ingest_fast.py checks that against
# the SQL on generated valid and invalid rows. A rule changed above must be
# changed in ``fast_events`` too (or ``fast_events`` made to answer None for it).

#: The one spelling of a timestamp read here: a date, or a date and time (seconds and up to
#: six decimals optional) with ``Z``, an offset ``+hh:mm`` or no zone (UTC).
_FAST_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
                        r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?)?")
_LOW = dt.datetime(MIN_YEAR, 1, 1)
_HIGH = dt.datetime(MAX_YEAR + 1, 1, 1)
_EVENT_TYPE_SET = frozenset(EVENT_TYPES)
_FIELD_SET = frozenset(EVENT_FIELDS)


@dataclass
class FastEvents:
    """A batch of events that passed every rule, normalised exactly as the SQL would (by column)."""

    event_id: list[str]
    customer_id: list[str | None]
    type: list[str]
    occurred_at: list[dt.datetime]
    score: list[float | None]
    amount: list[float | None]
    text: list[str | None]
    channel: list[str | None]
    ref: list[str | None]
    _arrow: pa.Table | None = field(default=None, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.event_id)

    def arrow(self) -> pa.Table:
        """The events as the typed columns of the ``events`` table (made once; callers may make it early,
        e.g. before a lock: it costs about 1.5 ms a 1,000 events)."""
        if self._arrow is None:
            text = pa.string()
            self._arrow = pa.table({
                "event_id": pa.array(self.event_id, text), "customer_id": pa.array(self.customer_id, text),
                "type": pa.array(self.type, text), "occurred_at": pa.array(self.occurred_at, pa.timestamp("us")),
                "score": pa.array(self.score, pa.float64()), "amount": pa.array(self.amount, pa.float64()),
                "text": pa.array(self.text, text), "channel": pa.array(self.channel, text),
                "ref": pa.array(self.ref, text), "properties": pa.nulls(len(self.event_id), text)})
        return self._arrow

    def times(self) -> pa.ChunkedArray:
        """``occurred_at`` as Arrow timestamps."""
        return self.arrow()["occurred_at"]

    @classmethod
    def concat(cls, parts: list["FastEvents"]) -> "FastEvents":
        out = cls(*([x for p in parts for x in getattr(p, f.name)] for f in fields(cls) if f.init))
        if all(p._arrow is not None for p in parts):  # (each made before the lock: joined, not made again)
            out._arrow = pa.concat_tables([p.arrow() for p in parts])
        return out


def fast_events(records: Sequence[Any]) -> FastEvents | None:
    """Every record normalised, when each one certainly passes every rule above; else None (the SQL decides).

    One pass that builds the columns, with the checks written out (a function call a field
    would be a third of the cost): an absent field or '' is NULL; text with stray whitespace,
    a number that is not a JSON number within ±1e15, a time not in one canonical ISO 8601
    spelling, a missing ``event_id``, ``properties`` (JSON normalisation is DuckDB's) or any
    rule not certainly met (a NUL character in a text) sends the whole batch to the SQL.
    """
    if not records:
        return None
    cols: tuple[list[Any], ...] = ([], [], [], [], [], [], [], [], [])
    event_ids, customer_ids, types, times, scores, amounts, texts, channels, refs = cols
    fields_ok, type_ok, fullmatch = _FIELD_SET.issuperset, _EVENT_TYPE_SET.__contains__, _FAST_TIME.fullmatch
    fromiso, utc, low, high = dt.datetime.fromisoformat, dt.timezone.utc, _LOW, _HIGH
    score_rules, floor = SCORE_RULES.get, math.floor
    for r in records:
        if type(r) is not dict or not fields_ok(r):
            return None
        get = r.get
        event_id = get("event_id")  # required here (without one, its content hash is the SQL's)
        if type(event_id) is not str or not event_id or event_id.strip() != event_id or "\x00" in event_id:
            return None  # (DuckDB's trim removes a subset of str.isspace: stray whitespace is not read here)
        customer_id = get("customer_id")
        if customer_id is None or customer_id == "":
            customer_id = None
        elif type(customer_id) is not str or customer_id.strip() != customer_id or "\x00" in customer_id:
            return None
        typ = get("type")
        if type(typ) is not str or not type_ok(typ):  # (an event type has no whitespace)
            return None
        if customer_id is None and typ != "mention":  # (known customers: the importer checks them)
            return None
        if get("properties") is not None:
            return None
        text, channel, ref = get("text"), get("channel"), get("ref")
        if text is not None:
            if text == "":
                text = None
            elif type(text) is not str or text.strip() != text or "\x00" in text:
                return None
        if channel is not None:
            if channel == "":
                channel = None
            elif type(channel) is not str or channel.strip() != channel or "\x00" in channel:
                return None
        if ref is not None:
            if ref == "":
                ref = None
            elif type(ref) is not str or ref.strip() != ref or "\x00" in ref:
                return None
        score, amount = get("score"), get("amount")
        if score is not None:
            if type(score) not in (int, float) or not -1e15 < score < 1e15:  # bool excluded; NaN fails
                return None
            score = float(score) + 0.0  # -0.0 reaches the SQL as the text "0" (advokit.ingest.batches._text)
        if amount is not None:
            if type(amount) not in (int, float) or not -1e15 < amount < 1e15:
                return None
            amount = float(amount) + 0.0
        when = get("occurred_at")
        if type(when) is not str or not fullmatch(when):
            return None
        try:
            if when[-1] == "Z":
                t = fromiso(when[:-1])
            else:
                t = fromiso(when)
                if t.tzinfo is not None:
                    t = t.astimezone(utc).replace(tzinfo=None)
        except (ValueError, OverflowError):
            return None
        if not low <= t < high:
            return None
        bounds = score_rules(typ)
        if bounds is not None:
            if score is None:
                if bounds[2]:  # required
                    return None
            elif score != floor(score) or not bounds[0] <= score <= bounds[1]:
                return None
        if amount is not None and amount < 0:
            return None
        if typ in POSITIVE_AMOUNT_TYPES and not amount:  # required and > 0
            return None
        if typ == "follow_up" and ref is None:
            return None
        event_ids.append(event_id)
        customer_ids.append(customer_id)
        types.append(typ)
        times.append(t)
        scores.append(score)
        amounts.append(amount)
        texts.append(text)
        channels.append(channel)
        refs.append(ref)
    return FastEvents(*cols)
