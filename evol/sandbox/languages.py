"""Running a language other than Python: the runner's tool found on PATH, an optional compile step, a run step.

Each program's source lands in a host folder that the sandbox sees read-only at /build (compiled
languages: the folder the compiler wrote into). A compiled language builds once per source hash, in the
sandbox, under `build_limits` (the compiler is the one run with the program's uid, no network, the same
minimal root); the build folder is cached for the Sandbox object's life. The run step gets the program's
limits through prlimit(1) and an empty work dir as cwd. Outcomes: passed (exit 0), failed with kind
"exit:N" (or "CompileError", a signal), timed_out. With a results channel, a runner that cannot open its fd
(sqlite3 -safe) hands its stdout over as the results, for the driver's `records` to read.
The runners themselves are the table in `runners.py`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from evol.sandbox import probe
from evol.sandbox.channel import Channel
from evol.sandbox.outcome import classify
from evol.sandbox.policy import Isolation, Limits, RunResult, SandboxHost
from evol.sandbox.runners import RUNNERS, Runner

BUILD = "/build"  # where the source (and a build) appears inside the sandbox


@functools.cache
def tool_roots(name: str) -> tuple[str, ...]:
    """Folders outside /usr and /etc a runner's tools live in (e.g. a rustup toolchain under /root).

    Only the toolchain itself: rustc runs from its sysroot (`resolved_argv`), so the cargo home beside the
    rustup proxy (credentials, registry) is never exposed."""
    roots: list[str] = []
    for tool in RUNNERS[name].tools:
        path = shutil.which(tool)
        if path is None:
            continue
        if tool == "rustc":
            roots.append(_rust_sysroot(path))
            continue
        roots.append(os.path.dirname(os.path.dirname(os.path.realpath(path))))
    return tuple(probe.exposures(r for r in roots if r))


@functools.cache
def _rust_sysroot(rustc: str) -> str:
    """The toolchain behind rustc (rustup's proxy needs RUSTUP_HOME; default: .rustup beside .cargo)."""
    env = dict(os.environ)
    beside = Path(rustc).resolve().parent.parent.parent / ".rustup"
    if "RUSTUP_HOME" not in env and beside.is_dir():
        env["RUSTUP_HOME"] = str(beside)
    try:
        done = subprocess.run([rustc, "--print", "sysroot"], capture_output=True, text=True, timeout=60, env=env)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def resolved_argv(words: tuple[str, ...], runner: Runner, build: str, main: str, heap_mb: int) -> list[str]:
    """The words with {build}, {src}, {main}, {heap} filled in; tools resolved to their real paths."""
    argv = [w.format(build=build, src=runner.filename, main=main, heap=heap_mb) for w in words]
    if argv and not argv[0].startswith(build):
        tool = shutil.which(argv[0])
        if tool and argv[0] == "rustc":
            tool = os.path.join(_rust_sysroot(tool), "bin", "rustc")  # the rustup proxy needs ~/.rustup
        argv[0] = tool or argv[0]
    return argv


def java_main(source: str) -> str:
    """The class to run: the public class, else the first class with a main method, else Main."""
    found = re.search(r"public\s+(?:final\s+)?class\s+(\w+)", source) or re.search(
        r"class\s+(\w+)[^{]*\{(?:(?!\bclass\b).)*?static\s+void\s+main\s*\(", source, re.S
    )
    return found.group(1) if found else "Main"


def build_limits(limits: Limits) -> Limits:
    """A compiler's limits: the program's, raised to what a compiler needs (one minute, 2 GB, 64 tasks)."""
    return replace(
        limits,
        timeout_s=max(limits.timeout_s, 60.0),
        memory_mb=max(limits.memory_mb, 4096),
        nproc=max(limits.nproc, 64),
        file_size_mb=max(limits.file_size_mb, 256),
        disk_mb=max(limits.disk_mb, 512),
    )


def prlimit_words(limits: Limits, runner: Runner, uid: int | None) -> list[str]:
    """prlimit(1) words applying the program's limits (with the runtime's floors) to what follows."""
    rl = limits.rlimits()
    words = [
        "prlimit",
        f"--cpu={rl['RLIMIT_CPU']}",
        f"--as={max(limits.memory_mb, runner.memory_floor_mb) << 20}",
        f"--fsize={rl['RLIMIT_FSIZE']}",
        f"--nofile={rl['RLIMIT_NOFILE']}",
        "--core=0",
    ]
    if uid is not None:
        words.append(f"--nproc={max(limits.nproc, runner.nproc_floor)}")
    return [*words, "--"]


def execute(
    sandbox: SandboxHost,
    runner: Runner,
    program: str,
    limits: Limits,
    slot: int,
    iso: Isolation,
    *,
    channel: Channel | None = None,
    stdin: str | None = None,
) -> RunResult:
    """Build (once per source) and run one program of `runner`'s language (`channel`: its results pipe;
    `stdin`: its standard input, then its stdout is the results)."""
    missing = runner.missing()
    if missing:
        return RunResult("failed", "RunnerMissing", f"{runner.name}: {missing}")
    if stdin is not None and runner.stdin_source:
        return RunResult("failed", "StdinUnsupported", f"{runner.name} reads its source on stdin")
    main = java_main(program) if runner.name == "java" else "Main"
    filename = f"{main}.java" if runner.name == "java" else runner.filename
    runner = replace(runner, filename=filename)
    exposed = [*sandbox.exposed, *tool_roots(runner.name)]
    if runner.compile:
        build, failure = _build(sandbox, runner, program, limits, slot, iso, exposed, main)
        if failure is not None:
            return failure
    else:
        build = Path(tempfile.mkdtemp(prefix="evol-src-", dir=sandbox.build_root))
        _write_source(build, runner.filename, program)
    inside = BUILD if iso.mountns else str(build)
    outer = Path(tempfile.mkdtemp(prefix="evol-sbx-"))
    try:
        os.chmod(outer, 0o711)
        uid = probe.slot_uid(iso, slot)
        heap = max(64, limits.memory_mb // 2)
        argv = prlimit_words(limits, runner, uid) + resolved_argv(runner.run, runner, inside, main, heap)
        floors = replace(limits, memory_mb=max(limits.memory_mb, runner.memory_floor_mb))  # the slot cgroup's cap
        source = build / runner.filename if runner.stdin_source else None
        if stdin is not None:
            source = outer / "input"  # opened on the host, handed to the child as fd 0
            source.write_text(stdin, encoding="utf-8")
        code, timed_out, duration, out, err = sandbox.spawn(
            argv,
            outer,
            floors,
            slot,
            iso,
            exposed=exposed,
            binds=[(str(build), BUILD, False)],
            env=runner.env,
            stdin=source,
            channel=channel,
        )
        res = classify([], code, timed_out, duration, limits, True, out, err, exit_kind=True)
        if channel is None:
            return res
        if runner.results_on_stdout or stdin is not None:
            channel.collect(0)
            return replace(res, results=_head(outer / "stdout", channel.cap + 1))
        return replace(res, results=channel.collect())
    finally:
        shutil.rmtree(outer, ignore_errors=True)
        if not runner.compile:
            shutil.rmtree(build, ignore_errors=True)


def _head(path: Path, size: int) -> bytes:
    """The first `size` bytes of a file (b"" when there is none)."""
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def _write_source(folder: Path, filename: str, program: str) -> None:
    os.chmod(folder, 0o755)
    (folder / filename).write_text(program, encoding="utf-8")
    os.chmod(folder / filename, 0o644)


def _build(
    sandbox: SandboxHost,
    runner: Runner,
    program: str,
    limits: Limits,
    slot: int,
    iso: Isolation,
    exposed: list[str],
    main: str,
) -> tuple[Path, RunResult | None]:
    """The cached build folder of this source, compiling it in the sandbox first if needed."""
    key = hashlib.sha256(f"{runner.name}\0{runner.filename}\0{program}".encode()).hexdigest()[:32]
    done = Path(sandbox.build_root) / f"{runner.name}-{key}"
    if done.is_dir():
        return done, None
    staging = Path(tempfile.mkdtemp(prefix="evol-build-", dir=sandbox.build_root))
    outer = Path(tempfile.mkdtemp(prefix="evol-sbx-"))
    try:
        _write_source(staging, runner.filename, program)
        uid = probe.slot_uid(iso, slot)
        if uid is not None:
            os.chown(staging, uid, uid)
        os.chmod(outer, 0o711)
        inside = BUILD if iso.mountns else str(staging)
        blimits = build_limits(limits)
        argv = prlimit_words(blimits, runner, uid) + resolved_argv(runner.compile, runner, inside, main, 256)
        code, timed_out, duration, out, err = sandbox.spawn(
            argv, outer, blimits, slot, iso, exposed=exposed, binds=[(str(staging), BUILD, True)], env=runner.env
        )
        if code != 0 or timed_out:
            res = classify([], code, timed_out, duration, blimits, True, out, err, exit_kind=True)
            return staging, RunResult("failed", "CompileError", res.error, code, duration, out, err)
        for path in [staging, *staging.rglob("*")]:  # root's again, readable by every slot's uid
            if uid is not None:
                os.lchown(path, 0, 0)
            if not path.is_symlink():
                os.chmod(path, 0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
        try:
            staging.rename(done)
        except OSError:  # another slot built the same source first
            pass
        return done, None
    finally:
        shutil.rmtree(outer, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
