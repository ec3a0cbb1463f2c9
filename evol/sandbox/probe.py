"""Find, once per process, the strongest isolation this machine allows, and build its command prefix.

Layers, strongest first, each kept only if a real probe run works:
- `unshare --net --pid --fork --kill-child --mount`: no network interfaces; the whole process tree dies
  with its PID-namespace init; and a private mount table where /tmp is a small tmpfs owned by the
  sandbox user (the work dir) while /var/tmp and /dev/shm are empty read-only tmpfs. Then the same
  without --mount, then `unshare --net`, then nothing (the guard still refuses sockets).
- `setpriv` to an unprivileged uid (when we are root): one uid per worker slot from EVOL_SANDBOX_UID_BASE,
  else `nobody`. If that uid cannot run this very interpreter (e.g. it lives under a 0700 home), the uid
  keeps CAP_DAC_READ_SEARCH only, so it can read but still write nothing it does not own.
EVOL_SANDBOX=basic skips all of this (no namespaces, caller's uid; the guard does the work).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from evol.sandbox.policy import Isolation

UID_BASE = int(os.environ.get("EVOL_SANDBOX_UID_BASE", "1900000000"))
NOBODY = 65534
NS_CHOICES: list[tuple[bool, bool, bool]] = [
    (True, True, True),
    (True, True, False),
    (True, False, False),
    (False, False, False),
]
PRIVATE_TMP = "/tmp"  # the work dir inside a mount namespace
FSTAB = (
    "evol-sandbox /tmp tmpfs size={mb}m,mode=0700,uid={uid},gid={uid},nosuid,nodev 0 0\n"
    "evol-sandbox /var/tmp tmpfs size=1m,mode=0755,ro 0 0\n"
    "evol-sandbox /dev/shm tmpfs size=1m,mode=0755,ro 0 0\n"
)
MOUNT = 'mount --all --fstab "$0" && cd /tmp && exec "$@"'  # one mount(8) run for all three

_lock = threading.Lock()
_cache: dict[str, Isolation] = {}


def slot_uid(iso: Isolation, slot: int) -> int | None:
    """The uid a worker slot runs as (None: the caller's). Slots of other evol processes get other uids."""
    if iso.uid is None:
        return None
    return iso.uid + (os.getpid() % 100_000) * 256 + slot % 256 if iso.per_slot_uid else iso.uid


def write_fstab(path: Path, iso: Isolation, slot: int, tmpfs_mb: int) -> Path:
    """The mount table a run's namespace gets (its /tmp owned by the slot's uid)."""
    path.write_text(FSTAB.format(mb=tmpfs_mb, uid=slot_uid(iso, slot) or 0), encoding="utf-8")
    return path


def command_prefix(iso: Isolation, slot: int, fstab: Path | None = None) -> list[str]:
    """unshare/sh/setpriv words that go before the interpreter for this isolation and slot."""
    cmd: list[str] = []
    uid = slot_uid(iso, slot)
    if iso.netns or iso.pidns or iso.mountns:
        cmd += (
            ["unshare"]
            + (["--net"] if iso.netns else [])
            + (["--pid", "--fork", "--kill-child"] if iso.pidns else [])
            + (["--mount"] if iso.mountns else [])
        )
    if iso.mountns:
        if fstab is None:
            raise ValueError("a mount namespace needs its fstab")
        cmd += ["/bin/sh", "-c", MOUNT, str(fstab)]
    if uid is not None:
        caps = "-all,+dac_read_search" if iso.read_cap else "-all"
        cmd += [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--no-new-privs",
            f"--inh-caps={caps}",
            f"--bounding-set={caps}",
        ]
        if iso.read_cap:
            cmd.append("--ambient-caps=+dac_read_search")
    return cmd


def _ns_works(netns: bool, pidns: bool, mountns: bool) -> bool:
    if not (netns or pidns or mountns):
        return True
    if shutil.which("unshare") is None or (mountns and shutil.which("mount") is None):
        return False
    iso = Isolation(netns=netns, pidns=pidns, mountns=mountns)
    with tempfile.TemporaryDirectory(prefix="evol-probe-") as tmp:
        cmd = command_prefix(iso, 0, write_fstab(Path(tmp) / "fstab", iso, 0, 1)) + ["true"]
        try:
            return subprocess.run(cmd, capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False


def _uid_choices(base: Isolation) -> list[Isolation]:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None:
        return []
    return [
        Isolation(
            netns=base.netns, pidns=base.pidns, mountns=base.mountns, uid=uid, per_slot_uid=per_slot, read_cap=cap
        )
        for uid, per_slot in ((UID_BASE, True), (NOBODY, False))
        for cap in (False, True)
    ]


def detect(try_run: Callable[[Isolation], str | None]) -> Isolation:
    """The strongest working Isolation. `try_run(iso)` runs a probe program and returns None or a reason."""
    mode = os.environ.get("EVOL_SANDBOX", "auto")
    key = f"{sys.executable}|{UID_BASE}|{mode}"
    with _lock:
        if key not in _cache:
            _cache[key] = Isolation(reasons=("EVOL_SANDBOX=basic",)) if mode == "basic" else _detect(try_run)
        return _cache[key]


def _detect(try_run: Callable[[Isolation], str | None]) -> Isolation:
    """Namespaces strongest first; for each, an unprivileged uid if one works, else the caller's."""
    reasons: list[str] = []
    for netns, pidns, mountns in NS_CHOICES:
        base = Isolation(netns=netns, pidns=pidns, mountns=mountns)
        if not _ns_works(netns, pidns, mountns):
            reasons.append(f"unshare net={netns} pid={pidns} mount={mountns} not permitted")
            continue
        choices = _uid_choices(base)
        if not choices:
            reasons.append("not root or no setpriv: the caller's uid is kept")
        for iso in [*choices, base]:
            why = try_run(iso)
            if why is None:
                return Isolation(**{**iso.__dict__, "reasons": tuple(reasons)})
            reasons.append(f"net={netns} pid={pidns} mount={mountns} uid={iso.uid} read_cap={iso.read_cap}: {why}")
    return Isolation(reasons=tuple(reasons))
