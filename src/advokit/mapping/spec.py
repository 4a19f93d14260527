"""The mapping file (version 1): what it may say, read and checked once.

A mapping file tells the importer how an export of another tool becomes
canonical customers or events (docs/importing.md has the format with
examples). The presets are mapping files shipped in ``presets/``. Reading a
file checks every key, so a typo is an error naming its place, never a field
that is silently ignored.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from ..errors import InvalidArgumentError

Kind = Literal["customers", "events"]
VERSION = 1
EVENT_FIELDS = ("event_id", "customer_id", "type", "occurred_at", "score", "amount", "text", "channel", "ref")
CUSTOMER_FIELDS = ("customer_id", "name", "email", "segment", "industry", "region", "plan", "signup_at",
                   "churned_at", "arr", "referred_by")
REQUIRED: dict[str, tuple[str, ...]] = {"customers": ("customer_id", "signup_at"),
                                        "events": ("customer_id", "type")}
DATE_FIELDS = {"occurred_at", "signup_at", "churned_at"}
NORMALISE = ("email", "lower", "upper", "trim")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class MappingError(InvalidArgumentError):
    """A mapping file (or a ``--set``) that cannot be used, naming the place of the problem."""


@dataclass(frozen=True)
class Candidate:
    """One column a field may read, with its own normalisation."""

    column: str
    normalise: str | None = None


@dataclass(frozen=True)
class Condition:
    """A test on one column of a row (values compared trimmed and case-folded)."""

    column: str
    within: tuple[str, ...] | None = None
    not_within: tuple[str, ...] | None = None
    present: bool | None = None
    if_present: bool = False

    def describe(self) -> str:
        if self.within is not None:
            test = "is one of " + ", ".join(repr(v) for v in self.within)
        elif self.not_within is not None:
            test = "is not one of " + ", ".join(repr(v) for v in self.not_within)
        else:
            test = "is filled in" if self.present else "is empty"
        return f"{self.column} {test}" + (" (when the file has it)" if self.if_present else "")


@dataclass(frozen=True)
class Rescale:
    source: tuple[float, float]
    target: tuple[float, float]
    round: bool = True


@dataclass(frozen=True)
class FieldSpec:
    """How one canonical field is read from a row."""

    name: str
    candidates: tuple[Candidate, ...] = ()
    join: str | None = None  # set: every candidate present is joined (else the first non-empty wins)
    question: tuple[str, ...] = ()
    value: str | None = None
    optional: bool = False
    prefix: str = ""
    suffix: str = ""
    normalise: str | None = None
    values: tuple[tuple[str, str], ...] = ()
    other: Literal["keep", "reject"] = "keep"
    formats: tuple[str, ...] = ()
    timezone: str | None = None
    rescale: Rescale | None = None
    leading_number: bool = False
    when: tuple[Condition, ...] = ()
    months_before_as_of: bool = False
    default: str | None = None  # the value when the cell is empty or the file lacks the column

    @property
    def reads_file(self) -> bool:
        return bool(self.candidates or self.question)


@dataclass(frozen=True)
class RecordSpec:
    """One canonical record made from each row (a survey row may give an NPS and a CSAT answer)."""

    name: str
    fields: tuple[FieldSpec, ...]
    optional: bool = False
    skip_if_empty: tuple[str, ...] = ()
    rows: tuple[Condition, ...] = ()
    snapshot: Literal["value", "count"] = "value"

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class SourceSpec:
    """The header: how many lines it has (names first; questions search them all) and which holds JSON."""

    header_rows: int = 1
    meta_row: int | None = None


@dataclass(frozen=True)
class MappingSpec:
    name: str
    imports: Kind
    title: str = ""
    confirmed: bool = True
    notes: str = ""
    source: SourceSpec = field(default_factory=SourceSpec)
    detect: tuple[str, ...] = ()
    rows: tuple[Condition, ...] = ()
    records: tuple[RecordSpec, ...] = ()
    origin: str = ""  # where it was read from (a preset's name, a file path)

    @property
    def is_snapshot(self) -> bool:
        """An events mapping with no event dates: the records are dated by ``--as-of``."""
        return self.imports == "events" and not any(r.field("occurred_at") for r in self.records)

    def columns_read(self) -> list[str]:
        """Every column name the mapping names (for ``advokit import presets``), in order."""
        seen: list[str] = []
        for cond in self.rows:
            _add(seen, cond.column)
        for record in self.records:
            for cond in record.rows:
                _add(seen, cond.column)
            for f in record.fields:
                for c in f.candidates:
                    _add(seen, c.column)
                for cond in f.when:
                    _add(seen, cond.column)
        return seen

    def questions(self) -> dict[str, tuple[str, ...]]:
        """Each ``record.field`` found by its question text, with the words it looks for."""
        return {f"{r.name}.{f.name}": f.question for r in self.records for f in r.fields if f.question}

    def with_field(self, record: str | None, spec: FieldSpec) -> MappingSpec:
        """A copy with one field replaced (``--set``): in the named record, else in the first one having it."""
        records = list(self.records)
        index = _record_index(self, record, spec.name)
        target = records[index]
        kept = [f for f in target.fields if f.name != spec.name]
        records[index] = replace(target, fields=(*kept, spec))
        return replace(self, records=tuple(records))


def _add(seen: list[str], name: str) -> None:
    if name not in seen:
        seen.append(name)


def _record_index(spec: MappingSpec, record: str | None, field_name: str) -> int:
    if record is not None:
        for i, r in enumerate(spec.records):
            if r.name == record:
                return i
        raise MappingError(f"--set {record}.{field_name}: the mapping has no record {record!r}",
                           hint="its records: " + ", ".join(r.name for r in spec.records))
    for i, r in enumerate(spec.records):
        if r.field(field_name) is not None:
            return i
    return 0


# -- reading ----------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, message: str) -> MappingError:
        return MappingError(f"{self.origin}: {where}: {message}",
                            hint="the mapping format is described in docs/importing.md")

    def obj(self, value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a mapping of keys to values")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(allowed))})")
        return value

    def text(self, value: Any, where: str) -> str:
        if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
            raise self.fail(where, "must be a text")
        return str(value)

    def texts(self, value: Any, where: str) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        out = tuple(self.text(v, where) for v in items)
        if not out:
            raise self.fail(where, "must name at least one value")
        return out

    def flag(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, "must be true or false")
        return value

    def integer(self, value: Any, where: str, low: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(where, f"must be a whole number of at least {low}")
        return value

    def condition(self, value: Any, where: str) -> Condition:
        body = self.obj(value, where, {"column", "in", "not_in", "present", "if_present"})
        if "column" not in body:
            raise self.fail(where, "needs a column")
        tests = [k for k in ("in", "not_in", "present") if k in body]
        if len(tests) != 1:
            raise self.fail(where, "needs exactly one of in, not_in, present")
        return Condition(
            column=self.text(body["column"], where + ".column"),
            within=self.texts(body["in"], where + ".in") if "in" in body else None,
            not_within=self.texts(body["not_in"], where + ".not_in") if "not_in" in body else None,
            present=self.flag(body["present"], where + ".present") if "present" in body else None,
            if_present=self.flag(body.get("if_present", False), where + ".if_present"))

    def conditions(self, value: Any, where: str) -> tuple[Condition, ...]:
        items = value if isinstance(value, list) else [value]
        return tuple(self.condition(v, f"{where}[{i}]") for i, v in enumerate(items))

    def candidates(self, value: Any, where: str, normalise: str | None) -> tuple[Candidate, ...]:
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            at = f"{where}[{i}]" if isinstance(value, list) else where
            if isinstance(item, dict):
                body = self.obj(item, at, {"column", "normalise"})
                if "column" not in body:
                    raise self.fail(at, "needs a column")
                out.append(Candidate(self.text(body["column"], at + ".column"),
                                     self.normaliser(body.get("normalise", normalise), at + ".normalise")))
            else:
                out.append(Candidate(self.text(item, at), normalise))
        if not out:
            raise self.fail(where, "must name at least one column")
        return tuple(out)

    def normaliser(self, value: Any, where: str) -> str | None:
        if value is None:
            return None
        text = self.text(value, where)
        if text not in NORMALISE:
            raise self.fail(where, f"unknown normalisation {text!r} (known: {', '.join(NORMALISE)})")
        return text

    def rescale(self, value: Any, where: str) -> Rescale:
        body = self.obj(value, where, {"from", "to", "round"})
        ranges = []
        for key in ("from", "to"):
            pair = body.get(key)
            if (not isinstance(pair, list) or len(pair) != 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)
                    or pair[0] >= pair[1]):
                raise self.fail(f"{where}.{key}", "must be [low, high] with low < high")
            ranges.append((float(pair[0]), float(pair[1])))
        return Rescale(ranges[0], ranges[1], self.flag(body.get("round", True), where + ".round"))

    def field(self, name: str, value: Any, where: str, kind: Kind) -> FieldSpec:
        _check_field_name(self, name, where, kind)
        if not isinstance(value, dict):  # shorthand: `score: Q7` reads column Q7
            value = {"column": value}
        body = self.obj(value, where, {
            "column", "columns", "join", "question", "value", "optional", "prefix", "suffix", "normalise",
            "values", "other", "format", "timezone", "rescale", "number", "when", "months_before_as_of", "default"})
        sources = [k for k in ("column", "columns", "question", "value") if k in body]
        if len(sources) != 1:
            raise self.fail(where, "needs exactly one of column, columns, question, value")
        normalise = self.normaliser(body.get("normalise"), where + ".normalise")
        values: tuple[tuple[str, str], ...] = ()
        if "values" in body:
            raw = body["values"]
            if not isinstance(raw, dict) or not raw:
                raise self.fail(where + ".values", "must map values of the file to canonical values")
            values = tuple((_fold(self.text(k, where + ".values")), "" if v is None else self.text(v, where + ".values"))
                           for k, v in raw.items())
        other = body.get("other", "keep")
        if other not in ("keep", "reject"):
            raise self.fail(where + ".other", "must be keep or reject")
        formats = self.texts(body["format"], where + ".format") if "format" in body else ()
        number = body.get("number")
        if number not in (None, "leading"):
            raise self.fail(where + ".number", "the one choice is `leading`")
        if "join" in body and "columns" not in body:
            raise self.fail(where + ".join", "goes with columns")
        candidates: tuple[Candidate, ...] = ()
        if "column" in body:
            candidates = self.candidates(body["column"], where + ".column", normalise)
        elif "columns" in body:
            candidates = self.candidates(body["columns"], where + ".columns", normalise)
        spec = FieldSpec(
            name=name, candidates=candidates,
            join=(self.text(body.get("join", " "), where + ".join") if "columns" in body else None),
            question=self.texts(body["question"], where + ".question") if "question" in body else (),
            value=None if "value" not in body else self.text(body["value"], where + ".value"),
            optional=self.flag(body.get("optional", False), where + ".optional"),
            prefix=self.text(body.get("prefix", ""), where + ".prefix"),
            suffix=self.text(body.get("suffix", ""), where + ".suffix"),
            normalise=normalise, values=values, other=other, formats=formats,
            timezone=None if body.get("timezone") is None else self.text(body["timezone"], where + ".timezone"),
            rescale=self.rescale(body["rescale"], where + ".rescale") if "rescale" in body else None,
            leading_number=number == "leading",
            when=self.conditions(body["when"], where + ".when") if "when" in body else (),
            months_before_as_of=self.flag(body.get("months_before_as_of", False), where + ".months_before_as_of"),
            default=None if body.get("default") is None else self.text(body["default"], where + ".default"))
        if spec.timezone and spec.timezone != "header":
            from .convert import zone
            zone(spec.timezone, where + ".timezone")
        for fmt in formats:
            from .convert import check_format
            check_format(fmt, f"{self.origin}: {where}.format")
        return spec

    def fields(self, value: Any, where: str, kind: Kind) -> tuple[FieldSpec, ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise self.fail(where, "must map canonical field names to how each is read")
        return tuple(self.field(str(k), v, f"{where}.{k}", kind) for k, v in value.items())


def _check_field_name(reader: _Reader, name: str, where: str, kind: Kind) -> None:
    if kind == "events":
        if name in EVENT_FIELDS or name in ("properties", "count") or (name.startswith("properties.") and len(name) > len("properties.")):
            return
        raise reader.fail(where, f"{name!r} is not an event field ({', '.join(EVENT_FIELDS)}, properties.KEY)")
    if name in CUSTOMER_FIELDS:
        return
    if not ATTRIBUTE_NAME.match(name) or name == "updated_at":
        raise reader.fail(where, f"{name!r} is neither a customer field nor an attribute name "
                                 "(lower-case letters, digits and underscores, starting with a letter)")


def _fold(value: str) -> str:
    return value.strip().casefold()


def parse_mapping(data: Any, origin: str) -> MappingSpec:
    """A mapping from its parsed YAML (a dict), every key checked."""
    r = _Reader(origin)
    body = r.obj(data, "the file", {"mapping", "name", "title", "imports", "confirmed", "notes", "source", "detect",
                                    "rows", "fields", "records"})
    if body.get("mapping") != VERSION:
        raise r.fail("mapping", f"must be {VERSION} (the version of the format)")
    imports = body.get("imports")
    if imports not in ("customers", "events"):
        raise r.fail("imports", "must be customers or events")
    name = r.text(body.get("name", Path(origin).stem), "name")
    if not _NAME.match(name):
        raise r.fail("name", "lower-case letters, digits, - and _ (at most 64)")
    src = r.obj(body.get("source", {}), "source", {"header_rows", "meta_row"})
    header_rows = r.integer(src.get("header_rows", 1), "source.header_rows", 1)
    meta_row = None if src.get("meta_row") is None else r.integer(src["meta_row"], "source.meta_row", 2)
    if meta_row is not None and meta_row > header_rows:
        raise r.fail("source.meta_row", f"is past the {header_rows} header row(s)")
    shared = r.fields(body.get("fields"), "fields", imports)
    records: list[RecordSpec] = []
    raw_records = body.get("records")
    if raw_records is None:
        records.append(RecordSpec(name="record", fields=shared))
    else:
        if imports == "customers":
            raise r.fail("records", "customers mappings have one record per row (use fields)")
        if not isinstance(raw_records, list) or not raw_records:
            raise r.fail("records", "must be a list of records")
        for i, item in enumerate(raw_records):
            where = f"records[{i}]"
            rb = r.obj(item, where, {"name", "fields", "optional", "skip_if_empty", "rows", "snapshot"})
            rname = r.text(rb.get("name", f"record{i + 1}"), where + ".name")
            if not _NAME.match(rname) or any(x.name == rname for x in records):
                raise r.fail(where + ".name", f"{rname!r} must be a unique lower-case name")
            own = r.fields(rb.get("fields"), where + ".fields", imports)
            own_names = {f.name for f in own}
            merged = tuple(f for f in shared if f.name not in own_names) + own
            snapshot = rb.get("snapshot", "value")
            if snapshot not in ("value", "count"):
                raise r.fail(where + ".snapshot", "must be value or count")
            records.append(RecordSpec(
                name=rname, fields=merged, optional=r.flag(rb.get("optional", False), where + ".optional"),
                skip_if_empty=r.texts(rb["skip_if_empty"], where + ".skip_if_empty") if "skip_if_empty" in rb else (),
                rows=r.conditions(rb["rows"], where + ".rows") if "rows" in rb else (),
                snapshot=snapshot))
    for record in records:
        names = {f.name for f in record.fields}
        for skip in record.skip_if_empty:
            if skip not in names:
                raise r.fail(f"records.{record.name}.skip_if_empty", f"{skip!r} is not one of its fields")
    return MappingSpec(
        name=name, imports=imports, title=r.text(body.get("title", ""), "title"),
        confirmed=r.flag(body.get("confirmed", True), "confirmed"), notes=r.text(body.get("notes", ""), "notes"),
        source=SourceSpec(header_rows, meta_row),
        detect=r.texts(body["detect"], "detect") if "detect" in body else (),
        rows=r.conditions(body["rows"], "rows") if "rows" in body else (),
        records=tuple(records), origin=origin)


def load_mapping(path: str | os.PathLike[str]) -> MappingSpec:
    """Read and check a mapping file (YAML)."""
    p = Path(path)
    if not p.exists():
        raise MappingError(f"mapping file {p} does not exist")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MappingError(f"{p}: not a readable YAML file: {first}") from None
    return parse_mapping(data, str(p))


def as_mapping(data: Mapping[str, Any], origin: str = "mapping") -> MappingSpec:
    return parse_mapping(dict(data), origin)
