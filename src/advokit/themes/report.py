"""Theme figures of one period (and segment), read from the stored assignments.

Per theme, among the texts of the period that carry any theme: its **share** (texts with the theme / texts
with any theme), its **net sentiment** (100 × (positive − negative) / texts scored, from the stored labels),
its **promoter** and **detractor share** (NPS comments 9–10, resp. 0–6, with the theme / those with any
theme), its **change** of share against the previous period with the two-sided p-value of the pooled
two-proportion z-test (``rising`` / ``falling`` when p < 0.05, else ``steady``), and up to three **quotes**.
A merged theme counts as the theme it was merged into (a text with both counts once).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine.periods import Period, parse_period_label
from ..errors import UnknownDimensionError
from ..stats import ALPHA
from ..stats.formulas import two_proportion_test
from ..store import Database, quote_ident
from ..store.attributes import offered_dimensions
from .model import Theme

QUOTES = 3
QUOTE_CHARS = 280
MIN_QUOTE_WORDS = 3
#: Two quotes whose word sets overlap this much (Jaccard) say the same thing: only one is shown.
SAME_WORDING = 0.6
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"\w+")


@dataclass
class Text:
    event_id: str
    occurred_at: dt.datetime
    kind: str
    score: float | None
    label: str | None
    text: str
    segment: str | None
    group: str | None
    personal: list[str]
    themes: dict[str, float] = field(default_factory=dict)


def load(db: Database, start: dt.date, end: dt.date, roots: Mapping[str, str], by: str | None) -> list[Text]:
    """The themed texts of [start, end), each with its (root) themes and weights."""
    group = f"c.{quote_ident(by)}" if by else "NULL"
    rows = db.cursor().execute(f"""
        SELECT t.event_id, t.theme_id, t.weight, e.occurred_at, e.type, e.score, s.label, e.text, c.segment,
               {group}, c.name, c.email
        FROM text_themes t JOIN events e ON e.event_id = t.event_id
        LEFT JOIN text_sentiment s ON s.event_id = t.event_id
        LEFT JOIN customers c ON c.customer_id = e.customer_id
        WHERE e.occurred_at >= ? AND e.occurred_at < ?
        ORDER BY t.event_id, t.theme_id""", [_ts(start), _ts(end)]).fetchall()
    texts: dict[str, Text] = {}
    for eid, tid, weight, at, kind, score, label, raw, segment, grp, name, email in rows:
        item = texts.get(eid)
        if item is None:
            item = texts[eid] = Text(str(eid), at, str(kind), None if score is None else float(score), label,
                                     str(raw or ""), segment, None if grp is None else str(grp),
                                     [str(v) for v in (name, email) if isinstance(v, str) and v.strip()])
        root = roots.get(str(tid), str(tid))
        item.themes[root] = item.themes.get(root, 0.0) + float(weight)
    return list(texts.values())


def _ts(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _ratio(x: int, n: int, digits: int = 4) -> float | None:
    return round(x / n, digits) if n else None


def redact(text: str, personal: Iterable[str]) -> str:
    """The text as a quote: one paragraph, bounded, with the customer's name and any e-mail address removed."""
    out = _EMAIL.sub("[email]", text)
    for value in sorted(personal, key=len, reverse=True):
        out = re.sub(rf"(?<!\w){re.escape(value.strip())}(?!\w)", "[name]", out, flags=re.IGNORECASE)
    out = re.sub(r"\s+", " ", "".join(ch for ch in out if ch.isprintable() or ch.isspace())).strip()
    if len(out) > QUOTE_CHARS:
        out = out[:QUOTE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return out


def quotes(texts: Iterable[Text], theme_id: str) -> list[dict[str, Any]]:
    """Up to :data:`QUOTES` texts most typical of the theme (highest weight, then most recent), each worded
    differently from those already chosen; a text of fewer than :data:`MIN_QUOTE_WORDS` words only after
    the others."""
    ranked = sorted((t for t in texts if theme_id in t.themes),
                    key=lambda t: (len(_WORD.findall(t.text)) < MIN_QUOTE_WORDS, -round(t.themes[theme_id], 2),
                                   -t.occurred_at.timestamp(), t.event_id))
    chosen: list[dict[str, Any]] = []
    words: list[set[str]] = []
    for t in ranked:
        text = redact(t.text, t.personal)
        bag = set(_WORD.findall(text.lower()))
        if not bag or any(len(bag & w) / len(bag | w) >= SAME_WORDING for w in words):
            continue
        chosen.append({"text": text, "occurred_at": t.occurred_at.date().isoformat(), "segment": t.segment})
        words.append(bag)
        if len(chosen) == QUOTES:
            break
    return chosen


def figures(current: list[Text], previous: list[Text], themes: Mapping[str, Theme]) -> dict[str, Any]:
    """The themes of one group: texts with any theme, and each theme's figures, biggest share first."""
    n, n0 = len(current), len(previous)
    promoters = [t for t in current if t.kind == "nps_response" and t.score is not None and t.score >= 9]
    detractors = [t for t in current if t.kind == "nps_response" and t.score is not None and t.score <= 6]
    seen = {tid for t in current + previous for tid in t.themes}
    rows: list[dict[str, Any]] = []
    for tid in sorted(seen):
        theme = themes.get(tid)
        if theme is None:
            continue
        with_theme = [t for t in current if tid in t.themes]
        x, x0 = len(with_theme), sum(1 for t in previous if tid in t.themes)
        scored = [t.label for t in with_theme if t.label in ("positive", "neutral", "negative")]
        share, before = _ratio(x, n), _ratio(x0, n0)
        p = float(two_proportion_test(x, n, x0, n0)) if n and n0 else None
        p = None if p is None or p != p else round(p, 4)
        change = round(x / n - x0 / n0, 4) if n and n0 else None
        trend = "steady"
        if p is not None and change and p < ALPHA:
            trend = "rising" if change > 0 else "falling"
        rows.append({
            "theme_id": tid, "name": theme.name or theme.label, "label": theme.label,
            "terms": [term for term, _ in theme.terms], "texts": x, "share": share, "previous_share": before,
            "change": change, "p_value": p, "trend": trend,
            "net_sentiment": round(100 * (scored.count("positive") - scored.count("negative")) / len(scored), 1)
            if scored else None,
            "promoter_share": _ratio(sum(1 for t in promoters if tid in t.themes), len(promoters)),
            "detractor_share": _ratio(sum(1 for t in detractors if tid in t.themes), len(detractors)),
            "quotes": quotes(with_theme, tid)})
    rows.sort(key=lambda r: (-r["texts"], -(r["share"] or 0), r["theme_id"]))
    return {"texts": n, "previous_texts": n0, "promoter_texts": len(promoters),
            "detractor_texts": len(detractors), "themes": rows}


def period_report(db: Database, themes: list[Theme], roots: Mapping[str, str], period: str,
                  by: str | None = None) -> dict[str, Any]:
    """The theme figures of ``period`` (YYYY-MM, YYYY-Qn or YYYY) against the period before, overall and,
    with ``by`` (a customer attribute), per value of it."""
    p: Period = parse_period_label(period)
    if by is not None and by not in offered_dimensions(db):
        raise UnknownDimensionError(f"unknown customer attribute {by!r} for --by",
                                    hint="break themes down by a customer attribute such as segment or region")
    before = p.shift(-1)
    current = load(db, p.start, p.end, roots, by)
    previous = load(db, before.start, before.end, roots, by)
    by_id = {t.theme_id: t for t in themes}
    out: dict[str, Any] = {"period": p.label, "previous_period": before.label, **figures(current, previous, by_id)}
    if by is not None:
        values = sorted({t.group for t in current + previous}, key=lambda v: (v is None, v or ""))
        out["by"] = by
        out["groups"] = [{by: value, **figures([t for t in current if t.group == value],
                                               [t for t in previous if t.group == value], by_id)}
                         for value in values]
    return out
