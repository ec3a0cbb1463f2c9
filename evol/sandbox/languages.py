"""Runners for languages other than Python: the tool found on PATH, an optional compile step, a run step.

Each program's source lands in a host folder that the sandbox sees read-only at /build (compiled
languages: the folder the compiler wrote into). A compiled language builds once per source hash, in the
sandbox, under `build_limits` (the compiler is the one run with the program's uid, no network, the same
minimal root); the build folder is cached for the Sandbox object's life. The run step gets the program's
limits through prlimit(1) and an empty work dir as cwd. Outcomes: passed (exit 0), failed with kind
"exit:N" (or "CompileError", a signal), timed_out.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from evol.sandbox import probe
from evol.sandbox.channel import Channel
from evol.sandbox.outcome import classify
from evol.sandbox.policy import Isolation, Limits, RunResult, SandboxHost

BUILD = "/build"  # where the source (and a build) appears inside the sandbox


@dataclass(frozen=True)
class Runner:
    """How one language runs. Words of `compile`/`run` may hold {build}, {src} and {main} (Java's class)."""

    name: str
    aliases: tuple[str, ...]
    tools: tuple[str, ...]  # the first is what `run` starts; all must be on PATH
    filename: str
    run: tuple[str, ...]
    compile: tuple[str, ...] = ()
    install: str = ""
    env: dict[str, str] = field(default_factory=dict)
    nproc_floor: int = 0  # threads a runtime starts on its own
    memory_floor_mb: int = 0  # address space a runtime reserves up front (V8, Go, JVM); heaps stay memory_mb / 2
    stdin_source: bool = False  # the source goes to the tool's stdin (sqlite3: -init would skip -safe)

    def available(self) -> bool:
        return all(shutil.which(tool) for tool in self.tools)

    def missing(self) -> str | None:
        """None when every tool is on PATH, else the install command."""
        absent = [tool for tool in self.tools if shutil.which(tool) is None]
        return f"{', '.join(absent)} not on PATH (install: {self.install})" if absent else None


RUNNERS: dict[str, Runner] = {
    r.name: r
    for r in (
        Runner("python", ("py", "python3", "py3"), (), "main.py", ()),  # sys.executable, always there
        Runner(
            "javascript",
            ("js", "node", "nodejs"),
            ("node",),
            "main.js",
            ("node", "--max-old-space-size={heap}", "{build}/{src}"),
            install="apt-get install -y nodejs",
            memory_floor_mb=2048,
            nproc_floor=32,
        ),
        Runner(
            "bash", ("sh", "shell"), ("bash",), "main.sh", ("bash", "{build}/{src}"), install="apt-get install -y bash"
        ),
        Runner(
            "sql",
            ("sqlite", "sqlite3"),
            ("sqlite3",),
            "main.sql",
            ("sqlite3", "-safe", "-bail", ":memory:"),  # safe: no .shell, readfile, ATTACH of files
            install="apt-get install -y sqlite3",
            stdin_source=True,
        ),
        Runner(
            "cpp",
            ("c++", "cxx", "cc"),
            ("g++",),
            "main.cpp",
            ("{build}/prog",),
            compile=("g++", "-O1", "-std=c++17", "-o", "{build}/prog", "{build}/{src}"),
            install="apt-get install -y g++",
        ),
        Runner(
            "go",
            ("golang",),
            ("go",),
            "main.go",
            ("{build}/prog",),
            compile=("go", "build", "-o", "{build}/prog", "{build}/{src}"),
            install="apt-get install -y golang-go",
            memory_floor_mb=1024,  # the Go runtime reserves ~700 MB of address space at start
            env={"GOCACHE": "/tmp/.gocache", "GOPATH": "/tmp/.gopath", "GO111MODULE": "off"},
            nproc_floor=64,
        ),
        Runner(
            "rust",
            ("rs",),
            ("rustc",),
            "main.rs",
            ("{build}/prog",),
            compile=("rustc", "-C", "opt-level=1", "-o", "{build}/prog", "{build}/{src}"),
            install="apt-get install -y rustc (or rustup)",
            nproc_floor=64,
        ),
        Runner(
            "java",
            (),
            ("java", "javac"),
            "Main.java",
            (
                "java",
                "-Xmx{heap}m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:ReservedCodeCacheSize=64m",
                "-XX:CompressedClassSpaceSize=64m",
                "-XX:-UsePerfData",
                "-cp",
                "{build}",
                "{main}",
            ),
            compile=("javac", "-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-d", "{build}", "{build}/{src}"),
            install="apt-get install -y default-jdk-headless",
            memory_floor_mb=1536,  # the JVM reserves heap + code cache + class space at start
            nproc_floor=64,
        ),
    )
}
ALIASES = {alias: r.name for r in RUNNERS.values() for alias in (r.name, *r.aliases)}


def canonical_language(name: str) -> str | None:
    """The canonical language name for `name` or one of its aliases (case-insensitive); None if unknown."""
    return ALIASES.get(name.strip().lower()) if isinstance(name, str) else None


def runner_for(language: str) -> Runner | None:
    canonical = canonical_language(language)
    return RUNNERS[canonical] if canonical else None


@functools.cache
def tool_roots(name: str) -> tuple[str, ...]:
    """Folders outside /usr and /etc a runner's tools live in (e.g. a rustup toolchain under /root)."""
    roots: list[str] = []
    for tool in RUNNERS[name].tools:
        path = shutil.which(tool)
        if path is None:
            continue
        real = os.path.realpath(path)
        roots.append(os.path.dirname(os.path.dirname(real)))
        if tool == "rustc":
            roots.append(_rust_sysroot(path))
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
) -> RunResult:
    """Build (once per source) and run one program of `runner`'s language (`channel`: its results pipe)."""
    missing = runner.missing()
    if missing:
        return RunResult("failed", "RunnerMissing", f"{runner.name}: {missing}")
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
        code, timed_out, duration, out, err = sandbox.spawn(
            argv,
            outer,
            limits,
            slot,
            iso,
            exposed=exposed,
            binds=[(str(build), BUILD, False)],
            env=runner.env,
            stdin=build / runner.filename if runner.stdin_source else None,
            channel=channel,
        )
        res = classify([], code, timed_out, duration, limits, True, out, err, exit_kind=True)
        return res if channel is None else replace(res, results=channel.collect())
    finally:
        shutil.rmtree(outer, ignore_errors=True)
        if not runner.compile:
            shutil.rmtree(build, ignore_errors=True)


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
