"""Every language runner: a passing and a failing program, aliases, the build cache, and the attack table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evol.cli import app
from evol.sandbox import Limits, Sandbox, attacks, canonical_language, probe
from evol.sandbox.outcome import error_line
from evol.sandbox.runners import RUNNERS, Runner, aliases, packages
from evol.verification.code import answer_code, language_of
from tests.sandbox.conftest import require_bwrap, require_runner

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = list(RUNNERS)
PROGRAMS = {  # (passes and prints 42, fails)
    "python": ("print(6 * 7)", "assert 1 == 2"),
    "javascript": ("console.log(6 * 7)", "throw new Error('boom')"),
    "bash": ("echo $((6 * 7))", "echo boom >&2; exit 3"),
    "sql": ("SELECT 6 * 7;", "SELECT * FROM missing_table;"),
    "cpp": (
        '#include <cstdio>\nint main() { printf("%d\\n", 6 * 7); }',
        "#include <cassert>\nint main() { assert(1 == 2); }",
    ),
    "go": (
        'package main\nimport "fmt"\nfunc main() { fmt.Println(6 * 7) }',
        'package main\nfunc main() { panic("boom") }',
    ),
    "rust": ('fn main() { println!("{}", 6 * 7); }', "fn main() { assert_eq!(1, 2); }"),
    "java": (
        "public class Main { public static void main(String[] a) { System.out.println(6 * 7); } }",
        'class Sol { public static void main(String[] a) { throw new RuntimeException("boom"); } }',
    ),
}
FAILURES = {"python": "AssertionError", "bash": "exit:3", "sql": "exit:1", "cpp": "exit:134", "go": "exit:2"}


@pytest.fixture(scope="module")
def box() -> Sandbox:
    require_bwrap()
    return Sandbox(Limits(timeout_s=10.0), workers=2)


def test_names_and_aliases() -> None:
    assert sorted(LANGUAGES) == sorted(["python", "javascript", "bash", "sql", "cpp", "go", "rust", "java"])
    aliases = {"js": "javascript", "node": "javascript", "sh": "bash", "c++": "cpp", "golang": "go", "rs": "rust"}
    for alias, name in {**aliases, "py": "python", "Python": "python", "SQL": "sql"}.items():
        assert canonical_language(alias) == name
    assert canonical_language("cobol") is None
    assert not Sandbox(workers=1).supports("cobol")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_passing_and_a_failing_program(box: Sandbox, language: str) -> None:
    require_runner(language)
    assert box.supports(language)
    good, bad = PROGRAMS[language]
    ok = box.run(good, language=language)
    assert ok.status == "passed" and ok.stdout.strip() == "42", ok
    failed = box.run(bad, language=language)
    assert failed.status == "failed" and failed.kind == FAILURES.get(language, failed.kind), failed
    assert failed.kind.startswith(("exit:", "AssertionError")) and failed.error


def test_compile_errors_and_the_build_cache(box: Sandbox) -> None:
    require_runner("cpp")
    broken = box.run("int main() { return undefined_name; }", language="c++")
    assert (broken.status, broken.kind) == ("failed", "CompileError") and "undefined_name" in broken.error
    program = '#include <cstdio>\nint main() { puts("cached"); }'
    before = set(os.listdir(box.build_root))
    first = box.run(program, language="cpp")
    builds = set(os.listdir(box.build_root))
    again = box.run(program, language="cpp")
    assert first.passed and again.passed and set(os.listdir(box.build_root)) == builds  # no second build
    assert len([b for b in builds - before if b.startswith("cpp-")]) == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_attack_table(box: Sandbox, language: str) -> None:
    """Each attack fails (or times out) and nothing reaches the host: no connection, no secret, no write, no
    process left behind, output capped."""
    require_runner(language)
    if not probe.is_root():
        pytest.skip("planting a root-only secret needs root")
    uids = box.uids()  # this sandbox's own slots: another Sandbox's servers may be alive
    with attacks.planted() as scene:
        for attack in attacks.ATTACKS:
            res = box.run(scene.program(language, attack), language=language, limits=attacks.LIMITS)
            assert res.status in ("failed", "timed_out"), (attack, res)
            if attack == "infinite loop":  # the runtime started under the attack limits: the clock ended it
                assert (res.status, res.kind) == ("timed_out", "Timeout"), res
            assert res.kind != "CompileError", (attack, res.error)
            assert not scene.harms(res, uids, box.servers()), (attack, res)


def test_the_error_line_of_other_languages() -> None:
    go = "fatal error: runtime: out of memory\n\ngoroutine 1 [running]:\nmain.main()\n\t/b/main.go:2\ncreated by x\n"
    assert error_line(go, 2) == "fatal error: runtime: out of memory"
    node = "/build/main.js:1\nthrow new Error('boom')\n^\n\nError: boom\n    at Object.<anonymous>\n\nNode.js v20\n"
    assert error_line(node, 1) == "Error: boom"
    assert error_line("", 3) == "exited with status 3"


def test_one_table_names_every_language_for_the_sandbox_and_verification() -> None:
    """The aliases of fence tags and seed `lang` values are the runner table's (they once disagreed on these)."""
    for alias in ("cc", "sqlite3", "nodejs", "py3", "shell", "cxx"):
        assert language_of(alias) == canonical_language(alias) == aliases()[alias]
    assert language_of("cobol") is None and language_of(None) is None


def test_a_runner_added_by_one_entry_reaches_sandbox_aliases_doctor_and_test_deps(
        monkeypatch: pytest.MonkeyPatch) -> None:
    require_bwrap()
    dash = Runner("dash", ("ash",), ("sh",), "main.sh", ("sh", "{build}/{src}"), package="dash")
    monkeypatch.setitem(RUNNERS, "dash", dash)
    box = Sandbox(Limits(timeout_s=10.0), workers=1)
    assert box.supports("ASH") and box.run("echo $((6 * 7))", language="ash").stdout.strip() == "42"
    assert canonical_language("ash") == language_of("ash") == "dash"
    assert answer_code("```ash\necho 1\n```") == ("dash", "echo 1\n")
    done = CliRunner().invoke(app, ["sandbox", "doctor", "--json"])
    assert json.loads(done.output)["runners"]["dash"]["available"], done.output
    assert "sh:dash" in packages()


def test_test_deps_installs_the_runner_tables_packages() -> None:
    """scripts/test-deps.sh reads the table (run as a plain file with no site-packages: before any install)."""
    listed = subprocess.run([sys.executable, "-S", "-I", "evol/sandbox/runners.py", "--packages"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    assert listed == packages() and "javac:default-jdk-headless" in listed
    script = subprocess.run(["bash", "scripts/test-deps.sh", "--list"], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert script.stdout.split() == ["chromium:chromium", "redis-server:redis-server", "bwrap:bubblewrap", *listed]


def test_the_docs_runner_table_is_the_runner_table() -> None:
    doc = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in doc.splitlines()
            if line.startswith("| ") and line.count("|") == 6 and not line.startswith("| language")]
    shown = {row[0]: (set(row[1].split(", ")) - {"-"}, row[4].strip("-")) for row in rows}
    assert shown == {name: (set(r.aliases), r.package) for name, r in RUNNERS.items()}
