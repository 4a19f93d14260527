"""Reading the texts of a CSV file to score (``advokit text sentiment FILE --column COL``)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..errors import DataError, InvalidArgumentError, NotFoundError

csv.field_size_limit(10 * 1024 * 1024)


def read_column(path: str | os.PathLike[str], column: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a CSV file (UTF-8, BOM allowed, separator sniffed among , ; tab |), checked
    to have ``column``; an empty cell is an empty text."""
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"{p}: no such file", hint="give the path of a CSV file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{p}: not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8 CSV") from exc
    lines = text.splitlines(keepends=True)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(lines[0] if lines else "", delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(lines, dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise DataError(f"{p}: line {reader.line_num}: {exc}") from exc
    if not rows:
        raise DataError(f"{p}: the file is empty", hint="the first line must name the columns")
    header = [h.strip() for h in rows[0]]
    if column not in header:
        raise InvalidArgumentError(f"{p}: no column {column!r}",
                                   hint="columns: " + ", ".join(repr(h) for h in header))
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise DataError(f"{p}: line {n}: {len(row)} fields, the header names {len(header)}")
        out.append({h: (row[i] if i < len(row) else "") for i, h in enumerate(header)})
    return header, out
