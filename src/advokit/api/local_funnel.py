"""The funnel calls of the command line's local channel (``POST /v1/local/call``, :mod:`.routes_local`):
``funnel``, ``influencers`` and ``next_ask``, each with a strict argument model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ..workspace import Workspace

Text = Annotated[str, Field(min_length=0, max_length=4096)]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FunnelArgs(_Args):
    period: Text = "quarter"
    by: Text | None = None


class InfluencersArgs(_Args):
    period: Text | None = None
    limit: int = 20


class NextAskArgs(_Args):
    limit: int = 1000
    as_of: Text | None = None


#: name -> (argument model, what it runs), merged into ``routes_local.CALLS``
FUNNEL_CALLS: dict[str, tuple[type[BaseModel], Callable[[Workspace, Any], Any]]] = {
    "funnel": (FunnelArgs, lambda ws, a: ws.funnel.compute(a.period, by=a.by)),
    "influencers": (InfluencersArgs, lambda ws, a: ws.funnel.influencers(period=a.period, limit=a.limit)),
    "next_ask": (NextAskArgs, lambda ws, a: ws.funnel.next_ask(limit=a.limit, as_of=a.as_of)),
}
