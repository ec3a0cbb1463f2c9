"""The Sandbox: run a program in its own limited, isolated process and say how it ended."""

from __future__ import annotations

import json
import marshal
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import replace
from pathlib import Path
from typing import Any

from evol.sandbox import cgroup, host, languages, probe, runners
from evol.sandbox import warm as warm_executor
from evol.sandbox.channel import Channel
from evol.sandbox.outcome import classify, read_reports, read_tail
from evol.sandbox.policy import Isolation, Limits, RunResult

HERE = Path(__file__).parent
BOOT = "\n\n".join((HERE / name).read_text(encoding="utf-8") for name in ("guard.py", "driver_runtime.py", "boot.py"))
BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
PROBE = (
    "import json, os, sys\nprint(json.dumps({'version': sys.version, 'uid': os.getuid(), "
    "'paths': all(os.path.isdir(p) for p in sys.path if p and not p.endswith('.zip')), "
    "'writable': [p for p in sys.path if p.startswith(('/tmp/', '/var/tmp/', '/dev/shm/')) and os.path.isdir(p) "
    "and not os.statvfs(p).f_flag & os.ST_RDONLY], "
    "'caps': [ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('CapEff:')][0]}))\n"
)


class Sandbox:
    """Runs programs with `Limits`, at most `workers` at a time (each worker slot has its own uid)."""

    def __init__(
        self,
        limits: Limits | None = None,
        workers: int | None = None,
        isolation: Isolation | None = None,
        guard: bool = True,
        warm: bool = True,
    ) -> None:
        """`warm`: Python programs go to a per-slot fork server (warm.py); False: a fresh interpreter each."""
        self.limits = limits or Limits()
        self.warm = warm
        self.warm_off: str | None = None if warm else "turned off (Sandbox(warm=False))"
        self._zygotes: dict[int, warm_executor.Zygote] = {}
        self._cgroups: dict[int, cgroup.SlotCgroup] = {}
        weakref.finalize(self, _close_all, self._zygotes, self._cgroups)
        self.workers = max(1, workers or host.cpus())
        self.guard = guard
        self._isolation = isolation
        self._slots: queue.Queue[int] = queue.Queue()
        self._slot_ids = host.reserve_slots(self.workers)
        for slot in self._slot_ids:
            self._slots.put(slot)
        self.site_dirs = host.site_dirs()
        roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *self.site_dirs}
        self.read_roots = sorted(roots | set(host.SYSTEM_READ_ROOTS))
        # what the child needs that the minimal root lacks: bound read-only at the same path
        self.exposed = probe.exposures([*roots, os.path.dirname(sys.executable)])
        self._lock = threading.Lock()
        self._cgroup_lock = threading.Lock()
        self._build_root: str | None = None

    @property
    def build_root(self) -> str:
        """This Sandbox's host folder of sources and cached builds (removed with the object)."""
        with self._lock:
            if self._build_root is None:
                self._build_root = tempfile.mkdtemp(prefix="evol-builds-")
                os.chmod(self._build_root, 0o711)
                weakref.finalize(self, shutil.rmtree, self._build_root, True)
            return self._build_root

    @property
    def isolation(self) -> Isolation:
        """The isolation in force (probed on first use, then cached for the process)."""
        with self._lock:
            if self._isolation is None:
                self._isolation = probe.detect(self._probe)
            return self._isolation

    def describe(self) -> dict[str, Any]:
        return {
            "isolation": self.isolation.describe(),
            "python_executor": "warm fork server per slot" if self.warm_off is None else f"spawn ({self.warm_off})",
            "guard": self.guard,
            "answer_keys_hidden": host.answer_key_dirs(),  # benchmark packages emptied inside (bwrap; guard)
            "slot_caps": f"{cgroup.detect().describe()}; {cgroup.tasks_cap(self.isolation)}",
            "workers": self.workers,
            "limits": self.limits.__dict__,
        }

    def _probe(self, iso: Isolation) -> str | None:
        """Why `iso` does not isolate here (None: it does). It runs under at least the default time and memory,
        so a tiny --timeout or --memory-mb is met by the programs, not mistaken for a missing sandbox."""
        floor = Limits()
        limits = replace(self.limits, timeout_s=max(self.limits.timeout_s, floor.timeout_s),
                         memory_mb=max(self.limits.memory_mb, floor.memory_mb))
        res = self._execute(PROBE, limits, True, 0, iso)
        if res.status != "passed":
            return f"probe run {res.status}: {res.error}"
        try:
            seen = json.loads(res.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return f"probe printed {res.stdout[-200:]!r}"
        if seen["version"] != sys.version:
            return f"interpreter differs ({seen['version'].split()[0]})"
        if seen["uid"] != probe.slot_uid(iso, 0) and iso.uid is not None:
            return f"uid {seen['uid']}"
        if not seen["paths"]:
            return "some of the interpreter's library folders are not visible"
        if seen["writable"]:
            return f"library folders under /tmp are writable: {seen['writable']}"
        if seen["caps"] != "0000000000000000":
            return f"the child holds capabilities (CapEff {seen['caps']})"
        return None

    def supports(self, language: str) -> bool:
        """Whether `language` is known and its runner's tools are on PATH."""
        runner = runners.runner_for(language)
        return runner is not None and runner.available()

    def run(
        self,
        program: str,
        *,
        language: str = "python",
        limits: Limits | None = None,
        exit_ok: bool = True,
        results: int | None = None,
        stdin: str | None = None,
    ) -> RunResult:
        """Run one program (blocks while all worker slots are busy).

        `exit_ok`: whether sys.exit(0) / exiting without reaching the end counts as passing (Python).
        `results`: give the program a results channel (a pipe, its fd number in $EVOL_RESULTS_FD) and keep at
        most this many bytes + 1 of what it writes there in `RunResult.results`.
        `stdin`: text for the program's standard input (languages other than Python, whose driver feeds its
        own); with `results`, the first `results + 1` bytes of its stdout are the results.
        """
        runner = runners.runner_for(language)
        if runner is None:
            raise ValueError(f"unknown language {language!r} (known: {', '.join(runners.RUNNERS)})")
        iso = self.isolation
        slot = self._slots.get()
        try:
            if runner.name == "python":
                if stdin is not None:
                    raise ValueError("a Python program gets its stdin text through its driver")
                return self._run_python(program, limits or self.limits, exit_ok, slot, iso, results)
            channel = Channel(results) if results is not None else None
            try:
                return languages.execute(self, runner, program, limits or self.limits, slot, iso, channel=channel,
                                         stdin=stdin)
            finally:
                if channel is not None:
                    channel.collect(0)
        finally:
            self._slots.put(slot)

    def _run_python(
        self, program: str, limits: Limits, exit_ok: bool, slot: int, iso: Isolation, results: int | None
    ) -> RunResult:
        """On the slot's fork server; a server that could not start the program is replaced, once."""
        self._cgroup(slot).cap(limits)
        for _ in range(2):
            zygote = self._zygote(slot, iso) if self.warm_off is None else None
            if zygote is None:
                break
            try:
                return zygote.run(program, limits, exit_ok, BASE_ENV, results)
            except warm_executor.NotStarted:
                continue
        return self._execute(program, limits, exit_ok, slot, iso, results)

    def uids(self) -> frozenset[int] | None:
        """The uids this sandbox's programs and fork servers run as (None: they keep one shared uid)."""
        iso = self.isolation
        if iso.uid is None or not iso.per_slot_uid:
            return None
        return frozenset(probe.slot_uid(iso, s, server) for s in self._slot_ids for server in (False, True))

    def servers(self) -> int:
        """How many warm fork servers are running (one per slot that has run Python)."""
        return sum(z.alive() for z in self._zygotes.values())

    def _zygote(self, slot: int, iso: Isolation) -> warm_executor.Zygote | None:
        """The slot's fork server, started (and checked with a trivial program) on first use; None: spawn."""
        zygote = self._zygotes.get(slot)
        if zygote is not None and zygote.alive():
            return zygote
        why = warm_executor.forking_works(iso)
        if why is None:
            zygote = warm_executor.Zygote(self, slot, iso, self._cgroup(slot).enter_words())
            try:
                check = zygote.run("pass", Limits(timeout_s=30.0), True, BASE_ENV)
            except warm_executor.NotStarted as exc:
                check = RunResult("failed", "NotStarted", str(exc))
            if check.passed:
                self._zygotes[slot] = zygote
                return zygote
            zygote.close()
            why = f"the fork server failed its first run: {check.kind}: {check.error}"
        self.warm_off = why
        return None

    def _cgroup(self, slot: int) -> cgroup.SlotCgroup:
        """The slot's cgroup (made on first use; a no-op where cgroups are not available)."""
        with self._cgroup_lock:
            if slot not in self._cgroups:
                self._cgroups[slot] = cgroup.SlotCgroup(cgroup.detect(), slot)
            return self._cgroups[slot]

    def spawn(
        self,
        argv: list[str],
        outer: Path,
        limits: Limits,
        slot: int,
        iso: Isolation,
        *,
        fds: tuple[int, ...] = (),
        exposed: list[str] | None = None,
        binds: list[tuple[str, str, bool]] | None = None,
        env: dict[str, str] | None = None,
        stdin: Path | None = None,
        channel: Channel | None = None,
    ) -> tuple[int, bool, float, str, str]:
        """Run `argv` in the sandbox (the isolation prefix added here); (exit code, timed out, seconds, out, err).

        `outer` is the run's host folder (0711, root's): stdout and stderr land there; without a mount
        namespace the work dir is `outer`/work, owned by the slot's uid. `channel`: the run's results pipe
        (its write end passed to the child; read while it runs).
        """
        uid = probe.slot_uid(iso, slot)
        work = probe.WORK if iso.mountns else str(outer / "work")
        if not iso.mountns and not os.path.isdir(work):
            os.mkdir(work, 0o700)
            if uid is not None:
                os.chown(work, uid, uid)
        caps = self._cgroup(slot)
        caps.cap(limits)
        prefix = caps.enter_words() + probe.command_prefix(
            iso, slot, limits.disk_mb, self.exposed if exposed is None else exposed, binds or []
        )
        with (
            (outer / "stdout").open("wb") as out,
            (outer / "stderr").open("wb") as err,
            (stdin or Path(os.devnull)).open("rb") as source,
        ):
            start = time.monotonic()
            proc = subprocess.Popen(
                [*prefix, *argv],
                stdin=source,
                stdout=out,
                stderr=err,
                env={**BASE_ENV, "HOME": work, "TMPDIR": work, **(env or {}), **(channel.env() if channel else {})},
                pass_fds=(*fds, *(channel.fds if channel else ())),
                cwd=work if not iso.mountns else outer,
                start_new_session=True,
            )
            if channel is not None:
                channel.start()
            try:
                timed_out = not host.wait(proc, limits.timeout_s)
            finally:
                host.kill_tree(proc, uid if iso.per_slot_uid else None)
                proc.wait()
            duration = time.monotonic() - start
        return proc.returncode, timed_out, duration, read_tail(outer / "stdout"), read_tail(outer / "stderr")

    def _execute(
        self, program: str, limits: Limits, exit_ok: bool, slot: int, iso: Isolation, results: int | None = None
    ) -> RunResult:
        uid = probe.slot_uid(iso, slot)
        outer = Path(tempfile.mkdtemp(prefix="evol-sbx-"))
        channel = Channel(results) if results is not None else None
        try:
            os.chmod(outer, 0o711)
            work = probe.WORK if iso.mountns else str(outer / "work")
            with (outer / "status").open("wb") as status, (outer / "config").open("w+b") as config:
                nonce = secrets.token_hex(16)
                config.write(marshal.dumps(self._config(program, nonce, status.fileno(), work, limits, exit_ok, uid)))
                config.flush()
                config.seek(0)
                os.unlink(config.name)  # the child reads it through the fd; nothing else can
                argv = [sys.executable, "-I", "-S", "-B", "-c", BOOT, str(config.fileno())]
                code, timed_out, duration, out, err = self.spawn(
                    argv, outer, limits, slot, iso, fds=(status.fileno(), config.fileno()), channel=channel
                )
            reports = read_reports(outer / "status", nonce)
            res = classify(reports, code, timed_out, duration, limits, exit_ok, out, err)
            return res if channel is None else replace(res, results=channel.collect())
        finally:
            if channel is not None:
                channel.collect(0)
            shutil.rmtree(outer, ignore_errors=True)

    def _config(
        self, program: str, nonce: str, status_fd: int, work: str, limits: Limits, exit_ok: bool, uid: int | None
    ) -> dict[str, Any]:
        """What boot.py needs: the program, its nonce, the limits and the guard's settings."""
        rlimits = limits.rlimits()
        if uid is None:
            rlimits.pop("RLIMIT_NPROC")  # would count every process of the caller's user
        return {
            "program": program,
            "nonce": nonce,
            "status_fd": status_fd,
            "workdir": work,
            "limits": rlimits,
            "alarm_s": int(limits.timeout_s) + 3,
            "exit_ok": exit_ok,
            "site_dirs": self.site_dirs,
            "read_roots": self.read_roots,
            "hidden": host.answer_key_dirs(),
            "guard": self.guard,
            "allow_fork": limits.allow_fork and uid is not None,
            "allow_ctypes": uid is not None,
        }


def _close_all(zygotes: dict[int, warm_executor.Zygote], cgroups: dict[int, cgroup.SlotCgroup]) -> None:
    for zygote in list(zygotes.values()):
        zygote.close()
    zygotes.clear()
    for group in cgroups.values():
        group.remove()
    cgroups.clear()
