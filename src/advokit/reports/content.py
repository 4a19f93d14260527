"""Build a :class:`~advokit.reports.model.Report` from a workspace (no formats here).

Monthly and quarterly reports take every KPI of the catalogue through
:meth:`Workspace.analyze` over the last 12 periods (value, 95 % interval,
change against the previous period and its significance, band, target,
status); a campaign report pools whole months of a campaign window and of a
baseline window (:func:`advokit.analysis.compare.compare_windows`). Segments
that outperform are each group of ``by`` tested against all other customers
(:func:`advokit.analysis.compare.compare_to_rest`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, Literal

from ..analysis.targets import applicable, list_targets
from ..analysis.targets import status as target_status
from ..catalogue.model import FOCUS_AREAS, KpiDefinition
from ..coverage import NOT_TRACKED, inputs_of, supply_hint
from ..engine.periods import Period, check_in_data, parse_bound, parse_period_label, period_of
from ..errors import InvalidArgumentError, PeriodOutsideDataError, UnknownDimensionError
from . import format as fmt
from . import narrative
from .model import (
    GRAIN_OF,
    KINDS,
    BODY_FINDINGS,
    MAX_HEADLINE,
    Campaign,
    Comment,
    Finding,
    FocusArea,
    Kind,
    Metric,
    Need,
    NotTracked,
    Point,
    Report,
    SegmentWin,
    Significance,
    Step,
)
from .advocates import collect as collect_advocates
from .stories import TYPES as STORY_TYPES
from .stories import Want, collect
from .voice import collect as collect_voice

if TYPE_CHECKING:
    from ..workspace import Workspace

HISTORY = 12  # periods in every trend chart
MAX_SEGMENT_WINS = 8
ALPHA = 0.05
DIRECT_VOICE = ("nps_response", "csat_response", "ces_response", "review", "testimonial")
_SEVERITY = {"worse": 4, "missed": 3, "poor": 2}


def _texts(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _benchmarks(kpi: KpiDefinition) -> list[str]:
    """Up to two benchmarks, value and industry (sources: ``advokit kpi show ID``)."""
    return [fmt.number(b.value, kpi.unit, scale=kpi.scale) + f" ({b.industry or 'all industries'})" for b in kpi.benchmarks[:2]]


def _significance(p: float | None, change: float | None) -> Significance:
    if p is None or change is None or (p < ALPHA and change == 0):  # no direction to claim
        return "untested"
    if p < ALPHA:
        return "up" if change > 0 else "down"
    return "none"


def resolve_kind(kind: str | None, period: str | None, start: Any) -> Kind:
    if kind is None:
        if start is not None:
            return "campaign"
        if period is not None and "-Q" in period.upper():
            return "quarterly"
        return "monthly"
    if kind not in KINDS:
        raise InvalidArgumentError(f"unknown report kind {kind!r}", hint="use one of: " + ", ".join(KINDS))
    return kind


def resolve_period(ws: "Workspace", kind: Kind, period: str | None, notes: list[str]) -> Period:
    grain = GRAIN_OF[kind]
    if period is None:
        label = ws.latest_complete_period(grain)  # type: ignore[arg-type]
        if label is None:
            raise InvalidArgumentError("the workspace holds no data", hint="import customers and events first")
        return parse_period_label(label)
    p = parse_period_label(period)
    if p.grain == grain:
        return p
    if grain == "quarter" and p.grain == "month":
        q = period_of(p.start, "quarter")
        notes.append(f"The period {p.label} was taken as its quarter, {q.label}.")
        return q
    want = "YYYY-MM (a month)" if grain == "month" else "YYYY-Qn (a quarter)"
    raise InvalidArgumentError(f"a {kind} report needs a period like {want}, not {period!r}",
                               hint="e.g. --period 2025-09 for monthly, --period 2025-Q3 for quarterly")


def _comments(ws: "Workspace", labels: set[str]) -> tuple[dict[str, list[Comment]], dict[str, str]]:
    """Comments of the report's periods by KPI, and each KPI's owner (latest named in them, else ever)."""
    by_kpi: dict[str, list[Comment]] = {}
    owners: dict[str, str] = {}
    earlier: dict[str, str] = {}
    # oldest first; comments entered within the same second by their text (ids are random)
    ordered = sorted(ws.commentary.list(), key=lambda c: (c["created_at"] or "", c["kind"], c["body"], c["owner"] or "",
                                                   c["author"] or "", c["id"]))
    for c in ordered:
        if c["period"] in labels:
            by_kpi.setdefault(c["kpi"], []).append(Comment(kpi=c["kpi"], period=c["period"], body=c["body"],
                                                          kind=c["kind"], author=c["author"], owner=c["owner"],
                                                          created_at=c["created_at"], due=c.get("due")))
            if c["owner"]:
                owners[c["kpi"]] = c["owner"]
        elif c["owner"]:
            earlier[c["kpi"]] = c["owner"]
    return by_kpi, {**earlier, **owners}


def _history(ws: "Workspace", ids: Sequence[str], last: Period,
             filters: Mapping[str, str | None] | None) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
    first = last.shift(-(HISTORY - 1))
    rows = ws.analyze(list(ids), period=last.grain, start=first.start, end=last.end, filters=filters)
    labels = [first.shift(i).label for i in range(HISTORY)]
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["kpi"], []).append(r)
    return labels, out


def _needs_events(kpi: KpiDefinition) -> bool:
    """False only for KPIs computed from the customers table alone (churn, retention)."""
    from ..catalogue.model import CustomCompute, PopulationMeasure
    from ..engine.measures import kpi_leaves

    if isinstance(kpi.compute, CustomCompute):
        return True
    return not all(isinstance(leaf, PopulationMeasure) for leaf in kpi_leaves(kpi))


def _first_event(ws: "Workspace") -> dt.date | None:
    row = ws.db.cursor().execute("SELECT min(occurred_at) FROM events").fetchone()
    return None if not row or row[0] is None else row[0].date()


def _points(labels: Sequence[str], rows: Sequence[Mapping[str, Any]], *, since: dt.date | None) -> list[Point]:
    """The trend of one KPI; periods that end before ``since`` (the first event) have no data, not zeros."""
    by_label = {r["period"]: r for r in rows}
    out = []
    for label in labels:
        r = by_label.get(label, {})
        if since is not None and parse_period_label(label).end <= since:
            r = {}
        target = r.get("target") or {}
        out.append(Point(label=label, value=r.get("value"), ci_low=r.get("ci_low"), ci_high=r.get("ci_high"),
                         target=target.get("value")))
    return out


def _metric_from_row(kpi: KpiDefinition, row: Mapping[str, Any]) -> Metric:
    band = row.get("band") or {}
    target = row.get("target") or {}
    return Metric(kpi=kpi.id, name=kpi.name, unit=kpi.unit, direction=kpi.direction, value=row.get("value"),
                  reference=row.get("previous"), change=row.get("change"), change_pct=row.get("change_pct"),
                  p_value=row.get("change_p_value"),
                  significance=_significance(row.get("change_p_value"), row.get("change")),
                  n=row.get("n"), small_sample=bool(row.get("small_sample")), ci_low=row.get("ci_low"),
                  ci_high=row.get("ci_high"), band=band.get("label"), band_rating=band.get("rating"),
                  target=target.get("value"), target_status=target.get("status"), benchmarks=_benchmarks(kpi),
                  status=row.get("status") or "unknown")


def _campaign_metric(ws: "Workspace", kpi: KpiDefinition, row: Mapping[str, Any], first_month: Period,
                     filters: Mapping[str, str | None] | None) -> Metric:
    from ..analysis.trend import overall_status

    a, b = row["campaign"], row["baseline"]
    value = a["value"]
    band = kpi.band_for(value) if not a["per_month"] else None
    found = applicable(list_targets(ws.kpis, [kpi.id]), first_month, dict(filters or {}))
    goal = None if found is None or a["per_month"] else found.value
    t_status = None if goal is None else target_status(kpi, value, goal)
    sig = _significance(row["p_value"], row["difference"])
    decorated = {"value": value, "ci_low": a["ci_low"], "ci_high": a["ci_high"], "change": row["difference"],
                 "change_significant": sig in ("up", "down"),
                 "band": None if band is None else {"label": band.label, "rating": band.rating},
                 "target": None if goal is None else {"value": goal, "status": t_status}}
    return Metric(kpi=kpi.id, name=kpi.name, unit=kpi.unit, direction=kpi.direction, value=value,
                  reference=b["value"], change=row["difference"], change_pct=row["difference_pct"],
                  p_value=row["p_value"], significance=sig, n=a["n"],
                  small_sample=a["n"] is not None and a["n"] < 30 and kpi.small_sample_basis == "n",
                  ci_low=a["ci_low"], ci_high=a["ci_high"], band=None if band is None else band.label,
                  band_rating=None if band is None else band.rating, target=goal, target_status=t_status,
                  benchmarks=_benchmarks(kpi), status=overall_status(kpi, decorated), per_month=a["per_month"])


def _significant_move(m: Metric, reference_name: str) -> str:
    """'rose significantly from A (reference) to B (change, p)': the appendix's reason for a win or risk."""
    word = "rose" if m.significance == "up" else "fell"
    return (f"{word} significantly from {fmt.amount(m, m.reference)} ({reference_name}) to {fmt.value(m)} "
            f"({fmt.delta(m)}, {fmt.p_value(m.p_value)})")


def _band_win(m: Metric, headline: AbstractSet[str]) -> bool:
    """In the catalogue's top band (excellent), or a good band for a headline KPI, and not a risk otherwise."""
    if m.value is None or m.worsened or m.target_status == "missed":
        return False
    return m.band_rating == "excellent" or (m.band_rating == "good" and m.kpi in headline)


def _reasons_win(m: Metric, reference_name: str, headline: AbstractSet[str]) -> list[str]:
    out = []
    if m.improved:
        out.append(_significant_move(m, reference_name))
    if m.target_status == "met":
        out.append(f"met its target of {fmt.amount(m, m.target)} with {fmt.value(m)}")
    if _band_win(m, headline):
        out.append(f"is in the {m.band} band ({fmt.value(m)})")
    return out


def _reasons_risk(m: Metric, reference_name: str) -> list[str]:
    out = []
    if m.worsened:
        out.append(_significant_move(m, reference_name) + ", a change for the worse")
    if m.target_status == "missed":
        out.append(f"missed its target of {fmt.amount(m, m.target)} with {fmt.value(m)}")
    if m.band_rating == "poor":
        out.append(f"is in the {m.band} band ({fmt.value(m)}), below the catalogue's acceptable range")
    return out


def _summary(m: Metric, *, win: bool, headline: AbstractSet[str]) -> str:
    """One plain sentence for the body: what moved, by how much, against what (no p-values)."""
    parts = []
    if m.significant and (m.improved if win else m.worsened):
        word = "rose" if m.significance == "up" else "fell"
        parts.append(f"{word} significantly to {fmt.value(m)} from {fmt.amount(m, m.reference)} ({fmt.delta(m)})")
    if m.target_status == ("met" if win else "missed") and m.target is not None:
        parts.append(f"{'met' if win else 'missed'} its target of {fmt.amount(m, m.target)}"
                     + ("" if parts else f" with {fmt.value(m)}"))
    if (win and _band_win(m, headline)) or (not win and m.band_rating == "poor"):
        parts.append(f"{'sits' if parts else 'is'} in the {m.band} band" + ("" if parts else f" at {fmt.value(m)}"))
    return fmt.sentence(fmt.join_and(parts)) + "."


def _severity(m: Metric) -> int:
    return (_SEVERITY["worse"] * m.worsened + _SEVERITY["poor"] * (m.band_rating == "poor")
            + _SEVERITY["missed"] * (m.target_status == "missed"))


def _plan(comments: Sequence[Comment]) -> tuple[str | None, str | None]:
    """The team's action on a KPI (the latest action comment) and its due date (the latest one given)."""
    actions = [c for c in comments if c.kind == "action"]
    due = next((c.due for c in reversed(actions) if c.due), None)
    return (actions[-1].body if actions else None), due


def _headline_ids(ws: "Workspace") -> tuple[list[str], str]:
    """The headline KPI ids, and where they come from ("workspace" when configured, else "catalogue")."""
    configured = ws.settings.report_headline()
    if configured:
        return list(configured), "workspace"
    return ws.catalogue.headline_ids(limit=len(ws.catalogue.ids)), "catalogue"


def _choose_headline(ws: "Workspace", metrics: Mapping[str, Metric], shown: AbstractSet[str],
                     order: Sequence[str]) -> tuple[list[Metric], str, list[str]]:
    """At most MAX_HEADLINE KPIs with data: the configured ones as given (those without data are named in a
    note), else the catalogue's ranked ones topped up from the rest in catalogue order."""
    ids, source = _headline_ids(ws)
    if source == "workspace":
        chosen = [k for k in ids if k in shown][:MAX_HEADLINE]
        return [metrics[k] for k in chosen], source, [k for k in ids if k not in shown]
    live = [k for k in ids if k in shown and metrics[k].value is not None]
    live += [k for k in order if k not in live and k in shown and metrics[k].value is not None]
    return [metrics[k] for k in live[:MAX_HEADLINE]], source, []


def _wants(headline: Sequence[Metric], ordered: Sequence[Metric], kpis: Mapping[str, KpiDefinition],
           findings: Sequence[Finding]) -> list[Want]:
    """What the body's quotes should illustrate: the body's risks and wins first (a detractor for a risk, a
    promoter for a win), then the other headline KPIs and the KPIs that read one survey or reviews (the
    strongest words of either side)."""
    def want(m: Metric) -> Want | None:
        types = tuple(t for i in inputs_of(kpis[m.kpi]) if i.kind == "events" for t in i.types if t in STORY_TYPES)
        if not types:
            return None
        bad = m.worsened or m.band_rating == "poor" or m.target_status == "missed"
        voice: Literal["promoter", "detractor", "any"] = "detractor" if bad else (
            "promoter" if m.improved or m.target_status == "met" else "any")
        if m.kpi in said:
            why = f"{m.name}: {said[m.kpi]}"
        elif m.significant:
            word = "rose" if m.significance == "up" else "fell"
            why = f"{m.name} {word} to {fmt.value(m)} ({fmt.delta(m)})"
        else:
            why = f"{m.name}: {fmt.value(m)}" + (f", {m.band} band" if m.band else "")
        return Want(kpi=m.kpi, kpi_name=m.name, types=types, voice=voice, why=why)

    said = {f.kpi: (f.summary[:1].lower() + f.summary[1:]).rstrip(".") for f in reversed(findings)}
    order: dict[str, Metric] = {}
    # relevance: what the body talks about, then the KPIs that are customers' own words (a survey or reviews)
    def read(m: Metric) -> set[str]:
        return {t for i in inputs_of(kpis[m.kpi]) for t in i.types}

    voices = [m for m in ordered if len(read(m)) == 1 and read(m) <= set(DIRECT_VOICE)]
    for m in [*(f.metric for f in findings), *headline, *voices]:
        order.setdefault(m.kpi, m)
    return [w for w in (want(m) for m in order.values()) if w is not None]


def build(ws: "Workspace", *, kind: str | None = None, period: str | None = None, by: str | None = None,
          filters: Mapping[str, str | None] | None = None, start: str | dt.date | None = None,
          end: str | dt.date | None = None, baseline_start: str | dt.date | None = None,
          baseline_end: str | dt.date | None = None, title: str | None = None,
          generated_at: dt.datetime | None = None) -> Report:
    """The report's content. ``kind`` defaults from the arguments (campaign when ``start`` is given,
    quarterly for a YYYY-Qn period, else monthly); ``period`` defaults to the latest complete one;
    ``by`` (default: ``segment`` where customers have it) is the attribute whose groups are tested
    against the rest for *segments that outperform*."""
    report_kind = resolve_kind(kind, period, start)
    notes: list[str] = []
    filters = dict(filters or {})
    dims = ws.kpis.dimensions()
    for dim in [*([by] if by else []), *filters]:
        if dim not in dims:
            raise UnknownDimensionError(f"unknown dimension {dim!r}",
                                        hint="valid dimensions: " + (", ".join(dims) or "(none: import customers)"))
    segment_by = by or ("segment" if "segment" in dims else None)
    ids = ws.catalogue.ids
    kpis = {k.id: k for k in ws.catalogue}

    bounds = ws.kpis.engine().data_range()
    if bounds is None:
        raise InvalidArgumentError("the workspace holds no data", hint="import customers and events first")

    def check_covered(lo: dt.date, hi: dt.date, label: str) -> None:
        if hi <= bounds[0] or lo > bounds[1]:
            raise PeriodOutsideDataError(f"no data in {label}: the data covers {bounds[0].isoformat()} to "
                                         f"{bounds[1].isoformat()}", hint="pick a period inside that span")

    campaign: Campaign | None = None
    voice_period: Period | None = None  # monthly and quarterly: the closed loop and listening of the period
    not_tracked_notes: dict[str, str | None] = {}  # KPIs not tracked in the report's period (or window)
    if report_kind == "campaign":
        if period is not None:
            raise InvalidArgumentError("a campaign report takes --from/--to, not --period",
                                       hint="e.g. --kind campaign --from 2025-09 --to 2025-10")
        cmp = ws.analysis.compare_windows(ids, start=start, end=end, baseline_start=baseline_start,
                              baseline_end=baseline_end, filters=filters)
        w, b = cmp["window"], cmp["baseline"]
        campaign = Campaign(start=w["start"], end=w["end"], months=w["months"], baseline_start=b["start"],
                            baseline_end=b["end"], baseline_months=b["months"])
        months = [parse_period_label(x) for x in w["months"]]
        last, first_month = months[-1], months[0]
        period_label = w["months"][0] if len(months) == 1 else f"{w['months'][0]}..{w['months'][-1]}"
        check_covered(first_month.start, last.end, f"the campaign window {period_label}")
        reference = b["months"][0] if len(b["months"]) == 1 else f"{b['months'][0]}..{b['months'][-1]}"
        period_name = fmt.period_name(w["months"][0]) + (f" to {fmt.period_name(w['months'][-1])}"
                                                          if len(months) > 1 else "")
        reference_name = fmt.period_name(b["months"][0]) + (f" to {fmt.period_name(b['months'][-1])}"
                                                            if len(b["months"]) > 1 else "")
        labels, history = _history(ws, ids, last, filters)
        metrics = {r["kpi"]: _campaign_metric(ws, kpis[r["kpi"]], r, first_month, filters) for r in cmp["rows"]}
        for r in cmp["rows"]:
            for side in (r["campaign"], r["baseline"]):
                if side.get("coverage") == NOT_TRACKED:
                    not_tracked_notes.setdefault(r["kpi"], side.get("note"))
        window_start, window_end = first_month.start, last.end
        comment_labels = set(w["months"])
        notes.append("Campaign and baseline values pool their whole months: NPS from all answers, rates from "
                     "summed numerators and denominators, means from all scores; money and count totals are "
                     "shown per month (counts tested as Poisson counts), composite scores as the mean of their "
                     "monthly values (untested). Customers answering in both windows make the tests approximate.")
        asked = (parse_bound(start, name="--from", end=False), parse_bound(end, name="--to", end=True))
        if asked != (first_month.start, last.end):
            notes.append(f"The campaign window was widened to whole months ({period_label}).")
    else:
        current = check_in_data(resolve_period(ws, report_kind, period, notes), bounds)
        last = current
        period_label = current.label
        reference = current.shift(-1).label
        period_name, reference_name = fmt.period_name(period_label), fmt.period_name(reference)
        labels, history = _history(ws, ids, current, filters)
        metrics = {}
        for kpi_id in ids:
            row = next((r for r in history.get(kpi_id, []) if r["period"] == current.label), None)
            metrics[kpi_id] = _metric_from_row(kpis[kpi_id], row or {})
            if row is not None and row.get("coverage") == NOT_TRACKED:
                not_tracked_notes[kpi_id] = row.get("note")
        window_start, window_end = current.start, current.end
        voice_period = current
        comment_labels = {current.label}
        if current.grain == "quarter":
            comment_labels |= {Period(current.start, "month").shift(i).label for i in range(3)}
        if bounds[1] < current.end - dt.timedelta(days=1):
            notes.append(f"{period_label} is not complete: the data ends on {bounds[1].isoformat()}.")

    comments, owners = _comments(ws, comment_labels)
    first_event = _first_event(ws)
    currency = ws.settings.currency()
    for kpi_id, m in metrics.items():
        kpi = kpis[kpi_id]
        m.history = _points(labels, history.get(kpi_id, []), since=first_event if _needs_events(kpi) else None)
        m.comments = comments.get(kpi_id, [])
        m.owner = owners.get(kpi_id)
        m.scale = kpi.scale
        m.currency = currency if m.unit == "money" else None
        m.definition = " ".join(str(kpi.attributes.definition).split())
        m.formula = " ".join(str(kpi.attributes.standard_formula).split())
    untracked = [k for k in ids if k in not_tracked_notes]
    shown = {k for k, m in metrics.items() if k not in not_tracked_notes
             and (m.value is not None or any(p.value is not None for p in m.history))}
    missing = [kpis[k].name for k in ids if k not in shown and k not in not_tracked_notes]
    if missing:
        notes.append(f"{len(missing)} KPI{'s' if len(missing) != 1 else ''} of the catalogue "
                     f"{'have' if len(missing) != 1 else 'has'} no data in the last {HISTORY} periods and "
                     f"{'are' if len(missing) != 1 else 'is'} left out: " + ", ".join(missing) + ".")
    by_area = ws.catalogue.by_focus_area()
    areas = [FocusArea(id=fid, name=name, metrics=[metrics[k.id] for k in by_area.get(fid, []) if k.id in shown])
             for fid, name in FOCUS_AREAS.items()]
    areas = [a for a in areas if a.metrics]
    ordered = [metrics[k] for k in ids if k in shown]
    headline, headline_source, headline_missing = _choose_headline(ws, metrics, shown, ids)
    heads = {m.kpi for m in headline}
    if headline_missing:
        names = [kpis[k].name if k in kpis else k for k in headline_missing]
        notes.append("Headline KPIs without data in this report, left out of the body: " + ", ".join(names) + ".")

    def win_key(m: Metric) -> tuple[bool, bool, float, str]:
        return (m.kpi not in heads, not m.improved, m.p_value if m.p_value is not None else 1.0, m.name)

    wins = []
    for m in sorted((m for m in ordered if m.improved or m.target_status == "met" or _band_win(m, heads)),
                    key=win_key):
        wins.append(Finding(kpi=m.kpi, name=m.name, reasons=_reasons_win(m, reference_name, heads), metric=m,
                            owner=m.owner, comments=m.comments, summary=_summary(m, win=True, headline=heads)))
    risks = []
    for m in sorted((m for m in ordered if _severity(m) > 0),
                    key=lambda m: (-_severity(m), m.kpi not in heads, m.name)):
        kpi = kpis[m.kpi]
        tips = _texts(kpi.attributes.actionable_tips)
        action, due = _plan(m.comments)
        risks.append(Finding(kpi=m.kpi, name=m.name, reasons=_reasons_risk(m, reference_name), metric=m,
                             warnings=_texts(kpi.attributes.risk_warnings), tips=tips, owner=m.owner,
                             comments=m.comments, due=due, action=action or (tips[0] if tips else None),
                             summary=_summary(m, win=False, headline=heads)))

    segment_wins: list[SegmentWin] = []
    if segment_by:
        testable = [k for k in ids if k in shown and metrics[k].value is not None]
        if report_kind == "campaign":
            rows = ws.analysis.compare_to_rest(testable, by=segment_by, start=window_start,
                                   end=window_end - dt.timedelta(days=1), filters=filters)
        else:
            rows = ws.analysis.compare_to_rest(testable, by=segment_by, period=period_label, filters=filters)
        good = [r for r in rows if r["significant"] and r["better"] and not r["small_sample"]]
        good.sort(key=lambda r: (r["p_value"], r["kpi"], str(r["group"])))
        for r in good[:MAX_SEGMENT_WINS]:
            kpi = kpis[r["kpi"]]
            segment_wins.append(SegmentWin(kpi=kpi.id, name=kpi.name, unit=kpi.unit, dimension=segment_by,
                                           group="(empty)" if r["group"] is None else str(r["group"]),
                                           value=r["value"], rest_value=r["rest_value"], difference=r["difference"],
                                           p_value=r["p_value"], n=r["n"], scale=kpi.scale,
                                           currency=currency if kpi.unit == "money" else None))

    next_steps: list[Step] = []
    requests: list[Step] = []
    every = sorted((c for cs in comments.values() for c in cs if c.kind in ("action", "request")),
                   key=lambda c: (c.due or "9999-99-99", c.created_at or "", c.body))
    for c in every:
        step = Step(text=c.body, kind=c.kind, kpi=c.kpi,  # type: ignore[arg-type]  # action or request
                    kpi_name=kpis[c.kpi].name if c.kpi in kpis else c.kpi, owner=c.owner or owners.get(c.kpi),
                    period=c.period, due=c.due)
        (next_steps if c.kind == "action" else requests).append(step)

    summary = narrative.write(ordered, period_name=period_name, reference_name=reference_name,
                              campaign=report_kind == "campaign", headline=headline, requests=requests,
                              unowned=[r for r in risks[:BODY_FINDINGS] if not r.owner], next_steps=next_steps)
    stories = collect(ws, window_start, window_end, filters=filters, wants=_wants(headline, ordered, kpis,
                                                                                  [*risks[:BODY_FINDINGS], *wins[:BODY_FINDINGS]]))
    voice = None if voice_period is None else collect_voice(ws, voice_period, metrics=metrics,
                                                            not_tracked=not_tracked_notes, filters=filters)
    advocate_moves = collect_advocates(ws, window_start, window_end, filters=filters)
    notes.insert(0, "Changes are tested two-sided at 95 % (NPS z-test, two-proportion z-test, Welch's t-test, "
                    "Poisson rate test); 'not tested' means no test applies (money, composite scores) or a "
                    "value is missing. * marks a value resting on fewer than 30 answers or customers.")
    if report_kind == "campaign":
        heading = title or "Campaign Report"
        subtitle = f"{period_name} compared with the baseline {reference_name}"
    else:
        heading = title or f"Customer Advocacy Report: {period_name}"
        subtitle = f"{report_kind.capitalize()} management report, compared with {reference_name}"
    if filters:
        subtitle += " · customers with " + ", ".join(f"{k} = {v if v is not None else '(empty)'}"
                                                      for k, v in sorted(filters.items()))
    when = (generated_at or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return Report(kind=report_kind, title=heading, subtitle=subtitle, period=period_label, period_label=period_name,
                  grain=last.grain, reference_label=reference_name, generated_at=when, workspace=ws.path.name,
                  areas=areas, summary=summary, stories=stories, wins=wins, segment_wins=segment_wins,
                  segment_dimension=segment_by, risks=risks, next_steps=next_steps, requests=requests, notes=notes,
                  filters=filters, campaign=campaign, chart_labels=labels,
                  not_tracked=[_not_tracked(kpis[k], not_tracked_notes[k]) for k in untracked],
                  headline=headline, headline_source=headline_source, currency=currency, voice=voice,
                  advocates=advocate_moves)


def _not_tracked(kpi: KpiDefinition, note: str | None) -> NotTracked:
    return NotTracked(kpi=kpi.id, name=kpi.name, note=note,
                      inputs=[Need(input=i.name, label=i.label, supply=supply_hint(i)) for i in inputs_of(kpi)])
