"""Post-processing: one table row per completion shape; it never raises."""

from __future__ import annotations

import ast

import pytest

from evol.eval.postprocess import extract_code

F = "`" * 3
SOLUTION = "def add(a, b):\n    return a + b\n"
HELPER = "import math\n\n\ndef _half(x):\n    return x / 2\n\n\n"

CASES = [
    # (id, completion, code that must be in the result, text that must not)
    ("closed fence", f"Here you go:\n{F}python\n{SOLUTION}{F}\nIt adds.", [SOLUTION], ["Here you go", "It adds"]),
    ("py tag", f"{F}py\n{SOLUTION}{F}", [SOLUTION], []),
    ("Python3 tag", f"{F}Python3\n{SOLUTION}{F}", [SOLUTION], []),
    ("untagged fence", f"Sure.\n{F}\n{SOLUTION}{F}", [SOLUTION], ["Sure."]),
    ("unclosed fence", f"Sure:\n{F}python\n{SOLUTION}", [SOLUTION], ["Sure:"]),
    ("unclosed, cut by max_tokens", f"{F}python\ndef add(a, b):\n    return a +", ["def add(a, b):"], []),
    (
        "block that defines the entry point wins",
        f"{F}python\nprint(add(1, 2))\n{F}\nThe function:\n{F}python\n{SOLUTION}{F}",
        [SOLUTION],
        ["print"],
    ),
    (
        "main guard, double quotes",
        f'{SOLUTION}\nif __name__ == "__main__":\n    print(add(1, 2))\n',
        [SOLUTION],
        ["__main__", "print"],
    ),
    (
        "main guard, single quotes",
        f"{SOLUTION}\nif __name__ == '__main__':\n    print(add(1, 2))\n",
        [SOLUTION],
        ["__main__"],
    ),
    (
        "main guard, odd spacing",
        f'{SOLUTION}\nif __name__=="__main__" :\n    print(add(1, 2))\n',
        [SOLUTION],
        ["__main__"],
    ),
    (
        "main guard, parenthesized",
        f"{SOLUTION}\nif (__name__ == '__main__'):\n    add(1, 2)\n",
        [SOLUTION],
        ["__main__"],
    ),
    ("main guard, reversed", f'{SOLUTION}\nif "__main__" == __name__:\n    add(1, 2)\n', [SOLUTION], ["__main__"]),
    (
        "main guard inside a fence",
        f'{F}python\n{SOLUTION}\nif __name__ == "__main__":\n    main()\n{F}',
        [SOLUTION],
        ["__main__", "main()"],
    ),
    (
        "example usage comment",
        f"{SOLUTION}\n# Example usage\nresult = add(2, 3)\nprint(result)\n",
        [SOLUTION],
        ["Example", "result"],
    ),
    ("test cases comment", f"{SOLUTION}\n# Test cases:\nassert add(1, 1) == 2\n", [SOLUTION], ["assert"]),
    ("stray prints", f"{SOLUTION}\nprint(add(1, 2))\nprint(add(3, 4))\n", [SOLUTION], ["print"]),
    (
        "stray asserts and loops",
        f"{SOLUTION}\nassert add(1, 2) == 3\nfor x in range(3):\n    print(add(x, x))\n",
        [SOLUTION],
        ["assert", "for x"],
    ),
    ("stray input", f"{SOLUTION}\nn = int(input())\n", [SOLUTION], ["input"]),
    (
        "imports and helpers kept",
        f"{F}python\n{HELPER}{SOLUTION}\nprint(add(1, 2))\n{F}",
        ["import math", "def _half(x):", SOLUTION],
        ["print"],
    ),
    (
        "helper after a stray print kept",
        f"{SOLUTION}\nprint(add(1, 2))\n\ndef helper():\n    return 1\n",
        [SOLUTION, "def helper():"],
        ["print"],
    ),
    (
        "table used by the function kept",
        "def sieve(n):\n    return [p for p in range(2, n)]\n\nPRIMES = sieve(50)\n\n"
        "def add(a, b):\n    return a + b + len(PRIMES)\n\nprint(add(1, 2))\n",
        ["PRIMES = sieve(50)"],
        ["print"],
    ),
    ("body continuation", "    return a + b\n", ["    return a + b"], []),
    ("body continuation with stray print", "    return a + b\n\n\nprint(add(1, 2))\n", ["    return a + b"], ["print"]),
    (
        "prose around unfenced code",
        f"Here is the code:\n{SOLUTION}\nThis adds two numbers.\n",
        [SOLUTION],
        ["Here is", "This adds"],
    ),
    ("special tokens", f"{F}python\n{SOLUTION}{F}<|endoftext|>garbage", [SOLUTION], ["garbage"]),
    ("CRLF line ends", f"{F}python\r\ndef add(a, b):\r\n    return a + b\r\n{F}", [SOLUTION], ["\r"]),
    ("marker before the function does not cut it", f"# Example of adding\n{SOLUTION}", [SOLUTION], []),
]


@pytest.mark.parametrize(("completion", "keep", "drop"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_completion_shapes(completion: str, keep: list[str], drop: list[str]) -> None:
    code = extract_code(completion, "add")
    for text in keep:
        assert text in code
    for text in drop:
        assert text not in code


def test_extracted_full_solutions_parse() -> None:
    for _, completion, keep, _ in CASES:
        code = extract_code(completion, "add")
        if keep[0].startswith(("def", "import")) and "return a +\n" not in code:
            ast.parse(code)


@pytest.mark.parametrize(
    "text",
    [
        "",
        F,
        f"{F}python",
        f"{F}python\n{F}",
        "if __name__ == '__main__':",
        "\x00\x01",
        "(" * 5000,
        "def f(:\n  pass",
        "# Example usage",
        "\n\n\n",
        f"{F}{F}{F}",
        "print(" * 300,
    ],
)
def test_never_raises(text: str) -> None:
    assert isinstance(extract_code(text, "f"), str)
    assert isinstance(extract_code(text), str)


def test_empty_completion_stays_empty() -> None:
    assert extract_code("") == ""
    assert extract_code(f"{F}python\n{F}") == ""
