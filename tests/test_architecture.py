"""The core knows nothing of terminals, HTTP or HTML (conventions.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import advokit
import advokit.errors as errors

# (rich is not listed: ibis itself imports it)
SHELL_LIBRARIES = ["click", "typer", "fastapi", "starlette", "uvicorn", "jinja2"]


def test_core_imports_no_shell_library():
    code = (
        "import sys\n"
        "import advokit, advokit.workspace, advokit.engine, advokit.catalogue, advokit.ingest, advokit.storage\n"
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
