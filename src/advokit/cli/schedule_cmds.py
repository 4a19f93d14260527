"""``advokit report schedule add|list|remove`` and ``advokit report run-due``: the report cadence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ..delivery import FORMATS, KINDS
from ..reports.delivery import renderer
from .app import State, format_option, pass_state
from .render import emit
from .report_cmds import report


@report.group("schedule")
def schedule() -> None:
    """Reports sent on their cadence, by e-mail (SMTP) or to a webhook (Slack-compatible JSON).

    \b
    advokit report schedule add --kind monthly --day 3 --to cs-leads@example.com --format pdf
    advokit report schedule add --kind quarterly --day 5 --to https://hooks.slack.com/services/...
    advokit report schedule list
    advokit report run-due            # from cron; `advokit serve` runs it in the background
    """


@schedule.command("add")
@click.option("--kind", required=True, type=click.Choice(KINDS),
              help="monthly (KPI pack with commentary), quarterly (advocacy impact review), spotlight "
                   "(monthly customer-story spotlight) or campaign (ad hoc: give --period).")
@click.option("--day", required=True, type=click.IntRange(1, 31),
              help="Day of the month it is sent for the period just ended (a shorter month: its last day).")
@click.option("--to", "recipients", required=True, multiple=True, metavar="ADDRESS|URL",
              help="An e-mail address or an http(s) webhook URL (repeatable).")
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              help="pdf, html or md (repeatable; attached to e-mails). Default: pdf.")
@click.option("--period", default=None, metavar="FIRST..LAST",
              help="Campaign only: its months, e.g. 2025-09..2025-10 (sent once, on --day of the month after).")
@pass_state
def schedule_add(state: State, kind: str, day: int, recipients: tuple[str, ...], formats: tuple[str, ...],
                 period: str | None) -> None:
    """Add a schedule to the workspace."""
    s = state.workspace().delivery.add(kind=kind, day=day, recipients=recipients, formats=formats or ("pdf",),
                                       period=period)
    click.echo(f"added schedule {s['id']}: {s['kind']}{' ' + s['period'] if s['period'] else ''} on day {s['day']}"
               f" to {', '.join(s['recipients'])} ({', '.join(s['formats'])})")


def _last(s: dict[str, Any]) -> str:
    if not s["deliveries"]:
        return "not sent yet"
    latest = s["deliveries"][0]["period"]
    parts = []
    for d in (d for d in s["deliveries"] if d["period"] == latest):
        part = f"{d['recipient']}: {d['status']}"
        if d["status"] == "failed":
            part += f" after {d['attempts']} attempt(s): {d['last_error']}"
        parts.append(part)
    return f"{latest} " + "; ".join(parts)


@schedule.command("list")
@format_option(("table", "json"))
@pass_state
def schedule_list(state: State, fmt: str) -> None:
    """The schedules, and how the latest period's deliveries went (failures with their error)."""
    rows = state.workspace().delivery.schedules()
    if fmt == "json":
        emit(rows, fmt)
        return
    emit([{"id": s["id"], "kind": s["kind"] + (f" {s['period']}" if s["period"] else ""), "day": s["day"],
           "to": ", ".join(s["recipients"]), "formats": ",".join(s["formats"]), "last delivery": _last(s)}
          for s in rows], fmt)


@schedule.command("remove")
@click.argument("schedule_id")
@pass_state
def schedule_remove(state: State, schedule_id: str) -> None:
    """Remove a schedule (and its delivery record)."""
    state.workspace().delivery.remove(schedule_id)
    click.echo(f"removed schedule {schedule_id}")


@report.command("run-due")
@click.option("--date", "today", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Send what is due on this day instead of today (UTC).")
@pass_state
def run_due(state: State, today: dt.datetime | None) -> None:
    """Send every schedule's due period to each recipient that has not had it (for cron); exit 1 if one failed.

    SMTP: ADVOKIT_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _TLS (starttls, ssl or none). Retries:
    ADVOKIT_DELIVERY_ATTEMPTS (3), ADVOKIT_DELIVERY_BACKOFF (2 s, doubling). Webhook link base:
    ADVOKIT_PUBLIC_URL.
    """
    ws = state.workspace()
    results = ws.delivery.run_due(renderer(ws), today=today.date() if today else None)
    for r in results:
        line = f"{r['status']}: {r['kind']} {r['period']} (schedule {r['schedule']}) to {r['recipient']}"
        if r["error"]:
            line += f" after {r['attempts']} attempt(s): {r['error']}"
        click.echo(line, err=r["status"] == "failed")
    if not results:
        click.echo("nothing due", err=True)
    if any(r["status"] == "failed" for r in results):
        raise SystemExit(1)
