"""The import presets end to end: a fixture per preset, written by ``tests/presetfixtures.py`` from the
documented header rows, imported with ``advokit import events|customers FILE --preset NAME --format json``
into a fresh workspace, lands exactly the canonical records and the same KPI values as the canonical import
of the same data (round trip); the awkward cases, ``--dry-run``, ``--preset auto`` and re-imports of a later
export.

What the tests read of the JSON report (``--format json``): ``imported``, ``rejected``, ``duplicates``,
``skipped`` (rows of the file that gave no record: left out by the preset's ``rows`` conditions, or with
every question unanswered; an empty answer beside others is no record and no skipped row),
``skipped_by_reason`` (``{"unanswered": N}``), ``records`` (records made per record name), ``errors``
(``row`` = the file's own line, ``column``, ``value``, ``reason``), ``rejects_path``, ``preset`` (the preset
applied, also for ``--preset auto``), ``dry_run`` (true for ``--dry-run``), and ``mapping``:
``mapping.records[].record`` / ``.fields.score`` (``'Q2' (found by its question text)``) and
``mapping.not_mapped`` (records the file has no column for). In text mode ``--preset auto`` prints
``preset auto: NAME ...`` and ``mapping NAME ...``. ``advokit import presets --format json``: a list of
``name``, ``imports``, ``confirmed``, ``columns``, ``detect`` (an entry ``a|b``: either spelling).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from advokit.cli import main
from tests import presetfixtures as fx

DATA = fx.build_dataset()
RANGE = ("--period", "month", "--from", "2025-01", "--to", "2025-03")
KPIS = ("nps", "csat", "ces", "net_sentiment", "reviews_and_testimonials", "average_review_rating",
        "referral_revenue", "referral_new_customers", "expansion_revenue", "active_advocates_rate",
        "advocacy_actions_per_customer", "net_revenue_retention")
#: answers of the dataset each survey preset lands: 39 NPS (respondent 7 left it empty), 40 CSAT,
#: 39 CES (respondent 12 left it empty). ``skipped`` counts rows of the file that gave no record (left out
#: by the preset's ``rows`` conditions, or with every question unanswered): an empty answer beside others
#: is no record and no skipped row (the report's ``records`` counts what each record made)
SURVEY_EVENTS = 118
SURVEY_SKIPPED = 0
SURVEY_RECORDS = {"nps": 39, "csat": 40, "ces": 39}
EXPECTED = {  # preset -> (imported, skipped) for the default fixture
    "qualtrics": (SURVEY_EVENTS, SURVEY_SKIPPED), "surveymonkey": (SURVEY_EVENTS, SURVEY_SKIPPED),
    "typeform": (SURVEY_EVENTS, SURVEY_SKIPPED), "delighted": (SURVEY_EVENTS, 0), "trustpilot": (7, 0),
    "g2": (5, 0), "salesforce-opportunities": (13, 0), "hubspot-contacts": (36, 0), "hubspot-companies": (36, 0),
    "salesforce-accounts": (36, 0),
}


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


def invoke(*args: str) -> Result:
    """``advokit ARGS`` in this process, through the real entry point (its ``error:`` lines and exit codes)."""
    with CliRunner().isolation() as (out, err, _):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return Result(code, stdout, stderr)


def run_json(*args: str) -> Any:
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def kind_of(preset: str) -> str:
    return "customers" if preset in fx.CUSTOMER_PRESETS else "events"


def import_preset(db: Path, preset: str, file: Path, *options: str) -> dict[str, Any]:
    report = run_json("--db", str(db), "import", kind_of(preset), str(file), "--preset", preset, "--no-progress",
                      *options)
    assert isinstance(report, dict)
    return report


def counts(report: dict[str, Any]) -> tuple[int, int, int, int]:
    return report["imported"], report["rejected"], report["skipped"], report["duplicates"]


def kpis(db: Path) -> list[dict[str, Any]]:
    rows = run_json("--db", str(db), "kpi", "compute", *KPIS, *RANGE)
    return [{k: v for k, v in r.items() if k not in ("computed_at",)} for r in rows]


def stored_events(db: Path) -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute("SELECT event_id, customer_id, type, occurred_at, score, amount, text, channel, ref, "
                          "properties FROM events ORDER BY event_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def stored_customers(db: Path) -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute("SELECT * FROM customers ORDER BY customer_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _naive_utc(value: str) -> dt.datetime:
    if len(value) == 10:
        return dt.datetime.fromisoformat(value)
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC).replace(tzinfo=None)


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def expected_events(preset: str, events: list[dict[str, Any]], *, xlsx: bool = False) -> list[dict[str, Any]]:
    """What the preset must store for the canonical events: the derived ids, the same customer, type, UTC
    time, score, amount and ref; the comment on the NPS answer and on a review (from .xlsx a CRLF line break
    in a comment reads as LF)."""
    out = []
    for e in events:
        if xlsx and e.get("text"):
            e = {**e, "text": e["text"].replace("\r\n", "\n")}
        row = {"event_id": fx.preset_event_id(preset, e), "customer_id": e["customer_id"], "type": e["type"],
               "occurred_at": _naive_utc(e["occurred_at"]), "score": _num(e.get("score")),
               "amount": _num(e.get("amount")), "ref": e.get("ref")}
        if e["type"] in ("nps_response", "review"):
            row["text"] = e.get("text")
        out.append(row)
    return sorted(out, key=lambda r: r["event_id"])


def compare_events(db: Path, preset: str, events: list[dict[str, Any]], *, xlsx: bool = False) -> list[dict[str, Any]]:
    want = expected_events(preset, events, xlsx=xlsx)
    got = stored_events(db)
    assert [{k: g[k] for k in w} for g, w in zip(got, want, strict=False)] == want
    assert len(got) == len(want)
    return got


# ------------------------------------------------------------------------------------ workspaces


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Closed workspace files holding the canonical customers (as the dataset has them; with e-mails as ids
    for G2), to copy for each test; and an empty one."""
    root = tmp_path_factory.mktemp("templates")
    out: dict[str, Path] = {}
    for name, data in (("canonical", DATA), ("g2", fx.dataset_for("g2", DATA))):
        db = root / f"{name}.duckdb"
        csv_path = fx.write_canonical_customers(root / f"{name}-customers.csv", data.customers)
        report = run_json("--db", str(db), "import", "customers", str(csv_path), "--no-progress")
        assert (report["imported"], report["rejected"]) == (36, 0)
        out[name] = db
    out["empty"] = root / "empty.duckdb"
    assert invoke("--db", str(out["empty"]), "kpi", "compute", "nps", *RANGE).exit_code == 0
    return out


def workspace(templates: dict[str, Path], tmp_path: Path, preset: str, name: str = "ws") -> Path:
    """A fresh workspace for the preset: the canonical customers for an events preset, empty for a CRM."""
    source = templates["empty"] if preset in fx.CUSTOMER_PRESETS else \
        templates["g2" if preset == "g2" else "canonical"]
    db = tmp_path / f"{name}.duckdb"
    shutil.copyfile(source, db)
    return db


_REFERENCE: dict[str, list[dict[str, Any]]] = {}


def reference_kpis(templates: dict[str, Path], tmp_path: Path, preset: str) -> list[dict[str, Any]]:
    """The KPIs of the canonical import of what the preset's fixture holds."""
    if preset not in _REFERENCE:
        data = fx.dataset_for(preset, DATA)
        db = workspace(templates, tmp_path, preset, "reference")
        if preset in fx.CUSTOMER_PRESETS:
            customers = data.customers_with(fx.CUSTOMER_FIELDS[preset])
            path = fx.write_canonical_customers(tmp_path / "reference-customers.csv", customers)
            assert run_json("--db", str(db), "import", "customers", str(path), "--no-progress")["rejected"] == 0
        path = fx.write_canonical_events(tmp_path / "reference-events.csv", data.events)
        assert run_json("--db", str(db), "import", "events", str(path), "--no-progress")["rejected"] == 0
        _REFERENCE[preset] = kpis(db)
    return _REFERENCE[preset]


def fixture(preset: str, directory: Path, name: str | None = None, data: fx.Dataset | None = None,
            **options: Any) -> Path:
    data = data or fx.dataset_for(preset, DATA)
    return fx.write_fixture(preset, directory / (name or f"{preset}.csv"), data, **options)


# ------------------------------------------------------------------------------------ round trip


@pytest.mark.parametrize("preset", fx.EVENT_PRESETS)
def test_event_preset_round_trip(templates: dict[str, Path], tmp_path: Path, preset: str) -> None:
    data = fx.dataset_for(preset, DATA)
    db = workspace(templates, tmp_path, preset)
    report = import_preset(db, preset, fixture(preset, tmp_path))
    imported, skipped = EXPECTED[preset]
    assert counts(report) == (imported, 0, skipped, 0), report["errors"][:5]
    assert report["preset"] == preset
    if preset in ("qualtrics", "surveymonkey", "typeform"):
        assert report["records"] == SURVEY_RECORDS
    got = compare_events(db, preset, data.events)
    assert kpis(db) == reference_kpis(templates, tmp_path, preset)
    if preset == "qualtrics":
        assert {g["channel"] for g in got} == {"email"}
    if preset == "trustpilot":
        assert {g["channel"] for g in got} == {"trustpilot"}
        props = {g["event_id"]: json.loads(g["properties"]) for g in got}
        assert {p["platform"] for p in props.values()} == {"trustpilot"}
        assert sorted(p["title"] for p in props.values()) == [f"Review {n}" for n in range(1, 8)]
    if preset == "salesforce-opportunities":
        referrals = [g for g in got if g["type"] == "referral_converted"]
        assert sorted(json.loads(g["properties"])["new_customer_id"] for g in referrals) == \
            [fx.account_id(900 + n) for n in range(1, 7)]


@pytest.mark.parametrize("preset", fx.CUSTOMER_PRESETS)
def test_customer_preset_round_trip(templates: dict[str, Path], tmp_path: Path, preset: str) -> None:
    """The CRM export lands the customers with the contract fields it carries; with the canonical events on
    top every KPI equals that of the canonical customers (reduced to the same fields) and events."""
    data = fx.dataset_for(preset, DATA)
    db = workspace(templates, tmp_path, preset)
    report = import_preset(db, preset, fixture(preset, tmp_path))
    assert counts(report) == (36, 0, 0, 0), report["errors"][:5]
    assert report["preset"] == preset
    fields = fx.CUSTOMER_FIELDS[preset]
    want = sorted(data.customers_with(fields), key=lambda c: c["customer_id"])
    got = stored_customers(db)
    assert [g["customer_id"] for g in got] == [w["customer_id"] for w in want]
    for g, w in zip(got, want, strict=True):
        for f in fields:
            expected = _naive_utc(w[f]) if f == "signup_at" else w[f]
            assert g[f] == expected, (g["customer_id"], f)
    events = fx.write_canonical_events(tmp_path / "events.csv", data.events)
    assert run_json("--db", str(db), "import", "events", str(events), "--no-progress")["rejected"] == 0
    assert kpis(db) == reference_kpis(templates, tmp_path, preset)


def test_crm_extras_become_attributes(templates: dict[str, Path], tmp_path: Path) -> None:
    db = workspace(templates, tmp_path, "hubspot-contacts")
    import_preset(db, "hubspot-contacts", fixture("hubspot-contacts", tmp_path))
    got = {c["customer_id"]: c for c in stored_customers(db)}
    first = got[fx.hubspot_id(fx.account_id(1))]
    assert (first["lead_status"], first["owner"]) == ("OPEN", "Jo Owner")
    db = workspace(templates, tmp_path, "hubspot-companies", "companies")
    import_preset(db, "hubspot-companies", fixture("hubspot-companies", tmp_path))
    assert {c["lifecycle_stage"] for c in stored_customers(db)} == {"customer"}


# ----------------------------------------------------------------------------------- awkward cases

AWKWARD = [
    # (id, preset, writer options, extra CLI options, extra skipped)
    ("qualtrics-utc-semicolon", "qualtrics", {"tz": None, "sep": ";", "bom": False}, (), 0),
    ("qualtrics-nps-labels", "qualtrics", {"nps_labels": True}, (), 0),
    ("qualtrics-preview-rows", "qualtrics", {"preview_rows": 2}, (), 2),
    ("qualtrics-blank-rows", "qualtrics", {"blank_rows": 2}, (), 2),
    ("qualtrics-tokyo", "qualtrics", {"tz": "Asia/Tokyo"}, (), 0),
    ("qualtrics-xlsx", "qualtrics", {"name": "qualtrics.xlsx"}, (), 0),
    ("surveymonkey-bom-semicolon", "surveymonkey", {"bom": True, "sep": ";"}, (), 0),
    ("surveymonkey-new-york", "surveymonkey", {"tz": "America/New_York"}, ("--timezone", "America/New_York"), 0),
    ("surveymonkey-no-multi-choice", "surveymonkey", {"multi_choice": False}, (), 0),
    ("surveymonkey-xlsx", "surveymonkey", {"name": "surveymonkey.xlsx"}, (), 0),
    ("typeform-partial", "typeform", {"partial_rows": 3}, (), 3),
    ("typeform-old-layout", "typeform", {"old_layout": True}, (), 0),
    ("typeform-semicolon-bom", "typeform", {"sep": ";", "bom": True}, (), 0),
    ("delighted-labels", "delighted", {"labels": True}, (), 0),
    ("delighted-xlsx", "delighted", {"name": "delighted.xlsx"}, (), 0),
    ("trustpilot-plain-dates-bom", "trustpilot", {"iso": False, "bom": True}, (), 0),
    ("trustpilot-semicolon", "trustpilot", {"sep": ";"}, (), 0),
    ("g2-xlsx", "g2", {"name": "g2.xlsx"}, (), 0),
    ("salesforce-opportunities-lost", "salesforce-opportunities", {"lost_deals": 3}, (), 3),
    ("salesforce-opportunities-referred-by", "salesforce-opportunities", {"referrer_column": "Referred_By__c"},
     (), 0),
]


@pytest.mark.parametrize("case", AWKWARD, ids=[c[0] for c in AWKWARD])
def test_awkward_event_exports(templates: dict[str, Path], tmp_path: Path, case: tuple[Any, ...]) -> None:
    _, preset, options, cli_options, extra_skipped = case
    data = fx.dataset_for(preset, DATA)
    db = workspace(templates, tmp_path, preset)
    report = import_preset(db, preset, fixture(preset, tmp_path, **options), *cli_options)
    imported, skipped = EXPECTED[preset]
    assert counts(report) == (imported, 0, skipped + extra_skipped, 0), report["errors"][:5]
    compare_events(db, preset, data.events, xlsx=str(options.get("name", "")).endswith(".xlsx"))
    assert kpis(db) == reference_kpis(templates, tmp_path, preset)


AWKWARD_CRM = [
    ("hubspot-contacts-bom-semicolon", "hubspot-contacts", {"bom": True, "sep": ";"}, 0),
    ("hubspot-companies-xlsx", "hubspot-companies", {"name": "companies.xlsx"}, 0),
    ("salesforce-accounts-deleted", "salesforce-accounts", {"deleted_rows": 2}, 2),
    ("salesforce-accounts-xlsx", "salesforce-accounts", {"name": "accounts.xlsx"}, 0),
]


@pytest.mark.parametrize("case", AWKWARD_CRM, ids=[c[0] for c in AWKWARD_CRM])
def test_awkward_crm_exports(templates: dict[str, Path], tmp_path: Path, case: tuple[Any, ...]) -> None:
    _, preset, options, skipped = case
    db = workspace(templates, tmp_path, preset)
    report = import_preset(db, preset, fixture(preset, tmp_path, **options))
    assert counts(report) == (36, 0, skipped, 0), report["errors"][:5]
    want = fx.dataset_for(preset, DATA).customers
    assert [c["customer_id"] for c in stored_customers(db)] == sorted(c["customer_id"] for c in want)


def test_comments_keep_their_newlines_and_quotes(templates: dict[str, Path], tmp_path: Path) -> None:
    db = workspace(templates, tmp_path, "qualtrics")
    import_preset(db, "qualtrics", fixture("qualtrics", tmp_path))
    texts = {e["text"] for e in stored_events(db) if e["type"] == "nps_response"}
    assert {"Love it.\nThe API is solid,\nbut docs lag behind.", "Onboarding took\r\ntoo long",
            'The "new" dashboard is confusing', "Reports are slow; exports time out"} <= texts
    # respondent 4's comment is empty: no text (not an empty string)
    nps4 = next(e for e in stored_events(db) if e["event_id"] == f"qualtrics:{fx.qualtrics_id(4)}:nps")
    assert nps4["text"] is None


def test_unanswered_nps_keeps_the_other_answers(templates: dict[str, Path], tmp_path: Path) -> None:
    """Respondent 7 answered CSAT and CES but not NPS: two events, no NPS event; a row with every question
    unanswered gives no record and is skipped as unanswered."""
    only7 = fx.Dataset(DATA.customers, [e for e in DATA.survey_events() if fx.respondent(e) == 7])
    db = workspace(templates, tmp_path, "qualtrics")
    report = import_preset(db, "qualtrics", fixture("qualtrics", tmp_path, data=only7, blank_rows=1))
    assert counts(report) == (2, 0, 1, 0)
    assert {k: v for k, v in report["records"].items() if v} == {"csat": 1, "ces": 1}
    assert report["skipped_by_reason"] == {"unanswered": 1}
    assert [e["event_id"] for e in stored_events(db)] == [f"qualtrics:{fx.qualtrics_id(7)}:ces",
                                                         f"qualtrics:{fx.qualtrics_id(7)}:csat"]


def test_zone_conversion_of_the_boundary_answers(templates: dict[str, Path], tmp_path: Path) -> None:
    """Respondent 1 answered at 20:30:05 on 31 January in Denver (03:30:05 UTC, 1 February); respondent 2
    at 10:00 on 10 March in Denver, after the change to summer time (16:00 UTC)."""
    db = workspace(templates, tmp_path, "qualtrics")
    import_preset(db, "qualtrics", fixture("qualtrics", tmp_path))
    times = {e["event_id"]: e["occurred_at"] for e in stored_events(db)}
    assert times[f"qualtrics:{fx.qualtrics_id(1)}:csat"] == dt.datetime(2025, 2, 1, 3, 30, 5)
    assert times[f"qualtrics:{fx.qualtrics_id(2)}:csat"] == dt.datetime(2025, 3, 10, 16, 0, 0)


def _line_of_row(path: Path, header_rows: int, index: int) -> int:
    """The file's own line (1-based) where data row ``index`` (0-based) starts."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        start = 1
        for i, _ in enumerate(reader):
            if i == header_rows + index:
                return start
            start = reader.line_num + 1
    raise AssertionError("no such row")


def test_rejects_name_the_files_own_lines(templates: dict[str, Path], tmp_path: Path) -> None:
    """A respondent whose ExternalReference is not a customer: its three answers are rejected with the line
    the row starts on (three header rows and the quoted newlines of earlier comments counted)."""
    data = fx.dataset_for("qualtrics", DATA)
    ghost_of = 30
    events = [{**e, "customer_id": "ghost"} if fx.respondent(e) == ghost_of else e for e in data.events]
    path = fixture("qualtrics", tmp_path, data=fx.Dataset(data.customers, events))
    db = workspace(templates, tmp_path, "qualtrics")
    report = import_preset(db, "qualtrics", path)
    assert counts(report) == (SURVEY_EVENTS - 3, 3, SURVEY_SKIPPED, 0)
    line = _line_of_row(path, 3, ghost_of - 1)
    assert line > 3 + ghost_of  # earlier comments span several lines
    assert [e["row"] for e in report["errors"]] == [line, line, line]
    assert all(e["value"] == "ghost" for e in report["errors"])
    assert Path(report["rejects_path"]).exists()


def test_bad_score_is_rejected_with_the_files_column(templates: dict[str, Path], tmp_path: Path) -> None:
    """An NPS answer of 11 is rejected (never clamped); the others of the row land."""
    data = fx.dataset_for("typeform", DATA)
    events = [{**e, "score": 11} if e["event_id"] == "resp0003:nps" else e for e in data.events]
    db = workspace(templates, tmp_path, "typeform")
    report = import_preset(db, "typeform", fixture("typeform", tmp_path, data=fx.Dataset(data.customers, events)))
    assert counts(report) == (SURVEY_EVENTS - 1, 1, SURVEY_SKIPPED, 0)
    (error,) = report["errors"]
    assert (error["row"], str(error["value"])) == (4, "11")
    assert error["column"] in ("score", fx.NPS_QUESTION)


# ---------------------------------------------------------------------------------------- dry run


def _fingerprint(db: Path) -> tuple[str, list[str]]:
    return hashlib.sha256(db.read_bytes()).hexdigest(), sorted(p.name for p in db.parent.iterdir())


def file_order(preset: str) -> list[str]:
    """The ids of the records the default fixture gives, in the order of the file (a survey row's answers in
    the order NPS, CSAT, CES)."""
    data = fx.dataset_for(preset, DATA)
    if preset in fx.CUSTOMER_PRESETS:
        return [c["customer_id"] for c in data.customers]
    events = data.events
    if preset in ("qualtrics", "surveymonkey", "typeform", "delighted"):
        events = sorted(events, key=lambda e: (fx.respondent(e), fx.KINDS.index(fx.kind(e))))
    return [fx.preset_event_id(preset, e) for e in events]


@pytest.mark.parametrize("preset", fx.PRESETS)
def test_dry_run_writes_nothing(templates: dict[str, Path], tmp_path: Path, preset: str) -> None:
    db = workspace(templates, tmp_path, preset)
    work = tmp_path / "files"
    work.mkdir()
    options = {"lost_deals": 3} if preset == "salesforce-opportunities" else {}
    path = fixture(preset, work, **options)
    before, files = _fingerprint(db), sorted(p.name for p in work.iterdir())
    report = import_preset(db, preset, path, "--dry-run")
    imported, skipped = EXPECTED[preset]
    skipped += 3 if preset == "salesforce-opportunities" else 0
    assert report["dry_run"] is True
    assert (report["imported"], report["rejected"], report["skipped"]) == (imported, 0, skipped)
    assert report["rejects_path"] is None
    # the first records as canonical records, in file order
    preview = report["preview"]
    assert 0 < len(preview) <= imported
    key = "customer_id" if preset in fx.CUSTOMER_PRESETS else "event_id"
    assert [p[key] for p in preview] == file_order(preset)[:len(preview)]
    assert _fingerprint(db) == before  # the workspace file's bytes, and no WAL or other file beside it
    assert sorted(p.name for p in work.iterdir()) == files  # no rejects file
    real = import_preset(db, preset, path)
    assert (real["imported"], real["skipped"]) == (imported, skipped)


def test_dry_run_of_rejected_rows_writes_no_rejects_file(templates: dict[str, Path], tmp_path: Path) -> None:
    data = fx.dataset_for("trustpilot", DATA)
    events = [{**e, "score": 9} if e["event_id"] == "rev0002" else e for e in data.events]
    path = fixture("trustpilot", tmp_path, data=fx.Dataset(data.customers, events))
    db = workspace(templates, tmp_path, "trustpilot")
    before = _fingerprint(db)
    report = import_preset(db, "trustpilot", path, "--dry-run")
    assert (report["imported"], report["rejected"]) == (6, 1)
    assert [e["row"] for e in report["errors"]] == [3]
    assert not Path(str(path) + ".rejects.csv").exists() and not path.with_suffix(".rejects.csv").exists()
    assert _fingerprint(db) == before


# -------------------------------------------------------------------------------------- detection


@pytest.mark.parametrize("preset", fx.PRESETS)
def test_preset_auto_picks_the_right_preset(templates: dict[str, Path], tmp_path: Path, preset: str) -> None:
    db = workspace(templates, tmp_path, preset)
    path = fixture(preset, tmp_path)
    shown = invoke("--db", str(db), "import", kind_of(preset), str(path), "--preset", "auto", "--dry-run",
                   "--no-progress")
    assert shown.exit_code == 0, shown.stderr
    # the choice and the mapping it used are printed
    assert f"preset auto: {preset} " in shown.stdout + shown.stderr
    assert f"mapping {preset} " in shown.stdout + shown.stderr
    report = run_json("--db", str(db), "import", kind_of(preset), str(path), "--preset", "auto", "--no-progress")
    assert report["preset"] == preset
    assert report["imported"] == EXPECTED[preset][0] and report["rejected"] == 0


@pytest.mark.parametrize("preset", fx.PRESETS)
def test_without_preset_the_match_is_named(templates: dict[str, Path], tmp_path: Path, preset: str) -> None:
    """A file that matches a preset but has not the canonical columns: refused, naming the preset and the
    command; nothing lands."""
    db = workspace(templates, tmp_path, preset)
    before = stored_events(db), stored_customers(db)
    result = invoke("--db", str(db), "import", kind_of(preset), str(fixture(preset, tmp_path)), "--no-progress")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert f"--preset {preset}" in result.stderr
    assert (stored_events(db), stored_customers(db)) == before


# -------------------------------------------------------------------------------------- re-imports

REIMPORT = ("qualtrics", "surveymonkey", "typeform", "delighted", "trustpilot", "g2", "salesforce-opportunities")


@pytest.mark.parametrize("preset", REIMPORT)
def test_a_later_export_adds_only_the_new_answers(templates: dict[str, Path], tmp_path: Path, preset: str) -> None:
    """An earlier export, then a later one (which repeats every earlier answer): the second import adds only
    what is new, keyed by the respondent's id."""
    data = fx.dataset_for(preset, DATA)
    early = data.first_half()
    assert 0 < len(early.events) < len(data.events)
    db = workspace(templates, tmp_path, preset)
    first = import_preset(db, preset, fixture(preset, tmp_path, "early.csv", data=early))
    assert (first["imported"], first["rejected"], first["duplicates"]) == (len(early.events), 0, 0)
    second = import_preset(db, preset, fixture(preset, tmp_path, "later.csv", data=data))
    assert (second["imported"], second["rejected"], second["duplicates"]) == \
        (len(data.events) - len(early.events), 0, len(early.events))
    compare_events(db, preset, data.events)
    again = import_preset(db, preset, fixture(preset, tmp_path, "later.csv", data=data))
    assert (again["imported"], again["duplicates"]) == (0, len(data.events))
    assert kpis(db) == reference_kpis(templates, tmp_path, preset)


def test_an_answer_that_moves_between_formats_keeps_its_id(templates: dict[str, Path], tmp_path: Path) -> None:
    """The same Qualtrics responses exported as CSV in Denver time and as .xlsx in UTC are the same answers."""
    data = fx.dataset_for("qualtrics", DATA)
    db = workspace(templates, tmp_path, "qualtrics")
    import_preset(db, "qualtrics", fixture("qualtrics", tmp_path))
    report = import_preset(db, "qualtrics", fixture("qualtrics", tmp_path, "again.xlsx", tz=None))
    assert (report["imported"], report["duplicates"]) == (0, SURVEY_EVENTS)
    compare_events(db, "qualtrics", data.events)


# ------------------------------------------------------------------------------- corrections (--set)


def score_columns(report: dict[str, Any]) -> dict[str, str]:
    """The column each record's score was read from, as the report's ``mapping`` prints it:
    ``mapping.records[].record`` and ``.fields.score`` = ``'Q2' (found by its question text)``."""
    out = {}
    for record in report["mapping"]["records"]:
        found = re.match(r"'([^']+)'", record["fields"]["score"])
        assert found, record
        out[record["record"]] = found.group(1)
    return out


def test_an_unfound_nps_question_is_named_with_set(templates: dict[str, Path], tmp_path: Path) -> None:
    """An NPS question whose text the preset cannot recognise: without ``--set`` no NPS answers land (the
    question is optional) and the mapping shows CSAT and CES found by text; ``--set score=Q1`` (the first
    record, NPS) lands them all."""
    data = fx.dataset_for("qualtrics", DATA)
    path = fixture("qualtrics", tmp_path, nps_question="Would you suggest Acme to others (0-10)?")
    db = workspace(templates, tmp_path, "qualtrics")
    report = import_preset(db, "qualtrics", path, "--dry-run")
    assert (report["imported"], report["rejected"], report["skipped"]) == (40 + 39, 0, 0)
    assert {k: v for k, v in report["records"].items() if v} == {"csat": 40, "ces": 39}
    assert score_columns(report) == {"csat": "Q2", "ces": "Q3"}
    assert list(report["mapping"]["not_mapped"]) == ["nps"]
    report = import_preset(db, "qualtrics", path, "--set", "score=Q1")
    assert counts(report) == (SURVEY_EVENTS, 0, SURVEY_SKIPPED, 0)
    assert score_columns(report) == {"nps": "Q1", "csat": "Q2", "ces": "Q3"}
    compare_events(db, "qualtrics", data.events)


def test_an_assumed_g2_column_is_corrected_with_set(templates: dict[str, Path], tmp_path: Path) -> None:
    """G2's header is assumed: a file that calls the date ``Date Submitted`` is refused naming the column the
    preset looked for and the ``--set`` to use; ``--set occurred_at="Date Submitted"`` imports it."""
    data = fx.dataset_for("g2", DATA)
    path = fixture("g2", tmp_path, rename={"Submitted At": "Date Submitted"})
    db = workspace(templates, tmp_path, "g2")
    refused = invoke("--db", str(db), "import", "events", str(path), "--preset", "g2", "--no-progress")
    # a column the file lacks is a problem of the file: the same exit code as for a canonical file (1)
    canonical = tmp_path / "canonical.csv"
    canonical.write_text("customer_id,type\nA,review\n")
    missing = invoke("--db", str(db), "import", "events", str(canonical), "--no-progress")
    assert missing.exit_code == 1 and "occurred_at" in missing.stderr
    assert refused.exit_code == missing.exit_code and refused.stderr.startswith("error: "), refused.stderr
    assert "Submitted At" in refused.stderr and "--set occurred_at=" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert stored_events(db) == []
    report = import_preset(db, "g2", path, "--set", "occurred_at=Date Submitted")
    assert counts(report) == (5, 0, 0, 0)
    compare_events(db, "g2", data.events)


def test_employee_and_partner_referrals_are_not_customer_referrals(templates: dict[str, Path], tmp_path: Path) -> None:
    """Only a customer's referral is advocacy: LeadSource "Customer Referral" / "Referral" deals land as
    ``referral_converted``; "Employee Referral" and "Partner Referral" deals are skipped (filtered)."""
    data = fx.dataset_for("salesforce-opportunities", DATA)
    path = fixture("salesforce-opportunities", tmp_path, lead_sources=fx.REFERRAL_SOURCES)
    db = workspace(templates, tmp_path, "salesforce-opportunities")
    report = import_preset(db, "salesforce-opportunities", path)
    kept, referrals = [], 0
    for e in data.events:  # (the fixture writer's order: the k-th referral deal gets REFERRAL_SOURCES[k % 4])
        if e["type"] == "referral_converted":
            referrals += 1
            if fx.REFERRAL_SOURCES[(referrals - 1) % 4] not in ("Customer Referral", "Referral"):
                continue
        kept.append(e)
    others = len(data.events) - len(kept)
    assert others > 0 and counts(report) == (13 - others, 0, others, 0)
    assert report["skipped_by_reason"] == {"filtered": others}
    compare_events(db, "salesforce-opportunities", kept)


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


def test_import_presets_lists_every_preset(tmp_path: Path) -> None:
    """``advokit import presets`` names the ten presets, what each imports and the columns it reads; every
    column a preset detects its export by (or one of its spellings) is in the fixture's header; G2's and Delighted's headers are not
    confirmed."""
    listed = {p["name"]: p for p in run_json("import", "presets")}
    assert set(listed) == set(fx.PRESETS)
    for name, preset in listed.items():
        assert preset["imports"] == kind_of(name)
        assert preset["columns"], name
        header = _header(fixture(name, tmp_path))
        # a detect entry "a|b" is met by either spelling
        unmet = [d for d in preset["detect"] if not set(d.split("|")) & set(header)]
        assert unmet == [], name
    assert (listed["g2"]["confirmed"], listed["delighted"]["confirmed"]) == (False, False)
    assert listed["qualtrics"]["confirmed"] is True


@pytest.mark.parametrize("preset", ["qualtrics", "surveymonkey", "typeform"])
def test_customers_known_by_email_only(templates: dict[str, Path], tmp_path: Path, preset: str) -> None:
    """No CRM id in the export (``ExternalReference`` / ``Custom Data 1`` / hidden ``customer_id`` empty):
    the customer is the respondent's e-mail, lower-cased, in a workspace whose customer ids are e-mails."""
    data = fx.dataset_for(preset, DATA.relabel(fx.g2_ids(DATA)))
    db = tmp_path / "emails.duckdb"
    shutil.copyfile(templates["g2"], db)
    report = import_preset(db, preset, fixture(preset, tmp_path, data=data, by_email=True))
    assert counts(report) == (SURVEY_EVENTS, 0, SURVEY_SKIPPED, 0), report["errors"][:5]
    compare_events(db, preset, data.events)
