"""``advokit attribute list|drop``: the extra customer attributes of the workspace."""

from __future__ import annotations

import click

from .app import State, cli, format_option, pass_state
from .render import emit


@cli.group()
def attribute() -> None:
    """Extra customer attributes (columns beyond the data contract's fields)."""


@attribute.command("list")
@format_option()
@pass_state
def attribute_list(state: State, fmt: str) -> None:
    """List the extra attributes, their distinct values and whether each is a dimension."""
    emit([a.to_dict() for a in state.open().customers.attributes()], fmt,
         columns=["name", "distinct_values", "dimension"])


@attribute.command("drop")
@click.argument("name")
@format_option(("text", "json"), default="text")
@pass_state
def attribute_drop(state: State, name: str, fmt: str) -> None:
    """Drop an extra attribute and its values: `advokit attribute drop NAME`."""
    gone = state.workspace().customers.drop_attribute(name)
    if fmt == "json":
        emit(gone.to_dict(), "json")
    else:
        click.echo(f"dropped attribute {gone.name} ({gone.distinct_values:,} distinct values)")
