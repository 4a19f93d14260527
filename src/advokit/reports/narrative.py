"""The executive summary: a few sentences a director could say aloud, written from the report's own numbers.

It names the three to five things that moved — a significant change, a target
met or missed — most important first (the headline KPIs before the rest), and
then what is asked of the reader (the team's requests for support, risks that
need an owner). It stays within about :data:`WORD_BUDGET` words: moves beyond
what fits are counted, not named, and long requests are shortened.

Rules that keep the words honest (tests/reports check them):

* a KPI is said to have *risen* or *fallen significantly* only when its change
  was tested and p < 0.05, in the direction of the sign of the change;
* a KPI is said *not to have changed significantly* only when it was tested and
  p ≥ 0.05; KPIs with no test (money totals, counts, composite scores) are
  never judged;
* targets are called met or missed exactly as the metrics table shows them;
* every number printed is the metric's own value or change, formatted by :mod:`.format`.

Each statement about a KPI is recorded as a :class:`~advokit.reports.model.Claim`.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import format as fmt
from .model import Claim, Finding, Metric, Narrative, Step

WORD_BUDGET = 150
MOST_MOVES = 5
FEWEST_MOVES = 3
ASKS = 2
ASK_WORDS = 22  # a request longer than this is shortened in the summary (the full text is in section 6)
_NUMBERS = {0: "No", 1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven", 8: "Eight",
            9: "Nine", 10: "Ten"}


def _count(n: int) -> str:
    return _NUMBERS.get(n, str(n))


def words(text: str) -> int:
    """Words as a reader counts them (numbers and units included)."""
    return len(text.split())


def _shorten(text: str, limit: int = ASK_WORDS) -> str:
    parts = text.split()
    if len(parts) <= limit:
        return text.rstrip(".")
    return " ".join(parts[:limit]).rstrip(",;:.") + "…"


def headline_metrics(metrics: Sequence[Metric]) -> list[Metric]:
    """The first KPIs with a value (kept for callers that have no Report.headline)."""
    return [m for m in metrics if m.value is not None][:8]


def _is_move(m: Metric) -> bool:
    return m.value is not None and (m.significant or m.target_status in ("met", "missed"))


def _move(m: Metric) -> tuple[str, list[Claim]]:
    """One sentence about a KPI that moved, and the claims it makes."""
    claims: list[Claim] = []
    if m.significant:
        word = "rose" if m.significance == "up" else "fell"
        text = f"{m.name} {word} significantly to {fmt.value(m)} ({fmt.delta(m)})"
        claims.append(Claim("significant_rise" if m.significance == "up" else "significant_fall", m.kpi))
        if m.target_status in ("met", "missed") and m.target is not None:
            verb = "meeting" if m.target_status == "met" else "missing"
            text += f", {verb} its target of {fmt.amount(m, m.target)}"
            claims.append(Claim(f"target_{m.target_status}", m.kpi))
    else:
        verb = "met" if m.target_status == "met" else "missed"
        text = f"{m.name} {verb} its target of {fmt.amount(m, m.target)} with {fmt.value(m)}"
        claims.append(Claim(f"target_{m.target_status}", m.kpi))
    return text + ".", claims


def _held(m: Metric) -> tuple[str, list[Claim]]:
    """A headline KPI that did not move: its value, and whether that was tested."""
    if m.significance == "none":
        return (f"{m.name} held at {fmt.value(m)} ({fmt.delta(m)}, not a significant change).",
                [Claim("no_significant_change", m.kpi)])
    return f"{m.name} stood at {fmt.value(m)}.", [Claim("headline", m.kpi)]


def _rank(m: Metric, headline: Sequence[str]) -> tuple[int, int, float, str]:
    place = headline.index(m.kpi) if m.kpi in headline else len(headline)
    return (m.kpi not in headline, 0 if m.significant else 1,
            m.p_value if m.p_value is not None else 1.0, f"{place:03d}{m.name}")


def write(metrics: Sequence[Metric], *, period_name: str, reference_name: str, campaign: bool,
          headline: Sequence[Metric] = (), requests: Sequence[Step] = (), unowned: Sequence[Finding] = (),
          next_steps: Sequence[Step] = ()) -> Narrative:
    """The summary of ``metrics`` (every KPI of the report); ``headline`` orders what is named first."""
    heads = [m.kpi for m in headline]
    moves = sorted((m for m in metrics if _is_move(m)), key=lambda m: _rank(m, heads))
    lead = (f"During the campaign ({period_name}), against the baseline ({reference_name})" if campaign
            else f"In {period_name}, against {reference_name}")

    def compose(named: Sequence[Metric], ask_words: int) -> tuple[list[str], list[Claim]]:
        claims: list[Claim] = []
        sentences: list[str] = []
        if named:
            sentences.append(f"{lead}, {_count(len(moves)).lower()} KPI{'s' if len(moves) != 1 else ''} "
                             f"moved{' — the main ones' if len(moves) > len(named) else ''}:")
        else:
            sentences.append(f"{lead}, no KPI changed significantly or met or missed a target.")
        for m in named:
            text, cl = _move(m)
            sentences.append(text)
            claims += cl
        shown = {m.kpi for m in named}
        if len(named) < FEWEST_MOVES:
            for m in [h for h in headline if h.kpi not in shown and h.value is not None][:FEWEST_MOVES - len(named)]:
                text, cl = _held(m)
                sentences.append(text)
                claims += cl
        rest = len(moves) - len(named)
        if rest:
            sentences.append(f"{_count(rest)} more moved; see Wins and Risks.")
        first = " ".join(sentences)

        asks: list[str] = []
        for req in requests[:ASKS]:
            who = f" — {req.owner}" if req.owner else ""
            asks.append(f"{_shorten(fmt.sentence(req.text), ask_words)}{who}.")
        if unowned:
            names = fmt.join_and([f.name for f in unowned])
            asks.append(f"name an owner for {names}." if not asks else f"Please name an owner for {names}.")
        if asks:
            second = ("We ask for your support: " if requests else "We ask you to ") + " ".join(asks)
            more = len(requests) - ASKS
            if more > 0:
                second += f" {_count(more)} more request{'s are' if more != 1 else ' is'} in Next Steps."
        elif next_steps:
            second = "Nothing needs your decision this time; the team's next steps close the report."
        else:
            second = "Nothing needs your decision this time."
        return [first, second], claims

    named = moves[:MOST_MOVES]
    limit = ASK_WORDS
    paragraphs, claims = compose(named, limit)
    # over budget: fewer named moves (down to three), then shorter asks, then fewer moves still
    while words(" ".join(paragraphs)) > WORD_BUDGET and len(named) > FEWEST_MOVES:
        named = named[:-1]
        paragraphs, claims = compose(named, limit)
    while words(" ".join(paragraphs)) > WORD_BUDGET and limit > 6:
        limit -= 4
        paragraphs, claims = compose(named, limit)
    while words(" ".join(paragraphs)) > WORD_BUDGET and len(named) > 1:
        named = named[:-1]
        paragraphs, claims = compose(named, limit)
    return Narrative(paragraphs=paragraphs, claims=claims)
