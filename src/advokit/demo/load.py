"""Load a generated demo dataset into a workspace through the normal importer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ..commentary import Commentary
from ..engine.service import KpiService
from ..errors import InvalidArgumentError
from ..ingest.service import Ingest
from .generate import generate


def build_demo(kpis: KpiService, ingest: Ingest, *, customers: int = 5000, months: int = 24, seed: int = 42,
               end_month: dt.date | None = None, replace: bool = False,
               progress: Callable[[int, int | None], None] | None = None,
               commentary: Commentary | None = None) -> dict[str, Any]:
    """Generate demo data and import it (validated like any other file); return what was built.

    With ``commentary``, the demo team's comments (owners, actions with due dates, a request) are added for
    the latest complete month, so its report reads like a real one."""
    db = kpis.db
    counts = kpis.counts()
    if any(counts.values()) and not replace:
        raise InvalidArgumentError(
            f"workspace {db.path} already holds {counts['customers']:,} customers and {counts['events']:,} events",
            hint="pass --replace to empty it first, or choose another --db")
    data = generate(customers=customers, months=months, seed=seed, end_month=end_month)
    with db.transaction() as cur:
        if replace:
            for table in ("events", "customers", "imports", "targets", "comments"):
                cur.execute(f"DELETE FROM {table}")
    ingest.customers(data.customers, source_name="demo customers", write_rejects=False)
    report = ingest.events(data.events, source_name="demo events", write_rejects=False, progress=progress)
    if report.rejected:
        raise RuntimeError(f"demo generator produced {report.rejected} invalid events: {report.errors[:3]}")
    counts = kpis.counts()
    first = kpis.data_range()
    latest = kpis.latest_complete_period("month")
    comments = 0
    if commentary is not None and latest is not None:
        from .team import add_team_comments

        comments = add_team_comments(commentary, latest)
    return {"comments": comments, "workspace": str(db.path), "customers": counts["customers"], "events": counts["events"],
            "seed": seed, "first_month": first[0].strftime("%Y-%m") if first else None,
            "last_month": first[1].strftime("%Y-%m") if first else None, "latest_complete_month": latest}
