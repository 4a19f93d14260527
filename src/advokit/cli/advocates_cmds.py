"""``advokit advocates list|explain``: per-customer advocate scores, tiers and reasons as of a date.

\b
advokit advocates list --format json                  # every customer, best score first
advokit advocates list --tier champion --limit 20     # the top 20 champions
advokit advocates list --as-of 2025-07-01             # from the data before 1 July 2025
advokit advocates explain C-0001 --format json        # every component: feature, sub-score, weight, points
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ..advocates.config import TIER_NAMES
from .app import State, cli, format_option, pass_state
from .render import emit

_AS_OF = click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
                      help="Score from the data strictly before this day (UTC). Default: today.")
_LIST_COLUMNS = ["customer_id", "score", "tier", "churn_risk", "advocacy_propensity", "reasons"]
_COMPONENT_COLUMNS = ["component", "feature", "value", "sub_score", "weight", "points", "status"]


def _day(value: dt.datetime | None) -> str | None:
    return None if value is None else value.date().isoformat()


@cli.group()
def advocates() -> None:
    """Advocate scores 0–100 per customer from readable components (NPS, CSAT, sentiment, advocacy actions,
    engagement, tenure, revenue, open follow-ups) and tiers: Champion, Advocate, Potential, Passive, At risk.
    Weights and cut-offs: `advokit config set advocates.weights.nps 0.3`, `advocates.tiers.champion 85`."""


@advocates.command("list")
@click.option("--tier", default=None, metavar="TIER",
              help="Only this tier: " + ", ".join(TIER_NAMES.values()) + " (any case; at_risk also works).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@_AS_OF
@format_option()
@pass_state
def advocates_list(state: State, tier: str | None, limit: int, as_of: dt.datetime | None, fmt: str) -> None:
    """Customers ranked by advocate score, highest first, with tier and reasons (churn_risk and
    advocacy_propensity are null until a model is trained)."""
    rows = state.open().advocates.list(tier=tier, limit=limit, as_of=_day(as_of))
    if fmt != "json":
        rows = [{**r, "reasons": "; ".join(r["reasons"])} for r in rows]
    emit(rows, fmt, columns=_LIST_COLUMNS)


@advocates.command("explain")
@click.argument("customer")
@_AS_OF
@format_option()
@pass_state
def advocates_explain(state: State, customer: str, as_of: dt.datetime | None, fmt: str) -> None:
    """One customer's score and tier, every component (feature value, sub-score 0–1, weight, points), reasons."""
    found: dict[str, Any] = state.open().advocates.explain(customer, as_of=_day(as_of))
    if fmt == "json":
        emit(found, fmt)
        return
    rows = [{**c, "feature": c["feature"]["name"], "value": c["feature"]["value"]} for c in found["components"]]
    if fmt == "table":
        click.echo(f"{found['customer_id']}: score {found['score']}, {found['tier']} (as of {found['as_of'][:10]})")
        for reason in found["reasons"]:
            click.echo(f"  - {reason}")
        for what, value, key in (("churn risk", "churn_risk", "churn_factors"),
                                 ("advocacy propensity", "advocacy_propensity", "advocacy_factors")):
            if found.get(key):
                up = ", ".join(f["factor"] for f in found[key]["raising"]) or "—"
                down = ", ".join(f["factor"] for f in found[key]["lowering"]) or "—"
                click.echo(f"{what} {found[value]:.2f} (model): raised by {up}; lowered by {down}")
    emit(rows, fmt, columns=_COMPONENT_COLUMNS)
