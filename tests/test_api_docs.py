"""The README's API quick start (docs/examples/first_event.sh) runs as written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .api_support import ROOT, free_port

SCRIPT = ROOT / "docs" / "examples" / "first_event.sh"


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs bash and curl")
def test_first_event_quick_start(tmp_path: Path) -> None:
    env = {**os.environ, "ADVOKIT_DB": str(tmp_path / "q.duckdb"), "PORT": str(free_port()),
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    out = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    customers, events, values = (json.loads(line) for line in out.stdout.strip().splitlines())
    assert customers["accepted"] == 1 and events["accepted"] == 1
    assert values[0]["kpi"] == "nps" and values[0]["period"] == "2025-01" and values[0]["value"] == 100.0
    assert "nps-1" in SCRIPT.read_text() and "first_event.sh" in (ROOT / "README.md").read_text()
