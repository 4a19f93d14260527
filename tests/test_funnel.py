"""The advocacy funnel, influencers and next best ask (issue 18), worked by hand on tests/funnel_support.py.

Funnel of 2025-Q2 = [2025-04-01, 2025-07-01): population (customers at 04-01) P1 P2 P3 P4 P5 T1 X1 X2 = 8;
identified P1 P2 P3 P4 P5 (NPS 9-10 before 04-01) and T1 (tier Advocate, 61.9) = 6; activated P1 (qbr) P2 P3
(actions) P4 (community_joined) = 4; acted P1 P2 P3 = 3; impact P1 (referral_signup) P2 (referral_converted)
P3 (N1 referred_by P3 signs up 06-01) = 3; retained P1 (testimonial 05-20 after the 05-01 outcome; P3 churned
06-30, P2 did nothing after) = 1.

Wilson (z = 1.959964), centre c = (p + z²/2n) / (1 + z²/n), half-width h = z √(p(1−p)/n + z²/4n²) / (1 + z²/n):
4/6: c .601611, h .301618 → 30.00 to 90.32; 3/4: c .627527, h .326885 → 30.06 to 95.44;
3/3: c .719251, h .280749 → 43.85 to 100 (x = n: 100); 1/3: c .426916, h .365424 → 6.15 to 79.23.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.errors import InvalidArgumentError, PeriodOutsideDataError, UnknownDimensionError
from advokit.funnel import INFLUENCER_KEYS, NEXT_ASK_KEYS, STAGE_KEYS
from advokit.funnel.next_ask import History, choose, next_asks
from advokit.funnel.stages import identified_ids, stage_table

from .cli_support import cli
from .funnel_support import build

Z = 1.959963984540054


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("funnel"))


@pytest.fixture()
def ws(db: Path):
    w = Workspace(db)
    yield w
    w.close()


def wilson(x: int, n: int) -> tuple[float, float]:
    """The Wilson interval written out again (not the product's code)."""
    p = x / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    return (0.0 if x == 0 else c - h), (1.0 if x == n else c + h)


def _members(ws: Workspace) -> dict[str, set[str]]:
    import datetime as dt

    start, end = dt.datetime(2025, 4, 1), dt.datetime(2025, 7, 1)
    ident = identified_ids(ws.advocates.scores(as_of=start))
    rows = stage_table(ws.kpis.backend(), start=start, end=end, identified=ident, by=None).to_pyarrow().to_pylist()
    out = {"population": {r["customer_id"] for r in rows}}
    for k in STAGE_KEYS:
        out[k] = {r["customer_id"] for r in rows if r[k]}
    return out


# ------------------------------------------------------------------------------ the stage rules
def test_each_stage_rule_by_hand(ws: Workspace) -> None:
    m = _members(ws)
    assert m["population"] == {"P1", "P2", "P3", "P4", "P5", "T1", "X1", "X2"}  # L1, N1 later; C1 churned before
    assert m["identified"] == {"P1", "P2", "P3", "P4", "P5", "T1"}  # T1 by its tier, X1 acts but is At risk
    assert m["activated"] == {"P1", "P2", "P3", "P4"}  # P5's review was in March
    assert m["acted"] == {"P1", "P2", "P3"}  # P4 only joined the community
    assert m["impact"] == {"P1", "P2", "P3"}  # P3 through N1's referred_by; P5's sign-up without an action: out
    assert m["retained"] == {"P1"}  # P2 nothing after the outcome, P3 churned on 06-30
    for a, b in zip(("population", *STAGE_KEYS), STAGE_KEYS):
        assert m[b] <= m[a], (a, b)  # nested


def test_identification_reads_the_tier_at_the_period_start(ws: Workspace) -> None:
    tiers = {r["customer_id"]: r["tier"] for r in ws.advocates.list(as_of="2025-04-01")}
    assert tiers["T1"] == "Advocate" and tiers["X1"] == "At risk" and tiers["X2"] == "At risk"


def test_the_funnel_by_hand_with_wilson_intervals(ws: Workspace) -> None:
    f = ws.funnel.compute("2025-Q2")
    assert (f["period"], f["from"], f["to"], f["population"]) == ("2025-Q2", "2025-04-01", "2025-06-30", 8)
    assert [(s["stage"], s["customers"]) for s in f["stages"]] == [
        ("identified", 6), ("activated", 4), ("acted", 3), ("impact", 3), ("retained", 1)]
    assert [s["name"] for s in f["stages"]] == ["Advocate Identification", "Activation & Engagement",
                                                "Advocacy Actions", "Business Impact Attribution",
                                                "Retention and Re-Engagement"]
    got = [(c["from"], c["to"], c["rate"], c["low"], c["high"]) for c in f["conversions"]]
    assert got == [("identified", "activated", 66.67, 30.0, 90.32), ("activated", "acted", 75.0, 30.06, 95.44),
                   ("acted", "impact", 100.0, 43.85, 100.0), ("impact", "retained", 33.33, 6.15, 79.23)]
    for c in f["conversions"]:
        lo, hi = wilson(c["converted"], c["customers"])
        assert (c["low"], c["high"]) == (round(100 * lo, 2), round(100 * hi, 2))
    assert (f["period_note"], f["by"], f["segments"], f["note"]) == (None, None, None, None)


def test_by_segment(ws: Workspace) -> None:
    f = ws.funnel.compute("2025-Q2", by="segment")
    assert f["by"] == "segment"
    got = {s["segment"]: [s["population"], *(x["customers"] for x in s["stages"])] for s in f["segments"]}
    assert [s["segment"] for s in f["segments"]] == ["Enterprise", "SMB", None]  # null last
    assert got == {"Enterprise": [3, 3, 2, 2, 2, 1], "SMB": [3, 2, 2, 1, 1, 0], None: [2, 1, 0, 0, 0, 0]}
    none = f["segments"][2]["conversions"]
    assert none[0]["rate"] == 0.0 and none[0]["high"] == round(100 * wilson(0, 1)[1], 2)
    assert all(c["rate"] is None and c["low"] is None for c in none[1:])  # nobody to convert from
    assert [s["customers"] for s in f["stages"]] == [6, 4, 3, 3, 1]  # the overall funnel stays


def test_every_month_is_nested(ws: Workspace) -> None:
    for month in ("2025-04", "2025-05"):
        f = ws.funnel.compute(month)
        counts = [f["population"], *(s["customers"] for s in f["stages"])]
        assert counts == sorted(counts, reverse=True), (month, counts)


def test_funnel_errors(ws: Workspace) -> None:
    with pytest.raises(UnknownDimensionError):
        ws.funnel.compute("2025-Q2", by="colour")
    with pytest.raises(InvalidArgumentError):
        ws.funnel.compute("2025-13")
    with pytest.raises(PeriodOutsideDataError):
        ws.funnel.compute("1990-Q1")
    latest = ws.funnel.compute("quarter")  # the KPI engine's latest complete quarter with data (the data ends 06-15)
    assert latest["period"] == "2025-Q1" and latest["period_note"] == "the latest complete quarter with data"


# ------------------------------------------------------------------------------ influencers
def test_influencers_ranked_by_reach(ws: Workspace) -> None:
    rows = ws.funnel.influencers()
    assert [tuple(r) for r in rows][0] == INFLUENCER_KEYS
    # every mention: @big 50,000 + 10,000 + 5,000 (Rival's and the anonymous one left out), @wide 60,000, P1 2,000
    assert [(r["rank"], r["author"], r["customer_id"], r["mentions"], r["reach"], r["influencer"]) for r in rows] == [
        (1, "@big", None, 3, 65000, True), (2, "@wide", None, 1, 60000, False), (3, "P1", "P1", 1, 2000, False)]
    big = rows[0]
    assert (big["influencer_mentions"], big["positive"], big["negative"], big["net_sentiment"]) == (2, 2, 1, 33.33)
    assert rows[1]["unscored"] == 1 and rows[1]["net_sentiment"] is None and rows[2]["net_sentiment"] == 100.0


def test_influencers_of_a_period_tie_on_reach_the_flag_first(ws: Workspace) -> None:
    rows = ws.funnel.influencers(period="2025-Q2", limit=2)
    assert [(r["author"], r["reach"], r["influencer"], r["net_sentiment"]) for r in rows] == [
        ("@big", 60000, True, 0.0), ("@wide", 60000, False, None)]
    with pytest.raises(InvalidArgumentError):
        ws.funnel.influencers(limit=0)


# ------------------------------------------------------------------------------ next best ask
def _h(done: dict[str, str] | None = None, asked: dict[str, str] | None = None) -> History:
    import datetime as dt

    def at(day: str) -> tuple[int, dt.datetime]:
        return 1, dt.datetime.fromisoformat(day)

    h = History({k: at(v) for k, v in (done or {}).items()}, {k: at(v) for k, v in (asked or {}).items()})
    if asked:
        h.last_kind, (_, h.last_at) = max(((k, at(v)) for k, v in asked.items()), key=lambda kv: kv[1][1])
    return h


def test_the_ask_ladder() -> None:
    d = "2025-01-01"
    assert choose("Potential", _h()) == ("review", "Potential: no review on record")
    assert choose("Potential", _h({"review": d}))[0] == "testimonial"
    ask, why = choose("Potential", _h({"review": d, "testimonial": d}))
    assert ask is None and why.startswith("Potential: nothing fits now")
    assert choose("Advocate", _h({"review": d, "testimonial": d}))[0] == "referral"
    assert choose("Advocate", _h({"review": d, "testimonial": d, "referral": d}))[0] == "case_study"
    ask, why = choose("Advocate", _h({"review": d, "testimonial": d, "referral": d, "case_study": d}))
    assert ask == "referral" and "another referral (1 so far, the last on 2025-01-01)" in why
    champion = {"review": d, "testimonial": d, "referral": d, "case_study": d}
    assert choose("Champion", _h(champion))[0] == "reference_call"  # a champion with a case study
    assert choose("Champion", _h({**champion, "reference_call": d}))[0] == "reference_call"  # again
    # asked for a review, none came: the ladder moves on and says why
    ask, why = choose("Champion", _h(asked={"review": "2025-02-01"}))
    assert ask == "testimonial" and "asked for a review on 2025-02-01 and none came" in why
    # a review after the ask answers it
    assert choose("Champion", _h({"review": "2025-02-03"}, {"review": "2025-02-01"}))[0] == "testimonial"
    assert choose("Champion", _h({"review": d}, {"testimonial": "2025-02-01"}))[0] == "referral"


@pytest.mark.parametrize(("days", "fatigued"), [(29, True), (30, False), (31, False)])
def test_contact_fatigue(days: int, fatigued: bool) -> None:
    import datetime as dt

    as_of = dt.datetime(2025, 7, 1)
    asked = (as_of - dt.timedelta(days=days)).date().isoformat()
    score = {"customer_id": "A", "tier": "Advocate", "score": 70.0}
    [row] = next_asks([score], {"A": _h(asked={"review": asked})}, as_of=as_of, fatigue_days=30)
    assert row["fatigued"] is fatigued
    if fatigued:
        assert row["next_ask"] is None and row["deferred_ask"] == "testimonial"
        assert row["askable_from"] == "2025-07-02" and row["reason"].startswith("asked for a review 29 days ago")
    else:
        assert row["next_ask"] == "testimonial" and row["askable_from"] is None
    [free] = next_asks([score], {"A": _h(asked={"review": asked})}, as_of=as_of, fatigue_days=0)
    assert free["next_ask"] == "testimonial"


def test_next_ask_on_the_workspace(ws: Workspace) -> None:
    rows = ws.funnel.next_ask(as_of="2025-07-01")
    assert tuple(rows[0]) == NEXT_ASK_KEYS
    tiers = {r["customer_id"]: r["tier"] for r in ws.advocates.list(as_of="2025-07-01")}
    assert {r["customer_id"] for r in rows} == {c for c, t in tiers.items() if t in ("Champion", "Advocate", "Potential")}
    by = {r["customer_id"]: r for r in rows}
    # P1 (Champion) asked for a review on 06-02, 29 days before: fatigued until 07-02; then a case study
    p1 = by["P1"]
    assert (p1["tier"], p1["next_ask"], p1["fatigued"], p1["askable_from"], p1["deferred_ask"]) == (
        "Champion", None, True, "2025-07-02", "case_study")
    assert p1["done"] == {"review": 1, "testimonial": 1, "referral": 1} and p1["asked"] == {"review": 1}
    # P2 (Advocate) asked for a testimonial on 05-31, 31 days before: askable; the testimonial never came
    p2 = by["P2"]
    assert (p2["next_ask"], p2["fatigued"], p2["last_ask_kind"]) == ("review", False, "testimonial")
    assert "asked for a testimonial on 2025-05-31 and none came" in p2["reason"]
    p4 = by["P4"]  # a Potential asked for a "Case Study" in January: the kind read as case_study
    assert (p4["next_ask"], p4["asked"], p4["last_ask_kind"]) == ("review", {"case_study": 1}, "case_study")
    assert rows[-1]["customer_id"] == "P1"  # those with an ask come first, the fatigued after
    assert len(ws.funnel.next_ask(as_of="2025-07-01", limit=2)) == 2


def test_fatigue_days_setting(db: Path) -> None:
    with Workspace(db) as w:
        for bad in ("-1", "366", "2.5", "soon"):
            with pytest.raises(InvalidArgumentError):
                w.settings.set("advocates.fatigue_days", bad)
        w.settings.set("advocates.fatigue_days", "28")
        try:
            assert w.funnel.fatigue_days() == 28
            p1 = {r["customer_id"]: r for r in w.funnel.next_ask(as_of="2025-07-01")}["P1"]
            assert (p1["next_ask"], p1["fatigued"]) == ("case_study", False)  # 29 days ≥ 28
        finally:
            w.settings.unset("advocates.fatigue_days")
        assert w.funnel.fatigue_days() == 30


# ------------------------------------------------------------------------------ the command line
def test_cli_json_and_errors(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--db", str(db), "funnel", "--period", "2025-Q2", "--by", "segment", "--format", "json")
    data = json.loads(out)
    assert code == 0 and {"period", "stages", "conversions", "segments"} <= set(data)
    assert set(data["stages"][0]) >= {"stage", "customers"}
    assert set(data["conversions"][0]) >= {"from", "to", "rate", "low", "high"}
    seg = data["segments"][0]
    assert seg["segment"] == "Enterprise" and {"stages", "conversions"} <= set(seg)
    code, out, _ = cli(capsys, "--db", str(db), "funnel", "--period", "2025-Q2", "--by", "segment")
    assert code == 0 and "identified" in out and "66.67 %" in out and "segment=null" in out
    code, out, _ = cli(capsys, "--db", str(db), "influencers", "--period", "2025-Q2", "--limit", "1", "--format", "json")
    assert code == 0 and [r["author"] for r in json.loads(out)] == ["@big"]
    code, out, _ = cli(capsys, "--db", str(db), "advocates", "next-ask", "--as-of", "2025-07-01", "--format", "json")
    assert code == 0 and json.loads(out)[-1]["customer_id"] == "P1"
    for args in (("funnel", "--by", "colour"), ("funnel", "--period", "2025-13"), ("influencers", "--period", "x")):
        code, _, err = cli(capsys, "--db", str(db), *args)
        assert code == 2 and err.startswith("error:") and "Traceback" not in err, (args, err)


def test_the_documented_json_is_what_the_funnel_prints(ws: Workspace) -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "funnel.md").read_text(encoding="utf-8")
    block = text.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(block) == ws.funnel.compute("2025-Q2")
