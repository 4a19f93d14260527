"""Behavioural personas: standardised features, a seeded KMeans, k by silhouette, names from traits.

Method (docs/journey.md):

1. **Features** per customer as of the cutoff (:data:`TRAITS`), from the advocates' as-of feature frame plus
   the count of the customer's own events in the last 365 days, in one Ibis expression: revenue and net
   expansion (log-scaled), interaction frequency (log-scaled), feedback (latest NPS, latest CSAT, net
   sentiment of the customer's own texts) and advocacy actions (log-scaled).
2. **Standardised**: each feature's missing values take the feature's mean, then z = (x − mean) / sd
   (a constant feature is all zeros).
3. **KMeans** (scikit-learn, ``n_init=10``, ``random_state=seed``; fitted on a seeded sample of
   :data:`FIT_SAMPLE` customers beyond that many) for each candidate k (2 to 6, at most the number of distinct
   customers and n − 1); each k's **silhouette** (Euclidean, on a seeded sample of
   :data:`SILHOUETTE_SAMPLE` customers beyond that) is reported; the best wins, a tie going to the smaller k.
   ``k`` given: that k alone.
4. **Traits** of a cluster: its centre in z-scores (members' mean), i.e. how far it sits from the overall
   average in standard deviations. Traits with |z| ≥ :data:`TRAIT_Z` distinguish it, strongest first.
5. **Names** from the two strongest traits ("High-revenue promoters"), one trait: "<adjective> customers",
   none: "Typical customers"; a name already taken gets the next trait in brackets, then a number. Personas are
   ordered by size (largest first), then by their centre, so names are deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np

from ..advocates import feature_expr
from ..engine.loops import LoopRule
from ..errors import InvalidArgumentError

CANDIDATES = range(2, 7)
MAX_K = 12
SILHOUETTE_SAMPLE = 3000
#: beyond this many customers, each KMeans is fitted on a seeded sample of them and every customer is assigned
#: to the nearest centre
FIT_SAMPLE = 50_000
TRAIT_Z = 0.5
DEFAULT_SEED = 42
INTERACTION_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Trait:
    key: str
    label: str
    holds: str
    high_adj: str
    low_adj: str
    high_noun: str
    low_noun: str


TRAITS: tuple[Trait, ...] = (
    Trait("revenue", "revenue", "ln(1 + revenue): arr, else the latest renewal's amount",
          "High-revenue", "Low-revenue", "big accounts", "small accounts"),
    Trait("expansion", "net expansion", "sign × ln(1 + |expansion − contraction amounts in 365 days|)",
          "Expanding", "Non-expanding", "expanders", "flat accounts"),
    Trait("interactions", "interaction frequency", "ln(1 + the customer's own events in the last 365 days)",
          "Highly engaged", "Quiet", "regulars", "quiet accounts"),
    Trait("nps", "NPS", "the latest NPS answer (0–10)",
          "Promoting", "Detracting", "promoters", "detractors"),
    Trait("csat", "CSAT", "the latest CSAT answer (1–5)",
          "Satisfied", "Dissatisfied", "satisfied customers", "dissatisfied customers"),
    Trait("sentiment", "feedback sentiment", "net sentiment of the customer's own texts, −1 to 1",
          "Upbeat", "Critical", "enthusiasts", "critics"),
    Trait("advocacy", "advocacy actions", "ln(1 + advocacy actions in the last 365 days)",
          "Advocating", "Non-advocating", "advocates", "non-advocates"),
)


def feature_table(backend: ibis.BaseBackend, *, at: dt.datetime, rules: tuple[LoopRule, ...]) -> ir.Table:
    """``customer_id`` and one column per trait (nulls where the customer has no such data)."""
    f = feature_expr(backend, as_of=at, rules=rules)
    events = backend.table("events")
    since = ibis.literal(at - dt.timedelta(days=INTERACTION_WINDOW_DAYS), "timestamp")
    own = events.filter(events.customer_id.notnull(), events.occurred_at < ibis.literal(at, "timestamp"),
                        events.occurred_at >= since)
    n = own.group_by(k=own.customer_id).aggregate(interactions_n=own.event_id.count())
    j = f.left_join(n, f.customer_id == n.k).select(f, n.interactions_n)
    x = j.expansion_365.cast("float64")
    return j.select(
        "customer_id",
        revenue=(j.revenue.cast("float64") + 1).ln(),
        expansion=x.sign() * (x.abs() + 1).ln(),
        interactions=(j.interactions_n.fill_null(0) + 1).cast("float64").ln(),
        nps=j.nps_latest.cast("float64"), csat=j.csat_latest.cast("float64"),
        sentiment=j.sentiment_net.cast("float64"), advocacy=j.advocacy_365_log,
    )


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z-scores of ``x`` (missing values take the column's mean) and the filled matrix."""
    if x.shape[0] == 0:
        return x.copy(), x.copy()
    filled = x.copy()
    for c in range(x.shape[1]):
        col = x[:, c]
        present = ~np.isnan(col)
        mean = float(col[present].mean()) if present.any() else 0.0
        filled[~present, c] = mean
    mean = filled.mean(axis=0)
    sd = filled.std(axis=0)
    sd[sd == 0] = 1.0
    return (filled - mean) / sd, filled


def cluster(z: np.ndarray, *, k: int | None, seed: int) -> tuple[int, float, list[dict[str, Any]], np.ndarray]:
    """The chosen k, its silhouette, every candidate's ``{k, silhouette}`` and the labels (0 … k−1)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = z.shape[0]
    distinct = int(np.unique(z.round(9), axis=0).shape[0]) if n else 0
    most = min(distinct, n - 1)
    if k is not None:
        if not isinstance(k, int) or isinstance(k, bool) or not 2 <= k <= MAX_K:
            raise InvalidArgumentError(f"k must be an integer from 2 to {MAX_K}, not {k!r}")
        if k > most:
            raise InvalidArgumentError(f"k={k} needs more customers with different behaviour: "
                                       f"{n} customers, {distinct} distinct", hint=f"give --k {most} or less"
                                       if most >= 2 else "personas need at least 3 customers")
        ks = [k]
    else:
        ks = [c for c in CANDIDATES if c <= most]
        if not ks:
            raise InvalidArgumentError(f"personas need at least 3 customers with different behaviour; "
                                       f"{n} customers ({distinct} distinct) are scored at this date",
                                       hint="import more customers and events, or pick a later --as-of")
    sample = SILHOUETTE_SAMPLE if n > SILHOUETTE_SAMPLE else None
    fit = z if n <= FIT_SAMPLE else z[np.sort(np.random.default_rng(seed).choice(n, FIT_SAMPLE, replace=False))]
    found: list[tuple[int, float, np.ndarray]] = []
    for c in ks:
        labels = KMeans(n_clusters=c, n_init=10, random_state=seed).fit(fit).predict(z)
        score = float(silhouette_score(z, labels, sample_size=sample, random_state=seed))
        found.append((c, round(score, 4), labels))
    best = max(found, key=lambda t: (t[1], -t[0]))
    return best[0], best[1], [{"k": c, "silhouette": s} for c, s, _ in found], best[2]


def level(z: float) -> str:
    if z >= 1:
        return "well above average"
    if z >= TRAIT_Z:
        return "above average"
    if z <= -1:
        return "well below average"
    if z <= -TRAIT_Z:
        return "below average"
    return "about average"


def describe(z: np.ndarray, raw: np.ndarray, labels: np.ndarray) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The personas (largest first) with name, description, size and traits; and each row's persona index.
    ``raw`` holds the features before standardising (NaN: missing); a trait's ``mean`` is over the members
    with a value, in the feature's own scale (:data:`TRAITS`)."""
    groups = sorted(set(int(v) for v in labels))
    centres = {g: z[labels == g].mean(axis=0) for g in groups}
    order = sorted(groups, key=lambda g: (-int((labels == g).sum()), tuple(round(float(v), 9) for v in centres[g])))
    taken: set[str] = set()
    personas: list[dict[str, Any]] = []
    for g in order:
        centre = centres[g]
        traits: list[dict[str, Any]] = []
        for i, trait in enumerate(TRAITS):
            zi = float(centre[i])
            traits.append({"trait": trait.key, "label": trait.label, "z": round(zi, 2), "level": level(zi),
                           "mean": _mean(raw[labels == g, i]), "overall_mean": _mean(raw[:, i])})
        traits.sort(key=lambda t: -abs(t["z"]))  # (stable: ties keep TRAITS order)
        for t in traits:
            t["distinguishing"] = abs(t["z"]) >= TRAIT_Z
        strong = [t for t in traits if t["distinguishing"]]
        name = _unique(_names(strong), taken)
        taken.add(name)
        words = [f"{t['label']} {t['level']}" for t in strong[:4]]
        description = (", ".join(words) if words else "close to the average on every trait")
        personas.append({"name": name, "description": description[:1].upper() + description[1:],
                         "size": int((labels == g).sum()), "traits": traits})
    index = np.zeros(labels.shape[0], dtype=int)
    for rank, g in enumerate(order):
        index[labels == g] = rank
    return personas, index


def _by_key(key: str) -> Trait:
    return next(t for t in TRAITS if t.key == key)


def _adj(t: dict[str, Any]) -> str:
    trait = _by_key(t["trait"])
    return trait.high_adj if t["z"] > 0 else trait.low_adj


def _noun(t: dict[str, Any]) -> str:
    trait = _by_key(t["trait"])
    return trait.high_noun if t["z"] > 0 else trait.low_noun


def _names(strong: list[dict[str, Any]]) -> list[str]:
    """The candidate names of a persona, best first."""
    if not strong:
        return ["Typical customers"]
    base = f"{_adj(strong[0])} {_noun(strong[1])}" if len(strong) > 1 else f"{_adj(strong[0])} customers"
    return [base, *[f"{base} ({_adj(t).lower()})" for t in strong[2:]]]


def _unique(names: list[str], taken: set[str]) -> str:
    for name in names:
        if name not in taken:
            return name
    i = 2
    while f"{names[0]} {i}" in taken:
        i += 1
    return f"{names[0]} {i}"


def _mean(values: np.ndarray) -> float | None:
    """The mean of the values present (None when there is none)."""
    present = values[~np.isnan(values)]
    return round(float(present.mean()), 4) if present.size else None
