"""Webhook presets (issue 15): Delighted, Typeform and Trustpilot pushes, mapped by the import presets.

The adapters (``advokit.mapping.webhooks``) turn one delivery into the rows of the tool's export; the
import preset of the same name maps those rows to events. The payloads below are written from the
shapes the tools document (never copied from a vendor).
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from advokit import Workspace
from advokit.access.webhooks import KINDS, PRESET_KINDS, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, to_events
from advokit.errors import DataError, InvalidArgumentError
from advokit.mapping.webhooks import ADAPTERS, recognises

from .api_support import Server, cli_json, new_keys


DELIGHTED: dict[str, Any] = {
    "event_type": "survey_response.created",
    "event_id": "f3a9c1d2e4b5",
    "event_data": {
        "id": "8812",
        "person": {"id": "4410", "email": "Ann@Alder.example", "name": "Ann Alder", "created_at": 1717000000},
        "survey_type": "nps",
        "score": 9,
        "comment": None,
        "permalink": "https://delighted.example/r/abc",
        "created_at": 1717243200,
        "updated_at": 1717243260,
        "person_properties": {"customer_id": "A", "Plan": "Pro", "Seats": 12},
        "notes": [],
        "tags": [],
        "additional_answers": [],
    },
}

TYPEFORM: dict[str, Any] = {
    "event_id": "01HXTFEVT",
    "event_type": "form_response",
    "form_response": {
        "form_id": "Fm01",
        "token": "tok9a8b7",
        "landed_at": "2024-06-03T09:58:10Z",
        "submitted_at": "2024-06-03T10:00:05Z",
        "hidden": {"customer_id": "B", "plan": "team"},
        "calculated": {"score": 0},
        "definition": {"id": "Fm01", "title": "Customer pulse", "fields": [
            {"id": "f_nps", "title": "How likely are you to recommend us to a colleague?",
             "type": "opinion_scale", "ref": "nps"},
            {"id": "f_why", "title": "What is the main reason for your score?", "type": "long_text", "ref": "why"},
            {"id": "f_role", "title": "Your role", "type": "multiple_choice", "ref": "role"},
            {"id": "f_use", "title": "What do you use?", "type": "multiple_choice", "ref": "use"},
            {"id": "f_ok", "title": "May we contact you?", "type": "yes_no", "ref": "ok"},
            {"id": "f_mail", "title": "Your e-mail", "type": "email", "ref": "mail"},
            {"id": "f_skip", "title": "Anything else?", "type": "short_text", "ref": "skip"},
        ]},
        "answers": [
            {"type": "number", "number": 9, "field": {"id": "f_nps", "type": "opinion_scale", "ref": "nps"}},
            {"type": "text", "text": "Fast support,\nclear docs", "field": {"id": "f_why", "type": "long_text"}},
            {"type": "choice", "choice": {"label": "Admin"}, "field": {"id": "f_role", "type": "multiple_choice"}},
            {"type": "choices", "choices": {"labels": ["Reports", "API"], "other": "Alerts"},
             "field": {"id": "f_use", "type": "multiple_choice"}},
            {"type": "boolean", "boolean": True, "field": {"id": "f_ok", "type": "yes_no"}},
            {"type": "email", "email": "bo@birch.example", "field": {"id": "f_mail", "type": "email"}},
        ],
    },
}

TRUSTPILOT: dict[str, Any] = {"events": [
    {"eventName": "service-review-created", "version": "1", "eventData": {
        "id": "64a1b2c3d4e5f60718293a4b", "language": "en", "title": "Solid tool",
        "text": "Setup took an hour; support answered the same day.", "referenceId": "C", "stars": 4,
        "createdAt": "2024-06-05T14:30:00.000Z", "isVerified": True, "locationId": None,
        "link": "https://api.trustpilot.example/v1/reviews/64a1", "consumer": {"id": "cons-77", "name": "Cy"},
        "tags": []}},
    {"eventName": "service-review-deleted", "version": "1", "eventData": {"id": "5f0000000000000000000001"}},
]}


# -- the adapters: exact rows ----------------------------------------------------------------
def test_delighted_payload_is_one_row_of_the_export() -> None:
    assert ADAPTERS["delighted"](DELIGHTED) == [{
        "id": "8812", "score": "9", "comment": "", "survey_type": "nps", "created_at": "1717243200",
        "updated_at": "1717243260", "permalink": "https://delighted.example/r/abc",
        "email": "Ann@Alder.example", "name": "Ann Alder",
        "person_properties.customer_id": "A", "person_properties.Plan": "Pro", "person_properties.Seats": "12"}]
    update = copy.deepcopy(DELIGHTED)
    update["event_type"] = "survey_response.updated"
    update["event_data"].update(comment="Great onboarding", person="4410", person_properties=None,
                                survey_type="csat", score=5.0)
    assert ADAPTERS["delighted"](update) == [{
        "id": "8812", "score": "5", "comment": "Great onboarding", "survey_type": "csat",
        "created_at": "1717243200", "updated_at": "1717243260", "permalink": "https://delighted.example/r/abc",
        "email": "", "name": ""}]
    assert ADAPTERS["delighted"]({"event_type": "unsubscribe.created", "event_data": {"person": {}}}) == []


def test_typeform_payload_is_one_row_of_the_csv_export() -> None:
    [row] = ADAPTERS["typeform"](TYPEFORM)
    assert row == {
        "#": "tok9a8b7",
        "How likely are you to recommend us to a colleague?": "9",
        "What is the main reason for your score?": "Fast support,\nclear docs",
        "Your role": "Admin",
        "What do you use?": "Reports, API, Alerts",
        "May we contact you?": "true",
        "Your e-mail": "bo@birch.example",
        "Anything else?": "",
        "customer_id": "B",
        "plan": "team",
        "Response Type": "completed",
        "Start Date (UTC)": "2024-06-03 09:58:10",
        "Submit Date (UTC)": "2024-06-03 10:00:05",
    }
    assert list(row)[:2] == ["#", "How likely are you to recommend us to a colleague?"]  # the export's order


def test_typeform_times_in_another_offset_become_utc_and_an_unanswered_form_has_empty_questions() -> None:
    payload = copy.deepcopy(TYPEFORM)
    response = payload["form_response"]
    response.update(submitted_at="2024-06-03T12:00:05+02:00", answers=[], hidden=None)
    del response["landed_at"]
    [row] = ADAPTERS["typeform"](payload)
    assert row["Submit Date (UTC)"] == "2024-06-03 10:00:05" and row["Start Date (UTC)"] == ""
    assert row["How likely are you to recommend us to a colleague?"] == "" and "customer_id" not in row


def test_trustpilot_payload_is_one_row_per_review_and_a_deletion_adds_none() -> None:
    assert ADAPTERS["trustpilot"](TRUSTPILOT) == [{
        "Review Id": "64a1b2c3d4e5f60718293a4b", "Review Stars": "4", "Review Title": "Solid tool",
        "Review Content": "Setup took an hour; support answered the same day.",
        "Review Created (UTC)": "2024-06-05 14:30:00", "Reference Id": "C", "Review User Email": "",
        "Review Language": "en", "Review Consumer User Id": "cons-77", "Review Username": "Cy"}]


@pytest.mark.parametrize(("preset", "change", "message"), [
    ("delighted", lambda p: p.pop("event_type"), "the Delighted payload has no event_type"),
    ("delighted", lambda p: p.update(event_type="survey.sent"), "unknown Delighted event_type 'survey.sent'"),
    ("delighted", lambda p: p.pop("event_data"), "event_data is missing or not a JSON object"),
    ("delighted", lambda p: p["event_data"].pop("id"), "event_data.id is missing"),
    ("delighted", lambda p: p["event_data"].update(created_at=None), "event_data.created_at is missing"),
    ("delighted", lambda p: p["event_data"].update(person_properties=[1]),
     "event_data.person_properties must be a JSON object or null"),
    ("typeform", lambda p: p.pop("form_response"), "form_response is missing or not a JSON object"),
    ("typeform", lambda p: p["form_response"].pop("token"), "form_response.token is missing"),
    ("typeform", lambda p: p["form_response"].pop("definition"), "form_response.definition is missing"),
    ("typeform", lambda p: p["form_response"]["definition"].pop("fields"),
     "form_response.definition.fields is missing or not a JSON list"),
    ("typeform", lambda p: p["form_response"].pop("submitted_at"), "form_response.submitted_at is missing"),
    ("typeform", lambda p: p["form_response"].update(submitted_at="yesterday"),
     "form_response.submitted_at = 'yesterday' is not an ISO 8601 time"),
    ("typeform", lambda p: p["form_response"]["answers"][0]["field"].update(id="nope"),
     "form_response.answers[0].field.id 'nope' is not in form_response.definition.fields"),
    ("typeform", lambda p: p["form_response"]["answers"][0].pop("number"),
     "form_response.answers[0] has no value of its type 'number'"),
    ("trustpilot", lambda p: p.pop("events"), "events is missing or not a JSON list"),
    ("trustpilot", lambda p: p["events"][0].pop("eventName"), "events[0].eventName is missing"),
    ("trustpilot", lambda p: p["events"][0].update(eventName="invitation-sent"),
     "unknown Trustpilot eventName 'invitation-sent'"),
    ("trustpilot", lambda p: p["events"][0].pop("eventData"), "events[0].eventData is missing"),
    ("trustpilot", lambda p: p["events"][0]["eventData"].pop("id"), "events[0].eventData.id is missing"),
    ("trustpilot", lambda p: p["events"][0]["eventData"].pop("stars"), "events[0].eventData.stars is missing"),
    ("trustpilot", lambda p: p["events"][0]["eventData"].pop("createdAt"),
     "events[0].eventData.createdAt is missing"),
])
def test_a_payload_of_the_wrong_shape_names_what_is_missing(preset: str, change: Any, message: str) -> None:
    payload = copy.deepcopy({"delighted": DELIGHTED, "typeform": TYPEFORM, "trustpilot": TRUSTPILOT}[preset])
    change(payload)
    with pytest.raises(DataError, match="^" + re.escape(message)) as err:
        ADAPTERS[preset](payload)
    assert err.value.hint and "docs/api.md" in err.value.hint
    with pytest.raises(DataError, match="is missing or not a JSON object"):
        ADAPTERS[preset]([payload])


def test_each_tool_is_recognised_by_its_outline_only() -> None:
    payloads = {"delighted": DELIGHTED, "typeform": TYPEFORM, "trustpilot": TRUSTPILOT}
    canonical = {"events": [{"event_id": "x", "customer_id": "A", "type": "mention", "occurred_at": "2024-01-01"}]}
    for preset in PRESET_KINDS:
        assert [p for p, body in payloads.items() if recognises(preset, body)] == [preset]
        assert not recognises(preset, canonical) and not recognises(preset, [DELIGHTED])
    assert not recognises("g2", TRUSTPILOT)


def test_the_preset_kinds_are_webhook_kinds_that_the_old_mapping_refuses() -> None:
    assert KINDS == ("auto", "canonical", "survey", "referral", "delighted", "typeform", "trustpilot")
    assert set(ADAPTERS) == set(PRESET_KINDS)
    with pytest.raises(InvalidArgumentError, match="mapped by the typeform import preset"):
        to_events("typeform", "typeform", TYPEFORM)
    # the existing kinds keep working: a Delighted-shaped survey response under kind `survey`
    [ev] = to_events("delighted", "survey", DELIGHTED)
    assert ev["event_id"] == "delighted:8812" and ev["customer_id"] == "A" and ev["type"] == "nps_response"


# -- the examples of docs/api.md ---------------------------------------------------------------
DOCS = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def _doc_examples() -> dict[str, Any]:
    """The JSON payload under each ``### Tool (`--kind tool`)`` heading of docs/api.md."""
    text = DOCS.read_text(encoding="utf-8")
    found = re.findall(r"^### \w+ \(`--kind (\w+)`\)\n.*?^```json\n(.*?)^```$", text, re.S | re.M)
    return {kind: json.loads(body) for kind, body in found}


def test_the_documented_payloads_are_rows_of_each_export() -> None:
    examples = _doc_examples()
    assert sorted(examples) == sorted(PRESET_KINDS)
    [delighted] = ADAPTERS["delighted"](examples["delighted"])
    assert (delighted["id"], delighted["score"], delighted["survey_type"], delighted["created_at"],
            delighted["person_properties.customer_id"]) == ("7001", "10", "nps", "1719830400", "C-0042")
    [typeform] = ADAPTERS["typeform"](examples["typeform"])
    assert typeform == {"#": "5e2c9d1a", "How likely are you to recommend us to a friend?": "8",
                        "What is the main reason for your score?": "Quick answers from support",
                        "customer_id": "C-0042", "Response Type": "completed",
                        "Start Date (UTC)": "2024-07-01 10:02:00", "Submit Date (UTC)": "2024-07-01 10:03:30"}
    [trustpilot] = ADAPTERS["trustpilot"](examples["trustpilot"])
    assert (trustpilot["Review Id"], trustpilot["Review Stars"], trustpilot["Reference Id"],
            trustpilot["Review Created (UTC)"]) == ("66b2f0a1c3d4e5f6a7b8c9d0", "5", "C-0042", "2024-07-02 08:15:00")


# -- on a real server --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A server with customers A, B, C, ann@alder.example, C-0042 and one secret per source."""
    db = tmp_path_factory.mktemp("presets") / "p.duckdb"
    with Workspace(db) as ws:
        ws.import_customers([{"customer_id": c, "segment": "SMB", "signup_at": "2024-01-01"}
                             for c in ("A", "B", "C", "ann@alder.example", "C-0042")])
        secrets = {
            "delighted": ws.access.webhooks.set_secret("delighted", kind="delighted")[0],
            "typeform": ws.access.webhooks.set_secret("typeform")[0],  # kind auto, named after the preset
            "trustpilot": ws.access.webhooks.set_secret("trustpilot", kind="trustpilot")[0],
            "reviews": ws.access.webhooks.set_secret("reviews", kind="trustpilot")[0],  # any name, kind a preset
        }
    keys = new_keys(db, "read", "admin")
    with Server(db, rate=0) as server:
        yield SimpleNamespace(server=server, keys=keys, secrets=secrets, db=db)


def _deliver(ns: SimpleNamespace, source: str, payload: Any, *, secret: str | None = None) -> httpx.Response:
    body = json.dumps(payload).encode()
    now = int(time.time())
    with ns.server.client() as c:
        return c.post(f"/v1/webhooks/{source}", content=body, headers={
            TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: sign(secret or ns.secrets[source], now, body),
            "Content-Type": "application/json"})


def _timeline(ns: SimpleNamespace, customer: str) -> dict[str, dict[str, Any]]:
    with ns.server.client(ns.keys["read"]) as c:
        r = c.get(f"/v1/customers/{customer}")
    assert r.status_code == 200, r.text
    return {e["event_id"]: e for e in r.json()["timeline"]}


def _items(r: httpx.Response, status: int = 200) -> list[tuple[str, str]]:
    assert r.status_code == status, r.text
    return [(i["id"], i["status"]) for i in r.json()["items"]]


def test_the_preset_kinds_are_accepted_by_the_api_and_the_cli(hooks: SimpleNamespace, tmp_path: Path) -> None:
    with hooks.server.client(hooks.keys["admin"]) as c:
        for kind in PRESET_KINDS:
            r = c.put(f"/v1/webhooks/k-{kind}/secret", json={"kind": kind})
            assert r.status_code == 200 and r.json()["kind"] == kind, r.text
        r = c.put("/v1/webhooks/k-bad/secret", json={"kind": "g2"})
        assert r.status_code == 422, r.text
        listed = {s["source"]: s["kind"] for s in c.get("/v1/webhooks").json()}
    assert {k: listed[k] for k in ("delighted", "typeform", "trustpilot", "reviews")} == {
        "delighted": "delighted", "typeform": "auto", "trustpilot": "trustpilot", "reviews": "trustpilot"}
    db = tmp_path / "cli.duckdb"
    out = cli_json(db, "webhook", "secret", "delighted", "--kind", "delighted")
    assert out["kind"] == "delighted" and out["secret"].startswith("whsec_")


def test_an_auto_source_named_after_a_preset_still_takes_canonical_events(hooks: SimpleNamespace) -> None:
    """A payload without the tool's outline is not given to the preset: canonical events land as before."""
    canonical = {"events": [{"event_id": "tf-canon-1", "customer_id": "C", "type": "testimonial",
                             "occurred_at": "2024-06-01T00:00:00Z"}]}
    assert _items(_deliver(hooks, "typeform", canonical)) == [("tf-canon-1", "accepted")]
    assert _timeline(hooks, "C")["tf-canon-1"]["type"] == "testimonial"


def _error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error: dict[str, Any] = r.json()["error"]
    assert error["code"] == code, error
    return error


def test_a_delighted_push_lands_through_the_delighted_preset(hooks: SimpleNamespace) -> None:
    assert _items(_deliver(hooks, "delighted", DELIGHTED)) == [("delighted:8812", "accepted")]
    event = _timeline(hooks, "A")["delighted:8812"]
    assert (event["customer_id"], event["type"], event["score"], event["occurred_at"]) == (
        "A", "nps_response", 9, "2024-06-01T12:00:00Z")
    update = copy.deepcopy(DELIGHTED)  # the comment comes later, in an update of the same response
    update["event_type"] = "survey_response.updated"
    update["event_data"]["comment"] = "Great onboarding"
    assert _items(_deliver(hooks, "delighted", update)) == [("delighted:8812", "duplicate")]
    assert _items(_deliver(hooks, "delighted", DELIGHTED)) == [("delighted:8812", "duplicate")]  # a re-delivery
    # no CRM id: the customer is the person's e-mail, lower-cased; the survey type picks the event type
    by_mail = copy.deepcopy(DELIGHTED)
    by_mail["event_data"].update(id="8813", survey_type="csat", score=4, person_properties=None)
    assert _items(_deliver(hooks, "delighted", by_mail)) == [("delighted:8813", "accepted")]
    event = _timeline(hooks, "ann@alder.example")["delighted:8813"]
    assert (event["customer_id"], event["type"], event["score"]) == ("ann@alder.example", "csat_response", 4)
    # an unsubscribe is no answer: nothing lands, and the sender is told so with a 200
    assert _items(_deliver(hooks, "delighted", {"event_type": "unsubscribe.created", "event_id": "u1",
                                               "event_data": {"person": {"id": "4410"}}})) == []


def test_a_typeform_push_lands_through_the_typeform_preset_on_an_auto_source(hooks: SimpleNamespace) -> None:
    assert _items(_deliver(hooks, "typeform", TYPEFORM)) == [("typeform:tok9a8b7:nps", "accepted")]
    event = _timeline(hooks, "B")["typeform:tok9a8b7:nps"]
    assert (event["customer_id"], event["type"], event["score"], event["occurred_at"], event["text"]) == (
        "B", "nps_response", 9, "2024-06-03T10:00:05Z", "Fast support,\nclear docs")
    assert _items(_deliver(hooks, "typeform", TYPEFORM)) == [("typeform:tok9a8b7:nps", "duplicate")]
    # an unanswered NPS question: no event
    blank = copy.deepcopy(TYPEFORM)
    blank["form_response"]["token"] = "tok-blank"
    blank["form_response"]["answers"] = blank["form_response"]["answers"][1:]
    assert _items(_deliver(hooks, "typeform", blank)) == []
    assert not any(e.startswith("typeform:tok-blank") for e in _timeline(hooks, "B"))


def test_a_trustpilot_push_lands_through_the_trustpilot_preset_under_any_source_name(hooks: SimpleNamespace) -> None:
    review = "trustpilot:64a1b2c3d4e5f60718293a4b"
    assert _items(_deliver(hooks, "trustpilot", TRUSTPILOT)) == [(review, "accepted")]  # the deletion adds none
    event = _timeline(hooks, "C")[review]
    assert (event["customer_id"], event["type"], event["score"], event["occurred_at"], event["text"]) == (
        "C", "review", 4, "2024-06-05T14:30:00Z", "Setup took an hour; support answered the same day.")
    assert event["properties"]["title"] == "Solid tool"
    # the same review through another source of kind trustpilot: the same id, a duplicate
    assert _items(_deliver(hooks, "reviews", TRUSTPILOT)) == [(review, "duplicate")]


def test_a_bad_push_is_a_422_naming_what_is_missing_and_lands_nothing(hooks: SimpleNamespace) -> None:
    bad = copy.deepcopy(TYPEFORM)
    bad["form_response"].pop("token")
    error = _error(_deliver(hooks, "typeform", bad), 422, "unreadable_data")
    assert "form_response.token is missing" in error["message"]
    bad = copy.deepcopy(TRUSTPILOT)
    bad["events"][0]["eventData"].pop("stars")
    bad["events"][0]["eventData"]["id"] = "no-stars"
    error = _error(_deliver(hooks, "trustpilot", bad), 422, "unreadable_data")
    assert "events[0].eventData.stars is missing" in error["message"]
    assert "trustpilot:no-stars" not in _timeline(hooks, "C")


def test_the_documented_payloads_land_as_the_docs_say(hooks: SimpleNamespace) -> None:
    examples = _doc_examples()
    assert _items(_deliver(hooks, "delighted", examples["delighted"])) == [("delighted:7001", "accepted")]
    assert _items(_deliver(hooks, "typeform", examples["typeform"])) == [("typeform:5e2c9d1a:nps", "accepted")]
    assert _items(_deliver(hooks, "trustpilot", examples["trustpilot"])) == [
        ("trustpilot:66b2f0a1c3d4e5f6a7b8c9d0", "accepted")]
    timeline = _timeline(hooks, "C-0042")
    got = {k: (timeline[k]["type"], timeline[k]["score"], timeline[k]["text"]) for k in
           ("delighted:7001", "typeform:5e2c9d1a:nps", "trustpilot:66b2f0a1c3d4e5f6a7b8c9d0")}
    assert got == {"delighted:7001": ("nps_response", 10, None),
                   "typeform:5e2c9d1a:nps": ("nps_response", 8, "Quick answers from support"),
                   "trustpilot:66b2f0a1c3d4e5f6a7b8c9d0": ("review", 5, "Reports are ready before our Monday meeting.")}
    assert timeline["trustpilot:66b2f0a1c3d4e5f6a7b8c9d0"]["properties"]["title"] == "Does what it says"
