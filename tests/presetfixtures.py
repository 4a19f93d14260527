"""Export files of the tools the import presets read, written by the tests from a canonical dataset.

Every header here is written from the documented header rows (``shared/spec/export-formats.md``) and the
column choices of the preset table in the issue 15 design; nothing is copied from a vendor's file. The
input is canonical: customers and events as lists of dicts in the data contract (``docs/data-contract.md``),
with times in UTC. Each writer converts them to the tool's own layout, date format and time zone, so a
fixture imported through its preset must land exactly the canonical events (round trip).

Survey events are grouped into respondents by their ``event_id``: ``resp0007:nps``, ``resp0007:csat`` and
``resp0007:ces`` are the three answers of respondent 7 (one response row). ``preset_event_id`` gives the
``event_id`` a preset must derive for each canonical event (the respondent's id in the tool, prefixed).

Awkward cases are options: ``bom``, ``sep=";"``, comments with quoted newlines (in the dataset),
empty answers and an unanswered NPS question (in the dataset), ``tz`` (the tool's zone), ``preview_rows`` /
``partial_rows`` / ``deleted_rows`` / ``lost_deals`` (rows a preset skips), and ``.xlsx`` (a path ending in
``.xlsx`` is written with openpyxl: the same rows, numbers as numbers, a CRLF inside a cell as LF).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

UTC = dt.UTC
Row = list[Any]

#: Question texts (row 2 in Qualtrics, row 1 in SurveyMonkey, the column names in Typeform)
NPS_QUESTION = "How likely are you to recommend Acme to a friend or colleague?"
REASON_QUESTION = "What is the main reason for your score?"
CSAT_QUESTION = "How satisfied are you with Acme overall?"
CES_QUESTION = "How easy was it to get your issue resolved today?"
FEATURES_QUESTION = "Which of these features do you use?"
FEATURES = ("Reports", "Dashboards", "API")

KINDS = ("nps", "csat", "ces")
KIND_TYPES = {"nps": "nps_response", "csat": "csat_response", "ces": "ces_response"}
TYPE_KINDS = {v: k for k, v in KIND_TYPES.items()}
SURVEY_TYPES = frozenset(KIND_TYPES.values())

#: Salesforce LeadSource values that mark a referral-sourced deal (the preset reads these)
REFERRAL_SOURCES = ("Customer Referral", "Referral", "Employee Referral", "Partner Referral")


# --------------------------------------------------------------------------------------------- ids


def respondent(event: dict[str, Any]) -> int:
    """The respondent number of a canonical survey event (``resp0007:nps`` -> 7)."""
    return int(str(event["event_id"]).split(":")[0].removeprefix("resp"))


def serial(event: dict[str, Any], prefix: str) -> int:
    """The number in a canonical event id such as ``rev0003`` or ``opp0012``."""
    return int(str(event["event_id"]).removeprefix(prefix))


def kind(event: dict[str, Any]) -> str:
    return TYPE_KINDS[event["type"]]


def qualtrics_id(n: int) -> str:
    return f"R_{n:04d}aQzXbYcW"


def surveymonkey_id(n: int) -> str:
    return str(114_000_000_000 + n)


def typeform_id(n: int) -> str:
    return f"tf{n:04d}k2j9x7w3q1"


def delighted_id(event: dict[str, Any]) -> str:
    return str(7_000_000 + 3 * respondent(event) + KINDS.index(kind(event)))


def trustpilot_id(n: int) -> str:
    return format(0x65A0_0000_0000_0000_0000_0000 + n, "024x")


def g2_id(n: int) -> str:
    return str(880_000 + n)


def account_id(i: int) -> str:
    """A Salesforce-style 18-character Account Id: the canonical customer_id of customer ``i``."""
    return f"001Dn0000{i:06d}AAA"


def opportunity_id(n: int) -> str:
    return f"006Dn0000{n:06d}AAQ"


def hubspot_id(customer_id: str) -> str:
    """The HubSpot ``Record ID`` of a canonical customer (a number)."""
    return str(40_100_000 + 37 * int(customer_id[9:15]))


def preset_event_id(preset: str, event: dict[str, Any]) -> str:
    """The ``event_id`` the preset must derive for a canonical event written by this module."""
    if preset == "qualtrics":
        return f"qualtrics:{qualtrics_id(respondent(event))}:{kind(event)}"
    if preset == "surveymonkey":
        return f"surveymonkey:{surveymonkey_id(respondent(event))}:{kind(event)}"
    if preset == "typeform":
        return f"typeform:{typeform_id(respondent(event))}:{kind(event)}"
    if preset == "delighted":
        return f"delighted:{delighted_id(event)}"
    if preset == "trustpilot":
        return f"trustpilot:{trustpilot_id(serial(event, 'rev'))}"
    if preset == "g2":
        return f"g2:{g2_id(serial(event, 'rev'))}"
    if preset == "salesforce-opportunities":
        return f"salesforce:{opportunity_id(serial(event, 'opp'))}"
    raise ValueError(f"{preset} does not import events")


# ------------------------------------------------------------------------------------ the dataset


@dataclass(frozen=True)
class Dataset:
    customers: list[dict[str, Any]]
    events: list[dict[str, Any]] = field(default_factory=list)

    def of(self, *types: str, platform: str | None = None) -> list[dict[str, Any]]:
        out = [e for e in self.events if e["type"] in types]
        if platform is not None:
            out = [e for e in out if (e.get("properties") or {}).get("platform") == platform]
        return out

    def survey_events(self) -> list[dict[str, Any]]:
        return self.of(*sorted(SURVEY_TYPES))

    def until(self, day: str) -> Dataset:
        """The events that occurred before ``day`` (an earlier, smaller export)."""
        return replace(self, events=[e for e in self.events if e["occurred_at"] < day])

    def first_half(self) -> Dataset:
        """The export of an earlier day: the events before the median time (about half of them)."""
        times = sorted(e["occurred_at"][:10] for e in self.events)
        return self.until(times[len(times) // 2])

    def relabel(self, ids: dict[str, str]) -> Dataset:
        """The same data with other customer ids (a tool that knows customers by e-mail or its own id)."""
        customers = [{**c, "customer_id": ids[c["customer_id"]]} for c in self.customers]
        events = [{**e, "customer_id": ids.get(e["customer_id"], e["customer_id"])} for e in self.events]
        return Dataset(customers, events)

    def customers_with(self, fields: Sequence[str]) -> list[dict[str, Any]]:
        """The customers reduced to the contract fields a CRM preset carries (its canonical twin)."""
        return [{k: c[k] for k in ("customer_id", *fields) if k in c} for c in self.customers]


FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus",
         "Radia", "Tim")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton",
        "Wirth", "Perlman", "Berners-Lee")
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
INDUSTRIES = ("Retail", "Technology", "Healthcare", "Finance")
COUNTRIES = ("United States", "Germany", "Japan", "Brazil")
PLANS = ("basic", "pro", "enterprise")

COMMENTS = (
    "Great support, fast answers.",
    "Reports are slow; exports time out",
    'The "new" dashboard is confusing',
    "Love it.\nThe API is solid,\nbut docs lag behind.",
    "",
    "Pricing, again.",
    "Works as expected",
    "Onboarding took\r\ntoo long",
)

N_CUSTOMERS = 36
N_RESPONDENTS = 40
#: respondent 7 left the NPS question unanswered (CSAT and CES only); respondent 12 skipped CES
NO_NPS = frozenset({7})
NO_CES = frozenset({12})


def _iso(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_dataset(seed: int = 15) -> Dataset:
    """36 customers, and events over January to March 2025: 40 survey responses (NPS, CSAT, CES with
    comments), 12 reviews (7 Trustpilot, 5 G2), 6 referral conversions, 4 renewals and 3 expansions."""
    rnd = random.Random(seed)
    customers: list[dict[str, Any]] = []
    for i in range(1, N_CUSTOMERS + 1):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 5) % len(LAST)]
        signup = dt.datetime(2023, 1, 1, tzinfo=UTC) + dt.timedelta(days=rnd.randrange(0, 700),
                                                                     minutes=15 * rnd.randrange(0, 96))
        customers.append({
            "customer_id": account_id(i), "name": f"{first} {last}",
            "email": f"{first}.{last}{i}@example.com".lower(), "segment": SEGMENTS[i % 3],
            "industry": INDUSTRIES[i % 4], "region": COUNTRIES[(i // 2) % 4], "plan": PLANS[i % 3],
            "signup_at": _iso(signup), "arr": float(5_000 + 250 * rnd.randrange(0, 200)),
        })
    ids = [c["customer_id"] for c in customers]
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    span = int((dt.datetime(2025, 4, 1, tzinfo=UTC) - start).total_seconds())
    # fixed times: UTC 03:30 on 1 February is 31 January in Denver; 10 March is after the DST change
    fixed = {1: dt.datetime(2025, 2, 1, 3, 30, 5, tzinfo=UTC), 2: dt.datetime(2025, 3, 10, 16, 0, 0, tzinfo=UTC),
             3: dt.datetime(2025, 1, 1, 6, 59, 59, tzinfo=UTC), 4: dt.datetime(2025, 3, 31, 23, 59, 0, tzinfo=UTC)}
    events: list[dict[str, Any]] = []
    for n in range(1, N_RESPONDENTS + 1):
        t = fixed.get(n) or start + dt.timedelta(seconds=rnd.randrange(0, span))
        cid = ids[(n * 7) % N_CUSTOMERS]
        base = {"customer_id": cid, "occurred_at": _iso(t)}
        if n not in NO_NPS:
            events.append({**base, "event_id": f"resp{n:04d}:nps", "type": "nps_response",
                           "score": rnd.randrange(0, 11), "text": COMMENTS[n % len(COMMENTS)] or None})
        events.append({**base, "event_id": f"resp{n:04d}:csat", "type": "csat_response",
                       "score": rnd.randrange(1, 6)})
        if n not in NO_CES:
            events.append({**base, "event_id": f"resp{n:04d}:ces", "type": "ces_response",
                           "score": rnd.randrange(1, 8)})
    for n in range(1, 13):
        platform = "trustpilot" if n <= 7 else "g2"
        t = start + dt.timedelta(seconds=rnd.randrange(0, span))
        if platform == "g2":  # G2 exports dates only
            t = t.replace(hour=0, minute=0, second=0)
        events.append({"event_id": f"rev{n:04d}", "customer_id": ids[(n * 5) % N_CUSTOMERS], "type": "review",
                       "occurred_at": _iso(t) if platform == "trustpilot" else t.strftime("%Y-%m-%d"),
                       "score": rnd.randrange(1, 6), "text": COMMENTS[(n + 3) % len(COMMENTS)] or None,
                       "channel": platform, "properties": {"platform": platform, "title": f"Review {n}"}})
    deals = [("referral_converted", 6), ("renewal", 4), ("expansion", 3)]
    n = 0
    for etype, count in deals:
        for _ in range(count):
            n += 1
            day = (start + dt.timedelta(days=rnd.randrange(0, 90))).strftime("%Y-%m-%d")
            amount = float(1_000 * rnd.randrange(2, 40))
            ev: dict[str, Any] = {"event_id": f"opp{n:04d}", "customer_id": ids[(n * 11) % N_CUSTOMERS],
                                  "type": etype, "occurred_at": day, "amount": amount}
            if etype == "referral_converted":
                ev["ref"] = opportunity_id(n)
                ev["properties"] = {"new_customer_id": account_id(900 + n)}
            events.append(ev)
    return Dataset(customers, events)


CUSTOMER_COLUMNS = ("customer_id", "name", "email", "segment", "industry", "region", "plan", "signup_at",
                    "churned_at", "arr", "referred_by")
EVENT_COLUMNS = ("event_id", "customer_id", "type", "occurred_at", "score", "amount", "text", "channel", "ref",
                 "properties")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_canonical_customers(path: Path, customers: Iterable[dict[str, Any]]) -> Path:
    rows = list(customers)
    columns = [c for c in CUSTOMER_COLUMNS if any(c in r for r in rows)]
    columns += sorted({k for r in rows for k in r} - set(columns))
    _write_csv(path, [columns, *[[_cell(r.get(c)) for c in columns] for r in rows]], bom=False, sep=",")
    return path


def write_canonical_events(path: Path, events: Iterable[dict[str, Any]]) -> Path:
    rows = list(events)
    _write_csv(path, [list(EVENT_COLUMNS), *[[_cell(r.get(c)) for c in EVENT_COLUMNS] for r in rows]],
               bom=False, sep=",")
    return path


def write_canonical(directory: Path, data: Dataset) -> tuple[Path, Path]:
    """``customers.csv`` and ``events.csv`` of the dataset in the canonical format."""
    directory.mkdir(parents=True, exist_ok=True)
    return (write_canonical_customers(directory / "customers.csv", data.customers),
            write_canonical_events(directory / "events.csv", data.events))


# -------------------------------------------------------------------------------------- writing


def _write_csv(path: Path, rows: Sequence[Row], *, bom: bool, sep: str) -> None:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=sep, lineterminator="\r\n")
        writer.writerows([[_cell(v) for v in row] for row in rows])


def _xlsx_value(value: Any) -> Any:
    text = _cell(value).replace("\r\n", "\n")  # a line break in a cell is LF (and XML reads CRLF as LF)
    if text.lstrip("-").isdigit() and not (len(text) > 1 and text.startswith("0")) and len(text) < 16:
        return int(text)
    return text or None


def write_rows(path: Path, rows: Sequence[Row], *, bom: bool = False, sep: str = ",") -> Path:
    """CSV (or, for a path ending in ``.xlsx``, a one-sheet workbook with the same cells)."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Responses"
        for row in rows:
            sheet.append([_xlsx_value(v) for v in row])
        book.save(path)
    else:
        _write_csv(path, rows, bom=bom, sep=sep)
    return path


def _utc(value: str) -> dt.datetime:
    if len(value) == 10:
        return dt.datetime.fromisoformat(value).replace(tzinfo=UTC)
    return dt.datetime.fromisoformat(value).astimezone(UTC)


def _local(value: str, tz: str) -> dt.datetime:
    return _utc(value).astimezone(ZoneInfo(tz))


def _respondents(events: Iterable[dict[str, Any]]) -> list[tuple[int, dict[str, dict[str, Any]]]]:
    groups: dict[int, dict[str, dict[str, Any]]] = {}
    for e in events:
        if e["type"] in SURVEY_TYPES:
            groups.setdefault(respondent(e), {})[kind(e)] = e
    return sorted(groups.items())


def _first(answers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return next(iter(answers.values()))


def _score(answers: dict[str, dict[str, Any]], k: str) -> str:
    e = answers.get(k)
    return "" if e is None or e.get("score") is None else _cell(e["score"])


def _comment(answers: dict[str, dict[str, Any]]) -> str:
    e = answers.get("nps")
    return (e or {}).get("text") or ""


def mixed_case(email: str) -> str:
    """``ada.lovelace3@example.com`` -> ``Ada.Lovelace3@Example.com`` (a preset lower-cases it back)."""
    local, _, domain = email.partition("@")
    return local.title() + "@" + domain.capitalize()


def _people(customers: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["customer_id"]: c for c in customers}


def _split_name(person: dict[str, Any]) -> tuple[str, str]:
    first, _, last = str(person.get("name") or "").partition(" ")
    return first, last


# ---------------------------------------------------------------------------------- survey tools

QUALTRICS_FIXED = ("StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
                   "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
                   "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
                   "DistributionChannel", "UserLanguage")
QUALTRICS_LABELS = ("Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
                    "Finished", "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name",
                    "Recipient Email", "External Data Reference", "Location Latitude", "Location Longitude",
                    "Distribution Channel", "User Language")
QUALTRICS_DATES = ("StartDate", "EndDate", "RecordedDate")
QUALTRICS_IMPORT_IDS = {"IPAddress": "ipAddress", "Duration (in seconds)": "duration"}
#: question columns: (name, row-2 text, ImportId)
QUALTRICS_QUESTIONS = (
    ("Q1", NPS_QUESTION, "QID1"),
    ("Q1_TEXT", REASON_QUESTION, "QID1_TEXT"),
    ("Q2", CSAT_QUESTION, "QID2"),
    ("Q3", CES_QUESTION, "QID3"),
    ("Q4", FEATURES_QUESTION, "QID4"),
)
QUALTRICS_FORMAT = "%Y-%m-%d %H:%M:%S"


def _nps_label(score: str) -> str:
    return {"10": "10 - Extremely likely", "0": "0 - Not at all likely"}.get(score, score)


def write_qualtrics(path: Path, events: Iterable[dict[str, Any]], *, customers: Iterable[dict[str, Any]],
                    tz: str | None = "America/Denver", bom: bool = True, sep: str = ",",
                    preview_rows: int = 0, nps_labels: bool = False, channel: str = "email",
                    nps_question: str = NPS_QUESTION, blank_rows: int = 0, by_email: bool = False) -> Path:
    """A Qualtrics response export: three header rows (names, question texts, ``{"ImportId": ...}``), dates
    ``%Y-%m-%d %H:%M:%S`` in ``tz`` (row 3 names it; ``tz=None``: UTC and no ``timeZone``). ``nps_question``:
    another text for the NPS question (one the preset cannot find by itself). ``preview_rows``: rows with
    ``Status`` Survey Preview; ``blank_rows``: responses with every question unanswered (both skipped).
    ``by_email``: ``ExternalReference`` left empty, the customer known by ``RecipientEmail`` only (written in
    mixed case; for a dataset whose customer ids are the e-mails, ``Dataset.relabel``)."""
    people = _people(customers)
    zone = tz or "UTC"
    meta: list[str] = []
    for name in QUALTRICS_FIXED:
        item = {"ImportId": QUALTRICS_IMPORT_IDS.get(name, name[0].lower() + name[1:])}
        if name in QUALTRICS_DATES and tz is not None:
            item["timeZone"] = tz
        meta.append(json.dumps(item, separators=(",", ":")))
    meta += [json.dumps({"ImportId": q[2]}, separators=(",", ":")) for q in QUALTRICS_QUESTIONS]
    rows: list[Row] = [[*QUALTRICS_FIXED, *(q[0] for q in QUALTRICS_QUESTIONS)],
                       [*QUALTRICS_LABELS, nps_question, *(q[1] for q in QUALTRICS_QUESTIONS[1:])], meta]

    def row(n: int, answers: dict[str, dict[str, Any]], status: str) -> Row:
        first_event = _first(answers)
        recorded = _local(first_event["occurred_at"], zone)
        person = people.get(first_event["customer_id"], {})
        first, last = _split_name(person)
        nps = _score(answers, "nps")
        duration = 60 + 7 * n
        return [(recorded - dt.timedelta(seconds=duration)).strftime(QUALTRICS_FORMAT),
                recorded.strftime(QUALTRICS_FORMAT), status, f"203.0.113.{n % 250}", "100", str(duration), "True",
                recorded.strftime(QUALTRICS_FORMAT), qualtrics_id(n), last, first,
                mixed_case(first_event["customer_id"]) if by_email else person.get("email", ""),
                "" if by_email else first_event["customer_id"], "39.7392", "-104.9903", channel, "EN",
                _nps_label(nps) if nps_labels else nps, _comment(answers), _score(answers, "csat"),
                _score(answers, "ces"), FEATURES[n % 3]]

    groups = _respondents(events)
    for n, answers in groups:
        rows.append(row(n, answers, "IP Address"))
    for k in range(preview_rows):
        n, answers = groups[k % len(groups)]
        rows.append(row(9000 + k, answers, "Survey Preview"))
    for k in range(blank_rows):
        n, answers = groups[k % len(groups)]
        blank = row(9500 + k, answers, "IP Address")
        blank[len(QUALTRICS_FIXED):] = [""] * len(QUALTRICS_QUESTIONS)
        rows.append(blank)
    return write_rows(path, rows, bom=bom, sep=sep)


SURVEYMONKEY_FIXED = ("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
                      "First Name", "Last Name", "Custom Data 1")
SURVEYMONKEY_FORMAT = "%m/%d/%Y %I:%M:%S %p"


def write_surveymonkey(path: Path, events: Iterable[dict[str, Any]], *, customers: Iterable[dict[str, Any]],
                       tz: str = "UTC", bom: bool = False, sep: str = ",", multi_choice: bool = True,
                       by_email: bool = False) -> Path:
    """A SurveyMonkey export: row 1 the fixed names then the question texts (a multiple-choice question spans
    one column per option, its name only over the first), row 2 ``Response`` / ``Open-Ended Response`` /
    the option labels; ``End Date`` as ``%m/%d/%Y %I:%M:%S %p`` in ``tz``. ``by_email``: ``Custom Data 1``
    empty, the customer known by ``Email Address`` (as for Qualtrics)."""
    people = _people(customers)
    head1: Row = [*SURVEYMONKEY_FIXED, NPS_QUESTION, REASON_QUESTION, CSAT_QUESTION, CES_QUESTION]
    head2: Row = [""] * len(SURVEYMONKEY_FIXED) + ["Response", "Open-Ended Response", "Response", "Response"]
    if multi_choice:
        head1 += [FEATURES_QUESTION, "", ""]
        head2 += list(FEATURES)
    rows: list[Row] = [head1, head2]
    for n, answers in _respondents(events):
        first_event = _first(answers)
        end = _local(first_event["occurred_at"], tz)
        person = people.get(first_event["customer_id"], {})
        first, last = _split_name(person)
        row: Row = [surveymonkey_id(n), "405123456", (end - dt.timedelta(minutes=3)).strftime(SURVEYMONKEY_FORMAT),
                    end.strftime(SURVEYMONKEY_FORMAT), f"198.51.100.{n % 250}",
                    mixed_case(first_event["customer_id"]) if by_email else person.get("email", ""), first, last,
                    "" if by_email else first_event["customer_id"], _score(answers, "nps"), _comment(answers),
                    _score(answers, "csat"),
                    _score(answers, "ces")]
        if multi_choice:
            row += [f if i <= n % 3 else "" for i, f in enumerate(FEATURES)]
        rows.append(row)
    return write_rows(path, rows, bom=bom, sep=sep)


TYPEFORM_TAIL = ("Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)", "Network ID", "Tags")
TYPEFORM_OLD_TAIL = ("Start Date (UTC)", "Submit Date (UTC)", "Network ID")
TYPEFORM_FORMAT = "%Y-%m-%d %H:%M:%S"


def write_typeform(path: Path, events: Iterable[dict[str, Any]], *, customers: Iterable[dict[str, Any]],
                   bom: bool = False, sep: str = ",", partial_rows: int = 0, old_layout: bool = False,
                   by_email: bool = False) -> Path:
    """A Typeform export: ``#``, one column per question (its title), the hidden fields ``customer_id`` and
    ``email``, then ``Response Type, Start Date (UTC), Stage Date (UTC), Submit Date (UTC), Network ID, Tags``
    (``old_layout``: ``Start Date (UTC), Submit Date (UTC), Network ID``). ``partial_rows`` adds responses
    whose ``Response Type`` is ``partial`` (the preset skips them). ``by_email``: the hidden ``customer_id``
    empty, the customer known by ``email`` (as for Qualtrics)."""
    people = _people(customers)
    tail = TYPEFORM_OLD_TAIL if old_layout else TYPEFORM_TAIL
    rows: list[Row] = [["#", NPS_QUESTION, REASON_QUESTION, CSAT_QUESTION, CES_QUESTION, "customer_id", "email",
                        *tail]]

    def row(n: int, answers: dict[str, dict[str, Any]], response_type: str) -> Row:
        first_event = _first(answers)
        submit = _utc(first_event["occurred_at"])
        started = (submit - dt.timedelta(seconds=90)).strftime(TYPEFORM_FORMAT)
        person = people.get(first_event["customer_id"], {})
        head = [typeform_id(n), _score(answers, "nps"), _comment(answers), _score(answers, "csat"),
                _score(answers, "ces"), "" if by_email else first_event["customer_id"],
                mixed_case(first_event["customer_id"]) if by_email else person.get("email", "")]
        if old_layout:
            return [*head, started, submit.strftime(TYPEFORM_FORMAT), f"net{n:04d}"]
        return [*head, response_type, started, started, submit.strftime(TYPEFORM_FORMAT), f"net{n:04d}", ""]

    groups = _respondents(events)
    for n, answers in groups:
        rows.append(row(n, answers, "completed"))
    for k in range(partial_rows):
        n, answers = groups[k % len(groups)]
        rows.append(row(8000 + k, answers, "partial"))
    return write_rows(path, rows, bom=bom, sep=sep)


DELIGHTED_COLUMNS = ("id", "person", "email", "name", "survey_type", "score", "comment", "permalink", "created_at",
                     "updated_at", "person_properties.customer_id", "person_properties.Delighted Source", "notes",
                     "tags")
#: the labelled variant (the CSV header is not confirmed: the preset reads both spellings)
DELIGHTED_LABELS = ("Response ID", "Person ID", "Email", "Name", "Survey Type", "Score", "Comment", "Permalink",
                    "Created At", "Updated At", "Customer ID", "Delighted Source", "Notes", "Tags")


def write_delighted(path: Path, events: Iterable[dict[str, Any]], *, customers: Iterable[dict[str, Any]],
                    bom: bool = False, sep: str = ",", labels: bool = False) -> Path:
    """Delighted responses, one row per answer: the API's field names as columns, ``created_at`` in Unix
    seconds (``labels``: the labelled columns, ``Created At`` in ISO 8601)."""
    people = _people(customers)
    rows: list[Row] = [list(DELIGHTED_LABELS if labels else DELIGHTED_COLUMNS)]
    for e in sorted((e for e in events if e["type"] in SURVEY_TYPES), key=lambda e: int(delighted_id(e))):
        t = _utc(e["occurred_at"])
        created = t.strftime("%Y-%m-%dT%H:%M:%SZ") if labels else str(int(t.timestamp()))
        updated = (t + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ") if labels \
            else str(int(t.timestamp()) + 3600)
        person = people.get(e["customer_id"], {})
        rows.append([delighted_id(e), str(300_000 + respondent(e)), person.get("email", ""), person.get("name", ""),
                     kind(e), _cell(e.get("score")), e.get("text") or "",
                     f"https://delighted.example/r/{delighted_id(e)}", created, updated, e["customer_id"], "Email",
                     "", ""])
    return write_rows(path, rows, bom=bom, sep=sep)


# ---------------------------------------------------------------------------------- review sites

TRUSTPILOT_COLUMNS = ("Domain URL", "Webshop Name", "Business Unit Id", "Review Id", "Review Created (UTC)",
                      "Review Consumer User Id", "Review Username", "Review User Email", "Review Title",
                      "Review Content", "Review Stars", "Source Of Review", "Reference Id",
                      "Company Response / Business Reply Date (UTC)", "Review Language", "Location Name")


def write_trustpilot(path: Path, events: Iterable[dict[str, Any]], *, customers: Iterable[dict[str, Any]],
                     bom: bool = False, sep: str = ",", iso: bool = True) -> Path:
    """A Trustpilot reviews export; ``Review Created (UTC)`` ISO 8601 (``iso=False``: ``%Y-%m-%d %H:%M:%S``)."""
    people = _people(customers)
    rows: list[Row] = [list(TRUSTPILOT_COLUMNS)]
    for e in (e for e in events if e["type"] == "review"):
        n = serial(e, "rev")
        t = _utc(e["occurred_at"])
        person = people.get(e["customer_id"], {})
        rows.append(["https://www.acme.example", "Acme", "5f1a2b3c4d5e6f7a8b9c0d1e", trustpilot_id(n),
                     t.strftime("%Y-%m-%dT%H:%M:%SZ" if iso else "%Y-%m-%d %H:%M:%S"), f"u{n:05d}",
                     person.get("name", ""), person.get("email", ""), (e.get("properties") or {}).get("title", ""),
                     e.get("text") or "", _cell(e.get("score")), "Invitation", e["customer_id"], "", "en", ""])
    return write_rows(path, rows, bom=bom, sep=sep)


#: the G2 columns the preset ASSUMES (no public header found): Review ID, Reviewer Email, Submitted At,
#: Star Rating, What do you like best?
G2_COLUMNS = ("Review ID", "Product", "Reviewer Name", "Reviewer Email", "Submitted At", "Star Rating", "Title",
              "What do you like best?", "What do you dislike?")


def write_g2(path: Path, events: Iterable[dict[str, Any]], *, customers: Iterable[dict[str, Any]],
             bom: bool = False, sep: str = ",", email_case: bool = True) -> Path:
    """A G2 reviews export in the assumed columns; ``Submitted At`` as ``%Y-%m-%d``. The customer is known by
    ``Reviewer Email``: write it for a dataset whose customer ids are the e-mails (``Dataset.relabel``); with
    ``email_case`` the address is written in mixed case (the preset lower-cases it)."""
    people = _people(customers)
    rows: list[Row] = [list(G2_COLUMNS)]
    for e in (e for e in events if e["type"] == "review"):
        n = serial(e, "rev")
        person = people.get(e["customer_id"], {})
        email = mixed_case(str(e["customer_id"])) if email_case else str(e["customer_id"])
        rows.append([g2_id(n), "Acme", person.get("name", ""), email, _utc(e["occurred_at"]).strftime("%Y-%m-%d"),
                     _cell(e.get("score")), (e.get("properties") or {}).get("title", ""), e.get("text") or "",
                     "Nothing"])
    return write_rows(path, rows, bom=bom, sep=sep)


# ------------------------------------------------------------------------------------------- CRM

HUBSPOT_CONTACT_COLUMNS = ("Record ID", "First Name", "Last Name", "Email", "Phone Number", "Contact owner",
                           "Lead Status", "Create Date", "Associated Company IDs")
HUBSPOT_COMPANY_COLUMNS = ("Record ID", "Company name", "Website URL", "Company owner", "Create Date", "Industry",
                           "Annual Recurring Revenue", "Lifecycle Stage")
HUBSPOT_FORMAT = "%Y-%m-%d %H:%M"


def write_hubspot_contacts(path: Path, customers: Iterable[dict[str, Any]], *, bom: bool = False,
                           sep: str = ",") -> Path:
    """HubSpot contacts; ``Record ID`` is the customer id as given (relabel to HubSpot ids first),
    ``Create Date`` ``%Y-%m-%d %H:%M`` UTC."""
    rows: list[Row] = [list(HUBSPOT_CONTACT_COLUMNS)]
    for i, c in enumerate(customers):
        first, last = _split_name(c)
        rows.append([c["customer_id"], first, last, c.get("email", ""), f"+1 555 01{i:02d}", "Jo Owner",
                     ("OPEN", "IN_PROGRESS", "CONNECTED")[i % 3], _utc(c["signup_at"]).strftime(HUBSPOT_FORMAT),
                     str(9_000_000 + i)])
    return write_rows(path, rows, bom=bom, sep=sep)


def write_hubspot_companies(path: Path, customers: Iterable[dict[str, Any]], *, bom: bool = False,
                            sep: str = ",") -> Path:
    rows: list[Row] = [list(HUBSPOT_COMPANY_COLUMNS)]
    for i, c in enumerate(customers):
        rows.append([c["customer_id"], c.get("name", ""), f"https://c{i}.example", "Jo Owner",
                     _utc(c["signup_at"]).strftime(HUBSPOT_FORMAT), c.get("industry", ""), _cell(c.get("arr")),
                     "customer"])
    return write_rows(path, rows, bom=bom, sep=sep)


SALESFORCE_ACCOUNT_COLUMNS = (
    "Id", "IsDeleted", "MasterRecordId", "Name", "Type", "ParentId", "BillingStreet", "BillingCity", "BillingState",
    "BillingPostalCode", "BillingCountry", "ShippingStreet", "ShippingCity", "ShippingState", "ShippingPostalCode",
    "ShippingCountry", "Phone", "Fax", "AccountNumber", "Website", "Sic", "Industry", "AnnualRevenue",
    "NumberOfEmployees", "Ownership", "TickerSymbol", "Description", "Rating", "Site", "OwnerId", "CreatedDate",
    "ARR__c")
SALESFORCE_OPPORTUNITY_COLUMNS = (
    "Id", "IsDeleted", "AccountId", "IsPrivate", "Name", "Description", "StageName", "Amount", "Probability",
    "ExpectedRevenue", "TotalOpportunityQuantity", "CloseDate", "Type", "NextStep", "LeadSource", "IsClosed",
    "IsWon", "ForecastCategory", "ForecastCategoryName", "CampaignId", "HasOpportunityLineItem", "Pricebook2Id",
    "OwnerId", "CreatedDate", "FiscalQuarter", "FiscalYear", "Referrer__c")


def salesforce_datetime(value: str) -> str:
    """``2024-03-05T14:22:10.000+0000``."""
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def write_salesforce_accounts(path: Path, customers: Iterable[dict[str, Any]], *, bom: bool = False,
                              sep: str = ",", deleted_rows: int = 0) -> Path:
    """Salesforce Account rows (API field names): name, ``Type`` = segment, ``BillingCountry`` = region,
    ``Industry``, ``ARR__c``, ``CreatedDate`` as ``2024-03-05T14:22:10.000+0000``. ``deleted_rows`` adds
    accounts with ``IsDeleted`` true (the preset skips them)."""
    rows: list[Row] = [list(SALESFORCE_ACCOUNT_COLUMNS)]

    def row(c: dict[str, Any], deleted: bool) -> Row:
        values = {"Id": c["customer_id"], "IsDeleted": "true" if deleted else "false", "Name": c.get("name", ""),
                  "Type": c.get("segment", ""), "BillingCity": "Springfield", "BillingCountry": c.get("region", ""),
                  "ShippingCountry": c.get("region", ""), "Phone": "+1 555 0100", "Industry": c.get("industry", ""),
                  "AnnualRevenue": "12000000", "NumberOfEmployees": "120", "OwnerId": "005Dn000000OWNAAA",
                  "CreatedDate": salesforce_datetime(c["signup_at"]), "ARR__c": _cell(c.get("arr")),
                  "Description": "Imported, from the \"old\" CRM"}
        return [values.get(col, "") for col in SALESFORCE_ACCOUNT_COLUMNS]

    people = list(customers)
    rows += [row(c, False) for c in people]
    for k in range(deleted_rows):
        rows.append(row({**people[k % len(people)], "customer_id": account_id(800 + k)}, True))
    return write_rows(path, rows, bom=bom, sep=sep)


def write_salesforce_opportunities(path: Path, events: Iterable[dict[str, Any]], *, bom: bool = False,
                                   sep: str = ",", lost_deals: int = 0, referrer_column: str = "Referrer__c",
                                   lead_sources: Sequence[str] = REFERRAL_SOURCES[:2]) -> Path:
    """Salesforce Opportunity rows, one per canonical ``referral_converted`` / ``renewal`` / ``expansion``:
    won (``IsWon`` true, ``StageName`` Closed Won), ``CloseDate`` ``%Y-%m-%d``, ``Amount``. A referral deal has
    ``LeadSource`` ``Customer Referral`` / ``Referral`` in turn (``lead_sources``: other spellings, e.g. all of
    ``REFERRAL_SOURCES``, which the design's preset table counts as referrals too), ``Type`` New Customer,
    ``AccountId`` the new customer and ``Referrer__c`` the referring customer; a renewal ``Type`` Renewal, an
    expansion ``Type`` Existing Customer - Upgrade, both on the customer's account. ``lost_deals`` adds deals the
    preset skips, in turn: a lost referral deal, a won new-business deal from the web, a lost renewal."""
    columns = [referrer_column if c == "Referrer__c" else c for c in SALESFORCE_OPPORTUNITY_COLUMNS]
    rows: list[Row] = [columns]
    referrals = 0

    def row(n: int, account: str, amount: Any, day: str, *, won: bool, kind_: str, source: str,
            referrer: str) -> Row:
        values = {"Id": opportunity_id(n), "IsDeleted": "false", "AccountId": account, "IsPrivate": "false",
                  "Name": f"Deal {n}", "StageName": "Closed Won" if won else "Closed Lost", "Amount": _cell(amount),
                  "Probability": "100" if won else "0", "CloseDate": day, "Type": kind_, "LeadSource": source,
                  "IsClosed": "true", "IsWon": "true" if won else "false", "ForecastCategory": "Closed",
                  "ForecastCategoryName": "Closed", "HasOpportunityLineItem": "false", "OwnerId": "005Dn000000OWNAAA",
                  "CreatedDate": salesforce_datetime(day), "FiscalQuarter": str((int(day[5:7]) - 1) // 3 + 1),
                  "FiscalYear": day[:4], "Referrer__c": referrer}
        return [values.get(c, "") for c in SALESFORCE_OPPORTUNITY_COLUMNS]

    for e in events:
        n = serial(e, "opp")
        if e["type"] == "referral_converted":
            source = lead_sources[referrals % len(lead_sources)]
            referrals += 1
            rows.append(row(n, e["properties"]["new_customer_id"], e["amount"], e["occurred_at"], won=True,
                            kind_="New Customer", source=source, referrer=e["customer_id"]))
        elif e["type"] == "renewal":
            rows.append(row(n, e["customer_id"], e["amount"], e["occurred_at"], won=True, kind_="Renewal",
                            source="", referrer=""))
        elif e["type"] == "expansion":
            rows.append(row(n, e["customer_id"], e["amount"], e["occurred_at"], won=True,
                            kind_="Existing Customer - Upgrade", source="", referrer=""))
    for k in range(lost_deals):
        n = 700 + k
        shape = k % 3
        rows.append(row(n, account_id(950 + k) if shape < 2 else account_id(1), 5000, "2025-02-14",
                        won=shape == 1, kind_=("New Customer", "New Customer", "Renewal")[shape],
                        source=("Customer Referral", "Web", "")[shape],
                        referrer=account_id(1) if shape == 0 else ""))
    return write_rows(path, rows, bom=bom, sep=sep)


# ---------------------------------------------------------------------------- one call per preset

EVENT_PRESETS = ("qualtrics", "surveymonkey", "typeform", "delighted", "trustpilot", "g2",
                 "salesforce-opportunities")
CUSTOMER_PRESETS = ("hubspot-contacts", "hubspot-companies", "salesforce-accounts")
PRESETS = EVENT_PRESETS + CUSTOMER_PRESETS

#: the contract fields each customers preset carries (besides customer_id)
CUSTOMER_FIELDS: dict[str, tuple[str, ...]] = {
    "hubspot-contacts": ("name", "email", "signup_at"),
    "hubspot-companies": ("name", "industry", "signup_at", "arr"),
    "salesforce-accounts": ("name", "industry", "region", "segment", "signup_at", "arr"),
}


def g2_ids(data: Dataset) -> dict[str, str]:
    """Customer id -> e-mail: G2 knows reviewers by e-mail only."""
    return {c["customer_id"]: c["email"] for c in data.customers}


def hubspot_ids(data: Dataset) -> dict[str, str]:
    return {c["customer_id"]: hubspot_id(c["customer_id"]) for c in data.customers}


def dataset_for(preset: str, data: Dataset) -> Dataset:
    """The dataset as the preset's tool knows it (its customer ids), reduced to the events it exports."""
    if preset == "g2":
        data = data.relabel(g2_ids(data))
    elif preset.startswith("hubspot-"):
        data = data.relabel(hubspot_ids(data))
    if preset in ("qualtrics", "surveymonkey", "typeform", "delighted"):
        return replace(data, events=data.survey_events())
    if preset in ("trustpilot", "g2"):
        return replace(data, events=data.of("review", platform=preset))
    if preset == "salesforce-opportunities":
        return replace(data, events=data.of("referral_converted", "renewal", "expansion"))
    return data


def write_fixture(preset: str, path: Path, data: Dataset, *, rename: dict[str, str] | None = None,
                  **options: Any) -> Path:
    """The export of ``preset`` for ``dataset_for(preset, data)`` (call with the already reduced dataset).
    ``rename``: columns of the first header row written under another name (CSV only)."""
    _write_fixture(preset, path, data, **options)
    if rename:
        sep = options.get("sep", ",")
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=sep))
        rows[0] = [rename.get(c, c) for c in rows[0]]
        _write_csv(path, rows, bom=bool(options.get("bom", preset == "qualtrics")), sep=sep)
    return path


def _write_fixture(preset: str, path: Path, data: Dataset, **options: Any) -> Path:
    if preset in CUSTOMER_PRESETS:
        writer = {"hubspot-contacts": write_hubspot_contacts, "hubspot-companies": write_hubspot_companies,
                  "salesforce-accounts": write_salesforce_accounts}[preset]
        return writer(path, data.customers, **options)
    if preset == "salesforce-opportunities":
        return write_salesforce_opportunities(path, data.events, **options)
    writers = {"qualtrics": write_qualtrics, "surveymonkey": write_surveymonkey, "typeform": write_typeform,
               "delighted": write_delighted, "trustpilot": write_trustpilot, "g2": write_g2}
    return writers[preset](path, data.events, customers=data.customers, **options)
