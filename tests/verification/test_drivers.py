"""Each language's driver through the real sandbox: the values of typed calls cross the channel in their tagged
form (decoded here into exact builtin types), an exception is an error record of the answer's, a missing name
is the call's, and the driver survives an answer that tampers with the names it uses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest

from evol.sandbox import Limits, Sandbox
from evol.verification.cases import Case
from evol.verification.drivers import driver_for
from evol.verification.drivers.cpp import qualified as cpp_qualified
from evol.verification.drivers.java import qualified
from evol.verification.drivers.rust import qualified as rust_qualified
from evol.verification.drivers.sql import records
from evol.verification.jsonform import agree
from evol.verification.judge import check, decode_records, run_cases
from tests.sandbox.conftest import require_bwrap, require_runner

NAN = object()  # stands for a float NaN (never == itself)


@dataclass(frozen=True)
class Err:
    """An error record is due: its kind and where."""

    error: str
    where: str = "answer"


PROGRAMS: dict[str, tuple[str, list[tuple[str, Any]]]] = {
    "javascript": (
        "function f(k) {\n  return ({int: 3, float: 2.5, str: 'a\"b\\n', nul: null, yes: true, list: [1, [2, 'x']],\n"
        "    map: new Map([[1, 'one']]), set: new Set([1, 2]), obj: {a: 1}, nan: NaN, big: 10n ** 20n})[k];\n}\n"
        "async function later(x) { return x * 2; }\nfunction boom() { throw new RangeError('r'); }\n"
        "function require() { return {}; }\nconst process = {exit() {}};\n",
        [("f('int')", 3), ("f('float')", 2.5), ("f('str')", 'a"b\n'), ("f('nul')", None), ("f('yes')", True),
         ("f('list')", [1, [2, "x"]]), ("f('map')", {1: "one"}), ("f('set')", {1, 2}), ("f('obj')", {"a": 1}),
         ("f('nan')", NAN), ("f('big')", 10**20), ("later(21)", 42), ("boom()", Err("RangeError")),
         ("nope(1)", Err("NameError", "call"))],
    ),
    "bash": (
        "greet() { printf 'hi \"%s\"\\t\\\\\\n\\n' \"$1\"; }\nfail() { echo partial; return 3; }\n"
        "exit() { :; }\nprintf() { echo forged; }\nbuiltin() { :; }\n",
        [("greet bob", 'hi "bob"\t\\'), ("fail", Err("exit:3")), ("nope 1", Err("NameError", "call")),
         ("echo $(( 6 * 7 ))", "42")],
    ),
    "sql": (
        "CREATE TABLE t(a INTEGER, b TEXT, c REAL);\nINSERT INTO t VALUES (1, 'x', 0.5), (2, NULL, 2.0);\n"
        "SELECT 'the answer''s own output';\n",
        [("SELECT a, b, c FROM t ORDER BY a DESC", [[2, None, 2.0], [1, "x", 0.5]]),
         ("INSERT INTO t VALUES (3, 'y', 1.5); SELECT count(*) FROM t", [[3]]),
         ("SELECT count(*) FROM t", [[2]]), ("SELECT a FROM t WHERE a > 9", []),
         ("SELECT a, a FROM t WHERE a = 1", [[1, 1]])],
    ),
    "cpp": (
        "#include <bits/stdc++.h>\nusing namespace std;\n#define int long long\n#define NDEBUG\n"
        "int add(int a, int b) { return a + b; }\n"
        "vector<pair<string, double>> f() { return {{\"a\\n\", 2.0}, {\"b\", 0.1}}; }\n"
        "map<int, set<char>> g() { return {{1, {'x', 'y'}}}; }\n"
        "optional<int> h(bool b) { if (b) return 3; return nullopt; }\n"
        "tuple<int, bool, vector<bool>> t() { return {1, true, {true, false}}; }\n"
        "int boom() { return vector<int>{}.at(3); }\nsigned main() { cout << add(1, 2) << endl; }\n",
        [("add(1, 2)", 3), ("f()", [("a\n", 2.0), ("b", 0.1)]), ("g()", {1: {"x", "y"}}), ("h(true)", 3),
         ("h(false)", None), ("t()", (1, True, [True, False])), ("boom()", Err("out_of_range")),
         ("std::string(\"s\")", "s"), ("1.0 / 0", math.inf), ("'c'", "c")],
    ),
    "go": (
        'package main\n\nimport (\n\t"errors"\n\t"fmt"\n)\n\ntype P struct{ X, Y int }\n\n'
        "func div(a, b int) (int, error) {\n\tif b == 0 {\n\t\treturn 0, errors.New(\"zero\")\n\t}\n"
        "\treturn a / b, nil\n}\n\nfunc pair() (string, []float64) { return \"a\", []float64{1, 2.5} }\n"
        "func m() map[string]*P { return map[string]*P{\"p\": {1, 2}, \"nil\": nil} }\n"
        "func idx() int { s := []int{}; return s[3] }\n\nfunc main() { fmt.Println(div(1, 2)) }\n",
        [("div(7, 2)", 3), ("div(1, 0)", Err("error")), ("pair()", ("a", [1.0, 2.5])),
         ("m()", {"p": {"X": 1, "Y": 2}, "nil": None}), ("idx()", Err("panic")),
         ("[]string{\"x\"}", ["x"])],
    ),
    "rust": (
        "#![allow(unused)]\nuse std::collections::{HashMap, HashSet};\n"
        "macro_rules! vec { ($($t:tt)*) => { Vec::new() }; }\n"
        "fn f() -> Vec<(String, f64)> { let mut v = Vec::new(); v.push((\"a\".to_string(), 2.0)); v }\n"
        "fn g() -> HashMap<i64, Option<char>> { let mut m = HashMap::new(); m.insert(1, Some('x'));"
        " m.insert(2, None); m }\n"
        "fn s() -> HashSet<u8> { [1u8, 2].iter().cloned().collect() }\n"
        "fn r(ok: bool) -> Result<u8, String> { if ok { Ok(1) } else { Err(\"no\".into()) } }\n"
        "fn boom() -> i32 { let v: Vec<i32> = Vec::new(); v[3] }\nfn main() { println!(\"{:?}\", f()); }\n",
        [("f()", [("a", 2.0)]), ("g()", {1: "x", 2: None}), ("s()", {1, 2}), ("r(true)", 1),
         ("r(false)", Err("Err")), ("boom()", Err("panic")), ("[1.5f32, f32::NAN]", [1.5, NAN]),
         ("(1, \"x\", [true])", (1, "x", [True])), ("vec![1, 2]", [1, 2])],
    ),
    "java": (
        "package foo;\nimport java.util.*;\nimport java.util.stream.Collectors;\n\n"
        "/* public class Fake */\npublic final class Answer {\n"
        "    public static int add(int a, int b) { return a + b; }\n"
        "    public static List<Map<String, Double>> f() { return List.of(Map.of(\"a\", 2.0)); }\n"
        "    public static int[] arr() { return new int[]{1, 2}; }\n"
        "    static Set<Character> chars(String s) {\n"
        "        return s.chars().mapToObj(c -> (char) c).collect(Collectors.toSet());\n    }\n"
        "    public static int boom() { int[] a = new int[0]; return a[3]; }\n"
        "    public static void main(String[] args) { System.out.println(add(1, 2)); }\n}\n\n"
        "class Solution {\n    public String greet(String who) { return \"hi \" + who; }\n"
        "    public Optional<Integer> none() { return Optional.empty(); }\n}\n",
        [("add(1, 2)", 3), ("Solution.add(2, 3)", 5), ("f()", [{"a": 2.0}]), ("Answer.arr()", [1, 2]),
         ("chars(\"aab\")", {"a", "b"}), ("greet(\"x\")", "hi x"), ("new Solution().none()", None),
         ("boom()", Err("ArrayIndexOutOfBoundsException")), ("Double.NaN", NAN), ("1L << 40", 1 << 40)],
    ),
}


@pytest.fixture(scope="module")
def box() -> Sandbox:
    require_bwrap()
    return Sandbox(Limits(timeout_s=10.0), workers=1)


def same(actual: Any, expected: Any) -> bool:
    """Equal with exact types all the way down (True is not 1, a tuple is not a list); NAN matches a NaN."""
    if expected is NAN:
        return type(actual) is float and math.isnan(actual)
    if type(actual) is not type(expected):
        return False
    if type(expected) in (list, tuple):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected, strict=True))
    if type(expected) is dict:
        return actual.keys() == expected.keys() and all(same(actual[k], expected[k]) for k in expected)
    return bool(actual == expected)


@pytest.mark.parametrize("language", sorted(PROGRAMS))
def test_values_errors_and_missing_names_cross_the_channel(box: Sandbox, language: str) -> None:
    require_runner(language)
    code, table = PROGRAMS[language]
    cases = [Case(call, None, "null") for call, _ in table]
    run = run_cases(box, code, language, cases)
    assert run.status == "completed", run
    for (call, expected), out in zip(table, run.outputs, strict=True):
        assert out is not None, (call, run)
        if isinstance(expected, Err):
            assert (out.ok, out.error, out.where) == (False, expected.error, expected.where), (call, out)
        else:
            assert out.ok and same(out.value, expected), (call, out)


def test_a_missing_name_is_the_calls_fault_only_where_the_language_says_so(box: Sandbox) -> None:
    require_runner("javascript")
    out = run_cases(box, "function add(a, b) { return a + b; }\n", "javascript",
                    [Case("sub(1, 2)", None, "null"), Case("add(1, 2).x.y", None, "null")]).outputs
    assert (out[0].error, out[0].where, out[0].name) == ("NameError", "call", "sub")  # type: ignore[union-attr]
    assert (out[1].error, out[1].where) == ("TypeError", "answer")  # type: ignore[union-attr]


def test_a_driver_program_holds_call_cases_only() -> None:
    for language in PROGRAMS:
        with pytest.raises(ValueError):
            driver_for(language).program("x", [Case(None, "1 2\n", "3")])  # type: ignore[union-attr]


def test_sql_records_read_only_the_marked_blocks() -> None:
    out = b"noise\n@evol-case-0\n[{\"a\":1,\"a\":2},\n{\"a\":3,\"a\":null}]\n@evol-end-0\n@evol-case-1\n@evol-end-1\n"
    outputs, why = decode_records(records(out), 2)
    assert why == "" and [o.value for o in outputs] == [[[1, 2], [3, None]], []]  # type: ignore[union-attr]
    forged = b"@evol-case-0\n[{\"s\":3}]\n@evol-end-0\n" + out
    assert decode_records(records(forged), 2)[1].startswith("record 1")  # a duplicate index 0
    assert records(b"@evol-case-0\n[{\"s\":3}]\n") == b""  # an unterminated block is no record


def test_json_expected_values_agree_with_tuples_sets_and_keys() -> None:
    assert agree((1, [2, 3]), [1, [2, 3]]) and not agree((1, 2), [2, 1])
    assert agree({2, 1}, [1, 2]) and not agree({1, 2}, [1, 1, 2]) and not agree({1}, 1)
    assert agree({1: {"x"}, None: 2}, {"1": ["x"], "null": 2}) and agree({True: 1}, {"true": 1})
    assert not agree({1: 2}, {"2": 2})
    assert agree([0.1 + 0.2], [0.3], 1e-9) and not agree([0.1 + 0.2], [0.3]) and not agree("3", 3)
    assert not agree([1], {"0": 1}) and not agree({"a": 1}, [["a", 1]])


def test_a_pair_is_verified_against_a_json_list(box: Sandbox) -> None:
    require_runner("cpp")
    code = "#include <utility>\nstd::pair<int, int> mm(int a, int b) { return {a < b ? a : b, a < b ? b : a}; }\n"
    cases = [Case("mm(3, 1)", None, "[1, 3]"), Case("mm(1, 1)", None, "[1, 1]")]
    assert check(box, code, "cpp", cases).status == "verified"
    assert check(box, code, "cpp", [Case("mm(3, 1)", None, "[3, 1]")]).status == "failed_tests"


@pytest.mark.parametrize(("language", "code", "call", "kind"), [
    ("javascript", "function f(x) { if (x < 0) throw new RangeError('neg'); return x; }", "f(-1)", "RangeError"),
    ("cpp", "#include <stdexcept>\nint f(int x) { if (x < 0) throw std::invalid_argument(\"neg\"); return x; }",
     "f(-1)", "invalid_argument"),
])
def test_an_expected_error_is_named_by_its_class(box: Sandbox, language: str, code: str, call: str,
                                                 kind: str) -> None:
    require_runner(language)
    good = [Case(call, None, "", raises=kind), Case("f(2)", None, "2")]
    assert check(box, code, language, good).status == "verified"
    assert check(box, code, language, [Case("f(2)", None, "", raises=kind)]).status == "failed_tests"


@pytest.mark.parametrize(("language", "code"), [
    ("cpp", "#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << \"\\n\"; }\n"),
    ("bash", "read a b\necho $((a + b))\n"),
    ("java", "import java.util.Scanner;\npublic class Main {\n  public static void main(String[] x) {\n"
             "    Scanner s = new Scanner(System.in);\n    System.out.println(s.nextLong() + s.nextLong());\n"
             "    System.exit(0);\n  }\n  static long twice(long v) { return 2 * v; }\n}\n"),
])
def test_stdin_cases_run_the_answers_own_program(box: Sandbox, language: str, code: str) -> None:
    require_runner(language)
    cases = [Case(None, "1 2\n", "3"), Case(None, "20 22\n", "42\n")]
    if language == "java":
        cases.append(Case("twice(21)", None, "42"))  # a call case of the same set, through the driver
    assert check(box, code, language, cases).status == "verified"
    wrong = check(box, code, language, [Case(None, "1 2\n", "4"), Case(None, "5 5\n", "11")])
    assert (wrong.status, wrong.passed) == ("failed_tests", 0), wrong


def test_sql_has_no_stdin_of_its_own(box: Sandbox) -> None:
    require_runner("sql")
    assert check(box, "SELECT 1;", "sql", [Case(None, "1\n", "1")]).status == "unverifiable"


JAVA = ("public class Main {\n  public static int add(int a, int b) { return a + b; }\n"
        "  int twice(int x) { return 2 * x; }\n  static String s = helper(\"(\");\n}\n"
        "class Other { public static <T> List<T> id(List<T> x) { return x; } }\n")
CPP = ("#include <vector>\nusing namespace std;\nclass Solution {\npublic:\n"
       "    vector<int> twoSum(vector<int>& nums, int target) { return {0, 1}; }\n"
       "    static std::vector<int> make(int n) { return vector<int>(n); }\n};\nint free_fn(int x) { return x; }\n")
RUST = ("struct Solution;\nimpl Solution {\n"
        "    pub fn two_sum<'a>(nums: Vec<i32>, t: &'a str) -> Vec<i32> { vec![] }\n"
        "    fn get(&self) -> i32 { 1 }\n}\nimpl std::fmt::Debug for Other { fn fmt(&self) {} }\n"
        "fn helper() -> i32 { '{' as i32 }\n")


@pytest.mark.parametrize(("qualify", "code", "call", "expected"), [
    (qualified, JAVA, "add(1, 2)", "Main.add(1, 2)"),
    (qualified, JAVA, "Solution.add(1, 2)", "Main.add(1, 2)"),  # the class name the tests guessed
    (qualified, JAVA, "twice(3)", "new Main().twice(3)"),
    (qualified, JAVA, "id(List.of(1))", "Other.id(List.of(1))"),
    (qualified, JAVA, "Math.max(1, 2)", "Math.max(1, 2)"),
    (qualified, JAVA, "helper(1)", "helper(1)"),  # a call in a field initialiser declares nothing
    (cpp_qualified, CPP, "twoSum(v, 9)", "Solution().twoSum(v, 9)"),
    (cpp_qualified, CPP, "make(3)", "Solution::make(3)"),
    (cpp_qualified, CPP, "free_fn(1)", "free_fn(1)"),
    (cpp_qualified, CPP, "Solution().twoSum(v, 9)", "Solution().twoSum(v, 9)"),
    (rust_qualified, RUST, "two_sum(vec![1], \"x\")", "Solution::two_sum(vec![1], \"x\")"),
    (rust_qualified, RUST, "get()", "get()"),  # a method needs its receiver
    (rust_qualified, RUST, "helper()", "helper()"),
])
def test_a_bare_call_is_qualified_with_the_class_that_declares_it(qualify: Any, code: str, call: str,
                                                                  expected: str) -> None:
    assert qualify(call, code) == expected


@pytest.mark.parametrize(("language", "code", "call"), [
    ("cpp", "#include <vector>\nclass Solution {\npublic:\n  std::vector<int> two(int a) { return {a, a}; }\n};\n",
     "two(3)"),
    ("rust", "struct Solution;\nimpl Solution {\n    pub fn two(a: i32) -> Vec<i32> { vec![a, a] }\n}\n", "two(3)"),
])
def test_a_bare_call_of_a_class_member_is_verified(box: Sandbox, language: str, code: str, call: str) -> None:
    require_runner(language)
    assert check(box, code, language, [Case(call, None, "[3, 3]")]).status == "verified"
