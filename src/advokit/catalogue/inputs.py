"""The coverage inputs of a KPI by name: declared in its YAML (``inputs:``) or derived from its measures.

Derivation follows "what would make a zero a lie": every event measure's event types are one input (a
list of types is covered where any of them is); a population measure adds a customer field only where it
reads one (``churned`` → ``churned_at``, a sum of ``arr`` → ``arr``, ``referred`` → ``referred_by``). A
population that every workspace has (active, new customers) adds nothing: a population-only denominator
does not make a rate covered. (``advokit.coverage`` turns the names into spans.)
"""

from __future__ import annotations

from .model import (
    ADVOCACY_ACTION_TYPES,
    CustomCompute,
    Difference,
    EventMeasure,
    KpiDefinition,
    NpsCompute,
    PopulationMeasure,
    RatioCompute,
    Total,
    TotalCompute,
)


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


def input_names(kpi: KpiDefinition) -> tuple[str, ...]:
    """The names of the inputs ``kpi`` needs, declared ones as declared, without repeats."""
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
    return tuple(dict.fromkeys(names))
