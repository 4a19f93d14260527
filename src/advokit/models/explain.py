"""A prediction explained in words, from the model's own contributions (log-odds per feature).

Each feature maps to a sentence built from the customer's raw values (:func:`sentence`): "no advocacy action
in 210 days", "CSAT fell from 5 to 2", "NPS 3", "plan is Enterprise". Features that say the same thing
("no NPS answer on record" from both the NPS and its missing flag) are summed into one factor. The factors
raising the prediction are those with a positive contribution, largest first; those lowering it negative.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: factors given on each side (raising, lowering)
TOP_FACTORS = 3
_EPS = 1e-6


def _n(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _plural(n: float, one: str, many: str) -> str:
    return f"{_fmt(n)} {one if n == 1 else many}"


def _change(name: str, latest: float | None, previous: float | None) -> str:
    if latest is None:
        return f"no {name} answer on record"
    if previous is None:
        return f"a single {name} answer ({_fmt(latest)})"
    if latest == previous:
        return f"{name} unchanged at {_fmt(latest)}"
    return f"{name} {'fell' if latest < previous else 'rose'} from {_fmt(previous)} to {_fmt(latest)}"


def sentence(feature: str, raw: Mapping[str, Any]) -> str:
    """The factor of ``feature`` in words, from the customer's raw values (``raw_*``, ``attr_*``)."""
    r = {k: _n(raw.get(f"raw_{k}")) for k in ("tenure_days", "nps_latest", "nps_previous", "csat_latest",
                                                "csat_previous", "sentiment_net", "sentiment_n",
                                                "days_since_advocacy", "advocacy_365", "engagement_90",
                                                "revenue", "revenue_events_365", "expansion_365",
                                                "contraction_90", "open_loops")}
    activity = _activity(feature, raw)
    if activity is not None:
        return activity
    if "=" in feature:
        attribute, value = feature.split("=", 1)
        actual = raw.get(f"attr_{attribute}")
        return f"{attribute} is {value}" if actual == value else f"{attribute} is not {value}"
    days = r["days_since_advocacy"]
    if feature in ("nps_latest", "nps_missing"):
        return "no NPS answer on record" if r["nps_latest"] is None else f"NPS {_fmt(r['nps_latest'])}"
    if feature == "nps_trend":
        return _change("NPS", r["nps_latest"], r["nps_previous"])
    if feature in ("csat_latest", "csat_missing"):
        return "no CSAT answer on record" if r["csat_latest"] is None else f"CSAT {_fmt(r['csat_latest'])}"
    if feature == "csat_trend":
        return _change("CSAT", r["csat_latest"], r["csat_previous"])
    if feature == "sentiment_net":
        if r["sentiment_net"] is None:
            return "no own text with a sentiment label"
        return f"net sentiment {r['sentiment_net']:+.2f} over {_plural(r['sentiment_n'] or 0, 'own text', 'own texts')}"
    if feature == "sentiment_n_log":
        return _plural(r["sentiment_n"] or 0, "own text", "own texts") + " with a sentiment label"
    if feature in ("advocacy_recency_log", "advocacy_never"):
        if days is None:
            return "no advocacy action on record"
        return f"no advocacy action in {_fmt(days)} days" if days > 30 else f"an advocacy action {_fmt(days)} days ago"
    if feature == "advocacy_365_log":
        return _plural(r["advocacy_365"] or 0, "advocacy action", "advocacy actions") + " in the last 365 days"
    if feature == "engagement_90_log":
        return _plural(r["engagement_90"] or 0, "engagement event", "engagement events") + " in the last 90 days"
    if feature == "tenure_log":
        return f"customer for {_fmt(r['tenure_days'] or 0)} days"
    if feature == "revenue_log":
        return "no revenue on record" if r["revenue"] is None else f"revenue {r['revenue']:,.0f}"
    if feature == "revenue_events_365_log":
        return _plural(r["revenue_events_365"] or 0, "renewal, expansion or contraction",
                       "renewals, expansions or contractions") + " in the last 365 days"
    if feature == "expansion_365_slog":
        x = r["expansion_365"] or 0.0
        return "no net expansion in the last 365 days" if x == 0 else f"net expansion {x:+,.0f} in the last 365 days"
    if feature == "contraction_90":
        return _plural(r["contraction_90"] or 0, "contraction", "contractions") + " in the last 90 days"
    if feature == "open_loops_log":
        n = r["open_loops"] or 0
        return "no open follow-up" if n == 0 else _plural(n, "open follow-up", "open follow-ups")
    return feature


#: the activity groups' names in words (one, many)
_GROUP_WORDS: dict[str, tuple[str, str]] = {
    "surveys": ("survey answer", "survey answers"),
    "engagement": ("engagement event", "engagement events"),
    "revenue_events": ("renewal, expansion or contraction", "renewals, expansions or contractions"),
}


def _activity(feature: str, raw: Mapping[str, Any]) -> str | None:
    """The sentence of an activity feature of :mod:`.frame` (``surveys_30_log``, ``surveys_90_change``, …), else
    None."""
    def value(name: str) -> float:
        return _n(raw.get(f"raw_{name}")) or 0.0

    if feature == "days_since_event_log":
        days = _n(raw.get("raw_days_since_event"))
        return "no event on record" if days is None else f"latest event {_fmt(days)} days ago"
    if feature == "net_expansion_all_slog":
        x = value("net_expansion_all")
        return "no net expansion on record" if x == 0 else f"net expansion {x:+,.0f} over all the history"
    for kind in ("expansion", "contraction"):
        for w in (90, 365):
            if feature == f"{kind}_amount_{w}_log":
                x = value(f"{kind}_amount_{w}")
                return f"no {kind} in the last {w} days" if x == 0 else f"{kind} of {x:,.0f} in the last {w} days"
    for group, (one, many) in _GROUP_WORDS.items():
        if feature == f"{group}_90_change":
            now, before = value(f"{group}_90"), value(f"{group}_180") - value(f"{group}_90")
            if now == before:
                return f"{_plural(now, one, many)} in the last 90 days, as many as in the 90 before"
            return (f"{_plural(now, one, many)} in the last 90 days, {'down' if now < before else 'up'} from "
                    f"{_fmt(before)} in the 90 before")
        for w in (30, 90):
            if feature == f"{group}_{w}_log" and feature != "engagement_90_log":
                return f"{_plural(value(f'{group}_{w}'), one, many)} in the last {w} days"
    return None


def factors(features: Sequence[str], contributions: np.ndarray, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``raising`` and ``lowering``: the top :data:`TOP_FACTORS` each, as ``{factor, features, contribution}``
    (contribution in log-odds, rounded to three decimals)."""
    merged: dict[str, tuple[float, list[str]]] = {}
    for name, c in zip(features, contributions):
        text = sentence(name, raw)
        total, names = merged.get(text, (0.0, []))
        merged[text] = (total + float(c), [*names, name])
    ranked = sorted(merged.items(), key=lambda kv: -abs(kv[1][0]))

    def side(sign: int) -> list[dict[str, Any]]:
        picked = [(t, c, n) for t, (c, n) in ranked if sign * c > _EPS][:TOP_FACTORS]
        return [{"factor": t, "features": n, "contribution": round(c, 3)} for t, c, n in picked]

    return {"raising": side(1), "lowering": side(-1)}
