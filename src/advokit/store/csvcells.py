"""Cells of the CSV files advokit writes, safe to open in a spreadsheet (no formula injection).

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(...)``, ``@SUM(...)``, ``-2+3+cmd|...``), and a leading tab
or carriage return can hide such a start. Every CSV the product writes
(``advokit ... --format csv``, an import's ``FILE.rejects.csv``) passes its
cells through :func:`safe_cell`, which follows the OWASP advice on CSV
injection: a text cell starting with one of :data:`FORMULA_STARTS` gets a
single quote ``'`` in front, so ``=1+1`` is written ``'=1+1`` and shows as text.

Numbers stay numbers: an ``int`` or ``float`` is written as it is (``-3.5``),
and so is text that is exactly one decimal number (``-3.5``, ``+2``, ``-1e-3``:
a spreadsheet reads it as that number and nothing else). JSON output is never
touched. May import: nothing of advokit.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

#: The first characters that make a spreadsheet read a cell as a formula (OWASP: = + - @ tab CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What is put in front of such a cell.
PREFIX = "'"
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` for a CSV cell: text starting with a formula character is prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return PREFIX + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


class SafeWriter:
    """A :func:`csv.writer` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, fh: IO[str], **options: Any) -> None:
        self._writer = csv.writer(fh, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


__all__ = ["FORMULA_STARTS", "PREFIX", "SafeWriter", "safe_cell", "safe_row"]
