"""The calls log: one row per LLM call of a run, in ``<run>/calls.sqlite``.

A call is one request the client sent to an endpoint, retries included (cache hits and requests that joined
an identical one in flight are not calls). Each row holds the stage, round, item id, endpoint, the model asked
for and the model that served it, status (ok, failed, or stopped when the run stopped on it: the endpoint's
fatal error, or `interrupted` by Ctrl-C or SIGTERM while the request was out), attempts,
seconds, tokens (prompt, completion, reasoning, cached, and the whole usage as JSON), finish_reason, the
parameters as sent (after the endpoint's dialect rewrote them: evol.llm.dialect) and, for a failure, its kind
and the client's one-line message (API keys already masked). The prompt and reply text are stored only with
``[calls] text = true``. `evol calls RUN` lists them.

The client reports each finished call to its `on_call` observer; `CallLog.record` is that observer. It only
queues the row: a writer thread inserts what has queued in one transaction, off the event loop. `flush`
(at each round's end) and `close` (when the run ends, by error or Ctrl-C too) wait for the queue to drain.
The schema is versioned and migrated on open (evol/calls_migrations.py), so an older run's log resumes.
The item a call belongs to comes from `CURRENT_ITEM`, which the round sets before it processes an item.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import queue
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evol.calls_migrations import migrate
from evol.errors import DataError
from evol.rundir import RunDir

if TYPE_CHECKING:
    from evol.config import CallsSettings
    from evol.llm.types import LLMRequest, LLMResult

log = logging.getLogger("evol.calls")

CURRENT_ITEM: contextvars.ContextVar[str] = contextvars.ContextVar("evol_current_item", default="")
COLUMNS = ("id", "at", "round", "stage", "item", "endpoint", "model", "served_model", "status", "attempts",
           "seconds", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens", "finish_reason",
           "error_kind", "error", "params", "usage", "prompt", "reply")
_STOP = object()


def call_row(req: LLMRequest, result: LLMResult | None, error: BaseException | None, seconds: float,
             text: bool = False) -> dict[str, Any]:
    """The log row of one finished call, with its result or the error that ended it."""
    row: dict[str, Any] = {"at": time.time(), "round": req.round, "stage": req.stage, "item": CURRENT_ITEM.get(),
                           "model": req.model, "seconds": round(seconds, 4)}
    if result is not None:
        usage = result.usage or {}
        row.update(status="ok", endpoint=result.endpoint, attempts=result.attempts, served_model=result.model,
                   prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens"),
                   reasoning_tokens=usage.get("reasoning_tokens"), cached_tokens=usage.get("cached_tokens"),
                   usage=json.dumps(usage, sort_keys=True), finish_reason=result.finish_reason)
        sent = result.sent_params
    else:
        kind = getattr(error, "kind", None)
        interrupted = isinstance(error, (asyncio.CancelledError, KeyboardInterrupt))
        row.update(status="failed" if kind else "stopped", endpoint=getattr(error, "endpoint", ""),
                   attempts=getattr(error, "attempts", None),
                   error_kind=kind or ("interrupted" if interrupted else "endpoint_stopped"),
                   error=(str(error).splitlines() or [""])[0][:300] if error else "")
        sent = getattr(error, "sent_params", None)
    if sent is not None:
        row["params"] = json.dumps(sent, sort_keys=True, ensure_ascii=False, default=str)
    if text:
        row["prompt"] = req.prompt if req.messages is None else json.dumps(req.messages, ensure_ascii=False)
        row["reply"] = result.text if result is not None else None
    return row


class CallLog:
    """Queues one row per call; a writer thread commits them in batches (one transaction per batch)."""

    def __init__(self, path: str | Path, *, text: bool = False) -> None:
        self.path, self.text = Path(path), text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        for name in migrate(self._db):
            log.info("calls log %s: migrated (%s)", self.path, name)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._writer = threading.Thread(target=self._write, name="evol-calls-log", daemon=True)
        self._writer.start()

    def record(self, req: LLMRequest, result: LLMResult | None, error: BaseException | None,
               seconds: float) -> None:
        """The client's `on_call` observer: queue the row of one finished call (the writer commits it)."""
        row = call_row(req, result, error, seconds, self.text)
        if row["status"] != "ok":
            log.info("call failed: %s %s %s (%s)", req.stage, row["item"] or "-", row["error_kind"], row["error"])
        log.debug("call %s %s %s %.2fs", row["status"], req.stage, row["item"] or "-", seconds)
        self._queue.put(row)

    def _write(self) -> None:
        """The writer thread: each batch is what queued while the last one was written."""
        while True:
            batch = [self._queue.get()]
            with contextlib.suppress(queue.Empty):
                while True:
                    batch.append(self._queue.get_nowait())
            rows = [r for r in batch if r is not _STOP]
            try:
                if rows:
                    self._insert(rows)
            except Exception as exc:  # a full disk, say: the log is not the data, the run goes on
                log.warning("calls log %s: %d row(s) not written (%s)", self.path, len(rows), exc)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if len(rows) < len(batch):
                return

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self._db:
            self._db.execute("BEGIN")
            for row in rows:
                names = ", ".join(row)
                self._db.execute(f"INSERT INTO calls ({names}) VALUES ({', '.join('?' * len(row))})",
                                 list(row.values()))

    def flush(self) -> None:
        """Wait until every queued row is committed."""
        if self._writer.is_alive():
            self._queue.join()

    def close(self) -> None:
        """Commit what is queued, stop the writer, close the database (safe to call twice)."""
        if self._writer.is_alive():
            self._queue.put(_STOP)
            self._writer.join()
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
    sql = "SELECT * FROM calls" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY id"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        cursor = db.execute(sql, args)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor]
    return [{k: row.get(k) for k in COLUMNS} for row in rows]  # a log not yet migrated lacks the newer columns
