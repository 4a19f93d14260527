"""The worked examples of docs/importing.md, run as written: each file, each command, the counts it states."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "importing.md"
ADVOKIT = str(Path(sys.executable).with_name("advokit"))
_FILE = re.compile(r"<!-- file: (?P<name>[\w.-]+) -->\n```\w*\n(?P<body>.*?)```", re.S)
_RUN = re.compile(r"```console\n\$ (?P<command>advokit [^\n]+)\n```\n<!-- expect: (?P<expect>[^>]+) -->")


def _examples() -> tuple[dict[str, str], list[tuple[str, dict[str, int]]]]:
    text = DOC.read_text(encoding="utf-8")
    files = {m["name"]: m["body"] for m in _FILE.finditer(text)}
    runs = [(m["command"], {k: int(v) for k, v in (p.split("=") for p in m["expect"].split())})
            for m in _RUN.finditer(text)]
    return files, runs


FILES, RUNS = _examples()


def test_the_doc_has_an_example_per_preset_a_mapping_file_and_a_snapshot():
    commands = " ".join(c for c, _ in RUNS)
    for preset in ("qualtrics", "surveymonkey", "typeform", "delighted", "trustpilot", "g2", "hubspot-contacts",
                   "hubspot-companies", "salesforce-accounts", "salesforce-opportunities"):
        assert f"--preset {preset}" in commands, preset
    assert "--map helpdesk.yaml" in commands and "--as-of" in commands


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("importing-docs")
    for name, body in FILES.items():
        (root / name).write_text(body, encoding="utf-8")
    db = root / "docs.duckdb"
    p = subprocess.run([ADVOKIT, "--db", str(db), "import", "customers", "customers.csv"], cwd=root,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return root


@pytest.mark.parametrize("command, expect", RUNS, ids=[c.split()[3] for c, _ in RUNS])
def test_each_worked_example_lands_what_the_doc_says(folder: Path, command: str, expect: dict[str, int],
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch):
    from advokit.cli import main

    args = shlex.split(command)[1:]
    monkeypatch.chdir(folder)  # (the commands name the files as the doc does; run in this process: faster)
    try:
        main(["--db", str(folder / "docs.duckdb"), *args, "--format", "json"])
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr().err
    report = json.loads(capsys.readouterr().out)
    got = {key: (report.get("skipped", 0) if key == "skipped" else report[key]) for key in expect}
    assert got == expect, report
    for error in report["errors"]:  # every reject names a line of the file past its header, a column, a reason
        assert error["row"] >= 2 and error["column"] and error["reason"]


def test_the_qualtrics_example_stores_what_the_doc_says(tmp_path: Path):
    import duckdb

    for name in ("customers.csv", "qualtrics.csv"):
        (tmp_path / name).write_text(FILES[name], encoding="utf-8")
    db = str(tmp_path / "q.duckdb")
    for args in (["customers", "customers.csv"], ["events", "qualtrics.csv", "--preset", "qualtrics"]):
        assert subprocess.run([ADVOKIT, "--db", db, "import", *args], cwd=tmp_path, capture_output=True,
                              timeout=120).returncode == 0
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT event_id, customer_id, type, strftime(occurred_at, '%Y-%m-%d %H:%M:%S'), score, text "
                       "FROM events ORDER BY event_id").fetchall()
    con.close()
    assert rows == [
        ("qualtrics:R_1:csat", "ACC-1", "csat_response", "2025-03-04 16:04:11", 5.0, None),
        ("qualtrics:R_1:nps", "ACC-1", "nps_response", "2025-03-04 16:04:11", 9.0, "Fast, and the team\nanswers quickly"),
        ("qualtrics:R_2:csat", "ACC-2", "csat_response", "2025-03-06 00:31:02", 4.0, None),
    ]
