"""``Settings``: the workspace's own settings (``advokit config``), one ``settings`` row per key.

Keys (:data:`KEYS`):

* ``currency``         the ISO 4217 code money KPIs are reported in (``EUR``; given in any letter case,
                       stored upper-case); unset: amounts are written without a currency.
* ``report.headline``  the report's headline KPIs, comma-separated ids (1 to :data:`MAX_HEADLINE`,
                       distinct, each a KPI of the catalogue); unset: the catalogue's default
                       (``Catalogue.headline_ids``).
* ``listening.brand``  the name of the workspace's own brand in ``properties.brand`` of mentions
                       (compared in any letter case); mentions without a brand are always ours.
* ``advocates.weights.<component>``, ``advocates.tiers.<tier>``  the advocate score's weights and tier
                       cut-offs (numbers; :mod:`.advocates`, defaults in :mod:`advokit.advocates.config`).

Values are checked and normalised when they are set; statements bind them as parameters.
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb

from ..catalogue import Catalogue
from ..errors import InvalidArgumentError, UnknownKpiError
from ..store.database import Database
from . import advocates
from .currencies import CODES

CURRENCY = "currency"
REPORT_HEADLINE = "report.headline"
LISTENING_BRAND = "listening.brand"
#: every key a workspace setting may have, with what it holds
KEYS: dict[str, str] = {
    CURRENCY: "ISO 4217 code of the currency money KPIs are reported in (e.g. EUR, USD, GBP)",
    REPORT_HEADLINE: "the report's headline KPIs: comma-separated KPI ids, 1 to 8 (e.g. nps,csat)",
    LISTENING_BRAND: "our brand's name in properties.brand of mention events (e.g. Advokit); "
                     "mentions without a brand are ours too",
    **advocates.KEYS,
}
MAX_HEADLINE = 8
MAX_VALUE = 1000

HeadlineSource = Literal["workspace", "catalogue"]


def check_key(key: str) -> str:
    if key not in KEYS:
        names = [k for k in KEYS if k not in advocates.KEYS] + list(advocates.FAMILIES)
        raise InvalidArgumentError(f"unknown setting {key!r}", hint="settings: " + ", ".join(names))
    return key


def check_currency(value: str) -> str:
    code = value.strip().upper()
    if code not in CODES:
        close = sorted(c for c in CODES if c[:2] == code[:2])[:5]
        hint = "give an ISO 4217 code such as EUR, USD, GBP, JPY or CHF"
        if close and len(code) == 3 and code.isalpha():
            hint += " (close: " + ", ".join(close) + ")"
        raise InvalidArgumentError(f"unknown currency {value.strip()!r}", hint=hint)
    return code


class Settings:
    """The settings of one workspace; each value is checked against its key when it is set."""

    def __init__(self, db: Database, catalogue: Catalogue) -> None:
        self.db = db
        self.catalogue = catalogue

    # -- the key/value store -------------------------------------------------------------------
    def get(self, key: str) -> str | None:
        """The stored value of a key, None when it is not set."""
        check_key(key)
        try:
            row = self.db.cursor().execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        except duckdb.CatalogException:  # a file of before schema 7 opened read-only: nothing is set
            return None
        return None if row is None else str(row[0])

    def set(self, key: str, value: str) -> dict[str, Any]:
        """Store a value (checked and normalised for its key); returns ``{"key", "value"}`` as stored."""
        stored = self._normalise(check_key(key), value)
        with self.db.transaction(data=False) as cur:
            cur.execute("DELETE FROM settings WHERE key = ?", [key])
            cur.execute("INSERT INTO settings (key, value) VALUES (?, ?)", [key, stored])
        return {"key": key, "value": stored}

    def unset(self, key: str) -> dict[str, Any]:
        """Remove a key (back to its default); ``{"key", "removed"}``: whether it was set."""
        with self.db.transaction(data=False) as cur:
            found = cur.execute("SELECT count(*) FROM settings WHERE key = ?", [check_key(key)]).fetchone()
            cur.execute("DELETE FROM settings WHERE key = ?", [key])
        return {"key": key, "removed": bool(found and found[0])}

    def all(self) -> dict[str, str]:
        """Every key set, by key."""
        try:
            rows = self.db.cursor().execute("SELECT key, value FROM settings ORDER BY key").fetchall()
        except duckdb.CatalogException:  # a file of before schema 7 opened read-only: nothing is set
            return {}
        return {str(k): str(v) for k, v in rows}

    # -- typed reads ------------------------------------------------------------------------------
    def currency(self) -> str | None:
        """The workspace currency (ISO 4217, upper-case), None when not set."""
        value = self.get(CURRENCY)
        return value if value in CODES else None

    def listening_brand(self) -> str | None:
        """Our brand's name in mentions' ``properties.brand``, None when not set."""
        return self.get(LISTENING_BRAND)

    def report_headline(self) -> list[str] | None:
        """The headline KPIs the workspace chose (ids of the catalogue), None when it chose none.

        A stored id the catalogue no longer has is left out; when none is left, None.
        """
        value = self.get(REPORT_HEADLINE)
        if value is None:
            return None
        ids = [i for i in value.split(",") if i in self.catalogue]
        return ids[:MAX_HEADLINE] or None

    def headline(self) -> dict[str, Any]:
        """The report's headline KPIs and where they come from: ``{"kpis": [...], "source": ...}``.

        ``source`` is ``"workspace"`` (``report.headline`` is set) or ``"catalogue"`` (its default).
        """
        chosen = self.report_headline()
        source: HeadlineSource = "workspace" if chosen is not None else "catalogue"
        return {"kpis": chosen if chosen is not None else self.catalogue.headline_ids(MAX_HEADLINE),
                "source": source}

    # -- checks -------------------------------------------------------------------------------------
    def _normalise(self, key: str, value: str) -> str:
        if not isinstance(value, str) or "\x00" in value or len(value) > MAX_VALUE:
            raise InvalidArgumentError(f"the value of {key} is not a short text", hint=KEYS[key])
        if key == CURRENCY:
            return check_currency(value)
        if key in advocates.KEYS:
            return advocates.check(key, value)
        if key == LISTENING_BRAND:
            if not value.strip():
                raise InvalidArgumentError(f"the value of {key} is empty", hint=KEYS[key])
            return value.strip()
        return ",".join(self._headline_ids(value))

    def _headline_ids(self, value: str) -> list[str]:
        names = [part.strip() for part in value.split(",") if part.strip()]
        if not names:
            raise InvalidArgumentError("no KPI given for report.headline", hint=KEYS[REPORT_HEADLINE])
        ids: list[str] = []
        for name in names:
            try:
                kpi_id = self.catalogue.resolve(name)
            except UnknownKpiError as exc:
                raise InvalidArgumentError(f"report.headline: unknown KPI {name!r}", hint=exc.hint,
                                           details=exc.details) from None
            if kpi_id in ids:
                raise InvalidArgumentError(f"report.headline names {kpi_id} twice", hint="name each KPI once")
            ids.append(kpi_id)
        if len(ids) > MAX_HEADLINE:
            raise InvalidArgumentError(f"report.headline names {len(ids)} KPIs, more than {MAX_HEADLINE}",
                                       hint=f"choose at most {MAX_HEADLINE} headline KPIs")
        return ids
