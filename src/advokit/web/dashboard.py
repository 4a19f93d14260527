"""The dashboard's view of one workspace: every number comes from the Workspace, cached until a write.

Pages never compute a KPI: they ask ``Workspace.scorecard``, ``Workspace.analyze``
and ``Workspace.values`` (the same service the CLI and the API call) and keep
the answers in a :class:`ViewCache` until the workspace data changes.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from ..analysis.scorecard import scorecard as scorecard_of
from ..analysis.trend import history_start
from ..catalogue import ADVOCACY_ACTION_TYPES, SURVEY_TYPES
from ..engine.periods import Grain, Period
from ..workspace import Workspace
from .cache import ViewCache
from .security import Guard
from .selection import Selection

log = logging.getLogger("advokit.web")

#: How many periods the trend on a KPI page and a sparkline on the scorecard show, by grain.
TREND_PERIODS = {"month": 24, "quarter": 12, "year": 6}
SPARK_PERIODS = {"month": 12, "quarter": 8, "year": 5}
MAX_COMMENT = 1000


class Dashboard:
    """The workspace, its view cache and its sign-in guard, shared by every page."""

    def __init__(self, ws: Workspace, *, origin_allowed: Callable[[str], bool] | None = None) -> None:
        self.ws = ws
        self.cache = ViewCache(ws.db)
        self.guard = Guard(ws.access.keys, origin_allowed=origin_allowed)

    # -- workspace facts ------------------------------------------------------------------
    def dimensions(self) -> list[str]:
        return self.cache.get(("dimensions",), self.ws.kpis.dimensions)

    def attribute_values(self) -> dict[str, list[str]]:
        return self.cache.get(("attribute_values",), self.ws.customers.attribute_values)

    def bounds(self) -> tuple[dt.date, dt.date] | None:
        return self.cache.get(("bounds",), lambda: self.ws.kpis.engine().data_range())

    def default_period(self, grain: Grain) -> str | None:
        return self.cache.get(("latest", grain), lambda: self.ws.latest_complete_period(grain))

    # -- KPI views ---------------------------------------------------------------------------
    def scorecard(self, sel: Selection) -> dict[str, Any]:
        """``Workspace.scorecard`` of the selection, plus each KPI's recent values for a sparkline."""
        return self.cache.get(("scorecard", sel.period, sel.filters), lambda: self._scorecard(sel))

    def _scorecard(self, sel: Selection) -> dict[str, Any]:
        if self.bounds() is None:  # an empty workspace: an empty card, not "no data in this period"
            card = scorecard_of(self.ws.kpis, sel.period.label, filters=sel.filter_dict or None)
        else:
            card = self.ws.scorecard(sel.period.label, filters=sel.filter_dict or None)
        first = sel.period.shift(-(SPARK_PERIODS[sel.grain] - 1))
        labels = [first.shift(i).label for i in range(SPARK_PERIODS[sel.grain])]
        # The same periods the scorecard's analysis just read, so the KPI cache answers them.
        start = min(first.start, history_start(sel.period))
        rows = self.ws.kpis.values(self.ws.catalogue.ids, period=sel.grain, start=start, end=sel.period.end,
                              filters=sel.filter_dict or None)
        spark: dict[str, dict[str, float | None]] = {}
        for r in rows:
            spark.setdefault(r["kpi"], {})[r["period"]] = r["value"]
        return {"scorecard": card, "spark_labels": labels,
                "spark": {k: [v.get(label) for label in labels] for k, v in spark.items()}}

    def trend(self, kpi: str, sel: Selection) -> list[dict[str, Any]]:
        """The KPI's analysed rows for the periods up to the selected one (``Workspace.analyze``)."""
        first = sel.period.shift(-(TREND_PERIODS[sel.grain] - 1))
        return self.cache.get(("trend", kpi, sel.period, sel.filters), lambda: self.ws.analyze(
            [kpi], period=sel.grain, start=first.start, end=sel.period.end, filters=sel.filter_dict or None))

    def breakdown(self, kpi: str, sel: Selection, by: str) -> list[dict[str, Any]]:
        """The KPI in the selected period by one customer attribute (``Workspace.analyze`` with ``by``)."""
        return self.cache.get(("breakdown", kpi, sel.period, sel.filters, by), lambda: self.ws.analyze(
            [kpi], period=sel.grain, by=[by], start=sel.period.start, end=sel.period.end,
            filters=sel.filter_dict or None))

    # -- customers ----------------------------------------------------------------------------
    def customer_page(self, customer_id: str, *, limit: int, offset: int) -> dict[str, Any]:
        profile = self.ws.customers.profile(customer_id, limit=limit, offset=offset,
                                   events_of={"scores": SURVEY_TYPES, "actions": ADVOCACY_ACTION_TYPES})
        return {"profile": profile, "scores": profile.pop("scores"), "actions": profile.pop("actions")}

    # -- commentary -----------------------------------------------------------------------------
    def comments(self, *, kpi: str | None = None, period: str | None = None) -> list[dict[str, Any]]:
        return self.ws.commentary.list(kpi=kpi, period=period)

    def add_comment(self, *, kpi: str, period: Period, body: str, author: str | None, owner: str | None = None,
                    kind: str = "comment") -> dict[str, Any]:
        """Store a comment, action or request; it changes no number, so the view cache stays."""
        with self.cache.quiet():
            return self.ws.commentary.add(kpi, period.label, body, author=author, owner=owner, kind=kind)

    # -- warm-up -----------------------------------------------------------------------------------
    def warm(self, grains: Sequence[Grain] = ("month", "quarter", "year"), *,
             segment_dimension: str = "segment") -> threading.Thread:
        """Compute, in the background, the scorecards people open first, so they do not wait for them.

        In order: the latest month's scorecard (the landing page), then the latest quarter's and year's,
        then the latest month's for each value of ``segment_dimension`` (the usual first filter).
        Beside it, in a thread of its own, the customer directory (``Workspace.directory``).
        """

        def run() -> None:
            from ..engine.periods import parse_period_label

            views: list[Selection] = []
            try:
                self.ws.rollups.ensure_rollups(self.ws.kpis)  # shared with the background maintenance: done once
                for grain in grains:
                    label = self.default_period(grain)
                    if label is not None:
                        views.append(Selection(grain=grain, period=parse_period_label(label)))
                self.dimensions()
                self.attribute_values()
                self.bounds()
                if views and segment_dimension in self.dimensions():
                    for value in self.attribute_values().get(segment_dimension, []):
                        views.append(Selection(grain=views[0].grain, period=views[0].period,
                                               filters=((segment_dimension, value),)))
                for sel in views:
                    self.scorecard(sel)
            except Exception:  # a failed warm-up only means a slower first page
                log.warning("dashboard warm-up failed", exc_info=True)

        def directory() -> None:
            try:
                self.ws.customers.page()  # the customer directory in memory, in the default order
            except Exception:
                log.warning("customer directory warm-up failed", exc_info=True)

        threading.Thread(target=directory, name="advokit-directory-warmup", daemon=True).start()
        thread = threading.Thread(target=run, name="advokit-dashboard-warmup", daemon=True)
        thread.start()
        return thread
