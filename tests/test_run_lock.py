"""One run per folder: a second `evol run` stops at once naming the first, and readers wait for the run."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from evol.errors import RunBusy
from evol.pipeline import run
from evol.rundir import RUN_ADVICE, RunDir
from evol.sim.launch import SimProcess
from tests.helpers import REPO, demo_config


def evol(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evol", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=300)


def run_args(out: Path, url: str) -> list[str]:
    return ["run", "--config", str(REPO / "pipelines/demo.toml"), "--out", str(out), "--limit", "12", "--rounds", "1",
            "--seeds", str(REPO / "data/seeds/code_seeds.jsonl"), "--base-url", url, "--model", "evol-sim",
            "--concurrency", "2"]


def error_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr[-2000:]
    return lines[0]


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lock") / "run"
    run(demo_config(out, limit=3, rounds=0, **{"decontam.enabled": False}))
    return out


def test_a_second_run_and_the_readers_stop_at_once_while_a_run_holds_the_folder(finished: Path) -> None:
    files = RunDir(finished)
    with files.locked():  # this process plays the run still going
        assert files.running_pid() == os.getpid()
        with pytest.raises(RunBusy, match=str(os.getpid())):
            run(demo_config(finished, limit=3, rounds=0, **{"decontam.enabled": False}))
        second = evol(*run_args(finished, "http://127.0.0.1:9/v1"))
        assert second.returncode == 3 and f"process {os.getpid()}" in error_line(second)
        for reader in (["stats", str(finished)], ["show", str(finished), "s-"], ["report", str(finished)],
                       ["export", str(finished), "--out", str(finished.parent / "x.json")]):
            done = evol(*reader)
            assert done.returncode == 3 and "still going" in error_line(done), reader
        assert not (finished.parent / "x.json").exists()
    assert files.running_pid() is None  # released with its holder
    assert evol("stats", str(finished)).returncode == 0


def test_two_runs_at_once_on_one_folder_make_the_calls_of_one(tmp_path: Path) -> None:
    solo_log, pair_log = tmp_path / "solo.log", tmp_path / "pair.log"
    with SimProcess("--latency", "0.2", "--log", str(solo_log)) as sim:
        assert evol(*run_args(tmp_path / "solo", sim.base_url)).returncode == 0
    with SimProcess("--latency", "0.2", "--log", str(pair_log)) as sim:
        cmd = [sys.executable, "-m", "evol", *run_args(tmp_path / "pair", sim.base_url)]
        procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)
                 for _ in range(2)]
        results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 3], results
    loser = next(err for code, err in results if code == 3)
    assert [line for line in loser.splitlines() if line.strip()][-1].startswith("error: ")
    assert "a run is still going in this folder (process " in loser
    assert len(pair_log.read_text().split()) == len(solo_log.read_text().split()) > 0
    assert (tmp_path / "pair" / "train.json").read_bytes() == (tmp_path / "solo" / "train.json").read_bytes()


def test_a_probe_just_after_a_run_took_the_lock_waits_for_its_pid(tmp_path: Path) -> None:
    """The race CI met: a second run looked between the first run's flock and its pid write, and named nobody."""
    files = RunDir(tmp_path / "run")
    files.path.mkdir()
    fd = os.open(files.lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # taken, its pid not written yet
        late = threading.Timer(0.03, os.pwrite, (fd, b"4242\n", 0))
        late.start()
        with pytest.raises(RunBusy, match="process 4242") as busy:
            files.check_not_running(RUN_ADVICE)
        late.join()
        assert "use --out for another run" in str(busy.value)
    finally:
        os.close(fd)
    assert files.running_pid() is None
