"""Numbers and words as every report format prints them (one place, so all formats agree)."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from .model import Metric

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def number(value: float | None, unit: str, *, per_month: bool = False) -> str:
    """A KPI value in its unit: ``70.5 %``, ``33.5``, ``0.228``, ``288,960``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if unit == "percent":
        text = f"{value:,.1f} %"
    elif unit == "money":
        text = f"{value:,.0f}"
    elif unit == "per_customer":
        text = f"{value:,.3f}"
    elif unit == "count":
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    elif unit == "days":
        text = f"{value:,.1f} days"
    elif unit == "ratio":
        text = f"{value:,.2f}"
    else:  # score, index
        text = f"{value:,.1f}"
    return text + (" /month" if per_month else "")


def value(m: Metric) -> str:
    """A metric's value, with ``*`` when it rests on a small sample (n < 30)."""
    return number(m.value, m.unit, per_month=m.per_month) + ("*" if m.small_sample and m.value is not None else "")


def change(value: float | None, unit: str) -> str:
    """A signed change: ``+5.4 pts`` for percentages (percentage points), ``-1,200`` for money."""
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if value > 0 else ("-" if value < 0 else "±")
    mag = abs(value)
    if unit == "percent":
        return f"{sign}{mag:,.1f} pts"
    if unit == "money":
        return f"{sign}{mag:,.0f}"
    if unit == "per_customer":
        return f"{sign}{mag:,.3f}"
    if unit == "count":
        return f"{sign}{mag:,.0f}" if float(mag).is_integer() else f"{sign}{mag:,.1f}"
    if unit == "ratio":
        return f"{sign}{mag:,.2f}"
    return f"{sign}{mag:,.1f}"


def p_value(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def significance(m: Metric) -> str:
    """What the table says about the change: ``significant rise``, ``not significant``, ``not tested``."""
    if m.significance == "up":
        return "significant rise"
    if m.significance == "down":
        return "significant fall"
    if m.significance == "none":
        return "not significant"
    return "not tested"


def verdict(m: Metric) -> str:
    """``better`` / ``worse`` for a significant change, else empty."""
    if not m.significant:
        return ""
    return "better" if m.improved else "worse"


def target(m: Metric) -> str:
    if m.target is None:
        return "none"
    return f"{number(m.target, m.unit)} ({m.target_status or 'n/a'})"


def band(m: Metric) -> str:
    return m.band or "n/a"


def benchmark(m: Metric) -> str:
    return "; ".join(m.benchmarks) if m.benchmarks else "none"


def period_name(label: str) -> str:
    """``2025-09`` → ``September 2025``, ``2025-Q3`` → ``Q3 2025``, ``2025`` → ``2025``."""
    if len(label) == 7 and label[4] == "-" and label[5:].isdigit():
        return f"{_MONTHS[int(label[5:]) - 1]} {label[:4]}"
    if "-Q" in label:
        return f"{label[5:]} {label[:4]}"
    return label


def date(text: str) -> str:
    return dt.date.fromisoformat(text[:10]).isoformat()


def clean_text(text: str, *, limit: int = 400) -> str:
    """Customer text made safe to lay out: normalised, no control characters, one paragraph, bounded."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return text


def sparkline(values: list[float | None]) -> str:
    """A text trend of the values (▁▂▃▄▅▆▇█; · for a missing period)."""
    bars = "▁▂▃▄▅▆▇█"
    live = [v for v in values if v is not None]
    if not live:
        return ""
    lo, hi = min(live), max(live)
    out = []
    for v in values:
        if v is None:
            out.append("·")
        elif hi == lo:
            out.append(bars[3])
        else:
            out.append(bars[round((v - lo) / (hi - lo) * (len(bars) - 1))])
    return "".join(out)


def sentence(text: str) -> str:
    """The text with its first letter upper-cased (the rest untouched)."""
    return text[:1].upper() + text[1:]


# -- thin wrappers of the pinned names (helper B, for the renderers; helper A's format.py replaces them) ------------
def delta(m: Metric) -> str:
    """A metric's change in its unit (``+2.9 pts``)."""
    return change(m.change, m.unit)


def amount(m: Metric, v: float | None) -> str:
    """Another number (a reference, a target) in the metric's unit."""
    return number(v, m.unit, per_month=m.per_month)
