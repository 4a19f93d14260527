"""Analysis on every KPI: trend, significance, targets, scorecard, comparisons, cohorts, maturity.

* :mod:`.trend`      ``analyze``: change, year-over-year, rolling mean, band, target, status;
* :mod:`.targets`    targets stored in the workspace and their precedence;
* :mod:`.scorecard`  every KPI of one period by focus area;
* :mod:`.compare`    two segments, a segment against the rest, two windows of months;
* :mod:`.cohorts`    retention matrices by signup cohort;
* :mod:`.maturity`   the four maturity stages of seed 003.

Every function takes the :class:`~advokit.engine.KpiService` it reads; the
:class:`Analysis` service bundles them and is handed out as ``ws.analysis``.
May import: ``engine``, ``stats``, ``catalogue``, ``store``, ``errors``.
"""

from .service import Analysis

__all__ = ["Analysis"]
