"""``advokit import``, ``advokit demo`` and ``advokit summary``."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidArgumentError
from ..quality import warning_lines
from .app import State, cli, format_option, pass_state
from .render import emit, fmt_number


@contextlib.contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Callable[[int, int | None], None] | None]:
    """A progress bar on stderr (only on a terminal, or with ADVOKIT_PROGRESS=1)."""
    if not enabled or not (sys.stderr.isatty() or os.environ.get("ADVOKIT_PROGRESS") == "1"):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@cli.group("import")
def import_group() -> None:
    """Import customers or events (CSV, JSON Lines, Parquet, Excel) in the canonical format."""


def _import_command(kind: str) -> Callable[..., None]:
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--strict", is_flag=True, help="Land nothing if any row is rejected (exit code 1).")
    @click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Where to write rejected rows (default: FILE.rejects.csv).")
    @click.option("--sheet", metavar="NAME", default=None,
                  help="The sheet of an Excel workbook (.xlsx) to read (default: the first).")
    @click.option("--no-progress", is_flag=True, help="Do not show a progress bar.")
    @format_option(("text", "json"), default="text")
    @pass_state
    def command(state: State, file: Path, strict: bool, rejects: Path | None, sheet: str | None, no_progress: bool,
                fmt: str) -> None:
        if not file.exists():
            raise InvalidArgumentError(f"file {file} does not exist")
        ws = state.open(write=True)
        options: dict[str, Any] = {} if sheet is None else {"sheet": sheet}
        with _progress(f"importing {kind}", not no_progress) as progress:
            importer = ws.import_customers if kind == "customers" else ws.import_events
            report = importer(file, strict=strict, rejects_path=rejects, progress=progress, **options)
        data = report.to_dict()
        if fmt == "json":
            emit(data, "json")
        else:
            _print_report(data)
            for line in warning_lines(data.get("warnings") or {}, data.get("warnings_by_type")):
                click.echo(line, err=True)
        if data.get("rejected") and strict:  # pragma: no cover - strict raises before landing
            sys.exit(1)

    command.__doc__ = f"Import {kind} from FILE (atomic and idempotent; bad rows are reported, good rows land)."
    return command


def _print_report(data: dict[str, Any]) -> None:
    parts = [f"imported {data['imported']:,}", f"rejected {data['rejected']:,}", f"duplicates {data['duplicates']:,}"]
    if data.get("kind") == "customers":
        parts += [f"updated {data.get('updated', 0):,}", f"unchanged {data.get('unchanged', 0):,}"]
    click.echo(f"{data.get('source')}: " + ", ".join(parts))
    for err in data.get("errors", [])[:20]:
        click.echo(f"  row {err['row']}: {err['column']} = {err['value']!r}: {err['reason']}")
    if data.get("rejected", 0) > 20:
        click.echo(f"  ... {data['rejected'] - 20:,} more")
    if data.get("rejects_path"):
        click.echo(f"rejected rows written to {data['rejects_path']}")


import_group.command("customers")(_import_command("customers"))
import_group.command("events")(_import_command("events"))


@cli.command()
@click.option("--customers", type=click.IntRange(1, 50_000_000), default=5000, show_default=True)
@click.option("--months", type=click.IntRange(1, 240), default=24, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--end", "end_month", metavar="YYYY-MM", default=None,
              help="Last month with data (default: the last complete month).")
@click.option("--replace", is_flag=True, help="Empty a non-empty workspace first.")
@format_option(("text", "json"), default="text")
@pass_state
def demo(state: State, customers: int, months: int, seed: int, end_month: str | None, replace: bool, fmt: str) -> None:
    """Build a realistic demo workspace and print the latest month's core KPIs."""
    from ..demo.load import build_demo
    from ..engine.periods import parse_period_label

    end = None
    if end_month:
        p = parse_period_label(end_month)
        if p.grain != "month":
            raise InvalidArgumentError(f"--end {end_month!r} must be a month (YYYY-MM)")
        end = p.start
    ws = state.workspace()
    with _progress("building demo", True) as progress:
        info = build_demo(ws.kpis, ws.ingest, customers=customers, months=months, seed=seed, end_month=end, replace=replace,
                          progress=progress)
    if ws.rollups.wants_rollups(ws.kpis):  # a big demo: roll the KPIs up by customer group now, once
        click.echo("rolling up the KPIs by customer group (saved in the workspace)...", err=True)
        ws.rollups.refresh_rollups(ws.kpis)
    summary = ws.summary(period=info["latest_complete_month"])
    if fmt == "json":
        emit({**info, "summary": summary}, "json")
        return
    click.echo(f"demo workspace {ws.path}: {info['customers']:,} customers, {info['events']:,} events "
               f"({info['first_month']} to {info['last_month']})")
    _print_summary(summary)


@cli.command()
@click.option("--period", metavar="YYYY-MM", default=None,
              help="Month (default: the latest complete month with data).")
@format_option(("table", "json", "csv"))
@pass_state
def summary(state: State, period: str | None, fmt: str) -> None:
    """The core KPIs of a month with their change against the month before."""
    rows = state.open().summary(period=period)
    if period is None and rows:
        click.echo(f"note: period {rows[0]['period']}: the latest complete month with data", err=True)
    if fmt == "table":
        _print_summary(rows)
    else:
        emit(rows, fmt, columns=["kpi", "name", "period", "value", "previous", "change", "n"])


def _print_summary(rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo("the workspace holds no data yet: run `advokit demo` or `advokit import ...`")
        return
    click.echo(f"core KPIs for {rows[0]['period']} (change vs {rows[0]['previous_period']}):")
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        change = r["change"]
        arrow = "" if change is None else ("▲" if change > 0 else "▼" if change < 0 else "=")
        delta = "" if change is None else f"{arrow} {fmt_number(abs(change), r['unit'])}"
        shown = "not tracked" if r.get("coverage") == "not_tracked" else fmt_number(r["value"], r["unit"])
        click.echo(f"  {r['name'].ljust(width)}  {shown.rjust(11)}  {delta}")


