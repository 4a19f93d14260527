"""A computed KPI table, convertible to Arrow, pandas and JSON-ready rows."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd


class KpiResult:
    """Rows in the output contract of kpi-semantics.md (one per KPI × period × group)."""

    def __init__(self, table: pa.Table, *, by: tuple[str, ...] = ()) -> None:
        self._table = table
        self.by = by

    def __len__(self) -> int:
        return int(self._table.num_rows)

    def __repr__(self) -> str:
        return f"KpiResult({self._table.num_rows} rows, columns={self._table.column_names})"

    @property
    def columns(self) -> list[str]:
        return list(self._table.column_names)

    def to_arrow(self) -> pa.Table:
        return self._table

    def to_pandas(self) -> "pd.DataFrame":
        return self._table.to_pandas()

    def to_dicts(self) -> list[dict[str, Any]]:
        """JSON-ready rows: dates as ISO strings, NaN as None."""
        rows: list[dict[str, Any]] = self._table.to_pylist()
        for row in rows:
            for key, value in row.items():
                if isinstance(value, dt.date):
                    row[key] = value.isoformat()
                elif isinstance(value, float) and math.isnan(value):
                    row[key] = None
        return rows

    def value(self, kpi: str, period: str, **group: str | None) -> float | None:
        """One value, for tests and narrative: ``result.value("nps", "2025-01", segment="SMB")``."""
        for row in self.to_dicts():
            if row["kpi"] == kpi and row["period"] == period and all(row.get(k) == v for k, v in group.items()):
                return row["value"]  # type: ignore[no-any-return]
        raise KeyError((kpi, period, group))
