"""The two kinds of model, fitted, applied and explained, and kept as plain text (no pickle).

* ``logistic``: scikit-learn's regularised :class:`~sklearn.linear_model.LogisticRegression` (L1 or L2) on
  standardised features (missing values imputed with the training median; the ``*_missing`` flags carry the
  fact). Kept as JSON: medians, means, scales, coefficients, intercept. Contribution of a feature to one
  prediction (log-odds): ``coef × standardised value``.
* ``lightgbm``: a small gradient-boosted tree model (:data:`LGB_PARAMS`: 150 trees, one thread, fixed seed,
  deterministic); missing values go their own way down each tree. Kept as ``model_to_string()``;
  contributions from ``pred_contrib=True`` (log-odds, TreeSHAP).

:func:`fit_best` picks the model on a customer-grouped validation inside the training rows: the better of the
two logistic penalties, and lightgbm only where it beats that one's AUC (by :data:`LGB_MARGIN`) and the rows
hold at least :data:`LGB_MIN_POSITIVES` positives and negatives (fewer, and trees learn the noise).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# lightgbm, scikit-learn and threadpoolctl are imported where a model is fitted or read: together they take
# most of a second to import, which every `advokit` command would pay otherwise

from .metrics import auc

KINDS: tuple[str, ...] = ("logistic", "lightgbm")
LOGISTIC_CANDIDATES: dict[str, dict[str, Any]] = {
    "logistic_l2": {"l1_ratio": 0.0, "C": 1.0, "solver": "lbfgs"},
    "logistic_l1": {"l1_ratio": 1.0, "C": 0.5, "solver": "liblinear"},
}
LGB_ROUNDS = 150
LGB_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 20,
    "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1, "lambda_l2": 1.0,
    "num_threads": 1, "seed": 7, "deterministic": True, "force_row_wise": True, "verbose": -1,
}
#: lightgbm is chosen only when its validation AUC is at least this much above the logistic model's
LGB_MARGIN = 0.005
VALIDATION_FOLDS = 3
#: lightgbm is a candidate only with at least this many positives (and negatives) to learn from
LGB_MIN_POSITIVES = 50


@dataclass
class Fitted:
    """A fitted model: its kind, the parameters of the chosen variant and the body that predicts."""

    kind: str
    variant: str
    body: str  # JSON (logistic) or lightgbm's model string

    def _logistic(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded

    def _standardised(self, x: np.ndarray) -> np.ndarray:
        p = self._logistic()
        filled = np.where(np.isnan(x), np.asarray(p["median"]), x)
        return np.asarray((filled - np.asarray(p["mean"])) / np.asarray(p["scale"]), dtype=float)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities of the positive class."""
        if self.kind == "logistic":
            p = self._logistic()
            z = self._standardised(x) @ np.asarray(p["coef"]) + float(p["intercept"])
            return np.asarray(1.0 / (1.0 + np.exp(-z)))
        import lightgbm as lgb

        booster = lgb.Booster(model_str=self.body)
        return np.asarray(booster.predict(x, num_threads=1), dtype=float)

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each feature's contribution to each prediction in log-odds, and the base value per row."""
        if self.kind == "logistic":
            p = self._logistic()
            contrib = self._standardised(x) * np.asarray(p["coef"])
            return contrib, np.full(len(x), float(p["intercept"]))
        import lightgbm as lgb

        booster = lgb.Booster(model_str=self.body)
        raw = np.asarray(booster.predict(x, pred_contrib=True, num_threads=1))
        return raw[:, :-1], raw[:, -1]


def fit(kind: str, variant: str, x: np.ndarray, y: np.ndarray) -> Fitted:
    """Fit one model on all of ``x``/``y``."""
    import lightgbm as lgb
    from sklearn.linear_model import LogisticRegression

    if kind == "logistic":
        median = np.array([_median(x[:, j]) for j in range(x.shape[1])])
        filled = np.where(np.isnan(x), median, x)
        mean = filled.mean(axis=0)
        scale = filled.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        z = (filled - mean) / scale
        model = LogisticRegression(max_iter=1000, random_state=0, **LOGISTIC_CANDIDATES[variant])
        model.fit(z, y.astype(int))
        body = json.dumps({"median": median.tolist(), "mean": mean.tolist(), "scale": scale.tolist(),
                           "coef": model.coef_[0].tolist(), "intercept": float(model.intercept_[0])})
        return Fitted(kind, variant, body)
    booster = lgb.train(LGB_PARAMS, lgb.Dataset(x, label=y, free_raw_data=True), num_boost_round=LGB_ROUNDS)
    return Fitted("lightgbm", "lightgbm", booster.model_to_string())


def _median(column: np.ndarray) -> float:
    known = column[~np.isnan(column)]
    return float(np.median(known)) if len(known) else 0.0


def _variants(trees: bool) -> list[tuple[str, str]]:
    return [("logistic", v) for v in LOGISTIC_CANDIDATES] + ([("lightgbm", "lightgbm")] if trees else [])


def validate(x: np.ndarray, y: np.ndarray, groups: Sequence[str]) -> dict[str, float | None]:
    """Each variant's AUC on a customer-grouped k-fold split of the rows (None where it cannot be measured;
    lightgbm only with :data:`LGB_MIN_POSITIVES` positives and negatives)."""
    from sklearn.model_selection import GroupKFold

    folds = min(VALIDATION_FOLDS, len(set(groups)))
    trees = min(int(y.sum()), int(len(y) - y.sum())) >= LGB_MIN_POSITIVES
    scores: dict[str, list[float]] = {v: [] for _, v in _variants(True)}
    if folds < 2 or y.sum() < folds or (1 - y).sum() < folds:
        return {v: None for v in scores}
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups=list(groups)):
        if len(set(y[train])) < 2 or len(set(y[test])) < 2:
            continue
        for kind, variant in _variants(trees):
            scores[variant].append(auc(y[test], fit(kind, variant, x[train], y[train]).predict(x[test])))
    return {v: (float(np.mean(s)) if s else None) for v, s in scores.items()}


def fit_best(x: np.ndarray, y: np.ndarray, groups: Sequence[str]) -> tuple[Fitted, dict[str, float | None]]:
    """The chosen model fitted on all rows, and the validation AUC of every variant.

    One BLAS / OpenMP thread, as lightgbm has: the matrices are small, and threads of a BLAS only fight over the
    cores (several times slower where other work shares the machine); the figures are the same."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _fit_best(x, y, groups)


def _fit_best(x: np.ndarray, y: np.ndarray, groups: Sequence[str]) -> tuple[Fitted, dict[str, float | None]]:
    figures = validate(x, y, groups)
    def measured(variant: str) -> float:
        value = figures[variant]
        return -1.0 if value is None else value

    logistic = max(LOGISTIC_CANDIDATES, key=measured)
    best_kind, best_variant = "logistic", logistic
    lgb_auc, log_auc = figures["lightgbm"], figures[logistic]
    if lgb_auc is not None and log_auc is not None and lgb_auc > log_auc + LGB_MARGIN:
        best_kind, best_variant = "lightgbm", "lightgbm"
    if log_auc is None:  # nothing measurable: the default, L2
        best_variant = "logistic_l2"
    return fit(best_kind, best_variant, x, y), figures
