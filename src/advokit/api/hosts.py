"""Which host names the server answers to: the ``Host`` allow-list (against DNS rebinding).

A page on ``attacker.example`` whose name is made to resolve to 127.0.0.1 can
reach a server on this machine, but every request it sends names
``attacker.example`` in ``Host`` (and in ``Origin``). So the server answers
only requests naming a host it was told about:

* bound to loopback (``127.0.0.1``, ``localhost``, ``::1``): ``127.0.0.1``,
  ``localhost`` and ``[::1]`` with the bound port;
* bound to one other address or name: that address or name with the bound port;
* bound to every interface (``0.0.0.0``, ``::``): the loopback names and this
  machine's own names and addresses (``socket.gethostname()``, its fully
  qualified name and what it resolves to), with the bound port;
* plus every ``--allowed-host NAME[:PORT]`` (without a port: any port;
  ``*`` turns the check off).

Anything else is answered 421 Misdirected Request before any route runs: the
one JSON error shape under ``/v1`` and ``/openapi.json``, a plain HTML page
elsewhere. The dashboard compares a form's ``Origin`` with the same list
(:meth:`HostPolicy.allows_origin`).
"""

from __future__ import annotations

import html
import ipaddress
import json
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import HostNotAllowedError, InvalidArgumentError
from .limits import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARDS = ("0.0.0.0", "::", "[::]", "")
#: Ports a Host or Origin without one stands for (plain HTTP, HTTPS behind a proxy).
DEFAULT_PORTS = (80, 443)
_DEFAULT_PORT_OF = {"http": 80, "https": 443}


def split_host(value: str) -> tuple[str, int | None]:
    """``name[:port]`` (``[v6]:port`` for IPv6) as a lower-case name and a port; raises ValueError."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise ValueError(value)
        name, rest = value[:end + 1], value[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError(value)
        port_text = rest[1:] if rest else None
    elif value.count(":") == 1:
        name, port_text = value.split(":")
    elif ":" in value:  # a bare IPv6 address
        name, port_text = f"[{ipaddress.IPv6Address(value)}]", None
    else:
        name, port_text = value, None
    if not name or any(c in name for c in "/?#@ \\"):
        raise ValueError(value)
    if port_text is None:
        return name, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(value)
    return name, int(port_text)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bracket(host: str) -> str:
    """An IPv6 address as it appears in a Host header (``[::1]``); anything else unchanged, lower case."""
    bare = host.strip("[]")
    try:
        if ipaddress.ip_address(bare).version == 6:
            return f"[{ipaddress.ip_address(bare)}]"
    except ValueError:
        pass
    return host.lower()


def machine_names() -> list[str]:
    """This machine's own names and the addresses they resolve to (for a server bound to every interface)."""
    names: list[str] = []
    for name in (socket.gethostname(), socket.getfqdn()):
        if name and name not in names:
            names.append(name.lower())
    for name in list(names):
        try:
            infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
        except OSError:
            continue
        for info in infos:
            address = _bracket(str(info[4][0]))
            if address not in names:
                names.append(address)
    return names


@dataclass(frozen=True)
class HostPolicy:
    """The host names (with a port, or ``None`` for any) the server answers to; ``any_host`` turns it off."""

    allowed: frozenset[tuple[str, int | None]]
    any_host: bool = False

    @classmethod
    def for_bind(cls, host: str, port: int, extra: Iterable[str] = (), *,
                 own_names: Iterable[str] | None = None) -> "HostPolicy":
        """The allow-list of a server bound to ``host:port``, plus the ``--allowed-host`` values ``extra``.

        ``port`` 0 (a port the system picks) lets the bound names match any port.
        ``own_names`` replaces :func:`machine_names` for a wildcard bind (tests).
        """
        bound: int | None = port or None
        names: list[str]
        if is_loopback(host):
            names = list(LOOPBACK_NAMES)
        elif host.strip() in WILDCARDS:
            names = [*LOOPBACK_NAMES, *(machine_names() if own_names is None else own_names)]
        else:
            names = [_bracket(host)]
        allowed = {(_bracket(n), bound) for n in names}
        any_host = False
        for value in extra:
            if value.strip() == "*":
                any_host = True
                continue
            try:
                name, value_port = split_host(value)
            except ValueError:
                raise InvalidArgumentError(f"--allowed-host {value!r} is not a host name",
                                           hint="give NAME or NAME:PORT, e.g. dash.example.com or 10.0.0.5:8000"
                                           ) from None
            allowed.add((_bracket(name), value_port))
        return cls(frozenset(allowed), any_host)

    def allows(self, netloc: str, *, default_ports: Iterable[int] = DEFAULT_PORTS) -> bool:
        """Whether a ``Host`` header value (``name[:port]``) names this server."""
        if self.any_host:
            return True
        try:
            name, port = split_host(netloc)
        except ValueError:
            return False
        name = _bracket(name)
        for allowed_name, allowed_port in self.allowed:
            if allowed_name != name:
                continue
            if allowed_port is None or allowed_port == port or (port is None and allowed_port in default_ports):
                return True
        return False

    def allows_origin(self, origin: str) -> bool:
        """Whether a request's ``Origin`` (``scheme://host[:port]``) is this server; ``null`` never is."""
        parts = urlsplit(origin.strip())
        if parts.scheme not in _DEFAULT_PORT_OF or not parts.netloc or parts.path not in ("", "/"):
            return False
        if parts.query or parts.fragment or "@" in parts.netloc:
            return False
        return self.allows(parts.netloc, default_ports=(_DEFAULT_PORT_OF[parts.scheme],))

    def describe(self) -> list[str]:
        """The allowed hosts as people write them (for serve's start-up lines)."""
        if self.any_host:
            return ["*"]
        return sorted(f"{n}:{p}" if p else n for n, p in self.allowed)


class HostMiddleware:
    """Answer 421 to a request whose ``Host`` the policy does not allow, before any route runs."""

    def __init__(self, app: ASGIApp, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.policy.any_host:
            await self.app(scope, receive, send)
            return
        hosts = [v for k, v in scope.get("headers", []) if k == b"host"]
        host = hosts[0].decode("latin-1") if len(hosts) == 1 else ""
        if self.policy.allows(host):
            await self.app(scope, receive, send)
            return
        await _refuse(scope, send, host)


async def _refuse(scope: Scope, send: Send, host: str) -> None:
    shown = host if len(host) <= 100 else host[:100] + "…"
    err = HostNotAllowedError(f"this server does not answer to the host name {shown!r}" if host else
                              "the request names no host (send one Host header)",
                              hint="open it by the address it was started on (e.g. http://127.0.0.1:PORT/), "
                                   "or start `advokit serve` with --allowed-host NAME")
    path = str(scope.get("path", ""))
    if path == "/v1" or path.startswith("/v1/") or path == "/openapi.json":
        body = json.dumps({"error": err.to_dict()}).encode()
        kind = b"application/json"
    else:
        body = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Wrong address</title></head>'
                f"<body><h1>Wrong address</h1><p>{html.escape(err.message)}</p>"
                f"<p>{html.escape(err.hint or '')}</p></body></html>\n").encode()
        kind = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": err.http_status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})
