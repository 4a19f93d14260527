"""``advokit comment add|list|delete``: the team's commentary per KPI and period (shared with the dashboard).

Comments, actions and requests for support appear in the reports: actions and
requests under *Next Steps & Requests for Support*, owners under *Risks &
Action Plans*.
"""

from __future__ import annotations

import click

from .app import State, cli, pass_state
from .render import emit

_KINDS = click.Choice(["comment", "action", "request"])
_COLUMNS = ["id", "kpi", "period", "kind", "owner", "due", "author", "created_at", "body"]


@cli.group()
def comment() -> None:
    """Team commentary per KPI and period: observations, actions and requests for support."""


@comment.command("add")
@click.argument("kpi_id")
@click.option("--period", required=True, metavar="PERIOD", help="YYYY-MM, YYYY-Qn or YYYY.")
@click.option("--body", required=True, metavar="TEXT", help="What the team says (1 to 1000 characters).")
@click.option("--owner", default=None, metavar="NAME", help="Who is responsible (shown in the report's risks).")
@click.option("--due", default=None, metavar="YYYY-MM-DD",
              help="When the action or request is due (shown with the owner in the report).")
@click.option("--author", default=None, metavar="NAME", help="Who wrote it.")
@click.option("--kind", type=_KINDS, default="comment", show_default=True,
              help="comment: an observation; action: a next step; request: a request for support.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@pass_state
def comment_add(state: State, kpi_id: str, period: str, body: str, owner: str | None, due: str | None,
                author: str | None, kind: str, fmt: str) -> None:
    """Add a comment: `advokit comment add nps --period 2025-09 --kind action --owner Dana --due 2025-10-15
    --body "Call detractors"`."""
    saved = state.open(write=True).commentary.add(kpi_id, period, body, author=author, owner=owner, kind=kind,
                                                  due=due)
    if fmt == "json":
        emit(saved, "json")
        return
    who = ", ".join(x for x in (f"owner {saved['owner']}" if saved["owner"] else "",
                                f"due {saved['due']}" if saved.get("due") else "") if x)
    who = f" ({who})" if who else ""
    click.echo(f"{saved['kind']} {saved['id']} on {saved['kpi']} {saved['period']}{who}")


@comment.command("list")
@click.option("--kpi", "kpi_id", default=None, metavar="ID", help="Only this KPI.")
@click.option("--period", default=None, metavar="PERIOD", help="Only this period (YYYY-MM, YYYY-Qn or YYYY).")
@click.option("--kind", type=_KINDS, default=None, help="Only comments, actions or requests.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="Output format.")
@pass_state
def comment_list(state: State, kpi_id: str | None, period: str | None, kind: str | None, fmt: str) -> None:
    """The team's comments, oldest first."""
    rows = state.open().commentary.list(kpi=kpi_id, period=period, kind=kind)
    emit(rows, fmt, columns=_COLUMNS)


@comment.command("delete")
@click.argument("comment_id")
@pass_state
def comment_delete(state: State, comment_id: str) -> None:
    """Delete a comment by id."""
    state.open(write=True).commentary.delete(comment_id)
    click.echo(f"deleted comment {comment_id}")
