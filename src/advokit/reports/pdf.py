"""The PDF report (fpdf2): real charts and tables, page numbers, an outline, nothing cut off.

Text is set in DejaVu Sans, the TrueType font that ships inside matplotlib
(``mpl-data/fonts/ttf``), embedded and subset: customer text in most scripts
(Latin, Greek, Cyrillic, many symbols) prints as written; a character the
font lacks (e.g. CJK) prints as ``?`` instead of vanishing silently. Tables
wrap their cells and break across pages; a chart that does not fit on the
rest of a page starts a new one. Nothing is downloaded, no system library used.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from .._version import __version__
from . import charts
from . import format as fmt
from .model import NOT_TRACKED_TITLE, SECTIONS, Metric, Report, Story
from .narrative import headline_metrics

FONT = "DejaVu"
_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
INK = (29, 39, 51)
MUTED = (91, 103, 117)
ACCENT = (31, 95, 139)
TINT = (244, 247, 250)
STATUS = {"good": (30, 123, 69), "watch": (168, 107, 0), "poor": (179, 38, 30), "unknown": MUTED}
WIDTH = 186.0  # mm between the margins of A4


def font_dir() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def _glyphs() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(font_dir() / _FILES[""]), lazy=True) as font:
        return frozenset(font.getBestCmap())


def safe(text: str) -> str:
    """The text with every character the embedded font lacks replaced by ``?``."""
    glyphs = _glyphs()
    return "".join(c if ord(c) in glyphs or c in "\n" else "?" for c in text)


class _Doc(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report = report
        self.set_margins(12, 14, 12)
        self.set_auto_page_break(True, margin=16)
        for style, name in _FILES.items():
            self.add_font(FONT, style, str(font_dir() / name))
        self.set_title(report.title)
        self.set_author("advokit")
        self.set_creator(f"advokit {__version__}")
        self.set_subject(report.subtitle)
        self.set_creation_date(report.generated_at.replace(tzinfo=dt.timezone.utc))
        self.set_text_color(*INK)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, safe(f"{self.report.title} · {self.report.period}"), align="R",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(*INK)

    # -- blocks -------------------------------------------------------------------------------------
    def para(self, body: str, *, size: float = 9.5, style: str = "", color: tuple[int, int, int] = INK,
             h: float | None = None, indent: float = 0) -> None:
        self.set_font(FONT, style, size)
        self.set_text_color(*color)
        if indent:
            self.set_x(self.l_margin + indent)
        self.multi_cell(WIDTH - indent, h or size * 0.48, safe(body), align="L", new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        self.set_text_color(*INK)

    def section(self, title: str, *, new_page: bool) -> None:
        if new_page:
            self.add_page()
        else:
            self.ln(4)
        self.start_section(title, level=0)
        self.set_font(FONT, "B", 15)
        self.set_text_color(*ACCENT)
        self.cell(0, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y(), self.l_margin + WIDTH, self.get_y())
        self.ln(3)
        self.set_text_color(*INK)

    def subheading(self, title: str, *, keep: float = 30) -> None:
        if self.get_y() + keep > self.page_break_trigger:
            self.add_page()
        self.ln(2)
        self.start_section(safe(title), level=1)
        self.set_font(FONT, "B", 11.5)
        self.cell(0, 7, safe(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def grid(self, head: list[str], rows: list[list[Any]], widths: Sequence[float], *,
             right: AbstractSet[int] = frozenset(),
             size: float = 7.8) -> None:
        """A table whose cells wrap; ``rows`` cells are text or (text, FontFace)."""
        self.set_font(FONT, "", size)
        self.set_draw_color(217, 224, 231)
        self.set_line_width(0.2)
        align = tuple("RIGHT" if i in right else "LEFT" for i in range(len(head)))
        heading = FontFace(emphasis="BOLD", fill_color=TINT, color=INK)
        with self.table(col_widths=tuple(widths), text_align=align, line_height=size * 0.5,
                        headings_style=heading, first_row_as_headings=True, borders_layout="HORIZONTAL_LINES",
                        padding=1.2, width=sum(widths), align="LEFT", v_align="TOP") as table:
            row = table.row()
            for h in head:
                row.cell(safe(h))
            for cells in rows:
                row = table.row()
                for c in cells:
                    if isinstance(c, tuple):
                        row.cell(safe(c[0]), style=c[1])
                    else:
                        row.cell(safe(str(c)))
        self.ln(3)

    def image_block(self, png: bytes, height_mm: float) -> None:
        if self.get_y() + height_mm > self.page_break_trigger:
            self.add_page()
        self.image(io.BytesIO(png), x=self.l_margin, w=WIDTH)
        self.ln(2)


def _status(m: Metric) -> tuple[str, FontFace]:
    return m.status, FontFace(color=STATUS.get(m.status, MUTED), emphasis="BOLD")


def _num(m: Metric, v: float | None) -> str:
    return fmt.number(v, m.unit, per_month=m.per_month)


def _sig(m: Metric) -> str:
    return fmt.significance(m) + (f"\n{fmt.p_value(m.p_value)}" if m.p_value is not None else "")


def _story(s: Story) -> str:
    meta = s.type_label + (f", {s.score_label}" if s.score_label else "") + f" · {s.who} · {s.occurred_at[:10]}"
    return f"“{s.text}”\n— {meta}"


def render_pdf(r: Report) -> bytes:
    logging.getLogger("fpdf").setLevel(logging.ERROR)  # glyphs are checked by safe(); no per-font chatter
    pdf = _Doc(r)
    pdf.add_page()
    pdf.set_font(FONT, "B", 20)
    pdf.multi_cell(WIDTH, 9, safe(r.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.para(r.subtitle, size=11, color=MUTED)
    meta = f"Period {r.period}"
    if r.campaign:
        b = r.campaign.baseline_months
        meta += f" (baseline {b[0]}" + (f"..{b[-1]}" if len(b) > 1 else "") + ")"
    pdf.para(f"{meta} · workspace {r.workspace} · generated {r.generated}", size=8, color=MUTED)

    # 1. Executive Summary
    pdf.section(SECTIONS[0], new_page=False)
    for p in r.summary.paragraphs:
        pdf.para(p, size=9.5)
        pdf.ln(2)
    top = headline_metrics(r.metrics)
    if top:
        pdf.grid(["Headline KPI", "Value", "Change", "Significance", "Status"],
                 [[m.name, _num(m, m.value), fmt.change(m.change, m.unit), _sig(m), _status(m)] for m in top],
                 [64, 30, 30, 40, 22], right={1, 2}, size=8.5)

    # 2. Key Metrics & Trends
    pdf.section(SECTIONS[1], new_page=True)
    pdf.para(f"Each panel shows the last {len(r.chart_labels)} {r.grain}s"
             + (", the campaign and baseline windows shaded" if r.campaign else "")
             + "; the band is the 95 % interval, the dashed line the target. Changes are against "
             + f"{r.reference_label}" + (" (baseline)." if r.campaign else "."), size=8.5, color=MUTED)
    for area in r.areas:
        w_in, h_in = charts.size_in(area)
        pdf.subheading(area.name, keep=WIDTH * h_in / w_in + 12)  # never a heading without its chart
        pdf.image_block(charts.png(area, r), WIDTH * h_in / w_in)
        if r.campaign:
            head = ["KPI", "Baseline", "Campaign", "Change", "Significance", "Band", "Target", "Benchmark", "Status"]
            widths = [36, 18, 18, 17, 26, 17, 18, 18, 18]
            rows = [[m.name, _num(m, m.reference), fmt.value(m),
                     fmt.change(m.change, m.unit), _sig(m), fmt.band(m), fmt.target(m), fmt.benchmark(m),
                     _status(m)] for m in area.metrics]
            right = {1, 2, 3}
        else:
            head = ["KPI", "Value", "Change", "Significance", "Band", "Target", "Benchmark", "Status"]
            widths = [42, 21, 19, 28, 18, 19, 21, 18]
            rows = [[m.name, fmt.value(m), fmt.change(m.change, m.unit),
                     _sig(m), fmt.band(m), fmt.target(m), fmt.benchmark(m), _status(m)] for m in area.metrics]
            right = {1, 2}
        pdf.grid(head, rows, widths, right=right)
    if r.not_tracked:
        pdf.subheading(NOT_TRACKED_TITLE)
        pdf.para(f"{len(r.not_tracked)} KPI{'s' if len(r.not_tracked) != 1 else ''} of the catalogue cannot be "
                 f"measured in {r.period_label}: the data they read is not in this workspace. They are not judged; "
                 "this is what would light each one up.", size=8.5, color=MUTED)
        for nt in r.not_tracked:
            pdf.para(f"{nt.name} ({nt.kpi})" + (f": {nt.note}" if nt.note else ""), size=9, style="B")
            for need in ([] if nt.note else nt.inputs):
                pdf.para(f"- {need.label}: {need.supply}", size=8.5)

    # 3. Customer Stories & Qualitative Insights
    pdf.section(SECTIONS[2], new_page=True)
    s = r.stories
    if s.total:
        pdf.para(f"{s.total} comments, reviews and posts in {r.period_label}: {s.promoter_count} from promoters, "
                 f"{s.passive_count} from passives and {s.detractor_count} from detractors. The strongest scores "
                 "come first, then the most recent.", size=9)
        pdf.ln(2)
        pairs = max(len(s.promoters), len(s.detractors))
        rows = [[_story(s.promoters[i]) if i < len(s.promoters) else "",
                 _story(s.detractors[i]) if i < len(s.detractors) else ""] for i in range(pairs)]
        if rows:
            pdf.grid(["Promoters' words", "Detractors' words"], rows, [WIDTH / 2, WIDTH / 2], size=8.5)
        else:
            pdf.para("No promoter or detractor comments in this period.", size=9, color=MUTED)
        if s.highlights:
            pdf.subheading("Reviews and testimonials", keep=25)
            for st in s.highlights:
                pdf.para(f"“{st.text}”", size=9, style="I", indent=3)
                meta = st.type_label + (f", {st.score_label}" if st.score_label else "")
                pdf.para(f"— {meta} · {st.who} · {st.occurred_at[:10]}", size=7.5, color=MUTED, indent=3)
                pdf.ln(1.5)
        if s.themes:
            pdf.subheading("Themes", keep=25)
            pdf.grid(["Theme", "Promoters mention it", "Detractors mention it"],
                     [[t.name, str(t.promoters), str(t.detractors)] for t in s.themes], [70, 40, 40], right={1, 2})
    else:
        pdf.para("No customer comments, reviews or testimonials in this period.", size=9, color=MUTED)

    # 4. Wins & Opportunities
    pdf.section(SECTIONS[3], new_page=True)
    if r.wins:
        for w in r.wins:
            notes = "".join(f" Team: {c.body}" for c in w.comments if c.kind == "comment")
            pdf.set_font(FONT, "B", 9.5)
            pdf.multi_cell(WIDTH, 4.8, safe(w.name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.para(fmt.sentence("; ".join(w.reasons)) + "." + notes, size=9, indent=3)
            pdf.ln(1.5)
    else:
        pdf.para("No KPI improved significantly or beat its target"
                 + (" against the baseline." if r.campaign else f" in {r.period_label}."), size=9.5)
    if r.segment_dimension:
        pdf.subheading(f"Segments that outperform ({r.segment_dimension})", keep=25)
        if r.segment_wins:
            pdf.grid([r.segment_dimension, "KPI", "Value", "All others", "Difference", "Significance"],
                     [[g.group, g.name, fmt.number(g.value, g.unit), fmt.number(g.rest_value, g.unit),
                       fmt.change(g.difference, g.unit), fmt.p_value(g.p_value)] for g in r.segment_wins],
                     [30, 60, 24, 24, 24, 24], right={2, 3, 4})
        else:
            pdf.para(f"No {r.segment_dimension} does significantly better than the rest of the customers on any "
                     "tested KPI.", size=9, color=MUTED)

    # 5. Risks & Action Plans
    pdf.section(SECTIONS[4], new_page=True)
    for k in r.risks:
        pdf.subheading(k.name, keep=40)
        pdf.para(f"{k.name} " + "; ".join(k.reasons) + ".", size=9)
        pdf.para(f"Owner: {k.owner}" if k.owner else "Owner: unassigned", size=9, style="B",
                 color=INK if k.owner else STATUS["poor"])
        for c in k.comments:
            pdf.para(f"Team {c.kind}" + (f" ({c.author})" if c.author else "") + f": {c.body}", size=8.5,
                     color=MUTED)
        pdf.ln(1)
        pdf.grid(["Risk warnings", "Improvement tips"],
                 [["\n".join(f"• {t}" for t in k.warnings), "\n".join(f"• {t}" for t in k.tips)]],
                 [WIDTH / 2, WIDTH / 2], size=8)
    if not r.risks:
        pdf.para("No KPI is below its band or target or falling significantly"
                 + (" against the baseline." if r.campaign else f" in {r.period_label}."), size=9.5)

    # 6. Next Steps & Requests for Support
    pdf.section(SECTIONS[5], new_page=True)
    pdf.subheading("Next steps", keep=25)
    if r.next_steps:
        pdf.grid(["Step", "KPI", "Owner", "Source"],
                 [[st.text, st.kpi_name or "", st.owner or "unassigned",
                   "team action" if st.kind == "action" else "from the risk"] for st in r.next_steps],
                 [96, 42, 26, 22])
    else:
        pdf.para("No actions were entered and no risk calls for one.", size=9, color=MUTED)
    pdf.subheading("Requests for support", keep=20)
    if r.requests:
        for req in r.requests:
            who = f" ({req.kpi_name}" + (f", {req.owner}" if req.owner else "") + ")" if req.kpi_name else ""
            pdf.para(f"• {req.text}{who}", size=9, indent=2)
    else:
        pdf.para("No requests for support were entered for this period (add them with `advokit comment add KPI "
                 f"--period {r.period.split('..')[0]} --kind request --body TEXT`).", size=9, color=MUTED)

    pdf.ln(4)
    pdf.para("Notes", size=8.5, style="B", color=MUTED)
    for n in r.notes:
        pdf.para(f"• {n}", size=7.8, color=MUTED, indent=2)
    pdf.para(f"Generated by advokit {__version__} on {r.generated}.", size=7.8, color=MUTED)
    return bytes(pdf.output())
