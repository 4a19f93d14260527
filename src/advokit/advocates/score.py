"""The transparent advocate score of one customer: components, points, tier and reasons in words.

Each component maps one feature of :mod:`.features` to a sub-score in [0, 1] (:data:`RULES`, docs/advocates.md);
a component whose feature is missing (no NPS answer, no CSAT, no scored text, no revenue, no revenue event
in the last 365 days) is left out and the weights of the others are renormalised — never counted as 0::

    points(c) = 100 × weight(c) × sub_score(c) / Σ weight of the components present
    score     = Σ points
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .config import RISK_CONTRACTION_DAYS, RISK_NPS_MAX, TIER_NAMES, AdvocateConfig

ADVOCACY_CAP = 10     # advocacy actions in 365 days that give the full sub-score (log scale)
ENGAGEMENT_CAP = 5    # engagement events in 90 days that give the full sub-score (log scale)
RECENCY_DAYS = 365    # days since the last advocacy action at which its sub-score reaches 0
TENURE_DAYS = 730     # days of tenure that give the full sub-score
#: how many component reasons a row carries (risk and left-out notes come on top)
TOP_REASONS = 4

LABELS: dict[str, str] = {
    "nps": "Latest NPS", "nps_trend": "NPS trend", "csat": "Latest CSAT", "sentiment": "Sentiment of own texts",
    "advocacy_recency": "Advocacy recency", "advocacy_frequency": "Advocacy frequency",
    "engagement": "Engagement (90 days)", "tenure": "Tenure", "revenue": "Revenue",
    "expansion": "Expansion (365 days)", "open_loops": "Open follow-ups",
}
#: each component's rule, in words (docs/advocates.md repeats them)
RULES: dict[str, str] = {
    "nps": "nps_latest / 10",
    "nps_trend": "(nps_trend + 10) / 20 (needs two NPS answers)",
    "csat": "(csat_latest − 1) / 4",
    "sentiment": "(sentiment_net + 1) / 2 (needs one scored text)",
    "advocacy_recency": f"1 − min(days_since_advocacy, {RECENCY_DAYS}) / {RECENCY_DAYS}; 0 with no action on record",
    "advocacy_frequency": f"min(1, ln(1 + advocacy_365) / ln(1 + {ADVOCACY_CAP}))",
    "engagement": f"min(1, ln(1 + engagement_90) / ln(1 + {ENGAGEMENT_CAP}))",
    "tenure": f"min(1, tenure_days / {TENURE_DAYS})",
    "revenue": "mid-rank of revenue among the customers with one: (lower + (equal − 1) / 2) / (n − 1); 0.5 alone",
    "expansion": "1 if expansion_365 > 0, 0.5 if = 0, 0 if < 0 (needs a revenue event in 365 days)",
    "open_loops": "1 / (1 + open_loops)",
}


def _num(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _log_share(count: float, cap: int) -> float:
    return min(1.0, math.log1p(count) / math.log1p(cap))


def sub_scores(f: Mapping[str, Any], revenue_rank: float | None) -> dict[str, float | None]:
    """Each component's sub-score in [0, 1], None where its feature is missing."""
    nps, csat, trend, net = _num(f["nps_latest"]), _num(f["csat_latest"]), _num(f["nps_trend"]), _num(f["sentiment_net"])
    days = _num(f["days_since_advocacy"])
    return {
        "nps": None if nps is None else nps / 10,
        "nps_trend": None if trend is None else (trend + 10) / 20,
        "csat": None if csat is None else (csat - 1) / 4,
        "sentiment": None if net is None else (net + 1) / 2,
        "advocacy_recency": 0.0 if days is None else 1 - min(days, RECENCY_DAYS) / RECENCY_DAYS,
        "advocacy_frequency": _log_share(float(f["advocacy_365"]), ADVOCACY_CAP),
        "engagement": _log_share(float(f["engagement_90"]), ENGAGEMENT_CAP),
        "tenure": min(1.0, float(f["tenure_days"]) / TENURE_DAYS),
        "revenue": revenue_rank,
        "expansion": None if not f["revenue_events_365"] else
        (1.0 if f["expansion_365"] > 0 else 0.5 if f["expansion_365"] == 0 else 0.0),
        "open_loops": 1 / (1 + float(f["open_loops"])),
    }


def revenue_ranks(values: Sequence[float | None]) -> list[float | None]:
    """The mid-rank of each revenue among the known ones (see :data:`RULES`); None stays None."""
    known = sorted(v for v in values if v is not None)
    n = len(known)
    out: list[float | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        lower = bisect.bisect_left(known, v)
        equal = bisect.bisect_right(known, v) - lower
        out.append(0.5 if n == 1 else (lower + (equal - 1) / 2) / (n - 1))
    return out


def _day(value: Any) -> str:
    return value.date().isoformat() if isinstance(value, dt.datetime) else str(value)


def _g(value: float) -> str:
    return f"{value:g}"


def _n(count: Any, word: str) -> str:
    """``1 day``, ``2 days``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def phrase(c: str, f: Mapping[str, Any], revenue_rank: float | None) -> str | None:
    """The component's feature in words; None where it says nothing (no open follow-ups; no advocacy action
    in 365 days, which the recency reason already says)."""
    if c == "nps":
        return f"NPS {_g(f['nps_latest'])} on {_day(f['nps_latest_at'])}"
    if c == "nps_trend":
        a, b = _g(f["nps_previous"]), _g(f["nps_latest"])
        return f"NPS unchanged at {b}" if a == b else f"NPS {'rose' if f['nps_trend'] > 0 else 'fell'} from {a} to {b}"
    if c == "csat":
        prev, last = f["csat_previous"], f["csat_latest"]
        if prev is not None and prev != last:
            return f"CSAT {'rose' if last > prev else 'fell'} from {_g(prev)} to {_g(last)}"
        return f"CSAT {_g(last)} on {_day(f['csat_latest_at'])}"
    if c == "sentiment":
        return f"net sentiment {100 * f['sentiment_net']:+.0f} over {_n(f['sentiment_n'], 'own text')}"
    if c == "advocacy_recency":
        days = f["days_since_advocacy"]
        if days is None:
            return "no advocacy action on record"
        return f"no advocacy action in {days} days" if days > 90 else f"last advocacy action {_n(days, 'day')} ago"
    if c == "advocacy_frequency":
        return f"{_n(f['advocacy_365'], 'advocacy action')} in the last 365 days" if f["advocacy_365"] else None
    if c == "engagement":
        n = f["engagement_90"]
        return f"{_n(n, 'engagement event')} (community, QBR, activation) in the last 90 days" if n else \
            "no community, QBR or activation event in the last 90 days"
    if c == "tenure":
        return f"customer for {f['tenure_days']} days"
    if c == "revenue":
        return f"revenue {f['revenue']:,.0f} (rank {100 * (revenue_rank or 0):.0f}% among customers)"
    if c == "expansion":
        x = f["expansion_365"]
        return "flat revenue in the last 365 days" if x == 0 else \
            f"net {'expansion' if x > 0 else 'contraction'} {abs(x):,.0f} in the last 365 days"
    n = f["open_loops"]
    return f"{_n(n, 'open follow-up')}" if n else None


def risk_signals(f: Mapping[str, Any]) -> list[str]:
    """The signals that put a customer at risk whatever the score (docs/advocates.md)."""
    out = []
    nps = _num(f["nps_latest"])
    if nps is not None and nps <= RISK_NPS_MAX and f["open_loops"]:
        out.append(f"at risk: NPS {_g(nps)} with {_n(f['open_loops'], 'open follow-up')}")
    if f["contraction_90"]:
        out.append(f"at risk: {_n(f['contraction_90'], 'contraction')} in the last {RISK_CONTRACTION_DAYS} days")
    return out


def score_customer(f: Mapping[str, Any], config: AdvocateConfig, revenue_rank: float | None) -> dict[str, Any]:
    """Score, tier, components and reasons of one feature row."""
    subs = sub_scores(f, revenue_rank)
    present = {c: s for c, s in subs.items() if s is not None and config.weights[c] > 0}
    total = sum(config.weights[c] for c in present)
    components: list[dict[str, Any]] = []
    for c, s in subs.items():
        w = config.weights[c]
        used = c in present
        points = 100 * w * s / total if used and s is not None else None
        components.append({"component": c, "label": LABELS[c], "rule": RULES[c], "feature": _feature(c, f),
                           "sub_score": None if s is None else round(s, 4), "weight": w,
                           "effective_weight": round(w / total, 4) if used else None,
                           "points": None if points is None else round(points, 2),
                           "status": "used" if used else ("no data" if s is None else "weight 0")})
    score = round(sum(100 * config.weights[c] * s / total for c, s in present.items()), 1) if total else None
    risks = risk_signals(f)
    tier = "at_risk" if risks else None if score is None else config.tier_of(score)
    reasons = risks + _component_reasons(present, config, total, f, revenue_rank)
    missing = [LABELS[c] for c, s in subs.items() if s is None and config.weights[c] > 0]
    if missing:
        reasons.append("left out for lack of data, the other weights renormalised: " + ", ".join(missing))
    if score is None:
        reasons.append("no component has both data and a weight above 0: no score")
    return {"customer_id": f["customer_id"], "score": score, "tier": None if tier is None else TIER_NAMES[tier],
            "churn_risk": None,
            "advocacy_propensity": None, "reasons": reasons, "components": components}


def _component_reasons(present: Mapping[str, float], config: AdvocateConfig, total: float, f: Mapping[str, Any],
                       revenue_rank: float | None) -> list[str]:
    """The phrases of the components that pull the score furthest from the middle (|sub-score − ½| × weight)."""
    pull = sorted(present, key=lambda c: (-abs(present[c] - 0.5) * config.weights[c] / total, c))
    said = [phrase(c, f, revenue_rank) for c in pull]
    return [p for p in said if p is not None][:TOP_REASONS]


_FEATURES: dict[str, str] = {
    "nps": "nps_latest", "nps_trend": "nps_trend", "csat": "csat_latest", "sentiment": "sentiment_net",
    "advocacy_recency": "days_since_advocacy", "advocacy_frequency": "advocacy_365", "engagement": "engagement_90",
    "tenure": "tenure_days", "revenue": "revenue", "expansion": "expansion_365", "open_loops": "open_loops",
}


def _feature(c: str, f: Mapping[str, Any]) -> dict[str, Any]:
    name = _FEATURES[c]
    value = f[name]
    if c == "expansion" and not f["revenue_events_365"]:
        value = None
    return {"name": name, "value": round(value, 4) if isinstance(value, float) else value}
