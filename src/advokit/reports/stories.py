"""Customer stories of a period: the most telling comments, reviews and testimonials, and their themes.

Every event with text in the window counts (survey comments, reviews,
testimonials, case studies, community and UGC posts, mentions). Each gets a
*voice* from its own score: NPS 9–10 promoter / 0–6 detractor; 1–5 scales
(CSAT, advocacy rating, review stars) 4–5 / 1–2; effort (CES, 1–7, lower is
better) 1–2 / 5–7; text without a score by its stored sentiment (the model's label, ``ws.text``). The most
telling are the strongest scores first, then (among equal scores) comments of
five words or more, then the most recent, without repeating the same words. Themes are the
workspace's own (``ws.themes``, discovered from its texts): the promoters' and detractors' comments of the
period are counted per theme. Customers are described by their segment,
industry and region, never by name or e-mail (reports travel).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from ..store.database import quote_ident
from .format import clean_text
from .model import BODY_QUOTES, Stories, Story, Theme

if TYPE_CHECKING:
    from ..workspace import Workspace

TYPES: dict[str, str] = {
    "nps_response": "NPS comment", "csat_response": "CSAT comment", "advocacy_rating": "Advocacy rating",
    "ces_response": "Effort (CES) comment", "review": "Review", "testimonial": "Testimonial",
    "case_study": "Case study", "community_post": "Community post", "ugc_post": "User-generated post",
    "speaking": "Talk", "reference_call": "Reference call", "social_share": "Social share", "mention": "Mention",
}
HIGHLIGHT_TYPES = ("testimonial", "review", "case_study")
PER_SIDE = 5
HIGHLIGHTS = 4
MAX_ROWS = 20_000
TELLING_WORDS = 5
_WORD = re.compile(r"[a-z][a-z'-]*")


def _norm(type_: str, score: float | None) -> float | None:
    """The score on 0..1, 1 best (None when the event has no usable score)."""
    if score is None:
        return None
    if type_ == "nps_response":
        return max(0.0, min(1.0, score / 10.0))
    if type_ == "ces_response":
        return max(0.0, min(1.0, (7.0 - score) / 6.0))
    if type_ in ("csat_response", "advocacy_rating", "review"):
        return max(0.0, min(1.0, (score - 1.0) / 4.0))
    return None


def _voice(type_: str, score: float | None, sentiment: str | None) -> tuple[str, float]:
    """(promoter | passive | detractor, strength 0..1 where 1 is the most positive)."""
    s = _norm(type_, score)
    if s is not None and score is not None:
        if type_ == "nps_response":
            return ("promoter" if score >= 9 else "detractor" if score <= 6 else "passive"), s
        if type_ == "ces_response":
            return ("promoter" if score <= 2 else "detractor" if score >= 5 else "passive"), s
        return ("promoter" if score >= 4 else "detractor" if score <= 2 else "passive"), s
    if type_ in ("testimonial", "case_study") and sentiment != "negative":
        return "promoter", 0.9
    if sentiment == "positive":  # a score speaks louder than words: below every top score, above every weak one
        return "promoter", 0.7
    if sentiment == "negative":
        return "detractor", 0.3
    return "passive", 0.5


def _score_label(type_: str, score: float | None) -> str:
    if score is None:
        return ""
    s = f"{score:g}"
    if type_ == "nps_response":
        return f"NPS {s}/10"
    if type_ == "ces_response":
        return f"effort {s}/7"
    if type_ == "review":
        return f"{s}/5 stars"
    if type_ in ("csat_response", "advocacy_rating"):
        return f"{s}/5"
    return s


def _who(attrs: Mapping[str, Any], type_: str, channel: str | None, has_customer: bool) -> str:
    parts = [str(attrs[k]) for k in ("segment", "industry", "region") if attrs.get(k)]
    if not parts and not has_customer:
        return f"public mention ({channel})" if channel else "public mention"
    return " · ".join(parts) if parts else "customer"


def _pick(stories: Sequence[tuple[float, Story]], count: int, *, best_first: bool) -> list[Story]:
    """The strongest first; among equally strong ones, those that say something (≥ 5 words) before the
    rest, then the newest (then the id); each wording once."""
    order = sorted(stories, key=lambda t: (-t[0] if best_first else t[0], len(t[1].text.split()) < TELLING_WORDS,
                                           _neg_time(t[1].occurred_at), t[1].event_id))
    out: list[Story] = []
    seen: set[str] = set()
    for _, story in order:
        key = story.text.casefold()
        if key in seen:
            continue
        seen.add(key)
        out.append(story)
        if len(out) == count:
            break
    return out


@dataclass(frozen=True)
class Want:
    """A metric the body's stories should illustrate: the event types it reads and the voice that fits.

    ``voice`` is ``detractor`` for a KPI that worsened or is at risk, ``promoter`` for one that improved,
    ``any`` when it did not move (the strongest words of either side)."""

    kpi: str
    kpi_name: str
    types: tuple[str, ...]
    voice: Literal["promoter", "detractor", "any"]
    why: str


def _choose(candidates: Sequence[tuple[float, Story]], wants: Sequence[Want], count: int) -> list[Story]:
    """At most one quote per wanted metric, in the wants' order: distinct events and wordings, of the types
    the metric reads and the voice that fits it; comments that say something (≥ 5 words) before short ones."""
    out: list[Story] = []
    used_ids: set[str] = set()
    used_text: set[str] = set()
    for want in wants:
        if len(out) == count:
            break
        pool = [(strength, st) for strength, st in candidates if st.type in want.types and st.voice != "passive"
                and (want.voice == "any" or st.voice == want.voice)
                and st.event_id not in used_ids and st.text.casefold() not in used_text]
        if not pool:
            continue
        if want.voice == "any":  # balance: the side heard less so far, when it has something to say
            heard = sum(1 if st.voice == "promoter" else -1 for st in out)
            side = "detractor" if heard > 0 else "promoter"
            pool = [t for t in pool if t[1].voice == side] or pool
        # the clearest voice: the strongest promoter or the weakest detractor, then telling, then newest
        pool.sort(key=lambda t: (-abs(t[0] - 0.5), len(t[1].text.split()) < TELLING_WORDS,
                                 _neg_time(t[1].occurred_at), t[1].event_id))
        story = pool[0][1]
        used_ids.add(story.event_id)
        used_text.add(story.text.casefold())
        out.append(replace(story, kpi=want.kpi, kpi_name=want.kpi_name, why=want.why))
    return out


def _neg_time(iso: str) -> float:
    return -dt.datetime.fromisoformat(iso).timestamp()


def collect(ws: "Workspace", start: dt.date, end: dt.date, *,
            filters: Mapping[str, str | None] | None = None, wants: Sequence[Want] = ()) -> Stories:
    """The stories of [start, end) (customers filtered like the KPIs when ``filters`` is given); ``wants``
    are the metrics the body's few quotes (``Stories.chosen``) should illustrate, most important first."""
    dims = set(ws.kpis.dimensions())
    shown = [d for d in ("segment", "industry", "region") if d in dims]
    cols = ", ".join(f"c.{quote_ident(d)}" for d in shown)
    sql = (f"SELECT e.event_id, e.type, e.occurred_at, e.score, e.text, e.channel, e.customer_id, s.label"
           f"{', ' + cols if cols else ''} FROM events e LEFT JOIN customers c ON c.customer_id = e.customer_id "
           "LEFT JOIN text_sentiment s ON s.event_id = e.event_id "
           "WHERE e.occurred_at >= ? AND e.occurred_at < ? AND e.text IS NOT NULL AND length(trim(e.text)) > 0 "
           f"AND e.type IN ({', '.join('?' for _ in TYPES)})")
    params: list[Any] = [dt.datetime(start.year, start.month, start.day), dt.datetime(end.year, end.month, end.day),
                         *TYPES]
    for dim, value in sorted((filters or {}).items()):
        if dim not in dims:
            continue  # the KPI request has already refused an unknown dimension
        if value is None:
            sql += f" AND c.{quote_ident(dim)} IS NULL"
        else:
            sql += f" AND c.{quote_ident(dim)} = ?"
            params.append(value)
    sql += f" ORDER BY e.occurred_at DESC, e.event_id LIMIT {MAX_ROWS}"
    rows = ws.db.cursor().execute(sql, params).fetchall()
    # the themes found in the workspace's own texts (advokit text themes): none until they were computed
    of_text = ws.themes.of_texts(params[0], params[1]) if ws.themes.computed() else {}

    promoters: list[tuple[float, Story]] = []
    detractors: list[tuple[float, Story]] = []
    highlights: list[tuple[float, Story]] = []
    every: list[tuple[float, Story]] = []
    counts = {"promoter": 0, "passive": 0, "detractor": 0}
    themes: dict[str, dict[str, int]] = {}
    for row in rows:
        event_id, type_, at, score, raw, channel, customer, sentiment = row[:8]
        attrs = dict(zip(shown, row[8:]))
        text = clean_text(str(raw))
        if not text:
            continue
        score = None if score is None else float(score)
        voice, strength = _voice(type_, score, sentiment)
        counts[voice] += 1
        story = Story(event_id=str(event_id), type=type_, type_label=TYPES[type_],
                      occurred_at=at.replace(microsecond=0).isoformat(), text=text, score=score,
                      score_label=_score_label(type_, score), voice=voice,  # type: ignore[arg-type]
                      who=_who(attrs, type_, channel, customer is not None),
                      segment=None if attrs.get("segment") is None else str(attrs["segment"]))
        every.append((strength, story))
        if voice == "promoter":
            promoters.append((strength, story))
        elif voice == "detractor":
            detractors.append((strength, story))
        if voice != "passive":
            for name in of_text.get(str(event_id), ()):
                themes.setdefault(name, {"promoter": 0, "detractor": 0})[voice] += 1
        if type_ in HIGHLIGHT_TYPES and voice != "detractor":
            highlights.append((strength, story))
    theme_rows = [Theme(name, v["promoter"], v["detractor"]) for name, v in themes.items()
                  if v["promoter"] or v["detractor"]]
    theme_rows.sort(key=lambda t: (-(t.promoters + t.detractors), t.name))
    return Stories(promoters=_pick(promoters, PER_SIDE, best_first=True),
                   detractors=_pick(detractors, PER_SIDE, best_first=False),
                   highlights=_pick(highlights, HIGHLIGHTS, best_first=True), themes=theme_rows,
                   total=sum(counts.values()), promoter_count=counts["promoter"],
                   detractor_count=counts["detractor"], passive_count=counts["passive"],
                   chosen=_choose(every, wants, BODY_QUOTES))
