"""A real ``advokit serve`` process on 127.0.0.1, for the API tests and the benchmark."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
WORKED = ROOT / "tests" / "cases" / "worked_example"


def advokit_bin() -> str:
    exe = Path(sys.executable).with_name("advokit")
    return str(exe) if exe.exists() else "advokit"


def cli(db: Path | str, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([advokit_bin(), "--db", str(db), *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"advokit {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def cli_json(db: Path | str, *args: str) -> Any:
    return json.loads(cli(db, *args, "--format", "json").stdout)


def new_key(db: Path | str, scope: str, name: str | None = None) -> str:
    return str(cli_json(db, "apikey", "create", "--scope", scope, "--name", name or f"test-{scope}")["key"])


def new_keys(db: Path | str, *scopes: str) -> dict[str, str]:
    """Keys made in-process (faster than one CLI run each; `advokit apikey create` has its own tests)."""
    from advokit import Workspace

    with Workspace(db) as ws:
        return {s: ws.access.keys.create(name=f"test-{s}", scope=s).key for s in scopes}


_WORKED_TEMPLATE: list[Path] = []


def worked_workspace(db: Path) -> Path:
    """The worked example imported by the real command line into ``db``.

    It is imported once per test process (two ``advokit import`` runs) and copied file by file after that (the
    DuckDB file and what sits beside it, e.g. its ``.key``): the same bytes, without seconds of imports per test."""
    if not _WORKED_TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="advokit-worked-")) / "w.duckdb"
        cli(template, "import", "customers", str(WORKED / "customers.csv"), "--no-progress")
        cli(template, "import", "events", str(WORKED / "events.csv"), "--no-progress")
        _WORKED_TEMPLATE.append(template)
    template = _WORKED_TEMPLATE[0]
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    for part in template.parent.iterdir():
        if part.name.startswith(template.name):
            shutil.copyfile(part, db.with_name(db.name + part.name[len(template.name):]))
    return db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``advokit --db DB serve`` on a free loopback port, with optional ``ADVOKIT_API_*`` settings."""

    def __init__(self, db: Path | str, *, args: tuple[str, ...] = (), **settings: Any) -> None:
        self.db = str(db)
        self.args = args  # more `advokit serve` options, e.g. ("--allowed-host", "dash.example")
        self.settings = settings
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log: Any = None
        self.last_log = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "Server":
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        env = {**os.environ, **{f"ADVOKIT_API_{k.upper()}": str(v) for k, v in self.settings.items()}}
        self.proc = subprocess.Popen([advokit_bin(), "--db", self.db, "serve", "--host", "127.0.0.1",
                                      "--port", str(self.port), *self.args], env=env,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"advokit serve exited: {self.stderr()[-2000:]}")
            try:
                if httpx.get(self.url + "/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("advokit serve did not answer /v1/health in time")

    def stderr(self) -> str:
        """What the server wrote to stderr (also after it stopped)."""
        if self.log is not None:
            self.log.seek(0)
            self.last_log = self.log.read().decode(errors="replace")
        return self.last_log

    def _close_log(self) -> None:
        self.stderr()
        if self.log is not None:
            self.log.close()
            self.log = None

    def client(self, key: str | None = None, timeout: float = 60) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self._close_log()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no checkpoint."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        self._close_log()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
