"""Influencers: the authors of mentions of our brand, ranked by reach, with influencer flags and sentiment.

One parameterised statement over ``events`` (type ``mention``) and ``text_sentiment``; what a mention carries
is read as social listening reads it (:mod:`advokit.listening.query`): ``properties.reach`` (a number, else no
reach), ``properties.influencer`` (``true``, ``1`` or ``yes``), ``properties.brand`` (none, or the
``listening.brand`` setting: ours), the author ``properties.author`` or ``properties.handle``, else the
``customer_id``. Mentions with no author at all (anonymous, no customer) are nobody to rank and left out.

Rank: total reach (highest first), then influencer-flagged before unflagged, then mentions, then author.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..store import Database

#: the keys of a row of :func:`influencer_rows`
ROW_KEYS = ("rank", "author", "customer_id", "mentions", "reach", "influencer", "influencer_mentions",
            "positive", "neutral", "negative", "unscored", "net_sentiment", "first_at", "last_at")

_SQL = """
WITH m AS (
    SELECT e.event_id, e.customer_id, e.occurred_at,
           TRY_CAST(json_extract_string(e.properties, '$.reach') AS DOUBLE) AS reach,
           coalesce(lower(json_extract_string(e.properties, '$.influencer')) IN ('true', '1', 'yes'), false)
               AS influencer,
           nullif(trim(json_extract_string(e.properties, '$.brand')), '') AS brand,
           coalesce(nullif(trim(json_extract_string(e.properties, '$.author')), ''),
                    nullif(trim(json_extract_string(e.properties, '$.handle')), ''), e.customer_id) AS author
    FROM events e
    WHERE e.type = 'mention' AND e.occurred_at >= ? AND e.occurred_at < ?
), a AS (
    SELECT m.author, min(m.customer_id) AS customer_id, count(*) AS mentions, sum(m.reach) AS reach,
           count(*) FILTER (WHERE m.influencer) AS influencer_mentions,
           count(*) FILTER (WHERE s.label = 'positive') AS positive,
           count(*) FILTER (WHERE s.label = 'neutral') AS neutral,
           count(*) FILTER (WHERE s.label = 'negative') AS negative,
           min(m.occurred_at) AS first_at, max(m.occurred_at) AS last_at
    FROM m LEFT JOIN text_sentiment s ON s.event_id = m.event_id
    WHERE m.author IS NOT NULL AND (m.brand IS NULL OR lower(m.brand) = lower(CAST(? AS VARCHAR)))
    GROUP BY m.author
)
SELECT * FROM a
ORDER BY coalesce(reach, 0) DESC, influencer_mentions > 0 DESC, mentions DESC, author
LIMIT ?
"""


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _num(value: Any) -> int | float:
    if value is None:
        return 0
    f = float(value)
    return int(f) if f.is_integer() else round(f, 2)


def influencer_rows(db: Database, *, start: dt.date, end: dt.date, brand: str | None,
                    limit: int) -> list[dict[str, Any]]:
    """The top ``limit`` authors of our mentions in ``[start, end)``, rows of :data:`ROW_KEYS`."""
    cur = db.cursor()
    found = cur.execute(_SQL, [_ts(start), _ts(end), brand, limit])
    names = [d[0] for d in found.description]
    rows: list[dict[str, Any]] = []
    for rank, values in enumerate(found.fetchall(), 1):
        r = dict(zip(names, values))
        pos, neu, neg = int(r["positive"]), int(r["neutral"]), int(r["negative"])
        scored = pos + neu + neg
        rows.append({
            "rank": rank, "author": r["author"], "customer_id": r["customer_id"], "mentions": int(r["mentions"]),
            "reach": _num(r["reach"]), "influencer": int(r["influencer_mentions"]) > 0,
            "influencer_mentions": int(r["influencer_mentions"]), "positive": pos, "neutral": neu, "negative": neg,
            "unscored": int(r["mentions"]) - scored,
            "net_sentiment": round(100.0 * (pos - neg) / scored, 2) if scored else None,
            "first_at": r["first_at"].isoformat(), "last_at": r["last_at"].isoformat(),
        })
    return rows
