"""``Funnel`` (``ws.funnel``): the advocacy funnel of a period, the influencers and each advocate's next best ask.

* :meth:`Funnel.compute` — customers at each of the five stages (:mod:`.stages`) and the conversions with
  Wilson intervals, overall and by a customer attribute;
* :meth:`Funnel.influencers` — authors of mentions ranked by reach, with influencer flags and sentiment
  (:mod:`.influencers`);
* :meth:`Funnel.next_ask` — the ask that fits each advocate now, honouring contact fatigue (:mod:`.next_ask`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ..advocates import Advocates, parse_as_of
from ..engine import KpiService
from ..engine.periods import END_DAY, FIRST_DAY
from ..errors import InvalidArgumentError
from ..listening import Listening
from ..settings.advocates import FATIGUE_KEY
from .funnel import FunnelCounts
from .influencers import influencer_rows
from .next_ask import DEFAULT_FATIGUE_DAYS, histories, next_asks

MAX_LIMIT = 100_000


def _check_limit(limit: int) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgumentError(f"limit must be an integer from 1 to {MAX_LIMIT:,}, not {limit!r}")
    return limit


class Funnel:
    """The funnel services of one workspace, given the KPI service (its backend, dimensions and the data's
    span), the advocate scores, social listening (periods of mentions, our brand) and the settings."""

    def __init__(self, *, kpis: KpiService, advocates: Advocates, listening: Listening,
                 setting: Callable[[str], str | None]) -> None:
        self._kpis = kpis
        self._advocates = advocates
        self._listening = listening
        self._setting = setting
        self._counts = FunnelCounts(backend=kpis.backend, scores=advocates.scores, dimensions=kpis.dimensions,
                                    data_range=kpis.data_range, latest=kpis.latest_complete_period)

    # -- the funnel ---------------------------------------------------------------------------
    def compute(self, period: str = "quarter", *, by: str | None = None) -> dict[str, Any]:
        """One object: ``period``, ``from``, ``to``, ``period_note``, ``population``, ``stages`` ({stage, name,
        customers}), ``conversions`` ({from, to, customers, converted, rate, low, high}), ``by``, ``segments``
        (with ``by``: each ``segment`` with its own population, stages and conversions; else null) and ``note``.
        docs/funnel.md."""
        return self._counts.compute(period, by=by)

    # -- influencers --------------------------------------------------------------------------
    def influencers(self, *, period: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Authors of mentions of our brand, ranked by reach (all mentions, or those of ``period``: a label or
        a grain, as social listening resolves it)."""
        _check_limit(limit)
        if period is None:
            start, end = FIRST_DAY, END_DAY
        else:
            p, _ = self._listening.resolve_period(period)
            start, end = p.start, p.end
        return influencer_rows(self._kpis.db, start=start, end=end,
                               brand=self._listening.settings.listening_brand(), limit=limit)

    # -- next best ask ------------------------------------------------------------------------
    def fatigue_days(self) -> int:
        """Days after a request before the next ask: the ``advocates.fatigue_days`` setting, default 30."""
        value = self._setting(FATIGUE_KEY)
        return DEFAULT_FATIGUE_DAYS if value is None else int(value)

    def next_ask(self, *, limit: int = 1000, as_of: dt.date | dt.datetime | str | None = None) -> list[dict[str, Any]]:
        """Each advocate (Champion, Advocate, Potential as of ``as_of``) with the ask that fits: those with an
        ask first, then those in contact fatigue (``next_ask`` null, ``askable_from``), then those with nothing
        to ask; by tier and score within each."""
        _check_limit(limit)
        at = parse_as_of(as_of)
        scores = self._advocates.scores(as_of=at)
        rows = next_asks(scores, histories(self._kpis.db, as_of=at), as_of=at, fatigue_days=self.fatigue_days())
        return rows[:limit]
