"""``advokit coverage list|set|clear``: where the workspace holds each input a KPI reads."""

from __future__ import annotations

import click

from .app import State, cli, format_option, pass_state
from .render import emit

_COLUMNS = ["input", "kind", "from", "to", "source", "covered", "kpis"]


def _flat(row: dict[str, object]) -> dict[str, object]:
    kpis = row.get("kpis") or []
    return {**row, "kpis": ", ".join(kpis) if isinstance(kpis, list) else kpis}


@cli.group()
def coverage() -> None:
    """Coverage: the span in which the workspace holds each KPI input (event types, customer fields).

    A KPI is only computed where all its inputs are covered; elsewhere it is "not tracked" (null),
    never a judged zero. By default an event type spans from its first to its last event; declare
    what the data cannot know with `advokit coverage set nps_response --from 2024-03`.
    """


@coverage.command("list")
@format_option()
@pass_state
def coverage_list(state: State, fmt: str) -> None:
    """Every input, its span (days, inclusive), where the span comes from and the KPIs needing it."""
    rows = state.open().coverage.list()
    emit(rows if fmt == "json" else [_flat(r) for r in rows], fmt, columns=_COLUMNS)


@coverage.command("set")
@click.argument("input_name", metavar="INPUT")
@click.option("--from", "start", help="First period (or day) covered: YYYY-MM, YYYY-Qn, YYYY or YYYY-MM-DD.")
@click.option("--to", "end", help="Last period (or day) covered, inclusive. Left out: ongoing.")
@format_option(("text", "json"), default="text")
@pass_state
def coverage_set(state: State, input_name: str, start: str | None, end: str | None, fmt: str) -> None:
    """Declare where INPUT is tracked, e.g. `advokit coverage set nps_response --from 2024-03`."""
    row = state.open(write=True).coverage.set(input_name, start=start, end=end)
    if fmt == "json":
        emit(row, "json")
    else:
        click.echo(f"coverage of {row['input']}: {row['from'] or 'first event'} to {row['to'] or 'ongoing'} "
                   f"(declared); KPIs: {', '.join(row['kpis']) or 'none'}")


@coverage.command("clear")
@click.argument("input_name", metavar="INPUT")
@format_option(("text", "json"), default="text")
@pass_state
def coverage_clear(state: State, input_name: str, fmt: str) -> None:
    """Forget the declared span of INPUT: its span comes from the data again."""
    row = state.open(write=True).coverage.clear(input_name)
    if fmt == "json":
        emit(row, "json")
    elif not row["cleared"]:
        click.echo(f"{row['input']} had no declared span; nothing changed")
    else:
        span = f"{row['from']} to {row['to']}" if row["covered"] else "not in the workspace"
        click.echo(f"coverage of {row['input']} comes from the data again: {span}")
