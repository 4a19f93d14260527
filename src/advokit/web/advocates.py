"""The "Advocates" page (``/advocates?as_of=&tier=&filter=ATTR:VALUE&grain=&period=&page=``) and a
customer's advocate score on the profile page.

Every number is ``ws.advocates``'s (the service behind ``advokit advocates list``): the scores as of a day
(default today; only data before it counts), with the models' churn risk and advocacy propensity once a model
is trained (``ws.advocates.list``, which carries them; ``scores`` does not), the tier distribution of the
chosen customers (:func:`advokit.advocates.summary.tier_distribution`) and the ranked list. The segment
filters are the customer attributes every page offers (``Dashboard.dimensions``); ``persona`` and
``journey_stage`` get selects of their own (:data:`OWN_SELECTS`) once they are stored as attributes. The tier
filter narrows the list, not the distribution (which shows every tier of the segment). The funnel, persona
cards, journey stages and next best asks are :mod:`.advocate_views`. The page's view is kept in the
dashboard's cache until the next write; ``ws.advocates`` keeps the scores and the models' predictions per data
revision, so the profile and the API share them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from ..advocates import ROW_KEYS, TIER_NAMES, parse_as_of
from ..advocates.config import tier_key
from ..advocates.service import MAX_LIMIT
from ..advocates.summary import keep, segment_members, tier_distribution
from ..errors import InvalidArgumentError, NotComputedError, NotFoundError
from . import advocate_views, charts
from .dashboard import Dashboard
from .selection import parse_filters

#: customers a page of the ranked list shows
PER_PAGE = 50
#: reasons a row of the list shows (the profile shows them all)
REASONS_SHOWN = 3
#: the stored attributes with a select of their own on the page (attribute → label, how to store it)
OWN_SELECTS = {"persona": ("Persona", "advokit personas"),
               "journey_stage": ("Journey stage", "advokit journey refresh")}


@dataclass(frozen=True)
class AdvocatesQuery:
    """What the page shows: the as-of day, a tier (its key) or all, segment filters, the list's page."""

    as_of: dt.date
    tier: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    page: int = 1
    explicit_as_of: bool = False
    grain: str | None = None
    period: str | None = None

    @property
    def tier_name(self) -> str | None:
        return None if self.tier is None else TIER_NAMES[self.tier]

    def query(self, **change: Any) -> str:
        """This view's query string (with ``change``), without the ``?``; page 1 and today's as-of are left out."""
        q = replace(self, **change)
        items: list[tuple[str, str]] = []
        if q.explicit_as_of:
            items.append(("as_of", q.as_of.isoformat()))
        if q.tier:
            items.append(("tier", q.tier))
        items += [("filter", f"{k}:{v}") for k, v in q.filters]
        items += [(k, v) for k, v in (("grain", q.grain), ("period", q.period)) if v]
        if q.page > 1:
            items.append(("page", str(q.page)))
        return urlencode(items)


def parse_query(d: Dashboard, *, as_of: str | None, tier: str | None, filters: Sequence[str],
                page: int, grain: str | None = None, period: str | None = None) -> AdvocatesQuery:
    """The page's query; a bad date, tier, filter or funnel period is the 422 page naming what is valid."""
    day = parse_as_of(as_of.strip() if as_of and as_of.strip() else None).date()
    key = tier_key(tier) if tier and tier.strip() else None
    grain = grain.strip() if grain and grain.strip() else None
    period = period.strip() if period and period.strip() else None
    advocate_views.funnel_selection(d, grain, period)  # checked here, so a bad one is a 422 before any work
    return AdvocatesQuery(as_of=day, tier=key, filters=parse_filters(filters, d.dimensions()), page=page,
                          explicit_as_of=bool(as_of and as_of.strip()), grain=grain, period=period)


def customer_names(d: Dashboard) -> dict[str, str | None]:
    """customer_id → name, from the customer directory (kept until the next write)."""

    def read() -> dict[str, str | None]:
        table = d.ws.customers.directory().table
        return dict(zip(table.column("customer_id").to_pylist(), table.column("name").to_pylist()))

    return d.cache.get(("customer-names",), read)


def scored(d: Dashboard, as_of: dt.date, filters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The segment's rows (``ROW_KEYS`` and the name), best first, and their tier distribution."""

    def compute() -> dict[str, Any]:
        model_note = None
        try:  # list() carries the models' fields (scores() does not); the predictions are kept per revision
            rows: list[dict[str, Any]] = d.ws.advocates.list(limit=MAX_LIMIT, as_of=as_of)
        except NotComputedError as exc:  # a saved model that cannot score this feature set: say so, show the rest
            model_note = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            rows = [{**{k: s.get(k) for k in ROW_KEYS}} for s in d.ws.advocates.scores(as_of=as_of)]
        members = segment_members(d.ws.kpis.backend(), dict(filters)) if filters else None
        chosen = keep(rows, members)
        names = customer_names(d)
        listed = [{**{k: r[k] for k in ROW_KEYS}, "name": names.get(r["customer_id"])} for r in chosen]
        return {"rows": listed, "distribution": tier_distribution(chosen), "members": members,
                "model_note": model_note}

    return d.cache.get(("advocates", as_of, filters), compute)


def page_view(d: Dashboard, q: AdvocatesQuery) -> dict[str, Any]:
    """The template's context: the distribution (and its chart), the list's page and the controls."""
    view = scored(d, q.as_of, q.filters)
    rows = [r for r in view["rows"] if q.tier_name is None or r["tier"] == q.tier_name]
    pages = max(1, math.ceil(len(rows) / PER_PAGE))
    if q.page > pages:
        raise InvalidArgumentError(f"page {q.page} is past the last page ({pages})", hint="use page 1 to "
                                   f"{pages}")
    first = (q.page - 1) * PER_PAGE
    shown = [{**r, "rank": first + i + 1} for i, r in enumerate(rows[first:first + PER_PAGE])]
    dist = view["distribution"]
    figures = [{"id": "advocate-tiers", "figure": charts.tier_figure(dist["tiers"]),
                "label": "Customers by advocate tier as of " + q.as_of.isoformat()}] if dist["customers"] else []
    funnel = advocate_views.funnel_view(d, advocate_views.funnel_selection(d, q.grain, q.period), q.filters)
    values = d.attribute_values()
    dims = d.dimensions()
    own = {dim: {"label": label, "how": how, "present": dim in dims, "values": values.get(dim, []),
                 "current": dict(q.filters).get(dim)} for dim, (label, how) in OWN_SELECTS.items()}
    generic = [(k, v) for k, v in q.filters if k not in OWN_SELECTS]
    return {"q": q, "distribution": dist, "rows": shown, "total": len(rows), "pages": pages,
            "tiers": TIER_NAMES, "reasons_shown": REASONS_SHOWN, "charts": figures + funnel["charts"],
            "attribute_values": {k: v for k, v in values.items() if k not in OWN_SELECTS}, "dims": dims,
            "own_selects": own, "generic_filters": generic, "model_note": view["model_note"],
            "models": advocate_views.model_status(d), "funnel": funnel,
            "personas": advocate_views.persona_cards(d), "journey": advocate_views.journey_counts(d, q.as_of),
            "asks": advocate_views.next_asks(d, q.as_of, view["members"])}


def advocate_block(d: Dashboard, customer_id: str, as_of: str | None) -> dict[str, Any]:
    """The profile's "Advocate score": ``ws.advocates.explain`` as of the day (default today), or why there is
    no score (``{"as_of", "missing"}``: not a customer at that day)."""
    day = parse_as_of(as_of.strip() if as_of and as_of.strip() else None).date()
    try:
        found = d.cache.get(("advocate", customer_id, day), lambda: d.ws.advocates.explain(customer_id, as_of=day))
    except NotFoundError as exc:
        return {"as_of": day.isoformat(), "missing": exc.message}
    return {**found, "as_of": day.isoformat(), "missing": None}


__all__ = ["OWN_SELECTS", "PER_PAGE", "AdvocatesQuery", "advocate_block", "page_view", "parse_query", "scored"]
