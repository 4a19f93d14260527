"""Property tests of the importer: no valid row lost, every invalid row rejected with its reason."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advokit.ingest import import_customers, import_events
from advokit.store.database import Database

CASE = Path(__file__).parent / "cases" / "worked_example"

valid_event = st.fixed_dictionaries({
    "customer_id": st.sampled_from(["A", "B", "C"]),
    "type": st.sampled_from(["nps_response", "review", "social_share", "referral_sent", "expansion"]),
    "day": st.integers(1, 28),
    "score": st.integers(0, 10),
    "amount": st.floats(0.01, 1e6, allow_nan=False),
    # valid text: NUL is refused by the contract (its own corruption below would be a different test)
    "text": st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=30),
})

# each corruption: (how to corrupt a valid row, the column its rejection must name)
CORRUPTIONS = {
    "score": lambda r: {**r, "type": "nps_response", "score": "11"},
    "type": lambda r: {**r, "type": "nonsense"},
    "customer_id": lambda r: {**r, "customer_id": "nobody"},
    "occurred_at": lambda r: {**r, "occurred_at": "2025-02-30"},
    "amount": lambda r: {**r, "amount": "-1"},
}


def _to_row(v: dict, i: int) -> dict:
    row = {"event_id": f"ev{i}", "customer_id": v["customer_id"], "type": v["type"],
           "occurred_at": f"2025-02-{v['day']:02d}T12:00:00Z", "text": v["text"]}
    if v["type"] == "nps_response":
        row["score"] = str(v["score"])
    if v["type"] == "expansion":
        row["amount"] = repr(v["amount"])
    return row


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(valid_event, st.sampled_from([None, *CORRUPTIONS])), min_size=1, max_size=40))
def test_no_valid_row_lost_every_invalid_row_rejected(rows):
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "w.duckdb")
        import_customers(db, CASE / "customers.csv")
        batch, expected_bad = [], {}
        for i, (v, corruption) in enumerate(rows):
            row = _to_row(v, i)
            if corruption:
                row = CORRUPTIONS[corruption](row)
                expected_bad[i + 1] = corruption
            batch.append(row)
        rep = import_events(db, batch, item_results=True)
        assert rep.rows == len(rows)
        assert rep.rejected == len(expected_bad)
        assert rep.imported == len(rows) - len(expected_bad)
        by_row: dict[int, set[str | None]] = {}
        for e in rep.errors:
            by_row.setdefault(e.row, set()).add(e.column)
        assert set(by_row) == set(expected_bad)
        for row, column in expected_bad.items():
            assert column in by_row[row], (row, column, by_row[row])
        landed = {r[0] for r in db.cursor().execute("SELECT event_id FROM events").fetchall()}
        assert landed == {f"ev{i}" for i in range(len(rows)) if i + 1 not in expected_bad}
        again = import_events(db, batch)
        assert again.imported == 0 and again.duplicates == rep.imported
        db.close()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.sampled_from(["SMB", "Ent", None])),
                min_size=1, max_size=20))
def test_customer_upsert_keeps_one_row_per_id_last_wins(rows):
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "w.duckdb")
        batch = [{"customer_id": cid, "signup_at": "2024-01-01", "segment": seg} for cid, seg in rows]
        import_customers(db, batch)
        got = dict(db.cursor().execute("SELECT customer_id, segment FROM customers").fetchall())
        want: dict[str, str | None] = {}
        for cid, seg in rows:
            want[cid] = seg
        assert got == want
        db.close()
