"""The in-process guard of a sandboxed child: an audit hook (PEP 578) installed before the program runs.

Sent to the child together with boot.py as `python -c` source, so it uses only os and sys. It refuses
network sockets and DNS, spawning programs (and fork unless allowed), calling C through ctypes where no
kernel layer backs it (importing ctypes, as numpy does, is fine), writes or deletions outside the work
dir, reads outside the interpreter's libraries and the work dir, and signals to processes outside the
run. It guards against accidents of generated code; the kernel layers (namespaces, an unprivileged uid,
rlimits) are what a determined program meets.
"""

import os
import sys


class SandboxViolation(PermissionError):
    """Raised for an operation the sandbox does not allow."""


WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
SPAWN = (
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "subprocess.Popen",
    "cpython.PyInterpreterState_New",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.gethostbyname_ex",
)
PATH_ARGS = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.link": (0, 1),
    "os.symlink": (1,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "os.setxattr": (0,),
    "os.removexattr": (0,),
    "os.chflags": (0,),
    "shutil.rmtree": (0,),
}


def install_guard(cfg):
    work = os.path.realpath(cfg["workdir"])
    roots = tuple(os.path.realpath(p).rstrip("/") + "/" for p in cfg["read_roots"])
    exact = frozenset(os.path.realpath(p) for p in cfg["read_roots"])
    hidden = tuple(os.path.realpath(p).rstrip("/") + "/" for p in cfg.get("hidden") or ())  # answer keys
    lent = tuple(r for r in roots if r.startswith(work + "/"))  # library folders bound read-only into the work dir
    realpath, abspath, readlink, isdir = os.path.realpath, os.path.abspath, os.readlink, os.path.isdir
    busy = []

    def deny(what):
        raise SandboxViolation(f"sandbox: {what} is not allowed")

    def resolve(path):
        if isinstance(path, int):
            path = readlink(f"/proc/self/fd/{path}")
        return realpath(os.fsdecode(os.fspath(path)))

    def in_work(real):
        return (real == work or real.startswith(work + "/")) and not (real + "/").startswith(lent)

    def readable(real):
        own = f"/proc/{readlink('/proc/self')}/"
        if hidden and (real + "/").startswith(hidden):
            return False
        return (real in exact or real.startswith(roots) or real.startswith(own)) and not isdir(real)

    def on_open(args):
        path, mode, flags = args[0], args[1], args[2]
        if isinstance(path, int):
            return
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & WRITE_FLAGS)
        if not writing:
            fast = abspath(os.fsdecode(os.fspath(path)))
            if fast.startswith(roots) and not isdir(fast) and not (hidden and fast.startswith(hidden)):
                return  # library files: users cannot plant symlinks there
        real = resolve(path)
        if in_work(real) or real == "/dev/null":
            return
        if writing:
            deny(f"writing {real!r} (outside the work dir)")
        if not readable(real):
            deny(f"reading {real!r}")

    def on_path(event, args):
        for i in PATH_ARGS[event]:
            if not in_work(resolve(args[i])):
                deny(f"{event} on {resolve(args[i])!r}")

    def on_socket_new(args):
        if args[1] not in (1, -1):  # AF_UNIX, or a socket around an existing fd
            deny("network access")

    def on_address(event, args):
        addr = args[1] if len(args) > 1 else None
        if isinstance(addr, (str, bytes)):
            if not addr or addr[:1] in ("\0", b"\0") or not in_work(resolve(addr)):
                deny(f"{event} to {addr!r}")
        elif addr is not None:
            deny("network access")

    def on_kill(args):
        pid = args[0]
        if pid not in (0, os.getpid()) and (pid < 0 or os.getpgid(pid) != os.getpgrp()):
            deny(f"signalling pid {pid}")

    def on_killpg(args):
        if args[0] not in (0, os.getpgrp()):
            deny(f"signalling process group {args[0]}")

    def refuse(event, args):
        deny(event)

    handlers = {e: refuse for e in SPAWN}
    if not cfg["allow_ctypes"]:  # ctypes reaches libc directly, past this hook: `import ctypes` only
        handlers.update({"ctypes.dlopen": lambda e, a: a[0] is None or refuse(e, a), "ctypes.dlsym": refuse})
    if not cfg["allow_fork"]:
        handlers.update({"os.fork": refuse, "os.forkpty": refuse})
    handlers.update({e: on_path for e in PATH_ARGS})
    handlers.update({e: on_address for e in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg")})
    handlers.update(
        {
            "open": lambda e, a: on_open(a),
            "socket.__new__": lambda e, a: on_socket_new(a),
            "os.kill": lambda e, a: on_kill(a),
            "os.killpg": lambda e, a: on_killpg(a),
        }
    )
    get = handlers.get

    def hook(event, args):
        handler = get(event)
        if handler is None or busy:
            return
        busy.append(1)
        try:
            handler(event, args)
        except SandboxViolation:
            raise
        except (OSError, ValueError, TypeError) as exc:
            deny(f"{event} ({exc})")
        finally:
            busy.pop()

    for mod in (os, sys.modules.get("posix")):
        for name in ("mknod", "mkfifo"):
            if mod is not None and hasattr(mod, name):
                delattr(mod, name)
    sys.addaudithook(hook)
