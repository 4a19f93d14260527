"""Typed model of one KPI definition as declared in ``kpis/<id>.yaml``.

The YAML file is the single place a KPI is declared: its knowledge (the
twelve attributes), unit, direction, focus areas, funnel stage, bands,
benchmarks and its computation (``compute``). Unknown keys are errors.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

FOCUS_AREAS: dict[str, str] = {
    "advocate_identification_engagement": "Advocate Identification & Engagement",
    "referral_program_impact": "Referral Program Impact",
    "customer_sentiment_loyalty": "Customer Sentiment & Loyalty",
    "retention_expansion": "Retention & Expansion",
    "program_health_reach": "Advocacy Program Health & Reach",
}
FUNNEL_STAGES: dict[str, str] = {
    "identification": "Advocate Identification",
    "activation_engagement": "Activation & Engagement",
    "advocacy_actions": "Advocacy Actions",
    "business_impact": "Business Impact Attribution",
    "retention_reengagement": "Retention and Re-Engagement",
}
ATTRIBUTE_KEYS: tuple[str, ...] = (
    "definition", "business_insights", "measurement_approach", "standard_formula",
    "trend_analysis", "diagnostic_questions", "actionable_tips", "visualization_suggestions",
    "risk_warnings", "tools_and_technologies", "integration_points", "change_impact",
)
Unit = Literal["percent", "score", "index", "per_customer", "money", "count", "days", "ratio"]
Direction = Literal["higher_is_better", "lower_is_better"]
Rating = Literal["poor", "fair", "good", "excellent"]
#: nps: margin of error; proportion: Wilson; mean: t-interval; rate: exact Poisson per exposure; none.
Uncertainty = Literal["nps", "proportion", "mean", "rate", "none"]
Text = Union[str, list[str]]

#: The event types of the data contract, grouped.
SURVEY_TYPES = ("nps_response", "csat_response", "advocacy_rating", "ces_response")
ADVOCACY_ACTION_TYPES = (
    "referral_sent", "review", "testimonial", "case_study", "reference_call",
    "social_share", "community_post", "ugc_post", "speaking",
)
OTHER_TYPES = (
    "referral_signup", "referral_converted", "activation", "renewal_due", "renewal",
    "expansion", "contraction", "community_joined", "ambassador_joined", "ambassador_left",
    "request_sent", "qbr", "follow_up", "mention",
)
EVENT_TYPES: tuple[str, ...] = SURVEY_TYPES + ADVOCACY_ACTION_TYPES + OTHER_TYPES

#: Coverage inputs (kpi-semantics.md, "Coverage"): what a KPI reads. An input is an event type, a named
#: group of event types (covered where any of them is), event types joined by ``|`` (the same, unnamed), or
#: a customer field.
INPUT_GROUPS: dict[str, tuple[str, ...]] = {"advocacy_actions": ADVOCACY_ACTION_TYPES, "surveys": SURVEY_TYPES}
CUSTOMER_FIELD_INPUTS: tuple[str, ...] = ("churned_at", "arr", "referred_by")


def input_problem(name: str) -> str | None:
    """Why ``name`` is no coverage input (None: it is one)."""
    if name in INPUT_GROUPS or name in CUSTOMER_FIELD_INPUTS or name in EVENT_TYPES:
        return None
    parts = name.split("|")
    if len(parts) > 1 and all(p in EVENT_TYPES for p in parts):
        return None
    return (f"unknown input {name!r}: expected an event type, "
            f"{' / '.join(INPUT_GROUPS)}, types joined by '|', or {' / '.join(CUSTOMER_FIELD_INPUTS)}")

#: The calendar of the data contract (UTC): event and customer timestamps, periods, report months and
#: every date parameter of the CLI, the API and the dashboard have a year in this range
#: (``engine.periods`` parses periods and dates against it, ``ingest.rules`` checks timestamps).
MIN_YEAR, MAX_YEAR = 1900, 2100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Attributes(_Strict):
    definition: str
    business_insights: Text
    measurement_approach: Text
    standard_formula: str
    trend_analysis: Text
    diagnostic_questions: Text
    actionable_tips: Text
    visualization_suggestions: Text
    risk_warnings: Text
    tools_and_technologies: Text
    integration_points: Text
    change_impact: Text

    @model_validator(mode="after")
    def _not_empty(self) -> "Attributes":
        for key in ATTRIBUTE_KEYS:
            value = getattr(self, key)
            if not value or (isinstance(value, list) and not all(str(v).strip() for v in value)):
                raise ValueError(f"attribute {key} is empty")
        return self


class Band(_Strict):
    label: str
    min: float | None = None
    max: float | None = None
    rating: Rating
    note: str | None = None

    def contains(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)


class Benchmark(_Strict):
    value: float
    industry: str | None = None
    source: str
    note: str | None = None


# --------------------------------------------------------------- computation
PopulationName = Literal["active", "active_start", "active_end", "new", "churned"]


class EventMeasure(_Strict):
    """An aggregate over the events of a period (and segment)."""

    events: list[str] = Field(min_length=1)
    agg: Literal["count", "customers", "sum", "mean", "sumsq"] = "count"  # sumsq: Σ field² (for a mean's SD)
    field: Literal["score", "amount"] | None = None
    score_min: float | None = None
    score_max: float | None = None
    where_property: dict[str, Union[str, bool, int, float]] | None = None
    #: True: only events with a customer; False: only events without one (anonymous mentions).
    has_customer: bool | None = None

    @model_validator(mode="after")
    def _check(self) -> "EventMeasure":
        unknown = [t for t in self.events if t not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event types {unknown}")
        if self.agg in ("sum", "mean", "sumsq") and self.field is None:
            raise ValueError(f"agg {self.agg} needs a field")
        return self


class PopulationMeasure(_Strict):
    """A count (or sum of a customer column) over a customer population of the period."""

    population: PopulationName
    agg: Literal["count", "sum"] = "count"
    field: Literal["arr"] | None = None
    #: True: only customers with ``referred_by`` set; False: only those without.
    referred: bool | None = None


class Difference(_Strict):
    minus: tuple["MeasureSpec", "MeasureSpec"]


class Total(_Strict):
    plus: list["MeasureSpec"] = Field(min_length=2)


MeasureSpec = Annotated[Union[EventMeasure, PopulationMeasure, Difference, Total],
                        Field(union_mode="left_to_right")]
Difference.model_rebuild()
Total.model_rebuild()


class RatioCompute(_Strict):
    """value = scale × numerator / denominator (null when the denominator is 0)."""

    kind: Literal["ratio"] = "ratio"
    numerator: MeasureSpec
    denominator: MeasureSpec
    scale: float = 1.0
    #: What the value rests on: the numerator's or denominator's count, or another measure
    #: (e.g. a customer count when the ratio is of money).
    n: Union[Literal["numerator", "denominator"], MeasureSpec] = "denominator"


class TotalCompute(_Strict):
    """value = a sum or count that is 0 over no events."""

    kind: Literal["total"] = "total"
    value: MeasureSpec
    n: MeasureSpec | None = None


class NpsCompute(_Strict):
    kind: Literal["nps"] = "nps"
    events: Literal["nps_response"] = "nps_response"


class CustomCompute(_Strict):
    """A computation too rich for the declarative forms, registered by name in the engine."""

    kind: Literal["custom"] = "custom"
    function: str
    params: dict[str, Any] = Field(default_factory=dict)


Compute = Annotated[Union[RatioCompute, TotalCompute, NpsCompute, CustomCompute], Field(discriminator="kind")]


def counts_only(spec: "EventMeasure | PopulationMeasure | Difference | Total") -> bool:
    """True when a measure counts events or customers (no sums of money or scores)."""
    if isinstance(spec, Difference):
        return all(counts_only(part) for part in spec.minus)
    if isinstance(spec, Total):
        return all(counts_only(part) for part in spec.plus)
    if isinstance(spec, EventMeasure):
        return spec.agg in ("count", "customers")
    return spec.agg == "count"


def mean_parts(c: RatioCompute) -> EventMeasure | None:
    """The Σ-field measure when a ratio is Σ field / count of the same events (a mean), else None."""
    num, den = c.numerator, c.denominator
    if (isinstance(num, EventMeasure) and isinstance(den, EventMeasure) and num.agg == "sum"
            and den.agg == "count" and num.model_dump(exclude={"agg", "field"}) == den.model_dump(exclude={"agg", "field"})):
        return num
    return None


class KpiDefinition(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    aliases: list[str] = Field(default_factory=list)
    unit: Unit
    direction: Direction
    core: bool = False
    focus_areas: list[str] = Field(min_length=1)
    funnel_stage: str
    attributes: Attributes
    bands: list[Band] = Field(default_factory=list)
    benchmarks: list[Benchmark] = Field(default_factory=list)
    compute: Compute
    small_sample_basis: Literal["n", "none"] = "n"
    #: Which 95 % interval the value carries; None derives it from ``compute`` (see ``uncertainty_kind``).
    uncertainty: Uncertainty | None = None
    #: The coverage inputs the value needs (``input_problem`` says what a name may be); None derives them
    #: from ``compute`` (``advokit.coverage.inputs``). A custom computation must declare them.
    inputs: list[str] | None = None
    #: A value that reads data from before its period (a window, a lookback) is covered when each input's
    #: span overlaps the period widened by this many months backwards.
    coverage_lookback_months: int = Field(default=0, ge=0, le=120)
    #: The bounds of the rating a value averages (``[1, 7]``: CES), so a report says "3.1 of 7"; None: unbounded.
    scale: tuple[float, float] | None = None
    #: The KPI's rank among the report's default headline KPIs (1 first); None: not a default headline KPI.
    headline: int | None = Field(default=None, ge=1, le=99)

    @model_validator(mode="after")
    def _check(self) -> "KpiDefinition":
        if self.scale is not None and not self.scale[0] < self.scale[1]:
            raise ValueError(f"scale {list(self.scale)}: the low end must be below the high end")
        if self.inputs is not None:
            bad = [p for p in map(input_problem, self.inputs) if p]
            if bad:
                raise ValueError("; ".join(bad))
        elif isinstance(self.compute, CustomCompute):
            raise ValueError("a custom computation must declare its inputs (coverage)")
        bad = [f for f in self.focus_areas if f not in FOCUS_AREAS]
        if bad:
            raise ValueError(f"unknown focus areas {bad}; expected {sorted(FOCUS_AREAS)}")
        if self.funnel_stage not in FUNNEL_STAGES:
            raise ValueError(f"unknown funnel_stage {self.funnel_stage!r}; expected {sorted(FUNNEL_STAGES)}")
        previous: float | None = None
        for band in self.bands:
            if band.min is not None and band.max is not None and band.min >= band.max:
                raise ValueError(f"band {band.label!r}: min must be below max")
            if previous is not None and band.min is not None and band.min < previous:
                raise ValueError(f"band {band.label!r} overlaps the band before it")
            previous = band.max
        return self

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_is_better"

    @property
    def uncertainty_kind(self) -> Uncertainty:
        """The declared ``uncertainty``, else derived from the computation and unit.

        nps → nps; a ratio of Σ field over the count of the same events → mean
        (also a total that is a mean); a ratio of counts (events, customers)
        in percent → proportion, per customer / ratio / count → rate; anything
        else (money ratios, totals, custom) → none.
        """
        if self.uncertainty is not None:
            return self.uncertainty
        c = self.compute
        if isinstance(c, NpsCompute):
            return "nps"
        if isinstance(c, TotalCompute):
            return "mean" if isinstance(c.value, EventMeasure) and c.value.agg == "mean" else "none"
        if isinstance(c, RatioCompute):
            if mean_parts(c) is not None:
                return "mean"
            if not (counts_only(c.numerator) and counts_only(c.denominator)):
                return "none"
            if self.unit == "percent":
                return "proportion"
            if self.unit in ("per_customer", "ratio", "count"):
                return "rate"
        return "none"

    def band_for(self, value: float | None) -> Band | None:
        if value is None:
            return None
        for band in self.bands:
            if band.contains(value):
                return band
        return None

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "unit": self.unit, "direction": self.direction,
                "core": self.core, "focus_areas": list(self.focus_areas), "funnel_stage": self.funnel_stage,
                "definition": self.attributes.definition}

    def to_dict(self) -> dict[str, Any]:
        out = self.model_dump(mode="json", exclude={"compute", "small_sample_basis"})
        out["focus_area_names"] = [FOCUS_AREAS[f] for f in self.focus_areas]
        out["funnel_stage_name"] = FUNNEL_STAGES[self.funnel_stage]
        out["compute"] = self.compute.model_dump(mode="json")
        out["uncertainty"] = self.uncertainty_kind
        from .inputs import input_names  # (inputs imports this module)

        out["inputs"] = list(input_names(self))
        return out
