"""The KPI cache returns exactly what ``compute`` returns, whatever writes happen in between."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .analysis_support import catalogue, load_worked_example, workspace

TYPES = ["nps_response", "review", "referral_sent", "referral_converted", "renewal_due", "renewal", "expansion"]


def _append(ws, rows, tag):  # type: ignore[no-untyped-def]
    """Append events the way batches do: one transaction inside the cache's append scope."""
    with ws.rollups.appending() as scope:
        with ws.db.transaction() as cur:
            start = cur.execute("SELECT count(*) FROM events").fetchone()[0]
            cur.executemany("INSERT INTO events (event_id, customer_id, type, occurred_at, score, amount) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            [(f"{tag}{start + i}", *r) for i, r in enumerate(rows)])
        scope.landed([r[2] for r in rows])


def _same(ws, **req):  # type: ignore[no-untyped-def]
    kpis = req.pop("kpis")
    assert ws.kpis.values(kpis, **req) == ws.compute(kpis, **req).to_dicts()


@pytest.fixture
def ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    w = workspace(tmp_path / "c.duckdb")
    load_worked_example(w)
    yield w
    w.close()


def test_second_request_is_served_from_cache(ws) -> None:  # type: ignore[no-untyped-def]
    kpis = list(catalogue().ids)
    first = ws.kpis.values(kpis, period="month", by=["segment"])
    misses = ws.rollups.misses
    assert ws.kpis.values(kpis, period="month", by=["segment"]) == first == \
        ws.compute(kpis, period="month", by=["segment"]).to_dicts()
    assert ws.rollups.misses == misses and ws.rollups.hits > 0


def test_append_recomputes_only_the_touched_month(ws) -> None:  # type: ignore[no-untyped-def]
    ws.kpis.values(["nps"], period="month", start="2024-06-01", end="2025-01-31")
    misses = ws.rollups.misses
    _append(ws, [("A", "nps_response", dt.datetime(2025, 1, 30, 9), 0.0, None)], "x")
    rows = ws.kpis.values(["nps"], period="month", start="2024-06-01", end="2025-01-31")
    assert ws.rollups.misses == misses + 1  # January only
    jan = [r for r in rows if r["period"] == "2025-01"][0]
    assert jan["n"] == 5 and jan["value"] == 0.0
    _same(ws, kpis=["nps"], period="month", start="2024-06-01", end="2025-01-31")


def test_other_writes_drop_everything(ws) -> None:  # type: ignore[no-untyped-def]
    ws.kpis.values(["customer_churn_rate"], period="month")
    with ws.db.transaction() as cur:
        cur.execute("UPDATE customers SET churned_at = '2025-03-05' WHERE customer_id = 'C'")
    _same(ws, kpis=["customer_churn_rate"], period="month")
    assert [r["value"] for r in ws.kpis.values(["customer_churn_rate"], period="month")
            if r["period"] == "2025-01"] == [0.0]


def test_an_unknown_append_scope_invalidates_all(ws) -> None:  # type: ignore[no-untyped-def]
    ws.kpis.values(["nps"], period="quarter")
    with ws.rollups.appending() as scope:
        with ws.db.transaction() as cur:
            cur.execute("INSERT INTO events (event_id, customer_id, type, occurred_at, score) "
                        "VALUES ('u1', 'A', 'nps_response', '2023-03-01', 10)")
        scope.landed(None)
    _same(ws, kpis=["nps"], period="quarter")


def test_requests_with_a_custom_kpi_are_cached_whole(ws, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("advokit.rollups.cache.CustomCompute", object)  # treat every KPI as custom
    _same(ws, kpis=["nps", "csat"], period="month")
    misses = ws.rollups.misses
    _same(ws, kpis=["nps", "csat"], period="month")
    assert ws.rollups.misses == misses
    _append(ws, [("B", "nps_response", dt.datetime(2025, 1, 2), 1.0, None)], "w")
    _same(ws, kpis=["nps", "csat"], period="month")
    assert ws.rollups.misses == misses + 1


months = st.integers(min_value=0, max_value=17)
append_op = st.tuples(st.just("append"), st.lists(st.tuples(
    st.sampled_from(["A", "B", "C"]), st.sampled_from(TYPES), months, st.integers(0, 10),
    st.floats(0, 5000, allow_nan=False)), min_size=1, max_size=4))
customer_op = st.tuples(st.just("customer"), st.sampled_from(["A", "B", "C"]), st.sampled_from(["SMB", "Enterprise", None]))
query_op = st.tuples(st.just("query"), st.sampled_from(["month", "quarter", "year"]),
                     st.sampled_from([(), ("segment",), ("region",)]),
                     st.sampled_from([(None, None), ("2024-07-01", "2025-04-01"), ("2025-01", None), (None, "2025-03")]))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.one_of(append_op, customer_op, query_op, query_op), min_size=3, max_size=12))
def test_cache_equals_compute_under_any_interleaving(tmp_path_factory: pytest.TempPathFactory, ops) -> None:  # type: ignore[no-untyped-def]
    w = workspace(tmp_path_factory.mktemp("prop") / "p.duckdb")
    load_worked_example(w)
    kpis = list(catalogue().ids)
    try:
        for n, op in enumerate(ops):
            if op[0] == "append":
                rows = []
                for cust, typ, m, score, amount in op[1]:
                    when = dt.datetime(2024 + (m + 6) // 12, (m + 6) % 12 + 1, 3, 12)
                    score_v = float(score) if typ == "nps_response" else None
                    amount_v = amount if typ in ("referral_converted", "expansion") else None
                    rows.append((cust, typ, when, score_v, amount_v))
                _append(w, rows, f"h{n}_")
            elif op[0] == "customer":
                with w.db.transaction() as cur:
                    cur.execute("UPDATE customers SET segment = ? WHERE customer_id = ?", [op[2], op[1]])
            else:
                _, grain, by, (start, end) = op
                _same(w, kpis=kpis, period=grain, by=list(by), start=start, end=end)
        _same(w, kpis=kpis, period="month", by=["segment"])
    finally:
        w.close()


def test_population_only_kpis_survive_appended_events(ws) -> None:  # type: ignore[no-untyped-def]
    ws.kpis.values(["customer_churn_rate", "customer_retention_rate"], period="month")
    misses = ws.rollups.misses
    _append(ws, [("A", "review", dt.datetime(2025, 1, 30, 9), None, None)], "p")
    _same(ws, kpis=["customer_churn_rate", "customer_retention_rate"], period="month")
    assert ws.rollups.misses == misses


def test_concurrent_identical_misses_compute_once(ws, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import threading
    import time

    from advokit.engine import Engine

    calls = []
    real = Engine.run  # the cache runs prepared (compiled once) requests

    def slow(self, prepared):  # type: ignore[no-untyped-def]
        calls.append(prepared)
        time.sleep(0.3)
        return real(self, prepared)

    monkeypatch.setattr(Engine, "run", slow)
    want = ws.compute(["nps"], period="month").to_dicts()
    calls.clear()
    out: list = []
    threads = [threading.Thread(target=lambda: out.append(ws.kpis.values(["nps"], period="month"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and out == [want] * 4


def test_a_recomputed_range_reuses_its_compiled_query(ws, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from advokit.engine import Engine

    prepared: list = []
    real = Engine.prepare

    def counting(self, req):  # type: ignore[no-untyped-def]
        prepared.append(req)
        return real(self, req)

    monkeypatch.setattr(Engine, "prepare", counting)
    _same(ws, kpis=["nps", "csat"], period="month", by=["segment"])
    first = len(prepared)
    for i in range(3):  # each append bumps January: recomputed, never recompiled
        _append(ws, [("A", "nps_response", dt.datetime(2025, 1, 20 + i, 9), 0.0, None)], f"rc{i}")
        _same(ws, kpis=["nps", "csat"], period="month", by=["segment"])
    assert len(prepared) == first + 1  # January's one-month request, compiled once
    ws.import_customers([{"customer_id": "Q", "signup_at": "2024-06-01", "segment": "SMB"}])
    _same(ws, kpis=["nps", "csat"], period="month", by=["segment"])  # any other write compiles anew
    assert len(prepared) > first + 1
