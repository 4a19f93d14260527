"""New advocates and advocates at risk over a report's period (in "Wins & Opportunities" and "Risks & Action
Plans").

The advocate scores (``ws.advocates``, docs/advocates.md) as of the period's first day and as of the day after
its last, for the report's customers (its segment filters): who is Champion or Advocate at the end and was
not at the start, and who is "At risk" at the end and was not at the start
(:func:`advokit.advocates.summary.movements`). Customers are named by id only, as elsewhere in a report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..advocates.summary import keep, movements, segment_members
from .model import BODY_ADVOCATE_EXAMPLES, AdvocateMove, AdvocateMoves

if TYPE_CHECKING:
    from ..workspace import Workspace


def _moves(found: Mapping[str, Any]) -> list[AdvocateMove]:
    return [AdvocateMove(customer_id=str(e["customer_id"]), score=e["score"], tier=str(e["tier"]),
                         tier_before=e["tier_before"], reason=e["reason"]) for e in found["examples"]]


def collect(ws: "Workspace", start: dt.date, end: dt.date, *,
            filters: Mapping[str, str | None]) -> AdvocateMoves | None:
    """The movements between the scores as of ``start`` and as of ``end`` (exclusive end of the period);
    None when no customer of the report is scored at either day."""
    members = segment_members(ws.kpis.backend(), filters) if filters else None
    before = keep(ws.advocates.scores(as_of=start), members)
    after = keep(ws.advocates.scores(as_of=end), members)
    if not before and not after:
        return None
    moved = movements(before, after, examples=BODY_ADVOCATE_EXAMPLES)
    return AdvocateMoves(start=start.isoformat(), end=end.isoformat(), scored_start=len(before),
                         scored_end=len(after), new_advocates=moved["new_advocates"]["count"],
                         new_at_risk=moved["new_at_risk"]["count"],
                         advocate_examples=_moves(moved["new_advocates"]),
                         at_risk_examples=_moves(moved["new_at_risk"]))
