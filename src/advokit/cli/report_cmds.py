"""``advokit report``: a management report (monthly, quarterly, campaign) as HTML, PDF or Markdown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidArgumentError
from ..reports import FORMATS, KINDS, build_report, format_of
from ..workspace import Workspace
from .analysis_cmds import filter_option, parse_filters
from .app import State, cli, pass_state
from .render import emit


def _default_name(period: str, kind: str, fmt: str) -> str:
    label = period.replace("..", "-to-")
    return f"report-{'campaign-' if kind == 'campaign' else ''}{label}.{fmt}"


@cli.group("report", invoke_without_command=True, subcommand_metavar="[config | schedule ... | run-due]",
           epilog="Headline KPIs: `advokit report config --headline nps,csat,...`. Schedules: `advokit report "
                  "schedule add|list|remove`, and `advokit report run-due` (for cron).")
@click.option("--period", default=None, metavar="PERIOD",
              help="YYYY-MM (monthly) or YYYY-Qn (quarterly). Default: the latest complete one with data.")
@click.option("--kind", type=click.Choice(KINDS), default=None,
              help="monthly, quarterly or campaign. Default: campaign with --from, quarterly for YYYY-Qn, else monthly.")
@click.option("--by", default=None, metavar="DIM",
              help="Attribute whose groups are tested against the rest (segments that outperform). Default: segment.")
@filter_option
@click.option("--from", "start", default=None, metavar="DATE",
              help="Campaign: first month (YYYY-MM, YYYY-Qn, YYYY or a day).")
@click.option("--to", "end", default=None, metavar="DATE",
              help="Campaign: last month, inclusive (YYYY-MM, YYYY-Qn, YYYY or a day).")
@click.option("--baseline-from", "baseline_start", default=None, metavar="DATE",
              help="Campaign: start of the baseline. Default: as many months right before --from.")
@click.option("--baseline-to", "baseline_end", default=None, metavar="DATE",
              help="Campaign: end of the baseline, inclusive (YYYY-MM or a day). Default: the month before --from.")
@click.option("--title", default=None, metavar="TEXT", help="A title instead of the default one.")
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              help="html, pdf or md (repeatable with --out-dir). Default: from the suffix of --out, else html.")
@click.option("--out", default=None, metavar="FILE",
              help="Where to write it ('-' for standard output). Default: report-PERIOD.FORMAT in --out-dir.")
@click.option("--out-dir", default=None, metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for report-PERIOD.FORMAT files (default: the current folder).")
@click.pass_context
def report(ctx: click.Context, period: str | None, kind: str | None, by: str | None, filters: tuple[str, ...],
           start: str | None, end: str | None, baseline_start: str | None, baseline_end: str | None,
           title: str | None, formats: tuple[str, ...], out: str | None, out_dir: Path | None) -> None:
    """Write a management report with six sections: Executive Summary; Key Metrics & Trends; Customer
    Stories & Qualitative Insights; Wins & Opportunities; Risks & Action Plans; Next Steps & Requests for
    Support.

    \b
    advokit report --period 2025-09 --format pdf --out report.pdf
    advokit report --kind quarterly --period 2025-Q3 --out q3.html
    advokit report --kind campaign --from 2025-09 --to 2025-10 --format md
    advokit report --format html --format pdf --out-dir reports/
    """
    if ctx.invoked_subcommand is not None:
        given = [p.opts[0] for p in ctx.command.params if ctx.params.get(p.name or "") not in (None, ())]
        if given:
            raise click.UsageError(f"{', '.join(given)} belong(s) to `advokit report` itself, not to "
                                   f"`advokit report {ctx.invoked_subcommand}`")
        return
    state = ctx.find_object(State)
    assert state is not None  # (the root command sets it)
    if out is not None and (len(formats) > 1 or out_dir is not None):
        raise InvalidArgumentError("--out names one file", hint="give one --format with --out, or use --out-dir")
    if out is not None:
        wanted = [format_of(None if out == "-" else out, formats[0] if formats else None)]
    else:
        wanted = list(formats or ("html",))
    ws = state.open()
    options: dict[str, Any] = {"kind": kind, "by": by, "filters": parse_filters(filters), "start": start,
                               "end": end, "baseline_start": baseline_start, "baseline_end": baseline_end,
                               "title": title}
    content: Any
    if isinstance(ws, Workspace):
        content = build_report(ws, period, **options)
        counts = (len(content.wins), len(content.risks), content.stories.total)
    else:  # built by the server that holds the workspace, in the formats wanted here
        content = ws.report(period, formats=wanted, **options)
        counts = content.counts
    if period is None and start is None:
        click.echo(f"note: period {content.period}: the latest complete {'quarter' if content.kind == 'quarterly' else 'month'}"
                   " with data", err=True)
    if out == "-":
        sys.stdout.buffer.write(content.render(wanted[0]))
        sys.stdout.buffer.flush()
        return
    if out is not None:
        targets = [(Path(out), wanted[0])]
    else:
        folder = out_dir or Path(".")
        targets = [(folder / _default_name(content.period, content.kind, f), f) for f in wanted]
    for path, chosen in targets:
        written = content.write(path, chosen)
        click.echo(f"wrote {written} ({content.kind} report {content.period}, {chosen}: {counts[0]} win(s), "
                   f"{counts[1]} risk(s), {counts[2]} customer comment(s))")


@report.command("config")
@click.option("--headline", default=None, metavar="KPI,KPI,...",
              help="The report's headline KPIs (1 to 8, comma-separated ids), in this order.")
@click.option("--reset", is_flag=True, help="Back to the catalogue's default headline KPIs.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@pass_state
def report_config(state: State, headline: str | None, reset: bool, fmt: str) -> None:
    """The report's headline KPIs (Executive Summary table, Key Metrics & Trends charts), and where they
    come from: this workspace's choice or the catalogue's default.

    \b
    advokit report config --headline nps,csat,customer_retention_rate
    advokit report config
    advokit report config --reset
    """
    if headline is not None and reset:
        raise click.UsageError("give --headline or --reset, not both")
    ws = state.open(write=headline is not None or reset)
    if headline is not None:
        ws.settings.set("report.headline", headline)
    elif reset:
        ws.settings.unset("report.headline")
    chosen = ws.settings.headline()
    if fmt == "json":
        emit(chosen, "json")
        return
    source = ("chosen for this workspace" if chosen["source"] == "workspace"
              else "the catalogue's default")
    click.echo(f"headline KPIs ({source}):")
    for rank, kpi_id in enumerate(chosen["kpis"], 1):
        click.echo(f"  {rank}. {kpi_id}  {ws.catalogue.get(kpi_id).name}")


from . import schedule_cmds  # noqa: F401  (``advokit report schedule`` and ``run-due``, under this group)
