"""The report's "Closed loop & social listening" (inside Customer Stories, issue 17) on a hand-worked case.

The loops are those of tests/test_loops.py (tests/cases/closed_loop_*.csv, its docstring works them out):
    a1 nps 3 (A) 01-05, closed 01-06 in SLA      a3 csat 2 (A) 01-20, closed 01-25 late
    b1 nps 6 (B) 01-10, closed 02-01 00:00 late  b2 review 1 (B) 01-31, open
    c1 negative mention (C) 02-03, closed 02-04 12:00 in SLA      a4 csat 1 (A) 03-01, open
To its mentions (c1 negative, m0 negative and anonymous, both without reach; c2, c4 in March) this case adds
three anonymous mentions in February: x1 @big on twitter, reach 900, an influencer, positive; x2 @small on
linkedin, reach 100, neutral; r1 names the brand Rival (not ours), reach 50.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.catalogue import Catalogue, load_catalogue
from advokit.reports import Report, build_report, layout
from advokit.reports.voice import LOOP_KPIS
from advokit.stats import formulas

from ..test_loops import _build
from .conftest import GENERATED, PERIOD

EXTRA = [
    {"event_id": "x1", "customer_id": None, "type": "mention", "occurred_at": "2025-02-12", "channel": "twitter",
     "text": "Love the new dashboard", "properties": {"author": "@big", "reach": 900, "influencer": True}},
    {"event_id": "x2", "customer_id": None, "type": "mention", "occurred_at": "2025-02-14", "channel": "linkedin",
     "text": "It is fine I guess", "properties": {"author": "@small", "reach": 100}},
    {"event_id": "r1", "customer_id": None, "type": "mention", "occurred_at": "2025-02-15", "channel": "twitter",
     "properties": {"author": "@r", "reach": 50, "brand": "Rival"}},
]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("voice-report")
    with _build(path) as ws:
        ws.import_events(EXTRA)
        with ws.db.transaction() as cur:
            for eid, label, score in (("x1", "positive", 0.9), ("x2", "neutral", 0.0)):
                cur.execute("INSERT OR REPLACE INTO text_sentiment (event_id, label, score, confidence, language, "
                            "model, scored_at) VALUES (?, ?, ?, 0.9, 'en', 'hand', TIMESTAMP '2025-04-01')",
                            [eid, label, score])
    # the closed-loop KPIs and NPS only: the report reads every KPI of its catalogue, a small one keeps it quick
    small = Catalogue([k for k in load_catalogue() if k.id in LOOP_KPIS or k.id == "nps"])
    ws = Workspace(path / "w.duckdb", catalogue=small)
    yield ws
    ws.close()


_REPORTS: dict[tuple[int, str], Report] = {}


def _report(ws: Workspace, period: str) -> Report:
    """The case's monthly report of ``period`` (built once per workspace)."""
    key = (id(ws), period)
    if key not in _REPORTS:
        _REPORTS[key] = build_report(ws, period, generated_at=dt.datetime(2025, 4, 2, 9, 0))
    return _REPORTS[key]


def test_january_closed_loop_figures(case: Workspace) -> None:
    v = _report(case, "2025-01").voice
    assert v is not None and v.loops.kpis == list(LOOP_KPIS)
    lf = v.loops
    # answered in January and needing a follow-up: a1, a3, b1, b2 → 4, of which 3 followed up → 75 %
    assert (lf.needing, lf.follow_up_rate) == (4, 75.0)
    # due in January: a1 (in SLA), a3 and b1 (late) → 1 of 3
    assert lf.due == 3 and lf.in_sla_rate == pytest.approx(100 / 3)
    # closed in January: a1 after 1 day, a3 after 5 → median 3
    assert (lf.closed, lf.median_days) == (2, 3.0)
    # open at the end of January: b1 (its follow-up comes at 02-01 00:00, February's) 22 days, b2 1 day → 2, mean 11.5
    assert (lf.open_at_end, lf.mean_open_age) == (2, 11.5)
    assert [(o.event_id, o.received, round(o.age_days, 3), o.overdue, o.owner) for o in lf.oldest] == [
        ("b1", "2025-01-10", 22.0, True, "lee"), ("b2", "2025-01-31", 1.0, False, "lee")]
    # recovery: a1 (nps 3) → A's next nps 8, better; a3 (csat 2) → next csat 1, worse → 1 of 2
    assert (lf.answered_again, lf.recovery_rate) == (2, 50.0)
    # no mention before 3 February: said in words, no table of zeros
    assert v.listening is None
    assert layout.listening_lines(_report(case, "2025-01")) == ["No mentions of the brand in January 2025."]


def test_february_listening_and_loops(case: Workspace) -> None:
    r = _report(case, "2025-02")
    assert r.voice is not None
    lf, li = r.voice.loops, r.voice.listening
    # loops: c1 needed one and got it (1/1); due in February b2 (open: missed) and c1 (in SLA) → 1/2; closed
    # b1 (22 days) and c1 (1.5) → median 11.75; open at the end: b2, 29 days; recovery c1 −0.8 → c2 +0.6: 1/1
    assert (lf.needing, lf.follow_up_rate, lf.due, lf.in_sla_rate) == (1, 100.0, 2, 50.0)
    assert (lf.closed, lf.median_days, lf.open_at_end, lf.mean_open_age) == (2, 11.75, 1, 29.0)
    assert [(o.event_id, o.age_days) for o in lf.oldest] == [("b2", 29.0)]
    assert (lf.answered_again, lf.recovery_rate) == (1, 100.0)
    # listening: ours are c1, m0, x1, x2 (r1 names Rival) → 4; reach 900 + 100 (c1, m0 have none) = 1000
    assert li is not None and (li.volume, li.reach) == (4, 1000.0)
    # 1 positive, 1 neutral, 2 negative: net 100 × (1 − 2) / 4 = −25, interval of the NPS formula
    lo, hi = formulas.nps_interval(1, 2, 4)
    assert (li.positive, li.neutral, li.negative, li.unscored, li.net) == (1, 1, 2, 0, -25.0)
    assert (li.ci_low, li.ci_high) == (round(100 * float(lo), 2), round(100 * float(hi), 2))
    # influencers: x1 → 1 of 4 = 25 %; top authors by reach: @big 900, @small 100, then C (no reach)
    assert (li.influencer_mentions, li.influencer_share) == (1, 25.0)
    assert [(a.author, a.reach) for a in li.top_authors] == [("@big", 900.0), ("@small", 100.0), ("C", 0.0)]
    # share of voice over all 5 mentions of February: ours 4 (80 %), Rival 1 (20 %); no spike (too few)
    assert [(b.brand, b.ours, b.mentions, b.share) for b in li.share_of_voice] == [
        (None, True, 4, 80.0), ("Rival", False, 1, 20.0)]
    assert li.spikes == []
    # the same figures as ws.listening's
    fig = case.listening.figures("2025-02")["figures"]
    assert (fig["volume"], fig["sentiment"]["net"], fig["influencer"]["share"]) == (4, -25.0, 25.0)


def test_the_three_formats_say_it_in_words(case: Workspace) -> None:
    r = _report(case, "2025-02")
    md = r.render("md").decode()
    section = md[md.index("### Closed loop & social listening"):md.index("## Wins & Opportunities")]
    for line in ("1 answer needed a follow-up in February 2025",
                 "Of the 2 loops due in the period, 50.0 % were closed within their SLA.",
                 "2 loops were closed, in a median of 11.8 days.",
                 "1 loop was still open at the end of the period, 29.0 days old on average; the oldest:",
                 "| Review 1 | 2025-01-31 | 29.0 days | past its 2-day SLA | lee |",
                 "4 mentions of the brand from 2025-02-01 to 2025-02-28, with a combined reach of 1,000.",
                 "Net sentiment of the mentions: −25.0 (95 % interval",
                 "Influencers wrote 1 mention (25.0 % of the volume).", "No spike in mention volume.",
                 "| @big | twitter | 1 | 900 | yes |", "| Rival | 1 | 20.0 % |"):
        assert line in section, line
    html = r.render("html").decode()
    assert '<h3 id="voice">Closed loop &amp; social listening</h3>' in html and "<td>@big</td>" in html
    # a month without loops or mentions due: March has a4 only, and mentions c2, c4 (no spike, no reach)
    march = layout.loop_lines(_report(case, "2025-03"))
    assert "1 answer needed a follow-up in March 2025 (detractors' NPS, low CSAT and review scores, negative " \
           "mentions); 0.0 % got one (follow-up rate)." in march
    assert "No loop was closed in the period." in march


def test_a_filtered_report_keeps_its_customers_loops(case: Workspace) -> None:
    # SMB (A, C) in January: a1, a3 answered → 2 of 2 followed up; nothing open at the end (b1, b2 are B's)
    r = build_report(case, "2025-01", filters={"segment": "SMB"}, generated_at=dt.datetime(2025, 4, 2))
    assert r.voice is not None
    assert (r.voice.loops.needing, r.voice.loops.follow_up_rate, r.voice.loops.open_at_end) == (2, 100.0, 0)
    assert r.voice.loops.oldest == []
    assert "No loop was open at the end of the period." in layout.loop_lines(r)


def test_a_campaign_report_has_no_voice_section(case: Workspace) -> None:
    r = build_report(case, kind="campaign", start="2025-02", end="2025-02", generated_at=GENERATED)
    assert r.voice is None and "Closed loop & social listening" not in r.render("md").decode()


def test_the_demo_report_reads_ws_loops_and_ws_listening(monthly: Report, demo: Workspace) -> None:
    """On the demo the section's numbers are the KPI engine's and ws.listening's for the report's month."""
    v = monthly.voice
    assert v is not None and v.listening is not None
    rows = {r["kpi"]: r for r in demo.compute(list(LOOP_KPIS), period="month", start=PERIOD, end=PERIOD).to_dicts()}
    assert v.loops.needing == rows["closed_loop_follow_up_rate"]["n"]
    assert v.loops.follow_up_rate == pytest.approx(rows["closed_loop_follow_up_rate"]["value"])
    assert v.loops.median_days == pytest.approx(rows["closed_loop_days_to_close"]["value"])
    assert v.loops.open_at_end == rows["closed_loop_open_loops"]["value"]
    # the oldest open loops at the month's end, as ws.loops lists them (oldest first)
    end = dt.datetime(2025, 12, 1) - dt.timedelta(microseconds=1)
    assert [o.event_id for o in v.loops.oldest] == [
        r["event_id"] for r in demo.loops.list(open_only=True, as_of=end, limit=len(v.loops.oldest))]
    fig = demo.listening.figures(PERIOD)["figures"]
    assert (v.listening.volume, v.listening.net, v.listening.influencer_share) == (
        fig["volume"], fig["sentiment"]["net"], fig["influencer"]["share"])
    assert [a.author for a in v.listening.top_authors] == [a["author"] for a in fig["top_authors"][:5]]


def test_the_fixed_golden_catalogue_says_it_has_no_loop_kpis(fixed: Workspace, tmp_path: Path) -> None:
    r = build_report(fixed, PERIOD, generated_at=GENERATED)
    assert r.voice is not None and r.voice.loops.kpis == []
    assert layout.loop_lines(r) == [
        "The catalogue of this workspace has no closed-loop KPIs, so the closed loop is not reported."]
