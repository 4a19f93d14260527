"""The demo's team commentary: owners, actions with due dates and a request, so its report reads like a real one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from advokit import Workspace
from advokit.demo.team import TEAM, add_team_comments
from advokit.reports import build_report


@pytest.fixture
def cli(capsys):  # type: ignore[no-untyped-def]
    from advokit.cli import main

    def invoke(*args: str) -> SimpleNamespace:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return invoke


def test_team_comments_land_in_the_month_with_dues_in_the_next(workspace: Workspace) -> None:
    assert add_team_comments(workspace.commentary, "2025-11") == len(TEAM)
    rows = workspace.commentary.list()
    assert len(rows) == len(TEAM)
    earlier = {(n.kpi, n.body) for n in TEAM if n.earlier}
    for r in rows:
        assert r["period"] == ("2025-10" if (r["kpi"], r["body"]) in earlier else "2025-11")
        if r["kind"] in ("action", "request"):
            assert r["owner"] and r["due"] and r["due"].startswith("2025-12-")
    assert {r["kind"] for r in rows} == {"comment", "action", "request"}


def test_demo_command_adds_the_team_and_its_report_names_owners(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "demo.duckdb")
    done = cli("--db", db, "demo", "--no-models", "--customers", "400", "--months", "8", "--seed", "3", "--end", "2025-06",
               "--format", "json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["comments"] == len(TEAM) and info["latest_complete_month"] == "2025-06"
    with Workspace(db) as ws:
        report = build_report(ws, "2025-06", generated_at=dt.datetime(2025, 7, 2))
        actions = {(s.kpi, s.owner, s.due) for s in report.next_steps}
        assert actions == {(n.kpi, n.owner, f"2025-07-{n.due_day:02d}") for n in TEAM if n.kind == "action"}
        assert [(s.kpi, s.owner) for s in report.requests] == [(n.kpi, n.owner) for n in TEAM if n.kind == "request"]
        owned = {n.kpi: n.owner for n in TEAM if n.owner}
        for risk in report.risks:
            assert risk.owner == owned.get(risk.kpi)
    again = cli("--db", db, "demo", "--no-models", "--customers", "400", "--months", "8", "--seed", "3", "--end", "2025-06",
                "--replace", "--format", "json")
    assert again.returncode == 0, again.stderr
    with Workspace(db) as ws:
        assert len(ws.commentary.list()) == len(TEAM)  # --replace removes the old team's comments first
