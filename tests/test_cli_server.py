"""The CLI while `advokit serve` holds the workspace: through the server, or the file read-only.

Real processes: an `advokit serve` subprocess on a free port over a real DuckDB
file, and the CLI in subprocesses (tests/api_support.py).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from .api_support import Server, cli, free_port, worked_workspace

READS = [
    ("kpi", "compute", "nps", "csat", "customer_churn_rate", "--format", "json"),
    ("kpi", "compute", "nps", "--by", "segment", "--format", "csv"),
    ("summary",),
    ("summary", "--format", "json"),
    ("scorecard", "--format", "json"),
    ("compare", "nps", "--period", "2025-01", "--by", "segment", "--a", "SMB", "--b", "Enterprise",
     "--format", "json"),
    ("report", "--out", "-", "--format", "md"),
]
EVENTS = ("event_id,customer_id,type,occurred_at,score,amount,ref\n"
          "e-remote-1,A,csat_response,2025-01-20T10:00:00Z,5,,\n")


def _build(db: Path) -> Path:
    return worked_workspace(db)


def _server_file(db: Path) -> Path:
    return db.with_name(db.name + ".server")


def _verbose(db: Path, *args: str) -> str:
    """The one line ``--verbose`` writes about the path taken."""
    lines = [x for x in cli(db, "--verbose", *args).stderr.splitlines() if not x.startswith("note: period")]
    assert len(lines) == 1, lines  # (besides the note naming the default period a command picked)
    return lines[0]


def _normalise(text: str) -> str:
    """A report's 'generated' minute may tick between two runs."""
    return "\n".join(line for line in text.splitlines() if "enerated" not in line)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[tuple[str, ...], str]]]:
    db = _build(tmp_path_factory.mktemp("served") / "w.duckdb")
    alone = {args: _normalise(cli(db, *args).stdout) for args in READS}  # before the server holds the file
    with Server(db, args=("--access-log",)) as server:
        yield server, alone


def test_read_commands_print_the_same_through_the_server(served: tuple[Server, dict[tuple[str, ...], str]]) -> None:
    server, alone = served
    db = Path(server.db)
    assert server.proc is not None
    for args in READS:
        assert _normalise(cli(db, *args).stdout) == alone[args], args
    assert json.loads(alone[READS[0]])[0]["kpi"] == "nps"  # (real rows were compared)
    assert _verbose(db, "summary") == f"via server {server.url} (pid {server.proc.pid})"


def test_the_server_file_is_owner_only_and_holds_no_secret_in_the_log(
        served: tuple[Server, dict[tuple[str, ...], str]]) -> None:
    server, _ = served
    assert server.proc is not None
    path = _server_file(Path(server.db))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    info = json.loads(path.read_text())
    assert set(info) == {"url", "pid", "started_at", "token", "workspace"}
    assert info["url"] == server.url and info["pid"] == server.proc.pid
    assert info["workspace"] == str(Path(server.db).resolve()) and len(info["token"]) >= 40
    cli(Path(server.db), "summary")  # (served with --access-log)
    assert info["token"] not in server.stderr()


def test_writes_go_through_the_server(served: tuple[Server, dict[tuple[str, ...], str]], tmp_path: Path) -> None:
    server, _ = served
    db = Path(server.db)
    said = cli(db, "comment", "add", "nps", "--period", "2024-12", "--body", "via the server", "--format", "json")
    comment = json.loads(said.stdout)
    listed = json.loads(cli(db, "comment", "list", "--kpi", "nps", "--format", "json").stdout)
    assert [c["body"] for c in listed if c["id"] == comment["id"]] == ["via the server"]
    target = json.loads(cli(db, "target", "set", "csat", "80", "--format", "json").stdout)
    assert [t["value"] for t in json.loads(cli(db, "target", "list", "--format", "json").stdout)
            if t["id"] == target["id"]] == [80.0]
    cli(db, "comment", "delete", comment["id"])
    assert comment["id"] not in cli(db, "comment", "list").stdout

    before = {r["period"]: r["n"] for r in
              json.loads(cli(db, "kpi", "compute", "csat", "--format", "json").stdout)}
    events = tmp_path / "more.csv"
    events.write_text(EVENTS)
    landed = json.loads(cli(db, "import", "events", str(events), "--format", "json").stdout)
    assert (landed["imported"], landed["rejected"], landed["source"]) == (1, 0, str(events))
    after = {r["period"]: r["n"] for r in json.loads(cli(db, "kpi", "compute", "csat", "--format", "json").stdout)}
    assert after["2025-01"] == before["2025-01"] + 1
    again = cli(db, "import", "events", str(events)).stdout
    assert again == f"{events}: imported 0, rejected 0, duplicates 1\n"


def test_settings_and_due_dates_go_through_the_server(served: tuple[Server, dict[tuple[str, ...], str]]) -> None:
    server, _ = served
    db = Path(server.db)
    assert cli(db, "config", "set", "currency", "usd").stdout == "currency = USD\n"
    assert cli(db, "config", "get", "currency").stdout == "USD\n"
    shown = json.loads(cli(db, "report", "config", "--headline", "csat,nps", "--format", "json").stdout)
    assert shown == {"kpis": ["csat", "nps"], "source": "workspace"}
    listed = {r["key"]: r["value"] for r in json.loads(cli(db, "config", "list", "--format", "json").stdout)}
    advocate_keys = {k for k in listed if k.startswith("advocates.")}
    assert advocate_keys and all(listed[k] is None for k in advocate_keys)  # the advocate weights and cut-offs, unset
    assert {k: v for k, v in listed.items() if k not in advocate_keys} == {
        "currency": "USD", "report.headline": "csat,nps", "listening.brand": None}
    bad = cli(db, "config", "set", "currency", "EURO", check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown currency 'EURO'") and "Traceback" not in bad.stderr
    assert json.loads(cli(db, "report", "config", "--reset", "--format", "json").stdout)["source"] == "catalogue"
    assert cli(db, "config", "unset", "currency").stdout == "unset currency\n"
    said = json.loads(cli(db, "comment", "add", "nps", "--period", "2024-12", "--kind", "action", "--due", "2025-01-31",
                          "--body", "due via the server", "--format", "json").stdout)
    assert said["due"] == "2025-01-31"
    bad = cli(db, "comment", "add", "nps", "--period", "2024-12", "--due", "31.01.2025", "--body", "x", check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error: the due date '31.01.2025' is not a date")
    cli(db, "comment", "delete", said["id"])
    assert _verbose(db, "config", "list") == f"via server {server.url} (pid {server.proc.pid})"  # type: ignore[union-attr]


def test_an_import_reports_the_same_with_and_without_the_server(
        served: tuple[Server, dict[tuple[str, ...], str]], tmp_path: Path) -> None:
    server, _ = served
    bad = tmp_path / "bad.csv"
    bad.write_text(EVENTS.replace("e-remote-1", "e-remote-2").replace(",5,", ",9,")
                   + "e-remote-3,A,csat_response,2025-01-21T10:00:00Z,4,,\n")
    other = _build(tmp_path / "alone.duckdb")
    through = cli(Path(server.db), "import", "events", str(bad)).stdout
    (tmp_path / "bad.csv.rejects.csv").unlink()
    assert cli(other, "import", "events", str(bad)).stdout == through
    assert "rejected 1" in through and f"rejected rows written to {bad}.rejects.csv" in through


def test_a_preset_import_and_its_dry_run_go_through_the_server(
        served: tuple[Server, dict[tuple[str, ...], str]], tmp_path: Path) -> None:
    server, _ = served
    db = Path(server.db)
    export = tmp_path / "reviews.csv"
    export.write_text("Review Id,Review Created (UTC),Review Stars,Review Content,Business Unit Id,Reference Id\n"
                      "tp-remote-1,2025-01-22 10:00:00,4,Nice,bu,A\n"
                      "tp-remote-2,2025-01-22 11:00:00,4,Nice,bu,nobody\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("mapping: 1\nname: m\nimports: events\nfields:\n  event_id: {column: Review Id}\n"
                       "  customer_id: {column: Reference Id}\n  type: {value: review}\n"
                       "  occurred_at: {column: Review Created (UTC)}\n")
    dry = json.loads(cli(db, "import", "events", str(export), "--preset", "trustpilot", "--dry-run",
                         "--format", "json").stdout)
    assert dry["dry_run"] is True and (dry["imported"], dry["rejected"]) == (1, 1) and dry["rejects_path"] is None
    assert not (tmp_path / "reviews.csv.rejects.csv").exists()
    landed = json.loads(cli(db, "import", "events", str(export), "--preset", "trustpilot", "--format", "json").stdout)
    assert (landed["imported"], landed["rejected"], landed["preset"]) == (1, 1, "trustpilot")
    assert landed["errors"][0]["row"] == 3 and landed["rejects_path"] == f"{export}.rejects.csv"
    own = json.loads(cli(db, "import", "events", str(export), "--map", str(mapping), "--format", "json").stdout)
    assert (own["imported"], own["mapping"]["mapping"]) == (1, "m")  # (the ids differ from the preset's)


def test_the_local_token_is_an_admin_key_from_this_machine_only(
        served: tuple[Server, dict[tuple[str, ...], str]]) -> None:
    server, _ = served
    token = json.loads(_server_file(Path(server.db)).read_text())["token"]
    keys = new_keys_over_api(server, token)
    call = {"method": "summary", "args": {}}
    with server.client(token) as c:
        assert c.get("/v1/apikeys").status_code == 200  # an admin key from loopback
        assert c.post("/v1/local/call", json=call).status_code == 200
        # through a proxy on this machine the client is the forwarded address: refused everywhere
        for path in ("/v1/apikeys", "/v1/local"):
            r = c.get(path, headers={"X-Forwarded-For": "203.0.113.9"})
            assert (r.status_code, r.json()["error"]["code"]) == (401, "unauthorized")
        # only the whitelist, with typed arguments
        assert c.post("/v1/local/call", json={"method": "sql_raw", "args": {}}).status_code == 422
        assert c.post("/v1/local/call", json={"method": "summary", "args": {"period": 202412}}).status_code == 422
        assert c.post("/v1/local/call", json={"method": "summary", "args": {"x": 1}}).status_code == 422
        r = c.post("/v1/local/call", json={"method": "import_events",
                                           "args": {"path": "rel.csv", "source_name": "rel.csv"}})
        assert r.status_code == 403
    with server.client(keys["admin"]) as c:  # an ordinary admin key does not open the local channel
        assert c.post("/v1/local/call", json=call).status_code == 403
        assert c.get("/v1/local").status_code == 403
    with server.client("not-" + token) as c:
        assert c.post("/v1/local/call", json=call).status_code == 401
    with server.client() as c:
        assert c.get("/v1/local").status_code == 401
    assert "/v1/local" not in httpx.get(server.url + "/openapi.json").text


def new_keys_over_api(server: Server, token: str) -> dict[str, str]:
    with server.client(token) as c:
        r = c.post("/v1/apikeys", json={"name": "t-admin", "scope": "admin"})
        assert r.status_code == 201
        return {"admin": r.json()["key"]}


def test_a_command_that_needs_the_file_says_the_server_holds_it(
        served: tuple[Server, dict[tuple[str, ...], str]]) -> None:
    server, _ = served
    assert server.proc is not None
    out = cli(Path(server.db), "webhook", "list", check=False)
    assert out.returncode == 1
    assert out.stderr.startswith(f"error: `advokit serve` (pid {server.proc.pid}, {server.url}) holds workspace ")
    assert "Conflicting lock" not in out.stderr


def test_sigterm_removes_the_server_file_and_the_cli_opens_the_file_again(tmp_path: Path) -> None:
    db = _build(tmp_path / "w.duckdb")
    server = Server(db).start()
    try:
        assert _server_file(db).exists()
    finally:
        server.stop()  # SIGTERM
    assert not _server_file(db).exists()
    assert _verbose(db, "summary") == f"opened {db} read-only"
    assert _verbose(db, "comment", "list") == f"opened {db} read-only"
    assert _verbose(db, "target", "set", "nps", "30") == f"opened {db}"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("pid", ["dead", "alive, nothing listening"])
def test_a_stale_server_file_is_ignored_and_removed(tmp_path: Path, pid: str) -> None:
    db = _build(tmp_path / "w.duckdb")
    stale = {"url": f"http://127.0.0.1:{free_port()}", "pid": _dead_pid() if pid == "dead" else os.getpid(),
             "started_at": "2026-01-01T00:00:00+00:00", "token": "x" * 43, "workspace": str(db.resolve())}
    _server_file(db).write_text(json.dumps(stale))
    assert _verbose(db, "kpi", "compute", "nps", "--format", "json") == f"opened {db} read-only"
    assert not _server_file(db).exists()


def test_a_read_command_works_beside_another_reader(tmp_path: Path) -> None:
    db = _build(tmp_path / "w.duckdb")
    held = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                             f"c = duckdb.connect({str(db)!r}, read_only=True); print('held', flush=True); "
                             "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert held.stdout is not None and held.stdout.readline().strip() == "held"
        out = cli(db, "kpi", "compute", "nps", "--format", "json")
        assert json.loads(out.stdout)[0]["kpi"] == "nps"
        with pytest.raises(duckdb.IOException):  # (the reader really holds the file: no writer beside it)
            duckdb.connect(str(db))
    finally:
        held.send_signal(signal.SIGKILL)
        held.wait()
        held.stdout.close()

