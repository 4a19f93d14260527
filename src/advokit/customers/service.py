"""``Customers``: one customer's profile, the customer directory, attribute values."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ibis

from ..store.database import Database
from ..store.attributes import offered_dimensions
from . import attributes, directory, profile
from .attributes import Attribute
from .directory import CustomerDirectory, CustomerPage


class Customers:
    """Customer pages of one workspace: profiles, the in-memory directory and its SQL fallback.

    ``backend`` gives the Ibis backend of the calling thread (``KpiService.backend``).
    """

    def __init__(self, db: Database, *, backend: Callable[[], ibis.BaseBackend]) -> None:
        self.db = db
        self._backend = backend
        self._directory: CustomerDirectory | None = None
        self._lock = threading.Lock()

    def profile(self, customer_id: str, *, limit: int = 100, offset: int = 0,
                events_of: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
        """A customer's profile with its event timeline, newest first.

        ``events_of`` adds, per name, the customer's events of those types, oldest first
        (e.g. ``{"scores": SURVEY_TYPES}``), read in the same scan.
        """
        return profile.profile(self.db, customer_id, limit=limit, offset=offset, events_of=events_of)

    def directory(self) -> CustomerDirectory:
        """The customer directory in memory, rebuilt when the customers changed since it was read.

        A write to the workspace (``Database.writes`` moved) costs one look at the customers'
        fingerprint (their number and latest ``updated_at``); only a change of it, or of the
        columns, reads the customers again (about a second for 1M customers).
        """
        with self._lock:
            found = self._directory
            writes = self.db.writes
            if found is not None and found.writes == writes:
                return found
            cur = self.db.cursor()
            dims = self.db.dimension_columns()
            if found is not None and found.dimensions == dims and found.fingerprint == directory.fingerprint(cur):
                found.writes = writes
                return found
            self._directory = CustomerDirectory.load(cur, dims, writes)  # the old one may still serve a page
            return self._directory

    def page(self, *, q: str | None = None, filters: Mapping[str, str | None] | None = None, sort: str = "name",
             descending: bool = False, limit: int = 50, offset: int = 0) -> CustomerPage:
        """One page of customers whose id, name or email contains ``q``, filtered and sorted.

        Served from the in-memory :meth:`directory`; exactly what ``directory.list_customers_sql``
        answers from the table (which answers the rare request the directory cannot).
        """
        found_directory = self.directory()
        found = found_directory.page(q=q, filters=filters, sort=sort, descending=descending, limit=limit,
                                     offset=offset)
        if found is not None:
            return found
        return directory.list_customers_sql(self._backend(), dimensions=found_directory.dimensions, q=q,
                                            filters=filters, sort=sort, descending=descending, limit=limit,
                                            offset=offset)

    def attribute_values(self, *, max_values: int = 50) -> dict[str, list[str]]:
        """Each customer attribute with at most ``max_values`` distinct values, and those values."""
        return directory.attribute_values(self._backend(), offered_dimensions(self.db), max_values=max_values)

    def attributes(self) -> list[Attribute]:
        """The extra attribute columns, with their distinct values and whether each is a dimension."""
        return attributes.list_attributes(self.db)

    def drop_attribute(self, name: str) -> Attribute:
        """Drop an extra attribute (its column and values); rollups and cached views that used it are dropped."""
        return attributes.drop_attribute(self.db, name)

    def events(self, customer_id: str, *, types: Sequence[str], limit: int = 1000) -> list[dict[str, Any]]:
        """One customer's events of the given types, oldest first (e.g. survey answers over time)."""
        return directory.customer_events(self._backend(), customer_id, types=types, limit=limit)

    def close(self) -> None:
        if self._directory is not None:
            self._directory.close()
