"""The simulator evol starts ends with evol, even when evol is killed with SIGKILL, and leaves no temp folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from evol.sim.launch import SimProcess

REPO = Path(__file__).resolve().parents[2]


def _gone(pids: list[int], within: float) -> list[int]:
    """The pids still alive (zombies count as gone) after waiting up to `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _children_until(proc: subprocess.Popen[bytes], test: str, within: float = 120.0) -> list[psutil.Process]:
    """All descendants of `proc` once one of them runs `evol sim` (fails if it never does)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and proc.poll() is None:
        kids = psutil.Process(proc.pid).children(recursive=True)
        try:
            if any(test in " ".join(k.cmdline()) for k in kids):
                return kids
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.05)
    pytest.fail(f"no `{test}` child seen (run exited {proc.poll()})")


def test_sigkill_of_evol_run_leaves_no_process_of_it(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the sim's temp folder lands here
    cmd = [sys.executable, "-m", "evol", "run", "--config", str(REPO / "pipelines/demo.toml"),
           "--out", str(tmp_path / "run"), "--seeds", str(REPO / "data/seeds/code_seeds.jsonl"), "--rounds", "3"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO, env=env)
    try:
        kids = _children_until(proc, "evol sim")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        alive = _gone([k.pid for k in kids], within=30)
        assert not alive, [psutil.Process(p).cmdline() for p in alive if psutil.pid_exists(p)]
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_stopped_sim_removes_its_temp_folder_and_a_killed_parent_takes_the_sim_along(tmp_path: Path) -> None:
    with SimProcess() as sim:
        folder = sim.tmpdir
        assert folder is not None and folder.is_dir()
    assert not folder.exists()

    parent = subprocess.Popen([sys.executable, "-c", "import time; from evol.sim.launch import SimProcess; "
                               "s = SimProcess().start(); print(s.proc.pid, flush=True); time.sleep(600)"],
                              stdout=subprocess.PIPE, cwd=REPO)
    try:
        assert parent.stdout is not None
        sim_pid = int(parent.stdout.readline())
        assert psutil.pid_exists(sim_pid)
        parent.kill()
        parent.wait(timeout=30)
        assert not _gone([sim_pid], within=30)
    finally:
        if parent.poll() is None:
            parent.kill()
