"""Security headers on every answer: ``nosniff`` always; on HTML, a strict CSP and a Referrer-Policy.

A route that knows better sets its own (the dashboard's pages allow their own
scripts from ``/static``); every other HTML answer, e.g. a report from
``/v1/reports?format=html``, the API reference at ``/v1/docs`` or the 421
page, gets :data:`HTML_CSP`: no script at all, styles only inline (the
reports and their SVG charts are self-contained), images only as ``data:``,
no plug-ins, forms, frames or base URL.
"""

from __future__ import annotations

from .limits import ASGIApp, Message, Receive, Scope, Send

HTML_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")
REFERRER_POLICY = "no-referrer"


class SecurityHeadersMiddleware:
    """Add the headers a response lacks (never replacing one a route set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = add_headers(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    names = {k.lower() for k, _ in headers}
    kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if b"x-content-type-options" not in names:
        headers.append((b"x-content-type-options", b"nosniff"))
    if kind.lower().startswith(b"text/html"):
        if b"content-security-policy" not in names:
            headers.append((b"content-security-policy", HTML_CSP.encode()))
        if b"referrer-policy" not in names:
            headers.append((b"referrer-policy", REFERRER_POLICY.encode()))
    return headers
