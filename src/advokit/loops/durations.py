"""Durations as people type them: ``2d``, ``36h``, ``1w``, ``90m`` (a number and one unit)."""

from __future__ import annotations

import re

from ..errors import InvalidArgumentError

_UNITS = {"m": 1 / 1440, "h": 1 / 24, "d": 1.0, "w": 7.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([mhdw])")


def parse_days(text: str, *, name: str = "older_than") -> float:
    """``text`` in days: ``2d`` → 2.0, ``36h`` → 1.5, ``1w`` → 7.0 (m: minutes, h: hours, d: days, w: weeks)."""
    found = _DURATION.fullmatch(text.strip().lower()) if isinstance(text, str) else None
    if found is None:
        raise InvalidArgumentError(f"{name} must be a number and a unit (m, h, d or w), not {text!r}",
                                   hint="e.g. 2d, 36h or 1w")
    return float(found.group(1)) * _UNITS[found.group(2)]
