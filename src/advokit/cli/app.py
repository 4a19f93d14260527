"""The root ``advokit`` group and the workspace option shared by every command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._version import __version__
from ..errors import WorkspaceError
from ..store.database import SCHEMA_VERSION, default_db_path
from ..workspace import Workspace

if TYPE_CHECKING:
    from .remote import RemoteWorkspace


class State:
    """Per-invocation state: where the workspace is, opened on first use.

    ``workspace()`` opens the file itself, for reading and writing (what ``serve``, ``demo``,
    ``apikey`` ... need). ``open(write=...)`` is what the read commands, comments, targets and
    imports use: the running ``advokit serve`` that holds the file when there is one (found
    through ``<workspace>.server``), else the file, read-only unless ``write``.
    """

    def __init__(self, db: Path, *, verbose: bool = False) -> None:
        self.db = db
        self.verbose = verbose
        self._ws: Workspace | None = None
        self._remote: RemoteWorkspace | None = None

    def _say(self, line: str) -> None:
        if self.verbose:
            click.echo(line, err=True)

    def workspace(self) -> Workspace:
        if self._ws is None:
            self._refuse_if_served()
            self._ws = Workspace(self.db)
            self._say(f"opened {self.db}")
        return self._ws

    def open(self, *, write: bool = False) -> Workspace | RemoteWorkspace:
        """The workspace for one command: through the server that holds it, else the file itself."""
        if self._ws is not None:
            return self._ws
        if self._remote is None:
            from . import serverfile

            server = serverfile.find(self.db)
            if server is not None:
                from .remote import RemoteWorkspace

                self._remote = RemoteWorkspace(self.db, server)
                self._say(f"via server {server.url} (pid {server.pid})")
            elif write or not self.db.exists():  # (a read of a file not made yet creates it, as before)
                self._ws = Workspace(self.db)
                self._say(f"opened {self.db}")
            else:
                self._ws = Workspace(self.db, read_only=True)
                if self._ws.db.schema_version() < SCHEMA_VERSION:  # an older file: migrate it once, read-write
                    self._ws.close()
                    self._ws = Workspace(self.db)
                    self._say(f"opened {self.db}")
                else:
                    self._say(f"opened {self.db} read-only")
        return self._ws or self._remote  # type: ignore[return-value]

    def _refuse_if_served(self) -> None:
        """A command that needs the file itself, while a server holds it: say so (not DuckDB's lock error)."""
        from . import serverfile

        server = serverfile.find(self.db)
        if server is not None:
            raise WorkspaceError(f"`advokit serve` (pid {server.pid}, {server.url}) holds workspace {self.db}; "
                                 "this command needs the file itself",
                                 hint="stop the server first (Ctrl-C or kill its pid), then run the command again")

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None
        self._remote = None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None, envvar="ADVOKIT_DB",
              help="Workspace file (DuckDB). Default: $ADVOKIT_DB or ./advokit.duckdb; created on first use.")
@click.option("--verbose", "-v", is_flag=True,
              help="Say on stderr, in one line, how the workspace was reached (the running server, or the file).")
@click.version_option(__version__, prog_name="advokit")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, verbose: bool) -> None:
    """advokit: customer-advocacy analytics (KPIs, advocates, voice of the customer, reports)."""
    state = State(db or default_db_path(), verbose=verbose)
    ctx.obj = state
    ctx.call_on_close(state.close)


pass_state = click.make_pass_decorator(State)


def format_option(choices: tuple[str, ...] = ("table", "json", "csv"), default: str = "table"):  # type: ignore[no-untyped-def]
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format.")


def _register() -> None:
    from . import (  # noqa: F401  # noqa: F401  # noqa: F401
        advocates_cmds,
        analysis_cmds,
        attribute_cmds,
        comment_cmds,
        config_cmds,
        coverage_cmds,
        data_cmds,
        doctor_cmds,
        journey_cmds,
        funnel_cmds,
        kpi_cmds,
        listening_cmds,
        loops_cmds,
        model_cmds,
        report_cmds,
        serve_cmds,  # noqa: F401
        target_cmds,
        text_cmds,
        theme_cmds,
    )


_register()
