"""Backtests without leakage, and the training rows of a saved model.

At the cutoff ``T`` under test, features use only data strictly before ``T`` and labels come from
``(T, T + horizon]``. The model is trained on the rows of earlier, monthly cutoffs ``t`` whose horizon has
ended by ``T`` (``t + horizon ≤ T``, so their labels were known at ``T``): ``time_split``. When those rows hold
too few positives or negatives (a one-date CRM snapshot), the model is measured by customer-grouped
stratified k-fold cross-validation at ``T`` instead: ``cross_validation`` (and the answer says so).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..advocates.config import AdvocateConfig
from ..advocates.score import revenue_ranks, score_customer
from ..errors import InvalidArgumentError
from .frame import RAW, choose_categories, feature_names, matrix, stack
from .learners import Fitted, fit_best
from .metrics import figures

#: the most monthly training cutoffs a model learns from
MAX_CUTOFFS = 24
#: the fewest positives (and negatives) the earlier cutoffs must hold for a time split
MIN_TRAIN_POSITIVES = 20
#: folds of the fallback cross-validation (fewer when there are fewer positives)
CV_FOLDS = 5
SEED = 0

Frame = dict[str, Any]
Loader = Callable[[dt.datetime], Frame]


def months_before(day: dt.datetime, months: int) -> dt.datetime:
    """``day`` moved back ``months`` calendar months (the day of the month clipped to the month's length)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return day.replace(year=y, month=m, day=min(day.day, last))


def training_cutoffs(until: dt.datetime, *, first: dt.datetime | None) -> list[dt.datetime]:
    """Monthly cutoffs ``until``, one month before, … (at most :data:`MAX_CUTOFFS`), after ``first`` (the
    first signup): the latest first."""
    out: list[dt.datetime] = []
    for k in range(MAX_CUTOFFS):
        t = months_before(until, k)
        if first is None or t <= first:
            break
        out.append(t)
    return out


def training_rows(load: Loader, until: dt.datetime, *, first: dt.datetime | None) -> tuple[Frame, list[dt.datetime]]:
    """The stacked frames of :func:`training_cutoffs` (oldest first) and the cutoffs."""
    cuts = sorted(training_cutoffs(until, first=first))
    return stack([load(t) for t in cuts]), cuts


def enough(y: np.ndarray, least: int) -> bool:
    return bool(len(y)) and int(y.sum()) >= least and int(len(y) - y.sum()) >= least


def train(frame: Mapping[str, Any], target: str, attributes: list[str]) -> tuple[Fitted, dict[str, Any]]:
    """The chosen model on ``frame`` and what it was built from (categories, features, validation)."""
    categories = choose_categories(frame, attributes)
    x = matrix(frame, categories)
    y = np.asarray(frame[target], dtype=float)
    model, validation = fit_best(x, y, list(frame["customer_id"]))
    return model, {"categories": categories, "features": feature_names(categories), "validation": validation}


def check_test(target: str, at: dt.datetime, horizon: int, n: int, positives: int) -> None:
    """Refuse a cutoff with no active customer, or with none or all of them positive."""
    if n == 0:
        raise InvalidArgumentError(f"no active customer at {at.date()} to test on",
                                   hint="choose an --as-of within the span of the data")
    if positives == 0 or positives == n:
        what = "churned" if target == "churn" else "took an advocacy action"
        which = "none" if positives == 0 else "all"
        raise InvalidArgumentError(
            f"{which} of the {n} customers active at {at.date()} {what} in the {horizon} days after it: "
            "nothing to measure", hint="choose an earlier --as-of (the data must reach as_of + horizon)")


def baseline_scores(frame: Mapping[str, Any], config: AdvocateConfig) -> np.ndarray:
    """The transparent advocate score (docs/advocates.md) of each row, from the frame's ``raw_*`` columns."""
    rows = [{"customer_id": c, **{k: frame[f"raw_{k}"][i] for k in RAW}} for i, c in enumerate(frame["customer_id"])]
    ranks = revenue_ranks([r["revenue"] for r in rows])
    scores = [score_customer(r, config, rank)["score"] for r, rank in zip(rows, ranks)]
    values = np.array([float("nan") if v is None else float(v) for v in scores])
    return np.where(np.isnan(values), np.nanmedian(values) if np.isfinite(values).any() else 50.0, values)


def backtest(load: Loader, config: AdvocateConfig, *, target: str,
             at: dt.datetime, horizon: int, first: dt.datetime | None, attributes: list[str],
             shuffle_labels: bool = False) -> dict[str, Any]:
    """The backtest at ``at`` (see the module): figures of the model and of the transparent score."""
    test = load(at)
    rng = np.random.default_rng(SEED)
    if shuffle_labels:
        test[target] = rng.permutation(test[target])
    y = np.asarray(test[target], dtype=float)
    check_test(target, at, horizon, len(y), int(y.sum()))
    until = at - dt.timedelta(days=horizon)
    rows, cuts = training_rows(load, until, first=first)
    out: dict[str, Any] = {"target": target, "as_of": at.date().isoformat(), "horizon_days": horizon}
    if rows["n"] and shuffle_labels:
        rows[target] = rng.permutation(rows[target])
    if rows["n"] and enough(np.asarray(rows[target]), MIN_TRAIN_POSITIVES):
        model, info = train(rows, target, attributes)
        p = model.predict(matrix(test, info["categories"]))
        out.update(method="time_split", n=len(y), positives=int(y.sum()))
        extra = {"model": model.variant, "train_rows": int(rows["n"]),
                 "train_positives": int(np.sum(rows[target])), "cutoffs": [c.date().isoformat() for c in cuts],
                 "validation": info["validation"], "features": len(info["features"])}
    else:
        p, models = _cross_validated(test, target, attributes)
        out.update(method="cross_validation", n=len(y), positives=int(y.sum()))
        common = Counter(models).most_common(1)[0][0]
        extra = {"model": common, "folds": len(models), "fold_models": models,
                 "note": (f"the cutoffs before {until.date()} hold {int(np.sum(rows[target])) if rows['n'] else 0} "
                          f"positives (fewer than {MIN_TRAIN_POSITIVES}): customer-grouped {len(models)}-fold "
                          f"cross-validation at {at.date()} instead of a time split")}
    out.update(figures(y, p, probabilities=True))
    values = baseline_scores(test, config)
    ranking = 100.0 - values if target == "churn" else values
    out["baseline"] = figures(y, ranking, probabilities=False)
    out.update(extra)
    if shuffle_labels:
        out["note"] = "labels shuffled (a control: the AUC should be near 0.5)"
    return out


def _cross_validated(test: Frame, target: str, attributes: list[str]) -> tuple[np.ndarray, list[str]]:
    y = np.asarray(test[target], dtype=float)
    folds = int(min(CV_FOLDS, y.sum(), len(y) - y.sum()))
    if folds < 2:
        raise InvalidArgumentError(f"too few positives ({int(y.sum())}) or negatives to cross-validate",
                                   hint="a backtest needs at least two of each at the cutoff")
    groups = list(test["customer_id"])
    p = np.zeros(len(y))
    models: list[str] = []
    from sklearn.model_selection import StratifiedGroupKFold  # imported on use: see learners.py

    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for tr, te in splitter.split(np.zeros(len(y)), y.astype(int), groups=groups):
        part = _take(test, tr)
        model, info = train(part, target, attributes)
        p[te] = model.predict(matrix(_take(test, te), info["categories"]))
        models.append(model.variant)
    return p, models


def _take(frame: Mapping[str, Any], rows: np.ndarray) -> Frame:
    out: Frame = {}
    for k, v in frame.items():
        if k == "n":
            continue
        out[k] = v[rows] if isinstance(v, np.ndarray) else [v[i] for i in rows]
    out["n"] = len(rows)
    return out
