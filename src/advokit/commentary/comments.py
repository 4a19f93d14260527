"""Team commentary per KPI and period, shared by the dashboard, the reports and the CLI.

A comment says what the team makes of a KPI in one period ("NPS fell after the
pricing change; CS is calling detractors"). ``kind`` says what it is for:

* ``comment``     an observation (shown on the dashboard card and KPI page);
* ``action``      an action the team commits to (the report's Next Steps);
* ``request``     a request for support (the report's Next Steps & Requests);

``owner`` names who is responsible and ``due`` the date it is due by (the report's Risks & Action
Plans and Next Steps show both).
Bodies are stored as plain text; every shell escapes them when it renders.
Statements bind values as parameters: no user text enters SQL.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Literal

from ..errors import InvalidArgumentError, NotFoundError
from ..store.database import Database

Kind = Literal["comment", "action", "request"]
KINDS: tuple[Kind, ...] = ("comment", "action", "request")
MAX_BODY = 1000
MAX_NAME = 100

_COLUMNS = "comment_id, kpi, period, body, author, owner, kind, created_at, due"


def _clean(value: str | None, *, field: str, limit: int, required: bool = False) -> str | None:
    text = (value or "").strip()
    if "\x00" in text:
        raise InvalidArgumentError(f"the {field} contains a NUL character", hint="remove control characters")
    if not text:
        if required:
            raise InvalidArgumentError(f"the {field} is empty", hint=f"write a {field} of 1 to {limit} characters")
        return None
    if len(text) > limit:
        raise InvalidArgumentError(f"the {field} is longer than {limit} characters", hint="shorten it")
    return text


def check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise InvalidArgumentError(f"unknown comment kind {kind!r}", hint="use one of: " + ", ".join(KINDS))
    return kind  # type: ignore[return-value,unused-ignore]  # checked just above


def check_due(value: dt.date | str | None) -> dt.date | None:
    """A due date given as a date or an ISO string (YYYY-MM-DD); None or an empty string: none."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    text = str(value).strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidArgumentError(f"the due date {text!r} is not a date",
                                   hint="give due as YYYY-MM-DD, e.g. 2026-12-15") from None


def _row(r: tuple[Any, ...]) -> dict[str, Any]:
    created, due = r[7], r[8]
    return {"id": r[0], "kpi": r[1], "period": r[2], "body": r[3], "author": r[4], "owner": r[5],
            "kind": r[6] or "comment",
            "created_at": None if created is None else created.replace(microsecond=0).isoformat() + "Z",
            "due": None if due is None else due.isoformat()}


def add_comment(db: Database, *, kpi: str, period: str, body: str, author: str | None = None,
                owner: str | None = None, kind: str = "comment",
                due: dt.date | str | None = None) -> dict[str, Any]:
    """Store one comment and return it as stored. ``kpi`` and ``period`` must already be checked."""
    text = _clean(body, field="comment", limit=MAX_BODY, required=True)
    row = (secrets.token_hex(8), kpi, period, text, _clean(author, field="author", limit=MAX_NAME),
           _clean(owner, field="owner", limit=MAX_NAME), check_kind(kind),
           dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), check_due(due))
    with db.transaction(data=False) as cur:
        cur.execute(f"INSERT INTO comments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(row))
    return _row(row)


def list_comments(db: Database, *, kpi: str | None = None, period: str | None = None,
                  kind: str | None = None) -> list[dict[str, Any]]:
    """Comments, oldest first, optionally only of one KPI, period or kind."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("kpi", kpi), ("period", period), ("kind", kind)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = f"SELECT {_COLUMNS} FROM comments"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = db.cursor().execute(sql + " ORDER BY created_at, comment_id", params).fetchall()
    return [_row(r) for r in rows]


def delete_comment(db: Database, comment_id: str) -> None:
    with db.transaction(data=False) as cur:
        found = cur.execute("SELECT count(*) FROM comments WHERE comment_id = ?", [comment_id]).fetchone()
        if not found or not found[0]:
            raise NotFoundError(f"no comment with id {comment_id!r}", hint="list them with `advokit comment list`")
        cur.execute("DELETE FROM comments WHERE comment_id = ?", [comment_id])
