"""Near misses: the columns of a file that are probably the field it lacks (``signup_at`` ← ``signup_date``)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

#: Names other tools give a canonical field, best first (compared normalised, see :func:`_key`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer", "customerid", "account_id", "accountid", "client_id", "user_id", "contact_id",
                    "record_id", "id"),
    "signup_at": ("signup_date", "signed_up_at", "signup", "created_at", "create_date", "created_date",
                  "created", "start_date", "started_at", "joined_at", "join_date", "customer_since"),
    "occurred_at": ("date", "timestamp", "created_at", "submitted_at", "submit_date", "recorded_date",
                    "event_date", "event_time", "time", "datetime", "created", "end_date"),
    "type": ("event_type", "kind", "event", "category"),
    "event_id": ("id", "response_id", "eventid", "uuid"),
    "churned_at": ("churn_date", "churned", "cancelled_at", "canceled_at", "end_date", "closed_at"),
    "score": ("rating", "value", "nps", "stars"),
}
#: How alike two normalised names must be for difflib to propose one (0 to 1).
CUTOFF = 0.6


def _key(name: str) -> str:
    """A name compared: lower-case, every run of other characters than letters and digits one underscore."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")


def suggest(field: str, columns: Iterable[str], limit: int = 3) -> list[str]:
    """Up to ``limit`` columns of ``columns`` closest to ``field``, closest first (the names as given).

    A column that is a known synonym of the field comes first (in the order of
    :data:`SYNONYMS`), then those difflib finds alike; a column is named once.
    """
    names = [c for c in columns if _key(c)]
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(_key(name), name)
    target = _key(field)
    out: list[str] = []
    for synonym in SYNONYMS.get(target, ()):
        if synonym in by_key and by_key[synonym] not in out:
            out.append(by_key[synonym])
    # the field's name inside a column's (customer_id in customer_id_2) or a column's key in the field's
    contains = [by_key[k] for k in by_key if k != target and (target in k or (len(k) > 2 and k in target))]
    alike = [by_key[k] for k in difflib.get_close_matches(target, list(by_key), n=limit + len(out), cutoff=CUTOFF)]
    for name in [*alike, *contains]:
        if name not in out:
            out.append(name)
    return out[:limit]
