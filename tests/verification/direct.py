"""Run a driver program outside the sandbox (the language's own compile and run words, a pipe as the results
fd), for driver tests that need no bubblewrap: (decoded records, exit status, stdout)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evol.sandbox.languages import RUNNERS, java_main, resolved_argv


@dataclass(frozen=True)
class Case:
    """The shape of evol.verification.cases.Case that drivers read."""

    call: str | None
    stdin: str | None = None
    expected: str = "null"
    tolerance: float | None = None


@dataclass(frozen=True)
class Ran:
    records: list[dict[str, Any]]
    returncode: int
    stdout: str
    stderr: str
    raw: bytes


def require(language: str) -> None:
    missing = RUNNERS[language].missing()
    if missing:
        pytest.skip(missing)


def run(language: str, source: str, folder: Path, timeout: float = 120.0) -> Ran:
    """Build (if the language compiles) and run `source` in `folder`; the records read from the pipe."""
    runner = RUNNERS[language]
    main = java_main(source) if language == "java" else "Main"
    filename = f"{main}.java" if language == "java" else runner.filename
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_text(source, encoding="utf-8")
    env = {**os.environ, **runner.env, "GOCACHE": str(folder / ".gocache"), "GOPATH": str(folder / ".gopath")}
    from dataclasses import replace

    runner = replace(runner, filename=filename)
    if runner.compile:
        built = subprocess.run(resolved_argv(runner.compile, runner, str(folder), main, 256), capture_output=True,
                               text=True, env=env, timeout=timeout)
        if built.returncode != 0:
            return Ran([], -1000, "", built.stderr, b"")
    read, write = os.pipe()
    env["EVOL_RESULTS_FD"] = str(write)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(read, 65536), b"")))
    reader.start()
    try:
        stdin = (folder / filename).open("rb") if runner.stdin_source else subprocess.DEVNULL
        done = subprocess.run(resolved_argv(runner.run, runner, str(folder), main, 512), stdin=stdin,
                              capture_output=True, env=env, pass_fds=(write,), timeout=timeout, cwd=folder)
    finally:
        os.close(write)
        reader.join()
        os.close(read)
    raw = b"".join(chunks)
    stdout = done.stdout.decode("utf-8", "replace")
    if language == "sql":
        from evol.verification.drivers import sql

        raw = sql.records(done.stdout)
    records = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    return Ran(records, done.returncode, stdout, done.stderr.decode("utf-8", "replace"), raw)
