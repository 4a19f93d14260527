"""What the body of a report shows, shared by the three renderers (so HTML, Markdown and PDF agree).

The body is the six sections, short: the headline KPIs, the chosen quotes, the first
wins and risks, a bounded list of next steps and requests. Everything else goes to the
appendix (``APPENDIX_TITLE``). A report never prints a command line: hints written for
the terminal (``..., or declare its span: advokit coverage set ...``) are cut here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import format as fmt
from .model import (
    BODY_QUOTES,
    MAX_HEADLINE,
    AdvocateMove,
    Finding,
    ListeningFigures,
    LoopFigures,
    Metric,
    Report,
    SegmentWin,
    Step,
    Story,
)
from .narrative import headline_metrics

#: The most next steps, and the most requests, the body lists (the rest: "N more in the appendix").
BODY_STEPS = 8
#: The most segment wins the body names (the full table is in the appendix).
BODY_SEGMENT_WINS = 3

_COMMAND = re.compile(r"[,;]?\s*(?:or [a-z ]+:\s*)?`?\badvokit\s+[a-z][\w-]*(?:\s+[^\s.;)`]+)*`?", re.IGNORECASE)


def no_command(text: str) -> str:
    """The text without any ``advokit ...`` command line in it (reports speak to readers, not terminals)."""
    out = _COMMAND.sub("", text)
    out = re.sub(r"\(\s*\)", "", out)
    return re.sub(r"\s+([.;,)])", r"\1", out).strip()


def headline(r: Report) -> list[Metric]:
    """The body's KPIs: the report's headline list, else the summary's usual headline KPIs."""
    return (r.headline or headline_metrics(r.metrics))[:MAX_HEADLINE]


def chosen(r: Report) -> list[Story]:
    """The body's quotes: the ones chosen for the metrics the body talks about (never quotes tied to nothing)."""
    return r.stories.chosen[:BODY_QUOTES]


#: Said when the period has customers' words but none speaks to the body's metrics.
NO_QUOTE = ("None of them speaks to the KPIs this report is about; the appendix has the strongest promoters' and "
            "detractors' words.")


def summary(f: Finding) -> str:
    """A finding as one plain sentence after its name (its summary, else its reasons joined)."""
    if f.summary:
        return f.summary
    return "; ".join(f.reasons) + "."


def after_name(f: Finding) -> str:
    """The finding's sentence to follow its name ("Customer Retention Rate is in the Excellent band ...")."""
    text = summary(f)
    return text[:1].lower() + text[1:]


def action(f: Finding) -> str:
    """What is being done about a risk: the team's action, else the first tip, else a dash."""
    if f.action:
        return f.action
    acts = [c.body for c in f.comments if c.kind == "action"]
    return acts[0] if acts else (f.tips[0] if f.tips else "—")


def steps(r: Report) -> list[Step]:
    """The team's actions (comments of kind ``action``)."""
    return [s for s in r.next_steps if s.kind == "action"]


def body_part(items: Sequence[Step]) -> tuple[list[Step], int]:
    """The first ``BODY_STEPS`` items and how many more the appendix lists."""
    return list(items[:BODY_STEPS]), max(0, len(items) - BODY_STEPS)


def more(n: int, what: str) -> str:
    return f"{n} more {what}{'s' if n != 1 else ''} in the appendix."


join = fmt.join_and


def no_owner(r: Report) -> str:
    """The one line naming the body's risks that nobody owns yet ('' when every risk has an owner)."""
    names = [f.name for f in r.unowned]
    return f"No owner yet: {join(names)}." if names else ""


def nothing_asked(r: Report) -> str:
    return f"No actions or requests for support were entered for {r.period_label}."


def story_meta(s: Story) -> str:
    parts = [s.type_label + (f", {s.score_label}" if s.score_label else "")]
    if s.segment:
        parts.append(s.segment)
    parts.append(s.occurred_at[:10])
    return " · ".join(parts)


def story_why(s: Story) -> str:
    if s.why:
        return s.why
    return f"About {s.kpi_name}." if s.kpi_name else ""


def not_tracked_line(r: Report) -> str:
    """The body's one line about the KPIs the workspace cannot measure (names only; details in the appendix)."""
    n = len(r.not_tracked)
    if n == 1:
        return (f"1 KPI of the catalogue cannot be measured in {r.period_label}: the data it reads is not in this "
                "workspace. The appendix says what would light it up.")
    return (f"{n} KPIs of the catalogue cannot be measured in {r.period_label}: the data they read is not in this "
            "workspace. The appendix says what would light each one up.")


def segment_sentence(g: SegmentWin) -> str:
    """The body's sentence about a segment win (after its lead, ``segment_lead``)."""
    return (f"does better on {g.name}: {fmt.group_number(g, g.value)} against "
            f"{fmt.group_number(g, g.rest_value)} for all others ({fmt.p_value(g.p_value)}).")


def segment_lead(g: SegmentWin) -> str:
    return f"{g.group} ({g.dimension})"


def significance(m: Metric, sep: str = " ") -> str:
    """The table's significance cell: ``significant rise (p = 0.012)``."""
    text = fmt.significance(m)
    if m.p_value is not None:
        text += f"{sep}({fmt.p_value(m.p_value)})"
    return text


# -- "Closed loop & social listening" (inside Customer Stories) ---------------------------------------------
Table = tuple[list[str], list[list[str]]]


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def _pct(value: float) -> str:
    return fmt.number(value, "percent")


def _signed(value: float) -> str:
    return f"{value:+.1f}".replace("-", fmt.MINUS)


def _days(value: float) -> str:
    return f"{value:,.1f} day" + ("" if f"{value:.1f}" == "1.0" else "s")


def loop_lines(r: Report) -> list[str]:
    """The closed loop of the period in plain sentences; what the period lacks is said, never a zero."""
    if r.voice is None:
        return []
    lf: LoopFigures = r.voice.loops
    if not lf.kpis:
        return ["The catalogue of this workspace has no closed-loop KPIs, so the closed loop is not reported."]
    if lf.not_tracked:
        return [f"The closed loop cannot be measured in {r.period_label}: {no_command(lf.not_tracked)}."
                .replace("..", ".")]
    out = []
    if "closed_loop_follow_up_rate" in lf.kpis:
        if not lf.needing:
            out.append(f"No answer needed a follow-up in {r.period_label}.")
        elif lf.follow_up_rate is not None:
            out.append(f"{_n(lf.needing, 'answer')} needed a follow-up in {r.period_label} (detractors' NPS, low "
                       f"CSAT and review scores, negative mentions); {_pct(lf.follow_up_rate)} got one "
                       "(follow-up rate).")
    if "closed_loop_in_sla_rate" in lf.kpis:
        if not lf.due:
            out.append("No loop fell due in the period.")
        elif lf.in_sla_rate is not None:
            out.append(f"Of the {_n(lf.due, 'loop')} due in the period, {_pct(lf.in_sla_rate)} were closed "
                       "within their SLA.")
    if "closed_loop_days_to_close" in lf.kpis:
        if not lf.closed:
            out.append("No loop was closed in the period.")
        elif lf.median_days is not None:
            out.append(f"{_n(lf.closed, 'loop was', 'loops were')} closed, in a median of "
                       f"{_days(lf.median_days)}.")
    if "closed_loop_recovery_rate" in lf.kpis:
        if not lf.answered_again:
            out.append("No customer followed up in the period has answered again yet (no recovery rate).")
        elif lf.recovery_rate is not None:
            out.append(f"Of the {_n(lf.answered_again, 'customer')} followed up in the period who answered "
                       f"again, {_pct(lf.recovery_rate)} gave a better answer (recovery rate).")
    if lf.open_at_end is not None:
        if lf.open_at_end == 0:
            out.append("No loop was open at the end of the period.")
        else:
            age = f", {_days(lf.mean_open_age)} old on average" if lf.mean_open_age is not None else ""
            out.append(f"{_n(lf.open_at_end, 'loop was', 'loops were')} still open at the end of the period"
                       f"{age}" + ("; the oldest:" if lf.oldest else "."))
    return out


def open_loops_table(r: Report) -> Table:
    """The oldest loops open at the period's end (empty rows when none is listed)."""
    if r.voice is None or r.voice.loops.not_tracked or r.voice.loops.open_at_end == 0:
        return [], []
    rows = [[o.type_label + ("" if o.score is None else f" {o.score:g}"), o.received, _days(o.age_days),
             f"past its {o.sla_days:g}-day SLA" if o.overdue else "within SLA", o.owner or "—"]
            for o in r.voice.loops.oldest]
    return ["Answer", "Received", "Open for", "SLA", "Owner"], rows


def listening_lines(r: Report) -> list[str]:
    """The period's mentions in plain sentences ("No mentions in ..." when there are none)."""
    if r.voice is None:
        return []
    li: ListeningFigures | None = r.voice.listening
    if li is None:
        return [f"No mentions of the brand in {r.period_label}."]
    brand = li.brand or "the brand"
    out = [f"{_n(li.volume, 'mention')} of {brand} from {fmt.date(li.start)} to {fmt.date(li.end)}, with a "
           f"combined reach of {li.reach:,.0f}."]
    counts = (f"{li.positive:,} positive, {li.neutral:,} neutral and {li.negative:,} negative"
              + (f", {li.unscored:,} not scored" if li.unscored else ""))
    if li.net is not None and li.ci_low is not None and li.ci_high is not None:
        out.append(f"Net sentiment of the mentions: {_signed(li.net)} (95 % interval {_signed(li.ci_low)} to "
                   f"{_signed(li.ci_high)}; {counts}).")
    else:
        out.append("None of the mentions has a sentiment label, so there is no net sentiment.")
    if li.influencer_share is not None:
        out.append(f"Influencers wrote {_n(li.influencer_mentions, 'mention')} "
                   f"({_pct(li.influencer_share)} of the volume).")
    if li.spikes:
        out.append("Spikes in volume: " + join([
            f"{'the week of ' if k.grain == 'week' else ''}{fmt.date(k.date)} ({k.count:,} mentions against a "
            f"usual {k.baseline:.1f} a {k.grain}, {fmt.p_value(k.p_value)})" for k in li.spikes]) + ".")
    else:
        out.append("No spike in mention volume.")
    if r.voice.listening_note:
        out.append(r.voice.listening_note)
    return out


def authors_table(r: Report) -> Table:
    li = None if r.voice is None else r.voice.listening
    if li is None or not li.top_authors:
        return [], []
    return (["Top author by reach", "Channel", "Mentions", "Reach", "Influencer"],
            [[a.author, a.channel or "—", f"{a.mentions:,}", f"{a.reach:,.0f}", "yes" if a.influencer else "no"]
             for a in li.top_authors])


def share_of_voice_table(r: Report) -> Table:
    """Share of voice, only where the period's mentions name brands."""
    li = None if r.voice is None else r.voice.listening
    if li is None or not li.share_of_voice:
        return [], []
    return (["Brand", "Mentions", "Share of voice"],
            [[(b.brand or "ours") + (" (ours)" if b.ours and b.brand else ""), f"{b.mentions:,}",
              "n/a" if b.share is None else _pct(b.share)] for b in li.share_of_voice])


# -- new advocates and advocates at risk (Wins / Risks) ----------------------------------------------------
#: The bold leads of the two lines.
NEW_ADVOCATES = "New advocates"
NEW_AT_RISK = "Newly at risk"


def _score(m: AdvocateMove) -> str:
    return "no score" if m.score is None else f"score {m.score:.1f}"


def _before(m: AdvocateMove) -> str:
    return f"was {m.tier_before}" if m.tier_before else "not scored at the start"


def _span(r: Report) -> str:
    """The report's period as the two lines name it ("June 2025", "the campaign window (July 2025 to ...)")."""
    return f"the campaign window ({r.period_label})" if r.campaign else r.period_label


def _others(total: int, shown: int) -> str:
    return f" and {total - shown:,} more" if total > shown else ""


def new_advocates_line(r: Report) -> str | None:
    """Who became Champion or Advocate over the period, as one sentence (None: the report has no scores)."""
    a = r.advocates
    if a is None:
        return None
    if not a.new_advocates:
        return f"No customer became a Champion or Advocate over {_span(r)}."
    shown = [f"{m.customer_id} ({m.tier}, {_score(m)}; {_before(m)})" for m in a.advocate_examples]
    return (f"{_n(a.new_advocates, 'customer is', 'customers are')} Champion or Advocate at the end of "
            f"{_span(r)} and {'was' if a.new_advocates == 1 else 'were'} not at its start: "
            + ", ".join(shown) + _others(a.new_advocates, len(shown)) + ".")


def new_at_risk_line(r: Report) -> str | None:
    """Who became "At risk" over the period, with the first reason of each named one (None: no scores)."""
    a = r.advocates
    if a is None:
        return None
    if not a.new_at_risk:
        return f"No customer moved into the At risk tier over {_span(r)}."
    shown = [f"{m.customer_id} ({_score(m)}; {_before(m)}" + (f"; {m.reason}" if m.reason else "") + ")"
             for m in a.at_risk_examples]
    return (f"{_n(a.new_at_risk, 'customer is', 'customers are')} At risk at the end of {_span(r)} and "
            f"{'was' if a.new_at_risk == 1 else 'were'} not at its start: "
            + ", ".join(shown) + _others(a.new_at_risk, len(shown)) + ".")
