"""The advocate score's configuration: component weights and tier cut-offs, with their defaults.

Defaults (:data:`DEFAULT_WEIGHTS`, :data:`DEFAULT_CUTOFFS`) hold unless a workspace sets its own through the
settings (``advokit config set advocates.weights.nps 0.3``, ``advokit config set advocates.tiers.champion 85``;
the keys and their ranges: :mod:`advokit.settings.advocates`). Weights need not sum to 1: the score divides by
the sum of the weights of the components a customer has data for. docs/advocates.md explains each one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import InvalidArgumentError
from ..settings.advocates import COMPONENTS, TIER_PREFIX, TIERS, WEIGHT_PREFIX

#: weight of each component (they sum to 1)
DEFAULT_WEIGHTS: dict[str, float] = {
    "nps": 0.20, "nps_trend": 0.05, "csat": 0.10, "sentiment": 0.10, "advocacy_recency": 0.15,
    "advocacy_frequency": 0.10, "engagement": 0.10, "tenure": 0.05, "revenue": 0.05, "expansion": 0.05,
    "open_loops": 0.05,
}
#: the lowest score of each tier, highest tier first; below ``passive``: at risk
DEFAULT_CUTOFFS: dict[str, float] = {"champion": 80.0, "advocate": 60.0, "potential": 40.0, "passive": 20.0}
#: the tiers' names as shown, highest first
TIER_NAMES: dict[str, str] = {"champion": "Champion", "advocate": "Advocate", "potential": "Potential",
                              "passive": "Passive", "at_risk": "At risk"}
#: risk signals that put a customer at risk whatever the score: latest NPS at most this with an open loop ...
RISK_NPS_MAX = 6.0
#: ... or a contraction within this many days before the as-of date
RISK_CONTRACTION_DAYS = 90


@dataclass(frozen=True)
class AdvocateConfig:
    """Weights by component and cut-offs by tier (validated: weights ≥ 0 with one > 0, cut-offs descending)."""

    weights: Mapping[str, float]
    cutoffs: Mapping[str, float]

    def __post_init__(self) -> None:
        if set(self.weights) != set(COMPONENTS) or set(self.cutoffs) != set(TIERS):
            raise InvalidArgumentError("an advocate configuration needs a weight for every component and a "
                                       "cut-off for every tier", hint="components: " + ", ".join(COMPONENTS))
        if any(w < 0 for w in self.weights.values()) or not any(w > 0 for w in self.weights.values()):
            raise InvalidArgumentError("the advocate weights are all 0: the score has no component",
                                       hint=f"set one above 0, e.g. advokit config unset {WEIGHT_PREFIX}nps")
        for high, low in zip(TIERS, TIERS[1:]):
            if self.cutoffs[high] <= self.cutoffs[low]:
                raise InvalidArgumentError(
                    f"{TIER_PREFIX}{high} ({self.cutoffs[high]:g}) must be above {TIER_PREFIX}{low} "
                    f"({self.cutoffs[low]:g})", hint=f"tier cut-offs descend: {', '.join(TIERS)}; change or unset one")

    def tier_of(self, score: float) -> str:
        """The tier key of a score by the cut-offs alone (``at_risk`` below the lowest)."""
        return next((t for t in TIERS if score >= self.cutoffs[t]), "at_risk")


DEFAULT_CONFIG = AdvocateConfig(DEFAULT_WEIGHTS, DEFAULT_CUTOFFS)


def from_settings(get: Callable[[str], str | None]) -> AdvocateConfig:
    """The defaults overridden by the workspace's stored values (``get(key)``, None when unset)."""
    weights = {c: _stored(get, WEIGHT_PREFIX + c, DEFAULT_WEIGHTS[c]) for c in COMPONENTS}
    cutoffs = {t: _stored(get, TIER_PREFIX + t, DEFAULT_CUTOFFS[t]) for t in TIERS}
    return AdvocateConfig(weights, cutoffs)


def _stored(get: Callable[[str], str | None], key: str, default: float) -> float:
    value = get(key)
    return default if value is None else float(value)


def tier_key(name: str) -> str:
    """A tier's key from its name in any case, with a space, hyphen or underscore (``At risk`` → ``at_risk``)."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in TIER_NAMES:
        raise InvalidArgumentError(f"unknown tier {name!r}", hint="tiers: " + ", ".join(TIER_NAMES.values()))
    return key
