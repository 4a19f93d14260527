"""API keys: created and revoked by an admin, shown once, stored only as a hash.

A key reads ``adk_<key_id>_<secret>``: the public ``key_id`` finds the row,
the 256-bit random ``secret`` proves possession. The ``api_keys`` table holds
``hmac-sha256$<salt>$<digest>`` with a random per-key salt and an optional
pepper from ``$ADVOKIT_KEY_PEPPER`` (kept outside the workspace file; set it
before creating keys, changing it invalidates every key). The secret has full
entropy, so one keyed SHA-256 is enough: no slow KDF is needed and checking a
key costs microseconds. Comparison is constant-time.

Scopes are ordered: ``read`` < ``write`` < ``admin``; a key may do what its
scope and every lower scope allows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ..errors import AuthError, ForbiddenError, InvalidArgumentError, NotFoundError
from ..store.database import Database
from ..store.rows import first

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")
_RANK: dict[str, int] = {s: i for i, s in enumerate(SCOPES)}
_PREFIX = "adk_"
_KEY = re.compile(r"^adk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
_DUMMY_SALT = "0" * 32


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    name: str
    scope: Scope
    created_at: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "active": self.active}


@dataclass(frozen=True)
class NewKey:
    """A freshly created key: the only time the secret exists outside the caller."""

    key: str
    info: ApiKey

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, **self.info.to_dict()}


def check_scope(scope: str) -> Scope:
    if scope not in _RANK:
        raise InvalidArgumentError(f"unknown scope {scope!r}", hint="valid scopes: read, write, admin")
    return scope  # type: ignore[return-value]  # checked just above


def allows(have: str, need: str) -> bool:
    """Whether a key of scope ``have`` may do what needs ``need``."""
    return _RANK.get(have, -1) >= _RANK[need]


def _pepper() -> bytes:
    return os.environ.get("ADVOKIT_KEY_PEPPER", "").encode()


def _digest(salt: str, secret: str) -> str:
    return hmac.new(_pepper(), bytes.fromhex(salt) + secret.encode(), hashlib.sha256).hexdigest()


def hash_secret(secret: str) -> str:
    salt = secrets.token_hex(16)
    return f"hmac-sha256${salt}${_digest(salt, secret)}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        algo, salt, digest = stored.split("$")
    except ValueError:
        return False
    if algo != "hmac-sha256":
        return False
    return hmac.compare_digest(_digest(salt, secret), digest)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=dt.timezone.utc).isoformat().replace("+00:00", "Z")


class KeyStore:
    """Create, list, revoke and check the API keys of a workspace."""

    _COLUMNS = "key_id, name, scope, created_at, revoked_at"

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, *, name: str, scope: str) -> NewKey:
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidArgumentError("a key needs a name of 1 to 100 characters",
                                       hint="e.g. --name crm-sync")
        scope = check_scope(scope)
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        with self.db.transaction(data=False) as cur:
            cur.execute("INSERT INTO api_keys (key_id, name, scope, key_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                        [key_id, name, scope, hash_secret(secret), now])
        return NewKey(f"{_PREFIX}{key_id}_{secret}", ApiKey(key_id, name, scope, _iso(now), None))

    def list(self, *, include_revoked: bool = True) -> list[ApiKey]:
        sql = f"SELECT {self._COLUMNS} FROM api_keys"
        if not include_revoked:
            sql += " WHERE revoked_at IS NULL"
        rows = self.db.cursor().execute(sql + " ORDER BY created_at, key_id").fetchall()
        return [self._row(r) for r in rows]

    def get(self, key_id: str) -> ApiKey:
        row = first(self.db.cursor().execute(f"SELECT {self._COLUMNS} FROM api_keys WHERE key_id = ?", [key_id]))
        if row is None:
            raise NotFoundError(f"no API key with id {key_id!r}", hint="list keys with `advokit apikey list`")
        return self._row(row)

    def revoke(self, key_id: str) -> ApiKey:
        key = self.get(key_id)
        if key.revoked_at is None:
            with self.db.transaction(data=False) as cur:
                cur.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                            [dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0), key_id])
            key = self.get(key_id)
        return key

    def authenticate(self, token: str | None, *, need: str = "read") -> ApiKey:
        """The active key ``token`` names, with at least scope ``need``; else AuthError / ForbiddenError."""
        if not token:
            raise AuthError("an API key is required",
                            hint="send `Authorization: Bearer KEY`; create one with `advokit apikey create`")
        match = _KEY.match(token)
        row = None
        if match:
            row = first(self.db.cursor().execute(
                f"SELECT {self._COLUMNS}, key_hash FROM api_keys WHERE key_id = ?", [match.group(1)]))
        stored = row[5] if row else f"hmac-sha256${_DUMMY_SALT}${'0' * 64}"
        ok = verify_secret(match.group(2) if match else token, stored)  # same work whether or not the id exists
        if not (ok and row is not None and row[4] is None):
            raise AuthError("invalid or revoked API key", hint="check the key, or create a new one")
        key = self._row(row[:5])
        if not allows(key.scope, need):
            raise ForbiddenError(f"this key has scope {key.scope!r}; this needs {need!r}",
                                 hint=f"use a key created with --scope {need}")
        return key

    @staticmethod
    def _row(row: Any) -> ApiKey:
        return ApiKey(row[0], row[1], row[2], _iso(row[3]), _iso(row[4]))
