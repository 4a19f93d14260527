"""The scorecard shape (the dashboard and the reports code against it)."""

from __future__ import annotations

import json

import pytest

from advokit.catalogue.model import FOCUS_AREAS
from advokit.errors import InvalidArgumentError, UnknownDimensionError

from .analysis_support import load_worked_example, workspace

TOP = {"period", "grain", "previous_period", "year_ago_period", "by", "filters", "focus_areas"}
ENTRY = {"kpi", "name", "unit", "direction", "value", "n", "numerator", "denominator", "ci_low", "ci_high",
         "small_sample", "previous", "change", "change_pct", "change_significant", "change_p_value", "year_ago",
         "yoy_change", "yoy_change_pct", "yoy_significant", "rolling_mean", "band", "target", "status",
         "benchmarks"}


@pytest.fixture
def ws(tmp_path):
    w = workspace(tmp_path / "s.duckdb")
    load_worked_example(w)
    yield w
    w.close()


def test_shape_without_by(ws):
    ws.set_target("nps", 20)
    card = ws.scorecard("2025-01")
    assert TOP <= set(card) and card["period"] == "2025-01" and card["grain"] == "month"
    assert (card["previous_period"], card["year_ago_period"], card["by"], card["filters"]) == ("2024-12", "2024-01",
                                                                                               None, {})
    assert [a["id"] for a in card["focus_areas"]] == list(FOCUS_AREAS)
    assert [a["name"] for a in card["focus_areas"]] == list(FOCUS_AREAS.values())
    seen: dict[str, list[str]] = {}
    for area in card["focus_areas"]:
        for e in area["kpis"]:
            assert ENTRY <= set(e) and "groups" not in e
            assert e["status"] in ("good", "watch", "poor", "unknown", "not_tracked")
            assert e["band"] is None or set(e["band"]) == {"label", "rating"}
            assert e["target"] is None or (set(e["target"]) >= {"value", "status"}
                                           and e["target"]["status"] in ("met", "missed", None))
            seen.setdefault(e["kpi"], []).append(area["id"])
    assert set(seen) == set(ws.catalogue.ids)
    assert len(seen["nps"]) == 2  # NPS sits in two focus areas
    nps = next(e for e in card["focus_areas"][0]["kpis"] if e["kpi"] == "nps")
    assert nps["value"] == 25.0 and nps["n"] == 4 and nps["small_sample"] is True
    assert nps["target"]["value"] == 20.0 and nps["target"]["status"] == "met" and nps["status"] == "good"
    assert nps["band"] == {"label": "fair", "rating": "fair"}
    assert nps["benchmarks"] == [{"value": 40.0, "industry": "Technology", "source": "test source", "note": None}]
    json.dumps(card)  # JSON-ready: no NaN, no dates, no numpy scalars
    assert "NaN" not in json.dumps(card)


def test_shape_with_by(ws):
    card = ws.scorecard("2025-01", by="segment")
    assert card["by"] == "segment"
    for area in card["focus_areas"]:
        for e in area["kpis"]:
            assert {g["group"] for g in e["groups"]} == {"SMB", "Enterprise"}
            for g in e["groups"]:
                assert (ENTRY - {"benchmarks"}) <= set(g)
    nps = next(e for e in card["focus_areas"][0]["kpis"] if e["kpi"] == "nps")
    assert {g["group"]: g["value"] for g in nps["groups"]} == pytest.approx({"SMB": 200 / 3, "Enterprise": -100.0})


@pytest.mark.parametrize("label,grain,prev,year", [("2025-Q1", "quarter", "2024-Q4", "2024-Q1"),
                                                   ("2025", "year", "2024", "2024"),
                                                   ("2024-12", "month", "2024-11", "2023-12")])
def test_period_labels(ws, label, grain, prev, year):
    card = ws.scorecard(label)
    assert (card["grain"], card["previous_period"], card["year_ago_period"]) == (grain, prev, year)


def test_bad_input(ws):
    with pytest.raises(InvalidArgumentError):
        ws.scorecard("2025-13")
    with pytest.raises(InvalidArgumentError):
        ws.scorecard("last month")
    with pytest.raises(UnknownDimensionError):
        ws.scorecard("2025-01", by="shoe_size")


def test_filters_are_reported(ws):
    card = ws.scorecard("2025-01", filters={"segment": "SMB"})
    assert card["filters"] == {"segment": "SMB"}
    nps = next(e for e in card["focus_areas"][0]["kpis"] if e["kpi"] == "nps")
    assert nps["value"] == pytest.approx(200 / 3)


def test_empty_workspace_answers(tmp_path):
    w = workspace(tmp_path / "e.duckdb")
    from advokit.errors import PeriodOutsideDataError

    with pytest.raises(PeriodOutsideDataError, match="holds no data"):  # nothing to judge: one clear error
        w.scorecard("2025-01")
    w.close()
