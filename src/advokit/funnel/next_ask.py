"""Next best ask: for each advocate, the one request that fits now, with its reason in words.

Advocates are the customers whose tier (``ws.advocates``, as of ``as_of``) is Champion, Advocate or Potential.
What each has done and was asked comes from one parameterised statement over the events strictly before
``as_of``: advocacy actions of the five ask kinds, and ``request_sent`` events by ``properties.kind``.

The ladder (:data:`LADDER`), walked top to bottom; the first rung that fits is the ask:

====  ===============  =======================  ===============================
rung  ask              tiers                    fits when
====  ===============  =======================  ===============================
1     review           Potential and above      no review on record
2     testimonial      Potential and above      no testimonial on record
3     referral         Advocate and above       no referral_sent on record
4     case_study       Advocate and above       no case study on record
5     reference_call   Champion                 no reference call on record
====  ===============  =======================  ===============================

A rung is skipped when that kind was asked and not given: the latest ``request_sent`` of the kind has no
action of the kind at or after it (declined). When no first-time rung fits, the repeatable asks follow:
a Champion is asked for a reference call, then a referral, again; an Advocate for a referral again (each
unless declined). Otherwise there is nothing to ask (``next_ask`` null, with the reason).

Contact fatigue: a customer asked anything (any ``request_sent``) fewer than ``fatigue_days`` days before
``as_of`` (setting ``advocates.fatigue_days``, default 30) gets no ask: ``next_ask`` is null, ``fatigued``
true, ``askable_from`` the first day an ask is allowed (day of the last request + ``fatigue_days``) and
``deferred_ask`` the ask the ladder gives today. Days are whole calendar days (UTC): asked on 1 June, as of
30 June is 29 days (fatigued), as of 1 July 30 days (askable).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..store import Database

#: the five ask kinds (``request_sent`` properties.kind) and the advocacy action that answers each
ASK_ACTIONS: dict[str, str] = {"review": "review", "testimonial": "testimonial", "case_study": "case_study",
                               "reference_call": "reference_call", "referral": "referral_sent"}
LABELS: dict[str, str] = {"review": "review", "testimonial": "testimonial", "case_study": "case study",
                          "reference_call": "reference call", "referral": "referral"}
#: the tiers that get asks, highest first
ADVOCATE_TIERS: tuple[str, ...] = ("Champion", "Advocate", "Potential")
DEFAULT_FATIGUE_DAYS = 30


@dataclass(frozen=True)
class Rung:
    ask: str
    tiers: frozenset[str]


_ALL = frozenset(ADVOCATE_TIERS)
_UPPER = frozenset({"Champion", "Advocate"})
#: first-time asks, in order
LADDER: tuple[Rung, ...] = (
    Rung("review", _ALL), Rung("testimonial", _ALL), Rung("referral", _UPPER), Rung("case_study", _UPPER),
    Rung("reference_call", frozenset({"Champion"})),
)
#: asks made again once everything fitting was done, by tier
REPEATS: dict[str, tuple[str, ...]] = {"Champion": ("reference_call", "referral"), "Advocate": ("referral",),
                                       "Potential": ()}
#: the keys of a row of :func:`next_asks`
ROW_KEYS = ("customer_id", "tier", "score", "next_ask", "reason", "fatigued", "askable_from", "deferred_ask",
            "last_asked_at", "last_ask_kind", "done", "asked")

#: a request's kind as written, in lower case, spaces and hyphens as underscores ("Case study" → case_study)
_KIND = "regexp_replace(lower(trim(json_extract_string(properties, '$.kind'))), '[ -]+', '_', 'g')"
_SQL = """
WITH x AS (
    SELECT customer_id, occurred_at, type = 'request_sent' AS asked,
           CASE WHEN type = 'request_sent' THEN {kind}
                WHEN type = 'referral_sent' THEN 'referral' ELSE type END AS kind
    FROM events
    WHERE customer_id IS NOT NULL AND occurred_at < ? AND list_contains(?, type)
)
SELECT customer_id, asked, kind, count(*) AS n, max(occurred_at) AS last_at FROM x GROUP BY ALL
""".format(kind=_KIND)
_LAST_ASK = """
SELECT customer_id, max(occurred_at) AS at, arg_max({kind}, occurred_at) AS kind
FROM events WHERE type = 'request_sent' AND customer_id IS NOT NULL AND occurred_at < ? GROUP BY customer_id
""".format(kind=_KIND)


@dataclass
class History:
    """What one customer did and was asked before ``as_of``: counts and latest times by ask kind."""

    done: dict[str, tuple[int, dt.datetime]]
    asked: dict[str, tuple[int, dt.datetime]]
    last_at: dt.datetime | None = None
    last_kind: str | None = None

    def declined(self, kind: str) -> bool:
        """Asked for ``kind`` and no action of that kind at or after the latest such ask."""
        if kind not in self.asked:
            return False
        done = self.done.get(kind)
        return done is None or done[1] < self.asked[kind][1]


def histories(db: Database, *, as_of: dt.datetime) -> dict[str, History]:
    """Every customer's :class:`History` from the events strictly before ``as_of``."""
    types = [*ASK_ACTIONS.values(), "request_sent"]
    cur = db.cursor()
    out: dict[str, History] = {}
    for cid, asked, kind, n, last in cur.execute(_SQL, [as_of, types]).fetchall():
        h = out.setdefault(cid, History({}, {}))
        if kind in ASK_ACTIONS:
            (h.asked if asked else h.done)[kind] = (int(n), last)
    for cid, at, kind in cur.execute(_LAST_ASK, [as_of]).fetchall():
        h = out.setdefault(cid, History({}, {}))
        h.last_at, h.last_kind = at, kind
    return out


def _day(t: dt.datetime) -> str:
    return t.date().isoformat()


def choose(tier: str, h: History) -> tuple[str | None, str]:
    """The ladder's ask for a customer of ``tier`` with history ``h``, and why (in words)."""
    declined = [k for k in ASK_ACTIONS if h.declined(k)]
    said = "; ".join(f"asked for a {LABELS[k]} on {_day(h.asked[k][1])} and none came" for k in declined)
    tail = f" ({said})" if said else ""
    for rung in LADDER:
        if tier in rung.tiers and rung.ask not in h.done and rung.ask not in declined:
            return rung.ask, f"{tier}: no {LABELS[rung.ask]} on record{tail}"
    for ask in REPEATS[tier]:
        if ask not in declined:
            count, last = h.done[ask]
            return ask, (f"{tier} who has done every first-time ask: another {LABELS[ask]} "
                         f"({count} so far, the last on {_day(last)}){tail}")
    allowed = [LABELS[r.ask] for r in LADDER if tier in r.tiers]
    return None, f"{tier}: nothing fits now: {', '.join(allowed)} done or declined{tail}"


def next_asks(scores: Iterable[Mapping[str, Any]], hist: Mapping[str, History], *, as_of: dt.datetime,
              fatigue_days: int) -> list[dict[str, Any]]:
    """One row of :data:`ROW_KEYS` per advocate of ``scores`` (any order; the caller ranks them)."""
    rows: list[dict[str, Any]] = []
    empty = History({}, {})
    for s in scores:
        tier = s["tier"]
        if tier not in ADVOCATE_TIERS:
            continue
        h = hist.get(s["customer_id"], empty)
        ask, reason = choose(tier, h)
        row: dict[str, Any] = {
            "customer_id": s["customer_id"], "tier": tier, "score": s["score"], "next_ask": ask, "reason": reason,
            "fatigued": False, "askable_from": None, "deferred_ask": None,
            "last_asked_at": None if h.last_at is None else h.last_at.isoformat(), "last_ask_kind": h.last_kind,
            "done": {k: v[0] for k, v in h.done.items()}, "asked": {k: v[0] for k, v in h.asked.items()},
        }
        if h.last_at is not None and fatigue_days > 0:
            days = (as_of.date() - h.last_at.date()).days
            if days < fatigue_days:
                free = h.last_at.date() + dt.timedelta(days=fatigue_days)
                what = f"asked for a {LABELS.get(h.last_kind, h.last_kind)}" if h.last_kind else "asked"
                row.update(next_ask=None, fatigued=True, askable_from=free.isoformat(), deferred_ask=ask,
                           reason=f"{what} {days} days ago ({_day(h.last_at)}): no ask until "
                                  f"{free.isoformat()} ({fatigue_days}-day contact fatigue)")
        rows.append(row)
    rank = {t: i for i, t in enumerate(ADVOCATE_TIERS)}
    rows.sort(key=lambda r: (0 if r["next_ask"] else 1 if r["fatigued"] else 2, rank[r["tier"]],
                             -(r["score"] or 0.0), r["customer_id"]))
    return rows
