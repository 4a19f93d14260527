"""Turning one cell of an export into the canonical text of a field.

Each conversion either returns the canonical text (or None: empty) or raises
:class:`CellError` with the reason; the importer then rejects that row with
the file's line, column, value and the reason. Nothing is guessed: a date
that matches none of the given formats, a score outside the range a rescale
names, a value missing from a value map marked ``other: reject`` are errors.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InvalidArgumentError
from .spec import FieldSpec, Rescale

_LEADING = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)")
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p", "%f", "%z", "%X", "%c", "%T", "%R")


class CellError(ValueError):
    """A cell that the mapping cannot turn into its field (the reason is the message)."""


@lru_cache(maxsize=64)
def _zone(name: str) -> dt.tzinfo:
    if name.upper() in ("UTC", "Z", "GMT"):
        return dt.timezone.utc
    return ZoneInfo(name)


def zone(name: str, where: str = "timezone") -> dt.tzinfo:
    """A time zone by its IANA name (``Europe/Paris``), or an error naming ``where``."""
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        raise InvalidArgumentError(f"{where}: unknown time zone {name!r}",
                                   hint="use an IANA name such as UTC, Europe/Paris or America/Denver") from None


def check_format(fmt: str, where: str) -> None:
    if fmt in ("unix", "unix_ms", "iso"):
        return
    if "%" not in fmt:
        raise InvalidArgumentError(f"{where}: {fmt!r} is not a date format",
                                   hint="a strftime format such as %d/%m/%Y %H:%M, or unix, unix_ms, iso")


def _utc_text(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.isoformat(sep=" ")


def _localise(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


#: formats whose text ``datetime.fromisoformat`` reads exactly, and much faster than ``strptime``
_ISO_SHAPED = {"%Y-%m-%d %H:%M:%S": re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"),
               "%Y-%m-%dT%H:%M:%S": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"),
               "%Y-%m-%d %H:%M": re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"),
               "%Y-%m-%d": re.compile(r"\d{4}-\d{2}-\d{2}")}


def _parse(text: str, fmt: str) -> dt.datetime:
    shape = _ISO_SHAPED.get(fmt)
    if shape is not None and shape.fullmatch(text):
        return dt.datetime.fromisoformat(text)
    return dt.datetime.strptime(text, fmt)


@lru_cache(maxsize=8192)
def date_text(raw: str, formats: tuple[str, ...], tz_name: str | None) -> str:
    """A date or time in UTC as canonical text (``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS[.ffffff]``).

    Times without a zone are in ``tz_name`` (UTC when None). A format without
    a time of day gives a calendar date, which no time zone shifts.
    """
    text = raw.strip()
    tz = zone(tz_name) if tz_name else dt.timezone.utc
    for fmt in formats:
        if fmt in ("unix", "unix_ms"):
            try:
                seconds = float(text) / (1000 if fmt == "unix_ms" else 1)
                if not math.isfinite(seconds):
                    raise ValueError
                return _utc_text(dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc))
            except (ValueError, OverflowError, OSError):
                continue
        if fmt == "iso":
            continue
        try:
            parsed = _parse(text, fmt)
        except ValueError:
            continue
        if not any(d in fmt for d in _TIME_DIRECTIVES):
            return parsed.date().isoformat()
        return _utc_text(_localise(parsed, tz))
    try:  # ISO 8601 is always understood (an export set to UTC / ISO, or a corrected file)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text).isoformat()
        return _utc_text(_localise(dt.datetime.fromisoformat(text.replace("Z", "+00:00")), tz))
    except ValueError:
        pass
    shown = " or ".join(f for f in formats if f != "iso") if formats else ""
    raise CellError(f"{text!r} is not a date" + (f" in the format {shown}" if shown else " (ISO 8601)"))


def _number(text: str) -> float:
    try:
        value = float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
    except ValueError:
        raise CellError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise CellError(f"{text!r} is not a finite number")
    return value


def _shown(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def rescaled(text: str, rule: Rescale) -> str:
    value = _number(text)
    (s0, s1), (t0, t1) = rule.source, rule.target
    if not s0 <= value <= s1:
        raise CellError(f"{text} is outside the scale {_shown(s0)}–{_shown(s1)} the mapping rescales from")
    out = t0 + (value - s0) * (t1 - t0) / (s1 - s0)
    if rule.round:
        return str(int(math.floor(out + 0.5)))
    return _shown(round(out, 6))


def leading_number(text: str) -> str:
    found = _LEADING.match(text)
    if not found:
        raise CellError(f"{text!r} does not start with a number")
    return found.group(1)


def normalised(text: str, how: str | None) -> str:
    text = text.strip()
    if how in ("email", "lower"):
        return text.casefold() if how == "email" else text.lower()
    if how == "upper":
        return text.upper()
    return text


def convert(spec: FieldSpec, raw: str | None, *, tz_override: str | None = None,
            header_zone: str | None = None) -> str | None:
    """One field's canonical text from its raw cell (None: empty)."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if spec.values:
        folded = text.casefold()
        for key, mapped in spec.values:
            if key == folded:
                text = mapped
                break
        else:
            if spec.other == "reject":
                known = ", ".join(repr(k) for k, _ in spec.values[:8])
                raise CellError(f"{raw.strip()!r} is not one of the values the mapping knows ({known})")
        if not text:
            return None
    if spec.leading_number:
        text = leading_number(text)
    if spec.rescale is not None:
        text = rescaled(text, spec.rescale)
    if spec.formats or spec.name in ("occurred_at", "signup_at", "churned_at") and (tz_override or spec.timezone):
        tz = tz_override or (header_zone if spec.timezone == "header" else spec.timezone)
        text = date_text(text, spec.formats, tz)
    return spec.prefix + text + spec.suffix if (spec.prefix or spec.suffix) else text
