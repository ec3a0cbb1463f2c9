"""The warm executor: a fork server per slot; nothing leaks between programs; spawning where it cannot run."""

from __future__ import annotations

import ctypes
import marshal
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evol.sandbox import Isolation, Limits, Sandbox, probe, run_many
from evol.sandbox import warm as warm_executor
from tests.sandbox.conftest import FAST, require_bwrap


@pytest.fixture(scope="module")
def warm() -> Sandbox:
    require_bwrap()
    box = Sandbox(FAST, workers=1)
    assert box.run("pass").passed
    assert box.describe()["python_executor"] == "warm fork server per slot", box.describe()
    return box


def test_nothing_leaks_between_programs(warm: Sandbox) -> None:
    """Guard off: the kernel lets a program write anywhere in /tmp, and the server wipes it afterwards."""
    warm = Sandbox(FAST, workers=1, isolation=warm.isolation, guard=False)
    first = warm.run(
        "import json, os\nLEAK = 1\njson.LEAK = 1\nos.environ['LEAK'] = '1'\n"
        "open('leak.txt', 'w').write('x')\nopen('/tmp/leak.txt', 'w').write('x')\nprint(os.getcwd())"
    )
    assert first.passed, first
    second = warm.run(
        "import json, os\nprint('LEAK' in globals(), hasattr(json, 'LEAK'), 'LEAK' in os.environ, "
        "os.listdir('.'), sorted(os.listdir('/tmp')), os.getcwd())"
    )
    assert second.passed, second
    *flags, rest = second.stdout.split(" ", 3)
    assert flags == ["False", "False", "False"] and rest.startswith("[] ["), second.stdout
    assert "leak" not in rest  # neither in the (new, empty) work dir nor anywhere in /tmp
    assert second.stdout.split()[-1] != first.stdout.strip()  # a fresh work dir each time


def test_each_program_is_a_fresh_forked_child(warm: Sandbox) -> None:
    """Each program is forked by a worker of its own, itself a fresh fork of the one pristine server."""
    lineage = ("import os\nppid = os.getppid()\n"
               "print(os.getpid(), ppid, open(f'/proc/{ppid}/stat').read().rsplit(')', 1)[1].split()[1])")
    box = Sandbox(FAST, workers=1, isolation=warm.isolation, guard=False)  # the guard refuses /proc/<other>
    seen = [box.run(lineage).stdout.split() for _ in range(3)]
    assert len({pid for pid, _, _ in seen}) == 3 and len({worker for _, worker, _ in seen}) == 3, seen
    assert len({server for _, _, server in seen}) == 1, seen  # the same pristine server forks each worker


def test_outcomes_match_the_spawning_sandbox(warm: Sandbox) -> None:
    spawn = Sandbox(FAST, workers=1, warm=False)
    programs = [
        "print(6 * 7)",
        "assert 1 == 2",
        "import sys; sys.exit(3)",
        "import os; os._exit(0)",
        "while True: pass",
    ]
    for program in programs:
        a, b = warm.run(program, exit_ok=False), spawn.run(program, exit_ok=False)
        assert (a.status, a.kind, a.stdout) == (b.status, b.kind, b.stdout), program
    assert spawn.describe()["python_executor"].startswith("spawn (turned off")


def test_limits_and_guard_hold_in_the_child(warm: Sandbox) -> None:
    assert warm.run("x = bytearray(10**12)", limits=Limits(timeout_s=30.0, memory_mb=256)).kind == "MemoryError"
    assert warm.run("import os\nos.fork()").kind == "SandboxViolation"
    caps = warm.run("print([ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('CapEff:')][0])")
    assert caps.stdout.strip() == "0000000000000000"


def test_a_killed_server_fails_that_run_and_is_replaced(warm: Sandbox) -> None:
    """Guard off, a program may signal its own uid's server: that run fails, the next gets a new server."""
    bare = Sandbox(FAST, workers=1, isolation=warm.isolation, guard=False)
    assert bare.run("pass").passed
    lost = bare.run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", limits=Limits(timeout_s=5.0))
    assert (lost.status, lost.kind) == ("failed", "ExecutorLost")
    assert bare.run("print('again')").stdout.strip() == "again"
    assert bare.describe()["python_executor"] == "warm fork server per slot"


def test_no_fork_server_without_a_pid_namespace_of_its_own() -> None:
    """Without bwrap's PID namespace the server's clean-up (kill(-1)) could reach the host: spawn instead."""
    basic = Isolation("none", "", None, False, probe.is_root())
    assert warm_executor.forking_works(basic) is not None
    box = Sandbox(FAST, workers=1, isolation=basic)
    assert box.run("print(1)").stdout.strip() == "1"
    assert box.describe()["python_executor"].startswith("spawn (no PID namespace")


def test_the_server_itself_refuses_to_serve_outside_its_namespace() -> None:
    """Started without bwrap (contained in a throwaway PID namespace for safety), it answers nothing."""
    if not probe.is_root():
        pytest.skip("the containing unshare needs root")
    base = {"site_dirs": [], "read_roots": [], "guard": True, "allow_ctypes": False}
    base["host_pidns"] = os.readlink("/proc/self/ns/pid")
    request = {"program": "print(1)", "nonce": "n", "limits": {}, "alarm_s": 5, "timeout_s": 5.0}
    request.update({"exit_ok": True, "allow_fork": False, "env": {}})
    data = b"".join(struct.pack("!I", len(m)) + m for m in (marshal.dumps(base), marshal.dumps(request)))
    cmd = ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-I", "-S", "-c", warm_executor.SERVER]
    done = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout == b"", done.stderr[-500:]


def test_servers_outlive_the_pool_threads_that_started_them(warm: Sandbox) -> None:
    """run_many's threads end with each call; the slots' servers (and their programs) must not."""
    box = Sandbox(FAST, workers=2)
    program = "import os\nprint(os.getppid())"
    first = dict(run_many(box, [(i, program) for i in range(6)]))
    second = dict(run_many(box, [(i, program) for i in range(6)]))
    assert all(r.passed for r in [*first.values(), *second.values()]), [first, second]
    assert box.servers() == 2


def test_servers_end_when_their_process_dies() -> None:
    """No --die-with-parent for a server: it leaves on EOF of its request pipe when evol is killed."""
    require_bwrap()
    driver = (
        "import sys\nfrom evol.sandbox import Limits, Sandbox, probe\nsb = Sandbox(Limits(timeout_s=5), workers=1)\n"
        "assert sb.run('pass').passed\nprint(probe.slot_uid(sb.isolation, 1, server=True), flush=True)\n"
        "sys.stdin.read()"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", driver], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    uid = int(proc.stdout.readline())
    assert uid and processes_of(uid) == 1
    proc.kill()
    proc.wait()
    for _ in range(200):  # bounded: up to ~20 s on a loaded machine
        if processes_of(uid) == 0:
            break
        time.sleep(0.1)
    assert processes_of(uid) == 0


def processes_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        try:
            count += entry.name.isdigit() and entry.stat().st_uid == uid
        except OSError:
            continue
    return count


def test_sysv_ipc_does_not_outlive_a_program(warm: Sandbox) -> None:
    """Programs of a slot share its server's IPC namespace: what one leaves (guard off) is removed after it."""
    bare = Sandbox(FAST, workers=1, isolation=warm.isolation, guard=False)
    libc = "import ctypes\nlibc = ctypes.CDLL(None)\n"
    made = bare.run(libc + "print(libc.shmget(4242, 4096, 0o1600), libc.msgget(4243, 0o1600))")
    assert made.passed and all(int(x) >= 0 for x in made.stdout.split()), made
    seen = bare.run(libc + "print(libc.shmget(4242, 0, 0), libc.msgget(4243, 0))")
    assert seen.passed and seen.stdout.split() == ["-1", "-1"], seen


def test_posix_message_queues_do_not_outlive_a_program(warm: Sandbox) -> None:
    bare = Sandbox(FAST, workers=1, isolation=warm.isolation, guard=False)
    rt = "import ctypes\nrt = ctypes.CDLL('librt.so.1')\n"
    made = bare.run(rt + "print(rt.mq_open(b'/evol-leak', 0o100 | 0o2, 0o600, None))")  # O_CREAT | O_RDWR
    assert made.passed and int(made.stdout) >= 0, made
    seen = bare.run(rt + "print(rt.mq_open(b'/evol-leak', 0o2))")
    assert seen.passed and seen.stdout.split() == ["-1"], seen


MEMORY_SCAN = r'''
import re
found = set()
pattern = re.compile(rb'"i":0,"ok":true,"v":(\d{12})')
with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
    for line in maps:
        span, perms = line.split()[:2]
        if "r" not in perms:
            continue
        start, end = (int(x, 16) for x in span.split("-"))
        try:
            mem.seek(start)
            data = mem.read(end - start)
        except (OSError, ValueError, OverflowError):
            continue
        found.update(m.group(1).decode() for m in pattern.finditer(data))
print(sorted(found))
'''


def test_a_program_finds_nothing_of_the_one_before_in_its_memory(warm: Sandbox) -> None:
    """The red team's leak: forked from a server that had served the previous program, a program could read that
    program's records (and code, output, nonce) in its own memory and answer with them. Each program is now
    forked by a fresh worker of a server that never reads a request."""
    import secrets

    from evol.verification.cases import Case
    from evol.verification.judge import run_cases

    box = Sandbox(FAST, workers=1, isolation=warm.isolation, guard=False)  # one slot: the same server serves both
    value = str(10**11 + secrets.randbelow(9 * 10**11))
    code = f"def secret_fn(n):\n    return {value} + n\n"
    first = run_cases(box, code, "python", [Case("secret_fn(0)", None, value)])
    assert first.status == "completed" and first.outputs[0] is not None and first.outputs[0].value == int(value)
    scan = box.run(MEMORY_SCAN)
    assert scan.passed, scan
    assert value not in scan.stdout, scan.stdout


KEYS = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "ADD, KEYCTL = {'x86_64': (248, 250), 'aarch64': (217, 219)}[os.uname().machine]\n")


def test_no_key_passes_from_a_program_to_the_next_or_from_the_host(warm: Sandbox) -> None:
    """The red team's channels: the slot uid's user keyring outlives every program (A leaves a key, B reads it),
    and the session keyring evol was started with (a login's) was readable inside. Both are closed for the
    warm executor: its server joins an empty session keyring, and each program's user keyrings start empty."""
    host_key = b"host-secret-" + os.urandom(4).hex().encode()
    keys = ctypes.CDLL(None, use_errno=True)
    add, keyctl = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]
    keys.syscall(keyctl, 1, None)  # this test process joins a session keyring of its own, as a login would
    assert keys.syscall(add, b"user", b"evolhost", host_key, len(host_key), -3) > 0  # KEY_SPEC_SESSION_KEYRING
    box = Sandbox(FAST, workers=1, isolation=warm.isolation, guard=False)  # started now: it inherits that keyring
    leave = KEYS + "print(libc.syscall(ADD, b'user', b'evolmsg', b'ANSWERS', 7, -4) > 0)\n"
    assert box.run(leave).stdout.strip() == "True"
    look = KEYS + ("print([libc.syscall(KEYCTL, 10, ring, b'user', name, 0) > 0 "
                   "for ring, name in ((-4, b'evolmsg'), (-3, b'evolhost'))])\n")  # KEYCTL_SEARCH
    found = box.run(look)
    assert found.passed and found.stdout.strip() == "[False, False]", found
