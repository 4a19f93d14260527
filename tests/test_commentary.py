"""Team commentary: stored per KPI and period, validated, listed back exactly as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from advokit import Workspace
from advokit.errors import InvalidArgumentError, UnknownKpiError


def test_comments_round_trip_per_kpi_and_period(tmp_path: Path) -> None:
    with Workspace(tmp_path / "c.duckdb") as ws:
        first = ws.commentary.add("nps", "2025-09", "  Fell after the price change  ", author="Ana")
        ws.commentary.add("nps", "2025-Q3", "Quarter view", owner="CS lead", kind="action")
        ws.commentary.add("csat", "2025-09", "<script>x</script>", kind="request")
        assert first["body"] == "Fell after the price change" and first["author"] == "Ana"
        assert first["kind"] == "comment" and first["owner"] is None
        assert [c["body"] for c in ws.commentary.list(kpi="nps")] == ["Fell after the price change", "Quarter view"]
        assert [c["kpi"] for c in ws.commentary.list(period="2025-09")] == ["nps", "csat"]
        assert [c["body"] for c in ws.commentary.list(kind="action")] == ["Quarter view"]
        assert ws.commentary.list(kind="request")[0]["body"] == "<script>x</script>"  # stored as text, escaped on render
        ws.commentary.delete(first["id"])
        assert [c["body"] for c in ws.commentary.list(kpi="nps")] == ["Quarter view"]


@pytest.mark.parametrize(("kpi", "period", "body", "kind", "error"), [
    ("no_such_kpi", "2025-09", "x", "comment", UnknownKpiError),
    ("nps", "2025-13", "x", "comment", InvalidArgumentError),
    ("nps", "last month", "x", "comment", InvalidArgumentError),
    ("nps", "2025-09", "   ", "comment", InvalidArgumentError),
    ("nps", "2025-09", "x" * 1001, "comment", InvalidArgumentError),
    ("nps", "2025-09", "x", "shout", InvalidArgumentError),
])
def test_bad_comments_are_refused_and_nothing_is_stored(tmp_path: Path, kpi: str, period: str, body: str,
                                                        kind: str, error: type[Exception]) -> None:
    with Workspace(tmp_path / "c.duckdb") as ws:
        with pytest.raises(error):
            ws.commentary.add(kpi, period, body, kind=kind)
        assert ws.commentary.list() == []


def test_a_due_date_is_stored_as_a_date_and_listed_in_iso_form(tmp_path: Path) -> None:
    import datetime as dt

    with Workspace(tmp_path / "c.duckdb") as ws:
        by_text = ws.commentary.add("nps", "2025-09", "Call detractors", kind="action", owner="Dana", due="2025-10-15")
        by_date = ws.commentary.add("csat", "2025-09", "Budget for a survey tool", kind="request",
                                    due=dt.date(2025, 11, 1))
        none = ws.commentary.add("nps", "2025-09", "An observation")
        assert (by_text["due"], by_date["due"], none["due"]) == ("2025-10-15", "2025-11-01", None)
        assert [c["due"] for c in ws.commentary.list()] == ["2025-10-15", "2025-11-01", None]
        stored = ws.db.cursor().execute("SELECT due FROM comments WHERE comment_id = ?", [by_text["id"]]).fetchone()
        assert stored == (dt.date(2025, 10, 15),)


@pytest.mark.parametrize("due", ["2025-13-01", "15/10/2025", "2025-10", "tomorrow", "2025-10-15T10:00"])
def test_a_bad_due_date_is_refused_naming_the_field(tmp_path: Path, due: str) -> None:
    with Workspace(tmp_path / "c.duckdb") as ws:
        with pytest.raises(InvalidArgumentError) as err:
            ws.commentary.add("nps", "2025-09", "x", kind="action", due=due)
        assert err.value.message == f"the due date {due!r} is not a date" and "YYYY-MM-DD" in (err.value.hint or "")
        assert ws.commentary.list() == []
