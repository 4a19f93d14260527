"""Everything incremental: KPI rollups, their deltas, their upkeep, their saved copy, and the KPI cache.

* :mod:`.parts`   every KPI's leaf measures per period and customer group (exact: they add up);
* :mod:`.delta`   one batch's contribution to those parts, so an API batch brings them forward;
* :mod:`.keeper`  computing, refreshing in the background and loading the rollups;
* :mod:`.saved`   the rollups kept in the workspace file for the next process;
* :mod:`.cache`   ``KpiCache``: per-period KPI rows that writes invalidate month by month,
  answered from the rollups when they are fresh.

A value read here is always exactly what the engine computes. May import:
``engine``, ``catalogue``, ``store``, ``errors``. The workspace attaches the
cache to its :class:`~advokit.engine.KpiService` (``ws.kpis.values``) and
hands it out as ``ws.rollups``.
"""

from .cache import AppendScope, KpiCache

__all__ = ["AppendScope", "KpiCache"]
