"""The core knows nothing of terminals, HTTP or HTML (conventions.md)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import advokit
import advokit.errors as errors

# (rich is not listed: ibis itself imports it)
SHELL_LIBRARIES = ["click", "typer", "fastapi", "starlette", "uvicorn", "jinja2"]


def test_core_imports_no_shell_library():
    code = (
        "import sys\n"
        "import advokit, advokit.workspace, advokit.engine, advokit.catalogue, advokit.ingest, advokit.store\n"
        "from advokit.catalogue import load_catalogue\n"
        "load_catalogue()\n"
        f"bad = [m for m in {SHELL_LIBRARIES!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"the core imported shell libraries: {out}"


def test_public_api_is_curated():
    assert set(advokit.__all__) >= {"Workspace", "AdvokitError", "InputError", "DataError", "CORE_KPIS"}
    for name in advokit.__all__:
        assert hasattr(advokit, name)


@pytest.mark.parametrize("cls", [errors.InputError, errors.UnknownKpiError, errors.UnknownDimensionError,
                                 errors.InvalidArgumentError, errors.DataError, errors.RejectedRowsError])
def test_input_errors_are_value_errors(cls):
    assert issubclass(cls, errors.AdvokitError) and issubclass(cls, ValueError)


def test_every_error_has_a_code_and_dict_shape():
    for cls in [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.AdvokitError)]:
        err = cls("boom", hint="do this") if cls is not errors.RateLimitError else cls("boom", retry_after=1)
        d = err.to_dict()
        assert d["code"] == cls.code and d["message"] == "boom"


# -- the layer map (docs/architecture.md) -----------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
#: Everything below the shells (cli, api, web, reports): typed strictly.
CORE = ["workspace.py", "errors.py", "_version.py", "__init__.py", "store", "catalogue", "engine", "coverage", "stats",
        "rollups", "ingest", "customers", "access", "commentary", "settings", "quality", "delivery", "text", "analysis", "demo", "mapping", "themes", "listening", "loops", "advocates",
        "models", "journey", "funnel"]
LINT = "import sys\nfrom importlinter.cli import lint_imports\nsys.exit(lint_imports(no_cache=True))\n"


def _lint_imports(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", LINT], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_core_covers_every_package_below_the_shells():
    shells = {"cli", "api", "web", "reports"}
    found = {p.name for p in (ROOT / "src" / "advokit").iterdir()
             if p.name not in shells and not p.name.startswith(".") and p.name != "__pycache__"}
    assert found == set(CORE)


def test_import_contracts_are_kept():
    run = _lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 3 kept, 0 broken" in run.stdout


@pytest.mark.parametrize(("where", "line", "contract"), [
    ("store/_probe.py", "import advokit.workspace\n", "Layers point down"),
    ("engine/_probe.py", "from advokit.analysis import service\n", "Layers point down"),
    ("customers/_probe.py", "import fastapi\n", "The core knows nothing of HTTP"),
    ("web/_probe.py", "import advokit.api.app\n", "do not import each other"),
])
def test_import_contracts_catch_a_violation(tmp_path: Path, where: str, line: str, contract: str):
    """The contracts can fail: a copy of the package with one upward import is rejected."""
    shutil.copytree(ROOT / "src" / "advokit", tmp_path / "src" / "advokit",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "static", "templates", "kpis"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "src" / "advokit" / where).write_text(line)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    run = _lint_imports(tmp_path, env)
    assert run.returncode == 1, run.stdout + run.stderr
    broken = re.search(r"Contracts: (\d+) kept, (\d+) broken", run.stdout)
    assert broken and int(broken.group(2)) >= 1, run.stdout
    assert contract in run.stdout and where.replace("/", ".").removesuffix(".py") in run.stdout


def test_core_is_strictly_typed():
    """``mypy --strict`` on everything below the shells (its config is [tool.mypy] in pyproject.toml)."""
    pytest.importorskip("mypy")
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", *[f"src/advokit/{p}" for p in CORE]],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
