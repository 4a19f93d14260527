"""Reports on an imported workspace of real public data (NPS verbatims, product reviews), every kind and format."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.reports import SECTIONS
from advokit.reports import build_report

from ..conftest import shared_path
from .test_narrative import check_claims
from .test_render import in_order, rendered_text

GENERATED = dt.datetime(2026, 1, 5, 9, 30)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    verbatim = shared_path("data", "nps-verbatim-telecom", "nps_verbatim.csv")
    reviews = shared_path("data", "reviews-amazon-alexa", "amazon_alexa.tsv")
    root = tmp_path_factory.mktemp("reports-imported")
    customers, events = root / "customers.csv", root / "events.csv"
    with open(customers, "w", newline="", encoding="utf-8") as fc, open(events, "w", newline="", encoding="utf-8") as fe:
        wc, we = csv.writer(fc), csv.writer(fe)
        wc.writerow(["customer_id", "segment", "plan", "signup_at"])
        we.writerow(["event_id", "customer_id", "type", "occurred_at", "score", "text", "channel"])
        with open(verbatim, newline="", encoding="utf-8") as f:
            for i, r in enumerate(csv.DictReader(f)):
                when = dt.datetime.strptime(r["CUSTOMER_RESPONSE_DATE"], "%d/%m/%Y %H:%M")
                wc.writerow([f"n{i}", r["SURVEY_SUB_TYPE"], "Broadband", "2017-01-01"])
                score = r["NPS_SCORE"] if r["NPS_SCORE"] not in ("", "NA") else ""
                if score:
                    we.writerow([f"nps{i}", f"n{i}", "nps_response", when.isoformat(), int(float(score)),
                                 r["text"], "email"])
        with open(reviews, newline="", encoding="utf-8-sig") as f:
            for i, r in enumerate(csv.DictReader(f, delimiter="\t")):
                when = dt.datetime.strptime(r["date"], "%d-%b-%y")
                wc.writerow([f"a{i}", "Reviewer", r["variation"].strip(), "2017-01-01"])
                we.writerow([f"rev{i}", f"a{i}", "review", when.date().isoformat(), r["rating"],
                             r["verified_reviews"], "amazon"])
    ws = Workspace(root / "imported.duckdb")
    ws.import_customers(customers)
    summary = ws.import_events(events)
    assert summary.imported > 5000
    yield ws
    ws.close()


@pytest.mark.parametrize("args", [dict(period="2018-05"), dict(period="2018-Q2"),
                                  dict(kind="campaign", start="2018-03", end="2018-04")],
                         ids=["monthly", "quarterly", "campaign"])
def test_every_kind_and_format_on_imported_data(imported: Workspace, tmp_path: Path, args: dict) -> None:  # type: ignore[type-arg]
    report = build_report(imported, **args, generated_at=GENERATED)
    check_claims(report)
    assert report.metric("nps").value is not None
    assert report.stories.total > 0 and report.stories.detractors
    for fmt in ("html", "md", "pdf"):
        path = report.write(tmp_path / f"r.{fmt}")
        text = rendered_text(path)
        if text is None:
            continue
        assert in_order(text, SECTIONS), fmt


def test_real_nps_and_customer_words(imported: Workspace) -> None:
    """The quarter's NPS is the engine's; the words quoted are the customers' own."""
    report = build_report(imported, "2018-Q2", generated_at=GENERATED)
    nps = imported.compute("nps", period="quarter", start="2018-04", end="2018-06").value("nps", "2018-Q2")
    assert report.metric("nps").value == pytest.approx(nps)
    assert all(s.type == "nps_response" and s.score is not None and s.score <= 6 for s in report.stories.detractors
               if s.type == "nps_response")
    reviews = [s for s in report.stories.highlights if s.type == "review"]
    assert reviews and all(s.score is not None and s.score >= 4 for s in reviews)
    assert report.segment_dimension == "segment"
