"""What the pages show, kept until the workspace data changes.

The dashboard asks the Workspace for the same scorecard again and again while
the data stands still; this cache keeps each answer until the next write to
the workspace (``Database.on_change``), so a page costs one lookup instead of
a recomputation. Writes that cannot change a number (a comment) run inside
``quiet()`` and keep the cache. Concurrent misses of one key share one
computation; an answer computed while a write landed is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from ..store.database import Database

T = TypeVar("T")


class ViewCache:
    """An LRU of computed views, dropped whole on any write to the workspace."""

    def __init__(self, db: Database, *, max_entries: int = 512) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._max = max_entries
        self._generation = 0
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._inflight: dict[Hashable, Future[Any]] = {}
        self.hits = 0
        self.misses = 0
        db.on_change(self._on_change)

    def _on_change(self, what: str) -> None:
        if not getattr(self._local, "quiet", False):
            self.clear()

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Writes in this block (on this thread) leave the cache as it is."""
        self._local.quiet = True
        try:
            yield
        finally:
            self._local.quiet = False

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of ``key``, else ``compute()`` (shared with concurrent callers)."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]  # type: ignore[no-any-return]
            future = self._inflight.get(key)
            owner = future is None
            if owner:
                future = self._inflight[key] = Future()
                generation = self._generation
                self.misses += 1
        assert future is not None
        if not owner:
            return future.result()  # type: ignore[no-any-return]
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                self._inflight.pop(key, None)
            future.set_exception(exc)
            raise
        with self._lock:
            self._inflight.pop(key, None)
            if generation == self._generation:
                self._entries[key] = value
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        future.set_result(value)
        return value
