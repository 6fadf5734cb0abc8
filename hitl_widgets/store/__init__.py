"""The event log: an append-only store of review events in SQLite or PostgreSQL."""

from .log import DECIDED_STATUSES, ItemState, Store, fold_event, open_store, utc_now
from .schema import EVENT_COLUMNS, SCHEMA_VERSION

__all__ = [
    "DECIDED_STATUSES",
    "EVENT_COLUMNS",
    "ItemState",
    "SCHEMA_VERSION",
    "Store",
    "fold_event",
    "open_store",
    "utc_now",
]
