"""Themes as a breakdown of the text KPIs (issue 17): ``net_sentiment`` by ``theme``, on a hand-worked case.

Six comments in 2025-09, labels set by hand, themes stored through the themes package (``Themes._write``,
what a refresh writes), then t1 renamed "Billing" and t3 merged into t2 ("slow support"):

    text  customer (segment)  label     themes          reported under
    e1    A (SMB)             positive  t1              Billing
    e2    A (SMB)             negative  t1, t2          Billing, slow support
    e3    A (SMB)             neutral   t2              slow support
    e4    B (Enterprise)      positive  t2, t3          slow support (once: t3 went into t2)
    e5    B (Enterprise)      negative  —               (no theme)
    e6    B (Enterprise)      positive  t3              slow support

net sentiment = 100 × (positive − negative) / texts scored:
    Billing       e1 +, e2 −               100 × (1 − 1) / 2 = 0      n 2
    slow support  e2 −, e3 0, e4 +, e6 +   100 × (2 − 1) / 4 = 25     n 4
    (no theme)    e5 −                     100 × (0 − 1) / 1 = −100   n 1
    overall       3 +, 2 −, 6 texts        100 × 1 / 6 = 16.67        (e2 counts once in each of its themes,
                                                                        so the themes' n add up to 7, not 6)
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.errors import InvalidArgumentError, ThemesNotComputedError
from advokit.themes.model import Theme

from .cli_support import cli, csv_workspace

CUSTOMERS = "customer_id,name,segment,signup_at\nA,Ann,SMB,2024-01-01\nB,Bo,Enterprise,2024-01-01\n"
EVENTS = "event_id,customer_id,type,occurred_at,score,text\n" + "".join(
    f"{eid},{c},review,2025-09-{day:02d},3,comment number {day}\n"
    for eid, c, day in [("e1", "A", 1), ("e2", "A", 2), ("e3", "A", 3), ("e4", "B", 4), ("e5", "B", 5),
                        ("e6", "B", 6)])
LABELS = {"e1": "positive", "e2": "negative", "e3": "neutral", "e4": "positive", "e5": "negative", "e6": "positive"}
ASSIGNED = [("e1", "t1", 1.0), ("e2", "t1", 0.5), ("e2", "t2", 0.5), ("e3", "t2", 1.0), ("e4", "t2", 0.6),
            ("e4", "t3", 0.4), ("e6", "t3", 1.0)]


def _build(path: Path, *, themes: bool = True) -> Workspace:
    ws = csv_workspace(path, CUSTOMERS, EVENTS)
    with ws.db.transaction() as cur:
        for eid, label in LABELS.items():
            cur.execute("UPDATE text_sentiment SET label = ? WHERE event_id = ?", [label, eid])
    if themes:
        now = dt.datetime(2025, 10, 1)
        ws.themes._write([Theme(tid, label, None, [(label.split()[0], 1.0)], False, None, now, now)
                          for tid, label in (("t1", "invoice wrong"), ("t2", "slow support"), ("t3", "late reply"))],
                         ASSIGNED, 4, now)
        ws.themes.rename("t1", "Billing")
        ws.themes.merge("t3", "t2")
    return ws


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    w = _build(tmp_path_factory.mktemp("by_theme"))
    yield w
    w.close()


def _rows(ws: Workspace, by: list[str]) -> dict[tuple, tuple]:
    rows = ws.compute(["net_sentiment"], by=by, start="2025-09", end="2025-09").to_dicts()
    return {tuple(r[d] for d in by): (None if r["value"] is None else round(r["value"], 2), r["n"]) for r in rows}


def test_net_sentiment_by_theme(ws: Workspace) -> None:
    assert _rows(ws, ["theme"]) == {("Billing",): (0.0, 2), ("slow support",): (25.0, 4),
                                    ("(no theme)",): (-100.0, 1)}
    assert _rows(ws, [])[()] == (16.67, 6)
    # the same through ws.kpis.values (cached, stamped with the count of writes: a rename changes no KPI data)
    assert {r["theme"] for r in ws.kpis.values(["net_sentiment"], by=["theme"], start="2025-09",
                                               end="2025-09")} == {"Billing", "slow support", "(no theme)"}


def test_net_sentiment_by_theme_and_segment(ws: Workspace) -> None:
    # SMB: Billing e1 +, e2 − → 0; slow support e2 −, e3 0 → 100 × (0 − 1) / 2 = −50; no unthemed text
    # Enterprise: slow support e4 +, e6 + → 100; (no theme) e5 − → −100; no Billing text
    assert _rows(ws, ["segment", "theme"]) == {
        ("SMB", "Billing"): (0.0, 2), ("SMB", "slow support"): (-50.0, 2), ("SMB", "(no theme)"): (None, 0),
        ("Enterprise", "Billing"): (None, 0), ("Enterprise", "slow support"): (100.0, 2),
        ("Enterprise", "(no theme)"): (-100.0, 1)}


def test_a_rename_shows_at_once(tmp_path: Path) -> None:
    ws = _build(tmp_path)
    try:
        assert ("Billing",) in _rows(ws, ["theme"])
        first = ws.kpis.values(["net_sentiment"], by=["theme"], start="2025-09", end="2025-09")
        hits = ws.rollups.hits
        assert ws.kpis.values(["net_sentiment"], by=["theme"], start="2025-09", end="2025-09") == first
        assert ws.rollups.hits == hits + 1  # the same request again is answered from the cache
        ws.themes.rename("t1", "Invoices")
        got = {r["theme"] for r in ws.kpis.values(["net_sentiment"], by=["theme"], start="2025-09", end="2025-09")}
        assert got == {"Invoices", "slow support", "(no theme)"}
    finally:
        ws.close()


def test_only_text_kpis_take_theme(ws: Workspace) -> None:
    with pytest.raises(InvalidArgumentError) as err:
        ws.compute(["net_sentiment", "nps"], by=["theme"], start="2025-09", end="2025-09")
    assert "'nps'" in err.value.message and "'theme'" in err.value.message
    assert "net_sentiment" in (err.value.hint or "")


def test_themes_never_computed(tmp_path: Path) -> None:
    ws = _build(tmp_path, themes=False)
    try:
        with pytest.raises(ThemesNotComputedError) as err:
            ws.compute(["net_sentiment"], by=["theme"], start="2025-09", end="2025-09")
        assert "not computed" in err.value.message and "advokit text theme refresh" in (err.value.hint or "")
    finally:
        ws.close()


def test_the_cli_and_the_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .api_support import Server, new_keys

    _build(tmp_path).close()
    db = tmp_path / "w.duckdb"
    code, out, err = cli(capsys, "--db", str(db), "kpi", "compute", "net_sentiment", "--by", "theme",
                         "--from", "2025-09", "--to", "2025-09", "--format", "json")
    assert code == 0, err
    assert {r["theme"]: r["value"] for r in json.loads(out)} == {"Billing": 0.0, "slow support": 25.0,
                                                                 "(no theme)": -100.0}
    code, out, err = cli(capsys, "--db", str(db), "kpi", "compute", "nps", "--by", "theme")
    assert code == 2 and "'nps' cannot be broken down by 'theme'" in err and "Traceback" not in err
    keys = new_keys(db, "read")
    with Server(db) as server, server.client(keys["read"]) as read:
        got = read.get("/v1/kpis/net_sentiment/values", params={"by": "theme", "from": "2025-09", "to": "2025-09"})
        assert got.status_code == 200, got.text
        assert {r["theme"]: r["value"] for r in got.json()} == {"Billing": 0.0, "slow support": 25.0,
                                                                        "(no theme)": -100.0}
        bad = read.get("/v1/kpis/nps/values", params={"by": "theme"})
        assert bad.status_code == 422 and "theme" in bad.json()["error"]["message"]
