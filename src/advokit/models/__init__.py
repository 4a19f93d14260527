"""Predictive churn and advocacy models (issue 18): training frames, backtests, saved models, explanations.

* :mod:`.frame` — the model frame at one cutoff (one Ibis expression over the advocate feature frame, the
  customer attributes and the labels in ``(cutoff, cutoff + horizon]``), one-hot categories, the matrix;
* :mod:`.learners` — regularised logistic regression and a small lightgbm model, chosen on a grouped
  validation, kept as text, with per-feature contributions;
* :mod:`.metrics` — AUC, top-decile lift, Brier score;
* :mod:`.backtest` — the time split over monthly cutoffs, and the cross-validation fallback;
* :mod:`.explain` — contributions in words;
* :mod:`.saved` — the ``prediction_models`` table;
* :mod:`.service` — :class:`Models` (``ws.models``), behind the CLI and the API.

May import: ``advocates`` (the feature frame, the as-of rule), ``engine``, ``catalogue``, ``store``, ``errors``.
"""

from .frame import NUMERIC, TARGETS
from .service import DEFAULT_HORIZON, MAX_HORIZON, Models

__all__ = ["DEFAULT_HORIZON", "MAX_HORIZON", "NUMERIC", "TARGETS", "Models"]
