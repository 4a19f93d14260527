"""Closed-loop tracking (issue 17): the loop of each answer that needs a follow-up, the six closed-loop KPIs and
the loop queue (``ws.loops``), all on one hand-worked case: tests/cases/closed_loop_{customers,events}.csv.

The loops (default rules: NPS 0–6, CSAT 1–2, review stars 1–2, a negative mention by a customer; SLA 2 days):

    loop  customer (segment)  type      answered          due               first follow-up      state
    a1    A (SMB)             nps 3     2025-01-05        2025-01-07        f1 2025-01-06        in SLA, 1 day
    a3    A (SMB)             csat 2    2025-01-20        2025-01-22        f2 2025-01-25        late, 5 days
    b1    B (Enterprise)      nps 6     2025-01-10        2025-01-12        f3 2025-02-01 00:00  late, 22 days
                                                                          (f4 on 01-09 is before the answer)
    b2    B (Enterprise)      review 1  2025-01-31        2025-02-02        none                 open
    c1    C (SMB)             mention − 2025-02-03        2025-02-05        f5 2025-02-04 12:00  in SLA, 1.5 days
    a4    A (SMB)             csat 1    2025-03-01        2025-03-03        none                 open

Not loops: a2 (nps 8), b3 (review 4), c3 (nps 9), c2 (positive mention), c4 (neutral mention), m0 (a negative
mention without a customer); f6 and f7 name no answer (f7 makes follow-ups tracked up to the
end of March: coverage). The mentions' sentiment is set by hand below (c1 −0.8, c2 +0.6).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.engine.loops import DEFAULT_RULES, LoopRule, rules_from
from advokit.errors import CatalogueError, InvalidArgumentError

from .cli_support import cli, csv_workspace

CASES = Path(__file__).parent / "cases"
SENTIMENT = {"c1": ("negative", -0.8), "c2": ("positive", 0.6), "c4": ("neutral", 0.0), "m0": ("negative", -0.7)}


def _fix_sentiment(ws: Workspace) -> None:
    with ws.db.transaction() as cur:
        for eid, (label, score) in SENTIMENT.items():
            cur.execute("INSERT OR REPLACE INTO text_sentiment (event_id, label, score, confidence, language, "
                        "model, scored_at) VALUES (?, ?, ?, 0.9, 'en', 'hand', TIMESTAMP '2025-04-01')",
                        [eid, label, score])


def _build(path: Path) -> Workspace:
    ws = csv_workspace(path, (CASES / "closed_loop_customers.csv").read_text(),
                       (CASES / "closed_loop_events.csv").read_text())
    assert (ws.counts()["customers"], ws.counts()["events"]) == (3, 19)
    _fix_sentiment(ws)
    return ws


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    w = _build(tmp_path_factory.mktemp("loops"))
    yield w
    w.close()


def _values(ws: Workspace, kpi: str, by: str | None = None) -> dict[tuple[str, str | None], float | None]:
    rows = ws.compute([kpi], period="month", by=[by] if by else [], start="2025-01", end="2025-03").to_dicts()
    return {(r["period"], r[by] if by else None): r["value"] for r in rows}


def _close(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for k, v in want.items():
        assert (got[k] is None) == (v is None), (k, got[k], v)
        if v is not None:
            assert math.isclose(got[k], v, abs_tol=1e-9), (k, got[k], v)


# ------------------------------------------------------------------ the KPIs
def test_follow_up_rate_by_the_answers_month(ws: Workspace) -> None:
    # January: a1, a3, b1 followed up, b2 not → 3/4; February: c1 → 1/1; March: a4 open → 0/1
    _close(_values(ws, "closed_loop_follow_up_rate"),
           {("2025-01", None): 75.0, ("2025-02", None): 100.0, ("2025-03", None): 0.0})
    # SMB: Jan a1, a3 → 2/2; Feb c1 → 1/1; Mar a4 → 0/1. Enterprise: Jan b1 yes, b2 no → 1/2; no answers after
    _close(_values(ws, "closed_loop_follow_up_rate", by="segment"),
           {("2025-01", "SMB"): 100.0, ("2025-02", "SMB"): 100.0, ("2025-03", "SMB"): 0.0,
            ("2025-01", "Enterprise"): 50.0, ("2025-02", "Enterprise"): None, ("2025-03", "Enterprise"): None})


def test_in_sla_rate_by_the_due_month(ws: Workspace) -> None:
    # due in January: a1 (in SLA), a3 (late), b1 (late) → 1/3; February: b2 (open: missed), c1 (in SLA) → 1/2;
    # March: a4 (open) → 0/1
    _close(_values(ws, "closed_loop_in_sla_rate"),
           {("2025-01", None): 100 / 3, ("2025-02", None): 50.0, ("2025-03", None): 0.0})
    # SMB: Jan a1 in, a3 late → 1/2; Feb c1 → 1/1; Mar a4 → 0/1. Enterprise: Jan b1 → 0/1; Feb b2 → 0/1
    _close(_values(ws, "closed_loop_in_sla_rate", by="segment"),
           {("2025-01", "SMB"): 50.0, ("2025-02", "SMB"): 100.0, ("2025-03", "SMB"): 0.0,
            ("2025-01", "Enterprise"): 0.0, ("2025-02", "Enterprise"): 0.0, ("2025-03", "Enterprise"): None})


def test_median_days_to_close_by_the_close_month(ws: Workspace) -> None:
    # closed in January: a1 after 1 day, a3 after 5 → median (1 + 5) / 2 = 3; February: b1 after 22 days
    # (closed 02-01 00:00), c1 after 1.5 → (22 + 1.5) / 2 = 11.75; nothing closed in March
    _close(_values(ws, "closed_loop_days_to_close"),
           {("2025-01", None): 3.0, ("2025-02", None): 11.75, ("2025-03", None): None})
    _close(_values(ws, "closed_loop_days_to_close", by="segment"),
           {("2025-01", "SMB"): 3.0, ("2025-02", "SMB"): 1.5, ("2025-03", "SMB"): None,
            ("2025-01", "Enterprise"): None, ("2025-02", "Enterprise"): 22.0, ("2025-03", "Enterprise"): None})
    rows = ws.compute(["closed_loop_days_to_close"], period="month", start="2025-01", end="2025-01").to_dicts()
    assert rows[0]["n"] == 2


def test_open_loops_at_the_period_end_and_their_age(ws: Workspace) -> None:
    # end of January (02-01 00:00): b1 (its follow-up comes exactly at the end: February's) and b2 → 2, ages
    # 22 and 1 days → mean 11.5; end of February: b2 only, 29 days; end of March: b2 (60 days: 01-31 to 04-01)
    # and a4 (31 days) → 2, mean 45.5
    _close(_values(ws, "closed_loop_open_loops"),
           {("2025-01", None): 2.0, ("2025-02", None): 1.0, ("2025-03", None): 2.0})
    _close(_values(ws, "closed_loop_open_age_days"),
           {("2025-01", None): 11.5, ("2025-02", None): 29.0, ("2025-03", None): 45.5})
    # by segment: none open for SMB until a4 in March (a count of 0, a mean of nothing)
    _close(_values(ws, "closed_loop_open_loops", by="segment"),
           {("2025-01", "SMB"): 0.0, ("2025-02", "SMB"): 0.0, ("2025-03", "SMB"): 1.0,
            ("2025-01", "Enterprise"): 2.0, ("2025-02", "Enterprise"): 1.0, ("2025-03", "Enterprise"): 1.0})
    _close(_values(ws, "closed_loop_open_age_days", by="segment"),
           {("2025-01", "SMB"): None, ("2025-02", "SMB"): None, ("2025-03", "SMB"): 31.0,
            ("2025-01", "Enterprise"): 11.5, ("2025-02", "Enterprise"): 29.0, ("2025-03", "Enterprise"): 60.0})


def test_recovery_rate_compares_the_next_answer_of_the_same_type(ws: Workspace) -> None:
    # closed in January: a1 (nps 3) → A's next nps a2 = 8, better; a3 (csat 2) → A's next csat a4 = 1, worse → 1/2.
    # February: b1 has no next nps (out of the denominator); c1 (sentiment −0.8) → C's next mention c2 +0.6,
    # better (c4 comes after c2) → 1/1. Nothing closed in March.
    _close(_values(ws, "closed_loop_recovery_rate"),
           {("2025-01", None): 50.0, ("2025-02", None): 100.0, ("2025-03", None): None})
    _close(_values(ws, "closed_loop_recovery_rate", by="segment"),
           {("2025-01", "SMB"): 50.0, ("2025-02", "SMB"): 100.0, ("2025-03", "SMB"): None,
            ("2025-01", "Enterprise"): None, ("2025-02", "Enterprise"): None, ("2025-03", "Enterprise"): None})


def test_rules_come_from_the_params() -> None:
    assert rules_from({}) == DEFAULT_RULES
    assert rules_from({"sla_days": 1, "rules": {"nps_response": {"score_max": 4, "sla_days": 3},
                                                "mention": {"sentiment": "negative"}}}) == (
        LoopRule("nps_response", score_max=4, sla_days=3), LoopRule("mention", sentiment="negative", sla_days=1))
    for bad in ({"rules": {"nps_response": {}}}, {"rules": {"mention": {"sentiment": "angry"}}},
                {"sla_days": -1}, {"rules": {"review": {"score_max": 2, "sla": 2}}}, {"types": []}):
        with pytest.raises(CatalogueError):
            rules_from(bad)


# ------------------------------------------------------------------ the queue (ws.loops)
def _brief(rows: list[dict]) -> list[tuple]:
    return [(r["event_id"], r["state"], round(r["age_days"], 6), r["overdue"]) for r in rows]


def test_list_states_as_of_a_time(ws: Workspace) -> None:
    at = dt.datetime(2025, 2, 2)
    # answers up to 02-02, oldest first; b2 is exactly at its due time: open, not yet overdue (age 2 days)
    assert _brief(ws.loops.list(as_of=at)) == [
        ("a1", "closed_in_sla", 1.0, False), ("b1", "closed_late", 22.0, False),
        ("a3", "closed_late", 5.0, False), ("b2", "open", 2.0, False)]
    assert _brief(ws.loops.list(open_only=True, as_of=at)) == [("b2", "open", 2.0, False)]
    # older than 3 days: loops open 3 days or more (to their close, or to as_of)
    assert [r["event_id"] for r in ws.loops.list(older_than_days=3, as_of=at)] == ["b1", "a3"]
    # on 20 March: b2 open 48 days (28 + 20), a4 19 days, both past due
    assert _brief(ws.loops.list(open_only=True, as_of=dt.datetime(2025, 3, 20))) == [
        ("b2", "open", 48.0, True), ("a4", "open", 19.0, True)]


def test_list_rows_carry_the_comment_owner_and_times(ws: Workspace) -> None:
    rows = {r["event_id"]: r for r in ws.loops.list(as_of=dt.datetime(2025, 4, 1))}
    assert list(rows) == ["a1", "b1", "a3", "b2", "c1", "a4"]
    b2, c1 = rows["b2"], rows["c1"]
    # the times as ISO 8601 strings in UTC, exactly as GET /v1/loops writes them
    assert b2 == {"event_id": "b2", "customer_id": "B", "type": "review", "occurred_at": "2025-01-31T00:00:00Z",
                  "score": 1.0, "text": "The export crashes every time", "owner": "lee", "state": "open",
                  "sla_days": 2.0, "due_at": "2025-02-02T00:00:00Z", "closed_at": None, "age_days": 60.0,
                  "overdue": True}
    assert c1["owner"] is None and c1["score"] is None and c1["closed_at"] == "2025-02-04T12:00:00Z"
    assert rows["a1"]["owner"] == "dana"
    assert len(ws.loops.list(limit=2, as_of=dt.datetime(2025, 4, 1))) == 2


@pytest.mark.parametrize("kwargs, name", [({"limit": 0}, "limit"), ({"limit": "5"}, "limit"),
                                          ({"older_than_days": -1}, "older_than"),
                                          ({"as_of": "2025-01-01"}, "as_of")])
def test_list_rejects_bad_arguments(ws: Workspace, kwargs: dict, name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=name):
        ws.loops.list(**kwargs)


# ------------------------------------------------------------------ the command line
@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The case's workspace file, closed (the command opens it itself)."""
    path = tmp_path_factory.mktemp("loops_cli")
    _build(path).close()
    return path / "w.duckdb"


def test_cli_lists_open_loops_as_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "--db", str(db), "loops", "list", "--open", "--older-than", "20d",
                         "--as-of", "2025-03-20", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    # open on 20 March: b2 (48 days) and a4 (19 days); older than 20 days: b2 only
    assert [(r["event_id"], r["state"], r["age_days"], r["overdue"], r["owner"]) for r in rows] == [
        ("b2", "open", 48.0, True, "lee")]
    assert set(rows[0]) == {"event_id", "customer_id", "type", "occurred_at", "score", "text", "owner", "state",
                            "sla_days", "due_at", "closed_at", "age_days", "overdue"}
    code, out, _ = cli(capsys, "--db", str(db), "loops", "list", "--older-than", "36h",
                       "--as-of", "2025-02-02", "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    # open or closed after 1.5 days or more, as of 2 February: b1 (22), a3 (5), b2 (2); a1 took 1 day
    assert lines[0].startswith("event_id,") and [ln.split(",")[0] for ln in lines[1:]] == ["b1", "a3", "b2"]


@pytest.mark.parametrize("value", ["2x", "d", "-1d", "1.5.2d"])
def test_cli_rejects_a_bad_duration(db: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    code, _, err = cli(capsys, "--db", str(db), "loops", "list", "--older-than", value)
    assert code == 2 and "--older-than" in err and "Traceback" not in err


# ------------------------------------------------------------------ the REST API (a real server)
def test_api_lists_loops(tmp_path: Path) -> None:
    from .api_support import Server, cli_json, new_keys

    _build(tmp_path).close()
    db = tmp_path / "w.duckdb"
    keys = new_keys(db, "read")
    with Server(db) as server, server.client(keys["read"]) as read, server.client() as anonymous:
        r = read.get("/v1/loops", params={"open": "true", "older_than": "20d", "as_of": "2025-03-20T00:00:00"})
        assert r.status_code == 200, r.text
        # as on the command line: open on 20 March and 20 days old or more: b2 only (48 days)
        assert [(x["event_id"], x["state"], x["age_days"], x["overdue"], x["owner"], x["due_at"])
                for x in r.json()] == [("b2", "open", 48.0, True, "lee", "2025-02-02T00:00:00Z")]
        r = read.get("/v1/loops", params={"as_of": "2025-04-01T00:00:00", "limit": 3})
        assert [x["event_id"] for x in r.json()] == ["a1", "b1", "a3"]
        bad = read.get("/v1/loops", params={"older_than": "soon"})
        assert bad.status_code == 422 and "older_than" in bad.json()["error"]["message"]
        assert read.get("/v1/loops", params={"limit": 0}).status_code == 422
        assert anonymous.get("/v1/loops").status_code == 401
        # the command line reaches the same queue through the server that holds the file
        rows = cli_json(db, "loops", "list", "--open", "--as-of", "2025-03-20")
        assert [(x["event_id"], x["age_days"], x["owner"]) for x in rows] == [("b2", 48.0, "lee"), ("a4", 19.0, "dana")]
