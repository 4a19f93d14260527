"""The content of a management report, knowing nothing of HTML, Markdown or PDF.

:func:`advokit.reports.content.build` fills a :class:`Report` from a workspace;
the renderers (``html``, ``markdown``, ``pdf``) only lay it out. Every number a
renderer prints and every sentence of the narrative come from these objects,
so the summary cannot say something the tables do not show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["monthly", "quarterly", "campaign"]
KINDS: tuple[Kind, ...] = ("monthly", "quarterly", "campaign")
GRAIN_OF: dict[Kind, str] = {"monthly": "month", "quarterly": "quarter", "campaign": "month"}

#: The six sections, titled exactly and in this order in every format.
SECTIONS: tuple[str, ...] = (
    "Executive Summary",
    "Key Metrics & Trends",
    "Customer Stories & Qualitative Insights",
    "Wins & Opportunities",
    "Risks & Action Plans",
    "Next Steps & Requests for Support",
)
SECTION_IDS: tuple[str, ...] = ("summary", "metrics", "stories", "wins", "risks", "next-steps")

#: The heading, inside "Key Metrics & Trends", of the KPIs whose inputs the workspace does not hold.
NOT_TRACKED_TITLE = "Not tracked in this workspace"
#: The heading of everything after the six sections (all KPIs, tables, definitions, notes).
APPENDIX_TITLE = "Appendix"
#: The most headline KPIs a report shows in its body (one chart each).
MAX_HEADLINE = 8
#: How many wins and how many risks the body lists (the rest go to the appendix).
BODY_FINDINGS = 5
#: The heading, inside "Customer Stories & Qualitative Insights", of the closed loop and social listening.
VOICE_TITLE = "Closed loop & social listening"
#: How many open loops, and how many top authors, the body lists.
BODY_OPEN_LOOPS = 5
BODY_AUTHORS = 5
#: How many quotes "Customer Stories" shows in the body.
BODY_QUOTES = 4
#: How many customers the body names among the new advocates, and among the newly at risk.
BODY_ADVOCATE_EXAMPLES = 3
#: The most A4 pages the body (the six sections) may take, by report kind.
BODY_PAGES: dict[str, int] = {"monthly": 5, "quarterly": 7, "campaign": 5}

Significance = Literal["up", "down", "none", "untested"]


@dataclass
class Point:
    """One period of a KPI's trend."""

    label: str
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    target: float | None = None


@dataclass
class Comment:
    """A team comment, action or request (from the commentary shared with the dashboard)."""

    kpi: str
    period: str
    body: str
    kind: str
    author: str | None = None
    owner: str | None = None
    created_at: str | None = None
    due: str | None = None  # ISO date by which an action or request is due


@dataclass
class Metric:
    """One KPI in the report: its value, change and the evidence for judging it.

    ``change`` is against ``reference`` (the previous period, or the campaign's
    baseline); ``significance`` says whether that change is significant at 95 %
    and which way (``up`` / ``down``), ``none`` (tested, p ≥ 0.05) or
    ``untested`` (no test applies: money, custom scores, missing values).
    """

    kpi: str
    name: str
    unit: str
    direction: str
    value: float | None
    reference: float | None
    change: float | None
    change_pct: float | None
    p_value: float | None
    significance: Significance
    n: int | None = None
    small_sample: bool = False
    ci_low: float | None = None
    ci_high: float | None = None
    band: str | None = None
    band_rating: str | None = None
    target: float | None = None
    target_status: str | None = None
    benchmarks: list[str] = field(default_factory=list)
    status: str = "unknown"
    per_month: bool = False
    history: list[Point] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    owner: str | None = None
    #: (lowest, highest) of a rating scale the KPI averages (CSAT stars 1–5, effort 1–7); None otherwise.
    scale: tuple[float, float] | None = None
    #: The workspace currency (ISO 4217) for money KPIs; None for other units or when none is set.
    currency: str | None = None
    #: The KPI's definition and formula (the appendix's "Definitions").
    definition: str = ""
    formula: str = ""

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_is_better"

    @property
    def significant(self) -> bool:
        return self.significance in ("up", "down")

    @property
    def improved(self) -> bool:
        """Changed significantly for the better."""
        return (self.significance == "up") == self.higher_is_better and self.significant

    @property
    def worsened(self) -> bool:
        """Changed significantly for the worse."""
        return self.significant and not self.improved


@dataclass
class Need:
    """One input a not-tracked KPI reads, and how to supply it."""

    input: str
    label: str
    supply: str


@dataclass
class NotTracked:
    """A KPI the workspace cannot speak about in the report's period (its inputs are not covered).

    It gets no value, band, status, change or significance; the report lists it under
    "Not tracked in this workspace" with the data that would light it up.
    """

    kpi: str
    name: str
    note: str | None
    inputs: list[Need] = field(default_factory=list)


@dataclass
class FocusArea:
    id: str
    name: str
    metrics: list[Metric]


@dataclass
class Story:
    """A customer's own words: a survey comment, review, testimonial or mention."""

    event_id: str
    type: str
    type_label: str
    occurred_at: str
    text: str
    score: float | None
    score_label: str
    voice: Literal["promoter", "passive", "detractor"]
    who: str
    segment: str | None = None  # the customer's segment (None: no customer or no segment)
    kpi: str | None = None  # the KPI the quote illustrates (chosen stories only)
    kpi_name: str | None = None
    why: str | None = None  # one line tying it to the metric ("NPS fell 2.9 pts; a detractor says:")


@dataclass
class Theme:
    name: str
    promoters: int
    detractors: int


@dataclass
class Stories:
    promoters: list[Story]
    detractors: list[Story]
    highlights: list[Story]
    themes: list[Theme]
    total: int
    promoter_count: int
    detractor_count: int
    passive_count: int
    #: The body's quotes: a few, distinct, each tied to the metric it illustrates.
    chosen: list[Story] = field(default_factory=list)


@dataclass
class OpenLoop:
    """An answer still waiting for a follow-up at the period's end (from ``ws.loops``)."""

    event_id: str
    type_label: str
    received: str  # ISO date of the answer
    age_days: float  # days open at the period's end
    overdue: bool
    sla_days: float
    score: float | None = None
    owner: str | None = None


@dataclass
class LoopFigures:
    """The closed loop of the period, from the closed-loop KPIs of the catalogue and the loop queue.

    A field is None where the catalogue lacks its KPI or the period has nothing to count (no answer needing a
    follow-up, no loop due, none closed): the report says so in words, never as a zero.
    """

    needing: int | None = None  # answers of the period that need a follow-up
    follow_up_rate: float | None = None
    due: int | None = None  # loops that fell due in the period
    in_sla_rate: float | None = None
    closed: int | None = None  # loops closed in the period
    median_days: float | None = None
    open_at_end: int | None = None
    mean_open_age: float | None = None
    oldest: list[OpenLoop] = field(default_factory=list)
    answered_again: int | None = None  # loops closed in the period whose customer answered again
    recovery_rate: float | None = None
    #: The closed-loop KPIs this workspace's catalogue has (a missing one is left out, not shown as zero).
    kpis: list[str] = field(default_factory=list)
    #: Why the closed loop cannot be measured here (not tracked), None when it can.
    not_tracked: str | None = None


@dataclass
class Author:
    author: str
    channel: str | None
    mentions: int
    reach: float
    influencer: bool


@dataclass
class BrandShare:
    brand: str | None
    ours: bool
    mentions: int
    share: float | None


@dataclass
class MentionSpike:
    grain: str  # day or week
    date: str
    count: int
    baseline: float
    p_value: float


@dataclass
class ListeningFigures:
    """The social listening of the period (``ws.listening``): mentions of our brand."""

    start: str
    end: str  # the last day, inclusive
    brand: str | None
    volume: int
    reach: float
    positive: int
    neutral: int
    negative: int
    unscored: int
    net: float | None
    ci_low: float | None
    ci_high: float | None
    influencer_mentions: int
    influencer_share: float | None
    top_authors: list[Author] = field(default_factory=list)
    share_of_voice: list[BrandShare] = field(default_factory=list)
    spikes: list[MentionSpike] = field(default_factory=list)


@dataclass
class Voice:
    """The closed loop and social listening of the period (inside Customer Stories); None: no data."""

    loops: LoopFigures
    listening: ListeningFigures | None = None
    #: Said under the listening figures when the report is filtered (mentions follow no customer filter).
    listening_note: str | None = None


@dataclass
class AdvocateMove:
    """A customer who moved into the advocate tiers, or into "At risk", over the report's period."""

    customer_id: str
    score: float | None
    tier: str
    #: the tier at the period's start; None: not scored then (not yet a customer, or no score)
    tier_before: str | None
    #: the first reason of the customer's score at the period's end (a risk signal comes first)
    reason: str | None


@dataclass
class AdvocateMoves:
    """New advocates and advocates at risk: the advocate tiers at the period's end against its start.

    ``new_advocates``: customers Champion or Advocate at ``end`` who were not at ``start``; ``new_at_risk``:
    customers "At risk" at ``end`` who were not at ``start``. ``start`` and ``end`` are as-of days (scores
    use the data before them): the period's first day and the day after its last.
    """

    start: str
    end: str
    scored_start: int
    scored_end: int
    new_advocates: int
    new_at_risk: int
    advocate_examples: list[AdvocateMove] = field(default_factory=list)
    at_risk_examples: list[AdvocateMove] = field(default_factory=list)


@dataclass
class Finding:
    """A win or a risk about one KPI, with the reasons the numbers give."""

    kpi: str
    name: str
    reasons: list[str]
    metric: Metric
    warnings: list[str] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    owner: str | None = None
    comments: list[Comment] = field(default_factory=list)
    due: str | None = None  # the due date of the owner's action, from the commentary
    action: str | None = None  # what is being done: the team's action comment, else the first catalogue tip
    summary: str = ""  # one plain sentence for the body ("fell to 84.5 % from 96.5 % (−12.0 pts)")


@dataclass
class SegmentWin:
    """A group of customers that does significantly better than all others on a KPI."""

    kpi: str
    name: str
    unit: str
    dimension: str
    group: str
    value: float
    rest_value: float
    difference: float
    p_value: float
    n: int | None
    scale: tuple[float, float] | None = None
    currency: str | None = None


@dataclass
class Step:
    """A next step or request for support, from the team's commentary or from a risk."""

    text: str
    kind: Literal["action", "request", "risk"]
    kpi: str | None = None
    kpi_name: str | None = None
    owner: str | None = None
    period: str | None = None
    due: str | None = None


@dataclass
class Claim:
    """A statement the executive summary makes about one KPI, checkable against its Metric.

    kinds: ``significant_rise``, ``significant_fall``, ``no_significant_change``,
    ``target_met``, ``target_missed``, ``headline``.
    """

    kind: str
    kpi: str


@dataclass
class Narrative:
    paragraphs: list[str]
    claims: list[Claim]


@dataclass
class Campaign:
    """The windows of a campaign report."""

    start: str
    end: str
    months: list[str]
    baseline_start: str
    baseline_end: str
    baseline_months: list[str]


@dataclass
class Report:
    kind: Kind
    title: str
    subtitle: str
    period: str
    period_label: str
    grain: str
    reference_label: str
    generated_at: dt.datetime
    workspace: str
    areas: list[FocusArea]
    summary: Narrative
    stories: Stories
    wins: list[Finding]
    segment_wins: list[SegmentWin]
    segment_dimension: str | None
    risks: list[Finding]
    next_steps: list[Step]
    requests: list[Step]
    notes: list[str]
    filters: dict[str, str | None] = field(default_factory=dict)
    campaign: Campaign | None = None
    chart_labels: list[str] = field(default_factory=list)
    not_tracked: list[NotTracked] = field(default_factory=list)
    #: The body's KPIs (at most MAX_HEADLINE): the summary's table and one chart each in Key Metrics & Trends.
    headline: list[Metric] = field(default_factory=list)
    #: Where the headline list came from: "workspace" (advokit report config --headline) or "catalogue".
    headline_source: str = "catalogue"
    #: The workspace currency (ISO 4217 code, e.g. "EUR"), None when none is set.
    currency: str | None = None
    #: The closed loop and social listening of the period (monthly and quarterly reports; None in a campaign).
    voice: Voice | None = None
    #: New advocates and advocates at risk over the period (Wins / Risks); None where nobody is scored.
    advocates: AdvocateMoves | None = None

    @property
    def body_wins(self) -> list[Finding]:
        return self.wins[:BODY_FINDINGS]

    @property
    def body_risks(self) -> list[Finding]:
        return self.risks[:BODY_FINDINGS]

    @property
    def unowned(self) -> list[Finding]:
        """The body's risks nobody owns yet (the report says "no owner yet" once, naming them)."""
        return [r for r in self.body_risks if not r.owner]

    @property
    def metrics(self) -> list[Metric]:
        """Every KPI once, in catalogue order (a KPI may sit in several focus areas)."""
        seen: dict[str, Metric] = {}
        for area in self.areas:
            for m in area.metrics:
                seen.setdefault(m.kpi, m)
        return list(seen.values())

    def metric(self, kpi: str) -> Metric:
        for m in self.metrics:
            if m.kpi == kpi:
                return m
        raise KeyError(kpi)

    @property
    def generated(self) -> str:
        return self.generated_at.strftime("%Y-%m-%d %H:%M UTC")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["generated_at"] = self.generated_at.isoformat()
        out["sections"] = list(SECTIONS)
        return out

    def render(self, fmt: str) -> bytes:
        """The report as ``html``, ``md`` or ``pdf`` bytes."""
        from . import render

        return render(self, fmt)

    def write(self, path: str | Any, fmt: str | None = None) -> Any:
        """Write the report to ``path`` (format from ``fmt`` or the file's suffix); return the path."""
        from . import write

        return write(self, path, fmt)
