"""The in-memory id index (advokit.store.idindex): the same results as the SQL joins, kept exact."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advokit import Workspace
from advokit.errors import DataError, RejectedRowsError
from advokit.ingest import import_customers, import_events
from advokit.store import idindex, sortedhash
from advokit.store.database import Database

CASE = Path(__file__).parent / "cases" / "worked_example"

event = st.fixed_dictionaries({
    "event_id": st.one_of(st.none(), st.sampled_from([f"x{i}" for i in range(12)] + ["e1", "e2", "e3"])),
    "customer_id": st.sampled_from(["A", "B", "C", "nobody", None, " A "]),
    "type": st.sampled_from(["nps_response", "review", "social_share", "mention", "teleport"]),
    "occurred_at": st.sampled_from(["2025-02-03", "2025-03-01T10:00:00Z", "2025-01-31T23:30:00-03:00",
                                    "1899-12-31", "infinity", "2025-02-30"]),
    "score": st.sampled_from([None, "7", "11"]),
    "text": st.sampled_from([None, "hi"]),
})


def _report(rep: Any) -> tuple[Any, ...]:
    return (rep.rows, rep.imported, rep.rejected, rep.duplicates,
            [(e.row, e.column, e.value, e.reason) for e in rep.errors],
            [(i.row, i.status, i.id, tuple((e.column, e.reason) for e in i.errors)) for i in rep.items])


def _events(db: Database) -> list[tuple[Any, ...]]:
    return db.cursor().execute("SELECT event_id, customer_id, type, occurred_at, score, text FROM events "
                               "ORDER BY event_id").fetchall()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(event, min_size=1, max_size=12), min_size=1, max_size=4), st.booleans())
def test_indexed_batches_decide_exactly_as_the_sql_joins(batches: list[list[dict[str, Any]]], strict: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plain, indexed = Database(Path(tmp) / "p.duckdb"), Database(Path(tmp) / "i.duckdb")
        for db in (plain, indexed):
            import_customers(db, CASE / "customers.csv")
            import_events(db, CASE / "events.csv")  # e1... are stored already
        for batch in batches:
            rows = [{k: v for k, v in e.items() if v is not None} for e in batch]
            outcome = []
            for db, keep in ((plain, False), (indexed, True)):
                try:
                    outcome.append(_report(import_events(db, rows, item_results=True, strict=strict,
                                                         keep_index=keep)))
                except (RejectedRowsError, DataError) as exc:  # strict, or a required column missing
                    outcome.append((type(exc).__name__, str(exc)))
            assert outcome[0] == outcome[1]
            assert _events(plain) == _events(indexed)
        assert idindex.index_of(plain, create=False) is None  # only asked for, never implied
        plain.close()
        indexed.close()


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace(tmp_path / "w.duckdb")
    w.import_customers(CASE / "customers.csv")
    w.import_events(CASE / "events.csv")
    return w


def _send(ws: Workspace, events: list[dict[str, Any]], **options: Any) -> list[str]:
    return [i.status for i in ws.ingest.batch("events", events, **options).items]


def _ev(event_id: str, customer: str = "A", **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "customer_id": customer, "type": "social_share",
            "occurred_at": "2025-02-10T10:00:00Z", **extra}


def test_replay_new_customers_erasure_and_rollback_keep_the_index_exact(ws: Workspace) -> None:
    assert _send(ws, [_ev("n1"), _ev("n1"), _ev("e1")]) == ["accepted", "duplicate", "duplicate"]
    index = idindex.index_of(ws.db, create=False)
    assert index is not None and index.events is not None and index.customers is not None
    assert _send(ws, [_ev("n1"), _ev("n2", "Z")]) == ["duplicate", "rejected"]  # Z is not a customer yet
    assert ws.ingest.batch("customers", [{"customer_id": "Z", "signup_at": "2024-01-01"}]).items[0].status == "accepted"
    assert _send(ws, [_ev("n2", "Z")]) == ["accepted"]  # the customer set learnt Z
    ws.access.erase("Z")  # another writer: the customer set is dropped, Z's events are gone
    assert _send(ws, [_ev("n3", "Z")]) == ["rejected"]
    assert _send(ws, [_ev("n2", "A")]) == ["accepted"]  # n2 was erased: its stale hash is resolved in the table
    with pytest.raises(RejectedRowsError):  # rolled back: nothing of it may reach the index
        _send(ws, [_ev("n4"), _ev("n5", "nobody")], strict=True)
    assert _send(ws, [_ev("n4")]) == ["accepted"]
    ids = [r[0] for r in ws.db.cursor().execute("SELECT event_id FROM events WHERE event_id LIKE 'n%'").fetchall()]
    assert sorted(ids) == ["n1", "n2", "n4"]


def test_a_hash_hit_is_always_checked_in_the_table(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    _send(ws, [_ev("h1")])
    monkeypatch.setattr(idindex.HashSet, "contains", lambda self, probe: np.ones(len(probe), dtype=bool))
    assert _send(ws, [_ev("h1"), _ev("h2"), _ev("h2")]) == ["duplicate", "accepted", "duplicate"]


def test_a_failure_after_commit_drops_the_index(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    _send(ws, [_ev("f1")])

    def boom(self: idindex.IdIndex, pending: idindex.Pending) -> None:
        raise MemoryError

    monkeypatch.setattr(idindex.IdIndex, "committed", boom)
    with pytest.raises(MemoryError):
        _send(ws, [_ev("f2")])
    monkeypatch.undo()
    assert idindex.index_of(ws.db, create=False) is None  # rebuilt from the table on the next batch
    assert _send(ws, [_ev("f2"), _ev("f3")]) == ["duplicate", "accepted"]


def test_the_hash_set_merges_its_delta() -> None:
    s = idindex.HashSet(np.array([5, 1, 9], dtype=np.uint64))
    for start in range(0, 200_000, 50_000):
        s.add(np.arange(start + 100, start + 50_100, dtype=np.uint64))
    assert len(s) == 200_003 and len(s.delta) < 65_537
    probe = np.array([1, 5, 9, 100, 150_099, 200_100, 2, 50], dtype=np.uint64)
    assert s.contains(probe).tolist() == [True, True, True, True, True, False, False, False]


@pytest.mark.parametrize("seed", range(4))
def test_bucketed_lookups_find_what_a_binary_search_finds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = [70_000, 300_000, 1 << 16, 2_000_000][seed]
    values = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)
    values[:50] = values[50:100]  # repeated hashes (collisions): the first place must be found
    values[100:103] = [0, 2**64 - 1, 2**63]
    values.sort()
    buckets = sortedhash.Buckets(values)
    assert buckets.width <= sortedhash.MAX_WIDTH  # uniform hashes: a few values a bucket
    probe = np.concatenate([rng.choice(values, 3_000), rng.integers(0, 2**64 - 1, 3_000, dtype=np.uint64),
                            np.array([0, 1, 2**64 - 1, 2**64 - 2, 2**63, 2**63 - 1], dtype=np.uint64)])
    found, pos = sortedhash.member(values, probe, buckets)
    want = np.searchsorted(values, probe)
    want_found = (want < n) & (values[np.minimum(want, n - 1)] == probe)
    assert found.tolist() == want_found.tolist()
    assert pos[found].tolist() == want[want_found].tolist()
    # a set that merges its delta rebuilds its buckets
    s = idindex.HashSet(values)
    extra = rng.integers(0, 2**64 - 1, 70_000, dtype=np.uint64)
    s.add(extra)
    assert s.contains(extra).all() and s.contains(values[:1000]).all()
    assert s._buckets is not None and len(s._buckets.starts) == (1 << s._buckets.bits) + 1


def test_the_customer_set_is_exact_on_hash_collisions() -> None:
    import pyarrow as pa

    s = idindex.CustomerSet(np.array([3, 7, 7, 9], dtype=np.uint64), pa.array(["a", "b", "c", "d"]))
    s.added.add("z")
    got = s.known(np.array([7, 7, 7, 3, 4, 1], dtype=np.uint64), pa.array(["c", "b", "x", "a", "z", "q"]))
    assert got.tolist() == [True, True, False, True, True, False]


def test_only_the_importer_inserts_events() -> None:
    """The event-id set survives other writers only because none of them adds events."""
    import re

    src = Path(__file__).resolve().parents[1] / "src" / "advokit"
    writers = {p.relative_to(src).as_posix() for p in src.rglob("*.py")
               if re.search(r"INSERT\s+INTO\s+events\b|COPY\s+events\b|UPDATE\s+events\s+SET\s+event_id",
                            p.read_text(encoding="utf-8"), re.IGNORECASE)}
    assert writers == {"ingest/importer.py"}


def test_a_file_imported_by_a_process_holding_the_index_writes_every_reject(ws: Workspace, tmp_path: Path) -> None:
    _send(ws, [_ev("w1")])  # this process now keeps the index: small files use it too
    path = tmp_path / "bad.csv"
    path.write_text("event_id,customer_id,type,occurred_at\n" + "".join(
        f"b{i},A,social_share,2101-01-0{1 + i % 9}\n" for i in range(1200)) + "ok1,A,review,2025-02-01\n")
    rep = ws.import_events(path)
    assert (rep.imported, rep.rejected, len(rep.errors)) == (1, 1200, 1000)
    lines = Path(rep.rejects_path).read_text().splitlines()
    assert len(lines) == 1201 and "year from 1900 to 2100" in lines[1]


@pytest.mark.parametrize("group_fails", [False, True], ids=["grouped", "group-fails-each-alone"])
def test_concurrent_event_batches_are_imported_together_each_with_its_own_results(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch, group_fails: bool) -> None:
    import threading
    import time

    from advokit.ingest import batches

    imports: list[int] = []
    real = batches._append_events
    gate = threading.Event()

    def held(ws_: Any, table: Any, records: list[dict[str, Any]], *args: Any) -> Any:
        imports.append(len(records))
        if len(imports) == 1:
            gate.wait(10)  # the first batch holds the write lock while the others queue up
        return real(ws_, table, records, *args)

    monkeypatch.setattr(batches, "_append_events", held)
    if group_fails:
        monkeypatch.setattr(batches, "_import_group", lambda ws_, group: (_ for _ in ()).throw(RuntimeError("x")))
    jobs = {"a": [_ev("g1"), _ev("g2")], "b": [_ev("g2"), _ev("g3"), _ev("g9", "nobody")],
            "c": [_ev("g1"), _ev("g4")], "d": [_ev("g4")]}
    results: dict[str, list[tuple[int, str, str]]] = {}

    def send(name: str) -> None:
        results[name] = [(i.index, i.status, i.id) for i in ws.ingest.batch("events", jobs[name]).items]

    threads = {n: threading.Thread(target=send, args=(n,)) for n in jobs}
    threads["a"].start()
    queue = batches._queue_of(ws)
    for n in "bcd":  # queued in this order behind a
        while not imports:
            time.sleep(0.01)
        before = len(queue.jobs)
        threads[n].start()
        while len(queue.jobs) == before:
            time.sleep(0.01)
    gate.set()
    for t in threads.values():
        t.join(30)
    assert imports == ([2, 6] if not group_fails else [2, 3, 2, 1])
    assert results == {"a": [(0, "accepted", "g1"), (1, "accepted", "g2")],
                       "b": [(0, "duplicate", "g2"), (1, "accepted", "g3"), (2, "rejected", "g9")],
                       "c": [(0, "duplicate", "g1"), (1, "accepted", "g4")],
                       "d": [(0, "duplicate", "g4")]}
    ids = [r[0] for r in ws.db.cursor().execute("SELECT event_id FROM events WHERE event_id LIKE 'g%'").fetchall()]
    assert sorted(ids) == ["g1", "g2", "g3", "g4"]
