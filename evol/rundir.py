"""RunDir: every path and file of one run folder, in one place.

```
<out_dir>/<name>/
  run.lock                 held (fcntl.flock) by the one `evol run` working here, with its pid; left in place
  manifest.json            status, digests, data config, endpoints, model, usage (rewritten as the run goes)
  config.resolved.toml     the config the run was started with, every default written out
  cache.sqlite             the response cache (WAL: -wal/-shm beside it)
  round-00/seeds.jsonl     the seeds (round 0's pool); round 0 answers those without an output
  round-00/answered.jsonl  round 0's journal
  round-NN/pool.jsonl      the items round NN starts from (written before any work)
  round-NN/evolved.jsonl   round NN's journal: one line per finished item, appended as it arrives
  round-NN/kept.jsonl, rejected.jsonl, stats.json   written at the end of the round (stats.json last = done)
  dedup/index-after-round-NN.npz   the near-dup index after round NN (the next round starts from it)
  train.json               the training rows of every finished round
  batch/requests-API.jsonl, results-ID.jsonl, state.json   batch mode's input files, results and state
  export/                  `evol export`'s default outputs (train.json, train.jsonl, train.parquet, hf/)
```

Writers (pipeline, round, export, batch) and readers (report, show, stats, export) use only this.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evol.config_file import read_toml
from evol.errors import ConfigError, DataError, RunBusy
from evol.io import StorageError, WriteError, atomic_write_json, atomic_write_text, write_manifest

LOCK_TRIES = 5  # a reader's probe holds the lock for microseconds: a starting run tries again this often
LOCK_PAUSE = 0.02  # seconds between tries
PID_TRIES = 50  # a probe that finds the lock taken waits up to a second for its holder to write its pid
RUN_ADVICE = "wait for it to end, or use --out for another run"  # what a second run is told
READER_ADVICE = "wait for it to end (its files are still being written)"  # what a reader is told
EXPORT_NAMES = {"json": "train.json", "jsonl": "train.jsonl", "parquet": "train.parquet", "hf": "hf", "rl": "rl.jsonl"}


def _in_run(name: str) -> property:
    """A read-only attribute: the path of ``name`` in the run folder."""

    def path(self: RunDir) -> Path:
        return self.path / name

    return property(path, doc=f"<run>/{name}")


class RunDir:
    """The files of the run folder at ``path`` (nothing is created until something is written)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    # -- run-level files ---------------------------------------------------------------------
    manifest = _in_run("manifest.json")
    resolved_config = _in_run("config.resolved.toml")
    cache = _in_run("cache.sqlite")
    calls = _in_run("calls.sqlite")
    train = _in_run("train.json")
    batch = _in_run("batch")
    batch_state = _in_run("batch/state.json")

    def batch_requests(self, api: str) -> Path:
        """Batch mode's input file for one API (`chat`, `completions`): a batch holds one endpoint path only."""
        return self.batch / f"requests-{api}.jsonl"

    def batch_results(self, batch_id: str) -> Path:
        """The downloaded output of one submitted batch."""
        return self.batch / f"results-{batch_id}.jsonl"
    lock = _in_run("run.lock")

    def export(self, fmt: str) -> Path:
        """Where `evol export --format FMT` writes by default."""
        return self.path / "export" / EXPORT_NAMES[fmt]

    # -- per-round files ---------------------------------------------------------------------
    def round(self, n: int) -> Path:
        return self.path / f"round-{n:02d}"

    def pool(self, n: int) -> Path:
        """What round ``n`` starts from: the seeds for round 0."""
        return self.round(n) / ("seeds.jsonl" if n == 0 else "pool.jsonl")

    def journal(self, n: int) -> Path:
        """The append-only journal of round ``n`` (round 0 answers seeds; later rounds evolve them)."""
        return self.round(n) / ("answered.jsonl" if n == 0 else "evolved.jsonl")

    def kept(self, n: int) -> Path:
        return self.round(n) / "kept.jsonl"

    def rejected(self, n: int) -> Path:
        return self.round(n) / "rejected.jsonl"

    def stats(self, n: int) -> Path:
        """Round ``n``'s stats.json, written last: its presence marks the round as done."""
        return self.round(n) / "stats.json"

    def dedup_index(self, n: int) -> Path:
        """The near-dup index after round ``n`` (rounds start from the previous round's state)."""
        return self.path / "dedup" / f"index-after-round-{n:02d}.npz"

    # -- the run's lock ----------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock for a run (created with the folder); RunBusy at once if another holds it.

        An advisory `fcntl.flock`: the kernel releases it however the holder ends (SIGKILL included).
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # read-only, no permission, a file in the way: the run cannot write its folder
            raise WriteError(exc.errno, exc.strerror, exc.filename or str(self.path)) from None
        try:
            for attempt in range(LOCK_TRIES):
                with contextlib.suppress(BlockingIOError):
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                if attempt + 1 == LOCK_TRIES:
                    raise RunBusy(self.path, _pid_in(fd), RUN_ADVICE)
                time.sleep(LOCK_PAUSE)
            mine = f"{os.getpid()}\n".encode()
            os.pwrite(fd, mine, 0)  # over the last holder's pid, then cut what is left of it
            os.ftruncate(fd, len(mine))
            yield
        finally:
            os.close(fd)  # releases the lock

    def running_pid(self) -> int | None:
        """The pid of the run still going in this folder (0: one is, its pid unknown); None when none is."""
        try:
            fd = os.open(self.lock, os.O_RDONLY)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _pid_in(fd) or 0
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def check_not_running(self, doing: str = READER_ADVICE) -> None:
        """RunBusy (saying `doing`) when a run is still going here (readers call this before reading a run's
        files; a starting run before it reads its inputs)."""
        pid = self.running_pid()
        if pid is not None:
            raise RunBusy(self.path, pid, doing)

    # -- state -------------------------------------------------------------------------------
    def is_done(self, n: int) -> bool:
        return self.stats(n).exists()

    def round_numbers(self) -> tuple[list[int], list[int]]:
        """(finished rounds, rounds started but unfinished) from the round-NN folders, in order."""
        finished, unfinished = [], []
        for folder in sorted(self.path.glob("round-*")):
            suffix = folder.name.removeprefix("round-")
            if folder.is_dir() and suffix.isdigit():
                (finished if (folder / "stats.json").exists() else unfinished).append(int(suffix))
        return finished, unfinished

    def finished_rounds(self) -> list[int]:
        """The finished rounds; DataError when the folder is missing or none is finished."""
        if not self.path.is_dir():
            raise DataError(f"{self.path}: not a run directory (no such folder)")
        finished, _ = self.round_numbers()
        if not finished:
            raise DataError(f"{self.path}: no finished round (no round-NN/stats.json); is the run still going?")
        return finished

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None before the first run wrote one; DataError when it is not a JSON object."""
        if not self.manifest.exists():
            return None
        try:
            data = json.loads(self.manifest.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{self.manifest}: not valid JSON ({exc}); the file looks half-written") from None
        if not isinstance(data, dict):
            raise DataError(f"{self.manifest}: expected a JSON object")
        return data

    def write_manifest(self, manifest: dict[str, Any], failure: StorageError | None = None) -> None:
        """Write the manifest; after a filesystem fault (`failure`) its status is `failed`, with the reason,
        written as best it can be (a full disk may still take a rewrite in place)."""
        if failure is None:
            atomic_write_json(self.manifest, manifest)
        else:
            write_manifest(self.manifest, manifest, failure)

    def read_resolved_config(self) -> dict[str, Any]:
        """The resolved config as a table ({} when absent), read by the config reader; DataError if broken."""
        if not self.resolved_config.exists():
            return {}
        try:
            return read_toml(self.resolved_config)
        except (ConfigError, UnicodeDecodeError) as exc:
            raise DataError(str(exc)) from None

    def write_resolved_config(self, text: str) -> None:
        atomic_write_text(self.resolved_config, text)

    def copy_state(self, dest: str | Path) -> RunDir:
        """A copy of the run's journals and state at ``dest``, without its cache, manifest, lock and batch files."""
        dest = Path(dest)
        if self.path.exists():
            shutil.copytree(self.path, dest, ignore=shutil.ignore_patterns(
                "cache.sqlite*", "calls.sqlite*", "batch", "manifest.json", "run.lock"))
        else:
            dest.mkdir(parents=True)
        return RunDir(dest)


def _pid_in(fd: int) -> int | None:
    """The pid written in a held lock file; None when its holder has not written it within PID_TRIES pauses
    (a run writes its pid just after it takes the lock, so a probe in between waits for it)."""
    for attempt in range(PID_TRIES):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return int(text)
        if attempt + 1 < PID_TRIES:
            time.sleep(LOCK_PAUSE)
    return None
