"""``Listening`` (``ws.listening``): the social-listening figures of one period, overall and by segment.

Figures cover the mentions of *our* brand: those without ``properties.brand`` and those naming the brand of
the workspace setting ``listening.brand``; share of voice sets them against every brand mentioned. With a
segment (``by``), a mention follows its author's customer record; anonymous mentions (no customer_id) and
customers with an empty attribute form the null group, as in the KPI engine.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from ..engine.periods import (
    FIRST_DAY,
    GRAINS,
    Period,
    check_grain,
    check_in_data,
    parse_period_label,
    period_of,
)
from ..errors import InvalidArgumentError, PeriodOutsideDataError, UnknownDimensionError
from ..settings import Settings
from ..stats import formulas
from ..store import Database
from .query import MentionQueries, mention_span
from .spikes import WINDOW_DAYS, find_spikes

#: How many authors ``top_authors`` lists.
TOP_AUTHORS = 10
NULL_GROUP_NOTE = ("mentions without a customer (anonymous authors) fall in no segment: they are in the group "
                   "whose value is null, with customers whose attribute is empty")


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _num(value: Any) -> int | float:
    if value is None:
        return 0
    f = float(value)
    return int(f) if f.is_integer() else round(f, 2)


def sentiment(positive: int, neutral: int, negative: int, volume: int) -> dict[str, Any]:
    """Counts of each label, unscored mentions, net = 100 × (pos − neg) / scored and its 95 % interval."""
    scored = positive + neutral + negative
    out: dict[str, Any] = {"positive": positive, "neutral": neutral, "negative": negative,
                           "unscored": volume - scored, "net": None, "ci_low": None, "ci_high": None}
    if scored:
        lo, hi = formulas.nps_interval(positive, negative, scored)
        out.update(net=round(100.0 * (positive - negative) / scored, 2),
                   ci_low=round(100.0 * float(lo), 2), ci_high=round(100.0 * float(hi), 2))
    return out


class Listening:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    # -- the period ---------------------------------------------------------------------------
    def span(self) -> tuple[dt.date, dt.date] | None:
        """The first and last day holding a mention (any brand), None when the workspace holds none."""
        return mention_span(self.db)

    def resolve_period(self, period: str, *, today: dt.date | None = None) -> tuple[Period, str | None]:
        """An explicit label (2025-09, 2025-Q3, 2025) in the mentions' span, or ``month`` / ``quarter`` /
        ``year``: the latest such period that has ended and holds mentions (with a note saying so)."""
        if not isinstance(period, str) or not period.strip():
            raise InvalidArgumentError("period is empty", hint="give month, quarter, year, YYYY-MM, YYYY-Qn or YYYY")
        span = mention_span(self.db)
        text = period.strip()
        if text not in GRAINS:
            label = parse_period_label(text)
            if span is None:
                raise PeriodOutsideDataError(f"the workspace holds no mention events for {label.label}",
                                             hint="import events of type mention first")
            return check_in_data(label, span), None
        if span is None:
            raise PeriodOutsideDataError("the workspace holds no mention events",
                                         hint="import events of type mention first")
        today = today or dt.datetime.now(dt.timezone.utc).date()
        grain = check_grain(text)
        p = period_of(min(span[1], today), grain)
        if p.end > today:
            p = p.shift(-1)
        if p.end <= span[0]:
            raise PeriodOutsideDataError(f"no complete {grain} holds mentions yet",
                                         hint=f"name a period instead, e.g. {period_of(span[0], grain).label}")
        return p, f"the latest complete {text} with mentions"

    def _check_by(self, by: str | None) -> str | None:
        if by is None or by == "":
            return None
        dims = self.db.dimension_columns()
        if by not in dims:
            raise UnknownDimensionError(f"unknown dimension {by!r} for --by",
                                        hint="valid dimensions: " + (", ".join(dims) or "(none: import customers)"))
        return by

    # -- the figures --------------------------------------------------------------------------
    def figures(self, period: str = "month", *, by: str | None = None,
                today: dt.date | None = None) -> dict[str, Any]:
        """The listening figures of one period: ``{"period", "figures"}``, with ``by``: ``"groups"`` too."""
        dim = self._check_by(by)
        p, note = self.resolve_period(period, today=today)
        brand = self.settings.listening_brand()
        out: dict[str, Any] = {"period": p.label, "from": p.start.isoformat(),
                               "to": (p.end - dt.timedelta(days=1)).isoformat(), "brand": brand}
        if note:
            out["period_note"] = note
        out["figures"] = self._groups(p, None, brand)[None]
        if dim is not None:
            groups = self._groups(p, dim, brand)
            out["by"] = dim
            out["groups"] = [{dim: key, "figures": fig}
                             for key, fig in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]
            out["note"] = NULL_GROUP_NOTE
        return out

    def of_period(self, period: str) -> dict[str, Any] | None:
        """:meth:`figures` of one named period (YYYY-MM, YYYY-Qn, YYYY), or None when it holds no mention of
        our brand (outside the mentions' span, or none in it): "no mentions", never a table of zeros."""
        try:
            data = self.figures(period)
        except PeriodOutsideDataError:
            return None
        return data if data["figures"]["volume"] else None

    def _groups(self, p: Period, by: str | None, brand: str | None) -> dict[str | None, dict[str, Any]]:
        q = MentionQueries(self.db, by=by, brand=brand)
        start, end = p.start, p.end
        figs: dict[str | None, dict[str, Any]] = {}
        for grp, volume, reach, pos, neu, neg, infl in q.figures(start, end):
            figs[grp] = {"volume": int(volume), "reach": _num(reach),
                         "sentiment": sentiment(int(pos), int(neu), int(neg), int(volume)),
                         "influencer": {"mentions": int(infl), "share": _share(int(infl), int(volume))},
                         "top_authors": [], "share_of_voice": [], "channels": [], "spikes": []}
        voice = self._voice(q.voice(start, end), brand)
        for grp in voice:
            figs.setdefault(grp, _empty())
        if by is None:
            figs.setdefault(None, _empty())
        for grp, author, channel, mentions, reach, influencer in q.authors(start, end, top=TOP_AUTHORS):
            figs[grp]["top_authors"].append({"author": author, "channel": channel, "mentions": int(mentions),
                                             "reach": _num(reach), "influencer": bool(influencer)})
        for grp, rows in voice.items():
            figs[grp]["share_of_voice"] = rows
        for grp, channel, mentions, reach in q.channels(start, end):
            figs[grp]["channels"].append({"channel": channel, "mentions": int(mentions), "reach": _num(reach)})
        back = start - dt.timedelta(days=WINDOW_DAYS)
        daily: dict[str | None, dict[dt.date, int]] = defaultdict(dict)
        for grp, day, mentions in q.daily(back, end):
            daily[grp][day] = int(mentions)
        first = q.first_day(FIRST_DAY, end)
        for grp, fig in figs.items():
            fig["spikes"] = [s.to_dict() for s in find_spikes(daily.get(grp, {}), start=start, end=end,
                                                              first_day=first)]
        return figs

    @staticmethod
    def _voice(rows: list[tuple[Any, ...]], brand: str | None) -> dict[str | None, list[dict[str, Any]]]:
        """Share of voice by group: only where a mention of the group names a brand."""
        by_group: dict[str | None, list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            by_group[row[0]].append(row)
        out: dict[str | None, list[dict[str, Any]]] = {}
        for grp, found in by_group.items():
            total = sum(int(r[3]) for r in found)
            if not any(int(r[4]) for r in found):
                out[grp] = []
                continue
            out[grp] = [{"brand": brand if ours else name, "ours": bool(ours), "mentions": int(n),
                         "share": _share(int(n), total)} for _, name, ours, n, _ in found]
        return out


def _empty() -> dict[str, Any]:
    return {"volume": 0, "reach": 0, "sentiment": sentiment(0, 0, 0, 0),
            "influencer": {"mentions": 0, "share": None}, "top_authors": [], "share_of_voice": [],
            "channels": [], "spikes": []}
