"""``advokit kpi ...``: the catalogue and KPI values."""

from __future__ import annotations

import click

from ..catalogue.model import ATTRIBUTE_KEYS, FOCUS_AREAS
from .analysis_cmds import FROM_HELP, TO_HELP, canonical, filter_option, parse_filters
from .app import State, cli, format_option, pass_state
from .render import emit


@cli.group()
def kpi() -> None:
    """The KPI catalogue and KPI values."""


@kpi.command("list")
@format_option()
@click.option("--focus-area", type=click.Choice(sorted(FOCUS_AREAS)), default=None, help="Only this focus area.")
@pass_state
def kpi_list(state: State, fmt: str, focus_area: str | None) -> None:
    """List every KPI in the catalogue."""
    from ..catalogue import load_catalogue

    rows = [k.summary() for k in load_catalogue() if focus_area is None or focus_area in k.focus_areas]
    if fmt == "table":
        for r in rows:
            r["focus_areas"] = ", ".join(r["focus_areas"])
    emit(rows, fmt, columns=["id", "name", "unit", "direction", "focus_areas"])


@kpi.command("show")
@click.argument("kpi_id")
@format_option(("text", "json"), default="text")
@pass_state
def kpi_show(state: State, kpi_id: str, fmt: str) -> None:
    """Show one KPI's definition, formula, bands, benchmarks and guidance."""
    from ..catalogue import load_catalogue

    kpi = load_catalogue().get(kpi_id)
    data = kpi.to_dict()
    if fmt == "json":
        emit(data, "json")
        return
    lines = [f"{kpi.name} ({kpi.id})", f"unit: {kpi.unit}   direction: {kpi.direction.replace('_', ' ')}",
             "focus areas: " + ", ".join(data["focus_area_names"]), f"funnel stage: {data['funnel_stage_name']}", ""]
    for key in ATTRIBUTE_KEYS:
        value = data["attributes"][key]
        lines.append(key.replace("_", " ").capitalize() + ":")
        lines.extend(f"  - {v}" for v in value) if isinstance(value, list) else lines.append(f"  {value}")
    if kpi.bands:
        lines.append("Bands:")
        lines.extend(f"  {b.label}: {_range(b.min, b.max)} ({b.rating})" for b in kpi.bands)
    if kpi.benchmarks:
        lines.append("Benchmarks:")
        lines.extend(f"  {b.value:g} {b.industry or 'all industries'} — {b.source}" for b in kpi.benchmarks)
    click.echo("\n".join(lines))


def _range(lo: float | None, hi: float | None) -> str:
    if lo is None:
        return f"< {hi:g}"
    if hi is None:
        return f"≥ {lo:g}"
    return f"{lo:g} – <{hi:g}"


@kpi.command("search")
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1, 500), default=10, show_default=True)
@format_option()
@pass_state
def kpi_search(state: State, text: tuple[str, ...], limit: int, fmt: str) -> None:
    """Find KPIs by any words of their knowledge, best match first."""
    from ..catalogue import load_catalogue

    hits = load_catalogue().search(" ".join(text), limit=limit)
    rows = [{**k.summary(), "score": s} for k, s in hits]
    emit(rows, fmt, columns=["id", "name", "score", "unit"])


@kpi.command("compute")
@click.argument("kpi_ids", nargs=-1, required=True, metavar="ID [ID ...]")
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default="month", show_default=True)
@click.option("--by", multiple=True, metavar="DIM",
              help="Split by a customer attribute, or by theme for the text KPIs (net_sentiment); repeatable.")
@click.option("--from", "start", metavar="DATE", help=FROM_HELP)
@click.option("--to", "end", metavar="DATE", help=TO_HELP)
@filter_option
@format_option()
@pass_state
def kpi_compute(state: State, kpi_ids: tuple[str, ...], period: str, by: tuple[str, ...], start: str | None,
                end: str | None, filters: tuple[str, ...], fmt: str) -> None:
    """Compute KPIs by month, quarter or year, optionally by segment.

    \b
    advokit kpi compute nps --period month --from 2025-01 --to 2025-03   (January to March)
    advokit kpi compute csat --period quarter --to 2025-Q2 --filter segment=SMB
    """
    ws = state.open()
    kpi_ids = tuple(canonical(ws, kpi_ids))
    result = ws.compute(list(kpi_ids), period=period, by=list(by), start=start, end=end,
                        filters=parse_filters(filters) or None)
    rows = result.to_dicts()
    if fmt == "json":
        emit(rows, "json")
        return
    columns = ["kpi", "period", *by, "value", "numerator", "denominator", "n"]
    if fmt == "csv":
        columns = result.columns
    elif "nps" in kpi_ids:
        columns += ["margin_of_error"]
    units = {k: ws.kpi(k).unit for k in kpi_ids}
    if fmt != "table":
        emit(rows, fmt, columns=columns, units=units)
        return
    shown = [{**r, "value": "not tracked" if r.get("coverage") == "not_tracked" else r.get("value"),
              "coverage": (r.get("coverage") or "").replace("_", " ")} for r in rows]
    emit(shown, fmt, columns=[*columns, "coverage"], units=units)
    notes: dict[tuple[str, str], int] = {}
    for r in rows:
        if r.get("coverage") == "not_tracked" and r.get("note"):
            notes[(r["kpi"], r["note"])] = notes.get((r["kpi"], r["note"]), 0) + 1
    for (kpi_id, note), count in notes.items():
        click.echo(f"{kpi_id} ({count} period{'s' if count != 1 else ''}): {note}")




@kpi.command("sql")
@click.argument("kpi_ids", nargs=-1, required=True, metavar="ID [ID ...]")
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default="month", show_default=True)
@click.option("--by", multiple=True, metavar="DIM",
              help="Split by a customer attribute, or by theme for the text KPIs (net_sentiment); repeatable.")
@click.option("--from", "start", metavar="DATE", help=FROM_HELP)
@click.option("--to", "end", metavar="DATE", help=TO_HELP)
@filter_option
@click.option("--dialect", default="duckdb", show_default=True, help="SQL dialect: duckdb, postgres, pyspark, ...")
@pass_state
def kpi_sql(state: State, kpi_ids: tuple[str, ...], period: str, by: tuple[str, ...], start: str | None,
            end: str | None, filters: tuple[str, ...], dialect: str) -> None:
    """Print the SQL a KPI request compiles to (for review or another engine)."""
    click.echo(state.open().sql(list(kpi_ids), period=period, by=list(by), start=start, end=end,
                                     filters=parse_filters(filters) or None, dialect=dialect))


@kpi.command("reference")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write to a file instead of stdout.")
def kpi_reference(out: str | None) -> None:
    """Print the Markdown KPI reference generated from the catalogue."""
    from ..catalogue import load_catalogue
    from ..catalogue.reference import render_reference

    text = render_reference(load_catalogue())
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)
