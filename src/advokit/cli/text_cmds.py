"""``advokit text``: the sentiment of texts.

\b
advokit text sentiment comments.csv --column comment --format json   # score any CSV file
advokit text status                  # which model scores this workspace, labels stored
advokit text rescore                 # score again what another model scored
advokit text tune                    # refine the model on this workspace's scored comments
advokit text themes --period 2025-09 # the themes of a period's texts (cli/theme_cmds.py adds them here)
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ..text import TextService
from ..text.files import read_column
from ..text.model import SentimentModel
from ..text.service import score_texts
from .app import State, cli, pass_state
from .render import emit, to_csv


@cli.group("text")
def text() -> None:
    """Sentiment of customer texts: score a file, rescore the workspace, tune the model."""


def _scorer(state: State) -> tuple[Any, str]:
    """The workspace's model (tuned where it has one) when the workspace file exists, else the shipped one."""
    from . import serverfile

    if state.db.exists() and serverfile.find(state.db) is None:
        service: TextService = state.workspace().text
        model = service.model()
        return model, ("tuned model " if model.base is not None else "shipped model ") + model.version
    model = SentimentModel.shipped()
    return model, "shipped model " + model.version


@text.command("sentiment")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--column", required=True, help="The column holding the texts.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "table"]), default="table", show_default=True,
              help="json: an array, one object per row, in order; csv: the rows with label and score added.")
@pass_state
def text_sentiment(state: State, file: str, column: str, fmt: str) -> None:
    """The sentiment (label, score in [-1, 1], confidence, language) of each row of a CSV FILE."""
    header, rows = read_column(file, column)
    model, which = _scorer(state)
    scored = score_texts(model, [r[column] for r in rows])
    click.echo(f"scored {len(rows):,} rows with the {which}", err=True)
    if fmt == "json":
        emit([{"row": n, **s} for n, s in enumerate(scored, start=1)], "json")
    elif fmt == "csv":
        cols = [*header, *(c for c in ("label", "score") if c not in header)]
        out = [{**r, "label": s["label"], "score": s["score"]} for r, s in zip(rows, scored)]
        sys.stdout.write(to_csv(out, cols))
    else:
        emit([{column: r[column][:60], **s} for r, s in zip(rows, scored)], "table",
             columns=[column, "label", "score", "confidence", "language"])


@text.command("status")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_state
def text_status(state: State, fmt: str) -> None:
    """The model that scores this workspace's texts and how many texts hold each label."""
    summary = state.workspace().text.summary()
    if fmt == "json":
        emit(summary, "json")
        return
    m = summary["model"]
    click.echo(f"model: {m['version']}" + (f" (tuned on this workspace, from {m['base']})" if m["tuned"] else
                                           " (shipped)"))
    emit([{"label": k, "texts": v} for k, v in summary["labels"].items()], "table", columns=["label", "texts"])


@text.command("rescore")
@click.option("--all", "everything", is_flag=True, help="Score every text again, not only the outdated ones.")
@pass_state
def text_rescore(state: State, everything: bool) -> None:
    """Score again the texts an older model scored (and any not scored yet)."""
    done = state.workspace().text.rescore(everything=everything)
    click.echo(f"scored {done['scored']:,} texts with {done['model']}")


@text.command("tune")
@click.option("--reset", is_flag=True, help="Drop the tuned model: the shipped model scores again.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_state
def text_tune(state: State, reset: bool, fmt: str) -> None:
    """Refine the shipped model on this workspace's comments that carry a score (NPS, CSAT, review stars),
    with cross-validated figures beside the shipped model's; the tuned model then scores the workspace."""
    ws = state.workspace()
    if reset:
        n = ws.text.untune()
        click.echo(f"tuned model dropped; {n:,} texts scored again with the shipped model")
        return
    result = ws.text.tune()
    if fmt == "json":
        emit(result, "json")
        return
    f = result["figures"]
    click.echo(f"tuned {result['model']} on {result['texts']:,} scored comments "
               f"({', '.join(f'{k} {v:,}' for k, v in result['classes'].items())})")
    click.echo(f"{f['folds']}-fold cross-validation: macro-F1 {f['shipped']['macro_f1']:.3f} shipped → "
               f"{f['tuned']['macro_f1']:.3f} tuned; accuracy {f['shipped']['accuracy']:.3f} → "
               f"{f['tuned']['accuracy']:.3f}")
    click.echo(f"scored {result['rescored']:,} texts again")
