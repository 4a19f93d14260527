"""``advokit listening``: social-listening figures of one period from the workspace's mention events.

\b
advokit listening --period 2025-09 --format json     # one month
advokit listening --period 2025-Q3 --by segment      # a quarter, by customer segment
advokit listening                                    # the latest complete month with mentions
"""

from __future__ import annotations

from typing import Any

import click

from .app import State, cli, pass_state
from .render import emit

_SUMMARY = ["group", "volume", "reach", "net_sentiment", "ci", "positive", "neutral", "negative", "unscored",
            "influencers", "influencer_share"]


def _summary(name: str, f: dict[str, Any]) -> dict[str, Any]:
    s, infl = f["sentiment"], f["influencer"]
    ci = "" if s["net"] is None else f"{s['ci_low']} to {s['ci_high']}"
    return {"group": name, "volume": f["volume"], "reach": f["reach"], "net_sentiment": s["net"], "ci": ci,
            "positive": s["positive"], "neutral": s["neutral"], "negative": s["negative"],
            "unscored": s["unscored"], "influencers": infl["mentions"], "influencer_share": infl["share"]}


def _section(title: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
    if rows:
        click.echo(f"\n{title}")
        emit(rows, "table", columns=columns)


@cli.command("listening")
@click.option("--period", default="month", show_default=True,
              help="YYYY-MM, YYYY-Qn or YYYY; or month / quarter / year: the latest complete one with mentions.")
@click.option("--by", default=None, help="A customer attribute (e.g. segment); anonymous mentions form the "
              "null group.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@pass_state
def listening(state: State, period: str, by: str | None, fmt: str) -> None:
    """Mentions of one period: volume, reach, sentiment, influencers, top authors, share of voice, spikes.

    Figures count our brand's mentions: those naming no brand, or the brand of `advokit config set
    listening.brand NAME`; share of voice sets them against every brand named in `properties.brand`.
    A spike is a day or week whose volume is significantly above its trailing 28 days (p < 0.01).
    """
    data = state.open().listening.figures(period, by=by)
    if fmt == "json":
        emit(data, "json")
        return
    note = f" ({data['period_note']})" if data.get("period_note") else ""
    click.echo(f"mentions {data['period']}: {data['from']} to {data['to']}{note}")
    f = data["figures"]
    rows = [_summary("all", f)]
    if data.get("groups") is not None:
        rows += [_summary(f"{data['by']}={g[data['by']]}" if g[data["by"]] is not None else f"{data['by']}=null",
                          g["figures"]) for g in data["groups"]]
    emit(rows, "table", columns=_SUMMARY)
    _section("top authors by reach", f["top_authors"], ["author", "channel", "mentions", "reach", "influencer"])
    _section("share of voice", f["share_of_voice"], ["brand", "ours", "mentions", "share"])
    _section("channels", f["channels"], ["channel", "mentions", "reach"])
    _section("spikes (alerts)", f["spikes"], ["grain", "date", "count", "baseline", "p_value"])
    if data.get("note"):
        click.echo(f"\nnote: {data['note']}")
