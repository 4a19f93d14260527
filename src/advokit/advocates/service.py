"""``Advocates`` (``ws.advocates``): every customer's advocate score and tier as of a date, and one explained.

``churn_risk`` and ``advocacy_propensity`` are the predictive models' probabilities (advokit.models), handed in
as ``predictions`` (this package does not import the models): None (JSON null) while no model is trained.
``explain`` also carries each model's factors (``churn_factors``, ``advocacy_factors``; None without a model).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import ibis

from ..engine.loops import LoopRule
from ..errors import InvalidArgumentError, NotFoundError
from .config import TIER_NAMES, AdvocateConfig, from_settings, tier_key
from .features import cutoff, feature_frame
from .score import revenue_ranks, score_customer

MAX_LIMIT = 100_000
#: the earliest year an as-of date may name (the windows reach a year back from it)
FIRST_YEAR = 1900
#: the keys of a row of :meth:`Advocates.list`
ROW_KEYS = ("customer_id", "score", "tier", "churn_risk", "advocacy_propensity", "reasons")
#: how many (revision, as-of, configuration) score lists :meth:`Advocates.scores` keeps
CACHED_SCORES = 8
#: how many (revision, as-of) prediction sets :meth:`Advocates._with_models` keeps
CACHED_PREDICTIONS = 4
#: the fields the models fill (``predictions``), None where there is no model
MODEL_KEYS = ("churn_risk", "advocacy_propensity", "churn_factors", "advocacy_factors")
Predictions = Callable[[dt.datetime], Mapping[str, Mapping[str, Any]]]


class Advocates:
    """Scores of one workspace. ``backend`` gives the thread's Ibis backend, ``setting`` a stored setting's
    value (None when unset), ``loop_rules`` the closed-loop rules of the catalogue (``ws.loops.rules``);
    ``predictions`` the models' fields per customer at a cutoff (:data:`MODEL_KEYS`; empty without a model);
    ``revision`` the store's data revision (``Database.writes``, moved by every committed write): given it,
    :meth:`scores` keeps its answers until the revision moves (a list per as-of date and configuration)."""

    def __init__(self, *, backend: Callable[[], ibis.BaseBackend], setting: Callable[[str], str | None],
                 loop_rules: Callable[[], tuple[LoopRule, ...]], revision: Callable[[], int] | None = None,
                 predictions: Predictions | None = None) -> None:
        self._backend = backend
        self._setting = setting
        self._loop_rules = loop_rules
        self._revision = revision
        self._predictions = predictions
        self._lock = threading.Lock()
        self._cache: OrderedDict[Hashable, list[dict[str, Any]]] = OrderedDict()
        self._predicted: OrderedDict[Hashable, Mapping[str, Mapping[str, Any]]] = OrderedDict()

    def _models_at(self, at: dt.datetime) -> Mapping[str, Mapping[str, Any]]:
        """The models' fields per customer at ``at``: computed once per data revision (saving a model is a
        write) and as-of date, so a list and the explanations that follow it score the models once."""
        if self._predictions is None:
            return {}
        if self._revision is None:
            return self._predictions(at)
        key = (self._revision(), at)
        with self._lock:
            found = self._predicted.get(key)
            if found is not None:
                self._predicted.move_to_end(key)
                return found
        found = self._predictions(at)
        with self._lock:
            self._predicted[key] = found
            while len(self._predicted) > CACHED_PREDICTIONS:
                self._predicted.popitem(last=False)
        return found

    def _with_models(self, scored: list[dict[str, Any]], at: dt.datetime) -> list[dict[str, Any]]:
        found = self._models_at(at) if scored else {}
        for s in scored:
            mine = found.get(s["customer_id"], {})
            s.update({k: mine.get(k) for k in MODEL_KEYS})
        return scored

    def config(self) -> AdvocateConfig:
        """The defaults with the workspace's own weights and cut-offs."""
        return from_settings(self._setting)

    def features(self, *, as_of: dt.date | dt.datetime | str | None = None) -> list[dict[str, Any]]:
        """The as-of feature frame as rows (see :mod:`.features`)."""
        frame = feature_frame(self._backend(), as_of=parse_as_of(as_of), rules=self._loop_rules())
        rows: list[dict[str, Any]] = frame.to_pylist()
        return rows

    def scores(self, *, as_of: dt.date | dt.datetime | str | None = None) -> list[dict[str, Any]]:
        """Every customer's full score (components included), best first, then by customer_id; computed once
        per data revision, as-of date and configuration (each call gets its own row dicts)."""
        at = parse_as_of(as_of)
        config = self.config()
        if self._revision is None:
            return self._scores(at, config)
        key = (self._revision(), at, tuple(sorted(config.weights.items())), tuple(sorted(config.cutoffs.items())))
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
        if found is None:
            found = self._scores(at, config)
            with self._lock:
                self._cache[key] = found
                while len(self._cache) > CACHED_SCORES:
                    self._cache.popitem(last=False)
        return [dict(s) for s in found]

    def _scores(self, at: dt.datetime, config: AdvocateConfig) -> list[dict[str, Any]]:
        rows = feature_frame(self._backend(), as_of=at, rules=self._loop_rules()).to_pylist()
        ranks = revenue_ranks([r["revenue"] for r in rows])
        scored = [score_customer(r, config, rank) for r, rank in zip(rows, ranks)]
        for s in scored:
            s["as_of"] = at.isoformat()
        scored.sort(key=lambda s: (s["score"] is None, -(s["score"] or 0.0), s["customer_id"]))
        return scored

    def list(self, *, tier: str | None = None, limit: int = 1000,
             as_of: dt.date | dt.datetime | str | None = None) -> list[dict[str, Any]]:
        """Rows of :data:`ROW_KEYS`, ranked by score (highest first); ``tier`` keeps one tier (any case)."""
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidArgumentError(f"limit must be an integer from 1 to {MAX_LIMIT:,}, not {limit!r}")
        wanted = None if tier is None else TIER_NAMES[tier_key(tier)]
        at = parse_as_of(as_of)
        rows = [s for s in self.scores(as_of=at) if wanted is None or s["tier"] == wanted][:limit]
        return [{k: s[k] for k in ROW_KEYS} for s in self._with_models(rows, at)]

    def explain(self, customer_id: str, *, as_of: dt.date | dt.datetime | str | None = None) -> dict[str, Any]:
        """One customer's score, tier, every component (feature, sub-score, weight, points) and reasons."""
        at = parse_as_of(as_of)
        for s in self.scores(as_of=at):
            if s["customer_id"] == customer_id:
                s = self._with_models([s], at)[0]
                return {"customer_id": s["customer_id"], "as_of": s["as_of"], "score": s["score"],
                        "tier": s["tier"], "churn_risk": s["churn_risk"],
                        "advocacy_propensity": s["advocacy_propensity"], "reasons": s["reasons"],
                        "components": s["components"], "churn_factors": s["churn_factors"],
                        "advocacy_factors": s["advocacy_factors"]}
        raise NotFoundError(f"no customer {customer_id!r} to score as of {parse_as_of(as_of).date()}",
                            hint="a customer is scored from its signup until it churns; see advokit customers")


def parse_as_of(value: dt.date | dt.datetime | str | None) -> dt.datetime:
    """The cutoff of ``as_of``: a date (its midnight, UTC), a time, ISO text, or None (today's midnight);
    years :data:`FIRST_YEAR` to 9999."""
    at = _parse_as_of(value)
    if at.year < FIRST_YEAR:
        raise InvalidArgumentError(f"as_of must be in {FIRST_YEAR} or later, not {at.date()}", hint="e.g. 2025-03-20")
    return at


def _parse_as_of(value: dt.date | dt.datetime | str | None) -> dt.datetime:
    if value is None:
        return cutoff(dt.datetime.now(dt.timezone.utc).date())
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidArgumentError(f"as_of must be a date such as 2025-03-20, not {value!r}",
                                       hint="give YYYY-MM-DD (or an ISO 8601 time)") from None
        return cutoff(parsed.date() if len(value.strip()) == 10 else parsed)
    if isinstance(value, (dt.date, dt.datetime)):
        return cutoff(value)
    raise InvalidArgumentError(f"as_of must be a date, not {value!r}", hint="e.g. 2025-03-20")
