"""The dashboard's query parameters, fuzzed against a live ``advokit serve``: never a 5xx.

hypothesis draws a page (scorecard, KPI page, catalogue, customer list, one
customer, sign-in) and any mix of its parameters: valid values, values at and
beyond the calendar's edges (``9999-12``, ``0000-01``, ``2100-Q4``), and
arbitrary text (NUL, control characters, non-ASCII, long strings), repeated
parameters and unknown ones. Every answer must be below 500 (the API has its
own schemathesis test, ``tests/test_api_schema.py``). Bounded: about a hundred
requests on the worked example (half a minute on a busy machine: marked slow).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advokit.catalogue.model import FOCUS_AREAS

from ..analysis_support import load_worked_example, workspace
from ..api_support import Server

MAX_EXAMPLES = 100

TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
YEARS = st.sampled_from(["0000", "0001", "1899", "1900", "2025", "2100", "2101", "9999"])
EDGES = st.sampled_from(["9999-12", "0000-01", "0001-01", "9999-Q4", "9999", "0001", "1899-12", "1900-01", "2100-Q4",
                         "2100", "2101-01"])
LABELS = st.one_of(
    EDGES, st.builds(lambda y, m: f"{y}-{m:02d}", YEARS, st.integers(0, 13)),
    st.builds(lambda y, q: f"{y}-Q{q}", YEARS, st.integers(0, 5)),
    YEARS, st.sampled_from(["2025-01", "2025-Q1", "2025", "", " 2025-01 ", "2025-1", "25-01"]), TEXT)
GRAINS = st.one_of(st.sampled_from(["month", "quarter", "year", "", "week", "MONTH"]), TEXT)
FILTERS = st.lists(st.one_of(
    st.sampled_from(["segment:SMB", "segment:Enterprise", "region:EMEA", "segment:", ":SMB", "segment", "",
                     "shoe:42", "segment:nobody"]),
    st.builds(lambda d, v: f"{d}:{v}", st.sampled_from(["segment", "region", "plan"]), TEXT), TEXT), max_size=7)
NUMBERS = st.one_of(st.integers(-3, 10**7).map(str), st.sampled_from(["", "1.5", "1e3", "0x10", " 2"]), TEXT)
WORDS = st.one_of(st.sampled_from(["", "nps", "acme", "promoter", "%", "_", "*"]), TEXT)
SORTS = st.one_of(st.sampled_from(["name", "arr", "segment", "signup_at", "customer_id", "shoe", ""]), TEXT)
ORDERS = st.one_of(st.sampled_from(["asc", "desc", "", "up"]), TEXT)
FOCUS = st.one_of(st.sampled_from(sorted(FOCUS_AREAS) + ["", "nowhere"]), TEXT)
BY = st.one_of(st.sampled_from(["segment", "region", "plan", "", "shoe"]), TEXT)
NEXT = st.one_of(st.sampled_from(["/", "/kpis/nps", "//evil.example/", "https://evil.example/", "javascript:x"]), TEXT)
UNKNOWN = st.tuples(st.sampled_from(["x", "grain", "period", "utm_source"]), TEXT)

SELECTION = {"grain": GRAINS, "period": LABELS}
PAGES: dict[str, tuple[st.SearchStrategy[str], dict[str, st.SearchStrategy[str]]]] = {
    "scorecard": (st.just("/"), SELECTION),
    "kpi": (st.sampled_from(["/kpis/nps", "/kpis/csat", "/kpis/customer_churn_rate", "/kpis/no_such_kpi"]),
            {**SELECTION, "by": BY}),
    "catalogue": (st.just("/catalogue"), {"q": WORDS, "focus": FOCUS}),
    "customers": (st.just("/customers"), {"q": WORDS, "sort": SORTS, "order": ORDERS, "page": NUMBERS}),
    "customer": (st.sampled_from(["/customers/A", "/customers/B", "/customers/nobody", "/customers/A%2FB"]),
                 {"page": NUMBERS}),
    "signin": (st.just("/signin"), {"next": NEXT}),
}


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    name = draw(st.sampled_from(sorted(PAGES)))
    path_strategy, params = PAGES[name]
    path = draw(path_strategy)
    query: list[tuple[str, str]] = []
    for key in draw(st.lists(st.sampled_from(sorted(params)), unique=True)):
        query.append((key, draw(params[key])))
    if name in ("scorecard", "kpi", "customers"):
        query += [("filter", f) for f in draw(FILTERS)]
    if draw(st.integers(0, 4)) == 0:
        query.append(draw(UNKNOWN))  # now and then an unknown or repeated parameter
    return path, draw(st.permutations(query))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    db: Path = tmp_path_factory.mktemp("dashboard-fuzz") / "fuzz.duckdb"
    ws = workspace(db)
    load_worked_example(ws)
    ws.close()
    with Server(db, rate=0) as server, httpx.Client(base_url=server.url, timeout=60) as client:  # open local mode
        yield client


@pytest.mark.slow
def test_dashboard_query_parameters_never_answer_5xx(served: httpx.Client) -> None:
    seen: dict[int, int] = {}

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(requests())
    def check(request: tuple[str, list[tuple[str, str]]]) -> None:
        path, query = request
        try:
            r = served.get(path, params=query)
        except httpx.InvalidURL:  # text httpx itself refuses to send (not a request the server sees)
            return
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        assert r.status_code < 500, (path, query, r.status_code, r.text[:500])

    check()
    assert seen.get(200, 0) > 0 and sum(n for s, n in seen.items() if 400 <= s < 500) > 0, seen
