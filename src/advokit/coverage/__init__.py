"""Coverage: which KPI values the workspace can speak about (kpi-semantics.md, "Coverage").

Owns the inputs each KPI reads (event types, groups of them, customer fields), the span in which the
workspace holds each input (from the data, or set by the user: ``coverage_spans``), and the marking of
KPI rows as ``covered`` or ``not_tracked`` (with a one-line note and a null value). May import:
``catalogue``, ``store``, ``errors``. The KPI engine (``KpiService``) applies it to every row it returns.
"""

from __future__ import annotations

from .inputs import Input, input_named, inputs_of, supply_hint
from .mark import COVERED, NOT_TRACKED, Marker, mark_rows, mark_table
from .spans import Coverage, Span, SpanInfo

__all__ = ["COVERED", "Coverage", "Input", "Marker", "NOT_TRACKED", "Span", "SpanInfo", "input_named", "inputs_of",
           "mark_rows", "mark_table", "supply_hint"]
