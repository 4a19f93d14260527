"""Who is looking: sign-in with an API key, sessions in an HttpOnly cookie, CSRF tokens.

* When the workspace has an active API key, every page asks to sign in. The
  key is entered once on ``/signin``, checked with the API's key store, and
  never stored in the browser: the browser gets a random session id in an
  ``HttpOnly; SameSite=Lax`` cookie, the server keeps the session (key id,
  name, scope) in memory for 12 hours. A revoked key ends its sessions at once.
* With no key the dashboard runs in *open local mode* and says so on every page;
  open mode serves only this machine (a loopback client): from elsewhere the
  dashboard asks for a key to be created first.
* Every form POST carries a CSRF token: the session's own token when signed
  in, else an HMAC of a random ``HttpOnly; SameSite=Strict`` browser cookie
  (signed double submit). A POST whose ``Origin`` is not one of the server's
  own addresses (the allow-list ``advokit serve`` gets from its bind address
  and ``--allowed-host``; never the request's own ``Host``) is refused, and so
  is ``Origin: null`` (a sandboxed frame, a redirect chain, a ``data:`` page).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from fastapi import Request
from starlette.responses import Response

from ..access.keys import ApiKey, KeyStore, allows
from ..errors import AuthError, ForbiddenError, NotFoundError

SESSION_COOKIE = "advokit_session"
BROWSER_COOKIE = "advokit_browser"
SESSION_TTL = 12 * 3600


class SignInRequired(AuthError):
    """A page was asked for without a session while the workspace has keys."""


@dataclass(frozen=True)
class Session:
    key_id: str
    key_name: str
    scope: str
    csrf: str
    expires: float


@dataclass(frozen=True)
class Viewer:
    """The person behind a request: signed in with a key, or anyone in open local mode."""

    mode: Literal["open", "key"]
    name: str | None
    scope: str
    csrf: str
    session_id: str | None = None

    def can(self, scope: str) -> bool:
        return allows(self.scope, scope)


class Guard:
    """Sessions and CSRF tokens of one running dashboard (in memory: a restart asks to sign in again)."""

    def __init__(self, keys: KeyStore, *, ttl: float = SESSION_TTL,
                 origin_allowed: Callable[[str], bool] | None = None) -> None:
        self.keys = keys
        self.ttl = ttl
        self.origin_allowed = origin_allowed or loopback_origin
        self._secret = secrets.token_bytes(32)
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    # -- mode -------------------------------------------------------------------------
    def open_mode(self) -> bool:
        """True while the workspace has no active API key."""
        return not self.keys.list(include_revoked=False)

    # -- sessions ---------------------------------------------------------------------
    def sign_in(self, token: str) -> tuple[str, Session]:
        key = self.keys.authenticate(token.strip(), need="read")
        sid = secrets.token_urlsafe(32)
        session = Session(key.id, key.name, key.scope, secrets.token_urlsafe(32), time.time() + self.ttl)
        with self._lock:
            now = time.time()
            for old in [s for s, v in self._sessions.items() if v.expires < now]:
                del self._sessions[old]
            self._sessions[sid] = session
        return sid, session

    def sign_out(self, sid: str | None) -> None:
        if sid:
            with self._lock:
                self._sessions.pop(sid, None)

    def session(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            found = self._sessions.get(sid)
            if found is not None and found.expires < time.time():
                del self._sessions[sid]
                found = None
        if found is None:
            return None
        key = self._active_key(found.key_id)
        if key is None:
            self.sign_out(sid)
            return None
        return found

    def _active_key(self, key_id: str) -> ApiKey | None:
        try:
            key = self.keys.get(key_id)
        except NotFoundError:
            return None
        return key if key.active else None

    # -- per request --------------------------------------------------------------------
    def browser_token(self, request: Request) -> tuple[str, bool]:
        """The browser's random CSRF cookie value, and whether it is new (to be set on the response)."""
        value = request.cookies.get(BROWSER_COOKIE)
        if value and 20 <= len(value) <= 100:
            return value, False
        return secrets.token_urlsafe(32), True

    def browser_csrf(self, browser: str) -> str:
        return hmac.new(self._secret, browser.encode(), hashlib.sha256).hexdigest()

    def viewer(self, request: Request) -> Viewer:
        """The viewer of a request; raises SignInRequired when keys exist and there is no session."""
        browser, _ = self.browser_token(request)
        if self.open_mode():
            if not _loopback(request.client.host if request.client else None):
                raise ForbiddenError("this dashboard has no API key yet, so it only answers on this machine",
                                     hint="create a key with `advokit apikey create --scope read --name NAME`, "
                                          "then sign in with it")
            return Viewer("open", None, "write", self.browser_csrf(browser))
        sid = request.cookies.get(SESSION_COOKIE)
        session = self.session(sid)
        if session is None:
            raise SignInRequired("sign in with an API key to see the dashboard",
                                 hint="create one with `advokit apikey create --scope read --name NAME`")
        return Viewer("key", session.key_name, session.scope, session.csrf, sid)

    def check_post(self, request: Request, viewer: Viewer | None, token: str | None) -> None:
        """Refuse a form POST from another site or without the right CSRF token."""
        origins = request.headers.getlist("origin")
        if origins and (len(origins) > 1 or not self.origin_allowed(origins[0])):
            raise ForbiddenError("this form was sent from another site", hint="reload the page and try again")
        if viewer is not None:
            expected = viewer.csrf
        else:
            browser = request.cookies.get(BROWSER_COOKIE)
            expected = self.browser_csrf(browser) if browser else ""
        if not token or not expected or not hmac.compare_digest(token, expected):
            raise ForbiddenError("the form's security token is missing or out of date",
                                 hint="reload the page and send the form again")


def _loopback(host: str | None) -> bool:
    if host in ("localhost", "testclient"):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def loopback_origin(origin: str) -> bool:
    """The default origin check: ``http(s)://`` a loopback address or ``localhost``, any port."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or parts.path not in ("", "/") or "@" in parts.netloc:
        return False
    try:
        return parts.hostname is not None and _loopback(parts.hostname)
    except ValueError:
        return False


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None,
               same_site: Literal["lax", "strict"]) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite=same_site,
                        secure=request.url.scheme == "https")


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to (never another site: no scheme, no host, no ``//``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
