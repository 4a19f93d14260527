"""Analysis on every KPI: uncertainty, trend, significance, targets, scorecard, cohorts, maturity.

* :mod:`.stats`      pure, vectorised interval and significance formulas (no SciPy);
* :mod:`.trend`      ``analyze``: change, year-over-year, rolling mean, band, target, status;
* :mod:`.targets`    targets stored in the workspace and their precedence;
* :mod:`.scorecard`  every KPI of one period by focus area;
* :mod:`.compare`    two segments in one period;
* :mod:`.cohorts`    retention matrices by signup cohort;
* :mod:`.maturity`   the four maturity stages of seed 003.

The engine attaches each row's interval itself (:mod:`advokit.engine.uncertainty`);
the shells reach everything through :class:`advokit.Workspace`. This package
imports its submodules lazily, so the engine can use :mod:`.stats` without a cycle.
"""
