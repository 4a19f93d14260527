"""Report schedules: what to send (kind, formats), on which day of the month, to whom.

A schedule is one row of the ``schedules`` table; ``recipients`` holds e-mail
addresses and http(s) webhook URLs, one per line. Every argument is checked
here, so each shell rejects the same input with the same message.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidArgumentError, NotFoundError
from ..store.database import Database

#: The seeds' cadence: the monthly KPI pack with commentary, the quarterly advocacy impact review,
#: the monthly customer-story spotlight and ad hoc campaign reports.
KINDS: tuple[str, ...] = ("monthly", "quarterly", "spotlight", "campaign")
FORMATS: tuple[str, ...] = ("pdf", "html", "md")
MAX_RECIPIENTS = 50

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_COLUMNS = "schedule_id, kind, day, recipients, formats, period, created_at"


def is_webhook(recipient: str) -> bool:
    return recipient.startswith(("http://", "https://"))


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidArgumentError(f"unknown schedule kind {kind!r}", hint="use one of: " + ", ".join(KINDS))
    return kind


def check_day(day: int) -> int:
    if not 1 <= day <= 31:
        raise InvalidArgumentError(f"day {day} is not a day of the month",
                                   hint="give a day from 1 to 31 (in a shorter month, its last day)")
    return day


def check_recipient(recipient: str) -> str:
    text = recipient.strip()
    if is_webhook(text):
        parts = urlsplit(text)
        if not parts.hostname or any(c.isspace() for c in text):
            raise InvalidArgumentError(f"{text!r} is not a webhook URL", hint="give http(s)://HOST/PATH")
        return text
    if len(text) > 254 or not _EMAIL.match(text):
        raise InvalidArgumentError(f"{text!r} is neither an e-mail address nor an http(s) URL",
                                   hint="give name@example.com or https://hooks.example.com/...")
    return text


def check_formats(formats: Sequence[str]) -> list[str]:
    out: list[str] = []
    for fmt in formats or ("pdf",):
        if fmt not in FORMATS:
            raise InvalidArgumentError(f"unknown report format {fmt!r}", hint="use one of: " + ", ".join(FORMATS))
        if fmt not in out:
            out.append(fmt)
    return out


def check_campaign(kind: str, period: str | None) -> str | None:
    """A campaign schedule names its months (``YYYY-MM..YYYY-MM``); the cadences do not take one."""
    if kind != "campaign":
        if period is not None:
            raise InvalidArgumentError(f"a {kind} schedule reports the period just ended",
                                       hint="give --period only to a campaign schedule")
        return None
    parts = (period or "").split("..")
    if len(parts) != 2 or not all(_MONTH.match(p) for p in parts) or parts[0] > parts[1]:
        raise InvalidArgumentError(f"a campaign schedule needs its months, not {period!r}",
                                   hint="give --period FIRST..LAST, e.g. 2025-09..2025-10")
    return period


def _row(r: tuple[Any, ...]) -> dict[str, Any]:
    return {"id": r[0], "kind": r[1], "day": r[2], "recipients": r[3].split("\n"),
            "formats": r[4].split(","), "period": r[5],
            "created_at": r[6].replace(microsecond=0).isoformat() + "Z"}


def add(db: Database, *, kind: str, day: int, recipients: Sequence[str], formats: Sequence[str],
        period: str | None = None) -> dict[str, Any]:
    kind = check_kind(kind)
    wanted = [check_recipient(r) for r in recipients]
    if not wanted:
        raise InvalidArgumentError("a schedule needs a recipient", hint="give --to ADDRESS or --to https://...")
    if len(wanted) > MAX_RECIPIENTS:
        raise InvalidArgumentError(f"more than {MAX_RECIPIENTS} recipients", hint="use a mailing list")
    row = (secrets.token_hex(4), kind, check_day(day), "\n".join(dict.fromkeys(wanted)),
           ",".join(check_formats(formats)), check_campaign(kind, period),
           dt.datetime.now(dt.UTC).replace(tzinfo=None))
    with db.transaction(data=False) as cur:
        cur.execute(f"INSERT INTO schedules ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", list(row))
    return _row(row)


def all_schedules(db: Database) -> list[dict[str, Any]]:
    rows = db.cursor().execute(f"SELECT {_COLUMNS} FROM schedules ORDER BY created_at, schedule_id").fetchall()
    return [_row(r) for r in rows]


def remove(db: Database, schedule_id: str) -> None:
    with db.transaction(data=False) as cur:
        found = cur.execute("SELECT count(*) FROM schedules WHERE schedule_id = ?", [schedule_id]).fetchall()
        if not found[0][0]:
            raise NotFoundError(f"no schedule {schedule_id!r}", hint="see `advokit report schedule list`")
        cur.execute("DELETE FROM schedules WHERE schedule_id = ?", [schedule_id])
