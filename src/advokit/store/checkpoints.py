"""Periodic checkpoints of a workspace held open by a long-running process (``advokit serve``).

DuckDB folds its WAL into the file by itself only when the WAL passes a size
threshold, so a server taking a trickle of writes could keep what it wrote (and
what an erasure deleted) in the WAL for hours. ``Checkpointer`` checkpoints
every ``every_s`` seconds on a daemon thread (a checkpoint refused because a
read holds a transaction open is tried again next time) and once more when
stopped; ``Database.close`` checkpoints too, so a graceful shutdown leaves no
WAL beside the file.
"""

from __future__ import annotations

import logging
import threading

import duckdb

from ..errors import WorkspaceError
from .database import Database

log = logging.getLogger(__name__)


class Checkpointer:
    """Checkpoint ``db`` every ``every_s`` seconds (0: never on a timer) until ``stop()``."""

    def __init__(self, db: Database, every_s: float) -> None:
        self.db = db
        self.every_s = every_s
        self.done = 0  #: checkpoints that went through
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Checkpointer":
        if self.every_s > 0 and self._thread is None and not self.db.read_only:
            self._thread = threading.Thread(target=self._run, name="advokit-checkpoint", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.once()

    def once(self) -> bool:
        try:
            ok = self.db.checkpoint()
        except (duckdb.Error, WorkspaceError, OSError) as exc:  # the server keeps serving; the next one retries
            log.warning("checkpoint of %s failed: %s", self.db.path, exc)
            return False
        self.done += ok
        return ok

    def stop(self, *, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
