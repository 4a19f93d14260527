"""Units as people read them (reports/format.py): every rule, worked by hand."""

from __future__ import annotations

import math
from typing import Any

import pytest

from advokit.reports import format as fmt
from advokit.reports.model import Metric

MINUS = "\u2212"


def metric(unit: str, value: float | None, change: float | None = None, **extra: Any) -> Metric:
    return Metric(kpi="k", name="K", unit=unit, direction="higher_is_better", value=value, reference=None,
                  change=change, change_pct=None, p_value=None, significance="untested", **extra)


@pytest.mark.parametrize(("value", "unit", "options", "expected"), [
    (76.14, "percent", {}, "76.1 %"),
    (918_900.0, "money", {"currency": "EUR"}, "€918,900"),
    (1_200.0, "money", {"currency": "usd"}, "$1,200"),
    (1_200.0, "money", {"currency": "GBP"}, "£1,200"),
    (1_200.0, "money", {"currency": "JPY"}, "¥1,200"),
    (1_200.0, "money", {"currency": "CHF"}, "CHF 1,200"),
    (918_900.4, "money", {}, "918,900"),
    (-442_400.0, "money", {"currency": "EUR"}, MINUS + "€442,400"),
    (4.4567, "ratio", {"scale": (1.0, 5.0)}, "★ 4.46 of 5"),
    (3.14, "ratio", {"scale": (1.0, 7.0)}, "3.1 of 7"),
    (28.6, "count", {}, "29"),
    (29.0, "count", {}, "29"),
    (1234.0, "count", {}, "1,234"),
    (15.84, "days", {}, "15.8 days"),
    (34.44, "score", {}, "34.4"),
    (61.06, "index", {}, "61.1"),
    (0.2345, "ratio", {}, "0.23"),
    (0.2344, "per_customer", {}, "0.234"),
    (2.5, "count", {"per_month": True}, "2 /month"),
    (0.234, "per_customer", {"per_month": True}, "0.234 /month"),
    (-12.34, "score", {}, MINUS + "12.3"),
    (-0.04, "score", {}, "0.0"),  # rounds to zero: no sign
    (None, "percent", {}, "n/a"),
    (math.nan, "money", {"currency": "EUR"}, "n/a"),
    (math.inf, "count", {}, "n/a"),
])
def test_number(value: float | None, unit: str, options: dict[str, Any], expected: str) -> None:
    assert fmt.number(value, unit, **options) == expected


@pytest.mark.parametrize(("value", "unit", "options", "expected"), [
    (2.94, "percent", {}, "+2.9 pts"),
    (-2.94, "percent", {}, MINUS + "2.9 pts"),
    (2.94, "score", {}, "+2.9 pts"),  # NPS points
    (-1.26, "index", {}, MINUS + "1.3 pts"),
    (-442_400.0, "money", {"currency": "EUR"}, MINUS + "€442,400"),
    (1_200.0, "money", {"currency": "EUR"}, "+€1,200"),
    (1_200.0, "money", {"currency": "CHF"}, "+CHF 1,200"),
    (-1_200.0, "money", {}, MINUS + "1,200"),
    (0.123, "ratio", {"scale": (1.0, 5.0)}, "+0.12"),
    (-0.123, "ratio", {"scale": (1.0, 5.0)}, MINUS + "0.12"),
    (0.26, "ratio", {"scale": (1.0, 7.0)}, "+0.3"),
    (3.0, "count", {}, "+3"),
    (2.6, "count", {}, "+3"),
    (-3.0, "count", {}, MINUS + "3"),
    (2.0, "days", {}, "+2.0 days"),
    (0.05, "ratio", {}, "+0.05"),
    (0.0123, "per_customer", {}, "+0.012"),
    (None, "percent", {}, "n/a"),
    (math.nan, "percent", {}, "n/a"),
])
def test_change(value: float | None, unit: str, options: dict[str, Any], expected: str) -> None:
    assert fmt.change(value, unit, **options) == expected


@pytest.mark.parametrize(("value", "unit", "options"), [
    (0.0, "percent", {}), (-0.04, "percent", {}), (0.049, "score", {}), (-0.0001, "index", {}),
    (0.4, "count", {}), (-0.4, "money", {"currency": "EUR"}), (0.004, "ratio", {"scale": (1.0, 5.0)}),
    (-0.04, "ratio", {"scale": (1.0, 7.0)}), (0.0004, "per_customer", {}), (-0.02, "days", {}),
])
def test_a_change_that_rounds_to_zero_is_no_change(value: float, unit: str, options: dict[str, Any]) -> None:
    assert fmt.change(value, unit, **options) == "no change"


def test_no_hyphen_minus_and_no_signed_zero_anywhere() -> None:
    for unit in ("percent", "money", "count", "days", "ratio", "score", "index", "per_customer"):
        for v in (-0.0001, -0.04, -1.0, -1234.5):
            for text in (fmt.number(v, unit), fmt.change(v, unit)):
                assert "-" not in text and "±" not in text, (unit, v, text)
                assert f"{MINUS}0.0" != text.split(" ")[0] and not text.startswith(f"{MINUS}0 "), (unit, v, text)


def test_a_metric_reads_in_its_unit_scale_and_currency() -> None:
    rating = metric("ratio", 4.4567, 0.123, scale=(1.0, 5.0), small_sample=True, n=12)
    assert (fmt.value(rating), fmt.delta(rating), fmt.amount(rating, 4.2)) == ("★ 4.46 of 5*", "+0.12", "★ 4.20 of 5")
    effort = metric("ratio", 3.14, -0.02, scale=(1.0, 7.0))
    assert (fmt.value(effort), fmt.delta(effort)) == ("3.1 of 7", "no change")
    revenue = metric("money", 918_900.0, -442_400.0, currency="EUR", target=1_000_000.0, target_status="missed")
    assert (fmt.value(revenue), fmt.delta(revenue)) == ("€918,900", MINUS + "€442,400")
    assert fmt.target(revenue) == "€1,000,000 (missed)"
    monthly = metric("count", 12.4, 1.0, per_month=True)
    assert (fmt.value(monthly), fmt.delta(monthly), fmt.amount(monthly, 10.0)) == ("12 /month", "+1", "10 /month")
    empty = metric("percent", None, None, small_sample=True)
    assert (fmt.value(empty), fmt.delta(empty)) == ("n/a", "n/a")


def test_band_is_the_label_only() -> None:
    assert fmt.band(metric("ratio", 3.2, band="Some friction", band_rating="fair")) == "Some friction"
    assert fmt.band(metric("percent", 50.0, band="Fair", band_rating="fair")) == "Fair"
    assert fmt.band(metric("percent", 50.0)) == "n/a"


@pytest.mark.parametrize(("code", "symbol"), [("EUR", "€"), ("usd", "$"), ("GBP", "£"), ("JPY", "¥"),
                                              ("CHF", "CHF"), ("sek", "SEK")])
def test_currency_symbol(code: str, symbol: str) -> None:
    assert fmt.currency_symbol(code) == symbol


def test_join_and_lists_as_people_write_them() -> None:
    assert fmt.join_and([]) == ""
    assert fmt.join_and(["NPS"]) == "NPS"
    assert fmt.join_and(["NPS", "CSAT"]) == "NPS and CSAT"
    assert fmt.join_and(["NPS", "CSAT", "CES"]) == "NPS, CSAT and CES"
