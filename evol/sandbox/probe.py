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

The mount table. Covering /tmp, /var/tmp and /dev/shm ("covers") would also hide whatever the child needs
that lives under them: a checkout (and its venv) cloned under /tmp is common in CI. The child needs only the
interpreter's prefixes, the folder of sys.executable and the site-packages (it runs with -I -S; evol itself
reaches it as source text), so `exposures` lists those of them (and their real paths) that lie under a
cover. One `sh -c` in the new namespace then runs, as root, before setpriv:
1. `mount --all --fstab F`: a cover with exposures gets its fresh tmpfs on a staging folder in the run's own
   host temp dir, each exposure bind-mounted into it at the same relative path, read-only, nosuid, nodev
   (`bind,ro`, with `x-mount.mkdir` making the mount points); covers without exposures get their tmpfs in
   place. All of this happens while the host's paths are still visible.
2. `mount --move` each staged tmpfs (with its binds) onto its cover (the read-only covers are remounted
   read-only first); a cover that would hide the staging folder is moved, or mounted, after the others.
3. `cd /tmp && exec "$@"` (setpriv, then the interpreter).
So the child sees, under the covers, only its private size-limited work dir and read-only views of the
interpreter's folders; every write outside the work dir still meets a read-only mount or a root-owned file
(and the guard treats the bound folders as outside the work dir). The probe run checks that they are visible
and read-only (a mount(8) older than util-linux 2.27 ignores `bind,ro`: that machine gets no mount namespace).
A cover itself is never exposed (an interpreter whose prefix is /tmp gets no mount namespace).
With nothing to expose this is one mount(8) run, as before; with exposures, two or three (~2 ms each).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
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
COVERS: tuple[tuple[str, str], ...] = (  # (folder, tmpfs options): the work dir, then two empty read-only ones
    (PRIVATE_TMP, "size={mb}m,mode=0700,uid={uid},gid={uid},nosuid,nodev"),
    ("/var/tmp", "size=1m,mode=0755,nosuid,nodev"),
    ("/dev/shm", "size=1m,mode=0755,nosuid,nodev"),
)
BIND_OPTIONS = "bind,ro,nosuid,nodev,x-mount.mkdir=0755"

_lock = threading.Lock()
_cache: dict[str, Isolation] = {}


def slot_uid(iso: Isolation, slot: int) -> int | None:
    """The uid a worker slot runs as (None: the caller's). Slots of other evol processes get other uids."""
    if iso.uid is None:
        return None
    return iso.uid + (os.getpid() % 100_000) * 256 + slot % 256 if iso.per_slot_uid else iso.uid


def _cover_of(path: str) -> str | None:
    """The cover strictly above `path`, if any."""
    return next((cover for cover, _ in COVERS if path.startswith(cover + "/")), None)


def exposures(paths: Iterable[str]) -> list[str]:
    """The existing folders among `paths` (as given and resolved) that a cover would hide; ancestors only."""
    found: set[str] = set()
    for path in paths:
        for candidate in {os.path.abspath(path), os.path.realpath(path)}:
            folder = os.path.dirname(candidate) if os.path.isfile(candidate) else candidate
            if os.path.isdir(folder) and _cover_of(folder) is not None:
                found.add(folder)
    kept: list[str] = []
    for folder in sorted(found):
        if not any(folder.startswith(k + "/") for k in kept):
            kept.append(folder)
    return kept


def _fstab_field(text: str) -> str:
    """fstab(5) escaping: spaces, tabs, newlines and backslashes as octal."""
    return "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in text)


def _fstab_line(source: str, target: str, fstype: str, options: str) -> str:
    return f"{_fstab_field(source)} {_fstab_field(target)} {fstype} {options} 0 0\n"


def mount_plan(stage: Path, uid: int, tmpfs_mb: int, exposed: Sequence[str] = ()) -> tuple[str, str]:
    """(fstab, script): `sh -c script FSTAB CMD...` builds a run's mount table, then runs CMD in /tmp.

    `stage` is a host folder of this run (it must not be a cover); `exposed` comes from `exposures`.
    """
    stage_s = str(stage.resolve())
    fstab: list[str] = []
    staged: list[str] = []  # script steps that move staged covers into place
    deferred: list[str] = []  # covers that would hide the staging folder: after everything else
    for i, (cover, template) in enumerate(COVERS):
        options = template.format(mb=tmpfs_mb, uid=uid)
        read_only = cover != PRIVATE_TMP
        hides_stage = stage_s.startswith(cover + "/")
        inner = [p for p in exposed if _cover_of(p) == cover]
        if not inner:
            if hides_stage and exposed:
                deferred.append(f"mount -t tmpfs -o {options}{',ro' if read_only else ''} evol-sandbox {cover}")
            else:
                fstab.append(_fstab_line("evol-sandbox", cover, "tmpfs", options + (",ro" if read_only else "")))
            continue
        where = f"{stage_s}/cover{i}"
        fstab.append(_fstab_line("evol-sandbox", where, "tmpfs", options + ",x-mount.mkdir=0700"))
        fstab += [_fstab_line(p, where + p[len(cover) :], "none", BIND_OPTIONS) for p in inner]
        steps = ([f"mount -o remount,ro {shlex.quote(where)}"] if read_only else []) + [
            f"mount --move {shlex.quote(where)} {cover}"
        ]
        (deferred if hides_stage else staged).extend(steps)
    script = " && ".join(['mount --all --fstab "$0"', *staged, *deferred, f"cd {PRIVATE_TMP}", 'exec "$@"'])
    return "".join(fstab), script


def write_mounts(stage: Path, iso: Isolation, slot: int, tmpfs_mb: int, exposed: Sequence[str] = ()) -> list[str]:
    """Write the run's fstab into `stage` and return the `sh -c` words that apply it (see `mount_plan`)."""
    fstab, script = mount_plan(stage, slot_uid(iso, slot) or 0, tmpfs_mb, exposed)
    path = stage / "fstab"
    path.write_text(fstab, encoding="utf-8")
    return ["/bin/sh", "-c", script, str(path)]


def command_prefix(iso: Isolation, slot: int, mounts: Sequence[str] | None = None) -> list[str]:
    """unshare/sh/setpriv words that go before the interpreter (`mounts`: from `write_mounts`)."""
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
        if not mounts:
            raise ValueError("a mount namespace needs its mount words (write_mounts)")
        cmd += list(mounts)
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
        mounts = write_mounts(Path(tmp), iso, 0, 1) if mountns else None
        cmd = command_prefix(iso, 0, mounts) + ["true"]
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
