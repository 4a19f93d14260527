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
from .model import BODY_QUOTES, MAX_HEADLINE, Finding, Metric, Report, SegmentWin, Step, Story
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
