"""The sandbox child's first code (run as `python -I -S -B -c <guard.py + this file> CONFIG`).

It reads its config (marshal, from an fd), becomes a tiny init when it is PID 1 of a new PID namespace, sets the
resource limits, installs the guard (an audit hook), runs the program, and reports how it ended on the
status fd as a dict literal line carrying the run's nonce, and exits 0 only when the program passed. The parent
decides by the exit status it observes; the report only says why (the program can read the nonce and write a
report of its own, so a report never turns a failing exit into a pass).
"""

import _signal
import marshal
import os
import resource
import sys

if "install_guard" not in globals():  # imported as a module; the child gets guard.py's source prepended
    from evol.sandbox.guard import SandboxViolation, install_guard


def _report(fd, nonce, **fields):
    os.write(fd, (repr({"nonce": nonce, **fields}) + "\n").encode())


def _be_init(cfg):
    """As PID 1: fork the worker, reap every child until it ends, report its exit, end the namespace."""
    worker = os.fork()
    if worker == 0:
        return
    status = 0
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        if pid == worker:
            break
    try:  # whatever the worker left dies first, so this report is the last line on the status fd
        os.kill(-1, 9)
    except OSError:
        pass
    _report(cfg["status_fd"], cfg["nonce"], worker_exit=os.waitstatus_to_exitcode(status))
    os._exit(0)


def _set_limits(limits):
    for name, value in limits.items():
        key = getattr(resource, name)
        _, hard = resource.getrlimit(key)
        cap = value + 1 if name == "RLIMIT_CPU" else value
        if hard != resource.RLIM_INFINITY:
            value, cap = min(value, hard), min(cap, hard)
        resource.setrlimit(key, (value, cap))


def _kind(exc):
    """The exception's class name, or SandboxViolation when a refusal of the guard caused it."""
    seen, cur = set(), exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, SandboxViolation):
            return "SandboxViolation"
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return type(exc).__name__


def _describe(exc):
    try:
        text = str(exc)
    except BaseException:  # a __str__ that raises
        text = ""
    name = type(exc).__name__
    return (f"{name}: {text}" if text else name)[:1000]


def _print_traceback(exc, last):
    """A short traceback on stderr (the traceback module costs more to import than most programs run)."""
    try:
        lines, tb = ["Traceback (most recent call last):\n"], exc.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if code.co_filename != "<string>":  # boot's own frames
                lines.append(f'  File "{code.co_filename}", line {tb.tb_lineno}, in {code.co_name}\n')
            tb = tb.tb_next
        sys.stderr.write("".join(lines) + last + "\n")
    except BaseException:  # noqa: S110 - reporting must not fail on a broken program
        pass


def _run(cfg):
    fd, nonce = cfg["status_fd"], cfg["nonce"]
    try:
        code = compile(cfg["program"], "main.py", "exec")
    except (SyntaxError, ValueError) as exc:
        _report(fd, nonce, status="failed", kind=type(exc).__name__, error=f"{type(exc).__name__}: {exc}")
        os._exit(1)
    namespace = {
        "__name__": "__main__",
        "__file__": os.path.join(cfg["workdir"], "main.py"),
        "__builtins__": __builtins__,
        "__evol_drive__": _evol_drive,  # noqa: F821 - driver_runtime.py's, prepended: the judge's Python driver
    }
    del cfg["program"]
    main_pid = os.getpid()
    try:
        exec(code, namespace)
        outcome = {"status": "passed"}
    except SystemExit as exc:
        ok = exc.code in (None, 0) and cfg["exit_ok"]
        outcome = (
            {"status": "passed"}
            if ok
            else {"status": "failed", "kind": "SystemExit", "error": f"SystemExit: {exc.code}"}
        )
    except BaseException as exc:  # the program's own failure, whatever it is
        outcome = {"status": "failed", "kind": _kind(exc), "error": _describe(exc)}
        namespace.clear()  # frees what the program held (a memory bomb) before anything else is done
        _print_traceback(exc, outcome["error"])
    if os.getpid() != main_pid:  # a forked child of the program: only the program itself reports
        os._exit(0)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: S110
            pass
    _report(fd, nonce, **outcome)
    os._exit(0 if outcome["status"] == "passed" else 1)  # the parent judges by this status, the report explains


def _quit(code=None):
    """exit()/quit(), which `site` would add (the child runs with -S)."""
    raise SystemExit(code)


def prepare(cfg):
    """Everything between reading the config and running the program: work dir, limits, builtins, guard."""
    os.chdir(cfg["workdir"])
    os.umask(0o077)
    _set_limits(cfg["limits"])
    _signal.alarm(int(cfg["alarm_s"]))  # a wall-clock backstop should the parent die
    __builtins__.exit = __builtins__.quit = _quit
    sys.path[:0] = [cfg["workdir"]]
    if cfg["guard"]:
        install_guard(cfg)


def main():
    with open(int(sys.argv[1]), "rb") as fh:  # an unlinked file only this process holds
        cfg = marshal.load(fh)
    if os.getpid() == 1:
        _be_init(cfg)
    sys.path.extend(cfg["site_dirs"])
    prepare(cfg)
    _run(cfg)


if __name__ == "__main__" and "ZYGOTE" not in globals():  # the fork server (zygote.py) calls prepare/_run
    main()
