"""Data quality: what is odd in a workspace's data and what to do about it (``advokit doctor``).

Owns the checks (:mod:`.checks`: events before signup or after churn, in the future, duplicate-looking;
customers without events; event types never seen and the KPIs they would light up; empty months inside a
type's span; attributes useless as segments), the typed report (:mod:`.model`) and :class:`Quality`, the
service the workspace hands out as ``ws.quality``; the importer asks it what one import's rows bring.
May import: ``store``, ``catalogue``, ``engine``, ``errors``.
"""

from .model import KINDS, DoctorReport, Finding, ImportWarnings, warning_lines
from .service import Quality, kpi_event_types

__all__ = ["DoctorReport", "Finding", "ImportWarnings", "KINDS", "Quality", "kpi_event_types", "warning_lines"]
