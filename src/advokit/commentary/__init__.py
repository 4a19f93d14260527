"""Team commentary: what the team makes of a KPI in a period, and what it will do about it.

Owns the ``comments`` table (through :class:`~advokit.store.Database`) and
the kinds a comment may have. May import: ``store``, ``catalogue``,
``engine.periods``, ``errors``. The dashboard, the reports and the CLI reach it
as ``ws.commentary``.
"""

from .comments import KINDS, check_kind
from .service import Commentary

__all__ = ["Commentary", "KINDS", "check_kind"]
