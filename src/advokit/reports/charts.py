"""Trend charts of a focus area's KPIs (matplotlib, no pyplot, no display, deterministic output).

``kpi_svg``/``kpi_png``: one small chart of one KPI (the report body shows one per headline KPI);
``svg``/``png``: one figure per focus area, a small panel per KPI with its last 12 periods,
the 95 % interval as a band, the target as a dashed line, the report's
period marked (and, for a campaign, the campaign and baseline windows
shaded). ``svg()`` gives inline SVG for HTML, ``png()`` PNG bytes for PDF.
Figures are built on :class:`matplotlib.figure.Figure` directly, so no GUI
backend is ever chosen; rendering runs under a lock because matplotlib's
settings are process-wide.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .model import FocusArea, Metric, Report

_LOCK = threading.Lock()
_RC: dict[Any, Any] = {"svg.hashsalt": "advokit-report", "svg.fonttype": "none", "font.family": "sans-serif",
       "font.sans-serif": ["DejaVu Sans"],
       "font.size": 7.5, "axes.titlesize": 7.5, "axes.linewidth": 0.6, "xtick.labelsize": 6.5,
       "ytick.labelsize": 6.5, "xtick.major.width": 0.5, "ytick.major.width": 0.5}
LINE = "#1f5f8b"
TARGET = "#c0392b"
CAMPAIGN = "#f0a020"
BASELINE = "#8a96a3"
COLUMNS = 3
WIDTH_IN = 7.4
PANEL_H_IN = 1.62
_TOP_IN, _BOTTOM_IN, _LEFT_IN, _RIGHT_IN = 0.34, 0.6, 0.4, 0.08  # room for titles, ticks and the legend
_ROW_GAP_IN, _COL_GAP_IN = 0.64, 0.44
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@contextmanager
def _settings() -> Iterator[None]:
    with _LOCK, matplotlib.rc_context(_RC):
        yield


def _tick(label: str) -> str:
    if len(label) == 7 and label[4] == "-" and label[5:].isdigit():
        return f"{_MONTHS[int(label[5:]) - 1]}\n{label[:4]}"
    if "-Q" in label:
        return f"{label[5:]}\n{label[:4]}"
    return label


def _compact(value: float, _pos: object = None) -> str:
    mag = abs(value)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if mag >= div:
            return f"{value / div:.3g}{suffix}"
    if mag == 0:
        return "0"
    return f"{value:.3g}"


def _nan(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _panel(ax: object, m: Metric, labels: Sequence[str], report: Report, *, title: bool = True) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    x = list(range(len(labels)))
    values = [_nan(p.value) for p in m.history]
    lo = [_nan(p.ci_low) for p in m.history]
    hi = [_nan(p.ci_high) for p in m.history]
    targets = [_nan(p.target) for p in m.history]
    if report.campaign is not None:
        for months, colour, alpha in ((report.campaign.baseline_months, BASELINE, 0.16),
                                      (report.campaign.months, CAMPAIGN, 0.2)):
            idx = [i for i, label in enumerate(labels) if label in months]
            if idx:
                ax.axvspan(min(idx) - 0.45, max(idx) + 0.45, color=colour, alpha=alpha, lw=0)
    if any(not math.isnan(v) for v in lo):
        ax.fill_between(x, lo, hi, color=LINE, alpha=0.14, lw=0)
    ax.plot(x, values, color=LINE, lw=1.3, marker="o", ms=2.2)
    if any(not math.isnan(t) for t in targets):
        ax.plot(x, targets, color=TARGET, lw=1.0, ls=(0, (4, 2)), drawstyle="steps-mid")
    if report.campaign is None and labels and labels[-1] == report.period and not math.isnan(values[-1]):
        ax.plot([x[-1]], [values[-1]], marker="o", ms=4.5, color=LINE, markeredgecolor="white", mew=0.8)
    if title:
        ax.set_title("\n".join(textwrap.wrap(m.name, 40)[:2]), loc="left", pad=3)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    step = 3 if len(labels) > 6 else 1
    ticks = [i for i in x if (len(labels) - 1 - i) % step == 0]
    ax.set_xticks(ticks, [_tick(labels[i]) for i in ticks])
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_major_formatter(FuncFormatter(_compact))
    ax.grid(axis="y", lw=0.4, color="#dde3ea")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if all(math.isnan(v) for v in values):
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="#888888")


def area_figure(area: FocusArea, report: Report) -> Figure:
    """The small-multiples figure of one focus area."""
    n = len(area.metrics)
    rows = max(1, math.ceil(n / COLUMNS))
    width, height = size_in(area)
    # a fixed layout (in inches), not a constrained one: drawing once is several times faster
    axes_h = (height - _TOP_IN - _BOTTOM_IN - (rows - 1) * _ROW_GAP_IN) / rows
    axes_w = (width - _LEFT_IN - _RIGHT_IN - (COLUMNS - 1) * _COL_GAP_IN) / COLUMNS
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(rows, COLUMNS, squeeze=False, gridspec_kw=dict(
        left=_LEFT_IN / width, right=1 - _RIGHT_IN / width, top=1 - _TOP_IN / height,
        bottom=_BOTTOM_IN / height, hspace=_ROW_GAP_IN / axes_h, wspace=_COL_GAP_IN / axes_w))
    for i, ax in enumerate(axes.flat):
        if i < n:
            _panel(ax, area.metrics[i], report.chart_labels, report)
        else:
            ax.set_visible(False)
    handles = [Line2D([], [], color=LINE, lw=1.3, marker="o", ms=2.2, label="value"),
               Patch(color=LINE, alpha=0.14, label="95 % interval"),
               Line2D([], [], color=TARGET, lw=1.0, ls=(0, (4, 2)), label="target")]
    if report.campaign is not None:
        handles += [Patch(color=CAMPAIGN, alpha=0.2, label="campaign"), Patch(color=BASELINE, alpha=0.16,
                                                                             label="baseline")]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=len(handles), frameon=False,
               fontsize=6.5)
    return fig


#: One KPI's chart (inches): two side by side fill the PDF's text width.
KPI_W_IN, KPI_H_IN = 3.6, 1.95
_K_TOP, _K_BOTTOM, _K_LEFT, _K_RIGHT = 0.42, 0.5, 0.5, 0.12


def kpi_figure(m: Metric, report: Report) -> Figure:
    """A small chart of one KPI: its trend, the 95 % band, the target; title and legend inside the figure."""
    w, h = KPI_W_IN, KPI_H_IN
    fig = Figure(figsize=(w, h))
    ax = fig.add_axes((_K_LEFT / w, _K_BOTTOM / h, 1 - (_K_LEFT + _K_RIGHT) / w, 1 - (_K_TOP + _K_BOTTOM) / h))
    _panel(ax, m, report.chart_labels, report, title=False)
    fig.text(0.02, 1 - 0.06 / h, textwrap.shorten(m.name, 52, placeholder="…"), ha="left", va="top",
             fontsize=8, fontweight="bold", color="#1d2733")
    handles: list[Any] = [Line2D([], [], color=LINE, lw=1.3, marker="o", ms=2.2, label="value")]
    if any(p.ci_low is not None for p in m.history):
        handles.append(Patch(color=LINE, alpha=0.14, label="95 % interval"))
    if any(p.target is not None for p in m.history):
        handles.append(Line2D([], [], color=TARGET, lw=1.0, ls=(0, (4, 2)), label="target"))
    if report.campaign is not None:
        handles += [Patch(color=CAMPAIGN, alpha=0.2, label="campaign"), Patch(color=BASELINE, alpha=0.16,
                                                                             label="baseline")]
    fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(1 - 0.1 / w, 1 - 0.2 / h),
               ncols=len(handles), frameon=False, fontsize=6, handlelength=1.4, columnspacing=0.9,
               handletextpad=0.4, borderaxespad=0)
    return fig


def kpi_svg(m: Metric, report: Report) -> str:
    """Inline SVG of one KPI's chart."""
    with _settings():
        return _svg_text(kpi_figure(m, report))


def kpi_png(m: Metric, report: Report, *, dpi: int = 200) -> bytes:
    """PNG bytes of one KPI's chart, for the PDF."""
    with _settings():
        buf = io.BytesIO()
        kpi_figure(m, report).savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        return buf.getvalue()


_SVG_FONT = re.compile(r"font-family: ?'?DejaVu Sans'?(?:, ?sans-serif)?")


def _svg_text(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: inlined in HTML
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)  # RDF namespaces, no content
    text = re.sub(r'\s(width|height)="[\d.]+pt"', "", text, count=2)
    # text is live SVG text: where DejaVu Sans is missing, the reader's sans-serif draws it (never a serif)
    return _SVG_FONT.sub("font-family: 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif", text)


def svg(area: FocusArea, report: Report) -> str:
    """Inline SVG (scales to its container) of a focus area's trends."""
    with _settings():
        return _svg_text(area_figure(area, report))


def png(area: FocusArea, report: Report, *, dpi: int = 170) -> bytes:
    """PNG bytes of a focus area's trends, for the PDF."""
    with _settings():
        buf = io.BytesIO()
        area_figure(area, report).savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        return buf.getvalue()


def size_in(area: FocusArea) -> tuple[float, float]:
    """The figure's size in inches (width, height)."""
    rows = max(1, math.ceil(len(area.metrics) / COLUMNS))
    return WIDTH_IN, PANEL_H_IN * rows + 0.3
