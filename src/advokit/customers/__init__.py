"""Customers one at a time: a profile with its timeline, the searchable directory, attribute values.

Reads the ``customers`` and ``events`` tables; holds the in-memory customer
directory. May import: ``store``, ``catalogue``, ``errors``. Reached as
``ws.customers`` (the dashboard's customer pages, the REST API's profiles).
"""

from .directory import CustomerDirectory, CustomerPage
from .profile import MAX_TIMELINE
from .service import Customers

__all__ = ["CustomerDirectory", "CustomerPage", "Customers", "MAX_TIMELINE"]
