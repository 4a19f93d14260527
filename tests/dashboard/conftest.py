"""Session fixtures of the dashboard tests: a served demo (open local mode), a served worked example with keys."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from advokit import Workspace

from ..api_support import Server, cli, new_keys, worked_workspace
from .support import Tab


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    root = tmp_path_factory.mktemp("dashboard-demo")
    db = root / "demo.duckdb"
    cli(db, "demo", "--customers", "1500", "--months", "14", "--seed", "3", "--format", "json", timeout=600)
    copy = root / "cli-copy.duckdb"
    shutil.copy(db, copy)
    with Workspace(copy) as ws:
        month = ws.latest_complete_period("month")
        quarter = ws.latest_complete_period("quarter")
        units = {k.id: k.unit for k in ws.catalogue}
    assert month and quarter
    with Server(db) as server:
        yield SimpleNamespace(server=server, url=server.url, cli_db=copy, month=month, quarter=quarter, units=units)


@pytest.fixture(scope="session")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    db = worked_workspace(tmp_path_factory.mktemp("dashboard-keys") / "worked.duckdb")
    keys = new_keys(db, "read", "write")
    with Server(db) as server:
        yield SimpleNamespace(server=server, url=server.url, keys=keys)


@pytest.fixture
def tab(browser: Any, demo: SimpleNamespace, tmp_path: Path) -> Iterator[Tab]:
    """A desktop-sized page on the demo server; fails the test on console errors or outside requests."""
    t = Tab(browser, demo.url, tmp_path / "screenshots")
    yield t
    t.close()
    assert not t.external, f"requests left the machine: {t.external}"
    assert not t.errors, f"console errors: {t.errors}"
