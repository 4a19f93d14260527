"""``GET /v1/docs``: the API reference as one plain HTML page, drawn from the OpenAPI document.

No interactive console: Swagger UI would have to come from a CDN (no installed
package ships it), and nothing the dashboard's origin serves may load code
from elsewhere. The page has no script at all; the machine-readable document
stays at ``/openapi.json`` for any OpenAPI tool.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_METHODS = ("get", "post", "put", "patch", "delete")
_STYLE = ("body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}"
          "code{font:13px ui-monospace,monospace}table{border-collapse:collapse;width:100%}"
          "td,th{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #d8dde3}"
          "th{background:#f3f5f7}.m{font-weight:600;text-transform:uppercase}")


def _rows(doc: dict[str, Any]) -> dict[str, list[str]]:
    """Table rows by tag: method, path, summary."""
    by_tag: dict[str, list[str]] = {}
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["other"])[0]
            summary = op.get("summary") or ""
            by_tag.setdefault(tag, []).append(
                f'<tr><td class="m">{escape(method)}</td><td><code>{escape(path)}</code></td>'
                f"<td>{escape(summary)}</td></tr>")
    return by_tag


def render(doc: dict[str, Any]) -> str:
    info = doc.get("info", {})
    title = escape(str(info.get("title", "API")))
    head = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title} API reference</title><style>{_STYLE}</style></head><body>")
    intro = ('<p>The OpenAPI document is <a href="/openapi.json"><code>/openapi.json</code></a>: load it into any '
             "OpenAPI tool for schemas and a console. Send <code>Authorization: Bearer KEY</code>.</p>")
    parts = [head,
             f"<h1>{title} {escape(str(info.get('version', '')))} REST API</h1>", intro]
    for tag, rows in _rows(doc).items():
        parts.append(f"<h2>{escape(tag)}</h2><table><tr><th>method</th><th>path</th><th>what</th></tr>"
                     + "".join(rows) + "</table>")
    parts.append("</body></html>\n")
    return "".join(parts)


@router.get("/v1/docs")
def docs(request: Request) -> HTMLResponse:
    return HTMLResponse(render(request.app.openapi()), headers={"Cache-Control": "no-store"})
