"""``advokit text themes`` and ``advokit text theme ...``: the themes of the workspace's texts.

\b
advokit text themes --period 2025-09 --format json          # share, sentiment, trend, quotes per theme
advokit text themes --period 2025-09 --by segment            # ... and per segment
advokit text themes --refresh                                # discover the themes again
advokit text theme list                                      # every theme with its terms
advokit text theme rename t3 "Broadband delays"              # kept when themes are refreshed
advokit text theme merge t7 t3                               # t7 reports as t3
advokit text theme pin t3 / unpin t3                         # a pinned theme survives a refresh
"""

from __future__ import annotations

from typing import Any

import click

from .app import State, pass_state
from .render import emit
from .text_cmds import text

COLUMNS = ["theme_id", "name", "texts", "share", "change", "p_value", "trend", "net_sentiment", "promoter_share",
           "detractor_share"]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "name": r["name"][:40], "share": _pct(r["share"]), "change": "" if r["change"] is None else
             f"{100 * r['change']:+.1f} pt", "promoter_share": _pct(r["promoter_share"]),
             "detractor_share": _pct(r["detractor_share"])} for r in rows]


def _refreshed(done: dict[str, Any]) -> str:
    return (f"{done['themes']} themes in {done['texts']:,} texts ({done['assigned']:,} assigned; "
            f"{done['matched']} matched to earlier themes, {done['kept_pinned']} pinned kept, {done['new']} new)")


@text.command("themes")
@click.option("--period", help="The period: YYYY-MM, YYYY-Qn or YYYY (compared with the one before).")
@click.option("--by", "by", help="Also per value of a customer attribute, e.g. segment.")
@click.option("--refresh", is_flag=True, help="Discover the themes again first (names, pins, merges are kept).")
@click.option("--themes", "k", type=click.IntRange(1, 50), help="With --refresh: how many themes to look for "
              "(default: one per 50 texts, 2 to 12).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_state
def text_themes(state: State, period: str | None, by: str | None, refresh: bool, k: int | None, fmt: str) -> None:
    """The themes of the texts in a period: share, sentiment, promoter and detractor shares, rising and
    falling themes (two-proportion z-test against the period before) and quotes. Reads the stored themes:
    compute them first with --refresh or `advokit text theme refresh` (`advokit demo` does it too)."""
    ws = state.workspace()
    if refresh or k is not None:
        done = ws.themes.refresh(k=k)
        click.echo(_refreshed(done), err=True)
        if period is None:
            if fmt == "json":
                emit(done, "json")
            return
    if period is None:
        raise click.UsageError("give --period (YYYY-MM, YYYY-Qn or YYYY), or --refresh")
    report = ws.themes.report(period, by=by)
    if fmt == "json":
        emit(report, "json")
        return
    click.echo(f"{report['period']} against {report['previous_period']}: {report['texts']:,} texts with a theme")
    emit(_table(report["themes"]), "table", columns=COLUMNS)
    for group in report.get("groups", []):
        click.echo(f"\n{report['by']} = {group[report['by']]}: {group['texts']:,} texts with a theme")
        emit(_table(group["themes"]), "table", columns=COLUMNS)


@text.group("theme")
def theme() -> None:
    """Manage themes: list, rename, merge, pin (names, merges and pins survive a refresh)."""


def _show(row: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        emit(row, "json")
        return
    extra = ["pinned" if row["pinned"] else "", f"merged into {row['merged_into']}" if row["merged_into"] else ""]
    click.echo(f"{row['theme_id']}: {row['name']} ({', '.join(t['term'] for t in row['terms'][:5])})"
               + "".join(f"; {e}" for e in extra if e))


FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)


@theme.command("list")
@FORMAT
@pass_state
def theme_list(state: State, fmt: str) -> None:
    """Every theme with its top terms, texts, pin and merge."""
    ws = state.workspace()
    ws.themes.require()
    rows = ws.themes.all()
    if fmt == "json":
        emit(rows, "json")
        return
    emit([{**r, "terms": ", ".join(t["term"] for t in r["terms"][:5]), "merged_into": r["merged_into"] or ""}
          for r in rows], "table", columns=["theme_id", "name", "texts", "pinned", "merged_into", "terms"])


@theme.command("refresh")
@click.option("--themes", "k", type=click.IntRange(1, 50), help="How many themes to look for.")
@pass_state
def theme_refresh(state: State, k: int | None) -> None:
    """Discover the themes again (the same as `advokit text themes --refresh`)."""
    click.echo(_refreshed(state.workspace().themes.refresh(k=k)))


@theme.command("rename")
@click.argument("theme_id")
@click.argument("name")
@FORMAT
@pass_state
def theme_rename(state: State, theme_id: str, name: str, fmt: str) -> None:
    """Name a theme (an empty NAME goes back to its discovered label)."""
    _show(state.workspace().themes.rename(theme_id, name), fmt)


@theme.command("merge")
@click.argument("theme_id")
@click.argument("into")
@FORMAT
@pass_state
def theme_merge(state: State, theme_id: str, into: str, fmt: str) -> None:
    """Report THEME_ID as INTO from now on."""
    _show(state.workspace().themes.merge(theme_id, into), fmt)


@theme.command("unmerge")
@click.argument("theme_id")
@FORMAT
@pass_state
def theme_unmerge(state: State, theme_id: str, fmt: str) -> None:
    """Report a merged theme on its own again."""
    _show(state.workspace().themes.unmerge(theme_id), fmt)


@theme.command("pin")
@click.argument("theme_id")
@FORMAT
@pass_state
def theme_pin(state: State, theme_id: str, fmt: str) -> None:
    """Pin a theme: a refresh keeps it even when it is not found again."""
    _show(state.workspace().themes.pin(theme_id), fmt)


@theme.command("unpin")
@click.argument("theme_id")
@FORMAT
@pass_state
def theme_unpin(state: State, theme_id: str, fmt: str) -> None:
    """Unpin a theme."""
    _show(state.workspace().themes.pin(theme_id, False), fmt)
