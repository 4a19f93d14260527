"""The workspace file: one DuckDB database, its schema and migrations, and the id indexes beside it.

Owns every table's definition (:mod:`.database`), reading stored rows as JSON
(:mod:`.rows`), and the in-memory indexes of stored ids that keep imports from
rescanning tables (:mod:`.idindex`, on the bucketed hashes of
:mod:`.sortedhash`). The write lock and the change listeners that tell caches a
write landed live on :class:`Database`. Beside them: the limits on customer
attribute columns (:mod:`.attributes`), the bounds of stored JSON values
(:mod:`.jsonvalues`), the periodic checkpoints (:mod:`.checkpoints`) and the
one way a CSV cell is written safely (:mod:`.csvcells`). May import:
``errors`` only.
"""

from .database import (
                       CUSTOMER_COLUMNS,
                       EVENT_COLUMNS,
                       NON_DIMENSION_COLUMNS,
                       PERSONAL_COLUMNS,
                       SCHEMA_VERSION,
                       Database,
                       check_identifier,
                       default_db_path,
                       quote_ident,
)

__all__ = ["CUSTOMER_COLUMNS", "Database", "EVENT_COLUMNS", "NON_DIMENSION_COLUMNS", "PERSONAL_COLUMNS",
           "SCHEMA_VERSION", "check_identifier", "default_db_path", "quote_ident"]
