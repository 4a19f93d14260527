"""Excel workbooks (``.xlsx`` / ``.xlsm``), read with python-calamine.

Every cell becomes text, as a CSV export of the sheet would hold it, so a
workbook imports exactly like the same data saved as CSV: integral numbers
without ``.0`` (``1200``), other numbers as Python writes them (``0.1``),
Excel dates as ISO 8601 (``2024-03-05``, ``2024-03-05T14:22:10``), times as
``HH:MM:SS``, booleans as ``true`` / ``false`` and empty cells as None.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import DataError
from .readers import BATCH_ROWS, Source, check_names

#: Integral floats up to this magnitude are written as integers (beyond, ``repr``: ``1e+16``).
_INTEGRAL = 1e16


def sheet_names(path: str | os.PathLike[str]) -> list[str]:
    """The names of the workbook's sheets, in order."""
    book = _open(Path(path))
    try:
        return list(book.sheet_names)
    finally:
        book.close()


def read_rows(path: str | os.PathLike[str], sheet: str | None = None) -> Iterator[list[str | None]]:
    """The rows of one sheet (the first by default) as text cells, from the sheet's row 1.

    Each list is one row of the sheet (row ``k`` of Excel is the ``k``-th list), from
    the first column that holds a value; trailing all-empty rows are left out. An
    unknown ``sheet`` is a :class:`DataError` naming the sheets there are.
    """
    p = Path(path)
    book = _open(p)
    try:
        names = list(book.sheet_names)
        if not names:
            raise DataError(f"{p}: the workbook has no sheets")
        if sheet is None:
            sheet = names[0]
        elif sheet not in names:
            raise DataError(f"{p}: no sheet named {sheet!r}; the sheets are {', '.join(map(repr, names))}",
                            hint="pass one of them with --sheet NAME")
        try:
            found = book.get_sheet_by_name(sheet)
            grid = found.to_python(skip_empty_area=False)
            first_col = found.start[1] if found.start is not None else 0
        except Exception as exc:  # noqa: BLE001 - calamine's errors: every one means unreadable
            raise DataError(f"{p}: sheet {sheet!r} cannot be read: {_short(exc)}") from None
    finally:
        book.close()
    return _text_rows(grid, first_col)


def _text_rows(grid: list[list[Any]], first_col: int) -> Iterator[list[str | None]]:
    empty_run = 0  # all-empty rows seen since the last row with a value (yielded only if one follows)
    for raw in grid:
        row = [cell_text(c) for c in raw[first_col:]]
        if all(c is None for c in row):
            empty_run += 1
            continue
        for _ in range(empty_run):
            yield [None] * len(row)
        empty_run = 0
        yield row


def cell_text(value: Any) -> str | None:
    """One cell's value as the text a CSV export would hold (None: empty)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _INTEGRAL:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return str(value)


def read_xlsx(path: str | os.PathLike[str], sheet: str | None = None) -> Source:
    """A workbook in the canonical format: the sheet's first row with a value is the header.

    ``_row`` counts the data rows as for CSV (the row under the header is 1); empty
    rows are skipped but counted, so row ``n`` of a report is Excel's row header + ``n``.
    A value in a column without a header rejects its row (``_bad``).
    """
    p = Path(path)
    rows = read_rows(p, sheet)
    header = next((r for r in rows if any(c is not None for c in r)), None)
    if header is None:
        raise DataError(f"{p}: the sheet is empty (no header row)")
    while header and header[-1] is None:
        header = header[:-1]
    names = check_names([h or "" for h in header], str(p))
    width = len(names)

    def batches() -> Iterator[pa.RecordBatch]:
        cols: list[list[str | None]] = [[] for _ in range(width + 3)]  # names, _bad, _bad_value, _row
        number = 0
        for row in rows:
            number += 1
            if all(c is None for c in row):
                continue
            cells = (row + [None] * width)[:width]
            extra = next((c for c in row[width:] if c is not None), None)
            for i, c in enumerate(cells):
                cols[i].append(c)
            cols[width].append(None if extra is None else "a value in a column without a header")
            cols[width + 1].append(extra)
            cols[width + 2].append(number)  # type: ignore[arg-type]
            if len(cols[0]) >= BATCH_ROWS:
                yield _batch(cols, names)
                cols = [[] for _ in range(width + 3)]
        if cols[0]:
            yield _batch(cols, names)

    return Source(str(p), names, None, batches())


def _batch(cols: list[list[Any]], names: list[str]) -> pa.RecordBatch:
    arrays = [pa.array(c, pa.string()) for c in cols[:-1]] + [pa.array(cols[-1], pa.int64())]
    return pa.RecordBatch.from_arrays(arrays, names=[*names, "_bad", "_bad_value", "_row"])


def _open(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    if not path.exists():
        raise DataError(f"file {path} does not exist")
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine's errors (zip, XML, password): every one means unreadable
        raise DataError(f"{path}: cannot be read as an Excel workbook: {_short(exc)}",
                        hint="check the file is an .xlsx workbook (open it in Excel and save it again)") from None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
