"""The Sandbox: run a Python program in its own limited, isolated process and say how it ended."""

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
from pathlib import Path
from typing import Any

from evol.sandbox import host, probe
from evol.sandbox.outcome import classify, read_reports, read_tail
from evol.sandbox.policy import Isolation, Limits, RunResult

HERE = Path(__file__).parent
BOOT = "\n\n".join((HERE / name).read_text(encoding="utf-8") for name in ("guard.py", "boot.py"))
PROBE = (
    "import json, os, sys\nprint(json.dumps({'version': sys.version, 'uid': os.getuid(), "
    "'paths': all(os.path.isdir(p) for p in sys.path if p and not p.endswith('.zip')), "
    "'writable': [p for p in sys.path if p.startswith(('/tmp/', '/var/tmp/', '/dev/shm/')) and os.path.isdir(p) "
    "and not os.statvfs(p).f_flag & os.ST_RDONLY]}))\n"
)


class Sandbox:
    """Runs programs with `Limits`, at most `workers` at a time (each worker slot has its own uid)."""

    def __init__(
        self,
        limits: Limits | None = None,
        workers: int | None = None,
        isolation: Isolation | None = None,
        guard: bool = True,
    ) -> None:
        self.limits = limits or Limits()
        self.workers = max(1, workers or host.cpus())
        self.guard = guard
        self._isolation = isolation
        self._slots: queue.Queue[int] = queue.Queue()
        for slot in host.reserve_slots(self.workers):
            self._slots.put(slot)
        self.site_dirs = host.site_dirs()
        roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *self.site_dirs}
        self.read_roots = sorted(roots | set(host.SYSTEM_READ_ROOTS))
        # what the child needs that a private /tmp (/var/tmp, /dev/shm) would hide: bound back read-only
        self.exposed = probe.exposures([*roots, os.path.dirname(sys.executable)])
        self._lock = threading.Lock()

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
            "guard": self.guard,
            "workers": self.workers,
            "limits": self.limits.__dict__,
        }

    def _probe(self, iso: Isolation) -> str | None:
        res = self._execute(PROBE, self.limits, True, 0, iso)
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
        if iso.mountns and seen["writable"]:
            return f"library folders under a private tmp are not read-only: {seen['writable']}"
        return None

    def run(self, program: str, *, limits: Limits | None = None, exit_ok: bool = True) -> RunResult:
        """Run one program (blocks while all worker slots are busy).

        `exit_ok`: whether sys.exit(0) / exiting without reaching the end counts as passing.
        """
        iso = self.isolation
        slot = self._slots.get()
        try:
            return self._execute(program, limits or self.limits, exit_ok, slot, iso)
        finally:
            self._slots.put(slot)

    def _execute(self, program: str, limits: Limits, exit_ok: bool, slot: int, iso: Isolation) -> RunResult:
        uid = probe.slot_uid(iso, slot)
        outer = Path(tempfile.mkdtemp(prefix="evol-sbx-"))
        try:
            os.chmod(outer, 0o711)
            work = Path(probe.PRIVATE_TMP) if iso.mountns else outer / "work"
            if not iso.mountns:
                work.mkdir(mode=0o700)
                if uid is not None:
                    os.chown(work, uid, uid)
            files = [
                (outer / name).open(mode)
                for name, mode in (("stdout", "wb"), ("stderr", "wb"), ("status", "wb"), ("config", "w+b"))
            ]
            out, err, status, config = files
            try:
                nonce = secrets.token_hex(16)
                config.write(marshal.dumps(self._config(program, nonce, status.fileno(), work, limits, exit_ok, uid)))
                config.flush()
                config.seek(0)
                os.unlink(config.name)  # the child reads it through the fd; nothing else can
                mounts = probe.write_mounts(outer, iso, slot, limits.disk_mb, self.exposed) if iso.mountns else None
                cmd = [
                    *probe.command_prefix(iso, slot, mounts),
                    sys.executable,
                    "-I",
                    "-S",
                    "-B",
                    "-c",
                    BOOT,
                    str(config.fileno()),
                ]
                env = {
                    "PATH": "/usr/bin:/bin",
                    "HOME": str(work),
                    "TMPDIR": str(work),
                    "LANG": "C.UTF-8",
                    "LC_ALL": "C.UTF-8",
                    "OPENBLAS_NUM_THREADS": "1",
                    "OMP_NUM_THREADS": "1",
                    "MKL_NUM_THREADS": "1",
                }
                start = time.monotonic()
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    env=env,
                    pass_fds=(status.fileno(), config.fileno()),
                    cwd=outer,
                    start_new_session=True,
                )
                try:
                    timed_out = not host.wait(proc, limits.timeout_s)
                finally:
                    host.kill_tree(proc, uid if iso.per_slot_uid and not iso.pidns else None)
                    proc.wait()
                duration = time.monotonic() - start
            finally:
                for fh in files:
                    fh.close()
            reports = read_reports(outer / "status", nonce)
            return classify(
                reports,
                proc.returncode,
                timed_out,
                duration,
                limits,
                exit_ok,
                read_tail(outer / "stdout"),
                read_tail(outer / "stderr"),
            )
        finally:
            shutil.rmtree(outer, ignore_errors=True)

    def _config(
        self, program: str, nonce: str, status_fd: int, work: Path, limits: Limits, exit_ok: bool, uid: int | None
    ) -> dict[str, Any]:
        """What boot.py needs: the program, its nonce, the limits and the guard's settings."""
        rlimits = limits.rlimits()
        if uid is None:
            rlimits.pop("RLIMIT_NPROC")  # would count every process of the caller's user
        return {
            "program": program,
            "nonce": nonce,
            "status_fd": status_fd,
            "workdir": str(work),
            "limits": rlimits,
            "alarm_s": int(limits.timeout_s) + 3,
            "exit_ok": exit_ok,
            "site_dirs": self.site_dirs,
            "read_roots": self.read_roots,
            "guard": self.guard,
            "allow_fork": limits.allow_fork and uid is not None,
            "allow_ctypes": uid is not None,
        }
