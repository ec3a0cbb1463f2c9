"""Kernel-enforced confinement in every mode the probe can choose: no capability, root-only files unreadable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from evol.sandbox import Isolation, Limits, Sandbox, attacks, probe
from evol.sandbox.policy import RunResult
from tests.sandbox.conftest import require_bwrap

CAPS = "print([ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('CapEff:')][0])"
LIBC_READ = (
    "import ctypes\nlibc = ctypes.CDLL(None)\nfor path in ({paths}):\n    fd = libc.open(path, 0)\n"
    "    buf = ctypes.create_string_buffer(200)\n    print(fd, libc.read(fd, buf, 199), buf.value.decode())"
)


def working_modes() -> list[Isolation]:
    """Every mode the probe would accept here (a run of its probe program works), strongest first."""
    require_bwrap()
    box = Sandbox(Limits(timeout_s=10.0), workers=1)
    found = [iso for iso in probe.candidates("auto") if box._probe(iso) is None]
    assert found, "no sandbox mode works on this machine"
    return found


@pytest.fixture(scope="module")
def modes() -> list[Isolation]:
    return working_modes()


def run_in(iso: Isolation, program: str) -> RunResult:
    return Sandbox(Limits(timeout_s=10.0), workers=1, isolation=iso, guard=False).run(program)


def test_the_probe_prefers_bwrap_with_an_unprivileged_uid_as_root(modes: list[Isolation]) -> None:
    chosen = Sandbox(Limits(), workers=1).isolation
    assert chosen == modes[0]
    if probe.is_root():
        assert (chosen.tool, chosen.per_slot_uid) == ("bwrap", True) and chosen.uid is not None


def test_no_mode_keeps_a_capability(modes: list[Isolation]) -> None:
    explicit_basic = Isolation("none", "", None, False, probe.is_root())  # EVOL_SANDBOX=basic
    for iso in [*modes, explicit_basic, Isolation()]:  # Isolation(): whoever builds one by hand
        res = run_in(iso, CAPS)
        assert res.passed and res.stdout.strip() == "0000000000000000", (iso, res)


def test_planted_secrets_stay_unreadable_even_through_libc(modes: list[Isolation]) -> None:
    if not probe.is_root():
        pytest.skip("planting a root-only secret needs root")
    with attacks.planted() as scene:
        paths = ", ".join(repr(str(p).encode()) for p in (scene.secret, scene.private, b"/etc/shadow"))
        for iso in modes:
            res = run_in(iso, LIBC_READ.format(paths=paths))
            assert res.passed, res
            assert [line.split()[0] for line in res.stdout.splitlines()] == ["-1"] * 3, (iso, res.stdout)
            assert not scene.harms(res), iso
            plain = run_in(iso, f"print(open({str(scene.secret)!r}).read())")
            assert plain.kind == "PermissionError" and scene.tokens[0] not in plain.stdout


def test_describe_is_consistent(modes: list[Isolation]) -> None:
    for iso in modes:
        info = iso.describe()
        assert info["uid"] == iso.uid and (info["tool"] != "none") == (iso.tool == "bwrap")
        assert ("user" in info["namespaces"]) == (iso.tool == "bwrap" and not iso.caller_root)
        assert info["reads"].startswith("kernel file permissions")
    root_basic = Isolation("none", "", None, False, True).describe()
    assert root_basic["reads"].startswith("NOT confined") and root_basic["namespaces"] == []
    json.dumps(root_basic)


def test_root_without_a_safe_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """No bwrap and an interpreter no other uid can run: refused with the install command, never root."""
    monkeypatch.setattr(probe, "candidates", lambda mode: [Isolation("none", "", probe.NOBODY, False, True)])
    with pytest.raises(probe.SandboxUnavailable, match="apt-get install -y bubblewrap"):
        probe._detect("auto", lambda iso: "interpreter differs")


def test_minimal_root_binds_only_what_is_needed() -> None:
    iso = Isolation("bwrap", "0.8.0", 1900000000, True, True)
    words = probe.bwrap_words(iso, 64, ["/root/.pyenv/versions/3.11", "/tmp/ci/.venv"], [("/h/b", "/build", False)])
    binds = [words[i + 1 : i + 3] for i, w in enumerate(words) if w in ("--ro-bind", "--bind")]
    assert ["/root/.pyenv/versions/3.11", "/root/.pyenv/versions/3.11"] in binds
    assert ["/h/b", "/build"] in binds and ["/usr", "/usr"] in binds
    assert not any(b[0] in ("/", "/root", "/home", "/work", "/var") for b in binds)
    assert "--unshare-user" not in words and words[words.index("--cap-drop") + 1] == "ALL"
    assert words[words.index("--tmpfs") - 3 : words.index("--tmpfs") + 2] == [
        str(64 << 20),
        "--perms",
        "1777",
        "--tmpfs",
        "/tmp",
    ]
    made = [words[i + 1] for i, w in enumerate(words) if w == "--dir"]
    assert made == ["/root", "/root/.pyenv", "/root/.pyenv/versions", "/tmp/ci"]
    assert probe.setpriv_words(iso, 1)[-2:] == ["--inh-caps=-all", "--bounding-set=-all"]
    assert os.path.isdir("/usr")


def test_the_judge_sees_a_read_when_the_kernel_allows_it() -> None:
    """Root without capabilities (EVOL_SANDBOX=basic as root) can still read root's files: the judge says so."""
    if not probe.is_root():
        pytest.skip("planting a root-only secret needs root")
    with attacks.planted() as scene:
        res = run_in(Isolation("none", "", None, False, True), scene.program("python", "read the planted secret"))
        assert "secret read" in scene.harms(res)


def test_an_unprivileged_caller_gets_bwrap_with_a_user_namespace() -> None:
    """The probe's non-root mode, run for real: evol under /usr/bin/python3 as nobody (the venv's interpreter
    lives under a 0700 home), guard off: CapEff 0 and /etc/shadow refused through libc."""
    system = "/usr/bin/python3"
    if not probe.is_root() or not os.access(system, os.X_OK):
        pytest.skip("needs root (to become nobody) and a system /usr/bin/python3")
    require_bwrap()
    driver = (
        "import json\nfrom evol.sandbox import Sandbox, Limits\n"
        "sb = Sandbox(Limits(timeout_s=10), workers=1, guard=False)\n"
        f"r = sb.run({CAPS + chr(10) + LIBC_READ.format(paths=repr(b'/etc/shadow') + ',')!r})\n"
        "print(json.dumps([sb.describe(), r.status, r.stdout]))"
    )
    # nobody must read the package: the checkout may lie under a 0700 folder (mktemp -d), so run a copy
    root = Path(tempfile.mkdtemp(prefix="evol-nobody-"))
    try:
        shutil.copytree(Path(__file__).resolve().parents[2] / "evol", root / "evol",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for folder in (root, *(p for p in root.rglob("*") if p.is_dir())):
            folder.chmod(0o755)
        for file in (p for p in root.rglob("*") if p.is_file()):
            file.chmod(0o644)
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(root)}
        cmd = ["setpriv", f"--reuid={probe.NOBODY}", f"--regid={probe.NOBODY}", "--clear-groups", system, "-c",
               driver]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/", timeout=120)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    info, status, out = json.loads(done.stdout.strip().splitlines()[-1])
    assert info["isolation"]["tool"].startswith("bubblewrap") and "user" in info["isolation"]["namespaces"]
    assert info["python_executor"] == "warm fork server per slot"
    assert status == "passed" and out.split()[:2] == ["0000000000000000", "-1"], out
