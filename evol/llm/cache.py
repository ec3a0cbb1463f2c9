"""A SQLite (WAL) response cache: successes only, keyed by the request's cache key."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
  key TEXT PRIMARY KEY,
  model TEXT,
  stage TEXT,
  response TEXT NOT NULL,
  created REAL NOT NULL
)
"""


class ResponseCache:
    """Each put is committed at once, so a crash loses at most the calls still in flight."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute(SCHEMA)

    def get(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def has(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone() is not None

    def put(self, key: str, response: dict[str, Any], *, model: str = "", stage: str = "") -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, model, stage, response, created) VALUES (?, ?, ?, ?, ?)",
            (key, model, stage, json.dumps(response, ensure_ascii=False), time.time()),
        )

    def stats(self) -> dict[str, Any]:
        rows = self._db.execute("SELECT stage, COUNT(*) FROM responses GROUP BY stage").fetchall()
        total = sum(n for _, n in rows)
        files = [self.path, self.path.with_name(self.path.name + "-wal")]
        return {"path": str(self.path), "entries": total, "by_stage": {s or "": n for s, n in rows},
                "bytes": sum(f.stat().st_size for f in files if f.exists())}

    def clear(self) -> int:
        n = self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        self._db.execute("DELETE FROM responses")
        self._db.execute("VACUUM")
        return n

    def close(self) -> None:
        self._db.close()
