"""--prompt-style / --postprocess wizardcoder: WizardCoder's humaneval_gen.py prompt byte for byte, and
process_humaneval.py --add_prompt's post-processing (which keeps what evol's own drops)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evol.eval.backends import EndpointBackend
from evol.eval.humaneval import EvalSettings, evaluate
from evol.eval.postprocess import extract_code
from evol.eval.problems import Problem
from evol.eval.styles import decode_response, humaneval_prompt, wizardcoder_postprocess
from evol.sandbox import Limits, Sandbox
from evol.template import humaneval_prompt as evol_prompt
from tests.eval.helpers import FakeClient
from tests.eval.test_eval_humaneval import cli

F = "`" * 3

# What humaneval_gen.py sends for HumanEval/2, written out by hand: three newlines before "### Instruction:",
# and each 4-space run of the problem turned into a tab.
HUMANEVAL_2_WIZARDCODER = (
    b"Below is an instruction that describes a task. Write a response that appropriately completes the request."
    b"\n\n\n### Instruction:\nCreate a Python script for this problem:\n"
    b"\n\ndef truncate_number(number: float) -> float:\n"
    b'\t""" Given a positive floating point number, it can be decomposed into\n'
    b"\tand integer part (largest integer smaller than given number) and decimals\n"
    b"\t(leftover part always smaller than 1).\n\n"
    b"\tReturn the decimal part of the number.\n"
    b"\t>>> truncate_number(3.5)\n"
    b"\t0.5\n"
    b'\t"""\n'
    b"\n\n### Response:"
)


def test_wizardcoder_prompt_is_byte_for_byte(problems: list[Problem]) -> None:
    p = problems[2]
    assert p.task_id == "HumanEval/2"
    assert humaneval_prompt(p.prompt, "wizardcoder").encode() == HUMANEVAL_2_WIZARDCODER
    # evol's own: the training template (two newlines, spaces kept), unchanged as the default
    assert humaneval_prompt(p.prompt) == evol_prompt(p.prompt) != humaneval_prompt(p.prompt, "wizardcoder")
    assert "request.\n\n### Instruction:" in humaneval_prompt(p.prompt) and "\t" not in humaneval_prompt(p.prompt)


def test_wizardcoder_decoding_turns_tabs_back_and_stops_at_a_second_response() -> None:
    assert decode_response("\ndef f():\n\treturn 1\n### Response:\nmore", "wizardcoder") == "\ndef f():\n    return 1\n"
    assert decode_response("\tx", "evol") == "\tx"


SOLUTION = "def add(a, b):\n    return a + b"

# (id, completion, what process_humaneval.py --add_prompt makes of it)
CASES = [
    ("fenced, prose around", f"Here:\n{F}python\n{SOLUTION}\n{F}\nIt adds.", SOLUTION),
    (
        "print after the function is kept",
        f"{F}python\n{SOLUTION}\n\nprint(add(1, 2))\n{F}",
        f"{SOLUTION}\n\nprint(add(1, 2))",
    ),
    ("unfenced text is kept whole", f"Sure.\n{SOLUTION}\nprint(add(1, 2))\n", f"Sure.\n{SOLUTION}\nprint(add(1, 2))\n"),
    ("unclosed fence kept to the end", f"{F}python\n{SOLUTION}\n", f"\n{SOLUTION}"),
    ("untagged fence is not a python block", f"{F}\n{SOLUTION}\n{F}", f"{F}\n{SOLUTION}\n{F}"),
    ("main guard, double quotes: cut", f'{SOLUTION}\n\nif __name__ == "__main__":\n    print(add(1, 2))', SOLUTION),
    (
        "main guard, single quotes: kept",
        f"{SOLUTION}\nif __name__ == '__main__':\n    add(1, 2)",
        f"{SOLUTION}\nif __name__ == '__main__':\n    add(1, 2)",
    ),
    ("example usage marker: cut", f"{SOLUTION}\n\n# Example usage\nprint(add(1, 2))", SOLUTION),
    ("carriage returns removed", f"{F}python\r\n{SOLUTION}\r\n{F}", SOLUTION),
    (
        "where the script raises, kept as is",
        f'{SOLUTION}\nif (__name__ == "__main__"):\n    add(1, 2)',
        f'{SOLUTION}\nif (__name__ == "__main__"):\n    add(1, 2)',
    ),
]


@pytest.mark.parametrize(("completion", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_wizardcoder_postprocess_table(completion: str, expected: str) -> None:
    assert wizardcoder_postprocess(completion) == expected


def test_wizardcoder_keeps_what_evol_drops() -> None:
    completion = f"{F}python\n{SOLUTION}\n\nprint(add(1, 2))\n{F}"
    assert "print(add(1, 2))" in wizardcoder_postprocess(completion)
    assert "print" not in extract_code(completion, "add")


def test_eval_runs_as_wizardcoder_and_records_both(problems: list[Problem], tmp_path: Path) -> None:
    """Prompt as the script sent it, tabs back to spaces, the original post-processing: a stray top-level
    statement after the function is kept and runs with the tests (it fails them), where evol's drops it."""
    chosen = problems[:2]
    by_prompt = {humaneval_prompt(p.prompt, "wizardcoder"): p for p in chosen}

    def answer(req) -> str:  # noqa: ANN001 - an LLMRequest
        p = by_prompt[req.prompt]  # KeyError unless the prompt is WizardCoder's, byte for byte
        body = (p.prompt + p.canonical_solution).replace("    ", "\t")  # a model prompted with tabs answers in tabs
        return f"{F}python\n{body}\nprint(undefined_helper())\n{F}"

    runs = {}
    for style in ("wizardcoder", "evol"):
        client = FakeClient(answer)
        settings = EvalSettings(model="m", limit=2, prompt_style="wizardcoder", postprocess=style)  # type: ignore[arg-type]
        runs[style] = evaluate(
            settings,
            tmp_path / style,
            backend=EndpointBackend("u", "m", client_factory=lambda c=client: c),
            sandbox=Sandbox(Limits(timeout_s=3)),
            log=lambda _: None,
        )
        assert {r.params["stop"] == [] for r in client.requests} == {True}  # the script sends no stop strings
    samples = [json.loads(x) for x in (tmp_path / "wizardcoder" / "samples.jsonl").read_text().splitlines()]
    assert all("\t" not in s["completion"] and "print(undefined_helper())" in s["completion"] for s in samples)
    assert runs["wizardcoder"]["pass@1"] == 0.0 and runs["evol"]["pass@1"] == 1.0
    assert (runs["wizardcoder"]["prompt_style"], runs["wizardcoder"]["postprocess"]) == ("wizardcoder", "wizardcoder")
    assert (runs["evol"]["prompt_style"], runs["evol"]["postprocess"]) == ("wizardcoder", "evol")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--prompt-style", "alpaca"], "--prompt-style: expected evol or wizardcoder, got 'alpaca'"),
        (["--postprocess", "strict"], "--postprocess: expected evol or wizardcoder, got 'strict'"),
        (["--prompt-style", "wizardcoder", "--api", "chat"], "needs --api completions"),
    ],
)
def test_cli_rejects_bad_styles(tmp_path: Path, flags: list[str], message: str) -> None:
    base = ["eval", "humaneval", "--model", "m", "--base-url", "http://127.0.0.1:9/v1", "--out", str(tmp_path)]
    code, output = cli(*base, *flags)
    assert code == 2 and message in output
