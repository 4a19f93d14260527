"""The Advocates page's other sections: the advocacy funnel of a period, the persona cards, the journey-stage
distribution and the next best asks. Each is one ``Workspace`` service read, kept in the dashboard's cache
until the next write; nothing here trains, refreshes or stores anything.

* funnel — ``ws.funnel.compute(period, by=...)``; with exactly one segment filter the funnel of that segment
  (``by`` its attribute), else every customer's;
* personas — ``ws.personas.stored()``, the last ``advokit personas`` run, or a sentence saying how to run it;
* journey — ``ws.journey.counts(as_of=...)`` at the page's as-of day: the stored record when the last
  ``advokit journey refresh`` was as of that day (free), else one aggregate query over the events (the stored
  ``journey_stage`` attribute is as of its refresh day, which may not be the page's);
* next asks — the first :data:`NEXT_ASKS` rows of ``ws.funnel.next_ask(as_of=...)`` of the segment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..advocates.summary import keep
from ..engine.periods import Grain, check_in_data
from ..errors import NotComputedError, PeriodOutsideDataError
from ..funnel.service import MAX_LIMIT
from . import charts
from .dashboard import Dashboard
from .selection import GRAINS, Selection, parse_selection, period_choices

#: rows of the "Next best asks" table
NEXT_ASKS = 10
#: the grain of the funnel when the address names none (``ws.funnel``'s default)
FUNNEL_GRAIN: Grain = "quarter"
#: traits shown on a persona card
CARD_TRAITS = 4


def funnel_selection(d: Dashboard, grain: str | None, period: str | None) -> Selection:
    """The funnel's period: ``?grain=&period=`` as on the Voice page, default the latest complete quarter."""
    sel = parse_selection(grain=grain or (None if period else FUNNEL_GRAIN), period=period, filters=[],
                          dimensions=d.dimensions(), default_period=d.default_period)
    if sel.explicit_period:
        check_in_data(sel.period, d.bounds())
    return sel


def funnel_view(d: Dashboard, sel: Selection, filters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The funnel of the period (and segment), its chart and its period picker; ``missing`` says why there is
    none (no data for the default period)."""
    by, value = (filters[0] if len(filters) == 1 else (None, None))
    label = sel.period.label
    controls = {"sel": sel, "grains": GRAINS, "periods": period_choices(d.bounds(), sel.grain, sel.period),
                "latest": d.default_period(sel.grain)}
    try:
        found = d.cache.get(("advocates-funnel", label, by), lambda: d.ws.funnel.compute(label, by=by))
    except PeriodOutsideDataError as exc:
        if sel.explicit_period:
            raise
        return {**controls, "missing": exc.message, "funnel": None, "charts": []}
    block: dict[str, Any] = found
    segment_note = None
    if by is not None:
        block = next((s for s in found["segments"] or [] if s["segment"] == value),
                     {"population": 0, "stages": [{**s, "customers": 0} for s in found["stages"]],
                      "conversions": [{**c, "customers": 0, "converted": 0, "rate": None, "low": None, "high": None}
                                      for c in found["conversions"]]})
        segment_note = f"{by} = {value}"
    elif len(filters) > 1:
        segment_note = "every customer: the funnel follows one segment filter at a time"
    into = {c["to"]: c for c in block["conversions"]}
    stages = [{**s, "conversion": into.get(s["stage"])} for s in block["stages"]]
    title = f"Advocacy funnel {found['period']}" + (f", {by} = {value}" if by else "")
    figures = [{"id": "advocate-funnel", "figure": charts.funnel_figure(block["stages"], title=title),
                "label": title + ": customers at each stage"}] if block["population"] else []
    return {**controls, "missing": None, "charts": figures,
            "funnel": {"period": found["period"], "from": found["from"], "to": found["to"],
                       "default": not sel.explicit_period, "by": by, "population": block["population"], "stages": stages,
                       "segment": segment_note}}


def persona_cards(d: Dashboard) -> dict[str, Any]:
    """The stored personas as cards (name, description, size and share, the distinguishing traits), or
    ``missing``: the sentence that says how to compute them."""

    def read() -> dict[str, Any]:
        try:
            stored = d.ws.personas.stored()
        except NotComputedError as exc:
            return {"missing": exc.message, "cards": [], "as_of": None, "k": None, "silhouette": None}
        total = int(stored.get("customers") or 0)
        cards = []
        for p in stored.get("personas", []):
            traits = [t for t in p["traits"] if t.get("distinguishing")][:CARD_TRAITS]
            cards.append({"name": p["name"], "description": p["description"], "size": int(p["size"]),
                          "share": p["size"] / total if total else None, "traits": traits})
        return {"missing": None, "cards": cards, "as_of": stored.get("as_of"), "k": stored.get("k"),
                "silhouette": stored.get("silhouette"), "chosen_by": stored.get("chosen_by"),
                "refreshed_at": stored.get("refreshed_at")}

    return d.cache.get(("advocates-personas",), read)


def journey_counts(d: Dashboard, as_of: dt.date) -> dict[str, Any]:
    """Customers per journey stage as of the page's day, with ``source`` ("stored" or "computed") and the day
    the ``journey_stage`` attribute was last stored (None: never)."""

    def read() -> dict[str, Any]:
        stored = d.ws.journey.stored()
        stored_as_of = stored.get("as_of") if stored else None
        if stored and stored_as_of == as_of.isoformat() and "counts" in stored:
            found, source = stored, "stored"
        else:
            found, source = d.ws.journey.counts(as_of=as_of), "computed"
        total = int(found["customers"])
        rows = [{**c, "share": c["customers"] / total if total else None} for c in found["counts"]]
        return {"customers": total, "counts": rows, "source": source, "stored_as_of": stored_as_of}

    return d.cache.get(("advocates-journey", as_of), read)


def next_asks(d: Dashboard, as_of: dt.date, members: set[str] | None) -> dict[str, Any]:
    """The first :data:`NEXT_ASKS` advocates of the segment with their next ask (``ws.funnel.next_ask``), how
    many there are, how many are in contact fatigue, and the fatigue in days."""
    rows = d.cache.get(("advocates-next-ask", as_of), lambda: d.ws.funnel.next_ask(limit=MAX_LIMIT, as_of=as_of))
    chosen = [dict(r) for r in keep(rows, members)]
    return {"rows": chosen[:NEXT_ASKS], "total": len(chosen), "asks": sum(1 for r in chosen if r["next_ask"]),
            "fatigued": sum(1 for r in chosen if r["fatigued"]),
            "fatigue_days": d.cache.get(("advocates-fatigue",), d.ws.funnel.fatigue_days)}


def model_status(d: Dashboard) -> dict[str, Any]:
    """The newest saved model of each target (``ws.models.list``): its id and when it was trained, or None."""

    def read() -> dict[str, Any]:
        out: dict[str, Any] = {"churn": None, "advocacy": None}
        for m in d.ws.models.list():
            if m["target"] in out and out[m["target"]] is None:
                out[m["target"]] = m
        return out

    return d.cache.get(("advocates-models",), read)


__all__ = ["NEXT_ASKS", "funnel_selection", "funnel_view", "journey_counts", "model_status", "next_asks",
           "persona_cards"]
