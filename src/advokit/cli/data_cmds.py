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
    """Import customers or events: canonical files (CSV, JSON Lines, Parquet, Excel) or other tools' exports.

    An export of a survey tool, review site or CRM imports through its preset
    (`--preset NAME`, `advokit import presets` lists them; `--preset auto` picks
    one) or a mapping file (`--map FILE.yaml`); see docs/importing.md.
    """


def _import_command(kind: str) -> Callable[..., None]:
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--preset", default=None, metavar="NAME",
                  help="Read FILE as this tool's export (`advokit import presets`; `auto` picks the best match).")
    @click.option("--map", "mapping", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Read FILE through this mapping file (YAML; the format is in docs/importing.md).")
    @click.option("--set", "sets", multiple=True, metavar="FIELD=COLUMN",
                  help="Read FIELD from COLUMN of the file (repeatable; RECORD.FIELD for one record of a preset).")
    @click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
                  help="The day a snapshot (an export without event dates) was taken; its events get this date.")
    @click.option("--timezone", default=None, metavar="ZONE",
                  help="The time zone of the file's times that carry none (IANA name; default: the preset's, else UTC).")
    @click.option("--dry-run", is_flag=True, help="Show the mapping, the first records and what would land; write nothing.")
    @click.option("--strict", is_flag=True, help="Land nothing if any row is rejected (exit code 1).")
    @click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Where to write rejected rows (default: FILE.rejects.csv).")
    @click.option("--sheet", metavar="NAME", default=None,
                  help="The sheet of an Excel workbook (.xlsx) to read (default: the first).")
    @click.option("--no-progress", is_flag=True, help="Do not show a progress bar.")
    @format_option(("text", "json"), default="text")
    @pass_state
    def command(state: State, file: Path, preset: str | None, mapping: Path | None, sets: tuple[str, ...],
                as_of: str | None, timezone: str | None, dry_run: bool, strict: bool, rejects: Path | None,
                sheet: str | None, no_progress: bool, fmt: str) -> None:
        from ..mapping import parse_as_of, parse_sets

        if not file.exists():
            raise InvalidArgumentError(f"file {file} does not exist")
        options: dict[str, Any] = {}
        if preset is not None:
            options["preset"] = preset
        if mapping is not None:
            options["mapping"] = mapping
        if sets:
            options["sets"] = parse_sets(sets)
        if as_of is not None:
            options["as_of"] = parse_as_of(as_of).isoformat()  # type: ignore[union-attr]
        if timezone is not None:
            options["timezone"] = timezone
        if dry_run:
            options["dry_run"] = True
        if sheet is not None:
            options["sheet"] = sheet
        if dry_run and not state.db.exists():  # nothing to compare with: an empty workspace in memory, no file made
            from ..workspace import Workspace

            ws: Any = Workspace(":memory:")
        else:
            ws = state.open(write=not dry_run)
        with _progress(f"importing {kind}", not no_progress and not dry_run) as progress:
            importer = ws.import_customers if kind == "customers" else ws.import_events
            report = importer(file, strict=strict, rejects_path=rejects, progress=progress, **options)
        data = report.to_dict()
        if fmt == "json":
            emit(data, "json")
        else:
            if data.get("mapping") and (dry_run or preset == "auto" or data["mapping"].get("not_mapped")):
                _print_mapping(data["mapping"])
            elif data.get("mapping"):
                for field, found in (data["mapping"].get("questions") or {}).items():
                    also = f" (also matched: {', '.join(found['also_matched'])})" if found["also_matched"] else ""
                    click.echo(f"note: {field} <- column {found['column']!r}: {found['text']}{also}; "
                               f"another with --set {field}=COLUMN", err=True)
            if dry_run:
                _print_preview(data)
            _print_report(data)
            for line in warning_lines(data.get("warnings") or {}, data.get("warnings_by_type")):
                click.echo(line, err=True)
        if data.get("rejected") and strict:
            sys.exit(1)

    command.__doc__ = (f"Import {kind} from FILE (atomic and idempotent; bad rows are reported, good rows land).\n\n"
                       f"FILE is canonical (docs/data-contract.md), or an export read through --preset / --map / --set.")
    return command


def _print_mapping(mapping: dict[str, Any]) -> None:
    detected = mapping.get("detected")
    if detected:
        click.echo(f"preset auto: {detected['preset']} (it has {', '.join(detected['found'])})")
    title = mapping.get("title") or mapping.get("mapping")
    click.echo(f"mapping {mapping.get('mapping')} ({title}) -> {mapping.get('imports')}:"
               + ("" if mapping.get("confirmed", True) else "  [columns assumed, not confirmed: correct with --set]"))
    for record in mapping.get("records", []):
        click.echo(f"  {record['record']}:" + (f"  (rows where {'; '.join(record['rows'])})" if record.get("rows") else ""))
        for field, source in record.get("fields", {}).items():
            click.echo(f"    {field:<16} <- {source}")
    for record, why in (mapping.get("not_mapped") or {}).items():
        click.echo(f"  {record}: not made from this file: {why}")
    if mapping.get("rows"):
        click.echo("  rows kept: " + "; ".join(mapping["rows"]))
    if mapping.get("as_of"):
        click.echo(f"  snapshot as of {mapping['as_of']}")
    click.echo(f"  times without a zone are in {mapping.get('timezone', 'UTC')}")


def _print_preview(data: dict[str, Any]) -> None:
    preview = data.get("preview") or []
    click.echo(f"dry run: nothing was written. The first {len(preview)} record(s) as canonical rows:")
    for rec in preview:
        line = rec.get("line")
        shown = ", ".join(f"{k}={v!r}" for k, v in rec.items() if k != "line" and v is not None)
        click.echo(f"  line {line}: {shown}")
    click.echo("would land:")


def _print_report(data: dict[str, Any]) -> None:
    parts = [f"imported {data['imported']:,}", f"rejected {data['rejected']:,}", f"duplicates {data['duplicates']:,}"]
    if data.get("kind") == "customers":
        parts += [f"updated {data.get('updated', 0):,}", f"unchanged {data.get('unchanged', 0):,}"]
    if data.get("skipped_by_reason"):
        parts.append("skipped " + ", ".join(f"{n:,} {why}" for why, n in data["skipped_by_reason"].items()))
    click.echo(f"{data.get('source')}: " + ", ".join(parts))
    limit = None if data.get("dry_run") else 20
    errors = data.get("errors", [])
    for err in errors[:limit]:
        click.echo(f"  row {err['row']}: {err['column']} = {err['value']!r}: {err['reason']}")
    if limit is not None and data.get("rejected", 0) > limit:
        click.echo(f"  ... {data['rejected'] - limit:,} more")
    if data.get("rejects_path"):
        click.echo(f"rejected rows written to {data['rejects_path']}")
    if data.get("strict_would_fail"):
        click.echo("with --strict this import would land nothing (exit code 1)")


@import_group.command("presets")
@click.argument("name", required=False)
@format_option(("text", "json", "yaml"), default="text")
@pass_state
def import_presets(state: State, name: str | None, fmt: str) -> None:
    """List the presets with the columns each reads; NAME prints that preset's mapping file (to copy and adapt)."""
    from ..mapping.presets import describe, load_preset, preset_text

    if name is not None:
        load_preset(name)  # (an unknown name: an error naming the presets)
        text = preset_text(name)
        if fmt == "json":
            emit(next(p for p in describe() if p["name"] == name), "json")
        else:
            click.echo(text, nl=False)
        return
    rows = describe()
    if fmt == "json":
        emit(rows, "json")
        return
    if fmt == "yaml":
        for p in rows:
            click.echo(f"# --- {p['name']}\n" + preset_text(p["name"]), nl=False)
        return
    for p in rows:
        assumed = "" if p["confirmed"] else "  (columns assumed, not confirmed: correct with --set)"
        click.echo(f"{p['name']:<26} {p['imports']:<10} {p['title']}{assumed}")
        click.echo(f"  reads: {', '.join(p['columns'])}")
        for field, words in p["questions"].items():
            click.echo(f"  {field}: the question whose text has {' / '.join(repr(w) for w in words)}")
    click.echo("\nadvokit import events|customers FILE --preset NAME [--set FIELD=COLUMN]... [--as-of DATE] [--dry-run]")


import_group.command("customers")(_import_command("customers"))
import_group.command("events")(_import_command("events"))


@cli.command()
@click.option("--customers", type=click.IntRange(1, 50_000_000), default=5000, show_default=True)
@click.option("--months", type=click.IntRange(1, 240), default=24, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--end", "end_month", metavar="YYYY-MM", default=None,
              help="Last month with data (default: the last complete month).")
@click.option("--replace", is_flag=True, help="Empty a non-empty workspace first.")
@click.option("--models/--no-models", "train_models", default=True, show_default=True,
              help="Train the churn and advocacy models on the demo (docs/models.md).")
@format_option(("text", "json"), default="text")
@pass_state
def demo(state: State, customers: int, months: int, seed: int, end_month: str | None, replace: bool,
         train_models: bool, fmt: str) -> None:
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
                          progress=progress, commentary=ws.commentary)
    if ws.rollups.wants_rollups(ws.kpis):  # a big demo: roll the KPIs up by customer group now, once
        click.echo("rolling up the KPIs by customer group (saved in the workspace)...", err=True)
        ws.rollups.refresh_rollups(ws.kpis)
    click.echo("finding the themes of the texts...", err=True)
    ws.themes.refresh()
    _journey_and_personas(ws, info)
    if train_models:
        _models(ws)
    summary = ws.summary(period=info["latest_complete_month"])
    if fmt == "json":
        emit({**info, "summary": summary}, "json")
        return
    click.echo(f"demo workspace {ws.path}: {info['customers']:,} customers, {info['events']:,} events "
               f"({info['first_month']} to {info['last_month']})")
    _print_summary(summary)


def _journey_and_personas(ws: Any, info: dict[str, Any]) -> None:
    """The demo's journey stages and personas, as of the day after its last month (docs/journey.md)."""
    from ..engine.periods import parse_period_label

    if not info.get("last_month"):
        return
    as_of = parse_period_label(info["last_month"]).end
    click.echo("placing the customers on the journey and finding personas...", err=True)
    ws.journey.refresh(as_of=as_of)
    ws.personas.refresh(as_of=as_of)


def _models(ws: Any) -> None:
    """The demo's churn and advocacy models, each fitted on the cutoffs whose labels are known (docs/models.md);
    a target with too few positives in a small demo is said, not fatal."""
    for target in ("churn", "advocacy"):
        click.echo(f"training the {target} model...", err=True)
        try:
            saved = ws.models.train(target=target)
        except InvalidArgumentError as exc:
            click.echo(f"note: no {target} model: {exc}", err=True)
            continue
        click.echo(f"  {saved.get('model_id', target)}: {saved.get('model', '')}", err=True)


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


