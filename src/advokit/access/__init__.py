"""Access to a workspace: API keys and their scopes, signed webhook sources, privacy requests.

Owns the ``api_keys``, ``webhook_sources`` and ``erasures`` tables and the
secrets' hashing and signing rules; the privacy module exports and erases one
customer (reading the customer's rows through :mod:`advokit.customers`). May
import: ``customers``, ``store``, ``errors``. Reached as ``ws.access``; the REST
API and the dashboard check keys and signatures with it.
"""

from .keys import SCOPES, ApiKey, KeyStore, NewKey, Scope, allows, check_scope
from .service import Access
from .webhooks import WebhookSource, WebhookStore, sign

__all__ = ["Access", "ApiKey", "KeyStore", "NewKey", "SCOPES", "Scope", "WebhookSource", "WebhookStore", "allows",
           "check_scope", "sign"]
