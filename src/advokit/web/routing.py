"""The plumbing every page shares: errors as HTML pages, sign-in redirects, cookies, forms, static files."""

from __future__ import annotations

import gzip
import importlib.resources
import logging
from collections.abc import Callable, Coroutine
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from ..errors import AdvokitError, InvalidArgumentError, PayloadTooLargeError
from .render import HEADERS, HERE, page
from .security import BROWSER_COOKIE, SignInRequired, set_cookie

log = logging.getLogger("advokit.web")

MAX_FORM_BYTES = 16 * 1024
STATIC = HERE / "static"
#: Static files by URL name: (path, media type).
STATIC_FILES: dict[str, tuple[str, str]] = {
    "dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
    "dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "favicon.svg": ("favicon.svg", "image/svg+xml"),
}


class PageRoute(APIRoute):
    """A page: errors become HTML error pages, a missing session a redirect to the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                if request.method != "GET":
                    target = "/"
                response = RedirectResponse("/signin?" + urlencode({"next": target}), status_code=303)
            except AdvokitError as exc:
                response = error_page(request, exc.http_status, exc.message, exc.hint)
            except RequestValidationError:
                response = error_page(request, 422, "this address has an invalid parameter",
                                      "check the link, or start again from the scorecard")
            new_browser = getattr(request.state, "new_browser", None)
            if new_browser:
                set_cookie(response, request, BROWSER_COOKIE, new_browser, max_age=None, same_site="strict")
            return response

        return route


def error_page(request: Request, status: int, message: str, hint: str | None) -> Response:
    viewer = getattr(request.state, "viewer", None)
    titles = {401: "Sign-in needed", 403: "Not allowed", 404: "Not found", 413: "Too large",
              422: "Cannot show this", 429: "Slow down", 503: "Workspace unavailable"}
    if status >= 500:
        log.error("dashboard error %s on %s: %s", status, request.url.path, message)
    return page("error.html", {"viewer": viewer, "nav": None, "status": status, "title": titles.get(status, "Error"),
                               "message": message, "hint": hint}, status=status)


async def read_form(request: Request) -> dict[str, str]:
    """A small ``application/x-www-form-urlencoded`` body as a dict (last value wins)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise InvalidArgumentError("send the form from the page", hint="the form is sent URL-encoded")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise PayloadTooLargeError(f"the form is larger than {MAX_FORM_BYTES // 1024} KiB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgumentError("the form is not UTF-8") from None
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def plotly_path() -> Path:
    """plotly.min.js as shipped inside the installed plotly package (no CDN, works offline)."""
    return Path(str(importlib.resources.files("plotly") / "package_data" / "plotly.min.js"))


@cache
def plotly_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("plotly")


@cache
def _static_bytes(name: str) -> tuple[bytes, bytes, str]:
    if name == "plotly.min.js":
        path, media = plotly_path(), "text/javascript; charset=utf-8"
    else:
        file, media = STATIC_FILES[name]
        path = STATIC / file
    raw = path.read_bytes()
    return raw, gzip.compress(raw, compresslevel=6, mtime=0), media


def static_response(request: Request, name: str) -> Response:
    """A static asset, gzipped when the browser accepts it, cached for a day (URLs carry a version)."""
    if name != "plotly.min.js" and name not in STATIC_FILES:
        return error_page(request, 404, f"no static file {name!r}", None)
    raw, packed, media = _static_bytes(name)
    headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff",
               "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type=media, headers=headers)
    return Response(raw, media_type=media, headers=headers)


def redirect(target: str) -> Response:
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


__all__ = ["HEADERS", "PageRoute", "error_page", "plotly_version", "read_form", "redirect", "static_response"]
