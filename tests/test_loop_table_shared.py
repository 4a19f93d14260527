"""The closed-loop KPIs of one request share one loop table (issue 17): a compute of all six builds it once
for the catalogue's rules (every closed-loop KPI declares the same rules and SLA), and once more for each
other set of rules. The builder is wrapped with a call counter; the values are the hand-worked ones of
tests/test_loops.py (follow-up rate in January: a1, a3 and b1 closed of a1, a3, b1, b2 → 3/4 = 75 %)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advokit.engine import loop_kpis
from advokit.engine.compiler import Context

from .test_loops import _build

LOOP_KPIS = ["closed_loop_follow_up_rate", "closed_loop_in_sla_rate", "closed_loop_days_to_close",
             "closed_loop_open_loops", "closed_loop_open_age_days", "closed_loop_recovery_rate"]


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    calls: list[tuple] = []
    real = loop_kpis.loop_table

    def counting(events, sentiment, rules):  # type: ignore[no-untyped-def]
        calls.append(rules)
        return real(events, sentiment, rules)

    monkeypatch.setattr(loop_kpis, "loop_table", counting)
    return calls


def test_six_loop_kpis_build_the_loop_table_once(tmp_path: Path, builds: list[tuple]) -> None:
    ws = _build(tmp_path)
    try:
        rows = ws.compute(LOOP_KPIS, period="month", by=["segment"], start="2025-01", end="2025-03").to_dicts()
        assert len(builds) == 1
        assert {r["kpi"] for r in rows} == set(LOOP_KPIS)
        jan = {r["segment"]: r["value"] for r in rows
               if r["kpi"] == "closed_loop_follow_up_rate" and r["period"] == "2025-01"}
        # SMB: a1, a3 both closed → 100 %; Enterprise: b1 closed, b2 open → 50 %
        assert jan == {"SMB": 100.0, "Enterprise": 50.0}
        ws.compute(LOOP_KPIS[:2], period="month", start="2025-01", end="2025-03")
        assert len(builds) == 2  # a new request builds its own
    finally:
        ws.close()


def test_the_cache_is_keyed_by_the_rules() -> None:
    ctx = Context.__new__(Context)
    ctx.cache = {}
    made: list[str] = []

    def build(name: str):  # type: ignore[no-untyped-def]
        return lambda: made.append(name) or name  # type: ignore[func-returns-value]

    assert ctx.shared(("loops", 2.0), build("a")) == "a"
    assert ctx.shared(("loops", 2.0), build("b")) == "a"
    assert ctx.shared(("loops", 3.0), build("c")) == "c"
    assert made == ["a", "c"]
