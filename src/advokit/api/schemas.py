"""Request and response bodies (strict pydantic models; they also make the OpenAPI document).

Request bodies are checked for *shape*: the envelope, the JSON type of every
field, unknown event fields, string lengths. A problem there fails the whole
request with 422 listing every problem. Whether a value is *valid* (a known
event type, a score in range, a readable date, a known customer) is the
importer's business, exactly as for files: such items come back ``rejected``
one by one, with their field and reason.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ..catalogue import EVENT_TYPES
from ..ingest import rules
from ..store import jsonvalues

_ATTRIBUTE = r"^[a-z_][a-z0-9_]{0,62}$"
#: ISO 8601 date or datetime (optional zone), years 1900-2999: the shape. The importer then rejects,
#: item by item, a time outside years 1900-2100 in UTC (the data contract's range).
ISO_TIME = r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?(Z|z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?$"
_RESERVED = {"updated_at", "import_id"}


def _utf8(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    if rules.has_nul(value):  # the importer's rule: files and the API refuse the same text
        raise ValueError(rules.NUL_REASON)
    return value


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _utf8(value)
    if isinstance(value, dict):
        return {_utf8(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _properties(value: dict[str, Any]) -> dict[str, Any]:
    """``properties`` within the data contract's bounds (measured with a loop), then its text checked."""
    problem = jsonvalues.properties_problem(value)
    if problem is not None:
        raise ValueError(problem)
    cleaned: dict[str, Any] = _clean(value)  # (at most MAX_PROPERTIES_DEPTH calls deep)
    return cleaned


Text = Annotated[str, AfterValidator(_utf8)]
#: The longest id or short text (type, channel, ref) and the longest event text, in characters.
SHORT_MAX = 256
TEXT_MAX = 100_000
Id = Annotated[str, Field(min_length=1, max_length=SHORT_MAX), AfterValidator(_utf8)]
Short = Annotated[str, Field(max_length=SHORT_MAX), AfterValidator(_utf8)]
When = Annotated[str, Field(pattern=ISO_TIME, max_length=64,
                             description="ISO 8601 date or datetime; no zone = UTC. An item whose time "
                                         "(in UTC) is outside years 1900-2100 is rejected")]
Properties = Annotated[dict[str, Any], AfterValidator(_properties),
                      Field(description=f"A JSON object at most {jsonvalues.MAX_PROPERTIES_DEPTH} levels deep and "
                                        f"{jsonvalues.MAX_PROPERTIES_BYTES // 1024} KB as JSON")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


#: the most texts one sentiment request scores
MAX_SCORED_TEXTS = 1000


class TextsIn(_Strict):
    """Texts to score (``POST /v1/text/sentiment``); they are not stored."""

    texts: list[Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(_utf8)]] = Field(
        min_length=1, max_length=MAX_SCORED_TEXTS, description=f"1 to {MAX_SCORED_TEXTS} texts")


class EventIn(_Strict):
    """One event in the canonical format of the data contract."""

    event_id: Id | None = Field(None, description="Idempotency key; absent: a hash of the content is used.")
    customer_id: Id | None = Field(None, description="Required except for `mention`; must name a known customer.")
    type: Short = Field(description="One of: " + ", ".join(EVENT_TYPES))
    occurred_at: When
    score: float | None = None
    amount: float | None = None
    text: Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(_utf8)] | None = None
    channel: Short | None = None
    ref: Short | None = None
    properties: Properties | None = None


class CustomerIn(BaseModel):
    """One customer (data contract section 1); other keys are kept as string attributes."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False,
                              json_schema_extra={"propertyNames": {"pattern": _ATTRIBUTE,
                                                                   "not": {"enum": list(sorted(_RESERVED))}}})
    __pydantic_extra__: dict[str, Short | None] = Field(init=False)

    customer_id: Id
    name: Short | None = None
    email: Short | None = None
    segment: Short | None = None
    industry: Short | None = None
    region: Short | None = None
    plan: Short | None = None
    signup_at: When
    churned_at: When | None = None
    arr: float | None = None
    referred_by: Id | None = None

    @model_validator(mode="after")
    def _attribute_names(self) -> "CustomerIn":
        bad = [k for k in (self.__pydantic_extra__ or {}) if not re.match(_ATTRIBUTE, k) or k in _RESERVED]
        if bad:
            raise ValueError(f"invalid attribute names {bad}: use lower-case letters, digits and underscores, "
                             "starting with a letter")
        return self


class EventsBatch(_Strict):
    events: list[EventIn] = Field(description="The events to append (at most the server's batch limit).")


class CustomersBatch(_Strict):
    customers: list[CustomerIn] = Field(description="The customers to upsert (at most the server's batch limit).")


# -- responses ------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    code: str
    message: str
    hint: str | None = None
    details: Any = None


class ErrorOut(BaseModel):
    """The one error shape of every endpoint."""

    error: ErrorDetail


class ItemError(BaseModel):
    field: str | None
    value: Any = None
    reason: str | None


class ItemOut(BaseModel):
    index: int = Field(description="Position of the item in the request array, from 0.")
    status: Literal["accepted", "duplicate", "rejected", "updated", "unchanged"]
    id: str | None
    errors: list[ItemError] = Field(default_factory=list)


class ImportWarningsOut(BaseModel):
    """Of the events this batch landed: how many `advokit doctor` would name (they landed all the same)."""

    before_signup: int
    after_churn: int
    future: int
    duplicate_looking: int


class BatchOut(BaseModel):
    kind: Literal["customers", "events"]
    received: int
    accepted: int
    duplicates: int
    rejected: int
    updated: int | None = None
    unchanged: int | None = None
    warnings: ImportWarningsOut | None = None
    items: list[ItemOut]


class FindingOut(BaseModel):
    """One kind of data-quality problem (see docs/data-quality.md)."""

    kind: str
    severity: Literal["info", "warning", "error"]
    count: int
    message: str
    what_to_do: str
    examples: list[dict[str, Any]]
    by_type: dict[str, int] | None = None
    details: dict[str, Any] | None = None


class DoctorOut(BaseModel):
    """The data-quality report, as `advokit doctor --format json` prints it."""

    generated_at: str
    customers: int
    events: int
    summary: dict[str, int]
    checks: dict[str, int]
    findings: list[FindingOut]


class KpiRow(BaseModel):
    """One KPI value (kpi-semantics.md output contract), plus one key per `by` dimension."""

    model_config = ConfigDict(extra="allow")
    kpi: str
    period: str
    period_start: str
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    n: int | None = None
    coverage: Literal["covered", "not_tracked"] = Field(
        description="not_tracked: an input the KPI needs is not in the workspace for this period; value is null")
    note: str | None = Field(None, description="Why the value is not tracked and how to supply the data")


class CoverageOut(BaseModel):
    """A coverage input: where the workspace holds it (kpi-semantics.md, "Coverage")."""

    input: str = Field(description="An event type, a group (advocacy_actions, surveys), types joined by `|`, "
                                   "or a customer field (churned_at, arr, referred_by)")
    kind: Literal["events", "customer_field"]
    from_: str | None = Field(None, alias="from", description="First day covered (null: open)")
    to: str | None = Field(None, description="Last day covered (null: open)")
    source: Literal["data", "user", "none"] = Field(description="data: first to last event; user: declared; "
                                                               "none: not in the workspace")
    covered: bool
    kpis: list[str] = Field(default_factory=list, description="The KPIs that need this input")


class CoverageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str | None = Field(None, alias="from", max_length=10, description="YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY")
    to: str | None = Field(None, max_length=10, description="inclusive: the last day of the period it names")



class LoopOut(BaseModel):
    """An answer that needs a follow-up and its loop (advokit.engine.loops): oldest first."""

    event_id: str
    customer_id: str
    type: str = Field(description="nps_response, csat_response, review or mention (the configured rules)")
    occurred_at: datetime = Field(description="When the customer answered (UTC)")
    score: float | None = Field(None, description="The answer's score (null for a mention)")
    text: str | None = Field(None, description="The comment")
    owner: str | None = Field(None, description="The customer's owner (or csm) attribute, where there is one")
    state: Literal["open", "closed_in_sla", "closed_late"]
    sla_days: float
    due_at: datetime = Field(description="occurred_at + sla_days")
    closed_at: datetime | None = Field(None, description="The first follow_up whose ref names the answer")
    age_days: float = Field(description="Days the loop has been open: to its close, or until as_of")
    overdue: bool = Field(description="Open past its due time")

class KpiSummary(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    unit: str


class KpiHit(KpiSummary):
    score: float


class KpiDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    unit: str
    attributes: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok"]


class Version(BaseModel):
    version: str
    api: str
    schema_version: int


class WorkspaceInfo(BaseModel):
    customers: int
    events: int
    first_day: str | None
    last_day: str | None
    dimensions: list[str]


class Profile(BaseModel):
    customer: dict[str, Any]
    summary: dict[str, Any]
    timeline: list[dict[str, Any]]
    timeline_total: int
    limit: int
    offset: int


class AttributeOut(BaseModel):
    name: str
    distinct_values: int
    dimension: bool = Field(description="Offered as a dimension (at most 100 distinct values)")


class Erasure(BaseModel):
    erasure_id: str
    subject_hash: str
    events_removed: int
    customers_removed: int
    references_cleared: int
    comments_redacted: int
    erased_at: str


class Export(BaseModel):
    model_config = ConfigDict(extra="allow")
    customer_id: str
    exported_at: str
    customer: dict[str, Any] | None
    events: list[dict[str, Any]]
    events_naming_customer: list[dict[str, Any]]
    comments_naming_customer: list[dict[str, Any]]


class KeyIn(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_utf8)]
    scope: Literal["read", "write", "admin"]


class KeyOut(BaseModel):
    id: str
    name: str
    scope: Literal["read", "write", "admin"]
    created_at: str | None
    revoked_at: str | None
    active: bool


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself: shown this once, stored only as a hash.")


class SecretIn(_Strict):
    kind: Literal["auto", "canonical", "survey", "referral", "delighted", "typeform", "trustpilot"] | None = None
    grace_hours: float = Field(24.0, ge=0, le=720, description="How long the replaced secret keeps working "
                                                                "(0: not at all).")


class SourceOut(BaseModel):
    source: str
    kind: str
    created_at: str | None
    rotated_at: str | None
    previous_until: str | None = Field(None, description="Until when the previous secret is still accepted "
                                                          "(null: it is not).")


class NewSecretOut(SourceOut):
    secret: str = Field(description="The shared secret: shown this once.")


_DESCRIPTIONS = {401: "Missing, invalid or revoked API key", 403: "The key's scope is too low",
                 404: "Not found", 409: "Not computed yet (the hint says what computes it)", 413: "Body or batch over the limit", 422: "Invalid request (every problem listed)",
                 429: "Rate limit exceeded (see Retry-After)"}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an endpoint can answer (all in the one error shape)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"model": ErrorOut, "description": _DESCRIPTIONS[code]}
        if code == 429:
            entry["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
        out[code] = entry
    return out


AUTH_ERRORS = (401, 403, 422, 429)
