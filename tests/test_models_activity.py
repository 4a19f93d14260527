"""The model frame's activity features (docs/models.md), worked by hand on a two-customer workspace: counts of
survey answers, engagement and revenue events over 30 / 90 days and their change, days since the latest event,
expansion and contraction amounts; events on or after the cutoff change nothing."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

from advokit import Workspace
from advokit.models.explain import sentence
from advokit.models.frame import FrameQuery, categorical_columns, load_frame

CUTOFF = dt.datetime(2025, 3, 1)
BEFORE = [  # (type, day, score, amount) of customer A; the days before the cutoff in the comments
    ("csat_response", "2025-02-20", 4, None),    # 9
    ("contraction", "2025-02-01", None, 300.0),  # 28
    ("expansion", "2025-01-15", None, 1200.0),   # 45
    ("csat_response", "2024-12-15", 3, None),    # 76
    ("csat_response", "2024-10-01", 5, None),    # 151: in the 90 days before the last 90
    ("contraction", "2024-06-01", None, 500.0),  # 273
    ("activation", "2024-01-05", None, None),    # 421: outside every window
]
LATER = [("contraction", "2025-03-01", None, 999.0), ("csat_response", "2025-03-05", 1, None),
         ("expansion", "2025-04-01", None, 50.0), ("activation", "2025-03-02", None, None)]


def _events(rows: list[tuple[str, str, int | None, float | None]], tag: str) -> list[dict[str, Any]]:
    return [{"event_id": f"{tag}{k}", "customer_id": "A", "type": t, "occurred_at": day, "score": s, "amount": a}
            for k, (t, day, s, a) in enumerate(rows)]


def _frame(path: Path, events: list[dict[str, Any]], *, compiled: bool = False) -> dict[str, Any]:
    with Workspace(path) as ws:
        ws.import_customers([{"customer_id": "A", "signup_at": "2024-01-01"},
                             {"customer_id": "B", "signup_at": "2024-06-01"}])
        ws.import_events(events)
        attrs = categorical_columns(ws.db.customer_columns())
        frame = load_frame(ws.kpis.backend(), cutoff=CUTOFF, horizon_days=90, rules=ws.loops.rules(),
                           attributes=attrs)
        if compiled:  # the query compiled at another cutoff, run with this one's parameters, agrees
            query = FrameQuery(ws.kpis.backend(), cutoff=dt.datetime(2025, 6, 1), horizon_days=90,
                               rules=ws.loops.rules(), attributes=attrs)
            moved = query.load(CUTOFF)
            for k in ("days_since_event_log", "surveys_90_change", "raw_surveys_180", "net_expansion_all_slog"):
                assert list(moved[k]) == list(frame[k]), k
    return frame


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    root = tmp_path_factory.mktemp("activity")
    return (_frame(root / "a.duckdb", _events(BEFORE, "e"), compiled=True),
            _frame(root / "b.duckdb", _events(BEFORE, "e") + _events(LATER, "late")))


def test_activity_features_by_hand(frames: tuple[dict[str, Any], dict[str, Any]]) -> None:
    f, _ = frames
    assert f["customer_id"] == ["A", "B"]
    ln = math.log
    expected = {
        "days_since_event_log": (ln(10), ln(731)),  # 9 days; B has no event: the 730-day cap
        "surveys_30_log": (ln(2), 0.0), "surveys_90_log": (ln(3), 0.0),
        "surveys_90_change": (ln(3) - ln(2), 0.0),   # 2 in the last 90 days against 1 in the 90 before
        "engagement_30_log": (0.0, 0.0), "engagement_90_change": (0.0, 0.0),
        "revenue_events_90_log": (ln(3), 0.0), "revenue_events_90_change": (ln(3), 0.0),
        "expansion_amount_90_log": (ln(1201), 0.0), "contraction_amount_90_log": (ln(301), 0.0),
        "contraction_amount_365_log": (ln(801), 0.0), "net_expansion_all_slog": (ln(401), 0.0),
    }
    for name, (a, b) in expected.items():
        assert f[name][0] == pytest.approx(a), name
        assert f[name][1] == pytest.approx(b), name


def test_events_at_or_after_the_cutoff_change_nothing(frames: tuple[dict[str, Any], dict[str, Any]]) -> None:
    before, after = frames
    for k in before:
        if k in ("churn", "advocacy", "n"):
            continue
        assert [None if isinstance(v, float) and math.isnan(v) else v for v in before[k]] == \
            [None if isinstance(v, float) and math.isnan(v) else v for v in after[k]], k


def test_activity_factors_in_words(frames: tuple[dict[str, Any], dict[str, Any]]) -> None:
    f, _ = frames
    raw = {k: v[0] for k, v in f.items() if k.startswith("raw_")}
    assert sentence("days_since_event_log", raw) == "latest event 9 days ago"
    assert sentence("days_since_event_log", {"raw_days_since_event": None}) == "no event on record"
    assert sentence("surveys_90_change", raw) == "2 survey answers in the last 90 days, up from 1 in the 90 before"
    assert sentence("surveys_30_log", raw) == "1 survey answer in the last 30 days"
    assert sentence("revenue_events_90_log", raw) == "2 renewals, expansions or contractions in the last 90 days"
    assert sentence("engagement_90_change", raw) == "0 engagement events in the last 90 days, as many as in the 90 before"
    assert sentence("contraction_amount_365_log", raw) == "contraction of 800 in the last 365 days"
    assert sentence("expansion_amount_90_log", raw) == "expansion of 1,200 in the last 90 days"
    assert sentence("net_expansion_all_slog", raw) == "net expansion +400 over all the history"
