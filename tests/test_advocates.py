"""Advocate scores (issue 18): the as-of feature frame, components, points, tiers and reasons, worked by hand on
tests/cases/advocates_{customers,events}.csv, scored as of 2025-07-01 (data strictly before 1 July 2025).

Customers: A (signup 2024-07-01, arr 50,000), B (2025-01-01, arr 10,000), C (2023-07-01, no arr, a renewal of
20,000); E churned 2025-03-01 and F signs up on 2025-07-01: neither is scored. Events on or after 1 July
(a_late, a_late2, c_late) are after the cutoff. Sentiment labels are set by hand: a_n2 and a_r1 positive, b_n2
negative. Default weights: nps .20, nps_trend .05, csat .10, sentiment .10, advocacy_recency .15,
advocacy_frequency .10, engagement .10, tenure .05, revenue .05, expansion .05, open_loops .05.

A: NPS 8 → 10 (trend +2), CSAT 5, 2 positive texts (net +1), advocacy a_ref 02-01, a_t1 04-01, a_r1 06-20
   (3 in 365 days, the last 11 days before 07-01), engagement a_q 05-15 + a_cj 06-01 (2 in 90 days, from 04-02),
   tenure 365 days, revenue 50,000, expansion +5,000, no open loop.
   sub-scores: nps 10/10 = 1; trend (2+10)/20 = .6; csat (5−1)/4 = 1; sentiment (1+1)/2 = 1;
   recency 1 − 11/365 = .969863; frequency ln 4 / ln 11 = .578128; engagement ln 3 / ln 6 = .613147;
   tenure 365/730 = .5; revenue: ranks B 10,000 < C 20,000 < A 50,000 → A 2/2 = 1; expansion > 0 → 1; loops 1/(1+0) = 1.
   points (all present, Σw = 1): 20 + 3 + 10 + 10 + 14.548 + 5.781 + 6.131 + 2.5 + 5 + 5 + 5 = 86.96 → 87.0 Champion.
B: NPS 9 → 4 (trend −5), CSAT 4 → 2 (b_c2, followed up by f_b: closed), b_n2 (NPS 4) never followed up: 1 open
   loop; 1 negative text (net −1); no advocacy action; activation on 01-15 is outside 90 days; tenure 181 days;
   revenue 10,000 (rank 0); no revenue event: expansion left out, Σw = .95.
   Σ w × s = .2×.4 + .05×.25 + .1×.25 + 0 + 0 + 0 + 0 + .05×(181/730 = .247945) + 0 + .05×.5 = .154897
   score 100 × .154897 / .95 = 16.305 → 16.3; tier At risk (below 20, and NPS 4 ≤ 6 with an open loop).
C: no NPS, CSAT or text: nps, trend, csat, sentiment left out, Σw = .55. social_share 01-10 (172 days before 07-01:
   21 + 28 + 31 + 30 + 31 + 30), qbr 04-10 in 90 days, tenure 731 days (2024 is a leap year), revenue 20,000
   from the renewal (rank 1/2 = .5), expansion 0 with a renewal → .5, no loop.
   Σ w × s = .15×(1 − 172/365 = .528767) + .1×(ln 2/ln 11 = .289065) + .1×(ln 2/ln 6 = .386853) + .05×1
             + .05×.5 + .05×.5 + .05×1 = .296907; score 100 × .296907 / .55 = 53.98 → 54.0 Potential.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.advocates import FEATURES
from advokit.advocates.config import DEFAULT_CONFIG, AdvocateConfig, tier_key
from advokit.advocates.score import revenue_ranks, score_customer
from advokit.errors import InvalidArgumentError, NotFoundError
from advokit.settings.advocates import COMPONENTS

from .cli_support import cli, csv_workspace, store_labels

CASES = Path(__file__).parent / "cases"
AS_OF = "2025-07-01"
LABELS = {"a_n2": ("positive", 0.9), "a_r1": ("positive", 0.8), "b_n2": ("negative", -0.7)}


def build(path: Path) -> Path:
    ws = csv_workspace(path, (CASES / "advocates_customers.csv").read_text(),
                       (CASES / "advocates_events.csv").read_text())
    assert (ws.counts()["customers"], ws.counts()["events"]) == (5, 22)
    store_labels(ws, LABELS)
    ws.close()
    return path / "w.duckdb"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("advocates"))


@pytest.fixture()
def ws(db: Path):
    w = Workspace(db)
    yield w
    w.close()


def test_feature_frame_by_hand(ws: Workspace) -> None:
    rows = {r["customer_id"]: r for r in ws.advocates.features(as_of=AS_OF)}
    assert sorted(rows) == ["A", "B", "C"]  # E churned before, F signs up on the cutoff
    a, b, c = rows["A"], rows["B"], rows["C"]
    assert list(a) == ["customer_id", *FEATURES]
    assert (a["nps_latest"], a["nps_previous"], a["nps_trend"], a["csat_latest"]) == (10, 8, 2, 5)
    assert (a["sentiment_n"], a["sentiment_net"], a["days_since_advocacy"], a["advocacy_365"]) == (2, 1.0, 11, 3)
    assert (a["engagement_90"], a["tenure_days"], a["revenue"], a["expansion_365"]) == (2, 365, 50000, 5000)
    assert a["advocacy_365_log"] == pytest.approx(math.log(4)) and a["open_loops"] == 0
    assert (b["nps_trend"], b["csat_previous"], b["csat_latest"], b["sentiment_net"]) == (-5, 4, 2, -1.0)
    assert (b["open_loops"], b["advocacy_365"], b["days_since_advocacy"], b["engagement_90"]) == (1, 0, None, 0)
    assert (b["tenure_days"], b["revenue_events_365"]) == (181, 0)
    assert (c["nps_latest"], c["sentiment_net"], c["days_since_advocacy"], c["tenure_days"]) == (None, None, 172, 731)
    assert (c["revenue"], c["revenue_events_365"], c["expansion_365"], c["engagement_90"]) == (20000, 1, 0, 1)


def test_scores_by_hand(ws: Workspace) -> None:
    rows = ws.advocates.list(as_of=AS_OF)
    assert [(r["customer_id"], r["score"], r["tier"]) for r in rows] == [
        ("A", 87.0, "Champion"), ("C", 54.0, "Potential"), ("B", 16.3, "At risk")]
    a = ws.advocates.explain("A", as_of=AS_OF)
    points = {c["component"]: c["points"] for c in a["components"]}
    assert points == {"nps": 20.0, "nps_trend": 3.0, "csat": 10.0, "sentiment": 10.0, "advocacy_recency": 14.55,
                      "advocacy_frequency": 5.78, "engagement": 6.13, "tenure": 2.5, "revenue": 5.0,
                      "expansion": 5.0, "open_loops": 5.0}
    assert sum(points.values()) == pytest.approx(a["score"], abs=0.1)
    assert a["reasons"][0] == "NPS 10 on 2025-06-10"
    c = {x["component"]: x for x in ws.advocates.explain("C", as_of=AS_OF)["components"]}
    # left out, never a zero: nps, nps_trend, csat, sentiment; the others' weights / .55
    assert [k for k, x in c.items() if x["status"] == "no data"] == ["nps", "nps_trend", "csat", "sentiment"]
    assert c["nps"]["points"] is None and c["nps"]["sub_score"] is None
    assert c["advocacy_recency"]["effective_weight"] == pytest.approx(0.15 / 0.55, abs=1e-4)
    assert c["advocacy_recency"]["points"] == pytest.approx(100 * 0.15 * (1 - 172 / 365) / 0.55, abs=0.01)


def test_reasons_in_words(ws: Workspace) -> None:
    b = ws.advocates.explain("B", as_of=AS_OF)
    assert b["reasons"][0] == "at risk: NPS 4 with 1 open follow-up"
    assert "no advocacy action on record" in b["reasons"]
    assert b["reasons"][-1].startswith("left out for lack of data, the other weights renormalised: Expansion (365 days)")
    c = ws.advocates.explain("C", as_of=AS_OF)["reasons"]
    # biggest pulls |sub-score − ½| × weight: tenure .0455, frequency .0384, engagement .0206, recency .0079
    # (open_loops 1.0 also pulls .0455 but says nothing: no open follow-ups)
    assert c[:4] == ["customer for 731 days", "1 advocacy action in the last 365 days",
                     "1 engagement event (community, QBR, activation) in the last 90 days",
                     "no advocacy action in 172 days"]


def test_nothing_on_or_after_as_of_counts(db: Path, tmp_path: Path) -> None:
    with Workspace(db) as ws:
        before = ws.advocates.list(as_of=AS_OF)
        explained = ws.advocates.explain("C", as_of=AS_OF)
        later = {r["customer_id"]: r["score"] for r in ws.advocates.list(as_of="2025-07-02")}
    # the same workspace without a_late (07-01), a_late2 (07-02) and c_late (07-01 00:00) scores the same
    copy = build(tmp_path)
    with Workspace(copy) as ws:
        with ws.db.transaction() as cur:
            cur.execute("DELETE FROM events WHERE occurred_at >= TIMESTAMP '2025-07-01'")
        assert ws.advocates.list(as_of=AS_OF) == before
        assert ws.advocates.explain("C", as_of=AS_OF) == explained
    # a day later c_late (NPS 10 at 07-01 00:00) counts: C gains an NPS component
    assert later["C"] != 54.0 and "F" in later


def test_tier_rules() -> None:
    cfg = DEFAULT_CONFIG
    assert [cfg.tier_of(s) for s in (80, 79.9, 60, 59.9, 40, 39.9, 20, 19.9, 0)] == [
        "champion", "advocate", "advocate", "potential", "potential", "passive", "passive", "at_risk", "at_risk"]
    assert [tier_key(t) for t in ("Champion", "at risk", "AT-RISK", "at_risk")] == [
        "champion", "at_risk", "at_risk", "at_risk"]
    with pytest.raises(InvalidArgumentError, match="unknown tier"):
        tier_key("hero")
    best = {"customer_id": "X", "nps_latest": 10.0, "nps_latest_at": None, "nps_previous": None, "nps_trend": None,
            "csat_latest": 5.0, "csat_latest_at": None, "csat_previous": None, "sentiment_n": 1, "sentiment_net": 1.0,
            "days_since_advocacy": 0, "advocacy_365": 10, "engagement_90": 5, "tenure_days": 730, "revenue": None,
            "revenue_events_365": 1, "expansion_365": 1.0, "contraction_90": 0, "open_loops": 0}
    # every present sub-score 1 (trend and revenue left out): 100, Champion
    assert score_customer(best, cfg, None)["score"] == 100.0
    # NPS 6 with one open loop is at risk whatever the score; NPS 7 with one is not; a contraction in 90 days is
    risky = score_customer({**best, "nps_latest": 6.0, "open_loops": 1}, cfg, None)
    assert (risky["tier"], risky["reasons"][0]) == ("At risk", "at risk: NPS 6 with 1 open follow-up")
    assert risky["score"] >= 80
    assert score_customer({**best, "nps_latest": 7.0, "open_loops": 1}, cfg, None)["tier"] == "Champion"
    assert score_customer({**best, "contraction_90": 1}, cfg, None)["tier"] == "At risk"


def test_revenue_ranks() -> None:
    # mid-ranks: 10 lowest (0/3), the two 20s share (1 + ½)/3 = .5, 40 highest (3/3); unknown stays unknown
    assert revenue_ranks([20.0, 10.0, None, 40.0, 20.0]) == [0.5, 0.0, None, 1.0, 0.5]
    assert revenue_ranks([7.0]) == [0.5]


def test_settings_override_weights_and_cutoffs(ws: Workspace) -> None:
    try:
        assert ws.settings.set("advocates.weights.open_loops", "0") == {"key": "advocates.weights.open_loops",
                                                                        "value": "0"}
        ws.settings.set("advocates.tiers.champion", "90")
        scores = {r["customer_id"]: (r["score"], r["tier"]) for r in ws.advocates.list(as_of=AS_OF)}
        # A: 86.96 − 5 = 81.96 of Σw .95 → 86.27 → 86.3, below the new champion cut-off 90: Advocate
        # B: (.154897 − .025) / .90 = .144330 → 14.4
        assert scores == {"A": (86.3, "Advocate"), "B": (14.4, "At risk"), "C": (pytest.approx(49.4, abs=0.05),
                                                                                  "Potential")}
        b = {c["component"]: c for c in ws.advocates.explain("B", as_of=AS_OF)["components"]}
        assert (b["open_loops"]["status"], b["open_loops"]["points"]) == ("weight 0", None)
        ws.settings.set("advocates.tiers.champion", "50")  # below advocate's 60: refused when scoring
        with pytest.raises(InvalidArgumentError, match=r"advocates.tiers.champion \(50\) must be above"):
            ws.advocates.list(as_of=AS_OF)
    finally:
        ws.settings.unset("advocates.weights.open_loops")
        ws.settings.unset("advocates.tiers.champion")
    for key, value in [("advocates.weights.nps", "heavy"), ("advocates.weights.nps", "-1"),
                       ("advocates.tiers.passive", "101"), ("advocates.weights.nps", "nan")]:
        with pytest.raises(InvalidArgumentError, match=key.replace(".", r"\.") + " must be a number"):
            ws.settings.set(key, value)
    with pytest.raises(InvalidArgumentError, match="unknown setting"):
        ws.settings.set("advocates.weights.charisma", "1")
    with pytest.raises(InvalidArgumentError, match="all 0"):
        AdvocateConfig(dict.fromkeys(COMPONENTS, 0.0), DEFAULT_CONFIG.cutoffs)


def test_list_filters_and_errors(ws: Workspace) -> None:
    assert [r["customer_id"] for r in ws.advocates.list(tier="at risk", as_of=AS_OF)] == ["B"]
    assert [r["customer_id"] for r in ws.advocates.list(limit=1, as_of=AS_OF)] == ["A"]
    with pytest.raises(InvalidArgumentError, match="unknown tier 'hero'"):
        ws.advocates.list(tier="hero")
    with pytest.raises(InvalidArgumentError, match="as_of must be a date"):
        ws.advocates.list(as_of="July")
    with pytest.raises(InvalidArgumentError, match="as_of must be in 1900 or later"):
        ws.advocates.list(as_of="0001-01-01")
    with pytest.raises(NotFoundError, match="no customer 'E'"):
        ws.advocates.explain("E", as_of=AS_OF)


# ------------------------------------------------------------------ the command line
def test_cli_list_json_shape(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "--db", str(db), "advocates", "list", "--as-of", AS_OF, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [set(r) for r in rows] == [{"customer_id", "score", "tier", "churn_risk", "advocacy_propensity",
                                       "reasons"}] * 3
    assert [(r["customer_id"], r["score"], r["churn_risk"], r["advocacy_propensity"]) for r in rows] == [
        ("A", 87.0, None, None), ("C", 54.0, None, None), ("B", 16.3, None, None)]
    assert all(isinstance(r["reasons"], list) and r["reasons"] for r in rows)
    code, out, _ = cli(capsys, "--db", str(db), "advocates", "list", "--as-of", AS_OF, "--tier", "Champion",
                       "--limit", "5", "--format", "json")
    assert code == 0 and [r["customer_id"] for r in json.loads(out)] == ["A"]
    code, out, _ = cli(capsys, "--db", str(db), "advocates", "list", "--as-of", AS_OF)
    assert code == 0 and "Champion" in out and "NPS 10 on 2025-06-10" in out


def test_cli_explain(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "--db", str(db), "advocates", "explain", "B", "--as-of", AS_OF, "--format", "json")
    assert code == 0, err
    got = json.loads(out)
    assert (got["customer_id"], got["score"], got["tier"], got["as_of"]) == ("B", 16.3, "At risk",
                                                                             "2025-07-01T00:00:00")
    assert [c["component"] for c in got["components"]] == list(COMPONENTS)
    assert set(got["components"][0]) >= {"feature", "sub_score", "weight", "points"}
    code, out, _ = cli(capsys, "--db", str(db), "advocates", "explain", "B", "--as-of", AS_OF)
    assert code == 0 and out.startswith("B: score 16.3, At risk (as of 2025-07-01)") and "open_loops" in out


@pytest.mark.parametrize(("args", "code", "text"), [
    (("list", "--tier", "hero"), 2, "unknown tier 'hero'"),
    (("list", "--as-of", "2025-13-01"), 2, "--as-of"),
    (("explain", "NOPE", "--as-of", AS_OF), 1, "no customer 'NOPE'"),
])
def test_cli_errors_are_one_line(db: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int,
                                 text: str) -> None:
    got, _, err = cli(capsys, "--db", str(db), "advocates", *args)
    assert got == code and text in err and "Traceback" not in err


def test_cli_config_sets_a_weight(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code, out, _ = cli(capsys, "--db", str(db), "config", "set", "advocates.weights.nps", "0.30")
        assert (code, out) == (0, "advocates.weights.nps = 0.3\n")
        code, out, _ = cli(capsys, "--db", str(db), "advocates", "explain", "A", "--as-of", AS_OF, "--format", "json")
        nps = json.loads(out)["components"][0]
        # weights now sum to 1.1: nps 100 × .3 × 1 / 1.1 = 27.27 points
        assert (nps["weight"], nps["points"]) == (0.3, 27.27)
    finally:
        cli(capsys, "--db", str(db), "config", "unset", "advocates.weights.nps")
    code, _, err = cli(capsys, "--db", str(db), "config", "set", "advocates.weights.nps", "heavy")
    assert code == 2 and err.startswith("error: advocates.weights.nps must be a number from 0 to 100, not 'heavy'")
    assert "Traceback" not in err


def test_docs_name_every_feature_and_component() -> None:
    text = (Path(__file__).parents[1] / "docs" / "advocates.md").read_text()
    assert all(f"`{name}`" in text for name in [*FEATURES, *COMPONENTS])
