"""``advokit doctor``: the data-quality report (``ws.quality.doctor()``)."""

from __future__ import annotations

from typing import Any

import click

from .app import State, cli, format_option, pass_state
from .render import emit

_MARK = {"error": "ERROR", "warning": "WARNING", "info": "info"}


@cli.command()
@format_option(("text", "json"), default="text")
@pass_state
def doctor(state: State, fmt: str) -> None:
    """Check the data: events before signup or after churn, in the future or duplicate-looking, customers
    without events, event types never seen, empty months, attributes useless as segments.

    Each finding has a severity and what to do. Findings are no failure: the exit code is 0.
    """
    data = state.open().quality.doctor().to_dict()
    if fmt == "json":
        emit(data, "json")
    else:
        _print(data)


def _print(data: dict[str, Any]) -> None:
    click.echo(f"{data['customers']:,} customers, {data['events']:,} events")
    findings = data["findings"]
    if not findings:
        click.echo("no findings: every check passed")
        return
    summary = data["summary"]
    click.echo(", ".join(f"{summary[s]} {s}" for s in ("error", "warning", "info") if summary[s]))
    for f in findings:
        click.echo("")
        click.echo(f"[{_MARK[f['severity']]}] {f['kind']}: {f['message']}")
        for e in f["examples"][:3]:
            click.echo("    e.g. " + ", ".join(f"{k}={v}" for k, v in e.items() if v is not None and k != "kpis")
                       + (f", lights up {', '.join(e['kpis'])}" if e.get("kpis") else ""))
        click.echo(f"    what to do: {f['what_to_do']}")
