"""``ws.funnel`` of a :class:`~advokit.cli.remote.RemoteWorkspace`: the funnel calls sent to the server that
holds the workspace (``POST /v1/local/call``, the calls of :mod:`advokit.api.local_funnel`)."""

from __future__ import annotations

from typing import Any, Protocol


class _Caller(Protocol):
    def call(self, method: str, **args: Any) -> Any: ...


class RemoteFunnel:
    def __init__(self, ws: _Caller) -> None:
        self._ws = ws

    def compute(self, period: str = "quarter", *, by: str | None = None) -> dict[str, Any]:
        return self._ws.call("funnel", period=period, by=by)  # type: ignore[no-any-return]

    def influencers(self, *, period: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        return self._ws.call("influencers", period=period, limit=limit)  # type: ignore[no-any-return]

    def next_ask(self, *, limit: int = 1000, as_of: str | None = None) -> list[dict[str, Any]]:
        return self._ws.call("next_ask", limit=limit, as_of=as_of)  # type: ignore[no-any-return]
