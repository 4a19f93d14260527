"""Fixtures of the report tests: a demo workspace with targets and team commentary, and its copies.

The demo ends in a fixed month (2025-12) with a fixed seed, so every number is
reproducible; ``PERIOD`` is the month before the last one, as in the acceptance check.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.demo.load import build_demo
from advokit.reports import build_report

from ..analysis_support import catalogue as test_catalogue

PERIOD = "2025-11"
GENERATED = dt.datetime(2026, 1, 5, 9, 30)
DUE = "2025-12-15"  # the due date of the team's action

COMMENTS = [
    # (kpi, period, body, kind, owner, author)
    ("csat", PERIOD, "Run a support quality review with the two lowest-scoring teams.", "action", "Dana (CS)", "Ana"),
    ("nps", PERIOD, "Budget for a detractor call-back programme in Q1.", "request", "Lee", "Ana"),
    ("nps", PERIOD, "Survey moved to in-app in November; responses rose.", "comment", None, "Sam"),
    ("customer_churn_rate", "2025-10", "Churn review owned by the retention squad.", "comment", "Retention squad", None),
    ("csat", PERIOD, "Réunion avec l'équipe support — 顧客の声 ✓", "comment", None, "Zoë"),
]


def _build(path: Path) -> None:
    with Workspace(path) as ws:
        build_demo(ws.kpis, ws.ingest, customers=1500, months=18, seed=7, end_month=dt.date(2025, 12, 1))
        ws.themes.refresh()  # as `advokit demo` does: the report's themes are the workspace's own
        ws.set_target("nps", 20)
        ws.set_target("csat", 95)
        ws.set_target("customer_churn_rate", 1.0)
        for kpi, period, body, kind, owner, author in COMMENTS:
            ws.commentary.add(kpi, period, body, kind=kind, owner=owner, author=author,
                              due=DUE if kind == "action" else None)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports-demo") / "demo.duckdb"
    _build(path)
    return path


def _copy(src: Path, dst: Path) -> Path:
    shutil.copy(src, dst)
    return dst


@pytest.fixture(scope="session")
def demo(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The demo with the shipped catalogue (read, never written by tests)."""
    ws = Workspace(_copy(demo_db, tmp_path_factory.mktemp("reports-read") / "demo.duckdb"))
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def fixed(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The demo with the tests' own catalogue (12 core KPIs): stable when the shipped catalogue grows."""
    ws = Workspace(_copy(demo_db, tmp_path_factory.mktemp("reports-fixed") / "demo.duckdb"),
                   catalogue=test_catalogue())
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def monthly(demo: Workspace):  # type: ignore[no-untyped-def]
    return build_report(demo, PERIOD, generated_at=GENERATED)


@pytest.fixture
def scratch(demo_db: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A private copy that a test may write to."""
    ws = Workspace(_copy(demo_db, tmp_path / "demo.duckdb"))
    yield ws
    ws.close()
