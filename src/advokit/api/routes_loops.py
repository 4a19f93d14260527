"""Closed loop: the answers that need a follow-up and their state, oldest first (the team's queue)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request

from ..loops.durations import parse_days
from ..loops.service import MAX_LIMIT
from .auth import ReadKey
from .schemas import AUTH_ERRORS, LoopOut, error_responses
from .state import state_of

router = APIRouter(tags=["loops"])


@router.get("/loops", response_model=list[LoopOut], responses=error_responses(*AUTH_ERRORS), dependencies=[ReadKey],
            summary="The answers that need a follow-up (NPS 0–6, CSAT 1–2, review 1–2, negative mentions), "
                    "oldest first, with their state: open, closed_in_sla, closed_late")
def list_loops(request: Request,
               open_: bool = Query(False, alias="open", description="Only the loops still open"),
               older_than: str | None = Query(None, min_length=1, max_length=20,
                                              description="Only loops open at least this long: 2d, 36h, 1w"),
               as_of: dt.datetime | None = Query(None, description="The state at this time (default: now, UTC)"),
               limit: int = Query(100, ge=1, le=MAX_LIMIT)) -> list[dict[str, Any]]:
    days = None if older_than is None else parse_days(older_than, name="older_than")
    rows = state_of(request).workspace.loops.list(open_only=open_, older_than_days=days, as_of=as_of, limit=limit)
    return rows  # the times are already ISO 8601 strings in UTC (2025-02-02T00:00:00Z)
