"""What every request handler reaches: the workspace, the settings, the limiters."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from ..access.keys import KeyStore
from ..access.webhooks import WebhookStore
from ..workspace import Workspace
from .limits import RateLimiter
from .settings import ApiSettings


@dataclass
class AppState:
    workspace: Workspace
    settings: ApiSettings
    limiter: RateLimiter
    keys: KeyStore
    webhooks: WebhookStore
    #: the random token of ``<workspace>.server`` (an admin key from loopback only), None when there is none
    local_token: str | None = None
    #: failed authentications per client address (bad keys, bad webhook signatures)
    failed_auth: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.failed_auth = RateLimiter(self.settings.auth_fail_rate, self.settings.auth_fail_burst)


def state_of(request: Request) -> AppState:
    return request.app.state.advokit  # type: ignore[no-any-return]
