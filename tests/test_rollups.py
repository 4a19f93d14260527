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
from advokit.demo.load import build_demo
from advokit.rollups.parts import rollable

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
        build_demo(ws.kpis, ws.ingest, customers=1500, months=14, seed=7, end_month=dt.date(2025, 12, 1))
        assert ws.rollups.refresh_rollups(ws.kpis)  # saved in the file: every copy starts with them
    return path


@pytest.fixture()
def ws(demo_path: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A private copy of the demo workspace (tests write to it)."""
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(demo_path.read_bytes())
    w = Workspace(copy)
    yield w
    w.rollups.stop()
    w.close()


def a_customer(ws: Workspace) -> dict[str, Any]:
    cur = ws.db.cursor()
    rel = cur.execute("SELECT customer_id, name, signup_at, segment FROM customers ORDER BY customer_id LIMIT 1")
    row = rel.fetchall()[0]
    return dict(zip(("customer_id", "name", "signup_at", "segment"), row))


def _from_rollups(ws: Workspace, *args: Any, **kwargs: Any) -> tuple[list[dict[str, Any]], bool]:
    before = ws.rollups.rollup_hits
    rows = ws.kpis.values(*args, **kwargs)
    return rows, ws.rollups.rollup_hits > before


#: KPIs whose value for a month changes with events of later months (a follow-up closing an earlier answer,
#: a renewal landing after the due month): month parts cannot be added up, the engine answers them.
NOT_ADDITIVE = {"closed_loop_follow_up_rate", "closed_loop_in_sla_rate", "closed_loop_days_to_close", "closed_loop_open_loops",
                "closed_loop_open_age_days", "closed_loop_recovery_rate", "contract_renewal_rate_cohort"}


def test_every_catalogue_kpi_rolls_up_but_those_that_look_forward() -> None:
    from advokit.catalogue import load_catalogue

    assert {k.id for k in load_catalogue() if not rollable(k)} == NOT_ADDITIVE


@pytest.mark.parametrize("grain", ["month", "quarter", "year"])
def test_rollup_answers_equal_the_engine(ws: Workspace, grain: str) -> None:
    ws.kpis.values(["nps"], period=grain, start="2025-01-01", end="2025-01-31")  # takes up the saved rollups
    rollups = ws.rollups.rollups()
    assert rollups is not None and {"segment", "region", "plan"} <= set(rollups.dims)
    ids = [k for k in ws.catalogue.ids if k not in NOT_ADDITIVE]
    segment = sorted(v for v in ws.customers.attribute_values()["segment"] if v)[0]
    none = {"plan": segment + "-none"}  # keeps no customer
    # by month: every breakdown and every filter, each filter with a breakdown and without one; the other
    # grains the main shapes
    cases = [((), None), (("segment",), None), (("region", "plan"), None), ((), {"segment": segment}),
             (("segment",), {"segment": segment}), ((), none), (("region", "plan"), none)]
    if grain != "month":
        cases = [((), None), ((), {"segment": segment}), (("region", "plan"), None)]
    for by, filters in cases:
        rows, hit = _from_rollups(ws, ids, period=grain, by=by, filters=filters)
        assert_same_rows(rows, ws.compute(ids, period=grain, by=by, filters=filters).to_dicts())
        # a filter that keeps no customer and no dimension: the engine answers (periods of nothing)
        assert hit == (not (filters and "plan" in filters and not by))


def test_explicit_range_and_single_kpis(ws: Workspace) -> None:
    for kpi in ("nps", "active_advocates_rate", "customer_loyalty", "reviews_and_testimonials_velocity"):
        rows, hit = _from_rollups(ws, [kpi], period="month", by=["segment"], start="2025-01-01", end="2025-06-30")
        assert hit, kpi
        assert_same_rows(rows, ws.compute([kpi], period="month", by=["segment"], start="2025-01-01",
                                          end="2025-06-30").to_dicts())
    # periods outside the data: not in the rollups, computed
    rows, hit = _from_rollups(ws, ["nps"], period="month", start="2030-01-01", end="2030-02-28")
    assert not hit and [r["n"] for r in rows] == [0, 0]


def test_appended_events_are_counted_at_once_and_rolled_up_again(ws: Workspace) -> None:
    bounds = ws.kpis.engine().data_range()
    assert bounds is not None
    last = bounds[1]
    month = f"{last.year:04d}-{last.month:02d}"
    customer = a_customer(ws)["customer_id"]
    start = dt.date(last.year, last.month, 1)
    before = {r["period"]: r for r in ws.kpis.values(["nps", "net_sentiment"], period="month", start=start)
              if r["kpi"] == "nps"}
    at = dt.datetime(last.year, last.month, min(last.day, 27), 12, tzinfo=dt.timezone.utc)
    events = [{"event_id": f"rollup-test-{i}", "customer_id": customer, "type": "nps_response",
               "occurred_at": at.isoformat(), "score": 0, "text": "awful and slow"} for i in range(3)]
    result = ws.ingest.batch("events", events)
    assert result.count("accepted") == 3
    # stale periods never come from the rollups: the answer counts the new answers at once
    rows, hit = _from_rollups(ws, ["nps", "net_sentiment"], period="month", start=start)
    assert not hit
    assert_same_rows(rows, ws.compute(["nps", "net_sentiment"], period="month", start=start).to_dicts())
    assert [r for r in rows if r["kpi"] == "nps"][0]["n"] == before[month]["n"] + 3
    # after the refresh (what the background maintenance does once writes pause) the rollups answer again
    assert ws.rollups.refresh_rollups(ws.kpis, save=False)
    for by, filters in (((), None), (("segment",), None), ((), {"segment": a_customer(ws)["segment"]})):
        ids = [k for k in ws.catalogue.ids if k not in NOT_ADDITIVE]
        rows, hit = _from_rollups(ws, ids, period="quarter", by=by, filters=filters)
        assert hit
        assert_same_rows(rows, ws.compute(ids, period="quarter", by=by, filters=filters).to_dicts())


def test_saved_rollups_are_used_after_a_restart_until_data_changes(ws: Workspace) -> None:
    path = ws.path
    ws.commentary.add("nps", "2025-01", "a comment changes no number")  # not a data write: rollups stay valid
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
        assert third.rollups.rollups() is None


def test_customer_writes_drop_the_rollups(ws: Workspace) -> None:
    ws.kpis.values(["nps"], period="month", start="2025-01-01", end="2025-01-31")  # takes up the saved rollups
    assert ws.rollups.rollups() is not None
    customer = a_customer(ws)
    ws.import_customers([{"customer_id": customer["customer_id"], "name": customer["name"],
                          "signup_at": customer["signup_at"].isoformat() + "Z", "segment": "Moved"}])
    assert ws.rollups.rollups() is None
    rows, hit = _from_rollups(ws, ["active_advocates_rate"], period="month", by=["segment"])
    assert not hit and "Moved" in {r["segment"] for r in rows}
    assert ws.rollups.refresh_rollups(ws.kpis, save=False)
    rows, hit = _from_rollups(ws, ["active_advocates_rate"], period="quarter", by=["segment"])
    assert hit and "Moved" in {r["segment"] for r in rows}
    assert_same_rows(rows, ws.compute(["active_advocates_rate"], period="quarter", by=["segment"]).to_dicts())


def test_maintenance_refreshes_after_writes_pause(ws: Workspace) -> None:
    import time

    ws.kpis.values(["nps"], period="month", start="2025-01-01", end="2025-01-31")  # takes up the saved rollups
    thread = ws.rollups.maintain(ws.kpis, quiet_seconds=0.2)  # keeps them fresh
    assert thread.is_alive() and ws.rollups.rollup_status()["built"]
    customer = a_customer(ws)["customer_id"]
    ws.ingest.batch("events", [{"event_id": "maint-1", "customer_id": customer, "type": "referral_sent",
                                "occurred_at": "2025-02-10T10:00:00Z"}])
    assert ws.rollups.rollup_status()["stale_periods"] > 0
    deadline = time.monotonic() + 120
    while ws.rollups.rollup_status()["stale_periods"] and time.monotonic() < deadline:
        time.sleep(0.2)
    status = ws.rollups.rollup_status()
    assert status["built"] and status["stale_periods"] == 0
    rows, hit = _from_rollups(ws, ["referral_invitation_rate"], period="month", start="2025-02-01",
                              end="2025-02-28", by=["segment"])
    assert hit
    assert_same_rows(rows, ws.compute(["referral_invitation_rate"], period="month", start="2025-02-01",
                                      end="2025-02-28", by=["segment"]).to_dicts())


def _landed_table(events: list[dict[str, Any]]) -> Any:  # a pyarrow Table
    import pyarrow as pa

    def ts(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.timezone.utc).replace(tzinfo=None)

    return pa.table({
        "customer_id": pa.array([e.get("customer_id") for e in events], pa.string()),
        "type": pa.array([e["type"] for e in events], pa.string()),
        "occurred_at": pa.array([ts(e["occurred_at"]) for e in events], pa.timestamp("us")),
        "score": pa.array([e.get("score") for e in events], pa.float64()),
        "amount": pa.array([e.get("amount") for e in events], pa.float64()),
        "properties": pa.array([None for _ in events], pa.string()),
    })


def _live_setup(ws: Workspace, count: int) -> tuple[dt.date, list[str]]:
    """Rollups computed and the live part ready; the last day with data and ``count`` customer ids."""
    assert ws.rollups.refresh_rollups(ws.kpis, save=False)  # also readies the live part
    bounds = ws.kpis.engine().data_range()
    assert bounds is not None
    rel = ws.db.cursor().execute("SELECT customer_id FROM customers ORDER BY customer_id LIMIT ?", [count])
    return bounds[1], [r[0] for r in rel.fetchall()]


def test_appended_events_bring_the_declared_rollups_forward(ws: Workspace) -> None:
    """A writer that hands over the landed events keeps the declared KPIs' rollups fresh: answers come from
    them at once and equal the engine's, batch after batch, also for distinct customers and sums."""
    last, customers = _live_setup(ws, 40)
    kinds = [("nps_response", {"score": 10}), ("nps_response", {"score": 3}), ("referral_sent", {}),
             ("review", {"score": 4}), ("expansion", {"amount": 1234.5}), ("csat_response", {"score": 5}),
             ("renewal", {}), ("social_share", {})]
    declared = [k.id for k in ws.catalogue if k.compute.kind != "custom"]
    serial = 0
    for batch, month in enumerate([(last.year, last.month), (last.year, last.month), (2025, 2)]):
        events = []
        for i, customer in enumerate(customers):
            kind, extra = kinds[(i + batch) % len(kinds)]
            serial += 1
            day = min(28, 1 + i % 27)
            events.append({"event_id": f"live-{serial}", "customer_id": customer, "type": kind,
                           "occurred_at": f"{month[0]:04d}-{month[1]:02d}-{day:02d}T08:00:00Z", **extra})
        events.append({"event_id": f"live-m{batch}", "type": "mention",
                       "occurred_at": f"{month[0]:04d}-{month[1]:02d}-03T08:00:00Z"})  # no customer
        with ws.rollups.appending() as scope:
            ws.import_events(events)
            scope.landed([dt.datetime.fromisoformat(e["occurred_at"][:19]) for e in events],
                         rows=_landed_table(events))
        for grain in ("month", "quarter", "year"):
            for by, filters in (((), None), (("segment",), None), ((), {"region": "EMEA"})):
                rows, hit = _from_rollups(ws, declared, period=grain, by=by, filters=filters)
                assert hit, (batch, grain, by, filters, ws.rollups.rollup_status())
                assert_same_rows(rows, ws.compute(declared, period=grain, by=by, filters=filters).to_dicts())
    # the custom KPIs' periods went stale: computed, still exact
    rows, hit = _from_rollups(ws, ["customer_loyalty"], period="month", start="2025-01-01")
    assert not hit


def test_an_append_without_its_events_leaves_periods_stale(ws: Workspace) -> None:
    assert ws.rollups.refresh_rollups(ws.kpis, save=False)
    customer = a_customer(ws)["customer_id"]
    with ws.rollups.appending() as scope:
        ws.import_events([{"event_id": "blind-1", "customer_id": customer, "type": "referral_sent",
                           "occurred_at": "2025-03-05T10:00:00Z"}])
        scope.landed([dt.datetime(2025, 3, 5, 10)])  # no rows given
    rows, hit = _from_rollups(ws, ["referral_participation_rate"], period="month", by=["plan"],
                              start="2025-03-01", end="2025-03-31")
    assert not hit
    assert_same_rows(rows, ws.compute(["referral_participation_rate"], period="month", by=["plan"],
                                      start="2025-03-01", end="2025-03-31").to_dicts())


def test_api_batches_keep_the_declared_rollups_fresh(ws: Workspace) -> None:
    """``ingest_batch`` (the REST API's path) hands the landed events over: no stale period, no rescan."""
    last, customers = _live_setup(ws, 30)
    stamp = f"{last.year:04d}-{last.month:02d}-{min(last.day, 25):02d}T09:30:00+02:00"
    events = [{"event_id": f"api-live-{i}", "customer_id": c, "occurred_at": stamp,
               **({"type": "nps_response", "score": i % 11} if i % 3 else {"type": "referral_sent"})}
              for i, c in enumerate(customers)]
    result = ws.ingest.batch("events", events)
    assert result.count("accepted") == len(events)
    again = ws.ingest.batch("events", events)  # a replay lands nothing and changes nothing
    assert again.count("duplicate") == len(events)
    declared = ["nps", "referral_participation_rate", "active_advocates_rate", "referral_invitation_rate"]
    for grain in ("month", "quarter", "year"):
        rows, hit = _from_rollups(ws, declared, period=grain, by=["segment"])
        assert hit
        assert_same_rows(rows, ws.compute(declared, period=grain, by=["segment"]).to_dicts())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_numpy_contributions_equal_the_sql_ones(seed: int) -> None:
    """The batch contributions computed with numpy (REST fast path) are those of the engine's conditions."""
    import random

    import duckdb
    import ibis
    import numpy as np
    import pyarrow as pa

    from advokit.catalogue import load_catalogue
    from advokit.rollups.delta import (
        INPUT,
        contribution_expression,
        contributions,
        declared_leaves,
    )
    from advokit.rollups.parts import Rollups

    leaves = declared_leaves(Rollups([], list(load_catalogue())))
    rng = random.Random(seed)
    types = sorted({t for m in leaves.values() for t in m.events} | {"activation"})
    n = 400
    data = pa.table({
        "customer_id": pa.array([None if rng.random() < 0.1 else f"C{rng.randrange(50)}" for _ in range(n)]),
        "type": pa.array([rng.choice(types) for _ in range(n)]),
        "occurred_at": pa.array([dt.datetime(2025, 1, 1) + dt.timedelta(hours=rng.randrange(9000)) for _ in range(n)],
                                pa.timestamp("us")),
        "score": pa.array([None if rng.random() < 0.2 else float(rng.randrange(-1, 12)) for _ in range(n)],
                          pa.float64()),
        "amount": pa.array([None if rng.random() < 0.3 else rng.uniform(-50, 500) for _ in range(n)], pa.float64()),
        "properties": pa.nulls(n, pa.string()),
        "cell": pa.array([0] * n, pa.int64()),
        "code": pa.array([0] * n, pa.int64()),
    })
    fast = contributions(data, leaves)
    assert fast is not None
    con = duckdb.connect()
    con.register(INPUT, data)
    sql = con.sql(str(ibis.to_sql(contribution_expression(leaves), dialect="duckdb"))).to_arrow_table()
    assert set(fast) == {c for c in sql.column_names if c.startswith(("a_", "d_"))}
    for name, values in fast.items():
        want = np.asarray(sql[name].to_numpy(zero_copy_only=False))
        assert np.allclose(values.astype(np.float64), want.astype(np.float64), rtol=0, atol=1e-9), name
    with_props = data.set_column(data.column_names.index("properties"), "properties",
                                 pa.array(['{"influencer": true}'] * n))
    assert contributions(with_props, leaves) is None  # properties: the SQL decides


def test_saved_rollups_read_while_a_batch_lands_are_not_taken_up(ws: Workspace,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch that lands while the saved rollups are being read makes them older than the data: dropped."""
    from advokit.rollups import saved as rollupstore

    real_load = rollupstore.load

    def load_during_an_append(db: Any, catalogue: Any) -> Any:
        got = real_load(db, catalogue)
        customer = a_customer(ws)["customer_id"]
        ws.ingest.batch("events", [{"event_id": "during-load", "customer_id": customer, "type": "referral_sent",
                                    "occurred_at": "2025-02-10T10:00:00Z"}])
        return got

    monkeypatch.setattr(rollupstore, "load", load_during_an_append)
    rows, hit = _from_rollups(ws, ["referral_invitation_rate"], period="month", by=["segment"])
    assert not hit and ws.rollups.rollups() is None
    assert_same_rows(rows, ws.compute(["referral_invitation_rate"], period="month", by=["segment"]).to_dicts())


def test_customer_numbers_by_hash_are_exact_on_collisions_and_unknown_customers() -> None:
    """The fast path's customers are numbered through their hashes; a shared hash, a missing hash, a
    customer the rollups do not count and a row without a customer all get what the dict gives."""
    import numpy as np
    import pyarrow as pa

    from advokit.rollups.delta import _ByHash

    ids = pa.array(["a", "b", "c", "d"])
    numbers = {"a": 0, "b": 1, "c": 2, "d": 3}
    by_hash = _ByHash(ids, np.array([30, 10, 10, 20], dtype=np.uint64))  # b and c share a hash
    batch = pa.chunked_array([pa.array(["c", "b", "a", "zz", None, "d", "a"])])
    hashes = pa.chunked_array([pa.array([10, 10, 30, 10, 5, None, 31], pa.uint64())])
    got = by_hash.codes(batch, hashes, numbers).tolist()
    assert got == [2, 1, 0, -1, -1, 3, 0]
