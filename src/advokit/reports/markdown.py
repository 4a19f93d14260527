"""The Markdown report: the same content as the HTML, with text trends (sparklines) instead of charts."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from .._version import __version__
from . import format as fmt
from .model import NOT_TRACKED_TITLE, SECTIONS, Metric, Report, Story
from .narrative import headline_metrics

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


def _num(m: Metric, value: float | None) -> str:
    return fmt.number(value, m.unit, per_month=m.per_month)


def _sig(m: Metric) -> str:
    text = fmt.significance(m)
    if m.p_value is not None:
        text += f" ({fmt.p_value(m.p_value)})"
    return text


def _quote(s: Story) -> list[str]:
    meta = s.type_label + (f", {s.score_label}" if s.score_label else "") + f" · {s.who} · {s.occurred_at[:10]}"
    return [f"> “{esc(s.text)}”  ", f"> — {esc(meta)}", ""]


def render_markdown(r: Report) -> str:
    out: list[str] = [f"# {esc(r.title)}", "", f"*{esc(r.subtitle)}*", ""]
    meta = f"Period {r.period}"
    if r.campaign:
        b = r.campaign.baseline_months
        meta += f" (baseline {b[0]}" + (f"..{b[-1]}" if len(b) > 1 else "") + ")"
    out += [esc(f"{meta} · workspace {r.workspace} · generated {r.generated}"), ""]

    # 1. Executive Summary
    out += [f"## {SECTIONS[0]}", ""]
    for p in r.summary.paragraphs:
        out += [esc(p), ""]
    rows = [[esc(m.name), _num(m, m.value), fmt.change(m.change, m.unit), _sig(m)] for m in headline_metrics(r.metrics)]
    if rows:
        out += _table(["Headline KPI", "Value", "Change", "Significance"], rows, {1, 2})

    # 2. Key Metrics & Trends
    out += [f"## {SECTIONS[1]}", "",
            esc(f"Changes are against {r.reference_label}" + (" (baseline)" if r.campaign else "")
                + f"; the trend column shows the last {len(r.chart_labels)} {r.grain}s "
                + f"({r.chart_labels[0]} to {r.chart_labels[-1]}), · where a period has no value."), ""]
    for area in r.areas:
        out += [f"### {esc(area.name)}", ""]
        head = ["KPI", *(["Baseline", "Campaign"] if r.campaign else ["Value"]), "Change", "Significance", "Band",
                "Target", "Benchmark", "Status", "Trend"]
        rows = []
        for m in area.metrics:
            cells = [esc(m.name)]
            if r.campaign:
                cells.append(_num(m, m.reference))
            cells += [fmt.value(m).replace("*", "\\*"), fmt.change(m.change, m.unit), _sig(m),
                      esc(fmt.band(m)), esc(fmt.target(m)), esc(fmt.benchmark(m)), m.status,
                      fmt.sparkline([p.value for p in m.history])]
            rows.append(cells)
        right = {1, 2, 3} if r.campaign else {1, 2}
        out += _table(head, rows, right)
    if r.not_tracked:
        out += [f"### {NOT_TRACKED_TITLE}", "",
                esc(f"{len(r.not_tracked)} KPI{'s' if len(r.not_tracked) != 1 else ''} of the catalogue "
                    f"cannot be measured in {r.period_label}: the data they read is not in this workspace. "
                    "They are not judged; this is what would light each one up."), ""]
        for nt in r.not_tracked:
            out.append(f"- **{esc(nt.name)}** (`{nt.kpi}`)" + (f": {esc(nt.note)}" if nt.note else ""))
            if not nt.note:
                out += [f"  - {esc(n.label)}: {esc(n.supply)}" for n in nt.inputs]
        out.append("")

    # 3. Customer Stories & Qualitative Insights
    out += [f"## {SECTIONS[2]}", ""]
    s = r.stories
    if s.total:
        out += [esc(f"{s.total} comments, reviews and posts in {r.period_label}: {s.promoter_count} from promoters, "
                    f"{s.passive_count} from passives and {s.detractor_count} from detractors. The strongest "
                    "scores come first, then the most recent."), ""]
        out += ["### Promoters' words", ""]
        for st in s.promoters:
            out += _quote(st)
        if not s.promoters:
            out += ["No promoter comments in this period.", ""]
        out += ["### Detractors' words", ""]
        for st in s.detractors:
            out += _quote(st)
        if not s.detractors:
            out += ["No detractor comments in this period.", ""]
        if s.highlights:
            out += ["### Reviews and testimonials", ""]
            for st in s.highlights:
                out += _quote(st)
        if s.themes:
            out += ["### Themes", ""]
            out += _table(["Theme", "Promoters mention it", "Detractors mention it"],
                          [[esc(t.name), str(t.promoters), str(t.detractors)] for t in s.themes], {1, 2})
    else:
        out += ["No customer comments, reviews or testimonials in this period.", ""]

    # 4. Wins & Opportunities
    out += [f"## {SECTIONS[3]}", ""]
    if r.wins:
        for w in r.wins:
            notes = "".join(f" *Team: {esc(c.body)}*" for c in w.comments if c.kind == "comment")
            out.append(f"- **{esc(w.name)}** {esc('; '.join(w.reasons))}.{notes}")
        out.append("")
    else:
        out += [esc("No KPI improved significantly or beat its target"
                    + (" against the baseline." if r.campaign else f" in {r.period_label}.")), ""]
    if r.segment_dimension:
        out += [f"### Segments that outperform ({esc(r.segment_dimension)})", ""]
        if r.segment_wins:
            out += _table([esc(r.segment_dimension), "KPI", "Value", "All others", "Difference", "Significance"],
                          [[esc(g.group), esc(g.name), fmt.number(g.value, g.unit), fmt.number(g.rest_value, g.unit),
                            fmt.change(g.difference, g.unit), fmt.p_value(g.p_value)] for g in r.segment_wins],
                          {2, 3, 4})
        else:
            out += [esc(f"No {r.segment_dimension} does significantly better than the rest of the customers on "
                        "any tested KPI."), ""]

    # 5. Risks & Action Plans
    out += [f"## {SECTIONS[4]}", ""]
    for k in r.risks:
        out += [f"### {esc(k.name)}", "", esc(f"{k.name} " + "; ".join(k.reasons)) + ".", "",
                f"Owner: **{esc(k.owner)}**" if k.owner else "Owner: *unassigned*", ""]
        for c in k.comments:
            out += [esc(f"Team {c.kind}" + (f" ({c.author})" if c.author else "") + f": {c.body}"), ""]
        out += ["Risk warnings:", ""] + [f"- {esc(t)}" for t in k.warnings] + [""]
        out += ["Improvement tips:", ""] + [f"- {esc(t)}" for t in k.tips] + [""]
    if not r.risks:
        out += [esc("No KPI is below its band or target or falling significantly"
                    + (" against the baseline." if r.campaign else f" in {r.period_label}.")), ""]

    # 6. Next Steps & Requests for Support
    out += [f"## {SECTIONS[5]}", "", "### Next steps", ""]
    if r.next_steps:
        out += _table(["Step", "KPI", "Owner", "Source"],
                      [[esc(st.text), esc(st.kpi_name or ""), esc(st.owner or "unassigned"),
                        "team action" if st.kind == "action" else "from the risk"] for st in r.next_steps])
    else:
        out += ["No actions were entered and no risk calls for one.", ""]
    out += ["### Requests for support", ""]
    if r.requests:
        for req in r.requests:
            who = f" ({req.kpi_name}" + (f", {req.owner}" if req.owner else "") + ")" if req.kpi_name else ""
            out.append(f"- {esc(req.text + who)}")
        out.append("")
    else:
        out += [esc("No requests for support were entered for this period (add them with ")
                + f"`advokit comment add KPI --period {r.period.split('..')[0]} --kind request --body TEXT`).", ""]

    out += ["---", "", "**Notes**", ""] + [f"- {esc(n)}" for n in r.notes]
    out += ["", esc(f"Generated by advokit {__version__} on {r.generated}."), ""]
    return "\n".join(out)
