"""The KPI engine: KPI definitions compiled to Ibis expressions and run on the workspace's backend.

Owns the compiler (:mod:`.compiler`), the measures and populations it is made
of, periods and their labels (:mod:`.periods`), each row's uncertainty
(:mod:`.uncertainty`), the custom KPIs that are not plain ratios
(:mod:`.custom`, :mod:`.custom_kpis`), and :class:`KpiService`, the calls every
other service makes to get KPI values of a workspace database. May import:
``catalogue``, ``store``, ``stats``, ``errors``. No user value ever enters SQL
text: everything is an expression.
"""

from .compiler import Engine, KpiRequest, empty_result, result_schema
from .coverage import CoverageService
from .periods import (
           GRAINS,
           Grain,
           Period,
           parse_date,
           parse_period_label,
           period_of,
           periods_between,
)
from .result import KpiResult
from .service import CORE_KPIS, KpiService, ValueCache

__all__ = ["CORE_KPIS", "CoverageService", "Engine", "GRAINS", "Grain", "KpiRequest", "KpiResult", "KpiService", "Period", "ValueCache",
           "empty_result", "parse_date", "parse_period_label", "period_of", "periods_between", "result_schema"]
