"""The "Voice" page (/voice) over plain HTTP against a real server: sentiment over time with its interval,
the listening figures of the latest complete month with its spikes, in the nav; sections without data are
left out (no placeholder)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from advokit import Workspace
from advokit.web.dashboard import Dashboard
from advokit.web.format import Units
from advokit.web.selection import parse_selection
from advokit.web.voice import BUILDERS, VoiceContext, build_sections

from ..api_support import Server
from ..test_listening import _september
from ..test_themes import corpus, events
from .test_http import EXTERNAL


def _voice_workspace(db: Path) -> None:
    """The spike case of tests/test_listening.py (August 2 a day, a spike on 1 September, a high last week);
    each day's first mention carries a text: August all positive, September 20 positive and 10 negative."""
    rows, labels = [], {}
    for day, n in sorted(_september().items()):
        for i in range(n):
            event_id = f"m{day.isoformat()}-{i}"
            rows.append({"event_id": event_id, "customer_id": None, "type": "mention",
                         "occurred_at": day.isoformat(), "text": "a text" if i == 0 else None,
                         "channel": "twitter", "properties": {"reach": 10, "author": f"@a{day.day % 3}"}})
            if i == 0:
                labels[event_id] = "negative" if day.month == 9 and day.day <= 10 else "positive"
    with Workspace(db) as ws:
        ws.import_events(rows)
        with ws.db.transaction() as cur:
            for event_id, label in labels.items():
                cur.execute("UPDATE text_sentiment SET label = ? WHERE event_id = ?", [label, event_id])


def test_the_voice_page_shows_sentiment_and_listening(tmp_path: Path) -> None:
    db = tmp_path / "voice.duckdb"
    _voice_workspace(db)
    with Workspace(db, read_only=True) as ws:
        expected = ws.listening.figures("month")
    with Server(db, rate=0) as server:
        r = httpx.get(server.url + "/voice", timeout=60)
        assert r.status_code == 200, r.text[:500]
        html = r.text
    assert not any(s in html for s in EXTERNAL) and "<script>" not in html
    assert re.findall(r'<a href="([^"]*)" aria-current="page">([^<]*)</a>', html) == [("/voice", "Voice")]
    assert re.findall(r'<h2 id="h-voice-([a-z]+)">', html) == ["sentiment", "listening"]
    # sentiment over time: a chart (its figure as JSON) and the table; net sentiment August = 100 × 28 / 28,
    # September = 100 × (20 − 10) / 30 = 33.3
    figure = json.loads(re.search(r'<script type="application/json" id="figure-voice-sentiment">(.*?)</script>',
                                  html, re.S).group(1))
    assert figure["data"], "the sentiment chart has no trace"
    table = re.search(r'<table class="nowrap voice-sentiment">(.*?)</table>', html, re.S).group(1)
    periods = re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', table)
    assert periods == [("2025-09", "33.3"), ("2025-08", "100.0")]
    # listening: the latest complete month with mentions is September 2025, the figures of ws.listening:
    # 30 days × 2 + 7 (1 Sep: 9) + 4 (20 Sep: 6) + 7 × 3 (22-28 Sep: 5) = 92 mentions, 10 reach each
    assert expected["period"] == "2025-09" and expected["figures"]["volume"] == 92
    assert 'Social listening, 2025-09' in html
    assert re.search(r'data-field="volume">92<', html) and re.search(r'data-field="reach">920<', html)
    spikes = re.findall(r'data-kind="spike"><strong>([^<]+)</strong>: (\d+) mentions', html)
    assert spikes == [("2025-09-01", "9"), ("Week of 2025-09-22", "35")]
    assert 'class="table-wrap"' in html  # wide tables scroll inside their card on a phone


def test_sections_without_data_are_left_out(tmp_path: Path) -> None:
    with Workspace(tmp_path / "empty.duckdb") as ws:
        d = Dashboard(ws)
        sel = parse_selection(grain="month", period=None, filters=[], dimensions=[], default_period=d.default_period)
        ctx = VoiceContext(d, sel, Units(ws.catalogue, None))
        assert build_sections(ctx) == []
        assert [b.__name__ for b in BUILDERS] == ["sentiment_over_time", "themes", "closed_loop", "open_loops", "listening"]
        # a builder list is the extension point: another section is one more function
        extra = build_sections(ctx, [lambda c: None, *BUILDERS])
        assert extra == []



def test_the_voice_page_lists_the_themes_with_quotes(tmp_path: Path) -> None:
    """Reviews on billing, onboarding and support in September 2025 (an answer in October makes September
    the latest complete month): once the themes are computed the page
    shows the themes of the latest complete month, their shares as ws.themes reports them, and quotes."""
    db = tmp_path / "themes.duckdb"
    with Workspace(db) as ws:
        ws.import_customers([{"customer_id": c, "segment": "SMB", "signup_at": "2024-01-01"} for c in ("CB", "CO", "CS")])
        for topic, customer, seed in (("billing", "CB", 1), ("onboarding", "CO", 2), ("support", "CS", 3)):
            ws.import_events(events(topic, corpus(topic, 40, seed), customer))
        ws.import_events([{"customer_id": "CB", "type": "nps_response", "occurred_at": "2025-10-02", "score": 9}])
        d = Dashboard(ws)
        sel = parse_selection(grain="month", period=None, filters=[], dimensions=[], default_period=d.default_period)
        ctx = VoiceContext(d, sel, Units(ws.catalogue, None))
        assert "themes" not in [s.key for s in build_sections(ctx)]  # a page view never starts the discovery
        ws.themes.refresh(k=3)
        period = ws.latest_complete_period("month")
        report = ws.themes.report(period)
    assert period == "2025-09"
    with Server(db, rate=0) as server:
        html = httpx.get(server.url + "/voice", timeout=60).text
    assert "Themes, 2025-09" in html
    rows = re.findall(r'<tr data-theme="([^"]+)"><th scope="row">([^<]+)</th><td>(\d+)</td>\s*<td>([^<]+)</td>', html)
    # each theme's row: its name, text count and share (texts with it / texts with any theme) as reported
    assert [(tid, name, int(n), share) for tid, name, n, share in rows] == [
        (t["theme_id"], t["name"], t["texts"], f"{100 * t['share']:.1f}%") for t in report["themes"] if t["texts"]]
    assert len(rows) == 3 and sum(int(n) for _, _, n, _ in rows) >= 120
    quotes = re.findall(r"<blockquote>“([^”]+)”</blockquote>", html)
    assert quotes and all(q in {t for t in corpus("billing", 40, 1) + corpus("onboarding", 40, 2)
                                + corpus("support", 40, 3)} for q in quotes)


def test_the_voice_page_queues_the_open_loops_oldest_first(tmp_path: Path) -> None:
    """The closed-loop case of tests/test_loops.py: the queue lists exactly the open loops of ws.loops,
    oldest first, with the comment and the customer's owner; every one is past its SLA by now."""
    case = Path(__file__).parents[1] / "cases"
    db = tmp_path / "loops.duckdb"
    with Workspace(db) as ws:
        ws.import_customers(case / "closed_loop_customers.csv")
        ws.import_events(case / "closed_loop_events.csv")
        expected = ws.loops.list(open_only=True)
    assert expected and all(r["state"] == "open" for r in expected)
    with Server(db, rate=0) as server:
        html = httpx.get(server.url + "/voice", timeout=60).text
    assert "Open loops now, oldest first" in html
    table = re.search(r'<table class="breakdown loop-queue">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r'<tr data-event="([^"]+)" class="overdue">.*?<td>([^<]*)</td><td>([^<]*)</td></tr>', table, re.S)
    assert [e for e, _, _ in rows] == [r["event_id"] for r in expected]
    assert [(owner, text) for _, owner, text in rows] == [(r["owner"] or "—", r["text"] or "—") for r in expected]


def test_the_voice_page_takes_a_period(tmp_path: Path) -> None:
    """``/voice?period=``: the closed loop and the listening of that period (the hand-worked case of
    tests/test_loops.py, its figures worked out there), the open-loop queue as it stands now whatever the
    period; the default is the latest complete month, a period outside the data a 422 as on every page."""
    from ..test_loops import _build

    _build(tmp_path).close()
    db = tmp_path / "w.duckdb"
    with Workspace(db, read_only=True) as ws:
        units = Units(ws.catalogue, None)
        kpis = {k: ws.kpi(k) for k in ("closed_loop_follow_up_rate", "closed_loop_in_sla_rate",
                                       "closed_loop_days_to_close", "closed_loop_open_loops")}
    with Server(db, rate=0) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        pages = {p: client.get("/voice" + (f"?period={p}" if p else "")) for p in ("", "2025-01", "2025-02")}
        assert client.get("/voice?period=2020-01").status_code == 422
        assert client.get("/voice?period=2025-13").status_code == 422
    assert all(r.status_code == 200 for r in pages.values())

    def field(html: str, name: str) -> str:
        return re.search(rf'<dd data-field="{name}">(.*?)</dd>', html, re.S).group(1)

    # the default: March 2025, the latest complete month (the data ends 31 March), selected in the picker
    assert "Closed loop, 2025-03" in pages[""].text
    assert re.search(r'<option value="2025-03" selected>', pages[""].text)
    assert '<select id="filter"' not in pages[""].text  # mentions follow no customer: no segment picker
    jan, feb = pages["2025-01"].text, pages["2025-02"].text
    assert "Closed loop, 2025-01" in jan and re.search(r'<option value="2025-01" selected>', jan)
    # January: a1, a3, b1 followed up of a1, a3, b1, b2 → 75 % (n = 4); due a1 (in SLA), a3, b1 (late) → 1 of 3;
    # closed a1 (1 day), a3 (5) → median 3; open at the end: b1, b2 → 2
    assert field(jan, "closed_loop_follow_up_rate").startswith(
        units.value(75.0, kpis["closed_loop_follow_up_rate"]) + ' <span class="muted">(n = 4)')
    assert field(jan, "closed_loop_in_sla_rate").startswith(units.value(100 / 3, kpis["closed_loop_in_sla_rate"]))
    assert field(jan, "closed_loop_days_to_close").startswith(units.value(3.0, kpis["closed_loop_days_to_close"]))
    assert field(jan, "closed_loop_open_loops") == units.value(2.0, kpis["closed_loop_open_loops"])
    # listening: no mention before 3 February → said; February: c1 and m0 (both negative) → 2 mentions
    assert "No mentions of the brand in 2025-01." in jan
    assert "Social listening, 2025-02" in feb and field(feb, "volume") == "2"
    # February: b1 (22 days) and c1 (1.5) closed → median 11.75
    assert field(feb, "closed_loop_days_to_close").startswith(units.value(11.75, kpis["closed_loop_days_to_close"]))
    # the queue is now, the same whatever the period: b2 and a4, both open
    queues = [re.findall(r'<tr data-event="([^"]+)"', r.text) for r in pages.values()]
    assert queues == [["b2", "a4"]] * 3 and "The queue as it stands now" in jan
