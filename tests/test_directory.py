"""The in-memory customer directory answers exactly what the SQL over the customers table answers.

``Workspace.customer_list`` serves pages from ``directory.CustomerDirectory``;
``directory.list_customers_sql`` (Ibis over the table, the implementation the
dashboard used before) is the reference: same rows, same order, same totals,
for every sortable column in both directions (NULLs last), searches with
special characters, filters, and pages past the end.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.customers.directory import SORTABLE, CustomerDirectory, list_customers_sql
from advokit.errors import InvalidArgumentError, UnknownDimensionError

NAMES = ["Acme Corp", "acme corp", "ACME GmbH", "Ærøskøbing A/S", "İstanbul Tekstil", "straße & söhne", "Ωmega",
         "50% off_sale", "O'Brien \"Ltd\"", "<script>alert(1)</script>", "back\\slash", "tab\there", "日本株式会社",
         "emoji 🚀 inc", "  spaced  ", "", None, "Zeta", "zeta", "Beta", "beta", "ǅungla", "ﬁrma"]
SEGMENTS = ["SMB", "Mid-Market", "Enterprise", None]
REGIONS = ["EMEA", "NAM", None, "APAC", "LATAM"]
ARRS = [None, 0.0, 1200.5, 1200.5, 99.0, 5_000_000.0, None, 42.0, -0.0]
QUERIES = [None, "", "   ", "acme", "ACME", "Acme Corp", "c0", "C01", "@", "example", ".com", "%", "_", "50%",
           "'", '"', "<script>", "&", "\\", "\t", "ß", "STRASSE", "straße", "İ", "i̇", "ı", "ø", "Æ", "ω", "Ω",
           "日本", "🚀", "ǆ", "ﬁ", "fi", " ", "zzz-no-match", "a\x00b", "x" * 200]
OFFSETS = [0, 7, 45, 90, 1000]


def _customers(n: int = 90) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(n):
        name = NAMES[i % len(NAMES)]
        row: dict[str, object] = {
            "customer_id": f"C{(i * 37) % n:03d}" if i % 11 else f"c-{i:03d}",
            "name": name,
            "email": None if i % 9 == 4 else f"Contact{i}@{'Example' if i % 2 else 'acme'}.COM",
            "segment": SEGMENTS[i % len(SEGMENTS)],
            "region": REGIONS[i % len(REGIONS)],
            "plan": None if i % 6 == 0 else ("Pro" if i % 3 else "Basic"),
            "industry": None if i % 5 == 0 else ["Retail", "Tech", "Éducation"][i % 3],
            "signup_at": (dt.datetime(2023, 1, 1) + dt.timedelta(days=(i * 13) % 400)).isoformat(),
            "churned_at": None if i % 4 else (dt.datetime(2024, 6, 1) + dt.timedelta(days=i % 7)).isoformat(),
            "arr": ARRS[i % len(ARRS)],
            "referred_by": None if i % 8 else "C001",
            "tier": None if i % 3 == 0 else ["gold", "Silver", "bronze"][i % 3],  # an extra attribute column
        }
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    w = Workspace(tmp_path_factory.mktemp("directory") / "d.duckdb")
    report = w.import_customers(_customers(), write_rejects=False)
    assert report.rejected == 0, report.errors[:3]
    yield w
    w.close()


def _both(ws: Workspace, **request: object):  # type: ignore[no-untyped-def]
    new = ws.customers.page(**request)  # type: ignore[arg-type]
    old = list_customers_sql(ws.kpis.backend(), dimensions=ws.kpis.dimensions(), **request)  # type: ignore[arg-type]
    return new, old


def test_the_workspace_has_the_edge_cases_this_file_is_about(ws: Workspace) -> None:
    cur = ws.db.cursor()
    nulls = cur.execute("SELECT count(*) FILTER (WHERE name IS NULL), count(*) FILTER (WHERE arr IS NULL), "
                        "count(*) FILTER (WHERE churned_at IS NULL), count(*) FILTER (WHERE segment IS NULL), "
                        "count(*) FILTER (WHERE tier IS NULL), count(*) - count(DISTINCT arr) FROM customers").fetchone()
    assert all(n > 0 for n in nulls)  # NULLs in text, number and time columns, and ties
    assert "tier" in ws.kpis.dimensions()


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", [*SORTABLE, "referred_by", "tier"])
def test_every_sort_in_both_directions_pages_exactly_like_the_sql(ws: Workspace, sort: str, descending: bool) -> None:
    pages = []
    for offset in OFFSETS:
        for limit in (1, 7, 50, 200):
            new, old = _both(ws, sort=sort, descending=descending, limit=limit, offset=offset)
            assert new == old, (sort, descending, limit, offset)
            pages.append(new)
    assert pages[0].total == 90
    whole = _both(ws, sort=sort, descending=descending, limit=200)[0].rows
    assert [r["customer_id"] for r in whole] != [] and len(whole) == 90
    values = [r[sort] for r in whole]
    if sort != "customer_id":  # NULLs come last in both directions
        first_null = next((i for i, v in enumerate(values) if v is None), len(values))
        assert all(v is None for v in values[first_null:])


@pytest.mark.parametrize("q", QUERIES)
def test_searches_with_special_characters_match_the_sql(ws: Workspace, q: str | None) -> None:
    for sort, descending in [("name", False), ("arr", True), ("customer_id", True), ("churned_at", False),
                             ("tier", True)]:
        for offset in (0, 5, 95):
            new, old = _both(ws, q=q, sort=sort, descending=descending, limit=10, offset=offset)
            assert new == old, (q, sort, descending, offset)


@pytest.mark.parametrize("filters", [{"segment": "SMB"}, {"segment": None}, {"segment": "SMB", "region": "EMEA"},
                                     {"tier": "gold"}, {"tier": None, "region": None}, {"segment": "nobody"},
                                     {"industry": "Éducation"}, {"referred_by": "C001"}])
def test_filters_alone_and_with_a_search_match_the_sql(ws: Workspace, filters: dict[str, str | None]) -> None:
    for q in (None, "acme", "e"):
        for sort in ("name", "arr", "signup_at", "segment"):
            for descending in (False, True):
                for offset in (0, 3, 60):
                    new, old = _both(ws, q=q, filters=filters, sort=sort, descending=descending, limit=5,
                                     offset=offset)
                    assert new == old, (filters, q, sort, descending, offset)


def test_pinned_order_nulls_last_and_ties_by_customer_id(ws: Workspace) -> None:
    page = ws.customers.page(sort="arr", descending=True, limit=200)
    arrs = [r["arr"] for r in page.rows]
    assert arrs[0] == 5_000_000.0 and arrs[-1] is None
    ties = [r["customer_id"] for r in page.rows if r["arr"] == 1200.5]
    assert ties == sorted(ties) and len(ties) > 1
    up = ws.customers.page(sort="arr", limit=200)
    assert [r["arr"] for r in up.rows][-1] is None and up.rows[0]["arr"] == 0.0


def test_a_page_past_the_end_is_empty_with_the_right_total(ws: Workspace) -> None:
    for q in (None, "acme"):
        new, old = _both(ws, q=q, offset=10_000)
        assert new == old and new.rows == [] and new.total == old.total > 0


def test_requests_are_checked_like_before(ws: Workspace) -> None:
    for bad, err in [({"limit": 0}, InvalidArgumentError), ({"limit": 201}, InvalidArgumentError),
                     ({"offset": -1}, InvalidArgumentError), ({"sort": "email"}, InvalidArgumentError),
                     ({"filters": {"email": "x"}}, UnknownDimensionError), ({"q": "x" * 201}, InvalidArgumentError)]:
        with pytest.raises(err) as new:
            ws.customers.page(**bad)  # type: ignore[arg-type]
        with pytest.raises(err) as old:
            list_customers_sql(ws.kpis.backend(), dimensions=ws.kpis.dimensions(), **bad)  # type: ignore[arg-type]
        assert str(new.value) == str(old.value)


def test_the_directory_follows_writes_to_customers_but_not_other_writes(tmp_path: Path) -> None:
    w = Workspace(tmp_path / "w.duckdb")
    try:
        w.import_customers(_customers(20), write_rejects=False)
        first = w.customers.directory()
        assert w.customers.page(limit=200).total == 20
        w.commentary.add("nps", "2025-01", "a comment changes no customer")
        w.set_target("nps", 40)
        assert w.customers.directory() is first  # other writes keep it (one cheap look at the fingerprint)
        w.import_customers([{"customer_id": "NEW", "name": "Brand New", "signup_at": "2024-01-01"}],
                           write_rejects=False)
        assert w.customers.directory() is not first
        assert _both(w, q="brand")[0].total == 1
        w.import_customers([{"customer_id": "NEW", "name": "Renamed", "signup_at": "2024-01-01"}],
                           write_rejects=False)  # an update keeps the count
        assert _both(w, q="brand")[0].total == 0 and _both(w, q="renamed")[0].total == 1
        # erasing an id that only others refer to (no row of its own) still changes their referred_by
        w.import_events([{"event_id": "e1", "customer_id": "C001", "type": "activation",
                          "occurred_at": "2024-02-01T00:00:00Z"}], write_rejects=False)
        w.db.cursor().execute("DELETE FROM customers WHERE customer_id = 'C001'")  # (a row-less referee)
        w.db.cursor().execute("UPDATE customers SET updated_at = updated_at - INTERVAL 1 DAY")
        w.import_customers([{"customer_id": "NEW2", "signup_at": "2024-01-01"}], write_rejects=False)
        before = _both(w, filters={"referred_by": "C001"}, limit=200)
        assert before[0] == before[1] and before[0].total > 0
        w.access.erase("C001")
        after = _both(w, filters={"referred_by": "C001"}, limit=200)
        assert after[0] == after[1] and after[0].total == 0
        new, old = _both(w, sort="referred_by", limit=200)
        assert new == old
        w.import_customers([{"customer_id": "NEW3", "signup_at": "2024-01-01", "colour": "blue"}],
                           write_rejects=False)  # a new attribute column
        new, old = _both(w, sort="colour", descending=True, limit=200)
        assert new == old and new.rows[0]["colour"] == "blue"
    finally:
        w.close()


def test_an_empty_workspace_lists_nothing(tmp_path: Path) -> None:
    w = Workspace(tmp_path / "empty.duckdb")
    try:
        for sort in ("name", "arr", "customer_id"):
            new, old = _both(w, q="x" if sort == "arr" else None, sort=sort, descending=True)
            assert new == old and new.total == 0 and new.rows == []
    finally:
        w.close()


def test_orders_are_kept_and_bounded(ws: Workspace) -> None:
    d = ws.customers.directory()
    assert isinstance(d, CustomerDirectory)
    a = d.order("name", True)
    assert a is d.order("name", True)
    for sort in SORTABLE:
        d.order(sort, False)
        d.order(sort, True)
    assert len(d._orders) <= 8
