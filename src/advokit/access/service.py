"""``Access``: who may reach a workspace (API keys, webhook secrets) and what a person may ask of it."""

from __future__ import annotations

from typing import Any

from ..store.database import Database
from . import privacy
from .keys import KeyStore
from .secretkey import SecretKey
from .webhooks import WebhookStore


class Access:
    """API keys, signed webhook sources, and the privacy requests (export, erasure) of one workspace."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.keys = KeyStore(db)
        self.secret_key = SecretKey(db)
        self.secret_key.migrate()  # an erasure salt still in the workspace file moves to the key file
        self.webhooks = WebhookStore(db, self.secret_key)
        self.webhooks.seal_stored()  # webhook secrets an older version kept in the clear get sealed

    def export(self, customer_id: str) -> dict[str, Any]:
        """Everything held about a customer (GDPR access request)."""
        return privacy.export_customer(self.db, customer_id)

    def erase(self, customer_id: str) -> dict[str, Any]:
        """Erase a customer, its events and its mentions, rewrite the file; recorded without personal data."""
        return privacy.erase_customer(self.db, customer_id)
