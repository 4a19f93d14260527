"""The fast path of event batches (``rules.fast_events`` + ``importer.append_fast_events``).

It may only ever take a batch the SQL rules accept whole, and must then give
exactly what the SQL path gives: the same per-item results, the same stored rows,
the same counts and landed times. Checked here against the SQL path itself (the
fast path switched off) on generated batches, valid and invalid.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advokit import Workspace
from advokit.api.responses import BatchJSONResponse, SafeJSONResponse
from advokit.catalogue.model import EVENT_TYPES
from advokit.ingest import batches, importer, rules
from advokit.rollups.cache import AppendScope

CASE = Path(__file__).parent / "cases" / "worked_example"

texts = st.one_of(st.none(), st.sampled_from(["", " ", "x", " x", "x ", "\tx", "x\u00a0", "\u2028x", "é ü", "a\x00b"]),
                  st.text(max_size=8))
times = st.one_of(
    st.sampled_from(["2025-02-03", "2025-03-01T10:00:00Z", "2025-01-31T23:30:00-03:00", "2025-01-31 23:30",
                     "2025-02-01T00:00:00.5Z", "2025-02-01T00:00:00.123456+05:30", "2025-02-01T00:00:00.1234567Z",
                     "2025-02-01T24:00:00", "2025-02-01T10:00:00+0530", "2025-02-01Z", "2025-02-01t10:00:00z",
                     "1899-12-31", "1900-01-01T00:00:00Z", "1900-01-01T00:30:00+01:00", "2100-12-31T23:59:59.999999Z",
                     "2100-12-31T23:00:00-01:00", "2101-01-01", "2025-02-30", "infinity", "epoch", " 2025-02-03",
                     "2025-02-03 ", "", "20250203", "2025-2-3", "0000-01-01", "9999-12-31T23:00:00-05:00"]),
    st.datetimes(min_value=dt.datetime(1890, 1, 1), max_value=dt.datetime(2110, 1, 1)).map(
        lambda t: t.isoformat() + "Z"),
    st.none())
numbers = st.one_of(st.none(), st.integers(-3, 12), st.sampled_from([0.5, 4.0, -0.0, 10.0, 1e15, 1e16, 2**70, 1e-7, "7",
                                                                      True, math.nan, math.inf, 3.9999999999999996]),
                    st.floats(allow_nan=False, allow_infinity=False, width=32))
event = st.fixed_dictionaries({
    "event_id": st.one_of(st.sampled_from([f"x{i}" for i in range(10)] + ["e1", "e2", "", " x1", None])),
    "customer_id": st.sampled_from(["A", "B", "C", "nobody", None, " A ", ""]),
    "type": st.one_of(st.sampled_from(EVENT_TYPES), st.sampled_from(["teleport", " review", None, ""])),
    "occurred_at": times,
    "score": numbers,
    "amount": numbers,
    "text": texts,
    "channel": texts,
    "ref": st.one_of(st.none(), st.sampled_from(["e1", " ", "r"])),
    "properties": st.one_of(st.none(), st.just({}), st.just({"k": [1, "v"]})),
})
#: one field at a time off the canonical shape (times, numbers, texts), the others fine
near_event = st.fixed_dictionaries({
    "event_id": st.sampled_from(["n1", "n1 ", "n-2"]),
    "customer_id": st.sampled_from(["A", "B"]),
    "type": st.sampled_from(EVENT_TYPES),
    "occurred_at": times,
    "score": st.one_of(st.none(), st.integers(0, 5), numbers),
    "amount": st.one_of(st.none(), st.integers(1, 5), numbers),
    "text": texts,
    "ref": st.sampled_from(["r", None]),
})
#: mostly well-formed events, so that the fast path is taken as often as not
good_event = st.fixed_dictionaries({
    "event_id": st.sampled_from([f"g{i}" for i in range(15)] + ["e1"]),
    "customer_id": st.sampled_from(["A", "B", "C"]),
    "type": st.sampled_from(["nps_response", "review", "social_share", "expansion", "csat_response", "follow_up"]),
    "occurred_at": st.sampled_from(["2025-02-03", "2025-03-01T10:00:00Z", "2025-01-31T23:30:00-03:00",
                                    "2024-12-31T23:59:59.5+00:00"]),
    "score": st.one_of(st.integers(0, 10), st.sampled_from([5.0, 2.5])),
    "amount": st.sampled_from([None, 0, 100, 99.5]),
    "ref": st.sampled_from([None, "e1"]),
}).map(lambda e: {k: v for k, v in e.items() if v is not None})


def _workspace(path: Path) -> Workspace:
    ws = Workspace(path)
    ws.import_customers(CASE / "customers.csv")
    ws.import_events(CASE / "events.csv")
    return ws


def _stored(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.db.cursor().execute(
        "SELECT event_id, customer_id, type, occurred_at, score::VARCHAR, amount::VARCHAR, text, channel, ref, "
        "properties FROM events ORDER BY event_id").fetchall()


def _imports(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.db.cursor().execute("SELECT kind, source, imported, rejected, duplicates FROM imports "
                                  "ORDER BY finished_at, import_id").fetchall()


def _send(ws: Workspace, batch: list[dict[str, Any]], fast: bool, landed: list[Any]) -> Any:
    """One batch through ``ingest_batch``, with or without the fast path: its result (or error); ``landed``
    gets what the import told the KPI cache."""
    real_fast, real_landed = rules.fast_events, AppendScope.landed

    def spy(scope: AppendScope, times: Any, *args: Any, **kwargs: Any) -> None:  # the times compared, the rest passed on
        times = None if times is None else list(times)
        landed.append(None if times is None else sorted(times))
        real_landed(scope, times, *args, **kwargs)

    AppendScope.landed = spy  # type: ignore[method-assign]
    if not fast:
        rules.fast_events = lambda records: None  # type: ignore[assignment]
    try:
        return ws.ingest.batch("events", batch).to_dict()
    except Exception as exc:  # noqa: BLE001 - compared between the two paths
        return (type(exc).__name__, str(exc))
    finally:
        rules.fast_events = real_fast  # type: ignore[assignment]
        AppendScope.landed = real_landed  # type: ignore[method-assign]


def _same_on_both_paths(batches_: list[list[dict[str, Any]]]) -> int:
    """Send the batches to two workspaces, fast path on and off: everything must agree. How many took it."""
    taken = 0
    with tempfile.TemporaryDirectory() as tmp:
        fast_ws, sql_ws = _workspace(Path(tmp) / "f.duckdb"), _workspace(Path(tmp) / "s.duckdb")
        try:
            for batch in batches_:
                taken += rules.fast_events(batch) is not None
                landed_fast: list[Any] = []
                landed_sql: list[Any] = []
                assert _send(fast_ws, batch, True, landed_fast) == _send(sql_ws, batch, False, landed_sql)
                assert landed_fast == landed_sql
                assert _stored(fast_ws) == _stored(sql_ws)
                assert _imports(fast_ws) == _imports(sql_ws)
        finally:
            fast_ws.close()
            sql_ws.close()
    return taken


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(event, min_size=1, max_size=6), min_size=1, max_size=3))
def test_any_batch_gets_the_same_results_and_rows_with_or_without_the_fast_path(
        batches_: list[list[dict[str, Any]]]) -> None:
    _same_on_both_paths(batches_)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(good_event, min_size=1, max_size=8), min_size=1, max_size=3))
def test_well_formed_batches_get_the_same_results_and_rows_on_both_paths(
        batches_: list[list[dict[str, Any]]]) -> None:
    _same_on_both_paths(batches_)


@settings(max_examples=500, deadline=None)
@given(st.one_of(event, near_event, good_event))
def test_the_fast_path_accepts_only_rows_the_sql_accepts_with_the_same_values(record: dict[str, Any]) -> None:
    """Row by row against the SQL's own normalisation and rules (no workspace: the rules alone)."""
    fast = rules.fast_events([record])
    if fast is None:
        return
    import duckdb

    table = batches._table([record], keep=batches._EVENT_KEEP)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("_stage", table)
        types = {r[0]: r[1] for r in con.execute("DESCRIBE _stage").fetchall()} | {"_row": "BIGINT"}
        sql = (f"SELECT n.*, {rules.event_id_sql()} AS event_id, {rules.event_errors_sql()} AS errors FROM "
               f"(SELECT {rules.event_normalise_sql(types)}, TRUE AS known FROM (SELECT *, 1 AS _row FROM _stage)) n")
        row = con.execute(sql).fetchall()[0]
        got = dict(zip([d[0] for d in con.description], row))
    finally:
        con.close()
    assert got["errors"] == []

    def same(value: Any) -> Any:  # floats by repr: the same double, down to the sign of zero
        return repr(value) if isinstance(value, float) else value

    names = ("event_id", "customer_id", "type", "occurred_at", "score", "amount", "text", "channel", "ref")
    assert [same(got[n]) for n in names] == [same(getattr(fast, n)[0]) for n in names]
    assert got["properties"] is None


def _ev(event_id: str, customer: str | None = "A", **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "customer_id": customer, "type": "social_share",
            "occurred_at": "2025-02-10T10:00:00Z", **extra}


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    w = _workspace(tmp_path / "w.duckdb")
    yield w
    w.close()


def test_canonical_batches_take_the_fast_path_and_others_the_sql(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_fast, real_sql = importer.append_fast_events, ws.ingest.events
    monkeypatch.setattr(importer, "append_fast_events",
                        lambda *a, **k: (calls.append("fast"), real_fast(*a, **k))[1])
    monkeypatch.setattr(ws.ingest, "events", lambda *a, **k: (calls.append("sql"), real_sql(*a, **k))[1])
    batch = [_ev("f1"), _ev("f1"), _ev("e1"), _ev("f2", None, type="mention"),
             _ev("f3", type="nps_response", score=9), _ev("f4", type="expansion", amount=120.5),
             _ev("f5", type="follow_up", ref="e1", occurred_at="2025-01-31T23:30:00-03:00"),
             _ev("f6", occurred_at="2025-02-11"), _ev("f7", text="", channel="web")]
    result = ws.ingest.batch("events", batch)
    assert calls == ["fast"]
    assert [(i.index, i.status, i.id) for i in result.items] == [
        (0, "accepted", "f1"), (1, "duplicate", "f1"), (2, "duplicate", "e1"), (3, "accepted", "f2"),
        (4, "accepted", "f3"), (5, "accepted", "f4"), (6, "accepted", "f5"), (7, "accepted", "f6"),
        (8, "accepted", "f7")]
    assert ws.ingest.batch("events", batch).to_dict()["accepted"] == 0  # replay: nothing lands
    assert calls == ["fast", "fast"]
    for odd in ([_ev("s1", "nobody")], [_ev("s2", type="nps_response", score=11)], [_ev("s3", text=" x")],
                [_ev("s4", properties={"a": 1})], [{**_ev("s5"), "event_id": None}]):
        calls.clear()
        ws.ingest.batch("events", odd)
        assert calls[-1] == "sql"
    stored = dict(ws.db.cursor().execute(
        "SELECT event_id, occurred_at FROM events WHERE event_id IN ('f5', 'f6')").fetchall())
    assert stored == {"f5": dt.datetime(2025, 2, 1, 2, 30), "f6": dt.datetime(2025, 2, 11)}


def test_a_fast_batch_rolls_back_whole(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(importer, "_fast_table", boom)  # inside the transaction, before COMMIT
    with pytest.raises(RuntimeError):
        ws.ingest.batch("events", [_ev("r1"), _ev("r2")])
    monkeypatch.undo()
    assert ws.db.cursor().execute("SELECT count(*) FROM events WHERE event_id LIKE 'r%'").fetchall() == [(0,)]
    assert [i.status for i in ws.ingest.batch("events", [_ev("r1"), _ev("r2")]).items] == ["accepted", "accepted"]


payloads = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64 - 1), st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=5), payloads, max_size=5))
def test_batch_responses_are_byte_for_byte_the_standard_encoding(content: dict[str, Any]) -> None:
    try:
        expected = SafeJSONResponse(content).body
    except UnicodeEncodeError:  # lone surrogates: the standard encoder fails, so must the batch one
        with pytest.raises(UnicodeEncodeError):
            BatchJSONResponse(content)
        return
    assert BatchJSONResponse(content).body == expected
    assert json.loads(expected) == content
