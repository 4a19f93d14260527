"""``advokit target set|list|delete``: KPI targets stored in the workspace."""

from __future__ import annotations

import click

from .app import State, cli, format_option, pass_state
from .render import emit

_COLUMNS = ["id", "kpi", "value", "dimension", "dimension_value", "valid_from", "valid_to", "created_at"]


@cli.group()
def target() -> None:
    """KPI targets, optionally per segment (or any attribute) and validity window."""


@target.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("kpi_id")
@click.argument("value")
@click.option("--segment", default=None, help="Only for customers of this segment.")
@click.option("--dimension", default=None, metavar="DIM", help="Only for this customer attribute (with --value).")
@click.option("--value", "dimension_value", default=None, metavar="VALUE", help="The attribute value for --dimension.")
@click.option("--from", "start", metavar="PERIOD|DATE", help="First period it applies to (YYYY-MM, YYYY-Qn, YYYY or a date).")
@click.option("--to", "end", metavar="PERIOD|DATE",
              help="Last period it applies to (YYYY-MM, YYYY-Qn, YYYY; inclusive) or an exclusive end date.")
@format_option(("text", "json"), default="text")
@pass_state
def target_set(state: State, kpi_id: str, value: str, segment: str | None, dimension: str | None,
               dimension_value: str | None, start: str | None, end: str | None, fmt: str) -> None:
    """Set a target: `advokit target set nps 40 --segment Enterprise --from 2025-01`."""
    saved = state.open(write=True).set_target(kpi_id, value, segment=segment, dimension=dimension,
                                         dimension_value=dimension_value, valid_from=start, valid_to=end)
    if fmt == "json":
        emit(saved, "json")
        return
    scope = f" for {saved['dimension']} = {saved['dimension_value']}" if saved["dimension"] else ""
    window = f" from {saved['valid_from'] or 'the start'} until {saved['valid_to'] or 'further notice'}"
    click.echo(f"target {saved['id']}: {saved['kpi']} {saved['value']:g}{scope}{window}")


@target.command("list")
@click.option("--kpi", "kpis", multiple=True, metavar="ID", help="Only targets of this KPI (repeatable).")
@format_option()
@pass_state
def target_list(state: State, kpis: tuple[str, ...], fmt: str) -> None:
    """List the stored targets."""
    ws = state.open()
    for k in kpis:
        ws.kpi(k)  # unknown id: error with the valid ids
    emit(ws.analysis.targets(list(kpis) or None), fmt, columns=_COLUMNS)


@target.command("delete")
@click.argument("target_id")
@format_option(("text", "json"), default="text")
@pass_state
def target_delete(state: State, target_id: str, fmt: str) -> None:
    """Delete a target by its id (see `advokit target list`)."""
    gone = state.open(write=True).analysis.delete_target(target_id)
    if fmt == "json":
        emit(gone, "json")
    else:
        click.echo(f"deleted target {gone['id']} ({gone['kpi']} {gone['value']:g})")
