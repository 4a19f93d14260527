"""``advokit trend``, ``scorecard``, ``cohort`` and ``maturity``: thin shells over the Workspace."""

from __future__ import annotations

from typing import Any

import click

from ..engine.filters import parse_filter_items
from .app import State, cli, format_option, pass_state
from .render import emit, fmt_number, table

GRAINS = click.Choice(["month", "quarter", "year"])


def parse_filters(values: tuple[str, ...]) -> dict[str, str | None]:
    """``--filter segment=Enterprise`` (repeatable); ``dim=`` keeps customers with the attribute empty."""
    return parse_filter_items(values, sep="=")


def filter_option(fn: Any) -> Any:
    return click.option("--filter", "filters", multiple=True, metavar="DIM=VALUE",
                        help="Only customers whose attribute has this value (repeatable; in an address: "
                             "filter=DIM:VALUE).")(fn)


FROM_HELP = "First period or day of the range (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)."
TO_HELP = "Last period or day of the range, inclusive (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)."


def canonical(ws: Any, kpi_ids: tuple[str, ...]) -> list[str]:
    """The canonical ids of KPI ids or aliases ("did you mean" for an unknown one)."""
    return [ws.catalogue.resolve(k) for k in kpi_ids]


def note(text: str | None) -> None:
    """A one-line note on standard error (never on standard output, which may be JSON)."""
    if text:
        click.echo(f"note: {text}", err=True)


def _flag(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


# ----------------------------------------------------------------- trend
@cli.command("trend")
@click.argument("kpi_ids", nargs=-1, required=True, metavar="ID [ID ...]")
@click.option("--period", type=GRAINS, default="month", show_default=True)
@click.option("--by", multiple=True, metavar="DIM", help="Split by a customer attribute (repeatable).")
@click.option("--from", "start", metavar="DATE", help=FROM_HELP)
@click.option("--to", "end", metavar="DATE", help=TO_HELP)
@click.option("--rolling", type=click.IntRange(1, 60), default=3, show_default=True,
              help="Periods in the rolling mean.")
@filter_option
@format_option()
@pass_state
def trend(state: State, kpi_ids: tuple[str, ...], period: str, by: tuple[str, ...], start: str | None,
          end: str | None, rolling: int, filters: tuple[str, ...], fmt: str) -> None:
    """KPI values with change, year-over-year, significance, rolling mean, band, target and status."""
    ws = state.open()
    kpi_ids = tuple(canonical(ws, kpi_ids))
    rows = ws.analyze(list(kpi_ids), period=period, by=list(by), start=start, end=end,
                      filters=parse_filters(filters), rolling=rolling)
    if fmt == "json":
        emit(rows, "json")
        return
    flat = [{**r, "band": (r["band"] or {}).get("label"), "target": (r["target"] or {}).get("value"),
             "target_status": (r["target"] or {}).get("status"), "sig": _flag(r["change_significant"]),
             "yoy_sig": _flag(r["yoy_significant"]), "small": "*" if r["small_sample"] else ""} for r in rows]
    if fmt == "csv":
        emit(flat, "csv", columns=[c for c in flat[0]] if flat else ["kpi", "period"])
        return
    columns = ["kpi", "period", *by, "value", "ci_low", "ci_high", "n", "small", "change", "sig", "yoy_change",
               "yoy_sig", "rolling_mean", "band", "target", "status"]
    units: dict[str, str] = {k: ws.kpi(k).unit for k in kpi_ids}
    for r in flat:
        if r.get("coverage") == "not_tracked":
            r.update(value="not tracked", status="not tracked")
    emit(flat, "table", columns=columns, units=units)
    notes = {(r["kpi"], r["note"]) for r in rows if r.get("coverage") == "not_tracked" and r.get("note")}
    for kpi_id, note in sorted(notes):
        click.echo(f"{kpi_id}: {note}")


# -------------------------------------------------------------- scorecard
def _num(value: Any, unit: str) -> str:
    return fmt_number(value, unit)


def _scorecard_line(e: dict[str, Any], label: str) -> dict[str, str]:
    unit = e["unit"]
    ci = "" if e["ci_low"] is None else f"{_num(e['ci_low'], unit)} – {_num(e['ci_high'], unit)}"
    change = "" if e["change"] is None else _num(e["change"], unit) + (" (sig)" if e["change_significant"] else "")
    yoy = "" if e["yoy_change"] is None else _num(e["yoy_change"], unit) + (" (sig)" if e["yoy_significant"] else "")
    target = "" if not e["target"] else f"{_num(e['target']['value'], unit)} {e['target']['status'] or ''}".strip()
    bench = ", ".join(f"{_num(b['value'], unit)} {b.get('industry') or ''}".strip() for b in e.get("benchmarks", [])[:2])
    if e.get("coverage") == "not_tracked":
        return {"kpi": label, "value": "not tracked", "95% CI": "", "n": "", "change": "", "YoY": "", "band": "",
                "target": "", "status": "not tracked", "benchmark": ""}
    return {"kpi": label, "value": _num(e["value"], unit), "95% CI": ci,
            "n": ("" if e["n"] is None else f"{e['n']:,}") + ("*" if e["small_sample"] else ""),
            "change": change, "YoY": yoy, "band": (e["band"] or {}).get("label", ""), "target": target,
            "status": e["status"], "benchmark": bench}


@cli.command("scorecard")
@click.option("--period", "period", metavar="PERIOD", default=None,
              help="YYYY-MM, YYYY-Qn or YYYY. Default: the latest complete month with data.")
@click.option("--by", default=None, metavar="DIM", help="Also show every KPI by this customer attribute.")
@click.option("--rolling", type=click.IntRange(1, 60), default=None, help="Periods in the rolling mean (default 3).")
@filter_option
@format_option(("table", "json"))
@pass_state
def scorecard(state: State, period: str | None, by: str | None, rolling: int | None, filters: tuple[str, ...],
              fmt: str) -> None:
    """Every KPI of one period by focus area: value, CI, change, significance, band, target, benchmark."""
    ws = state.open()
    card = ws.scorecard(period, by=by, filters=parse_filters(filters), rolling=rolling)
    if fmt == "json":
        emit(card, "json")
        return
    note(card.get("period_note"))
    out = [f"Scorecard {card['period']} (vs {card['previous_period']}; year ago {card['year_ago_period']})"
           + (f", by {by}" if by else "")]
    columns = ["kpi", "value", "95% CI", "n", "change", "YoY", "band", "target", "status", "benchmark"]
    for area in card["focus_areas"]:
        lines = []
        for e in area["kpis"]:
            lines.append(_scorecard_line(e, e["name"]))
            for g in e.get("groups", []):
                lines.append(_scorecard_line(g, f"  {g['group'] if g['group'] is not None else '(empty)'}"))
        out += ["", area["name"], table(lines, columns) if lines else "(no KPIs)"]
    if card.get("not_tracked"):
        out += ["", "Not tracked in this workspace"]
        out += [f"  {m['name']}: {m['note'] or 'no data'}" for m in card["not_tracked"]]
    out += ["", "* small sample (n < 30); (sig) significant at 95 %"]
    click.echo("\n".join(out))


# ----------------------------------------------------------------- compare
@cli.command("compare")
@click.argument("kpi_ids", nargs=-1, required=True, metavar="ID [ID ...]")
@click.option("--period", "period", required=True, metavar="PERIOD", help="YYYY-MM, YYYY-Qn or YYYY.")
@click.option("--by", required=True, metavar="DIM", help="The customer attribute, e.g. segment.")
@click.option("--a", "group_a", required=True, metavar="VALUE", help="First group (e.g. SMB).")
@click.option("--b", "group_b", required=True, metavar="VALUE", help="Second group (e.g. Enterprise).")
@filter_option
@format_option()
@pass_state
def compare(state: State, kpi_ids: tuple[str, ...], period: str, by: str, group_a: str, group_b: str,
            filters: tuple[str, ...], fmt: str) -> None:
    """Compare two segments in one period: values, intervals and whether the difference is significant."""
    ws = state.open()
    rows = ws.compare(canonical(ws, kpi_ids), period=period, by=by, a=group_a, b=group_b, filters=parse_filters(filters))
    if fmt == "json":
        emit(rows, "json")
        return
    def side(value: Any, coverage: Any) -> Any:
        return "not tracked" if coverage == "not_tracked" and fmt == "table" else value

    flat = [{"kpi": r["kpi"], "period": r["period"], f"{group_a}": side(r["a"]["value"], r["a"].get("coverage")),
             f"{group_a} n": r["a"]["n"], f"{group_b}": side(r["b"]["value"], r["b"].get("coverage")),
             f"{group_b} n": r["b"]["n"], "difference": r["difference"], "p_value": r["p_value"],
             "significant": _flag(r["significant"]),
             "coverage": "not_tracked" if "not_tracked" in (r["a"].get("coverage"), r["b"].get("coverage"))
             else "covered"} for r in rows]
    if fmt == "table":
        for f in flat:
            f["coverage"] = str(f["coverage"]).replace("_", " ")
    emit(flat, fmt, columns=list(flat[0]) if flat else ["kpi"])
    if fmt == "table":
        for r in rows:
            note = r["a"].get("note") or r["b"].get("note")
            if note:
                click.echo(f"{r['kpi']}: {note}")


# ------------------------------------------------------------------ cohort
@cli.command("cohort")
@click.option("--period", "grain", type=GRAINS, default="month", show_default=True, help="Cohort grain.")
@click.option("--basis", type=click.Choice(["logo", "revenue"]), default="logo", show_default=True)
@click.option("--activity", multiple=True, metavar="TYPE",
              help="Count a customer as retained in a period only with an event of this type (repeatable); "
                   "default: active (not churned).")
@click.option("--from", "start", metavar="DATE", help="First signup cohort (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY).")
@click.option("--to", "end", metavar="DATE", help="Last signup period or day, inclusive.")
@filter_option
@format_option()
@pass_state
def cohort(state: State, grain: str, basis: str, activity: tuple[str, ...], start: str | None, end: str | None,
           filters: tuple[str, ...], fmt: str) -> None:
    """Customer retention matrix by signup cohort (rates in percent)."""
    rows = state.open().cohorts(grain=grain, basis=basis, start=start, end=end,
                                     filters=parse_filters(filters), activity=list(activity) or None)
    if fmt in ("json", "csv"):
        emit(rows, fmt, columns=["cohort", "cohort_start", "size", "offset", "period", "retained", "base", "rate",
                                 "small_sample"])
        return
    if not rows:
        click.echo("(no cohorts)")
        return
    width = max(r["offset"] for r in rows) + 1
    matrix: dict[str, dict[str, Any]] = {}
    for r in rows:
        line = matrix.setdefault(r["cohort"], {"cohort": r["cohort"], "size": r["size"],
                                               "base": fmt_number(r["base"], "money" if basis == "revenue" else None)})
        line[str(r["offset"])] = "" if r["rate"] is None else f"{r['rate']:.1f}"
    columns = ["cohort", "size", *(["base"] if basis == "revenue" else []), *[str(i) for i in range(width)]]
    click.echo(table(list(matrix.values()), columns))


# ---------------------------------------------------------------- maturity
@cli.command("maturity")
@format_option(("text", "json"), default="text")
@pass_state
def maturity(state: State, fmt: str) -> None:
    """Assess the workspace against the four maturity stages and say what would move it up."""
    result = state.open().maturity()
    if fmt == "json":
        emit(result, "json")
        return
    lines = [f"Maturity: {result['stage_name']} (level {result['level']} of 4)", f"  {result['description']}", ""]
    for stage in result["stages"]:
        lines.append(f"{stage['name']}: {'reached' if stage['reached'] else 'not reached'}")
        for c in stage["criteria"]:
            lines.append(f"  [{'x' if c['met'] else ' '}] {c['label']} — {c['evidence']}")
    if result["next_steps"]:
        lines += ["", f"To reach {result['next_stage_name']}:"] + [f"  - {s}" for s in result["next_steps"]]
    click.echo("\n".join(lines))
