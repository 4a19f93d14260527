"""``advokit loops list``: the closed-loop queue, answers that need a follow-up, oldest first.

\b
advokit loops list --open --format json       # the open loops, oldest first
advokit loops list --older-than 2d            # loops open two days or more (2d, 36h, 1w)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ..errors import InvalidArgumentError
from ..loops.durations import parse_days
from ..loops.service import COLUMNS
from .app import State, cli, format_option, pass_state
from .render import emit


class Duration(click.ParamType):
    """A duration such as 2d, 36h or 1w, in days."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        try:
            return parse_days(str(value), name="--older-than")
        except InvalidArgumentError as exc:
            self.fail(f"{exc.message} ({exc.hint})", param, ctx)


@cli.group()
def loops() -> None:
    """Closed loop: the answers that need a follow-up (NPS 0–6, CSAT 1–2, review stars 1–2, negative
    mentions by customers) and their state: open, closed in SLA, closed late."""


@loops.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only the loops still open.")
@click.option("--older-than", "older_than", type=Duration(), default=None, metavar="DURATION",
              help="Only loops open at least this long (to their close, or until now): 2d, 36h, 1w.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]),
              default=None, help="The state at this day or time (UTC). Default: now.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@format_option()
@pass_state
def loops_list(state: State, open_only: bool, older_than: float | None, as_of: dt.datetime | None, limit: int,
               fmt: str) -> None:
    """Each answer that needs a follow-up, oldest first, with its comment, owner, state, due time and age."""
    rows = state.open().loops.list(open_only=open_only, older_than_days=older_than, as_of=as_of, limit=limit)
    if fmt == "table":
        rows = [{**r, "text": (r["text"] or "")[:50], "age_days": round(r["age_days"], 1)} for r in rows]
    emit(rows, fmt, columns=list(COLUMNS))
