"""``advokit journey refresh|list|counts|stages`` and ``advokit personas`` (docs/journey.md).

\b
advokit journey refresh --as-of 2025-07-01       # store every customer's stage (journey_stage attribute)
advokit journey list --stage churn_risk --format json
advokit journey counts                          # customers per stage, today
advokit kpi nps --period quarter --by journey_stage
advokit personas --format json                   # k by silhouette among 2-6; stores the persona attribute
advokit personas --k 4                           # four personas
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ..journey.personas import DEFAULT_SEED, MAX_K
from ..journey.stages import JOURNEY
from .app import State, cli, format_option, pass_state
from .render import emit

_AS_OF = click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
                      help="From the data strictly before this day (UTC). Default: today.")


def _day(value: dt.datetime | None) -> str | None:
    return None if value is None else value.date().isoformat()


@cli.group()
def journey() -> None:
    """Journey stages per customer as of a date: Onboarding & Activation, Value Realization, Advocacy
    Activation, Expansion Readiness, Churn/Retention Risk (rules and precedence: docs/journey.md).
    `journey refresh` stores them as the customer attribute journey_stage, so `--by journey_stage` works."""


def _print_counts(found: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        emit(found, fmt)
        return
    emit(found["counts"], fmt, columns=["stage", "stage_key", "customers"])


@journey.command("refresh")
@_AS_OF
@format_option(("table", "json"))
@pass_state
def journey_refresh(state: State, as_of: dt.datetime | None, fmt: str) -> None:
    """Store every customer's stage as of a day in the journey_stage attribute; prints the counts."""
    found = state.open(write=True).journey.refresh(as_of=_day(as_of))
    if fmt == "table":
        click.echo(f"journey_stage stored for {found['customers']:,} customers as of {found['as_of']}")
    _print_counts(found, fmt)


@journey.command("list")
@click.option("--stage", default=None, metavar="STAGE",
              help="Only this stage: " + ", ".join(s.key for s in JOURNEY) + " (or its name, any case).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100_000, show_default=True)
@_AS_OF
@format_option()
@pass_state
def journey_list(state: State, stage: str | None, limit: int, as_of: dt.datetime | None, fmt: str) -> None:
    """Customers with their stage and its reasons as of a day (computed, not the stored attribute)."""
    rows = state.open().journey.list(stage=stage, limit=limit, as_of=_day(as_of))
    if fmt != "json":
        rows = [{**r, "reasons": "; ".join(r["reasons"])} for r in rows]
    emit(rows, fmt, columns=["customer_id", "stage", "reasons"])


@journey.command("counts")
@_AS_OF
@format_option()
@pass_state
def journey_counts(state: State, as_of: dt.datetime | None, fmt: str) -> None:
    """Customers per stage as of a day."""
    _print_counts(state.open().journey.counts(as_of=_day(as_of)), fmt)


@journey.command("stages")
@format_option(("table", "json"))
@pass_state
def journey_stages(state: State, fmt: str) -> None:
    """The stages in journey order, with their rule and precedence (1 is tried first)."""
    rows = state.open().journey.stages()
    if fmt == "json":
        emit(rows, fmt)
        return
    emit([{**r, "signals": ", ".join(r["signals"])} for r in rows], fmt,
         columns=["key", "name", "precedence", "rule"])


@cli.command("personas")
@click.option("--k", "k", type=click.IntRange(2, MAX_K), default=None,
              help="How many personas (default: the best silhouette among 2 to 6).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=DEFAULT_SEED, show_default=True,
              help="Seed of the clustering.")
@_AS_OF
@format_option(("table", "json"))
@pass_state
def personas(state: State, k: int | None, seed: int, as_of: dt.datetime | None, fmt: str) -> None:
    """Behavioural personas (revenue and expansion, interaction frequency, feedback, advocacy) by a seeded
    KMeans on standardised features, each named and described from its traits. Stores each customer's
    persona in the customer attribute persona, so `--by persona` works."""
    found = state.open(write=True).personas.refresh(k=k, as_of=_day(as_of), seed=seed)
    if fmt == "json":
        emit(found, fmt)
        return
    scores = ", ".join(f"k={c['k']}: {c['silhouette']:.3f}" for c in found["candidates"])
    click.echo(f"{found['k']} personas of {found['customers']:,} customers as of {found['as_of']} "
               f"(k {'given' if found['chosen_by'] == 'given' else 'by silhouette'}; {scores}); "
               "stored in the attribute persona")
    emit([{"name": p["name"], "size": p["size"], "description": p["description"]} for p in found["personas"]],
         fmt, columns=["name", "size", "description"])
