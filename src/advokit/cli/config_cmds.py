"""``advokit config set|get|list|unset``: the workspace's settings (``ws.settings``).

\b
advokit config set currency EUR        # money KPIs in the reports and the dashboard read "€918,900"
advokit config set report.headline nps,csat,customer_retention_rate
advokit config get currency
advokit config list
advokit config unset currency
"""

from __future__ import annotations

import click

from ..settings import KEYS
from .app import State, cli, pass_state
from .render import emit

_KEYS_HELP = "; ".join(f"{k}: {v}" for k, v in KEYS.items())


@cli.group("config", epilog="Keys: " + _KEYS_HELP + ".")
def config() -> None:
    """Workspace settings: the report currency, the report's headline KPIs."""


@config.command("set")
@click.argument("key")
@click.argument("value")
@pass_state
def config_set(state: State, key: str, value: str) -> None:
    """Set KEY to VALUE: `advokit config set currency EUR`."""
    saved = state.open(write=True).settings.set(key, value)
    click.echo(f"{saved['key']} = {saved['value']}")


@config.command("get")
@click.argument("key")
@pass_state
def config_get(state: State, key: str) -> None:
    """The value of KEY (an empty line when it is not set: the default applies)."""
    value = state.open().settings.get(key)
    click.echo("" if value is None else value)


@config.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="Output format.")
@pass_state
def config_list(state: State, fmt: str) -> None:
    """Every setting of the workspace, set or not (unset: the default applies)."""
    stored = state.open().settings.all()
    rows = [{"key": k, "value": stored.get(k), "about": about} for k, about in KEYS.items()]
    emit(rows, fmt, columns=["key", "value", "about"])


@config.command("unset")
@click.argument("key")
@pass_state
def config_unset(state: State, key: str) -> None:
    """Remove KEY: back to its default."""
    gone = state.open(write=True).settings.unset(key)
    click.echo(f"unset {gone['key']}" if gone["removed"] else f"{gone['key']} was not set")
