"""Rows of an export through a resolved mapping: canonical records, ready for the one importer.

A record keeps the file's line (``_line``) so that every reject names the
line a person sees in the file; a cell the mapping cannot convert makes the
record carry ``_bad`` / ``_bad_column`` / ``_bad_value``, and the importer
rejects it with that reason, like any other invalid row. Rows that the
mapping leaves out on purpose (a filter, an unanswered question) are counted
as skipped, by reason.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ..ingest.readers import Source
from .convert import CellError, convert, normalised
from .plan import BoundCondition, BoundField, BoundRecord, Plan

BATCH = 50_000
#: why a row gave no record (the report's ``skipped`` counts)
FILTERED, UNANSWERED, UNCHANGED = "filtered", "unanswered", "unchanged"


def _folded(cell: str | None) -> str:
    return "" if cell is None else cell.strip().casefold()


def passes(cond: BoundCondition, cells: list[str | None]) -> bool:
    if cond.index is None:
        return True  # (bound only when the condition allows a file without the column)
    value = _folded(cells[cond.index] if cond.index < len(cells) else None)
    c = cond.condition
    if c.within is not None:
        return value in {v.strip().casefold() for v in c.within}
    if c.not_within is not None:
        return value not in {v.strip().casefold() for v in c.not_within}
    return bool(value) == bool(c.present)


def minus_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Problem:
    column: str
    value: str | None
    reason: str


@dataclass
class Mapper:
    """Applies a plan row by row; ``skipped`` and ``made`` count as it goes."""

    plan: Plan
    skipped: Counter[str] = field(default_factory=Counter)
    made: Counter[str] = field(default_factory=Counter)
    rows_read: int = 0
    _constants: dict[int, str | None] = field(default_factory=dict)

    def field_names(self) -> list[str]:
        names: list[str] = []
        for record in self.plan.records:
            for f in record.fields:
                name = "properties" if f.spec.name.startswith("properties.") else f.spec.name
                if name == "count":
                    continue
                if name not in names:
                    names.append(name)
        if self.plan.mapping.imports == "events":
            for name in ("event_id", "occurred_at") if self.plan.mapping.is_snapshot else ():
                if name not in names:
                    names.append(name)
            if self.plan.mapping.is_snapshot and "properties" not in names:
                names.append("properties")
        return names

    def _cell(self, f: BoundField, cells: list[str | None]) -> tuple[str | None, str, str | None]:
        """(raw text, the column it came from, normalised text) of one field in one row."""
        columns = self.plan.table.columns
        if f.spec.join is not None:
            parts = [normalised(cell, how) for i, how in f.columns
                     if i < len(cells) and (cell := cells[i]) is not None and cell]
            raw = f.spec.join.join(p for p in parts if p) or None
            return raw, " + ".join(columns[i] for i, _ in f.columns), raw
        for i, how in f.columns:
            cell = cells[i] if i < len(cells) else None
            if cell is not None and cell.strip():
                return cell, columns[i], normalised(cell, how)
        return None, columns[f.columns[0][0]], None

    def _value(self, f: BoundField, cells: list[str | None]) -> tuple[str | None, Problem | None]:
        if f.when and not all(passes(c, cells) for c in f.when):
            return None, None
        as_of = self.plan.as_of
        if f.found_by == "default":
            return f.constant, None
        if f.constant is not None:  # (the same for every row: converted once)
            key = id(f)
            if key not in self._constants:
                constant = f.constant.replace("{as_of}", as_of.isoformat()) if as_of is not None else f.constant
                self._constants[key] = convert(f.spec, constant)
            return self._constants[key], None
        raw, column, text = self._cell(f, cells)
        if text is None:
            return f.spec.default, None
        try:
            if f.spec.months_before_as_of:
                assert as_of is not None  # (bind refuses such a mapping without --as-of)
                months = float(text)
                if months < 0 or months != int(months) or months > 12 * 200:
                    raise CellError(f"{text!r} is not a number of months")
                return minus_months(as_of, int(months)).isoformat(), None
            return convert(f.spec, text, tz_override=self.plan.timezone, header_zone=self.plan.header_zone), None
        except CellError as exc:
            return None, Problem(column, raw, f"{f.spec.name}: {exc}")

    def records(self) -> Iterator[dict[str, Any]]:
        """Every canonical record of the file, in file order."""
        plan = self.plan
        snapshot = plan.mapping.is_snapshot
        for line, cells in plan.table.rows:
            self.rows_read += 1
            if not all(passes(c, cells) for c in plan.rows):
                self.skipped[FILTERED] += 1
                continue
            made = unanswered = 0
            memo: dict[tuple[int, tuple[tuple[int, str | None], ...]], tuple[str | None, Problem | None]] = {}
            for record in plan.records:
                if not all(passes(c, cells) for c in record.rows):
                    continue
                out = self._record(record, cells, line, snapshot, memo)
                if out is None:
                    unanswered += 1
                    continue
                for one in out:
                    made += 1
                    self.made[record.spec.name] += 1
                    yield one
            if not made:
                self.skipped[UNANSWERED if unanswered else FILTERED] += 1

    def _record(self, record: BoundRecord, cells: list[str | None], line: int, snapshot: bool,
                memo: dict[tuple[int, tuple[tuple[int, str | None], ...]], tuple[str | None, Problem | None]]
                ) -> list[dict[str, Any]] | None:
        values: dict[str, str | None] = {}
        props: dict[str, Any] = {}
        problems: list[Problem] = []
        troubled: set[str] = set()
        for f in record.fields:
            shared = (id(f.spec), f.columns)  # a field the records share is read once per row
            found = memo.get(shared)
            if found is None:
                found = memo[shared] = self._value(f, cells)
            value, problem = found
            if problem is not None:
                problems.append(problem)
                troubled.add(f.spec.name)
            name = f.spec.name
            if name.startswith("properties."):
                if value is not None:
                    props[name[len("properties."):]] = value
            else:
                values[name] = value
        if record.spec.skip_if_empty and all(
                values.get(n) is None and n not in troubled for n in record.spec.skip_if_empty):
            return None
        raw_props = values.pop("properties", None)
        if raw_props is not None:
            try:
                given = json.loads(raw_props)
            except ValueError:
                given = None
            if not isinstance(given, dict):
                problems.append(Problem("properties", raw_props, "properties must be a JSON object"))
            else:
                props = {**given, **props}
        count = values.pop("count", None)
        if snapshot:
            name = f"{self.plan.mapping.name}:{record.spec.name}"
            props["snapshot"] = name
            assert self.plan.as_of is not None
            values["occurred_at"] = self.plan.as_of.isoformat()
            props["as_of"] = self.plan.as_of.isoformat()
        if props or "properties" in self.field_names():
            values["properties"] = json.dumps(props, ensure_ascii=False, separators=(",", ":")) if props else None
        base: dict[str, Any] = {**values, "_line": line, "_bad": None, "_bad_column": None, "_bad_value": None}
        if problems:
            first = problems[0]
            reason = "; ".join(p.reason for p in problems)
            base.update(_bad=reason, _bad_column=first.column, _bad_value=first.value)
            return [base]
        if not snapshot:
            return [base]
        customer = values.get("customer_id") or ""
        key = f"{self.plan.mapping.name}:{record.spec.name}:{customer}"
        if record.spec.snapshot == "count":
            if count is None:
                return None
            try:
                n = float(count)
            except ValueError:
                n = -1.0
            if n < 0 or n != int(n) or n > 100_000:
                base.update(_bad=f"count: {count!r} is not a whole number of events", _bad_column="count",
                            _bad_value=count)
                return [base]
            return [{**base, "event_id": f"{key}:{k}"} for k in range(1, int(n) + 1)] or None
        assert self.plan.as_of is not None
        return [{**base, "event_id": f"{key}:{self.plan.as_of.isoformat()}"}]


def to_source(mapper: Mapper, records: Iterator[dict[str, Any]], name: str) -> Source:
    """The records as an importer ``Source`` (``_row`` a running number, ``_line`` the file's line)."""
    names = mapper.field_names()
    columns = [*names, "_line", "_bad", "_bad_column", "_bad_value"]

    def batches() -> Iterator[pa.RecordBatch]:
        chunk: list[dict[str, Any]] = []
        row = 1
        for rec in records:
            chunk.append(rec)
            if len(chunk) >= BATCH:
                yield _batch(chunk, columns, row)
                row += len(chunk)
                chunk = []
        if chunk:
            yield _batch(chunk, columns, row)

    return Source(name, [*names, "_line", "_bad", "_bad_column", "_bad_value"], None, batches())


def _batch(chunk: list[dict[str, Any]], columns: list[str], start: int) -> pa.RecordBatch:
    arrays = [pa.array([r.get(c) for r in chunk], pa.int64() if c == "_line" else pa.string()) for c in columns]
    arrays.append(pa.array(range(start, start + len(chunk)), pa.int64()))
    return pa.RecordBatch.from_arrays(arrays, names=[*columns, "_row"])
