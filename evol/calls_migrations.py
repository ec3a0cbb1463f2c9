"""The calls log's schema as named migrations, applied once each, in order (PRAGMA user_version counts them).

A run folder made by an older evol resumes: opening its calls.sqlite applies the migrations it has not seen.
Adding a column is one more function at the end of `MIGRATIONS` (never edit or reorder an applied one).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Decorator: append `fn` to the migrations, under its function name."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_calls(db: sqlite3.Connection) -> None:
    """The first table (logs made before schema versions already hold it)."""
    db.execute("""
CREATE TABLE IF NOT EXISTS calls (
  id INTEGER PRIMARY KEY, at REAL NOT NULL, round INTEGER, stage TEXT, item TEXT, endpoint TEXT, model TEXT,
  status TEXT NOT NULL, attempts INTEGER, seconds REAL, prompt_tokens INTEGER, completion_tokens INTEGER,
  finish_reason TEXT, error_kind TEXT, error TEXT, prompt TEXT, reply TEXT
)""")


@migration
def m002_sent_params_token_details(db: sqlite3.Connection) -> None:
    """The parameters as sent (after the endpoint's dialect), reasoning and cached tokens, the served model."""
    for column in ("params TEXT", "reasoning_tokens INTEGER", "cached_tokens INTEGER", "usage TEXT",
                   "served_model TEXT"):
        db.execute(f"ALTER TABLE calls ADD COLUMN {column}")


def version(db: sqlite3.Connection) -> int:
    """How many migrations this database has had."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations `db` has not had, each in its own transaction; the names applied."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    applied = []
    for number, fn in enumerate(MIGRATIONS, start=1):
        if version(db) >= number:
            continue
        with db:  # one transaction: the step and the version move together
            db.execute("BEGIN IMMEDIATE")
            if version(db) < number:  # another process may have applied it meanwhile
                fn(db)
                db.execute("INSERT OR REPLACE INTO _migrations VALUES (?, ?)", (fn.__name__, time.time()))
                db.execute(f"PRAGMA user_version = {number}")
                applied.append(fn.__name__)
    return applied
