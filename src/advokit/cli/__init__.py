"""The ``advokit`` command line: a thin shell over :class:`advokit.Workspace`."""

from __future__ import annotations

import os
import sys

import click

from ..errors import AdvokitError
from .app import cli

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turn every error into one ``error:`` line and an exit code."""
    try:
        cli.main(args=argv, prog_name="advokit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f" (see `{exc.ctx.command_path} --help`)"
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except AdvokitError as exc:
        message = exc.message.splitlines()
        line = message[0] + (f"; {exc.hint}" if exc.hint else "")
        click.echo(f"error: {line}", err=True)
        for extra in message[1:]:
            click.echo(f"  {extra}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # the last line of defence: no traceback reaches a user
        if os.environ.get("ADVOKIT_DEBUG"):
            raise
        click.echo(f"error: internal error ({type(exc).__name__}: {exc}); "
                   "run again with ADVOKIT_DEBUG=1 for details and report it", err=True)
        sys.exit(1)
