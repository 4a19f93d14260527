"""Push payloads of the tools that push, as rows of their own export.

Delighted, Typeform and Trustpilot can POST each new response or review to a
URL. Rather than a second mapping for each, an adapter here turns one delivery
into the rows the tool's export would have held for it, keyed by the export's
column names, so the preset that reads the export maps the delivery as well
(:meth:`advokit.mapping.Mapping.webhook_events`). Adapters are pure: every value
is text, as in a CSV cell ("" for a known column left empty), and a payload of
the wrong shape raises :class:`~advokit.errors.DataError` naming the missing part.

The payload shapes, as the tools' public documentation describes them:

**Delighted** posts a JSON object with ``event_type`` (``survey_response.created``
when a person gives a score, ``survey_response.updated`` when a score or comment
changes later, ``unsubscribe.created``), an ``event_id`` and ``event_data``: the
survey response, the same object the REST API returns: ``id`` (text), ``person``
(an object with ``id``, ``email``, ``name``, ``created_at``), ``survey_type``
(``nps``, ``csat``, ``ces``...), ``score``, ``comment`` (often null at creation,
a comment usually arrives in the update), ``permalink``, ``created_at`` and
``updated_at`` in Unix seconds, ``person_properties`` (null or an object of
custom properties), ``notes``, ``tags``, ``additional_answers``. A response
becomes one row: ``id``, ``score``, ``comment``, ``survey_type``, ``created_at``
(Unix seconds as text), ``updated_at``, ``permalink``, ``email``, ``name`` and
one ``person_properties.KEY`` column per custom property (the customer's CRM id
as ``person_properties.customer_id``). An update has the same ``id``, so it is
a duplicate of the first delivery. An unsubscribe carries no answer: no rows.

**Typeform** posts ``{"event_id", "event_type": "form_response", "form_response":
{...}}``. The form response has ``form_id``, ``token`` (the response's id),
``landed_at`` and ``submitted_at`` (ISO 8601, UTC), ``hidden`` (the hidden
fields, key → value), ``calculated`` and ``variables``, ``definition`` (the
form: ``id``, ``title`` and ``fields``, each with ``id``, ``title``, ``type``,
``ref``) and ``answers``: one per answered field, each with ``field``
(``id``, ``type``, ``ref``), ``type`` and the value under the key the type
names: ``text``, ``email``, ``number``, ``boolean``, ``date``, ``url``,
``file_url``, ``phone_number``, ``choice`` (``label`` or ``other``),
``choices`` (``labels`` and ``other``), ``payment`` (``amount``...). Answers
are matched to the definition's fields by field id. One response becomes one
row, in the order of the CSV export: ``#`` (the token), one column per question
named by its title (unanswered questions empty), one per hidden field named by
its key, then ``Response Type`` (``completed``: a webhook is sent on submit),
``Start Date (UTC)`` and ``Submit Date (UTC)`` (``%Y-%m-%d %H:%M:%S``). Values
become text: numbers as written (``9``, ``4.5``), booleans ``true``/``false``,
several choices joined with ``, ``. A hidden field named like a question does
not replace the question's column.

**Trustpilot** posts ``{"events": [...]}``; each event has ``eventName``
(``service-review-created``, ``service-review-updated``, ``service-review-deleted``),
``version`` and ``eventData``: the review's ``id``, ``stars`` (1–5), ``title``,
``text``, ``language``, ``referenceId`` (the order or customer reference the
business gave the invitation), ``createdAt`` (ISO 8601, UTC), ``isVerified``,
``locationId``, ``link``, ``consumer`` (``id``, ``name``, ``link``) and ``tags``.
The consumer's e-mail address is not in the payload (Trustpilot leaves it out),
so the customer is found by ``referenceId``. Each created or updated review
becomes one row: ``Review Id``, ``Review Stars``, ``Review Title``,
``Review Content``, ``Review Created (UTC)`` (``%Y-%m-%d %H:%M:%S``),
``Reference Id``, ``Review User Email`` (empty unless the consumer object has
an ``email``), ``Review Language``, ``Review Consumer User Id``,
``Review Username``. A deleted review adds no row.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from ..errors import DataError

__all__ = ["ADAPTERS", "delighted_rows", "recognises", "trustpilot_rows", "typeform_rows"]

Row = dict[str, Any]
_HINT = "see the payload shapes in docs/api.md (Webhooks)"
_SUBMIT_FORMAT = "%Y-%m-%d %H:%M:%S"


def _fail(message: str) -> DataError:
    return DataError(message, hint=_HINT)


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(f"{what} is missing or not a JSON object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(f"{what} is missing or not a JSON list")
    return value


def _text(value: Any) -> str:
    """One value as a CSV cell holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (str, int)):
        return str(value)
    raise _fail(f"a value of type {type(value).__name__} where text or a number was expected")


def _maybe(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _required(data: dict[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if isinstance(value, (dict, list)) or _text(value) == "":
        raise _fail(f"{what} is missing")
    return _text(value)


def _utc(value: Any, what: str) -> str:
    """An ISO 8601 time as ``%Y-%m-%d %H:%M:%S`` in UTC (a time with no offset is taken as UTC)."""
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{what} is missing")
    text = value.strip()
    try:
        when = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise _fail(f"{what} = {value!r} is not an ISO 8601 time") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.strftime(_SUBMIT_FORMAT)


# -- Delighted ---------------------------------------------------------------------------
def delighted_rows(payload: Any) -> list[Row]:
    """One row per survey response (none for an unsubscribe), keyed like Delighted's export."""
    body = _obj(payload, "the Delighted payload")
    event_type = body.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise _fail("the Delighted payload has no event_type")
    if event_type.startswith("unsubscribe."):
        return []
    if event_type not in ("survey_response.created", "survey_response.updated"):
        raise _fail(f"unknown Delighted event_type {event_type!r} "
                    "(survey_response.created, survey_response.updated, unsubscribe.created)")
    data = _obj(body.get("event_data"), "event_data")
    person = _maybe(data.get("person"))  # the REST API gives the person's id only
    properties = data.get("person_properties")
    if properties is not None and not isinstance(properties, dict):
        raise _fail("event_data.person_properties must be a JSON object or null")
    row: Row = {
        "id": _required(data, "id", "event_data.id"),
        "score": _text(data.get("score")),
        "comment": _text(data.get("comment")),
        "survey_type": _text(data.get("survey_type")),
        "created_at": _required(data, "created_at", "event_data.created_at"),
        "updated_at": _text(data.get("updated_at")),
        "permalink": _text(data.get("permalink")),
        "email": _text(person.get("email")),
        "name": _text(person.get("name")),
    }
    for key, value in (properties or {}).items():
        if not isinstance(value, (dict, list)):
            row[f"person_properties.{key}"] = _text(value)
    return [row]


# -- Typeform ----------------------------------------------------------------------------
def _answer_text(answer: dict[str, Any], where: str) -> str:
    kind = answer.get("type")
    if not isinstance(kind, str) or kind not in answer:
        raise _fail(f"{where} has no value of its type {kind!r}")
    value = answer[kind]
    if kind == "choice":
        choice = _obj(value, f"{where}.choice")
        return _text(choice.get("label") if choice.get("label") is not None else choice.get("other"))
    if kind == "choices":
        choices = _obj(value, f"{where}.choices")
        labels = [_text(v) for v in choices.get("labels") or []]
        if choices.get("other") is not None:
            labels.append(_text(choices["other"]))
        return ", ".join(labels)
    if kind == "payment":
        return _text(_obj(value, f"{where}.payment").get("amount"))
    if isinstance(value, (dict, list)):
        raise _fail(f"{where}.{kind} is not a single value")
    return _text(value)


def typeform_rows(payload: Any) -> list[Row]:
    """One row per form response, keyed like Typeform's CSV export."""
    body = _obj(payload, "the Typeform payload")
    response = _obj(body.get("form_response"), "form_response")
    token = _required(response, "token", "form_response.token")
    fields = _list(_obj(response.get("definition"), "form_response.definition").get("fields"),
                   "form_response.definition.fields")
    titles: dict[str, str] = {}
    row: Row = {"#": token}
    for i, field in enumerate(fields):
        field = _obj(field, f"form_response.definition.fields[{i}]")
        field_id = _required(field, "id", f"form_response.definition.fields[{i}].id")
        title = _required(field, "title", f"form_response.definition.fields[{i}].title")
        titles[field_id] = title
        row.setdefault(title, "")  # a repeated title keeps its first question
    seen: set[str] = set()
    for i, answer in enumerate(_list(response.get("answers", []), "form_response.answers")):
        where = f"form_response.answers[{i}]"
        answer = _obj(answer, where)
        field_id = _required(_obj(answer.get("field"), f"{where}.field"), "id", f"{where}.field.id")
        if field_id not in titles:
            raise _fail(f"{where}.field.id {field_id!r} is not in form_response.definition.fields")
        title = titles[field_id]
        if title not in seen:
            seen.add(title)
            row[title] = _answer_text(answer, where)
    hidden = response.get("hidden")
    if hidden is not None and not isinstance(hidden, dict):
        raise _fail("form_response.hidden must be a JSON object")
    for key, value in (hidden or {}).items():
        if key not in row and not isinstance(value, (dict, list)):
            row[key] = _text(value)
    landed = response.get("landed_at")
    row["Response Type"] = "completed"
    row["Start Date (UTC)"] = _utc(landed, "form_response.landed_at") if landed else ""
    row["Submit Date (UTC)"] = _utc(response.get("submitted_at"), "form_response.submitted_at")
    return [row]


# -- Trustpilot --------------------------------------------------------------------------
_REVIEW_EVENTS = ("service-review-created", "service-review-updated")


def trustpilot_rows(payload: Any) -> list[Row]:
    """One row per created or updated service review, keyed like Trustpilot's reviews export."""
    body = _obj(payload, "the Trustpilot payload")
    rows: list[Row] = []
    for i, event in enumerate(_list(body.get("events"), "events")):
        where = f"events[{i}]"
        event = _obj(event, where)
        name = event.get("eventName")
        if not isinstance(name, str) or not name:
            raise _fail(f"{where}.eventName is missing")
        if name == "service-review-deleted":
            continue
        if name not in _REVIEW_EVENTS:
            raise _fail(f"unknown Trustpilot eventName {name!r} ({', '.join(_REVIEW_EVENTS)}, "
                        "service-review-deleted)")
        data = _obj(event.get("eventData"), f"{where}.eventData")
        consumer = _maybe(data.get("consumer"))
        rows.append({
            "Review Id": _required(data, "id", f"{where}.eventData.id"),
            "Review Stars": _required(data, "stars", f"{where}.eventData.stars"),
            "Review Title": _text(data.get("title")),
            "Review Content": _text(data.get("text")),
            "Review Created (UTC)": _utc(data.get("createdAt"), f"{where}.eventData.createdAt"),
            "Reference Id": _text(data.get("referenceId")),
            "Review User Email": _text(consumer.get("email")),
            "Review Language": _text(data.get("language")),
            "Review Consumer User Id": _text(consumer.get("id")),
            "Review Username": _text(consumer.get("name")),
        })
    return rows


#: preset name → adapter (one delivery → the rows of the tool's export)
ADAPTERS: dict[str, Callable[[Any], list[Row]]] = {
    "delighted": delighted_rows,
    "typeform": typeform_rows,
    "trustpilot": trustpilot_rows,
}


def recognises(preset: str, payload: Any) -> bool:
    """Whether ``payload`` has the outline of the tool's delivery (not whether it is complete)."""
    if not isinstance(payload, dict):
        return False
    if preset == "delighted":
        kind = payload.get("event_type")
        return isinstance(kind, str) and kind.startswith(("survey_response.", "unsubscribe."))
    if preset == "typeform":
        return payload.get("event_type") == "form_response" or isinstance(payload.get("form_response"), dict)
    if preset == "trustpilot":
        events = payload.get("events")
        return (isinstance(events, list) and bool(events)
                and all(isinstance(e, dict) and "eventName" in e for e in events))
    return False
