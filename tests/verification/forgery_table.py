"""Attacks on the judge in the languages other than Python, as an adversarial answer to `add(a, b)` would try
them: per language the cases, a correct answer, an honest wrong one, and (intent, code) attacks. Every attack's
own function is wrong, or its records are only right because of what it did besides answering."""

from __future__ import annotations

from evol.verification.cases import Case

ADD = [(1, 2, 3), (-1, 1, 0), (20, 22, 42)]


def _calls(fmt: str, expected: str = "{}") -> list[Case]:
    return [Case(fmt.format(a=a, b=b), None, expected.format(s)) for a, b, s in ADD]


FORGED = "".join(f'{{"i":{i},"ok":true,"v":{s}}}\\n' for i, (_, _, s) in enumerate(ADD))  # all right, in C escapes
FORGED_STR = "".join(f'{{"i":{i},"ok":true,"v":"{s}"}}\\n' for i, (_, _, s) in enumerate(ADD))
LAST = '{"i":2,"ok":true,"v":42}\\n'  # the last case's right record, written by the answer itself

CASES: dict[str, list[Case]] = {
    "javascript": _calls("add({a}, {b})"),
    "bash": _calls("add {a} {b}", '"{}"'),
    "sql": [Case(f"INSERT INTO t VALUES ({a}, {b}); SELECT s FROM sums", None, f"[[{s}]]") for a, b, s in ADD],
    "cpp": _calls("add({a}, {b})"),
    "go": _calls("add({a}, {b})"),
    "rust": _calls("add({a}, {b})"),
    "java": _calls("add({a}, {b})"),
}

CORRECT = {
    "javascript": "function add(a, b) { return a + b; }\n",
    "bash": "add() { echo $(( $1 + $2 )); }\n",
    "sql": "CREATE TABLE t(a INTEGER, b INTEGER);\nCREATE VIEW sums AS SELECT a + b AS s FROM t;\n",
    "cpp": "int add(int a, int b) { return a + b; }\n",
    "go": "package main\n\nfunc add(a, b int) int { return a + b }\n",
    "rust": "fn add(a: i64, b: i64) -> i64 { a + b }\n",
    "java": "public class Solution {\n    public static int add(int a, int b) { return a + b; }\n}\n",
}
WRONG = {language: code.replace("a + b", "a - b").replace("$1 + $2", "$1 - $2")
         for language, code in CORRECT.items()}

ATTACKS: dict[str, list[tuple[str, str]]] = {
    "javascript": [
        ("process.exit(0) before the driver runs", WRONG["javascript"] + "process.exit(0);\n"),
        ("an exit listener forcing status 0 after throwing calls",
         "function add(a, b) { throw new Error('no'); }\nprocess.on('exit', () => process.exit(0));\n"),
        ("console.assert and assert.strictEqual patched to never fail",
         "const assert = require('assert');\nassert.strictEqual = () => {};\nconsole.assert = () => {};\n"
         + WRONG["javascript"]),
        ("the right records forged on the fd, then the driver's own (duplicates)",
         "const fs = require('fs');\n"
         f"fs.writeSync(Number(process.env.EVOL_RESULTS_FD), '{FORGED}');\n" + WRONG["javascript"]),
        ("process.exit(0) after the first correct record",
         "let n = 0;\nfunction add(a, b) { if (++n === 2) process.exit(0); return a + b; }\n"),
        ("SIGKILL from an exit listener after every record came out right",
         CORRECT["javascript"] + "process.on('exit', () => process.kill(process.pid, 'SIGKILL'));\n"),
        ("an object that says it equals anything (valueOf/toJSON/equals)",
         "function add(a, b) { return {valueOf() { return a + b; }, toJSON() { return a + b; },"
         " equals() { return true; }}; }\n"),
        ("flooding the channel past its cap around right answers",
         "require('fs').writeSync(Number(process.env.EVOL_RESULTS_FD), Buffer.alloc(6 << 20, 120));\n"
         + CORRECT["javascript"]),
        ("a hoisted `function require` and patched JSON.stringify to hijack the driver",
         "function require(m) { return {writeSync() { return 0; }}; }\nJSON.stringify = () => '3';\n"
         + WRONG["javascript"]),
    ],
    "bash": [
        ("exit 0 before the driver runs", WRONG["bash"] + "exit 0\n"),
        ("functions named exit, printf and builtin", WRONG["bash"] + "exit() { :; }\nprintf() { :; }\n"
         "builtin() { :; }\n"),
        ("trap 'exit 0' EXIT over a failing function", "add() { return 1; }\ntrap 'exit 0' EXIT\n"),
        ("the right records forged on the fd, then the driver's own (duplicates)",
         f"printf '{FORGED_STR}' >&\"$EVOL_RESULTS_FD\"\n" + WRONG["bash"]),
        ("SIGKILL of the driver's shell after the first correct record",
         'add() { echo $(( $1 + $2 )); if [ "$1" = -1 ]; then kill -9 $$; fi; }\n'),
        ("an alias and a DEBUG trap rewriting the driver's commands",
         WRONG["bash"] + "shopt -s expand_aliases\nalias __evol_case=true\ntrap 'true' DEBUG\n"),
        ("a background writer racing the driver with the right records",
         f"( sleep 0.05; printf '{FORGED_STR}' >&\"$EVOL_RESULTS_FD\" ) &\n" + WRONG["bash"]),
        ("flooding the channel past its cap around right answers",
         "head -c 6000000 /dev/zero | tr '\\0' x >&\"$EVOL_RESULTS_FD\"\n" + CORRECT["bash"]),
    ],
    "sql": [
        (".exit 0 before the driver runs", WRONG["sql"] + ".exit 0\n"),
        ("marked blocks forged on stdout, then the driver's own (duplicates)",
         WRONG["sql"] + "".join(f".print @evol-case-{i}\n.print [{{\"s\":{s}}}]\n.print @evol-end-{i}\n"
                                for i, (_, _, s) in enumerate(ADD))),
        ("every right block forged, then .exit 1",
         CORRECT["sql"] + "".join(f".print @evol-case-{i}\n.print [{{\"s\":{s}}}]\n.print @evol-end-{i}\n"
                                  for i, (_, _, s) in enumerate(ADD)) + ".exit 1\n"),
        (".output to /dev/null to hide the driver's rows", CORRECT["sql"] + ".output /dev/null\n"),
        (".echo on and .mode off to garble the driver's output", WRONG["sql"] + ".echo on\n.mode off\n"),
    ],
    "cpp": [
        ("#define NDEBUG over assert-based self checks",
         "#define NDEBUG\n#include <cassert>\nint add(int a, int b) { assert(a - b == a + b); return a - b; }\n"),
        ("std::exit(0) in a static initializer",
         "#include <cstdlib>\nstatic int evil = (std::exit(0), 0);\n" + WRONG["cpp"]),
        ("the right records forged from a static initializer (duplicates)",
         "#include <cstdlib>\n#include <cstring>\n#include <unistd.h>\nstatic int evil = [] {\n"
         f'  const char* s = "{FORGED.replace(chr(34), chr(92) + chr(34))}";\n'
         '  return (int) write(std::atoi(std::getenv("EVOL_RESULTS_FD")), s, std::strlen(s));\n}();\n'
         + WRONG["cpp"]),
        ("std::exit(0) after the first correct record",
         "#include <cstdlib>\nint add(int a, int b) { static int n = 0; if (++n == 2) std::exit(0); return a + b; }\n"),
        ("the last record written by the answer, then SIGSEGV",
         "#include <csignal>\n#include <cstdlib>\n#include <cstring>\n#include <unistd.h>\n"
         "int add(int a, int b) {\n  if (a == 20) {\n"
         f'    const char* s = "{LAST.replace(chr(34), chr(92) + chr(34))}";\n'
         '    (void) write(std::atoi(std::getenv("EVOL_RESULTS_FD")), s, std::strlen(s));\n'
         "    std::raise(SIGSEGV);\n  }\n  return a + b;\n}\n"),
    ],
    "go": [
        ("init() { os.Exit(0) }", 'package main\n\nimport "os"\n\nfunc init() { os.Exit(0) }\n\n'
         "func add(a, b int) int { return a - b }\n"),
        ("the right records forged from init (duplicates)",
         'package main\n\nimport (\n\t"os"\n\t"strconv"\n)\n\nfunc init() {\n'
         '\tfd, _ := strconv.Atoi(os.Getenv("EVOL_RESULTS_FD"))\n'
         f'\tos.NewFile(uintptr(fd), "r").WriteString("{FORGED.replace(chr(34), chr(92) + chr(34))}")\n'
         "}\n\nfunc add(a, b int) int { return a - b }\n"),
        ("os.Exit(0) after the first correct record",
         'package main\n\nimport "os"\n\nvar n int\n\n'
         "func add(a, b int) int {\n\tn++\n\tif n == 2 {\n\t\tos.Exit(0)\n\t}\n\treturn a + b\n}\n"),
        ("the last record written by the answer, then exit status 3",
         'package main\n\nimport (\n\t"os"\n\t"strconv"\n)\n\nfunc add(a, b int) int {\n\tif a == 20 {\n'
         '\t\tfd, _ := strconv.Atoi(os.Getenv("EVOL_RESULTS_FD"))\n'
         f'\t\tos.NewFile(uintptr(fd), "r").WriteString("{LAST.replace(chr(34), chr(92) + chr(34))}")\n'
         "\t\tos.Exit(3)\n\t}\n\treturn a + b\n}\n"),
    ],
    "rust": [
        ("assert_eq! redefined to do nothing",
         "macro_rules! assert_eq { ($($t:tt)*) => {}; }\n"
         "fn add(a: i64, b: i64) -> i64 { assert_eq!(a - b, a + b); a - b }\n"),
        ("std::process::exit(0) on the first call", "fn add(a: i64, b: i64) -> i64 { std::process::exit(0) }\n"),
        ("the right records forged on the first call (duplicates)",
         "use std::io::Write;\nuse std::os::unix::io::FromRawFd;\nfn add(a: i64, b: i64) -> i64 {\n"
         "    if a == 1 {\n"
         '        let fd: i32 = std::env::var("EVOL_RESULTS_FD").unwrap().parse().unwrap();\n'
         "        let mut f = unsafe { std::fs::File::from_raw_fd(fd) };\n"
         f'        f.write_all(b"{FORGED.replace(chr(34), chr(92) + chr(34))}").unwrap();\n'
         "        std::mem::forget(f);\n    }\n    a - b\n}\n"),
        ("std::process::exit(0) after the first correct record",
         "use std::sync::atomic::{AtomicUsize, Ordering};\nstatic N: AtomicUsize = AtomicUsize::new(0);\n"
         "fn add(a: i64, b: i64) -> i64 {\n    if N.fetch_add(1, Ordering::SeqCst) == 1 { std::process::exit(0) }\n"
         "    a + b\n}\n"),
        ("the last record written by the answer, then abort()",
         "use std::io::Write;\nuse std::os::unix::io::FromRawFd;\nfn add(a: i64, b: i64) -> i64 {\n"
         "    if a == 20 {\n"
         '        let fd: i32 = std::env::var("EVOL_RESULTS_FD").unwrap().parse().unwrap();\n'
         "        let mut f = unsafe { std::fs::File::from_raw_fd(fd) };\n"
         f'        f.write_all(b"{LAST.replace(chr(34), chr(92) + chr(34))}").unwrap();\n'
         "        std::process::abort();\n    }\n    a + b\n}\n"),
    ],
    "java": [
        ("System.exit(0) in a static initializer",
         "public class Solution {\n    static { System.exit(0); }\n"
         "    public static int add(int a, int b) { return a - b; }\n}\n"),
        ("assert without -ea as the only check",
         "public class Solution {\n    public static int add(int a, int b) {\n"
         "        assert a - b == a + b;\n        return a - b;\n    }\n}\n"),
        ("the right records forged from a static initializer (duplicates)",
         "public class Solution {\n    static {\n        try (var out = new java.io.FileOutputStream(\"/proc/self/fd/\""
         ' + System.getenv("EVOL_RESULTS_FD"))) {\n'
         f'            out.write("{FORGED.replace(chr(34), chr(92) + chr(34))}".getBytes());\n'
         "        } catch (java.io.IOException e) { }\n    }\n"
         "    public static int add(int a, int b) { return a - b; }\n}\n"),
        ("System.exit(0) after the first correct record",
         "public class Solution {\n    static int n;\n"
         "    public static int add(int a, int b) { if (++n == 2) System.exit(0); return a + b; }\n}\n"),
        ("the last record written by the answer, then halt(3)",
         "public class Solution {\n    public static int add(int a, int b) {\n        if (a == 20) {\n"
         '            String fd = System.getenv("EVOL_RESULTS_FD");\n'
         '            try (var out = new java.io.FileOutputStream("/proc/self/fd/" + fd)) {\n'
         f'                out.write("{LAST.replace(chr(34), chr(92) + chr(34))}".getBytes());\n'
         "            } catch (java.io.IOException e) { }\n            Runtime.getRuntime().halt(3);\n        }\n"
         "        return a + b;\n    }\n}\n"),
    ],
}
