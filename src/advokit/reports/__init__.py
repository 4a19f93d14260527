"""Management reports: monthly, quarterly and campaign, in HTML, Markdown and PDF.

::

    from advokit import Workspace
    from advokit.reports import build_report
    ws = Workspace("advokit.duckdb")
    report = build_report(ws, "2025-09")           # a Report (advokit.reports.model)
    report.write("report-2025-09.pdf")             # or .html / .md; report.render("html") -> bytes

Layers: :mod:`.content` builds the :class:`~.model.Report` from the workspace
(with :mod:`.narrative` and :mod:`.stories`), knowing nothing of formats;
:mod:`.html` (Jinja2 templates in ``templates/``), :mod:`.markdown` and
:mod:`.pdf` (fpdf2) lay it out, :mod:`.charts` draws the trends (matplotlib).
Every format has the same six sections (``SECTIONS``), in the same order.

A shell: it reads the workspace only through :class:`~advokit.Workspace`
and its services; the CLI (``advokit report``) and the REST API
(``/v1/reports``) call :func:`build_report`. Nothing below the shells imports it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from .model import KINDS, SECTIONS, Report

if TYPE_CHECKING:
    from ..workspace import Workspace

__all__ = ["FORMATS", "KINDS", "MEDIA_TYPES", "SECTIONS", "Report", "build", "build_report", "format_of", "render", "write"]

FORMATS: tuple[str, ...] = ("html", "md", "pdf")
MEDIA_TYPES: dict[str, str] = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
                               "pdf": "application/pdf"}
_SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".pdf": "pdf"}


def build(ws: "Workspace", **options: Any) -> Report:
    """The report's content (options: see :func:`advokit.reports.content.build`)."""
    from .content import build as _build

    return _build(ws, **options)


def build_report(ws: "Workspace", period: str | None = None, *, kind: str | None = None, by: str | None = None,
                 filters: Mapping[str, str | None] | None = None, start: str | dt.date | None = None,
                 end: str | dt.date | None = None, baseline_start: str | dt.date | None = None,
                 baseline_end: str | dt.date | None = None, title: str | None = None,
                 generated_at: dt.datetime | None = None) -> Report:
    """A management report (monthly, quarterly or campaign) with its six sections.

    ``build_report(ws, "2025-09").write("report.pdf")`` (or ``.html`` / ``.md``);
    ``.render("html")`` gives the bytes. A campaign report takes ``start``/``end``
    (and optionally ``baseline_start``/``baseline_end``) instead of ``period``.
    """
    return build(ws, kind=kind, period=period, by=by, filters=filters, start=start, end=end,
                 baseline_start=baseline_start, baseline_end=baseline_end, title=title, generated_at=generated_at)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidArgumentError(f"unknown report format {fmt!r}", hint="use one of: " + ", ".join(FORMATS))
    return fmt


def format_of(path: str | os.PathLike[str] | None, fmt: str | None = None) -> str:
    """The format asked for, else the one the file's suffix names, else html."""
    if fmt is not None:
        return check_format(fmt)
    if path is not None:
        suffix = Path(path).suffix.lower()
        if suffix in _SUFFIXES:
            return _SUFFIXES[suffix]
    return "html"


def render(report: Report, fmt: str) -> bytes:
    """The report as bytes: UTF-8 HTML or Markdown, or a PDF."""
    check_format(fmt)
    if fmt == "html":
        from .html import render_html

        return render_html(report).encode("utf-8")
    if fmt == "md":
        from .markdown import render_markdown

        return render_markdown(report).encode("utf-8")
    from .pdf import render_pdf

    return render_pdf(report)


def write(report: Report, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write the report (format from ``fmt`` or the suffix); the file appears whole or not at all."""
    target = Path(path)
    data = render(report, format_of(target, fmt))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target
