"""The event log's schema, its version, and the migrations between versions.

One schema for SQLite and PostgreSQL: the few type words that differ are filled in
per dialect (`{serial}`, `{real}`), so both back ends run the same migrations.
"""

from __future__ import annotations

from .events import EVENT_COLUMNS

__all__ = ["EVENT_COLUMNS", "MIGRATIONS", "SCHEMA_VERSION", "STATE_COLUMNS"]

SCHEMA_VERSION = 5

# The item_state table (v4): the fold of `events.fold` kept with the log, one row per
# (task, item, content hash, annotator), written in the same transaction as the events
# it folds, so `decisions()` reads states instead of re-folding the whole log.
STATE_COLUMNS: tuple[str, ...] = (
    "task",
    "item_id",
    "content_hash",
    "annotator",
    "kind",
    "action",
    "status",
    "label",
    "note",
    "ratings",
    "model_label",
    "verdict_id",
    "rating_id",
    "event_id",
    "decided_at",
    "duration_ms",
    "model_confidence",
    "guideline_version",
    "session_id",
    "has_data",
    "n_events",
    "stack",
)

# Each migration moves the schema from version (key - 1) to version key.
# Never edit a released migration: add a new one.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS events (
            seq {serial},
            event_id TEXT NOT NULL UNIQUE,
            task TEXT NOT NULL,
            item_id TEXT NOT NULL,
            content_hash TEXT,
            action TEXT NOT NULL,
            label_before TEXT,
            label_after TEXT,
            model_label TEXT,
            model_confidence {real},
            annotator TEXT,
            created_at TEXT NOT NULL,
            duration_ms {real},
            guideline_version TEXT,
            session_id TEXT,
            note TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS events_task_item ON events (task, item_id)",
    ],
    # v2: the review kind and a JSON payload for kinds beyond classification
    # (edited text, rubric ratings, pairwise sides, routing reasons).
    2: [
        "ALTER TABLE events ADD COLUMN kind TEXT NOT NULL DEFAULT 'classification'",
        "ALTER TABLE events ADD COLUMN data TEXT",
        "CREATE INDEX IF NOT EXISTS events_task_annotator ON events (task, annotator)",
    ],
    # v3: several annotators on one store. `claims` hands items out (overlap k: an item
    # is claimed by at most k annotators, each at most once; a claim is done once its
    # annotator decided, or lapses at expires_at). `guidelines` keeps every version of
    # a task's guideline text.
    3: [
        """CREATE TABLE IF NOT EXISTS claims (
            task TEXT NOT NULL,
            item_id TEXT NOT NULL,
            annotator TEXT NOT NULL,
            claimed_at TEXT NOT NULL,
            expires_at {real} NOT NULL,
            done INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (task, item_id, annotator)
        )""",
        "CREATE INDEX IF NOT EXISTS claims_task_item ON claims (task, item_id)",
        """CREATE TABLE IF NOT EXISTS guidelines (
            task TEXT NOT NULL,
            version TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (task, version)
        )""",
    ],
    # v4: the fold kept with the log (see STATE_COLUMNS); filled from the events of the
    # store being migrated by `Store._migrate` (a Python fold, once).
    4: [
        """CREATE TABLE IF NOT EXISTS item_state (
            task TEXT NOT NULL,
            item_id TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            annotator TEXT NOT NULL,
            kind TEXT,
            action TEXT,
            status TEXT,
            label TEXT,
            note TEXT,
            ratings TEXT,
            model_label TEXT,
            verdict_id TEXT,
            rating_id TEXT,
            event_id TEXT,
            decided_at TEXT,
            duration_ms {real},
            model_confidence {real},
            guideline_version TEXT,
            session_id TEXT,
            has_data INTEGER NOT NULL DEFAULT 0,
            n_events INTEGER NOT NULL DEFAULT 0,
            stack TEXT,
            PRIMARY KEY (task, item_id, content_hash, annotator)
        )""",
        "CREATE INDEX IF NOT EXISTS item_state_task_annotator ON item_state (task, annotator)",
    ],
    # v5: group quotas under overlap k (`group_quota`). A claim records the group its
    # annotator belonged to when claiming (NULL: no group, or claimed before v5), so a
    # claimer can count, in its own transaction, how many of an item's k slots each
    # group holds. Old rows read as NULL: they fill the slots no quota reserves.
    5: [
        "ALTER TABLE claims ADD COLUMN grp TEXT",
    ],
}
