"""What the surfaces show about many scores at once: the tier distribution, a segment's members, and who moved
into the advocate tiers or into "At risk" between two dates.

Pure functions over the rows of :meth:`Advocates.scores` (and, for a segment, one Ibis filter on the
``customers`` table), so the dashboard, the REST API and the report count the same way (docs/advocates.md).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import ibis

from .config import TIER_NAMES

#: the tiers in their order, highest first, as shown
TIERS: tuple[str, ...] = tuple(TIER_NAMES.values())
#: the tiers whose customers count as advocates ("new advocates": in one of them now, not before)
ADVOCATE_TIERS: tuple[str, ...] = (TIER_NAMES["champion"], TIER_NAMES["advocate"])
AT_RISK: str = TIER_NAMES["at_risk"]
#: what a customer with no score (no component with data and a weight) is counted as
NO_SCORE = "No score"


def tier_distribution(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"customers": n, "tiers": [{"tier", "key", "customers", "share"}, ...]}``: every tier in order (0 where
    empty), then "No score" when some customers have none; ``share`` is customers / n (None when n is 0)."""
    counts: dict[str, int] = dict.fromkeys(TIERS, 0)
    unscored = 0
    total = 0
    for r in rows:
        total += 1
        if r["tier"] is None:
            unscored += 1
        else:
            counts[r["tier"]] += 1
    keys = {name: key for key, name in TIER_NAMES.items()}
    out = [{"tier": t, "key": keys[t], "customers": n, "share": n / total if total else None}
           for t, n in counts.items()]
    if unscored:
        out.append({"tier": NO_SCORE, "key": "no_score", "customers": unscored, "share": unscored / total})
    return {"customers": total, "tiers": out}


def segment_members(backend: ibis.BaseBackend, filters: Mapping[str, str | None]) -> set[str]:
    """The ids of the customers whose attributes equal ``filters`` (None: the attribute is empty). The caller
    checks the attribute names against the workspace's dimensions; values never enter SQL text."""
    t = backend.table("customers")
    for dim, value in sorted(filters.items()):
        t = t.filter(t[dim].isnull() if value is None else t[dim] == value)
    return {str(v) for v in t.select("customer_id").to_pyarrow().column(0).to_pylist()}


def keep(rows: Iterable[Mapping[str, Any]], members: Collection[str] | None) -> list[Mapping[str, Any]]:
    """The rows of the customers in ``members`` (all rows when None)."""
    return [r for r in rows if members is None or r["customer_id"] in members]


def movements(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]], *,
              examples: int = 5) -> dict[str, Any]:
    """Who became an advocate and who became at risk between two score lists (each best first).

    ``new_advocates``: Champion or Advocate in ``after`` and not in ``before`` (a customer not scored in
    ``before``, e.g. one who signed up since, counts as not); ``new_at_risk``: "At risk" in ``after`` and not
    in ``before``. Each is ``{"count", "examples": [{"customer_id", "score", "tier", "tier_before",
    "reason"}]}`` with at most ``examples`` customers: new advocates highest score first, new at-risk
    customers lowest score first (then by ``customer_id``).
    """
    was = {r["customer_id"]: r["tier"] for r in before}

    def moved(into: tuple[str, ...]) -> list[Mapping[str, Any]]:
        return [r for r in after if r["tier"] in into and was.get(r["customer_id"]) not in into]

    advocates = sorted(moved(ADVOCATE_TIERS), key=lambda r: (-(r["score"] or 0.0), r["customer_id"]))
    at_risk = sorted(moved((AT_RISK,)), key=lambda r: (r["score"] if r["score"] is not None else 0.0,
                                                       r["customer_id"]))

    def shown(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
        return {"count": len(rows), "examples": [
            {"customer_id": r["customer_id"], "score": r["score"], "tier": r["tier"],
             "tier_before": was.get(r["customer_id"]), "reason": r["reasons"][0] if r["reasons"] else None}
            for r in rows[:examples]]}

    return {"new_advocates": shown(advocates), "new_at_risk": shown(at_risk)}
