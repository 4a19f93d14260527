"""Streaming readers: any supported source becomes Arrow record batches with a ``_row`` column.

CSV and JSON Lines arrive as strings (validation parses them); Parquet,
Arrow and pandas keep their types (validation casts them). Nothing reads a
whole file into memory.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from ..errors import DataError, InvalidArgumentError
from ..store import jsonvalues

Format = Literal["csv", "jsonl", "parquet", "xlsx"]
BATCH_ROWS = 262_144
#: The longest line (CSV row) a file may hold, in bytes: the CSV reader's block size (read when a
#: file is opened, so a test may lower it). A longer line is refused with its number.
MAX_LINE_BYTES = 8 << 20
_SUFFIXES: dict[str, Format] = {".csv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
                                ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet",
                                ".xlsx": "xlsx", ".xlsm": "xlsx"}


def normalise_name(name: str) -> str:
    """Header names: stripped, lower-case, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lstrip("\ufeff").strip().lower())


def detect_format(path: str | os.PathLike[str]) -> Format:
    """The format of a file, by its extension, else by its first bytes."""
    p = Path(path)
    if p.suffix.lower() in _SUFFIXES:
        return _SUFFIXES[p.suffix.lower()]
    with open(p, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):  # a zip archive: what an Excel workbook is
        return "xlsx"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    return "csv"


@dataclass
class Source:
    """An opened input: its column names, an estimate of its rows, and its batches."""

    name: str
    columns: list[str]
    total_rows: int | None
    batches: Iterator[pa.RecordBatch]


def _with_rows(batch: pa.RecordBatch | pa.Table, start: int, names: list[str]) -> pa.RecordBatch:
    if isinstance(batch, pa.Table):
        batch = batch.combine_chunks().to_batches()[0] if batch.num_rows else pa.RecordBatch.from_pylist([])
    arrays = list(batch.columns) + [pa.array(range(start, start + batch.num_rows), pa.int64())]
    return pa.RecordBatch.from_arrays(arrays, names=[*names, "_row"])


def check_names(raw: Sequence[str], where: str) -> list[str]:
    names = [normalise_name(n) for n in raw]
    seen: set[str] = set()
    for n in names:
        if not n:
            raise DataError(f"{where}: a column has an empty name", hint="give every column a header")
        if n in seen:
            raise DataError(f"{where}: column {n!r} appears twice", hint="remove the repeated column")
        seen.add(n)
    return names


# -- CSV -----------------------------------------------------------------------
def _csv_header(path: Path) -> tuple[list[str], str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except UnicodeDecodeError:
        with open(path, "rb") as fh:
            if fh.read(4) == b"PK\x03\x04":
                raise DataError(f"{path}: an Excel workbook (or another zip archive), not a CSV file",
                                hint="name it .xlsx to import it as a workbook") from None
        raise DataError(f"{path}: not a UTF-8 text file", hint="save the file as UTF-8 CSV") from None
    if not first.strip():
        raise DataError(f"{path}: the file is empty or has no header line")
    if "\x00" in first:
        raise DataError(f"{path}: not a CSV file (binary content)")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    return header, delimiter


def read_csv(path: Path) -> Source:
    import pyarrow.csv as pcsv

    header, delimiter = _csv_header(path)
    names = check_names(header, str(path))
    limit = MAX_LINE_BYTES
    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1, block_size=limit),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        if _STRADDLES in str(exc):
            raise _too_long(path, limit, 1) from None
        raise DataError(f"{path}: cannot be read as CSV: {_short(exc)}") from None

    def batches() -> Iterator[pa.RecordBatch]:
        row = 1
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as exc:
                if _STRADDLES in str(exc):
                    raise _too_long(path, limit, row) from None
                raise DataError(f"{path}: cannot be read as CSV near data row {row}: {_short(exc)}",
                                hint="check the file is UTF-8 CSV with the same number of fields on every row") from None
            except UnicodeDecodeError as exc:
                raise DataError(f"{path}: cannot be read as CSV near data row {row}: {_short(exc)}",
                                hint="check the file is UTF-8 CSV with the same number of fields on every row") from None
            yield _with_rows(batch, row, names)
            row += batch.num_rows

    size = path.stat().st_size
    return Source(str(path), names, None if size > 0 else 0, batches())


#: pyarrow's words for a row longer than its block
_STRADDLES = "straddling object straddles"


def _too_long(path: Path, limit: int, row: int) -> DataError:
    """The error for a CSV row longer than ``limit`` bytes: the number of the first such line of the file."""
    mb = f"{limit / (1 << 20):.3g}"
    hint = f"split the value, or keep each line under {mb} MB"
    line, length = 1, 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            start = 0
            while (end := chunk.find(b"\n", start)) != -1:
                if length + end - start > limit:
                    return DataError(f"{path}: line {line:,} is longer than the limit of {mb} MB", hint=hint)
                line, length, start = line + 1, 0, end + 1
            length += len(chunk) - start
            if length > limit:
                return DataError(f"{path}: line {line:,} is longer than the limit of {mb} MB", hint=hint)
    # no physical line that long: a quoted value spans lines (a row of several lines)
    return DataError(f"{path}: a row near data row {row:,} is longer than the limit of {mb} MB", hint=hint)


# -- JSON Lines ----------------------------------------------------------------
#: What a cell holding JSON nested deeper than properties may be reads as: an object one level too
#: deep, which the import rejects for its depth (``advokit.store.jsonvalues``), as it would the value.
_TOO_DEEP = '{"_":' * jsonvalues.MAX_PROPERTIES_DEPTH + "{}" + "}" * jsonvalues.MAX_PROPERTIES_DEPTH


def text_cell(value: Any) -> str | None:
    """One JSON value as a text cell: objects and arrays as compact JSON, booleans as true / false."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        if jsonvalues.depth_over(value, jsonvalues.MAX_PROPERTIES_DEPTH):
            return _TOO_DEEP  # (never dumped: it may be too deep for the encoder)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _encodable(text: str) -> bool:
    """Whether ``text`` is valid Unicode (no lone UTF-16 surrogate, which a JSON escape or a Python string
    can carry but no file or column can store)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: Why a text with a lone surrogate (e.g. the JSON escape ``\\ud800`` alone) is refused.
SURROGATE_REASON = "text is not valid Unicode (a lone surrogate, e.g. the JSON escape \\ud800 without its pair)"


def rows_to_batch(rows: Sequence[Mapping[str, Any]], start: int, *, bad_rows: dict[int, str] | None = None,
                  known: list[str] | None = None) -> pa.RecordBatch:
    """Dicts (from JSON or an API body) to a batch of strings; unparseable rows carry ``_bad`` (a text that is
    not valid Unicode rejects its row, naming the field)."""
    bad: list[str | None] = [None] * len(rows)
    bad_column: list[str | None] = [None] * len(rows)
    names = list(known or [])
    for i, r in enumerate(rows):
        for k in r:
            nk = normalise_name(k)
            if not _encodable(nk):
                bad[i] = bad[i] or f"a field name: {SURROGATE_REASON}"
            elif nk not in names:
                names.append(nk)
    cols: dict[str, list[str | None]] = {n: [] for n in names}
    for i, r in enumerate(rows):
        normalised = {normalise_name(k): v for k, v in r.items()}
        for n in names:
            cell = text_cell(normalised.get(n))
            if cell is not None and not _encodable(cell):
                if bad[i] is None:
                    bad[i], bad_column[i] = SURROGATE_REASON, n
                cell = None
            cols[n].append(cell)
    arrays = [pa.array(cols[n], pa.string()) for n in names]
    for offset, reason in (bad_rows or {}).items():
        bad[offset], bad_column[offset] = reason, None
    arrays += [pa.array(bad, pa.string()), pa.array(bad_column, pa.string()),
               pa.array(range(start, start + len(rows)), pa.int64())]
    return pa.RecordBatch.from_arrays(arrays, names=[*names, "_bad", "_bad_column", "_row"])


def read_jsonl(path: Path) -> Source:
    columns: list[str] = []
    # a first pass over a small head finds the columns (later rows may add more)
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise DataError(f"{path}: the file is empty")
    if b"\x00" in head:
        raise DataError(f"{path}: not a JSON Lines file (binary content)")
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    try:
        obj = jsonvalues.loads(first)
    except ValueError:
        raise DataError(f"{path}: not a JSON Lines file (the first line is not JSON)") from None
    if not isinstance(obj, dict):
        raise DataError(f"{path}: not a JSON Lines file (each line must be a JSON object)")
    columns = [normalise_name(k) for k in obj]

    def batches() -> Iterator[pa.RecordBatch]:
        rows: list[Mapping[str, Any]] = []
        bad: dict[int, str] = {}
        start = 1
        with open(path, encoding="utf-8-sig", errors="strict") as fh:
            line_no = 0
            try:
                for line_no, line in enumerate(fh, start=1):  # noqa: B007
                    if not line.strip():
                        rows.append({})
                        bad[len(rows) - 1] = "empty line"
                    else:
                        try:
                            value = json.loads(line)
                        except json.JSONDecodeError as exc:
                            value, bad[len(rows)] = {}, f"not valid JSON ({exc.msg})"
                        except RecursionError:
                            value, bad[len(rows)] = {}, "not valid JSON (nested too deeply)"
                        if not isinstance(value, dict):
                            value, bad[len(rows)] = {}, "not a JSON object"
                        rows.append(value)
                    if len(rows) >= BATCH_ROWS // 4:
                        yield rows_to_batch(rows, start, bad_rows=bad, known=columns)
                        start += len(rows)
                        rows, bad = [], {}
            except UnicodeDecodeError:
                raise DataError(f"{path}: line {line_no + 1} is not UTF-8 text") from None
        if rows:
            yield rows_to_batch(rows, start, bad_rows=bad, known=columns)

    return Source(str(path), columns, None, batches())


# -- Parquet ---------------------------------------------------------------------
def read_parquet(path: Path) -> Source:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: cannot be read as Parquet: {_short(exc)}") from None
    names = check_names(pf.schema_arrow.names, str(path))

    def batches() -> Iterator[pa.RecordBatch]:
        row = 1
        for batch in pf.iter_batches(batch_size=BATCH_ROWS):
            yield _with_rows(batch, row, names)
            row += batch.num_rows

    return Source(str(path), names, pf.metadata.num_rows, batches())


# -- in-memory -------------------------------------------------------------------
def from_table(table: pa.Table, name: str) -> Source:
    names = check_names(table.column_names, name)

    def batches() -> Iterator[pa.RecordBatch]:
        row = 1
        for batch in table.to_batches(max_chunksize=BATCH_ROWS):
            yield _with_rows(batch, row, names)
            row += batch.num_rows

    return Source(name, names, table.num_rows, batches())


def from_rows(rows: Sequence[Mapping[str, Any]], name: str) -> Source:
    bad: dict[int, str] = {}
    clean: list[Mapping[str, Any]] = []
    for i, r in enumerate(rows):
        if isinstance(r, Mapping):
            clean.append(r)
        else:
            clean.append({})
            bad[i] = "not an object"
    batch = rows_to_batch(clean, 1, bad_rows=bad)
    names = [n for n in batch.schema.names if n not in ("_row", "_bad")]
    return Source(name, names, len(rows), iter([batch]))


def existing_file(source: str | os.PathLike[str]) -> Path:
    """The path of a file to read, or the error saying it is missing or a folder."""
    path = Path(source)
    if not path.exists():
        raise DataError(f"file {path} does not exist")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a file")
    return path


def open_source(source: Any, *, name: str | None = None, sheet: str | None = None) -> Source:
    """Open a path, Arrow table, pandas DataFrame or list of dicts; a ready :class:`Source` is returned as is.

    ``sheet``: the sheet of an Excel workbook to read (default: the first); given for
    another file or in-memory data, an :class:`InvalidArgumentError` (a ready source
    is read as it was opened: ``sheet`` is not looked at).
    """
    if isinstance(source, Source):
        if name:
            source.name = name
        return source
    if isinstance(source, (str, os.PathLike)):
        path = existing_file(source)
        fmt = detect_format(path)
        if fmt == "xlsx":
            from .excel import read_xlsx

            opened = read_xlsx(path, sheet)
        else:
            no_sheet(sheet, f"{path} (a {_FORMAT_NAMES[fmt]} file)")
            opened = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}[fmt](path)
        if name:
            opened.name = name
        return opened
    no_sheet(sheet, f"a {type(source).__name__}")
    if isinstance(source, pa.Table):
        return from_table(source, name or "arrow table")
    if isinstance(source, pa.RecordBatch):
        return from_table(pa.Table.from_batches([source]), name or "arrow batch")
    module = type(source).__module__
    if module.startswith("pandas"):
        return from_table(pa.Table.from_pandas(source, preserve_index=False), name or "DataFrame")
    if isinstance(source, Sequence) and not isinstance(source, (bytes, str)):
        return from_rows(source, name or "batch")
    raise DataError(f"cannot import from a {type(source).__name__}",
                    hint="give a file path, a pandas DataFrame, an Arrow table or a list of dicts")


_FORMAT_NAMES = {"csv": "CSV", "jsonl": "JSON Lines", "parquet": "Parquet"}


def no_sheet(sheet: str | None, what: str) -> None:
    if sheet is not None:
        raise InvalidArgumentError(f"a sheet ({sheet!r}) can be chosen only in an Excel workbook, not in {what}",
                                   hint="leave out --sheet, or import the .xlsx file")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
