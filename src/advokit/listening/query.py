"""The SQL of social listening: parameterised statements over ``events`` (type ``mention``).

Every value (period bounds, our brand's name) is bound as a parameter. The one identifier, the segment
column of ``--by``, is checked against the workspace's customer attributes by the caller and quoted with
:func:`~advokit.store.quote_ident`. What a mention carries (data contract, section 2):

* ``properties.reach``       audience size (a number; anything else counts as no reach);
* ``properties.influencer``  ``true`` (or ``"true"``, ``1``, ``"yes"``) marks an influencer;
* ``properties.brand``       the brand it names; none, or our brand (setting ``listening.brand``): ours;
* ``properties.author`` (or ``properties.handle``)  the author's handle; else the customer_id, if any.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..store import Database, quote_ident

_BASE = """
WITH raw AS (
    SELECT e.event_id, e.customer_id, e.channel, e.occurred_at, CAST(e.occurred_at AS DATE) AS day,
           TRY_CAST(json_extract_string(e.properties, '$.reach') AS DOUBLE) AS reach,
           coalesce(lower(json_extract_string(e.properties, '$.influencer')) IN ('true', '1', 'yes'), false)
               AS influencer,
           nullif(trim(json_extract_string(e.properties, '$.brand')), '') AS brand,
           coalesce(nullif(trim(json_extract_string(e.properties, '$.author')), ''),
                    nullif(trim(json_extract_string(e.properties, '$.handle')), ''), e.customer_id) AS author,
           {group} AS grp
    FROM events e {join}
    WHERE e.type = 'mention' AND e.occurred_at >= ? AND e.occurred_at < ?
), m AS (
    SELECT raw.*, (brand IS NULL OR lower(brand) = lower(CAST(? AS VARCHAR))) AS ours FROM raw
)
"""

_FIGURES = """
SELECT m.grp, count(*) AS volume, sum(m.reach) AS reach,
       count(*) FILTER (WHERE s.label = 'positive') AS positive,
       count(*) FILTER (WHERE s.label = 'neutral') AS neutral,
       count(*) FILTER (WHERE s.label = 'negative') AS negative,
       count(*) FILTER (WHERE m.influencer) AS influencers
FROM m LEFT JOIN text_sentiment s ON s.event_id = m.event_id
WHERE m.ours GROUP BY m.grp
"""

_AUTHORS = """
SELECT grp, author, channel, mentions, reach, influencer FROM (
    SELECT grp, author, channel, count(*) AS mentions, sum(reach) AS reach, bool_or(influencer) AS influencer,
           row_number() OVER (PARTITION BY grp ORDER BY coalesce(sum(reach), 0) DESC, count(*) DESC,
                              author, channel NULLS LAST) AS rank
    FROM m WHERE ours AND author IS NOT NULL GROUP BY grp, author, channel)
WHERE rank <= ? ORDER BY grp NULLS LAST, rank
"""

_VOICE = """
SELECT grp, CASE WHEN ours THEN NULL ELSE brand END AS name, ours, count(*) AS mentions, count(brand) AS branded
FROM m GROUP BY ALL ORDER BY grp NULLS LAST, mentions DESC, name NULLS FIRST
"""

_CHANNELS = """
SELECT grp, channel, count(*) AS mentions, sum(reach) AS reach
FROM m WHERE ours GROUP BY ALL ORDER BY grp NULLS LAST, mentions DESC, channel NULLS LAST
"""

_DAILY = "SELECT grp, day, count(*) AS mentions FROM m WHERE ours GROUP BY ALL"

_SPAN = "SELECT min(occurred_at), max(occurred_at) FROM events WHERE type = 'mention'"

_FIRST_OURS = "SELECT min(day) FROM m WHERE ours"


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


class MentionQueries:
    """The statements of one request: mentions of [start, end), grouped by ``by`` (None: one group)."""

    def __init__(self, db: Database, *, by: str | None, brand: str | None) -> None:
        self.db = db
        self.brand = brand
        if by is None:
            self.base = _BASE.format(group="CAST(NULL AS VARCHAR)", join="")
        else:
            self.base = _BASE.format(group=f"CAST(c.{quote_ident(by)} AS VARCHAR)",
                                     join="LEFT JOIN customers c ON c.customer_id = e.customer_id")

    def _rows(self, sql: str, start: dt.date, end: dt.date, *extra: Any) -> list[tuple[Any, ...]]:
        params: list[Any] = [_ts(start), _ts(end), self.brand, *extra]
        return self.db.cursor().execute(self.base + sql, params).fetchall()

    def figures(self, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
        """(grp, volume, reach, positive, neutral, negative, influencers) of our mentions."""
        return self._rows(_FIGURES, start, end)

    def authors(self, start: dt.date, end: dt.date, *, top: int) -> list[tuple[Any, ...]]:
        """(grp, author, channel, mentions, reach, influencer), the ``top`` by reach in each group."""
        return self._rows(_AUTHORS, start, end, top)

    def voice(self, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
        """(grp, competitor name or None for ours, ours, mentions, mentions naming a brand)."""
        return self._rows(_VOICE, start, end)

    def channels(self, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
        return self._rows(_CHANNELS, start, end)

    def daily(self, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
        """(grp, day, mentions) of our mentions."""
        return self._rows(_DAILY, start, end)

    def first_day(self, start: dt.date, end: dt.date) -> dt.date | None:
        row = self._rows(_FIRST_OURS, start, end)
        return row[0][0] if row and row[0][0] is not None else None


def mention_span(db: Database) -> tuple[dt.date, dt.date] | None:
    """The first and last day holding a mention (any brand), None when there is none."""
    row = db.cursor().execute(_SPAN).fetchone()
    if row is None or row[0] is None:
        return None
    return row[0].date(), row[1].date()
