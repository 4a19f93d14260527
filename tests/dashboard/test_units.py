"""The dashboard's pieces without a server: formatting, the URL model, the view cache, sessions."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.engine.periods import Period, parse_period_label
from advokit.errors import InvalidArgumentError, UnknownDimensionError
from advokit.web.cache import ViewCache
from advokit.web.format import fmt_change, fmt_value, sparkline, status, trend
from advokit.web.render import to_json
from advokit.web.security import Guard, safe_next
from advokit.web.selection import parse_selection, period_choices

DIMS = ["segment", "region"]


def test_values_read_by_unit() -> None:
    assert fmt_value(42.123, "percent") == "42.1%"
    assert fmt_value(25.0, "score") == "25.0"
    assert fmt_value(1234567.8, "money") == "1,234,568"
    assert fmt_value(1.3333, "per_customer") == "1.33"
    assert fmt_value(6.0, "count") == "6"
    assert fmt_value(None, "score") == "—"
    assert fmt_change(3.04, "percent") == "+3.0 pts"
    assert fmt_change(-6.54, "score") == "−6.5"
    assert fmt_change(None, "score") == "—"


def test_kpi_values_read_as_in_the_reports() -> None:
    from advokit.catalogue import load_catalogue
    from advokit.web.format import Units

    euro, plain = Units(load_catalogue(), "EUR"), Units(load_catalogue())
    assert euro.value(918_900.4, "referral_revenue") == "€918,900" and plain.value(918_900.4, "referral_revenue") == "918,900"
    assert euro.change(-442_400.0, "referral_revenue") == "\u2212€442,400"
    assert euro.value(4.4567, "average_review_rating") == "★ 4.46 of 5" and euro.value(3.14, "ces") == "3.1 of 7"
    assert euro.change(0.123, "average_review_rating") == "+0.12" and euro.change(2.94, "nps") == "+2.9 pts"
    assert euro.change(0.04, "nps") == "no change" and euro.value(76.14, "csat") == "76.1 %"
    assert euro.value(None, "nps") == "—" and euro.change(None, "nps") == "—"
    assert (euro.label("referral_revenue"), plain.label("referral_revenue"), euro.label("ces"),
            euro.label("nps"), euro.label("csat")) == ("", "money", "", "score", "")


def test_status_and_trend_are_words_not_only_colours() -> None:
    assert status("poor") == {"key": "poor", "word": "Poor", "icon": "✕"}
    assert status(None)["word"] == "No rating"
    assert trend(-2.0, "lower_is_better").word == "better"
    assert trend(-2.0, "higher_is_better").word == "worse"
    assert trend(None, "higher_is_better").word == "no comparison"


def test_sparkline_has_a_text_alternative() -> None:
    s = sparkline([1.0, None, 3.0], ["2025-01", "2025-02", "2025-03"], unit="score")
    assert s["points"].count(",") == 2 and "1.0 in 2025-01" in s["label"] and "3.0 in 2025-03" in s["label"]
    assert sparkline([None, 2.0], ["a", "b"], unit="score")["points"] == ""


def test_chart_json_cannot_close_its_script_tag() -> None:
    text = to_json({"title": "</script><script>alert(1)</script> & more"})
    assert "</script>" not in text and "<" not in text and "&" not in text


def test_selection_reads_grain_period_and_filters() -> None:
    latest = {"month": "2025-09", "quarter": "2025-Q3", "year": "2024"}
    sel = parse_selection(grain=None, period=None, filters=[], dimensions=DIMS, default_period=latest.get)
    assert (sel.grain, sel.period.label, sel.filters) == ("month", "2025-09", ())
    sel = parse_selection(grain="quarter", period="2025-08", filters=["segment:SMB", "region:EMEA"],
                          dimensions=DIMS, default_period=latest.get)
    assert sel.period.label == "2025-Q3" and sel.filters == (("region", "EMEA"), ("segment", "SMB"))
    assert sel.query() == "grain=quarter&period=2025-Q3&filter=region%3AEMEA&filter=segment%3ASMB"
    assert parse_selection(grain=None, period="2025", filters=[""], dimensions=DIMS,
                           default_period=latest.get).grain == "year"
    with pytest.raises(UnknownDimensionError):
        parse_selection(grain=None, period=None, filters=["email:x"], dimensions=DIMS, default_period=latest.get)
    with pytest.raises(InvalidArgumentError):
        parse_selection(grain="week", period=None, filters=[], dimensions=DIMS, default_period=latest.get)
    with pytest.raises(InvalidArgumentError):
        parse_selection(grain=None, period=None, filters=["segment"], dimensions=DIMS, default_period=latest.get)


def test_period_choices_are_the_periods_with_data_newest_first() -> None:
    current = parse_period_label("2025-Q3")
    found = period_choices((dt.date(2025, 2, 3), dt.date(2025, 8, 1)), "quarter", current)
    assert [p.label for p in found] == ["2025-Q3", "2025-Q2", "2025-Q1"]
    assert period_choices(None, "month", Period(dt.date(2025, 1, 1), "month")) == [Period(dt.date(2025, 1, 1), "month")]


@pytest.mark.parametrize(("target", "expected"), [("/kpis/nps?period=2025-01", "/kpis/nps?period=2025-01"),
                                                  ("//evil.example/", "/"), ("https://evil.example/", "/"),
                                                  ("/\\evil.example", "/"), ("", "/"), (None, "/"),
                                                  ("javascript:alert(1)", "/")])
def test_safe_next_stays_on_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_view_cache_drops_on_writes_but_not_quiet_ones(workspace: Workspace) -> None:
    cache = ViewCache(workspace.db)
    calls: list[int] = []
    assert cache.get("k", lambda: calls.append(1) or len(calls)) == 1
    assert cache.get("k", lambda: calls.append(1) or len(calls)) == 1
    with cache.quiet(), workspace.db.transaction() as cur:
        cur.execute("INSERT INTO meta VALUES ('dashboard-test', 'quiet')")
    assert cache.get("k", lambda: calls.append(1) or len(calls)) == 1
    with workspace.db.transaction() as cur:
        cur.execute("INSERT INTO meta VALUES ('dashboard-test', 'loud')")
    assert cache.get("k", lambda: calls.append(1) or len(calls)) == 2


def test_view_cache_shares_one_computation_between_concurrent_misses(workspace: Workspace) -> None:
    cache = ViewCache(workspace.db)
    gate = threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        gate.wait(5)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert results == [42] * 4 and len(calls) == 1


def test_sessions_hold_no_key_and_end_when_the_key_is_revoked(workspace: Workspace) -> None:
    guard = Guard(workspace.access.keys)
    assert guard.open_mode()
    new = workspace.access.keys.create(name="dana", scope="write")
    assert not guard.open_mode()
    sid, session = guard.sign_in(new.key)
    assert new.key not in sid and session.key_name == "dana" and session.scope == "write"
    assert guard.session(sid) == session
    workspace.access.keys.revoke(new.info.id)
    assert guard.session(sid) is None
    assert guard.open_mode()


def test_the_core_directory_imports_no_web_library(tmp_path: Path) -> None:
    code = ("import sys, advokit.customers.directory\n"
            "print(','.join(m for m in ('fastapi', 'starlette', 'jinja2', 'click') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_open_mode_answers_only_this_machine(workspace: Workspace) -> None:
    from starlette.requests import Request

    from advokit.errors import ForbiddenError

    guard = Guard(workspace.access.keys)

    def request(host: str) -> Request:
        return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "client": (host, 5000)})

    assert guard.viewer(request("127.0.0.1")).mode == "open"
    assert guard.viewer(request("::1")).mode == "open"
    with pytest.raises(ForbiddenError):
        guard.viewer(request("192.0.2.7"))


def test_charts_size_their_margins_to_their_labels_and_carry_a_narrow_layout() -> None:
    from advokit.catalogue import load_catalogue
    from advokit.web import charts

    nps = load_catalogue().get("nps")
    rows = [{"period": f"2025-{m:02d}", "value": 20.0 + m, "ci_low": 10.0 + m, "ci_high": 30.0 + m,
             "segment": s} for m, s in ((1, "SMB"), (2, "Enterprise"))]
    events = [{"type": "nps_response", "score": 9, "occurred_at": "2025-01-05T10:00:00"}]
    figures = [charts.trend_figure(nps, rows), charts.breakdown_figure(nps, "segment", rows),
               *charts.score_figures(events)]
    assert len(figures) == 3
    for f in figures:
        layout = f["layout"]
        assert layout["xaxis"]["automargin"] is True and layout["yaxis"]["automargin"] is True
        title = layout["title"]
        assert (title["x"], title["xanchor"], title["automargin"]) == (0, "left", True)  # clear of the mode bar
        assert layout["legend"]["yref"] == "container" and layout["legend"]["y"] == 0  # under the plot
        assert f["narrow"] == charts.NARROW and f["narrow_px"] == charts.NARROW_PX == 560
    assert charts.NARROW["margin"]["l"] < figures[0]["layout"]["margin"]["l"]


def test_a_percent_trend_beyond_0_to_100_is_not_clipped() -> None:
    from advokit.catalogue import load_catalogue
    from advokit.web import charts

    growth = load_catalogue().get("expansion_revenue_growth_rate")
    assert growth.unit == "percent"

    def yrange(*values: float) -> list[float]:
        rows = [{"period": f"2025-{i + 1:02d}", "value": v} for i, v in enumerate(values)]
        return list(charts.trend_figure(growth, rows)["layout"]["yaxis"]["range"])

    lo, hi = yrange(-35.0, 120.0, 961.5)
    assert lo < -35.0 and hi > 961.5
    assert yrange(20.0, 80.0) == [12.8, 87.2]  # padded by 12 % of the span
    assert yrange(5.0, 99.0)[1] == 100.0  # a share stops at 100 %
    assert yrange(5.0, 99.0)[0] == 0.0
