"""The calls log: one row per LLM call of a run, in ``<run>/calls.sqlite``.

A call is one request the client sent to an endpoint, retries included (cache hits and requests that joined
an identical one in flight are not calls). Each row holds the stage, round, item id, endpoint, model, status
(ok, failed, or stopped when the run stopped on it), attempts, seconds, tokens, finish_reason and, for a
failure, its kind and the client's one-line message (API keys already masked). The prompt and reply text are
stored only with ``[calls] text = true``. `evol calls RUN` lists them.

The client reports each finished call to its `on_call` observer; `CallLog.record` is that observer. The item
a call belongs to comes from `CURRENT_ITEM`, which the round sets before it processes an item.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evol.errors import DataError
from evol.rundir import RunDir

if TYPE_CHECKING:
    from evol.config import CallsSettings
    from evol.llm.types import LLMRequest, LLMResult

log = logging.getLogger("evol.calls")

CURRENT_ITEM: contextvars.ContextVar[str] = contextvars.ContextVar("evol_current_item", default="")
COLUMNS = ("id", "at", "round", "stage", "item", "endpoint", "model", "status", "attempts", "seconds",
           "prompt_tokens", "completion_tokens", "finish_reason", "error_kind", "error", "prompt", "reply")
SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
  id INTEGER PRIMARY KEY, at REAL NOT NULL, round INTEGER, stage TEXT, item TEXT, endpoint TEXT, model TEXT,
  status TEXT NOT NULL, attempts INTEGER, seconds REAL, prompt_tokens INTEGER, completion_tokens INTEGER,
  finish_reason TEXT, error_kind TEXT, error TEXT, prompt TEXT, reply TEXT
)
"""


class CallLog:
    """Appends one row per call; each insert is committed at once (a crash loses no finished call)."""

    def __init__(self, path: str | Path, *, text: bool = False) -> None:
        self.path, self.text = Path(path), text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute(SCHEMA)

    def record(self, req: LLMRequest, result: LLMResult | None, error: BaseException | None,
               seconds: float) -> None:
        """The client's `on_call` observer: one finished call, with its result or the error that ended it."""
        row: dict[str, Any] = {"at": time.time(), "round": req.round, "stage": req.stage, "item": CURRENT_ITEM.get(),
                               "model": req.model, "seconds": round(seconds, 4)}
        if result is not None:
            row.update(status="ok", endpoint=result.endpoint, attempts=result.attempts,
                       prompt_tokens=result.usage.get("prompt_tokens"),
                       completion_tokens=result.usage.get("completion_tokens"), finish_reason=result.finish_reason)
        else:
            kind = getattr(error, "kind", None)
            row.update(status="failed" if kind else "stopped", endpoint=getattr(error, "endpoint", ""),
                       attempts=getattr(error, "attempts", None), error_kind=kind or "endpoint_stopped",
                       error=str(error).splitlines()[0][:300] if error else "")
            log.info("call failed: %s %s %s (%s)", req.stage, row["item"] or "-", row["error_kind"], row["error"])
        if self.text:
            row["prompt"] = req.prompt if req.messages is None else json.dumps(req.messages, ensure_ascii=False)
            row["reply"] = result.text if result is not None else None
        names = ", ".join(row)
        self._db.execute(f"INSERT INTO calls ({names}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        log.debug("call %s %s %s %.2fs", row["status"], req.stage, row["item"] or "-", seconds)

    def close(self) -> None:
        self._db.close()


def open_call_log(run_dir: Path, settings: CallsSettings) -> CallLog | None:
    """The run's calls log, or None when `[calls] enabled = false`."""
    return CallLog(RunDir(run_dir).calls, text=settings.text) if settings.enabled else None


def read_calls(run_dir: str | Path, *, failed: bool = False, stage: str | None = None) -> list[dict[str, Any]]:
    """The run's calls in the order they finished; `failed` keeps the failed and stopped ones only."""
    path = RunDir(run_dir).calls
    if not path.is_file():
        raise DataError(f"{path}: no calls log (is {run_dir} a run folder, made with the calls log on?)")
    where, args = [], []
    if failed:
        where.append("status != 'ok'")
    if stage:
        where.append("stage = ?")
        args.append(stage)
    sql = f"SELECT {', '.join(COLUMNS)} FROM calls"
    sql += (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY id"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return [dict(zip(COLUMNS, row, strict=True)) for row in db.execute(sql, args)]
