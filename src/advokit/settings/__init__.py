"""Workspace settings: the currency the reports write amounts in, the report's headline KPIs, our brand in mentions.

Owns the ``settings`` table (through :class:`~advokit.store.Database`) and the keys it may
hold. May import: ``store``, ``catalogue``, ``errors``. The CLI (``advokit config``,
``advokit report config``) and the reports reach it as ``ws.settings``.
"""

from .currencies import CODES, SYMBOLS
from .service import (
    CURRENCY,
    KEYS,
    LISTENING_BRAND,
    MAX_HEADLINE,
    REPORT_HEADLINE,
    Settings,
    check_currency,
)

__all__ = ["CODES", "CURRENCY", "KEYS", "LISTENING_BRAND", "MAX_HEADLINE", "REPORT_HEADLINE", "SYMBOLS", "Settings", "check_currency"]
