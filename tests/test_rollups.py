"""Rollups: answers from the per-customer-group rollups equal the engine's, stay exact under writes,
and survive a restart only while the data they were computed from is unchanged."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from advokit import Workspace
from advokit.demo_load import build_demo
from advokit.engine.rollup import rollable

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def assert_same_rows(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.keys() == b.keys()
        for key in a:
            x, y = a[key], b[key]
            if isinstance(x, float) and isinstance(y, float):
                assert (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), (key, a, b)
            else:
                assert x == y, (key, a, b)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rollups") / "demo.duckdb"
    with Workspace(path) as ws:
        build_demo(ws, customers=1500, months=14, seed=7)
        assert ws.cache.refresh_rollups(ws)  # saved in the file: every copy starts with them
    return path


@pytest.fixture()
def ws(demo_path: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A private copy of the demo workspace (tests write to it)."""
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(demo_path.read_bytes())
    w = Workspace(copy)
    yield w
    w.cache.stop()
    w.close()


def a_customer(ws: Workspace) -> dict[str, Any]:
    cur = ws.db.cursor()
    rel = cur.execute("SELECT customer_id, name, signup_at, segment FROM customers ORDER BY customer_id LIMIT 1")
    row = rel.fetchall()[0]
    return dict(zip(("customer_id", "name", "signup_at", "segment"), row))


def _from_rollups(ws: Workspace, *args: Any, **kwargs: Any) -> tuple[list[dict[str, Any]], bool]:
    before = ws.cache.rollup_hits
    rows = ws.values(*args, **kwargs)
    return rows, ws.cache.rollup_hits > before


def test_every_catalogue_kpi_rolls_up() -> None:
    from advokit.catalogue import load_catalogue

    assert all(rollable(k) for k in load_catalogue())


@pytest.mark.parametrize("grain", ["month", "quarter", "year"])
def test_rollup_answers_equal_the_engine(ws: Workspace, grain: str) -> None:
    ws.values(["nps"], period=grain, start="2025-01-01", end="2025-02-01")  # takes up the saved rollups
    rollups = ws.cache.rollups()
    assert rollups is not None and {"segment", "region", "plan"} <= set(rollups.dims)
    ids = ws.catalogue.ids
    segment = sorted(v for v in ws.attribute_values()["segment"] if v)[0]
    cases = [(by, filters) for by in ((), ("segment",), ("region", "plan"))
             for filters in (None, {"segment": segment}, {"plan": segment + "-none"})]
    if grain != "month":  # every shape once by month; the other grains the main ones
        cases = [((), None), ((), {"segment": segment}), (("region", "plan"), None)]
    for by, filters in cases:
        rows, hit = _from_rollups(ws, ids, period=grain, by=by, filters=filters)
        assert_same_rows(rows, ws.compute(ids, period=grain, by=by, filters=filters).to_dicts())
        # a filter that keeps no customer and no dimension: the engine answers (periods of nothing)
        assert hit == (not (filters and "plan" in filters and not by))


def test_explicit_range_and_single_kpis(ws: Workspace) -> None:
    for kpi in ("nps", "active_advocates_rate", "customer_loyalty", "reviews_and_testimonials_velocity"):
        rows, hit = _from_rollups(ws, [kpi], period="month", by=["segment"], start="2025-01-01", end="2025-07-01")
        assert hit
        assert_same_rows(rows, ws.compute([kpi], period="month", by=["segment"], start="2025-01-01",
                                          end="2025-07-01").to_dicts())
    # periods outside the data: not in the rollups, computed
    rows, hit = _from_rollups(ws, ["nps"], period="month", start="2030-01-01", end="2030-03-01")
    assert not hit and [r["n"] for r in rows] == [0, 0]


def test_appended_events_are_counted_at_once_and_rolled_up_again(ws: Workspace) -> None:
    bounds = ws.engine().data_range()
    assert bounds is not None
    last = bounds[1]
    month = f"{last.year:04d}-{last.month:02d}"
    customer = a_customer(ws)["customer_id"]
    start = dt.date(last.year, last.month, 1)
    before = {r["period"]: r for r in ws.values(["nps", "net_sentiment"], period="month", start=start)
              if r["kpi"] == "nps"}
    at = dt.datetime(last.year, last.month, min(last.day, 27), 12, tzinfo=dt.timezone.utc)
    events = [{"event_id": f"rollup-test-{i}", "customer_id": customer, "type": "nps_response",
               "occurred_at": at.isoformat(), "score": 0, "text": "awful and slow"} for i in range(3)]
    result = ws.ingest_batch("events", events)
    assert result.count("accepted") == 3
    # stale periods never come from the rollups: the answer counts the new answers at once
    rows, hit = _from_rollups(ws, ["nps", "net_sentiment"], period="month", start=start)
    assert not hit
    assert_same_rows(rows, ws.compute(["nps", "net_sentiment"], period="month", start=start).to_dicts())
    assert [r for r in rows if r["kpi"] == "nps"][0]["n"] == before[month]["n"] + 3
    # after the refresh (what the background maintenance does once writes pause) the rollups answer again
    assert ws.cache.refresh_rollups(ws, save=False)
    for by, filters in (((), None), (("segment",), None), ((), {"segment": a_customer(ws)["segment"]})):
        rows, hit = _from_rollups(ws, ws.catalogue.ids, period="quarter", by=by, filters=filters)
        assert hit
        assert_same_rows(rows, ws.compute(ws.catalogue.ids, period="quarter", by=by, filters=filters).to_dicts())


def test_saved_rollups_are_used_after_a_restart_until_data_changes(ws: Workspace) -> None:
    path = ws.path
    ws.add_comment("nps", "2025-01", "a comment changes no number")  # not a data write: rollups stay valid
    ws.close()

    with Workspace(path) as again:
        rows, hit = _from_rollups(again, ["nps"], period="month", by=["region"])
        assert hit
        assert_same_rows(rows, again.compute(["nps"], period="month", by=["region"]).to_dicts())
        customer = a_customer(again)["customer_id"]
        again.import_events([{"event_id": "restart-1", "customer_id": customer, "type": "review",
                              "occurred_at": "2025-03-03T10:00:00Z", "rating": 5}])  # a data write
        rows, hit = _from_rollups(again, ["nps"], period="month", by=["region"])
        assert not hit

    with Workspace(path) as third:  # the saved rollups were computed before the import: not used
        rows, hit = _from_rollups(third, ["reviews_and_testimonials"], period="month")
        assert not hit
        assert third.cache.rollups() is None


def test_customer_writes_drop_the_rollups(ws: Workspace) -> None:
    ws.values(["nps"], period="month", start="2025-01-01", end="2025-02-01")  # takes up the saved rollups
    assert ws.cache.rollups() is not None
    customer = a_customer(ws)
    ws.import_customers([{"customer_id": customer["customer_id"], "name": customer["name"],
                          "signup_at": customer["signup_at"].isoformat() + "Z", "segment": "Moved"}])
    assert ws.cache.rollups() is None
    rows, hit = _from_rollups(ws, ["active_advocates_rate"], period="month", by=["segment"])
    assert not hit and "Moved" in {r["segment"] for r in rows}
    assert ws.cache.refresh_rollups(ws, save=False)
    rows, hit = _from_rollups(ws, ["active_advocates_rate"], period="quarter", by=["segment"])
    assert hit and "Moved" in {r["segment"] for r in rows}
    assert_same_rows(rows, ws.compute(["active_advocates_rate"], period="quarter", by=["segment"]).to_dicts())


def test_maintenance_refreshes_after_writes_pause(ws: Workspace) -> None:
    import time

    ws.values(["nps"], period="month", start="2025-01-01", end="2025-02-01")  # takes up the saved rollups
    thread = ws.cache.maintain(ws, quiet_seconds=0.2)  # keeps them fresh
    assert thread.is_alive() and ws.cache.rollup_status()["built"]
    customer = a_customer(ws)["customer_id"]
    ws.ingest_batch("events", [{"event_id": "maint-1", "customer_id": customer, "type": "referral_sent",
                                "occurred_at": "2025-02-10T10:00:00Z"}])
    assert ws.cache.rollup_status()["stale_periods"] > 0
    deadline = time.monotonic() + 120
    while ws.cache.rollup_status()["stale_periods"] and time.monotonic() < deadline:
        time.sleep(0.2)
    status = ws.cache.rollup_status()
    assert status["built"] and status["stale_periods"] == 0
    rows, hit = _from_rollups(ws, ["referral_invitation_rate"], period="month", start="2025-02-01",
                              end="2025-03-01", by=["segment"])
    assert hit
    assert_same_rows(rows, ws.compute(["referral_invitation_rate"], period="month", start="2025-02-01",
                                      end="2025-03-01", by=["segment"]).to_dicts())
