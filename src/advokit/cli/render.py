"""Rendering of results for the terminal: table, JSON, CSV."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from typing import Any

import click

from ..store.csvcells import SafeWriter

FORMATS = ("table", "json", "csv")


def fmt_number(value: Any, unit: str | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if unit == "money":
            return f"{value:,.0f}"
        if unit == "per_customer":
            return f"{value:.3f}"
        if value.is_integer() and abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:,.1f}" if unit in ("percent", "score", "index") else f"{value:,.2f}"
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, units: dict[str, str] | None = None,
          headers: dict[str, str] | None = None) -> str:
    """A plain aligned text table (numbers right-aligned)."""
    headers = headers or {}
    cells = [[headers.get(c, c) for c in columns]]
    numeric = [False] * len(columns)
    for row in rows:
        line = []
        for i, c in enumerate(columns):
            v = row.get(c)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                numeric[i] = True
            unit = (units or {}).get(str(row.get("kpi")), None) if c in ("value", "change", "previous") else None
            line.append(fmt_number(v, unit))
        cells.append(line)
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    out = []
    for j, r in enumerate(cells):
        parts = [(r[i].rjust(widths[i]) if numeric[i] and j else r[i].ljust(widths[i])) for i in range(len(columns))]
        out.append("  ".join(parts).rstrip())
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """CSV text of ``rows``; a text cell that a spreadsheet would run as a formula gets a ``'`` in front
    (:mod:`advokit.store.csvcells`), numbers are written as they are."""
    buf = io.StringIO()
    writer = SafeWriter(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow("" if row.get(k) is None else row.get(k) for k in columns)
    return buf.getvalue()


def emit(data: Any, fmt: str, *, columns: Sequence[str] | None = None, units: dict[str, str] | None = None,
         headers: dict[str, str] | None = None) -> None:
    """Print ``data`` (a list of dicts, or a dict for json) in the chosen format."""
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return
    rows = data if isinstance(data, list) else [data]
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt == "csv":
        click.echo(to_csv(rows, cols), nl=False)
    else:
        click.echo(table(rows, cols, units=units, headers=headers) if rows else "(no rows)")
