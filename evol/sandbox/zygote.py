"""The warm executor's fork server (run as `python -I -S -B -c <guard.py + boot.py + this file>`).

It starts inside the slot's sandbox (bwrap namespaces, the slot's uid, no capability), imports a few
common modules, makes itself non-dumpable (so a program of the same uid cannot ptrace it or read its
memory) and never runs untrusted code itself. It never reads a request either: when one is waiting on
stdin it forks a worker, which reads it (a length-prefixed marshal dict), so no program inherits an
earlier program's code, records, output or nonce in the memory it was forked with. The worker forks one
child: fresh work dir under /tmp, stdin /dev/null, stdout/stderr to files, the run's rlimits, guard and
environment, then the program (boot's `_run`); the child exits after it. The worker then kills every
process the program left (everything in the PID namespace but its init, the server and itself) and waits
until they are gone, wipes /tmp (making each folder writable first, so a mode-000 folder goes too) and
checks the slot is as it started: the same entries in /tmp, the same free blocks and inodes, no message
queue, no other process. It answers on stdout: exit status, timed out, seconds, output tails, the raw
status lines (the host checks their nonce) and `clean`, and exits; the server reaps it and says `reaped`.
A slot that is not clean is given up by the host and a new server starts. A request the worker could not
start (the program never ran) is answered with `error`; the host then retries the program once on a new
server.
"""

import marshal
import os
import select
import signal
import struct
import sys
import time

ROOT = "/tmp"
MQUEUE = "/dev/mqueue"  # POSIX message queues of the slot's IPC namespace (bwrap --mqueue)
TAIL_BYTES = 4000
PRELOAD = ("collections", "functools", "itertools", "math", "re", "typing", "heapq", "string", "json")


def _read_exact(n):
    chunks, left = [], n
    while left:
        chunk = os.read(0, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _recv():
    head = _read_exact(4)
    if head is None:
        return None
    body = _read_exact(struct.unpack("!I", head)[0])
    return None if body is None else marshal.loads(body)


def _send(obj):
    data = marshal.dumps(obj)
    data = struct.pack("!I", len(data)) + data
    while data:
        data = data[os.write(1, data) :]


def _tail(path):
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - TAIL_BYTES))
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _drain(fd, into, cap=None):
    """Read what is ready; `cap`: keep the first cap + 1 bytes (the results), else the last MB (the reports)."""
    while cap is None or len(into) <= cap:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            return
        into += chunk
        if cap is None:
            del into[: max(0, len(into) - (1 << 20))]  # keep the last MB: the report is the last line


def _wipe(folder, device=None):
    """Remove everything under `folder` that is on its file system (what a program wrote in /tmp); the
    interpreter's folders bound read-only under /tmp (another device) and their parents stay. Each folder is
    made searchable and writable first (a program may have left it mode 000). Iterative: any depth."""
    try:
        device = os.stat(folder).st_dev if device is None else device
    except OSError:
        return
    stack = [(folder, False)]
    while stack:
        path, emptied = stack.pop()
        if emptied:
            try:
                os.rmdir(path)
            except OSError:
                pass  # the cleanliness check that follows says whether anything stayed
            continue
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue
        if path != folder:
            stack.append((path, True))
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_dev != device:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    _open_up(entry.path)
                    stack.append((entry.path, False))
                else:
                    os.unlink(entry.path)
            except OSError:
                continue


def _open_up(path):
    try:
        os.chmod(path, 0o700, follow_symlinks=False)
    except (OSError, NotImplementedError):
        pass


def _fresh(path):
    """Make the empty folder `path`, removing whatever a program may have put there first."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        if os.path.isdir(path) and not os.path.islink(path):
            _open_up(path)
            _wipe(path)
            os.rmdir(path)
        else:
            os.unlink(path)
        os.mkdir(path, 0o700)
    return path


def _listing(folder):
    """The paths under `folder` on its own file system (what a program could have left there); iterative."""
    found = set()
    try:
        device = os.stat(folder).st_dev
    except OSError:
        return {folder + "/?"}
    stack = [folder]
    while stack:
        path = stack.pop()
        try:
            entries = list(os.scandir(path))
        except OSError:
            found.add(path + "/?")  # unreadable: not the slot it was
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_dev != device:
                    continue
                found.add(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
            except OSError:
                found.add(entry.path + "/?")
    return found


def _state():
    """What a clean slot looks like: the entries of /tmp, its free blocks and inodes, the message queues."""
    vfs = os.statvfs(ROOT)
    try:
        queues = sorted(os.listdir(MQUEUE))
    except OSError:
        queues = []
    return (_listing(ROOT), vfs.f_bfree, vfs.f_ffree, queues)


def _others():
    """The processes of this PID namespace besides its init (bwrap), the pristine server and this worker."""
    keep = (1, os.getpid(), os.getppid())
    return [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in keep]


def _settled(deadline_s=2.0):
    """Wait (briefly) until every process the program left has exited; False if some did not."""
    end = time.monotonic() + deadline_s
    while _others():
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


_LIBC = []  # the C library's handle, loaded once (a server and each worker call it per program)


def _libc():
    """libc through ctypes (None where it cannot be loaded)."""
    if not _LIBC:
        try:
            import ctypes

            _LIBC.append(ctypes.CDLL(None, use_errno=True))
        except OSError:
            _LIBC.append(None)
    return _LIBC[0]


def _clear_ipc():
    """Remove the SysV shared memory, queues and semaphores a program left in the slot's IPC namespace."""
    libc = _libc()
    if libc is None:
        return
    for kind, remove in (("shm", "shmctl"), ("msg", "msgctl"), ("sem", "semctl")):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                idents = [int(line.split()[1]) for line in fh.read().splitlines()[1:] if line.split()]
        except (OSError, ValueError, IndexError):
            continue
        for ident in idents:
            if kind == "sem":
                libc.semctl(ident, 0, 0)  # IPC_RMID
            else:
                getattr(libc, remove)(ident, 0, None)  # IPC_RMID


KEYCTL = {"x86_64": 250, "aarch64": 219}  # the keyctl syscall's number
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR = 1, 7
USER_KEYRINGS = (-4, -5)  # KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING: one per uid, kept by the kernel


def _keyctl(*args):
    nr, libc = KEYCTL.get(os.uname().machine), _libc()
    if nr is not None and libc is not None:
        libc.syscall(nr, *args)


def _own_session_keyring():
    """Leave the session keyring evol was started with (a login's, holding its keys) for an empty one: bwrap
    and setpriv keep it, and holding a keyring grants its keys whatever the uid."""
    _keyctl(KEYCTL_JOIN_SESSION_KEYRING, None)


def _clear_user_keyrings():
    """Empty the slot uid's user keyrings, which outlive every process: a program cannot leave keys in them
    for the next program of the slot."""
    for ring in USER_KEYRINGS:
        _keyctl(KEYCTL_CLEAR, ring)


def _dumpable(flag):
    """prctl(PR_SET_DUMPABLE): 0 keeps programs of the same uid from ptrace or /proc/<pid>/mem."""
    libc = _libc()
    if libc is not None:
        libc.prctl(4, flag, 0, 0, 0)


def _child(base, req, work, fds):
    os.setpgid(0, 0)
    _dumpable(1)  # the guard reads /proc/self/fd; it is this program's own process
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    os.dup2(fds[2], 3)
    results = {}
    if len(fds) > 3:  # the results channel: fd 4
        os.dup2(fds[3], 4)
        results = {"EVOL_RESULTS_FD": "4"}
    os.closerange(5 if results else 4, 1 << 16)
    os.environ.clear()
    os.environ.update({**req["env"], "HOME": work, "TMPDIR": work, **results})
    cfg = {**base, **req, "workdir": work, "status_fd": 3}
    prepare(cfg)  # noqa: F821 - boot.py's, prepended
    _run(cfg)  # noqa: F821


def _own_pid_namespace(base):
    """True only inside a PID namespace of our own, as an unprivileged user: where kill(-1) reaches only
    what the programs of this slot started (never the host's processes)."""
    try:
        mine = os.readlink("/proc/self/ns/pid")
    except OSError:
        return False
    return bool(base.get("host_pidns")) and mine != base["host_pidns"] and os.getuid() != 0


def _kill_leftovers(base, pid, deadline_s=2.0):
    """Kill whatever the program left running: every process of our PID namespace but its init, the pristine
    server and this worker (not kill(-1): that would take the pristine server too), again until none is left
    or the deadline passes (a fork loop is then caught by the cleanliness check)."""
    if base["own_pidns"]:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            left = _others()
            if not left:
                return
            for other in left:
                try:
                    os.kill(int(other), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.001)  # killed ones leave /proc once bwrap's init reaps them
        return
    try:  # never kill(-1) outside a namespace of our own: only the program's process group
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _serve_one(base, req, n):
    try:
        work, out = _fresh(f"{ROOT}/run-{n}"), _fresh(f"{ROOT}/.out-{n}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        fds = [os.open(f"{out}/{name}", flags, 0o600) for name in ("stdout", "stderr")]
        status_r, status_w = os.pipe()  # a pipe, not a file: a program that fills /tmp can still be reported
        os.set_blocking(status_r, False)
        fds.append(status_w)
        cap, results, results_r = req.get("results"), bytearray(), None
        if cap is not None:
            results_r, results_w = os.pipe()
            os.set_blocking(results_r, False)
            fds.append(results_w)
        readers = [status_r] + ([results_r] if results_r is not None else [])
        start = time.monotonic()
        pid = os.fork()
    except OSError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}  # the program never started
    if pid == 0:
        try:
            _child(base, req, work, fds)
        finally:
            os._exit(70)
    for fd in fds:
        os.close(fd)
    reports = bytearray()
    pidfd = os.pidfd_open(pid)
    deadline = start + req["timeout_s"]
    while True:  # drain the status pipe while waiting, so a chatty program cannot block on it
        left = deadline - time.monotonic()
        ready = select.select([pidfd, *readers], [], [], max(0.0, left))[0] if left > 0 else []
        if status_r in ready:
            _drain(status_r, reports)
        if results_r is not None and results_r in ready:
            _drain(results_r, results, cap)
            if len(results) > cap:  # flooded: stop reading, the writer gets EPIPE
                readers.remove(results_r)
                os.close(results_r)
                results_r = None
        if pidfd in ready or not ready:
            break
    timed_out = pidfd not in ready
    os.close(pidfd)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    duration = time.monotonic() - start
    _kill_leftovers(base, pid)
    _clear_ipc()
    _clear_user_keyrings()
    _drain(status_r, reports)
    os.close(status_r)
    if results_r is not None:
        _drain(results_r, results, cap)
        os.close(results_r)
    answer = {
        "exit": os.waitstatus_to_exitcode(status),
        "timed_out": timed_out,
        "duration": duration,
        "stdout": _tail(f"{out}/stdout"),
        "stderr": _tail(f"{out}/stderr"),
        "status": bytes(reports[-(1 << 16) :]),
        "results": bytes(results[: cap + 1]) if cap is not None else None,
    }
    try:
        settled = _settled()
        _wipe(ROOT)
        _wipe(MQUEUE)
        answer["clean"] = settled and _state() == base["state"]
    except Exception:  # noqa: BLE001 - whatever the program left, the run's answer still goes back
        answer["clean"] = False
    return answer


WORKER_DONE, WORKER_QUIT, WORKER_EOF = 0, 1, 2  # a worker's exit: served and clean; slot given up; no more requests


def _worker(base, n):
    """One request, in a fresh fork of the pristine server: read it, run its program, answer, exit. Nothing of
    it outlives this process, so the next program (forked from the pristine server) inherits no earlier
    program's code, records, output or nonce in its memory."""
    req = _recv()
    if req is None:
        os._exit(WORKER_EOF)
    answer = _serve_one(base, req, n)
    _send(answer)
    os._exit(WORKER_QUIT if "error" in answer or not answer["clean"] else WORKER_DONE)


def serve():
    """The pristine server: it never reads a request. Per request it forks a worker that does (`_worker`)."""
    base = _recv()
    base["own_pidns"] = _own_pid_namespace(base)
    if not base["own_pidns"]:
        return  # the host only starts a server inside bwrap's PID namespace; refuse anything else
    sys.path.extend(base["site_dirs"])
    for name in PRELOAD:
        __import__(name)
    _dumpable(0)  # inherited by each worker: a program of the same uid cannot read their memory
    _own_session_keyring()  # inherited by each worker and program
    _clear_user_keyrings()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    base["state"] = _state()
    n = 0
    while True:
        select.select([0], [], [])  # a request (or the end) is there; reading it is the worker's job
        worker = os.fork()
        if worker == 0:
            try:
                _worker(base, n)
            finally:
                os._exit(WORKER_QUIT)
        _, status = os.waitpid(worker, 0)
        code = os.waitstatus_to_exitcode(status)
        if code == WORKER_EOF:
            return  # the host closed the request pipe
        _send({"reaped": True})  # the worker is gone: the host may count the slot's processes now
        if code != WORKER_DONE:
            return  # the slot was given up (or the worker killed): the host starts a new server for it
        n += 1


serve()
