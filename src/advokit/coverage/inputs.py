"""The coverage inputs of a KPI: declared in its YAML (``inputs:``) or derived from its measures.

Derivation follows "what would make a zero a lie": every event measure's event types are one input (a
list of types is covered where any of them is); a population measure adds a customer field only where it
reads one (``churned`` → ``churned_at``, a sum of ``arr`` → ``arr``, ``referred`` → ``referred_by``). A
population that every workspace has (active, new customers) adds nothing: a population-only denominator
does not make a rate covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from ..catalogue.model import (
    ADVOCACY_ACTION_TYPES,
    CUSTOMER_FIELD_INPUTS,
    INPUT_GROUPS,
    CustomCompute,
    Difference,
    EventMeasure,
    KpiDefinition,
    NpsCompute,
    PopulationMeasure,
    RatioCompute,
    Total,
    TotalCompute,
    input_problem,
)
from ..errors import InvalidArgumentError

InputKind = Literal["events", "customer_field"]


@dataclass(frozen=True)
class Input:
    """One thing a KPI reads: event types (covered where any of them is) or a customer field."""

    name: str
    kind: InputKind
    types: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.kind == "customer_field":
            return f"customer field {self.name}"
        if self.name in INPUT_GROUPS:
            return self.name.replace("_", " ")
        return " or ".join(self.types) + " events"


@cache
def input_named(name: str) -> Input:
    """The input called ``name`` (raises ``InvalidArgumentError`` for a name that is none)."""
    problem = input_problem(name)
    if problem:
        raise InvalidArgumentError(problem, hint="`advokit coverage list` shows every input")
    if name in CUSTOMER_FIELD_INPUTS:
        return Input(name, "customer_field")
    if name in INPUT_GROUPS:
        return Input(name, "events", INPUT_GROUPS[name])
    return Input(name, "events", tuple(name.split("|")))


def _event_input(types: list[str]) -> str:
    if set(types) == set(ADVOCACY_ACTION_TYPES):
        return "advocacy_actions"
    return "|".join(types)


def _walk(spec: EventMeasure | PopulationMeasure | Difference | Total, out: list[str]) -> None:
    if isinstance(spec, Difference):
        for part in spec.minus:
            _walk(part, out)
    elif isinstance(spec, Total):
        for part in spec.plus:
            _walk(part, out)
    elif isinstance(spec, EventMeasure):
        out.append(_event_input(list(spec.events)))
    else:
        if spec.population == "churned":
            out.append("churned_at")
        if spec.field == "arr":
            out.append("arr")
        if spec.referred is not None:
            out.append("referred_by")


def inputs_of(kpi: KpiDefinition) -> tuple[Input, ...]:
    """The inputs ``kpi`` needs, in a stable order (declared ones as declared)."""
    memo = _MEMO.get(kpi.id)
    if memo is not None and memo[0] is kpi:
        return memo[1]
    found = _inputs(kpi)
    _MEMO[kpi.id] = (kpi, found)
    return found


#: kpi id -> (the definition, its inputs); the definition is kept so that its identity stays valid
_MEMO: dict[str, tuple[KpiDefinition, tuple[Input, ...]]] = {}


def _inputs(kpi: KpiDefinition) -> tuple[Input, ...]:
    names: list[str] = []
    if kpi.inputs is not None:
        names = list(kpi.inputs)
    else:
        c = kpi.compute
        if isinstance(c, RatioCompute):
            _walk(c.numerator, names)
            _walk(c.denominator, names)
            if not isinstance(c.n, str):
                _walk(c.n, names)
        elif isinstance(c, TotalCompute):
            _walk(c.value, names)
            if c.n is not None:
                _walk(c.n, names)
        elif isinstance(c, NpsCompute):
            names.append("nps_response")
        elif isinstance(c, CustomCompute):  # pragma: no cover - the model requires declared inputs
            names = []
    return tuple(input_named(n) for n in dict.fromkeys(names))


_SUPPLY = {
    "churned_at": "import customers with a churned_at column (when each one left)",
    "arr": "import customers with an arr column (annual recurring revenue)",
    "referred_by": "import customers with a referred_by column (the customer who referred them)",
    "advocacy_actions": "import advocacy actions (referral_sent, review, testimonial, case_study, "
                        "reference_call, social_share, community_post, ugc_post or speaking events)",
    "surveys": "import survey answers (nps_response, csat_response, advocacy_rating or ces_response events)",
}


def supply_hint(item: Input) -> str:
    """How a user lights an input up: what to import, or how to declare its span."""
    what = _SUPPLY.get(item.name) or ("import " + " or ".join(item.types) + " events")
    return f"{what}, or declare its span: advokit coverage set {item.name} --from YYYY-MM"
