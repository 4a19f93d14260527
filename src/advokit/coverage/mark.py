"""Mark KPI rows ``covered`` or ``not_tracked``: a value the workspace cannot support becomes null.

A row is covered when every input its KPI needs is covered in the row's period (workspace-wide: the
segment does not matter). A not-tracked row keeps its key, ``n`` and counts, loses its value, numerator,
denominator and intervals, and gets a one-line ``note`` naming the first missing input and how to supply
it. ``small_sample`` is only a warning about a small sample: with n = 0 there is no sample, so it is null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..catalogue import Catalogue
from .inputs import supply_hint
from .spans import Coverage, SpanInfo

COVERED, NOT_TRACKED = "covered", "not_tracked"
#: Columns a not-tracked row does not have a value for.
NULLED = ("value", "numerator", "denominator", "margin_of_error", "ci_low", "ci_high", "std_error",
          "small_sample")
#: label -> (first day, day after the last) of a period label
Bounds = Callable[[str], tuple[dt.date, dt.date]]


def _note(info: SpanInfo, label: str, others: int) -> str:
    more = f" (and {others} more input{'s' if others > 1 else ''})" if others else ""
    what = info.input.label
    span = info.span
    if span is None:
        return f"not tracked: the workspace holds no {what}{more}; {supply_hint(info.input)}"
    lo = span.start.isoformat() if span.start else "the beginning"
    hi = span.end.isoformat() if span.end else "now"
    how = "declared" if info.source == "user" else "in the data"
    return (f"not tracked in {label}: {what} run from {lo} to {hi} ({how}){more}; "
            f"to change that, advokit coverage set {info.input.name} --from YYYY-MM --to YYYY-MM")


class Marker:
    """Coverage verdicts per KPI and period label, computed once per label."""

    def __init__(self, coverage: Coverage, catalogue: Catalogue, bounds: Bounds) -> None:
        self.coverage = coverage
        self.catalogue = catalogue
        self.bounds = bounds
        self._memo: dict[tuple[str, str], str | None] = {}

    def note(self, kpi_id: str, label: str) -> str | None:
        """None when the KPI is covered in the period, else the note saying why not."""
        key = (kpi_id, label)
        if key not in self._memo:
            start, end = self.bounds(label)
            kpi = self.catalogue.get(kpi_id)
            if kpi.coverage_lookback_months:
                index = start.year * 12 + start.month - 1 - kpi.coverage_lookback_months
                start = dt.date(max(index // 12, dt.MINYEAR), index % 12 + 1, 1)
            missing = [i for i in self.coverage.infos(kpi)
                       if i.span is None or not i.span.overlaps(start, end)]
            self._memo[key] = _note(missing[0], label, len(missing) - 1) if missing else None
        return self._memo[key]


def mark_rows(rows: Sequence[dict[str, Any]], marker: Marker) -> list[dict[str, Any]]:
    """The rows with ``coverage`` and ``note`` after ``n`` (new dicts, in the column order of
    :func:`mark_table`)."""
    out = []
    for row in rows:
        note = marker.note(row["kpi"], row["period"])
        new: dict[str, Any] = {}
        for key, value in row.items():
            if key in NULLED and (note is not None or (key == "small_sample" and not row.get("n"))):
                value = None
            new[key] = value
            if key == "n":
                new["coverage"] = COVERED if note is None else NOT_TRACKED
                new["note"] = note
        out.append(new)
    return out


def mark_table(table: pa.Table, marker: Marker) -> pa.Table:
    """The KPI result table with ``coverage`` and ``note`` columns after ``n``."""
    if "n" not in table.column_names:
        return table
    kpis = table["kpi"].combine_chunks() if table.num_rows else pa.array([], pa.string())
    labels = table["period"].combine_chunks() if table.num_rows else pa.array([], pa.string())
    keys = pc.binary_join_element_wise(kpis, labels, "\x00")
    uniq = pc.unique(keys)
    notes = [marker.note(*str(k).split("\x00", 1)) for k in uniq.to_pylist()]
    index = pc.index_in(keys, value_set=uniq)
    note_col = pc.take(pa.array(notes, pa.string()), index)
    tracked = pc.is_null(note_col)
    cov_col = pc.if_else(tracked, pa.scalar(COVERED), pa.scalar(NOT_TRACKED))
    has_n = pc.fill_null(pc.greater(table["n"], 0), False)
    cols: list[pa.Array | pa.ChunkedArray] = []
    fields: list[pa.Field] = []
    for name in table.column_names:
        col = table[name]
        if name in NULLED:
            keep = pc.and_(tracked, has_n) if name == "small_sample" else tracked
            col = pc.if_else(keep, col, pa.nulls(len(col), col.type))
        cols.append(col)
        fields.append(table.schema.field(name))
        if name == "n":
            cols += [cov_col, note_col]
            fields += [pa.field("coverage", pa.string()), pa.field("note", pa.string())]
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))
