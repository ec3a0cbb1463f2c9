"""The forgery suite (#19): answers that try to be verified without solving the task, each run through the real
sandbox and the verify stage's judge, must come back not verified; the correct answer still is, and an honest
wrong one is not.

The table is per language: `ATTACKS[language]` lists `Attack(name, language, code, intent)`, with the task's
`CASES[language]`, a `CORRECT[language]` and a `WRONG[language]` answer. The other languages' entries come from
tests/verification/forgery_table.py (their drivers in evol/verification/drivers/).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from evol.sandbox import Sandbox
from evol.stages.verify import check
from evol.verification import Case, Verdict
from tests.sandbox.conftest import require_bwrap, require_runner
from tests.verification import forgery_table as other

TASK = "Write a function add(a, b) that returns the sum of two integers."


@dataclass(frozen=True)
class Attack:
    """One way an answer might try to pass without solving the task, and what it means to do."""

    name: str
    language: str
    code: str
    intent: str


# Expected values the answers cannot guess with one constant: 3, 0, 42.
CASES = {"python": [Case("add(1, 2)", None, "3"), Case("add(-1, 1)", None, "0"), Case("add(20, 22)", None, "42")]}
CORRECT = {"python": "def add(a, b):\n    return a + b\n"}
WRONG = {"python": "def add(a, b):\n    return a * b\n"}

# Helpers the Python attacks share: every pipe the process holds (the results channel among them) and forged
# records claiming the value 3 for every case.
PY_FORGE = '''
import os


def _pipes():
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name).startswith("pipe:"):
                found.append(int(name))
        except OSError:
            pass
    return found


def _forge(text):
    for fd in _pipes():
        try:
            os.write(fd, text.encode())
        except OSError:
            pass


RECORDS = "".join('{"i": %d, "ok": true, "v": 3}\\n' % i for i in range(3))
'''
CONST = "def add(a, b):\n    return 3\n"


def py(name: str, code: str, intent: str) -> Attack:
    return Attack(name, "python", code, intent)


PYTHON = [
    py("shadow_exec", "def exec(*a, **k):\n    pass\n\n" + CONST, "a module-level exec that skips the tests"),
    py("shadow_compile", "def compile(*a, **k):\n    return __builtins__['compile']('pass', 'x', 'exec')\n\n"
       + CONST, "compile returning `pass` for every test"),
    py("shadow_print", "def print(*a, **k):\n    pass\n\n" + CONST, "a print that rewrites the verdict line"),
    py("shadow_json", "json = None\n\n" + CONST, "break the harness's json by name"),
    py("patched_builtins", "import builtins\nbuiltins.exec = lambda *a, **k: None\nbuiltins.eval = lambda *a, **k: 3\n"
       "builtins.compile = lambda *a, **k: None\nbuiltins.type = lambda *a: int\nbuiltins.int = object\n"
       "builtins.range = lambda *a: [0, 0, 0]\n" + CONST, "patch the builtins the judge would use"),
    py("fake_json_module", "import sys, types\nfake = types.ModuleType('json')\n"
       "fake.dumps = lambda *a, **k: '{\"i\": 0, \"ok\": true, \"v\": 3}'\nfake.loads = lambda *a, **k: {}\n"
       "sys.modules['json'] = sys.modules['_json'] = fake\n" + CONST, "a fake json module in sys.modules"),
    py("settrace", "import sys\n\ndef tracer(frame, event, arg):\n    if event == 'return':\n"
       "        frame.f_locals.clear()\n        frame.f_locals['value'] = 3\n    return tracer\n\n"
       "sys.settrace(tracer)\n" + CONST, "a tracer rewriting the judge's frames"),
    py("read_constants", "import gc, sys\n\ndef add(a, b):\n    seen = []\n    f = sys._getframe()\n    while f:\n"
       "        seen += [c for c in f.f_code.co_consts if type(c) is int]\n"
       "        seen += [v for v in f.f_locals.values() if type(v) is int]\n        f = f.f_back\n"
       "    seen += [o for o in gc.get_objects() if type(o) is str and o.isdigit()][:1]\n"
       "    return max(seen) if seen else 3\n", "read the expected values from code objects, frames and gc"),
    py("inspect_stack", "import inspect\n\ndef add(a, b):\n    for info in inspect.stack():\n"
       "        for key in ('expected', 'cases', 'tests'):\n            if key in info.frame.f_locals:\n"
       "                return info.frame.f_locals[key]\n    return 3\n", "find the tests through inspect.stack"),
    py("nonce_then_exit", "import os, sys\nf = sys._getframe()\nwhile f is not None and 'cfg' not in f.f_locals:\n"
       "    f = f.f_back\ncfg = f.f_locals['cfg'] if f is not None else {}\n"
       "os.write(cfg.get('status_fd', 3), (repr({'nonce': cfg.get('nonce'), 'status': 'passed'}) + '\\n').encode())\n"
       "print('EVOL-VERDICT', cfg.get('nonce'), '{\"passed\": 3, \"total\": 3, \"failed\": []}')\nos._exit(0)\n",
       "read the sandbox's nonce, forge its report and a verdict line, exit 0"),
    py("always_equal", "class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n\n"
       "    def __ne__(self, other):\n        return False\n\ndef add(a, b):\n    return AlwaysEqual()\n",
       "an object equal to everything"),
    py("always_equal_int", "class Int(int):\n    def __eq__(self, other):\n        return True\n\n"
       "    __hash__ = int.__hash__\n\ndef add(a, b):\n    return Int(7)\n", "an int subclass equal to everything"),
    py("always_equal_container", "class L(list):\n    def __eq__(self, other):\n        return True\n\n"
       "def add(a, b):\n    return [L()]\n", "a subclass hidden inside a plain list"),
    py("tag_lookalike", "def add(a, b):\n    return {'$t': 'float', 'v': 'nan'}\n",
       "a dict that looks like the channel's tags"),
    py("forged_wrong_index", PY_FORGE + "_forge('{\"i\": 2, \"ok\": true, \"v\": 42}\\n')\n" + CONST,
       "records out of order on the channel"),
    py("forged_duplicates", PY_FORGE + "_forge(RECORDS)\n" + CONST, "every record written twice"),
    py("forged_then_exit", PY_FORGE + "_forge(RECORDS)\nos._exit(0)\n", "forged records, then exit before the judge"),
    py("forged_extra_at_exit", PY_FORGE + "import atexit\natexit.register(_forge, RECORDS)\n" + CONST,
       "extra records from an atexit hook"),
    py("flood", PY_FORGE + "_forge('x' * (5 << 20))\n" + CONST, "flood the channel past its cap"),
    py("racing_thread", PY_FORGE + "import threading\n\ndef spam():\n    for _ in range(2000):\n"
       "        _forge(RECORDS)\n\nthreading.Thread(target=spam, daemon=True).start()\n" + CONST,
       "a thread racing the judge's writes"),
    py("proc_self_fd", "import os\n\ndef add(a, b):\n    for name in os.listdir('/proc/self/fd'):\n        try:\n"
       "            with open('/proc/self/fd/' + name, 'w') as fh:\n"
       "                fh.write('{\"i\": 0, \"ok\": true, \"v\": 3}\\n')\n        except OSError:\n"
       "            pass\n    return 3\n", "reopen the channel through /proc/self/fd"),
    py("redirect_channel", PY_FORGE + "for fd in _pipes():\n    spare = os.dup(fd)\n"
       "    os.dup2(os.open('/dev/null', os.O_WRONLY), fd)\n    os.write(spare, RECORDS.encode())\n" + CONST,
       "point the judge's fd at /dev/null and write its own records"),
    py("close_channel", PY_FORGE + "for fd in _pipes():\n    os.close(fd)\n" + CONST, "close the channel"),
    py("encoder_closure", "import sys\n\ndef add(a, b):\n    f = sys._getframe(1)\n"
       "    enc = f.f_locals.get('enc') or f.f_back.f_locals.get('enc')\n    if enc is not None:\n"
       "        for cell in enc.__closure__ or ():\n            if cell.cell_contents is int.__repr__:\n"
       "                cell.cell_contents = lambda x: '3'\n    return 0\n", "rewrite the driver's encoder"),
    py("exit_early", "import sys\nsys.exit(0)\n" + CONST, "exit 0 before any test runs"),
    py("os_exit_early", "import os\nos._exit(0)\n", "os._exit(0) at import"),
    py("sys_exit_in_call", "import sys\n\ndef add(a, b):\n    sys.exit(0)\n", "sys.exit(0) inside the call"),
    py("exit_nonzero_after_records", "import os\n_real = os._exit\nos._exit = lambda code: _real(1)\n\n"
       "def add(a, b):\n    return a + b\n", "correct records, then a non-zero exit"),
    py("kill_process_group", "import os, signal\n\ndef add(a, b):\n    os.killpg(0, signal.SIGKILL)\n",
       "kill its own process group mid-run"),
    py("kill_everything", "import os, signal\n\ndef add(a, b):\n    for target in (os.getppid(), -1):\n        try:\n"
       "            os.kill(target, signal.SIGKILL)\n        except OSError:\n            pass\n    return 3\n",
       "signal the judge and everything it can see"),
    py("hang", "def add(a, b):\n    while True:\n        pass\n", "run out the clock"),
    py("stop_self", "import os, signal\n\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGSTOP)\n    return 3\n",
       "stop itself so the judge waits forever"),
    py("decode_bomb", PY_FORGE + "_forge('{\"i\": 0, \"ok\": true, \"v\": ' + '[' * 100000 + ']' * 100000 + '}\\n')\n"
       "os._exit(0)\n", "a record nested deep enough to crash a naive decoder"),
    py("nested_return", "def add(a, b):\n    x = 3\n    for _ in range(500):\n        x = [x]\n    return x\n",
       "a value nested past the encoder's depth"),
    py("fork_writer", PY_FORGE + "if os.fork() == 0:\n    import time\n    time.sleep(0.2)\n    _forge(RECORDS)\n"
       "    os._exit(0)\n" + CONST, "a child process that writes after the judge's records"),
    py("memory_bomb", "def add(a, b):\n    return len(bytearray(1 << 40))\n", "exhaust memory in the call"),
    py("string_for_int", "def add(a, b):\n    return str(a + b)\n", "the right digits as the wrong type"),
]
ATTACKS: dict[str, list[Attack]] = {"python": PYTHON}

# The other languages' entries (tests/verification/forgery_table.py), through their drivers.
CASES.update(other.CASES)
CORRECT.update(other.CORRECT)
WRONG.update(other.WRONG)
ATTACKS.update({language: [Attack(f"{language}:{re.sub(r'[^a-z0-9]+', '_', intent.lower()).strip('_')[:60]}",
                                  language, code, intent) for intent, code in table]
                for language, table in other.ATTACKS.items()})


def modes(language: str) -> tuple[str, ...]:
    """The sandbox modes a language runs under: the warm executor is Python's only."""
    return ("warm", "spawn") if language == "python" else ("spawn",)


@pytest.fixture(scope="module")
def boxes() -> Iterator[dict[str, Sandbox]]:
    """One Sandbox per mode for this module, made on first use, dropped (servers closed) at its end."""
    made: dict[str, Sandbox] = {}
    yield made
    made.clear()


def sandbox_for(boxes: dict[str, Sandbox], mode: str) -> Sandbox:
    require_bwrap()
    if mode not in boxes:
        boxes[mode] = Sandbox(workers=1, warm=mode == "warm")
    return boxes[mode]


def verdict(sandbox: Sandbox, language: str, code: str) -> Verdict:
    """The verify stage's judge (evol.stages.verify.check) on the task's cases."""
    if language != "python":
        require_runner(language)
    ctx = SimpleNamespace(sandbox=sandbox, verify=SimpleNamespace(timeout_s=3.0, memory_mb=512))
    return asyncio.run(check(ctx, code, CASES[language], language, TASK))  # type: ignore[arg-type]


@pytest.mark.parametrize(("mode", "language"), [(m, lang) for lang in sorted(ATTACKS) for m in modes(lang)])
def test_the_correct_answer_is_verified_and_an_honest_wrong_one_is_not(boxes: dict[str, Sandbox], mode: str,
                                                                        language: str) -> None:
    sandbox = sandbox_for(boxes, mode)
    assert verdict(sandbox, language, CORRECT[language]).ok
    wrong = verdict(sandbox, language, WRONG[language])
    assert wrong.status == "failed_tests" and wrong.passed == 0


@pytest.mark.parametrize(("mode", "attack"), [(m, a) for table in ATTACKS.values() for a in table
                                              for m in modes(a.language)],
                         ids=lambda x: x if isinstance(x, str) else x.name)
def test_no_attack_is_verified(boxes: dict[str, Sandbox], mode: str, attack: Attack) -> None:
    sandbox = sandbox_for(boxes, mode)
    v = verdict(sandbox, attack.language, attack.code)
    assert not v.ok, f"{attack.name} ({attack.intent}) came back verified"
    assert sandbox.run("print(1)").passed  # and the slot still serves the next program
    if attack.language != "python":
        assert sandbox.run(CORRECT["bash"], language="bash").passed  # and a program of another language


def test_the_table_covers_the_issues_attacks() -> None:
    names = {a.name for a in PYTHON}
    assert len(names) == len(PYTHON) >= 30
    assert all(a.intent and a.language in CASES for table in ATTACKS.values() for a in table)
    others = [a for language, table in ATTACKS.items() if language != "python" for a in table]
    assert len({a.name for a in others}) == len(others) >= 40
    assert all(len(table) >= 3 for table in ATTACKS.values()) and len(ATTACKS) == 8
