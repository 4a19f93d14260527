"""The CLI shells of the API: apikey, webhook secret, serve's warnings."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from .api_support import advokit_bin, cli, cli_json, free_port


def test_apikey_create_list_revoke(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    made = cli_json(db, "apikey", "create", "--scope", "write", "--name", "crm")
    assert made["key"].startswith("adk_") and made["scope"] == "write" and made["name"] == "crm" and made["id"]
    plain = cli(db, "apikey", "create", "--scope", "read", "--name", "bi")
    assert plain.stdout.strip().startswith("adk_") and "shown once" in plain.stderr
    listed = cli_json(db, "apikey", "list")
    assert [k["name"] for k in listed] == ["crm", "bi"] and made["key"] not in json.dumps(listed)
    assert cli_json(db, "apikey", "revoke", made["id"])["active"] is False
    gone = cli(db, "apikey", "revoke", "nope", check=False)
    assert gone.returncode == 1 and gone.stderr.startswith("error: no API key with id 'nope'")
    bad = cli(db, "apikey", "create", "--scope", "root", "--name", "x", check=False)
    assert bad.returncode == 2 and "error:" in bad.stderr


def test_webhook_secret_is_printed_once_and_rotates(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    first = cli_json(db, "webhook", "secret", "delighted", "--kind", "survey")
    assert first["secret"].startswith("whsec_") and first["kind"] == "survey" and first["rotated_at"] is None
    second = cli(db, "webhook", "secret", "delighted")
    assert second.stdout.strip().startswith("whsec_") and second.stdout.strip() != first["secret"]
    listed = cli_json(db, "webhook", "list")
    assert listed[0]["kind"] == "survey" and listed[0]["rotated_at"] and "secret" not in listed[0]


def test_serve_warns_beyond_loopback_without_keys(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([advokit_bin(), "--db", str(tmp_path / "s.duckdb"), "serve", "--host", "0.0.0.0",
                                 "--port", str(port)], stdout=subprocess.DEVNULL, stderr=fh)
        try:
            deadline = time.monotonic() + 30
            while "advokit API on" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log.read_text()
    assert "beyond loopback" in text and "no API key" in text and "TLS" in text
