"""Helpers shared by tests: the command line run in-process and a workspace built from two CSV texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from advokit import Workspace


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``advokit ARGS`` in this process (the console script's own entry point): exit code, stdout, stderr."""
    from advokit.cli import main

    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def csv_workspace(tmp_path: Path, customers: str, events: str) -> Workspace:
    """A workspace at ``tmp_path/w.duckdb`` with ``customers`` and ``events`` (CSV texts) imported."""
    (tmp_path / "c.csv").write_text(customers)
    (tmp_path / "e.csv").write_text(events)
    ws = Workspace(tmp_path / "w.duckdb")
    ws.import_customers(tmp_path / "c.csv")
    ws.import_events(tmp_path / "e.csv")
    return ws


def store_labels(ws: Workspace, labels: dict[str, tuple[str, float]]) -> None:
    """Put hand-given sentiment labels on stored texts (event id → (label, score)), as the model would store them."""
    with ws.db.transaction() as cur:
        for eid, (label, score) in labels.items():
            cur.execute("INSERT OR REPLACE INTO text_sentiment (event_id, label, score, confidence, language, "
                        "model, scored_at) VALUES (?, ?, ?, 0.9, 'en', 'hand', TIMESTAMP '2025-07-01')",
                        [eid, label, score])
