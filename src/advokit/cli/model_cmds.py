"""``advokit model backtest|train|list``: the churn and advocacy models, measured without leakage and saved.

\b
advokit model backtest --target churn --as-of 2025-06-01 --format json   # AUC, lift, Brier vs the advocate score
advokit model backtest --target advocacy --as-of 2025-06-01 --horizon 60
advokit model train --target churn                   # fit on the data's history and save it in the workspace
advokit model list                                   # the saved models, newest first
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from .app import State, cli, format_option, pass_state
from .render import emit

_TARGET = click.option("--target", required=True, type=click.Choice(["churn", "advocacy"]),
                       help="churn: churns within the horizon; advocacy: takes an advocacy action within it.")
_HORIZON = click.option("--horizon", "horizon", type=click.IntRange(1, 730), default=90, show_default=True,
                        metavar="DAYS", help="Days after the cutoff in which the label counts.")
_FIGURES = ["target", "as_of", "horizon_days", "method", "model", "n", "positives", "auc", "lift_top_decile",
            "brier", "baseline_auc", "baseline_lift_top_decile"]
_LIST_COLUMNS = ["model_id", "target", "horizon_days", "model", "as_of", "train_rows", "train_positives",
                 "backtest_auc", "baseline_auc", "trained_at"]


def _day(value: dt.datetime | None) -> str | None:
    return None if value is None else value.date().isoformat()


@cli.group()
def model() -> None:
    """Predictive models of churn and advocacy (logistic regression, lightgbm where it does better),
    backtested without leakage against the transparent advocate score, saved in the workspace and used by
    `advokit advocates list` (churn_risk, advocacy_propensity) and `advocates explain` (the factors)."""


@model.command("backtest")
@_TARGET
@click.option("--as-of", "as_of", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="The cutoff under test: features from the data before it, labels from the horizon after it.")
@_HORIZON
@click.option("--shuffle-labels", is_flag=True,
              help="A control: shuffle the labels (the AUC should come out near 0.5).")
@format_option(("table", "json"))
@pass_state
def model_backtest(state: State, target: str, as_of: dt.datetime, horizon: int, shuffle_labels: bool,
                   fmt: str) -> None:
    """Train on earlier monthly cutoffs whose horizon ended by --as-of, test at --as-of (or cross-validate
    at it when the history is too thin), beside the advocate score as a baseline."""
    found: dict[str, Any] = state.open().models.backtest(target=target, as_of=as_of.date().isoformat(),
                                                         horizon_days=horizon,
                                                         shuffle_labels=shuffle_labels)
    if fmt == "json":
        emit(found, fmt)
        return
    row = {**found, "baseline_auc": found["baseline"]["auc"],
           "baseline_lift_top_decile": found["baseline"]["lift_top_decile"]}
    click.echo("\n".join(f"{k:<26}{_cell(row.get(k))}" for k in _FIGURES))
    for key in ("note", "labels_note"):
        if found.get(key):
            click.echo(f"note: {found[key]}")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "—" if value is None else str(value)


@model.command("train")
@_TARGET
@_HORIZON
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Learn from the cutoffs whose horizon ended by this day. Default: the day after the last event.")
@format_option(("table", "json"))
@pass_state
def model_train(state: State, target: str, horizon: int, as_of: dt.datetime | None, fmt: str) -> None:
    """Fit the model on the monthly cutoffs of the data's history and save it with its metadata (data span,
    features, figures, library versions); the newest model of a target is the one that scores."""
    found: dict[str, Any] = state.open(write=True).models.train(target=target, horizon_days=horizon,
                                                                as_of=_day(as_of))
    if fmt == "json":
        emit(found, fmt)
        return
    figures = found.get("backtest") or {}
    click.echo(f"saved {found['model_id']}: {found['model']} on {found['train_rows']:,} rows "
               f"({found['train_positives']:,} positives) from {len(found['cutoffs'])} cutoffs, "
               f"{len(found['features'])} features")
    if "auc" in figures:
        click.echo(f"backtest at {figures['as_of']}: AUC {figures['auc']:.3f} "
                   f"(advocate score {figures['baseline']['auc']:.3f}), top-decile lift "
                   f"{figures['lift_top_decile']:.2f}, Brier {figures['brier']:.4f}")
    elif figures.get("note"):
        click.echo(f"note: {figures['note']}")


@model.command("list")
@format_option(("table", "json"))
@pass_state
def model_list(state: State, fmt: str) -> None:
    """The saved models, newest first."""
    rows: list[dict[str, Any]] = state.open().models.list()
    if fmt == "json":
        emit(rows, fmt)
        return
    flat = [{**r, "backtest_auc": (r.get("backtest") or {}).get("auc"),
             "baseline_auc": ((r.get("backtest") or {}).get("baseline") or {}).get("auc")} for r in rows]
    emit(flat, fmt, columns=_LIST_COLUMNS)
