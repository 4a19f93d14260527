"""Advocate intelligence (issue 18): per-customer transparent advocate scores and tiers (``ws.advocates``).

* :mod:`.features` — the as-of feature frame (one Ibis expression; only data strictly before ``as_of``),
  meant to be shared with the predictive models;
* :mod:`.config` — component weights and tier cut-offs with their defaults, overridden by the workspace
  settings ``advocates.weights.*`` / ``advocates.tiers.*``;
* :mod:`.score` — sub-scores, points, tiers and reasons of one customer;
* :mod:`.service` — :class:`Advocates`, the service behind the CLI and the API.

May import: ``engine`` (the loop definition), ``catalogue``, ``settings`` (key names), ``errors``.
"""

from .config import (
           DEFAULT_CONFIG,
           DEFAULT_CUTOFFS,
           DEFAULT_WEIGHTS,
           TIER_NAMES,
           AdvocateConfig,
)
from .features import FEATURES, feature_expr, feature_frame
from .service import ROW_KEYS, Advocates, parse_as_of

__all__ = ["DEFAULT_CONFIG", "DEFAULT_CUTOFFS", "DEFAULT_WEIGHTS", "FEATURES", "ROW_KEYS", "TIER_NAMES",
           "AdvocateConfig", "Advocates", "feature_expr", "feature_frame", "parse_as_of"]
