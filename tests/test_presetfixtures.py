"""The fixture writers of ``tests/presetfixtures.py`` themselves: header rows, layouts, date formats and
zones, the awkward-case options and the canonical dataset. No mapping engine needed."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from advokit import Workspace
from tests import presetfixtures as fx

DATA = fx.build_dataset()


def read(path: Path, sep: str = ",") -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=sep))


def write(preset: str, tmp_path: Path, name: str | None = None, **options: Any) -> Path:
    return fx.write_fixture(preset, tmp_path / (name or f"{preset}.csv"), fx.dataset_for(preset, DATA), **options)


def by_column(rows: list[list[str]], header: int = 0) -> list[dict[str, str]]:
    names = rows[header]
    return [dict(zip(names, r, strict=True)) for r in rows[header + 1:]]


def test_dataset_is_deterministic_and_has_every_case() -> None:
    again = fx.build_dataset()
    assert again == DATA
    assert len(DATA.customers) == 36 and len({c["customer_id"] for c in DATA.customers}) == 36
    assert {t: len(DATA.of(t)) for t in ("nps_response", "csat_response", "ces_response", "review",
                                         "referral_converted", "renewal", "expansion")} == {
        "nps_response": 39, "csat_response": 40, "ces_response": 39, "review": 12, "referral_converted": 6,
        "renewal": 4, "expansion": 3}
    assert len(DATA.of("review", platform="trustpilot")) == 7 and len(DATA.of("review", platform="g2")) == 5
    assert min(e["occurred_at"] for e in DATA.events) >= "2025-01-01"
    assert max(e["occurred_at"] for e in DATA.events) < "2025-04-01"
    assert {e["occurred_at"][:7] for e in DATA.survey_events()} == {"2025-01", "2025-02", "2025-03"}
    assert not any(fx.respondent(e) == 7 for e in DATA.of("nps_response"))
    assert not any(fx.respondent(e) == 12 for e in DATA.of("ces_response"))
    texts = [e.get("text") for e in DATA.of("nps_response")]
    assert any(t and "\n" in t for t in texts) and None in texts


def test_canonical_csvs_import_cleanly(tmp_path: Path) -> None:
    customers, events = fx.write_canonical(tmp_path / "canonical", DATA)
    with Workspace(tmp_path / "c.duckdb") as ws:
        c = ws.import_customers(customers)
        e = ws.import_events(events)
        assert (c.imported, c.rejected) == (36, 0)
        assert (e.imported, e.rejected, e.duplicates) == (143, 0, 0), e.errors[:3]
    with duckdb.connect(str(tmp_path / "c.duckdb"), read_only=True) as con:
        text = con.execute("SELECT text FROM events WHERE event_id = 'resp0003:nps'").fetchone()
        signup = con.execute("SELECT signup_at FROM customers WHERE customer_id = ?",
                             [fx.account_id(1)]).fetchone()
    assert text == ("Love it.\nThe API is solid,\nbut docs lag behind.",)
    assert signup is not None and signup[0].second == 0 and signup[0].minute % 15 == 0


def test_qualtrics_three_header_rows_and_denver_times(tmp_path: Path) -> None:
    path = write("qualtrics", tmp_path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read(path)
    names, texts, meta = rows[0], rows[1], [json.loads(m) for m in rows[2]]
    assert names == [*fx.QUALTRICS_FIXED, "Q1", "Q1_TEXT", "Q2", "Q3", "Q4"]
    assert texts[-5:] == [fx.NPS_QUESTION, fx.REASON_QUESTION, fx.CSAT_QUESTION, fx.CES_QUESTION,
                          fx.FEATURES_QUESTION]
    assert meta[names.index("Q1")] == {"ImportId": "QID1"}
    assert meta[names.index("RecordedDate")] == {"ImportId": "recordedDate", "timeZone": "America/Denver"}
    assert meta[names.index("ResponseId")] == {"ImportId": "responseId"}
    # no fixed column's row-2 text looks like a question the preset searches for
    for text in texts[:len(fx.QUALTRICS_FIXED)]:
        assert not re.search(r"recommend|satisf|easy|effort|reason|why|tell us|comment|feedback", text, re.IGNORECASE)
    data = by_column(rows[:1] + rows[3:])
    assert len(data) == 40
    first = {r["ResponseId"]: r for r in data}
    r1, r2 = first[fx.qualtrics_id(1)], first[fx.qualtrics_id(2)]
    assert r1["RecordedDate"] == "2025-01-31 20:30:05"  # 03:30:05 UTC on 1 February, UTC-7
    assert r2["RecordedDate"] == "2025-03-10 10:00:00"  # 16:00 UTC, after the change to UTC-6
    assert r1["ExternalReference"] == next(e for e in DATA.survey_events()
                                           if e["event_id"] == "resp0001:csat")["customer_id"]
    r7, r12 = first[fx.qualtrics_id(7)], first[fx.qualtrics_id(12)]
    assert r7["Q1"] == "" and r7["Q2"] != "" and r12["Q3"] == ""
    assert first[fx.qualtrics_id(3)]["Q1_TEXT"] == "Love it.\nThe API is solid,\nbut docs lag behind."
    assert {r["Status"] for r in data} == {"IP Address"}
    assert {r["DistributionChannel"] for r in data} == {"email"}


def test_qualtrics_options(tmp_path: Path) -> None:
    rows = read(write("qualtrics", tmp_path, tz=None, sep=";", bom=False, preview_rows=2, nps_labels=True), sep=";")
    meta = [json.loads(m) for m in rows[2]]
    assert all("timeZone" not in m for m in meta)
    data = by_column(rows[:1] + rows[3:])
    assert len(data) == 42 and [r["Status"] for r in data[-2:]] == ["Survey Preview", "Survey Preview"]
    assert {r["ResponseId"]: r for r in data}[fx.qualtrics_id(1)]["RecordedDate"] == "2025-02-01 03:30:05"
    scores = {r["Q1"] for r in data}
    assert "10 - Extremely likely" in scores and "10" not in scores
    assert not (tmp_path / "qualtrics.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_surveymonkey_two_header_rows(tmp_path: Path) -> None:
    rows = read(write("surveymonkey", tmp_path))
    assert rows[0] == [*fx.SURVEYMONKEY_FIXED, fx.NPS_QUESTION, fx.REASON_QUESTION, fx.CSAT_QUESTION,
                       fx.CES_QUESTION, fx.FEATURES_QUESTION, "", ""]
    assert rows[1] == [""] * 9 + ["Response", "Open-Ended Response", "Response", "Response", *fx.FEATURES]
    first = {r[0]: r for r in rows[2:]}
    assert len(first) == 40
    r1 = first[fx.surveymonkey_id(1)]
    assert r1[3] == "02/01/2025 03:30:05 AM" and r1[2] == "02/01/2025 03:27:05 AM"
    assert first[fx.surveymonkey_id(2)][3] == "03/10/2025 04:00:00 PM"
    ny = {r[0]: r for r in read(write("surveymonkey", tmp_path, "ny.csv", tz="America/New_York"))[2:]}
    assert ny[fx.surveymonkey_id(1)][3] == "01/31/2025 10:30:05 PM"
    assert len(read(write("surveymonkey", tmp_path, "plain.csv", multi_choice=False))[0]) == 13


def test_typeform_layouts(tmp_path: Path) -> None:
    rows = read(write("typeform", tmp_path, partial_rows=2))
    assert rows[0] == ["#", fx.NPS_QUESTION, fx.REASON_QUESTION, fx.CSAT_QUESTION, fx.CES_QUESTION, "customer_id",
                       "email", "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)",
                       "Network ID", "Tags"]
    data = by_column(rows)
    assert [r["Response Type"] for r in data].count("completed") == 40
    assert [r["Response Type"] for r in data].count("partial") == 2
    assert {r["#"]: r for r in data}[fx.typeform_id(1)]["Submit Date (UTC)"] == "2025-02-01 03:30:05"
    old = read(write("typeform", tmp_path, "old.csv", old_layout=True))
    assert old[0][-3:] == ["Start Date (UTC)", "Submit Date (UTC)", "Network ID"] and "Response Type" not in old[0]


def test_delighted_api_fields_and_unix_seconds(tmp_path: Path) -> None:
    data = by_column(read(write("delighted", tmp_path)))
    assert list(data[0]) == list(fx.DELIGHTED_COLUMNS)
    assert len(data) == 118
    rows = {r["id"]: r for r in data}
    nps1 = rows["7000003"]
    assert (nps1["survey_type"], nps1["created_at"]) == ("nps", "1738380605")  # 2025-02-01T03:30:05Z
    assert {r["survey_type"] for r in data} == {"nps", "csat", "ces"}
    labelled = by_column(read(write("delighted", tmp_path, "labels.csv", labels=True)))
    assert list(labelled[0]) == list(fx.DELIGHTED_LABELS)
    assert {r["Response ID"]: r for r in labelled}["7000003"]["Created At"] == "2025-02-01T03:30:05Z"


def test_review_exports(tmp_path: Path) -> None:
    tp = by_column(read(write("trustpilot", tmp_path)))
    assert list(tp[0]) == list(fx.TRUSTPILOT_COLUMNS) and len(tp) == 7
    assert all(re.fullmatch(r"[0-9a-f]{24}", r["Review Id"]) for r in tp)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["Review Created (UTC)"]) for r in tp)
    plain = by_column(read(write("trustpilot", tmp_path, "plain.csv", iso=False)))
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r["Review Created (UTC)"]) for r in plain)
    g2 = by_column(read(write("g2", tmp_path)))
    assert list(g2[0]) == list(fx.G2_COLUMNS) and len(g2) == 5
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["Submitted At"]) for r in g2)
    ids = {c["email"] for c in DATA.customers}
    assert all(r["Reviewer Email"] != r["Reviewer Email"].lower() and r["Reviewer Email"].lower() in ids
               for r in g2)


def test_crm_exports(tmp_path: Path) -> None:
    contacts = by_column(read(write("hubspot-contacts", tmp_path)))
    assert list(contacts[0]) == list(fx.HUBSPOT_CONTACT_COLUMNS) and len(contacts) == 36
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", r["Create Date"]) for r in contacts)
    assert contacts[0]["Record ID"] == fx.hubspot_id(fx.account_id(1)) and contacts[0]["Record ID"].isdigit()
    companies = by_column(read(write("hubspot-companies", tmp_path)))
    assert list(companies[0]) == list(fx.HUBSPOT_COMPANY_COLUMNS)
    accounts = by_column(read(write("salesforce-accounts", tmp_path, deleted_rows=2)))
    assert list(accounts[0]) == list(fx.SALESFORCE_ACCOUNT_COLUMNS) and len(accounts) == 38
    assert [r["IsDeleted"] for r in accounts].count("true") == 2
    c1 = DATA.customers[0]
    a1 = accounts[0]
    assert (a1["Id"], a1["Type"], a1["BillingCountry"], a1["ARR__c"]) == \
        (c1["customer_id"], c1["segment"], c1["region"], str(int(c1["arr"])))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000", a1["CreatedDate"])
    assert fx.salesforce_datetime("2024-03-05T14:22:10Z") == "2024-03-05T14:22:10.000+0000"


def test_salesforce_opportunities(tmp_path: Path) -> None:
    opps = by_column(read(write("salesforce-opportunities", tmp_path, lost_deals=3)))
    assert list(opps[0]) == list(fx.SALESFORCE_OPPORTUNITY_COLUMNS) and len(opps) == 16
    won = [r for r in opps if r["IsWon"] == "true"]
    referrals = [r for r in won if r["LeadSource"] in fx.REFERRAL_SOURCES]
    assert len(referrals) == 6 and {r["LeadSource"] for r in referrals} == {"Customer Referral", "Referral"}
    every = by_column(read(write("salesforce-opportunities", tmp_path, "all.csv", lead_sources=fx.REFERRAL_SOURCES)))
    assert {r["LeadSource"] for r in every if r["Referrer__c"]} == set(fx.REFERRAL_SOURCES)
    assert all(r["Referrer__c"] and r["Type"] == "New Customer" for r in referrals)
    assert [r["Type"] for r in won].count("Renewal") == 4
    assert [r["Type"] for r in won].count("Existing Customer - Upgrade") == 3
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["CloseDate"]) for r in opps)
    # the three deals the preset skips: lost referral, won web deal, lost renewal
    extra = opps[-3:]
    assert [(r["IsWon"], r["LeadSource"], r["Type"]) for r in extra] == [
        ("false", "Customer Referral", "New Customer"), ("true", "Web", "New Customer"), ("false", "", "Renewal")]
    renamed = read(write("salesforce-opportunities", tmp_path, "r.csv", referrer_column="Referred_By__c"))[0]
    assert renamed[-1] == "Referred_By__c"


def test_xlsx_holds_the_same_cells(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    csv_rows = read(write("surveymonkey", tmp_path))
    book = load_workbook(write("surveymonkey", tmp_path, "sm.xlsx"))
    sheet = book.worksheets[0]
    cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells == [[v.replace("\r\n", "\n") for v in row] for row in csv_rows]
    assert any("\r\n" in v for row in csv_rows for v in row)
    assert isinstance(sheet.cell(row=3, column=1).value, int)  # Respondent ID as a number


@pytest.mark.parametrize("preset", fx.EVENT_PRESETS)
def test_preset_event_ids(preset: str) -> None:
    events = fx.dataset_for(preset, DATA).events
    ids = [fx.preset_event_id(preset, e) for e in events]
    assert len(set(ids)) == len(events)
    prefix = "salesforce" if preset == "salesforce-opportunities" else preset
    assert all(i.startswith(prefix + ":") for i in ids)
    nps1 = next((e for e in events if e["event_id"] == "resp0001:nps"), None)
    if nps1 is not None:
        assert fx.preset_event_id(preset, nps1) == {
            "qualtrics": "qualtrics:R_0001aQzXbYcW:nps", "surveymonkey": "surveymonkey:114000000001:nps",
            "typeform": "typeform:tf0001k2j9x7w3q1:nps", "delighted": "delighted:7000003"}[preset]


def test_relabel_and_reduce() -> None:
    g2 = fx.dataset_for("g2", DATA)
    assert all("@" in c["customer_id"] for c in g2.customers)
    assert {e["customer_id"] for e in g2.events} <= {c["customer_id"] for c in g2.customers}
    hub = fx.dataset_for("hubspot-contacts", DATA)
    assert all(c["customer_id"].isdigit() for c in hub.customers) and len(hub.events) == 143
    assert hub.customers_with(("name", "signup_at"))[0].keys() == {"customer_id", "name", "signup_at"}
    assert all(e["occurred_at"] < "2025-03-01" for e in DATA.until("2025-03-01").events)
    for preset in fx.EVENT_PRESETS:
        data = fx.dataset_for(preset, DATA)
        assert 0 < len(data.first_half().events) < len(data.events), preset
    assert dt.date.fromisoformat(DATA.customers[0]["signup_at"][:10]).year in (2023, 2024, 2025)


def test_rename_and_question_text(tmp_path: Path) -> None:
    path = write("g2", tmp_path, rename={"Star Rating": "Overall Rating"}, sep=";")
    rows = read(path, sep=";")
    assert rows[0][5] == "Overall Rating" and len(rows) == 6
    assert read(write("g2", tmp_path, "plain2.csv"))[1:] == rows[1:]
    q = read(write("qualtrics", tmp_path, nps_question="Would you suggest Acme to others (0-10)?"))
    assert q[1][q[0].index("Q1")] == "Would you suggest Acme to others (0-10)?"
    assert (tmp_path / "qualtrics.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_qualtrics_blank_rows(tmp_path: Path) -> None:
    rows = read(write("qualtrics", tmp_path, blank_rows=2))
    assert len(rows) == 3 + 42
    assert [r[len(fx.QUALTRICS_FIXED):] for r in rows[-2:]] == [[""] * 5, [""] * 5]
    assert [r[8] for r in rows[-2:]] == [fx.qualtrics_id(9500), fx.qualtrics_id(9501)]


@pytest.mark.parametrize("preset,reference,email", [("qualtrics", "ExternalReference", "RecipientEmail"),
                                                    ("surveymonkey", "Custom Data 1", "Email Address"),
                                                    ("typeform", "customer_id", "email")])
def test_survey_by_email(tmp_path: Path, preset: str, reference: str, email: str) -> None:
    data = fx.dataset_for(preset, DATA.relabel(fx.g2_ids(DATA)))
    rows = read(fx.write_fixture(preset, tmp_path / "e.csv", data, by_email=True))
    body = rows[{"qualtrics": 3, "surveymonkey": 2, "typeform": 1}[preset]:]
    ref, mail = rows[0].index(reference), rows[0].index(email)
    emails = {c["customer_id"] for c in data.customers}
    assert all(r[ref] == "" for r in body)
    assert all(r[mail].lower() in emails and r[mail] != r[mail].lower() for r in body)
