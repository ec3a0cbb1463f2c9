"""Find, once per process, the isolation this machine gives, and build the command prefix of a run.

The preferred tool is bubblewrap (Debian `bubblewrap`, Flatpak's sandbox). As root we run
    bwrap --unshare-{pid,net,ipc,uts,cgroup-try} --die-with-parent --new-session --cap-drop ALL
          --cap-add CAP_SETUID --cap-add CAP_SETGID  (bwrap itself: no user namespace, so that ...)
          <a minimal root>  setpriv --reuid U --regid U --clear-groups --no-new-privs
          --inh-caps=-all --bounding-set=-all  <interpreter>
so the program runs as a real unprivileged host uid U with no capability: a file only root may read stays
unreadable even through libc. (Root running bwrap with a user namespace would map back to root and keep
root's file access; an unprivileged uid running bwrap first could not reach an interpreter under a 0700
home.) Without root, bwrap runs directly and gives the caller a user namespace of its own.

The minimal root: /usr and /etc read-only, the /bin, /lib... links, a fresh /dev and /proc, a size-limited
tmpfs at /tmp (the work dir, also HOME and TMPDIR), and read-only binds of just the folders a runner
needs (`exposures`: the interpreter's prefixes and site-packages, a compiler's toolchain). Nothing else of
the host is there: no /root, /home, /var or project checkout, no host /tmp.

Without a working bwrap the probe falls back to "none" (no namespaces): as root, setpriv to an
unprivileged uid if that uid can run the interpreter; otherwise the caller's uid if it is not root.
Root with neither is refused (`SandboxUnavailable`) unless EVOL_SANDBOX=basic says to run as root
without capabilities anyway (files then are not kernel-confined; `Isolation.describe` says so).
EVOL_SANDBOX=bwrap requires bwrap; EVOL_SANDBOX=basic skips it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence

from evol.sandbox import host
from evol.sandbox.policy import Isolation

UID_BASE = int(os.environ.get("EVOL_SANDBOX_UID_BASE", "1900000000"))
NOBODY = 65534
WORK = "/tmp"  # the work dir inside the bwrap root
SYSTEM_DIRS = ("/usr", "/etc")
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
INSTALL_BWRAP = "apt-get install -y bubblewrap"


class SandboxUnavailable(RuntimeError):
    """No isolation mode that keeps root-only files unreadable works on this machine."""


_lock = threading.Lock()
_cache: dict[str, Isolation] = {}


def is_root() -> bool:
    return Isolation().caller_root


def slot_uid(iso: Isolation, slot: int, server: bool = False) -> int | None:
    """The uid a worker slot runs as (None: the caller's). Slots of other evol processes get other uids.

    A slot's warm fork server (`server`) has a uid of its own, so cleaning up after a spawned run of the
    same slot (every process of its uid is killed) never reaches the server.
    """
    if iso.uid is None:
        return None
    if not iso.per_slot_uid:
        return iso.uid
    return iso.uid + (os.getpid() % 100_000) * 256 + slot % 128 + (128 if server else 0)


def _system(path: str) -> bool:
    return any(path == d or path.startswith(d + "/") for d in (*SYSTEM_DIRS, *SYSTEM_LINKS))


def exposures(paths: Iterable[str]) -> list[str]:
    """The existing folders among `paths` (as given and resolved) that the minimal root lacks; outermost only."""
    found: set[str] = set()
    for path in paths:
        for candidate in {os.path.abspath(path), os.path.realpath(path)}:
            folder = os.path.dirname(candidate) if os.path.isfile(candidate) else candidate
            if os.path.isdir(folder) and folder not in ("/", WORK) and not _system(folder):
                found.add(folder)
    kept: list[str] = []
    for folder in sorted(found):
        if not any(folder.startswith(k + "/") for k in kept):
            kept.append(folder)
    return kept


def private_parent(folder: str) -> str | None:
    """The nearest host ancestor of `folder` that others may not search (e.g. /root, mode 0700): an exposed
    folder under one is readable in the sandbox only because it is bound there, so exposures stay the exact
    toolchain folders a runner needs (`evol sandbox doctor` lists them). None when every ancestor is open."""
    path = os.path.dirname(os.path.abspath(folder))
    while True:
        try:
            if not os.stat(path).st_mode & 0o001:
                return path
        except OSError:
            return path
        if path == "/":
            return None
        path = os.path.dirname(path)


def bwrap_words(
    iso: Isolation,
    disk_mb: int,
    exposed: Sequence[str],
    binds: Sequence[tuple[str, str, bool]] = (),
    die_with_parent: bool = True,
) -> list[str]:
    """The bwrap command up to (not including) the program: namespaces, the minimal root, the work dir.

    `binds`: extra (host path, path inside, writable) mounts, after the work dir (e.g. a build output folder).
    `die_with_parent`: bwrap's PDEATHSIG fires when the *thread* that started it ends, so a warm fork server
    (started from a pool thread, living on) goes without it; it exits on EOF of its request pipe instead.
    """
    words = ["bwrap", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc"]
    if die_with_parent:
        words.insert(1, "--die-with-parent")
    words += ["--unshare-uts", "--unshare-cgroup-try"]
    if iso.caller_root:
        words += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    else:
        words += ["--unshare-user"]
    for folder in SYSTEM_DIRS:
        if os.path.isdir(folder):
            words += ["--ro-bind", folder, folder]
    for link in SYSTEM_LINKS:
        if os.path.islink(link):
            words += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            words += ["--ro-bind", link, link]
    words += [
        "--dev",
        "/dev",
        "--mqueue",
        "/dev/mqueue",
        "--proc",
        "/proc",
        "--size",
        str(disk_mb << 20),
        "--perms",
        "1777",
        "--tmpfs",
        WORK,
    ]
    made = {"/", WORK}
    for path in [*exposed, *(inside for _, inside, _ in binds)]:
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            ancestor = "/" + "/".join(parts[:i])
            if ancestor not in made and not _system(ancestor):
                mode = "0711" if private_parent(path) else "0755"  # bwrap would make them 0700
                words += ["--perms", mode, "--dir", ancestor]  # searchable, listed only where the host's are
                made.add(ancestor)
    for path in exposed:
        words += ["--ro-bind", path, path]
    for host_path, inside, writable in binds:
        words += ["--bind" if writable else "--ro-bind", host_path, inside]
    for folder in host.answer_key_dirs():  # over the exposed site-packages: the benchmark's answer key is gone
        if any(folder == root or folder.startswith(root + "/") for root in exposed):
            words += ["--perms", "0555", "--tmpfs", folder, "--remount-ro", folder]
    return [*words, "--chdir", WORK]


def setpriv_words(iso: Isolation, slot: int, server: bool = False) -> list[str]:
    """As root: become the slot's uid (if any) and give up every capability; nothing when not root."""
    if not iso.caller_root:
        return []
    uid = slot_uid(iso, slot, server)
    ids = [f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if uid is not None else []
    return ["setpriv", *ids, "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]


def command_prefix(
    iso: Isolation,
    slot: int,
    disk_mb: int,
    exposed: Sequence[str],
    binds: Sequence[tuple[str, str, bool]] = (),
    server: bool = False,
) -> list[str]:
    """Every word that goes before the program's own command line (`server`: a warm fork server's)."""
    outer = bwrap_words(iso, disk_mb, exposed, binds, die_with_parent=not server) if iso.tool == "bwrap" else []
    return [*outer, *setpriv_words(iso, slot, server)]


def candidates(mode: str) -> list[Isolation]:
    """The modes to try, strongest first, for EVOL_SANDBOX=`mode` (auto, bwrap or basic)."""
    root = is_root()
    version = _bwrap_version() if mode != "basic" else ""
    found: list[Isolation] = []
    if version:
        found += (
            [Isolation("bwrap", version, uid, per_slot, True) for uid, per_slot in ((UID_BASE, True), (NOBODY, False))]
            if root
            else [Isolation("bwrap", version)]
        )
    if mode != "bwrap":
        found += (
            [Isolation("none", "", uid, per_slot, True) for uid, per_slot in ((UID_BASE, True), (NOBODY, False))]
            if root
            else []
        )
        if not root or mode == "basic":
            found.append(Isolation("none", "", None, False, root))
    return found


def _bwrap_version() -> str:
    if shutil.which("bwrap") is None:
        return ""
    try:
        done = subprocess.run(["bwrap", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.split()[-1] if done.returncode == 0 and done.stdout.split() else ""


def detect(try_run: Callable[[Isolation], str | None]) -> Isolation:
    """The strongest working Isolation. `try_run(iso)` runs a probe program and returns None or a reason."""
    mode = os.environ.get("EVOL_SANDBOX", "auto")
    key = f"{sys.executable}|{UID_BASE}|{mode}"
    with _lock:
        if key not in _cache:
            _cache[key] = _detect(mode, try_run)
        return _cache[key]


def _detect(mode: str, try_run: Callable[[Isolation], str | None]) -> Isolation:
    reasons: list[str] = []
    if mode != "basic" and shutil.which("bwrap") is None:
        reasons.append(f"bwrap not found (install: {INSTALL_BWRAP})")
    for iso in candidates(mode):
        why = try_run(iso)
        if why is None:
            return Isolation(**{**iso.__dict__, "reasons": tuple(reasons)})
        reasons.append(f"{iso.tool} uid={iso.uid}: {why}")
    raise SandboxUnavailable(
        "no sandbox mode keeps root-only files unreadable here: "
        + "; ".join(reasons)
        + f". Install bubblewrap ({INSTALL_BWRAP}), or set EVOL_SANDBOX=basic to run as root without capabilities"
    )
