"""How numbers, changes and statuses read on the pages (Jinja filters), and sparklines as inline SVG.

A KPI's value and change read as in the reports (:mod:`advokit.reports.format`: the workspace
currency, "★ 4.46 of 5", "3.1 of 7", "pts", "no change") through :class:`Units`; ``fmt_value``
and ``fmt_change`` stay for the other numbers of the pages (an account's ARR, a score answer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..catalogue import Catalogue, KpiDefinition
from ..reports import format as report_format

#: Status → (word, icon, css class). The word and the icon carry the status; colour only repeats it.
STATUS: dict[str, tuple[str, str]] = {
    "good": ("Good", "✓"),
    "watch": ("Watch", "!"),
    "poor": ("Poor", "✕"),
    "unknown": ("No rating", "?"),
    "not_tracked": ("Not tracked", "–"),
}
UNIT_LABELS = {"percent": "%", "score": "score", "index": "index", "per_customer": "per customer",
               "money": "money", "count": "count", "days": "days", "ratio": "ratio"}


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def fmt_value(value: Any, unit: str = "score") -> str:
    """A KPI value for reading: ``42.1%``, ``1,250``, ``1.33``; an em dash when empty."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    v = float(value)
    if unit == "percent":
        return _number(v, 1) + "%"
    if unit in ("money", "count"):
        return _number(v, 0) if abs(v) >= 100 or v == int(v) else _number(v, 2)
    if unit in ("per_customer", "ratio"):
        return _number(v, 2)
    return _number(v, 1)


def fmt_change(change: Any, unit: str = "score") -> str:
    """A signed change: ``+3.5 pts`` for percent values (percentage points), else the unit's format."""
    if change is None or (isinstance(change, float) and not math.isfinite(change)):
        return "—"
    v = float(change)
    sign = "+" if v > 0 else ("−" if v < 0 else "±")
    body = fmt_value(abs(v), unit)
    if unit == "percent":
        body = body.rstrip("%") + " pts"
    return sign + body


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


@dataclass(frozen=True)
class Units:
    """KPI values and changes as the reports write them, with the workspace currency (``ws.settings``).

    An empty value or change is an em dash, as everywhere on the pages.
    """

    catalogue: Catalogue
    currency: str | None = None

    def _kpi(self, kpi: str | KpiDefinition) -> KpiDefinition:
        return kpi if isinstance(kpi, KpiDefinition) else self.catalogue.get(kpi)

    def _money(self, k: KpiDefinition) -> str | None:
        return self.currency if k.unit == "money" else None

    def value(self, value: Any, kpi: str | KpiDefinition) -> str:
        """``€918,900``, ``★ 4.46 of 5``, ``3.1 of 7``, ``76.1 %``, ``29``."""
        if _empty(value):
            return "—"
        k = self._kpi(kpi)
        return report_format.number(float(value), k.unit, scale=k.scale, currency=self._money(k))

    def change(self, change: Any, kpi: str | KpiDefinition) -> str:
        """``+2.9 pts``, ``−€442,400``, ``+0.12``, ``+3``, ``no change``."""
        if _empty(change):
            return "—"
        k = self._kpi(kpi)
        return report_format.change(float(change), k.unit, scale=k.scale, currency=self._money(k))

    def label(self, kpi: str | KpiDefinition) -> str:
        """The unit word shown after a value, empty when the value already says it (%, days, a scale, a currency)."""
        k = self._kpi(kpi)
        if k.unit in ("percent", "days") or k.scale is not None or (k.unit == "money" and self.currency):
            return ""
        return UNIT_LABELS.get(k.unit, k.unit)


def fmt_pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{float(value):+.1f}%"


def fmt_p(value: Any) -> str:
    if value is None:
        return ""
    v = float(value)
    return "p < 0.001" if v < 0.001 else f"p = {v:.3f}"


def fmt_date(value: Any) -> str:
    """``2025-01-05T10:00:00Z`` → ``2025-01-05 10:00``."""
    if not value:
        return "—"
    text = str(value).replace("T", " ").rstrip("Z")
    return text[:16] if len(text) > 10 else text


@dataclass(frozen=True)
class Trend:
    """How a change reads for a KPI with a direction: arrow, word and css class."""

    arrow: str
    word: str
    css: str


def trend(change: Any, direction: str) -> Trend:
    if change is None or (isinstance(change, float) and not math.isfinite(change)) or float(change) == 0:
        return Trend("→", "no change" if change is not None else "no comparison", "flat")
    up = float(change) > 0
    better = up == (direction == "higher_is_better")
    return Trend("▲" if up else "▼", "better" if better else "worse", "better" if better else "worse")


def status(value: str | None) -> dict[str, str]:
    key = value if value in STATUS else "unknown"
    word, icon = STATUS[key]
    return {"key": key, "word": word, "icon": icon}


def sparkline(values: Sequence[float | None], labels: Sequence[str], *, unit: str, width: int = 180,
              height: int = 40) -> dict[str, Any]:
    """The points of an inline SVG sparkline and a text alternative (None when fewer than 2 values)."""
    known = [(i, float(v)) for i, v in enumerate(values) if v is not None and math.isfinite(float(v))]
    if len(known) < 2:
        return {"points": "", "last": None, "label": "Not enough history for a trend line"}
    lo = min(v for _, v in known)
    hi = max(v for _, v in known)
    span = (hi - lo) or 1.0
    step = (width - 4) / max(1, len(values) - 1)
    coords = [(2 + i * step, height - 3 - (v - lo) / span * (height - 6)) for i, v in known]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    # a period without a value (not tracked, no data) breaks the line: one polyline per run of values
    segments: list[list[str]] = []
    previous = -2
    for (i, _), (x, y) in zip(known, coords):
        if i != previous + 1:
            segments.append([])
        segments[-1].append(f"{x:.1f},{y:.1f}")
        previous = i
    first_i, first_v = known[0]
    last_i, last_v = known[-1]
    label = (f"Trend over {len(values)} periods: {fmt_value(first_v, unit)} in {labels[first_i]}, "
             f"{fmt_value(last_v, unit)} in {labels[last_i]}; low {fmt_value(lo, unit)}, high {fmt_value(hi, unit)}")
    return {"points": points, "segments": [" ".join(seg) for seg in segments], "last": coords[-1], "label": label,
            "width": width, "height": height}
