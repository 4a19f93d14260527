"""A mapping resolved against one file: which column each field reads, said in words.

Resolving happens once, on the header, before any row is read: a required
field with no column is an error naming the closest columns of the file and
the ``--set`` that would use one; a question found by its text is reported
with the column chosen and the others that matched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import DataError
from ..ingest.nearmiss import suggest
from .spec import REQUIRED, Candidate, Condition, FieldSpec, MappingError, MappingSpec, RecordSpec
from .table import RawTable


@dataclass(frozen=True)
class BoundCondition:
    condition: Condition
    index: int | None  # None: the file has no such column (passes when if_present)


@dataclass(frozen=True)
class BoundField:
    spec: FieldSpec
    #: (column position, normalisation) of each column read, in order
    columns: tuple[tuple[int, str | None], ...] = ()
    constant: str | None = None
    when: tuple[BoundCondition, ...] = ()
    found_by: str = ""  # "column", "question", "set", "value"
    also_matched: tuple[str, ...] = ()


@dataclass(frozen=True)
class BoundRecord:
    spec: RecordSpec
    fields: tuple[BoundField, ...]
    rows: tuple[BoundCondition, ...]


@dataclass
class Plan:
    """What an import of this file with this mapping will do."""

    mapping: MappingSpec
    table: RawTable
    records: list[BoundRecord]
    rows: list[BoundCondition]
    as_of: dt.date | None
    timezone: str | None
    header_zone: str | None
    dropped: dict[str, str] = field(default_factory=dict)  # record → why it is not made from this file
    sets: dict[str, str] = field(default_factory=dict)
    detected: dict[str, Any] | None = None  # ``--preset auto``: the match it chose

    def describe(self) -> dict[str, Any]:
        """The mapping used, for people (``--dry-run``, ``--preset auto``) and the JSON report."""
        cols = self.table.columns
        records = []
        for record in self.records:
            fields = {}
            for f in record.fields:
                if f.constant is not None:
                    source = f"= {f.constant!r}" + (" (the file has no such column)" if f.found_by == "default" else "")
                elif f.columns:
                    joined = f" joined by {f.spec.join!r}" if f.spec.join is not None else ""
                    source = (" else ".join(repr(cols[i]) for i, _ in f.columns) if f.spec.join is None
                              else " + ".join(repr(cols[i]) for i, _ in f.columns) + joined)
                    if f.found_by == "question":
                        source += " (found by its question text)"
                        if f.also_matched:
                            source += "; also matched: " + ", ".join(repr(c) for c in f.also_matched)
                    elif f.found_by == "set":
                        source += " (--set)"
                else:
                    continue
                fields[f.spec.name] = source
            records.append({"record": record.spec.name, "fields": fields,
                            "rows": [c.condition.describe() for c in record.rows]})
        questions = {f"{r.spec.name}.{f.spec.name}": {"column": cols[f.columns[0][0]],
                                                      "text": self.table.header_text[f.columns[0][0]],
                                                      "also_matched": list(f.also_matched)}
                     for r in self.records for f in r.fields if f.found_by == "question"}
        return {"mapping": self.mapping.name, "title": self.mapping.title, "imports": self.mapping.imports,
                "confirmed": self.mapping.confirmed, "records": records, "questions": questions,
                "not_mapped": dict(self.dropped), "rows": [c.condition.describe() for c in self.rows],
                "as_of": None if self.as_of is None else self.as_of.isoformat(),
                "timezone": self.timezone or self.header_zone or "UTC"}


def _bind_condition(table: RawTable, cond: Condition, where: str) -> BoundCondition:
    index = table.index(cond.column)
    if index is None and not cond.if_present:
        raise DataError(f"{table.name}: {where}: the file has no column {cond.column!r}",
                           hint=_closest_hint(table, cond.column))
    return BoundCondition(cond, index)


def _closest_hint(table: RawTable, column: str) -> str:
    near = suggest(column, table.columns)
    return ("closest in the file: " + ", ".join(repr(c) for c in near)) if near else \
        "its columns: " + ", ".join(repr(c) for c in table.columns[:20])


def _question(table: RawTable, words: tuple[str, ...], claimed: set[int]) -> list[int]:
    wanted = [w.casefold() for w in words]
    hits = []
    for i, text in enumerate(table.header_text):
        if i in claimed:
            continue
        folded = text.casefold()
        if any(w in folded for w in wanted):
            hits.append(i)
    return hits


def bind(mapping: MappingSpec, table: RawTable, *, sets: dict[str, str] | None = None,
         as_of: dt.date | None = None, timezone: str | None = None) -> Plan:
    """Resolve ``mapping`` (with ``--set`` overrides) against the header of ``table``."""
    sets = dict(sets or {})
    set_keys: set[tuple[str, str]] = set()
    for key, column in sets.items():
        head, dot, rest = key.partition(".")
        record_name, name = (head, rest) if dot and any(r.name == head for r in mapping.records) else ("", key)
        if dot and not record_name and head != "properties":
            raise MappingError(f"--set {key}={column}: the mapping has no record {head!r}",
                               hint="its records: " + ", ".join(r.name for r in mapping.records))
        spec_field = None
        target = next((r for r in mapping.records if r.name == record_name), None) if record_name else \
            next((r for r in mapping.records if r.field(name) is not None), mapping.records[0])
        if target is not None:
            spec_field = target.field(name)
        if table.index(column) is None:
            raise MappingError(f"--set {key}={column}: {table.name} has no column {column!r}",
                               hint=_closest_hint(table, column))
        base = spec_field or FieldSpec(name=name)
        normalise = base.normalise
        set_keys.add((target.name if target is not None else mapping.records[0].name, name))
        mapping = mapping.with_field(record_name or None, replace(
            base, candidates=(Candidate(column, normalise),), question=(), value=None, join=None, optional=False))
    kind = mapping.imports
    required = set(REQUIRED[kind]) | ({"occurred_at"} if kind == "events" and not mapping.is_snapshot else set())
    if mapping.is_snapshot and as_of is None:
        raise MappingError(f"{table.name}: the mapping {mapping.name!r} reads no event dates (a snapshot): "
                           "pass --as-of DATE, the day the export was taken",
                           hint="advokit never invents a date for a snapshot")
    header_zone = next((m.get("timeZone") for m in table.meta if isinstance(m.get("timeZone"), str)), None)
    claimed: set[int] = set()
    records: list[BoundRecord] = []
    dropped: dict[str, str] = {}
    for record in mapping.records:
        bound: list[BoundField] = []
        missing: list[str] = []
        for f in record.fields:
            found = _bind_field(table, f, claimed, mapping.imports)
            if found is None:
                if f.name in required:
                    missing.append(f.name)
                elif not f.optional and f.name != "event_id" and f.reads_file:
                    missing.append(f.name)
                continue
            if (record.name, f.name) in set_keys:
                found = replace(found, found_by="set")
            bound.append(found)
        have = {b.spec.name for b in bound}
        missing += [name for name in sorted(required) if name not in have and name not in missing
                    and record.field(name) is None]
        if missing:
            if record.optional:
                dropped[record.name] = "the file has no column for " + ", ".join(missing)
                continue
            raise _missing_error(table, mapping, record, missing, len(mapping.records) > 1)
        if kind == "events" and "count" in have and record.snapshot != "count":
            raise MappingError(f"{mapping.origin}: record {record.name}: `count` needs snapshot: count")
        absent = [c.column for c in record.rows if not c.if_present and table.index(c.column) is None]
        if absent and record.optional:
            dropped[record.name] = "the file has no column " + ", ".join(repr(c) for c in absent)
            continue
        rows = tuple(_bind_condition(table, c, f"records.{record.name}.rows") for c in record.rows)
        records.append(BoundRecord(record, tuple(bound), rows))
    if not records:
        raise DataError(f"{table.name}: nothing in the file matches the mapping {mapping.name!r}: "
                           + "; ".join(f"{k}: {v}" for k, v in dropped.items()),
                           hint="name the columns with --set FIELD=COLUMN (e.g. --set score=Q7)")
    kept = [_bind_condition(table, c, "rows") for c in mapping.rows]
    return Plan(mapping, table, records, kept, as_of, timezone, header_zone, dropped, sets)


def _bind_field(table: RawTable, f: FieldSpec, claimed: set[int], kind: str) -> BoundField | None:
    when = tuple(_bind_condition(table, c, f"{f.name}.when") for c in f.when)
    if f.value is not None:
        return BoundField(f, constant=f.value, when=when, found_by="value")
    if f.question:
        hits = _question(table, f.question, claimed)
        if not hits:
            if f.default is not None:
                return BoundField(f, constant=f.default, when=when, found_by="default")
            return None
        claimed.add(hits[0])
        return BoundField(f, columns=((hits[0], f.normalise),), when=when, found_by="question",
                          also_matched=tuple(table.columns[i] for i in hits[1:4]))
    columns = tuple((i, c.normalise) for c in f.candidates if (i := table.index(c.column)) is not None)
    if not columns:
        if f.default is not None:
            return BoundField(f, constant=f.default, when=when, found_by="default")
        return None
    return BoundField(f, columns=columns, when=when, found_by="column")


def _missing_error(table: RawTable, mapping: MappingSpec, record: RecordSpec, missing: list[str],
                   named: bool) -> DataError:
    parts, sets = [], []
    for name in missing:
        spec = record.field(name)
        looked = ""
        if spec is not None and spec.candidates:
            looked = " (looked for " + ", ".join(repr(c.column) for c in spec.candidates) + ")"
        elif spec is not None and spec.question:
            looked = " (looked for a question with " + ", ".join(repr(w) for w in spec.question) + ")"
        near = suggest(spec.candidates[0].column if spec is not None and spec.candidates else name, table.columns)
        if not near:
            near = suggest(name, table.columns)
        parts.append(f"{name}{looked}" + (f"; closest in the file: {', '.join(repr(c) for c in near)}" if near else ""))
        key = f"{record.name}.{name}" if named and record is not mapping.records[0] else name
        sets.append(f"--set {key}={_quoted(near[0])}" if near else f"--set {key}=COLUMN")
    return DataError(
        f"{table.name}: no column for {'; '.join(parts)}",
        hint="name the column with " + " ".join(sets),
        details={"missing": missing, "columns": table.columns[:200]})


def _quoted(column: str) -> str:
    return f'"{column}"' if any(ch in column for ch in " ()#?&;'") else column
