"""Per-slot aggregate caps: one cgroup per worker slot holds everything the slot runs (its fork server and
each program with all its children, or a spawned run), so their memory is capped together.

cgroup v2 where this machine gives one with the memory controller; else cgroup v1's memory hierarchy; else
the fallback, named as such: RLIMIT_AS per process (no aggregate memory cap). Tasks are capped per slot by
RLIMIT_NPROC on the slot's own uid (every process of the slot counts), not by the pids controller: an
orphaned bwrap init that the host's init is slow to reap (seen in VMs whose init never reaps) would count
there until it is, and stop the slot. `detect()` says which and why; `evol sandbox doctor` prints it.
EVOL_SANDBOX_CGROUP=off forces the fallback. A process joins its slot's cgroup by a `sh` word before bwrap
(`enter_words`), so bwrap and everything under it start inside.
"""

from __future__ import annotations

import functools
import os
import shlex
from dataclasses import dataclass

from evol.sandbox.policy import Isolation, Limits

HEADROOM_MB = 64  # the fork server (or bwrap and a runner's wrappers) beside the program's own memory_mb
FALLBACK = "RLIMIT_AS per process (no aggregate memory cap)"
PREFIX = "evol-"


@dataclass(frozen=True)
class Caps:
    """How slot caps are enforced here: `mode` "cgroup v2", "cgroup v1" or "rlimits" (the fallback)."""

    mode: str
    parents: tuple[str, ...] = ()  # the folders slot cgroups are made in
    reason: str = ""  # why not cgroup v2 (or why no cgroup at all)

    def describe(self) -> str:
        if self.mode == "rlimits":
            return f"memory: {FALLBACK}; no cgroup: {self.reason}"
        done = f"memory: {self.mode} per slot under {', '.join(self.parents)}"
        return f"{done}; not cgroup v2: {self.reason}" if self.reason else done


def tasks_cap(iso: Isolation) -> str:
    """What caps the number of tasks a slot runs, for this isolation."""
    if iso.uid is None:
        return "tasks: no per-slot cap (no uid of its own: RLIMIT_NPROC would count the caller's processes)"
    if not iso.per_slot_uid:
        return f"tasks: RLIMIT_NPROC on uid {iso.uid}, shared by every slot"
    return "tasks: RLIMIT_NPROC per slot uid (every process of the slot counts)"


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fstype, super options) of every cgroup file system."""
    found = []
    try:
        lines = open("/proc/self/mountinfo", encoding="utf-8").read().splitlines()
    except OSError:
        return []
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) > 4 and len(tail) > 2 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], tail[0], set(tail[2].split(","))))
    return found


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per v1 controller ("" for the v2 hierarchy)."""
    paths: dict[str, str] = {}
    try:
        lines = open("/proc/self/cgroup", encoding="utf-8").read().splitlines()
    except OSError:
        return paths
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def _v2(mounts: list[tuple[str, str, set[str]]], own: dict[str, str]) -> tuple[str | None, str]:
    for point, fstype, _ in mounts:
        if fstype != "cgroup2":
            continue
        parent = os.path.normpath(point + own.get("", "/"))
        try:
            have = set(open(os.path.join(parent, "cgroup.controllers")).read().split())
        except OSError as exc:
            return None, f"cgroup v2 at {point}: {exc}"
        if "memory" not in have:
            return None, f"cgroup v2 at {point} lacks the memory controller"
        try:
            with open(os.path.join(parent, "cgroup.subtree_control"), "w") as fh:
                fh.write("+memory")
        except OSError as exc:
            return None, f"cgroup v2 at {parent}: cannot delegate memory ({exc.strerror})"
        return parent, ""
    return None, "no cgroup v2 mount"


def _v1(mounts: list[tuple[str, str, set[str]]], own: dict[str, str]) -> tuple[tuple[str, ...], str]:
    point = next((p for p, fstype, opts in mounts if fstype == "cgroup" and "memory" in opts), None)
    if point is None:
        return (), "no cgroup v1 memory hierarchy"
    parent = os.path.normpath(point + own.get("memory", "/"))
    if not os.access(parent, os.W_OK):
        return (), f"cgroup v1 memory at {parent} is not writable"
    return (parent,), ""


@functools.cache
def detect() -> Caps:
    """The caps this machine allows (probed once per process)."""
    if os.environ.get("EVOL_SANDBOX_CGROUP", "auto") == "off":
        return Caps("rlimits", reason="EVOL_SANDBOX_CGROUP=off")
    mounts, own = _mounts(), _own_paths()
    parent, why_not_v2 = _v2(mounts, own)
    if parent is not None:
        caps = Caps("cgroup v2", (parent,))
    else:
        parents, why_not_v1 = _v1(mounts, own)
        caps = (
            Caps("cgroup v1", parents, why_not_v2) if parents else Caps("rlimits", reason=f"{why_not_v2}; {why_not_v1}")
        )
    _remove_stale(caps)
    return caps


def _remove_stale(caps: Caps) -> None:
    """Remove slot cgroups that evol processes no longer running left behind."""
    for parent in caps.parents:
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            pid = name[len(PREFIX) :].split("-")[0]
            if name.startswith(PREFIX) and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                try:
                    os.rmdir(os.path.join(parent, name))
                except OSError:
                    pass


class SlotCgroup:
    """One slot's memory cgroup; a no-op under the rlimits fallback."""

    def __init__(self, caps: Caps, slot: int) -> None:
        self.caps = caps
        self.folders: list[str] = []
        self._set: int | None = None
        for parent in caps.parents:
            folder = os.path.join(parent, f"{PREFIX}{os.getpid()}-{slot}")
            os.makedirs(folder, exist_ok=True)
            self.folders.append(folder)

    def enter_words(self) -> list[str]:
        """Words before bwrap that move the process into this cgroup, then exec the rest."""
        if not self.folders:
            return []
        joins = " && ".join(f"echo 0 > {shlex.quote(os.path.join(f, 'cgroup.procs'))}" for f in self.folders)
        return ["sh", "-c", f'{joins} && exec "$@"', "sh"]

    def cap(self, limits: Limits) -> None:
        """Cap the slot at the run's memory plus the server's headroom, everything of the slot together."""
        want = (limits.memory_mb + HEADROOM_MB) << 20
        if not self.folders or want == self._set:
            return
        files = (
            {"memory.max": want, "memory.swap.max": 0}
            if self.caps.mode == "cgroup v2"
            else {"memory.limit_in_bytes": want}
        )
        try:
            for folder in self.folders:
                for name, value in files.items():
                    path = os.path.join(folder, name)
                    if os.path.exists(path):
                        with open(path, "w") as fh:
                            fh.write(str(value))
        except OSError:
            return  # e.g. v1 refusing to go below what the slot holds now: tried again next run
        self._set = want

    def peak_bytes(self) -> int | None:
        """The most memory the slot has held at once (None when unknown)."""
        for folder in self.folders:
            for name in ("memory.peak", "memory.max_usage_in_bytes"):
                try:
                    return int(open(os.path.join(folder, name)).read())
                except (OSError, ValueError):
                    continue
        return None

    def remove(self) -> None:
        for folder in self.folders:
            try:
                os.rmdir(folder)
            except OSError:
                pass
        self.folders = []
