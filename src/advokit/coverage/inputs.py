"""Coverage inputs as objects: what each name means (event types or a customer field) and how to supply it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from ..catalogue.inputs import input_names
from ..catalogue.model import CUSTOMER_FIELD_INPUTS, INPUT_GROUPS, KpiDefinition, input_problem
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


def inputs_of(kpi: KpiDefinition) -> tuple[Input, ...]:
    """The inputs ``kpi`` needs, in a stable order (declared ones as declared)."""
    memo = _MEMO.get(kpi.id)
    if memo is not None and memo[0] is kpi:
        return memo[1]
    found = tuple(input_named(n) for n in input_names(kpi))
    _MEMO[kpi.id] = (kpi, found)
    return found


#: kpi id -> (the definition, its inputs); the definition is kept so that its identity stays valid
_MEMO: dict[str, tuple[KpiDefinition, tuple[Input, ...]]] = {}


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
