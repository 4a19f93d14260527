"""The Markdown report: the same body and appendix as the HTML, with text trends (sparklines) instead of charts."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from .._version import __version__
from . import format as fmt
from . import layout
from .model import APPENDIX_TITLE, NOT_TRACKED_TITLE, SECTIONS, VOICE_TITLE, Metric, Report, Step, Story

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def esc(text: str) -> str:
    """Text that Markdown shows as written (no links, emphasis, HTML or table breaks)."""
    return _SPECIAL.sub(r"\\\1", text)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(head: list[str], rows: list[list[str]], right: AbstractSet[int] = frozenset()) -> list[str]:
    out = [_row(head), _row([("---:" if i in right else "---") for i in range(len(head))])]
    out += [_row(r) for r in rows]
    return out + [""]


def _simple(table: layout.Table, right: AbstractSet[int]) -> list[str]:
    head, rows = table
    return _table(head, [[esc(c) for c in row] for row in rows], right) if rows else []


def _sig(m: Metric) -> str:
    return layout.significance(m)


def _quote(s: Story, *, why: bool = False) -> list[str]:
    lead = [f"> **{esc(layout.story_why(s))}**  "] if why and layout.story_why(s) else []
    return lead + [f"> “{esc(s.text)}”  ", f"> — {esc(layout.story_meta(s))}", ""]


def _steps(items: list[Step], what: str) -> list[str]:
    return _table([what, "KPI", "Owner", "Due"],
                  [[esc(st.text), esc(st.kpi_name or ""), esc(st.owner or "—"), st.due or "—"] for st in items])


def _value(m: Metric) -> str:
    return fmt.value(m).replace("*", "\\*")


def render_markdown(r: Report) -> str:
    out: list[str] = [f"# {esc(r.title)}", "", f"*{esc(r.subtitle)}*", ""]
    meta = f"Period {r.period}"
    if r.campaign:
        b = r.campaign.baseline_months
        meta += f" (baseline {b[0]}" + (f"..{b[-1]}" if len(b) > 1 else "") + ")"
    out += [esc(f"{meta} · workspace {r.workspace} · generated {r.generated}"), ""]
    s = r.stories
    top = layout.headline(r)

    # 1. Executive Summary
    out += [f"## {SECTIONS[0]}", ""]
    for p in r.summary.paragraphs:
        out += [esc(p), ""]
    if top:
        if r.campaign:
            out += _table(["Headline KPI", "Baseline", "Campaign", "Change", "Significance", "Status"],
                          [[esc(m.name), fmt.amount(m, m.reference), _value(m), fmt.delta(m), _sig(m), m.status]
                           for m in top], {1, 2, 3})
        else:
            out += _table(["Headline KPI", "Value", "Change", "Significance", "Status"],
                          [[esc(m.name), _value(m), fmt.delta(m), _sig(m), m.status] for m in top], {1, 2})

    # 2. Key Metrics & Trends (a text trend per headline KPI)
    out += [f"## {SECTIONS[1]}", "",
            esc(f"The headline KPIs over the last {len(r.chart_labels)} {r.grain}s, oldest first. Every KPI is in "
                "the appendix."), ""]
    for m in top:
        trend = fmt.sparkline([p.value for p in m.history])
        out.append(f"- **{esc(m.name)}** {trend} {_value(m)} ({fmt.delta(m)})".replace("  ", " "))
    if top:
        out.append("")
    if r.not_tracked:
        out += [f"### {NOT_TRACKED_TITLE}", "",
                esc(layout.not_tracked_line(r)) + " "
                + ", ".join(f"{esc(nt.name)} (`{nt.kpi}`)" for nt in r.not_tracked) + ".", ""]

    # 3. Customer Stories & Qualitative Insights
    out += [f"## {SECTIONS[2]}", ""]
    if s.total:
        out += [esc(f"{s.total} comments, reviews and posts in {r.period_label}: {s.promoter_count} from promoters, "
                    f"{s.passive_count} from passives and {s.detractor_count} from detractors."), ""]
        for st in layout.chosen(r):
            out += _quote(st, why=True)
        if not layout.chosen(r):
            out += [layout.NO_QUOTE, ""]
    else:
        out += ["No customer comments, reviews or testimonials in this period.", ""]
    if r.voice is not None:
        out += [f"### {VOICE_TITLE}", "", "**Closed loop**", ""]
        for line in layout.loop_lines(r):
            out += [esc(line), ""]
        out += _simple(layout.open_loops_table(r), {2})
        out += ["**Social listening**", ""]
        for line in layout.listening_lines(r):
            out += [esc(line), ""]
        out += _simple(layout.authors_table(r), {2, 3}) + _simple(layout.share_of_voice_table(r), {1, 2})

    # 4. Wins & Opportunities
    out += [f"## {SECTIONS[3]}", ""]
    items = [f"- **{esc(w.name)}** {esc(layout.after_name(w))}" for w in r.body_wins]
    items += [f"- **{esc(layout.segment_lead(g))}** {esc(layout.segment_sentence(g))}"
              for g in r.segment_wins[:layout.BODY_SEGMENT_WINS]]
    if items:
        out += items + [""]
    if not r.wins:
        out += [esc("No KPI improved significantly or beat its target"
                    + (" against the baseline." if r.campaign else f" in {r.period_label}.")), ""]
    elif len(r.wins) > len(r.body_wins):
        out += [layout.more(len(r.wins) - len(r.body_wins), "win"), ""]
    if layout.new_advocates_line(r):
        out += [f"**{layout.NEW_ADVOCATES}:** {esc(layout.new_advocates_line(r) or '')}", ""]

    # 5. Risks & Action Plans
    out += [f"## {SECTIONS[4]}", ""]
    if r.body_risks:
        out += _table(["Risk", "What the numbers say", "Action", "Owner", "Due"],
                      [[f"**{esc(k.name)}**", esc(layout.summary(k)), esc(layout.action(k)), esc(k.owner or "—"),
                        k.due or "—"] for k in r.body_risks])
        if layout.no_owner(r):
            out += [f"**{esc(layout.no_owner(r))}**", ""]
        if len(r.risks) > len(r.body_risks):
            out += [layout.more(len(r.risks) - len(r.body_risks), "risk"), ""]
    else:
        out += [esc("No KPI is below its band or target or falling significantly"
                    + (" against the baseline." if r.campaign else f" in {r.period_label}.")), ""]
    if layout.new_at_risk_line(r):
        out += [f"**{layout.NEW_AT_RISK}:** {esc(layout.new_at_risk_line(r) or '')}", ""]

    # 6. Next Steps & Requests for Support
    out += [f"## {SECTIONS[5]}", ""]
    all_steps = layout.steps(r)
    steps, more_steps = layout.body_part(all_steps)
    requests, more_requests = layout.body_part(r.requests)
    if not steps and not requests:
        out += [esc(layout.nothing_asked(r)), ""]
    if steps:
        out += ["### Next steps", ""] + _steps(steps, "Action")
        if more_steps:
            out += [layout.more(more_steps, "action"), ""]
    if requests:
        out += ["### Requests for support", ""] + _steps(requests, "Request")
        if more_requests:
            out += [layout.more(more_requests, "request"), ""]

    # Appendix
    out += ["---", "", f"## {APPENDIX_TITLE}", "", "### All KPIs", "",
            esc(f"Every KPI of the catalogue by focus area; changes are against {r.reference_label}"
                + (" (baseline)." if r.campaign else ".")), ""]
    for area in r.areas:
        out += [f"#### {esc(area.name)}", ""]
        head = ["KPI", *(["Baseline", "Campaign"] if r.campaign else ["Value"]), "Change", "Significance", "Band",
                "Target", "Benchmark", "Status", "Trend"]
        rows = []
        for m in area.metrics:
            cells = [esc(m.name)]
            if r.campaign:
                cells.append(fmt.amount(m, m.reference))
            cells += [_value(m), fmt.delta(m), _sig(m), esc(fmt.band(m)), esc(fmt.target(m)),
                      esc(fmt.benchmark(m)), m.status, fmt.sparkline([p.value for p in m.history])]
            rows.append(cells)
        out += _table(head, rows, {1, 2, 3} if r.campaign else {1, 2})
    if r.not_tracked:
        out += [f"### {NOT_TRACKED_TITLE}: what would light them up", ""]
        for nt in r.not_tracked:
            out.append(f"- **{esc(nt.name)}**" + (f": {esc(layout.no_command(nt.note))}"
                                                 if nt.note and not nt.inputs else ""))
            out += [f"  - {esc(n.label)} ({esc(n.input)}): {esc(layout.no_command(n.supply))}" for n in nt.inputs]
        out.append("")
    if r.segment_dimension:
        out += [f"### Segments that outperform ({esc(r.segment_dimension)})", ""]
        if r.segment_wins:
            out += _table([esc(r.segment_dimension), "KPI", "Value", "All others", "Difference", "Significance"],
                          [[esc(g.group), esc(g.name), fmt.group_number(g, g.value), fmt.group_number(g, g.rest_value),
                            fmt.group_change(g), fmt.p_value(g.p_value)] for g in r.segment_wins],
                          {2, 3, 4})
        else:
            out += [esc(f"No {r.segment_dimension} does significantly better than the rest of the customers on "
                        "any tested KPI."), ""]
    if s.themes:
        out += ["### Themes", ""]
        out += _table(["Theme", "Promoters mention it", "Detractors mention it"],
                      [[esc(t.name), str(t.promoters), str(t.detractors)] for t in s.themes], {1, 2})
    if s.promoters or s.detractors or s.highlights:
        out += ["### More customer words", "", "#### Promoters' words", ""]
        for st in s.promoters:
            out += _quote(st)
        if not s.promoters:
            out += ["No promoter comments in this period.", ""]
        out += ["#### Detractors' words", ""]
        for st in s.detractors:
            out += _quote(st)
        if not s.detractors:
            out += ["No detractor comments in this period.", ""]
        if s.highlights:
            out += ["#### Reviews and testimonials", ""]
            for st in s.highlights:
                out += _quote(st)
    if r.wins:
        out += ["### Wins in detail", ""]
        for w in r.wins:
            notes = "".join(f" *Team: {esc(c.body)}*" for c in w.comments if c.kind == "comment")
            out.append(f"- **{esc(w.name)}** {esc('; '.join(w.reasons))}.{notes}")
        out.append("")
    if r.risks:
        out += ["### Risks in detail", ""]
        for k in r.risks:
            out += [f"#### {esc(k.name)}", "", esc(f"{k.name} " + "; ".join(k.reasons)) + ".", ""]
            if k.owner:
                out += [esc(f"Owner: {k.owner}" + (f", due {k.due}" if k.due else "") + "."), ""]
            for c in k.comments:
                out += [esc(f"Team {c.kind}" + (f" ({c.author})" if c.author else "") + f": {c.body}"), ""]
            out += ["Risk warnings:", ""] + [f"- {esc(t)}" for t in k.warnings] + [""]
            out += ["Improvement tips:", ""] + [f"- {esc(t)}" for t in k.tips] + [""]
    if more_steps or more_requests:
        out += ["### All actions and requests", ""] + _steps(all_steps + r.requests, "Action or request")
    if top:
        out += ["### Definitions", ""]
        for m in top:
            out += [f"- **{esc(m.name)}**: {esc(m.definition or '—')}"
                    + (f" Formula: {esc(m.formula)}" if m.formula else "")]
        out.append("")
    out += ["### Notes", ""] + [f"- {esc(layout.no_command(n))}" for n in r.notes]
    out += ["", esc(f"Generated by advokit {__version__} on {r.generated}."), ""]
    return "\n".join(out)
