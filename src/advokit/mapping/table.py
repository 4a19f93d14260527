"""An export as the tool wrote it: its header rows, then rows of text cells with their line numbers.

CSV (UTF-8, with or without a BOM, comma-, semicolon- or tab-separated,
quoted newlines allowed), Excel (``.xlsx``, through ``advokit.ingest.excel``),
JSON Lines (nested objects become dotted column names) and Parquet. The
header is kept as written: its first row names the columns, the other
header rows (question texts, option labels, JSON) are kept per column for
the mapping to search.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..ingest.readers import detect_format, existing_file, no_sheet, normalise_name, text_cell

#: a CSV record longer than this many characters is refused (the canonical reader's limit too)
MAX_FIELD = 8 << 20


def fold(name: str) -> str:
    """A column name compared leniently: trimmed, case-folded, inner white space as one space."""
    return re.sub(r"\s+", " ", str(name).replace("\ufeff", "").strip()).casefold()


@dataclass
class RawTable:
    """The header of an export and a way to read its rows (once)."""

    name: str
    columns: list[str]
    #: each column's header text (every header row but the JSON one), searched for question words
    header_text: list[str]
    #: each column's JSON header cell (Qualtrics' third row), parsed; {} when there is none
    meta: list[dict[str, Any]]
    header_rows: int
    rows: Iterator[tuple[int, list[str | None]]] = field(repr=False)
    closer: Callable[[], None] | None = field(default=None, repr=False)

    def close(self) -> None:
        """Let go of the file (reading every row does too)."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()
        if self.closer is not None:
            self.closer()

    def index(self, name: str) -> int | None:
        """The position of a column named leniently (trim, case), or None."""
        wanted = fold(name)
        for i, c in enumerate(self.columns):
            if fold(c) == wanted:
                return i
        snake = normalise_name(name)  # as the importer names columns (`signup_date` for "Signup Date")
        found = [i for i, c in enumerate(self.columns) if normalise_name(c) == snake]
        return found[0] if len(found) == 1 else None


def _names(header: list[list[str]], meta_row: int | None, where: str) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    width = max((len(r) for r in header), default=0)
    grid = [[(r[i] if i < len(r) else "").replace("\ufeff", "").strip() for i in range(width)] for r in header]
    names: list[str] = []
    last = ""
    for i in range(width):
        name = grid[0][i] if grid else ""
        if name:
            last = name
        elif last and len(grid) > 1 and any(grid[k][i] for k in range(1, len(grid)) if k + 1 != meta_row):
            # a question spread over several columns (SurveyMonkey): the blank names carry the question on
            label = next(grid[k][i] for k in range(1, len(grid)) if k + 1 != meta_row and grid[k][i])
            name = f"{last} - {label}"
        else:
            name = f"column {i + 1}"
        names.append(name)
    seen: dict[str, int] = {}
    unique = []
    for n in names:  # a repeated name is kept, numbered, so no column is lost
        key = fold(n)
        seen[key] = seen.get(key, 0) + 1
        unique.append(n if seen[key] == 1 else f"{n} ({seen[key]})")
    texts = [" | ".join(grid[k][i] for k in range(len(grid)) if k + 1 != meta_row and grid[k][i]) or unique[i]
             for i in range(width)]
    meta: list[dict[str, Any]] = []
    for i in range(width):
        cell = grid[meta_row - 1][i] if meta_row and meta_row <= len(grid) else ""
        try:
            value = json.loads(cell) if cell.startswith("{") else {}
        except ValueError:
            value = {}
        meta.append(value if isinstance(value, dict) else {})
    if not grid or not any(grid[0]):
        raise DataError(f"{where}: the first line names no columns", hint="the export's header row is missing")
    return unique, texts, meta


def _delimiter(first: str) -> str:
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv(path: Path, header_rows: int, meta_row: int | None) -> RawTable:
    try:
        fh = open(path, encoding="utf-8-sig", newline="")
        first = fh.readline()
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file", hint="save the export as UTF-8 CSV") from None
    if "\x00" in first:
        fh.close()
        raise DataError(f"{path}: not a CSV file (binary content)")
    if not first.strip():
        fh.close()
        raise DataError(f"{path}: the file is empty or has no header line")
    fh.seek(0)  # (the utf-8-sig decoder skips a BOM again)
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(fh, delimiter=_delimiter(first))
    header: list[list[str]] = []
    try:
        for _ in range(header_rows):
            row = next(reader, None)
            if row is None:
                break
            header.append(row)
    except (csv.Error, UnicodeDecodeError) as exc:
        fh.close()
        raise DataError(f"{path}: the header cannot be read as CSV: {exc}") from None
    if len(header) < header_rows:
        fh.close()
        raise DataError(f"{path}: has {len(header)} header line(s); this export has {header_rows}",
                        hint="is it the right preset for the file?")
    columns, texts, meta = _names(header, meta_row, str(path))

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        with fh:
            line = reader.line_num
            while True:
                start = line + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise DataError(f"{path}: line {start:,} cannot be read as CSV: {exc}") from None
                except UnicodeDecodeError:
                    raise DataError(f"{path}: near line {start:,}: not UTF-8 text") from None
                line = reader.line_num
                if not any(c.strip() for c in row):
                    continue
                yield start, [c if c.strip() else None for c in row]

    return RawTable(str(path), columns, texts, meta, header_rows, rows(), fh.close)


def _excel(path: Path, header_rows: int, meta_row: int | None, sheet: str | None) -> RawTable:
    from ..ingest import excel

    it = excel.read_rows(path, sheet)
    header: list[list[str]] = []
    for _ in range(header_rows):
        row = next(it, None)
        if row is None:
            break
        header.append(["" if c is None else c for c in row])
    if not header:
        raise DataError(f"{path}: the sheet is empty")
    if len(header) < header_rows:
        raise DataError(f"{path}: has {len(header)} header row(s); this export has {header_rows}")
    columns, texts, meta = _names(header, meta_row, str(path))

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        for line, row in enumerate(it, start=header_rows + 1):
            if any(c is not None and str(c).strip() for c in row):
                yield line, [None if c is None or not str(c).strip() else str(c) for c in row]

    return RawTable(str(path), columns, texts, meta, header_rows, rows())


def _flatten(value: Any, prefix: str, out: dict[str, str | None]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = text_cell(value)


def flatten_records(records: list[dict[str, Any]], name: str, first_line: int = 1) -> RawTable:
    """Objects (JSON Lines, a webhook's rows) as a table: nested keys become dotted column names."""
    flat: list[dict[str, str | None]] = []
    columns: list[str] = []
    for rec in records:
        out: dict[str, str | None] = {}
        _flatten(rec, "", out)
        flat.append(out)
        for k in out:
            if k not in columns:
                columns.append(k)

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        for line, rec in enumerate(flat, start=first_line):
            yield line, [rec.get(c) for c in columns]

    return RawTable(name, columns, list(columns), [{} for _ in columns], 0, rows())


def _jsonl(path: Path) -> RawTable:
    records: list[dict[str, Any]] = []
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except (ValueError, RecursionError):
                    raise DataError(f"{path}: line {line_no:,} is not valid JSON") from None
                if not isinstance(value, dict):
                    raise DataError(f"{path}: line {line_no:,} is not a JSON object")
                records.append(value)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    if not records:
        raise DataError(f"{path}: the file is empty")
    return flatten_records(records, str(path))


def _parquet(path: Path) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: cannot be read as Parquet: {str(exc).splitlines()[0]}") from None
    columns = list(pf.schema_arrow.names)

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        line = 1
        for batch in pf.iter_batches(batch_size=65_536):
            for rec in batch.to_pylist():
                yield line, [_cell(rec.get(c)) for c in columns]
                line += 1

    return RawTable(str(path), columns, list(columns), [{} for _ in columns], 0, rows())


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return text_cell(value)


def open_table(path: str | os.PathLike[str], *, header_rows: int = 1, meta_row: int | None = None,
               sheet: str | None = None) -> RawTable:
    """Open an export for mapping (its rows are read lazily, once)."""
    p = existing_file(path)
    fmt = _format(p)
    if fmt != "xlsx":
        no_sheet(sheet, f"{p} (not an Excel workbook)")
    if fmt == "xlsx":
        return _excel(p, header_rows, meta_row, sheet)
    if fmt == "jsonl":
        return _jsonl(p)
    if fmt == "parquet":
        return _parquet(p)
    return _csv(p, header_rows, meta_row)


def _format(path: Path) -> str:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return "xlsx"
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    return str(detect_format(path))


def header_of(path: str | os.PathLike[str], *, sheet: str | None = None, lines: int = 3) -> list[list[str]]:
    """The first ``lines`` rows of a file as text (for detection), without reading the rest."""
    table = open_table(path, header_rows=1, sheet=sheet)
    out = [list(table.columns)]
    for _, row in table.rows:
        if len(out) >= lines:
            break
        out.append(["" if c is None else c for c in row])
    table.close()
    return out

