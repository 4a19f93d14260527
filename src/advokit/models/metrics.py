"""Backtest figures: AUC, top-decile lift and the Brier score (docs/models.md gives the definitions).

* ``auc``: the probability that a random positive is ranked above a random negative (ties count half);
  scikit-learn's ``roc_auc_score``.
* ``lift_top_decile``: the positive rate among the ``ceil(n / 10)`` highest-ranked rows divided by the overall
  positive rate (1 = no better than chance); ties at the edge of the decile are ranked by customer order.
* ``brier``: the mean of ``(p − y)²`` over the rows (only for probabilities; lower is better).
"""

from __future__ import annotations

import math

import numpy as np


def auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score  # imported on use: see learners.py

    return float(roc_auc_score(y.astype(int), score))


def lift_top_decile(y: np.ndarray, score: np.ndarray) -> float:
    n = len(y)
    rate = float(y.mean())
    if n == 0 or rate == 0:
        return float("nan")
    top = np.argsort(-score, kind="stable")[: math.ceil(n / 10)]
    return float(y[top].mean()) / rate


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def figures(y: np.ndarray, score: np.ndarray, *, probabilities: bool) -> dict[str, float | None]:
    """``auc``, ``lift_top_decile`` (and ``brier`` for probabilities), rounded to four decimals."""
    out: dict[str, float | None] = {"auc": round(auc(y, score), 4),
                                    "lift_top_decile": round(lift_top_decile(y, score), 4)}
    if probabilities:
        out["brier"] = round(brier(y, score), 4)
    return out
