"""The root ``advokit`` group and the workspace option shared by every command."""

from __future__ import annotations

from pathlib import Path

import click

from .._version import __version__
from ..store.database import default_db_path
from ..workspace import Workspace


class State:
    """Per-invocation state: where the workspace is, opened on first use."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self._ws: Workspace | None = None

    def workspace(self) -> Workspace:
        if self._ws is None:
            self._ws = Workspace(self.db)
        return self._ws

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None, envvar="ADVOKIT_DB",
              help="Workspace file (DuckDB). Default: $ADVOKIT_DB or ./advokit.duckdb; created on first use.")
@click.version_option(__version__, prog_name="advokit")
@click.pass_context
def cli(ctx: click.Context, db: Path | None) -> None:
    """advokit: customer-advocacy analytics (KPIs, advocates, voice of the customer, reports)."""
    state = State(db or default_db_path())
    ctx.obj = state
    ctx.call_on_close(state.close)


pass_state = click.make_pass_decorator(State)


def format_option(choices: tuple[str, ...] = ("table", "json", "csv"), default: str = "table"):  # type: ignore[no-untyped-def]
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format.")


def _register() -> None:
    from . import (  # noqa: F401  # noqa: F401  # noqa: F401
        analysis_cmds,
        attribute_cmds,
        comment_cmds,
        data_cmds,
        doctor_cmds,
        kpi_cmds,
        report_cmds,
        serve_cmds,  # noqa: F401
        target_cmds,
    )


_register()
