"""The PDF report (fpdf2): real charts and tables, page numbers, an outline, nothing cut off.

The body (title block and the six sections) flows, a heading always kept with
the start of its content; then a new page opens the appendix (``APPENDIX_TITLE``)
with every KPI, the tables and the definitions. Text is set in DejaVu Sans, the TrueType font that ships inside matplotlib
(``mpl-data/fonts/ttf``), embedded and subset: customer text in most scripts
(Latin, Greek, Cyrillic, many symbols) prints as written; a character the
font lacks (e.g. CJK) prints as ``?`` instead of vanishing silently. Tables
wrap their cells and break across pages between rows, never inside one (fpdf2's
``table`` moves a row that does not fit to the next page, repeating the heading
row); a row of charts that does not fit on the rest of a page starts a new one. Nothing is downloaded, no system library used.
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
from . import layout
from .model import APPENDIX_TITLE, NOT_TRACKED_TITLE, SECTIONS, VOICE_TITLE, Metric, Report, Story

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

    def section(self, title: str, *, keep: float = 30) -> None:
        """A section heading, on the next page when less than ``keep`` mm of its content would follow it."""
        if self.get_y() + 16 + keep > self.page_break_trigger:
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

    def subheading(self, title: str, *, keep: float = 25) -> None:
        if self.get_y() + 10 + keep > self.page_break_trigger:
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

    def chart_rows(self, pngs: list[bytes], *, per_row: int = 2, gap: float = 4.0) -> None:
        """Charts side by side, ``per_row`` to a row; a row that does not fit starts a new page."""
        w = (WIDTH - gap * (per_row - 1)) / per_row
        h = w * charts.KPI_H_IN / charts.KPI_W_IN
        for i in range(0, len(pngs), per_row):
            if self.get_y() + h > self.page_break_trigger:
                self.add_page()
            y = self.get_y()
            for j, png in enumerate(pngs[i:i + per_row]):
                self.image(io.BytesIO(png), x=self.l_margin + j * (w + gap), y=y, w=w, h=h)
            self.set_y(y + h + 2)

    @staticmethod
    def chart_height(per_row: int = 2, gap: float = 4.0) -> float:
        return (WIDTH - gap * (per_row - 1)) / per_row * charts.KPI_H_IN / charts.KPI_W_IN

    def bullet(self, head: str, body: str = "", *, size: float = 9, color: tuple[int, int, int] = INK) -> None:
        """A list item: a bold lead and its sentence, wrapped under a hanging indent."""
        left = self.l_margin
        self.set_x(left)
        self.set_font(FONT, "", size)
        self.set_text_color(*color)
        h = size * 0.5
        self.cell(4, h, "•")
        self.set_left_margin(left + 4)
        try:
            self.set_font(FONT, "B", size)
            self.write(h, safe(head))
            if body:
                self.set_font(FONT, "", size)
                self.write(h, safe(" " + body))
            self.ln(h)
        finally:
            self.set_left_margin(left)
        self.set_x(left)
        self.set_text_color(*INK)
        self.ln(1)


def _status(m: Metric) -> tuple[str, FontFace]:
    return m.status, FontFace(color=STATUS.get(m.status, MUTED), emphasis="BOLD")


def _sig(m: Metric) -> str:
    return layout.significance(m, "\n")


def _story(s: Story) -> str:
    return f"“{s.text}”\n— {layout.story_meta(s)}"


def _kpi_tables(pdf: _Doc, r: Report) -> None:
    """The appendix's "All KPIs": one table per focus area, every KPI with its evidence."""
    for area in r.areas:
        if r.campaign:
            head = ["KPI", "Baseline", "Campaign", "Change", "Significance", "Band", "Target", "Benchmark", "Status"]
            widths: list[float] = [36, 18, 18, 17, 26, 17, 18, 18, 18]
            rows = [[m.name, fmt.amount(m, m.reference), fmt.value(m), fmt.delta(m), _sig(m), fmt.band(m),
                     fmt.target(m), fmt.benchmark(m), _status(m)] for m in area.metrics]
            right = {1, 2, 3}
        else:
            head = ["KPI", "Value", "Change", "Significance", "Band", "Target", "Benchmark", "Status"]
            widths = [42, 21, 19, 28, 18, 19, 21, 18]
            rows = [[m.name, fmt.value(m), fmt.delta(m), _sig(m), fmt.band(m), fmt.target(m), fmt.benchmark(m),
                     _status(m)] for m in area.metrics]
            right = {1, 2}
        pdf.subheading(area.name)
        pdf.grid(head, rows, widths, right=right)


def _voice(pdf: _Doc, r: Report) -> None:
    """Closed loop & social listening: the sentences of :mod:`.layout` and its small tables."""
    pdf.subheading(VOICE_TITLE, keep=20)
    for title, lines, tables in (
            ("Closed loop", layout.loop_lines(r), [(layout.open_loops_table(r), [40, 24, 26, 40, 36], {2})]),
            ("Social listening", layout.listening_lines(r),
             [(layout.authors_table(r), [60, 36, 26, 26, 18], {2, 3}),
              (layout.share_of_voice_table(r), [80, 40, 46], {1, 2})])):
        pdf.para(title, size=9, style="B")
        for line in lines:
            pdf.para(line, size=9)
        for (head, rows), widths, right in tables:
            if rows:
                pdf.ln(1)
                pdf.grid(head, rows, widths, right=right, size=8)
        pdf.ln(2)


def _body(pdf: _Doc, r: Report) -> None:
    s = r.stories
    # 1. Executive Summary
    pdf.section(SECTIONS[0])
    for p in r.summary.paragraphs:
        pdf.para(p, size=9.5)
        pdf.ln(2)
    top = layout.headline(r)
    if top:
        if r.campaign:
            pdf.grid(["Headline KPI", "Baseline", "Campaign", "Change", "Significance", "Status"],
                     [[m.name, fmt.amount(m, m.reference), fmt.value(m), fmt.delta(m), _sig(m), _status(m)]
                      for m in top], [56, 24, 24, 24, 36, 22], right={1, 2, 3}, size=8.5)
        else:
            pdf.grid(["Headline KPI", "Value", "Change", "Significance", "Status"],
                     [[m.name, fmt.value(m), fmt.delta(m), _sig(m), _status(m)] for m in top],
                     [64, 30, 30, 40, 22], right={1, 2}, size=8.5)

    # 2. Key Metrics & Trends: one chart per headline KPI, two to a row
    pdf.section(SECTIONS[1], keep=10 + pdf.chart_height())
    pdf.para(f"The headline KPIs over the last {len(r.chart_labels)} {r.grain}s"
             + (", the campaign and baseline windows shaded" if r.campaign else "")
             + "; the band is the 95 % interval, the dashed line the target. Every KPI is in the appendix.",
             size=8.5, color=MUTED)
    pdf.ln(1)
    pdf.chart_rows([charts.kpi_png(m, r) for m in top])
    if r.not_tracked:
        pdf.subheading(NOT_TRACKED_TITLE, keep=10)
        pdf.para(layout.not_tracked_line(r) + " " + ", ".join(nt.name for nt in r.not_tracked) + ".",
                 size=8.5, color=MUTED)

    # 3. Customer Stories & Qualitative Insights
    pdf.section(SECTIONS[2])
    quotes = layout.chosen(r)
    if s.total:
        pdf.para(f"{s.total} comments, reviews and posts in {r.period_label}: {s.promoter_count} from promoters, "
                 f"{s.passive_count} from passives and {s.detractor_count} from detractors.", size=9)
        pdf.ln(2)
        if not quotes:
            pdf.para(layout.NO_QUOTE, size=9, color=MUTED)
        for st in quotes:
            why = layout.story_why(st)
            if why:
                pdf.para(why, size=8.5, style="B", indent=3)
            pdf.para(f"“{st.text}”", size=9, style="I", indent=3)
            pdf.para(f"— {layout.story_meta(st)}", size=7.5, color=MUTED, indent=3)
            pdf.ln(2)
    else:
        pdf.para("No customer comments, reviews or testimonials in this period.", size=9, color=MUTED)
    if r.voice is not None:
        _voice(pdf, r)

    # 4. Wins & Opportunities
    pdf.section(SECTIONS[3])
    for w in r.body_wins:
        pdf.bullet(w.name, layout.after_name(w))
    if not r.wins:
        pdf.para("No KPI improved significantly or beat its target"
                 + (" against the baseline." if r.campaign else f" in {r.period_label}."), size=9.5)
    for g in r.segment_wins[:layout.BODY_SEGMENT_WINS]:
        pdf.bullet(layout.segment_lead(g), layout.segment_sentence(g))
    extra = len(r.wins) - len(r.body_wins)
    if extra > 0:
        pdf.para(layout.more(extra, "win"), size=8.5, color=MUTED)
    line = layout.new_advocates_line(r)
    if line:
        pdf.bullet(layout.NEW_ADVOCATES + ":", line)

    # 5. Risks & Action Plans
    pdf.section(SECTIONS[4])
    if r.body_risks:
        pdf.grid(["Risk", "What the numbers say", "Action", "Owner", "Due"],
                 [[k.name, layout.summary(k), layout.action(k), k.owner or "—", k.due or "—"] for k in r.body_risks],
                 [32, 60, 52, 23, 19], size=8)
        line = layout.no_owner(r)
        if line:
            pdf.para(line, size=9, style="B", color=STATUS["poor"])
        extra = len(r.risks) - len(r.body_risks)
        if extra > 0:
            pdf.para(layout.more(extra, "risk"), size=8.5, color=MUTED)
    else:
        pdf.para("No KPI is below its band or target or falling significantly"
                 + (" against the baseline." if r.campaign else f" in {r.period_label}."), size=9.5)
    line = layout.new_at_risk_line(r)
    if line:
        pdf.bullet(layout.NEW_AT_RISK + ":", line)

    # 6. Next Steps & Requests for Support
    pdf.section(SECTIONS[5])
    steps, more_steps = layout.body_part(layout.steps(r))
    requests, more_requests = layout.body_part(r.requests)
    if not steps and not requests:
        pdf.para(layout.nothing_asked(r), size=9.5)
    if steps:
        pdf.subheading("Next steps", keep=12)
        pdf.grid(["Action", "KPI", "Owner", "Due"],
                 [[st.text, st.kpi_name or "", st.owner or "—", st.due or "—"] for st in steps], [98, 42, 27, 19])
        if more_steps:
            pdf.para(layout.more(more_steps, "action"), size=8.5, color=MUTED)
    if requests:
        pdf.subheading("Requests for support", keep=12)
        pdf.grid(["Request", "KPI", "Owner", "Due"],
                 [[st.text, st.kpi_name or "", st.owner or "—", st.due or "—"] for st in requests],
                 [98, 42, 27, 19])
        if more_requests:
            pdf.para(layout.more(more_requests, "request"), size=8.5, color=MUTED)


def _appendix(pdf: _Doc, r: Report) -> None:
    s = r.stories
    pdf.add_page()
    pdf.start_section(APPENDIX_TITLE, level=0)
    pdf.set_font(FONT, "B", 15)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 9, APPENDIX_TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + WIDTH, pdf.get_y())
    pdf.ln(3)
    pdf.set_text_color(*INK)

    pdf.subheading("All KPIs")
    pdf.para(f"Every KPI of the catalogue by focus area; changes are against {r.reference_label}"
             + (" (baseline)." if r.campaign else "."), size=8.5, color=MUTED)
    _kpi_tables(pdf, r)
    if r.not_tracked:
        pdf.subheading(f"{NOT_TRACKED_TITLE}: what would light them up")
        for nt in r.not_tracked:
            pdf.para(f"{nt.name} ({nt.kpi})" + (f": {layout.no_command(nt.note)}" if nt.note and not nt.inputs
                                                 else ""), size=9,
                     style="B")
            for need in nt.inputs:
                pdf.para(f"- {need.label} ({need.input}): {layout.no_command(need.supply)}", size=8.5)
    if r.segment_dimension:
        pdf.subheading(f"Segments that outperform ({r.segment_dimension})")
        if r.segment_wins:
            pdf.grid([r.segment_dimension, "KPI", "Value", "All others", "Difference", "Significance"],
                     [[g.group, g.name, fmt.group_number(g, g.value), fmt.group_number(g, g.rest_value),
                       fmt.group_change(g), fmt.p_value(g.p_value)] for g in r.segment_wins],
                     [30, 60, 24, 24, 24, 24], right={2, 3, 4})
        else:
            pdf.para(f"No {r.segment_dimension} does significantly better than the rest of the customers on any "
                     "tested KPI.", size=9, color=MUTED)
    if s.themes:
        pdf.subheading("Themes")
        pdf.grid(["Theme", "Promoters mention it", "Detractors mention it"],
                 [[t.name, str(t.promoters), str(t.detractors)] for t in s.themes], [70, 40, 40], right={1, 2})
    pairs = max(len(s.promoters), len(s.detractors))
    if pairs:
        pdf.subheading("More customer words")
        rows = [[_story(s.promoters[i]) if i < len(s.promoters) else "",
                 _story(s.detractors[i]) if i < len(s.detractors) else ""] for i in range(pairs)]
        pdf.grid(["Promoters' words", "Detractors' words"], rows, [WIDTH / 2, WIDTH / 2], size=8)
    if s.highlights:
        pdf.subheading("Reviews and testimonials")
        pdf.grid(["Quote", "From"], [[f"“{st.text}”", layout.story_meta(st)] for st in s.highlights], [136, 50],
                 size=8)
    if r.wins:
        pdf.subheading("Wins in detail")
        for w in r.wins:
            notes = "".join(f" Team: {c.body}" for c in w.comments if c.kind == "comment")
            pdf.bullet(w.name, fmt.sentence("; ".join(w.reasons)) + "." + notes, size=8.5)
    if r.risks:
        pdf.subheading("Risks in detail")
        pdf.grid(["Risk", "Why", "Owner", "Warnings", "Improvement tips"],
                 [[k.name, fmt.sentence("; ".join(k.reasons)) + ".", k.owner or "—",
                   "\n".join(f"• {t}" for t in k.warnings), "\n".join(f"• {t}" for t in k.tips)] for k in r.risks],
                 [30, 40, 20, 46, 50], size=7.5)
    steps = layout.steps(r)
    if len(steps) > layout.BODY_STEPS or len(r.requests) > layout.BODY_STEPS:
        pdf.subheading("All actions and requests")
        pdf.grid(["Action or request", "Kind", "KPI", "Owner", "Due"],
                 [[st.text, st.kind, st.kpi_name or "", st.owner or "—", st.due or "—"] for st in steps + r.requests],
                 [85, 18, 40, 24, 19], size=8)
    top = layout.headline(r)
    if top:
        pdf.subheading("Definitions")
        pdf.grid(["Headline KPI", "Definition", "Formula"],
                 [[m.name, m.definition or "—", m.formula or "—"] for m in top], [40, 86, 60], size=8)
    pdf.subheading("Notes", keep=12)
    for n in r.notes:
        pdf.para(f"• {layout.no_command(n)}", size=7.8, color=MUTED, indent=2)
    pdf.para(f"Generated by advokit {__version__} on {r.generated}.", size=7.8, color=MUTED)


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
    _body(pdf, r)
    _appendix(pdf, r)
    return bytes(pdf.output())
