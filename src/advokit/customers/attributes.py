"""The customer attributes of a workspace: list them, drop one (an admin's remedy for too many).

The limits and the dimension rule are :mod:`advokit.store.attributes`'; this
module is what the shells call (``advokit attribute ...``, ``/v1/attributes``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import InvalidArgumentError, NotFoundError
from ..store import attributes
from ..store.database import CUSTOMER_COLUMNS, Database, check_identifier, quote_ident

_CORE = frozenset({*CUSTOMER_COLUMNS, "updated_at"})


@dataclass(frozen=True)
class Attribute:
    """One extra attribute column: its distinct values and whether it is offered as a dimension."""

    name: str
    distinct_values: int
    dimension: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def extra_attributes(db: Database) -> list[str]:
    """The attribute columns beyond the data contract's fields, in column order."""
    return [c for c in db.customer_columns() if c not in _CORE]


def list_attributes(db: Database) -> list[Attribute]:
    names = extra_attributes(db)
    counts = attributes.cardinalities(db, names)
    return [Attribute(n, counts[n], counts[n] <= attributes.MAX_DIMENSION_VALUES) for n in names]


def drop_attribute(db: Database, name: str) -> Attribute:
    """Drop an extra attribute column with its values; what used it (rollups, cached views) is invalidated.

    The drop is a data write (``Database.transaction``): it removes the saved rollups' markers in
    the same transaction and tells every cache of the process that the data changed.
    """
    if name in _CORE:
        raise InvalidArgumentError(f"{name!r} is a field of the data contract, not an extra attribute",
                                   hint="only attributes added by an import can be dropped")
    try:
        check_identifier(name)
    except InvalidArgumentError:
        raise NotFoundError(f"unknown customer attribute {name!r}",
                            hint=_known(db)) from None
    with db.transaction() as cur:
        names = [r[0] for r in cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'").fetchall()]
        if name not in names:
            raise NotFoundError(f"unknown customer attribute {name!r}", hint=_known(db, names))
        found = attributes.cardinalities(db, [name])[name]
        cur.execute(f"ALTER TABLE customers DROP COLUMN {quote_ident(name)}")
    return Attribute(name, found, found <= attributes.MAX_DIMENSION_VALUES)


def _known(db: Database, names: list[str] | None = None) -> str:
    extras = [c for c in (names if names is not None else db.customer_columns()) if c not in _CORE]
    return "attributes: " + ", ".join(extras) if extras else "this workspace has no extra attributes"
