"""The KPI engine."""

from .compiler import Engine, KpiRequest, empty_result, result_schema
from .periods import GRAINS, Grain, Period, parse_date, parse_period_label, period_of, periods_between
from .result import KpiResult

__all__ = ["Engine", "GRAINS", "Grain", "KpiRequest", "KpiResult", "Period", "empty_result", "parse_date",
           "parse_period_label", "period_of", "periods_between", "result_schema"]
