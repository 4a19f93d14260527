"""Social listening (issue 17): the figures of mention events, worked by hand on a small CSV case, and the
spikes (a day or week significantly above its trailing 28 days) on hand-built daily counts."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.errors import (
    InvalidArgumentError,
    PeriodOutsideDataError,
    UnknownDimensionError,
)
from advokit.listening import find_spikes

from .cli_support import cli, csv_workspace

CUSTOMERS = "customer_id,signup_at,segment\nA,2024-01-01,SMB\nB,2024-01-01,Enterprise\nC,2024-01-01,\n"
EVENTS = '''event_id,customer_id,type,occurred_at,text,channel,properties
m1,A,mention,2025-09-02,love it,twitter,"{""reach"": 100, ""influencer"": false, ""author"": ""@ann""}"
m2,,mention,2025-09-03,great,twitter,"{""reach"": 5000, ""influencer"": true, ""author"": ""@big""}"
m3,,mention,2025-09-04,awful,twitter,"{""reach"": 3000, ""influencer"": ""true"", ""handle"": ""@big""}"
m4,B,mention,2025-09-05,it exists,linkedin,"{""reach"": 200}"
m5,C,mention,2025-09-06,,linkedin,"{""reach"": ""lots""}"
m6,,mention,2025-09-07,bad,twitter,"{""reach"": 50, ""brand"": ""Rival""}"
m7,,mention,2025-09-08,nice,twitter,"{""reach"": 70, ""brand"": ""Advokit""}"
m8,,mention,2025-08-30,before,twitter,"{""reach"": 999}"
m9,A,mention,2025-10-01,after,twitter,"{""reach"": 999}"
a1,A,activation,2025-09-02,not a mention,twitter,"{""reach"": 10000}"
'''
#: the labels the tests rely on (set by hand: the tests check the counting, not the model)
LABELS = {"m1": "positive", "m2": "positive", "m3": "negative", "m4": "neutral", "m6": "negative",
          "m7": "positive", "m8": "neutral", "m9": "neutral"}


@pytest.fixture
def ws(tmp_path: Path):
    w = csv_workspace(tmp_path, CUSTOMERS, EVENTS)
    with w.db.transaction() as cur:
        for event_id, label in LABELS.items():
            cur.execute("UPDATE text_sentiment SET label = ? WHERE event_id = ?", [label, event_id])
    yield w
    w.close()


def test_figures_of_a_month_with_our_brand_set(ws: Workspace) -> None:
    ws.settings.set("listening.brand", "advokit")  # m7 names "Advokit": ours (any letter case)
    got = ws.listening.figures("2025-09")
    assert (got["period"], got["from"], got["to"], got["brand"]) == ("2025-09", "2025-09-01", "2025-09-30",
                                                                     "advokit")
    f = got["figures"]
    # ours in September: m1-m5 (no brand) + m7 = 6; m6 names Rival; m8 (August), m9 (October) are outside
    assert f["volume"] == 6
    assert f["reach"] == 100 + 5000 + 3000 + 200 + 70  # = 8370; m5's reach "lots" is no number
    # positive m1 m2 m7, neutral m4, negative m3; m5 has no text: unscored. net = 100 × (3 − 1) / 5 = 40
    # interval: p = .6, d = .2, var = (p + d) − (p − d)² = .64, se = √(.64 / 5) = .357771,
    # half = 1.959964 × .357771 = .701218 → .4 − .7012 = −.3012; .4 + .7012 > 1 → clipped to 1
    assert f["sentiment"] == {"positive": 3, "neutral": 1, "negative": 1, "unscored": 1, "net": 40.0,
                              "ci_low": -30.12, "ci_high": 100.0}
    assert f["influencer"] == {"mentions": 2, "share": 33.33}  # m2 (true), m3 ("true"): 2 / 6
    # @big (author m2, handle m3) 5000 + 3000; B and C by their customer id; m7 has no author at all
    assert f["top_authors"] == [
        {"author": "@big", "channel": "twitter", "mentions": 2, "reach": 8000, "influencer": True},
        {"author": "B", "channel": "linkedin", "mentions": 1, "reach": 200, "influencer": False},
        {"author": "@ann", "channel": "twitter", "mentions": 1, "reach": 100, "influencer": False},
        {"author": "C", "channel": "linkedin", "mentions": 1, "reach": 0, "influencer": False}]
    # all brands: 7 mentions; ours 6 / 7 = 85.71 %, Rival 1 / 7 = 14.29 %
    assert f["share_of_voice"] == [{"brand": "advokit", "ours": True, "mentions": 6, "share": 85.71},
                                   {"brand": "Rival", "ours": False, "mentions": 1, "share": 14.29}]
    # twitter m1 m2 m3 m7: 100 + 5000 + 3000 + 70; linkedin m4 m5: 200
    assert f["channels"] == [{"channel": "twitter", "mentions": 4, "reach": 8170},
                             {"channel": "linkedin", "mentions": 2, "reach": 200}]
    assert f["spikes"] == []  # one mention a day, under the minimum of 5


def test_without_the_setting_a_named_brand_is_a_competitor(ws: Workspace) -> None:
    f = ws.listening.figures("2025-09")["figures"]
    assert f["volume"] == 5 and f["reach"] == 8300  # m7 (Advokit, 70) is no longer ours
    # 7 mentions: ours 5 / 7 = 71.43 %, Advokit and Rival 1 / 7 = 14.29 % each
    assert f["share_of_voice"] == [{"brand": None, "ours": True, "mentions": 5, "share": 71.43},
                                   {"brand": "Advokit", "ours": False, "mentions": 1, "share": 14.29},
                                   {"brand": "Rival", "ours": False, "mentions": 1, "share": 14.29}]


def test_by_segment_anonymous_mentions_are_the_null_group(ws: Workspace) -> None:
    ws.settings.set("listening.brand", "Advokit")
    got = ws.listening.figures("2025-09", by="segment")
    assert got["by"] == "segment" and "no segment" in got["note"]
    groups = {g["segment"]: g["figures"] for g in got["groups"]}
    assert [g["segment"] for g in got["groups"]] == ["Enterprise", "SMB", None]
    assert (groups["Enterprise"]["volume"], groups["Enterprise"]["reach"]) == (1, 200)  # m4
    assert (groups["SMB"]["volume"], groups["SMB"]["sentiment"]["net"]) == (1, 100.0)  # m1, positive
    null = groups[None]  # anonymous m2 m3 m7, and C (empty segment) m5
    assert (null["volume"], null["reach"]) == (4, 5000 + 3000 + 70)
    # positive m2 m7, negative m3, m5 unscored: net = 100 × (2 − 1) / 3 = 33.33
    # p = 2/3, d = 1/3: var = 1 − 1/9 = .888889, se = √(.888889 / 3) = .544331, half = 1.066877
    # → .3333 − 1.0669 = −.7335; the top is clipped to 1
    assert null["sentiment"] == {"positive": 2, "neutral": 0, "negative": 1, "unscored": 1, "net": 33.33,
                                 "ci_low": -73.35, "ci_high": 100.0}
    assert null["influencer"] == {"mentions": 2, "share": 50.0}  # 2 / 4
    # the null group's 5 mentions: ours 4 (80 %), Rival m6 1 (20 %); the others name no brand: no share
    assert null["share_of_voice"] == [{"brand": "Advokit", "ours": True, "mentions": 4, "share": 80.0},
                                      {"brand": "Rival", "ours": False, "mentions": 1, "share": 20.0}]
    assert groups["SMB"]["share_of_voice"] == []
    # the groups add up to the whole
    assert sum(g["volume"] for g in groups.values()) == got["figures"]["volume"] == 6


def test_periods_and_bad_arguments(ws: Workspace) -> None:
    got = ws.listening.figures("month", today=dt.date(2025, 10, 15))  # October has not ended
    assert (got["period"], got["period_note"]) == ("2025-09", "the latest complete month with mentions")
    assert ws.listening.figures("quarter", today=dt.date(2026, 1, 2))["period"] == "2025-Q4"
    assert ws.listening.figures("2025-Q3")["figures"]["volume"] == 6  # m8 (August) + September's 5
    with pytest.raises(InvalidArgumentError, match="invalid period 'last'"):
        ws.listening.figures("last")
    with pytest.raises(PeriodOutsideDataError, match="no data in 2024-01"):
        ws.listening.figures("2024-01")
    with pytest.raises(PeriodOutsideDataError, match="no complete month"):
        ws.listening.figures("month", today=dt.date(2025, 8, 31))
    with pytest.raises(UnknownDimensionError, match="unknown dimension 'email'"):
        ws.listening.figures("2025-09", by="email")
    with pytest.raises(InvalidArgumentError, match="listening.brand is empty"):
        ws.settings.set("listening.brand", "  ")


def test_no_mentions_at_all_is_a_clear_error(tmp_path: Path) -> None:
    with Workspace(tmp_path / "empty.duckdb") as ws:
        with pytest.raises(PeriodOutsideDataError, match="no mention events"):
            ws.listening.figures("2025-09")


# -- spikes -----------------------------------------------------------------------------------------------

def _tail(count: int, mean: float) -> float:
    """P(X ≥ count), X ~ Poisson(mean), summed by hand (independent of advokit.stats)."""
    return 1.0 - sum(math.exp(-mean) * mean ** k / math.factorial(k) for k in range(count))


def _days(start: str, end: str, count: int) -> dict[dt.date, int]:
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return {a + dt.timedelta(days=i): count for i in range((b - a).days + 1)}


def _september() -> dict[dt.date, int]:
    daily = _days("2025-08-04", "2025-08-31", 2)  # 28 days of history at 2 a day
    daily |= _days("2025-09-01", "2025-09-30", 2)
    daily[dt.date(2025, 9, 1)] = 9    # a spike
    daily[dt.date(2025, 9, 20)] = 6   # a near-spike
    daily |= _days("2025-09-22", "2025-09-28", 5)  # a week above its level, no day a spike
    return daily


def test_a_day_spike_is_flagged_and_a_near_spike_is_not() -> None:
    spikes = find_spikes(_september(), start=dt.date(2025, 9, 1), end=dt.date(2025, 10, 1),
                         first_day=dt.date(2025, 8, 4))
    days = [s for s in spikes if s.grain == "day"]
    # 1 September: baseline 56 / 28 = 2.0; P(X ≥ 9 | 2) = 1 − e⁻²(1 + 2 + 2 + 4/3 + 2/3 + 4/15 + 4/45 + 8/315
    # + 2/315) = .000237 < .01 and 9 ≥ 5: flagged
    assert [(s.start.isoformat(), s.count, s.baseline) for s in days] == [("2025-09-01", 9, 2.0)]
    assert days[0].p_value == pytest.approx(_tail(9, 2.0), rel=1e-6) == pytest.approx(0.000237, abs=1e-6)
    # 20 September (the near-spike): 28 days before hold 9 × 2 (Aug 23-31) + 9 + 18 × 2 = 63 → 2.25;
    # P(X ≥ 6 | 2.25) = .0274 ≥ .01: not flagged although 6 ≥ 5
    assert _tail(6, 63 / 28) == pytest.approx(0.02737, abs=1e-5)
    # 22 September: 67 / 28 = 2.39, P(X ≥ 5) = .095: no day of the high week is a spike
    assert _tail(5, 67 / 28) > 0.01
    assert days[0].to_dict() == {"grain": "day", "date": "2025-09-01", "count": 9, "baseline": 2.0,
                                 "p_value": 0.000237}


def test_a_week_spike_against_the_four_weeks_before() -> None:
    spikes = find_spikes(_september(), start=dt.date(2025, 9, 1), end=dt.date(2025, 10, 1),
                         first_day=dt.date(2025, 8, 4))
    weeks = [(s.start.isoformat(), s.count, s.baseline) for s in spikes if s.grain == "week"]
    # weeks wholly in September start on Mondays 1, 8, 15, 22 (29-30 is not a whole week).
    # 1 Sep: 9 + 6 × 2 = 21 against 56 / 4 = 14: P(X ≥ 21 | 14) = .0479, not flagged (the near-spike week);
    # 22 Sep: 7 × 5 = 35 against (14 + 21 + 14 + 18) / 4 = 16.75: P(X ≥ 35 | 16.75) = .0000654, flagged
    assert _tail(21, 14.0) == pytest.approx(0.0479, abs=1e-4)
    assert weeks == [("2025-09-22", 35, 16.75)]
    assert [s.p_value for s in spikes if s.grain == "week"] == [pytest.approx(_tail(35, 16.75), rel=1e-6)]


def test_too_little_history_is_not_tested_and_a_zero_baseline_flags_from_the_minimum() -> None:
    start = dt.date(2025, 9, 1)
    # first mention on 28 Aug: 1 September has 4 days of history (< 7): not tested
    assert find_spikes({dt.date(2025, 9, 1): 50}, start=start, end=dt.date(2025, 9, 2),
                       first_day=dt.date(2025, 8, 28)) == []
    # 10 quiet days, then 5 mentions against a baseline of 0: P = 0, flagged; 4 would be under the minimum
    daily = {dt.date(2025, 8, 22): 0, dt.date(2025, 9, 1): 5}
    got = find_spikes(daily, start=start, end=dt.date(2025, 9, 2), first_day=dt.date(2025, 8, 22))
    assert [(s.count, s.baseline, s.p_value) for s in got] == [(5, 0.0, 0.0)]
    daily[dt.date(2025, 9, 1)] = 4
    assert find_spikes(daily, start=start, end=dt.date(2025, 9, 2), first_day=dt.date(2025, 8, 22)) == []


def test_spikes_reach_the_figures(tmp_path: Path) -> None:
    rows = [{"event_id": f"s{day.isoformat()}-{i}", "customer_id": None, "type": "mention", "occurred_at": day.isoformat()}
            for day, n in _september().items() for i in range(n)]
    with Workspace(tmp_path / "s.duckdb") as ws:
        ws.import_events(rows)
        spikes = ws.listening.figures("2025-09")["figures"]["spikes"]
    assert [(s["grain"], s["date"], s["count"]) for s in spikes] == [("day", "2025-09-01", 9),
                                                                     ("week", "2025-09-22", 35)]


# -- the command line -----------------------------------------------------------------------------------

def test_cli_json_and_table(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(ws.path)
    ws.close()
    code, out, err = cli(capsys, "--db", db, "listening", "--period", "2025-09", "--by", "segment",
                         "--format", "json")
    assert code == 0, err
    got = json.loads(out)
    assert got["period"] == "2025-09" and got["figures"]["volume"] == 5
    assert set(got["figures"]) >= {"volume", "reach", "sentiment", "influencer", "top_authors", "share_of_voice",
                                   "spikes"}
    assert [g["segment"] for g in got["groups"]] == ["Enterprise", "SMB", None]
    code, out, err = cli(capsys, "--db", db, "listening", "--period", "2025-09")
    assert code == 0, err
    assert "volume" in out and "@big" in out and "Rival" in out
    code, out, err = cli(capsys, "--db", db, "listening", "--period", "2025-13")
    assert code == 2 and "invalid month" in err and "Traceback" not in err
