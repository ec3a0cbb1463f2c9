"""The Ray backend against a local Ray instance on loopback: same outcomes as the local Sandbox, worker loss
retried (never a failed program), and a pipeline run whose train.json matches the local backend's.

Ray starts once for the module (about 15 s on 2 cores): two nodes of 2 logical CPUs each on this machine, in a
temp dir; each test closes the sandboxes it starts, and the last one removes the second node mid-run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evol.config import PipelineConfig
from evol.errors import ConfigError
from evol.sandbox import Limits, Sandbox, default_sandbox, run_many
from evol.sandbox.ray_backend import RaySandbox, WorkerLost, plan_slots
from evol.sandbox.ray_local import local_instance
from evol.sandbox.settings import SandboxSettings, build_sandbox, close_shared
from tests.helpers import demo_config

pytestmark = pytest.mark.slow

PROGRAMS = {
    "pass": "print(sum(range(10)))",
    "assert": "def f(x):\n    return x + 1\n\nassert f(1) == 3, 'f is wrong'",
    "zero": "print('before')\n1 / 0",
    "exit": "import sys\nsys.exit(3)",
    "loop": "while True:\n    pass",
    "sleep": "import time\ntime.sleep(60)",
}
LIMITS = Limits(timeout_s=1.0, memory_mb=256)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    with local_instance(num_cpus=2, extra_nodes=(2,)) as cluster:
        yield cluster


def outcome(result: Any) -> tuple[Any, ...]:
    return result.status, result.kind, result.error, result.exit_code, result.stdout


def test_node_slots_are_spread_and_capped() -> None:
    assert plan_slots([("a", 2), ("b", 2)], None) == [("a", 2), ("b", 2)]
    assert plan_slots([("a", 4), ("b", 2)], 3) == [("a", 2), ("b", 1)]
    assert plan_slots([("a", 1), ("b", 0)], 5) == [("a", 1)]


def test_settings_are_strict_and_build_the_backend() -> None:
    assert build_sandbox(SandboxSettings()) is default_sandbox()
    small = build_sandbox(SandboxSettings(workers=1, memory_mb=256))
    assert isinstance(small, Sandbox) and (small.workers, small.limits.memory_mb) == (1, 256)
    settings = SandboxSettings(backend="ray", address="ray://head:10001", workers=3, timeout_s=7.5,
                               max_lost_retries=4)
    ray_sb = build_sandbox(settings)
    assert isinstance(ray_sb, RaySandbox)  # nothing connects until the first program
    assert build_sandbox(settings.model_copy()) is ray_sb  # the filter and verification share one set of actors
    assert (ray_sb.address, ray_sb.wanted, ray_sb.limits.timeout_s, ray_sb.max_lost_retries) == (
        "ray://head:10001", 3, 7.5, 4)
    with pytest.raises(ConfigError, match="sandbox.backend"):
        demo_config(Path("/nonexistent/x"), **{"sandbox.backend": "slurm"})
    with pytest.raises(ConfigError, match="sandbox.workers"):
        demo_config(Path("/nonexistent/x"), **{"sandbox.workers": "2"})
    assert PipelineConfig().sandbox.backend == "local"


def test_the_backend_is_not_part_of_the_data_digest() -> None:
    """A run may resume on the other backend; the verification limits do shape the data."""
    from evol.pipeline import data_digest

    out = Path("/nonexistent/x")
    local = data_digest(demo_config(out))
    assert data_digest(demo_config(out, **{"sandbox.backend": "ray", "sandbox.address": "ray://h:10001",
                                           "sandbox.workers": 64, "sandbox.max_lost_retries": 5})) == local
    assert data_digest(demo_config(out, **{"sandbox.timeout_s": 9.0})) != local


def test_no_cluster_is_a_config_error_naming_the_address(tmp_path: Path) -> None:
    """In a fresh process with no Ray running (nor RAY_ADDRESS): a one-line ConfigError naming sandbox.address."""
    code = ("from evol.sandbox.ray_backend import RaySandbox\n"
            "RaySandbox(address='auto').run('print(1)')")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env["TMPDIR"] = str(tmp_path)  # `auto` looks for a cluster `ray start` recorded under $TMPDIR/ray
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("evol.errors.ConfigError: sandbox.address = 'auto': cannot connect to a Ray cluster")
    assert "ray start --head" in last


def test_outcomes_match_the_local_sandbox(ray_cluster: Any) -> None:
    keys = list(PROGRAMS)
    local = dict(run_many(Sandbox(limits=LIMITS, workers=2), enumerate(PROGRAMS.values()), limits=LIMITS))
    with RaySandbox(address=None, workers=2, limits=LIMITS) as ray_sandbox:
        remote = dict(run_many(ray_sandbox, enumerate(PROGRAMS.values()), limits=LIMITS))
        nodes = ray_sandbox.describe()["nodes"]
        assert ray_sandbox.supports("python") and not ray_sandbox.supports("klingon")
        assert ray_sandbox.lost == 0
    assert len({n["node"] for n in nodes}) == 2 and [n["slots"] for n in nodes] == [1, 1]  # one slot per node
    assert all(n["pid"] != os.getpid() for n in nodes)
    assert {keys[i]: r.status for i, r in remote.items()} == {
        "pass": "passed", "assert": "failed", "zero": "failed", "exit": "failed", "loop": "timed_out",
        "sleep": "timed_out"}
    assert {keys[i]: outcome(r) for i, r in remote.items()} == {keys[i]: outcome(r) for i, r in local.items()}
    assert remote[0].stdout == "45\n" and remote[1].kind == "AssertionError" and remote[2].stdout == "before\n"


def test_a_second_driver_connects_by_address(ray_cluster: Any, tmp_path: Path) -> None:
    """Another process (as `evol run` on a cluster node) reaches the cluster through `address` alone."""
    address = ray_cluster.address
    code = ("import json, sys\n"
            "from evol.sandbox.ray_backend import RaySandbox\n"
            "with RaySandbox(address=sys.argv[1], workers=1) as sb:\n"
            "    res = sb.run('import os\\nprint(6 * 7)')\n"
            "    print(json.dumps([res.status, res.stdout, sb.workers, sb.describe()['nodes'][0]['pid']]))\n")
    proc = subprocess.run([sys.executable, "-c", code, address], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    status, stdout, workers, pid = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (status, stdout, workers) == ("passed", "42\n", 1) and pid != os.getpid()


def _children(pid: int) -> list[str]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += (task / "children").read_text().split()
        except OSError:
            continue
    return found


def _wait_for_a_child(pid: int) -> None:
    for _ in range(3000):  # bounded: 60 s
        if _children(pid):
            return
        time.sleep(0.02)
    raise AssertionError("the worker never started the program")


class _Run(threading.Thread):
    """One program run on `sandbox` in its own thread; `result` or `error` is set when it ends."""

    def __init__(self, sandbox: RaySandbox, program: str, timeout_s: float) -> None:
        super().__init__()
        self.sandbox, self.program, self.timeout_s = sandbox, program, timeout_s
        self.result: Any = None
        self.error: Exception | None = None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.sandbox.run(self.program, limits=Limits(timeout_s=self.timeout_s))
        except Exception as exc:  # handed to the test thread
            self.error = exc

    def outcome(self) -> Any:
        self.join(180)
        if self.error is not None:
            raise self.error
        return self.result


def _kill_mid_run(sandbox: RaySandbox, program: str) -> tuple[Any, int]:
    """Start `program`, SIGKILL the worker process once it has started the program's child, return the result."""
    pid = sandbox.worker_pids()[0]
    run = _Run(sandbox, program, 30.0)
    _wait_for_a_child(pid)
    os.kill(pid, signal.SIGKILL)  # the Ray worker process this test's sandbox started
    return run.outcome(), pid


def test_a_lost_worker_is_replaced_and_the_program_rerun(ray_cluster: Any) -> None:
    program = "import time\ntime.sleep(2)\nprint('done')"
    with RaySandbox(address=None, workers=1, max_lost_retries=2) as sandbox:
        result, killed = _kill_mid_run(sandbox, program)
        assert result is not None and (result.status, result.stdout) == ("passed", "done\n")
        assert sandbox.lost == 1
        assert sandbox.worker_pids()[0] != killed
    with RaySandbox(address=None, workers=1, max_lost_retries=0) as sandbox:
        with pytest.raises(WorkerLost, match="lost 1 time"):
            _kill_mid_run(sandbox, program)


def test_pipeline_on_ray_gives_the_local_train_json(
    ray_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evol.pipeline import run

    calls = {"local": 0, "ray": 0}

    def counting(kind: str, method: Any) -> Any:
        def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls[kind] += 1
            return method(self, *args, **kwargs)

        return wrapped

    monkeypatch.setattr(Sandbox, "run", counting("local", Sandbox.run))
    monkeypatch.setattr(RaySandbox, "run", counting("ray", RaySandbox.run))
    common = {"rounds": 1, "limit": 8, "filters.execute_code": True, "sandbox.workers": 2}
    run(demo_config(tmp_path / "local", **common))
    local_calls, calls["local"] = calls["local"], 0
    try:
        run(demo_config(tmp_path / "ray", **common, **{"sandbox.backend": "ray"}))
    finally:
        close_shared()  # the run's RaySandbox (shared within the process) stops its actors
    assert local_calls > 0 and calls["ray"] == local_calls and calls["local"] == 0
    train = (tmp_path / "ray" / "train.json").read_bytes()
    assert train == (tmp_path / "local" / "train.json").read_bytes() and len(train) > 100


def test_verified_run_on_ray_gives_the_local_train_json(
    ray_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verification (answers against tests, parents against children's tests) on Ray: the same data as locally."""
    from evol.pipeline import run
    from tests.helpers import verified_config

    sent = {"ray": 0}
    original = RaySandbox.run

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        sent["ray"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RaySandbox, "run", counting)
    common = {"rounds": 1, "limit": 8, "sandbox.workers": 2}
    run(verified_config(tmp_path / "local", **common))
    try:
        run(verified_config(tmp_path / "ray", **common, **{"sandbox.backend": "ray"}))
    finally:
        close_shared()
    assert sent["ray"] > 8  # every seed's verification at least
    train = (tmp_path / "ray" / "train.json").read_bytes()
    assert train == (tmp_path / "local" / "train.json").read_bytes() and len(train) > 100


def test_a_lost_node_drops_its_slots_and_its_programs_rerun_elsewhere(ray_cluster: Any) -> None:
    """Runs last: removes the second node while all four slots (two per node) run a program."""
    (second,) = ray_cluster.worker_nodes
    with RaySandbox(address=None, max_lost_retries=3, hang_margin_s=5.0) as sandbox:
        nodes = sandbox.describe()["nodes"]
        assert sandbox.workers == 4 and len(nodes) == 2
        doomed = next(n["pid"] for n in nodes if n["node"] == second.node_id)
        runs = [_Run(sandbox, f"import time\ntime.sleep(3)\nprint({i})", 10.0) for i in range(4)]
        _wait_for_a_child(doomed)
        ray_cluster.remove_node(second, allow_graceful=False)
        results = [run.outcome() for run in runs]
        assert [(r.status, r.stdout) for r in results] == [("passed", f"{i}\n") for i in range(4)]
        assert sandbox.lost >= 2 and sandbox.workers == 2  # the dead node's slots are gone, not retried forever
