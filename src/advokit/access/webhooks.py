"""Signed webhooks: per-source shared secrets, signature checks, payload mapping.

A tool pushes JSON to ``/v1/webhooks/{source}`` with two headers:

* ``X-Advokit-Timestamp``: the send time, in Unix seconds;
* ``X-Advokit-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``"{timestamp}.{raw body}"``
  keyed with the source's secret (several comma-separated values are accepted,
  for rotation).

The signature is compared in constant time. A timestamp older than
:data:`TOLERANCE_S` (5 minutes) or more than :data:`FUTURE_SKEW_S` ahead is
rejected, so a captured request cannot be replayed later; a replay within the
window maps to the same ``event_id`` and is a duplicate. After a rotation the
previous secret stays valid for a grace period (:data:`ROTATION_GRACE` unless
the rotation says otherwise) so senders can switch; ``revoke_previous`` ends it
at once (a leaked secret), and a grace of 0 rotates with no overlap.

Payload shapes (``kind`` of the source, ``auto`` detects them):

* ``canonical``: ``{"events": [...]}``, a list, or one event, in the data contract;
* ``survey``: a survey tool's response (``{"event_type": "survey_response.created",
  "event_data": {"id", "score", "comment", "created_at", "survey_type", "person": {...}}}``)
  → ``nps_response`` / ``csat_response`` / ``ces_response`` / ``advocacy_rating``;
* ``referral``: a referral platform's event (``{"type": "referral.converted", "id",
  "created_at", "data": {"referral_code", "advocate": {"customer_id"}, "referred": {...},
  "amount"}}``) → ``referral_sent`` / ``referral_signup`` / ``referral_converted``;
* ``delighted``, ``typeform``, ``trustpilot``: the tool's own push, mapped by the import
  preset of that name (``advokit.mapping``, not here: :func:`to_events` refuses them).
  A source of kind ``auto`` named after one of them gets the same when its payload has
  the tool's shape.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import AuthError, DataError, InvalidArgumentError, NotFoundError
from ..store.database import Database
from ..store.rows import first, jsonable
from .secretkey import SEALED_PREFIX, SecretKey

#: the tools whose pushes the import presets of the same name map (advokit.mapping.webhooks)
PRESET_KINDS = ("delighted", "typeform", "trustpilot")
KINDS = ("auto", "canonical", "survey", "referral", *PRESET_KINDS)
TOLERANCE_S = 300
FUTURE_SKEW_S = 30
ROTATION_GRACE = dt.timedelta(hours=24)
MAX_GRACE = dt.timedelta(days=30)
TIMESTAMP_HEADER = "X-Advokit-Timestamp"
SIGNATURE_HEADER = "X-Advokit-Signature"
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SURVEY_TYPES = {"nps": "nps_response", "csat": "csat_response", "ces": "ces_response",
                 "advocacy": "advocacy_rating"}
_REFERRAL_TYPES = {"referral.sent": "referral_sent", "referral.signup": "referral_signup",
                   "referral.converted": "referral_converted"}


@dataclass(frozen=True)
class WebhookSource:
    source: str
    kind: str
    created_at: str | None
    rotated_at: str | None
    #: until when the previous secret is still accepted (None: it is not)
    previous_until: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_source(source: str) -> str:
    if not _SOURCE.match(source):
        raise InvalidArgumentError(f"invalid webhook source name {source!r}",
                                   hint="use lower-case letters, digits, '-' and '_' (at most 64)")
    return source


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header value a sender computes."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class WebhookStore:
    """The signed sources of a workspace."""

    def __init__(self, db: Database, key: SecretKey) -> None:
        self.db = db
        self.key = key  # secrets are stored sealed with the workspace's key, never in the clear

    def seal_stored(self) -> bool:
        """Seal secrets written in the clear by an older version, then rewrite the file (True when any were)."""
        if self.db.read_only:
            return False
        plain = [r for r in self.db.cursor().execute(
            "SELECT source, secret, previous_secret FROM webhook_sources").fetchall()
            if not str(r[1]).startswith(SEALED_PREFIX) or (r[2] is not None and not str(r[2]).startswith(SEALED_PREFIX))]
        if not plain:
            return False
        with self.db.transaction(data=False) as cur:
            for source, secret, previous in plain:
                cur.execute("UPDATE webhook_sources SET secret = ?, previous_secret = ? WHERE source = ?",
                            [self._sealed(secret), None if previous is None else self._sealed(previous), source])
            self.db.mark_rewrite(cur)  # the clear text leaves the file's free blocks too
        self.db.rewrite()
        return True

    def _sealed(self, value: str) -> str:
        return value if value.startswith(SEALED_PREFIX) else self.key.seal(value)

    def set_secret(self, source: str, *, kind: str | None = None,
                   grace: dt.timedelta = ROTATION_GRACE) -> tuple[str, WebhookSource]:
        """Create or rotate a source's secret; the secret is returned here only.

        On a rotation the secret it replaces keeps working for ``grace`` (0: not at all).
        """
        check_source(source)
        if kind is not None and kind not in KINDS:
            raise InvalidArgumentError(f"unknown payload kind {kind!r}", hint="valid kinds: " + ", ".join(KINDS))
        if not dt.timedelta(0) <= grace <= MAX_GRACE:
            raise InvalidArgumentError(f"a grace period of {grace} is out of range",
                                       hint=f"give 0 to {MAX_GRACE.days * 24} hours")
        secret = "whsec_" + secrets.token_urlsafe(32)
        now = _now()
        with self.db.transaction(data=False) as cur:
            row = first(cur.execute("SELECT kind, secret FROM webhook_sources WHERE source = ?", [source]))
            if row is None:
                cur.execute("INSERT INTO webhook_sources (source, kind, secret, created_at) VALUES (?, ?, ?, ?)",
                            [source, kind or "auto", self.key.seal(secret), now])
            else:
                until = now + grace if grace > dt.timedelta(0) else None
                cur.execute("UPDATE webhook_sources SET kind = ?, secret = ?, previous_secret = ?, rotated_at = ?, "
                            "previous_until = ? WHERE source = ?",
                            [kind or row[0], self.key.seal(secret), None if until is None else row[1], now, until,
                             source])
        return secret, self.get(source)

    def revoke_previous(self, source: str) -> WebhookSource:
        """End the grace period of the previous secret now: only the current secret is accepted from here."""
        self.get(source)
        with self.db.transaction(data=False) as cur:
            cur.execute("UPDATE webhook_sources SET previous_secret = NULL, previous_until = NULL WHERE source = ?",
                        [source])
        return self.get(source)

    def get(self, source: str) -> WebhookSource:
        row = self._row(source)
        until = row[5] if row[2] is not None and row[5] is not None and _now() < row[5] else None
        return WebhookSource(source, row[0], jsonable(row[4]), jsonable(row[3]), jsonable(until))

    def list(self) -> list[WebhookSource]:
        rows = self.db.cursor().execute(
            "SELECT source FROM webhook_sources ORDER BY source").fetchall()
        return [self.get(r[0]) for r in rows]

    def delete(self, source: str) -> WebhookSource:
        found = self.get(source)
        with self.db.transaction(data=False) as cur:
            cur.execute("DELETE FROM webhook_sources WHERE source = ?", [source])
        return found

    def _row(self, source: str) -> tuple[Any, ...]:
        row = first(self.db.cursor().execute(
            "SELECT kind, secret, previous_secret, rotated_at, created_at, previous_until FROM webhook_sources "
            "WHERE source = ?",
            [source]))
        if row is None:
            raise NotFoundError(f"no webhook source {source!r}",
                                hint=f"set its secret with `advokit webhook secret {source}`")
        return tuple(row)

    def verify(self, source: str, body: bytes, timestamp: str | None, signature: str | None,
               *, now: float | None = None) -> WebhookSource:
        """Check a delivery's signature and freshness; raise AuthError when it does not hold.

        An unknown source fails exactly as a bad signature does (same error, same
        work: the body is signed with a throw-away secret), so the names of the
        sources cannot be found by trying them.
        """
        if not timestamp or not signature:
            raise AuthError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header",
                            hint="sign the body: sha256=HMAC-SHA256(secret, f'{timestamp}.{body}')")
        row = first(self.db.cursor().execute(
            "SELECT kind, secret, previous_secret, previous_until FROM webhook_sources WHERE source = ?", [source]))
        known = row is not None
        kind, secret, previous, previous_until = row if known else ("auto", secrets.token_urlsafe(32), None, None)
        if known:
            secret, previous = self.key.unseal(secret), None if previous is None else self.key.unseal(previous)
        secrets_ok = [secret]
        if previous and previous_until is not None and _now() < previous_until:  # the grace period
            secrets_ok.append(previous)
        given = [s.strip() for s in signature.split(",") if s.strip()]
        valid = False
        for candidate in secrets_ok:
            expected = sign(candidate, timestamp, body)
            for value in given:
                valid |= hmac.compare_digest(expected.encode(), value.encode())
        if not (valid and known):
            raise AuthError("webhook signature does not match", hint="sign with the source's current secret")
        try:
            sent = int(timestamp)
        except ValueError:
            raise AuthError(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
        clock = time.time() if now is None else now
        if clock - sent > TOLERANCE_S:
            raise AuthError("webhook timestamp is older than 5 minutes (replay rejected)",
                            hint="send deliveries promptly; check the sender's clock")
        if sent - clock > FUTURE_SKEW_S:
            raise AuthError("webhook timestamp is in the future", hint="check the sender's clock")
        return WebhookSource(source, kind, None, None)


# -- payload mapping -----------------------------------------------------------------
def detect_kind(payload: Any) -> str:
    if isinstance(payload, dict):
        if str(payload.get("event_type", "")).startswith("survey_response"):
            return "survey"
        if str(payload.get("type", "")).startswith("referral."):
            return "referral"
    return "canonical"


def to_events(source: str, kind: str, payload: Any) -> list[dict[str, Any]]:
    """Canonical events (data contract) from one delivery."""
    kind = detect_kind(payload) if kind == "auto" else kind
    if kind in PRESET_KINDS:
        raise InvalidArgumentError(f"a {kind} delivery is mapped by the {kind} import preset, not here",
                                   hint="use Workspace.mapping.webhook_events")
    if kind == "survey":
        return [_survey(source, payload)]
    if kind == "referral":
        return [_referral(source, payload)]
    return _canonical(payload)


def _fail(message: str) -> DataError:
    return DataError(message, hint="see the payload shapes in advokit.access.webhooks (docs: README, Webhooks)")


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(f"{what} must be a JSON object")
    return value


def _when(value: Any, what: str) -> str:
    if isinstance(value, bool) or value is None:
        raise _fail(f"{what} is missing or not a time")
    if isinstance(value, (int, float)):
        try:
            return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            raise _fail(f"{what} = {value} is not a usable Unix time") from None
    if isinstance(value, str):
        return value
    raise _fail(f"{what} must be Unix seconds or an ISO 8601 string")


def _id(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        raise _fail(f"{what} is missing")
    return str(value)


def _canonical(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict) and "events" in payload:
        payload = payload["events"]
    items = payload if isinstance(payload, list) else [payload]
    return [_obj(item, "each event") for item in items]


def _survey(source: str, payload: Any) -> dict[str, Any]:
    data = _obj(_obj(payload, "the payload").get("event_data"), "event_data")
    survey = str(data.get("survey_type") or "nps").lower()
    if survey not in _SURVEY_TYPES:
        raise _fail(f"unknown survey_type {survey!r} (nps, csat, ces, advocacy)")
    person = data.get("person") if isinstance(data.get("person"), dict) else {}
    props = data.get("person_properties") if isinstance(data.get("person_properties"), dict) else {}
    customer = props.get("customer_id") or person.get("customer_id") or person.get("id")  # type: ignore[union-attr]
    return {"event_id": f"{source}:{_id(data.get('id'), 'event_data.id')}",
            "customer_id": _id(customer, "the customer (person_properties.customer_id or person.id)"),
            "type": _SURVEY_TYPES[survey], "occurred_at": _when(data.get("created_at"), "event_data.created_at"),
            "score": data.get("score"), "text": data.get("comment"), "channel": data.get("channel") or "survey",
            "properties": {"webhook_source": source}}


def _referral(source: str, payload: Any) -> dict[str, Any]:
    body = _obj(payload, "the payload")
    kind = body.get("type")
    if kind not in _REFERRAL_TYPES:
        raise _fail(f"unknown referral event type {kind!r} ({', '.join(_REFERRAL_TYPES)})")
    data = _obj(body.get("data"), "data")
    advocate = _obj(data.get("advocate"), "data.advocate")
    referred = data.get("referred") if isinstance(data.get("referred"), dict) else {}
    props: dict[str, Any] = {"webhook_source": source}
    if referred.get("customer_id"):  # type: ignore[union-attr]
        props["new_customer_id"] = str(referred["customer_id"])  # type: ignore[index]
    event = {"event_id": f"{source}:{_id(body.get('id'), 'id')}",
             "customer_id": _id(advocate.get("customer_id"), "data.advocate.customer_id"),
             "type": _REFERRAL_TYPES[kind], "occurred_at": _when(body.get("created_at"), "created_at"),
             "ref": None if data.get("referral_code") is None else str(data["referral_code"]),
             "channel": data.get("channel"), "properties": props}
    if kind == "referral.converted":
        event["amount"] = data.get("amount")
    return event
