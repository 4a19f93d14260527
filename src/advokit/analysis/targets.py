"""KPI targets stored in the workspace (table ``targets``), and which one applies where.

A target is a value for one KPI, optionally for one customer attribute value
(``dimension`` = ``dimension_value``, e.g. segment = Enterprise) and a
validity window [``valid_from``, ``valid_to``) of dates. It applies to a
period whose start lies in the window.

Precedence when several apply: a target for the row's attribute value (the
row's ``--by`` group or a filter of the request) beats a global one; among
equally specific targets the latest ``valid_from`` wins (no start counts as
earliest), then the most recently created.

Status is direction-aware: ``met`` when the value is at or above the target
(higher is better) or at or below it (lower is better), else ``missed``.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engine.periods import Period, parse_bound
from ..errors import InvalidArgumentError, NotFoundError, UnknownDimensionError

if TYPE_CHECKING:
    from ..catalogue.model import KpiDefinition
    from ..engine.service import KpiService


@dataclass(frozen=True)
class Target:
    target_id: str
    kpi: str
    value: float
    dimension: str | None = None
    dimension_value: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    created_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.target_id, "kpi": self.kpi, "value": self.value, "dimension": self.dimension,
                "dimension_value": self.dimension_value,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "created_at": self.created_at.isoformat(timespec="seconds") if self.created_at else None}

    def covers(self, period: Period) -> bool:
        return ((self.valid_from is None or self.valid_from <= period.start)
                and (self.valid_to is None or period.start < self.valid_to))

    def matches(self, group: Mapping[str, str | None]) -> bool:
        """Global, or for an attribute value the row belongs to."""
        if self.dimension is None:
            return True
        return self.dimension in group and group[self.dimension] == self.dimension_value


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise InvalidArgumentError(f"target value must be a number, not {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"target value must be a number, not {value!r}",
                                   hint="e.g. `advokit target set nps 40`") from None
    if not math.isfinite(number):
        raise InvalidArgumentError(f"target value must be a finite number, not {value!r}")
    return number


def set_target(service: "KpiService", kpi: str, value: float | int | str, *, dimension: str | None = None,
               dimension_value: str | None = None, valid_from: str | dt.date | None = None,
               valid_to: str | dt.date | None = None) -> Target:
    """Validate and store a target; return it (with its new id)."""
    definition = service.kpi(kpi)  # UnknownKpiError with the valid ids
    number = _number(value)
    if dimension is not None:
        dims = service.dimensions()
        if dimension not in dims:
            raise UnknownDimensionError(f"unknown dimension {dimension!r}",
                                        hint="valid dimensions: " + (", ".join(dims) or "(none: import customers)"))
        if dimension_value is None or not str(dimension_value).strip():
            raise InvalidArgumentError(f"a target for dimension {dimension!r} needs a value",
                                       hint="e.g. --dimension region --value EMEA")
    elif dimension_value is not None:
        raise InvalidArgumentError("a dimension value was given without a dimension",
                                   hint="use --segment VALUE, or --dimension NAME --value VALUE")
    start = parse_bound(valid_from, name="--from", end=False)
    stop = parse_bound(valid_to, name="--to", end=True)
    if start and stop and stop <= start:
        raise InvalidArgumentError(f"target window ends ({stop}) before it starts ({start})")
    target = Target(uuid.uuid4().hex[:10], definition.id, number, dimension,
                    None if dimension is None else str(dimension_value), start, stop,
                    dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0))
    with service.db.transaction(data=False) as cur:
        cur.execute("INSERT INTO targets (target_id, kpi, value, dimension, dimension_value, valid_from, "
                    "valid_to, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [target.target_id, target.kpi, target.value, target.dimension, target.dimension_value,
                     target.valid_from, target.valid_to, target.created_at])
    return target


def list_targets(service: "KpiService", kpis: Sequence[str] | None = None) -> list[Target]:
    """Stored targets, by KPI then window start then creation."""
    rows = service.db.cursor().execute(
        "SELECT target_id, kpi, value, dimension, dimension_value, valid_from, valid_to, created_at "
        "FROM targets ORDER BY kpi, valid_from NULLS FIRST, created_at, target_id").fetchall()
    wanted = set(kpis) if kpis is not None else None
    return [Target(*r) for r in rows if wanted is None or r[1] in wanted]


def delete_target(service: "KpiService", target_id: str) -> Target:
    """Delete one target by id (``NotFoundError`` when there is none)."""
    found = [t for t in list_targets(service) if t.target_id == target_id]
    if not found:
        raise NotFoundError(f"no target with id {target_id!r}", hint="see `advokit target list`")
    with service.db.transaction(data=False) as cur:
        cur.execute("DELETE FROM targets WHERE target_id = ?", [target_id])
    return found[0]


def applicable(targets: Sequence[Target], period: Period, group: Mapping[str, str | None]) -> Target | None:
    """The target that applies to a row (see the module docstring for the precedence)."""
    candidates = [t for t in targets if t.covers(period) and t.matches(group)]
    if not candidates:
        return None
    return max(candidates, key=lambda t: (t.dimension is not None, t.valid_from or dt.date.min,
                                          t.created_at or dt.datetime.min))


def status(kpi: "KpiDefinition", value: float | None, target: float) -> str | None:
    """``met`` / ``missed`` (None when there is no value)."""
    if value is None:
        return None
    met = value >= target if kpi.higher_is_better else value <= target
    return "met" if met else "missed"
