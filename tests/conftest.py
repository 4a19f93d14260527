"""Shared fixtures: workspaces on real DuckDB files, and the paths of shared data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from advokit import Workspace

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ADVOKIT_SHARED", ROOT.parent / "shared"))
WORKED = SHARED / "checks" / "data" / "worked-example"
DATA = SHARED / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test cleanly when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace(tmp_path / "test.duckdb")
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium per test process, shared by the dashboard's and the reports' browser tests
    (Playwright's sync API allows one running instance per thread)."""
    from .dashboard.support import launch_browser

    yield from launch_browser()
