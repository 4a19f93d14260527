"""``advokit funnel``, ``advokit influencers`` and ``advokit advocates next-ask`` (docs/funnel.md).

\b
advokit funnel --period 2025-Q1 --format json          # customers at each stage, conversions with intervals
advokit funnel --period 2025-03 --by segment           # one funnel per segment too
advokit influencers --period 2025-Q1 --limit 10        # authors of mentions ranked by reach
advokit advocates next-ask --as-of 2025-07-01          # the ask that fits each advocate, contact fatigue kept
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ..funnel.service import MAX_LIMIT
from .advocates_cmds import advocates
from .app import State, cli, format_option, pass_state
from .render import emit

_STAGE_COLUMNS = ["stage", "name", "customers", "conversion", "interval"]
_INFLUENCER_COLUMNS = ["rank", "author", "customer_id", "mentions", "reach", "influencer", "net_sentiment",
                       "positive", "neutral", "negative", "unscored"]
_ASK_COLUMNS = ["customer_id", "tier", "score", "next_ask", "askable_from", "reason"]


def _stage_rows(block: dict[str, Any]) -> list[dict[str, Any]]:
    """The stages with the conversion from the stage before (none for the first)."""
    into = {c["to"]: c for c in block["conversions"]}
    rows = []
    for s in block["stages"]:
        c = into.get(s["stage"])
        rate = "" if c is None else "n/a" if c["rate"] is None else f"{c['rate']} %"
        ci = "" if c is None or c["rate"] is None else f"{c['low']} to {c['high']} %"
        rows.append({"stage": s["stage"], "name": s["name"], "customers": s["customers"], "conversion": rate,
                     "interval": ci})
    return rows


@cli.command("funnel")
@click.option("--period", default="quarter", show_default=True,
              help="YYYY-MM, YYYY-Qn or YYYY; or month / quarter / year: the latest complete one with data.")
@click.option("--by", default=None, metavar="D", help="A customer attribute (as for KPIs), e.g. segment: one "
              "funnel per value.")
@format_option(("table", "json"))
@pass_state
def funnel(state: State, period: str, by: str | None, fmt: str) -> None:
    """The advocacy funnel of one period: customers at each stage (Advocate Identification, Activation &
    Engagement, Advocacy Actions, Business Impact Attribution, Retention and Re-Engagement) and the
    conversion between consecutive stages with its 95 % Wilson interval. Stage rules: docs/funnel.md."""
    data: dict[str, Any] = state.open().funnel.compute(period, by=by)
    if fmt == "json":
        emit(data, "json")
        return
    note = f" ({data['period_note']})" if data.get("period_note") else ""
    click.echo(f"funnel {data['period']}: {data['from']} to {data['to']}{note}; "
               f"{data['population']} customers at the start")
    emit(_stage_rows(data), "table", columns=_STAGE_COLUMNS)
    for seg in data.get("segments") or []:
        value = "null" if seg["segment"] is None else seg["segment"]
        click.echo(f"\n{data['by']}={value}: {seg['population']} customers at the start")
        emit(_stage_rows(seg), "table", columns=_STAGE_COLUMNS)


@cli.command("influencers")
@click.option("--period", default=None, help="YYYY-MM, YYYY-Qn or YYYY, or month / quarter / year (the latest "
              "complete one with mentions). Default: every mention.")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=20, show_default=True)
@format_option()
@pass_state
def influencers(state: State, period: str | None, limit: int, fmt: str) -> None:
    """Authors of mentions of our brand ranked by reach (then influencer flag, mentions): mentions, reach,
    influencer flag and the net sentiment of their mentions (stored labels)."""
    rows = state.open().funnel.influencers(period=period, limit=limit)
    emit(rows, fmt, columns=_INFLUENCER_COLUMNS if fmt == "table" else None)


@advocates.command("next-ask")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=1000, show_default=True)
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="From the data strictly before this day (UTC). Default: today.")
@format_option(("table", "json"))
@pass_state
def next_ask(state: State, limit: int, as_of: dt.datetime | None, fmt: str) -> None:
    """The ask that fits each advocate (Champion, Advocate, Potential) now: review, testimonial, referral,
    case_study or reference_call, from what they did and were asked; none within `advocates.fatigue_days`
    (default 30) of the last request (next_ask null, askable_from set)."""
    day = None if as_of is None else as_of.date().isoformat()
    rows = state.open().funnel.next_ask(limit=limit, as_of=day)
    emit(rows, fmt, columns=_ASK_COLUMNS if fmt == "table" else None)
