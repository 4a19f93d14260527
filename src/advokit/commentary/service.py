"""``Commentary``: the team's comments, actions and requests per KPI and period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..catalogue import Catalogue
from ..engine.periods import parse_period_label
from ..store.database import Database
from . import comments


class Commentary:
    """Comments of one workspace; KPI ids and period labels are checked and normalised."""

    def __init__(self, db: Database, catalogue: Catalogue) -> None:
        self.db = db
        self.catalogue = catalogue

    def add(self, kpi: str, period: str, body: str, *, author: str | None = None, owner: str | None = None,
            kind: str = "comment", due: dt.date | str | None = None) -> dict[str, Any]:
        """Add a comment, action or request for support to a KPI in one period (YYYY-MM, YYYY-Qn, YYYY).

        ``due``: the date the action or request is due by (a date or YYYY-MM-DD), or None.
        """
        kpi_id = self.catalogue.get(kpi).id
        label = parse_period_label(period).label
        return comments.add_comment(self.db, kpi=kpi_id, period=label, body=body, author=author, owner=owner,
                                    kind=kind, due=due)

    def list(self, *, kpi: str | None = None, period: str | None = None,
             kind: str | None = None) -> list[dict[str, Any]]:
        """The team's comments, oldest first, optionally of one KPI, period or kind."""
        return comments.list_comments(self.db, kpi=None if kpi is None else self.catalogue.get(kpi).id,
                                      period=None if period is None else parse_period_label(period).label,
                                      kind=None if kind is None else comments.check_kind(kind))

    def delete(self, comment_id: str) -> None:
        comments.delete_comment(self.db, comment_id)
