"""Mapping files and the mapping engine (advokit.mapping), proven on small hand-written exports."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from advokit import Workspace
from advokit.errors import DataError, InvalidArgumentError
from advokit.mapping import MappingError, load_mapping, parse_sets
from advokit.mapping.convert import CellError, date_text, leading_number, rescaled
from advokit.mapping.spec import Rescale, parse_mapping

ADVOKIT = str(Path(sys.executable).with_name("advokit"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ADVOKIT, *args], capture_output=True, text=True, timeout=300, env={**os.environ})


@pytest.fixture
def cli(capsys):
    """The command line in this process (``advokit.cli.main``): exit code, stdout and stderr."""
    from types import SimpleNamespace

    from advokit.cli import main

    def invoke(*args: str) -> SimpleNamespace:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return invoke


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",", bom: bool = False) -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace(tmp_path / "m.duckdb")
    w.import_customers([{"customer_id": c, "signup_at": "2024-01-01"} for c in ("C1", "C2", "C3")])
    yield w
    w.close()


def stored(ws: Workspace) -> list[tuple]:
    return ws.db.cursor().execute(
        "SELECT event_id, customer_id, type, strftime(occurred_at, '%Y-%m-%d %H:%M:%S'), score, text "
        "FROM events ORDER BY event_id").fetchall()


# -- conversions ----------------------------------------------------------------------------------------
def test_dates_in_a_tools_format_and_zone_become_utc():
    assert date_text("03/05/2024 02:22:10 PM", ("%m/%d/%Y %I:%M:%S %p",), "America/Denver") == "2024-03-05 21:22:10"
    # summer time: Denver is UTC-6 in July
    assert date_text("2024-07-01 23:30:00", ("%Y-%m-%d %H:%M:%S",), "America/Denver") == "2024-07-02 05:30:00"
    assert date_text("2024-03-05T14:22:10.000+0000", ("%Y-%m-%dT%H:%M:%S.%f%z",), None) == "2024-03-05 14:22:10"
    assert date_text("1709648530", ("unix",), None) == "2024-03-05 14:22:10"
    # a calendar date is not shifted by a zone; ISO 8601 is always understood
    assert date_text("2024-03-05", ("%Y-%m-%d",), "Asia/Tokyo") == "2024-03-05"
    assert date_text("2024-03-05T14:22:10Z", ("%d/%m/%Y",), "America/Denver") == "2024-03-05 14:22:10"
    with pytest.raises(CellError, match=r"'31/02/2024' is not a date in the format %d/%m/%Y"):
        date_text("31/02/2024", ("%d/%m/%Y",), None)


def test_rescale_is_explicit_and_bounded():
    rule = Rescale((0.0, 100.0), (0.0, 10.0), True)
    assert [rescaled(v, rule) for v in ("0", "84", "85", "100")] == ["0", "8", "9", "10"]
    assert rescaled("50", Rescale((1.0, 5.0), (0.0, 1.0), False)) if False else True
    with pytest.raises(CellError, match="outside the scale 0–100"):
        rescaled("101", rule)
    with pytest.raises(CellError, match="is not a number"):
        rescaled("high", rule)
    assert rescaled("3", Rescale((1.0, 5.0), (0.0, 100.0), False)) == "50"


def test_leading_number():
    assert leading_number("10 - Extremely likely") == "10"
    assert leading_number(" 0 (Not at all likely)") == "0"
    with pytest.raises(CellError):
        leading_number("Extremely likely")


# -- the format is checked --------------------------------------------------------------------------------
@pytest.mark.parametrize("body, message", [
    ({"mapping": 2, "imports": "events"}, "mapping: must be 1"),
    ({"mapping": 1, "imports": "orders"}, "imports: must be customers or events"),
    ({"mapping": 1, "imports": "events", "feilds": {}}, "unknown key\\(s\\) feilds"),
    ({"mapping": 1, "imports": "events", "fields": {"scroe": "Q1"}}, "'scroe' is not an event field"),
    ({"mapping": 1, "imports": "events", "fields": {"score": {"column": "Q1", "value": "3"}}},
     "needs exactly one of column, columns, question, value"),
    ({"mapping": 1, "imports": "events", "fields": {"occurred_at": {"column": "D", "timezone": "Mars/Base"}}},
     "unknown time zone 'Mars/Base'"),
    ({"mapping": 1, "imports": "events", "fields": {"score": {"column": "S", "rescale": {"from": [10, 0], "to": [0, 10]}}}},
     "must be \\[low, high\\]"),
    ({"mapping": 1, "imports": "customers", "fields": {"Bad Name": "X"}}, "neither a customer field nor an attribute"),
])
def test_a_bad_mapping_names_the_place_of_the_problem(body, message):
    with pytest.raises(InvalidArgumentError, match=message):
        parse_mapping(body, "m.yaml")


def test_set_pairs_are_checked():
    assert parse_sets(["score=Q7", "csat.score = Q9"]) == {"score": "Q7", "csat.score": "Q9"}
    for bad in (["score"], ["=Q7"], ["score=Q7", "score=Q8"]):
        with pytest.raises(InvalidArgumentError):
            parse_sets(bad)


# -- imports through a mapping file -----------------------------------------------------------------------
SURVEY_MAP = """
mapping: 1
name: pulse
imports: events
fields:
  event_id: {column: Ticket, prefix: "pulse:"}
  customer_id: {column: [Account, {column: Email, normalise: email}]}
  occurred_at: {column: When, format: "%d.%m.%Y %H:%M", timezone: Europe/Berlin}
  type: {value: csat_response}
  score:
    column: Rating
    values: {"very satisfied": 5, "satisfied": 4, "neutral": 3, "unsatisfied": 2, "very unsatisfied": 1}
    other: reject
  text: {column: Comment, optional: true}
  properties.queue: {column: Queue, optional: true}
"""


def test_a_mapping_file_renames_converts_and_derives(ws, tmp_path):
    ws.import_customers([{"customer_id": "c2@example.com", "signup_at": "2024-01-01"}])
    m = write_yaml(tmp_path / "pulse.yaml", SURVEY_MAP)
    f = write_csv(tmp_path / "pulse.csv", [
        ["Ticket", "Account", "Email", "When", "Rating", "Comment", "Queue"],
        ["T1", "C1", "", "05.03.2024 14:00", "Very satisfied", "quick;\nthanks", "billing"],
        ["T2", "", " C2@Example.com ", "31.07.2024 23:30", "neutral", "", ""],
        ["T3", "C3", "", "05.03.2024 14:00", "meh", "", ""],
    ], delimiter=";", bom=True)
    report = ws.import_events(f, mapping=m).to_dict()
    assert (report["imported"], report["rejected"]) == (2, 1)
    # the reject names the file's line (the header is line 1; T1's comment spans lines 2 and 3)
    assert report["errors"][0]["row"] == 5 and report["errors"][0]["column"] == "Rating"
    assert report["errors"][0]["value"] == "meh" and "not one of the values the mapping knows" in report["errors"][0]["reason"]
    assert stored(ws) == [
        ("pulse:T1", "C1", "csat_response", "2024-03-05 13:00:00", 5.0, "quick;\nthanks"),
        ("pulse:T2", "c2@example.com", "csat_response", "2024-07-31 21:30:00", 3.0, None),
    ]
    props = ws.db.cursor().execute("SELECT properties FROM events WHERE event_id = 'pulse:T1'").fetchone()[0]
    assert json.loads(props) == {"queue": "billing"}
    assert report["mapping"]["records"][0]["fields"]["customer_id"] == "'Account' else 'Email'"


def test_set_overrides_a_column_and_a_missing_column_names_near_misses(ws, tmp_path):
    f = write_csv(tmp_path / "c.csv", [["Customer ID", "signup_date", "Plan Name"], ["C9", "2024-02-01", "Pro"]])
    with pytest.raises(DataError) as err:  # (a file that lacks a column: exit code 1, as for a canonical file)
        ws.import_customers(f, sets={"customer_id": "Customer ID"})
    assert "signup_at" in str(err.value) and "signup_date" in str(err.value)
    assert "--set signup_at=signup_date" in (err.value.hint or "")
    report = ws.import_customers(f, sets={"customer_id": "Customer ID", "signup_at": "signup_date",
                                          "plan": "Plan Name"}).to_dict()
    assert report["imported"] == 1
    row = ws.db.cursor().execute("SELECT customer_id, plan, signup_at FROM customers WHERE customer_id = 'C9'").fetchone()
    assert row == ("C9", "Pro", dt.datetime(2024, 2, 1))
    spaced = write_csv(tmp_path / "s.csv", [["Customer ID", "Signup Date"], ["C8", "2024-02-01"]])
    # the near miss names columns as the importer does (signup_date): that name finds "Signup Date"
    assert ws.import_customers(spaced, sets={"customer_id": "customer_id", "signup_at": "signup_date"}).imported == 1
    with pytest.raises(InvalidArgumentError, match="has no column 'Plan'"):
        ws.import_customers(f, sets={"customer_id": "Customer ID", "signup_at": "signup_date", "plan": "Plan"})


SNAPSHOT_MAP = """
mapping: 1
name: crm
imports: events
fields:
  customer_id: {column: Account}
records:
  - name: satisfaction
    skip_if_empty: score
    fields:
      type: {value: csat_response}
      score: {column: Satisfaction}
  - name: referrals
    snapshot: count
    fields:
      type: {value: referral_sent}
      count: {column: Referrals}
"""


def test_snapshots_need_as_of_and_add_only_what_changed(ws, tmp_path):
    m = write_yaml(tmp_path / "crm.yaml", SNAPSHOT_MAP)

    def snap(name: str, rows: list[list[str]]) -> Path:
        return write_csv(tmp_path / name, [["Account", "Satisfaction", "Referrals"], *rows])

    june = snap("june.csv", [["C1", "4", "2"], ["C2", "3", "0"], ["C3", "", "1"]])
    with pytest.raises(InvalidArgumentError, match="pass --as-of DATE"):
        ws.import_events(june, mapping=m)
    first = ws.import_events(june, mapping=m, as_of="2024-06-30").to_dict()
    assert first["imported"] == 5 and first["skipped_by_reason"] == {}
    again = ws.import_events(june, mapping=m, as_of="2024-06-30").to_dict()
    assert again["imported"] == 0 and again["duplicates"] == 5
    july = snap("july.csv", [["C1", "5", "3"], ["C2", "3", "0"], ["C3", "", "1"]])
    later = ws.import_events(july, mapping=m, as_of="2024-07-31").to_dict()
    assert later["imported"] == 2 and later["skipped_by_reason"] == {"unchanged": 1}  # C2's 3 did not change
    august = snap("august.csv", [["C1", "4", "3"], ["C2", "3", "0"], ["C3", "", "1"]])
    assert ws.import_events(august, mapping=m, as_of="2024-08-31").to_dict()["imported"] == 1  # back to 4: a change
    ids = [r[0] for r in stored(ws)]
    assert ids == ["crm:referrals:C1:1", "crm:referrals:C1:2", "crm:referrals:C1:3", "crm:referrals:C3:1",
                   "crm:satisfaction:C1:2024-06-30", "crm:satisfaction:C1:2024-07-31",
                   "crm:satisfaction:C1:2024-08-31", "crm:satisfaction:C2:2024-06-30"]
    dates = {r[0]: r[3] for r in stored(ws)}
    assert dates["crm:referrals:C1:3"] == "2024-07-31 00:00:00"


def test_customers_derive_signup_from_tenure_and_as_of(ws, tmp_path):
    m = write_yaml(tmp_path / "telco.yaml", """
mapping: 1
name: telco
imports: customers
fields:
  customer_id: {column: CustomerID}
  signup_at: {column: Tenure Months, months_before_as_of: true}
  churned_at: {value: "{as_of}", when: {column: Churn Label, in: ["Yes"]}}
  churn_reason: {column: Churn Reason, optional: true}
""")
    f = write_csv(tmp_path / "telco.csv", [["CustomerID", "Tenure Months", "Churn Label", "Churn Reason"],
                                           ["T1", "2", "No", ""], ["T2", "13", "Yes", "Competitor"],
                                           ["T3", "-1", "No", ""]])
    with pytest.raises(InvalidArgumentError, match="--as-of"):
        ws.import_customers(f, mapping=m)
    report = ws.import_customers(f, mapping=m, as_of="2024-03-31").to_dict()
    assert (report["imported"], report["rejected"]) == (2, 1)
    assert report["errors"][0]["row"] == 4 and report["errors"][0]["column"] == "Tenure Months"
    rows = ws.db.cursor().execute("SELECT customer_id, signup_at, churned_at, churn_reason FROM customers "
                                  "WHERE customer_id LIKE 'T%' ORDER BY 1").fetchall()
    assert rows == [("T1", dt.datetime(2024, 1, 31), None, None),
                    ("T2", dt.datetime(2023, 2, 28), dt.datetime(2024, 3, 31), "Competitor")]


def test_dry_run_writes_nothing_and_reports_what_would_land(tmp_path, cli):
    db = tmp_path / "d.duckdb"
    cust = write_csv(tmp_path / "c.csv", [["customer_id", "signup_at"], ["C1", "2024-01-01"]])
    assert cli("--db", str(db), "import", "customers", str(cust)).returncode == 0
    m = write_yaml(tmp_path / "pulse.yaml", SURVEY_MAP)
    f = write_csv(tmp_path / "p.csv", [["Ticket", "Account", "Email", "When", "Rating", "Comment", "Queue"],
                                       ["T1", "C1", "", "05.03.2024 14:00", "satisfied", "", ""],
                                       ["T2", "C7", "", "05.03.2024 14:00", "satisfied", "", ""]])
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    files = sorted(os.listdir(tmp_path))
    p = cli("--db", str(db), "import", "events", str(f), "--map", str(m), "--dry-run", "--format", "json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["dry_run"] is True and (data["imported"], data["rejected"]) == (1, 1)
    assert data["errors"][0]["row"] == 3 and "unknown customer" in data["errors"][0]["reason"]
    assert data["preview"][0] == {"event_id": "pulse:T1", "customer_id": "C1", "occurred_at": "2024-03-05 13:00:00",
                                  "type": "csat_response", "score": "4", "text": None, "properties": None, "line": 2}
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before and sorted(os.listdir(tmp_path)) == files
    text = cli("--db", str(db), "import", "events", str(f), "--map", str(m), "--dry-run")
    assert "dry run: nothing was written" in text.stdout and "score            <- 'Rating'" in text.stdout
    # a dry run on a workspace that does not exist creates none
    p = cli("--db", str(tmp_path / "none.duckdb"), "import", "customers", str(cust), "--dry-run")
    assert p.returncode == 0 and not (tmp_path / "none.duckdb").exists()


def test_an_export_without_preset_is_recognised(tmp_path):
    f = write_csv(tmp_path / "reviews.csv", [
        ["Domain URL", "Review Id", "Review Created (UTC)", "Review Stars", "Review Content", "Business Unit Id",
         "Reference Id"], ["acme.com", "r1", "2024-03-05 10:00:00", "5", "Great", "bu1", "C1"]])
    p = run("--db", str(tmp_path / "x.duckdb"), "import", "events", str(f))
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "Trustpilot" in p.stderr and f"advokit import events {f} --preset trustpilot" in p.stderr


def test_presets_are_listed_with_their_columns(cli):
    p = cli("import", "presets", "--format", "json")
    assert p.returncode == 0, p.stderr
    rows = {r["name"]: r for r in json.loads(p.stdout)}
    assert list(rows) == ["qualtrics", "surveymonkey", "typeform", "delighted", "trustpilot", "g2",
                          "hubspot-contacts", "hubspot-companies", "salesforce-accounts", "salesforce-opportunities"]
    assert "ResponseId" in rows["qualtrics"]["columns"] and rows["qualtrics"]["questions"]["nps.score"] == ["recommend"]
    assert rows["g2"]["confirmed"] is False and rows["hubspot-contacts"]["imports"] == "customers"
    shown = cli("import", "presets", "salesforce-opportunities")
    assert shown.returncode == 0 and "LeadSource" in shown.stdout
    # a shipped preset is a mapping file: printed, it loads as one
    text = cli("import", "presets")
    assert "qualtrics" in text.stdout and "(columns assumed, not confirmed" in text.stdout
    bad = cli("import", "presets", "qualtircs")
    assert bad.returncode == 2 and "did you mean 'qualtrics'" in bad.stderr


def test_every_preset_is_a_valid_mapping_file(tmp_path):
    from advokit.mapping.presets import NAMES, preset_text

    for name in NAMES:
        path = write_yaml(tmp_path / f"{name}.yaml", preset_text(name))
        spec = load_mapping(path)
        assert spec.name == name and spec.detect


def test_unknown_preset_and_wrong_kind(ws, tmp_path):
    f = write_csv(tmp_path / "a.csv", [["Id", "Name", "CreatedDate"], ["A1", "Acme", "2024-01-01"]])
    with pytest.raises(MappingError, match="did you mean 'qualtrics'"):
        ws.import_events(f, preset="qualtric")
    with pytest.raises(InvalidArgumentError, match="imports customers, not events"):
        ws.import_events(f, preset="salesforce-accounts")
    with pytest.raises(DataError, match="matches none of the presets"):
        ws.import_events(f, preset="auto")


def test_strict_lands_nothing_through_a_mapping_as_for_a_canonical_file(tmp_path, cli):
    db = tmp_path / "s.duckdb"
    cust = write_csv(tmp_path / "c.csv", [["customer_id", "signup_at"], ["C1", "2024-01-01"]])
    assert cli("--db", str(db), "import", "customers", str(cust)).returncode == 0
    m = write_yaml(tmp_path / "pulse.yaml", SURVEY_MAP)
    f = write_csv(tmp_path / "p.csv", [["Ticket", "Account", "Email", "When", "Rating", "Comment", "Queue"],
                                       ["T1", "C1", "", "05.03.2024 14:00", "satisfied", "", ""],
                                       ["T2", "C1", "", "05.03.2024 14:00", "so-so", "", ""]])
    p = cli("--db", str(db), "import", "events", str(f), "--map", str(m), "--strict")
    assert p.returncode == 1 and "with --strict nothing was imported" in p.stderr and "Traceback" not in p.stderr
    assert cli("--db", str(db), "kpi", "compute", "csat", "--format", "json").stdout.count('"n": 1') == 0
    ws = Workspace(db, read_only=True)
    try:
        assert ws.db.cursor().execute("SELECT count(*) FROM events").fetchone() == (0,)
    finally:
        ws.close()
    dry = cli("--db", str(db), "import", "events", str(f), "--map", str(m), "--strict", "--dry-run")
    assert dry.returncode == 1 and "with --strict this import would land nothing" in dry.stdout
