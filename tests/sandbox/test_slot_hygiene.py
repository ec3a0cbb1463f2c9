"""Slot hygiene: a warm slot an attack dirtied serves the next correct program normally, with nothing left."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from evol.sandbox import Limits, Sandbox, cgroup, probe
from evol.sandbox import warm as warm_executor
from evol.verification.cases import from_asserts
from evol.verification.judge import check
from tests.sandbox.conftest import FAST, require_bwrap

CORRECT = "import os\nassert sum([1, 2]) == 3\nprint(sorted(os.listdir('/tmp')))"


@pytest.fixture()
def box() -> Sandbox:
    """Guard off: the attacks go straight to the kernel, as the slot's uid. One slot, so each run reuses it."""
    require_bwrap()
    sandbox = Sandbox(FAST, workers=1, guard=False)
    fresh = sandbox.run(CORRECT)
    assert fresh.passed, fresh
    # what a fresh slot's /tmp already holds: mount points of host folders bound under /tmp (a checkout or
    # venv under /tmp, as a CI clone may be), never a program's leftovers
    sandbox.fresh_tmp = set(eval(fresh.stdout))  # type: ignore[attr-defined]
    return sandbox


def served(box: Sandbox) -> tuple[int, list[str]]:
    """Run the correct program; (its server's host pid, what it sees in /tmp besides its own work dir)."""
    done = box.run(CORRECT)
    assert done.passed, done
    (zygote,) = box._zygotes.values()
    return zygote.proc.pid, [name for name in eval(done.stdout)
                             if not name.startswith(("run-", ".out-")) and name not in box.fresh_tmp]


def test_a_mode_000_folder_and_its_planted_file_are_wiped(box: Sandbox) -> None:
    before, _ = served(box)
    attack = box.run(
        "import os\nos.makedirs('/tmp/x/y')\nopen('/tmp/x/y/planted', 'w').write('secret')\n"
        "os.chmod('/tmp/x/y', 0)\nos.chmod('/tmp/x', 0)"
    )
    assert attack.passed, attack
    after, left = served(box)
    assert left == []
    assert after == before  # wiped in place: the server proved the slot clean and kept serving


def test_a_full_tmpfs_gets_its_space_back(box: Sandbox) -> None:
    before, _ = served(box)
    filled = box.run(
        "import os\nos.mkdir('/tmp/fill')\nf = open('/tmp/fill/big', 'wb')\n"
        "try:\n    [f.write(b'x' * (1 << 20)) for _ in range(1 << 10)]\nexcept OSError:\n    pass\n"
        "f.close()\nos.chmod('/tmp/fill', 0)",
        limits=Limits(timeout_s=30.0, file_size_mb=256),
    )
    assert filled.passed, filled
    for _ in range(3):  # each needs room for its own stdout
        after, left = served(box)
        assert left == [] and after == before


def test_a_pre_created_next_run_folder_is_tolerated(box: Sandbox) -> None:
    attack = box.run(
        "import os\nn = int(os.getcwd().rsplit('-', 1)[1])\n"
        "for k in range(n + 1, n + 4):\n"
        "    os.makedirs(f'/tmp/run-{k}/sub')\n    os.chmod(f'/tmp/run-{k}', 0)\n"
        "    open(f'/tmp/.out-{k}', 'w').close()"
    )
    assert attack.passed, attack
    for _ in range(3):
        assert served(box)[1] == []


def test_deeply_nested_folders_are_wiped_and_the_run_reported_as_it_ended(box: Sandbox) -> None:
    """Deeper than Python's recursion limit and than PATH_MAX: the server answers for that run all the same."""
    nest = box.run(
        "import os\nos.chdir('/tmp')\nfor _ in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\n"
        "open('planted', 'w').write('x')",
        limits=Limits(timeout_s=60.0),
    )
    assert nest.passed, nest
    assert served(box)[1] == []


def test_a_killed_server_is_replaced_before_the_next_program(box: Sandbox) -> None:
    before, _ = served(box)
    killer = box.run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    assert killer.kind == "ExecutorLost"  # the attacker's own run fails
    after, left = served(box)
    assert left == [] and after != before


def test_a_server_that_died_between_runs_does_not_fail_the_next_program(box: Sandbox) -> None:
    (zygote,) = box._zygotes.values()
    zygote.proc.kill()
    zygote.proc.wait()
    assert served(box)[1] == []


def test_a_server_that_cannot_start_a_program_is_replaced_and_the_program_still_runs(box: Sandbox) -> None:
    """A request the server answers with `error` (it never forked): the host retries on a new server."""
    (zygote,) = box._zygotes.values()
    real = zygote._recv
    zygote._recv = lambda timeout: {"error": "OSError: no room"} if real(timeout) is not None else None
    assert served(box)[1] == []
    assert zygote not in box._zygotes.values()


def test_a_child_holding_memory_is_gone_before_the_next_program(box: Sandbox) -> None:
    limits = Limits(timeout_s=20.0, memory_mb=256, allow_fork=True)
    holder = box.run(
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    x = b'x' * (160 << 20)\n    time.sleep(60)\n"
        "time.sleep(0.5)",
        limits=limits,
    )
    assert holder.passed, holder
    done = box.run("x = b'x' * (160 << 20)\nprint(len(x))", limits=limits)
    assert done.passed and done.stdout.strip() == str(160 << 20), done


def test_three_children_cannot_hold_more_than_the_slot_cap() -> None:
    """The slot's cgroup caps the server, the program and its children together (memory_mb + headroom)."""
    require_bwrap()
    if cgroup.detect().mode == "rlimits":
        pytest.skip(f"no cgroup here: {cgroup.detect().reason}")
    box = Sandbox(FAST, workers=1, guard=False)
    limits = Limits(timeout_s=30.0, memory_mb=200, allow_fork=True)
    hold = (
        "import os, time\nkids = []\nfor _ in range(3):\n    pid = os.fork()\n    if pid == 0:\n"
        "        x = b'x' * (120 << 20)\n        time.sleep(2)\n        os._exit(0)\n    kids.append(pid)\n"
        "held = sum(os.waitstatus_to_exitcode(os.waitpid(k, 0)[1]) == 0 for k in kids)\nprint('held', held)"
    )
    done = box.run(hold, limits=limits)
    assert "held 3" not in done.stdout, done  # 3 x 120 MB > 200 MB + headroom
    (group,) = [g for slot, g in box._cgroups.items() if slot in box._slot_ids]
    peak = group.peak_bytes()
    assert peak is not None and peak <= (limits.memory_mb + cgroup.HEADROOM_MB) << 20
    assert box.run(CORRECT).passed


def test_the_fallback_is_named_when_cgroups_are_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVOL_SANDBOX_CGROUP", "off")
    cgroup.detect.cache_clear()
    try:
        caps = cgroup.detect()
        assert caps.mode == "rlimits" and cgroup.FALLBACK in caps.describe()
        assert cgroup.SlotCgroup(caps, 1).enter_words() == []
    finally:
        cgroup.detect.cache_clear()


def server_functions(root: Path) -> dict[str, object]:
    """zygote.py's helpers, loaded here (without starting a server) with /tmp replaced by `root`."""
    source = warm_executor.HERE.joinpath("zygote.py").read_text(encoding="utf-8")
    names: dict[str, object] = {}
    exec(compile(source.rsplit("\nserve()", 1)[0], "zygote.py", "exec"), names)
    names["ROOT"] = str(root)
    names["MQUEUE"] = str(root / "no-mqueue")
    return names


def test_the_wipe_opens_up_mode_000_folders() -> None:
    """As an unprivileged uid (root would read a mode-000 folder anyway): the folder and its file go."""
    root = Path(tempfile.mkdtemp(prefix="evol-wipe-"))
    try:
        if os.geteuid() == 0:
            os.chown(root, probe.NOBODY, probe.NOBODY)
        fns = server_functions(root)  # read first: a checkout under a 0700 folder (mktemp -d) is closed to nobody
        pid = os.fork()
        if pid == 0:  # the child drops to nobody, plants, wipes and says by its exit status whether it is clean
            code = 1
            try:
                if os.geteuid() == 0:
                    os.setgid(probe.NOBODY)
                    os.setuid(probe.NOBODY)
                (root / "x" / "y").mkdir(parents=True)
                (root / "x" / "y" / "planted").write_text("secret")
                os.chmod(root / "x" / "y", 0)
                os.chmod(root / "x", 0)
                dirty = fns["_listing"](str(root)) != set()
                fns["_wipe"](str(root))
                code = 0 if dirty and fns["_listing"](str(root)) == set() and not (root / "x").exists() else 1
            finally:
                os._exit(code)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    finally:
        subprocess.run(["chmod", "-R", "u+rwx", str(root)], check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_fresh_replaces_whatever_holds_the_name(tmp_path: Path) -> None:
    fns = server_functions(tmp_path)
    (tmp_path / "run-1" / "sub").mkdir(parents=True)
    (tmp_path / "run-1" / "sub" / "planted").write_text("x")
    (tmp_path / ".out-1").write_text("not a folder")
    for name in ("run-1", ".out-1"):
        made = Path(fns["_fresh"](str(tmp_path / name)))
        assert made.is_dir() and not any(made.iterdir())
        assert stat.S_IMODE(made.stat().st_mode) == 0o700


def test_the_clean_check_sees_a_leftover_entry(tmp_path: Path) -> None:
    """The listing part of the check (free blocks and inodes are checked in the server's own tmpfs, where
    nothing else writes: the full-tmpfs test above)."""
    fns = server_functions(tmp_path)
    (tmp_path / "kept").mkdir()
    clean = fns["_listing"](str(tmp_path))
    (tmp_path / "kept" / "left").write_bytes(b"x")
    assert fns["_listing"](str(tmp_path)) == clean | {str(tmp_path / "kept" / "left")}
    (tmp_path / "kept" / "left").unlink()
    assert fns["_listing"](str(tmp_path)) == clean


def test_only_the_exposed_folder_of_a_private_parent_is_there(tmp_path: Path) -> None:
    """A folder bound from under a 0700 host parent: its siblings are absent and the parent is not listable."""
    require_bwrap()
    private = tmp_path / "home"
    (private / "tool").mkdir(parents=True)
    (private / "tool" / "lib.txt").write_text("needed")
    (private / "credentials.toml").write_text("token = 'secret'")
    os.chmod(tmp_path, 0o755)
    os.chmod(private, 0o700)
    box = Sandbox(FAST, workers=1, guard=False)
    box.exposed = [*box.exposed, str(private / "tool")]
    done = box.run(
        f"import os\nprint(open({str(private / 'tool' / 'lib.txt')!r}).read())\n"
        f"print(os.path.exists({str(private / 'credentials.toml')!r}))\n"
        f"try:\n    os.listdir({str(private)!r})\nexcept PermissionError:\n    print('unlisted')"
    )
    assert done.passed, done
    assert done.stdout.split() == ["needed", "False", "unlisted"]


def test_many_spawned_runs_in_one_slot_keep_passing() -> None:
    """Each spawned run may leave an orphaned bwrap init for the host's init to reap (some VMs' inits never do):
    nothing that counts them (a pids cgroup) may cap the slot."""
    require_bwrap()
    box = Sandbox(FAST, workers=1, warm=False)
    assert all(box.run("print(1)").passed for _ in range(40))


ATTACKS = {
    "mode-000 folder": "import os\nos.makedirs('/tmp/x/y')\nopen('/tmp/x/y/f', 'w').write('1')\nos.chmod('/tmp/x/y', 0)"
    "\nos.chmod('/tmp/x', 0)",
    "full tmpfs under a mode-000 folder": "import os\nos.mkdir('/tmp/d')\nf = open('/tmp/d/big', 'wb')\ntry:\n"
    "    [f.write(b'x' * (1 << 20)) for _ in range(1 << 10)]\nexcept OSError:\n    pass\n"
    "f.close()\nos.chmod('/tmp/d', 0)",
    "next run folders, mode 000": "import os\nn = int(os.getcwd().rsplit('-', 1)[1])\nfor k in range(n + 1, n + 5):\n"
    "    os.makedirs(f'/tmp/run-{k}/s')\n    os.chmod(f'/tmp/run-{k}', 0)",
    "killed server": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_after_an_attack_the_next_correct_answer_is_verified(box: Sandbox, attack: str) -> None:
    """Through the trusted judge, as the verify stage and `evol reward` run it."""
    cases, _ = from_asserts("assert add(1, 2) == 3\nassert add(-1, 1) == 0")
    box.run(ATTACKS[attack], limits=Limits(timeout_s=30.0, file_size_mb=256))
    verdict = check(box, "def add(a, b):\n    return a + b\n", "python", cases)
    assert verdict.status == "verified", verdict


def test_cgroup_v2_is_used_where_it_delegates_memory(tmp_path: Path) -> None:
    """On a fake cgroup2 tree: detection, the slot's memory.max (+ headroom) and swap, and how a run joins it."""
    (tmp_path / "cgroup.controllers").write_text("cpu io memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    mounts = [(str(tmp_path), "cgroup2", {"rw"})]
    parent, why = cgroup._v2(mounts, {"": "/"})
    assert parent == str(tmp_path) and why == ""
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+memory"
    slot = tmp_path / f"{cgroup.PREFIX}{os.getpid()}-7"
    slot.mkdir()
    for name in ("memory.max", "memory.swap.max", "cgroup.procs"):
        (slot / name).write_text("")
    group = cgroup.SlotCgroup(cgroup.Caps("cgroup v2", (str(tmp_path),)), 7)
    group.cap(Limits(memory_mb=300))
    assert (slot / "memory.max").read_text() == str((300 + cgroup.HEADROOM_MB) << 20)
    assert (slot / "memory.swap.max").read_text() == "0"
    words = group.enter_words()
    assert words[:2] == ["sh", "-c"] and str(slot / "cgroup.procs") in words[2] and words[2].endswith('exec "$@"')
    (tmp_path / "cgroup.controllers").write_text("cpu io pids\n")
    assert cgroup._v2(mounts, {"": "/"}) == (None, f"cgroup v2 at {tmp_path} lacks the memory controller")
