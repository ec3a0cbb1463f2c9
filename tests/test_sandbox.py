"""The sandbox: outcomes, limits, and each attack failing without harm (guard on, and kernel layers alone)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

import evol
from evol.sandbox import Isolation, Limits, Sandbox, default_sandbox, probe, run_many

FAST = Limits(timeout_s=1.0, memory_mb=256)


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    return Sandbox(FAST, workers=2)


@pytest.fixture(scope="module")
def bare(sb: Sandbox) -> Sandbox:
    """Guard off: only the kernel layers (namespaces, uid, rlimits) stand."""
    return Sandbox(FAST, workers=2, isolation=sb.isolation, guard=False)


LAYER_CHECKS = {  # the bare tool run that shows the machine allows a layer at all
    "netns": ["unshare", "--net", "true"],
    "pidns": ["unshare", "--pid", "--fork", "--kill-child", "true"],
    "mountns": ["unshare", "--mount", "mount", "-t", "tmpfs", "evol-test", "/tmp"],
    "uid": ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "true"],
}


@functools.cache
def machine_refuses(layer: str) -> str | None:
    """Why this machine cannot give `layer` at all (no root, no tool, the kernel says no); None: it can."""
    if os.environ.get("EVOL_SANDBOX") == "basic":
        return "EVOL_SANDBOX=basic turns the kernel layers off"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not root: no namespaces or uid switch without privileges"
    cmd = LAYER_CHECKS[layer]
    missing = [tool for tool in [cmd[0], *(["mount"] if layer == "mountns" else [])] if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not installed"
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{' '.join(cmd)}: {exc}"
    return None if done.returncode == 0 else f"{' '.join(cmd)} is not permitted: {done.stderr.strip()[:200]}"


def layer_of(iso: Isolation, layer: str) -> bool:
    return {"netns": iso.netns, "uid": iso.uid is not None, "pidns": iso.pidns, "mountns": iso.mountns}[layer]


def needs(sb: Sandbox, layer: str) -> None:
    """Skip only where the machine cannot give `layer`; where it can, the sandbox must have used it."""
    why = machine_refuses(layer)
    if why is not None:
        pytest.skip(f"this machine cannot give the {layer} layer ({why})")
    assert layer_of(sb.isolation, layer), f"the machine allows {layer}, the sandbox fell back: {sb.isolation.reasons}"


def test_every_layer_the_machine_allows_is_used(sb: Sandbox) -> None:
    allowed = [layer for layer in LAYER_CHECKS if machine_refuses(layer) is None]
    if not allowed:
        pytest.skip(f"this machine gives no kernel layer ({machine_refuses('netns')})")
    missing = [layer for layer in allowed if not layer_of(sb.isolation, layer)]
    assert not missing, f"{missing} allowed here but not used: {sb.isolation.reasons}"


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


@pytest.mark.parametrize(
    "program", ["while True:\n    pass", "import time\ntime.sleep(60)", "import threading\nthreading.Event().wait()"]
)
def test_infinite_loops_time_out(sb: Sandbox, program: str) -> None:
    start = time.monotonic()
    res = sb.run(program)
    assert (res.status, res.kind) == ("timed_out", "Timeout")
    assert time.monotonic() - start < 3.0


def test_network_is_refused(sb: Sandbox) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        program = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=0.5)"
        res = sb.run(program)
    assert res.status == "failed" and res.kind == "SandboxViolation"
    dns = sb.run("import urllib.request\nurllib.request.urlopen('http://example.com', timeout=0.5)")
    assert dns.status == "failed" and dns.kind == "SandboxViolation"


def test_network_namespace_alone_has_no_route(bare: Sandbox) -> None:
    needs(bare, "netns")
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
    needs(bare, "uid")
    before = len(os.listdir("/proc"))
    res = bare.run("import os\nwhile True:\n    os.fork()", limits=Limits(timeout_s=2.0, nproc=16, allow_fork=True))
    assert res.status in ("failed", "timed_out")
    time.sleep(0.2)
    assert len(os.listdir("/proc")) < before + 8  # nothing left behind
    assert default_sandbox().run("print('still fine')").stdout.strip() == "still fine"


def test_memory_bomb_fails(sb: Sandbox, bare: Sandbox) -> None:
    program = "chunks = []\nwhile True:\n    chunks.append(bytearray(32 * 2**20))"
    for box in (sb, bare):
        res = box.run(program)
        assert (res.status, res.kind) == ("failed", "MemoryError")
    assert sb.run("x = bytearray(10**12)").kind == "MemoryError"


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


def test_unprivileged_uid_cannot_write_alone(bare: Sandbox) -> None:
    needs(bare, "uid")
    target = Path("/etc/evol-sandbox-evil.txt")
    res = bare.run(f"open({str(target)!r}, 'w').write('x')")
    try:
        assert (res.status, res.kind) == ("failed", "PermissionError") and not target.exists()
        assert bare.run("import os\nos.mkdir('/etc/evol-sandbox-evil')").kind == "PermissionError"
    finally:
        target.unlink(missing_ok=True)


def test_private_tmp_alone_keeps_the_host_clean(bare: Sandbox) -> None:
    needs(bare, "mountns")
    name = f"/tmp/evol-sandbox-test-{os.getpid()}"
    res = bare.run(f"open({name!r}, 'w').write('x')\nopen('/dev/shm/evil', 'w')")
    assert (res.status, res.kind) == ("failed", "OSError") or res.kind == "PermissionError"
    assert not Path(name).exists() and not Path("/dev/shm/evil").exists()
    full = bare.run(
        "while True:\n    open(f'f{len(__import__(\"os\").listdir())}', 'wb').write(b'x' * 2**22)",
        limits=Limits(timeout_s=3.0, disk_mb=16),
    )
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
    programs = [(i, f"import time\ntime.sleep(0.4)\nprint({i})") for i in range(4)]
    start = time.monotonic()
    results = dict(run_many(sb, programs))
    assert time.monotonic() - start < 1.6  # 2 workers: 2 rounds of 0.4 s plus start-up
    assert sorted(results) == [0, 1, 2, 3]
    assert all(results[i].stdout.strip() == str(i) for i in results)


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
    assert {"network", "processes", "user", "reasons"} <= set(info)


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


def test_mount_plan_binds_what_a_cover_would_hide() -> None:
    """An interpreter under /tmp (CI clones anywhere): staged tmpfs, read-only binds, then moved into place."""
    stage = Path("/tmp/evol-sbx-x")
    fstab, script = probe.mount_plan(stage, 1234, 64, ["/tmp/ci 2/.venv", "/var/tmp/py"])
    lines = fstab.splitlines()
    assert lines == [
        "evol-sandbox /tmp/evol-sbx-x/cover0 tmpfs size=64m,mode=0700,uid=1234,gid=1234,nosuid,nodev,"
        "x-mount.mkdir=0700 0 0",
        f"/tmp/ci\\0402/.venv /tmp/evol-sbx-x/cover0/ci\\0402/.venv none {probe.BIND_OPTIONS} 0 0",
        "evol-sandbox /tmp/evol-sbx-x/cover1 tmpfs size=1m,mode=0755,nosuid,nodev,x-mount.mkdir=0700 0 0",
        f"/var/tmp/py /tmp/evol-sbx-x/cover1/py none {probe.BIND_OPTIONS} 0 0",
        "evol-sandbox /dev/shm tmpfs size=1m,mode=0755,nosuid,nodev,ro 0 0",
    ]
    assert ",ro," in probe.BIND_OPTIONS
    # /var/tmp read-only and moved first; /tmp (which holds the stage) moved last
    assert script == (
        'mount --all --fstab "$0" && mount -o remount,ro /tmp/evol-sbx-x/cover1 && '
        "mount --move /tmp/evol-sbx-x/cover1 /var/tmp && mount --move /tmp/evol-sbx-x/cover0 /tmp && "
        'cd /tmp && exec "$@"'
    )
    # nothing to expose: one mount(8) run puts the three tmpfs in place
    fstab, script = probe.mount_plan(stage, 0, 8, [])
    assert script == 'mount --all --fstab "$0" && cd /tmp && exec "$@"'
    assert [line.split()[1] for line in fstab.splitlines()] == ["/tmp", "/var/tmp", "/dev/shm"]
    # a stage under a cover with nothing to expose: that cover is mounted after the moves
    fstab, script = probe.mount_plan(Path("/var/tmp/evol-sbx-y"), 0, 8, ["/tmp/ci/.venv"])
    assert "/var/tmp tmpfs" not in fstab and script.endswith(
        "mount --move /var/tmp/evol-sbx-y/cover0 /tmp && mount -t tmpfs -o size=1m,mode=0755,nosuid,nodev,ro "
        'evol-sandbox /var/tmp && cd /tmp && exec "$@"'
    )


def test_exposures_keep_outermost_folders_under_the_covers() -> None:
    root = Path(tempfile.mkdtemp(prefix="evol-expose-", dir="/tmp"))
    try:
        site_dir = root / "venv" / "lib" / "site-packages"
        site_dir.mkdir(parents=True)
        (root / "venv" / "python").write_text("")
        (root / "link").symlink_to(site_dir)
        found = probe.exposures(
            [str(site_dir), str(root / "venv"), str(root / "venv" / "python"), str(root / "link"), "/usr", "/tmp"]
        )
        assert found == [str(root / "link"), str(root / "venv")]  # never /tmp itself, /usr is not covered
        assert probe.exposures(["/usr/lib", str(root / "missing")]) == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_interpreter_under_tmp_keeps_every_layer() -> None:
    """A real run from a venv under /tmp: the mount namespace stays, the venv is visible and read-only."""
    if machine_refuses("mountns") is not None:
        pytest.skip(f"this machine cannot give the mountns layer ({machine_refuses('mountns')})")
    root = Path(tempfile.mkdtemp(prefix="evol-venv-", dir="/tmp"))
    try:
        os.chmod(root, 0o755)
        venv.create(root / "venv", with_pip=False, symlinks=True)
        program = (
            "import os, sys\nprint(sys.executable, sorted(os.listdir('/tmp')))\n"
            "env = os.path.dirname(os.path.dirname(sys.executable))  # with -S, sys.prefix is the base's\n"
            "print(bool(os.statvfs(env).f_flag & os.ST_RDONLY))\n"
            "try:\n    open(os.path.join(env, 'evil'), 'w')\n"
            "except OSError as exc:\n    print(type(exc).__name__)"
        )
        driver = (
            "import json, sys\nfrom evol.sandbox import Limits, Sandbox\n"
            f"sb = Sandbox(Limits(timeout_s=5.0), workers=1, guard=False)\nres = sb.run({program!r})\n"
            "print(json.dumps({'iso': sb.isolation.describe(), 'res': res.to_record(), 'out': res.stdout,"
            " 'exposed': getattr(sb, 'exposed', None), 'prefix': sys.prefix}))"
        )
        env = {**os.environ, "PYTHONPATH": str(Path(evol.__file__).resolve().parents[1])}
        env.pop("EVOL_SANDBOX", None)
        done = subprocess.run(
            [str(root / "venv" / "bin" / "python"), "-c", driver], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr[-2000:]
        seen = json.loads(done.stdout.strip().splitlines()[-1])
        iso = seen["iso"]
        assert iso["mountns"], iso["reasons"]
        assert seen["prefix"] == str(root / "venv") and seen["exposed"] == [str(root / "venv")]
        assert iso["uid"] is not None or machine_refuses("uid") is not None, iso["reasons"]
        assert seen["res"]["status"] == "passed", seen
        executable, listing = seen["out"].splitlines()[0].split(" ", 1)
        assert executable == str(root / "venv" / "bin" / "python")
        assert listing == repr([root.name])  # the host's /tmp stays hidden: only the bound venv's path
        assert seen["out"].splitlines()[1] == "True"  # a read-only bind
        assert seen["out"].splitlines()[2] in ("OSError", "PermissionError")
        assert not (root / "venv" / "evil").exists()
    finally:
        shutil.rmtree(root, ignore_errors=True)
