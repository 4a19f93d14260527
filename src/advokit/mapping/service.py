"""``Mapping`` (``ws.mapping``): exports of other tools through presets or mapping files into the importer.

The one validated, atomic, idempotent importer (``advokit.ingest``) still does
every import: this service only opens the export as its tool wrote it,
renames, converts and derives its cells into canonical records, and hands
them over. A dry run does the same against an in-memory copy of what the
import would touch, so it reports exactly what would land and writes
nothing to the workspace.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import DataError, InvalidArgumentError
from ..ingest import ImportReport, Ingest
from ..ingest.importer import dry_run_import
from ..ingest.readers import normalise_name
from ..store.database import Database
from . import apply, detect, presets
from .detect import Match
from .plan import Plan, bind
from .spec import ATTRIBUTE_NAME, CUSTOMER_FIELDS, EVENT_FIELDS, REQUIRED, MappingError, MappingSpec, load_mapping, parse_mapping
from .table import flatten_records, header_of, open_table

PREVIEW_ROWS = 5


def parse_sets(items: Sequence[str]) -> dict[str, str]:
    """``FIELD=COLUMN`` pairs (``--set``), checked."""
    out: dict[str, str] = {}
    for item in items:
        field, eq, column = item.partition("=")
        field, column = field.strip(), column.strip()
        if not eq or not field or not column:
            raise InvalidArgumentError(f"--set {item!r}: expected FIELD=COLUMN (e.g. --set signup_at=signup_date)")
        if field in out:
            raise InvalidArgumentError(f"--set {field} is given twice")
        out[field] = column
    return out


def parse_as_of(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidArgumentError(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from None
    if not 1900 <= day.year <= 2100:
        raise InvalidArgumentError(f"--as-of {value!r} is outside the years 1900 to 2100")
    return day


class MappingService:
    """Presets, mapping files and the imports through them (``ws.mapping``)."""

    def __init__(self, db: Database, ingest: Ingest) -> None:
        self.db = db
        self.ingest = ingest

    # -- presets and detection -----------------------------------------------------------------
    def presets(self) -> list[dict[str, Any]]:
        """Every preset with what it imports and the columns it reads."""
        return presets.describe()

    def preset_text(self, name: str) -> str:
        return presets.preset_text(name)

    def detect(self, path: str | os.PathLike[str], *, sheet: str | None = None) -> list[Match]:
        """The presets whose identifying columns the file's header has, best first."""
        return detect.matches(header_of(path, sheet=sheet, lines=1)[0], presets.all_presets())

    def spec_for(self, kind: str, path: str | os.PathLike[str], *, preset: str | None = None,
                 mapping: str | os.PathLike[str] | None = None, sets: dict[str, str] | None = None,
                 sheet: str | None = None) -> tuple[MappingSpec, Match | None]:
        """The mapping an import would use (a preset, ``auto``'s best match, a file, or the file's own columns)."""
        if preset is not None and mapping is not None:
            raise InvalidArgumentError("give --preset or --map, not both")
        found: Match | None = None
        if preset == "auto":
            hits = self.detect(path, sheet=sheet)
            if not hits:
                raise DataError(f"{path}: the header matches none of the presets",
                                hint="name one with --preset NAME (`advokit import presets` lists them) "
                                     "or write a mapping file (--map)")
            same = [h for h in hits if h.imports == kind]
            found = same[0] if same else hits[0]
            spec = presets.load_preset(found.preset)
        elif preset is not None:
            spec = presets.load_preset(preset)
        elif mapping is not None:
            spec = load_mapping(mapping)
        else:
            spec = identity(kind, header_of(path, sheet=sheet, lines=1)[0], sets or {})
        if spec.imports != kind:
            raise InvalidArgumentError(
                f"{'the preset' if preset else 'the mapping'} {spec.name!r} imports {spec.imports}, not {kind}",
                hint=f"run `advokit import {spec.imports} {path} --preset {spec.name}`" if preset else
                f"run `advokit import {spec.imports} ...`")
        return spec, found

    def plan(self, kind: str, path: str | os.PathLike[str], *, preset: str | None = None,
             mapping: str | os.PathLike[str] | None = None, sets: dict[str, str] | None = None,
             as_of: str | dt.date | None = None, timezone: str | None = None, sheet: str | None = None) -> Plan:
        spec, found = self.spec_for(kind, path, preset=preset, mapping=mapping, sets=sets, sheet=sheet)
        if timezone is not None:
            from .convert import zone
            zone(timezone, "--timezone")
        table = open_table(path, header_rows=spec.source.header_rows, meta_row=spec.source.meta_row, sheet=sheet)
        try:
            day = parse_as_of(as_of)
            if day is None and _needs_as_of(spec):
                raise MappingError(f"{path}: the mapping {spec.name!r} derives dates from --as-of: pass --as-of DATE")
            plan = bind(spec, table, sets=sets, as_of=day, timezone=timezone)
        except BaseException:
            table.close()
            raise
        if found is not None:
            plan.detected = found.to_dict()
        return plan

    # -- imports --------------------------------------------------------------------------------
    def import_file(self, kind: str, path: str | os.PathLike[str], *, preset: str | None = None,
                    mapping: str | os.PathLike[str] | None = None, sets: dict[str, str] | None = None,
                    as_of: str | dt.date | None = None, timezone: str | None = None, sheet: str | None = None,
                    dry_run: bool = False, strict: bool = False, rejects_path: str | os.PathLike[str] | None = None,
                    source_name: str | None = None, **options: Any) -> ImportReport:
        """Import a file of ``kind`` (customers | events); with no preset or mapping, as canonical columns.

        A canonical file goes straight to the importer; a file lacking the
        canonical columns whose header matches a preset is refused with the
        command that imports it (``--preset NAME``).
        """
        if kind not in ("customers", "events"):
            raise InvalidArgumentError(f"unknown import kind {kind!r}")
        path = Path(path)
        if not path.exists():
            raise DataError(f"file {path} does not exist")
        mapped = any(x is not None for x in (preset, mapping, as_of, timezone)) or bool(sets)
        if not mapped and not dry_run:
            self._refuse_exports(kind, path, sheet)
            run = self.ingest.customers if kind == "customers" else self.ingest.events
            extra = {"sheet": sheet} if sheet is not None else {}
            return run(str(path), strict=strict, rejects_path=rejects_path, source_name=source_name,
                       **extra, **options)
        if not mapped:
            self._refuse_exports(kind, path, sheet)
        plan = self.plan(kind, path, preset=preset, mapping=mapping, sets=sets, as_of=as_of, timezone=timezone,
                         sheet=sheet)
        try:
            return self._run(kind, path, plan, dry_run=dry_run, strict=strict, rejects_path=rejects_path,
                             source_name=source_name, preset=preset, **options)
        finally:
            plan.table.close()

    def _run(self, kind: str, path: Path, plan: Plan, *, dry_run: bool, strict: bool,
             rejects_path: str | os.PathLike[str] | None, source_name: str | None, preset: str | None,
             **options: Any) -> ImportReport:
        mapper = apply.Mapper(plan)
        name = source_name or str(path)
        records: Any = mapper.records()
        if plan.mapping.is_snapshot or dry_run:
            records = list(records)
            if plan.mapping.is_snapshot:
                records = self._changed(records, mapper)
        rejects = None if dry_run else (rejects_path or str(path) + ".rejects.csv")
        if dry_run:
            report = self._dry_run(kind, records, mapper, name, strict=strict)
        else:
            source = apply.to_source(mapper, iter(records), name)
            run = self.ingest.customers if kind == "customers" else self.ingest.events
            report = run(source, strict=strict, rejects_path=rejects, source_name=name, **options)
        report.mapping = plan.describe()
        if preset is not None:
            report.mapping["preset"] = plan.mapping.name
        if plan.detected is not None:
            report.mapping["detected"] = plan.detected
        report.skipped = dict(mapper.skipped)
        report.records_by_kind = dict(mapper.made)
        return report

    def _refuse_exports(self, kind: str, path: Path, sheet: str | None) -> None:
        """A file without the canonical columns that is an export of a known tool: say which and how."""
        try:
            columns = header_of(path, sheet=sheet, lines=1)[0]
        except (DataError, InvalidArgumentError):
            return  # (the importer says what is wrong with it)
        have = {normalise_name(c) for c in columns}
        if all(c in have for c in REQUIRED[kind] if c != "type") and (kind == "customers" or "type" in have):
            return
        hits = self.detect(path, sheet=sheet)
        if not hits:
            return
        best = next((h for h in hits if h.imports == kind), hits[0])
        title = presets.load_preset(best.preset).title or best.preset
        command = f"advokit import {best.imports} {path} --preset {best.preset}"
        raise DataError(f"{path} looks like an export of {title} (it has {', '.join(best.found[:4])}), "
                        f"not the canonical columns: import it with `{command}`",
                        hint=f"or `--preset auto`; `{command} --dry-run` shows the mapping first",
                        details={"detected": best.to_dict(), "command": command})

    def _changed(self, records: list[dict[str, Any]], mapper: apply.Mapper) -> list[dict[str, Any]]:
        """A snapshot's value records that differ from the latest stored snapshot of the same record."""
        plan = mapper.plan
        value_records = {r.spec.name for r in plan.records if r.spec.snapshot == "value"}
        if not value_records or not records:
            return records
        keep: list[dict[str, Any]] = []
        latest = self._latest_snapshots(records, plan)
        for rec in records:
            props = json.loads(rec["properties"]) if rec.get("properties") else {}
            key = props.get("snapshot")
            if rec.get("_bad") is None and key is not None and key.split(":", 1)[1] in value_records:
                stored = latest.get((key, rec.get("customer_id")))
                if stored is not None and stored[0] < plan.as_of and _same(stored[1:], rec):
                    mapper.skipped[apply.UNCHANGED] += 1
                    continue
            keep.append(rec)
        return keep

    def _latest_snapshots(self, records: list[dict[str, Any]], plan: Plan) -> dict[tuple[str, Any], tuple[Any, ...]]:
        keys = sorted({json.loads(r["properties"]).get("snapshot") for r in records if r.get("properties")})
        ids = sorted({r["customer_id"] for r in records if r.get("customer_id")})
        if not keys or not ids:
            return {}
        cur = self.db.cursor()
        _advokit_snapshot_ids = pa.table({"customer_id": pa.array(ids, pa.string())})  # noqa: F841 (read by name)
        _advokit_snapshot_keys = pa.table({"k": pa.array(keys, pa.string())})  # noqa: F841
        rows = cur.execute("""
            SELECT k, customer_id, occurred_at, score, amount, text FROM (
              SELECT json_extract_string(properties, '$.snapshot') AS k, customer_id, occurred_at, score, amount,
                     text, row_number() OVER (PARTITION BY json_extract_string(properties, '$.snapshot'),
                                              customer_id ORDER BY occurred_at DESC, event_id DESC) AS rn
              FROM events
              WHERE customer_id IN (SELECT customer_id FROM _advokit_snapshot_ids)
                AND json_extract_string(properties, '$.snapshot') IN (SELECT k FROM _advokit_snapshot_keys)
                AND occurred_at <= ?)
            WHERE rn = 1""", [dt.datetime.combine(plan.as_of, dt.time())]).fetchall()  # type: ignore[arg-type]
        return {(r[0], r[1]): (r[2].date(), r[3], r[4], r[5]) for r in rows}

    def _dry_run(self, kind: str, records: list[dict[str, Any]], mapper: apply.Mapper, name: str, *,
                 strict: bool) -> ImportReport:
        """The import against an in-memory copy of the customers and events it touches; nothing is written."""
        customers = sorted({str(r["customer_id"]).strip() for r in records if r.get("customer_id")})
        events = sorted({str(r["event_id"]).strip() for r in records if r.get("event_id")})
        source = apply.to_source(mapper, iter(records), name)
        report = dry_run_import(self.db, kind, source, customers=customers, event_ids=events, source_name=name)
        report.dry_run = True
        report.preview = [{k: v for k, v in r.items() if not k.startswith("_")} | {"line": r["_line"]}
                          for r in records[:PREVIEW_ROWS]]
        report.strict_would_fail = bool(strict and report.rejected)
        return report

    # -- webhooks -------------------------------------------------------------------------------
    def webhook_events(self, preset: str, payload: Any) -> list[dict[str, Any]]:
        """Canonical events from one push of a tool (its preset maps the payload as it maps the export)."""
        from .webhooks import ADAPTERS

        if preset not in ADAPTERS:
            raise InvalidArgumentError(f"the preset {preset!r} has no webhook mapping",
                                       hint="webhook presets: " + ", ".join(sorted(ADAPTERS)))
        rows = ADAPTERS[preset](payload)
        return self.map_rows(preset, rows, f"webhook {preset}")

    def map_rows(self, preset: str, rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
        """Rows keyed by an export's column names, through that preset, as canonical event dicts."""
        if not rows:  # (a push that is no answer: an unsubscribe, a deleted review)
            return []
        spec = presets.load_preset(preset)
        table = flatten_records(rows, name)
        plan = bind(spec, table)
        out = []
        for rec in apply.Mapper(plan).records():
            if rec.get("_bad"):
                raise DataError(f"{name}: {rec['_bad']} (value {rec['_bad_value']!r})")
            event = {k: v for k, v in rec.items() if not k.startswith("_") and v is not None}
            if isinstance(event.get("properties"), str):
                event["properties"] = json.loads(event["properties"])
            for key in ("score", "amount"):  # (an API event carries numbers; a text that is none stays for the check)
                if isinstance(event.get(key), str):
                    event[key] = _number_or_text(event[key])
            out.append(event)
        return out


def _number_or_text(text: str) -> float | int | str:
    try:
        value = float(text)
    except ValueError:
        return text
    if value != value or value in (float("inf"), float("-inf")):
        return text
    return int(value) if value.is_integer() else value


def _same(stored: tuple[Any, ...], rec: dict[str, Any]) -> bool:
    score, amount, text = stored

    def num(v: Any) -> float | None:
        try:
            return None if v is None or v == "" else float(v)
        except (TypeError, ValueError):
            return None

    return num(score) == num(rec.get("score")) and num(amount) == num(rec.get("amount")) and \
        (text or None) == (rec.get("text") or None)


def _needs_as_of(spec: MappingSpec) -> bool:
    return any(f.months_before_as_of or (f.value is not None and "{as_of}" in f.value)
               for r in spec.records for f in r.fields)


def identity(kind: str, columns: list[str], sets: dict[str, str]) -> MappingSpec:
    """A file's own columns as a mapping (canonical names read as themselves; ``--set`` adds the rest)."""
    used = {normalise_name(c) for c in sets.values()}
    fields: dict[str, Any] = {}
    known = CUSTOMER_FIELDS if kind == "customers" else (*EVENT_FIELDS, "properties")
    for column in columns:
        name = normalise_name(column)
        if name in known:
            fields[name] = {"column": column, "optional": True}
        elif kind == "customers" and name not in used and ATTRIBUTE_NAME.match(name) and name != "updated_at":
            fields[name] = {"column": column, "optional": True}
    for name in REQUIRED[kind] + (("occurred_at",) if kind == "events" else ()):
        if name in fields:
            fields[name]["optional"] = False
    return parse_mapping({"mapping": 1, "name": "file", "title": "the file's own columns", "imports": kind,
                          "fields": fields}, "the file's columns")

