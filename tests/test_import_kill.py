"""A SIGKILL half-way through an import leaves the workspace as it was; the re-run completes once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from advokit.ingest import import_customers, import_events
from advokit.store.database import Database

CASE = Path(__file__).parent / "cases" / "worked_example"
N = 1_500_000

CHILD = """
import sys
from advokit.store import Database
from advokit.ingest import import_events
db = Database(sys.argv[1])
def progress(done, total):
    print("progress", done, flush=True)
import_events(db, sys.argv[2], progress=progress)
print("finished", flush=True)
"""


def _events(db: Path) -> tuple[int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone()  # type: ignore[return-value]
    finally:
        con.close()


def test_sigkill_mid_import_then_rerun(tmp_path):
    ws = tmp_path / "w.duckdb"
    big = tmp_path / "big.csv"
    con = duckdb.connect()
    con.execute("""COPY (SELECT 'k' || i AS event_id, ['A', 'B', 'C'][1 + i % 3] AS customer_id,
                        'nps_response' AS type, '2025-01-' || lpad(CAST(1 + i % 28 AS VARCHAR), 2, '0') AS occurred_at,
                        i % 11 AS score FROM range(?) t(i)) TO '""" + str(big).replace("'", "''") + "' (HEADER)",
                [N])
    con.close()
    db = Database(ws)
    import_customers(db, CASE / "customers.csv")
    import_events(db, CASE / "events.csv")
    db.close()
    before = _events(ws)

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(ws), str(big)], stdout=subprocess.PIPE, text=True,
                             env=env)
    assert child.stdout is not None
    line = child.stdout.readline()  # the import has started streaming the file
    assert line.startswith("progress"), line
    time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert _events(ws) == before, "a killed import changed the workspace"

    db = Database(ws)
    rep = import_events(db, big)
    assert rep.imported == N and rep.rejected == 0
    again = import_events(db, big)
    assert again.imported == 0 and again.duplicates == N
    db.close()
    total, distinct = _events(ws)
    assert total == distinct == before[0] + N
