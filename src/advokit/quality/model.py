"""What ``doctor`` finds: typed findings and the report that holds them, each convertible to JSON-ready dicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

#: The kinds of finding, in the order a report lists them.
KINDS: tuple[str, ...] = (
    "before_signup", "after_churn", "future_events", "duplicate_looking", "customers_without_events",
    "event_types_never_seen", "monthly_gaps", "attribute_single_value", "attribute_value_per_customer",
)
#: The kinds an import counts for the rows it brought (``ImportReport.warnings``), with their JSON names.
IMPORT_KINDS: dict[str, str] = {"before_signup": "before_signup", "after_churn": "after_churn",
                                "future_events": "future", "duplicate_looking": "duplicate_looking"}


def _plain(value: Any) -> Any:
    """A value as JSON has it (times as ISO 8601 text)."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class Finding:
    """One kind of problem found in the data: how many, of which types, a few examples, and what to do."""

    kind: str
    severity: Severity
    count: int
    message: str
    what_to_do: str
    examples: tuple[Mapping[str, Any], ...] = ()
    by_type: Mapping[str, int] | None = None
    #: anything more the kind knows (the KPIs a missing type would light up, the empty months of each type)
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind, "severity": self.severity, "count": self.count, "message": self.message,
            "what_to_do": self.what_to_do,
            "examples": [{k: _plain(v) for k, v in e.items()} for e in self.examples],
        }
        if self.by_type is not None:
            out["by_type"] = dict(self.by_type)
        if self.details:
            out["details"] = dict(self.details)
        return out


@dataclass(frozen=True)
class DoctorReport:
    """Every check ``doctor`` ran: the findings (kinds with a count above 0) and each kind's count."""

    generated_at: dt.datetime
    customers: int
    events: int
    findings: tuple[Finding, ...]
    checks: Mapping[str, int]

    def severities(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def finding(self, kind: str) -> Finding | None:
        return next((f for f in self.findings if f.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at.replace(microsecond=0).isoformat() + "Z",
            "customers": self.customers, "events": self.events,
            "summary": self.severities(),
            "checks": dict(self.checks),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class ImportWarnings:
    """What the rows of one import bring that ``doctor`` would report (they landed all the same)."""

    counts: Mapping[str, int]
    by_type: Mapping[str, Mapping[str, int]]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, int]:
        return dict(self.counts)

    def by_type_dict(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self.by_type.items() if v}


_WARNING_WORDS = {
    "before_signup": "events before their customer's signup_at",
    "after_churn": "events after their customer's churned_at",
    "future": "events dated in the future",
    "duplicate_looking": "duplicate-looking events (same customer, type, time and score as another)",
}


def warning_lines(counts: Mapping[str, int], by_type: Mapping[str, Mapping[str, int]] | None = None) -> list[str]:
    """One line per kind an import brought, e.g. ``warning: 621 events before their customer's signup_at
    (csat_response 621); see `advokit doctor```. (Takes the JSON form, so a summary read back from the API reads
    the same.)"""
    lines = []
    for key, words in _WARNING_WORDS.items():
        n = int(counts.get(key, 0) or 0)
        if not n:
            continue
        types = (by_type or {}).get(key) or {}
        detail = ", ".join(f"{t} {c:,}" for t, c in sorted(types.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"warning: {n:,} {words}" + (f" ({detail})" if detail else "") + "; see `advokit doctor`")
    return lines
