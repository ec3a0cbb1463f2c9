"""Start the sim in its own process on a free loopback port, and stop it again.

The sim dies with the process that started it, even on SIGKILL (evol.lifetime), and its temporary folder
(port file, log) is removed when it is stopped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.panel import Panel

from evol.errors import EndpointError
from evol.lifetime import die_with_parent, stop_process


class SimProcess:
    """Context manager: `with SimProcess() as sim: sim.base_url` -> 'http://127.0.0.1:PORT/v1'."""

    def __init__(self, *args: str) -> None:
        self.args = list(args)
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.log_path: Path | None = None
        self.tmpdir: Path | None = None

    def start(self, timeout: float = 30.0) -> SimProcess:
        tmpdir = self.tmpdir = Path(tempfile.mkdtemp(prefix="evol-sim-"))
        port_file = tmpdir / "port"
        cmd = [sys.executable, "-m", "evol", "sim", "--port", "0", "--port-file", str(port_file), *self.args]
        self.log_path = tmpdir / "sim.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log,
                                         env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                         preexec_fn=die_with_parent())  # before any thread is started
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.log_path.read_text(errors="replace")
                self.stop()
                raise EndpointError(f"the built-in simulator exited at start-up: {err.strip()[-500:]}")
            if port_file.exists():
                self.base_url = f"http://127.0.0.1:{port_file.read_text().strip()}/v1"
                try:
                    if httpx.get(self.base_url.removesuffix("/v1") + "/health", timeout=2).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise EndpointError("the built-in simulator did not start within 30 s")

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def sim_banner(console: Console, url: str) -> None:
    """The warning a run prints when it falls back to the sim: its data is synthetic."""
    console.print(Panel.fit(
        "[bold]No endpoint configured[/bold] (no --base-url, no endpoint.base_url, no OPENAI_BASE_URL).\n"
        f"Using the built-in OFFLINE SIMULATOR at {url} (model 'evol-sim').\n"
        "[bold red]The data this run makes is SYNTHETIC[/bold red]: rule-based rewrites and canned answers,\n"
        "good for trying the pipeline, worthless for training. Point evol at a real endpoint with\n"
        "  make evolve BASE_URL=http://localhost:8000/v1 MODEL=<served model>",
        title="[bold yellow]evol: SIMULATED ENDPOINT[/bold yellow]", border_style="yellow"))


def synthetic_banner(console: Console, urls: list[str]) -> None:
    """The endpoint given is evol's simulator (it says so in every reply): the data is synthetic."""
    console.print(Panel.fit(
        f"{', '.join(urls)} is evol's OFFLINE SIMULATOR (it marks itself so in /v1/models and every reply).\n"
        "[bold red]The data this run makes is SYNTHETIC[/bold red]: rule-based rewrites and canned answers,\n"
        "good for trying the pipeline, worthless for training; the run's manifest, stats and card say so.",
        title="[bold yellow]evol: SIMULATED ENDPOINT[/bold yellow]", border_style="yellow"))
