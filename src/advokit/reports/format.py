"""Numbers and words as every report format prints them (one place, so all formats agree)."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence

from ..settings import SYMBOLS
from .model import Metric, SegmentWin

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


MINUS = "\u2212"  # "−": a minus sign, not a hyphen
NO_CHANGE = "no change"
#: Decimals of a value and of a change, per unit (a value on a scale: see ``_scale_digits``).
_DIGITS: dict[str, int] = {"percent": 1, "money": 0, "per_customer": 3, "count": 0, "days": 1, "ratio": 2,
                           "score": 1, "index": 1}


def currency_symbol(code: str) -> str:
    """How an amount in this currency is prefixed: ``€`` / ``$`` / ``£`` / ``¥``, else the ISO code itself."""
    upper = code.strip().upper()
    return SYMBOLS.get(upper, upper)


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def _bound(value: float) -> str:
    return f"{value:g}"


def _scale_digits(scale: tuple[float, float]) -> int:
    """A 1–5 rating (stars) reads with 2 decimals ("★ 4.46 of 5"), any other scale with 1 ("3.1 of 7")."""
    return 2 if scale[1] == 5 else 1


def _digits(unit: str, scale: tuple[float, float] | None) -> int:
    return _scale_digits(scale) if scale is not None else _DIGITS.get(unit, 1)


def _money(magnitude: str, currency: str | None) -> str:
    if currency is None:
        return magnitude
    symbol = currency_symbol(currency)
    return symbol + magnitude if len(symbol) == 1 else f"{symbol} {magnitude}"


def number(value: float | None, unit: str, *, per_month: bool = False, scale: tuple[float, float] | None = None,
           currency: str | None = None) -> str:
    """A KPI value in its unit: ``76.1 %``, ``€918,900``, ``★ 4.46 of 5``, ``3.1 of 7``, ``29``, ``15.8 days``.

    A value on a rating ``scale`` reads against its top (stars for a 1–5 scale); money carries the
    workspace ``currency`` (a symbol for €, $, £ and ¥, else the ISO code: ``CHF 1,200``); counts have
    no decimals. A negative value has a minus sign (−), a value that rounds to zero none. None or NaN:
    ``n/a``.
    """
    if not _finite(value):
        return "n/a"
    assert value is not None
    digits = _digits(unit, scale)
    magnitude = f"{abs(value):,.{digits}f}"
    sign = MINUS if value < 0 and float(magnitude.replace(",", "")) != 0 else ""
    if scale is not None:
        text = f"{sign}{magnitude} of {_bound(scale[1])}"
        if scale[1] == 5:
            text = "★ " + text
    elif unit == "percent":
        text = f"{sign}{magnitude} %"
    elif unit == "money":
        text = sign + _money(magnitude, currency)
    elif unit == "days":
        text = f"{sign}{magnitude} days"
    else:  # count, per_customer, ratio, score, index
        text = sign + magnitude
    return text + (" /month" if per_month else "")


def change(value: float | None, unit: str, *, scale: tuple[float, float] | None = None,
           currency: str | None = None) -> str:
    """A signed change: ``+2.9 pts`` (percent, score and index: points), ``−€442,400``, ``+0.12`` (1–5
    scale), ``+0.3`` (other scales), ``+3`` (counts), ``+2.0 days``.

    A change that rounds to zero at the precision shown is ``no change`` (never −0.0, +0.0 or ±0); the
    minus sign is U+2212. None or NaN: ``n/a``.
    """
    if not _finite(value):
        return "n/a"
    assert value is not None
    digits = _digits(unit, scale)
    magnitude = f"{abs(value):,.{digits}f}"
    if float(magnitude.replace(",", "")) == 0:
        return NO_CHANGE
    sign = "+" if value > 0 else MINUS
    if scale is not None:
        return sign + magnitude
    if unit in ("percent", "score", "index"):
        return f"{sign}{magnitude} pts"
    if unit == "money":
        return sign + _money(magnitude, currency)
    if unit == "days":
        return f"{sign}{magnitude} days"
    return sign + magnitude


def value(m: Metric) -> str:
    """A metric's value in its unit, scale and currency, with ``*`` when it rests on a small sample (n < 30)."""
    return amount(m, m.value) + ("*" if m.small_sample and m.value is not None else "")


def delta(m: Metric) -> str:
    """A metric's change against its reference, as :func:`change` writes it."""
    return change(m.change, m.unit, scale=m.scale, currency=m.currency)


def amount(m: Metric, v: float | None) -> str:
    """Another number in the metric's unit, scale and currency (its reference, its target)."""
    return number(v, m.unit, per_month=m.per_month, scale=m.scale, currency=m.currency)


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
    return f"{amount(m, m.target)} ({m.target_status or 'n/a'})"


def band(m: Metric) -> str:
    """The band's label only ("Fair"; its rating is what the status already says), ``n/a`` without one."""
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


def join_and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def sentence(text: str) -> str:
    """The text with its first letter upper-cased (the rest untouched)."""
    return text[:1].upper() + text[1:]



def group_number(g: SegmentWin, v: float | None) -> str:
    """A segment's value (or the rest's) in its KPI's unit, scale and currency."""
    return number(v, g.unit, scale=g.scale, currency=g.currency)


def group_change(g: SegmentWin) -> str:
    """How much better a segment does than the rest, in its KPI's unit."""
    return change(g.difference, g.unit, scale=g.scale, currency=g.currency)
