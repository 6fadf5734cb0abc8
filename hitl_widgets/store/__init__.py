"""The event log: an append-only store of review events in SQLite or PostgreSQL, the
event vocabulary, and the one fold that turns events into each item's state."""

from .backends import (
    NotAStore,
    StoreBusy,
    StoreError,
    StoreNotFound,
    StoreReadOnly,
    StoreTooNew,
    StoreUnavailable,
    mask_password,
)
from .events import (
    DECIDED_STATUSES,
    EVENT_COLUMNS,
    VERDICTS,
    Action,
    Event,
    ItemState,
    Status,
    fold,
    fold_all,
    vocabulary,
)
from .log import DECISION_COLUMNS, Store, open_store, using_store, utc_now
from .schema import SCHEMA_VERSION

__all__ = [
    "DECIDED_STATUSES",
    "DECISION_COLUMNS",
    "EVENT_COLUMNS",
    "SCHEMA_VERSION",
    "VERDICTS",
    "Action",
    "Event",
    "ItemState",
    "NotAStore",
    "Status",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreNotFound",
    "StoreReadOnly",
    "StoreTooNew",
    "StoreUnavailable",
    "fold",
    "fold_all",
    "mask_password",
    "open_store",
    "using_store",
    "utc_now",
    "vocabulary",
]
